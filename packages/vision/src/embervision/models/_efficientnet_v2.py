"""EfficientNetV2 (torchvision's ``models/efficientnet.py``, the V2 half).

Tan & Le, "EfficientNetV2: Smaller Models and Faster Training" (2021). The early stages use
``FusedMBConv`` blocks: the expansion 1x1 convolution and the depthwise convolution are fused
into one regular ``k x k`` convolution (faster on accelerators at high resolution), followed by a
1x1 projection when the block expands; no squeeze-excitation. Later stages are the V1
``MBConv``. The head convolution is fixed at 1280 channels, BatchNorm uses ``eps=1e-3``.
Module tree and state_dict keys are torchvision's, so its checkpoints load with ``strict=True``.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation
from ..ops.stochastic_depth import StochasticDepth
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification, InterpolationMode
from .efficientnet import (
    _NEW_RECIPE_DOCS,
    _PORTED_DOCS,
    EfficientNet,
    MBConvConfig,
    _efficientnet,
    _MBConvConfig,
)

__all__ = [
    "EfficientNet_V2_L_Weights",
    "EfficientNet_V2_M_Weights",
    "EfficientNet_V2_S_Weights",
    "FusedMBConv",
    "FusedMBConvConfig",
    "efficientnet_v2_l",
    "efficientnet_v2_m",
    "efficientnet_v2_s",
]


class FusedMBConvConfig(_MBConvConfig):
    """One Fused-MBConv stage of the EfficientNetV2 paper's Table 4 (widths and depth are used
    as given: V2 models are not compound-scaled)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        if block is None:
            block = FusedMBConv
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block)


