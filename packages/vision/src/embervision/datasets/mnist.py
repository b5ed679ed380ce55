"""MNIST and its drop-in relatives (Fashion-MNIST, KMNIST, EMNIST), read from IDX files.

IDX (LeCun's format, "SN3 Pascal Vincent" in torchvision): a 4-byte big-endian magic number
``0x0000TTNN`` (``TT`` the element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D
float32, 0x0E float64; ``NN`` the number of dimensions), then ``NN`` big-endian uint32 sizes, then
the elements, big-endian, row-major. Images are ``0x00000803`` (N x 28 x 28 uint8), labels
``0x00000801`` (N uint8). Files are read raw or gzip-compressed (``<name>.gz``).
"""

from __future__ import annotations

import gzip
import os
import shutil
import string
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

import ember
from ember import hub

from .utils import _dataset_not_found, extract_archive, verify_str_arg
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "read_image_file", "read_label_file",
           "read_sn3_pascalvincent_tensor"]

# IDX element type code -> NumPy dtype (big-endian, as stored).
SN3_PASCALVINCENT_TYPEMAP = {
    8: np.dtype(np.uint8),
    9: np.dtype(np.int8),
    11: np.dtype(">i2"),
    12: np.dtype(">i4"),
    13: np.dtype(">f4"),
    14: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _parse_idx(data: bytes, source: str) -> np.ndarray:
    """Parse IDX bytes (already decompressed) into a native-byte-order array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in SN3_PASCALVINCENT_TYPEMAP:
        raise RuntimeError(
            f"{source} is not an IDX file: magic number 0x{data[:4].hex() or '(empty)'}, "
            f"expected 0x0000TTNN with element type TT in 08, 09, 0b, 0c, 0d, 0e (e.g. 0x00000803 "
            f"for MNIST images, 0x00000801 for labels); delete it and download again"
        )
    dtype, ndim = SN3_PASCALVINCENT_TYPEMAP[data[2]], data[3]
    header = 4 * (ndim + 1)
    if ndim == 0 or len(data) < header:
        raise RuntimeError(f"{source}: IDX header declares {ndim} dimensions but is truncated")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    count = int(np.prod(shape, dtype=np.int64))
    body = len(data) - header
    if body != count * dtype.itemsize:
        what = "truncated" if body < count * dtype.itemsize else "longer than its header says"
        raise RuntimeError(
            f"{source} is {what}: its IDX header declares shape {shape} ({count * dtype.itemsize} "
            f"bytes of {dtype.name}) but {body} bytes follow; delete it and download again"
        )
    array = np.frombuffer(data, dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native, writable copy


def _read_bytes(path: str) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by content, whatever its name)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise RuntimeError(f"{path} is a damaged gzip file ({exc}); delete it and download "
                               f"again") from exc
    return data


def _existing(path: str) -> str | None:
    """``path`` if it is a file, else ``path + '.gz'`` if that is, else None."""
    for candidate in (path, path + ".gz"):
        if os.path.isfile(candidate):
            return candidate
    return None


def read_sn3_pascalvincent_tensor(path, strict: bool = True) -> ember.Tensor:
    """Read an IDX file (raw, or gzip: ``path`` or ``path + '.gz'``) as a tensor.

    Args:
        path: the file.
        strict: accepted for torchvision compatibility; the size is always checked (a file whose
            length disagrees with its header is reported, naming the file).

    Returns:
        A tensor of the file's shape and element type (``ember.uint8`` for MNIST).
    """
    del strict
    found = _existing(os.fspath(path))
    if found is None:
        raise FileNotFoundError(f"IDX file not found: {path} (nor {path}.gz)")
    return ember.from_numpy(_parse_idx(_read_bytes(found), found))


def _check_kind(array: np.ndarray, ndim: int, source: str, what: str) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise RuntimeError(
            f"{source}: expected an IDX file of {what} (uint8, {ndim} dimension"
            f"{'s' if ndim > 1 else ''}), got {array.dtype.name} with shape {array.shape}"
        )
    return array


def read_label_file(path) -> ember.Tensor:
    """Read an IDX label file (uint8, 1-d) as an ``int64`` tensor."""
    labels = read_sn3_pascalvincent_tensor(path).numpy()
    return ember.from_numpy(_check_kind(labels, 1, os.fspath(path), "labels").astype(np.int64))


def read_image_file(path) -> ember.Tensor:
    """Read an IDX image file (uint8, N x H x W) as a ``uint8`` tensor."""
    images = read_sn3_pascalvincent_tensor(path).numpy()
    return ember.from_numpy(_check_kind(images, 3, os.fspath(path), "images"))


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 28x28 grayscale digits, 60k train, 10k test.

    Args:
        root: folder holding ``MNIST/raw/train-images-idx3-ubyte`` (or ``.gz``) and the others.
        train: the training set (True) or the test set.
        transform: applied to the PIL image (e.g. ``transforms.ToTensor()``).
        target_transform: applied to the int target.
        download: download the files (through :mod:`ember.hub`, checking their MD5s) when they
            are not in ``root`` yet.

    Attributes:
        data: ``uint8`` tensor (N, 28, 28). targets: ``int64`` tensor (N,).
        classes: class names; class_to_idx: name -> index.

    Example:
        >>> ds = MNIST("data", train=False, download=True)
        >>> img, target = ds[0]          # PIL.Image (mode 'L'), int
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise _dataset_not_found(self.raw_folder)
        self.data, self.targets = self._load_data()

    def _load_data(self):
        prefix = "train" if self.train else "t10k"
        data = read_image_file(os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte"))
        targets = read_label_file(os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte"))
        if len(data) != len(targets):
            raise RuntimeError(f"{type(self).__name__}: {len(data)} images but {len(targets)} "
                               f"labels in {self.raw_folder}")
        return data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a PIL image (mode ``'L'``) and the class index."""
        img, target = self.data.numpy()[index], int(self.targets.numpy()[index])
        img = Image.fromarray(img)  # a 2-d uint8 array is mode 'L', as torchvision asks for
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def _check_exists(self) -> bool:
        # Presence only: the MD5s are checked when the files are downloaded (Ember does not
        # re-hash the whole dataset on every construction, unlike torchvision's
        # check_integrity); a damaged file is reported by the IDX reader, naming it.
        return all(
            _existing(os.path.join(self.raw_folder, os.path.splitext(name)[0])) is not None
            for name, _ in self.resources
        )

    def download(self) -> None:
        """Download the files (MD5-checked, mirrors in turn) and decompress them."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            urls = [mirror + filename for mirror in self.mirrors]
            path = hub.download(urls[0], self.raw_folder, filename=filename, md5=md5,
                                mirrors=urls[1:])
            extract_archive(path, self.raw_folder)

    def extra_repr(self) -> str:
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: 28x28 grayscale
    clothing images in 10 classes, laid out as :class:`MNIST` (``root/FashionMNIST/raw``)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: 28x28 cursive Japanese
    characters in 10 classes, laid out as :class:`MNIST` (``root/KMNIST/raw``)."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_: handwritten
    digits and letters, 28x28, in six splits.

    Args:
        root: folder holding ``EMNIST/raw/emnist-<split>-<train|test>-images-idx3-ubyte``...
        split: ``'byclass'``, ``'bymerge'``, ``'balanced'``, ``'letters'``, ``'digits'`` or
            ``'mnist'``.
        **kwargs: ``train``, ``transform``, ``target_transform``, ``download`` as for
            :class:`MNIST`.

    As in torchvision the images are kept as stored in the files (transposed relative to
    MNIST's orientation).
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # Letters whose upper and lower case look alike are merged in 'bymerge' and 'balanced'.
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @property
    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    @property
    def images_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    def _load_data(self):
        return read_image_file(self.images_file), read_label_file(self.labels_file)

    def _check_exists(self) -> bool:
        return all(_existing(f) is not None for f in (self.images_file, self.labels_file))

    def download(self) -> None:
        """Download ``gzip.zip`` (535 MB, MD5-checked) and unpack every split's files."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        archive = hub.download(self.url, self.raw_folder, md5=self.md5)
        extract_archive(archive, self.raw_folder)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in sorted(os.listdir(gzip_folder)):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)
