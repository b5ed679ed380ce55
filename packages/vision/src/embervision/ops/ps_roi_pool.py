"""Position-sensitive RoI pooling (Dai et al., R-FCN, 2016), as torchvision's ``ps_roi_pool``
kernel: the *average* over each bin, bin ``(ph, pw)`` of output channel ``c`` read from input
channel ``(c * PH + ph) * PW + pw``.

The RoI corners are scaled and rounded half away from zero (C's ``round``), the size is
``max(end - start, 1)`` (no ``+1``, unlike :func:`roi_pool`), bin ``p`` spans
``floor(p * bin) .. ceil((p + 1) * bin)`` clipped to the map, and an empty bin gives 0.
Vectorised as :func:`ps_roi_align`: every bin's window is padded to the largest one and the
padding gets weight 0, so the operator is one gather/matmul map (weights ``1 / area``) on the
bin-major view of the input, with the adjoint map as its gradient.
"""

from __future__ import annotations

import numpy as np

from ember import Tensor, nn
from ember.ops._util import xp_of

from ._utils import rois_array
from .ps_roi_align import _bin_major, _check_ps
from .roi_align import _check_input, _LinearRoIMap, _pair, _RoIMap
from .roi_pool import _round_half_away

__all__ = ["ps_roi_pool", "PSRoIPool"]


def _ps_roi_pool_plan(rois, input_shape, dtype, spatial_scale: float, pooled):
    xp = xp_of(rois)
    B, C, H, W = input_shape
    PH, PW = pooled
    P = PH * PW
    K = rois.shape[0]
    ft = np.dtype(dtype).type
    batch = rois[:, 0].astype(np.int64)
    start_w, start_h, end_w, end_h = _round_half_away(rois[:, 1:] * spatial_scale, xp).T
    roi_w = xp.maximum(end_w - start_w, 1).astype(dtype)
    roi_h = xp.maximum(end_h - start_h, 1).astype(dtype)
    start_w, start_h = start_w.astype(np.int64), start_h.astype(np.int64)

    def bounds(start, size_, n, limit):
        # the kernel sizes bins in the input's type, then floors / ceils
        b = (size_ / ft(n))[:, None]
        p = xp.arange(n, dtype=dtype)[None, :]
        lo = xp.floor(p * b).astype(np.int64) + start[:, None]
        hi = xp.ceil((p + ft(1)) * b).astype(np.int64) + start[:, None]
        return xp.clip(lo, 0, limit), xp.clip(hi, 0, limit)

    h0, h1 = bounds(start_h, roi_h, PH, H)  # (K, PH)
    w0, w1 = bounds(start_w, roi_w, PW, W)  # (K, PW)
    lh = max(int((h1 - h0).max()), 1) if K else 1
    lw = max(int((w1 - w0).max()), 1) if K else 1
    r = h0[:, :, None] + xp.arange(lh)  # (K, PH, lh)
    c = w0[:, :, None] + xp.arange(lw)  # (K, PW, lw)
    inside = (r < h1[:, :, None])[:, :, None, :, None] & (c < w1[:, :, None])[:, None, :, None, :]
    area = ((h1 - h0)[:, :, None] * (w1 - w0)[:, None, :]).astype(dtype)  # (K, PH, PW)
    weight = xp.where(inside, 1 / xp.maximum(area, ft(1))[..., None, None], ft(0))
    # rows of the bin-major view: ((b * P + p) * H + y) * W + x
    p = xp.arange(P, dtype=np.int64).reshape(PH, PW)
    img = batch[:, None, None] * P + p  # (K, PH, PW)
    src = ((img[..., None, None] * H + xp.minimum(r, H - 1)[:, :, None, :, None]) * W
           + xp.minimum(c, W - 1)[:, None, :, None, :])
    groups = [(xp.arange(K), src.reshape(K, P, lh * lw),
               weight.reshape(K, P, lh * lw).astype(dtype))] if K else []
    return _LinearRoIMap(groups, (B * P, C // P, H, W), K, (PH, PW))


def ps_roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """Position-sensitive Region of Interest (RoI) average pooling (R-FCN).

    Args:
        input: ``Tensor[N, C, H, W]`` with ``C = C_out * PH * PW``.
        boxes: ``Tensor[K, 5]`` rows ``(batch_index, x1, y1, x2, y2)``, or a list of
            ``Tensor[L, 4]``, one per image.
        output_size: ``(PH, PW)`` or an int.
        spatial_scale: scale from box coordinates to input coordinates.

    Returns:
        ``Tensor[K, C_out, PH, PW]``, differentiable with respect to ``input``.

    Example:
        >>> x = ember.ones(1, 8, 4, 4)
        >>> tuple(ps_roi_pool(x, ember.tensor([[0., 0, 0, 3, 3]]), 2).shape)
        (1, 2, 2, 2)
    """
    _check_input(input, "ps_roi_pool")
    pooled = _pair(output_size)
    rois = rois_array(input, boxes, "ps_roi_pool")
    _check_ps(input, rois, pooled, "ps_roi_pool")
    if input.dtype.itemsize < 4:
        return ps_roi_pool(input.float(), boxes, pooled, spatial_scale).to(input.dtype)
    plan = _ps_roi_pool_plan(rois, tuple(input.shape), input._data.dtype,
                             float(spatial_scale), pooled)
    return _RoIMap.apply(_bin_major(input, pooled), plan)


class PSRoIPool(nn.Module):
    """Module form of :func:`ps_roi_pool`."""

    def __init__(self, output_size, spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
