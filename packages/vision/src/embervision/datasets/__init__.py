"""Datasets with torchvision's API: MNIST family (with QMNIST), CIFAR, SVHN, STL10, USPS,
SEMEION, Omniglot, Flowers102, Food101, OxfordIIITPet, DTD, GTSRB, EuroSAT, FGVCAircraft,
StanfordCars, SUN397, Country211, FER2013, Places365, Caltech101/256, CelebA, LFW, iNaturalist,
Imagenette, RenderedSST2, CLEVR, MovingMNIST, VOC, COCO, Flickr8k/30k, SBU, ImageNet,
WIDERFace, Cityscapes, Kitti, SBD, optical flow (FlyingChairs, FlyingThings3D, Sintel,
KittiFlow, HD1K) and stereo sets, folder trees, fake data, and a Fashion-MNIST subset
shipped in the package (:class:`EmbeddedFashionMNIST`).

Each dataset reads its real on-disk format and returns ``(PIL image, int target)``; with
``download=True`` files come from torchvision's URLs through :mod:`ember.hub` (mirrors, MD5).

    from embervision import datasets
    train = datasets.FashionMNIST("data", train=True, download=True)
    offline = datasets.EmbeddedFashionMNIST(train=True)
"""

from . import utils
from ._optical_flow import HD1K, FlyingChairs, FlyingThings3D, KittiFlow, Sintel
from ._stereo_matching import (
    CarlaStereo,
    CREStereo,
    ETH3DStereo,
    FallingThingsStereo,
    InStereo2k,
    Kitti2012Stereo,
    Kitti2015Stereo,
    Middlebury2014Stereo,
    SceneFlowStereo,
    SintelStereo,
)
from .caltech import Caltech101, Caltech256
from .celeba import CelebA
from .cifar import CIFAR10, CIFAR100
from .cityscapes import Cityscapes
from .clevr import CLEVRClassification
from .coco import CocoCaptions, CocoDetection
from .country211 import Country211
from .dtd import DTD
from .embedded import EmbeddedFashionMNIST
from .eurosat import EuroSAT
from .fakedata import FakeData
from .fer2013 import FER2013
from .fgvc_aircraft import FGVCAircraft
from .flickr import Flickr8k, Flickr30k
from .flowers102 import Flowers102
from .folder import DatasetFolder, ImageFolder
from .food101 import Food101
from .gtsrb import GTSRB
from .imagenet import ImageNet
from .imagenette import Imagenette
from .inaturalist import INaturalist
from .kitti import Kitti
from .lfw import LFWPairs, LFWPeople
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .moving_mnist import MovingMNIST
from .omniglot import Omniglot
from .oxford_iiit_pet import OxfordIIITPet
from .places365 import Places365
from .qmnist import QMNIST
from .rendered_sst2 import RenderedSST2
from .sbd import SBDataset
from .sbu import SBU
from .semeion import SEMEION
from .stanford_cars import StanfordCars
from .stl10 import STL10
from .sun397 import SUN397
from .svhn import SVHN
from .usps import USPS
from .vision import StandardTransform, VisionDataset
from .voc import VOCDetection, VOCSegmentation
from .widerface import WIDERFace

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "CLEVRClassification",
    "CREStereo",
    "Caltech101",
    "Caltech256",
    "CarlaStereo",
    "CelebA",
    "Cityscapes",
    "CocoCaptions",
    "CocoDetection",
    "Country211",
    "DTD",
    "DatasetFolder",
    "EMNIST",
    "ETH3DStereo",
    "EmbeddedFashionMNIST",
    "EuroSAT",
    "FER2013",
    "FGVCAircraft",
    "FakeData",
    "FallingThingsStereo",
    "FashionMNIST",
    "Flickr30k",
    "Flickr8k",
    "Flowers102",
    "FlyingChairs",
    "FlyingThings3D",
    "Food101",
    "GTSRB",
    "HD1K",
    "INaturalist",
    "ImageFolder",
    "ImageNet",
    "Imagenette",
    "InStereo2k",
    "KMNIST",
    "Kitti",
    "Kitti2012Stereo",
    "Kitti2015Stereo",
    "KittiFlow",
    "LFWPairs",
    "LFWPeople",
    "MNIST",
    "Middlebury2014Stereo",
    "MovingMNIST",
    "Omniglot",
    "OxfordIIITPet",
    "Places365",
    "QMNIST",
    "RenderedSST2",
    "SBDataset",
    "SBU",
    "SEMEION",
    "STL10",
    "SUN397",
    "SVHN",
    "SceneFlowStereo",
    "Sintel",
    "SintelStereo",
    "StandardTransform",
    "StanfordCars",
    "USPS",
    "VOCDetection",
    "VOCSegmentation",
    "VisionDataset",
    "WIDERFace",
]
