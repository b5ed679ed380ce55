"""Spectrograms and their inverses, Griffin-Lim, the phase vocoder and SpecAugment masks."""

from __future__ import annotations

import math

import ember
from ember import Tensor

__all__ = [
    "spectrogram",
    "inverse_spectrogram",
    "griffinlim",
    "phase_vocoder",
    "mask_along_axis",
    "mask_along_axis_iid",
]


def _spec_norms(normalized) -> tuple[bool, bool]:
    """``normalized`` -> (frame_length_norm, window_norm), torchaudio's meaning: True and
    'window' divide by the window's L2 norm, 'frame_length' by sqrt(n_fft)."""
    if isinstance(normalized, str):
        if normalized not in ("frame_length", "window"):
            raise ValueError(f"Invalid normalized parameter: {normalized!r}; use a bool, "
                             f"'window' or 'frame_length'")
        return normalized == "frame_length", normalized == "window"
    if isinstance(normalized, bool):
        return False, normalized
    raise TypeError(f"normalized must be a bool or str, got {type(normalized).__name__}")


def spectrogram(waveform: Tensor, pad: int, window: Tensor, n_fft: int, hop_length: int,
                win_length: int, power: float | None, normalized, center: bool = True,
                pad_mode: str = "reflect", onesided: bool = True) -> Tensor:
    """A (power) spectrogram of a waveform of any batch shape.

    Args:
        waveform: (..., time).
        pad: zeros added on both sides first.
        window: (win_length,) window tensor.
        n_fft, hop_length, win_length, center, pad_mode, onesided: as in ``ember.stft``.
        power: the exponent of the magnitude (1 energy, 2 power); None returns the complex
            spectrum.
        normalized: True or 'window' divides by ``window.pow(2).sum().sqrt()``;
            'frame_length' by ``sqrt(n_fft)``.

    Returns:
        (..., freq, frames): freq = n_fft // 2 + 1 when onesided; real unless power is None.
        Differentiable with respect to ``waveform``.
    """
    if pad > 0:
        waveform = ember.nn.functional.pad(waveform, (pad, pad), "constant")
    frame_length_norm, window_norm = _spec_norms(normalized)
    shape = waveform.shape
    spec = ember.stft(waveform.reshape(-1, shape[-1]), n_fft=n_fft, hop_length=hop_length,
                      win_length=win_length, window=window, center=center, pad_mode=pad_mode,
                      normalized=frame_length_norm, onesided=onesided, return_complex=True)
    spec = spec.reshape(tuple(shape[:-1]) + tuple(spec.shape[-2:]))
    if window_norm:
        spec = spec / window.pow(2.0).sum().sqrt()
    if power is None:
        return spec
    magnitude = spec.abs()
    return magnitude if power == 1.0 else magnitude.pow(power)


def inverse_spectrogram(spectrogram: Tensor, length: int | None, pad: int, window: Tensor,
                        n_fft: int, hop_length: int, win_length: int, normalized,
                        center: bool = True, pad_mode: str = "reflect",
                        onesided: bool = True) -> Tensor:
    """The waveform of a complex spectrogram (the inverse of :func:`spectrogram` with
    ``power=None``), via ``ember.istft``.

    Args:
        spectrogram: complex (..., freq, frames).
        length: the output length (the original waveform's); None keeps istft's default.
        pad, window, n_fft, hop_length, win_length, normalized, center, onesided: as given to
            :func:`spectrogram`. ``pad_mode`` is accepted for symmetry and unused.

    Returns:
        (..., time).
    """
    frame_length_norm, window_norm = _spec_norms(normalized)
    if not spectrogram.is_complex():
        raise ValueError(f"inverse_spectrogram: expected a complex spectrogram, got "
                         f"{spectrogram.dtype.name}; compute it with power=None")
    if window_norm:
        spectrogram = spectrogram * window.pow(2.0).sum().sqrt()
    shape = spectrogram.shape
    waveform = ember.istft(
        spectrogram.reshape(-1, shape[-2], shape[-1]), n_fft=n_fft, hop_length=hop_length,
        win_length=win_length, window=window, center=center, normalized=frame_length_norm,
        onesided=onesided, length=length + 2 * pad if length is not None else None,
        return_complex=False)
    if length is not None and pad > 0:
        waveform = waveform[:, pad:-pad]
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def griffinlim(specgram: Tensor, window: Tensor, n_fft: int, hop_length: int, win_length: int,
               power: float, n_iter: int, momentum: float, length: int | None,
               rand_init: bool) -> Tensor:
    """A waveform whose magnitude spectrogram approximates ``specgram`` (Griffin-Lim with the
    fast momentum update of Perraudin et al., 2013).

    Args:
        specgram: (..., freq, frames) magnitudes raised to ``power``.
        window, n_fft, hop_length, win_length: the STFT's parameters.
        power: the exponent ``specgram`` was computed with.
        n_iter: phase-reconstruction iterations.
        momentum: in [0, 1); 0 is the original algorithm, 0.99 the fast one.
        length: the output length.
        rand_init: start from random phases (else from zero phase).

    Returns:
        (..., time). Not differentiable (the phase estimate is an iteration).
    """
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in range [0, 1). Found: {momentum}")
    momentum = momentum / (1 + momentum)
    shape = specgram.shape
    specgram = specgram.reshape(-1, shape[-2], shape[-1]).pow(1 / power)
    real_dtype = specgram.dtype
    if rand_init:  # uniform real and imaginary parts, as torch.rand does for complex dtypes
        angles = ember.complex(ember.rand(specgram.shape, dtype=real_dtype),
                               ember.rand(specgram.shape, dtype=real_dtype))
    else:
        angles = ember.ones(specgram.shape, dtype=real_dtype) + 0j
    angles = angles.to(specgram.device)
    stft_args = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
    previous = None
    with ember.no_grad():
        for _ in range(n_iter):
            inverse = ember.istft(specgram * angles, length=length, **stft_args)
            rebuilt = ember.stft(inverse, center=True, pad_mode="reflect", normalized=False,
                                 onesided=True, return_complex=True, **stft_args)
            angles = rebuilt
            if momentum and previous is not None:
                angles = angles - previous * momentum
            angles = angles / (angles.abs() + 1e-16)
            previous = rebuilt
        waveform = ember.istft(specgram * angles, length=length, **stft_args)
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def phase_vocoder(complex_specgrams: Tensor, rate: float, phase_advance: Tensor) -> Tensor:
    """Speed a complex spectrogram up (``rate > 1``) or down without changing its pitch.

    Frames are read at ``0, rate, 2 rate, ...``: magnitudes are interpolated linearly between
    neighbouring frames; phases accumulate the measured per-frame advance.

    Args:
        complex_specgrams: (..., freq, frames) complex.
        rate: the speed-up factor.
        phase_advance: (freq, 1) expected phase advance per hop, ``linspace(0, pi * hop,
            freq)[..., None]``.

    Returns:
        (..., freq, ceil(frames / rate)) complex.
    """
    if rate == 1.0:
        return complex_specgrams
    shape = complex_specgrams.shape
    specs = complex_specgrams.reshape(-1, shape[-2], shape[-1])
    real_dtype = specs.real.dtype
    time_steps = ember.arange(0, specs.shape[-1], rate, dtype=real_dtype,
                              device=specs.device)
    alphas = time_steps % 1.0
    phase_0 = specs[..., :1].angle()
    specs = ember.nn.functional.pad(specs, [0, 2])  # frames t+1 past the end read zeros
    index = time_steps.long()
    spec_0 = specs.index_select(-1, index)
    spec_1 = specs.index_select(-1, index + 1)
    phase = spec_1.angle() - spec_0.angle() - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi))  # wrap to [-pi, pi]
    phase = phase + phase_advance
    phase = ember.cat([phase_0, phase[..., :-1]], dim=-1)
    phase_acc = ember.cumsum(phase, -1)
    magnitude = alphas * spec_1.abs() + (1 - alphas) * spec_0.abs()
    stretched = ember.polar(magnitude, phase_acc)
    return stretched.reshape(tuple(shape[:-2]) + tuple(stretched.shape[1:]))


