"""``embervision-predict``: a checkpoint of a tiny training run classifies PNG files written
here; probabilities are checked against the model applied to NumPy-preprocessed pixels."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import predict as predict_module
from embervision import train
from embervision.datasets import EmbeddedFashionMNIST
from embervision.models import lenet
from embervision.predict import UserError, predict

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    train.main(["--epochs", "1", "--limit-train", "96", "--limit-test", "16", "--batch-size",
                "32", "--workers", "0", "--no-progress", "--out", str(out)])
    return out / "best.pt"


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """A 28x28 test image of the embedded set as a grayscale PNG, and the same picture as a
    larger RGB PNG (predict must bring it to 28x28 grayscale itself)."""
    folder = tmp_path_factory.mktemp("images")
    pixels = EmbeddedFashionMNIST(train=False).data.numpy()[0]  # an ankle boot
    small, big = folder / "boot.png", folder / "boot_rgb.png"
    Image.fromarray(pixels).save(small)
    Image.fromarray(pixels).convert("RGB").resize((56, 70), Image.NEAREST).save(big)
    return pixels, small, big


def reference_probabilities(checkpoint, pixels: np.ndarray) -> np.ndarray:
    # ToTensor and Normalize written out in NumPy; softmax in float64.
    x = (pixels.astype(np.float32)[None, None] / 255.0 - 0.2860) / 0.3530
    model = lenet()
    model.load_state_dict(ember.load(checkpoint)["model"])
    model.eval()
    with ember.no_grad():
        logits = model(ember.from_numpy(x)).numpy().astype(np.float64)[0]
    e = np.exp(logits - logits.max())
    return e / e.sum()


def test_predict_returns_the_top_classes_with_their_probabilities(checkpoint, images):
    pixels, small, _ = images
    (result,) = predict([str(small)], str(checkpoint), topk=3)
    assert result["image"] == str(small)
    expected = reference_probabilities(checkpoint, pixels)
    order = np.argsort(-expected, kind="stable")[:3]
    got = result["predictions"]
    assert [p["index"] for p in got] == order.tolist()
    assert [p["class"] for p in got] == [FASHION_CLASSES[i] for i in order]
    np.testing.assert_allclose([p["probability"] for p in got], expected[order], rtol=1e-5)


def test_images_of_another_size_and_mode_are_brought_to_the_training_geometry(checkpoint,
                                                                            images):
    _, small, big = images
    a, b = predict([str(small), str(big)], str(checkpoint), topk=10)
    assert len(a["predictions"]) == len(b["predictions"]) == 10
    probs = [p["probability"] for p in b["predictions"]]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1.0, abs=1e-5)
    assert {p["class"] for p in b["predictions"]} == set(FASHION_CLASSES)
    # The RGB copy is the same picture, resized (shorter side 28, then a centre crop): the
    # model's preferred class is unchanged.
    assert b["predictions"][0]["class"] == a["predictions"][0]["class"]


def test_topk_larger_than_the_classes_lists_them_all(checkpoint, images):
    (result,) = predict([str(images[1])], str(checkpoint), topk=50)
    assert sorted(p["index"] for p in result["predictions"]) == list(range(10))


def test_cli_prints_a_table_and_json(checkpoint, images, capsys):
    _, small, big = images
    assert predict_module.main([str(small), str(big), "--checkpoint", str(checkpoint),
                                "--topk", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(small) and lines[3] == str(big) and len(lines) == 6
    assert lines[1].startswith("  1. ") and lines[2].startswith("  2. ")
    assert lines[1].endswith("%")

    assert predict_module.main([str(small), "--checkpoint", str(checkpoint), "--json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed == predict([str(small)], str(checkpoint), topk=3)
    assert set(parsed[0]["predictions"][0]) == {"class", "index", "probability"}


def test_console_script_runs_as_a_module(checkpoint, images):
    proc = subprocess.run([sys.executable, "-m", "embervision", "predict", str(images[1]),
                           "--checkpoint", str(checkpoint), "--json", "--topk", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (result,) = json.loads(proc.stdout)
    assert result["predictions"][0]["class"] in FASHION_CLASSES


def test_errors(checkpoint, images, tmp_path, capsys):
    small = str(images[1])
    with pytest.raises(UserError, match=r"image not found: .*missing\.png"):
        predict([str(tmp_path / "missing.png")], str(checkpoint))
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(UserError, match=r"cannot read image .*junk\.png: cannot identify"):
        predict([str(tmp_path / "junk.png")], str(checkpoint))
    with pytest.raises(UserError, match=r"checkpoint .*nope\.pt does not exist"):
        predict([small], str(tmp_path / "nope.pt"))
    ember.save({"weights": ember.zeros(2)}, tmp_path / "plain.pt")
    with pytest.raises(UserError, match=r"plain\.pt is not a checkpoint of embervision-train "
                                        r"\(it has no 'config', 'classes', 'model'\)"):
        predict([small], str(tmp_path / "plain.pt"))
    with pytest.raises(UserError, match=r"--topk must be at least 1, got 0"):
        predict([small], str(checkpoint), topk=0)

    # The CLI prints the message as one line and exits with 2.
    assert predict_module.main([small, "--checkpoint", str(tmp_path / "plain.pt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("embervision-predict: error: ") and err.count("\n") == 1


def test_a_checkpoint_that_does_not_match_its_model_is_reported(checkpoint, images, tmp_path):
    state = ember.load(checkpoint)
    state["classes"] = state["classes"][:5]  # the model is rebuilt with a 5-class head
    ember.save(state, tmp_path / "edited.pt")
    with pytest.raises(UserError, match=r"edited\.pt does not match model lenet: .*size "
                                        r"mismatch for classifier\.4\.weight"):
        predict([str(images[1])], str(tmp_path / "edited.pt"))
    state = ember.load(checkpoint)
    state["config"]["model"] = "resnet18"
    ember.save(state, tmp_path / "other.pt")
    with pytest.raises(UserError, match=r"other\.pt does not match model resnet18: .*Missing "
                                        r"key"):
        predict([str(images[1])], str(tmp_path / "other.pt"))
