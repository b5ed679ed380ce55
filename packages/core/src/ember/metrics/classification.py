"""Stateful classification metrics: Accuracy, Precision, Recall, F1Score, FBetaScore,
ConfusionMatrix.

Each keeps per-class counts (``tp``, ``predicted`` = tp + fp, ``support`` = tp + fn; or the
whole confusion matrix) and adds them over batches, so ``compute()`` after several ``update``
calls equals the functional metric on the concatenated batches exactly. Inputs, tasks and
averaging are those of ``ember.metrics.functional`` (see its notes).
"""

from __future__ import annotations

import numpy as np

from ._inputs import (
    check_args,
    class_counts,
    classification_inputs,
    confusion_counts,
    score_from_counts,
)
from .functional.classification import _NORMALIZE, normalize_confusion
from .metric import Metric

__all__ = ["Accuracy", "Precision", "Recall", "F1Score", "FBetaScore", "ConfusionMatrix"]


class _ClassificationMetric(Metric):
    """Shared by the classification metrics: argument checks, the number of classes the state
    is sized for, and the task, which may be inferred from the first batch.

    With ``task=None`` and no ``num_classes`` the metric is binary (two classes are all that can
    be sized without more); with ``num_classes`` each batch's task is inferred as in the
    functional metrics, and batches of different tasks cannot be mixed.
    """

    _op = ""

    def __init__(self, task, num_classes, top_k, threshold, average) -> None:
        super().__init__()
        check_args(
            self._op, task=task, num_classes=num_classes, top_k=top_k, threshold=threshold,
            average=average,
        )  # fmt: skip
        if task == "multiclass" and num_classes is None:
            raise ValueError(f"{self._op}: task='multiclass' needs num_classes")
        if task is None and num_classes is None:
            task = "binary"
        self.task = task
        self.num_classes = 2 if task == "binary" else int(num_classes)
        self.top_k = top_k
        self.threshold = threshold
        self.average = average
        self._seen_task = None

    def _read(self, pred, target):
        topk, t, c, task = classification_inputs(
            pred, target, num_classes=self.num_classes, top_k=self.top_k,
            threshold=self.threshold, task=self.task, op=self._op,
        )  # fmt: skip
        if self._seen_task is not None and task != self._seen_task:
            raise ValueError(
                f"{self._op}: this batch reads as a {task} task but earlier ones were "
                f"{self._seen_task}; pass task='binary' or task='multiclass' to fix how inputs "
                f"are read"
            )
        self._seen_task = task
        return topk, t, c

    @property
    def _task(self) -> str:
        return self._seen_task or self.task or "multiclass"

    def reset(self) -> None:
        super().reset()
        self._seen_task = None

    def extra_repr(self) -> str:
        text = f"task={self.task!r}, num_classes={self.num_classes}"
        if self.top_k != 1:
            text += f", top_k={self.top_k}"
        if self._task == "binary":
            return text + f", threshold={self.threshold}"
        return text + f", average={self.average!r}"


class _StatScores(_ClassificationMetric):
    _metric = ""

    def __init__(
        self, task=None, *, num_classes=None, top_k=1, threshold=0.5, average="micro"
    ) -> None:
        super().__init__(task, num_classes, top_k, threshold, average)
        zeros = np.zeros(self.num_classes, dtype=np.int64)
        self.add_state("tp", zeros)
        self.add_state("predicted", zeros)
        self.add_state("support", zeros)
        self.beta = 1.0

    def _batch_state(self, pred, target) -> dict:
        tp, predicted, support = class_counts(*self._read(pred, target))
        return {"tp": tp, "predicted": predicted, "support": support}

    def _value(self, state: dict):
        return score_from_counts(
            self._metric, state["tp"], state["predicted"], state["support"],
            average=self.average, task=self._task, beta=self.beta, top_k=self.top_k,
        )  # fmt: skip


_ARGS = """
    Args:
        task: 'binary' or 'multiclass'; None infers it (binary without ``num_classes``).
        num_classes: the number of classes (needed for 'multiclass').
        top_k: how many of the highest scores count as predicted (scores only).
        threshold: the probability above which a binary prediction is positive.
        average: 'micro' (default), 'macro', 'weighted' or None (per class).
"""


