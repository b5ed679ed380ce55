"""ember.metrics against independent references.

The references are scikit-learn's definitions written out here with NumPy and plain loops
(confusion matrix by counting pairs, precision/recall/F per class from it, averages by hand,
``zero_division=0``, 'macro' over the classes seen in pred or target), plus literal examples
computed by hand. scikit-learn itself is not imported.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import metrics as M
from ember.metrics import functional as F

# ---------------------------------------------------------------------------------------------
# References (sklearn's formulas, written independently of the implementation)
# ---------------------------------------------------------------------------------------------


def ref_confusion(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for a, b in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        cm[a, b] += 1
    return cm


def ref_topk(scores, k):
    """Per sample, the k best classes; ties to the lower index (Python's sort is stable)."""
    return [sorted(range(len(row)), key=lambda c: -row[c])[:k] for row in scores.tolist()]


def ref_counts(y_true, top_sets, num_classes):
    tp, fp, fn = (np.zeros(num_classes) for _ in range(3))
    for y, s in zip(y_true.tolist(), top_sets, strict=True):
        for c in s:
            if c == y:
                tp[c] += 1
            else:
                fp[c] += 1
        if y not in s:
            fn[y] += 1
    return tp, fp, fn


def _div(a, b):
    return a / b if b > 0 else 0.0


def ref_scores(metric, tp, fp, fn, average, beta=1.0, top_k=1):
    """sklearn's precision_recall_fscore_support (zero_division=0); accuracy per class is
    recall (torchmetrics' definition), its micro value the fraction correct."""
    b2 = beta * beta

    def one(t, p, n):
        if metric == "precision":
            return _div(t, t + p)
        if metric in ("recall", "accuracy"):
            return _div(t, t + n)
        return _div((1 + b2) * t, (1 + b2) * t + b2 * n + p)

    if average == "micro":
        if metric == "accuracy":
            return _div(tp.sum(), (tp + fn).sum())
        return one(tp.sum(), fp.sum(), fn.sum())
    per_class = np.array([one(t, p, n) for t, p, n in zip(tp, fp, fn, strict=True)])
    if average is None:
        return per_class
    if average == "weighted":
        support = tp + fn
        return _div((per_class * support).sum(), support.sum())
    # macro: the classes present in pred or target (in target for top-k sets, as torchmetrics)
    seen = (tp + fp + fn) > 0 if top_k == 1 else (tp + fn) > 0
    return per_class[seen].mean() if seen.any() else 0.0


FUNCS = {
    "accuracy": F.accuracy,
    "precision": F.precision,
    "recall": F.recall,
    "f1": F.f1_score,
}
AVERAGES = ["micro", "macro", "weighted", None]


def _t(a):
    return ember.tensor(np.asarray(a))


def _close(result, expected, atol=1e-6):
    assert isinstance(result, ember.Tensor)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5, atol=atol)


# ---------------------------------------------------------------------------------------------
# Literal examples
# ---------------------------------------------------------------------------------------------


def test_literal_multiclass_labels():
    pred, target = _t([0, 2, 1, 1]), _t([0, 1, 1, 2])
    # class 0: tp 1; class 1: tp 1, fp 1, fn 1; class 2: fp 1, fn 1
    _close(F.accuracy(pred, target), 0.5)
    _close(F.precision(pred, target, average=None), [1.0, 0.5, 0.0])
    _close(F.recall(pred, target, average=None), [1.0, 0.5, 0.0])
    _close(F.f1_score(pred, target, average="macro"), 0.5)
    _close(F.f1_score(pred, target), 0.5)  # micro F1 = accuracy for single-label inputs
    cm = F.confusion_matrix(pred, target, 3)
    assert cm.dtype == ember.int64
    np.testing.assert_array_equal(cm.numpy(), [[1, 0, 0], [0, 1, 1], [0, 1, 0]])


def test_literal_weighted_and_macro():
    pred, target = _t([0, 0, 1, 1]), _t([0, 0, 0, 1])
    # class 0: P 1, R 2/3, F1 0.8 (support 3); class 1: P 1/2, R 1, F1 2/3 (support 1)
    _close(F.precision(pred, target, average="weighted"), (3 * 1 + 0.5) / 4)
    _close(F.recall(pred, target, average="weighted"), 0.75)
    _close(F.f1_score(pred, target, average="macro"), (0.8 + 2 / 3) / 2)
    _close(F.f1_score(pred, target, average="weighted"), (3 * 0.8 + 2 / 3) / 4)
    _close(F.accuracy(pred, target, average="macro"), (2 / 3 + 1) / 2)
    _close(F.fbeta_score(pred, target, average=None, beta=2.0), [5 * 2 / (10 + 4), 5 / 6])


