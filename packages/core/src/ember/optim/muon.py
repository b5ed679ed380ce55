"""Muon: momentum orthogonalised by a Newton-Schulz iteration, for 2-D weights (Jordan, 2024)."""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import _bump_version, _lerp_, _params_and_grads, _value
from .optimizer import Optimizer

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _round_bfloat16(xp, a):
    """Round a float32 array to the nearest bfloat16 value (ties to even), in place, through
    its bits: the same numbers as a cast to bfloat16 and back, on NumPy and CuPy alike (CuPy
    has no bfloat16 dtype)."""
    bits = a.view(np.uint32)
    nan = xp.isnan(a)
    bits += np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    bits &= np.uint32(0xFFFF0000)
    xp.copyto(a, np.float32("nan"), where=nan)
    return a


def _zeropower_via_newtonschulz(xp, grad, ns_coefficients, ns_steps: int, eps: float):
    """The Newton-Schulz iteration ``X <- a X + (b A + c A^2) X`` with ``A = X X^T``, from
    ``X = G / ||G||``, which drives every singular value of ``X`` towards 1 (to roughly
    U(0.5, 1.5) with the default quintic coefficients, chosen for the steepest slope at zero):
    an approximation of ``U V^T`` for ``G = U S V^T``, without an SVD.

    As in PyTorch, the iteration runs in bfloat16 (products accumulated in float32, every
    intermediate rounded to bfloat16) on the wide orientation of the matrix, so the Gram
    matrix is the smaller one. Returns a float32 array shaped like ``grad``.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (float(v) for v in ns_coefficients)
    x = _round_bfloat16(xp, grad.astype(np.float32))
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _round_bfloat16(xp, xp.sqrt(xp.sum(x * x, dtype=np.float32)).reshape(1))
    x = _round_bfloat16(xp, x / max(float(norm[0]), eps))
    for _ in range(ns_steps):
        gram = _round_bfloat16(xp, x @ x.T)
        # addmm(gram, gram, gram, beta=b, alpha=c): one rounding of b * A + c * A @ A
        poly = _round_bfloat16(xp, b * gram + c * (gram @ gram))
        x = _round_bfloat16(xp, a * x + poly @ x)
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape) -> float:
    """Scale the step so the orthogonalised update's RMS suits the matrix's shape ``(A, B)``:
    ``sqrt(max(1, A / B))`` (Keller Jordan's original) or ``0.2 sqrt(max(A, B))`` (Moonshot's,
    which matches AdamW's update RMS so AdamW's lr and weight decay carry over)."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon, PyTorch's formulation (``torch.optim.Muon``): SGD with momentum whose update is
    orthogonalised by a Newton-Schulz iteration. For the 2-D weights of hidden layers only:
    optimise biases, embeddings and other parameters with e.g. AdamW.

    .. math::
        B_t &\leftarrow \mu B_{t-1} + (1-\mu) g_t, \qquad
        \tilde B_t \leftarrow \begin{cases} g_t + \mu (B_t - g_t) & \text{nesterov} \\
            B_t & \text{otherwise} \end{cases} \\
        O_t &\leftarrow \mathrm{NS}^{(a,b,c)}_k(\tilde B_t; \epsilon), \qquad
        \theta_t \leftarrow (1 - \gamma\lambda)\theta_{t-1}
            - \mathrm{AdjustLR}(\gamma, \mathrm{shape}\,\theta)\, O_t

    (The momentum buffer is an exponential average, ``lerp``, as PyTorch's code computes it.)

    Args:
        params: 2-D parameters or parameter groups to optimise.
        lr: learning rate (default 1e-3).
        weight_decay: decoupled weight decay (default 0.1).
        momentum: momentum factor (default 0.95).
        nesterov: use Nesterov momentum (default True).
        ns_coefficients: the quintic's ``(a, b, c)`` (default (3.4445, -4.7750, 2.0315)).
        eps: lower bound of the norm the iteration starts by dividing by (default 1e-7).
        ns_steps: Newton-Schulz iterations (default 5; fewer than 100).
        adjust_lr_fn: ``None``/``"original"`` or ``"match_rms_adamw"`` (see ``_adjust_lr``).

    State per parameter (PyTorch's key): ``momentum_buffer``.

    Example:
        >>> w = ember.randn(4, 6, requires_grad=True)
        >>> opt = ember.optim.Muon([w], lr=0.02)
        >>> w.grad = ember.randn(4, 6)
        >>> opt.step()
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps: float = EPS,
        ns_steps: int = DEFAULT_NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _value(lr):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {p.size()}"
                    )

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            momentum = group["momentum"]
            for p, g in _params_and_grads(group):
                if p._data.dtype.kind == "c":
                    raise RuntimeError("Muon does not support complex parameters")
                if g.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                xp = xp_of(p._data)
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = _make(xp.zeros_like(g))
                buf = state["momentum_buffer"]
                tmp, scratch = self._workspace(g, 2)
                _lerp_(xp, buf._data, g, 1 - momentum, tmp)
                if group["nesterov"]:  # grad.lerp(buf, momentum), into the scratch array
                    xp.copyto(tmp, g)
                    _lerp_(xp, tmp, buf._data, momentum, scratch)
                    update = tmp
                else:
                    update = buf._data
                ortho = _zeropower_via_newtonschulz(
                    xp, update, group["ns_coefficients"], group["ns_steps"], group["eps"]
                )
                adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                p._data *= 1 - lr * group["weight_decay"]
                ortho *= -adjusted_lr
                p._data += ortho.astype(p._data.dtype, copy=False)
                for t in (p, buf):
                    _bump_version(t)
        return loss
