"""Regression metrics as functions: mean absolute error, mean squared error, R^2.

``pred`` and ``target`` have the same shape; errors are averaged over every element. Sums are
taken in float64 and the result has the inputs' floating dtype (the default float dtype for
integer inputs), as ``mse_loss`` does.
"""

from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...ops._util import xp_of
from .._inputs import as_array, result_float_dtype, same_device

__all__ = ["mean_absolute_error", "mean_squared_error", "r2_score"]

_MULTIOUTPUT = ("uniform_average", "raw_values", "variance_weighted")


def regression_inputs(pred, target, op: str):
    """``(pred, target, dtype)``: both arrays in float64, and the result's Ember dtype."""
    p, t = as_array(pred, op, "pred"), as_array(target, op, "target")
    same_device(p, t, op)
    if p.shape != t.shape:
        raise ValueError(
            f"{op}: pred and target must have the same shape, got {tuple(p.shape)} and "
            f"{tuple(t.shape)}"
        )
    for name, a in (("pred", p), ("target", t)):
        if a.dtype.kind not in "fiub":
            raise TypeError(f"{op}: {name} must hold real numbers, got dtype {a.dtype}")
    dtype = result_float_dtype(p, t)
    return p.astype(np.float64), t.astype(np.float64), dtype


def as_result(value, dtype: dt.dtype) -> Tensor:
    xp = xp_of(value) if hasattr(value, "dtype") else np
    return _make(xp.asarray(value).astype(dtype.np_dtype))


def mean_of(total, count):
    """``total / count``, NaN when ``count == 0`` (the mean of nothing, as ``mean`` of an empty
    tensor), without NumPy's division warning. Either may be a number or an array; the result
    is an array on ``total``'s device."""
    xp = xp_of(total) if hasattr(total, "dtype") else np
    total = xp.asarray(total, dtype=np.float64)
    count = xp.asarray(count, dtype=np.float64)
    return xp.where(count > 0, total / xp.where(count > 0, count, 1.0), np.nan)


def mean_absolute_error(pred, target) -> Tensor:
    """The mean of ``|pred - target|`` over all elements.

    Example:
        >>> mean_absolute_error(ember.tensor([2.5, 0.0, 2.0]), ember.tensor([3.0, -0.5, 2.0]))
        tensor(0.3333)
    """
    p, t, dtype = regression_inputs(pred, target, "mean_absolute_error")
    return as_result(mean_of(xp_of(p).abs(p - t).sum(), p.size), dtype)


def mean_squared_error(pred, target, squared: bool = True) -> Tensor:
    """The mean of ``(pred - target)^2`` over all elements; its square root (RMSE) for
    ``squared=False``.

    Example:
        >>> mean_squared_error(ember.tensor([2.5, 0.0, 2.0]), ember.tensor([3.0, -0.5, 2.0]))
        tensor(0.1667)
    """
    p, t, dtype = regression_inputs(pred, target, "mean_squared_error")
    d = p - t
    mse = mean_of((d * d).sum(), p.size)
    return as_result(mse if squared else xp_of(p).sqrt(mse), dtype)


def check_multioutput(multioutput, op: str) -> None:
    if multioutput not in _MULTIOUTPUT:
        raise ValueError(
            f"{op}: multioutput must be 'uniform_average', 'raw_values' or "
            f"'variance_weighted', got {multioutput!r}"
        )


def r2_state(p, t):
    """The sufficient statistics of R^2 for one batch, per output: ``(n, mean, m2, ss_res)``
    with ``m2`` the target's sum of squared deviations from its mean (the total sum of
    squares). Batches merge exactly with Chan et al.'s update (see ``R2Score``)."""
    n = t.shape[0]
    mean = t.mean(axis=0) if n else xp_of(t).zeros(t.shape[1:])
    dev = t - mean
    return n, mean, (dev * dev).sum(axis=0), ((t - p) ** 2).sum(axis=0)


def r2_from_state(n: int, m2, ss_res, multioutput: str, op: str = "r2_score"):
    """R^2 from the statistics, as scikit-learn computes it (``force_finite=True``): a constant
    target scores 1 when predicted exactly and 0 otherwise, instead of NaN or -inf."""
    if n < 2:
        raise ValueError(f"{op}: R^2 needs at least two samples, got {n}")
    xp = xp_of(m2)
    varying = m2 > 0
    raw = xp.where(varying, 1.0 - ss_res / xp.where(varying, m2, 1.0), (ss_res == 0) * 1.0)
    if multioutput == "raw_values":
        return raw
    if multioutput == "uniform_average":
        return raw.mean()
    total = m2.sum()
    fallback = xp.where((ss_res > 0).any(), 0.0, 1.0)
    return xp.where(total > 0, (raw * m2).sum() / xp.where(total > 0, total, 1.0), fallback)


def r2_score(pred, target, multioutput: str = "uniform_average") -> Tensor:
    """The coefficient of determination ``R^2 = 1 - SS_res / SS_tot``.

    ``SS_res = sum (target - pred)^2`` and ``SS_tot = sum (target - mean(target))^2``, per
    output. 1 is a perfect fit, 0 predicting the mean; it can be negative.

    Args:
        pred, target: ``(N,)`` or ``(N, D)`` for ``D`` outputs; ``N >= 2``.
        multioutput: how outputs combine: 'uniform_average' (the mean of per-output R^2),
            'raw_values' (a ``(D,)`` tensor) or 'variance_weighted' (weighted by ``SS_tot``).

    Example:
        >>> r2_score(ember.tensor([2.5, 0.0, 2.0, 8.0]), ember.tensor([3.0, -0.5, 2.0, 7.0]))
        tensor(0.9486)
    """
    op = "r2_score"
    check_multioutput(multioutput, op)
    p, t, dtype = regression_inputs(pred, target, op)
    if t.ndim not in (1, 2):
        raise ValueError(f"{op}: expected pred and target of shape (N,) or (N, D), got "
                         f"{tuple(t.shape)}")  # fmt: skip
    n, _, m2, ss_res = r2_state(p, t)
    return as_result(r2_from_state(n, m2, ss_res, multioutput, op), dtype)
