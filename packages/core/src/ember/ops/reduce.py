"""Reductions and scans: sum, mean, var/std, prod, max/min, norms, logsumexp, cumulative ops,
median, mode and quantiles.

Each takes PyTorch's arguments (``dim`` as an int, a tuple or None, ``keepdim``, ``dtype=``) and
is one ``autograd.Function`` whose forward is a NumPy/CuPy reduction on the raw array. Backwards
are written with differentiable Ember ops, so higher-order gradients work:

* a reduction's gradient is the output gradient with the reduced axes put back (a reshape) and
  broadcast over them, times the local derivative;
* where the derivative is piecewise constant (``amax``, ``norm(p=1)``, ``nansum``) it is a
  constant array computed from the forward values, so the gradient is linear in the incoming
  gradient and its own derivative with respect to the input is (correctly) zero;
* ops that select elements (``max(dim)``, ``median``, ``mode``, ``quantile``, ``cummax``) send
  the gradient to the selected positions with a scatter whose gradient is the matching gather.

Ops with two outputs return named tuples, as ``torch.return_types``:
``ember.return_types.max(values=..., indices=...)``.
"""

from __future__ import annotations

import builtins
import functools
import math
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import (
    broadcast_to,
    float_array,
    inplace,
    normalize_dim,
    normalize_dims,
    register_methods,
    xp_of,
)
from .arith import maximum, minimum
from .convert import to_dtype

__all__ = [
    "return_types",
    "sum",
    "nansum",
    "mean",
    "nanmean",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "aminmax",
    "argmax",
    "argmin",
    "logsumexp",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "norm",
    "dist",
    "all",
    "any",
    "count_nonzero",
    "median",
    "nanmedian",
    "mode",
    "quantile",
    "nanquantile",
]

_INT64 = np.dtype(np.int64)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_BF16 = dt.bfloat16.np_dtype
_HALF = (np.dtype(np.float16), _BF16)


# ---------------------------------------------------------------------------------------------
# Named tuples (torch.return_types)
# ---------------------------------------------------------------------------------------------


def _return_type_repr(self) -> str:
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"ember.return_types.{type(self).__name__}(\n{fields})"


class _ReturnTypes:
    """``ember.return_types``: the named tuples of ops with several outputs (as
    ``torch.return_types``). Each is a tuple: index it, unpack it or read its fields.

    Example:
        >>> values, indices = ember.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
        >>> ember.tensor([1.0, 5.0]).max(0).indices
        tensor(1)
    """

    def define(self, name: str, fields: tuple[str, ...]):
        """The named tuple ``ember.return_types.<name>`` with ``fields`` (made once)."""
        existing = self.__dict__.get(name)
        if existing is not None:
            return existing
        cls = namedtuple(name, fields)
        # Found again by pickle through this module's ``return_types`` attribute.
        cls.__module__ = __name__
        cls.__qualname__ = f"return_types.{name}"
        cls.__repr__ = _return_type_repr
        setattr(self, name, cls)
        return cls

    def __repr__(self) -> str:
        return "<ember.return_types>"


return_types = _ReturnTypes()
for _name in ("max", "min", "median", "nanmedian", "mode", "cummax", "cummin"):
    return_types.define(_name, ("values", "indices"))
return_types.define("aminmax", ("min", "max"))


# ---------------------------------------------------------------------------------------------
# Shared helpers: axes, shapes, and the small linear Functions the backwards are built from
# ---------------------------------------------------------------------------------------------


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
# Products and cumulative sums/products
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
        if len(axes) == 1:
            others = _prod_of_others(x, axes[0])
        else:
            others = _reshape(_prod_of_others(_reshape(x, (-1,)), 0), shape)
        return g * others, None, None, None


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
# logsumexp and logcumsumexp
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
# Extremes: amax/amin, max/min (with and without dim), argmax/argmin, aminmax, cummax/cummin
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
# Norms
# ---------------------------------------------------------------------------------------------


