"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

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

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's formulation.

    .. math::
        \tilde\gamma &\leftarrow \gamma / (1 + (t-1)\eta) \\
        s_t &\leftarrow s_{t-1} + g_t^2 \\
        \theta_t &\leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lr_decay: learning-rate decay :math:`\eta` (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sums :math:`s_0` (default 0).
        eps: term added to the denominator (default 1e-10).
        maximize: maximise the objective instead of minimising it.
        foreach, fused: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    Unlike the other optimisers (and like PyTorch), the state (``step``, ``sum``) of the
    parameters given to the constructor is created at once, so it can be shared or inspected
    before the first step.
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        _check_non_negative("lr_decay", lr_decay)
        _check_non_negative("weight_decay", weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        _check_non_negative("epsilon", eps)
        _check_unsupported("Adagrad", differentiable, foreach, fused)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_value: float) -> dict:
        state = self.state[p]
        state["step"] = _scalar_tensor(0.0)
        xp = xp_of(p._data)
        value = complex(initial_value, initial_value) if p.is_complex() else initial_value
        state["sum"] = _make(xp.full_like(p._data, value))
        return state

    def share_memory(self) -> None:
        """Accepted for PyTorch compatibility (Ember has no shared-memory tensors)."""

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            options = (group["eps"], group["weight_decay"], group["maximize"])
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:  # a parameter added later with add_param_group
                    state = self._init_state(p, self.defaults["initial_accumulator_value"])
                step = _increment(state["step"])
                clr = lr / (1 + (step - 1) * group["lr_decay"])
                arrays = (_real(p._data), _real(g), _real(state["sum"]._data))
                self._apply(_adagrad_kernel, arrays, 2, clr, *options)
                _bump_version(state["sum"])
                _bump_version(p)
        return loss


def _adagrad_kernel(xp, p, g, state_sum, scratch, tmp, clr, eps, weight_decay, maximize):
    g = _grad_array(xp, p, g, weight_decay, maximize, scratch)
    xp.multiply(g, g, out=tmp)
    state_sum += tmp
    xp.sqrt(state_sum, out=tmp)
    tmp += eps
    xp.divide(g, tmp, out=tmp)
    tmp *= clr
    p -= tmp
