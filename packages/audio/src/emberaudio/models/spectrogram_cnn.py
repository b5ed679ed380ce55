"""SpectrogramCNN: a log-mel front end inside the model and a small 2-D CNN over it.

Keeping the front end in the model means a checkpoint carries its own preprocessing: the
classifier takes waveforms at the rate it was built for, like M5, and the mel filterbank and
window travel in the state dict as buffers (torchaudio's MelSpectrogram buffer names).
"""

from __future__ import annotations

from ember import Tensor, nn

from ..transforms import AmplitudeToDB, MelSpectrogram
from ._common import check_waveform

__all__ = ["SpectrogramCNN"]


class SpectrogramCNN(nn.Module):
    """Log-mel spectrogram -> three conv blocks -> average over time -> linear.

    The front end is a :class:`~emberaudio.transforms.MelSpectrogram` with 25 ms windows every
    10 ms (``n_fft = 0.025 * sample_rate``, ``hop = 0.01 * sample_rate``, the usual speech
    framing) and :class:`~emberaudio.transforms.AmplitudeToDB` (``top_db=80``), followed by a
    ``BatchNorm2d(1)`` that standardises the dB values (learned scale and offset). Each block is
    ``Conv2d(no bias, 'same' padding) + BatchNorm2d + ReLU + MaxPool2d(2)`` with 16, 32 and 64
    channels; the bias is dropped because the BatchNorm that follows cancels it. The first
    kernel is 5x5 (the others 3x3): a wider view of the raw spectrogram, and a weight-gradient
    GEMM of 25 rows rather than 9, a shape OpenBLAS handles well (a 9-row GEMM against a
    transposed operand ran ~500x slower here, seconds per step).

    Args:
        n_mels: mel bands of the front end (at least 8: three 2x poolings).
        n_classes: classes.
        sample_rate: the waveform rate the model takes; ``forward(x, sample_rate=...)`` checks
            it.
        dropout: dropout before the linear layer.

    Shape:
        ``(N, 1, time)`` or ``(1, time)`` -> ``(N, n_classes)`` (or ``(n_classes,)``); ``time``
        at least :attr:`min_frames` (8 spectrogram frames, 70 ms at 16 kHz).

    Example:
        >>> model = SpectrogramCNN(n_mels=64, n_classes=10)
        >>> model(ember.randn(2, 1, 16000)).shape
        (2, 10)
    """

    def __init__(self, n_mels: int = 64, n_classes: int = 35, sample_rate: int = 16000,
                 dropout: float = 0.2) -> None:
        super().__init__()
        if not isinstance(n_mels, int) or n_mels < 8:
            raise ValueError(f"SpectrogramCNN: n_mels must be an int of at least 8 (three 2x "
                             f"poolings over the mel axis), got {n_mels!r}")
        for arg, value in (("n_classes", n_classes), ("sample_rate", sample_rate)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SpectrogramCNN: {arg} must be a positive int, got {value!r}")
        self.n_mels, self.n_classes, self.sample_rate = n_mels, n_classes, sample_rate
        self.hop_length = max(1, round(0.010 * sample_rate))
        n_fft = max(2, round(0.025 * sample_rate))
        self.melspec = MelSpectrogram(sample_rate=sample_rate, n_fft=n_fft,
                                      hop_length=self.hop_length, n_mels=n_mels)
        self.to_db = AmplitudeToDB(stype="power", top_db=80.0)
        self.input_norm = nn.BatchNorm2d(1)
        layers: list[nn.Module] = []
        c_in = 1
        for c_out, k in ((16, 5), (32, 3), (64, 3)):
            layers += [nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        # The head averages over time only: the 64 channels at each of the n_mels // 8 pooled
        # mel rows stay apart, so where in frequency a pattern sits (formants) still counts.
        self.classifier = nn.Linear(c_in * (n_mels // 8), n_classes)

    @property
    def min_frames(self) -> int:
        """The shortest input: 8 frames (``1 + time // hop`` with a centred STFT) for the
        three 2x poolings, and more than ``n_fft // 2`` samples for the reflect padding."""
        return max(7 * self.hop_length, self.melspec.n_fft // 2 + 1)

    def _describe(self) -> str:
        return (f"SpectrogramCNN(n_mels={self.n_mels}, n_classes={self.n_classes}, "
                f"sample_rate={self.sample_rate})")

    def spectrogram(self, waveform: Tensor, sample_rate: int | None = None) -> Tensor:
        """The log-mel input of the CNN: ``(N, 1, time)`` -> ``(N, 1, n_mels, frames)`` in
        dB (SpecAugment masks go between this and :meth:`classify`)."""
        waveform = check_waveform(self._describe(), waveform, 1, self.sample_rate, sample_rate,
                                  self.min_frames)
        return self.to_db(self.melspec(waveform))

    def classify(self, spec: Tensor) -> Tensor:
        """Class scores from a ``(N, 1, n_mels, frames)`` log-mel spectrogram."""
        x = self.features(self.input_norm(spec))
        return self.classifier(self.dropout(x.mean(dim=-1).flatten(1)))

    def forward(self, waveform: Tensor, sample_rate: int | None = None) -> Tensor:
        """Class scores (logits) for a batch of waveforms (``sample_rate``: checked when
        given)."""
        unbatched = waveform.ndim == 2
        out = self.classify(self.spectrogram(waveform, sample_rate))
        return out[0] if unbatched else out
