"""SGD against PyTorch's update rule written out in NumPy (float64), on float32 parameters."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

RNG = np.random.default_rng(7)
P0 = RNG.standard_normal((3, 4)).astype(np.float32)
GRADS = RNG.standard_normal((6, 3, 4)).astype(np.float32)


def run(opt_cls, grads=GRADS, p0=P0, device="cpu", **kw):
    """Parameter values after each step, with ``p.grad`` set to each of ``grads`` in turn."""
    p = ember.tensor(p0.copy(), requires_grad=True, device=device)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = ember.tensor(g, device=device)
        opt.step()
        out.append(p.detach().cpu().numpy().copy())
    return np.stack(out)


def sgd_reference(p0, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False):
    """PyTorch's SGD: the buffer starts as the first gradient; dampening scales new grads."""
    p = p0.astype(np.float64)
    buf = None
    out = []
    for g in grads.astype(np.float64):
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return np.stack(out)


def test_one_step_literal():
    p = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    p.grad = ember.tensor([0.5, -1.0])
    assert opt.step() is None
    np.testing.assert_allclose(p.detach().numpy(), [0.95, -1.9], rtol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=0.1),
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.05, momentum=0.9, dampening=0.5),
        dict(lr=0.1, momentum=0.8, weight_decay=0.1),
        dict(lr=0.1, momentum=0.9, nesterov=True),
        dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True),
        dict(lr=0.1, weight_decay=0.2, maximize=True),
        dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.1, maximize=True),
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_matches_reference(kw):
    got = run(ember.optim.SGD, **kw)
    np.testing.assert_allclose(got, sgd_reference(P0, GRADS, **kw), rtol=1e-5, atol=1e-6)


def test_default_lr_is_1e_3():
    np.testing.assert_allclose(run(ember.optim.SGD), sgd_reference(P0, GRADS, lr=1e-3),
                               rtol=1e-6, atol=1e-7)


def test_param_groups_with_their_own_lr_and_momentum():
    a = ember.tensor(P0.copy(), requires_grad=True)
    b = ember.tensor(P0.copy(), requires_grad=True)
    opt = ember.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01, "momentum": 0.5}],
                          lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0.5
    assert opt.param_groups[1]["dampening"] == 0  # missing keys take the defaults
    for g in GRADS:
        a.grad, b.grad = ember.tensor(g), ember.tensor(g)
        opt.step()
    np.testing.assert_allclose(a.detach().numpy(),
                               sgd_reference(P0, GRADS, lr=0.1, momentum=0.9)[-1], rtol=1e-5)
    np.testing.assert_allclose(b.detach().numpy(),
                               sgd_reference(P0, GRADS, lr=0.01, momentum=0.5)[-1], rtol=1e-5)


def test_tensor_lr():
    got = run(ember.optim.SGD, lr=ember.tensor(0.1), momentum=0.9)
    np.testing.assert_allclose(got, sgd_reference(P0, GRADS, lr=0.1, momentum=0.9), rtol=1e-5,
                               atol=1e-6)


def test_param_without_grad_is_skipped():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0], requires_grad=True)
    opt = ember.optim.SGD([a, b], lr=0.5, momentum=0.9)
    a.grad = ember.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.5, 1.5])
    np.testing.assert_allclose(b.detach().numpy(), [3.0])
    assert b not in opt.state and "momentum_buffer" in opt.state[a]


def test_momentum_buffer_is_state_and_first_buffer_is_the_gradient():
    p = ember.tensor([1.0, 1.0], requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = ember.tensor([2.0, -4.0])
    opt.step()
    # no dampening on the first step (PyTorch clones the gradient)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [2.0, -4.0])
    p.grad = ember.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(),
                               [0.9 * 2 + 0.5, 0.9 * -4 + 0.5])


def test_no_momentum_keeps_no_state():
    p = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.SGD([p], lr=0.1)
    p.grad = ember.tensor([1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_float64_and_non_contiguous_parameters():
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    p = ember.tensor(base.T.copy(), requires_grad=True)
    p._data = base.T  # a transposed (non-contiguous) view, updated in place
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad = ember.tensor(np.ones((4, 3)))
    opt.step()
    opt.step()
    assert p._data.dtype == np.float64
    np.testing.assert_allclose(base.T, np.arange(12.0).reshape(3, 4).T - 0.5 - 0.5 * 1.9)


def test_large_parameter_updated_in_blocks_matches_reference():
    # more elements than one CPU block (65536) and not a multiple of it
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal(150_001).astype(np.float32)
    grads = rng.standard_normal((3, 150_001)).astype(np.float32)
    kw = dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    np.testing.assert_allclose(run(ember.optim.SGD, grads, p0, **kw),
                               sgd_reference(p0, grads, **kw), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(lr=-1), "Invalid learning rate: -1"),
        (dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
        (dict(lr=0.1, weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
        (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum"),
    ],
)
def test_invalid_hyperparameters(kw, message):
    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=message):
        ember.optim.SGD([p], **kw)


def test_tensor_lr_must_have_one_element():
    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        ember.optim.SGD([p], lr=ember.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"Invalid learning rate: -1\.0"):
        ember.optim.SGD([p], lr=ember.tensor(-1.0))


def test_differentiable_is_refused_and_foreach_fused_accepted():
    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        ember.optim.SGD([p], lr=0.1, differentiable=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        ember.optim.SGD([p], lr=0.1, foreach=True, fused=True)
    opt = ember.optim.SGD([p], lr=0.1, foreach=True)
    assert opt.defaults["foreach"] is True


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    dampening=st.sampled_from([0.0, 0.3]),
    weight_decay=st.sampled_from([0.0, 1e-3, 0.1]),
    nesterov=st.booleans(),
    maximize=st.booleans(),
)
def test_any_option_combination_matches_reference(lr, momentum, dampening, weight_decay,
                                                  nesterov, maximize):
    if nesterov and (momentum == 0 or dampening != 0):
        return  # refused up front (tested above)
    kw = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
              nesterov=nesterov, maximize=maximize)
    np.testing.assert_allclose(run(ember.optim.SGD, GRADS[:3], **kw),
                               sgd_reference(P0, GRADS[:3], **kw), rtol=1e-5, atol=1e-5)
