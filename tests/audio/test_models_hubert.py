"""HuBERT on Hugging Face folders: transformers' key names (with and without the feature
projection's LayerNorm, both weight-norm spellings) load strictly and the forward pass matches
the NumPy implementation of test_models_wav2vec2; heads, padding, round trips, key errors."""

import json

import numpy as np
import pytest
import safetensors.numpy
from test_models_wav2vec2 import (
    LARGE_STYLE,
    TINY,
    conv1d,
    gelu,
    hf_state,
    new_names,
    reference_forward,
    waveforms,
    write_folder,
)

import ember
from emberaudio.models.hubert import (
    HUBERT_PRESETS,
    HubertConfig,
    HubertForCTC,
    HubertForSequenceClassification,
    HubertModel,
)


def test_config_defaults_and_presets():
    c = HubertConfig()
    assert (c.vocab_size, c.hidden_size, c.num_hidden_layers, c.feat_extract_norm,
            c.conv_bias, c.feat_proj_layer_norm, c.conv_pos_batch_norm) == (
        32, 768, 12, "group", False, True, False)
    assert c.model_type == "hubert" and c.to_dict()["model_type"] == "hubert"
    large = HubertConfig.from_preset("facebook/hubert-large-ls960-ft")
    assert (large.hidden_size, large.num_hidden_layers, large.num_attention_heads,
            large.feat_extract_norm, large.do_stable_layer_norm) == (1024, 24, 16, "layer", True)
    assert set(HUBERT_PRESETS) == {"facebook/hubert-base-ls960", "facebook/hubert-large-ls960-ft"}


def test_without_projection_layer_norm_old_names_match_numpy(tmp_path):
    cfg = dict(TINY, feat_proj_layer_norm=False)
    state = hf_state(cfg, seed=11, old_weight_norm=True, feat_proj_layer_norm=False)
    model = HubertModel.from_pretrained(write_folder(tmp_path / "m", cfg, state, "hubert"))
    assert model.feature_projection.layer_norm is None
    x = waveforms(seed=12)
    out = model(ember.tensor(x), output_attentions=True)
    expected, _ = reference_forward(new_names(state), cfg, x, feat_proj_layer_norm=False)
    np.testing.assert_allclose(out.last_hidden_state.detach().numpy(), expected, atol=2e-4,
                               rtol=1e-4)
    # HuBERT returns no extract_features; attentions are probabilities over the frames
    assert out.keys() == ["last_hidden_state", "attentions"]
    np.testing.assert_allclose(out.attentions[0].detach().numpy().sum(-1), 1.0, rtol=1e-5)


def test_large_style_ctc_checkpoint_and_padding(tmp_path):
    cfg = dict(TINY, **LARGE_STYLE)
    state = hf_state(cfg, seed=13, prefix="hubert.")
    rng = np.random.default_rng(14)
    state["lm_head.weight"] = rng.standard_normal((12, 16)).astype(np.float32)
    state["lm_head.bias"] = rng.standard_normal(12).astype(np.float32)
    model = HubertForCTC.from_pretrained(write_folder(tmp_path / "ctc", cfg, state, "hubert"))
    x = waveforms(seed=15)
    x[0, 320:] = 0.0
    mask = np.ones((2, 400), np.int64)
    mask[0, 320:] = 0
    logits = model(ember.tensor(x), attention_mask=ember.tensor(mask)).logits.detach().numpy()
    body = {k[7:]: v for k, v in state.items() if k.startswith("hubert.")}
    frames = np.arange(19)[None, :] < np.array([[15], [19]])  # 320 samples -> 15 frames
    hidden, _ = reference_forward(body, cfg, x, frames)
    expected = hidden @ state["lm_head.weight"].T.astype(np.float64) + state["lm_head.bias"]
    np.testing.assert_allclose(logits[0, :15], expected[0, :15], atol=5e-4, rtol=1e-4)
    np.testing.assert_allclose(logits[1], expected[1], atol=5e-4, rtol=1e-4)
    alone = model(ember.tensor(x[:1, :320])).logits.detach().numpy()[0]
    np.testing.assert_allclose(logits[0, :15], alone, atol=1e-5, rtol=1e-5)