class FusedMBConv(nn.Module):
    """Fused mobile inverted bottleneck: ``k x k`` expansion convolution (stride here) + 1x1
    linear projection, or a single ``k x k`` convolution when ``expand_ratio`` is 1; residual
    through stochastic depth when shape is kept."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded_channels,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer,
                                               activation_layer=activation_layer))
            layers.append(Conv2dNormActivation(expanded_channels, cnf.out_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=None))
        else:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer,
                                               activation_layer=activation_layer))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result = result + input
        return result


def _efficientnet_v2_conf(arch: str) -> tuple[list[_MBConvConfig], int]:
    """Stage table (EfficientNetV2 paper, Table 4 and its M/L variants) and head width."""
    fused, mb = FusedMBConvConfig, MBConvConfig
    if arch.startswith("efficientnet_v2_s"):
        setting = [fused(1, 3, 1, 24, 24, 2), fused(4, 3, 2, 24, 48, 4),
                   fused(4, 3, 2, 48, 64, 4), mb(4, 3, 2, 64, 128, 6),
                   mb(6, 3, 1, 128, 160, 9), mb(6, 3, 2, 160, 256, 15)]
    elif arch.startswith("efficientnet_v2_m"):
        setting = [fused(1, 3, 1, 24, 24, 3), fused(4, 3, 2, 24, 48, 5),
                   fused(4, 3, 2, 48, 80, 5), mb(4, 3, 2, 80, 160, 7),
                   mb(6, 3, 1, 160, 176, 14), mb(6, 3, 2, 176, 304, 18),
                   mb(6, 3, 1, 304, 512, 5)]
    elif arch.startswith("efficientnet_v2_l"):
        setting = [fused(1, 3, 1, 32, 32, 4), fused(4, 3, 2, 32, 64, 7),
                   fused(4, 3, 2, 64, 96, 7), mb(4, 3, 2, 96, 192, 10),
                   mb(6, 3, 1, 192, 224, 19), mb(6, 3, 2, 224, 384, 25),
                   mb(6, 3, 1, 384, 640, 7)]
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, 1280


_COMMON_META_V2 = {
    "categories": _IMAGENET_CATEGORIES,
    "min_size": (33, 33),
    "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
              "#efficientnet-v2",
}


class EfficientNet_V2_S_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`efficientnet_v2_s`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_v2_s-dd5fe13b.pth",
        transforms=partial(ImageClassification, crop_size=384, resize_size=384,
                           interpolation=InterpolationMode.BILINEAR),
        meta={
            **_COMMON_META_V2,
            "num_params": 21458488,
            "_metrics": {"ImageNet-1K": {"acc@1": 84.228, "acc@5": 96.878}},
            "_ops": 8.366,
            "_file_size": 82.704,
            "_docs": _NEW_RECIPE_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`efficientnet_v2_m`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_v2_m-dc08266a.pth",
        transforms=partial(ImageClassification, crop_size=480, resize_size=480,
                           interpolation=InterpolationMode.BILINEAR),
        meta={
            **_COMMON_META_V2,
            "num_params": 54139356,
            "_metrics": {"ImageNet-1K": {"acc@1": 85.112, "acc@5": 97.156}},
            "_ops": 24.582,
            "_file_size": 208.01,
            "_docs": _NEW_RECIPE_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`efficientnet_v2_l` (ported
    from https://github.com/google/automl/tree/master/efficientnetv2; inputs normalised to
    [-1, 1] with mean = std = 0.5)."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_v2_l-59c71312.pth",
        transforms=partial(ImageClassification, crop_size=480, resize_size=480,
                           interpolation=InterpolationMode.BICUBIC, mean=(0.5, 0.5, 0.5),
                           std=(0.5, 0.5, 0.5)),
        meta={
            **_COMMON_META_V2,
            "num_params": 118515272,
            "_metrics": {"ImageNet-1K": {"acc@1": 85.808, "acc@5": 97.788}},
            "_ops": 56.08,
            "_file_size": 454.573,
            "_docs": _PORTED_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _efficientnet_v2(arch: str, dropout: float, weights: WeightsEnum | None, progress: bool,
                     kwargs: dict[str, Any]) -> EfficientNet:
    setting, last_channel = _efficientnet_v2_conf(arch)
    # BatchNorm eps 1e-3 as the paper's TensorFlow models; a caller's norm_layer wins
    kwargs = {"norm_layer": partial(nn.BatchNorm2d, eps=1e-03), **kwargs}
    return _efficientnet(setting, kwargs.pop("dropout", dropout), last_channel, weights,
                         progress, **kwargs)


_BUILDER_DOC = """EfficientNetV2-{v} from `EfficientNetV2: Smaller Models and Faster Training
    <https://arxiv.org/abs/2104.00298>`_.

    Args:
        weights: :class:`EfficientNet_V2_{v}_Weights` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`~embervision.models.EfficientNet` (``num_classes``,
            ``dropout`` default {p}, ``stochastic_depth_prob``, ``norm_layer``).

    Example:
        >>> model = efficientnet_v2_{lv}(weights="DEFAULT").eval()  # downloads once
    """


@register_model()
def efficientnet_v2_s(*, weights: EfficientNet_V2_S_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_V2_S_Weights.verify(weights)
    return _efficientnet_v2("efficientnet_v2_s", 0.2, weights, progress, kwargs)


@register_model()
def efficientnet_v2_m(*, weights: EfficientNet_V2_M_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_V2_M_Weights.verify(weights)
    return _efficientnet_v2("efficientnet_v2_m", 0.3, weights, progress, kwargs)


@register_model()
def efficientnet_v2_l(*, weights: EfficientNet_V2_L_Weights | None = None,
                      progress: bool = True, **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_V2_L_Weights.verify(weights)
    return _efficientnet_v2("efficientnet_v2_l", 0.4, weights, progress, kwargs)


for _fn, _p in ((efficientnet_v2_s, 0.2), (efficientnet_v2_m, 0.3), (efficientnet_v2_l, 0.4)):
    _v = _fn.__name__[-1].upper()
    _fn.__doc__ = _BUILDER_DOC.format(v=_v, lv=_v.lower(), p=_p)
del _fn, _p, _v
