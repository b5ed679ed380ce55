"""Helpers shared by the dataset readers: loading a waveform, downloading and extracting.

Every download goes through :func:`ember.hub.download` (cache, resume, checksum, HTML-page
detection, atomic placement) and every archive through :func:`ember.hub.extract_archive` (which
refuses members that would escape the target folder).
"""

from __future__ import annotations

import os

import numpy as np
import soundfile

import ember
from ember import hub

__all__ = ["download_and_extract", "load_waveform"]


def load_waveform(path, expected_sample_rate: int | None = None):
    """Read an audio file as a ``(channels, frames)`` float32 tensor in [-1, 1].

    soundfile is used directly (rather than ``emberaudio.load``) so that the readers depend only
    on libsndfile; the result is the same as ``emberaudio.load(path)``.

    Args:
        path: the audio file (WAV, FLAC, OGG... anything libsndfile reads).
        expected_sample_rate: when given, a file at another rate raises ``ValueError``, as
            torchaudio's dataset readers do.

    Returns:
        ``(waveform, sample_rate)``.
    """
    path = os.fspath(path)
    try:
        audio, sample_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except soundfile.LibsndfileError as exc:
        raise RuntimeError(f"load_waveform: cannot decode '{path}': {exc}") from exc
    if expected_sample_rate is not None and sample_rate != expected_sample_rate:
        raise ValueError(f"load_waveform: '{path}' has sample rate {sample_rate}, "
                         f"expected {expected_sample_rate}")
    # soundfile gives (frames, channels); torchaudio's layout is (channels, frames).
    return ember.from_numpy(np.ascontiguousarray(audio.T)), sample_rate


def download_and_extract(url: str, root: str, extract_to: str | None = None,
                         sha256: str | None = None, md5: str | None = None) -> str:
    """Download ``url`` into ``root`` (unless already there and matching) and extract it.

    Args:
        url: the archive's URL.
        root: folder to download into.
        extract_to: folder to extract into; default ``root``.
        sha256, md5: expected digests of the archive.

    Returns:
        The folder the archive was extracted into.
    """
    archive = hub.download(url, root, sha256=sha256, md5=md5)
    return hub.extract_archive(archive, extract_to if extract_to is not None else root)


def _not_found(path: str, name: str) -> RuntimeError:
    # torchaudio's wording, plus which dataset it was.
    return RuntimeError(f"{name}: the path {path} doesn't exist. "
                        "Please check the ``root`` path or set `download=True` to download it")
