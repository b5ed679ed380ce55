"""CIFAR-10 and CIFAR-100, read from the python-version batches.

Each batch file is a (Python 2) pickle of a dict: ``'data'``, a uint8 array (N, 3072) whose
rows are the red, green and blue 32x32 planes one after another; ``'labels'`` (CIFAR-10) or
``'fine_labels'``/``'coarse_labels'`` (CIFAR-100), lists of ints. The pickles are read with
:func:`ember._torch_format.load_pickle`, a restricted unpickler that builds only containers,
numbers, strings and NumPy arrays, so a tampered batch file cannot run code (torchvision uses
plain ``pickle.load``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from ember._torch_format import load_pickle

from .utils import _dataset_not_found, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


def _load_batch(path: str) -> dict:
    with open(path, "rb") as f:
        try:
            entry = load_pickle(f, path, encoding="latin1")
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise RuntimeError(f"CIFAR: cannot read {path}: {exc}") from exc
    if not isinstance(entry, dict):
        raise RuntimeError(f"CIFAR: {path} is not a CIFAR batch: it holds a "
                           f"{type(entry).__name__}, not a dict")
    return entry


class CIFAR10(VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 32x32 colour images in 10
    classes, 50k train (5 batches), 10k test.

    Args:
        root: folder holding ``cifar-10-batches-py`` (or where it is extracted to).
        train: the training set (True) or the test set.
        transform: applied to the PIL image (mode ``'RGB'``).
        target_transform: applied to the int target.
        download: download ``cifar-10-python.tar.gz`` (MD5-checked, through :mod:`ember.hub`)
            and extract it when the batches are not there yet.

    Attributes:
        data: uint8 NumPy array (N, 32, 32, 3), HWC. targets: list of ints.
        classes: names from ``batches.meta``; class_to_idx: name -> index.

    Example:
        >>> ds = CIFAR10("data", train=False, download=True)
        >>> img, target = ds[0]   # PIL.Image 32x32 RGB, int
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }

    def __init__(self, root, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise _dataset_not_found(os.path.join(self.root, self.base_folder))
        batches = self.train_list if self.train else self.test_list
        data, self.targets = [], []
        for file_name, _ in batches:
            path = os.path.join(self.root, self.base_folder, file_name)
            entry = _load_batch(path)
            images = entry.get("data")
            labels = entry["labels"] if "labels" in entry else entry.get("fine_labels")
            if (not isinstance(images, np.ndarray) or images.dtype != np.uint8
                    or images.ndim != 2 or images.shape[1] != 3 * 32 * 32 or labels is None
                    or len(labels) != len(images)):
                shape = getattr(images, "shape", None)
                raise RuntimeError(
                    f"CIFAR: {path} is not a CIFAR batch: expected 'data' uint8 (N, 3072) and "
                    f"N labels, got data {shape} and {None if labels is None else len(labels)} "
                    f"labels"
                )
            data.append(images)
            self.targets.extend(int(t) for t in labels)
        # rows are [R plane | G plane | B plane] of 32x32: -> (N, 3, 32, 32) -> HWC; made
        # contiguous once here so every __getitem__ hands PIL a plain buffer.
        images = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.data = np.ascontiguousarray(images)
        self._load_meta()

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not os.path.isfile(path):
            raise RuntimeError(f"Dataset metadata file not found at {path}. You can use "
                               f"download=True to download it")
        entry = _load_batch(path)
        self.classes = entry[self.meta["key"]]
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a 32x32 RGB PIL image and the class index."""
        img, target = self.data[index], self.targets[index]
        img = Image.fromarray(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        # Presence only; MD5s are checked on download (see MNIST._check_exists for why).
        files = self.train_list + self.test_list
        return all(os.path.isfile(os.path.join(self.root, self.base_folder, name))
                   for name, _ in files)

    def download(self) -> None:
        """Download and extract the archive unless the batches are already there."""
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def extra_repr(self) -> str:
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: as :class:`CIFAR10` with
    100 fine classes (targets are the ``fine_labels``; names from ``meta``)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [
        ["train", "16019d7e3df5f24257cddd939b257f8d"],
    ]
    test_list = [
        ["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"],
    ]
    meta = {
        "filename": "meta",
        "key": "fine_label_names",
        "md5": "7973b15100ade9c7d40fb424638fde48",
    }
