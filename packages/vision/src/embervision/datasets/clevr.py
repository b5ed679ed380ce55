"""CLEVR v1.0 as a classification set (the label is the number of objects in the scene):
``clevr/CLEVR_v1.0/images/{train,val,test}/*.png`` and ``scenes/CLEVR_{train,val}_scenes.json``
(``{"scenes": [{"image_filename": ..., "objects": [...]}, ...]}``)."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from ._image_label import _ImageLabelDataset
from .folder import default_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg

__all__ = ["CLEVRClassification"]


class CLEVRClassification(_ImageLabelDataset):
    """`CLEVR <https://cs.stanford.edu/people/jcjohns/clevr/>`_ classification: rendered scenes
    of 3 to 10 objects, the target being the object count (None for the unlabelled test split).

    Args:
        root: folder holding ``clevr/``.
        split: ``'train'`` (default), ``'val'`` or ``'test'``.
        transform: applied to the image. target_transform: applied to the count.
        download: download and extract the 18 GB archive (MD5-checked) unless present.
        loader: loads an image from its path (default: PIL, RGB).
    """

    _URL = "https://dl.fbaipublicfiles.com/clevr/CLEVR_v1.0.zip"
    _MD5 = "b11922020e72d0cd9154779b2d3d07d2"

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._base_folder = pathlib.Path(self.root) / "clevr"
        self._data_folder = self._base_folder / pathlib.Path(urlparse(self._URL).path).stem
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._data_folder)
        self._image_files = sorted(self._data_folder.joinpath("images", self._split).glob("*"))
        self._labels: list[int | None]
        if self._split != "test":
            scenes_file = self._data_folder / "scenes" / f"CLEVR_{self._split}_scenes.json"
            with open(scenes_file) as file:
                content = json.load(file)
            num_objects = {scene["image_filename"]: len(scene["objects"])
                           for scene in content["scenes"]}
            missing = [f.name for f in self._image_files if f.name not in num_objects]
            if missing:
                raise RuntimeError(f"CLEVRClassification: {scenes_file} has no scene for "
                                   f"{missing[:3]} ({len(missing)} images)")
            self._labels = [num_objects[f.name] for f in self._image_files]
        else:
            self._labels = [None] * len(self._image_files)
        self.loader = loader

    def _check_exists(self) -> bool:
        return self._data_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._URL, str(self._base_folder), md5=self._MD5)

    def extra_repr(self) -> str:
        return f"split={self._split}"
