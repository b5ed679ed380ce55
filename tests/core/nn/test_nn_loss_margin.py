"""The margin and embedding losses (cosine embedding, margin ranking, hinge embedding, soft
margin, multi-label soft margin, multi-margin, multi-label margin, triplet) against NumPy
references written here (loops where that is clearest), for every reduction; gradcheck in
float64; stability; PyTorch's error texts."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck

RNG = np.random.default_rng(5)
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

# -- margin and embedding losses -------------------------------------------------------------------


A1, A2 = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])


def cosine_np(a, b, y, margin):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_losses(reduction):
    check(
        F.cosine_embedding_loss(t64(A1), t64(A2), t64(SIGNS), margin=-0.2, reduction=reduction),
        reduce_np(cosine_np(A1, A2, SIGNS, -0.2), reduction),
    )
    x1, x2 = A1[:, 0], A2[:, 0]
    check(
        F.margin_ranking_loss(t64(x1), t64(x2), t64(SIGNS), margin=0.3, reduction=reduction),
        reduce_np(np.maximum(0, -SIGNS * (x1 - x2) + 0.3), reduction),
    )
    signs = np.sign(Y)
    check(
        F.hinge_embedding_loss(t64(X), t64(signs), margin=0.5, reduction=reduction),
        reduce_np(np.where(signs == 1, X, np.maximum(0, 0.5 - X)), reduction),
    )
    check(
        F.soft_margin_loss(t64(X), t64(signs), reduction=reduction),
        reduce_np(softplus(-signs * X), reduction),
    )
    labels = (Y > 0).astype(np.float64)
    w = RNG.random(4)
    per_class = w * (labels * softplus(-X) + (1 - labels) * softplus(X))
    check(
        F.multilabel_soft_margin_loss(t64(X), t64(labels), weight=t64(w), reduction=reduction),
        reduce_np(per_class.mean(-1), reduction),
    )


def test_cosine_embedding_unbatched_and_errors():
    out = F.cosine_embedding_loss(t64(A1[0]), t64(A2[0]), t64(-1.0), reduction="none")
    check(out, cosine_np(A1[0], A2[0], np.array(-1.0), 0.0))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        F.cosine_embedding_loss(t64(A1), t64(A2), t64(np.ones((4, 1))))
    with pytest.raises(
        RuntimeError,
        match=r"0D target tensor expects 1D input tensors, but "
        r"found inputs with sizes \[4, 3\] and \[4, 3\]\.",
    ):
        F.cosine_embedding_loss(t64(A1), t64(A2), t64(1.0))
    with pytest.raises(
        RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension"
    ):
        F.margin_ranking_loss(t64(A1), t64(A2), t64(SIGNS))


def test_soft_margin_stable():
    x = ember.tensor([-1e4, 1e4], requires_grad=True)
    out = F.soft_margin_loss(x, ember.tensor([1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), [1e4, 0.0])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 0.0])


def multi_margin_np(x, y, p, margin, w=None):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                h = max(0.0, margin - x[i, y[i]] + x[i, j]) ** p
                out[i] += h * (1.0 if w is None else w[y[i]])
    return out / c


def multilabel_margin_np(x, y):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        listed = []
        for k in y[i]:
            if k == -1:
                break
            listed.append(k)
        for j in listed:
            for k in range(c):
                if k not in listed:
                    out[i] += max(0.0, 1 - (x[i, j] - x[i, k]))
    return out / c


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_losses(reduction):
    y = np.array([0, 3, 1])
    check(
        F.multi_margin_loss(t64(X), ember.tensor(y), reduction=reduction),
        reduce_np(multi_margin_np(X, y, 1, 1.0), reduction),
    )
    w = RNG.random(4)
    check(
        F.multi_margin_loss(
            t64(X), ember.tensor(y), p=2, margin=0.7, weight=t64(w), reduction=reduction
        ),
        reduce_np(multi_margin_np(X, y, 2, 0.7, w), reduction),
    )
    labels = np.array([[3, 0, -1, 1], [1, 1, 2, -1], [-1, 0, 1, 2]])  # repeats count twice
    check(
        F.multilabel_margin_loss(t64(X), ember.tensor(labels), reduction=reduction),
        reduce_np(multilabel_margin_np(X, labels), reduction),
    )


def test_multi_margin_unbatched_and_errors():
    check(
        F.multi_margin_loss(t64(X[0]), ember.tensor(2), reduction="none"),
        multi_margin_np(X[:1], [2], 1, 1.0)[0],
    )
    check(
        F.multilabel_margin_loss(t64(X[0]), ember.tensor([2, 0, -1, 1]), reduction="none"),
        multilabel_margin_np(X[:1], [[2, 0, -1, 1]])[0],
    )
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(t64(X), ember.tensor([0, 1, 7]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3\], but got \[2\]"):
        F.multi_margin_loss(t64(X), ember.tensor([0, 1]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(t64(X), ember.tensor([0, 1, 2]), p=3)
    with pytest.raises(
        RuntimeError,
        match=r"inconsistent target size: \[2, 4\] for input of "
        r"size: \[3, 4\]",
    ):
        F.multilabel_margin_loss(t64(X), ember.tensor([[0, 1, -1, 2]] * 2))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(t64(X), ember.tensor([[0, 7, -1, 2]] * 3))


def triplet_np(a, p, n, margin, norm_p=2.0, eps=1e-6, swap=False):
    def dist(u, v):
        return (np.abs(u - v + eps) ** norm_p).sum(-1) ** (1 / norm_p)

    d_neg = dist(a, n)
    if swap:
        d_neg = np.minimum(d_neg, dist(p, n))
    return np.maximum(margin + dist(a, p) - d_neg, 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_losses(reduction):
    a, p, n = (RNG.standard_normal((4, 3)) for _ in range(3))
    check(
        F.triplet_margin_loss(t64(a), t64(p), t64(n), margin=2.0, reduction=reduction),
        reduce_np(triplet_np(a, p, n, 2.0), reduction),
    )
    check(
        F.triplet_margin_loss(
            t64(a), t64(p), t64(n), margin=1.5, p=1, swap=True, reduction=reduction
        ),
        reduce_np(triplet_np(a, p, n, 1.5, norm_p=1, swap=True), reduction),
    )

    def l1(u, v):
        return (u - v).abs().sum(-1)

    check(
        F.triplet_margin_with_distance_loss(
            t64(a), t64(p), t64(n), distance_function=l1, margin=1.5, swap=True, reduction=reduction
        ),
        reduce_np(triplet_np(a, p, n, 1.5, norm_p=1, eps=0.0, swap=True), reduction),
    )
    check(
        F.triplet_margin_with_distance_loss(t64(a), t64(p), t64(n), reduction=reduction),
        reduce_np(triplet_np(a, p, n, 1.0), reduction),
    )


def test_triplet_errors_and_unbatched():
    a = RNG.standard_normal(3)
    check(
        F.triplet_margin_loss(t64(a), t64(a + 1), t64(a - 0.5), margin=3.0),
        triplet_np(a, a + 1, a - 0.5, 3.0),
    )
    with pytest.raises(RuntimeError, match="anchor 2D, positive 2D, and negative 1D inputs"):
        F.triplet_margin_loss(t64(A1), t64(A2), t64(A1[0]))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(t64(A1), t64(A2), t64(A2), margin=0)


def test_margin_gradcheck():
    a1, a2 = t64(A1[:3], grad=True), t64(A2[:3], grad=True)
    y = t64(SIGNS[:3])
    assert gradcheck(lambda u, v: F.cosine_embedding_loss(u, v, y, margin=-0.5), (a1, a2))
    x1, x2, yr = t64(A1[:3, 0], grad=True), t64(A2[:3, 0], grad=True), t64(SIGNS[:3], grad=True)
    assert gradcheck(lambda u, v, w: F.margin_ranking_loss(u, v, w, margin=0.1), (x1, x2, yr))
    x = t64(X[:2], grad=True)
    signs = t64(np.sign(Y[:2]))
    assert gradcheck(lambda u: F.hinge_embedding_loss(u, signs, margin=0.5), (x,))
    assert gradcheck(lambda u: F.soft_margin_loss(u, signs), (x,))
    labels = t64(RNG.random((2, 4)), grad=True)
    assert gradcheck(lambda u, t: F.multilabel_soft_margin_loss(u, t), (x, labels))
    y2 = ember.tensor([1, 3])
    assert gradcheck(lambda u: F.multi_margin_loss(u, y2, p=2, margin=0.5), (x,))
    listed = ember.tensor([[3, 0, -1, 1], [1, 2, -1, 0]])
    assert gradcheck(lambda u: F.multilabel_margin_loss(u, listed), (x,))
    a, p, n = (t64(RNG.standard_normal((2, 3)), grad=True) for _ in range(3))
    assert gradcheck(
        lambda u, v, w: F.triplet_margin_loss(u, v, w, margin=3.0, swap=True), (a, p, n)
    )


def test_triplet_modules():
    a, p, n = (RNG.standard_normal((4, 3)) for _ in range(3))
    assert nn.TripletMarginLoss(margin=2.0, p=1.0)(t64(a), t64(p), t64(n)).item() == (
        pytest.approx(triplet_np(a, p, n, 2.0, norm_p=1).mean())
    )
    default = nn.TripletMarginWithDistanceLoss(margin=2.0)
    assert default(t64(a), t64(p), t64(n)).item() == pytest.approx(triplet_np(a, p, n, 2.0).mean())
    assert nn.CosineEmbeddingLoss(margin=0.5)(t64(A1), t64(A2), t64(SIGNS)).item() == (
        pytest.approx(cosine_np(A1, A2, SIGNS, 0.5).mean())
    )
