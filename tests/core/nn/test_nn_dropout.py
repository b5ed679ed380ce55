"""Dropout family: statistics of the masks (tolerances of several standard errors), scaling,
whole-channel masks, reproducibility under manual_seed, the draw dtype, eval-mode identity,
gradients, in-place forms, alpha dropout's moments, validation messages and reprs."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

# -SELU's saturation value alpha * scale (Klambauer et al., 2017), written out here
ALPHA_PRIME = 1.6732632423543772 * 1.0507009873554805


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(1234)


def check_fraction(zeros: int, n: int, p: float) -> None:
    """The count of dropped units is Binomial(n, p): within 5 standard deviations."""
    assert abs(zeros - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    n = 100_000
    out = F.dropout(ember.ones(n), p).numpy()
    kept = out != 0
    check_fraction(int((~kept).sum()), n, p)
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    assert out.dtype == np.float32


def test_dropout_mask_is_a_float32_draw_from_the_ember_generator():
    # the mask is rand(shape) >= p, drawn in the input's dtype (float32 here, not float64)
    ember.manual_seed(3)
    u = ember.rand(1000).numpy()
    ember.manual_seed(3)
    out = F.dropout(ember.ones(1000), 0.3).numpy()
    np.testing.assert_array_equal(out != 0, u >= 0.3)
    ember.manual_seed(3)
    u64 = ember.rand(1000, dtype=ember.float64).numpy()
    ember.manual_seed(3)
    out64 = F.dropout(ember.ones(1000, dtype=ember.float64), 0.3).numpy()
    np.testing.assert_array_equal(out64 != 0, u64 >= 0.3)


def test_dropout_reproducible_and_fresh():
    x = ember.ones(200)
    ember.manual_seed(5)
    a = F.dropout(x, 0.5).numpy()
    b = F.dropout(x, 0.5).numpy()
    ember.manual_seed(5)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), a)
    assert (a != b).any()  # the next call draws a new mask


def test_dropout_eval_and_edge_probabilities():
    x = ember.randn(4, 5)
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x  # PyTorch returns the input itself
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    m.train()
    assert (m(x).numpy() != x.numpy()).any()
    xg = ember.randn(4, 5, requires_grad=True)
    out = F.dropout(xg, 1.0)
    np.testing.assert_array_equal(out.detach().numpy(), 0)
    out.sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), 0)
    assert F.dropout(ember.zeros(0, 3), 0.5).shape == (0, 3)


def test_dropout_gradient_is_the_scaled_mask():
    x = ember.tensor(np.linspace(1, 2, 50), requires_grad=True)
    out = F.dropout(x, 0.4)
    out.sum().backward()
    expected = (out.detach().numpy() != 0) / 0.6
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "fn, shape",
    [
        (lambda t: F.dropout(t, 0.3), (3, 4)),
        (lambda t: F.dropout2d(t, 0.5), (2, 3, 2, 2)),
        (lambda t: F.alpha_dropout(t, 0.3, True), (3, 4)),
        (lambda t: F.feature_alpha_dropout(t, 0.5, True), (2, 3, 2)),
    ],
)
def test_gradcheck_with_a_fixed_mask(fn, shape):
    def seeded(t):
        ember.manual_seed(0)  # the same mask in every evaluation gradcheck makes
        return fn(t)

    x = ember.tensor(np.random.default_rng(0).normal(size=shape), requires_grad=True)
    assert gradcheck(seeded, (x,))
    assert gradgradcheck(seeded, (x,))


def test_inplace_dropout():
    x = ember.ones(1000)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}
    y = ember.ones(10)
    assert nn.Dropout(0.5, inplace=True)(y) is y
    leaf = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(leaf, 0.5, inplace=True)
    base = ember.ones(100, requires_grad=True)
    h = base * 3.0
    F.dropout(h, 0.5, inplace=True).sum().backward()
    np.testing.assert_allclose(base.grad.numpy(), (h.detach().numpy() != 0) * 2.0 * 3.0)


def test_dropout_keeps_half_precision_dtype():
    for dtype in (ember.float16, ember.bfloat16):
        out = F.dropout(ember.ones(1000, dtype=dtype), 0.5)
        assert out.dtype == dtype
        assert set(np.unique(out.to(ember.float32).numpy())) == {0.0, 2.0}


def test_dropout_refuses_integer_input_in_training():
    with pytest.raises(RuntimeError, match="dropout: expected a floating-point input, got int64"):
        F.dropout(ember.arange(5), 0.5)
    i = ember.arange(5)
    assert F.dropout(i, 0.5, training=False) is i


@pytest.mark.parametrize(
    "make", [lambda: nn.Dropout(1.5), lambda: nn.Dropout2d(-0.1), lambda: nn.AlphaDropout(2)]
)
def test_probability_validation(make):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
        make()


def test_probability_validation_message_and_functional():
    with pytest.raises(ValueError, match=r"^dropout probability has to be between 0 and 1, but "
                                         r"got 1.5$"):  # fmt: skip
        nn.Dropout(1.5)
    for fn in (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout,
               F.feature_alpha_dropout):  # fmt: skip
        with pytest.raises(ValueError, match="but got -0.5"):
            fn(ember.ones(2, 2, 2, 2), -0.5)


# -- channel-wise dropout ----------------------------------------------------------------------


def assert_whole_channels(out: np.ndarray, channel_axes: int, scale: float):
    """Every channel (the trailing dims after ``channel_axes``) is all 0 or all ``scale``."""
    flat = out.reshape(out.shape[:channel_axes] + (-1,))
    zero = (flat == 0).all(-1)
    kept = np.isclose(flat, scale).all(-1)
    assert (zero | kept).all()
    return zero


def test_dropout2d_zeroes_whole_channels():
    out = F.dropout2d(ember.ones(50, 40, 3, 3), 0.5).numpy()
    zero = assert_whole_channels(out, 2, 2.0)
    check_fraction(int(zero.sum()), zero.size, 0.5)
    m = nn.Dropout2d(0.5).eval()
    x = ember.ones(2, 3, 4, 4)
    assert m(x) is x


def test_dropout1d_and_3d_batched_and_unbatched():
    out = F.dropout1d(ember.ones(20, 30, 4), 0.3).numpy()
    zero = assert_whole_channels(out, 2, 1 / 0.7)
    check_fraction(int(zero.sum()), zero.size, 0.3)
    out = nn.Dropout1d(0.3)(ember.ones(30, 4)).numpy()  # (C, L)
    assert_whole_channels(out, 1, 1 / 0.7)
    out = F.dropout3d(ember.ones(4, 10, 2, 2, 2), 0.5).numpy()
    assert_whole_channels(out, 2, 2.0)
    out = nn.Dropout3d(0.5)(ember.ones(10, 2, 2, 2)).numpy()  # (C, D, H, W)
    assert out.shape == (10, 2, 2, 2)
    assert_whole_channels(out, 1, 2.0)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 1D"):
        F.dropout1d(ember.ones(4), 0.5)


def test_dropout2d_unusual_ranks_warn_as_pytorch():
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout"):
        out = F.dropout2d(ember.ones(8, 10, 5), 0.5).numpy()  # treated as (N, C, L)
    assert_whole_channels(out, 2, 2.0)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(ember.ones(8, 10), 0.5)
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(ember.ones(8, 10, 5), 0.5)


def test_inplace_channel_dropout_unbatched():
    x = ember.ones(6, 5)
    assert F.dropout1d(x, 0.5, inplace=True) is x
    assert_whole_channels(x.numpy(), 1, 2.0)


# -- alpha dropout -----------------------------------------------------------------------------


def test_alpha_dropout_keeps_mean_and_variance():
    n, p = 200_000, 0.2
    x = ember.randn(n)
    out = F.alpha_dropout(x, p, training=True).numpy().astype(np.float64)
    # mean 0 and variance 1 are preserved: standard errors ~ 1/sqrt(n) ~ 0.002
    assert abs(out.mean()) < 0.015
    assert abs(out.var() - 1) < 0.02
    a = 1 / math.sqrt((ALPHA_PRIME**2 * p + 1) * (1 - p))
    dropped_value = a * (-ALPHA_PRIME) + a * ALPHA_PRIME * p
    xs = x.numpy()
    kept = np.isclose(out, a * xs + a * ALPHA_PRIME * p, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(out, dropped_value, rtol=1e-6)
    assert (kept | dropped).all()
    check_fraction(int((dropped & ~kept).sum()), n, p)


def test_alpha_dropout_defaults_and_modules():
    x = ember.randn(10)
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False in the functional form
    assert F.feature_alpha_dropout(x.reshape(2, 5), 0.5).shape == (2, 5)
    assert nn.AlphaDropout(0.5).eval()(x) is x
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, True).numpy(), 0)
    out = nn.FeatureAlphaDropout(0.5)(ember.ones(30, 20, 4)).numpy()
    flat = out.reshape(600, 4)
    assert (flat == flat[:, :1]).all()  # each channel all kept or all dropped
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        F.feature_alpha_dropout(ember.ones(3), 0.5, True)


def test_dropout_modules_repr_and_state():
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.1, True)) == "Dropout2d(p=0.1, inplace=True)"
    assert repr(nn.AlphaDropout(0.1)) == "AlphaDropout(p=0.1, inplace=False)"
    assert repr(nn.FeatureAlphaDropout()) == "FeatureAlphaDropout(p=0.5, inplace=False)"
    assert list(nn.Dropout().state_dict()) == []
    seq = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = ember.ones(3, 4)
    seq.eval()
    np.testing.assert_array_equal(seq(x).detach().numpy(), seq[0](x).detach().numpy())


def test_dropout_on_device(device):
    x = ember.ones(50, 40, 2, 2, device=device, requires_grad=True)
    out = F.dropout2d(x, 0.5)
    assert out.device.type == device
    host = out.detach().cpu().numpy()
    zero = assert_whole_channels(host, 2, 2.0)
    check_fraction(int(zero.sum()), zero.size, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), host)
