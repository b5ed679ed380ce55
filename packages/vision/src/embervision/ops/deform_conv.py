"""Deformable convolution v1/v2 (Dai et al., 2017; Zhu et al., 2019), as torchvision's
``ops/deform_conv.py`` and its ``deform_conv2d`` kernel.

Kernel tap ``k = (i, j)`` of output pixel ``(oh, ow)`` reads the input at ``(oh * stride_h -
pad_h + i * dil_h + dy, ow * stride_w - pad_w + j * dil_w + dx)``, where ``(dy, dx)`` are the
offset channels ``2k`` and ``2k + 1`` of the tap's offset group (input channels are split into
``offset_groups`` consecutive groups sharing one offset field). The value is the bilinear
interpolation of the four neighbouring pixels, zero outside the map (a point at ``<= -1`` or
``>= size`` reads nothing), optionally multiplied by the modulation ``mask`` (v2). The sampled
"columns" are then contracted with the weight, per convolution group, in one batched matmul.

Differentiability: the four neighbours' integer coordinates are constants (``floor`` of the
sampling position) and the bilinear weights ``ly = y - floor(y)``, ``1 - ly``... are built with
Ember ops from the offsets, so the gradient flows into the input (through a flat gather whose
adjoint is a scatter-add), the offsets, the mask, the weight and the bias, and double backward
works. The four corners form one extra axis: there are no Python loops over pixels or channels.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor, nn
from ember._tensor import _make
from ember.ops._util import xp_of

from .roi_pool import _GatherAt

__all__ = ["deform_conv2d", "DeformConv2d"]


def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ValueError(f"deform_conv2d: {name} must be an int or a pair of ints, got {v}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _check(input, offset, weight, mask, bias, stride, padding, dilation):
    for name, t in (("input", input), ("offset", offset), ("weight", weight)):
        if not isinstance(t, Tensor) or t.ndim != 4:
            shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"deform_conv2d: {name} must be a 4-D tensor, got {shape}")
    if min(stride) <= 0 or min(dilation) <= 0 or min(padding) < 0:
        raise ValueError(
            f"deform_conv2d: stride and dilation must be > 0 and padding >= 0, got "
            f"stride={stride}, padding={padding}, dilation={dilation}"
        )
    B, Cin, H, W = input.shape
    Cout, cpg, kh, kw = weight.shape
    K = kh * kw
    if offset.shape[1] // (2 * K) == 0 or offset.shape[1] % (2 * K) != 0:
        raise RuntimeError(
            "the shape of the offset tensor at dimension 1 is not valid. It should be a "
            f"multiple of 2 * weight.size[2] * weight.size[3].\nGot offset.shape[1]="
            f"{offset.shape[1]}, while 2 * weight.size[2] * weight.size[3]={2 * K}"
        )
    groups = Cin // cpg if cpg else 0
    if groups == 0 or cpg * groups != Cin or Cout % groups != 0:
        raise RuntimeError(
            f"deform_conv2d: weight of shape {tuple(weight.shape)} does not fit an input with "
            f"{Cin} channels: weight.shape[1] * groups must equal the input channels and "
            f"weight.shape[0] be divisible by groups"
        )
    G = offset.shape[1] // (2 * K)
    if Cin % G != 0:
        raise RuntimeError(
            f"deform_conv2d: input channels ({Cin}) must be divisible by the offset groups "
            f"({G}, from offset.shape[1]={offset.shape[1]})"
        )
    oh = (H + 2 * padding[0] - (dilation[0] * (kh - 1) + 1)) // stride[0] + 1
    ow = (W + 2 * padding[1] - (dilation[1] * (kw - 1) + 1)) // stride[1] + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(
            f"deform_conv2d: calculated output size ({oh}, {ow}) is too small for input "
            f"{tuple(input.shape)} and kernel ({kh}, {kw})"
        )
    if offset.shape[0] != B or tuple(offset.shape[2:]) != (oh, ow):
        raise RuntimeError(
            f"deform_conv2d: offset must have shape ({B}, {offset.shape[1]}, {oh}, {ow}) (batch "
            f"and output size of the convolution), got {tuple(offset.shape)}"
        )
    if mask is not None and tuple(mask.shape) != (B, G * K, oh, ow):
        raise RuntimeError(
            f"deform_conv2d: mask must have shape ({B}, {G * K}, {oh}, {ow}) (one value per "
            f"offset group and kernel tap), got {tuple(mask.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (Cout,):
        raise RuntimeError(
            f"deform_conv2d: bias must have shape ({Cout},), got {tuple(bias.shape)}"
        )
    return groups, G, oh, ow


def deform_conv2d(
    input: Tensor,
    offset: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    mask: Tensor | None = None,
) -> Tensor:
    """Deformable 2-D convolution (v1; v2 "modulated" when ``mask`` is given).

    Args:
        input: ``Tensor[B, C_in, H, W]``.
        offset: ``Tensor[B, 2 * offset_groups * kh * kw, H_out, W_out]``, the ``(dy, dx)``
            displacement of every kernel tap at every output position.
        weight: ``Tensor[C_out, C_in / groups, kh, kw]`` (``groups`` is inferred).
        bias: optional ``Tensor[C_out]``.
        stride, padding, dilation: ints or pairs, as :func:`ember.nn.functional.conv2d`.
        mask: optional ``Tensor[B, offset_groups * kh * kw, H_out, W_out]`` modulation.

    Returns:
        ``Tensor[B, C_out, H_out, W_out]``; differentiable in every tensor argument.

    Example:
        >>> x, w = ember.rand(1, 3, 8, 8), ember.rand(5, 3, 3, 3)
        >>> tuple(deform_conv2d(x, ember.zeros(1, 18, 6, 6), w).shape)  # zero offsets: conv2d
        (1, 5, 6, 6)
    """
    stride = _pair(stride, "stride")
    padding = _pair(padding, "padding")
    dilation = _pair(dilation, "dilation")
    groups, G, oh, ow = _check(input, offset, weight, mask, bias, stride, padding, dilation)
    if input.dtype.itemsize < 4 and input.is_floating_point():
        # half precision: sampled and accumulated in float32, rounded once at the end
        args = [t.float() if t is not None else None for t in (input, offset, weight, bias,
                                                               mask)]
        return deform_conv2d(args[0], args[1], args[2], args[3], stride, padding, dilation,
                             args[4]).to(input.dtype)
    B, Cin, H, W = input.shape
    Cout, _, kh, kw = weight.shape
    K, Cg = kh * kw, Cin // G
    xp = xp_of(input._data)
    dt = input._data.dtype
    # sampling grid without offsets: (K, oh, ow) rows and columns
    ki = xp.repeat(xp.arange(kh), kw).reshape(K, 1, 1)
    kj = xp.tile(xp.arange(kw), kh).reshape(K, 1, 1)
    base_y = (xp.arange(oh).reshape(1, oh, 1) * stride[0] - padding[0]
              + ki * dilation[0]).astype(dt)
    base_x = (xp.arange(ow).reshape(1, 1, ow) * stride[1] - padding[1]
              + kj * dilation[1]).astype(dt)
    off = offset.to(input.dtype).reshape(B, G, K, 2, oh, ow)
    dy, dx = off[:, :, :, 0], off[:, :, :, 1]  # (B, G, K, oh, ow)
    py = base_y + dy._data
    px = base_x + dx._data
    y0, x0 = xp.floor(py), xp.floor(px)
    # fractional parts as differentiable functions of the offsets
    ly = dy + _make(base_y - y0)
    lx = dx + _make(base_x - x0)
    wy = ember.stack([1 - ly, ly])  # (2, B, G, K, oh, ow): weights of rows y0, y0 + 1
    wx = ember.stack([1 - lx, lx])
    corner_w = (wy[:, None] * wx[None, :]).reshape(4, B, G, 1, K, oh, ow)
    inside = (py > -1) & (py < H) & (px > -1) & (px < W)
    a = xp.array([0, 0, 1, 1]).reshape(4, 1, 1, 1, 1, 1)
    b = xp.array([0, 1, 0, 1]).reshape(4, 1, 1, 1, 1, 1)
    yc = y0.astype(np.int64)[None] + a  # (4, B, G, K, oh, ow)
    xc = x0.astype(np.int64)[None] + b
    valid = inside[None] & (yc >= 0) & (yc <= H - 1) & (xc >= 0) & (xc <= W - 1)
    # flat index into input: ((b * Cin + g * Cg + c) * H + y) * W + x, -1 where zero-padded
    chan = (xp.arange(B).reshape(B, 1, 1) * Cin + xp.arange(G).reshape(1, G, 1) * Cg
            + xp.arange(Cg).reshape(1, 1, Cg))  # (B, G, Cg)
    pix = yc * W + xc
    index = chan[None, :, :, :, None, None, None] * (H * W) + pix[:, :, :, None]
    index = xp.where(valid[:, :, :, None], index, -1)  # (4, B, G, Cg, K, oh, ow)
    vals = _GatherAt.apply(input, index, tuple(input.shape))
    cols = (vals * corner_w).sum(0)  # (B, G, Cg, K, oh, ow)
    if mask is not None:
        cols = cols * mask.to(input.dtype).reshape(B, G, 1, K, oh, ow)
    cols = cols.reshape(B, groups, (Cin // groups) * K, oh * ow)
    w = weight.to(input.dtype).reshape(groups, Cout // groups, (Cin // groups) * K)
    out = ember.matmul(w, cols).reshape(B, Cout, oh, ow)
    if bias is not None:
        out = out + bias.to(input.dtype).reshape(1, Cout, 1, 1)
    return out


class DeformConv2d(nn.Module):
    """Deformable convolution layer; the offsets (and mask) are inputs of ``forward``,
    usually predicted by a plain convolution.

    Args:
        in_channels, out_channels: channels.
        kernel_size, stride, padding, dilation: ints or pairs.
        groups: convolution groups (both channel counts must be divisible by it).
        bias: learn a bias.

    Parameters: ``weight`` ``(out_channels, in_channels // groups, kh, kw)`` and ``bias``
    ``(out_channels,)``, initialised as ``nn.Conv2d`` (torchvision's ``reset_parameters``).

    Example:
        >>> m = DeformConv2d(3, 4, 3, padding=1)
        >>> tuple(m(ember.rand(1, 3, 5, 5), ember.zeros(1, 18, 5, 5)).shape)
        (1, 4, 5, 5)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True) -> None:
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.groups = groups
        self.weight = nn.Parameter(ember.empty(out_channels, in_channels // groups,
                                               *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(ember.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (``a = sqrt(5)``) and ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
        bias, as ``nn.Conv2d``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor, offset: Tensor, mask: Tensor | None = None) -> Tensor:
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride,
                             padding=self.padding, dilation=self.dilation, mask=mask)

    def __repr__(self) -> str:
        s = (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        s += f", padding={self.padding}" if self.padding != (0, 0) else ""
        s += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
        s += ", bias=False" if self.bias is None else ""
        return s + ")"
