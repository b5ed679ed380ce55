"""Moving MNIST: ``MovingMNIST/mnist_test_seq.npy``, a uint8 array (T=20 frames, N=10000
sequences, 64, 64) of two digits bouncing in a 64x64 frame."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

import ember

from .utils import _dataset_not_found, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["MovingMNIST"]


class MovingMNIST(VisionDataset):
    """`MovingMNIST <http://www.cs.toronto.edu/~nitish/unsupervised_video/>`_: 10,000 videos of
    20 frames; each item is a ``uint8`` tensor (T, 1, 64, 64).

    Args:
        root: folder holding ``MovingMNIST/mnist_test_seq.npy``.
        split: None (default: all 20 frames), ``'train'`` (the first ``split_ratio`` frames) or
            ``'test'`` (the rest).
        split_ratio: the frame where ``'train'`` ends and ``'test'`` begins, 1 to 19.
        download: download the file (MD5-checked) unless present.
        transform: applied to each item (a tensor).

    Example:
        >>> ds = MovingMNIST("data", split="train", download=True)
        >>> ds[0].shape
        (10, 1, 64, 64)
    """

    _URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"

    def __init__(self, root, split: str | None = None, split_ratio: int = 10,
                 download: bool = False, transform: Callable | None = None) -> None:
        super().__init__(root, transform=transform)
        self._base_folder = os.path.join(self.root, self.__class__.__name__)
        self._filename = self._URL.split("/")[-1]
        if split is not None:
            verify_str_arg(split, "split", ("train", "test"))
        self.split = split
        if not isinstance(split_ratio, int):
            raise TypeError(f"`split_ratio` should be an integer, but got {type(split_ratio)}")
        if not 1 <= split_ratio <= 19:
            raise ValueError(f"`split_ratio` should be `1 <= split_ratio <= 19`, but got "
                             f"{split_ratio} instead.")
        self.split_ratio = split_ratio
        if download:
            self.download()
        if not self._check_exists():
            raise _dataset_not_found(self._base_folder)
        path = os.path.join(self._base_folder, self._filename)
        data = np.load(path)
        if data.ndim != 4:
            raise RuntimeError(f"MovingMNIST: {path} should hold a (frames, videos, H, W) array, "
                               f"got shape {data.shape}")
        if self.split == "train":
            data = data[: self.split_ratio]
        elif self.split == "test":
            data = data[self.split_ratio :]
        # (T, N, H, W) -> (N, T, 1, H, W): one video per item, a channel axis per frame.
        self.data = ember.from_numpy(np.ascontiguousarray(data.swapaxes(0, 1)[:, :, None]))

    def __getitem__(self, idx: int) -> ember.Tensor:
        """Returns the video ``idx``: a ``uint8`` tensor (T, 1, H, W)."""
        data = self.data[idx]
        if self.transform is not None:
            data = self.transform(data)
        return data

    def __len__(self) -> int:
        return len(self.data)

    def _check_exists(self) -> bool:
        return os.path.exists(os.path.join(self._base_folder, self._filename))

    def download(self) -> None:
        """Download ``mnist_test_seq.npy`` (MD5-checked) unless present."""
        if self._check_exists():
            return
        download_url(url=self._URL, root=self._base_folder, filename=self._filename,
                     md5="be083ec986bfe91a449d63653c411eb2")
