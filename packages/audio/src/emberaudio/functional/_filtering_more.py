"""More of torchaudio's filters: zero-phase ``filtfilt``, the SoX-style biquads (band, bass,
treble, equalizer, RIAA, CD de-emphasis) and the modulated delay lines ``phaser`` and
``flanger``.

Every biquad here builds its six coefficients with differentiable Ember ops (so a tensor
``gain``/``central_freq``/``Q`` keeps its gradient, as in torchaudio) and runs them through
``biquad`` -> ``lfilter``, which clamps the output to [-1, 1] as torchaudio's ``biquad`` does.
The coefficient formulas are those of the RBJ Audio-EQ-Cookbook and SoX, exactly as
torchaudio.functional.filtering writes them.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor
from ember._tensor import _make
from ember.autograd import Function
from ember.ops._util import xp_of

from ._filtering import biquad, lfilter

__all__ = [
    "filtfilt",
    "band_biquad",
    "bass_biquad",
    "treble_biquad",
    "equalizer_biquad",
    "riaa_biquad",
    "deemph_biquad",
    "phaser",
    "flanger",
]


def _as_tensor(value, waveform: Tensor) -> Tensor:
    """``torch.as_tensor(value, dtype=waveform.dtype, device=waveform.device)``."""
    if isinstance(value, Tensor):
        return value.to(waveform.dtype)
    return ember.tensor(float(value), dtype=waveform.dtype, device=waveform.device)


def filtfilt(waveform: Tensor, a_coeffs: Tensor, b_coeffs: Tensor, clamp: bool = True
             ) -> Tensor:
    """Zero-phase filtering: ``lfilter`` forwards in time, then again backwards.

    As in torchaudio, both passes start from a zero state and the signal is not padded
    (unlike ``scipy.signal.filtfilt``, which pads and uses steady-state initial conditions),
    so the result equals ``lfilter(flip(lfilter(x)))`` flipped back. Only the second pass is
    clamped.

    Args:
        waveform: (..., time), float.
        a_coeffs: denominator, (order + 1,) or (F, order + 1) for F filters (one per
            ``waveform[..., i, :]``, as ``lfilter(batching=True)``).
        b_coeffs: numerator, the same shape.
        clamp: clip the output to [-1, 1] (default True).

    Returns:
        (..., time). Differentiable in the waveform and the coefficients.

    Example:
        >>> y = F.filtfilt(x, ember.tensor([1.0, -0.9]), ember.tensor([0.1, 0.0]))
    """
    forward = lfilter(waveform, a_coeffs, b_coeffs, clamp=False, batching=True)
    backward = lfilter(forward.flip(-1), a_coeffs, b_coeffs, clamp=clamp, batching=True)
    return backward.flip(-1)


def band_biquad(waveform: Tensor, sample_rate: int, central_freq, Q=0.707,
                noise: bool = False) -> Tensor:
    """Two-pole band-pass filter of SoX's ``band`` effect: a resonator centred on
    ``central_freq`` with bandwidth ``central_freq / Q``.

    Args:
        waveform: (..., time), float.
        sample_rate: in Hz.
        central_freq: the centre (Hz; number or tensor).
        Q: the quality factor (default 0.707).
        noise: SoX's ``-n``: scale for unpitched audio (noise) instead of tones.

    Returns:
        (..., time), clamped to [-1, 1].
    """
    central_freq = _as_tensor(central_freq, waveform)
    Q = _as_tensor(Q, waveform)
    w0 = 2 * math.pi * central_freq / sample_rate
    bw_hz = central_freq / Q
    a2 = ember.exp(-2 * math.pi * bw_hz / sample_rate)
    a1 = -4 * a2 / (1 + a2) * ember.cos(w0)
    # SoX: the gain that makes the peak 0 dB for a tone
    b0 = ember.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    if noise:
        mult = ember.sqrt(((1 + a2) * (1 + a2) - a1 * a1) * (1 - a2) / (1 + a2)) / b0
        b0 = mult * b0
    return biquad(waveform, b0, 0.0, 0.0, 1.0, a1, a2)


def _shelf(waveform, sample_rate, gain, central_freq, Q):
    """The cookbook's shelving intermediates: A, and the three ``temp`` terms."""
    central_freq = _as_tensor(central_freq, waveform)
    Q = _as_tensor(Q, waveform)
    gain = _as_tensor(gain, waveform)
    w0 = 2 * math.pi * central_freq / sample_rate
    alpha = ember.sin(w0) / 2 / Q
    big_a = ember.exp(gain / 40 * math.log(10))  # A = 10^(gain / 40)
    temp1 = 2 * ember.sqrt(big_a) * alpha
    temp2 = (big_a - 1) * ember.cos(w0)
    temp3 = (big_a + 1) * ember.cos(w0)
    return big_a, temp1, temp2, temp3


