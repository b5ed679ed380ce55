"""The main-process side of multi-process loading: start the workers, hand out tasks, reorder
their batches, notice failures, shut the workers down.

Each worker gets two one-way pipes: tasks in, batches out. Separate result pipes (rather than
one shared queue) mean a worker killed mid-write cannot leave a lock held that blocks the
others, and a dead worker shows as end-of-file on its own pipe. The main process waits on all
result pipes at once with a short timeout and checks the workers' liveness whenever nothing
arrived, so a worker that dies is reported within a fraction of a second, never a hang.

Bookkeeping: tasks are numbered in sampler order (``_send_idx``); ``_task_worker`` holds the
tasks sent and not yet answered, ``_reorder`` the answers not yet yielded; batches are yielded in
task order (``_rcvd_idx``) unless ``in_order=False``. At most ``prefetch_factor * num_workers``
tasks are sent and not yet yielded.

Batches: large arrays travel through shared memory (see ``_shm.py``), on by default where
``/dev/shm`` is writable; ``EMBER_DATALOADER_SHM=0``, or ``loader._shared_memory = False`` set
before iterating, sends everything through the pipes. The blocks of this iterator that were never
received are removed when its workers are shut down (end of epoch, error, ``del``, exit).
"""

from __future__ import annotations

import atexit
import itertools
import multiprocessing
import os
import signal
import sys
import time
import weakref
from multiprocessing.connection import wait as _wait_connections

from . import _shm
from ._worker import ExceptionWrapper, _IterableDatasetStopIteration, _ResumeIteration, _worker_loop
from .dataloader import _BaseDataLoaderIter

# How long the main process waits on the result pipes before checking that every worker is
# alive (seconds): the bound on how late a dead worker is reported.
_STATUS_CHECK_INTERVAL = 0.1
# At shutdown, how long workers get to exit after the stop message before being terminated.
_SHUTDOWN_JOIN_TIMEOUT = 5.0
# After a timeout or a dead worker the others may be stuck too: terminate them sooner.
_FATAL_JOIN_TIMEOUT = 0.5

# Iterators whose workers are running. At interpreter exit they are shut down in order (sentinel,
# join) before multiprocessing's own exit hook terminates whatever daemon processes remain.
_live_iterators: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _shutdown_live_iterators() -> None:
    for it in list(_live_iterators):
        it._shutdown_workers()


