"""RegNetX and RegNetY (torchvision's ``models/regnet.py``: every ``regnet_x_*``/``regnet_y_*``).

Radosavovic et al., "Designing Network Design Spaces" (2020). A RegNet is fixed by a handful of
numbers (depth, initial width ``w_0``, slope ``w_a``, log-step ``w_m``, group width, and for Y
the squeeze-excitation ratio); :meth:`BlockParams.from_init_params` turns them into stages.

torchvision's layout, kept key for key so its checkpoints load with ``strict=True``:
``stem`` (a 3x3 stride-2 ``Conv2dNormActivation``: ``stem.0`` conv, ``stem.1`` norm),
``trunk_output.block<i>`` (one ``AnyStage`` per stage, children named ``block<i>-<j>``), each a
``ResBottleneckBlock`` with an optional ``proj`` shortcut and ``f`` = ``a`` (1x1), ``b``
(grouped 3x3), ``se`` (RegNetY only: ``fc1``/``fc2``) and ``c`` (1x1, no activation), then
``avgpool`` and ``fc``.
"""

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification, InterpolationMode
from ._utils import _make_divisible, _ovewrite_named_param

__all__ = [
    "RegNet",
    "RegNet_Y_400MF_Weights",
    "RegNet_Y_800MF_Weights",
    "RegNet_Y_1_6GF_Weights",
    "RegNet_Y_3_2GF_Weights",
    "RegNet_Y_8GF_Weights",
    "RegNet_Y_16GF_Weights",
    "RegNet_Y_32GF_Weights",
    "RegNet_Y_128GF_Weights",
    "RegNet_X_400MF_Weights",
    "RegNet_X_800MF_Weights",
    "RegNet_X_1_6GF_Weights",
    "RegNet_X_3_2GF_Weights",
    "RegNet_X_8GF_Weights",
    "RegNet_X_16GF_Weights",
    "RegNet_X_32GF_Weights",
    "regnet_y_400mf",
    "regnet_y_800mf",
    "regnet_y_1_6gf",
    "regnet_y_3_2gf",
    "regnet_y_8gf",
    "regnet_y_16gf",
    "regnet_y_32gf",
    "regnet_y_128gf",
    "regnet_x_400mf",
    "regnet_x_800mf",
    "regnet_x_1_6gf",
    "regnet_x_3_2gf",
    "regnet_x_8gf",
    "regnet_x_16gf",
    "regnet_x_32gf",
]


