"""``ctc_loss``: Connectionist Temporal Classification.

The forward-backward (alpha/beta) recursion in log space, vectorised over the batch and the
extended label sequence; only the loop over time remains. The gradient is exact with respect to
``log_probs`` and once-differentiable, as PyTorch's.
"""

from __future__ import annotations

import numpy as np

from ..._device import device_of, move_array
from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of
from ._loss_util import _check_reduction, _require_float

__all__ = ["ctc_loss"]


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
    (log_probs,) = cast_inputs("ctc_loss", log_probs)
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
