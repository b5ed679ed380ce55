"""ResNet, ResNeXt and Wide ResNet (torchvision's ``models/resnet.py``).

Module names, parameter and buffer names and shapes are torchvision's, so its checkpoints load
with ``strict=True``: ``conv1``, ``bn1``, ``layer1``..``layer4`` (``nn.Sequential`` of blocks with
``conv1``/``bn1``/``conv2``/``bn2`` [``conv3``/``bn3``] and an optional ``downsample``
Sequential of a 1x1 conv and a norm layer), ``fc``. This is the "ResNet V1.5" variant: a
Bottleneck downsamples in its 3x3 convolution (``conv2``), not in ``conv1``.

Papers: He et al., "Deep Residual Learning for Image Recognition" (2015); Xie et al.,
"Aggregated Residual Transformations for Deep Neural Networks" (2016); Zagoruyko & Komodakis,
"Wide Residual Networks" (2016).
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = [
    "ResNet",
    "BasicBlock",
    "Bottleneck",
    "ResNet18_Weights",
    "ResNet34_Weights",
    "ResNet50_Weights",
    "ResNet101_Weights",
    "ResNet152_Weights",
    "ResNeXt50_32X4D_Weights",
    "ResNeXt101_32X8D_Weights",
    "ResNeXt101_64X4D_Weights",
    "Wide_ResNet50_2_Weights",
    "Wide_ResNet101_2_Weights",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding (= dilation, so the spatial size only changes by stride)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34).

    Args:
        inplanes: input channels.
        planes: output channels (``expansion = 1``).
        stride: stride of the first convolution.
        downsample: module applied to the input to match the output's shape, or None.
        groups, base_width: must be 1 and 64 (only Bottleneck supports grouped/wide blocks).
        dilation: must be 1.
        norm_layer: normalization constructor taking the channel count. Default: BatchNorm2d.
    """

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # Both self.conv1 and self.downsample downsample the input when stride != 1
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped, dilated, strided), 1x1 expand, plus the residual (ResNet-50+).

    The inner width is ``int(planes * base_width / 64) * groups``: ResNeXt-50 32x4d uses
    ``groups=32, base_width=4``; Wide ResNet-50-2 ``base_width=128``. Output channels are
    ``planes * 4``.

    Args: as :class:`BasicBlock`, with any ``groups``, ``base_width`` and ``dilation``.
    """

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        # Both self.conv2 and self.downsample downsample the input when stride != 1
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet backbone and classifier.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: outputs of the final ``fc`` layer. Default: 1000.
        zero_init_residual: zero the last norm layer's weight in each residual branch so
            every block starts as the identity (Goyal et al. 2017, +0.2~0.3% accuracy).
        groups: convolution groups in the Bottleneck 3x3 convolutions (ResNeXt cardinality).
        width_per_group: channels per group at the first stage (64 = plain ResNet).
        replace_stride_with_dilation: three bools, for stages 2-4: keep the resolution
            and dilate instead of striding (used by segmentation backbones).
        norm_layer: normalization constructor. Default: ``nn.BatchNorm2d``.

    Shape:
        - Input: ``(N, 3, H, W)``; any ``H, W >= 1`` (global average pooling before ``fc``).
        - Output: ``(N, num_classes)``.

    Example:
        >>> model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
        >>> model(ember.randn(2, 3, 64, 64)).shape
        ember.Size([2, 10])
    """

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int],
                 num_classes: int = 1000, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64, replace_stride_with_dilation: list[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer

        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # each element says whether to replace that stage's 2x2 stride with a dilation
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation should be None or a 3-element tuple, got "
                f"{replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        # torchvision's initialisation; Linear keeps its default (kaiming_uniform a=sqrt(5)).
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block: type[BasicBlock | Bottleneck], planes: int, blocks: int,
                    stride: int = 1, dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor) -> Tensor:
        channels = getattr(self.conv1, "in_channels", x.shape[1] if x.dim() == 4 else 3)
        if x.dim() != 4 or x.shape[1] != channels:
            raise ValueError(
                f"ResNet: expected input of shape (N, {channels}, H, W), got {tuple(x.shape)}"
            )
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = ember.flatten(self.avgpool(x), 1)
        return self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _resnet(block: type[BasicBlock | Bottleneck], layers: list[int],
            weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> ResNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ResNet(block, layers, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


# ---------------------------------------------------------------------------------------------
# Weights: torchvision's published checkpoints (URL with SHA-256 prefix) and reported metrics
# ---------------------------------------------------------------------------------------------

_COMMON_META = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
_V1_DOCS = (
    "These weights reproduce closely the results of the paper using a simple training recipe."
)
_V2_DOCS = (
    "These weights improve upon the results of the original paper by using TorchVision's new "
    "training recipe (https://pytorch.org/blog/"
    "how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/)."
)
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995#new-recipe"


def _entry(url: str, num_params: int, acc1: float, acc5: float, recipe: str, docs: str,
           resize_size: int = 256, ops: float | None = None,
           file_size: float | None = None) -> Weights:
    meta: dict[str, Any] = {
        **_COMMON_META,
        "num_params": num_params,
        "recipe": recipe,
        "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
        "_docs": docs,
    }
    if ops is not None:
        meta["_ops"] = ops
    if file_size is not None:
        meta["_file_size"] = file_size
    return Weights(url=url, meta=meta,
                   transforms=partial(ImageClassification, crop_size=224, resize_size=resize_size))


_URL = "https://download.pytorch.org/models/"


class ResNet18_Weights(WeightsEnum):
    """ResNet-18 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnet18-f37072fd.pth", 11689512, 69.758, 89.078, _RECIPE,
                           _V1_DOCS, ops=1.814, file_size=44.661)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    """ResNet-34 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnet34-b627a593.pth", 21797672, 73.314, 91.420, _RECIPE,
                           _V1_DOCS, ops=3.664, file_size=83.275)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    """ResNet-50 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnet50-0676ba61.pth", 25557032, 76.130, 92.862, _RECIPE,
                           _V1_DOCS, ops=4.089, file_size=97.781)
    IMAGENET1K_V2 = _entry(_URL + "resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434,
                           "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621",
                           _V2_DOCS, resize_size=232, ops=4.089, file_size=97.79)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    """ResNet-101 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnet101-63fe2227.pth", 44549160, 77.374, 93.546, _RECIPE,
                           _V1_DOCS, ops=7.801, file_size=170.511)
    IMAGENET1K_V2 = _entry(_URL + "resnet101-cd907fc2.pth", 44549160, 81.886, 95.780,
                           _NEW_RECIPE, _V2_DOCS, resize_size=232, ops=7.801, file_size=170.53)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    """ResNet-152 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnet152-394f9c45.pth", 60192808, 78.312, 94.046, _RECIPE,
                           _V1_DOCS, ops=11.514, file_size=230.434)
    IMAGENET1K_V2 = _entry(_URL + "resnet152-f82ba261.pth", 60192808, 82.284, 96.002,
                           _NEW_RECIPE, _V2_DOCS, resize_size=232, ops=11.514, file_size=230.474)
    DEFAULT = IMAGENET1K_V2


_RESNEXT_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnext"


class ResNeXt50_32X4D_Weights(WeightsEnum):
    """ResNeXt-50 32x4d ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698,
                           _RESNEXT_RECIPE, _V1_DOCS)
    IMAGENET1K_V2 = _entry(_URL + "resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.340,
                           _NEW_RECIPE, _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    """ResNeXt-101 32x8d ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnext101_32x8d-8ba56ff5.pth", 88791336, 79.312, 94.526,
                           _RESNEXT_RECIPE, _V1_DOCS)
    IMAGENET1K_V2 = _entry(_URL + "resnext101_32x8d-110c445d.pth", 88791336, 82.834, 96.228,
                           "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres",
                           _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    """ResNeXt-101 64x4d ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "resnext101_64x4d-173b62eb.pth", 83455272, 83.246, 96.454,
                           "https://github.com/pytorch/vision/pull/5935",
                           "These weights were trained from scratch by using TorchVision's new "
                           "training recipe.", resize_size=232)
    DEFAULT = IMAGENET1K_V1


