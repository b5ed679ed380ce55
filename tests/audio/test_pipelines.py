"""emberaudio.pipelines: torchaudio's Wav2Vec2/HuBERT bundles. Tiny checkpoints in torchaudio's
layout (written with ember.save, keys spelled as torchaudio's) are served from a 127.0.0.1
HTTP server; get_model must download, convert and load them strictly, and compute what the
Hugging Face-named model built from the same arrays computes."""

import functools
import http.server
import threading

import numpy as np
import pytest

import ember
from emberaudio import pipelines
from emberaudio.models.hubert import HubertConfig, HubertForCTC, HubertModel
from emberaudio.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForCTC, Wav2Vec2Model
from emberaudio.pipelines import (
    Wav2Vec2ASRBundle,
    Wav2Vec2Bundle,
    export_torchaudio_state_dict,
    import_torchaudio_state_dict,
)

EN = ("-", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D", "L", "U", "M", "W", "C", "F",
      "G", "Y", "P", "B", "V", "K", "'", "X", "J", "Q", "Z")
CONV = [(8, 10, 5), (8, 3, 2), (8, 3, 2)]
E, F, K, G = 16, 32, 4, 2  # hidden, feed-forward, positional kernel and groups


def tiny_params(layer_norm: bool, aux: int | None) -> dict:
    """torchaudio's wav2vec2_model arguments for a tiny model (base- or large-style)."""
    return {"extractor_mode": "layer_norm" if layer_norm else "group_norm",
            "extractor_conv_layer_config": CONV, "extractor_conv_bias": layer_norm,
            "encoder_embed_dim": E, "encoder_projection_dropout": 0.1,
            "encoder_pos_conv_kernel": K, "encoder_pos_conv_groups": G,
            "encoder_num_layers": 2, "encoder_num_heads": 2, "encoder_attention_dropout": 0.1,
            "encoder_ff_interm_features": F, "encoder_ff_interm_dropout": 0.0,
            "encoder_dropout": 0.1, "encoder_layer_norm_first": layer_norm,
            "encoder_layer_drop": 0.05, "aux_num_out": aux}


def hf_config(cls, layer_norm: bool, vocab: int = 29):
    """The same architecture written directly in Hugging Face terms."""
    return cls(vocab_size=vocab, hidden_size=E, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=F, conv_dim=[8, 8, 8], conv_kernel=[10, 3, 3],
               conv_stride=[5, 2, 2], conv_bias=layer_norm, num_conv_pos_embeddings=K,
               num_conv_pos_embedding_groups=G, feat_extract_norm="layer" if layer_norm
               else "group", do_stable_layer_norm=layer_norm, mask_time_prob=0.0,
               apply_spec_augment=False)


