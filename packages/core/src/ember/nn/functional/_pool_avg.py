"""Average pooling (``avg_pool1d/2d/3d``) and power-average pooling (``lp_pool1d/2d/3d``);
see ``_pooling.py`` for the overview. Re-exported by ``_pooling``.
"""

from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ...ops._util import xp_of
from ._pool_base import (
    _check_float,
    _compute,
    _name,
    _ntuple,
    _pad_spatial,
    _Window,
    _window,
)
from ._pool_max import _max_pool

__all__ = [
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
]


# ---------------------------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------------------------


def _divisor(w: _Window, count_include_pad: bool, divisor_override):
    """Per output position, what each window sum is divided by (float64, broadcastable to the
    output's spatial shape). PyTorch's rule per dim: the window [o*s - p, o*s - p + k) is first
    clipped to the padded extent (L + p) -- its size is the divisor with count_include_pad --
    then to the input -- its size is the divisor without. A box, so the divisor is a product
    of per-dim sizes."""
    if divisor_override is not None:
        return np.float64(divisor_override)
    nd = len(w.kernel)
    div = np.ones((1,) * nd)
    for j in range(nd):
        start = np.arange(w.out_size[j]) * w.stride[j] - w.lo[j]
        end = np.minimum(start + w.kernel[j], w.in_size[j] + w.lo[j])
        if count_include_pad:
            size = end - start
        else:
            size = np.minimum(end, w.in_size[j]) - np.maximum(start, 0)
        shape = [1] * nd
        shape[j] = -1
        div = div * size.reshape(shape)
    return div


def _axis_slice(ndim, axis, sl):
    key = [slice(None)] * ndim
    key[axis] = sl
    return tuple(key)


def _window_sum(padded, w: _Window):
    """Sum of each (box) window, one axis at a time: summing k strided slabs along the last
    axis, then along the one before, ... costs sum(k) passes instead of prod(k)."""
    nd = len(w.kernel)
    out = padded
    for j in reversed(range(nd)):
        axis = out.ndim - nd + j
        k, s, m = w.kernel[j], w.stride[j], w.out_size[j]
        total = None
        for t in range(k):
            part = out[_axis_slice(out.ndim, axis, slice(t, t + s * (m - 1) + 1, s))]
            total = part.copy() if total is None else total.__iadd__(part)
        out = total
    return out


def _window_sum_t(g, w: _Window):
    """Adjoint of :func:`_window_sum`: every window's value added back over its window (the
    same axis-by-axis order reversed), giving the padded input's shape."""
    xp = xp_of(g)
    nd = len(w.kernel)
    out = g
    padded = w.padded_size()
    for j in range(nd):
        axis = out.ndim - nd + j
        k, s, m = w.kernel[j], w.stride[j], w.out_size[j]
        shape = list(out.shape)
        shape[axis] = padded[j]
        acc = xp.zeros(tuple(shape), out.dtype)
        for t in range(k):
            acc[_axis_slice(acc.ndim, axis, slice(t, t + s * (m - 1) + 1, s))] += out
        out = acc
    return out


def _avg_forward(data, w: _Window, divisor):
    xp = xp_of(data)
    integer = data.dtype.kind in "iub"
    comp = data.astype(np.int64) if integer else _compute(data)
    total = _window_sum(_pad_spatial(comp, w, 0), w)
    if integer:  # PyTorch divides integer sums with truncation toward zero
        div = xp.asarray(divisor).astype(np.int64)
        out = xp.abs(total) // div * xp.sign(total)
    else:
        out = total.__itruediv__(xp.asarray(divisor).astype(comp.dtype))
    return out.astype(data.dtype, copy=False)


def _avg_transpose(data, w: _Window, divisor):
    """Adjoint of :func:`_avg_forward`: each output's share added back to its window."""
    xp = xp_of(data)
    comp = _compute(data)
    out = _window_sum_t(comp / xp.asarray(divisor).astype(comp.dtype), w)
    if any(w.lo) or any(w.hi):
        crop = tuple(slice(a, a + n) for a, n in zip(w.lo, w.in_size))
        out = xp.ascontiguousarray(out[(Ellipsis,) + crop])
    return out.astype(data.dtype, copy=False)


class _AvgPool(Function):
    @staticmethod
    def forward(ctx, x, w, divisor):
        if ctx.needs_input_grad:
            ctx.args = (w, divisor)
        return _avg_forward(x._data, w, divisor)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPoolT.apply(grad, *ctx.args), None, None


class _AvgPoolT(Function):
    @staticmethod
    def forward(ctx, g, w, divisor):
        if ctx.needs_input_grad:
            ctx.args = (w, divisor)
        return _avg_transpose(g._data, w, divisor)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPool.apply(grad, *ctx.args), None, None


def _avg_pool(input, nd, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, op):
    w = _window(input, nd, kernel_size, stride, padding, 1, ceil_mode, op)
    if input._data.dtype == np.bool_ or input._data.dtype.kind in "uc":
        _check_float(input, op)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{_name(op)}: divisor must be not zero")
    return _AvgPool.apply(input, w, _divisor(w, count_include_pad, divisor_override))


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L) input.

    Args:
        kernel_size, stride (default: kernel_size), padding (implicit zeros, at most half the
        kernel): ints or 1-tuples.
        ceil_mode: ceil instead of floor for the output length.
        count_include_pad: divide by the window size including the zero padding (True) or by
            the number of input elements in the window.

    Example:
        >>> F.avg_pool1d(ember.tensor([[[1., 2., 3., 4., 5., 6., 7.]]]), 3, stride=2)
        tensor([[[2., 4., 6.]]])
    """
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W) input; args as :func:`avg_pool1d`
    (ints or pairs), plus ``divisor_override``: divide every window sum by this instead."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) input; args as
    :func:`avg_pool2d`."""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool3d")



# ---------------------------------------------------------------------------------------------
# Power-average pooling
# ---------------------------------------------------------------------------------------------


def _lp_pool(input, nd, norm_type, kernel_size, stride, ceil_mode, op):
    """PyTorch's composition: (sum over the window of x**p) ** (1/p), as an average pooling
    times the window size; p = +-inf is a max pooling of |x|."""
    if norm_type == math.inf:
        return _max_pool(input.abs(), nd, kernel_size, stride, 0, 1, ceil_mode, False, op)
    if norm_type == -math.inf:
        return -_max_pool(-input.abs(), nd, kernel_size, stride, 0, 1, ceil_mode, False, op)
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    out = _avg_pool(input.pow(norm_type), nd, kernel_size, stride, 0, ceil_mode, True, None, op)
    # sign * relu(|.|) keeps the gradient at exactly 0 where the window sum is 0.
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: ``(sum_{window} x**p) ** (1/p)`` over (N, C, L) or (C, L) input.
    p = inf gives max pooling of |x|; p = 1 sum pooling. Where a window's sum is zero the
    gradient is set to zero.

    Example:
        >>> F.lp_pool1d(ember.tensor([[[3., 4., 1.]]]), 2, 2)
        tensor([[[5.]]])
    """
    return _lp_pool(input, 1, norm_type, kernel_size, stride, ceil_mode, "lp_pool1d")


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling; see :func:`lp_pool1d`."""
    return _lp_pool(input, 2, norm_type, kernel_size, stride, ceil_mode, "lp_pool2d")


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """3-D power-average pooling; see :func:`lp_pool1d`."""
    return _lp_pool(input, 3, norm_type, kernel_size, stride, ceil_mode, "lp_pool3d")
