"""GTZAN (Tzanetakis & Cook 2002): 1000 30-second music clips, 100 in each of ten genres,
22.05 kHz mono, laid out as ``genres/<genre>/<genre>.000NN.wav``.

The ``subset`` splits are torchaudio's "fault-filtered" ones (from
jordipons/sklearn-audio-transfer-learning, after Sturm's analysis of GTZAN's repeated and
mislabelled clips): 443 training, 197 validation and 290 testing clips; the 70 faulty clips
are in none. They are stored here as per-genre ranges of clip numbers (the same file lists
as torchaudio's ``filtered_train`` / ``filtered_valid`` / ``filtered_test``).
"""

from __future__ import annotations

import os

from ember.utils.data import Dataset

from .utils import download_and_extract, load_waveform

__all__ = ["GTZAN", "gtzan_genres"]

URL = "http://opihi.cs.uvic.ca/sound/genres.tar.gz"
FOLDER_IN_ARCHIVE = "genres"
_CHECKSUMS = {URL: "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"}

gtzan_genres = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop",
                "reggae", "rock"]

# genre -> clip numbers, as inclusive ranges "a-b" or single numbers
_SPLITS = {
    "training": {
        "blues": "29-49 73-97",
        "classical": "30-33 43-48 50-67 80-99",
        "country": "19-26 28-29 65-99",
        "disco": "5 15-20 22-37 39-45 47 49 53-54 56-57 59 61 70 73-74 89",
        "hiphop": "2-25 28-29 31-38 41-42 55-61 77-80",
        "jazz": "0-1 11-24 41 47-72",
        "metal": "2-3 5 21 24 35 46-57 59-66 69 71-72 79-80 84 86 89-99",
        "pop": "2-9 11-12 16-20 23-29 31-36 38-42 44 46 49-50 80 97-99",
        "reggae": "0-2 4 6 9 11-12 14-32 42-45 49-51 54-60 63 69",
        "rock": "0-9 16-26 57-70 91-99",
    },
    "validation": {
        "blues": "0-11 50-60",
        "classical": "0-10 68-76",
        "country": "0-7 9-18 27 41-42 45 49",
        "disco": "0 2-4 6-14 46 48 52 67-68 72 75 90 95",
        "hiphop": "81-98",
        "jazz": "2-10 25-32",
        "metal": "0-1 6-11 16-20 36-37 68 76-77 81-82",
        "pop": "10 53 55 58-62 81 83-86",
        "reggae": "61-62 70 72 74 76-78 85 92-99",
        "rock": "38 49-56 71-85",
    },
    "testing": {
        "blues": "12-28 61-72 98-99",
        "classical": "11-29 34-41 49 77-79",
        "country": "30-40 43-44 46-48 50-51 53-64",
        "disco": "1 21 58 62-66 69 76-88 91-94 96-97 99",
        "hiphop": "0 26-27 30 40 43-45 51-54 62-75 99",
        "jazz": "73-99",
        "metal": "12-15 22-23 25-33 38-39 67 70 73-75 78 83 85 87-88",
        "pop": "0-1 13-14 43 63-66 69-79 82 88-96",
        "reggae": "34-40 46-48 52-53 64-68 71 79 82-84 87-90",
        "rock": "10-15 27-37 39-48 86-90",
    },
}


def _split_ids(subset: str) -> list[str]:
    """The file ids (``"blues.00029"``...) of one filtered split, genre by genre, ascending."""
    ids = []
    for genre in gtzan_genres:
        for part in _SPLITS[subset][genre].split():
            first, _, last = part.partition("-")
            ids += [f"{genre}.{n:05d}" for n in range(int(first), int(last or first) + 1)]
    return ids


def _scan(path: str) -> list[str]:
    """Every ``<genre>/<genre>.NNNNN.wav`` present, genre by genre in name order (torchaudio's
    walk: files may be removed or moved between genre folders)."""
    ids = []
    for genre in gtzan_genres:
        folder = os.path.join(path, genre)
        if not os.path.isdir(folder):
            continue
        for fname in sorted(os.listdir(folder)):
            name, ext = os.path.splitext(fname)
            if ext.lower() != ".wav" or name.count(".") != 1:
                continue
            label, num = name.split(".")
            if label in gtzan_genres and len(num) == 5 and num.isdigit():
                ids.append(name)
    return ids


class GTZAN(Dataset):
    """The GTZAN music-genre dataset (torchaudio's ``GTZAN``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: the archive's URL (default: the original ``genres.tar.gz``; note that host has
            been unreachable since 2022, so ``url`` usually has to name a mirror).
        folder_in_archive: the dataset's top-level folder (default ``"genres"``).
        download: download and extract the archive when the folder is missing (the SHA-256
            is checked for the default URL).
        subset: ``"training"``, ``"validation"``, ``"testing"`` (the fault-filtered splits) or
            None for every ``<genre>/<genre>.NNNNN.wav`` found under the folder.

    Each item is ``(waveform, sample_rate, label)``: waveform ``(1, frames)`` float32, the
    genre name as the label (it is the file name's prefix).

    Example:
        >>> ds = GTZAN("data", subset="training")
        >>> waveform, sample_rate, genre = ds[0]  # genre == "blues"
    """

    _ext_audio = ".wav"

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False, subset: str | None = None) -> None:
        if subset is not None and subset not in _SPLITS:
            raise ValueError("When `subset` is not None, it must be one of "
                             "['training', 'validation', 'testing'].")
        root = os.fspath(root)
        self.root, self.url, self.subset = root, url, subset
        self._path = os.path.join(root, folder_in_archive)
        if download and not os.path.isdir(self._path):
            download_and_extract(url, root, sha256=_CHECKSUMS.get(url))
        if not os.path.isdir(self._path):
            raise RuntimeError(f"GTZAN: dataset not found at {self._path}. "
                               "Please use `download=True` to download it.")
        self._walker = _scan(self._path) if subset is None else _split_ids(subset)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, label)`` of the n-th clip."""
        fileid = self._walker[n]
        label = fileid.split(".")[0]
        path = os.path.join(self._path, label, fileid + self._ext_audio)
        if not os.path.isfile(path):
            raise RuntimeError(f"GTZAN: clip '{fileid}' of the {self.subset} split is missing "
                               f"({path}); the split lists every filtered clip of the full "
                               f"dataset, so extract the complete archive")
        waveform, sample_rate = load_waveform(path)
        return waveform, sample_rate, label

    def __len__(self) -> int:
        return len(self._walker)
