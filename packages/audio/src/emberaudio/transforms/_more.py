"""More torchaudio.transforms: convolution, speed change and perturbation, spectral centroid,
sliding-window CMN and loudness, as modules with torchaudio's names, arguments and buffers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import ember
from ember import Tensor, nn

from ..functional._effects_more import (
    _CONVOLVE_MODES,
    convolve,
    fftconvolve,
    loudness,
    sliding_window_cmn,
    spectral_centroid,
)
from ._effects import Resample

__all__ = [
    "Convolve",
    "FFTConvolve",
    "Speed",
    "SpeedPerturbation",
    "SpectralCentroid",
    "SlidingWindowCmn",
    "Loudness",
]


def _check_mode(mode: str) -> None:
    if mode not in _CONVOLVE_MODES:
        raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of "
                         f"{_CONVOLVE_MODES}.")


class Convolve(nn.Module):
    """Convolve two signals along their last dimension (``functional.convolve``).

    Args:
        mode: 'full' (default), 'valid' or 'same'.

    Shape:
        x (..., N), y (..., M) with broadcastable leading dimensions -> (..., L).
    """

    def __init__(self, mode: str = "full") -> None:
        super().__init__()
        _check_mode(mode)
        self.mode = mode

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return convolve(x, y, mode=self.mode)


class FFTConvolve(nn.Module):
    """Convolve two signals through the FFT (``functional.fftconvolve``).

    Args:
        mode: 'full' (default), 'valid' or 'same'.
    """

    def __init__(self, mode: str = "full") -> None:
        super().__init__()
        _check_mode(mode)
        self.mode = mode

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return fftconvolve(x, y, mode=self.mode)


class Speed(nn.Module):
    """Change speed (and pitch) by resampling from ``factor * orig_freq`` to ``orig_freq``.

    Args:
        orig_freq: the input's sample rate.
        factor: the speed factor (> 1 is faster and shorter).

    Shape:
        ``forward(waveform (..., time), lengths (...) or None)`` -> (waveform (..., new),
        lengths or None).
    """

    def __init__(self, orig_freq, factor) -> None:
        super().__init__()
        self.orig_freq = orig_freq
        self.factor = factor
        self.source_sample_rate = int(factor * orig_freq)
        self.target_sample_rate = int(orig_freq)
        gcd = math.gcd(self.source_sample_rate, self.target_sample_rate)
        self.source_sample_rate //= gcd
        self.target_sample_rate //= gcd
        self.resampler = Resample(orig_freq=self.source_sample_rate,
                                  new_freq=self.target_sample_rate)

    def forward(self, waveform: Tensor, lengths: Tensor | None = None
                ) -> tuple[Tensor, Tensor | None]:
        out_lengths = None
        if lengths is not None:
            out_lengths = ember.ceil(
                lengths * self.target_sample_rate / self.source_sample_rate).to(lengths.dtype)
        return self.resampler(waveform), out_lengths


class SpeedPerturbation(nn.Module):
    """Speed perturbation (data augmentation): each call applies one of ``factors``, drawn
    uniformly with Ember's global generator.

    Args:
        orig_freq: the input's sample rate.
        factors: the speed factors to choose from, e.g. ``[0.9, 1.0, 1.1]``.
    """

    def __init__(self, orig_freq: int, factors: Sequence[float]) -> None:
        super().__init__()
        self.speeders = nn.ModuleList([Speed(orig_freq=orig_freq, factor=factor)
                                       for factor in factors])

    def forward(self, waveform: Tensor, lengths: Tensor | None = None
                ) -> tuple[Tensor, Tensor | None]:
        idx = int(ember.randint(len(self.speeders), ()).item())
        return self.speeders[idx](waveform, lengths)


class SpectralCentroid(nn.Module):
    """The spectral centroid of every frame (``functional.spectral_centroid``).

    Args:
        sample_rate: in Hz.
        n_fft: FFT size (default 400).
        win_length: window length (default ``n_fft``).
        hop_length: hop (default ``win_length // 2``).
        pad: zero padding on both sides (default 0).
        window_fn: makes the window (default ``ember.hann_window``); kept as buffer
            ``window``.
        wkwargs: keyword arguments for ``window_fn``.

    Shape:
        (..., time) -> (..., frames).
    """

    def __init__(self, sample_rate: int, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, pad: int = 0,
                 window_fn: Callable[..., Tensor] = ember.hann_window,
                 wkwargs: dict | None = None) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        window = (window_fn(self.win_length) if wkwargs is None
                  else window_fn(self.win_length, **wkwargs))
        self.register_buffer("window", window)
        self.pad = pad

    def forward(self, waveform: Tensor) -> Tensor:
        return spectral_centroid(waveform, self.sample_rate, self.pad, self.window,
                                 self.n_fft, self.hop_length, self.win_length)


class SlidingWindowCmn(nn.Module):
    """Sliding-window cepstral mean (and variance) normalisation
    (``functional.sliding_window_cmn``).

    Args:
        cmn_window: window in frames (default 600).
        min_cmn_window: minimum window at the start (default 100).
        center: centre the window on each frame (default False).
        norm_vars: normalise the variance too (default False).

    Shape:
        (..., time, freq) -> (..., time, freq).
    """

    def __init__(self, cmn_window: int = 600, min_cmn_window: int = 100, center: bool = False,
                 norm_vars: bool = False) -> None:
        super().__init__()
        self.cmn_window = cmn_window
        self.min_cmn_window = min_cmn_window
        self.center = center
        self.norm_vars = norm_vars

    def forward(self, specgram: Tensor) -> Tensor:
        return sliding_window_cmn(specgram, self.cmn_window, self.min_cmn_window, self.center,
                                  self.norm_vars)


class Loudness(nn.Module):
    """Integrated loudness in LUFS, ITU-R BS.1770-4 (``functional.loudness``).

    Args:
        sample_rate: in Hz.

    Shape:
        (..., channels, time) -> (...).
    """

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        self.sample_rate = sample_rate

    def forward(self, wavefrom: Tensor) -> Tensor:
        # the argument's name is torchaudio's (sic), for keyword callers
        return loudness(wavefrom, self.sample_rate)