class Norm(Function):
    """The vector p-norm ``sum(|x|**p)**(1/p)`` over ``axes`` (p may be 0 or +-inf)."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        data = x._data
        xp = xp_of(data)
        work = data.astype(_F32) if data.dtype in _HALF else data
        ax = _np_axis(axes, data.ndim)
        if p == 2 and work.dtype.kind == "f":
            out = xp.sqrt((work * work).sum(axis=ax, keepdims=keepdim))
        else:
            a = xp.abs(work)
            if p == 2:
                out = xp.sqrt((a * a).sum(axis=ax, keepdims=keepdim))
            elif p == 1:
                out = a.sum(axis=ax, keepdims=keepdim)
            elif p == math.inf:
                out = a.max(axis=ax, keepdims=keepdim)
            elif p == -math.inf:
                out = a.min(axis=ax, keepdims=keepdim)
            elif p == 0:
                out = (a != 0).sum(axis=ax, keepdims=keepdim).astype(a.dtype)
            else:
                with np.errstate(divide="ignore"):  # 0 ** negative p is inf, as it should be
                    out = (a**p).sum(axis=ax, keepdims=keepdim) ** (1.0 / p)
        if work is not data:
            out = out.astype(data.dtype)
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.meta = (p, axes, keepdim)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .arith import pow

        x, out = ctx.saved_tensors
        p, axes, keepdim = ctx.meta
        data = x._data
        xp = xp_of(data)
        dtype = data.dtype
        g = _unreduce(grad, data.shape, axes, keepdim)
        n = _unreduce(out, data.shape, axes, keepdim)
        none = (None, None, None)
        # PyTorch's norm_backward, case by case; where the norm is 0 the gradient is 0.
        if p == 0:
            return (None, *none)  # piecewise constant: no gradient
        sign = xp.sign(data).astype(dtype)
        if p == 1:
            return (g * _make(sign), *none)
        zero_norm = (n._data == 0).astype(dtype)
        if p == 2:
            return (g * x / (n + _make(zero_norm)), *none)
        if math.isinf(p):
            weights = _even_weights(xp.abs(data), n._data, axes) * sign
            return (g * _make(weights), *none)
        magnitude = x * _make(sign)  # |x|, differentiable
        if p < 1:
            # sign(x) |x|^(p-1) with 0 at x = 0 (|x| is replaced by 1 there; sign is 0)
            zero_x = _make((data == 0).astype(dtype))
            scaled = _make(sign) * pow(magnitude + zero_x, p - 1)
            return (scaled * g * pow(n, 1 - p), *none)
        if p < 2:
            scaled = _make(sign) * pow(magnitude, p - 1)
        else:
            scaled = x * pow(magnitude, p - 2)
        scale = g * _make(1 - zero_norm) / (pow(n, p - 1) + _make(zero_norm))
        return (scaled * scale, *none)


class NuclearNorm(Function):
    """Sum of the singular values of the matrices in ``axes`` (two of them)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        data = x._data
        xp = xp_of(data)
        work = xp.moveaxis(data, axes, (-2, -1))
        if work.dtype.itemsize < 4:
            work = work.astype(_F32)  # LAPACK has no half precision
        if ctx.needs_input_grad:
            u, s, vh = xp.linalg.svd(work, full_matrices=False)
            # d(sum of singular values)/dA = U V^H (for distinct, nonzero singular values)
            ctx.uv = xp.moveaxis(u @ vh, (-2, -1), axes).astype(data.dtype)
            ctx.meta = (data.shape, axes, keepdim)
        else:
            s = xp.linalg.svd(work, compute_uv=False)
        out = s.sum(axis=-1).astype(data.dtype if data.dtype.kind != "c" else s.dtype)
        return out.reshape(_kept_shape(data.shape, axes)) if keepdim else out

    @staticmethod
    def backward(ctx, grad):
        # U V^H is taken as a constant: first derivatives are exact, second derivatives of the
        # nuclear norm are not supported (they would need the SVD's own derivative).
        shape, axes, keepdim = ctx.meta
        return _unreduce(grad, shape, axes, keepdim) * _make(ctx.uv), None, None


