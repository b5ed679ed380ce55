"""Dropout layers: active in training mode, the identity in evaluation mode (``model.eval()``).
Each calls the function of the same name in ``ember.nn.functional``."""

from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)`` (so the expected output is the input); in evaluation, the identity.

    Args:
        p: the probability of an element being zeroed (default 0.5).
        inplace: modify the input in place.

    Shape:
        Input ``(*)``, output the same.

    Example:
        >>> m = nn.Dropout(p=0.2)
        >>> m.eval()(ember.ones(3))
        tensor([1., 1., 1.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels (all of a channel's ``L`` values at once) with probability ``p``.

    Shape:
        Input ``(N, C, L)`` or ``(C, L)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole feature maps (channels) with probability ``p`` (Tompson et al., 2015).

    Shape:
        Input ``(N, C, H, W)``, output the same. (A 3-d input is treated as ``(N, C, L)``,
        with PyTorch's warning.)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole 3-d feature maps (channels) with probability ``p``.

    Shape:
        Input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps zero mean and unit variance, for SELU networks (Klambauer et al.,
    2017). The identity in evaluation mode.

    Shape:
        Input ``(*)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (dim 1).

    Shape:
        Input ``(N, C, *)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
