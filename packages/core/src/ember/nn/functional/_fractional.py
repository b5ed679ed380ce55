"""Fractional max pooling (Graham, *Fractional Max-Pooling*, 2015):
``fractional_max_pool2d/3d`` and their ``_with_indices`` forms.

Each output cell takes the maximum of a ``kernel_size`` window whose start is drawn
pseudo-randomly, so the effective stride is fractional (input/output, e.g. 1.4). The starts
follow PyTorch's kernel (``aten/src/ATen/native/FractionalMaxPooling.h``,
``generate_intervals``) exactly, given the same ``_random_samples`` ``u`` in [0, 1) per
(sample, channel, spatial dim)::

    alpha    = (in - k) / (out - 1)                     (in the input's dtype)
    start[i] = int((i + u) * alpha) - int(u * alpha)    for i < out - 1
    start[out - 1] = in - k

``_random_samples[..., 0]`` drives the width and ``[..., 1]`` the height in 2-D (PyTorch's
order); in 3-D ``[..., 0]``, ``[..., 1]``, ``[..., 2]`` drive time (depth), height, width.

The forward gathers every window with one fancy index (no loop over batch, channel or pixel),
takes the first maximum (a NaN wins, the last one, as PyTorch's ``val > max || isnan(val)``);
the output is a differentiable gather at the argmax, so the gradient (and the gradient of the
gradient) comes from the shared ``_GatherFlat``/``_ScatterFlat`` pair of max pooling.
"""

from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor, _make
from ...ops._util import xp_of
from ._pool_base import _HALF, _check_float, _GatherFlat, _ntuple

__all__ = [
    "fractional_max_pool2d",
    "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
]

_DIM_WORDS = {2: ("height", "width"), 3: ("time", "height", "width")}
# which column of _random_samples drives each spatial dim (PyTorch: W first in 2-D)
_SAMPLE_COLUMN = {2: (1, 0), 3: (0, 1, 2)}


