"""How a DataLoader worker's messages travel to the main process: pickled through the worker's
result pipe, with the large NumPy arrays of a batch moved through POSIX shared memory instead.

Why: through a pipe a 1.5 MiB batch is pickled into a fresh buffer, written and read through the
kernel in 64 KiB pieces, and unpickled (about 5 ms per batch on the 2-core development VM).
Through shared memory the worker copies each array once into a block both processes keep
mapped, and the main process copies it out (about 0.2 ms).

Each worker owns a few reusable blocks ("slots", files ``/dev/shm/<prefix><worker>_<slot>``,
what ``shm_open`` creates on Linux). A message's pickle refers to each large array as
``_rebuild_shared(offset, shape, dtype, fortran)`` inside the slot named in the message's header;
every NumPy array of at least :data:`THRESHOLD` bytes is sent that way wherever it sits
(tensors, tuples, lists, dicts, namedtuples, dataclasses, user objects), because the pickler
itself swaps it (``reducer_override``), not a walk over known container types. Smaller arrays
and everything else stay in the pickle.

Copy out, not wrap: the main process copies each array out of the slot while unpickling, then
counts the message as received in a shared per-worker counter; the worker reuses a slot only
once the message that last used it has been counted. Wrapping the slot's memory (zero-copy)
would instead tie the slot to the user's batch for as long as they keep it, so slots could not
be reused, and a fresh block per batch costs far more than the copy: new tmpfs pages for every
batch, 3-4 ms per 1.5 MiB here, against about 0.1 ms for the copy into memory that malloc
recycles. The batch is then ordinary private memory, as with the pipe.

Why files in /dev/shm and not ``multiprocessing.shared_memory.SharedMemory`` (the same thing on
Linux): a slot is grown with ``posix_fallocate``, so a full /dev/shm is an ``OSError`` in the
worker (that message then goes through the pipe) rather than a SIGBUS on a write into the
mapping; and ``SharedMemory`` registers each block with the resource tracker of the process that
created it (Python 3.11 has no ``track=False``), which under 'fork' may differ from the main
process's: blocks removed by the main process would be reported as leaked, or unlinked twice.

Lifetime: slots live as long as the iterator's workers. Their names share the iterator's prefix
(``ember_dl_<main pid>_<random>_``); the main process unlinks them all, once, after its workers
have stopped (end of epoch, error, ``del`` of an abandoned iterator, interpreter exit; a killed
worker's slots too). A worker whose main process has gone removes its own slots.
"""

from __future__ import annotations

import errno
import io
import mmap
import os
import pickle
import secrets
import struct
import threading
from multiprocessing.reduction import ForkingPickler

import numpy as np

# Arrays smaller than this stay in the pickle: below it the pipe's copies cost less than the
# slot bookkeeping (and a batch of small arrays needs no slot at all).
THRESHOLD = 64 * 1024
# Offsets of arrays in a block are multiples of this (cache lines; any dtype's alignment).
_ALIGN = 64
_SHM_DIR = "/dev/shm"
# Set to "0" to send every batch through the pipes (debugging, or to compare).
ENV_VAR = "EMBER_DATALOADER_SHM"

_NO_BLOCK, _BLOCK = 0, 1


