"""The network blocks of Wav2Vec2 and HuBERT, with ``transformers``' module names: the
convolutional feature encoder, the feature projection, the weight-normalised convolutional
positional embedding, the Transformer encoder (post-norm and pre-norm forms) and SpecAugment's
span sampling (:func:`_compute_mask_indices`). Re-exported by ``_wav2vec2_layers``.
"""

from __future__ import annotations

import math

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F
from ember.nn.utils.parametrizations import weight_norm
from ember.utils.pretrained import activation

# -- feature encoder ------------------------------------------------------------------------


class _ConvLayer(nn.Module):
    """Conv1d, optional GroupNorm (per-channel over time) or LayerNorm (per frame over
    channels), then the activation: transformers' Wav2Vec2{NoLayerNorm,GroupNorm,LayerNorm}
    ConvLayer in one class (the same parameter names)."""

    def __init__(self, config, layer_id: int, norm: str | None):
        super().__init__()
        in_dim = config.conv_dim[layer_id - 1] if layer_id > 0 else 1
        out_dim = config.conv_dim[layer_id]
        self.conv = nn.Conv1d(in_dim, out_dim, kernel_size=config.conv_kernel[layer_id],
                              stride=config.conv_stride[layer_id], bias=config.conv_bias)
        # The norms keep PyTorch's default eps (1e-5), not config.layer_norm_eps, as in
        # transformers.
        if norm == "group":
            self.layer_norm = nn.GroupNorm(out_dim, out_dim, affine=True)
        elif norm == "layer":
            self.layer_norm = nn.LayerNorm(out_dim, elementwise_affine=True)
        self.norm = norm
        self.activation = activation(config.feat_extract_activation)

    def forward(self, hidden_states):
        hidden_states = self.conv(hidden_states)
        if self.norm == "group":
            hidden_states = self.layer_norm(hidden_states)
        elif self.norm == "layer":
            hidden_states = self.layer_norm(hidden_states.transpose(-2, -1)).transpose(-2, -1)
        return self.activation(hidden_states)


class FeatureEncoder(nn.Module):
    """The raw-waveform CNN: ``(N, T)`` samples -> ``(N, conv_dim[-1], T')`` features
    (``T'`` from :meth:`SpeechPreTrainedModel._get_feat_extract_output_lengths`)."""

    def __init__(self, config):
        super().__init__()
        n = len(config.conv_dim)
        if config.feat_extract_norm == "group":
            norms = ["group"] + [None] * (n - 1)
        elif config.feat_extract_norm == "layer":
            norms = ["layer"] * n
        else:
            raise ValueError(f"config.feat_extract_norm is {config.feat_extract_norm!r}, but has "
                             f"to be one of ['group', 'layer']")
        self.conv_layers = nn.ModuleList(_ConvLayer(config, i, norm)
                                         for i, norm in enumerate(norms))
        self._requires_grad = True

    def _freeze_parameters(self) -> None:
        for param in self.parameters():
            param.requires_grad = False
        self._requires_grad = False

    def forward(self, input_values):
        hidden_states = input_values[:, None]
        for conv_layer in self.conv_layers:  # over layers, not data
            hidden_states = conv_layer(hidden_states)
        return hidden_states


class FeatureProjection(nn.Module):
    """LayerNorm (optional in HuBERT: ``feat_proj_layer_norm``), Linear to ``hidden_size``,
    dropout. Returns ``(projected, normalised features)``."""

    def __init__(self, config, layer_norm: bool = True):
        super().__init__()
        self.layer_norm = (nn.LayerNorm(config.conv_dim[-1], eps=config.layer_norm_eps)
                           if layer_norm else None)
        self.projection = nn.Linear(config.conv_dim[-1], config.hidden_size)
        self.dropout = nn.Dropout(config.feat_proj_dropout)

    def forward(self, hidden_states):
        if self.layer_norm is not None:
            hidden_states = self.layer_norm(hidden_states)
        return self.dropout(self.projection(hidden_states)), hidden_states


