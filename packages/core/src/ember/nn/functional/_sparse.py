"""Embeddings: ``embedding`` (a table lookup) and ``embedding_bag`` (sums, means or maxima of
bags of looked-up rows).

A lookup and a scatter-add are each other's gradient, so two Functions serve both layers:
``_Lookup`` (``out[i] = table[idx[i]]``) whose backward scatter-adds the gradient rows into a
zero table, and ``_ScatterAdd`` (``out[r] = sum of coef[i] * values[i] over i with
idx[i] == r``) whose backward is a lookup. Both are linear, so gradients of every order follow.
Gradients are always dense (``sparse=True`` is accepted and ignored).
"""

from __future__ import annotations

from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of

__all__ = ["embedding", "embedding_bag"]


class _Lookup(Function):
    """``table[idx]`` (rows); the backward scatter-adds ``coef * grad`` into a zero table.

    ``coef`` (an array shaped like ``idx``, or None) is the per-lookup gradient factor:
    0 at ``padding_idx`` (those rows get no gradient, as in PyTorch, although the forward
    reads them) and ``1 / count`` with ``scale_grad_by_freq``.
    """

    @staticmethod
    def forward(ctx, table, idx, coef):
        if ctx.needs_input_grad:
            ctx.idx, ctx.coef, ctx.rows = idx, coef, table._data.shape[0]
        return xp_of(table._data).take(table._data, idx, axis=0)

    @staticmethod
    def backward(ctx, grad):
        return _ScatterAdd.apply(grad, ctx.idx, ctx.rows, ctx.coef), None, None


class _ScatterAdd(Function):
    """``out[r] = sum_i coef[i] * values[i]`` over the ``i`` with ``idx[i] == r``; ``out`` has
    ``rows`` rows. ``values`` is shaped ``idx.shape + (D,)``. The backward is a lookup."""

    @staticmethod
    def forward(ctx, values, idx, rows, coef):
        data = values._data
        xp = xp_of(data)
        width = data.shape[idx.ndim:]
        flat = data.reshape((-1, *width))
        if coef is not None:
            flat = flat * coef.reshape((-1,) + (1,) * len(width))
        out = xp.zeros((rows, *width), dtype=data.dtype)
        # unbuffered add: repeated indices accumulate (no Python loop over the rows)
        xp.add.at(out, idx.reshape(-1), flat)
        if ctx.needs_input_grad:
            ctx.idx, ctx.coef = idx, coef
        return out

    @staticmethod
    def backward(ctx, grad):
        out = _Lookup.apply(grad, ctx.idx, None)
        if ctx.coef is not None:
            out = out * _make(ctx.coef.reshape(ctx.coef.shape + (1,) * (out.ndim - ctx.idx.ndim)))
        return out, None, None, None


def _indices(input: Tensor, num: int, who: str):
    """``input``'s array of row indices, checked: integer dtype, each in ``[0, num)``."""
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"{who}: Expected tensor for argument #1 'indices' to have one of the following "
            f"scalar types: Long, Int; but got {input.dtype.name} instead (call .long())"
        )
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= num:
            bad = low if low < 0 else high
            raise IndexError(f"{who}: index {bad} is out of range for {num} embeddings")
    return idx


