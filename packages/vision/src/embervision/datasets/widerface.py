"""WIDER FACE face detection: ``root/widerface/WIDER_{train,val,test}/images/<event>/<name>.jpg``
and the annotation lists in ``root/widerface/wider_face_split/``.

``wider_face_{train,val}_bbx_gt.txt`` repeats: the image path, the number of faces N, then N
lines of 10 integers. The dataset's readme orders them ``x1 y1 w h blur expression
illumination invalid occlusion pose``; torchvision names columns 7, 8, 9 ``occlusion``,
``pose``, ``invalid`` instead. torchvision's names are kept, so code ported from it reads the
same columns. An image with no face is listed with N = 0 followed by one line of zeros, which
torchvision reads as one all-zero box; kept too. ``wider_face_test_filelist.txt`` lists the
test images.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from .caltech import _GDRIVE, _open_image
from .utils import download_and_extract_archive, download_url, extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["WIDERFace"]


class WIDERFace(VisionDataset):
    """`WIDER FACE <http://shuoyang1213.me/WIDERFACE/>`_: items are ``(image, target)`` with
    the target a dict of int64 tensors over the N faces — ``bbox`` ``(N, 4)`` as
    ``(x, y, width, height)``, ``blur``, ``expression``, ``illumination``, ``occlusion``,
    ``pose``, ``invalid`` (each ``(N,)``) — and ``None`` for the test split.

    Args:
        root: folder in which ``widerface/`` is (or will be) placed.
        split: ``"train"`` (default), ``"val"`` or ``"test"``.
        transform: applied to the PIL image. target_transform: applied to the target.
        download: download the three image zips (Google Drive) and the annotation zip
            (MD5-checked) and extract them.

    Example:
        >>> img, target = WIDERFace("data", split="val")[0]
        >>> target["bbox"].shape
        (N, 4)
    """

    BASE_FOLDER = "widerface"
    FILE_LIST = [
        # File ID (Google Drive), MD5, file name: torchvision's.
        ("15hGDLhsx8bLgLcIRD5DhYt5iBxnjNF1M", "3fedf70df600953d25982bcd13d91ba2",
         "WIDER_train.zip"),
        ("1GUCogbp16PMGa39thoMMeWxp7Rp5oM8Q", "dfa7d7e790efa35df3788964cf0bbaea",
         "WIDER_val.zip"),
        ("1HIfDbVEWKmsYKJZm4lchTBDLW5N7dY5T", "e5d8f4248ed24c334bbd12f49c29dd40",
         "WIDER_test.zip"),
    ]
    ANNOTATIONS_FILE = (
        "http://shuoyang1213.me/WIDERFACE/support/bbx_annotation/wider_face_split.zip",
        "0e3767bcf0e326556d407bf5bff5d27c",
        "wider_face_split.zip",
    )

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root=os.path.join(os.path.expanduser(os.fspath(root)), self.BASE_FOLDER),
                         transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", ("train", "val", "test"))
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download and prepare it (looked in {self.root})")
        self.img_info: list[dict[str, Any]] = []
        if self.split in ("train", "val"):
            self.parse_train_val_annotations_file()
        else:
            self.parse_test_annotations_file()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``; the target is None for the test split."""
        img = _open_image(self.img_info[index]["img_path"])
        if self.transform is not None:
            img = self.transform(img)
        target = None if self.split == "test" else self.img_info[index]["annotations"]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.img_info)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"

    def parse_train_val_annotations_file(self) -> None:
        """Fill ``img_info`` from ``wider_face_{split}_bbx_gt.txt``."""
        filename = f"wider_face_{self.split}_bbx_gt.txt"
        filepath = os.path.join(self.root, "wider_face_split", filename)
        with open(filepath) as f:
            lines = [line.rstrip() for line in f]
        pos = 0
        try:
            while pos < len(lines):
                if not lines[pos]:
                    pos += 1
                    continue
                img_path = os.path.abspath(os.path.join(self.root, "WIDER_" + self.split,
                                                        "images", lines[pos]))
                # N = 0 is followed by one line of zeros, read as one box (torchvision does).
                num_lines = max(int(lines[pos + 1]), 1)
                rows = lines[pos + 2 : pos + 2 + num_lines]
                if len(rows) != num_lines:
                    raise ValueError("the file ends inside an image's boxes")
                labels = np.array([[int(x) for x in row.split()[:10]] for row in rows],
                                  dtype=np.int64)
                if labels.shape[1] != 10:
                    raise ValueError(f"box lines of {lines[pos]} have {labels.shape[1]} values, "
                                     f"expected 10")
                labels_tensor = ember.from_numpy(labels)
                self.img_info.append({
                    "img_path": img_path,
                    "annotations": {"bbox": labels_tensor[:, 0:4],  # x, y, width, height
                                    "blur": labels_tensor[:, 4],
                                    "expression": labels_tensor[:, 5],
                                    "illumination": labels_tensor[:, 6],
                                    "occlusion": labels_tensor[:, 7],
                                    "pose": labels_tensor[:, 8],
                                    "invalid": labels_tensor[:, 9]},
                })
                pos += 2 + num_lines
        except (ValueError, IndexError) as exc:
            raise RuntimeError(f"Error parsing annotation file {filepath} near line {pos + 1}: "
                               f"{exc}") from exc

    def parse_test_annotations_file(self) -> None:
        """Fill ``img_info`` from ``wider_face_test_filelist.txt``."""
        filepath = os.path.join(self.root, "wider_face_split", "wider_face_test_filelist.txt")
        with open(filepath) as f:
            for line in f:
                line = line.rstrip()
                if line:
                    self.img_info.append({"img_path": os.path.abspath(
                        os.path.join(self.root, "WIDER_test", "images", line))})

    def _check_integrity(self) -> bool:
        # The zips may be deleted: only the extracted folders are needed.
        return all(os.path.exists(os.path.join(self.root, os.path.splitext(filename)[0]))
                   for _, _, filename in self.FILE_LIST + [self.ANNOTATIONS_FILE])

    def download(self) -> None:
        """Download and extract the images and the annotations unless they are there."""
        if self._check_integrity():
            return
        for file_id, md5, filename in self.FILE_LIST:
            path = download_url(_GDRIVE.format(file_id), self.root, filename, md5)
            extract_archive(path)
        url, md5, filename = self.ANNOTATIONS_FILE
        download_and_extract_archive(url, self.root, filename=filename, md5=md5)