@_numpy_names
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The norm of ``input`` over ``dim`` (``torch.norm``).

    Args:
        input: a floating-point (or complex) tensor.
        p: a number for the vector p-norm ``sum(|x|**p)**(1/p)`` (2, 1, ``inf`` = max |x|,
            ``-inf`` = min |x|, 0 = count of nonzeros, any float); ``'fro'`` (default) for the
            2-norm of all elements in ``dim``; ``'nuc'`` for the nuclear norm (sum of singular
            values) of the matrices in two dims.
        dim: int, tuple or None (all dimensions; for ``'nuc'``, a 2-d input).
        keepdim: keep the reduced dimensions with size 1.
        dtype: compute in this dtype (it must not narrow the input's).

    Example:
        >>> ember.norm(ember.tensor([3.0, 4.0]))
        tensor(5.)
        >>> ember.norm(ember.tensor([[1.0, -2.0], [3.0, 4.0]]), p=1, dim=1)
        tensor([3., 7.])
    """
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"norm(): Expected a floating point or complex tensor as input. Got "
            f"{input.dtype.name}; call .float() first"
        )
    if dtype is not None:
        target = dt.to_dtype(dtype)
        if dt.promote_types(input.dtype, target) is not target:
            raise RuntimeError(
                f"norm(): the dtype of the input ({input.dtype.name}) should be convertible "
                f"without narrowing to the specified dtype ({target.name})"
            )
        input = to_dtype(input, target)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else dim
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return _vector_norm(input, 2.0, dims, keepdim)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"norm(): Order {p!r} not supported; use a number, 'fro' or 'nuc'")
        data = input._data
        axes = tuple(range(data.ndim)) if dims is None else normalize_dims(dims, data.ndim, "norm")
        if len(axes) != 2:
            raise RuntimeError(
                f"norm(): the '{p}' norm needs 2 dims (a matrix), got dim={dim!r} on a "
                f"{data.ndim}-d input; pass dim=(a, b)"
            )
        return NuclearNorm.apply(input, axes, keepdim)
    return _vector_norm(input, 2.0 if p is None else float(p), dims, keepdim)


def _vector_norm(input, p, dim, keepdim):
    data = input._data
    axes = _reduced_axes(data, dim, "norm")
    if math.isinf(p) and builtins.any(data.shape[a] == 0 for a in axes):
        raise RuntimeError(
            "norm(): cannot compute the inf norm on an empty tensor because the operation does "
            "not have an identity"
        )
    return Norm.apply(input, p, axes, keepdim)


def dist(input: Tensor, other: Tensor, p=2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), over all elements.

    Example:
        >>> ember.dist(ember.tensor([1.0, 1.0]), ember.tensor([4.0, 5.0]))
        tensor(5.)
    """
    return norm(input - other, float(p))


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
# Order statistics: median, mode, quantile
# ---------------------------------------------------------------------------------------------


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
    sum=sum,
    nansum=nansum,
    mean=mean,
    nanmean=nanmean,
    var=var,
    std=std,
    prod=prod,
    max=max,
    min=min,
    amax=amax,
    amin=amin,
    aminmax=aminmax,
    argmax=argmax,
    argmin=argmin,
    logsumexp=logsumexp,
    cumsum=cumsum,
    cumsum_=cumsum_,
    cumprod=cumprod,
    cumprod_=cumprod_,
    cummax=cummax,
    cummin=cummin,
    logcumsumexp=logcumsumexp,
    norm=norm,
    dist=dist,
    all=all,
    any=any,
    count_nonzero=count_nonzero,
    median=median,
    nanmedian=nanmedian,
    mode=mode,
    quantile=quantile,
    nanquantile=nanquantile,
)
