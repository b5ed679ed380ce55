"""Spectral transforms as modules: spectrograms, their inverses, mel scales, MFCC and LFCC.

Windows, filter banks and DCT matrices are registered buffers, as in torchaudio, so they move
with ``.to(device)`` and their ``state_dict`` keys match (``spectrogram.window``,
``mel_scale.fb``, ``dct_mat``...).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import ember
from ember import Tensor, nn

from .. import functional as F

__all__ = [
    "Spectrogram",
    "InverseSpectrogram",
    "GriffinLim",
    "AmplitudeToDB",
    "MelScale",
    "InverseMelScale",
    "MelSpectrogram",
    "MFCC",
    "LFCC",
]


def _make_window(window_fn, win_length, wkwargs) -> Tensor:
    return window_fn(win_length) if wkwargs is None else window_fn(win_length, **wkwargs)


class Spectrogram(nn.Module):
    """A spectrogram from a waveform.

    Args:
        n_fft: FFT size; ``n_fft // 2 + 1`` frequency bins.
        win_length: window size; default ``n_fft``.
        hop_length: hop between frames; default ``win_length // 2``.
        pad: zeros added on both sides of the waveform.
        window_fn: makes the window from its length (default ``ember.hann_window``).
        power: exponent of the magnitude (2 power, 1 energy); None gives the complex STFT.
        normalized: True or 'window': divide by the window's L2 norm; 'frame_length':
            by ``sqrt(n_fft)``.
        wkwargs: keyword arguments for ``window_fn``.
        center, pad_mode, onesided: as in ``ember.stft``.

    Shape:
        waveform (..., time) -> (..., n_fft // 2 + 1, frames).

    Example:
        >>> Spectrogram(n_fft=400)(ember.randn(1, 16000)).shape
        ember.Size([1, 201, 81])
    """

    def __init__(self, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, pad: int = 0,
                 window_fn: Callable[..., Tensor] = ember.hann_window,
                 power: float | None = 2.0, normalized=False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True,
                 return_complex: bool | None = None):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided

    def forward(self, waveform: Tensor) -> Tensor:
        return F.spectrogram(waveform, self.pad, self.window, self.n_fft, self.hop_length,
                             self.win_length, self.power, self.normalized, self.center,
                             self.pad_mode, self.onesided)


class InverseSpectrogram(nn.Module):
    """A waveform from a complex spectrogram (the inverse of ``Spectrogram(power=None)``).

    Args: as :class:`Spectrogram` (without ``power``).

    Shape:
        spectrogram (..., freq, frames) complex -> (..., time); ``forward(spec, length)``
        trims or pads to ``length``.
    """

    def __init__(self, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, pad: int = 0,
                 window_fn: Callable[..., Tensor] = ember.hann_window, normalized=False,
                 wkwargs: dict | None = None, center: bool = True, pad_mode: str = "reflect",
                 onesided: bool = True):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad = pad
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided

    def forward(self, spectrogram: Tensor, length: int | None = None) -> Tensor:
        return F.inverse_spectrogram(spectrogram, length, self.pad, self.window, self.n_fft,
                                     self.hop_length, self.win_length, self.normalized,
                                     self.center, self.pad_mode, self.onesided)


class GriffinLim(nn.Module):
    """A waveform from a magnitude spectrogram, estimating the phase (fast Griffin-Lim).

    Args:
        n_fft, win_length, hop_length, window_fn, wkwargs: the STFT's parameters.
        n_iter: iterations (default 32).
        power: the exponent the spectrogram was computed with (default 2).
        momentum: in [0, 1) (default 0.99).
        length: the output length.
        rand_init: start from random phases (default True).

    Shape:
        (..., n_fft // 2 + 1, frames) -> (..., time).
    """

    def __init__(self, n_fft: int = 400, n_iter: int = 32, win_length: int | None = None,
                 hop_length: int | None = None,
                 window_fn: Callable[..., Tensor] = ember.hann_window, power: float = 2.0,
                 wkwargs: dict | None = None, momentum: float = 0.99,
                 length: int | None = None, rand_init: bool = True):
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in the range [0, 1). Found: {momentum}")
        self.n_fft = n_fft
        self.n_iter = n_iter
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.length = length
        self.power = power
        self.momentum = momentum
        self.rand_init = rand_init

    def forward(self, specgram: Tensor) -> Tensor:
        return F.griffinlim(specgram, self.window, self.n_fft, self.hop_length,
                            self.win_length, self.power, self.n_iter, self.momentum,
                            self.length, self.rand_init)


class AmplitudeToDB(nn.Module):
    """Power (``stype='power'``) or amplitude (``'magnitude'``) to decibels.

    Args:
        stype: 'power' (10 log10) or 'magnitude' (20 log10; any value but 'power', as in
            torchaudio).
        top_db: if given, floor the result ``top_db`` below each spectrogram's maximum.
    """

    def __init__(self, stype: str = "power", top_db: float | None = None):
        super().__init__()
        if top_db is not None and top_db < 0:
            raise ValueError("top_db must be positive value")
        self.stype = stype
        self.top_db = top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x: Tensor) -> Tensor:
        return F.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier,
                                 self.top_db)


class MelScale(nn.Module):
    """A linear-frequency spectrogram to mel bins: ``fb.T @ spec`` with triangular filters.

    Args:
        n_mels: mel bins (default 128).
        sample_rate: the audio's rate (default 16000).
        f_min, f_max: the frequency range; f_max defaults to ``sample_rate // 2``.
        n_stft: the spectrogram's bins, ``n_fft // 2 + 1`` (default 201).
        norm: None or 'slaney'.
        mel_scale: 'htk' or 'slaney'.

    Shape:
        (..., n_stft, time) -> (..., n_mels, time).
    """

    def __init__(self, n_mels: int = 128, sample_rate: int = 16000, f_min: float = 0.0,
                 f_max: float | None = None, n_stft: int = 201, norm: str | None = None,
                 mel_scale: str = "htk"):
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.norm = norm
        self.mel_scale = mel_scale
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        self.register_buffer("fb", F.melscale_fbanks(n_stft, self.f_min, self.f_max,
                                                     n_mels, sample_rate, norm, mel_scale))

    def forward(self, specgram: Tensor) -> Tensor:
        return ember.matmul(specgram.transpose(-1, -2), self.fb).transpose(-1, -2)


class InverseMelScale(nn.Module):
    """Mel bins back to a linear-frequency spectrogram: the non-negative least-squares-like
    solution ``relu(lstsq(fb.T, mel))`` (the minimum-norm solution when underdetermined).

    Args:
        n_stft: linear bins to recover (``n_fft // 2 + 1``).
        n_mels, sample_rate, f_min, f_max, norm, mel_scale: as for :class:`MelScale`.
        driver: LAPACK driver name accepted for torchaudio compatibility ('gels', 'gelsy',
            'gelsd', 'gelss'); the solution is the same least-squares one.

    Shape:
        (..., n_mels, time) -> (..., n_stft, time).
    """

    def __init__(self, n_stft: int, n_mels: int = 128, sample_rate: int = 16000,
                 f_min: float = 0.0, f_max: float | None = None, norm: str | None = None,
                 mel_scale: str = "htk", driver: str = "gels"):
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max or float(sample_rate // 2)
        self.f_min = f_min
        self.driver = driver
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        if driver not in ("gels", "gelsy", "gelsd", "gelss"):
            raise ValueError(f'driver must be one of ["gels", "gelsy", "gelsd", "gelss"]. '
                             f'Found {driver}.')
        self.register_buffer("fb", F.melscale_fbanks(n_stft, self.f_min, self.f_max,
                                                     n_mels, sample_rate, norm, mel_scale))

    def forward(self, melspec: Tensor) -> Tensor:
        shape = melspec.shape
        n_mels, time = shape[-2], shape[-1]
        if n_mels != self.n_mels:
            raise ValueError(f"Expected an input with {self.n_mels} mel bins. Found: {n_mels}")
        freq = self.fb.shape[0]
        mel = melspec.reshape(-1, n_mels, time)
        # min ||fb.T s - mel||, the minimum-norm s where fb.T has more columns than rows
        solution = ember.linalg.lstsq(self.fb.transpose(-1, -2)[None], mel).solution
        return ember.relu(solution).reshape(tuple(shape[:-2]) + (freq, time))


class MelSpectrogram(nn.Module):
    """A mel spectrogram: :class:`Spectrogram` followed by :class:`MelScale`.

    Args:
        sample_rate: default 16000.
        n_fft: default 400; win_length, hop_length, pad, window_fn, power, normalized,
            wkwargs, center, pad_mode as :class:`Spectrogram`.
        f_min, f_max, n_mels (default 128), norm, mel_scale: as :class:`MelScale`.
        onesided: deprecated in torchaudio and ignored (always one-sided).

    Shape:
        (..., time) -> (..., n_mels, frames).
    """

    def __init__(self, sample_rate: int = 16000, n_fft: int = 400,
                 win_length: int | None = None, hop_length: int | None = None,
                 f_min: float = 0.0, f_max: float | None = None, pad: int = 0,
                 n_mels: int = 128, window_fn: Callable[..., Tensor] = ember.hann_window,
                 power: float = 2.0, normalized=False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool | None = None,
                 norm: str | None = None, mel_scale: str = "htk"):
        super().__init__()
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.n_mels = n_mels
        self.f_max = f_max
        self.f_min = f_min
        self.spectrogram = Spectrogram(
            n_fft=n_fft, win_length=self.win_length, hop_length=self.hop_length, pad=pad,
            window_fn=window_fn, power=power, normalized=normalized, wkwargs=wkwargs,
            center=center, pad_mode=pad_mode, onesided=True)
        self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm,
                                  mel_scale)

    def forward(self, waveform: Tensor) -> Tensor:
        return self.mel_scale(self.spectrogram(waveform))


class MFCC(nn.Module):
    """Mel-frequency cepstral coefficients: the DCT of the log (dB) mel spectrogram.

    Args:
        sample_rate: default 16000.
        n_mfcc: coefficients kept (default 40).
        dct_type: only 2.
        norm: the DCT's norm, 'ortho' (default) or None.
        log_mels: use ``log(mel + 1e-6)`` instead of decibels (with an 80 dB floor).
        melkwargs: arguments for :class:`MelSpectrogram`.

    Shape:
        (..., time) -> (..., n_mfcc, frames).
    """

    def __init__(self, sample_rate: int = 16000, n_mfcc: int = 40, dct_type: int = 2,
                 norm: str | None = "ortho", log_mels: bool = False,
                 melkwargs: dict | None = None):
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"DCT type not supported: {dct_type}")
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError("Cannot select more MFCC coefficients than # mel bins")
        self.register_buffer("dct_mat", F.create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))
        self.log_mels = log_mels

    def forward(self, waveform: Tensor) -> Tensor:
        mel = self.MelSpectrogram(waveform)
        mel = ember.log(mel + 1e-6) if self.log_mels else self.amplitude_to_DB(mel)
        return ember.matmul(mel.transpose(-1, -2), self.dct_mat).transpose(-1, -2)


class LFCC(nn.Module):
    """Linear-frequency cepstral coefficients: the DCT of a log linear-filter-bank spectrum.

    Args:
        sample_rate: default 16000.
        n_filter: linear triangular filters (default 128).
        f_min, f_max: their range; f_max defaults to ``sample_rate // 2``.
        n_lfcc: coefficients kept (default 40).
        dct_type: only 2; norm: 'ortho' (default) or None.
        log_lf: ``log(x + 1e-6)`` instead of decibels.
        speckwargs: arguments for :class:`Spectrogram`.

    Shape:
        (..., time) -> (..., n_lfcc, frames).
    """

    def __init__(self, sample_rate: int = 16000, n_filter: int = 128, f_min: float = 0.0,
                 f_max: float | None = None, n_lfcc: int = 40, dct_type: int = 2,
                 norm: str | None = "ortho", log_lf: bool = False,
                 speckwargs: dict | None = None):
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"DCT type not supported: {dct_type}")
        if n_lfcc > n_filter:
            raise ValueError("Cannot select more LFCC coefficients than # filter bins")
        self.sample_rate = sample_rate
        self.f_min = f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_filter = n_filter
        self.n_lfcc = n_lfcc
        self.dct_type = dct_type
        self.norm = norm
        self.log_lf = log_lf
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.Spectrogram = Spectrogram(**(speckwargs or {}))
        self.register_buffer("filter_mat", F.linear_fbanks(
            self.Spectrogram.n_fft // 2 + 1, self.f_min, self.f_max, n_filter, sample_rate))
        self.register_buffer("dct_mat", F.create_dct(n_lfcc, n_filter, norm))

    def forward(self, waveform: Tensor) -> Tensor:
        spec = self.Spectrogram(waveform)
        spec = ember.matmul(spec.transpose(-1, -2), self.filter_mat).transpose(-1, -2)
        spec = ember.log(spec + 1e-6) if self.log_lf else self.amplitude_to_DB(spec)
        return ember.matmul(spec.transpose(-1, -2), self.dct_mat).transpose(-1, -2)
