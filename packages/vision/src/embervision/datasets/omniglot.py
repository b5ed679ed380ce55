"""Omniglot (Lake et al.): 1,623 handwritten characters from 50 alphabets, 20 drawings each,
as PNGs in ``images_background/<alphabet>/<character>/*.png`` (and ``images_evaluation``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from os.path import join
from typing import Any

from PIL import Image

from .utils import _dataset_not_found, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["Omniglot"]


def _list_dir(root: str) -> list[str]:
    # torchvision's utils.list_dir, sorted so the class order is the same on every machine.
    return sorted(p for p in os.listdir(root) if os.path.isdir(join(root, p)))


def _list_files(root: str, suffix: str) -> list[str]:
    return sorted(p for p in os.listdir(root)
                  if os.path.isfile(join(root, p)) and p.endswith(suffix))


class Omniglot(VisionDataset):
    """`Omniglot <https://github.com/brendenlake/omniglot>`_: each item is a drawing and the
    index of its character (the classes are all characters of all alphabets, in sorted order).

    Args:
        root: folder holding ``omniglot-py/`` (``self.root`` is that sub-folder, as torchvision).
        background: the "background" set (964 characters) or the "evaluation" set (659).
        transform: applied to the image (PIL, mode ``'L'``).
        target_transform: applied to the character index.
        download: download and extract the set's zip (MD5-checked) unless extracted already.
        loader: loads an image from its path (default: PIL, mode ``'L'``).
    """

    folder = "omniglot-py"
    download_url_prefix = "https://raw.githubusercontent.com/brendenlake/omniglot/master/python"
    zips_md5 = {
        "images_background": "68d2efa1b9178cc56df9314c21c6e718",
        "images_evaluation": "6b91aef0f799c5bb55b94e3f2daec811",
    }

    def __init__(self, root, background: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] | None = None) -> None:
        super().__init__(join(os.path.expanduser(os.fspath(root)), self.folder),
                         transform=transform, target_transform=target_transform)
        self.background = background
        if download:
            self.download()
        if not self._check_integrity():
            raise _dataset_not_found(join(self.root, self._get_target_folder()))
        self.target_folder = join(self.root, self._get_target_folder())
        self._alphabets = _list_dir(self.target_folder)
        self._characters: list[str] = [join(a, c) for a in self._alphabets
                                       for c in _list_dir(join(self.target_folder, a))]
        self._character_images = [
            [(image, idx) for image in _list_files(join(self.target_folder, character), ".png")]
            for idx, character in enumerate(self._characters)
        ]
        self._flat_character_images: list[tuple[str, int]] = sum(self._character_images, [])
        self.loader = loader

    def __len__(self) -> int:
        return len(self._flat_character_images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, character_class)``."""
        image_name, character_class = self._flat_character_images[index]
        image_path = join(self.target_folder, self._characters[character_class], image_name)
        if self.loader is None:
            with Image.open(image_path) as img:
                image = img.convert("L")
        else:
            image = self.loader(image_path)
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            character_class = self.target_transform(character_class)
        return image, character_class

    def _check_integrity(self) -> bool:
        # The extracted folder (torchvision re-hashes the zip on every construction; Ember
        # checks the MD5 when downloading, as its MNIST does).
        return os.path.isdir(join(self.root, self._get_target_folder()))

    def download(self) -> None:
        """Download and extract the set's zip unless its folder is there."""
        if self._check_integrity():
            return
        filename = self._get_target_folder()
        zip_filename = filename + ".zip"
        url = self.download_url_prefix + "/" + zip_filename
        download_and_extract_archive(url, self.root, filename=zip_filename,
                                     md5=self.zips_md5[filename])

    def _get_target_folder(self) -> str:
        return "images_background" if self.background else "images_evaluation"
