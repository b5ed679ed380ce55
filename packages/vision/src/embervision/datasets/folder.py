"""Datasets from folder trees, one sub-folder per class: ``DatasetFolder`` and ``ImageFolder``.

    root/dog/xxx.png
    root/dog/nested/xxy.jpg
    root/cat/123.png

Classes are the sorted sub-folder names; samples are every valid file under each class folder
(recursively, following links), in sorted order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PIL import Image, UnidentifiedImageError

from .vision import VisionDataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "find_classes",
           "has_file_allowed_extension", "is_image_file", "make_dataset", "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def is_image_file(filename: str) -> bool:
    """Whether ``filename`` has one of :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory) -> tuple[list[str], dict[str, int]]:
    """The class folders of ``directory``: (sorted names, name -> index).

    Raises:
        FileNotFoundError: ``directory`` has no sub-folder.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    class_to_idx = {cls_name: i for i, cls_name in enumerate(classes)}
    return classes, class_to_idx


def make_dataset(directory, class_to_idx: dict[str, int] | None = None,
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """The samples ``(path, class_index)`` under ``directory``'s class folders.

    Args:
        directory: the root folder.
        class_to_idx: class name -> index; default: from :func:`find_classes`.
        extensions: allowed file extensions; exactly one of ``extensions`` and
            ``is_valid_file`` must be given.
        is_valid_file: a function of the path saying whether to keep the file.
        allow_empty: allow class folders with no valid file.

    Raises:
        ValueError: both or neither of ``extensions``/``is_valid_file``; empty ``class_to_idx``.
        FileNotFoundError: a class has no valid file (and ``allow_empty`` is False).
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    both_none = extensions is None and is_valid_file is None
    both_something = extensions is not None and is_valid_file is not None
    if both_none or both_something:
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:

        def is_valid_file(x: str) -> bool:
            return has_file_allowed_extension(x, extensions)

    instances = []
    available_classes = set()
    for target_class in sorted(class_to_idx.keys()):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    available_classes.add(target_class)

    empty_classes = set(class_to_idx.keys()) - available_classes
    if empty_classes and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty_classes))}. "
        if extensions is not None:
            shown = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {shown}"
        raise FileNotFoundError(msg)
    return instances


class DatasetFolder(VisionDataset):
    """A dataset of files arranged one folder per class: ``root/<class>/.../<file>``.

    Args:
        root: the root folder.
        loader: a function loading a sample from its path.
        extensions: allowed extensions (exclusive with ``is_valid_file``).
        transform: applied to the loaded sample.
        target_transform: applied to the class index.
        is_valid_file: a function of the path saying whether to keep the file.
        allow_empty: allow class folders with no valid file.

    Attributes:
        classes: sorted class names. class_to_idx: name -> index.
        samples: list of ``(path, class_index)``. targets: the class index of each sample.

    Override :meth:`find_classes` for another folder layout.
    """

    def __init__(self, root, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx=class_to_idx, extensions=extensions,
                                    is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx: dict[str, int],
                     extensions: tuple[str, ...] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> list[tuple[str, int]]:
        """The samples under ``directory`` (see the module function :func:`make_dataset`)."""
        if class_to_idx is None:
            # find_classes may be overridden, so make_dataset must be given its result.
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions,
                            is_valid_file=is_valid_file, allow_empty=allow_empty)

    def find_classes(self, directory) -> tuple[list[str], dict[str, int]]:
        """The class folders of ``directory`` (see the module function :func:`find_classes`)."""
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(sample, target)``: the loaded file and its class index."""
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)


def pil_loader(path) -> Image.Image:
    """Open an image file as an RGB PIL image.

    Raises:
        PIL.UnidentifiedImageError: not an image Pillow can read; OSError: a damaged or
        truncated image. Both name the file.
    """
    with open(path, "rb") as f:
        try:
            img = Image.open(f)
            return img.convert("RGB")  # decodes now, while the file is open
        except UnidentifiedImageError:
            raise UnidentifiedImageError(
                f"cannot identify image file {path}: not an image, or a format Pillow cannot "
                f"read"
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # Pillow's messages ("image file is truncated", "broken data stream") omit the file.
            raise OSError(f"cannot load image file {path}: {exc}") from exc


def default_loader(path) -> Image.Image:
    """The loader :class:`ImageFolder` uses: :func:`pil_loader`."""
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """Images arranged one folder per class: ``root/dog/xxx.png``, ``root/cat/123.jpg``.

    Args:
        root: the root folder.
        transform: applied to the PIL image (RGB).
        target_transform: applied to the class index.
        loader: loads an image from its path (default: :func:`default_loader`).
        is_valid_file: a function of the path saying whether to keep the file (default: the
            extensions in :data:`IMG_EXTENSIONS`).
        allow_empty: allow class folders with no image.

    Attributes:
        classes, class_to_idx, samples, targets as :class:`DatasetFolder`; imgs = samples.

    Example:
        >>> ds = ImageFolder("photos/train")
        >>> img, target = ds[0]     # PIL.Image (RGB), int
    """

    def __init__(self, root, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
