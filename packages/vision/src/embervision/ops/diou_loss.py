"""Distance IoU loss (Zheng et al., 2019), as torchvision's ``ops/diou_loss.py``:
``1 - IoU + d^2 / c^2`` with ``d`` the distance between the box centres and ``c`` the diagonal
of the smallest enclosing box. Pairwise, differentiable in the box coordinates."""

from __future__ import annotations

import ember
from ember import Tensor

from .giou_loss import _check_pair, _loss_inter_union, _reduce, _upcast_non_float

__all__ = ["distance_box_iou_loss"]


def _diou_iou_loss(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> tuple[Tensor, Tensor]:
    """``(DIoU loss, IoU)`` per pair (torchvision's ``_diou_iou_loss``; CIoU reuses both)."""
    intsct, union = _loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1, yc1 = ember.minimum(x1, x1g), ember.minimum(y1, y1g)
    xc2, yc2 = ember.maximum(x2, x2g), ember.maximum(y2, y2g)
    # eps on the squared diagonal: coincident degenerate boxes would divide 0 by 0
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x_p, y_p = (x2 + x1) / 2, (y2 + y1) / 2
    x_g, y_g = (x1g + x2g) / 2, (y1g + y2g) / 2
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    loss = 1 - iou + (centers_distance_squared / diagonal_distance_squared)
    return loss, iou


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """Distance IoU loss between box pairs: ``1 - IoU + centre_distance^2 / diagonal^2``.

    Args:
        boxes1: ``Tensor[N, 4]`` or ``Tensor[4]`` predicted boxes ``(x1, y1, x2, y2)``.
        boxes2: ``Tensor[N, 4]`` or ``Tensor[4]`` ground-truth boxes.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        eps: added to the denominators to avoid division by zero.

    Returns:
        The loss per pair (``'none'``) or its mean / sum.

    Example:
        >>> distance_box_iou_loss(ember.tensor([0., 0, 2, 2]), ember.tensor([1., 0, 3, 2]))
        tensor(0.7436)
    """
    _check_pair(boxes1, boxes2, "distance_box_iou_loss")
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    loss, _ = _diou_iou_loss(boxes1, boxes2, eps)
    return _reduce(loss, reduction)
