"""Normalisation layers (BatchNorm*, InstanceNorm*, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm) and their functional forms.

Forward values against NumPy references written here (biased variance for normalising,
unbiased for the running variance), running statistics after two steps with momentum 0.1 and
None, gradcheck (float64, tiny) on input, weight and bias, gradgradcheck for batch_norm
(training), layer_norm and group_norm, state_dict keys and shapes as PyTorch's literal lists,
and errors that name the layer and the expected shape.
"""

from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

EPS = 1e-5


def arr(t):
    return t.detach().numpy(force=True)


def t64(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- NumPy references -------------------------------------------------------------------------


def channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def ref_norm(x, axes, eps=EPS):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased
    return (x - mean) / np.sqrt(var + eps)


def ref_batch_norm_train(x, w=None, b=None, eps=EPS):
    y = ref_norm(x, (0,) + tuple(range(2, x.ndim)), eps)
    if w is not None:
        y = y * w.reshape(channel_shape(x))
    if b is not None:
        y = y + b.reshape(channel_shape(x))
    return y


def ref_batch_norm_eval(x, mean, var, w, b, eps=EPS):
    s = channel_shape(x)
    return (x - mean.reshape(s)) / np.sqrt(var.reshape(s) + eps) * w.reshape(s) + b.reshape(s)


def ref_running(batches, momentum):
    """Running mean/var after the given batches: exponential (or, for None, cumulative)
    averages of the batch mean and the UNBIASED batch variance."""
    mean, var = 0.0, 1.0
    for k, x in enumerate(batches, start=1):
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.size // x.shape[1]
        m = momentum if momentum is not None else 1.0 / k
        mean = (1 - m) * mean + m * x.mean(axis=axes)
        var = (1 - m) * var + m * x.var(axis=axes) * n / (n - 1)
    return mean, var


def ref_layer_norm(x, k, w=None, b=None, eps=EPS):
    y = ref_norm(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def ref_group_norm(x, g, w, b, eps=EPS):
    n, c = x.shape[:2]
    y = ref_norm(x.reshape(n, g, -1), (2,), eps).reshape(x.shape)
    return y * w.reshape(channel_shape(x)) + b.reshape(channel_shape(x))


def ref_lrn(x, size, alpha, beta, k):
    sq = np.pad(x**2, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
    c = x.shape[1]
    window = sum(sq[:, i : i + c] for i in range(size))
    return x / (k + alpha / size * window) ** beta


# -- BatchNorm --------------------------------------------------------------------------------

BN_CASES = [
    (nn.BatchNorm1d, (6, 3)),
    (nn.BatchNorm1d, (4, 3, 5)),
    (nn.BatchNorm2d, (4, 3, 5, 5)),
    (nn.BatchNorm3d, (2, 3, 3, 4, 2)),
]


@pytest.mark.parametrize("cls, shape", BN_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_train_forward_matches_reference(cls, shape, dtype, rng):
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    m = cls(3, dtype=ember.float64 if dtype == np.float64 else None)
    with ember.no_grad():
        m.weight.copy_(ember.tensor(w))
        m.bias.copy_(ember.tensor(b))
    y = m(ember.tensor(x))
    assert y.shape == shape and y.dtype == ember.tensor(x).dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(arr(y), ref_batch_norm_train(x.astype(np.float64), w, b),
                               atol=tol, rtol=tol)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("cls, shape", BN_CASES)
def test_batchnorm_running_stats_two_steps_then_eval(cls, shape, momentum, rng):
    batches = [rng.standard_normal(shape) * s + o for s, o in ((2.0, 1.0), (0.5, -3.0))]
    m = cls(3, momentum=momentum).double()
    for x in batches:
        m(t64(x))
    mean, var = ref_running(batches, momentum)
    np.testing.assert_allclose(arr(m.running_mean), mean, rtol=1e-12)
    np.testing.assert_allclose(arr(m.running_var), var, rtol=1e-12)
    assert m.num_batches_tracked.item() == 2 and m.num_batches_tracked.dtype == ember.int64
    m.eval()
    x = rng.standard_normal(shape)
    expected = ref_batch_norm_eval(x, mean, var, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(arr(m(t64(x))), expected, rtol=1e-12, atol=1e-12)
    assert m.num_batches_tracked.item() == 2  # evaluation does not count batches


def test_batchnorm_momentum_none_is_the_plain_average_of_batch_means(rng):
    batches = [rng.standard_normal((5, 2)) + k for k in range(3)]
    m = nn.BatchNorm1d(2, momentum=None).double()
    for x in batches:
        m(t64(x))
    np.testing.assert_allclose(arr(m.running_mean), np.mean([x.mean(0) for x in batches], 0))


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval(rng):
    m = nn.BatchNorm2d(3, track_running_stats=False).double().eval()
    assert m.running_mean is None and m.num_batches_tracked is None
    x = rng.standard_normal((2, 3, 3, 3))
    np.testing.assert_allclose(arr(m(t64(x))), ref_batch_norm_train(x), atol=1e-12)
    assert list(m.state_dict()) == ["weight", "bias"]


def test_batchnorm_state_dict_keys_shapes_and_round_trip(rng):
    m = nn.BatchNorm2d(4)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [tuple(v.shape) for v in sd.values()] == [(4,), (4,), (4,), (4,), ()]
    m(ember.tensor(rng.standard_normal((3, 4, 2, 2)).astype(np.float32)))
    other = nn.BatchNorm2d(4)
    assert other.load_state_dict(m.state_dict()) is not None
    for key, value in m.state_dict().items():
        np.testing.assert_array_equal(arr(other.state_dict()[key]), arr(value))
    assert other.num_batches_tracked.item() == 1
    no_affine = nn.BatchNorm1d(2, affine=False)
    assert list(no_affine.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    no_bias = nn.BatchNorm1d(2, bias=False)
    assert list(no_bias.state_dict()) == [
        "weight", "running_mean", "running_var", "num_batches_tracked"
    ]


def test_batchnorm_loads_old_checkpoint_without_num_batches_tracked():
    m = nn.BatchNorm1d(2)
    m.num_batches_tracked.fill_(7)
    old = OrderedDict(
        weight=ember.tensor([2.0, 3.0]), bias=ember.tensor([0.5, 0.5]),
        running_mean=ember.tensor([1.0, -1.0]), running_var=ember.tensor([4.0, 9.0]),
    )
    m.load_state_dict(old)  # strict: no "missing key" for the pre-version-2 layout
    np.testing.assert_array_equal(arr(m.running_var), [4.0, 9.0])
    assert m.num_batches_tracked.item() == 7
    # a version-2 checkpoint that lacks it is reported as incomplete
    old._metadata = OrderedDict({"": {"version": 2}})
    with pytest.raises(RuntimeError, match="Missing key.*num_batches_tracked"):
        m.load_state_dict(old)


def test_batchnorm_defaults_reset_and_repr():
    m = nn.BatchNorm2d(3)
    np.testing.assert_array_equal(arr(m.weight), [1, 1, 1])
    np.testing.assert_array_equal(arr(m.bias), [0, 0, 0])
    m.running_mean.fill_(5)
    m.num_batches_tracked.fill_(3)
    m.reset_running_stats()
    np.testing.assert_array_equal(arr(m.running_mean), [0, 0, 0])
    np.testing.assert_array_equal(arr(m.running_var), [1, 1, 1])
    assert m.num_batches_tracked.item() == 0
    assert repr(m) == (
        "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)"
    )
    assert repr(nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)"
    )


def test_batch_norm_functional_updates_buffers_in_place(rng):
    x = rng.standard_normal((4, 2, 3))
    rm, rv = t64(np.zeros(2)), t64(np.ones(2))
    before = rm._version
    F.batch_norm(t64(x), rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(arr(rm), 0.5 * x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(arr(rv), 0.5 + 0.5 * x.var(axis=(0, 2), ddof=1), rtol=1e-12)
    assert rm._version > before
    # evaluation mode: the buffers are used, not changed
    y = F.batch_norm(t64(x), rm, rv, training=False)
    np.testing.assert_allclose(arr(y), ref_batch_norm_eval(x, arr(rm), arr(rv), np.ones(2),
                                                           np.zeros(2)), atol=1e-12)


def test_batch_norm_gradcheck_train_and_eval(rng):
    x = t64(rng.standard_normal((3, 2, 2)), True)
    w, b = t64(rng.standard_normal(2), True), t64(rng.standard_normal(2), True)
    rm, rv = t64(rng.standard_normal(2)), t64(rng.uniform(0.5, 2, 2))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))


def test_batch_norm_eval_gradient_is_the_affine_scale(rng):
    x = t64(rng.standard_normal((2, 2)), True)
    w = t64([2.0, -1.0])
    rv = t64([3.0, 0.25])
    F.batch_norm(x, t64([0.0, 0.0]), rv, w, None, False).sum().backward()
    expected = np.array([2.0, -1.0]) / np.sqrt(np.array([3.0, 0.25]) + EPS)
    np.testing.assert_allclose(arr(x.grad), np.broadcast_to(expected, (2, 2)), rtol=1e-12)


def test_batchnorm_module_gradients_reach_parameters(rng):
    m = nn.BatchNorm1d(2).double()
    x = t64(rng.standard_normal((4, 2)), True)
    g = rng.standard_normal((4, 2))
    (m(x) * t64(g)).sum().backward()
    xhat = ref_batch_norm_train(arr(x))
    np.testing.assert_allclose(arr(m.weight.grad), (g * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(arr(m.bias.grad), g.sum(0), rtol=1e-12)


@pytest.mark.parametrize(
    "layer, shape, error, message",
    [
        (nn.BatchNorm2d(3), (2, 4, 5, 5), RuntimeError,
         r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), got \(2, 4, 5, 5\)"),
        (nn.BatchNorm2d(3), (3, 5, 5), ValueError,
         r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), got \(3, 5, 5\)"),
        (nn.BatchNorm1d(3), (2, 4), RuntimeError,
         r"BatchNorm1d\(3\): expected input of shape \(N, 3\) or \(N, 3, L\), got \(2, 4\)"),
        (nn.BatchNorm3d(2), (2, 2, 3, 3), ValueError,
         r"BatchNorm3d\(2\): expected input of shape \(N, 2, D, H, W\)"),
        (nn.BatchNorm1d(3), (1, 3), ValueError, r"more than 1 value per channel"),
    ],
)
def test_batchnorm_bad_inputs(layer, shape, error, message):
    with pytest.raises(error, match=message):
        layer(ember.zeros(shape))


def test_batch_norm_functional_errors():
    x = ember.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(x, ember.zeros(4), ember.ones(3), training=True)
    with pytest.raises(RuntimeError, match="weight should contain 3 elements not 2"):
        F.batch_norm(x, None, None, ember.ones(2), training=True)
    with pytest.raises(NotImplementedError, match="batch_norm"):
        F.batch_norm(ember.zeros(2, 3, dtype=ember.int64), None, None, training=True)


# -- InstanceNorm -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, shape",
    [(nn.InstanceNorm1d, (2, 3, 5)), (nn.InstanceNorm2d, (2, 3, 3, 4)),
     (nn.InstanceNorm3d, (2, 3, 2, 2, 3)), (nn.InstanceNorm2d, (3, 4, 4))],
)
def test_instancenorm_forward_batched_and_unbatched(cls, shape, rng):
    x = rng.standard_normal(shape) * 3 + 1
    y = arr(cls(3).double()(t64(x)))
    batched = x if len(shape) == len(cls._shapes[0]) else x[None]
    expected = ref_norm(batched, tuple(range(2, batched.ndim))).reshape(shape)
    np.testing.assert_allclose(y, expected, atol=1e-12)


def test_instancenorm_affine_running_stats_and_eval(rng):
    batches = [rng.standard_normal((2, 3, 6)) * s for s in (1.0, 2.0)]
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    with ember.no_grad():
        m.weight.copy_(t64(w))
        m.bias.copy_(t64(b))
    for x in batches:
        y = m(t64(x))
    expected = ref_norm(batches[-1], (2,)) * w[:, None] + b[:, None]
    np.testing.assert_allclose(arr(y), expected, atol=1e-12)
    # per-instance statistics averaged over the batch (unbiased variance), then averaged in
    mean, var = 0.0, 1.0
    for x in batches:
        mean = 0.9 * mean + 0.1 * x.mean(axis=2).mean(axis=0)
        var = 0.9 * var + 0.1 * x.var(axis=2, ddof=1).mean(axis=0)
    np.testing.assert_allclose(arr(m.running_mean), mean, rtol=1e-12)
    np.testing.assert_allclose(arr(m.running_var), var, rtol=1e-12)
    m.eval()
    x = rng.standard_normal((2, 3, 6))
    np.testing.assert_allclose(arr(m(t64(x))), ref_batch_norm_eval(x, mean, var, w, b),
                               atol=1e-12)


def test_instancenorm_state_dict_repr_and_errors():
    assert list(nn.InstanceNorm2d(3).state_dict()) == []
    assert list(nn.InstanceNorm2d(3, affine=True).state_dict()) == ["weight", "bias"]
    assert repr(nn.InstanceNorm1d(3)) == (
        "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=False)"
    )
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected input of shape "
                                         r"\(N, 3, H, W\) or \(3, H, W\), got \(2, 4, 5, 5\)"):
        nn.InstanceNorm2d(3, affine=True)(ember.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\).*got \(3,\)"):
        nn.InstanceNorm1d(3)(ember.zeros(3))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(ember.zeros(2, 4, 5))  # without affine PyTorch only warns
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(ember.zeros(2, 3, 1))
    # a pre-0.4 checkpoint with running stats the layer does not track
    with pytest.raises(RuntimeError, match='Unexpected running stats buffer.*"running_mean"'):
        nn.InstanceNorm1d(2).load_state_dict(
            {"running_mean": ember.zeros(2), "running_var": ember.ones(2)}
        )


def test_instance_norm_gradcheck(rng):
    x = t64(rng.standard_normal((2, 2, 3)), True)
    w, b = t64(rng.standard_normal(2), True), t64(rng.standard_normal(2), True)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    rm, rv = t64(rng.standard_normal(2)), t64(rng.uniform(0.5, 2.0, 2))
    assert gradcheck(
        lambda x, w, b: F.instance_norm(x, rm, rv, w, b, use_input_stats=False), (x, w, b)
    )


# -- LayerNorm --------------------------------------------------------------------------------


@pytest.mark.parametrize("normalized_shape, shape", [(4, (3, 4)), ((2, 3), (2, 5, 2, 3)),
                                                     ([5], (5,))])
def test_layernorm_forward(normalized_shape, shape, rng):
    m = nn.LayerNorm(normalized_shape).double()
    k = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    w = rng.standard_normal(m.weight.shape)
    b = rng.standard_normal(m.bias.shape)
    with ember.no_grad():
        m.weight.copy_(t64(w))
        m.bias.copy_(t64(b))
    x = rng.standard_normal(shape) * 4 - 2
    np.testing.assert_allclose(arr(m(t64(x))), ref_layer_norm(x, k, w, b), atol=1e-12)


def test_layernorm_float32_and_half_precision(rng):
    x = rng.standard_normal((4, 16)).astype(np.float32) * 10 + 3
    y = nn.LayerNorm(16)(ember.tensor(x))
    assert y.dtype == ember.float32
    np.testing.assert_allclose(arr(y), ref_layer_norm(x.astype(np.float64), 1), atol=2e-5)
    h = F.layer_norm(ember.tensor(x).half(), (16,))
    assert h.dtype == ember.float16
    np.testing.assert_allclose(arr(h).astype(np.float64),
                               ref_layer_norm(x.astype(np.float16).astype(np.float64), 1),
                               atol=4e-3)


def test_layernorm_options_state_dict_and_repr():
    m = nn.LayerNorm((2, 3))
    assert list(m.state_dict()) == ["weight", "bias"]
    assert [tuple(v.shape) for v in m.state_dict().values()] == [(2, 3), (2, 3)]
    assert repr(m) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(nn.LayerNorm(3, bias=False).state_dict()) == ["weight"]
    plain = nn.LayerNorm(3, elementwise_affine=False)
    assert list(plain.state_dict()) == [] and plain.weight is None
    assert repr(plain) == "LayerNorm((3,), eps=1e-05, elementwise_affine=False, bias=False)"


def test_layer_norm_gradcheck_and_gradgradcheck(rng):
    x = t64(rng.standard_normal((2, 2, 3)), True)
    w, b = t64(rng.standard_normal(3), True), t64(rng.standard_normal(3), True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3,), w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.layer_norm(x, (3,), w, b), (x, w, b))
    w2 = t64(rng.standard_normal((2, 3)), True)
    assert gradcheck(lambda x, w: F.layer_norm(x, (2, 3), w), (x, w2))


def test_layernorm_errors():
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(5,\)\): expected input of shape "
                                           r"\(\*, 5\), got \(2, 3, 4\)"):
        nn.LayerNorm(5)(ember.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[5\]"):
        F.layer_norm(ember.zeros(2, 4), (5,))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape"):
        F.layer_norm(ember.zeros(2, 4), (4,), ember.ones(5))


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 4), width=st.integers(2, 9), scale=st.floats(0.1, 100.0),
       shift=st.floats(-100.0, 100.0))
def test_layer_norm_rows_have_zero_mean_and_unit_variance(rows, width, scale, shift):
    x = np.random.default_rng(rows * 10 + width).standard_normal((rows, width)) * scale + shift
    y = arr(F.layer_norm(t64(x), (width,), eps=0.0 if x.std(1).min() > 0 else EPS))
    np.testing.assert_allclose(y.mean(1), 0, atol=1e-9)
    np.testing.assert_allclose(y.var(1), 1, rtol=1e-6)


# -- GroupNorm --------------------------------------------------------------------------------


@pytest.mark.parametrize("groups, shape", [(2, (2, 4, 3)), (3, (2, 6, 2, 2)), (1, (3, 2)),
                                           (4, (1, 4, 5))])
def test_groupnorm_forward(groups, shape, rng):
    c = shape[1]
    m = nn.GroupNorm(groups, c).double()
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    with ember.no_grad():
        m.weight.copy_(t64(w))
        m.bias.copy_(t64(b))
    x = rng.standard_normal(shape) * 2 + 1
    np.testing.assert_allclose(arr(m(t64(x))), ref_group_norm(x, groups, w, b), atol=1e-12)


def test_group_norm_gradcheck_and_gradgradcheck(rng):
    x = t64(rng.standard_normal((2, 4, 2)), True)
    w, b = t64(rng.standard_normal(4), True), t64(rng.standard_normal(4), True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))


