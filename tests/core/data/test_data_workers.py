"""DataLoader with worker processes: ordering, seeding, sharding, errors, dead workers,
timeouts, shutdown, persistent workers. Each test starts few processes (fork: milliseconds)."""

import gc
import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


class Range(Dataset):
    """``ds[i] == i``; optionally slow on some indices, or failing in a chosen way, but only
    inside a worker (so a test's own main process is never harmed)."""

    def __init__(self, n, slow=(), delay=0.0, fail_at=None, how="raise"):
        self.n, self.slow, self.delay, self.fail_at, self.how = n, set(slow), delay, fail_at, how

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i in self.slow:
            time.sleep(self.delay)
        if i == self.fail_at and get_worker_info() is not None:
            if self.how == "raise":
                raise ValueError(f"bad sample {i}")
            if self.how == "keyerror":
                raise KeyError(i)
            if self.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "exit":
                os._exit(3)
        return i


class RandomDraws(Dataset):
    """Each sample reports the worker's RNG draws and identity."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "numpy": int(np.random.randint(2**31)),
            "python": random.random(),
            "ember": float(ember.rand(1).item()),
            "worker": info.id,
            "seed": info.seed,
            "pid": os.getpid(),
        }


class Sharded(IterableDataset):
    """Each worker yields its own contiguous block of ``range(n)``."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        per = -(-self.n // info.num_workers)
        return iter(range(info.id * per, min(self.n, (info.id + 1) * per)))


def no_children():
    return multiprocessing.active_children() == []


@pytest.fixture(autouse=True)
def _no_leftover_processes():
    yield
    gc.collect()
    assert no_children()


def flat(loader):
    return [b.tolist() for b in loader]


def test_workers_give_the_same_batches_as_the_main_process_under_the_same_seed():
    ds = Range(23)
    ember.manual_seed(5)
    main = flat(DataLoader(ds, batch_size=4, shuffle=True))
    after_main = ember.rand(1).item()
    ember.manual_seed(5)
    workers = flat(DataLoader(ds, batch_size=4, shuffle=True, num_workers=2))
    after_workers = ember.rand(1).item()
    assert workers == main
    assert sorted(sum(main, [])) == list(range(23))
    assert after_workers == after_main  # the same draws from the global generator


class ZeroAfterOne(Range):
    """Sample 0 is produced only after sample 1 (by the other worker): a slow batch, for sure."""

    def __getitem__(self, i):
        if i == 1:
            self.one_done.set()
        if i == 0:
            self.one_done.wait(timeout=5)
            time.sleep(0.2)  # and after sample 1 has been sent
        return i


def test_batches_arrive_in_order_despite_a_slow_worker():
    def run(in_order):
        ds = ZeroAfterOne(8)
        ds.one_done = multiprocessing.get_context("fork").Event()
        return flat(DataLoader(ds, batch_size=1, num_workers=2, in_order=in_order))

    assert run(in_order=True) == [[i] for i in range(8)]
    unordered = run(in_order=False)
    assert sorted(unordered) == [[i] for i in range(8)]
    assert unordered[0] == [1]  # the slow batch no longer holds the others back


def test_prefetch_is_bounded():
    class Counting(Range):
        def __getitem__(self, i):
            with self.count.get_lock():
                self.count.value += 1
            return i

    ds = Counting(12)
    ds.count = multiprocessing.get_context("fork").Value("i", 0)
    it = iter(DataLoader(ds, batch_size=1, num_workers=2, prefetch_factor=1))
    assert next(it).tolist() == [0]
    time.sleep(0.3)
    # 2 tasks in flight at the start, one more sent when the first batch is yielded
    assert ds.count.value <= 3
    assert [b.tolist() for b in it] == [[i] for i in range(1, 12)]


def test_worker_seeding_differs_by_worker_and_repeats_with_the_seed():
    def run(seed):
        ember.manual_seed(seed)
        loader = DataLoader(RandomDraws(), batch_size=None, num_workers=2)
        return list(loader)

    first, again, other = run(1), run(1), run(2)
    assert [s["worker"] for s in first] == [0, 1, 0, 1]  # round-robin task assignment
    w0, w1 = first[0], first[1]
    assert w1["seed"] == w0["seed"] + 1
    assert w0["numpy"] != w1["numpy"] and w0["python"] != w1["python"]
    assert w0["ember"] != w1["ember"]
    strip = [{k: v for k, v in s.items() if k != "pid"} for s in first]
    assert strip == [{k: v for k, v in s.items() if k != "pid"} for s in again]
    assert [s["numpy"] for s in other] != [s["numpy"] for s in first]
    # The seeds are exactly what a reference computes from the worker's seed.
    random.seed(w0["seed"])
    assert w0["python"] == random.random()
    rs = np.random.RandomState(np.random.SeedSequence(w1["seed"]).generate_state(4))
    assert w1["numpy"] == rs.randint(2**31)


