"""Behaviour of ember.ops.random: reproducibility (seeds, independent generators, state round
trips), distribution sanity with fixed seeds, shapes/dtypes/devices, the in-place samplers'
autograd rules, and error messages.

Statistical bounds are five standard errors of 10**5 samples: with a fixed seed the tests are
deterministic, and a correct sampler would fail one with probability below 1e-6 for a new seed.
"""

import json
import math
import pickle

import numpy as np
import pytest

import ember
from ember.autograd import grad
from ember.ops import random as random_mod

N = 100_000


@pytest.fixture(autouse=True)
def _seeded():
    ember.manual_seed(1234)


def _within(sample_mean, mean, std, n=N):
    """|sample mean - mean| <= 5 standard errors."""
    return abs(sample_mean - mean) <= 5 * std / math.sqrt(n)


# ---- reproducibility ---------------------------------------------------------------------------

DRAWS = {
    "rand": lambda: ember.rand(5),
    "randn": lambda: ember.randn(2, 3),
    "randint": lambda: ember.randint(0, 100, (6,)),
    "randperm": lambda: ember.randperm(10),
    "normal": lambda: ember.normal(0.0, 1.0, size=(4,)),
    "bernoulli": lambda: ember.bernoulli(ember.full((20,), 0.5)),
    "multinomial": lambda: ember.multinomial(ember.ones(10), 5),
    "poisson": lambda: ember.poisson(ember.full((5,), 3.0)),
    "uniform_": lambda: ember.empty(5).uniform_(),
    "normal_": lambda: ember.empty(5).normal_(),
    "exponential_": lambda: ember.empty(5).exponential_(),
    "random_": lambda: ember.empty(5).random_(0, 1000),
}


@pytest.mark.parametrize("name", DRAWS)
def test_manual_seed_twice_gives_identical_numbers(name):
    ember.manual_seed(7)
    first = DRAWS[name]()
    ember.manual_seed(7)
    again = DRAWS[name]()
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    ember.manual_seed(8)
    other = DRAWS[name]()
    assert not np.array_equal(first.numpy(), other.numpy())


def test_manual_seed_returns_the_default_generator_and_records_the_seed():
    g = ember.manual_seed(42)
    assert g is ember.default_generator
    assert ember.initial_seed() == 42
    assert ember.manual_seed(-1).initial_seed() == 2**64 - 1  # read as unsigned, as PyTorch
    with pytest.raises(ValueError, match=r"does not fit in 64 bits"):
        ember.manual_seed(2**64)
    with pytest.raises(TypeError, match=r"seed must be an int"):
        ember.manual_seed(1.5)


def test_seed_is_fresh_and_recorded():
    s = ember.seed()
    assert isinstance(s, int) and ember.initial_seed() == s
    assert ember.seed() != s


def test_generators_are_independent_of_the_global_one():
    g = ember.Generator()
    assert g.initial_seed() == 67280421310721  # PyTorch's default seed for a new Generator
    assert g.manual_seed(3) is g
    ember.manual_seed(0)
    expected_global = ember.rand(4)
    a = ember.rand(4, generator=g)
    ember.manual_seed(0)
    ember.rand(4, generator=ember.Generator().manual_seed(99))  # draws from another generator...
    np.testing.assert_array_equal(ember.rand(4).numpy(), expected_global.numpy())  # ...don't count
    g.manual_seed(3)
    ember.rand(10)  # global draws do not advance g
    np.testing.assert_array_equal(ember.rand(4, generator=g).numpy(), a.numpy())


def test_cpu_generator_is_numpy_pcg64():
    g = ember.Generator().manual_seed(5)
    ref = np.random.Generator(np.random.PCG64(5))
    np.testing.assert_array_equal(
        ember.rand(3, generator=g).numpy(), ref.random(3, dtype=np.float32)
    )


