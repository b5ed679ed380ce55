"""Food-101: ``food-101/images/<class>/<id>.jpg`` and ``food-101/meta/{train,test}.json``, each
JSON a dict class name -> list of ``"<class>/<id>"`` image paths (without ``.jpg``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._image_label import _ImageLabelDataset
from .folder import default_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg

__all__ = ["Food101"]


class Food101(_ImageLabelDataset):
    """`Food-101 <https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/>`_: 101 food
    categories, 750 training and 250 test images each (images at most 512 px on a side).

    Args:
        root: folder holding ``food-101/``.
        split: ``'train'`` or ``'test'``.
        transform: applied to the image (a PIL RGB image with the default loader).
        target_transform: applied to the int target.
        download: download and extract ``food-101.tar.gz`` (MD5-checked).
        loader: loads an image from its path (default: PIL, RGB).

    Attributes:
        classes: sorted class names; class_to_idx: name -> index.

    Example:
        >>> ds = Food101("data", split="test", download=True)
    """

    _URL = "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz"
    _MD5 = "85eeb15f3717b99a5da872d97d918f87"

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = Path(self.root) / "food-101"
        self._meta_folder = self._base_folder / "meta"
        self._images_folder = self._base_folder / "images"
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._base_folder)

        meta_file = self._meta_folder / f"{self._split}.json"
        with open(meta_file) as f:
            try:
                metadata = json.load(f)
            except json.JSONDecodeError as exc:
                raise RuntimeError(f"Food101: {meta_file} is not valid JSON: {exc}") from exc
        if not isinstance(metadata, dict):
            raise RuntimeError(f"Food101: {meta_file} must hold a dict class -> image paths, "
                               f"got a {type(metadata).__name__}")
        self.classes = sorted(metadata.keys())
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))
        self._labels: list[int] = []
        self._image_files: list[Path] = []
        # In the JSON's order (as torchvision), not sorted: indices match torchvision's.
        for class_label, im_rel_paths in metadata.items():
            self._labels += [self.class_to_idx[class_label]] * len(im_rel_paths)
            self._image_files += [self._images_folder.joinpath(*f"{p}.jpg".split("/"))
                                  for p in im_rel_paths]
        self.loader = loader

    def extra_repr(self) -> str:
        return f"split={self._split}"

    def _check_exists(self) -> bool:
        return self._meta_folder.is_dir() and self._images_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._URL, download_root=self.root, md5=self._MD5)
