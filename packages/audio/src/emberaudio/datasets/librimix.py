"""LibriMix (Cosentino et al., 2020): LibriSpeech utterances mixed for source separation.

Generated locally with https://github.com/JorisCos/LibriMix (no download). Layout:
``<root>/Libri<N>Mix/wav{8k,16k}/{min,max}/<subset>/{mix_clean,mix_single,mix_both,s1..sN}/
<name>.wav``, the same file name in every folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import load_waveform

__all__ = ["LibriMix"]

_TASKS_TO_MIXTURE = {
    "sep_clean": "mix_clean",
    "enh_single": "mix_single",
    "enh_both": "mix_both",
    "sep_noisy": "mix_both",
}


class LibriMix(Dataset):
    """LibriMix (torchaudio's ``LibriMix``).

    Args:
        root: folder holding ``Libri2Mix`` / ``Libri3Mix`` (not those folders themselves).
        subset: ``"train-360"`` (default), ``"train-100"``, ``"dev"`` or ``"test"``.
        num_speakers: N, the sources ``s1``...``sN`` (default 2).
        sample_rate: 8000 (default) or 16000: picks ``wav8k`` or ``wav16k``; a file at another
            rate raises ``ValueError``.
        task: ``"sep_clean"`` (default), ``"enh_single"``, ``"enh_both"`` or ``"sep_noisy"``:
            which mixture is the input (for ``enh_both`` the single source is ``mix_clean``).
        mode: ``"min"`` (default: cut to the shortest source) or ``"max"`` (zero-padded).

    Each item is ``(sample_rate, mixture, [source, ...])``, tensors ``(1, frames)``.
    """

    def __init__(self, root, subset: str = "train-360", num_speakers: int = 2,
                 sample_rate: int = 8000, task: str = "sep_clean", mode: str = "min") -> None:
        self.root = Path(root) / f"Libri{num_speakers}Mix"
        if mode not in ("max", "min"):
            raise ValueError(f'Expect ``mode`` to be one in ["min", "max"]. Found {mode}.')
        if sample_rate not in (8000, 16000):
            raise ValueError(f"Unsupported sample rate. Found {sample_rate}.")
        if task not in _TASKS_TO_MIXTURE:  # torchaudio fails with a bare KeyError here
            raise ValueError(f"LibriMix: unknown task {task!r}; expected one of "
                             f"{list(_TASKS_TO_MIXTURE)}")
        mix_dir = self.root / f"wav{sample_rate // 1000}k" / mode / subset
        self.sample_rate = sample_rate
        self.task = task
        self.mix_dir = mix_dir / _TASKS_TO_MIXTURE[task]
        if task == "enh_both":
            self.src_dirs = [mix_dir / "mix_clean"]
        else:
            self.src_dirs = [mix_dir / f"s{i + 1}" for i in range(num_speakers)]
        self.files = sorted(p.name for p in self.mix_dir.glob("*.wav"))

    def get_metadata(self, key: int) -> tuple[int, str, list[str]]:
        """``(sample_rate, mixture path, [source paths])``, paths relative to ``root/LibriNMix``."""
        filename = self.files[key]
        mixed_path = os.path.relpath(self.mix_dir / filename, self.root)
        srcs_paths = [os.path.relpath(d / filename, self.root) for d in self.src_dirs]
        return self.sample_rate, mixed_path, srcs_paths

    def __getitem__(self, key: int):
        """``(sample_rate, mixture, [sources])`` of the key-th mixture."""
        sample_rate, mixed_path, srcs_paths = self.get_metadata(key)
        mixed, _ = load_waveform(self.root / mixed_path, sample_rate)
        srcs = []
        for i, path in enumerate(srcs_paths):
            src, _ = load_waveform(self.root / path, sample_rate)
            if mixed.shape != src.shape:
                raise ValueError(f"Different waveform shapes. mixed: {tuple(mixed.shape)}, "
                                 f"src[{i}]: {tuple(src.shape)}")
            srcs.append(src)
        return sample_rate, mixed, srcs

    def __len__(self) -> int:
        return len(self.files)
