"""Waveform transforms as modules: resampling, fades, volume, mu-law, emphasis."""

from __future__ import annotations

import math

import ember
from ember import Tensor, nn

from .. import functional as F
from ..functional._resample import _apply_sinc_resample_kernel, _sinc_resample_kernel

__all__ = [
    "Resample",
    "Fade",
    "Vol",
    "MuLawEncoding",
    "MuLawDecoding",
    "Preemphasis",
    "Deemphasis",
]


class Resample(nn.Module):
    """Resample from ``orig_freq`` to ``new_freq`` (see ``functional.resample``); the kernel
    is computed once here and kept as a non-persistent buffer.

    Args:
        orig_freq, new_freq: the rates (default 16000 both: the identity).
        resampling_method: 'sinc_interp_hann' or 'sinc_interp_kaiser'.
        lowpass_filter_width, rolloff, beta: as in ``functional.resample``.
        dtype: the kernel's dtype (default float32; use float64 for float64 audio).

    Shape:
        (..., time) -> (..., ceil(time * new_freq / orig_freq)).
    """

    def __init__(self, orig_freq: int = 16000, new_freq: int = 16000,
                 resampling_method: str = "sinc_interp_hann", lowpass_filter_width: int = 6,
                 rolloff: float = 0.99, beta: float | None = None, *, dtype=None):
        super().__init__()
        self.orig_freq = orig_freq
        self.new_freq = new_freq
        self.gcd = math.gcd(int(orig_freq), int(new_freq))
        self.resampling_method = resampling_method
        self.lowpass_filter_width = lowpass_filter_width
        self.rolloff = rolloff
        self.beta = beta
        if orig_freq != new_freq:
            kernel, self.width = _sinc_resample_kernel(
                orig_freq, new_freq, self.gcd, lowpass_filter_width, rolloff,
                resampling_method, beta, dtype=dtype)
            self.register_buffer("kernel", kernel, persistent=False)

    def forward(self, waveform: Tensor) -> Tensor:
        if self.orig_freq == self.new_freq:
            return waveform
        return _apply_sinc_resample_kernel(waveform, self.orig_freq, self.new_freq, self.gcd,
                                           self.kernel, self.width)


_FADE_SHAPES = ("quarter_sine", "half_sine", "linear", "logarithmic", "exponential")


def _fade_curve(fade_shape: str, length: int, device, rising: bool) -> Tensor:
    """The gain curve of a fade of ``length`` samples, rising 0 -> 1 (fade in) or falling."""
    t = ember.linspace(0, 1, length, device=device)
    if fade_shape == "linear":
        curve = t if rising else 1 - t
    elif fade_shape == "exponential":
        curve = ember.pow(2.0, (t - 1) * 5) if rising else ember.pow(2.0, -t * 5)
    elif fade_shape == "logarithmic":
        curve = ember.log10(0.1 + t) + 1 if rising else ember.log10(1.1 - t) + 1
    elif fade_shape == "quarter_sine":
        curve = ember.sin(t * math.pi / 2 + (0 if rising else math.pi / 2))
    else:  # half_sine
        curve = ember.sin(t * math.pi + (-math.pi / 2 if rising else math.pi / 2)) / 2 + 0.5
    return curve


class Fade(nn.Module):
    """Fade the start in and the end out.

    Args:
        fade_in_len: samples of fade-in (default 0).
        fade_out_len: samples of fade-out (default 0).
        fade_shape: 'linear' (default), 'exponential', 'logarithmic', 'quarter_sine' or
            'half_sine'.

    Shape:
        (..., time) -> (..., time).
    """

    def __init__(self, fade_in_len: int = 0, fade_out_len: int = 0,
                 fade_shape: str = "linear"):
        super().__init__()
        if fade_shape not in _FADE_SHAPES:
            raise ValueError(f"fade_shape must be one of {list(_FADE_SHAPES)}, got "
                             f"{fade_shape!r}")
        self.fade_in_len = fade_in_len
        self.fade_out_len = fade_out_len
        self.fade_shape = fade_shape

    def forward(self, waveform: Tensor) -> Tensor:
        length = waveform.shape[-1]
        if self.fade_in_len > length or self.fade_out_len > length:
            raise ValueError(f"Fade: fade lengths ({self.fade_in_len}, {self.fade_out_len}) "
                             f"exceed the waveform's {length} samples")
        device = waveform.device
        ones_in = ember.ones(length - self.fade_in_len, device=device)
        ones_out = ember.ones(length - self.fade_out_len, device=device)
        fade_in = ember.cat([_fade_curve(self.fade_shape, self.fade_in_len, device, True),
                             ones_in]).clamp(0, 1)
        fade_out = ember.cat([ones_out, _fade_curve(self.fade_shape, self.fade_out_len,
                                                    device, False)]).clamp(0, 1)
        return (fade_in * fade_out).to(waveform.dtype) * waveform


class Vol(nn.Module):
    """Scale the volume, then clip to [-1, 1].

    Args:
        gain: the factor ('amplitude'), the power ratio ('power') or decibels ('db').
        gain_type: 'amplitude' (default), 'power' or 'db'.
    """

    def __init__(self, gain: float, gain_type: str = "amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"gain_type must be 'amplitude', 'power' or 'db', got "
                             f"{gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")
        self.gain = gain
        self.gain_type = gain_type

    def forward(self, waveform: Tensor) -> Tensor:
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        else:
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


class MuLawEncoding(nn.Module):
    """Mu-law encode a signal in [-1, 1] to ``quantization_channels`` (default 256) codes."""

    def __init__(self, quantization_channels: int = 256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x: Tensor) -> Tensor:
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(nn.Module):
    """Decode mu-law codes back to [-1, 1] (the inverse of :class:`MuLawEncoding`)."""

    def __init__(self, quantization_channels: int = 256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x_mu: Tensor) -> Tensor:
        return F.mu_law_decoding(x_mu, self.quantization_channels)


class Preemphasis(nn.Module):
    """``y[n] = x[n] - coeff * x[n - 1]`` (default coeff 0.97)."""

    def __init__(self, coeff: float = 0.97):
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform: Tensor) -> Tensor:
        return F.preemphasis(waveform, coeff=self.coeff)


class Deemphasis(nn.Module):
    """``y[n] = x[n] + coeff * y[n - 1]`` (default coeff 0.97), the inverse of
    :class:`Preemphasis`."""

    def __init__(self, coeff: float = 0.97):
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform: Tensor) -> Tensor:
        return F.deemphasis(waveform, coeff=self.coeff)
