"""The regression, binary, divergence and likelihood losses (functional and modules) against
NumPy references written here, for every reduction; gradcheck in float64 for each (input, and
target where differentiable); gradgradcheck for mse and BCE-with-logits; stability; PyTorch's
error texts; every loss module's defaults, buffers and state_dict keys.
(cross_entropy/nll_loss: test_nn_loss_ce.py; ctc_loss: test_nn_loss_ctc.py; margin and
embedding losses: test_nn_loss_margin.py.)"""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(3)
REDUCTIONS = ["none", "mean", "sum"]


def t64(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def reduce_np(losses, reduction):
    return {"none": losses, "mean": np.mean(losses), "sum": np.sum(losses)}[reduction]


def softplus(x):
    return np.logaddexp(0.0, x)  # log(1 + e^x), stable


def check(out, expected, rtol=1e-12, atol=1e-12):
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=rtol, atol=atol)


X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))


# -- regression ----------------------------------------------------------------------------------


def smooth_l1_np(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta)


def huber_np(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * a**2, delta * (a - 0.5 * delta))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    x, y = t64(X), t64(Y)
    d = X - Y
    check(F.mse_loss(x, y, reduction=reduction), reduce_np(d**2, reduction))
    check(F.l1_loss(x, y, reduction=reduction), reduce_np(np.abs(d), reduction))
    check(
        F.smooth_l1_loss(x, y, reduction=reduction, beta=0.7),
        reduce_np(smooth_l1_np(d, 0.7), reduction),
    )
    check(
        F.huber_loss(x, y, reduction=reduction, delta=0.6), reduce_np(huber_np(d, 0.6), reduction)
    )
    w = RNG.random((3, 4))
    weighted = {"none": w * d**2, "sum": (w * d**2).sum(), "mean": (w * d**2).sum() / w.sum()}
    check(F.mse_loss(x, y, reduction=reduction, weight=t64(w)), weighted[reduction])
    check(
        F.huber_loss(x, y, reduction=reduction, weight=t64(w)),  # plain mean, as PyTorch
        reduce_np(w * huber_np(d, 1.0), reduction),
    )


def test_regression_identities():
    x, y = t64(X * 3), t64(Y)
    # beta = 0 is the L1 loss; huber(delta) = delta * smooth_l1(beta=delta)
    check(F.smooth_l1_loss(x, y, beta=0.0), F.l1_loss(x, y).numpy())
    check(F.huber_loss(x, y, delta=0.5), 0.5 * F.smooth_l1_loss(x, y, beta=0.5).numpy())
    assert F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0])).item() == 2.5


def test_broadcast_target_warns():
    with pytest.warns(UserWarning, match=r"Using a target size .* different to the input size"):
        out = F.mse_loss(t64(X), t64(Y[:1]), reduction="none")
    check(out, (X - Y[:1]) ** 2)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.l1_loss(t64(X), t64(Y[0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_gradcheck(reduction):
    x, y = t64(X[:2], grad=True), t64(Y[:2], grad=True)
    w = t64(RNG.random((2, 4)))
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), (x, y))
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction, weight=w), (x, y))
    assert gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), (x, y))
    assert gradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.8), (x, y))
    assert gradcheck(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.8), (x, y))


def test_mse_gradgradcheck_and_broadcast_grads():
    x, y = t64(X[:2], grad=True), t64(Y[:1], grad=True)
    with pytest.warns(UserWarning):
        assert gradgradcheck(lambda a, b: F.mse_loss(a, b), (x, y))
    assert gradgradcheck(lambda a, b: F.mse_loss(a, b, reduction="none"), (x, t64(Y[:2], True)))


