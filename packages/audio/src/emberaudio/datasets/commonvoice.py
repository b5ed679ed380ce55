"""Mozilla Common Voice: crowd-sourced read speech, MP3 clips and tab-separated metadata.

Layout of one language's release (downloaded by hand: the archives need a sign-in):
``<root>/{train,dev,test,validated,invalidated,other}.tsv`` and ``<root>/clips/*.mp3``. Each tsv
has a header row (``client_id  path  sentence  up_votes  down_votes  age  gender  accent...``).
"""

from __future__ import annotations

import csv
import os

from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["COMMONVOICE"]


class COMMONVOICE(Dataset):
    """One split of a Common Voice release (torchaudio's ``COMMONVOICE``; no download).

    Args:
        root: the folder holding the tsv files and ``clips/``.
        tsv: the split's file (``"train.tsv"`` default, ``"dev.tsv"``, ``"test.tsv"``,
            ``"validated.tsv"``, ``"invalidated.tsv"``, ``"other.tsv"``).

    Each item is ``(waveform, sample_rate, metadata)``: metadata the tsv row as a dict keyed
    by the header (``"client_id"``, ``"path"``, ``"sentence"``, ...), all values strings.
    """

    _ext_txt = ".txt"
    _ext_audio = ".mp3"
    _folder_audio = "clips"

    def __init__(self, root, tsv: str = "train.tsv") -> None:
        self._path = os.fspath(root)
        self._tsv = os.path.join(self._path, tsv)
        if not os.path.isfile(self._tsv):
            raise RuntimeError(f"COMMONVOICE: {self._tsv} doesn't exist; `root` must be the "
                               "folder holding the release's tsv files and clips/")
        # QUOTE_NONE: sentences hold bare quotes, the tsv does not quote fields.
        with open(self._tsv, newline="", encoding="utf-8") as f:
            walker = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            self._header = next(walker)
            self._walker = list(walker)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, metadata)`` of the n-th row."""
        line = self._walker[n]
        if self._header[1] != "path":
            raise ValueError(f"expect `header[1]` to be 'path', but got {self._header[1]}")
        filename = os.path.join(self._path, self._folder_audio, line[1])
        if not filename.endswith(self._ext_audio):
            filename += self._ext_audio
        waveform, sample_rate = load_waveform(filename)
        return waveform, sample_rate, dict(zip(self._header, line))

    def __len__(self) -> int:
        return len(self._walker)
