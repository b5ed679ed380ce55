"""Sorting, selection, searching and counting: ``sort``/``argsort``/``msort``, ``topk``,
``kthvalue``, ``unique``/``unique_consecutive``, ``searchsorted``/``bucketize``, ``bincount``,
``histc`` and ``tril_indices``/``triu_indices``.

The values of sort/topk/kthvalue are an ``Index`` read of the input at the sorted positions
(see :mod:`._index_plan`), so their gradients flow back to where each value came from; the
indices and the counting ops are not differentiable. Ops with two outputs return named tuples
(``ember.return_types.sort(values, indices)``).
"""

from __future__ import annotations

import numpy as np

from .. import _device as _dev
from .. import _dtype as dt
from .._tensor import Tensor, _make
from ._index_plan import _ALL, Index, _along_key, _index_arg, _on_device
from ._return_types import return_types  # the one registry of named result tuples
from ._util import normalize_dim, register_methods, xp_of

__all__ = [
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

# ---------------------------------------------------------------------------------------------
# Sorting and selection
# ---------------------------------------------------------------------------------------------


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
