"""Distances and similarities: ``pairwise_distance``, ``cosine_similarity``, ``normalize``,
``pdist`` and ``cdist``.

They are composites of differentiable ops (norms, sums, products), so gradients of every order
come for free; the norm's gradient at 0 is 0, as in PyTorch, so coincident points give zero
gradients rather than NaN.
"""

from __future__ import annotations

from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs

__all__ = ["pairwise_distance", "cosine_similarity", "normalize", "pdist", "cdist"]


def _broadcast_pair(x1: Tensor, x2: Tensor, op: str):
    """Both inputs broadcast to a common shape, with an error naming ``op`` and the shapes."""
    from ...ops.shape import broadcast_tensors

    try:
        return broadcast_tensors(_float(x1), _float(x2))
    except RuntimeError as e:
        raise RuntimeError(
            f"{op}: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} do not "
            f"broadcast ({e})"
        ) from None


def _float(x: Tensor) -> Tensor:
    # integer and bool inputs are promoted to the default float, as PyTorch's norms do
    return x if x.is_floating_point() else x.float()


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The p-norm distance between the rows of ``x1`` and ``x2``: ``||x1 - x2 + eps||_p`` over
    the last dimension (``eps`` is added to the difference, as in PyTorch).

    Args:
        x1, x2: ``(N, D)`` or ``(D,)``, broadcastable to each other.
        p: the norm degree (default 2).
        eps: added to the difference to avoid a zero norm.
        keepdim: keep the last dimension with size 1.

    Returns:
        ``(N,)`` (``(N, 1)`` with keepdim; a scalar for 1-D inputs).

    Example:
        >>> F.pairwise_distance(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]), eps=0)
        tensor([5.])
    """
    from ...ops.norm import norm

    a, b = _broadcast_pair(x1, x2, "pairwise_distance")
    diff = a - b
    if diff.ndim == 0:
        raise RuntimeError(
            f"pairwise_distance: expected inputs with at least 1 dimension, got shapes "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    return norm(diff + eps, p, dim=-1, keepdim=keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine similarity along ``dim``: ``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))``.

    Each input is divided by its (clamped) norm before the product, as PyTorch does, which
    keeps the result within [-1, 1].

    Args:
        x1, x2: tensors broadcastable to each other.
        dim: the dimension of the vectors (default 1).
        eps: the smallest norm divided by.

    Returns:
        The broadcast shape without ``dim``.

    Example:
        >>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    from ...ops.compare import clamp_min
    from ...ops.norm import norm

    a, b = _broadcast_pair(x1, x2, "cosine_similarity")
    na = norm(a, 2, dim=dim, keepdim=True)
    nb = norm(b, 2, dim=dim, keepdim=True)
    # PyTorch clamps the norms under no_grad, so the gradient is that of the unclamped norm:
    # value max(norm, eps), gradient through norm
    na = na + (clamp_min(na, eps) - na).detach()
    nb = nb + (clamp_min(nb, eps) - nb).detach()
    return ((a / na) * (b / nb)).sum(dim)


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``: unit-norm vectors.

    Args:
        input: a tensor of any shape.
        p: the norm degree (default 2).
        dim: the dimension of the vectors (default 1).
        eps: the smallest norm divided by.
        out: optional tensor to write the result into.

    Example:
        >>> F.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    from ...ops.compare import clamp_min
    from ...ops.norm import norm

    denom = clamp_min(norm(input, p, dim=dim, keepdim=True), eps)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between all pairs of rows of an ``(N, M)`` input: the upper
    triangle (``i < j``, row-major order) of the distance matrix, ``N * (N - 1) / 2`` values.

    Example:
        >>> F.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
        tensor([5.0000, 1.0000, 4.2426])
    """
    from ...ops.index import index_select
    from ...ops.norm import norm

    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    x = _float(input)
    n = x.shape[0]
    xp = x._xp()
    i, j = xp.triu_indices(n, 1)
    return norm(index_select(x, 0, _make(i)) - index_select(x, 0, _make(j)), p, dim=1)


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distance between each row of ``x1`` and each row of ``x2`` (``torch.cdist``).

    For ``p == 2`` and more than 25 rows on either side (or ``compute_mode=
    'use_mm_for_euclid_dist'``) the squared distances come from one matrix product,
    ``|a|^2 + |b|^2 - 2 a.b`` clamped at 1e-30 before the square root, as PyTorch computes them
    (fast; slightly less accurate for nearly equal points).

    Args:
        x1: ``(*, P, M)``.
        x2: ``(*, R, M)``; the batch dimensions broadcast.
        p: the norm degree (default 2).
        compute_mode: ``'use_mm_for_euclid_dist_if_necessary'`` (default),
            ``'use_mm_for_euclid_dist'`` or ``'donot_use_mm_for_euclid_dist'``.

    Returns:
        ``(*, P, R)``.

    Example:
        >>> F.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0], [1.0, 0.0]]))
        tensor([[5., 1.]])
    """
    from ...ops.compare import clamp_min
    from ...ops.linalg import matmul

    x1, x2 = cast_inputs("cdist", x1, x2)
    from ...ops.norm import norm

    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"cdist: {compute_mode!r} is not a valid value for compute_mode")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
            f"X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    a, b = _float(x1), _float(x2)
    use_mm = p == 2 and (
        compute_mode == "use_mm_for_euclid_dist"
        or (compute_mode == modes[0] and (a.shape[-2] > 25 or b.shape[-2] > 25))
    )
    if use_mm:
        sq_a = (a * a).sum(-1, keepdim=True)  # (*, P, 1)
        sq_b = (b * b).sum(-1, keepdim=True).transpose(-1, -2)  # (*, 1, R)
        sq = sq_a + sq_b - 2 * matmul(a, b.transpose(-1, -2))
        return clamp_min(sq, 1e-30).sqrt()
    return norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, dim=-1)
