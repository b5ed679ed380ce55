"""LibriTTS (Zen et al., 2019): LibriSpeech re-cut for speech synthesis, 24 kHz WAV.

Layout: ``<root>/LibriTTS/<subset>/<speaker>/<chapter>/<speaker>_<chapter>_<seg>_<utt>.wav``
next to ``.original.txt`` (the book's text) and ``.normalized.txt`` (numbers etc. spelled out).
"""

from __future__ import annotations

import os
from pathlib import Path

from ember import hub
from ember.utils.data import Dataset

from .utils import _not_found, load_waveform

__all__ = ["LIBRITTS"]

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriTTS"
_BASE_URL = "http://www.openslr.org/resources/60/"
_SUBSETS = ("dev-clean", "dev-other", "test-clean", "test-other", "train-clean-100",
            "train-clean-360", "train-other-500")
# SHA-256 of the published archives (torchaudio's values), by file name.
_CHECKSUMS = {
    "dev-clean.tar.gz": "da0864e1bd26debed35da8a869dd5c04dfc27682921936de7cff9c8a254dbe1a",
    "dev-other.tar.gz": "d413eda26f3a152ac7c9cf3658ef85504dfb1b625296e5fa83727f5186cca79c",
    "test-clean.tar.gz": "234ea5b25859102a87024a4b9b86641f5b5aaaf1197335c95090cde04fe9a4f5",
    "test-other.tar.gz": "33a5342094f3bba7ccc2e0500b9e72d558f72eb99328ac8debe1d9080402f10d",
    "train-clean-100.tar.gz": "c5608bf1ef74bb621935382b8399c5cdd51cd3ee47cec51f00f885a64c6c7f6b",
    "train-clean-360.tar.gz": "ce7cff44dcac46009d18379f37ef36551123a1dc4e5c8e4eb73ae57260de4886",
    "train-other-500.tar.gz": "e35f7e34deeb2e2bdfe4403d88c8fdd5fbf64865cae41f027a185a6965f0a5df",
}


class LIBRITTS(Dataset):
    """The LibriTTS corpus (torchaudio's ``LIBRITTS``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: a subset (``"dev-clean"``, ``"dev-other"``, ``"test-clean"``, ``"test-other"``,
            ``"train-clean-100"`` default, ``"train-clean-360"``, ``"train-other-500"``) or an
            archive URL in the same layout.
        folder_in_archive: top-level folder (default ``"LibriTTS"``).
        download: download and extract the archive when the subset's folder is missing.

    Each item is ``(waveform, sample_rate, original_text, normalized_text, speaker_id,
    chapter_id, utterance_id)``: speaker and chapter ids as ints, utterance_id the file stem
    (``"84_121123_000007_000001"``).
    """

    _ext_original_txt = ".original.txt"
    _ext_normalized_txt = ".normalized.txt"
    _ext_audio = ".wav"

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        if url in _SUBSETS:
            url = _BASE_URL + url + ".tar.gz"
        root = os.fspath(root)
        basename = os.path.basename(url)
        self._path = os.path.join(root, folder_in_archive, basename.split(".")[0])
        if download and not os.path.isdir(self._path):
            archive = hub.download(url, root, sha256=_CHECKSUMS.get(basename))
            hub.extract_archive(archive, root)
        if not os.path.isdir(self._path):
            raise _not_found(self._path, "LIBRITTS")
        self._walker = sorted(p.stem for p in Path(self._path).glob("*/*/*" + self._ext_audio))

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, original_text, normalized_text, speaker_id, chapter_id,
        utterance_id)`` of the n-th utterance."""
        utterance_id = self._walker[n]
        speaker_id, chapter_id = utterance_id.split("_")[:2]
        stem = os.path.join(self._path, speaker_id, chapter_id, utterance_id)
        waveform, sample_rate = load_waveform(stem + self._ext_audio)
        with open(stem + self._ext_original_txt) as f:
            original_text = f.readline()
        with open(stem + self._ext_normalized_txt) as f:
            normalized_text = f.readline()
        return (waveform, sample_rate, original_text, normalized_text, int(speaker_id),
                int(chapter_id), utterance_id)

    def __len__(self) -> int:
        return len(self._walker)
