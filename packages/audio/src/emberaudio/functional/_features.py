"""Filter banks (mel, linear), the DCT matrix, decibels, deltas and mu-law companding."""

from __future__ import annotations

import math
import warnings

import numpy as np

import ember
from ember import Tensor

__all__ = [
    "melscale_fbanks",
    "linear_fbanks",
    "create_dct",
    "amplitude_to_DB",
    "DB_to_amplitude",
    "compute_deltas",
    "mu_law_encoding",
    "mu_law_decoding",
]

# Slaney's mel scale (the Auditory Toolbox): linear below 1 kHz, logarithmic above.
_SLANEY_F_SP = 200.0 / 3
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = math.log(6.4) / 27.0


def _check_mel_scale(mel_scale: str) -> None:
    if mel_scale not in ("htk", "slaney"):
        raise ValueError(f'mel_scale should be one of "htk" or "slaney", got {mel_scale!r}')


def _hz_to_mel(freq: float, mel_scale: str = "htk") -> float:
    _check_mel_scale(mel_scale)
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    if freq >= _SLANEY_MIN_LOG_HZ:
        return _SLANEY_MIN_LOG_MEL + math.log(freq / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return freq / _SLANEY_F_SP


def _mel_to_hz(mels: np.ndarray, mel_scale: str = "htk") -> np.ndarray:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    linear = _SLANEY_F_SP * mels
    logarithmic = _SLANEY_MIN_LOG_HZ * np.exp(_SLANEY_LOGSTEP * (mels - _SLANEY_MIN_LOG_MEL))
    return np.where(mels >= _SLANEY_MIN_LOG_MEL, logarithmic, linear)


def _triangular_filterbank(all_freqs: np.ndarray, f_pts: np.ndarray) -> np.ndarray:
    """(n_freqs, n_filter): filter m rises from f_pts[m] to f_pts[m+1], falls to f_pts[m+2]."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def _as_tensor(array: np.ndarray) -> Tensor:
    return ember.tensor(array.astype(np.float32))


def melscale_fbanks(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int,
                    norm: str | None = None, mel_scale: str = "htk") -> Tensor:
    """Triangular filters evenly spaced on the mel scale.

    Args:
        n_freqs: STFT bins (``n_fft // 2 + 1``), spanning 0 to ``sample_rate // 2``.
        f_min, f_max: the frequency range in Hz.
        n_mels: the number of filters.
        sample_rate: the audio's sample rate.
        norm: None (peak 1) or 'slaney' (each filter divided by its width in Hz: constant
            energy per channel).
        mel_scale: 'htk' (``2595 log10(1 + f / 700)``) or 'slaney'.

    Returns:
        (n_freqs, n_mels) float32: ``spec.T @ fb`` maps a spectrogram to mel bins.

    Example:
        >>> F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000).shape
        ember.Size([201, 40])
    """
    if norm is not None and norm != "slaney":
        raise ValueError(f'norm must be one of None or "slaney", got {norm!r}')
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_min = _hz_to_mel(f_min, mel_scale)
    m_max = _hz_to_mel(f_max, mel_scale)
    f_pts = _mel_to_hz(np.linspace(m_min, m_max, n_mels + 2), mel_scale)
    fb = _triangular_filterbank(all_freqs, f_pts)
    if norm == "slaney":
        fb *= (2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels]))[None, :]
    if (fb.max(axis=0) == 0.0).any():
        warnings.warn(
            f"At least one mel filterbank has all zero values. The value for `n_mels` "
            f"({n_mels}) may be set too high. Or, the value for `n_freqs` ({n_freqs}) may be "
            f"set too low.", UserWarning, stacklevel=2,
        )
    return _as_tensor(fb)


def linear_fbanks(n_freqs: int, f_min: float, f_max: float, n_filter: int,
                  sample_rate: int) -> Tensor:
    """Triangular filters evenly spaced in Hz (for LFCC).

    Returns:
        (n_freqs, n_filter) float32.
    """
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    f_pts = np.linspace(f_min, f_max, n_filter + 2)
    return _as_tensor(_triangular_filterbank(all_freqs, f_pts))


def create_dct(n_mfcc: int, n_mels: int, norm: str | None) -> Tensor:
    """The DCT-II matrix, ``dct[n, k] = cos(pi / n_mels (n + 1/2) k)``.

    Args:
        n_mfcc: coefficients kept.
        n_mels: the input size.
        norm: 'ortho' (an orthonormal basis, as ``scipy.fft.dct(norm='ortho')``) or None
            (scaled by 2, as the unnormalised DCT-II).

    Returns:
        (n_mels, n_mfcc) float32: ``mel.T @ dct`` gives the cepstral coefficients.
    """
    if norm is not None and norm != "ortho":
        raise ValueError(f'norm must be either "ortho" or None, got {norm!r}')
    n = np.arange(n_mels, dtype=np.float64)
    k = np.arange(n_mfcc, dtype=np.float64)[:, None]
    dct = np.cos(math.pi / n_mels * (n + 0.5) * k)
    if norm is None:
        dct *= 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct *= math.sqrt(2.0 / n_mels)
    return _as_tensor(dct.T)


def amplitude_to_DB(x: Tensor, multiplier: float, amin: float, db_multiplier: float,
                    top_db: float | None = None) -> Tensor:
    """Amplitude or power to decibels: ``multiplier * log10(max(x, amin)) - multiplier *
    db_multiplier``, optionally floored at ``top_db`` below each spectrogram's maximum.

    Args:
        x: (..., freq, time); with ``top_db`` the maximum is taken per item of the batch
            over its (channel, freq, time).
        multiplier: 10 for power, 20 for amplitude.
        amin: the floor before the logarithm (avoids log(0)).
        db_multiplier: ``log10(max(amin, ref))``.
        top_db: the dynamic range kept, in dB.
    """
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        channels = shape[-3] if x_db.ndim > 2 else 1
        x_db = x_db.reshape(-1, channels, shape[-2], shape[-1])
        floor = (x_db.amax(dim=(-3, -2, -1)) - top_db).reshape(-1, 1, 1, 1)
        x_db = ember.max(x_db, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x: Tensor, ref: float, power: float) -> Tensor:
    """Decibels back to amplitude (``power=0.5``) or power (``power=1``):
    ``ref * (10 ** (0.1 x)) ** power``."""
    return ref * ember.pow(ember.pow(10.0, 0.1 * x), power)


def compute_deltas(specgram: Tensor, win_length: int = 5, mode: str = "replicate") -> Tensor:
    """Delta coefficients along time: ``d_t = sum_n n (c_{t+n} - c_{t-n}) / (2 sum_n n^2)``.

    Args:
        specgram: (..., freq, time).
        win_length: the regression window (odd, >= 3); ``N = (win_length - 1) // 2``.
        mode: how the edges are padded ('replicate').

    Returns:
        (..., freq, time). Differentiable.
    """
    if win_length < 3:
        raise ValueError(
            f"Window length should be greater than or equal to 3. Found win_length {win_length}"
        )
    shape = specgram.shape
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3  # 2 * sum_{k=1..n} k^2
    rows = specgram.reshape(-1, 1, shape[-1])  # every (item, freq) row as one signal
    padded = ember.nn.functional.pad(rows, (n, n), mode=mode)
    kernel = ember.arange(-n, n + 1, dtype=specgram.dtype, device=specgram.device)
    out = ember.nn.functional.conv1d(padded, kernel.reshape(1, 1, -1)) / denom
    return out.reshape(shape)


def mu_law_encoding(x: Tensor, quantization_channels: int) -> Tensor:
    """Mu-law companding and quantisation (ITU-T G.711) of a signal in [-1, 1].

    ``y = sign(x) log(1 + mu |x|) / log(1 + mu)`` mapped to the integers ``0..mu``,
    ``mu = quantization_channels - 1``.

    Returns:
        int64 codes of ``x``'s shape.
    """
    mu = quantization_channels - 1.0
    if not x.is_floating_point():
        warnings.warn(
            "The input Tensor must be of floating type. This will be an error in the v0.12 "
            "release.", UserWarning, stacklevel=2,
        )
        x = x.float()
    x_mu = ember.sign(x) * ember.log1p(mu * ember.abs(x)) / math.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).long()


def mu_law_decoding(x_mu: Tensor, quantization_channels: int) -> Tensor:
    """The inverse of :func:`mu_law_encoding`: codes ``0..mu`` back to [-1, 1].

    ``x = sign(y) ((1 + mu) ** |y| - 1) / mu`` with ``y = 2 code / mu - 1``.
    """
    mu = quantization_channels - 1.0
    if not x_mu.is_floating_point():
        x_mu = x_mu.float()
    x = x_mu / mu * 2 - 1.0
    return ember.sign(x) * (ember.exp(ember.abs(x) * math.log1p(mu)) - 1.0) / mu
