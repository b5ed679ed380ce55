"""``where``, ``clamp``/``clip`` (with ``clamp_min``/``clamp_max`` and their in-place forms)
and ``heaviside`` behind ``ember.ops.compare``: the differentiable selections, with PyTorch's
type promotion across the condition's branches and bounds.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._compare_values import (
    _broadcast_error,
    _call,
    _int_operand,
    _no_complex,
    _shape,
)
from ._util import grad_for, inplace, xp_of
from .unary import _const, _write_out

__all__ = [
    "where",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "clamp_",
    "clip_",
    "clamp_min_",
    "clamp_max_",
    "heaviside",
]


# where, clamp, heaviside
# ---------------------------------------------------------------------------------------------


def _promoted(*values):
    """PyTorch's result dtype (a NumPy dtype) for where/clamp operands (None is skipped).
    The common cases (tensors of one dtype, Python numbers that cannot change it) are decided
    here without the general ``result_type``."""
    d = None
    for v in values:
        if isinstance(v, Tensor):
            if d is None:
                d = v._data.dtype
            elif v._data.dtype != d:
                return _general_promotion(values)
    if d is None:
        return _general_promotion(values)
    kind = d.kind
    for v in values:
        t = type(v)
        if t is float:
            if kind not in "fcV":  # V: bfloat16
                return _general_promotion(values)
        elif t is int:
            if kind == "b":
                return _general_promotion(values)
        elif not (v is None or t is bool or isinstance(v, Tensor)):
            return _general_promotion(values)
    return d


def _general_promotion(values):
    return dt.result_type(*(v for v in values if v is not None)).np_dtype


def _value_array(v, np_dtype, xp):
    """A ``where``/``clamp`` operand as an array of the result dtype (Python numbers become
    0-d arrays: bfloat16 arrays would otherwise meet them in float32)."""
    if isinstance(v, Tensor):
        data = v._data
        return data if data.dtype == np_dtype else data.astype(np_dtype)
    if type(v) is int and np_dtype.kind in "iu":
        v = _int_operand(v, np_dtype)
    return xp.asarray(v, dtype=np_dtype)


class _NoGraph:
    """The ``ctx`` for calling a Function's forward directly when nothing requires grad:
    it skips ``Function.apply`` (about half the cost of an op on a small tensor)."""

    needs_input_grad = ()


_NO_GRAPH = _NoGraph()


def _records(*args) -> bool:
    """Whether an op on ``args`` has to be recorded in the autograd graph."""
    return STATE.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)


class Where(Function):
    @staticmethod
    def forward(ctx, condition, input, other):
        c = condition._data
        if c.dtype != np.bool_:
            if c.dtype != np.uint8:
                raise RuntimeError(
                    f"where expected condition to be a boolean tensor, but got a tensor with "
                    f"dtype {condition.dtype.name}; compare first (e.g. x > 0) or use .bool()"
                )
            # PyTorch still accepts uint8 masks (with a deprecation warning); Ember accepts
            # them silently, as the warning has no action for the user beyond this cast.
            c = c.astype(np.bool_)
        xp = xp_of(c)
        target = _promoted(input, other)
        x = _value_array(input, target, xp)
        y = _value_array(other, target, xp)
        if ctx.needs_input_grad:
            ctx.save_for_backward(condition)
            ctx.inputs = (input, other)
        try:
            return xp.where(c, x, y)
        except ValueError:
            raise RuntimeError(
                f"where: the shapes of condition {tuple(c.shape)}, input {_shape(x)} and other "
                f"{_shape(y)} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        input, other = ctx.inputs
        _, need_input, need_other = ctx.needs_input_grad
        g_input = grad_for(Where.apply(condition, grad, 0.0), input) if need_input else None
        g_other = grad_for(Where.apply(condition, 0.0, grad), other) if need_other else None
        return None, g_input, g_other


def where(condition: Tensor, input=None, other=None) -> Tensor | tuple:
    """``input`` where ``condition`` is True, else ``other``.

    Args:
        condition: a bool tensor.
        input, other: tensors or numbers; all three broadcast together, and the result has
            the promoted dtype of ``input`` and ``other``.

    Returns:
        A tensor of the broadcast shape, differentiable in ``input`` and ``other``. With only
        ``condition``, the tuple of index tensors ``nonzero(condition, as_tuple=True)``.

    Example:
        >>> x = ember.tensor([-1.0, 2.0])
        >>> ember.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if input is None and other is None:
        from .index import nonzero

        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: expected both input and other, or neither (where(condition))")
    if _records(input, other):
        return Where.apply(condition, input, other)
    return _make(Where.forward(_NO_GRAPH, condition, input, other))


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, low, high):
        a = x._data
        if a.dtype.kind == "c":
            raise NotImplementedError(
                "clamp is not supported for complex types; clamp .real and .imag separately"
            )
        target = _promoted(x, low, high)
        if a.dtype != target:
            a = a.astype(target)
        xp = xp_of(a)
        # max then min, so a lower bound above the upper one gives the upper one (PyTorch);
        # NaN in the input or a bound propagates
        out = a
        if low is not None:
            out = _call("clamp", xp.maximum, out, _value_array(low, target, xp))
        if high is not None:
            out = _call("clamp", xp.minimum, out, _value_array(high, target, xp))
        if ctx.needs_input_grad:
            ctx.save_for_backward(*(v if isinstance(v, Tensor) else None for v in (x, low, high)))
            ctx.bounds = (low, high)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, low_t, high_t = ctx.saved_tensors
        low, high = ctx.bounds
        a = x._data
        above = True if low is None else a >= _bound_array(low_t, low)
        below = True if high is None else a <= _bound_array(high_t, high)
        need_x, need_low, need_high = ctx.needs_input_grad
        # PyTorch: the gradient passes where low <= x <= high (bounds included); a tensor
        # bound receives it where x is beyond that bound.
        g_x = grad_for(where(_const(above & below), grad, 0.0), x) if need_x else None
        g_low = grad_for(where(_const(~above), grad, 0.0), low_t) if need_low else None
        g_high = grad_for(where(_const(~below), grad, 0.0), high_t) if need_high else None
        return g_x, g_low, g_high


