"""embertext.models BERT / DistilBERT / RoBERTa against an independent NumPy implementation.

Each test writes a checkpoint with random weights in the Hugging Face folder layout
(config.json + model.safetensors written with the safetensors package's NumPy API, or a
pytorch_model.bin written with ember.save), loads it strictly with from_pretrained and compares
the forward pass to the transformer equations written here in NumPy (GELU in its erf form,
LayerNorm with the config's eps, padding masked with a large negative score).
"""

import json

import numpy as np
import pytest
import safetensors.numpy
from scipy.special import erf

import ember
from embertext.models import (
    BertForMaskedLM,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    DistilBertForSequenceClassification,
    DistilBertModel,
    RobertaForSequenceClassification,
    RobertaModel,
)

H, HEADS, LAYERS, FFN, VOCAB, MAXPOS = 8, 2, 2, 16, 30, 16
BERT_CONFIG = {
    "model_type": "bert", "architectures": ["BertModel"], "vocab_size": VOCAB,
    "hidden_size": H, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
    "intermediate_size": FFN, "hidden_act": "gelu", "max_position_embeddings": MAXPOS,
    "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
    "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
}

# --------------------------------------------------------------------------------------------
# Random weights with Hugging Face's key names, written in the HF layout
# --------------------------------------------------------------------------------------------


def _bert_weights(rng, prefix="", pooler=True, type_vocab=2, maxpos=MAXPOS):
    w = {}

    def add(name, *shape, scale=0.5):
        w[prefix + name] = (rng.standard_normal(shape) * scale).astype(np.float32)

    add("embeddings.word_embeddings.weight", VOCAB, H)
    add("embeddings.position_embeddings.weight", maxpos, H)
    add("embeddings.token_type_embeddings.weight", type_vocab, H)
    add("embeddings.LayerNorm.weight", H)
    add("embeddings.LayerNorm.bias", H)
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for lin in ("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense"):
            add(p + lin + ".weight", H, H)
            add(p + lin + ".bias", H)
        add(p + "attention.output.LayerNorm.weight", H)
        add(p + "attention.output.LayerNorm.bias", H)
        add(p + "intermediate.dense.weight", FFN, H)
        add(p + "intermediate.dense.bias", FFN)
        add(p + "output.dense.weight", H, FFN)
        add(p + "output.dense.bias", H)
        add(p + "output.LayerNorm.weight", H)
        add(p + "output.LayerNorm.bias", H)
    if pooler:
        add("pooler.dense.weight", H, H)
        add("pooler.dense.bias", H)
    return w


def _write_folder(path, config, weights, fmt="safetensors"):
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config))
    if fmt == "safetensors":
        safetensors.numpy.save_file(weights, str(path / "model.safetensors"),
                                    metadata={"format": "pt"})
    else:
        ember.save({k: ember.tensor(v) for k, v in weights.items()},
                   str(path / "pytorch_model.bin"))
    return path


# --------------------------------------------------------------------------------------------
# The reference: BERT in NumPy (float64)
# --------------------------------------------------------------------------------------------


def np_layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def np_gelu(x):
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def np_linear(x, w, name):
    return x @ w[name + ".weight"].astype(np.float64).T + w[name + ".bias"]


