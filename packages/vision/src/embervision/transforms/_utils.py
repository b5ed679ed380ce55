"""Shared helpers of the transform classes: argument checks and random draws.

Every random number comes from Ember's default generator (never Python's ``random`` or NumPy's
global state), so ``ember.manual_seed(s)`` makes a whole pipeline reproducible, the way
``torch.manual_seed`` does for torchvision.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import ember

from .functional import InterpolationMode, _interpolation_modes_from_int


def _rand() -> float:
    """One U[0, 1) draw (``torch.rand(1)``)."""
    return float(ember.rand(1).item())


def _uniform(low: float, high: float) -> float:
    """One U[low, high) draw (``torch.empty(1).uniform_(low, high)``)."""
    return float(ember.empty(1).uniform_(float(low), float(high)).item())


def _randint(low: int, high: int) -> int:
    """One integer in [low, high) (``torch.randint(low, high, (1,))``)."""
    return int(ember.randint(int(low), int(high), (1,)).item())


def _setup_size(size, error_msg: str):
    """int -> (size, size); [s] -> (s, s); (h, w) kept."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _check_sequence_input(x, name: str, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}, got {type(x).__name__}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}, got {len(x)}.")


def _setup_angle(x, name: str, req_sizes=(2,)) -> list[float]:
    """A number d -> [-d, d]; a sequence is checked and kept."""
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive, got {x}.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _interpolation(interpolation) -> InterpolationMode:
    """Accept Pillow's integer constants too, as torchvision's classes do."""
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    return interpolation


def _check_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError(f"Fill should be either a sequence or a number, got {type(fill)}.")
    return fill


def _tensor_fill(fill, channels: int):
    """For tensors the fill is a list of floats, one per channel (torchvision's convention)."""
    if fill is None:
        return None
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]
