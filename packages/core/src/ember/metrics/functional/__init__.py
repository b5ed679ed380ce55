"""The metrics as functions of ``(pred, target)``: ``ember.metrics.functional.accuracy`` ...

The stateful classes in ``ember.metrics`` compute the same values accumulated over batches.
"""

from .classification import *  # noqa: F403
from .classification import __all__ as _classification_all
from .regression import *  # noqa: F403
from .regression import __all__ as _regression_all

__all__ = _classification_all + _regression_all
