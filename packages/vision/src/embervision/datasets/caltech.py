"""Caltech 101 and Caltech 256, from their category folders.

Caltech101: ``caltech101/101_ObjectCategories/<category>/image_0001.jpg`` ... (the folder
``BACKGROUND_Google`` is not a class) and ``caltech101/Annotations/<category>/annotation_0001.mat``
(``obj_contour``: 2 x K outline points, ``box_coord``), whose category folders are named
differently for four classes. Caltech256: ``caltech256/256_ObjectCategories/<NNN.name>/
<NNN>_<0001>.jpg``.

Both archives live on Google Drive (torchvision's file ids); a Drive "view" page is HTML, so the
files are fetched from Drive's direct-download endpoint (``confirm=t`` skips the "cannot scan
this file for viruses" page of large files) through :mod:`ember.hub` with the same MD5s.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PIL import Image

from ._matlab import loadmat
from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["Caltech101", "Caltech256"]

_GDRIVE = "https://drive.usercontent.google.com/download?id={}&export=download&confirm=t"


def _open_image(path) -> Image.Image:
    """Decode the image at ``path`` in its own mode and close the file.

    torchvision returns ``Image.open(path)`` unloaded, which keeps the file open until the
    image is garbage-collected (a ResourceWarning, and one descriptor per pending sample in
    worker processes); the pixels are the same.
    """
    with open(path, "rb") as f:
        img = Image.open(f)
        img.load()
    return img


class _CaltechBase(VisionDataset):
    """What Caltech101 and Caltech256 share: ``<root>/<_IMAGES>/<category>/`` folders of
    numbered images, Drive archives in ``_resources`` and the (image, target) transforms."""

    _IMAGES: str  # the images folder under ``self.root``
    _url_template = _GDRIVE
    _resources: tuple  # (Drive file id, filename, md5) per archive (torchvision's)

    def _find_categories(self, download: bool) -> list[str]:
        """Download first if asked, check the images are there, and return the sorted
        category folder names."""
        if download:
            self.download()
        images = os.path.join(self.root, self._IMAGES)
        if not self._check_integrity():
            raise _dataset_not_found(images)
        return sorted(c for c in os.listdir(images) if os.path.isdir(os.path.join(images, c)))

    def _index_categories(self, count: Callable[[str], int]) -> None:
        """Set ``index`` (1-based image number within its folder) and ``y`` (category index)
        for every image, ``count(folder)`` giving how many images a category folder holds."""
        self.index: list[int] = []
        self.y: list[int] = []
        images = os.path.join(self.root, self._IMAGES)
        for i, c in enumerate(self.categories):  # over folders, not images
            n = count(os.path.join(images, c))
            self.index.extend(range(1, n + 1))
            self.y.extend(n * [i])

    def _apply_transforms(self, img: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _check_integrity(self) -> bool:
        return os.path.isdir(os.path.join(self.root, self._IMAGES))

    def __len__(self) -> int:
        return len(self.index)

    def download(self) -> None:
        """Download and extract the archives (MD5-checked) unless the images are there."""
        if self._check_integrity():
            return
        for file_id, filename, md5 in self._resources:
            download_and_extract_archive(self._url_template.format(file_id), self.root,
                                         filename=filename, md5=md5)


class Caltech101(_CaltechBase):
    """`Caltech 101 <https://data.caltech.edu/records/mzrjq-6wc02>`_: 101 object categories,
    40 to 800 images each (about 300 x 200 pixels; some are grayscale and are returned in their
    own mode, as torchvision does).

    Args:
        root: folder in which ``caltech101/`` is (or will be) placed.
        target_type: ``'category'`` (int), ``'annotation'`` (the outline: float64 NumPy array
            2 x K of x and y points) or a list of both (a tuple target).
        transform: applied to the PIL image. target_transform: applied to the target.
        download: download and extract the images and annotations (MD5-checked).

    Attributes:
        categories: sorted category names (without ``BACKGROUND_Google``);
        annotation_categories: their folder names under ``Annotations``.

    Example:
        >>> ds = Caltech101("data", target_type=["category", "annotation"], download=True)
        >>> img, (label, contour) = ds[0]
    """

    _IMAGES = "101_ObjectCategories"
    _resources = (  # Drive file id, filename, md5 (torchvision's)
        ("137RyRjvTBkBiIfeYBNZBtViDHQ6_Ewsp", "101_ObjectCategories.tar.gz",
         "b224c7392d521a49829488ab0f1120d9"),
        ("175kQy3UsZ0wUEHZjqkUDdNVssr7bgh_m", "Annotations.tar",
         "6f83eeb1f24d99cab4eb377263132c91"),
    )

    def __init__(self, root, target_type: list[str] | str = "category",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(os.path.join(os.path.expanduser(os.fspath(root)), "caltech101"),
                         transform=transform, target_transform=target_transform)
        if isinstance(target_type, str):
            target_type = [target_type]
        self.target_type = [verify_str_arg(t, "target_type", ("category", "annotation"))
                            for t in target_type]
        self.categories = self._find_categories(download)
        if "BACKGROUND_Google" in self.categories:
            self.categories.remove("BACKGROUND_Google")  # clutter, not a class
        # The Annotations folders of four categories have other names.
        name_map = {"Faces": "Faces_2", "Faces_easy": "Faces_3", "Motorbikes": "Motorbikes_16",
                    "airplanes": "Airplanes_Side_2"}
        self.annotation_categories = [name_map.get(c, c) for c in self.categories]
        # Images are numbered image_0001.jpg .. image_<n>.jpg within each folder.
        self._index_categories(lambda folder: len(os.listdir(folder)))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)`` with the target chosen by ``target_type``."""
        category = self.categories[self.y[index]]
        img = _open_image(os.path.join(self.root, "101_ObjectCategories", category,
                                       f"image_{self.index[index]:04d}.jpg"))
        target: Any = []
        for t in self.target_type:
            if t == "category":
                target.append(self.y[index])
            else:  # annotation
                path = os.path.join(self.root, "Annotations",
                                    self.annotation_categories[self.y[index]],
                                    f"annotation_{self.index[index]:04d}.mat")
                data = loadmat(path, variable_names=("obj_contour",))
                if "obj_contour" not in data:
                    raise RuntimeError(f"Caltech101: {path} holds no numeric 'obj_contour'")
                target.append(data["obj_contour"])
        target = tuple(target) if len(target) > 1 else target[0]
        return self._apply_transforms(img, target)

    def extra_repr(self) -> str:
        return "Target type: {target_type}".format(**self.__dict__)


