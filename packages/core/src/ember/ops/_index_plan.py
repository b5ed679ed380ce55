"""Index plans and the differentiable Functions on them: the core the indexing ops share.

An index *plan* is a pair ``(basic, advanced)``: the basic part is a tuple for
``array[basic]`` (a view), the advanced part ``None`` or a tuple of index arrays and slices
applied to that view. Every differentiable indexing op reduces to three Functions on a plan:

* ``Index``     reads ``x[plan]``; its backward is ``IndexGrad``.
* ``IndexGrad`` adds ``grad`` into zeros at ``plan`` (``ufunc.at``, so repeated indices
  accumulate); its backward is ``Index``. The pair are each other's adjoints, so gradients of
  every order come for free.
* ``IndexPut``  writes (or accumulates) values at ``plan`` into a copy of ``x``; its backward
  zeroes the written positions of ``grad`` (another ``IndexPut``) and reads the value's share
  with ``Index``.

gather, index_select, take, take_along_dim, masked_select and the values of sort/topk/kthvalue
are ``Index``; scatter, scatter_add, index_add/copy/fill, index_put, masked_scatter, put and
``x[key] = v`` are ``IndexPut``. scatter_reduce and masked_fill have Functions of their own.
This module also holds the array helpers those ops share (``ufunc.at`` on both backends, the
index-argument checks) and :func:`_put_inplace`, the in-place write every ``*_`` form uses.
"""

from __future__ import annotations

import numpy as np

from .. import _device as _dev
from .. import _dtype as dt
from .._device import is_writeable
from .._tensor import Tensor, _make, _make_view, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import _graph_copy, grad_for, write_into, xp_of

_ALL = (Ellipsis,)  # the basic part of a plan that keeps every dimension


# ---------------------------------------------------------------------------------------------
# Array helpers
# ---------------------------------------------------------------------------------------------


def _ufunc_at(name: str, target, key, values) -> None:
    """``xp.<name>.at(target, key, values)``: unbuffered, so repeated indices all apply.

    NumPy has ``at`` for every ufunc. On CuPy only ``add`` goes through ``at`` (an atomic add,
    exact in every float width); CuPy's ``maximum.at``/``minimum.at`` round float64 to float32
    and the other ufuncs have no ``at``, so those go through :func:`_ufunc_at_by_rounds`.
    """
    xp = xp_of(target)
    if values.__class__ is not target.__class__ or values.dtype != target.dtype:
        values = xp.asarray(values, dtype=target.dtype)
    if xp is np or name == "add":
        getattr(xp, name).at(target, key, values)
    else:
        _ufunc_at_by_rounds(xp, name, target, key, values)


def _ufunc_at_by_rounds(xp, name: str, target, key, values) -> None:
    """``ufunc.at`` from plain fancy assignment: the updates are grouped into rounds in which
    every target position appears at most once, so each round is exact. There are as many
    rounds as the largest number of repeats of one position (not one per element)."""
    ufunc = getattr(xp, name)
    positions = xp.arange(target.size).reshape(target.shape)[key]
    vals = xp.broadcast_to(xp.asarray(values, dtype=target.dtype), positions.shape).ravel()
    pos = positions.ravel()
    if pos.size == 0:
        return
    order = xp.argsort(pos, kind="stable")
    pos, vals = pos[order], vals[order]
    first = xp.ones(pos.size, dtype=bool)
    first[1:] = pos[1:] != pos[:-1]
    starts = xp.nonzero(first)[0]
    rank = xp.arange(pos.size) - starts[xp.cumsum(first) - 1]
    contiguous = target.flags.c_contiguous
    flat = target.reshape(-1) if contiguous else target.ravel()
    for r in range(int(rank.max()) + 1):
        chosen = rank == r
        p = pos[chosen]
        flat[p] = ufunc(flat[p], vals[chosen])
    if not contiguous:
        target[...] = flat.reshape(target.shape)


def _apply_plan(data, plan):
    basic, adv = plan
    view = data[basic]
    return view if adv is None else view[adv]


