"""emberaudio.functional: torchaudio.functional's signal processing on Ember tensors.

Spectrograms and their inverses, Griffin-Lim, mel/linear filter banks, the DCT, decibels,
deltas, mu-law, resampling, IIR filtering and biquads, emphasis, gain, noise and SpecAugment
masks. Everything here is a plain function; the nn.Module forms are in
``emberaudio.transforms``.
"""

from ._features import (
    DB_to_amplitude,
    amplitude_to_DB,
    compute_deltas,
    create_dct,
    linear_fbanks,
    melscale_fbanks,
    mu_law_decoding,
    mu_law_encoding,
)
from ._filtering import (
    add_noise,
    allpass_biquad,
    bandpass_biquad,
    bandreject_biquad,
    biquad,
    deemphasis,
    gain,
    highpass_biquad,
    lfilter,
    lowpass_biquad,
    preemphasis,
)
from ._pitch import pitch_shift
from ._resample import resample
from ._spectral import (
    griffinlim,
    inverse_spectrogram,
    mask_along_axis,
    mask_along_axis_iid,
    phase_vocoder,
    spectrogram,
)

__all__ = [
    "spectrogram",
    "inverse_spectrogram",
    "griffinlim",
    "phase_vocoder",
    "pitch_shift",
    "mask_along_axis",
    "mask_along_axis_iid",
    "melscale_fbanks",
    "linear_fbanks",
    "create_dct",
    "amplitude_to_DB",
    "DB_to_amplitude",
    "compute_deltas",
    "mu_law_encoding",
    "mu_law_decoding",
    "resample",
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
