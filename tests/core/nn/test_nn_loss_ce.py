"""cross_entropy / nll_loss (and their modules) against NumPy references written here: class
indices of any trailing shape, class probabilities, weights, ignore_index, label smoothing,
unbatched input, reductions; stability of huge logits; gradcheck and gradgradcheck in float64;
PyTorch's error texts."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)
REDUCTIONS = ["none", "mean", "sum"]


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def reduce_np(losses, reduction, denominator):
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / denominator


def ref_class_ce(
    x, t, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0, log_probs=False
):
    """Element by element: -(1-eps) w[t] logp[t] - eps/C sum_c w[c] logp[c]; the mean divides by
    the weights of the non-ignored targets (PyTorch's definition)."""
    n_classes = x.shape[1]
    logp = x if log_probs else np_log_softmax(x, 1)
    rows = np.moveaxis(logp, 1, -1).reshape(-1, n_classes)
    w = np.ones(n_classes) if weight is None else weight
    losses, kept = [], 0.0
    for row, k in zip(rows, t.reshape(-1)):
        if k == ignore_index:
            losses.append(0.0)
            continue
        losses.append(-(1 - smoothing) * w[k] * row[k] - smoothing / n_classes * (w * row).sum())
        kept += w[k]
    return reduce_np(np.array(losses).reshape(t.shape), reduction, kept)


def ref_prob_ce(x, q, weight=None, reduction="mean", smoothing=0.0, axis=1):
    n_classes = x.shape[axis]
    q = q * (1 - smoothing) + smoothing / n_classes
    shape = [1] * x.ndim
    shape[axis] = n_classes
    w = np.ones(shape) if weight is None else weight.reshape(shape)
    losses = -(w * q * np_log_softmax(x, axis)).sum(axis=axis)
    return reduce_np(losses, reduction, losses.size)


def t64(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def targets(shape, n_classes, ignored=0):
    t = RNG.integers(0, n_classes, shape)
    flat = t.reshape(-1)
    flat[:ignored] = -100
    return t


# -- forward against the references ------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (2, 3, 2, 3)])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices(reduction, shape, smoothing, weighted):
    x = RNG.standard_normal(shape)
    t = targets((shape[0],) + shape[2:], shape[1], ignored=1)
    w = RNG.random(shape[1]) + 0.1 if weighted else None
    out = F.cross_entropy(
        t64(x),
        ember.tensor(t),
        weight=None if w is None else t64(w),
        reduction=reduction,
        label_smoothing=smoothing,
    )
    expected = ref_class_ce(x, t, w, reduction=reduction, smoothing=smoothing)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    x = np_log_softmax(RNG.standard_normal((4, 3, 2)), 1)
    t = targets((4, 2), 3, ignored=2)
    w = RNG.random(3) + 0.1 if weighted else None
    out = F.nll_loss(
        t64(x), ember.tensor(t), weight=None if w is None else t64(w), reduction=reduction
    )
    expected = ref_class_ce(x, t, w, reduction=reduction, log_probs=True)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


def test_literal_values():
    # -log(e^2 / (e^2 + 2)) = log(1 + 2 e^-2)
    out = F.cross_entropy(ember.tensor([[2.0, 0.0, 0.0]]), ember.tensor([0]))
    assert out.dtype == ember.float32
    assert out.item() == pytest.approx(math.log(1 + 2 * math.exp(-2)), rel=1e-6)
    # nll: mean of -(-0.5) and -(-0.1)
    logp = ember.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    assert F.nll_loss(logp, ember.tensor([0, 1])).item() == pytest.approx(0.3)
    # weighted mean: (2 * 0.5 + 1 * 0.1) / (2 + 1)
    w = ember.tensor([2.0, 1.0])
    assert F.nll_loss(logp, ember.tensor([0, 1]), weight=w).item() == pytest.approx(1.1 / 3)


def test_ignore_index_other_than_default():
    x = RNG.standard_normal((6, 4))
    t = np.array([0, 3, 3, 1, 2, 3])
    out = F.cross_entropy(t64(x), ember.tensor(t), ignore_index=3, label_smoothing=0.1)
    np.testing.assert_allclose(out.item(), ref_class_ce(x, t, ignore_index=3, smoothing=0.1))


def test_all_targets_ignored():
    x = t64(RNG.standard_normal((3, 4)))
    t = ember.tensor([-100, -100, -100])
    assert math.isnan(F.cross_entropy(x, t).item())  # 0 / 0, as PyTorch
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0
    np.testing.assert_array_equal(F.nll_loss(x, t, reduction="none").numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities(reduction, smoothing, weighted):
    x = RNG.standard_normal((3, 4, 2))
    q = RNG.random((3, 4, 2))
    q /= q.sum(axis=1, keepdims=True)
    w = RNG.random(4) + 0.1 if weighted else None
    out = F.cross_entropy(
        t64(x),
        t64(q),
        weight=None if w is None else t64(w),
        reduction=reduction,
        label_smoothing=smoothing,
    )
    expected = ref_prob_ce(x, q, w, reduction, smoothing)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


def test_probabilities_promote_dtypes():
    x = ember.tensor([[0.0, 1.0, 2.0]])
    q = t64([[0.2, 0.3, 0.5]])
    out = F.cross_entropy(x, q)
    assert out.dtype == ember.float64  # float32 logits, float64 probabilities: promoted
    assert out.item() == pytest.approx(ref_prob_ce(np.array([[0.0, 1.0, 2.0]]), q.numpy()))


def test_unbatched():
    x = RNG.standard_normal(5)
    out = F.cross_entropy(t64(x), ember.tensor(3), reduction="none")
    assert out.shape == ()
    assert out.item() == pytest.approx(-np_log_softmax(x, 0)[3])
    q = RNG.random(5)
    q /= q.sum()
    out = F.cross_entropy(t64(x), t64(q), label_smoothing=0.2)
    assert out.item() == pytest.approx(ref_prob_ce(x, q, None, "mean", 0.2, axis=0))
    logp = np_log_softmax(x, 0)
    assert F.nll_loss(t64(logp), ember.tensor(1)).item() == pytest.approx(-logp[1])
    assert F.nll_loss(t64(logp), ember.tensor([1])).item() == pytest.approx(-logp[1])


def test_output_dtype_follows_input():
    for dtype in (ember.float32, ember.float64):
        x = ember.randn(4, 3, dtype=dtype)
        t = ember.tensor([0, 1, 2, 0])
        assert F.cross_entropy(x, t).dtype == dtype
        assert F.cross_entropy(x, t, weight=ember.ones(3), label_smoothing=0.1).dtype == dtype
        assert F.nll_loss(x, t, reduction="none").dtype == dtype
    # the gradient keeps a bfloat16 input's dtype
    xb = ember.randn(4, 3).to(ember.bfloat16).requires_grad_()
    F.cross_entropy(xb, ember.tensor([0, 1, 2, 0]), label_smoothing=0.1).backward()
    assert xb.grad.dtype == ember.bfloat16


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(2, 5),
    smoothing=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_index_targets_equal_one_hot_probabilities(n, c, smoothing, seed):
    # Without class weights, class index k and the one-hot distribution at k give the same
    # loss for every label smoothing (PyTorch's two paths agree).
    rng = np.random.default_rng(seed)
    x = t64(rng.standard_normal((n, c)) * 3)
    t = rng.integers(0, c, n)
    one_hot = np.eye(c)[t]
    a = F.cross_entropy(x, ember.tensor(t), label_smoothing=smoothing, reduction="none")
    b = F.cross_entropy(x, t64(one_hot), label_smoothing=smoothing, reduction="none")
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


# -- stability ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_huge_logits_stay_finite(dtype):
    x = ember.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype, requires_grad=True)
    t = ember.tensor([1, 0])
    loss = F.cross_entropy(x, t, reduction="none", label_smoothing=0.1)
    # row 0: 2e4 * 0.9 (class 1) + 0.1/3 * (0 + 2e4 + 1e4); row 1: log 2 + 2e4 for the target,
    # the smoothing term 0.1/3 * (2e4 + 2 log 2)
    expected = [
        0.9 * 2e4 + 0.1 / 3 * 3e4,
        0.9 * (2e4 + math.log(2)) + 0.1 / 3 * (2e4 + 3 * math.log(2)),
    ]
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    # softmax - target: row 0 is (1, 0, 0) - (0.1/3, 0.9 + 0.1/3, 0.1/3)
    np.testing.assert_allclose(
        x.grad.numpy()[0], [1 - 0.1 / 3, -0.9 - 0.1 / 3, -0.1 / 3], atol=1e-6
    )
    probs = ember.tensor([[0.0, 1.0, 0.0]], dtype=dtype)
    y = ember.tensor([[1e4, -1e4, 0.0]], dtype=dtype, requires_grad=True)
    out = F.cross_entropy(y, probs)
    out.backward()
    assert out.item() == pytest.approx(2e4) and np.isfinite(y.grad.numpy()).all()


# -- gradients ---------------------------------------------------------------------------------


def test_gradient_is_softmax_minus_one_hot():
    x = RNG.standard_normal((3, 4))
    t = np.array([1, 0, 3])
    xt = t64(x, grad=True)
    F.cross_entropy(xt, ember.tensor(t)).backward()
    expected = (np.exp(np_log_softmax(x, 1)) - np.eye(4)[t]) / 3
    np.testing.assert_allclose(xt.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_class_indices(reduction):
    x = t64(RNG.standard_normal((3, 3, 2)), grad=True)
    t = ember.tensor(np.array([[0, 2], [-100, 1], [2, 2]]))
    w = t64([0.5, 2.0, 1.0])
    assert gradcheck(
        lambda a: F.cross_entropy(a, t, weight=w, reduction=reduction, label_smoothing=0.2), (x,)
    )
    assert gradcheck(lambda a: F.nll_loss(a, t, weight=w, reduction=reduction), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_probabilities(reduction):
    x = t64(RNG.standard_normal((2, 3)), grad=True)
    q = t64(RNG.random((2, 3)), grad=True)
    w = t64([0.5, 2.0, 1.0])
    assert gradcheck(
        lambda a, b: F.cross_entropy(a, b, weight=w, reduction=reduction, label_smoothing=0.1),
        (x, q),
    )


def test_gradgradcheck():
    x = t64(RNG.standard_normal((3, 4)), grad=True)
    t = ember.tensor([1, -100, 3])
    w = t64([0.5, 2.0, 1.0, 1.5])
    assert gradgradcheck(lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.2), (x,))
    assert gradgradcheck(lambda a: F.cross_entropy(a, t, reduction="none"), (x,))
    q = t64(RNG.random((3, 4)), grad=True)
    assert gradgradcheck(lambda a, b: F.cross_entropy(a, b), (x, q))
    assert gradgradcheck(lambda a: F.nll_loss(a, t, weight=w), (x,))


def test_graph_and_array_backward_agree():
    # The backward computes on arrays when no graph is requested and with Ember ops otherwise.
    x = t64(RNG.standard_normal((4, 5)), grad=True)
    t = ember.tensor([1, 4, -100, 0])
    loss = F.cross_entropy(x, t, label_smoothing=0.3, weight=t64(RNG.random(5)))
    (plain,) = ember.autograd.grad(loss, [x], retain_graph=True)
    (graph,) = ember.autograd.grad(loss, [x], create_graph=True)
    assert graph.requires_grad and not plain.requires_grad
    np.testing.assert_allclose(plain.numpy(), graph.detach().numpy(), rtol=1e-12)


# -- errors ------------------------------------------------------------------------------------


def test_target_out_of_bounds():
    x = ember.randn(4, 5)
    with pytest.raises(IndexError, match=r"Target 7 is out of bounds\..*5 classes"):
        F.cross_entropy(x, ember.tensor([0, 1, 2, 7]))
    with pytest.raises(IndexError, match=r"Target -1 is out of bounds\."):
        F.nll_loss(x, ember.tensor([0, 1, 2, -1]))


def test_shape_errors():
    x = ember.randn(4, 5)
    with pytest.raises(
        ValueError,
        match=r"Expected input batch_size \(4\) to match target "
        r"batch_size \(3\)\.",
    ):
        F.cross_entropy(x, ember.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 4\]"):
        F.cross_entropy(ember.randn(2, 5, 3), ember.zeros(2, 4, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        F.nll_loss(x, ember.zeros(4, 5, dtype=ember.int64))
    with pytest.raises(ValueError, match="For 1D input, 1D target must have size 1"):
        F.nll_loss(ember.randn(3), ember.zeros(3, dtype=ember.int64))


def test_dtype_and_option_errors():
    x = ember.randn(4, 5)
    t = ember.tensor([0, 1, 2, 3])
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        F.cross_entropy(x, ember.tensor([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(
        RuntimeError, match="Expected floating point type for target with class probabilities"
    ):
        F.cross_entropy(x, ember.zeros(4, 5, dtype=ember.int64))
    with pytest.raises(
        RuntimeError,
        match="weight tensor should be defined either for all 5 "
        r"classes or no classes .* shape: \[3\]",
    ):
        F.cross_entropy(x, t, weight=ember.ones(3))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="foo")
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.cross_entropy(x, t, weight=ember.ones(5, requires_grad=True))
    with pytest.raises(RuntimeError, match="expected a floating point input"):
        F.cross_entropy(ember.tensor([[1, 2]]), ember.tensor([0]))


# -- modules -----------------------------------------------------------------------------------


def test_cross_entropy_module_defaults_and_forward():
    loss = nn.CrossEntropyLoss()
    assert (loss.weight, loss.ignore_index, loss.reduction, loss.label_smoothing) == (
        None,
        -100,
        "mean",
        0.0,
    )
    assert repr(loss) == "CrossEntropyLoss()"
    assert list(loss.state_dict()) == []
    x = RNG.standard_normal((4, 3))
    t = np.array([2, 0, 1, -100])
    w = np.array([1.0, 2.0, 0.5])
    weighted = nn.CrossEntropyLoss(weight=t64(w), label_smoothing=0.1, reduction="sum")
    out = weighted(t64(x), ember.tensor(t))
    assert out.item() == pytest.approx(ref_class_ce(x, t, w, reduction="sum", smoothing=0.1))
    t0 = np.array([2, 0, 1, 0])
    assert nn.NLLLoss(ignore_index=0)(t64(x), ember.tensor(t0)).item() == pytest.approx(
        ref_class_ce(x, t0, ignore_index=0, log_probs=True)
    )


def test_weight_buffer_state_dict_round_trip():
    loss = nn.CrossEntropyLoss(weight=ember.tensor([1.0, 2.0, 3.0]))
    state = loss.state_dict()
    assert list(state) == ["weight"] and tuple(state["weight"].shape) == (3,)
    other = nn.CrossEntropyLoss(weight=ember.zeros(3))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.weight.numpy(), [1.0, 2.0, 3.0])
    assert list(nn.NLLLoss(weight=ember.ones(2)).state_dict()) == ["weight"]
    assert list(nn.NLLLoss().state_dict()) == []


def test_legacy_reduction_arguments():
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        assert nn.CrossEntropyLoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        assert nn.NLLLoss(reduce=False).reduction == "none"
    x, t = ember.randn(3, 4), ember.tensor([0, 1, 2])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        total = F.cross_entropy(x, t, size_average=False)
    assert total.item() == pytest.approx(F.cross_entropy(x, t, reduction="sum").item())
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        nn.NLLLoss2d()


def test_device_matches_cpu(device):
    # the same Functions run on CuPy arrays when a GPU is present (CPU only: a CPU rerun)
    x = RNG.standard_normal((4, 5, 2))
    t = targets((4, 2), 5, ignored=1)
    w = RNG.random(5)
    results = []
    for dev in ("cpu", device):
        xt = ember.tensor(x, device=dev, requires_grad=True)
        loss = F.cross_entropy(
            xt, ember.tensor(t, device=dev), weight=ember.tensor(w, device=dev), label_smoothing=0.1
        )
        nll = F.nll_loss(xt, ember.tensor(t, device=dev), reduction="sum")
        (loss + nll).backward()
        results.append((loss.item(), nll.item(), xt.grad.cpu().numpy()))
    (a, b, ga), (c, d, gc) = results
    assert (a, b) == pytest.approx((c, d), rel=1e-12)
    np.testing.assert_allclose(ga, gc, rtol=1e-12, atol=1e-15)
    assert a == pytest.approx(ref_class_ce(x, t, w, smoothing=0.1), rel=1e-12)
