"""VGG 11/13/16/19 with and without batch norm (torchvision's ``models/vgg.py``).

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(2014). ``features`` is one ``nn.Sequential`` of 3x3 convolutions (each followed by
[BatchNorm2d and] ReLU) and 2x2 max-pools, so its state_dict indices are torchvision's
(``features.0.weight``, ``features.3.weight``...); ``classifier.{0,3,6}`` are the linear layers.
"""

from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = [
    "VGG",
    "VGG11_Weights",
    "VGG11_BN_Weights",
    "VGG13_Weights",
    "VGG13_BN_Weights",
    "VGG16_Weights",
    "VGG16_BN_Weights",
    "VGG19_Weights",
    "VGG19_BN_Weights",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]


class VGG(nn.Module):
    """VGG classifier on top of a convolutional ``features`` module.

    Args:
        features: the convolutional part (see :func:`make_layers`), ending with 512 channels.
        num_classes: outputs of the last layer. Default: 1000.
        init_weights: torchvision's initialisation (kaiming normal, fan_out, for
            convolutions; N(0, 0.01) for linear layers; zero biases; BN weight 1). Default:
            True (the builders pass False when loading weights).
        dropout: dropout probability in the classifier. Default: 0.5.

    Shape:
        - Input: ``(N, 3, H, W)``, ``H, W >= 32``; an adaptive pool gives the classifier
          512x7x7 whatever the size.
        - Output: ``(N, num_classes)``.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"VGG: expected input of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


def make_layers(cfg: list[str | int], batch_norm: bool = False) -> nn.Sequential:
    """The ``features`` Sequential from a configuration: ints are 3x3 convolution widths,
    ``"M"`` a 2x2 max-pool. With ``batch_norm`` each convolution is followed by BatchNorm2d."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(int(v)), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = int(v)
    return nn.Sequential(*layers)


# The paper's configurations: A = VGG-11, B = VGG-13, D = VGG-16, E = VGG-19.
cfgs: dict[str, list[str | int]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
          512, 512, 512, "M"],
}


def _vgg(cfg: str, batch_norm: bool, weights: WeightsEnum | None, progress: bool,
         **kwargs: Any) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False  # overwritten by the checkpoint anyway
        if weights.meta["categories"] is not None:
            _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {
    "min_size": (32, 32),
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
              "#alexnet-and-vgg",
    "_docs": "These weights were trained from scratch by using a simplified training recipe.",
}


def _entry(file: str, num_params: int, acc1: float, acc5: float, ops: float,
           file_size: float) -> Weights:
    return Weights(
        url="https://download.pytorch.org/models/" + file,
        transforms=partial(ImageClassification, crop_size=224),
        meta={**_COMMON_META, "num_params": num_params,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": file_size},
    )


class VGG11_Weights(WeightsEnum):
    """VGG-11 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg11-8a719046.pth", 132863336, 69.020, 88.628, 7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    """VGG-11-BN ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg11_bn-6002323d.pth", 132868840, 70.370, 89.810, 7.609, 506.881)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    """VGG-13 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg13-19584684.pth", 133047848, 69.928, 89.246, 11.308, 507.545)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    """VGG-13-BN ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg13_bn-abd245e5.pth", 133053736, 71.586, 90.374, 11.308, 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    """VGG-16 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg16-397923af.pth", 138357544, 71.592, 90.382, 15.47, 527.796)
    # Ported from https://github.com/amdegroot/ssd.pytorch/: only ``features`` holds trained
    # values (for feature extraction), with the original 0-255 input standardisation.
    IMAGENET1K_FEATURES = Weights(
        url="https://download.pytorch.org/models/vgg16_features-amdegroot-88682ab5.pth",
        transforms=partial(ImageClassification, crop_size=224, mean=(0.48235, 0.45882, 0.40784),
                           std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0)),
        meta={
            **_COMMON_META,
            "num_params": 138357544,
            "categories": None,
            "recipe": "https://github.com/amdegroot/ssd.pytorch#training-ssd",
            "_metrics": {"ImageNet-1K": {"acc@1": float("nan"), "acc@5": float("nan")}},
            "_ops": 15.47,
            "_file_size": 527.802,
            "_docs": "These weights can't be used for classification because they are missing "
                     "values in the `classifier` module. Only the `features` module has valid "
                     "values and can be used for feature extraction. The weights were trained "
                     "using the original input standardization method as described in the "
                     "paper.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    """VGG-16-BN ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg16_bn-6c64b313.pth", 138365992, 73.360, 91.516, 15.47, 527.866)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    """VGG-19 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg19-dcbb9e9d.pth", 143667240, 72.376, 90.876, 19.632, 548.051)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    """VGG-19-BN ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("vgg19_bn-c79401a0.pth", 143678248, 74.218, 91.842, 19.632, 548.143)
    DEFAULT = IMAGENET1K_V1


_BUILDER_DOC = """{title} (Simonyan & Zisserman 2014).

    Args:
        weights: a :class:`{enum}` member, its name as a string, or None (random init).
            With classification weights, ``num_classes`` must be left out or equal 1000.
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`VGG` (``num_classes``, ``init_weights``, ``dropout``).

    Example:
        >>> model = {name}(weights=None, num_classes=10)
    """


def _builder(name: str, title: str, cfg: str, batch_norm: bool, enum: type[WeightsEnum]):
    # One definition for the eight builders; each keeps its own name (for the registry and
    # pickling) and a ``weights`` annotation naming its enum (for get_model_weights).
    def builder(*, weights: enum | None = None, progress: bool = True,  # type: ignore[valid-type]
                **kwargs: Any) -> VGG:
        return _vgg(cfg, batch_norm, enum.verify(weights), progress, **kwargs)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = _BUILDER_DOC.format(title=title, enum=enum.__name__, name=name)
    builder.__annotations__["weights"] = enum | None
    return register_model()(builder)


vgg11 = _builder("vgg11", "VGG-11", "A", False, VGG11_Weights)
vgg11_bn = _builder("vgg11_bn", "VGG-11 with batch normalization", "A", True, VGG11_BN_Weights)
vgg13 = _builder("vgg13", "VGG-13", "B", False, VGG13_Weights)
vgg13_bn = _builder("vgg13_bn", "VGG-13 with batch normalization", "B", True, VGG13_BN_Weights)
vgg16 = _builder("vgg16", "VGG-16", "D", False, VGG16_Weights)
vgg16_bn = _builder("vgg16_bn", "VGG-16 with batch normalization", "D", True, VGG16_BN_Weights)
vgg19 = _builder("vgg19", "VGG-19", "E", False, VGG19_Weights)
vgg19_bn = _builder("vgg19_bn", "VGG-19 with batch normalization", "E", True, VGG19_BN_Weights)
