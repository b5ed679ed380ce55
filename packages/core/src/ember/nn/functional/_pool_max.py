"""Max pooling (``max_pool1d/2d/3d`` and their ``_with_indices`` forms) and max unpooling
(``max_unpool1d/2d/3d``); see ``_pooling.py`` for the overview. Re-exported by ``_pooling``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of
from ._pool_base import (
    _HALF,
    _SPATIAL,
    _GatherFlat,
    _lowest,
    _name,
    _ntuple,
    _pad_spatial,
    _region,
    _Window,
    _window,
)

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]


# ---------------------------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------------------------


def _offsets(w: _Window):
    return itertools.product(*(range(k) for k in w.kernel))


def _max_values(padded, w: _Window):
    """Each window's maximum: a running ``maximum`` over the kernel offsets, each one strided
    slab of the whole batch (NaN propagates, as in PyTorch)."""
    xp = xp_of(padded)
    out = None
    for offset in _offsets(w):
        part = padded[(Ellipsis,) + _region(offset, w)]
        out = part.copy() if out is None else xp.maximum(out, part, out=out)
    return out


def _max_pool_arrays(data, w: _Window):
    """(values, flat indices into the input plane) of each window's maximum, with PyTorch's
    choices: the first maximum on ties; among NaNs the last one (its kernel replaces the
    running max whenever it meets a NaN); in a window whose maximum is -inf, the first
    in-bounds position (where its kernel starts and never moves from)."""
    xp = xp_of(data)
    nd = len(w.kernel)
    lowest = _lowest(data.dtype)
    padded = _pad_spatial(data, w, lowest)
    values = _max_values(padded, w)
    plane = [math.prod(w.in_size[j + 1 :]) for j in range(nd)]  # flat stride of each dim
    offsets = list(_offsets(w))
    # The chosen offset's number (a small int: cheap to write K times), then
    # index = window start (flat) + that offset's flat delta, read from a table.
    arg = xp.zeros(values.shape, np.uint8 if len(offsets) < 256 else np.int64)
    mask = xp.empty(values.shape, np.bool_)
    for k in reversed(range(len(offsets))):  # reversed: the first equal offset wins
        xp.equal(padded[(Ellipsis,) + _region(offsets[k], w)], values, out=mask)
        xp.copyto(arg, k, where=mask)
    if values.dtype.kind == "f" or values.dtype in _HALF:
        if bool(xp.isnan(values).any()):
            for k, offset in enumerate(offsets):
                xp.isnan(padded[(Ellipsis,) + _region(offset, w)], out=mask)
                xp.copyto(arg, k, where=mask)
    deltas = xp.asarray([sum(k * d * st for k, d, st in zip(off, w.dilation, plane))
                         for off in offsets], dtype=np.int64)
    index = deltas[arg]
    start, first = 0, 0
    for j in range(nd):
        shape = [1] * nd
        shape[j] = -1
        sj = xp.arange(w.out_size[j]) * w.stride[j] - w.lo[j]
        fj = sj + (-(-xp.maximum(-sj, 0) // w.dilation[j])) * w.dilation[j]
        start = start + (sj * plane[j]).reshape(shape)
        first = first + (fj * plane[j]).reshape(shape)
    index += start
    if bool((values == lowest).any()):  # possibly a padded position: use the first valid one
        index = xp.where(values == lowest, first, index)
    return values, index


def _max_pool(input, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              op):
    w = _window(input, nd, kernel_size, stride, padding, dilation, ceil_mode, op)
    data = input._data
    if data.dtype == np.bool_ or data.dtype.kind == "c":
        raise NotImplementedError(
            f'"{_name(op)}" not implemented for {dt.from_numpy_dtype(data.dtype).name}'
        )
    recording = STATE.enabled and input.requires_grad
    if not (recording or return_indices):
        return _make(_max_values(_pad_spatial(data, w, _lowest(data.dtype)), w))
    values, index = _max_pool_arrays(data, w)
    if recording:
        out = _GatherFlat.apply(input, index, nd, w.disjoint(), values)
    else:
        out = _make(values)
    return (out, _make(index)) if return_indices else out


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool1d` that always returns ``(output, indices)``."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool1d")


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool2d` that always returns ``(output, indices)``."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool2d")


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool3d` that always returns ``(output, indices)``."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool3d")


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over (N, C, L) or (C, L) input.

    Args:
        kernel_size, stride (default: kernel_size), padding (implicit -inf on both sides, at
        most half the kernel), dilation: ints or 1-tuples.
        ceil_mode: use ceil instead of floor for the output length; a last window must start
            inside the input or the left padding.
        return_indices: also return the argmax positions (flat indices into L), as
            :func:`max_unpool1d` expects.

    Shape: L_out = floor((L + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1.

    Example:
        >>> F.max_pool1d(ember.tensor([[[1., 3., 2., 5.]]]), 2)
        tensor([[[3., 5.]]])
    """
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling over (N, C, H, W) or (C, H, W) input.

    Args as :func:`max_pool1d`, each an int or a pair. The indices (``return_indices=True``)
    are flat positions ``h * W + w`` into each input plane, as PyTorch returns them.

    Example:
        >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
        >>> F.max_pool2d(x, 2, return_indices=True)[1]
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool2d")


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input; args as :func:`max_pool2d`
    (indices are flat positions ``(d * H + h) * W + w``)."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool3d")



