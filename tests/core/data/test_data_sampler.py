"""Samplers: orders, lengths, distributions under fixed generators, argument errors."""

import numpy as np
import pytest
from scipy import stats

import ember
from ember.utils.data import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def gen(seed):
    return ember.Generator().manual_seed(seed)


def test_sampler_base_needs_iter():
    with pytest.raises(NotImplementedError):
        iter(Sampler())


def test_sequential_sampler():
    s = SequentialSampler(range(4))
    assert list(s) == [0, 1, 2, 3]
    assert len(s) == 4


def test_random_sampler_is_a_permutation_reproducible_with_generator():
    a = list(RandomSampler(range(50), generator=gen(1)))
    assert sorted(a) == list(range(50))
    assert a != list(range(50))
    assert list(RandomSampler(range(50), generator=gen(1))) == a
    assert list(RandomSampler(range(50), generator=gen(2))) != a


def test_random_sampler_generator_advances_between_epochs():
    s = RandomSampler(range(30), generator=gen(0))
    assert list(s) != list(s)


def test_random_sampler_without_generator_follows_manual_seed():
    s = RandomSampler(range(30))
    ember.manual_seed(4)
    first, second = list(s), list(s)
    assert first != second  # a new seed is drawn from the global generator each epoch
    ember.manual_seed(4)
    assert [list(s), list(s)] == [first, second]


def test_random_sampler_num_samples_without_replacement_concatenates_permutations():
    s = RandomSampler(range(4), num_samples=10, generator=gen(0))
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2


def test_random_sampler_with_replacement_is_uniform():
    n, draws = 5, 20000
    s = RandomSampler(range(n), replacement=True, num_samples=draws, generator=gen(7))
    out = np.array(list(s))
    assert out.shape == (draws,) and out.min() >= 0 and out.max() < n
    counts = np.bincount(out, minlength=n)
    # chi-square goodness of fit against the uniform law; a fixed seed makes this exact.
    assert stats.chisquare(counts).pvalue > 1e-3
    # 33 = one full chunk of 32 and a remainder of 1: both paths give the asked count
    assert len(list(RandomSampler(range(n), replacement=True, num_samples=33))) == 33


def test_random_sampler_argument_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler([])  # an empty data source has no samples to draw


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=gen(0))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4
    assert list(SubsetRandomSampler([10, 20, 30, 40], generator=gen(0))) == out


def test_weighted_random_sampler_follows_the_weights():
    weights = [1.0, 0.0, 3.0, 6.0]
    s = WeightedRandomSampler(weights, num_samples=20000, generator=gen(0))
    out = np.array(list(s))
    counts = np.bincount(out, minlength=4)
    assert counts[1] == 0  # zero weight: never drawn
    expected = np.array([1.0, 3.0, 6.0]) / 10 * len(out)
    assert stats.chisquare(counts[[0, 2, 3]], expected).pvalue > 1e-3
    assert s.weights.dtype == ember.float64
    assert list(WeightedRandomSampler(weights, 50, generator=gen(3))) == list(
        WeightedRandomSampler(weights, 50, generator=gen(3))
    )


def test_weighted_random_sampler_without_replacement():
    s = WeightedRandomSampler([5.0, 1.0, 1.0, 0.0], 3, replacement=False, generator=gen(0))
    out = list(s)
    assert sorted(out) == [0, 1, 2]  # no repeats; the zero-weight index comes last
    # heavier weights come first more often: index 0 leads in about 5/7 of the draws
    g = gen(1)
    firsts = [
        list(WeightedRandomSampler([5.0, 1.0, 1.0], 1, False, generator=g))[0] for _ in range(1000)
    ]
    assert abs(np.mean(np.array(firsts) == 0) - 5 / 7) < 0.05
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1.0, 1.0], 3, replacement=False))


def test_weighted_random_sampler_argument_errors():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement=None)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence .* shape \(2, 1\)"):
        WeightedRandomSampler([[1.0], [2.0]], 1)


def test_batch_sampler():
    keep = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)
    drop = BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=True)
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6]] and len(keep) == 3
    assert list(drop) == [[0, 1, 2], [3, 4, 5]] and len(drop) == 2
    assert list(BatchSampler(range(6), 3, True)) == [[0, 1, 2], [3, 4, 5]]  # any iterable


def test_batch_sampler_argument_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 0)


def test_distributed_sampler_pads_and_partitions():
    parts = [list(DistributedSampler(range(5), 2, r, shuffle=False)) for r in range(2)]
    assert parts == [[0, 2, 4], [1, 3, 0]]  # padded with the first index
    parts = [
        list(DistributedSampler(range(5), 2, r, shuffle=False, drop_last=True)) for r in range(2)
    ]
    assert parts == [[0, 2], [1, 3]]
    # more replicas than samples: the list is repeated to pad
    assert [list(DistributedSampler(range(2), 5, r, shuffle=False)) for r in range(5)] == [
        [0],
        [1],
        [0],
        [1],
        [0],
    ]


def test_distributed_sampler_shuffles_alike_on_every_replica():
    samplers = [DistributedSampler(range(12), 3, r, seed=9) for r in range(3)]
    parts = [list(s) for s in samplers]
    assert sorted(sum(parts, [])) == list(range(12))
    assert [len(s) for s in samplers] == [4, 4, 4]
    assert parts[0] == list(DistributedSampler(range(12), 3, 0, seed=9))
    samplers[0].set_epoch(1)
    assert list(samplers[0]) != parts[0]


def test_distributed_sampler_errors():
    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler(range(4))
