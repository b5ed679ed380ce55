"""AddNoise and the SoX-style voice activity detector (torchaudio's transforms / functional)."""

import math

import numpy as np
import pytest

import ember
from emberaudio.functional._vad import vad
from emberaudio.transforms._noise import AddNoise
from emberaudio.transforms._vad import Vad

SR = 8000


# -- AddNoise -------------------------------------------------------------------------------


def test_add_noise_reaches_the_requested_snr():
    rng = np.random.default_rng(0)
    x, n = rng.standard_normal((2, 3, 400)), rng.standard_normal((2, 3, 400))
    snr = np.array([[0.0, 10.0, 20.0], [5.0, -3.0, 30.0]])
    y = AddNoise()(ember.tensor(x), ember.tensor(n), ember.tensor(snr)).numpy()
    added = y - x
    got_snr = 10 * np.log10((x ** 2).sum(-1) / (added ** 2).sum(-1))
    np.testing.assert_allclose(got_snr, snr, atol=1e-9)
    # the added noise is a positive multiple of n
    scale = added / n
    np.testing.assert_allclose(scale, scale[..., :1] * np.ones_like(scale), rtol=1e-9)
    assert (scale > 0).all()


def test_add_noise_lengths_measure_energy_on_the_valid_part():
    rng = np.random.default_rng(1)
    x, n = rng.standard_normal((2, 50)), rng.standard_normal((2, 50))
    lengths = np.array([20, 50])
    y = AddNoise()(ember.tensor(x), ember.tensor(n), ember.tensor([10.0, 10.0]),
                   ember.tensor(lengths)).numpy()
    for row, length in enumerate(lengths):
        a = math.sqrt((x[row, :length] ** 2).sum() / (n[row, :length] ** 2).sum() / 10)
        np.testing.assert_allclose(y[row], x[row] + a * n[row], rtol=1e-12)


