"""Wav2Vec2 (Baevski et al., 2020) with Hugging Face ``transformers``' module and parameter
names, so ``facebook/wav2vec2-*`` folders (config.json + model.safetensors or
pytorch_model.bin, either weight-norm spelling) load strictly.

    model = Wav2Vec2ForCTC.from_pretrained("facebook/wav2vec2-base-960h")
    fe = Wav2Vec2FeatureExtractor()
    inputs = fe([waveform_16k], sampling_rate=16000)
    logits = model(inputs["input_values"]).logits          # (N, frames, vocab_size)
    ids = logits.argmax(-1)                                 # greedy CTC decoding

The blocks shared with HuBERT live in :mod:`._wav2vec2_layers`.
"""

from __future__ import annotations

import json

import numpy as np

import ember
from ember.utils.pretrained import PretrainedConfig, resolve_file

from ._wav2vec2_layers import (
    SpeechForCTC,
    SpeechForSequenceClassification,
    SpeechModel,
    SpeechPreTrainedModel,
    Wav2Vec2BaseModelOutput,
    _compute_mask_indices,
)

__all__ = [
    "WAV2VEC2_PRESETS", "Wav2Vec2BaseModelOutput", "Wav2Vec2Config", "Wav2Vec2FeatureExtractor",
    "Wav2Vec2ForCTC", "Wav2Vec2ForSequenceClassification", "Wav2Vec2Model",
    "Wav2Vec2PreTrainedModel", "_compute_mask_indices",
]


