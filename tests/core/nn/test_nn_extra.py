"""Lazy layers, fractional max pooling, AdaptiveLogSoftmaxWithLoss, CrossMapLRN2d,
SyncBatchNorm and Container.

References are NumPy code written here from PyTorch's definitions (the interval formula of
FractionalMaxPooling.h, the running-sum loop of torch/nn/modules/_functions.py, the adaptive
softmax's cluster decomposition, batch-norm statistics); the choices no formula gives away
(which ``_random_samples`` column drives which dimension, CrossMapLRN2d's window sizes) are
also checked against literals recorded from PyTorch 2.13."""

import math
import pickle

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.functional import _fractional as FF
from ember.nn.modules import adaptive, compat, fractional, lazy
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy


def values(t):
    return t.detach().numpy()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# =============================================================================================
# Lazy modules
# =============================================================================================

CONV_CASES = [
    # lazy class, regular class, constructor args, input shape, weight shape, output shape
    (lazy.LazyConv1d, nn.Conv1d, (4, 3), (2, 3, 7), (4, 3, 3), (2, 4, 5)),
    (lazy.LazyConv2d, nn.Conv2d, (4, 3), (2, 3, 6, 6), (4, 3, 3, 3), (2, 4, 4, 4)),
    (lazy.LazyConv2d, nn.Conv2d, (4, 3), (3, 6, 6), (4, 3, 3, 3), (4, 4, 4)),  # unbatched
    (lazy.LazyConv3d, nn.Conv3d, (2, 2), (1, 3, 3, 3, 3), (2, 3, 2, 2, 2), (1, 2, 2, 2, 2)),
    (lazy.LazyConvTranspose1d, nn.ConvTranspose1d, (4, 3), (2, 6, 5), (6, 4, 3), (2, 4, 7)),
    (lazy.LazyConvTranspose2d, nn.ConvTranspose2d, (4, 2), (1, 3, 4, 4), (3, 4, 2, 2),
     (1, 4, 5, 5)),
    (lazy.LazyConvTranspose3d, nn.ConvTranspose3d, (2, 2), (1, 3, 2, 2, 2), (3, 2, 2, 2, 2),
     (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("lazy_cls, cls, args, in_shape, w_shape, out_shape", CONV_CASES)
def test_lazy_conv_infers_shapes_and_becomes_regular(lazy_cls, cls, args, in_shape, w_shape,
                                                     out_shape):
    m = lazy_cls(*args)
    assert m.has_uninitialized_params()
    assert isinstance(m.weight, UninitializedParameter) and is_lazy(m.bias)
    x = ember.randn(*in_shape)
    y = m(x)
    assert type(m) is cls and not any(is_lazy(p) for p in m.parameters())
    assert tuple(m.weight.shape) == w_shape and tuple(m.bias.shape) == (args[0],)
    assert tuple(y.shape) == out_shape
    # PyTorch's default init: kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    fan_in = w_shape[1] * math.prod(w_shape[2:])
    bound = 1 / math.sqrt(fan_in)
    w = values(m.weight)
    assert np.all(np.abs(w) <= bound) and np.abs(w).max() > bound / 4
    assert np.all(np.abs(values(m.bias)) <= bound)
    # the materialised layer computes what a regular one with the same state computes
    ref = cls(m.in_channels, *args)
    ref.load_state_dict(m.state_dict())
    np.testing.assert_allclose(values(ref(x)), values(y), rtol=1e-6)


def test_lazy_conv_parameters_keep_identity_and_grouping():
    m = lazy.LazyConv2d(6, 3, groups=3, bias=False)
    before = list(m.parameters())
    m(ember.randn(1, 9, 5, 5))
    assert [id(p) for p in m.parameters()] == [id(p) for p in before]  # optimisers stay valid
    assert tuple(m.weight.shape) == (6, 3, 3, 3) and m.bias is None and m.in_channels == 9
    assert type(m.weight) is nn.Parameter and m.weight.requires_grad


def test_lazy_conv_errors_and_state_of_uninitialised():
    m = lazy.LazyConv2d(4, 3)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           r"to LazyConv2d"):
        m(ember.randn(3, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        lazy.LazyConv2d(4, 3, groups=2)(ember.randn(1, 3, 5, 5))
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert all(isinstance(v, UninitializedParameter) for v in sd.values())
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        _ = m.weight.shape
    assert repr(m) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))"
    with pytest.raises(RuntimeError):
        pickle.dumps(m.weight)


def test_lazy_conv_load_state_dict_materialises():
    src = nn.ConvTranspose2d(3, 4, 2, stride=2)
    m = lazy.LazyConvTranspose2d(4, 2, stride=2)
    m.load_state_dict(src.state_dict())
    assert type(m) is lazy.LazyConvTranspose2d and not m.has_uninitialized_params()
    np.testing.assert_array_equal(values(m.weight), values(src.weight))
    x = ember.randn(2, 3, 3, 3)
    y = m(x)
    assert type(m) is nn.ConvTranspose2d and m.in_channels == 3
    np.testing.assert_allclose(values(y), values(src(x)), rtol=1e-6)
    # an uninitialised state_dict loads into another lazy module without materialising
    other = lazy.LazyConv1d(2, 3)
    other.load_state_dict(lazy.LazyConv1d(2, 3).state_dict())
    assert other.has_uninitialized_params()


NORM_KEYS = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize("lazy_cls, cls, shape", [
    (lazy.LazyBatchNorm1d, nn.BatchNorm1d, (6, 3)),
    (lazy.LazyBatchNorm1d, nn.BatchNorm1d, (4, 3, 5)),
    (lazy.LazyBatchNorm2d, nn.BatchNorm2d, (4, 3, 2, 2)),
    (lazy.LazyBatchNorm3d, nn.BatchNorm3d, (2, 3, 2, 2, 2)),
])
def test_lazy_batchnorm_against_numpy(lazy_cls, cls, shape, rng):
    m = lazy_cls(momentum=0.2)
    sd = m.state_dict()
    assert list(sd) == NORM_KEYS
    assert isinstance(sd["running_mean"], UninitializedBuffer)
    assert values(sd["num_batches_tracked"]).dtype == np.int64
    x = rng.standard_normal(shape)
    y = m(ember.tensor(x, dtype=ember.float64))
    assert type(m) is cls and m.num_features == 3
    axes = (0,) + tuple(range(2, len(shape)))
    keep = [1, 3] + [1] * (len(shape) - 2)
    mean, var = x.mean(axes), x.var(axes)
    expected = (x - mean.reshape(keep)) / np.sqrt(var.reshape(keep) + 1e-5)
    np.testing.assert_allclose(values(y), expected, rtol=1e-7, atol=1e-7)
    n = x.size // 3
    np.testing.assert_allclose(values(m.running_mean), 0.2 * mean, rtol=1e-6)
    np.testing.assert_allclose(values(m.running_var), 0.8 + 0.2 * var * n / (n - 1), rtol=1e-6)
    assert int(m.num_batches_tracked) == 1
    assert [tuple(v.shape) for v in m.state_dict().values()] == [(3,), (3,), (3,), (3,), ()]


def test_lazy_norm_variants():
    m = lazy.LazyBatchNorm2d(affine=False)
    assert list(m.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    m(ember.randn(2, 5, 3, 3))
    assert type(m) is nn.BatchNorm2d and m.weight is None and m.num_features == 5
    # nothing to materialise: still becomes the regular layer and works
    m = lazy.LazyBatchNorm1d(affine=False, track_running_stats=False)
    assert list(m.state_dict()) == []
    assert tuple(m(ember.randn(4, 2)).shape) == (4, 2) and type(m) is nn.BatchNorm1d
    # PyTorch's defaults for the lazy instance norms are affine=True, track_running_stats=True
    m = lazy.LazyInstanceNorm1d()
    assert list(m.state_dict()) == NORM_KEYS
    y = m(ember.randn(3, 7))  # unbatched (C, L): C = 3
    assert type(m) is nn.InstanceNorm1d and m.num_features == 3 and tuple(y.shape) == (3, 7)
    m = lazy.LazyInstanceNorm2d(affine=False, track_running_stats=False)
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    y = values(m(ember.tensor(x)))
    mean, var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-6, atol=1e-6)
    m = lazy.LazyInstanceNorm3d()
    m(ember.randn(1, 2, 2, 2, 2))
    assert type(m) is nn.InstanceNorm3d and tuple(m.weight.shape) == (2,)


def test_lazy_norm_load_and_errors():
    src = nn.BatchNorm1d(4)
    src(ember.randn(8, 4))
    m = lazy.LazyBatchNorm1d()
    m.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(values(m.running_mean), values(src.running_mean))
    m.eval()
    src.eval()
    x = ember.randn(3, 4)
    np.testing.assert_allclose(values(m(x)), values(src(x)), rtol=1e-6)
    assert type(m) is nn.BatchNorm1d and m.num_features == 4
    with pytest.raises(ValueError, match=r"LazyBatchNorm2d: expected 4D input"):
        lazy.LazyBatchNorm2d()(ember.randn(2, 3))


def test_lazy_dtype_conversion_before_first_call():
    m = lazy.LazyBatchNorm1d()
    weight = m.weight
    m.double()  # placeholders stay placeholders (and the same objects), now float64
    assert is_lazy(m.weight) and is_lazy(m.running_mean) and m.weight is weight
    m(ember.randn(4, 3, dtype=ember.float64))
    assert m.weight.dtype == m.running_var.dtype == ember.float64
    assert m.num_batches_tracked.dtype == ember.int64
    c = lazy.LazyConvTranspose1d(2, 2).double()
    c(ember.randn(1, 3, 4, dtype=ember.float64))
    assert c.weight.dtype == c.bias.dtype == ember.float64 and tuple(c.weight.shape) == (3, 2, 2)


def test_lazy_gradcheck_after_materialisation():
    m = lazy.LazyConv1d(2, 2, dtype=ember.float64)
    x = ember.randn(1, 2, 4, dtype=ember.float64, requires_grad=True)
    m(x)
    assert m.weight.dtype == ember.float64
    assert gradcheck(lambda x, w, b: m(x), (x, m.weight, m.bias))


@pytest.mark.parametrize("make, x_shape, w_shape", [
    (lambda: nn.LazyLinear(3), (2, 5), (3, 5)),
    (lambda: nn.LazyConv2d(4, 3), (1, 2, 5, 5), (4, 2, 3, 3)),
], ids=["LazyLinear", "LazyConv2d"])
def test_lazy_state_dict_keeps_uninitialized_entries(make, x_shape, w_shape):
    # PyTorch: an unused lazy module's state_dict (keep_vars=False too) holds the
    # UninitializedParameter objects themselves, not (0,)-shaped plain tensors
    src = make()
    for keep_vars in (False, True):
        sd = src.state_dict(keep_vars=keep_vars)
        assert list(sd) == ["weight", "bias"]
        assert all(type(v) is UninitializedParameter for v in sd.values())
        assert sd["weight"] is src.weight
    # loading it into another unused lazy module: no-op, it stays lazy ...
    dst = make()
    cls = type(dst)
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert dst.has_uninitialized_params() and type(dst) is cls and is_lazy(dst.weight)
    # ... and materialises from the first input, as a fresh one would
    y = dst(ember.randn(*x_shape))
    assert tuple(dst.weight.shape) == w_shape and not is_lazy(dst.bias)
    assert type(dst) is not cls and y.shape[0] == x_shape[0]
    assert np.isfinite(values(dst.weight)).all() and np.abs(values(dst.weight)).max() > 0
    # a lazy entry into a materialised module is refused, with PyTorch's message
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        dst.load_state_dict(make().state_dict())
    # nested: the keys keep their prefix, the values stay placeholders
    outer = nn.Sequential(make())
    assert all(is_lazy(v) for v in outer.state_dict().values())
    assert list(outer.state_dict()) == ["0.weight", "0.bias"]


def test_uninitialized_detach_refused():
    # PyTorch raises ValueError for detach (and most ops) on a placeholder
    with pytest.raises(ValueError, match="uninitialized parameter in UninitializedParameter"):
        UninitializedParameter().detach()
    with pytest.raises(ValueError, match="uninitialized parameter in UninitializedBuffer"):
        UninitializedBuffer().detach()


# =============================================================================================
# Fractional max pooling
# =============================================================================================


def ref_intervals(u, n_in, n_out, k):
    """FractionalMaxPooling.h's generate_intervals, in u's dtype."""
    seq = np.empty(n_out, dtype=np.int64)
    if n_out > 1:
        alpha = u.dtype.type(n_in - k) / u.dtype.type(n_out - 1)
        for i in range(n_out - 1):
            seq[i] = int(u.dtype.type(i + u) * alpha) - int(u * alpha)
    seq[-1] = n_in - k
    return seq


def ref_fractional(x, k, out, u, columns):
    """Window-by-window max and flat argmax (first max) of (N, C, *spatial) ``x``."""
    nd = len(k)
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    y = np.empty((n, c) + tuple(out), x.dtype)
    idx = np.empty((n, c) + tuple(out), np.int64)
    for b in range(n):
        for ch in range(c):
            starts = [ref_intervals(u[b, ch, columns[j]], spatial[j], out[j], k[j])
                      for j in range(nd)]
            for o in np.ndindex(*out):
                lo = [starts[j][o[j]] for j in range(nd)]
                window = x[(b, ch) + tuple(slice(lo[j], lo[j] + k[j]) for j in range(nd))]
                a = int(np.argmax(window))
                pos = np.unravel_index(a, window.shape)
                y[(b, ch) + o] = window[pos]
                idx[(b, ch) + o] = np.ravel_multi_index(
                    tuple(lo[j] + pos[j] for j in range(nd)), spatial)
    return y, idx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool2d_against_reference(dtype, rng):
    x = rng.standard_normal((2, 3, 9, 8)).astype(dtype)
    u = rng.random((2, 3, 2)).astype(dtype)
    y, i = FF.fractional_max_pool2d(ember.tensor(x), (3, 2), output_size=(4, 5),
                                    return_indices=True, _random_samples=ember.tensor(u))
    ey, ei = ref_fractional(x, (3, 2), (4, 5), u, columns=(1, 0))  # [..., 0] is the width
    np.testing.assert_array_equal(values(y), ey)
    np.testing.assert_array_equal(values(i), ei)
    assert values(y).dtype == dtype and i.dtype == ember.int64
    # unbatched input, output_ratio: int(9 * 0.5), int(8 * 0.5)
    y1 = FF.fractional_max_pool2d(ember.tensor(x[0]), 2, output_ratio=0.5,
                                  _random_samples=ember.tensor(u[:1]))
    ey1, _ = ref_fractional(x[:1], (2, 2), (4, 4), u[:1], columns=(1, 0))
    np.testing.assert_array_equal(values(y1), ey1[0])


def test_fractional_max_pool3d_against_reference(rng):
    x = rng.standard_normal((1, 2, 6, 7, 8)).astype(np.float32)
    u = rng.random((1, 2, 3)).astype(np.float32)
    y, i = FF.fractional_max_pool3d_with_indices(ember.tensor(x), (2, 3, 2), (3, 4, 5),
                                                 _random_samples=ember.tensor(u))
    ey, ei = ref_fractional(x, (2, 3, 2), (3, 4, 5), u, columns=(0, 1, 2))
    np.testing.assert_array_equal(values(y), ey)
    np.testing.assert_array_equal(values(i), ei)


def test_fractional_sample_columns_match_pytorch_literals():
    # PyTorch 2.13: F.fractional_max_pool2d(arange(100).reshape(1, 1, 10, 10), 2,
    # output_size=4, return_indices=True, _random_samples=[[[0.9, 0.1]]]) indices
    x = ember.arange(100.0).reshape(1, 1, 10, 10)
    _, i = FF.fractional_max_pool2d(x, 2, output_size=4, return_indices=True,
                                    _random_samples=ember.tensor([[[0.9, 0.1]]]))
    assert values(i).tolist() == [[[[11, 14, 16, 19], [31, 34, 36, 39],
                                    [61, 64, 66, 69], [91, 94, 96, 99]]]]


def test_fractional_nan_and_randomness():
    x = ember.zeros(1, 1, 4, 4)
    x[0, 0, 1, 1] = float("nan")
    y = FF.fractional_max_pool2d(x, 2, output_size=3,
                                 _random_samples=ember.tensor([[[0.5, 0.5]]]))
    assert np.isnan(values(y)).any()
    data = ember.randn(2, 3, 9, 9)
    ember.manual_seed(3)
    a = FF.fractional_max_pool2d(data, 2, output_size=5)
    ember.manual_seed(3)
    b = FF.fractional_max_pool2d(data, 2, output_size=5)
    np.testing.assert_array_equal(values(a), values(b))


def test_fractional_gradients():
    rng = np.random.default_rng(5)
    x = ember.tensor(rng.permutation(36).reshape(1, 1, 6, 6) / 7.0, requires_grad=True)
    u = ember.tensor(rng.random((1, 1, 2)))
    assert gradcheck(lambda t: FF.fractional_max_pool2d(t, 2, output_size=3,
                                                        _random_samples=u), (x,))
    assert gradgradcheck(lambda t: FF.fractional_max_pool2d(t, 2, output_size=3,
                                                            _random_samples=u), (x,))
    x3 = ember.tensor(rng.permutation(64).reshape(1, 1, 4, 4, 4) / 9.0, requires_grad=True)
    u3 = ember.tensor(rng.random((1, 1, 3)))
    assert gradcheck(lambda t: FF.fractional_max_pool3d(t, 2, output_size=2,
                                                        _random_samples=u3), (x3,))


def test_fractional_modules():
    m = fractional.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5), return_indices=True)
    y, i = m(ember.randn(2, 4, 10, 10))
    assert tuple(y.shape) == (2, 4, 5, 5) and tuple(i.shape) == (2, 4, 5, 5)
    assert m.kernel_size == (3, 3) and m.output_ratio == (0.5, 0.5) and m.output_size is None
    assert repr(m) == "FractionalMaxPool2d()" and list(m.state_dict()) == []
    u = ember.rand(1, 2, 3)
    m3 = fractional.FractionalMaxPool3d(2, output_size=3, _random_samples=u)
    assert list(m3.state_dict()) == ["_random_samples"]
    x = ember.randn(1, 2, 6, 6, 6)
    np.testing.assert_array_equal(values(m3(x)), values(m3(x)))  # fixed samples: same windows
    assert tuple(m3(x).shape) == (1, 2, 3, 3, 3)


