"""emberaudio.models.ast: the Audio Spectrogram Transformer against an independent NumPy ViT
forward, a Hugging Face-layout folder (config.json + model.safetensors) loaded strictly, the
save/load round trip, training, and the feature extractor's pad/cut/normalise."""

import json

import numpy as np
import pytest
import safetensors.numpy
from scipy.special import erf

import ember
from emberaudio.models.ast import (
    ASTConfig,
    ASTFeatureExtractor,
    ASTForAudioClassification,
    ASTModel,
    _grid,
)

# 20 mel bins x 36 frames, patch 8, strides (6, 7): a 3 x 5 grid of overlapping patches.
TINY = {"hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 12, "patch_size": 8, "frequency_stride": 6, "time_stride": 7,
        "max_length": 36, "num_mel_bins": 20}
GRID = (3, 5)
PREFIX = "audio_spectrogram_transformer."


def _hf_state(rng, num_labels=3, layers=2, h=8, inter=12, p=8):
    """A checkpoint in transformers' layout, written key by key from the HF module tree."""
    s = {}

    def put(name, *shape):
        s[PREFIX + name] = rng.normal(0.0, 0.3, shape).astype(np.float32)

    put("embeddings.cls_token", 1, 1, h)
    put("embeddings.distillation_token", 1, 1, h)
    put("embeddings.position_embeddings", 1, GRID[0] * GRID[1] + 2, h)
    put("embeddings.patch_embeddings.projection.weight", h, 1, p, p)
    put("embeddings.patch_embeddings.projection.bias", h)
    for i in range(layers):
        pre = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            put(pre + f"attention.attention.{name}.weight", h, h)
            put(pre + f"attention.attention.{name}.bias", h)
        put(pre + "attention.output.dense.weight", h, h)
        put(pre + "attention.output.dense.bias", h)
        put(pre + "intermediate.dense.weight", inter, h)
        put(pre + "intermediate.dense.bias", inter)
        put(pre + "output.dense.weight", h, inter)
        put(pre + "output.dense.bias", h)
        for ln in ("layernorm_before", "layernorm_after"):
            put(pre + ln + ".weight", h)
            put(pre + ln + ".bias", h)
    put("layernorm.weight", h)
    put("layernorm.bias", h)
    s["classifier.layernorm.weight"] = rng.normal(1.0, 0.2, (h,)).astype(np.float32)
    s["classifier.layernorm.bias"] = rng.normal(0.0, 0.2, (h,)).astype(np.float32)
    s["classifier.dense.weight"] = rng.normal(0.0, 0.3, (num_labels, h)).astype(np.float32)
    s["classifier.dense.bias"] = rng.normal(0.0, 0.3, (num_labels,)).astype(np.float32)
    return s


# -- an independent NumPy AST --------------------------------------------------------------


def _ln(x, w, b, eps=1e-12):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


def _reference(s, x, heads=2, layers=2, p=8, fs=6, ts=7):
    """(last_hidden_state, pooled, logits) of AST for ``x`` (B, time, mel), in float64."""
    s = {k: v.astype(np.float64) for k, v in s.items()}
    g = {k[len(PREFIX):]: v for k, v in s.items() if k.startswith(PREFIX)}
    b = x.shape[0]
    w = g["embeddings.patch_embeddings.projection.weight"][:, 0]      # (H, p, p) over (mel, t)
    patches = []
    for fi in range(GRID[0]):          # frequency-major order, as the position table
        for ti in range(GRID[1]):
            block = x[:, ti * ts:ti * ts + p, fi * fs:fi * fs + p]     # (B, t, mel)
            patches.append(np.einsum("btf,hft->bh", block, w))
    tok = np.stack(patches, 1) + g["embeddings.patch_embeddings.projection.bias"]
    h = tok.shape[-1]
    cls = np.broadcast_to(g["embeddings.cls_token"], (b, 1, h))
    dist = np.broadcast_to(g["embeddings.distillation_token"], (b, 1, h))
    z = np.concatenate([cls, dist, tok], 1) + g["embeddings.position_embeddings"]
    hd = h // heads
    for i in range(layers):
        q_ = f"encoder.layer.{i}."

        def lin(v, name, q_=q_):
            return v @ g[q_ + name + ".weight"].T + g[q_ + name + ".bias"]

        y = _ln(z, g[q_ + "layernorm_before.weight"], g[q_ + "layernorm_before.bias"])
        q, k, v = (lin(y, f"attention.attention.{n}").reshape(b, -1, heads, hd)
                   .transpose(0, 2, 1, 3) for n in ("query", "key", "value"))
        a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(b, -1, h)
        z = z + lin(ctx, "attention.output.dense")
        y = _ln(z, g[q_ + "layernorm_after.weight"], g[q_ + "layernorm_after.bias"])
        y = lin(y, "intermediate.dense")
        y = 0.5 * y * (1.0 + erf(y / np.sqrt(2.0)))                     # exact GELU
        z = z + lin(y, "output.dense")
    z = _ln(z, g["layernorm.weight"], g["layernorm.bias"])
    pooled = (z[:, 0] + z[:, 1]) / 2
    head = _ln(pooled, s["classifier.layernorm.weight"], s["classifier.layernorm.bias"])
    logits = head @ s["classifier.dense.weight"].T + s["classifier.dense.bias"]
    return z, pooled, logits


