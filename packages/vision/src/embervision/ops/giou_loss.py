"""Generalized IoU loss (Rezatofighi et al., 2019), as torchvision's ``ops/giou_loss.py``.

The loss compares boxes *pairwise* (``boxes1[i]`` with ``boxes2[i]``, any broadcastable leading
shape), unlike :func:`generalized_box_iou`, which builds an ``N x M`` matrix. It is written with
differentiable Ember ops, so it backpropagates into the box coordinates.
"""

from __future__ import annotations

import ember
from ember import Tensor

__all__ = ["generalized_box_iou_loss"]


def _upcast_non_float(t: Tensor) -> Tensor:
    # As torchvision: the loss needs a float type; half precision is also upcast (the area
    # products lose too much precision there).
    if t.dtype not in (ember.float32, ember.float64):
        return t.float()
    return t


def _check_pair(boxes1, boxes2, op: str) -> None:
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor[..., 4], got {type(b).__name__}")
        if b.ndim == 0 or b.shape[-1] != 4:
            raise ValueError(
                f"{op}: {name} must have shape (..., 4) as (x1, y1, x2, y2) rows, got "
                f"{tuple(b.shape)}"
            )


def _loss_inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Pairwise intersection and union areas (torchvision's ``_loss_inter_union``)."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = ember.maximum(x1, x1g), ember.maximum(y1, y1g)
    xkis2, ykis2 = ember.minimum(x2, x2g), ember.minimum(y2, y2g)
    overlap = (ykis2 > ykis1) & (xkis2 > xkis1)
    # torchvision assigns through the mask; ``where`` gives the same values and gradients
    intsctk = ember.where(overlap, (xkis2 - xkis1) * (ykis2 - ykis1), ember.zeros_like(x1))
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        # torchvision: an empty input gives 0 (connected to the graph), not NaN
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(
        f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: "
        f"'none', 'mean', 'sum'"
    )


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """Gradient-friendly IoU loss that also penalises non-overlapping boxes:
    ``1 - IoU + (area_c - union) / area_c`` with ``area_c`` the smallest enclosing box.

    Args:
        boxes1: ``Tensor[N, 4]`` or ``Tensor[4]`` predicted boxes ``(x1, y1, x2, y2)``.
        boxes2: ``Tensor[N, 4]`` or ``Tensor[4]`` ground-truth boxes.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        eps: added to the denominators to avoid division by zero.

    Returns:
        The loss per box pair (``'none'``), or its mean / sum. Values lie in ``[0, 2)``.

    Example:
        >>> a, b = ember.tensor([[0.0, 0, 2, 2]]), ember.tensor([[1.0, 0, 3, 2]])
        >>> generalized_box_iou_loss(a, b)  # IoU 1/3, the union fills the enclosing box
        tensor([0.6667])
    """
    _check_pair(boxes1, boxes2, "generalized_box_iou_loss")
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    intsctk, unionk = _loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1, yc1 = ember.minimum(x1, x1g), ember.minimum(y1, y1g)
    xc2, yc2 = ember.maximum(x2, x2g), ember.maximum(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    return _reduce(1 - miouk, reduction)
