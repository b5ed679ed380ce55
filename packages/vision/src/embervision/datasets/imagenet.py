"""ImageNet 2012 (ILSVRC2012 classification) from the official archives, as torchvision does.

The archives (no longer downloadable; place them in ``root``):

- ``ILSVRC2012_devkit_t12.tar.gz``: ``ILSVRC2012_devkit_t12/data/meta.mat``, a MATLAB struct
  array ``synsets`` (1860 x 1) with fields ``ILSVRC2012_ID``, ``WNID``, ``words``, ``gloss``,
  ``num_children``, ``children``, ``wordnet_height``, ``num_train_images``; the 1000 leaves
  (``num_children == 0``) are the classes. ``data/ILSVRC2012_validation_ground_truth.txt``
  holds the ``ILSVRC2012_ID`` of each validation image, one per line, in file-name order.
- ``ILSVRC2012_img_train.tar``: one ``<wnid>.tar`` of JPEGs per class.
- ``ILSVRC2012_img_val.tar``: the 50,000 ``ILSVRC2012_val_<8 digits>.JPEG`` files.

On first use the devkit is parsed into ``meta.bin`` (``(wnid_to_classes, val_wnids)`` in
``torch.save`` format, so torchvision's file is read too) and the image archives are unpacked
into ``root/train/<wnid>/`` and ``root/val/<wnid>/``; afterwards it is an :class:`ImageFolder`.

``meta.mat`` is a struct array, which the numeric reader in :mod:`._matlab` skips; the struct,
cell and character classes of the same level-5 format are read here on top of its element
reader (MathWorks, "MAT-File Format": a struct's miMATRIX holds its field-name length, the
padded field names, then one miMATRIX per field per element in column-major order).
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import zlib
from typing import Any

import numpy as np

import ember

from ._matlab import _MI_COMPRESSED, _MI_MATRIX, _MX_DTYPES, _Reader
from .folder import ImageFolder
from .utils import check_integrity, extract_archive, verify_str_arg

__all__ = ["ARCHIVE_META", "ImageNet", "META_FILE", "load_meta_file", "parse_devkit_archive",
           "parse_train_archive", "parse_val_archive"]

ARCHIVE_META = {
    "train": ("ILSVRC2012_img_train.tar", "1d675b47d978889d74fa0da5fadfb00e"),
    "val": ("ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622"),
    "devkit": ("ILSVRC2012_devkit_t12.tar.gz", "fa75699e90414af021442c21a62c3abf"),
}

META_FILE = "meta.bin"

_MX_CELL, _MX_STRUCT, _MX_CHAR = 1, 2, 4
_CHAR_CODECS = {16: "utf-8", 17: "utf-16", 18: "utf-32"}  # miUTF8/16/32; else code units


class _StructReader(_Reader):
    """``_Reader`` plus struct, cell and char arrays (structs become lists of dicts)."""

    def value(self, payload) -> Any:
        if not payload:
            return np.zeros((0, 0))  # an empty matrix element: MATLAB's []
        _, flags, pos = self.element(payload, 0)
        word = struct.unpack_from(self.endian + "I", flags, 0)[0]
        mxclass = word & 0xFF
        _, dims_payload, pos = self.element(payload, pos)
        dims = tuple(int(d) for d in np.frombuffer(dims_payload, self.endian + "i4"))
        _, _, pos = self.element(payload, pos)  # the name (empty inside structs and cells)
        count = int(np.prod(dims, dtype=np.int64))
        if mxclass == _MX_STRUCT:
            _, length, pos = self.element(payload, pos)
            width = int(np.frombuffer(length, self.endian + "i4")[0])
            _, raw, pos = self.element(payload, pos)
            names = [bytes(raw[i:i + width]).split(b"\0", 1)[0].decode("ascii")
                     for i in range(0, len(raw), width)] if width else []
            records = []
            for _ in range(count):
                record = {}
                for name in names:
                    mdtype, sub, pos = self.element(payload, pos)
                    if mdtype != _MI_MATRIX:
                        self.fail(f"struct field {name!r} is not a matrix element")
                    record[name] = self.value(sub)
                records.append(record)
            return records
        if mxclass == _MX_CELL:
            cells = []
            for _ in range(count):
                _, sub, pos = self.element(payload, pos)
                cells.append(self.value(sub))
            return cells
        if mxclass == _MX_CHAR:
            mdtype, raw, pos = self.element(payload, pos)
            if mdtype in _CHAR_CODECS:
                text = bytes(raw).decode(_CHAR_CODECS[mdtype])
                chars = np.array(list(text)) if text else np.zeros(0, "<U1")
            else:  # miUINT16/miUINT8 code units (what MATLAB and scipy write)
                codes = self.numeric(mdtype, raw, count, "a character array")
                chars = np.array([chr(c) for c in codes.tolist()], dtype="<U1")
            if len(dims) == 2 and dims[0] <= 1:
                return "".join(chars.tolist())
            rows = chars.reshape(dims, order="F").reshape(dims[0], -1)
            return ["".join(r) for r in rows.tolist()]
        if mxclass in _MX_DTYPES:
            mdtype, real, pos = self.element(payload, pos)
            array = self.numeric(mdtype, real, count, "a numeric array")
            return array.astype(_MX_DTYPES[mxclass]).reshape(dims, order="F")
        return None  # sparse, objects: not in meta.mat


def _load_struct_variable(path: str, name: str, reader_cls: type = _StructReader,
                          who: str = "ImageNet") -> Any:
    """The variable ``name`` of the level-5 MAT-file ``path``, structs included, decoded by
    ``reader_cls`` (a :class:`_StructReader`; SBD's adds sparse arrays); ``who`` names the
    dataset in errors."""
    with open(path, "rb") as f:
        data = f.read()
    marker = data[126:128]
    if len(data) < 128 or marker not in (b"IM", b"MI"):
        raise RuntimeError(f"{who}: {path} is not a level-5 MAT-file")
    reader = reader_cls(path, "<" if marker == b"IM" else ">")
    pos = 128
    while pos < len(data):
        mdtype, payload, pos = reader.element(data, pos, top=True)
        if mdtype == _MI_COMPRESSED:
            mdtype, payload, _ = reader.element(zlib.decompress(payload), 0)
        if mdtype != _MI_MATRIX or not payload:
            continue
        # The name is the third sub-element: flags, dims, name.
        _, _, p = reader.element(payload, 0)
        _, _, p = reader.element(payload, p)
        _, raw_name, _ = reader.element(payload, p)
        if bytes(raw_name).decode("ascii", "replace") == name:
            return reader.value(payload)
    raise RuntimeError(f"{who}: {path} has no variable {name!r}")


def _scalar(value) -> int:
    return int(np.asarray(value).reshape(-1)[0])


def _parse_meta_mat(devkit_root: str) -> tuple[dict[int, str], dict[str, tuple[str, ...]]]:
    metafile = os.path.join(devkit_root, "data", "meta.mat")
    synsets = _load_struct_variable(metafile, "synsets")
    if not isinstance(synsets, list) or not synsets or "WNID" not in synsets[0]:
        raise RuntimeError(f"ImageNet: {metafile}: 'synsets' is not the devkit's struct array")
    leaves = [s for s in synsets if _scalar(s["num_children"]) == 0]
    idx_to_wnid = {_scalar(s["ILSVRC2012_ID"]): s["WNID"] for s in leaves}
    wnid_to_classes = {s["WNID"]: tuple(s["words"].split(", ")) for s in leaves}
    return idx_to_wnid, wnid_to_classes


def _verify_archive(root: str, file: str, md5: str) -> None:
    if not check_integrity(os.path.join(root, file), md5):
        raise RuntimeError(f"The archive {file} is not present in the root directory or is "
                           f"corrupted. You need to download it externally and place it in "
                           f"{root}.")


def load_meta_file(root, file: str | None = None) -> tuple[dict[str, tuple[str, ...]],
                                                           list[str]]:
    """Read ``meta.bin``: ``(wnid_to_classes, val_wnids)``."""
    file = os.path.join(root, META_FILE if file is None else file)
    if not check_integrity(file):
        raise RuntimeError(f"The meta file {file} is not present in the root directory or is "
                           f"corrupted. This file is automatically created by the ImageNet "
                           f"dataset.")
    return ember.load(file)


def parse_devkit_archive(root, file: str | None = None) -> None:
    """Parse the devkit archive (class names, validation labels) into ``root/meta.bin``.

    Args:
        root: folder holding the archive.
        file: its name; default ``ILSVRC2012_devkit_t12.tar.gz``.
    """
    name, md5 = ARCHIVE_META["devkit"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    with tempfile.TemporaryDirectory() as tmp_dir:
        extract_archive(os.path.join(root, file), tmp_dir)
        devkit_root = os.path.join(tmp_dir, "ILSVRC2012_devkit_t12")
        idx_to_wnid, wnid_to_classes = _parse_meta_mat(devkit_root)
        gt = os.path.join(devkit_root, "data", "ILSVRC2012_validation_ground_truth.txt")
        with open(gt) as f:
            val_idcs = [int(line) for line in f if line.strip()]
        unknown = sorted(set(val_idcs) - set(idx_to_wnid))
        if unknown:
            raise RuntimeError(f"ImageNet: {gt} uses class ids {unknown[:5]} that meta.mat does "
                               f"not list as leaves")
        val_wnids = [idx_to_wnid[idx] for idx in val_idcs]
        ember.save((wnid_to_classes, val_wnids), os.path.join(root, META_FILE))


def parse_train_archive(root, file: str | None = None, folder: str = "train") -> None:
    """Unpack the training archive into ``root/<folder>/<wnid>/`` (one inner tar per class)."""
    name, md5 = ARCHIVE_META["train"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    train_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), train_root)
    for archive in sorted(os.listdir(train_root)):
        path = os.path.join(train_root, archive)
        extract_archive(path, os.path.splitext(path)[0], remove_finished=True)


def parse_val_archive(root, file: str | None = None, wnids: list[str] | None = None,
                      folder: str = "val") -> None:
    """Unpack the validation archive into ``root/<folder>/<wnid>/``, the i-th image (in
    file-name order) going to ``wnids[i]`` (default: from ``meta.bin``)."""
    name, md5 = ARCHIVE_META["val"]
    file = name if file is None else file
    if wnids is None:
        wnids = load_meta_file(root)[1]
    _verify_archive(root, file, md5)
    val_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), val_root)
    images = sorted(os.path.join(val_root, image) for image in os.listdir(val_root))
    if len(images) != len(wnids):
        raise RuntimeError(f"ImageNet: {file} holds {len(images)} images but the ground truth "
                           f"lists {len(wnids)}")
    for wnid in set(wnids):
        os.mkdir(os.path.join(val_root, wnid))
    for wnid, img_file in zip(wnids, images):
        shutil.move(img_file, os.path.join(val_root, wnid, os.path.basename(img_file)))


class ImageNet(ImageFolder):
    """`ImageNet <https://image-net.org/>`_ 2012 classification: 1000 classes, 1.28M training
    and 50k validation images, read from the official archives placed in ``root``.

    Args:
        root: folder holding the archives (and, after the first use, ``meta.bin``,
            ``train/`` and ``val/``).
        split: ``'train'`` or ``'val'``.
        **kwargs: passed to :class:`ImageFolder` (``transform``, ``target_transform``,
            ``loader``, ...).

    Attributes:
        classes: per class, the tuple of its names (``('tench', 'Tinca tinca')``);
        class_to_idx: every name -> index; wnids: WordNet ids (sorted, index order);
        wnid_to_idx; imgs/samples: ``(path, index)``; targets.

    Example:
        >>> ds = ImageNet("/data/imagenet", split="val")
        >>> ds.classes[0], ds.wnids[0]
        (('tench', 'Tinca tinca'), 'n01440764')
    """

    def __init__(self, root, split: str = "train", **kwargs: Any) -> None:
        root = self.root = os.path.expanduser(os.fspath(root))
        self.split = verify_str_arg(split, "split", ("train", "val"))
        self.parse_archives()
        wnid_to_classes = load_meta_file(self.root)[0]
        super().__init__(self.split_folder, **kwargs)
        self.root = root
        self.wnids = self.classes
        self.wnid_to_idx = self.class_to_idx
        self.classes = [wnid_to_classes[wnid] for wnid in self.wnids]
        self.class_to_idx = {cls: idx for idx, clss in enumerate(self.classes) for cls in clss}

    def parse_archives(self) -> None:
        """Create ``meta.bin`` and the split's folder from the archives when missing."""
        if not check_integrity(os.path.join(self.root, META_FILE)):
            parse_devkit_archive(self.root)
        if not os.path.isdir(self.split_folder):
            if self.split == "train":
                parse_train_archive(self.root)
            else:
                parse_val_archive(self.root)

    @property
    def split_folder(self) -> str:
        return os.path.join(self.root, self.split)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