def test_regression_errors():
    with pytest.raises(
        RuntimeError, match="smooth_l1_loss does not support negative values for beta"
    ):
        F.smooth_l1_loss(t64(X), t64(Y), beta=-1)
    with pytest.raises(
        RuntimeError, match="huber_loss does not support non-positive values for delta"
    ):
        F.huber_loss(t64(X), t64(Y), delta=0)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(t64(X), t64(Y), weight=t64(np.ones(4)))
    with pytest.raises(RuntimeError, match="mse_loss: expected floating point"):
        F.mse_loss(ember.tensor([1, 2]), ember.tensor([1, 2]))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.l1_loss(t64(X), t64(Y), reduction="bad")


# -- binary cross entropy ------------------------------------------------------------------------


P = RNG.uniform(0.05, 0.95, (3, 4))
T = RNG.random((3, 4))


def bce_np(p, t, w=1.0):
    return -w * (t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))


def bce_logits_np(x, t, w=1.0, pw=1.0):
    # -[pw t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], log sigmoid(x) = -softplus(-x)
    return w * (pw * t * softplus(-x) + (1 - t) * softplus(x))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    check(
        F.binary_cross_entropy(t64(P), t64(T), reduction=reduction),
        reduce_np(bce_np(P, T), reduction),
    )
    w = RNG.random(4)  # broadcast over the rows
    check(
        F.binary_cross_entropy(t64(P), t64(T), weight=t64(w), reduction=reduction),
        reduce_np(bce_np(P, T, w), reduction),
    )


def test_bce_clamps_log_at_minus_100():
    out = F.binary_cross_entropy(
        ember.tensor([0.0, 1.0, 1.0]), ember.tensor([1.0, 0.0, 1.0]), reduction="none"
    )
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0, 0.0])


def test_bce_gradcheck():
    p, t = t64(P[:2], grad=True), t64(T[:2], grad=True)
    w = t64(RNG.random(4))
    for reduction in REDUCTIONS:
        assert gradcheck(
            lambda a, b, r=reduction: F.binary_cross_entropy(a, b, weight=w, reduction=r), (p, t)
        )


def test_bce_errors():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([0.5]), ember.tensor([2.0]))
    with pytest.raises(ValueError, match=r"Using a target size .* is deprecated"):
        F.binary_cross_entropy(t64(P), t64(T[:2]))
    with pytest.raises(RuntimeError, match=r"weight of shape \(3,\) cannot be broadcast"):
        F.binary_cross_entropy(t64(P), t64(T), weight=t64(np.ones(3)))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.binary_cross_entropy(t64(P), t64(T), weight=t64(np.ones(4), grad=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    x = X * 4
    check(
        F.binary_cross_entropy_with_logits(t64(x), t64(T), reduction=reduction),
        reduce_np(bce_logits_np(x, T), reduction),
    )
    w, pw = RNG.random((3, 1)), RNG.random(4) * 3  # pos_weight broadcast over the class dim
    out = F.binary_cross_entropy_with_logits(
        t64(x), t64(T), t64(w), reduction=reduction, pos_weight=t64(pw)
    )
    check(out, reduce_np(bce_logits_np(x, T, w, pw), reduction))


def test_bce_with_logits_matches_bce_of_sigmoid():
    x = X * 2
    out = F.binary_cross_entropy_with_logits(t64(x), t64(T))
    assert out.item() == pytest.approx(
        F.binary_cross_entropy(t64(1 / (1 + np.exp(-x))), t64(T)).item(), rel=1e-12
    )


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_bce_with_logits_stable(dtype):
    x = ember.tensor([1e4, -1e4, 1e4, -1e4], dtype=dtype, requires_grad=True)
    t = ember.tensor([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    out = F.binary_cross_entropy_with_logits(
        x, t, reduction="none", pos_weight=ember.tensor([2.0], dtype=dtype)
    )
    # right answers cost ~0, wrong ones |x| (times pos_weight 2 for the missed positive)
    np.testing.assert_allclose(out.detach().numpy(), [0.0, 0.0, 1e4, 2e4], atol=1e-3)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -2.0], atol=1e-6)


def test_bce_with_logits_grads():
    x, t = t64(X[:2], grad=True), t64(T[:2], grad=True)
    w, pw = t64(RNG.random((2, 1))), t64(RNG.random(4) * 3)
    for reduction in REDUCTIONS:
        assert gradcheck(
            lambda a, b, r=reduction: F.binary_cross_entropy_with_logits(
                a, b, w, reduction=r, pos_weight=pw
            ),
            (x, t),
        )
    assert gradgradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b), (x, t))
    assert gradgradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, pos_weight=pw, reduction="none"),
        (x, t),
    )