class Wav2Vec2Config(PretrainedConfig):
    """Configuration of the Wav2Vec2 models (``transformers.Wav2Vec2Config``, same defaults:
    the ``facebook/wav2vec2-base-960h`` architecture).

    Args:
        vocab_size: characters of the CTC head (32).
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: the Transformer
            (768, 12, 12, 3072).
        hidden_act: the feed-forward activation ('gelu', the exact erf form).
        hidden_dropout, activation_dropout, attention_dropout, feat_proj_dropout,
        final_dropout: dropout rates (0.1 each but feat_proj_dropout 0.0).
        layerdrop: probability of skipping a layer in training (0.1).
        initializer_range: std of the Linear initialisation (0.02).
        layer_norm_eps: LayerNorm epsilon (1e-5).
        feat_extract_norm: 'group' (GroupNorm on the first conv layer; base models) or 'layer'
            (LayerNorm on every conv layer; large models).
        feat_extract_activation: activation of the conv layers ('gelu').
        conv_dim, conv_stride, conv_kernel: the feature encoder's layers ((512,)*7,
            (5, 2, 2, 2, 2, 2, 2), (10, 3, 3, 3, 3, 2, 2): 20 ms frames at 16 kHz).
        conv_bias: biases in the conv layers (False).
        num_conv_pos_embeddings, num_conv_pos_embedding_groups: kernel and groups of the
            positional convolution (128, 16).
        do_stable_layer_norm: pre-norm Transformer layers (large models) instead of post-norm.
        apply_spec_augment, mask_time_prob, mask_time_length, mask_time_min_masks,
        mask_feature_prob, mask_feature_length, mask_feature_min_masks: SpecAugment in
            training (True, 0.05, 10, 2, 0.0, 10, 0).
        ctc_loss_reduction: 'sum' (default), 'mean' or 'none'.
        ctc_zero_infinity: zero the infinite CTC losses of impossible alignments (False).
        use_weighted_layer_sum: classification heads pool a learnt mix of every layer.
        classifier_proj_size: the classification head's projection (256).
        pad_token_id, bos_token_id, eos_token_id: 0 (the CTC blank), 1, 2.
        **kwargs: any other key of a config.json (quantizer, adapter, x-vector settings...),
            kept and written back.

    Example:
        >>> Wav2Vec2Config.from_preset("facebook/wav2vec2-large-960h-lv60-self").hidden_size
        1024
    """

    model_type = "wav2vec2"

    def __init__(self, vocab_size=32, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, hidden_act="gelu",
                 hidden_dropout=0.1, activation_dropout=0.1, attention_dropout=0.1,
                 feat_proj_dropout=0.0, feat_quantizer_dropout=0.0, final_dropout=0.1,
                 layerdrop=0.1, initializer_range=0.02, layer_norm_eps=1e-5,
                 feat_extract_norm="group", feat_extract_activation="gelu",
                 conv_dim=(512,) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2),
                 conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_bias=False,
                 num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16,
                 do_stable_layer_norm=False, apply_spec_augment=True, mask_time_prob=0.05,
                 mask_time_length=10, mask_time_min_masks=2, mask_feature_prob=0.0,
                 mask_feature_length=10, mask_feature_min_masks=0,
                 ctc_loss_reduction="sum", ctc_zero_infinity=False,
                 use_weighted_layer_sum=False, classifier_proj_size=256, pad_token_id=0,
                 bos_token_id=1, eos_token_id=2, add_adapter=False, **kwargs):
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id,
                         eos_token_id=eos_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout = hidden_dropout
        self.activation_dropout = activation_dropout
        self.attention_dropout = attention_dropout
        self.feat_proj_dropout = feat_proj_dropout
        self.feat_quantizer_dropout = feat_quantizer_dropout
        self.final_dropout = final_dropout
        self.layerdrop = layerdrop
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.feat_extract_norm = feat_extract_norm
        self.feat_extract_activation = feat_extract_activation
        self.conv_dim, self.conv_stride = list(conv_dim), list(conv_stride)
        self.conv_kernel = list(conv_kernel)
        self.conv_bias = conv_bias
        self.num_feat_extract_layers = len(self.conv_dim)
        self.num_conv_pos_embeddings = num_conv_pos_embeddings
        self.num_conv_pos_embedding_groups = num_conv_pos_embedding_groups
        self.do_stable_layer_norm = do_stable_layer_norm
        self.apply_spec_augment = apply_spec_augment
        self.mask_time_prob, self.mask_time_length = mask_time_prob, mask_time_length
        self.mask_time_min_masks = mask_time_min_masks
        self.mask_feature_prob, self.mask_feature_length = mask_feature_prob, mask_feature_length
        self.mask_feature_min_masks = mask_feature_min_masks
        self.ctc_loss_reduction = ctc_loss_reduction
        self.ctc_zero_infinity = ctc_zero_infinity
        self.use_weighted_layer_sum = use_weighted_layer_sum
        self.classifier_proj_size = classifier_proj_size
        self.add_adapter = add_adapter
        _check_conv_config(self)

    @property
    def inputs_to_logits_ratio(self) -> int:
        """Samples per output frame: the product of the conv strides (320 for the base)."""
        return int(np.prod(self.conv_stride))

    @classmethod
    def from_preset(cls, name: str, **kwargs) -> Wav2Vec2Config:
        """The architecture of a published checkpoint (see :data:`WAV2VEC2_PRESETS`), no
        download needed; ``kwargs`` override entries."""
        return cls.from_dict(_preset(WAV2VEC2_PRESETS, name), **kwargs)


def _check_conv_config(config) -> None:
    n = (len(config.conv_dim), len(config.conv_stride), len(config.conv_kernel))
    if len(set(n)) != 1:
        raise ValueError(f"{type(config).__name__}: conv_dim, conv_stride and conv_kernel must "
                         f"have the same length (one entry per conv layer), got lengths {n}")
    if config.feat_extract_norm not in ("group", "layer"):
        raise ValueError(f"{type(config).__name__}: feat_extract_norm must be 'group' or "
                         f"'layer', got {config.feat_extract_norm!r}")


def _preset(table: dict, name: str) -> dict:
    if name not in table:
        raise KeyError(f"unknown preset {name!r}; choose one of {sorted(table)}")
    return dict(table[name])


_BASE = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
         "intermediate_size": 3072, "feat_extract_norm": "group", "do_stable_layer_norm": False,
         "conv_bias": False}
_LARGE = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
          "intermediate_size": 4096, "feat_extract_norm": "layer", "do_stable_layer_norm": True,
          "conv_bias": True}

