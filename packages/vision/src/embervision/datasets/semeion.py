"""SEMEION handwritten digits: a text table, one digit per line: 256 pixel values (0 or 1,
16 x 16 row-major) then a one-hot class vector of 10."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from .utils import check_integrity, download_url
from .vision import VisionDataset

__all__ = ["SEMEION"]


class SEMEION(VisionDataset):
    """`SEMEION <http://archive.ics.uci.edu/ml/datasets/semeion+handwritten+digit>`_: 1,593
    16x16 binary digits written by about 80 people.

    Args:
        root: folder holding ``semeion.data``.
        transform: applied to the PIL image (mode ``'L'``, pixels 0 or 255).
        target_transform: applied to the int target (0-9).
        download: download the file (MD5-checked) when absent; True by default, as torchvision.
    """

    url = "http://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data"
    filename = "semeion.data"
    md5_checksum = "cb545d371d2ce14ec121470795a77432"

    def __init__(self, root, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = True) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it")
        fp = os.path.join(self.root, self.filename)
        data = np.loadtxt(fp, ndmin=2)
        if data.shape[1] != 266:
            raise RuntimeError(f"SEMEION: {fp} should have 266 columns (256 pixels + 10 one-hot "
                               f"classes), got {data.shape[1]}")
        self.data = (data[:, :256] * 255).astype(np.uint8).reshape(-1, 16, 16)
        self.labels = np.argmax(data[:, 256:], axis=1)  # the one-hot column

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``."""
        img, target = Image.fromarray(self.data[index]), int(self.labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        # Presence only (the MD5 is checked on download), as Ember's MNIST.
        return check_integrity(os.path.join(self.root, self.filename))

    def download(self) -> None:
        """Download ``semeion.data`` (MD5-checked) unless present."""
        if self._check_integrity():
            return
        download_url(self.url, self.root, self.filename, self.md5_checksum)
