"""``nll_loss`` and ``cross_entropy``.

``cross_entropy`` with class indices is one Function: a numerically stable log-softmax + NLL in
one pass (never ``exp`` then ``log``), with class weights, ``ignore_index`` and label smoothing;
its gradient is ``coef * (sum(Q) * softmax - Q)`` with ``Q`` the (weighted, label-smoothed)
one-hot target. Class-probability targets go through a soft cross entropy Function. Both
backwards are written with differentiable Ember ops (second derivatives work) and computed
straight on arrays when no graph is being built.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of
from ._loss_util import (
    _as_dtype,
    _coefficient,
    _coefficient_array,
    _common_float,
    _LogSoftmax,
    _no_weight_grad,
    _reciprocal,
    _reduce,
    _reduce_array,
    _reduction,
    _require_float,
    _softmax_parts,
)

__all__ = ["cross_entropy", "nll_loss"]


# ---------------------------------------------------------------------------------------------
# nll_loss and cross_entropy
# ---------------------------------------------------------------------------------------------


def _check_class_layout(op: str, input: Tensor, target: Tensor) -> None:
    """PyTorch's shape rules for class-index targets: input (C,), (N, C) or (N, C, d1, ...),
    target (), (N,) or (N, d1, ...)."""
    xs, ts = tuple(input.shape), tuple(target.shape)
    if len(xs) < 1:
        raise ValueError(f"{op}: Expected 1 or more dimensions (got {len(xs)})")
    if len(xs) == 1:
        if len(ts) > 1:
            raise RuntimeError(
                f"{op}: 0D or 1D target tensor expected, multi-target not supported "
                f"(input {xs}, target {ts})"
            )
        if len(ts) == 1 and ts[0] != 1:
            raise ValueError(
                f"For 1D input, 1D target must have size 1, but got target size: {ts[0]}"
            )
        return
    if len(ts) >= 1 and ts[0] != xs[0]:
        raise ValueError(
            f"Expected input batch_size ({xs[0]}) to match target batch_size ({ts[0]})."
        )
    if len(xs) == 2 and len(ts) != 1:
        raise RuntimeError(
            f"{op}: 0D or 1D target tensor expected, multi-target not supported "
            f"(input {xs}, target {ts}; class probabilities need a target shaped like the input)"
        )
    expected = (xs[0],) + xs[2:]
    if ts != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(ts)}")


def _check_class_target(op: str, input: Tensor, target: Tensor, weight, ignore_index: int):
    """Target dtype and range, weight shape; returns the weight array (or None) in the input's
    dtype."""
    kind = target._data.dtype.kind
    if kind not in "iu":
        # PyTorch accepts only int64/uint8; any integer dtype is accepted here (a superset).
        raise RuntimeError(
            f"{op}: expected target dtype to be Long or Byte, but got {target.dtype} "
            f"(class indices must be integers; probabilities need a target shaped like the input)"
        )
    n_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    t = target._data
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        value = int(t[bad].ravel()[0])
        raise IndexError(
            f"Target {value} is out of bounds. {op}: class indices must be in "
            f"[0, {n_classes}) for an input with {n_classes} classes (or equal "
            f"ignore_index={ignore_index})"
        )
    if weight is None:
        return None
    if tuple(weight.shape) != (n_classes,):
        raise RuntimeError(
            f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    w = weight._data
    if w.dtype != input._data.dtype:
        w = w.astype(input._data.dtype)  # PyTorch raises on a dtype mismatch; cast instead
    return w


def _target_plan(xp, t, w, ignore_index: int, np_dtype):
    """valid (non-ignored) mask, the safe class index (0 where ignored) and each element's
    weight ``w[t]`` (0 where ignored)."""
    valid = t != ignore_index
    safe = xp.where(valid, t, 0).astype(np.int64, copy=False)
    if w is None:
        row_w = valid.astype(np_dtype)
    else:
        row_w = xp.where(valid, w[safe], 0).astype(np_dtype, copy=False)
    return valid, safe, row_w


def _one_hot(xp, safe, n_classes: int):
    """``safe`` (N, *d) as a boolean one-hot along axis 1: (N, C, *d)."""
    classes = xp.arange(n_classes).reshape((1, n_classes) + (1,) * (safe.ndim - 1))
    return xp.expand_dims(safe, 1) == classes


def _target_index(xp, safe):
    """Index arrays for ``array[index]`` picking, at each element of ``safe`` (N, *d), the entry
    of its class along axis 1 of an (N, C, *d) array (one entry per element: no repeats)."""
    ndim = safe.ndim
    axes = [
        xp.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1))
        for i, n in enumerate(safe.shape)
    ]
    return (axes[0], safe, *axes[1:])


def _class_shape(w, ndim: int):
    return w.reshape((1, w.shape[0]) + (1,) * (ndim - 2))


class _NLLLoss(Function):
    @staticmethod
    def forward(ctx, input, t, w, ignore_index, reduction):
        x = input._data
        xp = xp_of(x)
        valid, safe, row_w = _target_plan(xp, t, w, ignore_index, x.dtype)
        picked = x[_target_index(xp, safe)]
        loss = xp.where(valid, picked, 0) * -row_w
        denom = row_w.sum()  # weighted mean: sum(w_i l_i) / sum(w_i), ignored ones left out
        if ctx.needs_input_grad:
            ctx.plan = (safe, row_w, x.shape, reduction, _reciprocal(xp, denom, x.dtype))
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                return xp.asarray(loss.sum() / denom, dtype=x.dtype)
        return _reduce_array(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        safe, row_w, shape, reduction, inv = ctx.plan
        xp = xp_of(safe)
        # linear in grad and independent of the input: -coef * w[t] at each target's entry
        if not STATE.enabled:
            out = xp.zeros(shape, dtype=row_w.dtype)
            out[_target_index(xp, safe)] = -_coefficient_array(grad, reduction, inv) * row_w
            return out, None, None, None, None
        q = _one_hot(xp, safe, shape[1]) * xp.expand_dims(-row_w, 1)
        return _coefficient(grad, reduction, inv, axis=1) * _make(q), None, None, None, None


class _ClassCrossEntropy(Function):
    """log_softmax + NLL for class indices, with label smoothing, in one pass.

    Each element's loss is ``-sum_c Q[c] * log_softmax(x)[c]`` with
    ``Q = (1 - eps) * w[t] * onehot(t) + (eps / C) * w`` (zero for ignored targets), which is
    PyTorch's ``(1 - eps) * nll + eps / C * smooth_loss``; the mean divides by ``sum(w[t])``
    over the non-ignored targets for both terms, as PyTorch does. The gradient is
    ``sum(Q) * softmax(x) - Q``; the forward keeps the softmax for it (one exp in all).
    """

    @staticmethod
    def forward(ctx, input, t, w, ignore_index, label_smoothing, reduction):
        x = input._data
        xp = xp_of(x)
        n_classes = x.shape[1]
        shifted, e, total = _softmax_parts(xp, x, 1)
        log_total = xp.log(total)[:, 0]
        valid, safe, row_w = _target_plan(xp, t, w, ignore_index, x.dtype)
        index = _target_index(xp, safe)
        loss = xp.where(valid, shifted[index] - log_total, 0) * -row_w
        eps = label_smoothing
        if eps > 0:
            # sum_c w_c log_softmax_c = sum_c w_c shifted_c - sum(w) log(total)
            if w is None:
                weighted = shifted.sum(axis=1) - n_classes * log_total
            else:
                weighted = (shifted * _class_shape(w, x.ndim)).sum(axis=1) - w.sum() * log_total
            loss = (1 - eps) * loss + (eps / n_classes) * xp.where(valid, -weighted, 0)
        denom = row_w.sum()
        if ctx.needs_input_grad:
            e /= total  # the softmax, in place
            ctx.save_for_backward(input)
            ctx.softmax, ctx.index = e, index
            ctx.plan = (valid, safe, row_w, w, eps, reduction, _reciprocal(xp, denom, x.dtype))
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                return xp.asarray(loss.sum() / denom, dtype=x.dtype)
        return _reduce_array(xp, loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        valid, safe, row_w, w, eps, reduction, inv = ctx.plan
        softmax = ctx.softmax
        xp = xp_of(softmax)
        n_classes = softmax.shape[1]
        # sum(Q) per element; Q = (1 - eps) w[t] onehot(t) + spread * w
        total = (1 - eps) * row_w
        spread = None
        if eps > 0:
            spread = valid.astype(softmax.dtype) * (eps / n_classes)
            total = total + spread * (n_classes if w is None else w.sum())
        wc = 1 if w is None else _class_shape(w, softmax.ndim)
        if not STATE.enabled:  # no graph wanted: the same values, straight on arrays
            coef = _coefficient_array(grad, reduction, inv)
            out = softmax * xp.expand_dims(coef * total, 1)
            out[ctx.index] -= coef * (1 - eps) * row_w
            if spread is not None:
                out -= xp.expand_dims(coef * spread, 1) * wc
            # (bfloat16 arithmetic may widen to float32: the gradient keeps the input's dtype)
            return out.astype(softmax.dtype, copy=False), None, None, None, None, None
        from ...ops.unary import exp

        (input,) = ctx.saved_tensors
        q = _one_hot(xp, safe, n_classes) * xp.expand_dims((1 - eps) * row_w, 1)
        if spread is not None:
            q = q + xp.expand_dims(spread, 1) * wc
        smax = exp(_LogSoftmax.apply(input, 1))
        coef = _coefficient(grad, reduction, inv, axis=1)
        return coef * (smax * _make(xp.expand_dims(total, 1)) - _make(q)), *(None,) * 5


class _SoftCrossEntropy(Function):
    """``-sum_c q[c] * log_softmax(x)[c]`` along ``axis`` (class-probability targets)."""

    @staticmethod
    def forward(ctx, input, q, axis):
        x = input._data
        xp = xp_of(x)
        shifted, e, total = _softmax_parts(xp, x, axis)
        logp = shifted - xp.log(total)
        if ctx.needs_input_grad:
            ctx.save_for_backward(input, q)
            e /= total
            ctx.logp, ctx.softmax, ctx.axis = logp, e, axis
        return -(q._data * logp).sum(axis=axis)

    @staticmethod
    def backward(ctx, grad):
        input, q = ctx.saved_tensors
        axis = ctx.axis
        need_x, need_q = ctx.needs_input_grad[:2]
        if not STATE.enabled:
            g = xp_of(ctx.logp).expand_dims(grad._data, axis)
            qa = q._data
            dtype = ctx.logp.dtype
            gx = gq = None
            if need_x:
                gx = (g * (qa.sum(axis=axis, keepdims=True) * ctx.softmax - qa)).astype(dtype)
            if need_q:
                gq = (-g * ctx.logp).astype(dtype)
            return gx, gq, None
        from ...ops.unary import exp

        logp = _LogSoftmax.apply(input, axis)
        g = grad.unsqueeze(axis)
        gx = g * (q.sum(dim=axis, keepdim=True) * exp(logp) - q) if need_x else None
        gq = -g * logp if need_q else None
        return gx, gq, None


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """The negative log likelihood loss: ``-weight[t] * input[t]`` per element.

    Args:
        input: log-probabilities, (C,), (N, C) or (N, C, d1, d2, ...).
        target: class indices (integers in [0, C)), (), (N,) or (N, d1, d2, ...).
        weight: optional (C,) rescaling of each class (no gradient, as in PyTorch).
        ignore_index: targets equal to it contribute nothing (nor to the mean's denominator).
        reduction: 'none' | 'mean' (``sum(w[t] * l) / sum(w[t])``) | 'sum'.

    Example:
        >>> logp = ember.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> F.nll_loss(logp, ember.tensor([0, 1]))
        tensor(0.3000)
    """
    input, target, weight = cast_inputs("nll_loss", input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    _require_float("nll_loss", input)
    _check_class_layout("nll_loss", input, target)
    _no_weight_grad("nll_loss_forward", weight)
    w = _check_class_target("nll_loss", input, target, weight, ignore_index)
    unbatched = input.ndim == 1
    x = input.reshape(1, -1) if unbatched else input
    t = target._data.reshape(1) if unbatched else target._data
    out = _NLLLoss.apply(x, t, w, ignore_index, reduction)
    return out.reshape(target.shape) if unbatched and reduction == "none" else out


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy between logits and class indices or class probabilities.

    Computed as one fused, numerically stable log-softmax + NLL (logits of any size give a
    finite loss and gradient). With label smoothing ``eps`` the target becomes
    ``(1 - eps) * onehot + eps / C`` (class weights applied to both terms, as PyTorch).

    Args:
        input: logits, (C,), (N, C) or (N, C, d1, d2, ...).
        target: class indices with the input's shape minus the class dim ((), (N,),
            (N, d1, ...)), or class probabilities with the input's shape (differentiable).
        weight: optional (C,) class weights; the 'mean' of index targets is
            ``sum(w[t] * l) / sum(w[t])`` over non-ignored targets.
        ignore_index: class-index targets equal to it are skipped (index targets only).
        reduction: 'none' | 'mean' | 'sum'.
        label_smoothing: in [0, 1].

    Returns:
        The loss: a scalar, or the per-element losses (target's shape) for 'none'.

    Example:
        >>> F.cross_entropy(ember.tensor([[2.0, 0.0, 0.0]]), ember.tensor([0]))
        tensor(0.2395)
    """
    input, target, weight = cast_inputs("cross_entropy", input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _require_float("cross_entropy", input)
    _no_weight_grad("nll_loss_forward", weight)
    if input.ndim >= 1 and tuple(input.shape) == tuple(target.shape):
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    _check_class_layout("cross_entropy", input, target)
    w = _check_class_target("cross_entropy", input, target, weight, ignore_index)
    unbatched = input.ndim == 1
    x = input.reshape(1, -1) if unbatched else input
    t = target._data.reshape(1) if unbatched else target._data
    out = _ClassCrossEntropy.apply(x, t, w, ignore_index, float(label_smoothing), reduction)
    return out.reshape(target.shape) if unbatched and reduction == "none" else out


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    if not target.is_floating_point():
        raise RuntimeError(
            f"cross_entropy: Expected floating point type for target with class probabilities, "
            f"got {target.dtype}"
        )
    np_dtype = _common_float(input, target)
    x, q = _as_dtype(input, np_dtype), _as_dtype(target, np_dtype)
    axis = 0 if input.ndim == 1 else 1
    n_classes = input.shape[axis]
    if label_smoothing > 0:
        q = q * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        if tuple(weight.shape) != (n_classes,):
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {n_classes} "
                f"classes or no classes but got weight tensor of shape: {list(weight.shape)}"
            )
        shape = [1] * input.ndim
        shape[axis] = n_classes
        q = q * _as_dtype(weight, np_dtype).reshape(shape)
    # PyTorch's mean for probabilities divides by the number of elements over the class dim
    return _reduce(_SoftCrossEntropy.apply(x, q, axis), reduction)
