"""The from-scratch baselines: forwards against NumPy references written here, padding
invariance, save/load round trips, and training."""

import json

import numpy as np
import pytest
from scipy.special import erf

import ember
from embertext.models.baselines import (
    BASELINES,
    EmbeddingBagClassifier,
    EmbeddingBagClassifierConfig,
    LSTMClassifier,
    LSTMClassifierConfig,
    TransformerClassifier,
    TransformerClassifierConfig,
)

VOCAB = 30
IDS = np.array([[5, 6, 7, 0, 0], [8, 9, 3, 4, 2], [11, 0, 0, 0, 0]])
MASK = (IDS != 0).astype(np.int64)


def _np(t):
    return t.detach().numpy().astype(np.float64)


def _make(name, **kwargs):
    ember.manual_seed(0)
    config_cls, model_cls = BASELINES[name]
    model = model_cls(config_cls(vocab_size=VOCAB, num_labels=3, **kwargs))
    return model.eval()


def _logits(model, ids=IDS, mask=MASK):
    with ember.no_grad():
        return _np(model(ember.tensor(ids), ember.tensor(mask)).logits)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lstm_direction(x, w_ih, w_hh, b):
    """PyTorch's LSTM cell over the rows of ``x`` (T, E): gates i, f, g, o."""
    h = np.zeros(w_hh.shape[1])
    c = np.zeros_like(h)
    outs = []
    for xt in x:
        i, f, g, o = np.split(w_ih @ xt + w_hh @ h + b, 4)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.array(outs), h


def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def test_embeddingbag_matches_numpy():
    model = _make("embeddingbag")
    table = _np(model.embedding.weight)
    w, b = _np(model.classifier.weight), _np(model.classifier.bias)
    expected = np.stack([table[row[m == 1]].mean(0) for row, m in zip(IDS, MASK)]) @ w.T + b
    np.testing.assert_allclose(_logits(model), expected, rtol=1e-5, atol=1e-6)


def test_embeddingbag_all_padding_row_is_a_zero_bag():
    model = _make("embeddingbag")
    ids = np.array([[0, 0, 0]])
    np.testing.assert_allclose(_logits(model, ids, ids * 0)[0], _np(model.classifier.bias))


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_lstm_matches_numpy(pooling):
    model = _make("lstm", embed_dim=6, hidden_size=5, pooling=pooling)
    table = _np(model.embedding.weight)
    p = {k: _np(v) for k, v in model.lstm.named_parameters()}
    rows = []
    for row, m in zip(IDS, MASK):
        x = table[row[m == 1]]
        fwd, h_f = _lstm_direction(x, p["weight_ih_l0"], p["weight_hh_l0"],
                                   p["bias_ih_l0"] + p["bias_hh_l0"])
        bwd, h_b = _lstm_direction(x[::-1], p["weight_ih_l0_reverse"],
                                   p["weight_hh_l0_reverse"],
                                   p["bias_ih_l0_reverse"] + p["bias_hh_l0_reverse"])
        if pooling == "last":
            rows.append(np.concatenate([h_f, h_b]))
        else:
            rows.append(np.concatenate([fwd, bwd[::-1]], axis=1).mean(0))
    expected = np.stack(rows) @ _np(model.classifier.weight).T + _np(model.classifier.bias)
    np.testing.assert_allclose(_logits(model), expected, rtol=1e-5, atol=1e-6)


