"""Reading the inputs of the metrics: validation at the boundary, then per-class counts.

Every classification metric reduces to three per-class counts, computed here once:

    tp[c]        samples of class ``c`` whose prediction (or top-k set) contains ``c``
    predicted[c] samples whose prediction (or top-k set) contains ``c``   (= tp + fp)
    support[c]   samples whose target is ``c``                            (= tp + fn)

Each is one ``bincount`` over the samples, so a batch costs O(N + C) whatever the number of
classes, on NumPy and CuPy alike. The stateful metrics add these counts over batches, which
makes their result exact (a sum of counts, never an average of averages).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._device import is_cupy_array
from .._tensor import Tensor, _make
from ..ops._util import xp_of

_BF16 = dt.bfloat16.np_dtype
AVERAGES = ("micro", "macro", "weighted", "none", None)


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------


def as_array(x, op: str, name: str):
    """The array behind ``x`` (a Tensor, a NumPy/CuPy array, a number or a nested list).

    Metrics never take part in autograd, so a Tensor that requires grad is read as it is.
    """
    if isinstance(x, Tensor):
        a = x._data
    elif isinstance(x, np.ndarray) or is_cupy_array(x):
        a = x
    elif isinstance(x, (list, tuple, int, float, bool, np.generic)):
        a = np.asarray(x)
    else:
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    if a.dtype == _BF16:
        # ml_dtypes' bfloat16 has dtype.kind 'V': read it as the float32 it widens to exactly
        a = a.astype(np.float32)
    return a


def same_device(p, t, op: str) -> None:
    if type(p) is not type(t):
        where = {True: "cuda", False: "cpu"}
        raise RuntimeError(
            f"{op}: pred is on {where[is_cupy_array(p)]} but target is on "
            f"{where[is_cupy_array(t)]}; move both to the same device"
        )


def check_args(op: str, *, task=None, num_classes=None, top_k=1, threshold=0.5, average="micro"):
    """Validate the hyperparameters shared by the classification metrics (done once, up front,
    by the functional forms and the constructors of the stateful classes)."""
    if task not in (None, "binary", "multiclass"):
        raise ValueError(f"{op}: task must be 'binary' or 'multiclass' (or None), got {task!r}")
    if num_classes is not None and (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 1
    ):
        raise ValueError(f"{op}: num_classes must be a positive integer, got {num_classes!r}")
    if task == "binary" and num_classes not in (None, 2):
        raise ValueError(
            f"{op}: a binary task has 2 classes, got num_classes={num_classes}; "
            f"use task='multiclass' for more"
        )
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ValueError(f"{op}: top_k must be a positive integer, got {top_k!r}")
    if task == "binary" and top_k != 1:
        raise ValueError(f"{op}: top_k={top_k} needs a multiclass task, got task='binary'")
    if num_classes is not None and top_k > num_classes:
        raise ValueError(
            f"{op}: top_k={top_k} is larger than the number of classes ({num_classes})"
        )
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise ValueError(f"{op}: threshold must be a number in [0, 1], got {threshold!r}")
    if average not in AVERAGES:
        raise ValueError(
            f"{op}: average must be 'micro', 'macro', 'weighted' or None, got {average!r}"
        )


# ---------------------------------------------------------------------------------------------
# Classification inputs
# ---------------------------------------------------------------------------------------------


def class_indices(a, op: str, name: str):
    """``a`` as int64 class indices; floats are accepted when they hold whole numbers (a binary
    target is often a float tensor, the target of ``binary_cross_entropy``)."""
    kind = a.dtype.kind
    if kind in "iub":
        return a.astype(np.int64, copy=False)
    if kind == "f":
        whole = a == xp_of(a).floor(a)  # False for NaN too
        if a.size and not bool(whole.all()):
            bad = float(a[~whole].ravel()[0])
            raise ValueError(f"{op}: {name} must hold class indices (whole numbers), got {bad}")
        return a.astype(np.int64)
    raise TypeError(f"{op}: {name} must hold class indices, got dtype {a.dtype}")


def check_range(a, num_classes: int, binary: bool, op: str, name: str) -> None:
    if not a.size:
        return
    lo, hi = int(a.min()), int(a.max())
    if binary and (lo < 0 or hi > 1):
        bad = lo if lo < 0 else hi
        raise ValueError(
            f"{op}: {name} contains {bad} but a binary task expects 0 or 1; for more classes "
            f"pass num_classes (and task='multiclass')"
        )
    if lo < 0:
        raise ValueError(f"{op}: {name} contains class {lo}; class indices must be >= 0")
    if hi >= num_classes:
        raise ValueError(f"{op}: {name} contains class {hi} but num_classes={num_classes}")


def _binarize(p, threshold: float):
    """Per-sample probabilities (or logits) of the positive class -> 0/1 predictions.

    As torchmetrics does, values outside [0, 1] mark the batch as logits, to which a sigmoid
    applies before the threshold. ``sigmoid(x) > t`` is ``x > logit(t)``, so no sigmoid (and no
    overflow warning from ``exp``) is ever computed. The comparison is strict, as torchmetrics'.
    """
    if p.dtype.kind == "b":
        return p.astype(np.int64)
    t = float(threshold)
    if p.size and (bool((p < 0).any()) or bool((p > 1).any())):
        t = -math.inf if t <= 0.0 else math.inf if t >= 1.0 else math.log(t / (1.0 - t))
    return (p > t).astype(np.int64)


def classification_inputs(
    pred, target, *, num_classes=None, top_k=1, threshold=0.5, task=None, op: str
):
    """Read ``pred``/``target`` into predicted classes and target classes.

    Accepted layouts (``...`` = optional extra dims, e.g. pixels, flattened into samples):
      * ``pred`` of target's shape, integer: class indices;
      * ``pred`` of target's shape, floating: probabilities (or logits) of the positive class
        of a binary task, turned into 0/1 by ``threshold``;
      * ``pred`` of shape ``(N, C, ...)`` for a target ``(N, ...)``: scores or logits per class
        (the class dim is dim 1, as in ``cross_entropy``); the top ``top_k`` classes are taken,
        ties going to the lower index as ``argmax`` does.

    Returns:
        ``(topk, target, num_classes, task)``: ``topk`` int64 ``(M, k)``, best class first;
        ``target`` int64 ``(M,)``; ``task`` resolved to ``'binary'`` or ``'multiclass'``.
    """
    p, t = as_array(pred, op, "pred"), as_array(target, op, "target")
    same_device(p, t, op)
    if p.ndim == 0 or t.ndim == 0:
        raise ValueError(
            f"{op}: pred and target need a sample dimension, got shapes {tuple(p.shape)} and "
            f"{tuple(t.shape)}; reshape a single sample to (1,)"
        )
    if p.shape[0] != t.shape[0]:
        raise ValueError(
            f"{op}: pred and target must have the same number of samples, got {p.shape[0]} "
            f"and {t.shape[0]}"
        )
    t_shape = tuple(t.shape)
    t = class_indices(t, op, "target").reshape(-1)
    if p.ndim == len(t_shape):
        if tuple(p.shape) != t_shape:
            raise ValueError(
                f"{op}: pred of shape {tuple(p.shape)} does not match target of shape {t_shape}"
            )
        if top_k != 1:
            raise ValueError(
                f"{op}: top_k={top_k} needs scores of shape (N, C), got class indices of "
                f"shape {tuple(p.shape)}"
            )
        if p.dtype.kind == "f":
            if task == "multiclass" or num_classes not in (None, 2):
                raise ValueError(
                    f"{op}: a floating-point pred of target's shape is read as the "
                    f"probabilities of a binary task; for {num_classes or 'several'} classes "
                    f"pass class indices as an integer tensor or scores of shape (N, C)"
                )
            task = "binary"
            labels = _binarize(p.reshape(-1), threshold)
        else:
            labels = class_indices(p, op, "pred").reshape(-1)
        if task == "binary":
            num_classes = 2
        elif num_classes is None:
            # sklearn's inference: the classes seen in either tensor
            num_classes = max(int(labels.max()), int(t.max())) + 1 if t.size else 1
        binary = task == "binary"
        check_range(labels, num_classes, binary, op, "pred")
        check_range(t, num_classes, binary, op, "target")
        return labels[:, None], t, num_classes, task or "multiclass"

    if p.ndim != len(t_shape) + 1 or p.shape[2:] != t_shape[1:]:
        raise ValueError(
            f"{op}: pred of shape {tuple(p.shape)} does not match target of shape "
            f"{t_shape}: pass pred of target's shape (class indices or binary "
            f"probabilities) or scores with a class dim, (N, C, ...)"
        )
    c = p.shape[1]
    if task == "binary" and c != 2:
        raise ValueError(
            f"{op}: a binary task takes scores of shape (N, 2), got pred of shape {tuple(p.shape)}"
        )
    if num_classes is None:
        num_classes = c
    elif c != num_classes:
        raise ValueError(
            f"{op}: pred has {c} classes in dim 1 (shape {tuple(p.shape)}) but "
            f"num_classes={num_classes}"
        )
    if top_k > c:
        raise ValueError(f"{op}: top_k={top_k} is larger than the number of classes ({c})")
    if p.dtype.kind not in "f":
        p = p.astype(np.float64)
    if p.ndim > 2:
        p = xp_of(p).moveaxis(p, 1, -1)
    p = p.reshape(-1, c)
    if top_k == 1:
        topk = p.argmax(axis=1)[:, None]
    else:
        # a stable sort of the negated scores: ties keep the lower class first, as argmax
        topk = xp_of(p).argsort(-p, axis=1, kind="stable")[:, :top_k]
    check_range(t, num_classes, task == "binary", op, "target")
    return topk.astype(np.int64, copy=False), t, num_classes, task or "multiclass"


def class_counts(topk, target, num_classes: int):
    """Per-class ``(tp, predicted, support)`` as int64 arrays of shape ``(num_classes,)``."""
    xp = xp_of(target)
    hit = (topk == target[:, None]).any(axis=1)
    tp = xp.bincount(target[hit], minlength=num_classes)
    predicted = xp.bincount(topk.reshape(-1), minlength=num_classes)
    support = xp.bincount(target, minlength=num_classes)
    return tp.astype(np.int64), predicted.astype(np.int64), support.astype(np.int64)


def confusion_counts(labels, target, num_classes: int):
    """The ``(C, C)`` int64 confusion matrix, rows = target, columns = prediction: one
    ``bincount`` over the flat index ``C * target + pred``."""
    xp = xp_of(target)
    flat = xp.bincount(num_classes * target + labels.reshape(-1), minlength=num_classes**2)
    return flat.astype(np.int64).reshape(num_classes, num_classes)


# ---------------------------------------------------------------------------------------------
# From counts to scores (float64 arithmetic, float32 results)
# ---------------------------------------------------------------------------------------------


def safe_divide(num, den):
    """``num / den``, 0 where ``den == 0``: scikit-learn's ``zero_division=0`` convention."""
    xp = xp_of(den) if hasattr(den, "dtype") else np
    num = xp.asarray(num, dtype=np.float64)
    den = xp.asarray(den, dtype=np.float64)
    return xp.where(den > 0, num / xp.where(den > 0, den, 1.0), 0.0)


