"""More of torchaudio.functional: convolution (direct and FFT), speed change, dither, SoX-style
effects (dcshift, contrast, overdrive), spectral centroid, sliding-window CMN, the NCCF pitch
detector and ITU-R BS.1770-4 loudness.

Behaviour (defaults, output shapes, quirks such as ``dither``'s deterministic "TPDF" term) follows
torchaudio.functional.functional / filtering; every place where Ember deliberately differs says
so in a comment.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor
from ember._tensor import _make
from ember.autograd import Function
from ember.ops._util import unbroadcast, xp_of

from ._filtering import highpass_biquad, lfilter
from ._filtering_more import treble_biquad
from ._resample import resample
from ._spectral import spectrogram

__all__ = [
    "convolve",
    "fftconvolve",
    "speed",
    "dither",
    "dcshift",
    "contrast",
    "overdrive",
    "spectral_centroid",
    "sliding_window_cmn",
    "detect_pitch_frequency",
    "loudness",
]

_CONVOLVE_MODES = ["full", "valid", "same"]


def _check_convolve(x: Tensor, y: Tensor, mode: str, op: str) -> None:
    if mode not in _CONVOLVE_MODES:
        raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of "
                         f"{_CONVOLVE_MODES}.")
    if x.ndim != y.ndim:
        raise ValueError(f"The operands must be the same dimension (got {x.ndim} and "
                         f"{y.ndim}).")
    for xi, yi in zip(x.shape[:-1], y.shape[:-1]):
        if not (xi == yi or xi == 1 or yi == 1):
            raise ValueError(f"Leading dimensions of x and y are not broadcastable (got "
                             f"{tuple(x.shape)} and {tuple(y.shape)}).")
    if not (x.is_floating_point() and y.is_floating_point()):
        raise TypeError(f"{op}: expected floating point operands, got {x.dtype.name} and "
                        f"{y.dtype.name}")


def _apply_convolve_mode(result: Tensor, x_length: int, y_length: int, mode: str) -> Tensor:
    """Cut the full convolution to 'valid' (no zero padding used) or 'same' (``x``'s length,
    centred), as scipy.signal.convolve does."""
    if mode == "full":
        return result
    if mode == "valid":
        target = max(x_length, y_length) - min(x_length, y_length) + 1
    else:
        target = x_length
    start = (result.shape[-1] - target) // 2
    return result[..., start : start + target]


def convolve(x: Tensor, y: Tensor, mode: str = "full") -> Tensor:
    """Convolve along the last dimension, directly (a grouped ``conv1d``).

    Args:
        x: (..., N).
        y: (..., M); the leading dimensions broadcast with ``x``'s.
        mode: 'full' (N + M - 1 outputs, default), 'valid' (max(N, M) - min(N, M) + 1) or
            'same' (N, centred).

    Returns:
        (..., L). Differentiable in both operands.

    Example:
        >>> F.convolve(ember.tensor([1.0, 2.0, 3.0]), ember.tensor([0.0, 1.0, 0.5]))
        tensor([0.0000, 1.0000, 2.5000, 4.0000, 1.5000])
    """
    _check_convolve(x, y, mode, "convolve")
    x_length, y_length = x.shape[-1], y.shape[-1]
    if x_length < y_length:  # convolution commutes; slide the shorter one
        x, y = y, x
    if tuple(x.shape[:-1]) != tuple(y.shape[:-1]):
        lead = [max(i, j) for i, j in zip(x.shape[:-1], y.shape[:-1])]
        x = x.broadcast_to(tuple(lead) + (x.shape[-1],))
        y = y.broadcast_to(tuple(lead) + (y.shape[-1],))
    lead = tuple(x.shape[:-1])
    signals = math.prod(lead)
    flat_x = x.reshape(signals, x.shape[-1])
    flat_y = y.reshape(signals, y.shape[-1])
    # conv1d is a correlation: flip the kernel; one group per signal pairs x_i with y_i
    out = ember.nn.functional.conv1d(flat_x, flat_y.flip(-1).unsqueeze(1), stride=1,
                                     groups=signals, padding=flat_y.shape[-1] - 1)
    return _apply_convolve_mode(out.reshape(lead + (-1,)), x_length, y_length, mode)


def _fft_full(xa, ya):
    """Full linear convolution of the last axes via real FFTs (broadcasting the rest)."""
    xp = xp_of(xa)
    n = xa.shape[-1] + ya.shape[-1] - 1
    out = xp.fft.irfft(xp.fft.rfft(xa, n) * xp.fft.rfft(ya, n), n)
    return out.astype(np.result_type(xa.dtype, ya.dtype), copy=False)


class _FFTConvolve(Function):
    """Full convolution; its adjoints are correlations, themselves FFT convolutions with a
    flipped operand (so gradients of every order reuse this Function)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _make(_fft_full(x._data, y._data))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        n, m = x.shape[-1], y.shape[-1]
        gx = gy = None
        if ctx.needs_input_grad[0]:
            # x_bar[i] = sum_k g[i + k] y[k]: the full convolution with flip(y), offset m - 1
            gx = _FFTConvolve.apply(grad, y.flip(-1))[..., m - 1 : m - 1 + n]
            gx = unbroadcast(gx, x.shape).to(x.dtype)
        if ctx.needs_input_grad[1]:
            gy = _FFTConvolve.apply(grad, x.flip(-1))[..., n - 1 : n - 1 + m]
            gy = unbroadcast(gy, y.shape).to(y.dtype)
        return gx, gy


