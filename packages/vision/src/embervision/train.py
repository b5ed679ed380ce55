"""Train an image classifier: ``python -m embervision.train`` (or ``embervision-train``).

The whole job a PyTorch user writes by hand, as one command: a dataset with the usual
transforms, a model from the registry (from scratch, or fine-tuned from published weights with a
new head), an optimiser with a cosine learning-rate schedule, a progress bar per epoch, test
loss and accuracy after every epoch, checkpoints, a metrics table, a plot of the curves, and a
resume that continues bit for bit.

    embervision-train                       # embedded Fashion-MNIST, lenet: 87.6% in ~1.5 min
    embervision-train --dataset mnist --download --epochs 5
    embervision-train --dataset path/to/photos --model resnet18 --pretrained --freeze-backbone
    embervision-train --epochs 4 --stop-after 2 && embervision-train --epochs 4 --resume

Outputs in ``--out`` (default ``runs/<dataset>-<model>``): ``last.pt`` and ``best.pt``
(model, optimiser, scheduler and RNG states, the configuration and the class names: what
``embervision-predict`` needs), ``metrics.csv`` (one row per epoch), ``curves.png`` (loss and
accuracy per epoch) and ``confusion_matrix.csv`` (of the last evaluation).

Datasets (``--dataset``): ``embedded`` (the Fashion-MNIST subset shipped in the package: no
network), ``mnist``, ``fashionmnist``, ``cifar10`` (under ``--data-root``; ``--download`` fetches
them), or the path of an ImageFolder tree: ``path/train/<class>/*.png`` with ``path/val`` (or
``path/test``), or a single ``path/<class>/*.png`` tree of which a fixed 20% of each class is
held out for testing.

Resuming is bit-identical on the CPU (every generator's state is in the checkpoint). On a GPU,
CuPy's generator state cannot be exported: a model that draws random numbers on the device
(dropout) continues with the device stream re-seeded from --seed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import numpy as np

import ember
import ember.nn.functional as F
from ember.utils.data import DataLoader

from ._plot import plot_curves
from ._train_data import (  # noqa: F401  (_held_out_split: re-exported for the tests)
    _DATASETS,
    _build_data,
    _check_input,
    _fixed_subset,
    _held_out_split,
    _input_geometry,
    _train_transform,
    _Transformed,
    dataset_name,
    dataset_tag,
)
from .predict import (
    UserError,
    build_model,
    eval_transform,
    load_checkpoint,
    load_model_state,
    parse_device,
    user_message,
)

__all__ = ["UserError", "build_parser", "cli", "confusion_summary", "evaluate", "main"]

CHECKPOINT_FORMAT = "embervision.train/1"
# Measured on the 2-core development machine: the default run (embedded Fashion-MNIST, lenet,
# batch 64, Adam at 2e-3 decayed per batch on a cosine, 2 workers) takes about 9 s an epoch when
# the machine is otherwise idle, so about 1.5 minutes in all, and ends at 87.6% test accuracy
# (86.0% after 5 epochs; 3 epochs of their own cosine reach only about 84%).
DEFAULT_EPOCHS = 10
# Per-optimiser defaults: (learning rate, weight decay). AdamW's decay is PyTorch's default.
_OPTIMIZERS = {"sgd": (0.05, 5e-4), "adam": (2e-3, 0.0), "adamw": (2e-3, 0.01)}
# Options that define the run: a resumed run takes them from the checkpoint, and giving a
# different value is an error (it would not continue the same run).
_IDENTITY = ("dataset", "model", "pretrained", "freeze_backbone", "image_size", "epochs",
             "batch_size", "lr", "optimizer", "weight_decay", "seed", "limit_train",
             "limit_test")
_DATA_ROOT = os.path.join("~", ".cache", "ember", "datasets")


# ---------------------------------------------------------------------------------------------
# The run (the data side: _train_data.py)
# ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``embervision-train``. Options that define the run default to None
    here: their defaults depend on other options or, with --resume, on the checkpoint."""
    p = argparse.ArgumentParser(
        prog="embervision-train",
        description="Train an image classifier with Ember (PyTorch's API on NumPy/CuPy).")
    add = p.add_argument
    add("--dataset", help="embedded (default: the Fashion-MNIST subset shipped with "
                          "embervision), mnist, fashionmnist, cifar10, or an ImageFolder path")
    add("--data-root", help=f"where downloadable datasets live (default: {_DATA_ROOT})")
    add("--download", action="store_true", help="download the dataset if it is not there")
    add("--model", help="a name from embervision.models.list_models() (default: lenet for "
                        "28x28 grayscale data, resnet18 otherwise)")
    add("--pretrained", action="store_true",
        help="fine-tune from the model's published weights (a new head for the classes)")
    add("--freeze-backbone", action="store_true", help="with --pretrained: train the head only")
    add("--image-size", type=int, help="model input side (default: the dataset's; ImageFolder "
                                       "64, or the weights' crop size with --pretrained)")
    add("--epochs", type=int, help=f"default {DEFAULT_EPOCHS}")
    add("--batch-size", type=int, help="default 64")
    add("--lr", type=float, help="peak learning rate, decayed to 0 on a cosine over the run "
                                 "(default: sgd 0.05, adam/adamw 0.002)")
    add("--optimizer", choices=sorted(_OPTIMIZERS), help="default adam (sgd: momentum 0.9, "
                                                         "Nesterov)")
    add("--weight-decay", type=float, help="default: sgd 5e-4, adam 0, adamw 0.01")
    add("--workers", type=int, help="DataLoader worker processes (default 2; 0 loads in the "
                                    "main process)")
    add("--seed", type=int, help="default 0")
    add("--device", default="cpu", help="cpu (default) or cuda[:N]")
    add("--out", help="output folder (default runs/<dataset>-<model>)")
    add("--resume", action="store_true", help="continue the run in --out from its last.pt")
    add("--stop-after", type=int, metavar="N", help="stop after epoch N as if interrupted (the "
                                                    "schedule still spans --epochs)")
    add("--limit-train", type=int, metavar="N", help="train on a fixed subset of N images")
    add("--limit-test", type=int, metavar="N", help="test on a fixed subset of N images")
    add("--no-progress", action="store_true", help="hide the progress bars")
    return p


