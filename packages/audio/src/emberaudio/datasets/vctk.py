"""VCTK 0.92 (Yamagishi et al., 2019): 110 English speakers, 48 kHz FLAC, two microphones.

The zip extracts into ``<root>/VCTK-Corpus-0.92/`` holding ``txt/<speaker>/<speaker>_<utt>.txt``
and ``wav48_silence_trimmed/<speaker>/<speaker>_<utt>_<mic>.flac`` (``mic1`` or ``mic2``).
"""

from __future__ import annotations

import os

from ember import hub
from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["VCTK_092"]

URL = "https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip"
# SHA-256 of the published archive (the value torchaudio checks).
_CHECKSUMS = {URL: "f96258be9fdc2cbff6559541aae7ea4f59df3fcaf5cf963aae5ca647357e359c"}


class VCTK_092(Dataset):  # noqa: N801 (torchaudio's name)
    """The VCTK corpus, version 0.92 (torchaudio's ``VCTK_092``).

    Args:
        root: folder holding (or receiving) ``VCTK-Corpus-0.92``.
        mic_id: ``"mic1"`` or ``"mic2"`` (default).
        download: download and extract the zip when the folder is missing.
        url: the archive's URL.
        audio_ext: audio file extension (default ``".flac"``), for converted copies.

    Each item is ``(waveform, sample_rate, transcript, speaker_id, utterance_id)``: waveform
    ``(1, frames)`` float32, transcript the first line of the text file (newline kept, as
    torchaudio reads it), ids as strings (``"p225"``, ``"001"``).

    As torchaudio: speaker ``p280`` is skipped for ``mic2`` (no audio), and utterances of
    ``p362`` whose audio is missing are skipped; ``p315`` has no text files, so no items.

    Example:
        >>> ds = VCTK_092("data", mic_id="mic1")
        >>> waveform, sr, text, speaker, utt = ds[0]
    """

    def __init__(self, root, mic_id: str = "mic2", download: bool = False, url: str = URL,
                 audio_ext: str = ".flac") -> None:
        if mic_id not in ("mic1", "mic2"):
            raise RuntimeError(f'`mic_id` has to be either "mic1" or "mic2". Found: {mic_id}')
        root = os.fspath(root)
        self._path = os.path.join(root, "VCTK-Corpus-0.92")
        self._txt_dir = os.path.join(self._path, "txt")
        self._audio_dir = os.path.join(self._path, "wav48_silence_trimmed")
        self._mic_id = mic_id
        self._audio_ext = audio_ext
        if download and not os.path.isdir(self._path):
            archive = hub.download(url, root, filename="VCTK-Corpus-0.92.zip",
                                   sha256=_CHECKSUMS.get(url))
            hub.extract_archive(archive, self._path)  # the zip has no top folder
        if not os.path.isdir(self._path):
            raise RuntimeError(f"VCTK_092: dataset not found at {self._path}. "
                               "Please use `download=True` to download it.")

        self._sample_ids: list[list[str]] = []
        for speaker_id in sorted(os.listdir(self._txt_dir)):
            if speaker_id == "p280" and mic_id == "mic2":
                continue
            utterance_dir = os.path.join(self._txt_dir, speaker_id)
            for name in sorted(f for f in os.listdir(utterance_dir) if f.endswith(".txt")):
                utterance_id = os.path.splitext(name)[0]
                audio = os.path.join(self._audio_dir, speaker_id,
                                     f"{utterance_id}_{mic_id}{audio_ext}")
                if speaker_id == "p362" and not os.path.isfile(audio):
                    continue
                self._sample_ids.append(utterance_id.split("_"))

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, speaker_id, utterance_id)`` of the n-th item."""
        speaker_id, utterance_id = self._sample_ids[n]
        with open(os.path.join(self._txt_dir, speaker_id, f"{speaker_id}_{utterance_id}.txt")) as f:
            transcript = f.readlines()[0]
        audio = os.path.join(self._audio_dir, speaker_id,
                             f"{speaker_id}_{utterance_id}_{self._mic_id}{self._audio_ext}")
        waveform, sample_rate = load_waveform(audio)
        return waveform, sample_rate, transcript, speaker_id, utterance_id

    def __len__(self) -> int:
        return len(self._sample_ids)
