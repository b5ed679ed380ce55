"""emberaudio-finetune and emberaudio-classify: a tiny run writes its checkpoints and metrics,
the loss falls over two epochs, a folder dataset at another rate trains, classify reads a WAV
written here, and the user errors.

The default run (no arguments: SpectrogramCNN on the embedded spoken digits) is too long for
the test suite; its measured accuracy and time are in the comment on DEFAULT_EPOCHS.
"""

import csv
import os

import numpy as np
import pytest
import soundfile

import ember
from emberaudio import classify, finetune
from emberaudio.datasets import SpokenDigits
from emberaudio.models import SpectrogramCNN

DIGITS = list(SpokenDigits.classes)


def _run(*args):
    return finetune.main([*args, "--no-progress"])


def test_tiny_run_writes_checkpoints_and_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run("--limit", "12", "--epochs", "1", "--batch-size", "6", "--out", str(out)) == 0
    assert sorted(os.listdir(out)) == ["best.pt", "last.pt", "metrics.csv"]
    printed = capsys.readouterr().out
    assert "spectrogram-cnn on embedded: 12 train / 12 test clips, 10 classes" in printed
    assert "epoch 1/1: train loss" in printed and "final test accuracy" in printed
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1"]
    assert list(rows[0]) == ["epoch", "train_loss", "train_accuracy", "test_loss",
                             "test_accuracy", "seconds"]
    ckpt = ember.load(out / "best.pt")
    assert ckpt["format"] == "emberaudio.finetune/1" and ckpt["labels"] == DIGITS
    assert ckpt["config"]["model"] == "spectrogram-cnn" and ckpt["config"]["sample_rate"] == 16000
    model, config, labels = classify.load_checkpoint(str(out / "best.pt"))
    assert isinstance(model, SpectrogramCNN) and not model.training and labels == DIGITS
    for key, value in ckpt["model"].items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy())
    # the accuracy in metrics.csv is the one the saved model gets on those 12 test clips
    _, test_set, _ = finetune._build_data(config)
    loader = ember.utils.data.DataLoader(test_set, batch_size=12,
                                         collate_fn=finetune._FixedLengthCollate(16000))
    assert finetune.evaluate(model, loader)[1] == pytest.approx(float(rows[0]["test_accuracy"]))


def test_loss_decreases_over_two_epochs(tmp_path):
    args = finetune.build_parser().parse_args(
        ["--model", "m5", "--limit", "40", "--epochs", "2", "--batch-size", "8", "--no-augment",
         "--out", str(tmp_path)])
    history = finetune.train(finetune._resolve(args), progress=False)["history"]
    assert history[1]["train_loss"] < history[0]["train_loss"]


def _tone(freq, rate, seconds=0.5, channels=1, phase=0.0):
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.5 * np.sin(2 * np.pi * freq * t + phase)
    return np.repeat(wave[:, None], channels, axis=1).astype(np.float32)


def test_folder_dataset_resampled_with_augment(tmp_path, capsys):
    # two labels (a low and a high tone) as 22.05 kHz stereo WAVs, trained at 8 kHz
    for label, freq in (("high", 2500.0), ("low", 300.0)):
        os.makedirs(tmp_path / "data" / label)
        for i in range(5):
            soundfile.write(tmp_path / "data" / label / f"{i}.wav",
                            _tone(freq * (1 + 0.02 * i), 22050, channels=2, phase=i), 22050)
    assert _run("--dataset", str(tmp_path / "data"), "--sample-rate", "8000", "--augment",
                "--epochs", "1", "--batch-size", "4", "--out", str(tmp_path / "run")) == 0
    # a fixed 20% of each label is held out: 4 + 4 train, 1 + 1 test
    assert "8 train / 2 test clips, 2 classes" in capsys.readouterr().out
    model, config, labels = classify.load_checkpoint(str(tmp_path / "run" / "last.pt"))
    assert labels == ["high", "low"] and config["sample_rate"] == 8000
    assert model.sample_rate == 8000


def test_held_out_split_is_per_label_and_fixed():
    targets = [0] * 10 + [1] * 5 + [2]
    train, test = finetune._held_out_split(targets)
    assert sorted(train + test) == list(range(16))
    assert [np.asarray(targets)[test].tolist().count(c) for c in range(3)] == [2, 1, 0]
    assert finetune._held_out_split(targets) == (train, test)


