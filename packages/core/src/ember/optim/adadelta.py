"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from .._tensor import _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import (
    _bump_version,
    _check_lr,
    _check_non_negative,
    _check_unsupported,
    _grad_array,
    _increment,
    _params_and_grads,
    _real,
    _scalar_tensor,
    _value,
)
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's formulation.

    .. math::
        v_t &\leftarrow \rho v_{t-1} + (1-\rho) g_t^2 \\
        \Delta_t &\leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
        u_t &\leftarrow \rho u_{t-1} + (1-\rho) \Delta_t^2 \\
        \theta_t &\leftarrow \theta_{t-1} - \gamma \Delta_t

    Args:
        params: parameters or parameter groups to optimise.
        lr: coefficient scaling the delta (default 1.0).
        rho: decay of the running averages (default 0.9).
        eps: term added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative("epsilon", eps)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported("Adadelta", differentiable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            options = (
                _value(group["lr"]),
                group["rho"],
                group["eps"],
                group["weight_decay"],
                group["maximize"],
            )
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = xp_of(p._data)
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _make(xp.zeros_like(p._data))
                    state["acc_delta"] = _make(xp.zeros_like(p._data))
                _increment(state["step"])
                buffers = (state["square_avg"], state["acc_delta"])
                arrays = (_real(p._data), _real(g), *(_real(b._data) for b in buffers))
                self._apply(_adadelta_kernel, arrays, 3, *options)
                for t in (p, *buffers):
                    _bump_version(t)
        return loss


def _adadelta_kernel(
    xp, p, g, square_avg, acc_delta, scratch, std, delta, lr, rho, eps, weight_decay, maximize
):
    g = _grad_array(xp, p, g, weight_decay, maximize, scratch)
    square_avg *= rho
    xp.multiply(g, g, out=std)
    std *= 1 - rho
    square_avg += std
    xp.add(square_avg, eps, out=std)
    xp.sqrt(std, out=std)
    xp.add(acc_delta, eps, out=delta)
    xp.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    # acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    acc_delta *= rho
    xp.multiply(delta, delta, out=std)
    std *= 1 - rho
    acc_delta += std
    delta *= lr
    p -= delta
