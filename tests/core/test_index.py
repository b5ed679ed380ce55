"""Behaviour of ember.ops.index beyond the op table: views vs copies, PyTorch's indexing rules,
gradients of repeated indices and of ``x[key] = v``, in-place forms, named tuples, dtypes,
messages, and property tests of indexing against NumPy.

Literal expectations were read from PyTorch 2.x."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.autograd import grad
from ember.ops import index as index_mod
from ember.ops._util import broadcast_to


def T(a, **kw):
    """A tensor: Python data takes PyTorch's default dtypes (float32, int64), NumPy arrays
    keep theirs."""
    return ember.tensor(a, **kw)


def A(t):
    return t.detach().numpy()


# ---- views and copies ----------------------------------------------------------------------


def test_basic_indexing_is_a_view_sharing_memory_and_version():
    x = T(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    v = x[1:, ::2]
    assert v._base is x
    assert np.shares_memory(A(v), A(x))
    before = x._version
    x[0, 0] = 100.0  # writes through x: the view sees the new version
    assert v._version == x._version == before + 1
    A(x)[1, 0] = -5.0
    assert A(v)[0, 0] == -5.0
    w = v[0]
    assert w._base is x and np.shares_memory(A(w), A(x))
    v[1, 1] = 7.0  # a write through the view lands in x
    assert A(x)[2, 2] == 7.0


def test_zero_dim_integer_tensor_index_is_a_view_like_an_int():
    x = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    y = x[T(1)]
    assert y._base is x and y.shape == (3,)


def test_advanced_indexing_copies():
    x = T(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    for key in ([0, 2], T([0, 2]), (slice(None), [1, 1]), T(A(x) > 5), True):
        y = x[key]
        assert y._base is None
        assert not np.shares_memory(A(y), A(x))
    y = x[[0, 2]]
    x[0, 0] = 50.0
    assert A(y)[0, 0] == 0.0


# ---- PyTorch's rules where they differ from NumPy's -------------------------------------------


def test_ints_apply_before_index_arrays():
    y = ember.zeros(2, 3, 4)
    # NumPy puts the array dimension first in y[0, :, [1, 2]] (the int counts as an array)
    assert y[0, :, [1, 2]].shape == (3, 2)
    assert y[:, [0, 1], [1, 2]].shape == (2, 2)
    assert y[[0, 1], :, [1, 2]].shape == (2, 3)
    assert y[0, ..., [1, 2]].shape == (3, 2)
    assert y[[0], ..., 0].shape == (1, 3)
    assert y[:, [[0], [1]], [1, 2]].shape == (2, 2, 2)
    x = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    assert x[0, None, [0, 1]].shape == (1, 2)
    np.testing.assert_array_equal(A(x[1, [0, 2]]), [3.0, 5.0])
    ints = T(np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(A(ints[T([1]), T([[0], [2]])]), [[3], [5]])


def test_python_bools_and_zero_dim_masks_add_a_dimension():
    x = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    assert x[True].shape == (1, 2, 3)
    assert x[False].shape == (0, 2, 3)
    assert x[T(True)].shape == (1, 2, 3)
    assert x[1, True].shape == (1, 3)
    assert x[[0, 1], True].shape == (2, 3)
    assert x[None].shape == (1, 2, 3) and x[...].shape == (2, 3)


def test_a_list_holding_sequences_is_read_as_a_tuple():
    x = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(A(x[[[0, 1], [1, 0]]]), [1.0, 3.0])
    assert x[[[0, 1]]].shape == (2, 3)
    assert x[[]].shape == (0, 3)


def test_indexing_errors():
    x = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    with pytest.raises(IndexError, match=r"invalid index of a 0-dim tensor"):
        ember.tensor(5.0)[0]
    with pytest.raises(IndexError, match=r"index -3 is out of bounds for dimension 0 with size 2"):
        x[-3]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[:, ::-2]
    with pytest.raises(IndexError, match=r"single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match=r"mask \[2\] at index 0 does not match the shape of the "
                                         r"indexed tensor \[2, 3\] at index 1"):
        x[:, T([True, False])]
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        assert x[T(np.array([1, 0], dtype=np.uint8))].shape == (1, 3)


def test_setitem_errors_and_casts():
    x = T(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[4\] cannot "
                                           r"be broadcast to indexing result of shape \[2, 3\]"):
        x[[0, 1]] = T([1.0, 2.0, 3.0, 4.0])
    expanded = broadcast_to(T([1.0, 2.0]), (3, 2))
    with pytest.raises(RuntimeError, match=r"__setitem__: the tensor is a read-only"):
        expanded[0] = 5.0
    ints = T(np.zeros(3, dtype=np.int64))
    ints[0] = 9.9
    ints[1:] = T([[1.7, 2.2]])  # extra leading 1-dims and a float tensor, cast as PyTorch does
    np.testing.assert_array_equal(A(ints), [9, 1, 2])
    assert ints.dtype == ember.int64


# ---- gradients -------------------------------------------------------------------------------


def test_repeated_indices_accumulate_gradients():
    x = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    g = T([1.0, 10.0, 100.0, 1000.0])
    (gx,) = grad(x[[0, 0, 3, 0]], x, g)
    np.testing.assert_array_equal(A(gx), [1011.0, 0.0, 0.0, 100.0])
    m = T(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    (gm,) = grad(ember.gather(m, 1, T([[2, 2, 2], [0, 1, 0]])), m, ember.ones(2, 3))
    np.testing.assert_array_equal(A(gm), [[0.0, 0.0, 3.0], [2.0, 1.0, 0.0]])
    (gm,) = grad(ember.index_select(m, 0, T([1, 1, 0])), m, ember.ones(3, 3))
    np.testing.assert_array_equal(A(gm), [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    (gm,) = grad(ember.take(m, T([5, -1, 0])), m, T([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(A(gm), [[4.0, 0.0, 0.0], [0.0, 0.0, 3.0]])


def test_sort_and_topk_gradients_go_back_to_the_original_positions():
    x = T([3.0, 1.0, 2.0], requires_grad=True)
    (gx,) = grad(ember.sort(x).values, x, T([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(A(gx), [30.0, 10.0, 20.0])
    (gx,) = grad(ember.topk(x, 2).values, x, T([1.0, 2.0]))
    np.testing.assert_array_equal(A(gx), [1.0, 0.0, 2.0])


def test_setitem_gradient_reaches_the_value_and_the_earlier_history():
    x = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = T([10.0, 20.0], requires_grad=True)
    y = x * 2
    y[[1, 3]] = v
    np.testing.assert_array_equal(A(y), [2.0, 10.0, 6.0, 20.0])
    assert y.grad_fn is not None and y.requires_grad
    y.backward(T([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(A(x.grad), [2.0, 0.0, 6.0, 0.0])  # written positions: 0
    np.testing.assert_array_equal(A(v.grad), [2.0, 4.0])


def test_setitem_broadcast_value_gets_the_summed_gradient():
    c = ember.zeros(3, 2)  # does not require grad: takes over the value's history
    s = T(5.0, requires_grad=True)
    c[1:] = s
    assert c.requires_grad
    c.backward(T(np.arange(6.0, dtype=np.float32).reshape(3, 2)))
    assert s.grad.item() == 2.0 + 3.0 + 4.0 + 5.0


def test_setitem_on_a_leaf_requiring_grad_is_refused_except_under_no_grad():
    x = T([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        x[0] = 5.0
    with ember.no_grad():
        x[0] = 5.0
    np.testing.assert_array_equal(A(x), [5.0, 2.0])


def test_setitem_bumps_the_version_seen_by_saved_tensors():
    a = T([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b  # saves b
    with ember.no_grad():
        b[0] = 3.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.backward(ember.ones(2))


def test_masked_fill_gradients_and_dtypes():
    x = T([1.0, 2.0], requires_grad=True)
    v = T(3.0, requires_grad=True)
    out = ember.masked_fill(x, T([True, False]), v)
    gx, gv = grad(out, (x, v), T([5.0, 7.0]))
    np.testing.assert_array_equal(A(gx), [0.0, 7.0])
    assert gv.item() == 5.0
    ints = ember.masked_fill(T([1, 2]), T([True, False]), 2.7)
    assert ints.dtype == ember.int64 and A(ints).tolist() == [2, 2]
    f = ember.masked_fill(T([1.0, 2.0]), T([True, False]), T(5, dtype=ember.int64))
    assert f.dtype == ember.float32 and A(f).tolist() == [5.0, 2.0]


# ---- in-place forms --------------------------------------------------------------------------

_INPLACE = [
    ("scatter_", lambda t: t.scatter_(0, T([[1, 0, 1]]), T([[7.0, 8.0, 9.0]])),
     [[0.0, 8.0, 2.0], [7.0, 4.0, 9.0]]),
    ("scatter_ value", lambda t: t.scatter_(1, T([[0], [2]]), 9.0),
     [[9.0, 1.0, 2.0], [3.0, 4.0, 9.0]]),
    ("scatter_add_", lambda t: t.scatter_add_(1, T([[0, 0], [2, 2]]), ember.ones(2, 2)),
     [[2.0, 1.0, 2.0], [3.0, 4.0, 7.0]]),
    ("scatter_reduce_", lambda t: t.scatter_reduce_(1, T([[0, 0], [2, 2]]), T([[9.0, -1.0],
                                                                              [0.0, 1.0]]),
                                                    "amin", include_self=False),
     [[-1.0, 1.0, 2.0], [3.0, 4.0, 0.0]]),
    ("index_add_", lambda t: t.index_add_(1, T([2, 2]), ember.ones(2, 2), alpha=2),
     [[0.0, 1.0, 6.0], [3.0, 4.0, 9.0]]),
    ("index_copy_", lambda t: t.index_copy_(0, T([1]), T([[7.0, 8.0, 9.0]])),
     [[0.0, 1.0, 2.0], [7.0, 8.0, 9.0]]),
    ("index_fill_", lambda t: t.index_fill_(1, T([-1]), -1.0),
     [[0.0, 1.0, -1.0], [3.0, 4.0, -1.0]]),
    ("masked_fill_", lambda t: t.masked_fill_(T([True, False, True]), 0.5),
     [[0.5, 1.0, 0.5], [0.5, 4.0, 0.5]]),
    ("masked_scatter_", lambda t: t.masked_scatter_(T([[False, True, False], [True, False, False]]),
                                                    T([7.0, 8.0])),
     [[0.0, 7.0, 2.0], [8.0, 4.0, 5.0]]),
    ("index_put_", lambda t: t.index_put_((T([0, 0]), T([1, 1])), T(5.0), accumulate=True),
     [[0.0, 11.0, 2.0], [3.0, 4.0, 5.0]]),
    ("put_", lambda t: t.put_(T([5, -6]), T([7.0, 8.0])), [[8.0, 1.0, 2.0], [3.0, 4.0, 7.0]]),
]


@pytest.mark.parametrize("name,fn,expected", _INPLACE, ids=[c[0] for c in _INPLACE])
def test_inplace_forms_write_into_the_tensor(name, fn, expected):
    t = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    ptr, version = t.data_ptr(), t._version
    assert fn(t) is t
    np.testing.assert_array_equal(A(t), expected)
    assert t.data_ptr() == ptr and t._version > version


@pytest.mark.parametrize("name,fn,expected", _INPLACE, ids=[c[0] for c in _INPLACE])
def test_inplace_forms_record_autograd_on_non_leaves(name, fn, expected):
    x = T(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    y = x * 1
    fn(y)
    np.testing.assert_array_equal(A(y), expected)
    assert y.grad_fn is not None
    (gx,) = grad(y, x, ember.ones(2, 3))
    assert gx.shape == (2, 3)  # written positions get 0 (or 1 where accumulated)
    assert set(np.unique(A(gx))) <= {0.0, 1.0}


def test_put_into_a_non_contiguous_view_writes_the_base():
    base = T(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    view = base[:, ::2]  # flat positions 0..3 are base[0, 0], base[0, 2], base[1, 0], base[1, 2]
    view.put_(T([0, 3]), T([-1.0, -2.0]))
    np.testing.assert_array_equal(A(base), [[-1.0, 1.0, 2.0], [3.0, 4.0, -2.0]])


# ---- scatter_reduce, sorting and friends: literal PyTorch results -------------------------------


@pytest.mark.parametrize("reduce,include_self,expected", [
    ("sum", True, [[8, 11, 3], [17, 20, 34]]),
    ("sum", False, [[7, 9, 3], [13, 15, 28]]),
    ("prod", True, [[7, 18, 3], [52, 75, 1122]]),
    ("prod", False, [[7, 9, 3], [13, 15, 187]]),
    ("mean", True, [[4, 5, 3], [8, 10, 11]]),
    ("mean", False, [[7, 9, 3], [13, 15, 14]]),
    ("amax", True, [[7, 9, 3], [13, 15, 17]]),
    ("amin", True, [[1, 2, 3], [4, 5, 6]]),
    ("amin", False, [[7, 9, 3], [13, 15, 11]]),
])
def test_scatter_reduce_matches_pytorch(reduce, include_self, expected):
    x = T([[1, 2, 3], [4, 5, 6]])
    idx = T([[0, 0, 1], [1, 1, 1]])
    src = T([[7, 9, 11], [13, 15, 17]])
    out = ember.scatter_reduce(x, 0, idx, src, reduce, include_self=include_self)
    assert out.dtype == ember.int64 and A(out).tolist() == expected


def test_scatter_reduce_amax_shares_the_gradient_among_ties():
    x = T([5.0, 0.0], requires_grad=True)
    src = T([5.0, 5.0, 1.0], requires_grad=True)
    out = ember.scatter_reduce(x, 0, T([0, 0, 1]), src, "amax")
    gx, gs = grad(out, (x, src), T([3.0, 1.0]))
    np.testing.assert_allclose(A(gx), [1.0, 0.0])
    np.testing.assert_allclose(A(gs), [1.0, 1.0, 1.0])


def test_sort_nan_and_stability_like_pytorch():
    x = T([3.0, np.nan, 1.0, 3.0])
    values, indices = ember.sort(x, descending=True, stable=True)
    np.testing.assert_array_equal(A(values), [np.nan, 3.0, 3.0, 1.0])
    assert A(indices).tolist() == [1, 0, 3, 2] and indices.dtype == ember.int64
    values, indices = ember.sort(T([3.0, np.nan, 1.0]))
    assert A(indices).tolist() == [2, 0, 1]
    assert A(ember.argsort(T([2, 1, 2, 1]), descending=True, stable=True)).tolist() == [0, 2, 1, 3]
    s = ember.sort(T([[1.0, 2.0], [0.0, 3.0]]), dim=0, descending=True, stable=True)
    assert A(s.indices).tolist() == [[0, 1], [1, 0]]


def test_topk_counts_nan_as_largest():
    x = T([3.0, np.nan, 1.0, 5.0])
    top = ember.topk(x, 2)
    np.testing.assert_array_equal(A(top.values), [np.nan, 5.0])
    assert A(top.indices).tolist() == [1, 3]
    low = ember.topk(x, 2, largest=False)
    assert A(low.values).tolist() == [1.0, 3.0] and A(low.indices).tolist() == [2, 0]


def test_named_tuples_unpack_index_and_print():
    result = ember.sort(T([2, 1]))
    values, indices = result
    assert result[0] is values and result.indices is indices
    assert repr(result) == ("ember.return_types.sort(\nvalues=tensor([1, 2]),\n"
                            "indices=tensor([1, 0]))")
    again = pickle.loads(pickle.dumps(result))
    assert type(again) is type(result) and A(again.indices).tolist() == [1, 0]
    k = ember.kthvalue(T([[3.0, 1.0, 2.0]]), 2, 1, True)
    assert k.values.shape == (1, 1) and A(k.indices).tolist() == [[2]]
    assert type(k).__name__ == "kthvalue"


def test_zero_dim_inputs():
    s = T(3.0)
    assert ember.sort(s).values.item() == 3.0 and ember.sort(s).indices.shape == ()
    assert ember.topk(s, 1).indices.item() == 0
    assert ember.gather(T(5.0), 0, T(0)).item() == 5.0
    assert ember.scatter(T(1.0), 0, T(0), T(5.0)).item() == 5.0
    assert ember.index_select(T(5.0), 0, T(0)).shape == ()
    assert ember.take(T(3.0), T([0, 0])).tolist() == [3.0, 3.0]
    assert ember.nonzero(T(3.0)).shape == (1, 0) and ember.nonzero(T(0.0)).shape == (0, 0)
    assert [t.tolist() for t in ember.nonzero(T(3.0), as_tuple=True)] == [[0]]


def test_unique_like_pytorch():
    out = ember.unique(T([3, 1, 2, 3, 1]), sorted=False)
    assert A(out).tolist() == [1, 2, 3]
    values = ember.unique(T([1.0, np.nan, np.nan, 2.0]))
    np.testing.assert_array_equal(A(values), [1.0, 2.0, np.nan, np.nan])
    rows, inverse, counts = ember.unique(T([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True,
                                         return_counts=True)
    assert A(rows).tolist() == [[0, 5], [1, 2]]
    assert A(inverse).tolist() == [1, 1, 0] and A(counts).tolist() == [1, 2]
    out, inv, cnt = ember.unique_consecutive(T([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True,
                                             return_counts=True)
    assert A(out).tolist() == [1, 2, 3, 1, 2]
    assert A(inv).tolist() == [0, 0, 1, 1, 2, 3, 3, 4] and A(cnt).tolist() == [2, 2, 1, 2, 1]
    u, inv = ember.unique(T(3), return_inverse=True)
    assert u.shape == (1,) and inv.shape == ()


def test_searchsorted_bucketize_bincount_histc_like_pytorch():
    seq = T([1, 3, 5, 7])
    assert ember.searchsorted(seq, 3).shape == () and ember.searchsorted(seq, 3).item() == 1
    r = ember.searchsorted(seq, T([3, 6, 9]), right=True, out_int32=True)
    assert r.dtype == ember.int32 and A(r).tolist() == [2, 3, 4]
    assert A(ember.searchsorted(T([5, 1, 3]), T([2, 4]), sorter=T([1, 2, 0]))).tolist() == [1, 2]
    assert A(ember.searchsorted(T([1, 2, 3]), T([2.5]))).tolist() == [2]
    assert A(ember.bucketize(T([1, 5, 9]), seq, right=True)).tolist() == [1, 3, 4]
    assert ember.bucketize(3, seq).item() == 1
    assert ember.bincount(T([0, 1, 1])).dtype == ember.int64
    assert ember.bincount(T([0, 1, 1]), T([1.0, 2.0, 3.0])).dtype == ember.float32
    assert ember.bincount(T([0, 1, 1]), T([1, 2, 3])).dtype == ember.float64
    assert A(ember.bincount(T(np.zeros(0, dtype=np.int64)))).tolist() == []
    assert A(ember.histc(T([1.0, 2.0, 1.0]), bins=4, min=0, max=3)).tolist() == [0, 2, 1, 0]
    assert A(ember.histc(T([1.0, 2.0, 1.0, 2.0]), bins=4)).tolist() == [2, 0, 0, 2]
    assert A(ember.histc(T([1.0, 1.0]), bins=4)).tolist() == [0, 0, 2, 0]
    assert A(ember.histc(T([1.0, np.nan, 2.0]), bins=2, min=0, max=2)).tolist() == [0, 2]
    t = ember.tril_indices(3, 3, dtype=ember.int32)
    assert t.dtype == ember.int32 and A(t).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert ember.triu_indices(0, 3).shape == (2, 0)
    with pytest.raises(RuntimeError, match="row must be non-negative"):
        ember.tril_indices(-1, 3)


# ---- the CuPy fallback of ufunc.at ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "minimum"])
def test_ufunc_at_by_rounds_matches_numpy_ufunc_at(name):
    rng = np.random.default_rng(0)
    target = rng.uniform(0.5, 2.0, size=(4, 5))
    key = (rng.integers(0, 4, size=12), rng.integers(0, 5, size=12))
    values = rng.uniform(0.5, 2.0, size=12)
    expected = target.copy()
    getattr(np, name).at(expected, key, values)
    got = target.copy()
    index_mod._ufunc_at_by_rounds(np, name, got, key, values)
    np.testing.assert_allclose(got, expected)
    strided = target.copy().T  # not C-contiguous: written back through a copy
    expected_t = strided.copy()
    getattr(np, name).at(expected_t, key[::-1], values)
    index_mod._ufunc_at_by_rounds(np, name, strided, key[::-1], values)
    np.testing.assert_allclose(strided, expected_t)


# ---- property tests against NumPy ----------------------------------------------------------------


@st.composite
def _index_cases(draw, mix_ints_and_arrays):
    """A random shape and key. Without ``mix_ints_and_arrays`` the key never holds both ints
    and index arrays, and NumPy's answer is PyTorch's."""
    ndim = draw(st.integers(2 if mix_ints_and_arrays else 1, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    array_shape = draw(st.sampled_from([(1,), (2,), (3,), (2, 1), (2, 3)]))
    kinds = draw(st.lists(st.sampled_from(["int", "slice", "none", "ellipsis", "array", "mask"]),
                          min_size=1, max_size=ndim + 2))
    if not mix_ints_and_arrays and "int" in kinds:
        kinds = [k for k in kinds if k not in ("array", "mask")]
    if mix_ints_and_arrays:
        kinds = [k for k in kinds if k != "mask"] + ["int", "array"]
    if "mask" in kinds:  # a mask is the only advanced index of its key
        kinds = [k for k in kinds if k != "array"]
        kinds = [k for i, k in enumerate(kinds) if k != "mask" or kinds.index("mask") == i]
    if kinds.count("ellipsis") > 1:
        kinds = [k for i, k in enumerate(kinds) if k != "ellipsis" or kinds.index(k) == i]
    consuming = sum(k in ("int", "slice", "array", "mask") for k in kinds)
    while consuming > ndim:
        for drop in ("slice", "int", "array", "mask"):
            if drop in kinds and (drop not in ("int", "array") or not mix_ints_and_arrays
                                  or kinds.count(drop) > 1):
                kinds.remove(drop)
                break
        else:
            kinds = kinds[:-1]
        consuming = sum(k in ("int", "slice", "array", "mask") for k in kinds)
    n_ellipsis = ndim - consuming
    key, dim = [], 0
    for kind in kinds:
        if kind == "ellipsis":
            key.append(Ellipsis)
            dim += n_ellipsis
            continue
        if kind == "none":
            key.append(None)
            continue
        size = shape[dim]
        if kind == "int":
            key.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-size - 1, size + 1))
            stop = draw(st.none() | st.integers(-size - 1, size + 1))
            step = draw(st.none() | st.integers(1, 3))
            key.append(slice(start, stop, step))
        elif kind == "array":
            n = int(np.prod(array_shape))
            values = draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
            key.append(np.array(values, dtype=np.int64).reshape(array_shape))
        else:
            bits = draw(st.lists(st.booleans(), min_size=size, max_size=size))
            key.append(np.array(bits, dtype=bool))
        dim += 1
    return shape, tuple(key)


def _pytorch_rule(a, key):
    """PyTorch's reading of ``a[key]``, spelled with NumPy: ints, slices, None and ... first
    (every array replaced by a full slice), then the arrays on the result's dimensions."""
    first, arrays, pos = [], [], 0
    for k in key:
        if isinstance(k, np.ndarray):
            first.append(slice(None))
            arrays.append((pos, k))
            pos += 1
        elif k is Ellipsis:
            n = a.ndim - sum(not (j is None or j is Ellipsis) for j in key)
            first.append(Ellipsis)
            pos += n
        elif k is None or isinstance(k, slice):
            first.append(k)
            pos += 1
        else:  # int: the dimension disappears
            first.append(k)
    view = a[tuple(first)]
    second = [slice(None)] * (max(p for p, _ in arrays) + 1)
    for p, arr in arrays:
        second[p] = arr
    return view[tuple(second)]


