"""Complete IoU loss (Zheng et al., 2020), as torchvision's ``ops/ciou_loss.py``: the DIoU loss
plus an aspect-ratio term ``alpha * v``, ``v = 4 / pi^2 (atan(w_g / h_g) - atan(w / h))^2``,
with the trade-off ``alpha = v / (1 - IoU + v)`` treated as a constant (no gradient), as in the
paper and torchvision."""

from __future__ import annotations

import math

import ember
from ember import Tensor

from .diou_loss import _diou_iou_loss
from .giou_loss import _check_pair, _reduce, _upcast_non_float

__all__ = ["complete_box_iou_loss"]


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """Complete IoU loss between box pairs: DIoU loss + aspect-ratio consistency term.

    Args:
        boxes1: ``Tensor[N, 4]`` or ``Tensor[4]`` predicted boxes ``(x1, y1, x2, y2)``.
        boxes2: ``Tensor[N, 4]`` or ``Tensor[4]`` ground-truth boxes.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        eps: added to the denominators to avoid division by zero.

    Returns:
        The loss per pair (``'none'``) or its mean / sum.
    """
    _check_pair(boxes1, boxes2, "complete_box_iou_loss")
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2, eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred, h_pred = x2 - x1, y2 - y1
    w_gt, h_gt = x2g - x1g, y2g - y1g
    v = (4 / (math.pi**2)) * ((ember.atan(w_gt / h_gt) - ember.atan(w_pred / h_pred)) ** 2)
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)
