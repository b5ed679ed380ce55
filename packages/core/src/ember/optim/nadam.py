"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's formulation (with Dozat's momentum schedule).

    .. math::
        \mu_t &= \beta_1 \big(1 - \tfrac12 \, 0.96^{t\psi}\big), \qquad
        \Pi_t = \textstyle\prod_{i\le t} \mu_i \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t &\leftarrow \theta_{t-1}
            - \gamma\frac{1-\mu_t}{1-\Pi_t}\frac{g_t}{\sqrt{\hat v_t}+\epsilon}
            - \gamma\frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\frac{m_t}{\sqrt{\hat v_t}+\epsilon},
        \quad \hat v_t = v_t / (1-\beta_2^t)

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate (default 2e-3).
        betas: decay rates of the moment averages (default (0.9, 0.999)).
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay (default 0).
        momentum_decay: :math:`\psi` (default 4e-3).
        decoupled_weight_decay: decay the weights directly (NAdamW) instead of through the
            gradient.
        maximize: maximise the objective instead of minimising it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State: ``step`` and ``mu_product`` (0-d float32 CPU tensors, as in PyTorch), ``exp_avg``,
    ``exp_avg_sq``.
    """

    _tensor_state_keys = ("step", "mu_product")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
        _check_non_negative("momentum_decay", momentum_decay)
        _check_unsupported("NAdam", differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
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
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            decay = 1 - lr * weight_decay if group["decoupled_weight_decay"] else 1.0
            l2 = 0.0 if group["decoupled_weight_decay"] else weight_decay
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = xp_of(p._data)
                    state["step"] = _scalar_tensor(0.0)
                    state["mu_product"] = _scalar_tensor(1.0)
                    state["exp_avg"] = _make(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = _make(xp.zeros_like(p._data))
                step = _increment(state["step"])
                # Dozat's momentum schedule: mu_t and mu_{t+1}.
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                # mu_product is a float32 tensor in PyTorch: the product rounds to float32.
                mu_product_t = state["mu_product"]
                mu_product_t._data *= mu
                _bump_version(mu_product_t)
                mu_product = float(mu_product_t._data)
                grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
                avg_coef = (-lr * mu_next) / (1.0 - mu_product * mu_next)
                buffers = (state["exp_avg"], state["exp_avg_sq"])
                arrays = (_real(p._data), _real(g), *(_real(b._data) for b in buffers))
                self._apply(
                    _nadam_kernel,
                    arrays,
                    3,
                    decay,
                    l2,
                    group["maximize"],
                    beta1,
                    beta2,
                    group["eps"],
                    1 - beta2**step,
                    grad_coef,
                    avg_coef,
                )
                for t in (p, *buffers):
                    _bump_version(t)
        return loss


def _nadam_kernel(
    xp,
    p,
    g,
    exp_avg,
    exp_avg_sq,
    scratch,
    denom,
    tmp,
    decay,
    l2,
    maximize,
    beta1,
    beta2,
    eps,
    bias_correction2,
    grad_coef,
    avg_coef,
):
    if decay != 1.0:
        p *= decay
    g = _grad_array(xp, p, g, l2, maximize, scratch)
    _lerp_(xp, exp_avg, g, 1 - beta1, tmp)
    exp_avg_sq *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq += tmp
    xp.divide(exp_avg_sq, bias_correction2, out=denom)
    xp.sqrt(denom, out=denom)
    denom += eps
    # The Nesterov look-ahead: the current gradient and the momentum, each with its weight.
    xp.divide(g, denom, out=tmp)
    tmp *= grad_coef
    p += tmp
    xp.divide(exp_avg, denom, out=tmp)
    tmp *= avg_coef
    p += tmp