def test_classify_prints_top_classes_of_a_wav(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run("--model", "m5", "--limit", "10", "--epochs", "1", "--out", str(out)) == 0
    capsys.readouterr()
    # an embedded clip written as a 44.1 kHz stereo WAV: classify mixes and resamples it
    waveform, _, label = SpokenDigits("test")[3]
    clip = np.repeat(waveform.numpy()[0], 2)  # crude 2x upsampling is enough for a smoke test
    wav = tmp_path / "clip.wav"
    soundfile.write(wav, np.stack([clip, clip], axis=1), 32000)
    assert classify.main([str(wav), "--checkpoint", str(out / "best.pt"), "--top", "4"]) == 0
    captured = capsys.readouterr()
    assert f"note: {wav}: resampled from 32000 Hz to the model's 16000 Hz" in captured.err
    lines = captured.out.splitlines()
    assert lines[0] == str(wav) and len(lines) == 5
    names = [line.split()[0] for line in lines[1:]]
    probs = [float(line.split()[1].rstrip("%")) for line in lines[1:]]
    assert set(names) <= set(DIGITS) and len(set(names)) == 4
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 100.01
    # the printed ranking is the model's on the prepared clip
    model, config, labels = classify.load_checkpoint(str(out / "best.pt"))
    ranked = classify.top_classes(model, config, labels, str(wav), k=4)
    assert [name for name, _ in ranked] == names
    # --model (the new spelling) and a run folder (its best.pt) print the same
    assert classify.main([str(wav), "--model", str(out), "--top", "4"]) == 0
    assert capsys.readouterr().out.splitlines() == lines


def test_ast_from_scratch_lowers_the_loss(tmp_path, capsys):
    # The small AST (fbank front end inside) on 16 digits for 2 epochs: the mean training
    # loss falls, and its .pt checkpoint reloads through classify (get_model("ast")).
    out = tmp_path / "ast"
    assert _run("--model", "ast", "--limit", "16", "--epochs", "2", "--batch-size", "4",
                "--lr", "1e-3", "--no-augment", "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "ast on embedded: 16 train / 16 test clips, 10 classes" in text
    losses = [float(line.split("train loss ")[1].split()[0]) for line in text.splitlines()
              if "train loss " in line]
    assert len(losses) == 2 and losses[1] < losses[0]
    model, config, labels = classify.load_checkpoint(str(out / "best.pt"))
    assert type(model).__name__ == "ASTClassifier" and labels == DIGITS
    assert model(ember.zeros(1, 1, model.min_frames)).shape == (1, 10)


def test_user_errors(tmp_path, capsys):
    # a bare word is neither a scratch model nor a folder / org/name hub model: no hub look-up
    assert _run("--task", "classify", "--model", "wav2vec2") == 2
    assert ("--model wav2vec2: --task classify takes one of ['ast', 'm5', 'spectrogram-cnn'] "
            "or a pretrained Wav2Vec2/HuBERT/AST folder or hub name") in capsys.readouterr().err
    assert _run("--model", "m5", "--freeze-feature-encoder") == 2
    assert "--model m5 is trained from scratch; the option needs a pretrained" in \
        capsys.readouterr().err
    assert _run("--dataset", str(tmp_path / "missing")) == 2
    assert "not 'embedded', 'speechcommands', a CSV manifest or a folder" in \
        capsys.readouterr().err
    os.makedirs(tmp_path / "one" / "only")
    assert _run("--dataset", str(tmp_path / "one")) == 2
    assert "expected at least two label folders" in capsys.readouterr().err
    assert _run("--model", "m5", "--clip-seconds", "0.2", "--out", str(tmp_path / "r")) == 2
    assert "but m5 needs at least 6848; raise --clip-seconds" in capsys.readouterr().err
    assert classify.main(["x.wav", "--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert classify.main(["x.wav", "--model", str(tmp_path)]) == 2
    assert "no best.pt, best/ or config.json in the folder" in capsys.readouterr().err
    ember.save({"weights": ember.zeros(2)}, tmp_path / "other.pt")
    assert classify.main(["x.wav", "--checkpoint", str(tmp_path / "other.pt")]) == 2
    assert "not an emberaudio-finetune checkpoint" in capsys.readouterr().err
