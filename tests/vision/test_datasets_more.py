"""Flowers102, Food101, OxfordIIITPet, DTD, GTSRB, EuroSAT, Caltech101/256, CelebA, VOC, COCO
and ImageNet on tiny fake copies of their real on-disk layouts (JPEG/PNG/PPM via Pillow, MAT-files
via scipy.io.savemat, XML, JSON, CSV, tar/zip archives), downloads served from 127.0.0.1.

Every image gets its own size, so a wrong file-to-item mapping shows in ``img.size``; pixels are
compared with Pillow's own decoding of the written file (JPEG is lossy).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from embervision import datasets as _pkg  # noqa: F401  (the package imports cleanly)
from embervision.datasets import caltech
from embervision.datasets.caltech import Caltech101, Caltech256
from embervision.datasets.celeba import CelebA
from embervision.datasets.coco import CocoCaptions, CocoDetection
from embervision.datasets.dtd import DTD
from embervision.datasets.eurosat import EuroSAT
from embervision.datasets.flowers102 import Flowers102
from embervision.datasets.food101 import Food101
from embervision.datasets.gtsrb import GTSRB
from embervision.datasets.imagenet import ImageNet
from embervision.datasets.oxford_iiit_pet import OxfordIIITPet
from embervision.datasets.voc import VOCDetection, VOCSegmentation

sio = pytest.importorskip("scipy.io")

NOT_FOUND = "^Dataset not found at .*You can use download=True to download it$"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def write_image(path, size, seed: int = 0, mode: str = "RGB", fmt: str | None = None):
    """A random image of ``size`` (w, h) saved at ``path``; returns the decoded RGB pixels."""
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path, format=fmt)
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _tar(members: dict, mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tree(root) -> dict:
    """Every file under ``root`` as relative path -> bytes."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, root).replace(os.sep, "/")] = f.read()
    return out


def _check_items(ds, expected):
    """``expected``: list of (pixels, target) in item order."""
    assert len(ds) == len(expected)
    for i, (pixels, target) in enumerate(expected):
        img, got = ds[i]
        assert isinstance(img, Image.Image) and img.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(img), pixels, err_msg=f"item {i}")
        assert got == target and type(got) is type(target), (i, got, target)
    with pytest.raises(IndexError):
        ds[len(ds)]


# -------------------------------------------------------------------------------------------
# Flowers102
# -------------------------------------------------------------------------------------------


def _flowers(root):
    base = root / "flowers-102"
    labels = np.array([[3, 1, 102, 7, 3]], dtype=np.float64)  # 1-based classes of images 1..5
    pixels = {i: write_image(base / "jpg" / f"image_{i:05d}.jpg", (8 + i, 6 + i), i)
              for i in range(1, 6)}
    sio.savemat(base / "imagelabels.mat", {"labels": labels})
    sio.savemat(base / "setid.mat", {"trnid": np.array([[4, 1]], np.uint16),
                                     "valid": np.array([[2]], np.uint16),
                                     "tstid": np.array([[5, 3]], np.uint16)})
    return pixels, labels.ravel().astype(int) - 1


@pytest.mark.parametrize("split,ids", [("train", [4, 1]), ("val", [2]), ("test", [5, 3])])
def test_flowers102_splits_and_zero_based_labels(tmp_path, split, ids):
    pixels, labels = _flowers(tmp_path)
    ds = Flowers102(str(tmp_path), split=split)
    _check_items(ds, [(pixels[i], int(labels[i - 1])) for i in ids])
    assert len(Flowers102.classes) == 102 and Flowers102.classes[101] == "blackberry lily"
    assert repr(ds).endswith(f"split={split}")


def test_flowers102_missing_and_bad_split(tmp_path):
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        Flowers102(str(tmp_path))
    with pytest.raises(ValueError, match="Unknown value 'valid' for argument split"):
        Flowers102(str(tmp_path), split="valid")


def test_flowers102_download(tmp_path, file_server, monkeypatch):
    _flowers(tmp_path / "src")
    files = _tree(tmp_path / "src" / "flowers-102")
    archive = _tar({k: v for k, v in files.items() if k.startswith("jpg/")})
    server = {"102flowers.tgz": archive, "imagelabels.mat": files["imagelabels.mat"],
              "setid.mat": files["setid.mat"]}
    for name, data in server.items():
        file_server.files[f"/flowers/{name}"] = data
    monkeypatch.setattr(Flowers102, "_download_url_prefix", file_server.url + "/flowers/")
    monkeypatch.setattr(Flowers102, "_file_dict",
                        {"image": ("102flowers.tgz", _md5(archive)),
                         "label": ("imagelabels.mat", _md5(server["imagelabels.mat"])),
                         "setid": ("setid.mat", _md5(server["setid.mat"]))})
    ds = Flowers102(str(tmp_path / "root"), split="test", download=True)
    assert ds._labels == [2, 101]
    Flowers102(str(tmp_path / "root"), split="val", download=True)
    assert sorted(file_server.requests) == ["/flowers/102flowers.tgz",
                                            "/flowers/imagelabels.mat", "/flowers/setid.mat"]


# -------------------------------------------------------------------------------------------
# Food101
# -------------------------------------------------------------------------------------------