def test_loader_generator_sets_the_base_seed():
    def seeds():
        loader = DataLoader(
            RandomDraws(),
            batch_size=None,
            num_workers=2,
            generator=ember.Generator().manual_seed(3),
        )
        return [s["seed"] for s in loader]

    assert seeds() == seeds()


def test_worker_init_fn_runs_in_each_worker_after_seeding():
    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
        info.dataset.n = 100 + worker_id  # configure this worker's copy of the dataset

    class Sized(Range):
        def __getitem__(self, i):
            return self.n

    out = flat(DataLoader(Sized(4), batch_size=1, num_workers=2, worker_init_fn=init))
    assert out == [[100], [101], [100], [101]]


def test_iterable_dataset_sharded_with_get_worker_info():
    # worker 0 yields 0..3, worker 1 yields 4..6; batches alternate between workers
    assert flat(DataLoader(Sharded(7), batch_size=2, num_workers=2)) == [
        [0, 1],
        [4, 5],
        [2, 3],
        [6],
    ]
    assert flat(DataLoader(Sharded(7), batch_size=2, num_workers=2, drop_last=True)) == [
        [0, 1],
        [4, 5],
        [2, 3],
    ]
    # one worker runs dry first: the other one carries on
    assert flat(DataLoader(Sharded(5), batch_size=2, num_workers=2)) == [[0, 1], [3, 4], [2]]


def test_worker_exception_is_reraised_with_its_traceback():
    loader = DataLoader(Range(6, fail_at=3), batch_size=1, num_workers=2)
    it = iter(loader)
    assert [next(it).tolist() for _ in range(3)] == [[0], [1], [2]]
    with pytest.raises(ValueError) as info:
        next(it)
    text = str(info.value)
    assert text.startswith(
        "Caught ValueError in DataLoader worker process 1.\nOriginal Traceback (most recent "
        "call last):"
    )
    assert "in __getitem__" in text and "ValueError: bad sample 3" in text
    assert next(it).tolist() == [4]  # the epoch goes on, as in PyTorch
    del it


def test_worker_keyerror_message_stays_readable():
    with pytest.raises(KeyError) as info:
        list(DataLoader(Range(2, fail_at=0, how="keyerror"), num_workers=1))
    assert "Caught KeyError in DataLoader worker process 0." in str(info.value)
    assert "\\n" not in str(info.value)  # not the repr of one long line


def test_unpicklable_batch_is_an_error_not_a_hang():
    loader = DataLoader(Range(2), num_workers=1, collate_fn=lambda b: lambda: b, timeout=10)
    with pytest.raises(Exception, match="batches must be picklable"):
        next(iter(loader))


@pytest.mark.parametrize("how, code", [("sigkill", -9), ("exit", 3)])
def test_dead_worker_is_reported_quickly(how, code):
    loader = DataLoader(Range(20, fail_at=5, how=how), batch_size=1, num_workers=2)
    start = time.monotonic()
    with pytest.raises(
        RuntimeError,
        match=rf"DataLoader worker \(pid \d+\) exited unexpectedly with exit code {code}",
    ):
        for _ in loader:
            pass
    assert time.monotonic() - start < 5
    assert no_children()


def test_timeout():
    loader = DataLoader(Range(4, slow={0}, delay=5.0), num_workers=1, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.3 seconds$"):
        next(iter(loader))
    assert time.monotonic() - start < 3  # the stuck worker is terminated, not awaited
    assert no_children()


def test_breaking_out_of_the_loop_stops_the_workers():
    loader = DataLoader(Range(100), batch_size=2, num_workers=2)
    for batch in loader:
        assert batch.tolist() == [0, 1]
        assert len(multiprocessing.active_children()) == 2
        break
    assert no_children()


def test_persistent_workers_survive_epochs_and_stop_with_the_loader():
    loader = DataLoader(RandomDraws(), batch_size=None, num_workers=2, persistent_workers=True)
    first = list(loader)
    it = iter(loader)
    next(it)  # break off the second epoch early: leftovers must not leak into the third
    third = list(loader)
    assert {s["pid"] for s in first} == {s["pid"] for s in third}
    assert len(multiprocessing.active_children()) == 2
    assert [s["worker"] for s in third] == [0, 1, 0, 1]
    assert [s["numpy"] for s in third] != [s["numpy"] for s in first]  # not re-seeded
    del it, loader
    gc.collect()
    assert no_children()


def test_persistent_workers_restart_iterable_datasets():
    loader = DataLoader(Sharded(5), batch_size=2, num_workers=2, persistent_workers=True)
    assert flat(loader) == flat(loader) == [[0, 1], [3, 4], [2]]
    del loader


def test_spawn_context():
    # one worker: a spawned process imports ember afresh (about a second)
    loader = DataLoader(Range(5), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    assert flat(loader) == [[0, 1], [2, 3], [4]]


def test_too_many_workers_warns():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with pytest.warns(UserWarning, match=f"will create {cpus + 1} worker processes"):
        DataLoader(Range(2), num_workers=cpus + 1)
