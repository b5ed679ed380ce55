"""Audio Spectrogram Transformer (Gong et al., "AST: Audio Spectrogram Transformer",
Interspeech 2021) with Hugging Face ``transformers``' class, module and parameter names, so
MIT's ``ast-finetuned-audioset-*`` / ``ast-finetuned-speech-commands-v2`` folders load strictly.

A log-mel spectrogram ``(time, mel)`` is cut into overlapping 16x16 patches (stride 10 on both
axes), each projected to a token; a [CLS] and a distillation token (DeiT) are prepended, learned
position embeddings added, and a pre-norm ViT encoder runs over the sequence. The pooled output
is the mean of the two special tokens' final states.

    extractor = ASTFeatureExtractor()
    model = ASTForAudioClassification.from_pretrained("MIT/ast-finetuned-audioset-10-10-0.4593")
    logits = model(**extractor(waveform, sampling_rate=16000)).logits   # (1, 527)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

import ember
from ember import Tensor, nn
from ember.nn import functional as F
from ember.utils.pretrained import PretrainedConfig, PreTrainedModel, activation

__all__ = [
    "ASTConfig", "ASTFeatureExtractor", "ASTForAudioClassification", "ASTModel",
    "ASTPreTrainedModel",
]


class ASTConfig(PretrainedConfig):
    """Configuration of an AST (``transformers.ASTConfig``; defaults give
    ``MIT/ast-finetuned-audioset-10-10-0.4593``'s architecture).

    Args:
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: ViT-Base sizes
            (768, 12, 12, 3072).
        hidden_act: feed-forward activation (``'gelu'``: the exact erf form).
        hidden_dropout_prob, attention_probs_dropout_prob: dropout rates (0.0).
        initializer_range: std of the truncated-normal init of Linear/Conv2d weights (0.02).
        layer_norm_eps: LayerNorm epsilon (1e-12).
        patch_size: square patch side (16).
        qkv_bias: biases on the query/key/value projections (True).
        frequency_stride, time_stride: patch strides along mel bins and frames (10, 10).
        max_length: frames of the input spectrogram (1024: 10.24 s at a 10 ms hop).
        num_mel_bins: mel bins of the input spectrogram (128).
        **kwargs: :class:`~ember.utils.pretrained.PretrainedConfig`'s keys (``num_labels``,
            ``id2label``, ...) and any other config.json key.
    """

    model_type = "audio-spectrogram-transformer"

    def __init__(self, hidden_size: int = 768, num_hidden_layers: int = 12,
                 num_attention_heads: int = 12, intermediate_size: int = 3072,
                 hidden_act: str = "gelu", hidden_dropout_prob: float = 0.0,
                 attention_probs_dropout_prob: float = 0.0, initializer_range: float = 0.02,
                 layer_norm_eps: float = 1e-12, patch_size: int = 16, qkv_bias: bool = True,
                 frequency_stride: int = 10, time_stride: int = 10, max_length: int = 1024,
                 num_mel_bins: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.patch_size = patch_size
        self.qkv_bias = qkv_bias
        self.frequency_stride = frequency_stride
        self.time_stride = time_stride
        self.max_length = max_length
        self.num_mel_bins = num_mel_bins


# -- outputs (transformers' field names) --------------------------------------------------


class _ModelOutput:
    """Fields readable by name, attribute or position (None fields skipped), like
    ``transformers.utils.ModelOutput``."""

    def to_tuple(self) -> tuple:
        return tuple(v for v in (getattr(self, f.name) for f in fields(self)) if v is not None)

    def __getitem__(self, key):
        return getattr(self, key) if isinstance(key, str) else self.to_tuple()[key]

    def __iter__(self):
        return iter(self.to_tuple())

    def __len__(self) -> int:
        return len(self.to_tuple())


@dataclass(repr=False, eq=False)
class ASTModelOutput(_ModelOutput):
    """``last_hidden_state`` ``(B, 2 + patches, H)`` after the final LayerNorm;
    ``pooler_output`` ``(B, H)``: the mean of the [CLS] and distillation states;
    ``hidden_states``: with ``output_hidden_states=True``, the embeddings' and each layer's
    output (before the final LayerNorm)."""

    last_hidden_state: Tensor | None = None
    pooler_output: Tensor | None = None
    hidden_states: tuple | None = None


@dataclass(repr=False, eq=False)
class ASTClassifierOutput(_ModelOutput):
    """``loss`` (with labels), ``logits`` ``(B, num_labels)``, ``hidden_states`` (on request)."""

    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: tuple | None = None


# -- modules ---------------------------------------------------------------------------------


def _grid(config: ASTConfig) -> tuple[int, int]:
    """(frequency, time) patch counts: a valid convolution's output size on each axis."""
    f = (config.num_mel_bins - config.patch_size) // config.frequency_stride + 1
    t = (config.max_length - config.patch_size) // config.time_stride + 1
    return f, t


