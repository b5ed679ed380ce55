"""CUDA devices through CuPy: availability, device count, synchronisation, memory statistics.

Everything here answers sensibly without CuPy or without a GPU: ``is_available()`` is False,
``device_count()`` is 0, and calls that need a GPU raise a clear RuntimeError.
"""

from __future__ import annotations

from .. import _device

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "memory_allocated",
    "max_memory_allocated",
    "memory_reserved",
    "empty_cache",
    "get_device_name",
]


def is_available() -> bool:
    """Whether CuPy is installed and sees at least one NVIDIA GPU."""
    return _device.cuda_available()


def device_count() -> int:
    return _device.cuda_device_count()


def current_device() -> int:
    return int(_device.cupy_module().cuda.runtime.getDevice())


def set_device(device) -> None:
    index = _device.to_device(device).index if not isinstance(device, int) else device
    _device.cupy_module().cuda.runtime.setDevice(index or 0)


def synchronize(device=None) -> None:
    """Wait for all work queued on the GPU to finish (no-op without CUDA)."""
    if not is_available():
        return
    _device.cupy_module().cuda.runtime.deviceSynchronize()


def get_device_name(device=None) -> str:
    cp = _device.cupy_module()
    index = 0 if device is None else _device.to_device(device).index or 0
    props = cp.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def manual_seed(seed: int) -> None:
    """Seed the random generator of the current GPU (no-op without CUDA)."""
    from ..ops import random as _random

    _random._seed_cuda(seed)


manual_seed_all = manual_seed


def memory_allocated(device=None) -> int:
    """Bytes held by live tensors on the GPU (CuPy's memory pool)."""
    if not is_available():
        return 0
    return int(_device.cupy_module().get_default_memory_pool().used_bytes())


_peak = 0


def max_memory_allocated(device=None) -> int:
    global _peak
    _peak = max(_peak, memory_allocated(device))
    return _peak


def memory_reserved(device=None) -> int:
    if not is_available():
        return 0
    return int(_device.cupy_module().get_default_memory_pool().total_bytes())


def empty_cache() -> None:
    """Give cached, unused GPU memory back to the driver."""
    if is_available():
        _device.cupy_module().get_default_memory_pool().free_all_blocks()
