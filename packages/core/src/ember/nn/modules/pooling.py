"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d,
AdaptiveMaxPool1d/2d/3d, MaxUnpool1d/2d/3d, LPPool1d/2d/3d.

Constructor arguments, stored attributes (kept as given, or normalised to tuples exactly where
PyTorch does so) and ``extra_repr`` match ``torch.nn``. Each ``forward`` calls the functional
implementation with the module itself as the name used in error messages, so a bad input is
reported as, e.g., ``MaxPool2d(kernel_size=2, stride=2, ...): expected input of shape ...``.
"""

from __future__ import annotations

from ..._tensor import Tensor
from ..functional._pooling import (
    _adaptive_avg_pool,
    _adaptive_max_pool,
    _avg_pool,
    _lp_pool,
    _max_pool,
    _max_unpool,
)
from .module import Module

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
]


def _ntuple(value, n: int) -> tuple:
    """PyTorch's ``_single/_pair/_triple``: an iterable becomes a tuple, a scalar is repeated."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _MaxPoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        return _max_pool(input, self._nd, self.kernel_size, self.stride, self.padding,
                         self.dilation, self.ceil_mode, self.return_indices, self)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling (see :func:`ember.nn.functional.max_pool1d`).

    Args:
        kernel_size: the window size. stride: the step (default: kernel_size).
        padding: implicit -inf added on both sides (at most half the kernel).
        dilation: spacing between window elements.
        return_indices: also return the argmax positions (for :class:`MaxUnpool1d`).
        ceil_mode: ceil instead of floor in the output length.

    Shape:
        (N, C, L) or (C, L) -> (N, C, L_out) with
        L_out = floor((L + 2*padding - dilation*(kernel_size - 1) - 1) / stride + 1).

    Example:
        >>> nn.MaxPool1d(2)(ember.tensor([[[1., 3., 2., 5.]]]))
        tensor([[[3., 5.]]])
    """

    _nd = 1


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over (N, C, H, W) or (C, H, W) input; args as :class:`MaxPool1d`, each
    an int or an (h, w) pair. The indices are flat positions ``h * W + w`` in each plane.

    Example:
        >>> nn.MaxPool2d(3, stride=2, padding=1)(ember.zeros(1, 64, 112, 112)).shape
        ember.Size([1, 64, 56, 56])
    """

    _nd = 2


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input; args as
    :class:`MaxPool2d` with triples."""

    _nd = 3


class _AvgPoolNd(Module):
    _nd = 0

    def forward(self, input: Tensor) -> Tensor:
        return _avg_pool(input, self._nd, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad,
                         getattr(self, "divisor_override", None), self)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling (see :func:`ember.nn.functional.avg_pool1d`).

    Args:
        kernel_size, stride (default: kernel_size), padding: stored as 1-tuples, as PyTorch.
        ceil_mode: ceil instead of floor in the output length.
        count_include_pad: count the zero padding in the divisor.

    Shape:
        (N, C, L) or (C, L) -> (N, C, floor((L + 2*padding - kernel_size) / stride + 1)).

    Example:
        >>> nn.AvgPool1d(3, stride=2)(ember.tensor([[[1., 2., 3., 4., 5., 6., 7.]]]))
        tensor([[[2., 4., 6.]]])
    """

    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad


class _AvgPoolDivisorNd(_AvgPoolNd):
    """AvgPool2d/3d: arguments kept as given, and ``divisor_override``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override


class AvgPool2d(_AvgPoolDivisorNd):
    """2-D average pooling over (N, C, H, W) or (C, H, W) input; args as :class:`AvgPool1d`
    (ints or pairs, kept as given), plus ``divisor_override``: divide every window sum by it.

    Example:
        >>> nn.AvgPool2d(2)(ember.arange(16.).reshape(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """

    _nd = 2


class AvgPool3d(_AvgPoolDivisorNd):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) input; args as
    :class:`AvgPool2d`."""

    _nd = 3


class _AdaptiveAvgPoolNd(Module):
    _nd = 0

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return _adaptive_avg_pool(input, self._nd, self.output_size, self)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output length, whatever the input length: output ``i``
    averages input ``[floor(i*L/out), ceil((i+1)*L/out))``.

    Shape: (N, C, L) or (C, L) -> (N, C, output_size).
    """

    _nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of (N, C, H, W) or (C, H, W) input to ``output_size`` (an int
    or an (H, W) pair; None keeps that input size).

    Example:
        >>> nn.AdaptiveAvgPool2d((1, 1))(ember.ones(2, 512, 7, 7)).shape
        ember.Size([2, 512, 1, 1])
    """

    _nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Adaptive average pooling of (N, C, D, H, W) or (C, D, H, W) input."""

    _nd = 3


class _AdaptiveMaxPoolNd(Module):
    _nd = 0

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return _adaptive_max_pool(input, self._nd, self.output_size, self.return_indices, self)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output length over the adaptive windows of
    :class:`AdaptiveAvgPool1d`; ``return_indices`` also returns the argmax positions."""

    _nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of (N, C, H, W) or (C, H, W) input to ``output_size``."""

    _nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of (N, C, D, H, W) or (C, D, H, W) input to ``output_size``."""

    _nd = 3


class _MaxUnpoolNd(Module):
    _nd = 0

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        n = self._nd
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return _max_unpool(input, indices, self._nd, self.kernel_size, self.stride,
                           self.padding, output_size, self)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool1d`: the pooled values put back at their argmax
    positions, zeros elsewhere.

    Args: the pooling's kernel_size, stride (default: kernel_size) and padding.

    Shape:
        (N, C, L) -> (N, C, (L - 1)*stride - 2*padding + kernel_size), or ``output_size``
        given to ``forward`` (to undo the pooling's rounding).

    Example:
        >>> pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        >>> unpool(*pool(ember.tensor([[[1., 3., 2., 5.]]])))
        tensor([[[0., 3., 0., 5.]]])
    """

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool2d`; see :class:`MaxUnpool1d`."""

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool3d`; see :class:`MaxUnpool1d`."""

    _nd = 3


class _LPPoolNd(Module):
    _nd = 0

    def __init__(self, norm_type: float, kernel_size, stride=None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return _lp_pool(input, self._nd, float(self.norm_type), self.kernel_size, self.stride,
                        self.ceil_mode, self)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum_{window} x**p) ** (1/p)``: p = inf is max pooling of |x|,
    p = 1 sum pooling.

    Args:
        norm_type: p. kernel_size: the window. stride: default kernel_size.
        ceil_mode: ceil instead of floor in the output length.

    Shape: (N, C, L) or (C, L) -> (N, C, floor((L - kernel_size) / stride + 1)).

    Example:
        >>> nn.LPPool1d(2, 2)(ember.tensor([[[3., 4., 1.]]]))
        tensor([[[5.]]])
    """

    _nd = 1


class LPPool2d(_LPPoolNd):
    """2-D power-average pooling; see :class:`LPPool1d`."""

    _nd = 2


class LPPool3d(_LPPoolNd):
    """3-D power-average pooling; see :class:`LPPool1d`."""

    _nd = 3