def _food(root):
    base = root / "food-101"
    meta = {"train": {"pizza": ["pizza/1", "pizza/2"], "apple_pie": ["apple_pie/7"]},
            "test": {"pizza": ["pizza/3"], "apple_pie": ["apple_pie/8"]}}
    pixels = {}
    for split_meta in meta.values():
        for paths in split_meta.values():
            for n, p in enumerate(paths):
                pixels[p] = write_image(base / "images" / f"{p}.jpg", (5 + len(pixels), 9), n)
    os.makedirs(base / "meta")
    for split, content in meta.items():
        (base / "meta" / f"{split}.json").write_text(json.dumps(content))
    return pixels


def test_food101_reads_the_json_split(tmp_path):
    pixels = _food(tmp_path)
    ds = Food101(str(tmp_path))
    assert ds.classes == ["apple_pie", "pizza"] and ds.class_to_idx == {"apple_pie": 0,
                                                                         "pizza": 1}
    # torchvision's order: the JSON's classes in file order, each class's paths in order.
    _check_items(ds, [(pixels["pizza/1"], 1), (pixels["pizza/2"], 1), (pixels["apple_pie/7"], 0)])
    test = Food101(str(tmp_path), split="test")
    _check_items(test, [(pixels["pizza/3"], 1), (pixels["apple_pie/8"], 0)])
    assert repr(test).endswith("split=test")


def test_food101_download(tmp_path, file_server, monkeypatch):
    _food(tmp_path / "src")
    archive = _tar({f"food-101/{k}": v for k, v in _tree(tmp_path / "src" / "food-101").items()})
    file_server.files["/food-101.tar.gz"] = archive
    monkeypatch.setattr(Food101, "_URL", file_server.url + "/food-101.tar.gz")
    monkeypatch.setattr(Food101, "_MD5", _md5(archive))
    assert len(Food101(str(tmp_path / "r"), split="test", download=True)) == 2
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        Food101(str(tmp_path / "elsewhere"))


# -------------------------------------------------------------------------------------------
# OxfordIIITPet
# -------------------------------------------------------------------------------------------


def _pets(root):
    base = root / "oxford-iiit-pet"
    rows = {"trainval": [("great_pyrenees_12", 2, 2), ("Abyssinian_1", 1, 1)],
            "test": [("Abyssinian_3", 1, 1)]}
    pixels, trimaps = {}, {}
    for n, (image_id, _, _) in enumerate(rows["trainval"] + rows["test"]):
        pixels[image_id] = write_image(base / "images" / f"{image_id}.jpg", (10 + n, 7), n)
        trimap = np.random.default_rng(n).integers(1, 4, (7, 10 + n), dtype=np.uint8)
        os.makedirs(base / "annotations" / "trimaps", exist_ok=True)
        Image.fromarray(trimap, "L").save(base / "annotations" / "trimaps" / f"{image_id}.png")
        trimaps[image_id] = trimap
    for split, lines in rows.items():
        text = "".join(f"{i} {c} {s} {n + 1}\n" for n, (i, c, s) in enumerate(lines))
        (base / "annotations" / f"{split}.txt").write_text(text)
    return pixels, trimaps


def test_oxford_pet_targets(tmp_path):
    pixels, trimaps = _pets(tmp_path)
    ds = OxfordIIITPet(str(tmp_path))
    _check_items(ds, [(pixels["great_pyrenees_12"], 1), (pixels["Abyssinian_1"], 0)])
    assert ds.classes == ["Abyssinian", "Great Pyrenees"]
    assert ds.class_to_idx == {"Abyssinian": 0, "Great Pyrenees": 1}
    assert ds.bin_classes == ["Cat", "Dog"] and ds.bin_class_to_idx == {"Cat": 0, "Dog": 1}
    both = OxfordIIITPet(str(tmp_path), target_types=["binary-category", "segmentation"])
    _, (species, trimap) = both[0]
    assert species == 1 and trimap.mode == "L"
    np.testing.assert_array_equal(np.asarray(trimap), trimaps["great_pyrenees_12"])
    assert OxfordIIITPet(str(tmp_path), split="test", target_types=[])[0][1] is None
    seen = OxfordIIITPet(str(tmp_path), transforms=lambda i, t: (i.size, ("T", t)))[1]
    assert seen == ((11, 7), ("T", 0))


def test_oxford_pet_errors(tmp_path):
    with pytest.raises(ValueError, match="Unknown value 'mask' for argument target_types"):
        OxfordIIITPet(str(tmp_path), target_types=["category", "mask"])
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        OxfordIIITPet(str(tmp_path))


def test_oxford_pet_download(tmp_path, file_server, monkeypatch):
    _pets(tmp_path / "src")
    tree = _tree(tmp_path / "src" / "oxford-iiit-pet")
    resources = []
    for part in ("images", "annotations"):
        archive = _tar({k: v for k, v in tree.items() if k.startswith(part + "/")})
        file_server.files[f"/pets/{part}.tar.gz"] = archive
        resources.append((f"{file_server.url}/pets/{part}.tar.gz", _md5(archive)))
    monkeypatch.setattr(OxfordIIITPet, "_RESOURCES", tuple(resources))
    ds = OxfordIIITPet(str(tmp_path / "r"), split="test", download=True)
    assert ds._labels == [0] and len(file_server.requests) == 2


# -------------------------------------------------------------------------------------------
# DTD
# -------------------------------------------------------------------------------------------


def _dtd(root):
    data = root / "dtd" / "dtd"
    names = [("banded", "banded_0001.jpg"), ("zigzagged", "zigzagged_0002.jpg"),
             ("banded", "banded_0003.jpg")]
    pixels = {f"{c}/{n}": write_image(data / "images" / c / n, (6 + k, 5), k)
              for k, (c, n) in enumerate(names)}
    os.makedirs(data / "labels")
    (data / "labels" / "train1.txt").write_text("zigzagged/zigzagged_0002.jpg\n"
                                                "banded/banded_0001.jpg\n")
    (data / "labels" / "test3.txt").write_text("banded/banded_0003.jpg\n")
    return pixels


