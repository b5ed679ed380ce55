"""DenseNet-121/161/169/201 (torchvision's ``models/densenet.py``).

Huang et al., "Densely Connected Convolutional Networks" (2016), the DenseNet-BC variant: each
dense layer (BN-ReLU-1x1 conv to ``bn_size * growth_rate`` channels, BN-ReLU-3x3 conv to
``growth_rate``) sees the concatenation of all earlier feature maps of its block; transitions
(BN-ReLU-1x1 conv-2x2 average pool) halve the channels and the resolution.

State-dict keys are torchvision's current ones (``features.denseblock1.denselayer1.norm1``...).
The published checkpoints predate that naming and spell ``norm.1``/``conv.2``: loading them
renames those keys first, as torchvision does.
"""

import re
from collections import OrderedDict
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _ovewrite_named_param

__all__ = [
    "DenseNet",
    "DenseNet121_Weights",
    "DenseNet161_Weights",
    "DenseNet169_Weights",
    "DenseNet201_Weights",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        # Deliberate difference: Ember has no gradient checkpointing, so memory_efficient is
        # recorded (for configs and repr) but the bottleneck is computed the ordinary way;
        # results are identical, only peak memory differs.
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs: list[Tensor]) -> Tensor:
        concated_features = ember.cat(inputs, 1)
        return self.conv1(self.relu1(self.norm1(concated_features)))

    def forward(self, input: Tensor | list[Tensor]) -> Tensor:
        prev_features = [input] if isinstance(input, Tensor) else input
        bottleneck_output = self.bn_function(prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck_output)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int,
                 growth_rate: int, drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate,
                                bn_size=bn_size, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for _, layer in self.items():  # a loop over layers: each needs all earlier outputs
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC.

    Args:
        growth_rate: channels each dense layer adds (``k`` in the paper). Default: 32.
        block_config: dense layers in each of the four blocks. Default: ``(6, 12, 24, 16)``.
        num_init_features: channels of the first convolution. Default: 64.
        bn_size: bottleneck width multiplier (``bn_size * k`` channels). Default: 4.
        drop_rate: dropout after each dense layer. Default: 0.
        num_classes: outputs of the classifier. Default: 1000.
        memory_efficient: accepted for compatibility; Ember computes the same result without
            checkpointing (see ``_DenseLayer``).

    Initialisation as torchvision: kaiming normal (fan_in) convolutions, BN weight 1 / bias 0,
    zero linear bias (linear weight keeps PyTorch's default).

    Shape:
        - Input: ``(N, 3, H, W)``, at least 29x29.
        - Output: ``(N, num_classes)``.

    Example:
        >>> model = DenseNet(growth_rate=8, block_config=(1, 1, 1, 1), num_init_features=16,
        ...                  num_classes=10).eval()
        >>> model(ember.randn(1, 3, 32, 32)).shape
        ember.Size([1, 10])
    """

    def __init__(self, growth_rate: int = 32,
                 block_config: tuple[int, int, int, int] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features,
                                bn_size=bn_size, growth_rate=growth_rate, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_input_features=num_features,
                                    num_output_features=num_features // 2)
                self.features.add_module(f"transition{i + 1}", trans)
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        # Official init from the torch repository (as torchvision)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"DenseNet: expected input of shape (N, 3, H, W), got {tuple(x.shape)}"
            )
        out = F.relu(self.features(x), inplace=True)
        out = ember.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# Old checkpoints name dense-layer children 'norm.1', 'relu.1', 'conv.1', 'norm.2'... ('.' is
# no longer allowed in module names): rename them to 'norm1', 'conv1'...
_OLD_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _rename_old_keys(state_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(state_dict.keys()):
        match = _OLD_KEY.match(key)
        if match:
            state_dict[match.group(1) + match.group(2)] = state_dict.pop(key)
    return state_dict


def _load_state_dict(model: nn.Module, weights: WeightsEnum, progress: bool) -> None:
    state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    model.load_state_dict(_rename_old_keys(state_dict))


def _densenet(growth_rate: int, block_config: tuple[int, int, int, int], num_init_features: int,
              weights: WeightsEnum | None, progress: bool, **kwargs: Any) -> DenseNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        _load_state_dict(model=model, weights=weights, progress=progress)
    return model


_COMMON_META = {
    "min_size": (29, 29),
    "categories": _IMAGENET_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/pull/116",
    "_docs": "These weights are ported from LuaTorch.",
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


class DenseNet121_Weights(WeightsEnum):
    """DenseNet-121 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("densenet121-a639ec97.pth", 7978856, 74.434, 91.972, 2.834, 30.845)
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    """DenseNet-161 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("densenet161-8d451a50.pth", 28681000, 77.138, 93.560, 7.728, 110.369)
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    """DenseNet-169 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("densenet169-b2777c0a.pth", 14149480, 75.600, 92.806, 3.36, 54.708)
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    """DenseNet-201 ImageNet-1K weights: torchvision's checkpoints and reported metrics."""
    IMAGENET1K_V1 = _entry("densenet201-c1103571.pth", 20013928, 76.896, 93.370, 4.291, 77.373)
    DEFAULT = IMAGENET1K_V1


_BUILDER_DOC = """DenseNet-{depth} (Huang et al. 2016): growth rate {k}, blocks {blocks}.

    Args:
        weights: a :class:`{enum}` member, its name as a string, or None (random init).
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`DenseNet` (``num_classes``, ``drop_rate``, ``bn_size``...).
    """


@register_model()
def densenet121(*, weights: DenseNet121_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    weights = DenseNet121_Weights.verify(weights)
    return _densenet(32, (6, 12, 24, 16), 64, weights, progress, **kwargs)


@register_model()
def densenet161(*, weights: DenseNet161_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    weights = DenseNet161_Weights.verify(weights)
    return _densenet(48, (6, 12, 36, 24), 96, weights, progress, **kwargs)


@register_model()
def densenet169(*, weights: DenseNet169_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    weights = DenseNet169_Weights.verify(weights)
    return _densenet(32, (6, 12, 32, 32), 64, weights, progress, **kwargs)


@register_model()
def densenet201(*, weights: DenseNet201_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    weights = DenseNet201_Weights.verify(weights)
    return _densenet(32, (6, 12, 48, 32), 64, weights, progress, **kwargs)


for _fn, _depth, _k, _blocks, _enum in (
    (densenet121, 121, 32, (6, 12, 24, 16), DenseNet121_Weights),
    (densenet161, 161, 48, (6, 12, 36, 24), DenseNet161_Weights),
    (densenet169, 169, 32, (6, 12, 32, 32), DenseNet169_Weights),
    (densenet201, 201, 32, (6, 12, 48, 32), DenseNet201_Weights),
):
    _fn.__doc__ = _BUILDER_DOC.format(depth=_depth, k=_k, blocks=_blocks, enum=_enum.__name__)
del _fn, _depth, _k, _blocks, _enum
