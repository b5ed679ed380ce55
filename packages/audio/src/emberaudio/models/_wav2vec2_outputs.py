"""The output records of Wav2Vec2 and HuBERT (``transformers``' ``ModelOutput`` dataclasses):
readable by field name, attribute or position. Re-exported by ``_wav2vec2_layers``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = [
    "BaseModelOutput", "CausalLMOutput", "ModelOutput", "SequenceClassifierOutput",
    "Wav2Vec2BaseModelOutput",
]


# -- outputs --------------------------------------------------------------------------------


class ModelOutput:
    """Base of the output dataclasses (``transformers.utils.ModelOutput``): readable by field
    name, attribute, or position over the fields that are not None (``out[0]`` is ``loss``
    when labels were given, else the first computed field)."""

    def to_tuple(self) -> tuple:
        """The values of the fields that are not None, in declaration order."""
        return tuple(v for v in (getattr(self, f.name) for f in fields(self)) if v is not None)

    def keys(self) -> list[str]:
        """Names of the fields that are not None."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(f"{type(self).__name__} has no field {key!r} set; "
                               f"set fields: {self.keys()}")
            return getattr(self, key)
        return self.to_tuple()[key]

    def __contains__(self, key) -> bool:
        return key in self.keys()

    def __iter__(self):
        return iter(self.to_tuple())

    def __len__(self) -> int:
        return len(self.to_tuple())


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
