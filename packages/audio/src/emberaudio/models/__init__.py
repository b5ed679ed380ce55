"""``emberaudio.models``: audio classifiers and speech models.

- :class:`M5`: the raw-waveform CNN of Dai et al. (2017), torchaudio tutorial's layout.
- :class:`SpectrogramCNN`: a log-mel front end inside the model and a small 2-D CNN.
- :class:`ASTForAudioClassification`: the Audio Spectrogram Transformer (a ViT over Kaldi
  fbank patches) with Hugging Face's names, so MIT's published checkpoints load;
  :class:`ASTClassifier`: a small one with its fbank front end inside, trained from scratch.
- :class:`Wav2Vec2Model` / :class:`Wav2Vec2ForCTC` / :class:`Wav2Vec2ForSequenceClassification`
  and the HuBERT and WavLM equivalents: Hugging Face names and folder layout (``from_pretrained``,
  ``save_pretrained``), base and large configurations.
- :class:`Conformer`: torchaudio's Conformer encoder (same arguments and state_dict names).
- torchaudio's :class:`Wav2Letter`, :class:`DeepSpeech`, :class:`ConvTasNet` and the
  ``wav2vec2_*`` / ``hubert_*`` / ``wavlm_*`` factories (torchaudio's forward and state_dict names;
  :class:`TorchaudioWav2Vec2Model`, as ``Wav2Vec2Model`` names the Hugging Face class here).
- :class:`CTCSpeechModel`: a small log-mel + conv + BiGRU acoustic model for CTC training;
  :mod:`emberaudio.models.decoder`: greedy and beam-search (lexicon) CTC decoding.

``get_model(name, **kwargs)`` builds one by its command-line name (``"m5"``,
``"spectrogram-cnn"``, ``"ast"``), as ``emberaudio-finetune --model`` does.
"""

from __future__ import annotations

from ember import nn

from ._torchaudio_wav2vec2 import (
    TorchaudioWav2Vec2Model,
    hubert_base,
    hubert_large,
    hubert_xlarge,
    wav2vec2_base,
    wav2vec2_large,
    wav2vec2_large_lv60k,
    wav2vec2_model,
    wav2vec2_xlsr_1b,
    wav2vec2_xlsr_2b,
    wav2vec2_xlsr_300m,
    wavlm_base,
    wavlm_large,
    wavlm_model,
)
from .ast import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification, ASTModel
from .ast_classifier import ASTClassifier
from .conformer import Conformer
from .conv_tasnet import ConvTasNet, conv_tasnet_base
from .ctc_model import CTCSpeechModel
from .decoder import (
    CTCBeamSearchDecoder,
    CTCHypothesis,
    ctc_beam_search_decoder,
    ctc_greedy_decode,
)
from .deepspeech import DeepSpeech
from .hubert import HubertConfig, HubertForCTC, HubertForSequenceClassification, HubertModel
from .m5 import M5
from .spectrogram_cnn import SpectrogramCNN
from .wav2letter import Wav2Letter
from .wav2vec2 import (
    Wav2Vec2Config,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForCTC,
    Wav2Vec2ForSequenceClassification,
    Wav2Vec2Model,
)
from .wavlm import WavLMConfig, WavLMForCTC, WavLMForSequenceClassification, WavLMModel

__all__ = [
    "ASTClassifier", "ASTConfig", "ASTFeatureExtractor", "ASTForAudioClassification", "ASTModel",
    "CTCBeamSearchDecoder", "CTCHypothesis", "CTCSpeechModel", "Conformer", "ConvTasNet",
    "DeepSpeech", "HubertConfig", "HubertForCTC", "HubertForSequenceClassification", "HubertModel",
    "M5", "SpectrogramCNN", "TorchaudioWav2Vec2Model", "Wav2Letter", "Wav2Vec2Config",
    "Wav2Vec2FeatureExtractor", "Wav2Vec2ForCTC", "Wav2Vec2ForSequenceClassification",
    "Wav2Vec2Model", "WavLMConfig", "WavLMForCTC", "WavLMForSequenceClassification", "WavLMModel",
    "conv_tasnet_base", "ctc_beam_search_decoder", "ctc_greedy_decode", "get_model", "hubert_base",
    "hubert_large", "hubert_xlarge", "list_models", "wav2vec2_base", "wav2vec2_large",
    "wav2vec2_large_lv60k", "wav2vec2_model", "wav2vec2_xlsr_1b", "wav2vec2_xlsr_2b",
    "wav2vec2_xlsr_300m", "wavlm_base", "wavlm_large", "wavlm_model",
]

_MODELS = {"ast": ASTClassifier, "m5": M5, "spectrogram-cnn": SpectrogramCNN}


def list_models() -> list[str]:
    """The names :func:`get_model` accepts."""
    return sorted(_MODELS)


def get_model(name: str, n_classes: int, sample_rate: int = 16000) -> nn.Module:
    """A classifier for ``n_classes`` classes of mono audio at ``sample_rate``.

    Args:
        name: ``"m5"``, ``"spectrogram-cnn"`` or ``"ast"`` (a small from-scratch
            :class:`ASTClassifier`).
        n_classes: number of classes.
        sample_rate: the waveform rate the model takes.

    Example:
        >>> get_model("m5", n_classes=10).n_output
        10
    """
    if name == "m5":
        # M5's stride 16 is 1 ms at 16 kHz; keep that hop at other rates.
        return M5(n_output=n_classes, stride=max(1, round(16 * sample_rate / 16000)),
                  sample_rate=sample_rate)
    if name == "spectrogram-cnn":
        return SpectrogramCNN(n_classes=n_classes, sample_rate=sample_rate)
    if name == "ast":
        return ASTClassifier(n_classes=n_classes, sample_rate=sample_rate)
    raise ValueError(f"get_model: unknown model {name!r}; choose one of {list_models()}")
