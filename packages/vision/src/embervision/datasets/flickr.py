"""Flickr8k and Flickr30k image captioning: items are ``(image, list of captions)``.

- Flickr8k's annotation file is the HTML page of Hockenmaier's site: a ``<table>`` where each
  image is an ``<a>`` link ``.../<flickr id>/`` followed by ``<li>`` captions; the image file is
  ``root/<flickr id>_*.jpg``.
- Flickr30k's is ``results_20130124.token``: lines ``<file>.jpg#<n>\\t<caption>``.
"""

from __future__ import annotations

import glob
import os
from collections import defaultdict
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from .folder import default_loader
from .vision import VisionDataset

__all__ = ["Flickr8k", "Flickr30k", "Flickr8kParser"]


class Flickr8kParser(HTMLParser):
    """Collects the captions of the Flickr8k HTML page: ``annotations[image path] = [...]``."""

    def __init__(self, root) -> None:
        super().__init__()
        self.root = root
        self.annotations: dict[str, list[str]] = {}
        self.in_table = False
        self.current_tag: str | None = None
        self.current_img: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        self.current_tag = tag
        if tag == "table":
            self.in_table = True

    def handle_endtag(self, tag: str) -> None:
        self.current_tag = None
        if tag == "table":
            self.in_table = False

    def handle_data(self, data: str) -> None:
        if not self.in_table:
            return
        if data == "Image Not Found":
            self.current_img = None
        elif self.current_tag == "a":
            img_id = data.split("/")[-2]
            matches = sorted(glob.glob(os.path.join(glob.escape(os.fspath(self.root)),
                                                    img_id + "_*.jpg")))
            if not matches:
                raise FileNotFoundError(f"Flickr8k: no image {img_id}_*.jpg in {self.root} for "
                                        f"the link {data!r} of the annotation file")
            self.current_img = matches[0]
            self.annotations[self.current_img] = []
        elif self.current_tag == "li" and self.current_img:
            self.annotations[self.current_img].append(data.strip())


class Flickr8k(VisionDataset):
    """`Flickr8k <http://hockenmaier.cs.illinois.edu/8k-pictures.html>`_: 8,000 images with 5
    captions each.

    Args:
        root: folder holding the images.
        ann_file: the annotation HTML file.
        transform: applied to the image. target_transform: applied to the caption list.
        loader: loads an image from its path (default: PIL, RGB).

    Example:
        >>> ds = Flickr8k("Flicker8k_Dataset", "Flickr8k.html")
        >>> img, captions = ds[0]
    """

    def __init__(self, root, ann_file: str, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)
        parser = Flickr8kParser(self.root)
        with open(self.ann_file) as fh:
            parser.feed(fh.read())
        self.annotations = parser.annotations
        self.ids = sorted(self.annotations.keys())
        self.loader = loader

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, captions)``."""
        img_id = self.ids[index]
        img = self.loader(img_id)
        if self.transform is not None:
            img = self.transform(img)
        target = self.annotations[img_id]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.ids)


class Flickr30k(VisionDataset):
    """`Flickr30k <https://bryanplummer.com/Flickr30kEntities/>`_: 31,783 images with 5
    captions each.

    Args:
        root: folder holding the images.
        ann_file: the token file (``<file>#<n>\\t<caption>`` lines).
        transform: applied to the image. target_transform: applied to the caption list.
        loader: loads an image from its path (default: PIL, RGB).
    """

    def __init__(self, root, ann_file: str, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)
        self.annotations: dict[str, list[str]] = defaultdict(list)
        with open(self.ann_file) as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                parts = line.strip().split("\t")
                if len(parts) != 2:
                    raise RuntimeError(f"Flickr30k: line {number} of {self.ann_file} should be "
                                       f"'<image>#<n><TAB><caption>', got {line.strip()!r}")
                img_id, caption = parts
                self.annotations[img_id[:-2]].append(caption)  # drop the "#<n>" suffix
        self.ids = sorted(self.annotations.keys())
        self.loader = loader

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, captions)``."""
        img_id = self.ids[index]
        img = self.loader(os.path.join(self.root, img_id))
        if self.transform is not None:
            img = self.transform(img)
        target = self.annotations[img_id]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.ids)
