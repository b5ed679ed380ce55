"""The torchaudio.functional / transforms additions against references written here:
scipy.signal.convolve / lfilter, measured frequency responses (RBJ cookbook design targets),
sample-by-sample NumPy loops of torchaudio's algorithms (overdrive, sliding CMN, NCCF pitch,
BS.1770 gating), brute-force CTC path enumeration, a textbook Levenshtein DP, and finite
differences (gradcheck)."""

import itertools
import math

import numpy as np
import pytest
import scipy.signal

import ember
from ember.autograd import gradcheck, gradgradcheck
from emberaudio.functional import _alignment_more as AL
from emberaudio.functional import _effects_more as FX
from emberaudio.functional import _filtering_more as FL
from emberaudio.functional import resample
from emberaudio.transforms import _more as T

RNG = np.random.default_rng(11)


def _t(a, **kw):
    return ember.tensor(np.asarray(a), **kw)


# ---------------------------------------------------------------------------------------------
# convolve / fftconvolve
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("fn", [FX.convolve, FX.fftconvolve])
@pytest.mark.parametrize("n,m", [(20, 7), (6, 11)])
def test_convolve_matches_scipy(fn, mode, n, m):
    x = RNG.standard_normal((2, 3, n))
    y = RNG.standard_normal((1, 3, m))  # leading dims broadcast
    out = fn(_t(x), _t(y), mode).numpy()
    ref = np.stack([[scipy.signal.convolve(x[b, c], y[0, c], mode) for c in range(3)]
                    for b in range(2)])
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=1e-12)


def test_convolve_float32_and_errors():
    x = RNG.standard_normal((4, 30)).astype(np.float32)
    y = RNG.standard_normal((4, 5)).astype(np.float32)
    for fn in (FX.convolve, FX.fftconvolve):
        out = fn(_t(x), _t(y))
        assert out.dtype == ember.float32
        ref = np.stack([np.convolve(a, b) for a, b in zip(x, y)])
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)
        with pytest.raises(ValueError, match="Unrecognized mode value 'bogus'"):
            fn(_t(x), _t(y), "bogus")
        with pytest.raises(ValueError, match="must be the same dimension"):
            fn(_t(x), _t(y[0]))
        with pytest.raises(ValueError, match="not broadcastable"):
            fn(_t(x), _t(y[:3]))
    with pytest.raises(ValueError, match="Unrecognized mode"):
        T.Convolve("bogus")


