"""FGVC-Aircraft 2013b: ``fgvc-aircraft-2013b/data/images/<id>.jpg`` with text annotation files
``images_<level>_<split>.txt`` (lines ``<id> <class name>``, names may hold spaces) and the class
lists ``variants.txt``, ``families.txt``, ``manufacturers.txt`` (one name a line)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ._image_label import _ImageLabelDataset
from .folder import default_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg

__all__ = ["FGVCAircraft"]


class FGVCAircraft(_ImageLabelDataset):
    """`FGVC Aircraft <https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/>`_: 10,000 aircraft
    images, 100 per model variant, labelled at three levels: ``variant`` (100 classes, e.g.
    Boeing 737-700), ``family`` (70, Boeing 737) and ``manufacturer`` (30, Boeing).

    Args:
        root: folder holding ``fgvc-aircraft-2013b/``.
        split: ``'train'``, ``'val'``, ``'trainval'`` (default) or ``'test'``.
        annotation_level: ``'variant'`` (default), ``'family'`` or ``'manufacturer'``.
        transform: applied to the image. target_transform: applied to the class index.
        download: download and extract the 2.6 GB archive unless the folder exists.
        loader: loads an image from its path (default: PIL, RGB).
    """

    _URL = "https://www.robots.ox.ac.uk/~vgg/data/fgvc-aircraft/archives/fgvc-aircraft-2013b.tar.gz"

    def __init__(self, root, split: str = "trainval", annotation_level: str = "variant",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "trainval", "test"))
        self._annotation_level = verify_str_arg(annotation_level, "annotation_level",
                                                ("variant", "family", "manufacturer"))
        self._data_path = os.path.join(self.root, "fgvc-aircraft-2013b")
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._data_path)

        names = {"variant": "variants.txt", "family": "families.txt",
                 "manufacturer": "manufacturers.txt"}[self._annotation_level]
        with open(os.path.join(self._data_path, "data", names)) as f:
            self.classes = [line.strip() for line in f]
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))

        image_data_folder = os.path.join(self._data_path, "data", "images")
        labels_file = os.path.join(self._data_path, "data",
                                   f"images_{self._annotation_level}_{self._split}.txt")
        self._image_files: list[str] = []
        self._labels: list[int] = []
        with open(labels_file) as f:
            for line in f:
                image_name, label_name = line.strip().split(" ", 1)
                if label_name not in self.class_to_idx:
                    raise RuntimeError(f"FGVCAircraft: {labels_file} names class {label_name!r}, "
                                       f"which is not in {names}")
                self._image_files.append(os.path.join(image_data_folder, f"{image_name}.jpg"))
                self._labels.append(self.class_to_idx[label_name])
        self.loader = loader

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._URL, self.root)

    def _check_exists(self) -> bool:
        return os.path.isdir(self._data_path)
