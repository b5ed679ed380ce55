"""Indexing, gather/scatter, masks, sorting, searching and counting, with PyTorch's semantics.

``x[key]`` accepts ints, slices (positive steps), ``None``, ``...``, Python bools and integer or
bool tensors, lists and arrays. As in PyTorch, ints, slices and ``None`` are applied first and
give a *view* (sharing memory and version counter with ``x``); index arrays left over then pick
elements with NumPy's advanced-indexing rules on that view and give a copy.

The differentiable ops reduce to three Functions on an index *plan* ``(basic, advanced)``: the
basic part is a tuple for ``array[basic]`` (a view), the advanced part ``None`` or a tuple of
index arrays and slices applied to that view.

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
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _device as _dev
from .. import _dtype as dt
from .._tensor import Tensor, _make, _make_view, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import (
    _graph_copy,
    broadcast_to,
    grad_for,
    inplace,
    normalize_dim,
    register_methods,
    write_into,
    xp_of,
)

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_put_",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "take",
    "take_along_dim",
    "put",
    "nonzero",
    "argwhere",
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
    "unique",
    "unique_consecutive",
    "searchsorted",
    "bucketize",
    "bincount",
    "histc",
    "tril_indices",
    "triu_indices",
]

_ALL = (Ellipsis,)  # the basic part of a plan that keeps every dimension


# ---------------------------------------------------------------------------------------------
# Array helpers
# ---------------------------------------------------------------------------------------------


def _ufunc_at(name: str, target, key, values) -> None:
    """``xp.<name>.at(target, key, values)``: unbuffered, so repeated indices all apply.

    NumPy has ``at`` for every ufunc; CuPy only for some (add, maximum, minimum...) and raises
    NotImplementedError for the others, which then go through :func:`_ufunc_at_by_rounds`.
    """
    xp = xp_of(target)
    if values.__class__ is not target.__class__ or values.dtype != target.dtype:
        values = xp.asarray(values, dtype=target.dtype)
    try:
        getattr(xp, name).at(target, key, values)
    except NotImplementedError:
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
    if not data.flags.writeable:
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


# ---------------------------------------------------------------------------------------------
# x[key] and x[key] = value
# ---------------------------------------------------------------------------------------------

_INT, _SLICE, _NONE, _ELLIPSIS, _BOOL, _ARRAY, _MASK = range(7)


def _index(v) -> int:
    return v if type(v) is int else operator.index(v)


def _check_slice(s: slice) -> slice:
    step = s.step
    if step is not None:
        step = _index(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    if (s.start is None or type(s.start) is int) and (s.stop is None or type(s.stop) is int):
        return s if step is None or type(s.step) is int else slice(s.start, s.stop, step)
    start = None if s.start is None else _index(s.start)
    stop = None if s.stop is None else _index(s.stop)
    return slice(start, stop, step)


def _sequence_is_tuple(seq: list) -> bool:
    """PyTorch (like old NumPy) reads ``x[[a, b]]`` as ``x[a, b]`` when the list holds slices,
    None, Ellipsis, tensors or sequences; a list of ints is one index array."""
    if len(seq) >= 32:
        return False
    for item in seq:
        if item is None or item is Ellipsis or isinstance(item, (slice, Tensor, list, tuple)):
            return True
    return False


def _classify(k, data):
    """One entry of a key as ``(kind, value)``."""
    t = type(k)
    if t is int:
        return _INT, k
    if t is slice:
        return _SLICE, _check_slice(k)
    if k is None:
        return _NONE, None
    if k is Ellipsis:
        return _ELLIPSIS, None
    if t is bool or t is np.bool_:
        return _BOOL, bool(k)
    if isinstance(k, (int, np.integer)):
        return _INT, int(k)
    if isinstance(k, Tensor):
        arr = k._data
    elif isinstance(k, (list, tuple)):
        arr = np.asarray(k)
        if arr.size == 0:
            arr = arr.astype(np.int64)
    elif isinstance(k, np.ndarray) or _dev.is_cupy_array(k):
        arr = k
    else:
        raise IndexError(
            f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
            f"are valid indices (got {t.__name__})"
        )
    if arr.dtype == np.uint8 and isinstance(k, Tensor):
        # PyTorch still reads uint8 index tensors as masks, with this warning
        warnings.warn(
            "indexing with dtype ember.uint8 is now deprecated, please use a dtype ember.bool "
            "instead.",
            UserWarning,
            stacklevel=4,
        )
        arr = arr.astype(bool)
    kind = arr.dtype.kind
    if kind == "b":
        if arr.ndim == 0:
            return _BOOL, bool(arr)
        return _MASK, _on_device(arr, data)
    if kind in "iu":
        if arr.ndim == 0:
            return _INT, int(arr)
        return _ARRAY, _on_device(arr, data)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _on_device(arr, data):
    if xp_of(arr) is xp_of(data):
        return arr
    return _dev.move_array(arr, _dev.device_of(data))


def _parse_key(x: Tensor, key):
    """The plan ``(basic, advanced)`` of ``x[key]``, with PyTorch's checks and messages."""
    data = x._data
    shape = data.shape
    ndim = data.ndim
    if type(key) is int and ndim:  # the commonest key, on its own fast path
        size = shape[0]
        if not -size <= key < size:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {size}")
        return (key, Ellipsis), None
    if type(key) is not tuple:
        key = tuple(key) if type(key) is list and _sequence_is_tuple(key) else (key,)
    basic = _basic_only(key, shape)
    if basic is not None:
        return basic, None
    items = [_classify(k, data) for k in key]
    consumed = 0
    ellipses = 0
    for kind, v in items:
        if kind in (_INT, _SLICE, _ARRAY):
            consumed += 1
        elif kind == _MASK:
            consumed += v.ndim
        elif kind == _ELLIPSIS:
            ellipses += 1
    if ellipses > 1:
        # PyTorch tolerates several; NumPy (and Ember) accept one, which is unambiguous
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        if ndim == 0 and any(kind == _INT for kind, _ in items):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    xp = xp_of(data)
    basic = []
    adv = []  # (position in the basic view, index array)
    dim = 0  # dimension of x the next entry indexes
    rdim = 0  # dimension of the basic view it lands on
    for kind, v in items:
        if kind == _INT:
            size = shape[dim]
            if not -size <= v < size:
                raise IndexError(
                    f"index {v} is out of bounds for dimension {dim} with size {size}"
                )
            basic.append(v)
            dim += 1
        elif kind == _SLICE:
            basic.append(v)
            dim += 1
            rdim += 1
        elif kind == _NONE:
            basic.append(None)
            rdim += 1
        elif kind == _BOOL:
            # a new axis of size 1 indexed with [0] (True) or [] (False), as NumPy does
            basic.append(None)
            adv.append((rdim, xp.zeros(1 if v else 0, dtype=np.int64)))
            rdim += 1
        elif kind == _ELLIPSIS:
            n = ndim - consumed
            basic.extend([slice(None)] * n)
            dim += n
            rdim += n
        elif kind == _ARRAY:
            _check_range(v, shape[dim], rdim, "", negative=True)
            basic.append(slice(None))
            adv.append((rdim, v))
            dim += 1
            rdim += 1
        else:  # _MASK
            k = v.ndim
            if tuple(v.shape) != tuple(shape[dim : dim + k]):
                _raise_mask_mismatch(data, basic, v, rdim)
            for j, nz in enumerate(xp.nonzero(v)):
                adv.append((rdim + j, nz))
            basic.extend([slice(None)] * k)
            dim += k
            rdim += k
    basic.append(Ellipsis)
    if not adv:
        return tuple(basic), None
    full = [slice(None)] * (adv[-1][0] + 1)
    for pos, arr in adv:
        full[pos] = arr
    return tuple(basic), tuple(full)