def _intervals(u, in_size: int, out_size: int, k: int, xp):
    """Window starts, shape ``u.shape + (out_size,)``, computed in ``u``'s dtype as PyTorch."""
    starts = xp.empty(u.shape + (out_size,), dtype=np.int64)
    if out_size > 1:
        dtype = u.dtype
        alpha = dtype.type(in_size - k) / dtype.type(out_size - 1)
        i = xp.arange(out_size - 1, dtype=dtype)
        # the casts truncate toward zero, as C's static_cast<int> (all values are >= 0)
        first = (u * alpha).astype(np.int64)
        starts[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - first[..., None]
    starts[..., -1] = in_size - k
    return starts


def _fractional_max_pool(input, nd, kernel_size, output_size, output_ratio, samples):
    op = f"fractional_max_pool{nd}d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(input).__name__}")
    shape = tuple(input._data.shape)
    spatial_names = ", ".join("DHW"[3 - nd :])
    if len(shape) not in (nd + 1, nd + 2) or 0 in shape:
        raise RuntimeError(
            f"{op}: expected a non-empty input of shape (N, C, {spatial_names}) or "
            f"(C, {spatial_names}), got input of shape {shape}"
        )
    _check_float(input, op)
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    in_size = shape[-nd:]
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = (output_ratio,) * nd if isinstance(output_ratio, (int, float)) else output_ratio
        ratio = tuple(ratio)
        if len(ratio) == 1:
            ratio = ratio * nd
        if len(ratio) != nd:
            raise ValueError(
                f"{op} requires output_ratio to either be a single float or a tuple of {nd} "
                f"floats, got {output_ratio}"
            )
        out = tuple(int(s * r) for s, r in zip(in_size, ratio))
    else:
        out = _ntuple(output_size, nd, "output_size", op)
    words = _DIM_WORDS[nd]
    for o, kk, s, word in zip(out, k, in_size, words):
        if kk <= 0 or o <= 0:
            raise RuntimeError(
                f"{op}(): kernel_size and output size must be positive, got kernel_size {k} "
                f"and output size {out}"
            )
        if o + kk - 1 > s:
            raise RuntimeError(
                f"{op}(): pool {word} {kk} too large relative to input {word} {s}"
            )
    batched = len(shape) == nd + 2
    data = input._data if batched else input._data[None]
    n, c = data.shape[:2]
    if samples is None:
        from ...ops.random import rand

        samples = rand(n, c, nd, dtype=input.dtype, device=input.device)
    u = samples._data if isinstance(samples, Tensor) else samples
    if u.ndim != 3 or u.shape[0] < n or u.shape[1] != c or u.shape[2] != nd:
        raise RuntimeError(
            f"{op}: expected _random_samples of shape ({n}, {c}, {nd}) (batch, channels, "
            f"spatial dims), got {tuple(u.shape)}"
        )
    xp = xp_of(data)
    u = u[:n]
    if u.dtype in _HALF or u.dtype != data.dtype:
        u = u.astype(np.float32 if data.dtype in _HALF else data.dtype)
    # flat plane index of every (output cell, kernel offset): (N, C, *out, *k)
    strides = [math.prod(in_size[j + 1 :]) for j in range(nd)]
    flat = None
    for j in range(nd):
        starts = _intervals(u[:, :, _SAMPLE_COLUMN[nd][j]], in_size[j], out[j], k[j], xp)
        view = [n, c] + [1] * (2 * nd)
        view[2 + j] = out[j]
        offsets = [1] * (2 + 2 * nd)
        offsets[2 + nd + j] = k[j]
        pos = (starts.reshape(view) + xp.arange(k[j]).reshape(offsets)) * strides[j]
        flat = pos if flat is None else flat + pos
    flat = flat.reshape(n, c, *out, -1)
    windows = xp.take_along_axis(data.reshape(n, c, -1), flat.reshape(n, c, -1), axis=-1)
    windows = windows.reshape(flat.shape)
    arg = windows.argmax(axis=-1)  # the first maximum, as PyTorch's strict '>'
    nan = xp.isnan(windows)
    if bool(nan.any()):  # PyTorch's kernel moves on to every NaN: the last one wins
        last = windows.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
        arg = xp.where(nan.any(axis=-1), last, arg)
    index = xp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0].astype(np.int64)
    if not batched:
        index = index[0]
    output = _GatherFlat.apply(input, index, nd)
    return output, _make(index)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    """:func:`fractional_max_pool2d` returning ``(output, indices)`` (flat indices into
    ``H * W``, int64), whatever ``return_indices`` says (as PyTorch)."""
    return _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio,
                                _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None):
    """:func:`fractional_max_pool3d` returning ``(output, indices)`` (flat indices into
    ``D * H * W``, int64)."""
    return _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio,
                                _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """2-D fractional max pooling of an ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Args:
        input: a floating-point tensor.
        kernel_size: the window size, an int or ``(kH, kW)``.
        output_size: the output ``(oH, oW)`` (or one int for both); or instead
        output_ratio: the output size as a fraction of the input's, ``int(H * ratio)``.
        return_indices: also return the flat ``H * W`` argmax indices (for ``max_unpool2d``).
        _random_samples: ``(N, C, 2)`` values in [0, 1) fixing the windows (``[..., 0]`` for
            the width, ``[..., 1]`` for the height); drawn with ``ember.rand`` when None.

    Returns:
        ``(N, C, oH, oW)`` output, and the indices when ``return_indices``.

    Example:
        >>> x = ember.randn(1, 2, 7, 7)
        >>> F.fractional_max_pool2d(x, 2, output_size=5).shape
        ember.Size([1, 2, 5, 5])
    """
    out, index = _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio,
                                      _random_samples)
    return (out, index) if return_indices else out


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """3-D fractional max pooling of an ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input; the
    arguments are :func:`fractional_max_pool2d`'s with three sizes (``_random_samples`` of
    shape ``(N, C, 3)``: depth, height, width).

    Example:
        >>> F.fractional_max_pool3d(ember.randn(1, 1, 6, 6, 6), 2, output_ratio=0.5).shape
        ember.Size([1, 1, 3, 3, 3])
    """
    out, index = _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio,
                                      _random_samples)
    return (out, index) if return_indices else out