def test_heads_train_and_round_trip(tmp_path):
    ember.manual_seed(3)
    cfg = HubertConfig(**TINY, layerdrop=0.0, hidden_dropout=0.0, attention_dropout=0.0,
                       activation_dropout=0.0, final_dropout=0.0, mask_time_length=3)
    model = HubertForCTC(cfg)
    model.freeze_feature_encoder()
    x = ember.tensor(waveforms(seed=16))
    labels = ember.tensor([[3, 4, 5], [6, 7, -100]])
    opt = ember.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = model(x, labels=labels).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
    model.eval()
    model.save_pretrained(tmp_path / "out")
    keys = set(safetensors.numpy.load_file(str(tmp_path / "out" / "model.safetensors")))
    assert "hubert.encoder.pos_conv_embed.conv.parametrizations.weight.original1" in keys
    assert "hubert.feature_projection.layer_norm.weight" in keys
    back = HubertForCTC.from_pretrained(tmp_path / "out")
    np.testing.assert_array_equal(back(x).logits.detach().numpy(),
                                  model(x).logits.detach().numpy())
    # the CTC checkpoint into a classifier: base loaded, the new head initialised (warned)
    with pytest.warns(UserWarning, match=r"newly initialised \['projector.weight'"):
        clf = HubertForSequenceClassification.from_pretrained(tmp_path / "out", num_labels=4)
    np.testing.assert_array_equal(clf.hubert.encoder.layers[0].attention.q_proj.weight.numpy(
        force=True), model.hubert.encoder.layers[0].attention.q_proj.weight.numpy(force=True))
    out = clf(x, labels=ember.tensor([1, 3]))
    assert out.logits.shape == (2, 4) and out.loss.item() > 0


def test_projection_layer_norm_mismatch_is_named(tmp_path):
    cfg = dict(TINY)  # feat_proj_layer_norm defaults to True; the checkpoint has none
    state = hf_state(cfg, feat_proj_layer_norm=False)
    write_folder(tmp_path / "m", cfg, state, "hubert")
    with pytest.raises(RuntimeError, match=r"missing keys: \['feature_projection.layer_norm."
                                           r"weight', 'feature_projection.layer_norm.bias'\]"):
        HubertModel.from_pretrained(tmp_path / "m")
    # the config switch makes it load
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["feat_proj_layer_norm"] = False
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    assert HubertModel.from_pretrained(tmp_path / "m").feature_projection.layer_norm is None


def test_batch_norm_positional_convolution():
    ember.manual_seed(4)
    model = HubertModel(HubertConfig(**TINY, conv_pos_batch_norm=True)).eval()
    keys = {k for k in model.state_dict() if k.startswith("encoder.pos_conv_embed.")}
    assert keys == {"encoder.pos_conv_embed.conv.weight", "encoder.pos_conv_embed.conv.bias",
                    "encoder.pos_conv_embed.batch_norm.weight",
                    "encoder.pos_conv_embed.batch_norm.bias",
                    "encoder.pos_conv_embed.batch_norm.running_mean",
                    "encoder.pos_conv_embed.batch_norm.running_var",
                    "encoder.pos_conv_embed.batch_norm.num_batches_tracked"}
    # eval-mode BatchNorm with fresh statistics is x / sqrt(1 + eps): check the block alone
    pos = model.encoder.pos_conv_embed
    h = np.random.default_rng(5).standard_normal((2, 7, 16))
    weight, bias = (t.detach().numpy().astype(np.float64) for t in (pos.conv.weight,
                                                                    pos.conv.bias))
    expected = conv1d(h.transpose(0, 2, 1) / np.sqrt(1 + 1e-5), weight, bias, padding=2,
                      groups=2)[:, :, :-1]
    expected = gelu(expected).transpose(0, 2, 1)
    got = pos(ember.tensor(h.astype(np.float32))).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
