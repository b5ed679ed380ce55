"""Stanford Cars: ``stanford_cars/cars_train/*.jpg``, ``cars_test/*.jpg`` and MAT-files:
``devkit/cars_train_annos.mat`` and ``cars_test_annos_withlabels.mat`` hold a struct array
``annotations`` (fields ``bbox_x1, bbox_y1, bbox_x2, bbox_y2, class, fname``; classes 1-based),
``devkit/cars_meta.mat`` a cell array ``class_names``. The structs are read with the struct-aware
MAT reader of :mod:`.imagenet` (no SciPy needed, unlike torchvision)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .folder import default_loader
from .imagenet import _load_struct_variable
from .utils import verify_str_arg
from .vision import VisionDataset

__all__ = ["StanfordCars"]


def _scalar(value) -> int:
    return int(np.asarray(value).ravel()[0])


class StanfordCars(VisionDataset):
    """`Stanford Cars <https://ai.stanford.edu/~jkrause/cars/car_dataset.html>`_: 16,185 images
    of 196 car models (8,144 train, 8,041 test).

    The original URL is gone, so ``download=True`` raises (as torchvision); place the files
    by hand (see https://github.com/pytorch/vision/issues/7545#issuecomment-1631441616).

    Args:
        root: folder holding ``stanford_cars/``.
        split: ``'train'`` (default) or ``'test'``.
        transform: applied to the PIL image (RGB). target_transform: applied to the class (0-195).
        download: kept for compatibility; True raises ``ValueError``.
        loader: loads an image from its path (default: PIL, RGB).
    """

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = pathlib.Path(self.root) / "stanford_cars"
        devkit = self._base_folder / "devkit"
        if self._split == "train":
            self._annotations_mat_path = devkit / "cars_train_annos.mat"
            self._images_base_path = self._base_folder / "cars_train"
        else:
            self._annotations_mat_path = self._base_folder / "cars_test_annos_withlabels.mat"
            self._images_base_path = self._base_folder / "cars_test"
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(
                "Dataset not found. Try to manually download following the instructions in "
                "https://github.com/pytorch/vision/issues/7545#issuecomment-1631441616."
            )
        annotations = _load_struct_variable(str(self._annotations_mat_path), "annotations")
        # The original classes are 1-based; 0-based here as in torchvision.
        self._samples = [(str(self._images_base_path / a["fname"]), _scalar(a["class"]) - 1)
                         for a in annotations]
        self.classes = list(_load_struct_variable(str(devkit / "cars_meta.mat"), "class_names"))
        self.class_to_idx = {cls: i for i, cls in enumerate(self.classes)}
        self.loader = loader

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        """Returns ``(image, class_id)``."""
        image_path, target = self._samples[idx]
        image = self.loader(image_path)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def _check_exists(self) -> bool:
        if not (self._base_folder / "devkit").is_dir():
            return False
        return self._annotations_mat_path.exists() and self._images_base_path.is_dir()

    def download(self):
        """Raises ``ValueError``: the dataset can no longer be downloaded automatically."""
        raise ValueError(
            "The original URL is broken so the StanfordCars dataset is not available for "
            "automatic download anymore. You can try to download it manually following "
            "https://github.com/pytorch/vision/issues/7545#issuecomment-1631441616, "
            "and set download=False to avoid this error."
        )
