"""Checkpoints: ``ember.save`` / ``ember.load`` in PyTorch's format, and safetensors helpers.

``save`` writes exactly what ``torch.save`` writes (a zip archive ``<name>/data.pkl`` +
``<name>/data/<key>``; or the legacy non-zip layout with ``_use_new_zipfile_serialization=False``),
so PyTorch loads Ember checkpoints and Ember loads PyTorch's. The pickle names torch's own globals
(``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``...) without importing torch: a small
pickler writes them by name. Saves to a path are atomic (temporary file, fsync, rename).

``load`` reads both PyTorch formats and ``.safetensors`` files, recognised by their content.
Deliberate difference from PyTorch: loading never runs code from the file, whatever
``weights_only`` says; pickles go through a restricted unpickler (see :mod:`ember._torch_format`).
The writing pickler (torch's globals by name, the storage plan) is in ``_save_pickler.py``.
"""

from __future__ import annotations

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
from ._save_pickler import (
    _ALIGNMENT,
    _pickle,
)
from ._tensor import Tensor, _make
from ._torch_format import (
    LEGACY_MAGIC,
    LEGACY_PROTOCOL,
    read_legacy,
    read_zip,
)

__all__ = ["save", "load"]


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
