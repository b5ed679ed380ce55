"""Vision functions: ``pad``, ``interpolate`` (and the deprecated ``upsample*``),
``pixel_shuffle``/``pixel_unshuffle``, ``channel_shuffle``, ``grid_sample``, ``affine_grid``,
``one_hot``.

Resampling is separable: along each spatial axis an output position reads a few input taps
(1 for nearest, 2 for linear, 4 for cubic, a support-scaled number for antialiasing) with
weights, computed once per size (and cached) as small (out, taps) index/weight arrays that
follow PyTorch's coordinate conventions exactly. The taps are applied by the
``_AxisResample`` Function of ``_pooling.py``, whose backward is the transposed map (again a
gather), so interpolation is differentiable to any order with no loop over pixels. Reflect,
replicate and circular padding are the same operator with one tap of weight 1 per output.

grid_sample is composed of differentiable ops (the coordinates and tap weights are functions
of the grid) around one gather of all taps, so it too has gradients of every order w.r.t.
both input and grid.

The pixel/channel shuffles live in ``_shuffle.py`` and grid_sample / affine_grid in
``_grid_sample.py``; both are re-exported here.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...ops._util import xp_of
from ._grid_sample import affine_grid, grid_sample  # noqa: F401  (re-exported)
from ._pool_base import _is_float
from ._pooling import _adaptive_avg_pool, _name, cached_plan, resample_axes
from ._shuffle import (  # noqa: F401  (re-exported)
    channel_shuffle,
    native_channel_shuffle,
    pixel_shuffle,
    pixel_unshuffle,
)

__all__ = [
    "pad",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "native_channel_shuffle",
    "grid_sample",
    "affine_grid",
    "one_hot",
]

# ---------------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------------


class _ConstantPad(Function):
    """Constant padding by ``pads`` ((before, after) per dim from the last dim backwards;
    negative values crop). Linear in x, and its adjoint is the same op with the pads negated
    and value 0 (crop where we padded, zero-pad where we cropped)."""

    @staticmethod
    def forward(ctx, x, pads, value):
        if ctx.needs_input_grad:
            ctx.pads = pads
        data = x._data
        nd = len(pads) // 2
        src, dst, shape = [], [], list(data.shape)
        for i in range(nd):
            axis = data.ndim - 1 - i
            lo, hi, n = pads[2 * i], pads[2 * i + 1], data.shape[axis]
            shape[axis] = n + lo + hi
            src.append(slice(max(-lo, 0), n - max(-hi, 0)))
            dst.append(slice(max(lo, 0), max(lo, 0) + n - max(-lo, 0) - max(-hi, 0)))
        out = xp_of(data).full(tuple(shape), value, data.dtype)
        out[(Ellipsis,) + tuple(reversed(dst))] = data[(Ellipsis,) + tuple(reversed(src))]
        return out

    @staticmethod
    def backward(ctx, grad):
        return _ConstantPad.apply(grad, tuple(-p for p in ctx.pads), 0), None, None


@cached_plan
def _pad_plan(mode: str, n: int, lo: int, hi: int):
    """Reflect/replicate/circular padding of one axis as a one-tap plan (None: no padding)."""
    if lo == 0 and hi == 0:
        return None
    return _pad_index(mode, n, lo, hi)[:, None], None, n


def _pad_index(mode: str, n: int, lo: int, hi: int):
    """Source index along one axis for each output position of reflect/replicate/circular
    padding by (lo, hi); negative values crop."""
    out_n = n + lo + hi
    c = np.arange(out_n) - lo  # output position -> input coordinate
    if mode == "reflect":
        period = 2 * (n - 1)
        c = np.abs(c) % period if period else np.zeros_like(c)
        return np.where(c >= n, period - c, c)
    if mode == "replicate":
        return np.clip(c, 0, n - 1)
    # circular: PyTorch crops (negative pads) first and wraps around what is left.
    start = max(-lo, 0)
    kept = n - start - max(-hi, 0)
    j = np.arange(out_n) - max(lo, 0)
    return j % max(kept, 1) + start


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad (or, with negative values, crop) the last ``len(pad) // 2`` dimensions.

    Args:
        pad: ``(left, right)`` for the last dim, then ``(top, bottom)`` for the one before,
            then ``(front, back)``.
        mode: ``'constant'`` (any number of dims), or ``'reflect'`` (mirror without repeating
            the edge), ``'replicate'`` (repeat the edge), ``'circular'`` (wrap around) for the
            last 1, 2 or 3 dims of a batched or unbatched input.
        value: the fill value of constant padding (default 0), cast to the input's dtype.

    Example:
        >>> F.pad(ember.tensor([[1., 2., 3.]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    return _pad(input, pad, mode, value, "pad")


def _pad(input, pad, mode, value, op):
    """:func:`pad`, with errors naming ``op`` (a function name or the padding module)."""
    name = _name(op)
    for p in pad:
        if not isinstance(p, (int, np.integer)):
            raise TypeError(f"{name}: argument 'pad' must be a tuple of ints, but found element "
                            f"of type {type(p).__name__}")
    pads = tuple(int(p) for p in pad)
    shape = tuple(input._data.shape)
    ndim = len(shape)
    if len(pads) % 2:
        raise RuntimeError(f"{name}: Padding length must be divisible by 2, got {pads}")
    nd = len(pads) // 2
    if nd > ndim:
        raise RuntimeError(
            f"{name}: Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pads)} and input of dimension {ndim}"
        )
    if mode == "constant":
        for i in range(nd):
            if shape[ndim - 1 - i] + pads[2 * i] + pads[2 * i + 1] < 0:
                raise RuntimeError(
                    f"{name}: the padding {pads[2 * i : 2 * i + 2]} crops dimension {ndim - 1 - i} "
                    f"of input {shape} to a negative size"
                )
        return _ConstantPad.apply(input, pads, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"{name}: Unrecognised padding mode {mode}; expected 'constant', "
                                  f"'reflect', 'replicate' or 'circular'")
    if value is not None and value != 0:
        raise RuntimeError(f'{name}: Padding mode "{mode}" doesn\'t take in value argument')
    if nd not in (1, 2, 3) or ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"{name}: {mode} padding of the last {nd} dims supports {nd + 1}D or {nd + 2}D input; "
            f"Padding size {len(pads)} is not supported for {ndim}D input tensor."
        )
    if input._data.dtype == np.bool_:
        raise NotImplementedError(f'{name}: "{mode}" padding not implemented for bool tensors')
    plans = []
    for i in range(nd):
        axis = ndim - 1 - i
        lo, hi, n = pads[2 * i], pads[2 * i + 1], shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"{name}: Padding size should be less than the corresponding input dimension, but "
                f"got: padding ({lo}, {hi}) at dimension {axis} of input {list(shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(
                f"{name}: Padding value causes wrapping around more than once: padding ({lo}, "
                f"{hi}) at dimension {axis} of input {list(shape)}"
            )
        if mode != "circular" and n + lo + hi < 1:
            raise RuntimeError(f"{name}: input (size {n} at dimension {axis}) is too small. "
                               f"Calculated output size: {n + lo + hi}")
        if mode == "circular" and n + lo + hi < 0:
            raise RuntimeError(f"{name}: Negative padding value is resulting in an empty "
                               f"dimension: padding ({lo}, {hi}) of size {n}")
        if mode == "circular" and n - max(-lo, 0) - max(-hi, 0) <= 0 and n + lo + hi > 0:
            # PyTorch reads uninitialised memory here; an error is the honest answer.
            raise RuntimeError(f"{name}: circular padding cannot wrap around an empty "
                               f"dimension (size {n} cropped by ({lo}, {hi}))")
        plans.append(_pad_plan(axis, mode, n, lo, hi))
    return resample_axes(input, plans)


# ---------------------------------------------------------------------------------------------
# interpolate
# ---------------------------------------------------------------------------------------------

_MODE_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5, "lanczos": 4}
_AXIS_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _cubic_weights(t, a):
    """Keys' cubic convolution weights of the 4 taps at offsets -1, 0, 1, 2 from floor(x),
    t = x - floor(x) (PyTorch's get_cubic_upsample_coefficients with A = a)."""

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _aa_filter(mode):
    if mode == "bilinear":
        return 2, lambda x: np.maximum(0.0, 1.0 - np.abs(x))
    if mode == "bicubic":
        # PIL's bicubic (a = -0.5), as PyTorch's antialiased kernel uses.
        def cubic(x):
            x = np.abs(x)
            a = -0.5
            return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                            np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))

        return 4, cubic

    def lanczos(x):  # Lanczos-3 windowed sinc
        return np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0.0)

    return 6, lanczos


