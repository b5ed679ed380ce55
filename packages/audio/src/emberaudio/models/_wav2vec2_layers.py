"""Building blocks shared by Wav2Vec2 and HuBERT, with ``transformers``' module names.

Both models are the same network up to small switches (the feature projection's LayerNorm,
the quantizer-free HuBERT outputs), so the blocks live here once:

- the convolutional feature encoder (``feature_extractor.conv_layers.N.conv`` /
  ``.layer_norm``), GroupNorm on the first layer (base models) or LayerNorm on every layer
  (large "stable layer norm" models);
- the feature projection, the weight-normalised convolutional positional embedding
  (``encoder.pos_conv_embed.conv.parametrizations.weight.original0/1``), and the Transformer
  encoder in its post-norm (base) and pre-norm (large, ``do_stable_layer_norm``) forms;
- SpecAugment time/feature masking (:func:`_compute_mask_indices`) drawn from Ember's RNG;
- the pretrained-model base (initialisation, conv output lengths, feature-level attention
  masks, both spellings of the weight-norm checkpoint keys) and the CTC and
  sequence-classification heads, parametrised by the base model class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F
from ember.nn.utils import parametrize
from ember.nn.utils.parametrizations import weight_norm
from ember.utils.pretrained import PreTrainedModel, activation

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


# -- pretrained base, base model, heads ----------------------------------------------------


def _min_input_length(config) -> int:
    """The fewest samples the feature encoder turns into one frame (its receptive field)."""
    need = 1
    for kernel, stride in zip(reversed(config.conv_kernel), reversed(config.conv_stride)):
        need = (need - 1) * stride + kernel
    return need


class SpeechPreTrainedModel(PreTrainedModel):
    """What Wav2Vec2 and HuBERT share on top of :class:`ember.utils.pretrained.
    PreTrainedModel`: transformers' initialisation, the conv output-length formula, the
    feature-level attention mask, and checkpoint keys in both weight-norm spellings."""

    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        # transformers' Wav2Vec2PreTrainedModel._init_weights, case by case.
        std = self.config.initializer_range
        with ember.no_grad():
            if isinstance(module, PositionalConvEmbedding):
                conv = module.conv
                pos_std = 2 * math.sqrt(1 / (conv.kernel_size[0] * conv.in_channels))
                if parametrize.is_parametrized(conv, "weight"):
                    # Initialise the direction v; g = ||v|| per tap makes the weight equal v,
                    # as weight_norm applied to a freshly initialised weight does.
                    w = conv.parametrizations.weight
                    nn.init.normal_(w.original1, 0.0, pos_std)
                    v = w.original1
                    w.original0.copy_((v * v).sum(dim=(0, 1), keepdim=True).sqrt())
                else:
                    nn.init.normal_(conv.weight, 0.0, pos_std)
                nn.init.zeros_(conv.bias)
            elif isinstance(module, FeatureProjection):
                k = math.sqrt(1 / module.projection.in_features)
                nn.init.uniform_(module.projection.weight, -k, k)
                nn.init.uniform_(module.projection.bias, -k, k)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Conv1d) and not parametrize.is_parametrized(module):
                nn.init.kaiming_normal_(module.weight)
                if module.bias is not None:
                    k = math.sqrt(module.groups / (module.in_channels * module.kernel_size[0]))
                    nn.init.uniform_(module.bias, -k, k)
            elif isinstance(module, SpeechModel) and module.masked_spec_embed is not None:
                nn.init.uniform_(module.masked_spec_embed)

    def _get_feat_extract_output_lengths(self, input_lengths):
        """Frames out of the feature encoder for ``input_lengths`` samples (an int or an
        integer Tensor): Conv1d's ``(L - kernel) // stride + 1``, layer after layer.

        Example:
            >>> model._get_feat_extract_output_lengths(16000)  # base config, 1 s at 16 kHz
            49
        """
        for kernel, stride in zip(self.config.conv_kernel, self.config.conv_stride):
            input_lengths = (input_lengths - kernel) // stride + 1
        return input_lengths

    def _get_feature_vector_attention_mask(self, feature_vector_length: int, attention_mask):
        """Boolean ``(N, feature_vector_length)`` mask of the frames computed from real samples
        only, from the sample-level ``attention_mask`` ``(N, samples)`` (right padding)."""
        lengths = self._get_feat_extract_output_lengths(attention_mask.sum(-1).long())
        frames = ember.arange(feature_vector_length, device=attention_mask.device)
        return frames[None, :] < lengths[:, None]

    def freeze_feature_encoder(self) -> None:
        """Stop gradients to the convolutional feature encoder (``requires_grad=False`` on its
        parameters), as recommended when fine-tuning on little labelled audio."""
        self.base_model.feature_extractor._freeze_parameters()

    def _rename_checkpoint_keys(self, state: dict) -> dict:
        # Checkpoints saved before PyTorch 2.1's parametrizations name the weight-norm factors
        # weight_g / weight_v; load them into the parametrization (saved in the new spelling).
        own = set(self.state_dict())
        out = {}
        for key, value in state.items():
            if key.endswith("pos_conv_embed.conv.weight_g"):
                key = key[:-len("weight_g")] + "parametrizations.weight.original0"
            elif key.endswith("pos_conv_embed.conv.weight_v"):
                key = key[:-len("weight_v")] + "parametrizations.weight.original1"
            elif key.endswith("masked_spec_embed") and not any(
                    k.endswith("masked_spec_embed") for k in own):
                continue  # a training-only vector; this config masks nothing
            out[key] = value
        return super()._rename_checkpoint_keys(out)

    def _fresh_ok_prefixes(self) -> tuple:
        # A checkpoint saved with mask_time_prob = 0 has no masked_spec_embed; transformers
        # initialises it freshly too.
        return ("masked_spec_embed", f"{self.base_model_prefix}.masked_spec_embed")


class SpeechModel(SpeechPreTrainedModel):
    """The encoder body of Wav2Vec2Model / HubertModel: samples -> contextual frames."""

    output_class = Wav2Vec2BaseModelOutput

    def _projection_layer_norm(self, config) -> bool:
        return True

    def __init__(self, config):
        super().__init__(config)
        if getattr(config, "add_adapter", False) or getattr(config, "adapter_attn_dim", None):
            raise NotImplementedError(f"{type(self).__name__}: adapter layers (add_adapter, "
                                      f"adapter_attn_dim) are not supported")
        self.feature_extractor = FeatureEncoder(config)
        self.feature_projection = FeatureProjection(config, self._projection_layer_norm(config))
        self.masked_spec_embed = None
        if config.mask_time_prob > 0.0 or config.mask_feature_prob > 0.0:
            # the learnt vector that replaces masked frames (SpecAugment in training)
            self.masked_spec_embed = nn.Parameter(ember.empty(config.hidden_size).uniform_())
        self.encoder = Encoder(config, stable=config.do_stable_layer_norm)
        self.post_init()

    def _check_input(self, input_values, attention_mask) -> None:
        name = type(self).__name__
        if input_values.ndim != 2:
            fix = ("; add the batch dimension with input_values.unsqueeze(0)"
                   if input_values.ndim == 1 else "; mix or select one channel first")
            raise ValueError(f"{name}: expected input_values of shape (N, samples), got "
                             f"{tuple(input_values.shape)}{fix}")
        need = _min_input_length(self.config)
        if input_values.shape[1] < need:
            raise ValueError(f"{name}: {input_values.shape[1]} samples are fewer than the "
                             f"{need} the feature encoder needs for one frame; pad the clip")
        if attention_mask is not None and tuple(attention_mask.shape) != tuple(
                input_values.shape):
            raise ValueError(f"{name}: attention_mask {tuple(attention_mask.shape)} must have "
                             f"the shape of input_values {tuple(input_values.shape)}")

    def _mask_hidden_states(self, hidden_states, mask_time_indices=None, attention_mask=None):
        """SpecAugment: replace masked frames by ``masked_spec_embed`` (given
        ``mask_time_indices``, or drawn in training when ``mask_time_prob > 0``) and zero
        masked feature channels (``mask_feature_prob``, training only)."""
        config = self.config
        if not getattr(config, "apply_spec_augment", True):
            return hidden_states
        n, length, size = hidden_states.shape
        time_mask = None
        if mask_time_indices is not None:
            time_mask = mask_time_indices.bool()
        elif config.mask_time_prob > 0 and self.training:
            lengths = None if attention_mask is None else attention_mask.sum(-1).cpu().numpy()
            time_mask = ember.tensor(_compute_mask_indices(
                (n, length), config.mask_time_prob, config.mask_time_length, lengths,
                getattr(config, "mask_time_min_masks", 2)), device=hidden_states.device)
        if time_mask is not None:
            embed = self.masked_spec_embed.to(hidden_states.dtype)
            hidden_states = ember.where(time_mask[..., None], embed, hidden_states)
        if config.mask_feature_prob > 0 and self.training:
            feature_mask = ember.tensor(_compute_mask_indices(
                (n, size), config.mask_feature_prob, config.mask_feature_length, None,
                getattr(config, "mask_feature_min_masks", 0)), device=hidden_states.device)
            hidden_states = ember.where(feature_mask[:, None, :], 0.0, hidden_states)
        return hidden_states

    def forward(self, input_values, attention_mask=None, mask_time_indices=None,
                output_attentions: bool = False, output_hidden_states: bool = False):
        self._check_input(input_values, attention_mask)
        extract_features = self.feature_extractor(input_values).transpose(1, 2)
        feature_mask = None
        if attention_mask is not None:
            feature_mask = self._get_feature_vector_attention_mask(extract_features.shape[1],
                                                                   attention_mask)
        hidden_states, extract_features = self.feature_projection(extract_features)
        hidden_states = self._mask_hidden_states(hidden_states, mask_time_indices, feature_mask)
        hidden_states, all_hidden, all_attn = self.encoder(
            hidden_states, feature_mask, output_attentions, output_hidden_states)
        if self.output_class is BaseModelOutput:
            return BaseModelOutput(last_hidden_state=hidden_states, hidden_states=all_hidden,
                                   attentions=all_attn)
        return Wav2Vec2BaseModelOutput(last_hidden_state=hidden_states,
                                       extract_features=extract_features,
                                       hidden_states=all_hidden, attentions=all_attn)


class SpeechForCTC(SpeechPreTrainedModel):
    """Base model, dropout (``final_dropout``), and ``lm_head`` onto ``vocab_size`` characters
    for CTC (Graves et al., 2006) speech recognition."""

    base_model_class: type = SpeechModel

    def __init__(self, config):
        super().__init__(config)
        if config.vocab_size is None:
            raise ValueError(f"{type(self).__name__}: the config defines no vocab_size for the "
                             f"CTC head; pass vocab_size=len(tokenizer) to from_pretrained")
        setattr(self, self.base_model_prefix, self.base_model_class(config))
        self.dropout = nn.Dropout(config.final_dropout)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size)
        self.post_init()

    def freeze_base_model(self) -> None:
        """Train the head only: ``requires_grad=False`` on every base-model parameter."""
        for param in self.base_model.parameters():
            param.requires_grad = False

    def forward(self, input_values, attention_mask=None, output_attentions: bool = False,
                output_hidden_states: bool = False, labels=None):
        """``labels``: ``(N, S)`` character ids, right-padded with -100 (any negative value is
        ignored). The loss is ``ctc_loss`` with blank = ``config.pad_token_id``, reduced by
        ``config.ctc_loss_reduction``, input lengths from ``attention_mask``."""
        out = self.base_model(input_values, attention_mask=attention_mask,
                              output_attentions=output_attentions,
                              output_hidden_states=output_hidden_states)
        logits = self.lm_head(self.dropout(out.last_hidden_state))
        loss = None
        if labels is not None:
            if labels.max().item() >= self.config.vocab_size:
                raise ValueError(f"{type(self).__name__}: label values must be < vocab_size = "
                                 f"{self.config.vocab_size}, got {labels.max().item()}")
            mask = (attention_mask if attention_mask is not None
                    else ember.ones_like(input_values, dtype=ember.int64))
            input_lengths = self._get_feat_extract_output_lengths(mask.sum(-1).long())
            labels_mask = labels >= 0
            # CTC in float32 whatever the model's dtype (transformers does the same for fp16).
            log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)
            loss = F.ctc_loss(log_probs, labels.masked_select(labels_mask), input_lengths,
                              labels_mask.sum(-1), blank=self.config.pad_token_id,
                              reduction=self.config.ctc_loss_reduction,
                              zero_infinity=self.config.ctc_zero_infinity)
        return CausalLMOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                              attentions=out.attentions)


class SpeechForSequenceClassification(SpeechPreTrainedModel):
    """Base model, ``projector`` to ``classifier_proj_size``, mean over the real frames, and
    ``classifier`` (keyword spotting, speaker or emotion recognition). With
    ``use_weighted_layer_sum`` the pooled states are a softmax-weighted sum of every layer's
    output (``layer_weights``) instead of the last one."""

    base_model_class: type = SpeechModel

    def __init__(self, config):
        super().__init__(config)
        if getattr(config, "add_adapter", False):
            raise ValueError(f"{type(self).__name__}: sequence classification does not support "
                             f"adapters (config.add_adapter=True)")
        setattr(self, self.base_model_prefix, self.base_model_class(config))
        if config.use_weighted_layer_sum:
            num_layers = config.num_hidden_layers + 1  # the layers + the encoder input
            self.layer_weights = nn.Parameter(ember.ones(num_layers) / num_layers)
        self.projector = nn.Linear(config.hidden_size, config.classifier_proj_size)
        self.classifier = nn.Linear(config.classifier_proj_size, config.num_labels)
        self.post_init()

    def freeze_base_model(self) -> None:
        """Train the head only: ``requires_grad=False`` on every base-model parameter."""
        for param in self.base_model.parameters():
            param.requires_grad = False

    def forward(self, input_values, attention_mask=None, output_attentions: bool = False,
                output_hidden_states: bool = False, labels=None):
        """``labels``: ``(N,)`` class indices -> cross-entropy ``loss``."""
        weighted = self.config.use_weighted_layer_sum
        out = self.base_model(input_values, attention_mask=attention_mask,
                              output_attentions=output_attentions,
                              output_hidden_states=output_hidden_states or weighted)
        if weighted:
            stacked = ember.stack(out.hidden_states, dim=1)
            weights = F.softmax(self.layer_weights, dim=-1)
            hidden_states = (stacked * weights.view(-1, 1, 1)).sum(dim=1)
        else:
            hidden_states = out.last_hidden_state
        hidden_states = self.projector(hidden_states)
        if attention_mask is None:
            pooled = hidden_states.mean(dim=1)
        else:
            frames = self._get_feature_vector_attention_mask(hidden_states.shape[1],
                                                             attention_mask)
            hidden_states = ember.where(frames[..., None], hidden_states, 0.0)
            pooled = hidden_states.sum(dim=1) / frames.sum(dim=1).view(-1, 1)
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, self.config.num_labels), labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits,
                                        hidden_states=out.hidden_states,
                                        attentions=out.attentions)
