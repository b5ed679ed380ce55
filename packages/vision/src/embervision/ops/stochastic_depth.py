"""Stochastic depth (Huang et al., 2016), as torchvision's ``ops/stochastic_depth.py``: drop a
residual branch at random during training (per sample with ``mode='row'``, for the whole batch
with ``mode='batch'``), scaling the kept ones by ``1 / (1 - p)`` so the expectation is kept."""

from __future__ import annotations

import ember
from ember import Tensor, nn

__all__ = ["stochastic_depth", "StochasticDepth"]


def stochastic_depth(input: Tensor, p: float, mode: str, training: bool = True) -> Tensor:
    """Randomly zero the residual branch ``input`` (per row or for the whole batch).

    Args:
        input: ``Tensor[N, ...]``, the output of a residual branch (before it is added).
        p: probability of dropping the branch.
        mode: ``'row'`` (one draw per sample) or ``'batch'`` (one draw for the batch).
        training: apply it (else the input is returned as it is).

    Returns:
        ``input * noise`` with ``noise`` ~ Bernoulli(1 - p) / (1 - p), of the input's shape.
        Draws come from Ember's default generator (``ember.manual_seed`` reproduces them).
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    if mode == "row":
        size = [input.shape[0]] + [1] * (input.ndim - 1)
    else:
        size = [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype, device=input.device)
    noise = noise.bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth` (active in training mode only).

    Example:
        >>> sd = StochasticDepth(0.2, "row")
        >>> sd
        StochasticDepth(p=0.2, mode=row)
    """

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"
