"""SparseAdam: Adam applied only where the gradient is present (embedding tables)."""

from __future__ import annotations

import math

from .._tensor import Tensor, _make
from ..autograd.grad_mode import no_grad
from ..ops._util import xp_of
from ._util import _bump_version, _params_and_grads, _value
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Masked Adam for embedding tables: the moments and the parameter change only on the
    rows the gradient touches; the other rows keep their moments (no decay) and values.

    On each touched row :math:`r` (step :math:`t` counts every step with a gradient):

    .. math::
        m_r &\leftarrow \beta_1 m_r + (1-\beta_1) g_r, \qquad
        v_r \leftarrow \beta_2 v_r + (1-\beta_2) g_r^2 \\
        \theta_r &\leftarrow \theta_r - \gamma\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
            \frac{m_r}{\sqrt{v_r} + \epsilon}

    Deliberate difference from PyTorch: Ember has no sparse tensors, and
    ``nn.Embedding(sparse=True)`` yields a dense gradient with zero rows for the indices not
    looked up. So the rows touched are those whose gradient is non-zero somewhere (rows along
    dimension 0; single elements for a vector), where PyTorch takes the indices stored in its
    sparse gradient, and a dense gradient is accepted instead of raising. The two agree except
    for a looked-up row whose gradient is exactly zero, which PyTorch updates and Ember skips.

    Args:
        params: parameters or parameter groups to optimise (real, dense).
        lr: learning rate (default 1e-3).
        betas: decay rates of the moment averages (default (0.9, 0.999)).
        eps: term added to the denominator (default 1e-8).
        maximize: maximise the objective instead of minimising it.

    State per parameter (PyTorch's keys): ``step`` (a Python int, as in PyTorch), ``exp_avg``
    and ``exp_avg_sq``.

    Example:
        >>> emb = ember.nn.Embedding(10, 3, sparse=True)
        >>> opt = ember.optim.SparseAdam(emb.parameters(), lr=0.1)
        >>> emb(ember.tensor([1, 4])).sum().backward()
        >>> opt.step()  # rows 1 and 4 move; the other eight keep their values
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < _value(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [
            [i, j]
            for i, group in enumerate(self.param_groups)
            for j, p in enumerate(group["params"])
            if p.is_complex()
        ]
        if complex_params:
            raise ValueError(
                f"Complex params at indices {complex_params}: SparseAdam does not support "
                "complex parameters"
            )

    @no_grad()
    def step(self, closure=None):
        """Perform one update; ``closure`` (optional) re-evaluates and returns the loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            for p, g in _params_and_grads(group):
                state = self.state[p]
                xp = xp_of(p._data)
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = _make(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = _make(xp.zeros_like(p._data))
                # PyTorch counts the step even when the gradient holds no entries.
                state["step"] += 1
                step = state["step"]
                if group.get("maximize", False):
                    g = -g
                touched = g != 0
                if g.ndim > 1:
                    touched = touched.any(axis=tuple(range(1, g.ndim)))
                rows = xp.nonzero(touched.reshape(-1) if g.ndim == 0 else touched)[0]
                if rows.size == 0:
                    continue
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                param, m, v = (t._data.reshape(-1) if g.ndim == 0 else t._data
                               for t in (p, exp_avg, exp_avg_sq))
                g_rows = (g.reshape(-1) if g.ndim == 0 else g)[rows]
                # Moments of the touched rows (PyTorch computes old + (new - old) * (1 - beta)).
                m_old, v_old = m[rows], v[rows]
                numer = m_old + (g_rows - m_old) * (1 - beta1)
                second = v_old + (g_rows * g_rows - v_old) * (1 - beta2)
                m[rows] = numer
                v[rows] = second
                denom = xp.sqrt(second)
                denom += eps
                step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
                numer /= denom
                numer *= -step_size
                param[rows] += numer
                for t in (p, exp_avg, exp_avg_sq):
                    _bump_version(t)
        return loss
