"""BART (Lewis et al., 2019), the denoising encoder-decoder, with Hugging Face ``transformers``'
module and parameter names, so ``facebook/bart-*`` checkpoints load strictly, a per-layer
key/value cache and encoder-decoder generation.

    model = BartForConditionalGeneration.from_pretrained("path/to/bart-folder")
    out = model(input_ids, attention_mask=mask, decoder_input_ids=dec_ids)
    out.logits.shape                    # (N, T, vocab_size)
    len(out.past_key_values)            # decoder_layers tuples (self k, self v, cross k, cross v)
    model.generate(input_ids, attention_mask=mask, max_new_tokens=20)   # decoder ids (N, 1 + T)

Layers are post-LN (``LayerNorm(x + sublayer(x))``, the original Transformer's order), token
embeddings are shared by encoder, decoder and the LM head, and learned positions start at row 2
(fairseq's offset, kept by the checkpoints).

The layers (attention, encoder/decoder layers and stacks) are in ``_bart_layers.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ember
from ember import nn
from ember.nn import functional as F
from ember.utils.pretrained import _normal_init

from ..generation import GenerationMixin
from ._bart_layers import (  # noqa: F401  (re-exported)
    BartAttention,
    BartDecoder,
    BartDecoderLayer,
    BartEncoder,
    BartEncoderLayer,
    BartLearnedPositionalEmbedding,
    _additive,
    _check_mask,
    _encoder_hidden,
    _past_length,
)
from .configuration import PretrainedConfig
from .modeling_utils import PreTrainedModel, _classification_loss
from .outputs import ModelOutput

__all__ = [
    "BartConfig", "BartModel", "BartForConditionalGeneration", "BartForSequenceClassification",
    "BartPreTrainedModel", "BartLearnedPositionalEmbedding", "Seq2SeqModelOutput",
    "Seq2SeqLMOutput", "Seq2SeqSequenceClassifierOutput", "shift_tokens_right",
]


class BartConfig(PretrainedConfig):
    """Configuration of the BART models (``transformers.BartConfig`` defaults: bart-large).

    Args:
        vocab_size (50265), max_position_embeddings (1024), d_model (1024, the width),
        encoder_layers, decoder_layers (12), encoder_attention_heads, decoder_attention_heads
        (16), encoder_ffn_dim, decoder_ffn_dim (4096), activation_function (``'gelu'``, the erf
        form), dropout (0.1), attention_dropout, activation_dropout (0.0),
        encoder_layerdrop, decoder_layerdrop (0.0; accepted and stored, layers are never
        skipped here), init_std (0.02), classifier_dropout (0.0), scale_embedding (False:
        token embeddings not multiplied by ``sqrt(d_model)``), use_cache (True),
        num_labels (3), pad_token_id (1), bos_token_id (0), eos_token_id (2),
        is_encoder_decoder (True), decoder_start_token_id (2), forced_eos_token_id (2: the
        last token :meth:`generate` may write is EOS).
    """

    model_type = "bart"

    def __init__(self, vocab_size: int = 50265, max_position_embeddings: int = 1024,
                 encoder_layers: int = 12, encoder_ffn_dim: int = 4096,
                 encoder_attention_heads: int = 16, decoder_layers: int = 12,
                 decoder_ffn_dim: int = 4096, decoder_attention_heads: int = 16,
                 encoder_layerdrop: float = 0.0, decoder_layerdrop: float = 0.0,
                 activation_function: str = "gelu", d_model: int = 1024, dropout: float = 0.1,
                 attention_dropout: float = 0.0, activation_dropout: float = 0.0,
                 init_std: float = 0.02, classifier_dropout: float = 0.0,
                 scale_embedding: bool = False, use_cache: bool = True,
                 num_labels: int = 3, pad_token_id: int = 1, bos_token_id: int = 0,
                 eos_token_id: int = 2, is_encoder_decoder: bool = True,
                 decoder_start_token_id: int = 2, forced_eos_token_id: int | None = 2,
                 **kwargs):
        if "id2label" in kwargs:
            num_labels = None  # the label names decide the head size, as in transformers
        super().__init__(num_labels=num_labels, pad_token_id=pad_token_id,
                         bos_token_id=bos_token_id, eos_token_id=eos_token_id, **kwargs)
        for name, heads in (("encoder", encoder_attention_heads),
                            ("decoder", decoder_attention_heads)):
            if d_model % heads:
                raise ValueError(f"BartConfig: d_model={d_model} is not a multiple of "
                                 f"{name}_attention_heads={heads}")
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.d_model = d_model
        self.encoder_ffn_dim = encoder_ffn_dim
        self.encoder_layers = encoder_layers
        self.encoder_attention_heads = encoder_attention_heads
        self.decoder_ffn_dim = decoder_ffn_dim
        self.decoder_layers = decoder_layers
        self.decoder_attention_heads = decoder_attention_heads
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation_dropout = activation_dropout
        self.activation_function = activation_function
        self.init_std = init_std
        self.encoder_layerdrop = encoder_layerdrop
        self.decoder_layerdrop = decoder_layerdrop
        self.classifier_dropout = classifier_dropout
        self.use_cache = use_cache
        self.scale_embedding = scale_embedding
        self.is_encoder_decoder = is_encoder_decoder
        self.decoder_start_token_id = decoder_start_token_id
        self.forced_eos_token_id = forced_eos_token_id

    # transformers' attribute_map: the generic names other code reads
    hidden_size = property(lambda self: self.d_model)
    num_attention_heads = property(lambda self: self.encoder_attention_heads)
    num_hidden_layers = property(lambda self: self.encoder_layers)


@dataclass(repr=False, eq=False)
class Seq2SeqModelOutput(ModelOutput):
    """Attributes: ``last_hidden_state`` ``(N, T, d_model)`` (the decoder's),
    ``past_key_values`` (with ``use_cache``: per decoder layer ``(self k, self v, cross k,
    cross v)``, each ``(N, heads, length, head_dim)``), ``encoder_last_hidden_state``
    ``(N, S, d_model)``."""

    last_hidden_state: object = None
    past_key_values: tuple | None = None
    decoder_hidden_states: tuple | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    encoder_last_hidden_state: object = None
    encoder_hidden_states: tuple | None = None
    encoder_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class _Seq2SeqHeadOutput(ModelOutput):
    """The fields of the heads' outputs (the LM and the classifier have the same ones)."""

    loss: object = None
    logits: object = None
    past_key_values: tuple | None = None
    decoder_hidden_states: tuple | None = None
    decoder_attentions: tuple | None = None
    cross_attentions: tuple | None = None
    encoder_last_hidden_state: object = None
    encoder_hidden_states: tuple | None = None
    encoder_attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class Seq2SeqLMOutput(_Seq2SeqHeadOutput):
    """Attributes: ``loss`` (with labels), ``logits`` ``(N, T, vocab_size)``, then as
    :class:`Seq2SeqModelOutput`."""


@dataclass(repr=False, eq=False)
class Seq2SeqSequenceClassifierOutput(_Seq2SeqHeadOutput):
    """Attributes: ``loss`` (with labels), ``logits`` ``(N, num_labels)``, then as
    :class:`Seq2SeqModelOutput`."""


def shift_tokens_right(input_ids, pad_token_id: int, decoder_start_token_id: int):
    """Decoder inputs for teacher forcing: ``decoder_start_token_id`` then ``input_ids[:, :-1]``,
    with label padding -100 replaced by ``pad_token_id`` (transformers' function).

    Example:
        >>> shift_tokens_right(ember.tensor([[5, 6, -100]]), 1, 2)
        tensor([[2, 5, 6]])
    """
    if pad_token_id is None:
        raise ValueError("shift_tokens_right: config.pad_token_id has to be defined")
    start = ember.full((input_ids.shape[0], 1), decoder_start_token_id, dtype=input_ids.dtype,
                       device=input_ids.device)
    shifted = ember.cat([start, input_ids[:, :-1]], dim=1)
    return shifted.masked_fill(shifted == -100, pad_token_id)


class BartPreTrainedModel(PreTrainedModel):
    """Base of the BART models: :class:`BartConfig`, checkpoint prefix ``'model'``, BART's
    initialisation, the shared embedding tied into encoder and decoder."""

    config_class = BartConfig
    base_model_prefix = "model"
    _tied_weights_keys = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")

    def _init_weights(self, module: nn.Module) -> None:
        # transformers' BART init is the BERT family's with std = init_std (its LayerNorms are
        # left at (1, 0), which the shared init also sets).
        _normal_init(module, self.config.init_std)

    def _rename_checkpoint_keys(self, state: dict) -> dict:
        # fairseq conversions carry 'encoder.version'-style entries; some checkpoints hold the
        # token embedding only under encoder/decoder.embed_tokens (all three are one tensor).
        state = {k: v for k, v in state.items() if not k.endswith(".version")}
        for side in ("encoder", "decoder"):
            for pre in ("", "model."):
                if pre + "shared.weight" not in state and f"{pre}{side}.embed_tokens.weight" \
                        in state:
                    state[pre + "shared.weight"] = state[f"{pre}{side}.embed_tokens.weight"]
        return super()._rename_checkpoint_keys(state)


class BartModel(BartPreTrainedModel):
    """The bare encoder-decoder: ``shared`` token embedding, ``encoder``, ``decoder``.

    Without ``decoder_input_ids`` the decoder reads ``input_ids`` shifted right (BART's
    denoising setup, as transformers).

    Example:
        >>> out = model(input_ids, attention_mask=mask, decoder_input_ids=dec)
        >>> out.last_hidden_state.shape, out.encoder_last_hidden_state.shape
    """

    def __init__(self, config: BartConfig):
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model, config.pad_token_id)
        self.encoder = BartEncoder(config, self.shared)
        self.decoder = BartDecoder(config, self.shared)
        self.post_init()

    def tie_weights(self) -> None:
        self.encoder.embed_tokens.weight = self.shared.weight
        self.decoder.embed_tokens.weight = self.shared.weight

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def get_encoder(self) -> BartEncoder:
        return self.encoder

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None,
                decoder_attention_mask=None, *, encoder_outputs=None, past_key_values=None,
                use_cache: bool | None = None) -> Seq2SeqModelOutput:
        """The arguments after ``decoder_attention_mask`` are keyword-only: transformers has
        head masks in those positions, which Ember does not support (nor ``inputs_embeds``,
        ``output_attentions``, ``output_hidden_states``), so a positional call fails loudly.

        Args:
            input_ids: ``(N, S)`` encoder ids (not needed when ``encoder_outputs`` is given).
            attention_mask: ``(N, S)`` 1 for real encoder tokens, 0 for padding.
            decoder_input_ids: ``(N, T)``; with ``past_key_values`` only the new tokens.
            decoder_attention_mask: ``(N, past + T)``.
            encoder_outputs: a previous encoder result (``BaseModelOutput`` or a tuple).
            past_key_values: the cache of a previous call.
            use_cache: return the cache (default ``config.use_cache``).
        """
        use_cache = self.config.use_cache if use_cache is None else use_cache
        if decoder_input_ids is None:
            if input_ids is None:
                raise ValueError("BartModel: pass decoder_input_ids, or input_ids to shift "
                                 "right into decoder inputs")
            decoder_input_ids = shift_tokens_right(input_ids, self.config.pad_token_id,
                                                   self.config.decoder_start_token_id)
        if encoder_outputs is None:
            if input_ids is None:
                raise ValueError("BartModel: pass input_ids or encoder_outputs")
            encoder_outputs = self.encoder(input_ids, attention_mask)
        encoder_hidden = _encoder_hidden(encoder_outputs)
        _check_mask("BartModel", "attention_mask", attention_mask,
                    tuple(encoder_hidden.shape[:2]))
        hidden, presents = self.decoder(decoder_input_ids, encoder_hidden,
                                        decoder_attention_mask, attention_mask,
                                        past_key_values, use_cache)
        return Seq2SeqModelOutput(last_hidden_state=hidden, past_key_values=presents,
                                  encoder_last_hidden_state=encoder_hidden)