def bass_biquad(waveform: Tensor, sample_rate: int, gain, central_freq=100, Q=0.707
                ) -> Tensor:
    """Low-shelf filter (SoX ``bass``): boost or cut below ``central_freq`` by ``gain`` dB.

    Args:
        waveform: (..., time), float.
        sample_rate: in Hz.
        gain: dB at 0 Hz (negative cuts).
        central_freq: the shelf's midpoint (default 100 Hz).
        Q: the shelf slope's quality factor (default 0.707).

    Returns:
        (..., time), clamped to [-1, 1].
    """
    a, temp1, temp2, temp3 = _shelf(waveform, sample_rate, gain, central_freq, Q)
    b0 = a * ((a + 1) - temp2 + temp1)
    b1 = 2 * a * ((a - 1) - temp3)
    b2 = a * ((a + 1) - temp2 - temp1)
    a0 = (a + 1) + temp2 + temp1
    a1 = -2 * ((a - 1) + temp3)
    a2 = (a + 1) + temp2 - temp1
    return biquad(waveform, b0 / a0, b1 / a0, b2 / a0, a0 / a0, a1 / a0, a2 / a0)


def treble_biquad(waveform: Tensor, sample_rate: int, gain, central_freq=3000, Q=0.707
                  ) -> Tensor:
    """High-shelf filter (SoX ``treble``): boost or cut above ``central_freq`` by ``gain`` dB.

    Args:
        waveform: (..., time), float.
        sample_rate: in Hz.
        gain: dB at the Nyquist frequency (negative cuts).
        central_freq: the shelf's midpoint (default 3000 Hz).
        Q: the shelf slope's quality factor (default 0.707).

    Returns:
        (..., time), clamped to [-1, 1].
    """
    a, temp1, temp2, temp3 = _shelf(waveform, sample_rate, gain, central_freq, Q)
    b0 = a * ((a + 1) + temp2 + temp1)
    b1 = -2 * a * ((a - 1) + temp3)
    b2 = a * ((a + 1) + temp2 - temp1)
    a0 = (a + 1) - temp2 + temp1
    a1 = 2 * ((a - 1) - temp3)
    a2 = (a + 1) - temp2 - temp1
    return biquad(waveform, b0, b1, b2, a0, a1, a2)


def equalizer_biquad(waveform: Tensor, sample_rate: int, center_freq, gain, Q=0.707
                     ) -> Tensor:
    """Peaking equaliser (RBJ cookbook): ``gain`` dB at ``center_freq``, 0 dB far from it.

    Args:
        waveform: (..., time), float.
        sample_rate: in Hz.
        center_freq: the peak (Hz).
        gain: dB at the peak (negative: a dip).
        Q: the peak's quality factor (default 0.707).

    Returns:
        (..., time), clamped to [-1, 1].
    """
    center_freq = _as_tensor(center_freq, waveform)
    Q = _as_tensor(Q, waveform)
    gain = _as_tensor(gain, waveform)
    w0 = 2 * math.pi * center_freq / sample_rate
    big_a = ember.exp(gain / 40.0 * math.log(10))
    alpha = ember.sin(w0) / 2 / Q
    cos = -2 * ember.cos(w0)
    return biquad(waveform, 1 + alpha * big_a, cos, 1 - alpha * big_a, 1 + alpha / big_a, cos,
                  1 - alpha / big_a)


# SoX's RIAA pole/zero pairs for the four supported rates (z-plane; from torchaudio)
_RIAA = {
    44100: ((-0.2014898, 0.9233820), (0.7083149, 0.9924091)),
    48000: ((-0.1766069, 0.9321590), (0.7396325, 0.9931330)),
    88200: ((-0.1168735, 0.9648312), (0.8590646, 0.9964002)),
    96000: ((-0.1141486, 0.9676817), (0.8699137, 0.9966946)),
}


