"""Model outputs with Hugging Face's field names, readable by name, attribute or position.

Like ``transformers.utils.ModelOutput``: fields that are None are left out of the tuple view,
so ``out[0]`` is always the first computed field (``last_hidden_state`` or ``logits``, or
``loss`` when labels were given).

    out = model(input_ids)
    out.last_hidden_state is out["last_hidden_state"] is out[0]
    hidden, pooled = out[:2]
"""

from __future__ import annotations

from dataclasses import dataclass

# The generic base lives in core (shared with emberaudio); re-exported here, so
# ``embertext.models.outputs.ModelOutput`` keeps working.
from ember.utils.pretrained import ModelOutput

__all__ = [
    "ModelOutput", "BaseModelOutput", "BaseModelOutputWithPooling", "SequenceClassifierOutput",
    "TokenClassifierOutput", "MaskedLMOutput",
]


@dataclass(repr=False, eq=False)
class BaseModelOutput(ModelOutput):
    """Encoder output (DistilBERT).

    Attributes:
        last_hidden_state: ``(N, L, H)`` hidden states of the last layer.
        hidden_states: with ``output_hidden_states=True``, a tuple of ``num_layers + 1``
            ``(N, L, H)`` tensors: the embeddings' output, then each layer's.
        attentions: with ``output_attentions=True``, a tuple of ``(N, heads, L, L)`` attention
            probabilities, one per layer.
    """

    last_hidden_state: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class BaseModelOutputWithPooling(ModelOutput):
    """Encoder output with the pooled first token (BERT, RoBERTa).

    Attributes:
        last_hidden_state: ``(N, L, H)``.
        pooler_output: ``(N, H)``: ``tanh(dense(last_hidden_state[:, 0]))``; None without a
            pooler.
        hidden_states, attentions: as :class:`BaseModelOutput`.
    """

    last_hidden_state: object = None
    pooler_output: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class SequenceClassifierOutput(ModelOutput):
    """Attributes: ``loss`` (0-d, when labels were given), ``logits`` ``(N, num_labels)``,
    ``hidden_states``, ``attentions``."""

    loss: object = None
    logits: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class TokenClassifierOutput(ModelOutput):
    """Attributes: ``loss``, ``logits`` ``(N, L, num_labels)``, ``hidden_states``,
    ``attentions``."""

    loss: object = None
    logits: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class MaskedLMOutput(ModelOutput):
    """Attributes: ``loss``, ``logits`` ``(N, L, vocab_size)``, ``hidden_states``,
    ``attentions``."""

    loss: object = None
    logits: object = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None

