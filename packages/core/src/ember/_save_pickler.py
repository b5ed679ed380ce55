"""Writing side of ``ember.serialization``: torch's pickle without torch. A small pickler
names torch's own globals (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``...) by
name, and a storage plan lays out each distinct buffer once (views share their storage, as in
``torch.save``). Only objects the restricted unpickler can rebuild are accepted.
"""

from __future__ import annotations

import collections
import io
import pickle

import numpy as np

from . import _device as _dev
from . import _dtype
from ._tensor import Size, Tensor
from ._torch_format import (
    STORAGE_NAMES,
)

__all__: list[str] = []


_ALIGNMENT = 64  # storage records start on 64-byte boundaries, as torch.save lays them out


# ---------------------------------------------------------------------------------------------
# Writing: torch's pickle without torch
# ---------------------------------------------------------------------------------------------


class _Global:
    """A global of ``torch`` written into the pickle by name (never imported)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):
        # Only a name for the pickle; callable because pickle checks reduce functions are.
        raise RuntimeError(f"{self.module}.{self.name} exists only inside checkpoints")


_REBUILD_TENSOR_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_TORCH_DEVICE = _Global("torch", "device")
_TORCH_SIZE = _Global("torch", "Size")
_STORAGE_GLOBALS = {dt: _Global("torch", name) for dt, name in STORAGE_NAMES.items()}
_DTYPE_GLOBALS = {d: _Global("torch", d.name) for d in _dtype._ALL}

# Objects a checkpoint may hold besides tensors, storages and these globals: the ones the
# restricted unpickler rebuilds. Anything else is refused when saving (it could not be loaded).
_PLAIN = {type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict,
          collections.OrderedDict, set, frozenset, slice, _Global}


def _reduction_callables() -> set[int]:
    # The classes and functions Python's own reductions of the objects above call (what the
    # pickle names with GLOBAL): allowed when saving because the loader accepts them too.
    import _codecs

    scalar = np.float64(0).__reduce__()[0]  # numpy's multiarray.scalar
    callables = (collections.OrderedDict, set, frozenset, slice, complex, bytearray,
                 _codecs.encode, np.dtype, scalar)
    return {id(c) for c in callables}


_REDUCTION_CALLABLES = _reduction_callables()


class _StorageOut:
    """One storage to write: its key, element type, location and bytes (a uint8 array)."""

    __slots__ = ("key", "np_dtype", "location", "data", "numel", "pid")

    def __init__(self, key, np_dtype, location, data, legacy):
        self.key, self.np_dtype, self.location, self.data = key, np_dtype, location, data
        self.numel = data.size // np_dtype.itemsize
        pid = ("storage", _STORAGE_GLOBALS[np_dtype], key, location, self.numel)
        self.pid = pid + (None,) if legacy else pid  # legacy ids carry a (no) view record


def _contiguous_strides(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _owner(arr: np.ndarray) -> np.ndarray:
    """The last ndarray on ``arr``'s chain of bases: the one whose memory its views share."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