def test_state_round_trip_and_format():
    g = ember.Generator().manual_seed(11)
    ember.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype == ember.uint8 and state.ndim == 1
    payload = json.loads(bytes(state.numpy()).decode())  # plain JSON, never unpickled
    assert payload["seed"] == 11 and payload["bit_generator"]["bit_generator"] == "PCG64"
    first = ember.randn(5, generator=g)
    assert g.set_state(state) is g
    np.testing.assert_array_equal(ember.randn(5, generator=g).numpy(), first.numpy())
    other = ember.Generator().set_state(state)  # a state moves between generators
    assert other.initial_seed() == 11
    np.testing.assert_array_equal(ember.randn(5, generator=other).numpy(), first.numpy())


def test_global_rng_state_round_trip():
    state = ember.get_rng_state()
    first = ember.rand(6)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.rand(6).numpy(), first.numpy())


def test_set_state_rejects_foreign_bytes():
    g = ember.Generator()
    with pytest.raises(TypeError, match=r"RNG state must be an ember.uint8 tensor, got list"):
        g.set_state([1, 2])
    with pytest.raises(TypeError, match=r"got ember.float32"):
        g.set_state(ember.zeros(4))
    evil = pickle.dumps(print)  # a pickle is not a state, and is never unpickled
    with pytest.raises(RuntimeError, match=r"not an RNG state made by Generator.get_state"):
        g.set_state(ember.tensor(np.frombuffer(evil, dtype=np.uint8)))
    bad = json.dumps({"format": "other"}).encode()
    with pytest.raises(RuntimeError, match=r"not an RNG state"):
        g.set_state(ember.tensor(np.frombuffer(bad, dtype=np.uint8)))


def test_generator_pickles_with_its_stream_position():
    g = ember.Generator().manual_seed(4)
    ember.rand(2, generator=g)
    clone = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(
        ember.rand(3, generator=g).numpy(), ember.rand(3, generator=clone).numpy()
    )


# ---- shapes, dtypes, devices -------------------------------------------------------------------


def test_size_forms_dtypes_and_requires_grad():
    assert ember.rand(2, 3).shape == ember.rand((2, 3)).shape == ember.rand([2, 3]).shape
    assert ember.rand(size=(2, 3)).shape == (2, 3)
    assert ember.rand(()).shape == () and ember.randn(0).shape == (0,)
    assert ember.rand(2).dtype == ember.float32
    assert ember.randn(2, dtype=ember.float64).dtype == ember.float64
    assert ember.randn(2, dtype=ember.complex64).dtype == ember.complex64
    assert ember.rand(2, device="cpu").device == ember.device("cpu")
    t = ember.rand(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert ember.randint(5, (3,)).dtype == ember.int64
    assert ember.randint(5, (3,), dtype=ember.int32).dtype == ember.int32
    assert ember.randint(0, 5, (3,), dtype=ember.float32).dtype == ember.float32
    assert ember.randperm(4, dtype=ember.float64).dtype == ember.float64
    x = ember.zeros(2, 3, dtype=ember.float64)
    assert ember.rand_like(x).dtype == ember.float64 and ember.randn_like(x).shape == (2, 3)
    r = ember.randint_like(x, 3, 7)
    assert r.dtype == ember.float64 and ((r >= 3) & (r < 7)).all()


def test_default_dtype_is_respected():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.rand(2).dtype == ember.float64
        assert ember.normal(0.0, 1.0, size=(2,)).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16, ember.float32])
def test_low_precision_uniform_stays_below_one(dtype):
    x = ember.rand(N, dtype=dtype)
    values = x.float().numpy()
    assert x.dtype == dtype and values.min() >= 0 and values.max() < 1
    assert _within(values.mean(), 0.5, math.sqrt(1 / 12))


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"CUDA|CuPy"):
        ember.rand(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"CUDA|CuPy"):
        ember.Generator("cuda")
    random_mod._seed_cuda(5)  # seeding CUDA is a no-op without it, as in PyTorch
    ember.cuda.manual_seed(5)


