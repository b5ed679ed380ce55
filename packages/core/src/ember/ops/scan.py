"""Cumulative (scan) ops: cumsum, cumprod, logcumsumexp, cummax and cummin, with the in-place
``cumsum_``/``cumprod_``.

Their backwards are scans too, written with differentiable Ember ops: cumsum's adjoint is a
reversed cumsum; cumprod's gradient is exact with zeros (an O(n) array formula for the first
order, an O(n^2)-memory graph formula when higher orders are recorded); logcumsumexp's goes
through log space as PyTorch's; cummax/cummin send the gradient to the running extreme's index.
"""

from __future__ import annotations

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._reduce_util import (
    _INT64,
    _acc_dtypes,
    _accumulate,
    _axis_positions,
    _flat_index,
    _Flip,
    _index,
    _int_dim,
    _is_float,
    _log_zero,
    _numpy_names,
    _reshape,
    _ScatterAdd,
    _Shift,
)
from ._return_types import return_types
from ._util import broadcast_to, inplace, normalize_dim, register_methods, xp_of
from .convert import to_dtype
from .reduce import Sum

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]

for _name in ("cummax", "cummin"):
    return_types.define(_name, ("values", "indices"))


# ---------------------------------------------------------------------------------------------
# Cumulative sums and products
# ---------------------------------------------------------------------------------------------


def _exclusive_cumprod(x: Tensor, axis: int) -> Tensor:
    """``out[k] = prod(x[:k])`` along ``axis`` (1 at k = 0)."""
    return Cumprod.apply(_Shift.apply(x, axis, 1, 1), axis, None)


def _prod_of_others(x: Tensor, axis: int) -> Tensor:
    """``out[i] = prod(x[j] for j != i)`` along ``axis``, exact when some x[j] are 0."""
    after = _Flip.apply(_exclusive_cumprod(_Flip.apply(x, axis), axis), axis)
    return _exclusive_cumprod(x, axis) * after


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis, dtype):
        data = x._data
        acc, cast = _acc_dtypes(data.dtype, dtype)
        if data.ndim == 0:
            out = data.astype(acc if cast is None else cast, copy=True)
        else:
            out = xp_of(data).cumsum(data, axis=axis, dtype=acc)
        ctx.axis = axis if data.ndim else None
        return out if cast is None else out.astype(cast)

    @staticmethod
    def backward(ctx, grad):
        if ctx.axis is None:
            return grad, None, None
        return _RevCumsum.apply(grad, ctx.axis), None, None


class _RevCumsum(Function):
    """``out[k] = sum(g[k:])`` along ``axis``: the adjoint of cumsum."""

    @staticmethod
    def forward(ctx, g, axis):
        ctx.axis = axis
        xp = xp_of(g._data)
        return xp.flip(xp.cumsum(xp.flip(g._data, axis), axis=axis), axis)

    @staticmethod
    def backward(ctx, grad):
        return Cumsum.apply(grad, ctx.axis, None), None


class Cumprod(Function):
    @staticmethod
    def forward(ctx, x, axis, dtype):
        data = x._data
        acc, cast = _acc_dtypes(data.dtype, dtype)
        if data.ndim == 0:
            out = data.astype(acc if cast is None else cast, copy=True)
        else:
            out = xp_of(data).cumprod(data, axis=axis, dtype=acc)
        out = _make(out if cast is None else out.astype(cast))
        if ctx.needs_input_grad:
            ctx.axis = axis
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        data = x._data
        if data.ndim == 0:
            return grad, None, None
        axis = ctx.axis
        if not bool((data == 0).any()):
            # d out[k] / d x[i] = out[k] / x[i] for k >= i
            return _RevCumsum.apply(grad * out, axis) / x, None, None
        if not STATE.enabled:  # a first-order backward: O(n) on arrays, as PyTorch
            return _make(_cumprod_grad_zeros(data, out._data, grad._data, axis)), None, None
        return _cumprod_grad_graph(x, grad, axis), None, None


