"""Loss functions (``ember.nn.functional.cross_entropy``, ``mse_loss``, ``ctc_loss``...).

PyTorch's names, signatures, defaults, reductions and error texts. The hot losses are single
``autograd.Function``s with a fused NumPy/CuPy forward:

* ``cross_entropy`` (a numerically stable log-softmax + NLL in one pass) and ``nll_loss``: in
  ``_loss_ce.py``.
* ``binary_cross_entropy``, ``binary_cross_entropy_with_logits`` (log-sigmoid form, stable for
  logits of any size): in ``_loss_bce.py``; ``mse_loss``: here.
* ``ctc_loss``: the forward-backward (alpha/beta) recursion in log space, in ``_loss_ctc.py``.

Every backward is written with differentiable Ember ops (so ``create_graph=True`` gives second
derivatives), except CTC's, which is once-differentiable as in PyTorch. Where no graph is being
built, the backward computes the same values directly on arrays (``STATE.enabled`` is False then).
The rarer losses are composites of differentiable ops (the margin and embedding losses are in
``_loss_margin.py``); the shared helpers in ``_loss_util.py``. This module re-exports them all.

The legacy ``size_average``/``reduce`` arguments are accepted and mapped to ``reduction`` with
PyTorch's deprecation warning.
"""

from __future__ import annotations

import math
import warnings

from ... import _dtype as dt
from ..._tensor import Tensor
from ...amp.autocast_mode import cast_inputs
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops._util import grad_for, xp_of
from ._loss_bce import binary_cross_entropy, binary_cross_entropy_with_logits
from ._loss_ce import cross_entropy, nll_loss
from ._loss_ctc import ctc_loss
from ._loss_margin import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._loss_util import (
    _REDUCTIONS,
    _check_reduction,
    _coefficient,
    _legacy_reduction,
    _reciprocal,
    _reduce,
    _reduce_array,
    _reduction,
    _size_warning,
)

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
    input, target = cast_inputs("mse_loss", input, target)
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

    input, target = cast_inputs("l1_loss", input, target)
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
    input, target = cast_inputs("smooth_l1_loss", input, target)
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
    input, target = cast_inputs("huber_loss", input, target)
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

    input, target = cast_inputs("kl_div", input, target)
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

    input, target = cast_inputs("poisson_nll_loss", input, target)
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