def test_add_noise_errors_and_gradient():
    with pytest.raises(ValueError, match="Length dimensions of waveform and noise"):
        AddNoise()(ember.zeros(2, 5), ember.zeros(2, 6), ember.zeros(2))
    with pytest.raises(ValueError, match="leading dimensions"):
        AddNoise()(ember.zeros(2, 5), ember.zeros(2, 5), ember.zeros(2, 1))
    rng = np.random.default_rng(2)
    x = ember.tensor(rng.standard_normal((2, 6)), requires_grad=True)
    n = ember.tensor(rng.standard_normal((2, 6)), requires_grad=True)
    snr = ember.tensor([3.0, 12.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b, s: AddNoise()(a, b, s), (x, n, snr))


# -- vad ------------------------------------------------------------------------------------


def _reference_vad(x, sr, trigger_level=7.0, trigger_time=0.25, search_time=1.0,
                   allowed_gap=0.25, pre_trigger_time=0.0, boot_time=0.35,
                   noise_up_time=0.1, noise_down_time=0.01, noise_reduction_amount=1.35,
                   measure_freq=20.0, measure_smooth_time=0.4, hp_filter_freq=50.0,
                   lp_filter_freq=6000.0, hp_lifter_freq=150.0, lp_lifter_freq=2000.0):
    """torchaudio's vad transcribed line by line: scalar loops, one channel at a time."""
    f32 = np.float32
    measure_len = int(sr * 2.0 / measure_freq + 0.5)
    dft_len = 16
    while dft_len < measure_len:
        dft_len *= 2
    period = int(sr / measure_freq + 0.5)
    measures_len = math.ceil(search_time * measure_freq)
    gap_len = int(allowed_gap * measure_freq + 0.5)
    samples_len = int(pre_trigger_time * sr + 0.5) + measures_len * period + measure_len
    hann = lambda n: (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(f32)  # noqa: E731
    s_win = f32(2.0 / math.sqrt(measure_len)) * hann(measure_len)
    s0 = max(int(hp_filter_freq / sr * dft_len + 0.5), 1)
    s1 = min(int(lp_filter_freq / sr * dft_len + 0.5), dft_len // 2)
    c_win = f32(2.0 / math.sqrt(s1 - s0)) * hann(s1 - s0)
    c0 = math.ceil(sr * 0.5 / lp_lifter_freq)
    c1 = min(math.floor(sr * 0.5 / hp_lifter_freq), dft_len // 4)
    up = f32(math.exp(-1.0 / (noise_up_time * measure_freq)))
    down = f32(math.exp(-1.0 / (noise_down_time * measure_freq)))
    smooth = math.exp(-1.0 / (measure_smooth_time * measure_freq))
    trig = math.exp(-1.0 / (trigger_time * measure_freq))
    boot_max = int(boot_time * measure_freq - 0.5)
    boot = idx = flushed = 0
    x = x.reshape(-1, x.shape[-1]).astype(f32)
    ch, n_samp = x.shape
    mean = np.zeros(ch, f32)
    spec = np.zeros((ch, dft_len), f32)
    noise = np.zeros((ch, dft_len), f32)
    measures = np.zeros((ch, measures_len), f32)
    triggered, to_flush, pos = False, 0, 0
    for pos in range(measure_len, n_samp, period):
        for i in range(ch):
            buf = np.zeros(dft_len, f32)
            buf[:measure_len] = x[i, pos - measure_len:pos] * s_win
            d = np.abs(np.fft.rfft(buf)).astype(f32)[s0:s1]
            mult = boot / (1.0 + boot) if boot >= 0 else smooth
            spec[i, s0:s1] = spec[i, s0:s1] * f32(mult) + d * f32(1 - mult)
            d = spec[i, s0:s1] ** 2
            m = np.zeros(s1 - s0, f32) if boot >= 0 else np.where(d > noise[i, s0:s1], up, down)
            noise[i, s0:s1] = noise[i, s0:s1] * m + d * (1 - m)
            d = np.sqrt(np.maximum(0, d - f32(noise_reduction_amount) * noise[i, s0:s1]))
            cb = np.zeros(dft_len >> 1, f32)
            cb[s0:s1] = d * c_win
            res = float(np.sum(np.abs(np.fft.rfft(cb)[c0:c1]) ** 2))
            res = math.log(res / (c1 - c0)) if res > 0 else -math.inf
            meas = max(0, 21 + res)
            measures[i, idx] = meas
            mean[i] = mean[i] * trig + meas * (1.0 - trig)
            triggered = triggered or mean[i] >= trigger_level
            if triggered:
                n, k, jt, jz, j = measures_len, idx, measures_len, measures_len, 0
                for j in range(n):
                    if measures[i, k] >= trigger_level and j <= jt + gap_len:
                        jz = jt = j
                    elif measures[i, k] == 0 and jt >= jz:
                        jz = j
                    k = (k + n - 1) % n
                j = min(j, jz)
                to_flush = min(max(to_flush, j), n)
        idx = (idx + 1) % measures_len
        if boot >= 0:
            boot = -1 if boot == boot_max else boot + 1
        if triggered:
            flushed = (measures_len - to_flush) * period
            break
    if not triggered:
        return x[:, :0]
    return x[:, pos - samples_len + flushed:]


def _speechlike(seconds, onset, rng, channels=1):
    """Quiet noise, then from ``onset`` s a voiced sound (harmonics of 150 Hz, 4 Hz
    syllable-rate envelope)."""
    t = np.arange(int(seconds * SR)) / SR
    voiced = sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 12))
    envelope = (t >= onset) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    x = 0.3 * voiced * envelope + 0.002 * rng.standard_normal((channels, t.size))
    return x.astype(np.float32)


def test_vad_trims_leading_silence_like_torchaudio():
    rng = np.random.default_rng(3)
    x = _speechlike(2.5, 1.2, rng)[0]
    got = vad(ember.tensor(x), SR).numpy()
    ref = _reference_vad(x, SR)[0]
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)
    removed = (x.size - got.size) / SR
    assert 0.9 <= removed <= 1.2  # starts shortly before the onset, never after it
    np.testing.assert_array_equal(got, x[x.size - got.size:])


@pytest.mark.parametrize("kwargs", [
    {"pre_trigger_time": 0.1}, {"trigger_level": 5.0, "allowed_gap": 0.1},
    {"search_time": 0.5, "boot_time": 0.2}, {"noise_reduction_amount": 0.5},
])
def test_vad_options_match_reference(kwargs):
    rng = np.random.default_rng(4)
    x = _speechlike(2.0, 0.8, rng)[0]
    got = vad(ember.tensor(x), SR, **kwargs).numpy()
    np.testing.assert_array_equal(got, _reference_vad(x, SR, **kwargs)[0])


def test_vad_multichannel_trims_at_earliest_channel():
    rng = np.random.default_rng(5)
    a = _speechlike(2.5, 1.4, rng)[0]
    b = _speechlike(2.5, 0.9, rng)[0]
    x = np.stack([a, b])
    got = vad(ember.tensor(x), SR).numpy()
    np.testing.assert_array_equal(got, _reference_vad(x, SR))
    single_b = vad(ember.tensor(b), SR).numpy()
    assert got.shape[-1] >= single_b.shape[-1] - SR // 20  # governed by the earlier channel


def test_vad_silence_and_short_input_give_empty():
    rng = np.random.default_rng(6)
    quiet = (0.001 * rng.standard_normal(SR)).astype(np.float32)
    assert tuple(vad(ember.tensor(quiet), SR).shape) == (0,)
    assert tuple(vad(ember.zeros(2, 100), SR).shape) == (2, 0)


def test_vad_errors_and_module():
    with pytest.raises(ValueError, match="cepstrum_start"):
        vad(ember.zeros(SR), SR, hp_lifter_freq=2000.0, lp_lifter_freq=150.0)
    with pytest.warns(UserWarning, match="Batch semantics"):
        vad(ember.zeros(1, 1, 100), SR)
    rng = np.random.default_rng(7)
    x = _speechlike(2.0, 1.0, rng)
    module = Vad(sample_rate=SR, trigger_level=6.0)
    np.testing.assert_array_equal(module(ember.tensor(x)).numpy(),
                                  vad(ember.tensor(x), SR, trigger_level=6.0).numpy())
