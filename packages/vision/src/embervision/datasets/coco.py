"""MS COCO detection and captions from an image folder and a COCO-format annotation JSON.

The JSON (``instances_*.json``, ``captions_*.json``) holds ``images`` (``id``, ``file_name``,
...), ``annotations`` (``id``, ``image_id``, then ``bbox``/``segmentation``/``category_id`` or
``caption``) and optionally ``categories``. It is indexed here the way pycocotools' ``COCO``
does (annotations of an image in file order), without needing pycocotools.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from PIL import Image

from .folder import pil_loader
from .vision import VisionDataset

__all__ = ["CocoCaptions", "CocoDetection"]


class _COCOIndex:
    """The part of ``pycocotools.coco.COCO`` the datasets use: ``dataset``, ``imgs``, ``anns``,
    ``cats``, ``imgToAnns`` and ``getAnnIds``/``loadAnns``/``loadImgs`` for one image id."""

    def __init__(self, annotation_file) -> None:
        with open(annotation_file) as f:
            try:
                self.dataset = json.load(f)
            except json.JSONDecodeError as exc:
                raise RuntimeError(f"COCO: {annotation_file} is not valid JSON: {exc}") from exc
        if not isinstance(self.dataset, dict):
            raise RuntimeError(f"COCO: {annotation_file} must hold a JSON object with 'images' "
                               f"and 'annotations', got a {type(self.dataset).__name__}")
        self.imgs = {img["id"]: img for img in self.dataset.get("images", [])}
        self.anns, self.imgToAnns = {}, defaultdict(list)
        for ann in self.dataset.get("annotations", []):
            self.anns[ann["id"]] = ann
            self.imgToAnns[ann["image_id"]].append(ann)
        self.cats = {cat["id"]: cat for cat in self.dataset.get("categories", [])}

    def getAnnIds(self, imgIds) -> list:  # noqa: N802, N803 (pycocotools' names)
        ids = imgIds if isinstance(imgIds, (list, tuple)) else [imgIds]
        return [ann["id"] for i in ids for ann in self.imgToAnns.get(i, ())]

    def loadAnns(self, ids) -> list[dict]:  # noqa: N802
        return [self.anns[i] for i in (ids if isinstance(ids, (list, tuple)) else [ids])]

    def loadImgs(self, ids) -> list[dict]:  # noqa: N802
        return [self.imgs[i] for i in (ids if isinstance(ids, (list, tuple)) else [ids])]


class CocoDetection(VisionDataset):
    """`MS COCO <https://cocodataset.org/#detection-2016>`_ detection: items are
    ``(image, annotations)``, the list of the image's annotation dicts as in the JSON
    (``bbox`` ``[x, y, w, h]``, ``category_id``, ``segmentation``, ``area``, ``iscrowd``, ...).

    Args:
        root: the folder of the images (``file_name`` is relative to it).
        annFile: the annotation JSON's path.
        transform: applied to the PIL RGB image. target_transform: applied to the target.
        transforms: a callable on ``(image, target)`` (exclusive with the two above).

    Attributes:
        coco: the annotation index (pycocotools-like ``imgs``/``anns``/``cats``).
        ids: the image ids, sorted.

    Example:
        >>> ds = CocoDetection("val2017", "annotations/instances_val2017.json")
        >>> img, anns = ds[0]; anns[0]["bbox"]
    """

    def __init__(self, root, annFile, transform: Callable | None = None,  # noqa: N803
                 target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.coco = _COCOIndex(annFile)
        self.ids = sorted(self.coco.imgs.keys())

    def _load_image(self, id: int) -> Image.Image:
        path = self.coco.loadImgs(id)[0]["file_name"]
        return pil_loader(os.path.join(self.root, path))

    def _load_target(self, id: int) -> list[Any]:
        return self.coco.loadAnns(self.coco.getAnnIds(id))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)`` for the ``index``-th image id."""
        if not isinstance(index, int):
            raise ValueError(f"Index must be of type integer, got {type(index)} instead.")
        id = self.ids[index]
        image = self._load_image(id)
        target = self._load_target(id)
        if self.transforms is not None:
            image, target = self.transforms(image, target)
        return image, target

    def __len__(self) -> int:
        return len(self.ids)


class CocoCaptions(CocoDetection):
    """`MS COCO captions <https://cocodataset.org/#captions-2015>`_: items are
    ``(image, captions)``, the image's caption strings in file order.

    Args: as :class:`CocoDetection` (``annFile`` a ``captions_*.json``).

    Example:
        >>> img, captions = CocoCaptions("val2017", "captions_val2017.json")[0]
    """

    def _load_target(self, id: int) -> list[str]:
        return [ann["caption"] for ann in super()._load_target(id)]
