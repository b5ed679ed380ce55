"""Stateful regression metrics: MeanAbsoluteError, MeanSquaredError, R2Score.

The states are float64 sums and counts (R2Score: per-output count, mean and sum of squared
deviations, merged with Chan et al.'s exact pairwise update), so the result over batches equals
the functional metric on the concatenation up to rounding. Results are 0-d tensors of the
default float dtype, as torchmetrics' (whose states are float32 by default).
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .functional.regression import (
    as_result,
    check_multioutput,
    mean_of,
    r2_from_state,
    r2_state,
    regression_inputs,
)
from .metric import Metric, _like

__all__ = ["MeanAbsoluteError", "MeanSquaredError", "R2Score"]


class MeanAbsoluteError(Metric):
    """The mean of ``|pred - target|`` over every element of every batch
    (see :func:`ember.metrics.functional.mean_absolute_error`).

    Example:
        >>> mae = MeanAbsoluteError()
        >>> mae.update(ember.tensor([2.5, 0.0]), ember.tensor([3.0, -0.5]))
        >>> mae.update(ember.tensor([2.0]), ember.tensor([2.0]))
        >>> mae.compute()
        tensor(0.3333)
    """

    def __init__(self) -> None:
        super().__init__()
        self.add_state("sum_abs_error", np.float64(0.0))
        self.add_state("total", np.int64(0))

    def _batch_state(self, pred, target) -> dict:
        p, t, _ = regression_inputs(pred, target, "mean_absolute_error")
        return {"sum_abs_error": abs(p - t).sum(), "total": p.size}

    def _value(self, state: dict):
        return as_result(mean_of(state["sum_abs_error"], state["total"]), dt.get_default_dtype())


class MeanSquaredError(Metric):
    """The mean of ``(pred - target)^2`` over every element of every batch, or its square root
    for ``squared=False`` (see :func:`ember.metrics.functional.mean_squared_error`).

    Args:
        squared: False returns the root mean squared error.
    """

    def __init__(self, squared: bool = True) -> None:
        super().__init__()
        self.squared = squared
        self.add_state("sum_squared_error", np.float64(0.0))
        self.add_state("total", np.int64(0))

    def _batch_state(self, pred, target) -> dict:
        p, t, _ = regression_inputs(pred, target, "mean_squared_error")
        d = p - t
        return {"sum_squared_error": (d * d).sum(), "total": p.size}

    def _value(self, state: dict):
        mse = mean_of(state["sum_squared_error"], state["total"])
        return as_result(mse if self.squared else mse**0.5, dt.get_default_dtype())

    def extra_repr(self) -> str:
        return f"squared={self.squared}"


class R2Score(Metric):
    """The coefficient of determination over all batches
    (see :func:`ember.metrics.functional.r2_score`).

    Args:
        num_outputs: ``D``, the number of outputs: inputs are ``(N,)`` for 1, ``(N, D)``.
        multioutput: 'uniform_average', 'raw_values' or 'variance_weighted'.
    """

    def __init__(self, num_outputs: int = 1, multioutput: str = "uniform_average") -> None:
        super().__init__()
        check_multioutput(multioutput, "r2_score")
        if isinstance(num_outputs, bool) or not isinstance(num_outputs, int) or num_outputs < 1:
            raise ValueError(f"r2_score: num_outputs must be a positive integer, got "
                             f"{num_outputs!r}")  # fmt: skip
        self.num_outputs = num_outputs
        self.multioutput = multioutput
        self.add_state("n", np.int64(0))
        for name in ("mean", "m2", "ss_res"):
            self.add_state(name, np.zeros(num_outputs))

    def _batch_state(self, pred, target) -> dict:
        p, t, _ = regression_inputs(pred, target, "r2_score")
        d = 1 if t.ndim == 1 else t.shape[1] if t.ndim == 2 else None
        if d != self.num_outputs:
            raise ValueError(
                f"r2_score: expected pred and target of shape (N, {self.num_outputs})"
                f"{' or (N,)' if self.num_outputs == 1 else ''} (num_outputs="
                f"{self.num_outputs}), got {tuple(t.shape)}"
            )
        d = (len(t), self.num_outputs)
        n, mean, m2, ss_res = r2_state(p.reshape(d), t.reshape(d))
        return {"n": n, "mean": mean, "m2": m2, "ss_res": ss_res}

    def _merge(self, batch: dict) -> None:
        # Chan, Golub & LeVeque's pairwise update: exact in exact arithmetic, and a constant
        # target keeps m2 == 0 exactly (sum(y^2) - n mean^2 would leave rounding noise)
        s = self._buffers
        n_a, n_b = int(s["n"]._data), int(batch["n"])
        if n_b == 0:
            return
        n = n_a + n_b
        mean_b = _like(batch["mean"], s["mean"]._data)
        delta = mean_b - s["mean"]._data
        s["m2"]._data += _like(batch["m2"], mean_b) + delta * delta * (n_a * n_b / n)
        s["mean"]._data += delta * (n_b / n)
        s["ss_res"]._data += _like(batch["ss_res"], mean_b)
        s["n"]._data += n_b

    def _value(self, state: dict):
        r2 = r2_from_state(int(state["n"]), state["m2"], state["ss_res"], self.multioutput)
        if self.multioutput == "raw_values" and self.num_outputs == 1:
            r2 = r2.reshape(())
        return as_result(r2, dt.get_default_dtype())

    def extra_repr(self) -> str:
        return f"num_outputs={self.num_outputs}, multioutput={self.multioutput!r}"
