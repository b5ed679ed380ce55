"""TED-LIUM (Rousseau et al., 2012/2014/2018): TED talks, 16 kHz NIST SPHERE, STM segments.

Layout (release 1/2): ``<root>/TEDLIUM_release<N>/<subset>/{sph,stm}/<talk>.{sph,stm}``; release 3
keeps its training talks in ``TEDLIUM_release-3/data/`` and dev/test in ``legacy/<subset>/``.
Each STM line is one segment: ``talk channel speaker start end <identifier> transcript``.
"""

from __future__ import annotations

import os

import numpy as np
import soundfile

import ember
from ember import hub
from ember.utils.data import Dataset

from .utils import _not_found

__all__ = ["TEDLIUM"]

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "TEDLIUM_release1",
        "url": "http://www.openslr.org/resources/7/TEDLIUM_release1.tar.gz",
        "checksum": "30301975fd8c5cac4040c261c0852f57cfa8adbbad2ce78e77e4986957445f27",
        "data_path": "",
        "subset": "train",
        "supported_subsets": ["train", "test", "dev"],
        "dict": "TEDLIUM.150K.dic",
    },
    "release2": {
        "folder_in_archive": "TEDLIUM_release2",
        "url": "http://www.openslr.org/resources/19/TEDLIUM_release2.tar.gz",
        "checksum": "93281b5fcaaae5c88671c9d000b443cb3c7ea3499ad12010b3934ca41a7b9c58",
        "data_path": "",
        "subset": "train",
        "supported_subsets": ["train", "test", "dev"],
        "dict": "TEDLIUM.152k.dic",
    },
    "release3": {
        "folder_in_archive": "TEDLIUM_release-3",
        "url": "http://www.openslr.org/resources/51/TEDLIUM_release-3.tgz",
        "checksum": "ad1e454d14d1ad550bc2564c462d87c7a7ec83d4dc2b9210f22ab4973b9eccdb",
        "data_path": "data/",
        "subset": "train",
        "supported_subsets": ["train", "test", "dev"],
        "dict": "TEDLIUM.152k.dic",
    },
}


class TEDLIUM(Dataset):
    """TED-LIUM releases 1, 2 and 3 (torchaudio's ``TEDLIUM``).

    Args:
        root: folder where the dataset is found or downloaded to.
        release: ``"release1"`` (default), ``"release2"`` or ``"release3"``.
        subset: ``"train"`` (default), ``"dev"`` or ``"test"``.
        download: download and extract the release's archive when the folder is missing.
        audio_ext: extension of the talks' audio (default ``".sph"``).

    Each item is one STM segment: ``(waveform, sample_rate, transcript, talk_id, speaker_id,
    identifier)``; the waveform is the segment's frames ``[int(start * 16000),
    int(end * 16000))`` of the talk, the strings as written in the STM line (the transcript
    keeps its newline, as torchaudio's). :attr:`phoneme_dict` reads the release's dictionary.
    """

    def __init__(self, root, release: str = "release1", subset: str = "train",
                 download: bool = False, audio_ext: str = ".sph") -> None:
        if release not in _RELEASE_CONFIGS:
            raise RuntimeError(f"The release {release} does not match any of the supported "
                               f"tedlium releases{list(_RELEASE_CONFIGS)} ")
        config = _RELEASE_CONFIGS[release]
        subset = subset if subset else config["subset"]
        if subset not in config["supported_subsets"]:
            raise RuntimeError(f"The subset {subset} does not match any of the supported "
                               f"tedlium subsets{config['supported_subsets']} ")
        self._ext_audio = audio_ext
        root = os.fspath(root)
        folder = config["folder_in_archive"]
        if release == "release3":
            self._path = (os.path.join(root, folder, config["data_path"]) if subset == "train"
                          else os.path.join(root, folder, "legacy", subset))
        else:
            self._path = os.path.join(root, folder, config["data_path"], subset)
        if download and not os.path.isdir(self._path):
            archive = hub.download(config["url"], root, sha256=config["checksum"])
            hub.extract_archive(archive, root)
        if not os.path.isdir(self._path):
            raise _not_found(self._path, "TEDLIUM")

        self._filelist: list[tuple[str, int]] = []
        stm_dir = os.path.join(self._path, "stm")
        for name in sorted(os.listdir(stm_dir)):
            if name.endswith(".stm"):
                with open(os.path.join(stm_dir, name)) as f:
                    count = len(f.readlines())
                self._filelist.extend((name[:-4], line) for line in range(count))
        self._dict_path = os.path.join(root, folder, config["dict"])
        self._phoneme_dict = None

    def _load_audio(self, path: str, start_time, end_time, sample_rate: int = 16000):
        """The frames between ``start_time`` and ``end_time`` (seconds) of ``path``.

        Override to load segments another way (torchaudio's hook)."""
        start = int(float(start_time) * sample_rate)
        stop = int(float(end_time) * sample_rate)
        try:
            audio, rate = soundfile.read(path, start=start, stop=stop, dtype="float32",
                                         always_2d=True)
        except soundfile.LibsndfileError as exc:
            raise RuntimeError(f"TEDLIUM: cannot decode '{path}': {exc}") from exc
        return ember.from_numpy(np.ascontiguousarray(audio.T)), rate

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, talk_id, speaker_id, identifier)``."""
        fileid, line = self._filelist[n]
        with open(os.path.join(self._path, "stm", fileid + ".stm")) as f:
            fields = f.readlines()[line].split(" ", 6)
        talk_id, _, speaker_id, start_time, end_time, identifier, transcript = fields
        waveform, sample_rate = self._load_audio(
            os.path.join(self._path, "sph", fileid + self._ext_audio), start_time, end_time)
        return waveform, sample_rate, transcript, talk_id, speaker_id, identifier

    def __len__(self) -> int:
        return len(self._filelist)

    @property
    def phoneme_dict(self) -> dict[str, tuple[str, ...]]:
        """Word -> tuple of phonemes (empty for some words), read from the release's
        ``TEDLIUM.*.dic`` on first use; a copy."""
        if not self._phoneme_dict:
            self._phoneme_dict = {}
            with open(self._dict_path, encoding="utf-8") as f:
                for line in f:
                    content = line.strip().split()
                    if content:
                        self._phoneme_dict[content[0]] = tuple(content[1:])
        return self._phoneme_dict.copy()
