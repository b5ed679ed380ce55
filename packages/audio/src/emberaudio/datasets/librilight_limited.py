"""Libri-light limited supervision (Kahn et al., 2020): the 10 min / 1 h / 10 h LibriSpeech
subsets used to fine-tune wav2vec 2.0 and HuBERT.

The archive extracts to ``<root>/librispeech_finetuning/`` with ``1h/<0-5>/{clean,other}/`` (six
10-minute splits) and ``9h/{clean,other}/``, each in LibriSpeech's
``<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac`` + ``.trans.txt`` layout.
"""

from __future__ import annotations

import os
from pathlib import Path

from ember import hub
from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["LibriLightLimited"]

_ARCHIVE_NAME = "librispeech_finetuning"
_URL = "https://dl.fbaipublicfiles.com/librilight/data/librispeech_finetuning.tgz"
_CHECKSUM = "5d1efdc777b548194d7e09ba89126e2188026df9fd57aa57eb14408d2b2342af"  # SHA-256
_SUBSET_MAP = {"10min": ["1h/0"], "1h": ["1h/*"], "10h": ["1h/*", "9h"]}
SAMPLE_RATE = 16000


def _get_fileids_paths(path: str, folders: list[str], ext_audio: str) -> list[tuple[str, str]]:
    """``(subset folder such as "1h/0/clean", file id)`` of every utterance, sorted."""
    root = Path(path)
    files = []
    for folder in folders:
        paths = [p.relative_to(root) for p in root.glob(f"{folder}/*/*/*/*{ext_audio}")]
        files += [(str(p.parent.parent.parent), p.stem) for p in paths]
    files.sort(key=lambda x: x[0] + x[1])
    return files


def _librispeech_metadata(fileid: str, root: str, folder: str, ext_audio: str, ext_txt: str):
    """LibriSpeech's ``(relative audio path, rate, transcript, speaker, chapter, utterance)``."""
    speaker_id, chapter_id, utterance_id = fileid.split("-")
    filepath = os.path.join(folder, speaker_id, chapter_id, fileid + ext_audio)
    file_text = os.path.join(root, folder, speaker_id, chapter_id,
                             f"{speaker_id}-{chapter_id}{ext_txt}")
    with open(file_text) as ft:
        for line in ft:
            fileid_text, transcript = line.strip().split(" ", 1)
            if fileid_text == fileid:
                break
        else:
            raise FileNotFoundError(f"Translation not found for {fileid} in {file_text}")
    return (filepath, SAMPLE_RATE, transcript, int(speaker_id), int(chapter_id),
            int(utterance_id))


class LibriLightLimited(Dataset):
    """Libri-light's limited-supervision subsets (torchaudio's ``LibriLightLimited``).

    Args:
        root: folder where ``librispeech_finetuning`` is found or downloaded to.
        subset: ``"10min"`` (default: ``1h/0``), ``"1h"`` (``1h/*``) or ``"10h"`` (``1h/*`` and
            ``9h``).
        download: download and extract the archive when the folder is missing.

    Each item is LibriSpeech's ``(waveform, sample_rate, transcript, speaker_id, chapter_id,
    utterance_id)``, the ids as ints.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, subset: str = "10min", download: bool = False) -> None:
        if subset not in _SUBSET_MAP:
            raise ValueError(f"`subset` must be one of {list(_SUBSET_MAP)}. Found: {subset}")
        root = os.fspath(root)
        self._path = os.path.join(root, _ARCHIVE_NAME)
        if not os.path.isdir(self._path):
            if not download:
                raise RuntimeError(f"LibriLightLimited: dataset not found at {self._path}. "
                                   "Please use `download=True` to download")
            archive = hub.download(_URL, root, filename=f"{_ARCHIVE_NAME}.tgz",
                                   sha256=_CHECKSUM)
            hub.extract_archive(archive, root)
        self._fileids_paths = _get_fileids_paths(self._path, _SUBSET_MAP[subset],
                                                 self._ext_audio)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``."""
        folder, fileid = self._fileids_paths[n]
        metadata = _librispeech_metadata(fileid, self._path, folder, self._ext_audio,
                                         self._ext_txt)
        waveform, _ = load_waveform(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._fileids_paths)