class Caltech256(_CaltechBase):
    """`Caltech 256 <https://data.caltech.edu/records/nyy15-4j048>`_: 256 object categories
    plus clutter (``257.clutter``), 30,607 images; targets are the folder index (0-256).

    Args:
        root: folder in which ``caltech256/`` is (or will be) placed.
        transform: applied to the PIL image. target_transform: applied to the int target.
        download: download and extract ``256_ObjectCategories.tar`` (MD5-checked).

    Example:
        >>> ds = Caltech256("data", download=True)
    """

    _IMAGES = "256_ObjectCategories"
    _resources = (("1r6o0pSROcV1_VwT4oSjA2FBUSCWGuxLK", "256_ObjectCategories.tar",
                   "67b4f42ca05d46448c6bb8ecd2220f6d"),)

    def __init__(self, root, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(os.path.join(os.path.expanduser(os.fspath(root)), "caltech256"),
                         transform=transform, target_transform=target_transform)
        self.categories = self._find_categories(download)
        # Only the JPEGs count (as in torchvision): a stray non-image file in a folder would
        # otherwise shift the numbering past the last image.
        self._index_categories(
            lambda folder: len([f for f in os.listdir(folder) if f.endswith(".jpg")]))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, category index)``."""
        img = _open_image(os.path.join(self.root, "256_ObjectCategories",
                                       self.categories[self.y[index]],
                                       f"{self.y[index] + 1:03d}_{self.index[index]:04d}.jpg"))
        return self._apply_transforms(img, self.y[index])
