"""PitchShift (functional and module) and the existing TimeStretch, checked on sines: the
spectral peak must move by 2 ** (n_steps / bins_per_octave) (pitch shift) or stay put while the
duration scales by 1 / rate (time stretch)."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from emberaudio.functional._pitch import pitch_shift
from emberaudio.transforms import TimeStretch
from emberaudio.transforms._pitch import PitchShift

SR = 1000  # a low rate keeps int(SR / rate) and SR's gcd (hence the resampling kernel) small


def _sine(freq, n=4000, dtype=ember.float64):
    # a cosine: stft's reflect padding continues it smoothly, so the phase vocoder's first
    # frame (its phase reference, as in torchaudio) holds a clean sinusoid; a sine would be
    # reflected into a phase jump and the stretched copies would partly cancel
    return ember.cos(2 * math.pi * freq * ember.arange(n, dtype=dtype) / SR)


def _peak_hz(signal):
    """The strongest frequency (Hz), refined by a parabola through the top three bins."""
    x = np.asarray(signal, dtype=np.float64)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / len(x)


@pytest.mark.parametrize("n_steps, bins_per_octave", [(12, 12), (-12, 12), (5, 12), (3, 12),
                                                      (-7, 12), (12, 24)])
def test_pitch_shift_moves_a_sine_by_the_interval(n_steps, bins_per_octave):
    shifted = pitch_shift(_sine(200.0), SR, n_steps, bins_per_octave=bins_per_octave, n_fft=256)
    assert shifted.shape == (4000,) and shifted.dtype == ember.float64
    expected = 200.0 * 2 ** (n_steps / bins_per_octave)
    assert _peak_hz(shifted.numpy()) == pytest.approx(expected, abs=0.3)
    # the level stays that of the sine (no gain change) away from the edges
    assert np.sqrt(np.mean(shifted.numpy()[500:-500] ** 2)) == pytest.approx(0.5**0.5, rel=0.1)


def test_pitch_shift_zero_steps_and_shapes():
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 3, 900)).astype(np.float32))
    out = pitch_shift(x, SR, 4, n_fft=128)
    assert out.shape == (2, 3, 900) and out.dtype == ember.float32
    # channels are independent: shifting one row alone gives the same row
    np.testing.assert_allclose(pitch_shift(x[1, 2], SR, 4, n_fft=128).numpy(),
                               out[1, 2].numpy(), atol=1e-5)
    # no shift: the phase vocoder at rate 1 is the identity, stft -> istft reconstructs
    np.testing.assert_allclose(pitch_shift(x, SR, 0, n_fft=128).numpy(), x.numpy(), atol=1e-5)


def test_pitch_shift_module_matches_functional_and_keys():
    x = _sine(150.0, 3000, dtype=ember.float32)[None]
    module = PitchShift(SR, 5, n_fft=256)
    np.testing.assert_allclose(module(x).numpy(), pitch_shift(x, SR, 5, n_fft=256).numpy(),
                               atol=1e-5)
    assert list(module.state_dict()) == ["window"]  # the kernel is a non-persistent buffer
    np.testing.assert_allclose(module.window.numpy(), ember.hann_window(256).numpy())
    assert module.hop_length == 64 and module.orig_freq == int(SR / 2 ** (-5 / 12))
    custom = PitchShift(SR, -3, n_fft=256, win_length=200, window_fn=ember.hamming_window,
                        wkwargs={"periodic": False})
    assert custom.window.shape == (200,) and custom.hop_length == 50
    np.testing.assert_allclose(custom(x).numpy(), pitch_shift(
        x, SR, -3, n_fft=256, win_length=200, hop_length=50,
        window=ember.hamming_window(200, periodic=False)).numpy(), atol=1e-5)
    assert "n_steps=5" in repr(module)


def test_pitch_shift_is_differentiable():
    x = ember.tensor(np.random.default_rng(1).standard_normal((1, 96)), requires_grad=True)
    assert gradcheck(lambda x: pitch_shift(x, SR, 12, n_fft=32), (x,))


def test_pitch_shift_errors():
    with pytest.raises(TypeError, match="floating-point waveform"):
        pitch_shift(ember.arange(1000), SR, 2)
    with pytest.raises(ValueError, match="must be positive"):
        pitch_shift(_sine(100.0), 0, 2)
    with pytest.raises(TypeError, match="PitchShift: expected a floating-point"):
        PitchShift(SR, 12, n_fft=64)(ember.arange(1000))


@pytest.mark.parametrize("rate", [0.8, 1.25, 2.0])
def test_time_stretch_keeps_frequency_and_scales_duration(rate):
    # the existing TimeStretch: stft -> phase vocoder -> istft
    n_fft, hop = 256, 64
    x = _sine(120.0, 4000)
    window = ember.hann_window(n_fft, dtype=ember.float64)
    spec = ember.stft(x, n_fft, hop, window=window, return_complex=True)
    stretch = TimeStretch(hop_length=hop, n_freq=n_fft // 2 + 1, fixed_rate=rate).double()
    stretched = stretch(spec)
    assert stretched.shape[-1] == math.ceil(spec.shape[-1] / rate)
    y = ember.istft(stretched, n_fft, hop, window=window)
    # the duration scales by 1 / rate (to within one hop), the frequency does not move
    assert abs(y.shape[-1] - 4000 / rate) <= hop
    assert _peak_hz(y.numpy()) == pytest.approx(120.0, abs=0.3)
    # and the overriding rate in forward wins over fixed_rate
    assert stretch(spec, 1.0).shape == spec.shape