def _resolve(args: argparse.Namespace) -> dict:
    """The run's configuration: the options, with their defaults filled in."""
    config = {k: getattr(args, k) for k in _IDENTITY}
    config["dataset"] = dataset_name(config["dataset"] or "embedded")
    spec = _DATASETS.get(config["dataset"])
    if config["model"] is None:
        grayscale_28 = spec is not None and spec.mode == "L" and spec.size == 28
        config["model"] = "lenet" if grayscale_28 else "resnet18"
    config["model"] = config["model"].lower()
    config["optimizer"] = config["optimizer"] or "adam"
    lr, weight_decay = _OPTIMIZERS[config["optimizer"]]
    for key, value in (("epochs", DEFAULT_EPOCHS), ("batch_size", 64), ("lr", lr),
                       ("weight_decay", weight_decay), ("seed", 0)):
        if config[key] is None:
            config[key] = value
    for key in ("epochs", "batch_size", "image_size", "limit_train", "limit_test"):
        if config[key] is not None and config[key] < 1:
            raise UserError(f"--{key.replace('_', '-')} must be at least 1, got {config[key]}")
    config["workers"] = 2 if args.workers is None else args.workers
    config["data_root"] = args.data_root or _DATA_ROOT
    if config["workers"] < 0:
        raise UserError(f"--workers must be 0 or more, got {config['workers']}")
    if args.stop_after is not None and args.stop_after < 1:
        raise UserError(f"--stop-after must be at least 1, got {args.stop_after}")
    if config["freeze_backbone"] and not config["pretrained"]:
        raise UserError("--freeze-backbone needs --pretrained (a random backbone would stay "
                        "random)")
    return config


def _merge_resumed(args: argparse.Namespace, saved: dict, path: str) -> dict:
    """The saved run's configuration; options given now must agree with it."""
    for key in _IDENTITY:
        value = getattr(args, key)
        if value is None or value is False or key not in saved:  # not given (False: a flag)
            continue
        value = dataset_name(value) if key == "dataset" else value
        value = value.lower() if key == "model" else value
        if value != saved[key]:
            raise UserError(
                f"--resume: {path} is a run with --{key.replace('_', '-')} {saved[key]}, not "
                f"{value}; drop the option to continue that run, or choose another --out")
    merged = dict(saved)
    # Where the data are and how many workers load them may change (another machine); the
    # same worker count keeps the augmentations (drawn in the workers) bit-identical.
    merged["workers"] = args.workers if args.workers is not None else saved.get("workers", 2)
    merged["data_root"] = args.data_root or saved.get("data_root", _DATA_ROOT)
    return merged


def _rng_state(shuffle) -> dict:
    key, pos, has_gauss, cached = np.random.get_state()[1:]
    return {"ember": ember.get_rng_state(), "shuffle": shuffle.get_state(),
            "python": random.getstate(),
            "numpy": [key.tolist(), int(pos), int(has_gauss), float(cached)]}


def _set_rng_state(state: dict, shuffle) -> None:
    ember.set_rng_state(state["ember"])
    shuffle.set_state(state["shuffle"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    key, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(("MT19937", np.asarray(key, dtype=np.uint32), pos, has_gauss, cached))


def _make_optimizer(config: dict, params):
    name, lr, wd = config["optimizer"], config["lr"], config["weight_decay"]
    if name == "sgd":
        return ember.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    cls = ember.optim.Adam if name == "adam" else ember.optim.AdamW
    return cls(params, lr=lr, weight_decay=wd)


def evaluate(model, loader, num_classes: int, device=None) -> dict:
    """Mean cross-entropy, accuracy and confusion matrix of ``model`` over ``loader``.

    Returns:
        ``{"loss": float, "accuracy": float, "confusion": (C, C) int64 array}`` (rows: the
        true class, columns: the predicted one).
    """
    model.eval()
    confusion = ember.metrics.ConfusionMatrix("multiclass", num_classes=num_classes)
    total, count = 0.0, 0
    with ember.no_grad():
        for images, labels in loader:
            logits = model(images.to(device) if device is not None else images)
            labels = labels.to(logits.device)
            total += F.cross_entropy(logits, labels, reduction="sum").item()
            count += len(labels)
            confusion.update(logits.argmax(1).cpu(), labels.cpu())
    matrix = confusion.compute().numpy()
    return {"loss": total / max(count, 1), "accuracy": float(np.trace(matrix)) / max(count, 1),
            "confusion": matrix}


def _train_epoch(model, optimizer, scheduler, device, bar) -> dict:
    model.train()
    running, correct, seen = 0.0, 0, 0
    for images, labels in bar:
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()  # per batch: the cosine decays smoothly even over a few epochs
        running += loss.item() * len(labels)
        correct += int((logits.argmax(1) == labels).sum().item())
        seen += len(labels)
        bar.set_postfix(loss=f"{running / seen:.4f}", acc=f"{correct / seen:.1%}")
    return {"train_loss": running / max(seen, 1), "train_accuracy": correct / max(seen, 1)}


METRICS_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr",
                   "seconds")


def _atomic_text(path: str, text: str) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def _write_outputs(out: str, history: list, confusion, classes, title: str) -> None:
    """metrics.csv, curves.png and confusion_matrix.csv, each rewritten whole (atomically)."""
    rows = [",".join(METRICS_COLUMNS)]
    # repr of a float is exact and round-trips: resumed and uninterrupted runs compare equal.
    rows += [",".join(str(h[c]) if c == "epoch" else repr(float(h[c])) for c in METRICS_COLUMNS)
             for h in history]
    _atomic_text(os.path.join(out, "metrics.csv"), "\n".join(rows) + "\n")
    plot_curves(history, os.path.join(out, "curves.png"), title=title)
    names = [c.replace(",", " ") for c in classes]
    lines = ["true\\predicted," + ",".join(names)]
    lines += [name + "," + ",".join(str(int(v)) for v in row)
              for name, row in zip(names, confusion)]
    _atomic_text(os.path.join(out, "confusion_matrix.csv"), "\n".join(lines) + "\n")


def confusion_summary(confusion, classes, top: int = 3) -> str:
    """Per-class accuracy (recall) and the most frequent confusions, as printable lines.

    Example:
        >>> print(confusion_summary(np.array([[8, 2], [1, 9]]), ["cat", "dog"]))
        per-class accuracy: cat 80.0%, dog 90.0%
        most confused (true -> predicted): cat -> dog (2), dog -> cat (1)
    """
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1)
    recall = np.divide(np.diag(confusion), totals, out=np.zeros(len(classes)), where=totals > 0)
    lines = ["per-class accuracy: " + ", ".join(
        f"{name} {r:.1%}" if n else f"{name} -" for name, r, n in zip(classes, recall, totals))]
    off = confusion.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None, kind="stable")[::-1][:top]
    pairs = [np.unravel_index(i, off.shape) for i in order if off.flat[i] > 0]
    if pairs:
        lines.append("most confused (true -> predicted): " + ", ".join(
            f"{classes[t]} -> {classes[p]} ({off[t, p]})" for t, p in pairs))
    return "\n".join(lines)


def _log(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> dict:
    """Run the trainer with the command-line arguments ``argv`` (default ``sys.argv[1:]``).

    Returns:
        ``{"out": folder, "history": [one dict per epoch], "classes": [...], "model": model}``.

    Raises:
        UserError: a problem with the options, the data or a checkpoint that the user can
            fix (the console script prints it as one line, without a traceback).
    """
    args = build_parser().parse_args(argv)
    config = _resolve(args)
    out = args.out or os.path.join("runs", f"{dataset_tag(config['dataset'])}-{config['model']}")
    last_path, best_path = os.path.join(out, "last.pt"), os.path.join(out, "best.pt")
    saved = None
    if args.resume:
        if not os.path.isfile(last_path):
            raise UserError(f"--resume: no checkpoint at {last_path}; start the run without "
                            f"--resume, or give the --out of the run to continue")
        saved = load_checkpoint(last_path)
        config = _merge_resumed(args, saved["config"], last_path)
    device = parse_device(args.device)

    ember.manual_seed(config["seed"])
    random.seed(config["seed"])
    np.random.seed(config["seed"])
    train_base, test_base, classes, spec = _build_data(config, config["data_root"],
                                                           args.download)
    model, weights = build_model(config, len(classes), load_weights=saved is None)
    pre = _input_geometry(config, model, weights)
    _check_input(model, pre, config["model"])
    config["preprocess"] = pre
    train_set = _Transformed(_fixed_subset(train_base, config["limit_train"]),
                             _train_transform(pre, spec))
    test_set = _Transformed(_fixed_subset(test_base, config["limit_test"]), eval_transform(pre))
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = _make_optimizer(config, params)

    shuffle = ember.Generator().manual_seed(config["seed"])  # its state goes in the checkpoint
    # Workers start afresh each epoch (not persistent): each epoch's worker seeds are drawn
    # from `shuffle`, whose state the checkpoint holds, so a resumed run draws the same
    # augmentations as an uninterrupted one.
    train_loader = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True,
                              num_workers=config["workers"], generator=shuffle)
    test_loader = DataLoader(test_set, batch_size=256, num_workers=config["workers"])
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=config["epochs"] * len(train_loader))

    history, start_epoch, best = [], 0, None
    if saved is not None:
        load_model_state(model, saved["model"], last_path, config["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        _set_rng_state(saved["rng"], shuffle)
        start_epoch, history, best = saved["epoch"], list(saved["history"]), saved["best"]
        _log(f"resumed {last_path} after epoch {start_epoch}/{config['epochs']}")
    else:
        n_params = sum(p.numel() for p in params)
        _log(f"{dataset_tag(config['dataset'])}: {len(train_set)} train / {len(test_set)} test "
             f"images, {len(classes)} classes; {config['model']}"
             f"{' (pretrained)' if config['pretrained'] else ''}, {n_params:,} trainable "
             f"parameters; {config['epochs']} epoch{'s' if config['epochs'] > 1 else ''}; "
             f"writing to {out}")
    os.makedirs(out, exist_ok=True)

    from tqdm import tqdm

    title = f"{dataset_tag(config['dataset'])} - {config['model']}"
    stop = config["epochs"] if args.stop_after is None else min(args.stop_after, config["epochs"])
    result = None
    for epoch in range(start_epoch, stop):
        started = time.perf_counter()
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{config['epochs']}", leave=False,
                   disable=args.no_progress, unit="batch", dynamic_ncols=True)
        metrics = _train_epoch(model, optimizer, scheduler, device, bar)
        bar.close()
        result = evaluate(model, test_loader, len(classes), device)
        row = {"epoch": epoch + 1, **metrics, "test_loss": result["loss"],
               "test_accuracy": result["accuracy"], "lr": optimizer.param_groups[0]["lr"],
               "seconds": time.perf_counter() - started}
        history.append(row)
        _log(f"epoch {epoch + 1}/{config['epochs']}  train loss {row['train_loss']:.4f} "
             f"acc {row['train_accuracy']:.2%}  test loss {row['test_loss']:.4f} "
             f"acc {row['test_accuracy']:.2%}  ({row['seconds']:.1f}s)")
        improved = best is None or row["test_accuracy"] > best["test_accuracy"]
        if improved:
            best = {"epoch": epoch + 1, "test_accuracy": row["test_accuracy"]}
        checkpoint = {"format": CHECKPOINT_FORMAT, "epoch": epoch + 1, "config": config,
                      "classes": classes, "model": model.state_dict(),
                      "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                      "rng": _rng_state(shuffle), "history": history, "best": best}
        ember.save(checkpoint, last_path)
        if improved:
            ember.save(checkpoint, best_path)
        _write_outputs(out, history, result["confusion"], classes, title)

    if result is None:
        _log(f"nothing to do: the run in {out} has {len(history)} of {config['epochs']} epochs")
    else:
        _log(f"final test accuracy {history[-1]['test_accuracy']:.2%} (best "
             f"{best['test_accuracy']:.2%} at epoch {best['epoch']}; {best_path})")
        _log(confusion_summary(result["confusion"], classes))
        if len(history) < config["epochs"]:
            _log(f"stopped after epoch {len(history)}; continue with --resume --out {out}")
    return {"out": out, "history": history, "classes": classes, "model": model}


def cli(argv: list[str] | None = None) -> int:
    """The console script: :func:`main`, printing a :class:`UserError` as one line."""
    try:
        main(argv)
    except UserError as exc:
        print(f"embervision-train: error: {user_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("embervision-train: interrupted; continue with --resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())
