"""The ``(image file, int label)`` list behind the torchvision datasets that load one image
and one class index per item (DTD, FGVCAircraft, Flowers102, Food101, SUN397,
CLEVRClassification)."""

from __future__ import annotations

from typing import Any

from .vision import VisionDataset

__all__: list[str] = []


class _ImageLabelDataset(VisionDataset):
    """A :class:`VisionDataset` whose subclass ``__init__`` fills ``_image_files`` (paths),
    ``_labels`` (class indices, or ``None`` entries where a split has no labels) and
    ``loader`` (path -> image); items are ``(loader(file), label)`` with ``transform`` and
    ``target_transform`` applied, as in torchvision (which writes the same
    ``__getitem__`` in each of these datasets)."""

    _image_files: list
    _labels: list

    def __len__(self) -> int:
        return len(self._image_files)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        """Returns ``(image, label)``."""
        image = self.loader(self._image_files[idx])
        label = self._labels[idx]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label