class ASTPatchEmbeddings(nn.Module):
    """``(B, time, mel)`` -> ``(B, patches, H)`` by a Conv2d over the ``(mel, time)`` image;
    patches ordered frequency-major (the order of the position embeddings)."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        p = config.patch_size
        self.projection = nn.Conv2d(1, config.hidden_size, kernel_size=(p, p),
                                    stride=(config.frequency_stride, config.time_stride))

    def forward(self, input_values: Tensor) -> Tensor:
        image = input_values.unsqueeze(1).transpose(2, 3)  # (B, 1, mel, time)
        return self.projection(image).flatten(2).transpose(1, 2)


class ASTEmbeddings(nn.Module):
    """[CLS] and distillation tokens, patch embeddings, learned position embeddings, dropout."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        h = config.hidden_size
        self.cls_token = nn.Parameter(ember.zeros(1, 1, h))
        self.distillation_token = nn.Parameter(ember.zeros(1, 1, h))
        self.patch_embeddings = ASTPatchEmbeddings(config)
        f, t = _grid(config)
        self.position_embeddings = nn.Parameter(ember.zeros(1, f * t + 2, h))
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_values: Tensor) -> Tensor:
        patches = self.patch_embeddings(input_values)
        n = patches.shape[0]
        tokens = ember.cat((self.cls_token.expand(n, -1, -1),
                            self.distillation_token.expand(n, -1, -1), patches), dim=1)
        return self.dropout(tokens + self.position_embeddings)


class ASTSelfAttention(nn.Module):
    """Multi-head self-attention with separate query/key/value projections (no mask: every
    input has ``max_length`` frames)."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        if config.hidden_size % config.num_attention_heads:
            raise ValueError(f"ASTConfig: hidden_size={config.hidden_size} is not a multiple of "
                             f"num_attention_heads={config.num_attention_heads}")
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        h = config.hidden_size
        self.query = nn.Linear(h, h, bias=config.qkv_bias)
        self.key = nn.Linear(h, h, bias=config.qkv_bias)
        self.value = nn.Linear(h, h, bias=config.qkv_bias)
        self.dropout_prob = config.attention_probs_dropout_prob

    def _heads(self, x: Tensor) -> Tensor:
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_attention_heads,
                         self.attention_head_size).transpose(1, 2)

    def forward(self, hidden_states: Tensor) -> Tensor:
        q, k, v = (self._heads(proj(hidden_states)) for proj in (self.query, self.key, self.value))
        p = self.dropout_prob if self.training else 0.0
        context = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        n, _, length, _ = context.shape
        return context.transpose(1, 2).reshape(n, length, -1)


class ASTSelfOutput(nn.Module):
    """Output projection and dropout (the residual is added in :class:`ASTLayer`)."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.dense(hidden_states))


class ASTAttention(nn.Module):
    def __init__(self, config: ASTConfig):
        super().__init__()
        self.attention = ASTSelfAttention(config)
        self.output = ASTSelfOutput(config)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.output(self.attention(hidden_states))


class ASTIntermediate(nn.Module):
    def __init__(self, config: ASTConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation(config.hidden_act)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class ASTOutput(nn.Module):
    """Down projection, dropout, residual."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.dropout(self.dense(hidden_states)) + input_tensor


class ASTLayer(nn.Module):
    """Pre-norm ViT block: ``x + Attn(LN(x))``, then ``x + MLP(LN(x))``."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        self.attention = ASTAttention(config)
        self.intermediate = ASTIntermediate(config)
        self.output = ASTOutput(config)
        self.layernorm_before = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.layernorm_after = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: Tensor) -> Tensor:
        hidden_states = self.attention(self.layernorm_before(hidden_states)) + hidden_states
        return self.output(self.intermediate(self.layernorm_after(hidden_states)),
                           hidden_states)


class ASTEncoder(nn.Module):
    def __init__(self, config: ASTConfig):
        super().__init__()
        self.layer = nn.ModuleList(ASTLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, hidden_states: Tensor, output_hidden_states: bool = False):
        all_hidden = (hidden_states,) if output_hidden_states else None
        for layer in self.layer:  # over layers, not data
            hidden_states = layer(hidden_states)
            if output_hidden_states:
                all_hidden += (hidden_states,)
        return hidden_states, all_hidden


