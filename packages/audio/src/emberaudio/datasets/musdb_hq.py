"""MUSDB18-HQ (Rafii et al., 2019): 150 music tracks as uncompressed stems, 44.1 kHz stereo.

The zip extracts into ``<root>/musdb18hq/{train,test}/<Artist - Title>/`` holding
``mixture.wav``, ``bass.wav``, ``drums.wav``, ``other.wav`` and ``vocals.wav`` of equal length.
"""

from __future__ import annotations

import os
from pathlib import Path

import ember
from ember import hub
from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["MUSDB_HQ"]

_URL = "https://zenodo.org/record/3338373/files/musdb18hq.zip"
_CHECKSUM = "baac80d0483c61d74b2e5f3be75fa557eec52898339e6aa45c1fa48833c5d21d"  # SHA-256
_EXT = ".wav"
_SAMPLE_RATE = 44100
# The 14 training tracks held out for validation (torchaudio's list, from the musdb package).
_VALIDATION_SET = [
    "Actions - One Minute Smile",
    "Clara Berry And Wooldog - Waltz For My Victims",
    "Johnny Lokke - Promises & Lies",
    "Patrick Talbot - A Reason To Leave",
    "Triviul - Angelsaint",
    "Alexander Ross - Goodbye Bolero",
    "Fergessen - Nos Palpitants",
    "Leaf - Summerghost",
    "Skelpolu - Human Mistakes",
    "Young Griffo - Pennies",
    "ANiMAL - Rockshow",
    "James May - On The Line",
    "Meaxic - Take A Step",
    "Traffic Experiment - Sirens",
]


class MUSDB_HQ(Dataset):  # noqa: N801 (torchaudio's name)
    """MUSDB18-HQ (torchaudio's ``MUSDB_HQ``).

    Args:
        root: folder where ``musdb18hq`` is found or downloaded to.
        subset: ``"train"`` or ``"test"``.
        sources: stems to load, from ``"bass"``, ``"drums"``, ``"other"``, ``"mixture"``,
            ``"vocals"``; None: the four instruments (no mixture).
        split: None (the whole subset), ``"train"`` (without the validation tracks) or
            ``"validation"`` (the 14 tracks of torchaudio's list).
        download: download and extract the zip when the subset's folder is missing.

    Each item is ``(waveform, sample_rate, num_frames, track_name)``: waveform
    ``(len(sources), channels, frames)`` float32, the stems stacked in ``sources`` order.
    """

    def __init__(self, root, subset: str, sources: list[str] | None = None,
                 split: str | None = None, download: bool = False) -> None:
        self.sources = ["bass", "drums", "other", "vocals"] if not sources else sources
        self.split = split
        if subset not in ("test", "train"):
            raise ValueError("`subset` must be one of ['test', 'train']")
        if split is not None and split not in ("train", "validation"):
            raise ValueError("`split` must be one of ['train', 'validation']")
        root = os.fspath(root)
        base_path = os.path.join(root, "musdb18hq")
        self._path = os.path.join(base_path, subset)
        if not os.path.isdir(self._path):
            archive = os.path.join(root, os.path.basename(_URL))
            if not os.path.isfile(archive):
                if not download:
                    raise RuntimeError(f"MUSDB_HQ: dataset not found at {self._path}. "
                                       "Please use `download=True` to download")
                archive = hub.download(_URL, root, sha256=_CHECKSUM)
            hub.extract_archive(archive, base_path)  # the zip has no top folder
        self.names = self._collect_songs()

    def _collect_songs(self) -> list[str]:
        if self.split == "validation":
            return list(_VALIDATION_SET)
        path = Path(self._path)
        names = []
        for folder, subfolders, _ in os.walk(path, followlinks=True):
            folder = Path(folder)
            # leaf folders only: each track is one folder of stems
            if folder.name.startswith(".") or subfolders or folder == path:
                continue
            name = str(folder.relative_to(path))
            if self.split and name in _VALIDATION_SET:
                continue
            names.append(name)
        return sorted(names)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, num_frames, track_name)`` of the n-th track."""
        name = self.names[n]
        wavs = []
        num_frames = None
        for source in self.sources:
            path = os.path.join(self._path, name, source + _EXT)
            wav, sample_rate = load_waveform(path)
            if sample_rate != _SAMPLE_RATE:
                raise ValueError(f"expected sample rate {_SAMPLE_RATE}, but got {sample_rate}")
            if num_frames is None:
                num_frames = wav.shape[-1]
            elif wav.shape[-1] != num_frames:
                raise ValueError(f"num_frames do not match across sources: {path} has "
                                 f"{wav.shape[-1]}, expected {num_frames}")
            wavs.append(wav)
        return ember.stack(wavs), _SAMPLE_RATE, num_frames, name

    def __len__(self) -> int:
        return len(self.names)