#: The architecture keys of published Wav2Vec2 checkpoints' config.json (the other keys keep
#: the Wav2Vec2Config defaults).
WAV2VEC2_PRESETS = {
    "facebook/wav2vec2-base-960h": dict(_BASE, vocab_size=32, feat_proj_dropout=0.1,
                                        architectures=["Wav2Vec2ForCTC"]),
    "facebook/wav2vec2-large-960h-lv60-self": dict(_LARGE, vocab_size=32,
                                                   feat_proj_dropout=0.1,
                                                   architectures=["Wav2Vec2ForCTC"]),
}


class Wav2Vec2PreTrainedModel(SpeechPreTrainedModel):
    """Base of the Wav2Vec2 models: :class:`Wav2Vec2Config`, checkpoint prefix
    ``'wav2vec2'``."""

    config_class = Wav2Vec2Config
    base_model_prefix = "wav2vec2"


class Wav2Vec2Model(Wav2Vec2PreTrainedModel, SpeechModel):
    """The Wav2Vec2 encoder (``transformers.Wav2Vec2Model``): raw 16 kHz samples to one
    contextual vector per 20 ms frame.

    Forward args:
        input_values: ``(N, samples)`` float waveforms (normalised with
            :class:`Wav2Vec2FeatureExtractor` for the models trained that way).
        attention_mask: ``(N, samples)``, 1 for real samples, 0 for right padding; the
            frames computed from padding are zeroed and not attended to. Pass it only to
            models whose feature extractor returns one (the LayerNorm ones): GroupNorm over
            time mixes padding into every frame, as in transformers.
        mask_time_indices: ``(N, frames)`` boolean frames to replace by ``masked_spec_embed``.
        output_attentions, output_hidden_states: also return those.

    Returns:
        :class:`Wav2Vec2BaseModelOutput`: ``last_hidden_state`` ``(N, frames, hidden_size)``,
        ``extract_features`` ``(N, frames, conv_dim[-1])``, ...

    Example:
        >>> model = Wav2Vec2Model(Wav2Vec2Config(hidden_size=16, num_hidden_layers=2,
        ...     num_attention_heads=2, intermediate_size=32, conv_dim=(8, 8, 8),
        ...     conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3), num_conv_pos_embeddings=4,
        ...     num_conv_pos_embedding_groups=2))
        >>> model(ember.randn(1, 400)).last_hidden_state.shape
        ember.Size([1, 19, 16])
    """

    output_class = Wav2Vec2BaseModelOutput


class Wav2Vec2ForCTC(Wav2Vec2PreTrainedModel, SpeechForCTC):
    """Wav2Vec2 with a CTC head (``transformers.Wav2Vec2ForCTC``): ``logits`` ``(N, frames,
    vocab_size)``; with ``labels`` ``(N, S)`` (padded with -100) the CTC ``loss``.

    Example:
        >>> model = Wav2Vec2ForCTC.from_pretrained("facebook/wav2vec2-base-960h")
        >>> model.freeze_feature_encoder()
        >>> out = model(input_values, labels=labels)
        >>> out.loss.backward()
    """

    base_model_class = Wav2Vec2Model


class Wav2Vec2ForSequenceClassification(Wav2Vec2PreTrainedModel,
                                        SpeechForSequenceClassification):
    """Wav2Vec2 with an utterance classifier (``transformers.
    Wav2Vec2ForSequenceClassification``): ``projector``, masked mean over frames,
    ``classifier``; ``labels`` ``(N,)`` give a cross-entropy ``loss``."""

    base_model_class = Wav2Vec2Model


