"""MNIST, FashionMNIST, KMNIST, EMNIST on fake IDX files (raw and gzip) in the real layout."""

from __future__ import annotations

import gzip
import os
import string
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_datasets_base import DatasetTestCase, random_images, write_idx

import ember
from embervision import datasets
from embervision.datasets.mnist import (
    read_image_file,
    read_label_file,
    read_sn3_pascalvincent_tensor,
)


def _write_mnist_split(raw, prefix, n, seed, compress, num_classes=10, shape=(28, 28)):
    rng = np.random.default_rng(seed)
    images = random_images(rng, n, shape)
    labels = rng.integers(0, num_classes, n).astype(np.uint8)
    write_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), images, compress)
    write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), labels, compress)
    return dict(images=images, targets=labels.tolist())


class _MNISTFamily(DatasetTestCase):
    CONFIGS = ({"train": True}, {"train": False})
    REQUIRED_ATTRS = ("data", "targets", "classes", "class_to_idx")

    def inject_fake_data(self, root, config):
        raw = os.path.join(root, self.DATASET_CLASS.__name__, "raw")
        # Training files raw, test files gzip: both forms are read.
        train = _write_mnist_split(raw, "train", 5, 0, compress=False)
        test = _write_mnist_split(raw, "t10k", 3, 1, compress=True)
        return train if config["train"] else test

    def test_data_and_targets_are_tensors(self, tmp_path, config):
        info, ds = self.expected(tmp_path, config)
        assert isinstance(ds.data, ember.Tensor) and ds.data.dtype == ember.uint8
        assert tuple(ds.data.shape) == (len(info["images"]), 28, 28)
        assert isinstance(ds.targets, ember.Tensor) and ds.targets.dtype == ember.int64
        assert ds.targets.tolist() == info["targets"]

    def test_image_mode_and_split_repr(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        assert ds[0][0].mode == "L" and ds[0][0].size == (28, 28)
        assert repr(ds).endswith("Split: Train" if config["train"] else "Split: Test")


class TestMNIST(_MNISTFamily):
    DATASET_CLASS = datasets.MNIST

    def test_classes(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        assert ds.classes[0] == "0 - zero" and ds.classes[9] == "9 - nine"
        assert ds.class_to_idx["7 - seven"] == 7

    def test_not_found_message_names_the_raw_folder(self, tmp_path, config):
        with pytest.raises(RuntimeError) as info:
            datasets.MNIST(str(tmp_path), **config)
        assert str(info.value) == (f"Dataset not found at {tmp_path}/MNIST/raw. You can use "
                                   f"download=True to download it")


class TestFashionMNIST(_MNISTFamily):
    DATASET_CLASS = datasets.FashionMNIST

    def test_classes(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        assert ds.classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                              "Shirt", "Sneaker", "Bag", "Ankle boot"]


class TestKMNIST(_MNISTFamily):
    DATASET_CLASS = datasets.KMNIST

    def test_classes(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        assert ds.classes == ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class TestEMNIST(DatasetTestCase):
    DATASET_CLASS = datasets.EMNIST
    CONFIGS = ({"split": "letters", "train": True}, {"split": "balanced", "train": False},
               {"split": "byclass", "train": True})
    REQUIRED_ATTRS = ("data", "targets", "classes", "class_to_idx")

    def inject_fake_data(self, root, config):
        raw = os.path.join(root, "EMNIST", "raw")
        part = "train" if config["train"] else "test"
        num_classes = len(datasets.EMNIST.classes_split_dict[config["split"]])
        return _write_mnist_split(raw, f"emnist-{config['split']}-{part}", 4, 2, compress=True,
                                  num_classes=num_classes)

    def test_classes_per_split(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        expected = {
            "letters": ["N/A"] + list(string.ascii_lowercase),
            "balanced": sorted(set(string.digits + string.ascii_letters)
                               - set("cijklmopsuvwxyz")),
            "byclass": sorted(string.digits + string.ascii_letters),
        }[config["split"]]
        assert ds.classes == expected
        assert len(ds.classes) == {"letters": 27, "balanced": 47, "byclass": 62}[config["split"]]

    def test_bad_split(self, tmp_path):
        with pytest.raises(ValueError) as info:
            datasets.EMNIST(str(tmp_path), split="nope")
        assert str(info.value) == ("Unknown value 'nope' for argument split. Valid values are "
                                   "{'byclass', 'bymerge', 'balanced', 'letters', 'digits', "
                                   "'mnist'}.")


# -------------------------------------------------------------------------------------------
# The IDX reader
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_reader_reads_every_element_type_big_endian(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) * (-1 if dtype != np.uint8 else 1) * 3).astype(dtype)
    path = write_idx(tmp_path / "x-idx3", array, compress=dtype == np.int32)
    t = read_sn3_pascalvincent_tensor(str(tmp_path / "x-idx3"))
    assert t.dtype == ember.from_numpy(np.zeros(1, dtype)).dtype
    np.testing.assert_array_equal(t.numpy(), array)
    assert path.endswith(".gz") == (dtype == np.int32)


@settings(max_examples=40, deadline=None)
@given(array=hnp.arrays(st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32,
                                         np.float64]),
                        hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)),
       compress=st.booleans())
