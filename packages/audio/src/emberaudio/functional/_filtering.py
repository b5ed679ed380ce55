"""IIR/FIR filtering (``lfilter``, biquads), pre/de-emphasis, gain and additive noise.

``lfilter`` is an FIR part (a few shifted multiply-adds, differentiable through Ember ops)
followed by the recursive part, one ``Function`` (``_IIR``). The recursion
``a0 y[n] = x[n] - a1 y[n-1] - ... - ap y[n-p]`` is sequential in time, but not sample by
sample: over a block of L samples the output is the zero-state response (a lower-triangular
Toeplitz matrix of the impulse response times the block's input, for all blocks in one batched
matmul) plus the response to the p outputs before the block (an L x p matrix). The Python loop
runs over blocks, about T / 256 steps, each vectorised over batch and channels.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor
from ember._device import get_array_module
from ember._tensor import _make
from ember.autograd import Function

__all__ = [
    "lfilter",
    "biquad",
    "lowpass_biquad",
    "highpass_biquad",
    "bandpass_biquad",
    "bandreject_biquad",
    "allpass_biquad",
    "preemphasis",
    "deemphasis",
    "gain",
    "add_noise",
]


def _xp(array):
    return np if isinstance(array, np.ndarray) else get_array_module(array)


def _block_responses(a: np.ndarray, block: int):
    """For the normalised recursion ``y[n] = x[n] - sum_k a[c, k] y[n-k]`` (a: (C, p)):
    the impulse response h (block, C) and the responses phi (block, C, p) to a unit output
    ``y[-j] = 1`` (j = 1..p) before the block, with zero input. Float64 for accuracy."""
    channels, p = a.shape
    state = np.zeros((block + p, channels, p + 1))  # time-major; rows < p: the past outputs
    for j in range(1, p + 1):
        state[p - j, :, j] = 1.0
    reversed_a = a[:, ::-1].T[:, :, None]  # (p, C, 1): row i multiplies y[m - p + i]
    state[p, :, 0] = 1.0  # the unit impulse enters at m = 0
    for m in range(block):  # over the block length only; vectorised over channels
        state[p + m] -= (state[m : m + p] * reversed_a).sum(axis=0)
    return state[p:, :, 0], state[p:, :, 1:]


def _iir_array(x, a):
    """Solve ``sum_k a[c, k] y[b, c, n - k] = x[b, c, n]`` with zero initial state.

    x: (B, C, T) float array; a: (C, p + 1) with a[:, 0] != 0. Returns y like x.
    """
    xp = _xp(x)
    batch, channels, length = x.shape
    p = a.shape[1] - 1
    a0 = a[:, :1]
    if p == 0 or length == 0:
        return x / a0
    a_host = np.asarray(a.get() if hasattr(a, "get") else a, dtype=np.float64)
    a_norm = a_host[:, 1:] / a_host[:, :1]
    # block length: ~256, smaller when many channels would make the (C, L, L) Toeplitz big
    block = int(min(length, max(16, min(256, math.sqrt(4e6 / channels)))))
    h, phi = _block_responses(a_norm, block)
    lag = np.arange(block)[:, None] - np.arange(block)[None, :]
    toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)].transpose(2, 0, 1), 0.0)
    toeplitz = xp.asarray(toeplitz.astype(x.dtype))  # (C, L, L): output m <- input i <= m
    phi = xp.asarray(phi.transpose(1, 0, 2).astype(x.dtype))  # (C, L, p)

    n_blocks = -(-length // block)
    padded = xp.zeros((channels, n_blocks * block, batch), x.dtype)
    padded[:, :length] = (x / a0).transpose(1, 2, 0)
    blocks = padded.reshape(channels, n_blocks, block, batch)
    # zero-state response of every block at once: (C, 1, L, L) @ (C, n_blocks, L, B)
    y = xp.matmul(toeplitz[:, None], blocks)
    past = xp.zeros((channels, p, batch), x.dtype)  # y[n0 - 1], ..., y[n0 - p]
    for i in range(n_blocks):  # carry the state from block to block
        y[:, i] += xp.matmul(phi, past)
        newest_first = y[:, i, ::-1]  # y[n0 + L - 1], y[n0 + L - 2], ...
        if p > block:  # a block shorter than the filter order keeps part of the old state
            newest_first = xp.concatenate([newest_first, past], axis=1)
        past = newest_first[:, :p]
    y = y.reshape(channels, n_blocks * block, batch)[:, :length]
    return xp.ascontiguousarray(y.transpose(2, 0, 1))


class _IIR(Function):
    """``y = A^{-1} x`` for the lower-triangular Toeplitz A of the coefficients ``a``."""

    @staticmethod
    def forward(ctx, x, a):
        out = _make(_iir_array(x._data, a._data))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, y = ctx.saved_tensors
        # x_bar = A^{-T} y_bar: A^T is the same recursion run backwards in time
        x_bar = _IIR.apply(grad.flip(-1), a).flip(-1)
        a_bar = None
        if ctx.needs_input_grad[1]:
            # dy = -A^{-1} (dA) y  =>  a_bar[c, k] = -sum_{b, n} x_bar[b, c, n] y[b, c, n - k]
            order, length = a.shape[1], y.shape[-1]
            y_past = ember.nn.functional.pad(y, (order - 1, 0))
            a_bar = -ember.stack([
                (x_bar * y_past[..., order - 1 - k : order - 1 - k + length]).sum((0, 2))
                for k in range(order)  # over the filter taps
            ], dim=1)
        return x_bar, a_bar


def _fir(x: Tensor, b: Tensor) -> Tensor:
    """``sum_k b[c, k] x[..., c, n - k]`` (zero before the start); a loop over the taps."""
    order, length = b.shape[1], x.shape[-1]
    padded = ember.nn.functional.pad(x, (order - 1, 0))
    out = None
    for k in range(order):
        term = b[:, k : k + 1] * padded[..., order - 1 - k : order - 1 - k + length]
        out = term if out is None else out + term
    return out


def lfilter(waveform: Tensor, a_coeffs: Tensor, b_coeffs: Tensor, clamp: bool = True,
            batching: bool = True) -> Tensor:
    """An IIR filter by its difference equation (direct form, zero initial state):
    ``sum_k a[k] y[n - k] = sum_k b[k] x[n - k]``.

    Args:
        waveform: (..., time), float.
        a_coeffs: denominator (order + 1,), ``a[0]`` nonzero; or (F, order + 1) for F
            filters.
        b_coeffs: numerator, the same shape as ``a_coeffs``.
        clamp: clip the output to [-1, 1].
        batching: with 2-D coefficients, True filters ``waveform[..., i, :]`` with filter i
            (``waveform.shape[-2] == F``); False applies every filter to the whole
            waveform, giving (..., F, time).

    Returns:
        (..., time) (or (..., F, time) without batching). Differentiable with respect to the
        waveform and both coefficient tensors.

    Example:
        >>> y = F.lfilter(x, ember.tensor([1.0, -0.9]), ember.tensor([0.1, 0.0]))
    """
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(f"Expected coeffs to be the same size. Found a_coeffs size: "
                         f"{tuple(a_coeffs.shape)}, b_coeffs size: {tuple(b_coeffs.shape)}")
    if a_coeffs.ndim not in (1, 2):
        raise ValueError(f"Expected coeffs to have 1 or 2 dimensions. Found {a_coeffs.ndim}")
    if not waveform.is_floating_point():
        raise TypeError(f"lfilter: expected a floating point waveform, got "
                        f"{waveform.dtype.name}")
    a_coeffs = a_coeffs.to(waveform.dtype)
    b_coeffs = b_coeffs.to(waveform.dtype)
    if a_coeffs.ndim == 2:
        if batching:
            if waveform.ndim < 2 or waveform.shape[-2] != a_coeffs.shape[0]:
                raise ValueError(
                    f"Expected number of batches in waveform and coeffs to be the same. Found "
                    f"waveform batches: {waveform.shape[-2] if waveform.ndim > 1 else None}, "
                    f"coeffs batches: {a_coeffs.shape[0]}")
        else:
            waveform = ember.stack([waveform] * a_coeffs.shape[0], -2)
    else:
        a_coeffs = a_coeffs.unsqueeze(0)
        b_coeffs = b_coeffs.unsqueeze(0)
    if bool((a_coeffs[:, 0] == 0).any()):
        raise ValueError("lfilter: a_coeffs[..., 0] must be nonzero (it scales y[n])")
    shape = waveform.shape
    x = waveform.reshape(-1, a_coeffs.shape[0], shape[-1])
    output = _IIR.apply(_fir(x, b_coeffs), a_coeffs)
    if clamp:
        output = ember.clamp(output, min=-1.0, max=1.0)
    return output.reshape(shape)


def biquad(waveform: Tensor, b0, b1, b2, a0, a1, a2) -> Tensor:
    """A second-order IIR filter ``(b0 + b1 z^-1 + b2 z^-2) / (a0 + a1 z^-1 + a2 z^-2)``.

    The coefficients are numbers or 0-d tensors (tensors keep their gradients).
    """
    def coeff(c):
        if isinstance(c, Tensor):
            return c.to(waveform.dtype).reshape(1)
        return ember.tensor([float(c)], dtype=waveform.dtype, device=waveform.device)

    a = ember.cat([coeff(a0), coeff(a1), coeff(a2)])
    b = ember.cat([coeff(b0), coeff(b1), coeff(b2)])
    return lfilter(waveform, a, b)


def _w0_alpha(waveform, sample_rate, freq, Q):
    """The RBJ Audio-EQ-Cookbook's ``w0 = 2 pi f / fs`` and ``alpha = sin(w0) / (2 Q)``."""
    dtype, device = waveform.dtype, waveform.device
    freq = freq.to(dtype) if isinstance(freq, Tensor) else ember.tensor(float(freq), dtype=dtype,
                                                                       device=device)
    Q = Q.to(dtype) if isinstance(Q, Tensor) else ember.tensor(float(Q), dtype=dtype,
                                                               device=device)
    w0 = 2 * math.pi * freq / sample_rate
    return w0, ember.sin(w0) / 2 / Q


