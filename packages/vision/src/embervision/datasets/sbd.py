"""Semantic Boundaries Dataset (SBD): ``root/img/<id>.jpg``, ``root/cls/<id>.mat`` and the
image sets ``root/{train,val,train_noval}.txt``.

Each ``cls/<id>.mat`` holds a 1 x 1 struct ``GTcls`` with fields ``Segmentation`` (uint8 H x W
class indices, 0 background) and ``Boundaries`` (a 20 x 1 cell of sparse logical H x W maps,
one per class) and ``CategoriesPresent``. torchvision reads them with SciPy; SciPy is not a
dependency here, so the struct reader of :mod:`.imagenet` is extended with MATLAB's sparse class
(MathWorks, "MAT-File Format": flags, dims, name, then row indices ``ir`` (int32, nnz),
column starts ``jc`` (int32, ncols + 1), then the values ``pr`` (nnz)).
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from ._matlab import _MI_DTYPES
from .folder import pil_loader
from .imagenet import _load_struct_variable, _StructReader
from .utils import _dataset_not_found, download_and_extract_archive, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["SBDataset"]

_MX_SPARSE = 5


class _SparseStructReader(_StructReader):
    """:class:`_StructReader` plus sparse matrices, returned dense (what torchvision gets from
    ``.toarray()``)."""

    def value(self, payload) -> Any:
        if payload:
            _, flags, pos = self.element(payload, 0)
            word = struct.unpack_from(self.endian + "I", flags, 0)[0]
            if word & 0xFF == _MX_SPARSE:
                return self._sparse(payload, pos)
        return super().value(payload)

    def _sparse(self, payload, pos: int) -> np.ndarray:
        _, dims_payload, pos = self.element(payload, pos)
        rows, cols = (int(d) for d in np.frombuffer(dims_payload, self.endian + "i4")[:2])
        _, _, pos = self.element(payload, pos)  # name
        mdtype, ir, pos = self.element(payload, pos)
        ir = self.numeric(mdtype, ir, len(ir) // 4, "sparse row indices").astype(np.int64)
        mdtype, jc, pos = self.element(payload, pos)
        jc = self.numeric(mdtype, jc, cols + 1, "sparse column starts").astype(np.int64)
        nnz = int(jc[-1])
        mdtype, pr, pos = self.element(payload, pos)
        if mdtype not in _MI_DTYPES:
            self.fail(f"sparse values stored with unsupported element type {mdtype}")
        values = self.numeric(mdtype, pr, len(pr) // np.dtype(_MI_DTYPES[mdtype]).itemsize,
                              "sparse values")[:nnz]
        # Values keep their stored element type, as scipy.io.loadmat (torchvision's reader)
        # returns sparse data: uint8 0/1 for SBD's logical maps.
        dense = np.zeros((rows, cols), dtype=values.dtype)
        # Column of each stored value from the column starts, without a loop over columns.
        col = np.repeat(np.arange(cols), np.diff(jc))
        dense[ir[:nnz], col] = values.astype(dense.dtype)
        return dense


def _load_gtcls(path: str) -> dict[str, Any]:
    records = _load_struct_variable(path, "GTcls", _SparseStructReader, "SBDataset")
    if not isinstance(records, list) or not records:
        raise RuntimeError(f"SBDataset: GTcls in {path} is not a struct")
    return records[0]


class SBDataset(VisionDataset):
    """The `Semantic Boundaries Dataset <http://home.bharathh.info/pubs/codes/SBD/download.html>`_:
    11355 PASCAL VOC 2011 images with class boundaries and segmentations.

    Its train and val splits differ from VOC's; ``image_set="train_noval"`` leaves out every
    VOC 2012 val image.

    Args:
        root: the dataset folder (holding ``img/``, ``cls/`` and the image-set files).
        image_set: ``"train"`` (default), ``"val"`` or ``"train_noval"``.
        mode: ``"boundaries"`` (default): the target is a NumPy array ``(20, H, W)`` of 0/1,
            one boundary map per class (in the file's stored type, uint8 for SBD);
            ``"segmentation"``: a PIL mode-L image of class indices.
        download: download ``benchmark.tgz`` (MD5-checked), move its ``dataset/`` contents into
            ``root`` and fetch ``train_noval.txt``.
        transforms: a callable on ``(image, target)``.

    Example:
        >>> img, seg = SBDataset("data/sbd", image_set="val", mode="segmentation")[0]
    """

    url = ("https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/"
           "semantic_contours/benchmark.tgz")
    md5 = "82b4d87ceb2ed10f6038a1cba92111cb"
    filename = "benchmark.tgz"

    voc_train_url = "https://www.cs.cornell.edu/~bharathh/train_noval.txt"
    voc_split_filename = "train_noval.txt"
    voc_split_md5 = "79bff800c5f0b1ec6b21080a3c066722"

    def __init__(self, root, image_set: str = "train", mode: str = "boundaries",
                 download: bool = False, transforms: Callable | None = None) -> None:
        super().__init__(root, transforms)
        self.image_set = verify_str_arg(image_set, "image_set", ("train", "val", "train_noval"))
        self.mode = verify_str_arg(mode, "mode", ("segmentation", "boundaries"))
        self.num_classes = 20
        sbd_root = self.root
        image_dir = os.path.join(sbd_root, "img")
        mask_dir = os.path.join(sbd_root, "cls")
        if download:
            download_and_extract_archive(self.url, self.root, filename=self.filename,
                                         md5=self.md5)
            extracted_ds_root = os.path.join(self.root, "benchmark_RELEASE", "dataset")
            for f in ("cls", "img", "inst", "train.txt", "val.txt"):
                if not os.path.exists(os.path.join(sbd_root, f)):
                    shutil.move(os.path.join(extracted_ds_root, f), sbd_root)
            download_url(self.voc_train_url, sbd_root, self.voc_split_filename,
                         self.voc_split_md5)
        if not os.path.isdir(image_dir):
            raise _dataset_not_found(sbd_root)
        split_f = os.path.join(sbd_root, image_set + ".txt")
        if not os.path.isfile(split_f):
            raise RuntimeError(f"SBDataset: no image set file {split_f}")
        with open(split_f) as fh:
            file_names = [x.strip() for x in fh if x.strip()]
        self.images = [os.path.join(image_dir, x + ".jpg") for x in file_names]
        self.masks = [os.path.join(mask_dir, x + ".mat") for x in file_names]
        self._get_target = (self._get_segmentation_target if self.mode == "segmentation"
                            else self._get_boundaries_target)

    def _get_segmentation_target(self, filepath: str) -> Image.Image:
        seg = np.asarray(_load_gtcls(filepath)["Segmentation"])
        return Image.fromarray(np.ascontiguousarray(seg))

    def _get_boundaries_target(self, filepath: str) -> np.ndarray:
        cells = _load_gtcls(filepath)["Boundaries"]
        if not isinstance(cells, list) or len(cells) < self.num_classes:
            raise RuntimeError(f"SBDataset: Boundaries in {filepath} is not a cell of "
                               f"{self.num_classes} maps")
        return np.stack([np.asarray(cells[i]) for i in range(self.num_classes)], axis=0)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)`` (RGB PIL image; target as ``mode`` says)."""
        img = pil_loader(self.images[index])
        target = self._get_target(self.masks[index])
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> str:
        return f"Image set: {self.image_set}\nMode: {self.mode}"
