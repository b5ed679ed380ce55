"""ConvNeXt (torchvision's ``models/convnext.py``).

Liu et al., "A ConvNet for the 2020s" (2022). torchvision's layout: ``features`` (``0`` a 4x4
stride-4 patchify stem ``Conv2dNormActivation`` with ``LayerNorm2d``; then alternately one
``Sequential`` of ``CNBlock`` per stage and a downsampling ``Sequential`` of ``LayerNorm2d`` and
a 2x2 stride-2 convolution), ``avgpool``, ``classifier`` (``0`` LayerNorm2d, ``1`` Flatten, ``2``
Linear). A ``CNBlock`` is a 7x7 depthwise convolution, then in channels-last layout LayerNorm,
a 4x MLP with GELU, back to channels-first; the branch is scaled per channel by the learned
``layer_scale`` (``(C, 1, 1)``) and dropped by stochastic depth before the residual addition.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ember
import ember.nn.functional as F
from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = [
    "ConvNeXt",
    "ConvNeXt_Tiny_Weights",
    "ConvNeXt_Small_Weights",
    "ConvNeXt_Base_Weights",
    "ConvNeXt_Large_Weights",
    "convnext_tiny",
    "convnext_small",
    "convnext_base",
    "convnext_large",
]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` map (each pixel normalised across
    its ``C`` values): permuted to channels-last, normalised, permuted back. Same parameters
    as ``nn.LayerNorm(C)``."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """ConvNeXt block: ``x + drop(layer_scale * MLP(LN(dwconv7x7(x))))``."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input: Tensor) -> Tensor:
        result = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        return result + input