def riaa_biquad(waveform: Tensor, sample_rate: int) -> Tensor:
    """RIAA vinyl playback equalisation (SoX ``riaa``), normalised to 0 dB at 1 kHz.

    Args:
        waveform: (..., time), float.
        sample_rate: 44100, 48000, 88200 or 96000 Hz.

    Returns:
        (..., time), clamped to [-1, 1].
    """
    if sample_rate not in _RIAA:
        raise ValueError("Sample rate must be 44.1k, 48k, 88.2k, or 96k")
    zeros, poles = _RIAA[sample_rate]
    b0, b1, b2 = 1.0, -(zeros[0] + zeros[1]), zeros[0] * zeros[1]
    a0, a1, a2 = 1.0, -(poles[0] + poles[1]), poles[0] * poles[1]
    # |H(e^{jy})| at 1 kHz, then scale the numerator so that gain is 1
    y = 2 * math.pi * 1000 / sample_rate
    b_re = b0 + b1 * math.cos(-y) + b2 * math.cos(-2 * y)
    a_re = a0 + a1 * math.cos(-y) + a2 * math.cos(-2 * y)
    b_im = b1 * math.sin(-y) + b2 * math.sin(-2 * y)
    a_im = a1 * math.sin(-y) + a2 * math.sin(-2 * y)
    g = 1 / math.sqrt((b_re**2 + b_im**2) / (a_re**2 + a_im**2))
    return biquad(waveform, b0 * g, b1 * g, b2 * g, a0, a1, a2)


def deemph_biquad(waveform: Tensor, sample_rate: int) -> Tensor:
    """ISO 908 CD de-emphasis (SoX ``deemph``): a treble shelf of about -9.5 dB.

    Args:
        waveform: (..., time), float.
        sample_rate: 44100 (audio CD) or 48000 (DAT) Hz.

    Returns:
        (..., time), clamped to [-1, 1].
    """
    if sample_rate == 44100:
        central_freq, width_slope, gain = 5283, 0.4845, -9.477
    elif sample_rate == 48000:
        central_freq, width_slope, gain = 5356, 0.479, -9.62
    else:
        raise ValueError("Sample rate must be 44100 (audio-CD) or 48000 (DAT)")
    w0 = 2 * math.pi * central_freq / sample_rate
    a = math.exp(gain / 40.0 * math.log(10))
    # the cookbook's shelf alpha from a slope S: sin(w0)/2 * sqrt((A + 1/A)(1/S - 1) + 2)
    alpha = math.sin(w0) / 2 * math.sqrt((a + 1 / a) * (1 / width_slope - 1) + 2)
    temp1 = 2 * math.sqrt(a) * alpha
    temp2 = (a - 1) * math.cos(w0)
    temp3 = (a + 1) * math.cos(w0)
    b0 = a * ((a + 1) + temp2 + temp1)
    b1 = -2 * a * ((a - 1) + temp3)
    b2 = a * ((a + 1) + temp2 - temp1)
    a0 = (a + 1) - temp2 + temp1
    a1 = 2 * ((a - 1) - temp3)
    a2 = (a + 1) - temp2 - temp1
    return biquad(waveform, b0, b1, b2, a0, a1, a2)


# ---------------------------------------------------------------------------------------------
# Modulated delay lines (phaser, flanger)
# ---------------------------------------------------------------------------------------------
#
# SoX (and torchaudio, sample by sample) run a circular delay buffer whose read position is
# modulated by a low-frequency wave. Unrolled, the buffer is a time-varying recursion
#     w[c, i] = x[c, i] + sum_j coef[c, i, j] * w[c, dep[c, i, j]]      (dep < i; -1: none)
# i.e. w = (I - G)^{-1} x with G strictly lower triangular and sparse. It is solved in chunks
# [s, e) whose rows depend only on samples before s: each chunk is one vectorised gather (the
# chunks are as long as the current modulated delay). The adjoint, (I - G)^{-T}, runs the same
# chunks backwards with scatter-adds; the two Functions are each other's backward.


def _chunks(dep: np.ndarray) -> list[tuple[int, int]]:
    """Greedy chunks [s, e) of time such that every dependency of a row in the chunk is < s."""
    length = dep.shape[1]
    latest = dep.max(axis=(0, 2))  # (T,): the latest sample any channel's row i reads
    span = int(max(1, (np.arange(length) - np.where(latest >= 0, latest, np.arange(length)))
                   .max(initial=1)))
    chunks, start = [], 0
    while start < length:  # one step per chunk, each vectorised over its rows
        window = latest[start + 1 : start + 1 + span]
        hits = np.nonzero(window >= start)[0]
        end = start + 1 + (int(hits[0]) if hits.size else window.shape[0])
        chunks.append((start, min(end, length)))
        start = end
    return chunks


