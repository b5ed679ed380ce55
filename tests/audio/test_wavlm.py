"""WavLM (Hugging Face names) against a NumPy transcription of its gated relative-position
attention, plus torchaudio's WavLM / VoxPopuli bundles served from 127.0.0.1."""

import functools
import http.server
import math
import threading

import numpy as np
import pytest

import ember
from emberaudio.models.wavlm import (
    WavLMAttention,
    WavLMConfig,
    WavLMForCTC,
    WavLMModel,
    _relative_position_buckets,
)
from emberaudio.pipelines import Wav2Vec2ASRBundle, Wav2Vec2Bundle
from emberaudio.pipelines import _wavlm_bundles as B


def tiny_config(stable=False, **kw):
    return WavLMConfig(**{**dict(
        hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        conv_dim=(8, 8), conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=4,
        num_conv_pos_embedding_groups=2, num_buckets=16, max_bucket_distance=20,
        feat_extract_norm="layer" if stable else "group", do_stable_layer_norm=stable,
        conv_bias=stable, vocab_size=7, mask_time_prob=0.0), **kw})


def arr(t):
    return t.detach().numpy()


# -- the relative position buckets and the attention -----------------------------------------


def test_buckets_literal_values():
    # WavLM's published setting: 320 buckets, saturating at 800 frames.
    b = _relative_position_buckets(1, 1700, 320, 800)[0]  # offsets 0 .. 1699 (key - query)
    assert [b[0], b[1], b[79], b[80], b[100], b[799], b[1699]] == [0, 161, 239, 240, 247, 319,
                                                                   319]
    neg = _relative_position_buckets(900, 1, 320, 800)[:, 0]  # offsets 0 .. -899
    assert [neg[1], neg[79], neg[80], neg[100], neg[899]] == [1, 79, 80, 87, 159]


def _np_buckets(q_len, k_len, num_buckets, max_distance):
    out = np.zeros((q_len, k_len), np.int64)
    half = num_buckets // 2
    exact = half // 2
    for i in range(q_len):
        for j in range(k_len):
            rel = j - i
            d = abs(rel)
            if d < exact:
                bucket = d
            else:
                bucket = exact + int(np.float32(math.log(d / exact) / math.log(max_distance / exact)
                                                * (half - exact)))
                bucket = min(bucket, half - 1)
            out[i, j] = bucket + (half if rel > 0 else 0)
    return out


def test_buckets_match_scalar_formula():
    np.testing.assert_array_equal(_relative_position_buckets(30, 30, 16, 20),
                                  _np_buckets(30, 30, 16, 20))


def _np_attention(att, x, bias=None, key_mask=None):
    """transformers' WavLMAttention + torch's multi_head_attention_forward, in NumPy."""
    p = {k: arr(v).astype(np.float64) for k, v in att.state_dict().items()}
    n, t, e = x.shape
    h, d = att.num_heads, e // att.num_heads
    if bias is None:
        bias = p["rel_attn_embed.weight"][_np_buckets(t, t, att.num_buckets,
                                                      att.max_distance)].transpose(2, 0, 1)
    heads = x.reshape(n, t, h, d).transpose(0, 2, 1, 3)
    proj = heads @ p["gru_rel_pos_linear.weight"].T + p["gru_rel_pos_linear.bias"]
    g = 1 / (1 + np.exp(-proj.reshape(n, h, t, 2, 4).sum(-1)))
    gate = g[..., :1] * (g[..., 1:] * p["gru_rel_pos_const"] - 1) + 2
    lin = lambda name: (x @ p[f"{name}.weight"].T + p[f"{name}.bias"]  # noqa: E731
                        ).reshape(n, t, h, d).transpose(0, 2, 1, 3)
    scores = lin("q_proj") @ lin("k_proj").transpose(0, 1, 3, 2) / math.sqrt(d) + gate * bias
    if key_mask is not None:
        scores = np.where(key_mask[:, None, None, :], scores, -np.inf)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    ctx = (probs @ lin("v_proj")).transpose(0, 2, 1, 3).reshape(n, t, e)
    return ctx @ p["out_proj.weight"].T + p["out_proj.bias"], bias


