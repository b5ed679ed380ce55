"""``Flatten`` and ``Unflatten``: reshapes as layers (views of the input where possible)."""

from __future__ import annotations

from ..._tensor import Tensor
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one (``input.flatten(start_dim, end_dim)``).

    Args:
        start_dim: the first dim to merge (default 1, keeping the batch dimension).
        end_dim: the last dim to merge (default -1).

    Shape:
        Input ``(*, S_start, ..., S_end, *)``, output ``(*, S_start * ... * S_end, *)``.

    Example:
        >>> nn.Flatten()(ember.zeros(32, 1, 5, 5)).shape
        ember.Size([32, 25])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (``input.unflatten(dim, sizes)``).

    Args:
        dim: the dimension to split.
        unflattened_size: the new sizes, a tuple or list of ints (one may be -1); their product
            must equal the size of ``dim``.

    Shape:
        Input ``(*, S_dim, *)``, output ``(*, U_1, ..., U_n, *)``.

    Example:
        >>> nn.Unflatten(1, (2, 5, 5))(ember.zeros(2, 50)).shape
        ember.Size([2, 2, 5, 5])
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        _require_tuple_int(unflattened_size)
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _require_tuple_int(sizes) -> None:
    if isinstance(sizes, (tuple, list)):
        for idx, elem in enumerate(sizes):
            if not isinstance(elem, int):
                raise TypeError(
                    f"unflattened_size must be tuple of ints, but found element of type "
                    f"{type(elem).__name__} at pos {idx}"
                )
        return
    raise TypeError(
        f"unflattened_size must be a tuple of ints, but found type {type(sizes).__name__}"
    )