def fftconvolve(x: Tensor, y: Tensor, mode: str = "full") -> Tensor:
    """Convolve along the last dimension through the FFT (faster than :func:`convolve` for
    long kernels; the same result up to rounding).

    Args:
        x: (..., N).
        y: (..., M); the leading dimensions broadcast with ``x``'s.
        mode: 'full' (default), 'valid' or 'same', as in :func:`convolve`.

    Returns:
        (..., L). Differentiable in both operands.
    """
    _check_convolve(x, y, mode, "fftconvolve")
    result = _FFTConvolve.apply(x, y)
    return _apply_convolve_mode(result, x.shape[-1], y.shape[-1], mode)


def speed(waveform: Tensor, orig_freq: int, factor: float, lengths: Tensor | None = None
          ) -> tuple[Tensor, Tensor | None]:
    """Speed up (``factor`` > 1) or slow down a waveform, changing pitch too, by resampling
    from ``factor * orig_freq`` to ``orig_freq``.

    Args:
        waveform: (..., time), float.
        orig_freq: the waveform's sample rate.
        factor: the speed factor (1.1 plays 10 % faster).
        lengths: (...) valid lengths, or None.

    Returns:
        (waveform (..., new_time), the new lengths ``ceil(lengths * orig / source)`` in
        ``lengths``'s dtype, or None).
    """
    source = int(factor * orig_freq)
    target = int(orig_freq)
    gcd = math.gcd(source, target)
    source, target = source // gcd, target // gcd
    out_lengths = None
    if lengths is not None:
        out_lengths = ember.ceil(lengths * target / source).to(lengths.dtype)
    return resample(waveform, source, target), out_lengths