def available() -> bool:
    """Whether shared memory can carry batches here: ``/dev/shm`` exists and is writable, and
    ``EMBER_DATALOADER_SHM`` is not ``0``."""
    if os.environ.get(ENV_VAR, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return os.path.isdir(_SHM_DIR) and os.access(_SHM_DIR, os.W_OK | os.X_OK)


def new_prefix() -> str:
    """A name prefix unique to one DataLoader iterator (main pid and a random token)."""
    return f"ember_dl_{os.getpid()}_{secrets.token_hex(4)}_"


def unlink_all(prefix: str) -> int:
    """Remove every block whose name starts with ``prefix``; returns how many. Tolerates
    blocks that vanish meanwhile (removed by another process)."""
    try:
        names = [n for n in os.listdir(_SHM_DIR) if n.startswith(prefix)]
    except OSError:
        return 0
    removed = 0
    for name in names:
        try:
            os.unlink(os.path.join(_SHM_DIR, name))
            removed += 1
        except FileNotFoundError:
            pass
    return removed


# -- worker side ----------------------------------------------------------------------------------

# Message header: flag (_BLOCK: arrays are in a slot), slot number, slot size in bytes.
_HEADER = struct.Struct("<BIQ")


class _BatchPickler(ForkingPickler):
    """``ForkingPickler`` (multiprocessing's own reducers kept) that records the large arrays
    and pickles a reference to their place in the slot instead of their bytes."""

    def __init__(self, file, threshold: int) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.threshold = max(threshold, 1)  # an empty array needs no slot
        self.arrays: list[tuple[np.ndarray, int, bool]] = []
        self.size = 0

    def reducer_override(self, obj):
        # Called for every object but the atomic ones and exact built-in containers; pickle
        # memoises the result, so an array met twice is stored once.
        if (
            type(obj) is not np.ndarray
            or obj.nbytes < self.threshold
            or obj.dtype.hasobject  # pointers mean nothing in another process
        ):
            return NotImplemented
        offset = -(-self.size // _ALIGN) * _ALIGN
        # Keep Fortran order as pickle does (a transposed batch stays transposed).
        fortran = bool(obj.flags.f_contiguous and not obj.flags.c_contiguous)
        self.arrays.append((obj, offset, fortran))
        self.size = offset + obj.nbytes
        return _rebuild_shared, (offset, obj.shape, obj.dtype, fortran)


class _Slot:
    """One reusable block of a worker: file, mapping, size, and the number of the last
    message that used it."""

    def __init__(self, name: str, size: int) -> None:
        self.path = os.path.join(_SHM_DIR, name)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self.size = 0
        self.mm = None
        self.last_message = -1
        try:
            self.grow(size)
        except BaseException:
            self.close()
            _unlink_quietly(self.path)
            raise

    def grow(self, size: int) -> None:
        # Allocate the pages now: ENOSPC here, never a SIGBUS on a later write.
        os.posix_fallocate(self.fd, 0, size)
        if self.mm is not None:
            self.mm.close()
        self.mm = mmap.mmap(self.fd, size)
        self.size = size

    def write(self, arrays) -> None:
        for array, offset, fortran in arrays:
            order = "F" if fortran else "C"
            dst = np.ndarray(array.shape, array.dtype, buffer=self.mm, offset=offset, order=order)
            np.copyto(dst, array, casting="no")
            del dst  # no view of the mapping may outlive this (grow closes it)

    def close(self) -> None:
        if self.mm is not None:
            self.mm.close()
        os.close(self.fd)


class BatchSender:
    """Sends one worker's messages (``send(conn, message)``), large arrays through its slots.

    Args:
        prefix: the iterator's block-name prefix; None sends everything through the pipe.
        worker_id: this worker's id (its slots are ``<prefix><worker_id>_<n>``).
        received: shared counters (one per worker) of the slot messages the main process has
            received and copied out.
        max_slots: at most this many slots (more messages than that cannot be unreceived at
            once; if it happens anyway, the message goes through the pipe).
    """

    def __init__(
        self, prefix, worker_id: int, received=None, max_slots: int = 2, threshold=None
    ) -> None:
        self.prefix = None if prefix is None else f"{prefix}{worker_id}_"
        self.worker_id = worker_id
        self.received = received
        self.max_slots = max(1, max_slots)
        self.threshold = THRESHOLD if threshold is None else threshold
        self.slots: list[_Slot] = []
        self.sent = 0  # slot messages sent so far
        self.usable = True

    def send(self, conn, message) -> None:
        """Pickle and send ``message``; raises what pickling or the pipe raises."""
        if self.prefix is not None and self.usable:
            payload = self._dumps_shared(message)
        else:
            payload = _dumps_plain(message)
        conn.send_bytes(payload)

    def _dumps_shared(self, message) -> memoryview:
        buf = io.BytesIO()
        buf.write(_HEADER.pack(_NO_BLOCK, 0, 0))
        pickler = _BatchPickler(buf, self.threshold)
        pickler.dump(message)
        if not pickler.arrays:
            return buf.getbuffer()
        try:
            index = self._slot_for(pickler.size)
        except OSError as exc:
            index = None
            if exc.errno != errno.ENOSPC:
                # Not a full /dev/shm but a place where slots cannot work (no fallocate, no
                # permission): pipes only from now on, not a failed attempt per batch.
                self.usable = False
        if index is None:
            return _dumps_plain(message)
        slot = self.slots[index]
        slot.write(pickler.arrays)
        slot.last_message = self.sent
        self.sent += 1
        view = buf.getbuffer()
        _HEADER.pack_into(view, 0, _BLOCK, index, slot.size)
        return view

    def _slot_for(self, size: int) -> int | None:
        """A slot of at least ``size`` bytes whose last message has been received: a free one
        that fits, else a free one grown, else a new one (lazily: usually prefetch_factor + 1
        slots per worker end up existing)."""
        received = self.received[self.worker_id]
        free = [i for i, s in enumerate(self.slots) if s.last_message < received]
        for i in free:
            if self.slots[i].size >= size:
                return i
        # Grow by at least a quarter, so slowly growing batches do not regrow every time.
        if free:
            slot = self.slots[free[0]]
            slot.grow(_round_up(max(size, slot.size * 5 // 4), mmap.PAGESIZE))
            return free[0]
        if len(self.slots) >= self.max_slots:
            return None
        name = f"{self.prefix}{len(self.slots)}"
        self.slots.append(_Slot(name, _round_up(size, mmap.PAGESIZE)))
        return len(self.slots) - 1

    def abandon(self) -> None:
        """Remove this worker's slots (its main process is gone, so nobody else will)."""
        if self.prefix is not None:
            unlink_all(self.prefix)


def _dumps_plain(message) -> memoryview:
    buf = io.BytesIO()
    buf.write(_HEADER.pack(_NO_BLOCK, 0, 0))
    ForkingPickler(buf, pickle.HIGHEST_PROTOCOL).dump(message)
    return buf.getbuffer()


def _round_up(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# -- main-process side ----------------------------------------------------------------------------

# The slot mapping of the message being unpickled in this thread (read by _rebuild_shared).
_receiving = threading.local()


class BatchReceiver:
    """The main process's end: receives the messages of :class:`BatchSender`, keeps each
    worker's slots mapped (read-only), and counts the slot messages it has copied out."""

    def __init__(self, prefix: str | None, received=None) -> None:
        self.prefix = prefix
        self.received = received
        self._maps: dict[tuple[int, int], mmap.mmap] = {}

    def recv(self, conn, worker_id: int):
        """Receive and unpickle one message from ``worker_id``'s result pipe."""
        data = conn.recv_bytes()
        flag, index, size = _HEADER.unpack_from(data)
        view = memoryview(data)[_HEADER.size :]
        if flag == _NO_BLOCK:
            return pickle.loads(view)
        try:
            _receiving.block = self._map(worker_id, index, size)
            return pickle.loads(view)
        finally:
            _receiving.block = None
            # Every array was copied out (or unpickling failed): the slot is free again.
            self.received[worker_id] += 1

    def _map(self, worker_id: int, index: int, size: int) -> mmap.mmap:
        key = (worker_id, index)
        mm = self._maps.get(key)
        if mm is None or len(mm) < size:  # new, or grown by the worker since
            path = os.path.join(_SHM_DIR, f"{self.prefix}{worker_id}_{index}")
            try:
                fd = os.open(path, os.O_RDONLY)
                try:
                    new = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
                finally:
                    os.close(fd)
            except OSError as exc:
                # Not an OSError: the caller would take it for a dead worker's closed pipe.
                raise RuntimeError(
                    f"DataLoader: cannot map the shared-memory block {path} of worker "
                    f"{worker_id} ({exc}); was it removed by another program? Set "
                    f"{ENV_VAR}=0 to send batches through pipes instead"
                ) from exc
            if mm is not None:
                _close_quietly(mm)
            mm = self._maps[key] = new
        return mm

    def close(self) -> None:
        """Unmap every slot (the batches already received are copies: they stay valid)."""
        for mm in self._maps.values():
            _close_quietly(mm)
        self._maps.clear()


def _close_quietly(mm: mmap.mmap) -> None:
    try:
        mm.close()
    except BufferError:
        pass  # a view is still referenced (a failed unpickle's traceback): unmapped on free


def _rebuild_shared(offset: int, shape, dtype, fortran: bool) -> np.ndarray:
    """An array stored in the slot of the message being received, copied out of it."""
    block = getattr(_receiving, "block", None)
    if block is None:
        raise RuntimeError(
            "ember DataLoader: a shared-memory array reference was unpickled outside of "
            "DataLoader's receiver (these messages are not meant to be stored)"
        )
    order = "F" if fortran else "C"
    view = np.ndarray(shape, dtype, buffer=block, offset=offset, order=order)
    return view.copy(order=order)
