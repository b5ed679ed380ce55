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
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...ops._util import xp_of
from ._pooling import _adaptive_avg_pool, _GatherFlat, _name, cached_plan, resample_axes

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

_HALF = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))


def _is_float(array) -> bool:
    return array.dtype.kind == "f" or array.dtype in _HALF


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
# Pixel and channel shuffles (views and one copy, through differentiable shape ops)
# ---------------------------------------------------------------------------------------------


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r): ``out[c, h*r + i, w*r + j] =
    in[c*r*r + i*r + j, h, w]`` (sub-pixel convolution, Shi et al. 2016).

    Example:
        >>> F.pixel_shuffle(ember.arange(4.).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    shape = tuple(input._data.shape)
    r = int(upscale_factor)
    if len(shape) < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {len(shape)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = shape[-3:]
    if c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    lead = shape[:-3]
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of :func:`pixel_shuffle`: (*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    shape = tuple(input._data.shape)
    r = int(downscale_factor)
    if len(shape) < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {len(shape)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = shape[-3:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    lead = shape[:-3]
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of (N, C, *) input across ``groups`` (ShuffleNet): channel
    ``g * (C // groups) + k`` moves to ``k * groups + g``."""
    shape = tuple(input._data.shape)
    if len(shape) <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(shape)}")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"channel_shuffle: Number of groups to divide channels in must be "
                           f"positive. Value of groups:{g}")
    n, c = shape[:2]
    if c % g:
        raise RuntimeError(f"channel_shuffle: Number of channels must be divisible by groups. "
                           f"Got {c} channels and {g} groups.")
    x = input.reshape(n, g, c // g, *shape[2:]).transpose(1, 2)
    return x.reshape(shape)


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------------------------
# grid_sample / affine_grid
# ---------------------------------------------------------------------------------------------


def _unnormalize(coord, size: int, align_corners: bool):
    """[-1, 1] -> pixel coordinates: -1 and 1 are the corner pixels' centres (align_corners)
    or their outer edges."""
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return (coord + 1) * (size / 2) - 0.5


def _reflect_array(c, twice_low: int, twice_high: int):
    """PyTorch's reflect_coordinates, as the (slope, offset) of the affine piece each
    coordinate falls on: reflect(c) = slope * c + offset, folding c into [low, high] by
    mirroring at the borders (slope is +-1, or 0 for a single-pixel span)."""
    xp = xp_of(c)
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros_like(c)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    sign = xp.where(c >= low, 1.0, -1.0)  # |c - low| = sign * (c - low)
    flips = xp.floor(xp.abs(c - low) / span)
    # extra = |c - low| - flips * span; even flips: low + extra, odd: low + span - extra
    s = xp.where(flips % 2 == 0, 1.0, -1.0)
    base = xp.where(flips % 2 == 0, low, low + span)
    return s * sign, base - s * (sign * low + flips * span)


def _source_coordinate(coord, size, padding_mode, align_corners):
    """Pixel coordinate after PyTorch's padding rule (border: clip; reflection: mirror then
    clip), kept differentiable: each rule is affine in the coordinate piecewise, with the
    slope and offset computed on the array."""
    c = _unnormalize(coord, size, align_corners)
    if padding_mode == "zeros":
        return c
    if padding_mode == "reflection":
        lo, hi = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        slope, offset = _reflect_array(c._data.astype(np.float64), lo, hi)
        dtype = c._data.dtype
        xp = xp_of(c._data)
        c = c * _make(xp.asarray(slope, dtype=dtype)) + _make(xp.asarray(offset, dtype=dtype))
    c = c.clamp(0, size - 1)
    nan = xp_of(c._data).isnan(c._data)
    if bool(nan.any()):  # PyTorch's clipping sends a NaN coordinate to 0
        from ... import where  # the public op (ops modules are private)

        c = where(_make(nan), 0.0, c)
    return c


def _pad_position(pos, size, padding_mode, align_corners):
    """The border/reflection rule applied to integer tap positions (an array)."""
    if padding_mode == "reflection":
        lo, hi = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        slope, offset = _reflect_array(pos, lo, hi)
        pos = slope * pos + offset
    return xp_of(pos).clip(pos, 0, size - 1)


def _cubic_tap_weights(t, a=-0.75):
    """The 4 cubic convolution weights (taps at -1, 0, 1, 2 from floor) as differentiable
    functions of t = x - floor(x), stacked on dim 1: Keys' kernel, PyTorch's A = -0.75."""
    from ... import stack

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return stack([far(t + 1), near(t), near(1 - t), far(2 - t)], dim=1)


def _axis_taps(c, size, mode, padding_mode, align_corners, const):
    """Along one spatial dim: the integer tap positions (array (N, taps, *out)) and their
    weights (Tensor of the same shape, or None for nearest), from the pixel coordinate c."""
    from ... import stack

    xp = xp_of(c._data)
    if mode == "nearest":  # round half to even, as nearbyint; NaN and far outside: no pixel
        pos = xp.nan_to_num(xp.clip(xp.rint(c._data), -1, size), nan=-1)
        return pos.astype(np.int64)[:, None], None
    base = xp.floor(c._data)
    frac = c - const(base)
    shape = (1, -1) + (1,) * (c._data.ndim - 1)
    if mode == "bilinear":
        pos, weight = base[:, None] + xp.arange(2).reshape(shape), stack([1 - frac, frac], 1)
    else:  # bicubic: the padding rule applies to each tap's position
        pos = base[:, None] + xp.arange(-1, 3).reshape(shape)
        if padding_mode != "zeros":
            pos = _pad_position(pos, size, padding_mode, align_corners)
        weight = _cubic_tap_weights(frac)
    # Far-outside (and NaN) positions are parked outside the input before the integer cast.
    return xp.nan_to_num(xp.clip(pos, -4, size + 3), nan=-4).astype(np.int64), weight


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the normalised locations ``grid`` (N, Ho, Wo, 2), or
    (N, C, D, H, W) at (N, Do, Ho, Wo, 3); ``grid[..., 0]`` is x (width), -1..1 spanning the
    input (see ``align_corners``).

    Args:
        mode: ``'bilinear'`` (trilinear for 5-D), ``'nearest'`` (round half to even) or
            ``'bicubic'`` (4-D, A = -0.75).
        padding_mode: values outside the input: ``'zeros'``, ``'border'`` (clamp the
            coordinate), ``'reflection'`` (mirror it at the border).
        align_corners: -1 and 1 are the corner pixels' centres (True) or outer edges (False).
            None warns and uses False, as PyTorch does.

    Returns:
        (N, C, *grid.shape[1:-1]); differentiable w.r.t. input and grid (the nearest mode has
        a zero gradient w.r.t. grid).
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=2)
        align_corners = False
    ishape, gshape = tuple(input._data.shape), tuple(grid._data.shape)
    nd = len(ishape) - 2
    if nd not in (2, 3) or len(gshape) != len(ishape):
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(ishape)} and grid "
                           f"with sizes {list(gshape)}")
    if gshape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last "
                           f"dimension, but got grid with sizes {list(gshape)}")
    if gshape[0] != ishape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(ishape)} and grid with sizes "
                           f"{list(gshape)}")
    if input._data.dtype != grid._data.dtype or not _is_float(input._data):
        raise RuntimeError(f"grid_sampler(): expected input and grid to have the same floating "
                           f"dtype, got {input.dtype} and {grid.dtype}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if 0 in ishape[2:]:
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                           f"dimensions, but input has sizes {list(ishape)}")
    sizes = ishape[2:]
    xp = xp_of(input._data)
    dtype = input._data.dtype

    def const(a):
        return _make(xp.asarray(a, dtype=dtype))

    # Per spatial dim (grid[..., 0] is x, the last dim): taps and weights; then every
    # combination of taps, as one gather of shape (N, C, taps, *out) and one weighted sum.
    flat, valid, weight = 0, True, None
    for j in range(nd):
        c = grid[(Ellipsis, nd - 1 - j)]
        if mode == "bicubic":
            c = _unnormalize(c, sizes[j], align_corners)
        else:
            c = _source_coordinate(c, sizes[j], padding_mode, align_corners)
        pos, w = _axis_taps(c, sizes[j], mode, padding_mode, align_corners, const)
        # put this dim's taps on their own axis: (N, 1.., T_j, 1.., *out)
        taps = (1,) * j + (pos.shape[1],) + (1,) * (nd - 1 - j)
        pos = pos.reshape((pos.shape[0],) + taps + pos.shape[2:])
        valid = valid & (pos >= 0) & (pos < sizes[j])
        flat = flat + xp.clip(pos, 0, sizes[j] - 1) * math.prod(sizes[j + 1 :])
        if w is not None:
            w = w.reshape((w.shape[0],) + taps + tuple(w.shape[2:]))
            weight = w if weight is None else weight * w
    flat = xp.broadcast_to(flat, valid.shape)
    n, out_spatial = gshape[0], gshape[1:-1]
    n_taps = math.prod(flat.shape[1 : 1 + nd])
    weight = const(valid) if weight is None else weight * const(valid)
    index = flat.reshape((n, 1, n_taps * out_spatial[0]) + out_spatial[1:])
    vals = _GatherFlat.apply(input, index, nd)
    vals = vals.reshape(n, ishape[1], n_taps, *out_spatial)
    weight = weight.reshape(n, 1, n_taps, *out_spatial)
    return (vals * weight).sum(dim=2)


