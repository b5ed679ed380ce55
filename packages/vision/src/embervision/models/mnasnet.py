"""MNASNet (torchvision's ``models/mnasnet.py``).

Tan et al., "MnasNet: Platform-Aware Neural Architecture Search for Mobile" (2018), the B1
variant. torchvision's layout: ``layers`` (a flat ``Sequential``: ``0``-``7`` the stem (3x3
convolution, then a depthwise-separable block without skip), ``8``-``13`` six stacks of
``_InvertedResidual`` blocks (each block's ``layers``: 1x1 expansion, depthwise ``k x k``,
linear 1x1 projection, all with BatchNorm), ``14``-``16`` a 1x1 convolution to 1280 channels) and
``classifier`` (``0`` Dropout, ``1`` Linear). The depth multiplier ``alpha`` scales every width
before the head, rounded to multiples of 8.

BatchNorm momentum is ``1 - 0.9997``: the paper's TensorFlow decay of 0.9997 in PyTorch's
convention.
"""

import warnings
from functools import partial
from typing import Any

from ember import Tensor, nn

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = [
    "MNASNet",
    "MNASNet0_5_Weights",
    "MNASNet0_75_Weights",
    "MNASNet1_0_Weights",
    "MNASNet1_3_Weights",
    "mnasnet0_5",
    "mnasnet0_75",
    "mnasnet1_0",
    "mnasnet1_3",
]

