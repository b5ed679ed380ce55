"""STL10 on fake binaries in the real layout (channels column-major, labels 1-10)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_datasets_base import DatasetTestCase, random_images, stl10_bytes

from embervision import datasets

CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
FOLDS = [[3, 0], [1], [4, 2], [0], [1], [2], [3], [4], [0, 1, 2], [4]]


def write_stl10(root, seed=0, n_train=5, n_test=3, n_unlabeled=2):
    folder = os.path.join(root, "stl10_binary")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test), ("unlabeled", n_unlabeled)):
        images = random_images(rng, n, (96, 96, 3))
        with open(os.path.join(folder, f"{split}_X.bin"), "wb") as f:
            f.write(stl10_bytes(images))
        labels = rng.integers(0, 10, n)
        if split != "unlabeled":
            with open(os.path.join(folder, f"{split}_y.bin"), "wb") as f:
                f.write((labels + 1).astype(np.uint8).tobytes())  # stored 1-based
        out[split] = (images, labels.tolist() if split != "unlabeled" else [-1] * n)
    with open(os.path.join(folder, "class_names.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    with open(os.path.join(folder, "fold_indices.txt"), "w") as f:
        f.write("\n".join(" ".join(map(str, fold)) + " " for fold in FOLDS) + "\n")
    return out


class TestSTL10(DatasetTestCase):
    DATASET_CLASS = datasets.STL10
    CONFIGS = ({"split": "train"}, {"split": "test"}, {"split": "unlabeled"},
               {"split": "train+unlabeled"}, {"split": "train", "folds": 2},
               {"split": "train+unlabeled", "folds": 8})
    REQUIRED_ATTRS = ("data", "labels", "classes")

    def inject_fake_data(self, root, config):
        parts = write_stl10(root)
        split, folds = config["split"], config.get("folds")
        images, targets = parts["train"] if split.startswith("train") else parts[split]
        if folds is not None:
            images, targets = images[FOLDS[folds]], [targets[i] for i in FOLDS[folds]]
        if split == "train+unlabeled":
            images = np.concatenate([images, parts["unlabeled"][0]])
            targets = targets + parts["unlabeled"][1]
        return dict(images=images, targets=targets)

    def test_layout(self, tmp_path, config):
        info, ds = self.expected(tmp_path, config)
        assert ds.data.shape == (len(info["images"]), 3, 96, 96) and ds.data.dtype == np.uint8
        assert ds.classes == CLASSES
        assert ds.labels.tolist() == info["targets"]


def test_unlabeled_targets_are_minus_one(tmp_path):
    write_stl10(str(tmp_path))
    ds = datasets.STL10(str(tmp_path), split="unlabeled")
    assert [ds[i][1] for i in range(len(ds))] == [-1, -1]


@pytest.mark.parametrize("folds, message", [
    (10, "Value for argument folds should be in the range [0, 10), but got 10."),
    (-1, "Value for argument folds should be in the range [0, 10), but got -1."),
    ("1", "Expected type None or int for argument folds, but got type <class 'str'>."),
])
def test_bad_folds(tmp_path, folds, message):
    with pytest.raises(ValueError) as info:
        datasets.STL10(str(tmp_path), folds=folds)
    assert str(info.value) == message


def test_bad_split(tmp_path):
    with pytest.raises(ValueError, match="Unknown value 'val' for argument split. Valid values "
                                         "are {'train', 'train\\+unlabeled', 'unlabeled', "
                                         "'test'}."):
        datasets.STL10(str(tmp_path), split="val")


def test_truncated_images_file_names_it(tmp_path):
    write_stl10(str(tmp_path))
    path = tmp_path / "stl10_binary" / "test_X.bin"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(RuntimeError) as info:
        datasets.STL10(str(tmp_path), split="test")
    assert str(info.value) == (f"STL10: {path} holds {3 * 27648 - 7} bytes, not a multiple of "
                               f"one image (3 x 96 x 96 = 27648): it is truncated or not an "
                               f"STL-10 file")


def test_label_count_mismatch_names_the_file(tmp_path):
    write_stl10(str(tmp_path))
    path = tmp_path / "stl10_binary" / "test_y.bin"
    path.write_bytes(bytes([1, 2]))
    with pytest.raises(RuntimeError, match=f"STL10: {path} holds 2 labels for 3 images"):
        datasets.STL10(str(tmp_path), split="test")


def test_classes_absent_without_class_names_file(tmp_path):
    write_stl10(str(tmp_path))
    os.remove(tmp_path / "stl10_binary" / "class_names.txt")
    assert not hasattr(datasets.STL10(str(tmp_path), split="test"), "classes")  # torchvision's
