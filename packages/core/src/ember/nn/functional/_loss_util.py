"""Helpers shared by the loss modules (_loss, _loss_ce, _loss_ctc, _loss_margin): the
``reduction`` argument (with PyTorch's legacy ``size_average``/``reduce`` mapping and its
deprecation warning), argument checks, and the numerically stable log-softmax and log-sigmoid
Functions the losses build on.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------


def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags (None means True)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{result}' "
        f"instead.",
        UserWarning,
        stacklevel=3,
    )
    return result


def _check_reduction(reduction: str) -> str:
    if reduction in _REDUCTIONS:
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            UserWarning,
            stacklevel=3,
        )
        return "mean"
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return _check_reduction(reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_array(xp, loss, reduction: str):
    """Reduce a loss array; the mean of nothing is NaN, as in PyTorch."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / loss.dtype.type(loss.size)
    return xp.asarray(total, dtype=loss.dtype)


def _reciprocal(xp, value, np_dtype):
    """``1 / value`` as a 0-d array (inf for 0: the gradient of a NaN mean)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.asarray(1, dtype=np_dtype) / xp.asarray(value, dtype=np_dtype)


def _coefficient(grad: Tensor, reduction: str, inv, axis: int | None = None):
    """The gradient each loss element receives: ``grad`` (per element for 'none', shared for
    'sum') times ``inv`` (1 / the mean's denominator) for 'mean'. ``axis`` re-inserts the
    class dimension for 'none'."""
    if reduction == "none":
        return grad if axis is None else grad.unsqueeze(axis)
    if reduction == "mean":
        return grad * _make(inv)
    return grad


def _coefficient_array(grad: Tensor, reduction: str, inv, axis: int | None = None):
    g = grad._data
    if reduction == "none":
        return g if axis is None else xp_of(g).expand_dims(g, axis)
    if reduction == "mean":
        return g * inv
    return g


def _require_float(op: str, x: Tensor, what: str = "input") -> None:
    if not x.is_floating_point():
        raise NotImplementedError(
            f"{op}: expected a floating point {what}, got {x.dtype}; convert it with .float()"
        )


def _no_weight_grad(fn: str, weight, name: str = "weight") -> None:
    # PyTorch refuses a weight that requires grad (its derivative is not implemented).
    if weight is not None and weight.requires_grad and STATE.enabled:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{name}'. "
            f"This input cannot have requires_grad True."
        )


def _as_dtype(t: Tensor, np_dtype) -> Tensor:
    if t._data.dtype == np_dtype:
        return t
    from ...ops.convert import to_dtype

    return to_dtype(t, dt.from_numpy_dtype(np_dtype))


def _common_float(*tensors) -> np.dtype:
    """The promoted dtype of ``tensors`` (at least the default float)."""
    result = dt.result_type(*tensors)
    if not result.is_floating_point:
        result = dt.get_default_dtype()
    return result.np_dtype


def _size_warning(input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            f"Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


# ---------------------------------------------------------------------------------------------
# Stable log-softmax and log-sigmoid (private Functions the losses build on)
# ---------------------------------------------------------------------------------------------


def _log_softmax_array(xp, x, axis: int):
    # x - max - log(sum(exp(x - max))): the largest term is exp(0) = 1, so no overflow and the
    # log never sees 0 (unless a row holds inf/NaN, which propagates as NaN as in PyTorch).
    shifted, _, total = _softmax_parts(xp, x, axis)
    return shifted - xp.log(total)


class _LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        out = _make(_log_softmax_array(xp_of(x._data), x._data, axis))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from ...ops.unary import exp

        (out,) = ctx.saved_tensors
        # d log_softmax: grad - softmax * sum(grad)
        return grad - exp(out) * grad.sum(dim=ctx.axis, keepdim=True), None


def _log_sigmoid_array(xp, x):
    # log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)): exp never overflows, and no log(0).
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


class _LogSigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log_sigmoid_array(xp_of(x._data), x._data)

    @staticmethod
    def backward(ctx, grad):
        from ...ops.unary import sigmoid

        (x,) = ctx.saved_tensors
        return grad * sigmoid(-x)  # d/dx log(sigmoid(x)) = 1 - sigmoid(x) = sigmoid(-x)


def _log_sigmoid(x: Tensor) -> Tensor:
    return _LogSigmoid.apply(x)


def _softmax_parts(xp, x, axis: int):
    """``shifted = x - max``, ``e = exp(shifted)`` and ``s = sum(e)`` along ``axis``:
    ``log_softmax = shifted - log(s)`` and ``softmax = e / s`` from one exp pass. The largest
    term is exp(0) = 1, so nothing overflows and log(s) >= 0."""
    shifted = x - x.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        e = xp.exp(shifted)
    return shifted, e, e.sum(axis=axis, keepdims=True)