class Accuracy(_StatScores):
    __doc__ = (
        """The fraction of samples classified correctly, accumulated over batches
    (see :func:`ember.metrics.functional.accuracy`).
"""
        + _ARGS
        + """
    Example:
        >>> metric = Accuracy("multiclass", num_classes=3)
        >>> metric.update(ember.tensor([0, 2, 1]), ember.tensor([0, 1, 1]))
        >>> metric(ember.tensor([2]), ember.tensor([2]))   # this batch alone
        tensor(1.)
        >>> metric.compute()                                # 3 of the 4 samples
        tensor(0.7500)
"""
    )
    _op = _metric = "accuracy"


class Precision(_StatScores):
    __doc__ = (
        """Precision ``tp / (tp + fp)`` from counts accumulated over batches
    (see :func:`ember.metrics.functional.precision`).
"""
        + _ARGS
    )
    _op = _metric = "precision"


class Recall(_StatScores):
    __doc__ = (
        """Recall ``tp / (tp + fn)`` from counts accumulated over batches
    (see :func:`ember.metrics.functional.recall`).
"""
        + _ARGS
    )
    _op = _metric = "recall"


class FBetaScore(_StatScores):
    __doc__ = (
        """The F-beta score from counts accumulated over batches
    (see :func:`ember.metrics.functional.fbeta_score`).
"""
        + _ARGS
        + """        beta: the weight of recall relative to precision (positive).
"""
    )
    _op = "fbeta_score"
    _metric = "fbeta"

    def __init__(
        self,
        task=None,
        *,
        beta: float = 1.0,
        num_classes=None,
        top_k=1,
        threshold=0.5,
        average="micro",
    ) -> None:
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta > 0:
            raise ValueError(f"{self._op}: beta must be a positive number, got {beta!r}")
        super().__init__(
            task, num_classes=num_classes, top_k=top_k, threshold=threshold, average=average
        )
        self.beta = float(beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, " + super().extra_repr()


class F1Score(_StatScores):
    __doc__ = (
        """The F1 score ``2 tp / (2 tp + fn + fp)`` from counts accumulated over batches
    (see :func:`ember.metrics.functional.f1_score`).
"""
        + _ARGS
    )
    _op = "f1_score"
    _metric = "fbeta"


class ConfusionMatrix(_ClassificationMetric):
    """The confusion matrix (rows = target, columns = prediction) summed over batches
    (see :func:`ember.metrics.functional.confusion_matrix`).

    Args:
        task: 'binary' or 'multiclass'; None infers it (binary without ``num_classes``).
        num_classes: the number of classes (needed for 'multiclass').
        threshold: the probability above which a binary prediction is positive.
        normalize: None (int64 counts), 'true', 'pred' or 'all' (float32 rates).

    Example:
        >>> cm = ConfusionMatrix("multiclass", num_classes=3)
        >>> cm.update(ember.tensor([0, 2, 1]), ember.tensor([0, 1, 1]))
        >>> cm.update(ember.tensor([1]), ember.tensor([2]))
        >>> cm.compute()
        tensor([[1, 0, 0],
                [0, 1, 1],
                [0, 1, 0]])
    """

    _op = "confusion_matrix"

    def __init__(self, task=None, *, num_classes=None, threshold=0.5, normalize=None) -> None:
        if normalize not in _NORMALIZE:
            raise ValueError(
                f"confusion_matrix: normalize must be None, 'true', 'pred' or 'all', got "
                f"{normalize!r}"
            )
        super().__init__(task, num_classes, 1, threshold, "micro")
        self.normalize = normalize
        c = self.num_classes
        self.add_state("confmat", np.zeros((c, c), dtype=np.int64))

    def _batch_state(self, pred, target) -> dict:
        return {"confmat": confusion_counts(*self._read(pred, target))}

    def _value(self, state: dict):
        return normalize_confusion(state["confmat"], self.normalize)

    def extra_repr(self) -> str:
        return f"task={self.task!r}, num_classes={self.num_classes}, normalize={self.normalize!r}"
