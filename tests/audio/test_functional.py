"""emberaudio.functional against references written here: NumPy spectra, the HTK and Slaney
mel formulas, scipy.fft.dct, scipy.signal.lfilter, analytic sines for resampling, the RBJ
cookbook's biquads, finite differences (gradcheck)."""

import math
import warnings

import numpy as np
import pytest
import scipy.fft
import scipy.signal

import ember
import emberaudio.functional as F
from ember.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def _power_spectrogram(x, n_fft, hop, window, power=2.0):
    """|rfft| ** power of reflect-padded, windowed frames: (freq, frames)."""
    padded = np.pad(x, n_fft // 2, mode="reflect")
    n_frames = 1 + (len(padded) - n_fft) // hop
    frames = np.stack([padded[i * hop : i * hop + n_fft] * window for i in range(n_frames)])
    return np.abs(np.fft.rfft(frames, axis=-1)).T ** power


# ---------------------------------------------------------------------------------------------
# Spectrograms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_spectrogram_matches_numpy(power):
    x = RNG.standard_normal((2, 3, 300))
    window = ember.hann_window(64, dtype=ember.float64)
    spec = F.spectrogram(ember.tensor(x), 0, window, 64, 16, 64, power, False)
    assert spec.shape == (2, 3, 33, 1 + 300 // 16)
    expected = _power_spectrogram(x[1, 2], 64, 16, window.numpy(), power)
    np.testing.assert_allclose(spec.numpy()[1, 2], expected, rtol=1e-10, atol=1e-10)


def test_spectrogram_normalizations_and_pad():
    x = RNG.standard_normal(200)
    window = ember.hann_window(32, dtype=ember.float64)
    base = F.spectrogram(ember.tensor(x), 0, window, 32, 8, 32, 1.0, False).numpy()
    by_window = F.spectrogram(ember.tensor(x), 0, window, 32, 8, 32, 1.0, True).numpy()
    np.testing.assert_allclose(by_window, base / np.sqrt((window.numpy() ** 2).sum()))
    by_frame = F.spectrogram(ember.tensor(x), 0, window, 32, 8, 32, 1.0, "frame_length")
    np.testing.assert_allclose(by_frame.numpy(), base / np.sqrt(32), rtol=1e-12)
    padded = F.spectrogram(ember.tensor(x), 5, window, 32, 8, 32, 2.0, False).numpy()
    np.testing.assert_allclose(padded, _power_spectrogram(np.pad(x, 5), 32, 8, window.numpy()),
                               rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="Invalid normalized parameter"):
        F.spectrogram(ember.tensor(x), 0, window, 32, 8, 32, 1.0, "bogus")


def test_spectrogram_gradcheck():
    x = ember.tensor(RNG.standard_normal((2, 24)), requires_grad=True)
    window = ember.hann_window(8, dtype=ember.float64)
    assert gradcheck(lambda x: F.spectrogram(x, 1, window, 8, 2, 8, 2.0, True), (x,))


def test_inverse_spectrogram_round_trip():
    x = RNG.standard_normal((2, 1, 250))
    window = ember.hann_window(48, dtype=ember.float64)
    for normalized in (False, True, "frame_length"):
        spec = F.spectrogram(ember.tensor(x), 4, window, 48, 12, 48, None, normalized)
        assert spec.dtype == ember.complex128
        y = F.inverse_spectrogram(spec, 250, 4, window, 48, 12, 48, normalized)
        assert y.shape == (2, 1, 250)
        np.testing.assert_allclose(y.numpy(), x, atol=1e-10)
    with pytest.raises(ValueError, match="expected a complex spectrogram"):
        F.inverse_spectrogram(spec.abs(), 250, 4, window, 48, 12, 48, False)


def test_griffinlim_converges_and_momentum_helps():
    t = np.arange(4000) / 8000
    x = np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 1250 * t)
    window = ember.hann_window(256, dtype=ember.float64)
    target = F.spectrogram(ember.tensor(x), 0, window, 256, 64, 256, 2.0, False)
    magnitude = np.sqrt(target.numpy())

    def convergence(n_iter, momentum):
        # spectral convergence || |S(y)| - |S(x)| || / || |S(x)| || of the estimate y
        y = F.griffinlim(target, window, 256, 64, 256, 2.0, n_iter, momentum, 4000, False)
        assert y.shape == (4000,)
        rebuilt = F.spectrogram(y, 0, window, 256, 64, 256, 1.0, False).numpy()
        return np.linalg.norm(rebuilt - magnitude) / np.linalg.norm(magnitude)

    start, early, plain, fast = (convergence(0, 0.0), convergence(4, 0.0),
                                 convergence(32, 0.0), convergence(32, 0.99))
    assert start > early > plain > fast
    assert fast < 0.12
    with pytest.raises(ValueError, match=r"momentum must be in range \[0, 1\)"):
        F.griffinlim(target, window, 256, 64, 256, 2.0, 1, 1.0, None, False)


# ---------------------------------------------------------------------------------------------
# Filter banks, DCT, decibels
# ---------------------------------------------------------------------------------------------


def _htk_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _htk_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def _slaney_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f < 1000, 3 * f / 200, 15 + 27 * np.log(np.maximum(f, 1e-9) / 1000)
                    / np.log(6.4))