def _write_plan(data, plan, values, accumulate: bool) -> None:
    """Write (or add, with ``accumulate``) ``values`` at ``plan`` into ``data``, in place."""
    basic, adv = plan
    view = data[basic]
    if adv is None:
        if accumulate:
            view += values  # positions picked by basic indexing are distinct
        else:
            view[...] = values
    elif accumulate:
        _ufunc_at("add", view, adv, values)
    else:
        view[adv] = values


def _target_shape(data, plan):
    basic, adv = plan
    view = data[basic]
    return view.shape if adv is None else view[adv].shape


def _write_checked(data, plan, values, accumulate: bool, op: str) -> None:
    """:func:`_write_plan` with PyTorch's errors for a read-only destination or a value that
    does not broadcast to the indexed shape."""
    if not is_writeable(data):
        raise RuntimeError(
            f"{op}: the tensor is a read-only (expanded/broadcast) view; clone() it first"
        )
    try:
        _write_plan(data, plan, values, accumulate)
    except ValueError:
        vshape = list(getattr(values, "shape", ()))
        raise RuntimeError(
            f"{op}: shape mismatch: value tensor of shape {vshape} cannot be broadcast to "
            f"indexing result of shape {list(_target_shape(data, plan))}"
        ) from None


def _value_array(value, data):
    """A Tensor's array or a Python number/sequence as an array on ``data``'s device, in its
    dtype (PyTorch casts the value of an indexed write to the destination's dtype)."""
    xp = xp_of(data)
    arr = value._data if isinstance(value, Tensor) else value
    if isinstance(arr, (np.ndarray, np.generic)) or _dev.is_cupy_array(arr):
        if xp_of(arr) is not xp:
            arr = _dev.move_array(arr, _dev.device_of(data))
        return arr if arr.dtype == data.dtype else arr.astype(data.dtype)
    return xp.asarray(arr, dtype=data.dtype)


def _bump(t: Tensor) -> None:
    counter = t._version_counter
    if counter is None:
        t._version_counter = [1]
    else:
        counter[0] += 1


def _same(a, b):
    """Elementwise equality in which NaN equals NaN (a NaN maximum came from a NaN input)."""
    eq = a == b
    if a.dtype.kind == "f" or a.dtype == dt.bfloat16.np_dtype:
        xp = xp_of(eq)
        eq |= xp.isnan(a) & xp.isnan(b)
    return eq


def _const(array, like: Tensor) -> Tensor:
    """A constant (no graph) Tensor in ``like``'s dtype, used to weight gradients."""
    return _make(array.astype(like._data.dtype, copy=False))


def _index_arg(index, data, op: str):
    """An index tensor's array, checked to be int32/int64 and moved to ``data``'s device."""
    arr = index._data if isinstance(index, Tensor) else index
    if not hasattr(arr, "dtype"):
        arr = np.asarray(arr)
    if arr.dtype.kind not in "iu" or arr.dtype == np.uint8:
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {arr.dtype}")
    if xp_of(arr) is not xp_of(data):
        arr = _dev.move_array(arr, _dev.device_of(data))
    return arr