@pytest.mark.cuda
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CUDA")
def test_cuda_draws_are_reproducible():
    ember.manual_seed(3)
    a = ember.rand(5, device="cuda")
    ember.manual_seed(3)
    assert a.device.type == "cuda"
    np.testing.assert_array_equal(a.cpu().numpy(), ember.rand(5, device="cuda").cpu().numpy())
    g = ember.Generator("cuda").manual_seed(1)
    b = ember.randn(5, device="cuda", generator=g)
    g.manual_seed(1)
    np.testing.assert_array_equal(
        b.cpu().numpy(), ember.randn(5, device="cuda", generator=g).cpu().numpy()
    )


def test_rng_helper_for_the_rest_of_ember():
    assert isinstance(random_mod._rng(), np.random.Generator)
    assert random_mod._rng(device="cpu") is random_mod._rng()
    g = ember.Generator()
    assert random_mod._rng(g) is random_mod._rng(g, "cpu")
    assert random_mod._rng(g) is not random_mod._rng()
    with pytest.raises(TypeError, match=r"generator must be an ember.Generator"):
        random_mod._rng(np.random.default_rng())
    ember.manual_seed(9)
    expected = np.random.Generator(np.random.PCG64(9)).random(3)
    np.testing.assert_array_equal(random_mod._rng().random(3), expected)


# ---- distributions -----------------------------------------------------------------------------


def test_rand_and_randn_moments():
    u = ember.rand(N, dtype=ember.float64).numpy()
    assert u.min() >= 0 and u.max() < 1
    assert _within(u.mean(), 0.5, math.sqrt(1 / 12))
    z = ember.randn(N, dtype=ember.float64).numpy()
    assert _within(z.mean(), 0.0, 1.0)
    assert abs(z.std() - 1.0) < 5 * math.sqrt(2 / N)  # std error of a normal sample's std
    c = ember.randn(N, dtype=ember.complex128).numpy()
    assert abs(np.mean(np.abs(c) ** 2) - 1.0) < 0.02  # E|z|^2 = 1: each part has variance 1/2


def test_randint_bounds_and_uniformity():
    r = ember.randint(-3, 7, (N,)).numpy()
    assert r.min() == -3 and r.max() == 6
    counts = np.bincount(r + 3, minlength=10)
    p = 0.1
    assert np.all(np.abs(counts - N * p) <= 5 * math.sqrt(N * p * (1 - p)))


def test_randperm_is_a_permutation():
    for n in (0, 1, 17, 1000):
        p = ember.randperm(n).numpy()
        assert p.dtype == np.int64 and np.array_equal(np.sort(p), np.arange(n))


