"""Pitch shifting (torchaudio's ``pitch_shift``): time-stretch with the phase vocoder, then
resample so the clip gets its original duration back at a new pitch.

Stretching by ``1 / rate`` (``rate = 2 ** (-n_steps / bins_per_octave)``) keeps every
frequency; playing the ``len / rate`` samples back in ``len`` samples multiplies every
frequency by ``1 / rate = 2 ** (n_steps / bins_per_octave)``. torchaudio does that playback as
a resampling from ``int(sample_rate / rate)`` Hz to ``sample_rate`` Hz, and so does this port
(the same output, sample for sample; note that the resampling kernel grows with
``sample_rate / gcd(int(sample_rate / rate), sample_rate)``).
"""

from __future__ import annotations

import math

import ember
from ember import Tensor

from ._resample import resample
from ._spectral import phase_vocoder

__all__ = ["pitch_shift"]


def _stretch_waveform(waveform: Tensor, n_steps: float, bins_per_octave: int = 12,
                      n_fft: int = 512, win_length: int | None = None,
                      hop_length: int | None = None, window: Tensor | None = None) -> Tensor:
    """(..., time) -> (batch, round(time / rate)): the phase-vocoder time stretch."""
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if window is None:
        window = ember.hann_window(win_length, dtype=waveform.dtype, device=waveform.device)
    length = waveform.shape[-1]
    signals = waveform.reshape(-1, length)
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    spec = ember.stft(signals, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                      window=window, center=True, pad_mode="reflect", normalized=False,
                      onesided=True, return_complex=True)
    # the phase a bin's sinusoid advances by in one hop: 2 pi (k / n_fft) hop
    phase_advance = ember.linspace(0, math.pi * hop_length, spec.shape[-2],
                                   dtype=signals.dtype, device=signals.device)[..., None]
    stretched = phase_vocoder(spec, rate, phase_advance)
    return ember.istft(stretched, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                       window=window, length=int(round(length / rate)))


def _fix_waveform_shape(shifted: Tensor, shape) -> Tensor:
    """Trim or zero-pad to the original length and restore the leading dimensions."""
    length = shape[-1]
    if shifted.shape[-1] > length:
        shifted = shifted[..., :length]
    else:
        shifted = ember.nn.functional.pad(shifted, [0, length - shifted.shape[-1]])
    return shifted.reshape(tuple(shape[:-1]) + (length,))


def _check(op: str, waveform, sample_rate, bins_per_octave, n_fft) -> None:
    if not isinstance(waveform, Tensor) or waveform.ndim < 1:
        raise ValueError(f"{op}: expected a (..., time) waveform tensor")
    if not waveform.is_floating_point():
        raise TypeError(f"{op}: expected a floating-point waveform, got {waveform.dtype}; "
                        f"convert with .float()")
    if sample_rate <= 0 or bins_per_octave <= 0 or n_fft <= 0:
        raise ValueError(f"{op}: sample_rate, bins_per_octave and n_fft must be positive, got "
                         f"{sample_rate}, {bins_per_octave} and {n_fft}")


def pitch_shift(waveform: Tensor, sample_rate: int, n_steps: float, bins_per_octave: int = 12,
                n_fft: int = 512, hop_length: int | None = None, win_length: int | None = None,
                window: Tensor | None = None) -> Tensor:
    """Shift the pitch by ``n_steps`` steps of ``1 / bins_per_octave`` octave; the duration
    is unchanged.

    Every frequency ``f`` moves to ``f * 2 ** (n_steps / bins_per_octave)``.

    Args:
        waveform: (..., time), float.
        sample_rate: the waveform's sample rate (Hz).
        n_steps: the shift in steps (may be negative or fractional).
        bins_per_octave: steps per octave (12: semitones).
        n_fft: the phase vocoder's STFT size.
        hop_length: its hop (default ``n_fft // 4``).
        win_length: its window length (default ``n_fft``).
        window: its window (default ``hann_window(win_length)``).

    Returns:
        (..., time), the waveform's dtype.

    Example:
        >>> t = ember.arange(4000) / 1000
        >>> up = F.pitch_shift(ember.sin(2 * math.pi * 200 * t), 1000, 12)  # 400 Hz now
    """
    _check("pitch_shift", waveform, sample_rate, bins_per_octave, n_fft)
    shape = waveform.shape
    stretched = _stretch_waveform(waveform, n_steps, bins_per_octave, n_fft, win_length,
                                  hop_length, window)
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    shifted = resample(stretched, int(sample_rate / rate), sample_rate)
    return _fix_waveform_shape(shifted, shape)
