"""embertext.models infrastructure: configs, output objects, strict loading and its error
messages, save_pretrained round trips, hub downloads from a local HTTP server, and sentence
embeddings (mean pooling, normalisation, SentenceEncoder on a tiny model folder)."""

import functools
import http.server
import json
import os
import threading

import numpy as np
import pytest
import safetensors.numpy

import ember
from embertext.models import (
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertModel,
    DistilBertConfig,
    RobertaConfig,
    SentenceEncoder,
    mean_pooling,
    normalize_embeddings,
)
from embertext.models.outputs import SequenceClassifierOutput

TINY = {"vocab_size": 30, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 16, "max_position_embeddings": 16}
IDS = ember.tensor([[2, 7, 11, 3], [2, 9, 3, 0]])
MASK = ember.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])


def _tiny_bert(folder, seed=0):
    ember.manual_seed(seed)
    model = BertModel(BertConfig(**TINY))
    model.save_pretrained(folder)
    return model


# -- configs ------------------------------------------------------------------------------


def test_config_defaults_unknown_keys_and_round_trip(tmp_path):
    c = BertConfig()
    assert (c.vocab_size, c.hidden_size, c.num_hidden_layers, c.layer_norm_eps,
            c.pad_token_id, c.num_labels) == (30522, 768, 12, 1e-12, 0, 2)
    r = RobertaConfig()
    assert (r.pad_token_id, r.bos_token_id, r.eos_token_id) == (1, 0, 2)
    d = DistilBertConfig()
    assert (d.dim, d.n_layers, d.hidden_size, d.seq_classif_dropout) == (768, 6, 768, 0.2)
    data = dict(TINY, model_type="bert", architectures=["BertForMaskedLM"],
                id2label={"0": "neg", "1": "neu", "2": "pos"}, gradient_checkpointing=False)
    (tmp_path / "config.json").write_text(json.dumps(data))
    c = BertConfig.from_pretrained(tmp_path)
    assert c.num_labels == 3 and c.id2label[2] == "pos" and c.label2id["neu"] == 1
    assert c.gradient_checkpointing is False  # unknown keys kept
    c.save_pretrained(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "config.json").read_text())
    assert saved["architectures"] == ["BertForMaskedLM"] and saved["model_type"] == "bert"
    assert saved["id2label"] == {"0": "neg", "1": "neu", "2": "pos"}
    assert BertConfig.from_pretrained(tmp_path / "out") == c
    # overriding the number of labels replaces the label names
    assert BertConfig.from_pretrained(tmp_path, num_labels=5).id2label[4] == "LABEL_4"


def test_model_output_views():
    logits = ember.zeros(2, 3)
    out = SequenceClassifierOutput(logits=logits)
    assert out[0] is logits and out["logits"] is logits and out.loss is None
    assert len(out) == 1 and out.keys() == ["logits"] and "loss" not in out
    (only,) = out
    assert only is logits
    with pytest.raises(KeyError, match="no field 'loss' set"):
        out["loss"]


# -- strict loading ------------------------------------------------------------------------


def test_missing_and_unexpected_keys_are_named(tmp_path):
    model = _tiny_bert(tmp_path / "good")
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    del state["encoder.layer.1.output.dense.bias"]
    state["encoder.layer.1.output.extra"] = np.zeros(3, np.float32)
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "config.json").write_text((tmp_path / "good" / "config.json").read_text())
    safetensors.numpy.save_file(state, str(folder / "model.safetensors"))
    with pytest.raises(RuntimeError, match=r"missing keys: \['encoder.layer.1.output.dense.bias'"
                                           r"\]\n  unexpected keys: \['encoder.layer.1.output."
                                           r"extra'\]"):
        BertModel.from_pretrained(folder)
    with pytest.warns(UserWarning, match="strict=False"):
        loaded, info = BertModel.from_pretrained(folder, strict=False, output_loading_info=True)
    assert info == {"missing_keys": ["encoder.layer.1.output.dense.bias"],
                    "unexpected_keys": ["encoder.layer.1.output.extra"], "mismatched_keys": []}
    np.testing.assert_array_equal(loaded.pooler.dense.weight.detach().numpy(),
                                  model.pooler.dense.weight.detach().numpy())
    # a shape mismatch (another config) is reported by load_state_dict
    (folder / "config.json").write_text(json.dumps(dict(TINY, vocab_size=31)))
    safetensors.numpy.save_file({k: v.numpy() for k, v in model.state_dict().items()},
                                str(folder / "model.safetensors"))
    with pytest.raises(RuntimeError, match="size mismatch for embeddings.word_embeddings.weight"):
        BertModel.from_pretrained(folder)


