"""USPS handwritten digits in LIBSVM's sparse text format, bzip2-compressed.

Each line is ``label index:value ...`` with ``label`` in 1..10 and 256 pixel values in
[-1, 1] (16 x 16, row-major). As torchvision, labels become 0..9 and pixels
``uint8((v + 1) / 2 * 255)`` computed in float32.
"""

from __future__ import annotations

import bz2
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from .utils import download_url
from .vision import VisionDataset

__all__ = ["USPS"]

_INDEX = re.compile(rb"(?<=\s)\d+:")  # the "index:" prefixes of the sparse entries


class USPS(VisionDataset):
    """`USPS <https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass.html#usps>`_:
    16x16 grayscale digits scanned from US postal envelopes (7,291 train, 2,007 test).

    Args:
        root: folder holding ``usps.bz2`` (train) and ``usps.t.bz2`` (test).
        train: the training file or the test file.
        transform: applied to the PIL image (mode ``'L'``).
        target_transform: applied to the int target (0-9).
        download: download the file (MD5-checked) when it is not in ``root``.

    Attributes:
        data: ``uint8`` array (N, 16, 16); targets: list of ints.
    """

    split_list = {
        "train": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2",
                  "usps.bz2", "ec16c51db3855ca6c91edd34d0e9b197"],
        "test": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2",
                 "usps.t.bz2", "8ea070ee2aca1ac39742fdd1ef5ed118"],
    }

    def __init__(self, root, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        url, filename, checksum = self.split_list["train" if train else "test"]
        full_path = os.path.join(self.root, filename)
        if download and not os.path.exists(full_path):
            download_url(url, self.root, filename, md5=checksum)
        if not os.path.isfile(full_path):
            raise RuntimeError(f"USPS: {full_path} not found. You can use download=True to "
                               f"download it")
        with bz2.open(full_path) as fp:
            text = fp.read()
        # Drop the "index:" prefixes, then every line is 1 label + 256 values (vectorised parse).
        values = np.array(_INDEX.sub(b"", text).split(), dtype=np.float32)
        lines = len(text.split(b"\n")) - (1 if text.endswith(b"\n") else 0)
        if lines == 0 or values.size != lines * 257:
            raise RuntimeError(f"USPS: {full_path} should hold lines of a label and 256 "
                               f"index:value pairs; got {values.size} numbers on {lines} lines")
        table = values.reshape(lines, 257)
        self.data = ((table[:, 1:] + 1) / 2 * 255).astype(np.uint8).reshape(-1, 16, 16)
        self.targets = (table[:, 0].astype(np.int64) - 1).tolist()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a PIL image (mode ``'L'``) and the class (0-9)."""
        img, target = Image.fromarray(self.data[index]), int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)
