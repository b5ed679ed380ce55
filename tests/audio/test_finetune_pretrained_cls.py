"""emberaudio-finetune --task classify with a pretrained Hugging Face folder (Wav2Vec2, HuBERT)
and emberaudio-classify on the Hugging Face folders it writes (and on an AST folder): the new
head for the data's labels, the saved layout, the printed accuracy reproduced from the reloaded
folder, the frozen feature encoder, per-clip normalisation, and the sample-rate error."""

import contextlib
import csv
import functools
import http.server
import io
import json
import os
import threading

import numpy as np
import pytest
import soundfile

import ember
from emberaudio import classify, finetune
from emberaudio._finetune_cls_models import (
    PretrainedClassifier,
    _conv_min_frames,
    load_pretrained_classifier,
)
from emberaudio.datasets import SpokenDigits
from emberaudio.models import (
    ASTConfig,
    ASTForAudioClassification,
    HubertConfig,
    HubertForSequenceClassification,
    Wav2Vec2Config,
    Wav2Vec2ForSequenceClassification,
)

DIGITS = list(SpokenDigits.classes)
# The tiny wav2vec2 of test_finetune_ctc.py: three conv layers (20x downsampling), 2 layers.
TINY = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            conv_dim=[8, 8, 8], conv_stride=[5, 2, 2], conv_kernel=[10, 3, 3],
            num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2)


def _run(*args):
    return finetune.main([*args, "--no-progress"])


def _losses_and_accuracies(text):
    rows = [line for line in text.splitlines() if "train loss " in line]
    losses = [float(r.split("train loss ")[1].split()[0]) for r in rows]
    accs = [float(r.split("test loss ")[1].split("acc ")[1].split("%")[0]) / 100 for r in rows]
    return losses, accs


@pytest.fixture(scope="module")
def w2v_run(tmp_path_factory):
    """A tiny 2-label Wav2Vec2ForSequenceClassification folder fine-tuned on 8 digits for 2
    epochs with a frozen feature encoder: (folder, run folder, printed stdout, stderr)."""
    tmp = tmp_path_factory.mktemp("w2v")
    ember.manual_seed(0)
    Wav2Vec2ForSequenceClassification(Wav2Vec2Config(**TINY)).save_pretrained(tmp / "w2v")
    out = tmp / "run"
    args = ["--model", str(tmp / "w2v"), "--limit", "8", "--epochs", "2", "--batch-size", "4",
            "--lr", "1e-3", "--clip-seconds", "0.5", "--freeze-feature-encoder", "--out",
            str(out), "--no-progress"]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        assert finetune.main(args) == 0
    return tmp / "w2v", out, stdout.getvalue(), stderr.getvalue()


def test_fine_tune_writes_hugging_face_folders(w2v_run):
    folder, out, text, err = w2v_run
    assert sorted(os.listdir(out)) == ["best", "last", "metrics.csv"]
    for name in ("best", "last"):
        assert {"config.json", "model.safetensors", "preprocessor_config.json",
                "emberaudio.json"} <= set(os.listdir(out / name))
    with open(out / "last" / "preprocessor_config.json") as f:
        pre = json.load(f)
    assert pre == {"feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": 1,
                   "padding_side": "right", "padding_value": 0.0,
                   "return_attention_mask": False, "do_normalize": True,
                   "sampling_rate": 16000}
    saved = Wav2Vec2ForSequenceClassification.from_pretrained(out / "last")
    assert saved.config.num_labels == 10 and saved.config.id2label[3] == "three"
    assert saved.config.label2id["nine"] == 9
    # the checkpoint's 2-label head was replaced (a note, not a warning); 8 digits, 10 classes
    assert "newly initialised" in err and "classifier.weight" in err
    assert f"{folder} on embedded: 8 train / 8 test clips, 10 classes" in text
    assert "trainable)" in text
    losses, _ = _losses_and_accuracies(text)
    assert len(losses) == 2 and np.isfinite(losses).all()
    with open(out / "metrics.csv", newline="") as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["1", "2"]