class _StoragePlan:
    """Which storage, offset and strides each saved array gets.

    Arrays that are views of one NumPy array share one storage, covering only the span of that
    array they use (PyTorch saves a view's whole storage; the smaller span loads identically).
    Arrays that cannot be described as (storage, offset, non-negative strides) -- negative or
    unaligned strides, non-native byte order -- and CUDA arrays are written as their own
    contiguous copy.
    """

    def __init__(self, legacy: bool):
        self.legacy = legacy
        self.storages: list[_StorageOut] = []
        self.views: dict[int, tuple] = {}  # id(array) -> (storage, offset, stride)
        self._alive: list = []  # keeps planned arrays alive, so their ids stay unique

    def _new_storage(self, np_dtype, location, data) -> _StorageOut:
        storage = _StorageOut(str(len(self.storages)), np_dtype, location, data, self.legacy)
        self.storages.append(storage)
        return storage

    def plan(self, arrays) -> None:
        groups: dict[tuple, list] = {}
        for arr in arrays:
            if id(arr) in self.views:
                continue
            self._alive.append(arr)
            if not self._shareable(arr):
                self._standalone(arr)
                continue
            ptr = arr.__array_interface__["data"][0]
            key = (id(_owner(arr)), arr.dtype, ptr % arr.itemsize)
            groups.setdefault(key, []).append((arr, ptr))
        for members in groups.values():
            self._share(members)

    def locate(self, arr) -> tuple:
        if id(arr) not in self.views:
            self.plan([arr])
        return self.views[id(arr)]

    @staticmethod
    def _shareable(arr) -> bool:
        if type(arr) is not np.ndarray or arr.size == 0 or arr.dtype not in STORAGE_NAMES:
            return False
        if not arr.dtype.isnative:
            return False
        owner = _owner(arr)
        if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
            return False
        return all(s >= 0 and s % arr.itemsize == 0 for s in arr.strides)

    def _share(self, members) -> None:
        arr0 = members[0][0]
        itemsize = arr0.itemsize
        owner = _owner(arr0)
        flat = owner.ravel(order="K").view(np.uint8)  # a view: the owner is contiguous
        base = flat.__array_interface__["data"][0]
        lo = min(ptr for _, ptr in members)
        hi = max(ptr + itemsize + sum((n - 1) * s for n, s in zip(a.shape, a.strides))
                 for a, ptr in members)
        if lo < base or hi > base + flat.size:  # a view reaching outside its owner's memory
            for arr, _ in members:
                self._standalone(arr)
            return
        storage = self._new_storage(arr0.dtype, "cpu", flat[lo - base:hi - base])
        for arr, ptr in members:
            stride = tuple(s // itemsize for s in arr.strides)
            self.views[id(arr)] = (storage, (ptr - lo) // itemsize, stride)

    def _standalone(self, arr) -> None:
        location, host = "cpu", arr
        if type(arr) is not np.ndarray:  # a CUDA array: copied to the host
            location, host = f"cuda:{arr.device.id}", arr.get()
        np_dtype = _dtype.from_numpy_dtype(host.dtype).np_dtype  # native order, Ember dtype
        data = np.ascontiguousarray(host, dtype=np_dtype)
        storage = self._new_storage(np_dtype, location, data.reshape(-1).view(np.uint8))
        self.views[id(arr)] = (storage, 0, _contiguous_strides(host.shape))


def _collect_arrays(obj, out: list, seen: set) -> list:
    """The arrays of all tensors in nested containers, so views can be planned together."""
    if id(obj) in seen:
        return out
    seen.add(id(obj))
    if isinstance(obj, Tensor):
        out.append(obj._data)
    elif isinstance(obj, dict):
        for value in obj.values():
            _collect_arrays(value, out, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            _collect_arrays(value, out, seen)
    return out


class _TorchPickler(pickle._Pickler):
    """Python's pickler, writing tensors, dtypes, devices and sizes as ``torch.save`` does.

    The pure-Python pickler is used because its ``save_global`` can be taken over: the globals
    named here belong to ``torch``, which is not imported (and need not be installed).
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int, plan: _StoragePlan):
        super().__init__(file, protocol)
        self.plan = plan
        self.used: dict[str, _StorageOut] = {}
        from .nn.parameter import Parameter

        self._parameter = Parameter if isinstance(Parameter, type) else ()

    def persistent_id(self, obj):
        if type(obj) is _StorageOut:
            self.used[obj.key] = obj
            return obj.pid
        return None

    def reducer_override(self, obj):
        t = type(obj)
        if t in _PLAIN or id(obj) in _REDUCTION_CALLABLES:
            return NotImplemented
        if isinstance(obj, Tensor):
            if isinstance(obj, self._parameter):
                # torch.save keeps a Parameter a Parameter: _rebuild_parameter(data, rg, hooks)
                return (_REBUILD_PARAMETER, (_PlainTensor(obj), obj.requires_grad,
                                             collections.OrderedDict()))
            return self._reduce_tensor(obj, obj.requires_grad)
        if t is _PlainTensor:
            return self._reduce_tensor(obj.tensor, False)
        if t is _dtype.dtype:
            return NotImplemented  # dispatch below: GLOBAL 'torch float32'
        if t is _dev.device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return (_TORCH_DEVICE, args)
        if t is Size:
            return (_TORCH_SIZE, (tuple(obj),))
        if isinstance(obj, (np.generic, np.dtype)) and _plain_numpy(obj):
            return NotImplemented  # NumPy scalars: numpy's own reduction, which load accepts
        raise TypeError(
            f"ember.save: cannot save an object of type {t.__module__}.{t.__qualname__}: "
            f"Ember checkpoints hold tensors, numbers, strings, bytes, None, dtypes, devices "
            f"and dicts/lists/tuples/sets of them (save a model's state_dict(), not the model; "
            f"convert NumPy arrays with ember.from_numpy)"
        )

    def _reduce_tensor(self, tensor: Tensor, requires_grad: bool):
        storage, offset, stride = self.plan.locate(tensor._data)
        size = tuple(tensor._data.shape)
        return (_REBUILD_TENSOR_V2, (storage, offset, size, stride, bool(requires_grad),
                                     collections.OrderedDict()))

    def save_global(self, obj, name=None):
        ref = obj if type(obj) is _Global else _DTYPE_GLOBALS.get(obj)
        if ref is None:
            return super().save_global(obj, name)
        self.write(pickle.GLOBAL + f"{ref.module}\n{ref.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_Global] = save_global
    dispatch[_dtype.dtype] = save_global


def _plain_numpy(obj) -> bool:
    dt = obj if isinstance(obj, np.dtype) else obj.dtype
    return dt.kind in "biufc" and dt.fields is None and type(dt).__module__ == "numpy.dtypes"


class _PlainTensor:
    """The data of a Parameter, pickled as a plain tensor inside ``_rebuild_parameter``."""

    __slots__ = ("tensor",)

    def __init__(self, tensor):
        self.tensor = tensor


def _pickle(obj, protocol: int, legacy: bool) -> tuple[bytes, list[_StorageOut]]:
    if not 2 <= protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(
            f"ember.save: pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}, "
            f"got {protocol}"
        )
    plan = _StoragePlan(legacy)
    plan.plan(_collect_arrays(obj, [], set()))
    buf = io.BytesIO()
    pickler = _TorchPickler(buf, protocol, plan)
    pickler.dump(obj)
    return buf.getvalue(), list(pickler.used.values())
