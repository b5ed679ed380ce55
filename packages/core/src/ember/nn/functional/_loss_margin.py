"""Margin and embedding losses: cosine_embedding_loss, margin_ranking_loss,
hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss, multi_margin_loss,
multilabel_margin_loss, triplet_margin_loss and triplet_margin_with_distance_loss.

Each is a composite of differentiable ops, so gradients of every order come for free.
"""

from __future__ import annotations

from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...ops._util import xp_of
from ._loss_util import _REDUCTIONS, _log_sigmoid, _reduce, _reduction

__all__ = [
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


def _legacy(size_average, reduce, reduction):
    return _reduction(size_average, reduce, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (cosine along the last dim, ``1e-12`` added to each squared norm).

    Shapes: inputs (N, D) with target (N,), or inputs (D,) with a 0-d target.

    Example:
        >>> x = ember.tensor([[1.0, 0.0]])
        >>> F.cosine_embedding_loss(x, ember.tensor([[0.0, 1.0]]), ember.tensor([1]))
        tensor(1.)
    """
    from ...ops.compare import clamp_min, where
    from ...ops.unary import sqrt

    input1, input2, target = cast_inputs("cosine_embedding_loss", input1, input2, target)
    reduction = _legacy(size_average, reduce, reduction)
    tdim = target.ndim
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if tdim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    if tdim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    dim = tdim
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / sqrt(mag1 * mag2)
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp_min(cos - margin, 0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``; ``target`` is 1 (input1 should rank
    higher) or -1.

    Example:
        >>> F.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
        tensor(1.)
    """
    from ...ops.compare import clamp_min

    input1, input2, target = cast_inputs("margin_ranking_loss", input1, input2, target)
    reduction = _legacy(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``
    (input is typically a distance).

    Example:
        >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.4]), ember.tensor([1.0, -1.0]))
        tensor(0.4500)
    """
    from ...ops.compare import clamp_min, where

    input, target = cast_inputs("hinge_embedding_loss", input, target)
    reduction = _legacy(size_average, reduce, reduction)
    loss = where(target != 1, clamp_min(margin - input, 0), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))`` with ``target`` in {1, -1}.

    Computed as ``-log_sigmoid(target * input)``: the same value, finite for any input (where
    PyTorch's ``log1p(exp(.))`` overflows to inf).

    Example:
        >>> F.soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.6931)
    """
    input, target = cast_inputs("soft_margin_loss", input, target)
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(-_log_sigmoid(target * input), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """One-vs-all logistic loss over C classes, averaged over the classes:
    ``-mean_c w_c (t_c log_sigmoid(x_c) + (1 - t_c) log_sigmoid(-x_c))``; (N, C) -> (N,).

    Example:
        >>> F.multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def _class_mask(target: Tensor, n_classes: int):
    """A constant (N, C) boolean tensor: True at each row's target class."""
    t = target._data
    xp = xp_of(t)
    return _make(t[:, None] == xp.arange(n_classes)[None, :])


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: ``sum_{j != y} max(0, w_y (margin - x_y + x_j))^p / C`` per sample.

    Shapes: input (N, C) with target (N,), or (C,) with a 0-d target.

    Example:
        >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """
    from ...ops.compare import clamp_min, where

    input, target, weight = cast_inputs("multi_margin_loss", input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    if input.ndim not in (1, 2):
        raise RuntimeError(
            f"multi_margin_loss: expected 1D or 2D input, got shape {tuple(input.shape)}"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n, n_classes = x.shape
    if target.numel() != n or target.ndim > 1 or (input.ndim == 2 and target.ndim != 1):
        raise RuntimeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    t = target.reshape(-1)
    if t._data.dtype.kind not in "iu":
        raise RuntimeError(f"multi_margin_loss: expected integer targets, got {target.dtype}")
    if bool(((t._data < 0) | (t._data >= n_classes)).any()):
        raise RuntimeError(
            f"target out of range (multi_margin_loss: targets must be in [0, {n_classes}))"
        )
    picked = x.gather(1, t.unsqueeze(1))
    h = clamp_min(margin - picked + x, 0)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight[t].unsqueeze(1)
    h = where(_class_mask(t, n_classes), 0.0, h)
    loss = h.sum(1) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss ``sum_{j in y} sum_{k not in y} max(0, 1 - (x_j - x_k)) / C``.

    ``target`` has the input's shape ((C,) or (N, C)) and holds each sample's label indices,
    ended by the first -1 (the rest is ignored).

    Example:
        >>> x = ember.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multilabel_margin_loss(x, ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    from ...ops.compare import clamp_min

    input, target = cast_inputs("multilabel_margin_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target._data.reshape(x.shape)
    xp = xp_of(t)
    n_classes = x.shape[1]
    listed = xp.cumsum(t == -1, axis=1) == 0  # the labels before the first -1
    if bool((listed & ((t < 0) | (t >= n_classes))).any()):
        raise RuntimeError(
            f"argument #2 'target' is out of range (multilabel_margin_loss: labels must be in "
            f"[0, {n_classes}), ended by -1)"
        )
    # how often each class is listed (PyTorch sums over the list, repeats included)
    hits = (t[:, :, None] == xp.arange(n_classes)[None, None, :]) & listed[:, :, None]
    count = hits.sum(axis=1).astype(x._data.dtype)
    others = count == 0
    pair_weight = _make(count[:, :, None] * others[:, None, :])  # (N, j in y, k not in y)
    margins = clamp_min(1 - x.unsqueeze(2) + x.unsqueeze(1), 0)
    loss = (margins * pair_weight).sum((1, 2)) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim (PyTorch's pairwise_distance)."""
    from ...ops.norm import norm

    return norm(x1 - x2 + eps, p, dim=-1)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm pairwise distance; ``swap``
    uses ``min(d(a, n), d(p, n))`` as the negative distance (Balntas et al. 2016).

    Shapes: (N, D) or (D,), all three alike.

    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.ones(1, 2), 2 * ember.ones(1, 2)
        >>> F.triplet_margin_loss(a, pos, neg)
        tensor(0.)
    """
    anchor, positive, negative = cast_inputs(
        "triplet_margin_loss", anchor, positive, negative
    )
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(
        anchor,
        positive,
        negative,
        lambda a, b: _pairwise_distance(a, b, p, eps),
        margin,
        swap,
        reduction,
    )


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    from ...ops.arith import minimum
    from ...ops.compare import clamp_min

    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """The triplet margin loss with any ``distance_function(x1, x2)`` (default: the Euclidean
    pairwise distance).

    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.ones(1, 2), 2 * ember.ones(1, 2)
        >>> F.triplet_margin_with_distance_loss(a, pos, neg, margin=2.0)
        tensor(0.5858)
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    distance = distance_function if distance_function is not None else _pairwise_distance
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction)
