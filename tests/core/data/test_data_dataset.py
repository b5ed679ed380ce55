"""Datasets: the map-style and iterable bases, the compositions, random_split."""

import numpy as np
import pytest

import ember
from ember.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = list(items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_dataset_base_needs_getitem_and_has_no_len():
    with pytest.raises(NotImplementedError, match="implement __getitem__"):
        Dataset()[0]
    with pytest.raises(TypeError):
        len(Dataset())


def test_add_concatenates_map_datasets_and_chains_iterables():
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset)
    assert [both[i] for i in range(len(both))] == [0, 1, 4, 0, 1]
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [1, 2, 3]


def test_tensor_dataset_rows_and_length():
    x = ember.tensor(np.arange(12.0).reshape(4, 3))
    y = ember.tensor([10, 11, 12, 13])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), [6.0, 7.0, 8.0])
    assert yi.item() == 12
    xs, ys = ds[1:3]  # slices index every tensor alike
    assert xs.shape == (2, 3) and ys.tolist() == [11, 12]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\[4, 3\]"):
        TensorDataset(ember.zeros(4, 2), ember.zeros(3))


def test_subset_indexes_through_the_indices():
    s = Subset(Squares(10), [7, 2, 5])
    assert len(s) == 3
    assert [s[i] for i in range(3)] == [49, 4, 25]
    assert s.__getitems__([2, 0]) == [25, 49]


def test_subset_uses_the_datasets_getitems():
    class Batched(Squares):
        def __getitems__(self, indices):
            return [("batched", i) for i in indices]

    assert Subset(Batched(10), [4, 1]).__getitems__([1, 0]) == [("batched", 1), ("batched", 4)]


def test_subset_subclass_overriding_getitem_must_override_getitems():
    class Doubled(Subset):
        def __getitem__(self, idx):
            return 2 * super().__getitem__(idx)

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Doubled(Squares(3), [0, 1])


def test_concat_dataset_indexing():
    ds = ConcatDataset([[0, 1, 2], [], [10, 11]])
    assert len(ds) == 5
    assert ds.cumulative_sizes == [3, 3, 5]
    assert [ds[i] for i in range(5)] == [0, 1, 2, 10, 11]
    assert ds[-1] == 11 and ds[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]
    with pytest.raises(IndexError, match="index 5 out of range for length 5"):
        ds[5]


def test_concat_dataset_refuses_empty_and_iterables():
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Stream([1])])


def test_chain_dataset_iterates_lazily_and_measures():
    ds = ChainDataset([Stream([1, 2]), Stream([]), Stream([3, 4, 5])])
    assert list(ds) == [1, 2, 3, 4, 5]
    assert len(ds) == 5
    bad = ChainDataset([Stream([1]), Squares(2)])
    it = iter(bad)
    assert next(it) == 1  # the check happens when the map-style part is reached
    with pytest.raises(AssertionError, match="only supports IterableDataset, got Squares"):
        next(it)


def test_stack_dataset_tuples_and_dicts():
    t = StackDataset(Squares(3), [10, 11, 12])
    assert len(t) == 3
    assert t[2] == (4, 12)
    assert t.__getitems__([0, 2]) == [(0, 10), (4, 12)]
    d = StackDataset(sq=Squares(3), label=["a", "b", "c"])
    assert d[1] == {"sq": 1, "label": "b"}
    assert d.__getitems__([2, 0]) == [{"sq": 4, "label": "c"}, {"sq": 0, "label": "a"}]


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset([1], x=[1])
    with pytest.raises(ValueError, match="At least one dataset"):
        StackDataset()
    with pytest.raises(ValueError, match=r"Size mismatch between datasets: lengths \[3, 2\]"):
        StackDataset([1, 2, 3], [1, 2])

    class Short(Squares):
        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="output size mismatch. Expected 2, got 1"):
        StackDataset(Short(3)).__getitems__([0, 1])


def test_random_split_lengths_partition_the_dataset():
    g = ember.Generator().manual_seed(3)
    parts = random_split(range(10), [3, 7], generator=g)
    assert [len(p) for p in parts] == [3, 7]
    items = [p[i] for p in parts for i in range(len(p))]
    assert sorted(items) == list(range(10))
    assert items != list(range(10))  # shuffled (a fixed seed: not a flaky check)


@pytest.mark.parametrize(
    "n, fractions, expected",
    [
        # floors [2, 2, 5] leave 1, handed to the first split
        (10, [0.25, 0.25, 0.5], [3, 2, 5]),
        # floors [1]*5 leave 2, handed round-robin to the first two
        (7, [0.2] * 5, [2, 2, 1, 1, 1]),
        (30, [0.3, 0.3, 0.4], [9, 9, 12]),
    ],
)
def test_random_split_fractions_round_robin(n, fractions, expected):
    parts = random_split(range(n), fractions, generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == expected


def test_random_split_reproducible_with_generator_and_global_seed():
    def split(generator=None):
        kwargs = {} if generator is None else {"generator": generator}
        return [list(p.indices) for p in random_split(range(20), [0.5, 0.5], **kwargs)]

    assert split(ember.Generator().manual_seed(5)) == split(ember.Generator().manual_seed(5))
    assert split(ember.Generator().manual_seed(5)) != split(ember.Generator().manual_seed(6))
    ember.manual_seed(11)
    first = split()
    ember.manual_seed(11)
    assert split() == first


def test_random_split_errors_and_empty_split_warning():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 6])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(range(2), [0.9, 0.1], generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [2, 0]
