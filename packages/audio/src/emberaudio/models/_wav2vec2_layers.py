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

The blocks live in ``_wav2vec2_encoder.py`` and the output records in ``_wav2vec2_outputs.py``;
this module keeps the pretrained base, the base model and the heads, and re-exports the rest.
"""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F
from ember.nn.utils import parametrize
from ember.utils.pretrained import PreTrainedModel

from ._wav2vec2_encoder import (  # noqa: F401  (re-exported)
    Attention,
    Encoder,
    EncoderLayer,
    FeatureEncoder,
    FeatureProjection,
    FeedForward,
    PositionalConvEmbedding,
    _compute_mask_indices,
    _ConvLayer,
)
from ._wav2vec2_outputs import (  # noqa: F401  (re-exported)
    BaseModelOutput,
    CausalLMOutput,
    ModelOutput,
    SequenceClassifierOutput,
    Wav2Vec2BaseModelOutput,
)

__all__ = [
    "BaseModelOutput", "CausalLMOutput", "ModelOutput", "SequenceClassifierOutput",
    "Wav2Vec2BaseModelOutput",
]


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