def lowpass_biquad(waveform: Tensor, sample_rate: int, cutoff_freq, Q=0.707) -> Tensor:
    """Two-pole low-pass filter (RBJ cookbook); -3 dB at ``cutoff_freq`` for Q = 1/sqrt(2)."""
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    cos = ember.cos(w0)
    b0 = (1 - cos) / 2
    return biquad(waveform, b0, 1 - cos, b0, 1 + alpha, -2 * cos, 1 - alpha)


def highpass_biquad(waveform: Tensor, sample_rate: int, cutoff_freq, Q=0.707) -> Tensor:
    """Two-pole high-pass filter (RBJ cookbook)."""
    w0, alpha = _w0_alpha(waveform, sample_rate, cutoff_freq, Q)
    cos = ember.cos(w0)
    b0 = (1 + cos) / 2
    return biquad(waveform, b0, -1 - cos, b0, 1 + alpha, -2 * cos, 1 - alpha)


def bandpass_biquad(waveform: Tensor, sample_rate: int, central_freq, Q=0.707,
                    const_skirt_gain: bool = False) -> Tensor:
    """Two-pole band-pass filter (RBJ cookbook): constant 0 dB peak gain, or constant skirt
    gain (peak gain Q) when ``const_skirt_gain``."""
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    temp = ember.sin(w0) / 2 if const_skirt_gain else alpha
    return biquad(waveform, temp, 0.0, -temp, 1 + alpha, -2 * ember.cos(w0), 1 - alpha)