def test_missing_folder_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        BertModel.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(TINY))
    with pytest.raises(FileNotFoundError, match="no weights found.*model.safetensors"):
        BertModel.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="neither a local folder nor a hub model name"):
        BertModel.from_pretrained(str(tmp_path / "no" / "such" / "dir"))


def test_save_pretrained_round_trip_and_tied_weights(tmp_path):
    ember.manual_seed(1)
    mlm = BertForMaskedLM(BertConfig(**TINY))
    mlm.save_pretrained(tmp_path / "mlm")
    assert sorted(os.listdir(tmp_path / "mlm")) == ["config.json", "model.safetensors"]
    keys = set(safetensors.numpy.load_file(str(tmp_path / "mlm" / "model.safetensors")))
    # tied entries are written once, as transformers does
    assert "cls.predictions.decoder.weight" not in keys and "cls.predictions.bias" in keys
    assert len(keys) == len(mlm.state_dict()) - 2
    config = json.loads((tmp_path / "mlm" / "config.json").read_text())
    assert config["architectures"] == ["BertForMaskedLM"] and config["hidden_size"] == 8
    back = BertForMaskedLM.from_pretrained(tmp_path / "mlm")
    assert back.cls.predictions.decoder.weight is back.bert.embeddings.word_embeddings.weight
    mlm.eval()
    np.testing.assert_array_equal(back(IDS, attention_mask=MASK).logits.detach().numpy(),
                                  mlm(IDS, attention_mask=MASK).logits.detach().numpy())
    # the .bin form loads the same
    mlm.save_pretrained(tmp_path / "bin", safe_serialization=False)
    assert sorted(os.listdir(tmp_path / "bin")) == ["config.json", "pytorch_model.bin"]
    again = BertForMaskedLM.from_pretrained(tmp_path / "bin")
    np.testing.assert_array_equal(again(IDS).logits.detach().numpy(),
                                  back(IDS).logits.detach().numpy())


def test_sharded_safetensors_checkpoint(tmp_path):
    model = _tiny_bert(tmp_path / "one")
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    names = sorted(state)
    shards = {"model-00001-of-00002.safetensors": names[:10],
              "model-00002-of-00002.safetensors": names[10:]}
    folder = tmp_path / "sharded"
    folder.mkdir()
    (folder / "config.json").write_text((tmp_path / "one" / "config.json").read_text())
    for file, keys in shards.items():
        safetensors.numpy.save_file({k: state[k] for k in keys}, str(folder / file))
    index = {"weight_map": {k: f for f, keys in shards.items() for k in keys}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    model.eval()
    loaded = BertModel.from_pretrained(folder)
    np.testing.assert_array_equal(loaded(IDS).pooler_output.detach().numpy(),
                                  model(IDS).pooler_output.detach().numpy())


# -- hub download --------------------------------------------------------------------------


@pytest.fixture
def hub_server(tmp_path, monkeypatch):
    """A local HTTP server whose root mirrors huggingface.co's resolve URLs."""
    root = tmp_path / "server"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "cache"))
    yield root
    ember.hub.set_dir(old)
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_from_hub_into_cache(tmp_path, hub_server):
    model = _tiny_bert(tmp_path / "src")
    repo = hub_server / "org" / "tiny-bert" / "resolve" / "main"
    repo.mkdir(parents=True)
    for f in ("config.json", "model.safetensors"):
        (repo / f).write_bytes((tmp_path / "src" / f).read_bytes())
    loaded = BertModel.from_pretrained("org/tiny-bert")
    cached = tmp_path / "cache" / "huggingface" / "models--org--tiny-bert" / "main"
    assert sorted(os.listdir(cached)) == ["config.json", "model.safetensors"]
    model.eval()
    np.testing.assert_array_equal(loaded(IDS).pooler_output.detach().numpy(),
                                  model(IDS).pooler_output.detach().numpy())
    # the second load is served from the cache (the server no longer has the files)
    for f in ("config.json", "model.safetensors"):
        (repo / f).unlink()
    BertModel.from_pretrained("org/tiny-bert")


