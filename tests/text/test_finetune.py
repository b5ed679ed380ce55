"""embertext-finetune: short real runs on tiny data, the folders they write, and the errors a
user can make (exit status 2, 'embertext-finetune: error: ...')."""

import csv
import json

import numpy as np
import pytest

import ember
from embertext import Tokenizer
from embertext._finetune_data import held_out_split, label_maps, load_classification
from embertext.finetune import _resolve as resolve
from embertext.finetune import _schedule, build_parser, main, train
from embertext.models import BertConfig, BertForSequenceClassification, BertModel
from embertext.models.baselines import EmbeddingBagClassifier, LSTMClassifier
from embertext.predict import classify

TOPICS = {
    "sport": ["the team won the match", "a great goal in the final game", "the player scored"],
    "food": ["the soup was hot and tasty", "bread and cheese for lunch", "a sweet cake recipe"],
    "music": ["the band played a loud song", "a piano concert tonight", "she sang the melody"],
}


def _write_csv(path, topics=TOPICS, repeat=4):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for r in range(repeat):
            for label, texts in topics.items():
                for t in texts:
                    writer.writerow([f"{t} {r}", label])
    return str(path)


def _config(argv):
    return resolve(build_parser().parse_args(argv))


def _metrics(out):
    with open(out / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_embedded_baseline_run_lowers_loss_and_writes_loadable_folders(tmp_path):
    out = tmp_path / "run"
    result = train(_config(["--limit", "64", "--epochs", "3", "--batch-size", "16",
                            "--out", str(out)]), progress=False)
    losses = [row["train_loss"] for row in result["history"]]
    assert losses[-1] < losses[0]
    rows = _metrics(out)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["train_loss"]) == pytest.approx(losses[-1])
    assert 0.0 <= result["final"]["eval_accuracy"] <= 1.0
    for folder in ("checkpoint-epoch-1", "checkpoint-epoch-3", "final"):
        for name in ("config.json", "model.safetensors", "tokenizer.json"):
            assert (out / folder / name).is_file(), (folder, name)
    model = EmbeddingBagClassifier.from_pretrained(out / "final")
    assert model.config.id2label == {0: "negative", 1: "positive"}
    tokenizer = Tokenizer.from_pretrained(out / "final")
    assert model.config.vocab_size == len(tokenizer)
    # The saved model and tokenizer give the final evaluation's accuracy again.
    _, _, texts, names = load_classification("embedded", None, 64)
    predicted = classify(model, tokenizer, texts)
    accuracy = np.mean([label == name for (label, _), name in zip(predicted, names)])
    assert accuracy == pytest.approx(result["final"]["eval_accuracy"])
    assert all(0.5 <= p <= 1.0 for _, p in predicted)


def test_csv_dataset_with_named_labels_and_held_out_split(tmp_path, capsys):
    path = _write_csv(tmp_path / "topics.csv")
    out = tmp_path / "run"
    assert main(["--dataset", path, "--model", "lstm", "--epochs", "4", "--lr", "0.01",
                 "--batch-size", "8", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    # 36 rows, 12 per label: 20% of each label (2 of 12... rounded: 2) held out.
    assert "30 train / 6 eval texts" in printed and "3 labels" in printed
    assert "final evaluation: loss" in printed
    model = LSTMClassifier.from_pretrained(out / "final")
    assert model.config.id2label == {0: "food", 1: "music", 2: "sport"}
    rows = _metrics(out)
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])


