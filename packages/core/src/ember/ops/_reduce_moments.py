"""Sums and means (``sum``, ``nansum``, ``mean``, ``nanmean``) and the second moments
(``var``, ``std``, ``var_mean``, ``std_mean``) behind ``ember.ops.reduce``. The gradient of a
reduction is the output gradient with the reduced axes put back and broadcast over them, times
the local derivative.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._reduce_util import (
    _F32,
    _HALF,
    _acc_dtypes,
    _count,
    _np_axis,
    _numpy_names,
    _reduced_axes,
    _scan,  # noqa: F401  (tests reach it as ember.ops.reduce._scan)
    _unreduce,
)
from ._util import xp_of
from .convert import to_dtype

__all__ = [
    "sum",
    "nansum",
    "mean",
    "nanmean",
    "var",
    "std",
    "var_mean",
    "std_mean",
]


# ---------------------------------------------------------------------------------------------
# Sums and means
# ---------------------------------------------------------------------------------------------


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        data = x._data
        acc, cast = _acc_dtypes(data.dtype, dtype)
        out = data.sum(axis=_np_axis(axes, data.ndim), dtype=acc, keepdims=keepdim)
        if ctx.needs_input_grad:
            ctx.meta = (data.shape, axes, keepdim)
        return out if cast is None else out.astype(cast)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim = ctx.meta
        return _unreduce(grad, shape, axes, keepdim), None, None, None


class NanSum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        data = x._data
        acc, cast = _acc_dtypes(data.dtype, dtype)
        out = xp_of(data).nansum(data, axis=_np_axis(axes, data.ndim), dtype=acc, keepdims=keepdim)
        if ctx.needs_input_grad:
            ctx.meta = (axes, keepdim)
            ctx.save_for_backward(x)
        return out if cast is None else out.astype(cast)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        axes, keepdim = ctx.meta
        data = x._data
        keep = (~xp_of(data).isnan(data)).astype(grad._data.dtype)
        return _unreduce(grad, data.shape, axes, keepdim) * _make(keep), None, None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        data = x._data
        n = _count(data.shape, axes)
        acc = _F32 if data.dtype in _HALF else None
        total = data.sum(axis=_np_axis(axes, data.ndim), dtype=acc, keepdims=keepdim)
        if ctx.needs_input_grad:
            ctx.meta = (data.shape, axes, keepdim, n)
        if n == 0:
            with np.errstate(invalid="ignore", divide="ignore"):  # the mean of nothing is NaN
                out = total / n
        else:
            out = total / n
        return out if acc is None else out.astype(data.dtype)

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim, n = ctx.meta
        return _unreduce(grad, shape, axes, keepdim) / n, None, None


class NanMean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        data = x._data
        xp = xp_of(data)
        ax = _np_axis(axes, data.ndim)
        keep = ~xp.isnan(data)
        count = keep.sum(axis=ax, keepdims=True)
        acc = _F32 if data.dtype in _HALF else None
        total = xp.nansum(data, axis=ax, dtype=acc, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):  # an all-NaN slice gives NaN
            out = total / count
        if ctx.needs_input_grad:
            # 1/count on the numbers, 0 on the NaNs (where a slice is all NaN the output is
            # NaN already, and its elements get 0 rather than PyTorch's NaN)
            ctx.weights = (keep / xp.maximum(count, 1)).astype(data.dtype)
            ctx.meta = (data.shape, axes, keepdim)
        out = out.astype(data.dtype, copy=False)
        if keepdim:
            return out
        return out.reshape([s for i, s in enumerate(data.shape) if i not in axes])

    @staticmethod
    def backward(ctx, grad):
        shape, axes, keepdim = ctx.meta
        return _unreduce(grad, shape, axes, keepdim) * _make(ctx.weights), None, None


@_numpy_names
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of the elements over ``dim`` (all of them by default).

    Args:
        input: the tensor.
        dim: an int, a tuple of ints, or None (every dimension).
        keepdim: keep the reduced dimensions with size 1.
        dtype: cast the input to this dtype first. Without it, integer and bool inputs sum to
            int64, as in PyTorch.

    Example:
        >>> ember.sum(ember.tensor([[1, 2], [3, 4]]), dim=0)
        tensor([4, 6])
    """
    if dtype is not None:
        dtype = dt.to_dtype(dtype)
        input = to_dtype(input, dtype)
        dtype = dtype.np_dtype
    return Sum.apply(input, _reduced_axes(input._data, dim, "sum"), keepdim, dtype)


