"""iNaturalist competition sets (2017-2021): images in ``<root>/<version>/<category>/*.jpg``.

Categories are folders: for 2021 ``<5-digit id>_<kingdom>_<phylum>_<class>_<order>_<family>_
<genus>_<species>``; for 2017-2019 ``<super category>/<id or name>``. No annotation file is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PIL import Image

from .utils import _dataset_not_found, download_and_extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["INaturalist", "CATEGORIES_2021", "DATASET_URLS", "DATASET_MD5"]

CATEGORIES_2021 = ["kingdom", "phylum", "class", "order", "family", "genus"]

DATASET_URLS = {
    "2017": "https://ml-inat-competition-datasets.s3.amazonaws.com/2017/train_val_images.tar.gz",
    "2018": "https://ml-inat-competition-datasets.s3.amazonaws.com/2018/train_val2018.tar.gz",
    "2019": "https://ml-inat-competition-datasets.s3.amazonaws.com/2019/train_val2019.tar.gz",
    "2021_train": "https://ml-inat-competition-datasets.s3.amazonaws.com/2021/train.tar.gz",
    "2021_train_mini":
        "https://ml-inat-competition-datasets.s3.amazonaws.com/2021/train_mini.tar.gz",
    "2021_valid": "https://ml-inat-competition-datasets.s3.amazonaws.com/2021/val.tar.gz",
}

DATASET_MD5 = {
    "2017": "7c784ea5e424efaec655bd392f87301f",
    "2018": "b1c6952ce38f31868cc50ea72d066cc3",
    "2019": "c60a6e2962c9b8ccbd458d12c8582644",
    "2021_train": "e0526d53c7f7b2e3167b2b43bb2690ed",
    "2021_train_mini": "db6ed8330e634445efc8fec83ae81442",
    "2021_valid": "f6f6e0e242e3d4c9569ba56400938afc",
}


class INaturalist(VisionDataset):
    """`iNaturalist <https://github.com/visipedia/inat_comp>`_ species classification.

    Args:
        root: folder holding ``<version>/`` (``self.root`` is that sub-folder, as torchvision).
        version: ``'2017'``, ``'2018'``, ``'2019'``, ``'2021_train'`` (default),
            ``'2021_train_mini'`` or ``'2021_valid'``.
        target_type: ``'full'`` (the species index) or, for 2021, one of ``'kingdom'``,
            ``'phylum'``, ``'class'``, ``'order'``, ``'family'``, ``'genus'``; for 2017-2019
            ``'super'``. A list gives a tuple of targets.
        transform: applied to the PIL image. target_transform: applied to the target.
        download: download and extract the version's archive (MD5-checked); refuses when the
            folder exists already.
        loader: loads an image from its path (default: ``PIL.Image.open``).
    """

    def __init__(self, root, version: str = "2021_train", target_type: list[str] | str = "full",
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, loader: Callable[[str], Any] | None = None) -> None:
        self.version = verify_str_arg(version, "version", DATASET_URLS.keys())
        root = os.path.expanduser(os.fspath(root))
        super().__init__(os.path.join(root, version), transform=transform,
                         target_transform=target_transform)
        os.makedirs(root, exist_ok=True)
        if download:
            self.download()
        if not self._check_integrity():
            raise _dataset_not_found(self.root)

        self.all_categories: list[str] = []
        # category type -> category name -> index
        self.categories_index: dict[str, dict[str, int]] = {}
        # per full category id: category type -> index
        self.categories_map: list[dict[str, int]] = []
        if not isinstance(target_type, list):
            target_type = [target_type]
        if self.version[:4] == "2021":
            self.target_type = [verify_str_arg(t, "target_type", ("full", *CATEGORIES_2021))
                                for t in target_type]
            self._init_2021()
        else:
            self.target_type = [verify_str_arg(t, "target_type", ("full", "super"))
                                for t in target_type]
            self._init_pre2021()
        # (full category id, file name) of every image; files sorted for a stable order
        # (torchvision keeps os.listdir's, which depends on the file system).
        self.index: list[tuple[int, str]] = [
            (dir_index, fname)
            for dir_index, dir_name in enumerate(self.all_categories)
            for fname in sorted(os.listdir(os.path.join(self.root, dir_name)))
        ]
        self.loader = loader

    def _init_2021(self) -> None:
        """Categories from the 2021 folder names."""
        self.all_categories = sorted(os.listdir(self.root))
        self.categories_index = {k: {} for k in CATEGORIES_2021}
        for dir_index, dir_name in enumerate(self.all_categories):
            pieces = dir_name.split("_")
            if len(pieces) != 8:
                raise RuntimeError(f"Unexpected category name {dir_name}, wrong number of pieces")
            if pieces[0] != f"{dir_index:05d}":
                raise RuntimeError(f"Unexpected category id {pieces[0]}, expecting "
                                   f"{dir_index:05d}")
            cat_map = {}
            for cat, name in zip(CATEGORIES_2021, pieces[1:7]):
                cat_map[cat] = self.categories_index[cat].setdefault(
                    name, len(self.categories_index[cat]))
            self.categories_map.append(cat_map)

    def _init_pre2021(self) -> None:
        """Categories from the 2017-2019 ``<super>/<sub>`` folders."""
        self.categories_index = {"super": {}}
        cat_index = 0
        for sindex, scat in enumerate(sorted(os.listdir(self.root))):
            self.categories_index["super"][scat] = sindex
            for subcat in sorted(os.listdir(os.path.join(self.root, scat))):
                if self.version == "2017":
                    subcat_i = cat_index  # 2017 names its folders, later versions number them
                    cat_index += 1
                else:
                    try:
                        subcat_i = int(subcat)
                    except ValueError:
                        raise RuntimeError(f"Unexpected non-numeric dir name: {subcat}") from None
                if subcat_i >= len(self.categories_map):
                    grow = subcat_i - len(self.categories_map) + 1
                    self.categories_map.extend({} for _ in range(grow))
                    self.all_categories.extend([""] * grow)
                if self.categories_map[subcat_i]:
                    raise RuntimeError(f"Duplicate category {subcat}")
                self.categories_map[subcat_i] = {"super": sindex}
                self.all_categories[subcat_i] = os.path.join(scat, subcat)
        for cindex, c in enumerate(self.categories_map):
            if not c:
                raise RuntimeError(f"Missing category {cindex}")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``, the target as ``target_type`` asks."""
        cat_id, fname = self.index[index]
        image_path = os.path.join(self.root, self.all_categories[cat_id], fname)
        if self.loader is not None:
            img = self.loader(image_path)
        else:
            # Image.open as torchvision (mode kept), but decoded now so the file is closed.
            with Image.open(image_path) as opened:
                opened.load()
                img = opened
        target: Any = [cat_id if t == "full" else self.categories_map[cat_id][t]
                       for t in self.target_type]
        target = tuple(target) if len(target) > 1 else target[0]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.index)

    def category_name(self, category_type: str, category_id: int) -> str:
        """The name of category ``category_id`` of type ``category_type`` (``'full'``,
        ``'kingdom'``... or ``'super'``)."""
        if category_type == "full":
            return self.all_categories[category_id]
        if category_type not in self.categories_index:
            raise ValueError(f"Invalid category type '{category_type}'")
        for name, cid in self.categories_index[category_type].items():
            if cid == category_id:
                return name
        raise ValueError(f"Invalid category id {category_id} for {category_type}")

    def _check_integrity(self) -> bool:
        return os.path.exists(self.root) and len(os.listdir(self.root)) > 0

    def download(self) -> None:
        """Download and extract the archive into ``root/<version>``."""
        if self._check_integrity():
            raise RuntimeError(
                f"The directory {self.root} already exists. If you want to re-download or "
                f"re-extract the images, delete the directory."
            )
        base_root = os.path.dirname(self.root)
        download_and_extract_archive(DATASET_URLS[self.version], base_root,
                                     filename=f"{self.version}.tgz",
                                     md5=DATASET_MD5[self.version])
        # The archive's folder is its file name without ".tar.gz" (torchvision's rstrip).
        orig_dir_name = os.path.join(base_root, os.path.basename(DATASET_URLS[self.version])
                                     .removesuffix(".tar.gz"))
        if not os.path.exists(orig_dir_name):
            raise RuntimeError(f"Unable to find downloaded files at {orig_dir_name}")
        os.rename(orig_dir_name, self.root)
