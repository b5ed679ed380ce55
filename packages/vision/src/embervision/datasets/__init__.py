"""Datasets with torchvision's API: MNIST family, CIFAR, SVHN, STL10, folder trees, fake data,
and a Fashion-MNIST subset shipped in the package (:class:`EmbeddedFashionMNIST`).

Each dataset reads its real on-disk format and returns ``(PIL image, int target)``; with
``download=True`` files come from torchvision's URLs through :mod:`ember.hub` (mirrors, MD5).

    from embervision import datasets
    train = datasets.FashionMNIST("data", train=True, download=True)
    offline = datasets.EmbeddedFashionMNIST(train=True)
"""

from . import utils
from .cifar import CIFAR10, CIFAR100
from .embedded import EmbeddedFashionMNIST
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .stl10 import STL10
from .svhn import SVHN
from .vision import StandardTransform, VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DatasetFolder",
    "EMNIST",
    "EmbeddedFashionMNIST",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "KMNIST",
    "MNIST",
    "STL10",
    "SVHN",
    "StandardTransform",
    "VisionDataset",
]
