"""ember.stft / ember.istft and the window functions, against NumPy/SciPy references written
here: the DFT as an explicit sum, scipy.signal.stft, NumPy's window functions, finite
differences (gradcheck) and the adjoint identity <A x, y> = <x, A* y>."""

import math
import warnings

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops import spectral

RNG = np.random.default_rng(1234)


def test_public_names_are_the_spectral_functions():
    for name in spectral.__all__:
        assert getattr(ember, name) is getattr(spectral, name)
    assert ember.Tensor.stft is spectral.stft


# ---------------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------------

_NUMPY_WINDOWS = {  # symmetric windows of M samples, as NumPy defines them
    "hann_window": np.hanning,
    "hamming_window": np.hamming,
    "blackman_window": np.blackman,
    "bartlett_window": np.bartlett,
    "kaiser_window": lambda m: np.kaiser(m, 12.0),
}


@pytest.mark.parametrize("name", sorted(_NUMPY_WINDOWS))
@pytest.mark.parametrize("length", [2, 5, 8, 33])
def test_windows_match_numpy(name, length):
    fn = getattr(ember, name)
    reference = _NUMPY_WINDOWS[name]
    symmetric = fn(length, periodic=False, dtype=ember.float64).numpy()
    np.testing.assert_allclose(symmetric, reference(length), atol=1e-12)
    # periodic: the symmetric window of length + 1 without its last sample
    periodic = fn(length, dtype=ember.float64).numpy()
    np.testing.assert_allclose(periodic, reference(length + 1)[:-1], atol=1e-12)


def test_window_literals_and_defaults():
    np.testing.assert_allclose(ember.hann_window(4).numpy(), [0.0, 0.5, 1.0, 0.5], atol=1e-7)
    np.testing.assert_allclose(ember.hamming_window(3, periodic=False, alpha=0.5, beta=0.5)
                               .numpy(), [0.0, 1.0, 0.0], atol=1e-7)
    assert ember.hann_window(4).dtype == ember.float32
    assert ember.kaiser_window(6, dtype=ember.float64).dtype == ember.float64
    for fn in (ember.hann_window, ember.kaiser_window, ember.bartlett_window):
        assert fn(0).shape == (0,)
        assert fn(1).tolist() == [1.0]
    assert ember.hann_window(3, requires_grad=True).requires_grad
    kaiser = ember.kaiser_window(7, periodic=False, beta=5.0, dtype=ember.float64).numpy()
    np.testing.assert_allclose(kaiser, np.kaiser(7, 5.0), atol=1e-12)


def test_window_errors():
    with pytest.raises(RuntimeError, match="hann_window requires non-negative window_length"):
        ember.hann_window(-1)
    with pytest.raises(RuntimeError, match="blackman_window expects floating point dtypes"):
        ember.blackman_window(4, dtype=ember.int64)


# ---------------------------------------------------------------------------------------------
# stft forward against the definition
# ---------------------------------------------------------------------------------------------


