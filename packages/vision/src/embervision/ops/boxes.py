"""Bounding-box utilities (torchvision's ``ops/boxes.py``).

Boxes are ``(x1, y1, x2, y2)`` rows (``0 <= x1 < x2``, ``0 <= y1 < y2``) unless a function says
otherwise. The IoU family is written with differentiable Ember ops, so box losses built on it
(GIoU/DIoU/CIoU) backpropagate into the box coordinates; ``nms`` and friends return indices.

``nms`` is the greedy algorithm of torchvision's kernel, vectorised: boxes are visited in
descending score order (a stable sort, so equal scores keep their index order), and each kept
box removes, in one array operation, every remaining box whose IoU with it exceeds the
threshold. The Python loop therefore runs once per *kept* box, and the IoU is computed only
between the kept box and the boxes still in play (O(N) memory instead of an N x N matrix).
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor
from ember._tensor import _make
from ember.ops._util import xp_of

__all__ = [
    "nms",
    "batched_nms",
    "remove_small_boxes",
    "clip_boxes_to_image",
    "box_convert",
    "box_area",
    "box_iou",
    "generalized_box_iou",
    "complete_box_iou",
    "distance_box_iou",
    "masks_to_boxes",
]


def _upcast(t: Tensor) -> Tensor:
    # As torchvision: half-precision floats and small integers would overflow in the area
    # products, so they are computed in float32 / int32.
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def _check_boxes(boxes: Tensor, op: str, name: str = "boxes") -> None:
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor[N, 4], got {type(boxes).__name__}")
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"{op}: {name} must have shape (N, 4) as (x1, y1, x2, y2) rows, got "
            f"{tuple(boxes.shape)}"
        )


# ---------------------------------------------------------------------------------------------
# Non-maximum suppression
# ---------------------------------------------------------------------------------------------


def _nms_arrays(boxes, scores, iou_threshold: float):
    """Indices (into ``boxes``) kept by greedy NMS, as an int64 array, by descending score."""
    xp = xp_of(boxes)
    n = boxes.shape[0]
    if n == 0:
        return xp.empty((0,), dtype=xp.int64)
    # Stable descending order: argsort of -score keeps equal scores in index order, as
    # torchvision's ``scores.sort(stable=True, descending=True)``.
    order = xp.argsort(-scores, kind="stable")
    b = boxes[order]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    threshold = float(iou_threshold)
    keep = []
    remaining = xp.arange(n)
    while remaining.shape[0]:
        i = int(remaining[0])
        keep.append(i)
        rest = remaining[1:]
        w = xp.maximum(xp.minimum(x2[i], x2[rest]) - xp.maximum(x1[i], x1[rest]), 0)
        h = xp.maximum(xp.minimum(y2[i], y2[rest]) - xp.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        with np.errstate(divide="ignore", invalid="ignore"):
            # The kernel's expression and dtype; the comparison in double precision as the
            # kernel's ``ovr > iou_threshold`` (a float against a double). NaN (two empty
            # boxes) compares False: such boxes are not suppressed, as in torchvision.
            iou = inter / (areas[i] + areas[rest] - inter)
        remaining = rest[~(iou.astype(xp.float64) > threshold)]
    return order[xp.asarray(keep, dtype=xp.int64)]


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: greedily keep the highest-scoring boxes, dropping every box
    whose IoU with an already kept box is greater than ``iou_threshold``.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        scores: ``Tensor[N]`` scores of the boxes.
        iou_threshold: discard boxes with ``IoU > iou_threshold`` against a kept box.

    Returns:
        ``Tensor[K]`` (int64): indices of the kept boxes, sorted by decreasing score (equal
        scores in index order).

    Example:
        >>> boxes = ember.tensor([[0., 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]])
        >>> nms(boxes, ember.tensor([0.9, 0.8, 0.7]), 0.5)
        tensor([0, 2])
    """
    if boxes.ndim != 2:
        raise RuntimeError(f"nms: boxes should be a 2d tensor, got {boxes.ndim}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(
            f"nms: boxes should have 4 elements in dimension 1, got {boxes.shape[1]}"
        )
    if scores.ndim != 1:
        raise RuntimeError(f"nms: scores should be a 1d tensor, got {scores.ndim}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError(
            f"nms: boxes and scores should have same number of elements in dimension 0, got "
            f"{boxes.shape[0]} and {scores.shape[0]}"
        )
    return _make(_nms_arrays(boxes._data, scores._data, iou_threshold))


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS done independently per category: boxes with different ``idxs`` never suppress
    each other.

    Uses torchvision's coordinate trick: every box is shifted by ``idx * (max_coordinate + 1)``
    so that boxes of different categories cannot overlap, and one :func:`nms` does all the
    categories at once. (torchvision switches to a per-category loop above 4000 boxes on the
    CPU to bound its N x N memory; Ember's ``nms`` is O(N) in memory, so the trick is used for
    every size. The kept set is the same.)

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        scores: ``Tensor[N]``.
        idxs: ``Tensor[N]`` integer category of each box.
        iou_threshold: as in :func:`nms`.

    Returns:
        ``Tensor[K]`` (int64) indices of the kept boxes, by decreasing score.
    """
    if idxs.shape != scores.shape:
        raise ValueError(
            f"batched_nms: idxs must have the shape of scores {tuple(scores.shape)}, got "
            f"{tuple(idxs.shape)}"
        )
    b = boxes._data
    xp = xp_of(b)
    if b.size == 0:
        return _make(xp.empty((0,), dtype=xp.int64))
    max_coordinate = b.max()
    offsets = idxs._data.astype(b.dtype) * (max_coordinate + b.dtype.type(1))
    shifted = _make(b + offsets[:, None])
    return nms(shifted, scores, iou_threshold)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both at least ``min_size``.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        min_size: minimum size.

    Returns:
        ``Tensor[K]`` (int64) indices of the boxes that are large enough, in increasing order.
    """
    _check_boxes(boxes, "remove_small_boxes")
    b = boxes._data
    ws, hs = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    keep = (ws >= min_size) & (hs >= min_size)
    return _make(xp_of(b).flatnonzero(keep).astype(np.int64))


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clip boxes so that they lie inside an image of size ``(height, width)``.

    Args:
        boxes: ``Tensor[..., 4]`` in ``(x1, y1, x2, y2)`` format.
        size: ``(height, width)`` of the image.

    Returns:
        ``Tensor[..., 4]`` clipped boxes (differentiable where not clipped).
    """
    if boxes.shape[-1] != 4:
        raise ValueError(
            f"clip_boxes_to_image: boxes must have shape (..., 4), got {tuple(boxes.shape)}"
        )
    dim = boxes.ndim
    height, width = size
    boxes_x = boxes[..., 0::2].clamp(min=0, max=width)
    boxes_y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((boxes_x, boxes_y), dim=dim).reshape(boxes.shape)


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


def _box_cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    cx, cy, w, h = boxes.unbind(-1)
    return ember.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _box_xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _box_xywh_to_xyxy(boxes: Tensor) -> Tensor:
    x, y, w, h = boxes.unbind(-1)
    return ember.stack((x, y, x + w, y + h), dim=-1)


def _box_xyxy_to_xywh(boxes: Tensor) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


_TO_XYXY = {"xywh": _box_xywh_to_xyxy, "cxcywh": _box_cxcywh_to_xyxy}
_FROM_XYXY = {"xywh": _box_xyxy_to_xywh, "cxcywh": _box_xyxy_to_cxcywh}


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between the ``'xyxy'``, ``'xywh'`` and ``'cxcywh'`` formats.

    ``'xyxy'``: corners ``(x1, y1, x2, y2)``; ``'xywh'``: top-left corner, width and height;
    ``'cxcywh'``: centre, width and height.

    Args:
        boxes: ``Tensor[..., 4]``.
        in_fmt, out_fmt: one of ``'xyxy'``, ``'xywh'``, ``'cxcywh'``.

    Returns:
        ``Tensor[..., 4]`` in ``out_fmt`` (a copy when the formats are equal).

    Example:
        >>> box_convert(ember.tensor([[1., 2, 4, 6]]), "xyxy", "cxcywh")
        tensor([[2.5000, 4.0000, 3.0000, 4.0000]])
    """
    allowed = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError(
            f"Unsupported Bounding Box Conversions for given in_fmt and out_fmt: "
            f"box_convert({in_fmt!r} -> {out_fmt!r}); the formats are {allowed}"
        )
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt != "xyxy":
        boxes = _TO_XYXY[in_fmt](boxes)
    if out_fmt != "xyxy":
        boxes = _FROM_XYXY[out_fmt](boxes)
    return boxes