def dither(waveform: Tensor, density_function: str = "TPDF", noise_shaping: bool = False
           ) -> Tensor:
    """Dither to 16-bit resolution: add a dither term, round to the 16-bit grid, scale back.

    This reproduces torchaudio's algorithm, quirks included: 'TPDF' adds a Bartlett
    (triangular) window over time, a deterministic term; 'RPDF' adds one randomly picked
    sample minus 0.5; 'GPDF' adds the sum of seven randomly picked samples.

    Args:
        waveform: (..., time), float in [-1, 1].
        density_function: 'TPDF' (default), 'RPDF' or 'GPDF'.
        noise_shaping: add the previous sample's quantisation error to each sample (shifts
            the error's spectrum upwards).

    Returns:
        (..., time), on the grid ``k / 2**15``.
    """
    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    channel_size, time_size = flat.shape[0] - 1, flat.shape[1] - 1

    def pick(high: int) -> int:  # torch.randint(high, [1]); 0 where the range is empty
        return int(ember.randint(high, (1,)).item()) if high > 0 else 0

    scaled = flat * (2 ** 15 - 2)
    if density_function == "RPDF":
        scaled = scaled + (flat[pick(channel_size), pick(time_size)] - 0.5)
    elif density_function == "GPDF":
        # torchaudio accumulates into a view of the input (mutating it); Ember sums a copy
        gaussian = flat[pick(channel_size), pick(time_size)]
        for _ in range(6):  # six more random samples (not a loop over data)
            gaussian = gaussian + flat[pick(channel_size), pick(time_size)]
        scaled = scaled + gaussian
    else:
        scaled = scaled + ember.bartlett_window(time_size + 1, dtype=scaled.dtype,
                                                device=scaled.device)
    dithered = (ember.round(scaled) / 2 ** 15).reshape(shape)
    if not noise_shaping:
        return dithered
    error = dithered - waveform
    # noise shaping: y[n] = dithered[n] + error[n - 1] (error[-1] = 0)
    shifted = ember.nn.functional.pad(error[..., :-1], (1, 0))
    return dithered + shifted


def dcshift(waveform: Tensor, shift: float, limiter_gain: float | None = None) -> Tensor:
    """Add a DC offset ``shift`` (SoX ``dcshift``), optionally through a limiter.

    Args:
        waveform: (..., time), float in [-1, 1].
        shift: the offset, in [-2, 2].
        limiter_gain: with a limiter, samples beyond ``1 - (|shift| - limiter_gain)`` on the
            side of the shift are compressed by this gain (e.g. 0.05) instead of clipped.

    Returns:
        (..., time) in [-1, 1].
    """
    # torchaudio writes into the input tensor through boolean masks (breaking autograd and
    # mutating the caller's data); Ember computes the same values with ``where``
    if limiter_gain is None or shift == 0:
        return ember.clamp(waveform + shift, min=-1, max=1)
    threshold = 1.0 - (abs(shift) - limiter_gain)
    plain = ember.clamp(waveform + shift, min=-1, max=1)
    if shift > 0:
        mask = waveform > threshold
        limited = (waveform - threshold) * limiter_gain / (1 - threshold)
        limited = ember.clamp(limited + threshold + shift, max=threshold)
    else:
        mask = waveform < -threshold
        limited = (waveform + threshold) * limiter_gain / (1 - threshold)
        limited = ember.clamp(limited - threshold + shift, min=-threshold)
    return ember.where(mask, limited, plain)


def contrast(waveform: Tensor, enhancement_amount: float = 75.0) -> Tensor:
    """SoX's ``contrast``: ``sin(x pi/2 + c sin(2 pi x))`` with ``c = amount / 750``, a
    compression that makes audio sound louder.

    Args:
        waveform: (..., time), float in [-1, 1].
        enhancement_amount: 0 to 100 (default 75; 0 still reshapes the signal).

    Returns:
        (..., time).
    """
    if not 0 <= enhancement_amount <= 100:
        raise ValueError("Allowed range of values for enhancement_amount : 0-100")
    amount = enhancement_amount / 750.0
    phase = waveform * (math.pi / 2)
    return ember.sin(phase + amount * ember.sin(phase * 4))