class BartForConditionalGeneration(BartPreTrainedModel, GenerationMixin):
    """BART with its LM head (``lm_head``, tied to ``model.shared``) plus the
    ``final_logits_bias`` buffer ``(1, vocab_size)`` (saved in checkpoints), and encoder-decoder
    :meth:`~embertext.generation.GenerationMixin.generate`.

    With ``labels`` ``(N, T)`` (-100 ignored) the output carries the cross-entropy ``loss`` and,
    unless given, the decoder inputs are ``shift_tokens_right(labels)``.

    Example:
        >>> out = model(input_ids, attention_mask=mask, labels=target_ids)
        >>> out.loss.backward()
        >>> summary_ids = model.generate(input_ids, attention_mask=mask, max_new_tokens=30)
    """

    _tied_weights_keys = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight",
                          "lm_head.weight")

    def __init__(self, config: BartConfig):
        super().__init__(config)
        self.model = BartModel(config)
        self.register_buffer("final_logits_bias", ember.zeros(1, config.vocab_size))
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.post_init()

    def tie_weights(self) -> None:
        self.model.tie_weights()
        self.lm_head.weight = self.model.shared.weight

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.shared

    def get_encoder(self) -> BartEncoder:
        return self.model.encoder

    def prepare_decoder_input_ids_from_labels(self, labels):
        """``shift_tokens_right(labels)``: what ``forward`` feeds the decoder for ``labels``."""
        return shift_tokens_right(labels, self.config.pad_token_id,
                                  self.config.decoder_start_token_id)

    def _rename_checkpoint_keys(self, state: dict) -> dict:
        state = super()._rename_checkpoint_keys(state)
        if "final_logits_bias" not in state:
            # transformers' _keys_to_ignore_on_load_missing: a BartModel checkpoint has no
            # bias; it stays zero, silently
            state["final_logits_bias"] = ember.zeros(1, self.config.vocab_size)
        return state

    def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None,
                decoder_attention_mask=None, *, encoder_outputs=None, past_key_values=None,
                use_cache: bool | None = None, labels=None) -> Seq2SeqLMOutput:
        """Arguments as :meth:`BartModel.forward`, plus ``labels`` ``(N, T)``."""
        if labels is not None:
            use_cache = False  # transformers: no cache when training on labels
            if decoder_input_ids is None:
                decoder_input_ids = shift_tokens_right(labels, self.config.pad_token_id,
                                                       self.config.decoder_start_token_id)
        out = self.model(input_ids, attention_mask, decoder_input_ids, decoder_attention_mask,
                         encoder_outputs=encoder_outputs, past_key_values=past_key_values,
                         use_cache=use_cache)
        logits = self.lm_head(out.last_hidden_state) + self.final_logits_bias
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, self.config.vocab_size),
                                   labels.reshape(-1), ignore_index=-100)
        return Seq2SeqLMOutput(loss=loss, logits=logits, past_key_values=out.past_key_values,
                               encoder_last_hidden_state=out.encoder_last_hidden_state)