def test_fractional_errors():
    with pytest.raises(ValueError, match="requires specifying either an output size"):
        fractional.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        fractional.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)
    with pytest.raises(ValueError, match=r"output_ratio must be between 0 and 1 \(got 1.5\)"):
        fractional.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(RuntimeError, match="pool height 3 too large relative to input height 5"):
        FF.fractional_max_pool2d(ember.randn(1, 1, 5, 5), 3, output_size=4)
    with pytest.raises(RuntimeError, match="pool time 3 too large relative to input time 5"):
        FF.fractional_max_pool3d(ember.randn(1, 1, 5, 5, 5), 3, output_size=4)
    with pytest.raises(RuntimeError, match=r"expected _random_samples of shape \(1, 1, 2\)"):
        FF.fractional_max_pool2d(ember.randn(1, 1, 5, 5), 2, output_size=2,
                                 _random_samples=ember.rand(1, 2, 2))
    with pytest.raises(RuntimeError, match=r"expected a non-empty input of shape"):
        FF.fractional_max_pool2d(ember.randn(5, 5), 2, output_size=2)
    with pytest.raises(NotImplementedError, match="fractional_max_pool2d"):
        FF.fractional_max_pool2d(ember.ones(1, 1, 5, 5, dtype=ember.int64), 2, output_size=2)
    with pytest.raises(ValueError, match="either an output_size or an output_ratio"):
        FF.fractional_max_pool2d(ember.randn(1, 1, 5, 5), 2)