def test_normal_forms_and_moments():
    mean = ember.tensor([[-5.0], [5.0]], dtype=ember.float64)
    std = ember.tensor([0.5] * 1000 + [2.0] * 1000, dtype=ember.float64).reshape(2, 1000)
    x = ember.normal(mean, std)
    assert x.shape == (2, 2000 // 2) and x.dtype == ember.float64
    x = ember.normal(3.0, 2.0, size=(N,)).numpy()
    assert _within(x.mean(), 3.0, 2.0) and abs(x.std() - 2.0) < 5 * 2 * math.sqrt(2 / N)
    y = ember.normal(ember.full((N,), -1.0), 0.5).numpy()
    assert _within(y.mean(), -1.0, 0.5)
    z = ember.normal(10.0, ember.full((N,), 3.0)).numpy()
    assert _within(z.mean(), 10.0, 3.0)


def test_normal_is_differentiable_in_mean_and_std():
    mean = ember.zeros(5, dtype=ember.float64, requires_grad=True)
    std = ember.full((5,), 2.0, dtype=ember.float64, requires_grad=True)
    out = ember.normal(mean, std)
    g_mean, g_std = grad(out.sum(), [mean, std])
    assert g_mean.tolist() == [1.0] * 5
    np.testing.assert_allclose(g_std.numpy(), out.detach().numpy() / 2.0)


def test_in_place_samplers_moments():
    x = ember.empty(N, dtype=ember.float64)
    u = x.uniform_(-2.0, 4.0).numpy().copy()
    assert u.min() >= -2 and u.max() < 4 and _within(u.mean(), 1.0, 6 / math.sqrt(12))
    n = x.normal_(3.0, 0.5).numpy().copy()
    assert _within(n.mean(), 3.0, 0.5)
    e = x.exponential_(4.0).numpy().copy()
    assert e.min() >= 0 and _within(e.mean(), 0.25, 0.25)
    c = x.cauchy_(2.0, 1.0).numpy().copy()
    assert abs(np.median(c) - 2.0) < 0.02  # the median's standard error is pi/(2 sqrt(N))
    ln = x.log_normal_(1.0, 0.5).numpy().copy()
    assert ln.min() > 0 and abs(np.median(np.log(ln)) - 1.0) < 0.01
    geo = x.geometric_(0.25).numpy().copy()
    assert geo.min() == 1 and _within(geo.mean(), 4.0, math.sqrt(0.75) / 0.25)
    b = x.bernoulli_(0.3).numpy().copy()
    assert set(np.unique(b)) <= {0.0, 1.0} and _within(b.mean(), 0.3, math.sqrt(0.21))


def test_random_ranges():
    x = ember.empty(N)
    assert x.random_(5).numpy().max() == 4 and x.numpy().min() == 0
    values = x.random_(3, 5).numpy()
    assert set(np.unique(values)) == {3.0, 4.0}
    assert x.random_(-5, 0).numpy().max() == -1
    top = x.random_().numpy()
    assert top.max() <= 2**24 and top.max() > 2**23  # float32: [0, 2**mantissa]
    i8 = ember.empty(N, dtype=ember.int8).random_().numpy()
    assert i8.min() >= 0 and i8.max() == 127
    bools = ember.empty(100, dtype=ember.bool).random_().numpy()
    assert set(np.unique(bools)) == {False, True}


def test_bernoulli_probabilities():
    p = ember.tensor([0.0, 0.25, 1.0], dtype=ember.float64).expand(N, 3)
    b = ember.bernoulli(p)
    assert b.dtype == ember.float64 and b.shape == (N, 3)
    means = b.numpy().mean(axis=0)
    assert means[0] == 0.0 and means[2] == 1.0 and _within(means[1], 0.25, math.sqrt(3 / 16))
    half = ember.bernoulli(ember.zeros(N), 0.5).numpy()
    assert _within(half.mean(), 0.5, 0.5)
    ints = ember.zeros(4, dtype=ember.int64).bernoulli_(ember.tensor([0.0, 1.0, 0.0, 1.0]))
    assert ints.tolist() == [0, 1, 0, 1]


def test_multinomial_with_replacement_follows_the_weights():
    weights = ember.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]])
    draws = ember.multinomial(weights, N, replacement=True)
    assert draws.shape == (2, N) and draws.dtype == ember.int64
    for row, probs in zip(draws.numpy(), ([0.25, 0.0, 0.75], [0.0, 0.5, 0.5])):
        counts = np.bincount(row, minlength=3) / N
        for c, p in zip(counts, probs):
            assert c == 0.0 if p == 0 else _within(c, p, math.sqrt(p * (1 - p)))


def test_multinomial_without_replacement():
    w = ember.tensor([5.0, 1.0, 0.0, 2.0, 2.0])
    rows = ember.multinomial(w.expand(2000, 5), 4).numpy()
    for row in rows:
        assert len(set(row.tolist())) == 4 and 2 not in row  # no repeats, zero weight unused
    first = np.bincount(rows[:, 0], minlength=5) / len(rows)
    assert _within(first[0], 0.5, 0.5, n=len(rows))  # the first draw is weight-proportional
    # once the positive weights are exhausted, zero-weight categories fill in (as PyTorch)
    assert sorted(ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 2).tolist())[0] == 0


def test_poisson_mean():
    rates = ember.full((N,), 3.5, dtype=ember.float64)
    k = ember.poisson(rates)
    assert k.dtype == ember.float64 and _within(k.numpy().mean(), 3.5, math.sqrt(3.5))


# ---- autograd rules of the in-place samplers ---------------------------------------------------


