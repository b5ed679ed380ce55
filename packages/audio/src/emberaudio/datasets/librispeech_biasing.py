"""LibriSpeech with per-utterance biasing words (Le et al., 2021, contextual biasing for
TCPGen): LibriSpeech's layout and archives; each item also lists the words of a given biasing
list that occur in its transcript.
"""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .librispeech import _BASE_URL, _CHECKSUMS
from .utils import download_and_extract, load_waveform

__all__ = ["LibriSpeechBiasing"]

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriSpeech"
SAMPLE_RATE = 16000


def _get_librispeech_metadata(fileid: str, root: str, folder: str, ext_audio: str,
                              ext_txt: str, blist):
    blist = blist or []
    speaker_id, chapter_id, utterance_id = fileid.split("-")
    filepath = os.path.join(folder, speaker_id, chapter_id, fileid + ext_audio)
    file_text = os.path.join(root, folder, speaker_id, chapter_id,
                             f"{speaker_id}-{chapter_id}{ext_txt}")
    uttblist: list[str] = []
    with open(file_text) as ft:
        for line in ft:
            fileid_text, transcript = line.strip().split(" ", 1)
            if fileid_text == fileid:
                # the biasing words in the utterance, each once, in order of appearance
                for word in transcript.split():
                    if word in blist and word not in uttblist:
                        uttblist.append(word)
                break
        else:
            raise FileNotFoundError(f"Translation not found for {fileid} in {file_text}")
    return (filepath, SAMPLE_RATE, transcript, int(speaker_id), int(chapter_id),
            int(utterance_id), uttblist)


class LibriSpeechBiasing(Dataset):
    """LibriSpeech with biasing lists (torchaudio's ``LibriSpeechBiasing``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: the subset: ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``, ``"test-other"``,
            ``"train-clean-100"`` (default), ``"train-clean-360"`` or ``"train-other-500"``.
        folder_in_archive: top-level folder (default ``"LibriSpeech"``).
        download: download and extract the subset's archive when its folder is missing.
        blist: the biasing words (default none).

    Each item is ``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id,
    biasing_words)``, biasing_words the words of ``blist`` found in the transcript.
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False, blist: list[str] | None = None) -> None:
        if url not in _CHECKSUMS:
            raise ValueError(f"Invalid url '{url}' given; please provide one of "
                             f"{list(_CHECKSUMS)}.")
        self._url = url
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        self._path = os.path.join(root, folder_in_archive, url)
        if not os.path.isdir(self._path):
            if not download:
                raise RuntimeError(f"Dataset not found at {self._path}. "
                                   "Please set `download=True` to download the dataset.")
            download_and_extract(_BASE_URL + url + ".tar.gz", root, sha256=_CHECKSUMS[url])
        self._walker = sorted(p.stem for p in Path(self._path).glob("*/*/*" + self._ext_audio))
        self.blist = blist

    def get_metadata(self, n: int):
        """The n-th item with the audio's path (relative to ``root/folder_in_archive``) in
        place of the waveform."""
        return _get_librispeech_metadata(self._walker[n], self._archive, self._url,
                                         self._ext_audio, self._ext_txt, self.blist)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id,
        biasing_words)`` of the n-th utterance."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(os.path.join(self._archive, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
