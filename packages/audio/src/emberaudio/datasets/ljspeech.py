"""LJSpeech 1.1 (Ito & Johnson, 2017): one speaker reading 13,100 passages, 22.05 kHz WAV.

Layout: ``<root>/LJSpeech-1.1/metadata.csv`` (``id|transcript|normalized transcript``, no
quoting) and ``<root>/LJSpeech-1.1/wavs/<id>.wav``.
"""

from __future__ import annotations

import csv
import os

from ember.utils.data import Dataset

from .utils import _not_found, download_and_extract, load_waveform

__all__ = ["LJSPEECH"]

_URL = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
_FOLDER_IN_ARCHIVE = "wavs"
_SHA256 = "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"


class LJSPEECH(Dataset):
    """The LJSpeech dataset (torchaudio's ``LJSPEECH``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: the archive's URL (default: keithito.com's ``LJSpeech-1.1.tar.bz2``).
        folder_in_archive: the audio folder inside the extracted one (default ``"wavs"``).
        download: download and extract the archive when the folder is missing.

    Each item is ``(waveform, sample_rate, transcript, normalized_transcript)``.
    """

    def __init__(self, root, url: str = _URL, folder_in_archive: str = _FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        root = os.fspath(root)
        basename = os.path.basename(url).split(".tar.bz2")[0]
        self._path = os.path.join(root, basename, folder_in_archive)
        self._metadata_path = os.path.join(root, basename, "metadata.csv")
        if download and not os.path.isdir(self._path):
            download_and_extract(url, root, sha256=_SHA256 if url == _URL else None)
        if not os.path.exists(self._path):
            raise _not_found(self._path, "LJSPEECH")
        # QUOTE_NONE: transcripts contain '"' characters that are text, not CSV quoting.
        with open(self._metadata_path, newline="", encoding="utf-8") as metadata:
            self._flist = [row for row in csv.reader(metadata, delimiter="|",
                                                     quoting=csv.QUOTE_NONE) if row]
        for i, row in enumerate(self._flist):
            if len(row) != 3:
                raise ValueError(f"LJSPEECH: {self._metadata_path} line {i + 1} has {len(row)} "
                                 "fields; expected 3 (id|transcript|normalized transcript)")

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, normalized_transcript)`` of the n-th clip."""
        fileid, transcript, normalized_transcript = self._flist[n]
        waveform, sample_rate = load_waveform(os.path.join(self._path, fileid + ".wav"))
        return waveform, sample_rate, transcript, normalized_transcript

    def __len__(self) -> int:
        return len(self._flist)
