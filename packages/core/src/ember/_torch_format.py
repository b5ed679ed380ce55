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
The writer is in :mod:`ember.serialization`; the tables it shares with the reader are here.
:func:`load_pickle` reads plain data pickles (CIFAR batches) through the same restrictions.
"""

from __future__ import annotations

import builtins
import codecs
import collections
import io
import pickle
import struct
import sys
import zipfile

import ml_dtypes
import numpy as np

from . import _dtype
from ._device import device, get_array_module
from ._tensor import Size, Tensor, _make

# Storage classes of ``torch`` (``torch.FloatStorage``...) and the element type of each.
STORAGE_DTYPES = {
    "DoubleStorage": np.dtype(np.float64),
    "FloatStorage": np.dtype(np.float32),
    "HalfStorage": np.dtype(np.float16),
    "BFloat16Storage": np.dtype(ml_dtypes.bfloat16),
    "LongStorage": np.dtype(np.int64),
    "IntStorage": np.dtype(np.int32),
    "ShortStorage": np.dtype(np.int16),
    "CharStorage": np.dtype(np.int8),
    "ByteStorage": np.dtype(np.uint8),
    "BoolStorage": np.dtype(np.bool_),
    "ComplexFloatStorage": np.dtype(np.complex64),
    "ComplexDoubleStorage": np.dtype(np.complex128),
}
STORAGE_NAMES = {dt: name for name, dt in STORAGE_DTYPES.items()}
_QUANTIZED_STORAGES = {"QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                       "QUInt2x4Storage"}

# ``torch.<name>`` dtypes pickled by name, e.g. GLOBAL 'torch float32' (aliases included).
TORCH_DTYPES = {d.name: d for d in _dtype._ALL}
TORCH_DTYPES.update(double=_dtype.float64, float=_dtype.float32, half=_dtype.float16,
                    long=_dtype.int64, int=_dtype.int32, short=_dtype.int16,
                    cfloat=_dtype.complex64, cdouble=_dtype.complex128)

# PyTorch dtypes Ember has no type for, but whose values widen exactly into one (what a
# ``_rebuild_tensor_v3`` tensor of that dtype is loaded as): storage element -> Ember dtype.
_WIDENED = {
    "uint16": (np.dtype(np.uint16), _dtype.int32),
    "uint32": (np.dtype(np.uint32), _dtype.int64),
    "float8_e4m3fn": (np.dtype(ml_dtypes.float8_e4m3fn), _dtype.float32),
    "float8_e5m2": (np.dtype(ml_dtypes.float8_e5m2), _dtype.float32),
    "float8_e4m3fnuz": (np.dtype(ml_dtypes.float8_e4m3fnuz), _dtype.float32),
    "float8_e5m2fnuz": (np.dtype(ml_dtypes.float8_e5m2fnuz), _dtype.float32),
    "complex32": (np.dtype(np.float16), _dtype.complex64),  # pairs of float16
    "chalf": (np.dtype(np.float16), _dtype.complex64),
}

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


class StorageType:
    """What ``find_class`` returns for ``torch.FloatStorage`` & co: the storage's element type."""

    __slots__ = ("name", "np_dtype")

    def __init__(self, name: str, np_dtype):
        self.name, self.np_dtype = name, np.dtype(np_dtype)

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_STORAGE_TYPES = {name: StorageType(name, dt) for name, dt in STORAGE_DTYPES.items()}
_UNTYPED = StorageType("UntypedStorage", np.uint8)  # numel counts bytes