# The paper gives TensorFlow's decay 0.9997; PyTorch's momentum is 1 - decay.
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """1x1 expansion -> depthwise ``k x k`` (stride here) -> linear 1x1 projection; identity
    skip when the shape is kept."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int,
                 expansion_factor: int, bn_momentum: float = 0.1) -> None:
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride,
                      groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),  # linear bottleneck: no activation
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input: Tensor) -> Tensor:
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(in_ch: int, out_ch: int, kernel_size: int, stride: int, exp_factor: int,
           repeats: int, bn_momentum: float) -> nn.Sequential:
    """``repeats`` inverted residuals; only the first changes width and resolution (no skip)."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor,
                              bn_momentum=bn_momentum)
    remaining = [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor,
                                   bn_momentum=bn_momentum) for _ in range(1, repeats)]
    return nn.Sequential(first, *remaining)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """Round ``val`` to a multiple of ``divisor``, rounding up unless that loses less than
    10%: (83, 8) -> 80, (84, 8) -> 88."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(
            f"round_up_bias should be greater than 0.0 and smaller than 1.0 instead of "
            f"{round_up_bias}"
        )
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    """The eight widths before the head, scaled by ``alpha`` (reference MobileNet rounding)."""
    depths = [32, 16, 24, 40, 80, 96, 192, 320]
    return [_round_to_multiple_of(depth * alpha, 8) for depth in depths]


def _v1_stem(alpha: float) -> list[nn.Module]:
    # Version 1 of the model kept the stem at alpha = 1 widths (32, 16) whatever alpha was.
    depths = _get_depths(alpha)
    return [
        nn.Conv2d(3, 32, 3, padding=1, stride=2, bias=False),
        nn.BatchNorm2d(32, momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 3, padding=1, stride=1, groups=32, bias=False),
        nn.BatchNorm2d(32, momentum=_BN_MOMENTUM),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 16, 1, padding=0, stride=1, bias=False),
        nn.BatchNorm2d(16, momentum=_BN_MOMENTUM),
        _stack(16, depths[2], 3, 2, 3, 3, _BN_MOMENTUM),
    ]


class MNASNet(nn.Module):
    """MNASNet classifier (the paper's B1 variant).

    Args:
        alpha: depth multiplier (> 0) scaling the widths.
        num_classes: output classes.
        dropout: before the classifier.

    Shape:
        ``(N, 3, H, W)`` -> ``(N, num_classes)``.

    Example:
        >>> MNASNet(0.5, num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 10])
    """

    # Version 2 scales the stem with alpha too; version 1 checkpoints are patched on load.
    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        layers = [
            # stem: a regular convolution, then depthwise-separable without skip
            nn.Conv2d(3, depths[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(depths[0], depths[0], 3, padding=1, stride=1, groups=depths[0],
                      bias=False),
            nn.BatchNorm2d(depths[0], momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(depths[0], depths[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(depths[1], momentum=_BN_MOMENTUM),
            # (in, out, kernel, stride, expansion, repeats): the paper's Figure 7
            _stack(depths[1], depths[2], 3, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[2], depths[3], 5, 2, 3, 3, _BN_MOMENTUM),
            _stack(depths[3], depths[4], 5, 2, 6, 3, _BN_MOMENTUM),
            _stack(depths[4], depths[5], 3, 1, 6, 2, _BN_MOMENTUM),
            _stack(depths[5], depths[6], 5, 2, 6, 4, _BN_MOMENTUM),
            _stack(depths[6], depths[7], 3, 1, 6, 1, _BN_MOMENTUM),
            nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
        ]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"MNASNet: expected input of shape (N, 3, H, W), got "
                             f"{tuple(x.shape)}")
        x = self.layers(x)
        x = x.mean([2, 3])  # global average pooling
        return self.classifier(x)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        # Deliberate difference: torchvision raises for a state dict without version metadata
        # (a plain dict of tensors); Ember reads it as the current layout (version 2).
        if version is None:
            version = 2
        if version not in [1, 2]:
            raise ValueError(f"MNASNet: state_dict version should be 1 or 2, got {version}")
        if version == 1 and self.alpha != 1.0:
            # A version-1 checkpoint: rebuild the fixed-width stem so it loads, and keep the
            # model at version 1 (saving it again records that).
            for index, layer in enumerate(_v1_stem(self.alpha)):
                self.layers[index] = layer
            self._version = 1
            warnings.warn(
                "A new version of MNASNet model has been implemented. Your checkpoint was saved "
                "using the previous version. This checkpoint will load and work as before, but "
                "you may want to upgrade by training a newer model or transfer learning from an "
                "updated ImageNet checkpoint.",
                UserWarning,
                stacklevel=2,
            )
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


_COMMON_META = {
    "min_size": (1, 1),
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/1e100/mnasnet_trainer",
}
_PAPER_DOCS = "These weights reproduce closely the results of the paper."
_NEW_RECIPE_DOCS = (
    "These weights were trained from scratch by using TorchVision's new training recipe "
    "(https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-"
    "primitives/)."
)


class MNASNet0_5_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`mnasnet0_5`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet0.5_top1_67.823-3ffadce67e.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 2218512,
            "_metrics": {"ImageNet-1K": {"acc@1": 67.734, "acc@5": 87.490}},
            "_ops": 0.104,
            "_file_size": 8.591,
            "_docs": _PAPER_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class MNASNet0_75_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`mnasnet0_75`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet0_75-7090bc5f.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/pull/6019",
            "num_params": 3170208,
            "_metrics": {"ImageNet-1K": {"acc@1": 71.180, "acc@5": 90.496}},
            "_ops": 0.215,
            "_file_size": 12.303,
            "_docs": _NEW_RECIPE_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class MNASNet1_0_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`mnasnet1_0`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet1.0_top1_73.512-f206786ef8.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 4383312,
            "_metrics": {"ImageNet-1K": {"acc@1": 73.456, "acc@5": 91.510}},
            "_ops": 0.314,
            "_file_size": 16.915,
            "_docs": _PAPER_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class MNASNet1_3_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`mnasnet1_3`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet1_3-a4c69d6f.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/pull/6019",
            "num_params": 6282256,
            "_metrics": {"ImageNet-1K": {"acc@1": 76.506, "acc@5": 93.522}},
            "_ops": 0.526,
            "_file_size": 24.246,
            "_docs": _NEW_RECIPE_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _mnasnet(alpha: float, weights: WeightsEnum | None, progress: bool,
             **kwargs: Any) -> MNASNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = MNASNet(alpha, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_BUILDER_DOC = """MNASNet with depth multiplier {a} from `MnasNet: Platform-Aware Neural
    Architecture Search for Mobile <https://arxiv.org/abs/1807.11626>`_.

    Args:
        weights: :class:`MNASNet{n}_Weights` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`MNASNet` (``num_classes``, ``dropout``).

    Example:
        >>> mnasnet{n}(num_classes=10).eval()(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 10])
    """


@register_model()
def mnasnet0_5(*, weights: MNASNet0_5_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    weights = MNASNet0_5_Weights.verify(weights)
    return _mnasnet(0.5, weights, progress, **kwargs)


@register_model()
def mnasnet0_75(*, weights: MNASNet0_75_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> MNASNet:
    weights = MNASNet0_75_Weights.verify(weights)
    return _mnasnet(0.75, weights, progress, **kwargs)


@register_model()
def mnasnet1_0(*, weights: MNASNet1_0_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    weights = MNASNet1_0_Weights.verify(weights)
    return _mnasnet(1.0, weights, progress, **kwargs)


@register_model()
def mnasnet1_3(*, weights: MNASNet1_3_Weights | None = None, progress: bool = True,
               **kwargs: Any) -> MNASNet:
    weights = MNASNet1_3_Weights.verify(weights)
    return _mnasnet(1.3, weights, progress, **kwargs)


# one docstring template: the four builders differ only in alpha
for _fn, _a in ((mnasnet0_5, 0.5), (mnasnet0_75, 0.75), (mnasnet1_0, 1.0), (mnasnet1_3, 1.3)):
    _fn.__doc__ = _BUILDER_DOC.format(a=_a, n=_fn.__name__[len("mnasnet"):])
del _fn, _a