def _linspace_from_neg_one(n: int, align_corners: bool):
    if n <= 1:
        return np.zeros(max(n, 1))
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid of a batch of affine maps, for :func:`grid_sample`.

    Args:
        theta: (N, 2, 3) for 2-D or (N, 3, 4) for 3-D affine matrices (floating point).
        size: the output size (N, C, H, W) or (N, C, D, H, W).
        align_corners: as in :func:`grid_sample` (None warns and uses False).

    Returns:
        (N, H, W, 2) or (N, D, H, W, 3): ``theta @ [x, y, (z,) 1]`` at each output pixel's
        normalised coordinates; differentiable w.r.t. theta.

    Example:
        >>> F.affine_grid(ember.tensor([[[1., 0, 0], [0, 1, 0]]]), (1, 1, 1, 2),
        ...               align_corners=False)
        tensor([[[[-0.5000,  0.0000],
                  [ 0.5000,  0.0000]]]])
    """
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", stacklevel=2)
        align_corners = False
    if not _is_float(theta._data):
        raise ValueError(f"affine_grid: Expected theta to have floating point type, but got "
                         f"{theta.dtype}")
    size = tuple(int(s) for s in size)
    tshape = tuple(theta._data.shape)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    nd = len(size) - 2
    if len(tshape) != 3 or tshape[1:] != (nd, nd + 1):
        raise ValueError(f"affine_grid: Expected a batch of {nd}D affine matrices of shape "
                         f"Nx{nd}x{nd + 1} for size {size}. Got {tshape}.")
    if min(size) <= 0:
        raise ValueError(f"affine_grid: Expected non-zero, positive output size. Got {size}")
    if tshape[0] != size[0]:
        raise ValueError(f"affine_grid: theta holds {tshape[0]} matrices but size asks for a "
                         f"batch of {size[0]}")
    spatial = size[2:]
    axes = [_linspace_from_neg_one(n, align_corners) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # per spatial dim, (D,) H, W
    # Homogeneous coordinates (x, y, [z,] 1): x runs along the last dim.
    base = np.stack([m for m in reversed(mesh)] + [np.ones(spatial)], axis=-1)
    xp = xp_of(theta._data)
    base_t = _make(xp.asarray(base.reshape(1, -1, nd + 1), dtype=theta._data.dtype))
    grid = base_t @ theta.transpose(1, 2)
    return grid.reshape(size[0], *spatial, nd)


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
