"""HuBERT (Hsu et al., 2021) with Hugging Face ``transformers``' module and parameter names,
so ``facebook/hubert-*`` folders load strictly.

HuBERT's network is Wav2Vec2's (the blocks in :mod:`._wav2vec2_layers`); it differs in its
pretraining (masked prediction of clustered targets, no quantizer), in the feature
projection's LayerNorm being optional (``feat_proj_layer_norm``; DistilHuBERT-style
checkpoints have none), in an optional BatchNorm positional convolution
(``conv_pos_batch_norm``), and in returning no ``extract_features``.

    model = HubertForCTC.from_pretrained("facebook/hubert-large-ls960-ft")
    logits = model(input_values).logits
"""

from __future__ import annotations

from ._wav2vec2_layers import (
    BaseModelOutput,
    SpeechForCTC,
    SpeechForSequenceClassification,
    SpeechModel,
    SpeechPreTrainedModel,
)
from .wav2vec2 import Wav2Vec2Config, _preset

__all__ = [
    "HUBERT_PRESETS", "HubertConfig", "HubertForCTC", "HubertForSequenceClassification",
    "HubertModel", "HubertPreTrainedModel",
]


class HubertConfig(Wav2Vec2Config):
    """Configuration of the HuBERT models (``transformers.HubertConfig``): the keys and
    defaults of :class:`~emberaudio.models.wav2vec2.Wav2Vec2Config` (the
    ``facebook/hubert-base-ls960`` architecture) plus:

    Args:
        feat_proj_layer_norm: LayerNorm on the conv features before the projection (True).
        conv_pos_batch_norm: BatchNorm1d before a plain positional convolution instead of the
            weight-normalised one (False).
        **kwargs: every :class:`Wav2Vec2Config` argument.

    Example:
        >>> HubertConfig.from_preset("facebook/hubert-large-ls960-ft").do_stable_layer_norm
        True
    """

    model_type = "hubert"

    def __init__(self, feat_proj_layer_norm: bool = True, conv_pos_batch_norm: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.feat_proj_layer_norm = feat_proj_layer_norm
        self.conv_pos_batch_norm = conv_pos_batch_norm

    @classmethod
    def from_preset(cls, name: str, **kwargs) -> HubertConfig:
        """The architecture of a published checkpoint (see :data:`HUBERT_PRESETS`)."""
        return cls.from_dict(_preset(HUBERT_PRESETS, name), **kwargs)


#: The architecture keys of published HuBERT checkpoints' config.json.
HUBERT_PRESETS = {
    "facebook/hubert-base-ls960": {
        "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
        "intermediate_size": 3072, "feat_extract_norm": "group", "do_stable_layer_norm": False,
        "conv_bias": False, "feat_proj_layer_norm": True, "feat_proj_dropout": 0.1,
        "vocab_size": 32, "architectures": ["HubertModel"],
    },
    "facebook/hubert-large-ls960-ft": {
        "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
        "intermediate_size": 4096, "feat_extract_norm": "layer", "do_stable_layer_norm": True,
        "conv_bias": True, "feat_proj_layer_norm": True, "feat_proj_dropout": 0.1,
        "vocab_size": 32, "architectures": ["HubertForCTC"],
    },
}


class HubertPreTrainedModel(SpeechPreTrainedModel):
    """Base of the HuBERT models: :class:`HubertConfig`, checkpoint prefix ``'hubert'``."""

    config_class = HubertConfig
    base_model_prefix = "hubert"


class HubertModel(HubertPreTrainedModel, SpeechModel):
    """The HuBERT encoder (``transformers.HubertModel``).

    Forward args: as :class:`~emberaudio.models.wav2vec2.Wav2Vec2Model`.

    Returns:
        :class:`BaseModelOutput`: ``last_hidden_state`` ``(N, frames, hidden_size)``,
        ``hidden_states`` / ``attentions`` when asked for.
    """

    output_class = BaseModelOutput

    def _projection_layer_norm(self, config) -> bool:
        return config.feat_proj_layer_norm


class HubertForCTC(HubertPreTrainedModel, SpeechForCTC):
    """HuBERT with a CTC head (``transformers.HubertForCTC``); see
    :class:`~emberaudio.models.wav2vec2.Wav2Vec2ForCTC`."""

    base_model_class = HubertModel


class HubertForSequenceClassification(HubertPreTrainedModel, SpeechForSequenceClassification):
    """HuBERT with an utterance classifier (``transformers.HubertForSequenceClassification``);
    see :class:`~emberaudio.models.wav2vec2.Wav2Vec2ForSequenceClassification`."""

    base_model_class = HubertModel
