"""Classify audio files with a checkpoint of ``emberaudio-finetune``:
``python -m emberaudio.classify FILE [FILE ...] --checkpoint runs/spoken-digits/best.pt``.

Prints the top classes of each file with their probabilities. The checkpoint carries what is
needed to rebuild the model and its preprocessing: the model name, sample rate, clip length and
class names (see :mod:`emberaudio.finetune`).
"""

from __future__ import annotations

import argparse
import os
import sys

import ember
import ember.nn.functional as F

from .datasets.utils import load_waveform
from .functional import resample
from .models import get_model

__all__ = ["CHECKPOINT_FORMAT", "UserError", "fit_length", "load_checkpoint", "main",
           "prepare_waveform", "top_classes"]

CHECKPOINT_FORMAT = "emberaudio.finetune/1"


class UserError(Exception):
    """A mistake the user can fix (bad option, missing file): printed without a traceback."""


def prepare_waveform(waveform, sample_rate: int, target_rate: int):
    """``(channels, frames)`` at any rate -> mono ``(1, frames)`` at ``target_rate``.

    Channels are averaged (the classifiers take mono); another rate is resampled with
    :func:`emberaudio.functional.resample` (windowed sinc, torchaudio's default).
    """
    if waveform.shape[0] != 1:
        waveform = waveform.mean(dim=0, keepdim=True)
    if sample_rate != target_rate:
        waveform = resample(waveform, sample_rate, target_rate)
    return waveform


def fit_length(waveforms, frames: int):
    """Zero-pad at the end or cut to exactly ``frames`` along the last dimension.

    The classifiers pool over time, but M5 needs ~0.43 s and batches need one length; a fixed
    clip length (1 s by default, the SPEECHCOMMANDS clip length) also makes training and
    classification see the same framing.
    """
    n = waveforms.shape[-1]
    if n >= frames:
        return waveforms[..., :frames]
    return F.pad(waveforms, (0, frames - n))


def load_checkpoint(path: str, device: str = "cpu"):
    """``(model in eval mode, config dict, labels)`` from a finetune checkpoint.

    Raises:
        UserError: the file is missing or is not an ``emberaudio-finetune`` checkpoint.
    """
    if not os.path.isfile(path):
        raise UserError(f"--checkpoint {path}: no such file; train one with "
                        f"emberaudio-finetune --out DIR and pass DIR/best.pt")
    try:
        ckpt = ember.load(path, map_location=device)
    except Exception as exc:  # any unreadable file: say which and why
        raise UserError(f"--checkpoint {path}: cannot read it ({exc})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise UserError(f"--checkpoint {path}: not an emberaudio-finetune checkpoint (no "
                        f"'format': '{CHECKPOINT_FORMAT}' entry)")
    config, labels = ckpt["config"], list(ckpt["labels"])
    model = get_model(config["model"], n_classes=len(labels),
                      sample_rate=config["sample_rate"])
    model.load_state_dict(ckpt["model"])
    model.to(device)
    model.eval()
    return model, config, labels


def top_classes(model, config: dict, labels: list, path: str, k: int = 3):
    """The ``k`` most probable ``(label, probability)`` pairs for the audio file ``path``."""
    try:
        waveform, sample_rate = load_waveform(path)
    except (RuntimeError, OSError) as exc:
        raise UserError(f"{path}: cannot read audio ({exc})") from None
    waveform = prepare_waveform(waveform, sample_rate, config["sample_rate"])
    frames = round(config["clip_seconds"] * config["sample_rate"])
    with ember.no_grad():
        probs = F.softmax(model(fit_length(waveform, frames)[None]), dim=-1)[0]
    values, indices = probs.topk(min(k, len(labels)))
    return [(labels[i], float(v)) for v, i in zip(values.tolist(), indices.tolist())]


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``emberaudio-classify``."""
    p = argparse.ArgumentParser(prog="emberaudio-classify",
                                description="Print the top classes of audio files with a "
                                            "checkpoint from emberaudio-finetune.")
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, OGG...)")
    p.add_argument("--checkpoint", required=True, help="a finetune checkpoint (OUT/best.pt)")
    p.add_argument("--top", type=int, default=3, help="how many classes to print (default 3)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    return p


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 for a user error)."""
    args = build_parser().parse_args(argv)
    try:
        if args.top < 1:
            raise UserError(f"--top must be at least 1, got {args.top}")
        model, config, labels = load_checkpoint(args.checkpoint, args.device)
        for path in args.files:
            ranked = top_classes(model, config, labels, path, args.top)
            print(path)
            for label, prob in ranked:
                print(f"  {label:<20s} {prob:7.2%}")
    except UserError as exc:
        print(f"emberaudio-classify: error: {exc}", file=sys.stderr)
        return 2
    return 0


def cli() -> None:
    """Console-script entry point (``emberaudio-classify``)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