def bandreject_biquad(waveform: Tensor, sample_rate: int, central_freq, Q=0.707) -> Tensor:
    """Two-pole band-reject (notch) filter (RBJ cookbook)."""
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    cos = ember.cos(w0)
    return biquad(waveform, 1.0, -2 * cos, 1.0, 1 + alpha, -2 * cos, 1 - alpha)


def allpass_biquad(waveform: Tensor, sample_rate: int, central_freq, Q=0.707) -> Tensor:
    """Two-pole all-pass filter (RBJ cookbook): unit gain, phase turning at the centre."""
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q)
    cos = ember.cos(w0)
    return biquad(waveform, 1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha)


def preemphasis(waveform: Tensor, coeff: float = 0.97) -> Tensor:
    """``y[n] = x[n] - coeff * x[n - 1]`` along the last dimension (y[0] = x[0])."""
    shifted = ember.nn.functional.pad(waveform[..., :-1], (1, 0))
    return waveform - coeff * shifted


def deemphasis(waveform: Tensor, coeff: float = 0.97) -> Tensor:
    """The inverse of :func:`preemphasis`: ``y[n] = x[n] + coeff * y[n - 1]`` (through
    ``lfilter``, whose default clamps to [-1, 1] as torchaudio's does)."""
    a = ember.tensor([1.0, -coeff], dtype=waveform.dtype, device=waveform.device)
    b = ember.tensor([1.0, 0.0], dtype=waveform.dtype, device=waveform.device)
    return lfilter(waveform, a, b)


def gain(waveform: Tensor, gain_db: float = 1.0) -> Tensor:
    """Amplify (or attenuate, when negative) by ``gain_db`` decibels: ``x * 10^(gain_db/20)``.
    """
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)


def add_noise(waveform: Tensor, noise: Tensor, snr: Tensor, lengths: Tensor | None = None
              ) -> Tensor:
    """Add ``noise`` scaled so the signal-to-noise ratio is ``snr`` dB.

    Args:
        waveform: (..., L).
        noise: (..., L), the same shape.
        snr: (...) target ratios in dB.
        lengths: (...) valid lengths; energy is measured over ``[0, lengths)`` only.

    Returns:
        (..., L): ``waveform + 10 ** ((snr_now - snr) / 20) * noise``.
    """
    if not (waveform.ndim - 1 == noise.ndim - 1 == snr.ndim
            and (lengths is None or lengths.ndim == snr.ndim)):
        raise ValueError(
            f"add_noise: leading dimensions don't match: waveform {tuple(waveform.shape)}, "
            f"noise {tuple(noise.shape)}, snr {tuple(snr.shape)}"
            + ("" if lengths is None else f", lengths {tuple(lengths.shape)}"))
    length = waveform.shape[-1]
    if length != noise.shape[-1]:
        raise ValueError(f"Length dimensions of waveform and noise don't match (got {length} "
                         f"and {noise.shape[-1]}).")
    if lengths is not None:
        positions = ember.arange(0, length, device=waveform.device)
        mask = positions < lengths.unsqueeze(-1)
        masked_waveform, masked_noise = waveform * mask, noise * mask
    else:
        masked_waveform, masked_noise = waveform, noise
    energy_signal = (masked_waveform * masked_waveform).sum(-1)
    energy_noise = (masked_noise * masked_noise).sum(-1)
    snr_now = 10 * (ember.log10(energy_signal) - ember.log10(energy_noise))
    scale = ember.pow(10.0, (snr_now - snr) / 20.0)
    return waveform + scale.unsqueeze(-1) * noise