def test_groupnorm_state_dict_repr_and_errors():
    m = nn.GroupNorm(2, 4)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert [tuple(v.shape) for v in m.state_dict().values()] == [(4,), (4,)]
    assert repr(m) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups "
                                         r"\(2\)"):
        nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4\): expected input of shape "
                                           r"\(N, 4, \*\), got \(2, 3, 5\)"):
        m(ember.zeros(2, 3, 5))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(ember.zeros(2, 3, 4), 2)


# -- RMSNorm and LocalResponseNorm ------------------------------------------------------------


def test_rmsnorm_forward_default_eps_weight_and_gradcheck(rng):
    x = rng.standard_normal((3, 2, 4))
    m = nn.RMSNorm((2, 4)).double()
    w = rng.standard_normal((2, 4))
    with ember.no_grad():
        m.weight.copy_(t64(w))
    ms = (x**2).mean(axis=(1, 2), keepdims=True)
    expected = x / np.sqrt(ms + np.finfo(np.float64).eps) * w
    np.testing.assert_allclose(arr(m(t64(x))), expected, rtol=1e-12)
    y = F.rms_norm(ember.tensor([[3.0, 4.0]]), (2,), eps=0.5)
    np.testing.assert_allclose(arr(y), [[3 / np.sqrt(13.0), 4 / np.sqrt(13.0)]], rtol=1e-6)
    xs = t64(rng.standard_normal((2, 3)), True)
    ws = t64(rng.standard_normal(3), True)
    assert gradcheck(lambda x, w: F.rms_norm(x, (3,), w, 1e-3), (xs, ws))
    assert list(m.state_dict()) == ["weight"]
    assert repr(nn.RMSNorm(4)) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    with pytest.raises(RuntimeError, match=r"RMSNorm\(\(4,\)\): expected input of shape"):
        nn.RMSNorm(4)(ember.zeros(2, 3))


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm_forward(size, rng):
    x = rng.standard_normal((2, 5, 3, 2))
    m = nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=2.0)
    np.testing.assert_allclose(arr(m(t64(x))), ref_lrn(x, size, 0.3, 0.6, 2.0), rtol=1e-12)


