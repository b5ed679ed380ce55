"""Stateful metrics: the ``Metric`` base class, ``MeanMetric`` and ``MetricCollection``.

A metric keeps *sufficient statistics* (counts, sums) as non-persistent buffers, so that
``metric.to('cuda')`` moves them with the model, and so that the result over many batches is
exact: ``update`` adds each batch's statistics, ``compute`` turns the totals into the value.
Calling the metric (``forward``) does both at once and returns the value on that batch alone,
as torchmetrics does.

Writing a metric means three methods on arrays: ``_batch_state(*inputs)`` (a dict of the
batch's statistics), ``_value(state)`` (the result from such a dict) and, where adding is not
the way two states combine, ``_merge(state)``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._device import is_cupy_array
from .._tensor import Tensor, _make
from ..nn.modules.container import ModuleDict
from ..nn.modules.module import Module
from ..ops._util import xp_of
from ._inputs import as_array, same_device
from .functional.regression import as_result, mean_of

__all__ = ["Metric", "MeanMetric", "MetricCollection"]


class Metric(Module):
    """Base class of the stateful metrics (a ``Module``: ``metric(pred, target)`` calls
    :meth:`forward`).

    Methods:
        update(*inputs): add a batch to the state.
        compute(): the metric over everything since the last :meth:`reset`.
        forward(*inputs): ``update`` plus the metric on this batch alone.
        reset(): back to the initial state.

    States are registered with :meth:`add_state` as non-persistent buffers (moved by ``.to()``,
    absent from ``state_dict()``, as in torchmetrics). Casts such as ``.half()`` leave their
    dtypes alone: counts stay int64 and sums float64, so accumulation stays exact.
    """

    def __init__(self) -> None:
        super().__init__()
        self._defaults: dict[str, np.ndarray] = {}
        self._update_count = 0

    # -- states ---------------------------------------------------------------------------

    def add_state(self, name: str, default) -> None:
        """Declare a state ``name`` that starts (and resets) at ``default`` (an array)."""
        default = np.array(default)
        self._defaults[name] = default
        self.register_buffer(name, _make(default.copy()), persistent=False)

    def _state(self) -> dict:
        return {name: self._buffers[name]._data for name in self._defaults}

    def reset(self) -> None:
        """Forget every update: the states go back to their defaults, on their device."""
        for name, default in self._defaults.items():
            xp = xp_of(self._buffers[name]._data)
            self._buffers[name] = _make(xp.array(default, copy=True))
        self._update_count = 0

    def _apply(self, fn, recurse: bool = True):
        # moves only: a state keeps its dtype (and its exact value) through .half() or
        # .to(float16), as torchmetrics' states do
        def keep_dtype(t: Tensor) -> Tensor:
            out = fn(t)
            return out if out.dtype == t.dtype else t.to(out.device)

        return super()._apply(keep_dtype, recurse)

    def _merge(self, batch: dict) -> None:
        """Add a batch's statistics to the state (override where states combine otherwise).

        The statistics are a few numbers per class, so inputs on another device than the
        state are accepted: their statistics are copied to the state's device.
        """
        for name, value in batch.items():
            state = self._buffers[name]._data
            state += _like(value, state)

    # -- the public protocol ---------------------------------------------------------------

    def _batch_state(self, *args, **kwargs) -> dict:
        raise NotImplementedError

    def _value(self, state: dict):
        raise NotImplementedError

    def update(self, *args, **kwargs) -> None:
        """Add a batch to the metric's state."""
        batch = self._batch_state(*args, **kwargs)
        self._merge(batch)
        self._update_count += 1

    def compute(self):
        """The metric over all batches given to :meth:`update` since the last reset."""
        return self._value(self._state())

    def forward(self, *args, **kwargs):
        """Update the state with this batch and return the metric on this batch alone."""
        batch = self._batch_state(*args, **kwargs)
        self._merge(batch)
        self._update_count += 1
        return self._value(batch)

    @property
    def update_count(self) -> int:
        """How many batches were added since the last reset."""
        return self._update_count


def _like(value, state):
    """``value`` (a statistic) on the device of ``state``."""
    if is_cupy_array(state):
        return xp_of(state).asarray(value)
    return value.get() if is_cupy_array(value) else value