class ASTPreTrainedModel(PreTrainedModel):
    """Base of the AST models: :class:`ASTConfig`, checkpoint prefix
    ``'audio_spectrogram_transformer'``, transformers' initialisation."""

    config_class = ASTConfig
    base_model_prefix = "audio_spectrogram_transformer"
    main_input_name = "input_values"

    def _init_weights(self, module: nn.Module) -> None:
        # transformers' AST init: truncated normal (bounds +-2 absolute, as nn.init's
        # defaults) for Linear and the patch Conv2d, zero biases, LayerNorm (1, 0), zero
        # special tokens and position embeddings.
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.trunc_normal_(module.weight, mean=0.0, std=self.config.initializer_range)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, ASTEmbeddings):
            for p in (module.cls_token, module.distillation_token, module.position_embeddings):
                nn.init.zeros_(p)

    def _check_input(self, input_values: Tensor) -> None:
        c = self.config
        if input_values.ndim != 3 or tuple(input_values.shape[1:]) != (c.max_length,
                                                                        c.num_mel_bins):
            raise ValueError(
                f"{type(self).__name__}: expected input_values of shape (B, {c.max_length}, "
                f"{c.num_mel_bins}) (frames, mel bins), got {tuple(input_values.shape)}; "
                f"ASTFeatureExtractor pads or cuts spectrograms to max_length frames")


class ASTModel(ASTPreTrainedModel):
    """The AST encoder (``transformers.ASTModel``).

    Args:
        config: an :class:`ASTConfig`.

    Forward args:
        input_values: ``(B, max_length, num_mel_bins)`` normalised log-mel features (see
            :class:`ASTFeatureExtractor`).
        output_hidden_states: also return every layer's output.

    Returns:
        :class:`ASTModelOutput`: ``last_hidden_state`` ``(B, 2 + F*T, H)`` where
        ``F = (num_mel_bins - patch_size) // frequency_stride + 1`` and ``T`` likewise over
        ``max_length`` with ``time_stride``; ``pooler_output`` ``(B, H)``.

    Example:
        >>> config = ASTConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                    intermediate_size=16, max_length=32, num_mel_bins=16)
        >>> ASTModel(config)(ember.randn(2, 32, 16)).last_hidden_state.shape
        ember.Size([2, 4, 8])
    """

    def __init__(self, config: ASTConfig):
        super().__init__(config)
        self.embeddings = ASTEmbeddings(config)
        self.encoder = ASTEncoder(config)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.post_init()

    def get_input_embeddings(self) -> ASTPatchEmbeddings:
        return self.embeddings.patch_embeddings

    def forward(self, input_values: Tensor, output_hidden_states: bool = False) -> ASTModelOutput:
        self._check_input(input_values)
        hidden, all_hidden = self.encoder(self.embeddings(input_values), output_hidden_states)
        hidden = self.layernorm(hidden)
        pooled = (hidden[:, 0] + hidden[:, 1]) / 2  # [CLS] and distillation token (DeiT)
        return ASTModelOutput(last_hidden_state=hidden, pooler_output=pooled,
                              hidden_states=all_hidden)


class ASTMLPHead(nn.Module):
    """LayerNorm then a linear layer onto the labels (identity with ``num_labels == 0``)."""

    def __init__(self, config: ASTConfig):
        super().__init__()
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dense = (nn.Linear(config.hidden_size, config.num_labels) if config.num_labels > 0
                      else nn.Identity())

    def forward(self, hidden_state: Tensor) -> Tensor:
        return self.dense(self.layernorm(hidden_state))


def _classification_loss(config: ASTConfig, logits: Tensor, labels: Tensor) -> Tensor:
    # transformers' rule: MSE for one label (regression), cross-entropy for integer labels,
    # BCE-with-logits for float multi-hot targets (AudioSet); config.problem_type overrides.
    problem = config.problem_type
    if problem is None:
        if config.num_labels == 1:
            problem = "regression"
        elif not labels.is_floating_point():
            problem = "single_label_classification"
        else:
            problem = "multi_label_classification"
    if problem == "regression":
        labels = labels.to(logits.dtype)
        if config.num_labels == 1:
            return F.mse_loss(logits.reshape(-1), labels.reshape(-1))
        return F.mse_loss(logits, labels)
    if problem == "single_label_classification":
        return F.cross_entropy(logits.reshape(-1, config.num_labels), labels.reshape(-1))
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