def test_frozen_feature_encoder_is_unchanged_and_the_rest_trained(w2v_run):
    folder, out, _, _ = w2v_run
    before = Wav2Vec2ForSequenceClassification.from_pretrained(folder).state_dict()
    after = Wav2Vec2ForSequenceClassification.from_pretrained(out / "last").state_dict()
    conv = [k for k in before if k.startswith("wav2vec2.feature_extractor.")]
    assert conv
    for key in conv:
        np.testing.assert_array_equal(before[key].numpy(), after[key].numpy())
    moved = [k for k in before if not k.startswith("wav2vec2.feature_extractor.")
             and not np.array_equal(before[k].numpy(), after[k].numpy())]
    assert "wav2vec2.encoder.layers.0.attention.k_proj.weight" in moved


def test_reloaded_best_folder_gives_the_printed_accuracy(w2v_run):
    _, out, text, _ = w2v_run
    _, accs = _losses_and_accuracies(text)
    with open(out / "best" / "emberaudio.json") as f:
        info = json.load(f)
    assert info["test_accuracy"] == pytest.approx(max(accs), abs=1e-4)
    model, config, labels = classify.load_checkpoint(str(out / "best"))
    assert labels == DIGITS and config["clip_seconds"] == 0.5 and not model.training
    _, test_set, _ = finetune._build_data(info["config"])
    loader = ember.utils.data.DataLoader(test_set, batch_size=8,
                                         collate_fn=finetune._FixedLengthCollate(8000))
    assert finetune.evaluate(model, loader)[1] == pytest.approx(info["test_accuracy"])