def test_dtd_split_partition_and_classes(tmp_path):
    pixels = _dtd(tmp_path)
    ds = DTD(str(tmp_path))
    assert ds.classes == ["banded", "zigzagged"]
    _check_items(ds, [(pixels["zigzagged/zigzagged_0002.jpg"], 1),
                      (pixels["banded/banded_0001.jpg"], 0)])
    test = DTD(str(tmp_path), split="test", partition=3)
    _check_items(test, [(pixels["banded/banded_0003.jpg"], 0)])
    assert repr(test).endswith("split=test, partition=3")


@pytest.mark.parametrize("partition", [0, 11, 2.5, "1"])
def test_dtd_partition_is_checked(tmp_path, partition):
    with pytest.raises(ValueError, match=f"Parameter 'partition' should be an integer with "
                                         f"`1 <= partition <= 10`, but got {partition} instead"):
        DTD(str(tmp_path), partition=partition)


def test_dtd_download(tmp_path, file_server, monkeypatch):
    _dtd(tmp_path / "src")
    archive = _tar({f"dtd/{k}": v for k, v in _tree(tmp_path / "src" / "dtd" / "dtd").items()})
    file_server.files["/dtd.tar.gz"] = archive
    monkeypatch.setattr(DTD, "_URL", file_server.url + "/dtd.tar.gz")
    monkeypatch.setattr(DTD, "_MD5", _md5(archive))
    assert len(DTD(str(tmp_path / "r"), download=True)) == 2
    assert (tmp_path / "r" / "dtd" / "dtd" / "labels" / "test3.txt").is_file()


# -------------------------------------------------------------------------------------------
# GTSRB
# -------------------------------------------------------------------------------------------


def _gtsrb(root):
    base = root / "gtsrb"
    train = base / "GTSRB" / "Training"
    pixels = {
        "00000/00000_00000.ppm": write_image(train / "00000" / "00000_00000.ppm", (5, 6), 0),
        "00002/00001_00000.ppm": write_image(train / "00002" / "00001_00000.ppm", (7, 6), 1),
        "00002/00001_00001.ppm": write_image(train / "00002" / "00001_00001.ppm", (8, 6), 2),
    }
    (train / "00002" / "GT-00002.csv").write_text("Filename;ClassId\n")  # not an image
    test = base / "GTSRB" / "Final_Test" / "Images"
    pixels["00001.ppm"] = write_image(test / "00001.ppm", (9, 9), 3)
    pixels["00000.ppm"] = write_image(test / "00000.ppm", (4, 9), 4)
    (base / "GT-final_test.csv").write_text(
        "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
        "00001.ppm;9;9;1;1;8;8;16\n00000.ppm;4;9;0;0;3;8;1\n")
    return pixels


def test_gtsrb_train_folders_and_test_csv(tmp_path):
    pixels = _gtsrb(tmp_path)
    # Training classes are the sorted folder names: "00000" -> 0, "00002" -> 1 (torchvision's
    # make_dataset; all 43 folders exist in the real archive, so index == folder number there).
    _check_items(GTSRB(str(tmp_path)), [(pixels["00000/00000_00000.ppm"], 0),
                                        (pixels["00002/00001_00000.ppm"], 1),
                                        (pixels["00002/00001_00001.ppm"], 1)])
    _check_items(GTSRB(str(tmp_path), split="test"), [(pixels["00001.ppm"], 16),
                                                      (pixels["00000.ppm"], 1)])


def test_gtsrb_download_test_split(tmp_path, file_server, monkeypatch):
    _gtsrb(tmp_path / "src")
    tree = _tree(tmp_path / "src" / "gtsrb")
    images = _zip({k: v for k, v in tree.items() if k.startswith("GTSRB/Final_Test")})
    gt = _zip({"GT-final_test.csv": tree["GT-final_test.csv"]})
    file_server.files["/g/GTSRB_Final_Test_Images.zip"] = images
    file_server.files["/g/GTSRB_Final_Test_GT.zip"] = gt
    monkeypatch.setattr(GTSRB, "_base_url", file_server.url + "/g/")
    monkeypatch.setitem(GTSRB._resources, "test",
                        (("GTSRB_Final_Test_Images.zip", _md5(images)),
                         ("GTSRB_Final_Test_GT.zip", _md5(gt))))
    ds = GTSRB(str(tmp_path / "r"), split="test", download=True)
    assert [t for _, t in ds._samples] == [16, 1]
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        GTSRB(str(tmp_path / "r"))  # the training images were not downloaded


# -------------------------------------------------------------------------------------------
# EuroSAT
# -------------------------------------------------------------------------------------------


def test_eurosat_image_folder_and_download(tmp_path, file_server, monkeypatch):
    src = tmp_path / "src" / "2750"
    a = write_image(src / "Forest" / "Forest_1.jpg", (6, 4), 0)
    b = write_image(src / "AnnualCrop" / "AnnualCrop_1.jpg", (5, 4), 1)
    archive = _zip({f"2750/{k}": v for k, v in _tree(src).items()})
    file_server.files["/EuroSAT.zip"] = archive
    monkeypatch.setattr(EuroSAT, "_URL", file_server.url + "/EuroSAT.zip")
    monkeypatch.setattr(EuroSAT, "_MD5", _md5(archive))
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        EuroSAT(str(tmp_path / "r"))
    ds = EuroSAT(str(tmp_path / "r"), download=True)
    assert ds.classes == ["AnnualCrop", "Forest"] and ds.root == str(tmp_path / "r")
    _check_items(ds, [(b, 0), (a, 1)])
    assert f"Root location: {tmp_path / 'r'}" in repr(ds)


