"""``ember.cpu``: the CPU device module (``torch.cpu``), what ``get_device_module('cpu')``
returns: the same questions ``ember.cuda`` answers, for the host."""

from __future__ import annotations

from . import amp

__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize"]


def is_available() -> bool:
    """Always True: the CPU is always there."""
    return True


def device_count() -> int:
    """1, as PyTorch counts the CPU as one device."""
    return 1


def current_device() -> str:
    """``'cpu'`` (PyTorch's answer)."""
    return "cpu"


def synchronize(device=None) -> None:
    """Nothing to wait for: NumPy work is synchronous."""