def checkpoint(layer_norm: bool, aux_rows: int | None, old_weight_norm: bool, seed: int = 0):
    """Random arrays under both names: ({torchaudio name: array}, {HF base name: array})."""
    rng = np.random.default_rng(seed)
    ta, hf = {}, {}

    def put(ta_name, hf_name, shape, scale=0.3):
        value = (rng.standard_normal(shape) * scale).astype(np.float32)
        if hf_name and hf_name.endswith(("layer_norm.weight", "original0")):
            value = (1.0 + value).astype(np.float32)  # keep norms and gains away from 0
        ta[ta_name] = value
        if hf_name is not None:
            hf[hf_name] = value

    c_in = 1
    for i, (c, k, _) in enumerate(CONV):
        p = f"feature_extractor.conv_layers.{i}."
        put(p + "conv.weight", p + "conv.weight", (c, c_in, k))
        if layer_norm:
            put(p + "conv.bias", p + "conv.bias", (c,))
        if layer_norm or i == 0:
            put(p + "layer_norm.weight", p + "layer_norm.weight", (c,))
            put(p + "layer_norm.bias", p + "layer_norm.bias", (c,))
        c_in = c
    for part, shape in (("layer_norm.weight", (8,)), ("layer_norm.bias", (8,)),
                        ("projection.weight", (E, 8)), ("projection.bias", (E,))):
        put("encoder.feature_projection." + part, "feature_projection." + part, shape)
    g, v = (("weight_g", "weight_v") if old_weight_norm else
            ("parametrizations.weight.original0", "parametrizations.weight.original1"))
    pos, hf_pos = "encoder.transformer.pos_conv_embed.conv.", "encoder.pos_conv_embed.conv."
    put(pos + g, hf_pos + "parametrizations.weight.original0", (1, 1, K))
    put(pos + v, hf_pos + "parametrizations.weight.original1", (E, E // G, K))
    put(pos + "bias", hf_pos + "bias", (E,))
    put("encoder.transformer.layer_norm.weight", "encoder.layer_norm.weight", (E,))
    put("encoder.transformer.layer_norm.bias", "encoder.layer_norm.bias", (E,))
    for n in range(2):
        t, h = f"encoder.transformer.layers.{n}.", f"encoder.layers.{n}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            put(t + f"attention.{proj}.weight", h + f"attention.{proj}.weight", (E, E))
            put(t + f"attention.{proj}.bias", h + f"attention.{proj}.bias", (E,))
        for ln in ("layer_norm", "final_layer_norm"):
            put(t + ln + ".weight", h + ln + ".weight", (E,))
            put(t + ln + ".bias", h + ln + ".bias", (E,))
        put(t + "feed_forward.intermediate_dense.weight",
            h + "feed_forward.intermediate_dense.weight", (F, E))
        put(t + "feed_forward.intermediate_dense.bias",
            h + "feed_forward.intermediate_dense.bias", (F,))
        put(t + "feed_forward.output_dense.weight", h + "feed_forward.output_dense.weight",
            (E, F))
        put(t + "feed_forward.output_dense.bias", h + "feed_forward.output_dense.bias", (E,))
    if aux_rows is not None:
        put("aux.weight", None, (aux_rows, E), scale=1.0)
        put("aux.bias", None, (aux_rows,), scale=1.0)
    return ta, hf


def reference(cls, config, hf_state: dict, head=None, prefix=""):
    """The HF-named model loaded from the arrays, strictly, without the converter."""
    model = cls(config)
    state = {prefix + k: ember.tensor(v) for k, v in hf_state.items()}
    if head is not None:
        state["lm_head.weight"], state["lm_head.bias"] = (ember.tensor(a) for a in head)
    model.load_state_dict(state, strict=True)
    return model.eval()


def waveforms(n=2, samples=400, seed=1):
    return np.random.default_rng(seed).standard_normal((n, samples)).astype(np.float32)


def arr(t):
    return t.detach().numpy()


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list = []

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A 127.0.0.1 server over tmp_path/served; yields (folder, base URL, request log)."""
    root = tmp_path / "served"
    root.mkdir()
    _CountingHandler.requests = []
    handler = functools.partial(_CountingHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", _CountingHandler.requests
    httpd.shutdown()
    httpd.server_close()


def serve(server, name, ta_state):
    root, url, _ = server
    ember.save({k: ember.tensor(v) for k, v in ta_state.items()}, str(root / name))
    return url + name


def dl(tmp_path):
    return {"model_dir": str(tmp_path / "cache"), "progress": False}


# -- get_model against the HF-named model built from the same arrays -------------------------


@pytest.mark.parametrize("family, layer_norm, old_wn, normalize", [
    ("Wav2Vec2", False, True, False),   # base style: GroupNorm extractor, post-norm, weight_g/v
    ("HuBERT", True, False, True),      # large style: LayerNorm, pre-norm, parametrizations
])
def test_asr_bundle_matches_hf_model(tmp_path, server, family, layer_norm, old_wn, normalize):
    ta, hf = checkpoint(layer_norm, aux_rows=32, old_weight_norm=old_wn)
    url = serve(server, "tiny_asr.pth", ta)
    bundle = Wav2Vec2ASRBundle(url, tiny_params(layer_norm, 29), 16000, normalize, family,
                               _labels=EN[1:])
    model = bundle.get_model(dl_kwargs=dl(tmp_path))
    assert not model.training and not model.model.training
    cls, config_cls = ((HubertForCTC, HubertConfig) if family == "HuBERT"
                       else (Wav2Vec2ForCTC, Wav2Vec2Config))
    assert type(model.model) is cls
    # torchaudio's model: its state_dict speaks torchaudio's names (the served file's, with
    # the three dropped head rows)
    keys = set(model.state_dict())
    assert {"aux.weight", "encoder.transformer.layers.0.attention.k_proj.weight",
            "feature_extractor.conv_layers.0.conv.weight"} <= keys
    assert not any(k.startswith(("wav2vec2.", "hubert.", "model.")) for k in keys)
    assert tuple(model.state_dict()["aux.weight"].shape)[0] == 29
    # fairseq's rows 1-3 (<pad>, </s>, <unk>) dropped: 32 -> 29 = len(labels)
    head = (np.delete(ta["aux.weight"], [1, 2, 3], axis=0), np.delete(ta["aux.bias"], [1, 2, 3]))
    prefix = "hubert." if family == "HuBERT" else "wav2vec2."
    ref = reference(cls, hf_config(config_cls, layer_norm), hf, head, prefix)
    x = waveforms()
    emissions, lengths = model(ember.tensor(x))
    assert lengths is None and emissions.shape == (2, 19, len(EN))
    if normalize:  # torchaudio: layer_norm over the whole (batch, time) tensor
        x = ((x - x.mean()) / np.sqrt(x.var() + 1e-5)).astype(np.float32)
    expected = arr(ref(ember.tensor(x)).logits)
    np.testing.assert_allclose(arr(emissions), expected, rtol=1e-4, atol=1e-5)
    # cached under model_dir: a second get_model does not download again
    assert (tmp_path / "cache" / "tiny_asr.pth").is_file()
    bundle.get_model(dl_kwargs=dl(tmp_path))
    assert server[2] == ["/tiny_asr.pth"]


@pytest.mark.parametrize("family, layer_norm", [("Wav2Vec2", True), ("HuBERT", False)])
def test_base_bundle_outputs_and_extract_features(tmp_path, server, family, layer_norm):
    ta, hf = checkpoint(layer_norm, aux_rows=None, old_weight_norm=True, seed=3)
    bundle = Wav2Vec2Bundle(serve(server, "tiny.pth", ta), tiny_params(layer_norm, None), 16000,
                            False, family)
    model = bundle.get_model(dl_kwargs=dl(tmp_path))
    cls, config_cls = ((HubertModel, HubertConfig) if family == "HuBERT"
                       else (Wav2Vec2Model, Wav2Vec2Config))
    assert type(model.model) is cls
    ref = reference(cls, hf_config(config_cls, layer_norm), hf)
    x = ember.tensor(waveforms(seed=4))
    out = ref(x, output_hidden_states=True)
    features, _ = model(x)
    np.testing.assert_allclose(arr(features), arr(out.last_hidden_state), rtol=1e-4, atol=1e-5)
    layers, lengths = model.extract_features(x)
    assert len(layers) == 2 and lengths is None
    # HF's hidden_states are each layer's input plus the final output; torchaudio's list is
    # each layer's output, taken before a pre-norm model's final LayerNorm.
    np.testing.assert_allclose(arr(layers[0]), arr(out.hidden_states[1]), rtol=1e-4, atol=1e-5)
    last = arr(layers[1])
    if layer_norm:
        mu, var = last.mean(-1, keepdims=True), last.var(-1, keepdims=True)
        last = ((last - mu) / np.sqrt(var + 1e-5) * hf["encoder.layer_norm.weight"]
                + hf["encoder.layer_norm.bias"])
    np.testing.assert_allclose(last, arr(out.hidden_states[2]), rtol=1e-4, atol=1e-4)
    one, _ = model.extract_features(x, num_layers=1)
    assert len(one) == 1 and np.allclose(arr(one[0]), arr(layers[0]), atol=1e-6)
    with pytest.raises(ValueError, match=r"num_layers must be in \[1, 2\], got 3"):
        model.extract_features(x, num_layers=3)


def test_lengths_mask_padding(tmp_path, server):
    # LayerNorm extractor, no waveform normalisation: a padded clip's real frames must equal
    # the same clip run alone (padding zeroed and never attended to).
    ta, _ = checkpoint(True, aux_rows=32, old_weight_norm=False, seed=5)
    bundle = Wav2Vec2ASRBundle(serve(server, "t.pth", ta), tiny_params(True, 29), 16000, False,
                               "Wav2Vec2", _labels=EN[1:])
    model = bundle.get_model(dl_kwargs=dl(tmp_path))
    x = waveforms(samples=400, seed=6)
    x[1, 290:] = 0.0
    emissions, frames = model(ember.tensor(x), ember.tensor([400, 290]))
    # (400-10)//5+1 = 79, (79-3)//2+1 = 39, (39-3)//2+1 = 19; 290 -> 57 -> 28 -> 13
    assert frames.tolist() == [19, 13]
    alone, _ = model(ember.tensor(x[1:, :290]))
    np.testing.assert_allclose(arr(emissions)[1, :13], arr(alone)[0], rtol=1e-4, atol=1e-4)
    assert model._frames(ember.tensor([5, 0])).tolist() == [0, 0]  # floored at 0
    with pytest.raises(ValueError, match=r"\(batch, time\), got \(400,\)"):
        model(ember.tensor(x[0]))


# -- errors name the keys --------------------------------------------------------------------


def test_unmapped_torchaudio_key_is_named(tmp_path, server):
    ta, _ = checkpoint(False, aux_rows=None, old_weight_norm=True)
    ta["encoder.transformer.layers.0.attention.rel_attn_embed.weight"] = np.zeros((4, 2),
                                                                                 np.float32)
    bundle = Wav2Vec2Bundle(serve(server, "bad.pth", ta), tiny_params(False, None), 16000,
                            False, "Wav2Vec2")
    with pytest.raises(RuntimeError, match=r"'encoder\.transformer\.layers\.0\.attention\."
                                           r"rel_attn_embed\.weight'"):
        bundle.get_model(dl_kwargs=dl(tmp_path))


def test_missing_key_is_named(tmp_path, server):
    ta, _ = checkpoint(False, aux_rows=None, old_weight_norm=True)
    del ta["encoder.transformer.layers.1.final_layer_norm.bias"]
    bundle = Wav2Vec2Bundle(serve(server, "m.pth", ta), tiny_params(False, None), 16000, False,
                            "Wav2Vec2")
    with pytest.raises(RuntimeError, match=r"missing keys \['encoder\.layers\.1\."
                                           r"final_layer_norm\.bias'\]"):
        bundle.get_model(dl_kwargs=dl(tmp_path))


# -- the converter -----------------------------------------------------------------------------


def test_import_and_export_names_literal():
    w = ember.tensor(np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32))
    one = ember.ones(4)
    ta = {"feature_extractor.conv_layers.0.conv.weight": one,
          "encoder.feature_projection.projection.bias": one,
          "encoder.transformer.pos_conv_embed.conv.weight": w,
          "encoder.transformer.layers.3.feed_forward.output_dense.weight": one,
          "aux.bias": one}
    hf = import_torchaudio_state_dict(ta, prefix="wav2vec2")
    assert sorted(hf) == [
        "lm_head.bias",
        "wav2vec2.encoder.layers.3.feed_forward.output_dense.weight",
        "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0",
        "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original1",
        "wav2vec2.feature_extractor.conv_layers.0.conv.weight",
        "wav2vec2.feature_projection.projection.bias"]
    assert hf["lm_head.bias"] is one
    # a plain (weight-norm removed) weight splits into g, v with g * v / ||v|| == weight
    p = "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight."
    g, v = arr(hf[p + "original0"]), arr(hf[p + "original1"])
    assert g.shape == (1, 1, 3)
    norm = np.sqrt((v.astype(np.float64) ** 2).sum(axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(g * v / norm, arr(w), rtol=1e-6)
    back = export_torchaudio_state_dict(hf)
    assert "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original1" in back
    assert back["aux.bias"] is one and "encoder.feature_projection.projection.bias" in back
    with pytest.raises(RuntimeError, match=r"\['wav2vec2\.masked_spec_embed'\]"):
        export_torchaudio_state_dict({"wav2vec2.masked_spec_embed": one})


def test_round_trip_through_a_model_state_dict():
    model = HubertForCTC(hf_config(HubertConfig, True))
    own = model.state_dict()
    ta = export_torchaudio_state_dict(own)
    assert "aux.weight" in ta and "encoder.transformer.layer_norm.weight" in ta
    assert import_torchaudio_state_dict(ta, prefix="hubert").keys() == own.keys()


# -- the published bundles ----------------------------------------------------------------------


def test_labels_sample_rate_and_urls():
    assert pipelines.WAV2VEC2_ASR_BASE_960H.get_labels() == EN
    assert pipelines.HUBERT_ASR_LARGE.get_labels(blank="<b>")[:3] == ("<b>", "|", "E")
    base = "https://download.pytorch.org/torchaudio/models/"
    expected = {
        "WAV2VEC2_BASE": "wav2vec2_fairseq_base_ls960.pth",
        "WAV2VEC2_LARGE": "wav2vec2_fairseq_large_ls960.pth",
        "WAV2VEC2_ASR_BASE_960H": "wav2vec2_fairseq_base_ls960_asr_ls960.pth",
        "WAV2VEC2_ASR_LARGE_960H": "wav2vec2_fairseq_large_ls960_asr_ls960.pth",
        "HUBERT_BASE": "hubert_fairseq_base_ls960.pth",
        "HUBERT_LARGE": "hubert_fairseq_large_ll60k.pth",
        "HUBERT_ASR_LARGE": "hubert_fairseq_large_ll60k_asr_ls960.pth",
    }
    for name, file in expected.items():
        bundle = getattr(pipelines, name)
        assert bundle.sample_rate == 16000 and bundle._url() == base + file
    assert not hasattr(pipelines.WAV2VEC2_BASE, "get_labels")
    assert isinstance(pipelines.HUBERT_ASR_LARGE, Wav2Vec2ASRBundle)


def test_published_architectures():
    p = pipelines.HUBERT_ASR_LARGE._params
    assert (p["extractor_mode"], p["extractor_conv_bias"], p["encoder_embed_dim"],
            p["encoder_num_layers"], p["encoder_layer_norm_first"], p["aux_num_out"],
            p["encoder_ff_interm_dropout"]) == ("layer_norm", False, 1024, 24, True, 29, 0.1)
    assert pipelines.HUBERT_ASR_LARGE._normalize_waveform
    p = pipelines.WAV2VEC2_LARGE._params  # the LibriSpeech large: GroupNorm and post-norm
    assert (p["extractor_mode"], p["encoder_layer_norm_first"], p["encoder_layer_drop"]) == (
        "group_norm", False, 0.2)
    assert p["extractor_conv_layer_config"] == [(512, 10, 5)] + [(512, 3, 2)] * 4 + [
        (512, 2, 2)] * 2
    assert not pipelines.WAV2VEC2_ASR_BASE_960H._normalize_waveform


def test_decode_greedy_transcripts():
    bundle = pipelines.WAV2VEC2_ASR_BASE_960H
    ids = [[8, 8, 0, 3, 1, 1, 4, 0, 4, 0], [1, 7, 0, 0, 0, 0, 0, 0, 0, 0]]  # H H - T | | A - A
    emissions = np.full((2, 10, 29), -1.0, np.float32)
    np.put_along_axis(emissions, np.array(ids)[..., None], 5.0, axis=-1)
    assert bundle.decode(ember.tensor(emissions)) == ["HT AA", "I"]
    assert bundle.decode(ember.tensor(emissions), ember.tensor([3, 2])) == ["H", "I"]
    with pytest.raises(ValueError, match="emissions have 5 classes, this bundle has 29"):
        bundle.decode(ember.zeros(1, 3, 5))
