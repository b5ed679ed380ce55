"""Behaviour of ember.ops.unary beyond the op table: dtype rules, stability at extremes, the
accuracy of the NumPy special functions, gradients at special points, in-place forms, complex
numbers and error messages."""

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

FLOAT_FUNCTIONS = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "sigmoid", "logit", "erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "sinc",
    "deg2rad", "rad2deg", "angle",
]  # fmt: skip
INT_PRESERVING = ["abs", "sign", "sgn", "floor", "ceil", "round", "trunc", "relu", "square",
                  "nan_to_num"]


def t(values, dtype=None, requires_grad=False):
    return ember.tensor(values, dtype=dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# dtype rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FLOAT_FUNCTIONS)
def test_integer_and_bool_inputs_give_the_default_float(name):
    fn = getattr(ember, name)
    assert fn(t([1, 2, 3])).dtype == ember.float32
    assert fn(t([True, False])).dtype == ember.float32
    assert fn(t([1, 2], dtype=ember.int8)).dtype == ember.float32


def test_integer_inputs_follow_set_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        out = ember.exp(t([0, 1]))
        assert out.dtype == ember.float64
        np.testing.assert_allclose(out.numpy(), [1.0, np.e], rtol=1e-15)
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("name", INT_PRESERVING)
@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.uint8])
def test_integer_dtypes_are_kept(name, dtype):
    out = getattr(ember, name)(t([3, 0, 2], dtype=dtype))
    assert out.dtype == dtype


def test_square_of_bool_is_int64_and_sign_of_bool_is_bool():
    assert ember.square(t([True, False])).dtype == ember.int64
    out = ember.sign(t([True, False]))
    assert out.dtype == ember.bool and out.tolist() == [True, False]


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16, ember.float32, ember.float64])
@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "erf", "lgamma", "sqrt", "abs",
                                  "floor", "sinc"])
def test_float_dtypes_are_kept(name, dtype):
    x = t([0.25, 1.5, 3.0], dtype=dtype)
    out = getattr(ember, name)(x)
    assert out.dtype == dtype
    expected = getattr(ember, name)(x.double()).numpy()
    np.testing.assert_allclose(out.double().numpy(), expected, rtol=1e-2, atol=1e-2)


def test_exp_of_int_values_match_float32():
    out = ember.exp(t([0, 1, 2]))
    np.testing.assert_allclose(out.numpy(), np.exp(np.array([0, 1, 2], np.float32)), rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# Stability at extremes (pytest turns any NumPy warning into an error)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_sigmoid_and_tanh_are_stable_for_large_inputs(dtype):
    x = t([-1e4, -1000.0, -100.0, 0.0, 100.0, 1000.0, 1e4], dtype=dtype, requires_grad=True)
    s = ember.sigmoid(x)
    np.testing.assert_array_equal(s.detach().numpy()[[0, 1, 3, 5, 6]], [0.0, 0.0, 0.5, 1.0, 1.0])
    th = ember.tanh(x)
    np.testing.assert_array_equal(th.detach().numpy()[[0, 1, 3, 5, 6]], [-1, -1, 0, 1, 1])
    (s.sum() + th.sum()).backward()
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad[[0, 1, 5, 6]], 0.0, atol=1e-30)
    assert grad[3] == pytest.approx(0.25 + 1.0)


def test_sigmoid_keeps_relative_precision_in_the_left_tail():
    x = t([-30.0, -100.0, -700.0], dtype=ember.float64)
    expected = np.exp([-30.0, -100.0, -700.0]) / (1 + np.exp([-30.0, -100.0, -700.0]))
    np.testing.assert_allclose(ember.sigmoid(x).numpy(), expected, rtol=1e-14)


def test_sigmoid_matches_the_logistic_identity():
    x = np.linspace(-20, 20, 41)
    out = ember.sigmoid(t(x, dtype=ember.float64)).numpy()
    np.testing.assert_allclose(out, sp.expit(x), rtol=1e-15)


def test_logs_and_exps_reach_infinities_without_warnings():
    assert ember.log(t([0.0])).item() == -np.inf
    assert np.isnan(ember.log(t([-1.0])).item())
    assert ember.exp(t([1000.0])).item() == np.inf
    assert ember.sqrt(t([-1.0])).isnan().item()
    assert ember.rsqrt(t([0.0])).item() == np.inf
    assert ember.atanh(t([1.0])).item() == np.inf
    assert ember.reciprocal(t([0.0])).item() == np.inf
    np.testing.assert_array_equal(ember.erfinv(t([1.0, -1.0, 1.5])).numpy(),
                                  [np.inf, -np.inf, np.nan])


