"""Normalisation layers: ``LayerNorm``, ``GroupNorm``, ``RMSNorm``, ``LocalResponseNorm``, and
(re-exported from ``batchnorm.py`` and ``instancenorm.py``, as PyTorch splits them) the batch-
and instance-norm layers.

Each layer checks its input's shape where it enters (naming the layer and the expected shape)
and calls its functional form in ``ember.nn.functional``.
"""

from __future__ import annotations

import numbers

from ..._tensor import Tensor
from ...ops.creation import empty
from .. import init
from ..functional._normalization import group_norm, layer_norm, local_response_norm, rms_norm
from ..parameter import Parameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .module import Module

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
    "LocalResponseNorm",
]


def _as_shape(normalized_shape) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(module: Module, input: Tensor, shape: tuple[int, ...]) -> None:
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(
            f"{type(module).__name__}({shape}): expected input of shape "
            f"(*, {', '.join(map(str, shape))}), got {tuple(input.shape)}"
        )


class LayerNorm(Module):
    """Layer normalisation over the last dimensions (Ba et al. 2016).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, with the mean and biased variance
    of each sample's trailing ``normalized_shape`` block; ``weight`` (init 1) and ``bias``
    (init 0) have shape ``normalized_shape``.

    Args:
        normalized_shape: an int or a sequence of ints (the trailing dimensions).
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn ``weight`` and ``bias`` (default True).
        bias: learn ``bias`` as well (default True).

    Shape:
        input and output: ``(*, *normalized_shape)``.

    Example:
        >>> ln = nn.LayerNorm(8)
        >>> ln(ember.randn(2, 5, 8)).shape
        ember.Size([2, 5, 8])
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        _check_trailing(self, input, self.normalized_shape)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Group normalisation (Wu & He 2018): the channels split into ``num_groups`` groups, each
    normalised per sample over its channels and positions, then a per-channel affine map.

    Args:
        num_groups: the number of groups; must divide ``num_channels``.
        num_channels: the number of channels ``C``.
        eps: added to the variance (default 1e-5).
        affine: learn per-channel ``weight`` (init 1) and ``bias`` (init 0) (default True).
        bias: (keyword) learn ``bias`` as well (default True).

    Shape:
        input and output: ``(N, C, *)``.

    Example:
        >>> gn = nn.GroupNorm(2, 6)
        >>> gn(ember.randn(4, 6, 8, 8)).shape
        ember.Size([4, 6, 8, 8])
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(empty(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_channels, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected input of shape "
                f"(N, {self.num_channels}, *), got {tuple(input.shape)}"
            )
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """Root-mean-square normalisation (Zhang & Sennrich 2019), as in LLaMA-style models.

    ``y = x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape``.

    Args:
        normalized_shape: an int or a sequence of ints (the trailing dimensions).
        eps: added to the mean square; None (default) uses ``finfo(input.dtype).eps``.
        elementwise_affine: learn ``weight`` (init 1) of shape ``normalized_shape``.

    Shape:
        input and output: ``(*, *normalized_shape)``.

    Example:
        >>> nn.RMSNorm(8)(ember.randn(2, 8)).shape
        ember.Size([2, 8])
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        _check_trailing(self, x, self.normalized_shape)
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Local response normalisation across channels (Krizhevsky et al. 2012)::

        y_c = x_c / (k + alpha / size * sum_{c' near c} x_c'^2) ** beta

    Args:
        size: the number of neighbouring channels in the sum.
        alpha: the multiplicative factor (default 1e-4).
        beta: the exponent (default 0.75).
        k: the additive constant (default 1).

    Shape:
        input and output: ``(N, C, *)`` (at least 3 dimensions).

    Example:
        >>> nn.LocalResponseNorm(2)(ember.randn(1, 4, 3, 3)).shape
        ember.Size([1, 4, 3, 3])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 3:
            raise ValueError(
                f"LocalResponseNorm({self.size}): expected input of shape (N, C, *) with at "
                f"least 3 dimensions, got {tuple(input.shape)}"
            )
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