def average_scores(score, tp, fp, fn, average, top_k: int = 1):
    """Reduce per-class ``score`` by ``average`` ('macro', 'weighted', None/'none').

    'macro' averages over the classes that appear in pred or in target (``tp + fp + fn > 0``),
    as scikit-learn does with its default ``labels`` (the classes seen in either) and as
    torchmetrics does; with ``top_k > 1`` nearly every class is "predicted", so, as in
    torchmetrics, only the classes present in target count. 'weighted' weights each class by
    its support ``tp + fn``.
    """
    if average is None or average == "none":
        return score
    if average == "weighted":
        weights = tp + fn
    else:
        weights = (tp + fp + fn > 0) if top_k == 1 else (tp + fn > 0)
    weights = weights.astype(np.float64)
    return safe_divide((score * weights).sum(), weights.sum())


def score_from_counts(
    metric: str, tp, predicted, support, *, average, task, beta=1.0, top_k: int = 1
):
    """``metric`` ('accuracy', 'precision', 'recall', 'fbeta') from per-class counts.

    A binary task reports the positive class (class 1) for precision/recall/F, as
    scikit-learn's ``average='binary'`` and torchmetrics' binary metrics do; ``average`` is not
    used there. Accuracy is the fraction of samples whose top-k set holds the target (micro),
    or the mean of per-class recalls (macro/weighted/None), as in torchmetrics.
    """
    fp, fn = predicted - tp, support - tp
    if metric == "accuracy":
        if task == "binary" or average == "micro":
            out = safe_divide(tp.sum(), support.sum())
        else:
            out = average_scores(safe_divide(tp, support), tp, fp, fn, average, top_k)
        return to_float32(out)
    if task == "binary":
        tp, fp, fn = tp[1], fp[1], fn[1]
    elif average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    if metric == "precision":
        score = safe_divide(tp, tp + fp)
    elif metric == "recall":
        score = safe_divide(tp, tp + fn)
    else:
        # F_beta from counts, not from P and R: defined (0) even when P or R is 0/0, as
        # scikit-learn >= 1.3 computes it
        b2 = float(beta) ** 2
        score = safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
    if task != "binary" and average != "micro":
        score = average_scores(score, tp, fp, fn, average, top_k)
    return to_float32(score)


def to_float32(value) -> Tensor:
    xp = xp_of(value) if hasattr(value, "dtype") else np
    return _make(xp.asarray(value).astype(np.float32))


def result_float_dtype(p, t) -> dt.dtype:
    """The floating dtype of a regression result: the inputs' promoted dtype, or the default
    float dtype for integer inputs (what ``mse_loss`` gives)."""
    d = dt.promote_types(dt.from_numpy_dtype(p.dtype), dt.from_numpy_dtype(t.dtype))
    return d if d.is_floating_point else dt.get_default_dtype()