def test_sign_of_nan_and_negative_zero_follows_pytorch():
    out = ember.sign(t([-0.0, np.nan, -2.0, 3.0])).numpy()
    np.testing.assert_array_equal(out, [0.0, 0.0, -1.0, 1.0])
    assert not np.signbit(out[0])


def test_angle_of_reals():
    out = ember.angle(t([-1.0, -0.0, 0.0, 2.0, np.nan])).numpy()
    np.testing.assert_allclose(out, [np.pi, 0, 0, 0, np.nan])


def test_round_half_to_even_and_decimals():
    np.testing.assert_array_equal(ember.round(t([0.5, 1.5, 2.5, -0.5])).numpy(),
                                  [0.0, 2.0, 2.0, -0.0])
    np.testing.assert_allclose(ember.round(t([1.2345, -2.5551]), decimals=2).numpy(),
                               [1.23, -2.56], rtol=1e-6)
    np.testing.assert_array_equal(ember.round(t([1234.5, 1250.0]), decimals=-2).numpy(),
                                  [1200.0, 1200.0])
    np.testing.assert_array_equal(ember.round(t([7, -3])).numpy(), [7, -3])


def test_nan_to_num_defaults_are_the_dtype_limits():
    x = t([np.nan, np.inf, -np.inf, 1.0], dtype=ember.float16)
    np.testing.assert_array_equal(ember.nan_to_num(x).numpy(), [0, 65504, -65504, 1])
    out = ember.nan_to_num(t([np.nan, np.inf]), nan=1.5, posinf=2.0)
    np.testing.assert_array_equal(out.numpy(), [1.5, 2.0])


# ---------------------------------------------------------------------------------------------
# Special functions: the NumPy kernels against SciPy (and literal high-precision values)
# ---------------------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
WIDE = np.concatenate([RNG.normal(0, 3, 3000), RNG.uniform(-30, 30, 3000),
                       10 ** RNG.uniform(-300, 2, 500), -(10 ** RNG.uniform(-300, 2, 500))])


def f64(fn, x, *args):
    return fn(*args, t(x, dtype=ember.float64)).numpy() if args else fn(
        t(x, dtype=ember.float64)).numpy()


def test_erf_and_erfc_match_scipy_to_1e_14():
    np.testing.assert_allclose(f64(ember.erf, WIDE), sp.erf(WIDE), rtol=1e-14, atol=0)
    ok = sp.erfc(WIDE) > 1e-300  # SciPy's erfc is itself only good to ~1e-13 deep in the tail
    np.testing.assert_allclose(f64(ember.erfc, WIDE)[ok], sp.erfc(WIDE)[ok], rtol=1e-12)
    np.testing.assert_allclose(f64(ember.erfc, np.array([10.0, 25.0])),
                               [2.088487583762544757e-45, 8.300172571196522752e-274], rtol=1e-14)


def test_float32_erf_is_within_a_few_ulps():
    x = RNG.normal(0, 2, 20000).astype(np.float32)
    out = ember.erf(t(x)).numpy()
    expected = sp.erf(x.astype(np.float64))
    assert np.max(np.abs(out - expected) / np.abs(expected)) < 8 * np.finfo(np.float32).eps
    np.testing.assert_array_equal(ember.erf(t([np.inf, -np.inf, 0.0])).numpy(), [1, -1, 0])


def test_erfinv_matches_scipy_including_the_tails():
    y = np.concatenate([RNG.uniform(-1, 1, 5000), 1 - 10 ** RNG.uniform(-16, -1, 500),
                        10 ** RNG.uniform(-300, -1, 200), [1 - 2**-53, -(1 - 2**-53)]])
    np.testing.assert_allclose(f64(ember.erfinv, y), sp.erfinv(y), rtol=1e-14)
    assert f64(ember.erfinv, np.array([1 - 2**-53]))[0] == pytest.approx(
        5.8635847487551679272, rel=1e-15)
    x = RNG.uniform(-5, 5, 1000)
    np.testing.assert_allclose(f64(ember.erf, f64(ember.erfinv, sp.erf(x))), sp.erf(x),
                               rtol=1e-15)


def test_lgamma_matches_scipy_away_from_its_zeros():
    x = np.concatenate([WIDE, RNG.uniform(0.5, 3, 3000), 10 ** RNG.uniform(2, 300, 300)])
    x = x[(np.abs(x - np.round(x)) > 1e-6) & (np.abs(x - 1) > 0.01) & (np.abs(x - 2) > 0.01)]
    # next to the zeros on the negative axis (-2.457...) any method cancels to ~1e-16 absolute
    np.testing.assert_allclose(f64(ember.lgamma, x), sp.gammaln(x), rtol=1e-13, atol=1e-15)