class SimpleStemIN(Conv2dNormActivation):
    """The ImageNet stem: 3x3 stride-2 convolution, norm, activation."""

    def __init__(self, width_in: int, width_out: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module]) -> None:
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """The residual branch: 1x1 (``a``), grouped 3x3 (``b``), optional SE (``se``), 1x1 (``c``).

    The bottleneck width is ``round(width_out * bottleneck_multiplier)``, split into groups of
    ``group_width`` channels; the SE squeeze width is ``round(se_ratio * width_in)``, relative
    to the block's *input* (as in the paper and torchvision).
    """

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int, bottleneck_multiplier: float, se_ratio: float | None) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, stride=1,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride, groups=g,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:
            width_se_out = int(round(se_ratio * width_in))
            layers["se"] = SqueezeExcitation(input_channels=w_b, squeeze_channels=width_se_out,
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, stride=1,
                                           norm_layer=norm_layer, activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(shortcut(x) + f(x))``; the shortcut is a 1x1 conv + norm (``proj``) when
    the width or the resolution changes, the identity otherwise."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module], activation_layer: Callable[..., nn.Module],
                 group_width: int = 1, bottleneck_multiplier: float = 1.0,
                 se_ratio: float | None = None) -> None:
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride,
                                             norm_layer=norm_layer, activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer,
                                     group_width, bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class AnyStage(nn.Sequential):
    """One stage: ``depth`` blocks of the same output width; only the first one strides.

    Children are named ``block<stage_index>-<i>`` (torchvision's keys)."""

    def __init__(self, width_in: int, width_out: int, stride: int, depth: int,
                 block_constructor: Callable[..., nn.Module], norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int,
                 bottleneck_multiplier: float, se_ratio: float | None = None,
                 stage_index: int = 0) -> None:
        super().__init__()
        for i in range(depth):
            block = block_constructor(width_in if i == 0 else width_out, width_out,
                                      stride if i == 0 else 1, norm_layer, activation_layer,
                                      group_width, bottleneck_multiplier, se_ratio)
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """Per-stage settings of a RegNet: depths, widths, group widths, bottleneck multipliers,
    strides and the SE ratio (None for RegNetX).

    Build it from the paper's parameters with :meth:`from_init_params`.
    """

    def __init__(self, depths: list[int], widths: list[int], group_widths: list[int],
                 bottleneck_multipliers: list[float], strides: list[int],
                 se_ratio: float | None = None) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                         bottleneck_multiplier: float = 1.0, se_ratio: float | None = None,
                         **kwargs: Any) -> "BlockParams":
        """Quantized-linear widths (the paper's Eq. 2-4), grouped into stages.

        Block ``j`` gets the continuous width ``u_j = w_0 + w_a * j``; writing
        ``u_j = w_0 * w_m ** s_j`` and rounding ``s_j`` gives the quantized width
        ``w_0 * w_m ** round(s_j)``, rounded to a multiple of 8. Consecutive blocks of equal
        width form a stage (stride 2 each); stage widths are then adjusted so the bottleneck
        width divides into groups. Extra ``kwargs`` (the builder's model arguments) are ignored.

        Raises:
            ValueError: ``w_a < 0``, ``w_0 <= 0``, ``w_m <= 1`` or ``w_0`` not a multiple of 8.
        """
        quant, stride = 8, 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        # float32 throughout, as torchvision computes these with default-dtype torch tensors:
        # the rounding of the log-space capacities must land exactly where theirs does.
        f32 = np.float32
        widths_cont = np.arange(depth, dtype=f32) * f32(w_a) + f32(w_0)
        block_capacity = np.round(np.log(widths_cont / f32(w_0)) / f32(math.log(w_m)))
        block_widths = (np.round(f32(w_0) * np.power(f32(w_m), block_capacity) / f32(quant))
                        * f32(quant)).astype(np.int32).tolist()
        num_stages = len(set(block_widths))

        # a stage boundary wherever the width changes (the padding zeros close the last stage)
        splits = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths)]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
        stage_depths = np.diff([d for d, t in enumerate(splits) if t]).astype(int).tolist()

        strides = [stride] * num_stages
        bottleneck_multipliers = [bottleneck_multiplier] * num_stages
        group_widths = [group_width] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, bottleneck_multipliers, group_widths)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=bottleneck_multipliers, strides=strides,
                   se_ratio=se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths,
                   self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths: list[int], bottleneck_ratios: list[float],
                                           group_widths: list[int]
                                           ) -> tuple[list[int], list[int]]:
        """Make each bottleneck width a multiple of its group width (torchvision's spelling)."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [_make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """RegNet classifier.

    Args:
        block_params: the stages (:class:`BlockParams`).
        num_classes: outputs of ``fc``. Default: 1000.
        stem_width: channels after the stem. Default: 32.
        stem_type: stem constructor ``(width_in, width_out, norm_layer, activation)``.
            Default: :class:`SimpleStemIN`.
        block_type: block constructor. Default: :class:`ResBottleneckBlock`.
        norm_layer: default ``nn.BatchNorm2d`` (the builders pass eps=1e-5, momentum=0.1).
        activation: default ``nn.ReLU``.

    Shape:
        ``(N, 3, H, W)`` -> ``(N, num_classes)``.

    Example:
        >>> params = BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=2.0,
        ...                                       group_width=8)
        >>> RegNet(params, num_classes=5).eval()(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 5])
    """

    def __init__(self, block_params: BlockParams, num_classes: int = 1000, stem_width: int = 32,
                 stem_type: Callable[..., nn.Module] | None = None,
                 block_type: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        stem_type = SimpleStemIN if stem_type is None else stem_type
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        block_type = ResBottleneckBlock if block_type is None else block_type
        activation = nn.ReLU if activation is None else activation

        self.stem = stem_type(3, stem_width, norm_layer, activation)
        current_width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, bottleneck_multiplier) in enumerate(
                block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(
                current_width, width_out, stride, depth, block_type, norm_layer, activation,
                group_width, bottleneck_multiplier, block_params.se_ratio, stage_index=i + 1)))
            current_width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=current_width, out_features=num_classes)

        # torchvision's ResNet-style initialisation (convolutions have no bias: BN follows)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"RegNet: expected input of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = self.trunk_output(self.stem(x))
        x = self.avgpool(x)
        return self.fc(x.flatten(start_dim=1))


def _regnet(block_params: BlockParams, weights: WeightsEnum | None, progress: bool,
            **kwargs: Any) -> RegNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    model = RegNet(block_params, norm_layer=norm_layer, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


# ---------------------------------------------------------------------------------------------
# Weights: torchvision's published checkpoints (URL with SHA-256 prefix) and reported metrics
# ---------------------------------------------------------------------------------------------

_COMMON_META: dict[str, Any] = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
_COMMON_SWAG_META = {
    **_COMMON_META,
    "recipe": "https://github.com/facebookresearch/SWAG",
    "license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
}
_URL = "https://download.pytorch.org/models/"
_REF = "https://github.com/pytorch/vision/tree/main/references/classification#"
_V1_DOCS = (
    "These weights reproduce closely the results of the paper using a simple training recipe."
)
_V2_DOCS = (
    "These weights improve upon the results of the original paper by using a modified version "
    "of TorchVision's new training recipe (https://pytorch.org/blog/"
    "how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/)."
)
_E2E_DOCS = ("These weights are learnt via transfer learning by end-to-end fine-tuning the "
             "original SWAG (https://arxiv.org/abs/2201.08371) weights on ImageNet-1K data.")
_LINEAR_DOCS = ("These weights are composed of the original frozen SWAG "
                "(https://arxiv.org/abs/2201.08371) trunk weights and a linear classifier learnt "
                "on top of them trained on ImageNet-1K data.")


def _v1(file: str, num_params: int, acc1: float, acc5: float, size: str, ops: float,
        file_size: float) -> Weights:
    return Weights(url=_URL + file, transforms=partial(ImageClassification, crop_size=224),
                   meta={**_COMMON_META, "num_params": num_params, "recipe": _REF + size,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": file_size, "_docs": _V1_DOCS})


def _v2(file: str, num_params: int, acc1: float, acc5: float, ops: float, file_size: float,
        recipe: str = "https://github.com/pytorch/vision/issues/3995#new-recipe") -> Weights:
    return Weights(url=_URL + file,
                   transforms=partial(ImageClassification, crop_size=224, resize_size=232),
                   meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": file_size, "_docs": _V2_DOCS})


def _v1_v2(name: str, v1_hash: str, v2_hash: str, num_params: int, v1_acc: tuple,
           v2_acc: tuple, size: str, ops: float, file_size: float,
           v2_file_size: float | None = None, recipe: str | None = None) -> tuple:
    """A model's IMAGENET1K_V1 and IMAGENET1K_V2 entries (``<name>-<hash>.pth``), which share
    the parameter count, GFLOPS and (but for one rounding in torchvision's table) file size;
    ``*_acc`` are ``(acc@1, acc@5)``."""
    v2_extra = {} if recipe is None else {"recipe": recipe}
    return (_v1(f"{name}-{v1_hash}.pth", num_params, *v1_acc, size, ops, file_size),
            _v2(f"{name}-{v2_hash}.pth", num_params, *v2_acc, ops,
                file_size if v2_file_size is None else v2_file_size, **v2_extra))


def _swag(file: str, num_params: int, acc1: float, acc5: float, ops: float, file_size: float,
          linear: bool) -> Weights:
    size = 224 if linear else 384
    meta = {**_COMMON_SWAG_META, "num_params": num_params,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
            "_ops": ops, "_file_size": file_size, "_docs": _LINEAR_DOCS if linear else _E2E_DOCS}
    if linear:
        meta["recipe"] = "https://github.com/pytorch/vision/pull/5793"
    return Weights(url=_URL + file, meta=meta,
                   transforms=partial(ImageClassification, crop_size=size, resize_size=size,
                                      interpolation=InterpolationMode.BICUBIC))


_FIXRES = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres"


class RegNet_Y_400MF_Weights(WeightsEnum):
    """RegNetY-400MF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_400mf", "c65dace8", "e6988f5f", 4344144, (74.046, 91.716), (75.804, 92.742),
        "small-models", 0.4, 16.806)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_800MF_Weights(WeightsEnum):
    """RegNetY-800MF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_800mf", "1b27b58c", "58fc7688", 6432512, (76.420, 93.136), (78.828, 94.502),
        "small-models", 0.8, 24.774)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_1_6GF_Weights(WeightsEnum):
    """RegNetY-1.6GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_1_6gf", "b11a554e", "0d7bc02a", 11202430, (77.950, 93.966), (80.876, 95.444),
        "small-models", 1.6, 43.152)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_3_2GF_Weights(WeightsEnum):
    """RegNetY-3.2GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_3_2gf", "b5a9779c", "9180c971", 19436338, (78.948, 94.576), (81.982, 95.972),
        "medium-models", 3.2, 74.567)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_8GF_Weights(WeightsEnum):
    """RegNetY-8GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_8gf", "d0d0e4a8", "dc2b1b54", 39381472, (80.032, 95.048), (82.828, 96.330),
        "medium-models", 8.5, 150.701)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_16GF_Weights(WeightsEnum):
    """RegNetY-16GF ImageNet-1K weights, including the SWAG fine-tuned ones."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_16gf", "9e6ed7dd", "3e4a00f9", 83590140, (80.424, 95.240), (82.886, 96.328),
        "large-models", 15.9, 319.49)
    IMAGENET1K_SWAG_E2E_V1 = _swag("regnet_y_16gf_swag-43afe44d.pth", 83590140, 86.012, 98.054,
                                   46.7, 319.49, linear=False)
    IMAGENET1K_SWAG_LINEAR_V1 = _swag("regnet_y_16gf_lc_swag-f3ec0043.pth", 83590140, 83.976,
                                      97.244, 15.9, 319.49, linear=True)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_32GF_Weights(WeightsEnum):
    """RegNetY-32GF ImageNet-1K weights, including the SWAG fine-tuned ones."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_y_32gf", "4dee3f7a", "8db6d4b5", 145046770, (80.878, 95.340), (83.368, 96.498),
        "large-models", 32.3, 554.076)
    IMAGENET1K_SWAG_E2E_V1 = _swag("regnet_y_32gf_swag-04fdfa75.pth", 145046770, 86.838, 98.362,
                                   94.8, 554.076, linear=False)
    IMAGENET1K_SWAG_LINEAR_V1 = _swag("regnet_y_32gf_lc_swag-e1583746.pth", 145046770, 84.622,
                                      97.480, 32.3, 554.076, linear=True)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_128GF_Weights(WeightsEnum):
    """RegNetY-128GF: only the SWAG checkpoints exist (no plain ImageNet-1K training)."""
    IMAGENET1K_SWAG_E2E_V1 = _swag("regnet_y_128gf_swag-c8ce3e52.pth", 644812894, 88.228,
                                   98.682, 374.6, 2461.564, linear=False)
    IMAGENET1K_SWAG_LINEAR_V1 = _swag("regnet_y_128gf_lc_swag-cbe8ce12.pth", 644812894, 86.068,
                                      97.844, 127.5, 2461.564, linear=True)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class RegNet_X_400MF_Weights(WeightsEnum):
    """RegNetX-400MF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_400mf", "adf1edd5", "62229a5f", 5495976, (72.834, 90.950), (74.864, 92.322),
        "small-models", 0.4, 21.258, v2_file_size=21.257, recipe=_FIXRES)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_800MF_Weights(WeightsEnum):
    """RegNetX-800MF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_800mf", "ad17e45c", "94a99ebd", 7259656, (75.212, 92.348), (77.522, 93.826),
        "small-models", 0.8, 27.945, recipe=_FIXRES)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_1_6GF_Weights(WeightsEnum):
    """RegNetX-1.6GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_1_6gf", "e3633e7f", "a12f2b72", 9190136, (77.040, 93.440), (79.668, 94.922),
        "small-models", 1.6, 35.339, recipe=_FIXRES)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_3_2GF_Weights(WeightsEnum):
    """RegNetX-3.2GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_3_2gf", "f342aeae", "7071aa85", 15296552, (78.364, 93.992), (81.196, 95.430),
        "medium-models", 3.2, 58.756)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_8GF_Weights(WeightsEnum):
    """RegNetX-8GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_8gf", "03ceed89", "2b70d774", 39572648, (79.344, 94.686), (81.682, 95.678),
        "medium-models", 8.0, 151.456)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_16GF_Weights(WeightsEnum):
    """RegNetX-16GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_16gf", "2007eb11", "ba3796d7", 54278536, (80.058, 94.944), (82.716, 96.196),
        "medium-models", 15.9, 207.627)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_32GF_Weights(WeightsEnum):
    """RegNetX-32GF ImageNet-1K weights (torchvision's checkpoints and reported metrics)."""
    IMAGENET1K_V1, IMAGENET1K_V2 = _v1_v2(
        "regnet_x_32gf", "9d47f8d0", "6eb8fdc6", 107811560, (80.622, 95.248), (83.014, 96.288),
        "large-models", 31.7, 412.039)
    DEFAULT = IMAGENET1K_V2