def np_attention(x, w, q, k, v, mask):
    n, length, _ = x.shape
    d = H // HEADS

    def heads(t):
        return t.reshape(n, length, HEADS, d).transpose(0, 2, 1, 3)

    qh, kh, vh = heads(np_linear(x, w, q)), heads(np_linear(x, w, k)), heads(np_linear(x, w, v))
    scores = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(d)
    scores = scores + np.where(mask[:, None, None, :] == 1, 0.0, -1e30)
    scores -= scores.max(-1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    return (probs @ vh).transpose(0, 2, 1, 3).reshape(n, length, H), probs


def np_bert_encoder(w, emb, mask, eps, prefix=""):
    """Post-norm encoder layers; returns the hidden states of every layer and the attentions."""
    x = np_layer_norm(emb, w[prefix + "embeddings.LayerNorm.weight"],
                      w[prefix + "embeddings.LayerNorm.bias"], eps)
    hidden, attn = [x], []
    for i in range(LAYERS):
        p = f"{prefix}encoder.layer.{i}."
        ctx, probs = np_attention(x, w, p + "attention.self.query", p + "attention.self.key",
                                  p + "attention.self.value", mask)
        a = np_layer_norm(np_linear(ctx, w, p + "attention.output.dense") + x,
                          w[p + "attention.output.LayerNorm.weight"],
                          w[p + "attention.output.LayerNorm.bias"], eps)
        f = np_linear(np_gelu(np_linear(a, w, p + "intermediate.dense")), w, p + "output.dense")
        x = np_layer_norm(f + a, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                          eps)
        hidden.append(x)
        attn.append(probs)
    return hidden, attn


def np_bert(w, ids, mask, token_types, positions, eps=1e-12, prefix=""):
    emb = (w[prefix + "embeddings.word_embeddings.weight"][ids]
           + w[prefix + "embeddings.position_embeddings.weight"][positions]
           + w[prefix + "embeddings.token_type_embeddings.weight"][token_types]).astype(np.float64)
    hidden, attn = np_bert_encoder(w, emb, mask, eps, prefix)
    pooled = None
    if prefix + "pooler.dense.weight" in w:
        pooled = np.tanh(np_linear(hidden[-1][:, 0], w, prefix + "pooler.dense"))
    return hidden, pooled, attn


IDS = np.array([[2, 7, 11, 5, 3, 0], [2, 29, 4, 3, 0, 0]])
MASK = np.array([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]])
TYPES = np.array([[0, 0, 0, 1, 1, 0], [0, 0, 1, 1, 0, 0]])


def _close(actual, expected, atol=2e-5):
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=1e-4, atol=atol)


# --------------------------------------------------------------------------------------------
# BERT
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["safetensors", "bin"])
def test_bert_model_matches_numpy_reference(tmp_path, fmt):
    w = _bert_weights(np.random.default_rng(0))
    folder = _write_folder(tmp_path / "bert", BERT_CONFIG, w, fmt)
    model = BertModel.from_pretrained(folder)
    assert not model.training  # from_pretrained returns an evaluation-mode model
    out = model(ember.tensor(IDS), attention_mask=ember.tensor(MASK),
                token_type_ids=ember.tensor(TYPES), output_hidden_states=True,
                output_attentions=True)
    hidden, pooled, attn = np_bert(w, IDS, MASK, TYPES, np.arange(6)[None])
    # real tokens only: padded positions' states are computed but meaningless
    keep = MASK.astype(bool)
    _close(out.last_hidden_state[ember.tensor(keep)], hidden[-1][keep])
    _close(out.pooler_output, pooled)
    assert len(out.hidden_states) == LAYERS + 1 and len(out.attentions) == LAYERS
    for mine, ref in zip(out.hidden_states, hidden):
        _close(mine[ember.tensor(keep)], ref[keep])
    for mine, ref in zip(out.attentions, attn):
        assert tuple(mine.shape) == (2, HEADS, 6, 6)
        _close(mine, ref)
    # tuple view: (last_hidden_state, pooler_output, hidden_states, attentions)
    assert out[0] is out.last_hidden_state and out["pooler_output"] is out[1]
    assert len(out) == 4


def test_bert_defaults_token_types_zero_and_no_mask(tmp_path):
    w = _bert_weights(np.random.default_rng(1))
    model = BertModel.from_pretrained(_write_folder(tmp_path / "b", BERT_CONFIG, w))
    out = model(ember.tensor(IDS))
    hidden, pooled, _ = np_bert(w, IDS, np.ones_like(IDS), np.zeros_like(IDS),
                                np.arange(6)[None])
    _close(out.last_hidden_state, hidden[-1])
    _close(out.pooler_output, pooled)
    assert len(out) == 2  # None fields are left out of the tuple view
    # explicit position ids are used as given
    pos = np.array([[5, 4, 3, 2, 1, 0]] * 2)
    out = model(ember.tensor(IDS), position_ids=ember.tensor(pos))
    _close(out.last_hidden_state, np_bert(w, IDS, np.ones_like(IDS), np.zeros_like(IDS),
                                          pos)[0][-1])