def _reference_stft(x, n_fft, hop, win_length, window, center, pad_mode, normalized, onesided):
    """The STFT as a direct double sum over frames and samples (float64/complex128)."""
    x = np.atleast_2d(x).astype(np.complex128 if np.iscomplexobj(x) else np.float64)
    if center:
        mode = {"reflect": "reflect", "constant": "constant", "replicate": "edge",
                "circular": "wrap"}[pad_mode]
        x = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)), mode=mode)
    w = np.ones(win_length) if window is None else np.asarray(window)
    left = (n_fft - win_length) // 2
    w = np.concatenate([np.zeros(left), w, np.zeros(n_fft - win_length - left)])
    n_frames = 1 + (x.shape[1] - n_fft) // hop
    k = np.arange(n_fft)
    m = np.arange(n_fft // 2 + 1 if onesided else n_fft)
    basis = np.exp(-2j * np.pi * np.outer(m, k) / n_fft)  # (freq, sample)
    out = np.empty((x.shape[0], len(m), n_frames), np.complex128)
    for f in range(n_frames):
        out[:, :, f] = (x[:, f * hop : f * hop + n_fft] * w) @ basis.T
    return out / math.sqrt(n_fft) if normalized else out


STFT_CASES = [
    dict(n_fft=8),
    dict(n_fft=8, hop_length=3, win_length=5),
    dict(n_fft=7, hop_length=2, center=False),
    dict(n_fft=8, pad_mode="constant", normalized=True),
    dict(n_fft=6, hop_length=1, pad_mode="replicate", onesided=False),
    dict(n_fft=10, hop_length=4, win_length=9, pad_mode="circular"),
]


@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("windowed", [True, False])
def test_stft_matches_direct_dft(kw, windowed):
    x = RNG.standard_normal((3, 23))
    n_fft = kw["n_fft"]
    win_length = kw.get("win_length", n_fft)
    window = ember.hann_window(win_length, dtype=ember.float64) if windowed else None
    out = ember.stft(ember.tensor(x), window=window, return_complex=True, **kw)
    expected = _reference_stft(
        x, n_fft, kw.get("hop_length", n_fft // 4), win_length,
        None if window is None else window.numpy(), kw.get("center", True),
        kw.get("pad_mode", "reflect"), kw.get("normalized", False), kw.get("onesided", True))
    assert out.dtype == ember.complex128
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def test_stft_one_dimensional_and_float32():
    x = RNG.standard_normal(50).astype(np.float32)
    window = ember.hann_window(16)
    out = ember.stft(ember.tensor(x), 16, hop_length=4, window=window, return_complex=True)
    assert out.dtype == ember.complex64
    assert out.shape == (9, 1 + 50 // 4)
    expected = _reference_stft(x, 16, 4, 16, window.numpy(), True, "reflect", False, True)[0]
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-4)
    # the Tensor method is the same function
    np.testing.assert_array_equal(
        ember.tensor(x).stft(16, 4, window=window, return_complex=True).numpy(), out.numpy())


def test_stft_matches_scipy():
    # scipy's 'spectrum' scaling divides by sum(window); its 'even' boundary is reflection.
    x = RNG.standard_normal(200)
    n_fft, hop = 32, 8
    w = ember.hann_window(n_fft, dtype=ember.float64)
    ours = ember.stft(ember.tensor(x), n_fft, hop, window=w, return_complex=True).numpy()
    _, _, zxx = scipy.signal.stft(x, window=w.numpy(), nperseg=n_fft, noverlap=n_fft - hop,
                                  boundary="even", padded=False, detrend=False)
    np.testing.assert_allclose(ours, zxx * w.numpy().sum(), atol=1e-10)


def test_stft_complex_input_is_two_sided():
    x = RNG.standard_normal((2, 20)) + 1j * RNG.standard_normal((2, 20))
    out = ember.stft(ember.tensor(x), 8, hop_length=3)  # return_complex may be omitted
    expected = _reference_stft(x, 8, 3, 8, None, True, "reflect", False, False)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    complex_window = ember.tensor(np.exp(1j * np.linspace(0, 1, 8)))
    out = ember.stft(ember.tensor(x.real), 8, 3, window=complex_window, return_complex=True)
    expected = _reference_stft(x.real, 8, 3, 8, complex_window.numpy(), True, "reflect",
                               False, False)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)


def test_stft_return_complex_false_is_deprecated_real_pairs():
    x = ember.tensor(RNG.standard_normal(40))
    z = ember.stft(x, 8, return_complex=True)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        pairs = ember.stft(x, 8, return_complex=False)
    assert pairs.shape == tuple(z.shape) + (2,)
    np.testing.assert_array_equal(pairs.numpy()[..., 0], z.numpy().real)
    np.testing.assert_array_equal(pairs.numpy()[..., 1], z.numpy().imag)


@pytest.mark.parametrize("call, message", [
    (lambda x: ember.stft(x, 8), "requires the return_complex parameter"),
    (lambda x: ember.stft(x.reshape(1, 2, 20), 8, return_complex=True), "1D or 2D"),
    (lambda x: ember.stft(x, 8, hop_length=0, return_complex=True), "hop_length > 0"),
    (lambda x: ember.stft(x, 8, win_length=9, return_complex=True), "win_length <= n_fft"),
    (lambda x: ember.stft(x, 8, window=ember.ones(5, dtype=ember.float64),
                          return_complex=True), "size equal to win_length=8"),
    (lambda x: ember.stft(x, 41, center=False, return_complex=True), "n_fft <= 40"),
    (lambda x: ember.stft(x, 80, return_complex=True), "use a shorter n_fft"),
    (lambda x: ember.stft(x, 8, onesided=True, window=ember.ones(8, dtype=ember.complex128),
                          return_complex=True), "Cannot have onesided output"),
    (lambda x: ember.stft(x.long(), 8, return_complex=True), "float32/float64"),
])
def test_stft_errors(call, message):
    x = ember.tensor(RNG.standard_normal(40))
    with pytest.raises(RuntimeError, match=message):
        call(x)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode bogus"):
        ember.stft(x, 8, pad_mode="bogus", return_complex=True)


# ---------------------------------------------------------------------------------------------
# istft
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [
    dict(n_fft=16, hop_length=4),
    dict(n_fft=16, hop_length=8, normalized=True),
    dict(n_fft=15, hop_length=5, win_length=12),
    dict(n_fft=16, hop_length=4, onesided=False),
])
def test_istft_inverts_stft(kw):
    x = RNG.standard_normal((2, 101))
    window = ember.hann_window(kw.get("win_length", kw["n_fft"]), dtype=ember.float64)
    z = ember.stft(ember.tensor(x), window=window, return_complex=True, **kw)
    y = ember.istft(z, window=window, length=101, **kw)
    assert y.shape == (2, 101) and y.dtype == ember.float64
    np.testing.assert_allclose(y.numpy(), x, atol=1e-10)


