"""Describable Textures Dataset: ``dtd/dtd/images/<class>/<name>.jpg`` and split files
``dtd/dtd/labels/{train,val,test}{1..10}.txt``, one ``<class>/<name>.jpg`` per line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._image_label import _ImageLabelDataset
from .folder import default_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg

__all__ = ["DTD"]


class DTD(_ImageLabelDataset):
    """`Describable Textures Dataset (DTD) <https://www.robots.ox.ac.uk/~vgg/data/dtd/>`_:
    5,640 texture images in 47 categories, with 10 train/val/test partitions.

    Args:
        root: folder holding ``dtd/`` (the archive extracts to ``dtd/dtd/``).
        split: ``'train'``, ``'val'`` or ``'test'``.
        partition: which of the 10 partitions (1-10); it only moves images between splits.
        transform: applied to the image (a PIL RGB image with the default loader).
        target_transform: applied to the int target.
        download: download and extract ``dtd-r1.0.1.tar.gz`` (MD5-checked).
        loader: loads an image from its path (default: PIL, RGB).

    Attributes:
        classes: sorted class names of the split; class_to_idx: name -> index.

    Example:
        >>> ds = DTD("data", split="test", partition=3, download=True)
    """

    _URL = "https://www.robots.ox.ac.uk/~vgg/data/dtd/download/dtd-r1.0.1.tar.gz"
    _MD5 = "fff73e5086ae6bdbea199a49dfb8a4c1"

    def __init__(self, root, split: str = "train", partition: int = 1,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[Any], Any] = default_loader) -> None:
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        # torchvision's check (`not int and not in range`) lets 0 or 11 through and then fails
        # on a missing file; any int outside 1-10 is refused here, with its message.
        if isinstance(partition, bool) or not isinstance(partition, int) or not (
                1 <= partition <= 10):
            raise ValueError(f"Parameter 'partition' should be an integer with "
                             f"`1 <= partition <= 10`, but got {partition} instead")
        self._partition = partition
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._base_folder = Path(self.root) / type(self).__name__.lower()
        self._data_folder = self._base_folder / "dtd"
        self._meta_folder = self._data_folder / "labels"
        self._images_folder = self._data_folder / "images"
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._data_folder)

        self._image_files: list[Path] = []
        classes = []
        split_file = self._meta_folder / f"{self._split}{self._partition}.txt"
        with open(split_file) as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                parts = line.strip().split("/")
                if len(parts) != 2:
                    raise RuntimeError(f"DTD: {split_file} line {number} is {line.strip()!r}, "
                                       f"expected '<class>/<image>.jpg'")
                cls, name = parts
                self._image_files.append(self._images_folder.joinpath(cls, name))
                classes.append(cls)
        self.classes = sorted(set(classes))
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))
        self._labels = [self.class_to_idx[cls] for cls in classes]
        self.loader = loader

    def extra_repr(self) -> str:
        return f"split={self._split}, partition={self._partition}"

    def _check_exists(self) -> bool:
        return self._data_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._URL, download_root=str(self._base_folder),
                                     md5=self._MD5)
