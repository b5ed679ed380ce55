"""Loss functions (``ember.nn.functional.cross_entropy``, ``mse_loss``, ``ctc_loss``...).

PyTorch's names, signatures, defaults, reductions and error texts. The hot losses are single
``autograd.Function``s with a fused NumPy/CuPy forward:

* ``cross_entropy`` with class indices: a numerically stable log-softmax + NLL in one pass (never
  ``exp`` then ``log``); its gradient is ``coef * (sum(Q) * softmax - Q)`` with ``Q`` the
  (weighted, label-smoothed) one-hot target.
* ``nll_loss``, ``binary_cross_entropy``, ``binary_cross_entropy_with_logits`` (log-sigmoid form,
  stable for logits of any size) and ``mse_loss``.
* ``ctc_loss``: the forward-backward (alpha/beta) recursion in log space, vectorised over the batch
  and the extended label sequence; only the loop over time remains.

Every backward is written with differentiable Ember ops (so ``create_graph=True`` gives second
derivatives), except CTC's, which is once-differentiable as in PyTorch. Where no graph is being
built, the backward computes the same values directly on arrays (``STATE.enabled`` is False then).
The rarer losses are composites of differentiable ops.

The legacy ``size_average``/``reduce`` arguments are accepted and mapped to ``reduction`` with
PyTorch's deprecation warning.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as dt
from ..._device import device_of, move_array
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE, no_grad
from ...ops._util import grad_for, xp_of

__all__ = [
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "ctc_loss",
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

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


def _softmax_parts(xp, x, axis: int):
    """``shifted = x - max``, ``e = exp(shifted)`` and ``s = sum(e)`` along ``axis``:
    ``log_softmax = shifted - log(s)`` and ``softmax = e / s`` from one exp pass. The largest
    term is exp(0) = 1, so nothing overflows and log(s) >= 0."""
    shifted = x - x.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        e = xp.exp(shifted)
    return shifted, e, e.sum(axis=axis, keepdims=True)


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


# ---------------------------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------------------------


class _MSELoss(Function):
    @staticmethod
    def forward(ctx, a, b, reduction):
        x, y = a._data, b._data
        if x.dtype != y.dtype:
            np_dtype = dt.result_type(a, b).np_dtype
            x, y = x.astype(np_dtype, copy=False), y.astype(np_dtype, copy=False)
        diff = x - y
        loss = diff * diff
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
            ctx.meta = (reduction, _reciprocal(xp_of(x), loss.size, loss.dtype))
        return _reduce_array(xp_of(x), loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        reduction, inv = ctx.meta
        g = _coefficient(grad, reduction, inv) * 2 * (a - b)
        return (
            grad_for(g, a) if ctx.needs_input_grad[0] else None,
            grad_for(-g, b) if ctx.needs_input_grad[1] else None,
            None,
        )


def _regression_args(op, input, target, size_average, reduce, reduction):
    _size_warning(input, target)
    return _reduction(size_average, reduce, reduction)


def _weighted(op: str, loss: Tensor, weight, input: Tensor, reduction: str, mean_by_weight: bool):
    """PyTorch's ``weight=`` path of mse/l1/huber: weight has the input's shape; mse and l1
    divide the weighted sum by ``sum(weight)`` for 'mean', huber takes the plain mean."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"Weights and input must have the same size. ({op}: weight {tuple(weight.shape)}, "
            f"input {tuple(input.shape)})"
        )
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error ``(input - target) ** 2`` (input and target broadcast, with PyTorch's
    warning when their sizes differ).

    Args:
        input, target: any broadcastable shapes (both differentiable).
        reduction: 'none' | 'mean' | 'sum'.
        weight: optional, the input's shape; 'mean' is then ``sum(w * l) / sum(w)``.

    Example:
        >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
        tensor(2.5000)
    """
    reduction = _regression_args("mse_loss", input, target, size_average, reduce, reduction)
    if not (input.is_floating_point() or target.is_floating_point()):
        raise NotImplementedError(
            f"mse_loss: expected floating point input and target, got {input.dtype} and "
            f"{target.dtype}"
        )
    if weight is not None:
        diff = input - target
        return _weighted("mse_loss", diff * diff, weight, input, reduction, True)
    return _MSELoss.apply(input, target, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error ``|input - target|`` (gradient 0 where they are equal, as PyTorch).

    Example:
        >>> F.l1_loss(ember.tensor([1.0, -2.0]), ember.tensor([0.0, 0.0]))
        tensor(1.5000)
    """
    from ...ops.unary import abs

    reduction = _regression_args("l1_loss", input, target, size_average, reduce, reduction)
    loss = abs(input - target)
    if weight is not None:
        return _weighted("l1_loss", loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``);
    ``beta=0`` is the L1 loss.

    Example:
        >>> F.smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    from ...ops.compare import where
    from ...ops.unary import abs

    if beta < 0:
        raise RuntimeError(
            f"smooth_l1_loss does not support negative values for beta. (got beta={beta})"
        )
    reduction = _regression_args("smooth_l1_loss", input, target, size_average, reduce, reduction)
    d = abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    loss = where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``: smooth L1 scaled
    by ``delta`` (``huber(delta) = delta * smooth_l1(beta=delta)``).

    Example:
        >>> F.huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), delta=2.0)
        tensor(2.0625)
    """
    from ...ops.compare import where
    from ...ops.unary import abs

    if delta <= 0:
        raise RuntimeError(
            f"huber_loss does not support non-positive values for delta. (got delta={delta})"
        )
    reduction = _regression_args("huber_loss", input, target, None, None, reduction)
    d = abs(input - target)
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        return _weighted("huber_loss", loss, weight, input, reduction, False)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------
# Divergences and likelihoods
# ---------------------------------------------------------------------------------------------


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` with ``input`` in log
    space (``0`` where ``target == 0``); with ``log_target``, ``exp(t) * (t - input)``.

    ``reduction='mean'`` averages over every element (PyTorch warns that this is not the KL
    divergence); ``'batchmean'`` divides the sum by the batch size, the mathematical KL.

    Example:
        >>> p = ember.tensor([[0.5, 0.5]])
        >>> F.kl_div(ember.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean")
        tensor(0.1438)
    """
    from ...ops.arith import xlogy
    from ...ops.unary import exp

    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.",
                UserWarning,
                stacklevel=2,
            )
        if reduction != "batchmean":
            reduction = _check_reduction(reduction)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim != 0 else total
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log likelihood: ``exp(input) - target * input`` (``log_input``) or
    ``input - target * log(input + eps)``; ``full`` adds Stirling's approximation of
    ``log(target!)`` for targets > 1.

    Example:
        >>> F.poisson_nll_loss(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
        tensor(0.8591)
    """
    from ...ops.compare import where
    from ...ops.unary import exp, log

    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        # t log t - t + 0.5 log(2 pi t), added only where t > 1 (computed on a safe copy of t so
        # that t <= 1 never reaches log)
        above = target > 1
        safe = where(above, target, 1.0)
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        loss = loss + where(above, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log likelihood ``0.5 (log(var) + (input - target)**2 / var)`` (plus
    ``0.5 log(2 pi)`` with ``full``).

    ``var`` has the input's shape (one variance per element), or that shape with a 1 in one
    dim or without the last dim (a variance shared along it), or is a float. Values below
    ``eps`` are clamped for stability; as in PyTorch the clamp is invisible to autograd.

    Example:
        >>> F.gaussian_nll_loss(ember.tensor([1.0]), ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.5000)
    """
    from ...ops.creation import ones_like
    from ...ops.unary import log

    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and (
            sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1
        ):
            pass  # var has size 1 in the one dim where it differs: broadcast along it
        else:
            raise ValueError(
                f"var is of incorrect size (gaussian_nll_loss: input {tuple(input.shape)}, "
                f"var {tuple(var.shape)})"
            )
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)  # in place under no_grad: gradients flow as if unclamped (PyTorch)
    loss = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------------------------