def test_bce_with_logits_errors():
    with pytest.raises(ValueError, match=r"Target size \(.*\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(t64(X), t64(T[:2]))
    with pytest.raises(RuntimeError, match="pos_weight of shape"):
        F.binary_cross_entropy_with_logits(t64(X), t64(T), pos_weight=t64(np.ones(3)))


# -- divergences and likelihoods -------------------------------------------------------------------


LOGQ = np.log(RNG.random((3, 4)))
PT = RNG.random((3, 4))
PT[0, 0] = 0.0


def kl_np(logq, p):
    safe = np.where(p > 0, p, 1.0)
    return np.where(p > 0, p * (np.log(safe) - logq), 0.0)


def test_kl_div():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        check(F.kl_div(t64(LOGQ), t64(PT)), kl_np(LOGQ, PT).mean())
    for reduction in ("none", "sum"):
        check(
            F.kl_div(t64(LOGQ), t64(PT), reduction=reduction), reduce_np(kl_np(LOGQ, PT), reduction)
        )
    check(F.kl_div(t64(LOGQ), t64(PT), reduction="batchmean"), kl_np(LOGQ, PT).sum() / 3)
    logp = np.log(PT[1:])
    check(
        F.kl_div(t64(LOGQ[1:]), t64(logp), reduction="sum", log_target=True),
        kl_np(LOGQ[1:], PT[1:]).sum(),
    )


def test_kl_div_grads():
    q, p = t64(LOGQ[1:], grad=True), t64(PT[1:] + 0.1, grad=True)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="batchmean"), (q, p))
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), (q, p))


COUNTS = RNG.poisson(2.0, (3, 4)).astype(np.float64)


def poisson_np(x, t, log_input, full, eps=1e-8):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        safe = np.where(t > 1, t, 1.0)
        loss = loss + np.where(
            t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0.0
        )
    return loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll(reduction):
    check(
        F.poisson_nll_loss(t64(X), t64(COUNTS), reduction=reduction),
        reduce_np(poisson_np(X, COUNTS, True, False), reduction),
    )
    rate = P + 0.1
    check(
        F.poisson_nll_loss(t64(rate), t64(COUNTS), log_input=False, full=True, reduction=reduction),
        reduce_np(poisson_np(rate, COUNTS, False, True), reduction),
    )


def test_poisson_nll_grads():
    counts = COUNTS[:2] + 0.5  # away from t = 0 where d/dt of t log t diverges
    x, t = t64(X[:2], grad=True), t64(counts, grad=True)
    assert gradcheck(lambda a, b: F.poisson_nll_loss(a, b), (x, t))
    r = t64(P[:2] + 0.1, grad=True)
    assert gradcheck(lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True), (r, t))