_WIDE_RECIPE = "https://github.com/pytorch/vision/pull/912#issue-445437439"


class Wide_ResNet50_2_Weights(WeightsEnum):
    """Wide ResNet-50-2 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086,
                           _WIDE_RECIPE, _V1_DOCS, ops=11.398, file_size=131.82)
    IMAGENET1K_V2 = _entry(_URL + "wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758,
                           "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres",
                           _V2_DOCS, resize_size=232, ops=11.398, file_size=263.124)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    """Wide ResNet-101-2 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry(_URL + "wide_resnet101_2-32ee1156.pth", 126886696, 78.848, 94.284,
                           _WIDE_RECIPE, _V1_DOCS)
    IMAGENET1K_V2 = _entry(_URL + "wide_resnet101_2-d733dc28.pth", 126886696, 82.510, 96.020,
                           _NEW_RECIPE, _V2_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V2


# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------

_BUILDER_DOC = """{title}

    Args:
        weights: pretrained weights: a :class:`{enum}` member, its name as a string
            (``"IMAGENET1K_V1"``, ``"{enum}.DEFAULT"``) or None (random initialisation).
            With weights, ``num_classes`` must be left out or equal 1000.
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`ResNet` (``num_classes``, ``zero_init_residual``,
            ``replace_stride_with_dilation``, ``norm_layer``...).

    Returns:
        A :class:`ResNet`.

    Example:
        >>> model = {name}(weights=None, num_classes=10)
    """


def _document(title: str, enum: type[WeightsEnum]):
    def decorate(fn):
        fn.__doc__ = _BUILDER_DOC.format(title=title, enum=enum.__name__, name=fn.__name__)
        return fn

    return decorate


@register_model()
@_document("ResNet-18 (He et al. 2015).", ResNet18_Weights)
def resnet18(*, weights: ResNet18_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    weights = ResNet18_Weights.verify(weights)
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


@register_model()
@_document("ResNet-34 (He et al. 2015).", ResNet34_Weights)
def resnet34(*, weights: ResNet34_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    weights = ResNet34_Weights.verify(weights)
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@_document("ResNet-50 (He et al. 2015), V1.5 (stride in the 3x3 convolution).", ResNet50_Weights)
def resnet50(*, weights: ResNet50_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    weights = ResNet50_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@_document("ResNet-101 (He et al. 2015).", ResNet101_Weights)
def resnet101(*, weights: ResNet101_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    weights = ResNet101_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
@_document("ResNet-152 (He et al. 2015).", ResNet152_Weights)
def resnet152(*, weights: ResNet152_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    weights = ResNet152_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)


@register_model()
@_document("ResNeXt-50 32x4d (Xie et al. 2016): groups=32, width_per_group=4.",
           ResNeXt50_32X4D_Weights)
def resnext50_32x4d(*, weights: ResNeXt50_32X4D_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    weights = ResNeXt50_32X4D_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@_document("ResNeXt-101 32x8d (Xie et al. 2016): groups=32, width_per_group=8.",
           ResNeXt101_32X8D_Weights)
def resnext101_32x8d(*, weights: ResNeXt101_32X8D_Weights | None = None, progress: bool = True,
                     **kwargs: Any) -> ResNet:
    weights = ResNeXt101_32X8D_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 8)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
@_document("ResNeXt-101 64x4d (Xie et al. 2016): groups=64, width_per_group=4.",
           ResNeXt101_64X4D_Weights)
def resnext101_64x4d(*, weights: ResNeXt101_64X4D_Weights | None = None, progress: bool = True,
                     **kwargs: Any) -> ResNet:
    weights = ResNeXt101_64X4D_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "groups", 64)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
@_document("Wide ResNet-50-2 (Zagoruyko & Komodakis 2016): Bottleneck inner width doubled "
           "(last block 2048-1024-2048 instead of 2048-512-2048).", Wide_ResNet50_2_Weights)
def wide_resnet50_2(*, weights: Wide_ResNet50_2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    weights = Wide_ResNet50_2_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
@_document("Wide ResNet-101-2 (Zagoruyko & Komodakis 2016): Bottleneck inner width doubled.",
           Wide_ResNet101_2_Weights)
def wide_resnet101_2(*, weights: Wide_ResNet101_2_Weights | None = None, progress: bool = True,
                     **kwargs: Any) -> ResNet:
    weights = Wide_ResNet101_2_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)
