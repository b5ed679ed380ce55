"""The data side of ``embervision.train``: the dataset registry (``--dataset``), ImageFolder
trees with a fixed held-out split, the input geometry a model expects, and the train/eval
transforms. Split out of ``train.py``, which re-exports what it and its tests use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

import ember
from ember import nn
from ember.utils.data import Dataset, Subset

from . import datasets
from . import transforms as T
from .datasets.folder import ImageFolder, pil_loader
from .predict import UserError, _convert_steps

_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# Models whose input size is fixed by their layout (the registry's metadata has no field for
# it): lenet's classifier expects 16 x 5 x 5 features, i.e. 28 x 28 inputs.
_FIXED_SIZE = {"lenet": 28}


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """A built-in dataset: its class, image mode and side, statistics and augmentation."""

    cls: str
    mode: str
    size: int
    mean: tuple
    std: tuple
    flip: bool  # a mirrored image keeps its label (clothes, objects), unlike digits
    padding: int  # RandomCrop's padding (random shifts); 0: no random crop
    megabytes: int  # download size, for the message when it is missing


# Mean/std: the per-channel statistics of each training set (the values torchvision's
# references use), so normalised inputs are about zero-mean, unit-variance. Fashion-MNIST gets
# flips only: measured on the embedded set with lenet over 10 epochs, adding 2-pixel random
# shifts cost 2 points of test accuracy (85.5% against 87.65%): lenet is too small to overfit
# 10k images in a short run, so shifts only slow it down.
_DATASETS = {
    "embedded": _Spec("EmbeddedFashionMNIST", "L", 28, (0.2860,), (0.3530,), True, 0, 0),
    "fashionmnist": _Spec("FashionMNIST", "L", 28, (0.2860,), (0.3530,), True, 0, 30),
    "mnist": _Spec("MNIST", "L", 28, (0.1307,), (0.3081,), False, 2, 12),
    "cifar10": _Spec("CIFAR10", "RGB", 32, (0.4914, 0.4822, 0.4465),
                     (0.2470, 0.2435, 0.2616), True, 4, 170),
}


def dataset_name(value: str) -> str:
    """A built-in dataset's name, or the absolute path of an ImageFolder tree."""
    if value.lower() in _DATASETS:
        return value.lower()
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isdir(path):
        raise UserError(f"--dataset {value}: not a built-in dataset ({', '.join(_DATASETS)}) "
                        f"and not a folder; give one of those names or the path of an "
                        f"ImageFolder tree (path/<class>/<image>.png)")
    return path


def dataset_tag(name: str) -> str:
    """A short name for titles and the default output folder."""
    return os.path.basename(os.path.normpath(name)) if name not in _DATASETS else name


class _Transformed(Dataset):
    """``(transform(image), target)`` for the samples of ``base``: one base dataset can serve
    the training and the test pipelines (a held-out split of one ImageFolder tree)."""

    def __init__(self, base, transform) -> None:
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index):
        image, target = self.base[index]
        return self.transform(image), target


def _load_image(path):
    """ImageFolder's loader, with the error a user can act on (a UserError names the file)."""
    try:
        return pil_loader(path)
    except OSError as exc:  # PIL.UnidentifiedImageError is an OSError too
        raise UserError(f"corrupt image in the dataset: {exc}; delete or replace the "
                        f"file") from None


def _fixed_subset(dataset, n: int | None):
    """A fixed random subset of ``n`` samples (always the same ones: seed 0, independent of
    --seed, so runs with different seeds see the same data)."""
    if n is None or n >= len(dataset):
        return dataset
    order = np.random.default_rng(0).permutation(len(dataset))
    return Subset(dataset, np.sort(order[:n]).tolist())


def _held_out_split(targets, fraction: float = 0.2):
    """(train indices, test indices): a fixed ``fraction`` of each class (at least one image
    when the class has two or more) is held out."""
    targets = np.asarray(targets)
    order = np.random.default_rng(0).permutation(len(targets))
    order = order[np.argsort(targets[order], kind="stable")]  # grouped by class, shuffled within
    counts = np.bincount(targets)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_test = np.where(counts >= 2, np.maximum(1, np.round(counts * fraction)), 0).astype(int)
    rank = np.arange(len(order)) - np.repeat(starts, counts)
    is_test = rank < np.repeat(n_test, counts)
    return np.sort(order[~is_test]).tolist(), np.sort(order[is_test]).tolist()