def overdrive(waveform: Tensor, gain: float = 20, colour: float = 20) -> Tensor:
    """SoX's ``overdrive``: a soft clipper ``t - t^3/3`` (hard beyond |t| = 1) of the boosted
    signal, DC-blocked and mixed with the dry signal.

    Args:
        waveform: (..., time), float in [-1, 1].
        gain: the drive in dB, 0 to 100 (default 20).
        colour: the amount of even harmonics, 0 to 100 (default 20).

    Returns:
        (..., time), clamped to [-1, 1].
    """
    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    temp = flat * math.exp(gain * math.log(10) / 20) + colour / 200
    shaped = ember.where(temp < -1, -2.0 / 3.0,
                         ember.where(temp > 1, 2.0 / 3.0, temp - temp ** 3 / 3))
    # torchaudio's sample loop is last_out = t[n] - t[n-1] + 0.995 last_out: the DC blocker
    # (1 - z^-1) / (1 - 0.995 z^-1), one lfilter call here
    a = ember.tensor([1.0, -0.995], dtype=flat.dtype, device=flat.device)
    b = ember.tensor([1.0, -1.0], dtype=flat.dtype, device=flat.device)
    blocked = lfilter(shaped, a, b, clamp=False)
    return ember.clamp(flat * 0.5 + blocked * 0.75, min=-1, max=1).reshape(shape)


def spectral_centroid(waveform: Tensor, sample_rate: int, pad: int, window: Tensor,
                      n_fft: int, hop_length: int, win_length: int) -> Tensor:
    """The magnitude-weighted mean frequency of every frame.

    Args:
        waveform: (..., time).
        sample_rate: in Hz.
        pad, window, n_fft, hop_length, win_length: as in ``spectrogram``.

    Returns:
        (..., frames) in Hz. Differentiable in the waveform.
    """
    spec = spectrogram(waveform, pad, window, n_fft, hop_length, win_length, 1.0, False)
    # torchaudio's bins: linspace(0, sample_rate // 2) (integer division, as it writes it)
    freqs = ember.linspace(0, sample_rate // 2, 1 + n_fft // 2,
                           device=spec.device).reshape(-1, 1)
    return (freqs * spec).sum(-2) / spec.sum(-2)


def _cmn_windows(num_frames: int, cmn_window: int, min_cmn_window: int, center: bool):
    """torchaudio's per-frame window [start, end), computed for all frames at once."""
    t = np.arange(num_frames)
    if center:
        start = t - cmn_window // 2
        end = start + cmn_window
    else:
        start = t - cmn_window
        end = t + 1
    end = np.where(start < 0, end - start, end)
    start = np.maximum(start, 0)
    if not center:
        end = np.where(end > t, np.maximum(t + 1, min_cmn_window), end)
    over = end > num_frames
    start = np.where(over, np.maximum(start - (end - num_frames), 0), start)
    end = np.minimum(end, num_frames)
    return start, end


def sliding_window_cmn(specgram: Tensor, cmn_window: int = 600, min_cmn_window: int = 100,
                       center: bool = False, norm_vars: bool = False) -> Tensor:
    """Sliding-window cepstral mean (and variance) normalisation, as Kaldi's
    ``apply-cmvn-sliding``.

    Each frame has the mean of its window subtracted (and, with ``norm_vars``, is divided by
    the window's standard deviation). The window is the ``cmn_window`` frames before the
    frame (or centred on it), at least ``min_cmn_window`` frames long at the start. torchaudio
    updates running sums frame by frame; here every window sum is a difference of cumulative
    sums, for all frames at once.

    Args:
        specgram: (..., time, freq).
        cmn_window: window length in frames (default 600).
        min_cmn_window: minimum window at the start (default 100; non-centred only).
        center: centre the window on the frame.
        norm_vars: normalise the variance too.

    Returns:
        (..., time, freq). Differentiable.
    """
    shape = specgram.shape
    num_frames, num_feats = shape[-2], shape[-1]
    x = specgram.reshape(-1, num_frames, num_feats)
    start, end = _cmn_windows(num_frames, cmn_window, min_cmn_window, center)
    count = ember.tensor((end - start)[:, None], dtype=x.dtype, device=x.device)
    start_idx = ember.tensor(start, device=x.device)
    end_idx = ember.tensor(end, device=x.device)
    zero = ember.zeros(x.shape[0], 1, num_feats, dtype=x.dtype, device=x.device)

    def window_sums(values: Tensor) -> Tensor:
        cum = ember.cat([zero, ember.cumsum(values, 1)], 1)
        return cum.index_select(1, end_idx) - cum.index_select(1, start_idx)

    total = window_sums(x)
    out = x - total / count
    if norm_vars:
        variance = window_sums(x * x) / count - total * total / (count * count)
        single = count == 1  # torchaudio outputs zeros for one-frame windows
        variance = ember.where(single, 1.0, variance)
        out = ember.where(single, 0.0, out * variance ** -0.5)
    return out.reshape(shape)


