"""Activations (functional and module forms): forward against NumPy/SciPy formulas written
here, gradcheck and gradgradcheck in float64, PyTorch's dtype rules, in-place forms, softmax
stability, error messages and repr strings."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

# Klambauer et al. (2017), written out independently of the implementation
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Values away from every kink used below (0, +-0.6, -0.5, 2, +-3, 6, 0.25, 1.5)
X = np.array([[-4.1, -2.6, -1.3, -0.7], [-0.2, 0.35, 0.8, 1.6], [2.7, 3.4, 6.5, -0.45]])


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def values(t):
    return t.detach().numpy().astype(np.float64)


# (id, ember function, NumPy reference, module computing the same)
CASES = [
    ("relu", F.relu, lambda x: np.maximum(x, 0), nn.ReLU()),
    ("relu6", F.relu6, lambda x: np.minimum(np.maximum(x, 0), 6), nn.ReLU6()),
    (
        "hardtanh",
        lambda x: F.hardtanh(x, -0.5, 2.0),
        lambda x: np.clip(x, -0.5, 2.0),
        nn.Hardtanh(-0.5, 2.0),
    ),
    ("leaky_relu", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), nn.LeakyReLU()),
    (
        "leaky_relu_0.2",
        lambda x: F.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        nn.LeakyReLU(0.2),
    ),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), nn.ELU(0.7)),
    (
        "selu",
        F.selu,
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
        nn.SELU(),
    ),
    (
        "celu",
        lambda x: F.celu(x, 1.5),
        lambda x: np.maximum(0, x) + np.minimum(0, 1.5 * np.expm1(x / 1.5)),
        nn.CELU(1.5),
    ),
    ("gelu", F.gelu, lambda x: x * 0.5 * (1 + scipy.special.erf(x / math.sqrt(2))), nn.GELU()),
    (
        "gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        nn.GELU("tanh"),
    ),
    ("silu", F.silu, lambda x: x * np_sigmoid(x), nn.SiLU()),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), nn.Mish()),
    ("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, nn.Hardswish()),
    ("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, nn.Hardsigmoid()),
    ("softplus", F.softplus, lambda x: np.log1p(np.exp(x)), nn.Softplus()),
    (
        "softplus_beta",
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
        nn.Softplus(2.0, 3.0),
    ),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), nn.Softsign()),
    ("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), nn.Tanhshrink()),
    (
        "softshrink",
        lambda x: F.softshrink(x, 0.6),
        lambda x: np.where(x > 0.6, x - 0.6, np.where(x < -0.6, x + 0.6, 0.0)),
        nn.Softshrink(0.6),
    ),
    (
        "hardshrink",
        lambda x: F.hardshrink(x, 0.6),
        lambda x: np.where(np.abs(x) > 0.6, x, 0.0),
        nn.Hardshrink(0.6),
    ),
    ("logsigmoid", F.logsigmoid, lambda x: -np.log1p(np.exp(-x)), nn.LogSigmoid()),
    (
        "threshold",
        lambda x: F.threshold(x, 0.25, -2.0),
        lambda x: np.where(x > 0.25, x, -2.0),
        nn.Threshold(0.25, -2.0),
    ),
    ("rrelu_eval", F.rrelu, lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2), None),
    ("sigmoid", F.sigmoid, np_sigmoid, nn.Sigmoid()),
    ("tanh", F.tanh, np.tanh, nn.Tanh()),
    ("softmax", lambda x: F.softmax(x, dim=1), lambda x: np_softmax(x, 1), nn.Softmax(dim=1)),
    (
        "log_softmax",
        lambda x: F.log_softmax(x, dim=0),
        lambda x: np.log(np_softmax(x, 0)),
        nn.LogSoftmax(dim=0),
    ),
    ("softmin", lambda x: F.softmin(x, dim=1), lambda x: np_softmax(-x, 1), nn.Softmin(1)),
    (
        "glu",
        lambda x: F.glu(x, dim=1),
        lambda x: x[:, :2] * np_sigmoid(x[:, 2:]),
        nn.GLU(dim=1),
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("name, fn, ref, module", CASES, ids=IDS)
def test_forward_matches_numpy(name, fn, ref, module, dtype):
    x = ember.tensor(X, dtype=dtype)
    out = fn(x)
    assert out.dtype == dtype
    tol = 1e-6 if dtype == ember.float32 else 1e-12
    np.testing.assert_allclose(values(out), ref(X), rtol=tol, atol=tol)
    if module is not None:
        np.testing.assert_array_equal(values(module(x)), values(out))


@pytest.mark.parametrize("name, fn, ref, module", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(name, fn, ref, module):
    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize(
    "fn",
    [F.elu, F.selu, F.celu, F.leaky_relu, F.hardtanh, F.relu6, F.silu, F.mish, F.hardswish,
     F.hardsigmoid, lambda x, inplace: F.threshold(x, 0.25, -2.0, inplace),
     F.relu],
)  # fmt: skip
def test_inplace_forms_match_and_differentiate(fn):
    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    expected = fn(x, inplace=False)
    (g_expected,) = ember.autograd.grad(expected.sum(), x)
    y = x * 1.0  # a non-leaf: in-place is allowed and recorded
    out = fn(y, inplace=True)
    assert out is y
    np.testing.assert_array_equal(values(y), values(expected))
    (g,) = ember.autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.numpy(), g_expected.numpy())
    assert gradcheck(lambda t: fn(t * 1.0, inplace=True), (x,))


def test_underscore_inplace_functions():
    for fn, args, ref in [
        (F.relu_, (), np.maximum(X, 0)),
        (F.elu_, (0.5,), np.where(X > 0, X, 0.5 * np.expm1(X))),
        (F.leaky_relu_, (0.1,), np.where(X > 0, X, 0.1 * X)),
        (F.hardtanh_, (-2.0, 2.0), np.clip(X, -2, 2)),
        (F.threshold_, (1.0, 0.0), np.where(X > 1, X, 0.0)),
        (F.celu_, (2.0,), np.maximum(0, X) + np.minimum(0, 2 * np.expm1(X / 2))),
        (F.selu_, (), SELU_SCALE * np.where(X > 0, X, SELU_ALPHA * np.expm1(X))),
        (F.rrelu_, (), np.where(X > 0, X, X * (1 / 8 + 1 / 3) / 2)),
    ]:
        x = ember.tensor(X)
        assert fn(x, *args) is x
        np.testing.assert_allclose(x.numpy(), ref, rtol=1e-12)


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = ember.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.elu(x, inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        nn.ReLU(inplace=True)(x)


def test_module_inplace_modifies_input():
    x = ember.tensor([-1.0, 2.0])
    assert nn.ReLU6(inplace=True)(x) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])


# -- dtypes -----------------------------------------------------------------------------------


def test_integer_inputs_follow_pytorch():
    i = ember.tensor([-2, 1, 7])
    for fn, expected in [
        (F.relu, [0, 1, 7]),
        (F.relu6, [0, 1, 6]),
        (F.hardtanh, [-1, 1, 1]),
        (lambda t: F.threshold(t, 2, 0), [0, 0, 7]),
    ]:
        out = fn(i)
        assert out.dtype == ember.int64
        assert out.tolist() == expected
    for fn in (F.softsign, F.tanhshrink):  # composites: computed in the default float dtype
        assert fn(i).dtype == ember.float32
    np.testing.assert_allclose(F.softsign(i).numpy(), [-2 / 3, 0.5, 7 / 8], rtol=1e-6)
    for fn in (F.gelu, F.silu, F.elu, F.leaky_relu, F.softplus, F.mish, F.logsigmoid,
               F.hardswish, F.hardsigmoid, F.selu, F.softshrink, F.hardshrink):  # fmt: skip
        with pytest.raises(NotImplementedError, match="not implemented for int64"):
            fn(i)
    with pytest.raises(RuntimeError, match="bool inputs are not supported"):
        F.relu6(ember.tensor([True]))


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "elu", "hardswish", "softmax"])
def test_half_precision_keeps_dtype(name, dtype):
    fn, ref = {c[0]: (c[1], c[2]) for c in CASES}[name]
    out = fn(ember.tensor(X, dtype=dtype))
    assert out.dtype == dtype
    # the input is rounded to the half dtype too: compare with the reference at those inputs
    xr = ember.tensor(X, dtype=dtype).to(ember.float64).numpy()
    tol = 1e-2 if dtype == ember.bfloat16 else 2e-3
    np.testing.assert_allclose(values(out), ref(xr), rtol=tol, atol=tol)


def test_half_precision_backward_keeps_dtype():
    x = ember.tensor(X, dtype=ember.float16, requires_grad=True)
    F.gelu(x).sum().backward()
    assert x.grad.dtype == ember.float16
    xr = x.detach().to(ember.float64).numpy()
    expected = 0.5 * (1 + scipy.special.erf(xr / math.sqrt(2))) + xr * np.exp(
        -xr * xr / 2
    ) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(values(x.grad), expected, atol=2e-3)


# -- numerical stability ----------------------------------------------------------------------

BIG = np.array([-1e4, -50.0, 50.0, 1e4], dtype=np.float32)


@pytest.mark.parametrize(
    "fn, expected",
    [
        (F.logsigmoid, [-1e4, -50.0, 0.0, 0.0]),
        (F.softplus, [0.0, 0.0, 50.0, 1e4]),
        (lambda x: F.softplus(x, threshold=1e9), [0.0, 0.0, 50.0, 1e4]),
        (F.silu, [0.0, 0.0, 50.0, 1e4]),
        (F.mish, [0.0, 0.0, 50.0, 1e4]),
        (F.gelu, [0.0, 0.0, 50.0, 1e4]),
        (F.elu, [-1.0, -1.0, 50.0, 1e4]),
        (F.selu, [-SELU_SCALE * SELU_ALPHA] * 2 + [SELU_SCALE * 50, SELU_SCALE * 1e4]),
        (lambda x: F.celu(x, 0.5), [-0.5, -0.5, 50.0, 1e4]),
    ],
)
def test_extreme_inputs_give_finite_values_without_warnings(fn, expected):
    # warnings are errors under pytest: an overflow in exp would fail here
    x = ember.tensor(BIG, requires_grad=True)
    out = fn(x)
    np.testing.assert_allclose(values(out), expected, rtol=1e-6, atol=1e-6)
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_is_stable_for_huge_inputs():
    x = ember.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4]], requires_grad=True)
    y = F.softmax(x, dim=1)
    np.testing.assert_allclose(y.detach().numpy(), [[1, 0, 0], [1 / 3] * 3, [1 / 3] * 3])
    logy = F.log_softmax(x, dim=1)
    # exact: x - max - log(sum(exp(x - max))); no log(0) = -inf where softmax underflows
    expected = np.array([[0.0, -2e4, -1e4], [-math.log(3)] * 3, [-math.log(3)] * 3])
    np.testing.assert_allclose(logy.detach().numpy(), expected, rtol=1e-6)
    (y.sum() + logy.sum()).backward()
    assert np.isfinite(x.grad.numpy()).all()


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
               elements=st.floats(-1e3, 1e3)),
    st.floats(-1e4, 1e4),
)  # fmt: skip
def test_softmax_properties(x, shift):
    t = ember.tensor(x)
    y = F.softmax(t, dim=-1).numpy()
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)
    assert (y >= 0).all()
    # invariant under adding a constant to a row (the max-shift makes this exact enough)
    np.testing.assert_allclose(F.softmax(t + shift, dim=-1).numpy(), y, atol=1e-9)
    np.testing.assert_allclose(np.exp(F.log_softmax(t, dim=-1).numpy()), y, atol=1e-12)


def test_softmax_backward_formulas():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.normal(size=(3, 5)), requires_grad=True)
    g = rng.normal(size=(3, 5))
    y = F.softmax(x, dim=1)
    y.backward(ember.tensor(g))
    yn = np_softmax(x.detach().numpy(), 1)
    np.testing.assert_allclose(x.grad.numpy(), yn * (g - (g * yn).sum(1, keepdims=True)))
    x.grad = None
    F.log_softmax(x, dim=1).backward(ember.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g - yn * g.sum(1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_gradcheck_every_dim(dim):
    x = ember.tensor(np.random.default_rng(1).normal(size=(2, 3, 2)), requires_grad=True)
    for fn in (F.softmax, F.log_softmax, F.softmin):
        assert gradcheck(lambda t, fn=fn: fn(t, dim), (x,))
    assert gradgradcheck(lambda t: F.log_softmax(t, dim), (x,))


def test_softmax_arguments():
    x64 = ember.tensor(X, requires_grad=True)
    y = F.softmax(x64, 1, dtype=ember.float32)
    assert y.dtype == ember.float32
    y.sum().backward()
    assert x64.grad.dtype == ember.float64
    with pytest.raises(NotImplementedError, match="softmax: not implemented for int64"):
        F.softmax(ember.arange(3), 0)
    np.testing.assert_allclose(
        F.softmax(ember.arange(3), 0, dtype=ember.float64).numpy(), np_softmax(np.arange(3.0), 0)
    )
    assert F.softmax(ember.tensor(3.0), 0).item() == 1.0
    assert F.log_softmax(ember.tensor(3.0), -1).item() == 0.0
    assert F.softmax(ember.zeros(0, 3), 1).shape == (0, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.log_softmax(ember.zeros(2, 3), 2)
    # Tensor methods
    np.testing.assert_array_equal(x64.softmax(1).detach().numpy(), values(F.softmax(x64, 1)))
    np.testing.assert_array_equal(
        x64.log_softmax(-1).detach().numpy(), values(F.log_softmax(x64, -1))
    )


@pytest.mark.parametrize("shape, dim", [((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 2, 2, 2), 1)])
def test_softmax_implicit_dim_warns_and_uses_legacy_rule(shape, dim):
    x = ember.tensor(np.random.default_rng(2).normal(size=shape))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as record:
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy(), np_softmax(x.numpy(), dim))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax") as rec2:
        nn.LogSoftmax()(x)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin") as rec3:
        F.softmin(x)
    # the warning points at the caller's line, as PyTorch's _stacklevel arranges
    assert {r.filename for r in (*record, *rec2, *rec3)} == {__file__}


def test_softmax2d():
    x = np.random.default_rng(3).normal(size=(2, 3, 2, 2))
    np.testing.assert_allclose(nn.Softmax2d()(ember.tensor(x)).numpy(), np_softmax(x, 1))
    np.testing.assert_allclose(nn.Softmax2d()(ember.tensor(x[0])).numpy(), np_softmax(x[0], 0))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(ember.zeros(2, 3))


def test_gumbel_softmax():
    ember.manual_seed(0)
    logits = ember.tensor(np.log([[0.1, 0.2, 0.7]] * 4), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1.0, rtol=1e-6)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(1) == 1).all()
    hard.sum().backward()  # straight-through: the soft sample's gradient reaches the logits
    assert logits.grad is not None


# -- PReLU, RReLU, GLU --------------------------------------------------------------------------


def test_prelu_module_state_and_init():
    m = nn.PReLU(3)
    assert list(m.state_dict()) == ["weight"]
    assert m.weight.shape == (3,) and m.weight.dtype == ember.float32
    np.testing.assert_array_equal(m.weight.detach().numpy(), [0.25, 0.25, 0.25])
    assert nn.PReLU(init=0.1).weight.tolist() == pytest.approx([0.1])
    m2 = nn.PReLU(3)
    m2.load_state_dict({"weight": ember.tensor([0.1, 0.2, 0.3])}, strict=True)
    m.load_state_dict(m2.state_dict())
    np.testing.assert_allclose(m.weight.detach().numpy(), [0.1, 0.2, 0.3], rtol=1e-7)


def test_prelu_forward_and_gradients():
    x = np.random.default_rng(4).normal(size=(2, 3, 2))
    w = np.array([0.1, -0.5, 2.0])
    out = F.prelu(ember.tensor(x), ember.tensor(w))
    np.testing.assert_allclose(out.numpy(), np.where(x > 0, x, w[None, :, None] * x))
    xt = ember.tensor(x, requires_grad=True)
    for weight in (
        ember.tensor(w, requires_grad=True),
        ember.tensor([0.3], dtype=ember.float64, requires_grad=True),
    ):
        assert gradcheck(F.prelu, (xt, weight))
        assert gradgradcheck(F.prelu, (xt, weight))
    m = nn.PReLU(3).double()
    assert gradcheck(lambda t, weight: m(t), (xt, m.weight))
    # a shared slope works for any shape, including 0-d
    assert F.prelu(ember.tensor(-2.0), ember.tensor([0.5])).item() == -1.0


def test_prelu_errors():
    with pytest.raises(RuntimeError, match=r"PReLU\(num_parameters=3\): expected input of shape"):
        nn.PReLU(3)(ember.zeros(2, 4, 5))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel"):
        F.prelu(ember.zeros(2, 4), ember.zeros(3))
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor"):
        F.prelu(ember.zeros(3, 4), ember.zeros(1, 1))
    with pytest.raises(RuntimeError, match="Type promoting not supported"):
        F.prelu(ember.zeros(3, 4, dtype=ember.float64), ember.zeros(1))


def test_rrelu_training_draws_slopes_and_is_reproducible():
    x = ember.tensor(np.concatenate([-np.linspace(0.5, 3, 5000), np.linspace(0.5, 3, 100)]))
    ember.manual_seed(7)
    out = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    ember.manual_seed(7)
    again = nn.RReLU(0.1, 0.3)(x).numpy()
    np.testing.assert_array_equal(out, again)
    xn = x.numpy()
    slopes = out[:5000] / xn[:5000]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005  # the mean of U(0.1, 0.3), 5 sigma
    np.testing.assert_array_equal(out[5000:], xn[5000:])
    # eval mode: the mean slope
    m = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(m(x).numpy()[:5000], 0.2 * xn[:5000])
    # the gradient is the drawn slope
    xg = ember.tensor(xn, requires_grad=True)
    ember.manual_seed(7)
    F.rrelu(xg, 0.1, 0.3, training=True).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy()[:5000], slopes)


def test_glu_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1"):
        F.glu(ember.zeros(2, 3), 1)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(ember.tensor(1.0))


# -- argument errors and reprs ------------------------------------------------------------------


def test_argument_errors():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(ember.zeros(2), approximate="fast")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(ember.zeros(2), 1.0, 0.0)
    with pytest.raises(AssertionError, match=r"max_val \(0\) must be greater than min_val \(1\)"):
        nn.Hardtanh(1, 0)
    with pytest.raises(RuntimeError, match="lambda must be in range"):
        F.softshrink(ember.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(ember.zeros(2), 0.0)
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        assert nn.Hardtanh(min_value=-2.0).min_val == -2.0


@pytest.mark.parametrize(
    "module, text",
    [
        (nn.ReLU(), "ReLU()"),
        (nn.ReLU(True), "ReLU(inplace=True)"),
        (nn.ReLU6(True), "ReLU6(inplace=True)"),
        (nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
        (nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
        (nn.PReLU(), "PReLU(num_parameters=1)"),
        (nn.ELU(), "ELU(alpha=1.0)"),
        (nn.CELU(inplace=True), "CELU(alpha=1.0, inplace=True)"),
        (nn.SELU(), "SELU()"),
        (nn.GELU(), "GELU(approximate='none')"),
        (nn.GELU("tanh"), "GELU(approximate='tanh')"),
        (nn.SiLU(True), "SiLU(inplace=True)"),
        (nn.Hardswish(True), "Hardswish()"),
        (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
        (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
        (nn.Softshrink(), "Softshrink(0.5)"),
        (nn.Hardshrink(), "Hardshrink(0.5)"),
        (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
        (nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
        (nn.Softmax(1), "Softmax(dim=1)"),
        (nn.LogSoftmax(), "LogSoftmax(dim=None)"),
        (nn.Softmin(0), "Softmin(dim=0)"),
        (nn.Softmax2d(), "Softmax2d()"),
        (nn.GLU(), "GLU(dim=-1)"),
        (nn.Sigmoid(), "Sigmoid()"),
    ],
)
def test_repr(module, text):
    assert repr(module) == text


def test_activations_have_no_state():
    for m in (nn.ReLU(), nn.GELU(), nn.Softmax(1), nn.RReLU()):
        assert list(m.state_dict()) == []


@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "log_softmax", "hardswish", "elu"])
def test_on_device_matches_cpu(name, device):
    fn = {c[0]: c[1] for c in CASES}[name]
    x = ember.tensor(X, device=device, requires_grad=True)
    out = fn(x)
    assert out.device.type == device
    out.sum().backward()
    xc = ember.tensor(X, requires_grad=True)
    ref = fn(xc)
    ref.sum().backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.cpu().numpy(), xc.grad.numpy(), rtol=1e-12)