def test_bert_prefixed_legacy_checkpoint_loads_into_base_model(tmp_path):
    # A BertForPreTraining-style .bin: 'bert.' prefix, TF-era gamma/beta LayerNorm names, the
    # old persistent position_ids buffer and a 'cls.' head the base model does not have.
    w = _bert_weights(np.random.default_rng(2))
    legacy = {}
    for k, v in w.items():
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias",
                                                                     "LayerNorm.beta")
        legacy["bert." + k] = v
    legacy["bert.embeddings.position_ids"] = np.arange(MAXPOS)[None].astype(np.int64)
    legacy["cls.predictions.bias"] = np.zeros(VOCAB, np.float32)
    model = BertModel.from_pretrained(_write_folder(tmp_path / "b", BERT_CONFIG, legacy, "bin"))
    out = model(ember.tensor(IDS), attention_mask=ember.tensor(MASK))
    hidden, pooled, _ = np_bert(w, IDS, MASK, np.zeros_like(IDS), np.arange(6)[None])
    _close(out.pooler_output, pooled)


def test_base_checkpoint_into_task_model_and_back(tmp_path):
    w = _bert_weights(np.random.default_rng(3))
    base = _write_folder(tmp_path / "base", BERT_CONFIG, w)
    with pytest.warns(UserWarning, match=r"newly initialised \['classifier.weight', "
                                         r"'classifier.bias'\]"):
        clf = BertForSequenceClassification.from_pretrained(base, num_labels=3)
    assert clf.classifier.weight.shape == (3, H)
    _, pooled, _ = np_bert(w, IDS, MASK, np.zeros_like(IDS), np.arange(6)[None])
    logits = clf(ember.tensor(IDS), attention_mask=ember.tensor(MASK)).logits
    ref = pooled @ clf.classifier.weight.detach().numpy().T + clf.classifier.bias.detach().numpy()
    _close(logits, ref)
    # the task model's checkpoint ('bert.' keys + classifier) loads into a BertModel
    clf.save_pretrained(tmp_path / "clf")
    back = BertModel.from_pretrained(tmp_path / "clf")
    _close(back(ember.tensor(IDS), attention_mask=ember.tensor(MASK)).pooler_output, pooled)


def test_sequence_classification_losses(tmp_path):
    w = _bert_weights(np.random.default_rng(4))
    folder = _write_folder(tmp_path / "b", BERT_CONFIG, w)
    with pytest.warns(UserWarning):
        clf = BertForSequenceClassification.from_pretrained(folder, num_labels=3)
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)
    out = clf(ids, attention_mask=mask, labels=ember.tensor([2, 0]))
    z = out.logits.detach().numpy().astype(np.float64)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    assert out.loss.item() == pytest.approx(-(logp[0, 2] + logp[1, 0]) / 2, rel=1e-5)
    assert out[0] is out.loss  # loss comes first in the tuple view
    # multi-label: float targets -> BCE with logits
    t = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], np.float32)
    loss = clf(ids, attention_mask=mask, labels=ember.tensor(t)).loss.item()
    bce = np.mean(np.logaddexp(0, z) - t * z)
    assert loss == pytest.approx(bce, rel=1e-5)
    # regression: num_labels=1 -> MSE
    with pytest.warns(UserWarning):
        reg = BertForSequenceClassification.from_pretrained(folder, num_labels=1)
    out = reg(ids, attention_mask=mask, labels=ember.tensor([0.5, -1.0]))
    pred = out.logits.detach().numpy()[:, 0]
    assert out.loss.item() == pytest.approx(np.mean((pred - [0.5, -1.0]) ** 2), rel=1e-5)


