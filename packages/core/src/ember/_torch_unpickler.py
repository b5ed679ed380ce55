"""The reading side of ``ember._torch_format``: the tables of torch's storage types and
dtypes (shared with the writer in ``_save_pickler.py``), the restricted unpickler whose
``find_class`` hands out only the globals a checkpoint of tensors needs, and the rebuild
functions that turn storages, offsets, sizes and strides into Ember tensors.
"""

from __future__ import annotations

import builtins
import codecs
import collections
import pickle

import ml_dtypes
import numpy as np

from . import _dtype
from ._device import device, get_array_module
from ._tensor import Size, Tensor, _make

__all__: list[str] = []


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


# Instances can end up in loaded objects (and so in user pickles): keep the public module's name
# (this file is a private part of ember._torch_format, which re-exports both).
StorageType.__module__ = ForeignDtype.__module__ = "ember._torch_format"