def _cumprod_grad_zeros(x, out, g, axis):
    """The cumprod gradient on arrays when ``x`` has zeros. Along the axis, with z1 the first
    zero: before z1, ``revcumsum(g * out) / x`` is exact (out is 0 from z1 on); at z1 it is
    ``prod(x[:z1]) * sum_{z1 <= k < z2} g[k] prod(x[z1+1..k])``; after z1 every term holds
    x[z1] = 0."""
    xp = xp_of(x)
    ndim = x.ndim
    zeros_so_far = xp.cumsum(x == 0, axis=axis)
    before = zeros_so_far == 0
    w = g * out
    rev = xp.flip(xp.cumsum(xp.flip(w, axis), axis=axis), axis)
    grad = xp.where(before, rev / xp.where(before, x, 1), 0)
    first_zero = (x == 0) & (zeros_so_far == 1)
    between = (zeros_so_far == 1) & ~first_zero  # (z1, z2)
    partial = xp.cumprod(xp.where(between, x, 1), axis=axis)
    tail = xp.sum(xp.where(zeros_so_far == 1, g * partial, 0), axis=axis, keepdims=True)
    head = xp.ones_like(out)  # prod(x[:k]) = out[k - 1]
    n = x.shape[axis]
    head[_index(ndim, axis, slice(1, None))] = out[_index(ndim, axis, slice(0, n - 1))]
    return xp.where(first_zero, head * tail, grad).astype(out.dtype, copy=False)


def _cumprod_grad_graph(x: Tensor, g: Tensor, axis: int) -> Tensor:
    """The cumprod gradient with Ember ops (for higher-order gradients) when ``x`` has zeros:
    ``dL/dx[i] = prod(x[:i]) * sum_{k >= i} g[k] prod(x[i+1..k])``. The inner products for
    every (i, k) pair come from one cumprod over an n x n layout: O(n^2) memory along the axis,
    like PyTorch's double-backward formula, but without its Python loop."""
    data = x._data
    xp = xp_of(data)
    shape = data.shape
    n = shape[axis]
    pre, post = shape[:axis], shape[axis + 1 :]
    big = pre + (n, n) + post
    i = xp.arange(n).reshape((n, 1) + (1,) * len(post))
    j = xp.arange(n).reshape((1, n) + (1,) * len(post))
    after = (j > i).astype(data.dtype)
    row = _reshape(x, pre + (1, n) + post)  # row[i, j] = x[j]
    masked = broadcast_to(row, big) * _make(after) + _make(1 - after)  # x[j] if j > i else 1
    partial = Cumprod.apply(masked, axis + 1, None)  # prod(x[i+1..k]) for k >= i
    weights = _reshape(g, pre + (1, n) + post) * _make((j >= i).astype(data.dtype))
    inner = Sum.apply(partial * weights, (axis + 1,), False, None)
    return _exclusive_cumprod(x, axis) * inner


def _scan_args(op, input, dim, dtype):
    if dtype is not None:
        dtype = dt.to_dtype(dtype)
        input = to_dtype(input, dtype)
        dtype = dtype.np_dtype
    return input, normalize_dim(_int_dim(op, dim), input._data.ndim, op), dtype


@_numpy_names
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``: ``out[k] = sum(input[:k+1])``. Integer and bool inputs give
    int64 unless ``dtype=`` says otherwise.

    Example:
        >>> ember.cumsum(ember.tensor([1, 2, 3]), 0)
        tensor([1, 3, 6])
    """
    return Cumsum.apply(*_scan_args("cumsum", input, dim, dtype))


@_numpy_names
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; the gradient is exact with zeros.

    Example:
        >>> ember.cumprod(ember.tensor([1.0, 2.0, 3.0]), 0)
        tensor([1., 2., 6.])
    """
    return Cumprod.apply(*_scan_args("cumprod", input, dim, dtype))


# ---------------------------------------------------------------------------------------------
# logcumsumexp
# ---------------------------------------------------------------------------------------------