def _bound_array(tensor, value):
    return tensor._data if tensor is not None else value


def clamp(input: Tensor, min=None, max=None, *, out: Tensor | None = None) -> Tensor:
    """Limits ``input`` to ``[min, max]`` elementwise: ``minimum(maximum(input, min), max)``.

    Args:
        input: a real tensor.
        min, max: numbers or tensors (broadcast against ``input``), either may be None. The
            result has the promoted dtype (an int tensor clamped to 0.5 becomes float).
        out: optional tensor for the result.

    Returns:
        A tensor; the gradient flows to ``input`` where ``min <= input <= max`` and to a
        tensor bound where ``input`` lies beyond it.

    Example:
        >>> ember.clamp(ember.tensor([-2.0, 0.5, 3.0]), min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if _records(input, min, max):
        result = Clamp.apply(input, min, max)
    else:
        result = _make(Clamp.forward(_NO_GRAPH, input, min, max))
    return result if out is None else _write_out(result, out)


clip = clamp


def clamp_min(input: Tensor, min) -> Tensor:
    """``clamp(input, min=min)``."""
    return clamp(input, min, None)


def clamp_max(input: Tensor, max) -> Tensor:
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)


def clamp_(input: Tensor, min=None, max=None) -> Tensor:
    """In-place :func:`clamp`."""
    if min is None and max is None:
        raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
    return inplace(input, Clamp.apply, min, max, op="clamp_")


clip_ = clamp_


def clamp_min_(input: Tensor, min) -> Tensor:
    """In-place :func:`clamp_min`."""
    return inplace(input, Clamp.apply, min, None, op="clamp_min_")


def clamp_max_(input: Tensor, max) -> Tensor:
    """In-place :func:`clamp_max`."""
    return inplace(input, Clamp.apply, None, max, op="clamp_max_")


def heaviside(input: Tensor, values: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The Heaviside step: 0 where ``input < 0``, ``values`` where it is 0, 1 where ``> 0``.

    Args:
        input: a real tensor (NaN gives 0, as in PyTorch).
        values: a tensor of the same dtype, broadcast against ``input``.
        out: optional tensor for the result.

    Returns:
        A tensor of the broadcast shape and ``input``'s dtype (not differentiable).
    """
    if not isinstance(values, Tensor):
        raise TypeError(
            f"heaviside(): argument 'values' must be a Tensor, not {type(values).__name__}"
        )
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError(
            f"heaviside is not yet implemented for tensors with different dtypes "
            f"({input.dtype.name} and {values.dtype.name}); cast values with .to(input.dtype)"
        )
    _no_complex("heaviside", x)
    xp = xp_of(x)
    try:
        result = xp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)
    except ValueError:
        raise _broadcast_error("heaviside", x, v) from None
    result = _make(result)
    return result if out is None else _write_out(result, out)


# ---------------------------------------------------------------------------------------------
