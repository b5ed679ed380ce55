"""torchaudio's WavLM and VoxPopuli bundles (``torchaudio.pipelines.WAVLM_*``,
``VOXPOPULI_ASR_BASE_10K_*``), the same checkpoint files from download.pytorch.org.

VoxPopuli models are wav2vec 2.0 base models: plain :class:`Wav2Vec2ASRBundle` entries with
torchaudio's label tables. WavLM checkpoints hold torchaudio's ``WavLMSelfAttention`` layout,
converted here to the Hugging Face names of :mod:`emberaudio.models.wavlm`:

==========================================================================  =========================================
torchaudio (``encoder.transformer.layers.N.attention.``)                     Hugging Face (``encoder.layers.N.attention.``)
==========================================================================  =========================================
``attention.in_proj_weight`` ``(3E, E)`` / ``attention.in_proj_bias``        ``q_proj`` / ``k_proj`` / ``v_proj`` (rows in that order)
``attention.out_proj.{weight,bias}``                                         ``out_proj.{weight,bias}``
``rel_attn_embed.weight``, ``gru_rel_pos_linear.*``, ``gru_rel_pos_const``  the same
==========================================================================  =========================================

Every other key is Wav2Vec2's (:func:`~emberaudio.pipelines.import_torchaudio_state_dict`).

    model = emberaudio.pipelines.WAVLM_BASE_PLUS.get_model()
    features, _ = model.extract_features(waveform)          # one tensor per layer
"""  # noqa: E501

from __future__ import annotations

import re
from dataclasses import dataclass

import ember
from ember import nn

from ._key_conversion import export_torchaudio_state_dict, import_torchaudio_state_dict
from ._wav2vec2_bundles import (
    Wav2Vec2ASRBundle,
    Wav2Vec2Bundle,
    Wav2Vec2BundleModel,
    _config_kwargs,
    _use_torchaudio_names,
)

__all__ = [
    "VOXPOPULI_ASR_BASE_10K_DE", "VOXPOPULI_ASR_BASE_10K_EN", "VOXPOPULI_ASR_BASE_10K_ES",
    "VOXPOPULI_ASR_BASE_10K_FR", "VOXPOPULI_ASR_BASE_10K_IT", "WAVLM_BASE", "WAVLM_BASE_PLUS",
    "WAVLM_LARGE", "WavLMBundle", "WavLMBundleModel", "export_torchaudio_wavlm_state_dict",
    "import_torchaudio_wavlm_state_dict",
]

_TA_LAYER = r"encoder\.transformer\.layers\.(\d+)\.attention\."
_HF_LAYER = "encoder.layers.{}.attention."
_WAVLM_PARTS = r"(rel_attn_embed\.weight|gru_rel_pos_linear\.(?:weight|bias)|gru_rel_pos_const)"


def import_torchaudio_wavlm_state_dict(state_dict: dict, prefix: str = "") -> dict:
    """Rename a torchaudio WavLM state dict (``torchaudio.models.wavlm_model``, what the
    ``WAVLM_*`` bundles download) to the Hugging Face names of
    :class:`~emberaudio.models.wavlm.WavLMModel`; the fused ``in_proj`` is split into
    ``q_proj``, ``k_proj``, ``v_proj`` (views, no copies).

    Args:
        state_dict: torchaudio-named tensors.
        prefix: ``'wavlm'`` for a task model (``WavLMForCTC``), ``''`` for ``WavLMModel``.

    Returns:
        A new dict with the Hugging Face names.

    Raises:
        RuntimeError: keys with no Hugging Face counterpart (all of them named).

    Example:
        >>> hf = import_torchaudio_wavlm_state_dict(ember.load("wavlm_base.pth"))
        >>> "encoder.layers.0.attention.rel_attn_embed.weight" in hf
        True
    """
    base = f"{prefix}." if prefix else ""
    out, rest = {}, {}
    for key, value in state_dict.items():
        match = re.fullmatch(_TA_LAYER + r"attention\.in_proj_(weight|bias)", key)
        if match:
            layer, kind = match.groups()
            n = value.shape[0] // 3
            for i, name in enumerate(("q_proj", "k_proj", "v_proj")):  # torch's chunk order
                out[f"{base}{_HF_LAYER.format(layer)}{name}.{kind}"] = value[i * n:(i + 1) * n]
            continue
        match = (re.fullmatch(_TA_LAYER + r"attention\.out_proj\.(weight|bias)", key)
                 or re.fullmatch(_TA_LAYER + _WAVLM_PARTS, key))
        if match:
            layer, part = match.groups()
            part = f"out_proj.{part}" if "out_proj" in key else part
            out[base + _HF_LAYER.format(layer) + part] = value
            continue
        rest[key] = value
    try:
        out.update(import_torchaudio_state_dict(rest, prefix))
    except RuntimeError as err:
        raise RuntimeError(f"import_torchaudio_wavlm_state_dict: {err}; only torchaudio "
                           f"WavLM checkpoints can be converted") from None
    return out


