"""EfficientNet (torchvision's ``models/efficientnet.py``): B0-B7 here, V2 in ``_efficientnet_v2``.

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (2019).
torchvision's layout: ``features`` (``0`` stem ``Conv2dNormActivation`` with SiLU, ``1``..``7``
one ``Sequential`` of ``MBConv`` blocks per stage, ``8`` a 1x1 head convolution), ``avgpool``,
``classifier`` (``0`` Dropout, ``1`` Linear). An ``MBConv``'s ``block`` holds the optional
expansion, the depthwise convolution, a ``SqueezeExcitation`` (SiLU, sigmoid gate) and the
linear projection; its residual branch goes through ``StochasticDepth`` (drop probability
growing linearly with depth, 0.2 at the last block). B1-B7 scale B0's stage table by a width
and a depth multiplier (the paper's compound scaling); B5-B7 use BatchNorm(eps=1e-3,
momentum=0.01), as the TensorFlow checkpoints they were ported from.
"""

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification, InterpolationMode
from ._utils import _make_divisible, _ovewrite_named_param

__all__ = [
    "EfficientNet",
    "EfficientNet_B0_Weights",
    "EfficientNet_B1_Weights",
    "EfficientNet_B2_Weights",
    "EfficientNet_B3_Weights",
    "EfficientNet_B4_Weights",
    "EfficientNet_B5_Weights",
    "EfficientNet_B6_Weights",
    "EfficientNet_B7_Weights",
    "EfficientNet_V2_S_Weights",
    "EfficientNet_V2_M_Weights",
    "EfficientNet_V2_L_Weights",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_v2_s",
    "efficientnet_v2_m",
    "efficientnet_v2_l",
]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """One stage of the paper's Table 1: expansion ratio, kernel, stride, widths and depth,
    scaled by ``width_mult`` (channels, rounded to 8) and ``depth_mult`` (repeats, ceil)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        if block is None:
            block = MBConv
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class MBConv(nn.Module):
    """Mobile inverted bottleneck with squeeze-excitation and stochastic depth."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        activation_layer = nn.SiLU
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=activation_layer))
        layers.append(Conv2dNormActivation(expanded_channels, expanded_channels,
                                           kernel_size=cnf.kernel, stride=cnf.stride,
                                           groups=expanded_channels, norm_layer=norm_layer,
                                           activation_layer=activation_layer))
        # the squeeze width is a quarter of the block's *input* width (the paper's se_ratio)
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded_channels, squeeze_channels,
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result = result + input
        return result


