"""Devices and the array-module lookup. The only module that imports CuPy.

A CPU tensor holds a ``numpy.ndarray``, a CUDA tensor a ``cupy.ndarray``. Operations never branch
on the device: they ask :func:`get_array_module` for ``xp`` (numpy or cupy) and call it.
CuPy is optional (``pip install "ember[cuda12]"``); without it, or without a GPU,
``ember.cuda.is_available()`` is False and asking for a CUDA device raises a clear error.
"""

from __future__ import annotations

import numpy as np

__all__ = ["device", "get_array_module", "cuda_available"]

_cupy = None  # the cupy module once imported, False when it cannot be used
_cuda_ok = None  # cached answer of cuda_available()


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy

            _cupy = cupy
        except Exception:  # ImportError, or a broken CUDA installation
            _cupy = False
    return _cupy


def cupy_module():
    """The ``cupy`` module, or a RuntimeError saying why CUDA cannot be used."""
    cp = _import_cupy()
    if not cp:
        raise RuntimeError(
            "CUDA needs CuPy, which is not installed: pip install 'ember[cuda12]' "
            "(or 'ember[cuda13]')"
        )
    if not cuda_available():
        raise RuntimeError("CUDA is not available: CuPy found no usable NVIDIA GPU")
    return cp


def cuda_available() -> bool:
    global _cuda_ok
    if _cuda_ok is None:
        cp = _import_cupy()
        try:
            _cuda_ok = bool(cp) and bool(cp.is_available())
        except Exception:
            _cuda_ok = False
    return _cuda_ok


def cuda_device_count() -> int:
    if not cuda_available():
        return 0
    return int(_cupy.cuda.runtime.getDeviceCount())


def get_array_module(array):
    """``numpy`` for a NumPy array (or scalar), ``cupy`` for a CuPy array."""
    if type(array) is np.ndarray:
        return np
    cp = _cupy
    if cp and isinstance(array, cp.ndarray):
        return cp
    return np


def is_cupy_array(array) -> bool:
    return type(array) is not np.ndarray and bool(_cupy) and isinstance(array, _cupy.ndarray)


def is_writeable(array) -> bool:
    """Whether ``array``'s memory may be written: NumPy can mark an array read-only (a
    broadcast view, a buffer from ``frombuffer``); CuPy arrays have no such flag."""
    return getattr(array.flags, "writeable", True)


class device:
    """Where a tensor's memory lives: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 1)``.

    Example:
        >>> ember.device("cuda:1")
        device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        name, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise ValueError(f"device: index given twice in {type!r} and index={index}")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {type!r}")
            index = int(idx)
        if name not in ("cpu", "cuda"):
            raise RuntimeError(
                f"device: unsupported device type {name!r}; Ember supports 'cpu' and 'cuda'"
            )
        if index is not None and index < 0:
            raise ValueError(f"device: index must be non-negative, got {index}")
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = device("cpu")
_cuda_devices: dict[int, device] = {}


def device_of(array) -> device:
    """The device an array lives on."""
    if type(array) is np.ndarray:
        return CPU
    if is_cupy_array(array):
        idx = array.device.id
        dev = _cuda_devices.get(idx)
        if dev is None:
            dev = _cuda_devices[idx] = device("cuda", idx)
        return dev
    return CPU


def to_device(d) -> device:
    if type(d) is device:
        return d
    if d is None:
        return CPU
    return device(d)


def array_module_for(dev: device):
    """The array module that allocates on ``dev``; raises if CUDA is unusable."""
    if dev.type == "cpu":
        return np
    return cupy_module()


def move_array(array, dev: device):
    """Copy ``array`` to ``dev`` (no copy when it is already there)."""
    if dev.type == "cpu":
        if type(array) is np.ndarray:
            return array
        return array.get()
    cp = cupy_module()
    index = 0 if dev.index is None else dev.index
    if is_cupy_array(array) and array.device.id == index:
        return array
    with cp.cuda.Device(index):
        return cp.asarray(array)
