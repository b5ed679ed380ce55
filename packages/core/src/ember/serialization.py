"""Checkpoints: ``ember.save`` / ``ember.load`` in PyTorch's format, and safetensors helpers.

``save`` writes exactly what ``torch.save`` writes (a zip archive ``<name>/data.pkl`` +
``<name>/data/<key>``; or the legacy non-zip layout with ``_use_new_zipfile_serialization=False``),
so PyTorch loads Ember checkpoints and Ember loads PyTorch's. The pickle names torch's own globals
(``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``...) without importing torch: a small
pickler writes them by name. Saves to a path are atomic (temporary file, fsync, rename).

``load`` reads both PyTorch formats and ``.safetensors`` files, recognised by their content.
Deliberate difference from PyTorch: loading never runs code from the file, whatever
``weights_only`` says; pickles go through a restricted unpickler (see :mod:`ember._torch_format`).
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np

from . import _device as _dev
from . import _dtype
from ._tensor import Size, Tensor, _make
from ._torch_format import (
    LEGACY_MAGIC,
    LEGACY_PROTOCOL,
    STORAGE_NAMES,
    read_legacy,
    read_zip,
)

__all__ = ["save", "load"]

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


def _write_record(zf: zipfile.ZipFile, name: str, data) -> None:
    """One stored (uncompressed) record whose bytes start on a 64-byte boundary.

    The padding goes in the local header's extra field (id 'FB', as PyTorch's writer does), so
    ``load(..., mmap=True)`` can map storages in place with their natural alignment.
    """
    data = memoryview(data).cast("B")
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = data.nbytes
    header = 30 + len(name.encode("utf-8")) + 4
    if data.nbytes * 1.05 > zipfile.ZIP64_LIMIT:  # zipfile adds a 20-byte zip64 field
        header += 20
    pad = -(zf.start_dir + header) % _ALIGNMENT
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
    with zf.open(info, "w") as dest:
        dest.write(data)


def _write_zip(obj, file, archive: str, protocol: int, byteorder_record: bool) -> None:
    data_pkl, storages = _pickle(obj, protocol, legacy=False)
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{archive}/data.pkl", data_pkl)
        _write_record(zf, f"{archive}/.format_version", b"1")
        _write_record(zf, f"{archive}/.storage_alignment", str(_ALIGNMENT).encode())
        if byteorder_record:
            _write_record(zf, f"{archive}/byteorder", sys.byteorder.encode())
        for storage in sorted(storages, key=lambda s: int(s.key)):
            _write_record(zf, f"{archive}/data/{storage.key}", storage.data)
        _write_record(zf, f"{archive}/version", b"3\n")


def _write_legacy(obj, file, protocol: int) -> None:
    data_pkl, storages = _pickle(obj, protocol, legacy=True)
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL,
                   {"protocol_version": LEGACY_PROTOCOL, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, file, protocol=protocol)
    file.write(data_pkl)
    storages = sorted(storages, key=lambda s: s.key)  # torch writes the keys sorted
    pickle.dump([s.key for s in storages], file, protocol=protocol)
    for storage in storages:
        data = storage.data
        if sys.byteorder == "big" and storage.np_dtype.itemsize > 1:  # always little-endian
            data = data.view(storage.np_dtype).byteswap().view(np.uint8)
        file.write(struct.pack("<q", storage.numel))
        file.write(memoryview(data))


# ---------------------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------------------


def _atomic_write(path: str, write) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it onto ``path``.

    Readers see the old file or the complete new one, never a torn one; on any error the
    temporary file is removed and ``path`` is left as it was.
    """
    if os.path.islink(path):
        path = os.path.realpath(path)  # replace the link's target, as open(path, 'wb') would
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RuntimeError(f"ember.save: parent directory {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); give it the mode open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


# ---------------------------------------------------------------------------------------------
# save / load
# ---------------------------------------------------------------------------------------------


def save(obj, f, pickle_module=pickle, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` (tensors in nested dicts/lists/tuples) to a file, in PyTorch's format.

    ``torch.load`` reads the result. Tensors that share memory (views of one array) share one
    storage in the file and again after :func:`load`. ``nn.Parameter`` stays a Parameter and
    ``requires_grad`` is kept; gradients and hooks are not saved.

    Args:
        obj: tensors, Python numbers, strings, bytes, None, dtypes, devices, ``ember.Size``,
            NumPy scalars, and dicts (incl. OrderedDict), lists, tuples and sets of them.
        f: a path (``str`` or ``os.PathLike``), written atomically; or a writable binary file.
        pickle_module: must be :mod:`pickle` (the default); Ember writes with its own pickler.
        pickle_protocol: pickle protocol, 2 (PyTorch's default) to 5.
        _use_new_zipfile_serialization: False writes the legacy (PyTorch < 1.6) layout.
        _disable_byteorder_record: leave out the ``byteorder`` record, as PyTorch's flag does.

    Raises:
        TypeError: ``obj`` holds an object a checkpoint cannot carry (e.g. a Module).

    Example:
        >>> ember.save({"weight": ember.ones(2, 3), "step": 10}, "ckpt.pt")
        >>> ember.load("ckpt.pt")["step"]
        10
    """
    if pickle_module is not pickle:
        raise ValueError(
            "ember.save: pickle_module must be the pickle module: Ember writes checkpoints "
            "with its own pickler so that PyTorch and ember.load can read them"
        )

    def write(fh):
        if not _use_new_zipfile_serialization:
            _write_legacy(obj, fh, pickle_protocol)
            return
        if _is_path(f):  # torch.save names the folder after the file; 'archive' for buffers
            archive = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        else:
            archive = "archive"
        _write_zip(obj, fh, archive, pickle_protocol, not _disable_byteorder_record)

    if _is_path(f):
        _atomic_write(os.fspath(f), write)
    elif hasattr(f, "write"):
        write(f)
    else:
        raise TypeError(
            f"ember.save: f must be a path or a writable binary file, got {type(f).__name__}"
        )


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args):
    """Load an object saved by :func:`save`, ``torch.save`` (zip or legacy) or safetensors.

    The format is recognised from the file's content. Tensors come back owning writable memory;
    those that shared a storage in the file share memory again.

    Args:
        f: a path or a readable binary file.
        map_location: where storages go. None: the device they were saved from; ``'cpu'``,
            ``'cuda'``, ``'cuda:1'`` or an :class:`ember.device`: there; a dict such as
            ``{'cuda:0': 'cpu'}``: saved location -> new location; a callable
            ``(storage, location) -> tensor or None`` (``storage`` is a 1-D CPU tensor; None
            keeps the default placement).
        pickle_module: must be None or :mod:`pickle`; loading always uses Ember's restricted
            unpickler.
        weights_only: accepted for compatibility. Deliberate difference: Ember never runs code
            from a file, so ``False`` does not unlock arbitrary globals either.
        mmap: map the storages of a zip checkpoint from the file (copy-on-write) instead of
            reading them; needs ``f`` to be a path.
        **pickle_load_args: ``encoding`` for Python 2 pickles (default ``'utf-8'``).

    Returns:
        The saved object; for a safetensors file, a dict of name -> tensor.

    Raises:
        pickle.UnpicklingError: the file refers to a global other than tensors, storages and
            plain containers (e.g. ``os.system``); the message names it.
        RuntimeError: not a checkpoint, truncated or corrupt file, missing records, storages on
            an unavailable device.

    Example:
        >>> state = ember.load("model.pth", map_location="cpu")
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(
            "ember.load: a custom pickle_module cannot be used: Ember always loads through its "
            "restricted unpickler"
        )
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"ember.load: unexpected arguments {sorted(pickle_load_args)}")
    if mmap and not _is_path(f):
        raise ValueError("ember.load: mmap=True needs f to be a file path")
    source = os.fspath(f) if _is_path(f) else getattr(f, "name", None) or "<file object>"
    source = str(source)
    restore = _restore_fn(map_location, source)
    if _is_path(f):
        with open(f, "rb") as fh:
            return _load_from(fh, source, restore, encoding, os.fspath(f), bool(mmap))
    if not hasattr(f, "read"):
        raise TypeError(
            f"ember.load: f must be a path or a readable binary file, got {type(f).__name__}"
        )
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())  # the zip directory is at the end: reading needs seeking
    return _load_from(f, source, restore, encoding, None, False)


def _load_from(fh, source: str, restore, encoding: str, path, mmap: bool):
    start = fh.tell()
    head = fh.read(512)
    size = fh.seek(0, io.SEEK_END) - start
    fh.seek(start)
    kind = _sniff(head, size)
    if kind == "zip":
        return read_zip(fh, source, restore, mmap_path=path if mmap else None, encoding=encoding)
    if kind == "safetensors":  # (mmap or not: the safetensors reader maps the file itself)
        return _load_safetensors_file(fh, path, source, restore)
    if kind == "legacy":
        if mmap:
            raise RuntimeError(
                f"ember.load: mmap=True works only for zip checkpoints, and {source} is a "
                f"legacy torch.save file; load it with mmap=False"
            )
        return read_legacy(fh, source, restore, encoding=encoding)
    if kind == "tar":
        raise RuntimeError(
            f"ember.load: {source} is a tar-format checkpoint (PyTorch < 0.4), which Ember "
            f"does not read; re-save it with a recent PyTorch"
        )
    raise RuntimeError(
        f"ember.load: {source} is not a checkpoint: it is neither a PyTorch/Ember zip archive, "
        f"a legacy torch.save file nor a safetensors file (it starts with {head[:16]!r})"
    )


def _sniff(head: bytes, size: int) -> str:
    """The format of a file, from its first bytes and its size."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if len(head) >= 9 and head[8:9] == b"{":
        # safetensors: little-endian u64 header length, then that many bytes of JSON
        (header_len,) = struct.unpack("<Q", head[:8])
        if 2 <= header_len <= size - 8:
            return "safetensors"
    if head[:1] == b"\x80":  # a pickle (legacy torch.save starts with its magic number)
        return "legacy"
    if head[257:262] == b"ustar":
        return "tar"
    return "unknown"


def _default_restore(array, location: str, source: str):
    """Place a CPU storage on the device named ``location`` ('cpu', 'cuda', 'cuda:1')."""
    try:
        dev = _dev.device(location)
    except (RuntimeError, ValueError, TypeError):
        raise RuntimeError(
            f"ember.load: {source} has storages on device {location!r}, which Ember does not "
            f"support; pass map_location='cpu'"
        ) from None
    if dev.type == "cpu":
        return array
    if not _dev.cuda_available():
        raise RuntimeError(
            f"ember.load: Attempting to deserialize object on a CUDA device but "
            f"ember.cuda.is_available() is False (file {source}). If you are running on a "
            f"CPU-only machine, please use ember.load with map_location='cpu' to map your "
            f"storages to the CPU."
        )
    count = _dev.cuda_device_count()
    if (dev.index or 0) >= count:
        raise RuntimeError(
            f"ember.load: Attempting to deserialize object on CUDA device {dev.index} but "
            f"ember.cuda.device_count() is {count} (file {source}). Please use ember.load with "
            f"map_location to map your storages to an existing device."
        )
    return _dev.move_array(array, dev)


def _restore_fn(map_location, source: str):
    """``restore(cpu_array, saved_location) -> array`` for each ``map_location`` form."""
    if map_location is None:
        return lambda array, location: _default_restore(array, location, source)
    if isinstance(map_location, (str, _dev.device)):
        target = str(map_location)
        return lambda array, location: _default_restore(array, target, source)
    if isinstance(map_location, dict):
        table = {str(k): str(v) for k, v in map_location.items()}
        return lambda array, location: _default_restore(
            array, table.get(location, location), source
        )
    if callable(map_location):

        def restore(array, location):
            result = map_location(_make(array), location)
            if result is None:
                return _default_restore(array, location, source)
            if not isinstance(result, Tensor):
                raise TypeError(
                    f"ember.load: map_location returned a {type(result).__name__}; it must "
                    f"return a tensor (the storage, possibly moved) or None"
                )
            return result._data.reshape(-1)

        return restore
    raise TypeError(
        f"ember.load: map_location must be None, a string, an ember.device, a dict or a "
        f"callable, got {type(map_location).__name__}"
    )


# ---------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------


def _load_safetensors_file(fh, path, source: str, restore) -> dict:
    import safetensors.numpy

    try:
        if path is not None:
            arrays = safetensors.numpy.load_file(path)
        else:
            arrays = safetensors.numpy.load(fh.read())
    except Exception as exc:  # SafetensorError, or a dtype NumPy cannot hold
        raise RuntimeError(f"ember.load: cannot read safetensors file {source}: {exc}") from exc
    out = {}
    for name, array in arrays.items():
        if array.dtype.kind == "u" and array.dtype.itemsize > 1:  # no Ember uint16/32/64
            array = array.astype(_dtype.from_numpy_dtype(array.dtype).np_dtype)
        out[name] = _make(restore(np.array(array), "cpu"))  # own, writable memory
    return out


def save_safetensors(state_dict, path, metadata: dict | None = None) -> None:
    """Save a flat dict of tensors as a ``.safetensors`` file (atomically).

    Args:
        state_dict: name -> tensor. Tensors are written contiguous; shared memory is not kept
            (the format has no views).
        path: the file to write.
        metadata: str -> str pairs for the header. Default ``{'format': 'pt'}``: the tensors
            are laid out as PyTorch's, and Hugging Face loaders require that tag.

    Raises:
        TypeError: a value is not a tensor, a key or metadata entry is not a string, or a
            dtype the format lacks (complex128).
    """
    import safetensors.numpy

    if metadata is None:
        metadata = {"format": "pt"}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("save_safetensors: metadata must map strings to strings")
    arrays = {}
    for name, t in state_dict.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(
                f"save_safetensors: expected a dict of str -> Tensor, got {name!r} -> "
                f"{type(t).__name__}"
            )
        if t.dtype is _dtype.complex128:
            raise TypeError(
                f"save_safetensors: tensor {name!r} is complex128, which the safetensors "
                f"format cannot hold; convert it to complex64 or save with ember.save"
            )
        data = t._data if t.is_cpu else t._data.get()
        arrays[name] = np.ascontiguousarray(data)

    def write(fh):
        fh.write(safetensors.numpy.save(arrays, metadata=metadata))

    _atomic_write(os.fspath(path), write)


def load_safetensors(path, device="cpu") -> dict:
    """Load a ``.safetensors`` file as a dict of name -> tensor on ``device``.

    Example:
        >>> state = ember.serialization.load_safetensors("model.safetensors")
    """
    source = os.fspath(path)
    with open(path, "rb") as fh:
        head = fh.read(16)
        if _sniff(head, os.fstat(fh.fileno()).st_size) != "safetensors":
            raise RuntimeError(f"load_safetensors: {source} is not a safetensors file")
        return _load_safetensors_file(fh, source, source, _restore_fn(device, source))
