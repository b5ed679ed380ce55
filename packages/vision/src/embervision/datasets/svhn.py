"""SVHN (Street View House Numbers), cropped 32x32 digits, read from its MAT-files."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from ._matlab import loadmat
from .utils import _dataset_not_found, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["SVHN"]


class SVHN(VisionDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_: 32x32 colour crops of house-number
    digits; ``train`` (73,257), ``test`` (26,032) and ``extra`` (531,131).

    The files label the digit 0 as ``10``; here it is ``0``, so targets are in ``[0, 9]`` as
    loss functions expect (as torchvision does).

    Args:
        root: folder holding ``train_32x32.mat`` / ``test_32x32.mat`` / ``extra_32x32.mat``.
        split: ``'train'``, ``'test'`` or ``'extra'``.
        transform: applied to the PIL image (mode ``'RGB'``).
        target_transform: applied to the int target.
        download: download the split's file (MD5-checked, through :mod:`ember.hub`).

    Attributes:
        data: uint8 NumPy array (N, 3, 32, 32). labels: int64 NumPy array (N,).

    Example:
        >>> ds = SVHN("data", split="test", download=True)
    """

    split_list = {
        "train": [
            "http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
            "train_32x32.mat",
            "e26dedcc434d2e4c54c9b2d4a06d8373",
        ],
        "test": [
            "http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
            "test_32x32.mat",
            "eb5a983be6a315427106f1b164d9cef3",
        ],
        "extra": [
            "http://ufldl.stanford.edu/housenumbers/extra_32x32.mat",
            "extra_32x32.mat",
            "a93ce644f1a588dc4d68dda5feec44a7",
        ],
    }

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list.keys()))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        if not self._check_integrity():
            raise _dataset_not_found(path)
        loaded_mat = loadmat(path, variable_names=("X", "y"))
        for key, shape in (("X", "(32, 32, 3, N) uint8"), ("y", "(N, 1)")):
            if key not in loaded_mat:
                raise RuntimeError(f"SVHN: {path} holds no numeric variable {key!r} {shape}")
        data, labels = loaded_mat["X"], loaded_mat["y"]
        if data.ndim != 4 or data.shape[2] != 3 or labels.size != data.shape[3]:
            raise RuntimeError(f"SVHN: {path}: expected X (32, 32, 3, N) and y (N, 1), got X "
                               f"{data.shape} and y {labels.shape}")
        self.data = np.transpose(data.astype(np.uint8, copy=False), (3, 2, 0, 1))
        # int64 so a tensor made from it is a LongTensor; the file's label 10 is the digit 0.
        self.labels = labels.astype(np.int64).squeeze(axis=tuple(range(1, labels.ndim)))
        np.place(self.labels, self.labels == 10, 0)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a 32x32 RGB PIL image and the digit."""
        img, target = self.data[index], int(self.labels[index])
        img = Image.fromarray(np.transpose(img, (1, 2, 0)))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        # Presence only; MD5s are checked on download (see MNIST._check_exists for why).
        return os.path.isfile(os.path.join(self.root, self.filename))

    def download(self) -> None:
        """Download the split's MAT-file unless it is already there with the right MD5."""
        download_url(self.url, self.root, self.filename, self.file_md5)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
