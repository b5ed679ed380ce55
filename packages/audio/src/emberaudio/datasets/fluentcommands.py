"""Fluent Speech Commands (Lugosch et al., 2019): spoken commands with action/object/location.

Layout (downloaded by hand after registration):
``<root>/fluent_speech_commands_dataset/data/{train,valid,test}_data.csv`` (header
``,path,speakerId,transcription,action,object,location``) and
``wavs/speakers/<speakerId>/<uuid>.wav`` (16 kHz).
"""

from __future__ import annotations

import csv
import os

from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["FluentSpeechCommands"]

SAMPLE_RATE = 16000


class FluentSpeechCommands(Dataset):
    """Fluent Speech Commands (torchaudio's ``FluentSpeechCommands``; no download).

    Args:
        root: folder holding ``fluent_speech_commands_dataset``.
        subset: ``"train"`` (default), ``"valid"`` or ``"test"``.

    Each item is ``(waveform, sample_rate, file_name, speaker_id, transcription, action,
    object, location)``, all but the first two strings (speaker_id too, as in the csv).
    """

    def __init__(self, root, subset: str = "train") -> None:
        if subset not in ("train", "valid", "test"):
            raise ValueError("`subset` must be one of ['train', 'valid', 'test']")
        self._path = os.path.join(os.fspath(root), "fluent_speech_commands_dataset")
        if not os.path.isdir(self._path):
            raise RuntimeError(f"Dataset not found. FluentSpeechCommands: {self._path} "
                               "doesn't exist")
        with open(os.path.join(self._path, "data", f"{subset}_data.csv"), newline="") as f:
            data = list(csv.reader(f))
        self.header = data[0]
        self.data = data[1:]

    def get_metadata(self, n: int) -> tuple[str, int, str, str, str, str, str, str]:
        """The n-th item with the audio's path (relative to the dataset folder) in place of
        the waveform."""
        sample = self.data[n]
        file_name = sample[self.header.index("path")].split("/")[-1].split(".")[0]
        speaker_id, transcription, action, obj, location = sample[2:]
        file_path = os.path.join("wavs", "speakers", speaker_id, f"{file_name}.wav")
        return (file_path, SAMPLE_RATE, file_name, speaker_id, transcription, action, obj,
                location)

    def __getitem__(self, n: int):
        """``(waveform, sample_rate, file_name, speaker_id, transcription, action, object,
        location)`` of the n-th command."""
        metadata = self.get_metadata(n)
        waveform, _ = load_waveform(os.path.join(self._path, metadata[0]), metadata[1])
        return (waveform,) + metadata[1:]

    def __len__(self) -> int:
        return len(self.data)
