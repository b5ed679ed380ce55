"""Position-sensitive RoI Align (Dai et al., R-FCN, 2016, with RoI Align's sampling), as
torchvision's ``ps_roi_align`` kernel.

The input has ``C = C_out * PH * PW`` channels; bin ``(ph, pw)`` of output channel ``c`` is
pooled from input channel ``(c * PH + ph) * PW + pw`` only. Each bin is the mean of bilinear
samples on a ``gh x gw`` grid, as :func:`roi_align` with ``aligned=True`` (the kernel always
shifts the scaled corners by -0.5 and never enlarges small RoIs).

Vectorisation: the input is viewed as ``(B * PH * PW, C_out, H, W)`` (bin-major), so bin ``p``
of an RoI on image ``b`` reads the channel rows of "image" ``b * P + p``. The sampling plan of
:func:`roi_align` is computed once and its pixel indices shifted to those rows; the same
gather/matmul map and its adjoint (for the gradient) then apply unchanged.
"""

from __future__ import annotations

import numpy as np

from ember import Tensor, nn
from ember.ops._util import xp_of

from ._utils import rois_array
from .roi_align import _check_input, _LinearRoIMap, _pair, _roi_align_plan, _RoIMap

__all__ = ["ps_roi_align", "PSRoIAlign"]


def _check_ps(input: Tensor, rois, pooled, op: str) -> None:
    C = input.shape[1]
    P = pooled[0] * pooled[1]
    if C % P != 0:
        raise RuntimeError(
            f"{op}: input channels must be a multiple of pooling height * pooling width, got "
            f"{C} channels for output_size {pooled}"
        )
    B = input.shape[0]
    if rois.shape[0]:
        batch = rois[:, 0].astype(np.int64)
        lo, hi = int(batch.min()), int(batch.max())
        if lo < 0 or hi >= B:
            raise ValueError(
                f"{op}: box batch indices must be in [0, {B}) for an input of batch size {B}, "
                f"got indices in [{lo}, {hi}]"
            )


def _bin_major(input: Tensor, pooled) -> Tensor:
    """``(B, C_out * P, H, W)`` -> ``(B * P, C_out, H, W)`` with row ``b * P + p`` holding the
    channels ``c * P + p`` (differentiable reshapes)."""
    B, C, H, W = input.shape
    P = pooled[0] * pooled[1]
    x = input.reshape(B, C // P, P, H, W).permute(0, 2, 1, 3, 4)
    return x.reshape(B * P, C // P, H, W)


def _shift_to_bins(groups, H: int, W: int, P: int, xp):
    """Re-index a plan's flat pixel indices ``b * HW + s`` to ``(b * P + p) * HW + s``."""
    HW = H * W
    p = xp.arange(P, dtype=np.int64)[None, :, None]
    return [(idx, (src // HW * P + p) * HW + src % HW, w) for idx, src, w in groups]


def ps_roi_align(
    input: Tensor,
    boxes,
    output_size,
    spatial_scale: float = 1.0,
    sampling_ratio: int = -1,
) -> Tensor:
    """Position-sensitive Region of Interest (RoI) Align (R-FCN).

    Args:
        input: ``Tensor[N, C, H, W]`` with ``C = C_out * PH * PW``.
        boxes: ``Tensor[K, 5]`` rows ``(batch_index, x1, y1, x2, y2)``, or a list of
            ``Tensor[L, 4]``, one per image.
        output_size: ``(PH, PW)`` or an int.
        spatial_scale: scale from box coordinates to input coordinates.
        sampling_ratio: samples per bin along each axis; ``<= 0``: ``ceil(roi_size /
            output_size)`` per RoI.

    Returns:
        ``Tensor[K, C_out, PH, PW]``, differentiable with respect to ``input``. (An empty or
        inverted RoI with an adaptive grid gives 0 here; the kernel may divide 0 by 0.)

    Example:
        >>> x = ember.arange(16.).reshape(1, 4, 2, 2)  # 4 channels: one per 2x2 bin
        >>> ps_roi_align(x, ember.tensor([[0., 0, 0, 2, 2]]), 2, sampling_ratio=1)
        tensor([[[[ 0.,  5.],
                  [10., 15.]]]])
    """
    _check_input(input, "ps_roi_align")
    pooled = _pair(output_size)
    rois = rois_array(input, boxes, "ps_roi_align")
    _check_ps(input, rois, pooled, "ps_roi_align")
    if input.dtype.itemsize < 4:
        # half precision: computed in float32 and rounded once at the end
        return ps_roi_align(input.float(), boxes, pooled, spatial_scale,
                            sampling_ratio).to(input.dtype)
    B, C, H, W = input.shape
    P = pooled[0] * pooled[1]
    xp = xp_of(rois)
    keep = xp.arange(rois.shape[0])
    if sampling_ratio <= 0 and rois.shape[0]:
        # an adaptive grid is ceil(roi_size / pooled) <= 0 samples for an empty or inverted
        # RoI: the kernel samples nothing (0, or 0 / 0), so such RoIs stay 0 here
        sizes = rois[:, 3:] - rois[:, 1:3]
        keep = xp.flatnonzero((sizes > 0).all(axis=1))
    plan = _roi_align_plan(rois[keep], (B, C, H, W), input._data.dtype, float(spatial_scale),
                           pooled, int(sampling_ratio), True)
    groups = [(keep[idx], src, w) for idx, src, w in _shift_to_bins(plan.groups, H, W, P, xp)]
    ps_plan = _LinearRoIMap(groups, (B * P, C // P, H, W), rois.shape[0], pooled)
    return _RoIMap.apply(_bin_major(input, pooled), ps_plan)


class PSRoIAlign(nn.Module):
    """Module form of :func:`ps_roi_align`."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input: Tensor, rois) -> Tensor:
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale,
                            self.sampling_ratio)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio})")