class LogCumSumExp(Function):
    @staticmethod
    def forward(ctx, x, axis):
        data = x._data
        # logaddexp is exact and overflow-free at every step of the scan
        out = _make(data.copy() if data.ndim == 0 else _accumulate("logaddexp", data, axis))
        if ctx.needs_input_grad:
            ctx.axis = axis
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .unary import exp, log

        x, out = ctx.saved_tensors
        if x._data.ndim == 0:
            return grad, None
        axis = ctx.axis
        # dL/dx[j] = sum_{k >= j} g[k] exp(x[j] - out[k]). PyTorch's stable form: the positive
        # and negative parts of g go through log space, where the sum over k >= j is a
        # reversed logcumsumexp; log|g| is a differentiable function of g, so this backward
        # is itself differentiable.
        gd = grad._data
        dtype = gd.dtype
        log_zero = _log_zero(dtype)

        def part(mask, sign):
            m = mask.astype(dtype)
            magnitude = grad * _make(m * sign) + _make(1 - m)  # |g| where mask, else 1
            log_g = log(magnitude) + _make(xp_of(gd).where(mask, 0, log_zero).astype(dtype))
            flipped = _Flip.apply(log_g - out, axis)
            reverse = _Flip.apply(LogCumSumExp.apply(flipped, axis), axis)
            return exp(reverse + x)

        return part(gd > 0, 1) - part(gd < 0, -1), None


@_numpy_names
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input)))`` along ``dim``, computed without overflow.

    Example:
        >>> ember.logcumsumexp(ember.tensor([0.0, 0.0]), 0)
        tensor([0.0000, 0.6931])
    """
    if not (input.is_floating_point() or input.is_complex()):
        raise NotImplementedError(
            f"logcumsumexp(): not implemented for {input.dtype.name} inputs; call .float() first"
        )
    return LogCumSumExp.apply(
        input, normalize_dim(_int_dim("logcumsumexp", dim), input._data.ndim, "logcumsumexp")
    )


# ---------------------------------------------------------------------------------------------
# cummax / cummin
# ---------------------------------------------------------------------------------------------


class Cummax(Function):
    largest = True

    @classmethod
    def forward(cls, ctx, x, axis):
        data = x._data
        xp = xp_of(data)
        if data.ndim == 0:
            values, idx = data.copy(), xp.zeros((), dtype=_INT64)
        else:
            values = _accumulate("maximum" if cls.largest else "minimum", data, axis)
            # The running index moves to k when x[k] reaches the running extreme (ties take
            # the later index) or is NaN (NaN then stays the extreme), as in PyTorch.
            moved = data == values
            if _is_float(data.dtype):
                moved |= xp.isnan(data)
            pos = _axis_positions(xp, data.shape[axis], axis, data.ndim)
            idx = _accumulate("maximum", xp.where(moved, pos, 0), axis).astype(_INT64)
        if ctx.needs_input_grad:
            flat = _flat_index(xp, data.shape, idx, axis) if data.ndim else None
            ctx.meta = (data.shape, flat)
        indices = _make(idx)
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, _indices_grad):
        shape, flat = ctx.meta
        if flat is None:
            return grad, None
        return _ScatterAdd.apply(grad, flat, shape), None


class Cummin(Cummax):
    largest = False


@_numpy_names
def cummax(input: Tensor, dim: int):
    """Running maximum along ``dim`` and the index where it was reached:
    ``ember.return_types.cummax(values, indices)``.

    Example:
        >>> ember.cummax(ember.tensor([1.0, 3.0, 2.0]), 0).values
        tensor([1., 3., 3.])
    """
    axis = normalize_dim(_int_dim("cummax", dim), input._data.ndim, "cummax")
    return return_types.cummax(*Cummax.apply(input, axis))


@_numpy_names
def cummin(input: Tensor, dim: int):
    """Running minimum along ``dim`` and its index; see :func:`cummax`."""
    axis = normalize_dim(_int_dim("cummin", dim), input._data.ndim, "cummin")
    return return_types.cummin(*Cummin.apply(input, axis))


# ---------------------------------------------------------------------------------------------
# Tensor methods
# ---------------------------------------------------------------------------------------------


def cumsum_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    """In-place version of :func:`cumsum`."""
    return inplace(self, cumsum, dim, op="cumsum_", dtype=dtype)


def cumprod_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    """In-place version of :func:`cumprod`."""
    return inplace(self, cumprod, dim, op="cumprod_", dtype=dtype)


register_methods(
    cumsum=cumsum,
    cumsum_=cumsum_,
    cumprod=cumprod,
    cumprod_=cumprod_,
    cummax=cummax,
    cummin=cummin,
    logcumsumexp=logcumsumexp,
)