_settings = settings(max_examples=120, deadline=None)


@_settings
@given(_index_cases(mix_ints_and_arrays=False), st.integers(0, 2**32 - 1))
def test_getitem_matches_numpy(case, seed):
    shape, key = case
    a = np.random.default_rng(seed).standard_normal(shape)
    expected = a[key]
    out = T(a)[key]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(A(out), expected)
    tensor_key = tuple(T(k) if isinstance(k, np.ndarray) else k for k in key)
    np.testing.assert_array_equal(A(T(a)[tensor_key]), expected)


@_settings
@given(_index_cases(mix_ints_and_arrays=True), st.integers(0, 2**32 - 1))
def test_getitem_mixing_ints_and_arrays_follows_pytorch(case, seed):
    shape, key = case
    a = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_array_equal(A(T(a)[key]), _pytorch_rule(a, key))


@_settings
@given(_index_cases(mix_ints_and_arrays=False), st.integers(0, 2**32 - 1))
def test_getitem_gradient_is_the_adjoint(case, seed):
    # <x[key], g> == <x, grad> for every x and g: the backward is the transpose of the
    # selection, with repeated positions summed
    shape, key = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    x = T(a, requires_grad=True)
    out = x[key]
    g = rng.standard_normal(out.shape)
    (gx,) = grad(out, x, T(g))
    np.testing.assert_allclose(np.sum(a[key] * g), np.sum(a * A(gx)), rtol=1e-10, atol=1e-10)


@_settings
@given(_index_cases(mix_ints_and_arrays=False), st.integers(0, 2**32 - 1))
def test_setitem_matches_numpy(case, seed):
    shape, key = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    target_shape = a[key].shape
    value = rng.standard_normal(target_shape[1:] if target_shape else ())  # broadcast rows
    expected = a.copy()
    expected[key] = value
    t = T(a)
    t[key] = T(value)
    np.testing.assert_array_equal(A(t), expected)
