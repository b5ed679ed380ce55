"""Train a small convolutional classifier on handwritten digits, end to end.

The whole training loop a PyTorch user writes by hand, on Ember: a Dataset and a DataLoader with
worker processes, a CNN, Adam with a cosine learning-rate schedule, accuracy and F1 each epoch, a
progress bar, a checkpoint after every epoch, and ``--resume`` that continues from the last
checkpoint bit for bit (same weights as an uninterrupted run).

    python examples/train_classifier.py                      # 8 epochs, ~97% test accuracy
    python examples/train_classifier.py --epochs 8 --stop-after 4 --out runs/digits
    python examples/train_classifier.py --epochs 8 --out runs/digits --resume

Data: the UCI handwritten digits (1797 8x8 images, see examples/data/README.md).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.metrics import Accuracy, F1Score
from ember.utils.data import DataLoader, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "data", "digits.csv.gz")


def load_digits(path: str = DIGITS, test_fraction: float = 0.2, seed: int = 0):
    """The digits as (train, test) TensorDatasets of (1, 8, 8) float images in [0, 1]."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    labels = table[:, 64].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))  # a fixed split
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    as_set = lambda idx: TensorDataset(ember.from_numpy(images[idx]), ember.from_numpy(labels[idx]))  # noqa: E731
    return as_set(train), as_set(test)


class DigitNet(nn.Module):
    """Two 3x3 conv blocks and a two-layer head: about 13k parameters."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(64, num_classes),
        )

    def forward(self, x):
        return self.head(self.features(x))


def evaluate(model, loader, num_classes: int = 10):
    model.eval()
    accuracy = Accuracy(num_classes=num_classes)
    f1 = F1Score(num_classes=num_classes, average="macro")
    total_loss, count = 0.0, 0
    with ember.no_grad():
        for images, labels in loader:
            logits = model(images)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            count += len(labels)
            accuracy.update(logits, labels)
            f1.update(logits, labels)
    return {"loss": total_loss / count, "accuracy": accuracy.compute().item(),
            "f1": f1.compute().item()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("runs", "digits"))
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    parser.add_argument("--stop-after", type=int, default=None, metavar="N",
                        help="stop after epoch N, as if interrupted (the schedule still "
                             "spans --epochs)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)

    ember.manual_seed(args.seed)
    train_set, test_set = load_digits(seed=args.seed)
    shuffle_rng = ember.Generator().manual_seed(args.seed)  # its state goes in the checkpoint
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.workers, generator=shuffle_rng)
    test_loader = DataLoader(test_set, batch_size=256)

    model = DigitNet()
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    os.makedirs(args.out, exist_ok=True)
    checkpoint_path = os.path.join(args.out, "last.pt")
    history = []
    start_epoch = 0
    if args.resume:
        state = ember.load(checkpoint_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        shuffle_rng.set_state(state["shuffle_rng"])
        ember.set_rng_state(state["rng"])
        start_epoch, history = state["epoch"], state["history"]
        print(f"resumed from {checkpoint_path} after epoch {start_epoch}")

    from tqdm import tqdm

    last_epoch = args.epochs if args.stop_after is None else min(args.stop_after, args.epochs)
    for epoch in range(start_epoch, last_epoch):
        model.train()
        started = time.perf_counter()
        running, seen = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False,
                   disable=args.no_progress)
        for images, labels in bar:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(labels)
            seen += len(labels)
            bar.set_postfix(loss=f"{running / seen:.4f}")
        scheduler.step()
        metrics = evaluate(model, test_loader)
        metrics.update(epoch=epoch + 1, train_loss=running / seen,
                       seconds=time.perf_counter() - started)
        history.append(metrics)
        print(f"epoch {epoch + 1:2d}  train loss {metrics['train_loss']:.4f}  "
              f"test loss {metrics['loss']:.4f}  accuracy {metrics['accuracy']:.2%}  "
              f"macro F1 {metrics['f1']:.3f}  ({metrics['seconds']:.1f}s)")
        ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "shuffle_rng": shuffle_rng.get_state(),
                    "rng": ember.get_rng_state(), "epoch": epoch + 1, "history": history},
                   checkpoint_path)

    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(history, f, indent=2)
    if history:
        print(f"test accuracy {history[-1]['accuracy']:.2%} "
              f"(checkpoint: {checkpoint_path})")
    return model, history


if __name__ == "__main__":
    main()