# -------------------------------------------------------------------------------------------
# Caltech101 / Caltech256
# -------------------------------------------------------------------------------------------


def _caltech101(root):
    base = root / "caltech101"
    cats = base / "101_ObjectCategories"
    pixels = {
        ("Faces", 1): write_image(cats / "Faces" / "image_0001.jpg", (6, 5), 0),
        ("Faces", 2): write_image(cats / "Faces" / "image_0002.jpg", (7, 5), 1),
        ("ant", 1): write_image(cats / "ant" / "image_0001.jpg", (8, 5), 2, mode="L"),
    }
    write_image(cats / "BACKGROUND_Google" / "image_0001.jpg", (9, 5), 3)
    contours = {}
    for (cat, n), folder in ((("Faces", 2), "Faces_2"), (("ant", 1), "ant")):
        contour = np.random.default_rng(n).uniform(0, 50, (2, 4 + n))
        os.makedirs(base / "Annotations" / folder, exist_ok=True)
        sio.savemat(base / "Annotations" / folder / f"annotation_{n:04d}.mat",
                    {"box_coord": np.array([[1, 2, 3, 4]], np.uint16), "obj_contour": contour})
        contours[cat, n] = contour
    return pixels, contours


def test_caltech101_categories_targets_and_annotations(tmp_path):
    pixels, contours = _caltech101(tmp_path)
    ds = Caltech101(str(tmp_path))
    assert ds.root == str(tmp_path / "caltech101")
    assert ds.categories == ["Faces", "ant"] and ds.annotation_categories == ["Faces_2", "ant"]
    assert len(ds) == 3 and [ds[i][1] for i in range(3)] == [0, 0, 1]
    img, _ = ds[2]
    assert img.mode == "L"  # grayscale images stay grayscale, as in torchvision
    np.testing.assert_array_equal(np.asarray(img.convert("RGB")), pixels["ant", 1])
    np.testing.assert_array_equal(np.asarray(ds[1][0]), pixels["Faces", 2])
    both = Caltech101(str(tmp_path), target_type=["category", "annotation"])
    label, contour = both[1][1]
    assert label == 0 and contour.dtype == np.float64
    np.testing.assert_array_equal(contour, contours["Faces", 2])
    np.testing.assert_array_equal(Caltech101(str(tmp_path), "annotation")[2][1],
                                  contours["ant", 1])
    assert repr(both).endswith("Target type: ['category', 'annotation']")
    with pytest.raises(ValueError, match="Unknown value 'box' for argument target_type"):
        Caltech101(str(tmp_path), target_type="box")


def test_caltech101_download_from_the_drive_endpoint(tmp_path, file_server, monkeypatch):
    _caltech101(tmp_path / "src")
    tree = _tree(tmp_path / "src" / "caltech101")
    images = _tar({k: v for k, v in tree.items() if k.startswith("101_")})
    anns = _tar({k: v for k, v in tree.items() if k.startswith("Annotations")}, mode="w")
    file_server.files["/drive/img-id"] = images
    file_server.files["/drive/ann-id"] = anns
    monkeypatch.setattr(Caltech101, "_url_template", file_server.url + "/drive/{}")
    monkeypatch.setattr(Caltech101, "_resources",
                        (("img-id", "101_ObjectCategories.tar.gz", _md5(images)),
                         ("ann-id", "Annotations.tar", _md5(anns))))
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        Caltech101(str(tmp_path / "r"))
    ds = Caltech101(str(tmp_path / "r"), target_type="annotation", download=True)
    assert ds[2][1].shape == (2, 5)
    assert file_server.requests == ["/drive/img-id", "/drive/ann-id"]
    # Outside the test: Drive's direct-download endpoint (a /file/d/<id> page is HTML).
    assert caltech._GDRIVE.format("x") == (
        "https://drive.usercontent.google.com/download?id=x&export=download&confirm=t")


def test_caltech256(tmp_path, file_server, monkeypatch):
    cats = tmp_path / "src" / "256_ObjectCategories"
    a = write_image(cats / "001.ak47" / "001_0001.jpg", (5, 4), 0)
    b = write_image(cats / "002.american-flag" / "002_0001.jpg", (6, 4), 1)
    c = write_image(cats / "002.american-flag" / "002_0002.jpg", (7, 4), 2)
    (cats / "002.american-flag" / "notes.txt").write_text("not an image")
    archive = _tar({f"256_ObjectCategories/{k}": v for k, v in _tree(cats).items()}, mode="w")
    file_server.files["/drive/c256"] = archive
    monkeypatch.setattr(Caltech256, "_url_template", file_server.url + "/drive/{}")
    monkeypatch.setattr(Caltech256, "_resources",
                        (("c256", "256_ObjectCategories.tar", _md5(archive)),))
    ds = Caltech256(str(tmp_path / "r"), download=True)
    assert ds.categories == ["001.ak47", "002.american-flag"]
    _check_items(ds, [(a, 0), (b, 1), (c, 1)])


# -------------------------------------------------------------------------------------------
# CelebA
# -------------------------------------------------------------------------------------------

