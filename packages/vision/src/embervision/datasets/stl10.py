"""STL-10: 96x96 colour images in 10 classes, plus 100k unlabeled ones, from the binary files.

``*_X.bin`` holds the images one after another, each 3 x 96 x 96 uint8 with every channel
stored column-major (MATLAB's order), so a channel reads transposed: (N, 3, 96, 96) then swap
the last two axes. ``*_y.bin`` holds one uint8 label per image, 1 to 10.
``fold_indices.txt`` has 10 lines of space-separated training-image indices (the 1k-image
folds of the standard protocol); ``class_names.txt`` one class name per line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["STL10"]

_IMAGE_BYTES = 3 * 96 * 96


class STL10(VisionDataset):
    """`STL10 <https://cs.stanford.edu/~acoates/stl10/>`_ dataset.

    Args:
        root: folder holding ``stl10_binary``.
        split: ``'train'``, ``'train+unlabeled'``, ``'unlabeled'`` or ``'test'``.
        folds: one of the 10 predefined training folds (0-9) of 1k images, or None for all 5k.
        transform: applied to the PIL image (mode ``'RGB'``).
        target_transform: applied to the int target (``-1`` for unlabeled images).
        download: download and extract ``stl10_binary.tar.gz`` (MD5-checked).

    Attributes:
        data: uint8 NumPy array (N, 3, 96, 96). labels: NumPy array (N,), ``-1`` if unlabeled.
        classes: from ``class_names.txt`` when present.
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [
        ["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
        ["train_y.bin", "5a34089d4802c674881badbb80307741"],
        ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"],
    ]
    test_list = [
        ["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
        ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"],
    ]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root, split: str = "train", folds: int | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", self.splits)
        self.folds = self._verify_folds(folds)
        if download:
            self.download()
        elif not self._check_integrity():
            raise _dataset_not_found(os.path.join(self.root, self.base_folder))

        if self.split == "train":
            self.data, self.labels = self.__loadfile(self.train_list[0][0], self.train_list[1][0])
            self.__load_folds(folds)
        elif self.split == "train+unlabeled":
            self.data, self.labels = self.__loadfile(self.train_list[0][0], self.train_list[1][0])
            self.__load_folds(folds)
            unlabeled_data, _ = self.__loadfile(self.train_list[2][0])
            self.data = np.concatenate((self.data, unlabeled_data))
            self.labels = np.concatenate((self.labels, np.full(len(unlabeled_data), -1)))
        elif self.split == "unlabeled":
            self.data, _ = self.__loadfile(self.train_list[2][0])
            self.labels = np.full(len(self.data), -1)
        else:  # test
            self.data, self.labels = self.__loadfile(self.test_list[0][0], self.test_list[1][0])

        class_file = os.path.join(self.root, self.base_folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file) as f:
                self.classes = f.read().splitlines()

    def _verify_folds(self, folds):
        if folds is None:
            return folds
        if isinstance(folds, int) and not isinstance(folds, bool):
            if folds in range(10):
                return folds
            raise ValueError(f"Value for argument folds should be in the range [0, 10), but got "
                             f"{folds}.")
        raise ValueError(f"Expected type None or int for argument folds, but got type "
                         f"{type(folds)}.")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a 96x96 RGB PIL image and the class (-1: unlabeled)."""
        target: int | None
        if self.labels is not None:
            img, target = self.data[index], int(self.labels[index])
        else:
            img, target = self.data[index], None
        img = Image.fromarray(np.transpose(img, (1, 2, 0)))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.data.shape[0]

    def __loadfile(self, data_file: str, labels_file: str | None = None):
        labels = None
        folder = os.path.join(self.root, self.base_folder)
        path_to_data = os.path.join(folder, data_file)
        everything = np.fromfile(path_to_data, dtype=np.uint8)
        if everything.size % _IMAGE_BYTES:
            raise RuntimeError(f"STL10: {path_to_data} holds {everything.size} bytes, not a "
                               f"multiple of one image (3 x 96 x 96 = {_IMAGE_BYTES}): it is "
                               f"truncated or not an STL-10 file")
        # Each channel is column-major: read it as (3, 96, 96) and swap rows and columns.
        images = np.transpose(everything.reshape(-1, 3, 96, 96), (0, 1, 3, 2))
        if labels_file:
            path_to_labels = os.path.join(folder, labels_file)
            raw = np.fromfile(path_to_labels, dtype=np.uint8)
            if raw.size != len(images) or (raw.size and (raw.min() < 1 or raw.max() > 10)):
                raise RuntimeError(f"STL10: {path_to_labels} holds {raw.size} labels for "
                                   f"{len(images)} images in {data_file} (labels must be 1-10)")
            labels = raw - 1  # 0-based
        return images, labels

    def __load_folds(self, folds: int | None) -> None:
        # Keep only the images of the chosen fold.
        if folds is None:
            return
        path_to_folds = os.path.join(self.root, self.base_folder, self.folds_list_file)
        with open(path_to_folds) as f:
            lines = f.read().splitlines()
        if len(lines) <= folds:
            raise RuntimeError(f"STL10: {path_to_folds} has {len(lines)} folds, fold {folds} "
                               f"was asked for")
        list_idx = np.array(lines[folds].split(), dtype=np.int64)
        self.data = self.data[list_idx, :, :, :]
        if self.labels is not None:
            self.labels = self.labels[list_idx]

    def _check_integrity(self) -> bool:
        # Presence only; MD5s are checked on download (see MNIST._check_exists for why).
        return all(os.path.isfile(os.path.join(self.root, self.base_folder, name))
                   for name, _ in self.train_list + self.test_list)

    def download(self) -> None:
        """Download and extract the archive unless the files are already there."""
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
