"""Classify images with a trained checkpoint: ``embervision-predict`` (``python -m
embervision.predict``), and what it shares with the trainer: rebuilding a run's model and its
preprocessing from the configuration stored in the checkpoint.

    embervision-predict shirt.png boot.jpg --checkpoint runs/embedded-lenet/best.pt --topk 3
    embervision-predict *.png --checkpoint best.pt --json

The checkpoint (``last.pt``/``best.pt`` of :mod:`embervision.train`) holds the model's state
dict, the class names and the configuration, including ``config["preprocess"]``: the dataset's
image mode and side, the model's input channels and side, and Normalize's mean and std. An image
of any size is converted to the dataset's mode, resized (shorter side) and center-cropped to the
dataset's side, then preprocessed exactly as the test images were during training.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

import ember
from ember import nn

from . import transforms as T
from .models import get_model, get_model_weights, list_models

__all__ = ["UserError", "build_model", "eval_transform", "format_predictions",
           "load_checkpoint", "load_predictor", "main", "predict"]

# ---------------------------------------------------------------------------------------------
# Shared with the trainer: errors, preprocessing, the model, checkpoints
# ---------------------------------------------------------------------------------------------


class UserError(Exception):
    """A problem with the options, the data, an image or a checkpoint that the user can fix.
    The console scripts print its message as one line, without a traceback."""


def user_message(exc: BaseException) -> str:
    """The message of ``exc`` without the worker traceback a DataLoader wraps around it.

    An error raised in a worker process comes back as ``Caught UserError in DataLoader worker
    process 0.\\nOriginal Traceback (most recent call last): ... UserError: <message>``.
    """
    text = str(exc).strip()
    marker = f"{type(exc).__name__}: "
    if text.startswith("Caught ") and marker in text:
        return text.rsplit(marker, 1)[1]
    return text


def eval_transform(pre: dict, any_size: bool = False):
    """The evaluation preprocessing of a run (``pre``: its checkpoint's
    ``config["preprocess"]``).

    Args:
        pre: the input geometry (mode, native size, model channels and size, mean, std).
        any_size: bring images of any size to the dataset's geometry first (resize the shorter
            side, center-crop), for images that do not come from the dataset (predict).

    Returns:
        A ``transforms.Compose`` from a PIL image (in ``pre["mode"]``) to a normalised
        ``(C, H, W)`` float tensor.
    """
    steps, native, size = [], pre["native"], pre["size"]
    if native is None:
        steps += [T.Resize(size), T.CenterCrop(size)]
    elif any_size:
        steps += [T.Resize(native), T.CenterCrop(native)]
    steps += _convert_steps(pre)
    return T.Compose(steps)


def _convert_steps(pre: dict) -> list:
    """Channel conversion, resize to the model's size (built-in datasets), tensor, Normalize."""
    steps = []
    if pre["channels"] != len(pre["mode"]):
        steps.append(T.Grayscale(num_output_channels=pre["channels"]))
    if pre["native"] is not None and pre["size"] != pre["native"]:
        steps.append(T.Resize(pre["size"]))
    return steps + [T.ToTensor(), T.Normalize(pre["mean"], pre["std"])]


# ---------------------------------------------------------------------------------------------
# Models and checkpoints
# ---------------------------------------------------------------------------------------------


def _default_weights(name: str):
    try:
        enum = get_model_weights(name)
        return enum["DEFAULT"]
    except (ValueError, KeyError):
        raise UserError(f"--pretrained: no published weights for model {name}; train it from "
                        f"scratch (drop --pretrained) or pick a model that has them, e.g. "
                        f"resnet18") from None


