"""Convolution layers: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``, and ``Unfold``/``Fold``
(im2col / col2im as layers; PyTorch keeps those two in ``fold.py``).

Constructor arguments, parameter names and shapes, default initialisation and ``repr`` are
PyTorch's, so a PyTorch ``state_dict`` loads with ``strict=True``. The computation lives in
:mod:`ember.nn.functional._conv`.
"""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...ops.creation import empty
from .. import init
from ..functional import _conv as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Fold",
    "Unfold",
]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_SPATIAL_NAMES = {1: "L", 2: "H, W", 3: "D, H, W"}


def _ntuple(value, n: int) -> tuple[int, ...]:
    """PyTorch's ``_single/_pair/_triple``: a sequence is kept as a tuple (F.conv checks its
    length), anything else repeated ``n`` times."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """The state and checks shared by every convolution layer (PyTorch's ``_ConvNd``)."""

    _dims = 0  # spatial dimensions, set by each subclass

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # The padding in F.pad's order (last dim first, (before, after) pairs), used when
        # padding_mode is not 'zeros'; for 'same' the odd element goes after, as in F.conv.
        if isinstance(padding, str):
            pads = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    pads[2 * i] = total // 2
                    pads[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = pads
        else:
            self._reversed_padding_repeated_twice = [p for p in padding[::-1] for _ in (0, 1)]
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-b, b) with
        b = 1/sqrt(fan_in); bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where fan_in is
        ``weight.shape[1] * prod(kernel_size)`` (for transposed layers: out_channels/groups)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _check_input(self, input) -> None:
        """The cheap shape check at the layer boundary, with a message naming the layer."""
        shape = getattr(getattr(input, "_data", None), "shape", None)
        nd = self._dims
        if shape is None:
            raise TypeError(
                f"{self._get_name()}.forward: expected a Tensor, got {type(input).__name__}"
            )
        if len(shape) not in (nd + 1, nd + 2) or shape[-nd - 1] != self.in_channels:
            c, rest = self.in_channels, _SPATIAL_NAMES[nd]
            raise RuntimeError(
                f"{self._get_name()}({self.extra_repr()}): expected input of shape "
                f"(N, {c}, {rest}) or ({c}, {rest}), got {tuple(shape)}"
            )


class _Conv(_ConvNd):
    _functional = None  # F.conv1d / conv2d / conv3d

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        n = self._dims
        kernel_size = _ntuple(kernel_size, n)
        stride = _ntuple(stride, n)
        padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        dilation = _ntuple(dilation, n)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, (0,) * n, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        conv = type(self)._functional
        if self.padding_mode != "zeros":
            padded = F._mode_pad(input, self._reversed_padding_repeated_twice, self.padding_mode)
            return conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution layer over (N, C_in, L) or (C_in, L) inputs.

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size: int or 1-tuple.
        stride: default 1. padding: int, 1-tuple, ``'valid'`` or ``'same'`` (default 0).
        dilation: default 1. groups: default 1 (``in_channels`` for depthwise).
        bias: learn a per-channel bias (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: of the parameters.

    Shape:
        output (N, C_out, L_out), L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1.

    Attributes:
        weight: (out_channels, in_channels / groups, k). bias: (out_channels,).

    Example:
        >>> nn.Conv1d(16, 33, 3, stride=2)(ember.randn(20, 16, 50)).shape
        ember.Size([20, 33, 24])
    """

    _dims = 1
    _functional = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-d convolution layer over (N, C_in, H, W) or (C_in, H, W) inputs.

    ``out[n, o] = bias[o] + sum_c weight[o, c] (star) input[n, c]`` (cross-correlation).

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size: int or (kH, kW).
        stride: int or pair (default 1).
        padding: int, pair, ``'valid'`` or ``'same'`` (stride 1 only) (default 0).
        dilation: int or pair (default 1).
        groups: independent channel groups (default 1; ``in_channels`` for depthwise).
        bias: learn a per-channel bias (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: of the parameters.

    Shape:
        output (N, C_out, H_out, W_out), H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1.

    Attributes:
        weight: (out_channels, in_channels / groups, kH, kW), initialised
            U(-sqrt(k), sqrt(k)) with k = groups / (in_channels * kH * kW); bias: (out_channels,),
            same distribution.

    Example:
        >>> m = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        >>> m
        Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
        >>> m(ember.randn(2, 3, 16, 16)).shape
        ember.Size([2, 8, 16, 16])
    """

    _dims = 2
    _functional = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-d convolution layer over (N, C_in, D, H, W) or (C_in, D, H, W) inputs; arguments as
    :class:`Conv2d` with triples. weight: (out_channels, in_channels / groups, kD, kH, kW).

    Example:
        >>> nn.Conv3d(2, 4, 3, padding=1)(ember.randn(1, 2, 5, 6, 7)).shape
        ember.Size([1, 4, 5, 6, 7])
    """

    _dims = 3
    _functional = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    _functional = None  # F.conv_transpose1d / 2d / 3d

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}'
            )
        n = self._dims
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         _ntuple(padding, n), _ntuple(dilation, n), True,
                         _ntuple(output_padding, n), groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple[int, ...]:
        """``output_padding`` that makes the output ``output_size`` (PyTorch's rule: any size
        from the formula's minimum to minimum + stride - 1 can be asked for)."""
        if output_size is None:
            return self.output_padding
        nd = self._dims
        output_size = [int(s) for s in output_size]
        leading = 2 if input.ndim == nd + 2 else 1
        if len(output_size) == nd + leading:
            output_size = output_size[leading:]
        if len(output_size) != nd:
            raise ValueError(
                f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must have {nd} or "
                f"{nd + leading} elements (got {len(output_size)})"
            )
        spatial = input._data.shape[-nd:]
        min_sizes = [
            (spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1) + 1
            for d in range(nd)
        ]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {list(spatial)})"
                )
        return tuple(s - m for s, m in zip(output_size, min_sizes))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        """Args: input; output_size: optional spatial size (or full shape) of the output,
        resolving the ambiguity of strided layers (instead of ``output_padding``)."""
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        return type(self)._functional(input, self.weight, self.bias, self.stride, self.padding,
                                      output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution layer (the gradient of Conv1d w.r.t. its input); arguments as
    :class:`ConvTranspose2d`. weight: (in_channels, out_channels / groups, k).

    Example:
        >>> nn.ConvTranspose1d(4, 2, 3, stride=2)(ember.randn(1, 4, 5)).shape
        ember.Size([1, 2, 11])
    """

    _dims = 1
    _functional = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution layer ("deconvolution"), used to upsample feature maps.

    Args:
        in_channels, out_channels: channels of the input and output.
        kernel_size: int or pair.
        stride: int or pair (default 1).
        padding: int or pair (default 0): the output is cropped by this on each side.
        output_padding: int or pair (default 0) added to one side of the output; must be
            smaller than stride or dilation.
        groups: default 1. bias: default True. dilation: default 1.
        padding_mode: only ``'zeros'``. device, dtype: of the parameters.

    Shape:
        output (N, C_out, H_out, W_out),
        H_out = (H - 1) s - 2p + d (k - 1) + output_padding + 1.
        ``forward(input, output_size=...)`` picks the output_padding giving that size.

    Attributes:
        weight: (in_channels, out_channels / groups, kH, kW); bias: (out_channels,).

    Example:
        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> up(ember.randn(1, 16, 12, 12), output_size=[24, 24]).shape
        ember.Size([1, 8, 24, 24])
    """

    _dims = 2
    _functional = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution layer; arguments as :class:`ConvTranspose2d` with triples.
    weight: (in_channels, out_channels / groups, kD, kH, kW)."""

    _dims = 3
    _functional = staticmethod(F.conv_transpose3d)


class Unfold(Module):
    """Extract sliding local blocks (im2col) from (N, C, H, W) or (C, H, W) inputs:
    :func:`ember.nn.functional.unfold` as a layer.

    Args:
        kernel_size: int or pair. dilation, padding, stride: int or pair (1, 0, 1).

    Shape:
        output (N, C * kH * kW, L), L the number of blocks.

    Example:
        >>> nn.Unfold(kernel_size=(2, 3))(ember.randn(2, 5, 3, 4)).shape
        ember.Size([2, 30, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            "kernel_size={kernel_size}, dilation={dilation}, padding={padding},"
            " stride={stride}".format(**self.__dict__)
        )


class Fold(Module):
    """Combine sliding local blocks into an image (col2im), summing overlaps:
    :func:`ember.nn.functional.fold` as a layer.

    Args:
        output_size: (H, W) of the image. kernel_size, dilation, padding, stride: as
            :class:`Unfold`.

    Shape:
        input (N, C * kH * kW, L) or (C * kH * kW, L); output (N, C, H, W) or (C, H, W).

    Example:
        >>> nn.Fold(output_size=(4, 5), kernel_size=2)(ember.randn(1, 12, 12)).shape
        ember.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (
            "output_size={output_size}, kernel_size={kernel_size}, dilation={dilation}, "
            "padding={padding}, stride={stride}".format(**self.__dict__)
        )
