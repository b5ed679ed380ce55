"""YesNo (OpenSLR 1): 60 recordings of one man saying eight Hebrew "yes"/"no" words, 8 kHz.

The file name carries the labels: ``0_1_0_0_1_0_1_1.wav`` is no, yes, no, no, yes, no, yes, yes.
"""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import download_and_extract, load_waveform

__all__ = ["YESNO"]

_URL = "http://www.openslr.org/resources/1/waves_yesno.tar.gz"
_FOLDER_IN_ARCHIVE = "waves_yesno"
_SHA256 = "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73"


class YESNO(Dataset):
    """The YesNo dataset (torchaudio's ``YESNO``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: the archive's URL (default: OpenSLR's ``waves_yesno.tar.gz``).
        folder_in_archive: the folder the archive extracts to (default ``"waves_yesno"``).
        download: download and extract the archive when the folder is missing.

    Each item is ``(waveform, sample_rate, labels)``: waveform ``(1, frames)`` float32, labels a
    list of eight ints (1 = yes) read from the file name.
    """

    def __init__(self, root, url: str = _URL, folder_in_archive: str = _FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        root = os.fspath(root)
        self._path = os.path.join(root, folder_in_archive)
        if download and not os.path.isdir(self._path):
            download_and_extract(url, root, sha256=_SHA256 if url == _URL else None)
        if not os.path.isdir(self._path):
            raise RuntimeError(f"YESNO: dataset not found at {self._path}. "
                               "Please use `download=True` to download it.")
        self._walker = sorted(p.stem for p in Path(self._path).glob("*.wav"))

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, labels)`` of the n-th recording."""
        fileid = self._walker[n]
        try:
            labels = [int(c) for c in fileid.split("_")]
        except ValueError:
            raise ValueError(f"YESNO: file name '{fileid}.wav' is not eight 0/1 labels joined "
                             "by '_' (e.g. 0_1_0_0_1_0_1_1.wav)") from None
        waveform, sample_rate = load_waveform(os.path.join(self._path, fileid + ".wav"))
        return waveform, sample_rate, labels

    def __len__(self) -> int:
        return len(self._walker)