_BASIC_TYPES = frozenset((int, slice, type(None), type(Ellipsis)))


def _basic_only(key: tuple, shape):
    """The basic plan of a key made only of ints, slices, None and one ``...`` (the common
    case, kept cheap), or None to take the general path (which also reports errors)."""
    consumed = 0
    ellipsis_at = -1
    for i, k in enumerate(key):
        t = type(k)
        if t not in _BASIC_TYPES:
            return None
        if t is slice:
            if k.step is not None and (type(k.step) is not int or k.step <= 0):
                return None
            if not (k.start is None or type(k.start) is int) or not (
                k.stop is None or type(k.stop) is int
            ):
                return None
            consumed += 1
        elif t is int:
            consumed += 1
        elif k is not None:
            if ellipsis_at >= 0:
                return None
            ellipsis_at = i
    if consumed > len(shape):
        return None
    dim = 0
    for i, k in enumerate(key):
        if type(k) is int:
            size = shape[dim]
            if not -size <= k < size:
                return None
            dim += 1
        elif type(k) is slice:
            dim += 1
        elif i == ellipsis_at:
            dim += len(shape) - consumed
    # a trailing ... keeps every result an array (NumPy returns scalars for full int keys)
    return key if ellipsis_at >= 0 else key + (Ellipsis,)


def _raise_mask_mismatch(data, basic, mask, rdim):
    view_shape = data[tuple(basic) + (Ellipsis,)].shape
    for j, s in enumerate(mask.shape):
        if rdim + j >= len(view_shape) or view_shape[rdim + j] != s:
            raise IndexError(
                f"The shape of the mask {list(mask.shape)} at index {j} does not match the "
                f"shape of the indexed tensor {list(view_shape)} at index {rdim + j}"
            )


def __getitem__(self: Tensor, key) -> Tensor:
    """``self[key]``: a view for ints/slices/None/..., a copy when index arrays or masks are
    involved. Differentiable; repeated indices accumulate their gradients.

    Example:
        >>> x = ember.arange(6.).reshape(2, 3)
        >>> x[1, 1:]            # a view
        tensor([4., 5.])
        >>> x[:, [0, 0, 2]]     # a copy
        tensor([[0., 0., 2.],
                [3., 3., 5.]])
    """
    return Index.apply(self, _parse_key(self, key))


def __setitem__(self: Tensor, key, value) -> None:
    """``self[key] = value`` in place (``value`` a number or a tensor, broadcast).

    When ``self`` or ``value`` requires grad, ``self`` takes over the history: its gradient
    flows to the earlier ``self`` (zero at the written positions) and to ``value``.
    """
    # The value is cast to self's dtype. PyTorch refuses a dtype mismatch when the key holds
    # index tensors and casts otherwise; Ember casts in both cases, as that is what such code
    # means.
    _put_inplace(self, value, _parse_key(self, key), False, "__setitem__")


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


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (added there when
    ``accumulate``, so repeated indices sum).

    Args:
        indices: a tuple of index tensors (integer or bool), one per leading dimension.
        values: a tensor of ``input``'s dtype, broadcast to the indexed shape.
    """
    plan = _index_put_plan(input, indices, values, "index_put")
    return IndexPut.apply(input, values, plan, bool(accumulate), "index_put")


def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place :func:`index_put`."""
    plan = _index_put_plan(self, indices, values, "index_put_")
    return _put_inplace(self, values, plan, bool(accumulate), "index_put_")


def _index_put_plan(input, indices, values, op):
    if not isinstance(values, Tensor):
        raise TypeError(f"{op}(): argument 'values' must be a Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}: Index put requires the source and destination dtypes match, got "
            f"{input.dtype.name} for the destination and {values.dtype.name} for the source."
        )
    # None in PyTorch's index list means "this whole dimension" (not a new axis as in x[None])
    indices = tuple(slice(None) if i is None else i for i in indices)
    if len(indices) > input._data.ndim:
        raise IndexError(
            f"{op}: too many indices for tensor of dimension {input._data.ndim} "
            f"(got {len(indices)})"
        )
    return _parse_key(input, indices)


# ---------------------------------------------------------------------------------------------
# gather / scatter
# ---------------------------------------------------------------------------------------------


def _scalar_as_vector(x: Tensor) -> Tensor:
    return _reshape(x, (1,)) if x._data.ndim == 0 else x


