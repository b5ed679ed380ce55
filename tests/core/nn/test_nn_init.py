"""nn.init: gains and fans as literals, distributions checked by their statistics (sample
sizes chosen so the tolerances are several standard errors wide), orthogonality, shapes."""

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats

import ember
from ember import nn
from ember.nn import init
from ember.nn.init import _calculate_fan_in_and_fan_out


def values(t):
    return t.detach().numpy().astype(np.float64)


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(1234)


# -- gains and fans ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, param, expected",
    [
        ("linear", None, 1),
        ("conv1d", None, 1),
        ("conv2d", None, 1),
        ("conv3d", None, 1),
        ("conv_transpose2d", None, 1),
        ("sigmoid", None, 1),
        ("tanh", None, 5.0 / 3),
        ("relu", None, 1.4142135623730951),
        ("leaky_relu", None, 1.4141428569978354),  # default negative_slope 0.01
        ("leaky_relu", 0.2, 1.3867504905630728),
        ("leaky_relu", 1, 1.0),
        ("leaky_relu", math.sqrt(5), 0.5773502691896257),  # nn.Linear's default
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")


def test_fan_in_and_fan_out():
    assert _calculate_fan_in_and_fan_out(ember.empty(4, 3)) == (3, 4)
    assert _calculate_fan_in_and_fan_out(ember.empty(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        _calculate_fan_in_and_fan_out(ember.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(ember.empty(3, 3), mode="fan_avg")


# -- variance-scaling initialisations ---------------------------------------------------------


def test_kaiming_normal_std_500x500():
    w = init.kaiming_normal_(ember.empty(500, 500), nonlinearity="relu")
    v = values(w)
    # 250k samples: the sample std is within ~0.3% of the true one (3 standard errors)
    assert v.std() == pytest.approx(math.sqrt(2.0 / 500), rel=0.01)
    assert abs(v.mean()) < 4 * math.sqrt(2.0 / 500) / 500


def test_kaiming_uniform_bounds_and_fan_out():
    w = init.kaiming_uniform_(ember.empty(500, 500), a=math.sqrt(5))
    bound = 1.0 / math.sqrt(500)  # gain sqrt(2/6) * sqrt(3/500): nn.Linear's weight bound
    v = values(w)
    assert v.max() <= bound and v.min() >= -bound
    assert v.max() > 0.99 * bound and v.min() < -0.99 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    w = init.kaiming_normal_(ember.empty(200, 800), mode="fan_out", nonlinearity="relu")
    assert values(w).std() == pytest.approx(math.sqrt(2.0 / 200), rel=0.01)


def test_xavier_bounds_and_std():
    w = init.xavier_uniform_(ember.empty(300, 500), gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 800)
    v = values(w)
    assert v.max() <= bound and v.min() >= -bound and v.max() > 0.99 * bound
    w = init.xavier_normal_(ember.empty(64, 32, 3, 3))
    assert values(w).std() == pytest.approx(math.sqrt(2.0 / (32 * 9 + 64 * 9)), rel=0.01)


def test_kaiming_on_zero_element_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))


# -- orthogonal, sparse, eye, dirac -----------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 3, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(ember.empty(*shape), gain=2.0)
    m = values(w).reshape(shape[0], -1) / 2.0
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_is_not_biased_to_positive_diagonal():
    # the sign fix makes Q Haar-distributed: the diagonal's mean over draws is ~0
    diag = [np.diag(values(init.orthogonal_(ember.empty(4, 4)))) for _ in range(200)]
    assert abs(np.mean(diag)) < 0.1


def test_sparse_zero_count_per_column():
    w = init.sparse_(ember.empty(100, 300), sparsity=0.25, std=0.5)
    v = values(w)
    np.testing.assert_array_equal((v == 0).sum(axis=0), np.full(300, 25))
    assert v[v != 0].std() == pytest.approx(0.5, rel=0.03)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.sparse_(ember.empty(3), 0.5)


def test_eye_and_constants():
    np.testing.assert_array_equal(values(init.eye_(ember.empty(2, 3))), np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ember.empty(2, 2, 2))
    np.testing.assert_array_equal(values(init.constant_(ember.empty(2), 0.5)), [0.5, 0.5])
    np.testing.assert_array_equal(values(init.ones_(ember.empty(2))), [1.0, 1.0])
    np.testing.assert_array_equal(values(init.zeros_(ember.ones(2))), [0.0, 0.0])


def test_dirac_positions():
    w = init.dirac_(ember.empty(4, 2, 3, 3), groups=2)
    # out channel g*2 + d copies input channel d at the kernel centre, for g in 0..1, d in 0..1
    assert np.argwhere(values(w)).tolist() == [
        [0, 0, 1, 1],
        [1, 1, 1, 1],
        [2, 0, 1, 1],
        [3, 1, 1, 1],
    ]
    assert values(w).sum() == 4
    w = init.dirac_(ember.empty(3, 5, 4))  # more inputs than outputs: min(out, in) deltas
    assert np.argwhere(values(w)).tolist() == [[0, 0, 2], [1, 1, 2], [2, 2, 2]]
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(ember.empty(3, 1, 3), groups=2)
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(ember.empty(3, 3))


# -- plain distributions ----------------------------------------------------------------------


def test_uniform_and_normal_statistics():
    u = values(init.uniform_(ember.empty(100_000), -1.0, 3.0))
    assert u.min() >= -1.0 and u.max() < 3.0
    assert u.mean() == pytest.approx(1.0, abs=0.02) and u.var() == pytest.approx(16 / 12, rel=0.02)
    n = values(init.normal_(ember.empty(100_000), mean=2.0, std=0.5))
    assert n.mean() == pytest.approx(2.0, abs=0.01) and n.std() == pytest.approx(0.5, rel=0.01)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        init.normal_(ember.empty(2), std=-1.0)


def test_trunc_normal_bounds_and_moments():
    mean, std, a, b = 1.0, 2.0, -1.0, 2.0
    v = values(init.trunc_normal_(ember.empty(200_000), mean, std, a, b))
    assert v.min() >= a and v.max() <= b
    ref = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert v.mean() == pytest.approx(ref.mean(), abs=0.01)
    assert v.std() == pytest.approx(ref.std(), rel=0.01)
    # a Kolmogorov-Smirnov distance well under the 1e-3 significance bound for 200k draws
    assert scipy.stats.kstest(v, ref.cdf).statistic < 0.005


def test_trunc_normal_default_and_far_mean_warning():
    v = values(init.trunc_normal_(ember.empty(10_000)))
    assert v.min() >= -2.0 and v.max() <= 2.0
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ember.empty(10), mean=10.0, std=1.0)


def test_norm_ppf_matches_scipy():
    from ember.nn.init import _norm_ppf

    p = np.concatenate([np.logspace(-300, -1, 200), np.linspace(0.01, 0.99, 199)])
    p = np.concatenate([p, 1 - p[:250]])
    np.testing.assert_allclose(_norm_ppf(p), scipy.special.ndtri(p), rtol=2e-9, atol=1e-12)


# -- in-place contract ------------------------------------------------------------------------


def test_in_place_on_parameter_keeps_identity_dtype_and_bumps_version():
    p = nn.Parameter(ember.zeros(3, 4, dtype=ember.float64))
    before = p._version
    out = init.xavier_uniform_(p)
    assert out is p and p.dtype == ember.float64 and p.requires_grad and p.grad_fn is None
    assert p._version == before + 1
    half = init.normal_(ember.empty(10, dtype=ember.float16))
    assert half.dtype == ember.float16


def test_generator_makes_draws_reproducible():
    g1 = ember.Generator().manual_seed(7)
    g2 = ember.Generator().manual_seed(7)
    a = values(init.kaiming_uniform_(ember.empty(8, 8), generator=g1))
    b = values(init.kaiming_uniform_(ember.empty(8, 8), generator=g2))
    c = values(init.kaiming_uniform_(ember.empty(8, 8), generator=g1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    ember.manual_seed(3)
    d = values(init.normal_(ember.empty(5)))
    ember.manual_seed(3)
    np.testing.assert_array_equal(d, values(init.normal_(ember.empty(5))))


def test_initialisers_on_device(device):
    w = init.kaiming_uniform_(ember.empty(64, 32, device=device), a=math.sqrt(5))
    assert w.device.type == device
    assert np.abs(values(w.cpu())).max() <= 1 / math.sqrt(32)
    q = values(init.orthogonal_(ember.empty(4, 6, device=device)).cpu())
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    t = values(init.trunc_normal_(ember.empty(1000, device=device), a=-0.5, b=0.5).cpu())
    assert t.min() >= -0.5 and t.max() <= 0.5
    s = values(init.sparse_(ember.empty(10, 4, device=device), 0.3).cpu())
    np.testing.assert_array_equal((s == 0).sum(axis=0), [3, 3, 3, 3])
    d = values(init.dirac_(ember.empty(2, 2, 3, device=device)).cpu())
    assert np.argwhere(d).tolist() == [[0, 0, 1], [1, 1, 1]]