def _shift(xp, a, k: int):
    """``a`` moved ``k`` places along axis 1 (right for k > 0), -inf filling the gap."""
    out = xp.full_like(a, -np.inf)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _lse3(xp, a, b, c):
    """``log(exp(a) + exp(b) + exp(c))`` elementwise; -inf where all three are."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(m == -np.inf, 0, m)
    with np.errstate(divide="ignore"):
        return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def _ctc_alpha(xp, emit, labels, in_len, tg_len):
    """The forward variables in log space and the per-sample negative log likelihood.

    States are the extended label sequence ``l'`` = blank, l1, blank, l2, ..., blank (length
    ``2 S + 1``), all samples at once; ``alpha[t, n, s]`` is the log probability of all
    alignment prefixes of length t+1 ending in state s, including the emission at t.
    """
    n_time, batch, n_ext = emit.shape
    s = xp.arange(n_ext)
    valid = s[None, :] < (2 * tg_len + 1)[:, None]
    # a jump over a blank (s-2 -> s) is allowed into a label that differs from the previous
    # label (PyTorch's rule: odd s >= 3 with l'[s-2] != l'[s])
    before = xp.full_like(labels, -1)
    before[:, 2:] = labels[:, :-2]
    skip = (s[None, :] % 2 == 1) & (s[None, :] >= 2) & (labels != before)
    alpha = xp.full(emit.shape, -np.inf, dtype=emit.dtype)
    if n_time:
        alpha[0, :, 0] = emit[0, :, 0]
        if n_ext > 1:
            alpha[0, :, 1] = xp.where(tg_len > 0, emit[0, :, 1], -np.inf)
    for t in range(1, n_time):  # the recursion runs along time: this loop is inherent
        prev = alpha[t - 1]
        step = _lse3(xp, prev, _shift(xp, prev, 1), xp.where(skip, _shift(xp, prev, 2), -np.inf))
        alpha[t] = xp.where(valid, step + emit[t], -np.inf)
    rows = xp.arange(batch)
    if n_time:
        last = alpha[xp.maximum(in_len - 1, 0), rows]
    else:
        last = xp.full((batch, n_ext), -np.inf, dtype=emit.dtype)
    end_blank = xp.take_along_axis(last, (2 * tg_len)[:, None], axis=1)[:, 0]
    end_label = xp.take_along_axis(last, xp.maximum(2 * tg_len - 1, 0)[:, None], axis=1)[:, 0]
    end_label = xp.where(tg_len > 0, end_label, -np.inf)
    log_lik = xp.logaddexp(end_blank, end_label)
    # no frames: the empty target has probability 1, any other 0
    log_lik = xp.where(in_len == 0, xp.where(tg_len == 0, 0, -np.inf), log_lik)
    return alpha, -log_lik.astype(emit.dtype, copy=False), valid, skip


def _ctc_gradient(lp, emit, alpha, labels, valid, skip, in_len, tg_len, nll, zero_infinity):
    """d nll / d log_probs from alpha and beta (Graves et al. 2006, eq. 14-16, in log space).

    ``beta[t, n, s]`` is the log probability of the alignment suffixes from state s at time t
    (including the emission at t), so ``alpha + beta - log_probs[t, l'_s]`` is the log of the
    probability mass of the paths through (t, s); summed over the states holding class c and
    divided by the likelihood it is the occupancy gamma, and ``d nll / d lp[t, c] =
    -gamma[t, c]``. This is the exact derivative with respect to ``log_probs``. PyTorch returns
    ``exp(lp) - gamma`` instead (pytorch/pytorch#52241): the same gradient for the logits once
    it passes back through the log_softmax that produces ``log_probs``, but not a gradient of
    ``log_probs`` itself (gradcheck fails there); Ember returns the exact one.
    """
    xp = xp_of(lp)
    n_time, batch, n_classes = lp.shape
    n_ext = labels.shape[1]
    s = xp.arange(n_ext)
    end = 2 * tg_len[:, None]
    is_end = (s[None, :] == end) | ((s[None, :] == end - 1) & (tg_len[:, None] > 0))
    skip_back = xp.zeros_like(skip)  # s -> s+2 is allowed when s+2 may be entered by a skip
    skip_back[:, :-2] = skip[:, 2:]
    beta = xp.full_like(alpha, -np.inf)
    nxt = xp.full((batch, n_ext), -np.inf, dtype=alpha.dtype)
    for t in range(n_time - 1, -1, -1):  # the recursion runs along time: this loop is inherent
        jump = xp.where(skip_back, _shift(xp, nxt, -2), -np.inf)
        step = _lse3(xp, nxt, _shift(xp, nxt, -1), jump)
        start = (in_len - 1 == t)[:, None] & is_end
        inside = (t < in_len - 1)[:, None] & valid
        nxt = xp.where(start, emit[t], xp.where(inside, step + emit[t], -np.inf))
        beta[t] = nxt
    both = alpha + beta
    m = both.max(axis=2, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    # sum exp(alpha + beta) over the states of each class: one bincount over (t, n, class)
    flat = (xp.arange(n_time)[:, None, None] * batch + xp.arange(batch)[None, :, None]) * n_classes
    flat = flat + labels[None]
    mass = xp.bincount(
        flat.ravel(), weights=xp.exp(both - m).ravel(), minlength=n_time * batch * n_classes
    ).reshape(n_time, batch, n_classes)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad = -xp.exp(xp.log(mass) + m + nll[None, :, None] - lp)
    grad = xp.where(mass > 0, grad, 0)
    # an impossible alignment (infinite loss): NaN gradient inside the input as in PyTorch, or 0
    # with zero_infinity
    inside_time = xp.arange(n_time)[:, None] < in_len[None, :]
    impossible = (xp.isinf(nll)[None, :] & inside_time)[:, :, None]
    grad = xp.where(impossible, 0 if zero_infinity else np.nan, grad)
    return grad.astype(lp.dtype, copy=False)


class _CTCLoss(Function):
    @staticmethod
    def forward(ctx, log_probs, targets, in_len, tg_len, blank, zero_infinity):
        lp = log_probs._data
        xp = xp_of(lp)
        n_time, batch, _ = lp.shape
        labels = xp.full((batch, 2 * targets.shape[1] + 1), blank, dtype=np.int64)
        labels[:, 1::2] = targets
        emit = lp[:, xp.arange(batch)[:, None], labels]  # (T, N, 2S+1): lp of each state
        alpha, nll, valid, skip = _ctc_alpha(xp, emit, labels, in_len, tg_len)
        if ctx.needs_input_grad:
            ctx.save_for_backward(log_probs)
            ctx.state = (emit, alpha, labels, valid, skip, in_len, tg_len, nll, zero_infinity)
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll).astype(lp.dtype, copy=False)
        return nll

    @staticmethod
    def backward(ctx, grad):
        (log_probs,) = ctx.saved_tensors
        g_lp = _ctc_gradient(log_probs._data, *ctx.state)
        if STATE.enabled:
            return _CTCGrad.apply(grad, log_probs, g_lp), None, None, None, None, None
        return g_lp * grad._data[None, :, None], None, None, None, None, None


class _CTCGrad(Function):
    """ctc_loss's gradient as a graph node that refuses a second differentiation (PyTorch's CTC
    is once-differentiable as well)."""

    @staticmethod
    def forward(ctx, grad, log_probs, g_lp):
        return g_lp * grad._data[None, :, None]

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "ctc_loss: double backward is not supported (the gradient of ctc_loss is not "
            "differentiable, as in PyTorch where the derivative for aten::_ctc_loss_backward is "
            "not implemented); do not differentiate the CTC gradient again (create_graph=True)"
        )


def _host_ints(op: str, name: str, value):
    """A tensor, sequence or int of integers as a 1-D int64 NumPy array."""
    if isinstance(value, Tensor):
        arr = move_array(value._data, device_of(np.empty(0)))
        if arr.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral ({op}: got {value.dtype})")
    else:
        arr = np.asarray(value)
        if arr.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral ({op}: got {value!r})")
    return arr.astype(np.int64).reshape(-1)


def _ctc_targets(op, targets, tg_len, batch, n_classes, unbatched):
    """Padded (N, S) targets on the host from padded or concatenated input."""
    if not isinstance(targets, Tensor):
        raise TypeError(f"{op}: targets must be a Tensor, got {type(targets).__name__}")
    tg = _host_ints(op, "targets", targets).reshape(targets.shape)
    if unbatched:
        tg = tg.reshape(1, -1)
    longest = int(tg_len.max()) if batch else 0
    if tg.ndim == 1:  # concatenated targets of all samples
        if tg.shape[0] != int(tg_len.sum()):
            raise RuntimeError(
                f"Expected tensor to have size {int(tg_len.sum())} at dimension 0, but got size "
                f"{tg.shape[0]} for argument #2 'targets' ({op}: concatenated targets must hold "
                f"sum(target_lengths) labels)"
            )
        offsets = np.cumsum(tg_len) - tg_len
        pos = np.arange(longest)[None, :]
        inside = pos < tg_len[:, None]
        index = np.minimum(offsets[:, None] + pos, max(tg.shape[0] - 1, 0))
        tg = np.where(inside, tg[index] if tg.size else 0, 0)
    elif tg.ndim == 2:
        if tg.shape[0] != batch:
            raise RuntimeError(
                f"Expected tensor to have size {batch} at dimension 0, but got size "
                f"{tg.shape[0]} for argument #2 'targets' ({op}: padded targets are (N, S))"
            )
        if tg.shape[1] < longest:
            raise RuntimeError(
                f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                f"{tg.shape[1]} for argument #2 'targets' (while checking arguments for {op})"
            )
        tg = tg[:, :longest]
        inside = np.arange(longest)[None, :] < tg_len[:, None]
    else:
        raise RuntimeError(
            f"{op}: targets must be 1-D (concatenated) or 2-D (N, S) padded, got shape "
            f"{tuple(targets.shape)}"
        )
    bad = inside & ((tg < 0) | (tg >= n_classes))
    if bad.any():
        # PyTorch reads out of bounds here; Ember refuses
        raise RuntimeError(
            f"{op}: target label {int(tg[bad][0])} is out of range for log_probs with "
            f"{n_classes} classes"
        )
    return np.where(inside, tg, 0)


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist Temporal Classification loss: ``-log`` of the total probability of all
    alignments of each target sequence with its input (forward-backward algorithm in log space).

    Args:
        log_probs: (T, N, C) or unbatched (T, C) log-probabilities (e.g. ``log_softmax``).
        targets: padded (N, S) with ``S >= max(target_lengths)``, or the N targets concatenated
            (1-D, ``sum(target_lengths)`` labels); unbatched: (S,). Labels in [0, C), not blank.
        input_lengths: (N,) tensor or sequence, each <= T.
        target_lengths: (N,) tensor or sequence.
        blank: the blank label.
        reduction: 'none' (per-sample losses), 'mean' (each loss divided by its target length,
            then averaged over the batch) or 'sum'.
        zero_infinity: replace infinite losses (impossible alignments) and their gradients by 0.

    Returns:
        A scalar, or (N,) for 'none' (a scalar when unbatched).

    The gradient is once-differentiable (as PyTorch's): differentiating it again raises.

    Example:
        >>> lp = ember.randn(50, 16, 20).log_softmax(2)
        >>> targets = ember.randint(1, 20, (16, 30))
        >>> F.ctc_loss(lp, targets, [50] * 16, [30] * 16)  # doctest: +SKIP
    """
    op = "ctc_loss"
    reduction = _check_reduction(reduction)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for "
            f"argument #1 'log_probs' ({op}: log_probs is (T, N, C), or (T, C) unbatched)"
        )
    _require_float(op, log_probs, "log_probs")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    n_time, batch, n_classes = lp.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError(f"blank must be in label range ({op}: blank={blank}, C={n_classes})")
    in_len = _host_ints(op, "input_lengths", input_lengths)
    tg_len = _host_ints(op, "target_lengths", target_lengths)
    if in_len.shape[0] != batch:
        raise RuntimeError(
            f"input_lengths must be of size batch_size ({op}: {in_len.shape[0]} lengths for "
            f"batch size {batch})"
        )
    if tg_len.shape[0] != batch:
        raise RuntimeError(
            f"target_lengths must be of size batch_size ({op}: {tg_len.shape[0]} lengths for "
            f"batch size {batch})"
        )
    for name, lengths in (("input_lengths", in_len), ("target_lengths", tg_len)):
        if batch and lengths.min() < 0:
            raise RuntimeError(
                f"Expected {name} to have value at least 0, but got value {int(lengths.min())} "
                f"(while checking arguments for {op})"
            )
    if batch and in_len.max() > n_time:
        raise RuntimeError(
            f"Expected input_lengths to have value at most {n_time}, but got value "
            f"{int(in_len.max())} (while checking arguments for {op})"
        )
    padded = _ctc_targets(op, targets, tg_len, batch, n_classes, unbatched)
    dev = device_of(lp._data)
    nll = _CTCLoss.apply(
        lp,
        move_array(padded, dev),
        move_array(in_len, dev),
        move_array(tg_len, dev),
        int(blank),
        bool(zero_infinity),
    )
    if reduction == "mean":
        lengths = np.maximum(tg_len, 1).astype(lp._data.dtype)
        return (nll / _make(move_array(lengths, dev))).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.reshape(()) if unbatched else nll


