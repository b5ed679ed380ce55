"""embertext.models GPT-2 against an independent NumPy GPT-2.

A tiny random checkpoint is written in the Hugging Face layout (config.json + model.safetensors
through the safetensors NumPy API, keys without the 'transformer.' prefix and with the old
'attn.bias'/'attn.masked_bias' buffers, like the 'gpt2' hub checkpoint), loaded strictly, and
compared to the GPT-2 equations written here: Conv1D weights stored (in, out), tanh GELU,
pre-norm blocks, a causal mask.
"""

import json
import math

import numpy as np
import pytest
import safetensors.numpy

import ember
from embertext.models.gpt2 import GPT2Config, GPT2LMHeadModel, GPT2Model

H, HEADS, LAYERS, VOCAB, NPOS = 8, 2, 2, 20, 16
CONFIG = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": VOCAB,
          "n_embd": H, "n_head": HEADS, "n_layer": LAYERS, "n_positions": NPOS,
          "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
          "bos_token_id": 0, "eos_token_id": 0}


def gpt2_weights(seed=0, legacy_buffers=True):
    """Random GPT-2 weights with HF's key names (base-model keys, as the 'gpt2' checkpoint)."""
    rng = np.random.default_rng(seed)
    w = {}

    def add(name, *shape, scale=0.5):
        w[name] = (rng.standard_normal(shape) * scale).astype(np.float32)

    add("wte.weight", VOCAB, H)
    add("wpe.weight", NPOS, H)
    for i in range(LAYERS):
        p = f"h.{i}."
        add(p + "ln_1.weight", H)
        add(p + "ln_1.bias", H)
        add(p + "attn.c_attn.weight", H, 3 * H)  # Conv1D: (in, out)
        add(p + "attn.c_attn.bias", 3 * H)
        add(p + "attn.c_proj.weight", H, H)
        add(p + "attn.c_proj.bias", H)
        add(p + "ln_2.weight", H)
        add(p + "ln_2.bias", H)
        add(p + "mlp.c_fc.weight", H, 4 * H)
        add(p + "mlp.c_fc.bias", 4 * H)
        add(p + "mlp.c_proj.weight", 4 * H, H)
        add(p + "mlp.c_proj.bias", H)
        if legacy_buffers:
            w[p + "attn.bias"] = np.tril(np.ones((NPOS, NPOS), np.float32))[None, None]
            w[p + "attn.masked_bias"] = np.array(-1e4, np.float32)
    add("ln_f.weight", H)
    add("ln_f.bias", H)
    return w


def write_folder(path, weights=None, config=CONFIG):
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config))
    weights = gpt2_weights() if weights is None else weights
    safetensors.numpy.save_file(weights, str(path / "model.safetensors"),
                                metadata={"format": "pt"})
    return path


# -- the NumPy reference ---------------------------------------------------------------------