class PositionalConvEmbedding(nn.Module):
    """Relative positions from a wide grouped convolution over time (wav2vec 2.0, §2):
    weight-normalised over the kernel dimension (``dim=2``, one norm per tap), padded to keep
    the length (one trailing frame dropped for an even kernel). HuBERT's
    ``conv_pos_batch_norm`` variant puts a BatchNorm1d before a plain convolution instead."""

    def __init__(self, config):
        super().__init__()
        k = config.num_conv_pos_embeddings
        self.conv = nn.Conv1d(config.hidden_size, config.hidden_size, kernel_size=k,
                              padding=k // 2, groups=config.num_conv_pos_embedding_groups)
        self.batch_norm = None
        if getattr(config, "conv_pos_batch_norm", False):
            self.batch_norm = nn.BatchNorm1d(config.hidden_size)
        else:
            weight_norm(self.conv, name="weight", dim=2)
        self.num_pad_remove = 1 if k % 2 == 0 else 0
        self.activation = activation(config.feat_extract_activation)

    def forward(self, hidden_states):
        hidden_states = hidden_states.transpose(1, 2)
        if self.batch_norm is not None:
            hidden_states = self.batch_norm(hidden_states)
        hidden_states = self.conv(hidden_states)
        if self.num_pad_remove:
            hidden_states = hidden_states[:, :, :-self.num_pad_remove]
        return self.activation(hidden_states).transpose(1, 2)


# -- Transformer encoder --------------------------------------------------------------------


class Attention(nn.Module):
    """Multi-head self-attention with ``q_proj``/``k_proj``/``v_proj``/``out_proj`` (BART's
    layout, which transformers' Wav2Vec2Attention copies)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"Wav2Vec2Attention: hidden_size={embed_dim} is not a multiple of "
                             f"num_attention_heads={num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def _heads(self, x):
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False):
        """``attention_mask``: boolean ``(N, 1, 1, T)``, True for the frames to attend to."""
        q = self._heads(self.q_proj(hidden_states))
        k = self._heads(self.k_proj(hidden_states))
        v = self._heads(self.v_proj(hidden_states))
        p = self.dropout if self.training else 0.0
        probs = None
        if output_attentions:
            # The explicit path, to return the probabilities (SDPA does not expose them).
            scores = q @ k.transpose(-1, -2) * (1.0 / math.sqrt(self.head_dim))
            if attention_mask is not None:
                scores = scores.masked_fill(~attention_mask, ember.finfo(scores.dtype).min)
            probs = F.softmax(scores, dim=-1)
            context = F.dropout(probs, p, self.training) @ v
        else:
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask,
                                                     dropout_p=p)
        n, _, length, _ = context.shape
        return self.out_proj(context.transpose(1, 2).reshape(n, length, -1)), probs


class FeedForward(nn.Module):
    """``intermediate_dense`` -> activation -> dropout -> ``output_dense`` -> dropout."""

    def __init__(self, config):
        super().__init__()
        self.intermediate_dropout = nn.Dropout(config.activation_dropout)
        self.intermediate_dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation(config.hidden_act)
        self.output_dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.output_dropout = nn.Dropout(config.hidden_dropout)

    def forward(self, hidden_states):
        hidden_states = self.intermediate_dropout(
            self.intermediate_act_fn(self.intermediate_dense(hidden_states)))
        return self.output_dropout(self.output_dense(hidden_states))


class EncoderLayer(nn.Module):
    """One Transformer layer. Post-norm (base models): ``LN(x + attn(x))`` then
    ``LN(h + ff(h))``. Pre-norm (``stable``, large models): ``x + attn(LN(x))`` then
    ``h + ff(LN(h))``, which trains deep stacks stably."""

    def __init__(self, config, stable: bool):
        super().__init__()
        self.attention = Attention(config.hidden_size, config.num_attention_heads,
                                   config.attention_dropout)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.feed_forward = FeedForward(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.stable = stable

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False):
        residual = hidden_states
        if self.stable:
            hidden_states = self.layer_norm(hidden_states)
        hidden_states, probs = self.attention(hidden_states, attention_mask, output_attentions)
        hidden_states = residual + self.dropout(hidden_states)
        if self.stable:
            hidden_states = hidden_states + self.feed_forward(self.final_layer_norm(hidden_states))
        else:
            hidden_states = self.layer_norm(hidden_states)
            hidden_states = self.final_layer_norm(hidden_states
                                                  + self.feed_forward(hidden_states))
        return hidden_states, probs


class Encoder(nn.Module):
    """Positional convolution, the layers, and ``layer_norm`` (before the layers in the
    post-norm form, after them in the stable form). LayerDrop (Fan et al., 2019) skips each
    layer with probability ``config.layerdrop`` in training."""

    def __init__(self, config, stable: bool):
        super().__init__()
        self.pos_conv_embed = PositionalConvEmbedding(config)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layers = nn.ModuleList(EncoderLayer(config, stable)
                                    for _ in range(config.num_hidden_layers))
        self.stable = stable
        self.layerdrop = config.layerdrop

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False,
                output_hidden_states: bool = False):
        """``attention_mask``: boolean ``(N, T')`` feature-level mask (True = real frame)."""
        mask = None
        if attention_mask is not None:
            # Padded frames are zeroed before the positional convolution (so real frames next
            # to padding see zeros, as at the end of an unpadded clip) and never attended to.
            hidden_states = ember.where(attention_mask[..., None], hidden_states, 0.0)
            mask = attention_mask[:, None, None, :]
        hidden_states = hidden_states + self.pos_conv_embed(hidden_states)
        if not self.stable:
            hidden_states = self.layer_norm(hidden_states)
        hidden_states = self.dropout(hidden_states)
        all_hidden = () if output_hidden_states else None
        all_attn = () if output_attentions else None
        for layer in self.layers:  # over layers, not data
            if output_hidden_states:
                all_hidden += (hidden_states,)
            probs = None
            if not (self.training and self.layerdrop > 0
                    and ember.rand(()).item() < self.layerdrop):
                hidden_states, probs = layer(hidden_states, mask, output_attentions)
            if output_attentions:
                all_attn += (probs,)
        if self.stable:
            hidden_states = self.layer_norm(hidden_states)
        if output_hidden_states:
            all_hidden += (hidden_states,)
        return hidden_states, all_hidden, all_attn


# -- SpecAugment ----------------------------------------------------------------------------


def _compute_mask_indices(shape: tuple[int, int], mask_prob: float, mask_length: int,
                          lengths=None, min_masks: int = 0) -> np.ndarray:
    """Random spans to mask along an axis (SpecAugment, Park et al., 2019), as transformers'
    ``_compute_mask_indices``: about ``mask_prob * length / mask_length`` spans of
    ``mask_length`` frames per row (at least ``min_masks``; rounded stochastically), starts
    drawn without replacement among the row's first ``length - mask_length + 1`` frames.
    Random numbers come from Ember's generator (``ember.manual_seed`` makes it repeatable).

    Args:
        shape: ``(batch, sequence_length)``.
        lengths: per-row valid lengths (right-padded rows); default the full length.

    Returns:
        A boolean NumPy array of ``shape``, True where masked.
    """
    batch, seq = shape
    if mask_length < 1:
        raise ValueError(f"_compute_mask_indices: mask_length has to be at least 1, got "
                         f"{mask_length}")
    if mask_length > seq:
        raise ValueError(f"_compute_mask_indices: mask_length ({mask_length}) has to be at most "
                         f"the sequence length ({seq}); lower config.mask_time_length or use "
                         f"longer clips")
    epsilon = ember.rand(()).item()  # probabilistic rounding of the span count
    lengths = (np.full(batch, seq, dtype=np.int64) if lengths is None
               else np.asarray(lengths, dtype=np.int64))

    def num_spans(length):
        n = np.maximum((mask_prob * length / mask_length + epsilon).astype(np.int64), min_masks)
        n = np.where(n * mask_length > seq, seq // mask_length, n)
        room = length - (mask_length - 1)
        return np.where(room < n, np.maximum(room, 0), n)

    mask = np.zeros((batch, seq), dtype=bool)
    max_spans = int(num_spans(np.array([seq]))[0])
    if max_spans == 0:
        return mask
    spans = num_spans(lengths)
    # A uniformly random subset of the allowed starts, all rows at once: sort random keys,
    # with the disallowed starts keyed +inf so they come last.
    keys = ember.rand(batch, seq).numpy().astype(np.float64)
    keys[np.arange(seq)[None, :] >= (lengths - (mask_length - 1))[:, None]] = np.inf
    order = np.argsort(keys, axis=1)[:, :max_spans]
    # Rows with fewer spans repeat their first start (the last frame when they have none),
    # as transformers pads them.
    first = np.where(spans > 0, order[:, 0], seq - 1)
    starts = np.where(np.arange(max_spans)[None, :] < spans[:, None], order, first[:, None])
    idx = np.minimum((starts[:, :, None] + np.arange(mask_length)).reshape(batch, -1), seq - 1)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask
