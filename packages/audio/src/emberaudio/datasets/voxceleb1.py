"""VoxCeleb1 (Nagrani et al., 2017): celebrities' speech from YouTube, 16 kHz WAV.

The dev and test zips extract into ``<root>/wav/<speaker id10001>/<youtube id>/<00001>.wav``;
the dev zip is published in four parts that are concatenated before extraction. The task lists
come as separate files: ``iden_split.txt`` (``1 id10001/1zcIwhmdeo4/00001.wav``, 1/2/3 =
train/dev/test) and ``veri_test.txt`` (``1 id10270/x6uYqmx31kE/00001.wav id10270/...``).
"""

from __future__ import annotations

import os
import shutil

from ember import hub
from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["VoxCeleb1Identification", "VoxCeleb1Verification"]

SAMPLE_RATE = 16000
_BASE = "https://thor.robots.ox.ac.uk/~vgg/data/voxceleb/vox1a/"
# SHA-256 of each file (torchaudio's values).
_ARCHIVE_CONFIGS = {
    "dev": {
        "archive_name": "vox1_dev_wav.zip",
        "urls": [_BASE + "vox1_dev_wav_partaa", _BASE + "vox1_dev_wav_partab",
                 _BASE + "vox1_dev_wav_partac", _BASE + "vox1_dev_wav_partad"],
        "checksums": [
            "21ec6ca843659ebc2fdbe04b530baa4f191ad4b0971912672d92c158f32226a0",
            "311d21e0c8cbf33573a4fce6c80e5a279d80736274b381c394319fc557159a04",
            "92b64465f2b2a3dc0e4196ae8dd6828cbe9ddd1f089419a11e4cbfe2e1750df0",
            "00e6190c770b27f27d2a3dd26ee15596b17066b715ac111906861a7d09a211a5",
        ],
    },
    "test": {
        "archive_name": "vox1_test_wav.zip",
        "url": _BASE + "vox1_test_wav.zip",
        "checksum": "8de57f347fe22b2c24526e9f444f689ecf5096fc2a92018cf420ff6b5b15eaea",
    },
}
_IDEN_SPLIT_URL = "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/iden_split.txt"
_VERI_TEST_URL = "https://www.robots.ox.ac.uk/~vgg/data/voxceleb/meta/veri_test.txt"
_EXT_AUDIO = ".wav"


def _download_extract_wavs(root: str) -> None:
    dev = _ARCHIVE_CONFIGS["dev"]
    dev_archive = os.path.join(root, dev["archive_name"])
    parts = [hub.download(url, root, sha256=checksum)
             for url, checksum in zip(dev["urls"], dev["checksums"])]
    with open(dev_archive + ".part", "wb") as out:  # the parts are one zip cut in four
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)
    os.replace(dev_archive + ".part", dev_archive)
    hub.extract_archive(dev_archive, root)
    test = _ARCHIVE_CONFIGS["test"]
    test_archive = hub.download(test["url"], root, filename=test["archive_name"],
                                sha256=test["checksum"])
    hub.extract_archive(test_archive, root)


def _get_file_id(file_path: str) -> str:
    """``id10001/1zcIwhmdeo4/00001.wav`` -> ``id10001-1zcIwhmdeo4-00001``."""
    speaker_id, youtube_id, utterance_id = file_path.split("/")[-3:]
    return "-".join([speaker_id, youtube_id, utterance_id.replace(_EXT_AUDIO, "")])


class _VoxCeleb1(Dataset):
    """Shared part: find (or download) ``<root>/wav`` and the task's metadata file."""

    def __init__(self, root, download: bool, meta_url: str) -> None:
        root = os.fspath(root)
        self._path = os.path.join(root, "wav")
        if not os.path.isdir(self._path):
            if not download:
                raise RuntimeError(f"Dataset not found at {self._path}. "
                                   "Please set `download=True` to download the dataset.")
            _download_extract_wavs(root)
        # As torchaudio, the small metadata file is fetched whenever it is missing.
        self._meta_path = os.path.join(root, os.path.basename(meta_url))
        if not os.path.exists(self._meta_path):
            hub.download(meta_url, root, filename=os.path.basename(meta_url))


class VoxCeleb1Identification(_VoxCeleb1):
    """VoxCeleb1 speaker identification (torchaudio's ``VoxCeleb1Identification``).

    Args:
        root: folder holding (or receiving) ``wav/`` and the split file.
        subset: ``"train"`` (default), ``"dev"`` or ``"test"`` (ids 1, 2, 3 in the split file).
        meta_url: URL of ``iden_split.txt`` (fetched when missing from ``root``).
        download: download, join and extract the audio zips when ``wav/`` is missing.

    Each item is ``(waveform, sample_rate, speaker_id, file_id)``: speaker_id the int of the
    folder name's digits after ``id1`` (``id10001`` -> 1, ``id11251`` -> 1251: the dataset's
    speaker number, as torchaudio computes it), file_id ``"id10001-1zcIwhmdeo4-00001"``.
    """

    def __init__(self, root, subset: str = "train", meta_url: str = _IDEN_SPLIT_URL,
                 download: bool = False) -> None:
        if subset not in ("train", "dev", "test"):
            raise ValueError("`subset` must be one of ['train', 'dev', 'test']")
        super().__init__(root, download, meta_url)
        index = {"train": 1, "dev": 2, "test": 3}[subset]
        with open(self._meta_path) as f:
            rows = [line.split() for line in f if line.strip()]
        self._flist = sorted(path for split, path in rows if int(split) == index)

    def get_metadata(self, n: int) -> tuple[str, int, int, str]:
        """``(path relative to wav/, sample_rate, speaker_id, file_id)``."""
        file_path = self._flist[n]
        file_id = _get_file_id(file_path)
        return file_path, SAMPLE_RATE, int(file_id.split("-")[0][3:]), file_id

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, speaker_id, file_id)`` of the n-th utterance."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self._flist)


class VoxCeleb1Verification(_VoxCeleb1):
    """VoxCeleb1 speaker verification pairs (torchaudio's ``VoxCeleb1Verification``).

    Args:
        root: folder holding (or receiving) ``wav/`` and the pair list.
        meta_url: URL of ``veri_test.txt`` (fetched when missing from ``root``).
        download: download, join and extract the audio zips when ``wav/`` is missing.

    Each item is ``(waveform_spk1, waveform_spk2, sample_rate, label, file_id_spk1,
    file_id_spk2)``, label 1 when both utterances are the same speaker's, else 0.
    """

    def __init__(self, root, meta_url: str = _VERI_TEST_URL, download: bool = False) -> None:
        super().__init__(root, download, meta_url)
        with open(self._meta_path) as f:
            self._flist = [tuple(line.split()) for line in f if line.strip()]

    def get_metadata(self, n: int) -> tuple[str, str, int, int, str, str]:
        """``(path1, path2, sample_rate, label, file_id1, file_id2)``, paths relative to wav/."""
        label, path1, path2 = self._flist[n]
        return (path1, path2, SAMPLE_RATE, int(label), _get_file_id(path1),
                _get_file_id(path2))

    def __getitem__(self, n: int):
        """``(waveform_spk1, waveform_spk2, sample_rate, label, file_id_spk1, file_id_spk2)``."""
        metadata = self.get_metadata(n)
        first, _ = load_waveform(os.path.join(self._path, metadata[0]), metadata[2])
        second, _ = load_waveform(os.path.join(self._path, metadata[1]), metadata[2])
        return (first, second) + metadata[2:]

    def __len__(self) -> int:
        return len(self._flist)
