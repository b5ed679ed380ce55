"""The op table's vocabulary (like PyTorch's OpInfo): declare an op once, test it everywhere.

Each ``opdb_*.py`` module lists ``OPS``: one :class:`OpInfo` per op, with a NumPy reference
written independently of Ember and sample inputs. ``test_ops.py`` runs every entry through the
same checks: forward against the reference (per dtype and device), the Tensor method against
the function, ``gradcheck`` and ``gradgradcheck`` in float64, and the declared error inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Sample:
    """One call: ``args`` hold NumPy arrays (they become tensors) and plain Python values.

    ``grad_args``: indices of the array args to differentiate (default: every float array).
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    grad_args: tuple | None = None
    name: str = ""

    def __repr__(self) -> str:
        shapes = [a.shape if isinstance(a, np.ndarray) else a for a in self.args]
        return f"Sample({self.name or shapes}, {self.kwargs})"


@dataclass
class ErrorInput:
    """A call that must raise ``error`` with a message matching ``match``."""

    sample: Sample
    error: type
    match: str


@dataclass
class OpInfo:
    """One op under test.

    Args:
        name: test id.
        op: the Ember callable, e.g. ``ember.exp`` or ``lambda x, y: x @ y``.
        ref: the NumPy reference, called with the same args as NumPy arrays.
        samples: ``samples(rng) -> list[Sample]`` (arrays in float64; cast per dtype).
        method: name of the Tensor method that must agree with ``op`` (first arg is self).
        dtypes: float dtypes (as names) the forward is checked in.
        int_samples: optional ``(rng) -> list[Sample]`` with integer/bool arrays, checked as is.
        grad: whether to run gradcheck; gradgrad: whether to run gradgradcheck.
        atol, rtol: forward tolerances for float32 (float64 uses 1e-10 relative).
        errors: ``(rng) -> list[ErrorInput]``.
        output_index: for ops returning tuples, which outputs to compare (default all).
    """

    name: str
    op: Callable
    ref: Callable
    samples: Callable[[np.random.Generator], list[Sample]]
    method: str | None = None
    dtypes: tuple = ("float32", "float64")
    int_samples: Callable | None = None
    grad: bool = True
    gradgrad: bool = True
    atol: float = 1e-5
    rtol: float = 1e-4
    errors: Callable | None = None
    compare: Callable | None = None  # custom comparison (result, expected) for odd ops
    extra: dict[str, Any] = field(default_factory=dict)


# ---- helpers for writing samples --------------------------------------------------------------


def randn(rng, *shape, low=None, high=None):
    if low is not None:
        return np.asarray(rng.uniform(low, high, size=shape))
    return np.asarray(rng.standard_normal(shape))  # 0-d stays an array, not a NumPy scalar


def positive(rng, *shape, low=0.5, high=2.0):
    return np.asarray(rng.uniform(low, high, size=shape))


def noncontiguous(a: np.ndarray) -> np.ndarray:
    """The same values laid out with a non-unit stride (a transposed copy, transposed back)."""
    return np.ascontiguousarray(a.T).T if a.ndim >= 2 else np.repeat(a, 2)[::2]


def unary_samples(make=randn):
    """0-d, 1-d, 2-d, 3-d and non-contiguous inputs for a unary op."""

    def samples(rng):
        return [
            Sample((make(rng),), name="0-d"),
            Sample((make(rng, 5),), name="1-d"),
            Sample((make(rng, 3, 4),), name="2-d"),
            Sample((make(rng, 2, 3, 2),), name="3-d"),
            Sample((noncontiguous(make(rng, 4, 3)),), name="non-contiguous"),
        ]

    return samples


def binary_samples(make=randn, make_other=None):
    """Same-shape, broadcast (both ways), 0-d and scalar operands for a binary op."""
    make_other = make_other or make

    def samples(rng):
        return [
            Sample((make(rng, 3, 4), make_other(rng, 3, 4)), name="same"),
            Sample((make(rng, 3, 4), make_other(rng, 4)), name="broadcast-right"),
            Sample((make(rng, 3, 1), make_other(rng, 1, 4)), name="broadcast-both"),
            Sample((make(rng, 2, 3), make_other(rng)), name="0-d other"),
            Sample((make(rng), make_other(rng, 3)), name="0-d self"),
            Sample((noncontiguous(make(rng, 4, 3)), make_other(rng, 4, 3)), name="non-contig"),
        ]

    return samples