def _write_folder(folder, state, **config):
    folder.mkdir(parents=True, exist_ok=True)
    data = dict(TINY, model_type="audio-spectrogram-transformer",
                architectures=["ASTForAudioClassification"],
                id2label={"0": "Speech", "1": "Music", "2": "Dog"}, **config)
    (folder / "config.json").write_text(json.dumps(data))
    safetensors.numpy.save_file(state, str(folder / "model.safetensors"))


# -- tests -------------------------------------------------------------------------------


def test_config_defaults_match_transformers():
    c = ASTConfig()
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size,
            c.hidden_act, c.layer_norm_eps, c.patch_size, c.qkv_bias, c.frequency_stride,
            c.time_stride, c.max_length, c.num_mel_bins, c.initializer_range,
            c.hidden_dropout_prob) == (768, 12, 12, 3072, "gelu", 1e-12, 16, True, 10, 10,
                                       1024, 128, 0.02, 0.0)
    assert c.to_dict()["model_type"] == "audio-spectrogram-transformer"
    # AudioSet checkpoints' 12 x 101 patch grid (1214 positions with the two special tokens),
    # checked without building the 86M-parameter model
    assert _grid(c) == (12, 101)


def test_forward_matches_numpy_reference_and_strict_hf_folder_load(tmp_path):
    rng = np.random.default_rng(0)
    state = _hf_state(rng)
    _write_folder(tmp_path / "ast", state)
    model = ASTForAudioClassification.from_pretrained(tmp_path / "ast")
    assert not model.training and model.config.id2label[2] == "Dog"
    x = rng.normal(size=(2, 36, 20)).astype(np.float32)
    with ember.no_grad():
        out = model(ember.tensor(x))
        base = model.audio_spectrogram_transformer(ember.tensor(x))
    z, pooled, logits = _reference(state, x.astype(np.float64))
    np.testing.assert_allclose(out.logits.numpy(), logits, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(base.last_hidden_state.numpy(), z, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(base.pooler_output.numpy(), pooled, rtol=1e-4, atol=1e-5)
    assert base.last_hidden_state.shape == (2, 2 + GRID[0] * GRID[1], 8)
    assert out[0] is out.logits and len(out) == 1  # loss, hidden_states unset

    # the base model loads the same folder, dropping the classifier head
    encoder = ASTModel.from_pretrained(tmp_path / "ast")
    with ember.no_grad():
        np.testing.assert_allclose(encoder(ember.tensor(x)).pooler_output.numpy(), pooled,
                                   rtol=1e-4, atol=1e-5)


def test_strict_load_names_missing_and_unexpected_keys(tmp_path):
    state = _hf_state(np.random.default_rng(1))
    state.pop(PREFIX + "encoder.layer.1.output.dense.bias")
    state[PREFIX + "encoder.layer.1.extra"] = np.zeros(2, np.float32)
    _write_folder(tmp_path / "bad", state)
    with pytest.raises(RuntimeError, match=r"missing keys: \['audio_spectrogram_transformer"
                                           r"\.encoder\.layer\.1\.output\.dense\.bias'\]"):
        ASTForAudioClassification.from_pretrained(tmp_path / "bad")
    # a checkpoint with more layers than the config
    _write_folder(tmp_path / "deep", _hf_state(np.random.default_rng(1), layers=3))
    with pytest.raises(RuntimeError, match="unexpected keys"):
        ASTForAudioClassification.from_pretrained(tmp_path / "deep")


def test_save_load_round_trip(tmp_path):
    ember.manual_seed(0)
    model = ASTForAudioClassification(ASTConfig(**TINY, num_labels=4)).eval()
    model.save_pretrained(tmp_path / "saved")
    saved = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert saved["architectures"] == ["ASTForAudioClassification"]
    assert saved["model_type"] == "audio-spectrogram-transformer"
    keys = set(safetensors.numpy.load_file(str(tmp_path / "saved" / "model.safetensors")))
    assert keys == set(_hf_state(np.random.default_rng(0), num_labels=4))
    loaded = ASTForAudioClassification.from_pretrained(tmp_path / "saved")
    x = ember.randn(3, 36, 20)
    with ember.no_grad():
        np.testing.assert_array_equal(model(x).logits.numpy(), loaded(x).logits.numpy())
    assert loaded.config.num_labels == 4


def test_init_follows_transformers():
    ember.manual_seed(0)
    model = ASTModel(ASTConfig(**TINY))
    emb = model.embeddings
    for p in (emb.cls_token, emb.distillation_token, emb.position_embeddings):
        assert not p.detach().numpy().any()
    w = model.encoder.layer[0].intermediate.dense.weight.detach().numpy()
    assert abs(w.std() - 0.02) < 0.01 and np.abs(w).max() < 0.1
    assert not model.encoder.layer[0].intermediate.dense.bias.detach().numpy().any()


def test_loss_falls_and_multilabel_loss():
    ember.manual_seed(0)
    model = ASTForAudioClassification(ASTConfig(**TINY, num_labels=3))
    # Fine-tuning starts from trained weights; the fresh init's zero [CLS]/position vectors put
    # LayerNorm (eps 1e-12) at its singular point, where Adam's first steps are noise.
    state = _hf_state(np.random.default_rng(2))
    model.load_state_dict({k: ember.tensor(v) for k, v in state.items()})
    x = ember.randn(6, 36, 20)
    labels = ember.tensor([0, 1, 2, 0, 1, 2])
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = model(x, labels=labels).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0], losses
    # float multi-hot targets (AudioSet): BCE with logits, as transformers decides
    targets = np.array([[1, 0, 1]] * 6, np.float32)
    with ember.no_grad():
        out = model(x, labels=ember.tensor(targets))
    z = out.logits.numpy().astype(np.float64)
    bce = np.mean(np.maximum(z, 0) - z * targets + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(out.loss.item(), bce, rtol=1e-5)


def test_input_shape_error():
    model = ASTModel(ASTConfig(**TINY))
    with pytest.raises(ValueError, match=r"ASTModel: expected input_values of shape "
                                         r"\(B, 36, 20\) \(frames, mel bins\), got \(1, 30, 20\)"):
        model(ember.randn(1, 30, 20))


def test_feature_extractor_pads_cuts_and_normalises(monkeypatch):
    extractor = ASTFeatureExtractor(num_mel_bins=4, max_length=5)
    # The fbank itself is the Kaldi module's (tested there); here: what AST does around it.
    fake = {100: np.arange(12, dtype=np.float32).reshape(3, 4),
            200: np.arange(28, dtype=np.float32).reshape(7, 4)}
    monkeypatch.setattr(extractor, "_fbank", lambda w: ember.tensor(fake[w.shape[0]]))
    out = extractor([np.zeros(100), np.zeros(200)], sampling_rate=16000)["input_values"]
    assert out.shape == (2, 5, 4) and out.dtype == ember.float32
    mean, std = -4.2677393, 4.5689974
    padded = np.concatenate([fake[100], np.zeros((2, 4), np.float32)])
    np.testing.assert_allclose(out.numpy()[0], (padded - mean) / (2 * std), rtol=1e-6)
    np.testing.assert_allclose(out.numpy()[1], (fake[200][:5] - mean) / (2 * std), rtol=1e-6)
    single = extractor(np.zeros(100))["input_values"]
    assert single.shape == (1, 5, 4)
    with pytest.raises(ValueError, match="expects 16000 Hz audio, got 8000 Hz"):
        extractor(np.zeros(100), sampling_rate=8000)
    with pytest.raises(ValueError, match="expected mono waveforms"):
        extractor(np.zeros((2, 3, 100)))


def test_feature_extractor_uses_kaldi_fbank():
    kaldi = pytest.importorskip("emberaudio.compliance.kaldi")
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.normal(size=8000)).astype(np.float32)
    out = ASTFeatureExtractor(max_length=60)(wave, sampling_rate=16000)["input_values"]
    fb = kaldi.fbank(ember.tensor(wave)[None, :], sample_frequency=16000,
                     window_type="hanning", num_mel_bins=128).numpy()
    assert fb.shape == (48, 128)  # 0.5 s: 1 + (8000 - 400) // 160 frames
    np.testing.assert_allclose(out.numpy()[0, :48], (fb + 4.2677393) / (2 * 4.5689974),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.numpy()[0, 48:], 4.2677393 / (2 * 4.5689974), rtol=1e-6)
