"""Adam, AdamW, Adamax, NAdam and RAdam against PyTorch's update rules written out in NumPy
(float64 references, float32 parameters)."""

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(11)
P0 = RNG.standard_normal((3, 4)).astype(np.float32)
GRADS = RNG.standard_normal((8, 3, 4)).astype(np.float32)


def run(opt_cls, grads=GRADS, p0=P0, **kw):
    p = ember.tensor(p0.copy(), requires_grad=True)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = ember.tensor(g)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.stack(out)


def _grad(g, p, weight_decay, maximize):
    g = -g if maximize else g
    return g + weight_decay * p


def adam_reference(p0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled_weight_decay=False):
    b1, b2 = betas
    p = p0.astype(np.float64)
    m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    out = []
    for t, g in enumerate(grads.astype(np.float64), start=1):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
            g = _grad(g, p, 0.0, maximize)
        else:
            g = _grad(g, p, weight_decay, maximize)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        second = vmax if amsgrad else v
        # PyTorch adds eps after bias-correcting sqrt(v)
        denom = np.sqrt(second) / np.sqrt(1 - b2**t) + eps
        p = p - lr / (1 - b1**t) * m / denom
        out.append(p)
    return np.stack(out)


def adamax_reference(p0, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                     maximize=False):
    b1, b2 = betas
    p = p0.astype(np.float64)
    m, u = np.zeros_like(p), np.zeros_like(p)
    out = []
    for t, g in enumerate(grads.astype(np.float64), start=1):
        g = _grad(g, p, weight_decay, maximize)
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr / (1 - b1**t) * m / u
        out.append(p)
    return np.stack(out)


def nadam_reference(p0, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p = p0.astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    mu_product = 1.0
    out = []
    for t, g in enumerate(grads.astype(np.float64), start=1):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
            g = _grad(g, p, 0.0, maximize)
        else:
            g = _grad(g, p, weight_decay, maximize)
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2**t)) + eps
        p = (p - lr * (1 - mu) / (1 - mu_product) * g / denom
             - lr * mu_next / (1 - mu_product * mu_next) * m / denom)
        out.append(p)
    return np.stack(out)


def radam_reference(p0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    p = p0.astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    out = []
    for t, g in enumerate(grads.astype(np.float64), start=1):
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
            g = _grad(g, p, 0.0, maximize)
        else:
            g = _grad(g, p, weight_decay, maximize)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 5:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * m_hat * r * np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * m_hat
        out.append(p)
    return np.stack(out)


def _ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


ADAM_CASES = [
    dict(),
    dict(lr=0.01),
    dict(lr=0.01, betas=(0.5, 0.9), eps=1e-3),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, amsgrad=True, maximize=True, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, betas=(0.3, 0.8)),  # beta1 < 0.5: the other side of lerp's formula
]


@pytest.mark.parametrize("kw", ADAM_CASES, ids=_ids)
def test_adam(kw):
    np.testing.assert_allclose(run(ember.optim.Adam, **kw), adam_reference(P0, GRADS, **kw),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw", [dict(), dict(lr=0.01, weight_decay=0.5), dict(lr=0.01, amsgrad=True, maximize=True)],
    ids=_ids,
)
def test_adamw_is_adam_with_decoupled_decay(kw):
    expected = adam_reference(P0, GRADS, decoupled_weight_decay=True,
                              **{"weight_decay": 1e-2, **kw})
    np.testing.assert_allclose(run(ember.optim.AdamW, **kw), expected, rtol=1e-5, atol=1e-6)
    p = ember.tensor([1.0], requires_grad=True)
    group = ember.optim.AdamW([p]).param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True