def _replace_head(model, num_classes: int, old_classes: int) -> nn.Module:
    """Swap the last layer producing ``old_classes`` outputs (a Linear, or squeezenet's 1x1
    Conv2d) for a freshly initialised one producing ``num_classes``; returns it."""
    found = None
    for path, module in model.named_modules():
        if (isinstance(module, nn.Linear) and module.out_features == old_classes) or (
                isinstance(module, nn.Conv2d) and module.out_channels == old_classes):
            found = path
    if found is None:
        raise UserError(f"--pretrained: cannot find the classifier head of "
                        f"{type(model).__name__} (a layer with {old_classes} outputs)")
    parent_path, _, attr = found.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    old = getattr(parent, attr)
    if isinstance(old, nn.Linear):
        head = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    else:
        head = nn.Conv2d(old.in_channels, num_classes, old.kernel_size, old.stride)
    setattr(parent, attr, head)
    return head


def build_model(config: dict, num_classes: int, load_weights: bool = True):
    """The run's model, as training builds it.

    Args:
        config: the run's configuration (``model``, ``pretrained``, ``freeze_backbone``).
        num_classes: outputs of the (new) head.
        load_weights: with ``pretrained``, download/load the published weights; False when a
            checkpoint's state dict will replace them anyway (resume, predict).

    Returns:
        ``(model, weights)``: the module and the weights enum member used (or None).
    """
    name = config["model"]
    if name not in list_models():
        raise UserError(f"--model {name}: unknown model; the registered models are "
                        f"{', '.join(list_models())}")
    if not config["pretrained"]:
        return get_model(name, weights=None, num_classes=num_classes), None
    weights = _default_weights(name)
    old_classes = len(weights.meta["categories"])
    try:
        model = get_model(name, weights=weights if load_weights else None,
                          num_classes=old_classes)
    except OSError as exc:  # the download failed (no network, HTTP error, bad checksum)
        raise UserError(f"--pretrained: cannot get the weights {weights} ({exc}); they are "
                        f"downloaded once from {weights.url} into $EMBER_HOME/hub/checkpoints: "
                        f"connect to the network or place the file there") from None
    head = _replace_head(model, num_classes, old_classes)
    if config["freeze_backbone"]:
        model.requires_grad_(False)
        head.requires_grad_(True)
    return model, weights


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by the trainer, checking that it is one."""
    try:
        state = ember.load(path)
    except FileNotFoundError:
        raise UserError(f"checkpoint {path} does not exist") from None
    except Exception as exc:  # not a zip/pickle, truncated, refused by the safe unpickler
        raise UserError(f"cannot read checkpoint {path}: {exc}") from None
    missing = [k for k in ("config", "classes", "model")
               if not isinstance(state, dict) or k not in state]
    if missing:
        raise UserError(f"{path} is not a checkpoint of embervision-train (it has no "
                        f"{', '.join(repr(k) for k in missing)}); use the last.pt or best.pt "
                        f"that embervision-train wrote")
    return state


def load_model_state(model, state_dict, path: str, name: str) -> None:
    """``model.load_state_dict`` with an error that names the checkpoint and the model."""
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())
        raise UserError(f"checkpoint {path} does not match model {name}: {detail}") from None


def parse_device(value: str):
    """``ember.device(value)``, checking that CUDA is there when asked for."""
    try:
        device = ember.device(value)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise UserError(f"--device {value}: {exc}; use cpu or cuda[:N]") from None
    if device.type == "cuda" and not ember.cuda.is_available():
        raise UserError(f"--device {value}: no CUDA device is available "
                        f"(ember.cuda.is_available() is False); use --device cpu")
    return device


# ---------------------------------------------------------------------------------------------
# Prediction
# ---------------------------------------------------------------------------------------------


def _open_image(path: str, mode: str):
    if not os.path.isfile(path):
        raise UserError(f"image not found: {path}")
    try:
        with Image.open(path) as img:
            return img.convert(mode)  # decodes now, while the file is open
    except (OSError, SyntaxError, ValueError) as exc:  # UnidentifiedImageError is an OSError
        raise UserError(f"cannot read image {path}: {exc}") from None


def load_predictor(checkpoint: str, device="cpu"):
    """The model (in eval mode, on ``device``), its preprocessing and class names from a
    checkpoint of :mod:`embervision.train`.

    Returns:
        ``(model, transform, classes, config)``: ``transform`` takes a PIL image of any size and
        mode to the normalised ``(C, H, W)`` tensor the model expects.
    """
    state = load_checkpoint(checkpoint)
    config, classes = state["config"], list(state["classes"])
    if "preprocess" not in config:
        raise UserError(f"{checkpoint}: its configuration has no 'preprocess' entry (written by "
                        f"an older trainer?); train again to get a usable checkpoint")
    model, _ = build_model(config, len(classes), load_weights=False)
    load_model_state(model, state["model"], checkpoint, config["model"])
    model.to(device).eval()
    return model, eval_transform(config["preprocess"], any_size=True), classes, config


def predict(images, checkpoint: str, topk: int = 3, device="cpu",
            batch_size: int = 64) -> list[dict]:
    """The ``topk`` most probable classes of each image under a trained checkpoint.

    Args:
        images: image file paths (any format and size Pillow reads).
        checkpoint: ``best.pt`` or ``last.pt`` written by :mod:`embervision.train`.
        topk: how many classes to list per image (at most the number of classes).
        device: where to run the model.
        batch_size: images per forward pass.

    Returns:
        One dict per image: ``{"image": path, "predictions": [{"class": name, "index": i,
        "probability": p}, ...]}``, most probable first (softmax probabilities).

    Example:
        >>> predict(["boot.png"], "runs/embedded-lenet/best.pt", topk=2)
        [{'image': 'boot.png', 'predictions': [{'class': 'Ankle boot', 'index': 9,
          'probability': 0.97}, {'class': 'Sneaker', 'index': 7, 'probability': 0.02}]}]
    """
    if topk < 1:
        raise UserError(f"--topk must be at least 1, got {topk}")
    device = parse_device(device) if isinstance(device, str) else device
    model, transform, classes, config = load_predictor(checkpoint, device)
    mode = config["preprocess"]["mode"]
    k = min(topk, len(classes))
    results = []
    for start in range(0, len(images), batch_size):
        paths = list(images[start:start + batch_size])
        batch = ember.stack([transform(_open_image(p, mode)) for p in paths]).to(device)
        with ember.no_grad():
            probs = ember.softmax(model(batch), dim=1).cpu().numpy()
        # The top k of a (batch, classes) table of probabilities, highest first (a stable sort:
        # ties keep the class order, as torch.topk does on CPU).
        indices = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        values = np.take_along_axis(probs, indices, axis=1)
        for path, p_row, i_row in zip(paths, values.tolist(), indices.tolist()):
            results.append({"image": path, "predictions": [
                {"class": classes[i], "index": i, "probability": p}
                for p, i in zip(p_row, i_row)]})
    return results


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``embervision-predict``."""
    p = argparse.ArgumentParser(
        prog="embervision-predict",
        description="Classify images with a checkpoint written by embervision-train.")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    p.add_argument("--checkpoint", required=True, help="best.pt or last.pt of a training run")
    p.add_argument("--topk", type=int, default=3, help="classes to show per image (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    return p


def format_predictions(results: list[dict]) -> str:
    """The human-readable listing: each image, then its classes with percentages."""
    lines = []
    for r in results:
        lines.append(r["image"])
        width = max(len(p["class"]) for p in r["predictions"])
        lines += [f"  {n}. {p['class']:<{width}}  {p['probability']:7.2%}"
                  for n, p in enumerate(r["predictions"], 1)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``embervision-predict``: print the top-k classes of each image (a table, or JSON)."""
    args = build_parser().parse_args(argv)
    try:
        results = predict(args.images, args.checkpoint, args.topk, args.device)
    except UserError as exc:
        print(f"embervision-predict: error: {user_message(exc)}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2) if args.json else format_predictions(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