def test_lgamma_is_relatively_accurate_next_to_its_zeros_at_1_and_2():
    # literal values from mpmath (50 digits); SciPy loses ~1e-9 relative here
    x = np.array([1.00000001, 0.9999999, 2.0000001, 1.9999999, 1 + 2**-30])
    expected = [-5.7721565316885122e-9, 5.7721574684441928e-8, 4.2278436665324979e-8,
                -4.2278430309861298e-8, -5.3757397843110445e-10]
    np.testing.assert_allclose(f64(ember.lgamma, x), expected, rtol=1e-14)


def test_lgamma_special_values():
    out = f64(ember.lgamma, np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, 1.0, 2.0, 0.5]))
    np.testing.assert_allclose(out, [np.inf] * 6 + [0.0, 0.0, 0.57236494292470008707],
                               rtol=1e-15)
    assert not np.signbit(out[6])
    assert np.isnan(f64(ember.lgamma, np.array([np.nan]))[0])


def test_digamma_matches_scipy_and_the_root():
    x = WIDE[np.abs(WIDE - np.round(WIDE)) > 1e-6]
    expected = sp.digamma(x)
    np.testing.assert_allclose(f64(ember.digamma, x), expected, rtol=1e-12,
                               atol=1e-14 * np.max(np.abs(expected)))
    pos = x[x > 0]
    np.testing.assert_allclose(f64(ember.digamma, pos), sp.digamma(pos), rtol=1e-14)
    root = np.array([1.4616321449683622, 1.46163, 1.4616321449693623])
    np.testing.assert_allclose(
        f64(ember.digamma, root),
        [-9.2412655217294275e-17, -2.0756283887224572e-6, 9.6766585941809665e-13], rtol=1e-12)


def test_digamma_and_polygamma_poles_follow_pytorch():
    out = f64(ember.digamma, np.array([0.0, -0.0, -1.0, -2.0]))
    np.testing.assert_array_equal(out, [-np.inf, np.inf, np.nan, np.nan])
    np.testing.assert_array_equal(
        f64(lambda x: ember.polygamma(1, x), np.array([0.0, -1.0])), [np.inf, np.inf])
    np.testing.assert_array_equal(
        f64(lambda x: ember.polygamma(2, x), np.array([0.0, -0.0, -2.0])), [-np.inf] * 3)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
def test_polygamma_matches_scipy(n):
    x = np.concatenate([RNG.uniform(0.01, 50, 2000), RNG.uniform(-20, 0, 2000)])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    expected = sp.polygamma(n, x)
    out = f64(lambda v: ember.polygamma(n, v), x)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0)
    assert out.dtype == np.float64


def test_i0_and_its_gradient_i1_match_scipy():
    x = np.concatenate([RNG.uniform(-40, 40, 500), [0.0, 1e-3, 25.0, 25.5, -30.0, 300.0]])
    xt = t(x, dtype=ember.float64, requires_grad=True)
    out = ember.i0(xt)
    np.testing.assert_allclose(out.detach().numpy(), sp.i0(x), rtol=1e-13)
    out.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), sp.i1(x), rtol=1e-13, atol=1e-300)


def test_special_functions_in_float32_are_float32_and_close():
    x = RNG.uniform(0.1, 10, 1000).astype(np.float32)
    for fn, ref in [(ember.lgamma, sp.gammaln), (ember.digamma, sp.digamma),
                    (ember.erfc, sp.erfc), (lambda v: ember.polygamma(2, v),
                                             lambda v: sp.polygamma(2, v))]:
        out = fn(t(x))
        assert out.dtype == ember.float32
        np.testing.assert_allclose(out.numpy(), ref(x.astype(np.float64)), rtol=2e-5, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 150.0))
def test_lgamma_recurrence(x):
    # lgamma(x + 1) - lgamma(x) = log(x), a relation independent of any reference library
    v = t([x, x + 1], dtype=ember.float64)
    a, b = ember.lgamma(v).tolist()
    assert b - a == pytest.approx(np.log(x), rel=1e-11, abs=1e-13)