_ATTR_NAMES = ["5_o_Clock_Shadow", "Arched_Eyebrows", "Young"]


def _celeba(root):
    base = root / "celeba"
    names = [f"{i:06d}.jpg" for i in range(1, 5)]
    pixels = {n: write_image(base / "img_align_celeba" / n, (5 + i, 6), i)
              for i, n in enumerate(names)}
    partition = [0, 1, 0, 2]
    identity = [10, 3, 10, 7]
    attr = np.array([[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])
    bbox = np.array([[95, 71, 226, 313], [72, 94, 221, 306], [216, 59, 91, 126],
                     [622, 257, 564, 781]])
    landmarks = np.arange(40).reshape(4, 10) + 60
    (base / "list_eval_partition.txt").write_text(
        "".join(f"{n} {p}\n" for n, p in zip(names, partition)))
    (base / "identity_CelebA.txt").write_text(
        "".join(f"{n} {i}\n" for n, i in zip(names, identity)))
    # Real files: a count line, a header, then rows padded with runs of spaces.
    (base / "list_attr_celeba.txt").write_text(
        "4\n" + " ".join(_ATTR_NAMES) + " \n"
        + "".join(f"{n} " + " ".join(f"{v:2d}" for v in row) + "\n"
                  for n, row in zip(names, attr)))
    (base / "list_bbox_celeba.txt").write_text(
        "4\nimage_id x_1 y_1 width height\n"
        + "".join(f"{n}    " + "    ".join(map(str, row)) + "\n" for n, row in zip(names, bbox)))
    (base / "list_landmarks_align_celeba.txt").write_text(
        "4\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
        "rightmouth_x rightmouth_y\n"
        + "".join(f"{n} " + "  ".join(map(str, row)) + "\n" for n, row in zip(names, landmarks)))
    return names, pixels, dict(partition=partition, identity=identity, attr=attr, bbox=bbox,
                               landmarks=landmarks)


@pytest.mark.parametrize("split,rows", [("train", [0, 2]), ("valid", [1]), ("test", [3]),
                                        ("all", [0, 1, 2, 3]), ("TEST", [3])])
def test_celeba_splits_and_targets(tmp_path, split, rows):
    names, pixels, info = _celeba(tmp_path)
    ds = CelebA(str(tmp_path), split=split, target_type=["attr", "identity", "bbox",
                                                          "landmarks"])
    assert ds.filename == [names[r] for r in rows] and len(ds) == len(rows)
    assert ds.attr_names == _ATTR_NAMES
    for i, r in enumerate(rows):
        img, (attr, identity, bbox, landmarks) = ds[i]
        np.testing.assert_array_equal(np.asarray(img), pixels[names[r]])
        assert attr.dtype == identity.dtype == bbox.dtype == landmarks.dtype
        assert str(attr.dtype) == "ember.int64" and identity.shape == ()
        assert attr.tolist() == ((info["attr"][r] + 1) // 2).tolist()
        assert identity.item() == info["identity"][r]
        assert bbox.tolist() == info["bbox"][r].tolist()
        assert landmarks.tolist() == info["landmarks"][r].tolist()
    assert repr(ds).endswith(f"Split: {split}")


def test_celeba_target_type_options_and_errors(tmp_path):
    _celeba(tmp_path)
    assert CelebA(str(tmp_path), target_type=[])[0][1] is None
    assert CelebA(str(tmp_path), target_type="identity")[1][1].item() == 10
    with pytest.raises(RuntimeError, match="target_transform is specified but target_type is "
                                           "empty"):
        CelebA(str(tmp_path), target_type=[], target_transform=lambda t: t)
    with pytest.raises(ValueError, match="Unknown value 'age' for argument target_type"):
        CelebA(str(tmp_path), target_type=["attr", "age"])
    with pytest.raises(ValueError, match="Unknown value 'val' for argument split"):
        CelebA(str(tmp_path), split="val")
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        CelebA(str(tmp_path / "none"))


def test_celeba_download(tmp_path, file_server, monkeypatch):
    names, pixels, _ = _celeba(tmp_path / "src")
    tree = _tree(tmp_path / "src" / "celeba")
    files = {k: v for k, v in tree.items() if "/" not in k}
    files["img_align_celeba.zip"] = _zip({k: v for k, v in tree.items() if "/" in k})
    file_list = []
    for n, (name, data) in enumerate(sorted(files.items())):
        file_server.files[f"/drive/id{n}"] = data
        file_list.append((f"id{n}", _md5(data), name))
    monkeypatch.setattr(CelebA, "_url_template", file_server.url + "/drive/{}")
    monkeypatch.setattr(CelebA, "file_list", file_list)
    ds = CelebA(str(tmp_path / "r"), split="test", download=True)
    np.testing.assert_array_equal(np.asarray(ds[0][0]), pixels[names[3]])
    assert len(file_server.requests) == 6


# -------------------------------------------------------------------------------------------
# VOC
# -------------------------------------------------------------------------------------------

_VOC_XML = """<annotation>
  <folder>VOC2012</folder>
  <filename>{name}.jpg</filename>
  <size><width>{w}</width><height>{h}</height><depth>3</depth></size>
  <segmented>1</segmented>
  {objects}
</annotation>"""
_VOC_OBJECT = """<object><name>{cls}</name><pose>Left</pose><truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox><xmin>{box[0]}</xmin><ymin>{box[1]}</ymin><xmax>{box[2]}</xmax><ymax>{box[3]}</ymax>
    </bndbox></object>"""


def _voc(root, year="2012", base=("VOCdevkit", "VOC2012")):
    voc = root.joinpath(*base)
    items = {"2008_000001": [("dog", (1, 2, 5, 6))],
             "2008_000002": [("person", (0, 0, 3, 3)), ("cat", (2, 1, 6, 4))]}
    pixels, masks = {}, {}
    for n, (name, objects) in enumerate(items.items()):
        w, h = 8 + n, 7
        pixels[name] = write_image(voc / "JPEGImages" / f"{name}.jpg", (w, h), n)
        mask = np.random.default_rng(n).choice(np.array([0, 1, 12, 255], np.uint8), (h, w))
        os.makedirs(voc / "SegmentationClass", exist_ok=True)
        img = Image.fromarray(mask, "P")
        img.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
        img.save(voc / "SegmentationClass" / f"{name}.png")
        masks[name] = mask
        os.makedirs(voc / "Annotations", exist_ok=True)
        objs = "\n  ".join(_VOC_OBJECT.format(cls=c, box=b) for c, b in objects)
        (voc / "Annotations" / f"{name}.xml").write_text(
            _VOC_XML.format(name=name, w=w, h=h, objects=objs))
    for kind in ("Segmentation", "Main"):
        os.makedirs(voc / "ImageSets" / kind)
        (voc / "ImageSets" / kind / "train.txt").write_text("2008_000002\n2008_000001\n")
        (voc / "ImageSets" / kind / "val.txt").write_text("2008_000001\n")
    return pixels, masks


def test_voc_segmentation(tmp_path):
    pixels, masks = _voc(tmp_path)
    ds = VOCSegmentation(str(tmp_path))
    assert len(ds) == 2 and ds.masks == ds.targets
    img, mask = ds[0]
    np.testing.assert_array_equal(np.asarray(img), pixels["2008_000002"])
    assert mask.mode == "P"
    np.testing.assert_array_equal(np.asarray(mask), masks["2008_000002"])
    pair = VOCSegmentation(str(tmp_path), image_set="val",
                           transforms=lambda i, m: (i.size, m.size))[0]
    assert pair == ((8, 7), (8, 7))


def test_voc_detection_parses_the_xml(tmp_path):
    _voc(tmp_path)
    ds = VOCDetection(str(tmp_path), image_set="val")
    _, target = ds[0]
    ann = target["annotation"]
    assert ann["filename"] == "2008_000001.jpg" and ann["size"] == {"width": "8", "height": "7",
                                                                    "depth": "3"}
    # One object is still a list (torchvision's layout).
    assert ann["object"] == [{"name": "dog", "pose": "Left", "truncated": "0", "difficult": "0",
                              "bndbox": {"xmin": "1", "ymin": "2", "xmax": "5", "ymax": "6"}}]
    two = VOCDetection(str(tmp_path))[0][1]["annotation"]["object"]
    assert [o["name"] for o in two] == ["person", "cat"]
    assert two[1]["bndbox"] == {"xmin": "2", "ymin": "1", "xmax": "6", "ymax": "4"}


def test_voc_arguments_and_download(tmp_path, file_server, monkeypatch):
    with pytest.raises(ValueError, match="Unknown value 'test' for argument image_set"):
        VOCSegmentation(str(tmp_path), year="2012", image_set="test")
    with pytest.raises(ValueError, match="Unknown value '2013' for argument year"):
        VOCSegmentation(str(tmp_path), year="2013")
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        VOCSegmentation(str(tmp_path), year="2007", image_set="test")
    _voc(tmp_path / "src", base=("TrainVal", "VOCdevkit", "VOC2011"))
    archive = _tar(_tree(tmp_path / "src"), mode="w")
    file_server.files["/voc/2011.tar"] = archive
    from embervision.datasets import voc

    monkeypatch.setitem(voc.DATASET_YEAR_DICT, "2011",
                        dict(voc.DATASET_YEAR_DICT["2011"], url=file_server.url + "/voc/2011.tar",
                             md5=_md5(archive)))
    ds = VOCDetection(str(tmp_path / "r"), year="2011", download=True)
    assert len(ds) == 2 and (tmp_path / "r" / "VOCtrainval_25-May-2011.tar").is_file()


# -------------------------------------------------------------------------------------------
# COCO
# -------------------------------------------------------------------------------------------


def _coco(root):
    images = [{"id": 42, "file_name": "000000000042.jpg", "width": 9, "height": 6},
              {"id": 7, "file_name": "000000000007.jpg", "width": 5, "height": 6},
              {"id": 99, "file_name": "000000000099.jpg", "width": 4, "height": 6}]
    pixels = {im["id"]: write_image(root / "val2017" / im["file_name"],
                                    (im["width"], im["height"]), im["id"]) for im in images}
    anns = [{"id": 1, "image_id": 42, "category_id": 18, "bbox": [1.5, 2.0, 3.0, 2.5],
             "area": 7.5, "iscrowd": 0, "segmentation": [[1.5, 2.0, 4.5, 2.0, 4.5, 4.5]]},
            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 2, 2], "area": 4,
             "iscrowd": 0, "segmentation": [[0, 0, 2, 0, 2, 2]]},
            {"id": 3, "image_id": 42, "category_id": 1, "bbox": [0, 1, 1, 1], "area": 1,
             "iscrowd": 1, "segmentation": {"counts": [0, 9], "size": [6, 9]}}]
    caps = [{"id": 10, "image_id": 7, "caption": "A small cat."},
            {"id": 11, "image_id": 42, "caption": "Two things."},
            {"id": 12, "image_id": 7, "caption": "A cat, again."}]
    cats = [{"id": 1, "name": "person", "supercategory": "person"},
            {"id": 18, "name": "dog", "supercategory": "animal"}]
    os.makedirs(root / "annotations")
    (root / "annotations" / "instances.json").write_text(
        json.dumps({"images": images, "annotations": anns, "categories": cats}))
    (root / "annotations" / "captions.json").write_text(
        json.dumps({"images": images, "annotations": caps}))
    return pixels, anns


