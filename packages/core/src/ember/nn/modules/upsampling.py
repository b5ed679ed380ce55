"""Upsample, UpsamplingNearest2d, UpsamplingBilinear2d: :func:`F.interpolate` as layers."""

from __future__ import annotations

from ..._tensor import Tensor
from ..functional._vision import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    """Resize (N, C, *spatial) input to ``size`` or by ``scale_factor`` (see
    :func:`ember.nn.functional.interpolate` for the modes and coordinate conventions).

    Args:
        size: output spatial size (int or tuple). scale_factor: multiplier (float or tuple;
            stored as floats, as PyTorch does).
        mode: ``'nearest'`` (default), ``'linear'``, ``'bilinear'``, ``'bicubic'``,
            ``'trilinear'``, ``'area'``, ``'nearest-exact'``.
        align_corners: for the linear and cubic modes (None means False).
        recompute_scale_factor: compute coordinates from the output size.

    Example:
        >>> nn.Upsample(scale_factor=2, mode="nearest")(ember.tensor([[[1., 2.]]]))
        tensor([[[1., 1., 2., 2.]]])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) input: ``Upsample(mode='nearest')``."""

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of (N, C, H, W) input with ``align_corners=True`` (the legacy
    convention of this layer).

    Example:
        >>> nn.UpsamplingBilinear2d(scale_factor=2)(ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
