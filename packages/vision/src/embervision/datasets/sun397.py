"""SUN397: ``SUN397/ClassName.txt`` (lines like ``/a/abbey``, ``/a/apartment_building/outdoor``)
and the images ``SUN397/<letter>/<class path>/sun_*.jpg``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._image_label import _ImageLabelDataset
from .folder import default_loader
from .utils import _dataset_not_found, download_and_extract_archive

__all__ = ["SUN397"]


class SUN397(_ImageLabelDataset):
    """`SUN397 <https://vision.princeton.edu/projects/2010/SUN/>`_: scene recognition, 397
    categories, 108,754 images.

    Args:
        root: folder holding ``SUN397/``.
        transform: applied to the image. target_transform: applied to the class index.
        download: download and extract the 37 GB archive (MD5-checked) unless present.
        loader: loads an image from its path (default: PIL, RGB).

    The images are listed in sorted path order (torchvision keeps ``rglob``'s order, which
    depends on the file system).
    """

    _DATASET_URL = "http://vision.princeton.edu/projects/2010/SUN/SUN397.tar.gz"
    _DATASET_MD5 = "8ca2778205c41d23104230ba66911c7a"

    def __init__(self, root, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._data_dir = Path(self.root) / "SUN397"
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._data_dir)
        with open(self._data_dir / "ClassName.txt") as f:
            self.classes = [c[3:].strip() for c in f]  # "/a/abbey" -> "abbey"
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))
        self._image_files = sorted(self._data_dir.rglob("sun_*.jpg"))
        self._labels = []
        for path in self._image_files:
            name = "/".join(path.relative_to(self._data_dir).parts[1:-1])
            if name not in self.class_to_idx:
                raise RuntimeError(f"SUN397: {path} is in class folder {name!r}, which "
                                   f"ClassName.txt does not list")
            self._labels.append(self.class_to_idx[name])
        self.loader = loader

    def _check_exists(self) -> bool:
        return self._data_dir.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._DATASET_URL, download_root=self.root,
                                     md5=self._DATASET_MD5)
