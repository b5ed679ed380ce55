"""WavLM (Chen et al., 2022) with Hugging Face ``transformers``' module and parameter names,
so ``microsoft/wavlm-*`` folders load strictly.

WavLM is Wav2Vec2's network (feature encoder, projection, convolutional positional embedding:
the blocks of :mod:`._wav2vec2_layers`) with *gated relative position bias* in self-attention:
the first layer owns a learnt table ``rel_attn_embed`` (``num_buckets`` x heads) indexed by
T5-style log-spaced buckets of the key-query offset; every layer scales that shared bias per
head and query frame by a gate computed from the query's own features::

    g = sigmoid(sum4(gru_rel_pos_linear(x_head)))      # (a, b): two gates per head and frame
    gate = a * (b * gru_rel_pos_const - 1) + 2
    scores = q k^T / sqrt(d) + gate * bias

    model = WavLMForCTC.from_pretrained("patrickvonplaten/wavlm-libri-clean-100h-base-plus")
    logits = model(input_values).logits
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F

from ._wav2vec2_encoder import Attention, FeedForward, PositionalConvEmbedding
from ._wav2vec2_layers import (
    FeatureEncoder,
    FeatureProjection,
    SpeechForCTC,
    SpeechForSequenceClassification,
    SpeechModel,
    SpeechPreTrainedModel,
    Wav2Vec2BaseModelOutput,
)
from .wav2vec2 import Wav2Vec2Config, _preset

__all__ = [
    "WAVLM_PRESETS", "WavLMConfig", "WavLMForCTC", "WavLMForSequenceClassification",
    "WavLMModel", "WavLMPreTrainedModel",
]


class WavLMConfig(Wav2Vec2Config):
    """Configuration of the WavLM models (``transformers.WavLMConfig``): the keys and defaults
    of :class:`~emberaudio.models.wav2vec2.Wav2Vec2Config` plus the relative position bias,
    and ``ctc_loss_reduction='mean'`` (WavLM's default, where Wav2Vec2's is 'sum').

    Args:
        num_buckets: relative-position buckets of the bias table (320).
        max_bucket_distance: offset at which the log-spaced buckets saturate (800 frames).
        ctc_loss_reduction: 'mean'.
        **kwargs: every :class:`Wav2Vec2Config` argument; other config.json keys (quantizer,
            x-vector settings, ...) are kept and written back.

    Example:
        >>> WavLMConfig.from_preset("microsoft/wavlm-large").num_hidden_layers
        24
    """

    model_type = "wavlm"

    def __init__(self, num_buckets: int = 320, max_bucket_distance: int = 800,
                 ctc_loss_reduction: str = "mean", **kwargs):
        super().__init__(ctc_loss_reduction=ctc_loss_reduction, **kwargs)
        self.num_buckets = num_buckets
        self.max_bucket_distance = max_bucket_distance

    @classmethod
    def from_preset(cls, name: str, **kwargs) -> WavLMConfig:
        """The architecture of a published checkpoint (see :data:`WAVLM_PRESETS`)."""
        return cls.from_dict(_preset(WAVLM_PRESETS, name), **kwargs)


_WAVLM_BASE = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
               "intermediate_size": 3072, "feat_extract_norm": "group",
               "do_stable_layer_norm": False, "conv_bias": False, "architectures": ["WavLMModel"]}

#: The architecture keys of the published WavLM checkpoints' config.json.
WAVLM_PRESETS = {
    "microsoft/wavlm-base": dict(_WAVLM_BASE),
    "microsoft/wavlm-base-plus": dict(_WAVLM_BASE),
    "microsoft/wavlm-large": {
        "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
        "intermediate_size": 4096, "feat_extract_norm": "layer", "do_stable_layer_norm": True,
        "conv_bias": False, "architectures": ["WavLMModel"],
    },
}


def _relative_position_buckets(query_length: int, key_length: int, num_buckets: int,
                               max_distance: int) -> np.ndarray:
    """T5/WavLM buckets of ``key - query`` offsets, ``(query_length, key_length)`` int64:
    half the buckets per sign; offsets under a quarter of ``num_buckets`` get their own
    bucket, larger ones share log-spaced buckets up to ``max_distance`` (then the last)."""
    relative = np.arange(key_length)[None, :] - np.arange(query_length)[:, None]
    half = num_buckets // 2
    buckets = (relative > 0).astype(np.int64) * half
    distance = np.abs(relative)
    max_exact = half // 2
    with np.errstate(divide="ignore"):  # log(0) where distance = 0: those take the exact path
        large = max_exact + (np.log(distance.astype(np.float32) / max_exact)
                             / math.log(max_distance / max_exact) * (half - max_exact))
    large = np.minimum(np.where(distance < max_exact, 0, large).astype(np.int64), half - 1)
    return buckets + np.where(distance < max_exact, distance, large)


class WavLMAttention(Attention):
    """Self-attention with gated relative position bias (``transformers.WavLMAttention``:
    ``q_proj``/``k_proj``/``v_proj``/``out_proj``, ``gru_rel_pos_const`` ``(1, H, 1, 1)``,
    ``gru_rel_pos_linear`` ``head_dim -> 8``, and ``rel_attn_embed`` in the first layer)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 num_buckets: int = 320, max_distance: int = 800,
                 has_relative_position_bias: bool = True):
        if embed_dim % num_heads:  # transformers' WavLM wording (checked before the parent's)
            raise ValueError(f"WavLMAttention: embed_dim must be divisible by num_heads (got "
                             f"`embed_dim`: {embed_dim} and `num_heads`: {num_heads}).")
        # q/k/v/out projections and _heads: Wav2Vec2's attention, same parameter names
        super().__init__(embed_dim, num_heads, dropout)
        self.num_buckets, self.max_distance = num_buckets, max_distance
        self.gru_rel_pos_const = nn.Parameter(ember.ones(1, num_heads, 1, 1))
        self.gru_rel_pos_linear = nn.Linear(self.head_dim, 8)
        if has_relative_position_bias:
            self.rel_attn_embed = nn.Embedding(num_buckets, num_heads)

    def compute_bias(self, query_length: int, key_length: int):
        """The ungated bias ``(H, query_length, key_length)`` from ``rel_attn_embed``."""
        buckets = _relative_position_buckets(query_length, key_length, self.num_buckets,
                                             self.max_distance)
        index = ember.tensor(buckets, device=self.rel_attn_embed.weight.device)
        return self.rel_attn_embed(index).permute(2, 0, 1)

    def forward(self, hidden_states, attention_mask=None, position_bias=None,
                output_attentions: bool = False):
        """``attention_mask``: boolean ``(N, T)`` feature mask (True = real frame);
        ``position_bias``: ``(H, T, T)`` from the first layer (None there: computed here).
        Returns ``(output, head-averaged attention probabilities or None, position_bias)``."""
        n, length, _ = hidden_states.shape
        if position_bias is None:
            position_bias = self.compute_bias(length, length)
        # The gate: per head and query frame, from that frame's own head slice.
        projected = self.gru_rel_pos_linear(self._heads(hidden_states))  # (N, H, T, 8)
        gate_a, gate_b = F.sigmoid(projected.view(n, self.num_heads, length, 2, 4).sum(-1)
                                   ).chunk(2, dim=-1)
        gate = gate_a * (gate_b * self.gru_rel_pos_const - 1.0) + 2.0  # (N, H, T, 1)
        gated_bias = gate * position_bias[None]  # (N, H, T, T)

        q = self._heads(self.q_proj(hidden_states)) * (1.0 / math.sqrt(self.head_dim))
        k = self._heads(self.k_proj(hidden_states))
        v = self._heads(self.v_proj(hidden_states))
        scores = q @ k.transpose(-1, -2) + gated_bias.to(q.dtype)
        if attention_mask is not None:
            # torch's multi_head_attention_forward key_padding_mask: padded keys get -inf.
            scores = scores.masked_fill(~attention_mask[:, None, None, :], float("-inf"))
        probs = F.softmax(scores, dim=-1)
        context = F.dropout(probs, self.dropout, self.training) @ v
        output = self.out_proj(context.transpose(1, 2).reshape(n, length, self.embed_dim))
        weights = None
        if output_attentions:
            # transformers returns torch's head-averaged weights broadcast back to every head.
            weights = probs.mean(dim=1, keepdim=True).expand(n, self.num_heads, length, length)
        return output, weights, position_bias


