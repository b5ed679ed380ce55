"""Indexing with PyTorch's semantics: ``x[key]`` and ``x[key] = value``, ``index_select``,
``index_add``/``index_copy``/``index_fill``/``index_put``, masks, ``take``/``put``,
``take_along_dim`` and ``nonzero``.

``x[key]`` gives a *view* for ints, slices, ``None`` and ``...`` and a copy when index arrays or
masks are involved (the parsing is in :mod:`._indexing`). Every op here is an ``Index`` (a read)
or an ``IndexPut`` (a write into a copy) on an index plan, whose adjoints make each other's
gradients (see :mod:`._index_plan`); ``masked_fill`` has a Function of its own. gather/scatter
are in :mod:`.scatter`; sorting, searching and counting in :mod:`.sorting`.
"""

from __future__ import annotations

import numpy as np

from .._device import is_writeable
from .._tensor import Tensor, _make, _make_view, check_inplace
from ..autograd.grad_mode import STATE
from ._index_plan import (
    _ALL,
    Index,
    IndexPut,
    MaskedFill,
    _along_key,
    _bump,
    _check_range,
    _index_arg,
    _on_device,
    _put_inplace,
    _reshape,
    _ufunc_at_by_rounds,  # noqa: F401  (tests reach it as ember.ops.index._ufunc_at_by_rounds)
    _value_array,
)
from ._indexing import __getitem__, __setitem__, index_put, index_put_
from ._util import broadcast_to, inplace, normalize_dim, register_methods, xp_of

__all__ = [
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
]


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
    if not is_writeable(data):
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
# Tensor methods
# ---------------------------------------------------------------------------------------------


register_methods(
    __getitem__=__getitem__,
    __setitem__=__setitem__,
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
)