class EfficientNet(nn.Module):
    """EfficientNet classifier.

    Args:
        inverted_residual_setting: the stages (:class:`MBConvConfig` list).
        dropout: before the classifier.
        stochastic_depth_prob: drop probability reached at the last block.
        num_classes: output classes.
        norm_layer: default ``BatchNorm2d``.
        last_channel: width of the head convolution (default 4x the last stage's).

    Shape:
        ``(N, 3, H, W)`` -> ``(N, num_classes)``.
    """

    def __init__(
        self,
        inverted_residual_setting: Sequence[MBConvConfig],
        dropout: float,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
        norm_layer: Callable[..., nn.Module] | None = None,
        last_channel: int | None = None,
    ) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence)
                and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        layers: list[nn.Module] = []
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers.append(Conv2dNormActivation(3, firstconv_output_channels, kernel_size=3, stride=2,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)  # shallow copy: the table itself stays untouched
                if stage:  # blocks after the first of a stage keep the width and resolution
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = (last_channel if last_channel is not None
                                    else 4 * lastconv_input_channels)
        layers.append(Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(lastconv_output_channels, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"EfficientNet: expected input of shape (N, 3, H, W), got {tuple(x.shape)}"
            )
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _efficientnet_conf(arch: str, width_mult: float = 1.0, depth_mult: float = 1.0):
    """Stage table and head width of EfficientNet-B* (the paper's Table 1, scaled) or -V2."""
    if arch.startswith("efficientnet_v2"):
        from ._efficientnet_v2 import _efficientnet_v2_conf

        return _efficientnet_v2_conf(arch)
    if not arch.startswith("efficientnet_b"):
        raise ValueError(f"Unsupported model type {arch}")
    bneck_conf = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    inverted_residual_setting = [
        bneck_conf(1, 3, 1, 32, 16, 1),
        bneck_conf(6, 3, 2, 16, 24, 2),
        bneck_conf(6, 5, 2, 24, 40, 2),
        bneck_conf(6, 3, 2, 40, 80, 3),
        bneck_conf(6, 5, 1, 80, 112, 3),
        bneck_conf(6, 5, 2, 112, 192, 4),
        bneck_conf(6, 3, 1, 192, 320, 1),
    ]
    return inverted_residual_setting, None


def _efficientnet(inverted_residual_setting, dropout: float, last_channel: int | None,
                  weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> EfficientNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = EfficientNet(inverted_residual_setting, dropout, last_channel=last_channel,
                         **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META_V1 = {
    "categories": _IMAGENET_CATEGORIES,
    "min_size": (1, 1),
    "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
              "#efficientnet-v1",
}
_PORTED_DOCS = "These weights are ported from the original paper."
_NEW_RECIPE_DOCS = (
    "These weights improve upon the results of the original paper by using a modified version "
    "of TorchVision's new training recipe (https://pytorch.org/blog/how-to-train-state-of-the-"
    "art-models-using-torchvision-latest-primitives/)."
)


def _v1_weights(file: str, crop: int, resize: int, num_params: int, acc1: float, acc5: float,
                ops: float, file_size: float,
                interpolation: InterpolationMode = InterpolationMode.BICUBIC,
                **meta: Any) -> Weights:
    """One torchvision EfficientNet-V1 entry (all share the categories, min_size and recipe)."""
    return Weights(
        url=f"https://download.pytorch.org/models/{file}",
        transforms=partial(ImageClassification, crop_size=crop, resize_size=resize,
                           interpolation=interpolation),
        meta={
            **_COMMON_META_V1,
            "num_params": num_params,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
            "_ops": ops,
            "_file_size": file_size,
            "_docs": _PORTED_DOCS,
            **meta,
        },
    )


# The file names (and so the SHA-256 prefixes) are torchvision's current ones: B0-B7's ported
# checkpoints were re-uploaded in torchvision 0.14 (e.g. b0 "-3dd342df" became "-7f5810bc").
# Weights ported from https://github.com/rwightman/pytorch-image-models/ (B0-B4) and
# https://github.com/lukemelas/EfficientNet-PyTorch/ (B5-B7).
class EfficientNet_B0_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b0`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b0_rwightman-7f5810bc.pth", 224, 256, 5288548,
                                77.692, 93.532, 0.386, 20.451)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b1`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b1_rwightman-bac287d4.pth", 240, 256, 7794184,
                                78.642, 94.186, 0.687, 30.134)
    IMAGENET1K_V2 = _v1_weights(
        "efficientnet_b1-c27df63c.pth", 240, 255, 7794184, 79.838, 94.934, 0.687, 30.136,
        interpolation=InterpolationMode.BILINEAR,
        recipe="https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning",
        _docs=_NEW_RECIPE_DOCS,
    )
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b2`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b2_rwightman-c35c1473.pth", 288, 288, 9109994,
                                80.608, 95.310, 1.088, 35.174)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b3`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b3_rwightman-b3899882.pth", 300, 320, 12233232,
                                82.008, 96.054, 1.827, 47.184)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b4`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b4_rwightman-23ab8bcd.pth", 380, 384, 19341616,
                                83.384, 96.594, 4.394, 74.489)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b5`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b5_lukemelas-1a07897c.pth", 456, 456, 30389784,
                                83.444, 96.628, 10.266, 116.864)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b6`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b6_lukemelas-24a108a5.pth", 528, 528, 43040704,
                                84.008, 96.916, 19.068, 165.362)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b7`."""

    IMAGENET1K_V1 = _v1_weights("efficientnet_b7_lukemelas-c5b4e57e.pth", 600, 600, 66347960,
                                84.122, 96.908, 37.746, 254.675)
    DEFAULT = IMAGENET1K_V1


# The TensorFlow checkpoints behind B5-B7 used BatchNorm eps 1e-3 and (TF) decay 0.99
_TF_BATCH_NORM = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)


def _efficientnet_b(arch: str, width_mult: float, depth_mult: float, dropout: float,
                    weights: WeightsEnum | None, progress: bool, kwargs: dict[str, Any],
                    norm_layer: Callable[..., nn.Module] | None = None) -> EfficientNet:
    inverted_residual_setting, last_channel = _efficientnet_conf(arch, width_mult=width_mult,
                                                                 depth_mult=depth_mult)
    if norm_layer is not None:
        kwargs = {"norm_layer": norm_layer, **kwargs}  # a caller's norm_layer wins, as in kwargs
    return _efficientnet(inverted_residual_setting, kwargs.pop("dropout", dropout), last_channel,
                         weights, progress, **kwargs)


_BUILDER_DOC = """EfficientNet-{v} from `EfficientNet: Rethinking Model Scaling for Convolutional
    Neural Networks <https://arxiv.org/abs/1905.11946>`_ (width x{w}, depth x{d}).

    Args:
        weights: :class:`EfficientNet_{v}_Weights` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`EfficientNet` (``num_classes``, ``dropout`` default {p},
            ``stochastic_depth_prob``, ``norm_layer``).

    Example:
        >>> model = efficientnet_{lv}(weights="DEFAULT").eval()  # downloads once
    """


@register_model()
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B0_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b0", 1.0, 1.0, 0.2, weights, progress, kwargs)


@register_model()
def efficientnet_b1(*, weights: EfficientNet_B1_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B1_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b1", 1.0, 1.1, 0.2, weights, progress, kwargs)


@register_model()
def efficientnet_b2(*, weights: EfficientNet_B2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B2_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b2", 1.1, 1.2, 0.3, weights, progress, kwargs)


@register_model()
def efficientnet_b3(*, weights: EfficientNet_B3_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B3_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b3", 1.2, 1.4, 0.3, weights, progress, kwargs)


@register_model()
def efficientnet_b4(*, weights: EfficientNet_B4_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B4_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b4", 1.4, 1.8, 0.4, weights, progress, kwargs)


@register_model()
def efficientnet_b5(*, weights: EfficientNet_B5_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B5_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b5", 1.6, 2.2, 0.4, weights, progress, kwargs,
                           norm_layer=_TF_BATCH_NORM)


@register_model()
def efficientnet_b6(*, weights: EfficientNet_B6_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B6_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b6", 1.8, 2.6, 0.5, weights, progress, kwargs,
                           norm_layer=_TF_BATCH_NORM)


@register_model()
def efficientnet_b7(*, weights: EfficientNet_B7_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    weights = EfficientNet_B7_Weights.verify(weights)
    return _efficientnet_b("efficientnet_b7", 2.0, 3.1, 0.5, weights, progress, kwargs,
                           norm_layer=_TF_BATCH_NORM)


for _fn, _w, _d, _p in ((efficientnet_b0, 1.0, 1.0, 0.2), (efficientnet_b1, 1.0, 1.1, 0.2),
                        (efficientnet_b2, 1.1, 1.2, 0.3), (efficientnet_b3, 1.2, 1.4, 0.3),
                        (efficientnet_b4, 1.4, 1.8, 0.4), (efficientnet_b5, 1.6, 2.2, 0.4),
                        (efficientnet_b6, 1.8, 2.6, 0.5), (efficientnet_b7, 2.0, 3.1, 0.5)):
    _v = _fn.__name__[-2:].upper()
    # one docstring template: the eight builders differ only in these numbers
    _fn.__doc__ = _BUILDER_DOC.format(v=_v, lv=_v.lower(), w=_w, d=_d, p=_p)
del _fn, _w, _d, _p, _v

# EfficientNetV2 (FusedMBConv stages) lives in its own module; re-exported here as torchvision
# exposes it from ``models.efficientnet``. Imported last: it builds on the classes above.
from ._efficientnet_v2 import (  # noqa: E402
    EfficientNet_V2_L_Weights,
    EfficientNet_V2_M_Weights,
    EfficientNet_V2_S_Weights,
    FusedMBConv,  # noqa: F401  (torchvision exposes it from this module)
    FusedMBConvConfig,  # noqa: F401
    efficientnet_v2_l,
    efficientnet_v2_m,
    efficientnet_v2_s,
)