def _slaney_hz(m):
    return np.where(m < 15, 200 * m / 3, 1000 * np.exp(np.log(6.4) / 27 * (m - 15)))


def _reference_fbanks(n_freqs, f_min, f_max, n_mels, sr, to_mel, to_hz, slaney_norm):
    freqs = np.linspace(0, sr // 2, n_freqs)
    edges = to_hz(np.linspace(to_mel(f_min), to_mel(f_max), n_mels + 2))
    fb = np.zeros((n_freqs, n_mels))
    for m in range(n_mels):  # the triangle m: up from edges[m] to edges[m+1], down to m+2
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (freqs - lo) / (mid - lo)
        falling = (hi - freqs) / (hi - mid)
        fb[:, m] = np.maximum(0, np.minimum(rising, falling))
        if slaney_norm:
            fb[:, m] *= 2.0 / (hi - lo)
    return fb


@pytest.mark.parametrize("mel_scale, norm", [("htk", None), ("slaney", None),
                                             ("htk", "slaney"), ("slaney", "slaney")])
def test_melscale_fbanks_match_the_formulas(mel_scale, norm):
    fb = F.melscale_fbanks(257, 20.0, 7600.0, 40, 16000, norm=norm, mel_scale=mel_scale)
    to_mel, to_hz = (_htk_mel, _htk_hz) if mel_scale == "htk" else (_slaney_mel, _slaney_hz)
    expected = _reference_fbanks(257, 20.0, 7600.0, 40, 16000, to_mel, to_hz, norm == "slaney")
    assert fb.shape == (257, 40) and fb.dtype == ember.float32
    np.testing.assert_allclose(fb.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_melscale_literals_and_errors():
    # 1000 Hz is 1000 mel on HTK's scale (by construction) and 15 on Slaney's
    assert _htk_mel(1000.0) == pytest.approx(999.99, abs=0.01)
    fb = F.melscale_fbanks(5, 0.0, 2000.0, 1, 4000)
    # one triangle from 0 to 2000 Hz peaking at the mel midpoint (~ 675 Hz)
    peak = _htk_hz(_htk_mel(2000.0) / 2)
    expected = [0.0, 500 / peak, 1000 / (2000 - peak), 500 / (2000 - peak), 0.0]
    np.testing.assert_allclose(fb.numpy()[:, 0], expected, rtol=1e-5)
    with pytest.warns(UserWarning, match="At least one mel filterbank has all zero values"):
        F.melscale_fbanks(201, 0.0, 8000.0, 128, 16000)
    with pytest.raises(ValueError, match='norm must be one of None or "slaney"'):
        F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, norm="l2")
    with pytest.raises(ValueError, match="mel_scale should be one of"):
        F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, mel_scale="bark")


