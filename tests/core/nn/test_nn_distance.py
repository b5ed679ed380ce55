"""Distances and similarities: PairwiseDistance, CosineSimilarity and F.pairwise_distance,
F.cosine_similarity, F.normalize, F.pdist, F.cdist, against NumPy/SciPy formulas, with
gradcheck in float64 and zero (not NaN) gradients at coincident points."""

import numpy as np
import pytest
import scipy.spatial.distance as ssd

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck


def arr(t):
    return t.detach().numpy(force=True)


def t64(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def p_norm(v, p, axis=-1, keepdims=False):
    if p == np.inf:
        return np.abs(v).max(axis=axis, keepdims=keepdims)
    return (np.abs(v) ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_formula(p, keepdim, rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    out = nn.PairwiseDistance(p=p, keepdim=keepdim)(t64(a), t64(b))
    # eps is added to the difference, as in PyTorch
    np.testing.assert_allclose(arr(out), p_norm(a - b + 1e-6, p, keepdims=keepdim), rtol=1e-12)


def test_pairwise_distance_shapes_broadcast_and_gradcheck(rng):
    a = rng.standard_normal(3)
    assert F.pairwise_distance(t64(a), t64(a)).shape == ()
    row = rng.standard_normal((1, 3))
    many = rng.standard_normal((5, 3))
    np.testing.assert_allclose(arr(F.pairwise_distance(t64(row), t64(many))),
                               p_norm(row - many + 1e-6, 2), rtol=1e-12)
    x1, x2 = t64(rng.standard_normal((3, 2)), True), t64(rng.standard_normal((3, 2)), True)
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, p=3.0), (x1, x2))
    assert gradgradcheck(lambda a, b: F.pairwise_distance(a, b), (x1, x2))
    m = nn.PairwiseDistance(p=1.0)
    assert m.norm == 1.0 and list(m.state_dict()) == [] and repr(m) == "PairwiseDistance()"


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity_matches_formula(dim, rng):
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    out = nn.CosineSimilarity(dim=dim)(t64(a), t64(b))
    expected = (a * b).sum(dim) / (np.linalg.norm(a, axis=dim) * np.linalg.norm(b, axis=dim))
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12)
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()"


def test_cosine_similarity_broadcast_zero_vectors_and_gradcheck(rng):
    a = rng.standard_normal((1, 3))
    b = rng.standard_normal((4, 3))
    expected = (a * b).sum(1) / (np.linalg.norm(a) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(arr(F.cosine_similarity(t64(a), t64(b))), expected, rtol=1e-12)
    # a zero vector: its norm is clamped to eps, so the similarity is 0, not NaN
    zero = F.cosine_similarity(t64(np.zeros((1, 3))), t64(b))
    np.testing.assert_array_equal(arr(zero), np.zeros(4))
    np.testing.assert_allclose(
        arr(F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))),
        [np.sqrt(0.5)], rtol=1e-6,
    )
    x1, x2 = t64(rng.standard_normal((2, 3)), True), t64(rng.standard_normal((2, 3)), True)
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b), (x1, x2))
    assert gradgradcheck(lambda a, b: F.cosine_similarity(a, b, dim=0), (x1, x2))
    with pytest.raises(RuntimeError, match=r"cosine_similarity: x1 of shape \(2, 3\) and x2 of "
                                           r"shape \(2, 4\) do not broadcast"):
        F.cosine_similarity(ember.ones(2, 3), ember.ones(2, 4))
    with pytest.raises(RuntimeError, match=r"pairwise_distance: x1 of shape \(2, 3\)"):
        F.pairwise_distance(ember.ones(2, 3), ember.ones(2, 4))


@pytest.mark.parametrize("p, dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize_matches_formula(p, dim, rng):
    x = rng.standard_normal((3, 4))
    expected = x / p_norm(x, p, axis=dim, keepdims=True)
    np.testing.assert_allclose(arr(F.normalize(t64(x), p=p, dim=dim)), expected, rtol=1e-12)


def test_normalize_zero_vector_out_and_gradcheck(rng):
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(arr(F.normalize(t64(x))), [[0.0, 0.0], [0.6, 0.8]])
    out = ember.empty(2, 2, dtype=ember.float64)
    assert F.normalize(t64(x), out=out) is out
    np.testing.assert_allclose(arr(out), [[0.0, 0.0], [0.6, 0.8]])
    xs = t64(rng.standard_normal((2, 3)), True)
    assert gradcheck(lambda x: F.normalize(x, dim=1), (xs,))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, np.inf])
def test_pdist_matches_scipy(p, rng):
    x = rng.standard_normal((5, 3))
    metric = "chebyshev" if p == np.inf else "minkowski"
    kwargs = {} if p == np.inf else {"p": p}
    np.testing.assert_allclose(arr(F.pdist(t64(x), p)), ssd.pdist(x, metric, **kwargs),
                               rtol=1e-12)


def test_pdist_literal_gradcheck_and_errors(rng):
    x = ember.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    np.testing.assert_allclose(arr(F.pdist(x)), [5.0, 1.0, np.sqrt(18.0)], rtol=1e-6)
    xs = t64(rng.standard_normal((4, 2)), True)
    assert gradcheck(lambda x: F.pdist(x), (xs,))
    dup = t64([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]], True)
    F.pdist(dup).sum().backward()  # coincident rows: zero, not NaN, from their pair
    assert np.isfinite(arr(dup.grad)).all()
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(ember.ones(2, 3, 4))


@pytest.mark.parametrize("rows, mode", [(4, "use_mm_for_euclid_dist_if_necessary"),
                                        (30, "use_mm_for_euclid_dist_if_necessary"),
                                        (4, "use_mm_for_euclid_dist"),
                                        (30, "donot_use_mm_for_euclid_dist")])
def test_cdist_euclidean_paths_match_scipy(rows, mode, rng):
    a, b = rng.standard_normal((rows, 3)), rng.standard_normal((6, 3))
    out = F.cdist(t64(a), t64(b), compute_mode=mode)
    np.testing.assert_allclose(arr(out), ssd.cdist(a, b), rtol=1e-10)


def test_cdist_p_norms_batches_gradcheck_and_errors(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    out = F.cdist(t64(a), t64(b), p=1.0)
    assert out.shape == (2, 3, 5)
    for k in range(2):
        np.testing.assert_allclose(arr(out)[k], ssd.cdist(a[k], b[k], "cityblock"), rtol=1e-12)
    x1, x2 = t64(rng.standard_normal((3, 2)), True), t64(rng.standard_normal((2, 2)), True)
    assert gradcheck(lambda a, b: F.cdist(a, b), (x1, x2))
    assert gradcheck(lambda a, b: F.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
                     (x1, x2))
    with pytest.raises(RuntimeError, match="X1 and X2 must have the same number of columns"):
        F.cdist(ember.ones(2, 3), ember.ones(2, 4))


def test_distances_on_device(device, rng):
    a = ember.tensor(rng.standard_normal((3, 4)).astype(np.float32), device=device)
    b = ember.tensor(rng.standard_normal((3, 4)).astype(np.float32), device=device)
    for out in (F.cosine_similarity(a, b), F.pairwise_distance(a, b), F.pdist(a),
                F.cdist(a, b), F.normalize(a)):
        assert out.device.type == device and np.isfinite(arr(out)).all()
