"""A small Audio Spectrogram Transformer trained from scratch on waveforms
(``emberaudio-finetune --model ast``).

:class:`ASTClassifier` puts AST's own front end (:class:`~emberaudio.models.ast.
ASTFeatureExtractor`: Kaldi fbank, 25 ms windows every 10 ms) inside the model, so it takes the
same ``(N, 1, time)`` waveforms as M5 and SpectrogramCNN, and a ViT-tiny-sized
:class:`~emberaudio.models.ast.ASTForAudioClassification` (hidden 64, 2 layers, 4 heads) over
64 mel bins and 100 frames (1 s). The parameter names under ``ast.`` are Hugging Face's.
"""

from __future__ import annotations

from ember import Tensor, nn

from ._common import check_waveform
from .ast import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

__all__ = ["ASTClassifier"]


class ASTClassifier(nn.Module):
    """Waveforms -> Kaldi log-mel fbank -> a small AST -> class scores.

    Args:
        n_classes: number of classes.
        sample_rate: the waveform rate (the fbank's ``sample_frequency``).
        num_mel_bins: mel bins of the fbank (64).
        max_length: frames the spectrogram is padded or cut to (100: 1 s at the 10 ms hop).
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: the
            Transformer (64, 2, 4, 128).

    Shape:
        ``(N, 1, time)`` -> ``(N, n_classes)``; ``time`` at least :attr:`min_frames` (one
        25 ms Kaldi frame: 400 samples at 16 kHz).

    Example:
        >>> model = ASTClassifier(n_classes=10)
        >>> model(ember.randn(2, 1, 16000) * 0.1).shape
        (2, 10)
    """

    def __init__(self, n_classes: int, sample_rate: int = 16000, num_mel_bins: int = 64,
                 max_length: int = 100, hidden_size: int = 64, num_hidden_layers: int = 2,
                 num_attention_heads: int = 4, intermediate_size: int = 128) -> None:
        super().__init__()
        if not isinstance(n_classes, int) or n_classes < 1:
            raise ValueError(f"ASTClassifier: n_classes must be a positive int, got "
                             f"{n_classes!r}")
        self.n_classes, self.sample_rate = n_classes, sample_rate
        self.features = ASTFeatureExtractor(sampling_rate=sample_rate,
                                            num_mel_bins=num_mel_bins, max_length=max_length)
        config = ASTConfig(hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                           num_attention_heads=num_attention_heads,
                           intermediate_size=intermediate_size, max_length=max_length,
                           num_mel_bins=num_mel_bins, num_labels=n_classes)
        self.ast = ASTForAudioClassification(config)
        # transformers zeroes the [CLS]/distillation tokens and the position embeddings (fine
        # when loading a checkpoint). From scratch, identical zero tokens and positions left
        # the first steps with gradients near 1e4; ViT/DeiT's own recipe draws them from a
        # truncated normal with std 0.02, which trains smoothly.
        emb = self.ast.audio_spectrogram_transformer.embeddings
        for p in (emb.cls_token, emb.distillation_token, emb.position_embeddings):
            nn.init.trunc_normal_(p, std=config.initializer_range)

    @property
    def min_frames(self) -> int:
        """One Kaldi frame (25 ms): with ``snip_edges`` a shorter clip has no frame at all."""
        return int(self.sample_rate * 0.025)

    def spectrogram(self, waves: Tensor) -> Tensor:
        """``(N, 1, time)`` -> normalised fbank ``(N, max_length, num_mel_bins)``. The feature
        extractor works on arrays (no gradient to the waveform, which has no parameters)."""
        return self.features(waves[:, 0], sampling_rate=self.sample_rate)["input_values"]

    def forward(self, waves: Tensor) -> Tensor:
        """Class scores ``(N, n_classes)`` for a batch of mono waveforms (``(n_classes,)``
        for one unbatched ``(1, time)`` clip)."""
        unbatched = waves.ndim == 2
        waves = check_waveform(f"ASTClassifier(n_classes={self.n_classes})", waves, 1,
                               self.sample_rate, None, self.min_frames)
        logits = self.ast(self.spectrogram(waves).to(waves.device)).logits
        return logits[0] if unbatched else logits
