"""The end-to-end example: it trains, checkpoints every epoch, and a resumed run ends with
exactly the same weights as an uninterrupted one."""

import importlib.util
import os

import numpy as np
import pytest

import ember

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "train_classifier.py")


def _load_example():
    spec = importlib.util.spec_from_file_location("train_classifier", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example():
    return _load_example()


def _weights(path):
    return {k: v.numpy() for k, v in ember.load(path)["model"].items()}


def test_two_epochs_straight_equal_one_plus_resume_plus_one(example, tmp_path):
    common = ["--batch-size", "64", "--workers", "2", "--no-progress"]
    straight = tmp_path / "straight"
    example.main(["--epochs", "2", "--out", str(straight), *common])
    resumed = tmp_path / "resumed"
    example.main(["--epochs", "2", "--stop-after", "1", "--out", str(resumed), *common])
    assert ember.load(resumed / "last.pt")["epoch"] == 1
    example.main(["--epochs", "2", "--out", str(resumed), "--resume", *common])

    a, b = _weights(straight / "last.pt"), _weights(resumed / "last.pt")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)  # bit-identical
    history = ember.load(resumed / "last.pt")["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert (resumed / "metrics.json").exists()


def test_learns_the_digits(example, tmp_path):
    _, history = example.main(["--epochs", "3", "--workers", "0", "--no-progress",
                               "--out", str(tmp_path)])
    assert history[-1]["accuracy"] > 0.85  # chance is 0.10
    assert history[-1]["train_loss"] < history[0]["train_loss"]
