"""Cityscapes urban scene segmentation from its official folders (or zips).

Layout: ``root/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png`` and
``root/{gtFine,gtCoarse}/<split>/<city>/<city>_<seq>_<frame>_<mode>_{instanceIds.png,
labelIds.png,color.png,polygons.json}``. When the folders are missing but the downloaded zips
(``leftImg8bit_trainvaltest.zip`` or ``leftImg8bit_trainextra.zip``, and
``gtFine_trainvaltest.zip`` or ``gtCoarse.zip``) are in ``root``, they are extracted first.
(The zips need a Cityscapes login, so there is no ``download``.)
"""

from __future__ import annotations

import json
import os
from collections import namedtuple
from collections.abc import Callable
from typing import Any

from .caltech import _open_image
from .folder import pil_loader
from .utils import extract_archive, iterable_to_str, verify_str_arg
from .vision import VisionDataset

__all__ = ["Cityscapes"]


class Cityscapes(VisionDataset):
    """`Cityscapes <http://www.cityscapes-dataset.com/>`_: items are ``(image, target)``; the
    target is a PIL image (``instance``: mode I, ``class_id * 1000 + instance`` for objects
    with instances; ``semantic``: label ids; ``color``: RGBA colours), the parsed JSON for
    ``polygon``, or a tuple of these when ``target_type`` is a list of several.

    Args:
        root: folder holding ``leftImg8bit/`` and ``gtFine/`` or ``gtCoarse/``.
        split: ``"train"`` (default), ``"test"`` or ``"val"`` for ``mode="fine"``;
            ``"train"``, ``"train_extra"`` or ``"val"`` for ``mode="coarse"``.
        mode: ``"fine"`` (default) or ``"coarse"`` annotations.
        target_type: ``"instance"`` (default), ``"semantic"``, ``"polygon"``, ``"color"`` or a
            list of them.
        transform: applied to the RGB PIL image. target_transform: applied to the target.
        transforms: a callable on ``(image, target)`` (exclusive with the two above).

    Attributes:
        classes: the 35 classes (and ``license plate``) as ``CityscapesClass`` named tuples
            ``(name, id, train_id, category, category_id, has_instances, ignore_in_eval,
            color)`` from cityscapesScripts' ``labels.py``; ``train_id`` 255 is ignored.

    Example:
        >>> ds = Cityscapes("data/cityscapes", split="val", target_type=["semantic", "polygon"])
        >>> img, (labels, polygons) = ds[0]
    """

    # From https://github.com/mcordts/cityscapesScripts (helpers/labels.py), as torchvision.
    CityscapesClass = namedtuple(
        "CityscapesClass",
        ["name", "id", "train_id", "category", "category_id", "has_instances", "ignore_in_eval",
         "color"],
    )

    classes = [
        CityscapesClass("unlabeled", 0, 255, "void", 0, False, True, (0, 0, 0)),
        CityscapesClass("ego vehicle", 1, 255, "void", 0, False, True, (0, 0, 0)),
        CityscapesClass("rectification border", 2, 255, "void", 0, False, True, (0, 0, 0)),
        CityscapesClass("out of roi", 3, 255, "void", 0, False, True, (0, 0, 0)),
        CityscapesClass("static", 4, 255, "void", 0, False, True, (0, 0, 0)),
        CityscapesClass("dynamic", 5, 255, "void", 0, False, True, (111, 74, 0)),
        CityscapesClass("ground", 6, 255, "void", 0, False, True, (81, 0, 81)),
        CityscapesClass("road", 7, 0, "flat", 1, False, False, (128, 64, 128)),
        CityscapesClass("sidewalk", 8, 1, "flat", 1, False, False, (244, 35, 232)),
        CityscapesClass("parking", 9, 255, "flat", 1, False, True, (250, 170, 160)),
        CityscapesClass("rail track", 10, 255, "flat", 1, False, True, (230, 150, 140)),
        CityscapesClass("building", 11, 2, "construction", 2, False, False, (70, 70, 70)),
        CityscapesClass("wall", 12, 3, "construction", 2, False, False, (102, 102, 156)),
        CityscapesClass("fence", 13, 4, "construction", 2, False, False, (190, 153, 153)),
        CityscapesClass("guard rail", 14, 255, "construction", 2, False, True, (180, 165, 180)),
        CityscapesClass("bridge", 15, 255, "construction", 2, False, True, (150, 100, 100)),
        CityscapesClass("tunnel", 16, 255, "construction", 2, False, True, (150, 120, 90)),
        CityscapesClass("pole", 17, 5, "object", 3, False, False, (153, 153, 153)),
        CityscapesClass("polegroup", 18, 255, "object", 3, False, True, (153, 153, 153)),
        CityscapesClass("traffic light", 19, 6, "object", 3, False, False, (250, 170, 30)),
        CityscapesClass("traffic sign", 20, 7, "object", 3, False, False, (220, 220, 0)),
        CityscapesClass("vegetation", 21, 8, "nature", 4, False, False, (107, 142, 35)),
        CityscapesClass("terrain", 22, 9, "nature", 4, False, False, (152, 251, 152)),
        CityscapesClass("sky", 23, 10, "sky", 5, False, False, (70, 130, 180)),
        CityscapesClass("person", 24, 11, "human", 6, True, False, (220, 20, 60)),
        CityscapesClass("rider", 25, 12, "human", 6, True, False, (255, 0, 0)),
        CityscapesClass("car", 26, 13, "vehicle", 7, True, False, (0, 0, 142)),
        CityscapesClass("truck", 27, 14, "vehicle", 7, True, False, (0, 0, 70)),
        CityscapesClass("bus", 28, 15, "vehicle", 7, True, False, (0, 60, 100)),
        CityscapesClass("caravan", 29, 255, "vehicle", 7, True, True, (0, 0, 90)),
        CityscapesClass("trailer", 30, 255, "vehicle", 7, True, True, (0, 0, 110)),
        CityscapesClass("train", 31, 16, "vehicle", 7, True, False, (0, 80, 100)),
        CityscapesClass("motorcycle", 32, 17, "vehicle", 7, True, False, (0, 0, 230)),
        CityscapesClass("bicycle", 33, 18, "vehicle", 7, True, False, (119, 11, 32)),
        CityscapesClass("license plate", -1, -1, "vehicle", 7, False, True, (0, 0, 142)),
    ]

    def __init__(self, root, split: str = "train", mode: str = "fine",
                 target_type: list[str] | str = "instance", transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.mode = "gtFine" if mode == "fine" else "gtCoarse"
        self.images_dir = os.path.join(self.root, "leftImg8bit", split)
        self.targets_dir = os.path.join(self.root, self.mode, split)
        self.split = split
        self.images: list[str] = []
        self.targets: list[list[str]] = []

        verify_str_arg(mode, "mode", ("fine", "coarse"))
        valid_splits = ("train", "test", "val") if mode == "fine" else ("train", "train_extra",
                                                                         "val")
        msg = (f"Unknown value '{split}' for argument split if mode is '{mode}'. "
               f"Valid values are {{{iterable_to_str(valid_splits)}}}.")
        verify_str_arg(split, "split", valid_splits, msg)
        self.target_type = target_type if isinstance(target_type, list) else [target_type]
        for value in self.target_type:
            verify_str_arg(value, "target_type", ("instance", "semantic", "polygon", "color"))

        if not self._has_folders():
            image_zip = os.path.join(self.root, "leftImg8bit_trainextra.zip"
                                     if split == "train_extra" else "leftImg8bit_trainvaltest.zip")
            target_zip = os.path.join(self.root, "gtFine_trainvaltest.zip"
                                      if self.mode == "gtFine" else "gtCoarse.zip")
            if os.path.isfile(image_zip) and os.path.isfile(target_zip):
                extract_archive(image_zip, self.root)
                extract_archive(target_zip, self.root)
            if not self._has_folders():  # no zips, or zips without this split
                raise RuntimeError(
                    "Dataset not found or incomplete. Please make sure all required folders for "
                    f'the specified "split" and "mode" are inside the "root" directory (looked '
                    f"for {self.images_dir} and {self.targets_dir}, or {image_zip} and "
                    f"{target_zip})")

        # Cities and files sorted (torchvision takes directory order) for a fixed order.
        for city in sorted(os.listdir(self.images_dir)):
            img_dir = os.path.join(self.images_dir, city)
            target_dir = os.path.join(self.targets_dir, city)
            for file_name in sorted(os.listdir(img_dir)):
                stem = file_name.split("_leftImg8bit")[0]
                self.images.append(os.path.join(img_dir, file_name))
                self.targets.append([
                    os.path.join(target_dir, f"{stem}_{self._get_target_suffix(self.mode, t)}")
                    for t in self.target_type])

    def _has_folders(self) -> bool:
        return os.path.isdir(self.images_dir) and os.path.isdir(self.targets_dir)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``; a tuple target when several target types are asked."""
        image = pil_loader(self.images[index])
        targets: list[Any] = []
        for i, t in enumerate(self.target_type):
            if t == "polygon":
                targets.append(self._load_json(self.targets[index][i]))
            else:
                targets.append(_open_image(self.targets[index][i]))
        target = tuple(targets) if len(targets) > 1 else targets[0]
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> str:
        return f"Split: {self.split}\nMode: {self.mode}\nType: {self.target_type}"

    def _load_json(self, path: str) -> dict[str, Any]:
        with open(path) as file:
            return json.load(file)

    def _get_target_suffix(self, mode: str, target_type: str) -> str:
        if target_type == "instance":
            return f"{mode}_instanceIds.png"
        if target_type == "semantic":
            return f"{mode}_labelIds.png"
        if target_type == "color":
            return f"{mode}_color.png"
        return f"{mode}_polygons.json"
