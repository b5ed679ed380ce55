"""Adafactor: adaptive steps with a factored second moment (Shazeer & Stern, 2018)."""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import (
    _bump_version,
    _increment,
    _lerp_,
    _params_and_grads,
    _scalar_tensor,
    _value,
)
from .optimizer import Optimizer

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor, PyTorch's formulation (``torch.optim.Adafactor``).

    For a matrix (or a batch of matrices: the last two dimensions) the second moment is kept
    as a row factor :math:`R` and a column factor :math:`C`, memory :math:`n + m` instead of
    :math:`nm`; vectors keep a full second moment :math:`\hat V`:

    .. math::
        \hat\beta_{2,t} &= 1 - t^{\tau}, \quad \rho_t = \min(\gamma, 1/\sqrt t), \quad
        \alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\,\rho_t \\
        \theta_t &\leftarrow (1 - \gamma\lambda)\,\theta_{t-1} \\
        R_t &\leftarrow \mathrm{lerp}(R_{t-1}, \mathrm{mean}_{cols}(G_t^2), 1-\hat\beta_{2,t}),
        \quad C_t \leftarrow \mathrm{lerp}(C_{t-1}, \mathrm{mean}_{rows}(G_t^2),
            1-\hat\beta_{2,t}) \\
        \hat V_t &= \frac{R_t C_t}{\max(\mathrm{mean}(R_t), \epsilon_1)}, \quad
        U_t = \frac{G_t}{\max(\sqrt{\hat V_t}, \epsilon_1)}, \quad
        \theta_t \leftarrow \theta_t - \frac{\alpha_t\,U_t}{\max(1, \mathrm{RMS}(U_t)/d)}

    As in PyTorch (and unlike the paper), ``lr`` caps the relative step size :math:`\rho_t`
    and scales the decoupled weight decay, and :math:`\epsilon_1` guards the final variance
    estimate rather than the factors; means replace the paper's sums (the same update).

    Args:
        params: parameters or parameter groups to optimise.
        lr: maximum relative step size, and the weight-decay factor (default 1e-2).
        beta2_decay: :math:`\tau`, the decay rate of :math:`\hat\beta_2` (default -0.8).
        eps: :math:`(\epsilon_1, \epsilon_2)` (default (None, 1e-3)); ``None`` takes the
            machine epsilon of the parameter's dtype.
        d: clipping threshold of the update's RMS (default 1.0).
        weight_decay: decoupled weight-decay coefficient :math:`\lambda` (default 0.0).
        maximize: maximise the objective instead of minimising it.
        foreach: accepted for PyTorch compatibility and ignored.

    State per parameter (PyTorch's keys): ``step`` (0-d float32), and ``row_var`` (shape
    ``(..., n, 1)``) with ``col_var`` (``(..., 1, m)``) for tensors of two or more dimensions,
    or ``variance`` for vectors and scalars.

    Example:
        >>> w = ember.ones(4, 3, requires_grad=True)
        >>> opt = ember.optim.Adafactor([w], lr=1e-2)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> opt.state[w]["row_var"].shape, opt.state[w]["col_var"].shape
        (ember.Size([4, 1]), ember.Size([1, 3]))
    """

    _tensor_state_keys = ("step",)

    def __init__(
        self,
        params,
        lr=1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        # PyTorch's own checks and messages (they differ in wording from the other optimisers').
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _value(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, p, g) -> dict:
        state = self.state[p]
        if len(state) == 0:
            xp = xp_of(g)
            state["step"] = _scalar_tensor(0.0)
            if g.ndim > 1:
                state["row_var"] = _make(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                state["col_var"] = _make(xp.zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype))
            else:
                state["variance"] = _make(xp.zeros_like(g))
        return state

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            eps1, eps2 = group["eps"]
            weight_decay, d = group["weight_decay"], group["d"]
            for p, g in _params_and_grads(group):
                if p._data.dtype.kind == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self._init_state(p, g)
                step = _increment(state["step"])
                xp = xp_of(p._data)
                param = p._data
                if group["maximize"]:
                    g = -g
                # PyTorch takes eps1 from the first parameter's dtype; per parameter here (the
                # same for a group of one dtype, the right epsilon for each of mixed ones).
                e1 = dt.finfo(dt.from_numpy_dtype(param.dtype)).eps if eps1 is None else eps1
                one_minus_beta2 = step ** group["beta2_decay"]
                rho = min(lr, 1 / math.sqrt(step))
                alpha = max(eps2, _rms(xp, param)) * rho
                if weight_decay != 0:
                    param *= 1 - lr * weight_decay
                square, tmp = self._workspace(g, 2)
                xp.multiply(g, g, out=square)
                if g.ndim > 1:
                    row_var, col_var = state["row_var"], state["col_var"]
                    for var, axis in ((row_var, -1), (col_var, -2)):
                        mean = square.mean(axis=axis, keepdims=True)
                        _lerp_(xp, var._data, mean, one_minus_beta2, _head(tmp, mean.shape))
                    # The rank-1 estimate R C / mean(R): the outer product by broadcasting.
                    row_mean = row_var._data.mean(axis=-2, keepdims=True)
                    xp.multiply(row_var._data, col_var._data, out=square)
                    square /= xp.maximum(row_mean, e1)
                    buffers = (row_var, col_var)
                else:
                    variance = state["variance"]
                    _lerp_(xp, variance._data, square, one_minus_beta2, tmp)
                    xp.copyto(square, variance._data)
                    buffers = (variance,)
                # update = g / max(sqrt(V), eps1), with its RMS clipped to d.
                xp.maximum(square, e1 * e1, out=square)
                xp.sqrt(square, out=square)
                xp.divide(g, square, out=square)
                denom = max(1.0, _rms(xp, square) / d)
                square *= alpha / denom
                param -= square
                for t in (p, *buffers):
                    _bump_version(t)
        return loss


def _rms(xp, a) -> float:
    """Root mean square of ``a`` as a Python float (``norm / sqrt(numel)``), accumulated in at
    least float32 (a bfloat16 sum of squares would lose most of its digits)."""
    if a.size == 0:
        return 0.0
    flat = a.reshape(-1)
    if flat.dtype.itemsize < 4:
        flat = flat.astype(np.float32)
    return float(xp.sqrt(xp.dot(flat, flat))) / math.sqrt(flat.size)


def _head(buf, shape):
    """The first ``prod(shape)`` elements of a scratch array, shaped ``shape``."""
    return buf.reshape(-1)[: math.prod(shape)].reshape(shape)
