"""Labeled Faces in the Wild: ``lfw-py/<images dir>/<Name>/<Name>_<nnnn>.jpg`` plus text files:

- ``people.txt`` (10 folds: the fold count, then per fold a count and ``Name<TAB>n_images``
  lines) or ``peopleDevTrain.txt``/``peopleDevTest.txt`` (one count, then the lines);
- ``pairs.txt`` (``n_folds<TAB>n_pairs`` then per fold ``n_pairs`` matched lines ``Name i j``
  and ``n_pairs`` mismatched lines ``Name1 i Name2 j``) or ``pairsDevTrain/Test.txt`` (a count);
- ``lfw-names.txt`` (``Name n_images`` lines): the identities, whose order gives the classes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .folder import default_loader
from .utils import check_integrity, download_and_extract_archive, download_url, verify_str_arg
from .vision import VisionDataset

__all__ = ["LFWPeople", "LFWPairs"]


class _LFW(VisionDataset):
    base_folder = "lfw-py"
    download_url_prefix = "http://vis-www.cs.umass.edu/lfw/"
    file_dict = {  # image_set: (images folder, archive, md5)
        "original": ("lfw", "lfw.tgz", "a17d05bd522c52d84eca14327a23d494"),
        "funneled": ("lfw_funneled", "lfw-funneled.tgz", "1b42dfed7d15c9b2dd63d5e5840c86ad"),
        "deepfunneled": ("lfw-deepfunneled", "lfw-deepfunneled.tgz",
                         "68331da3eb755a505a502b5aacb3c201"),
    }
    checksums = {
        "pairs.txt": "9f1ba174e4e1c508ff7cdf10ac338a7d",
        "pairsDevTest.txt": "5132f7440eb68cf58910c8a45a2ac10b",
        "pairsDevTrain.txt": "4f27cbf15b2da4a85c1907eb4181ad21",
        "people.txt": "450f0863dd89e85e73936a6d71a3474b",
        "peopleDevTest.txt": "e4bf5be0a43b5dcd9dc5ccfcb8fb19c5",
        "peopleDevTrain.txt": "54eaac34beb6d042ed3a7d883e247a21",
        "lfw-names.txt": "a6d0a479bd074669f656265a6e693f6d",
    }
    annot_file = {"10fold": "", "train": "DevTrain", "test": "DevTest"}
    names = "lfw-names.txt"

    def __init__(self, root, split: str, image_set: str, view: str,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(os.path.join(os.path.expanduser(os.fspath(root)), self.base_folder),
                         transform=transform, target_transform=target_transform)
        self.image_set = verify_str_arg(image_set.lower(), "image_set", self.file_dict.keys())
        images_dir, self.filename, self.md5 = self.file_dict[self.image_set]
        self.view = verify_str_arg(view.lower(), "view", ["people", "pairs"])
        self.split = verify_str_arg(split.lower(), "split", ["10fold", "train", "test"])
        self.labels_file = f"{self.view}{self.annot_file[self.split]}.txt"
        self.data: list[Any] = []
        self.images_dir = os.path.join(self.root, images_dir)
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it")
        self.loader = loader

    def _check_integrity(self) -> bool:
        # Presence of the extracted images and the text files (their MD5s are checked when
        # downloading; torchvision re-hashes the archive on every construction).
        needed = [self.labels_file] + ([self.names] if self.view == "people" else [])
        return os.path.isdir(self.images_dir) and all(
            check_integrity(os.path.join(self.root, name)) for name in needed)

    def download(self) -> None:
        """Download (MD5-checked) and extract the images archive and the text files."""
        if self._check_integrity():
            return
        url = f"{self.download_url_prefix}{self.filename}"
        download_and_extract_archive(url, self.root, filename=self.filename, md5=self.md5)
        download_url(f"{self.download_url_prefix}{self.labels_file}", self.root,
                     md5=self.checksums[self.labels_file])
        if self.view == "people":
            download_url(f"{self.download_url_prefix}{self.names}", self.root,
                         md5=self.checksums[self.names])

    def _get_path(self, identity: str, no: int | str) -> str:
        return os.path.join(self.images_dir, identity, f"{identity}_{int(no):04d}.jpg")

    def _lines(self) -> list[str]:
        with open(os.path.join(self.root, self.labels_file)) as f:
            return f.readlines()

    def extra_repr(self) -> str:
        return f"Alignment: {self.image_set}\nSplit: {self.split}"

    def __len__(self) -> int:
        return len(self.data)


class LFWPeople(_LFW):
    """`LFW <http://vis-www.cs.umass.edu/lfw/>`_ face identification: items are
    ``(image, identity index)``.

    Args:
        root: folder holding ``lfw-py/`` (``self.root`` is that sub-folder, as torchvision).
        split: ``'10fold'`` (default: all 10 folds of ``people.txt``), ``'train'`` or ``'test'``.
        image_set: ``'original'``, ``'funneled'`` (default) or ``'deepfunneled'`` alignment.
        transform: applied to the PIL image (RGB). target_transform: applied to the target.
        download: download the archive and text files (MD5-checked) unless present.
        loader: loads an image from its path (default: PIL, RGB).
    """

    def __init__(self, root, split: str = "10fold", image_set: str = "funneled",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, split, image_set, "people", transform, target_transform,
                         download, loader)
        self.class_to_idx = self._get_classes()
        self.data, self.targets = self._get_people()

    def _get_people(self) -> tuple[list[str], list[int]]:
        data, targets = [], []
        lines = self._lines()
        n_folds, s = (int(lines[0]), 1) if self.split == "10fold" else (1, 0)
        for _ in range(n_folds):
            n_lines = int(lines[s])
            people = [line.strip().split("\t") for line in lines[s + 1 : s + n_lines + 1]]
            s += n_lines + 1
            for identity, num_imgs in people:
                for num in range(1, int(num_imgs) + 1):
                    data.append(self._get_path(identity, num))
                    targets.append(self.class_to_idx[identity])
        return data, targets

    def _get_classes(self) -> dict[str, int]:
        with open(os.path.join(self.root, self.names)) as f:
            names = [line.strip().split()[0] for line in f if line.strip()]
        return {name: i for i, name in enumerate(names)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: the target is the identity's index."""
        img = self.loader(self.data[index])
        target = self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self) -> str:
        return super().extra_repr() + f"\nClasses (identities): {len(self.class_to_idx)}"


