"""Order statistics: median, nanmedian, mode, quantile and nanquantile.

Each sorts along the reduced dim and picks (or interpolates between) sorted elements; the
gradient goes back to the picked positions (split evenly among ties for the overall median,
weighted by the interpolation for quantiles). NaN sorts last, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._reduce_util import (
    _F32,
    _F64,
    _INT64,
    _accumulate,
    _axis_positions,
    _check_reducible,
    _even_weights,
    _index,
    _int_dim,
    _is_float,
    _kept_shape,
    _numpy_names,
    _ScatterAdd,
    _SelectAlongDim,
)
from ._return_types import return_types
from ._util import normalize_dim, register_methods, xp_of

__all__ = ["median", "nanmedian", "mode", "quantile", "nanquantile"]

for _name in ("median", "nanmedian", "mode"):
    return_types.define(_name, ("values", "indices"))


def _median_index(data, axis, ignore_nan):
    """Index (axis kept) of the lower median along ``axis``. NaNs sort last: ``median`` picks
    the first NaN when there is one (the median is then NaN), ``nanmedian`` the lower median
    of the numbers (and a NaN when there are none)."""
    xp = xp_of(data)
    order = xp.argsort(data, axis=axis, kind="stable")
    n = data.shape[axis]
    if _is_float(data.dtype):
        valid = n - xp.isnan(data).sum(axis=axis, keepdims=True)
        if ignore_nan:
            pos = xp.maximum((valid - 1) // 2, 0)
        else:
            pos = xp.where(valid < n, valid, (n - 1) // 2)
    else:
        pos = xp.full(_kept_shape(data.shape, (axis,)), (n - 1) // 2)
    return xp.take_along_axis(order, pos.astype(_INT64, copy=False), axis)


class MedianAll(Function):
    """``median()`` / ``nanmedian()`` of all elements; gradient split evenly among ties."""

    @staticmethod
    def forward(ctx, x, ignore_nan):
        data = x._data
        flat = data.reshape(-1)
        if flat.size == 0:
            out = xp_of(data).full((), np.nan, dtype=data.dtype)
        else:
            out = flat[_median_index(flat, 0, ignore_nan)].reshape(())
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        data = x._data
        weights = _even_weights(data, out._data, tuple(range(data.ndim)))
        return grad * _make(weights), None


class Median(_SelectAlongDim):
    @staticmethod
    def _pick(data, axis):
        return _median_index(data, axis, False)


class NanMedian(_SelectAlongDim):
    @staticmethod
    def _pick(data, axis):
        return _median_index(data, axis, True)


class Mode(_SelectAlongDim):
    @staticmethod
    def _pick(data, axis):
        # Sort, measure runs of equal values, take the end of the first longest run: the
        # smallest of the most frequent values, at its last position in the input (the stable
        # sort keeps equal values in input order), which is what PyTorch returns.
        xp = xp_of(data)
        order = xp.argsort(data, axis=axis, kind="stable")
        ordered = xp.take_along_axis(data, order, axis)
        n = data.shape[axis]
        starts = xp.ones(data.shape, dtype=bool)
        starts[_index(data.ndim, axis, slice(1, None))] = (
            ordered[_index(data.ndim, axis, slice(1, None))]
            != ordered[_index(data.ndim, axis, slice(0, n - 1))]
        )
        pos = _axis_positions(xp, n, axis, data.ndim)
        run_start = _accumulate("maximum", xp.where(starts, pos, 0), axis)
        best = xp.argmax(pos - run_start, axis=axis, keepdims=True)
        return xp.take_along_axis(order, best, axis)


def _median(op, input, dim, keepdim, along_dim, ignore_nan):
    if dim is None:
        return MedianAll.apply(input, ignore_nan)
    data = input._data
    axis = normalize_dim(_int_dim(op, dim), data.ndim, op)
    if data.ndim:
        _check_reducible(op, data, (axis,), True)
    return getattr(return_types, op)(*along_dim.apply(input, axis, keepdim))


@_numpy_names
def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all elements (0-d), or with ``dim`` the named tuple
    ``(values, indices)`` along it. NaN propagates (see :func:`nanmedian`).

    Example:
        >>> ember.median(ember.tensor([4.0, 1.0, 3.0, 2.0]))
        tensor(2.)
    """
    return _median("median", input, dim, keepdim, Median, False)


@_numpy_names
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """:func:`median` ignoring NaNs (NaN only where a slice holds nothing else).

    Example:
        >>> ember.nanmedian(ember.tensor([1.0, float("nan"), 3.0, 2.0]))
        tensor(2.)
    """
    return _median("nanmedian", input, dim, keepdim, NanMedian, True)


