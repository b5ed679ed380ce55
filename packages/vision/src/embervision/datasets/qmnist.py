"""QMNIST (Yadav & Bottou, 2019): MNIST's digits rebuilt from NIST, with full metadata.

The files are IDX like MNIST's (see :mod:`.mnist`): images ``0x00000803`` (N x 28 x 28 uint8)
and labels ``0x00000C02`` (N x 8 int32: class, NIST HSF series, writer id, digit index in the
writer's page, NIST class, NIST ids x2, and the duplicate flag), gzip- (train, test) or
xz-compressed (nist).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from PIL import Image

import ember
from ember import hub

from .mnist import MNIST, _existing, read_sn3_pascalvincent_tensor
from .utils import extract_archive, verify_str_arg

__all__ = ["QMNIST"]

_BASE = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_: the MNIST-compatible training set,
    60k test digits (whose first 10k match MNIST's test set), and all 402k NIST digits.

    Args:
        root: folder holding ``QMNIST/raw/qmnist-train-images-idx3-ubyte`` (or ``.gz``)...
        what: ``'train'``, ``'test'`` (60k), ``'test10k'`` (the first 10k of the test file,
            MNIST's test set), ``'test50k'`` (the other 50k) or ``'nist'``; default: ``'train'``
            or ``'test'`` as ``train`` says.
        compat: targets are the class index (int, as MNIST); if False, the whole label row
            (an ``int64`` tensor of 8 values).
        train: which set when ``what`` is None.
        **kwargs: ``transform``, ``target_transform``, ``download`` as for :class:`MNIST`.

    Example:
        >>> ds = QMNIST("data", what="test10k", download=True)
        >>> img, target = ds[0]
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test",
               "nist": "nist"}
    resources: dict[str, list[tuple[str, str]]] = {  # type: ignore[assignment]
        "train": [
            (_BASE + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
            (_BASE + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4"),
        ],
        "test": [
            (_BASE + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
            (_BASE + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa"),
        ],
        "nist": [
            (_BASE + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
            (_BASE + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d"),
        ],
    }
    classes = MNIST.classes

    def __init__(self, root, what: str | None = None, compat: bool = True, train: bool = True,
                 **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets.keys()))
        self.compat = compat
        super().__init__(root, train, **kwargs)

    def _file(self, i: int) -> str:
        url, _ = self.resources[self.subsets[self.what]][i]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def images_file(self) -> str:
        return self._file(0)

    @property
    def labels_file(self) -> str:
        return self._file(1)

    def _check_exists(self) -> bool:
        return all(_existing(f) is not None for f in (self.images_file, self.labels_file))

    def _load_data(self):
        data = read_sn3_pascalvincent_tensor(self.images_file).numpy()
        if data.dtype != np.uint8 or data.ndim != 3:
            raise RuntimeError(f"QMNIST: {self.images_file} should hold uint8 images (N, H, W), "
                               f"got {data.dtype.name} with shape {data.shape}")
        targets = read_sn3_pascalvincent_tensor(self.labels_file).numpy()
        if targets.ndim != 2 or len(targets) != len(data):
            raise RuntimeError(f"QMNIST: {self.labels_file} should hold a (N, 8) label table "
                               f"for the {len(data)} images, got shape {targets.shape}")
        targets = targets.astype(np.int64)
        if self.what == "test10k":
            data, targets = data[:10000], targets[:10000]
        elif self.what == "test50k":
            data, targets = data[10000:], targets[10000:]
        return (ember.from_numpy(np.ascontiguousarray(data)),
                ember.from_numpy(np.ascontiguousarray(targets)))

    def download(self) -> None:
        """Download (MD5-checked) and decompress only the files of ``what``."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for url, md5 in self.resources[self.subsets[self.what]]:
            extract_archive(hub.download(url, self.raw_folder, md5=md5), self.raw_folder)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: the class (``compat``) or the 8-value label row."""
        img = Image.fromarray(self.data.numpy()[index])
        row = self.targets.numpy()[index]
        target = int(row[0]) if self.compat else ember.from_numpy(row.copy())
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self) -> str:
        return f"Split: {self.what}"