def _recursion_array(x, dep, coef, chunks, transpose: bool):
    """Solve ``(I - G) w = x`` (or ``(I - G)^T w = x``); x: (R, C, T), dep/coef: (C, T, J)."""
    xp = xp_of(x)
    w = x.copy()
    channels = xp.arange(dep.shape[0])[:, None]
    safe = xp.asarray(np.maximum(dep, 0))
    coef = xp.asarray(coef.astype(x.dtype))
    if not transpose:
        for s, e in chunks:
            for j in range(dep.shape[2]):  # 1 to 3 interpolation taps
                w[..., s:e] += coef[:, s:e, j] * w[:, channels, safe[:, s:e, j]]
        return w
    for s, e in reversed(chunks):
        for j in range(dep.shape[2]):
            rows = xp.broadcast_to(xp.arange(w.shape[0])[:, None, None], (w.shape[0],)
                                   + safe[:, s:e, j].shape)
            xp.add.at(w, (rows, xp.broadcast_to(channels, rows.shape),
                          xp.broadcast_to(safe[:, s:e, j], rows.shape)),
                      coef[:, s:e, j] * w[..., s:e])
    return w


class _Recursion(Function):
    @staticmethod
    def forward(ctx, x, dep, coef, chunks, transpose):
        ctx.args = (dep, coef, chunks, transpose)
        return _make(_recursion_array(x._data, dep, coef, chunks, transpose))

    @staticmethod
    def backward(ctx, grad):
        dep, coef, chunks, transpose = ctx.args
        return _Recursion.apply(grad, dep, coef, chunks, not transpose), None, None, None, None


def _wave_table(wave_type: str, data_type: str, table_size: int, low: float, high: float,
                phase: float) -> np.ndarray:
    """torchaudio's ``_generate_wave_table``: one period of a sine or triangle from ``low`` to
    ``high``, starting at ``phase``; 'INT' rounds half away from zero to int32, 'FLOAT' gives
    float32."""
    offset = int(phase / math.pi / 2 * table_size + 0.5)
    point = (np.arange(table_size) + offset) % table_size
    if wave_type == "SINE":
        d = (np.sin(point / table_size * 2 * math.pi) + 1) / 2
    else:
        d = point * 2 / table_size
        quarter = (4 * point) // table_size
        d = np.select([quarter == 0, quarter == 1, quarter == 2, quarter == 3],
                      [d + 0.5, 1.5 - d, 1.5 - d, d - 1.5], d)
    d = d * (high - low) + low
    if data_type == "INT":
        return np.where(d < 0, d - 0.5, d + 0.5).astype(np.int32)
    return d.astype(np.float32)


def phaser(waveform: Tensor, sample_rate: int, gain_in: float = 0.4, gain_out: float = 0.74,
           delay_ms: float = 3.0, decay: float = 0.4, mod_speed: float = 0.5,
           sinusoidal: bool = True) -> Tensor:
    """SoX's ``phaser``: the signal plus a decaying copy of itself through a delay modulated
    between 1 sample and ``delay_ms``, fed back.

    Args:
        waveform: (..., time), float.
        sample_rate: in Hz.
        gain_in: input gain, 0 to 1 (default 0.4).
        gain_out: output gain, 0 to 1e9 (default 0.74).
        delay_ms: the longest delay, 0 to 5 ms (default 3).
        decay: feedback gain, 0 to 0.99 (default 0.4).
        mod_speed: modulation frequency, 0.1 to 2 Hz (default 0.5).
        sinusoidal: sine modulation (default) or triangular.

    Returns:
        (..., time), clamped to [-1, 1]. Differentiable in the waveform.
    """
    shape = waveform.shape
    length = shape[-1]
    buf_len = int(delay_ms * 0.001 * sample_rate + 0.5)
    if buf_len < 1:
        raise ValueError(f"phaser: delay_ms={delay_ms} is under one sample at {sample_rate} Hz")
    mod_len = int(sample_rate / mod_speed + 0.5)
    mod = _wave_table("SINE" if sinusoidal else "TRIANGLE", "INT", mod_len, 1.0,
                      float(buf_len), math.pi / 2)
    # the buffer slot read at step i was written at step i - (buf_len - mod + 1)
    i = np.arange(length)
    dep = (i - (buf_len - mod[i % mod_len].astype(np.int64) + 1))[None, :, None]
    coef = np.where(dep >= 0, decay, 0.0)
    dep = np.where(dep >= 0, dep, -1)
    x = (waveform * gain_in).reshape(-1, 1, length)
    w = _Recursion.apply(x, dep, coef, _chunks(dep), False)
    return ember.clamp(w * gain_out, min=-1, max=1).reshape(shape)


