"""``emberaudio.pipelines``: torchaudio's pretrained Wav2Vec2, HuBERT and WavLM bundles.

Each bundle names torchaudio's checkpoint file on download.pytorch.org (the same URL
``torchaudio.pipelines`` uses), the architecture (torchaudio's ``wav2vec2_model`` arguments)
and, for ASR bundles, the output labels. :meth:`Wav2Vec2Bundle.get_model` downloads the file
through :mod:`ember.hub`, converts its keys to the Hugging Face layout of
:mod:`emberaudio.models.wav2vec2` / :mod:`emberaudio.models.hubert`
(:func:`import_torchaudio_state_dict`) and loads it strictly.

    import emberaudio as torchaudio
    bundle = torchaudio.pipelines.WAV2VEC2_ASR_BASE_960H
    model = bundle.get_model()
    emissions, _ = model(waveform)          # (batch, frames, 29) logits, blank = 0
    bundle.get_labels()                     # ('-', '|', 'E', 'T', 'A', 'O', ...)

Not provided: MMS forced alignment and the non-Wav2Vec2 pipelines (Tacotron2, Emformer RNN-T,
SQUIM, ...).
"""

from __future__ import annotations

from ._key_conversion import export_torchaudio_state_dict, import_torchaudio_state_dict
from ._wav2vec2_bundles import Wav2Vec2ASRBundle, Wav2Vec2Bundle, Wav2Vec2BundleModel
from ._wavlm_bundles import (
    VOXPOPULI_ASR_BASE_10K_DE,
    VOXPOPULI_ASR_BASE_10K_EN,
    VOXPOPULI_ASR_BASE_10K_ES,
    VOXPOPULI_ASR_BASE_10K_FR,
    VOXPOPULI_ASR_BASE_10K_IT,
    WAVLM_BASE,
    WAVLM_BASE_PLUS,
    WAVLM_LARGE,
    WavLMBundle,
    WavLMBundleModel,
    export_torchaudio_wavlm_state_dict,
    import_torchaudio_wavlm_state_dict,
)

__all__ = [
    "HUBERT_ASR_LARGE", "HUBERT_ASR_XLARGE", "HUBERT_BASE", "HUBERT_LARGE", "HUBERT_XLARGE",
    "WAV2VEC2_ASR_BASE_10M", "WAV2VEC2_ASR_BASE_100H", "WAV2VEC2_ASR_BASE_960H",
    "WAV2VEC2_ASR_LARGE_10M", "WAV2VEC2_ASR_LARGE_100H", "WAV2VEC2_ASR_LARGE_960H",
    "WAV2VEC2_ASR_LARGE_LV60K_10M", "WAV2VEC2_ASR_LARGE_LV60K_100H",
    "WAV2VEC2_ASR_LARGE_LV60K_960H", "WAV2VEC2_BASE", "WAV2VEC2_LARGE", "WAV2VEC2_LARGE_LV60K",
    "WAV2VEC2_XLSR53", "WAV2VEC2_XLSR_1B", "WAV2VEC2_XLSR_2B", "WAV2VEC2_XLSR_300M",
    "Wav2Vec2ASRBundle", "Wav2Vec2Bundle", "Wav2Vec2BundleModel",
    "export_torchaudio_state_dict", "import_torchaudio_state_dict",
    "VOXPOPULI_ASR_BASE_10K_DE", "VOXPOPULI_ASR_BASE_10K_EN", "VOXPOPULI_ASR_BASE_10K_ES",
    "VOXPOPULI_ASR_BASE_10K_FR", "VOXPOPULI_ASR_BASE_10K_IT", "WAVLM_BASE", "WAVLM_BASE_PLUS",
    "WAVLM_LARGE", "WavLMBundle", "WavLMBundleModel", "export_torchaudio_wavlm_state_dict",
    "import_torchaudio_wavlm_state_dict",
]