def test_attention_matches_numpy_reference():
    ember.manual_seed(0)
    att = WavLMAttention(16, 4, num_buckets=16, max_distance=20).double().eval()
    with ember.no_grad():
        att.gru_rel_pos_const.copy_(ember.tensor([0.5, 1.0, 1.5, 2.0]).view(1, 4, 1, 1))
    x = np.random.default_rng(1).standard_normal((2, 9, 16))
    mask = np.ones((2, 9), bool)
    mask[1, 6:] = False
    out, _, bias = att(ember.tensor(x), ember.tensor(mask))
    ref, ref_bias = _np_attention(att, x, key_mask=mask)
    np.testing.assert_allclose(arr(out), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(arr(bias), ref_bias)
    # a later layer (no table of its own) reuses the first layer's bias
    later = WavLMAttention(16, 4, num_buckets=16, max_distance=20,
                           has_relative_position_bias=False).double().eval()
    assert not hasattr(later, "rel_attn_embed")
    out2, _, same = later(ember.tensor(x), None, bias)
    assert same is bias
    np.testing.assert_allclose(arr(out2), _np_attention(later, x, bias=ref_bias)[0],
                               rtol=1e-10, atol=1e-12)


def test_attention_gradcheck():
    ember.manual_seed(2)
    att = WavLMAttention(8, 2, num_buckets=8, max_distance=10).double().eval()
    x = ember.tensor(np.random.default_rng(3).standard_normal((1, 5, 8)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: att(v)[0], (x,))
    table = att.rel_attn_embed.weight
    assert ember.autograd.gradcheck(
        lambda w: WavLMAttention.forward(_with_table(att, w), x.detach())[0], (table,))


def _with_table(att, weight):
    att.rel_attn_embed.weight = weight  # route the gradcheck input through the module
    return att


# -- the model ---------------------------------------------------------------------------------


def test_state_dict_keys_literal():
    keys = set(WavLMForCTC(tiny_config()).state_dict())
    layer0 = "wavlm.encoder.layers.0.attention."
    assert {layer0 + k for k in ("rel_attn_embed.weight", "gru_rel_pos_linear.weight",
                                 "gru_rel_pos_linear.bias", "gru_rel_pos_const",
                                 "q_proj.weight", "k_proj.bias", "v_proj.weight",
                                 "out_proj.bias")} <= keys
    assert "wavlm.encoder.layers.1.attention.rel_attn_embed.weight" not in keys
    assert "wavlm.encoder.layers.1.attention.gru_rel_pos_const" in keys
    assert {"lm_head.weight", "lm_head.bias", "wavlm.feature_projection.layer_norm.weight",
            "wavlm.encoder.pos_conv_embed.conv.parametrizations.weight.original1",
            "wavlm.feature_extractor.conv_layers.0.layer_norm.weight"} <= keys
    model = WavLMModel(tiny_config())
    assert tuple(model.encoder.layers[0].attention.gru_rel_pos_const.shape) == (1, 2, 1, 1)
    assert tuple(model.encoder.layers[0].attention.rel_attn_embed.weight.shape) == (16, 2)
    assert np.all(arr(model.encoder.layers[1].attention.gru_rel_pos_const) == 1)


def test_config_defaults_and_presets():
    c = WavLMConfig()
    assert (c.num_buckets, c.max_bucket_distance, c.ctc_loss_reduction, c.hidden_size) == (
        320, 800, "mean", 768)
    large = WavLMConfig.from_preset("microsoft/wavlm-large")
    assert (large.do_stable_layer_norm, large.feat_extract_norm, large.conv_bias) == (
        True, "layer", False)


@pytest.mark.parametrize("stable", [False, True])
def test_encoder_layers_compose(stable):
    # The full model equals feature encoder + projection + a hand-run of the layers, with
    # the first layer's bias handed on.
    ember.manual_seed(4)
    model = WavLMModel(tiny_config(stable)).eval()
    x = ember.tensor(np.random.default_rng(5).standard_normal((2, 200)).astype(np.float32))
    out = model(x, output_hidden_states=True, output_attentions=True)
    frames = (((200 - 10) // 5 + 1) - 3) // 2 + 1
    assert tuple(out.last_hidden_state.shape) == (2, frames, 16)
    assert tuple(out.extract_features.shape) == (2, frames, 8)
    assert len(out.hidden_states) == 3 and len(out.attentions) == 2
    assert tuple(out.attentions[1].shape) == (2, 2, frames, frames)
    np.testing.assert_allclose(arr(out.attentions[0]).sum(-1), 1, atol=1e-5)
    # hidden_states[0] is the first layer's input: run the layers by hand from it
    first, second = model.encoder.layers
    h = out.hidden_states[0]
    attn_in = first.layer_norm(h) if stable else h
    ref0, ref_bias = _np_attention(first.attention, arr(attn_in).astype(np.float64))
    got0, _, _ = first.attention(attn_in)
    np.testing.assert_allclose(arr(got0), ref0, rtol=1e-4, atol=1e-5)
    h1, bias, _ = first(h)
    np.testing.assert_allclose(arr(bias), ref_bias, rtol=1e-6)
    np.testing.assert_allclose(arr(h1), arr(out.hidden_states[1]), rtol=1e-5, atol=1e-6)
    h2, _, _ = second(h1, None, bias)
    if stable:
        h2 = model.encoder.layer_norm(h2)
    np.testing.assert_allclose(arr(h2), arr(out.last_hidden_state), rtol=1e-5, atol=1e-6)


def test_padding_does_not_change_real_frames():
    ember.manual_seed(6)
    model = WavLMForCTC(tiny_config(stable=True)).eval()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 300)).astype(np.float32)
    x[1, 200:] = 0
    mask = np.ones((2, 300), np.int64)
    mask[1, 200:] = 0
    both = arr(model(ember.tensor(x), attention_mask=ember.tensor(mask)).logits)
    alone = arr(model(ember.tensor(x[1:, :200])).logits)
    np.testing.assert_allclose(both[1, :alone.shape[1]], alone[0], rtol=1e-4, atol=1e-5)


def test_ctc_loss_and_save_load_round_trip(tmp_path):
    ember.manual_seed(8)
    model = WavLMForCTC(tiny_config())
    model.train()
    x = ember.randn(2, 400)
    labels = ember.tensor([[1, 2, 3, -100], [4, 5, -100, -100]])
    loss = model(x, labels=labels).loss
    loss.backward()
    assert math.isfinite(loss.item())
    assert model.wavlm.encoder.layers[0].attention.rel_attn_embed.weight.grad is not None
    model.eval()
    model.save_pretrained(tmp_path / "m")
    again = WavLMForCTC.from_pretrained(tmp_path / "m").eval()
    assert again.config.num_buckets == 16 and again.config.model_type == "wavlm"
    np.testing.assert_allclose(arr(again(x).logits), arr(model(x).logits), rtol=1e-6)


# -- torchaudio key conversion and bundles ----------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def tiny_params(stable):
    return {"extractor_mode": "layer_norm" if stable else "group_norm",
            "extractor_conv_layer_config": [(8, 10, 5), (8, 3, 2)],
            "extractor_conv_bias": stable, "encoder_embed_dim": 16,
            "encoder_projection_dropout": 0.1, "encoder_pos_conv_kernel": 4,
            "encoder_pos_conv_groups": 2, "encoder_num_layers": 2, "encoder_num_heads": 2,
            "encoder_max_distance": 20, "encoder_num_buckets": 16,
            "encoder_attention_dropout": 0.1, "encoder_ff_interm_features": 32,
            "encoder_ff_interm_dropout": 0.0, "encoder_dropout": 0.1,
            "encoder_layer_norm_first": stable, "encoder_layer_drop": 0.05,
            "aux_num_out": None}


def test_import_export_names_literal():
    hf = WavLMModel(tiny_config()).state_dict()
    ta = B.export_torchaudio_wavlm_state_dict(hf)
    layer = "encoder.transformer.layers.0.attention."
    assert tuple(ta[layer + "attention.in_proj_weight"].shape) == (48, 16)
    assert {layer + "attention.in_proj_bias", layer + "attention.out_proj.weight",
            layer + "rel_attn_embed.weight", layer + "gru_rel_pos_linear.weight",
            layer + "gru_rel_pos_const", "encoder.transformer.pos_conv_embed.conv.bias",
            "encoder.feature_projection.projection.weight"} <= set(ta)
    assert not any("q_proj" in k for k in ta)
    np.testing.assert_array_equal(arr(ta[layer + "attention.in_proj_weight"][16:32]),
                                  arr(hf["encoder.layers.0.attention.k_proj.weight"]))
    back = B.import_torchaudio_wavlm_state_dict(ta)
    assert set(back) == set(hf)
    for k in hf:
        np.testing.assert_array_equal(arr(back[k]), arr(hf[k]))
    with pytest.raises(RuntimeError, match="encoder.transformer.layers.0.bogus"):
        B.import_torchaudio_wavlm_state_dict({"encoder.transformer.layers.0.bogus": ember.ones(1)})


@pytest.mark.parametrize("stable", [False, True])
def test_wavlm_bundle_downloads_converts_and_matches(tmp_path, server, stable):
    ember.manual_seed(9)
    ref = WavLMModel(tiny_config(stable, hidden_dropout=0.1, attention_dropout=0.1)).eval()
    ta = B.export_torchaudio_wavlm_state_dict(ref.state_dict())
    root, url = server
    ember.save(ta, str(root / "wavlm_tiny.pth"))
    bundle = B.WavLMBundle(url + "wavlm_tiny.pth", tiny_params(stable), 16000, stable)
    assert isinstance(bundle, Wav2Vec2Bundle) and bundle._model_type == "WavLM"
    model = bundle.get_model(dl_kwargs={"model_dir": str(tmp_path / "cache"),
                                        "progress": False})
    assert not model.training and type(model.model) is WavLMModel
    x = np.random.default_rng(10).standard_normal((2, 300)).astype(np.float32)
    feats, lengths = model(ember.tensor(x), ember.tensor([300, 300]))
    assert lengths.tolist() == [29, 29]
    xin = ((x - x.mean()) / np.sqrt(x.var() + 1e-5)).astype(np.float32) if stable else x
    out = ref(ember.tensor(xin), output_hidden_states=True)
    np.testing.assert_allclose(arr(feats), arr(out.last_hidden_state), rtol=1e-4, atol=1e-5)
    layers, _ = model.extract_features(ember.tensor(x))
    assert len(layers) == 2
    np.testing.assert_allclose(arr(layers[0]), arr(out.hidden_states[1]), rtol=1e-4, atol=1e-5)
    # torchaudio names in and out
    sd = model.state_dict()
    assert set(sd) == set(ta)
    model.load_state_dict(sd)


def test_published_wavlm_and_voxpopuli_bundles():
    base = "https://download.pytorch.org/torchaudio/models/"
    for name, file in [("WAVLM_BASE", "wavlm_base.pth"), ("WAVLM_BASE_PLUS",
                                                           "wavlm_base_plus.pth"),
                       ("WAVLM_LARGE", "wavlm_large.pth")]:
        bundle = getattr(B, name)
        assert bundle._url() == base + file and bundle.sample_rate == 16000
    p = B.WAVLM_LARGE._params
    assert (p["extractor_mode"], p["extractor_conv_bias"], p["encoder_embed_dim"],
            p["encoder_num_layers"], p["encoder_num_heads"], p["encoder_layer_norm_first"],
            p["encoder_num_buckets"], p["encoder_max_distance"]) == (
        "layer_norm", False, 1024, 24, 16, True, 320, 800)
    assert B.WAVLM_LARGE._normalize_waveform and not B.WAVLM_BASE._normalize_waveform
    config = B._wavlm_config(B.WAVLM_BASE_PLUS._params)
    assert (config.hidden_size, config.num_hidden_layers, config.feat_extract_norm,
            config.do_stable_layer_norm, config.layerdrop) == (768, 12, "group", False, 0.05)
    expected = {"DE": (32, (1, 2, 3, 35), "q"), "EN": (28, (1, 2, 3, 31), "z"),
                "ES": (35, (1, 2, 3, 35), "ü"), "FR": (43, (), "æ"), "IT": (37, (1, 2, 3), "ï")}
    for lang, (classes, removed, last) in expected.items():
        bundle = getattr(B, f"VOXPOPULI_ASR_BASE_10K_{lang}")
        assert isinstance(bundle, Wav2Vec2ASRBundle)
        assert bundle._url() == f"{base}wav2vec2_voxpopuli_base_10k_asr_{lang.lower()}.pt"
        labels = bundle.get_labels()
        assert len(labels) == classes == bundle._params["aux_num_out"]
        assert labels[:2] == ("-", "|") and labels[-1] == last
        assert tuple(bundle._remove_aux_axis) == removed
        assert (bundle._params["encoder_ff_interm_dropout"], bundle._params["encoder_layer_drop"],
                bundle._normalize_waveform) == (0.1, 0.1, False)
    assert B.VOXPOPULI_ASR_BASE_10K_DE.get_labels()[1:6] == ("|", "e", "n", "i", "r")
