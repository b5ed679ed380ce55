"""SBU Captioned Photos: a tarball with ``dataset/SBU_captioned_photo_dataset_urls.txt`` and
``..._captions.txt`` (line i of each describes photo i); the photos themselves are fetched one by
one from Flickr into ``dataset/`` (those gone from Flickr are skipped)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ember.hub import DownloadError

from .folder import default_loader
from .utils import check_integrity, download_url, extract_archive
from .vision import VisionDataset

__all__ = ["SBU"]


class SBU(VisionDataset):
    """`SBU Captioned Photo <https://www.cs.rice.edu/~vo9/sbucaptions/>`_: 1M Flickr photos and
    their user captions; items are ``(image, caption)`` for the photos present on disk.

    Args:
        root: folder holding ``SBUCaptionedPhotoDataset.tar.gz`` and ``dataset/``.
        transform: applied to the image. target_transform: applied to the caption (str).
        download: download the tarball (MD5-checked), extract it and fetch every photo;
            True by default, as torchvision.
        loader: loads an image from its path (default: PIL, RGB).
    """

    url = "https://www.cs.rice.edu/~vo9/sbucaptions/SBUCaptionedPhotoDataset.tar.gz"
    filename = "SBUCaptionedPhotoDataset.tar.gz"
    md5_checksum = "9aec147b3488753cf758b4d493422285"

    def __init__(self, root, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = True,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it")
        self.photos: list[str] = []
        self.captions: list[str] = []
        file1 = os.path.join(self.root, "dataset", "SBU_captioned_photo_dataset_urls.txt")
        file2 = os.path.join(self.root, "dataset", "SBU_captioned_photo_dataset_captions.txt")
        with open(file1) as fh1, open(file2) as fh2:
            for line1, line2 in zip(fh1, fh2):
                photo = os.path.basename(line1.rstrip())
                if os.path.exists(os.path.join(self.root, "dataset", photo)):
                    self.photos.append(photo)
                    self.captions.append(line2.rstrip())
        self.loader = loader

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, caption)``."""
        img = self.loader(os.path.join(self.root, "dataset", self.photos[index]))
        if self.transform is not None:
            img = self.transform(img)
        target = self.captions[index]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.photos)

    def _check_integrity(self) -> bool:
        # Presence of the tarball (its MD5 is checked when downloading).
        return check_integrity(os.path.join(self.root, self.filename))

    def download(self) -> None:
        """Download and extract the tarball, then each photo (missing ones are skipped)."""
        if self._check_integrity():
            return
        archive = download_url(self.url, self.root, self.filename, self.md5_checksum)
        extract_archive(archive, self.root)
        with open(os.path.join(self.root, "dataset", "SBU_captioned_photo_dataset_urls.txt")) as fh:
            for line in fh:
                try:
                    download_url(line.rstrip(), os.path.join(self.root, "dataset"))
                except (OSError, DownloadError):
                    pass  # photos are removed from Flickr by their owners at any time
