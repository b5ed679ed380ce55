"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from .._tensor import _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import (
    _bump_version,
    _check_betas,
    _check_lr,
    _check_non_negative,
    _check_unsupported,
    _grad_array,
    _increment,
    _lerp_,
    _params_and_grads,
    _real,
    _scalar_tensor,
    _value,
)
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7), PyTorch's formulation.

    .. math::
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t \\
        u_t &\leftarrow \max(\beta_2 u_{t-1}, |g_t| + \epsilon) \\
        \theta_t &\leftarrow \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \frac{m_t}{u_t}

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate (default 2e-3).
        betas: decay rates of the moment and of the infinity norm (default (0.9, 0.999)).
        eps: term added to :math:`|g_t|` (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_non_negative("epsilon", eps)
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported("Adamax", differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = group["betas"]
            options = (beta1, beta2, group["eps"], group["weight_decay"], group["maximize"])
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = xp_of(p._data)
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _make(xp.zeros_like(p._data))
                    state["exp_inf"] = _make(xp.zeros_like(p._data))
                step = _increment(state["step"])
                clr = lr / (1 - beta1**step)
                buffers = (state["exp_avg"], state["exp_inf"])
                arrays = (_real(p._data), _real(g), *(_real(b._data) for b in buffers))
                self._apply(_adamax_kernel, arrays, 2, clr, *options)
                for t in (p, *buffers):
                    _bump_version(t)
        return loss


def _adamax_kernel(
    xp, p, g, exp_avg, exp_inf, scratch, tmp, clr, beta1, beta2, eps, weight_decay, maximize
):
    g = _grad_array(xp, p, g, weight_decay, maximize, scratch)
    _lerp_(xp, exp_avg, g, 1 - beta1, tmp)
    # exp_inf = max(beta2 * exp_inf, |g| + eps): the exponentially weighted infinity norm
    exp_inf *= beta2
    xp.abs(g, out=tmp)
    tmp += eps
    xp.maximum(exp_inf, tmp, out=exp_inf)
    xp.divide(exp_avg, exp_inf, out=tmp)
    tmp *= clr
    p -= tmp