def test_classify_on_the_folder_prints_a_label(w2v_run, tmp_path, capsys):
    _, out, _, _ = w2v_run
    waveform = SpokenDigits("test")[0][0].numpy()[0]
    wav = tmp_path / "clip.wav"
    soundfile.write(wav, np.stack([waveform[::2], waveform[::2]], axis=1), 8000)  # stereo 8k
    assert classify.main([str(wav), "--model", str(out / "best"), "--top", "2"]) == 0
    captured = capsys.readouterr()
    assert f"note: {wav}: resampled from 8000 Hz to the model's 16000 Hz" in captured.err
    lines = captured.out.splitlines()
    assert lines[0] == str(wav) and len(lines) == 3
    assert lines[1].split()[0] in DIGITS
    # the run folder resolves to best/ and prints the same ranking
    assert classify.main([str(wav), "--model", str(out), "--top", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == lines


def test_normalisation_and_min_frames(tmp_path):
    ember.manual_seed(0)
    model = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(**TINY)).eval()
    waves = ember.randn(2, 1, 400) * 0.3 + 0.1
    w = waves.numpy()[:, 0].astype(np.float64)
    normed = (w - w.mean(-1, keepdims=True)) / np.sqrt(w.var(-1, keepdims=True) + 1e-7)
    with ember.no_grad():
        wrapped = PretrainedClassifier(model, 16000, {"do_normalize": True})(waves)
        expected = model(ember.tensor(normed, dtype=ember.float32)).logits
        raw = PretrainedClassifier(model, 16000, {"do_normalize": False})(waves)
        direct = model(waves[:, 0]).logits
    np.testing.assert_allclose(wrapped.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(raw.numpy(), direct.numpy(), rtol=1e-5)
    # one output frame: kernels 10, 3, 3 and strides 5, 2, 2 -> ((1-1)*2+3-1)*2+3 = 7 -> 40
    assert _conv_min_frames(model.config) == 40
    assert int(model._get_feat_extract_output_lengths(ember.tensor([40]))[0]) == 1
    assert _conv_min_frames(Wav2Vec2Config()) == 400  # wav2vec2-base: 25 ms


def test_hubert_folder_fine_tunes(tmp_path, capsys):
    ember.manual_seed(0)
    HubertForSequenceClassification(HubertConfig(**TINY)).save_pretrained(tmp_path / "hubert")
    out = tmp_path / "run"
    assert _run("--model", str(tmp_path / "hubert"), "--limit", "4", "--epochs", "1",
                "--batch-size", "4", "--lr", "1e-3", "--no-augment", "--clip-seconds", "0.5",
                "--out", str(out)) == 0
    assert "final test accuracy" in capsys.readouterr().out
    saved = HubertForSequenceClassification.from_pretrained(out / "last")
    assert saved.config.model_type == "hubert" and saved.config.num_labels == 10
    wrapped = load_pretrained_classifier(str(out / "last"))
    assert isinstance(wrapped.model, HubertForSequenceClassification)
    assert wrapped.labels == DIGITS


def test_sample_rate_mismatch_is_a_clear_error(tmp_path, capsys):
    Wav2Vec2ForSequenceClassification(Wav2Vec2Config(**TINY)).save_pretrained(tmp_path / "m")
    assert _run("--model", str(tmp_path / "m"), "--sample-rate", "8000",
                "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert (f"--model {tmp_path / 'm'} takes 16000 Hz audio (its preprocessor_config.json's "
            "sampling_rate) but --sample-rate is 8000; pass --sample-rate 16000 (clips are "
            "resampled on load)") in err
    assert not (tmp_path / "o").exists()  # failed before any training or output


def test_unknown_folder_kind_and_missing_folder(tmp_path, capsys):
    os.makedirs(tmp_path / "cfg")
    (tmp_path / "cfg" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    assert _run("--model", str(tmp_path / "cfg"), "--out", str(tmp_path / "o")) == 2
    assert "model_type 'bert' in its config.json is not an audio classifier" in \
        capsys.readouterr().err
    assert _run("--model", str(tmp_path / "nothing") + "/", "--out", str(tmp_path / "o")) == 2
    assert "is neither a local folder nor a hub model name" in capsys.readouterr().err


def test_classify_with_an_ast_folder(tmp_path, capsys):
    # An AST checkpoint in transformers' layout (a tiny one, 16 mel bins, 32 frames) with its
    # preprocessor_config.json: classify builds the fbank extractor from it, names by id2label.
    ember.manual_seed(0)
    config = ASTConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=16, max_length=32, num_mel_bins=16,
                       id2label={0: "cat", 1: "dog", 2: "bird"})
    ASTForAudioClassification(config).save_pretrained(tmp_path / "ast")
    (tmp_path / "ast" / "preprocessor_config.json").write_text(json.dumps(
        {"feature_extractor_type": "ASTFeatureExtractor", "num_mel_bins": 16,
         "max_length": 32, "sampling_rate": 16000, "do_normalize": True,
         "mean": -4.2677393, "std": 4.5689974}))
    wav = tmp_path / "a.wav"
    soundfile.write(wav, 0.1 * np.sin(np.arange(8000) / 5.0).astype(np.float32), 16000)
    assert classify.main([str(wav), "--model", str(tmp_path / "ast")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] and \
        {line.split()[0] for line in lines[1:]} == {"cat", "dog", "bird"}
    model, _, labels = classify.load_checkpoint(str(tmp_path / "ast"))
    assert model.features.num_mel_bins == 16 and model.features.max_length == 32
    assert model.min_frames == 400
    with pytest.raises(classify.UserError, match="an AST model has no convolutional"):
        model.freeze_feature_encoder()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def hub_server(tmp_path, monkeypatch):
    """A local HTTP server whose root mirrors huggingface.co's resolve URLs (HF_ENDPOINT)."""
    root = tmp_path / "server"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "cache"))
    yield root
    ember.hub.set_dir(old)
    server.shutdown()
    server.server_close()


def test_hub_name_for_classify_and_the_rate_check(w2v_run, tmp_path, hub_server, capsys):
    _, out, _, _ = w2v_run
    repo = hub_server / "org" / "digits-w2v" / "resolve" / "main"
    repo.mkdir(parents=True)
    for f in ("config.json", "model.safetensors", "preprocessor_config.json"):
        (repo / f).write_bytes((out / "best" / f).read_bytes())
    wav = tmp_path / "clip.wav"
    soundfile.write(wav, SpokenDigits("test")[1][0].numpy()[0], 16000)
    assert classify.main([str(wav), "--model", "org/digits-w2v", "--top", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].split()[0] in DIGITS and "resampled" not in captured.err
    # the hub folder's preprocessor_config.json gives the rate the run is checked against
    assert _run("--model", "org/digits-w2v", "--sample-rate", "22050") == 2
    assert "takes 16000 Hz audio" in capsys.readouterr().err
