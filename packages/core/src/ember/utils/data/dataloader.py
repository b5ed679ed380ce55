"""The DataLoader: batches from a dataset, in the main process or in worker processes, with
``torch.utils.data.DataLoader``'s arguments and semantics.

One epoch is one iterator. The iterator draws ``base_seed`` from the loader's generator when it
is created (before the sampler draws its own seed), so the same ``ember.manual_seed`` gives the
same batches with or without workers; workers seed themselves from ``base_seed + worker_id``.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable

from ..._tensor import Tensor
from ._collate import default_collate, default_convert
from ._fetch import _DatasetKind
from .dataset import Dataset, IterableDataset
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _draw_seed,
    _InfiniteConstantSampler,
)

__all__ = ["DataLoader"]

# Attributes fixed once the loader is built (changing them would desynchronise the samplers).
_FROZEN_ATTRIBUTES = (
    "batch_size",
    "batch_sampler",
    "sampler",
    "drop_last",
    "dataset",
    "persistent_workers",
)


class DataLoader:
    """Iterate over a dataset in batches: sampling, batching (collation), and optionally
    loading in worker processes.

    Args:
        dataset: a map-style :class:`Dataset` (``ds[i]``, ``len(ds)``) or an
            :class:`IterableDataset`.
        batch_size: samples per batch (default 1); None turns batching off (each sample is
            yielded on its own, through ``default_convert``).
        shuffle: reshuffle the data every epoch (map-style datasets only). Default: False.
        sampler: the order of keys (a :class:`Sampler` or any iterable); excludes ``shuffle``.
        batch_sampler: yields lists of keys, one per batch; excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: worker processes loading batches; 0 loads in the main process.
        collate_fn: turns a list of samples into a batch (default :func:`default_collate`).
        pin_memory: copy batches into page-locked memory for faster GPU transfer (used only
            when CUDA is available; otherwise a warning, as in PyTorch).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a batch from the workers (0: forever); exceeding it raises
            ``RuntimeError: DataLoader timed out after 5 seconds``.
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: start method name (``'fork'``, ``'spawn'``, ``'forkserver'``)
            or context; default ``'fork'`` on Linux.
        generator: the :class:`ember.Generator` for ``RandomSampler`` and the workers' base seed.
        prefetch_factor: batches each worker loads ahead (default 2 with workers).
        persistent_workers: keep the workers alive between epochs.
        pin_memory_device: accepted for compatibility (deprecated in PyTorch).
        in_order: yield batches in sampler order (default); False yields them as they arrive.

    Example:
        >>> ds = TensorDataset(ember.arange(10.0), ember.arange(10))
        >>> loader = DataLoader(ds, batch_size=4)
        >>> len(loader), [y.tolist() for _, y in loader]
        (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    """

    _initialized = False

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. Let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            # An iterable dataset decides its own order: no shuffling, no sampler.
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    # -- configuration --------------------------------------------------------------------------

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(
                    f"multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        f"multiprocessing_context option should specify a valid start method "
                        f"in {methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    f"multiprocessing_context option should be a valid context object or a "
                    f"string specifying the start method, but got "
                    f"multiprocessing_context={context}"
                )
        self._multiprocessing_context = context

    def __setattr__(self, attr, val) -> None:
        if self._initialized and attr in _FROZEN_ATTRIBUTES:
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        # What the iterator draws from: lists of keys when batching, single keys otherwise.
        return self.batch_sampler if self._auto_collation else self.sampler

    def check_worker_number_rationality(self) -> None:
        """Warn when ``num_workers`` exceeds the CPUs this process may use (as PyTorch does):
        more workers than cores only adds start-up time and memory."""
        if not self.num_workers:
            return
        if hasattr(os, "sched_getaffinity"):
            cpus, cpuset_checked = len(os.sched_getaffinity(0)), True
        else:
            cpus, cpuset_checked = os.cpu_count(), False
        if cpus is None or self.num_workers > cpus:
            suggestion = (
                f"Our suggested max number of worker in current system is {cpus}"
                f"{'' if cpuset_checked else ' (`cpuset` is not taken into account)'}, which is "
                f"smaller than what this DataLoader is going to create."
                if cpus is not None
                else "DataLoader is not able to compute a suggested max number of worker in "
                "current system."
            )
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. "
                f"{suggestion} Please be aware that excessive worker creation might get "
                f"DataLoader running slow or even freeze, lower the worker number to avoid "
                f"potential slowness/freeze if necessary.",
                stacklevel=2,
            )

    # -- iteration ------------------------------------------------------------------------------

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        from ._multiprocessing import _MultiProcessingDataLoaderIter

        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> _BaseDataLoaderIter:
        """A new epoch's iterator (with persistent workers, the same iterator, reset)."""
        if self.persistent_workers and self.num_workers > 0:
            # A new iterator also after a fatal error (dead worker, timeout) stopped the old one.
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        """Batches per epoch: the batch sampler's length, or for an iterable dataset
        ``len(dataset)`` divided by ``batch_size`` (rounded up unless ``drop_last``)."""
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    """One epoch over a DataLoader. Copies what it needs from the loader and keeps no reference
    to it (so a loader and its persistent iterator form no cycle)."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._pin_memory = loader.pin_memory and _accelerator_available()
        if loader.pin_memory and not self._pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=3,
            )
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        # Drawn at creation, before the sampler's first draw, whether or not workers are used.
        self._base_seed = _draw_seed(loader.generator)
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (
            self._dataset_kind == _DatasetKind.Iterable
            and self._IterableDataset_len_called is not None
            and self._num_yielded > self._IterableDataset_len_called
        ):
            msg = (
                f"Length of IterableDataset {self._dataset} was reported to be "
                f"{self._IterableDataset_len_called} (when accessing len(dataloader)), but "
                f"{self._num_yielded} samples have been fetched. "
            )
            if self._num_workers > 0:
                msg += (
                    "For multiprocessing data-loading, this could be caused by not properly "
                    "configuring the IterableDataset replica at each worker (see "
                    "ember.utils.data.get_worker_info)."
                )
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _maybe_pin(self, data):
        return _pin_memory(data) if self._pin_memory else data

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        if loader.timeout != 0:
            # PyTorch fails here with a bare AssertionError; say what is wrong instead.
            raise ValueError(
                f"DataLoader: timeout={loader.timeout} applies to worker processes; set "
                f"num_workers > 0 or timeout=0"
            )
        super().__init__(loader)
        self._fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind,
            self._dataset,
            self._auto_collation,
            self._collate_fn,
            self._drop_last,
        )

    def _next_data(self):
        index = next(self._sampler_iter)  # StopIteration ends the epoch
        data = self._fetcher.fetch(index)  # so does an iterable dataset running dry
        return self._maybe_pin(data)


def _accelerator_available() -> bool:
    from ... import cuda

    return cuda.is_available()


def _pin_memory(data):
    """Page-lock the tensors inside ``data`` (those that know how: ``Tensor.pin_memory``)."""
    if isinstance(data, Tensor):
        pin = getattr(data, "pin_memory", None)
        return pin() if pin is not None else data
    if isinstance(data, dict):
        return type(data)({k: _pin_memory(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_pin_memory(v) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_pin_memory(v) for v in data)
    return data
