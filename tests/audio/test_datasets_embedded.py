"""The embedded spoken-digit set: counts, split, and that every clip decodes to real speech."""

import collections
import csv
import os

import numpy as np
import pytest
import soundfile

import ember
from emberaudio.datasets import SpokenDigits
from emberaudio.datasets import spoken_digits as module


def _manifest():
    with open(os.path.join(module._FOLDER, "manifest.csv"), newline="") as f:
        return list(csv.DictReader(f))


def test_manifest_counts_and_split():
    rows = _manifest()
    assert list(rows[0]) == ["file", "label", "voice", "speed", "pitch", "split"]
    assert len(rows) == 300
    assert collections.Counter(r["split"] for r in rows) == {"train": 240, "test": 60}
    # split by voice: no voice in both splits; each split has every digit equally often
    voices = {s: {r["voice"] for r in rows if r["split"] == s} for s in ("train", "test")}
    assert voices["test"] == {"en-us+f2"} and not voices["train"] & voices["test"]
    for split, per_digit in (("train", 24), ("test", 6)):
        counts = collections.Counter(r["label"] for r in rows if r["split"] == split)
        assert counts == {str(d): per_digit for d in range(10)}
    assert len({r["file"] for r in rows}) == 300
    # the word in the file name is the label's word
    assert all(r["file"].split("_")[0] == SpokenDigits.classes[int(r["label"])] for r in rows)


def test_package_size_under_3mb():
    total = sum(os.path.getsize(os.path.join(module._FOLDER, r["file"])) for r in _manifest())
    assert total < 3_000_000


def test_every_clip_is_16khz_mono_speech():
    for row in _manifest():
        audio, rate = soundfile.read(os.path.join(module._FOLDER, row["file"]), dtype="float32")
        assert rate == 16000 and audio.ndim == 1, row["file"]
        assert 0.2 < audio.size / rate < 1.0, row["file"]
        rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
        assert rms > 0.05 and 0.5 < np.abs(audio).max() <= 0.91, row["file"]


def test_items():
    train, test = SpokenDigits("train"), SpokenDigits("test")
    assert (len(train), len(test)) == (240, 60)
    waveform, sr, label = train[0]
    assert waveform.dtype == ember.float32 and waveform.shape[0] == 1 and waveform.ndim == 2
    assert (sr, label, SpokenDigits.classes[label]) == (16000, 0, "zero")
    assert train.targets == [r["label"] for r in train.metadata]
    assert sorted(set(test.targets)) == list(range(10))
    assert repr(test) == "SpokenDigits(split='test', clips=60)"


def test_transform_applied_and_bad_split():
    ds = SpokenDigits("test", transform=lambda w: w[:, :100] * 2)
    waveform, _, _ = ds[3]
    raw, _, _ = SpokenDigits("test")[3]
    np.testing.assert_array_equal(waveform.numpy(), raw.numpy()[:, :100] * 2)
    with pytest.raises(ValueError, match="'validation'"):
        SpokenDigits("validation")
