"""Adam (and, with ``decoupled_weight_decay=True``, AdamW): adaptive moment estimation."""

from __future__ import annotations

from .._tensor import Tensor, _make
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

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), PyTorch's formulation.

    .. math::
        g_t &\leftarrow \nabla f(\theta_{t-1}) + \lambda\theta_{t-1}
            \quad\text{(or } \theta_{t-1} \leftarrow (1-\gamma\lambda)\theta_{t-1}
            \text{ when decoupled)} \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t &\leftarrow \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}
            \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    With ``amsgrad`` the running maximum of :math:`v_t` replaces :math:`v_t` in the
    denominator. Note where :math:`\epsilon` sits: added after the bias correction of
    :math:`\sqrt{v_t}`, exactly as PyTorch does.

    Args:
        params: parameters or parameter groups to optimise.
        lr: learning rate (default 1e-3; a float or 1-element tensor).
        betas: decay rates of the first and second moment averages (default (0.9, 0.999)).
        eps: term added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty (default 0), or decoupled decay (see below).
        amsgrad: use the AMSGrad variant (Reddi et al., 2018).
        maximize: maximise the objective instead of minimising it.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding
            ``weight_decay * param`` to the gradient.
        foreach, capturable, fused: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State per parameter: ``step`` (0-d float32 CPU tensor, as PyTorch keeps it), ``exp_avg``,
    ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_non_negative("epsilon", eps)
        _check_betas(betas)
        _check_non_negative("weight_decay", weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        _check_unsupported(type(self).__name__, differentiable, foreach, fused)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, amsgrad: bool) -> dict:
        state = self.state[p]
        if len(state) == 0:
            xp = xp_of(p._data)
            state["step"] = _scalar_tensor(0.0)
            state["exp_avg"] = _make(xp.zeros_like(p._data))
            state["exp_avg_sq"] = _make(xp.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = _make(xp.zeros_like(p._data))
        return state

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = (_value(b) for b in group["betas"])
            weight_decay = _value(group["weight_decay"])
            amsgrad = group["amsgrad"]
            # Decoupled decay shrinks the weights; L2 decay goes through the gradient.
            decay = 1 - lr * weight_decay if group["decoupled_weight_decay"] else 1.0
            l2 = 0.0 if group["decoupled_weight_decay"] else weight_decay
            for p, g in _params_and_grads(group):
                state = self._init_state(p, amsgrad)
                step = _increment(state["step"])
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                buffers = [state["exp_avg"], state["exp_avg_sq"]]
                if amsgrad:
                    buffers.append(state["max_exp_avg_sq"])
                arrays = [_real(p._data), _real(g)] + [_real(b._data) for b in buffers]
                if not amsgrad:
                    arrays.append(None)
                self._apply(
                    _adam_kernel,
                    arrays,
                    2,
                    decay,
                    l2,
                    group["maximize"],
                    beta1,
                    beta2,
                    group["eps"],
                    lr / bias_correction1,
                    bias_correction2_sqrt,
                )
                for t in (p, *buffers):
                    _bump_version(t)
        return loss


def _adam_kernel(
    xp,
    p,
    g,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    scratch,
    tmp,
    decay,
    l2,
    maximize,
    beta1,
    beta2,
    eps,
    step_size,
    bias_correction2_sqrt,
):
    if decay != 1.0:
        p *= decay
    g = _grad_array(xp, p, g, l2, maximize, scratch)
    _lerp_(xp, exp_avg, g, 1 - beta1, tmp)
    # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    exp_avg_sq *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq += tmp
    second = exp_avg_sq
    if max_exp_avg_sq is not None:  # amsgrad: the running maximum normalises
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    # denom = sqrt(v) / sqrt(1 - beta2^t) + eps;  param -= step_size * m / denom
    xp.sqrt(second, out=tmp)
    tmp /= bias_correction2_sqrt
    tmp += eps
    xp.divide(exp_avg, tmp, out=tmp)
    tmp *= step_size
    p -= tmp
