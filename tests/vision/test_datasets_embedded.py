"""The Fashion-MNIST subset shipped in embervision: counts, labels and checksums as literals."""

from __future__ import annotations

import gzip
import hashlib
import os
from importlib import resources

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import datasets

PACKAGED_SHA256 = {  # the files as generated (see _embedded/README.md)
    "train-images-idx3-ubyte.gz":
        "dbc97073061adfe46b8bf8af6112364d34cf4cf2363dd8191a14d6515e121e6b",
    "train-labels-idx1-ubyte.gz":
        "0b1c9fd85da433904cd8c43816d58e9156256c8dde6e23698c4b9340b0494067",
    "t10k-images-idx3-ubyte.gz":
        "34b6848fb35a59e5287bf485522433dfd8bd017eb126fde6f02e96123c8ff741",
    "t10k-labels-idx1-ubyte.gz":
        "6a1ad38ad7d33240e59f70a44ddce4e9483e573ffad983d287064bd467dcbd4e",
}


@pytest.fixture(scope="module")
def train():
    return datasets.EmbeddedFashionMNIST(train=True)


@pytest.fixture(scope="module")
def test():
    return datasets.EmbeddedFashionMNIST(train=False)


def test_the_packaged_files_are_intact():
    folder = resources.files("embervision.datasets") / "_embedded"
    for name, digest in PACKAGED_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "Zalando SE" in (folder / "LICENSE").read_text()


def test_counts_and_label_range(train, test):
    assert len(train) == 10_000 and len(test) == 2_000
    assert tuple(train.data.shape) == (10_000, 28, 28) and train.data.dtype == ember.uint8
    assert train.targets.dtype == ember.int64
    assert np.bincount(train.targets.numpy()).tolist() == [942, 1027, 1016, 1019, 974, 989,
                                                           1021, 1022, 990, 1000]
    assert np.bincount(test.targets.numpy()).tolist() == [200, 203, 214, 190, 219, 195, 197,
                                                          200, 194, 188]


def test_first_images_and_labels_literal(train, test):
    first = train.data.numpy()[0]
    assert hashlib.sha256(first.tobytes()).hexdigest() == (
        "5bd44e331a6d6998daf675700cd0c13dcd7af8ab954b7585124124da61459e7b")
    assert int(first.sum(dtype=np.int64)) == 76247
    assert int(train.data.numpy().sum(dtype=np.int64)) == 572388787
    assert hashlib.sha256(test.data.numpy()[0].tobytes()).hexdigest() == (
        "ffc7351ed0f8bae542820866086177fa4e0b366b97bf9d998dffdb8dbe138787")
    assert train.targets.tolist()[:10] == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert test.targets.tolist()[:10] == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]


def test_same_interface_as_fashion_mnist(train, test):
    assert isinstance(train, datasets.FashionMNIST)
    assert train.classes == datasets.FashionMNIST.classes
    assert train.class_to_idx["Ankle boot"] == 9
    img, target = test[0]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert target == 9 and test.classes[target] == "Ankle boot"
    np.testing.assert_array_equal(np.asarray(img), test.data.numpy()[0])
    assert repr(test).splitlines() == ["Dataset EmbeddedFashionMNIST",
                                       "    Number of datapoints: 2000", "    Split: Test"]
    train.download()  # nothing to do, no error


def test_transforms_and_a_data_loader(test):
    ds = datasets.EmbeddedFashionMNIST(
        root="~/anything", train=False,
        transform=lambda img: ember.tensor(np.asarray(img, np.float32) / 255).unsqueeze(0),
        target_transform=lambda t: t)
    assert ds.root == os.path.expanduser("~/anything")
    loader = ember.utils.data.DataLoader(ds, batch_size=64)
    x, y = next(iter(loader))
    assert tuple(x.shape) == (64, 1, 28, 28) and x.dtype == ember.float32
    assert y.tolist() == test.targets.tolist()[:64]


_DEBIAN = "/usr/share/datasets/fashion-mnist"


@pytest.mark.skipif(not os.path.isdir(_DEBIAN), reason="Debian dataset-fashion-mnist not installed")
def test_the_subset_is_the_head_of_the_real_dataset(train, test):
    for ds, prefix in ((train, "train"), (test, "t10k")):
        n = len(ds)
        with gzip.open(f"{_DEBIAN}/{prefix}-images-idx3-ubyte.gz") as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16)[: n * 784].reshape(n, 28, 28)
        with gzip.open(f"{_DEBIAN}/{prefix}-labels-idx1-ubyte.gz") as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
        np.testing.assert_array_equal(ds.data.numpy(), images)
        np.testing.assert_array_equal(ds.targets.numpy(), labels)