def flanger(waveform: Tensor, sample_rate: int, delay: float = 0.0, depth: float = 2.0,
            regen: float = 0.0, width: float = 71.0, speed: float = 0.5, phase: float = 25.0,
            modulation: str = "sinusoidal", interpolation: str = "linear") -> Tensor:
    """SoX's ``flanger``: the signal mixed with a copy through a swept short delay.

    Args:
        waveform: (..., channels, time), at most 4 channels.
        sample_rate: in Hz.
        delay: base delay, 0 to 30 ms (default 0).
        depth: added swept delay, 0 to 10 ms (default 2).
        regen: feedback, -95 to 95 % (default 0).
        width: delayed signal mixed in, 0 to 100 % (default 71).
        speed: sweeps per second, 0.1 to 10 Hz (default 0.5).
        phase: sweep phase offset between channels, 0 to 100 % (default 25).
        modulation: 'sinusoidal' (default) or 'triangular'.
        interpolation: 'linear' (default) or 'quadratic' for the fractional delay.

    Returns:
        (..., channels, time), clamped to [-1, 1]. Differentiable in the waveform.
    """
    if modulation not in ("sinusoidal", "triangular"):
        raise ValueError('Only "sinusoidal" or "triangular" modulation allowed')
    if interpolation not in ("linear", "quadratic"):
        raise ValueError('Only "linear" or "quadratic" interpolation allowed')
    if waveform.ndim < 2:
        raise ValueError(f"flanger: expected a (..., channels, time) waveform, got shape "
                         f"{tuple(waveform.shape)}")
    shape = waveform.shape
    if shape[-2] > 4:
        raise ValueError("Max 4 channels allowed")
    channels, length = shape[-2], shape[-1]
    feedback_gain = regen / 100
    delay_gain = width / 100
    in_gain = 1.0 / (1 + delay_gain)
    delay_gain = delay_gain / (1 + delay_gain) * (1 - abs(feedback_gain))  # balanced mix
    buf_len = int((delay / 1000 + depth / 1000) * sample_rate + 0.5) + 2
    lfo_len = int(sample_rate / speed)
    lfo = _wave_table("SINE" if modulation == "sinusoidal" else "TRIANGLE", "FLOAT", lfo_len,
                      float(math.floor(delay / 1000 * sample_rate + 0.5)), buf_len - 2.0,
                      3 * math.pi / 2)
    i = np.arange(length)
    channel_phase = (np.arange(channels) * lfo_len * (phase / 100) + 0.5).astype(np.int64)
    value = lfo[(i[None, :] % lfo_len + channel_phase[:, None]) % lfo_len]  # (C, T) float32
    whole = np.floor(value).astype(np.int64)
    frac = (value - np.floor(value)).astype(np.float64)
    # buffer slot (pos_i + k) holds the value written k steps ago (pos moves back by one)
    taps = 2 if interpolation == "linear" else 3
    lags = np.stack([(whole + j) % buf_len for j in range(taps)], -1)  # (C, T, taps)
    if interpolation == "linear":
        weights = np.stack([1 - frac, frac], -1)
    else:  # SoX's quadratic through the three taps
        weights = np.stack([1 - 1.5 * frac + 0.5 * frac ** 2, 2 * frac - frac ** 2,
                            0.5 * frac ** 2 - 0.5 * frac], -1)
    dep = i[None, :, None] - lags
    weights = np.where(dep >= 0, weights, 0.0)
    dep = np.where(dep >= 0, dep, -1)
    x = waveform.reshape(-1, channels, length)
    w = x
    if feedback_gain != 0:
        # written[i] = x[i] + regen * delayed[i - 1]: row i reads row i - 1's taps
        fb_dep = np.concatenate([np.full((channels, 1, taps), -1), dep[:, :-1]], 1)
        fb_coef = np.concatenate([np.zeros((channels, 1, taps)), weights[:, :-1]], 1)
        fb_coef = np.where(fb_dep >= 0, fb_coef * feedback_gain, 0.0)
        w = _Recursion.apply(x, fb_dep, fb_coef, _chunks(fb_dep), False)
    delayed = None
    for j in range(taps):  # 2 or 3 interpolation taps
        index = ember.tensor(np.maximum(dep[..., j], 0), device=x.device).expand(x.shape)
        term = ember.gather(w, -1, index) * ember.tensor(weights[..., j], dtype=x.dtype,
                                                         device=x.device)
        delayed = term if delayed is None else delayed + term
    out = x * in_gain + delayed * delay_gain
    return ember.clamp(out, min=-1, max=1).reshape(shape)