def test_in_place_sampling_a_leaf_that_requires_grad():
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"uniform_: a leaf Variable that requires grad"):
        w.uniform_()
    with ember.no_grad():  # what nn.init does
        version = w._version
        assert w.normal_() is w
    assert w._version == version + 1 and w.requires_grad and w.is_leaf and w.abs().sum() > 0


def test_in_place_sampling_a_non_leaf_cuts_its_history():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    y.uniform_()
    (g,) = grad((y * y).sum(), [x], allow_unused=True)
    assert g is None or not g.numpy().any()


# ---- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: ember.rand(2, dtype=ember.int64),
            NotImplementedError,
            r"rand: not implemented "
            r"for ember.int64",
        ),
        (lambda: ember.randn(-1), RuntimeError, r"negative dimension -1"),
        (lambda: ember.randint(5, 3, (3,)), RuntimeError, r"expects 'from' to be less than 'to'"),
        (lambda: ember.randint(5, 3), TypeError, r"argument 'size' must be tuple of ints"),
        (
            lambda: ember.randint(0, 300, (2,), dtype=ember.uint8),
            RuntimeError,
            r"\[0, 300\) does not fit in ember.uint8",
        ),
        (lambda: ember.randperm(-1), RuntimeError, r"n must be non-negative"),
        (lambda: ember.normal(0.0, -1.0, size=(2,)), RuntimeError, r"std >= 0.0"),
        (
            lambda: ember.normal(ember.zeros(2), -ember.ones(2)),
            RuntimeError,
            r"all elements of std >= 0.0",
        ),
        (lambda: ember.normal(0.0, 1.0), TypeError, r"'size' is required"),
        (lambda: ember.bernoulli(ember.tensor([0.5, 2.0])), RuntimeError, r"p to be in \[0, 1\]"),
        (
            lambda: ember.bernoulli(ember.ones(2, dtype=ember.int64)),
            NotImplementedError,
            r"bernoulli: not implemented for ember.int64",
        ),
        (
            lambda: ember.multinomial(ember.tensor([1.0, 1.0, 0.0]), 4),
            RuntimeError,
            r"cannot sample n_sample > prob_dist.size\(-1\) samples without replacement",
        ),
        (lambda: ember.multinomial(ember.tensor([1.0, -1.0]), 1), RuntimeError, r"element < 0"),
        (lambda: ember.multinomial(ember.zeros(3), 1), RuntimeError, r"sum of probabilities"),
        (lambda: ember.multinomial(ember.ones(2, 2, 2), 1), RuntimeError, r"1 or 2 dim"),
        (lambda: ember.multinomial(ember.ones(3), 0), RuntimeError, r"n_sample <= 0"),
        (lambda: ember.poisson(ember.tensor([-1.0])), RuntimeError, r"non-negative"),
        (lambda: ember.zeros(2).uniform_(2, 1), RuntimeError, r"from=2 > to=1"),
        (
            lambda: ember.zeros(2, dtype=ember.int64).normal_(),
            NotImplementedError,
            r"normal_: not implemented for ember.int64",
        ),
        (lambda: ember.zeros(2).normal_(0, -1), RuntimeError, r"std >= 0.0"),
        (lambda: ember.zeros(2).exponential_(-1), RuntimeError, r"lambda > 0.0"),
        (
            lambda: ember.zeros(2, dtype=ember.int64).exponential_(),
            RuntimeError,
            r"dtype must be a floating point",
        ),
        (lambda: ember.zeros(2).geometric_(1.5), RuntimeError, r"p to be in \(0, 1\)"),
        (lambda: ember.zeros(2).log_normal_(1, 0), RuntimeError, r"std > 0.0"),
        (lambda: ember.zeros(2).bernoulli_(1.5), RuntimeError, r"p to be in \[0, 1\]"),
        (
            lambda: ember.zeros(2, dtype=ember.uint8).random_(300),
            RuntimeError,
            r"does not fit in ember.uint8",
        ),
        (lambda: ember.zeros(2).random_(5, 3), RuntimeError, r"from=5 >= to=3"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
