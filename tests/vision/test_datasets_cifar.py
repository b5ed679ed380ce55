"""CIFAR10 / CIFAR100 on fake batches in the real layout (protocol-2 pickles of dicts)."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from test_datasets_base import DatasetTestCase, cifar_rows, random_images, write_pickle

from embervision import datasets


class TestCIFAR10(DatasetTestCase):
    DATASET_CLASS = datasets.CIFAR10
    CONFIGS = ({"train": True}, {"train": False})
    REQUIRED_ATTRS = ("data", "targets", "classes", "class_to_idx")
    BATCH_SIZES = (2, 3, 1, 2, 2)
    NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]

    def inject_fake_data(self, root, config):
        folder = os.path.join(root, "cifar-10-batches-py")
        rng = np.random.default_rng(0)
        out = {}
        for i, n in enumerate(self.BATCH_SIZES + (3,)):
            name = f"data_batch_{i + 1}" if i < 5 else "test_batch"
            images = random_images(rng, n, (32, 32, 3))
            labels = rng.integers(0, 10, n).tolist()
            write_pickle(os.path.join(folder, name), {
                "batch_label": f"training batch {i + 1} of 5", "labels": labels,
                "data": cifar_rows(images), "filenames": [f"img_{j}.png" for j in range(n)]})
            out.setdefault(name == "test_batch", []).append((images, labels))
        write_pickle(os.path.join(folder, "batches.meta"),
                     {"num_cases_per_batch": 10000, "label_names": self.NAMES, "num_vis": 3072})
        parts = out[not config["train"]]
        return dict(images=np.concatenate([p[0] for p in parts]),
                    targets=[t for p in parts for t in p[1]])

    def test_data_layout_and_classes(self, tmp_path, config):
        info, ds = self.expected(tmp_path, config)
        assert ds.data.shape == (len(info["images"]), 32, 32, 3) and ds.data.dtype == np.uint8
        assert ds.classes == self.NAMES and ds.class_to_idx["truck"] == 9
        assert isinstance(ds.targets, list)
        assert ds[0][0].mode == "RGB"

    def test_missing_meta_file(self, tmp_path, config):
        self.inject_fake_data(str(tmp_path), config)
        meta = tmp_path / "cifar-10-batches-py" / "batches.meta"
        meta.unlink()
        with pytest.raises(RuntimeError, match=f"Dataset metadata file not found at {meta}"):
            self.make(tmp_path, config)


class TestCIFAR100(DatasetTestCase):
    DATASET_CLASS = datasets.CIFAR100
    CONFIGS = ({"train": True}, {"train": False})
    REQUIRED_ATTRS = ("data", "targets", "classes", "class_to_idx")

    def inject_fake_data(self, root, config):
        folder = os.path.join(root, "cifar-100-python")
        rng = np.random.default_rng(1)
        out = {}
        for name, n in (("train", 4), ("test", 3)):
            images = random_images(rng, n, (32, 32, 3))
            fine = rng.integers(0, 100, n).tolist()
            write_pickle(os.path.join(folder, name), {
                "filenames": ["x"] * n, "batch_label": name, "fine_labels": fine,
                "coarse_labels": [f // 5 for f in fine], "data": cifar_rows(images)})
            out[name] = dict(images=images, targets=fine)
        write_pickle(os.path.join(folder, "meta"), {
            "fine_label_names": [f"fine{i}" for i in range(100)],
            "coarse_label_names": [f"coarse{i}" for i in range(20)]})
        return out["train" if config["train"] else "test"]

    def test_fine_classes(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        assert len(ds.classes) == 100 and ds.classes[42] == "fine42"


class _Evil:
    """Unpickles as a call to os.remove(sentinel): must be refused, never run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.remove, (self.path,))


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    TestCIFAR10().inject_fake_data(str(tmp_path), {"train": False})
    sentinel = tmp_path / "sentinel"
    sentinel.write_text("still here")
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    with open(batch, "wb") as f:
        pickle.dump({"data": _Evil(str(sentinel)), "labels": []}, f, protocol=2)
    with pytest.raises(RuntimeError, match="CIFAR: cannot read .*test_batch: .*refusing to load "
                                           "'posix.remove'"):
        datasets.CIFAR10(str(tmp_path), train=False)
    assert sentinel.read_text() == "still here"


def test_a_batch_with_wrong_shapes_names_the_file(tmp_path):
    TestCIFAR10().inject_fake_data(str(tmp_path), {"train": False})
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    write_pickle(str(batch), {"data": np.zeros((2, 100), np.uint8), "labels": [1, 2]})
    with pytest.raises(RuntimeError) as info:
        datasets.CIFAR10(str(tmp_path), train=False)
    assert str(info.value) == (f"CIFAR: {batch} is not a CIFAR batch: expected 'data' uint8 "
                               f"(N, 3072) and N labels, got data (2, 100) and 2 labels")


def test_a_truncated_batch_names_the_file(tmp_path):
    TestCIFAR10().inject_fake_data(str(tmp_path), {"train": False})
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(batch.read_bytes()[:500])
    with pytest.raises(RuntimeError, match=f"CIFAR: cannot read {batch}: .*truncated"):
        datasets.CIFAR10(str(tmp_path), train=False)


def test_not_a_dict(tmp_path):
    TestCIFAR10().inject_fake_data(str(tmp_path), {"train": False})
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    write_pickle(str(batch), [1, 2, 3])
    with pytest.raises(RuntimeError, match="is not a CIFAR batch: it holds a list, not a dict"):
        datasets.CIFAR10(str(tmp_path), train=False)
