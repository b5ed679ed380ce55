"""``prod``, ``logsumexp``, the extremes (``amax``/``amin``, ``max``/``min`` with and
without ``dim``, ``argmax``/``argmin``, ``aminmax``) and the logical reductions (``all``,
``any``, ``count_nonzero``) behind ``ember.ops.reduce``. Ops that select elements send the
gradient to the selected positions with a scatter whose gradient is the matching gather.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._reduce_util import (
    _INT64,
    _acc_dtypes,
    _check_reducible,
    _count,
    _even_weights,
    _int_dim,
    _kept_shape,
    _np_axis,
    _numpy_names,
    _reduced_axes,
    _reshape,
    _scan,  # noqa: F401  (tests reach it as ember.ops.reduce._scan)
    _SelectAlongDim,
    _unreduce,
)
from ._return_types import return_types
from ._util import float_array, normalize_dim, xp_of
from .arith import maximum, minimum
from .convert import to_dtype

__all__ = [
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "aminmax",
    "argmax",
    "argmin",
    "logsumexp",
    "all",
    "any",
    "count_nonzero",
]


for _name in ("max", "min"):
    return_types.define(_name, ("values", "indices"))
return_types.define("aminmax", ("min", "max"))


# Products
# ---------------------------------------------------------------------------------------------


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        data = x._data
        acc, cast = _acc_dtypes(data.dtype, dtype)
        out = data.prod(axis=_np_axis(axes, data.ndim), dtype=acc, keepdims=keepdim)
        out = _make(out if cast is None else out.astype(cast))
        if ctx.needs_input_grad:
            ctx.meta = (axes, keepdim)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        shape = x._data.shape
        g = _unreduce(grad, shape, axes, keepdim)
        if not bool((x._data == 0).any()):
            return g * _unreduce(out, shape, axes, keepdim) / x, None, None, None
        # With a zero, out / x is 0/0: use the product of the other elements, built from
        # exclusive cumulative products from both ends (no division, differentiable again).
        from .scan import _prod_of_others  # (scan.py imports this module)

        if len(axes) == 1:
            others = _prod_of_others(x, axes[0])
        else:
            others = _reshape(_prod_of_others(_reshape(x, (-1,)), 0), shape)
        return g * others, None, None, None


@_numpy_names
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of the elements over one ``dim`` (all elements by default). Integer and bool
    inputs give int64 unless ``dtype=`` says otherwise. The gradient is exact with zeros.

    Example:
        >>> ember.prod(ember.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
        tensor([ 2., 12.])
    """
    if dtype is not None:
        dtype = dt.to_dtype(dtype)
        input = to_dtype(input, dtype)
        dtype = dtype.np_dtype
    dim = None if dim is None else _int_dim("prod", dim)
    return Prod.apply(input, _reduced_axes(input._data, dim, "prod"), keepdim, dtype)


# ---------------------------------------------------------------------------------------------
# logsumexp
# ---------------------------------------------------------------------------------------------


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        data = float_array(x)
        xp = xp_of(data)
        out_shape = [s for i, s in enumerate(data.shape) if i not in axes]
        if _count(data.shape, axes) == 0:
            out = xp.full(_kept_shape(data.shape, axes), -np.inf, dtype=data.dtype)
        else:
            # log sum exp(x) = m + log sum exp(x - m) with m the max: no overflow, and at least
            # one term is 1. An infinite max is left out (inf - inf would be NaN).
            m = data.max(axis=_np_axis(axes, data.ndim), keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0).astype(data.dtype, copy=False)
            with np.errstate(divide="ignore"):  # log(0) = -inf when every term is -inf
                total = xp.exp(data - m).sum(axis=_np_axis(axes, data.ndim), keepdims=True)
                out = xp.log(total) + m
        out = _make(out if keepdim else out.reshape(out_shape))
        if ctx.needs_input_grad:
            ctx.meta = (axes, keepdim)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .unary import exp

        x, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        shape = x._data.shape
        # d/dx logsumexp(x) = exp(x - out), the softmax
        softmax = exp(x - _unreduce(out, shape, axes, keepdim))
        return _unreduce(grad, shape, axes, keepdim) * softmax, None, None


