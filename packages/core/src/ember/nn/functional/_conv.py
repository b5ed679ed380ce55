"""Convolutions: ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``, ``unfold`` (im2col), ``fold``.

One N-d implementation serves every spatial rank. A convolution is lowered to matrix products:

* im2col: a strided *view* of the zero-padded input, shape (N, C, *kernel, *out), costs no copy;
  reshaping it to columns (N, C*K, L) (K = prod(kernel), L = prod(out)) is the one copy.
* conv: weight (O, C*K) @ columns -> (N, O, L), already in NC(D)HW order; groups are a batch
  dimension of the same matmul, (G, O/G, C/G*K) @ (N, G, C/G*K, L), so depthwise convolution
  needs no special case.
* conv_transpose, the adjoint of conv w.r.t. its input: weight^T @ y gives columns, and col2im
  adds each column entry back where it was read from (a loop over kernel offsets only).
* conv_weight, the adjoint of conv w.r.t. its weight: y @ columns^T, summed over the batch.

The three are bilinear and each other's derivatives, so every backward is written with them and
gradients of any order come for free (the identities follow from <conv(x, w), y> =
<x, conv_transpose(y, w)> = <w, conv_weight(x, y)>)::

    y = conv(x, w)            dx = conv_transpose(dy, w)    dw = conv_weight(x, dy)
    x = conv_transpose(y, w)  dy = conv(dx, w)              dw = conv_weight(dx, y)
    w = conv_weight(x, y)     dx = conv_transpose(y, dw)    dy = conv(x, dw)

Everything goes through ``xp`` (NumPy or CuPy: ``as_strided`` exists in both).

The kernels and Functions live in ``_conv_ops.py``; the non-zero ``padding_mode`` support of
the Conv modules in ``_conv_pad.py`` (``_mode_pad`` is re-exported here for them).
"""

from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor
from ...amp.autocast_mode import cast_inputs
from ._conv_ops import (
    _Conv,
    _ConvTranspose,
    _Fold,
    _Geometry,
    _Unfold,
)
from ._conv_pad import _mode_pad  # noqa: F401  (re-exported: ember.nn.modules.conv uses it)

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "unfold",
    "fold",
]


# ---------------------------------------------------------------------------------------------
# Argument checking (once, at the boundary) and geometry
# ---------------------------------------------------------------------------------------------


def _ntuple(value, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int or a sequence of 1 or ``n`` ints as an ``n``-tuple (PyTorch's int-list args)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        if len(value) == n:
            return tuple(int(v) for v in value)
        if len(value) == 1:
            return (int(value[0]),) * n
        raise RuntimeError(
            f"{op}: expected {name} to be a single integer value or a list of {n} values to "
            f"match the convolution dimensions, but got {name}={list(value)}"
        )
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(value).__name__}")


def _sizes(values) -> str:
    return "(" + " x ".join(str(v) for v in values) + ")"


def _check_tensors(op: str, input, weight, bias) -> None:
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{op}(): argument 'bias' must be Tensor, not {type(bias).__name__}")
    x, w = input._data, weight._data
    if type(x) is not type(w) or (bias is not None and type(bias._data) is not type(x)):
        raise RuntimeError(
            f"{op}: expected input, weight and bias on the same device, but got input on "
            f"{input.device}, weight on {weight.device}"
            + (f", bias on {bias.device}" if bias is not None else "")
        )
    if x.dtype != w.dtype:
        raise RuntimeError(
            f"{op}: expected input and weight to have the same dtype, but got input "
            f"{input.dtype} and weight {weight.dtype}; convert one with .to()"
        )
    if bias is not None and bias._data.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: Input type ({input.dtype}) and bias type ({bias.dtype}) should be the same"
        )


def _check_common(op, nd, input, weight, bias, stride, dilation, groups):
    """Checks shared by conv and conv_transpose; returns stride, dilation as tuples."""
    _check_tensors(op, input, weight, bias)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got "
            f"input of size: {list(input._data.shape)}"
        )
    if weight.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected weight to be {nd + 2}-dimensional (channels, channels/groups, "
            f"*kernel), but got weight of size {list(weight._data.shape)}"
        )
    stride = _ntuple(stride, nd, "stride", op)
    dilation = _ntuple(dilation, nd, "dilation", op)
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported, got stride={stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            f"{op}: dilation should be greater than zero, but got dilation={dilation}"
        )
    if not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported, got groups={groups}")
    if weight._data.shape[0] % groups:
        raise RuntimeError(
            f"{op}: Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {list(weight._data.shape)} instead"
        )
    return stride, dilation


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    input, weight, bias = cast_inputs(op, input, weight, bias)
    stride, dilation = _check_common(op, nd, input, weight, bias, stride, dilation, groups)
    wshape = weight._data.shape
    kernel = tuple(wshape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(
                    f"{op}: padding='same' is not supported for strided convolutions"
                )
            # PyTorch's split: total d*(k-1), the odd element goes after (right/bottom)
            total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - a for t, a in zip(total, lo))
        else:
            raise RuntimeError(
                f"{op}: Invalid padding string: {padding!r} (expected 'same' or 'valid')"
            )
    else:
        lo = hi = _ntuple(padding, nd, "padding", op)
        if any(p < 0 for p in lo):
            raise RuntimeError(f"{op}: negative padding is not supported, got padding={lo}")
    shape = input._data.shape
    batched = len(shape) == nd + 2
    channels = shape[1] if batched else shape[0]
    if channels != wshape[1] * groups:
        full = list(shape) if batched else [1, *shape]
        raise RuntimeError(
            f"{op}: Given groups={groups}, weight of size {list(wshape)}, expected "
            f"input{full} to have {wshape[1] * groups} channels, but got {channels} "
            f"channels instead"
        )
    if bias is not None and bias._data.shape != (wshape[0],):
        raise RuntimeError(
            f"{op}: Given weight of size {list(wshape)}, expected bias to be 1-dimensional "
            f"with {wshape[0]} elements, but got bias of size {list(bias._data.shape)} instead"
        )
    in_size = tuple(shape[-nd:])
    padded = tuple(s + a + b for s, a, b in zip(in_size, lo, hi))
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < k for p, k in zip(padded, span)):
        raise RuntimeError(
            f"{op}: Calculated padded input size per channel: {_sizes(padded)}. Kernel size: "
            f"{_sizes(span)}. Kernel size can't be greater than actual input size"
        )
    out_size = tuple((p - k) // s + 1 for p, k, s in zip(padded, span, stride))
    g = _Geometry(kernel, stride, dilation, lo, hi, groups, in_size, out_size)
    if batched:
        return _Conv.apply(input, weight, bias, g)
    return _Conv.apply(input.unsqueeze(0), weight, bias, g).squeeze(0)


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    input, weight, bias = cast_inputs(op, input, weight, bias)
    stride, dilation = _check_common(op, nd, input, weight, bias, stride, dilation, groups)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    padding = _ntuple(padding, nd, "padding", op)
    output_padding = _ntuple(output_padding, nd, "output_padding", op)
    if any(p < 0 for p in padding):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={padding}")
    if any(p < 0 for p in output_padding):
        raise RuntimeError(f"{op}: negative output_padding is not supported")
    if any(p >= s and p >= d for p, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"{op}: output padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    wshape = weight._data.shape
    shape = input._data.shape
    batched = len(shape) == nd + 2
    channels = shape[1] if batched else shape[0]
    if channels != wshape[0]:
        full = list(shape) if batched else [1, *shape]
        raise RuntimeError(
            f"{op}: Given transposed=1, weight of size {list(wshape)}, expected input{full} "
            f"to have {wshape[0]} channels, but got {channels} channels instead"
        )
    out_channels = wshape[1] * groups
    if bias is not None and bias._data.shape != (out_channels,):
        raise RuntimeError(
            f"{op}: Given transposed=1, weight of size {list(wshape)}, expected bias to be "
            f"1-dimensional with {out_channels} elements, but got bias of size "
            f"{list(bias._data.shape)} instead"
        )
    kernel = tuple(wshape[2:])
    in_size = tuple(shape[-nd:])
    out_size = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + q + 1
        for i, s, p, d, k, q in zip(in_size, stride, padding, dilation, kernel, output_padding)
    )
    if any(o < 1 for o in out_size):
        raise RuntimeError(
            f"{op}: Given input size per channel: {_sizes(in_size)}. Calculated output size "
            f"per channel: {_sizes(out_size)}. Output size is too small"
        )
    # the geometry of the convolution this is the adjoint of: its x is our output
    g = _Geometry(kernel, stride, dilation, padding, padding, groups, out_size, in_size)
    if batched:
        return _ConvTranspose.apply(input, weight, bias, g)
    return _ConvTranspose.apply(input.unsqueeze(0), weight, bias, g).squeeze(0)


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-d convolution (cross-correlation) over an input of several channels.

    Args as :func:`conv2d`, with one spatial dimension.

    Shape:
        input (N, C_in, L) or (C_in, L); weight (C_out, C_in/groups, kL);
        output (N, C_out, L_out), L_out = floor((L + 2p - d(kL - 1) - 1) / s) + 1.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation, as in every deep-learning framework) over an input
    of several channels: ``out[n, o] = bias[o] + sum_c weight[o, c] (star) input[n, c]``.

    Args:
        input: (N, C_in, H, W), or (C_in, H, W) unbatched.
        weight: (C_out, C_in / groups, kH, kW).
        bias: optional (C_out,).
        stride: int or (sH, sW).
        padding: int, (pH, pW) zeros on both sides, ``'valid'`` (none) or ``'same'`` (output as
            big as the input; stride 1 only; an odd total goes to the bottom/right).
        dilation: int or (dH, dW), the spacing between kernel elements.
        groups: split the channels into this many independent convolutions (``groups ==
            C_in`` is a depthwise convolution).

    Shape:
        output (N, C_out, H_out, W_out),
        H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1 (W likewise).

    Example:
        >>> x = ember.randn(8, 3, 32, 32)
        >>> F.conv2d(x, ember.randn(16, 3, 3, 3), padding=1).shape
        ember.Size([8, 16, 32, 32])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-d convolution over an input of several channels.

    Args as :func:`conv2d`, with three spatial dimensions.

    Shape:
        input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in/groups, kD, kH, kW).
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-d transposed convolution ("deconvolution"); args as :func:`conv_transpose2d`.

    Shape:
        input (N, C_in, L) or (C_in, L); weight (C_in, C_out/groups, kL);
        L_out = (L - 1) s - 2p + d (kL - 1) + output_padding + 1.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-d transposed convolution: the gradient of :func:`conv2d` w.r.t. its input, used to
    upsample. ``conv2d`` with the same weight and arguments maps the output back to the input's
    shape.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW) (note: in-channels first).
        bias: optional (C_out,).
        stride, padding, dilation: those of the convolution being transposed; ``padding``
            crops that many elements from both sides of each spatial output dimension.
        output_padding: extra size added to one side of the output (must be smaller than
            stride or dilation): picks one of the input sizes a strided conv maps to one size.
        groups: as in :func:`conv2d`.

    Shape:
        output (N, C_out, H_out, W_out),
        H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1 (W likewise).

    Example:
        >>> y = ember.randn(1, 16, 8, 8)
        >>> F.conv_transpose2d(y, ember.randn(16, 3, 4, 4), stride=2, padding=1).shape
        ember.Size([1, 3, 16, 16])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution; args as :func:`conv_transpose2d`, weight
    (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def _block_args(op, kernel_size, dilation, padding, stride):
    kernel = _ntuple(kernel_size, 2, "kernel_size", op)
    dilation = _ntuple(dilation, 2, "dilation", op)
    padding = _ntuple(padding, 2, "padding", op)
    stride = _ntuple(stride, 2, "stride", op)
    for name, values, least in (("kernel_size", kernel, 1), ("dilation", dilation, 1),
                                ("padding", padding, 0), ("stride", stride, 1)):
        if any(v < least for v in values):
            raise RuntimeError(
                f"{op}: {name} should be {'non-negative' if least == 0 else 'greater than zero'}"
                f", but got {name}={values}"
            )
    return kernel, dilation, padding, stride


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks (im2col): each column holds one block's C * kH * kW values.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, dilation, padding, stride: int or pair, as in :func:`conv2d`.

    Shape:
        output (N, C * kH * kW, L), L = number of blocks = H_out * W_out (the output size of a
        convolution with these arguments). ``conv2d(x, w)`` equals
        ``(w.view(O, -1) @ unfold(x, k)).view(N, O, H_out, W_out)``.

    Example:
        >>> F.unfold(ember.randn(2, 3, 5, 5), kernel_size=3).shape
        ember.Size([2, 27, 9])
    """
    op = "unfold"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = input._data.shape
    if len(shape) not in (3, 4) or any(s == 0 for s in shape[-3:]):
        raise RuntimeError(
            f"{op}: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    kernel, dilation, padding, stride = _block_args(op, kernel_size, dilation, padding, stride)
    in_size = tuple(shape[-2:])
    blocks = tuple(
        (s + 2 * p - d * (k - 1) - 1) // t + 1
        for s, p, d, k, t in zip(in_size, padding, dilation, kernel, stride)
    )
    if any(b < 1 for b in blocks):
        raise RuntimeError(
            f"{op}: Given input with spatial size {in_size}, kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding}, calculated shape of the array of sliding "
            f"blocks as {blocks}, but its components must be at least one."
        )
    g = _Geometry(kernel, stride, dilation, padding, padding, 1, in_size, blocks)
    if len(shape) == 4:
        return _Unfold.apply(input, g)
    return _Unfold.apply(input.unsqueeze(0), g).squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks into an image (col2im), summing overlapping values: the
    adjoint of :func:`unfold`, so ``fold(unfold(x))`` is ``x`` times how many blocks cover each
    pixel.

    Args:
        input: (N, C * kH * kW, L) or (C * kH * kW, L).
        output_size: (H, W) of the image.
        kernel_size, dilation, padding, stride: as in :func:`unfold`.

    Shape:
        output (N, C, H, W); L must equal the number of blocks unfold would extract.

    Example:
        >>> F.fold(ember.ones(1, 4, 9), output_size=(4, 4), kernel_size=2)[0, 0]
        tensor([[1., 2., 2., 1.],
                [2., 4., 4., 2.],
                [2., 4., 4., 2.],
                [1., 2., 2., 1.]])
    """
    op = "fold"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    shape = input._data.shape
    if len(shape) not in (2, 3) or any(s == 0 for s in shape[-2:]):
        raise RuntimeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
            f"and non-zero dimensions for input, but got: {list(shape)}"
        )
    out_size = _ntuple(output_size, 2, "output_size", op)
    kernel, dilation, padding, stride = _block_args(op, kernel_size, dilation, padding, stride)
    per_block = math.prod(kernel)
    if shape[-2] % per_block:
        raise RuntimeError(
            f"{op}: Expected size of input's dimension {len(shape) - 2} to be divisible by the "
            f"product of kernel_size, but got input.size({len(shape) - 2})={shape[-2]} and "
            f"kernel_size={kernel}."
        )
    blocks = tuple(
        (s + 2 * p - d * (k - 1) - 1) // t + 1
        for s, p, d, k, t in zip(out_size, padding, dilation, kernel, stride)
    )
    if any(b < 1 for b in blocks) or math.prod(blocks) != shape[-1]:
        raise RuntimeError(
            f"{op}: Given output_size={out_size}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, stride={stride}, expected size of input's dimension "
            f"{len(shape) - 1} to match the calculated number of sliding blocks "
            f"{blocks[0]} * {blocks[1]} = {math.prod(blocks)}, but got "
            f"input.size({len(shape) - 1})={shape[-1]}."
        )
    g = _Geometry(kernel, stride, dilation, padding, padding, 1, out_size, blocks)
    if len(shape) == 3:
        return _Fold.apply(input, g)
    return _Fold.apply(input.unsqueeze(0), g).squeeze(0)