def _padding_index(padding_idx, num: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % num


def _renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale, in place and outside autograd, the rows of ``weight`` that ``idx`` looks up so
    that their ``norm_type``-norm is at most ``max_norm`` (``torch.embedding_renorm_``: the
    factor is ``max_norm / (norm + 1e-7)``)."""
    xp = xp_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    table = weight._data
    selected = table[rows]
    norms = xp.linalg.norm(selected.astype(xp.float64, copy=False), ord=norm_type, axis=1)
    over = norms > max_norm
    if bool(over.any()):
        scale = (max_norm / (norms[over] + 1e-7)).astype(table.dtype)
        table[rows[over]] = selected[over] * scale[:, None]
        counter = weight._version_counter  # an in-place change: saved copies are now stale
        if counter is None:
            weight._version_counter = [1]
        else:
            counter[0] += 1


def _freq_coef(idx, num: int, dtype):
    """``1 / count`` of each lookup's index in the mini-batch (``scale_grad_by_freq``)."""
    xp = xp_of(idx)
    counts = xp.bincount(idx.reshape(-1), minlength=num)
    return (1.0 / counts[idx]).astype(dtype)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
    *,
    _who: str = "embedding",
) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: integer indices of any shape, each in ``[0, num_embeddings)``.
        weight: the ``(num_embeddings, embedding_dim)`` table.
        padding_idx: lookups of this row contribute no gradient to it.
        max_norm: if given, the looked-up rows whose ``norm_type``-norm exceeds it are
            rescaled in place (outside autograd) to norm ``max_norm``, as in PyTorch.
        norm_type: the p of that norm (default 2).
        scale_grad_by_freq: divide each row's gradient by how often it occurs in ``input``.
        sparse: accepted for compatibility; gradients are always dense.

    Returns:
        A tensor of shape ``input.shape + (embedding_dim,)``.

    Example:
        >>> table = ember.arange(6.0).reshape(3, 2)
        >>> F.embedding(ember.tensor([[2, 0]]), table)
        tensor([[[4., 5.],
                 [0., 1.]]])
    """
    if weight.ndim != 2:
        raise RuntimeError(
            f"{_who}: weight must be 2-D (num_embeddings, embedding_dim), got shape "
            f"{tuple(weight.shape)}"
        )
    num = weight._data.shape[0]
    idx = _indices(input, num, _who)
    padding = _padding_index(padding_idx, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    coef = None
    if (scale_grad_by_freq or padding is not None) and weight.requires_grad and STATE.enabled:
        dtype = weight._data.dtype
        xp = xp_of(idx)
        coef = _freq_coef(idx, num, dtype) if scale_grad_by_freq else xp.ones(idx.shape, dtype)
        if padding is not None:
            coef = coef * (idx != padding)
    return _Lookup.apply(weight, idx, coef)


_MODES = ("sum", "mean", "max")


def _bags(input, offsets, per_sample_weights, include_last_offset, who):
    """The flat index array, the bag of each index, the number of bags and the flat
    per-sample weights, from a 2-D input (fixed-size bags) or a 1-D input with offsets."""
    xp = xp_of(input._data)
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                f"{who}: if input is 2D, then offsets has to be None, as input is treated is a "
                f"mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        num_bags, length = input.shape
        bag = xp.arange(num_bags * length) // max(length, 1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
        return input._data.reshape(-1), bag, num_bags, psw
    if input.ndim != 1:
        raise ValueError(
            f"{who}: input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if offsets is None:
        raise ValueError(f"{who}: offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError(f"{who}: offsets has to be a 1D Tensor, got shape {tuple(offsets.shape)}")
    bounds = offsets._data
    if bounds.dtype.kind not in "iu":
        raise RuntimeError(f"{who}: offsets must be an integer tensor, got {offsets.dtype.name}")
    n = input._data.shape[0]
    if bounds.size and int(bounds[0]) != 0:
        raise RuntimeError(
            f"{who}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
            f"start from position 0. However, got {int(bounds[0])}"
        )
    if bounds.size and int(bounds[-1]) > n:
        raise RuntimeError(
            f"{who}: offsets[-1] can not be greater than input's length {n} but got "
            f"offsets[-1] of {int(bounds[-1])}"
        )
    if not include_last_offset:
        bounds = xp.concatenate([bounds, xp.asarray([n], dtype=bounds.dtype)])
    if bool((xp.diff(bounds) < 0).any()):
        raise RuntimeError(f"{who}: offsets must be non-decreasing, got {offsets.tolist()}")
    num_bags = max(int(bounds.shape[0]) - 1, 0)
    end = int(bounds[-1]) if num_bags else 0
    # the bag of position i: how many bags start at or before i (after the first); empty bags
    # share their start with the next one. With include_last_offset, positions after the last
    # offset belong to no bag (PyTorch).
    bag = xp.searchsorted(bounds[1:-1], xp.arange(end), side="right")
    psw = per_sample_weights
    if psw is not None and end != n:
        psw = psw[:end]
    return input._data[:end], bag, num_bags, psw


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
    *,
    _who: str = "embedding_bag",
) -> Tensor:
    """Sums, means or maxima of bags of embedding rows, without materialising the bags.

    Args:
        input: a 2-D ``(B, L)`` tensor of indices (B bags of L each), or a 1-D tensor of
            indices split into bags by ``offsets``.
        weight: the ``(num_embeddings, embedding_dim)`` table.
        offsets: for a 1-D input, the start of each bag in ``input`` (``offsets[0] == 0``,
            non-decreasing); a bag may be empty (its result is 0).
        max_norm, norm_type: renormalise looked-up rows in place, as in :func:`embedding`.
        scale_grad_by_freq: divide row gradients by their frequency in ``input``
            (not with ``'max'``).
        mode: ``'sum'``, ``'mean'`` (default) or ``'max'`` (element-wise over the bag).
        sparse: accepted for compatibility; gradients are always dense.
        per_sample_weights: weights of ``input``'s shape multiplying each row (``'sum'`` only).
        include_last_offset: ``offsets`` has one extra last entry, the end of the last bag.
        padding_idx: entries equal to it are left out of their bag (and of the mean's count).

    Returns:
        ``(B, embedding_dim)``.

    Example:
        >>> table = ember.arange(8.0).reshape(4, 2)
        >>> F.embedding_bag(ember.tensor([0, 1, 3]), table, ember.tensor([0, 2]), mode="sum")
        tensor([[2., 4.],
                [6., 7.]])
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"{_who}: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
            f"then it must have the same shape as the input ({tuple(input.shape)})"
        )
    if weight.ndim != 2:
        raise ValueError(
            f"{_who}: weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}"
        )
    if mode not in _MODES:
        raise ValueError(f"{_who}: mode has to be one of sum, mean or max, got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    num = weight._data.shape[0]
    idx, bag, num_bags, psw = _bags(input, offsets, per_sample_weights, include_last_offset,
                                    _who)
    idx = _indices(_make(idx), num, _who)
    padding = _padding_index(padding_idx, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}')."
        )
    xp = xp_of(idx)
    dtype = weight._data.dtype
    keep = None if padding is None else idx != padding
    if mode == "max":
        return _bag_max(weight, idx, bag, num_bags, keep)
    coef = xp.ones(idx.shape, dtype) if keep is None else keep.astype(dtype)
    if mode == "mean":
        counts = xp.bincount(bag, weights=coef, minlength=num_bags)
        coef = coef / xp.maximum(counts, 1)[bag].astype(dtype)
    elif keep is None:
        coef = None
    freq = None
    if scale_grad_by_freq and weight.requires_grad and STATE.enabled:
        freq = _freq_coef(idx, num, dtype)
    rows = _Lookup.apply(weight, idx, freq)
    if psw is not None:
        rows = rows * psw.unsqueeze(-1)
    return _ScatterAdd.apply(rows, bag, num_bags, coef)