@_numpy_names
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` counting NaNs as zero (arguments as :func:`sum`).

    Example:
        >>> ember.nansum(ember.tensor([1.0, float("nan"), 2.0]))
        tensor(3.)
    """
    if dtype is not None:
        dtype = dt.to_dtype(dtype)
        input = to_dtype(input, dtype)
        dtype = dtype.np_dtype
    return NanSum.apply(input, _reduced_axes(input._data, dim, "nansum"), keepdim, dtype)


def _mean_input(op: str, input: Tensor, dtype) -> Tensor:
    if dtype is not None:
        target = dt.to_dtype(dtype)
        if not (target.is_floating_point or target.is_complex):
            raise RuntimeError(
                f"{op}(): could not infer output dtype. Optional dtype must be either a "
                f"floating point or complex dtype. Got: {target.name}"
            )
        return to_dtype(input, target)
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"{op}(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {input.dtype.name}. Pass dtype=ember.float32 or "
            f"call .float() first."
        )
    return input


@_numpy_names
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (all elements by default). Integer inputs need ``dtype=`` (PyTorch
    refuses to guess the result type).

    Example:
        >>> ember.mean(ember.tensor([[1.0, 2.0], [3.0, 5.0]]), 1)
        tensor([1.5000, 4.0000])
    """
    input = _mean_input("mean", input, dtype)
    return Mean.apply(input, _reduced_axes(input._data, dim, "mean"), keepdim)


@_numpy_names
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the elements that are not NaN.

    Example:
        >>> ember.nanmean(ember.tensor([1.0, float("nan"), 3.0]))
        tensor(2.)
    """
    input = _mean_input("nanmean", input, dtype)
    return NanMean.apply(input, _reduced_axes(input._data, dim, "nanmean"), keepdim)


# ---------------------------------------------------------------------------------------------
# Variance and standard deviation
# ---------------------------------------------------------------------------------------------


class Var(Function):
    take_sqrt = False

    @classmethod
    def forward(cls, ctx, x, axes, correction, keepdim):
        data = x._data
        xp = xp_of(data)
        work = data.astype(_F32) if data.dtype in _HALF else data
        n = _count(data.shape, axes)
        dof = builtins.max(n - correction, 0)
        ax = _np_axis(axes, data.ndim)
        # dof <= 0 gives inf or NaN, as in PyTorch (which warns; see _var_args)
        with np.errstate(invalid="ignore", divide="ignore"):
            centered = work - work.sum(axis=ax, keepdims=True) / n
            if work.dtype.kind == "c":
                squares = centered.real**2 + centered.imag**2
            else:
                squares = centered * centered
            out = squares.sum(axis=ax, keepdims=keepdim) / dof
            if cls.take_sqrt:
                out = xp.sqrt(out)
        if work is not data:
            out = out.astype(data.dtype)
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.meta = (axes, keepdim, dof)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axes, keepdim, dof = ctx.meta
        shape = x._data.shape
        g = _unreduce(grad, shape, axes, keepdim)
        if dof <= 0:
            return g * float("nan"), None, None, None
        # d var / dx = 2 (x - mean) / dof. The mean is recomputed with Ember ops (not taken
        # from forward) so that the second derivative sees its dependence on x.
        centered = x - Mean.apply(x, axes, True)
        if not type(ctx).take_sqrt:
            return g * centered * (2.0 / dof), None, None, None
        # d std = d var / (2 std); PyTorch sets it to 0 where std == 0 (a constant slice),
        # done here with a safe denominator rather than a 0/0.
        o = _unreduce(out, shape, axes, keepdim)
        zero = o._data == 0
        safe = o * dof + _make(zero.astype(o._data.dtype))
        return g * _make((~zero).astype(o._data.dtype)) / safe * centered, None, None, None


class Std(Var):
    take_sqrt = True


def _var_args(op, input, dim, unbiased, correction):
    """(axes, correction) from PyTorch's three calling conventions: ``var(x, unbiased)``,
    ``var(x, dim, unbiased, keepdim)`` and ``var(x, dim, *, correction, keepdim)``."""
    if isinstance(dim, bool):  # var(x, True): the legacy (input, unbiased) overload
        if unbiased is not None:
            raise TypeError(f"{op}(): got unbiased twice (as dim={dim} and unbiased={unbiased})")
        unbiased, dim = dim, None
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"{op}(): std and var only support floating point and complex dtypes, got "
            f"{input.dtype.name}; call .float() first"
        )
    axes = _reduced_axes(input._data, dim, op)
    if _count(input._data.shape, axes) - correction <= 0:
        warnings.warn(
            f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            f"reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    return axes, correction


@_numpy_names
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim``: ``sum((x - mean)**2) / (N - correction)``.

    Args:
        input: a floating-point tensor.
        dim: int, tuple or None (all elements); may be given positionally.
        unbiased: legacy form of ``correction`` (True: 1, False: 0).
        keepdim: keep the reduced dimensions with size 1.
        correction: subtracted from the element count N (default 1, Bessel's correction).

    Example:
        >>> ember.var(ember.tensor([1.0, 2.0, 3.0, 4.0]), correction=0)
        tensor(1.2500)
    """
    axes, correction = _var_args("var", input, dim, unbiased, correction)
    return Var.apply(input, axes, correction, keepdim)


@_numpy_names
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation over ``dim``: ``sqrt(var(...))``; arguments as :func:`var`. Its
    gradient is 0 where the result is 0, as in PyTorch.

    Example:
        >>> ember.std(ember.tensor([1.0, 3.0]))
        tensor(1.4142)
    """
    axes, correction = _var_args("std", input, dim, unbiased, correction)
    return Std.apply(input, axes, correction, keepdim)


@_numpy_names
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over ``dim`` (arguments as :func:`var`)."""
    axes, correction = _var_args("var_mean", input, dim, unbiased, correction)
    return Var.apply(input, axes, correction, keepdim), Mean.apply(input, axes, keepdim)


@_numpy_names
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over ``dim`` (arguments as :func:`var`)."""
    axes, correction = _var_args("std_mean", input, dim, unbiased, correction)
    return Std.apply(input, axes, correction, keepdim), Mean.apply(input, axes, keepdim)


# ---------------------------------------------------------------------------------------------