def test_download_falls_back_to_pytorch_bin(tmp_path, hub_server):
    model = _tiny_bert(tmp_path / "src")
    model.save_pretrained(tmp_path / "src", safe_serialization=False)
    repo = hub_server / "tiny" / "resolve" / "main"
    repo.mkdir(parents=True)
    for f in ("config.json", "pytorch_model.bin"):  # no model.safetensors: a 404 first
        (repo / f).write_bytes((tmp_path / "src" / f).read_bytes())
    loaded = BertModel.from_pretrained("tiny")
    model.eval()
    np.testing.assert_array_equal(loaded(IDS).last_hidden_state.detach().numpy(),
                                  model(IDS).last_hidden_state.detach().numpy())
    with pytest.raises(ember.hub.DownloadError, match="config.json"):
        BertModel.from_pretrained("missing-model")


# -- sentence embeddings --------------------------------------------------------------------


def test_mean_pooling_literal_values():
    h = ember.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]],
                      [[5.0, -1.0], [7.0, 7.0], [9.0, 1.0]]])
    mask = ember.tensor([[1, 1, 0], [1, 1, 1]])
    np.testing.assert_allclose(mean_pooling(h, mask).numpy(), [[2.0, 3.0], [7.0, 7.0 / 3]],
                               rtol=1e-6)
    # no real token at all: zeros, not NaN
    np.testing.assert_array_equal(mean_pooling(h, ember.zeros(2, 3)).numpy(), np.zeros((2, 2)))
    n = normalize_embeddings(ember.tensor([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(n.numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


def test_sentence_encoder_on_a_tiny_folder(tmp_path):
    vocab = "[PAD] [UNK] [CLS] [SEP] [MASK] the cat dog sat ran".split()
    vocab += [f"w{i}" for i in range(30 - len(vocab))]
    model = _tiny_bert(tmp_path)
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"}]))
    encoder = SentenceEncoder(tmp_path)
    assert encoder.normalize and encoder.pooling_mode == "mean"
    sentences = ["the cat sat", "the dog ran the cat", "cat"]
    emb = encoder.encode(sentences, batch_size=2)
    assert tuple(emb.shape) == (3, 8)
    np.testing.assert_allclose(np.linalg.norm(emb.numpy(), axis=1), 1.0, rtol=1e-5)
    # the same as tokenising each sentence alone: [CLS] ids [SEP], mean over all tokens
    model.eval()
    ids = {"the": 5, "cat": 6, "dog": 7, "sat": 8, "ran": 9}
    for i, s in enumerate(sentences):
        tokens = ember.tensor([[2] + [ids[w] for w in s.split()] + [3]])
        h = model(tokens).last_hidden_state.detach().numpy()[0].mean(0)
        np.testing.assert_allclose(emb[i].numpy(), h / np.linalg.norm(h), rtol=1e-4, atol=1e-6)
    single = encoder.encode("the cat sat")
    assert tuple(single.shape) == (8,)
    np.testing.assert_allclose(single.numpy(), emb[0].numpy(), rtol=1e-5, atol=1e-6)
    raw = SentenceEncoder(tmp_path, normalize=False).encode(["cat"])
    assert abs(float(np.linalg.norm(raw.numpy())) - 1.0) > 1e-3


def test_sequence_classification_from_saved_folder_keeps_labels(tmp_path):
    config = BertConfig(**TINY, id2label={0: "neg", 1: "pos"})
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    loaded = BertForSequenceClassification.from_pretrained(tmp_path)
    assert loaded.config.id2label == {0: "neg", 1: "pos"} and loaded.num_labels == 2
