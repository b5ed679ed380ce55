"""``DistributedSampler``: each of ``num_replicas`` processes reads its own 1/num_replicas of the
dataset, with the same shuffled order everywhere (seeded by ``seed + epoch``)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ...ops import random as _random
from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _world(what: str) -> int:
    """``num_replicas``/``rank`` from ``ember.distributed`` when it exists and is initialised."""
    try:
        from ... import distributed as dist  # optional (the ``distributed`` extra)
    except ImportError:
        dist = None
    if dist is None or not dist.is_available() or not dist.is_initialized():
        raise RuntimeError(
            f"Requires distributed package to be available (DistributedSampler needs "
            f"{what}: pass num_replicas= and rank= explicitly, or initialise ember.distributed)"
        )
    return dist.get_world_size() if what == "num_replicas" else dist.get_rank()


class DistributedSampler(Sampler[int]):
    """Restricts loading to this process's share of the dataset, for data-parallel training.

    Every replica shuffles with the same generator seed (``seed + epoch``), pads the index list
    by repeating its start until it divides evenly (or drops the tail with ``drop_last``), then
    takes every ``num_replicas``-th index starting at ``rank``. Call :meth:`set_epoch` at the
    start of each epoch, otherwise every epoch has the same order.

    Args:
        dataset: the dataset (needs ``__len__``).
        num_replicas: number of processes (default: the distributed world size).
        rank: this process's rank in ``[0, num_replicas)`` (default: the distributed rank).
        shuffle: shuffle the indices (default True).
        seed: base seed of the shuffle, the same on every replica.
        drop_last: drop the tail instead of padding.

    Example:
        >>> s = DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)
        >>> list(s)    # padded to 6 indices: [0, 1, 2, 3, 4, 0]
        [1, 3, 0]
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None:
            num_replicas = _world("num_replicas")
        if rank is None:
            rank = _world("rank")
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = _random.Generator().manual_seed(self.seed + self.epoch)
            indices = _random.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        else:
            padding = self.total_size - len(indices)
            indices += (indices * math.ceil(padding / max(len(indices), 1)))[:padding]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which (with ``seed``) fixes this epoch's shuffle on every replica."""
        self.epoch = epoch