def test_linear_fbanks():
    fb = F.linear_fbanks(129, 0.0, 4000.0, 10, 8000)
    expected = _reference_fbanks(129, 0.0, 4000.0, 10, 8000, lambda f: f, lambda f: f, False)
    np.testing.assert_allclose(fb.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm", ["ortho", None])
def test_create_dct_matches_scipy(norm):
    dct = F.create_dct(13, 40, norm)
    assert dct.shape == (40, 13)
    mel = RNG.standard_normal((5, 40))
    expected = scipy.fft.dct(mel, type=2, norm=norm, axis=-1)[:, :13]
    np.testing.assert_allclose(mel @ dct.numpy().astype(np.float64), expected, rtol=1e-5,
                               atol=1e-5)
    with pytest.raises(ValueError, match='norm must be either "ortho" or None'):
        F.create_dct(13, 40, "forward")


def test_amplitude_to_db_and_back():
    x = np.abs(RNG.standard_normal((2, 3, 4, 5))) + 1e-3
    x[0, 0, 0, 0] = 0.0  # clamped to amin
    out = F.amplitude_to_DB(ember.tensor(x), 10.0, 1e-10, 0.0).numpy()
    np.testing.assert_allclose(out, 10 * np.log10(np.maximum(x, 1e-10)))
    floored = F.amplitude_to_DB(ember.tensor(x), 20.0, 1e-10, 0.5, top_db=30.0).numpy()
    db = 20 * np.log10(np.maximum(x, 1e-10)) - 20 * 0.5
    floor = db.reshape(2, -1).max(axis=1) - 30.0  # per batch item over (channel, freq, time)
    np.testing.assert_allclose(floored, np.maximum(db, floor[:, None, None, None]))
    back = F.DB_to_amplitude(ember.tensor(out), 1.0, 1.0).numpy()
    np.testing.assert_allclose(back[x > 0], x[x > 0], rtol=1e-10)
    np.testing.assert_allclose(F.DB_to_amplitude(ember.tensor([20.0]), 2.0, 0.5).numpy(),
                               [20.0])


def test_compute_deltas():
    x = RNG.standard_normal((2, 4, 30))
    out = F.compute_deltas(ember.tensor(x), win_length=5).numpy()
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2)), mode="edge")
    expected = sum(n * (padded[..., 2 + n : 32 + n] - padded[..., 2 - n : 32 - n])
                   for n in (1, 2)) / 10.0
    np.testing.assert_allclose(out, expected, atol=1e-12)
    xt = ember.tensor(RNG.standard_normal((3, 9)), requires_grad=True)
    assert gradcheck(lambda t: F.compute_deltas(t, win_length=3), (xt,))
    with pytest.raises(ValueError, match="greater than or equal to 3"):
        F.compute_deltas(ember.tensor(x), win_length=2)


def test_mu_law():
    x = np.linspace(-1, 1, 1001)
    codes = F.mu_law_encoding(ember.tensor(x), 256)
    assert codes.dtype == ember.int64
    expected = ((np.sign(x) * np.log1p(255 * np.abs(x)) / np.log1p(255) + 1) / 2 * 255
                + 0.5).astype(np.int64)
    np.testing.assert_array_equal(codes.numpy(), expected)
    assert F.mu_law_encoding(ember.tensor([0.0, -1.0, 1.0]), 256).tolist() == [128, 0, 255]
    decoded = F.mu_law_decoding(codes, 256).numpy()
    # the round trip error is at most half a code step (1/mu on the companded scale) times
    # the slope of the expansion, largest at the larger magnitude of the two
    slope = (1 + 255 * np.maximum(np.abs(x), np.abs(decoded))) * np.log1p(255) / 255
    step = slope / 255
    assert np.all(np.abs(decoded - x) <= step + 1e-6)
    with pytest.warns(UserWarning, match="must be of floating type"):
        F.mu_law_encoding(ember.tensor([0, 1]), 256)


# ---------------------------------------------------------------------------------------------
# Resampling
# ---------------------------------------------------------------------------------------------


def _sine(freq, sr, seconds=1.0, dtype=np.float32):
    return np.sin(2 * np.pi * freq * np.arange(int(sr * seconds)) / sr).astype(dtype)


def test_resample_keeps_a_440_hz_peak_and_rejects_above_nyquist():
    x = ember.tensor(_sine(440, 44100))[None]
    y = F.resample(x, 44100, 16000)
    assert y.shape == (1, 16000) and y.dtype == ember.float32
    spectrum = np.abs(np.fft.rfft(y.numpy()[0] * np.hanning(16000)))
    assert np.argmax(spectrum) * 16000 / 16000 == 440
    # the resampled sine is the sine sampled at 16 kHz (away from the zero-padded edges)
    np.testing.assert_allclose(y.numpy()[0, 200:-200], _sine(440, 16000)[200:-200], atol=2e-3)
    # 10 kHz is above the new Nyquist (8 kHz): it must be filtered out, not aliased to 6 kHz
    high = F.resample(ember.tensor(_sine(10000, 44100))[None], 44100, 16000).numpy()[0]
    rms_ratio = np.sqrt(np.mean(high[200:-200] ** 2)) / np.sqrt(0.5)
    assert 20 * np.log10(rms_ratio) < -40


