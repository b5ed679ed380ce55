"""DataLoader workers sending large arrays through shared memory (``ember.utils.data._shm``):
the batches are the num_workers=0 batches bit for bit, order and seeds are unchanged, and no
/dev/shm block outlives its iterator (normal end, early break, worker error, dead worker,
abandoned iterator). The sender/receiver pair is also tested directly, in one process."""

import collections
import dataclasses
import gc
import multiprocessing
import os

import ml_dtypes
import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, _shm, default_collate

pytestmark = pytest.mark.skipif(not _shm.available(), reason="no writable /dev/shm")

Pair = collections.namedtuple("Pair", "left right")


def blocks():
    """This process's DataLoader blocks in /dev/shm (other test runs on the machine have other
    pids, so their blocks do not disturb these tests)."""
    prefix = f"ember_dl_{os.getpid()}_"
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(prefix))


@pytest.fixture(autouse=True)
def _no_leaked_blocks():
    before = set(blocks())  # (empty unless an earlier test failed and leaked)
    yield
    gc.collect()
    assert set(blocks()) - before == set()


class Mixed(Dataset):
    """Samples with large arrays of several dtypes (each above the 64 KiB threshold once
    batched), small ones, scalars and strings, nested in dicts, tuples, lists and namedtuples.
    Values depend on the index and on the worker's NumPy seed (``np.random``), so both order
    and seeding show in the batches."""

    def __init__(self, n=12, fail_at=None, exit_at=None):
        self.n, self.fail_at, self.exit_at = n, fail_at, exit_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"bad sample {i}")
        if i == self.exit_at and multiprocessing.parent_process() is not None:
            os._exit(3)
        rng = np.random.default_rng(i)
        return {
            "f32": rng.standard_normal((3, 40, 40)).astype(np.float32),  # 19 KB x batch 4
            "f16": rng.standard_normal((100, 100)).astype(np.float16),
            "mask": rng.random((200, 100)) > 0.5,  # bool
            "i64": rng.integers(-(2**62), 2**62, size=(3000,)),
            "pair": Pair(np.full((5,), i, dtype=np.int32), rng.random(9000).astype(np.float64)),
            "list": [np.arange(3) + i, f"name{i}", i * 0.5],
            "noise": np.random.random(2500),  # worker-seeded: differs per worker, repeatable
        }