@_numpy_names
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest one on ties) and the index of its
    last occurrence: ``ember.return_types.mode(values, indices)``.

    Example:
        >>> ember.mode(ember.tensor([3, 1, 3, 2])).values
        tensor(3)
    """
    data = input._data
    axis = normalize_dim(_int_dim("mode", dim), data.ndim, "mode")
    if data.ndim:
        _check_reducible("mode", data, (axis,), True)
    return return_types.mode(*Mode.apply(input, axis, keepdim))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class Quantile(Function):
    @staticmethod
    def forward(ctx, x, q, axis, keepdim, interpolation, ignore_nan):
        data = x._data
        xp = xp_of(data)
        dtype = data.dtype
        # Work along the last axis of a (..., n) layout; q's values go to a trailing axis.
        work = data.reshape(-1) if axis is None else xp.moveaxis(data, axis, -1)
        n = work.shape[-1]
        order = xp.argsort(work, axis=-1, kind="stable")
        ordered = xp.take_along_axis(work, order, -1)
        qs = q.reshape(-1)
        if ignore_nan:  # ranks among the numbers; an all-NaN slice reads position 0, a NaN
            valid = (n - xp.isnan(ordered).sum(axis=-1, keepdims=True)).astype(dtype)
            ranks = xp.maximum(qs * (valid - 1), 0)
        else:  # a NaN (sorted last) makes every quantile of its slice NaN
            has_nan = xp.isnan(ordered[..., -1:])
            ranks = xp.where(has_nan, n - 1, qs * (n - 1)).astype(dtype, copy=False)
        if interpolation == "lower":
            ranks = xp.floor(ranks)
        elif interpolation == "higher":
            ranks = xp.ceil(ranks)
        elif interpolation == "nearest":
            ranks = xp.round(ranks)  # half to even, as PyTorch
        below = xp.floor(ranks).astype(_INT64)
        above = xp.ceil(ranks).astype(_INT64)
        if interpolation == "linear":
            weight = (ranks - below).astype(dtype)
        elif interpolation == "midpoint":
            weight = xp.full(ranks.shape, 0.5, dtype=dtype)
        else:
            weight = xp.zeros(ranks.shape, dtype=dtype)
        lo = xp.take_along_axis(ordered, below, -1)
        hi = xp.take_along_axis(ordered, above, -1)
        with np.errstate(invalid="ignore"):  # inf - inf
            # PyTorch's lerp: the two forms are exact at weight 0 and at weight 1
            out = xp.where(weight < 0.5, lo + (hi - lo) * weight, hi - (hi - lo) * (1 - weight))
        rest = work.shape[:-1]
        if keepdim:
            rest = (1,) * data.ndim if axis is None else _kept_shape(data.shape, (axis,))
        out_shape = (qs.size, *rest) if q.ndim == 1 else rest

        def layout(a):  # (..., nq) -> the output's (nq, ...) layout
            return xp.moveaxis(a, -1, 0).reshape(out_shape)

        if ctx.needs_input_grad:
            positions = xp.arange(data.size).reshape(data.shape)
            positions = positions.reshape(-1) if axis is None else xp.moveaxis(positions, axis, -1)
            source = xp.take_along_axis(positions, order, -1)
            flat_lo = layout(xp.take_along_axis(source, below, -1))
            flat_hi = layout(xp.take_along_axis(source, above, -1))
            ctx.meta = (data.shape, flat_lo, flat_hi, layout(1 - weight), layout(weight))
        return layout(out)

    @staticmethod
    def backward(ctx, grad):
        # out = (1 - w) * sorted[below] + w * sorted[above]: the gradient goes back to those
        # two elements with those weights (w is constant between sort-order changes).
        shape, flat_lo, flat_hi, w_lo, w_hi = ctx.meta
        g = _ScatterAdd.apply(grad * _make(w_lo), flat_lo, shape)
        g = g + _ScatterAdd.apply(grad * _make(w_hi), flat_hi, shape)
        return g, None, None, None, None, None


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    data = input._data
    if data.dtype not in (_F32, _F64):
        raise RuntimeError(
            f"{op}() input tensor must be either float or double dtype, got {input.dtype.name}"
        )
    if isinstance(q, Tensor):
        if q._data.dtype != data.dtype:
            raise RuntimeError(
                f"{op}() q tensor must be same dtype as the input tensor ({input.dtype.name}), "
                f"got {q.dtype.name}"
            )
        if q._data.ndim > 1:
            raise RuntimeError(
                f"{op}() q must be a scalar or 1D tensor, got shape {tuple(q.shape)}"
            )
        qa = q._data
        if not bool(((qa >= 0) & (qa <= 1)).all()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    elif isinstance(q, (int, float)) and not isinstance(q, bool):
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        qa = xp_of(data).asarray(q, dtype=data.dtype)
    else:
        raise TypeError(f"{op}(): q must be a float or a Tensor, got {type(q).__name__}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    if data.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    axis = None if dim is None else normalize_dim(_int_dim(op, dim), data.ndim, op)
    if data.ndim == 0:
        axis = None
    return Quantile.apply(input, qa, axis, keepdim, interpolation, ignore_nan)


@_numpy_names
def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation="linear"):
    """The ``q``-th quantiles of ``input`` along ``dim`` (of all elements when None).

    Args:
        input: a float32 or float64 tensor; a NaN makes its slice's quantiles NaN.
        q: a float in [0, 1], or a 0-d/1-d tensor of them (same dtype as ``input``); a 1-d
            ``q`` adds a leading dimension of that length to the result.
        dim, keepdim: the reduced dimension and whether to keep it with size 1.
        interpolation: between the two nearest sorted values: 'linear' (default), 'lower',
            'higher', 'midpoint' or 'nearest'.

    Example:
        >>> ember.quantile(ember.tensor([0.0, 1.0, 2.0, 3.0]), 0.5)
        tensor(1.5000)
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@_numpy_names
def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation="linear"):
    """:func:`quantile` ignoring NaNs (NaN only where a slice holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


register_methods(
    median=median,
    nanmedian=nanmedian,
    mode=mode,
    quantile=quantile,
    nanquantile=nanquantile,
)