# =============================================================================================
# AdaptiveLogSoftmaxWithLoss
# =============================================================================================


def log_softmax_np(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def ref_full_log_prob(asm, x):
    """All-class log-probabilities from the module's weights, in NumPy."""
    sd = {k: values(v) for k, v in asm.state_dict().items()}
    head = x @ sd["head.weight"].T + sd.get("head.bias", 0)
    head_lp = log_softmax_np(head)
    cut = asm.cutoffs
    parts = [head_lp[:, : cut[0]]]
    for i in range(len(cut) - 1):
        h = x @ sd[f"tail.{i}.0.weight"].T
        parts.append(log_softmax_np(h @ sd[f"tail.{i}.1.weight"].T) + head_lp[:, cut[0] + i,
                                                                               None])
    return np.concatenate(parts, axis=1)


def make_asm():
    ember.manual_seed(0)
    return adaptive.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs=[4, 7], div_value=2.0,
                                               head_bias=True, dtype=ember.float64)


def test_adaptive_state_dict_layout():
    asm = make_asm()
    assert [(k, tuple(v.shape)) for k, v in asm.state_dict().items()] == [
        ("head.weight", (6, 16)), ("head.bias", (6,)),
        ("tail.0.0.weight", (8, 16)), ("tail.0.1.weight", (3, 8)),
        ("tail.1.0.weight", (4, 16)), ("tail.1.1.weight", (3, 4)),
    ]
    assert (asm.shortlist_size, asm.n_clusters, asm.head_size, asm.cutoffs) == (4, 2, 6,
                                                                               [4, 7, 10])
    fresh = adaptive.AdaptiveLogSoftmaxWithLoss(16, 10, [4, 7], div_value=2.0, head_bias=True,
                                                dtype=ember.float64)
    fresh.load_state_dict(asm.state_dict())
    x = ember.randn(3, 16, dtype=ember.float64)
    np.testing.assert_array_equal(values(fresh.log_prob(x)), values(asm.log_prob(x)))


