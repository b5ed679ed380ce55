"""Helpers shared by the reduction modules (reduce, scan, norm, stats): axes and shapes,
accumulation dtypes, and the small linear Functions their backwards are built from.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._util import broadcast_to, normalize_dims, xp_of

_INT64 = np.dtype(np.int64)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_BF16 = dt.bfloat16.np_dtype
_HALF = (np.dtype(np.float16), _BF16)


def _is_float(np_dtype) -> bool:
    return np_dtype.kind == "f" or np_dtype == _BF16


def _reduced_axes(data, dim, op: str) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of axes. None and ``()`` reduce every axis (PyTorch's
    ``sum(x, ())`` too); a 0-d input accepts dim 0 / -1 and has no axis to reduce."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return _ALL_AXES[data.ndim] if data.ndim < 16 else tuple(range(data.ndim))
    axes = normalize_dims(dim, data.ndim, op)
    return axes if data.ndim else ()


_ALL_AXES = [tuple(range(n)) for n in range(16)]


def _np_axis(axes, ndim):
    # axis=None is NumPy's fastest path for a full reduction
    return None if len(axes) == ndim else axes


def _kept_shape(shape, axes) -> tuple[int, ...]:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _count(shape, axes) -> int:
    return math.prod(shape[a] for a in axes)


def _acc_dtypes(np_dtype, explicit=None):
    """(accumulation dtype, final cast or None) of sum/prod/cumsum/cumprod. Without ``dtype=``
    integers and bools give int64, as in PyTorch; half precision accumulates in float32 (the
    accumulation type PyTorch uses) and is rounded once at the end."""
    key = (np_dtype, explicit)
    found = _ACC_CACHE.get(key)
    if found is None:
        res = np.dtype(explicit) if explicit is not None else np_dtype
        if explicit is None and np_dtype.kind in "biu":
            found = (_INT64, None)
        elif res in _HALF:
            found = (_F32, res)
        else:
            found = (res, None)
        _ACC_CACHE[key] = found
    return found


_ACC_CACHE: dict = {}


def _log_zero(np_dtype) -> float:
    """A finite stand-in for log(0): exp of it (plus any moderate value) is 0, and unlike
    -inf it never makes inf - inf. It is far from the dtype's lowest value so that the
    higher-order passes, which add a few of them together, cannot overflow."""
    return float(dt.finfo(dt.from_numpy_dtype(np_dtype)).min) / 64


def _axis_positions(xp, n, axis, ndim):
    """``arange(n)`` laid along ``axis`` of an ``ndim``-d array (broadcasts over the rest)."""
    shape = [1] * ndim
    shape[axis] = n
    return xp.arange(n).reshape(shape)


def _index(ndim, axis, sl) -> tuple:
    key = [slice(None)] * ndim
    key[axis] = sl
    return tuple(key)


def _check_reducible(op, data, axes, dim_given, no_dim_error=RuntimeError):
    """Reductions without an identity (max, argmax, median...) refuse empty slices."""
    if data.size:
        return
    if not dim_given:
        raise no_dim_error(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
            f"Specify the reduction dim with the 'dim' argument."
        )
    for a in axes:
        if data.shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size.")


def _int_dim(op, dim) -> int:
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        return int(dim)
    raise TypeError(f"{op}(): dim must be an int, got {dim!r}")


def _numpy_names(fn):
    """Accept NumPy's ``axis=`` and ``keepdims=`` for ``dim=`` and ``keepdim=``, as PyTorch
    does."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return wrapper


class _Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.src = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return _reshape(grad, ctx.src), None