# ---------------------------------------------------------------------------------------------
# Builders: the paper's parameters for each model (torchvision's values)
# ---------------------------------------------------------------------------------------------

_DOC = """{title} from `Designing Network Design Spaces <https://arxiv.org/abs/2003.13678>`_.

    Args:
        weights: :class:`{enum}` (or its name); None (default) for random initialisation.
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`RegNet` (``num_classes``, ``stem_width``, ``norm_layer``,
            ``activation``...); the default norm layer is ``BatchNorm2d(eps=1e-5,
            momentum=0.1)``.

    Example:
        >>> {name}(num_classes=10).eval()(ember.zeros(1, 3, 64, 64)).shape
        ember.Size([1, 10])
    """


def _builder(name: str, title: str, enum: type[WeightsEnum], **params: Any) -> Callable:
    def builder(*, weights: WeightsEnum | None = None, progress: bool = True,
                **kwargs: Any) -> RegNet:
        weights = enum.verify(weights)
        block_params = BlockParams.from_init_params(**params, **kwargs)
        return _regnet(block_params, weights, progress, **kwargs)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = _DOC.format(title=title, enum=enum.__name__, name=name)
    builder.__annotations__["weights"] = enum | None  # get_model_weights reads this annotation
    return register_model(name)(builder)


regnet_y_400mf = _builder("regnet_y_400mf", "RegNetY-400MF", RegNet_Y_400MF_Weights,
                          depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25)
