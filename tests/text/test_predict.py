"""embertext-classify and embertext-generate on saved folders."""

import numpy as np
import pytest

import ember
from embertext import Tokenizer
from embertext.finetune import main as finetune
from embertext.models import GPT2Config, GPT2LMHeadModel
from embertext.models.baselines import EmbeddingBagClassifier
from embertext.predict import classify_main, generate_main

TEXT = "".join(f"in the beginning the light was good and the water was deep {i}.\n"
               for i in range(40))


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("clf")
    assert finetune(["--limit", "80", "--epochs", "2", "--out", str(out), "--no-progress"]) == 0
    return out / "final"


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm")
    tok = Tokenizer.train([TEXT], kind="bpe", vocab_size=300, min_frequency=2)
    ember.manual_seed(0)
    eos = tok.eos_token_id
    config = GPT2Config(vocab_size=len(tok), n_positions=32, n_embd=16, n_layer=1, n_head=2,
                        bos_token_id=eos, eos_token_id=eos)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def _run(fn, argv, capsys):
    code = fn([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_classify_prints_label_and_probability(classifier_dir, capsys):
    texts = ["A warm, funny and moving film.", "Dull, boring and far too long."]
    code, out, _ = _run(classify_main, [classifier_dir, *texts], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    model = EmbeddingBagClassifier.from_pretrained(classifier_dir)
    tok = Tokenizer.from_pretrained(classifier_dir)
    for line, text in zip(lines, texts):
        label, prob, shown = line.split("\t")
        assert shown == text
        with ember.no_grad():
            z = model(ember.tensor([tok.encode(text)])).logits[0].numpy().astype(np.float64)
        p = np.exp(z - z.max())
        p /= p.sum()
        assert label == model.config.id2label[int(p.argmax())]
        assert float(prob) == pytest.approx(p.max(), abs=1e-4)


def test_classify_reads_a_file(classifier_dir, tmp_path, capsys):
    lines = tmp_path / "lines.txt"
    lines.write_text("A great film.\n\nTerrible acting.\n", encoding="utf-8")
    code, out, _ = _run(classify_main, [classifier_dir, "--file", lines], capsys)
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[2] for r in rows] == ["A great film.", "Terrible acting."]
    assert all(r[0] in ("negative", "positive") for r in rows)


def _greedy(folder, prompt, steps):
    """Greedy decoding by re-running the whole prefix each step (no cache, no generate)."""
    model = GPT2LMHeadModel.from_pretrained(folder)
    tok = Tokenizer.from_pretrained(folder)
    ids = tok.encode(prompt, add_special_tokens=False)
    start = len(ids)
    with ember.no_grad():
        for _ in range(steps):
            nxt = int(model(ember.tensor([ids])).logits[0, -1].argmax())
            ids.append(nxt)
            if nxt == tok.eos_token_id:
                break
    return tok.decode(ids[start:], skip_special_tokens=True)


def test_generate_greedy_matches_stepwise_argmax(lm_dir, capsys):
    code, out, _ = _run(generate_main, [lm_dir, "--prompt", "in the", "--max-new-tokens", 6,
                                        "--temperature", 0], capsys)
    assert code == 0
    assert out == "in the" + _greedy(lm_dir, "in the", 6) + "\n"


def test_generate_sampling_is_reproducible_with_seed(lm_dir, capsys):
    argv = [lm_dir, "--prompt", "the water", "--max-new-tokens", 8, "--seed", 3,
            "--top-k", 10, "--top-p", 0.9, "--temperature", 1.5]
    first = _run(generate_main, argv, capsys)
    second = _run(generate_main, argv, capsys)
    assert first[0] == 0 and first == second
    assert first[1].startswith("the water")


def test_generate_from_an_empty_prompt(lm_dir, capsys):
    code, out, _ = _run(generate_main, [lm_dir, "--max-new-tokens", 3, "--seed", 0], capsys)
    assert code == 0 and out.endswith("\n")


@pytest.mark.parametrize("argv, message", [
    (["{clf}", "--max-new-tokens", "5"], "it is a classification model: use embertext-classify"),
    (["{lm}", "--temperature", "-1"], "--temperature must be >= 0"),
    (["{lm}", "--top-p", "0"], "--top-p in (0, 1]"),
    (["{lm}", "--max-new-tokens", "40", "--prompt", "in"], "exceeds the model's 32 positions"),
    (["./no/such/model"], "MODEL_DIR ./no/such/model: no such folder"),
])
def test_generate_errors(argv, message, classifier_dir, lm_dir, capsys):
    argv = [a.format(clf=classifier_dir, lm=lm_dir) for a in argv]
    code, _, err = _run(generate_main, argv, capsys)
    assert code == 2 and err.startswith("embertext-generate: error: ")
    assert message in err


def test_classify_errors(classifier_dir, lm_dir, tmp_path, capsys):
    code, _, err = _run(classify_main, [classifier_dir], capsys)
    assert code == 2 and "no texts" in err
    code, _, err = _run(classify_main, [lm_dir, "hello"], capsys)
    assert code == 2 and "model_type 'gpt2' is not supported for classification" in err
    assert "use embertext-generate" in err
    code, _, err = _run(classify_main, [classifier_dir, "--file", tmp_path / "none.txt"],
                        capsys)
    assert code == 2 and "--file" in err and "no such file" in err
    # A tokenizer larger than the model's vocabulary: a named error, not an IndexError.
    bad = tmp_path / "bad"
    model = EmbeddingBagClassifier.from_pretrained(classifier_dir)
    model.config.vocab_size = 10
    model.embedding = ember.nn.EmbeddingBag(10, model.config.embed_dim)
    model.save_pretrained(bad)
    Tokenizer.from_pretrained(classifier_dir).save_pretrained(bad)
    code, _, err = _run(classify_main, [bad, "hello"], capsys)
    assert code == 2 and "the model's vocab_size is 10" in err
