"""``binary_cross_entropy`` and ``binary_cross_entropy_with_logits`` (log-sigmoid form,
stable for logits of any size): fused Functions whose backward is written with differentiable
Ember ops. Re-exported by ``_loss``.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...autograd.function import Function
from ...ops._util import grad_for, xp_of
from ._loss_util import (
    _as_dtype,
    _coefficient,
    _common_float,
    _log_sigmoid,
    _log_sigmoid_array,
    _no_weight_grad,
    _reciprocal,
    _reduce_array,
    _reduction,
    _require_float,
)

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]


# ---------------------------------------------------------------------------------------------
# Binary cross entropy
# ---------------------------------------------------------------------------------------------


def _broadcast_weight(op: str, name: str, weight: Tensor, target: Tensor, np_dtype):
    try:
        shape = np.broadcast_shapes(tuple(weight.shape), tuple(target.shape))
    except ValueError:
        shape = None
    if shape != tuple(target.shape):
        raise RuntimeError(
            f"{op}: {name} of shape {tuple(weight.shape)} cannot be broadcast to the target's "
            f"shape {tuple(target.shape)}"
        )
    w = weight._data
    return w if w.dtype == np_dtype else w.astype(np_dtype)


class _BinaryCrossEntropy(Function):
    @staticmethod
    def forward(ctx, input, target, w, reduction):
        x, t = input._data, target._data
        xp = xp_of(x)
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError(
                "all elements of input should be between 0 and 1 (binary_cross_entropy takes "
                "probabilities; for logits use binary_cross_entropy_with_logits)"
            )
        if ((t < 0) | (t > 1)).any():
            raise RuntimeError("all elements of target should be between 0 and 1")
        # PyTorch clamps each log at -100 so that a 0 or 1 input gives a finite loss
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if w is not None:
            loss = loss * w
        if ctx.needs_input_grad:
            ctx.save_for_backward(input, target)
            ctx.meta = (w, reduction, _reciprocal(xp, loss.size, x.dtype))
        return _reduce_array(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        from ...ops.compare import clamp_min
        from ...ops.unary import log, log1p

        x, t = ctx.saved_tensors
        w, reduction, inv = ctx.meta
        coef = _coefficient(grad, reduction, inv)
        if w is not None:
            coef = coef * _make(w)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            # PyTorch's form: (x - t) / max(x (1 - x), 1e-12)
            gx = grad_for(coef * (x - t) / clamp_min(x * (1 - x), 1e-12), x)
        if ctx.needs_input_grad[1]:
            gt = grad_for(coef * (log1p(-x) - log(x)), t)  # -logit(x), unclamped as PyTorch
        return gx, gt, None, None


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross entropy between probabilities ``input`` and ``target`` (both in [0, 1]):
    ``-w * (t * log(x) + (1 - t) * log(1 - x))``, each log clamped at -100 as in PyTorch.

    Args:
        input: probabilities, any shape.
        target: same shape as ``input`` (differentiable).
        weight: optional rescaling, broadcastable to the target's shape.
        reduction: 'none' | 'mean' | 'sum'.

    Example:
        >>> F.binary_cross_entropy(ember.tensor([0.9, 0.2]), ember.tensor([1.0, 0.0]))
        tensor(0.1643)
    """
    input, target, weight = cast_inputs("binary_cross_entropy", input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    _require_float("binary_cross_entropy", input)
    _no_weight_grad("binary_cross_entropy", weight)
    np_dtype = _common_float(input, target)
    w = None
    if weight is not None:
        w = _broadcast_weight("binary_cross_entropy", "weight", weight, target, np_dtype)
    x, t = _as_dtype(input, np_dtype), _as_dtype(target, np_dtype)
    return _BinaryCrossEntropy.apply(x, t, w, reduction)


class _BCEWithLogits(Function):
    """``(1 - t) x - lw * log_sigmoid(x)`` with ``lw = 1 + (pos_weight - 1) t``, times weight."""

    @staticmethod
    def forward(ctx, input, target, w, pw, reduction):
        x, t = input._data, target._data
        xp = xp_of(x)
        log_sig = _log_sigmoid_array(xp, x)
        if pw is None:
            loss = (1 - t) * x - log_sig
        else:
            loss = (1 - t) * x - (1 + (pw - 1) * t) * log_sig
        if w is not None:
            loss = loss * w
        if ctx.needs_input_grad:
            ctx.save_for_backward(input, target)
            ctx.meta = (w, pw, reduction, _reciprocal(xp, loss.size, x.dtype))
        return _reduce_array(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        from ...ops.unary import sigmoid

        x, t = ctx.saved_tensors
        w, pw, reduction, inv = ctx.meta
        coef = _coefficient(grad, reduction, inv)
        if w is not None:
            coef = coef * _make(w)
        pw_t = None if pw is None else _make(pw)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            if pw_t is None:
                gx = coef * (sigmoid(x) - t)
            else:  # d/dx = lw * sigmoid(x) - pos_weight * t
                gx = coef * ((1 + (pw_t - 1) * t) * sigmoid(x) - pw_t * t)
            gx = grad_for(gx, x)
        if ctx.needs_input_grad[1]:
            if pw_t is None:
                gt = coef * -x
            else:
                gt = coef * (-x - (pw_t - 1) * _log_sigmoid(x))
            gt = grad_for(gt, t)
        return gx, gt, None, None, None


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross entropy in one stable step (log-sigmoid form: logits of any size
    give finite losses and gradients).

    ``loss = -w * (pos_weight * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)))``

    Args:
        input: logits, any shape.
        target: same shape, values in [0, 1] (differentiable).
        weight: optional rescaling, broadcastable to the target's shape.
        reduction: 'none' | 'mean' | 'sum'.
        pos_weight: weight of positive examples, broadcast against the target (for a
            multi-label target (N, C), a (C,) tensor weighs each class).

    Example:
        >>> F.binary_cross_entropy_with_logits(ember.tensor([2.0, -1.0]), ember.tensor([1.0, 0.0]))
        tensor(0.2201)
    """
    input, target, weight, pos_weight = cast_inputs(
        "binary_cross_entropy_with_logits", input, target, weight, pos_weight
    )
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    _require_float("binary_cross_entropy_with_logits", input)
    _no_weight_grad("binary_cross_entropy_with_logits", weight)
    _no_weight_grad("binary_cross_entropy_with_logits", pos_weight, "pos_weight")
    op = "binary_cross_entropy_with_logits"
    np_dtype = _common_float(input, target)
    w = None if weight is None else _broadcast_weight(op, "weight", weight, target, np_dtype)
    pw = None
    if pos_weight is not None:
        pw = _broadcast_weight(op, "pos_weight", pos_weight, target, np_dtype)
    x, t = _as_dtype(input, np_dtype), _as_dtype(target, np_dtype)
    return _BCEWithLogits.apply(x, t, w, pw, reduction)