regnet_y_800mf = _builder("regnet_y_800mf", "RegNetY-800MF", RegNet_Y_800MF_Weights,
                          depth=14, w_0=56, w_a=38.84, w_m=2.4, group_width=16, se_ratio=0.25)
regnet_y_1_6gf = _builder("regnet_y_1_6gf", "RegNetY-1.6GF", RegNet_Y_1_6GF_Weights,
                          depth=27, w_0=48, w_a=20.71, w_m=2.65, group_width=24, se_ratio=0.25)
regnet_y_3_2gf = _builder("regnet_y_3_2gf", "RegNetY-3.2GF", RegNet_Y_3_2GF_Weights,
                          depth=21, w_0=80, w_a=42.63, w_m=2.66, group_width=24, se_ratio=0.25)
regnet_y_8gf = _builder("regnet_y_8gf", "RegNetY-8GF", RegNet_Y_8GF_Weights,
                        depth=17, w_0=192, w_a=76.82, w_m=2.19, group_width=56, se_ratio=0.25)
regnet_y_16gf = _builder("regnet_y_16gf", "RegNetY-16GF", RegNet_Y_16GF_Weights,
                         depth=18, w_0=200, w_a=106.23, w_m=2.48, group_width=112, se_ratio=0.25)
regnet_y_32gf = _builder("regnet_y_32gf", "RegNetY-32GF", RegNet_Y_32GF_Weights,
                         depth=20, w_0=232, w_a=115.89, w_m=2.53, group_width=232, se_ratio=0.25)