def test_lm_run_reports_perplexity_and_saves_gpt2(tmp_path, capsys):
    text = tmp_path / "corpus.txt"
    text.write_text("".join(f"the cat sat on the mat number {i} and the dog ran.\n"
                            for i in range(60)), encoding="utf-8")
    out = tmp_path / "lm"
    assert main(["--task", "lm", "--dataset", str(text), "--max-length", "16", "--epochs",
                 "2", "--batch-size", "8", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "perplexity" in printed and "final evaluation" in printed
    rows = _metrics(out)
    ppl = [float(r["eval_perplexity"]) for r in rows]
    assert ppl[-1] == pytest.approx(np.exp(float(rows[-1]["eval_loss"])), rel=1e-6)
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    config = json.loads((out / "final" / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["n_positions"] == 16


def _tiny_bert_folder(folder, texts, vocab_size=None):
    tok = Tokenizer.train(texts, kind="wordpiece", vocab_size=200, min_frequency=1)
    config = BertConfig(vocab_size=vocab_size or len(tok), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32,
                        max_position_embeddings=32)
    ember.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return tok


def test_pretrained_folder_gets_a_new_head_and_freeze_base_trains_only_it(tmp_path, capsys):
    path = _write_csv(tmp_path / "topics.csv")
    texts = [t for ts in TOPICS.values() for t in ts]
    base = tmp_path / "bert"
    _tiny_bert_folder(base, texts)
    out = tmp_path / "run"
    assert main(["--model", str(base), "--dataset", path, "--epochs", "1", "--lr", "1e-3",
                 "--freeze-base", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "new classification head for 3 labels: classifier.weight, classifier.bias" in printed
    tuned = BertForSequenceClassification.from_pretrained(out / "final")
    assert tuned.config.id2label == {0: "food", 1: "music", 2: "sport"}
    original = BertModel.from_pretrained(base)
    for key, value in original.state_dict().items():  # frozen: the encoder did not move
        np.testing.assert_array_equal(tuned.bert.state_dict()[key].numpy(), value.numpy())


def _error(argv, capsys):
    code = main(argv + ["--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("embertext-finetune: error: ")
    return err


def test_vocab_mismatch_is_an_error_before_training(tmp_path, capsys):
    path = _write_csv(tmp_path / "topics.csv")
    texts = [t for ts in TOPICS.values() for t in ts]
    base = tmp_path / "bert"
    tok = _tiny_bert_folder(base, texts, vocab_size=20)
    err = _error(["--model", str(base), "--dataset", path, "--out", str(tmp_path / "o")],
                 capsys)
    assert f"its tokenizer has {len(tok)} tokens but the model's vocab_size is 20" in err
    assert not (tmp_path / "o").exists()


def test_unknown_eval_label_is_named(tmp_path, capsys):
    train_csv = _write_csv(tmp_path / "train.csv")
    eval_csv = _write_csv(tmp_path / "eval.csv", {"sport": ["a match"], "weather": ["rain"]},
                          repeat=1)
    err = _error(["--dataset", train_csv, "--eval-dataset", eval_csv], capsys)
    assert "label(s) ['weather']" in err and "training labels: ['food', 'music', 'sport']" in err


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "no/such/file.csv"], "--dataset no/such/file.csv: no such file"),
    (["--epochs", "-1"], "--epochs must be at least 1, got -1"),
    (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    (["--lr", "0"], "--lr must be positive"),
    (["--warmup", "2.5"], "a whole number of steps"),
    (["--task", "lm", "--model", "lstm"], "--model lstm is a classifier"),
    (["--task", "lm", "--freeze-base"], "--freeze-base applies to --task classification"),
    (["--model", "tiny-gpt2"], "use --task lm"),
    (["--model", "./missing-folder"], "--model ./missing-folder: no such folder"),
])
def test_user_errors_exit_2(argv, message, capsys):
    assert message in _error(argv, capsys)


def test_bad_file_contents_and_types(tmp_path, capsys):
    bad = tmp_path / "data.csv"
    bad.write_text("sentence,label\nhello,pos\n", encoding="utf-8")
    assert "has no column 'text'" in _error(["--dataset", str(bad)], capsys)
    other = tmp_path / "data.xml"
    other.write_text("<x/>", encoding="utf-8")
    assert "unknown file type '.xml'" in _error(["--dataset", str(other)], capsys)
    one = tmp_path / "one.csv"
    one.write_text("text,label\na,x\nb,x\nc,x\n", encoding="utf-8")
    assert "has one label ('x')" in _error(["--dataset", str(one)], capsys)


def test_gpt2_folder_for_classification_is_refused(tmp_path, capsys):
    from embertext.models import GPT2Config, GPT2LMHeadModel
    GPT2LMHeadModel(GPT2Config(vocab_size=300, n_positions=8, n_embd=8, n_layer=1,
                               n_head=2)).save_pretrained(tmp_path)
    err = _error(["--model", str(tmp_path)], capsys)
    assert "model_type 'gpt2' is not supported for classification" in err
    assert "use --task lm" in err


def test_linear_warmup_then_decay():
    f = _schedule(10, 0.2)  # 2 warm-up steps
    assert [f(s) for s in range(11)] == pytest.approx(
        [0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0])
    g = _schedule(4, 3)  # a step count
    assert [g(s) for s in range(4)] == pytest.approx([1 / 3, 2 / 3, 1.0, 1.0])
    assert _schedule(5, 0)(0) == 1.0


def test_held_out_split_is_stratified_and_fixed():
    names = ["a"] * 10 + ["b"] * 5 + ["c"]
    tr, ev = held_out_split(names)
    assert sorted(tr + ev) == list(range(16))
    assert [names[i] for i in ev].count("a") == 2 and [names[i] for i in ev].count("b") == 1
    assert "c" not in [names[i] for i in ev]  # a single example stays in training
    assert held_out_split(names) == (tr, ev)


def test_label_maps_use_natural_order():
    id2label, train_y, eval_y = label_maps(["10", "9", "2", "9"], ["2"])
    assert id2label == {0: "2", 1: "9", 2: "10"}
    assert train_y == [2, 1, 0, 1] and eval_y == [0]


def test_same_seed_same_run(tmp_path):
    argv = ["--limit", "48", "--epochs", "2", "--model", "transformer"]
    first = train(_config(argv + ["--out", str(tmp_path / "a")]), progress=False)
    second = train(_config(argv + ["--out", str(tmp_path / "b")]), progress=False)
    assert [r["train_loss"] for r in first["history"]] == [
        r["train_loss"] for r in second["history"]]
    assert first["final"] == second["final"]
    assert ((tmp_path / "a" / "final" / "tokenizer.json").read_bytes()
            == (tmp_path / "b" / "final" / "tokenizer.json").read_bytes())


@pytest.fixture
def hub_server(tmp_path, monkeypatch):
    """A local HTTP server laid out like huggingface.co's resolve URLs."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    root = tmp_path / "server"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "cache"))
    yield root
    ember.hub.set_dir(old)
    server.shutdown()
    server.server_close()


def test_hub_model_name_is_downloaded_and_fine_tuned(tmp_path, hub_server, capsys):
    texts = [t for ts in TOPICS.values() for t in ts]
    src = tmp_path / "src"
    _tiny_bert_folder(src, texts)
    repo = hub_server / "org" / "tiny-bert" / "resolve" / "main"
    repo.mkdir(parents=True)
    for f in src.iterdir():
        (repo / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "run"
    assert main(["--model", "org/tiny-bert", "--dataset", _write_csv(tmp_path / "t.csv"),
                 "--epochs", "1", "--out", str(out), "--no-progress"]) == 0
    assert "new classification head for 3 labels" in capsys.readouterr().out
    assert BertForSequenceClassification.from_pretrained(out / "final").config.num_labels == 3
    err = _error(["--model", "org/missing", "--out", str(tmp_path / "x")], capsys)
    assert "org/missing: not a local folder, and as a hub name cannot read its config" in err