class CNBlockConfig:
    """One stage (the paper's Section 3): its width, the next stage's width (None for the
    last stage: no downsampling after it) and its number of blocks."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(input_channels={self.input_channels}, "
                f"out_channels={self.out_channels}, num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """ConvNeXt classifier.

    Args:
        block_setting: the stages (:class:`CNBlockConfig` list).
        stochastic_depth_prob: drop probability reached at the last block (linear in depth
            from 0).
        layer_scale: initial value of every block's ``layer_scale``.
        num_classes: output classes.
        block: the block class (default :class:`CNBlock`).
        norm_layer: default ``LayerNorm2d(eps=1e-6)``.

    Shape:
        ``(N, 3, H, W)`` -> ``(N, num_classes)``.
    """

    def __init__(
        self,
        block_setting: list[CNBlockConfig],
        stochastic_depth_prob: float = 0.0,
        layer_scale: float = 1e-6,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, Sequence)
                and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)
        layers: list[nn.Module] = []
        firstconv_output_channels = block_setting[0].input_channels
        layers.append(Conv2dNormActivation(3, firstconv_output_channels, kernel_size=4, stride=4,
                                           padding=0, norm_layer=norm_layer,
                                           activation_layer=None, bias=True))
        total_stage_blocks = sum(cnf.num_layers for cnf in block_setting)
        stage_block_id = 0
        for cnf in block_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2),
                ))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        lastblock = block_setting[-1]
        lastconv_output_channels = (lastblock.out_channels if lastblock.out_channels is not None
                                    else lastblock.input_channels)
        self.classifier = nn.Sequential(
            norm_layer(lastconv_output_channels),
            nn.Flatten(1),
            nn.Linear(lastconv_output_channels, num_classes),
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"ConvNeXt: expected input of shape (N, 3, H, W), got {tuple(x.shape)}"
            )
        x = self.features(x)
        x = self.avgpool(x)
        return self.classifier(x)

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _convnext(block_setting: list[CNBlockConfig], stochastic_depth_prob: float,
              weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> ConvNeXt:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {
    "min_size": (32, 32),
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/tree/main/references/classification#convnext",
    "_docs": "These weights improve upon the results of the original paper by using a modified "
             "version of TorchVision's new training recipe.",
}


def _entry(url: str, resize_size: int, num_params: int, acc1: float, acc5: float, ops: float,
           file_size: float) -> Weights:
    return Weights(
        url=url,
        transforms=partial(ImageClassification, crop_size=224, resize_size=resize_size),
        meta={**_COMMON_META, "num_params": num_params,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": file_size},
    )


_URL = "https://download.pytorch.org/models/"


class ConvNeXt_Tiny_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`convnext_tiny`."""

    IMAGENET1K_V1 = _entry(_URL + "convnext_tiny-983f1562.pth", 236, 28589128, 82.520, 96.146,
                           4.456, 109.119)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`convnext_small`."""

    IMAGENET1K_V1 = _entry(_URL + "convnext_small-0c510722.pth", 230, 50223688, 83.616, 96.650,
                           8.684, 191.703)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Base_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`convnext_base`."""

    IMAGENET1K_V1 = _entry(_URL + "convnext_base-6075fbad.pth", 232, 88591464, 84.062, 96.870,
                           15.355, 338.064)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Large_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`convnext_large`."""

    IMAGENET1K_V1 = _entry(_URL + "convnext_large-ea097f82.pth", 232, 197767336, 84.414,
                           96.976, 34.361, 754.537)
    DEFAULT = IMAGENET1K_V1


_BUILDER_DOC = """ConvNeXt {size} from `A ConvNet for the 2020s <https://arxiv.org/abs/2201.03545>`_.

    Args:
        weights: :class:`{enum}` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`ConvNeXt` (``num_classes``, ``layer_scale``,
            ``stochastic_depth_prob`` default {sd}).
    """


@register_model()
def convnext_tiny(*, weights: ConvNeXt_Tiny_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> ConvNeXt:
    weights = ConvNeXt_Tiny_Weights.verify(weights)
    block_setting = [CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3),
                     CNBlockConfig(384, 768, 9), CNBlockConfig(768, None, 3)]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", 0.1)
    return _convnext(block_setting, stochastic_depth_prob, weights, progress, **kwargs)


@register_model()
def convnext_small(*, weights: ConvNeXt_Small_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> ConvNeXt:
    weights = ConvNeXt_Small_Weights.verify(weights)
    block_setting = [CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3),
                     CNBlockConfig(384, 768, 27), CNBlockConfig(768, None, 3)]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", 0.4)
    return _convnext(block_setting, stochastic_depth_prob, weights, progress, **kwargs)


@register_model()
def convnext_base(*, weights: ConvNeXt_Base_Weights | None = None, progress: bool = True,
                  **kwargs: Any) -> ConvNeXt:
    weights = ConvNeXt_Base_Weights.verify(weights)
    block_setting = [CNBlockConfig(128, 256, 3), CNBlockConfig(256, 512, 3),
                     CNBlockConfig(512, 1024, 27), CNBlockConfig(1024, None, 3)]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", 0.5)
    return _convnext(block_setting, stochastic_depth_prob, weights, progress, **kwargs)


@register_model()
def convnext_large(*, weights: ConvNeXt_Large_Weights | None = None, progress: bool = True,
                   **kwargs: Any) -> ConvNeXt:
    weights = ConvNeXt_Large_Weights.verify(weights)
    block_setting = [CNBlockConfig(192, 384, 3), CNBlockConfig(384, 768, 3),
                     CNBlockConfig(768, 1536, 27), CNBlockConfig(1536, None, 3)]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", 0.5)
    return _convnext(block_setting, stochastic_depth_prob, weights, progress, **kwargs)


for _fn, _size, _enum, _sd in ((convnext_tiny, "Tiny", "ConvNeXt_Tiny_Weights", 0.1),
                               (convnext_small, "Small", "ConvNeXt_Small_Weights", 0.4),
                               (convnext_base, "Base", "ConvNeXt_Base_Weights", 0.5),
                               (convnext_large, "Large", "ConvNeXt_Large_Weights", 0.5)):
    _fn.__doc__ = _BUILDER_DOC.format(size=_size, enum=_enum, sd=_sd)
del _fn, _size, _enum, _sd
