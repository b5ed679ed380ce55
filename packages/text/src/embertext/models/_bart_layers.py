"""BART's layers (``transformers``' module and parameter names): learned positions with
fairseq's offset, multi-head attention with a key/value cache, the post-LN encoder and decoder
layers and stacks. The models built on them are in ``bart.py``, which re-exports these names.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import ember
from ember import nn
from ember.nn import functional as F

from .modeling_utils import _activation, _check_input_ids, _extended_attention_mask
from .outputs import BaseModelOutput

if TYPE_CHECKING:
    from .bart import BartConfig

__all__ = ["BartLearnedPositionalEmbedding"]


def _additive(allowed, dtype):
    """Boolean "may attend" -> additive mask: 0 or the dtype's most negative finite value
    (transformers' choice: a fully masked row still gives a finite softmax)."""
    zero = ember.zeros((), dtype=dtype, device=allowed.device)
    return ember.where(allowed, zero, ember.finfo(dtype).min)


def _past_length(past_key_values) -> int:
    return 0 if not past_key_values else past_key_values[0][0].shape[-2]


def _encoder_hidden(encoder_outputs):
    # transformers accepts a BaseModelOutput or a plain tuple whose first item is the state
    if isinstance(encoder_outputs, (tuple, list)):
        return encoder_outputs[0]
    return encoder_outputs.last_hidden_state


class BartLearnedPositionalEmbedding(nn.Embedding):
    """Learned positions with fairseq's offset of 2: position ``p`` reads row ``p + 2``, so the
    table has ``num_embeddings + 2`` rows (checkpoints keep the two unused rows)."""

    offset = 2

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__(num_embeddings + self.offset, embedding_dim)

    def forward(self, length: int, past_key_values_length: int = 0):
        """Embeddings ``(length, dim)`` of positions ``past, ..., past + length - 1``."""
        positions = ember.arange(past_key_values_length, past_key_values_length + length,
                                 device=self.weight.device)
        return super().forward(positions + self.offset)


class BartAttention(nn.Module):
    """Multi-head attention with separate q/k/v projections. Self-attention (``key_value_states``
    None) appends new keys/values to the cached ones; cross-attention projects the encoder
    states once and reuses the cached projection afterwards."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        # transformers' registration order (k, v, q, out): the state-dict order follows it
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def _heads(self, x):
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, key_value_states=None, past_key_value=None, mask=None):
        """Returns ``(output, (k, v))``: the keys/values to cache, ``(N, heads, S, head_dim)``."""
        q = self._heads(self.q_proj(hidden_states))
        if key_value_states is not None and past_key_value is not None:
            k, v = past_key_value  # cross-attention: the encoder's projection never changes
        else:
            source = hidden_states if key_value_states is None else key_value_states
            k, v = self._heads(self.k_proj(source)), self._heads(self.v_proj(source))
            if past_key_value is not None:
                k = ember.cat([past_key_value[0], k], dim=-2)
                v = ember.cat([past_key_value[1], v], dim=-2)
        p = self.dropout if self.training else 0.0
        # transformers scales q by head_dim ** -0.5 before q @ k^T: the same product
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p,
                                                 scale=1.0 / math.sqrt(self.head_dim))
        n, _, length, _ = context.shape
        out = self.out_proj(context.transpose(1, 2).reshape(n, length, self.embed_dim))
        return out, (k, v)


class BartEncoderLayer(nn.Module):
    """Post-LN: ``LN(x + attn(x))`` then ``LN(x + fc2(act(fc1(x))))``."""

    def __init__(self, config: BartConfig):
        super().__init__()
        d = config.d_model
        self.self_attn = BartAttention(d, config.encoder_attention_heads,
                                       config.attention_dropout)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.dropout = nn.Dropout(config.dropout)
        self.activation_fn = _activation(config.activation_function)
        self.activation_dropout = nn.Dropout(config.activation_dropout)
        self.fc1 = nn.Linear(d, config.encoder_ffn_dim)
        self.fc2 = nn.Linear(config.encoder_ffn_dim, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, hidden_states, mask=None):
        attended, _ = self.self_attn(hidden_states, mask=mask)
        hidden_states = self.self_attn_layer_norm(hidden_states + self.dropout(attended))
        ffn = self.fc2(self.activation_dropout(self.activation_fn(self.fc1(hidden_states))))
        return self.final_layer_norm(hidden_states + self.dropout(ffn))


class BartDecoderLayer(nn.Module):
    """Post-LN: causal self-attention, cross-attention over the encoder, feed-forward."""

    def __init__(self, config: BartConfig):
        super().__init__()
        d = config.d_model
        self.self_attn = BartAttention(d, config.decoder_attention_heads,
                                       config.attention_dropout)
        self.dropout = nn.Dropout(config.dropout)
        self.activation_fn = _activation(config.activation_function)
        self.activation_dropout = nn.Dropout(config.activation_dropout)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = BartAttention(d, config.decoder_attention_heads,
                                          config.attention_dropout)
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, config.decoder_ffn_dim)
        self.fc2 = nn.Linear(config.decoder_ffn_dim, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, hidden_states, encoder_hidden_states, self_mask=None, cross_mask=None,
                past_key_value=None):
        """Returns ``(hidden, (self k, self v, cross k, cross v))``."""
        self_past = cross_past = None
        if past_key_value is not None:
            self_past, cross_past = past_key_value[:2], past_key_value[2:]
        attended, self_kv = self.self_attn(hidden_states, past_key_value=self_past,
                                           mask=self_mask)
        hidden_states = self.self_attn_layer_norm(hidden_states + self.dropout(attended))
        attended, cross_kv = self.encoder_attn(hidden_states, encoder_hidden_states,
                                               past_key_value=cross_past, mask=cross_mask)
        hidden_states = self.encoder_attn_layer_norm(hidden_states + self.dropout(attended))
        ffn = self.fc2(self.activation_dropout(self.activation_fn(self.fc1(hidden_states))))
        return self.final_layer_norm(hidden_states + self.dropout(ffn)), self_kv + cross_kv


class _BartStack(nn.Module):
    """What encoder and decoder share: the (shared) token embedding scaled by ``embed_scale``,
    learned positions, ``layernorm_embedding`` and dropout, and ``num_layers`` layers. The
    registration order is transformers' (the state-dict order follows it)."""

    def __init__(self, config: BartConfig, embed_tokens: nn.Embedding, layer_class: type,
                 num_layers: int):
        super().__init__()
        self.config = config
        self.dropout = nn.Dropout(config.dropout)
        self.embed_scale = math.sqrt(config.d_model) if config.scale_embedding else 1.0
        self.embed_tokens = embed_tokens
        self.embed_positions = BartLearnedPositionalEmbedding(config.max_position_embeddings,
                                                              config.d_model)
        self.layers = nn.ModuleList([layer_class(config) for _ in range(num_layers)])
        self.layernorm_embedding = nn.LayerNorm(config.d_model)

    def _embed(self, input_ids, past: int = 0):
        """``dropout(LN(scale * tokens + positions past..past+T-1))``, ``(N, T, d_model)``."""
        hidden = (self.embed_tokens(input_ids) * self.embed_scale
                  + self.embed_positions(input_ids.shape[1], past))
        return self.dropout(self.layernorm_embedding(hidden))


class BartEncoder(_BartStack):
    """Token + position embeddings, ``layernorm_embedding``, ``encoder_layers`` post-LN layers."""

    def __init__(self, config: BartConfig, embed_tokens: nn.Embedding):
        super().__init__(config, embed_tokens, BartEncoderLayer, config.encoder_layers)

    def forward(self, input_ids, attention_mask=None):
        """``input_ids`` ``(N, S)``, ``attention_mask`` ``(N, S)`` 1 = real token ->
        :class:`BaseModelOutput` with ``last_hidden_state`` ``(N, S, d_model)``."""
        cfg = self.config
        n, length = _check_input_ids("BartEncoder", input_ids, cfg.vocab_size,
                                     cfg.max_position_embeddings)
        _check_mask("BartEncoder", "attention_mask", attention_mask, (n, length))
        hidden = self._embed(input_ids)
        mask = _extended_attention_mask(attention_mask, hidden.dtype)
        for layer in self.layers:  # over layers, not data
            hidden = layer(hidden, mask)
        return BaseModelOutput(last_hidden_state=hidden)


def _check_mask(op: str, name: str, mask, expected: tuple) -> None:
    if mask is not None and tuple(mask.shape) != expected:
        raise ValueError(f"{op}: expected {name} of shape {expected}, got {tuple(mask.shape)}")


class BartDecoder(_BartStack):
    """Causal decoder: embeddings, ``layernorm_embedding``, ``decoder_layers`` post-LN layers
    with cross-attention over the encoder's output."""

    def __init__(self, config: BartConfig, embed_tokens: nn.Embedding):
        super().__init__(config, embed_tokens, BartDecoderLayer, config.decoder_layers)

    def forward(self, input_ids, encoder_hidden_states, attention_mask=None,
                encoder_attention_mask=None, past_key_values=None, use_cache: bool = False):
        """Returns ``(last_hidden_state (N, T, d_model), presents or None)``.

        ``attention_mask`` ``(N, past + T)`` masks decoder padding, ``encoder_attention_mask``
        ``(N, S)`` the encoder's."""
        cfg = self.config
        past = _past_length(past_key_values)
        n, length = _check_input_ids("BartDecoder", input_ids, cfg.vocab_size,
                                     cfg.max_position_embeddings)
        if past + length > cfg.max_position_embeddings:
            raise ValueError(f"BartDecoder: {past} cached + {length} new decoder positions "
                             f"exceed the model's maximum of max_position_embeddings="
                             f"{cfg.max_position_embeddings}; generate fewer tokens")
        _check_mask("BartDecoder", "decoder_attention_mask", attention_mask, (n, past + length))
        if past_key_values is not None and len(past_key_values) != len(self.layers):
            raise ValueError(f"BartDecoder: past_key_values has {len(past_key_values)} layers, "
                             f"the decoder {len(self.layers)}")
        device = input_ids.device
        hidden = self._embed(input_ids, past)
        # Query i sits at position past + i and sees keys j <= past + i, minus padding.
        keys = ember.arange(past + length, device=device)
        queries = ember.arange(past, past + length, device=device)
        allowed = (keys[None, :] <= queries[:, None])[None, None]
        if attention_mask is not None:
            allowed = allowed & attention_mask.bool()[:, None, None, :]
        self_mask = _additive(allowed, hidden.dtype)
        cross_mask = _extended_attention_mask(encoder_attention_mask, hidden.dtype)
        presents = () if use_cache else None
        layers_past = past_key_values if past_key_values is not None else (None,) * len(
            self.layers)
        for layer, layer_past in zip(self.layers, layers_past):  # over layers, not data
            hidden, present = layer(hidden, encoder_hidden_states, self_mask, cross_mask,
                                    layer_past)
            if use_cache:
                presents += (present,)
        return hidden, presents
