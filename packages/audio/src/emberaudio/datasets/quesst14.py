"""QUESST 2014 (Anguera et al., 2015): query-by-example spoken term detection, 8 kHz WAV.

The archive extracts to ``<root>/quesst14Database/`` with ``Audio/`` (the search utterances),
``dev_queries/``, ``eval_queries/`` and ``scoring/language_key_{utterances,dev,eval}.lst``
(lines ``quesst14Database/Audio/quesst14_00001.wav nnenglish``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ember import hub
from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["QUESST14"]

URL = "https://speech.fit.vutbr.cz/files/quesst14Database.tgz"
SAMPLE_RATE = 8000
_CHECKSUM = "4f869e06bc066bbe9c5dde31dbd3909a0870d70291110ebbb38878dcbc2fc5e4"  # SHA-256
_LANGUAGES = ["albanian", "basque", "czech", "nnenglish", "romanian", "slovak"]
_KEY_FILES = {"docs": "language_key_utterances.lst", "dev": "language_key_dev.lst",
              "eval": "language_key_eval.lst"}


def _filter_audio_paths(path: str, language: str | None, lst_name: str) -> list[Path]:
    """The audio files listed in ``scoring/<lst_name>`` for ``language`` (None: all)."""
    audio_paths = []
    with open(os.path.join(path, "scoring", lst_name)) as f:
        for line in f:
            if not line.strip():
                continue
            audio_path, lang = line.strip().split()
            if language is not None and lang != language:
                continue
            # The lists name files under "quesst14Database/": drop that first component.
            audio_paths.append(Path(path) / re.sub(r"^.*?/", "", audio_path))
    return audio_paths


class QUESST14(Dataset):
    """QUESST 2014 (torchaudio's ``QUESST14``).

    Args:
        root: folder where ``quesst14Database`` is found or downloaded to.
        subset: ``"docs"`` (the search utterances), ``"dev"`` or ``"eval"`` (the queries).
        language: one of ``"albanian"``, ``"basque"``, ``"czech"``, ``"nnenglish"`` (default),
            ``"romanian"``, ``"slovak"``, or None for all.
        download: download and extract the archive when the folder is missing.

    Each item is ``(waveform, sample_rate, file_name)``, file_name the stem
    (``"quesst14_00001"``).
    """

    def __init__(self, root, subset: str, language: str | None = "nnenglish",
                 download: bool = False) -> None:
        if subset not in _KEY_FILES:
            raise ValueError("`subset` must be one of ['docs', 'dev', 'eval']")
        if language is not None and language not in _LANGUAGES:
            raise ValueError(f"`language` must be None or one of {_LANGUAGES}")
        root = os.fspath(root)
        self._path = os.path.join(root, "quesst14Database")
        if not os.path.isdir(self._path):
            archive = os.path.join(root, os.path.basename(URL))
            if not os.path.isfile(archive):
                if not download:
                    raise RuntimeError(f"QUESST14: dataset not found at {self._path}. "
                                       "Please use `download=True` to download")
                archive = hub.download(URL, root, sha256=_CHECKSUM)
            hub.extract_archive(archive, root)
        self.data = _filter_audio_paths(self._path, language, _KEY_FILES[subset])

    def get_metadata(self, n: int) -> tuple[str, int, str]:
        """``(path relative to quesst14Database, sample_rate, file_name)`` of the n-th item."""
        audio_path = self.data[n]
        return os.path.relpath(audio_path, self._path), SAMPLE_RATE, audio_path.with_suffix("").name

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, file_name)`` of the n-th item."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
