"""ctc_loss / CTCLoss against two references written here: brute-force enumeration of every
alignment (tiny T and C) and a per-sample log-space dynamic programme (Graves et al. 2006);
padded and concatenated targets, lengths, blank, reductions, zero_infinity, the exact gradient
with respect to log_probs (gradcheck), once-differentiability, PyTorch's error texts."""

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck

RNG = np.random.default_rng(11)


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def collapse(path, blank):
    """CTC's many-to-one map: merge repeats, then drop blanks."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return [k for k in merged if k != blank]


def brute_force_nll(lp, target, blank=0):
    """-log of the summed probability of every length-T path that collapses to ``target``."""
    n_time, n_classes = lp.shape
    total = 0.0
    for path in itertools.product(range(n_classes), repeat=n_time):
        if collapse(path, blank) == list(target):
            total += math.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


def dp_nll(lp, target, blank=0):
    """The forward recursion over the extended labels, one sample, plain loops."""
    ext = [blank]
    for k in target:
        ext += [k, blank]
    n_time, n_states = lp.shape[0], len(ext)
    if n_time == 0:
        return 0.0 if not target else math.inf
    alpha = np.full(n_states, -np.inf)
    alpha[0] = lp[0, ext[0]]
    if n_states > 1:
        alpha[1] = lp[0, ext[1]]
    for t in range(1, n_time):
        new = np.full(n_states, -np.inf)
        for s in range(n_states):
            terms = [alpha[s]]
            if s >= 1:
                terms.append(alpha[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                terms.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(terms) + lp[t, ext[s]]
        alpha = new
    ends = [alpha[-1]] + ([alpha[-2]] if n_states > 1 else [])
    return -float(np.logaddexp.reduce(ends))


def tensor(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# A tiny batch covering: a repeated label (needs a blank between), an empty target, a short
# input, a target too long to fit (infinite loss).
T, C = 5, 3
LP = np_log_softmax(RNG.standard_normal((T, 4, C)))
TARGETS = np.array([[1, 1, 0], [2, 1, 2], [0, 0, 0], [1, 2, 1]])
IN_LEN = np.array([5, 4, 3, 2])
TG_LEN = np.array([2, 3, 0, 3])


def expected_nll():
    return np.array(
        [brute_force_nll(LP[: IN_LEN[n], n], TARGETS[n, : TG_LEN[n]]) for n in range(4)]
    )


def test_references_agree():
    exp = expected_nll()
    dp = [dp_nll(LP[: IN_LEN[n], n], TARGETS[n, : TG_LEN[n]]) for n in range(4)]
    np.testing.assert_allclose(dp, exp, rtol=1e-12)
    assert math.isinf(exp[3])


def test_matches_brute_force():
    out = F.ctc_loss(
        tensor(LP),
        ember.tensor(TARGETS),
        ember.tensor(IN_LEN),
        ember.tensor(TG_LEN),
        reduction="none",
    )
    assert out.shape == (4,) and out.dtype == ember.float64
    np.testing.assert_allclose(out.numpy(), expected_nll(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reductions(reduction):
    keep = slice(0, 3)  # the finite ones
    lp, tg = tensor(LP[:, keep]), ember.tensor(TARGETS[keep])
    out = F.ctc_loss(lp, tg, tuple(IN_LEN[keep]), list(TG_LEN[keep]), reduction=reduction)
    exp = expected_nll()[keep]
    if reduction == "mean":  # each loss over its target length (at least 1), then the mean
        value = (exp / np.maximum(TG_LEN[keep], 1)).mean()
    else:
        value = exp.sum()
    assert out.shape == () and out.item() == pytest.approx(value, rel=1e-12)


def test_larger_batch_against_dp():
    n_time, batch, n_classes = 12, 4, 6
    lp = np_log_softmax(RNG.standard_normal((n_time, batch, n_classes)))
    tg = RNG.integers(1, n_classes, (batch, 5))
    tg[1, :3] = [2, 2, 2]
    in_len, tg_len = np.array([12, 9, 12, 7]), np.array([5, 3, 1, 4])
    out = F.ctc_loss(
        tensor(lp), ember.tensor(tg), ember.tensor(in_len), ember.tensor(tg_len), reduction="none"
    )
    exp = [dp_nll(lp[: in_len[n], n], tg[n, : tg_len[n]]) for n in range(batch)]
    np.testing.assert_allclose(out.numpy(), exp, rtol=1e-10)


def test_concatenated_targets_equal_padded():
    flat = np.concatenate([TARGETS[n, : TG_LEN[n]] for n in range(4)])
    a = F.ctc_loss(
        tensor(LP), ember.tensor(flat), ember.tensor(IN_LEN), ember.tensor(TG_LEN), reduction="none"
    )
    np.testing.assert_allclose(a.numpy(), expected_nll(), rtol=1e-12)


def test_unbatched():
    out = F.ctc_loss(
        tensor(LP[:, 1]),
        ember.tensor(TARGETS[1]),
        ember.tensor([4]),
        ember.tensor([3]),
        reduction="none",
    )
    assert out.shape == ()
    assert out.item() == pytest.approx(expected_nll()[1], rel=1e-12)


def test_other_blank():
    lp = np_log_softmax(RNG.standard_normal((4, 1, 3)))
    out = F.ctc_loss(tensor(lp), ember.tensor([[0, 1]]), [4], [2], blank=2, reduction="sum")
    assert out.item() == pytest.approx(brute_force_nll(lp[:, 0], [0, 1], blank=2), rel=1e-12)


def test_zero_infinity():
    lp, tg = tensor(LP, grad=True), ember.tensor(TARGETS)
    out = F.ctc_loss(
        lp, tg, ember.tensor(IN_LEN), ember.tensor(TG_LEN), reduction="none", zero_infinity=True
    )
    exp = expected_nll()
    exp[3] = 0.0
    np.testing.assert_allclose(out.detach().numpy(), exp, rtol=1e-12)
    out.sum().backward()
    assert (lp.grad.numpy()[:, 3] == 0).all()
    assert np.isfinite(lp.grad.numpy()).all()
    # without zero_infinity the impossible sample's gradient is NaN inside its input (PyTorch)
    lp2 = tensor(LP, grad=True)
    F.ctc_loss(lp2, tg, ember.tensor(IN_LEN), ember.tensor(TG_LEN), reduction="sum").backward()
    g = lp2.grad.numpy()
    assert np.isnan(g[:2, 3]).all() and (g[2:, 3] == 0).all()


def test_empty_input():
    lp = tensor(np_log_softmax(RNG.standard_normal((3, 2, 3))))
    out = F.ctc_loss(lp, ember.tensor([[1], [1]]), [0, 0], [0, 1], reduction="none")
    assert out.numpy()[0] == 0.0 and math.isinf(out.numpy()[1])


def test_float32():
    lp = ember.tensor(LP[:, :3].astype(np.float32))
    out = F.ctc_loss(
        lp, ember.tensor(TARGETS[:3]), IN_LEN[:3].tolist(), TG_LEN[:3].tolist(), reduction="none"
    )
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), expected_nll()[:3], rtol=1e-5)


# -- gradients ---------------------------------------------------------------------------------


def test_gradcheck_log_probs():
    # The exact derivative with respect to log_probs themselves (no log_softmax in between).
    lp = tensor(LP[:4, :3] + 0.1 * RNG.standard_normal((4, 3, C)), grad=True)
    tg = ember.tensor([[1, 1], [2, 1], [1, 0]])
    il, tl = ember.tensor([4, 3, 4]), ember.tensor([2, 2, 0])
    for reduction in ("none", "mean", "sum"):
        assert gradcheck(lambda a, r=reduction: F.ctc_loss(a, tg, il, tl, reduction=r), (lp,))


def test_gradient_through_log_softmax():
    # d/dlogits = softmax - occupancy: each time step's gradient sums to zero (within its input)
    logits = tensor(RNG.standard_normal((5, 2, 4)), grad=True)
    lp = logits - ember.logsumexp(logits, 2, keepdim=True)
    F.ctc_loss(lp, ember.tensor([[1, 2], [3, 3]]), [5, 4], [2, 2], reduction="sum").backward()
    sums = logits.grad.numpy().sum(axis=2)
    np.testing.assert_allclose(sums, 0.0, atol=1e-12)
    assert (logits.grad.numpy()[4, 1] == 0).all()  # beyond the second input's length


def test_double_backward_refused():
    lp = tensor(LP[:, :3], grad=True)
    loss = F.ctc_loss(lp, ember.tensor(TARGETS[:3]), IN_LEN[:3].tolist(), TG_LEN[:3].tolist())
    (g,) = ember.autograd.grad(loss, [lp], create_graph=True)
    with pytest.raises(RuntimeError, match="ctc_loss: double backward is not supported"):
        g.sum().backward()


# -- errors ------------------------------------------------------------------------------------


def test_errors():
    lp = tensor(LP)
    tg, il, tl = ember.tensor(TARGETS), ember.tensor(IN_LEN), ember.tensor(TG_LEN)
    with pytest.raises(
        RuntimeError, match="Expected input_lengths to have value at most 5, but got value 6"
    ):
        F.ctc_loss(lp, tg, [6, 4, 3, 2], tl)
    with pytest.raises(
        RuntimeError,
        match="Expected tensor to have size at least 4 at "
        "dimension 1, but got size 3 for argument #2 "
        "'targets'",
    ):
        F.ctc_loss(lp, tg, il, [4, 3, 0, 3])
    with pytest.raises(RuntimeError, match="Expected tensor to have size 8 at dimension 0"):
        F.ctc_loss(lp, ember.tensor([1, 1, 2, 1, 2, 1, 2]), il, tl)
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(lp, tg, il[:2], tl)
    with pytest.raises(RuntimeError, match="target_lengths must be of size batch_size"):
        F.ctc_loss(lp, tg, il, [1, 2, 3])
    with pytest.raises(RuntimeError, match="input_lengths must be integral"):
        F.ctc_loss(lp, tg, ember.tensor([5.0, 4.0, 3.0, 2.0]), tl)
    with pytest.raises(RuntimeError, match="Expected target_lengths to have value at least 0"):
        F.ctc_loss(lp, tg, il, [-1, 2, 0, 3])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, tg, il, tl, blank=3)
    with pytest.raises(
        RuntimeError,
        match="Expected 3-dimensional tensor, but got "
        "4-dimensional tensor for argument #1 'log_probs'",
    ):
        F.ctc_loss(lp.unsqueeze(0), tg, il, tl)
    with pytest.raises(
        RuntimeError, match="target label 5 is out of range for log_probs with 3 classes"
    ):
        F.ctc_loss(lp, ember.tensor([[1, 5, 0], [2, 1, 2], [0, 0, 0], [1, 2, 1]]), il, tl)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.ctc_loss(lp, tg, il, tl, reduction="bad")


def test_module():
    ctc = nn.CTCLoss()
    assert (ctc.blank, ctc.reduction, ctc.zero_infinity) == (0, "mean", False)
    assert repr(ctc) == "CTCLoss()" and list(ctc.state_dict()) == []
    out = nn.CTCLoss(reduction="none", zero_infinity=True)(
        tensor(LP), ember.tensor(TARGETS), ember.tensor(IN_LEN), ember.tensor(TG_LEN)
    )
    exp = expected_nll()
    exp[3] = 0.0
    np.testing.assert_allclose(out.numpy(), exp, rtol=1e-12)


def test_device_matches_cpu(device):
    results = []
    for dev in ("cpu", device):
        lp = ember.tensor(LP[:, :3], device=dev, requires_grad=True)
        loss = F.ctc_loss(
            lp,
            ember.tensor(TARGETS[:3], device=dev),
            IN_LEN[:3].tolist(),
            ember.tensor(TG_LEN[:3], device=dev),
        )
        loss.backward()
        results.append((loss.item(), lp.grad.cpu().numpy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-14)
    exp = expected_nll()[:3] / np.maximum(TG_LEN[:3], 1)
    assert results[1][0] == pytest.approx(exp.mean(), rel=1e-12)
