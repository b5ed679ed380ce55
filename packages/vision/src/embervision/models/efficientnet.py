"""EfficientNet (torchvision's ``models/efficientnet.py``; the B0 builder and weights).

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (2019).
torchvision's layout: ``features`` (``0`` stem ``Conv2dNormActivation`` with SiLU, ``1``..``7``
one ``Sequential`` of ``MBConv`` blocks per stage, ``8`` a 1x1 head convolution), ``avgpool``,
``classifier`` (``0`` Dropout, ``1`` Linear). An ``MBConv``'s ``block`` holds the optional
expansion, the depthwise convolution, a ``SqueezeExcitation`` (SiLU, sigmoid gate) and the
linear projection; its residual branch goes through ``StochasticDepth`` (drop probability
growing linearly with depth, 0.2 at the last block).
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

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "efficientnet_b0"]


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
    """Stage table of EfficientNet-B* (the paper's Table 1, scaled)."""
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


class EfficientNet_B0_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`efficientnet_b0`."""

    IMAGENET1K_V1 = Weights(
        # ported by torchvision from https://github.com/rwightman/pytorch-image-models/
        url="https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=256,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META_V1,
            "num_params": 5288548,
            "_metrics": {"ImageNet-1K": {"acc@1": 77.692, "acc@5": 93.532}},
            "_ops": 0.386,
            "_file_size": 20.451,
            "_docs": "These weights are ported from the original paper.",
        },
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 from `EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks <https://arxiv.org/abs/1905.11946>`_.

    Args:
        weights: :class:`EfficientNet_B0_Weights` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`EfficientNet` (``num_classes``, ``dropout`` default 0.2,
            ``stochastic_depth_prob``, ``norm_layer``).

    Example:
        >>> efficientnet_b0(num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 10])
    """
    weights = EfficientNet_B0_Weights.verify(weights)
    inverted_residual_setting, last_channel = _efficientnet_conf("efficientnet_b0",
                                                                 width_mult=1.0, depth_mult=1.0)
    return _efficientnet(inverted_residual_setting, kwargs.pop("dropout", 0.2), last_channel,
                         weights, progress, **kwargs)
