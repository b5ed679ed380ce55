"""Behaviour of ember.ops.compare beyond the op table: result dtypes, operator protocol
details, promotion in where/clamp, gradients of where/clamp, in-place forms and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember


def t(values, dtype=None, requires_grad=False):
    return ember.tensor(values, dtype=dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_return_bool_tensors_outside_the_graph(op):
    x = t([1.0, 2.0, 3.0], requires_grad=True)
    out = getattr(ember, op)(x, 2.0)
    assert out.dtype == ember.bool
    assert not out.requires_grad and out.grad_fn is None
    expected = getattr(np, {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                            "gt": "greater", "ge": "greater_equal"}[op])([1.0, 2.0, 3.0], 2.0)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_operators_and_reflection():
    x = t([1, 2, 3])
    assert (x == 2).tolist() == [False, True, False]
    assert (x != 2).tolist() == [True, False, True]
    assert (2 < x).tolist() == [False, False, True]  # Python reflects to x > 2
    assert (2.5 >= x).tolist() == [True, True, False]
    assert (np.array([1, 5, 3]) == x).tolist() == [True, False, True]


def test_promotion_in_comparisons():
    assert (t([1, 2, 3]) == 2.0).tolist() == [False, True, False]
    assert (t([1, 2, 3]) < 2.5).tolist() == [True, True, False]
    # Python ints outside an integer dtype wrap into it, as PyTorch converts them: -1 is 255
    assert (t([0, 255], dtype=ember.uint8) == -1).tolist() == [False, True]
    assert (t([1, 2], dtype=ember.uint8) > -1).tolist() == [False, False]
    assert (t([1, -24], dtype=ember.int8) == 1000).tolist() == [False, True]
    assert (t([0.1], dtype=ember.float32) == t([0.1], dtype=ember.float64)).tolist() == [False]
    assert (t([True, False]) == 1).tolist() == [True, False]


def test_unsupported_operands_fall_back_to_python():
    x = t([1.0])
    assert (x == None) is False  # noqa: E711 (the point of the test)
    assert (x != "a") is True
    with pytest.raises(TypeError, match="'<' not supported"):
        x < None  # noqa: B015
    with pytest.raises(TypeError, match="eq: unsupported operand type str"):
        ember.eq(x, "a")


def test_hash_stays_identity_based():
    a, b = t([1.0]), t([1.0])
    assert hash(a) != hash(b) or a is not b
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert len({a, b}) == 2 and a in [a]


def test_ordering_of_complex_tensors_is_refused_but_equality_works():
    z = t(np.array([1 + 1j, 2j]), dtype=ember.complex64)
    assert ember.eq(z, z).tolist() == [True, True]
    with pytest.raises(NotImplementedError, match=r"lt: ordering is not defined for complex"):
        ember.lt(z, z)


def test_broadcast_errors_name_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"eq: the shapes \(2,\) and \(3,\) cannot be"):
        t([1, 2]) == t([1, 2, 3])  # noqa: B015
    with pytest.raises(RuntimeError, match=r"logical_and: the shapes \(3,\) and \(2,\)"):
        ember.logical_and(t([True, False, True]), t([True, False]))


def test_comparison_out_argument():
    out = ember.empty(3, dtype=ember.bool)
    assert ember.gt(t([1, 5, 3]), 2, out=out) is out
    assert out.tolist() == [False, True, True]


# ---------------------------------------------------------------------------------------------
# equal, allclose, isclose
# ---------------------------------------------------------------------------------------------


def test_equal_returns_a_python_bool():
    assert ember.equal(t([1, 2]), t([1.0, 2.0])) is True
    assert ember.equal(t([1, 2]), t([1, 3])) is False
    assert ember.equal(t([1.5]), t([1.5, 1.5])) is False  # shapes differ
    assert ember.equal(t([np.nan]), t([np.nan])) is False
    assert t([1, 2]).equal(t([1, 2])) is True


def test_isclose_and_allclose():
    a = t([1.0, np.inf, np.nan, 1.0])
    b = t([1.0 + 1e-6, np.inf, np.nan, 1.1])
    assert ember.isclose(a, b).tolist() == [True, True, False, False]
    assert ember.isclose(a, b, equal_nan=True).tolist() == [True, True, True, False]
    assert ember.isclose(a, b, rtol=0.2).tolist() == [True, True, False, True]
    assert ember.allclose(t([1.0, 2.0]), t([1.0, 2.0 + 1e-7])) is True
    assert ember.allclose(a, b) is False
    # integers: the difference is taken without wrap-around
    assert ember.isclose(t([1, 250], dtype=ember.uint8), t([3, 250], dtype=ember.uint8),
                         atol=2).tolist() == [True, True]


def test_isclose_errors():
    with pytest.raises(RuntimeError, match="isclose: input is float32 but other is float64"):
        ember.isclose(t([1.0]), t([1.0], dtype=ember.float64))
    with pytest.raises(RuntimeError, match="rtol must be greater than or equal to zero, but"):
        ember.isclose(t([1.0]), t([1.0]), rtol=-1)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8), st.floats(0, 1e-2))
def test_isclose_matches_its_formula(values, rtol):
    a = np.array(values)
    b = a * (1 + rtol / 2) + 1e-9
    out = ember.isclose(t(a, dtype=ember.float64), t(b, dtype=ember.float64), rtol=rtol).numpy()
    np.testing.assert_array_equal(out, np.abs(a - b) <= 1e-8 + rtol * np.abs(b))


# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------


def test_classification_of_special_values():
    x = t([np.nan, np.inf, -np.inf, -0.0, 1.0])
    assert ember.isnan(x).tolist() == [True, False, False, False, False]
    assert ember.isinf(x).tolist() == [False, True, True, False, False]
    assert ember.isfinite(x).tolist() == [False, False, False, True, True]
    assert ember.isposinf(x).tolist() == [False, True, False, False, False]
    assert ember.isneginf(x).tolist() == [False, False, True, False, False]
    assert ember.signbit(x).tolist() == [False, False, True, True, False]
    i = t([-1, 0, 2])
    assert ember.isnan(i).tolist() == [False] * 3 and ember.isfinite(i).tolist() == [True] * 3
    assert ember.signbit(i).tolist() == [True, False, False]
    z = t(np.array([1 + 0j, 1j]), dtype=ember.complex64)
    assert ember.isreal(z).tolist() == [True, False] and ember.isreal(i).tolist() == [True] * 3
    with pytest.raises(RuntimeError, match="isposinf does not support complex inputs"):
        ember.isposinf(z)


# ---------------------------------------------------------------------------------------------
# Logical and bitwise ops
# ---------------------------------------------------------------------------------------------


def test_logical_ops_treat_nonzero_as_true_and_return_bool():
    a, b = t([0.0, 1.5, -2.0, 0.0]), t([0, 0, 3, 4])
    assert ember.logical_and(a, b).tolist() == [False, False, True, False]
    assert ember.logical_or(a, b).tolist() == [False, True, True, True]
    assert ember.logical_xor(a, b).tolist() == [False, True, False, True]
    assert ember.logical_not(a).tolist() == [True, False, False, True]


def test_bitwise_dtypes_and_python_ints():
    b = t([True, False, True])
    i = t([1, 2, 3])
    assert (b & b).dtype == ember.bool and (b & b).tolist() == [True, False, True]
    assert (b & i).dtype == ember.int64 and (b & i).tolist() == [1, 0, 1]
    assert (i ^ True).tolist() == [0, 3, 2]
    u = t([1, 200], dtype=ember.uint8)
    assert (u & -1).dtype == ember.uint8 and (u & -1).tolist() == [1, 200]  # -1 wraps to 255
    assert (3 & i).tolist() == [1, 2, 3] and (4 | i).tolist() == [5, 6, 7]
    assert (~i).tolist() == [-2, -3, -4] and (~b).tolist() == [False, True, False]


def test_shifts_past_the_width_follow_pytorch():
    i = t([1, -8, 5])
    assert (i << 2).tolist() == [4, -32, 20]
    assert (i >> 1).tolist() == [0, -4, 2]
    assert (i << 70).tolist() == [0, 0, 0] and (i << -1).tolist() == [0, 0, 0]
    assert (i >> 70).tolist() == [0, -1, 0]
    i32 = t([1, -1], dtype=ember.int32)
    assert (i32 << 40).tolist() == [0, 0] and (i32 >> 40).tolist() == [0, -1]
    assert (2 << t([1, 2, 70])).tolist() == [4, 8, 0]
    assert (t([True]) << 1).tolist() == [2]


def test_bitwise_errors_name_op_and_dtype():
    with pytest.raises(NotImplementedError,
                       match=r"bitwise_and: not implemented for float32 tensors.*\.int\(\)"):
        t([1.0]) & t([1])
    with pytest.raises(NotImplementedError, match="bitwise_xor: not implemented for a float"):
        t([1]) ^ 1.5
    with pytest.raises(TypeError, match=r"~ \(operator.invert\) is only implemented"):
        ~t([1.0])


# ---------------------------------------------------------------------------------------------
# where
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b, dtype", [
    (t([1, 2]), 2.5, ember.float32),
    (t([1, 2]), 2, ember.int64),
    (t([1.0, 2.0], dtype=ember.float16), 2.0, ember.float16),
    (t([1.0, 2.0]), t([1.0, 2.0], dtype=ember.float64), ember.float64),
    (t([1.0, 2.0], dtype=ember.float16), t(3.0, dtype=ember.float64), ember.float16),
    (1.0, 0.0, ember.float32),
    (1, 0, ember.int64),
    (t([1, 2], dtype=ember.int32), t([True, False]), ember.int32),
    (t([1.0, 2.0], dtype=ember.bfloat16), 0.5, ember.bfloat16),
])  # fmt: skip
def test_where_promotes_like_pytorch(a, b, dtype):
    out = ember.where(t([True, False]), a, b)
    assert out.dtype == dtype
    first = a.tolist()[0] if isinstance(a, ember.Tensor) else a
    second = b.tolist() if isinstance(b, ember.Tensor) else b
    second = second[1] if isinstance(second, list) else second
    np.testing.assert_allclose(out.double().numpy(), [first, second], rtol=1e-2)


def test_where_condition_must_be_bool_or_uint8():
    assert ember.where(t([1, 0], dtype=ember.uint8), 1.0, 0.0).tolist() == [1.0, 0.0]
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, "
                                           "but got a tensor with dtype float32"):
        ember.where(t([1.0]), 1.0, 0.0)
    with pytest.raises(TypeError, match="expected both input and other"):
        ember.where(t([True]), t([1.0]))


def test_where_gradient_goes_to_the_chosen_side_and_is_unbroadcast():
    cond = t([[True, False, True], [False, False, True]])
    x = t([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)  # broadcast over rows
    y = t([[10.0], [20.0]], dtype=ember.float64, requires_grad=True)  # broadcast over columns
    out = ember.where(cond, x, y)
    weights = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ember.float64)
    (out * weights).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 3.0 + 6.0])
    np.testing.assert_array_equal(y.grad.numpy(), [[2.0], [4.0 + 5.0]])


def test_where_with_one_argument_is_nonzero_as_tuple():
    if not hasattr(ember, "nonzero"):
        pytest.skip("ember.nonzero (ops/index.py) is not available yet")
    rows, cols = ember.where(t([[True, False], [False, True]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]


# ---------------------------------------------------------------------------------------------
# clamp
# ---------------------------------------------------------------------------------------------


def test_clamp_dtypes_follow_promotion():
    i = t([1, -2, 3])
    assert ember.clamp(i, min=1).dtype == ember.int64
    assert ember.clamp(i, min=1.5).tolist() == [1.5, 1.5, 3.0]
    assert ember.clamp(i, min=1.5).dtype == ember.float32
    assert ember.clamp(t([True, False]), min=0).dtype == ember.int64
    assert ember.clamp(t([1.0, 2.0]), min=t(0.0, dtype=ember.float64)).dtype == ember.float32
    assert ember.clamp(t([1.0], dtype=ember.bfloat16), 0.0, 0.5).dtype == ember.bfloat16
    assert ember.clamp_min(i, 0.5).tolist() == [1.0, 0.5, 3.0]


def test_clamp_edge_cases():
    x = t([-2.0, 0.5, 3.0, np.nan])
    out = ember.clamp(x, min=2, max=1).numpy()
    np.testing.assert_array_equal(out[:3], [1.0, 1.0, 1.0])  # min > max: max wins
    assert np.isnan(out[3])
    assert np.isnan(ember.clamp(x, min=float("nan")).numpy()).all()
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        ember.clamp(x)
    with pytest.raises(NotImplementedError, match="clamp is not supported for complex"):
        ember.clamp(t(np.array([1j]), dtype=ember.complex64), 0, 1)


def test_clamp_gradient_passes_inside_the_closed_interval():
    x = t([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=ember.float64, requires_grad=True)
    ember.clamp(x, -1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])  # bounds included


def test_clamp_gradient_to_tensor_bounds():
    x = t([-2.0, 0.0, 2.0], dtype=ember.float64, requires_grad=True)
    low = t([-1.0, -1.0, -1.0], dtype=ember.float64, requires_grad=True)
    high = t(1.0, dtype=ember.float64, requires_grad=True)
    ember.clamp(x, low, high).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0])
    np.testing.assert_array_equal(low.grad.numpy(), [1, 0, 0])
    assert high.grad.item() == 1.0


def test_clamp_inplace():
    x = t([-2.0, 0.5, 3.0])
    version = x._version
    assert x.clamp_(-1, 1) is x and x.tolist() == [-1.0, 0.5, 1.0]
    assert x._version == version + 1
    assert x.clip_(max=0.0).tolist() == [-1.0, 0.0, 0.0]
    assert ember.clamp_min_(x, -0.5).tolist() == [-0.5, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="clamp_: result type float32 can't be cast to the "
                                           "desired output type int64"):
        t([1, 2]).clamp_(min=1.5)
    y = t([1.0, 5.0], dtype=ember.float64, requires_grad=True)
    z = y * 2
    z.clamp_(max=4.0)
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 0.0])


# ---------------------------------------------------------------------------------------------
# In-place forms of non-differentiable ops
# ---------------------------------------------------------------------------------------------


def test_inplace_comparisons_keep_the_tensor_dtype():
    f = t([1.5, -2.5, 0.5])
    assert f.eq_(1.5) is f and f.tolist() == [1.0, 0.0, 0.0] and f.dtype == ember.float32
    i = t([1, 2, 3])
    assert i.lt_(2.5).tolist() == [1, 1, 0] and i.dtype == ember.int64
    b = t([True, False, True])
    assert b.logical_and_(t([1, 1, 0])).tolist() == [True, False, False]
    g = t([0.0, 2.0])
    assert g.logical_not_().tolist() == [1.0, 0.0]


def test_inplace_bitwise_operators_modify_in_place():
    i = t([12, 10])
    original, version = i, i._version
    i &= 6
    i |= 1
    i ^= t([1, 0])
    i <<= 2
    i >>= 1
    assert i is original and i._version == version + 5
    assert i.tolist() == [8, 6]
    b = t([True])
    with pytest.raises(RuntimeError, match="bitwise_and_: result type int64 can't be cast to "
                                           "the desired output type bool"):
        b &= 3


def test_inplace_comparison_in_the_graph_has_zero_gradient():
    x = t([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    y = x * 3
    y.gt_(1.0)
    (y * x).sum().backward()
    # d/dx (gt(3x, 1) * x) = gt(3x, 1): the comparison itself contributes nothing
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.eq_(1.0)


# ---------------------------------------------------------------------------------------------
# heaviside
# ---------------------------------------------------------------------------------------------


def test_heaviside():
    x = t([-1.5, 0.0, 2.0, np.nan])
    assert ember.heaviside(x, t([0.5])).tolist()[:3] == [0.0, 0.5, 1.0]
    assert ember.heaviside(x, t([0.5])).tolist()[3] == 0.0  # NaN > 0 is False (PyTorch)
    assert ember.heaviside(t([-2, 0, 3]), t([7])).tolist() == [0, 7, 1]
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with "
                                           "different dtypes"):
        ember.heaviside(x, t([0.5], dtype=ember.float64))
    with pytest.raises(TypeError, match="argument 'values' must be a Tensor, not float"):
        ember.heaviside(x, 0.5)
