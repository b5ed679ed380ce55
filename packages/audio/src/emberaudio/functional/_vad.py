"""Voice activity detection: a port of SoX's ``vad`` effect as torchaudio's
``functional.vad`` implements it (same arguments, defaults and trimming arithmetic).

Every ``1 / measure_freq`` seconds a window of ``measure_duration`` seconds is measured:
Hann-windowed power spectrum, smoothed over time, minus an adaptive noise estimate, then the
power of a band of its cepstrum (``log`` + 21, floored at 0). A running mean of the
measurements above ``trigger_level`` triggers; the output starts at the trigger point, moved
back over quieter bursts within ``search_time`` (gaps up to ``allowed_gap``) and
``pre_trigger_time``.

The recursion over windows is inherently sequential (each window updates the smoothed
spectra), so it is a loop over windows (20 per second by default), vectorised over channels
and frequency bins; the FFTs of all windows are computed in one batched call up front. The
arithmetic is float32, as torchaudio's buffers are.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ember import Tensor
from ember._tensor import _make
from ember.ops._util import xp_of

__all__ = ["vad"]

_BLOCK = 256  # measurement windows per batched FFT


def _hann(n: int, xp):
    # torch.hann_window's default periodic form: 0.5 - 0.5 cos(2 pi k / n)
    return (0.5 - 0.5 * xp.cos(2 * math.pi * xp.arange(n) / n)).astype(xp.float32)


def vad(waveform: Tensor, sample_rate: int, trigger_level: float = 7.0,
        trigger_time: float = 0.25, search_time: float = 1.0, allowed_gap: float = 0.25,
        pre_trigger_time: float = 0.0, boot_time: float = 0.35, noise_up_time: float = 0.1,
        noise_down_time: float = 0.01, noise_reduction_amount: float = 1.35,
        measure_freq: float = 20.0, measure_duration: float | None = None,
        measure_smooth_time: float = 0.4, hp_filter_freq: float = 50.0,
        lp_filter_freq: float = 6000.0, hp_lifter_freq: float = 150.0,
        lp_lifter_freq: float = 2000.0) -> Tensor:
    """Trim silence and quiet background sound from the front of a speech recording (SoX's
    ``vad``). To trim the end too, flip the audio, apply again and flip back.

    Args:
        waveform: ``(time,)`` or ``(channels, time)``; channels are one recording of the same
            event: the output is trimmed at the earliest activity in any channel.
        sample_rate: the sampling rate in Hz.
        trigger_level: measurement level that triggers detection (7.0).
        trigger_time: time constant (s) that ignores short bursts (0.25).
        search_time: audio (s) searched for quieter/shorter bursts before the trigger (1.0).
        allowed_gap: allowed gap (s) between those bursts (0.25).
        pre_trigger_time: audio (s) kept before the trigger point and bursts (0.0).
        boot_time: time (s) of the initial noise estimate (0.35).
        noise_up_time, noise_down_time: time constants of the adaptive noise estimate when
            the noise rises / falls (0.1, 0.01).
        noise_reduction_amount: noise reduction in the detector (1.35).
        measure_freq: measurements per second (20.0).
        measure_duration: window length in s (default twice the period: 50 % overlap).
        measure_smooth_time: time constant of the spectral smoothing (0.4).
        hp_filter_freq, lp_filter_freq: brick-wall band of the detector's spectrum (50, 6000).
        hp_lifter_freq, lp_lifter_freq: brick-wall band of its lifter (150, 2000).

    Returns:
        ``(..., time')``: the waveform from the detected start; empty along time when nothing
        triggers.

    Example:
        >>> trimmed = vad(waveform, 16000)           # leading silence removed
    """
    if waveform.ndim > 2:
        warnings.warn(f"vad: expected input tensor dimension of 1 for single channel or 2 for "
                      f"multi-channel. Got {waveform.ndim} instead. Batch semantics is not "
                      f"supported: the leading dimensions are treated as channels of one "
                      f"recording; call vad per item for a batch.", stacklevel=2)
    if measure_duration is None:
        measure_duration = 2.0 / measure_freq
    measure_len_ws = int(sample_rate * measure_duration + 0.5)
    measure_len_ns = measure_len_ws
    dft_len_ws = 16
    while dft_len_ws < measure_len_ws:  # the next power of two, at least 16 (SoX)
        dft_len_ws *= 2
    measure_period_ns = int(sample_rate / measure_freq + 0.5)
    measures_len = math.ceil(search_time * measure_freq)
    search_pre_trigger_len_ns = measures_len * measure_period_ns
    gap_len = int(allowed_gap * measure_freq + 0.5)
    fixed_pre_trigger_len_ns = int(pre_trigger_time * sample_rate + 0.5)
    samples_len_ns = fixed_pre_trigger_len_ns + search_pre_trigger_len_ns + measure_len_ns

    spectrum_start = max(int(hp_filter_freq / sample_rate * dft_len_ws + 0.5), 1)
    spectrum_end = min(int(lp_filter_freq / sample_rate * dft_len_ws + 0.5), dft_len_ws // 2)
    cepstrum_start = math.ceil(sample_rate * 0.5 / lp_lifter_freq)
    cepstrum_end = min(math.floor(sample_rate * 0.5 / hp_lifter_freq), dft_len_ws // 4)
    if cepstrum_end <= cepstrum_start:
        raise ValueError(f"vad: expected cepstrum_start to be smaller than cepstrum_end. Found: "
                         f"cepstrum_start: {cepstrum_start}, cepstrum_end: {cepstrum_end}; "
                         f"widen the lifter band (hp_lifter_freq < lp_lifter_freq) or raise "
                         f"measure_duration")

    shape = tuple(waveform.shape)
    data = waveform.detach().reshape(-1, shape[-1])._data
    xp = xp_of(data)
    n_channels, ilen = data.shape

    f32 = xp.float32
    spectrum_window = (xp.full(measure_len_ws, 2.0 / math.sqrt(measure_len_ws), dtype=f32)
                       * _hann(measure_len_ws, xp))
    n_bins = spectrum_end - spectrum_start
    cepstrum_window = xp.full(n_bins, 2.0 / math.sqrt(n_bins), dtype=f32) * _hann(n_bins, xp)
    noise_up = np.float32(math.exp(-1.0 / (noise_up_time * measure_freq)))
    noise_down = np.float32(math.exp(-1.0 / (noise_down_time * measure_freq)))
    smooth_mult = math.exp(-1.0 / (measure_smooth_time * measure_freq))
    trigger_mult = math.exp(-1.0 / (trigger_time * measure_freq))
    boot_count_max = int(boot_time * measure_freq - 0.5)

    ends = list(range(measure_len_ns, ilen, measure_period_ns))
    if not ends:
        return _make(data[:, :0].reshape(shape[:-1] + (0,)))
    data32 = data.astype(f32)

    def magnitude_block(first: int):
        # The magnitude spectra of _BLOCK windows in one batched FFT: (windows, channels,
        # bins); blocks bound the memory on long recordings (VAD usually stops early).
        starts = xp.asarray(ends[first:first + _BLOCK])[:, None] - measure_len_ws
        frames = data32[:, starts + xp.arange(measure_len_ws)].transpose(1, 0, 2)
        spec = xp.fft.rfft(frames * spectrum_window, n=dft_len_ws, axis=-1)
        return xp.abs(spec[..., spectrum_start:spectrum_end]).astype(f32)

    spectrum = xp.zeros((n_channels, n_bins), dtype=f32)
    noise_spectrum = xp.zeros((n_channels, n_bins), dtype=f32)
    mean_meas = np.zeros(n_channels, dtype=np.float32)
    measures = np.zeros((n_channels, measures_len), dtype=np.float32)
    boot_count = measures_index = flushed_len_ns = num_measures_to_flush = 0
    cep_buf = xp.zeros((n_channels, dft_len_ws >> 1), dtype=f32)
    has_triggered = False
    pos = 0
    for w, pos in enumerate(ends):  # noqa: B007  (over windows: a sequential recursion)
        if w % _BLOCK == 0:
            magnitudes = magnitude_block(w)
        mult = boot_count / (1.0 + boot_count) if boot_count >= 0 else smooth_mult
        spectrum = (spectrum * f32(mult) + magnitudes[w % _BLOCK] * f32(1 - mult)).astype(f32)
        power = spectrum ** 2
        if boot_count >= 0:
            noise_spectrum = power  # mult 0 during boot: the estimate is the current power
        else:
            nm = xp.where(power > noise_spectrum, noise_up, noise_down)
            noise_spectrum = (noise_spectrum * nm + power * (1 - nm)).astype(f32)
        cleaned = xp.sqrt(xp.maximum(0, power - f32(noise_reduction_amount) * noise_spectrum))
        cep_buf[:, spectrum_start:spectrum_end] = cleaned * cepstrum_window
        cepstrum = xp.fft.rfft(cep_buf, axis=-1)[:, cepstrum_start:cepstrum_end]
        power_sum = xp.sum(xp.abs(cepstrum.astype(xp.complex64)) ** 2, axis=-1).astype(f32)
        result = getattr(xp, "asnumpy", np.asarray)(power_sum).astype(np.float64)
        with np.errstate(divide="ignore"):
            meas = np.where(result > 0, np.log(result / (cepstrum_end - cepstrum_start)),
                            -np.inf)
        meas = np.maximum(0.0, 21 + meas)
        measures[:, measures_index] = meas
        # The channels in order, as SoX: once one triggers, the later ones in this window
        # still extend the search (num_measures_to_flush).
        for i in range(n_channels):  # over channels only at the trigger check (scalars)
            mean_meas[i] = mean_meas[i] * trigger_mult + meas[i] * (1.0 - trigger_mult)
            has_triggered = has_triggered or bool(mean_meas[i] >= trigger_level)
            if has_triggered:
                num_measures_to_flush = _flush_count(measures[i], measures_index,
                                                     trigger_level, gap_len,
                                                     num_measures_to_flush)
        measures_index = (measures_index + 1) % measures_len
        if boot_count >= 0:
            boot_count = -1 if boot_count == boot_count_max else boot_count + 1
        if has_triggered:
            flushed_len_ns = (measures_len - num_measures_to_flush) * measure_period_ns
            break
    if not has_triggered:
        return _make(data[:, :0].reshape(shape[:-1] + (0,)))
    # torchaudio slices from pos - samples_len_ns + flushed_len_ns; a negative start counts
    # from the end (Python slicing), kept for identical results.
    res = data[:, pos - samples_len_ns + flushed_len_ns:]
    return _make(res.reshape(shape[:-1] + res.shape[-1:]))


def _flush_count(measures, index: int, trigger_level: float, gap_len: int, current: int) -> int:
    """How many measurement periods before the trigger to keep: walk back from the newest
    measure; each one above ``trigger_level`` within ``gap_len`` of the last moves the start
    there, a zero measure after it ends the search (SoX's flush logic)."""
    n = len(measures)
    k = index
    j_trigger = j_zero = n
    j = 0
    for j in range(n):  # over at most search_time * measure_freq (20) scalars
        if measures[k] >= trigger_level and j <= j_trigger + gap_len:
            j_zero = j_trigger = j
        elif measures[k] == 0 and j_trigger >= j_zero:
            j_zero = j
        k = (k + n - 1) % n
    j = min(j, j_zero)
    return min(max(current, j), n)
