"""torchaudio's Wav2Vec2 / HuBERT / WavLM model factories (``torchaudio.models.wav2vec2_model``,
``wav2vec2_base`` ... ``hubert_xlarge``, ``wavlm_model``, ``wavlm_base``, ``wavlm_large``).

The network is the Hugging Face-named one of :mod:`.wav2vec2` / :mod:`.hubert` (one
implementation), wrapped in :class:`~emberaudio.pipelines.Wav2Vec2BundleModel` for
torchaudio's calling convention (``forward(waveforms, lengths) -> (x, lengths)``,
``extract_features``). :class:`TorchaudioWav2Vec2Model` adds torchaudio's state_dict names:
``state_dict()`` returns them (``feature_extractor.*``, ``encoder.feature_projection.*``,
``encoder.transformer.*``, ``aux.*``) and ``load_state_dict`` accepts them, so checkpoints
saved by torchaudio load directly:

    model = wav2vec2_base(aux_num_out=29)
    model.load_state_dict(ember.load("wav2vec2_fairseq_base_ls960_asr_ls960.pth"))
    emissions, frames = model(waveforms, lengths)

Deliberate differences: ``named_parameters()`` keeps the Hugging Face module paths (under
``model.``); only the state_dict views are translated. The WavLM and HuBERT-pretraining
factories are not provided.
"""

from __future__ import annotations

from ember import nn

from ..pipelines._key_conversion import export_torchaudio_state_dict, import_torchaudio_state_dict
from ..pipelines._wav2vec2_bundles import Wav2Vec2BundleModel, _hf_model, _use_torchaudio_names
from ..pipelines._wavlm_bundles import WavLMBundleModel, _wavlm_config

__all__ = [
    "TorchaudioWav2Vec2Model", "TorchaudioWavLMModel", "hubert_base", "hubert_large",
    "hubert_xlarge", "wav2vec2_base",
    "wav2vec2_large", "wav2vec2_large_lv60k", "wav2vec2_model", "wav2vec2_xlsr_1b",
    "wav2vec2_xlsr_2b", "wav2vec2_xlsr_300m", "wavlm_base", "wavlm_large", "wavlm_model",
]

_DEFAULT_CONV = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


class TorchaudioWav2Vec2Model(Wav2Vec2BundleModel):
    """torchaudio's ``Wav2Vec2Model`` (what :func:`wav2vec2_model` and the factories return):
    :class:`~emberaudio.pipelines.Wav2Vec2BundleModel`'s forward / ``extract_features``
    whose ``state_dict`` and ``load_state_dict`` use torchaudio's names.

    Args:
        model: the Hugging Face-named network (``Wav2Vec2Model``, ``Wav2Vec2ForCTC``, or the
            HuBERT ones), kept as ``.model``.
        normalize_waveform: layer-normalise the input first (``False`` for the factories, as
            in torchaudio; the large bundles set it).

    Example:
        >>> model = wav2vec2_model("group_norm", [(8, 10, 5), (8, 3, 2)], False, 16, 0.0, 4,
        ...                        2, 2, 2, 0.0, 32, 0.0, 0.0, False, 0.0, aux_num_out=5)
        >>> "aux.weight" in model.state_dict()
        True
        >>> x, lengths = model(ember.randn(2, 400), ember.tensor([400, 200]))
        >>> x.shape, lengths.tolist()
        (ember.Size([2, 39, 5]), [39, 19])
    """

    def __init__(self, model: nn.Module, normalize_waveform: bool = False):
        super().__init__(model, normalize_waveform=normalize_waveform)
        _use_torchaudio_names(self, export_torchaudio_state_dict, import_torchaudio_state_dict)

    @property
    def aux(self):
        """The CTC head (torchaudio's ``aux``: ``Linear(embed_dim, aux_num_out)``) or
        ``None``."""
        return getattr(self.model, "lm_head", None)


