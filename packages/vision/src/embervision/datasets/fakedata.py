"""FakeData: random images with random labels, the same for the same index every time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from .vision import VisionDataset

__all__ = ["FakeData"]

_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


class FakeData(VisionDataset):
    """A dataset of random PIL images, for smoke tests and benchmarks.

    Deliberate difference from torchvision: pixels are uniform uint8 values drawn by NumPy's
    PCG64 seeded with ``index + random_offset`` (torchvision draws a normal tensor with torch's
    generator and casts it), so images differ from torchvision's; like torchvision's they depend
    only on the index and never disturb the global random state.

    Args:
        size: number of images.
        image_size: (channels, height, width); 1, 3 or 4 channels (modes L, RGB, RGBA).
        num_classes: targets are in ``[0, num_classes)``.
        transform: applied to the PIL image.
        target_transform: applied to the int target.
        random_offset: added to the index to seed each image.

    Example:
        >>> ds = FakeData(size=8, image_size=(3, 32, 32))
        >>> img, target = ds[0]
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        if len(image_size) != 3 or image_size[0] not in _MODES:
            raise ValueError(f"FakeData: image_size must be (channels, height, width) with 1, 3 "
                             f"or 4 channels, got {tuple(image_size)}")
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a random PIL image and a random class index."""
        if index >= len(self) or index < -len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        index %= len(self)
        rng = np.random.default_rng(index + self.random_offset)
        channels, height, width = self.image_size
        pixels = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        target = int(rng.integers(0, self.num_classes))
        img = Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.size