@_numpy_names
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow. Integer inputs are
    promoted to the default float dtype.

    Example:
        >>> ember.logsumexp(ember.tensor([1000.0, 1000.0]), 0)
        tensor(1000.6932)
    """
    return LogSumExp.apply(input, _reduced_axes(input._data, dim, "logsumexp"), keepdim)


# ---------------------------------------------------------------------------------------------
# Extremes: amax/amin, max/min (with and without dim), argmax/argmin, aminmax
# ---------------------------------------------------------------------------------------------


class Amax(Function):
    """amax/amin over ``axes``; the gradient is split evenly among tied extremes."""

    largest = True

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        data = x._data
        ax = _np_axis(axes, data.ndim)
        out = (
            data.max(axis=ax, keepdims=keepdim)
            if cls.largest
            else data.min(axis=ax, keepdims=keepdim)
        )
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.meta = (axes, keepdim)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axes, keepdim = ctx.meta
        shape = x._data.shape
        value = out._data if keepdim else out._data.reshape(_kept_shape(shape, axes))
        weights = _make(_even_weights(x._data, value, axes))
        return _unreduce(grad, shape, axes, keepdim) * weights, None, None


class Amin(Amax):
    largest = False


class Max(_SelectAlongDim):
    @staticmethod
    def _pick(data, axis):
        # the first maximum, or the first NaN (NumPy's argmax, and PyTorch's choice)
        return xp_of(data).argmax(data, axis=axis, keepdims=True)


class Min(_SelectAlongDim):
    @staticmethod
    def _pick(data, axis):
        return xp_of(data).argmin(data, axis=axis, keepdims=True)


def _extreme(op, input, dim, keepdim, along_dim, overall):
    data = input._data
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}(): keepdim=True needs a dim, e.g. {op}(input, 0, keepdim=True)")
        _check_reducible(op, data, (), False)
        return overall.apply(input, tuple(range(data.ndim)), False)
    axis = normalize_dim(_int_dim(op, dim), data.ndim, op)
    if data.ndim:
        _check_reducible(op, data, (axis,), True)
    return getattr(return_types, op)(*along_dim.apply(input, axis, keepdim))


@_numpy_names
def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """The largest element, or with ``dim`` the named tuple ``(values, indices)`` of the
    maxima along it; ``max(input, other_tensor)`` is :func:`maximum`.

    Without ``dim`` the gradient is split evenly among tied maxima; with ``dim`` it goes to
    the returned index (PyTorch's rules). NaN propagates.

    Example:
        >>> ember.max(ember.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
        ember.return_types.max(
        values=tensor([5., 7.]),
        indices=tensor([1, 0]))
    """
    if other is not None:
        return maximum(input, other)
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    return _extreme("max", input, dim, keepdim, Max, Amax)


@_numpy_names
def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """The smallest element, or with ``dim`` the named tuple ``(values, indices)``;
    ``min(input, other_tensor)`` is :func:`minimum`. See :func:`max`."""
    if other is not None:
        return minimum(input, other)
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    return _extreme("min", input, dim, keepdim, Min, Amin)


def _amax_like(op, fn, input, dim, keepdim):
    data = input._data
    axes = _reduced_axes(data, dim, op)
    _check_reducible(op, data, axes, not (dim is None or dim == ()))
    return fn.apply(input, axes, keepdim)


@_numpy_names
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (an int or tuple; all dims by default). The gradient is split
    evenly among tied maxima.

    Example:
        >>> ember.amax(ember.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)
        tensor([7., 5.])
    """
    return _amax_like("amax", Amax, input, dim, keepdim)


@_numpy_names
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim``; see :func:`amax`."""
    return _amax_like("amin", Amin, input, dim, keepdim)


@_numpy_names
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """``ember.return_types.aminmax(min, max)`` over one ``dim`` (or all elements).

    Example:
        >>> ember.aminmax(ember.tensor([3.0, -1.0, 2.0]))
        ember.return_types.aminmax(
        min=tensor(-1.),
        max=tensor(3.))
    """
    data = input._data
    if dim is None:
        axes = tuple(range(data.ndim))
    else:
        axes = _reduced_axes(data, _int_dim("aminmax", dim), "aminmax")
    if data.size == 0 and (dim is None or builtins.any(data.shape[a] == 0 for a in axes)):
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity."
        )
    return return_types.aminmax(Amin.apply(input, axes, keepdim), Amax.apply(input, axes, keepdim))


def _arg_extreme(op, input, dim, keepdim):
    data = input._data
    xp = xp_of(data)
    fn = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:  # the index into the flattened input
        _check_reducible(op, data, (), False, no_dim_error=IndexError)
        out = xp.asarray(fn(data), dtype=_INT64)
        return _make(out.reshape((1,) * data.ndim) if keepdim else out)
    axis = normalize_dim(_int_dim(op, dim), data.ndim, op)
    if data.ndim == 0:
        return _make(xp.zeros((), dtype=_INT64))
    _check_reducible(op, data, (axis,), True)
    return _make(fn(data, axis=axis, keepdims=keepdim).astype(_INT64, copy=False))


@_numpy_names
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the maximum along ``dim`` (of the flattened input when ``dim`` is None); the
    first one on ties; int64.

    Example:
        >>> ember.argmax(ember.tensor([[1.0, 5.0], [7.0, 2.0]]))
        tensor(2)
    """
    return _arg_extreme("argmax", input, dim, keepdim)


@_numpy_names
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the minimum along ``dim``; see :func:`argmax`."""
    return _arg_extreme("argmin", input, dim, keepdim)


# ---------------------------------------------------------------------------------------------
# Logical reductions
# ---------------------------------------------------------------------------------------------


@_numpy_names
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element over ``dim`` is nonzero: bool (uint8 for uint8 inputs, as in
    PyTorch).

    Example:
        >>> ember.all(ember.tensor([[True, False], [True, True]]), dim=1)
        tensor([False,  True])
    """
    data = input._data
    axes = _reduced_axes(data, dim, "all")
    out = xp_of(data).asarray(data.all(axis=_np_axis(axes, data.ndim), keepdims=keepdim))
    return _make(out.astype(np.uint8) if data.dtype == np.uint8 else out)


@_numpy_names
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether some element over ``dim`` is nonzero; see :func:`all`."""
    data = input._data
    axes = _reduced_axes(data, dim, "any")
    out = xp_of(data).asarray(data.any(axis=_np_axis(axes, data.ndim), keepdims=keepdim))
    return _make(out.astype(np.uint8) if data.dtype == np.uint8 else out)


@_numpy_names
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements over ``dim`` (int64).

    Example:
        >>> ember.count_nonzero(ember.tensor([[0, 1], [2, 3]]), dim=0)
        tensor([1, 2])
    """
    data = input._data
    xp = xp_of(data)
    axes = _reduced_axes(data, dim, "count_nonzero")
    return _make(xp.asarray(xp.count_nonzero(data, axis=_np_axis(axes, data.ndim)), dtype=_INT64))


# ---------------------------------------------------------------------------------------------
