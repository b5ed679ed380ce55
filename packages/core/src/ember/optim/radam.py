"""RAdam: Adam with the variance of the adaptive learning rate rectified (Liu et al., 2019)."""

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

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's formulation.

    .. math::
        \rho_\infty &= \frac{2}{1-\beta_2} - 1, \qquad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t} \\
        \hat m_t &= m_t / (1-\beta_1^t) \\
        \theta_t &\leftarrow \theta_{t-1} - \gamma \hat m_t r_t
            \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}
            \ \text{ if } \rho_t > 5, \text{ else }\ \theta_{t-1} - \gamma \hat m_t \\
        r_t &= \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    While the variance estimate is unreliable (:math:`\rho_t \le 5`, the first steps) the
    update is plain momentum SGD.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate (default 1e-3).
        betas: decay rates of the moment averages (default (0.9, 0.999)).
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay (default 0).
        decoupled_weight_decay: decay the weights directly (RAdamW).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_non_negative("epsilon", eps)
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported("RAdam", differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = group["betas"]
            weight_decay = group["weight_decay"]
            decay = 1 - lr * weight_decay if group["decoupled_weight_decay"] else 1.0
            l2 = 0.0 if group["decoupled_weight_decay"] else weight_decay
            # The maximum length of the approximated simple moving average.
            rho_inf = 2 / (1 - beta2) - 1
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = xp_of(p._data)
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _make(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = _make(xp.zeros_like(p._data))
                step = _increment(state["step"])
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                # The length of the approximated SMA; the variance is tractable past 5.
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                rect = None
                if rho_t > 5.0:
                    rect = (
                        (rho_t - 4)
                        * (rho_t - 2)
                        * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    ) ** 0.5
                buffers = (state["exp_avg"], state["exp_avg_sq"])
                arrays = (_real(p._data), _real(g), *(_real(b._data) for b in buffers))
                self._apply(
                    _radam_kernel,
                    arrays,
                    3,
                    decay,
                    l2,
                    group["maximize"],
                    lr,
                    beta1,
                    beta2,
                    group["eps"],
                    bias_correction1,
                    bias_correction2,
                    rect,
                )
                for t in (p, *buffers):
                    _bump_version(t)
        return loss


def _radam_kernel(
    xp,
    p,
    g,
    exp_avg,
    exp_avg_sq,
    scratch,
    update,
    tmp,
    decay,
    l2,
    maximize,
    lr,
    beta1,
    beta2,
    eps,
    bias_correction1,
    bias_correction2,
    rect,
):
    if decay != 1.0:
        p *= decay
    g = _grad_array(xp, p, g, l2, maximize, scratch)
    _lerp_(xp, exp_avg, g, 1 - beta1, tmp)
    exp_avg_sq *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq += tmp
    xp.divide(exp_avg, bias_correction1, out=update)
    update *= lr
    if rect is not None:
        # adaptive lr = sqrt(1 - beta2^t) / (sqrt(v_t) + eps), rectified
        xp.sqrt(exp_avg_sq, out=tmp)
        tmp += eps
        xp.divide(bias_correction2**0.5, tmp, out=tmp)
        update *= tmp
        update *= rect
    p -= update