def wav2vec2_model(extractor_mode: str, extractor_conv_layer_config, extractor_conv_bias: bool,
                   encoder_embed_dim: int, encoder_projection_dropout: float,
                   encoder_pos_conv_kernel: int, encoder_pos_conv_groups: int,
                   encoder_num_layers: int, encoder_num_heads: int,
                   encoder_attention_dropout: float, encoder_ff_interm_features: int,
                   encoder_ff_interm_dropout: float, encoder_dropout: float,
                   encoder_layer_norm_first: bool, encoder_layer_drop: float,
                   aux_num_out: int | None) -> TorchaudioWav2Vec2Model:
    """Build a custom wav2vec 2.0 / HuBERT model (``torchaudio.models.wav2vec2_model``, the
    same arguments).

    Args:
        extractor_mode: ``'group_norm'`` (GroupNorm on the first conv layer) or
            ``'layer_norm'`` (LayerNorm on every conv layer).
        extractor_conv_layer_config: ``[(out_channels, kernel, stride), ...]`` of the conv
            feature extractor; ``None`` for the published 7 layers (20 ms frames at 16 kHz).
        extractor_conv_bias: biases in the conv layers.
        encoder_embed_dim: Transformer width.
        encoder_projection_dropout: dropout after the feature projection.
        encoder_pos_conv_kernel, encoder_pos_conv_groups: the convolutional positional
            embedding.
        encoder_num_layers, encoder_num_heads: Transformer depth and heads.
        encoder_attention_dropout: dropout on the attention weights.
        encoder_ff_interm_features, encoder_ff_interm_dropout: feed-forward width and its
            inner dropout.
        encoder_dropout: dropout at the end of each sub-layer.
        encoder_layer_norm_first: pre-norm layers (large LV-60k / XLS-R / HuBERT large).
        encoder_layer_drop: probability of skipping a layer in training.
        aux_num_out: when given, a ``Linear(encoder_embed_dim, aux_num_out)`` head ``aux``.

    Returns:
        :class:`TorchaudioWav2Vec2Model`; ``forward(waveforms (batch, time), lengths=None)``
        gives ``(x, lengths)``: ``(batch, frames, aux_num_out)`` logits with a head, else
        ``(batch, frames, encoder_embed_dim)`` features.

    Raises:
        ValueError: an unknown ``extractor_mode``.
    """
    if extractor_mode not in ("group_norm", "layer_norm"):
        raise ValueError(f"wav2vec2_model: extractor_mode must be 'group_norm' or "
                         f"'layer_norm', got {extractor_mode!r}")
    if extractor_conv_layer_config is None:
        extractor_conv_layer_config = list(_DEFAULT_CONV)
    params = {
        "extractor_mode": extractor_mode,
        "extractor_conv_layer_config": [tuple(c) for c in extractor_conv_layer_config],
        "extractor_conv_bias": extractor_conv_bias, "encoder_embed_dim": encoder_embed_dim,
        "encoder_projection_dropout": encoder_projection_dropout,
        "encoder_pos_conv_kernel": encoder_pos_conv_kernel,
        "encoder_pos_conv_groups": encoder_pos_conv_groups,
        "encoder_num_layers": encoder_num_layers, "encoder_num_heads": encoder_num_heads,
        "encoder_attention_dropout": encoder_attention_dropout,
        "encoder_ff_interm_features": encoder_ff_interm_features,
        "encoder_ff_interm_dropout": encoder_ff_interm_dropout,
        "encoder_dropout": encoder_dropout, "encoder_layer_norm_first": encoder_layer_norm_first,
        "encoder_layer_drop": encoder_layer_drop, "aux_num_out": aux_num_out,
    }
    # one network for both families: the Wav2Vec2 classes (HuBERT's differ only by prefix)
    return TorchaudioWav2Vec2Model(_hf_model(params, "Wav2Vec2"))


def _factory(name, what, arch, layout, defaults):
    """One published-architecture factory (``torchaudio.models.<name>``) with torchaudio's
    exact signature: the five dropouts (``defaults``, torchaudio's, in argument order) and
    ``aux_num_out=None``. ``layout`` is ``(extractor_mode, extractor_conv_bias, embed_dim,
    num_layers, num_heads, ff_interm_features, layer_norm_first)``; the positional
    convolution (kernel 128, 16 groups) and the 7-layer extractor are shared by all."""
    mode, conv_bias, embed, layers, heads, ff, norm_first = layout
    proj_d, attn_d, ff_d, drop_d, layer_d = defaults

    def factory(encoder_projection_dropout: float = proj_d,
                encoder_attention_dropout: float = attn_d,
                encoder_ff_interm_dropout: float = ff_d, encoder_dropout: float = drop_d,
                encoder_layer_drop: float = layer_d,
                aux_num_out: int | None = None) -> TorchaudioWav2Vec2Model:
        return wav2vec2_model(mode, None, conv_bias, embed, encoder_projection_dropout, 128, 16,
                              layers, heads, encoder_attention_dropout, ff,
                              encoder_ff_interm_dropout, encoder_dropout, norm_first,
                              encoder_layer_drop, aux_num_out)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = _FACTORY_DOC.format(what=what, name=name, arch=arch,
                                          defaults=", ".join(str(d) for d in defaults))
    return factory


_FACTORY_DOC = """Build the {what} architecture (``torchaudio.models.{name}``): {arch}.

    Args:
        encoder_projection_dropout, encoder_attention_dropout, encoder_ff_interm_dropout,
        encoder_dropout, encoder_layer_drop: see :func:`wav2vec2_model` (defaults
            {defaults}, torchaudio's).
        aux_num_out: size of an optional ``aux`` output head (``None``: none).

    Returns:
        :class:`TorchaudioWav2Vec2Model` (randomly initialised; load weights with
        ``load_state_dict`` or use :mod:`emberaudio.pipelines`).
    """