def _gather_index(input, dim, index, op, src=None):
    """Validate gather/scatter arguments; returns (dim, index array) with PyTorch's checks."""
    data = input._data
    idx = _index_arg(index, data, op)
    if idx.ndim != data.ndim:
        which = "input" if op == "gather" else "self"
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as {which} tensor "
            f"(got index of shape {list(idx.shape)} and {which} of shape {list(data.shape)})"
        )
    dim = normalize_dim(dim, data.ndim, op)
    too_big = [d for d in range(data.ndim) if d != dim and idx.shape[d] > data.shape[d]]
    small = not too_big
    if src is not None:
        small_src = all(idx.shape[d] <= src.shape[d] for d in range(data.ndim))
        if not (small and small_src):
            raise RuntimeError(
                f"{op}(): Expected index {list(idx.shape)} to be no larger than self "
                f"{list(data.shape)} apart from dimension {dim} and to be no larger size than "
                f"src {list(src.shape)}"
            )
    elif not small:
        raise RuntimeError(
            f"{op}(): Size does not match at dimension {too_big[0]} expected index "
            f"{list(idx.shape)} to be no larger than self {list(data.shape)} apart from "
            f"dimension {dim}"
        )
    size = data.shape[dim] if data.ndim else 1
    _check_range(idx, size, dim, op, negative=False, error=RuntimeError)
    return dim, idx


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` picked along ``dim`` by ``index``:
    ``out[i][j] = input[index[i][j]][j]`` for ``dim=0``.

    ``index`` has ``input``'s number of dimensions and, away from ``dim``, sizes no larger
    than ``input``'s. The gradient scatter-adds back (repeated indices accumulate).

    Returns:
        A tensor of ``index``'s shape.

    Example:
        >>> ember.gather(ember.tensor([[1., 2.], [3., 4.]]), 1, ember.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    if input._data.ndim == 0:
        out = gather(_reshape(input, (1,)), dim, _scalar_as_vector(index))
        return _reshape(out, index.shape)
    dim, idx = _gather_index(input, dim, index, "gather")
    return Index.apply(input, (_ALL, _along_key(idx, dim)))


def _scatter_args(input, dim, index, src, op):
    """(plan, values) of a scatter: values are ``src`` cut to ``index``'s shape, or a number."""
    if not isinstance(src, Tensor):
        dim, idx = _gather_index(input, dim, index, op)
        return (_ALL, _along_key(idx, dim)), src
    if src._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): Expected self.dtype to be equal to src.dtype (got {input.dtype.name} and "
            f"{src.dtype.name})"
        )
    dim, idx = _gather_index(input, dim, index, op, src=src._data)
    if src._data.shape != idx.shape:
        src = Index.apply(src, (tuple(slice(0, s) for s in idx.shape) + (Ellipsis,), None))
    return (_ALL, _along_key(idx, dim)), src


def _scalar_scatter(fn, input, dim, index, src, *args, **kwargs):
    """Run a scatter on a 0-d ``input`` as on a 1-element vector (PyTorch accepts both)."""
    if isinstance(src, Tensor):
        src = _scalar_as_vector(src)
    out = fn(_reshape(input, (1,)), dim, _scalar_as_vector(index), src, *args, **kwargs)
    return _reshape(out, ())


def scatter(
    input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or a number via ``src``/``value``) written
    along ``dim`` at ``index``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``.

    Args:
        reduce: None (overwrite), ``'add'`` or ``'multiply'`` (combine with what is there).
            Unlike PyTorch, the reduced forms are differentiable (as ``scatter_reduce``).

    With repeated indices and ``reduce=None`` the value written is one of the candidates;
    the gradient reaching ``input`` is zero at written positions.
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if input._data.ndim == 0:
        return _scalar_scatter(scatter, input, dim, index, src, reduce=reduce)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("scatter(): reduce argument must be either add or multiply.")
        if not isinstance(src, Tensor):
            xp = xp_of(input._data)
            shape = _index_arg(index, input._data, "scatter").shape
            src = _make(xp.full(shape, src, dtype=input._data.dtype))
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    plan, values = _scatter_args(input, dim, index, src, "scatter")
    return IndexPut.apply(input, values, plan, False, "scatter")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` plus ``src`` added along ``dim`` at ``index`` (repeated indices sum).

    Example:
        >>> ember.scatter_add(ember.zeros(3), 0, ember.tensor([0, 0, 2]), ember.ones(3))
        tensor([2., 0., 1.])
    """
    if input._data.ndim == 0:
        return _scalar_scatter(scatter_add, input, dim, index, src)
    plan, values = _scatter_args(input, dim, index, src, "scatter_add")
    return IndexPut.apply(input, values, plan, True, "scatter_add")


_REDUCE_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
                 "amin": "minimum"}


def _reduce_identity(reduce: str, np_dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        return info.min if reduce == "amax" else info.max
    if np_dtype.kind == "b":
        return reduce == "amin"
    return -np.inf if reduce == "amax" else np.inf


class ScatterReduce(Function):
    """``scatter_reduce``: sum/prod/mean/amax/amin of ``src`` (and ``x`` when include_self)
    at each position of ``x`` that ``key`` hits."""

    @staticmethod
    def forward(ctx, x, src, key, reduce, include_self):
        data = x._data
        xp = xp_of(data)
        out = data.copy()
        if not include_self:
            out[key] = _reduce_identity(reduce, data.dtype)
        _ufunc_at(_REDUCE_UFUNC[reduce], out, key, src._data)
        count = None
        if reduce == "mean":
            floating = data.dtype.kind not in "iub"
            count = xp.ones(data.shape, dtype=data.dtype if floating else np.int64)
            if not include_self:
                count[key] = 0
            _ufunc_at("add", count, key, xp.ones((), dtype=count.dtype))
            # PyTorch floors the mean of integers
            out = out / count if floating else out // count
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.key, ctx.reduce, ctx.include_self, ctx.count = key, reduce, include_self, count
            ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, src, out = ctx.saved_tensors
        key, reduce, incl = ctx.key, ctx.reduce, ctx.include_self
        need_x, need_src = ctx.needs_input_grad[:2]
        plan = (_ALL, key)
        xp = xp_of(grad._data)
        hit = None  # positions some src element reduced into
        if not incl:
            hit = xp.zeros(grad._data.shape, dtype=bool)
            hit[key] = True
        gx = gs = None
        if reduce in ("sum", "mean"):
            g = grad if reduce == "sum" else grad / _const(ctx.count, grad)
            if need_x:
                gx = g if incl else IndexPut.apply(g, 0, plan, False)
            if need_src:
                gs = Index.apply(g, plan)
        elif reduce in ("amax", "amin"):
            # the gradient is shared evenly among the elements equal to the result
            xd, sd, od = x._data, src._data, out._data
            self_hit = _same(xd, od)
            if not incl:
                self_hit &= ~hit
            src_hit = _same(sd, od[key])
            ties = self_hit.astype(grad._data.dtype)
            _ufunc_at("add", ties, key, src_hit)
            ties = xp.where(ties > 0, ties, 1)
            if need_x:
                gx = grad * _const(self_hit / ties, grad)
            if need_src:
                gs = Index.apply(grad, plan) * _const(src_hit / ties[key], grad)
        else:  # prod
            if need_x:
                # d out / d x = the product of the src elements at that position (no division,
                # so zeros are exact); 1 where nothing was scattered
                ones = _make(xp.ones(grad._data.shape, dtype=grad._data.dtype))
                others = ScatterReduce.apply(ones, src, key, "prod", False)
                gx = grad * others
                if not incl:
                    gx = IndexPut.apply(gx, 0, plan, False)
            if need_src:
                gs = _prod_src_grad(grad, x, src, out, key, incl)
        return gx, gs, None, None, None


def _prod_src_grad(grad, x, src, out, key, incl):
    """d out / d src for a scattered product: ``out / src`` where no factor at that position
    is zero; with zeros, the product of the other (non-zero) factors if ``src`` is the only
    zero there, else 0."""
    xp = xp_of(grad._data)
    plan = (_ALL, key)
    xd, sd = x._data, src._data
    src_zero = sd == 0
    zeros = ((xd == 0) if incl else xp.zeros(xd.shape, dtype=bool)).astype(np.int64)
    _ufunc_at("add", zeros, key, src_zero.astype(np.int64))
    if not bool(zeros.any()):
        return Index.apply(grad * out, plan) / src
    safe_src = MaskedFill.apply(src, 1, src_zero)
    main = Index.apply(grad * out, plan) / safe_src  # 0 wherever the position holds a zero
    nonzero_product = xp.where(xd == 0, 1, xd) if incl else xp.ones(xd.shape, dtype=xd.dtype)
    _ufunc_at("multiply", nonzero_product, key, xp.where(src_zero, 1, sd))
    only_zero = src_zero & (zeros[key] == 1)
    extra = xp.where(only_zero, nonzero_product[key], 0)
    return main + Index.apply(grad, plan) * _const(extra, grad)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
    include_self: bool = True,
) -> Tensor:
    """Reduce ``src`` into ``input`` along ``dim`` at ``index``.

    Args:
        reduce: ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``.
        include_self: whether ``input``'s values at the scattered positions take part
            (positions nothing is scattered to keep ``input``'s value either way).

    For integers ``'mean'`` floors. ``amax``/``amin`` share the gradient evenly among tied
    elements; ``prod``'s gradient is exact with zeros.

    Example:
        >>> ember.scatter_reduce(ember.tensor([1., 2.]), 0, ember.tensor([0, 0, 1]),
        ...                      ember.tensor([3., 5., 4.]), "amax")
        tensor([5., 4.])
    """
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(
            f"scatter_reduce(): reduce argument must be one of sum, prod, mean, amax, amin, "
            f"got {reduce!r}"
        )
    if input._data.ndim == 0:
        return _scalar_scatter(scatter_reduce, input, dim, index, src, reduce,
                               include_self=include_self)
    if not isinstance(src, Tensor):
        raise TypeError("scatter_reduce(): argument 'src' must be a Tensor")
    plan, values = _scatter_args(input, dim, index, src, "scatter_reduce")
    return ScatterReduce.apply(input, values, plan[1], reduce, bool(include_self))


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """In-place :func:`scatter`."""
    if src is None:
        src = value
    if reduce is None and self._data.ndim:
        plan, values = _scatter_args(self, dim, index, src, "scatter_")
        return _put_inplace(self, values, plan, False, "scatter_")
    return inplace(self, scatter, dim, index, src, op="scatter_", reduce=reduce)


def _scatter_add_(self, dim, index, src):
    """In-place :func:`scatter_add`."""
    if self._data.ndim:
        plan, values = _scatter_args(self, dim, index, src, "scatter_add_")
        return _put_inplace(self, values, plan, True, "scatter_add_")
    return inplace(self, scatter_add, dim, index, src, op="scatter_add_")


def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """In-place :func:`scatter_reduce`."""
    return inplace(self, scatter_reduce, dim, index, src, reduce, op="scatter_reduce_",
                   include_self=include_self)


# ---------------------------------------------------------------------------------------------
# index_select / index_add / index_copy / index_fill
# ---------------------------------------------------------------------------------------------


def _dim_index(input, dim, index, op):
    """(dim, 1-d index array) for the index_* ops, with PyTorch's checks."""
    data = input._data
    idx = _index_arg(index, data, op)
    if idx.ndim > 1:
        raise IndexError(
            f"{op}(): Index is supposed to be a vector, but got dim: {idx.ndim} with size: "
            f"{list(idx.shape)}"
        )
    idx = idx.reshape(-1)
    dim = normalize_dim(dim, data.ndim, op)
    return dim, idx


def _dim_plan(dim, idx):
    return _ALL, (slice(None),) * dim + (idx,)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (a vector).

    Example:
        >>> ember.index_select(ember.arange(6.).reshape(2, 3), 1, ember.tensor([2, 0]))
        tensor([[2., 0.],
                [5., 3.]])
    """
    if input._data.ndim == 0:
        out = index_select(_reshape(input, (1,)), dim, index)
        if out._data.size != 1:
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got "
                f"{out._data.size} value(s)"
            )
        return _reshape(out, ())
    dim, idx = _dim_index(input, dim, index, "index_select")
    size = input._data.shape[dim]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        raise IndexError(
            f"index_select(): index out of range in self (dimension {dim} has size {size})"
        )
    return Index.apply(input, _dim_plan(dim, idx))


def _index_source_args(input, dim, index, source, op):
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be a Tensor")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): self ({input.dtype.name}) and source ({source.dtype.name}) must have the "
            f"same scalar type"
        )
    dim, idx = _dim_index(input, dim, index, op)
    data, src = input._data, source._data
    src_n = src.shape[dim] if src.ndim else 1
    if idx.size != src_n:
        raise (RuntimeError if op.startswith("index_add") else IndexError)(
            f"{op}(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({src_n}), for dim: {dim}"
        )
    if src.ndim and (
        src.ndim != data.ndim
        or any(src.shape[d] != data.shape[d] for d in range(data.ndim) if d != dim)
    ):
        raise RuntimeError(
            f"{op}(): source tensor shape must match self tensor shape, excluding the "
            f"specified dimension. Got self.shape = {list(data.shape)} source.shape = "
            f"{list(src.shape)}"
        )
    error = RuntimeError if op.startswith("index_add") else IndexError
    _check_range(idx, data.shape[dim], dim, op, negative=False, error=error)
    return _dim_plan(dim, idx)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim``
    (repeated indices sum).

    Example:
        >>> ember.index_add(ember.zeros(3), 0, ember.tensor([0, 0]), ember.tensor([1., 2.]))
        tensor([3., 0., 0.])
    """
    plan = _index_source_args(input, dim, index, source, "index_add")
    if alpha != 1:
        source = source * alpha
    return IndexPut.apply(input, source, plan, True, "index_add")


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``input`` with slice ``index[i]`` along ``dim`` replaced by ``source[i]``."""
    plan = _index_source_args(input, dim, index, source, "index_copy")
    return IndexPut.apply(input, source, plan, False, "index_copy")


def _fill_args(input, dim, index, value, op):
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            f"{op} only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    data = input._data
    idx = _index_arg(index, data, op)
    if idx.ndim > 1:
        raise RuntimeError(f"{op}(): Index has to be a vector/scalar")
    idx = idx.reshape(-1)
    dim = normalize_dim(dim, data.ndim, op)
    _check_range(idx, data.shape[dim] if data.ndim else 1, dim, op, negative=True)
    return _dim_plan(dim, idx) if data.ndim else (_ALL, None)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, which receives the summed gradient of those positions)."""
    plan = _fill_args(input, dim, index, value, "index_fill")
    return IndexPut.apply(input, value, plan, False, "index_fill")


def _index_add_(self, dim, index, source, *, alpha=1):
    """In-place :func:`index_add`."""
    plan = _index_source_args(self, dim, index, source, "index_add_")
    if alpha != 1:
        source = source * alpha
    return _put_inplace(self, source, plan, True, "index_add_")


def _index_copy_(self, dim, index, source):
    """In-place :func:`index_copy`."""
    plan = _index_source_args(self, dim, index, source, "index_copy_")
    return _put_inplace(self, source, plan, False, "index_copy_")


def _index_fill_(self, dim, index, value):
    """In-place :func:`index_fill`."""
    plan = _fill_args(self, dim, index, value, "index_fill_")
    return _put_inplace(self, value, plan, False, "index_fill_")


# ---------------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------------


def _mask_arg(mask, data, op):
    arr = mask._data if isinstance(mask, Tensor) else mask
    if not hasattr(arr, "dtype") or arr.dtype != np.bool_:
        got = getattr(arr, "dtype", type(arr).__name__)
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {got}")
    return _on_device(arr, data)


def _broadcast_shape(a, b, op):
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise RuntimeError(
            f"{op}: the mask of shape {list(b)} cannot be broadcast with the tensor of shape "
            f"{list(a)}"
        ) from None


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (``mask`` broadcasts with ``input``).

    Args:
        mask: a bool tensor.
        value: a number, or a 0-d tensor (which then receives the summed gradient of the
            filled positions). It is cast to ``input``'s dtype.

    Example:
        >>> ember.masked_fill(ember.tensor([1., 2., 3.]), ember.tensor([True, False, True]), 0.)
        tensor([0., 2., 0.])
    """
    data = input._data
    m = _mask_arg(mask, data, "masked_fill")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    _broadcast_shape(data.shape, m.shape, "masked_fill")
    return MaskedFill.apply(input, value, m)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    """In-place :func:`masked_fill`; ``mask`` must broadcast to ``self``'s shape."""
    data = self._data
    m = _mask_arg(mask, data, "masked_fill_")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    shape = _broadcast_shape(data.shape, m.shape, "masked_fill_")
    if shape != data.shape:
        raise RuntimeError(
            f"masked_fill_: output with shape {list(data.shape)} doesn't match the broadcast "
            f"shape {list(shape)}"
        )
    check_inplace(self, value, op="masked_fill_")
    recording = STATE.enabled and (
        self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
    )
    if recording:
        return inplace(self, masked_fill, mask, value, op="masked_fill_")
    if not data.flags.writeable:
        raise RuntimeError(
            "masked_fill_: the tensor is a read-only (expanded/broadcast) view; clone() it first"
        )
    xp_of(data).copyto(data, _value_array(value, data), where=m)
    _bump(self)
    return self


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (row-major order);
    ``input`` and ``mask`` broadcast together.

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 4.]])
        >>> ember.masked_select(x, x > 1.5)
        tensor([2., 3., 4.])
    """
    data = input._data
    m = _mask_arg(mask, data, "masked_select")
    shape = _broadcast_shape(data.shape, m.shape, "masked_select")
    xp = xp_of(data)
    if m.shape != shape:
        m = xp.broadcast_to(m, shape)
    keys = xp.nonzero(m) if shape else (xp.zeros(int(bool(m)), dtype=np.int64),)
    source = broadcast_to(input, shape) if shape else _reshape(input, (1,))
    return Index.apply(source, (_ALL, tuple(keys)))


def _masked_scatter_args(input, mask, source, op, shape=None):
    data = input._data
    m = _mask_arg(mask, data, op)
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be a Tensor")
    if source._data.dtype != data.dtype:
        raise RuntimeError(
            f"{op}: expected self and source to have same dtypes but got {input.dtype.name} "
            f"and {source.dtype.name}"
        )
    full = _broadcast_shape(data.shape, m.shape, op)
    if shape is not None and full != shape:
        raise RuntimeError(
            f"{op}: the mask of shape {list(m.shape)} does not broadcast to the tensor's shape "
            f"{list(shape)}"
        )
    shape = full
    xp = xp_of(data)
    m = xp.broadcast_to(m, shape)
    keys = xp.nonzero(m) if shape else (xp.zeros(int(bool(m)), dtype=np.int64),)
    count = int(keys[0].size)
    n = source._data.size
    if n < count:
        raise RuntimeError(
            f"{op}: Number of elements of source < number of ones in mask ({n} < {count})"
        )
    flat = _reshape(source, (n,))
    values = Index.apply(flat, ((slice(0, count), Ellipsis), None))
    return shape, (_ALL, tuple(keys)), values


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``input`` with the positions where ``mask`` is True filled, in row-major order, with
    the leading elements of ``source``; ``input`` and ``mask`` broadcast together.

    Example:
        >>> ember.masked_scatter(ember.zeros(4), ember.tensor([True, False, True, False]),
        ...                      ember.tensor([7., 8., 9.]))
        tensor([7., 0., 8., 0.])
    """
    shape, plan, values = _masked_scatter_args(input, mask, source, "masked_scatter")
    if not shape:
        out = IndexPut.apply(_reshape(input, (1,)), values, plan, False, "masked_scatter")
        return _reshape(out, ())
    base = broadcast_to(input, shape)
    return IndexPut.apply(base, values, plan, False, "masked_scatter")