class ForeignDtype:
    """A ``torch`` dtype Ember has no equivalent of (``torch.uint16``, ``torch.float8_e4m3fn``)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_FOREIGN_DTYPES = set(_WIDENED) | {
    "uint64", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2",
    "quint2x4", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
} | {f"int{n}" for n in range(1, 8)} | {f"uint{n}" for n in range(1, 8)}


def _ascii(value) -> str:
    # Python 2 pickles carry ids and locations as bytes.
    return value.decode("ascii") if isinstance(value, bytes) else value


def _bytes_from_latin1(text, encoding="latin1"):
    # Protocol-2 pickles store bytes as _codecs.encode(str, 'latin1'); allow only that form.
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(
            f"ember.load: _codecs.encode is only allowed as (str, 'latin1'), got encoding "
            f"{encoding!r}"
        )
    return text.encode("latin1")


def _numpy_scalar(dtype, data=None):
    # numpy.core.multiarray.scalar(dtype, bytes): a NumPy scalar. Object scalars would hand
    # back an arbitrary object, so only plain numeric types are accepted.
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc" or dtype.fields:
        raise pickle.UnpicklingError(f"ember.load: refusing NumPy scalar of dtype {dtype!r}")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"ember.load: malformed NumPy scalar of dtype {dtype}")
    return np.frombuffer(data, dtype)[0]


def _torch_device(type, index=None):
    return device(type, index)


def _torch_size(dims=()):
    return Size(int(d) for d in dims)


# Plain globals that rebuild data and cannot run anything; the rebuild functions, storages and
# dtypes are handled by _CheckpointReader.find_class.
_SAFE_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): builtins.set,
    ("builtins", "frozenset"): builtins.frozenset,
    ("builtins", "slice"): builtins.slice,
    ("builtins", "complex"): builtins.complex,
    ("builtins", "bytearray"): builtins.bytearray,
    ("_codecs", "encode"): _bytes_from_latin1,
    ("torch", "device"): _torch_device,
    ("torch", "Size"): _torch_size,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
}


def _numpy_reconstruct(subtype, shape, typecode):
    # numpy.core.multiarray._reconstruct(ndarray, (0,), b'b'): an empty array that BUILD then
    # fills from (version, shape, dtype, is_fortran, raw bytes). Only plain ndarrays.
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"refusing to rebuild an array of type {subtype!r}")
    return np.ndarray.__new__(np.ndarray, shape, typecode)


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose globals and persistent ids all go through a :class:`_CheckpointReader`."""

    def __init__(self, file, reader: _CheckpointReader, encoding: str):
        super().__init__(file, encoding=encoding)
        self._reader = reader

    def find_class(self, module, name):
        return self._reader.find_class(module, name)

    def persistent_load(self, pid):
        return self._reader.persistent_load(pid)


