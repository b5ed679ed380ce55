"""Samplers with ``torch.utils.data``'s API: they say which keys of a map-style dataset the
:class:`DataLoader` fetches, and in which order (:class:`BatchSampler` groups them into batches).

Randomness comes from an :class:`ember.Generator`. Without one, :class:`RandomSampler` draws a
fresh seed from the global generator at the start of every epoch, as PyTorch does, so that
``ember.manual_seed`` makes every epoch's order reproducible while each epoch differs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

from ... import _dtype as dt
from ...ops import creation as _creation
from ...ops import random as _random

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)

# RandomSampler draws with replacement in chunks of this many, lazily, as PyTorch does: a huge
# num_samples never materialises at once.
_CHUNK = 32


def _draw_seed(generator=None) -> int:
    """A seed for a fresh generator, drawn from ``generator`` (the global one when None): the
    int64 ``random_()`` draw PyTorch uses, so seeding the global generator fixes it."""
    seed = _creation.empty((), dtype=dt.int64).random_(generator=generator)
    return int(seed.item())


class Sampler(Generic[T_co]):
    """Base class of samplers: subclasses implement ``__iter__`` (yielding keys, or lists of
    keys for a batch sampler) and usually ``__len__``.

    Example:
        >>> class Evens(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(0, self.n, 2))
        ...     def __len__(self):
        ...         return (self.n + 1) // 2
        >>> list(Evens(5))
        [0, 2, 4]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, in order.

    Args:
        data_source: anything with ``__len__`` (usually the dataset).
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices in random order: a permutation per pass (without replacement), or independent
    uniform draws (with replacement).

    Args:
        data_source: anything with ``__len__`` (usually the dataset).
        replacement: draw with replacement. Default: False.
        num_samples: how many indices per epoch. Default: ``len(data_source)``; without
            replacement a larger value concatenates fresh permutations.
        generator: the :class:`ember.Generator` to draw from. Default: a new generator seeded
            from the global one at the start of each epoch.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> sorted(RandomSampler(range(5), generator=g))
        [0, 1, 2, 3, 4]
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator=None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if (
            not isinstance(self.num_samples, int)
            or isinstance(self.num_samples, bool)
            or self.num_samples <= 0
        ):
            raise ValueError(
                f"num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        # Read at each use: the dataset may change size between epochs.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.generator is None:
            generator = _random.Generator().manual_seed(_draw_seed())
        else:
            generator = self.generator
        if self.replacement:
            for _ in range(self.num_samples // _CHUNK):
                yield from _random.randint(
                    high=n, size=(_CHUNK,), dtype=dt.int64, generator=generator
                ).tolist()
            yield from _random.randint(
                high=n, size=(self.num_samples % _CHUNK,), dtype=dt.int64, generator=generator
            ).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from _random.randperm(n, generator=generator).tolist()
            yield from _random.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in random order (a fresh permutation each epoch).

    Args:
        indices: the indices to sample from.
        generator: the :class:`ember.Generator` to draw from (default: the global one).

    Example:
        >>> sorted(SubsetRandomSampler([7, 3, 9]))
        [3, 7, 9]
    """

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _random.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices ``0 .. len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Args:
        weights: non-negative weights, one per index (need not sum to 1).
        num_samples: how many indices per epoch.
        replacement: draw with replacement (default); without, an index appears at most once.
        generator: the :class:`ember.Generator` to draw from (default: the global one).

    Example:
        >>> s = WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=3)
        >>> list(s)
        [1, 1, 1]
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator=None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        weights_tensor = _creation.as_tensor(weights, dtype=dt.float64)
        if weights_tensor.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape "
                f"{tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        drawn = _random.multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list]):
    """Groups another sampler's indices into lists of ``batch_size``.

    Args:
        sampler: a sampler or any iterable of indices.
        batch_size: indices per batch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6]]
        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Sampler | Iterable, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        it = iter(self.sampler)
        if self.drop_last:
            # zip over batch_size references to one iterator: full groups only.
            for batch in zip(*[it] * self.batch_size):
                yield list(batch)
        else:
            batch = list(itertools.islice(it, self.batch_size))
            while batch:
                yield batch
                batch = list(itertools.islice(it, self.batch_size))

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler):
    """The DataLoader's "sampler" for an iterable dataset: ``None`` forever (the dataset's own
    iterator decides what comes next and when it ends)."""

    def __iter__(self):
        while True:
            yield None
