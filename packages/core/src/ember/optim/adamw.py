"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Adam with decoupled weight decay: the weights shrink by :math:`\gamma\lambda` each step,
    :math:`\theta \leftarrow (1-\gamma\lambda)\theta`, instead of :math:`\lambda\theta` joining
    the gradient (where Adam's normalisation would weaken it for large-gradient weights).

    Args: as :class:`Adam`, with ``weight_decay`` defaulting to 1e-2; always decoupled.

    Example:
        >>> opt = ember.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.05)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        # AdamW's decay is decoupled whatever the loaded groups say (PyTorch does the same).
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
