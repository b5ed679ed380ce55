"""IEMOCAP (Busso et al., 2008): acted dyadic sessions with categorical emotion labels, 16 kHz.

Layout (licensed, no download): ``<root>/IEMOCAP/Session<k>/sentences/wav/<dialog>/<utt>.wav``
and ``Session<k>/dialog/EmoEvaluation/<dialog>.txt``, whose summary lines read
``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["IEMOCAP"]

_SAMPLE_RATE = 16000
_LABELS = ("neu", "hap", "ang", "sad", "exc", "fru")


def _get_wavs_paths(data_dir: Path) -> list[str]:
    """The session's utterance files, relative to the IEMOCAP folder, sorted."""
    wav_paths = sorted(str(p) for p in (data_dir / "sentences" / "wav").glob("*/*.wav"))
    return [p[p.find("Session"):] for p in wav_paths]


class IEMOCAP(Dataset):
    """IEMOCAP (torchaudio's ``IEMOCAP``).

    Args:
        root: folder holding ``IEMOCAP``.
        sessions: the sessions (1-5) to use (default all five).
        utterance_type: ``"scripted"``, ``"improvised"`` or None (both): which dialogs'
            evaluations (``*script*.txt`` / ``*impro*.txt``) are read.

    Only utterances labelled ``neu``, ``hap``, ``ang``, ``sad``, ``exc`` or ``fru`` are items.
    Each item is ``(waveform, sample_rate, file_name, label, speaker)``, speaker the session
    and gender prefix of the file name (``"Ses01F"``).
    """

    def __init__(self, root, sessions=(1, 2, 3, 4, 5), utterance_type: str | None = None):
        self._path = Path(root) / "IEMOCAP"
        if not os.path.isdir(self._path):
            raise RuntimeError(f"Dataset not found. IEMOCAP: {self._path} doesn't exist")
        if utterance_type not in ("scripted", "improvised", None):
            raise ValueError("utterance_type must be one of ['scripted', 'improvised', or None]")
        query = {"scripted": "*script*.txt", "improvised": "*impro*.txt"}.get(utterance_type,
                                                                               "*.txt")
        self.data: list[str] = []
        self.mapping: dict[str, dict[str, str]] = {}
        for session in sessions:
            session_dir = self._path / f"Session{session}"
            wav_paths = _get_wavs_paths(session_dir)
            stems = {Path(p).stem for p in wav_paths}
            for label_path in sorted((session_dir / "dialog" / "EmoEvaluation").glob(query)):
                with open(label_path) as f:
                    for line in f:
                        if not line.startswith("["):
                            continue
                        fields = re.split("[\t\n]", line)
                        wav_stem, label = fields[1], fields[2]
                        if wav_stem in stems and label in _LABELS:
                            self.mapping[wav_stem] = {"label": label}
            for wav_path in wav_paths:
                wav_stem = Path(wav_path).stem
                if wav_stem in self.mapping:
                    self.data.append(wav_stem)
                    self.mapping[wav_stem]["path"] = wav_path

    def get_metadata(self, n: int) -> tuple[str, int, str, str, str]:
        """``(path relative to IEMOCAP, sample_rate, file_name, label, speaker)``."""
        wav_stem = self.data[n]
        entry = self.mapping[wav_stem]
        return entry["path"], _SAMPLE_RATE, wav_stem, entry["label"], wav_stem.split("_")[0]

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, file_name, label, speaker)`` of the n-th utterance."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(self._path / metadata[0], metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
