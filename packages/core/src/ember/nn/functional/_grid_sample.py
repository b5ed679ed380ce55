"""``grid_sample`` and ``affine_grid`` (spatial transformers).

grid_sample is composed of differentiable ops (the coordinates and tap weights are functions
of the grid) around one gather of all taps (``_GatherFlat``), so it has gradients of every
order w.r.t. both input and grid. Re-exported by ``_vision``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...ops._util import xp_of
from ._pool_base import _is_float
from ._pooling import _GatherFlat

__all__ = ["grid_sample", "affine_grid"]


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
    input, grid = cast_inputs("grid_sample", input, grid)
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