def test_adaptive_forward_log_prob_predict_against_numpy(rng):
    asm = make_asm()
    x = rng.standard_normal((7, 16))
    target = np.array([0, 9, 4, 3, 7, 5, 8])
    out = asm(ember.tensor(x), ember.tensor(target))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    full = ref_full_log_prob(asm, x)
    expected = full[np.arange(7), target]
    np.testing.assert_allclose(values(out.output), expected, rtol=1e-10)
    np.testing.assert_allclose(float(out.loss), -expected.mean(), rtol=1e-10)
    np.testing.assert_allclose(values(asm.log_prob(ember.tensor(x))), full, rtol=1e-10)
    np.testing.assert_allclose(np.exp(full).sum(1), 1.0, rtol=1e-10)
    xs = rng.standard_normal((40, 16)) * 3
    np.testing.assert_array_equal(values(asm.predict(ember.tensor(xs))),
                                  ref_full_log_prob(asm, xs).argmax(1))
    # unbatched: a 0-d target with a 1-d input
    single = asm(ember.tensor(x[1]), ember.tensor(9))
    assert single.output.ndim == 0
    np.testing.assert_allclose(float(single.output), expected[1], rtol=1e-10)
    # only shortlist targets: the tails are not needed
    only_head = asm(ember.tensor(x[:2]), ember.tensor([1, 2]))
    np.testing.assert_allclose(values(only_head.output), full[[0, 1], [1, 2]], rtol=1e-10)


