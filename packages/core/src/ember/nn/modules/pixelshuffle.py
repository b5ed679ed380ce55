"""PixelShuffle, PixelUnshuffle and ChannelShuffle: rearrangements of channels and pixels."""

from __future__ import annotations

from ..._tensor import Tensor
from ..functional._vision import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]


class PixelShuffle(Module):
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r), r = ``upscale_factor``: the
    sub-pixel convolution upsampling of Shi et al. (2016).

    Example:
        >>> nn.PixelShuffle(3)(ember.zeros(1, 9, 4, 4)).shape
        ember.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of :class:`PixelShuffle`: (*, C, H*r, W*r) -> (*, C*r*r, H, W).

    Example:
        >>> nn.PixelUnshuffle(2)(ember.zeros(1, 1, 4, 4)).shape
        ember.Size([1, 4, 2, 2])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleave the channels of (N, C, *) input across ``groups`` (ShuffleNet): viewed as
    (groups, C/groups), the channel axis is transposed.

    Example:
        >>> nn.ChannelShuffle(2)(ember.arange(4.).reshape(1, 4, 1, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