class WavLMEncoderLayer(nn.Module):
    """One Transformer layer around :class:`WavLMAttention`: post-norm
    (``WavLMEncoderLayer``) or pre-norm (``stable``: ``WavLMEncoderLayerStableLayerNorm``)."""

    def __init__(self, config, has_relative_position_bias: bool, stable: bool):
        super().__init__()
        self.attention = WavLMAttention(config.hidden_size, config.num_attention_heads,
                                        config.attention_dropout, config.num_buckets,
                                        config.max_bucket_distance, has_relative_position_bias)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.feed_forward = FeedForward(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.stable = stable

    def forward(self, hidden_states, attention_mask=None, position_bias=None,
                output_attentions: bool = False):
        residual = hidden_states
        if self.stable:
            hidden_states = self.layer_norm(hidden_states)
        hidden_states, weights, position_bias = self.attention(
            hidden_states, attention_mask, position_bias, output_attentions)
        hidden_states = residual + self.dropout(hidden_states)
        if self.stable:
            hidden_states = hidden_states + self.feed_forward(self.final_layer_norm(hidden_states))
        else:
            hidden_states = self.layer_norm(hidden_states)
            hidden_states = self.final_layer_norm(hidden_states
                                                  + self.feed_forward(hidden_states))
        return hidden_states, position_bias, weights


class WavLMEncoder(nn.Module):
    """Positional convolution, the layers (the first owns ``rel_attn_embed``; its bias is
    passed on to the others), ``layer_norm`` (before the layers in the post-norm form, after
    them in the stable form). LayerDrop never skips the first layer, which makes the bias."""

    def __init__(self, config, stable: bool):
        super().__init__()
        self.pos_conv_embed = PositionalConvEmbedding(config)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layers = nn.ModuleList(WavLMEncoderLayer(config, i == 0, stable)
                                    for i in range(config.num_hidden_layers))
        self.stable = stable
        self.layerdrop = config.layerdrop

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False,
                output_hidden_states: bool = False):
        """``attention_mask``: boolean ``(N, T')`` (True = real frame). Returns
        ``(last hidden state, all hidden states or None, all attentions or None)``."""
        if attention_mask is not None:
            hidden_states = ember.where(attention_mask[..., None], hidden_states, 0.0)
        hidden_states = hidden_states + self.pos_conv_embed(hidden_states)
        if not self.stable:
            hidden_states = self.layer_norm(hidden_states)
        hidden_states = self.dropout(hidden_states)
        all_hidden = () if output_hidden_states else None
        all_attn = () if output_attentions else None
        position_bias = None
        for i, layer in enumerate(self.layers):  # over layers, not data
            if output_hidden_states:
                all_hidden += (hidden_states,)
            weights = None
            skip = (self.training and i > 0 and self.layerdrop > 0
                    and ember.rand(()).item() < self.layerdrop)
            if not skip:
                hidden_states, position_bias, weights = layer(
                    hidden_states, attention_mask, position_bias, output_attentions)
            if output_attentions:
                all_attn += (weights,)
        if self.stable:
            hidden_states = self.layer_norm(hidden_states)
        if output_hidden_states:
            all_hidden += (hidden_states,)
        return hidden_states, all_hidden, all_attn


