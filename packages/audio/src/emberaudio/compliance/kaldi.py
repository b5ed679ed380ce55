"""Kaldi-compatible features: ``spectrogram``, ``fbank`` and ``mfcc`` (torchaudio.compliance.kaldi).

The algorithm is Kaldi's ``feature-window.cc`` / ``mel-computations.cc`` as torchaudio ports it:

1. cut the (one-channel) waveform into frames of ``frame_length`` ms every ``frame_shift`` ms
   (``snip_edges=False``: frames centred on ``f * shift + shift / 2``, reflecting at the ends);
2. per frame: optional dither, remove the DC offset, (raw) log energy, pre-emphasis
   ``x[t] - k x[t-1]`` (with ``x[-1] = x[0]``), a window (Kaldi's default 'povey' is
   ``hann ** 0.85``), zero-padding to a power of two, the FFT;
3. spectrogram: ``log |X|^2`` with the log energy in bin 0; fbank: triangular filters evenly
   spaced on Kaldi's mel scale ``1127 ln(1 + f / 700)``, then ``log``; mfcc: the orthonormal
   DCT of the log fbank with the first basis row ``sqrt(1 / n)``, then sinusoidal liftering.

Every step is an Ember op, so the features are differentiable in the waveform. Framing is one
gather with a (frames, samples) index array, so no Python loop runs over frames.

Differences from torchaudio: the filter banks and DCT are computed in float64 and cast to the
waveform's dtype (torchaudio builds them in float32); invalid options raise
:class:`KaldiOptionError`, a ``ValueError`` that is also an ``AssertionError`` (torchaudio's
bare ``assert`` statements raise the latter).
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import Tensor

__all__ = [
    "get_mel_banks",
    "inverse_mel_scale",
    "inverse_mel_scale_scalar",
    "mel_scale",
    "mel_scale_scalar",
    "spectrogram",
    "fbank",
    "mfcc",
    "vtln_warp_freq",
    "vtln_warp_mel_freq",
]

# Kaldi floors energies at std::numeric_limits<float>::epsilon() whatever the dtype
_EPSILON = float(np.finfo(np.float32).eps)
_MS = 0.001
_WINDOWS = ("hamming", "hanning", "povey", "rectangular", "blackman")


class KaldiOptionError(ValueError, AssertionError):
    """An invalid Kaldi feature option (a ValueError; also an AssertionError, which is what
    torchaudio's ``assert`` checks raise, so code catching either keeps working)."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise KaldiOptionError(message)


# ---------------------------------------------------------------------------------------------
# Mel scale and VTLN warping
# ---------------------------------------------------------------------------------------------


def mel_scale_scalar(freq: float) -> float:
    """Kaldi's mel scale of one frequency in Hz: ``1127 ln(1 + f / 700)``."""
    return 1127.0 * math.log(1.0 + freq / 700.0)


def inverse_mel_scale_scalar(mel_freq: float) -> float:
    """The inverse of :func:`mel_scale_scalar`: ``700 (exp(m / 1127) - 1)`` Hz."""
    return 700.0 * (math.exp(mel_freq / 1127.0) - 1.0)


def mel_scale(freq: Tensor) -> Tensor:
    """Kaldi's mel scale ``1127 ln(1 + f / 700)``, elementwise on a tensor of Hz."""
    return 1127.0 * (1.0 + freq / 700.0).log()


def inverse_mel_scale(mel_freq: Tensor) -> Tensor:
    """The inverse of :func:`mel_scale`: ``700 (exp(m / 1127) - 1)``, elementwise."""
    return 700.0 * ((mel_freq / 1127.0).exp() - 1.0)


def _vtln_warp_freq(vtln_low, vtln_high, low_freq, high_freq, warp, freq: np.ndarray):
    """Kaldi's piecewise-linear VTLN warp on an array of Hz (mel-computations.cc).

    Three lines: through (low_freq, low_freq) and (l, l / warp) below ``l``; slope ``1 / warp``
    between ``l`` and ``h``; through (h, h / warp) and (high_freq, high_freq) above ``h``, with
    ``l = vtln_low max(1, warp)`` and ``h = vtln_high min(1, warp)``, so the warp is continuous
    and keeps the band edges fixed. Frequencies outside [low_freq, high_freq] are unchanged.
    """
    _check(vtln_low > low_freq, "vtln_warp_freq: be sure to set the vtln_low option higher than "
                                f"low_freq (got vtln_low={vtln_low}, low_freq={low_freq})")
    _check(vtln_high < high_freq, "vtln_warp_freq: be sure to set the vtln_high option lower "
                                  f"than high_freq [or negative] (got vtln_high={vtln_high}, "
                                  f"high_freq={high_freq})")
    low = vtln_low * max(1.0, warp)
    high = vtln_high * min(1.0, warp)
    scale = 1.0 / warp
    _check(low > low_freq and high < high_freq,
           f"vtln_warp_freq: the warped cut-offs ({low}, {high}) must lie inside "
           f"({low_freq}, {high_freq}); use a warp factor nearer 1")
    scale_left = (scale * low - low_freq) / (low - low_freq)
    scale_right = (high_freq - scale * high) / (high_freq - high)
    res = np.where(freq < high, scale * freq, high_freq + scale_right * (freq - high_freq))
    res = np.where(freq < low, low_freq + scale_left * (freq - low_freq), res)
    return np.where((freq < low_freq) | (freq > high_freq), freq, res)


def vtln_warp_freq(vtln_low_cutoff: float, vtln_high_cutoff: float, low_freq: float,
                   high_freq: float, vtln_warp_factor: float, freq: Tensor) -> Tensor:
    """Warp frequencies (Hz) with Kaldi's piecewise-linear vocal-tract-length normalisation.

    Args:
        vtln_low_cutoff, vtln_high_cutoff: the inflection points (Hz) of the warp.
        low_freq, high_freq: the band kept fixed at its edges (Hz).
        vtln_warp_factor: the warp; frequencies between the cut-offs are divided by it.
        freq: the frequencies to warp.

    Returns:
        the warped frequencies, same shape and dtype (not differentiable: a constant map).
    """
    out = _vtln_warp_freq(vtln_low_cutoff, vtln_high_cutoff, low_freq, high_freq,
                          vtln_warp_factor, freq.detach().numpy(force=True).astype(np.float64))
    return ember.tensor(out, dtype=freq.dtype)


def vtln_warp_mel_freq(vtln_low_cutoff: float, vtln_high_cutoff: float, low_freq: float,
                       high_freq: float, vtln_warp_factor: float, mel_freq: Tensor) -> Tensor:
    """:func:`vtln_warp_freq` on the mel scale: ``mel(warp(inverse_mel(m)))``."""
    hz = 700.0 * np.expm1(mel_freq.detach().numpy(force=True).astype(np.float64) / 1127.0)
    warped = _vtln_warp_freq(vtln_low_cutoff, vtln_high_cutoff, low_freq, high_freq,
                             vtln_warp_factor, hz)
    return ember.tensor(1127.0 * np.log1p(warped / 700.0), dtype=mel_freq.dtype)


def _mel_banks(num_bins, window_length_padded, sample_freq, low_freq, high_freq, vtln_low,
               vtln_high, vtln_warp_factor):
    """The filters as float64 arrays: (num_bins, window_length_padded // 2), (num_bins,)."""
    _check(num_bins > 3, f"get_mel_banks: must have at least 3 mel bins, got {num_bins}")
    _check(window_length_padded % 2 == 0,
           f"get_mel_banks: window_length_padded must be even, got {window_length_padded}")
    num_fft_bins = window_length_padded // 2
    nyquist = 0.5 * sample_freq
    if high_freq <= 0.0:  # Kaldi: a non-positive high_freq is an offset from Nyquist
        high_freq += nyquist
    _check(0.0 <= low_freq < nyquist and 0.0 < high_freq <= nyquist and low_freq < high_freq,
           f"Bad values in options: low-freq {low_freq} and high-freq {high_freq} vs. nyquist "
           f"{nyquist}")
    fft_bin_width = sample_freq / window_length_padded
    mel_low, mel_high = mel_scale_scalar(low_freq), mel_scale_scalar(high_freq)
    delta = (mel_high - mel_low) / (num_bins + 1)  # num_bins + 2 equally spaced mel points
    if vtln_high < 0.0:
        vtln_high += nyquist
    _check(vtln_warp_factor == 1.0 or (low_freq < vtln_low < high_freq
                                       and 0.0 < vtln_high < high_freq and vtln_low < vtln_high),
           f"Bad values in options: vtln-low {vtln_low} and vtln-high {vtln_high}, versus "
           f"low-freq {low_freq} and high-freq {high_freq}")
    b = np.arange(num_bins, dtype=np.float64)[:, None]
    left, center, right = (mel_low + (b + i) * delta for i in range(3))
    if vtln_warp_factor != 1.0:
        def warp(m):
            hz = _vtln_warp_freq(vtln_low, vtln_high, low_freq, high_freq, vtln_warp_factor,
                                 700.0 * np.expm1(m / 1127.0))
            return 1127.0 * np.log1p(hz / 700.0)

        left, center, right = warp(left), warp(center), warp(right)
    center_freqs = 700.0 * np.expm1(center[:, 0] / 1127.0)
    mel = 1127.0 * np.log1p(fft_bin_width * np.arange(num_fft_bins) / 700.0)[None, :]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    if vtln_warp_factor == 1.0:
        bins = np.maximum(0.0, np.minimum(up, down))
    else:  # warped triangles may be asymmetric; Kaldi picks the side by the mel position
        bins = np.where((mel > left) & (mel <= center), up, 0.0)
        bins = np.where((mel > center) & (mel < right), down, bins)
    return bins, center_freqs


def get_mel_banks(num_bins: int, window_length_padded: int, sample_freq: float,
                  low_freq: float, high_freq: float, vtln_low: float, vtln_high: float,
                  vtln_warp_factor: float) -> tuple[Tensor, Tensor]:
    """Kaldi's triangular mel filters over the FFT bins.

    Args:
        num_bins: the number of filters (> 3).
        window_length_padded: the FFT size (even).
        sample_freq: the sample rate (Hz).
        low_freq, high_freq: the band; ``high_freq <= 0`` is an offset from Nyquist.
        vtln_low, vtln_high, vtln_warp_factor: VTLN warping (``vtln_high < 0``: an offset from
            Nyquist); factor 1.0 disables it.

    Returns:
        ``(bins, center_freqs)``: (num_bins, window_length_padded // 2) filter weights (the
        Nyquist bin is not included) and the (num_bins,) centre frequencies in Hz, in the
        default dtype.
    """
    bins, centers = _mel_banks(num_bins, window_length_padded, sample_freq, low_freq, high_freq,
                               vtln_low, vtln_high, vtln_warp_factor)
    return ember.tensor(bins, dtype=ember.get_default_dtype()), ember.tensor(
        centers, dtype=ember.get_default_dtype())


# ---------------------------------------------------------------------------------------------
# Framing and the per-frame processing
# ---------------------------------------------------------------------------------------------


def _window_function(window_type, size, blackman_coeff) -> np.ndarray:
    """Kaldi's symmetric analysis windows (float64)."""
    n = np.arange(size, dtype=np.float64)
    a = 2 * math.pi / (size - 1)
    if window_type == "hanning":
        return 0.5 - 0.5 * np.cos(a * n)
    if window_type == "hamming":
        return 0.54 - 0.46 * np.cos(a * n)
    if window_type == "povey":  # Dan Povey's window: like Hann but does not go to zero
        return (0.5 - 0.5 * np.cos(a * n)) ** 0.85
    if window_type == "rectangular":
        return np.ones(size)
    if window_type == "blackman":  # the generalised Blackman window
        return blackman_coeff - 0.5 * np.cos(a * n) + (0.5 - blackman_coeff) * np.cos(2 * a * n)
    raise KaldiOptionError(f"Invalid window type {window_type!r}; expected one of {_WINDOWS}")


def _frame_indices(num_samples: int, size: int, shift: int, snip_edges: bool) -> np.ndarray:
    """(frames, size) sample indices of each frame.

    snip_edges: only frames that fit, frame ``f`` starts at ``f * shift``. Otherwise
    ``(num_samples + shift // 2) // shift`` frames starting at ``f * shift + shift // 2 -
    size // 2``, reflecting out-of-range indices about the edges with the edge sample repeated:
    ``-1 -> 0``, ``n -> n - 1`` (Kaldi's ExtractWindow).
    """
    if snip_edges:
        count = 1 + (num_samples - size) // shift if num_samples >= size else 0
        start = 0
    else:
        count = (num_samples + shift // 2) // shift
        start = shift // 2 - size // 2
    idx = start + shift * np.arange(count)[:, None] + np.arange(size)[None, :]
    if not snip_edges:
        idx = np.where(idx < 0, -idx - 1, idx)
        idx = np.where(idx >= num_samples, 2 * num_samples - 1 - idx, idx)
    return idx


def _log_energy(frames: Tensor, energy_floor: float) -> Tensor:
    energy = frames.pow(2).sum(1).clamp(min=_EPSILON).log()
    if energy_floor == 0.0:
        return energy
    return energy.clamp(min=math.log(energy_floor))


def _prepare(op, waveform, channel, sample_frequency, frame_shift, frame_length,
             round_to_power_of_two, preemphasis_coefficient):
    """Pick the channel and turn the options into sample counts (validated once, here)."""
    if not isinstance(waveform, Tensor) or waveform.ndim != 2:
        shape = list(waveform.shape) if isinstance(waveform, Tensor) else type(waveform).__name__
        raise KaldiOptionError(f"{op}: expected a (channels, samples) waveform, got {shape}; "
                               f"use waveform.unsqueeze(0) for a 1-D signal")
    if not waveform.is_floating_point():
        raise TypeError(f"{op}: expected a floating-point waveform, got {waveform.dtype}; "
                        f"convert with .float()")
    channel = max(channel, 0)
    _check(channel < waveform.shape[0],
           f"{op}: Invalid channel {channel} for size {waveform.shape[0]}")
    signal = waveform[channel]
    shift = int(sample_frequency * frame_shift * _MS)
    size = int(sample_frequency * frame_length * _MS)
    padded = 1 if size == 0 else 2 ** (size - 1).bit_length()
    padded = padded if round_to_power_of_two else size
    _check(2 <= size <= signal.shape[0],
           f"{op}: choose a window size {size} that is [2, {signal.shape[0]}] (frame_length "
           f"{frame_length} ms at {sample_frequency} Hz; the signal has {signal.shape[0]} "
           f"samples)")
    _check(0 < shift, f"{op}: `window_shift` must be greater than 0 (frame_shift "
                      f"{frame_shift} ms at {sample_frequency} Hz)")
    _check(padded % 2 == 0, f"{op}: the padded `window_size` must be divisible by two. use "
                            f"`round_to_power_of_two` or change `frame_length`")
    _check(0.0 <= preemphasis_coefficient <= 1.0,
           f"{op}: `preemphasis_coefficient` must be between [0,1], got "
           f"{preemphasis_coefficient}")
    _check(sample_frequency > 0, f"{op}: `sample_frequency` must be greater than zero")
    return signal, shift, size, padded


def _windowed_frames(signal, padded, size, shift, window_type, blackman_coeff, snip_edges,
                     raw_energy, energy_floor, dither, remove_dc_offset, preemphasis):
    """(frames, padded) windowed frames and their (frames,) log energy."""
    idx = _frame_indices(signal.shape[0], size, shift, snip_edges)
    frames = signal[ember.tensor(idx).to(signal.device)]
    if dither != 0.0:
        frames = frames + ember.randn(frames.shape, dtype=frames.dtype,
                                      device=frames.device) * dither
    if remove_dc_offset:
        frames = frames - frames.mean(dim=1, keepdim=True)
    if raw_energy:
        log_energy = _log_energy(frames, energy_floor)
    if preemphasis != 0.0:  # x[t] - k x[t - 1], with x[-1] = x[0] (replicate padding)
        previous = ember.cat([frames[:, :1], frames[:, :-1]], dim=1)
        frames = frames - preemphasis * previous
    window = _window_function(window_type, size, blackman_coeff)
    frames = frames * ember.tensor(window, dtype=frames.dtype, device=frames.device)
    if padded != size:
        zeros = ember.zeros(frames.shape[0], padded - size, dtype=frames.dtype,
                            device=frames.device)
        frames = ember.cat([frames, zeros], dim=1)
    if not raw_energy:
        log_energy = _log_energy(frames, energy_floor)
    return frames, log_energy


def _rfft(frames: Tensor) -> Tensor:
    """The rfft of each row: ``ember.stft`` with one rectangular frame per row (hop = n)."""
    n = frames.shape[1]
    spec = ember.stft(frames, n, hop_length=n, center=False, return_complex=True)
    return spec[..., 0]  # (frames, n // 2 + 1)


def _subtract_column_mean(features: Tensor, subtract_mean: bool) -> Tensor:
    return features - features.mean(dim=0, keepdim=True) if subtract_mean else features


_COMMON_ARGS = """
        blackman_coeff: the generalised Blackman window's coefficient. Default 0.42.
        channel: the channel to use (-1 means the first). Default -1.
        dither: Gaussian noise of this standard deviation added to every sample (0: none;
            with 0, keep ``energy_floor`` > 0). Default 0.0.
        energy_floor: floor on the log energy, as ``log(energy_floor)`` (0: none). Default 1.0.
        frame_length: frame length in ms. Default 25.0.
        frame_shift: frame shift in ms. Default 10.0.
        min_duration: shorter signals (seconds) give an empty tensor. Default 0.0.
        preemphasis_coefficient: ``k`` in ``x[t] - k x[t - 1]``. Default 0.97.
        raw_energy: compute the energy before pre-emphasis and windowing. Default True.
        remove_dc_offset: subtract each frame's mean. Default True.
        round_to_power_of_two: zero-pad each frame to a power of two for the FFT. Default True.
        sample_frequency: the waveform's sample rate (Hz). Default 16000.0.
        snip_edges: True keeps only frames that fit in the signal; False gives
            ``(n + shift // 2) // shift`` frames, reflecting the signal at its ends.
        subtract_mean: subtract each feature's mean over the frames (CMS). Default False.
        window_type: 'povey' (default: ``hann ** 0.85``), 'hanning', 'hamming', 'rectangular'
            or 'blackman'."""


def spectrogram(waveform: Tensor, blackman_coeff: float = 0.42, channel: int = -1,
                dither: float = 0.0, energy_floor: float = 1.0, frame_length: float = 25.0,
                frame_shift: float = 10.0, min_duration: float = 0.0,
                preemphasis_coefficient: float = 0.97, raw_energy: bool = True,
                remove_dc_offset: bool = True, round_to_power_of_two: bool = True,
                sample_frequency: float = 16000.0, snip_edges: bool = True,
                subtract_mean: bool = False, window_type: str = "povey") -> Tensor:
    """Kaldi's ``compute-spectrogram-feats``: the log power spectrum of each frame, with the
    frame's log energy in place of the DC bin.

    Args:
        waveform: (channels, samples), floating point.
    {args}

    Returns:
        (frames, padded_window_size // 2 + 1), the waveform's dtype.

    Example:
        >>> wav = ember.randn(1, 16000)
        >>> spectrogram(wav).shape
        ember.Size([98, 257])
    """
    signal, shift, size, padded = _prepare("spectrogram", waveform, channel, sample_frequency,
                                           frame_shift, frame_length, round_to_power_of_two,
                                           preemphasis_coefficient)
    if signal.shape[0] < min_duration * sample_frequency:
        return ember.empty(0, dtype=waveform.dtype, device=waveform.device)
    frames, log_energy = _windowed_frames(signal, padded, size, shift, window_type,
                                          blackman_coeff, snip_edges, raw_energy, energy_floor,
                                          dither, remove_dc_offset, preemphasis_coefficient)
    spec = _rfft(frames)
    power = (spec.real**2 + spec.imag**2).clamp(min=_EPSILON).log()
    power = ember.cat([log_energy.unsqueeze(1), power[:, 1:]], dim=1)
    return _subtract_column_mean(power, subtract_mean)


def fbank(waveform: Tensor, blackman_coeff: float = 0.42, channel: int = -1,
          dither: float = 0.0, energy_floor: float = 1.0, frame_length: float = 25.0,
          frame_shift: float = 10.0, high_freq: float = 0.0, htk_compat: bool = False,
          low_freq: float = 20.0, min_duration: float = 0.0, num_mel_bins: int = 23,
          preemphasis_coefficient: float = 0.97, raw_energy: bool = True,
          remove_dc_offset: bool = True, round_to_power_of_two: bool = True,
          sample_frequency: float = 16000.0, snip_edges: bool = True,
          subtract_mean: bool = False, use_energy: bool = False, use_log_fbank: bool = True,
          use_power: bool = True, vtln_high: float = -500.0, vtln_low: float = 100.0,
          vtln_warp: float = 1.0, window_type: str = "povey") -> Tensor:
    """Kaldi's ``compute-fbank-feats``: log mel filter-bank energies of each frame.

    Args:
        waveform: (channels, samples), floating point.
        high_freq: the top of the mel band in Hz; ``<= 0`` is an offset from Nyquist.
            Default 0.0.
        htk_compat: put the energy (``use_energy``) last instead of first. Default False.
        low_freq: the bottom of the mel band in Hz. Default 20.0.
        num_mel_bins: the number of triangular filters. Default 23.
        use_energy: add the log energy as an extra feature. Default False.
        use_log_fbank: take ``log(max(energy, eps))`` of the filter outputs. Default True.
        use_power: filter the power spectrum (False: the magnitude). Default True.
        vtln_high, vtln_low, vtln_warp: vocal-tract-length normalisation's inflection points
            (``vtln_high < 0``: offset from Nyquist) and warp factor (1.0: none).
    {args}

    Returns:
        (frames, num_mel_bins) (+1 column with ``use_energy``), the waveform's dtype.

    Example:
        >>> fbank(ember.randn(1, 16000), num_mel_bins=40).shape
        ember.Size([98, 40])
    """
    signal, shift, size, padded = _prepare("fbank", waveform, channel, sample_frequency,
                                           frame_shift, frame_length, round_to_power_of_two,
                                           preemphasis_coefficient)
    if signal.shape[0] < min_duration * sample_frequency:
        return ember.empty(0, dtype=waveform.dtype, device=waveform.device)
    banks, _ = _mel_banks(num_mel_bins, padded, sample_frequency, low_freq, high_freq, vtln_low,
                          vtln_high, vtln_warp)
    frames, log_energy = _windowed_frames(signal, padded, size, shift, window_type,
                                          blackman_coeff, snip_edges, raw_energy, energy_floor,
                                          dither, remove_dc_offset, preemphasis_coefficient)
    spec = _rfft(frames)
    power = spec.real**2 + spec.imag**2
    spectrum = power if use_power else power.sqrt()
    # the banks stop below Nyquist: a zero column for the last rfft bin, as torchaudio pads
    banks = np.concatenate([banks, np.zeros((num_mel_bins, 1))], axis=1)
    mel = spectrum.matmul(ember.tensor(banks.T, dtype=spectrum.dtype, device=spectrum.device))
    if use_log_fbank:
        mel = mel.clamp(min=_EPSILON).log()
    if use_energy:
        energy = log_energy.unsqueeze(1)
        mel = ember.cat([mel, energy] if htk_compat else [energy, mel], dim=1)
    return _subtract_column_mean(mel, subtract_mean)


def _dct_matrix(num_ceps: int, num_mel_bins: int) -> np.ndarray:
    """(num_mel_bins, num_ceps): the orthonormal DCT-II basis, first column ``sqrt(1 / n)``
    (Kaldi's ComputeDctMatrix, as torchaudio builds it)."""
    n = np.arange(num_mel_bins)[:, None] + 0.5
    k = np.arange(num_ceps)[None, :]
    dct = np.sqrt(2.0 / num_mel_bins) * np.cos(math.pi / num_mel_bins * n * k)
    dct[:, 0] = math.sqrt(1.0 / num_mel_bins)
    return dct


def mfcc(waveform: Tensor, blackman_coeff: float = 0.42, cepstral_lifter: float = 22.0,
         channel: int = -1, dither: float = 0.0, energy_floor: float = 1.0,
         frame_length: float = 25.0, frame_shift: float = 10.0, high_freq: float = 0.0,
         htk_compat: bool = False, low_freq: float = 20.0, num_ceps: int = 13,
         min_duration: float = 0.0, num_mel_bins: int = 23,
         preemphasis_coefficient: float = 0.97, raw_energy: bool = True,
         remove_dc_offset: bool = True, round_to_power_of_two: bool = True,
         sample_frequency: float = 16000.0, snip_edges: bool = True,
         subtract_mean: bool = False, use_energy: bool = False, vtln_high: float = -500.0,
         vtln_low: float = 100.0, vtln_warp: float = 1.0, window_type: str = "povey") -> Tensor:
    """Kaldi's ``compute-mfcc-feats``: the liftered DCT of the log mel filter-bank energies.

    Args:
        waveform: (channels, samples), floating point.
        cepstral_lifter: ``L`` in the lifter ``1 + L / 2 sin(pi i / L)`` (0: none).
            Default 22.0.
        num_ceps: the coefficients kept, C0 included (``<= num_mel_bins``). Default 13.
        use_energy: replace C0 by the log energy. Default False.
        htk_compat: put C0 (or the energy) last; without ``use_energy`` C0 is scaled by
            ``sqrt(2)`` (HTK's DCT). Default False.
        high_freq, low_freq, num_mel_bins, vtln_high, vtln_low, vtln_warp: as :func:`fbank`.
    {args}

    Returns:
        (frames, num_ceps), the waveform's dtype.

    Example:
        >>> mfcc(ember.randn(1, 16000)).shape
        ember.Size([98, 13])
    """
    _check(num_ceps <= num_mel_bins, f"mfcc: num_ceps cannot be larger than num_mel_bins: "
                                     f"{num_ceps} vs {num_mel_bins}")
    feature = fbank(waveform, blackman_coeff=blackman_coeff, channel=channel, dither=dither,
                    energy_floor=energy_floor, frame_length=frame_length,
                    frame_shift=frame_shift, high_freq=high_freq, htk_compat=htk_compat,
                    low_freq=low_freq, min_duration=min_duration, num_mel_bins=num_mel_bins,
                    preemphasis_coefficient=preemphasis_coefficient, raw_energy=raw_energy,
                    remove_dc_offset=remove_dc_offset,
                    round_to_power_of_two=round_to_power_of_two,
                    sample_frequency=sample_frequency, snip_edges=snip_edges,
                    subtract_mean=False, use_energy=use_energy, use_log_fbank=True,
                    use_power=True, vtln_high=vtln_high, vtln_low=vtln_low, vtln_warp=vtln_warp,
                    window_type=window_type)
    if feature.ndim == 1:  # shorter than min_duration
        return feature
    if use_energy:
        energy = feature[:, num_mel_bins if htk_compat else 0]
        offset = int(not htk_compat)
        feature = feature[:, offset : num_mel_bins + offset]
    dct = _dct_matrix(num_ceps, num_mel_bins)
    if cepstral_lifter != 0.0:  # liftering scales column i of the DCT: fold it in
        i = np.arange(num_ceps)
        dct = dct * (1.0 + 0.5 * cepstral_lifter * np.sin(math.pi * i / cepstral_lifter))
    feature = feature.matmul(ember.tensor(dct, dtype=feature.dtype, device=feature.device))
    if use_energy:
        feature = ember.cat([energy.unsqueeze(1), feature[:, 1:]], dim=1)
    if htk_compat:  # C0 (or the energy) moves last; HTK's C0 is sqrt(2) times Kaldi's
        first = feature[:, :1] if use_energy else feature[:, :1] * math.sqrt(2)
        feature = ember.cat([feature[:, 1:], first], dim=1)
    return _subtract_column_mean(feature, subtract_mean)


for _fn in (spectrogram, fbank, mfcc):
    _fn.__doc__ = _fn.__doc__.replace("    {args}", _COMMON_ARGS.strip("\n"))