def _interp_axis(mode, n_in, n_out, align_corners, sf, antialias, ft, dim):
    """(index, weight) of shape (n_out, taps) along one axis, or None for the identity.

    ``sf`` is the scale factor handed to the kernel (None when the size was given or
    recomputed); ``ft`` the float type PyTorch computes coordinates in (float32 for float32
    inputs), so that floors land on the same side."""
    j = np.arange(n_out)
    if mode == "nearest" and dim == 2 and n_out in (n_in, 2 * n_in):
        # PyTorch's 2-D nearest kernel (only that one) copies or halves the index when the
        # sizes agree or double, whatever the scale factor says (nearest_idx).
        return (j if n_out == n_in else j // 2)[:, None], None
    if mode in ("nearest", "nearest-exact"):
        # compute_scales_value<float>: the scale is a float32 either way.
        scale = np.float32(1.0 / sf) if sf else np.float32(n_in) / np.float32(n_out)
        if mode == "nearest":  # floorf(dst * scale): float32 arithmetic (matches OpenCV)
            src = np.floor(j.astype(np.float32) * scale)
        else:  # floor((dst + 0.5) * scale): the half-pixel-centred variant, in double
            src = np.floor((j + 0.5) * np.float64(scale))
        return np.minimum(src.astype(np.int64), n_in - 1)[:, None], None
    if align_corners:
        scale = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    else:
        scale = ft(1.0 / sf) if sf else ft(n_in) / ft(n_out)
    if antialias:
        interp, filt = _aa_filter(mode)
        scale = float(scale)
        support = interp / 2 * scale if scale >= 1 else interp / 2
        invscale = 1 / scale if scale >= 1 else 1.0
        center = scale * (j + 0.5)
        xmin = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
        xsize = np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in) - xmin
        taps = np.arange(max(int(xsize.max()), 1))
        w = filt((taps[None, :] + xmin[:, None] - center[:, None] + 0.5) * invscale)
        w = np.where(taps[None, :] < xsize[:, None], w, 0.0)
        total = w.sum(axis=1, keepdims=True)
        w = np.divide(w, total, out=w, where=total != 0)
        return np.minimum(xmin[:, None] + taps[None, :], n_in - 1), w
    jj = j.astype(ft)
    src = scale * jj if align_corners else scale * (jj + ft(0.5)) - ft(0.5)
    if mode == "bicubic":
        i0 = np.floor(src)
        t = (src - i0).astype(np.float64)
        index = np.clip(i0.astype(np.int64)[:, None] + np.arange(-1, 3), 0, n_in - 1)
        return index, _cubic_weights(t, -0.75)
    if n_in == n_out:  # PyTorch copies when the sizes agree, whatever the scale factor
        return None
    src = np.maximum(src, ft(0))
    i0 = src.astype(np.int64)
    i1 = i0 + (i0 < n_in - 1)
    l1 = (src - i0.astype(ft)).astype(np.float64)
    return np.stack([i0, i1], axis=1), np.stack([1 - l1, l1], axis=1)


