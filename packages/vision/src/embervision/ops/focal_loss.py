"""Sigmoid focal loss (Lin et al., RetinaNet, 2017), as torchvision's ``ops/focal_loss.py``."""

from __future__ import annotations

import ember
import ember.nn.functional as F
from ember import Tensor

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(
    inputs: Tensor,
    targets: Tensor,
    alpha: float = 0.25,
    gamma: float = 2,
    reduction: str = "none",
) -> Tensor:
    """Focal loss for dense detection: binary cross-entropy down-weighted on easy examples.

    ``FL = alpha_t * (1 - p_t)^gamma * BCE(inputs, targets)`` with ``p = sigmoid(inputs)``,
    ``p_t = p * t + (1 - p) * (1 - t)`` and ``alpha_t = alpha * t + (1 - alpha) * (1 - t)``.
    The cross-entropy term comes from the stable ``binary_cross_entropy_with_logits``.

    Args:
        inputs: logits of any shape.
        targets: same shape, the binary labels (0 or 1; soft labels work too).
        alpha: weight of the positive class in ``[0, 1]``, or ``-1`` for no weighting.
        gamma: focusing exponent (0 gives the weighted cross-entropy).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Returns:
        The loss, of the inputs' shape for ``'none'``, else a scalar.

    Example:
        >>> sigmoid_focal_loss(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor([0.0433])
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(
            f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore."
        )
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(
            f"Invalid Value for arg 'reduction': '{reduction}' \n Supported reduction modes: "
            f"'none', 'mean', 'sum'"
        )
    if inputs.shape != targets.shape:
        raise ValueError(
            f"sigmoid_focal_loss: inputs and targets must have the same shape, got "
            f"{tuple(inputs.shape)} and {tuple(targets.shape)}"
        )
    p = ember.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss
