"""The output records of Wav2Vec2 and HuBERT (``transformers``' ``ModelOutput`` dataclasses):
readable by field name, attribute or position. Re-exported by ``_wav2vec2_layers``.
"""

from __future__ import annotations

from dataclasses import dataclass

# The generic base (``transformers.utils.ModelOutput``) lives in core, shared with embertext.
from ember.utils.pretrained import ModelOutput

__all__ = [
    "BaseModelOutput", "CausalLMOutput", "ModelOutput", "SequenceClassifierOutput",
    "Wav2Vec2BaseModelOutput",
]


# -- outputs --------------------------------------------------------------------------------


@dataclass(repr=False, eq=False)
class BaseModelOutput(ModelOutput):
    """HuBERT's encoder output: ``last_hidden_state`` ``(N, T', H)``; ``hidden_states``
    (``num_hidden_layers + 1`` tensors) and ``attentions`` (``(N, heads, T', T')`` per layer)
    when asked for."""

    last_hidden_state: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class Wav2Vec2BaseModelOutput(ModelOutput):
    """Wav2Vec2's output: as :class:`BaseModelOutput` plus ``extract_features`` ``(N, T',
    conv_dim[-1])``, the feature encoder's output after the projection's LayerNorm (what the
    pretraining quantizer reads)."""

    last_hidden_state: object = None
    extract_features: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class CausalLMOutput(ModelOutput):
    """CTC head output: ``loss`` (with labels), ``logits`` ``(N, T', vocab_size)``, and the
    base model's ``hidden_states`` / ``attentions`` when asked for."""

    loss: object = None
    logits: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class SequenceClassifierOutput(ModelOutput):
    """Classification head output: ``loss`` (with labels), ``logits`` ``(N, num_labels)``."""

    loss: object = None
    logits: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None