def test_adaptive_gradcheck():
    ember.manual_seed(1)
    asm = adaptive.AdaptiveLogSoftmaxWithLoss(4, 6, cutoffs=[2, 4], div_value=2.0,
                                              dtype=ember.float64)
    x = ember.randn(4, 4, dtype=ember.float64, requires_grad=True)
    t = ember.tensor([0, 5, 2, 3])
    params = tuple(asm.parameters())
    assert gradcheck(lambda x, *ps: asm(x, t).output, (x, *params))
    assert gradgradcheck(lambda x: asm(x, t).loss, (x,))
    assert gradcheck(lambda x: asm.log_prob(x), (x,))


def test_adaptive_errors():
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length larger than 0"):
        adaptive.AdaptiveLogSoftmaxWithLoss(4, 6, [])
    for bad in ([3, 2], [0, 2], [2, 6], [2, 2], [1.5]):
        with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive"):
            adaptive.AdaptiveLogSoftmaxWithLoss(4, 6, bad)
    asm = adaptive.AdaptiveLogSoftmaxWithLoss(4, 6, [2], div_value=2.0)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 5\], but values "
                                           r"in range \[0, 6\] were found"):
        asm(ember.randn(2, 4), ember.tensor([0, 6]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        asm(ember.randn(3, 4), ember.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        asm(ember.randn(2, 4), ember.tensor([[0], [1]]))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
        asm(ember.randn(2, 4), ember.tensor(1))
    with pytest.raises(RuntimeError, match=r"expected input of shape \(N, 4\), got \(2, 5\)"):
        asm.log_prob(ember.randn(2, 5))


# =============================================================================================
# CrossMapLRN2d
# =============================================================================================


def ref_cross_map_lrn(x, size, alpha, beta, k):
    """torch/nn/modules/_functions.py's running-sum loop, in NumPy."""
    sq = x**2
    c = x.shape[1]
    pre_pad = int((size - 1) / 2 + 1)
    scale = np.zeros_like(x)
    scale[:, 0] = sq[:, : min(pre_pad, c)].sum(1)
    for ch in range(1, c):
        scale[:, ch] = scale[:, ch - 1]
        if ch < c - pre_pad + 1:
            scale[:, ch] += sq[:, ch + pre_pad - 1]
        if ch > pre_pad:
            scale[:, ch] -= sq[:, ch - pre_pad]
    scale = scale * alpha / size + k
    return x * scale**-beta


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_cross_map_lrn_against_reference(size, rng):
    x = rng.standard_normal((2, 7, 3, 2))
    m = compat.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=1.5)
    np.testing.assert_allclose(values(m(ember.tensor(x))),
                               ref_cross_map_lrn(x, size, 0.3, 0.6, 1.5), rtol=1e-12)
    y32 = m(ember.tensor(x.astype(np.float32)))
    assert y32.dtype == ember.float32


def test_cross_map_lrn_window_sizes_match_pytorch():
    # PyTorch 2.13, ones(1, 8, 1, 1) with alpha=beta=k=1: (1 / y - 1) * size counts the
    # channels in each window
    y = compat.CrossMapLRN2d(5, alpha=1.0, beta=1.0, k=1.0)(ember.ones(1, 8, 1, 1))
    counts = (1 / values(y).ravel() - 1) * 5
    np.testing.assert_allclose(counts, [3, 4, 5, 6, 6, 6, 5, 4], rtol=1e-6)


def test_cross_map_lrn_gradients_repr_errors():
    x = ember.randn(1, 4, 2, 2, dtype=ember.float64, requires_grad=True)
    m = compat.CrossMapLRN2d(3, alpha=0.5, beta=0.75, k=1.0)
    assert gradcheck(m, (x,))
    assert gradgradcheck(m, (x,))
    assert repr(compat.CrossMapLRN2d(3)) == "CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)"
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D"):
        m(ember.randn(4, 2, 2))


# =============================================================================================
# SyncBatchNorm and Container
# =============================================================================================


def test_sync_batchnorm_is_batchnorm_in_one_process(rng):
    m = compat.SyncBatchNorm(3, momentum=0.5, dtype=ember.float64)
    assert list(m.state_dict()) == NORM_KEYS and m.process_group is None
    x = rng.standard_normal((4, 3, 2, 2, 2))
    y = values(m(ember.tensor(x)))
    axes = (0, 2, 3, 4)
    mean, var = x.mean(axes), x.var(axes)
    shape = (1, 3, 1, 1, 1)
    np.testing.assert_allclose(y, (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5),
                               rtol=1e-8, atol=1e-10)
    n = x.size // 3
    np.testing.assert_allclose(values(m.running_var), 0.5 + 0.5 * var * n / (n - 1), rtol=1e-10)
    m.eval()
    y_eval = values(m(ember.tensor(x)))
    rm, rv = values(m.running_mean).reshape(shape), values(m.running_var).reshape(shape)
    np.testing.assert_allclose(y_eval, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-10)
    assert tuple(m(ember.randn(5, 3, dtype=ember.float64)).shape) == (5, 3)  # (N, C) too
    xg = ember.randn(3, 3, 2, dtype=ember.float64, requires_grad=True)
    m.train()
    assert gradcheck(lambda t, w, b: m(t), (xg, m.weight, m.bias))


def test_sync_batchnorm_errors_and_convert():
    m = compat.SyncBatchNorm(3)
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        m(ember.randn(3))
    with pytest.raises(ValueError, match="number of input channels should be non-zero"):
        m(ember.randn(2, 0, 4))
    with pytest.raises(RuntimeError, match=r"SyncBatchNorm\(3\): expected input of shape "
                                           r"\(N, 3, \*\), got \(2, 4\)"):
        m(ember.randn(2, 4))
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2),
                        nn.Sequential(nn.BatchNorm1d(4, affine=False, momentum=None)))
    weight, running = net[1].weight, net[2][0].running_mean
    net.eval()
    out = compat.SyncBatchNorm.convert_sync_batchnorm(net, process_group="group")
    assert out is net
    assert [type(x).__name__ for x in net.modules()] == [
        "Sequential", "Conv2d", "SyncBatchNorm", "Sequential", "SyncBatchNorm"]
    assert net[1].weight is weight and net[2][0].running_mean is running
    assert net[1].process_group == "group" and not net[1].training
    assert net[2][0].momentum is None and net[2][0].weight is None
    assert list(net.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "2.0.running_mean", "2.0.running_var",
        "2.0.num_batches_tracked"]
    bn = nn.BatchNorm1d(2, bias=False)
    converted = compat.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert isinstance(converted, compat.SyncBatchNorm) and converted.bias is None


def test_container_is_deprecated_module():
    lin = nn.Linear(2, 2)
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = compat.Container(fc=lin, act=nn.ReLU())
    assert [name for name, _ in c.named_children()] == ["fc", "act"] and c.fc is lin
    assert list(c.state_dict()) == ["fc.weight", "fc.bias"]


def test_linear_with_zero_in_features_backward():
    # PyTorch allows a zero-width Linear (an empty tail cluster); its gradients are zeros
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):  # as PyTorch
        layer = nn.Linear(0, 3)
    x = ember.zeros(4, 0, requires_grad=True)
    layer(x).sum().backward()
    assert tuple(x.grad.shape) == (4, 0) and tuple(layer.weight.grad.shape) == (3, 0)
    np.testing.assert_array_equal(layer.bias.grad.numpy(), np.full(3, 4.0))

