"""Metrics for classification and regression, as functions and as stateful classes.

Functions (``ember.metrics.functional``, also importable from here) compute a metric on one
batch; the classes accumulate exact sufficient statistics over batches (torchmetrics' API:
``update`` / ``compute`` / ``reset``, and calling the metric returns the value on that batch).

    >>> from ember import metrics
    >>> metrics.accuracy(logits, target)                       # one batch
    >>> acc = metrics.Accuracy("multiclass", num_classes=10)   # an epoch
    >>> for logits, target in loader:
    ...     acc.update(logits, target)
    >>> acc.compute()

Not implemented: multilabel tasks, ``ignore_index``, distributed synchronisation of states.
"""

from . import functional
from .classification import *  # noqa: F403
from .functional import *  # noqa: F403
from .metric import *  # noqa: F403
from .regression import *  # noqa: F403
