"""Oxford 102 Flower: ``102flowers.tgz`` (``jpg/image_00001.jpg`` ...) with two MAT-files,
``imagelabels.mat`` (``labels``: 1 x 8189 doubles, classes 1-102) and ``setid.mat`` (``trnid``,
``valid``, ``tstid``: 1-based image ids of each split), read with the package's MAT reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._image_label import _ImageLabelDataset
from ._matlab import loadmat
from .folder import default_loader
from .utils import (
    _dataset_not_found,
    check_integrity,
    download_and_extract_archive,
    download_url,
    verify_str_arg,
)

__all__ = ["Flowers102"]


def _mat_vector(path, name: str) -> np.ndarray:
    mat = loadmat(path, variable_names=(name,))
    if name not in mat:
        raise RuntimeError(f"Flowers102: {path} holds no numeric variable {name!r}")
    return mat[name].ravel(order="F").astype(np.int64)


class Flowers102(_ImageLabelDataset):
    """`Oxford 102 Flower <https://www.robots.ox.ac.uk/~vgg/data/flowers/102/>`_: 102 flower
    categories common in the UK, 40 to 258 images each (1,020 train, 1,020 val, 6,149 test).

    Unlike torchvision this needs no SciPy: the MAT-files are read by
    :func:`embervision.datasets._matlab.loadmat`.

    Args:
        root: folder holding ``flowers-102/`` (``jpg/``, ``imagelabels.mat``, ``setid.mat``).
        split: ``'train'``, ``'val'`` or ``'test'``.
        transform: applied to the image (a PIL RGB image with the default loader).
        target_transform: applied to the int target (0-101).
        download: download the images archive and the two MAT-files (MD5-checked).
        loader: loads an image from its path (default: PIL, RGB).

    Example:
        >>> ds = Flowers102("data", split="val", download=True)
        >>> img, label = ds[0]; ds.classes[label]
    """

    _download_url_prefix = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
    _file_dict = {  # filename, md5
        "image": ("102flowers.tgz", "52808999861908f626f3c1f4e79d11fa"),
        "label": ("imagelabels.mat", "e0620be6f572b9609742df49c70aed4d"),
        "setid": ("setid.mat", "a5357ecc9cb78c4bef273ce3793fc85c"),
    }
    _splits_map = {"train": "trnid", "val": "valid", "test": "tstid"}

    def __init__(self, root, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False,
                 loader: Callable[[Any], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self._split = verify_str_arg(split, "split", ("train", "val", "test"))
        self._base_folder = Path(self.root) / "flowers-102"
        self._images_folder = self._base_folder / "jpg"
        if download:
            self.download()
        if not self._check_integrity():
            raise _dataset_not_found(self._base_folder)

        image_ids = _mat_vector(self._base_folder / self._file_dict["setid"][0],
                                self._splits_map[self._split])
        labels_path = self._base_folder / self._file_dict["label"][0]
        labels = _mat_vector(labels_path, "labels")
        if image_ids.size and (image_ids.min() < 1 or image_ids.max() > labels.size):
            raise RuntimeError(f"Flowers102: setid.mat names image ids up to {image_ids.max()} "
                               f"but {labels_path} has {labels.size} labels")
        # Labels are 1-based in the file; 0-based here as torchvision (>= 0.16) returns them.
        self._labels = (labels[image_ids - 1] - 1).tolist()
        self._image_files = [self._images_folder / f"image_{i:05d}.jpg" for i in image_ids]
        self.loader = loader

    def extra_repr(self) -> str:
        return f"split={self._split}"

    def _check_integrity(self) -> bool:
        if not self._images_folder.is_dir():
            return False
        return all(check_integrity(str(self._base_folder / self._file_dict[key][0]))
                   for key in ("label", "setid"))

    def download(self) -> None:
        """Download and extract the images and fetch the MAT-files unless already there."""
        if self._check_integrity():
            return
        download_and_extract_archive(
            f"{self._download_url_prefix}{self._file_dict['image'][0]}",
            str(self._base_folder), md5=self._file_dict["image"][1])
        for key in ("label", "setid"):
            filename, md5 = self._file_dict[key]
            download_url(self._download_url_prefix + filename, str(self._base_folder), md5=md5)

    classes = [
        "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea",
        "english marigold", "tiger lily", "moon orchid", "bird of paradise", "monkshood",
        "globe thistle", "snapdragon", "colt's foot", "king protea", "spear thistle",
        "yellow iris", "globe-flower", "purple coneflower", "peruvian lily", "balloon flower",
        "giant white arum lily", "fire lily", "pincushion flower", "fritillary", "red ginger",
        "grape hyacinth", "corn poppy", "prince of wales feathers", "stemless gentian",
        "artichoke", "sweet william", "carnation", "garden phlox", "love in the mist",
        "mexican aster", "alpine sea holly", "ruby-lipped cattleya", "cape flower",
        "great masterwort", "siam tulip", "lenten rose", "barbeton daisy", "daffodil",
        "sword lily", "poinsettia", "bolero deep blue", "wallflower", "marigold", "buttercup",
        "oxeye daisy", "common dandelion", "petunia", "wild pansy", "primula", "sunflower",
        "pelargonium", "bishop of llandaff", "gaura", "geranium", "orange dahlia",
        "pink-yellow dahlia?", "cautleya spicata", "japanese anemone", "black-eyed susan",
        "silverbush", "californian poppy", "osteospermum", "spring crocus", "bearded iris",
        "windflower", "tree poppy", "gazania", "azalea", "water lily", "rose", "thorn apple",
        "morning glory", "passion flower", "lotus", "toad lily", "anthurium", "frangipani",
        "clematis", "hibiscus", "columbine", "desert-rose", "tree mallow", "magnolia",
        "cyclamen", "watercress", "canna lily", "hippeastrum", "bee balm", "ball moss",
        "foxglove", "bougainvillea", "camellia", "mallow", "mexican petunia", "bromelia",
        "blanket flower", "trumpet creeper", "blackberry lily",
    ]
