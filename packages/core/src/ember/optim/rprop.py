"""Rprop: resilient backpropagation (Riedmiller & Braun, 1993)."""

from __future__ import annotations

from .._tensor import _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import (
    _bump_version,
    _check_lr,
    _check_unsupported,
    _grad_array,
    _increment,
    _params_and_grads,
    _real,
    _scalar_tensor,
    _value,
)
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation: a per-element step size that grows while the gradient keeps
    its sign and shrinks when it flips; only the gradient's sign moves the parameter.

    .. math::
        \eta^i_t &\leftarrow \begin{cases}
            \min(\eta^i_{t-1}\eta_+, \Gamma_{max}) & g^i_{prev} g^i_t > 0 \\
            \max(\eta^i_{t-1}\eta_-, \Gamma_{min}),\ g^i_t \leftarrow 0 & g^i_{prev} g^i_t < 0 \\
            \eta^i_{t-1} & \text{otherwise}
        \end{cases} \\
        \theta_t &\leftarrow \theta_{t-1} - \eta_t\,\mathrm{sign}(g_t), \qquad
        g_{prev} \leftarrow g_t

    After a sign flip the gradient is taken as zero: that element does not move this step,
    and the next step does not change its step size (PyTorch's variant, "Rprop-" without
    weight backtracking). Rprop is meant for full-batch training.

    Args:
        params: parameters or parameter groups to optimise.
        lr: initial step size of every element (default 1e-2).
        etas: ``(etaminus, etaplus)``, the multiplicative decrease and increase factors
            (default (0.5, 1.2)); ``0 < etaminus < 1 < etaplus``.
        step_sizes: ``(min, max)`` allowed step sizes (default (1e-6, 50)).
        maximize: maximise the objective instead of minimising it.
        capturable, foreach: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State per parameter (PyTorch's keys): ``step`` (0-d float32), ``prev`` (the previous
    gradient, zero where it flipped) and ``step_size``.

    Example:
        >>> w = ember.zeros(2, requires_grad=True)
        >>> opt = ember.optim.Rprop([w], lr=0.1)
        >>> w.grad = ember.tensor([1.0, -2.0])
        >>> opt.step()
        >>> w
        tensor([-0.1000,  0.1000], requires_grad=True)
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_unsupported("Rprop", differentiable)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = xp_of(p._data)
                    lr = _value(group["lr"])
                    state["step"] = _scalar_tensor(0.0)
                    state["prev"] = _make(xp.zeros_like(p._data))
                    # A complex parameter gets lr on both the real and imaginary parts.
                    fill = complex(lr, lr) if p._data.dtype.kind == "c" else lr
                    state["step_size"] = _make(xp.full_like(g, fill))
                _increment(state["step"])
                prev, step_size = state["prev"], state["step_size"]
                arrays = [_real(p._data), _real(g), _real(prev._data), _real(step_size._data)]
                self._apply(
                    _rprop_kernel,
                    arrays,
                    2,
                    etaminus,
                    etaplus,
                    step_size_min,
                    step_size_max,
                    group["maximize"],
                )
                for t in (p, prev, step_size):
                    _bump_version(t)
        return loss


def _rprop_kernel(
    xp, p, g, prev, step_size, scratch, tmp, etaminus, etaplus, size_min, size_max, maximize
):
    g = _grad_array(xp, p, g, 0.0, maximize, scratch)
    xp.multiply(g, prev, out=tmp)
    xp.sign(tmp, out=tmp)
    flipped = tmp < 0
    # The sign becomes the step-size factor: etaplus where the sign held, etaminus where it
    # flipped, 1 where either gradient is zero (NaN stays NaN, as in PyTorch).
    xp.copyto(tmp, etaplus, where=tmp > 0)
    xp.copyto(tmp, etaminus, where=flipped)
    xp.copyto(tmp, 1, where=tmp == 0)
    step_size *= tmp
    xp.clip(step_size, size_min, size_max, out=step_size)
    # A flipped gradient counts as zero: no move now, and no step-size change next step.
    xp.copyto(prev, g)
    xp.copyto(prev, 0, where=flipped)
    xp.sign(prev, out=tmp)
    tmp *= step_size
    p -= tmp