def test_local_response_norm_3d_gradcheck_repr_and_errors(rng):
    x = rng.standard_normal((2, 4, 3))
    np.testing.assert_allclose(arr(F.local_response_norm(t64(x), 3)),
                               ref_lrn(x, 3, 1e-4, 0.75, 1.0), rtol=1e-12)
    xs = t64(rng.standard_normal((1, 4, 2)), True)
    assert gradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.5), (xs,))
    assert repr(nn.LocalResponseNorm(3)) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"
    with pytest.raises(ValueError, match=r"LocalResponseNorm\(2\).*got \(2, 3\)"):
        nn.LocalResponseNorm(2)(ember.zeros(2, 3))


# -- devices ----------------------------------------------------------------------------------


def test_norm_layers_forward_backward_on_device(device, rng):
    x = rng.standard_normal((4, 6, 3, 3)).astype(np.float32)
    for layer in (nn.BatchNorm2d(6), nn.GroupNorm(3, 6), nn.LayerNorm((3, 3)),
                  nn.InstanceNorm2d(6, affine=True)):
        layer = layer.to(device)
        xt = ember.tensor(x, device=device, requires_grad=True)
        y = layer(xt)
        y.square().sum().backward()
        assert y.device.type == device and xt.grad.shape == x.shape
    bn = nn.BatchNorm2d(6).to(device)
    bn(ember.tensor(x, device=device))
    np.testing.assert_allclose(arr(bn.running_mean), 0.1 * x.mean(axis=(0, 2, 3)), atol=1e-6)