class BartClassificationHead(nn.Module):
    """``out_proj(dropout(tanh(dense(dropout(x)))))``."""

    def __init__(self, input_dim: int, inner_dim: int, num_classes: int, pooler_dropout: float):
        super().__init__()
        self.dense = nn.Linear(input_dim, inner_dim)
        self.dropout = nn.Dropout(pooler_dropout)
        self.out_proj = nn.Linear(inner_dim, num_classes)

    def forward(self, hidden_states):
        hidden_states = ember.tanh(self.dense(self.dropout(hidden_states)))
        return self.out_proj(self.dropout(hidden_states))


class BartForSequenceClassification(BartPreTrainedModel):
    """BART with a classification head on the decoder state at the last EOS token of each
    sequence (bart-large-mnli). Every sequence must hold the same number of EOS tokens, as
    transformers requires.

    Example:
        >>> model = BartForSequenceClassification.from_pretrained(folder, num_labels=3)
        >>> model(input_ids, attention_mask=mask, labels=ember.tensor([0, 2])).loss
    """

    def __init__(self, config: BartConfig):
        super().__init__(config)
        self.model = BartModel(config)
        self.classification_head = BartClassificationHead(
            config.d_model, config.d_model, config.num_labels, config.classifier_dropout)
        self.post_init()

    def tie_weights(self) -> None:
        self.model.tie_weights()

    def forward(self, input_ids, attention_mask=None, decoder_input_ids=None,
                decoder_attention_mask=None, *, encoder_outputs=None, labels=None
                ) -> Seq2SeqSequenceClassifierOutput:
        """``input_ids`` ``(N, L)`` (their EOS tokens choose the pooled positions, as in
        transformers), ``labels`` ``(N,)`` class ids (or floats for regression / multi-label)
        -> ``logits`` ``(N, num_labels)`` and ``loss``."""
        out = self.model(input_ids, attention_mask, decoder_input_ids, decoder_attention_mask,
                         encoder_outputs=encoder_outputs, use_cache=False)
        hidden = out.last_hidden_state
        ids = input_ids
        if ids.shape[1] != hidden.shape[1]:
            raise ValueError(f"BartForSequenceClassification: the decoder length "
                             f"{hidden.shape[1]} differs from the input length {ids.shape[1]}; "
                             f"the EOS tokens of input_ids pick the pooled decoder states, so "
                             f"leave decoder_input_ids unset (the shifted input_ids)")
        eos = ids == self.config.eos_token_id
        counts = eos.sum(dim=1)
        if bool((counts != counts[0]).any()) or int(counts[0]) == 0:
            raise ValueError(f"BartForSequenceClassification: all examples must have the same "
                             f"number (at least one) of <eos> tokens (eos_token_id="
                             f"{self.config.eos_token_id}); got counts {counts.tolist()}")
        # the last EOS of each row: the largest position index among the EOS ones
        positions = ember.arange(ids.shape[1], device=ids.device)[None, :]
        last = (eos.long() * (positions + 1)).argmax(dim=1)
        pooled = hidden[ember.arange(ids.shape[0], device=ids.device), last]
        logits = self.classification_head(pooled)
        loss = None if labels is None else _classification_loss(self.config, logits, labels)
        return Seq2SeqSequenceClassifierOutput(
            loss=loss, logits=logits, encoder_last_hidden_state=out.encoder_last_hidden_state)
