"""Classification metrics as functions: accuracy, precision, recall, F-scores, confusion
matrix, ROC AUC.

All of them read their inputs the same way (see ``ember.metrics._inputs``):

* ``pred`` of target's shape holding **integer class indices** (``(N,)``, or ``(N, ...)`` with
  extra dims that are flattened into samples);
* ``pred`` of shape ``(N, C, ...)`` holding **scores, probabilities or logits** per class (the
  class dim is dim 1, as for ``cross_entropy``): the predicted class is the ``argmax`` (the
  ``top_k`` best classes for ``top_k > 1``);
* ``pred`` of target's shape holding **floating-point probabilities** of the positive class:
  a binary task, predicted positive where ``pred > threshold`` (values outside [0, 1] are read
  as logits and compared after a sigmoid, as torchmetrics does).

``task`` is inferred when left out: ``'binary'`` for floating-point per-sample probabilities,
``'multiclass'`` otherwise; pass ``task='binary'`` to read 0/1 labels or ``(N, 2)`` scores as a
binary task. ``num_classes`` is inferred from the scores' class dim, or as ``max + 1`` of the
labels seen (scikit-learn's rule).

Averaging (``average``), following scikit-learn with ``zero_division=0``:
    'micro'     one score from the counts summed over classes (the default; for single-label
                multiclass inputs micro precision = recall = F1 = accuracy).
    'macro'     the unweighted mean of per-class scores over the classes that occur in pred
                or target; a class absent from both is left out, as scikit-learn's default
                ``labels`` (the classes seen) and torchmetrics do (with ``top_k > 1``, the
                classes that occur in target, as torchmetrics).
    'weighted'  the mean of per-class scores weighted by support (the class's target count).
    None        the per-class scores, a 1-D tensor of length ``num_classes`` (absent classes
                score 0).
A ratio whose denominator is 0 (e.g. the precision of a class never predicted) is 0. A binary
task reports the positive class (scikit-learn's ``average='binary'``), and ``average`` does not
apply to it. Results are float32 tensors on the inputs' device: 0-d, or 1-D for
``average=None``. Metrics are not differentiable: they never record autograd history.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor, _make
from ...ops._util import xp_of
from .._inputs import (
    as_array,
    check_args,
    check_range,
    class_counts,
    class_indices,
    classification_inputs,
    confusion_counts,
    safe_divide,
    same_device,
    score_from_counts,
    to_float32,
)

__all__ = [
    "accuracy",
    "precision",
    "recall",
    "f1_score",
    "fbeta_score",
    "confusion_matrix",
    "roc_auc",
    "auroc",
]


def _score(metric, op, pred, target, num_classes, top_k, threshold, average, task, beta=1.0):
    check_args(
        op, task=task, num_classes=num_classes, top_k=top_k, threshold=threshold, average=average
    )
    topk, t, c, task = classification_inputs(
        pred, target, num_classes=num_classes, top_k=top_k, threshold=threshold, task=task, op=op
    )
    tp, predicted, support = class_counts(topk, t, c)
    return score_from_counts(
        metric, tp, predicted, support, average=average, task=task, beta=beta, top_k=top_k
    )


def accuracy(
    pred, target, num_classes=None, top_k=1, threshold=0.5, average="micro", *, task=None
) -> Tensor:
    """The fraction of samples classified correctly.

    With ``top_k > 1`` a sample counts as correct when its target is among the ``top_k``
    highest scores. ``average='macro'``/``'weighted'``/``None`` give the (mean of) per-class
    accuracies, i.e. per-class recalls, as torchmetrics defines them.

    Args:
        pred: class indices ``(N, ...)``, scores ``(N, C, ...)`` or binary probabilities.
        target: class indices ``(N, ...)``.
        num_classes: the number of classes (inferred when None).
        top_k: how many of the highest scores count as a hit (scores only).
        threshold: the probability above which a binary prediction is positive.
        average: 'micro' (default), 'macro', 'weighted' or None (per class).
        task: 'binary' or 'multiclass'; inferred when None.

    Returns:
        A float32 0-d tensor (1-D of length ``num_classes`` for ``average=None``).

    Example:
        >>> accuracy(ember.tensor([0, 2, 1, 1]), ember.tensor([0, 1, 1, 1]))
        tensor(0.7500)
        >>> scores = ember.tensor([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
        >>> accuracy(scores, ember.tensor([2, 1]), top_k=2)
        tensor(1.)
    """
    return _score(
        "accuracy", "accuracy", pred, target, num_classes, top_k, threshold, average, task
    )


def precision(
    pred, target, num_classes=None, top_k=1, threshold=0.5, average="micro", *, task=None
) -> Tensor:
    """Precision ``tp / (tp + fp)``: of the samples predicted as a class, the fraction that are.

    Arguments, inputs and averaging as :func:`accuracy` (see the module's notes); a class
    never predicted has precision 0.

    Example:
        >>> precision(ember.tensor([0, 2, 1, 1]), ember.tensor([0, 1, 1, 2]), average="macro")
        tensor(0.5000)
    """
    return _score(
        "precision", "precision", pred, target, num_classes, top_k, threshold, average, task
    )


def recall(
    pred, target, num_classes=None, top_k=1, threshold=0.5, average="micro", *, task=None
) -> Tensor:
    """Recall ``tp / (tp + fn)``: of the samples of a class, the fraction predicted as it.

    Arguments, inputs and averaging as :func:`accuracy`; a class absent from target has
    recall 0.

    Example:
        >>> recall(ember.tensor([0.9, 0.2, 0.7, 0.4]), ember.tensor([1, 1, 0, 0]))
        tensor(0.5000)
    """
    return _score("recall", "recall", pred, target, num_classes, top_k, threshold, average, task)


def fbeta_score(
    pred,
    target,
    num_classes=None,
    top_k=1,
    threshold=0.5,
    average="micro",
    *,
    beta: float = 1.0,
    task=None,
) -> Tensor:
    """The F-beta score ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``, the weighted harmonic
    mean of precision and recall in which recall counts ``beta`` times as much.

    Computed from the counts (not from P and R), so it is 0, not undefined, for a class with
    no true positives, as in scikit-learn >= 1.3. ``beta`` is keyword-only, as in
    scikit-learn, so that a positional ``num_classes`` cannot be mistaken for it.

    Example:
        >>> fbeta_score(ember.tensor([1, 1, 0, 0]), ember.tensor([1, 0, 0, 1]), beta=2.0,
        ...             task="binary")
        tensor(0.5000)
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta > 0:
        raise ValueError(f"fbeta_score: beta must be a positive number, got {beta!r}")
    return _score(
        "fbeta", "fbeta_score", pred, target, num_classes, top_k, threshold, average, task, beta
    )


def f1_score(
    pred, target, num_classes=None, top_k=1, threshold=0.5, average="micro", *, task=None
) -> Tensor:
    """The F1 score ``2 tp / (2 tp + fn + fp)``, the harmonic mean of precision and recall
    (:func:`fbeta_score` with ``beta=1``).

    Example:
        >>> f1_score(ember.tensor([0, 2, 1, 1]), ember.tensor([0, 1, 1, 2]), average=None)
        tensor([1.0000, 0.5000, 0.0000])
    """
    return _score("fbeta", "f1_score", pred, target, num_classes, top_k, threshold, average, task)


_NORMALIZE = (None, "none", "true", "pred", "all")


def confusion_matrix(
    pred, target, num_classes=None, normalize=None, *, threshold=0.5, task=None
) -> Tensor:
    """The confusion matrix: entry ``[i, j]`` counts the samples of class ``i`` predicted as
    ``j`` (rows = target, columns = prediction, as scikit-learn and torchmetrics).

    Args:
        pred, target, num_classes, threshold, task: as :func:`accuracy` (scores: argmax).
        normalize: None (counts), 'true' (each row sums to 1: per-class recall on the
            diagonal), 'pred' (each column sums to 1: precision on the diagonal) or 'all'
            (the whole matrix sums to 1). A row or column of zeros stays zero.

    Returns:
        ``(num_classes, num_classes)``: int64 counts, or float32 when normalised.

    Example:
        >>> confusion_matrix(ember.tensor([0, 2, 1, 1]), ember.tensor([0, 1, 1, 2]))
        tensor([[1, 0, 0],
                [0, 1, 1],
                [0, 1, 0]])
    """
    if normalize not in _NORMALIZE:
        raise ValueError(
            f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all', got {normalize!r}"
        )
    check_args("confusion_matrix", task=task, num_classes=num_classes, threshold=threshold)
    labels, t, c, _ = classification_inputs(
        pred, target, num_classes=num_classes, threshold=threshold, task=task,
        op="confusion_matrix",
    )  # fmt: skip
    return normalize_confusion(confusion_counts(labels, t, c), normalize)


def normalize_confusion(counts, normalize) -> Tensor:
    """Counts (an int64 array) as the Tensor :func:`confusion_matrix` returns."""
    if normalize is None or normalize == "none":
        return _make(counts)
    if normalize == "true":
        den = counts.sum(axis=1, keepdims=True)
    elif normalize == "pred":
        den = counts.sum(axis=0, keepdims=True)
    else:
        den = counts.sum()
    return to_float32(safe_divide(counts, den))


def roc_auc(pred, target) -> Tensor:
    """The area under the ROC curve of a binary task: the probability that a random positive
    sample scores higher than a random negative one, ties counting one half.

    Computed exactly from ranks (the Mann-Whitney U statistic), ``O(N log N)``:
    ``AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N)``, where tied scores share
    their average rank. This equals the trapezoidal area under the ROC curve through every
    distinct threshold (scikit-learn's ``roc_auc_score``).

    Args:
        pred: ``(N,)`` scores of the positive class (probabilities or logits: only their order
            matters), or ``(N, 2)`` scores, of which ``pred[:, 1] - pred[:, 0]`` ranks the
            samples (monotone in the softmax probability of class 1).
        target: ``(N,)`` labels, 0 or 1, with both present.

    Returns:
        A float32 0-d tensor.

    Example:
        >>> roc_auc(ember.tensor([0.1, 0.4, 0.35, 0.8]), ember.tensor([0, 0, 1, 1]))
        tensor(0.7500)
    """
    op = "roc_auc"
    p, t = as_array(pred, op, "pred"), as_array(target, op, "target")
    same_device(p, t, op)
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1].astype(np.float64) - p[:, 0]
    if p.ndim != 1 or t.ndim != 1 or p.shape[0] != t.shape[0]:
        raise ValueError(
            f"{op}: expected pred of shape (N,) or (N, 2) and target of shape (N,), got "
            f"{tuple(as_array(pred, op, 'pred').shape)} and {tuple(t.shape)}"
        )
    if p.dtype.kind not in "fiub":
        raise TypeError(f"{op}: pred must hold real scores, got dtype {p.dtype}")
    xp = xp_of(p)
    s = p.astype(np.float64)
    if bool(xp.isnan(s).any()):
        raise ValueError(f"{op}: pred contains NaN")
    t = class_indices(t, op, "target")
    check_range(t, 2, True, op, "target")
    positive = t == 1
    n_pos = int(positive.sum())
    n_neg = t.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"{op}: target holds only {'negatives' if n_pos == 0 else 'positives'}; ROC AUC "
            f"needs samples of both classes"
        )
    ordered = xp.sort(s)
    # the average 1-based rank of each value: its tie group spans positions left+1 .. right
    left = xp.searchsorted(ordered, s, side="left")
    right = xp.searchsorted(ordered, s, side="right")
    rank_sum = ((left + right + 1) * 0.5)[positive].sum()
    return to_float32((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


auroc = roc_auc  # torchmetrics' name