def _reshape(x: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    return x if x._data.shape == shape else _Reshape.apply(x, shape)


def _unreduce(grad: Tensor, shape, axes, keepdim: bool) -> Tensor:
    """A reduction's output (or its gradient) spread back over the input's ``shape``: the
    reduced axes are reinserted with size 1, then broadcast."""
    if not keepdim and axes:
        grad = _reshape(grad, _kept_shape(shape, axes))
    return broadcast_to(grad, shape)


class _Flip(Function):
    """Reverse ``axis``; its own adjoint."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return xp_of(x._data).flip(x._data, axis)

    @staticmethod
    def backward(ctx, grad):
        return _Flip.apply(grad, ctx.axis), None


class _Shift(Function):
    """Shift one step along ``axis`` (``step=1``: towards higher indices), filling the freed
    slot with ``fill``. The linear part's adjoint is the shift the other way with 0."""

    @staticmethod
    def forward(ctx, x, axis, step, fill):
        ctx.meta = (axis, step)
        data = x._data
        out = xp_of(data).full(data.shape, fill, dtype=data.dtype)
        n = data.shape[axis]
        early = _index(data.ndim, axis, slice(0, n - 1))
        late = _index(data.ndim, axis, slice(1, None))
        if step > 0:
            out[late] = data[early]
        else:
            out[early] = data[late]
        return out

    @staticmethod
    def backward(ctx, grad):
        axis, step = ctx.meta
        return _Shift.apply(grad, axis, -step, 0), None, None, None


class _Gather(Function):
    """``x.reshape(-1)[flat]``: elements by flat index (the adjoint of ``_ScatterAdd``)."""

    @staticmethod
    def forward(ctx, x, flat):
        ctx.meta = (x._data.shape, flat)
        return x._data.reshape(-1)[flat]

    @staticmethod
    def backward(ctx, grad):
        shape, flat = ctx.meta
        return _ScatterAdd.apply(grad, flat, shape), None


class _ScatterAdd(Function):
    """Zeros of ``shape`` with ``g``'s values added at flat indices ``flat`` (duplicates add
    up): the gradient of selecting those elements. One ``bincount`` on either backend."""

    @staticmethod
    def forward(ctx, g, flat, shape):
        ctx.flat = flat
        data = g._data
        weights = data.reshape(-1)
        if weights.dtype != _F64:
            weights = weights.astype(_F64)
        out = xp_of(data).bincount(flat.reshape(-1), weights=weights, minlength=math.prod(shape))
        return out.astype(data.dtype).reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return _Gather.apply(grad, ctx.flat), None, None


def _flat_index(xp, shape, idx, axis):
    """Flat positions in an array of ``shape`` of the elements ``take_along_axis`` picks."""
    base = xp.arange(math.prod(shape)).reshape(shape)
    return xp.take_along_axis(base, idx, axis)


def _even_weights(data, value, axes):
    """1/count on the elements equal to the reduced ``value`` (kept dims), 0 elsewhere: the
    gradient of amax/amin/median() is split evenly among ties, as PyTorch does; a NaN result
    sends it to the NaNs."""
    xp = xp_of(data)
    hit = data == value
    if _is_float(data.dtype):
        hit |= xp.isnan(data) & xp.isnan(value)
    hit = hit.astype(data.dtype)
    return hit / hit.sum(axis=_np_axis(axes, data.ndim), keepdims=True)


def _scan(name: str, a, axis: int):
    """Inclusive scan of ``a`` along ``axis`` with the associative ufunc ``name``, in
    log2(n) vectorised passes (Hillis-Steele): for backends without ``ufunc.accumulate``."""
    op = getattr(xp_of(a), name)
    out = a.copy()
    n = a.shape[axis]
    step = 1
    while step < n:
        head = _index(a.ndim, axis, slice(step, None))
        out[head] = op(out[head], out[_index(a.ndim, axis, slice(0, n - step))])
        step *= 2
    return out


def _accumulate(name: str, a, axis: int):
    if xp_of(a) is np:
        return getattr(np, name).accumulate(a, axis=axis)
    # CuPy implements ufunc.accumulate for add and multiply only.
    return _scan(name, a, axis)


class _SelectAlongDim(Function):
    """Ops that pick one element of each slice along ``axis`` and return (values, indices);
    the gradient goes to the picked element only. Subclasses define ``_pick(data, axis)``,
    the picked indices with the axis kept."""

    @staticmethod
    def _pick(data, axis):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        data = x._data
        xp = xp_of(data)
        if data.ndim == 0:
            values, idx, flat = data.copy(), xp.zeros((), dtype=_INT64), None
        else:
            idx = cls._pick(data, axis).astype(_INT64, copy=False)
            values = xp.take_along_axis(data, idx, axis)
            flat = _flat_index(xp, data.shape, idx, axis) if ctx.needs_input_grad else None
            if not keepdim:
                values, idx = values.squeeze(axis), idx.squeeze(axis)
                flat = None if flat is None else flat.squeeze(axis)
        if ctx.needs_input_grad:
            ctx.meta = (data.shape, flat)
        indices = _make(idx)
        ctx.mark_non_differentiable(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, _indices_grad):
        shape, flat = ctx.meta
        if flat is None:  # a 0-d input is its own value
            return grad, None, None
        return _ScatterAdd.apply(grad, flat, shape), None, None