# The 7 conv layers of every published model: (channels, kernel, stride), 20 ms frames at
# 16 kHz (a receptive field of 400 samples, a hop of 320).
_CONV = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2

# LibriSpeech's characters after the blank, by frequency (torchaudio's _get_en_labels).
_EN_LABELS = ("|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D", "L", "U", "M", "W", "C",
              "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J", "Q", "Z")


def _params(size: str, *, extractor: str, conv_bias: bool, layer_norm_first: bool,
            projection_dropout: float, attention_dropout: float, ff_interm_dropout: float,
            dropout: float, layer_drop: float, aux_num_out: int | None = None) -> dict:
    """torchaudio's ``wav2vec2_model`` arguments for a base / large / xlarge / 1b / 2b body."""
    embed, layers, heads, ff = {"base": (768, 12, 12, 3072), "large": (1024, 24, 16, 4096),
                                "xlarge": (1280, 48, 16, 5120), "1b": (1280, 48, 16, 5120),
                                "2b": (1920, 48, 16, 7680)}[size]
    return {
        "extractor_mode": f"{extractor}_norm", "extractor_conv_layer_config": list(_CONV),
        "extractor_conv_bias": conv_bias, "encoder_embed_dim": embed,
        "encoder_projection_dropout": projection_dropout, "encoder_pos_conv_kernel": 128,
        "encoder_pos_conv_groups": 16, "encoder_num_layers": layers,
        "encoder_num_heads": heads, "encoder_attention_dropout": attention_dropout,
        "encoder_ff_interm_features": ff, "encoder_ff_interm_dropout": ff_interm_dropout,
        "encoder_dropout": dropout, "encoder_layer_norm_first": layer_norm_first,
        "encoder_layer_drop": layer_drop, "aux_num_out": aux_num_out,
    }


# The architectures as torchaudio declares them (dropouts only matter when fine-tuning).
_BASE = dict(extractor="group", conv_bias=False, layer_norm_first=False, projection_dropout=0.1,
             attention_dropout=0.1, ff_interm_dropout=0.0, dropout=0.1, layer_drop=0.05)
_LARGE = dict(_BASE, dropout=0.0, layer_drop=0.2)
_LV60K = dict(extractor="layer", conv_bias=True, layer_norm_first=True, projection_dropout=0.1,
              attention_dropout=0.1, ff_interm_dropout=0.0, dropout=0.0, layer_drop=0.0)
_XLSR = dict(_LV60K, projection_dropout=0.0, attention_dropout=0.0)
_HUBERT_LARGE = dict(_XLSR, conv_bias=False)
_HUBERT_ASR = dict(_HUBERT_LARGE, ff_interm_dropout=0.1, layer_drop=0.1)


def _w2v(path, size, arch, normalize):
    return Wav2Vec2Bundle(path, _params(size, **arch), 16000, normalize, "Wav2Vec2")


def _w2v_asr(path, size, arch, normalize, model_type="Wav2Vec2"):
    return Wav2Vec2ASRBundle(path, _params(size, **arch, aux_num_out=29), 16000, normalize,
                             model_type, _labels=_EN_LABELS)


#: wav2vec 2.0 base, pre-trained on LibriSpeech 960 h (unlabelled), not fine-tuned.
WAV2VEC2_BASE = _w2v("wav2vec2_fairseq_base_ls960.pth", "base", _BASE, False)
#: ... fine-tuned for ASR on Libri-Light's 10 minutes.
WAV2VEC2_ASR_BASE_10M = _w2v_asr("wav2vec2_fairseq_base_ls960_asr_ll10m.pth", "base", _BASE,
                                 False)
#: ... fine-tuned on LibriSpeech train-clean-100.
WAV2VEC2_ASR_BASE_100H = _w2v_asr("wav2vec2_fairseq_base_ls960_asr_ls100.pth", "base", _BASE,
                                  False)
