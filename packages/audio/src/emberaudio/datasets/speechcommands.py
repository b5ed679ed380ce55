"""Speech Commands (Warden, 2018): one-second keyword clips, 16 kHz, torchaudio's layout.

The archive extracts to ``<root>/SpeechCommands/speech_commands_v0.02/`` holding one folder per
word (``yes/0a7c2a8d_nohash_0.wav``...), a ``_background_noise_`` folder (not items) and the
split lists ``validation_list.txt`` and ``testing_list.txt`` (paths relative to that folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import _not_found, download_and_extract, load_waveform

__all__ = ["SPEECHCOMMANDS"]

FOLDER_IN_ARCHIVE = "SpeechCommands"
URL = "speech_commands_v0.02"
HASH_DIVIDER = "_nohash_"
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000
_BASE_URL = "http://download.tensorflow.org/data/"
# SHA-256 of the published archives (the values torchaudio checks).
_CHECKSUMS = {
    _BASE_URL + "speech_commands_v0.01.tar.gz":
        "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
    _BASE_URL + "speech_commands_v0.02.tar.gz":
        "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
}
_SUBSETS = ("training", "validation", "testing")


def _load_list(root: str, *filenames: str) -> list[str]:
    output = []
    for filename in filenames:
        with open(os.path.join(root, filename)) as fileobj:
            output += [os.path.normpath(os.path.join(root, line.strip()))
                       for line in fileobj if line.strip()]
    return output


class SPEECHCOMMANDS(Dataset):
    """The Speech Commands dataset (torchaudio's ``SPEECHCOMMANDS``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: ``"speech_commands_v0.01"``, ``"speech_commands_v0.02"`` (default) or a full URL
            of an archive in the same layout.
        folder_in_archive: top-level folder under ``root`` (default ``"SpeechCommands"``).
        download: download and extract the archive when the folder is missing.
        subset: ``None`` (every clip), ``"validation"`` and ``"testing"`` (the clips named in
            ``validation_list.txt`` / ``testing_list.txt``) or ``"training"`` (all the others).

    Each item is ``(waveform, sample_rate, label, speaker_id, utterance_number)``: waveform a
    ``(1, frames)`` float32 tensor, label the word (folder name), speaker_id the hash before
    ``_nohash_``, utterance_number the int after it.

    Example:
        >>> ds = SPEECHCOMMANDS("data", download=True, subset="testing")
        >>> waveform, sr, label, speaker, n = ds[0]
    """

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False, subset: str | None = None) -> None:
        if subset is not None and subset not in _SUBSETS:
            raise ValueError("When `subset` is not None, it must be one of "
                             "['training', 'validation', 'testing'].")
        if url in ("speech_commands_v0.01", "speech_commands_v0.02"):
            url = _BASE_URL + url + ".tar.gz"
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        basename = os.path.basename(url).rsplit(".", 2)[0]  # drop ".tar.gz"
        self._path = os.path.join(root, folder_in_archive, basename)

        if download and not os.path.isdir(self._path):
            # The archive has no top folder: extract straight into the dataset folder.
            download_and_extract(url, root, self._path, sha256=_CHECKSUMS.get(url))
        if not os.path.isdir(self._path):
            raise _not_found(self._path, "SPEECHCOMMANDS")

        if subset == "validation":
            self._walker = _load_list(self._path, "validation_list.txt")
        elif subset == "testing":
            self._walker = _load_list(self._path, "testing_list.txt")
        else:
            walker = sorted(str(p) for p in Path(self._path).glob("*/*.wav"))
            walker = [w for w in walker if HASH_DIVIDER in w and EXCEPT_FOLDER not in w]
            if subset == "training":
                excludes = set(_load_list(self._path, "validation_list.txt",
                                          "testing_list.txt"))
                walker = [w for w in walker if os.path.normpath(w) not in excludes]
            self._walker = walker

    def get_metadata(self, n: int) -> tuple[str, int, str, str, int]:
        """The n-th item with the audio's path (relative to ``root/folder_in_archive``) in
        place of the waveform: ``(path, sample_rate, label, speaker_id, utterance_number)``."""
        relpath = os.path.relpath(self._walker[n], self._archive)
        reldir, filename = os.path.split(relpath)
        label = os.path.basename(reldir)
        # Names in the alternative test-set archives end in ".wav.wav": strip twice.
        speaker = os.path.splitext(os.path.splitext(filename)[0])[0]
        speaker_id, utterance_number = speaker.split(HASH_DIVIDER)
        return relpath, SAMPLE_RATE, label, speaker_id, int(utterance_number)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, label, speaker_id, utterance_number)`` of the n-th clip."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(os.path.join(self._archive, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
