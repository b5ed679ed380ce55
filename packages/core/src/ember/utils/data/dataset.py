"""Datasets with ``torch.utils.data``'s API: the map-style :class:`Dataset` (``ds[i]``), the
stream-style :class:`IterableDataset` (``iter(ds)``), and the compositions built on them
(:class:`TensorDataset`, :class:`Subset`, :class:`ConcatDataset`, :class:`ChainDataset`,
:class:`StackDataset`, :func:`random_split`).
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from ...ops import random as _random

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map from keys (usually ``0 .. len-1``) to samples.

    Subclasses implement ``__getitem__`` and, for the default samplers and ``len(loader)``,
    ``__len__``. They may add ``__getitems__(indices) -> list`` to fetch a whole batch at once
    (the :class:`DataLoader` then calls it instead of ``__getitem__`` per sample).

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> [Squares()[i] for i in range(4)]
        [0, 1, 4, 9]
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    # No default __len__, as in PyTorch: ``len()`` on a dataset without one is a TypeError
    # rather than a wrong number.

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable):
    """A dataset that is a stream of samples: subclasses implement ``__iter__``.

    With ``num_workers > 0`` each worker iterates its own copy of the dataset; use
    :func:`ember.utils.data.get_worker_info` inside ``__iter__`` to give each worker its share,
    otherwise every sample is produced once per worker.

    Example:
        >>> class Range(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         if info is None:            # loading in the main process
        ...             return iter(range(self.n))
        ...         return iter(range(info.id, self.n, info.num_workers))
    """

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors sharing their first dimension: ``ds[i]`` is
    ``tuple(t[i] for t in tensors)``.

    Args:
        *tensors: tensors with equal ``size(0)``.

    Example:
        >>> x, y = ember.randn(5, 3), ember.arange(5)
        >>> ds = TensorDataset(x, y)
        >>> len(ds), ds[2][1]
        (5, tensor(2))
    """

    def __init__(self, *tensors) -> None:
        sizes = [t.size(0) for t in tensors]
        if any(size != sizes[0] for size in sizes):
            # AssertionError, as PyTorch raises here.
            raise AssertionError(
                f"Size mismatch between tensors: TensorDataset needs the same first dimension "
                f"in every tensor, got sizes {sizes}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Zips datasets of equal length: positional datasets give tuple samples, keyword datasets
    give dict samples.

    Args:
        *args: datasets whose samples form a tuple.
        **kwargs: datasets whose samples form a dict (not both forms at once).

    Example:
        >>> ds = StackDataset(image=[10, 11], label=[0, 1])
        >>> ds[1]
        {'image': 11, 'label': 1}
    """

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or ``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        lengths = [len(d) for d in parts]
        if any(n != lengths[0] for n in lengths):
            raise ValueError(f"Size mismatch between datasets: lengths {lengths}")
        self._length = lengths[0]
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        # Each part fetches the whole batch at once when it can (its own __getitems__).
        parts = self.datasets.values() if isinstance(self.datasets, dict) else self.datasets
        columns = [_fetch_many(d, indices) for d in parts]
        if isinstance(self.datasets, dict):
            keys = list(self.datasets)
            return [dict(zip(keys, row)) for row in zip(*columns)]
        return [tuple(row) for row in zip(*columns)]

    def __len__(self) -> int:
        return self._length


def _fetch_many(dataset, indices: list) -> list:
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        items = getitems(indices)
        if len(items) != len(indices):
            raise ValueError(
                f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}"
            )
        return items
    return [dataset[i] for i in indices]


class ConcatDataset(Dataset):
    """Map-style datasets one after another: index ``i`` runs through the first dataset, then
    the second, and so on.

    Args:
        datasets: the map-style datasets to concatenate (at least one).

    Example:
        >>> ds = ConcatDataset([[0, 1, 2], [10, 11]])
        >>> len(ds), ds[3], ds[-1]
        (5, 10, 11)
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        """The running totals of the datasets' lengths."""
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        # AssertionError for both checks, as PyTorch raises.
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError(
                    "ConcatDataset does not support IterableDataset; use ChainDataset to chain "
                    "streams"
                )
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        # bisect_right: an index equal to a running total belongs to the next dataset.
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        if dataset_idx >= len(self.datasets):
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {len(self)}")
        start = self.cumulative_sizes[dataset_idx - 1] if dataset_idx > 0 else 0
        return self.datasets[dataset_idx][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another, chained lazily.

    Args:
        datasets: the iterable datasets to chain.

    Example:
        >>> class Stream(IterableDataset):
        ...     def __init__(self, items):
        ...         self.items = items
        ...     def __iter__(self):
        ...         return iter(self.items)
        >>> list(ChainDataset([Stream([1, 2]), Stream([3])]))
        [1, 2, 3]
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            _check_iterable(d)
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            _check_iterable(d)
            total += len(d)
        return total


def _check_iterable(d) -> None:
    if not isinstance(d, IterableDataset):
        raise AssertionError(
            f"ChainDataset only supports IterableDataset, got {type(d).__name__}; use "
            f"ConcatDataset for map-style datasets"
        )


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: the positions in ``dataset`` that form the subset.

    Example:
        >>> s = Subset([10, 11, 12, 13], [3, 0])
        >>> len(s), s[0], s[1]
        (2, 13, 10)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        # The DataLoader fetches batches through __getitems__, which would bypass a subclass's
        # own __getitem__: PyTorch refuses such a subclass up front, and so do we.
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ and cls.__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{cls.__name__} overrides __getitem__ but not __getitems__. When subclassing "
                "Subset and overriding __getitem__, you must also override __getitems__ to "
                "ensure DataLoader works correctly with your custom logic. A simple "
                "implementation:\n\ndef __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]"
            )

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        return _fetch_many(self.dataset, [self.indices[i] for i in indices])

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: _random.Generator | None = _random.default_generator,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    Args:
        dataset: the dataset to split.
        lengths: the subsets' lengths (ints summing to ``len(dataset)``), or fractions summing
            to 1: each subset then gets ``floor(frac * len(dataset))`` samples and the remainder
            is handed out one by one, round-robin from the first subset (as PyTorch does).
        generator: the :class:`ember.Generator` drawing the permutation (default: the global
            one, so ``ember.manual_seed`` makes the split reproducible).

    Returns:
        A list of :class:`Subset`.

    Example:
        >>> a, b = random_split(range(10), [0.3, 0.7], generator=ember.Generator().manual_seed(0))
        >>> len(a), len(b), sorted(list(a) + list(b)) == list(range(10))
        (3, 7, True)
    """
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(math.floor(n * frac))
        for i in range(n - sum(subset_lengths)):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
    if sum(lengths) != n:
        raise ValueError(
            f"Sum of input lengths does not equal the length of the input dataset! "
            f"(lengths {list(lengths)} sum to {sum(lengths)}, the dataset has {n} samples)"
        )
    indices = _random.randperm(n, generator=generator).tolist()
    return [
        Subset(dataset, indices[end - length : end])
        for end, length in zip(itertools.accumulate(lengths), lengths)
    ]