def _bag_max(weight: Tensor, idx, bag, num_bags: int, keep) -> Tensor:
    """Element-wise maximum of each bag's rows; the gradient goes to the row that attains it
    (the first one on ties), through a differentiable ``gather`` of those rows."""
    from ...ops._index_plan import _ufunc_at  # ufunc.at on NumPy and CuPy
    from ...ops.scatter import gather

    xp = xp_of(idx)
    if keep is not None:
        idx, bag = idx[keep], bag[keep]
    table = weight._data
    width = table.shape[1]
    rows = xp.take(table, idx, axis=0)
    best = xp.full((num_bags, width), -xp.inf, dtype=table.dtype)
    _ufunc_at("maximum", best, bag, rows)
    # the position (within idx) of the first row reaching the maximum, per bag and column
    n = idx.shape[0]
    position = xp.where(rows == best[bag], xp.arange(n)[:, None], n)
    first = xp.full((num_bags, width), n, dtype=position.dtype)
    _ufunc_at("minimum", first, bag, position)
    empty = first == n  # bags with no (non-padding) entry: their result is 0
    source = xp.concatenate([idx, xp.zeros(1, dtype=idx.dtype)])[first]
    out = gather(weight, 0, _make(source))
    if bool(empty.any()):
        out = out * _make((~empty[:, :1]).astype(table.dtype))
    return out
