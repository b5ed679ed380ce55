"""LibriSpeech (Panayotov et al., 2015): read English audiobooks, 16 kHz FLAC, transcripts.

Layout: ``<root>/LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac`` and
one ``<speaker>-<chapter>.trans.txt`` per chapter, each line ``<speaker>-<chapter>-<utt> TEXT``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _not_found, download_and_extract, load_waveform

__all__ = ["LIBRISPEECH"]

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriSpeech"
SAMPLE_RATE = 16000
_BASE_URL = "http://www.openslr.org/resources/12/"
# SHA-256 of the published archives (the values torchaudio checks).
_CHECKSUMS = {
    "dev-clean": "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
    "dev-other": "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
    "test-clean": "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
    "test-other": "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
    "train-clean-100": "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
    "train-clean-360": "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
    "train-other-500": "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
}


class LIBRISPEECH(Dataset):
    """The LibriSpeech corpus (torchaudio's ``LIBRISPEECH``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: the subset: ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``, ``"test-other"``,
            ``"train-clean-100"`` (default), ``"train-clean-360"`` or ``"train-other-500"``.
        folder_in_archive: top-level folder (default ``"LibriSpeech"``).
        download: download and extract the subset's archive when its folder is missing.

    Each item is ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``
    with waveform ``(1, frames)`` float32 and the three ids as ints.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        if url not in _CHECKSUMS:
            raise ValueError(f"Invalid url '{url}' given; please provide one of "
                             f"{list(_CHECKSUMS)}.")
        self._url = url
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        self._path = os.path.join(root, folder_in_archive, url)
        if download and not os.path.isdir(self._path):
            download_and_extract(_BASE_URL + url + ".tar.gz", root, sha256=_CHECKSUMS[url])
        if not os.path.isdir(self._path):
            raise _not_found(self._path, "LIBRISPEECH")
        self._walker = sorted(p.stem for p in Path(self._path).glob("*/*/*" + self._ext_audio))
        self._transcripts: dict[str, dict[str, str]] = {}  # chapter file -> {utterance: text}

    def _transcript(self, speaker: str, chapter: str, fileid: str) -> str:
        path = os.path.join(self._path, speaker, chapter, f"{speaker}-{chapter}{self._ext_txt}")
        table = self._transcripts.get(path)
        if table is None:  # read each chapter's transcript file once
            with open(path) as f:
                table = dict(line.strip().split(" ", 1) for line in f if " " in line.strip())
            self._transcripts[path] = table
        if fileid not in table:
            raise FileNotFoundError(f"LIBRISPEECH: translation not found for {fileid} in {path}")
        return table[fileid]

    def get_metadata(self, n: int) -> tuple[str, int, str, int, int, int]:
        """The n-th item with the audio's path (relative to ``root/folder_in_archive``) in
        place of the waveform."""
        fileid = self._walker[n]
        speaker, chapter, utterance = fileid.split("-")
        relpath = os.path.join(self._url, speaker, chapter, fileid + self._ext_audio)
        transcript = self._transcript(speaker, chapter, fileid)
        return relpath, SAMPLE_RATE, transcript, int(speaker), int(chapter), int(utterance)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)``."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(os.path.join(self._archive, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
