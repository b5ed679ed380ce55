"""Distance layers: ``PairwiseDistance`` and ``CosineSimilarity`` (no parameters)."""

from __future__ import annotations

from ..._tensor import Tensor
from ..functional._distance import cosine_similarity, pairwise_distance
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """The p-norm distance between corresponding rows: ``||x1 - x2 + eps||_p`` over the last
    dimension.

    Args:
        p: the norm degree (default 2).
        eps: added to the difference to avoid a zero norm (default 1e-6).
        keepdim: keep the last dimension with size 1 (default False).

    Shape:
        x1, x2: ``(N, D)`` or ``(D,)`` (broadcastable); output ``(N,)`` or ``()``
        (``(N, 1)`` with keepdim).

    Example:
        >>> nn.PairwiseDistance()(ember.randn(5, 3), ember.randn(5, 3)).shape
        ember.Size([5])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p  # PyTorch's attribute name
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``: ``x1 . x2 / (max(||x1||, eps) * max(||x2||, eps))``.

    Args:
        dim: the dimension of the vectors (default 1).
        eps: the smallest norm divided by (default 1e-8).

    Shape:
        x1, x2: broadcastable to each other; output: the broadcast shape without ``dim``.

    Example:
        >>> nn.CosineSimilarity()(ember.randn(5, 3), ember.randn(5, 3)).shape
        ember.Size([5])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)