def _ln(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_gpt2_logits(w, ids, mask=None, positions=None):
    """Logits ``(N, L, V)`` of GPT-2 in float64; ``mask`` (N, L) 1 = real token."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    ids = np.asarray(ids)
    n, length = ids.shape
    if positions is None:
        positions = np.broadcast_to(np.arange(length), (n, length))
    x = w["wte.weight"][ids] + w["wpe.weight"][positions]
    allowed = np.tril(np.ones((length, length), bool))[None]
    if mask is not None:
        allowed = allowed & np.asarray(mask, bool)[:, None, :]
    d = H // HEADS
    for i in range(LAYERS):
        p = f"h.{i}."
        a = _ln(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (qkv[..., j * H:(j + 1) * H].reshape(n, length, HEADS, d).transpose(0, 2, 1, 3)
                   for j in range(3))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
        s = np.where(allowed[:, None], s, -np.inf)
        s = s - s.max(-1, keepdims=True)
        pr = np.exp(s)
        pr = pr / pr.sum(-1, keepdims=True)
        ctx = (pr @ v).transpose(0, 2, 1, 3).reshape(n, length, H)
        x = x + ctx @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = _ln(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        m = _gelu_tanh(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = _ln(x, w["ln_f.weight"], w["ln_f.bias"])
    return x @ w["wte.weight"].T


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("gpt2"))


@pytest.fixture(scope="module")
def lm(folder):
    return GPT2LMHeadModel.from_pretrained(folder)


IDS = np.array([[3, 7, 1, 19, 4, 0], [5, 5, 2, 8, 11, 6]])


# -- config, parameters, loading ---------------------------------------------------------------


def test_config_defaults_are_huggingface():
    c = GPT2Config()
    assert (c.vocab_size, c.n_positions, c.n_embd, c.n_layer, c.n_head) == (
        50257, 1024, 768, 12, 12)
    assert (c.layer_norm_epsilon, c.activation_function, c.n_inner) == (1e-5, "gelu_new", None)
    assert (c.bos_token_id, c.eos_token_id, c.initializer_range) == (50256, 50256, 0.02)
    assert (c.hidden_size, c.num_attention_heads, c.max_position_embeddings) == (768, 12, 1024)


def test_state_dict_keys_and_shapes_match_huggingface():
    model = GPT2Model(GPT2Config(**CONFIG))
    state = model.state_dict()
    assert list(state)[:14] == [
        "wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias",
        "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight",
        "h.0.attn.c_proj.bias", "h.0.ln_2.weight", "h.0.ln_2.bias", "h.0.mlp.c_fc.weight",
        "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight", "h.0.mlp.c_proj.bias"]
    expected = {k: v.shape for k, v in gpt2_weights(legacy_buffers=False).items()}
    assert {k: tuple(v.shape) for k, v in state.items()} == expected


def test_lm_head_is_tied_and_not_saved(tmp_path, lm):
    assert lm.lm_head.weight is lm.transformer.wte.weight
    lm.save_pretrained(tmp_path)
    keys = safetensors.numpy.load_file(str(tmp_path / "model.safetensors"))
    assert "lm_head.weight" not in keys and "transformer.wte.weight" in keys
    again = GPT2LMHeadModel.from_pretrained(tmp_path)
    np.testing.assert_array_equal(again(ember.tensor(IDS)).logits.detach().numpy(),
                                  lm(ember.tensor(IDS)).logits.detach().numpy())


def test_init_scales_residual_projections():
    ember.manual_seed(0)
    model = GPT2Model(GPT2Config(n_embd=64, n_head=2, n_layer=8, vocab_size=50, n_positions=8))
    c_fc = model.h[0].mlp.c_fc.weight.detach().numpy()
    c_proj = model.h[0].attn.c_proj.weight.detach().numpy()
    assert abs(c_fc.std() - 0.02) < 0.002
    assert abs(c_proj.std() - 0.02 / math.sqrt(16)) < 0.001
    assert np.all(model.h[0].attn.c_attn.bias.detach().numpy() == 0)


def test_strict_load_rejects_a_wrong_key(tmp_path):
    w = gpt2_weights()
    w["h.0.attn.c_attn.weigth"] = w.pop("h.0.attn.c_attn.weight")
    with pytest.raises(RuntimeError, match="missing keys.*h.0.attn.c_attn.weight"):
        GPT2Model.from_pretrained(write_folder(tmp_path, w))


# -- forward against NumPy ------------------------------------------------------------------


def test_logits_match_numpy(lm):
    out = lm(ember.tensor(IDS))
    np.testing.assert_allclose(out.logits.detach().numpy(), np_gpt2_logits(gpt2_weights(), IDS),
                               rtol=1e-4, atol=1e-4)


def test_base_model_hidden_state(folder):
    model = GPT2Model.from_pretrained(folder)
    hidden = model(ember.tensor(IDS)).last_hidden_state
    w = gpt2_weights()
    # the tied head maps hidden -> logits, so check the hidden states through it
    logits = hidden.detach().numpy().astype(np.float64) @ w["wte.weight"].T.astype(np.float64)
    np.testing.assert_allclose(logits, np_gpt2_logits(w, IDS), rtol=1e-4, atol=1e-4)


def test_float64_model_matches_tightly(folder):
    model = GPT2LMHeadModel.from_pretrained(folder).double()
    out = model(ember.tensor(IDS)).logits.detach().numpy()
    np.testing.assert_allclose(out, np_gpt2_logits(gpt2_weights(), IDS), rtol=1e-10,
                               atol=1e-10)


def test_left_padding_with_mask_and_positions(lm):
    # Row 0 left-padded by 2: its real tokens must get the logits of the unpadded sequence.
    ids = np.array([[9, 9, 3, 7, 1, 19], [5, 5, 2, 8, 11, 6]])
    mask = np.array([[0, 0, 1, 1, 1, 1], [1] * 6])
    pos = np.clip(mask.cumsum(-1) - 1, 0, None)
    out = lm(ember.tensor(ids), attention_mask=ember.tensor(mask),
             position_ids=ember.tensor(pos)).logits.detach().numpy()
    ref = np_gpt2_logits(gpt2_weights(), ids[:1, 2:])
    np.testing.assert_allclose(out[0, 2:], ref[0], rtol=1e-4, atol=1e-4)
    assert np.isfinite(out).all()


# -- the key/value cache -------------------------------------------------------------------


def test_cache_shapes_and_token_by_token_logits(lm):
    ids = ember.tensor(IDS)
    full = lm(ids).logits.detach().numpy()
    past, steps = None, []
    for t in range(IDS.shape[1]):
        out = lm(ids[:, t:t + 1], past_key_values=past, use_cache=True)
        past = out.past_key_values
        steps.append(out.logits.detach().numpy())
    assert len(past) == LAYERS
    assert all(tuple(t.shape) == (2, HEADS, IDS.shape[1], H // HEADS) for kv in past for t in kv)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-5, atol=1e-5)


def test_cache_prefix_then_chunk(lm):
    ids = ember.tensor(IDS)
    first = lm(ids[:, :4], use_cache=True)
    rest = lm(ids[:, 4:], past_key_values=first.past_key_values, use_cache=True)
    np.testing.assert_allclose(rest.logits.detach().numpy(), lm(ids).logits.detach().numpy()[:, 4:],
                               rtol=1e-5, atol=1e-5)
    assert lm(ids).past_key_values is None  # use_cache defaults to False


# -- loss and training ----------------------------------------------------------------------


def test_causal_lm_loss_is_shifted_and_ignores_minus_100(lm):
    labels = IDS.copy()
    labels[0, 3] = -100
    loss = float(lm(ember.tensor(IDS), labels=ember.tensor(labels)).loss)
    logits = np_gpt2_logits(gpt2_weights(), IDS)[:, :-1]
    target = labels[:, 1:]
    logp = logits - logits.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    keep = target != -100
    nll = -np.take_along_axis(logp, np.where(keep, target, 0)[..., None], -1)[..., 0]
    assert loss == pytest.approx(nll[keep].mean(), rel=1e-4)


def test_sgd_steps_reduce_the_loss():
    ember.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(**{**CONFIG, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
                                          "attn_pdrop": 0.0}))
    ids = ember.tensor(IDS)
    opt = ember.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = model(ids, labels=ids).loss
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0] - 0.05
    assert model.lm_head.weight is model.transformer.wte.weight  # still tied after training


def test_gradients_reach_every_parameter():
    ember.manual_seed(1)
    model = GPT2LMHeadModel(GPT2Config(**CONFIG))
    ids = ember.tensor(IDS)
    model(ids, labels=ids).loss.backward()
    assert all(p.grad is not None for p in model.parameters())


# -- errors -----------------------------------------------------------------------------------


def test_sequence_beyond_n_positions_names_both_lengths(lm):
    with pytest.raises(ValueError, match="sequence length 17.*n_positions=16"):
        lm(ember.zeros(1, 17, dtype=ember.int64))
    out = lm(ember.zeros(1, 10, dtype=ember.int64), use_cache=True)
    with pytest.raises(ValueError, match=r"sequence length 17 \(cached 10 \+ new 7\)"):
        lm(ember.zeros(1, 7, dtype=ember.int64), past_key_values=out.past_key_values)


def test_bad_inputs(lm):
    with pytest.raises(ValueError, match="integer tensor"):
        lm(ember.zeros(2, 3))
    with pytest.raises(IndexError, match="token id 20.*vocab_size=20"):
        lm(ember.tensor([[1, 20]]))
    with pytest.raises(ValueError, match=r"attention_mask of shape.*\(1, 2\)"):
        lm(ember.tensor([[1, 2]]), attention_mask=ember.ones(1, 3))