def test_coco_detection(tmp_path):
    pixels, anns = _coco(tmp_path)
    ds = CocoDetection(str(tmp_path / "val2017"), str(tmp_path / "annotations" /
                                                      "instances.json"))
    assert ds.ids == [7, 42, 99] and len(ds) == 3
    img, target = ds[1]
    np.testing.assert_array_equal(np.asarray(img), pixels[42])
    assert target == [anns[0], anns[2]]  # the image's annotations, in file order
    assert ds[0][1] == [anns[1]] and ds[2][1] == []
    assert ds.coco.cats[18]["name"] == "dog"
    with pytest.raises(ValueError, match="Index must be of type integer, got <class 'slice'>"):
        ds[0:1]
    with pytest.raises(IndexError):
        ds[3]


def test_coco_captions(tmp_path):
    pixels, _ = _coco(tmp_path)
    ds = CocoCaptions(str(tmp_path / "val2017"), str(tmp_path / "annotations" / "captions.json"),
                      transform=lambda im: np.asarray(im))
    img, captions = ds[0]
    np.testing.assert_array_equal(img, pixels[7])
    assert captions == ["A small cat.", "A cat, again."] and ds[1][1] == ["Two things."]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RuntimeError, match="bad.json is not valid JSON"):
        CocoCaptions(str(tmp_path), str(bad))