_BASE = ("group_norm", False, 768, 12, 12, 3072, False)
_LARGE_1024 = (1024, 24, 16, 4096, True)
_XL_1280 = (1280, 48, 16, 5120, True)

wav2vec2_base = _factory("wav2vec2_base", '"base" wav2vec 2.0',
                         "GroupNorm extractor, post-norm, 768 x 12 layers", _BASE,
                         (0.1, 0.1, 0.1, 0.1, 0.1))
wav2vec2_large = _factory("wav2vec2_large", '"large" wav2vec 2.0',
                          "GroupNorm extractor, post-norm, 1024 x 24 layers",
                          ("group_norm", False, 1024, 24, 16, 4096, False),
                          (0.1, 0.1, 0.1, 0.1, 0.1))
wav2vec2_large_lv60k = _factory(
    "wav2vec2_large_lv60k", '"large lv-60k" wav2vec 2.0',
    "LayerNorm extractor with conv biases, pre-norm, 1024 x 24 layers",
    ("layer_norm", True) + _LARGE_1024, (0.1, 0.0, 0.1, 0.0, 0.1))
wav2vec2_xlsr_300m = _factory("wav2vec2_xlsr_300m", "XLS-R 300M",
                              "LayerNorm extractor, pre-norm, 1024 x 24 layers",
                              ("layer_norm", True) + _LARGE_1024, (0.0, 0.0, 0.0, 0.0, 0.0))
wav2vec2_xlsr_1b = _factory("wav2vec2_xlsr_1b", "XLS-R 1B",
                            "LayerNorm extractor, pre-norm, 1280 x 48 layers",
                            ("layer_norm", True) + _XL_1280, (0.1, 0.0, 0.0, 0.0, 0.0))
wav2vec2_xlsr_2b = _factory("wav2vec2_xlsr_2b", "XLS-R 2B",
                            "LayerNorm extractor, pre-norm, 1920 x 48 layers",
                            ("layer_norm", True, 1920, 48, 16, 7680, True),
                            (0.1, 0.0, 0.0, 0.0, 0.0))
hubert_base = _factory("hubert_base", '"base" HuBERT',
                       "GroupNorm extractor, post-norm, 768 x 12 layers", _BASE,
                       (0.1, 0.1, 0.0, 0.1, 0.05))
hubert_large = _factory("hubert_large", '"large" HuBERT',
                        "LayerNorm extractor without conv biases, pre-norm, 1024 x 24 layers",
                        ("layer_norm", False) + _LARGE_1024, (0.0, 0.0, 0.0, 0.0, 0.0))
hubert_xlarge = _factory("hubert_xlarge", '"extra large" HuBERT',
                         "LayerNorm extractor without conv biases, pre-norm, 1280 x 48 layers",
                         ("layer_norm", False) + _XL_1280, (0.0, 0.0, 0.0, 0.0, 0.0))


# -- WavLM -----------------------------------------------------------------------------------

class TorchaudioWavLMModel(WavLMBundleModel):
    """What :func:`wavlm_model`, :func:`wavlm_base` and :func:`wavlm_large` return: the
    pipelines' :class:`~emberaudio.pipelines.WavLMBundleModel` (torchaudio's ``forward
    (waveforms, lengths) -> (x, lengths)`` and ``extract_features``, torchaudio's WavLM
    state_dict names with the fused ``attention.in_proj_weight``) plus torchaudio's ``aux``.

    Args:
        model: :class:`~emberaudio.models.wavlm.WavLMModel` or ``WavLMForCTC``, kept as
            ``.model``.
        normalize_waveform: layer-normalise the input first (``False`` for the factories).
    """

    aux = TorchaudioWav2Vec2Model.aux  # the same property: the CTC head ``lm_head`` or None