class _CheckpointReader:
    """State of one load: the allowed globals, the storages read so far, their placement.

    ``read_storage(key, np_dtype, numel)`` (given by the format) returns the storage's elements
    as a fresh, writable, native-byte-order CPU array; ``restore(array, location)`` (from
    ``map_location``) returns it on its final device. Each storage is read and placed once and
    every tensor on it is a view of that one array, so tensors that shared memory when saved
    share it after loading.
    """

    op = "ember.load"
    allowed = "only tensors, storages and plain containers are allowed"

    def __init__(self, source: str, restore, read_storage, encoding: str = "utf-8",
                 dry: bool = False):
        self.source = source
        self.dry = dry  # legacy pass 1: declare storages, build nothing
        self.restore = restore
        self.read_storage = read_storage
        self.encoding = encoding
        self.storages: dict[str, Tensor] = {}  # key -> flat tensor over the placed storage
        self._storage_ids: set[int] = set()

    # -- pickles ------------------------------------------------------------------------------

    def unpickle(self, file):
        try:
            return _RestrictedUnpickler(file, self, self.encoding).load()
        except pickle.UnpicklingError as exc:
            if str(exc).startswith(self.op):
                raise
            raise pickle.UnpicklingError(
                f"{self.op}: {self.source} holds a damaged pickle ({exc})"
            ) from exc
        except EOFError as exc:
            raise pickle.UnpicklingError(
                f"{self.op}: {self.source} is truncated: its pickle ends early"
            ) from exc

    def find_class(self, module: str, name: str):
        if module == "__builtin__":  # protocol-2 pickles name Python 2's module
            module = "builtins"
        found = _SAFE_GLOBALS.get((module, name))
        if found is not None:
            return found
        if module == "torch._utils":
            rebuild = {
                "_rebuild_tensor": self.rebuild_tensor,
                "_rebuild_tensor_v2": self.rebuild_tensor_v2,
                "_rebuild_tensor_v3": self.rebuild_tensor_v3,
                "_rebuild_parameter": self.rebuild_parameter,
                "_rebuild_parameter_with_state": self.rebuild_parameter_with_state,
            }.get(name)
            if rebuild is not None:
                return rebuild
        if module in ("torch", "torch.storage"):
            if name in _STORAGE_TYPES and module == "torch":
                return _STORAGE_TYPES[name]
            if name == "UntypedStorage":
                return _UNTYPED
            if name in _QUANTIZED_STORAGES:
                raise RuntimeError(
                    f"ember.load: unsupported storage type 'torch.{name}' in {self.source}: "
                    f"Ember has no quantized tensors; dequantize them in PyTorch before saving"
                )
        if module == "torch":
            if name in TORCH_DTYPES:
                return TORCH_DTYPES[name]
            if name in _FOREIGN_DTYPES:
                return ForeignDtype(name)
        hint = ""
        if module.startswith("torch.nn"):
            hint = " (this file holds a pickled module: save and load model.state_dict() instead)"
        raise pickle.UnpicklingError(
            f"{self.op}: refusing to load '{module}.{name}' from {self.source}: "
            f"{self.allowed}{hint}"
        )

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or _ascii(pid[0]) != "storage":
            kind = _ascii(pid[0]) if isinstance(pid, tuple) and pid else type(pid).__name__
            if kind == "module":  # legacy files could embed a module's source code
                raise pickle.UnpicklingError(
                    f"ember.load: refusing to load a pickled module from {self.source}: only "
                    f"tensors, storages and plain containers are allowed"
                )
            raise pickle.UnpicklingError(
                f"ember.load: unsupported persistent record {kind!r} in {self.source}: only "
                f"'storage' records are allowed"
            )
        stype, key, location, numel = pid[1], _ascii(pid[2]), _ascii(pid[3]), pid[4]
        view = pid[5] if len(pid) > 5 else None  # legacy format: (view_key, offset, size)
        if not isinstance(stype, StorageType):
            raise pickle.UnpicklingError(
                f"ember.load: storage record {key!r} in {self.source} names {stype!r}, which is "
                f"not a storage type"
            )
        if not isinstance(key, str) or not isinstance(location, str) or not _is_int(numel):
            raise pickle.UnpicklingError(
                f"ember.load: malformed storage record {pid!r} in {self.source}"
            )
        if self.dry:
            self.read_storage(key, stype.np_dtype, numel)
            return None
        storage = self.storages.get(key)
        if storage is None:
            array = self.read_storage(key, stype.np_dtype, numel)
            storage = _make(self.restore(array, location))
            self.storages[key] = storage
            self._storage_ids.add(id(storage))
        if view is not None:  # a legacy storage that is a slice of a larger one
            if not (isinstance(view, tuple) and len(view) == 3):
                raise pickle.UnpicklingError(
                    f"ember.load: malformed storage view {view!r} in {self.source}"
                )
            view_key, offset, size = _ascii(view[0]), view[1], view[2]
            sub = self.storages.get(view_key)
            if sub is None:
                if not (_is_int(offset) and _is_int(size) and offset >= 0 and size >= 0
                        and offset + size <= storage._data.size):
                    raise RuntimeError(
                        f"ember.load: storage view {view_key!r} in {self.source} lies outside "
                        f"storage {key!r}: the checkpoint is corrupt"
                    )
                sub = _make(storage._data[offset:offset + size])
                self.storages[view_key] = sub
                self._storage_ids.add(id(sub))
            storage = sub
        return storage

    # -- the rebuild functions a checkpoint may call -------------------------------------------

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        """``torch._utils._rebuild_tensor``: a strided view of a storage."""
        if storage is None:  # a dry pass over a legacy file: storages are not read yet
            return None
        if id(storage) not in self._storage_ids:
            raise pickle.UnpicklingError(
                f"ember.load: _rebuild_tensor in {self.source} got a {type(storage).__name__} "
                f"where a storage was expected"
            )
        return _make(_strided_view(storage._data, storage_offset, size, stride, self.source))

    def rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad=False,
                          backward_hooks=None, metadata=None):
        """``torch._utils._rebuild_tensor_v2``; hooks are never restored (neither does PyTorch)."""
        t = self.rebuild_tensor(storage, storage_offset, size, stride)
        if t is None:
            return None
        if metadata:
            t = _apply_metadata(t, metadata)
        return _set_requires_grad(t, requires_grad, self.source)

    def rebuild_tensor_v3(self, storage, storage_offset, size, stride, requires_grad,
                          backward_hooks, dtype, metadata=None):
        """``torch._utils._rebuild_tensor_v3``: an untyped (byte) storage read as ``dtype``.

        PyTorch uses it for dtypes that have no ``torch.<X>Storage`` class. Those Ember lacks
        but can hold exactly in a wider type (uint16 -> int32, uint32 -> int64, float8 ->
        float32, complex32 -> complex64) are widened; the others are refused.
        """
        if storage is None:
            return None
        if isinstance(dtype, _dtype.dtype):
            np_dtype, target = dtype.np_dtype, dtype
        elif isinstance(dtype, ForeignDtype) and dtype.name in _WIDENED:
            np_dtype, target = _WIDENED[dtype.name]
        else:
            raise RuntimeError(
                f"ember.load: {self.source} holds a tensor of dtype {dtype!r}, which Ember "
                f"does not support; convert it in PyTorch (e.g. tensor.float()) before saving"
            )
        if id(storage) not in self._storage_ids or storage._data.dtype != np.uint8:
            raise pickle.UnpicklingError(
                f"ember.load: _rebuild_tensor_v3 in {self.source} expects an untyped storage"
            )
        raw = storage._data
        if dtype is not None and getattr(dtype, "name", None) in ("complex32", "chalf"):
            # (real, imag) float16 pairs: widen the pairs, then read them as complex64.
            halves = raw[: raw.size - raw.size % 4].view(np.float16)
            typed = halves.astype(np.float32).view(np.complex64)
        else:
            typed = raw[: raw.size - raw.size % np_dtype.itemsize].view(np_dtype)
        view = _strided_view(typed, storage_offset, size, stride, self.source)
        if view.dtype != target.np_dtype:
            view = view.astype(target.np_dtype)
        t = _make(view)
        if metadata:
            t = _apply_metadata(t, metadata)
        return _set_requires_grad(t, requires_grad, self.source)

    def rebuild_parameter(self, data, requires_grad, backward_hooks=None):
        """``torch._utils._rebuild_parameter``: an ``ember.nn.Parameter`` around ``data``."""
        if data is None:
            return None
        if not isinstance(data, Tensor):
            raise pickle.UnpicklingError(
                f"ember.load: _rebuild_parameter in {self.source} got a {type(data).__name__}"
            )
        from .nn.parameter import Parameter

        if isinstance(Parameter, type) and issubclass(Parameter, Tensor):
            return Parameter(data, bool(requires_grad))
        return _set_requires_grad(data, requires_grad, self.source)

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        # ``state`` holds Python attributes set on the parameter; Ember does not restore them
        # (an attribute could be anything, and plain parameters never have any).
        return self.rebuild_parameter(data, requires_grad, backward_hooks)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _strided_view(storage, offset, size, stride, source: str):
    """``storage[offset:]`` seen with ``size`` and ``stride`` (in elements), bounds-checked."""
    ok = _is_int(offset) and offset >= 0 and isinstance(size, (tuple, list))
    ok = ok and isinstance(stride, (tuple, list)) and len(size) == len(stride)
    ok = ok and all(_is_int(n) and n >= 0 for n in size) and all(_is_int(s) for s in stride)
    if not ok:
        raise pickle.UnpicklingError(
            f"ember.load: malformed tensor record in {source} (offset={offset!r}, "
            f"size={size!r}, stride={stride!r})"
        )
    size = tuple(int(n) for n in size)
    stride = tuple(int(s) for s in stride)
    numel = storage.size
    if all(size):
        lo = offset + sum((n - 1) * s for n, s in zip(size, stride) if s < 0)
        hi = offset + sum((n - 1) * s for n, s in zip(size, stride) if s > 0)
        fits = lo >= 0 and hi < numel
    else:
        fits = offset <= numel
    if not fits:
        raise RuntimeError(
            f"ember.load: a tensor of size {list(size)} with stride {list(stride)} at offset "
            f"{offset} does not fit its storage of {numel} elements in {source}: the "
            f"checkpoint is corrupt"
        )
    itemsize = storage.itemsize
    strides = tuple(s * itemsize for s in stride)
    xp = get_array_module(storage)
    if xp is np:  # a view whose .base is the storage itself (Tensor.storage_offset reads it)
        return np.ndarray(size, storage.dtype, buffer=storage, offset=offset * itemsize,
                          strides=strides)
    return xp.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=strides)


def _apply_metadata(t: Tensor, metadata) -> Tensor:
    # torch records lazily conjugated / negated tensors as raw data plus a bit to apply.
    data = t._data
    if isinstance(metadata, dict):
        if metadata.get("conj"):
            data = data.conj()
        if metadata.get("neg"):
            data = -data
    return t if data is t._data else _make(data)


def _set_requires_grad(t: Tensor, requires_grad, source: str) -> Tensor:
    if requires_grad:
        if not t.is_floating_point() and not t.is_complex():
            raise RuntimeError(
                f"ember.load: a {t.dtype} tensor in {source} is marked requires_grad, but only "
                f"floating-point and complex tensors can require gradients"
            )
        t.requires_grad = True
    return t


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