@settings(max_examples=60, deadline=None)
@given(st.floats(-0.999999, 0.999999))
def test_erf_inverts_erfinv(y):
    v = t([y], dtype=ember.float64)
    assert ember.erf(ember.erfinv(v)).item() == pytest.approx(y, rel=1e-13, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(st.floats(-500, 500))
def test_sigmoid_symmetry(x):
    v = t([x, -x], dtype=ember.float64)
    a, b = ember.sigmoid(v).tolist()
    assert a + b == pytest.approx(1.0, rel=1e-15)


# ---------------------------------------------------------------------------------------------
# Gradients at special points
# ---------------------------------------------------------------------------------------------


def grad_of(fn, values, dtype=ember.float64):
    x = t(values, dtype=dtype, requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


def test_gradients_at_kinks_follow_pytorch():
    np.testing.assert_array_equal(grad_of(ember.abs, [-2.0, 0.0, 3.0]), [-1, 0, 1])
    np.testing.assert_array_equal(grad_of(ember.relu, [-2.0, 0.0, 3.0]), [0, 0, 1])
    for name in ["sign", "floor", "ceil", "round", "trunc"]:
        np.testing.assert_array_equal(grad_of(getattr(ember, name), [-1.3, 0.0, 2.7]), 0.0)
    np.testing.assert_array_equal(grad_of(ember.frac, [-1.3, 2.7]), 1.0)
    assert grad_of(ember.sqrt, [0.0])[0] == np.inf  # and no warning
    np.testing.assert_allclose(grad_of(ember.sinc, [0.0, 0.5]),
                               [0.0, (np.cos(np.pi / 2) - np.sinc(0.5)) / 0.5])


def test_logit_gradient_outside_the_eps_band_is_zero_and_nan_outside_0_1():
    x = [0.0, 0.05, 0.5, 0.95, 1.0]
    g = grad_of(lambda v: ember.logit(v, eps=0.1), x)
    np.testing.assert_allclose(g, [0.0, 0.0, 4.0, 0.0, 0.0])
    g = grad_of(ember.logit, [-0.5, 0.5, 1.5])
    assert np.isnan(g[0]) and g[1] == 4.0 and np.isnan(g[2])


def test_nan_to_num_gradient_is_zero_where_replaced():
    np.testing.assert_array_equal(grad_of(ember.nan_to_num, [np.nan, 1.0, np.inf, -np.inf]),
                                  [0, 1, 0, 0])


def test_second_derivatives_of_special_functions():
    x = t([0.7, 2.5], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(ember.lgamma(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), sp.digamma([0.7, 2.5]), rtol=1e-13)
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), sp.polygamma(1, [0.7, 2.5]), rtol=1e-13)


# ---------------------------------------------------------------------------------------------
# In-place forms
# ---------------------------------------------------------------------------------------------


def test_inplace_writes_into_the_same_memory_and_bumps_the_version():
    x = t([0.0, 1.0, 4.0])
    data, version = x._data, x._version
    assert x.sqrt_() is x
    assert x._data is data and x._version == version + 1
    np.testing.assert_array_equal(x.numpy(), [0.0, 1.0, 2.0])
    x.exp_().log_()
    np.testing.assert_allclose(x.numpy(), [0.0, 1.0, 2.0], rtol=1e-6)
    assert x._version == version + 3


def test_inplace_methods_with_arguments():
    x = t([1.234, np.nan, 0.5])
    x.nan_to_num_(nan=7.0).round_(decimals=1)
    np.testing.assert_allclose(x.numpy(), [1.2, 7.0, 0.5], rtol=1e-6)
    y = t([0.5, 0.25])
    y.logit_(eps=0.3)
    np.testing.assert_allclose(y.numpy(), [0.0, np.log(0.3 / 0.7)], rtol=1e-6)
    z = t([1.5, 2.5])
    z.polygamma_(1)
    np.testing.assert_allclose(z.numpy(), sp.polygamma(1, [1.5, 2.5]), rtol=1e-6)


def test_inplace_keeps_integer_dtypes_or_refuses_float_results():
    i = t([-3, 4])
    assert i.abs_() is i and i.tolist() == [3, 4] and i.dtype == ember.int64
    with pytest.raises(RuntimeError, match="exp_: result type float32 can't be cast"):
        i.exp_()


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = t([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_: a leaf Variable that requires grad"):
        x.exp_()


def test_inplace_in_the_graph_differentiates_like_the_out_of_place_op():
    x = t([0.5, 1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = x * 1
    y.sigmoid_()
    y.sum().backward()
    s = sp.expit([0.5, 1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s), rtol=1e-14)


def test_ops_that_save_only_their_output_allow_later_inplace_changes_of_the_input():
    x = t([0.5, 1.0], dtype=ember.float64, requires_grad=True)
    y = x * 1
    z = ember.exp(y)  # the gradient needs exp(y) only
    y.add_(1.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]))
    y = x * 1
    z = ember.sin(y)  # the gradient needs y, which is then modified
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_relu_inplace_function():
    x = t([-1.0, 2.0])
    assert ember.relu_(x) is x and x.tolist() == [0.0, 2.0]


def test_out_argument():
    out = ember.empty(3)
    result = ember.exp(t([0.0, 1.0, 2.0]), out=out)
    assert result is out
    np.testing.assert_allclose(out.numpy(), np.exp([0.0, 1.0, 2.0]), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Complex numbers (basic support) and identity ops
# ---------------------------------------------------------------------------------------------


def test_complex_forward_values():
    z = np.array([1 + 2j, -3 - 0.5j])
    zt = t(z, dtype=ember.complex64)
    for name, ref in [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("sin", np.sin),
                      ("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
                      ("sgn", lambda v: v / np.abs(v)), ("reciprocal", lambda v: 1 / v)]:
        out = getattr(ember, name)(zt)
        assert out.dtype == ember.complex64, name
        np.testing.assert_allclose(out.numpy(), ref(z), rtol=1e-5, err_msg=name)
    assert ember.abs(zt).dtype == ember.float32
    np.testing.assert_allclose(ember.abs(zt).numpy(), np.abs(z), rtol=1e-6)
    np.testing.assert_allclose(ember.angle(zt).numpy(), np.angle(z), rtol=1e-6)
    np.testing.assert_array_equal(ember.conj(zt).numpy(), np.conj(z).astype(np.complex64))


def test_real_and_imag_are_views_and_properties():
    z = t(np.array([1 + 2j, 3 - 4j]), dtype=ember.complex64)
    re, im = z.real, z.imag
    assert re.dtype == ember.float32 and im.tolist() == [2.0, -4.0]
    re.add_(10.0)
    np.testing.assert_array_equal(z.numpy(), np.array([11 + 2j, 13 - 4j], np.complex64))
    x = t([1.0, 2.0])
    assert ember.real(x) is x and x.real is x and ember.conj(x) is x and x.conj() is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        ember.imag(x)


def test_complex_gradients_follow_pytorch_conventions():
    z = np.array([1 + 2j, -0.5 + 0.25j])
    zt = t(z, dtype=ember.complex128, requires_grad=True)
    ember.exp(zt).real.sum().backward()  # grad of Re(e^z): conj(e^z)
    np.testing.assert_allclose(zt.grad.numpy(), np.conj(np.exp(z)), rtol=1e-14)
    zt.grad = None
    ember.abs(zt).sum().backward()  # grad of |z|: z / |z|
    np.testing.assert_allclose(zt.grad.numpy(), z / np.abs(z), rtol=1e-14)
    zt.grad = None
    ember.angle(zt).sum().backward()  # grad of arg z: i z / |z|^2
    np.testing.assert_allclose(zt.grad.numpy(), 1j * z / np.abs(z) ** 2, rtol=1e-14)
    zt.grad = None
    zt.imag.sum().backward()
    np.testing.assert_array_equal(zt.grad.numpy(), [1j, 1j])


def test_positive_and_abs_operator():
    x = t([-1.5, 2.0])
    assert ember.positive(x) is x and x.positive() is x
    assert abs(x).tolist() == [1.5, 2.0]
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor"):
        ember.positive(t([True]))


# ---------------------------------------------------------------------------------------------
# Errors name the op, the dtype and the fix
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: ember.abs(t([True])), NotImplementedError, r"abs: not implemented for bool tensors"),
    (lambda: ember.floor(t([True])), NotImplementedError, r"floor: not implemented for bool"),
    (lambda: ember.ceil(t([1j])), NotImplementedError, r"ceil: not implemented for complex"),
    (lambda: ember.frac(t([1, 2])), NotImplementedError,
     r"frac: not implemented for integer.*\(int64\); frac needs a float tensor"),
    (lambda: ember.sign(t([1j])), NotImplementedError, r"sign: .*use sgn instead"),
    (lambda: ember.round(t([1, 2]), decimals=1), NotImplementedError,
     r"round: decimals=1 is not implemented for integer tensors \(int64\)"),
    (lambda: ember.relu(t([True])), RuntimeError, r"relu: Boolean inputs not supported"),
    (lambda: ember.relu(t([1j])), NotImplementedError, r"relu: not implemented for complex"),
    (lambda: ember.lgamma(t([1j])), NotImplementedError,
     r"lgamma: not implemented for complex tensors \(complex64\)"),
    (lambda: ember.erf(t([1j])), NotImplementedError, r"erf: not implemented for complex"),
    (lambda: ember.polygamma(-1, t([1.0])), RuntimeError, r"does not support negative n"),
])  # fmt: skip
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