def _builtin_sets(name: str, root: str, download: bool):
    spec = _DATASETS[name]
    cls = getattr(datasets, spec.cls)
    if name == "embedded":
        return cls(train=True), cls(train=False)
    root = os.path.expanduser(root)
    try:
        return (cls(root, train=True, download=download),
                cls(root, train=False, download=download))
    except OSError as exc:  # ember.hub.DownloadError and urllib's errors are OSErrors
        if download:
            raise UserError(f"--download: could not download {name} into {root}: {exc}") from None
        raise UserError(f"{name}: {exc}") from None
    except RuntimeError as exc:  # the dataset's own: missing, or a damaged file (named)
        if not download and "not found" in str(exc).lower():
            raise UserError(
                f"{name} is not in {root} ({exc}). Run again with --download to fetch it "
                f"(about {spec.megabytes} MB, once), or point --data-root at the folder that "
                f"holds {spec.cls}/; --dataset embedded needs no download"
            ) from None
        raise UserError(f"{name}: {exc}") from None


def _folder_sets(path: str):
    def folder(p):
        try:
            return ImageFolder(p, loader=_load_image)
        except (FileNotFoundError, ValueError) as exc:
            raise UserError(f"--dataset {path}: not a usable ImageFolder tree: {exc}; expected "
                            f"<class>/<image> files (e.g. {p}/cat/001.png)") from None

    test_dir = next((os.path.join(path, d) for d in ("val", "test")
                     if os.path.isdir(os.path.join(path, d))), None)
    if os.path.isdir(os.path.join(path, "train")) and test_dir:
        train, test = folder(os.path.join(path, "train")), folder(test_dir)
        if train.classes != test.classes:
            raise UserError(f"--dataset {path}: train/ has the classes {train.classes} but "
                            f"{os.path.basename(test_dir)}/ has {test.classes}; they must match")
        return train, test, train.classes
    tree = folder(path)
    train_idx, test_idx = _held_out_split(tree.targets)
    return Subset(tree, train_idx), Subset(tree, test_idx), tree.classes


def _input_geometry(config: dict, model, weights) -> dict:
    """What the model takes and how images get there (stored in the checkpoint: predict
    rebuilds the same preprocessing from it).

    mode: the dataset's PIL mode; native: its side (None for ImageFolder trees, whose images
    vary); channels/size: the model's input; mean/std: Normalize's.
    """
    name = config["dataset"]
    spec = _DATASETS.get(name)
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    channels = conv.in_channels if conv is not None else (1 if spec and spec.mode == "L" else 3)
    if weights is not None:
        preset = weights.transforms()
        mean, std = tuple(preset.mean), tuple(preset.std)
        min_side = max(weights.meta.get("min_size", (1, 1)))
        folder_size = preset.crop_size[0]
    else:
        mean, std = (spec.mean, spec.std) if spec else (_IMAGENET_MEAN, _IMAGENET_STD)
        min_side, folder_size = 1, 64
    if config["image_size"]:
        size = config["image_size"]
    elif config["model"] in _FIXED_SIZE:
        size = _FIXED_SIZE[config["model"]]
    else:
        size = max(spec.size, min_side) if spec is not None else folder_size
    if len(mean) != channels:  # e.g. RGB statistics for a grayscale model: use their average
        mean, std = (float(np.mean(mean)),) * channels, (float(np.mean(std)),) * channels
    return {"mode": spec.mode if spec else "RGB", "native": spec.size if spec else None,
            "channels": channels, "size": size, "mean": list(mean), "std": list(std)}


def _train_transform(pre: dict, spec: _Spec | None):
    """Light augmentation: random shifts (a padded random crop) where they help, and mirror
    images where a mirrored image keeps its label (not for digits)."""
    if spec is None:  # ImageFolder: shorter side to size, random square window, mirror
        size = pre["size"]
        steps = [T.Resize(size), T.RandomCrop(size, padding=size // 8, padding_mode="reflect"),
                 T.RandomHorizontalFlip()]
    else:
        steps = [T.RandomCrop(spec.size, padding=spec.padding)] if spec.padding else []
        steps += [T.RandomHorizontalFlip()] if spec.flip else []
    return T.Compose(steps + _convert_steps(pre))


def _check_input(model, pre: dict, name: str) -> None:
    """One forward pass on a zero image, so that a model/input mismatch is reported now."""
    shape = (1, pre["channels"], pre["size"], pre["size"])
    was_training = model.training
    model.eval()
    try:
        with ember.no_grad():
            model(ember.zeros(shape))
    except (ValueError, RuntimeError) as exc:
        raise UserError(f"--model {name} cannot take {pre['channels']} x {pre['size']} x "
                        f"{pre['size']} images ({exc}); choose another --model or "
                        f"--image-size") from None
    model.train(was_training)


def _build_data(config: dict, data_root: str, download: bool) -> tuple:
    """(datasets without transforms, classes, spec) for the configured dataset."""
    name = config["dataset"]
    if name in _DATASETS:
        train, test = _builtin_sets(name, data_root, download)
        return train, test, list(train.classes), _DATASETS[name]
    train, test, classes = _folder_sets(name)
    return train, test, list(classes), None
