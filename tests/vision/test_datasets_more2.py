"""QMNIST, USPS, SEMEION, Omniglot, FGVCAircraft, StanfordCars, SUN397, Country211, FER2013,
Places365, Flickr8k/30k, SBU, LFWPeople/LFWPairs, Imagenette, RenderedSST2, CLEVRClassification,
MovingMNIST and INaturalist on tiny files in their real formats (IDX, bz2 LIBSVM text, CSV, HTML,
MAT via scipy.io.savemat, .npy, archives), downloads served from 127.0.0.1.

Images get distinct sizes, so a wrong file-to-item mapping shows in ``img.size``.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from embervision.datasets.clevr import CLEVRClassification
from embervision.datasets.country211 import Country211
from embervision.datasets.fer2013 import FER2013
from embervision.datasets.fgvc_aircraft import FGVCAircraft
from embervision.datasets.flickr import Flickr8k, Flickr30k
from embervision.datasets.imagenette import Imagenette
from embervision.datasets.inaturalist import INaturalist
from embervision.datasets.lfw import LFWPairs, LFWPeople
from embervision.datasets.moving_mnist import MovingMNIST
from embervision.datasets.omniglot import Omniglot
from embervision.datasets.places365 import Places365
from embervision.datasets.qmnist import QMNIST
from embervision.datasets.rendered_sst2 import RenderedSST2
from embervision.datasets.sbu import SBU
from embervision.datasets.semeion import SEMEION
from embervision.datasets.stanford_cars import StanfordCars
from embervision.datasets.sun397 import SUN397
from embervision.datasets.usps import USPS

NOT_FOUND = "^Dataset not found at .*You can use download=True to download it$"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def img(path, size, seed=0, mode="RGB"):
    """Save a random image of ``size`` (w, h) at ``path``; return its decoded pixels."""
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    arr = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(arr).save(path)
    with Image.open(path) as im:
        return np.asarray(im.convert(mode))


def _tar(members: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _tree(root, prefix="") -> dict:
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as f:
                out[prefix + os.path.relpath(full, root).replace(os.sep, "/")] = f.read()
    return out


def _idx(array: np.ndarray) -> bytes:
    code = {np.uint8: 8, np.int32: 12}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


# --------------------------------------------------------------------------------------------
# QMNIST
# --------------------------------------------------------------------------------------------


def _qmnist_arrays(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 1000, (n, 8)).astype(np.int32)
    labels[:, 0] = rng.integers(0, 10, n)
    return images, labels


def test_qmnist_compat_and_full_targets(tmp_path, monkeypatch):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    images, labels = _qmnist_arrays(12, 0)
    (raw / "qmnist-test-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
    (raw / "qmnist-test-labels-idx2-int").write_bytes(_idx(labels))
    ds = QMNIST(str(tmp_path), train=False)
    assert len(ds) == 12 and ds.what == "test" and repr(ds).endswith("Split: test")
    im, target = ds[3]
    assert im.mode == "L" and target == int(labels[3, 0]) and type(target) is int
    np.testing.assert_array_equal(np.asarray(im), images[3])
    full = QMNIST(str(tmp_path), what="test", compat=False)[5][1]
    np.testing.assert_array_equal(full.numpy(), labels[5].astype(np.int64))
    assert str(full.dtype) == "ember.int64"
    # test10k / test50k cut the 60k test file at 10,000: shrink that cut through slicing.
    assert len(QMNIST(str(tmp_path), what="test10k")) == 12
    assert len(QMNIST(str(tmp_path), what="test50k")) == 0
    with pytest.raises(ValueError, match="Unknown value 'val' for argument what"):
        QMNIST(str(tmp_path), what="val")
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        QMNIST(str(tmp_path), what="train")


def test_qmnist_downloads_only_what_is_asked(tmp_path, file_server, monkeypatch):
    images, labels = _qmnist_arrays(4, 1)
    files = {"/q/xnist-images-idx3-ubyte.xz": lzma.compress(_idx(images)),
             "/q/xnist-labels-idx2-int.xz": lzma.compress(_idx(labels))}
    file_server.files.update(files)
    monkeypatch.setitem(QMNIST.resources, "nist",
                        [(file_server.url + k, _md5(v)) for k, v in files.items()])
    ds = QMNIST(str(tmp_path), what="nist", download=True)
    assert [ds[i][1] for i in range(4)] == labels[:, 0].tolist()
    assert sorted(file_server.requests) == sorted(files)
    assert QMNIST.resources["train"][0][0] == ("https://raw.githubusercontent.com/"
                                               "facebookresearch/qmnist/master/"
                                               "qmnist-train-images-idx3-ubyte.gz")


# --------------------------------------------------------------------------------------------
# USPS, SEMEION
# --------------------------------------------------------------------------------------------


def test_usps_libsvm_bz2(tmp_path, file_server, monkeypatch):
    rng = np.random.default_rng(2)
    values = rng.uniform(-1, 1, (3, 256)).astype(np.float32)
    values[0, :4] = [-1, 1, 0, 0.5]
    labels = [10, 1, 4]
    lines = [f"{lab} " + " ".join(f"{j + 1}:{v:.6f}" for j, v in enumerate(row))
             for lab, row in zip(labels, values)]
    data = bz2.compress(("\n".join(lines) + "\n").encode())
    file_server.files["/usps.t.bz2"] = data
    monkeypatch.setitem(USPS.split_list, "test",
                        [file_server.url + "/usps.t.bz2", "usps.t.bz2", _md5(data)])
    ds = USPS(str(tmp_path), train=False, download=True)
    parsed = np.array([[float(f"{v:.6f}") for v in row] for row in values], np.float32)
    expected = ((parsed + 1) / 2 * 255).astype(np.uint8).reshape(3, 16, 16)
    assert len(ds) == 3 and [ds[i][1] for i in range(3)] == [9, 0, 3]
    np.testing.assert_array_equal(np.asarray(ds[0][0]), expected[0])
    assert np.asarray(ds[0][0])[0, :4].tolist() == [0, 255, 127, 191]
    with pytest.raises(RuntimeError, match="usps.bz2 not found"):
        USPS(str(tmp_path), train=True)


def test_semeion(tmp_path, file_server, monkeypatch):
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 2, (4, 256))
    classes = np.array([7, 0, 9, 3])
    table = np.concatenate([pixels, np.eye(10, dtype=int)[classes]], axis=1)
    text = "\n".join(" ".join(f"{v}.0000" if i < 256 else str(v) for i, v in enumerate(r))
                     for r in table).encode() + b"\n"
    file_server.files["/semeion.data"] = text
    monkeypatch.setattr(SEMEION, "url", file_server.url + "/semeion.data")
    monkeypatch.setattr(SEMEION, "md5_checksum", _md5(text))
    ds = SEMEION(str(tmp_path))  # download=True by default, as torchvision
    assert [ds[i][1] for i in range(4)] == classes.tolist()
    np.testing.assert_array_equal(np.asarray(ds[2][0]), (pixels[2] * 255).reshape(16, 16))
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        SEMEION(str(tmp_path / "none"), download=False)


# --------------------------------------------------------------------------------------------
# Omniglot
# --------------------------------------------------------------------------------------------


def test_omniglot_characters_and_download(tmp_path, file_server, monkeypatch):
    src = tmp_path / "src" / "images_evaluation"
    sizes = {}
    for k, (alpha, char, name) in enumerate([("Bengali", "character02", "b.png"),
                                             ("Bengali", "character01", "a.png"),
                                             ("Angelic", "character01", "x.png"),
                                             ("Bengali", "character01", "c.png")]):
        img(src / alpha / char / name, (5 + k, 4), k, mode="L")
        sizes[(alpha, char, name)] = (5 + k, 4)
    members = {f"images_evaluation/{k}": v for k, v in _tree(src).items()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    file_server.files["/o/images_evaluation.zip"] = buf.getvalue()
    monkeypatch.setattr(Omniglot, "download_url_prefix", file_server.url + "/o")
    monkeypatch.setitem(Omniglot.zips_md5, "images_evaluation", _md5(buf.getvalue()))
    ds = Omniglot(str(tmp_path / "root"), background=False, download=True)
    assert ds.root.endswith("omniglot-py")
    # Classes: characters of the sorted alphabets, each sorted; images sorted per character.
    assert ds._characters == [os.path.join("Angelic", "character01"),
                              os.path.join("Bengali", "character01"),
                              os.path.join("Bengali", "character02")]
    got = [(ds[i][0].size, ds[i][1], ds[i][0].mode) for i in range(len(ds))]
    assert got == [((7, 4), 0, "L"), ((6, 4), 1, "L"), ((8, 4), 1, "L"), ((5, 4), 2, "L")]
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        Omniglot(str(tmp_path / "root"), background=True)


# --------------------------------------------------------------------------------------------
# FGVCAircraft, StanfordCars, SUN397, Country211
# --------------------------------------------------------------------------------------------


def test_fgvc_aircraft_levels(tmp_path):
    data = tmp_path / "fgvc-aircraft-2013b" / "data"
    for k, name in enumerate(["1025794", "0056978", "1340192"]):
        img(data / "images" / f"{name}.jpg", (10 + k, 6), k)
    (data / "variants.txt").write_text("707-320\nA300B4\nBoeing 737-700\n")
    (data / "manufacturers.txt").write_text("Airbus\nBoeing\n")
    (data / "images_variant_test.txt").write_text("1025794 Boeing 737-700\n0056978 707-320\n")
    (data / "images_manufacturer_test.txt").write_text("1340192 Airbus\n1025794 Boeing\n")
    ds = FGVCAircraft(str(tmp_path), split="test")
    assert ds.classes == ["707-320", "A300B4", "Boeing 737-700"]
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [((10, 6), 2), ((11, 6), 0)]
    man = FGVCAircraft(str(tmp_path), split="test", annotation_level="manufacturer")
    assert [(man[i][0].size, man[i][1]) for i in range(2)] == [((12, 6), 0), ((10, 6), 1)]
    with pytest.raises(ValueError, match="Unknown value 'model' for argument annotation_level"):
        FGVCAircraft(str(tmp_path), annotation_level="model")
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        FGVCAircraft(str(tmp_path / "none"))


def test_stanford_cars_mat_structs(tmp_path):
    sio = pytest.importorskip("scipy.io")
    base = tmp_path / "stanford_cars"
    (base / "devkit").mkdir(parents=True)
    dtype = [("bbox_x1", "O"), ("bbox_y1", "O"), ("bbox_x2", "O"), ("bbox_y2", "O"),
             ("class", "O"), ("fname", "O")]
    annos = np.zeros((1, 2), dtype=dtype)
    for j, (cls, fname) in enumerate([(3, "00002.jpg"), (1, "00001.jpg")]):
        annos[0, j] = (np.array([[1]], np.uint8), np.array([[2]], np.uint8),
                       np.array([[30]], np.uint16), np.array([[20]], np.uint8),
                       np.array([[cls]], np.uint8), fname)
        img(base / "cars_train" / fname, (9 + j, 7), j)
    sio.savemat(base / "devkit" / "cars_train_annos.mat", {"annotations": annos})
    names = np.empty((1, 3), dtype=object)
    names[0] = ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Audi R8 Coupe 2012"]
    sio.savemat(base / "devkit" / "cars_meta.mat", {"class_names": names})
    ds = StanfordCars(str(tmp_path))
    assert ds.classes[2] == "Audi R8 Coupe 2012" and ds.class_to_idx["Acura RL Sedan 2012"] == 1
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [((9, 7), 2), ((10, 7), 0)]
    with pytest.raises(ValueError, match="not available for automatic download"):
        StanfordCars(str(tmp_path), download=True)
    with pytest.raises(RuntimeError, match="Dataset not found. Try to manually download"):
        StanfordCars(str(tmp_path), split="test")


def test_sun397_nested_classes(tmp_path, file_server, monkeypatch):
    src = tmp_path / "src" / "SUN397"
    img(src / "a" / "abbey" / "sun_b.jpg", (8, 5), 0)
    img(src / "a" / "apartment_building" / "outdoor" / "sun_a.jpg", (9, 5), 1)
    img(src / "a" / "abbey" / "sun_a.jpg", (10, 5), 2)
    (src / "ClassName.txt").write_text("/a/abbey\n/a/apartment_building/outdoor\n")
    archive = _tar(_tree(src, "SUN397/"))
    file_server.files["/SUN397.tar.gz"] = archive
    monkeypatch.setattr(SUN397, "_DATASET_URL", file_server.url + "/SUN397.tar.gz")
    monkeypatch.setattr(SUN397, "_DATASET_MD5", _md5(archive))
    ds = SUN397(str(tmp_path / "r"), download=True)
    assert ds.classes == ["abbey", "apartment_building/outdoor"]
    assert [(ds[i][0].size, ds[i][1]) for i in range(3)] == [((10, 5), 0), ((8, 5), 0),
                                                              ((9, 5), 1)]


def test_country211_is_an_image_folder_per_split(tmp_path):
    base = tmp_path / "country211"
    img(base / "valid" / "FR" / "1.jpg", (5, 5), 0)
    img(base / "valid" / "AD" / "2.jpg", (6, 5), 1)
    ds = Country211(str(tmp_path), split="valid")
    assert ds.classes == ["AD", "FR"] and ds.root == str(tmp_path)
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [((6, 5), 0), ((5, 5), 1)]
    with pytest.raises(ValueError, match="Unknown value 'val' for argument split"):
        Country211(str(tmp_path), split="val")
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        Country211(str(tmp_path / "none"))


# --------------------------------------------------------------------------------------------
# FER2013
# --------------------------------------------------------------------------------------------


def _faces(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48), dtype=np.uint8)


def test_fer2013_train_and_unlabelled_test(tmp_path):
    base = tmp_path / "fer2013"
    base.mkdir()
    faces = _faces(3, 0)
    (base / "train.csv").write_text("emotion,pixels\n" + "".join(
        f"{e},{' '.join(map(str, f.ravel()))}\n" for e, f in zip([3, 0, 6], faces)))
    (base / "test.csv").write_text("pixels\n" + f"{' '.join(map(str, faces[1].ravel()))}\n")
    ds = FER2013(str(tmp_path))
    assert [ds[i][1] for i in range(3)] == [3, 0, 6] and ds[0][0].mode == "L"
    np.testing.assert_array_equal(np.asarray(ds[2][0]), faces[2])
    test = FER2013(str(tmp_path), split="test")
    assert len(test) == 1 and test[0][1] is None and repr(test).endswith("split=test")


def test_fer2013_icml_file_takes_precedence(tmp_path):
    base = tmp_path / "fer2013"
    base.mkdir()
    faces = _faces(4, 1)
    usage = ["Training", "PublicTest", "PrivateTest", "Training"]
    (base / "icml_face_data.csv").write_text("emotion, Usage, pixels\n" + "".join(
        f"{e},{u},{' '.join(map(str, f.ravel()))}\n" for e, u, f in zip([1, 2, 5, 4], usage,
                                                                           faces)))
    train, test = FER2013(str(tmp_path)), FER2013(str(tmp_path), split="test")
    assert [train[i][1] for i in range(2)] == [1, 4]
    assert [test[i][1] for i in range(2)] == [2, 5]
    np.testing.assert_array_equal(np.asarray(test[1][0]), faces[2])
    with pytest.raises(RuntimeError, match="train.csv not found in .*none"):
        FER2013(str(tmp_path / "none"))


# --------------------------------------------------------------------------------------------
# Places365
# --------------------------------------------------------------------------------------------


def test_places365_val_download(tmp_path, file_server, monkeypatch):
    src = tmp_path / "src"
    (src).mkdir()
    (src / "categories_places365.txt").write_text("/a/airfield 0\n/b/bakery/shop 2\n/a/alley 1\n")
    (src / "places365_val.txt").write_text("Places365_val_00000001.jpg 2\n"
                                           "Places365_val_00000002.jpg 0\n")
    devkit = _tar(_tree(src))
    img(tmp_path / "imgs" / "val_256" / "Places365_val_00000001.jpg", (7, 6), 0)
    img(tmp_path / "imgs" / "val_256" / "Places365_val_00000002.jpg", (8, 6), 1)
    images = _tar(_tree(tmp_path / "imgs"))
    file_server.files["/p/dev.tar"] = devkit
    file_server.files["/p/val_256.tar"] = images
    monkeypatch.setattr(Places365, "_BASE_URL", file_server.url + "/p/")
    monkeypatch.setitem(Places365._DEVKIT_META, "standard", ("dev.tar", _md5(devkit)))
    monkeypatch.setitem(Places365._IMAGES_META, ("val", True), ("val_256.tar", _md5(images)))
    root = tmp_path / "root"
    ds = Places365(str(root), split="val", small=True, download=True)
    assert ds.classes == ["/a/airfield", "/a/alley", "/b/bakery/shop"]
    assert ds.class_to_idx["/b/bakery/shop"] == 2 and ds.targets == [2, 0]
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [((7, 6), 2), ((8, 6), 0)]
    assert repr(ds).endswith("Split: val\n    Small: True")
    with pytest.raises(RuntimeError, match="already exists"):
        Places365(str(root), split="val", small=True, download=True)
    with pytest.raises(RuntimeError, match="places365_train_standard.txt does not exist"):
        Places365(str(root))


# --------------------------------------------------------------------------------------------
# Flickr8k, Flickr30k, SBU
# --------------------------------------------------------------------------------------------


def test_flickr8k_html(tmp_path):
    a = img(tmp_path / "imgs" / "1000268201_693b08cb0e.jpg", (6, 4), 0)
    img(tmp_path / "imgs" / "2513260012_03d33305cf.jpg", (7, 4), 1)
    html = """<html><body><table>