def test_istft_default_length_and_float32():
    x = RNG.standard_normal(64).astype(np.float32)
    window = ember.hann_window(16)
    z = ember.stft(ember.tensor(x), 16, 4, window=window, return_complex=True)
    y = ember.istft(z, 16, 4, window=window)  # center: n_fft + hop (F - 1) - 2 (n_fft // 2)
    assert y.dtype == ember.float32 and y.shape == (4 * (z.shape[1] - 1),)
    np.testing.assert_allclose(y.numpy(), x[: y.shape[0]], atol=1e-5)


def test_istft_matches_scipy_istft():
    # scipy.signal.istft is the same least-squares inverse (overlap-add divided by the
    # overlap-added squared window); its input is scaled by 1/sum(window), as its stft makes.
    z = RNG.standard_normal((9, 12)) + 1j * RNG.standard_normal((9, 12))
    w = ember.hamming_window(16, dtype=ember.float64)  # nonzero ends: NOLA holds everywhere
    ours = ember.istft(ember.tensor(z), 16, 4, window=w, center=False).numpy()
    _, ref = scipy.signal.istft(z / w.numpy().sum(), window=w.numpy(), nperseg=16,
                                noverlap=12, boundary=False)
    np.testing.assert_allclose(ours, ref, atol=1e-10)


def test_istft_complex_output():
    x = RNG.standard_normal((1, 30)) + 1j * RNG.standard_normal((1, 30))
    w = ember.hann_window(8, dtype=ember.float64)
    z = ember.stft(ember.tensor(x), 8, 2, window=w)
    y = ember.istft(z, 8, 2, window=w, length=30, return_complex=True)
    assert y.dtype == ember.complex128
    np.testing.assert_allclose(y.numpy(), x, atol=1e-12)


def test_istft_pads_with_a_warning():
    x = ember.tensor(RNG.standard_normal(32))
    w = ember.hann_window(8, dtype=ember.float64)
    z = ember.stft(x, 8, 2, window=w, return_complex=True)
    with pytest.warns(UserWarning, match="shorter than the length parameter"):
        y = ember.istft(z, 8, 2, window=w, length=40)
    np.testing.assert_allclose(y.numpy()[:32], x.numpy(), atol=1e-12)
    np.testing.assert_array_equal(y.numpy()[36:], 0.0)


def test_istft_errors():
    w = ember.hann_window(16)
    z = ember.stft(ember.randn(100), 16, 4, window=w, return_complex=True)
    with pytest.raises(RuntimeError, match="requires a complex-valued input"):
        ember.istft(z.real, 16, 4, window=w)
    with pytest.raises(RuntimeError, match="NOLA"):
        ember.istft(z, 16, 4, window=w, center=False)  # hann starts at 0: envelope 0 at t=0
    with pytest.raises(RuntimeError, match="NOLA"):
        ember.istft(z, 16, 4, window=ember.zeros(16))
    with pytest.raises(RuntimeError, match=r"match n_fft / 2 \+ 1 = 16 when onesided=True"):
        ember.istft(z, 30, 4, window=ember.hann_window(30))
    with pytest.raises(RuntimeError, match="match n_fft = 16 when onesided=False"):
        ember.istft(z, 16, 4, window=w, onesided=False)
    with pytest.raises(RuntimeError, match="Cannot have onesided output"):
        ember.istft(z, 16, 4, window=w, return_complex=True)


@settings(max_examples=25, deadline=None)
@given(n_fft=st.integers(4, 24), hop_div=st.integers(2, 4), length=st.integers(30, 80),
       batch=st.integers(1, 3), center=st.booleans())
