"""emberaudio.compliance.kaldi against an independent NumPy port of Kaldi's C++ loops
(feature-window.cc ExtractWindow/ProcessWindow, mel-computations.cc MelBanks, ComputeDctMatrix,
ComputeLifterCoeffs), literal values for tiny inputs, and finite differences."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from emberaudio.compliance import kaldi

RNG = np.random.default_rng(7)
EPS = float(np.finfo(np.float32).eps)


# ---------------------------------------------------------------------------------------------
# The reference: Kaldi's algorithm written frame by frame, sample by sample
# ---------------------------------------------------------------------------------------------


def _ref_window(kind, n, blackman=0.42):
    out = np.empty(n)
    a = 2 * math.pi / (n - 1)
    for i in range(n):
        if kind == "hanning":
            out[i] = 0.5 - 0.5 * math.cos(a * i)
        elif kind == "hamming":
            out[i] = 0.54 - 0.46 * math.cos(a * i)
        elif kind == "povey":
            out[i] = (0.5 - 0.5 * math.cos(a * i)) ** 0.85
        elif kind == "rectangular":
            out[i] = 1.0
        else:
            out[i] = blackman - 0.5 * math.cos(a * i) + (0.5 - blackman) * math.cos(2 * a * i)
    return out


def _ref_frames(x, fs=16000.0, frame_length=25.0, frame_shift=10.0, snip_edges=True,
                remove_dc_offset=True, preemph=0.97, window_type="povey", raw_energy=True,
                energy_floor=1.0, round_pow2=True, blackman=0.42):
    """Kaldi's ExtractWindow + ProcessWindow: (frames, padded) and the log energies."""
    size = int(fs * frame_length * 0.001)
    shift = int(fs * frame_shift * 0.001)
    padded = 1 << (size - 1).bit_length() if round_pow2 else size
    n = len(x)
    count = 1 + (n - size) // shift if snip_edges else (n + shift // 2) // shift
    frames, energies = [], []
    for f in range(count):
        start = f * shift if snip_edges else f * shift + shift // 2 - size // 2
        w = np.empty(size)
        for j in range(size):
            s = start + j
            while s < 0 or s >= n:  # Kaldi reflects about the edges, repeating them
                s = -s - 1 if s < 0 else 2 * n - 1 - s
            w[j] = x[s]
        if remove_dc_offset:
            w -= w.sum() / size
        energy = None
        if raw_energy:
            energy = math.log(max(float(w @ w), EPS))
        if preemph != 0.0:
            for i in range(size - 1, 0, -1):
                w[i] -= preemph * w[i - 1]
            w[0] -= preemph * w[0]
        w = w * _ref_window(window_type, size, blackman)
        w = np.concatenate([w, np.zeros(padded - size)])
        if not raw_energy:
            energy = math.log(max(float(w @ w), EPS))
        if energy_floor > 0.0 and energy < math.log(energy_floor):
            energy = math.log(energy_floor)
        frames.append(w)
        energies.append(energy)
    return np.array(frames), np.array(energies)


