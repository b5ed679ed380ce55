"""Multi-scale RoI Align (torchvision's ``ops/poolers.py``): pools every box from the FPN level
that suits its size.

The level of a box of area ``A`` is Eqn. (1) of the FPN paper, ``floor(k0 + log2(sqrt(A) / s0)
+ eps)`` clamped to the available levels (``s0 = canonical_scale = 224``, ``k0 =
canonical_level = 4``, ``eps = 1e-6``), see :class:`LevelMapper`. The scale of each feature map
is inferred once, on the first call, as the power of two closest to ``feature_size /
image_size`` (the network halves the resolution at each level).
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor, nn
from ember.ops._util import xp_of

from ._utils import convert_boxes_to_roi_format
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["MultiScaleRoIAlign", "LevelMapper", "initLevelMapper"]


class LevelMapper:
    """Maps boxes to FPN levels with the heuristic of the FPN paper (Eqn. 1).

    Args:
        k_min: the finest level available (e.g. 2 for a stride-4 map).
        k_max: the coarsest level available.
        canonical_scale: box size mapped to ``canonical_level`` (224, ImageNet's size).
        canonical_level: level of a ``canonical_scale``-sized box.
        eps: added before ``floor`` so exact powers of two are not rounded down by error.

    Calling it on a list of ``Tensor[L_i, 4]`` returns the int64 ``Tensor[sum L_i]`` of level
    indices, ``0`` being ``k_min``.
    """

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224,
                 canonical_level: int = 4, eps: float = 1e-6) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists: list[Tensor]) -> Tensor:
        s = ember.sqrt(ember.cat([box_area(boxlist) for boxlist in boxlists]))
        target_lvls = ember.floor(self.lvl0 + ember.log2(s / self.s0)
                                  + ember.tensor(self.eps, dtype=s.dtype))
        target_lvls = ember.clamp(target_lvls, min=self.k_min, max=self.k_max)
        return target_lvls.to(ember.int64) - self.k_min


def initLevelMapper(k_min: int, k_max: int, canonical_scale: int = 224,  # noqa: N802
                    canonical_level: int = 4, eps: float = 1e-6) -> LevelMapper:
    """torchvision's factory for :class:`LevelMapper` (same arguments)."""
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _infer_scale(feature: Tensor, original_size) -> float:
    # assumption: the scale is 2 ** (-k) with k an integer. torchvision rounds log2 of the
    # float32 ratio (half to even, as torch.round).
    possible_scales = []
    for s1, s2 in zip(feature.shape[-2:], original_size):
        approx_scale = np.float32(float(s1) / float(s2))
        possible_scales.append(2 ** float(np.round(np.log2(approx_scale))))
    return possible_scales[0]


def _setup_scales(features: list[Tensor], image_shapes, canonical_scale: int,
                  canonical_level: int) -> tuple[list[float], LevelMapper]:
    if not image_shapes:
        raise ValueError("images list should not be empty")
    max_x = max(int(s[0]) for s in image_shapes)
    max_y = max(int(s[1]) for s in image_shapes)
    scales = [_infer_scale(feat, (max_x, max_y)) for feat in features]
    lvl_min = -math.log2(scales[0])
    lvl_max = -math.log2(scales[-1])
    return scales, initLevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical_scale,
                                   canonical_level=canonical_level)


def _filter_input(x: dict[str, Tensor], featmap_names: list[str]) -> list[Tensor]:
    return [v for k, v in x.items() if k in featmap_names]


def _multiscale_roi_align(x_filtered: list[Tensor], boxes: list[Tensor], output_size,
                          sampling_ratio: int, scales, mapper) -> Tensor:
    if scales is None or mapper is None:
        raise ValueError("scales and mapper should not be None")
    if not x_filtered:
        raise ValueError(
            "MultiScaleRoIAlign: none of featmap_names is a key of the feature dict"
        )
    rois = convert_boxes_to_roi_format(list(boxes))
    if len(x_filtered) == 1:
        return roi_align(x_filtered[0], rois, output_size=output_size,
                         spatial_scale=scales[0], sampling_ratio=sampling_ratio)
    levels = mapper(boxes)._data
    xp = xp_of(levels)
    dtype = x_filtered[0].dtype
    # torchvision writes each level's result into result[idx_in_level]; here the per-level
    # results are concatenated and put back in box order with one gather, which is the
    # same values and keeps the graph to differentiable ops.
    parts, order = [], []
    for level, (feature, scale) in enumerate(zip(x_filtered, scales)):
        idx = xp.flatnonzero(levels == level)
        if idx.shape[0] == 0:
            continue
        parts.append(roi_align(feature, rois[ember.tensor(idx, device=rois.device)],
                               output_size=output_size, spatial_scale=scale,
                               sampling_ratio=sampling_ratio).to(dtype))
        order.append(idx)
    # boxes mapped to a level without a feature map (non-consecutive levels) stay zero, as in
    # torchvision's preallocated result
    missing = xp.flatnonzero((levels < 0) | (levels >= len(x_filtered)))
    if missing.shape[0] or not parts:
        c = x_filtered[0].shape[1]
        parts.append(ember.zeros((missing.shape[0], c, *output_size), dtype=dtype,
                                 device=x_filtered[0].device))
        order.append(missing)
    inverse = xp.argsort(xp.concatenate(order), kind="stable")
    return ember.cat(parts, dim=0)[ember.tensor(inverse, device=rois.device)]


class MultiScaleRoIAlign(nn.Module):
    """RoI Align over several feature maps, each box pooled from the level of its size.

    Args:
        featmap_names: names of the feature maps (keys of the input dict) to pool from.
        output_size: ``(PH, PW)`` or an int.
        sampling_ratio: ``roi_align``'s sampling ratio.
        canonical_scale: :class:`LevelMapper`'s ``canonical_scale`` (keyword only).
        canonical_level: :class:`LevelMapper`'s ``canonical_level`` (keyword only).

    Shape:
        ``forward(x, boxes, image_shapes)``: ``x`` an ``OrderedDict`` of ``Tensor[N, C, H_l,
        W_l]``, ``boxes`` a list of ``Tensor[L_i, 4]`` in image coordinates, ``image_shapes`` the
        ``(height, width)`` of each image; returns ``Tensor[sum L_i, C, PH, PW]``.

    Example:
        >>> m = MultiScaleRoIAlign(["feat1", "feat3"], 3, 2)
        >>> x = OrderedDict(feat1=ember.rand(1, 5, 64, 64), feat3=ember.rand(1, 5, 16, 16))
        >>> tuple(m(x, [ember.tensor([[0.0, 0, 100, 100]])], [(512, 512)]).shape)
        (1, 5, 3, 3)
    """

    def __init__(self, featmap_names: list[str], output_size, sampling_ratio: int, *,
                 canonical_scale: int = 224, canonical_level: int = 4) -> None:
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales: list[float] | None = None
        self.map_levels: LevelMapper | None = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x: dict[str, Tensor], boxes: list[Tensor], image_shapes) -> Tensor:
        x_filtered = _filter_input(x, self.featmap_names)
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(
                x_filtered, image_shapes, self.canonical_scale, self.canonical_level)
        return _multiscale_roi_align(x_filtered, boxes, self.output_size, self.sampling_ratio,
                                     self.scales, self.map_levels)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
                f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})")
