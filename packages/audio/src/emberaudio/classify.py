"""Classify audio files with a checkpoint of ``emberaudio-finetune``:
``python -m emberaudio.classify FILE [FILE ...] --model runs/spoken-digits/best.pt``.

Prints the top classes of each file with their probabilities. The checkpoint carries what is
needed to rebuild the model and its preprocessing: the model name, sample rate, clip length and
class names (see :mod:`emberaudio.finetune`). ``--model`` (alias ``--checkpoint``) is a
``.pt`` checkpoint, a run folder (its ``best.pt`` or ``best/``) or a Hugging Face audio
classifier folder / hub name (a fine-tuned ``OUT/best``, ``superb/wav2vec2-base-superb-ks``,
``MIT/ast-finetuned-speech-commands-v2``): its ``id2label`` names the classes and its
``preprocessor_config.json`` gives the rate.
"""

from __future__ import annotations

import argparse
import os
import sys

import ember
import ember.nn.functional as F

from ._cli import UserError, run_command
from .datasets.utils import load_waveform
from .functional import resample
from .models import get_model

__all__ = ["CHECKPOINT_FORMAT", "UserError", "fit_length", "load_checkpoint", "main",
           "prepare_waveform", "top_classes"]

CHECKPOINT_FORMAT = "emberaudio.finetune/1"


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


def _run_folder_entry(path: str) -> str | None:
    """A run folder's checkpoint (``best.pt``, ``last.pt``, ``best/``, ``last/``), if any."""
    for entry in ("best.pt", "last.pt", "best", "last"):
        candidate = os.path.join(path, entry)
        if os.path.isfile(candidate) or os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    return None


def _is_hub_name(path: str) -> bool:
    """``org/model`` (not an absolute, relative-dotted or ``.pt`` path)."""
    return (path.count("/") == 1 and not path.startswith((".", "/", "~"))
            and not path.endswith(".pt"))


def _load_pretrained(path: str, device: str):
    """``(model, config, labels)`` from a Hugging Face audio classifier folder / hub name;
    ``clip_seconds`` is the fine-tuning run's (None: classify the whole clip)."""
    from ._finetune_cls_models import load_pretrained_classifier, read_run_info
    model = load_pretrained_classifier(path)
    run = read_run_info(path).get("config", {}) if os.path.isdir(path) else {}
    config = {"model": path, "sample_rate": model.sample_rate,
              "clip_seconds": run.get("clip_seconds")}
    model.to(device)
    model.eval()
    return model, config, model.labels


def load_checkpoint(path: str, device: str = "cpu"):
    """``(model in eval mode, config dict, labels)`` from a finetune checkpoint (``.pt``), a
    run folder, or a Hugging Face audio classifier folder / hub name.

    Raises:
        UserError: the file is missing or is not an ``emberaudio-finetune`` checkpoint.
    """
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "config.json")):
            return _load_pretrained(path, device)
        entry = _run_folder_entry(path)
        if entry is None:
            raise UserError(f"--model {path}: no best.pt, best/ or config.json in the folder; "
                            "train one with emberaudio-finetune --out DIR")
        return load_checkpoint(entry, device)
    if not os.path.exists(path) and _is_hub_name(path):
        return _load_pretrained(path, device)
    if not os.path.isfile(path):
        raise UserError(f"--model {path}: no such file; train one with "
                        f"emberaudio-finetune --out DIR and pass DIR/best.pt")
    try:
        ckpt = ember.load(path, map_location=device)
    except Exception as exc:  # any unreadable file: say which and why
        raise UserError(f"--model {path}: cannot read it ({exc})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise UserError(f"--model {path}: not an emberaudio-finetune checkpoint (no "
                        f"'format': '{CHECKPOINT_FORMAT}' entry)")
    config, labels = ckpt["config"], list(ckpt["labels"])
    model = get_model(config["model"], n_classes=len(labels),
                      sample_rate=config["sample_rate"])
    model.load_state_dict(ckpt["model"])
    model.to(device)
    model.eval()
    return model, config, labels


def top_classes(model, config: dict, labels: list, path: str, k: int = 3, notes=None):
    """The ``k`` most probable ``(label, probability)`` pairs for the audio file ``path``.

    The clip is mixed to mono, resampled to the model's rate (a note goes to ``notes``, a
    text stream, when given) and padded or cut to the training clip length (a model without
    one, e.g. a hub classifier, takes the whole clip, at least ``model.min_frames`` long)."""
    try:
        waveform, sample_rate = load_waveform(path)
    except (RuntimeError, OSError) as exc:
        raise UserError(f"{path}: cannot read audio ({exc})") from None
    if notes is not None and sample_rate != config["sample_rate"]:
        print(f"note: {path}: resampled from {sample_rate} Hz to the model's "
              f"{config['sample_rate']} Hz", file=notes)
    waveform = prepare_waveform(waveform, sample_rate, config["sample_rate"])
    if config.get("clip_seconds"):
        frames = round(config["clip_seconds"] * config["sample_rate"])
    else:
        frames = max(waveform.shape[-1], getattr(model, "min_frames", 1))
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
    p.add_argument("--model", "--checkpoint", dest="checkpoint", required=True,
                   help="a finetune checkpoint (OUT/best.pt), a run folder (OUT), a Hugging "
                        "Face folder (OUT/best for a pretrained model) or hub name")
    p.add_argument("--top", type=int, default=3, help="how many classes to print (default 3)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    return p


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 for a user error)."""
    return run_command(build_parser(), argv, _classify)


def _classify(args) -> None:
    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    model, config, labels = load_checkpoint(args.checkpoint, args.device)
    for path in args.files:
        ranked = top_classes(model, config, labels, path, args.top, notes=sys.stderr)
        print(path)
        for label, prob in ranked:
            print(f"  {label:<20s} {prob:7.2%}")


def cli() -> None:
    """Console-script entry point (``emberaudio-classify``)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
