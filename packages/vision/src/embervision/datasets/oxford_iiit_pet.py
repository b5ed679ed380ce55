"""Oxford-IIIT Pet: ``oxford-iiit-pet/images/<Breed_name>_<n>.jpg``, trimaps
``annotations/trimaps/<id>.png`` (1 pet, 2 background, 3 border) and split lists
``annotations/{trainval,test}.txt`` with lines ``<id> <class 1-37> <species 1-2> <breed id>``."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence
from typing import Any

from .caltech import _open_image
from .folder import pil_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["OxfordIIITPet"]


class OxfordIIITPet(VisionDataset):
    """`Oxford-IIIT Pet <https://www.robots.ox.ac.uk/~vgg/data/pets/>`_: 37 cat and dog breeds,
    about 200 images each, with pixel trimaps.

    Args:
        root: folder holding ``oxford-iiit-pet/``.
        split: ``'trainval'`` or ``'test'``.
        target_types: ``'category'`` (int, 0-36), ``'binary-category'`` (int, 0 cat, 1 dog),
            ``'segmentation'`` (the trimap, a PIL image), or a list of them (a tuple target);
            an empty list gives ``None``.
        transforms: a callable on ``(image, target)``.
        transform: applied to the PIL RGB image.
        target_transform: applied to the target.
        download: download and extract ``images.tar.gz`` and ``annotations.tar.gz`` (MD5s).

    Attributes:
        classes: breed names ("Abyssinian", "American Bulldog", ...) in label order;
        class_to_idx; bin_classes ``['Cat', 'Dog']``; bin_class_to_idx.

    Example:
        >>> ds = OxfordIIITPet("data", target_types=["category", "segmentation"])
        >>> img, (label, trimap) = ds[0]
    """

    _RESOURCES = (
        ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",
         "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
        ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",
         "95a8c909bbe2e81eed6a22bccdf3f68f"),
    )
    _VALID_TARGET_TYPES = ("category", "binary-category", "segmentation")

    def __init__(self, root, split: str = "trainval",
                 target_types: Sequence[str] | str = "category",
                 transforms: Callable | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        self._split = verify_str_arg(split, "split", ("trainval", "test"))
        if isinstance(target_types, str):
            target_types = [target_types]
        self._target_types = [verify_str_arg(t, "target_types", self._VALID_TARGET_TYPES)
                              for t in target_types]
        super().__init__(root, transforms=transforms, transform=transform,
                         target_transform=target_transform)
        self._base_folder = pathlib.Path(self.root) / "oxford-iiit-pet"
        self._images_folder = self._base_folder / "images"
        self._anns_folder = self._base_folder / "annotations"
        self._segs_folder = self._anns_folder / "trimaps"
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._base_folder)

        image_ids = []
        self._labels: list[int] = []
        self._bin_labels: list[int] = []
        list_file = self._anns_folder / f"{self._split}.txt"
        with open(list_file) as file:
            for number, line in enumerate(file, 1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 4:
                    raise RuntimeError(f"OxfordIIITPet: {list_file} line {number} has "
                                       f"{len(fields)} fields, expected 4 (id class species "
                                       f"breed)")
                image_id, label, bin_label, _ = fields
                image_ids.append(image_id)
                self._labels.append(int(label) - 1)
                self._bin_labels.append(int(bin_label) - 1)

        self.bin_classes = ["Cat", "Dog"]
        # The breed is the id without its trailing number ("great_pyrenees_12"), title-cased.
        breeds = sorted({(image_id.rsplit("_", 1)[0], label)
                         for image_id, label in zip(image_ids, self._labels)},
                        key=lambda pair: pair[1])
        self.classes = [" ".join(part.title() for part in raw.split("_")) for raw, _ in breeds]
        self.bin_class_to_idx = dict(zip(self.bin_classes, range(len(self.bin_classes))))
        self.class_to_idx = dict(zip(self.classes, range(len(self.classes))))
        self._images = [self._images_folder / f"{image_id}.jpg" for image_id in image_ids]
        self._segs = [self._segs_folder / f"{image_id}.png" for image_id in image_ids]

    def __len__(self) -> int:
        return len(self._images)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: the target as chosen by ``target_types``."""
        image = pil_loader(self._images[idx])
        target: Any = []
        for target_type in self._target_types:
            if target_type == "category":
                target.append(self._labels[idx])
            elif target_type == "binary-category":
                target.append(self._bin_labels[idx])
            else:  # segmentation
                target.append(_open_image(self._segs[idx]))
        if not target:
            target = None
        elif len(target) == 1:
            target = target[0]
        else:
            target = tuple(target)
        if self.transforms:
            image, target = self.transforms(image, target)
        return image, target

    def _check_exists(self) -> bool:
        return self._images_folder.is_dir() and self._anns_folder.is_dir()

    def _download(self) -> None:
        if self._check_exists():
            return
        for url, md5 in self._RESOURCES:
            download_and_extract_archive(url, download_root=str(self._base_folder), md5=md5)