class LFWPairs(_LFW):
    """`LFW <http://vis-www.cs.umass.edu/lfw/>`_ face verification: items are
    ``(image1, image2, target)`` with target 1 for the same person, 0 for different people.

    Args:
        root, split, image_set, transform, target_transform, download, loader: as
            :class:`LFWPeople` (``split`` picks ``pairs.txt`` or ``pairsDevTrain/Test.txt``;
            ``transform`` is applied to each image).
    """

    def __init__(self, root, split: str = "10fold", image_set: str = "funneled",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, split, image_set, "pairs", transform, target_transform,
                         download, loader)
        self.pair_names, self.data, self.targets = self._get_pairs(self.images_dir)

    def _get_pairs(self, images_dir: str):
        del images_dir  # torchvision's signature; the paths come from self.images_dir
        pair_names, data, targets = [], [], []
        lines = self._lines()
        if self.split == "10fold":
            n_folds, n_pairs = (int(v) for v in lines[0].split("\t"))
        else:
            n_folds, n_pairs = 1, int(lines[0])
        s = 1
        for _ in range(n_folds):
            matched = [line.strip().split("\t") for line in lines[s : s + n_pairs]]
            unmatched = [line.strip().split("\t") for line in lines[s + n_pairs : s + 2 * n_pairs]]
            s += 2 * n_pairs
            for pair in matched:
                pair_names.append((pair[0], pair[0]))
                data.append((self._get_path(pair[0], pair[1]), self._get_path(pair[0], pair[2])))
                targets.append(1)
            for pair in unmatched:
                pair_names.append((pair[0], pair[2]))
                data.append((self._get_path(pair[0], pair[1]), self._get_path(pair[2], pair[3])))
                targets.append(0)
        return pair_names, data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any, int]:
        """Returns ``(image1, image2, target)``."""
        path1, path2 = self.data[index]
        img1, img2 = self.loader(path1), self.loader(path2)
        target = self.targets[index]
        if self.transform is not None:
            img1, img2 = self.transform(img1), self.transform(img2)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img1, img2, target
