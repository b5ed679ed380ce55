"""The Fashion-MNIST subset shipped inside embervision: a real dataset with no download."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from importlib import resources

import ember

from .mnist import FashionMNIST, _check_kind, _parse_idx
from .vision import VisionDataset

__all__ = ["EmbeddedFashionMNIST"]

_PACKAGE_DATA = "_embedded"


class EmbeddedFashionMNIST(FashionMNIST):
    """The first 10,000 training and 2,000 test images of Fashion-MNIST, packaged with
    embervision (MIT licence; see ``_embedded/LICENSE``), read with no network and no files.

    The interface is :class:`FashionMNIST`'s (same classes, ``data``/``targets`` tensors,
    PIL images), minus ``download``: the files come from the installed package through
    :mod:`importlib.resources`. It is the vision trainer's default dataset.

    Args:
        root: accepted for the common interface and shown in ``repr``; nothing is read there.
        train: the 10,000 training images (True) or the 2,000 test images.
        transform: applied to the PIL image (mode ``'L'``, 28x28).
        target_transform: applied to the int target.

    Example:
        >>> ds = EmbeddedFashionMNIST(train=False)
        >>> len(ds), ds.classes[ds[0][1]]
        (2000, 'Ankle boot')
    """

    def __init__(self, root=None, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        VisionDataset.__init__(self, root, transform=transform, target_transform=target_transform)
        self.train = train
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self) -> str:
        return str(resources.files(__package__) / _PACKAGE_DATA)

    def _read(self, name: str):
        resource = resources.files(__package__) / _PACKAGE_DATA / name
        source = f"embervision/datasets/{_PACKAGE_DATA}/{name}"
        try:
            data = gzip.decompress(resource.read_bytes())
        except FileNotFoundError:
            raise RuntimeError(
                f"EmbeddedFashionMNIST: {source} is missing from the installed embervision "
                f"(its package data was not installed): reinstall embervision"
            ) from None
        return _parse_idx(data, source), source

    def _load_data(self):
        prefix = "train" if self.train else "t10k"
        images, source = self._read(f"{prefix}-images-idx3-ubyte.gz")
        labels, label_source = self._read(f"{prefix}-labels-idx1-ubyte.gz")
        images = _check_kind(images, 3, source, "images")
        labels = _check_kind(labels, 1, label_source, "labels").astype("int64")
        return ember.from_numpy(images), ember.from_numpy(labels)

    def _check_exists(self) -> bool:
        return True

    def download(self) -> None:
        """Nothing to download: the data ship with the package."""
