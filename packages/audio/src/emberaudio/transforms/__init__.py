"""emberaudio.transforms: torchaudio.transforms as Ember ``nn.Module``s (same names,
arguments, defaults and buffer names)."""

from ._augment import ComputeDeltas, FrequencyMasking, SpecAugment, TimeMasking, TimeStretch
from ._beamforming import MVDR, PSD, RTFMVDR, SoudenMVDR
from ._effects import Deemphasis, Fade, MuLawDecoding, MuLawEncoding, Preemphasis, Resample, Vol
from ._more import (
    Convolve,
    FFTConvolve,
    Loudness,
    SlidingWindowCmn,
    SpectralCentroid,
    Speed,
    SpeedPerturbation,
)
from ._noise import AddNoise
from ._pitch import PitchShift
from ._spectral import (
    LFCC,
    MFCC,
    AmplitudeToDB,
    GriffinLim,
    InverseMelScale,
    InverseSpectrogram,
    MelScale,
    MelSpectrogram,
    Spectrogram,
)
from ._vad import Vad

__all__ = [
    "Spectrogram",
    "InverseSpectrogram",
    "GriffinLim",
    "AmplitudeToDB",
    "MelScale",
    "InverseMelScale",
    "MelSpectrogram",
    "MFCC",
    "LFCC",
    "ComputeDeltas",
    "TimeStretch",
    "PitchShift",
    "FrequencyMasking",
    "TimeMasking",
    "SpecAugment",
    "Resample",
    "Fade",
    "Vol",
    "MuLawEncoding",
    "MuLawDecoding",
    "Preemphasis",
    "Deemphasis",
    "Convolve",
    "FFTConvolve",
    "Speed",
    "SpeedPerturbation",
    "SpectralCentroid",
    "SlidingWindowCmn",
    "Loudness",
    "PSD",
    "MVDR",
    "RTFMVDR",
    "SoudenMVDR",
    "AddNoise",
    "Vad",
]