<tr><td><a href="http://www.flickr.com/photos/x/2513260012/">http://www.flickr.com/photos/x/2513260012/</a></td>
<td><ul><li>A black dog .</li><li>Two dogs .</li></ul></td></tr>
<tr><td>Image Not Found</td><td><ul><li>skipped caption</li></ul></td></tr>
<tr><td><a href="http://www.flickr.com/photos/y/1000268201/">http://www.flickr.com/photos/y/1000268201/</a></td>
<td><ul><li>A child in pink .</li></ul></td></tr>
</table></body></html>"""
    (tmp_path / "ann.html").write_text(html)
    ds = Flickr8k(str(tmp_path / "imgs"), str(tmp_path / "ann.html"))
    assert len(ds) == 2
    im, caps = ds[0]  # ids sorted by path
    np.testing.assert_array_equal(np.asarray(im), a)
    assert caps == ["A child in pink ."] and ds[1][1] == ["A black dog .", "Two dogs ."]


def test_flickr30k_token_file(tmp_path):
    img(tmp_path / "imgs" / "36979.jpg", (6, 4), 0)
    img(tmp_path / "imgs" / "1000092795.jpg", (7, 4), 1)
    (tmp_path / "t.token").write_text("36979.jpg#0\tA group .\n1000092795.jpg#0\tTwo men .\n"
                                      "36979.jpg#1\tFriends .\n")
    ds = Flickr30k(str(tmp_path / "imgs"), str(tmp_path / "t.token"))
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [
        ((7, 4), ["Two men ."]), ((6, 4), ["A group .", "Friends ."])]


def test_sbu_download_skips_missing_photos(tmp_path, file_server, monkeypatch):
    photos = {"/f/1.jpg": None, "/f/3.jpg": None}
    for k, name in enumerate(photos):
        img(tmp_path / "p" / name[3:], (5 + k, 5), k)
        photos[name] = (tmp_path / "p" / name[3:]).read_bytes()
    urls = [file_server.url + n for n in ("/f/1.jpg", "/f/2.jpg", "/f/3.jpg")]
    archive = _tar({"dataset/SBU_captioned_photo_dataset_urls.txt": "\n".join(urls).encode(),
                    "dataset/SBU_captioned_photo_dataset_captions.txt": b"one\ntwo\nthree\n"})
    file_server.files.update(photos)
    file_server.files["/sbu.tar.gz"] = archive
    monkeypatch.setattr(SBU, "url", file_server.url + "/sbu.tar.gz")
    monkeypatch.setattr(SBU, "md5_checksum", _md5(archive))
    monkeypatch.setattr("ember.hub.RETRIES", 1, raising=False)
    ds = SBU(str(tmp_path / "r"))
    assert ds.photos == ["1.jpg", "3.jpg"] and ds.captions == ["one", "three"]
    assert (ds[1][0].size, ds[1][1]) == ((6, 5), "three")


# --------------------------------------------------------------------------------------------
# LFW
# --------------------------------------------------------------------------------------------


def _lfw(base):
    faces = {}
    for k, (name, n) in enumerate([("Aaron_Eckhart", 1), ("Abel_Pacheco", 2)]):
        for i in range(1, n + 1):
            faces[(name, i)] = img(base / "lfw_funneled" / name / f"{name}_{i:04d}.jpg",
                                   (5 + k, 4 + i), k * 10 + i)
    (base / "lfw-names.txt").write_text("Aaron_Eckhart\t1\nAbel_Pacheco\t2\n")
    (base / "peopleDevTrain.txt").write_text("2\nAbel_Pacheco\t2\nAaron_Eckhart\t1\n")
    (base / "pairs.txt").write_text("2\t1\nAbel_Pacheco\t1\t2\n"
                                    "Aaron_Eckhart\t1\tAbel_Pacheco\t2\n"
                                    "Abel_Pacheco\t2\t1\nAbel_Pacheco\t1\tAaron_Eckhart\t1\n")
    return faces


def test_lfw_people_and_pairs(tmp_path):
    faces = _lfw(tmp_path / "lfw-py")
    people = LFWPeople(str(tmp_path), split="train")
    assert people.class_to_idx == {"Aaron_Eckhart": 0, "Abel_Pacheco": 1}
    assert people.targets == [1, 1, 0]
    im, t = people[1]
    np.testing.assert_array_equal(np.asarray(im), faces[("Abel_Pacheco", 2)])
    assert t == 1 and "Classes (identities): 2" in repr(people)
    pairs = LFWPairs(str(tmp_path))  # 10fold: 2 folds of 1 matched + 1 mismatched pair
    assert pairs.targets == [1, 0, 1, 0]
    assert pairs.pair_names[1] == ("Aaron_Eckhart", "Abel_Pacheco")
    a, b, same = pairs[1]
    np.testing.assert_array_equal(np.asarray(a), faces[("Aaron_Eckhart", 1)])
    np.testing.assert_array_equal(np.asarray(b), faces[("Abel_Pacheco", 2)])
    assert same == 0
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        LFWPeople(str(tmp_path), split="test")
    with pytest.raises(ValueError, match="Unknown value 'aligned' for argument image_set"):
        LFWPeople(str(tmp_path), image_set="aligned")


def test_lfw_download(tmp_path, file_server, monkeypatch):
    _lfw(tmp_path / "src")
    files = _tree(tmp_path / "src")
    archive = _tar({k: v for k, v in files.items() if k.startswith("lfw_funneled/")})
    file_server.files["/lfw/lfw-funneled.tgz"] = archive
    for name in ("lfw-names.txt", "peopleDevTrain.txt"):
        file_server.files[f"/lfw/{name}"] = files[name]
        monkeypatch.setitem(LFWPeople.checksums, name, _md5(files[name]))
    monkeypatch.setattr(LFWPeople, "download_url_prefix", file_server.url + "/lfw/")
    monkeypatch.setitem(LFWPeople.file_dict, "funneled",
                        ("lfw_funneled", "lfw-funneled.tgz", _md5(archive)))
    ds = LFWPeople(str(tmp_path / "r"), split="train", download=True)
    assert len(ds) == 3 and ds[2][0].size == (5, 5)


# --------------------------------------------------------------------------------------------
# Imagenette, RenderedSST2, CLEVR
# --------------------------------------------------------------------------------------------


def test_imagenette_download_and_classes(tmp_path, file_server, monkeypatch):
    src = tmp_path / "src" / "imagenette2-160" / "val"
    img(src / "n03888257" / "a.JPEG", (6, 5), 0, )
    img(src / "n01440764" / "b.JPEG", (7, 5), 1)
    img(src / "n01440764" / "c.JPEG", (8, 5), 2)
    archive = _tar(_tree(tmp_path / "src"))
    file_server.files["/imagenette2-160.tgz"] = archive
    monkeypatch.setitem(Imagenette._ARCHIVES, "160px",
                        (file_server.url + "/imagenette2-160.tgz", _md5(archive)))
    ds = Imagenette(str(tmp_path / "r"), split="val", size="160px", download=True)
    assert ds.wnids == ["n01440764", "n03888257"]
    assert ds.classes == [("tench", "Tinca tinca"), ("parachute", "chute")]
    assert ds.class_to_idx["chute"] == 1 and ds.class_to_idx["tench"] == 0
    assert [(ds[i][0].size, ds[i][1]) for i in range(3)] == [((7, 5), 0), ((8, 5), 0),
                                                              ((6, 5), 1)]
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        Imagenette(str(tmp_path / "r"), size="320px")


def test_rendered_sst2(tmp_path):
    base = tmp_path / "rendered-sst2" / "valid"
    img(base / "positive" / "1.png", (6, 4), 0)
    img(base / "negative" / "2.png", (7, 4), 1)
    ds = RenderedSST2(str(tmp_path), split="val")
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [((7, 4), 0), ((6, 4), 1)]
    assert ds.classes == ["negative", "positive"] and repr(ds).endswith("split=val")
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        RenderedSST2(str(tmp_path))  # no train folder


def test_clevr_counts_objects(tmp_path):
    data = tmp_path / "clevr" / "CLEVR_v1.0"
    img(data / "images" / "val" / "CLEVR_val_000001.png", (6, 4), 0)
    img(data / "images" / "val" / "CLEVR_val_000000.png", (7, 4), 1)
    img(data / "images" / "test" / "CLEVR_test_000000.png", (8, 4), 2)
    scenes = {"scenes": [{"image_filename": "CLEVR_val_000000.png", "objects": [{}] * 3},
                         {"image_filename": "CLEVR_val_000001.png", "objects": [{}] * 10}]}
    (data / "scenes").mkdir()
    (data / "scenes" / "CLEVR_val_scenes.json").write_text(json.dumps(scenes))
    ds = CLEVRClassification(str(tmp_path), split="val")
    assert [(ds[i][0].size, ds[i][1]) for i in range(2)] == [((7, 4), 3), ((6, 4), 10)]
    test = CLEVRClassification(str(tmp_path), split="test")
    assert test[0][1] is None and test[0][0].size == (8, 4)


# --------------------------------------------------------------------------------------------
# MovingMNIST, INaturalist
# --------------------------------------------------------------------------------------------


def test_moving_mnist_npy(tmp_path, file_server, monkeypatch):
    seq = np.random.default_rng(4).integers(0, 256, (20, 3, 8, 8), dtype=np.uint8)
    buf = io.BytesIO()
    np.save(buf, seq)
    file_server.files["/mnist_test_seq.npy"] = buf.getvalue()
    monkeypatch.setattr(MovingMNIST, "_URL", file_server.url + "/mnist_test_seq.npy")
    monkeypatch.setattr("embervision.datasets.moving_mnist.download_url",
                        _with_md5(buf.getvalue()))
    full = MovingMNIST(str(tmp_path), download=True)
    assert len(full) == 3 and tuple(full[1].shape) == (20, 1, 8, 8)
    np.testing.assert_array_equal(full[1].numpy()[:, 0], seq[:, 1])
    test = MovingMNIST(str(tmp_path), split="test", split_ratio=15)
    np.testing.assert_array_equal(test[2].numpy()[:, 0], seq[15:, 2])
    assert str(test[0].dtype) == "ember.uint8"
    with pytest.raises(ValueError, match="1 <= split_ratio <= 19"):
        MovingMNIST(str(tmp_path), split_ratio=20)
    with pytest.raises(TypeError, match="should be an integer"):
        MovingMNIST(str(tmp_path), split_ratio=2.5)


def _with_md5(data):
    from embervision.datasets import utils

    def download_url(url, root, filename=None, md5=None):
        assert md5 == "be083ec986bfe91a449d63653c411eb2"  # torchvision's MD5 is passed on
        return utils.download_url(url, root, filename, md5=_md5(data))
    return download_url


def test_inaturalist_2021_taxonomy(tmp_path):
    root = tmp_path / "2021_valid"
    cats = ["00000_Animalia_Chordata_Aves_Passeriformes_Corvidae_Corvus_corax",
            "00001_Animalia_Chordata_Mammalia_Carnivora_Felidae_Felis_catus",
            "00002_Plantae_Tracheophyta_Magnoliopsida_Rosales_Rosaceae_Rosa_canina"]
    for k, cat in enumerate(cats):
        img(root / cat / f"{k}.jpg", (5 + k, 4), k)
    ds = INaturalist(str(tmp_path), version="2021_valid", target_type=["full", "kingdom", "class"])
    assert len(ds) == 3 and ds.root == str(root)
    assert [ds[i][1] for i in range(3)] == [(0, 0, 0), (1, 0, 1), (2, 1, 2)]
    assert ds[2][0].size == (7, 4)
    assert ds.category_name("class", 1) == "Mammalia" and ds.category_name("full", 0) == cats[0]
    with pytest.raises(ValueError, match="Unknown value 'super' for argument target_type"):
        INaturalist(str(tmp_path), version="2021_valid", target_type="super")


def test_inaturalist_pre2021_and_download(tmp_path, file_server, monkeypatch):
    from embervision.datasets import inaturalist

    src = tmp_path / "src" / "train_val2019"
    img(src / "Plants" / "5" / "a.jpg", (5, 4), 0)
    img(src / "Birds" / "0" / "b.jpg", (6, 4), 1)
    for i in (1, 2, 3, 4):
        img(src / ("Birds" if i < 3 else "Plants") / str(i) / "c.jpg", (7, 4), i)
    archive = _tar(_tree(tmp_path / "src"))
    file_server.files["/train_val2019.tar.gz"] = archive
    monkeypatch.setitem(inaturalist.DATASET_URLS, "2019", file_server.url + "/train_val2019.tar.gz")
    monkeypatch.setitem(inaturalist.DATASET_MD5, "2019", _md5(archive))
    ds = INaturalist(str(tmp_path / "r"), version="2019", target_type="super", download=True)
    assert len(ds) == 6 and ds.categories_index["super"] == {"Birds": 0, "Plants": 1}
    assert [ds[i][1] for i in range(6)] == [0, 0, 0, 1, 1, 1]
    assert ds[0][0].size == (6, 4) and ds.category_name("full", 5) == os.path.join("Plants", "5")
    with pytest.raises(RuntimeError, match="already exists"):
        INaturalist(str(tmp_path / "r"), version="2019", download=True)
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        INaturalist(str(tmp_path / "r"), version="2018")
