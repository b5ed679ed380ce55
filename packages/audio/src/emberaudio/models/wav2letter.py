"""Wav2Letter (Collobert et al., 2016) with torchaudio's layout (``torchaudio.models.
Wav2Letter``): the same arguments, forward and state_dict names (``acoustic_model.N.*``), so
a torchaudio checkpoint loads with ``load_state_dict``.
"""

from __future__ import annotations

from ember import nn
from ember.nn import functional as F

__all__ = ["Wav2Letter"]

# (in -> out channels, kernel, stride, padding) of torchaudio's acoustic model after its first
# layer; the first layer's input is 250 channels for waveforms or ``num_features`` otherwise.
_ACOUSTIC = [(250, 7, 1, 3)] * 7 + [(2000, 32, 1, 16), (2000, 1, 1, 0)]
_INPUT_TYPES = ("waveform", "power_spectrum", "mfcc")


class Wav2Letter(nn.Module):
    """Wav2Letter, a fully-convolutional acoustic model (torchaudio's ``Wav2Letter``).

    Every convolution is followed by a ReLU (the output layer too, as in torchaudio), then a
    log-softmax over the classes. For ``input_type='waveform'`` a first strided convolution
    (kernel 250, stride 160: 10 ms hops at 16 kHz) turns samples into 250 features.

    Args:
        num_classes: output classes (40).
        input_type: ``'waveform'``, ``'power_spectrum'`` or ``'mfcc'`` (``'waveform'``).
        num_features: input channels (1 for a waveform; the frequency bins / coefficients of a
            spectrogram or MFCC).

    Shape:
        forward ``(batch, num_features, input_length)`` -> ``(batch, num_classes, frames)``
        log-probabilities over dim 1.

    state_dict names (torchaudio's): ``acoustic_model.0.0.*`` (the waveform layer) and
    ``acoustic_model.1.{0,2,...,20}.*`` for waveforms; ``acoustic_model.{0,2,...,20}.*``
    for spectra / MFCCs.

    Example:
        >>> model = Wav2Letter(num_classes=10, input_type="mfcc", num_features=13)
        >>> model(ember.randn(2, 13, 50)).shape
        ember.Size([2, 10, 26])
    """

    def __init__(self, num_classes: int = 40, input_type: str = "waveform",
                 num_features: int = 1) -> None:
        super().__init__()
        if input_type not in _INPUT_TYPES:
            # torchaudio silently builds a model without layers here; fail clearly instead.
            raise ValueError(f"Wav2Letter: input_type must be one of {list(_INPUT_TYPES)}, "
                             f"got {input_type!r}")
        self.num_classes, self.input_type = num_classes, input_type
        self.num_features = num_features
        in_channels = 250 if input_type == "waveform" else num_features
        layers = [nn.Conv1d(in_channels, 250, kernel_size=48, stride=2, padding=23),
                  nn.ReLU(inplace=True)]
        for out, kernel, stride, padding in _ACOUSTIC + [(num_classes, 1, 1, 0)]:
            prev = layers[-2].out_channels
            layers += [nn.Conv1d(prev, out, kernel_size=kernel, stride=stride,
                                 padding=padding), nn.ReLU(inplace=True)]
        acoustic_model = nn.Sequential(*layers)
        if input_type == "waveform":
            waveform_model = nn.Sequential(
                nn.Conv1d(num_features, 250, kernel_size=250, stride=160, padding=45),
                nn.ReLU(inplace=True))
            self.acoustic_model = nn.Sequential(waveform_model, acoustic_model)
        else:
            self.acoustic_model = acoustic_model

    def forward(self, x):
        """``(batch, num_features, input_length)`` -> log-probabilities ``(batch,
        num_classes, frames)``."""
        if x.ndim != 3 or x.shape[1] != self.num_features:
            raise ValueError(f"Wav2Letter: expected input of shape (batch, {self.num_features}, "
                             f"input_length) for input_type={self.input_type!r}, got "
                             f"{tuple(x.shape)}")
        return F.log_softmax(self.acoustic_model(x), dim=1)