class Wav2Vec2FeatureExtractor:
    """Prepare raw speech for the models (``transformers.Wav2Vec2FeatureExtractor``): check
    the sampling rate, normalise each clip to zero mean and unit variance over its own samples
    (``do_normalize``), right-pad the batch with ``padding_value``.

    Args:
        feature_size: channels per sample (1: mono).
        sampling_rate: the rate the model was trained on (16000).
        padding_value: the value of padded samples (0.0).
        do_normalize: zero-mean unit-variance normalisation, ``(x - mean) / sqrt(var + 1e-7)``.
        return_attention_mask: also return the sample-level mask by default (True for the
            LayerNorm models such as wav2vec2-large-960h-lv60-self, False for the base).

    Example:
        >>> fe = Wav2Vec2FeatureExtractor(return_attention_mask=True)
        >>> batch = fe([np.ones(5), np.arange(3.0)], sampling_rate=16000)
        >>> batch["input_values"].shape, batch["attention_mask"].tolist()
        (ember.Size([2, 5]), [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    """

    model_input_names = ("input_values", "attention_mask")

    def __init__(self, feature_size: int = 1, sampling_rate: int = 16000,
                 padding_value: float = 0.0, do_normalize: bool = True,
                 return_attention_mask: bool = False, **kwargs):
        if feature_size != 1:
            raise NotImplementedError(f"Wav2Vec2FeatureExtractor: only mono audio "
                                      f"(feature_size=1) is supported, got {feature_size}")
        self.feature_size = feature_size
        self.sampling_rate = sampling_rate
        self.padding_value = padding_value
        self.do_normalize = do_normalize
        self.return_attention_mask = return_attention_mask
        for key, value in kwargs.items():  # feature_extractor_type, processor_class, ...
            setattr(self, key, value)

    @classmethod
    def from_pretrained(cls, name_or_path, revision: str = "main", **kwargs):
        """Read ``preprocessor_config.json`` from a model folder or hub name."""
        path = resolve_file(str(name_or_path), "preprocessor_config.json", revision)
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        data.update(kwargs)
        return cls(**data)

    def __call__(self, raw_speech, sampling_rate: int | None = None,
                 return_attention_mask: bool | None = None) -> dict:
        """Args:
            raw_speech: one clip (1-D array, list of floats or Tensor), a list of clips of any
                lengths, or a 2-D ``(N, samples)`` batch.
            sampling_rate: the clips' rate; checked against the model's.
            return_attention_mask: override the default.

        Returns:
            ``{'input_values': (N, max_samples) float32 Tensor}`` plus ``'attention_mask'``
            ``(N, max_samples)`` int64 (1 = real sample) when requested.
        """
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ValueError(
                f"Wav2Vec2FeatureExtractor: the model was trained on {self.sampling_rate} Hz "
                f"audio, got {sampling_rate} Hz; resample first with "
                f"emberaudio.functional.resample(waveform, {sampling_rate}, "
                f"{self.sampling_rate})")
        clips = _as_clips(raw_speech)
        lengths = np.array([len(c) for c in clips], dtype=np.int64)
        mask = np.arange(lengths.max(initial=0))[None, :] < lengths[:, None]
        values = np.zeros(mask.shape, dtype=np.float64)
        values[mask] = np.concatenate(clips) if clips else []
        if self.do_normalize:
            # statistics over each clip's own samples only, then padding reset
            n = np.maximum(lengths, 1)[:, None]
            mean = values.sum(axis=1, keepdims=True) / n
            var = (np.where(mask, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / n
            values = (values - mean) / np.sqrt(var + 1e-7)
        values = np.where(mask, values, self.padding_value).astype(np.float32)
        out = {"input_values": ember.tensor(values)}
        if self.return_attention_mask if return_attention_mask is None else return_attention_mask:
            out["attention_mask"] = ember.tensor(mask.astype(np.int64))
        return out


def _as_clips(raw_speech) -> list:
    if isinstance(raw_speech, ember.Tensor):
        raw_speech = raw_speech.detach().cpu().numpy()
    if isinstance(raw_speech, np.ndarray) and raw_speech.ndim == 2:
        return list(raw_speech.astype(np.float64))
    if isinstance(raw_speech, (list, tuple)) and raw_speech and not np.isscalar(raw_speech[0]):
        clips = [c.detach().cpu().numpy() if isinstance(c, ember.Tensor) else c
                 for c in raw_speech]
    else:
        clips = [raw_speech]
    clips = [np.asarray(c, dtype=np.float64) for c in clips]
    bad = [c.shape for c in clips if c.ndim != 1]
    if bad:
        raise ValueError(f"Wav2Vec2FeatureExtractor: expected mono clips of shape (samples,), "
                         f"got {bad[0]}; mix to mono first (e.g. waveform.mean(axis=0))")
    return clips
