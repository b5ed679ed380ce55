"""ESC-50 (Piczak 2015): 2000 five-second environmental recordings, 40 in each of 50 classes,
44.1 kHz mono, pre-arranged into 5 folds for cross-validation.

Layout of the published archive (GitHub's ``master.zip``)::

    ESC-50-master/audio/1-100032-A-0.wav     {fold}-{freesound id}-{take}-{target}.wav
    ESC-50-master/meta/esc50.csv             filename,fold,target,category,esc10,src_file,take

torchaudio has no ESC-50 reader; this one follows its dataset conventions (``root``, ``url``,
``folder_in_archive``, ``download``; items start with ``(waveform, sample_rate, ...)``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import NamedTuple

from ember.utils.data import Dataset

from .utils import download_and_extract, load_waveform

__all__ = ["ESC50", "ESC50Meta"]

# The repository's branch archive: GitHub builds it on request, so its bytes (and any checksum)
# are not stable; the download is checked by reading meta/esc50.csv instead.
URL = "https://github.com/karoldvl/ESC-50/archive/master.zip"
FOLDER_IN_ARCHIVE = "ESC-50-master"
_COLUMNS = ("filename", "fold", "target", "category", "esc10", "src_file", "take")


class ESC50Meta(NamedTuple):
    """One row of ``meta/esc50.csv``."""

    filename: str
    fold: int
    target: int
    category: str
    esc10: bool
    src_file: str
    take: str


class ESC50(Dataset):
    """The ESC-50 environmental sound classification dataset.

    Args:
        root: folder where the dataset is found or downloaded to.
        fold: which of the five folds to use: an int (1-5), several (``[1, 2, 3, 4]`` to
            train, ``5`` to test: the published 5-fold cross-validation), or None for all.
        esc10: keep only the ESC-10 subset (10 classes, 400 clips); targets stay the ESC-50
            ones.
        url: the archive's URL (default: GitHub's ``master.zip``).
        folder_in_archive: the dataset's top-level folder (default ``"ESC-50-master"``).
        download: download and extract the archive when the folder is missing.

    Each item is ``(waveform, sample_rate, target)``: waveform ``(1, frames)`` float32, target
    the class index (0-49). ``classes[target]`` is the category name and
    :meth:`get_metadata` the file's whole csv row.

    Example:
        >>> train = ESC50("data", fold=[1, 2, 3, 4])
        >>> test = ESC50("data", fold=5)
        >>> waveform, sample_rate, target = test[0]
    """

    def __init__(self, root, fold: int | Iterable[int] | None = None, esc10: bool = False,
                 url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        folds = None if fold is None else {fold} if isinstance(fold, int) else set(fold)
        if folds is not None and (not folds or not folds <= {1, 2, 3, 4, 5}):
            raise ValueError(f"ESC50: fold must be an int in 1..5, several of them, or None; "
                             f"got {fold!r}")
        root = os.fspath(root)
        self._path = os.path.join(root, folder_in_archive)
        if download and not os.path.isdir(self._path):
            download_and_extract(url, root)
        meta_path = os.path.join(self._path, "meta", "esc50.csv")
        if not os.path.isfile(meta_path):
            raise RuntimeError(f"ESC50: dataset not found at {self._path} (no meta/esc50.csv). "
                               "Please use `download=True` to download it.")
        rows = self._read_meta(meta_path)
        self.classes = [""] * (1 + max((r.target for r in rows), default=-1))
        for r in rows:  # every class, whatever the fold filter keeps
            self.classes[r.target] = r.category
        self._rows = [r for r in rows if (folds is None or r.fold in folds)
                      and (r.esc10 or not esc10)]

    @staticmethod
    def _read_meta(path: str) -> list[ESC50Meta]:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = tuple(next(reader, ()))
            if header != _COLUMNS:
                raise RuntimeError(f"ESC50: {path} has columns {list(header)}, expected "
                                   f"{list(_COLUMNS)}")
            rows = []
            for line, r in enumerate(reader, start=2):
                try:
                    rows.append(ESC50Meta(r[0], int(r[1]), int(r[2]), r[3], r[4] == "True",
                                          r[5], r[6]))
                except (IndexError, ValueError):
                    raise RuntimeError(f"ESC50: {path} line {line} is not a valid row: "
                                       f"{r}") from None
        return rows

    def get_metadata(self, n: int) -> ESC50Meta:
        """The csv row of the n-th clip (no audio is read)."""
        return self._rows[n]

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, target)`` of the n-th clip."""
        row = self._rows[n]
        waveform, sample_rate = load_waveform(os.path.join(self._path, "audio", row.filename))
        return waveform, sample_rate, row.target

    def __len__(self) -> int:
        return len(self._rows)