def export_torchaudio_wavlm_state_dict(state_dict: dict) -> dict:
    """The reverse of :func:`import_torchaudio_wavlm_state_dict`: Hugging Face WavLM names
    (with or without ``wavlm.``) to torchaudio's, ``q_proj``/``k_proj``/``v_proj`` fused into
    ``in_proj_weight`` / ``in_proj_bias``.

    Raises:
        RuntimeError: keys torchaudio's model has no place for (e.g. ``masked_spec_embed``).
    """
    out, rest, fused = {}, {}, {}
    for key, value in state_dict.items():
        bare = re.sub(r"^wavlm\.", "", key)
        match = re.fullmatch(r"encoder\.layers\.(\d+)\.attention\.(.+)", bare)
        ta = f"encoder.transformer.layers.{match.group(1)}.attention." if match else ""
        part = match.group(2) if match else ""
        if match and re.fullmatch(r"[qkv]_proj\.(weight|bias)", part):
            fused.setdefault((ta, part.split(".")[1]), {})[part[0]] = value
        elif match and re.fullmatch(r"out_proj\.(weight|bias)", part):
            out[ta + "attention." + part] = value
        elif match and re.fullmatch(_WAVLM_PARTS, part):
            out[ta + part] = value
        else:
            rest[re.sub(r"^wavlm\.", "wav2vec2.", key)] = value
    for (ta, kind), qkv in fused.items():
        if set(qkv) != {"q", "k", "v"}:
            raise RuntimeError(f"export_torchaudio_wavlm_state_dict: {ta} needs q_proj, k_proj "
                               f"and v_proj {kind}s, got {sorted(qkv)}")
        out[f"{ta}attention.in_proj_{kind}"] = ember.cat([qkv["q"], qkv["k"], qkv["v"]])
    out.update(export_torchaudio_state_dict(rest))
    return out


class WavLMBundleModel(Wav2Vec2BundleModel):
    """What a WavLM bundle's ``get_model`` returns: torchaudio's ``Wav2Vec2Model`` calling
    convention (``forward(waveforms, lengths) -> (features, lengths)``,
    ``extract_features``) around :class:`~emberaudio.models.wavlm.WavLMModel` in ``.model``;
    ``state_dict`` / ``load_state_dict`` speak torchaudio's WavLM names.

    Example:
        >>> model = WAVLM_BASE.get_model()
        >>> layers, _ = model.extract_features(ember.randn(1, 16000))
        >>> len(layers), layers[0].shape
        (12, ember.Size([1, 49, 768]))
    """

    def __init__(self, model: nn.Module, normalize_waveform: bool = False):
        super().__init__(model, normalize_waveform=normalize_waveform)
        _use_torchaudio_names(self, export_torchaudio_wavlm_state_dict,
                              import_torchaudio_wavlm_state_dict)

    def extract_features(self, waveforms, lengths=None, num_layers: int | None = None):
        """Each Transformer layer's output (torchaudio's ``extract_features``); the relative
        position bias of the first layer is passed on as in the full forward."""
        base = self.model.base_model
        encoder = base.encoder
        if num_layers is not None and not 0 < num_layers <= len(encoder.layers):
            raise ValueError(f"extract_features: num_layers must be in [1, "
                             f"{len(encoder.layers)}], got {num_layers}")
        x, mask = self._prepare(waveforms, lengths)
        hidden = base.feature_extractor(x).transpose(1, 2)
        hidden, _ = base.feature_projection(hidden)
        frames = None
        if mask is not None:
            frames = base._get_feature_vector_attention_mask(hidden.shape[1], mask)
            hidden = ember.where(frames[..., None], hidden, 0.0)
        hidden = hidden + encoder.pos_conv_embed(hidden)
        if not encoder.stable:
            hidden = encoder.layer_norm(hidden)
        hidden = encoder.dropout(hidden)
        features, bias = [], None
        for layer in encoder.layers[:num_layers]:  # over layers, not data
            hidden, bias, _ = layer(hidden, frames, bias)
            features.append(hidden)
        return features, self._frames(lengths)