def _masked_scatter_(self, mask, source):
    """In-place :func:`masked_scatter`; ``mask`` must broadcast to ``self``'s shape."""
    shape, plan, values = _masked_scatter_args(
        self, mask, source, "masked_scatter_", shape=self._data.shape
    )
    if not shape:
        return inplace(self, masked_scatter, mask, source, op="masked_scatter_")
    return _put_inplace(self, values, plan, False, "masked_scatter_")


# ---------------------------------------------------------------------------------------------
# take / put / take_along_dim
# ---------------------------------------------------------------------------------------------


def _flat_index(input, index, op):
    data = input._data
    idx = _index_arg(index, data, op)
    n = data.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(
                f"{op}(): out of range: tried to access index {bad} on a tensor of {n} elements."
            )
    return idx


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of ``input`` read as a flat (row-major) vector at ``index``; negative indices
    count from the end. Returns a tensor of ``index``'s shape.

    Example:
        >>> ember.take(ember.tensor([[1., 2.], [3., 4.]]), ember.tensor([0, -1]))
        tensor([1., 4.])
    """
    idx = _flat_index(input, index, "take")
    flat = _reshape(input, (input._data.size,))
    return Index.apply(flat, (_ALL, (idx,)))


def _put_args(input, index, source, op):
    idx = _flat_index(input, index, op)
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be a Tensor")
    if source._data.size != idx.size:
        raise IndexError(
            f"{op}(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source._data.size}, index.numel() = {idx.size}"
        )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): self ({input.dtype.name}) and source ({source.dtype.name}) must have the "
            f"same dtype"
        )
    return (_ALL, (idx,)), _reshape(source, idx.shape)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` with ``source``'s elements written at the flat positions ``index`` (added
    there when ``accumulate``)."""
    plan, values = _put_args(input, index, source, "put")
    flat = _reshape(input, (input._data.size,))
    out = IndexPut.apply(flat, values, plan, bool(accumulate), "put")
    return _reshape(out, input._data.shape)


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """In-place :func:`put`."""
    plan, values = _put_args(self, index, source, "put_")
    recording = STATE.enabled and (self.requires_grad or source.requires_grad)
    if recording or not self._data.flags.c_contiguous:
        return inplace(self, put, index, source, op="put_", accumulate=accumulate)
    flat = _make_view(self._data.reshape(-1), self)
    _put_inplace(flat, values, plan, bool(accumulate), "put_")
    return self


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (``gather`` with broadcasting of the
    other dimensions, and negative indices counting from the end). With ``dim=None`` both
    are flattened first.

    Example:
        >>> x = ember.tensor([[10., 30., 20.], [60., 40., 50.]])
        >>> ember.take_along_dim(x, x.argsort(dim=1), dim=1)
        tensor([[10., 20., 30.],
                [40., 50., 60.]])
    """
    data = input._data
    if dim is None:
        idx = _index_arg(indices, data, "take_along_dim").reshape(-1)
        return take(input, _make(idx))
    idx = _index_arg(indices, data, "take_along_dim")
    if idx.ndim != data.ndim:
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {data.ndim} dimensions for input, and {idx.ndim} dimensions for indices"
        )
    if data.ndim == 0:
        return take(input, _make(idx))
    dim = normalize_dim(dim, data.ndim, "take_along_dim")
    in_shape = list(data.shape)
    ix_shape = list(idx.shape)
    in_shape[dim] = ix_shape[dim] = 1
    try:
        common = list(np.broadcast_shapes(tuple(in_shape), tuple(ix_shape)))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): input of shape {list(data.shape)} and indices of shape "
            f"{list(idx.shape)} cannot be broadcast apart from dimension {dim}"
        ) from None
    size = data.shape[dim]
    _check_range(idx, size, dim, "take_along_dim", negative=True)
    in_target = tuple(common[:dim] + [size] + common[dim + 1 :])
    ix_target = tuple(common[:dim] + [idx.shape[dim]] + common[dim + 1 :])
    source = broadcast_to(input, in_target)
    idx = xp_of(idx).broadcast_to(idx, ix_target)
    return Index.apply(source, (_ALL, _along_key(idx, dim)))


# ---------------------------------------------------------------------------------------------
# nonzero / argwhere
# ---------------------------------------------------------------------------------------------


def _nonzero_arrays(data):
    xp = xp_of(data)
    if data.ndim == 0:
        return (xp.zeros(int(bool(data)), dtype=np.int64),)
    return tuple(a.astype(np.int64, copy=False) for a in xp.nonzero(data))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements.

    Returns:
        An ``(n, ndim)`` int64 tensor, one row per element; with ``as_tuple=True`` a tuple of
        ``ndim`` 1-d tensors (one per dimension), usable as an index.

    Example:
        >>> ember.nonzero(ember.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    data = input._data
    arrays = _nonzero_arrays(data)
    if as_tuple:
        return tuple(_make(a) for a in arrays)
    xp = xp_of(data)
    if data.ndim == 0:
        return _make(xp.zeros((arrays[0].size, 0), dtype=np.int64))
    return _make(xp.stack(arrays, axis=1))


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: an ``(n, ndim)`` tensor of the indices of non-zero elements."""
    return nonzero(input)