def test_idx_round_trip_property(array, compress):
    with tempfile.TemporaryDirectory() as folder:
        write_idx(os.path.join(folder, "x"), array, compress)
        got = read_sn3_pascalvincent_tensor(os.path.join(folder, "x")).numpy()
    assert got.shape == array.shape and got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)  # NaNs compare equal here


def test_idx_reader_recognises_gzip_by_content(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(gzip.compress(bytes.fromhex("00000801 00000003") + bytes([4, 5, 6])))
    assert read_label_file(str(path)).tolist() == [4, 5, 6]


def test_bad_magic_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(RuntimeError, match="is not an IDX file: magic number 0x3c68746d") as info:
        read_image_file(str(path))
    assert str(path) in str(info.value)


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "imgs"
    array = np.zeros((4, 28, 28), np.uint8)
    write_idx(path, array)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(RuntimeError) as info:
        read_image_file(str(path))
    assert str(info.value) == (f"{path} is truncated: its IDX header declares shape (4, 28, 28) "
                               f"(3136 bytes of uint8) but 3036 bytes follow; delete it and "
                               f"download again")


def test_damaged_gzip_names_the_file(tmp_path):
    path = tmp_path / "imgs.gz"
    whole = gzip.compress(bytes.fromhex("00000803 00000010 0000001c 0000001c") + os.urandom(12544))
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RuntimeError, match="is a damaged gzip file") as info:
        read_image_file(str(tmp_path / "imgs"))
    assert str(path) in str(info.value)


def test_labels_file_where_images_are_expected(tmp_path):
    write_idx(tmp_path / "x", np.zeros(5, np.uint8))
    with pytest.raises(RuntimeError, match=r"expected an IDX file of images \(uint8, 3 "
                                           r"dimensions\), got uint8 with shape \(5,\)"):
        read_image_file(str(tmp_path / "x"))


def test_missing_idx_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="IDX file not found"):
        read_sn3_pascalvincent_tensor(str(tmp_path / "none"))


def test_image_and_label_counts_must_agree(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    _write_mnist_split(str(raw), "train", 5, 0, compress=False)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"")
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(RuntimeError, match="MNIST: 5 images but 4 labels in"):
        datasets.MNIST(str(tmp_path))


def test_mnist_reads_data_laid_out_by_torchvision_with_both_raw_and_gz(tmp_path):
    # torchvision leaves both the .gz and the decompressed file in raw/: the raw one is used.
    raw = str(tmp_path / "MNIST" / "raw")
    info = _write_mnist_split(raw, "train", 2, 3, compress=False)
    _write_mnist_split(raw, "train", 2, 4, compress=True)
    _write_mnist_split(raw, "t10k", 1, 5, compress=True)
    ds = datasets.MNIST(str(tmp_path))
    np.testing.assert_array_equal(ds.data.numpy(), info["images"])


def test_iterating_stops_at_the_end(tmp_path):
    raw = str(tmp_path / "MNIST" / "raw")
    _write_mnist_split(raw, "train", 3, 0, compress=False)
    _write_mnist_split(raw, "t10k", 1, 1, compress=False)
    assert len(list(datasets.MNIST(str(tmp_path)))) == 3
    assert isinstance(datasets.MNIST(str(tmp_path)), ember.utils.data.Dataset)
