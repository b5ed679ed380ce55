"""The worker-process side of the DataLoader: the loop each worker runs, its seeding, and what
it sends back (batches, wrapped exceptions, end-of-stream markers).

Protocol (one pair of pipes per worker, see ``_multiprocessing.py``): the main process sends
``(task_idx, index)`` tasks, ``_ResumeIteration`` (persistent workers, new epoch) or ``None``
(exit); the worker answers each task with ``(task_idx, batch)``, where ``batch`` may be an
:class:`ExceptionWrapper` or an ``_IterableDatasetStopIteration``. A shared done flag, set at
shutdown, makes workers skip the tasks still queued. Answers are encoded by ``_shm.BatchSender``
(large arrays through shared memory) and decoded by ``_shm.recv``.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ._fetch import _DatasetKind
from ._shm import BatchSender

__all__ = ["WorkerInfo", "get_worker_info"]

# How often an idle worker checks that the main process is still there (seconds).
_PARENT_CHECK_INTERVAL = 1.0

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What a DataLoader worker process knows about itself (see :func:`get_worker_info`).

    Attributes:
        id: this worker's id, ``0 .. num_workers - 1``.
        num_workers: how many workers the DataLoader runs.
        seed: the seed of this worker's ``random``, NumPy and Ember generators
            (``base_seed + id``; ``base_seed`` is drawn from the loader's generator when the
            epoch's iterator starts its workers).
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker process, its :class:`WorkerInfo`; in the main process, None.

    Use it in an :class:`IterableDataset`'s ``__iter__`` or in ``worker_init_fn`` to give each
    worker its own share of the data.

    Example:
        >>> get_worker_info() is None      # in the main process
        True
    """
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted: send it no more tasks."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Persistent workers: start a new epoch (new fetcher); the worker acknowledges it."""


class _KeyErrorMessage(str):
    # KeyError prints repr() of its argument, which would show the traceback as one line of
    # escaped text; a str whose repr is itself keeps it readable.
    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text.

    ``reraise()`` raises the same exception type with the message ``Caught ValueError in
    DataLoader worker process 1. Original Traceback (most recent call last): ...``.
    """

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        # Keep the type and the formatted text, never the traceback object (frames cannot be
        # pickled and would keep the worker's locals alive).
        if exc_info is None:
            exc_info = sys.exc_info()
        exc_type = exc_info[0]
        self.exc_type_name = exc_type.__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where
        try:  # a class defined inside a function cannot travel to the main process
            pickle.dumps(exc_type)
            self.exc_type = exc_type
        except Exception:
            self.exc_type = None

    def reraise(self):
        """Raise the wrapped exception here, with the worker's traceback in its message."""
        msg = f"Caught {self.exc_type_name} {self.where}.\nOriginal {self.exc_msg}"
        exc_type = self.exc_type
        if exc_type is None:
            raise RuntimeError(msg)
        if exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = exc_type(msg)
        except Exception:
            # Exceptions whose constructor wants other arguments cannot be rebuilt.
            raise RuntimeError(msg) from None
        raise exception


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's ``random``, NumPy's global RNG and Ember's default generators with
    ``base_seed + worker_id``, so workers differ from each other and every run with the same
    ``ember.manual_seed`` repeats itself."""
    from ...ops.random import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    # NumPy's legacy seeding takes 32-bit words; SeedSequence spreads the 64-bit seed over
    # four of them (a plain ``seed % 2**32`` would let different seeds collide).
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))
    return seed


def _send(sender, conn, message, task_idx, worker_id) -> bool:
    """Send ``message``; a batch that cannot be pickled is reported instead of dropped (the main
    process would otherwise wait for it forever). False when the main process is gone."""
    try:
        sender.send(conn, message)
        return True
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return False
    except Exception:
        where = (
            f"in DataLoader worker process {worker_id} while sending batch {task_idx} to the main "
            f"process (batches must be picklable: return tensors, arrays, numbers, strings "
            f"and containers of them)"
        )
        try:
            sender.send(conn, (task_idx, ExceptionWrapper(where=where)))
            return True
        except OSError:
            return False


def _worker_loop(
    dataset_kind,
    dataset,
    index_conn,
    result_conn,
    done_flag,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
    inherited_conns,
    shm=None,
) -> None:
    """The body of a worker process: seed, run ``init_fn``, then answer tasks until told to
    stop, or until the main process disappears. ``shm``: None (batches go through the pipe
    only) or ``(prefix, received_counters, max_slots)`` for ``_shm.BatchSender``."""
    global _worker_info
    # The process that started us (the main process, or the forkserver): when it is gone, so
    # is whoever would read our batches.
    parent_pid = os.getppid()
    prefix, received, max_slots = shm if shm is not None else (None, None, 0)
    sender = BatchSender(prefix, worker_id, received, max_slots)
    orphaned = False
    try:
        # Under 'fork' the worker inherits the main process's ends of the pipes; closing them
        # lets the end of a pipe be seen when the main process dies.
        for conn in inherited_conns:
            conn.close()
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(
                dataset_kind, dataset, auto_collation, collate_fn, drop_last
            )
        except Exception:
            init_error = ExceptionWrapper(where=where)
        iteration_end = False
        while True:
            if not index_conn.poll(_PARENT_CHECK_INTERVAL):
                if os.getppid() != parent_pid:
                    orphaned = True
                    break
                continue
            try:
                task = index_conn.recv()
            except (EOFError, OSError):
                # The main process closed its end without a stop message: it died (a dying
                # process closes its files before its children are reparented, so getppid()
                # may not show it yet).
                orphaned = True
                break
            if task is None:
                break
            if isinstance(task, _ResumeIteration):
                iteration_end = False
                if init_error is None:
                    try:
                        fetcher = _DatasetKind.create_fetcher(
                            dataset_kind, dataset, auto_collation, collate_fn, drop_last
                        )
                    except Exception:
                        init_error = ExceptionWrapper(where=where)
                if not _send(sender, result_conn, (task, None), None, worker_id):
                    orphaned = True
                    break
                continue
            if done_flag.value or iteration_end:
                continue  # shutting down, or nothing left to give: skip until told to exit
            task_idx, index = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as exc:
                    if isinstance(exc, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            if not _send(sender, result_conn, (task_idx, data), task_idx, worker_id):
                orphaned = True
                break
            del data, task, index  # do not hold a batch while waiting for the next task
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the main process reports it
    finally:
        index_conn.close()
        result_conn.close()
        if orphaned or os.getppid() != parent_pid:
            # Nobody will receive what we sent and was not read yet: remove our blocks (a
            # living main process also sweeps them after stopping us; unlinking twice is
            # harmless, the second finds nothing).
            sender.abandon()