def gaussian_np(x, t, var, full=False, eps=1e-6):
    var = np.maximum(var, eps)
    loss = 0.5 * (np.log(var) + (x - t) ** 2 / var)
    return loss + 0.5 * math.log(2 * math.pi) if full else loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll(reduction):
    var = RNG.random((3, 4)) + 0.1
    var[0, 0] = 1e-9  # clamped to eps
    check(
        F.gaussian_nll_loss(t64(X), t64(Y), t64(var), reduction=reduction),
        reduce_np(gaussian_np(X, Y, var), reduction),
    )
    # homoscedastic forms: a (3,) var (input's shape without the last dim), a (3, 1) var, a float
    v3 = var[:, 1]
    check(
        F.gaussian_nll_loss(t64(X), t64(Y), t64(v3), full=True, reduction=reduction),
        reduce_np(gaussian_np(X, Y, v3[:, None], full=True), reduction),
    )
    check(
        F.gaussian_nll_loss(t64(X), t64(Y), t64(v3[:, None]), reduction=reduction),
        reduce_np(gaussian_np(X, Y, v3[:, None]), reduction),
    )
    check(
        F.gaussian_nll_loss(t64(X), t64(Y), 0.5, reduction=reduction),
        reduce_np(gaussian_np(X, Y, np.full((3, 4), 0.5)), reduction),
    )


def test_gaussian_nll_grads_and_clamp():
    var = t64(RNG.random((2, 4)) + 0.2, grad=True)
    x, y = t64(X[:2], grad=True), t64(Y[:2], grad=True)
    assert gradcheck(lambda a, b, v: F.gaussian_nll_loss(a, b, v), (x, y, var))
    # below eps the value is clamped but the gradient flows as if unclamped (PyTorch)
    v = t64([1e-9], grad=True)
    F.gaussian_nll_loss(t64([0.0]), t64([0.0]), v, eps=1e-6).backward()
    assert v.grad.item() == pytest.approx(0.5 / 1e-6)


def test_gaussian_nll_errors():
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(t64(X), t64(Y), t64(-np.ones((3, 4))))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(t64(X), t64(Y), -1.0)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(t64(X), t64(Y), t64(np.ones(4)))
    with pytest.raises(ValueError, match="bad is not valid"):
        F.gaussian_nll_loss(t64(X), t64(Y), 1.0, reduction="bad")


# -- modules ---------------------------------------------------------------------------------------


MODULE_DEFAULTS = [
    (nn.L1Loss, {"reduction": "mean"}),
    (nn.MSELoss, {"reduction": "mean"}),
    (nn.SmoothL1Loss, {"reduction": "mean", "beta": 1.0}),
    (nn.HuberLoss, {"reduction": "mean", "delta": 1.0}),
    (nn.BCELoss, {"reduction": "mean", "weight": None}),
    (nn.BCEWithLogitsLoss, {"reduction": "mean", "weight": None, "pos_weight": None}),
    (nn.KLDivLoss, {"reduction": "mean", "log_target": False}),
    (nn.PoissonNLLLoss, {"log_input": True, "full": False, "eps": 1e-8, "reduction": "mean"}),
    (nn.GaussianNLLLoss, {"full": False, "eps": 1e-6, "reduction": "mean"}),
    (nn.CosineEmbeddingLoss, {"margin": 0.0, "reduction": "mean"}),
    (nn.MarginRankingLoss, {"margin": 0.0, "reduction": "mean"}),
    (nn.HingeEmbeddingLoss, {"margin": 1.0, "reduction": "mean"}),
    (nn.SoftMarginLoss, {"reduction": "mean"}),
    (nn.MultiLabelSoftMarginLoss, {"reduction": "mean", "weight": None}),
    (nn.MultiMarginLoss, {"p": 1, "margin": 1.0, "weight": None, "reduction": "mean"}),
    (nn.MultiLabelMarginLoss, {"reduction": "mean"}),
    (
        nn.TripletMarginLoss,
        {"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False, "reduction": "mean"},
    ),
]


@pytest.mark.parametrize("cls, defaults", MODULE_DEFAULTS, ids=lambda v: getattr(v, "__name__", ""))
def test_module_defaults(cls, defaults):
    module = cls()
    for name, value in defaults.items():
        assert getattr(module, name) == value
    assert repr(module) == f"{cls.__name__}()"
    assert list(module.state_dict()) == []


def test_modules_call_functional():
    x, y = t64(X), t64(Y)
    assert nn.SmoothL1Loss(beta=0.5, reduction="sum")(x, y).item() == pytest.approx(
        smooth_l1_np(X - Y, 0.5).sum()
    )
    assert nn.HuberLoss(delta=0.5)(x, y).item() == pytest.approx(huber_np(X - Y, 0.5).mean())
    pw = RNG.random(4) + 0.5
    module = nn.BCEWithLogitsLoss(pos_weight=t64(pw), reduction="none")
    check(module(x, t64(T)), bce_logits_np(X, T, pw=pw))
    check(nn.KLDivLoss(reduction="batchmean", log_target=True)(t64(LOGQ[1:]), t64(LOGQ[1:])), 0.0)
    var = RNG.random((3, 4)) + 0.1
    assert nn.GaussianNLLLoss(full=True)(x, y, t64(var)).item() == pytest.approx(
        gaussian_np(X, Y, var, full=True).mean()
    )


def test_weight_buffers_state_dict():
    bce = nn.BCEWithLogitsLoss(weight=ember.ones(4), pos_weight=ember.full((4,), 2.0))
    state = bce.state_dict()
    assert list(state) == ["weight", "pos_weight"]
    assert [tuple(v.shape) for v in state.values()] == [(4,), (4,)]
    fresh = nn.BCEWithLogitsLoss(weight=ember.zeros(4), pos_weight=ember.zeros(4))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.pos_weight.numpy(), [2.0] * 4)
    assert list(nn.BCEWithLogitsLoss(pos_weight=ember.ones(4)).state_dict()) == ["pos_weight"]
    assert list(nn.BCELoss(weight=ember.ones(2)).state_dict()) == ["weight"]
    assert list(nn.MultiMarginLoss(weight=ember.ones(2)).state_dict()) == ["weight"]
    assert list(nn.MultiLabelSoftMarginLoss(weight=ember.ones(2)).state_dict()) == ["weight"]