def _wavlm_config(params: dict):
    """torchaudio's ``wavlm_model`` arguments as a :class:`WavLMConfig`."""
    from ..models.wavlm import WavLMConfig

    return WavLMConfig(**_config_kwargs(params), num_buckets=params["encoder_num_buckets"],
                       max_bucket_distance=params["encoder_max_distance"])


@dataclass
class WavLMBundle(Wav2Vec2Bundle):
    """A pretrained WavLM encoder. torchaudio spells this ``Wav2Vec2Bundle(...,
    _model_type="WavLM")``; here the WavLM build and key conversion live in this subclass
    (it is a :class:`Wav2Vec2Bundle`, so ``isinstance`` checks hold)."""

    _model_type: str = "WavLM"

    def get_model(self, *, dl_kwargs: dict | None = None) -> WavLMBundleModel:
        """Build :class:`~emberaudio.models.wavlm.WavLMModel` (``WavLMForCTC`` when
        ``aux_num_out`` is set), download the checkpoint through :mod:`ember.hub`, convert
        its keys (:func:`import_torchaudio_wavlm_state_dict`) and load it strictly.

        Returns:
            :class:`WavLMBundleModel` in eval mode.

        Raises:
            RuntimeError: keys that cannot be converted, or missing / unexpected keys (all
                named).
        """
        from ..models.wavlm import WavLMForCTC, WavLMModel

        config = _wavlm_config(self._params)
        model = (WavLMModel if self._params["aux_num_out"] is None else WavLMForCTC)(config)
        model = self._load_pretrained(model, import_torchaudio_wavlm_state_dict, dl_kwargs)
        wrapped = WavLMBundleModel(model, normalize_waveform=self._normalize_waveform)
        wrapped.eval()
        return wrapped


_CONV = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


def _arch(embed, layers, heads, ff, *, mode, norm_first, projection_dropout, attention_dropout,
          ff_interm_dropout, dropout, layer_drop, aux_num_out=None, wavlm=False) -> dict:
    params = {
        "extractor_mode": mode, "extractor_conv_layer_config": list(_CONV),
        "extractor_conv_bias": False, "encoder_embed_dim": embed,
        "encoder_projection_dropout": projection_dropout, "encoder_pos_conv_kernel": 128,
        "encoder_pos_conv_groups": 16, "encoder_num_layers": layers, "encoder_num_heads": heads,
        "encoder_attention_dropout": attention_dropout, "encoder_ff_interm_features": ff,
        "encoder_ff_interm_dropout": ff_interm_dropout, "encoder_dropout": dropout,
        "encoder_layer_norm_first": norm_first, "encoder_layer_drop": layer_drop,
        "aux_num_out": aux_num_out,
    }
    if wavlm:
        params.update(encoder_max_distance=800, encoder_num_buckets=320)
    return params


# torchaudio's pipelines/_wav2vec2/impl.py, entry by entry.
_WAVLM_DROPS = dict(projection_dropout=0.1, attention_dropout=0.1, ff_interm_dropout=0.0,
                    dropout=0.1, layer_drop=0.05, wavlm=True)
