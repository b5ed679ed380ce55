"""Spectrogram augmentation and features as modules: time stretching (phase vocoder),
frequency/time masking and SpecAugment, delta coefficients."""

from __future__ import annotations

import math

import ember
from ember import Tensor, nn

from .. import functional as F

__all__ = [
    "TimeStretch",
    "FrequencyMasking",
    "TimeMasking",
    "SpecAugment",
    "ComputeDeltas",
]


class TimeStretch(nn.Module):
    """Stretch a complex STFT in time by ``rate`` without changing pitch (phase vocoder).

    Args:
        hop_length: the STFT's hop; default ``n_fft // 2`` with ``n_fft = 2 (n_freq - 1)``.
        n_freq: the STFT's frequency bins (default 201).
        fixed_rate: the rate used when ``forward`` gets none.

    Shape:
        (..., n_freq, frames) complex -> (..., n_freq, ceil(frames / rate)).
    """

    def __init__(self, hop_length: int | None = None, n_freq: int = 201,
                 fixed_rate: float | None = None):
        super().__init__()
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        # the phase a bin's sinusoid advances by in one hop: 2 pi f hop / n_fft
        self.register_buffer(
            "phase_advance", ember.linspace(0, math.pi * hop_length, n_freq)[..., None])

    def forward(self, complex_specgrams: Tensor, overriding_rate: float | None = None) -> Tensor:
        if not complex_specgrams.is_complex():
            raise ValueError(f"TimeStretch: expected a complex spectrogram (Spectrogram("
                             f"power=None)), got {complex_specgrams.dtype.name}")
        if overriding_rate is None:
            if self.fixed_rate is None:
                raise ValueError("If no fixed_rate is specified, must pass a valid rate to the "
                                 "forward method.")
            rate = self.fixed_rate
        else:
            rate = overriding_rate
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)


class _AxisMasking(nn.Module):
    def __init__(self, mask_param: int, axis: int, iid_masks: bool, p: float = 1.0):
        super().__init__()
        self.mask_param = mask_param
        self.axis = axis
        self.iid_masks = iid_masks
        self.p = p

    def forward(self, specgram: Tensor, mask_value: float = 0.0) -> Tensor:
        # axis counts from a (channel, freq, time) spectrogram: 1 frequency, 2 time
        axis = self.axis + specgram.ndim - 3
        if self.iid_masks:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return F.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    """Mask a random band of up to ``freq_mask_param`` frequency bins (SpecAugment).

    Args:
        freq_mask_param: the maximum band width; the width is uniform in
            ``[0, freq_mask_param)``.
        iid_masks: a different band for every example and channel of a 4-D batch.

    Shape:
        (..., freq, time) -> the same; ``forward(specgram, mask_value=0.0)``.
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False):
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    """Mask a random band of up to ``time_mask_param`` frames (SpecAugment).

    Args:
        time_mask_param: the maximum band width.
        iid_masks: a different band for every example and channel of a 4-D batch.
        p: the band is at most ``p`` times the number of frames.
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 2, iid_masks, p=p)


class SpecAugment(nn.Module):
    """SpecAugment (Park et al., 2019): several time masks then several frequency masks.

    Args:
        n_time_masks, time_mask_param: how many time masks and their maximum width.
        n_freq_masks, freq_mask_param: the same for frequency.
        iid_masks: independent masks per example/channel (for inputs of 3 or more dims).
        p: the maximum time-mask width as a fraction of the frames.
        zero_masking: fill with 0 (True) or with the spectrogram's mean (False).
    """

    def __init__(self, n_time_masks: int, time_mask_param: int, n_freq_masks: int,
                 freq_mask_param: int, iid_masks: bool = True, p: float = 1.0,
                 zero_masking: bool = False):
        super().__init__()
        self.n_time_masks = n_time_masks
        self.time_mask_param = time_mask_param
        self.n_freq_masks = n_freq_masks
        self.freq_mask_param = freq_mask_param
        self.iid_masks = iid_masks
        self.p = p
        self.zero_masking = zero_masking

    def forward(self, specgram: Tensor) -> Tensor:
        mask_value = 0.0 if self.zero_masking else specgram.mean().item()
        time_dim = specgram.ndim - 1
        freq_dim = time_dim - 1
        mask = (F.mask_along_axis_iid if specgram.ndim > 2 and self.iid_masks
                else F.mask_along_axis)
        for _ in range(self.n_time_masks):
            specgram = mask(specgram, self.time_mask_param, mask_value, time_dim, p=self.p)
        for _ in range(self.n_freq_masks):
            specgram = mask(specgram, self.freq_mask_param, mask_value, freq_dim, p=self.p)
        return specgram


class ComputeDeltas(nn.Module):
    """Delta coefficients of a spectrogram along time (see ``functional.compute_deltas``).

    Args:
        win_length: the regression window (default 5).
        mode: edge padding (default 'replicate').
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate"):
        super().__init__()
        self.win_length = win_length
        self.mode = mode

    def forward(self, specgram: Tensor) -> Tensor:
        return F.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)
