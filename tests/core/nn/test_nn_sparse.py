"""Embedding and EmbeddingBag (and F.embedding / F.embedding_bag): lookups against NumPy
indexing, bag reductions against a per-bag NumPy reference, gradients as literal
scatter-adds (repeated indices accumulate, padding rows get none), max_norm renormalisation,
gradcheck/gradgradcheck in float64, state_dict keys, repr and errors."""

import numpy as np
import pytest

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


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)


# -- Embedding --------------------------------------------------------------------------------


@pytest.mark.parametrize("index_shape", [(), (5,), (2, 3), (2, 0)])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_embedding_lookup_matches_numpy_indexing(index_shape, index_dtype, rng):
    emb = nn.Embedding(7, 3)
    idx = rng.integers(0, 7, index_shape).astype(index_dtype)
    out = emb(ember.tensor(idx))
    assert out.shape == index_shape + (3,)
    np.testing.assert_array_equal(arr(out), arr(emb.weight)[idx])


def test_embedding_default_init_is_standard_normal_with_zero_padding_row():
    emb = nn.Embedding(400, 50, padding_idx=3)
    w = arr(emb.weight).astype(np.float64)
    np.testing.assert_array_equal(w[3], np.zeros(50))
    rest = np.delete(w, 3, axis=0)
    # 19950 draws: standard errors 0.007 (mean) and 0.005 (std)
    assert abs(rest.mean()) < 0.04 and abs(rest.std() - 1) < 0.03
    assert emb.weight.dtype == ember.float32 and emb.weight.requires_grad


def test_embedding_gradient_accumulates_repeated_indices_and_skips_padding():
    emb = nn.Embedding(5, 2, padding_idx=1)
    idx = ember.tensor([[0, 2, 0], [1, 2, 0]])
    g = np.arange(12.0, dtype=np.float32).reshape(2, 3, 2)
    (emb(idx) * ember.tensor(g)).sum().backward()
    expected = np.zeros((5, 2), np.float32)
    expected[0] = g[0, 0] + g[0, 2] + g[1, 2]  # three lookups of row 0 add up
    expected[2] = g[0, 1] + g[1, 1]
    # row 1 is padding_idx: looked up once, no gradient
    np.testing.assert_array_equal(arr(emb.weight.grad), expected)


def test_embedding_scale_grad_by_freq_divides_by_the_count():
    w = t64(np.ones((4, 2)), True)
    F.embedding(ember.tensor([3, 3, 3, 0]), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(arr(w.grad), [[1, 1], [0, 0], [0, 0], [1, 1]])


def test_embedding_gradcheck_and_gradgradcheck(rng):
    w = t64(rng.standard_normal((5, 2)), True)
    idx = ember.tensor([[4, 0, 4], [2, 2, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))
    assert gradcheck(lambda w: F.embedding(idx, w, scale_grad_by_freq=True) * 1.0, (w,),
                     raise_exception=False) is False  # the scaled gradient is not the true one


def test_embedding_max_norm_renormalises_looked_up_rows_in_place(rng):
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 1.0]])
    w = t64(table)
    version = w._version
    out = F.embedding(ember.tensor([0, 1, 0]), w, max_norm=2.0)
    expected = table.copy()
    expected[0] *= 2.0 / (5.0 + 1e-7)  # PyTorch's factor max_norm / (norm + 1e-7)
    np.testing.assert_allclose(arr(w), expected, rtol=1e-12)  # rows 2 and 3 not looked up
    np.testing.assert_allclose(arr(out), expected[[0, 1, 0]], rtol=1e-12)
    assert w._version > version
    w1 = t64(table)
    nn.Embedding.from_pretrained(w1, max_norm=1.0, norm_type=1.0)(ember.tensor([2]))
    np.testing.assert_allclose(arr(w1)[2], [6.0 / (14 + 1e-7), 8.0 / (14 + 1e-7)], rtol=1e-12)


def test_embedding_max_norm_module_keeps_gradients():
    emb = nn.Embedding(3, 2, max_norm=1.0)
    emb(ember.tensor([0, 1])).sum().backward()
    norms = np.linalg.norm(arr(emb.weight)[:2], axis=1)
    assert (norms <= 1.0 + 1e-6).all()
    np.testing.assert_array_equal(arr(emb.weight.grad), [[1, 1], [1, 1], [0, 0]])


