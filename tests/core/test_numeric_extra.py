"""Behaviour of ember.ops.numeric_extra / view_extra beyond the op table: dtypes, named tuples,
shared memory, in-place semantics, randomness and error messages (PyTorch 2.13's, checked
against the reference build). The op table entries of opdb_extra.py are run here too until
test_ops.py lists them."""

import numpy as np
import pytest
import test_ops
from opdb_extra import OPS

import ember
from ember.autograd import gradcheck

_LISTED = "extra" in test_ops.MODULES
_OPS = [] if _LISTED else OPS
_GRAD = [op for op in _OPS if op.grad]


@pytest.mark.parametrize("op", _OPS, ids=[op.name for op in _OPS])
def test_table_forward(op):
    test_ops.test_forward_matches_numpy(op, "cpu")


@pytest.mark.parametrize("op", _GRAD, ids=[op.name for op in _GRAD])
def test_table_gradcheck(op):
    test_ops.test_gradcheck(op, "cpu")


@pytest.mark.parametrize("op", [o for o in _GRAD if o.gradgrad],
                         ids=[o.name for o in _GRAD if o.gradgrad])
def test_table_gradgradcheck(op):
    test_ops.test_gradgradcheck(op, "cpu")


@pytest.mark.parametrize("op", [o for o in _OPS if o.errors],
                         ids=[o.name for o in _OPS if o.errors])
def test_table_errors(op):
    test_ops.test_error_inputs(op, "cpu")


t = ember.tensor


def test_dtype_results():
    assert ember.ldexp(t([1, 2]), t([3, 4])).tolist() == [8.0, 32.0]
    assert ember.ldexp(t([1, 2]), t([3, 4])).dtype == ember.float32
    assert ember.trapezoid(t([1, 2, 3])).dtype == ember.float32
    assert ember.gradient(t([1, 2, 4, 8]))[0].tolist() == [1.0, 1.5, 3.0, 4.0]
    assert ember.diff(t([True, False, False])).tolist() == [True, False]
    assert ember.vander(t([1, 2, 3], dtype=ember.int32)).dtype == ember.int64
    assert ember.vander(t([1.0, 2.0]), N=0).shape == (2, 0)
    assert ember.gcd(t([4, 6]), t([6, 9], dtype=ember.int32)).dtype == ember.int64
    m, e = ember.frexp(t([1.5, 8.0]))
    assert m.tolist() == [0.75, 0.5] and e.tolist() == [1, 4] and e.dtype == ember.int32
    assert ember.combinations(t([1, 2, 3]), 0).shape == (0,)
    assert ember.combinations(t([1, 2, 3]), 4).shape == (0, 4)


def test_named_tuples_and_histograms():
    h = ember.histogram(t([1.0, 2.0, 1.0]), bins=3, range=(0.0, 3.0), density=True)
    assert type(h).__name__ == "histogram"
    np.testing.assert_allclose(h.hist.numpy(), [0.0, 2 / 3, 1 / 3], rtol=1e-6)
    assert h.bin_edges.tolist() == [0.0, 1.0, 2.0, 3.0]
    const = ember.histogram(t([2.0, 2.0]), 2)  # constant data: range widened by 0.5
    assert const.bin_edges.tolist() == [1.5, 2.0, 2.5]
    dd = ember.histogramdd(t([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0]]), bins=[2, 2])
    assert dd.hist.tolist() == [[0.0, 1.0], [2.0, 0.0]]
    assert [e.tolist() for e in dd.bin_edges] == [[0.0, 1.0, 2.0], [0.0, 0.5, 1.0]]
    w = ember.histogram(t([0.5, 0.5, 2.5]), bins=t([0.0, 1.0, 3.0]), weight=t([1.0, 2.0, 4.0]))
    assert w.hist.tolist() == [3.0, 4.0]


def test_isin_unravel_index():
    assert ember.isin(t([1, 2, 3]), 2).tolist() == [False, True, False]
    assert ember.isin(3, t([1, 2, 3])).item() is True
    assert ember.isin(t([1, 2]), t([2]), invert=True).tolist() == [True, False]
    rows, cols = ember.unravel_index(t([4, 1, -1, 7]), (2, 3))  # PyTorch wraps
    assert rows.tolist() == [1, 0, 1, 0] and cols.tolist() == [1, 1, 2, 1]
    r, c = ember.unravel_index(t(5), (2, 3))
    assert r.shape == () and (r.item(), c.item()) == (1, 2)
    with pytest.raises(TypeError, match="expected 'indices' to be integer dtype"):
        ember.unravel_index(t([1.0]), (2, 3))


