"""``PitchShift``: torchaudio.transforms.PitchShift as an Ember module."""

from __future__ import annotations

import math
from collections.abc import Callable

import ember
from ember import Tensor, nn

from ..functional._pitch import _check, _fix_waveform_shape, _stretch_waveform
from ..functional._resample import _apply_sinc_resample_kernel, _sinc_resample_kernel

__all__ = ["PitchShift"]


class PitchShift(nn.Module):
    """Shift the pitch of a waveform by ``n_steps`` steps (see ``functional.pitch_shift``).

    The window is a buffer (state_dict key ``window``, as torchaudio); the resampling kernel is
    computed once here and kept as a non-persistent buffer so ``.to()`` moves it.

    Args:
        sample_rate: the waveform's sample rate (Hz).
        n_steps: the shift in steps of ``1 / bins_per_octave`` octave.
        bins_per_octave: steps per octave (default 12).
        n_fft: the phase vocoder's STFT size (default 512).
        win_length: its window length (default ``n_fft``).
        hop_length: its hop (default ``win_length // 4``).
        window_fn: builds the window from its length (default ``ember.hann_window``).
        wkwargs: keyword arguments for ``window_fn``.

    Shape:
        (..., time) -> (..., time).

    Example:
        >>> shift = PitchShift(16000, 4)
        >>> shift(ember.randn(1, 16000)).shape
        ember.Size([1, 16000])
    """

    def __init__(self, sample_rate: int, n_steps: int, bins_per_octave: int = 12,
                 n_fft: int = 512, win_length: int | None = None,
                 hop_length: int | None = None,
                 window_fn: Callable[..., Tensor] = ember.hann_window,
                 wkwargs: dict | None = None) -> None:
        super().__init__()
        self.n_steps = n_steps
        self.bins_per_octave = bins_per_octave
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        # torchaudio's default hop here is win_length // 4 (the functional form: n_fft // 4)
        self.hop_length = hop_length if hop_length is not None else self.win_length // 4
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))
        rate = 2.0 ** (-float(n_steps) / bins_per_octave)
        self.orig_freq = int(sample_rate / rate)
        self.gcd = math.gcd(int(self.orig_freq), int(sample_rate))
        if self.orig_freq != sample_rate:
            kernel, self.width = _sinc_resample_kernel(self.orig_freq, sample_rate, self.gcd,
                                                       6, 0.99, "sinc_interp_hann", None)
            self.register_buffer("kernel", kernel, persistent=False)

    def forward(self, waveform: Tensor) -> Tensor:
        _check("PitchShift", waveform, self.sample_rate, self.bins_per_octave, self.n_fft)
        shape = waveform.shape
        stretched = _stretch_waveform(waveform, self.n_steps, self.bins_per_octave, self.n_fft,
                                      self.win_length, self.hop_length,
                                      self.window.to(waveform.dtype))
        if self.orig_freq == self.sample_rate:
            return _fix_waveform_shape(stretched, shape)
        shifted = _apply_sinc_resample_kernel(stretched, self.orig_freq, self.sample_rate,
                                              self.gcd, self.kernel, self.width)
        return _fix_waveform_shape(shifted, shape)

    def extra_repr(self) -> str:
        return (f"sample_rate={self.sample_rate}, n_steps={self.n_steps}, "
                f"bins_per_octave={self.bins_per_octave}, n_fft={self.n_fft}")