def _check_mask_args(op, dim, min_dim, axis, p):
    if dim < min_dim:
        raise ValueError(f"{op}: the spectrogram must have at least {min_dim} dimensions "
                         f"({dim} given).")
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"{op}: only frequency and time masking are supported (axis "
                         f"{dim - 2} and axis {dim - 1} supported; {axis} given).")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: the value of p must be between 0.0 and 1.0 ({p} given).")


def _mask_param(mask_param: int, p: float, axis_length: int) -> int:
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def mask_along_axis_iid(specgrams: Tensor, mask_param: int, mask_value: float, axis: int,
                        p: float = 1.0) -> Tensor:
    """Mask one random band along ``axis`` per example and channel (SpecAugment).

    The band ``[v0, v0 + v)`` has ``v ~ U[0, mask_param)`` and ``v0 ~ U[0, size - v)``,
    drawn independently for every leading index.

    Args:
        specgrams: (batch, channel, freq, time), at least 3-D.
        mask_param: the maximum band width.
        mask_value: the value written into the band.
        axis: the frequency (dim - 2) or time (dim - 1) axis.
        p: the band is at most ``p`` times the axis length.
    """
    dim = specgrams.ndim
    _check_mask_args("mask_along_axis_iid", dim, 3, axis, p)
    size = specgrams.shape[axis]
    mask_param = _mask_param(mask_param, p, size)
    if mask_param < 1:
        return specgrams
    dtype = specgrams.real.dtype if specgrams.is_complex() else specgrams.dtype
    lead = tuple(specgrams.shape[: dim - 2])
    value = ember.rand(lead, dtype=dtype, device=specgrams.device) * mask_param
    min_value = ember.rand(lead, dtype=dtype, device=specgrams.device) * (size - value)
    start = min_value.long()[..., None, None]
    end = (min_value.long() + value.long())[..., None, None]
    positions = ember.arange(0, size, device=specgrams.device)
    specgrams = specgrams.transpose(axis, -1)
    specgrams = specgrams.masked_fill((positions >= start) & (positions < end), mask_value)
    return specgrams.transpose(axis, -1)


def mask_along_axis(specgram: Tensor, mask_param: int, mask_value: float, axis: int,
                    p: float = 1.0) -> Tensor:
    """Mask one random band along ``axis``, the same band for every example and channel.

    Args: as :func:`mask_along_axis_iid`; ``specgram`` is (..., freq, time), at least 2-D.
    """
    dim = specgram.ndim
    _check_mask_args("mask_along_axis", dim, 2, axis, p)
    size = specgram.shape[axis]
    mask_param = _mask_param(mask_param, p, size)
    if mask_param < 1:
        return specgram
    value = ember.rand(1).item() * mask_param
    min_value = ember.rand(1).item() * (size - value)
    start = int(min_value)
    end = start + int(value)
    positions = ember.arange(0, size, device=specgram.device)
    mask = (positions >= start) & (positions < end)
    if axis == dim - 2:
        mask = mask.unsqueeze(-1)
    return specgram.masked_fill(mask, mask_value)