#: ... fine-tuned on LibriSpeech 960 h.
WAV2VEC2_ASR_BASE_960H = _w2v_asr("wav2vec2_fairseq_base_ls960_asr_ls960.pth", "base", _BASE,
                                  False)
#: wav2vec 2.0 large (post-norm, GroupNorm extractor), pre-trained on LibriSpeech 960 h.
WAV2VEC2_LARGE = _w2v("wav2vec2_fairseq_large_ls960.pth", "large", _LARGE, False)
WAV2VEC2_ASR_LARGE_10M = _w2v_asr("wav2vec2_fairseq_large_ls960_asr_ll10m.pth", "large", _LARGE,
                                  False)
WAV2VEC2_ASR_LARGE_100H = _w2v_asr("wav2vec2_fairseq_large_ls960_asr_ls100.pth", "large",
                                   _LARGE, False)
WAV2VEC2_ASR_LARGE_960H = _w2v_asr("wav2vec2_fairseq_large_ls960_asr_ls960.pth", "large",
                                   _LARGE, False)
#: wav2vec 2.0 large (pre-norm, LayerNorm extractor), pre-trained on Libri-Light 60k h.
WAV2VEC2_LARGE_LV60K = _w2v("wav2vec2_fairseq_large_lv60k.pth", "large", _LV60K, True)
WAV2VEC2_ASR_LARGE_LV60K_10M = _w2v_asr("wav2vec2_fairseq_large_lv60k_asr_ll10m.pth", "large",
                                        _LV60K, True)
WAV2VEC2_ASR_LARGE_LV60K_100H = _w2v_asr("wav2vec2_fairseq_large_lv60k_asr_ls100.pth", "large",
                                         _LV60K, True)
WAV2VEC2_ASR_LARGE_LV60K_960H = _w2v_asr("wav2vec2_fairseq_large_lv60k_asr_ls960.pth", "large",
                                         _LV60K, True)
#: XLSR-53: large, pre-trained on 56k h in 53 languages.
WAV2VEC2_XLSR53 = _w2v("wav2vec2_fairseq_large_xlsr53.pth", "large", _XLSR, True)
#: XLS-R with 300M / 1B / 2B parameters, pre-trained on 436k h in 128 languages.
WAV2VEC2_XLSR_300M = _w2v("wav2vec2_xlsr_300m.pth", "large", _XLSR, True)
WAV2VEC2_XLSR_1B = _w2v("wav2vec2_xlsr_1b.pth", "1b", dict(_XLSR, projection_dropout=0.1), True)
WAV2VEC2_XLSR_2B = _w2v("wav2vec2_xlsr_2b.pth", "2b", dict(_XLSR, projection_dropout=0.1), True)
#: HuBERT base, pre-trained on LibriSpeech 960 h.
HUBERT_BASE = Wav2Vec2Bundle("hubert_fairseq_base_ls960.pth", _params("base", **_BASE), 16000,
                             False, "HuBERT")
#: HuBERT large / xlarge, pre-trained on Libri-Light 60k h.
HUBERT_LARGE = Wav2Vec2Bundle("hubert_fairseq_large_ll60k.pth",
                              _params("large", **_HUBERT_LARGE), 16000, True, "HuBERT")
HUBERT_XLARGE = Wav2Vec2Bundle("hubert_fairseq_xlarge_ll60k.pth",
                               _params("xlarge", **_HUBERT_LARGE), 16000, True, "HuBERT")
#: ... fine-tuned for ASR on LibriSpeech 960 h.
HUBERT_ASR_LARGE = _w2v_asr("hubert_fairseq_large_ll60k_asr_ls960.pth", "large", _HUBERT_ASR,
                            True, "HuBERT")
HUBERT_ASR_XLARGE = _w2v_asr("hubert_fairseq_xlarge_ll60k_asr_ls960.pth", "xlarge",
                             _HUBERT_ASR, True, "HuBERT")
