"""CMU ARCTIC (Kominek & Black, 2003): ~1150 phonetically balanced utterances per speaker.

Each speaker's archive extracts to ``<root>/ARCTIC/cmu_us_<speaker>_arctic/`` with
``wav/arctic_a0001.wav``... and ``etc/txt.done.data``, whose lines read
``( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )``.
"""

from __future__ import annotations

import os

from ember import hub
from ember.utils.data import Dataset

from .utils import _not_found, load_waveform

__all__ = ["CMUARCTIC"]

URL = "aew"
FOLDER_IN_ARCHIVE = "ARCTIC"
_BASE_URL = "http://www.festvox.org/cmu_arctic/packed/"
_SPEAKERS = ("aew", "ahw", "aup", "awb", "axb", "bdl", "clb", "eey", "fem", "gka", "jmk", "ksp",
             "ljm", "lnh", "rms", "rxr", "slp", "slt")
# SHA-256 of each archive (torchaudio's values), keyed by file name: torchaudio keys them by a
# "festvox.org" URL while building "www.festvox.org" URLs, so its lookup never finds them.
_CHECKSUMS = {
    "cmu_us_aew_arctic.tar.bz2": "645cb33c0f0b2ce41384fdd8d3db2c3f5fc15c1e688baeb74d2e08cab18ab406",
    "cmu_us_ahw_arctic.tar.bz2": "024664adeb892809d646a3efd043625b46b5bfa3e6189b3500b2d0d59dfab06c",
    "cmu_us_aup_arctic.tar.bz2": "2c55bc3050caa996758869126ad10cf42e1441212111db034b3a45189c18b6fc",
    "cmu_us_awb_arctic.tar.bz2": "d74a950c9739a65f7bfc4dfa6187f2730fa03de5b8eb3f2da97a51b74df64d3c",
    "cmu_us_axb_arctic.tar.bz2": "dd65c3d2907d1ee52f86e44f578319159e60f4bf722a9142be01161d84e330ff",
    "cmu_us_bdl_arctic.tar.bz2": "26b91aaf48b2799b2956792b4632c2f926cd0542f402b5452d5adecb60942904",
    "cmu_us_clb_arctic.tar.bz2": "3f16dc3f3b97955ea22623efb33b444341013fc660677b2e170efdcc959fa7c6",
    "cmu_us_eey_arctic.tar.bz2": "8a0ee4e5acbd4b2f61a4fb947c1730ab3adcc9dc50b195981d99391d29928e8a",
    "cmu_us_fem_arctic.tar.bz2": "3fcff629412b57233589cdb058f730594a62c4f3a75c20de14afe06621ef45e2",
    "cmu_us_gka_arctic.tar.bz2": "dc82e7967cbd5eddbed33074b0699128dbd4482b41711916d58103707e38c67f",
    "cmu_us_jmk_arctic.tar.bz2": "3a37c0e1dfc91e734fdbc88b562d9e2ebca621772402cdc693bbc9b09b211d73",
    "cmu_us_ksp_arctic.tar.bz2": "8029cafce8296f9bed3022c44ef1e7953332b6bf6943c14b929f468122532717",
    "cmu_us_ljm_arctic.tar.bz2": "b23993765cbf2b9e7bbc3c85b6c56eaf292ac81ee4bb887b638a24d104f921a0",
    "cmu_us_lnh_arctic.tar.bz2": "4faf34d71aa7112813252fb20c5433e2fdd9a9de55a00701ffcbf05f24a5991a",
    "cmu_us_rms_arctic.tar.bz2": "c6dc11235629c58441c071a7ba8a2d067903dfefbaabc4056d87da35b72ecda4",
    "cmu_us_rxr_arctic.tar.bz2": "1fa4271c393e5998d200e56c102ff46fcfea169aaa2148ad9e9469616fbfdd9b",
    "cmu_us_slp_arctic.tar.bz2": "54345ed55e45c23d419e9a823eef427f1cc93c83a710735ec667d068c916abf1",
    "cmu_us_slt_arctic.tar.bz2": "7c173297916acf3cc7fcab2713be4c60b27312316765a90934651d367226b4ea",
}


class CMUARCTIC(Dataset):
    """One speaker of the CMU ARCTIC corpus (torchaudio's ``CMUARCTIC``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: a speaker (``"aew"`` default, ``"ahw"``, ``"aup"``, ``"awb"``, ``"axb"``, ``"bdl"``,
            ``"clb"``, ``"eey"``, ``"fem"``, ``"gka"``, ``"jmk"``, ``"ksp"``, ``"ljm"``, ``"lnh"``,
            ``"rms"``, ``"rxr"``, ``"slp"``, ``"slt"``) or an archive URL in the same layout.
        folder_in_archive: top-level folder under ``root`` (default ``"ARCTIC"``).
        download: download and extract the archive when the speaker's folder is missing.

    Each item is ``(waveform, sample_rate, transcript, utterance_id)``, e.g.
    ``(tensor (1, T), 16000, "Author of the danger trail, Philip Steels, etc.", "a0001")``.
    """

    _file_text = "txt.done.data"
    _folder_text = "etc"
    _ext_audio = ".wav"
    _folder_audio = "wav"

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        if url in _SPEAKERS:
            url = f"{_BASE_URL}cmu_us_{url}_arctic.tar.bz2"
        root = os.path.join(os.fspath(root), folder_in_archive)
        basename = os.path.basename(url)
        self._path = os.path.join(root, basename.split(".")[0])
        if download and not os.path.isdir(self._path):
            archive = hub.download(url, root, sha256=_CHECKSUMS.get(basename))
            hub.extract_archive(archive, root)
        if not os.path.isdir(self._path):
            raise _not_found(self._path, "CMUARCTIC")
        with open(os.path.join(self._path, self._folder_text, self._file_text)) as text:
            self._walker = [line for line in text if line.strip()]

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, transcript, utterance_id)`` of the n-th utterance."""
        utterance_id, transcript = self._walker[n].strip().split(" ", 2)[1:]
        # '"Author of ... etc." )' -> drop the opening quote and the closing '" )'.
        transcript = transcript[1:-3]
        path = os.path.join(self._path, self._folder_audio, utterance_id + self._ext_audio)
        waveform, sample_rate = load_waveform(path)
        return waveform, sample_rate, transcript, utterance_id.split("_")[1]

    def __len__(self) -> int:
        return len(self._walker)