# -------------------------------------------------------------------------------------------
# ImageNet: devkit meta.mat (a struct array), ground truth, train/val archives
# -------------------------------------------------------------------------------------------

_SYNSET_FIELDS = ["ILSVRC2012_ID", "WNID", "words", "gloss", "num_children", "children",
                  "wordnet_height", "num_train_images"]


def _synsets():
    """Three leaf classes (ids 1-3) and one inner node (id 4), as the devkit's struct."""
    rows = [(1, "n02", "tench, Tinca tinca", "a fish", 0, np.zeros((1, 0)), 0, 1300),
            (2, "n01", "goldfish, Carassius auratus", "small fish", 0, np.zeros((1, 0)), 0, 1300),
            (3, "n03", "great white shark", "a shark", 0, np.zeros((1, 0)), 0, 1300),
            (4, "n09", "fish", "aquatic animal", 3, np.array([[1.0, 2.0, 3.0]]), 2, 0)]
    synsets = np.zeros((len(rows), 1), dtype=[(f, "O") for f in _SYNSET_FIELDS])
    for i, row in enumerate(rows):
        for field, value in zip(_SYNSET_FIELDS, row):
            synsets[i, 0][field] = value
    return synsets


@pytest.mark.parametrize("compress", [True, False])
def test_struct_reader_matches_scipy(tmp_path, compress):
    from embervision.datasets.imagenet import _load_struct_variable

    path = tmp_path / "meta.mat"
    sio.savemat(path, {"synsets": _synsets(), "other": np.eye(2)}, do_compression=compress)
    ours = _load_struct_variable(str(path), "synsets")
    ref = sio.loadmat(path, squeeze_me=True)["synsets"]
    assert len(ours) == len(ref) == 4
    for mine, theirs in zip(ours, ref):
        assert list(mine) == _SYNSET_FIELDS
        for field in _SYNSET_FIELDS:
            if isinstance(mine[field], str):
                assert mine[field] == theirs[field]
            else:
                np.testing.assert_array_equal(np.ravel(mine[field]), np.ravel(theirs[field]))
    with pytest.raises(RuntimeError, match="has no variable 'nope'"):
        _load_struct_variable(str(path), "nope")


def _imagenet_archives(root, src):
    """Write the three archives into ``root``; return pixels by (wnid, file name)."""
    devkit = src / "ILSVRC2012_devkit_t12" / "data"
    os.makedirs(devkit)
    sio.savemat(devkit / "meta.mat", {"synsets": _synsets()}, do_compression=True)
    # Validation images in file-name order have classes 3, 1, 2, 1 (ILSVRC2012_IDs).
    (devkit / "ILSVRC2012_validation_ground_truth.txt").write_text("3\n1\n2\n1\n")
    devkit_tar = _tar({f"ILSVRC2012_devkit_t12/{k}": v
                       for k, v in _tree(src / "ILSVRC2012_devkit_t12").items()})
    pixels, inner = {}, {}
    for n, (wnid, names) in enumerate({"n01": ["n01_1.JPEG", "n01_2.JPEG"],
                                       "n02": ["n02_1.JPEG"], "n03": ["n03_9.JPEG"]}.items()):
        for k, name in enumerate(names):
            pixels[wnid, name] = write_image(src / "train" / wnid / name, (5 + n, 4 + k), n,
                                             fmt="JPEG")
        inner[f"{wnid}.tar"] = _tar(_tree(src / "train" / wnid), mode="w")
    for i, wnid in enumerate(["n03", "n02", "n01", "n02"], 1):
        name = f"ILSVRC2012_val_{i:08d}.JPEG"
        pixels[wnid, name] = write_image(src / "val" / name, (9, 3 + i), 10 + i, fmt="JPEG")
    val = _tar(_tree(src / "val"), mode="w")
    archives = {"devkit": ("ILSVRC2012_devkit_t12.tar.gz", devkit_tar),
                "train": ("ILSVRC2012_img_train.tar", _tar(inner, mode="w")),
                "val": ("ILSVRC2012_img_val.tar", val)}
    os.makedirs(root, exist_ok=True)
    for name, data in archives.values():
        (root / name).write_bytes(data)
    return pixels, {key: (name, _md5(data)) for key, (name, data) in archives.items()}


