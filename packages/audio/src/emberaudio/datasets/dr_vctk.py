"""Device-Recorded VCTK (Sarfjoo & Yamagishi, 2018), small subset: VCTK sentences played back
and re-recorded on consumer devices, clean/noisy pairs at 16 kHz.

The zip extracts to ``<root>/DR-VCTK/DR-VCTK/`` with ``clean_{train,test}set_wav_16k/``,
``device-recorded_{train,test}set_wav_16k/`` (same file names, ``p226_001.wav``) and
``configurations/{train,test}_ch_log.txt`` (tab-separated ``file  source  channel``; two
header lines for train, one for test).
"""

from __future__ import annotations

from pathlib import Path

from ember import hub
from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["DR_VCTK"]

_URL = "https://datashare.ed.ac.uk/bitstream/handle/10283/3038/DR-VCTK.zip"
# SHA-256 of the published zip (torchaudio's value), by URL.
_CHECKSUMS = {_URL: "781f12f4406ed36ed27ae3bce55da47ba176e2d8bae67319e389e07b2c9bd769"}
_SUPPORTED_SUBSETS = ("train", "test")


class DR_VCTK(Dataset):  # noqa: N801 (torchaudio's name)
    """Device-Recorded VCTK (torchaudio's ``DR_VCTK``).

    Args:
        root: folder where ``DR-VCTK`` is found or downloaded to.
        subset: ``"train"`` (default) or ``"test"``.
        download: keyword-only; download and extract the zip when the folder is missing.
        url: keyword-only; the archive's URL.

    Each item is ``(waveform_clean, sample_rate_clean, waveform_noisy, sample_rate_noisy,
    speaker_id, utterance_id, source, channel_id)``: ids as strings (``"p226"``, ``"001"``)
    except channel_id (int), source the recording condition
    (``"DR-VCTK_Office1_ClosedWindow"``).
    """

    def __init__(self, root, subset: str = "train", *, download: bool = False,
                 url: str = _URL) -> None:
        if subset not in _SUPPORTED_SUBSETS:
            raise RuntimeError(f"The subset '{subset}' does not match any of the supported "
                               f"subsets: {list(_SUPPORTED_SUBSETS)}")
        root = Path(root).expanduser()
        self._subset = subset
        self._path = root / "DR-VCTK" / "DR-VCTK"
        self._clean_audio_dir = self._path / f"clean_{subset}set_wav_16k"
        self._noisy_audio_dir = self._path / f"device-recorded_{subset}set_wav_16k"
        self._config_filepath = self._path / "configurations" / f"{subset}_ch_log.txt"
        if not self._path.is_dir():
            archive = root / "DR-VCTK.zip"
            if not archive.is_file():
                if not download:
                    raise RuntimeError(f"DR_VCTK: dataset not found at {self._path}. "
                                       "Please use `download=True` to download it.")
                archive = hub.download(url, root, filename="DR-VCTK.zip",
                                       sha256=_CHECKSUMS.get(url))
            hub.extract_archive(archive, root)
        self._config = self._load_config(self._config_filepath)
        self._filename_list = sorted(self._config)

    def _load_config(self, filepath) -> dict[str, tuple[str, int]]:
        skip_rows = 2 if self._subset == "train" else 1  # header lines
        config = {}
        with open(filepath) as f:
            for i, line in enumerate(f):
                if i < skip_rows or not line.strip():
                    continue
                filename, source, channel_id = line.strip().split("\t")
                config[filename] = (source, int(channel_id))
        return config

    def __getitem__(self, n: int):
        """``(waveform_clean, sample_rate_clean, waveform_noisy, sample_rate_noisy, speaker_id,
        utterance_id, source, channel_id)`` of the n-th pair."""
        filename = self._filename_list[n]
        speaker_id, utterance_id = filename.split(".")[0].split("_")
        source, channel_id = self._config[filename]
        clean, rate_clean = load_waveform(self._clean_audio_dir / filename)
        noisy, rate_noisy = load_waveform(self._noisy_audio_dir / filename)
        return clean, rate_clean, noisy, rate_noisy, speaker_id, utterance_id, source, channel_id

    def __len__(self) -> int:
        return len(self._filename_list)
