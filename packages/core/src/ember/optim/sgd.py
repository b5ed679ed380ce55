"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

from .._tensor import _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import (
    _bump_version,
    _check_lr,
    _check_unsupported,
    _grad_array,
    _params_and_grads,
    _real,
    _value,
)
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's formulation.

    With gradient :math:`g_t` (negated when ``maximize``), weight decay :math:`\lambda`,
    momentum :math:`\mu`, dampening :math:`\tau`:

    .. math::
        g_t &\leftarrow g_t + \lambda\theta_{t-1} \\
        b_t &\leftarrow \mu b_{t-1} + (1-\tau) g_t \quad (b_1 = g_1) \\
        g_t &\leftarrow g_t + \mu b_t \text{ (nesterov) or } b_t \\
        \theta_t &\leftarrow \theta_{t-1} - \gamma g_t

    Note the momentum form: PyTorch (unlike Sutskever et al.) scales the buffer, not the
    update, by the learning rate's complement; the first buffer is the plain gradient.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate :math:`\gamma` (default 1e-3; a float or a 1-element tensor).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening :math:`\tau` for momentum (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize: maximise the objective instead of minimising it.
        foreach, fused: accepted for PyTorch compatibility; Ember has one implementation.
        differentiable: must be False (see :class:`Optimizer`).

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if _value(weight_decay) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_unsupported("SGD", differentiable, foreach, fused)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            weight_decay = _value(group["weight_decay"])
            momentum = group["momentum"]
            options = (lr, weight_decay, momentum, group["dampening"], group["nesterov"])
            for p, g in _params_and_grads(group):
                buf = first = None
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    first = buf is None
                    if first:
                        buf = state["momentum_buffer"] = _make(xp_of(p._data).empty_like(p._data))
                    _bump_version(buf)
                arrays = (_real(p._data), _real(g), None if buf is None else _real(buf._data))
                self._apply(_sgd_kernel, arrays, 2, *options, group["maximize"], first)
                _bump_version(p)
        return loss


def _sgd_kernel(
    xp, p, g, buf, scratch, update, lr, weight_decay, momentum, dampening, nesterov, maximize, first
):
    g = _grad_array(xp, p, g, weight_decay, maximize, scratch)
    if buf is not None:
        if first:
            buf[...] = g  # the first buffer is the gradient itself (no dampening), as in PyTorch
        else:
            buf *= momentum
            if dampening == 0:
                buf += g
            else:
                xp.multiply(g, 1 - dampening, out=update)
                buf += update
        if nesterov:
            xp.multiply(buf, momentum, out=update)
            update += g
            g = update
        else:
            g = buf
    # param.add_(g, alpha=-lr)
    xp.multiply(g, lr, out=update)
    p -= update
