"""EuroSAT (RGB): Sentinel-2 patches, 64x64 JPEGs in class folders ``eurosat/2750/<class>/``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .folder import ImageFolder, default_loader
from .utils import _dataset_not_found, download_and_extract_archive

__all__ = ["EuroSAT"]


class EuroSAT(ImageFolder):
    """RGB version of `EuroSAT <https://github.com/phelber/eurosat>`_: 27,000 land-use patches
    in 10 classes (AnnualCrop, Forest, ..., SeaLake), read as an :class:`ImageFolder`.

    Args:
        root: folder holding ``eurosat/2750/``.
        transform: applied to the image (a PIL RGB image with the default loader).
        target_transform: applied to the int target.
        download: download and extract ``EuroSAT.zip`` (MD5-checked).
        loader: loads an image from its path (default: PIL, RGB).

    Attributes:
        classes, class_to_idx, samples, targets: as :class:`ImageFolder`.

    Example:
        >>> ds = EuroSAT("data", download=True)
    """

    _URL = ("https://huggingface.co/datasets/torchgeo/eurosat/resolve/"
            "c877bcd43f099cd0196738f714544e355477f3fd/EuroSAT.zip")
    _MD5 = "c8fa014336c82ac7804f0398fcb19387"

    def __init__(self, root, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        self.root = os.path.expanduser(os.fspath(root))
        self._base_folder = os.path.join(self.root, "eurosat")
        self._data_folder = os.path.join(self._base_folder, "2750")
        if download:
            self.download()
        if not self._check_exists():
            raise _dataset_not_found(self._data_folder)
        super().__init__(self._data_folder, transform=transform,
                         target_transform=target_transform, loader=loader)
        self.root = os.path.expanduser(os.fspath(root))  # ImageFolder set it to the data folder

    def _check_exists(self) -> bool:
        return os.path.isdir(self._data_folder)

    def download(self) -> None:
        """Download and extract the archive unless the images are there."""
        if self._check_exists():
            return
        os.makedirs(self._base_folder, exist_ok=True)
        download_and_extract_archive(self._URL, download_root=self._base_folder, md5=self._MD5)