# ---------------------------------------------------------------------------------------------
# Max unpooling
# ---------------------------------------------------------------------------------------------


class _MaxUnpool(Function):
    """Zeros of the output size with ``x`` written at ``idx``. A write, not an add: where
    overlapping pooling windows chose the same position, that position gets the value once (as
    in PyTorch). The backward reads the gradient back at ``idx``."""

    @staticmethod
    def forward(ctx, x, idx, spatial):
        nd = len(spatial)
        if ctx.needs_input_grad:
            ctx.args = (idx, nd)
        data = x._data
        xp = xp_of(data)
        lead = data.shape[: data.ndim - nd]
        rows = math.prod(lead)
        out = xp.zeros((rows, math.prod(spatial)), data.dtype)
        out[xp.arange(rows)[:, None], idx.reshape(rows, -1)] = data.reshape(rows, -1)
        return out.reshape(lead + tuple(spatial))

    @staticmethod
    def backward(ctx, grad):
        idx, nd = ctx.args
        return _GatherFlat.apply(grad, idx, nd), None, None


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size, op):
    name = _name(op)
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None else _ntuple(stride, nd, "stride", op)
    p = _ntuple(padding, nd, "padding", op)
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        sp = _SPATIAL[nd]
        raise RuntimeError(f"{name}: expected input of shape (N, C, {sp}) or (C, {sp}), got "
                           f"input of shape {shape}")
    idx = indices._data if isinstance(indices, Tensor) else indices
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}: elements in indices should be type int64 but got: "
                           f"{dt.from_numpy_dtype(idx.dtype).name}")
    if tuple(idx.shape) != shape:
        raise RuntimeError(f"{name}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(shape)}) but got indices tensor with shape: "
                           f"{list(idx.shape)}")
    in_size = shape[len(shape) - nd :]
    default = [(n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(in_size, s, p, k)]
    if output_size is None:
        size = default
    else:
        size = [int(v) for v in output_size]
        if len(size) == nd + 2:
            size = size[2:]
        if len(size) != nd:
            raise ValueError(f"{name}: output_size should be a sequence containing {nd} or "
                             f"{nd + 2} elements, but it has a length of '{len(size)}'")
        for j in range(nd):
            lo, hi = default[j] - s[j], default[j] + s[j]
            if not lo < size[j] < hi:
                raise ValueError(f'{name}: invalid output_size "{tuple(output_size)}" (dim {j} '
                                 f"must be between {lo} and {hi})")
    if min(size) < 0:
        raise ValueError(f"{name}: output_size must contain non-negative spatial dimensions, "
                         f"but got output_size={size}")
    plane = math.prod(size)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= plane):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise RuntimeError(f"{name}: Found an invalid max index: {bad} (output volumes are of "
                           f"size {'x'.join(map(str, size))})")
    return _MaxUnpool.apply(input, idx, tuple(size))


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool1d`: zeros with ``input`` placed at ``indices``.

    Args:
        indices: the int64 indices returned by ``max_pool1d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the pooling.
        output_size: the exact output length (with or without N, C), to undo the ambiguity
            of the pooling's floor division; default ``(L-1)*stride - 2*padding + kernel``.
    """
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size,
                       "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool2d`; see :func:`max_unpool1d`.

    Example:
        >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
        >>> y, i = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2)[0, 0, 1]
        tensor([0., 5., 0., 7.])
    """
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size,
                       "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool3d`; see :func:`max_unpool1d`."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size,
                       "max_unpool3d")