def test_sequence_classification_loss_decreases_with_sgd():
    ember.manual_seed(0)
    config = BertForSequenceClassification.config_class(**BERT_CONFIG, num_labels=2,
                                                        initializer_range=0.3)
    model = BertForSequenceClassification(config)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)
    labels = ember.tensor([0, 1])
    model.eval()  # no dropout: the decrease is then deterministic
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = model(ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    assert all(p.grad is not None for p in model.parameters())


def test_token_classification_and_masked_lm(tmp_path):
    w = _bert_weights(np.random.default_rng(5), pooler=False)
    rng = np.random.default_rng(6)
    mlm_w = {"bert." + k: v for k, v in w.items()}
    mlm_w["cls.predictions.transform.dense.weight"] = rng.standard_normal((H, H), np.float32)
    mlm_w["cls.predictions.transform.dense.bias"] = rng.standard_normal(H, np.float32)
    mlm_w["cls.predictions.transform.LayerNorm.weight"] = rng.standard_normal(H, np.float32)
    mlm_w["cls.predictions.transform.LayerNorm.bias"] = rng.standard_normal(H, np.float32)
    mlm_w["cls.predictions.bias"] = rng.standard_normal(VOCAB, np.float32)
    # transformers' safetensors files leave the tied decoder weight out
    mlm = BertForMaskedLM.from_pretrained(_write_folder(tmp_path / "mlm", BERT_CONFIG, mlm_w))
    assert mlm.cls.predictions.decoder.weight is mlm.bert.embeddings.word_embeddings.weight
    hidden, _, _ = np_bert(w, IDS, MASK, np.zeros_like(IDS), np.arange(6)[None])
    t = np_linear(hidden[-1], mlm_w, "cls.predictions.transform.dense")
    t = np_layer_norm(np_gelu(t), mlm_w["cls.predictions.transform.LayerNorm.weight"],
                      mlm_w["cls.predictions.transform.LayerNorm.bias"], 1e-12)
    ref = t @ w["embeddings.word_embeddings.weight"].T + mlm_w["cls.predictions.bias"]
    labels = np.full_like(IDS, -100)
    labels[0, 2], labels[1, 1] = 11, 29
    out = mlm(ember.tensor(IDS), attention_mask=ember.tensor(MASK), labels=ember.tensor(labels))
    keep = MASK.astype(bool)
    _close(out.logits[ember.tensor(keep)], ref[keep], atol=1e-4)
    logp = ref - np.log(np.exp(ref).sum(-1, keepdims=True))
    assert out.loss.item() == pytest.approx(-(logp[0, 2, 11] + logp[1, 1, 29]) / 2, rel=1e-4)
    # token classification: a classifier on every position, no pooler
    with pytest.warns(UserWarning, match="newly initialised"):
        tok = BertForTokenClassification.from_pretrained(tmp_path / "mlm", num_labels=4,
                                                         strict=True)
    assert "bert.pooler.dense.weight" not in tok.state_dict()
    out = tok(ember.tensor(IDS), attention_mask=ember.tensor(MASK),
              labels=ember.tensor(np.where(MASK == 1, 1, -100)))
    assert tuple(out.logits.shape) == (2, 6, 4)
    z = out.logits.detach().numpy().astype(np.float64)[keep]
    ref_loss = np.mean(np.log(np.exp(z).sum(1)) - z[:, 1])
    assert out.loss.item() == pytest.approx(ref_loss, rel=1e-5)


def test_bert_input_errors():
    model = BertModel(BertModel.config_class(**BERT_CONFIG))
    with pytest.raises(ValueError, match=r"input sequence length 17 exceeds the model's maximum "
                                         r"of 16 positions.*truncat"):
        model(ember.zeros(1, MAXPOS + 1, dtype=ember.int64))
    with pytest.raises(IndexError, match=r"token id 30.*vocab_size=30.*tokenizer does not "
                                         r"match the model"):
        model(ember.tensor([[2, 30, 3]]))
    with pytest.raises(ValueError, match=r"\(batch, sequence\) integer tensor, got shape \(3,\)"):
        model(ember.tensor([2, 5, 3]))


# --------------------------------------------------------------------------------------------
# RoBERTa
# --------------------------------------------------------------------------------------------


def test_roberta_matches_numpy_reference_with_padding_offsets(tmp_path):
    config = dict(BERT_CONFIG, model_type="roberta", pad_token_id=1, bos_token_id=0,
                  eos_token_id=2, type_vocab_size=1, layer_norm_eps=1e-5,
                  max_position_embeddings=MAXPOS + 2)
    w = _bert_weights(np.random.default_rng(7), prefix="roberta.", pooler=False, type_vocab=1,
                      maxpos=MAXPOS + 2)
    rng = np.random.default_rng(8)
    for name, shape in (("classifier.dense.weight", (H, H)), ("classifier.dense.bias", (H,)),
                        ("classifier.out_proj.weight", (3, H)),
                        ("classifier.out_proj.bias", (3,))):
        w[name] = rng.standard_normal(shape).astype(np.float32)
    folder = _write_folder(tmp_path / "rob", dict(config, num_labels=3), w)
    clf = RobertaForSequenceClassification.from_pretrained(folder)
    ids = np.array([[0, 7, 11, 5, 2, 1], [0, 29, 4, 2, 1, 1]])
    mask = (ids != 1).astype(np.int64)
    # HF's create_position_ids_from_input_ids: padding_idx + 1 + rank among real tokens
    positions = np.array([[2, 3, 4, 5, 6, 1], [2, 3, 4, 5, 1, 1]])
    hidden, _, _ = np_bert(w, ids, mask, np.zeros_like(ids), positions, eps=1e-5,
                           prefix="roberta.")
    x = np.tanh(np_linear(hidden[-1][:, 0], w, "classifier.dense"))
    _close(clf(ember.tensor(ids), attention_mask=ember.tensor(mask)).logits,
           np_linear(x, w, "classifier.out_proj"))
    # the classifier is dropped for the base model; the checkpoint has no pooler
    base = RobertaModel.from_pretrained(folder, add_pooling_layer=False)
    assert base.pooler is None
    with pytest.warns(UserWarning, match=r"newly initialised \['pooler.dense.weight'"):
        RobertaModel.from_pretrained(folder)
    out = base(ember.tensor(ids), attention_mask=ember.tensor(mask))
    keep = mask.astype(bool)
    _close(out.last_hidden_state[ember.tensor(keep)], hidden[-1][keep])
    with pytest.raises(ValueError, match="exceeds the model's maximum of 16 positions"):
        base(ember.full((1, MAXPOS + 1), 5, dtype=ember.int64))


# --------------------------------------------------------------------------------------------
# DistilBERT
# --------------------------------------------------------------------------------------------


def test_distilbert_matches_numpy_reference(tmp_path):
    rng = np.random.default_rng(9)
    w = {}

    def add(name, *shape):
        w[name] = (rng.standard_normal(shape) * 0.5).astype(np.float32)

    add("distilbert.embeddings.word_embeddings.weight", VOCAB, H)
    add("distilbert.embeddings.position_embeddings.weight", MAXPOS, H)
    add("distilbert.embeddings.LayerNorm.weight", H)
    add("distilbert.embeddings.LayerNorm.bias", H)
    for i in range(LAYERS):
        p = f"distilbert.transformer.layer.{i}."
        for lin, shape in (("attention.q_lin", (H, H)), ("attention.k_lin", (H, H)),
                           ("attention.v_lin", (H, H)), ("attention.out_lin", (H, H)),
                           ("ffn.lin1", (FFN, H)), ("ffn.lin2", (H, FFN))):
            add(p + lin + ".weight", *shape)
            add(p + lin + ".bias", shape[0])
        for ln in ("sa_layer_norm", "output_layer_norm"):
            add(p + ln + ".weight", H)
            add(p + ln + ".bias", H)
    for name, shape in (("pre_classifier", (H, H)), ("classifier", (2, H))):
        add(name + ".weight", *shape)
        add(name + ".bias", shape[0])
    config = {"model_type": "distilbert", "vocab_size": VOCAB, "dim": H, "n_heads": HEADS,
              "n_layers": LAYERS, "hidden_dim": FFN, "max_position_embeddings": MAXPOS}
    folder = _write_folder(tmp_path / "d", config, w, "bin")
    clf = DistilBertForSequenceClassification.from_pretrained(folder)

    x = np_layer_norm(w["distilbert.embeddings.word_embeddings.weight"][IDS]
                      + w["distilbert.embeddings.position_embeddings.weight"][:6],
                      w["distilbert.embeddings.LayerNorm.weight"],
                      w["distilbert.embeddings.LayerNorm.bias"], 1e-12).astype(np.float64)
    for i in range(LAYERS):
        p = f"distilbert.transformer.layer.{i}."
        ctx, _ = np_attention(x, w, p + "attention.q_lin", p + "attention.k_lin",
                              p + "attention.v_lin", MASK)
        a = np_layer_norm(np_linear(ctx, w, p + "attention.out_lin") + x,
                          w[p + "sa_layer_norm.weight"], w[p + "sa_layer_norm.bias"], 1e-12)
        f = np_linear(np_gelu(np_linear(a, w, p + "ffn.lin1")), w, p + "ffn.lin2")
        x = np_layer_norm(f + a, w[p + "output_layer_norm.weight"],
                          w[p + "output_layer_norm.bias"], 1e-12)
    pooled = np.maximum(np_linear(x[:, 0], w, "pre_classifier"), 0)
    _close(clf(ember.tensor(IDS), attention_mask=ember.tensor(MASK)).logits,
           np_linear(pooled, w, "classifier"))
    base = DistilBertModel.from_pretrained(folder)
    out = base(ember.tensor(IDS), attention_mask=ember.tensor(MASK), output_hidden_states=True)
    keep = MASK.astype(bool)
    _close(out.last_hidden_state[ember.tensor(keep)], x[keep])
    assert len(out.hidden_states) == LAYERS + 1 and len(out) == 2