# ---------------------------------------------------------------------------------------------
# Margin and embedding losses (composites of differentiable ops)
# ---------------------------------------------------------------------------------------------


def _legacy(size_average, reduce, reduction):
    return _reduction(size_average, reduce, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (cosine along the last dim, ``1e-12`` added to each squared norm).

    Shapes: inputs (N, D) with target (N,), or inputs (D,) with a 0-d target.

    Example:
        >>> x = ember.tensor([[1.0, 0.0]])
        >>> F.cosine_embedding_loss(x, ember.tensor([[0.0, 1.0]]), ember.tensor([1]))
        tensor(1.)
    """
    from ...ops.compare import clamp_min, where
    from ...ops.unary import sqrt

    reduction = _legacy(size_average, reduce, reduction)
    tdim = target.ndim
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if tdim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    if tdim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    dim = tdim
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / sqrt(mag1 * mag2)
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp_min(cos - margin, 0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``; ``target`` is 1 (input1 should rank
    higher) or -1.

    Example:
        >>> F.margin_ranking_loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
        tensor(1.)
    """
    from ...ops.compare import clamp_min

    reduction = _legacy(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``
    (input is typically a distance).

    Example:
        >>> F.hinge_embedding_loss(ember.tensor([0.3, 0.4]), ember.tensor([1.0, -1.0]))
        tensor(0.4500)
    """
    from ...ops.compare import clamp_min, where

    reduction = _legacy(size_average, reduce, reduction)
    loss = where(target != 1, clamp_min(margin - input, 0), 0.0) + where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))`` with ``target`` in {1, -1}.

    Computed as ``-log_sigmoid(target * input)``: the same value, finite for any input (where
    PyTorch's ``log1p(exp(.))`` overflows to inf).

    Example:
        >>> F.soft_margin_loss(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.6931)
    """
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(-_log_sigmoid(target * input), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """One-vs-all logistic loss over C classes, averaged over the classes:
    ``-mean_c w_c (t_c log_sigmoid(x_c) + (1 - t_c) log_sigmoid(-x_c))``; (N, C) -> (N,).

    Example:
        >>> F.multilabel_soft_margin_loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * _log_sigmoid(input) + (1 - target) * _log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def _class_mask(target: Tensor, n_classes: int):
    """A constant (N, C) boolean tensor: True at each row's target class."""
    t = target._data
    xp = xp_of(t)
    return _make(t[:, None] == xp.arange(n_classes)[None, :])


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: ``sum_{j != y} max(0, w_y (margin - x_y + x_j))^p / C`` per sample.

    Shapes: input (N, C) with target (N,), or (C,) with a 0-d target.

    Example:
        >>> F.multi_margin_loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """
    from ...ops.compare import clamp_min, where

    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    if input.ndim not in (1, 2):
        raise RuntimeError(
            f"multi_margin_loss: expected 1D or 2D input, got shape {tuple(input.shape)}"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n, n_classes = x.shape
    if target.numel() != n or target.ndim > 1 or (input.ndim == 2 and target.ndim != 1):
        raise RuntimeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    t = target.reshape(-1)
    if t._data.dtype.kind not in "iu":
        raise RuntimeError(f"multi_margin_loss: expected integer targets, got {target.dtype}")
    if bool(((t._data < 0) | (t._data >= n_classes)).any()):
        raise RuntimeError(
            f"target out of range (multi_margin_loss: targets must be in [0, {n_classes}))"
        )
    picked = x.gather(1, t.unsqueeze(1))
    h = clamp_min(margin - picked + x, 0)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight[t].unsqueeze(1)
    h = where(_class_mask(t, n_classes), 0.0, h)
    loss = h.sum(1) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-label hinge loss ``sum_{j in y} sum_{k not in y} max(0, 1 - (x_j - x_k)) / C``.

    ``target`` has the input's shape ((C,) or (N, C)) and holds each sample's label indices,
    ended by the first -1 (the rest is ignored).

    Example:
        >>> x = ember.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multilabel_margin_loss(x, ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    from ...ops.compare import clamp_min

    reduction = _reduction(size_average, reduce, reduction)
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target._data.reshape(x.shape)
    xp = xp_of(t)
    n_classes = x.shape[1]
    listed = xp.cumsum(t == -1, axis=1) == 0  # the labels before the first -1
    if bool((listed & ((t < 0) | (t >= n_classes))).any()):
        raise RuntimeError(
            f"argument #2 'target' is out of range (multilabel_margin_loss: labels must be in "
            f"[0, {n_classes}), ended by -1)"
        )
    # how often each class is listed (PyTorch sums over the list, repeats included)
    hits = (t[:, :, None] == xp.arange(n_classes)[None, None, :]) & listed[:, :, None]
    count = hits.sum(axis=1).astype(x._data.dtype)
    others = count == 0
    pair_weight = _make(count[:, :, None] * others[:, None, :])  # (N, j in y, k not in y)
    margins = clamp_min(1 - x.unsqueeze(2) + x.unsqueeze(1), 0)
    loss = (margins * pair_weight).sum((1, 2)) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim (PyTorch's pairwise_distance)."""
    from ...ops.reduce import norm

    return norm(x1 - x2 + eps, p, dim=-1)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the p-norm pairwise distance; ``swap``
    uses ``min(d(a, n), d(p, n))`` as the negative distance (Balntas et al. 2016).

    Shapes: (N, D) or (D,), all three alike.

    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.ones(1, 2), 2 * ember.ones(1, 2)
        >>> F.triplet_margin_loss(a, pos, neg)
        tensor(0.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _triplet(
        anchor,
        positive,
        negative,
        lambda a, b: _pairwise_distance(a, b, p, eps),
        margin,
        swap,
        reduction,
    )


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    from ...ops.arith import minimum
    from ...ops.compare import clamp_min

    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative))
    return _reduce(clamp_min(margin + d_pos - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """The triplet margin loss with any ``distance_function(x1, x2)`` (default: the Euclidean
    pairwise distance).

    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.ones(1, 2), 2 * ember.ones(1, 2)
        >>> F.triplet_margin_with_distance_loss(a, pos, neg, margin=2.0)
        tensor(0.5858)
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    distance = distance_function if distance_function is not None else _pairwise_distance
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction)
