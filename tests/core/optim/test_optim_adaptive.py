"""RMSprop, Adagrad and Adadelta against PyTorch's update rules written out in NumPy (float64
references, float32 parameters)."""

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(5)
P0 = RNG.standard_normal((4, 3)).astype(np.float32)
GRADS = RNG.standard_normal((7, 4, 3)).astype(np.float32)


def run(opt_cls, grads=GRADS, p0=P0, **kw):
    p = ember.tensor(p0.copy(), requires_grad=True)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = ember.tensor(g)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.stack(out)


def rmsprop_reference(p0, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False, maximize=False):
    p = p0.astype(np.float64)
    sq, gavg, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    out = []
    for g in grads.astype(np.float64):
        g = (-g if maximize else g) + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g * g
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            avg = np.sqrt(sq - gavg * gavg) + eps
        else:
            avg = np.sqrt(sq) + eps  # eps outside the square root
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        out.append(p)
    return np.stack(out)


def adagrad_reference(p0, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    p = p0.astype(np.float64)
    s = np.full_like(p, initial_accumulator_value)
    out = []
    for t, g in enumerate(grads.astype(np.float64), start=1):
        g = (-g if maximize else g) + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        out.append(p)
    return np.stack(out)


def adadelta_reference(p0, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    p = p0.astype(np.float64)
    v, u = np.zeros_like(p), np.zeros_like(p)
    out = []
    for g in grads.astype(np.float64):
        g = (-g if maximize else g) + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
        out.append(p)
    return np.stack(out)


def _ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(alpha=0.9, eps=1e-3),
        dict(momentum=0.9),
        dict(centered=True),
        dict(centered=True, momentum=0.5, weight_decay=0.1),
        dict(weight_decay=0.1, maximize=True),
    ],
    ids=_ids,
)
def test_rmsprop(kw):
    np.testing.assert_allclose(run(ember.optim.RMSprop, **kw),
                               rmsprop_reference(P0, GRADS, **kw), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(lr=0.1, lr_decay=0.5),
        dict(lr=0.1, initial_accumulator_value=0.3, eps=1e-3),
        dict(lr=0.1, weight_decay=0.1, maximize=True),
    ],
    ids=_ids,
)
def test_adagrad(kw):
    np.testing.assert_allclose(run(ember.optim.Adagrad, **kw),
                               adagrad_reference(P0, GRADS, **kw), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [dict(), dict(lr=0.5, rho=0.5, eps=1e-3), dict(weight_decay=0.1, maximize=True)],
    ids=_ids,
)
def test_adadelta(kw):
    np.testing.assert_allclose(run(ember.optim.Adadelta, **kw),
                               adadelta_reference(P0, GRADS, **kw), rtol=1e-5, atol=1e-6)


def test_adagrad_state_exists_before_the_first_step():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["step"].item() == 0.0
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), [0.25, 0.25])


def test_adagrad_group_added_later_gets_state_at_its_first_step():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([2.0], requires_grad=True)
    opt = ember.optim.Adagrad([a], lr=0.5, initial_accumulator_value=1.0)
    opt.add_param_group({"params": [b]})
    assert b not in opt.state
    b.grad = ember.tensor([1.0])
    opt.step()
    # sum = 1 + 1 = 2; b = 2 - 0.5 * 1 / sqrt(2)
    np.testing.assert_allclose(b.detach().numpy(), [2 - 0.5 / np.sqrt(2)], rtol=1e-6)


def test_rmsprop_state_keys_follow_the_options():
    p = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.RMSprop([p], momentum=0.9, centered=True)
    p.grad = ember.tensor([1.0])
    opt.step()
    assert sorted(opt.state[p]) == ["grad_avg", "momentum_buffer", "square_avg", "step"]
    opt = ember.optim.RMSprop([p])
    opt.step()
    assert sorted(opt.state[p]) == ["square_avg", "step"]


def test_large_parameter_updated_in_blocks():
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal(140_000).astype(np.float32)
    grads = rng.standard_normal((3, 140_000)).astype(np.float32)
    for cls, ref, kw in [
        (ember.optim.RMSprop, rmsprop_reference, dict(momentum=0.9, centered=True)),
        (ember.optim.Adagrad, adagrad_reference, dict(lr_decay=0.1)),
        (ember.optim.Adadelta, adadelta_reference, dict()),
    ]:
        np.testing.assert_allclose(run(cls, grads, p0, **kw), ref(p0, grads, **kw), rtol=1e-5,
                                   atol=1e-6, err_msg=cls.__name__)


@pytest.mark.parametrize(
    "cls, kw, message",
    [
        (ember.optim.RMSprop, dict(lr=-1), "Invalid learning rate: -1"),
        (ember.optim.RMSprop, dict(alpha=-0.1), "Invalid alpha value: -0.1"),
        (ember.optim.RMSprop, dict(momentum=-1), "Invalid momentum value: -1"),
        (ember.optim.RMSprop, dict(eps=-1), "Invalid epsilon value: -1"),
        (ember.optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
        (ember.optim.Adagrad, dict(initial_accumulator_value=-1),
         "Invalid initial_accumulator_value value: -1"),
        (ember.optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
        (ember.optim.Adadelta, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ],
)
def test_invalid_hyperparameters(cls, kw, message):
    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=message):
        cls([p], **kw)