regnet_y_128gf = _builder("regnet_y_128gf", "RegNetY-128GF", RegNet_Y_128GF_Weights,
                          depth=27, w_0=456, w_a=160.83, w_m=2.52, group_width=264, se_ratio=0.25)
regnet_x_400mf = _builder("regnet_x_400mf", "RegNetX-400MF", RegNet_X_400MF_Weights,
                          depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16)
regnet_x_800mf = _builder("regnet_x_800mf", "RegNetX-800MF", RegNet_X_800MF_Weights,
                          depth=16, w_0=56, w_a=35.73, w_m=2.28, group_width=16)
regnet_x_1_6gf = _builder("regnet_x_1_6gf", "RegNetX-1.6GF", RegNet_X_1_6GF_Weights,
                          depth=18, w_0=80, w_a=34.01, w_m=2.25, group_width=24)
regnet_x_3_2gf = _builder("regnet_x_3_2gf", "RegNetX-3.2GF", RegNet_X_3_2GF_Weights,
                          depth=25, w_0=88, w_a=26.31, w_m=2.25, group_width=48)
regnet_x_8gf = _builder("regnet_x_8gf", "RegNetX-8GF", RegNet_X_8GF_Weights,
                        depth=23, w_0=80, w_a=49.56, w_m=2.88, group_width=120)
regnet_x_16gf = _builder("regnet_x_16gf", "RegNetX-16GF", RegNet_X_16GF_Weights,
                         depth=22, w_0=216, w_a=55.59, w_m=2.1, group_width=128)
regnet_x_32gf = _builder("regnet_x_32gf", "RegNetX-32GF", RegNet_X_32GF_Weights,
                         depth=23, w_0=320, w_a=69.86, w_m=2.0, group_width=168)