def _nccf(x, sample_rate: int, frame_time: float, freq_low: int):
    """torchaudio's normalised cross-correlation: (B, frames, lags) for lags 1..ceil(sr /
    freq_low): ``<s1, s2> / (eps + |s1|)^2 / (eps + |s2|)^2`` (its formula, squared norms
    included). The dot products for all lags are one FFT correlation per frame."""
    xp = xp_of(x)
    eps = 1e-9
    lags = int(math.ceil(sample_rate / freq_low))
    frame_size = int(math.ceil(sample_rate * frame_time))
    length = x.shape[-1]
    num_frames = int(math.ceil(length / frame_size))
    pad = lags + num_frames * frame_size - length
    x = xp.concatenate([x, xp.zeros((x.shape[0], pad), x.dtype)], axis=-1)
    starts = xp.arange(num_frames) * frame_size
    s1 = x[:, : num_frames * frame_size].reshape(x.shape[0], num_frames, frame_size)
    seg = x[:, starts[:, None] + xp.arange(frame_size + lags)]  # (B, frames, fs + lags)
    n = frame_size + lags  # seg[j + lag] never wraps for j < fs, lag <= lags
    corr = xp.fft.irfft(xp.fft.rfft(seg, n) * xp.conj(xp.fft.rfft(s1, n)), n)
    dots = corr[..., 1 : lags + 1]
    energy = xp.concatenate([xp.zeros((x.shape[0], 1)), xp.cumsum(x.astype(np.float64) ** 2,
                                                                   -1)], -1)
    lag_starts = starts[:, None] + xp.arange(1, lags + 1)  # (frames, lags)
    e2 = energy[:, lag_starts + frame_size] - energy[:, lag_starts]
    e1 = (energy[:, starts + frame_size] - energy[:, starts])[..., None]
    norm2 = (eps + xp.sqrt(xp.maximum(e2, 0))) ** 2
    norm1 = (eps + xp.sqrt(xp.maximum(e1, 0))) ** 2
    return dots / norm1 / norm2