def test_transformer_matches_numpy():
    model = _make("transformer", hidden_size=8, num_attention_heads=2, intermediate_size=12,
                  num_hidden_layers=1, max_position_embeddings=8)
    d, heads = 8, 2
    layer = model.encoder.layers[0]
    P = {k: _np(v) for k, v in layer.named_parameters()}
    tok, pos = _np(model.embeddings.weight), _np(model.position_embeddings.weight)
    rows = []
    for row, m in zip(IDS, MASK):
        positions = np.maximum(np.cumsum(m) - 1, 0)
        x = tok[row] + pos[positions]
        h = _layer_norm(x, P["norm1.weight"], P["norm1.bias"])
        q, k, v = np.split(h @ P["self_attn.in_proj_weight"].T + P["self_attn.in_proj_bias"], 3,
                           axis=-1)
        split = [a.reshape(len(row), heads, d // heads).transpose(1, 0, 2) for a in (q, k, v)]
        scores = split[0] @ split[1].transpose(0, 2, 1) / np.sqrt(d // heads)
        scores = np.where(m[None, None, :] == 1, scores, -np.inf)
        att = np.exp(scores - scores.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ split[2]).transpose(1, 0, 2).reshape(len(row), d)
        x = x + ctx @ P["self_attn.out_proj.weight"].T + P["self_attn.out_proj.bias"]
        h = _layer_norm(x, P["norm2.weight"], P["norm2.bias"]) @ P["linear1.weight"].T
        h = h + P["linear1.bias"]
        h = 0.5 * h * (1 + erf(h / np.sqrt(2)))  # exact GELU
        x = x + h @ P["linear2.weight"].T + P["linear2.bias"]
        x = _layer_norm(x, _np(model.encoder.norm.weight), _np(model.encoder.norm.bias))
        rows.append(x[m == 1].mean(0))
    expected = np.stack(rows) @ _np(model.classifier.weight).T + _np(model.classifier.bias)
    np.testing.assert_allclose(_logits(model), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_padding_does_not_change_logits(name):
    model = _make(name)
    base = _logits(model)
    more = np.concatenate([IDS, np.zeros((3, 4), dtype=IDS.dtype)], axis=1)
    np.testing.assert_allclose(_logits(model, more, (more != 0).astype(np.int64)), base,
                               rtol=1e-5, atol=1e-6)
    # Left padding (generation-style batches) gives the same logits too.
    left = np.stack([np.concatenate([r[m == 0], r[m == 1]]) for r, m in zip(IDS, MASK)])
    np.testing.assert_allclose(_logits(model, left, (left != 0).astype(np.int64)), base,
                               rtol=1e-5, atol=1e-6)
    # Without a mask, pad_token_id marks the padding; the padded ids themselves do not matter.
    with ember.no_grad():
        no_mask = _np(model(ember.tensor(IDS)).logits)
        junk = _np(model(ember.tensor(np.where(MASK == 1, IDS, 17)), ember.tensor(MASK)).logits)
    np.testing.assert_allclose(no_mask, base, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(junk, base, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_save_load_round_trip(name, tmp_path):
    model = _make(name, id2label={0: "neg", 1: "neutral", 2: "pos"})
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["model_type"] == BASELINES[name][0].model_type
    assert saved["id2label"] == {"0": "neg", "1": "neutral", "2": "pos"}
    assert (tmp_path / "model.safetensors").is_file()
    loaded = type(model).from_pretrained(tmp_path)
    assert loaded.config == model.config
    np.testing.assert_array_equal(_logits(loaded), _logits(model))


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_loss_falls_in_a_few_steps(name):
    model = _make(name)
    model.train()
    labels = ember.tensor([0, 2, 1])
    optimizer = ember.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(8):
        loss = model(ember.tensor(IDS), ember.tensor(MASK), labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0], losses
    logits = _logits(model.eval())
    np.testing.assert_array_equal(logits.argmax(-1), [0, 2, 1])


def test_loss_is_cross_entropy_of_the_logits():
    model = _make("embeddingbag")
    out = model(ember.tensor(IDS), ember.tensor(MASK), labels=ember.tensor([2, 0, 1]))
    z = _np(out.logits)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    assert float(out.loss) == pytest.approx(-log_p[[0, 1, 2], [2, 0, 1]].mean(), rel=1e-5)
    assert out[0] is out.loss and out.logits.shape == (3, 3)


def test_input_errors():
    model = _make("lstm")
    with pytest.raises(IndexError, match="token id 30, outside the model's vocabulary"):
        model(ember.tensor([[1, 30]]))
    with pytest.raises(ValueError, match=r"attention_mask shape \(1, 3\) does not match"):
        model(ember.tensor([[1, 2]]), ember.tensor([[1, 1, 1]]))
    with pytest.raises(ValueError, match="input sequence length 9 exceeds"):
        TransformerClassifier(TransformerClassifierConfig(
            vocab_size=VOCAB, max_position_embeddings=8))(ember.ones(1, 9).long())
    with pytest.raises(ValueError, match="pooling must be 'last' or 'mean'"):
        LSTMClassifierConfig(pooling="max")
    with pytest.raises(ValueError, match="hidden_size 10 is not a multiple"):
        TransformerClassifierConfig(hidden_size=10, num_attention_heads=4)
    with pytest.raises(TypeError, match="expected a EmbeddingBagClassifierConfig"):
        EmbeddingBagClassifier(LSTMClassifierConfig())
    assert isinstance(LSTMClassifier(LSTMClassifierConfig(vocab_size=5)), LSTMClassifier)
    assert EmbeddingBagClassifierConfig().embed_dim == 64
