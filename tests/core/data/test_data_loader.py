"""DataLoader in the main process (num_workers=0): batching, order, lengths, shuffling,
iterable datasets, argument checks. Worker processes: test_data_workers.py."""

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    get_worker_info,
)


class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class Stream(IterableDataset):
    def __init__(self, n, reported=None):
        self.n, self.reported = n, reported

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n if self.reported is None else self.reported


def batches(loader):
    return [b.tolist() for b in loader]


def test_batches_in_order_with_last_partial_batch():
    x = ember.tensor(np.arange(20.0).reshape(10, 2))
    y = ember.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    out = list(loader)
    assert len(loader) == len(out) == 3
    assert [yb.tolist() for _, yb in out] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(out[2][0].numpy(), [[16, 17], [18, 19]])
    assert out[0][0].dtype == ember.float64  # the tensors' own dtype


def test_drop_last_and_len():
    loader = DataLoader(Range(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert batches(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Range(10), batch_size=5)) == 2
    assert len(DataLoader(Range(10), batch_size=3)) == 4


def test_default_batch_size_is_one_and_none_disables_batching():
    assert batches(DataLoader(Range(3))) == [[0], [1], [2]]
    unbatched = list(DataLoader(Range(3), batch_size=None))
    assert unbatched == [0, 1, 2]  # default_convert leaves Python ints alone
    arrays = list(DataLoader([np.array([1, 2])], batch_size=None))
    assert isinstance(arrays[0], ember.Tensor) and arrays[0].tolist() == [1, 2]


def test_sampler_and_batch_sampler():
    loader = DataLoader(Range(6), batch_size=2, sampler=[5, 3, 1, 0])
    assert batches(loader) == [[5, 3], [1, 0]]
    bs = BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False)
    loader = DataLoader(Range(5), batch_sampler=bs)
    assert loader.batch_size is None and len(loader) == 3
    assert batches(loader) == [[0, 1], [2, 3], [4]]


def test_getitems_fetches_whole_batches():
    class Batched(Range):
        calls = []

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [10 * i for i in indices]

    ds = Batched(5)
    assert batches(DataLoader(ds, batch_size=3)) == [[0, 10, 20], [30, 40]]
    assert ds.calls == [[0, 1, 2], [3, 4]]


def test_custom_collate_fn():
    loader = DataLoader(Range(5), batch_size=2, collate_fn=lambda b: tuple(b))
    assert list(loader) == [(0, 1), (2, 3), (4,)]


def test_shuffle_is_reproducible_under_manual_seed_and_varies_by_epoch():
    loader = DataLoader(Range(20), batch_size=5, shuffle=True)
    ember.manual_seed(0)
    epoch1, epoch2 = batches(loader), batches(loader)
    assert sorted(sum(epoch1, [])) == list(range(20))
    assert epoch1 != epoch2
    ember.manual_seed(0)
    assert [batches(loader), batches(loader)] == [epoch1, epoch2]


def test_shuffle_with_loader_generator_ignores_global_seed():
    def run(seed):
        ember.manual_seed(seed)  # must not matter
        return batches(
            DataLoader(
                Range(20), batch_size=5, shuffle=True, generator=ember.Generator().manual_seed(1)
            )
        )

    assert run(0) == run(1)


def test_iterable_dataset_batches_and_len():
    loader = DataLoader(Stream(5), batch_size=2)
    assert len(loader) == 3
    assert batches(loader) == [[0, 1], [2, 3], [4]]
    loader = DataLoader(Stream(5), batch_size=2, drop_last=True)
    assert len(loader) == 2 and batches(loader) == [[0, 1], [2, 3]]
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]
    assert get_worker_info() is None  # in the main process


def test_iterable_dataset_longer_than_reported_warns():
    loader = DataLoader(Stream(3, reported=2), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match=r"was reported to be 2 .* but 3 samples have been"):
        assert list(loader) == [0, 1, 2]


def test_iterable_dataset_refuses_shuffle_and_samplers():
    with pytest.raises(
        ValueError, match="expected unspecified shuffle option, but got shuffle=True"
    ):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(Stream(3), batch_sampler=[[0]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiproc"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"sampler": [0], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "mutually exclusive with drop_last"),
        ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used with"),
        ({"num_workers": 1, "multiprocessing_context": "nope"}, "should specify a valid start"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(Range(4), **kwargs)


def test_multiprocessing_context_type_error():
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(Range(4), num_workers=1, multiprocessing_context=3)


def test_timeout_needs_workers():
    loader = DataLoader(Range(4), timeout=2)
    with pytest.raises(ValueError, match="timeout=2 applies to worker processes"):
        iter(loader)


def test_attributes_are_frozen_after_construction():
    loader = DataLoader(Range(4), batch_size=2)
    for name in ("batch_size", "sampler", "dataset", "drop_last"):
        with pytest.raises(
            ValueError, match=f"{name} attribute should not be set after DataLoader"
        ):
            setattr(loader, name, None)
    loader.num_workers = 0  # others stay settable, as in PyTorch


def test_pin_memory_without_accelerator_warns_and_passes_batches():
    if ember.cuda.is_available():
        pytest.skip("pin_memory is active with CUDA")
    loader = DataLoader(Range(3), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator"):
        assert batches(loader) == [[0, 1], [2]]


def test_iterator_protocol_and_pickling_refused():
    import pickle

    it = iter(DataLoader(Range(3), batch_size=2))
    assert iter(it) is it and len(it) == 2
    assert next(it).tolist() == [0, 1]
    with pytest.raises(NotImplementedError, match="cannot be pickled"):
        pickle.dumps(it)
    assert next(it).tolist() == [2]
    with pytest.raises(StopIteration):
        next(it)


def test_worker_info_is_read_only():
    import dataclasses

    from ember.utils.data import WorkerInfo

    info = WorkerInfo(id=1, num_workers=2, seed=7, dataset=None)
    assert (info.id, info.num_workers, info.seed) == (1, 2, 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.id = 0