@cached_plan
def _interp_plan(mode, n_in, n_out, align_corners, sf, antialias, ft, dim):
    taps = _interp_axis(mode, n_in, n_out, align_corners, sf, antialias, ft, dim)
    return None if taps is None else (taps[0], taps[1], n_in)


def _output_sizes(input, dim, size, scale_factor, recompute_scale_factor, mode):
    spatial = list(input._data.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    f"interpolate: Input and output must have the same number of spatial "
                    f"dimensions, but got input with spatial dimensions of {spatial} and "
                    f"output size of {size}. Please provide input tensor in (N, C, d1, d2, "
                    f"...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            if not all(isinstance(s, (int, np.integer)) for s in size):
                raise TypeError(
                    f"interpolate: expected size to be one of int or Tuple[int] or Tuple[int, "
                    f"int] or Tuple[int, int, int], but got size with types "
                    f"{[type(s) for s in size]}"
                )
            return [int(s) for s in size], [None] * dim
        return [int(size)] * dim, [None] * dim
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                f"interpolate: Input and scale_factor must have the same number of spatial "
                f"dimensions, but got input with spatial dimensions of {spatial} and "
                f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, "
                f"d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
            )
        factors = [float(s) for s in scale_factor]
    else:
        factors = [float(scale_factor)] * dim
    out = [int(math.floor(n * s)) for n, s in zip(spatial, factors)]
    if recompute_scale_factor or mode == "area":  # the kernel recomputes in/out itself
        return out, [None] * dim
    return out, factors


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dimensions of (N, C, *spatial) input.

    Args:
        size: the output spatial size (an int or one per spatial dim), or
        scale_factor: a multiplier (output size = floor(input size * scale_factor)).
        mode: ``'nearest'`` (3-5D; source = floor(dst * scale), like OpenCV), ``'nearest-exact'``
            (floor((dst + 0.5) * scale), like PIL/scikit-image), ``'linear'`` (3D),
            ``'bilinear'`` / ``'bicubic'`` (4D; bicubic is Keys' kernel with A = -0.75 and edge
            clamping), ``'trilinear'`` (5D), ``'area'`` (adaptive average pooling),
            ``'lanczos'`` (4D, antialias=True only).
        align_corners: for the linear/cubic modes. False (the default) maps pixel centres
            with half-pixel offsets, src = (dst + 0.5) * scale - 0.5; True maps the corner
            pixels' centres onto each other, src = dst * (in - 1) / (out - 1).
        recompute_scale_factor: with scale_factor, compute coordinates from the integer
            output size (in / out) rather than from 1 / scale_factor.
        antialias: for bilinear/bicubic downsampling, widen the kernel by the scale factor
            (a separable, normalised filter as PyTorch and PIL use), so it averages rather
            than skips pixels.

    Returns:
        (N, C, *out_size), the input's dtype. uint8 input is accepted by the nearest modes and
        by bilinear/bicubic (computed in float32, rounded and saturated; PyTorch's uint8
        kernel uses 16-bit fixed-point weights, so a value may differ from it by 1).

    Example:
        >>> F.interpolate(ember.tensor([[[1., 2.]]]), scale_factor=2, mode="linear")
        tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    ndim = input._data.ndim
    known = ("nearest", "nearest-exact", "area", *_MODE_DIMS)
    if ndim not in (3, 4, 5) or mode not in known or (
        mode in ("bicubic", "lanczos") and ndim != 4
    ):
        raise NotImplementedError(
            f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got "
            f"{ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
            f"lanczos | area | nearest-exact (got {mode})"
        )
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != ndim:
        raise NotImplementedError(f"interpolate: Got {ndim}D input, but {mode} mode needs "
                                  f"{_MODE_DIMS[mode]}D input")
    dim = ndim - 2
    out_size, factors = _output_sizes(input, dim, size, scale_factor, recompute_scale_factor,
                                      mode)
    if antialias and mode not in ("bilinear", "bicubic", "lanczos"):
        raise ValueError("interpolate: Anti-alias option is restricted to bilinear, bicubic, "
                         "and lanczos modes and requires a 4-D tensor as input")
    if mode == "lanczos" and (align_corners or not antialias):
        raise ValueError("interpolate: Lanczos mode requires antialias=True and "
                         "align_corners=False")
    in_size = input._data.shape[2:]
    if min(in_size) <= 0 or min(out_size) <= 0:
        names = _AXIS_NAMES[dim]
        i = ", ".join(f"{a}: {n}" for a, n in zip(names, in_size))
        o = ", ".join(f"{a}: {n}" for a, n in zip(names, out_size))
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but "
                           f"got input ({i}) output ({o})")
    if mode == "area":
        return _adaptive_avg_pool(input, dim, out_size, f"adaptive_avg_pool{dim}d")
    data = input._data
    uint8 = data.dtype == np.uint8
    if mode not in ("nearest", "nearest-exact") and not (uint8 or _is_float(data)):
        raise NotImplementedError(f'interpolate: "{mode}" not implemented for '
                                  f"{dt.from_numpy_dtype(data.dtype).name}; cast to float")
    ft = np.float64 if data.dtype == np.float64 else np.float32
    # The last axis first, as PyTorch's separable kernels (same result up to rounding).
    plans = [_interp_plan(2 + j, mode, in_size[j], out_size[j], align_corners, factors[j],
                          antialias, ft, dim) for j in reversed(range(dim))]
    if uint8 and mode not in ("nearest", "nearest-exact"):
        xp = xp_of(data)
        out = resample_axes(_make(data.astype(np.float32)), plans)._data
        return _make(xp.clip(xp.floor(out + 0.5), 0, 255).astype(np.uint8))
    return resample_axes(input, plans)


def upsample(input: Tensor, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------------
# one_hot
# ---------------------------------------------------------------------------------------------


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """One-hot encode int64 class indices: (*) -> (*, num_classes), int64.

    Args:
        num_classes: the number of classes; -1 infers it as max + 1.

    Example:
        >>> F.one_hot(ember.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor "
                           f"(int64), got {tensor.dtype}; convert with .long()")
    xp = xp_of(data)
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                               "tensor; pass num_classes.")
        num_classes = int(data.max()) + 1
    if data.size:
        if int(data.min()) < 0:
            raise RuntimeError(f"one_hot: Class values must be non-negative, got "
                               f"{int(data.min())}.")
        if int(data.max()) >= num_classes:
            raise RuntimeError(f"one_hot: Class values must be smaller than num_classes "
                               f"({num_classes}), got {int(data.max())}.")
    elif num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be -1 or non-negative, got "
                           f"{num_classes}.")
    return _make((data[..., None] == xp.arange(num_classes)).astype(np.int64))