class WavLMPreTrainedModel(SpeechPreTrainedModel):
    """Base of the WavLM models: :class:`WavLMConfig`, checkpoint prefix ``'wavlm'``.
    Initialisation is Wav2Vec2's; ``rel_attn_embed`` keeps nn.Embedding's N(0, 1) and
    ``gru_rel_pos_const`` its ones, as transformers leaves them."""

    config_class = WavLMConfig
    base_model_prefix = "wavlm"


class WavLMModel(WavLMPreTrainedModel, SpeechModel):
    """The WavLM encoder (``transformers.WavLMModel``).

    Forward args: as :class:`~emberaudio.models.wav2vec2.Wav2Vec2Model` (``input_values``
    ``(N, samples)``, ``attention_mask``, ``mask_time_indices``, ``output_attentions``,
    ``output_hidden_states``).

    Returns:
        :class:`Wav2Vec2BaseModelOutput`: ``last_hidden_state`` ``(N, frames, hidden_size)``,
        ``extract_features`` ``(N, frames, conv_dim[-1])``, and hidden states / attentions
        when asked for.

    Example:
        >>> config = WavLMConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        ...                      intermediate_size=64, conv_dim=(16, 16), conv_stride=(5, 2),
        ...                      conv_kernel=(10, 3), num_conv_pos_embeddings=8,
        ...                      num_conv_pos_embedding_groups=4, num_buckets=16,
        ...                      max_bucket_distance=32)
        >>> WavLMModel(config).eval()(ember.randn(1, 400)).last_hidden_state.shape
        ember.Size([1, 39, 32])
    """

    output_class = Wav2Vec2BaseModelOutput

    def __init__(self, config):
        # SpeechModel's body with WavLM's encoder: skip SpeechModel.__init__ (it builds the
        # Wav2Vec2 encoder) and run the pretrained base's; SpeechModel.forward is reused.
        super(SpeechModel, self).__init__(config)
        if getattr(config, "add_adapter", False) or getattr(config, "adapter_attn_dim", None):
            raise NotImplementedError("WavLMModel: adapter layers (add_adapter, "
                                      "adapter_attn_dim) are not supported")
        self.feature_extractor = FeatureEncoder(config)
        self.feature_projection = FeatureProjection(config)
        self.masked_spec_embed = None
        if config.mask_time_prob > 0.0 or config.mask_feature_prob > 0.0:
            self.masked_spec_embed = nn.Parameter(ember.empty(config.hidden_size).uniform_())
        self.encoder = WavLMEncoder(config, stable=config.do_stable_layer_norm)
        self.post_init()


class WavLMForCTC(WavLMPreTrainedModel, SpeechForCTC):
    """WavLM with a CTC head (``transformers.WavLMForCTC``: ``wavlm``, ``dropout``,
    ``lm_head``); see :class:`~emberaudio.models.wav2vec2.Wav2Vec2ForCTC`."""

    base_model_class = WavLMModel


class WavLMForSequenceClassification(WavLMPreTrainedModel, SpeechForSequenceClassification):
    """WavLM with an utterance classifier (``transformers.WavLMForSequenceClassification``);
    see :class:`~emberaudio.models.wav2vec2.Wav2Vec2ForSequenceClassification`."""

    base_model_class = WavLMModel
