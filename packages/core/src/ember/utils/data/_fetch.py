"""Fetchers: how one item of the index sampler becomes one batch, for map-style and iterable
datasets. Shared by the single-process iterator and the worker processes."""

from __future__ import annotations

from .dataset import IterableDataset


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def of(dataset) -> int:
        return _DatasetKind.Iterable if isinstance(dataset, IterableDataset) else _DatasetKind.Map

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
        if kind == _DatasetKind.Map:
            return _MapDatasetFetcher(dataset, auto_collation, collate_fn)
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)


class _MapDatasetFetcher:
    """``index`` is a list of keys (auto-collation: one batch) or one key (no batching)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if getitems:
                data = getitems(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """Pulls from one iterator over the dataset; ``index`` only says how many samples (a list
    of ``batch_size`` Nones, or None without batching). Raises StopIteration at the end."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            # A partial last batch is kept unless drop_last; an empty one ends the epoch.
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)
