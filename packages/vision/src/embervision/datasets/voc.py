"""Pascal VOC 2007-2012 from the ``VOCdevkit/VOC<year>`` layout: ``JPEGImages/<id>.jpg``,
``ImageSets/{Segmentation,Main}/<image_set>.txt`` (one id per line),
``SegmentationClass/<id>.png`` (palette PNG, 255 on borders) and ``Annotations/<id>.xml``."""

from __future__ import annotations

import collections
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from .caltech import _open_image
from .folder import pil_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["VOCDetection", "VOCSegmentation"]

_BASE = "http://host.robots.ox.ac.uk/pascal/VOC/"


def _year(folder: str, filename: str, md5: str, *base_dir: str) -> dict[str, str]:
    """One archive: ``<_BASE><folder>/<filename>``, its MD5 and the folder it extracts to."""
    return {"url": f"{_BASE}{folder}/{filename}", "filename": filename, "md5": md5,
            "base_dir": os.path.join(*base_dir)}


DATASET_YEAR_DICT = {
    "2012": _year("voc2012", "VOCtrainval_11-May-2012.tar", "6cd6e144f989b92b3379bac3b3de84fd",
                  "VOCdevkit", "VOC2012"),
    "2011": _year("voc2011", "VOCtrainval_25-May-2011.tar", "6c3384ef61512963050cb5d687e5bf1e",
                  "TrainVal", "VOCdevkit", "VOC2011"),
    "2010": _year("voc2010", "VOCtrainval_03-May-2010.tar", "da459979d0c395079b5c75ee67908abb",
                  "VOCdevkit", "VOC2010"),
    "2009": _year("voc2009", "VOCtrainval_11-May-2009.tar", "59065e4b188729180974ef6572f6a212",
                  "VOCdevkit", "VOC2009"),
    # torchvision saves the 2008 archive as "VOCtrainval_11-May-2012.tar" (a copy-paste slip),
    # where it would overwrite the 2012 archive in the same root; the URL's name is used here.
    "2008": _year("voc2008", "VOCtrainval_14-Jul-2008.tar", "2629fa636546599198acfcfbfcf1904a",
                  "VOCdevkit", "VOC2008"),
    "2007": _year("voc2007", "VOCtrainval_06-Nov-2007.tar", "c52e279531787c972589f7e41ab4ae64",
                  "VOCdevkit", "VOC2007"),
    "2007-test": _year("voc2007", "VOCtest_06-Nov-2007.tar", "b6e924de25625d8de591ea690078ad9f",
                       "VOCdevkit", "VOC2007"),
}


class _VOCBase(VisionDataset):
    _SPLITS_DIR: str
    _TARGET_DIR: str
    _TARGET_FILE_EXT: str

    def __init__(self, root, year: str = "2012", image_set: str = "train",
                 download: bool = False, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 transforms: Callable | None = None) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.year = verify_str_arg(year, "year", [str(y) for y in range(2007, 2013)])
        valid_image_sets = ["train", "trainval", "val"]
        if year == "2007":
            valid_image_sets.append("test")  # only 2007 published its test annotations
        self.image_set = verify_str_arg(image_set, "image_set", valid_image_sets)
        key = "2007-test" if year == "2007" and image_set == "test" else year
        dataset_year_dict = DATASET_YEAR_DICT[key]
        self.url = dataset_year_dict["url"]
        self.filename = dataset_year_dict["filename"]
        self.md5 = dataset_year_dict["md5"]
        voc_root = os.path.join(self.root, dataset_year_dict["base_dir"])
        if download:
            download_and_extract_archive(self.url, self.root, filename=self.filename,
                                         md5=self.md5)
        if not os.path.isdir(voc_root):
            raise _dataset_not_found(voc_root)

        split_f = os.path.join(voc_root, "ImageSets", self._SPLITS_DIR, image_set + ".txt")
        if not os.path.isfile(split_f):
            raise RuntimeError(f"{type(self).__name__}: no image set file {split_f} (image_set="
                               f"{image_set!r} of year {year})")
        with open(split_f) as f:
            file_names = [x.strip() for x in f if x.strip()]
        image_dir = os.path.join(voc_root, "JPEGImages")
        self.images = [os.path.join(image_dir, x + ".jpg") for x in file_names]
        target_dir = os.path.join(voc_root, self._TARGET_DIR)
        self.targets = [os.path.join(target_dir, x + self._TARGET_FILE_EXT) for x in file_names]

    def __len__(self) -> int:
        return len(self.images)


class VOCSegmentation(_VOCBase):
    """`Pascal VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_ segmentation: items are
    ``(image, mask)``, the mask the palette PNG of class indices (0 background, 1-20, 255 void).

    Args:
        root: folder holding ``VOCdevkit/`` (``TrainVal/VOCdevkit/`` for 2011).
        year: ``"2007"`` to ``"2012"``.
        image_set: ``"train"``, ``"trainval"`` or ``"val"``; also ``"test"`` for 2007.
        download: download and extract the year's tar (MD5-checked).
        transform: applied to the PIL RGB image. target_transform: applied to the mask.
        transforms: a callable on ``(image, mask)`` (exclusive with the two above).

    Example:
        >>> ds = VOCSegmentation("data", year="2012", image_set="val", download=True)
        >>> img, mask = ds[0]
    """

    _SPLITS_DIR = "Segmentation"
    _TARGET_DIR = "SegmentationClass"
    _TARGET_FILE_EXT = ".png"

    @property
    def masks(self) -> list[str]:
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, mask)``: PIL images (RGB, and the mask as stored, mode ``'P'``)."""
        img = pil_loader(self.images[index])
        target = _open_image(self.masks[index])
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target


class VOCDetection(_VOCBase):
    """`Pascal VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_ detection: items are
    ``(image, annotation)``, the annotation XML as nested dicts (see :meth:`parse_voc_xml`).

    Args: as :class:`VOCSegmentation`.

    Example:
        >>> img, target = VOCDetection("data", year="2007", image_set="test")[0]
        >>> [o["name"] for o in target["annotation"]["object"]]
        ['dog', 'person']
    """

    _SPLITS_DIR = "Main"
    _TARGET_DIR = "Annotations"
    _TARGET_FILE_EXT = ".xml"

    @property
    def annotations(self) -> list[str]:
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, annotation dict)``."""
        img = pil_loader(self.images[index])
        path = self.annotations[index]
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise RuntimeError(f"VOCDetection: {path} is not valid XML: {exc}") from exc
        target = self.parse_voc_xml(root)
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    @staticmethod
    def parse_voc_xml(node: ET.Element) -> dict[str, Any]:
        """An XML element as ``{tag: text}`` for a leaf, ``{tag: {child tag: value}}``
        otherwise; a repeated child tag gives a list, and ``annotation/object`` is always a
        list (torchvision's layout, so one-object images need no special case).

        (The annotations are the dataset's own files; like torchvision without defusedxml, the
        standard library parser is used, which does not fetch external entities.)
        """
        voc_dict: dict[str, Any] = {}
        children = list(node)
        if children:
            def_dic: dict[str, Any] = collections.defaultdict(list)
            for dc in map(VOCDetection.parse_voc_xml, children):
                for ind, v in dc.items():
                    def_dic[ind].append(v)
            if node.tag == "annotation":
                def_dic["object"] = [def_dic["object"]]
            voc_dict = {node.tag: {ind: v[0] if len(v) == 1 else v
                                   for ind, v in def_dic.items()}}
        if node.text:
            text = node.text.strip()
            if not children:
                voc_dict[node.tag] = text
        return voc_dict