def test_macro_leaves_out_classes_absent_from_pred_and_target():
    pred, target = _t([0, 1, 1]), _t([0, 0, 1])
    per_class = F.precision(pred, target, num_classes=4, average=None)
    _close(per_class, [1.0, 0.5, 0.0, 0.0])  # absent classes score 0 ...
    _close(F.precision(pred, target, num_classes=4, average="macro"), 0.75)  # ... not averaged


def test_macro_keeps_a_class_that_is_only_predicted():
    # sklearn recall_score([0, 0], [0, 1], average='macro', zero_division=0) == 0.25
    _close(F.recall(_t([0, 1]), _t([0, 0]), average="macro"), 0.25)
    _close(F.precision(_t([0, 1]), _t([0, 0]), average="macro"), 0.5)


def test_top_k_accuracy_literal():
    scores = _t([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    target = _t([2, 1, 1])
    _close(F.accuracy(scores, target), 0.0)  # argmax: 1, 0, 2
    # top-2 sets {1, 2}, {0, 1}, {2, 0}: the tie 0.2/0.2 goes to class 0, as argmax would
    _close(F.accuracy(scores, target, top_k=2), 2 / 3)
    _close(F.accuracy(scores, target, top_k=3), 1.0)
    _close(F.precision(scores, target, top_k=2), 2 / 6)  # 2 hits among 6 predictions
    _close(F.recall(scores, target, top_k=2, average=None), [0.0, 0.5, 1.0])


def test_top_k_macro_averages_over_the_classes_in_target():
    # top-2 sets {0, 1} and {2, 1}; class 2 is predicted but never a target
    scores, target = _t([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]]), _t([0, 1])
    _close(F.accuracy(scores, target, top_k=2, average="macro"), 1.0)  # not (1 + 1 + 0) / 3
    _close(F.precision(scores, target, top_k=2, average=None), [1.0, 0.5, 0.0])
    _close(F.precision(scores, target, top_k=2, average="macro"), 0.75)


def test_binary_threshold_literal():
    prob, target = _t([0.9, 0.5, 0.3, 0.6]), _t([1, 1, 0, 0])
    # > 0.5 is strict (torchmetrics): predictions 1, 0, 0, 1
    _close(F.accuracy(prob, target), 0.5)
    _close(F.precision(prob, target), 0.5)
    _close(F.recall(prob, target), 0.5)
    # threshold 0.4: predictions 1, 1, 0, 1 -> positive-class precision 2/3, recall 1
    _close(F.precision(prob, target, threshold=0.4), 2 / 3)
    _close(F.recall(prob, target, threshold=0.4), 1.0)
    _close(F.f1_score(prob, target, threshold=0.4), 0.8)
    np.testing.assert_array_equal(
        F.confusion_matrix(prob, target, threshold=0.4).numpy(), [[1, 1], [0, 2]]
    )


def test_binary_reports_the_positive_class():
    pred, target = _t([1, 1, 0, 0]), _t([1, 0, 0, 1])
    _close(F.fbeta_score(pred, target, beta=2.0, task="binary"), 5 / (5 + 4 + 1))
    # the same labels as a 2-class multiclass task average over both classes
    _close(F.precision(_t([1, 1, 1, 0]), _t([1, 0, 0, 0]), task="binary"), 1 / 3)
    _close(F.precision(_t([1, 1, 1, 0]), _t([1, 0, 0, 0]), average="macro"), (1 + 1 / 3) / 2)
    # (N, 2) scores are a binary task through their argmax
    scores = _t([[0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    _close(F.recall(scores, _t([1, 1, 0]), task="binary"), 0.5)


def test_binary_logits_and_float_targets():
    logits = _t([2.0, -1.0, 0.3, -0.2])  # outside [0, 1]: sigmoid(x) > 0.5 <=> x > 0
    target = _t([1.0, 0.0, 0.0, 1.0])  # float 0/1, as for binary_cross_entropy
    _close(F.accuracy(logits, target), 0.5)
    _close(F.precision(logits, target), 0.5)
    # threshold 0.7 on logits: x > log(0.7 / 0.3) = 0.847
    _close(F.recall(logits, target, threshold=0.7), 0.5)
    _close(F.recall(logits, target, threshold=0.3), 1.0)  # x > -0.847 -> 1, 0, 1, 1


def test_extra_dims_are_samples():
    # segmentation: scores (N, C, H, W) against (N, H, W)
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    target = rng.integers(0, 3, (2, 4, 5))
    labels = scores.argmax(1).reshape(-1)
    expected = ref_confusion(target.reshape(-1), labels, 3)
    np.testing.assert_array_equal(F.confusion_matrix(_t(scores), _t(target)).numpy(), expected)
    _close(F.accuracy(_t(scores), _t(target)), np.mean(labels == target.reshape(-1)))


def test_result_types_and_no_autograd():
    scores = ember.randn(5, 3, requires_grad=True)
    target = _t([0, 1, 2, 1, 0])
    out = F.f1_score(scores, target, average="macro")
    assert out.dtype == ember.float32 and out.shape == () and not out.requires_grad
    assert F.recall(scores, target, average=None).shape == (3,)
    assert F.confusion_matrix(scores, target, normalize="all").dtype == ember.float32


def test_confusion_matrix_normalize():
    pred, target = _t([0, 1, 1, 1, 0]), _t([0, 0, 1, 1, 1])
    cm = np.array([[1, 1], [1, 2]], dtype=float)
    _close(F.confusion_matrix(pred, target, 2, normalize="true"), cm / cm.sum(1, keepdims=True))
    _close(F.confusion_matrix(pred, target, 2, normalize="pred"), cm / cm.sum(0, keepdims=True))
    _close(F.confusion_matrix(pred, target, 2, normalize="all"), cm / 5)
    # an empty row stays 0 instead of 0/0
    _close(F.confusion_matrix(_t([0, 0]), _t([0, 0]), 2, normalize="true"), [[1, 0], [0, 0]])


def test_num_classes_inferred_like_sklearn():
    assert F.recall(_t([0, 4]), _t([0, 1]), average=None).shape == (5,)
    assert F.confusion_matrix(_t([0, 1]), _t([2, 1])).shape == (3, 3)


def test_empty_input_scores_zero():
    empty = ember.zeros(0, dtype=ember.int64)
    _close(F.accuracy(empty, empty, num_classes=3), 0.0)
    _close(F.f1_score(empty, empty, num_classes=3, average="macro"), 0.0)


# ---------------------------------------------------------------------------------------------
# Random inputs against the references
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("metric", list(FUNCS))
@pytest.mark.parametrize("average", AVERAGES)
def test_labels_against_reference(seed, metric, average):
    rng = np.random.default_rng(seed)
    c = 6
    # classes 4 and 5 rarely or never occur, so absent classes are exercised
    target = rng.choice(c, size=40, p=[0.3, 0.3, 0.2, 0.2, 0.0, 0.0])
    pred = np.where(rng.random(40) < 0.6, target, rng.choice(c, 40, p=[0.2] * 4 + [0.2, 0.0]))
    tp, fp, fn = ref_counts(target, [[p] for p in pred.tolist()], c)
    out = FUNCS[metric](_t(pred), _t(target), num_classes=c, average=average)
    _close(out, ref_scores(metric, tp, fp, fn, average))


@pytest.mark.parametrize("top_k", [1, 2, 3])
@pytest.mark.parametrize("metric", list(FUNCS))
@pytest.mark.parametrize("average", AVERAGES)
def test_scores_top_k_against_reference(top_k, metric, average):
    rng = np.random.default_rng(top_k)
    scores = rng.standard_normal((30, 5))
    scores[:5] = np.round(scores[:5])  # some ties
    target = rng.integers(0, 5, 30)
    tp, fp, fn = ref_counts(target, ref_topk(scores, top_k), 5)
    out = FUNCS[metric](_t(scores), _t(target), top_k=top_k, average=average)
    _close(out, ref_scores(metric, tp, fp, fn, average, top_k=top_k))


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_fbeta_against_reference(beta):
    rng = np.random.default_rng(7)
    target, pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    tp, fp, fn = ref_counts(target, [[p] for p in pred.tolist()], 4)
    for average in AVERAGES:
        out = F.fbeta_score(_t(pred), _t(target), average=average, beta=beta)
        _close(out, ref_scores("fbeta", tp, fp, fn, average, beta=beta))


def test_confusion_matrix_against_counting():
    rng = np.random.default_rng(3)
    target, pred = rng.integers(0, 7, 200), rng.integers(0, 7, 200)
    out = F.confusion_matrix(_t(pred), _t(target), 7)
    np.testing.assert_array_equal(out.numpy(), ref_confusion(target, pred, 7))


# ---------------------------------------------------------------------------------------------
# ROC AUC
# ---------------------------------------------------------------------------------------------


def ref_auc(scores, target):
    """P(score of a positive > score of a negative) + half the ties, over all pairs."""
    pos = [s for s, t in zip(scores, target, strict=True) if t == 1]
    neg = [s for s, t in zip(scores, target, strict=True) if t == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_roc_auc():
    _close(F.roc_auc(_t([0.1, 0.4, 0.35, 0.8]), _t([0, 0, 1, 1])), 0.75)
    rng = np.random.default_rng(5)
    scores = np.round(rng.random(60), 1)  # many ties
    target = rng.integers(0, 2, 60)
    _close(F.roc_auc(_t(scores), _t(target)), ref_auc(scores.tolist(), target.tolist()))
    # (N, 2) logits rank by their difference; logits and probabilities give the same area
    two = np.stack([np.zeros(60), scores], axis=1)
    _close(F.auroc(_t(two), _t(target)), ref_auc(scores.tolist(), target.tolist()))
    with pytest.raises(ValueError, match="roc_auc: target holds only positives"):
        F.roc_auc(_t([0.2, 0.3]), _t([1, 1]))


# ---------------------------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------------------------


def test_regression_literal():
    pred, target = _t([2.5, 0.0, 2.0, 8.0]), _t([3.0, -0.5, 2.0, 7.0])
    _close(F.mean_absolute_error(pred, target), 0.5)
    _close(F.mean_squared_error(pred, target), 0.375)
    _close(F.mean_squared_error(pred, target, squared=False), math.sqrt(0.375))
    # SS_res = 1.5, SS_tot = sum((t - 2.875)^2) = 29.1875
    _close(F.r2_score(pred, target), 1 - 1.5 / 29.1875)


def test_r2_multioutput_and_constant_target():
    rng = np.random.default_rng(1)
    t = rng.standard_normal((20, 3))
    p = t + 0.3 * rng.standard_normal((20, 3))
    ss_res = ((t - p) ** 2).sum(0)
    ss_tot = ((t - t.mean(0)) ** 2).sum(0)
    raw = 1 - ss_res / ss_tot
    _close(F.r2_score(_t(p), _t(t), multioutput="raw_values"), raw)
    _close(F.r2_score(_t(p), _t(t)), raw.mean())
    _close(
        F.r2_score(_t(p), _t(t), multioutput="variance_weighted"), 1 - ss_res.sum() / ss_tot.sum()
    )
    # sklearn's force_finite: a constant target scores 1 if hit exactly, else 0
    _close(F.r2_score(_t([2.0, 2.0]), _t([2.0, 2.0])), 1.0)
    _close(F.r2_score(_t([2.0, 1.0]), _t([2.0, 2.0])), 0.0)


def test_regression_dtypes():
    x64 = ember.tensor([1.0, 2.0], dtype=ember.float64)
    assert F.mean_squared_error(x64, x64 + 1).dtype == ember.float64
    assert F.mean_absolute_error(_t([1, 2]), _t([2, 2])).dtype == ember.float32
    assert math.isnan(F.mean_squared_error(ember.zeros(0), ember.zeros(0)).item())


# ---------------------------------------------------------------------------------------------
# Stateful metrics: exact accumulation over uneven batches
# ---------------------------------------------------------------------------------------------

CLASSES = {
    "accuracy": (M.Accuracy, F.accuracy),
    "precision": (M.Precision, F.precision),
    "recall": (M.Recall, F.recall),
    "f1": (M.F1Score, F.f1_score),
}
SPLITS = [0, 3, 4, 20, 33, 50]  # batch sizes 3, 1, 16, 13, 17 (one class absent from some)


def _batches(*arrays):
    return [tuple(_t(a[i:j]) for a in arrays) for i, j in zip(SPLITS, SPLITS[1:], strict=False)]


@pytest.mark.parametrize("metric", list(CLASSES))
@pytest.mark.parametrize("average", AVERAGES)
def test_stateful_equals_functional_on_concatenation(metric, average):
    rng = np.random.default_rng(11)
    scores, target = rng.standard_normal((50, 4)), rng.integers(0, 4, 50)
    cls, fn = CLASSES[metric]
    for top_k in (1, 2):
        m = cls("multiclass", num_classes=4, average=average, top_k=top_k)
        for s, t in _batches(scores, target):
            m.update(s, t)
        expected = fn(_t(scores), _t(target), average=average, top_k=top_k)
        np.testing.assert_array_equal(m.compute().numpy(), expected.numpy())
        assert m.update_count == 5


def test_stateful_binary_and_forward_returns_the_batch_value():
    rng = np.random.default_rng(2)
    prob, target = rng.random(50), rng.integers(0, 2, 50)
    m = M.F1Score(threshold=0.3)  # no num_classes: binary
    batch_values = [m(p, t) for p, t in _batches(prob, target)]
    for (p, t), value in zip(_batches(prob, target), batch_values, strict=True):
        np.testing.assert_array_equal(value.numpy(), F.f1_score(p, t, threshold=0.3).numpy())
    expected = F.f1_score(_t(prob), _t(target), threshold=0.3)
    np.testing.assert_array_equal(m.compute().numpy(), expected.numpy())


def test_stateful_confusion_matrix_and_reset():
    rng = np.random.default_rng(4)
    pred, target = rng.integers(0, 5, 50), rng.integers(0, 5, 50)
    cm = M.ConfusionMatrix("multiclass", num_classes=5, normalize="true")
    for p, t in _batches(pred, target):
        cm.update(p, t)
    expected = F.confusion_matrix(_t(pred), _t(target), 5, normalize="true")
    np.testing.assert_array_equal(cm.compute().numpy(), expected.numpy())
    cm.reset()
    assert cm.update_count == 0
    assert cm.confmat.numpy().sum() == 0
    cm.update(_t([1]), _t([2]))
    assert cm.confmat.numpy()[2, 1] == 1 and cm.confmat.numpy().sum() == 1


def test_reset_starts_over():
    acc = M.Accuracy("multiclass", num_classes=3)
    acc.update(_t([0, 1, 2]), _t([0, 1, 1]))
    acc.reset()
    acc.update(_t([2, 2]), _t([2, 0]))
    _close(acc.compute(), 0.5)


def test_stateful_regression_equals_functional():
    rng = np.random.default_rng(6)
    pred, target = rng.standard_normal(50), 3 + rng.standard_normal(50)
    pairs = [
        (M.MeanAbsoluteError(), F.mean_absolute_error(_t(pred), _t(target))),
        (M.MeanSquaredError(), F.mean_squared_error(_t(pred), _t(target))),
        (M.MeanSquaredError(squared=False), F.mean_squared_error(_t(pred), _t(target), False)),
        (M.R2Score(), F.r2_score(_t(pred), _t(target))),
    ]
    for metric, expected in pairs:
        for p, t in _batches(pred, target):
            metric.update(p, t)
        _close(metric.compute(), expected.numpy())
        metric.reset()
        if isinstance(metric, M.R2Score):
            with pytest.raises(ValueError, match="needs at least two samples, got 0"):
                metric.compute()
        else:
            assert math.isnan(metric.compute().item())  # the mean of nothing


def test_r2_score_merge_is_exact_for_a_constant_target():
    r2 = M.R2Score(num_outputs=2, multioutput="raw_values")
    target = np.full((50, 2), 3.3)
    target[:, 1] = np.arange(50) / 7
    pred = target.copy()
    pred[:, 0] = 3.3
    pred[10, 1] += 1
    r2.update(ember.zeros(0, 2), ember.zeros(0, 2))  # an empty batch changes nothing
    for p, t in _batches(pred, target):
        r2.update(p, t)
    ss_tot = ((target[:, 1] - target[:, 1].mean()) ** 2).sum()
    _close(r2.compute(), [1.0, 1 - 1 / ss_tot])


def test_mean_metric_weights():
    m = M.MeanMetric()
    m.update(_t([1.0, 2.0]))
    m.update(4.0, weight=2.0)
    m.update(_t([[1.0, 5.0]]), weight=_t([3.0, 1.0]))
    # (1 + 2 + 2 * 4 + 3 * 1 + 1 * 5) / (1 + 1 + 2 + 3 + 1)
    _close(m.compute(), 19 / 8)
    assert m.compute().dtype == ember.float32
    m.reset()
    assert math.isnan(m.compute().item())


def test_metric_collection():
    rng = np.random.default_rng(8)
    scores, target = rng.standard_normal((50, 3)), rng.integers(0, 3, 50)
    coll = M.MetricCollection(
        {"acc": M.Accuracy(num_classes=3), "f1": M.F1Score(num_classes=3, average="macro")},
        prefix="val_",
    )
    first = coll(*_batches(scores, target)[0])
    assert set(first) == {"val_acc", "val_f1"}
    for s, t in _batches(scores, target)[1:]:
        coll.update(s, t)
    out = coll.compute()
    _close(out["val_acc"], F.accuracy(_t(scores), _t(target)).numpy())
    _close(out["val_f1"], F.f1_score(_t(scores), _t(target), average="macro").numpy())
    coll.reset()
    assert coll["acc"].update_count == 0
    named = M.MetricCollection([M.Accuracy(), M.Recall()])
    assert list(named.keys()) == ["Accuracy", "Recall"]


def test_states_move_but_are_not_saved_or_cast():
    acc = M.Accuracy("multiclass", num_classes=3)
    assert acc.state_dict() == {}
    acc.half()
    assert acc.tp.dtype == ember.int64
    mse = M.MeanSquaredError().to(ember.float16)
    assert mse.sum_squared_error.dtype == ember.float64


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 12), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
    average=st.sampled_from(AVERAGES),
)
def test_any_split_accumulates_exactly(sizes, seed, average):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    pred, target = rng.integers(0, 4, n), rng.integers(0, 4, n)
    m = M.Precision("multiclass", num_classes=4, average=average)
    start = 0
    for size in sizes:
        m.update(_t(pred[start : start + size]), _t(target[start : start + size]))
        start += size
    expected = F.precision(_t(pred), _t(target), num_classes=4, average=average)
    np.testing.assert_array_equal(m.compute().numpy(), expected.numpy())


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

ERRORS = [
    (
        lambda: F.accuracy(_t(list(range(10))), _t(list(range(12)))),
        "accuracy: pred and target must have the same number of samples, got 10 and 12",
    ),
    (
        lambda: F.confusion_matrix(_t([0, 1]), _t([0, 7]), 5),
        "confusion_matrix: target contains class 7 but num_classes=5",
    ),
    (lambda: F.precision(_t([0, 6]), _t([0, 1]), 5), "precision: pred contains class 6"),
    (lambda: F.recall(_t([0, 1]), _t([-1, 1])), "recall: target contains class -1"),
    (
        lambda: F.accuracy(ember.randn(4, 3), _t([0, 1, 2, 0]), num_classes=5),
        r"accuracy: pred has 3 classes in dim 1 \(shape \(4, 3\)\) but num_classes=5",
    ),
    (
        lambda: F.accuracy(ember.randn(4, 3), _t([0, 1, 2, 0]), top_k=4),
        r"accuracy: top_k=4 is larger than the number of classes \(3\)",
    ),
    (lambda: F.accuracy(_t([0, 1]), _t([0, 1]), top_k=2), "top_k=2 needs scores of shape"),
    (lambda: F.f1_score(_t([0]), _t([0]), average="samples"), "f1_score: average must be"),
    (lambda: F.accuracy(_t([0]), _t([0]), task="multilabel"), "accuracy: task must be"),
    (
        lambda: F.accuracy(_t([0.2, 0.7]), _t([0, 3]), num_classes=5),
        "read as the probabilities of a binary task",
    ),
    (
        lambda: F.precision(_t([0.2, 0.7]), _t([0, 2])),
        "precision: target contains 2 but a binary task expects 0 or 1",
    ),
    (lambda: F.recall(_t([1, 0]), _t([0.5, 1.0])), "whole numbers"),
    (
        lambda: F.fbeta_score(_t([1]), _t([1]), beta=0.0),
        "fbeta_score: beta must be a positive number",
    ),
    (lambda: F.confusion_matrix(_t([1]), _t([1]), normalize="rows"), "normalize must be"),
    (lambda: F.accuracy(_t(1), _t(1)), "need a sample dimension"),
    (
        lambda: F.accuracy(ember.randn(4, 3, 2), _t([0, 1, 2, 0])),
        r"pred of shape \(4, 3, 2\) does not match target of shape \(4,\)",
    ),
    (lambda: F.accuracy(_t([0, 1]), _t([0, 1]), threshold=1.5), "threshold must be"),
    (
        lambda: F.mean_squared_error(_t([1.0, 2.0]), _t([1.0, 2.0, 3.0])),
        r"mean_squared_error: pred and target must have the same shape, got \(2,\) and \(3,\)",
    ),
    (lambda: F.r2_score(_t([1.0]), _t([2.0])), "r2_score: R\\^2 needs at least two samples"),
    (lambda: F.r2_score(_t([1.0, 2.0]), _t([1.0, 2.0]), "mean"), "multioutput must be"),
    (lambda: M.Accuracy("multiclass"), "accuracy: task='multiclass' needs num_classes"),
    (lambda: M.FBetaScore(beta=-1), "fbeta_score: beta must be a positive number"),
    (lambda: M.Accuracy("binary", num_classes=3), "a binary task has 2 classes"),
    (
        lambda: M.MeanMetric().update(_t([1.0, 2.0]), weight=_t([1.0, 2.0, 3.0])),
        r"MeanMetric: weight of shape \(3,\) cannot be broadcast to value of shape \(2,\)",
    ),
    (
        lambda: M.R2Score(num_outputs=2).update(_t([1.0, 2.0]), _t([1.0, 2.0])),
        r"r2_score: expected pred and target of shape \(N, 2\)",
    ),
    (
        lambda: M.MetricCollection([M.Accuracy(), M.Accuracy()]),
        "two metrics are named 'Accuracy'",
    ),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_stateful_rejects_a_change_of_task():
    m = M.Accuracy(num_classes=2)
    m.update(_t([0, 1]), _t([0, 1]))  # labels: multiclass
    with pytest.raises(ValueError, match="accuracy: this batch reads as a binary task"):
        m.update(_t([0.2, 0.9]), _t([0, 1]))


def test_type_errors():
    with pytest.raises(TypeError, match="accuracy: pred must be a Tensor, got str"):
        F.accuracy("abc", _t([0]))
    with pytest.raises(TypeError, match="MetricCollection: 'x' is a int, not a Metric"):
        M.MetricCollection({"x": 3})


# ---------------------------------------------------------------------------------------------
# CUDA: the same results through CuPy (skipped without a GPU)
# ---------------------------------------------------------------------------------------------


@pytest.mark.cuda
def test_cuda_matches_cpu(device):
    if device != "cuda":
        pytest.skip("needs CUDA")
    rng = np.random.default_rng(9)
    scores, target = rng.standard_normal((64, 5)).astype(np.float32), rng.integers(0, 5, 64)
    s_gpu, t_gpu = _t(scores).to("cuda"), _t(target).to("cuda")
    for fn in FUNCS.values():
        for average in AVERAGES:
            gpu = fn(s_gpu, t_gpu, average=average, top_k=2)
            assert gpu.device.type == "cuda"
            cpu = fn(_t(scores), _t(target), average=average, top_k=2)
            np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-6)
    cm = F.confusion_matrix(s_gpu, t_gpu)
    np.testing.assert_array_equal(cm.cpu().numpy(), F.confusion_matrix(_t(scores), _t(target)))
    prob = rng.random(64)
    auc = F.roc_auc(_t(prob).to("cuda"), t_gpu % 2)
    np.testing.assert_allclose(auc.cpu().numpy(), F.roc_auc(_t(prob), _t(target % 2)).numpy())
    r2 = F.r2_score(s_gpu[:, 0], s_gpu[:, 1])
    np.testing.assert_allclose(r2.cpu().numpy(), F.r2_score(_t(scores[:, 0]), _t(scores[:, 1])))
    metric = M.F1Score("multiclass", num_classes=5, average="macro").to("cuda")
    assert metric.tp.device.type == "cuda"
    for i in range(0, 64, 24):
        metric.update(s_gpu[i : i + 24], t_gpu[i : i + 24])
    value = metric.compute()
    assert value.device.type == "cuda"
    expected = F.f1_score(_t(scores), _t(target), average="macro")
    np.testing.assert_allclose(value.cpu().numpy(), expected.numpy(), rtol=1e-6)
    mse = M.R2Score()  # state on the CPU, inputs on the GPU: statistics are copied over
    mse.update(s_gpu[:, 0], s_gpu[:, 1])
    np.testing.assert_allclose(mse.compute().numpy(), r2.cpu().numpy(), rtol=1e-6)
