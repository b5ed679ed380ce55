"""SqueezeNet 1.0 and 1.1 (torchvision's ``models/squeezenet.py``).

Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model
size" (2016); version 1.1 is from the official repository (2.4x less computation, same
accuracy). A ``Fire`` module squeezes with a 1x1 convolution, then expands with parallel 1x1
and 3x3 convolutions whose outputs are concatenated. The classifier is a 1x1 convolution to
``num_classes`` channels and a global average pool (no linear layer).
"""

from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = ["SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "squeezenet1_0",
           "squeezenet1_1"]


class Fire(nn.Module):
    """Squeeze (1x1) then expand (1x1 and 3x3, concatenated on channels), all with ReLU.

    Output channels: ``expand1x1_planes + expand3x3_planes``.
    """

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int,
                 expand3x3_planes: int) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return ember.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet classifier.

    Initialisation as torchvision: kaiming uniform (PyTorch's default ``a=0``) for every
    convolution but the final one, N(0, 0.01) for the final one, zero biases.

    Args:
        version: ``"1_0"`` or ``"1_1"``.
        num_classes: output channels of the final 1x1 convolution. Default: 1000.
        dropout: dropout probability before it. Default: 0.5.

    Shape:
        - Input: ``(N, 3, H, W)``; at least 21x21 (1.0) or 17x17 (1.1).
        - Output: ``(N, num_classes)``.

    Example:
        >>> SqueezeNet("1_1", num_classes=10)(ember.randn(1, 3, 64, 64)).shape
        ember.Size([1, 10])
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        pool = partial(nn.MaxPool2d, kernel_size=3, stride=2, ceil_mode=True)
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2),
                nn.ReLU(inplace=True),
                pool(),
                Fire(96, 16, 64, 64),
                Fire(128, 16, 64, 64),
                Fire(128, 32, 128, 128),
                pool(),
                Fire(256, 32, 128, 128),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                pool(),
                Fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2),
                nn.ReLU(inplace=True),
                pool(),
                Fire(64, 16, 64, 64),
                Fire(128, 16, 64, 64),
                pool(),
                Fire(128, 32, 128, 128),
                Fire(256, 32, 128, 128),
                pool(),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")

        # The final convolution is initialised differently from the rest
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"SqueezeNet: expected input of shape (N, 3, H, W), got {tuple(x.shape)}"
            )
        return ember.flatten(self.classifier(self.features(x)), 1)


def _squeezenet(version: str, weights: WeightsEnum | None, progress: bool,
                **kwargs: Any) -> SqueezeNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = SqueezeNet(version, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/pull/49#issuecomment-277560717",
    "_docs": "These weights reproduce closely the results of the paper using a simple "
             "training recipe.",
}


class SqueezeNet1_0_Weights(WeightsEnum):
    """SqueezeNet 1.0 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/squeezenet1_0-b66bff10.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={**_COMMON_META, "min_size": (21, 21), "num_params": 1248424,
              "_metrics": {"ImageNet-1K": {"acc@1": 58.092, "acc@5": 80.420}},
              "_ops": 0.819, "_file_size": 4.778},
    )
    DEFAULT = IMAGENET1K_V1


class SqueezeNet1_1_Weights(WeightsEnum):
    """SqueezeNet 1.1 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={**_COMMON_META, "min_size": (17, 17), "num_params": 1235496,
              "_metrics": {"ImageNet-1K": {"acc@1": 58.178, "acc@5": 80.624}},
              "_ops": 0.349, "_file_size": 4.729},
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def squeezenet1_0(*, weights: SqueezeNet1_0_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.0 (Iandola et al. 2016).

    Args:
        weights: a :class:`SqueezeNet1_0_Weights` member, its name as a string, or None.
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`SqueezeNet` (``num_classes``, ``dropout``).
    """
    weights = SqueezeNet1_0_Weights.verify(weights)
    return _squeezenet("1_0", weights, progress, **kwargs)


@register_model()
def squeezenet1_1(*, weights: SqueezeNet1_1_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.1: 2.4x less computation than 1.0 and slightly fewer parameters, same
    accuracy.

    Args: as :func:`squeezenet1_0`, with :class:`SqueezeNet1_1_Weights`.
    """
    weights = SqueezeNet1_1_Weights.verify(weights)
    return _squeezenet("1_1", weights, progress, **kwargs)
