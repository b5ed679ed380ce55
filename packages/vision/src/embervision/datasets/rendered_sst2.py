"""Rendered SST2 (OpenAI CLIP): sentences of the Stanford Sentiment Treebank v2 rendered as
images, ``rendered-sst2/{train,valid,test}/{negative,positive}/*.png``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .folder import default_loader, make_dataset
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["RenderedSST2"]


class RenderedSST2(VisionDataset):
    """`Rendered SST2 <https://github.com/openai/CLIP/blob/main/data/rendered-sst2.md>`_: OCR-
    style sentiment classification; classes ``['negative', 'positive']`` (6,920 train, 872 val,
    1,821 test images).

    Args:
        root: folder holding ``rendered-sst2/``.
        split: ``'train'`` (default), ``'val'`` or ``'test'``.
        transform: applied to the image. target_transform: applied to the class index.
        download: download and extract the archive (MD5-checked) unless present.
        loader: loads an image from its path (default: PIL, RGB).
    """

    _URL = "https://openaipublic.azureedge.net/clip/data/rendered-sst2.tgz"
    _MD5 = "2384d08e9dcfa4bd55b324e610496ee5"

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        self._split_to_folder = {"train": "train", "val": "valid", "test": "test"}
        self._base_folder = Path(self.root) / "rendered-sst2"
        self.classes = ["negative", "positive"]
        self.class_to_idx = {"negative": 0, "positive": 1}
        if download:
            self._download()
        if not self._check_exists():
            raise _dataset_not_found(self._base_folder)
        self._samples = make_dataset(str(self._base_folder / self._split_to_folder[self._split]),
                                     self.class_to_idx, extensions=("png",))
        self.loader = loader

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        """Returns ``(image, label)``."""
        image_file, label = self._samples[idx]
        image = self.loader(image_file)
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label

    def extra_repr(self) -> str:
        return f"split={self._split}"

    def _check_exists(self) -> bool:
        folder = self._base_folder / self._split_to_folder[self._split]
        return all((folder / name).is_dir() for name in self.classes)

    def _download(self) -> None:
        if self._check_exists():
            return
        download_and_extract_archive(self._URL, download_root=self.root, md5=self._MD5)
