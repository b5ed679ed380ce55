"""Snips SLU (Coucke et al., 2018), spoken: synthetic voices reading Snips commands, 16 kHz.

Layout: ``<root>/SNIPS/{train,valid,test}/<Speaker>-snips-<subset>-<n>.{mp3,wav}`` and
``<root>/SNIPS/all.iob.snips.txt``, one line per utterance:
``<file stem> BOS <words> EOS<TAB>O <iob tags> <intent>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["Snips"]

_SAMPLE_RATE = 16000
_SPEAKERS = ["Aditi", "Amy", "Brian", "Emma", "Geraint", "Ivy", "Joanna", "Joey", "Justin",
             "Kendra", "Kimberly", "Matthew", "Nicole", "Raveena", "Russell", "Salli"]


def _load_labels(file: Path, subset: str) -> dict[str, tuple[str, str, str]]:
    """File stem -> ``(transcript, iob, intent)`` for the utterances of ``subset``."""
    labels = {}
    with open(file) as f:
        for line in f:
            if not line.strip():
                continue
            words = line.strip().split(" ")
            index = words[0]
            trans, iob_intent = " ".join(words[1:]).split("\t")
            transcript = " ".join(trans.split(" ")[1:-1])  # drop BOS and EOS
            iob = " ".join(iob_intent.split(" ")[1:-1])  # drop BOS's tag and the intent
            intent = iob_intent.split(" ")[-1]
            if subset in index:
                labels[index] = (transcript, iob, intent)
    return labels


class Snips(Dataset):
    """Spoken Snips (torchaudio's ``Snips``; no download).

    Args:
        root: folder holding ``SNIPS``.
        subset: ``"train"``, ``"valid"`` or ``"test"``.
        speakers: the voices to include (default all 16).
        audio_format: ``"mp3"`` (default) or ``"wav"``.

    Each item is ``(waveform, sample_rate, file_name, transcript, iob, intent)``, e.g.
    ``(..., 16000, "Aditi-snips-train-0", "play some jazz", "O B-music_item B-genre",
    "PlayMusic")``.
    """

    _trans_file = "all.iob.snips.txt"

    def __init__(self, root, subset: str, speakers: list[str] | None = None,
                 audio_format: str = "mp3") -> None:
        if subset not in ("train", "valid", "test"):
            raise ValueError('`subset` must be one of ["train", "valid", "test"].')
        if audio_format not in ("mp3", "wav"):
            raise ValueError('`audio_format` must be one of ["mp3", "wav"].')
        self._path = Path(root) / "SNIPS"
        self.audio_path = self._path / subset
        speakers = _SPEAKERS if speakers is None else speakers
        if not os.path.isdir(self._path):
            raise RuntimeError(f"Dataset not found. Snips: {self._path} doesn't exist")
        self.data = [p for p in sorted(self.audio_path.glob(f"*.{audio_format}"))
                     if p.name.split("-")[0] in speakers]
        self.labels = _load_labels(self._path / self._trans_file, subset)

    def get_metadata(self, n: int) -> tuple[str, int, str, str, str, str]:
        """``(path relative to SNIPS, sample_rate, file_name, transcript, iob, intent)``."""
        audio_path = self.data[n]
        file_name = audio_path.with_suffix("").name
        transcript, iob, intent = self.labels[file_name]
        return (os.path.relpath(audio_path, self._path), _SAMPLE_RATE, file_name, transcript,
                iob, intent)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, file_name, transcript, iob, intent)``."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(self._path / metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