def test_igamma_edges_and_no_grad_for_a():
    out = ember.igamma(t([0.0, 1, -1, 1, float("inf")]), t([1.0, 0, 1, float("inf"), 1]))
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0, np.nan, 1.0, 0.0])
    np.testing.assert_allclose(ember.igamma(t([1.0]), t([2.0])).numpy(), [1 - np.exp(-2.0)],
                               rtol=1e-6)
    a = t([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input'"):
        ember.igamma(a, t([3.0, 4.0])).sum().backward()
    with pytest.raises(NotImplementedError, match='"igamma_cpu" not implemented'):
        ember.igamma(t([1, 2]), t([3, 4]))
    with pytest.raises(NotImplementedError, match='"gcd_cpu" not implemented'):
        ember.gcd(t([1.0]), t([3.0]))
    x = t([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'nextafter'"):
        ember.nextafter(x, t([2.0])).sum().backward()


def test_mvlgamma_and_cov_errors():
    with pytest.raises(RuntimeError, match=r"All elements must be greater than \(p-1\)/2"):
        ember.mvlgamma(t([0.1]), 3)
    with pytest.raises(RuntimeError, match="expected input to have two or fewer dimensions"):
        ember.cov(ember.ones(2, 2, 2))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        ember.cov(t([[1.0], [2.0]]))
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin"):
        ember.index_reduce(ember.ones(3), 0, t([0]), t([2.0]), "sum")


def test_index_reduce():
    x = t([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    src = t([[2.0, 10.0], [7.0, -1.0], [4.0, 0.5]])
    idx = t([0, 2, 0])
    out = ember.index_reduce(x, 0, idx, src, "amax")
    assert out.tolist() == [[4.0, 10.0], [3.0, 4.0], [7.0, 6.0]]
    out = x.index_reduce(0, idx, src, "prod", include_self=False)
    assert out.tolist() == [[8.0, 5.0], [3.0, 4.0], [7.0, -1.0]]
    out = ember.index_reduce(x, 0, idx, src, "mean")  # self counts as one element
    np.testing.assert_allclose(out.numpy(), [[7 / 3, 12.5 / 3], [3, 4], [6, 2.5]], rtol=1e-6)
    y = x.clone()
    y.index_reduce_(1, t([1, 1]), ember.ones(3, 2) * 3, "amin")
    assert y[:, 1].tolist() == [2.0, 3.0, 3.0]
    xs = ember.tensor(np.random.default_rng(0).standard_normal((3, 2)), dtype=ember.float64,
                      requires_grad=True)
    ss = ember.tensor(np.random.default_rng(1).standard_normal((3, 2)), dtype=ember.float64,
                      requires_grad=True)
    assert gradcheck(lambda a, b: ember.index_reduce(a, 0, idx, b, "prod"), (xs, ss))


def test_binomial_generator_and_errors():
    count, prob = t([10.0, 20.0, 0.0]), t([0.3, 1.0, 0.5])
    a = ember.binomial(count, prob, generator=ember.Generator().manual_seed(3))
    b = ember.binomial(count, prob, generator=ember.Generator().manual_seed(3))
    assert a.tolist() == b.tolist() and a.dtype == ember.float32
    assert a[1].item() == 20.0 and a[2].item() == 0.0 and 0 <= a[0].item() <= 10
    big = ember.binomial(ember.full((20000,), 10.0), ember.full((20000,), 0.3))
    assert abs(big.mean().item() - 3.0) < 0.05  # mean n p, std of the mean ~0.01
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes"):
        ember.binomial(t([5, 5]), t([0.5, 0.5]))
    with pytest.raises(RuntimeError, match="Found dtype float64 but expected float32"):
        ember.binomial(t([5.0]), t([0.5], dtype=ember.float64))


def test_float_power_and_arctan2_inplace():
    x = t([1.0, 2.0], dtype=ember.float64)
    assert x.float_power_(3).tolist() == [1.0, 8.0]
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype float32"):
        t([1.0, 2.0]).float_power_(2)
    y = t([1.0, -1.0])
    y.arctan2_(t([1.0, 1.0]))
    np.testing.assert_allclose(y.numpy(), [np.pi / 4, -np.pi / 4], rtol=1e-6)
    g = t([12, 18])
    g.gcd_(t([8, 4]))
    assert g.tolist() == [4, 2]
    z = t([[3.0, 4.0], [0.3, 0.4]])
    z.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(z.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)


def test_views_share_memory():
    z = t([1 + 2j, 3 - 1j])
    r = ember.view_as_real(z)
    r[0, 0] = 9.0
    assert z.tolist()[0] == 9 + 2j
    c = ember.view_as_complex(r)
    c[1] = 5j
    assert r[1].tolist() == [0.0, 5.0]
    x = ember.arange(10.0)
    w = x.unfold(0, 3, 2)
    assert w.shape == (4, 3) and w[1].tolist() == [2.0, 3.0, 4.0]
    x[2] = -1.0
    assert w[0, 2].item() == -1.0 and w[1, 0].item() == -1.0
    s = x.as_strided((2, 2), (1, 1), 1)
    x[1] = 42.0
    assert s[0, 0].item() == 42.0
    with pytest.raises(RuntimeError, match="Tensor must have a last dimension of size 2"):
        ember.view_as_complex(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="last dimension with stride 1"):
        ember.view_as_complex(ember.ones(2, 3).t())
    with pytest.raises(RuntimeError, match="view_as_real is only supported for complex"):
        ember.view_as_real(ember.ones(2))


def test_complex_view_gradients():
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 2)), dtype=ember.float64,
                     requires_grad=True)
    assert gradcheck(lambda a: ember.view_as_real(ember.view_as_complex(a) * (1 + 2j)), (x,))


def test_inplace_shape_methods():
    x = ember.arange(6.0).reshape(2, 3)
    v = x._version
    assert x.t_() is x and x.shape == (3, 2) and x._version == v + 1
    assert x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    x.transpose_(0, 1).unsqueeze_(0)
    assert x.shape == (1, 2, 3)
    x.squeeze_(0).swapaxes_(0, 1).swapdims_(1, 0)
    assert x.shape == (2, 3)
    leaf = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.t_()
    y = leaf * 2
    y.t_()
    y.sum().backward()
    assert leaf.grad.shape == (2, 3) and leaf.grad.tolist() == [[2.0] * 3] * 2


def test_resize_sum_to_size_fill_diagonal():
    b = ember.arange(6.0)
    assert b.resize_(2, 2).tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert b.resize_as_(ember.ones(4)).shape == (4,)
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ember.ones(2, requires_grad=True).resize_(3)
    assert ember.ones(2, 3).sum_to_size(1, 3).tolist() == [[2.0, 2.0, 2.0]]
    assert ember.ones(2, 3).sum_to_size(3).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match=r"size \{\[3, 3\]\} is not expandable to size"):
        ember.ones(2, 3).sum_to_size(3, 3)
    tall = ember.zeros(7, 3).fill_diagonal_(5, wrap=True)
    expect = np.zeros((7, 3))
    np.fill_diagonal(expect, 5, wrap=True)
    np.testing.assert_array_equal(tall.numpy(), expect)
    cube = ember.zeros(3, 3, 3).fill_diagonal_(1)
    assert cube.sum().item() == 3 and cube[2, 2, 2].item() == 1
    with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
        ember.zeros(3, 4, 5).fill_diagonal_(1)
    a = ember.tensor(np.ones((3, 3)), dtype=ember.float64, requires_grad=True)
    out = (a * 2).fill_diagonal_(0.0)
    out.sum().backward()
    assert a.grad.tolist() == [[0, 2, 2], [2, 0, 2], [2, 2, 0]]


def test_predicates_and_misc():
    assert t([1]).is_signed() and not t([1], dtype=ember.uint8).is_signed()
    assert t([1.0]).is_same_size(t([2.0])) and not t([1.0]).is_same_size(t([[2.0]]))
    assert not t([0.0]).is_nonzero() and t(3).is_nonzero()
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        t([0.0, 1.0]).is_nonzero()
    x = t([1 + 1j])
    assert not x.is_conj() and not x.is_neg() and x.resolve_conj() is x
    assert x.conj_physical().tolist() == [1 - 1j]
    x.conj_physical_()
    assert x.tolist() == [1 - 1j]
    assert t([1.0]).get_device() == -1 and not t([1.0]).is_inference()
    c = t([1.0, 2.0])
    c.apply_(lambda v: v * 10).map_(t([1.0, 1.0]), lambda p, q: p + q)
    c.map2_(t([1.0]), t([2.0, 3.0]), lambda p, q, r: p * q + r)
    assert c.tolist() == [13.0, 24.0]
    e = ember.ones(1).new_empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2)
    assert ember.narrow_copy(ember.arange(5), 0, 1, 2).tolist() == [1, 2]
    assert [p.tolist() for p in ember.unsafe_chunk(ember.arange(4), 2)] == [[0, 1], [2, 3]]
    assert len(ember.unsafe_split(ember.arange(5), 2)) == 3
    assert [p.shape[0] for p in ember.unsafe_split_with_sizes(ember.arange(5), [4, 1])] == [4, 1]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly"):
        ember.split_with_sizes(ember.arange(5), [1, 1])


def test_scatter_errors():
    with pytest.raises(RuntimeError, match="expected src to have a size equal to the slice"):
        ember.slice_scatter(ember.zeros(4), ember.ones(3), start=2)
    with pytest.raises(IndexError, match="out of range"):
        ember.select_scatter(ember.zeros(2, 2), ember.ones(2), 0, 5)
