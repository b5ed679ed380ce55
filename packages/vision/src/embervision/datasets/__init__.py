"""Datasets with torchvision's API: MNIST family, CIFAR, SVHN, STL10, Flowers102, Food101,
OxfordIIITPet, DTD, GTSRB, EuroSAT, Caltech101/256, CelebA, VOC, COCO, ImageNet, folder trees,
fake data, and a Fashion-MNIST subset shipped in the package (:class:`EmbeddedFashionMNIST`).

Each dataset reads its real on-disk format and returns ``(PIL image, int target)``; with
``download=True`` files come from torchvision's URLs through :mod:`ember.hub` (mirrors, MD5).

    from embervision import datasets
    train = datasets.FashionMNIST("data", train=True, download=True)
    offline = datasets.EmbeddedFashionMNIST(train=True)
"""

from . import utils
from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .coco import CocoCaptions, CocoDetection
from .dtd import DTD
from .embedded import EmbeddedFashionMNIST
from .eurosat import EuroSAT
from .fakedata import FakeData
from .flowers102 import Flowers102
from .folder import DatasetFolder, ImageFolder
from .food101 import Food101
from .gtsrb import GTSRB
from .imagenet import ImageNet
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .oxford_iiit_pet import OxfordIIITPet
from .stl10 import STL10
from .svhn import SVHN
from .vision import StandardTransform, VisionDataset
from .voc import VOCDetection, VOCSegmentation

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "Caltech101",
    "Caltech256",
    "CelebA",
    "CocoCaptions",
    "CocoDetection",
    "DTD",
    "DatasetFolder",
    "EMNIST",
    "EmbeddedFashionMNIST",
    "EuroSAT",
    "FakeData",
    "FashionMNIST",
    "Flowers102",
    "Food101",
    "GTSRB",
    "ImageFolder",
    "ImageNet",
    "KMNIST",
    "MNIST",
    "OxfordIIITPet",
    "STL10",
    "SVHN",
    "StandardTransform",
    "VOCDetection",
    "VOCSegmentation",
    "VisionDataset",
]