def _default_context():
    # 'fork' on Linux (fast start, no pickling of the dataset), as the platform default was in
    # PyTorch's time; elsewhere the platform's default ('spawn' on macOS and Windows).
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    _shutdown = True  # until workers exist: __del__ after a failed __init__ has nothing to stop
    _owner_pid = None
    _shm_prefix = None

    def __init__(self, loader) -> None:
        super().__init__(loader)
        self._owner_pid = os.getpid()
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        ctx = loader.multiprocessing_context or _default_context()
        # A lock-free shared flag rather than an Event: a worker killed while holding an Event's
        # lock would block the main process's set() forever.
        self._done_flag = ctx.RawValue("b", 0)
        self._workers, self._index_conns, self._result_conns = [], [], []
        forked = ctx.get_start_method() == "fork"
        # A private switch (not a DataLoader argument: PyTorch has none), for debugging.
        shm = None
        if getattr(loader, "_shared_memory", True) and _shm.available():
            self._shm_prefix = _shm.new_prefix()
            received = ctx.RawArray("q", self._num_workers)  # slot messages copied out
            # A worker never has more than prefetch_factor * num_workers answers unreceived.
            max_slots = self._prefetch_factor * self._num_workers + 1
            shm = (self._shm_prefix, received, max_slots)
            self._receiver = _shm.BatchReceiver(self._shm_prefix, received)
        else:
            self._receiver = _shm.BatchReceiver(None)
        self._shutdown = False  # from here on, _shutdown_workers has something to clean up
        _live_iterators.add(self)
        for worker_id in range(self._num_workers):
            task_reader, task_writer = ctx.Pipe(duplex=False)
            result_reader, result_writer = ctx.Pipe(duplex=False)
            self._index_conns.append(task_writer)
            self._result_conns.append(result_reader)
            inherited = self._index_conns + self._result_conns if forked else []
            worker = ctx.Process(
                target=_worker_loop,
                args=(
                    self._dataset_kind,
                    self._dataset,
                    task_reader,
                    result_writer,
                    self._done_flag,
                    self._auto_collation,
                    self._collate_fn,
                    self._drop_last,
                    self._base_seed,
                    loader.worker_init_fn,
                    worker_id,
                    self._num_workers,
                    inherited,
                    shm,
                ),
                daemon=True,
            )
            try:
                worker.start()
            except BaseException as exc:
                if not forked and isinstance(exc, Exception):
                    exc.add_note(
                        f"DataLoader: with the '{ctx.get_start_method()}' start method the "
                        f"dataset, collate_fn and worker_init_fn are pickled for each worker: "
                        f"define them at module level, or use multiprocessing_context='fork'"
                    )
                self._shutdown_workers()
                raise
            finally:
                # The worker's ends live in the worker now; closing ours makes its death
                # visible as end-of-file (and keeps later workers from inheriting them).
                task_reader.close()
                result_writer.close()
            self._workers.append(worker)
        self._reset(loader, first_iter=True)

    # -- epochs ---------------------------------------------------------------------------------

    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_worker: dict[int, int] = {}
        self._reorder: dict[int, object] = {}
        self._sampler_exhausted = False
        self._worker_active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: answers to the previous epoch's leftover tasks may still be in
            # the pipes; each worker's acknowledgement of the resume marker comes after them.
            for worker_id in range(self._num_workers):
                self._send_task(worker_id, _ResumeIteration())
            waiting = set(range(self._num_workers))
            while waiting:
                for worker_id, (task_idx, _) in self._receive(waiting):
                    if isinstance(task_idx, _ResumeIteration):
                        waiting.discard(worker_id)
        self._put_tasks()

    def _put_tasks(self) -> None:
        """Send tasks until ``prefetch_factor * num_workers`` are sent and not yet yielded."""
        limit = self._prefetch_factor * self._num_workers
        while (
            not self._sampler_exhausted
            and len(self._task_worker) + len(self._reorder) < limit
            and any(self._worker_active)
        ):
            try:
                index = next(self._sampler_iter)
            except StopIteration:
                self._sampler_exhausted = True
                return
            worker_id = next(self._worker_cycle)
            while not self._worker_active[worker_id]:  # round-robin over the active workers
                worker_id = next(self._worker_cycle)
            self._send_task(worker_id, (self._send_idx, index))
            self._task_worker[self._send_idx] = worker_id
            self._send_idx += 1

    def _send_task(self, worker_id: int, message) -> None:
        try:
            self._index_conns[worker_id].send(message)
        except OSError:
            # The worker's end is closed: it died while idle.
            self._check_workers_alive([worker_id], closed=True)

    # -- batches --------------------------------------------------------------------------------

    def _next_data(self):
        while True:
            found, data = self._pop_ready()
            if found:
                self._put_tasks()
                if isinstance(data, ExceptionWrapper):
                    data.reraise()
                return self._maybe_pin(data)
            if not self._task_worker or self._shutdown:
                # Nothing sent can still arrive (or a fatal error stopped the workers): the
                # epoch is over.
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            pending = set(self._task_worker.values())
            for worker_id, (task_idx, data) in self._receive(pending):
                if task_idx not in self._task_worker:
                    continue  # a leftover acknowledgement
                del self._task_worker[task_idx]
                if isinstance(data, _IterableDatasetStopIteration):
                    self._retire(worker_id)
                else:
                    self._reorder[task_idx] = data

    def _pop_ready(self):
        if not self._reorder:
            return False, None
        if not self._in_order:
            task_idx = min(self._reorder)
            return True, self._reorder.pop(task_idx)
        # Skip the tasks that will never be answered (their worker's stream ended).
        while (
            self._rcvd_idx < self._send_idx
            and self._rcvd_idx not in self._reorder
            and self._rcvd_idx not in self._task_worker
        ):
            self._rcvd_idx += 1
        if self._rcvd_idx in self._reorder:
            data = self._reorder.pop(self._rcvd_idx)
            self._rcvd_idx += 1
            return True, data
        return False, None

    def _retire(self, worker_id: int) -> None:
        """An iterable dataset's worker has run dry: it gets no more tasks, and its unanswered
        ones are dropped (a persistent worker stays for the next epoch)."""
        self._worker_active[worker_id] = False
        for task_idx in [i for i, w in self._task_worker.items() if w == worker_id]:
            del self._task_worker[task_idx]
        if not self._persistent_workers:
            _send_quietly(self._index_conns[worker_id], None)
        self._put_tasks()

    def _receive(self, worker_ids) -> list:
        """Wait for messages from any of ``worker_ids``; checks liveness and the timeout."""
        conns = {self._result_conns[w]: w for w in worker_ids}
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait_s = _STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait_s = min(wait_s, max(0.0, deadline - time.monotonic()))
            ready = _wait_connections(list(conns), timeout=wait_s)
            if ready:
                return [(conns[conn], self._recv(conn, conns[conn])) for conn in ready]
            self._check_workers_alive(worker_ids)
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers(_FATAL_JOIN_TIMEOUT)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _recv(self, conn, worker_id: int):
        try:
            return self._receiver.recv(conn, worker_id)
        except (EOFError, OSError):
            # The worker's end closed: it exited (or died) without answering.
            self._workers[worker_id].join(timeout=1.0)
            self._check_workers_alive([worker_id], closed=True)
            raise  # unreachable: the check above raises
        except Exception as exc:
            self._shutdown_workers(_FATAL_JOIN_TIMEOUT)
            raise RuntimeError(
                f"DataLoader: could not unpickle a batch from worker process {worker_id} "
                f"({type(exc).__name__}: {exc}); with the 'spawn' start method every class in a "
                f"batch must be importable in the main process"
            ) from exc

    def _check_workers_alive(self, worker_ids, closed: bool = False) -> None:
        dead = [self._workers[w] for w in worker_ids if closed or not self._workers[w].is_alive()]
        if not dead:
            return
        reports = [_death_report(w) for w in dead]
        self._shutdown_workers(_FATAL_JOIN_TIMEOUT)
        raise RuntimeError("; ".join(reports))

    # -- shutdown -------------------------------------------------------------------------------

    def _shutdown_workers(self, join_timeout: float = _SHUTDOWN_JOIN_TIMEOUT) -> None:
        """Stop every worker: the done flag (skip queued tasks), the stop message, a bounded
        join, then terminate any straggler. Safe to call twice, and from ``__del__``."""
        if self._shutdown or os.getpid() != self._owner_pid:
            return  # already done, or a forked copy of this object in a worker
        self._shutdown = True
        try:
            self._done_flag.value = 1
            for conn in self._index_conns:
                _send_quietly(conn, None)
            # Closing our read ends makes a worker blocked on a large write fail at once.
            for conn in self._result_conns:
                conn.close()
            deadline = time.monotonic() + join_timeout
            for worker in self._workers:
                worker.join(timeout=max(0.0, deadline - time.monotonic()))
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join()
        finally:
            for conn in self._index_conns:
                conn.close()
            if self._shm_prefix is not None:
                # Every worker has exited: nothing can create a slot any more; each slot's name
                # is removed here, once (the batches already received are copies).
                self._receiver.close()
                _shm.unlink_all(self._shm_prefix)

    def __del__(self) -> None:
        self._shutdown_workers()


def _send_quietly(conn, message) -> None:
    try:
        conn.send(message)
    except OSError:
        pass  # the worker is gone already


def _death_report(worker) -> str:
    worker.join(timeout=0.5)  # let a dying worker finish, so its exit code is known
    code = worker.exitcode
    text = f"DataLoader worker (pid {worker.pid}) exited unexpectedly with exit code {code}"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        text += f" (killed by {name}{_SIGNAL_HINTS.get(name, '')})"
    return text


_SIGNAL_HINTS = {
    "SIGKILL": ": often the system's out-of-memory killer; try fewer workers or smaller batches",
    "SIGSEGV": ": a crash in native code called by the dataset",
    "SIGBUS": ": often a full /dev/shm or a truncated memory-mapped file",
}
