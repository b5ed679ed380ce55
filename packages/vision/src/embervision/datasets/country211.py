"""Country211 (OpenAI CLIP): ``country211/{train,valid,test}/<ISO code>/*.jpg``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .folder import ImageFolder, default_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg

__all__ = ["Country211"]


class Country211(ImageFolder):
    """`Country211 <https://github.com/openai/CLIP/blob/main/data/country211.md>`_: YFCC100m
    photos geolocated in 211 countries; 150 train, 50 valid and 100 test images each.

    Args:
        root: folder holding ``country211/``.
        split: ``'train'`` (default), ``'valid'`` or ``'test'``.
        transform: applied to the image. target_transform: applied to the class index.
        download: download and extract the archive (MD5-checked) into ``root/country211``.
        loader: loads an image from its path (default: PIL, RGB).

    Classes are the ISO 3166 codes (folder names) in sorted order, as :class:`ImageFolder`.
    """

    _URL = "https://openaipublic.azureedge.net/clip/data/country211.tgz"
    _MD5 = "84988d7644798601126c29e9877aab6a"

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        self._split = verify_str_arg(split, "split", ("train", "valid", "test"))
        root = Path(root).expanduser()
        self.root = str(root)
        self._base_folder = root / "country211"
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._base_folder)
        super().__init__(str(self._base_folder / self._split), transform=transform,
                         target_transform=target_transform, loader=loader)
        self.root = str(root)

    def _check_exists(self) -> bool:
        return self._base_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._URL, download_root=self.root, md5=self._MD5)