def detect_pitch_frequency(waveform: Tensor, sample_rate: int, frame_time: float = 10 ** (-2),
                           win_length: int = 30, freq_low: int = 85, freq_high: int = 3400
                           ) -> Tensor:
    """Pitch per frame from the normalised cross-correlation function (NCCF), median smoothed.

    Args:
        waveform: (..., time).
        sample_rate: in Hz.
        frame_time: frame duration in seconds (default 10 ms).
        win_length: the median filter's window in frames (default 30).
        freq_low: lowest detectable frequency (default 85 Hz).
        freq_high: highest detectable frequency (default 3400 Hz).

    Returns:
        (..., frames) pitch in Hz (float32), frames = ceil(time / frame) + (win_length - 1)
        // 2 - win_length + 1. Not differentiable (an argmax), as in torchaudio.
    """
    shape = waveform.shape
    data = waveform.detach().reshape(-1, shape[-1])._data
    xp = xp_of(data)
    nccf = _nccf(data, sample_rate, frame_time, freq_low)
    # the smallest lag whose value is within 1 % of the maximum (in the lower half of lags)
    lag_min = int(math.ceil(sample_rate / freq_high))
    half_size = nccf.shape[-1] // 2
    best = nccf[..., lag_min:]
    half = nccf[..., lag_min:half_size]
    if half.shape[-1] == 0:
        raise ValueError(f"detect_pitch_frequency: no lags between sample_rate / freq_high = "
                         f"{lag_min} and half of sample_rate / freq_low = {half_size}; lower "
                         f"freq_low or raise freq_high")
    best_val, best_idx = best.max(-1), best.argmax(-1)
    half_val, half_idx = half.max(-1), half.argmax(-1)
    indices = xp.where(half_val > 0.99 * best_val, half_idx, best_idx) + lag_min + 1
    # median smoothing: left-pad with the first value, lower median of each window
    pad = (win_length - 1) // 2
    indices = xp.concatenate([xp.repeat(indices[:, :1], pad, axis=1), indices], axis=1)
    count = indices.shape[-1] - win_length + 1
    windows = indices[:, xp.arange(max(count, 0))[:, None] + xp.arange(win_length)]
    smoothed = xp.sort(windows, axis=-1)[..., (win_length - 1) // 2]
    freq = sample_rate / (1e-9 + smoothed.astype(np.float32))
    return _make(freq.astype(np.float32).reshape(tuple(shape[:-1]) + (freq.shape[-1],)))


_LOUDNESS_CHANNEL_WEIGHTS = [1.0, 1.0, 1.0, 1.41, 1.41]  # L, R, C, Ls, Rs (BS.1770-4 G_i)


def loudness(waveform: Tensor, sample_rate: int) -> Tensor:
    """Integrated loudness in LUFS (ITU-R BS.1770-4).

    K-weighting (a +4 dB treble shelf at 1.5 kHz, then a 38 Hz high-pass), mean-square
    energy of 400 ms blocks overlapping 75 %, channel weights (1, 1, 1, 1.41, 1.41), then
    an absolute gate at -70 LUFS and a relative gate 10 LU below the absolutely gated
    loudness.

    Args:
        waveform: (..., channels, time), at most 5 channels.
        sample_rate: in Hz.

    Returns:
        (...) loudness. Differentiable in the waveform.
    """
    if waveform.ndim < 2:
        raise ValueError(f"loudness: expected a (..., channels, time) waveform, got shape "
                         f"{tuple(waveform.shape)}")
    if waveform.shape[-2] > 5:
        raise ValueError("Only up to 5 channels are supported.")
    gate_samples = int(round(0.4 * sample_rate))
    step = int(round(gate_samples * (1 - 0.75)))
    weighted = treble_biquad(waveform, sample_rate, 4.0, 1500.0, 1 / math.sqrt(2))
    weighted = highpass_biquad(weighted, sample_rate, 38.0, 0.5)
    n_blocks = (weighted.shape[-1] - gate_samples) // step + 1
    if n_blocks < 1:
        raise ValueError(f"loudness: the waveform ({weighted.shape[-1]} samples) is shorter "
                         f"than one 400 ms gating block ({gate_samples} samples)")
    index = ember.tensor(np.arange(n_blocks)[:, None] * step + np.arange(gate_samples),
                         device=waveform.device)
    energy = (weighted * weighted)[..., index].mean(-1)  # (..., channels, blocks)
    g = ember.tensor(_LOUDNESS_CHANNEL_WEIGHTS[: energy.shape[-2]], dtype=waveform.dtype,
                     device=waveform.device)
    block_loudness = -0.691 + 10 * ember.log10((g.unsqueeze(-1) * energy).sum(-2))

    def gated_loudness(gate: Tensor) -> Tensor:
        gate = gate.unsqueeze(-2)
        mean_energy = (gate * energy).sum(-1) / ember.count_nonzero(gate, dim=-1)
        return -0.691 + 10 * ember.log10((g * mean_energy).sum(-1))

    absolute = block_loudness > -70.0
    gamma_rel = gated_loudness(absolute) - 10
    relative = ember.logical_and(absolute, block_loudness > gamma_rel.unsqueeze(-1))
    return gated_loudness(relative)
