"""CTCSpeechModel: a small from-scratch CTC acoustic model (log-mel -> conv -> BiGRU -> logits).

Built for ``emberaudio-finetune --task ctc``: small enough to train on a CPU in minutes, with
its front end inside the model so a checkpoint carries its preprocessing (as SpectrogramCNN).
"""

from __future__ import annotations

from ember import Tensor, nn

from ..transforms import AmplitudeToDB, MelSpectrogram
from ._common import check_waveform

__all__ = ["CTCSpeechModel"]


class CTCSpeechModel(nn.Module):
    """Log-mel spectrogram -> 2 conv layers (the first strided 2x) -> bidirectional GRU ->
    per-frame logits over the vocabulary (class 0 = the CTC blank by convention).

    The front end is a MelSpectrogram with 25 ms windows every 10 ms and AmplitudeToDB
    (``top_db=80``), standardised by a ``BatchNorm1d(n_mels)``. The first Conv1d has stride 2
    (20 ms per output frame: still at least two frames per character of normal speech, which
    CTC needs for repeated letters with a blank between them, and half the GRU work).

    Args:
        vocab_size: output classes, blank included.
        sample_rate: the waveform rate the model takes.
        n_mels: mel bands.
        hidden: channels of the convolutions and units per GRU direction.
        dropout: dropout before the GRU and before the output layer.

    Shape:
        ``(N, 1, time)`` or ``(N, time)`` waveforms -> ``(N, frames, vocab_size)`` logits, with
        ``frames = output_lengths(time)``.

    Example:
        >>> model = CTCSpeechModel(vocab_size=29)
        >>> model(ember.randn(2, 1, 16000)).shape
        (2, 50, 29)
    """

    def __init__(self, vocab_size: int, sample_rate: int = 16000, n_mels: int = 40,
                 hidden: int = 128, dropout: float = 0.1) -> None:
        super().__init__()
        for arg, value in (("vocab_size", vocab_size), ("sample_rate", sample_rate),
                           ("n_mels", n_mels), ("hidden", hidden)):
            if not isinstance(value, int) or value < (2 if arg == "vocab_size" else 1):
                raise ValueError(f"CTCSpeechModel: {arg} must be a positive int (vocab_size at "
                                 f"least 2: blank + one token), got {value!r}")
        self.vocab_size, self.sample_rate, self.n_mels = vocab_size, sample_rate, n_mels
        self.hidden = hidden
        self.hop_length = max(1, round(0.010 * sample_rate))
        self.n_fft = max(2, round(0.025 * sample_rate))
        self.melspec = MelSpectrogram(sample_rate=sample_rate, n_fft=self.n_fft,
                                      hop_length=self.hop_length, n_mels=n_mels)
        self.to_db = AmplitudeToDB(stype="power", top_db=80.0)
        self.input_norm = nn.BatchNorm1d(n_mels)
        self.conv = nn.Sequential(
            nn.Conv1d(n_mels, hidden, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(hidden), nn.GELU(),
            nn.Conv1d(hidden, hidden, 5, padding=2, bias=False),
            nn.BatchNorm1d(hidden), nn.GELU(),
        )
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, vocab_size)

    def config(self) -> dict:
        """The constructor arguments (what a checkpoint stores to rebuild the model)."""
        return {"vocab_size": self.vocab_size, "sample_rate": self.sample_rate,
                "n_mels": self.n_mels, "hidden": self.hidden, "dropout": self.dropout.p}

    @property
    def min_frames(self) -> int:
        """The shortest waveform: more than ``n_fft // 2`` samples (STFT reflect padding)."""
        return self.n_fft // 2 + 1

    def output_lengths(self, lengths):
        """Logit frames for waveforms of ``lengths`` samples (int or int Tensor): a centred
        STFT gives ``1 + n // hop`` frames, the stride-2 conv ``(f - 1) // 2 + 1``."""
        frames = lengths // self.hop_length + 1
        return (frames - 1) // 2 + 1

    def spectrogram(self, waveform: Tensor, sample_rate: int | None = None) -> Tensor:
        """``(N, 1, time)`` (or ``(N, time)``) -> the ``(N, n_mels, frames)`` log-mel in dB
        (SpecAugment masks go between this and :meth:`encode`)."""
        if waveform.ndim == 2:
            waveform = waveform.unsqueeze(1)
        waveform = check_waveform(self._describe(), waveform, 1, self.sample_rate, sample_rate,
                                  self.min_frames)
        return self.to_db(self.melspec(waveform))[:, 0]

    def encode(self, spec: Tensor) -> Tensor:
        """Logits ``(N, frames // 2, vocab_size)`` from a ``(N, n_mels, frames)`` log-mel."""
        x = self.conv(self.input_norm(spec))
        x, _ = self.rnn(self.dropout(x.transpose(1, 2)))
        return self.head(self.dropout(x))

    def forward(self, waveform: Tensor, sample_rate: int | None = None) -> Tensor:
        """Per-frame logits for a batch of waveforms (apply ``log_softmax(-1)`` for CTC)."""
        return self.encode(self.spectrogram(waveform, sample_rate))

    def _describe(self) -> str:
        return (f"CTCSpeechModel(vocab_size={self.vocab_size}, "
                f"sample_rate={self.sample_rate})")

