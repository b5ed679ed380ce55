"""Linear, Bilinear, Identity, LazyLinear, Flatten, Unflatten: forward against NumPy,
gradcheck/gradgradcheck on inputs and parameters (float64), PyTorch's state_dict keys, default
initialisation bounds, shapes, boundary errors and repr strings."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)


def values(t):
    return t.detach().numpy().astype(np.float64)


def t64(*shape, requires_grad=True):
    return ember.tensor(rng.normal(size=shape), requires_grad=requires_grad)


# -- F.linear ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("x_shape", [(5,), (2, 5), (2, 3, 5), (2, 1, 3, 5)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_numpy(x_shape, with_bias, dtype):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(4, 5)), rng.normal(size=4)
    out = F.linear(
        ember.tensor(x, dtype=dtype), ember.tensor(w, dtype=dtype),
        ember.tensor(b, dtype=dtype) if with_bias else None,
    )  # fmt: skip
    expected = np.einsum("...i,oi->...o", x, w) + (b if with_bias else 0)
    assert out.shape == x_shape[:-1] + (4,) and out.dtype == dtype
    tol = 1e-5 if dtype == ember.float32 else 1e-12
    np.testing.assert_allclose(values(out), expected, rtol=tol, atol=tol)


def test_linear_vector_weight_and_broadcast_bias():
    x, w = rng.normal(size=(3, 5)), rng.normal(size=5)
    out = F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(2.0, dtype=ember.float64))
    assert out.shape == (3,)
    np.testing.assert_allclose(out.numpy(), x @ w + 2.0)
    b2 = rng.normal(size=(3, 4))  # any bias that broadcasts to the output
    w2 = rng.normal(size=(4, 5))
    np.testing.assert_allclose(
        F.linear(ember.tensor(x), ember.tensor(w2), ember.tensor(b2)).numpy(), x @ w2.T + b2
    )


def test_linear_noncontiguous_input():
    x = rng.normal(size=(5, 2, 3))
    xt = ember.tensor(x).permute(1, 2, 0)  # (2, 3, 5), not contiguous
    w = rng.normal(size=(4, 5))
    np.testing.assert_allclose(
        F.linear(xt, ember.tensor(w)).numpy(), np.einsum("bnk,ob->nko", x, w), rtol=1e-12
    )


@pytest.mark.parametrize("x_shape", [(5,), (3, 5), (2, 2, 5)])
def test_linear_gradcheck(x_shape):
    x, w, b = t64(*x_shape), t64(3, 5), t64(3)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))
    assert gradcheck(F.linear, (x, t64(5), t64(1)))  # 1-d weight


def test_linear_gradgradcheck():
    x, w, b = t64(2, 2, 3), t64(2, 3), t64(2)
    assert gradgradcheck(F.linear, (x, w, b))


def test_linear_backward_matches_numpy():
    x, w, b = t64(2, 3, 4), t64(5, 4), t64(5)
    g = rng.normal(size=(2, 3, 5))
    F.linear(x, w, b).backward(ember.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g @ w.detach().numpy())
    np.testing.assert_allclose(
        w.grad.numpy(), np.einsum("nto,nti->oi", g, x.detach().numpy()), rtol=1e-12
    )
    np.testing.assert_allclose(b.grad.numpy(), g.sum((0, 1)), rtol=1e-12)


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_linear_half_precision(dtype):
    x, w, b = rng.normal(size=(3, 8)), rng.normal(size=(4, 8)), rng.normal(size=4)
    xt, wt, bt = (ember.tensor(a, dtype=dtype, requires_grad=True) for a in (x, w, b))
    out = F.linear(xt, wt, bt)
    assert out.dtype == dtype
    exact = values(xt) @ values(wt).T + values(bt)
    tol = 5e-2 if dtype == ember.bfloat16 else 5e-3
    np.testing.assert_allclose(values(out), exact, rtol=tol, atol=tol)
    out.sum().backward()
    assert xt.grad.dtype == dtype and wt.grad.dtype == dtype and bt.grad.dtype == dtype


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"input of shape \(2, 3\) and weight of shape \(4, 5\)"):
        F.linear(ember.zeros(2, 3), ember.zeros(4, 5))
    with pytest.raises(RuntimeError, match="same dtype, but got input float32, weight float64"):
        F.linear(ember.zeros(2, 3), ember.zeros(4, 3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="bias float64"):
        F.linear(ember.zeros(2, 3), ember.zeros(4, 3), ember.zeros(4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"bias of shape \(3,\) cannot be broadcast"):
        F.linear(ember.zeros(2, 3), ember.zeros(4, 3), ember.zeros(3))
    with pytest.raises(RuntimeError, match="1-d or 2-d weight"):
        F.linear(ember.zeros(2, 3), ember.zeros(1, 4, 3))


# -- nn.Linear ---------------------------------------------------------------------------------


def test_linear_module_state_and_shapes():
    m = nn.Linear(4, 3)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert m.weight.shape == (3, 4) and m.bias.shape == (3,)
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad
    assert list(nn.Linear(4, 3, bias=False).state_dict()) == ["weight"]
    assert nn.Linear(4, 3, bias=False).bias is None
    assert nn.Linear(4, 3, dtype=ember.float64).weight.dtype == ember.float64
    assert m(ember.zeros(7, 2, 4)).shape == (7, 2, 3)
    assert m(ember.zeros(4)).shape == (3,)
    assert repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    assert repr(nn.Linear(2, 1, False)) == "Linear(in_features=2, out_features=1, bias=False)"


def test_linear_default_init_bounds():
    ember.manual_seed(0)
    m = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(fan_in), ...)
    w, b = values(m.weight), values(m.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # the whole range is used: U(-bound, bound) has std bound / sqrt(3)
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.01 * bound
    ember.manual_seed(0)
    np.testing.assert_array_equal(values(nn.Linear(400, 50).weight), w)  # reproducible


def test_linear_module_gradcheck_on_parameters():
    m = nn.Linear(3, 2).double()
    x = t64(2, 3)
    assert gradcheck(lambda x, w, b: m(x), (x, m.weight, m.bias))
    assert gradgradcheck(lambda x, w, b: m(x), (x, m.weight, m.bias))


def test_linear_module_error_names_the_layer():
    with pytest.raises(
        RuntimeError,
        match=r"Linear\(in_features=4, out_features=3\): expected input with last dimension 4, "
        r"got input of shape \(2, 5\)",
    ):
        nn.Linear(4, 3)(ember.zeros(2, 5))
    with pytest.raises(RuntimeError, match=r"got input of shape \(\)"):
        nn.Linear(4, 3)(ember.tensor(1.0))


def test_linear_load_state_dict_round_trip():
    src, dst = nn.Linear(4, 3), nn.Linear(4, 3)
    result = dst.load_state_dict(src.state_dict(), strict=True)
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    x = ember.randn(2, 4)
    np.testing.assert_array_equal(dst(x).detach().numpy(), src(x).detach().numpy())
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.Linear(5, 3).load_state_dict(src.state_dict())


def test_linear_trains():
    # a least-squares problem: plain gradient descent with module gradients converges
    ember.manual_seed(1)
    x = ember.tensor(rng.normal(size=(64, 3)), dtype=ember.float32)
    true_w = np.array([[1.5, -2.0, 0.5]], dtype=np.float32)
    y = ember.tensor(x.numpy() @ true_w.T + 0.3)
    m = nn.Linear(3, 1)
    for _ in range(300):
        loss = ((m(x) - y) ** 2).mean()
        m.zero_grad()
        loss.backward()
        with ember.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
    np.testing.assert_allclose(values(m.weight), true_w, atol=1e-3)
    np.testing.assert_allclose(values(m.bias), [0.3], atol=1e-3)


# -- Bilinear ----------------------------------------------------------------------------------


def test_bilinear_matches_numpy_and_shapes():
    x1, x2 = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 5))
    w, b = rng.normal(size=(6, 4, 5)), rng.normal(size=6)
    out = F.bilinear(ember.tensor(x1), ember.tensor(x2), ember.tensor(w), ember.tensor(b))
    expected = np.einsum("...i,oij,...j->...o", x1, w, x2) + b
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    one = F.bilinear(ember.tensor(x1[0, 0]), ember.tensor(x2[0, 0]), ember.tensor(w))
    assert one.shape == (6,)
    np.testing.assert_allclose(one.numpy(), expected[0, 0] - b, rtol=1e-12)


def test_bilinear_gradcheck():
    x1, x2, w, b = t64(2, 3), t64(2, 2), t64(2, 3, 2), t64(2)
    assert gradcheck(F.bilinear, (x1, x2, w, b))
    assert gradgradcheck(F.bilinear, (x1, x2, w, b))


def test_bilinear_module():
    ember.manual_seed(0)
    m = nn.Bilinear(20, 30, 40)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert m.weight.shape == (40, 20, 30) and m.bias.shape == (40,)
    bound = 1 / math.sqrt(20)
    assert np.abs(values(m.weight)).max() <= bound and np.abs(values(m.bias)).max() <= bound
    assert np.abs(values(m.weight)).max() > 0.99 * bound
    assert m(ember.randn(128, 20), ember.randn(128, 30)).shape == (128, 40)
    assert repr(m) == "Bilinear(in1_features=20, in2_features=30, out_features=40, bias=True)"
    assert list(nn.Bilinear(2, 3, 4, bias=False).state_dict()) == ["weight"]
    with pytest.raises(RuntimeError, match=r"Bilinear\(in1_features=20, in2_features=30, "):
        m(ember.randn(2, 20), ember.randn(2, 31))
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        nn.Bilinear(0, 3, 4)
    md = nn.Bilinear(2, 3, 2).double()
    x1, x2 = t64(2, 2), t64(2, 3)
    assert gradcheck(lambda a, b, w, bias: md(a, b), (x1, x2, md.weight, md.bias))


def test_bilinear_errors():
    with pytest.raises(RuntimeError, match="input batch dimensions do not match at dim 0"):
        F.bilinear(ember.zeros(2, 3), ember.zeros(3, 4), ember.zeros(5, 3, 4))
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 5"):
        F.bilinear(ember.zeros(2, 3), ember.zeros(2, 5), ember.zeros(5, 3, 4))
    with pytest.raises(RuntimeError, match="bias size does not match weight size"):
        F.bilinear(ember.zeros(2, 3), ember.zeros(2, 4), ember.zeros(5, 3, 4), ember.zeros(4))


# -- Identity, LazyLinear ------------------------------------------------------------------------


def test_identity():
    m = nn.Identity(54, unused_argument="x")
    x = ember.randn(3)
    assert m(x) is x
    assert repr(m) == "Identity()" and list(m.state_dict()) == []


def test_lazy_linear_infers_in_features():
    ember.manual_seed(0)
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert m.has_uninitialized_params()
    out = m(ember.randn(2, 5))
    assert out.shape == (2, 3)
    assert type(m) is nn.Linear and m.in_features == 5
    assert m.weight.shape == (3, 5) and m.bias.shape == (3,)
    assert list(m.state_dict()) == ["weight", "bias"]
    bound = 1 / math.sqrt(5)
    assert np.abs(values(m.weight)).max() <= bound and np.abs(values(m.bias)).max() <= bound
    assert m.weight.requires_grad
    assert nn.LazyLinear(2, bias=False)(ember.randn(4)).shape == (2,)


def test_lazy_linear_loads_a_state_dict():
    src = nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    m.load_state_dict(src.state_dict())
    x = ember.randn(2, 5)
    np.testing.assert_array_equal(m(x).detach().numpy(), src(x).detach().numpy())
    assert type(m) is nn.Linear and m.in_features == 5


# -- Flatten, Unflatten --------------------------------------------------------------------------


def test_flatten_and_unflatten():
    x = ember.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Flatten(-2)(x).shape == (2, 3, 20)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    u = nn.Unflatten(1, (3, 20))
    assert u(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Unflatten(-1, [5, -1])(ember.zeros(2, 10)).shape == (2, 5, 2)
    assert repr(nn.Unflatten(1, [2, 3])) == "Unflatten(dim=1, unflattened_size=[2, 3])"
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(3, 20))"
    np.testing.assert_array_equal(u(nn.Flatten()(x)).numpy(), x.numpy().reshape(2, 3, 20))
    with pytest.raises(TypeError, match="found element of type float at pos 1"):
        nn.Unflatten(1, (2, 3.0))
    with pytest.raises(TypeError, match="must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 6)
    xg = t64(2, 2, 3)
    assert gradcheck(lambda t: nn.Unflatten(1, (3, 2))(nn.Flatten()(t)), (xg,))


def test_linear_on_device_matches_cpu(device):
    m = nn.Linear(5, 3).double()
    x = rng.normal(size=(2, 4, 5))
    ref = m(ember.tensor(x))
    md = m.to(device)
    xd = ember.tensor(x, device=device, requires_grad=True)
    out = md(xd)
    assert out.device.type == device
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(
        xd.grad.cpu().numpy(),
        np.broadcast_to(m.weight.detach().cpu().numpy().sum(0), (2, 4, 5)),
        rtol=1e-12,
    )