@pytest.mark.parametrize(
    "kw", [dict(), dict(lr=0.05, betas=(0.8, 0.9)), dict(lr=0.01, weight_decay=0.1,
                                                          maximize=True)],
    ids=_ids,
)
def test_adamax(kw):
    np.testing.assert_allclose(run(ember.optim.Adamax, **kw), adamax_reference(P0, GRADS, **kw),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(lr=0.01, momentum_decay=0.1),
        dict(lr=0.01, weight_decay=0.1),
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    ],
    ids=_ids,
)
def test_nadam(kw):
    np.testing.assert_allclose(run(ember.optim.NAdam, **kw), nadam_reference(P0, GRADS, **kw),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        # beta2 = 0.9 reaches rho_t > 5 from step 6: both branches of the rectification
        dict(lr=0.01, betas=(0.9, 0.9)),
        dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1),
        dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True,
             maximize=True),
    ],
    ids=_ids,
)
def test_radam(kw):
    np.testing.assert_allclose(run(ember.optim.RAdam, **kw), radam_reference(P0, GRADS, **kw),
                               rtol=1e-5, atol=1e-6)


def test_adam_first_step_is_lr_times_sign():
    # m/(sqrt(v)+eps) after bias correction is g/|g| at t=1: a step of lr per coordinate
    p = ember.tensor([1.0, 1.0, 1.0], requires_grad=True)
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.tensor([3.0, -0.5, 100.0])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.1, 0.9], rtol=1e-6)


def test_adam_state_layout():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.Adam([p], amsgrad=True)
    p.grad = ember.tensor([1.0, 1.0])
    opt.step()
    opt.step()
    state = opt.state[p]
    assert list(state) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    # PyTorch 2 keeps the step count as a 0-d float32 tensor on the CPU
    assert state["step"].shape == () and state["step"].dtype == ember.float32
    assert state["step"].item() == 2.0
    assert state["exp_avg"].dtype == ember.float32 and state["exp_avg"].shape == (2,)


def test_nadam_state_keeps_mu_product():
    p = ember.tensor([1.0], requires_grad=True)
    opt = ember.optim.NAdam([p])
    for _ in range(3):
        p.grad = ember.tensor([1.0])
        opt.step()
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2, 3)]
    assert opt.state[p]["mu_product"].dtype == ember.float32
    np.testing.assert_allclose(opt.state[p]["mu_product"].item(), np.prod(mus), rtol=1e-6)


def test_betas_as_tensors():
    kw = dict(lr=0.01, betas=(ember.tensor(0.8), ember.tensor(0.95)))
    np.testing.assert_allclose(run(ember.optim.Adam, **kw),
                               adam_reference(P0, GRADS, lr=0.01, betas=(0.8, 0.95)),
                               rtol=1e-5, atol=1e-6)


def test_large_parameter_updated_in_blocks():
    rng = np.random.default_rng(2)
    p0 = rng.standard_normal((2, 70_001)).astype(np.float32)
    grads = rng.standard_normal((3, 2, 70_001)).astype(np.float32)
    for cls, ref, kw in [
        (ember.optim.Adam, adam_reference, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
        (ember.optim.NAdam, nadam_reference, dict(lr=0.01)),
        (ember.optim.RAdam, radam_reference, dict(lr=0.01, betas=(0.9, 0.5))),
        (ember.optim.Adamax, adamax_reference, dict(lr=0.01)),
    ]:
        np.testing.assert_allclose(run(cls, grads, p0, **kw), ref(p0, grads, **kw), rtol=1e-5,
                                   atol=1e-6, err_msg=cls.__name__)


@pytest.mark.parametrize(
    "cls, kw, message",
    [
        (ember.optim.Adam, dict(lr=-0.1), "Invalid learning rate: -0.1"),
        (ember.optim.Adam, dict(eps=-1.0), "Invalid epsilon value: -1.0"),
        (ember.optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (ember.optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (ember.optim.Adam, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
        (ember.optim.Adam, dict(betas=(0.9, ember.tensor(0.99))),
         "betas must be either both floats or both Tensors"),
        (ember.optim.AdamW, dict(lr=-1), "Invalid learning rate: -1"),
        (ember.optim.Adamax, dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
        (ember.optim.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
        (ember.optim.RAdam, dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    ],
)
def test_invalid_hyperparameters(cls, kw, message):
    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=message):
        cls([p], **kw)