def as_numpy(batch):
    """Nested batch -> same nesting with NumPy arrays (tensors unwrapped), for comparing."""
    if isinstance(batch, ember.Tensor):
        return ("tensor", str(batch.dtype), batch.numpy())
    if isinstance(batch, dict):
        return {k: as_numpy(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [as_numpy(v) for v in batch])
    return batch


def assert_same(a, b):
    """Equal structure, types, dtypes and bytes (NaNs included)."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray)
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert a == b


def epoch(loader):
    return [as_numpy(b) for b in loader]


def test_batches_equal_the_main_process_batches_bit_for_bit():
    ds = Mixed(14)
    ember.manual_seed(3)
    reference = epoch(DataLoader(ds, batch_size=4, shuffle=True))
    ember.manual_seed(3)
    loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2)
    got = epoch(loader)
    # Worker-seeded noise differs from the main process's; everything else is identical.
    for ref, out in zip(reference, got, strict=True):
        ref.pop("noise"), out.pop("noise")
    assert_same(reference, got)
    assert reference[0]["f32"][2].shape == (4, 3, 40, 40)


def test_order_and_worker_seeds_are_the_same_as_through_pipes():
    def run(shared):
        ember.manual_seed(11)
        loader = DataLoader(Mixed(10), batch_size=3, shuffle=True, num_workers=2)
        loader._shared_memory = shared
        return epoch(loader)

    assert_same(run(True), run(False))


def test_large_arrays_travel_through_shared_memory_and_small_ones_do_not():
    seen = []

    def collect(loader):
        it = iter(loader)
        next(it)
        seen.append(blocks())  # the slots exist while the workers run
        del it

    collect(DataLoader(Mixed(8), batch_size=4, num_workers=1))
    small = DataLoader(list(range(8)), batch_size=4, num_workers=1)
    collect(small)
    off = DataLoader(Mixed(8), batch_size=4, num_workers=1)
    off._shared_memory = False
    collect(off)
    gc.collect()
    assert len(seen[0]) >= 1 and seen[0][0].endswith("_0_0")  # worker 0's first slot
    assert seen[1] == [] and seen[2] == []


def test_received_batches_are_private_writable_copies():
    loader = DataLoader(Mixed(8), batch_size=4, num_workers=1)
    first, second = list(loader)
    before = second["f32"].numpy().copy()
    first["f32"].numpy()[...] = 0  # writing one batch does not touch the next one
    np.testing.assert_array_equal(second["f32"].numpy(), before)
    assert first["f32"].numpy().base is None or first["f32"].numpy().flags.owndata


@dataclasses.dataclass
class Batch:
    image: ember.Tensor
    raw: np.ndarray
    nested: dict


def test_custom_collate_with_dataclasses_bfloat16_and_fortran_order():
    def collate(samples):
        stacked = default_collate(samples)
        x = stacked.numpy()
        return Batch(
            image=stacked,
            raw=np.asfortranarray(x.reshape(len(samples), -1)),
            nested={"bf16": x.astype(ml_dtypes.bfloat16), "t": (x[:, :2] * 2).T},
        )

    ds = [np.random.default_rng(i).standard_normal(20000).astype(np.float32) for i in range(6)]
    reference = [collate([ds[i], ds[i + 1], ds[i + 2]]) for i in (0, 3)]
    got = list(DataLoader(ds, batch_size=3, num_workers=2, collate_fn=collate))
    for ref, out in zip(reference, got, strict=True):
        assert type(out) is Batch
        assert out.image.numpy().tobytes() == ref.image.numpy().tobytes()
        assert out.raw.flags.f_contiguous and not out.raw.flags.c_contiguous
        np.testing.assert_array_equal(out.raw, ref.raw)
        assert out.nested["bf16"].dtype == ml_dtypes.bfloat16
        assert out.nested["bf16"].tobytes() == ref.nested["bf16"].tobytes()
        np.testing.assert_array_equal(out.nested["t"], ref.nested["t"])


def test_persistent_workers_reuse_their_slots_across_epochs():
    loader = DataLoader(Mixed(12), batch_size=2, num_workers=2, persistent_workers=True)
    first = epoch(loader)
    slots = blocks()
    second = epoch(loader)
    assert set(slots) <= set(blocks())  # the same slots, still there for the next epoch
    # 6 batches per epoch, few slots: a slot is reused once its batch was received.
    assert 2 <= len(blocks()) <= 2 * (2 * 2 + 1)
    for a, b in zip(first, second, strict=True):
        a.pop("noise"), b.pop("noise")
    assert_same(first, second)
    del loader


# -- no leaked blocks (the autouse fixture checks /dev/shm after each test) -------------------


def test_no_leak_after_early_break():
    for i, _ in enumerate(DataLoader(Mixed(40), batch_size=2, num_workers=2)):
        if i == 1:
            break


def test_no_leak_when_the_iterator_is_abandoned_mid_epoch():
    it = iter(DataLoader(Mixed(40), batch_size=2, num_workers=2, prefetch_factor=4))
    next(it)
    assert blocks()  # batches are waiting in the pipes, in slots
    del it


def test_no_leak_after_a_worker_exception():
    it = iter(DataLoader(Mixed(12, fail_at=5), batch_size=2, num_workers=2))
    with pytest.raises(ValueError, match="bad sample 5"):
        for _ in it:
            pass
    del it


def test_no_leak_after_a_worker_dies():
    loader = DataLoader(Mixed(12, exit_at=6), batch_size=2, num_workers=2)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        for _ in loader:
            pass
    assert blocks() == []  # removed at once by the shutdown, not only when collected


def test_no_leak_when_a_persistent_loader_is_deleted_mid_epoch():
    loader = DataLoader(Mixed(20), batch_size=2, num_workers=2, persistent_workers=True)
    it = iter(loader)
    next(it)
    del it, loader


# -- fallbacks ------------------------------------------------------------------------------------


def test_env_var_and_missing_dev_shm_turn_it_off(monkeypatch):
    monkeypatch.setenv("EMBER_DATALOADER_SHM", "0")
    assert not _shm.available()
    monkeypatch.delenv("EMBER_DATALOADER_SHM")
    assert _shm.available()
    monkeypatch.setattr(_shm, "_SHM_DIR", "/nonexistent/shm")
    assert not _shm.available()


def test_full_dev_shm_falls_back_to_the_pipe(monkeypatch):
    def full(fd, offset, length):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)  # inherited by the forked workers
    ds = Mixed(8)
    reference = epoch(DataLoader(ds, batch_size=4))
    got = epoch(DataLoader(ds, batch_size=4, num_workers=1))
    for a, b in zip(reference, got, strict=True):
        a.pop("noise"), b.pop("noise")
    assert_same(reference, got)


# -- sender and receiver in one process -----------------------------------------------------------


class FakePipe:
    def __init__(self):
        self.messages = []

    def send_bytes(self, payload):
        self.messages.append(bytes(payload))

    def recv_bytes(self):
        return self.messages.pop(0)


@pytest.fixture
def pair():
    prefix = _shm.new_prefix()
    received = multiprocessing.RawArray("q", 1)
    sender = _shm.BatchSender(prefix, 0, received, max_slots=3)
    receiver = _shm.BatchReceiver(prefix, received)
    yield sender, receiver, FakePipe()
    receiver.close()
    for slot in sender.slots:
        slot.close()
    _shm.unlink_all(prefix)


def test_slots_are_reused_once_received_and_grow_for_larger_batches(pair):
    sender, receiver, pipe = pair
    for n in (20000, 20000, 20000, 50000):
        x = np.arange(n, dtype=np.float64)
        sender.send(pipe, {"x": ember.tensor(x), "small": np.ones(3)})
        out = receiver.recv(pipe, 0)
        np.testing.assert_array_equal(out["x"].numpy(), x)
        np.testing.assert_array_equal(out["small"], np.ones(3))
    assert len(sender.slots) == 1  # one slot, reused, grown for the last message
    assert sender.slots[0].size >= 50000 * 8


def test_unreceived_messages_use_new_slots_then_the_pipe(pair):
    sender, receiver, pipe = pair
    arrays = [np.full(10000, i, dtype=np.int64) for i in range(5)]
    for a in arrays:
        sender.send(pipe, a)
    assert len(sender.slots) == 3  # max_slots: the last two went through the pipe
    flags = [m[0] for m in pipe.messages]
    assert flags == [1, 1, 1, 0, 0]
    for a in arrays:
        np.testing.assert_array_equal(receiver.recv(pipe, 0), a)


def test_small_arrays_and_object_arrays_stay_in_the_pickle(pair):
    sender, receiver, pipe = pair
    objects = np.array([{"a": 1}] * 10000, dtype=object)
    sender.send(pipe, (np.zeros(_shm.THRESHOLD // 8 - 1), objects))
    assert sender.slots == [] and pipe.messages[0][0] == 0
    small, objs = receiver.recv(pipe, 0)
    assert small.shape == (_shm.THRESHOLD // 8 - 1,) and objs[5] == {"a": 1}


def test_the_same_array_twice_is_stored_once(pair):
    sender, receiver, pipe = pair
    x = np.arange(30000, dtype=np.float32)
    sender.send(pipe, [x, x])
    assert sender.slots[0].size < 2 * x.nbytes
    a, b = receiver.recv(pipe, 0)
    assert a is b
    np.testing.assert_array_equal(a, x)


def test_spawned_workers_use_shared_memory_too():
    ds = Mixed(4)
    reference = epoch(DataLoader(ds, batch_size=2))
    loader = DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    it = iter(loader)
    got = [as_numpy(next(it))]
    assert blocks()  # a slot, created by the spawned worker
    got += [as_numpy(b) for b in it]
    for a, b in zip(reference, got, strict=True):
        a.pop("noise"), b.pop("noise")
    assert_same(reference, got)


_KILLED_MAIN = """
import os, signal, numpy as np
from ember.utils.data import DataLoader
class Zeros:
    def __len__(self): return 100
    def __getitem__(self, i): return np.zeros((3, 64, 64), np.float32)
it = iter(DataLoader(Zeros(), batch_size=8, num_workers=2, prefetch_factor=3))
next(it)
next(it)
print(os.getpid(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_workers_of_a_killed_main_process_remove_their_blocks():
    import subprocess
    import sys
    import time

    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_MAIN], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9, proc.stderr
    prefix = f"ember_dl_{int(proc.stdout.split()[0])}_"
    # The orphaned workers notice within a second (they poll their parent), then clean up.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(n.startswith(prefix) for n in os.listdir("/dev/shm")):
            break
        time.sleep(0.1)
    assert not any(n.startswith(prefix) for n in os.listdir("/dev/shm"))


@pytest.mark.parametrize(("code", "still_usable"), [(28, True), (95, False)])
def test_slot_errors_fall_back_to_the_pipe(pair, monkeypatch, code, still_usable):
    sender, receiver, pipe = pair
    calls = []

    def failing(fd, offset, length):
        calls.append(length)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "posix_fallocate", failing)
    x = np.arange(20000, dtype=np.float32)
    for _ in range(2):
        sender.send(pipe, x)
        np.testing.assert_array_equal(receiver.recv(pipe, 0), x)
    assert sender.slots == [] and _shm.unlink_all(sender.prefix) == 0  # nothing half-made
    # ENOSPC (a full /dev/shm) is retried at the next batch; EOPNOTSUPP turns slots off.
    assert sender.usable is still_usable and len(calls) == (2 if still_usable else 1)
