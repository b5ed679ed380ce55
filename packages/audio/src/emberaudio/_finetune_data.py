"""Classification data sources of ``emberaudio-finetune`` beyond the embedded digits and label
folders: SPEECHCOMMANDS (its own split lists) and a CSV manifest ``path,label``; and the
``--augment`` option's parsing."""

from __future__ import annotations

import argparse

from ember.utils.data import Dataset

from .classify import UserError, prepare_waveform
from .datasets import SPEECHCOMMANDS
from .datasets.utils import load_waveform

__all__ = ["AUGMENTATIONS", "AugmentAction", "ManifestClips", "SpeechCommandsClips",
           "parse_augment"]

AUGMENTATIONS = ("specaugment", "noise", "gain")


def parse_augment(value) -> tuple:
    """``--augment`` -> a tuple of augmentation names: a flag alone (or ``all``) is every one,
    ``none`` none, else a comma-separated subset of specaugment, noise and gain."""
    if value is None or value is False or value == "none":
        return ()
    if value is True or value == "all":
        return AUGMENTATIONS
    names = tuple(dict.fromkeys(v.strip().lower() for v in str(value).split(",") if v.strip()))
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown:
        raise UserError(f"--augment {value}: unknown {unknown}; use a comma-separated subset "
                        f"of {', '.join(AUGMENTATIONS)}, 'all' or 'none'")
    return names


class AugmentAction(argparse.Action):
    """``--augment [LIST]`` / ``--no-augment`` in one destination."""

    def __call__(self, parser, namespace, values, option_string=None):
        value = "none" if option_string == "--no-augment" else (values or "all")
        setattr(namespace, self.dest, value)


class SpeechCommandsClips(Dataset):
    """SPEECHCOMMANDS as ``(waveform, rate, label index)``, mono at ``sample_rate``.

    Args:
        root: the dataset root (``<root>/SpeechCommands/speech_commands_v0.02``).
        subset: ``"training"`` or ``"testing"`` (the archive's split lists).
        sample_rate: target rate.
        classes: the label names (default: sorted labels of this subset).
        download: download the archive when missing.
    """

    def __init__(self, root: str, subset: str, sample_rate: int, classes=None,
                 download: bool = False) -> None:
        try:
            self.base = SPEECHCOMMANDS(root, subset=subset, download=download)
        except (RuntimeError, FileNotFoundError) as exc:
            raise UserError(f"--dataset speechcommands: {exc} (set --data-root to the folder "
                            f"holding SpeechCommands/, or add --download)") from None
        words = [self.base.get_metadata(i)[2] for i in range(len(self.base))]
        if not words:
            raise UserError(f"--dataset speechcommands: the {subset} subset under {root} "
                            "is empty")
        self.classes = list(classes) if classes is not None else sorted(set(words))
        index = {c: i for i, c in enumerate(self.classes)}
        self.targets = [index.get(w, -1) for w in words]
        self.keep = [i for i, t in enumerate(self.targets) if t >= 0]  # unseen labels dropped
        self.sample_rate = sample_rate

    def __len__(self) -> int:
        return len(self.keep)

    def __getitem__(self, index: int):
        i = self.keep[index]
        waveform, rate = self.base[i][:2]
        return prepare_waveform(waveform, rate, self.sample_rate), self.sample_rate, \
            self.targets[i]


class ManifestClips(Dataset):
    """``(path, label)`` rows (from :func:`read_manifest`) as ``(waveform, rate, index)``."""

    def __init__(self, rows: list, sample_rate: int) -> None:
        self.rows, self.sample_rate = rows, sample_rate
        self.classes = sorted({label for _, label in rows})
        if len(self.classes) < 2:
            raise UserError(f"the manifest has {len(self.classes)} distinct label(s); a "
                            "classifier needs at least two")
        index = {c: i for i, c in enumerate(self.classes)}
        self.targets = [index[label] for _, label in rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int):
        path = self.rows[index][0]
        try:
            waveform, rate = load_waveform(path)
        except RuntimeError as exc:
            raise UserError(f"corrupt audio file in the manifest: {exc}") from None
        return prepare_waveform(waveform, rate, self.sample_rate), self.sample_rate, \
            self.targets[index]

