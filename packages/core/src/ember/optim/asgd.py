"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

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

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, PyTorch's formulation.

    .. math::
        g_t &\leftarrow \nabla f(\theta_{t-1}) + \lambda_{wd}\theta_{t-1} \\
        \theta_t &\leftarrow (1 - \lambda\eta_{t-1})\theta_{t-1} - \eta_{t-1} g_t \\
        \bar\theta_t &\leftarrow \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1})
            \quad(\bar\theta_t \leftarrow \theta_t \text{ while } \mu_{t-1} = 1) \\
        \eta_t &\leftarrow \frac{\gamma}{(1 + \lambda\gamma t)^\alpha}, \qquad
        \mu_t \leftarrow \frac{1}{\max(1, t - t_0)}

    The parameters follow plain SGD (with the decay term :math:`\lambda`); the running average
    :math:`\bar\theta` (state ``'ax'``) starts averaging after step :math:`t_0` and is what the
    method returns as its estimate: copy it into the parameters for evaluation.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lambd: decay term :math:`\lambda` (default 1e-4).
        alpha: power of the step-size decay (default 0.75).
        t0: step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State per parameter (PyTorch's keys): ``step``, ``eta`` and ``mu`` (0-d float32 tensors)
    and ``ax`` (the average, shaped like the parameter).

    Example:
        >>> w = ember.zeros(3, requires_grad=True)
        >>> opt = ember.optim.ASGD([w], lr=0.1, t0=0)
        >>> w.grad = ember.ones(3)
        >>> opt.step()
        >>> opt.state[w]["ax"]
        tensor([-0.1000, -0.1000, -0.1000])
    """

    _tensor_state_keys = ("step", "eta", "mu")

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_non_negative("weight_decay", weight_decay)
        _check_unsupported("ASGD", differentiable)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
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
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["eta"] = _scalar_tensor(lr)
                    state["mu"] = _scalar_tensor(1.0)
                    state["ax"] = _make(xp_of(p._data).zeros_like(p._data))
                step = _increment(state["step"])
                # eta and mu are read back from their float32 tensors, as PyTorch's .item().
                eta = float(state["eta"]._data)
                mu = float(state["mu"]._data)
                ax = state["ax"]
                arrays = [_real(p._data), _real(g), _real(ax._data)]
                self._apply(
                    _asgd_kernel,
                    arrays,
                    2,
                    1 - lambd * eta,
                    eta,
                    mu,
                    group["weight_decay"],
                    group["maximize"],
                )
                # The schedules for the next step, computed in double precision and stored in
                # the 0-d state tensors.
                state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = 1 / max(1, step - t0)
                for t in (p, ax, state["eta"], state["mu"]):
                    _bump_version(t)
        return loss


def _asgd_kernel(xp, p, g, ax, scratch, tmp, decay, eta, mu, weight_decay, maximize):
    # The L2 term uses the parameter before the decay step (PyTorch adds it to the gradient
    # first).
    g = _grad_array(xp, p, g, weight_decay, maximize, scratch)
    p *= decay
    xp.multiply(g, eta, out=tmp)
    p -= tmp
    if mu != 1:
        xp.subtract(p, ax, out=tmp)
        tmp *= mu
        ax += tmp
    else:  # before t0 the "average" is the latest iterate
        xp.copyto(ax, p)
