"""PyTorch's checkpoint formats, read without importing torch (and without running code).

``torch.save`` writes a pickle in which tensors are calls such as
``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
backward_hooks)`` and storages are *persistent ids* ``('storage', torch.FloatStorage, key,
location, numel)`` whose bytes live outside the pickle:

- the zip format (PyTorch >= 1.6, and Ember): ``<archive>/data.pkl`` plus one record
  ``<archive>/data/<key>`` of raw bytes per storage, and ``<archive>/byteorder``;
- the legacy format (PyTorch < 1.6): five pickles in a row (magic number, protocol version 1001,
  system info, the object, the list of storage keys), then each storage as its int64 element
  count followed by its little-endian bytes. Persistent ids carry a sixth field, the view of
  a larger storage that the storage is, or None.

Both are read through :class:`_RestrictedUnpickler`: ``find_class`` hands out only the handful of
globals a checkpoint of tensors needs (the rebuild functions below, storage types, dtypes,
``torch.device``, ``torch.Size``, ``OrderedDict``, a few builtins) and refuses every other one with
an ``UnpicklingError`` naming it, so no file can make ``load`` call ``os.system`` or anything else.
The writer is in :mod:`ember.serialization`; the tables it shares with the reader, the
unpickler and the rebuild functions are in ``_torch_unpickler.py`` (re-exported here).
:func:`load_pickle` reads plain data pickles (CIFAR batches) through the same restrictions.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import zipfile

import numpy as np

from ._torch_unpickler import (
    LEGACY_MAGIC,
    LEGACY_PROTOCOL,
    _ascii,
    _CheckpointReader,
    _numpy_reconstruct,
)
from ._torch_unpickler import STORAGE_DTYPES as STORAGE_DTYPES
from ._torch_unpickler import STORAGE_NAMES as STORAGE_NAMES
from ._torch_unpickler import TORCH_DTYPES as TORCH_DTYPES
from ._torch_unpickler import ForeignDtype as ForeignDtype
from ._torch_unpickler import StorageType as StorageType
from ._torch_unpickler import _RestrictedUnpickler as _RestrictedUnpickler

# ---------------------------------------------------------------------------------------------
# The zip format
# ---------------------------------------------------------------------------------------------


def read_zip(file, source: str, restore, *, mmap_path=None, encoding="utf-8"):
    """Load the object of a PyTorch/Ember zip checkpoint; ``file`` is a seekable binary file.

    With ``mmap_path``, uncompressed storages are mapped copy-on-write from that file instead of
    read into memory (``torch.load(mmap=True)``).
    """
    try:
        zf = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise RuntimeError(
            f"ember.load: {source} is a truncated or damaged zip archive ({exc}); the file may "
            f"not have finished downloading or saving"
        ) from exc
    with zf:
        prefix = _archive_prefix(zf, source)
        names = set(zf.namelist())
        byteorder = "little"
        if f"{prefix}byteorder" in names:
            byteorder = zf.read(f"{prefix}byteorder").decode("ascii", "replace").strip()
            if byteorder not in ("little", "big"):
                raise RuntimeError(
                    f"ember.load: unknown byte order {byteorder!r} recorded in {source}"
                )
        mapped = None
        if mmap_path is not None:
            mapped = np.memmap(mmap_path, dtype=np.uint8, mode="c")

        def read_storage(key, np_dtype, numel):
            name = f"{prefix}data/{key}"
            try:
                info = zf.getinfo(name)
            except KeyError:
                raise RuntimeError(
                    f"ember.load: storage record '{name}' is missing from {source}: the "
                    f"checkpoint is incomplete or corrupt"
                ) from None
            nbytes = int(numel) * np_dtype.itemsize
            if info.file_size < nbytes:
                raise RuntimeError(
                    f"ember.load: storage record '{name}' in {source} holds {info.file_size} "
                    f"bytes but the checkpoint declares {numel} {np_dtype} elements "
                    f"({nbytes} bytes): the checkpoint is corrupt"
                )
            if mapped is not None:
                raw = _mapped_record(zf, info, mapped, source)[:nbytes]
            else:
                raw = np.empty(nbytes, np.uint8)
                try:
                    with zf.open(info) as fh:
                        got = fh.readinto(memoryview(raw)) if nbytes else 0
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    raise RuntimeError(
                        f"ember.load: cannot read storage record '{name}' of {source}: {exc}"
                    ) from exc
                if got != nbytes:
                    raise RuntimeError(
                        f"ember.load: storage record '{name}' of {source} is truncated "
                        f"({got} of {nbytes} bytes)"
                    )
            array = raw.view(np_dtype)
            if byteorder != sys.byteorder and np_dtype.itemsize > 1:
                array = array.byteswap()
            return array

        reader = _CheckpointReader(source, restore, read_storage, encoding)
        try:
            data = zf.read(f"{prefix}data.pkl")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise RuntimeError(f"ember.load: cannot read data.pkl of {source}: {exc}") from exc
        return reader.unpickle(io.BytesIO(data))


def _archive_prefix(zf: zipfile.ZipFile, source: str) -> str:
    """The folder holding data.pkl: torch.save names it after the file ('archive/' for buffers)."""
    names = zf.namelist()
    if names:  # PyTorch's reader takes the folder of the first record
        first = names[0].split("/", 1)[0] + "/"
        if first + "data.pkl" in names:
            return first
    candidates = sorted(n for n in names if n.endswith("/data.pkl") and n.count("/") == 1)
    if candidates:
        return candidates[0][: -len("data.pkl")]
    if "data.pkl" in names:
        return ""
    if any(n.endswith("constants.pkl") for n in names):
        raise RuntimeError(
            f"ember.load: {source} is a TorchScript archive (torch.jit.save), which Ember cannot "
            f"load; save the model's state_dict() with torch.save instead"
        )
    raise RuntimeError(
        f"ember.load: {source} is a zip archive without a data.pkl record: not a PyTorch or "
        f"Ember checkpoint"
    )


def _mapped_record(zf: zipfile.ZipFile, info: zipfile.ZipInfo, mapped, source: str):
    if info.compress_type != zipfile.ZIP_STORED:
        raise RuntimeError(
            f"ember.load: mmap=True needs uncompressed storage records, but '{info.filename}' "
            f"in {source} is compressed; load it with mmap=False"
        )
    # The record's bytes follow its local header: 30 bytes, the name, the extra field.
    header = bytes(mapped[info.header_offset:info.header_offset + 30])
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise RuntimeError(f"ember.load: bad local header for '{info.filename}' in {source}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    if start + info.file_size > mapped.size:
        raise RuntimeError(f"ember.load: storage record '{info.filename}' of {source} is "
                           f"truncated")
    return mapped[start:start + info.file_size]


# ---------------------------------------------------------------------------------------------
# The legacy format (torch.save before PyTorch 1.6, or _use_new_zipfile_serialization=False)
# ---------------------------------------------------------------------------------------------


def read_legacy(file, source: str, restore, *, encoding="utf-8"):
    """Load the object of a legacy (non-zip) ``torch.save`` file; ``file`` must be seekable.

    The storages' bytes follow the object's pickle, so the pickle is read twice: a first pass
    learns which storages exist (their dtype and size), then their bytes are read and placed,
    then a second pass builds the tensors as views of them.
    """
    header = _CheckpointReader(source, restore, None, encoding)
    try:
        magic = header.unpickle(file)
    except (pickle.UnpicklingError, ValueError, TypeError) as exc:
        raise RuntimeError(
            f"ember.load: {source} is not a checkpoint (it starts like a pickle, but not like a "
            f"torch.save file: {exc})"
        ) from exc
    if magic != LEGACY_MAGIC:
        raise RuntimeError(
            f"ember.load: {source} has a wrong magic number ({magic!r}, expected "
            f"{LEGACY_MAGIC:#x}): not a legacy torch.save file, or a corrupt one"
        )
    try:
        protocol = header.unpickle(file)
        header.unpickle(file)  # system info: byte order and C type sizes (data is always LE)
    except pickle.UnpicklingError as exc:
        raise RuntimeError(f"ember.load: {source} is truncated after its magic number") from exc
    if protocol != LEGACY_PROTOCOL:
        raise RuntimeError(
            f"ember.load: {source} has legacy protocol version {protocol!r}; Ember reads "
            f"version {LEGACY_PROTOCOL}"
        )
    start = file.tell()

    # Pass 1: which storages, of which dtype (tensors are not built).
    declared: dict[str, np.dtype] = {}

    def declare(key, np_dtype, numel):
        declared[key] = np_dtype

    dry = _CheckpointReader(source, restore, declare, encoding, dry=True)
    dry.unpickle(file)
    keys = dry.unpickle(file)
    if not isinstance(keys, list) or not all(isinstance(_ascii(k), str) for k in keys):
        raise RuntimeError(f"ember.load: {source} has a malformed storage key list")
    here = file.tell()
    end = file.seek(0, io.SEEK_END)
    file.seek(here)

    # The storages, in the order of that list: int64 element count, then the bytes.
    arrays = {}
    for key in map(_ascii, keys):
        if key not in declared:
            raise RuntimeError(
                f"ember.load: storage {key!r} of {source} is not used by its pickle: the "
                f"checkpoint is corrupt"
            )
        np_dtype = declared[key]
        head = file.read(8)
        numel = struct.unpack("<q", head)[0] if len(head) == 8 else -1
        nbytes = numel * np_dtype.itemsize
        if numel < 0 or nbytes > end - file.tell():
            raise RuntimeError(
                f"ember.load: storage {key!r} of {source} is truncated: the file ends early"
            )
        raw = np.empty(nbytes, np.uint8)
        got = file.readinto(memoryview(raw)) if nbytes > 0 else 0
        if got != nbytes:
            raise RuntimeError(
                f"ember.load: storage {key!r} of {source} is truncated: the file ends early"
            )
        array = raw.view(np_dtype.newbyteorder("<"))
        arrays[key] = array.astype(np_dtype) if not array.dtype.isnative else array

    missing = sorted(set(declared) - set(arrays))
    if missing:
        raise RuntimeError(
            f"ember.load: storage record {missing[0]!r} is missing from {source}: the "
            f"checkpoint is incomplete"
        )

    # Pass 2: the object, on the storages just read.
    def read_storage(key, np_dtype, numel):
        array = arrays[key]
        if array.dtype != np_dtype:
            raise RuntimeError(f"ember.load: storage {key!r} of {source} has two dtypes")
        return array

    file.seek(start)
    return _CheckpointReader(source, restore, read_storage, encoding).unpickle(file)


class _PlainPickleReader(_CheckpointReader):
    """Plain data pickles (CIFAR batches): containers, numbers, strings, NumPy arrays."""

    op = "load_pickle"
    allowed = "only containers, numbers, strings and NumPy arrays are allowed"
    _ARRAY_GLOBALS = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    }

    def find_class(self, module, name):
        found = self._ARRAY_GLOBALS.get((module, name))
        if found is not None:
            return found
        if module.split(".")[0] == "torch":
            raise pickle.UnpicklingError(
                f"{self.op}: refusing to load '{module}.{name}' from {self.source}: "
                f"{self.allowed}"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(
            f"{self.op}: {self.source} is not a plain data pickle (it has persistent records)"
        )


def load_pickle(file, source: str, *, encoding: str = "ASCII"):
    """Unpickle plain data (e.g. a CIFAR batch) through the same restricted unpickler.

    Allowed: dicts, lists, tuples, sets, numbers, strings, bytes and NumPy arrays/scalars of
    non-object dtypes; every other global is refused with an ``UnpicklingError`` naming it.
    ``encoding`` is as for :func:`pickle.load` (``'bytes'`` or ``'latin1'`` for Python 2 data).

    Example:
        >>> with open("cifar-10-batches-py/data_batch_1", "rb") as f:
        ...     batch = load_pickle(f, "data_batch_1", encoding="bytes")
    """
    reader = _PlainPickleReader(source, None, None, encoding)
    result = reader.unpickle(file)
    _refuse_object_arrays(result, source)
    return result


def _refuse_object_arrays(obj, source: str, depth: int = 0) -> None:
    # Arrays of dtype object hold arbitrary (already restricted) objects; data pickles never
    # need them, so they are refused rather than handed on.
    if isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        raise pickle.UnpicklingError(f"load_pickle: refusing an object array in {source}")
    if depth < 8 and isinstance(obj, dict):
        for value in obj.values():
            _refuse_object_arrays(value, source, depth + 1)
    elif depth < 8 and isinstance(obj, (list, tuple)):
        for value in obj:
            _refuse_object_arrays(value, source, depth + 1)
