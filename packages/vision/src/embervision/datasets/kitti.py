"""KITTI 2D object detection: ``root/Kitti/raw/{training,testing}/image_2/<id>.png`` and
``root/Kitti/raw/training/label_2/<id>.txt``.

A label file has one object per line, 15 space-separated fields (the devkit's readme):
type, truncated, occluded, alpha, bbox (left, top, right, bottom), dimensions (height, width,
length), location (x, y, z in camera coordinates), rotation_y.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from typing import Any

from .caltech import _open_image
from .utils import _dataset_not_found, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["Kitti"]


class Kitti(VisionDataset):
    """`KITTI <http://www.cvlibs.net/datasets/kitti>`_ object detection: items are
    ``(image, target)``, the target a list of one dict per object with keys ``type`` (str),
    ``truncated`` (float), ``occluded`` (int), ``alpha`` (float), ``bbox`` (4 floats),
    ``dimensions`` (3 floats), ``location`` (3 floats), ``rotation_y`` (float); None for the
    test split.

    Args:
        root: folder in which ``Kitti/raw/`` is (or will be) placed.
        train: the training split (with labels) if True, else the test split.
        transform: applied to the PIL image. target_transform: applied to the target.
        transforms: a callable on ``(image, target)`` (exclusive with the two above).
        download: download and extract the image and label zips.

    Example:
        >>> img, objects = Kitti("data", train=True)[0]
        >>> objects[0]["type"], objects[0]["bbox"]
        ('Car', [587.01, 173.33, 614.12, 200.12])
    """

    data_url = "https://s3.eu-central-1.amazonaws.com/avg-kitti/"
    resources = [
        "data_object_image_2.zip",
        "data_object_label_2.zip",
    ]
    image_dir_name = "image_2"
    labels_dir_name = "label_2"

    def __init__(self, root, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, transforms: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform,
                         transforms=transforms)
        self.images: list[str] = []
        self.targets: list[str] = []
        self.train = train
        self._location = "training" if self.train else "testing"
        if download:
            self.download()
        if not self._check_exists():
            raise _dataset_not_found(os.path.join(self._raw_folder, self._location))
        image_dir = os.path.join(self._raw_folder, self._location, self.image_dir_name)
        labels_dir = os.path.join(self._raw_folder, self._location, self.labels_dir_name)
        # Sorted (torchvision takes directory order) so that index i is the same everywhere.
        for img_file in sorted(os.listdir(image_dir)):
            self.images.append(os.path.join(image_dir, img_file))
            if self.train:
                self.targets.append(os.path.join(labels_dir, f"{img_file.split('.')[0]}.txt"))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: the PIL image as stored and the list of objects."""
        image = _open_image(self.images[index])
        target = self._parse_target(index) if self.train else None
        if self.transforms:
            image, target = self.transforms(image, target)
        return image, target

    def _parse_target(self, index: int) -> list[dict[str, Any]]:
        target = []
        path = self.targets[index]
        with open(path) as inp:
            for n, line in enumerate(csv.reader(inp, delimiter=" "), 1):
                line = [x for x in line if x]
                if not line:
                    continue
                if len(line) < 15:
                    raise RuntimeError(f"Kitti: line {n} of {path} has {len(line)} fields, "
                                       f"expected 15")
                target.append({
                    "type": line[0],
                    "truncated": float(line[1]),
                    "occluded": int(line[2]),
                    "alpha": float(line[3]),
                    "bbox": [float(x) for x in line[4:8]],
                    "dimensions": [float(x) for x in line[8:11]],
                    "location": [float(x) for x in line[11:14]],
                    "rotation_y": float(line[14]),
                })
        return target

    def __len__(self) -> int:
        return len(self.images)

    @property
    def _raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    def _check_exists(self) -> bool:
        folders = [self.image_dir_name]
        if self.train:
            folders.append(self.labels_dir_name)
        return all(os.path.isdir(os.path.join(self._raw_folder, self._location, fname))
                   for fname in folders)

    def download(self) -> None:
        """Download the KITTI images and labels unless they are there."""
        if self._check_exists():
            return
        os.makedirs(self._raw_folder, exist_ok=True)
        for fname in self.resources:
            download_and_extract_archive(f"{self.data_url}{fname}", self._raw_folder,
                                         filename=fname)