def test_round_trip_property(n_fft, hop_div, length, batch, center):
    # A periodic Hann window at hop <= n_fft / 2 overlaps-adds to a positive envelope
    # everywhere except where frames begin without a predecessor (center=False edges).
    hop = max(1, n_fft // hop_div)
    x = np.random.default_rng(n_fft * 1000 + length).standard_normal((batch, length))
    window = ember.hann_window(n_fft, dtype=ember.float64)
    if not center:
        window = window + 0.1  # nonzero at the edges, so the first sample is recoverable
    z = ember.stft(ember.tensor(x), n_fft, hop, window=window, center=center,
                   return_complex=True)
    covered = n_fft + hop * (z.shape[-1] - 1)  # the samples some frame saw (center=False)
    keep = length if center else min(length, covered)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # center=False may need zero padding at the tail
        y = ember.istft(z, n_fft, hop, window=window, center=center, length=keep)
    np.testing.assert_allclose(y.numpy(), x[:, :keep], atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [
    dict(),
    dict(pad_mode="constant", hop_length=3),
    dict(pad_mode="replicate", onesided=False),
    dict(pad_mode="circular", normalized=True),
    dict(center=False, hop_length=3, win_length=6),
])
def test_stft_gradcheck(kw):
    x = ember.tensor(RNG.standard_normal((2, 17)), requires_grad=True)
    window = ember.hann_window(kw.get("win_length", 8), dtype=ember.float64)

    def power(x):  # real -> complex -> real through abs
        return ember.stft(x, 8, window=window, return_complex=True, **kw).abs() ** 2

    def parts(x):  # both parts: checks the complex-gradient convention directly
        z = ember.stft(x, 8, window=window, return_complex=True, **kw)
        return ember.stack([z.real, z.imag])

    assert gradcheck(power, (x,))
    assert gradcheck(parts, (x,))


@pytest.mark.parametrize("kw", [
    dict(),
    dict(normalized=True),
    dict(length=15),
    dict(onesided=False),
    dict(center=False, window=False),
])
def test_istft_gradcheck_and_gradgradcheck(kw):
    # stft (one window) then istft (another): a real -> complex -> real map, squared so the
    # second derivative is not trivially zero; covers all four Functions twice over.
    kw = dict(kw)
    onesided = kw.pop("onesided", True)
    center = kw.pop("center", True)
    w1 = ember.hann_window(8, dtype=ember.float64)
    w2 = ember.hamming_window(8, dtype=ember.float64)
    if not kw.pop("window", True):
        w1 = w2 = ember.ones(8, dtype=ember.float64)

    def f(x):
        z = ember.stft(x, 8, 2, window=w1, center=center, onesided=onesided,
                       return_complex=True)
        return ember.istft(z, 8, 2, window=w2, center=center, **kw) ** 2

    x = ember.tensor(RNG.standard_normal((2, 20)), requires_grad=True)
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def _inner(a, b):
    """The real inner product of C^n as R^2n, the one PyTorch's complex gradients use."""
    return float(np.sum(np.real(np.conj(a) * b)))


@pytest.mark.parametrize("complex_signal", [False, True])
def test_stft_adjoint_identity(complex_signal):
    # <A x, y> == <x, A* y>, with A* the backward of the transform
    shape = (2, 30)
    x = RNG.standard_normal(shape) + (1j * RNG.standard_normal(shape) if complex_signal else 0)
    xt = ember.tensor(x, requires_grad=True)
    z = ember.stft(xt, 16, 5, win_length=12, window=ember.tensor(RNG.standard_normal(12)),
                   return_complex=True)
    y = RNG.standard_normal(z.shape) + 1j * RNG.standard_normal(z.shape)
    (gx,) = ember.autograd.grad(z, xt, ember.tensor(y))
    assert gx.dtype == xt.dtype
    assert _inner(z.numpy(force=True), y) == pytest.approx(_inner(x, gx.numpy()), rel=1e-10)


@pytest.mark.parametrize("kw", [
    dict(normalized=True, length=20),  # onesided, real output
    dict(onesided=False),  # two-sided input, real output: only half the bins are read
    dict(onesided=False, return_complex=True),
])
def test_istft_adjoint_identity(kw):
    n_freq = 16 if kw.get("onesided", True) is False else 9
    z = RNG.standard_normal((2, n_freq, 7)) + 1j * RNG.standard_normal((2, n_freq, 7))
    zt = ember.tensor(z, requires_grad=True)
    out = ember.istft(zt, 16, 4, window=ember.hann_window(16, dtype=ember.float64), **kw)
    v = RNG.standard_normal(out.shape) + (1j * RNG.standard_normal(out.shape)
                                          if kw.get("return_complex") else 0)
    (gz,) = ember.autograd.grad(out, zt, ember.tensor(v))
    assert _inner(out.numpy(force=True), v) == pytest.approx(_inner(z, gz.numpy()), rel=1e-10)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(pad_mode="constant", hop_length=3),
    dict(onesided=False),
    dict(normalized=True, center=False, win_length=6),
])
def test_stft_window_gradcheck_and_gradgradcheck(kw):
    # PyTorch differentiates stft with respect to the window too: finite differences in float64
    # for both inputs, through |z|^2 and through the real and imaginary parts
    x = ember.tensor(RNG.standard_normal((2, 17)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal(kw.get("win_length", 8)), requires_grad=True)

    def power(x, w):
        z = ember.stft(x, 8, window=w, return_complex=True, **kw)
        return z.real**2 + z.imag**2

    def parts(x, w):
        z = ember.stft(x, 8, window=w, return_complex=True, **kw)
        return ember.stack([z.real, z.imag])

    assert gradcheck(power, (x, w))
    assert gradcheck(parts, (x, w))
    assert gradgradcheck(power, (x, w))


def test_stft_window_gradient_formula_and_same_forward():
    # X[m, f] = sum_k w[k] x[f hop + k] e^{-2 pi i m k / n}, so for L = sum Re X
    # dL/dw[k] = sum_f x[f hop + k] sum_m cos(2 pi m k / n) (center=False, two-sided)
    n, hop = 8, 4
    x = RNG.standard_normal(28)
    w = ember.tensor(RNG.standard_normal(n), requires_grad=True)
    z = ember.stft(ember.tensor(x), n, hop, window=w, center=False, onesided=False,
                   return_complex=True)
    z.real.sum().backward()
    frames = np.stack([x[f * hop : f * hop + n] for f in range(1 + (28 - n) // hop)])
    cos_sum = np.cos(2 * np.pi * np.outer(np.arange(n), np.arange(n)) / n).sum(axis=0)
    np.testing.assert_allclose(w.grad.numpy(), frames.sum(axis=0) * cos_sum, atol=1e-12)
    with ember.no_grad():  # the fused path (no window gradient) gives the same spectrum
        fused = ember.stft(ember.tensor(x), n, hop, window=w, center=False, onesided=False,
                           return_complex=True)
    np.testing.assert_allclose(z.detach().numpy(), fused.numpy(), atol=1e-12)


def test_stft_window_gradient_complex_signal_and_float32():
    # a complex signal with a real trainable window, and the float32 dtypes kept
    re, im = (ember.tensor(RNG.standard_normal((1, 20)), requires_grad=True) for _ in "ri")
    w = ember.tensor(RNG.standard_normal(8), requires_grad=True)

    def parts(re, im, w):  # gradcheck perturbs real inputs: build the complex signal inside
        z = ember.stft(ember.complex(re, im), 8, 2, window=w, return_complex=True)
        assert z.shape == (1, 8, 11)  # two-sided for a complex signal
        return ember.stack([z.real, z.imag])

    assert gradcheck(parts, (re, im, w))
    w32 = ember.hann_window(8, requires_grad=True)
    z = ember.stft(ember.randn(40), 8, window=w32, return_complex=True)
    assert z.dtype == ember.complex64
    z.abs().sum().backward()
    assert w32.grad.dtype == ember.float32 and w32.grad.shape == (8,)


def test_window_gradient_refusals_are_clear():
    w = ember.hann_window(8, dtype=ember.float64, requires_grad=True)
    z = ember.stft(ember.randn(40, dtype=ember.float64), 8, window=w.detach(),
                   return_complex=True)
    with pytest.raises(NotImplementedError, match="window.detach"):
        ember.istft(z, 8, window=w)
    with ember.no_grad():
        ember.istft(z, 8, window=w)


@pytest.mark.cuda
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")
def test_stft_istft_on_cuda_match_cpu():
    x = ember.randn(2, 400)
    w = ember.hann_window(64)
    z_cpu = ember.stft(x, 64, 16, window=w, return_complex=True)
    z_gpu = ember.stft(x.cuda(), 64, 16, window=w.cuda(), return_complex=True)
    np.testing.assert_allclose(z_gpu.cpu().numpy(), z_cpu.numpy(), atol=1e-4)
    y = ember.istft(z_gpu, 64, 16, window=w.cuda(), length=400)
    np.testing.assert_allclose(y.cpu().numpy(), x.numpy(), atol=1e-5)
    xg = x.cuda().requires_grad_()
    ember.stft(xg, 64, 16, window=w.cuda(), return_complex=True).abs().sum().backward()
    xc = x.clone().requires_grad_()
    ember.stft(xc, 64, 16, window=w, return_complex=True).abs().sum().backward()
    np.testing.assert_allclose(xg.grad.cpu().numpy(), xc.grad.numpy(), atol=1e-3)