def _ref_mel_banks(num_bins, padded, fs, low, high):
    mel = lambda f: 1127.0 * math.log(1.0 + f / 700.0)  # noqa: E731
    nyquist = 0.5 * fs
    high = high + nyquist if high <= 0 else high
    mel_low, mel_high = mel(low), mel(high)
    delta = (mel_high - mel_low) / (num_bins + 1)
    banks = np.zeros((num_bins, padded // 2))
    for b in range(num_bins):
        left, center, right = (mel_low + (b + i) * delta for i in range(3))
        for i in range(padded // 2):
            m = mel(fs / padded * i)
            if left < m < right:
                banks[b, i] = (m - left) / (center - left) if m <= center else \
                    (right - m) / (right - center)
    return banks


def _ref_fbank(x, num_mel_bins=23, low_freq=20.0, high_freq=0.0, use_energy=False, fs=16000.0,
               **kw):
    frames, energy = _ref_frames(x, fs=fs, **kw)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    banks = _ref_mel_banks(num_mel_bins, frames.shape[1], fs, low_freq, high_freq)
    mel = np.log(np.maximum(power[:, : frames.shape[1] // 2] @ banks.T, EPS))
    return np.concatenate([energy[:, None], mel], axis=1) if use_energy else mel


def _ref_mfcc(x, num_ceps=13, num_mel_bins=23, lifter=22.0, **kw):
    logmel = _ref_fbank(x, num_mel_bins=num_mel_bins, **kw)
    n = num_mel_bins
    dct = np.empty((num_ceps, n))
    for k in range(num_ceps):
        for j in range(n):
            norm = math.sqrt(1.0 / n) if k == 0 else math.sqrt(2.0 / n)
            dct[k, j] = norm * math.cos(math.pi / n * (j + 0.5) * k)
    ceps = logmel @ dct.T
    if lifter:
        ceps *= np.array([1 + 0.5 * lifter * math.sin(math.pi * i / lifter)
                          for i in range(num_ceps)])
    return ceps


def _wave(n=1200, dtype=ember.float64):
    return ember.tensor(RNG.standard_normal((1, n)), dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Literal values and the mel scale
# ---------------------------------------------------------------------------------------------


def test_spectrogram_literal_values():
    # frames [1 2 3 4] and [3 4 5 6]: DFT bins 1 and 2 are -2+2i and -2 (power 8 and 4), and bin
    # 0 is replaced by the log energy log(30) and log(86)
    x = ember.tensor([[1.0, 2, 3, 4, 5, 6]], dtype=ember.float64)
    out = kaldi.spectrogram(x, sample_frequency=1000.0, frame_length=4.0, frame_shift=2.0,
                            preemphasis_coefficient=0.0, remove_dc_offset=False,
                            window_type="rectangular", energy_floor=0.0)
    expected = np.log([[30.0, 8.0, 4.0], [86.0, 8.0, 4.0]])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert out.dtype == ember.float64


def test_mel_scale_literals_and_inverse():
    assert kaldi.mel_scale_scalar(700.0) == pytest.approx(1127.0 * math.log(2.0))
    assert kaldi.inverse_mel_scale_scalar(1127.0 * math.log(2.0)) == pytest.approx(700.0)
    f = ember.tensor([0.0, 100.0, 4000.0], dtype=ember.float64)
    np.testing.assert_allclose(kaldi.mel_scale(f).numpy(), 1127 * np.log1p(f.numpy() / 700))
    np.testing.assert_allclose(kaldi.inverse_mel_scale(kaldi.mel_scale(f)).numpy(), f.numpy(),
                               atol=1e-9)


def test_get_mel_banks_matches_kaldi_loops():
    bins, centers = kaldi.get_mel_banks(10, 512, 16000.0, 20.0, 0.0, 100.0, -500.0, 1.0)
    assert bins.shape == (10, 256) and centers.shape == (10,)
    np.testing.assert_allclose(bins.numpy(), _ref_mel_banks(10, 512, 16000.0, 20.0, 0.0),
                               atol=1e-6)
    mel = lambda f: 1127 * math.log1p(f / 700)  # noqa: E731
    delta = (mel(8000) - mel(20)) / 11
    assert centers[0].item() == pytest.approx(700 * math.expm1((mel(20) + delta) / 1127),
                                              rel=1e-6)


def test_vtln_warp_keeps_the_band_edges_and_scales_the_middle():
    f = ember.tensor([10.0, 20.0, 1000.0, 2000.0, 7600.0, 7900.0, 8000.0], dtype=ember.float64)
    out = kaldi.vtln_warp_freq(100.0, 7500.0, 20.0, 7900.0, 1.1, f).numpy()
    assert out[0] == 10.0  # outside the band: unchanged
    assert out[1] == pytest.approx(20.0) and out[5] == pytest.approx(7900.0)
    np.testing.assert_allclose(out[2:4], [1000 / 1.1, 2000 / 1.1])
    assert np.all(np.diff(out[1:6]) > 0)  # monotone
    mel = kaldi.mel_scale(f)
    np.testing.assert_allclose(
        kaldi.vtln_warp_mel_freq(100.0, 7500.0, 20.0, 7900.0, 1.1, mel).numpy(),
        kaldi.mel_scale(ember.tensor(out)).numpy())
    bins, _ = kaldi.get_mel_banks(23, 512, 16000.0, 20.0, 0.0, 100.0, -500.0, 0.9)
    assert bins.shape == (23, 256) and float(bins.min()) >= 0 and float(bins.max()) <= 1


# ---------------------------------------------------------------------------------------------
# Against the reference
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [
    dict(),
    dict(snip_edges=False),
    dict(window_type="hamming", raw_energy=False, energy_floor=0.0),
    dict(window_type="blackman", round_pow2=False, frame_length=20.0, remove_dc_offset=False),
    dict(window_type="hanning", preemph=0.0, frame_shift=7.0, snip_edges=False),
])
def test_spectrogram_matches_reference(kw):
    wave = _wave()
    ours_kw = {("preemphasis_coefficient" if k == "preemph" else
                "round_to_power_of_two" if k == "round_pow2" else k): v for k, v in kw.items()}
    out = kaldi.spectrogram(wave, **ours_kw).numpy()
    frames, energy = _ref_frames(wave.numpy()[0], **kw)
    expected = np.log(np.maximum(np.abs(np.fft.rfft(frames, axis=1)) ** 2, EPS))
    expected[:, 0] = energy
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(num_mel_bins=40, low_freq=60.0, high_freq=-400.0, snip_edges=False),
    dict(use_energy=True, window_type="rectangular"),
])
def test_fbank_matches_reference(kw):
    wave = _wave()
    out = kaldi.fbank(wave, **kw).numpy()
    np.testing.assert_allclose(out, _ref_fbank(wave.numpy()[0], **kw), rtol=1e-8, atol=1e-8)


def test_fbank_options_energy_order_power_and_cms():
    wave = _wave()
    ref = _ref_fbank(wave.numpy()[0], use_energy=True)
    htk = kaldi.fbank(wave, use_energy=True, htk_compat=True).numpy()
    np.testing.assert_allclose(htk, np.concatenate([ref[:, 1:], ref[:, :1]], axis=1),
                               rtol=1e-8)
    cms = kaldi.fbank(wave, subtract_mean=True).numpy()
    np.testing.assert_allclose(cms, ref[:, 1:] - ref[:, 1:].mean(axis=0), atol=1e-8)
    linear = kaldi.fbank(wave, use_log_fbank=False).numpy()
    np.testing.assert_allclose(np.log(np.maximum(linear, EPS)), ref[:, 1:], rtol=1e-8)
    magnitude = kaldi.fbank(wave, use_power=False, use_log_fbank=False).numpy()
    frames, _ = _ref_frames(wave.numpy()[0])
    banks = _ref_mel_banks(23, 512, 16000.0, 20.0, 0.0)
    np.testing.assert_allclose(magnitude, np.abs(np.fft.rfft(frames)[:, :256]) @ banks.T,
                               rtol=1e-8)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(num_ceps=20, lifter=0.0, num_mel_bins=30),
    dict(use_energy=True, snip_edges=False),
])
def test_mfcc_matches_reference(kw):
    wave = _wave()
    ours = dict(kw)
    if "lifter" in ours:
        ours["cepstral_lifter"] = ours.pop("lifter")
    out = kaldi.mfcc(wave, **ours).numpy()
    expected = _ref_mfcc(wave.numpy()[0], **{k: v for k, v in kw.items() if k != "use_energy"})
    if kw.get("use_energy"):  # C0 replaced by the (unliftered) log energy
        expected[:, 0] = _ref_frames(wave.numpy()[0], snip_edges=kw["snip_edges"])[1]
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-8)


def test_mfcc_htk_compat_moves_c0_last_scaled():
    wave = _wave()
    base = kaldi.mfcc(wave).numpy()
    htk = kaldi.mfcc(wave, htk_compat=True).numpy()
    np.testing.assert_allclose(htk[:, :-1], base[:, 1:], rtol=1e-10)
    np.testing.assert_allclose(htk[:, -1], base[:, 0] * math.sqrt(2), rtol=1e-10)


def test_defaults_shapes_dtypes_channels_and_dither():
    wave = ember.tensor(RNG.standard_normal((2, 16000)).astype(np.float32))
    assert kaldi.spectrogram(wave).shape == (98, 257)  # 1 + (16000 - 400) // 160 frames
    assert kaldi.fbank(wave).shape == (98, 23)
    assert kaldi.mfcc(wave).shape == (98, 13)
    assert kaldi.fbank(wave, snip_edges=False).shape == (100, 23)  # (n + 80) // 160
    assert kaldi.fbank(wave).dtype == ember.float32
    second = kaldi.fbank(wave, channel=1).numpy()
    np.testing.assert_allclose(second, kaldi.fbank(wave[1:]).numpy(), rtol=1e-6)
    assert not np.allclose(second, kaldi.fbank(wave).numpy())
    ember.manual_seed(0)
    a = kaldi.fbank(wave, dither=1.0).numpy()
    ember.manual_seed(0)
    np.testing.assert_array_equal(a, kaldi.fbank(wave, dither=1.0).numpy())
    assert not np.allclose(a, kaldi.fbank(wave).numpy())
    assert kaldi.mfcc(wave, min_duration=2.0).shape == (0,)


def test_option_errors_name_the_problem():
    wave = _wave(1000)
    with pytest.raises(ValueError, match="Invalid channel 1 for size 1"):
        kaldi.fbank(wave, channel=1)
    with pytest.raises(AssertionError, match=r"choose a window size 400 that is \[2, 300\]"):
        kaldi.fbank(_wave(300))  # also an AssertionError, as torchaudio's asserts
    with pytest.raises(ValueError, match="num_ceps cannot be larger than num_mel_bins: 30 vs 23"):
        kaldi.mfcc(wave, num_ceps=30)
    with pytest.raises(ValueError, match="Bad values in options: low-freq 9000"):
        kaldi.fbank(wave, low_freq=9000.0)
    with pytest.raises(ValueError, match="Invalid window type 'hann'"):
        kaldi.spectrogram(wave, window_type="hann")
    with pytest.raises(ValueError, match="expected a \\(channels, samples\\) waveform"):
        kaldi.fbank(ember.randn(1000))
    with pytest.raises(ValueError, match="divisible by two"):
        kaldi.fbank(wave, frame_length=25.0625, round_to_power_of_two=False)


def test_features_are_differentiable_in_the_waveform():
    # a short 1.6 kHz signal keeps the finite-difference Jacobian small
    x = ember.tensor(RNG.standard_normal((1, 100)), requires_grad=True)
    kw = dict(sample_frequency=1600.0, num_mel_bins=5, frame_shift=20.0)
    assert gradcheck(lambda x: kaldi.fbank(x, **kw), (x,))
    assert gradcheck(lambda x: kaldi.mfcc(x, num_ceps=4, use_energy=True, **kw), (x,))
    assert gradcheck(lambda x: kaldi.spectrogram(x, sample_frequency=1600.0,
                                                 frame_shift=20.0, snip_edges=False), (x,))
