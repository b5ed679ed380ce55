"""Wav2Vec2 on Hugging Face folders: checkpoints written here with transformers' key names
(both weight-norm spellings) load strictly; the forward pass matches an independent NumPy
implementation written below; padded batches, CTC training, heads, SpecAugment, the feature
extractor, save/load round trips and key errors."""

import json

import numpy as np
import pytest
import safetensors.numpy
from scipy.special import erf

import ember
from emberaudio.models.wav2vec2 import (
    WAV2VEC2_PRESETS,
    Wav2Vec2Config,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForCTC,
    Wav2Vec2ForSequenceClassification,
    Wav2Vec2Model,
    _compute_mask_indices,
)

TINY = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 32, "conv_dim": [8, 8, 8], "conv_stride": [5, 2, 2],
        "conv_kernel": [10, 3, 3], "num_conv_pos_embeddings": 4,
        "num_conv_pos_embedding_groups": 2, "vocab_size": 12}
LARGE_STYLE = {"feat_extract_norm": "layer", "do_stable_layer_norm": True, "conv_bias": True}


# -- a checkpoint in transformers' layout, from NumPy alone ----------------------------------


def hf_state(cfg, seed=0, prefix="", old_weight_norm=False, feat_proj_layer_norm=True,
             masked_spec_embed=True):
    """A random state dict with transformers' Wav2Vec2Model / HubertModel key names."""
    rng = np.random.default_rng(seed)

    def w(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def ln(name, n):
        state[f"{name}.weight"] = (1 + w(n, scale=0.1))
        state[f"{name}.bias"] = w(n, scale=0.1)

    h, convs = cfg["hidden_size"], cfg["conv_dim"]
    layer_norm_convs = cfg.get("feat_extract_norm", "group") == "layer"
    state = {}
    for i, (c, k) in enumerate(zip(convs, cfg["conv_kernel"])):
        cin = 1 if i == 0 else convs[i - 1]
        state[f"feature_extractor.conv_layers.{i}.conv.weight"] = w(c, cin, k,
                                                                    scale=1 / np.sqrt(cin * k))
        if cfg.get("conv_bias"):
            state[f"feature_extractor.conv_layers.{i}.conv.bias"] = w(c, scale=0.1)
        if layer_norm_convs or i == 0:
            ln(f"feature_extractor.conv_layers.{i}.layer_norm", c)
    if feat_proj_layer_norm:
        ln("feature_projection.layer_norm", convs[-1])
    state["feature_projection.projection.weight"] = w(h, convs[-1])
    state["feature_projection.projection.bias"] = w(h, scale=0.1)
    if masked_spec_embed:
        state["masked_spec_embed"] = rng.uniform(size=h).astype(np.float32)
    k, g = cfg["num_conv_pos_embeddings"], cfg["num_conv_pos_embedding_groups"]
    pos = "encoder.pos_conv_embed.conv."
    g_name, v_name = (("weight_g", "weight_v") if old_weight_norm else
                      ("parametrizations.weight.original0", "parametrizations.weight.original1"))
    state[pos + g_name] = np.abs(w(1, 1, k)) + 0.5
    state[pos + v_name] = w(h, h // g, k)
    state[pos + "bias"] = w(h, scale=0.1)
    ln("encoder.layer_norm", h)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            state[p + f"attention.{proj}.weight"] = w(h, h)
            state[p + f"attention.{proj}.bias"] = w(h, scale=0.1)
        ln(p + "layer_norm", h)
        ln(p + "final_layer_norm", h)
        inter = cfg["intermediate_size"]
        state[p + "feed_forward.intermediate_dense.weight"] = w(inter, h)
        state[p + "feed_forward.intermediate_dense.bias"] = w(inter, scale=0.1)
        state[p + "feed_forward.output_dense.weight"] = w(h, inter)
        state[p + "feed_forward.output_dense.bias"] = w(h, scale=0.1)
    return {prefix + key: value for key, value in state.items()}


def write_folder(folder, config: dict, state: dict, model_type="wav2vec2"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(dict(config, model_type=model_type)))
    safetensors.numpy.save_file(state, str(folder / "model.safetensors"))
    return folder


# -- the independent NumPy implementation -----------------------------------------------------


def gelu(x):
    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


def layer_norm(x, weight, bias, eps, axis=-1):
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def conv1d(x, weight, bias=None, stride=1, padding=0, groups=1):
    """(N, C, T) * (O, C/groups, K) by gathering the windows and one einsum."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    n, c, t = x.shape
    o, _, k = weight.shape
    t_out = (t - k) // stride + 1
    windows = x[:, :, np.arange(t_out)[:, None] * stride + np.arange(k)]  # (N, C, T', K)
    windows = windows.reshape(n, groups, c // groups, t_out, k)
    out = np.einsum("ngctk,gock->ngot", windows, weight.reshape(groups, o // groups, -1, k))
    out = out.reshape(n, o, t_out)
    return out if bias is None else out + bias[None, :, None]


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def reference_forward(state, cfg, x, frame_mask=None, feat_proj_layer_norm=True):
    """transformers' Wav2Vec2Model / HubertModel forward in float64 NumPy (eval mode).
    Returns (last_hidden_state, extract_features)."""
    s = {k: v.astype(np.float64) for k, v in state.items()}
    eps = cfg.get("layer_norm_eps", 1e-5)
    stable = cfg.get("do_stable_layer_norm", False)
    h = x[:, None, :].astype(np.float64)
    for i, st in enumerate(cfg["conv_stride"]):
        p = f"feature_extractor.conv_layers.{i}."
        h = conv1d(h, s[p + "conv.weight"], s.get(p + "conv.bias"), stride=st)
        if cfg.get("feat_extract_norm", "group") == "layer":
            h = layer_norm(h, s[p + "layer_norm.weight"][:, None],
                           s[p + "layer_norm.bias"][:, None], 1e-5, axis=1)
        elif i == 0:  # GroupNorm with one group per channel: statistics over time
            h = layer_norm(h, s[p + "layer_norm.weight"][:, None],
                           s[p + "layer_norm.bias"][:, None], 1e-5, axis=2)
        h = gelu(h)
    feats = h.transpose(0, 2, 1)
    if feat_proj_layer_norm:
        feats = layer_norm(feats, s["feature_projection.layer_norm.weight"],
                           s["feature_projection.layer_norm.bias"], eps)
    h = (feats @ s["feature_projection.projection.weight"].T
         + s["feature_projection.projection.bias"])
    if frame_mask is not None:
        h = np.where(frame_mask[..., None], h, 0.0)
    # positional convolution: weight = g * v / ||v||, the norm over dims 0 and 1 (per tap)
    pos = "encoder.pos_conv_embed.conv."
    g_ = s[pos + "parametrizations.weight.original0"]
    v_ = s[pos + "parametrizations.weight.original1"]
    weight = g_ * v_ / np.sqrt((v_ ** 2).sum(axis=(0, 1), keepdims=True))
    k = cfg["num_conv_pos_embeddings"]
    pe = conv1d(h.transpose(0, 2, 1), weight, s[pos + "bias"], padding=k // 2,
                groups=cfg["num_conv_pos_embedding_groups"])
    if k % 2 == 0:
        pe = pe[:, :, :-1]
    h = h + gelu(pe).transpose(0, 2, 1)
    if not stable:
        h = layer_norm(h, s["encoder.layer_norm.weight"], s["encoder.layer_norm.bias"], eps)
    heads = cfg["num_attention_heads"]
    n, t, d = h.shape
    bias = 0.0 if frame_mask is None else np.where(frame_mask, 0.0, -1e30)[:, None, None, :]

    def lin(z, name):
        return z @ s[name + ".weight"].T + s[name + ".bias"]

    def attention(z, p):
        q, kk, v = (lin(z, p + f"attention.{m}").reshape(n, t, heads, -1).transpose(0, 2, 1, 3)
                    for m in ("q_proj", "k_proj", "v_proj"))
        scores = q @ kk.transpose(0, 1, 3, 2) / np.sqrt(d // heads) + bias
        ctx = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
        return lin(ctx, p + "attention.out_proj")

    def ff(z, p):
        return lin(gelu(lin(z, p + "feed_forward.intermediate_dense")),
                   p + "feed_forward.output_dense")

    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layers.{i}."

        def norm(z, name, p=p):
            return layer_norm(z, s[p + name + ".weight"], s[p + name + ".bias"], eps)

        if stable:
            h = h + attention(norm(h, "layer_norm"), p)
            h = h + ff(norm(h, "final_layer_norm"), p)
        else:
            h = norm(h + attention(h, p), "layer_norm")
            h = norm(h + ff(h, p), "final_layer_norm")
    if stable:
        h = layer_norm(h, s["encoder.layer_norm.weight"], s["encoder.layer_norm.bias"], eps)
    return h, feats


def new_names(state):
    """The old weight_g / weight_v keys in the parametrization spelling."""
    return {k.replace("conv.weight_g", "conv.parametrizations.weight.original0")
            .replace("conv.weight_v", "conv.parametrizations.weight.original1"): v
            for k, v in state.items()}


def arr(t):
    return t.detach().numpy()


def waveforms(n=2, samples=400, seed=1):
    return np.random.default_rng(seed).standard_normal((n, samples)).astype(np.float32)


# -- tests ------------------------------------------------------------------------------------


def test_config_defaults_and_presets():
    c = Wav2Vec2Config()
    assert (c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads,
            c.intermediate_size, c.hidden_act, c.feat_extract_norm) == (
        32, 768, 12, 12, 3072, "gelu", "group")
    assert c.conv_dim == [512] * 7 and c.conv_stride == [5, 2, 2, 2, 2, 2, 2]
    assert c.conv_kernel == [10, 3, 3, 3, 3, 2, 2] and c.conv_bias is False
    assert (c.num_conv_pos_embeddings, c.num_conv_pos_embedding_groups, c.layer_norm_eps) == (
        128, 16, 1e-5)
    assert (c.ctc_loss_reduction, c.ctc_zero_infinity, c.pad_token_id, c.final_dropout) == (
        "sum", False, 0, 0.1)
    assert (c.use_weighted_layer_sum, c.classifier_proj_size, c.mask_time_prob) == (
        False, 256, 0.05)
    assert c.do_stable_layer_norm is False and c.inputs_to_logits_ratio == 320
    large = Wav2Vec2Config.from_preset("facebook/wav2vec2-large-960h-lv60-self")
    assert (large.hidden_size, large.num_hidden_layers, large.feat_extract_norm,
            large.do_stable_layer_norm, large.conv_bias) == (1024, 24, "layer", True, True)
    assert set(WAV2VEC2_PRESETS) == {"facebook/wav2vec2-base-960h",
                                     "facebook/wav2vec2-large-960h-lv60-self"}
    with pytest.raises(KeyError, match="unknown preset 'nope'"):
        Wav2Vec2Config.from_preset("nope")
    with pytest.raises(ValueError, match="same length"):
        Wav2Vec2Config(conv_dim=(8, 8), conv_stride=(5,), conv_kernel=(10,))


@pytest.mark.parametrize("variant", [{}, LARGE_STYLE], ids=["group-postnorm", "layer-stable"])
def test_old_weight_norm_names_load_strictly_and_match_numpy(tmp_path, variant):
    cfg = dict(TINY, **variant)
    state = hf_state(cfg, old_weight_norm=True)
    folder = write_folder(tmp_path / "m", cfg, state)
    model = Wav2Vec2Model.from_pretrained(folder)
    assert not model.training
    x = waveforms()
    out = model(ember.tensor(x), output_hidden_states=True)
    expected, feats = reference_forward(new_names(state), cfg, x)
    assert out.last_hidden_state.shape == (2, 19, 16)
    np.testing.assert_allclose(arr(out.last_hidden_state), expected, atol=2e-4, rtol=1e-4)
    np.testing.assert_allclose(arr(out.extract_features), feats, atol=2e-4, rtol=1e-4)
    assert len(out.hidden_states) == 3
    np.testing.assert_allclose(arr(out.hidden_states[-1]), expected, atol=2e-4, rtol=1e-4)


def test_new_weight_norm_names_with_ctc_prefix_and_odd_pos_kernel(tmp_path):
    cfg = dict(TINY, num_conv_pos_embeddings=5)
    state = hf_state(cfg, seed=3, prefix="wav2vec2.")
    rng = np.random.default_rng(4)
    state["lm_head.weight"] = rng.standard_normal((12, 16)).astype(np.float32)
    state["lm_head.bias"] = rng.standard_normal(12).astype(np.float32)
    folder = write_folder(tmp_path / "ctc", cfg, state)
    ctc = Wav2Vec2ForCTC.from_pretrained(folder)
    x = waveforms(seed=5)
    hidden, _ = reference_forward({k[9:]: v for k, v in state.items() if k[:9] == "wav2vec2."},
                                  cfg, x)
    logits = hidden @ state["lm_head.weight"].T.astype(np.float64) + state["lm_head.bias"]
    np.testing.assert_allclose(ctc(ember.tensor(x)).logits.detach().numpy(), logits, atol=5e-4,
                               rtol=1e-4)
    # the CTC checkpoint into the bare model: prefix stripped, the head left out
    base = Wav2Vec2Model.from_pretrained(folder)
    np.testing.assert_allclose(base(ember.tensor(x)).last_hidden_state.detach().numpy(), hidden,
                               atol=2e-4, rtol=1e-4)


def test_padded_batch_equals_each_item_alone(tmp_path):
    cfg = dict(TINY, **LARGE_STYLE)
    model = Wav2Vec2Model.from_pretrained(write_folder(tmp_path / "m", cfg, hf_state(cfg)))
    x = waveforms(samples=400, seed=7)
    x[1, 290:] = 0.0  # item 1 has 290 real samples
    mask = np.ones((2, 400), np.int64)
    mask[1, 290:] = 0
    batch = arr(model(ember.tensor(x), attention_mask=ember.tensor(mask)).last_hidden_state)
    frames = model._get_feat_extract_output_lengths(ember.tensor([400, 290])).tolist()
    assert frames == [19, 13]
    for i, (n, length) in enumerate(zip(frames, (400, 290))):
        alone = model(ember.tensor(x[i:i + 1, :length])).last_hidden_state.detach().numpy()[0]
        np.testing.assert_allclose(batch[i, :n], alone, atol=1e-5, rtol=1e-5)
    # the reference with the same feature-level mask agrees as well
    frame_mask = np.arange(19)[None, :] < np.array(frames)[:, None]
    expected, _ = reference_forward(hf_state(cfg), cfg, x, frame_mask)
    np.testing.assert_allclose(batch[1, :13], expected[1, :13], atol=2e-4, rtol=1e-4)
    feature_mask = model._get_feature_vector_attention_mask(19, ember.tensor(mask))
    np.testing.assert_array_equal(feature_mask.detach().numpy(), frame_mask)


def test_ctc_loss_matches_formula_and_falls_in_training():
    ember.manual_seed(0)
    cfg = Wav2Vec2Config(**TINY, layerdrop=0.0, hidden_dropout=0.0, attention_dropout=0.0,
                         activation_dropout=0.0, final_dropout=0.0, mask_time_length=3,
                         ctc_loss_reduction="mean")
    model = Wav2Vec2ForCTC(cfg)
    x = ember.tensor(waveforms(seed=2))
    mask = ember.tensor(np.r_[np.ones((1, 400)), np.r_[np.ones(350), np.zeros(50)][None]]
                        .astype(np.int64))
    labels = ember.tensor([[3, 4, 5, 6], [7, 8, -100, -100]])
    model.eval()
    out = model(x, attention_mask=mask, labels=labels)
    # the same loss from ctc_loss called by hand: blank 0, input lengths from the mask
    log_probs = ember.nn.functional.log_softmax(out.logits, dim=-1).transpose(0, 1)
    by_hand = ember.nn.functional.ctc_loss(log_probs, ember.tensor([3, 4, 5, 6, 7, 8]),
                                           [19, 16], [4, 2], blank=0, reduction="mean")
    np.testing.assert_allclose(out.loss.item(), by_hand.item(), rtol=1e-5)
    model.train()
    model.freeze_feature_encoder()
    opt = ember.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = model(x, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
    conv = model.wav2vec2.feature_extractor.conv_layers[0].conv.weight
    assert conv.requires_grad is False and conv.grad is None
    with pytest.raises(ValueError, match="label values must be < vocab_size = 12"):
        model(x, labels=ember.tensor([[12]]))


def test_sequence_classification_pools_real_frames_only():
    ember.manual_seed(1)
    cfg = Wav2Vec2Config(**TINY, num_labels=3, classifier_proj_size=6,
                         feat_extract_norm="layer", do_stable_layer_norm=True)
    model = Wav2Vec2ForSequenceClassification(cfg).eval()
    x = ember.tensor(waveforms(seed=3))
    mask = np.ones((2, 400), np.int64)
    mask[0, 300:] = 0
    out = model(x, attention_mask=ember.tensor(mask), labels=ember.tensor([2, 0]))
    hidden = arr(model.wav2vec2(x, attention_mask=ember.tensor(mask)).last_hidden_state)
    proj = hidden @ arr(model.projector.weight).T + arr(model.projector.bias)
    pooled = np.stack([proj[0, :14].mean(0), proj[1].mean(0)])  # 300 samples -> 14 frames
    logits = pooled @ arr(model.classifier.weight).T + arr(model.classifier.bias)
    np.testing.assert_allclose(out.logits.detach().numpy(), logits, atol=1e-5, rtol=1e-5)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(out.loss.item(), -(logp[0, 2] + logp[1, 0]) / 2, rtol=1e-5)
    # weighted layer sum: equal weights at initialisation -> the mean of the hidden states
    weighted = Wav2Vec2ForSequenceClassification(
        Wav2Vec2Config(**TINY, num_labels=3, use_weighted_layer_sum=True)).eval()
    assert weighted.layer_weights.shape == (3,)
    states = weighted.wav2vec2(x, output_hidden_states=True).hidden_states
    mean = np.mean([s.detach().numpy() for s in states], axis=0)
    proj = mean @ arr(weighted.projector.weight).T + arr(weighted.projector.bias)
    logits = proj.mean(1) @ arr(weighted.classifier.weight).T + arr(weighted.classifier.bias)
    np.testing.assert_allclose(weighted(x).logits.detach().numpy(), logits, atol=1e-5, rtol=1e-5)


def test_save_load_round_trip_writes_new_names(tmp_path):
    ember.manual_seed(2)
    model = Wav2Vec2ForCTC(Wav2Vec2Config(**TINY)).eval()
    model.save_pretrained(tmp_path / "out")
    keys = set(safetensors.numpy.load_file(str(tmp_path / "out" / "model.safetensors")))
    assert "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0" in keys
    assert not any(k.endswith(("weight_g", "weight_v")) for k in keys)
    assert "wav2vec2.masked_spec_embed" in keys and "lm_head.weight" in keys
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["model_type"] == "wav2vec2" and config["architectures"] == ["Wav2Vec2ForCTC"]
    back = Wav2Vec2ForCTC.from_pretrained(tmp_path / "out")
    x = ember.tensor(waveforms(seed=4))
    np.testing.assert_array_equal(back(x).logits.detach().numpy(), model(x).logits.detach().numpy())
    # a checkpoint saved with masking disabled lacks masked_spec_embed: loads (training-only)
    plain = Wav2Vec2Model.from_pretrained(tmp_path / "out", mask_time_prob=0.0)
    assert plain.masked_spec_embed is None


def test_missing_and_unexpected_keys_are_named(tmp_path):
    state = hf_state(TINY)
    del state["encoder.layers.1.feed_forward.output_dense.bias"]
    state["encoder.layers.1.extra"] = np.zeros(3, np.float32)
    folder = write_folder(tmp_path / "bad", TINY, state)
    with pytest.raises(RuntimeError, match=r"missing keys: \['encoder.layers.1.feed_forward."
                                           r"output_dense.bias'\]\n  unexpected keys: "
                                           r"\['encoder.layers.1.extra'\]"):
        Wav2Vec2Model.from_pretrained(folder)
    # a config with another architecture (layer-norm convs) does not match this checkpoint
    write_folder(tmp_path / "other", dict(TINY, feat_extract_norm="layer"), hf_state(TINY))
    with pytest.raises(RuntimeError, match=r"missing keys: \['feature_extractor.conv_layers.1"
                                           r".layer_norm.weight'"):
        Wav2Vec2Model.from_pretrained(tmp_path / "other")


def test_spec_augment_masks():
    ember.manual_seed(5)
    mask = _compute_mask_indices((3, 50), 0.5, 4, lengths=[50, 30, 6], min_masks=2)
    assert mask.shape == (3, 50) and mask.dtype == bool
    assert not mask[1, 30:].any() and not mask[2, 6:].any()
    # each row holds whole spans of 4 (runs of at least 4 frames), at least min_masks=2 of
    # them (possibly overlapping), at most max(2, 0.5 * length / 4 + 1) spans
    for row, length in zip(mask, (50, 30, 6)):
        edges = np.flatnonzero(np.diff(np.r_[0, row.astype(int), 0]))
        runs = edges[1::2] - edges[::2]
        assert runs.min() >= 4
        assert 4 <= row.sum() <= 4 * max(2, int(0.5 * length / 4 + 1))
    ember.manual_seed(5)
    np.testing.assert_array_equal(
        _compute_mask_indices((3, 50), 0.5, 4, lengths=[50, 30, 6], min_masks=2), mask)
    with pytest.raises(ValueError, match="mask_length"):
        _compute_mask_indices((1, 3), 0.5, 4)
    # in the model: given indices replace frames by masked_spec_embed; eval draws none
    model = Wav2Vec2Model(Wav2Vec2Config(**TINY))
    hidden = ember.randn(2, 5, 16)
    chosen = ember.tensor([[True, False, False, True, False], [False] * 5])
    masked = model._mask_hidden_states(hidden, chosen).detach().numpy()
    np.testing.assert_array_equal(masked[0, 0], model.masked_spec_embed.detach().numpy())
    np.testing.assert_array_equal(masked[1], hidden[1].detach().numpy())
    model.eval()
    assert model._mask_hidden_states(hidden) is hidden
    model.train()
    model.config.mask_time_prob, model.config.mask_time_length = 0.5, 2
    trained = model._mask_hidden_states(hidden).detach().numpy()
    replaced = (trained == model.masked_spec_embed.detach().numpy()).all(-1)
    assert replaced.any(axis=1).all()


def test_feature_extractor_normalises_pads_and_checks_rate():
    fe = Wav2Vec2FeatureExtractor(return_attention_mask=True)
    a = np.array([1.0, 2.0, 3.0, 6.0])
    b = np.array([5.0, -1.0])
    out = fe([a, b], sampling_rate=16000)
    expected = np.zeros((2, 4))
    expected[0] = (a - a.mean()) / np.sqrt(a.var() + 1e-7)
    expected[1, :2] = (b - b.mean()) / np.sqrt(b.var() + 1e-7)
    np.testing.assert_allclose(out["input_values"].detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(arr(out["attention_mask"]), [[1, 1, 1, 1], [1, 1, 0, 0]])
    raw = Wav2Vec2FeatureExtractor(do_normalize=False, padding_value=-1.0)(ember.tensor(b))
    assert "attention_mask" not in raw
    np.testing.assert_array_equal(raw["input_values"].detach().numpy(), [b])
    with pytest.raises(ValueError, match=r"trained on 16000 Hz audio, got 8000 Hz.*"
                                         r"emberaudio.functional.resample\(waveform, 8000, "
                                         r"16000\)"):
        fe([a], sampling_rate=8000)
    with pytest.raises(ValueError, match="mono clips"):
        fe([np.zeros((2, 5))])


def test_feature_extractor_from_pretrained(tmp_path):
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({
        "do_normalize": True, "feature_extractor_type": "Wav2Vec2FeatureExtractor",
        "feature_size": 1, "padding_side": "right", "padding_value": 0.0,
        "return_attention_mask": True, "sampling_rate": 16000}))
    fe = Wav2Vec2FeatureExtractor.from_pretrained(tmp_path)
    assert fe.return_attention_mask is True and fe.padding_side == "right"


def test_input_errors_name_the_fix():
    model = Wav2Vec2Model(Wav2Vec2Config(**TINY)).eval()
    with pytest.raises(ValueError, match=r"expected input_values of shape \(N, samples\), got "
                                         r"\(400,\); add the batch dimension"):
        model(ember.zeros(400))
    with pytest.raises(ValueError, match="9 samples are fewer than the 40"):
        model(ember.zeros(1, 9))
    with pytest.raises(ValueError, match=r"attention_mask \(1, 300\) must have the shape"):
        model(ember.zeros(1, 400), attention_mask=ember.ones(1, 300))
