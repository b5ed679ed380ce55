"""German Traffic Sign Recognition Benchmark: training images in class folders
``gtsrb/GTSRB/Training/<00000-00042>/*.ppm``; test images in ``gtsrb/GTSRB/Final_Test/Images/``
with their classes in ``gtsrb/GT-final_test.csv`` (``;``-separated, columns ``Filename`` ...
``ClassId``)."""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Callable
from typing import Any

from .folder import make_dataset, pil_loader
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["GTSRB"]


class GTSRB(VisionDataset):
    """`GTSRB <https://benchmark.ini.rub.de/>`_: traffic signs in 43 classes (39,209 train,
    12,630 test), PPM images of 15 to 250 pixels a side.

    Args:
        root: folder holding ``gtsrb/``.
        split: ``'train'`` or ``'test'``.
        transform: applied to the PIL RGB image.
        target_transform: applied to the int target (0-42).
        download: download and extract the split's zip archives (MD5-checked).

    Example:
        >>> ds = GTSRB("data", split="test", download=True)
    """

    _base_url = "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/"
    _resources = {
        "train": (("GTSRB-Training_fixed.zip", "513f3c79a4c5141765e10e952eaa2478"),),
        "test": (("GTSRB_Final_Test_Images.zip", "c7e4e6327067d32654124b0fe9e82185"),
                 ("GTSRB_Final_Test_GT.zip", "fe31e9c9270bbcd7b84b7f21a9d9d9e5")),
    }

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "test"))
        self._base_folder = pathlib.Path(self.root) / "gtsrb"
        self._target_folder = self._base_folder / "GTSRB" / (
            "Training" if self._split == "train" else "Final_Test/Images")
        if download:
            self.download()
        if not self._check_exists():
            raise _dataset_not_found(self._target_folder)

        if self._split == "train":
            samples = make_dataset(str(self._target_folder), extensions=(".ppm",))
        else:
            gt_file = self._base_folder / "GT-final_test.csv"
            with open(gt_file) as csv_file:
                reader = csv.DictReader(csv_file, delimiter=";", skipinitialspace=True)
                missing = {"Filename", "ClassId"} - set(reader.fieldnames or ())
                if missing:
                    raise RuntimeError(f"GTSRB: {gt_file} has no column(s) {sorted(missing)}; "
                                       f"its header is {reader.fieldnames}")
                samples = [(str(self._target_folder / row["Filename"]), int(row["ClassId"]))
                           for row in reader]
        self._samples = samples

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, class index)``."""
        path, target = self._samples[index]
        sample = pil_loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def _check_exists(self) -> bool:
        return self._target_folder.is_dir()

    def download(self) -> None:
        """Download and extract the split's archives unless its folder is there."""
        if self._check_exists():
            return
        for filename, md5 in self._resources[self._split]:
            download_and_extract_archive(f"{self._base_url}{filename}",
                                         download_root=str(self._base_folder), md5=md5)