@pytest.mark.parametrize("fn", [FX.convolve, FX.fftconvolve])
def test_convolve_gradcheck(fn):
    x = _t(RNG.standard_normal((2, 9)), requires_grad=True)
    y = _t(RNG.standard_normal((1, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: fn(a, b, "same"), (x, y))
    assert gradgradcheck(lambda a, b: fn(a, b, "full"), (x, y))


# ---------------------------------------------------------------------------------------------
# filtfilt and the biquads
# ---------------------------------------------------------------------------------------------


def test_filtfilt_is_lfilter_forward_then_backward():
    b, a = scipy.signal.butter(3, 0.2)
    x = RNG.uniform(-0.3, 0.3, (2, 3, 200))
    out = FL.filtfilt(_t(x), _t(a), _t(b), clamp=False).numpy()
    fwd = scipy.signal.lfilter(b, a, x, axis=-1)
    ref = scipy.signal.lfilter(b, a, fwd[..., ::-1], axis=-1)[..., ::-1]
    np.testing.assert_allclose(out, ref, atol=1e-10)
    # zero phase: a symmetric pulse stays symmetric about its centre
    pulse = np.zeros(201)
    pulse[100] = 0.5
    y = FL.filtfilt(_t(pulse), _t(a), _t(b)).numpy()
    np.testing.assert_allclose(y[:100], y[101:][::-1], atol=1e-6)
    xs = _t(RNG.uniform(-0.3, 0.3, (1, 16)), requires_grad=True)
    assert gradcheck(lambda v: FL.filtfilt(v, _t([1.0, -0.5]), _t([0.3, 0.2]), False), (xs,))


def _response(fn, sample_rate, freqs, n=8192):
    """|H(f)| measured from the impulse response (amplitude 1e-3 keeps clear of the clamp)."""
    impulse = np.zeros(n)
    impulse[0] = 1e-3
    h = fn(_t(impulse)).numpy() / 1e-3
    spectrum = np.fft.rfft(h)
    bins = np.rint(np.asarray(freqs) / sample_rate * n).astype(int)
    return np.abs(spectrum[bins])


def test_shelves_and_equalizer_reach_their_gains():
    sr = 16000
    db = lambda r: 20 * np.log10(r)  # noqa: E731
    bass = _response(lambda w: FL.bass_biquad(w, sr, 6.0, 200), sr, [0, 4000, 8000])
    np.testing.assert_allclose(db(bass), [6.0, 0.0, 0.0], atol=0.05)
    treble = _response(lambda w: FL.treble_biquad(w, sr, -4.0, 2000), sr, [0, 8000])
    np.testing.assert_allclose(db(treble), [0.0, -4.0], atol=0.01)
    eq = _response(lambda w: FL.equalizer_biquad(w, sr, 1000, 5.0, 2.0), sr, [1000, 0, 8000])
    np.testing.assert_allclose(db(eq), [5.0, 0.0, 0.0], atol=0.01)


def test_band_biquad_matches_sox_formula():
    sr, f0, q = 8000, 1000.0, 2.0
    x = RNG.uniform(-0.2, 0.2, 300)
    w0 = 2 * math.pi * f0 / sr
    a2 = math.exp(-2 * math.pi * (f0 / q) / sr)
    a1 = -4 * a2 / (1 + a2) * math.cos(w0)
    b0 = math.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    ref = scipy.signal.lfilter([b0, 0, 0], [1, a1, a2], x)
    np.testing.assert_allclose(FL.band_biquad(_t(x), sr, f0, q).numpy(), ref, atol=1e-12)
    mult = math.sqrt(((1 + a2) ** 2 - a1 * a1) * (1 - a2) / (1 + a2)) / b0
    np.testing.assert_allclose(FL.band_biquad(_t(x), sr, f0, q, noise=True).numpy(),
                               ref * mult, atol=1e-12)


def test_riaa_and_deemph():
    for sr in (44100, 48000, 88200, 96000):
        gain_1k = _response(lambda w, sr=sr: FL.riaa_biquad(w, sr), sr, [1000], n=sr)[0]
        np.testing.assert_allclose(gain_1k, 1.0, atol=1e-6)  # normalised to 0 dB at 1 kHz
    # RIAA playback boosts bass (~ +19 dB at 20 Hz) and cuts treble (~ -19.6 dB at 20 kHz)
    low, high = _response(lambda w: FL.riaa_biquad(w, 44100), 44100, [20, 20000], n=44100)
    assert 18.0 < 20 * np.log10(low) < 20.5 and -20.5 < 20 * np.log10(high) < -18.5
    for sr in (44100, 48000):
        dc, top = _response(lambda w, sr=sr: FL.deemph_biquad(w, sr), sr, [0, sr // 2])
        assert abs(20 * np.log10(dc)) < 0.01 and -10.0 < 20 * np.log10(top) < -9.0
    with pytest.raises(ValueError, match="44.1k, 48k, 88.2k, or 96k"):
        FL.riaa_biquad(_t(np.zeros(4)), 16000)
    with pytest.raises(ValueError, match="44100 \\(audio-CD\\) or 48000"):
        FL.deemph_biquad(_t(np.zeros(4)), 16000)


def test_biquad_tensor_parameters_get_gradients():
    x = _t(RNG.uniform(-0.2, 0.2, (1, 12)))
    gain = _t(3.0, requires_grad=True)
    freq = _t(500.0, requires_grad=True)
    assert gradcheck(lambda g, f: FL.equalizer_biquad(x, 4000, f, g, 1.5), (gain, freq))
    assert gradcheck(lambda g: FL.bass_biquad(x, 4000, g), (gain,))


# ---------------------------------------------------------------------------------------------
# Effects
# ---------------------------------------------------------------------------------------------


def test_overdrive_matches_sample_loop():
    x = RNG.uniform(-0.5, 0.5, (2, 150))
    gain, colour = 12.0, 30.0
    temp = x * 10 ** (gain / 20) + colour / 200
    temp = np.where(temp < -1, -2 / 3, np.where(temp > 1, 2 / 3, temp - temp ** 3 / 3))
    ref = np.zeros_like(x)
    last_in = np.zeros(2)
    last_out = np.zeros(2)
    for i in range(x.shape[1]):  # torchaudio's _overdrive_core_loop
        last_out = temp[:, i] - last_in + 0.995 * last_out
        last_in = temp[:, i]
        ref[:, i] = x[:, i] * 0.5 + last_out * 0.75
    out = FX.overdrive(_t(x), gain, colour).numpy()
    np.testing.assert_allclose(out, np.clip(ref, -1, 1), atol=1e-12)


def test_contrast_and_dcshift():
    x = RNG.uniform(-1, 1, 64)
    out = FX.contrast(_t(x), 40.0).numpy()
    np.testing.assert_allclose(out, np.sin(x * np.pi / 2 + 40 / 750 * np.sin(x * 2 * np.pi)))
    with pytest.raises(ValueError, match="0-100"):
        FX.contrast(_t(x), 120.0)
    np.testing.assert_allclose(FX.dcshift(_t(x), 0.4).numpy(), np.clip(x + 0.4, -1, 1))
    thr = 1.0 - (0.4 - 0.05)
    limited = np.minimum((x - thr) * 0.05 / (1 - thr) + thr + 0.4, thr)
    ref = np.where(x > thr, limited, np.clip(x + 0.4, -1, 1))
    np.testing.assert_allclose(FX.dcshift(_t(x), 0.4, 0.05).numpy(), ref)
    limited = np.maximum((x + thr) * 0.05 / (1 - thr) - thr - 0.4, -thr)
    ref = np.where(x < -thr, limited, np.clip(x - 0.4, -1, 1))
    np.testing.assert_allclose(FX.dcshift(_t(x), -0.4, 0.05).numpy(), ref)
    xs = _t(RNG.uniform(-0.5, 0.5, 10), requires_grad=True)
    assert gradcheck(lambda v: FX.contrast(v, 75.0), (xs,))


def test_dither():
    x = RNG.uniform(-0.9, 0.9, (2, 3, 50))
    # TPDF (torchaudio's): a Bartlett window over time is added before rounding
    window = np.bartlett(51)[:-1]  # periodic Bartlett of length 50
    ref = np.round(x * (2 ** 15 - 2) + window) / 2 ** 15
    np.testing.assert_allclose(FX.dither(_t(x)).numpy(), ref)
    shaped = FX.dither(_t(x), noise_shaping=True).numpy()
    err = ref - x
    np.testing.assert_allclose(shaped[..., 1:], ref[..., 1:] + err[..., :-1])
    np.testing.assert_allclose(shaped[..., 0], ref[..., 0])
    for density in ("RPDF", "GPDF"):
        out = FX.dither(_t(x), density).numpy()
        grid = out * 2 ** 15
        np.testing.assert_allclose(grid, np.round(grid), atol=1e-9)  # on the 16-bit grid
        offset = grid - x * (2 ** 15 - 2)  # one constant dither value (+ rounding)
        assert np.ptp(offset) <= 1.0 + 1e-9


def test_speed_and_transforms():
    sr = 8000
    x = _t(RNG.standard_normal((2, 800)))
    lengths = _t([800, 500])
    y, new_lengths = FX.speed(x, sr, 1.25, lengths)
    np.testing.assert_allclose(y.numpy(), resample(x, 10000, 8000).numpy())
    assert y.shape == (2, 640) and new_lengths.tolist() == [640, 400]
    assert new_lengths.dtype == lengths.dtype
    assert FX.speed(x, sr, 0.9)[1] is None
    module = T.Speed(sr, 1.25).to(ember.float64)
    np.testing.assert_allclose(module(x, lengths)[0].numpy(), y.numpy(), atol=1e-6)  # f32 kernel
    assert list(module.state_dict()) == []  # Resample's kernel is not persistent
    perturb = T.SpeedPerturbation(sr, [0.9, 1.1, 1.0])
    lengths_seen = {perturb(x.float())[0].shape[-1] for _ in range(12)}
    assert lengths_seen <= {889, 728, 800} and len(lengths_seen) > 1


def _numpy_spectral_centroid(x, sr, n_fft, hop):
    window = np.hanning(n_fft + 1)[:-1]
    padded = np.pad(x, n_fft // 2, mode="reflect")
    frames = np.stack([padded[i:i + n_fft] * window
                       for i in range(0, len(padded) - n_fft + 1, hop)])
    mag = np.abs(np.fft.rfft(frames, axis=-1))
    freqs = np.linspace(0, sr // 2, n_fft // 2 + 1)
    return (mag * freqs).sum(-1) / mag.sum(-1)


def test_spectral_centroid():
    x = RNG.standard_normal((2, 400))
    window = ember.hann_window(64, dtype=ember.float64)
    out = FX.spectral_centroid(_t(x), 8000, 0, window, 64, 16, 64).numpy()
    np.testing.assert_allclose(out[1], _numpy_spectral_centroid(x[1], 8000, 64, 16), rtol=1e-10)
    module = T.SpectralCentroid(8000, n_fft=64, hop_length=16)
    assert list(module.state_dict()) == ["window"]
    np.testing.assert_allclose(module(_t(x, dtype=ember.float32)).numpy(), out, rtol=1e-4)
    xs = _t(RNG.standard_normal(40), requires_grad=True)
    assert gradcheck(lambda v: FX.spectral_centroid(v, 100, 0, ember.hann_window(
        16, dtype=ember.float64), 16, 8, 16), (xs,))


def _cmn_loop(x, cmn_window, min_cmn_window, center, norm_vars):
    """Kaldi's apply-cmvn-sliding written plainly: the window of every frame, summed fresh."""
    frames = x.shape[-2]
    out = np.zeros_like(x)
    for t in range(frames):
        if center:
            start = t - cmn_window // 2
            end = start + cmn_window
        else:
            start, end = t - cmn_window, t + 1
        if start < 0:
            end, start = end - start, 0
        if not center and end > t:
            end = max(t + 1, min_cmn_window)
        if end > frames:
            start, end = max(start - (end - frames), 0), frames
        part = x[..., start:end, :]
        n = end - start
        out[..., t, :] = x[..., t, :] - part.sum(-2) / n
        if norm_vars:
            var = (part ** 2).sum(-2) / n - part.sum(-2) ** 2 / n ** 2
            out[..., t, :] = 0 if n == 1 else out[..., t, :] / np.sqrt(var)
    return out


@pytest.mark.parametrize("args", [(600, 100, False, False), (10, 4, False, True),
                                  (7, 3, True, True), (8, 50, False, False), (40, 5, True, False)])
def test_sliding_window_cmn(args):
    x = RNG.standard_normal((2, 30, 5))
    out = FX.sliding_window_cmn(_t(x), *args).numpy()
    np.testing.assert_allclose(out, _cmn_loop(x, *args), atol=1e-10)
    module = T.SlidingWindowCmn(*args)
    np.testing.assert_allclose(module(_t(x[0])).numpy(), out[0], atol=1e-10)


def test_sliding_window_cmn_gradcheck():
    x = _t(RNG.standard_normal((6, 2)), requires_grad=True)
    assert gradcheck(lambda v: FX.sliding_window_cmn(v, 3, 2, norm_vars=True), (x,))


def _pitch_loop(x, sr, frame_time=0.01, win_length=30, freq_low=85, freq_high=3400):
    """torchaudio's detect_pitch_frequency, one lag and one frame at a time."""
    lags = math.ceil(sr / freq_low)
    fs = math.ceil(sr * frame_time)
    n_frames = math.ceil(len(x) / fs)
    x = np.pad(x, (0, lags + n_frames * fs - len(x)))
    nccf = np.zeros((n_frames, lags))
    for k in range(n_frames):
        s1 = x[k * fs:(k + 1) * fs]
        for lag in range(1, lags + 1):
            s2 = x[k * fs + lag:(k + 1) * fs + lag]
            nccf[k, lag - 1] = (s1 @ s2 / (1e-9 + np.linalg.norm(s1)) ** 2
                                / (1e-9 + np.linalg.norm(s2)) ** 2)
    lag_min = math.ceil(sr / freq_high)
    idx = []
    for row in nccf:
        best, half = row[lag_min:], row[lag_min:lags // 2]
        pick = half.argmax() if half.max() > 0.99 * best.max() else best.argmax()
        idx.append(pick + lag_min + 1)
    pad = (win_length - 1) // 2
    idx = [idx[0]] * pad + idx
    med = [sorted(idx[i:i + win_length])[(win_length - 1) // 2]
           for i in range(len(idx) - win_length + 1)]
    return sr / (1e-9 + np.array(med, dtype=np.float32))


def test_detect_pitch_frequency():
    sr = 8000
    t = np.arange(4000) / sr
    tone = np.sin(2 * np.pi * 200 * t)  # period 40 samples
    out = FX.detect_pitch_frequency(_t(np.stack([tone, 0.3 * tone])), sr)
    assert out.dtype == ember.float32 and out.shape == (2, 50 + 14 - 30 + 1)
    np.testing.assert_allclose(out.numpy(), 200.0, rtol=1e-5)
    voice = (np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t + 1)
             + 0.1 * RNG.standard_normal(len(t)))
    out = FX.detect_pitch_frequency(_t(voice), sr, win_length=5)
    np.testing.assert_allclose(out.numpy(), _pitch_loop(voice, sr, win_length=5), rtol=1e-6)


def _k_weighting_loudness(x, sr):
    """BS.1770-4 with the RBJ shelf/high-pass coefficients, scipy lfilter and explicit gates."""
    def shelf(gain, f0, q):
        a = 10 ** (gain / 40)
        w0 = 2 * np.pi * f0 / sr
        alpha = np.sin(w0) / (2 * q)
        c = np.cos(w0)
        b = [a * ((a + 1) + (a - 1) * c + 2 * np.sqrt(a) * alpha),
             -2 * a * ((a - 1) + (a + 1) * c), a * ((a + 1) + (a - 1) * c - 2 * np.sqrt(a) * alpha)]
        den = [(a + 1) - (a - 1) * c + 2 * np.sqrt(a) * alpha, 2 * ((a - 1) - (a + 1) * c),
               (a + 1) - (a - 1) * c - 2 * np.sqrt(a) * alpha]
        return b, den

    def highpass(f0, q):
        w0 = 2 * np.pi * f0 / sr
        alpha = np.sin(w0) / (2 * q)
        c = np.cos(w0)
        return [(1 + c) / 2, -(1 + c), (1 + c) / 2], [1 + alpha, -2 * c, 1 - alpha]

    y = scipy.signal.lfilter(*shelf(4.0, 1500.0, 1 / np.sqrt(2)), x)
    y = scipy.signal.lfilter(*highpass(38.0, 0.5), y)
    gate, step = round(0.4 * sr), round(0.1 * sr)
    starts = range(0, y.shape[-1] - gate + 1, step)
    z = np.array([[np.mean(ch[s:s + gate] ** 2) for s in starts] for ch in y])  # (C, blocks)
    g = np.array([1.0, 1.0, 1.0, 1.41, 1.41])[: len(z)]
    lk = -0.691 + 10 * np.log10(g @ z)
    keep = lk > -70
    rel = -0.691 + 10 * np.log10(g @ z[:, keep].mean(1)) - 10
    keep &= lk > rel
    return -0.691 + 10 * np.log10(g @ z[:, keep].mean(1))


def test_loudness():
    sr = 48000
    t = np.arange(sr) / sr
    sine = np.sin(2 * np.pi * 997 * t)[None]  # BS.1770: 0 dBFS 997 Hz sine reads -3.01 LKFS
    # within 0.05 dB: torchaudio's K-weighting is the cookbook shelf/high-pass, not the exact
    # BS.1770 coefficients; half scale keeps the +0.7 dB at 1 kHz clear of lfilter's clamp
    np.testing.assert_allclose(FX.loudness(_t(0.5 * sine), sr).item(),
                               20 * np.log10(0.5) - 3.01, atol=0.05)
    # two channels; a quiet tail exercises the relative gate
    x = RNG.uniform(-0.4, 0.4, (2, 24000)) * np.where(np.arange(24000) < 16000, 1.0, 0.01)
    out = FX.loudness(_t(x), 16000)
    np.testing.assert_allclose(out.item(), _k_weighting_loudness(x, 16000), atol=1e-9)
    np.testing.assert_allclose(T.Loudness(16000)(_t(x)).item(), out.item())
    with pytest.raises(ValueError, match="Only up to 5 channels"):
        FX.loudness(_t(np.zeros((6, 16000))), 16000)
    # the gradient agrees with a central difference along a random direction
    xs = _t(x[:, :8000], requires_grad=True)
    FX.loudness(xs, 16000).backward()
    d = RNG.standard_normal(xs.shape) * 1e-6
    diff = (FX.loudness(_t(x[:, :8000] + d), 16000).item()
            - FX.loudness(_t(x[:, :8000] - d), 16000).item()) / 2
    np.testing.assert_allclose((xs.grad.numpy() * d).sum(), diff, rtol=1e-4)


# ---------------------------------------------------------------------------------------------
# Alignment and edit distance
# ---------------------------------------------------------------------------------------------


def _collapse(path, blank=0):
    out = [k for k, _ in itertools.groupby(path)]
    return [k for k in out if k != blank]


@pytest.mark.parametrize("targets", [[1, 2], [2, 2], [1, 3, 1]])
def test_forced_align_is_the_best_ctc_path(targets):
    frames, classes = 6, 4
    lp = np.log(RNG.dirichlet(np.ones(classes), size=frames))
    paths, scores = AL.forced_align(_t(lp[None]), _t([targets]))
    assert paths.dtype == ember.int64 and paths.shape == (1, frames)
    path = paths[0].tolist()
    assert _collapse(path) == targets
    best = max(sum(lp[t, k] for t, k in enumerate(p))
               for p in itertools.product(range(classes), repeat=frames)
               if _collapse(p) == targets)
    np.testing.assert_allclose(scores.numpy()[0].sum(), best, atol=1e-12)
    np.testing.assert_allclose(scores.numpy()[0], lp[np.arange(frames), path])


def test_forced_align_long_target_collapses_to_it():
    # more than 127 extended states (the back-pointers are int8)
    targets = RNG.integers(1, 6, 90)
    lp = np.log(RNG.dirichlet(np.ones(6), size=250))
    paths, _ = AL.forced_align(_t(lp[None]), _t(targets[None]))
    assert _collapse(paths[0].tolist()) == targets.tolist()


def test_forced_align_dtypes_and_errors():
    lp = np.log(RNG.dirichlet(np.ones(5), size=8)).astype(np.float32)
    paths, scores = AL.forced_align(_t(lp[None]), _t([[1, 1, 2]], dtype=ember.int32),
                                    _t([8]), _t([3]))
    assert paths.dtype == ember.int32 and scores.dtype == ember.float32
    assert _collapse(paths[0].tolist()) == [1, 1, 2]
    with pytest.raises(ValueError, match="shouldn't contain blank"):
        AL.forced_align(_t(lp[None]), _t([[0, 1]]))
    with pytest.raises(ValueError, match="less than the CTC dimension"):
        AL.forced_align(_t(lp[None]), _t([[7]]))
    with pytest.raises(ValueError, match="too long for CTC.*length: 8, targets length: 5, and "
                                         "number of repeats: 4"):
        AL.forced_align(_t(lp[None]), _t([[1, 1, 1, 1, 1]]))
    with pytest.raises(ValueError, match="batch dimension for log_probs must be 1"):
        AL.forced_align(_t(np.stack([lp, lp])), _t([[1], [2]]))


def test_merge_tokens():
    tokens = _t([0, 3, 3, 0, 0, 5, 5, 5, 3, 0])
    scores = _t([-1.0, -0.5, -1.5, 0, 0, -0.1, -0.2, -0.3, -2.0, -1.0])
    spans = AL.merge_tokens(tokens, scores)
    assert [(s.token, s.start, s.end) for s in spans] == [(3, 1, 3), (5, 5, 8), (3, 8, 9)]
    np.testing.assert_allclose([s.score for s in spans], [-1.0, -0.2, -2.0])
    assert [len(s) for s in spans] == [2, 3, 1]
    assert AL.TokenSpan(1, 2, 5, 0.0) == AL.TokenSpan(token=1, start=2, end=5, score=0.0)
    with pytest.raises(ValueError, match="must be 1D"):
        AL.merge_tokens(tokens[None], scores[None])
    with pytest.raises(ValueError, match="same length"):
        AL.merge_tokens(tokens, scores[:-1])


def _levenshtein(a, b):
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            substitution = d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, substitution)
    return d[-1][-1]


def test_edit_distance():
    assert AL.edit_distance("kitten", "sitting") == 3
    assert AL.edit_distance("", "abc") == 3 and AL.edit_distance([], []) == 0
    assert AL.edit_distance("the cat sat".split(), "a cat sat down".split()) == 2
    assert AL.edit_distance(_t([1, 2, 3]), _t([1, 3])) == 1
    for _ in range(30):
        a = RNG.integers(0, 3, RNG.integers(0, 9)).tolist()
        b = RNG.integers(0, 3, RNG.integers(0, 9)).tolist()
        assert AL.edit_distance(a, b) == _levenshtein(a, b)


def test_convolve_modules():
    x, y = _t(RNG.standard_normal((2, 12))), _t(RNG.standard_normal((2, 5)))
    for cls, fn in ((T.Convolve, FX.convolve), (T.FFTConvolve, FX.fftconvolve)):
        np.testing.assert_allclose(cls("valid")(x, y).numpy(), fn(x, y, "valid").numpy())
        assert cls().mode == "full"


# ---------------------------------------------------------------------------------------------
# phaser / flanger against SoX's circular-buffer loops (as torchaudio runs them)
# ---------------------------------------------------------------------------------------------


def _table(kind, data_type, size, low, high, phase):
    out = []
    offset = int(phase / math.pi / 2 * size + 0.5)
    for t in range(size):
        p = (t + offset) % size
        if kind == "SINE":
            d = (math.sin(p / size * 2 * math.pi) + 1) / 2
        else:
            d = p * 2 / size
            q = 4 * p // size
            d = d + 0.5 if q == 0 else (1.5 - d if q in (1, 2) else d - 1.5)
        d = d * (high - low) + low
        out.append(int(d - 0.5 if d < 0 else d + 0.5) if data_type == "INT" else np.float32(d))
    return out


def _phaser_loop(x, sr, gain_in, gain_out, delay_ms, decay, mod_speed, sinusoidal):
    buf_len = int(delay_ms * 0.001 * sr + 0.5)
    mod_len = int(sr / mod_speed + 0.5)
    mod = _table("SINE" if sinusoidal else "TRIANGLE", "INT", mod_len, 1.0, float(buf_len),
                 math.pi / 2)
    buf = np.zeros((x.shape[0], buf_len))
    out = np.zeros_like(x)
    delay_pos = mod_pos = 0
    for i in range(x.shape[1]):
        idx = (delay_pos + mod[mod_pos]) % buf_len
        mod_pos = (mod_pos + 1) % mod_len
        delay_pos = (delay_pos + 1) % buf_len
        temp = x[:, i] * gain_in + buf[:, idx]
        buf[:, delay_pos] = temp * decay
        out[:, i] = temp
    return np.clip(out * gain_out, -1, 1)


def _flanger_loop(x, sr, delay, depth, regen, width, speed, phase, modulation, interpolation):
    channels, length = x.shape
    fb, dg, cp = regen / 100, width / 100, phase / 100
    in_gain = 1 / (1 + dg)
    dg = dg / (1 + dg) * (1 - abs(fb))
    buf_len = int((delay / 1000 + depth / 1000) * sr + 0.5) + 2
    lfo_len = int(sr / speed)
    lfo = _table("SINE" if modulation == "sinusoidal" else "TRIANGLE", "FLOAT", lfo_len,
                 float(math.floor(delay / 1000 * sr + 0.5)), buf_len - 2.0, 3 * math.pi / 2)
    buf = np.zeros((channels, buf_len))
    last = np.zeros(channels)
    out = np.zeros_like(x)
    pos = lfo_pos = 0
    for i in range(length):
        pos = (pos + buf_len - 1) % buf_len
        for c in range(channels):
            value = lfo[(lfo_pos + int(c * lfo_len * cp + 0.5)) % lfo_len]
            frac, k = float(value - np.floor(value)), int(np.floor(value))
            buf[c, pos] = x[c, i] + last[c] * fb
            d0, d1 = buf[c, (pos + k) % buf_len], buf[c, (pos + k + 1) % buf_len]
            if interpolation == "linear":
                delayed = d0 + (d1 - d0) * frac
            else:
                d2 = buf[c, (pos + k + 2) % buf_len] - d0
                d1 = d1 - d0
                delayed = d0 + ((d2 * 0.5 - d1) * frac + (d1 * 2 - d2 * 0.5)) * frac
            last[c] = delayed
            out[c, i] = x[c, i] * in_gain + delayed * dg
        lfo_pos = (lfo_pos + 1) % lfo_len
    return np.clip(out, -1, 1)


@pytest.mark.parametrize("args", [(0.4, 0.74, 3.0, 0.4, 0.5, True),
                                  (0.9, 1.2, 2.0, 0.7, 2.0, False)])
def test_phaser_matches_sox_loop(args):
    sr = 8000
    x = RNG.uniform(-0.8, 0.8, (2, 3000))
    out = FL.phaser(_t(x), sr, *args).numpy()
    np.testing.assert_allclose(out, _phaser_loop(x, sr, *args), atol=1e-12)


@pytest.mark.parametrize("args", [(0.0, 2.0, 0.0, 71.0, 0.5, 25.0, "sinusoidal", "linear"),
                                  (1.0, 3.0, 60.0, 50.0, 3.0, 40.0, "triangular", "quadratic"),
                                  (0.0, 1.0, -50.0, 100.0, 5.0, 0.0, "sinusoidal", "quadratic")])
def test_flanger_matches_sox_loop(args):
    sr = 8000
    x = RNG.uniform(-0.6, 0.6, (3, 1200))
    out = FL.flanger(_t(x[None]), sr, *args).numpy()[0]
    np.testing.assert_allclose(out, _flanger_loop(x, sr, *args), atol=1e-12)


def test_phaser_flanger_gradients_and_errors():
    x = _t(RNG.uniform(-0.3, 0.3, (1, 40)), requires_grad=True)
    assert gradcheck(lambda v: FL.phaser(v, 2000, delay_ms=4.0, mod_speed=2.0), (x,))
    assert gradgradcheck(lambda v: FL.phaser(v, 2000, delay_ms=4.0, mod_speed=2.0), (x,))
    assert gradcheck(lambda v: FL.flanger(v, 2000, depth=5.0, regen=50.0, speed=5.0), (x,))
    with pytest.raises(ValueError, match="Max 4 channels"):
        FL.flanger(_t(np.zeros((5, 10))), 8000)
    with pytest.raises(ValueError, match='"linear" or "quadratic"'):
        FL.flanger(_t(np.zeros((1, 10))), 8000, interpolation="cubic")