class ASTForAudioClassification(ASTPreTrainedModel):
    """AST with an MLP head (``classifier.layernorm``, ``classifier.dense``) on the pooled
    output (``transformers.ASTForAudioClassification``).

    With ``labels`` the output carries ``loss``: cross-entropy for integer labels ``(B,)``,
    BCE-with-logits for float multi-hot ``(B, num_labels)`` (AudioSet), MSE when
    ``num_labels == 1``.

    Example:
        >>> model = ASTForAudioClassification.from_pretrained("MIT/ast-finetuned-speech-"
        ...                                                   "commands-v2")
        >>> out = model(input_values, labels=ember.tensor([3]))
        >>> out.loss.backward()
    """

    def __init__(self, config: ASTConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.audio_spectrogram_transformer = ASTModel(config)
        self.classifier = ASTMLPHead(config)
        self.post_init()

    def forward(self, input_values: Tensor, labels: Tensor | None = None,
                output_hidden_states: bool = False) -> ASTClassifierOutput:
        out = self.audio_spectrogram_transformer(input_values, output_hidden_states)
        logits = self.classifier(out.pooler_output)
        loss = None if labels is None else _classification_loss(self.config, logits, labels)
        return ASTClassifierOutput(loss=loss, logits=logits, hidden_states=out.hidden_states)


class ASTFeatureExtractor:
    """AST's input features (``transformers.ASTFeatureExtractor``): Kaldi-compatible log-mel
    filterbanks (25 ms Hann windows every 10 ms, ``num_mel_bins`` bins, through
    ``emberaudio.compliance.kaldi.fbank``), zero-padded or cut to ``max_length`` frames,
    normalised as ``(fbank - mean) / (2 * std)`` (AudioSet statistics by default; the factor 2
    is the original AST recipe's).

    Args:
        sampling_rate: the rate the model expects (16000).
        num_mel_bins: mel bins (128).
        max_length: frames of the output (1024).
        do_normalize: apply the mean/std normalisation.
        mean, std: the normalisation statistics.

    Call args:
        raw_speech: one mono waveform (1-D array, list or Tensor) or a list / 2-D array of
            them, in [-1, 1].
        sampling_rate: the waveform's rate; a mismatch is an error.

    Returns:
        ``{'input_values': Tensor (B, max_length, num_mel_bins)}`` (float32), ready for
        ``model(**features)``.

    Example:
        >>> features = ASTFeatureExtractor()(ember.randn(16000) * 0.1, sampling_rate=16000)
        >>> features["input_values"].shape
        ember.Size([1, 1024, 128])
    """

    def __init__(self, sampling_rate: int = 16000, num_mel_bins: int = 128,
                 max_length: int = 1024, do_normalize: bool = True, mean: float = -4.2677393,
                 std: float = 4.5689974):
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.max_length = max_length
        self.do_normalize = do_normalize
        self.mean = mean
        self.std = std

    def _fbank(self, waveform: Tensor) -> Tensor:
        # Imported here: the Kaldi compliance module is optional for the rest of the models.
        from emberaudio.compliance import kaldi

        return kaldi.fbank(waveform[None, :], sample_frequency=self.sampling_rate,
                           window_type="hanning", num_mel_bins=self.num_mel_bins)

    def _fixed_length(self, fbank: Tensor) -> Tensor:
        """Zero-pad at the end or cut to ``max_length`` frames (before normalisation, as in
        transformers, so the padding becomes ``-mean / (2 std)``)."""
        frames = fbank.shape[0]
        if frames < self.max_length:
            return F.pad(fbank, (0, 0, 0, self.max_length - frames))
        return fbank[: self.max_length]

    def __call__(self, raw_speech, sampling_rate: int | None = None) -> dict:
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ValueError(
                f"ASTFeatureExtractor: expects {self.sampling_rate} Hz audio, got "
                f"{sampling_rate} Hz; resample first with emberaudio.transforms.Resample("
                f"orig_freq={sampling_rate}, new_freq={self.sampling_rate})")
        if isinstance(raw_speech, Tensor):
            raw_speech = raw_speech.detach().cpu().numpy()
        batched = (isinstance(raw_speech, (list, tuple)) and len(raw_speech) > 0
                   and np.ndim(raw_speech[0]) == 1) or np.ndim(raw_speech) == 2
        waves = list(raw_speech) if batched else [raw_speech]
        if any(np.ndim(w) != 1 for w in waves):
            raise ValueError(f"ASTFeatureExtractor: expected mono waveforms (1-D), got shape "
                             f"{np.shape(raw_speech)}; mix channels first")
        # One fbank per clip: Kaldi's features are defined on a single waveform, and clips in a
        # batch may differ in length.
        feats = [self._fixed_length(self._fbank(ember.tensor(np.asarray(w, np.float32))))
                 for w in waves]
        values = ember.stack(feats)
        if self.do_normalize:
            values = (values - self.mean) / (self.std * 2)
        return {"input_values": values}
