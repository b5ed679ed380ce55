"""ImageFolder / DatasetFolder on real folder trees, and FakeData."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError
from test_datasets_base import DatasetTestCase, random_images

from embervision import datasets
from embervision.datasets.folder import (
    IMG_EXTENSIONS,
    find_classes,
    has_file_allowed_extension,
    make_dataset,
    pil_loader,
)

# class -> files (relative); non-image files and an image in a nested folder included.
TREE = {
    "cat": ["b.png", "a.PNG", "nested/c.png", "notes.txt"],
    "dog": ["z.bmp", "y.png"],
    "emu": ["k.png"],
}


def make_tree(root, seed=0):
    """Write TREE under root with random lossless images; return (path, class, HWC image)."""
    rng = np.random.default_rng(seed)
    written = []
    for idx, (cls, files) in enumerate(sorted(TREE.items())):
        for rel in files:
            path = os.path.join(root, cls, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if rel.endswith(".txt"):
                with open(path, "w") as f:
                    f.write("not an image")
                continue
            img = random_images(rng, 1, (6, 5, 3))[0]
            Image.fromarray(img).save(path, format="BMP" if rel.endswith(".bmp") else "PNG")
            written.append((path, idx, img))
    # torchvision's order: per class, os.walk top-down (sorted), file names sorted
    order = {"cat": ["a.PNG", "b.png", "nested/c.png"], "dog": ["y.png", "z.bmp"],
             "emu": ["k.png"]}
    by_path = {p: (t, im) for p, t, im in written}
    return [(os.path.join(root, c, rel), *by_path[os.path.join(root, c, rel)])
            for c in sorted(order) for rel in order[c]]


class TestImageFolder(DatasetTestCase):
    DATASET_CLASS = datasets.ImageFolder
    REQUIRED_ATTRS = ("classes", "class_to_idx", "samples", "targets", "imgs")
    test_missing_files_are_reported_with_the_folder = None  # no download: see below

    def inject_fake_data(self, root, config):
        entries = make_tree(root)
        return dict(images=[im for _, _, im in entries], targets=[t for _, t, _ in entries],
                    paths=[p for p, _, _ in entries])

    def test_samples_classes_and_order(self, tmp_path, config):
        info, ds = self.expected(tmp_path, config)
        assert ds.classes == ["cat", "dog", "emu"]
        assert ds.class_to_idx == {"cat": 0, "dog": 1, "emu": 2}
        assert ds.samples == list(zip(info["paths"], info["targets"]))
        assert ds.imgs is ds.samples and ds.targets == [0, 0, 0, 1, 1, 2]


def test_is_valid_file_replaces_extensions(tmp_path):
    make_tree(str(tmp_path))
    ds = datasets.ImageFolder(str(tmp_path), is_valid_file=lambda p: p.endswith(".png"),
                              allow_empty=True)
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == [
        "cat/b.png", "cat/nested/c.png", "dog/y.png", "emu/k.png"]


def test_empty_class_folder(tmp_path):
    make_tree(str(tmp_path))
    os.makedirs(tmp_path / "fox")
    (tmp_path / "fox" / "readme.md").write_text("x")
    with pytest.raises(FileNotFoundError) as info:
        datasets.ImageFolder(str(tmp_path))
    assert str(info.value) == ("Found no valid file for the classes fox. Supported extensions "
                               "are: " + ", ".join(IMG_EXTENSIONS))
    ds = datasets.ImageFolder(str(tmp_path), allow_empty=True)
    assert ds.classes == ["cat", "dog", "emu", "fox"] and len(ds) == 6


def test_no_class_folder(tmp_path):
    (tmp_path / "loose.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=f"Couldn't find any class folder in {tmp_path}."):
        datasets.ImageFolder(str(tmp_path))


def test_make_dataset_argument_errors(tmp_path):
    make_tree(str(tmp_path))
    message = "Both extensions and is_valid_file cannot be None or not None at the same time"
    with pytest.raises(ValueError, match=message):
        make_dataset(str(tmp_path), extensions=None, is_valid_file=None)
    with pytest.raises(ValueError, match=message):
        make_dataset(str(tmp_path), extensions=".png", is_valid_file=lambda p: True)
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        make_dataset(str(tmp_path), class_to_idx={}, extensions=".png")
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None."):
        datasets.DatasetFolder.make_dataset(str(tmp_path), None, extensions=".png")
    # a single-string extension, and class_to_idx restricting the classes
    samples = make_dataset(str(tmp_path), {"dog": 7}, extensions=".bmp")
    assert samples == [(os.path.join(tmp_path, "dog", "z.bmp"), 7)]


def test_find_classes_and_extension_helpers(tmp_path):
    make_tree(str(tmp_path))
    (tmp_path / "file_at_top.png").write_bytes(b"")
    assert find_classes(str(tmp_path)) == (["cat", "dog", "emu"],
                                           {"cat": 0, "dog": 1, "emu": 2})
    assert has_file_allowed_extension("A.JPEG", (".jpeg",))
    assert has_file_allowed_extension("a.npy", ".npy") and not has_file_allowed_extension(
        "a.npy.bak", ".npy")
    assert datasets.folder.is_image_file("x.webp") and not datasets.folder.is_image_file("x.gif")


def test_dataset_folder_with_a_custom_loader(tmp_path):
    for cls, values in (("neg", [-1.0, -2.0]), ("pos", [3.0])):
        os.makedirs(tmp_path / cls)
        for i, v in enumerate(values):
            np.save(tmp_path / cls / f"{i}.npy", np.full(3, v))
    ds = datasets.DatasetFolder(str(tmp_path), loader=np.load, extensions=(".npy",))
    assert len(ds) == 3 and ds.extensions == (".npy",)
    sample, target = ds[2]
    np.testing.assert_array_equal(sample, [3.0, 3.0, 3.0])
    assert target == 1


def test_find_classes_can_be_overridden(tmp_path):
    make_tree(str(tmp_path))

    class OnlyDogs(datasets.ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}

    ds = OnlyDogs(str(tmp_path))
    assert ds.classes == ["dog"] and len(ds) == 2 and ds.targets == [0, 0]


def test_corrupt_image_names_the_file(tmp_path):
    make_tree(str(tmp_path))
    bad = tmp_path / "cat" / "a.PNG"
    bad.write_bytes(b"this is not a png at all")
    ds = datasets.ImageFolder(str(tmp_path))
    with pytest.raises(UnidentifiedImageError, match=f"cannot identify image file {bad}"):
        ds[0]


def test_truncated_image_names_the_file(tmp_path):
    rng = np.random.default_rng(1)
    os.makedirs(tmp_path / "c")
    path = tmp_path / "c" / "big.png"
    Image.fromarray(random_images(rng, 1, (64, 64, 3))[0]).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    ds = datasets.ImageFolder(str(tmp_path))
    with pytest.raises(OSError, match=f"cannot load image file {path}: "):
        ds[0]


def test_pil_loader_converts_to_rgb(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray).save(tmp_path / "g.png")
    img = pil_loader(str(tmp_path / "g.png"))
    assert img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), np.repeat(gray[:, :, None], 3, axis=2))


# -------------------------------------------------------------------------------------------
# FakeData
# -------------------------------------------------------------------------------------------


def test_fakedata_is_deterministic_per_index_and_leaves_global_rng_alone():
    ds = datasets.FakeData(size=6, image_size=(3, 8, 10), num_classes=4)
    state = np.random.get_state()[1].copy()
    a = [ds[i] for i in range(6)]
    b = [ds[i] for i in reversed(range(6))][::-1]
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    for (img1, t1), (img2, t2) in zip(a, b):
        assert img1.mode == "RGB" and img1.size == (10, 8)
        np.testing.assert_array_equal(np.asarray(img1), np.asarray(img2))
        assert t1 == t2 and type(t1) is int and 0 <= t1 < 4
    assert not np.array_equal(np.asarray(a[0][0]), np.asarray(a[1][0]))
    # the image for index i is the one seeded with i + random_offset
    shifted = datasets.FakeData(size=6, image_size=(3, 8, 10), num_classes=4, random_offset=2)
    np.testing.assert_array_equal(np.asarray(shifted[0][0]), np.asarray(a[2][0]))
    assert len(ds) == 6 and ds[-1][1] == a[5][1]


def test_fakedata_modes_range_and_errors():
    assert datasets.FakeData(2, (1, 4, 4))[0][0].mode == "L"
    assert datasets.FakeData(2, (4, 4, 4))[0][0].mode == "RGBA"
    targets = {datasets.FakeData(200, (1, 2, 2), num_classes=3)[i][1] for i in range(200)}
    assert targets == {0, 1, 2}
    with pytest.raises(IndexError, match="FakeData index out of range"):
        datasets.FakeData(size=3)[3]
    with pytest.raises(ValueError, match="image_size must be \\(channels, height, width\\)"):
        datasets.FakeData(image_size=(2, 4, 4))
    ds = datasets.FakeData(3, (1, 2, 2), transform=lambda im: im.size,
                           target_transform=lambda t: -t - 1)
    assert ds[0][0] == (2, 2) and ds[0][1] < 0
    assert repr(ds).splitlines() == ["Dataset FakeData", "    Number of datapoints: 3",
                                     "    StandardTransform",
                                     f"Transform: {ds.transform!r}",
                                     f"Target transform: {ds.target_transform!r}"]