@pytest.mark.parametrize("method, kw", [("sinc_interp_hann", {}),
                                        ("sinc_interp_kaiser", {"beta": 8.0}),
                                        ("sinc_interp_kaiser", {})])
def test_resample_up_and_ratios(method, kw):
    x = ember.tensor(_sine(300, 8000, dtype=np.float64))[None, None]
    y = F.resample(x, 8000, 22050, resampling_method=method, **kw)
    assert y.shape == (1, 1, 22050) and y.dtype == ember.float64
    np.testing.assert_allclose(y.numpy()[0, 0, 300:-300], _sine(300, 22050, dtype=np.float64)
                               [300:-300], atol=2e-3)
    # the length is ceil(n * new / orig)
    assert F.resample(ember.zeros(1, 101), 3, 2).shape == (1, math.ceil(101 * 2 / 3))


def test_resample_against_scipy_on_a_bandlimited_signal():
    # two different windowed-sinc designs agree on content well below both cutoffs
    t = np.arange(4800) / 48000
    x = np.sin(2 * np.pi * 500 * t) + 0.3 * np.cos(2 * np.pi * 2100 * t)
    ours = F.resample(ember.tensor(x), 48000, 16000).numpy()
    reference = scipy.signal.resample_poly(x, 1, 3)
    np.testing.assert_allclose(ours[100:-100], reference[100:-100], atol=5e-3)


def test_resample_identity_gradcheck_and_errors():
    x = ember.randn(2, 50)
    assert F.resample(x, 16000, 16000) is x
    xt = ember.tensor(RNG.standard_normal((1, 12)), requires_grad=True)
    assert gradcheck(lambda t: F.resample(t, 3, 2, lowpass_filter_width=2), (xt,))
    with pytest.raises(ValueError, match="should be positive"):
        F.resample(x, 0, 16000)
    with pytest.raises(ValueError, match="Invalid resampling method: linear"):
        F.resample(x, 2, 3, resampling_method="linear")
    with pytest.raises(ValueError, match="Low pass filter width should be positive"):
        F.resample(x, 2, 3, lowpass_filter_width=0)
    with pytest.raises(TypeError, match="Expected floating point type"):
        F.resample(x.long(), 2, 3)


# ---------------------------------------------------------------------------------------------
# Filtering
# ---------------------------------------------------------------------------------------------