def test_module_argument_errors_and_legacy():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(
        ValueError, match="MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"
    ):
        nn.MultiMarginLoss(weight=ember.ones(2, 2))
    with pytest.raises(
        ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got 0 instead"
    ):
        nn.TripletMarginLoss(margin=0)
    with pytest.raises(TypeError, match="delta must be a float or int"):
        nn.HuberLoss(delta="1")
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        assert nn.MSELoss(size_average=True, reduce=False).reduction == "none"
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        out = F.l1_loss(t64(X), t64(Y), size_average=False)
    assert out.item() == pytest.approx(np.abs(X - Y).sum())


def test_device_matches_cpu(device):
    # one pass over the losses with array-level code of their own, on each device
    labels = np.array([[3, 0, -1, 1], [1, 1, 2, -1], [-1, 0, 1, 2]])
    results = []
    for dev in ("cpu", device):

        def put(a, grad=False, dev=dev):
            return ember.tensor(np.asarray(a), device=dev, requires_grad=grad)

        x = put(X, grad=True)
        p = put(P, grad=True)
        losses = [
            F.binary_cross_entropy_with_logits(
                x, put(T), put(np.full((3, 1), 0.5)), pos_weight=put(np.arange(1.0, 5.0))
            ),
            F.binary_cross_entropy(p, put(T), weight=put(np.arange(1.0, 5.0))),
            F.mse_loss(x, put(Y)),
            F.multi_margin_loss(x, put(np.array([0, 3, 1])), p=2),
            F.multilabel_margin_loss(x, put(labels)),
            F.soft_margin_loss(x, put(np.sign(Y))),
        ]
        sum(losses).backward()
        results.append(([v.item() for v in losses], x.grad.cpu().numpy(), p.grad.cpu().numpy()))
    (va, xa, pa), (vb, xb, pb) = results
    np.testing.assert_allclose(va, vb, rtol=1e-12)
    np.testing.assert_allclose(xa, xb, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pa, pb, rtol=1e-12, atol=1e-15)
    assert vb[2] == pytest.approx(((X - Y) ** 2).mean(), rel=1e-12)
