"""The embedded spoken-digit set: "zero".."nine" synthesised by espeak-ng, shipped in the wheel.

300 clips (10 digits x 5 voices x 3 speeds x 2 pitches), 16 kHz mono 16-bit FLAC, ~2.8 MB, so the
audio fine-tuning command runs with no network. The train split holds 4 voices (240 clips), the
test split one held-out voice (``en-us+f2``, 60 clips). ``scripts/make_spoken_digits.py``
regenerates the files; ``_embedded/spoken_digits/README.md`` says how and under which terms.
"""

from __future__ import annotations

import csv
import os

from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["SpokenDigits"]

_FOLDER = os.path.join(os.path.dirname(__file__), "_embedded", "spoken_digits")
SAMPLE_RATE = 16000


class SpokenDigits(Dataset):
    """Spoken English digits 0-9 (espeak-ng voices), embedded in emberaudio.

    Args:
        split: ``"train"`` (240 clips, voices en-us, en, en-029, en+m3) or ``"test"`` (60 clips,
            the held-out voice en-us+f2).
        transform: optional callable applied to the waveform (e.g. a MelSpectrogram).

    Each item is ``(waveform, sample_rate, label)``: waveform a ``(1, frames)`` float32 tensor
    (0.25-0.8 s; pad batches with :func:`pad_collate`), sample_rate 16000, label the digit (int).

    Attributes:
        classes: the words, ``classes[label]`` (``"zero"``..``"nine"``).
        metadata: one dict per clip from the manifest (file, label, voice, speed, pitch, split).

    Example:
        >>> ds = SpokenDigits("train")
        >>> waveform, sr, label = ds[0]
        >>> waveform.shape[0], sr, ds.classes[label]
        (1, 16000, 'zero')
    """

    classes = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

    def __init__(self, split: str = "train", transform=None) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"SpokenDigits: unknown split {split!r}; use 'train' or 'test'")
        self.split = split
        self.transform = transform
        manifest = os.path.join(_FOLDER, "manifest.csv")
        if not os.path.isfile(manifest):
            raise RuntimeError(f"SpokenDigits: {manifest} is missing: the package was installed "
                               "without its data files (package-data) or they were deleted")
        with open(manifest, newline="") as f:
            rows = [row for row in csv.DictReader(f) if row["split"] == split]
        self.metadata = [dict(row, label=int(row["label"]), speed=int(row["speed"]),
                              pitch=int(row["pitch"])) for row in rows]
        self.targets = [row["label"] for row in self.metadata]

    def __getitem__(self, n: int):
        """``(waveform, 16000, label)`` of the n-th clip (waveform transformed if asked)."""
        row = self.metadata[n]
        waveform, sample_rate = load_waveform(os.path.join(_FOLDER, row["file"]), SAMPLE_RATE)
        if self.transform is not None:
            waveform = self.transform(waveform)
        return waveform, sample_rate, row["label"]

    def __len__(self) -> int:
        return len(self.metadata)

    def __repr__(self) -> str:
        return f"SpokenDigits(split={self.split!r}, clips={len(self)})"