def _stable_coeffs(order, rng):
    """A random stable denominator (poles inside radius 0.9) and numerator."""
    poles = 0.9 * rng.uniform(0, 1, order) * np.exp(1j * rng.uniform(0, np.pi, order))
    a = np.real(np.poly(np.concatenate([poles[: order // 2], np.conj(poles[: order // 2]),
                                        poles.real[order // 2 * 2 :]])))[: order + 1]
    return a * rng.uniform(0.5, 2.0), rng.standard_normal(order + 1)


@pytest.mark.parametrize("order, length", [(1, 50), (2, 700), (3, 9), (4, 300), (6, 1000)])
def test_lfilter_matches_scipy(order, length):
    a, b = _stable_coeffs(order, RNG)
    x = RNG.standard_normal((2, 3, length)) * 0.1
    y = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False)
    np.testing.assert_allclose(y.numpy(), scipy.signal.lfilter(b, a, x, axis=-1), atol=1e-12)


def test_lfilter_batching_clamp_and_float32():
    a = np.array([[1.0, -0.5], [2.0, 0.3], [1.0, 0.0]])
    b = np.array([[1.0, 0.2], [0.5, 0.5], [3.0, 0.0]])
    x = RNG.standard_normal((4, 3, 60))
    y = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False).numpy()
    for i in range(3):  # filter i on channel i
        np.testing.assert_allclose(y[:, i], scipy.signal.lfilter(b[i], a[i], x[:, i]),
                                   atol=1e-12)
    every = F.lfilter(ember.tensor(x[0, 0]), ember.tensor(a), ember.tensor(b), clamp=False,
                      batching=False).numpy()
    assert every.shape == (3, 60)
    for i in range(3):  # without batching, every filter sees the whole waveform
        np.testing.assert_allclose(every[i], scipy.signal.lfilter(b[i], a[i], x[0, 0]),
                                   atol=1e-12)
    clamped = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b)).numpy()
    np.testing.assert_array_equal(clamped, np.clip(y, -1, 1))
    y32 = F.lfilter(ember.tensor(x.astype(np.float32)), ember.tensor(a), ember.tensor(b),
                    clamp=False)
    assert y32.dtype == ember.float32
    np.testing.assert_allclose(y32.numpy(), y, atol=1e-5)


def test_lfilter_errors():
    x = ember.randn(2, 10)
    with pytest.raises(ValueError, match="Expected coeffs to be the same size"):
        F.lfilter(x, ember.tensor([1.0, 0.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match="number of batches in waveform and coeffs"):
        F.lfilter(x, ember.ones(3, 2), ember.ones(3, 2))
    with pytest.raises(ValueError, match="must be nonzero"):
        F.lfilter(x, ember.tensor([0.0, 1.0]), ember.tensor([1.0, 0.0]))


def test_lfilter_gradients():
    x = ember.tensor(RNG.standard_normal((2, 1, 14)) * 0.3, requires_grad=True)
    a = ember.tensor([1.3, -0.4, 0.2], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([0.5, 0.1, -0.3], dtype=ember.float64, requires_grad=True)

    def f(x, a, b):
        return F.lfilter(x, a, b, clamp=False)

    assert gradcheck(f, (x, a, b))
    assert gradgradcheck(f, (x, a, b))


def test_biquads_match_the_rbj_cookbook():
    sr, f0, q = 16000, 1000.0, 0.707
    w0 = 2 * np.pi * f0 / sr
    alpha = np.sin(w0) / (2 * q)
    c = np.cos(w0)
    designs = {
        "lowpass": ([(1 - c) / 2, 1 - c, (1 - c) / 2], [1 + alpha, -2 * c, 1 - alpha]),
        "highpass": ([(1 + c) / 2, -(1 + c), (1 + c) / 2], [1 + alpha, -2 * c, 1 - alpha]),
        "bandpass": ([alpha, 0, -alpha], [1 + alpha, -2 * c, 1 - alpha]),
        "bandreject": ([1, -2 * c, 1], [1 + alpha, -2 * c, 1 - alpha]),
        "allpass": ([1 - alpha, -2 * c, 1 + alpha], [1 + alpha, -2 * c, 1 - alpha]),
    }
    x = RNG.standard_normal((2, 500)) * 0.2
    calls = {
        "lowpass": lambda t: F.lowpass_biquad(t, sr, f0, q),
        "highpass": lambda t: F.highpass_biquad(t, sr, f0, q),
        "bandpass": lambda t: F.bandpass_biquad(t, sr, f0, q),
        "bandreject": lambda t: F.bandreject_biquad(t, sr, f0, q),
        "allpass": lambda t: F.allpass_biquad(t, sr, f0, q),
    }
    for name, (b, a) in designs.items():
        expected = np.clip(scipy.signal.lfilter(b, a, x), -1, 1)
        np.testing.assert_allclose(calls[name](ember.tensor(x)).numpy(), expected, atol=1e-12,
                                   err_msg=name)
    # the low-pass response: -3 dB at the cutoff for Q = 1/sqrt(2), ~ -40 dB two octaves up
    _, response = scipy.signal.freqz(*designs["lowpass"], worN=[f0, 4 * f0], fs=sr)
    assert 20 * np.log10(abs(response[0])) == pytest.approx(-3.0, abs=0.05)
    impulse = np.zeros(4096)
    impulse[0] = 0.5
    h = F.lowpass_biquad(ember.tensor(impulse), sr, f0, q).numpy() * 2
    gain_at = np.abs(np.fft.rfft(h))[[256, 1024]]  # bins of 1 kHz and 4 kHz
    np.testing.assert_allclose(gain_at, np.abs(response), rtol=1e-3)


def test_emphasis_gain_and_noise():
    x = RNG.standard_normal((2, 100)) * 0.1
    pre = F.preemphasis(ember.tensor(x), 0.9).numpy()
    expected = x.copy()
    expected[:, 1:] -= 0.9 * x[:, :-1]
    np.testing.assert_allclose(pre, expected)
    np.testing.assert_allclose(F.deemphasis(ember.tensor(pre), 0.9).numpy(), x, atol=1e-12)
    np.testing.assert_allclose(F.gain(ember.tensor(x), 6.0).numpy(), x * 10 ** 0.3)
    assert F.gain(ember.tensor(x), 0).numpy() is not None

    signal, noise = RNG.standard_normal((3, 400)), RNG.standard_normal((3, 400))
    snr = ember.tensor([0.0, 10.0, 20.0])
    lengths = ember.tensor([400, 300, 200])
    noisy = F.add_noise(ember.tensor(signal), ember.tensor(noise), snr, lengths).numpy()
    for i, (target, n) in enumerate(zip([0.0, 10.0, 20.0], [400, 300, 200])):
        added = noisy[i, :n] - signal[i, :n]
        measured = 10 * np.log10(np.sum(signal[i, :n] ** 2) / np.sum(added ** 2))
        assert measured == pytest.approx(target, abs=1e-9)
    with pytest.raises(ValueError, match="Length dimensions of waveform and noise"):
        F.add_noise(ember.zeros(2, 5), ember.zeros(2, 4), ember.zeros(2))


# ---------------------------------------------------------------------------------------------
# Phase vocoder and masks
# ---------------------------------------------------------------------------------------------


def test_phase_vocoder_on_a_steady_sine():
    n_fft, hop = 256, 64
    x = np.sin(2 * np.pi * 33 * np.arange(8000) / n_fft)  # bin 33 exactly
    window = ember.hann_window(n_fft, dtype=ember.float64)
    spec = ember.stft(ember.tensor(x), n_fft, hop, window=window, return_complex=True)
    advance = ember.linspace(0, math.pi * hop, n_fft // 2 + 1, dtype=ember.float64)[..., None]
    assert F.phase_vocoder(spec, 1.0, advance) is spec
    stretched = F.phase_vocoder(spec, 2.0, advance)
    assert stretched.shape == (129, math.ceil(spec.shape[-1] / 2))
    magnitude = stretched.abs().numpy()
    # the energy stays in the sine's bin, at the same level (interior frames)
    np.testing.assert_allclose(magnitude[33, 5:-5], spec.abs().numpy()[33, 10:-10:2],
                               rtol=1e-6)
    # a steady sine's phase advances by 2 pi * 33 * hop / n_fft (= pi / 2) per output frame
    phase = np.angle(stretched.numpy()[33, 5:-5])
    step = np.angle(np.exp(1j * (np.diff(phase) - 2 * np.pi * 33 * hop / n_fft)))
    np.testing.assert_allclose(step, 0, atol=1e-6)


def test_mask_along_axis():
    spec = ember.ones(2, 20, 30)
    ember.manual_seed(3)
    masked = F.mask_along_axis(spec, 10, 0.0, axis=2).numpy()
    zero_columns = np.where((masked == 0).all(axis=(0, 1)))[0]
    assert (masked == 0).sum() == 2 * 20 * len(zero_columns)  # whole columns, all items
    assert len(zero_columns) < 10
    if len(zero_columns):
        assert np.all(np.diff(zero_columns) == 1)  # one contiguous band
    freq = F.mask_along_axis(spec, 30, -1.0, axis=1, p=0.1).numpy()
    rows = np.where((freq == -1).all(axis=(0, 2)))[0]
    assert len(rows) <= 2  # p caps the width at 0.1 * 20
    with pytest.raises(ValueError, match="only frequency and time masking"):
        F.mask_along_axis(spec, 5, 0.0, axis=0)
    with pytest.raises(ValueError, match="between 0.0 and 1.0"):
        F.mask_along_axis(spec, 5, 0.0, axis=2, p=1.5)


def test_mask_along_axis_iid_differs_per_example():
    spec = ember.ones(64, 2, 10, 50)
    masked = F.mask_along_axis_iid(spec, 40, 0.0, axis=3).numpy()
    widths = (masked[:, :, 0, :] == 0).sum(-1)  # masked frames per (example, channel)
    assert widths.max() < 40 and len(np.unique(widths)) > 5
    for i, c in [(0, 0), (5, 1), (63, 1)]:  # each band is contiguous and spans all freqs
        cols = np.where(masked[i, c, 0] == 0)[0]
        assert np.all(masked[i, c][:, cols] == 0)
        if len(cols):
            assert cols[-1] - cols[0] + 1 == len(cols)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        F.mask_along_axis_iid(ember.ones(3, 4), 2, 0.0, axis=1)


def test_griffinlim_warns_nothing():
    # griffinlim runs without autograd noise even on tensors that require grad
    spec = ember.rand(33, 10, dtype=ember.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.griffinlim(spec, ember.hann_window(64, dtype=ember.float64), 64, 16, 64, 1.0, 2,
                         0.0, None, True)
    assert y.shape == (16 * 9,) and not y.requires_grad