class MeanMetric(Metric):
    """The running (weighted) mean of values, e.g. a loss over an epoch.

    ``update(value, weight=1.0)``: ``value`` a number or tensor of any shape (every element
    counts), ``weight`` a number or tensor broadcastable to it. ``compute()`` returns
    ``sum(weight * value) / sum(weight)`` over all updates, as a 0-d tensor of the default
    float dtype; NaN before any update (the mean of nothing).

    Example:
        >>> m = MeanMetric()
        >>> m.update(ember.tensor([1.0, 2.0])); m.update(4.0, weight=2.0)
        >>> m.compute()
        tensor(2.7500)
    """

    def __init__(self) -> None:
        super().__init__()
        self.add_state("mean_value", np.float64(0.0))
        self.add_state("weight", np.float64(0.0))

    def _batch_state(self, value, weight=1.0) -> dict:
        v = as_array(value, "MeanMetric", "value")
        w = as_array(weight, "MeanMetric", "weight")
        if w.ndim:
            same_device(v, w, "MeanMetric")
        if v.dtype.kind not in "fiub" or w.dtype.kind not in "fiub":
            raise TypeError(
                f"MeanMetric: value and weight must hold real numbers, got dtypes {v.dtype} "
                f"and {w.dtype}"
            )
        xp = xp_of(v)
        try:
            w = xp.broadcast_to(xp.asarray(w, dtype=np.float64), v.shape)
        except ValueError:
            raise ValueError(
                f"MeanMetric: weight of shape {tuple(w.shape)} cannot be broadcast to value "
                f"of shape {tuple(v.shape)}"
            ) from None
        # the state is the weighted sum (named as torchmetrics' state) and the total weight
        return {"mean_value": (v.astype(np.float64) * w).sum(), "weight": w.sum()}

    def _value(self, state: dict) -> Tensor:
        return as_result(mean_of(state["mean_value"], state["weight"]), dt.get_default_dtype())


class MetricCollection(ModuleDict):
    """Several metrics updated and computed together on the same inputs.

    Args:
        metrics: a dict ``{name: metric}``, or a list of metrics named by their class.
        prefix, postfix: text added before/after each name in the returned dicts.

    ``update(*inputs)`` updates every metric; ``compute()`` and calling the collection
    (``forward``) return dicts ``{prefix + name + postfix: value}``.

    Example:
        >>> metrics = MetricCollection([Accuracy(num_classes=3), F1Score(num_classes=3,
        ...                             average="macro")], prefix="val_")
        >>> metrics.update(pred, target)
        >>> metrics.compute()          # {'val_Accuracy': tensor(...), 'val_F1Score': ...}
    """

    def __init__(self, metrics, *, prefix: str | None = None, postfix: str | None = None):
        super().__init__()
        self.prefix = prefix or ""
        self.postfix = postfix or ""
        self.add_metrics(metrics)

    def add_metrics(self, metrics) -> None:
        """Add metrics from a dict ``{name: metric}`` or a list (named by their class)."""
        if isinstance(metrics, Metric):
            metrics = [metrics]
        if isinstance(metrics, dict):
            items = list(metrics.items())
        else:
            items = [(type(m).__name__, m) for m in metrics]
        for name, metric in items:
            if not isinstance(metric, (Metric, MetricCollection)):
                raise TypeError(
                    f"MetricCollection: {name!r} is a {type(metric).__name__}, not a Metric"
                )
            if name in self._modules:
                raise ValueError(
                    f"MetricCollection: two metrics are named {name!r}; pass a dict to name "
                    f"them apart"
                )
            self.add_module(name, metric)

    # ModuleDict.update adds modules; here, as in torchmetrics, it updates the metrics.
    def update(self, *args, **kwargs) -> None:
        """Add a batch to every metric."""
        for metric in self._modules.values():
            metric.update(*args, **kwargs)

    def _named(self, values) -> dict:
        out = {}
        for name, value in values:
            if isinstance(value, dict):  # a nested collection
                out.update({self.prefix + k + self.postfix: v for k, v in value.items()})
            else:
                out[self.prefix + name + self.postfix] = value
        return out

    def compute(self) -> dict:
        """``{name: value}`` over all batches since the last reset."""
        return self._named((n, m.compute()) for n, m in self._modules.items())

    def forward(self, *args, **kwargs) -> dict:
        """Update every metric and return ``{name: value on this batch}``."""
        return self._named((n, m(*args, **kwargs)) for n, m in self._modules.items())

    def reset(self) -> None:
        """Reset every metric."""
        for metric in self._modules.values():
            metric.reset()