def test_imagenet_from_the_official_archives(tmp_path, monkeypatch):
    from embervision.datasets import imagenet

    root = tmp_path / "imagenet"
    pixels, meta = _imagenet_archives(root, tmp_path / "src")
    monkeypatch.setattr(imagenet, "ARCHIVE_META", meta)
    val = ImageNet(str(root), split="val")
    assert val.root == str(root) and val.split == "val"
    assert val.wnids == ["n01", "n02", "n03"] and val.wnid_to_idx == {"n01": 0, "n02": 1,
                                                                       "n03": 2}
    assert val.classes == [("goldfish", "Carassius auratus"), ("tench", "Tinca tinca"),
                           ("great white shark",)]
    assert val.class_to_idx == {"goldfish": 0, "Carassius auratus": 0, "tench": 1,
                                "Tinca tinca": 1, "great white shark": 2}
    # Ground truth 3, 1, 2, 1 -> n03, n02, n01, n02 (ILSVRC2012_ID -> WNID via meta.mat).
    got = {os.path.basename(p): t for p, t in val.samples}
    assert got == {"ILSVRC2012_val_00000001.JPEG": 2, "ILSVRC2012_val_00000002.JPEG": 1,
                   "ILSVRC2012_val_00000003.JPEG": 0, "ILSVRC2012_val_00000004.JPEG": 1}
    for (path, target), (img, t) in zip(val.samples, (val[i] for i in range(len(val)))):
        assert t == target
        np.testing.assert_array_equal(np.asarray(img),
                                      pixels[val.wnids[target], os.path.basename(path)])
    wnid_to_classes, val_wnids = imagenet.load_meta_file(str(root))
    assert val_wnids == ["n03", "n02", "n01", "n02"] and "n09" not in wnid_to_classes
    train = ImageNet(str(root), transform=lambda im: im.size)
    assert [os.path.basename(p) for p, _ in train.samples] == ["n01_1.JPEG", "n01_2.JPEG",
                                                               "n02_1.JPEG", "n03_9.JPEG"]
    assert train.targets == [0, 0, 1, 2] and train[3] == ((7, 4), 2)
    assert not any(name.endswith(".tar") for name in os.listdir(root / "train"))
    assert repr(val).splitlines()[-2:] == [f"    Root location: {root}", "    Split: val"]


def test_imagenet_missing_or_corrupt_archives(tmp_path, monkeypatch):
    from embervision.datasets import imagenet

    with pytest.raises(RuntimeError, match="The archive ILSVRC2012_devkit_t12.tar.gz is not "
                                           "present in the root directory or is corrupted"):
        ImageNet(str(tmp_path))
    _, meta = _imagenet_archives(tmp_path, tmp_path / "src")
    monkeypatch.setattr(imagenet, "ARCHIVE_META", dict(meta, val=(meta["val"][0], "0" * 32)))
    with pytest.raises(RuntimeError, match="The archive ILSVRC2012_img_val.tar is not present"):
        ImageNet(str(tmp_path), split="val")
    with pytest.raises(ValueError, match="Unknown value 'test' for argument split"):
        ImageNet(str(tmp_path), split="test")


def test_struct_reader_reads_matlab_uint16_chars(tmp_path):
    """MATLAB itself stores characters as miUINT16 (scipy writes miUTF8): a struct 1x1 with
    ``WNID`` (char 1x3, uint16 code units) and ``num_children`` (double stored as miUINT8),
    written element by element per the MAT-file v5 specification."""
    from test_datasets_base import _element

    from embervision.datasets.imagenet import _load_struct_variable

    def matrix(mx_class, dims, name, *parts):
        body = _element(6, np.array([mx_class, 0], "<u4").tobytes(), "<")
        body += _element(5, np.array(dims, "<i4").tobytes(), "<")
        body += _element(1, name.encode(), "<")
        return np.array([14, len(body + b"".join(parts))], "<u4").tobytes() + body + b"".join(
            parts)

    wnid = matrix(4, (1, 3), "", _element(4, np.array([110, 48, 55], "<u2").tobytes(), "<",
                                          small_ok=False))
    count = matrix(6, (1, 1), "", _element(2, b"\x05", "<"))
    names = b"WNID".ljust(16, b"\0") + b"num_children".ljust(16, b"\0")
    struct_var = matrix(2, (1, 1), "synsets", _element(5, np.array([16], "<i4").tobytes(), "<"),
                        _element(1, names, "<"), wnid, count)
    header = b"MATLAB 5.0 MAT-file".ljust(116, b" ") + b"\0" * 8 + b"\x00\x01IM"
    (tmp_path / "m.mat").write_bytes(header + struct_var)
    (record,) = _load_struct_variable(str(tmp_path / "m.mat"), "synsets")
    assert record["WNID"] == "n07"
    assert record["num_children"].dtype == np.float64 and record["num_children"].item() == 5.0
    assert sio.loadmat(tmp_path / "m.mat", squeeze_me=True)["synsets"]["WNID"].item() == "n07"
