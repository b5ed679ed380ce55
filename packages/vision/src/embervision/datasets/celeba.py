"""CelebA (aligned and cropped faces) from ``celeba/img_align_celeba/*.jpg`` and its text files.

All are space-separated with runs of spaces: ``list_eval_partition.txt`` (``<file> <0|1|2>``,
train/valid/test), ``identity_CelebA.txt`` (``<file> <person id>``), and with a count line and
a header line first, ``list_attr_celeba.txt`` (40 attributes, -1/1), ``list_bbox_celeba.txt``
(``image_id x_1 y_1 width height``) and ``list_landmarks_align_celeba.txt`` (10 coordinates).
"""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from .caltech import _GDRIVE, _open_image
from .utils import (
    _dataset_not_found,
    check_integrity,
    download_url,
    extract_archive,
    verify_str_arg,
)
from .vision import VisionDataset

__all__ = ["CelebA"]

CSV = namedtuple("CSV", ["header", "index", "data"])

_TARGET_TYPES = ("attr", "identity", "bbox", "landmarks")


class CelebA(VisionDataset):
    """`CelebA <http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html>`_: 202,599 aligned 178x218
    face images of 10,177 people, 40 binary attributes, boxes and 5 landmarks each.

    Args:
        root: folder holding ``celeba/``.
        split: ``'train'``, ``'valid'``, ``'test'`` or ``'all'``.
        target_type: ``'attr'`` (int64 tensor (40,) of 0/1), ``'identity'`` (int64 0-d
            tensor), ``'bbox'`` (int64 tensor (4,): x, y, width, height), ``'landmarks'`` (int64
            tensor (10,)), or a list of them (a tuple target); an empty list gives ``None``.
        transform: applied to the PIL image. target_transform: applied to the target.
        download: download the files from Google Drive (MD5-checked) and extract the images.

    Attributes:
        filename: image file names of the split; attr, identity, bbox, landmarks_align: int64
        tensors (N, 40), (N, 1), (N, 4), (N, 10); attr_names: the 40 attribute names.

    Example:
        >>> ds = CelebA("data", split="valid", target_type=["attr", "bbox"])
        >>> img, (attr, bbox) = ds[0]
    """

    base_folder = "celeba"
    _url_template = _GDRIVE
    file_list = [
        # Drive file id, md5, filename (torchvision's)
        ("0B7EVK8r0v71pZjFTYXZWM3FlRnM", "00d2c5bc6d35e252742224ab0c1e8fcb",
         "img_align_celeba.zip"),
        ("0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c",
         "list_attr_celeba.txt"),
        ("1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS", "32bd1bd63d3c78cd57e08160ec5ed1e2",
         "identity_CelebA.txt"),
        ("0B7EVK8r0v71pbThiMVRxWXZ4dU0", "00566efa6fedff7a56946cd1c10f1c16",
         "list_bbox_celeba.txt"),
        ("0B7EVK8r0v71pd0FJY3Blby1HUTQ", "cc24ecafdb5b50baae59b03474781f8c",
         "list_landmarks_align_celeba.txt"),
        ("0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668",
         "list_eval_partition.txt"),
    ]

    def __init__(self, root, split: str = "train", target_type: list[str] | str = "attr",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = split
        self.target_type = list(target_type) if isinstance(target_type, list) else [target_type]
        if not self.target_type and self.target_transform is not None:
            raise RuntimeError("target_transform is specified but target_type is empty")
        # Checked here rather than at the first __getitem__ (torchvision's ValueError there).
        for t in self.target_type:
            verify_str_arg(t, "target_type", _TARGET_TYPES)
        split_map = {"train": 0, "valid": 1, "test": 2, "all": None}
        split_ = split_map[verify_str_arg(split.lower() if isinstance(split, str) else split,
                                          "split", ("train", "valid", "test", "all"))]
        if download:
            self.download()
        if not self._check_integrity():
            raise _dataset_not_found(os.path.join(self.root, self.base_folder))

        splits = self._load_csv("list_eval_partition.txt")
        identity = self._load_csv("identity_CelebA.txt")
        bbox = self._load_csv("list_bbox_celeba.txt", header=1)
        landmarks_align = self._load_csv("list_landmarks_align_celeba.txt", header=1)
        attr = self._load_csv("list_attr_celeba.txt", header=1)
        for name, table in (("identity_CelebA.txt", identity), ("list_bbox_celeba.txt", bbox),
                            ("list_landmarks_align_celeba.txt", landmarks_align),
                            ("list_attr_celeba.txt", attr)):
            if len(table.data) != len(splits.data):
                raise RuntimeError(f"CelebA: {name} has {len(table.data)} rows but "
                                   f"list_eval_partition.txt has {len(splits.data)}")
        mask = (np.ones(len(splits.data), bool) if split_ is None
                else splits.data[:, 0] == split_)
        self.filename = [name for name, keep in zip(splits.index, mask) if keep]
        self.identity = ember.from_numpy(identity.data[mask])
        self.bbox = ember.from_numpy(bbox.data[mask])
        self.landmarks_align = ember.from_numpy(landmarks_align.data[mask])
        # The file's -1/1 -> 0/1 (floor((a + 1) / 2), as torchvision).
        self.attr = ember.from_numpy((attr.data[mask] + 1) // 2)
        self.attr_names = attr.header

    def _load_csv(self, filename: str, header: int | None = None) -> CSV:
        path = os.path.join(self.root, self.base_folder, filename)
        with open(path) as f:
            rows = [line.split() for line in f.read().splitlines()]
        if header is not None:
            headers, rows = rows[header], rows[header + 1:]
        else:
            headers = []
        rows = [row for row in rows if row]
        indices = [row[0] for row in rows]
        try:
            data = np.array([row[1:] for row in rows], dtype=np.int64)
        except ValueError as exc:  # ragged rows or a non-integer field
            raise RuntimeError(f"CelebA: {path} is not a table of integers after its file-name "
                               f"column: {exc}") from exc
        return CSV(headers, indices, data.reshape(len(rows), -1))

    def _check_integrity(self) -> bool:
        # The text files must be present (MD5s are checked on download); the zip may have been
        # deleted once extracted.
        folder = os.path.join(self.root, self.base_folder)
        for _, _, filename in self.file_list:
            if not filename.endswith(".zip") and not check_integrity(
                    os.path.join(folder, filename)):
                return False
        return os.path.isdir(os.path.join(folder, "img_align_celeba"))

    def download(self) -> None:
        """Download every file (MD5-checked) and extract ``img_align_celeba.zip``."""
        if self._check_integrity():
            return
        folder = os.path.join(self.root, self.base_folder)
        for file_id, md5, filename in self.file_list:
            download_url(self._url_template.format(file_id), folder, filename, md5)
        extract_archive(os.path.join(folder, "img_align_celeba.zip"))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)`` with the target chosen by ``target_type``."""
        X = _open_image(os.path.join(self.root, self.base_folder,  # noqa: N806
                                     "img_align_celeba", self.filename[index]))
        target: Any = []
        for t in self.target_type:
            if t == "attr":
                target.append(self.attr[index, :])
            elif t == "identity":
                target.append(self.identity[index, 0])
            elif t == "bbox":
                target.append(self.bbox[index, :])
            else:  # landmarks
                target.append(self.landmarks_align[index, :])
        if self.transform is not None:
            X = self.transform(X)  # noqa: N806
        if target:
            target = tuple(target) if len(target) > 1 else target[0]
            if self.target_transform is not None:
                target = self.target_transform(target)
        else:
            target = None
        return X, target

    def __len__(self) -> int:
        return len(self.attr)

    def extra_repr(self) -> str:
        return "\n".join(["Target type: {target_type}", "Split: {split}"]).format(
            **self.__dict__)