#: WavLM Base, pre-trained on LibriSpeech 960 h, not fine-tuned.
WAVLM_BASE = WavLMBundle("wavlm_base.pth", _arch(768, 12, 12, 3072, mode="group_norm",
                                                 norm_first=False, **_WAVLM_DROPS), 16000, False)
#: WavLM Base+, pre-trained on Libri-Light 60k h, GigaSpeech 10k h and VoxPopuli 24k h.
WAVLM_BASE_PLUS = WavLMBundle("wavlm_base_plus.pth",
                              _arch(768, 12, 12, 3072, mode="group_norm", norm_first=False,
                                    **_WAVLM_DROPS), 16000, False)
#: WavLM Large (pre-norm, LayerNorm extractor), the same 94k h; input layer-normalised.
WAVLM_LARGE = WavLMBundle("wavlm_large.pth", _arch(1024, 24, 16, 4096, mode="layer_norm",
                                                   norm_first=True, **_WAVLM_DROPS), 16000, True)

_VP_DROPS = dict(mode="group_norm", norm_first=False, projection_dropout=0.0,
                 attention_dropout=0.0, ff_interm_dropout=0.1, dropout=0.0, layer_drop=0.1)

# torchaudio's pipelines/_wav2vec2/utils.py label tables (blank excluded).
_DE = ("|", "e", "n", "i", "r", "s", "t", "a", "d", "h", "u", "l", "g", "c", "m", "o", "b", "w",
       "f", "k", "z", "p", "v", "ü", "ä", "ö", "j", "ß", "y", "x", "q")
_VP_EN = ("|", "e", "t", "o", "i", "a", "n", "s", "r", "h", "l", "d", "c", "u", "m", "p", "f",
          "g", "w", "y", "b", "v", "k", "x", "j", "q", "z")
_ES = ("|", "e", "a", "o", "s", "n", "r", "i", "l", "d", "c", "t", "u", "p", "m", "b", "q", "y",
       "g", "v", "h", "ó", "f", "í", "á", "j", "z", "ñ", "é", "x", "ú", "k", "w", "ü")
_FR = ("|", "e", "s", "n", "i", "t", "r", "a", "o", "u", "l", "d", "c", "p", "m", "é", "v", "q",
       "f", "g", "b", "h", "x", "à", "j", "è", "y", "ê", "z", "ô", "k", "ç", "œ", "û", "ù", "î",
       "â", "w", "ï", "ë", "ü", "æ")
_IT = ("|", "e", "i", "a", "o", "n", "t", "r", "l", "s", "c", "d", "u", "p", "m", "g", "v", "h",
       "z", "f", "b", "q", "à", "è", "ù", "é", "ò", "ì", "k", "y", "x", "w", "j", "ó", "í", "ï")


def _voxpopuli(lang: str, labels: tuple, remove: tuple) -> Wav2Vec2ASRBundle:
    return Wav2Vec2ASRBundle(f"wav2vec2_voxpopuli_base_10k_asr_{lang}.pt",
                             _arch(768, 12, 12, 3072, aux_num_out=len(labels) + 1, **_VP_DROPS),
                             16000, False, "Wav2Vec2", _labels=labels, _remove_aux_axis=remove)


#: wav2vec 2.0 base pre-trained on VoxPopuli's 10k h (23 languages), fine-tuned for German
#: ASR (282 h). The head's unused fairseq rows (1, 2, 3 and a stray one) are dropped.
VOXPOPULI_ASR_BASE_10K_DE = _voxpopuli("de", _DE, (1, 2, 3, 35))
#: ... English (543 h).
VOXPOPULI_ASR_BASE_10K_EN = _voxpopuli("en", _VP_EN, (1, 2, 3, 31))
#: ... Spanish (166 h).
VOXPOPULI_ASR_BASE_10K_ES = _voxpopuli("es", _ES, (1, 2, 3, 35))
#: ... French (211 h); torchaudio removes no rows from this head.
VOXPOPULI_ASR_BASE_10K_FR = _voxpopuli("fr", _FR, ())
#: ... Italian (91 h).
VOXPOPULI_ASR_BASE_10K_IT = _voxpopuli("it", _IT, (1, 2, 3))
