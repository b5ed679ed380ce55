"""ShuffleNetV2 (torchvision's ``models/shufflenetv2.py``).

Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design" (2018).
torchvision's layout: ``conv1`` (Sequential conv/BN/ReLU), ``maxpool``, ``stage2``..``stage4``
(Sequentials of ``InvertedResidual`` units with ``branch1`` (only in the stride-2 unit that
opens a stage) and ``branch2``), ``conv5`` and ``fc``. A unit splits (stride 1) or duplicates
(stride 2) its input into two branches, concatenates them and shuffles the channels of the two
halves together. The model keeps PyTorch's default initialisation (torchvision sets none).
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
    "ShuffleNetV2",
    "ShuffleNet_V2_X0_5_Weights",
    "ShuffleNet_V2_X1_0_Weights",
    "ShuffleNet_V2_X1_5_Weights",
    "ShuffleNet_V2_X2_0_Weights",
    "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0",
]


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups: ``(N, g*c, H, W)`` viewed as
    ``(N, g, c, H, W)``, the two channel axes swapped, and flattened back."""
    batchsize, num_channels, height, width = x.shape
    channels_per_group = num_channels // groups
    x = x.reshape(batchsize, groups, channels_per_group, height, width)
    x = ember.transpose(x, 1, 2).contiguous()
    return x.reshape(batchsize, num_channels, height, width)


class InvertedResidual(nn.Module):
    """A ShuffleNetV2 unit (the paper's Fig. 3c for stride 1, 3d for stride 2)."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if self.stride == 1 and inp != branch_features << 1:
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If "
                f"stride == 1 then inp should be equal to oup // 2 << 1."
            )
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if self.stride > 1 else branch_features, branch_features,
                      kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3,
                                stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       bias: bool = False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 classifier.

    Args:
        stages_repeats: units in stages 2, 3, 4 (3 ints).
        stages_out_channels: widths of conv1, the three stages and conv5 (5 ints).
        num_classes: output classes.
        inverted_residual: the unit class.

    Shape:
        ``(N, 3, H, W)`` -> ``(N, num_classes)``.
    """

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int],
                 num_classes: int = 1000,
                 inverted_residual: Callable[..., nn.Module] = InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, output_channels in zip(("stage2", "stage3", "stage4"),
                                                  stages_repeats,
                                                  self._stage_out_channels[1:]):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            for _ in range(repeats - 1):
                seq.append(inverted_residual(output_channels, output_channels, 1))
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = self._stage_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def _forward_impl(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"ShuffleNetV2: expected input of shape (N, 3, H, W), got {tuple(x.shape)}"
            )
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = self.conv5(x)
        x = x.mean([2, 3])  # global average pooling
        return self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _shufflenetv2(weights: WeightsEnum | None, progress: bool, *args: Any,
                  **kwargs: Any) -> ShuffleNetV2:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ShuffleNetV2(*args, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {
    "min_size": (1, 1),
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/ericsun99/Shufflenet-v2-Pytorch",
}
_PORTED_DOCS = ("These weights were trained from scratch to reproduce closely the results of "
                "the paper.")
_NEW_DOCS = "These weights were trained from scratch by using TorchVision's new training recipe."


def _entry(url: str, num_params: int, acc1: float, acc5: float, ops: float, file_size: float,
           resize_size: int = 256, recipe: str | None = None, docs: str = _PORTED_DOCS):
    meta = {**_COMMON_META, "num_params": num_params,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
            "_ops": ops, "_file_size": file_size, "_docs": docs}
    if recipe is not None:
        meta["recipe"] = recipe
    # as torchvision: resize_size is given only where it differs from the preset's 256
    sizes = {"crop_size": 224} if resize_size == 256 else {"crop_size": 224,
                                                            "resize_size": resize_size}
    return Weights(url=url, meta=meta, transforms=partial(ImageClassification, **sizes))


_URL = "https://download.pytorch.org/models/"


class ShuffleNet_V2_X0_5_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`shufflenet_v2_x0_5`."""

    IMAGENET1K_V1 = _entry(_URL + "shufflenetv2_x0.5-f707e7126e.pth", 1366792, 60.552, 81.746,
                           0.04, 5.282)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`shufflenet_v2_x1_0`."""

    IMAGENET1K_V1 = _entry(_URL + "shufflenetv2_x1-5666bf0f80.pth", 2278604, 69.362, 88.316,
                           0.145, 8.791)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`shufflenet_v2_x1_5`."""

    IMAGENET1K_V1 = _entry(_URL + "shufflenetv2_x1_5-3c479a10.pth", 3503624, 72.996, 91.086,
                           0.296, 13.557, resize_size=232,
                           recipe="https://github.com/pytorch/vision/pull/5906", docs=_NEW_DOCS)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`shufflenet_v2_x2_0`."""

    IMAGENET1K_V1 = _entry(_URL + "shufflenetv2_x2_0-8be3c8ee.pth", 7393996, 76.230, 93.006,
                           0.583, 28.433, resize_size=232,
                           recipe="https://github.com/pytorch/vision/pull/5906", docs=_NEW_DOCS)
    DEFAULT = IMAGENET1K_V1


_BUILDER_DOC = """ShuffleNetV2 with {width}x output channels, from `ShuffleNet V2: Practical
    Guidelines for Efficient CNN Architecture Design <https://arxiv.org/abs/1807.11164>`_.

    Args:
        weights: :class:`{enum}` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`ShuffleNetV2` (``num_classes``).
    """


@register_model()
def shufflenet_v2_x0_5(*, weights: ShuffleNet_V2_X0_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    weights = ShuffleNet_V2_X0_5_Weights.verify(weights)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 48, 96, 192, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_0(*, weights: ShuffleNet_V2_X1_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    weights = ShuffleNet_V2_X1_0_Weights.verify(weights)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 116, 232, 464, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_5(*, weights: ShuffleNet_V2_X1_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    weights = ShuffleNet_V2_X1_5_Weights.verify(weights)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 176, 352, 704, 1024], **kwargs)


@register_model()
def shufflenet_v2_x2_0(*, weights: ShuffleNet_V2_X2_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    weights = ShuffleNet_V2_X2_0_Weights.verify(weights)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 244, 488, 976, 2048], **kwargs)


for _fn, _width, _enum in ((shufflenet_v2_x0_5, "0.5", "ShuffleNet_V2_X0_5_Weights"),
                           (shufflenet_v2_x1_0, "1.0", "ShuffleNet_V2_X1_0_Weights"),
                           (shufflenet_v2_x1_5, "1.5", "ShuffleNet_V2_X1_5_Weights"),
                           (shufflenet_v2_x2_0, "2.0", "ShuffleNet_V2_X2_0_Weights")):
    _fn.__doc__ = _BUILDER_DOC.format(width=_width, enum=_enum)
del _fn, _width, _enum
