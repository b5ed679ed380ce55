"""emberaudio-finetune --task ctc and the new classification sources: CER/WER literal values,
the edit distance against a full-matrix DP, the vocabulary, a tiny CTC run whose loss falls,
CSV manifests (transcripts and labels), a SPEECHCOMMANDS layout, --augment parsing, errors."""

import csv
import os

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from emberaudio import finetune, transcribe
from emberaudio._finetune_ctc import CTC_FORMAT, Vocabulary
from emberaudio._finetune_ctc_models import load_ctc_model
from emberaudio._finetune_data import parse_augment
from emberaudio._finetune_metrics import cer, edit_distance, wer
from emberaudio.classify import UserError
from emberaudio.datasets import SpokenDigits
from emberaudio.datasets.spoken_digits import _FOLDER as _DIGITS_FOLDER


def _run(*args):
    return finetune.main([*args, "--no-progress"])


def _full_dp(a, b):
    d = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    d[:, 0], d[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1,
                          d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return d[-1, -1]


def test_edit_distance_and_error_rates_literal():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance("flaw", "lawn") == 2
    assert edit_distance(["a", "b"], ["a", "b"]) == 0
    assert cer(["abc"], ["abd"]) == pytest.approx(1 / 3)
    # "one two" vs "one too": 1 substitution... of 7 characters (space counted)
    assert cer(["one two"], ["one too"]) == pytest.approx(1 / 7)
    assert wer(["a b c"], ["a c"]) == pytest.approx(1 / 3)
    assert wer(["one two", "three"], ["one", "three four"]) == pytest.approx(2 / 3)
    assert wer(["x"], ["x y z"]) == pytest.approx(2.0)  # insertions can exceed 100%
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        cer(["a", "b"], ["a"])


@settings(max_examples=40, deadline=None)
@given(a=st.text("abc", max_size=8), b=st.text("abc", max_size=8))
def test_edit_distance_matches_full_matrix(a, b):
    assert edit_distance(a, b) == _full_dp(a, b)


def test_vocabulary_roundtrip_and_json(tmp_path):
    v = Vocabulary.from_transcripts(["one two", "Nine"])
    assert v.tokens[:5] == ["<pad>", "<s>", "</s>", "<unk>", "|"] and v.blank == 0
    assert v.tokens[5:] == sorted("ONETWI") and len(set(v.tokens)) == len(v.tokens)
    ids = v.encode("two  one")
    assert [v.tokens[i] for i in ids] == list("TWO|ONE")
    assert v.decode(ids) == "TWO ONE"
    assert v.encode("x")[0] == v.unk
    v.to_json(tmp_path / "vocab.json")
    assert Vocabulary.from_json(tmp_path / "vocab.json").tokens == v.tokens


def test_tiny_ctc_run_lowers_loss_and_transcribes(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run("--task", "ctc", "--limit", "16", "--epochs", "4", "--batch-size", "8",
                "--lr", "3e-3", "--no-augment", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "ctc-rnn (CTC) on embedded: 16 train / 16 test clips" in printed
    assert "final CER" in printed
    assert sorted(os.listdir(out)) == ["best.pt", "last.pt", "metrics.csv"]
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "train_loss", "test_loss", "cer", "wer", "seconds"]
    losses = [float(r["train_loss"]) for r in rows]
    assert losses[-1] < losses[0]
    ckpt = ember.load(out / "last.pt")
    assert ckpt["format"] == CTC_FORMAT and ckpt["vocab"][:5] == ["<pad>", "<s>", "</s>",
                                                                  "<unk>", "|"]
    # transcribe reads the run folder; its output is the greedy decoding of the saved model
    clip = os.path.join(_DIGITS_FOLDER, SpokenDigits("test").metadata[0]["file"])
    assert transcribe.main([clip, "--model", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    wrapped = load_ctc_model(str(out / "best.pt"))
    assert line == f"{clip}\t{transcribe.transcribe_file(wrapped, clip)}"


def _tone(freq, rate, seconds=0.4, channels=1):
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.repeat(wave[:, None], channels, axis=1).astype(np.float32)


def test_ctc_csv_manifest_stereo_other_rate(tmp_path, capsys):
    rows = []
    for i in range(6):
        name = f"clip{i}.wav"
        soundfile.write(tmp_path / name, _tone(300 + 100 * i, 22050, channels=2), 22050)
        rows.append(f"{name},{'low tone' if i < 3 else 'high'}")
    (tmp_path / "train.csv").write_text("path,transcript\n" + "\n".join(rows) + "\n")
    assert _run("--task", "ctc", "--dataset", str(tmp_path / "train.csv"), "--epochs", "1",
                "--batch-size", "3", "--out", str(tmp_path / "run")) == 0
    assert "5 train / 1 test clips" in capsys.readouterr().out
    wrapped = load_ctc_model(str(tmp_path / "run"))
    assert set("LOWTNEHIG|") <= set(wrapped.vocab.tokens)


def test_classify_csv_manifest_and_speechcommands_layout(tmp_path, capsys):
    rows = []
    for label, freq in (("hum", 200.0), ("beep", 2000.0)):
        for i in range(5):
            name = f"{label}{i}.flac"
            soundfile.write(tmp_path / name, _tone(freq * (1 + 0.03 * i), 8000), 8000)
            rows.append(f"{name},{label}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    assert _run("--dataset", str(tmp_path / "labels.csv"), "--model", "m5", "--epochs", "1",
                "--sample-rate", "8000", "--out", str(tmp_path / "r1")) == 0
    assert "8 train / 2 test clips, 2 classes" in capsys.readouterr().out
    # SPEECHCOMMANDS' real layout, with its testing list deciding the split
    base = tmp_path / "sc" / "SpeechCommands" / "speech_commands_v0.02"
    for word, freq in (("yes", 500.0), ("no", 1500.0)):
        os.makedirs(base / word)
        for i in range(3):
            soundfile.write(base / word / f"spk{i}_nohash_0.wav", _tone(freq, 16000, 1.0),
                            16000)
    (base / "validation_list.txt").write_text("")
    (base / "testing_list.txt").write_text("yes/spk2_nohash_0.wav\nno/spk2_nohash_0.wav\n")
    assert _run("--dataset", "speechcommands", "--data-root", str(tmp_path / "sc"),
                "--epochs", "1", "--augment", "noise,gain", "--out", str(tmp_path / "r2")) == 0
    assert "4 train / 2 test clips, 2 classes" in capsys.readouterr().out
    assert ember.load(tmp_path / "r2" / "best.pt")["labels"] == ["no", "yes"]


def test_augment_parsing():
    assert parse_augment("all") == ("specaugment", "noise", "gain")
    assert parse_augment("none") == ()
    assert parse_augment("noise, gain,noise") == ("noise", "gain")
    with pytest.raises(UserError, match=r"unknown \['pitch'\]"):
        parse_augment("noise,pitch")
    resolve = lambda *a: finetune._resolve(finetune.build_parser().parse_args(list(a)))  # noqa
    assert resolve()["augment"] == ("specaugment", "noise", "gain")
    assert resolve("--augment")["augment"] == ("specaugment", "noise", "gain")
    assert resolve("--no-augment")["augment"] == ()
    assert resolve("--augment", "gain")["augment"] == ("gain",)
    assert resolve("--task", "ctc")["epochs"] == finetune.DEFAULT_CTC_EPOCHS
    assert resolve()["epochs"] == finetune.DEFAULT_EPOCHS


def test_ctc_user_errors(tmp_path, capsys):
    assert _run("--task", "ctc", "--model", "m5") == 2
    assert "--model m5 is a classifier; --task ctc takes ctc-rnn" in capsys.readouterr().err
    assert _run("--task", "ctc", "--dataset", str(tmp_path)) == 2
    assert "--task ctc takes embedded, librispeech or a CSV" in capsys.readouterr().err
    assert _run("--model", "ctc-rnn") == 2
    assert ("--task classify takes one of ['ast', 'm5', 'spectrogram-cnn']"
            in capsys.readouterr().err)
    assert _run("--augment", "echo") == 2
    assert "unknown ['echo']" in capsys.readouterr().err
    (tmp_path / "bad.csv").write_text("path,transcript\nmissing.wav,hello\n")
    assert _run("--task", "ctc", "--dataset", str(tmp_path / "bad.csv")) == 2
    assert "1 audio files are missing" in capsys.readouterr().err
    assert _run("--task", "ctc", "--dataset", "librispeech", "--data-root",
                str(tmp_path)) == 2
    assert "--dataset librispeech: LIBRISPEECH: the path" in capsys.readouterr().err
    assert _run("--dataset", "speechcommands", "--data-root", str(tmp_path)) == 2
    assert "or add --download" in capsys.readouterr().err
    assert _run("--task", "ctc", "--model", str(tmp_path / "no-such-model"), "--limit", "2",
                "--out", str(tmp_path / "o")) == 2
    assert "is neither a local folder nor a hub model name" in capsys.readouterr().err


def test_ctc_fine_tunes_a_pretrained_wav2vec2_folder_and_transcribes(tmp_path, capsys):
    # A tiny Wav2Vec2ForCTC in Hugging Face's layout, with its own 12-token head: fine-tuning
    # replaces the head with the data's vocabulary, freezes the conv feature encoder, writes
    # Hugging Face folders, and emberaudio-transcribe reads the result back.
    from emberaudio.models import Wav2Vec2Config, Wav2Vec2ForCTC

    ember.manual_seed(0)
    config = Wav2Vec2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=32, conv_dim=[8, 8, 8], conv_stride=[5, 2, 2],
                            conv_kernel=[10, 3, 3], num_conv_pos_embeddings=4,
                            num_conv_pos_embedding_groups=2, vocab_size=12)
    Wav2Vec2ForCTC(config).save_pretrained(tmp_path / "w2v")
    out = tmp_path / "run"
    assert _run("--task", "ctc", "--model", str(tmp_path / "w2v"), "--limit", "8",
                "--epochs", "2", "--batch-size", "4", "--lr", "1e-3",
                "--freeze-feature-encoder", "--out", str(out)) == 0
    text = capsys.readouterr().out
    losses = [float(line.split("train loss ")[1].split()[0]) for line in text.splitlines()
              if "train loss " in line]
    assert len(losses) == 2 and np.isfinite(losses).all()
    saved = Wav2Vec2ForCTC.from_pretrained(out / "last")
    assert saved.config.vocab_size > 12 and saved.config.pad_token_id == 0
    assert (out / "last" / "vocab.json").is_file()
    clip = SpokenDigits(split="test")[0][0]
    soundfile.write(tmp_path / "clip.wav", clip.numpy()[0], 16000)
    assert transcribe.main([str(tmp_path / "clip.wav"), "--model", str(out / "last")]) == 0
    assert capsys.readouterr().out.startswith(str(tmp_path / "clip.wav") + "\t")


def test_ctc_fine_tunes_a_hubert_folder(tmp_path, capsys):
    from emberaudio.models import HubertConfig, HubertForCTC

    ember.manual_seed(0)
    config = HubertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=32, conv_dim=[8, 8, 8], conv_stride=[5, 2, 2],
                          conv_kernel=[10, 3, 3], num_conv_pos_embeddings=4,
                          num_conv_pos_embedding_groups=2, vocab_size=12)
    HubertForCTC(config).save_pretrained(tmp_path / "hubert")
    out = tmp_path / "run"
    assert _run("--task", "ctc", "--model", str(tmp_path / "hubert"), "--limit", "4",
                "--epochs", "1", "--batch-size", "4", "--out", str(out)) == 0
    assert HubertForCTC.from_pretrained(out / "last").config.model_type == "hubert"