def test_embedding_from_pretrained_shares_and_freezes():
    table = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table, padding_idx=0)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(arr(emb.weight)[0], [1.0, 2.0])  # padding row not zeroed
    table.mul_(2)
    np.testing.assert_array_equal(arr(emb(ember.tensor([1]))), [[6.0, 8.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(ember.zeros(3))


def test_embedding_state_dict_and_repr():
    emb = nn.Embedding(10, 4)
    assert list(emb.state_dict()) == ["weight"]
    assert tuple(emb.state_dict()["weight"].shape) == (10, 4)
    other = nn.Embedding(10, 4)
    other.load_state_dict(emb.state_dict())
    np.testing.assert_array_equal(arr(other.weight), arr(emb.weight))
    assert repr(emb) == "Embedding(10, 4)"
    assert repr(nn.Embedding(10, 4, padding_idx=-1, max_norm=1.0)) == (
        "Embedding(10, 4, padding_idx=9, max_norm=1.0)"
    )
    assert repr(nn.Embedding(10, 4, norm_type=3.0, scale_grad_by_freq=True, sparse=True)) == (
        "Embedding(10, 4, norm_type=3.0, scale_grad_by_freq=True, sparse=True)"
    )


def test_embedding_errors():
    emb = nn.Embedding(10, 4)
    with pytest.raises(IndexError, match=r"Embedding\(10, 4\): index 12 is out of range for "
                                         r"10 embeddings"):
        emb(ember.tensor([1, 12, 3]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        emb(ember.tensor([-1]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar "
                                           "types: Long, Int"):
        emb(ember.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(10, 4, padding_idx=10)
    with pytest.raises(AssertionError, match="Shape of weight does not match"):
        nn.Embedding(10, 4, _weight=ember.zeros(4, 10))


# -- EmbeddingBag -----------------------------------------------------------------------------


def ref_bags(table, idx, starts, ends, mode, psw=None, padding_idx=None):
    """One bag at a time, in plain NumPy."""
    out = []
    for s, e in zip(starts, ends):
        rows = [(table[i] * (1.0 if psw is None else psw[k]))
                for k, i in zip(range(s, e), idx[s:e]) if i != padding_idx]
        if not rows:
            out.append(np.zeros(table.shape[1]))
        elif mode == "sum":
            out.append(np.sum(rows, axis=0))
        elif mode == "mean":
            out.append(np.mean(rows, axis=0))
        else:
            out.append(np.max(rows, axis=0))
    return np.array(out)


IDX = np.array([1, 2, 4, 5, 4, 3, 2, 0, 9, 9])
OFFSETS = np.array([0, 2, 2, 5, 7])  # the second bag is empty


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_with_offsets_matches_reference(mode, padding_idx, rng):
    bag = nn.EmbeddingBag(10, 3, mode=mode, padding_idx=padding_idx).double()
    table = arr(bag.weight)
    out = bag(ember.tensor(IDX), ember.tensor(OFFSETS))
    ends = np.r_[OFFSETS[1:], len(IDX)]
    expected = ref_bags(table, IDX, OFFSETS, ends, mode, padding_idx=padding_idx)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input_is_fixed_size_bags(mode, rng):
    table = rng.standard_normal((10, 3))
    idx = IDX.reshape(2, 5)
    out = F.embedding_bag(ember.tensor(idx), t64(table), mode=mode)
    expected = ref_bags(table, IDX, [0, 5], [5, 10], mode)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12)


def test_embedding_bag_include_last_offset_and_per_sample_weights(rng):
    table = rng.standard_normal((10, 3))
    psw = rng.standard_normal(10)
    offsets = np.r_[OFFSETS, 10]
    out = F.embedding_bag(ember.tensor(IDX), t64(table), ember.tensor(offsets), mode="sum",
                          per_sample_weights=t64(psw), include_last_offset=True)
    expected = ref_bags(table, IDX, offsets[:-1], offsets[1:], "sum", psw=psw)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12)
    # with include_last_offset, indices after the last offset belong to no bag
    short = F.embedding_bag(ember.tensor(IDX), t64(table), ember.tensor([0, 2, 7]),
                            mode="sum", include_last_offset=True)
    np.testing.assert_allclose(arr(short), ref_bags(table, IDX, [0, 2], [2, 7], "sum"))


def test_embedding_bag_gradients(rng):
    w = t64(rng.standard_normal((10, 2)), True)
    psw = t64(rng.standard_normal(10), True)
    offsets = ember.tensor(OFFSETS)
    assert gradcheck(lambda w, p: F.embedding_bag(ember.tensor(IDX), w, offsets, mode="sum",
                                                  per_sample_weights=p), (w, psw))
    # padding entries are left out of the forward as well, so this gradient is the true one
    assert gradcheck(lambda w: F.embedding_bag(ember.tensor(IDX), w, offsets, mode="mean",
                                               padding_idx=4), (w,))
    assert gradcheck(lambda w: F.embedding_bag(ember.tensor(IDX), w, offsets), (w,))
    assert gradcheck(lambda w: F.embedding_bag(ember.tensor(IDX), w, offsets, mode="max"), (w,))
    assert gradgradcheck(
        lambda w, p: F.embedding_bag(ember.tensor(IDX), w, offsets, mode="sum",
                                     per_sample_weights=p) ** 2, (w, psw))


def test_embedding_bag_max_gradient_goes_to_the_maximum_row():
    table = t64([[1.0, 9.0], [5.0, 2.0], [3.0, 3.0]], True)
    out = F.embedding_bag(ember.tensor([[0, 1, 2]]), table, mode="max")
    np.testing.assert_array_equal(arr(out), [[5.0, 9.0]])
    out.sum().backward()
    np.testing.assert_array_equal(arr(table.grad), [[0, 1], [1, 0], [0, 0]])


def test_embedding_bag_mean_padding_gets_no_gradient_and_no_count():
    table = t64(np.arange(8.0).reshape(4, 2), True)
    out = F.embedding_bag(ember.tensor([[0, 3, 3]]), table, mode="mean", padding_idx=3)
    np.testing.assert_array_equal(arr(out), [[0.0, 1.0]])  # mean over the one real entry
    out.sum().backward()
    np.testing.assert_array_equal(arr(table.grad), [[1, 1], [0, 0], [0, 0], [0, 0]])


def test_embedding_bag_state_dict_repr_and_from_pretrained():
    bag = nn.EmbeddingBag(10, 4)
    assert list(bag.state_dict()) == ["weight"]
    assert repr(bag) == "EmbeddingBag(10, 4, mode='mean')"
    assert repr(nn.EmbeddingBag(10, 4, max_norm=2.0, mode="max", padding_idx=2)) == (
        "EmbeddingBag(10, 4, max_norm=2.0, mode='max', padding_idx=2)"
    )
    pre = nn.EmbeddingBag.from_pretrained(ember.eye(3), mode="sum")
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(arr(pre(ember.tensor([[0, 2]]))), [[1.0, 0.0, 1.0]])


def test_embedding_bag_errors():
    bag = nn.EmbeddingBag(10, 4)
    idx = ember.tensor(IDX)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        bag(idx)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        bag(idx.reshape(2, 5), ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):
        bag(idx, ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"offsets\[-1\] can not be greater than input's "
                                           r"length 10"):
        bag(idx, ember.tensor([0, 11]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        bag(idx, ember.tensor([0, 5]), per_sample_weights=ember.ones(10))
    with pytest.raises(ValueError, match="same shape as the input"):
        F.embedding_bag(idx, bag.weight, ember.tensor([0]), mode="sum",
                        per_sample_weights=ember.ones(3))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(idx, bag.weight, ember.tensor([0]), mode="median")
    with pytest.raises(IndexError, match=r"EmbeddingBag\(10, 4\): index 10 is out of range"):
        bag(ember.tensor([10]), ember.tensor([0]))


def test_embeddings_on_device(device, rng):
    emb = nn.Embedding(6, 3, padding_idx=0).to(device)
    idx = ember.tensor([[1, 0, 1]], device=device)
    emb(idx).sum().backward()
    np.testing.assert_array_equal(arr(emb.weight.grad)[:2], [[0, 0, 0], [2, 2, 2]])
    bag = nn.EmbeddingBag(6, 3, mode="max").to(device)
    out = bag(ember.tensor([1, 2, 5], device=device), ember.tensor([0, 1], device=device))
    np.testing.assert_allclose(arr(out), ref_bags(arr(bag.weight), [1, 2, 5], [0, 1], [1, 3],
                                                  "max"))
