"""FER2013 (Kaggle "Challenges in Representation Learning"): 48x48 grayscale faces in CSV files
under ``root/fer2013``: ``train.csv`` (``emotion,pixels``), ``test.csv`` (``pixels``, no labels),
or the full files ``fer2013.csv`` (``emotion,pixels,Usage``) / ``icml_face_data.csv``
(``emotion, Usage, pixels``: note the spaces), which take precedence (as in torchvision) and
give the test split its labels (``Usage`` ``PublicTest``/``PrivateTest``)."""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from .utils import check_integrity, verify_str_arg
from .vision import VisionDataset

__all__ = ["FER2013"]


class FER2013(VisionDataset):
    """`FER2013 <https://www.kaggle.com/c/challenges-in-representation-learning-facial-expression-recognition-challenge>`_:
    faces labelled with 7 emotions (0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise,
    6 neutral).

    Not downloadable (Kaggle needs a login): place the CSV files in ``root/fer2013``.

    Args:
        root: folder holding ``fer2013/``.
        split: ``'train'`` (default) or ``'test'``.
        transform: applied to the PIL image (mode ``'L'``, 48x48).
        target_transform: applied to the target (an int, or None for ``test.csv``).
    """

    _RESOURCES = {
        "train": ("train.csv", "3f0dfb3d3fd99c811a1299cb947e3131"),
        "test": ("test.csv", "b02c2298636a634e8c2faabbf3ea9a23"),
        "fer": ("fer2013.csv", "f8428a1edbd21e88f42c73edd2a14f95"),
        "icml": ("icml_face_data.csv", "b114b9e04e6949e5fe8b6a98b3892b1d"),
    }

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self._split = verify_str_arg(split, "split", ("train", "test"))
        super().__init__(root, transform=transform, target_transform=target_transform)
        base_folder = pathlib.Path(self.root) / "fer2013"
        use_fer = (base_folder / self._RESOURCES["fer"][0]).exists()
        use_icml = not use_fer and (base_folder / self._RESOURCES["icml"][0]).exists()
        file_name, _ = self._RESOURCES["fer" if use_fer else "icml" if use_icml else self._split]
        data_file = base_folder / file_name
        # Presence only: the MD5s above are those of Kaggle's files, which are not downloaded
        # here; a damaged file shows as a bad row below.
        if not check_integrity(str(data_file)):
            raise RuntimeError(
                f"{file_name} not found in {base_folder} or corrupted. You can download it from "
                f"https://www.kaggle.com/c/challenges-in-representation-learning-facial-"
                f"expression-recognition-challenge"
            )
        pixels_key = " pixels" if use_icml else "pixels"
        usage_key = " Usage" if use_icml else "Usage"
        with open(data_file, newline="") as file:
            rows = list(csv.DictReader(file))
        if use_fer or use_icml:
            valid = ("Training",) if self._split == "train" else ("PublicTest", "PrivateTest")
            rows = [row for row in rows if row[usage_key] in valid]
        has_label = use_fer or use_icml or self._split == "train"
        # One vectorised parse of all pixel strings.
        flat = np.array(" ".join(row[pixels_key] for row in rows).split(), dtype=np.int64)
        if flat.size != len(rows) * 48 * 48:
            raise RuntimeError(f"FER2013: {data_file} should hold 48*48 = 2304 pixels per row; "
                               f"got {flat.size} values in {len(rows)} rows")
        images = flat.astype(np.uint8).reshape(len(rows), 48, 48)
        self._samples = [(images[i], int(row["emotion"]) if has_label else None)
                         for i, row in enumerate(rows)]

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``."""
        pixels, target = self._samples[idx]
        image = Image.fromarray(pixels)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self) -> str:
        return f"split={self._split}"