def wavlm_model(extractor_mode: str, extractor_conv_layer_config, extractor_conv_bias: bool,
                encoder_embed_dim: int, encoder_projection_dropout: float,
                encoder_pos_conv_kernel: int, encoder_pos_conv_groups: int,
                encoder_num_layers: int, encoder_num_heads: int, encoder_num_buckets: int,
                encoder_max_distance: int, encoder_attention_dropout: float,
                encoder_ff_interm_features: int, encoder_ff_interm_dropout: float,
                encoder_dropout: float, encoder_layer_norm_first: bool,
                encoder_layer_drop: float, aux_num_out: int | None) -> TorchaudioWavLMModel:
    """Build a custom WavLM model (``torchaudio.models.wavlm_model``, the same arguments in
    the same order): :func:`wav2vec2_model`'s plus the gated relative position bias.

    Args:
        encoder_num_buckets: relative-position buckets of the first layer's bias table.
        encoder_max_distance: distance (frames) at which the log-spaced buckets saturate.
        others: see :func:`wav2vec2_model`.

    Returns:
        :class:`TorchaudioWavLMModel` over :class:`~emberaudio.models.wavlm.WavLMModel`
        (``WavLMForCTC`` with ``aux_num_out``); ``forward(waveforms, lengths=None)`` gives
        ``(x, lengths)`` as :func:`wav2vec2_model`'s model does.

    Raises:
        ValueError: an unknown ``extractor_mode``.

    Example:
        >>> model = wavlm_model("group_norm", [(8, 10, 5), (8, 3, 2)], False, 16, 0.0, 4, 2,
        ...                     2, 2, 16, 32, 0.0, 32, 0.0, 0.0, False, 0.0, None)
        >>> sd = model.state_dict()
        >>> tuple(sd["encoder.transformer.layers.0.attention.attention.in_proj_weight"].shape)
        (48, 16)
    """
    from .wavlm import WavLMForCTC, WavLMModel

    if extractor_mode not in ("group_norm", "layer_norm"):
        raise ValueError(f"wavlm_model: extractor_mode must be 'group_norm' or "
                         f"'layer_norm', got {extractor_mode!r}")
    if extractor_conv_layer_config is None:
        extractor_conv_layer_config = list(_DEFAULT_CONV)
    params = {
        "extractor_mode": extractor_mode,
        "extractor_conv_layer_config": [tuple(c) for c in extractor_conv_layer_config],
        "extractor_conv_bias": extractor_conv_bias, "encoder_embed_dim": encoder_embed_dim,
        "encoder_projection_dropout": encoder_projection_dropout,
        "encoder_pos_conv_kernel": encoder_pos_conv_kernel,
        "encoder_pos_conv_groups": encoder_pos_conv_groups,
        "encoder_num_layers": encoder_num_layers, "encoder_num_heads": encoder_num_heads,
        "encoder_num_buckets": encoder_num_buckets,
        "encoder_max_distance": encoder_max_distance,
        "encoder_attention_dropout": encoder_attention_dropout,
        "encoder_ff_interm_features": encoder_ff_interm_features,
        "encoder_ff_interm_dropout": encoder_ff_interm_dropout,
        "encoder_dropout": encoder_dropout, "encoder_layer_norm_first": encoder_layer_norm_first,
        "encoder_layer_drop": encoder_layer_drop, "aux_num_out": aux_num_out,
    }
    # the WAVLM_* bundles' build: the same config translation and network classes
    config = _wavlm_config(params)
    return TorchaudioWavLMModel((WavLMModel if aux_num_out is None else WavLMForCTC)(config))


def _wavlm_factory(name, what, mode, embed, layers, heads, ff, norm_first, defaults):
    """``torchaudio.models.wavlm_base`` / ``wavlm_large``: torchaudio's exact signature (the
    five dropouts, ``defaults`` in argument order, and ``aux_num_out=None``); 320 buckets,
    distance 800, the 7-layer extractor without conv biases, positional conv 128 / 16."""
    proj_d, attn_d, ff_d, drop_d, layer_d = defaults

    def factory(encoder_projection_dropout: float = proj_d,
                encoder_attention_dropout: float = attn_d,
                encoder_ff_interm_dropout: float = ff_d, encoder_dropout: float = drop_d,
                encoder_layer_drop: float = layer_d,
                aux_num_out: int | None = None) -> TorchaudioWavLMModel:
        return wavlm_model(mode, None, False, embed, encoder_projection_dropout, 128, 16,
                           layers, heads, 320, 800, encoder_attention_dropout, ff,
                           encoder_ff_interm_dropout, encoder_dropout, norm_first,
                           encoder_layer_drop, aux_num_out)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = _FACTORY_DOC.format(
        what=what, name=name, arch=f"{mode.replace('_', ' ')} extractor, "
        f"{'pre' if norm_first else 'post'}-norm, {embed} x {layers} layers, relative "
        f"position bias (320 buckets, distance 800)",
        defaults=", ".join(str(d) for d in defaults)).replace(
        ":class:`TorchaudioWav2Vec2Model`", ":class:`TorchaudioWavLMModel`")
    return factory


wavlm_base = _wavlm_factory("wavlm_base", '"base" WavLM', "group_norm", 768, 12, 12, 3072,
                            False, (0.1, 0.1, 0.1, 0.1, 0.1))
wavlm_large = _wavlm_factory("wavlm_large", '"large" WavLM', "layer_norm", 1024, 24, 16, 4096,
                             True, (0.1, 0.1, 0.0, 0.1, 0.1))
