"""RoI max pooling (Girshick, Fast R-CNN, 2015), as torchvision's ``roi_pool`` kernel.

Each RoI (corners scaled by ``spatial_scale`` and rounded half away from zero, as C's
``round``) is split into ``PH x PW`` bins with integer bounds ``floor(p * bin)`` ..
``ceil((p + 1) * bin)`` clipped to the map; each output is the maximum over its bin (0 for an
empty bin). Vectorised over RoIs and bins: every bin's window is padded to the largest window
of the chunk and the padding masked with -inf, then one ``argmax`` picks the first maximum in
row-major order (the kernel's strict ``>`` scan). The gradient routes each output's gradient to
its argmax pixel (a scatter-add whose own gradient is the gather at the same pixels).
"""

from __future__ import annotations

import numpy as np

from ember import Tensor, nn
from ember.autograd.function import Function
from ember.ops._util import xp_of

from ._utils import rois_array
from .roi_align import _check_input, _pair

__all__ = ["roi_pool", "RoIPool"]

_CHUNK_ELEMENTS = 1 << 23


class _GatherAt(Function):
    """``out.flat[i] = x.flat[index[i]]`` (index -1: 0); gradient: :class:`_ScatterAt`."""

    @staticmethod
    def forward(ctx, x, index, input_shape):
        if ctx.needs_input_grad:
            ctx.index, ctx.input_shape = index, input_shape
        flat = x._data.reshape(-1)
        return xp_of(flat).where(index >= 0, flat[xp_of(flat).maximum(index, 0)], 0).astype(
            flat.dtype, copy=False
        )

    @staticmethod
    def backward(ctx, grad):
        return _ScatterAt.apply(grad, ctx.index, ctx.input_shape), None, None


class _ScatterAt(Function):
    """The adjoint of :class:`_GatherAt`: ``out.flat[index[i]] += g.flat[i]``."""

    @staticmethod
    def forward(ctx, g, index, input_shape):
        if ctx.needs_input_grad:
            ctx.index, ctx.input_shape = index, input_shape
        xp = xp_of(g._data)
        out = xp.zeros(int(np.prod(input_shape)), dtype=g._data.dtype)
        hit = index >= 0
        xp.add.at(out, index[hit], g._data[hit])
        return out.reshape(input_shape)

    @staticmethod
    def backward(ctx, grad):
        return _GatherAt.apply(grad, ctx.index, ctx.input_shape), None, None


def _round_half_away(x, xp):
    return xp.sign(x) * xp.floor(xp.abs(x) + 0.5)


def _argmax_index(x, rois, pooled, spatial_scale):
    """For every (RoI, channel, bin): the flat index into ``x`` of the bin's maximum, or -1
    for an empty bin. Shape ``(K, C, PH, PW)``."""
    xp = xp_of(x)
    B, C, H, W = x.shape
    PH, PW = pooled
    K = rois.shape[0]
    ft = x.dtype.type
    batch = rois[:, 0].astype(np.int64)
    if K and (int(batch.min()) < 0 or int(batch.max()) >= B):
        raise ValueError(
            f"roi_pool: box batch indices must be in [0, {B}) for an input of batch size {B}, "
            f"got indices in [{int(batch.min())}, {int(batch.max())}]"
        )
    # The kernel rounds the double-precision products, then sizes bins in the input's type.
    start_w, start_h, end_w, end_h = _round_half_away(rois[:, 1:] * spatial_scale, xp).T
    start_w, start_h = start_w.astype(np.int64), start_h.astype(np.int64)
    roi_w = xp.maximum(end_w.astype(np.int64) - start_w + 1, 1)
    roi_h = xp.maximum(end_h.astype(np.int64) - start_h + 1, 1)
    bin_h = roi_h.astype(x.dtype) / ft(PH)
    bin_w = roi_w.astype(x.dtype) / ft(PW)

    def bounds(start, bin_size, n, size):
        p = xp.arange(n, dtype=x.dtype)[None, :]
        lo = xp.floor(p * bin_size[:, None]).astype(np.int64) + start[:, None]
        hi = xp.ceil((p + ft(1)) * bin_size[:, None]).astype(np.int64) + start[:, None]
        return xp.clip(lo, 0, size), xp.clip(hi, 0, size)

    h0, h1 = bounds(start_h, bin_h, PH, H)  # (K, PH)
    w0, w1 = bounds(start_w, bin_w, PW, W)  # (K, PW)
    rows_flat = xp.ascontiguousarray(xp.moveaxis(x, 1, -1)).reshape(B * H * W, C)
    result = xp.full((K, PH, PW, C), -1, dtype=np.int64)
    channel = xp.arange(C, dtype=np.int64)
    lh = int((h1 - h0).max()) if K else 0
    lw = int((w1 - w0).max()) if K else 0
    if lh <= 0 or lw <= 0:
        return xp.ascontiguousarray(result.transpose(0, 3, 1, 2))
    step = max(1, _CHUNK_ELEMENTS // (PH * PW * lh * lw * C))
    for s in range(0, K, step):
        sl = slice(s, min(s + step, K))
        r = h0[sl, :, None] + xp.arange(lh)  # (k, PH, lh)
        c = w0[sl, :, None] + xp.arange(lw)  # (k, PW, lw)
        inside = (r < h1[sl, :, None])[:, :, None, :, None] & (c < w1[sl, :, None])[
            :, None, :, None, :
        ]  # (k, PH, PW, lh, lw)
        pix = (batch[sl, None, None] * H + xp.minimum(r, H - 1))[:, :, None, :, None] * W + (
            xp.minimum(c, W - 1)[:, None, :, None, :]
        )
        k = pix.shape[0]
        pix = pix.reshape(k, PH, PW, lh * lw)
        inside = inside.reshape(k, PH, PW, lh * lw)
        vals = rows_flat[pix]  # (k, PH, PW, lh*lw, C)
        vals = xp.where(inside[..., None], vals, -xp.inf)
        arg = vals.argmax(axis=3)  # first maximum in row-major window order
        best = xp.take_along_axis(pix, arg.reshape(k, PH, PW, C), axis=3)
        empty = ~inside.any(axis=3)
        # flat index into the (B, C, H, W) input: b*C*H*W + c*H*W + (y*W + x)
        b_of = best // (H * W)
        flat = (b_of * C + channel) * (H * W) + best % (H * W)
        result[sl] = xp.where(empty[..., None], -1, flat)
    return xp.ascontiguousarray(result.transpose(0, 3, 1, 2))


def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """Region of Interest (RoI) max pooling (Fast R-CNN).

    Args:
        input: ``Tensor[N, C, H, W]`` feature map.
        boxes: ``Tensor[K, 5]`` rows ``(batch_index, x1, y1, x2, y2)``, or a list of
            ``Tensor[L, 4]`` boxes, one per image.
        output_size: ``(PH, PW)`` (or an int).
        spatial_scale: scale from box coordinates to input coordinates.

    Returns:
        ``Tensor[K, C, PH, PW]``; differentiable with respect to ``input``.
    """
    _check_input(input, "roi_pool")
    pooled = _pair(output_size)
    rois = rois_array(input, boxes, "roi_pool")
    index = _argmax_index(input._data, rois, pooled, float(spatial_scale))
    return _GatherAt.apply(input, index, tuple(input.shape))


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool`."""

    def __init__(self, output_size, spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(output_size={self.output_size}, "
            f"spatial_scale={self.spatial_scale})"
        )