# ---------------------------------------------------------------------------------------------
# Areas and the IoU family
# ---------------------------------------------------------------------------------------------


def box_area(boxes: Tensor) -> Tensor:
    """Areas ``(x2 - x1) * (y2 - y1)`` of ``Tensor[N, 4]`` boxes in ``(x1, y1, x2, y2)`` format.

    Returns:
        ``Tensor[N]`` (half precision and small integer inputs are upcast, as torchvision).
    """
    _check_boxes(boxes, "box_area")
    boxes = _upcast(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _box_inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    area1 = box_area(boxes1)
    area2 = box_area(boxes2)
    lt = ember.maximum(boxes1[:, None, :2], boxes2[:, :2])  # [N, M, 2]
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[:, 2:])  # [N, M, 2]
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = area1[:, None] + area2 - inter
    return inter, union


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection over union (Jaccard index) of every pair of boxes.

    Args:
        boxes1: ``Tensor[N, 4]``, boxes2: ``Tensor[M, 4]``, in ``(x1, y1, x2, y2)`` format.

    Returns:
        ``Tensor[N, M]``: ``IoU[i, j] = |b1_i ∩ b2_j| / |b1_i ∪ b2_j|``.

    Example:
        >>> box_iou(ember.tensor([[0., 0, 2, 2]]), ember.tensor([[1., 1, 3, 3]]))
        tensor([[0.1429]])
    """
    _check_boxes(boxes1, "box_iou", "boxes1")
    _check_boxes(boxes2, "box_iou", "boxes2")
    inter, union = _box_inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Generalized IoU (Rezatofighi et al., 2019): ``IoU - |C \\ (A ∪ B)| / |C|`` where ``C``
    is the smallest box enclosing both; in ``[-1, 1]``, informative for disjoint boxes.

    Args:
        boxes1: ``Tensor[N, 4]``, boxes2: ``Tensor[M, 4]``, in ``(x1, y1, x2, y2)`` format.

    Returns:
        ``Tensor[N, M]``.
    """
    _check_boxes(boxes1, "generalized_box_iou", "boxes1")
    _check_boxes(boxes2, "generalized_box_iou", "boxes2")
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    lti = ember.minimum(boxes1[:, None, :2], boxes2[:, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    areai = whi[:, :, 0] * whi[:, :, 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    iou = box_iou(boxes1, boxes2)
    lti = ember.minimum(boxes1[:, None, :2], boxes2[:, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    # squared diagonal of the enclosing box (eps keeps coincident points finite)
    diagonal_distance_squared = whi[:, :, 0] ** 2 + whi[:, :, 1] ** 2 + eps
    x_p = (boxes1[:, 0] + boxes1[:, 2]) / 2
    y_p = (boxes1[:, 1] + boxes1[:, 3]) / 2
    x_g = (boxes2[:, 0] + boxes2[:, 2]) / 2
    y_g = (boxes2[:, 1] + boxes2[:, 3]) / 2
    centers_distance_squared = (
        _upcast(x_p[:, None] - x_g[None, :]) ** 2 + _upcast(y_p[:, None] - y_g[None, :]) ** 2
    )
    return iou - centers_distance_squared / diagonal_distance_squared, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Distance IoU (Zheng et al., 2020): ``IoU - d^2 / c^2`` with ``d`` the distance between
    the box centres and ``c`` the diagonal of the smallest enclosing box.

    Args:
        boxes1: ``Tensor[N, 4]``, boxes2: ``Tensor[M, 4]``, in ``(x1, y1, x2, y2)`` format.
        eps: added to ``c^2`` to avoid a division by zero.

    Returns:
        ``Tensor[N, M]``.
    """
    _check_boxes(boxes1, "distance_box_iou", "boxes1")
    _check_boxes(boxes2, "distance_box_iou", "boxes2")
    diou, _ = _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps)
    return diou


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Complete IoU (Zheng et al., 2020): ``DIoU - alpha * v`` with the aspect-ratio term
    ``v = 4 / pi^2 (atan(w1 / h1) - atan(w2 / h2))^2`` and ``alpha = v / (1 - IoU + v)``
    (``alpha`` treated as a constant, without gradient, as in the paper and torchvision).

    Args:
        boxes1: ``Tensor[N, 4]``, boxes2: ``Tensor[M, 4]``, in ``(x1, y1, x2, y2)`` format.
        eps: stabilises the divisions.

    Returns:
        ``Tensor[N, M]``.
    """
    _check_boxes(boxes1, "complete_box_iou", "boxes1")
    _check_boxes(boxes2, "complete_box_iou", "boxes2")
    boxes1 = _upcast(boxes1)
    boxes2 = _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[:, None, 2] - boxes1[:, None, 0]
    h_pred = boxes1[:, None, 3] - boxes1[:, None, 1]
    w_gt = boxes2[:, 2] - boxes2[:, 0]
    h_gt = boxes2[:, 3] - boxes2[:, 1]
    v = (4 / (math.pi**2)) * (ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt)) ** 2
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The tight bounding box ``(x1, y1, x2, y2)`` of each mask's non-zero pixels.

    Vectorised over masks: a mask's columns (rows) holding a non-zero pixel are found with one
    ``any`` reduction, and the first and last of them with ``argmax`` from either end.

    Args:
        masks: ``Tensor[N, H, W]``; every mask must have a non-zero pixel.

    Returns:
        ``Tensor[N, 4]`` float32 boxes (inclusive pixel coordinates, as torchvision).

    Raises:
        RuntimeError: a mask is empty (torchvision fails on the empty ``min`` there too).
    """
    xp = xp_of(masks._data)
    if masks.numel() == 0:
        return _make(xp.zeros((0, 4), dtype=np.float32))
    if masks.ndim != 3:
        raise ValueError(
            f"masks_to_boxes: masks must have shape (N, H, W), got {tuple(masks.shape)}"
        )
    m = masks._data != 0
    cols = m.any(axis=1)  # (N, W)
    rows = m.any(axis=2)  # (N, H)
    empty = ~cols.any(axis=1)
    if bool(empty.any()):
        bad = [int(i) for i in xp.flatnonzero(empty)[:5]]
        raise RuntimeError(
            f"masks_to_boxes: mask(s) {bad} have no non-zero pixel, so they have no bounding "
            f"box; drop empty masks first (e.g. masks[masks.flatten(1).any(1)])"
        )
    w, h = cols.shape[1], rows.shape[1]
    boxes = xp.stack(
        (
            cols.argmax(axis=1),
            rows.argmax(axis=1),
            w - 1 - cols[:, ::-1].argmax(axis=1),
            h - 1 - rows[:, ::-1].argmax(axis=1),
        ),
        axis=1,
    )
    return _make(boxes.astype(np.float32))
