"""RMSprop: gradients divided by a running root mean square (Hinton's lecture 6e)."""

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
    _lerp_,
    _params_and_grads,
    _real,
    _scalar_tensor,
    _value,
)
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's formulation.

    .. math::
        v_t &\leftarrow \alpha v_{t-1} + (1-\alpha) g_t^2 \\
        \tilde v_t &\leftarrow v_t - \bar g_t^2, \quad
            \bar g_t \leftarrow \alpha \bar g_{t-1} + (1-\alpha) g_t \quad\text{(centered)} \\
        b_t &\leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \quad
        \theta_t \leftarrow \theta_{t-1} - \gamma b_t
        \quad\text{(momentum; else } \theta_t \leftarrow \theta_{t-1} -
            \gamma g_t / (\sqrt{\tilde v_t} + \epsilon))

    :math:`\epsilon` is added outside the square root (unlike TensorFlow's RMSprop).

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance instead of its
            second moment.
        maximize: maximise the objective instead of minimising it.
        capturable, foreach: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_non_negative("epsilon", eps)
        _check_non_negative("momentum", momentum)
        _check_non_negative("weight_decay", weight_decay)
        _check_non_negative("alpha", alpha)
        _check_unsupported("RMSprop", differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            options = (
                _value(group["lr"]),
                group["alpha"],
                group["eps"],
                group["weight_decay"],
                momentum,
                group["maximize"],
            )
            for p, g in _params_and_grads(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = xp_of(p._data)
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _make(xp.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = _make(xp.zeros_like(p._data))
                    if centered:
                        state["grad_avg"] = _make(xp.zeros_like(p._data))
                _increment(state["step"])
                buffers = [
                    state["square_avg"],
                    state.get("grad_avg"),
                    state.get("momentum_buffer") if momentum > 0 else None,
                ]
                arrays = [_real(p._data), _real(g)]
                arrays += [None if b is None else _real(b._data) for b in buffers]
                self._apply(_rmsprop_kernel, arrays, 2, *options)
                for t in (p, *buffers):
                    if t is not None:
                        _bump_version(t)
        return loss


def _rmsprop_kernel(
    xp,
    p,
    g,
    square_avg,
    grad_avg,
    buf,
    scratch,
    tmp,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    maximize,
):
    g = _grad_array(xp, p, g, weight_decay, maximize, scratch)
    square_avg *= alpha
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - alpha
    square_avg += tmp
    if grad_avg is not None:  # centered: normalise by the variance estimate
        _lerp_(xp, grad_avg, g, 1 - alpha, tmp)
        # avg = sqrt(square_avg - grad_avg^2)
        xp.multiply(grad_avg, grad_avg, out=tmp)
        xp.subtract(square_avg, tmp, out=tmp)
        xp.sqrt(tmp, out=tmp)
    else:
        xp.sqrt(square_avg, out=tmp)
    tmp += eps
    xp.divide(g, tmp, out=tmp)
    if buf is not None:
        buf *= momentum
        buf += tmp
        xp.multiply(buf, lr, out=tmp)
    else:
        tmp *= lr
    p -= tmp
