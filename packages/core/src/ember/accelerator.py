"""The current accelerator (``ember.accelerator``): CUDA when a GPU is usable, else none."""

from __future__ import annotations

from . import cuda
from ._device import device

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device('cuda')`` when CUDA is usable, else None."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()
