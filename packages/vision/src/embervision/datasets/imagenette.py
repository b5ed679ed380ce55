"""Imagenette (fast.ai): 10 easy ImageNet classes, ``imagenette2[-320|-160]/{train,val}/
<wnid>/*.JPEG``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .folder import default_loader, find_classes, make_dataset
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["Imagenette"]


class Imagenette(VisionDataset):
    """`Imagenette <https://github.com/fastai/imagenette#imagenette-1>`_: 10 ImageNet classes
    (tench, English springer, cassette player, chain saw, church, French horn, garbage truck,
    gas pump, golf ball, parachute).

    Args:
        root: folder holding ``imagenette2/`` (or ``imagenette2-320/``, ``imagenette2-160/``).
        split: ``'train'`` (default) or ``'val'``.
        size: ``'full'`` (default), ``'320px'`` or ``'160px'`` (shorter side).
        download: download and extract the archive (MD5-checked) unless present.
        transform: applied to the image. target_transform: applied to the class index.
        loader: loads an image from its path (default: PIL, RGB).

    Attributes:
        classes: a tuple of names per class (e.g. ``('tench', 'Tinca tinca')``); class_to_idx:
        every name -> index; wnids; wnid_to_idx.
    """

    _ARCHIVES = {
        "full": ("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2.tgz",
                 "fe2fc210e6bb7c5664d602c3cd71e612"),
        "320px": ("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz",
                  "3df6f0d01a2c9592104656642f5e78a3"),
        "160px": ("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
                  "e793b78cc4c9e9a4ccc0c1155377a412"),
    }
    _WNID_TO_CLASS = {
        "n01440764": ("tench", "Tinca tinca"),
        "n02102040": ("English springer", "English springer spaniel"),
        "n02979186": ("cassette player",),
        "n03000684": ("chain saw", "chainsaw"),
        "n03028079": ("church", "church building"),
        "n03394916": ("French horn", "horn"),
        "n03417042": ("garbage truck", "dustcart"),
        "n03425413": ("gas pump", "gasoline pump", "petrol pump", "island dispenser"),
        "n03445777": ("golf ball",),
        "n03888257": ("parachute", "chute"),
    }

    def __init__(self, root, split: str = "train", size: str = "full", download: bool = False,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ["train", "val"])
        self._size = verify_str_arg(size, "size", ["full", "320px", "160px"])
        self._url, self._md5 = self._ARCHIVES[self._size]
        self._size_root = Path(self.root) / Path(self._url).stem
        self._image_root = str(self._size_root / self._split)
        if download:
            self._download()
        elif not self._check_exists():
            raise _dataset_not_found(self._size_root)
        self.wnids, self.wnid_to_idx = find_classes(self._image_root)
        unknown = [w for w in self.wnids if w not in self._WNID_TO_CLASS]
        if unknown:
            raise RuntimeError(f"Imagenette: {self._image_root} holds folders {unknown} that are "
                               f"not Imagenette's wnids")
        self.classes = [self._WNID_TO_CLASS[wnid] for wnid in self.wnids]
        self.class_to_idx = {name: idx for wnid, idx in self.wnid_to_idx.items()
                             for name in self._WNID_TO_CLASS[wnid]}
        self._samples = make_dataset(self._image_root, self.wnid_to_idx, extensions=".jpeg")
        self.loader = loader

    def _check_exists(self) -> bool:
        return self._size_root.exists()

    def _download(self):
        if self._check_exists():
            return
        download_and_extract_archive(self._url, self.root, md5=self._md5)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        """Returns ``(image, label)``."""
        path, label = self._samples[idx]
        image = self.loader(path)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def __len__(self) -> int:
        return len(self._samples)
