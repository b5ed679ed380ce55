"""Band-limited resampling with a polyphase windowed-sinc kernel (torchaudio's ``resample``).

With ``orig`` and ``new`` the two rates divided by their gcd, output sample ``j * new + p``
(phase ``p`` of block ``j``) is a windowed sinc of the input around input time
``j * orig + p * orig / new``. Every phase has its own ``2 * width + orig`` taps, so the whole
resampling is one strided 1-d convolution: ``new`` output channels, stride ``orig``, whose
channels are then interleaved. The sinc's cutoff is ``rolloff * min(orig, new) / 2`` (just below
the lower Nyquist frequency), so a downsampled signal is low-pass filtered first.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor

__all__ = ["resample"]

_KAISER_BEST_BETA = 14.769656459379492  # torchaudio's default: ~ Kaiser "best" (librosa)


def _sinc_resample_kernel(orig_freq: int, new_freq: int, gcd: int, lowpass_filter_width: int,
                          rolloff: float, resampling_method: str, beta: float | None,
                          dtype=None, device=None) -> tuple[Tensor, int]:
    """The (new, 1, 2 * width + orig) kernel and the half-width ``width`` in input samples."""
    if resampling_method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"Invalid resampling method: {resampling_method}; use "
                         f"'sinc_interp_hann' or 'sinc_interp_kaiser'")
    if not (int(orig_freq) == orig_freq and int(new_freq) == new_freq):
        raise ValueError(f"resample: frequencies must be integers, got {orig_freq} and "
                         f"{new_freq}")
    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    orig = int(orig_freq) // gcd
    new = int(new_freq) // gcd
    base_freq = min(orig, new) * rolloff
    # zero crossings of the sinc fall every orig / base_freq input samples; keep
    # lowpass_filter_width of them on each side
    width = math.ceil(lowpass_filter_width * orig / base_freq)
    idx = np.arange(-width, width + orig, dtype=np.float64)[None, None] / orig
    t = np.arange(0, -new, -1, dtype=np.float64)[:, None, None] / new + idx
    t = np.clip(t * base_freq, -lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = np.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = _KAISER_BEST_BETA if beta is None else float(beta)
        window = np.i0(beta * np.sqrt(1 - (t / lowpass_filter_width) ** 2)) / np.i0(beta)
    t = t * math.pi
    safe = np.where(t == 0, 1.0, t)
    kernel = np.where(t == 0, 1.0, np.sin(safe) / safe) * window * (base_freq / orig)
    dtype = ember.float32 if dtype is None else dtype
    return ember.tensor(kernel, dtype=dtype, device=device), width


def _apply_sinc_resample_kernel(waveform: Tensor, orig_freq: int, new_freq: int, gcd: int,
                                kernel: Tensor, width: int) -> Tensor:
    if not waveform.is_floating_point():
        raise TypeError(f"Expected floating point type for waveform tensor, but received "
                        f"{waveform.dtype}.")
    orig = int(orig_freq) // gcd
    new = int(new_freq) // gcd
    shape = waveform.shape
    signals = waveform.reshape(-1, shape[-1])
    num_wavs, length = signals.shape
    padded = ember.nn.functional.pad(signals, (width, width + orig))
    kernel = kernel.to(waveform.dtype)
    resampled = ember.nn.functional.conv1d(padded[:, None], kernel, stride=orig)
    resampled = resampled.transpose(1, 2).reshape(num_wavs, -1)  # interleave the phases
    target_length = math.ceil(new * length / orig)
    resampled = resampled[..., :target_length]
    return resampled.reshape(tuple(shape[:-1]) + (resampled.shape[-1],))


def resample(waveform: Tensor, orig_freq: int, new_freq: int, lowpass_filter_width: int = 6,
             rolloff: float = 0.99, resampling_method: str = "sinc_interp_hann",
             beta: float | None = None) -> Tensor:
    """Resample a waveform from ``orig_freq`` to ``new_freq`` Hz.

    Args:
        waveform: (..., time), float.
        orig_freq, new_freq: the sample rates (integers).
        lowpass_filter_width: sinc zero crossings kept on each side (sharper and slower when
            larger).
        rolloff: the cutoff as a fraction of the lower Nyquist frequency (< 1 leaves room for
            the filter's transition band, reducing aliasing).
        resampling_method: 'sinc_interp_hann' (Hann-windowed sinc) or 'sinc_interp_kaiser'.
        beta: the Kaiser window's shape (default 14.77).

    Returns:
        (..., ceil(time * new_freq / orig_freq)). Differentiable with respect to the waveform.

    Example:
        >>> F.resample(ember.randn(1, 44100), 44100, 16000).shape
        ember.Size([1, 16000])
    """
    if orig_freq <= 0.0 or new_freq <= 0.0:
        raise ValueError(f"Original frequency and desired frequency should be positive, got "
                         f"{orig_freq} and {new_freq}")
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = _sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width,
                                          rolloff, resampling_method, beta,
                                          dtype=waveform.dtype if waveform.is_floating_point()
                                          else None, device=waveform.device)
    return _apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width)