def _check_range(idx, size: int, dim: int, op: str, negative: bool, error=IndexError) -> None:
    """Raise PyTorch's out-of-bounds error if an index is outside ``[-size, size)`` (or
    ``[0, size)`` when ``negative`` is False). PyTorch raises IndexError when indexing and
    RuntimeError from gather/scatter/index_add; ``error`` follows it."""
    if idx.size == 0:
        return
    lo, hi = int(idx.min()), int(idx.max())
    low = -size if negative else 0
    if lo < low or hi >= size:
        bad = lo if lo < low else hi
        prefix = f"{op}: " if op else ""
        raise error(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")


def _along_key(idx, dim: int):
    """The advanced-index key that reads, at each position of ``idx``, element ``idx[...]``
    along ``dim`` and the same position along every other dimension (``gather``'s rule)."""
    xp = xp_of(idx)
    nd = idx.ndim
    key = []
    for d in range(nd):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * nd
            shape[d] = idx.shape[d]
            key.append(xp.arange(idx.shape[d]).reshape(shape))
    return tuple(key)


def _on_device(arr, data):
    if xp_of(arr) is xp_of(data):
        return arr
    return _dev.move_array(arr, _dev.device_of(data))


# ---------------------------------------------------------------------------------------------
# The differentiable primitives
# ---------------------------------------------------------------------------------------------


class Index(Function):
    """``x[plan]``: a view when the plan is basic only, else a copy."""

    @staticmethod
    def forward(ctx, x, plan):
        data = x._data
        out = _apply_plan(data, plan)
        if ctx.needs_input_grad:
            ctx.shape = data.shape
            ctx.plan = plan
        if plan[1] is None:
            return _make_view(out, x)
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.shape, ctx.plan), None


class IndexGrad(Function):
    """Zeros of ``shape`` with ``grad`` added at ``plan``: the adjoint of :class:`Index`."""

    @staticmethod
    def forward(ctx, grad, shape, plan):
        g = grad._data
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        _write_plan(out, plan, g, accumulate=True)
        ctx.plan = plan
        return out

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, ctx.plan), None, None


class IndexPut(Function):
    """A copy of ``x`` with ``values`` (a Tensor or a number, broadcast) written at ``plan``,
    or added there when ``accumulate``."""

    @staticmethod
    def forward(ctx, x, values, plan, accumulate, op="index_put"):
        out = x._data.copy()
        _write_checked(out, plan, _value_array(values, out), accumulate, op)
        if ctx.needs_input_grad:
            ctx.plan = plan
            ctx.accumulate = accumulate
            ctx.values = values
        return out

    @staticmethod
    def backward(ctx, grad):
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = gv = None
        if need_x:
            # overwritten positions no longer depend on x; accumulated ones still do, fully
            gx = grad if ctx.accumulate else IndexPut.apply(grad, 0, ctx.plan, False)
        if need_v:
            values = ctx.values
            g = Index.apply(grad, ctx.plan)
            if g._data.ndim < values._data.ndim:  # the value had extra leading 1-dims
                g = _reshape(g, (1,) * (values._data.ndim - g._data.ndim) + g._data.shape)
            gv = grad_for(g, values)
        return gx, gv, None, None, None


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.shape), None


def _reshape(x: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    return x if x._data.shape == shape else Reshape.apply(x, shape)


class MaskedFill(Function):
    """``where(mask, value, x)`` with ``mask`` a bool array and ``value`` a number or a 0-d
    Tensor; the result has ``x``'s dtype and the broadcast shape of ``x`` and ``mask``."""

    @staticmethod
    def forward(ctx, x, value, mask):
        data = x._data
        xp = xp_of(data)
        out = xp.where(mask, _value_array(value, data), data)
        if ctx.needs_input_grad:
            ctx.mask = mask
            ctx.inputs = (x, value)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, value = ctx.inputs
        mask = ctx.mask
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = grad_for(MaskedFill.apply(grad, 0, mask), x)
        if ctx.needs_input_grad[1]:
            gv = grad_for(MaskedFill.apply(grad, 0, ~mask), value)
        return gx, gv, None


def _put_inplace(self: Tensor, values, plan, accumulate: bool, op: str) -> Tensor:
    """Write ``values`` at ``plan`` into ``self``: directly when nothing is recorded, else
    through :class:`IndexPut` with ``self`` taking over its place in the graph."""
    check_inplace(self, values, op=op)
    recording = STATE.enabled and (
        self.requires_grad or (isinstance(values, Tensor) and values.requires_grad)
    )
    if not recording:
        data = self._data
        _write_checked(data, plan, _value_array(values, data), accumulate, op)
        _bump(self)
        return self
    result = IndexPut.apply(_graph_copy(self), values, plan, accumulate, op)
    return write_into(self, result, op)