# ---------------------------------------------------------------------------------------------
# Sorting and selection
# ---------------------------------------------------------------------------------------------


from .reduce import return_types  # noqa: E402  (the one registry of named result tuples)

_SortResult = return_types.define("sort", ("values", "indices"))
_TopkResult = return_types.define("topk", ("values", "indices"))
_KthvalueResult = return_types.define("kthvalue", ("values", "indices"))


def _argsort_array(data, axis: int, descending: bool, stable: bool):
    """argsort with NaN as the largest value. Descending sorts the reversed array ascending
    and reverses back, so NaN comes first and, when ``stable``, tied elements keep their
    original order (PyTorch's ``stable=True``). A stable sort costs about 3x a quicksort in
    NumPy, so it is only used when asked for."""
    xp = xp_of(data)
    kind = "stable" if stable else None
    if not descending:
        return xp.argsort(data, axis=axis, kind=kind)
    n = data.shape[axis]
    flipped = xp.argsort(xp.flip(data, axis), axis=axis, kind=kind)
    return (n - 1) - xp.flip(flipped, axis)


def _clone(x):
    from .convert import clone

    return clone(x)


def _take_sorted(input, order, dim):
    """The values of ``input`` at ``order`` along ``dim`` (differentiable) and the int64
    indices, as a (values, indices) pair."""
    values = Index.apply(input, (_ALL, _along_key(order, dim)))
    return values, _make(order.astype(np.int64, copy=False))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``input`` sorted along ``dim``, and the positions the values came from.

    With ``stable=True`` equal elements keep their order; NaN sorts as the largest value.
    Gradients flow back to the original positions.

    Returns:
        A named tuple ``(values, indices)``.

    Example:
        >>> ember.sort(ember.tensor([3., 1., 2.]), descending=True)
        ember.return_types.sort(
        values=tensor([3., 2., 1.]),
        indices=tensor([0, 2, 1]))
    """
    data = input._data
    dim = normalize_dim(dim, data.ndim, "sort")
    if data.ndim == 0:
        return _SortResult(_clone(input), _make(xp_of(data).zeros((), dtype=np.int64)))
    order = _argsort_array(data, dim, descending, stable)
    return _SortResult(*_take_sorted(input, order, dim))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """The int64 indices that sort ``input`` along ``dim`` (see :func:`sort`)."""
    data = input._data
    dim = normalize_dim(dim, data.ndim, "argsort")
    if data.ndim == 0:
        return _make(xp_of(data).zeros((), dtype=np.int64))
    return _make(_argsort_array(data, dim, descending, stable).astype(np.int64, copy=False))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension (``sort(input, dim=0).values``)."""
    return sort(input, dim=0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    NaN counts as the largest value. The result is always sorted (PyTorch leaves the order
    unspecified when ``sorted=False``).

    Returns:
        A named tuple ``(values, indices)``, ``k`` long along ``dim``.

    Example:
        >>> ember.topk(ember.tensor([1., 5., 3., 4.]), 2)
        ember.return_types.topk(
        values=tensor([5., 4.]),
        indices=tensor([1, 3]))
    """
    data = input._data
    dim = normalize_dim(dim, data.ndim, "topk")
    n = data.shape[dim] if data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, dimension size {n})")
    if data.ndim == 0:
        return _TopkResult(_clone(input), _make(xp_of(data).zeros((), dtype=np.int64)))
    # partition (linear time) to the k wanted elements, then sort only those; NaN counts as
    # the largest in both steps
    xp = xp_of(data)
    if k == 0:
        shape = data.shape[:dim] + (0,) + data.shape[dim + 1 :]
        part = xp.zeros(shape, dtype=np.int64)
    elif largest:
        part = xp.argpartition(data, n - k, axis=dim)[(slice(None),) * dim + (slice(n - k, n),)]
    else:
        part = xp.argpartition(data, k - 1, axis=dim)[(slice(None),) * dim + (slice(0, k),)]
    if k:
        picked = xp.take_along_axis(data, part, axis=dim)
        part = xp.take_along_axis(part, _argsort_array(picked, dim, largest, False), axis=dim)
    return _TopkResult(*_take_sorted(input, part, dim))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index.

    Returns:
        A named tuple ``(values, indices)``; ``dim`` is removed unless ``keepdim``.

    Example:
        >>> ember.kthvalue(ember.tensor([3., 1., 2.]), 2)
        ember.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    data = input._data
    dim = normalize_dim(dim, data.ndim, "kthvalue")
    n = data.shape[dim] if data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {dim} (k={k}, size {n})"
        )
    if data.ndim == 0:
        return _KthvalueResult(_clone(input), _make(xp_of(data).zeros((), dtype=np.int64)))
    order = xp_of(data).argpartition(data, k - 1, axis=dim)
    order = order[(slice(None),) * dim + (slice(k - 1, k),)]
    values, indices = _take_sorted(input, order, dim)
    if not keepdim:
        squeeze = (slice(None),) * dim + (0, Ellipsis)
        values = Index.apply(values, (squeeze, None))
        indices = _make(indices._data[squeeze])
    return _KthvalueResult(values, indices)


# ---------------------------------------------------------------------------------------------
# unique / unique_consecutive
# ---------------------------------------------------------------------------------------------


def _group_starts(keys, rows: bool):
    """Flags marking the first element of each run of equal neighbours (NaN never equals)."""
    xp = xp_of(keys)
    first = xp.ones(keys.shape[0], dtype=bool)
    if keys.shape[0] > 1:
        if rows:
            first[1:] = xp.any(keys[1:] != keys[:-1], axis=1) if keys.shape[1] else False
        else:
            first[1:] = keys[1:] != keys[:-1]
    return first


def _unique_impl(input, sort_first, return_inverse, return_counts, dim, op):
    data = input._data
    xp = xp_of(data)
    if dim is None:
        keys = data.reshape(-1)
        rows = False
    else:
        dim = normalize_dim(dim, data.ndim, op)
        moved = xp.moveaxis(data, dim, 0)
        keys = moved.reshape(moved.shape[0], -1)
        rows = True
    n = keys.shape[0]
    perm = None
    if sort_first and n:
        if rows:
            perm = xp.lexsort(keys.T[::-1]) if keys.shape[1] else xp.arange(n)
        else:
            perm = xp.argsort(keys)
        keys = keys[perm]
    first = _group_starts(keys, rows)
    uniq = keys[first]
    if dim is None:
        output = _make(uniq)
    else:
        shape = (uniq.shape[0],) + moved.shape[1:]
        output = _make(xp.moveaxis(uniq.reshape(shape), 0, dim))
    results = [output]
    if return_inverse:
        group = xp.cumsum(first) - 1
        inverse = xp.empty(n, dtype=np.int64)
        if perm is None:
            inverse[...] = group
        else:
            inverse[perm] = group
        results.append(_make(inverse.reshape(data.shape) if dim is None else inverse))
    if return_counts:
        starts = xp.nonzero(first)[0]
        ends = xp.concatenate([starts[1:], xp.asarray([n], dtype=starts.dtype)])
        results.append(_make((ends - starts).astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements of ``input`` (flattened), or its distinct slices along ``dim``,
    in ascending (lexicographic, for slices) order. Each NaN counts as distinct, as in
    PyTorch.

    Returns:
        The unique values; with ``return_inverse`` / ``return_counts`` a tuple that adds the
        index of each input element (or slice) in the output and the count of each value.

    Example:
        >>> ember.unique(ember.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    # sorted=False: PyTorch's order is then unspecified; sorted is a valid answer
    return _unique_impl(input, True, return_inverse, return_counts, dim, "unique")


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse runs of equal consecutive elements (or slices along ``dim``) to one.

    Example:
        >>> ember.unique_consecutive(ember.tensor([1, 1, 2, 2, 1]))
        tensor([1, 2, 1])
    """
    return _unique_impl(input, False, return_inverse, return_counts, dim, "unique_consecutive")


# ---------------------------------------------------------------------------------------------
# searchsorted / bucketize / bincount / histc
# ---------------------------------------------------------------------------------------------


def _batched_searchsorted(seq, vals, right: bool):
    """searchsorted row by row for (..., M) boundaries and (..., N) values, without a loop:
    merge each row with one stable sort. Values placed before equal boundaries (left) or
    after them (right); a value's answer is its merged position minus the values before it.
    """
    xp = xp_of(seq)
    m, n = seq.shape[-1], vals.shape[-1]
    common = np.result_type(seq.dtype, vals.dtype)
    seq, vals = seq.astype(common, copy=False), vals.astype(common, copy=False)
    is_value = xp.concatenate([xp.zeros(m, dtype=np.int64), xp.ones(n, dtype=np.int64)])
    if right:
        merged, offset = xp.concatenate([seq, vals], axis=-1), m
    else:
        merged, offset = xp.concatenate([vals, seq], axis=-1), 0
        is_value = is_value[::-1].copy()
    order = xp.argsort(merged, axis=-1, kind="stable")
    value_sorted = is_value[order]
    before = xp.arange(m + n) - (xp.cumsum(value_sorted, axis=-1) - 1)
    chosen = value_sorted.astype(bool)
    batch = seq.shape[:-1]
    answer = before[chosen].reshape(batch + (n,))
    where_from = (order[chosen] - offset).reshape(batch + (n,))
    # where_from is, per row, a permutation of the value positions: invert it
    return xp.take_along_axis(answer, xp.argsort(where_from, axis=-1), axis=-1)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """For each value in ``input``, the index at which it would be inserted into the sorted
    last dimension of ``sorted_sequence`` to keep it sorted.

    Args:
        sorted_sequence: 1-d, or with leading dimensions equal to ``input``'s (one sorted
            row per row of ``input``).
        input: a tensor or a number.
        right / side: ``right=True`` or ``side='right'`` returns the last such index.
        sorter: indices that sort an unsorted ``sorted_sequence``.

    Example:
        >>> ember.searchsorted(ember.tensor([1, 3, 5, 7]), ember.tensor([3, 6]))
        tensor([1, 3])
    """
    op = "searchsorted"
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError(
                f"{op}(): side and right can't be set to opposites, got side of left while "
                f"right was True"
            )
        right = side == "right"
    seq = sorted_sequence._data
    xp = xp_of(seq)
    scalar = not isinstance(input, Tensor)
    vals = xp.asarray(input) if scalar else _on_device(input._data, seq)
    if sorter is not None:
        order = _index_arg(sorter, seq, op)
        if order.shape != seq.shape:
            raise RuntimeError(
                f"{op}(): boundary and sorter must have the same size, but got boundary tensor "
                f"{list(seq.shape)} and got sorter tensor {list(order.shape)}"
            )
        seq = xp.take_along_axis(seq, order, axis=-1)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side="right" if right else "left")
    else:
        if vals.ndim == 0 or seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(
                f"{op}(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                f"of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}"
            )
        out = _batched_searchsorted(seq, vals, right)
    return _make(xp.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value: ``i`` such that ``boundaries[i-1] < x <= boundaries[i]``
    (``boundaries[i-1] <= x < boundaries[i]`` with ``right=True``).

    Example:
        >>> ember.bucketize(ember.tensor([1, 5, 9]), ember.tensor([1, 3, 5, 7]))
        tensor([0, 2, 4])
    """
    if boundaries._data.ndim != 1:
        raise RuntimeError(
            f"bucketize(): boundaries tensor must be 1 dimension, but got "
            f"dim({boundaries._data.ndim})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """The number of occurrences of each value in a 1-d tensor of non-negative integers (or
    the sum of ``weights`` at each value); at least ``minlength`` bins.

    Returns:
        int64 counts, or sums in ``weights``' dtype (float64 for integer weights).

    Example:
        >>> ember.bincount(ember.tensor([0, 2, 2]))
        tensor([1, 0, 2])
    """
    data = input._data
    xp = xp_of(data)
    if data.dtype.kind not in "iu" or data.dtype == np.bool_:
        raise NotImplementedError(
            f"bincount only supports 1-d non-negative integral inputs, got dtype "
            f"{input.dtype.name}"
        )
    if minlength < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    if data.ndim != 1 or (data.size and int(data.min()) < 0):
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs (got shape "
            f"{list(data.shape)})"
        )
    if weights is None:
        return _make(xp.bincount(data, minlength=minlength).astype(np.int64, copy=False))
    w = _on_device(weights._data, data)
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError(
            f"bincount(): weights should be 1-d and have the same length as input (got "
            f"{list(w.shape)} for input of shape {list(data.shape)})"
        )
    out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return _make(xp.bincount(data, weights=w, minlength=minlength).astype(out_dtype))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``input`` with ``bins`` equal-width bins on ``[min, max]``.

    With ``min == max`` the data's own minimum and maximum are used. Elements outside the
    range (and NaN) are ignored; the maximum falls in the last bin.

    Example:
        >>> ember.histc(ember.tensor([1., 2., 1.]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    data = input._data
    if not input.is_floating_point():
        raise NotImplementedError(f"histc(): not implemented for dtype {input.dtype.name}")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    if min > max:
        raise RuntimeError(f"histc(): max must be larger than min (got min={min}, max={max})")
    xp = xp_of(data)
    x = data.reshape(-1)
    x = x[~xp.isnan(x)]
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    x = x[(x >= lo) & (x <= hi)]
    # PyTorch's bin rule: floor((x - min) * bins / (max - min)), the maximum in the last bin
    pos = ((x - lo) * bins / (hi - lo)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)
    return _make(xp.bincount(pos, minlength=bins).astype(data.dtype))


# ---------------------------------------------------------------------------------------------
# tril_indices / triu_indices
# ---------------------------------------------------------------------------------------------


def _tri_indices(row, col, offset, dtype, device, lower: bool, op: str) -> Tensor:
    if row < 0:
        raise RuntimeError(f"{op}(): row must be non-negative, got {row}")
    if col < 0:
        raise RuntimeError(f"{op}(): col must be non-negative, got {col}")
    rows, cols = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    np_dtype = dt.to_dtype(dtype).np_dtype
    out = np.stack([rows, cols]).astype(np_dtype)
    return _make(_dev.move_array(out, _dev.to_device(device)))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=dt.int64, device=None,
                 layout=None) -> Tensor:
    """The ``(2, N)`` coordinates of the lower triangle (diagonal ``offset`` included) of a
    ``row x col`` matrix, row by row.

    Example:
        >>> ember.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    return _tri_indices(row, col, offset, dtype, device, True, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=dt.int64, device=None,
                 layout=None) -> Tensor:
    """The ``(2, N)`` coordinates of the upper triangle (diagonal ``offset`` included) of a
    ``row x col`` matrix, row by row."""
    return _tri_indices(row, col, offset, dtype, device, False, "triu_indices")


# ---------------------------------------------------------------------------------------------
# Tensor methods
# ---------------------------------------------------------------------------------------------


register_methods(
    __getitem__=__getitem__,
    __setitem__=__setitem__,
    gather=gather,
    scatter=scatter,
    scatter_=_scatter_,
    scatter_add=scatter_add,
    scatter_add_=_scatter_add_,
    scatter_reduce=scatter_reduce,
    scatter_reduce_=_scatter_reduce_,
    index_select=index_select,
    index_add=index_add,
    index_add_=_index_add_,
    index_copy=index_copy,
    index_copy_=_index_copy_,
    index_fill=index_fill,
    index_fill_=_index_fill_,
    index_put=index_put,
    index_put_=index_put_,
    masked_fill=masked_fill,
    masked_fill_=masked_fill_,
    masked_select=masked_select,
    masked_scatter=masked_scatter,
    masked_scatter_=_masked_scatter_,
    take=take,
    take_along_dim=take_along_dim,
    put=put,
    put_=put_,
    nonzero=nonzero,
    argwhere=argwhere,
    sort=sort,
    argsort=argsort,
    msort=msort,
    topk=topk,
    kthvalue=kthvalue,
    unique=unique,
    unique_consecutive=unique_consecutive,
    bincount=bincount,
    histc=histc,
)
