"""GoogLeNet, i.e. Inception v1 (torchvision's ``models/googlenet.py``).

Szegedy et al., "Going Deeper with Convolutions" (2014), in torchvision's batch-normalised form
(weights ported from TensorFlow). torchvision's layout: ``conv1``..``conv3`` (each a
:class:`BasicConv2d`: ``conv`` without bias, ``bn`` with eps 0.001, ReLU), ``inception3a``..
``inception5b`` (:class:`Inception`: ``branch1`` 1x1, ``branch2`` 1x1 -> 3x3, ``branch3`` 1x1 ->
3x3, ``branch4`` max-pool -> 1x1), the two auxiliary classifiers ``aux1``/``aux2``
(:class:`InceptionAux`) when ``aux_logits``, and ``fc``.

As in torchvision, ``branch3`` uses a 3x3 convolution where the paper has 5x5
(pytorch/vision#906): the published weights were trained that way.
"""

import warnings
from collections import namedtuple
from collections.abc import Callable
from functools import partial
from typing import Any

import ember
import ember.nn.functional as F
from ember import Tensor, nn

from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _inception_with_weights

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "_GoogLeNetOutputs", "GoogLeNet_Weights", "googlenet"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = """What :class:`GoogLeNet` returns in training mode with auxiliary
heads: the main ``logits`` and those of ``aux2`` and ``aux1`` (torchvision's field order)."""
_GoogLeNetOutputs = GoogLeNetOutputs  # torchvision's backwards-compatible alias


def _transform_input(x: Tensor) -> Tensor:
    """Map inputs normalised with ImageNet's mean/std to the [-1, 1] scaling the ported
    TensorFlow weights expect: ``x * std / 0.5 + (mean - 0.5) / 0.5`` per channel."""
    x_ch0 = ember.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
    x_ch1 = ember.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
    x_ch2 = ember.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
    return ember.cat((x_ch0, x_ch1, x_ch2), 1)


class BasicConv2d(nn.Module):
    """Convolution (no bias), ``BatchNorm2d(eps=0.001)``, ReLU.

    Args:
        in_channels, out_channels: channel counts.
        **kwargs: passed to ``nn.Conv2d`` (``kernel_size``, ``stride``, ``padding``).
    """

    def __init__(self, in_channels: int, out_channels: int, **kwargs: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        # eps 0.001: TensorFlow's batch-norm default, which the ported weights were trained with
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four parallel branches concatenated along channels:
    ``ch1x1 + ch3x3 + ch5x5 + pool_proj`` output channels.

    Args:
        in_channels: input channels.
        ch1x1: 1x1 branch width.
        ch3x3red, ch3x3: reduction and output widths of the 3x3 branch.
        ch5x5red, ch5x5: reduction and output widths of the "5x5" branch (a 3x3, see above).
        pool_proj: width of the 1x1 projection after the 3x3 max-pool.
        conv_block: convolution block constructor. Default: :class:`BasicConv2d`.
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            conv_block(in_channels, ch3x3red, kernel_size=1),
            conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            conv_block(in_channels, ch5x5red, kernel_size=1),
            # kernel_size=3 instead of 5: torchvision's known, kept, bug (pytorch/vision#906)
            conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            conv_block(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return ember.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: adaptive average pool to 4x4, 1x1 conv to 128 channels,
    ``fc1`` (2048 -> 1024) + ReLU, dropout, ``fc2``.

    Args:
        in_channels: input channels (512 for ``aux1``, 528 for ``aux2``).
        num_classes: outputs.
        conv_block: default :class:`BasicConv2d`.
        dropout: before ``fc2``. Default: 0.7.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 conv_block: Callable[..., nn.Module] | None = None,
                 dropout: float = 0.7) -> None:
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))  # N x 128 x 4 x 4
        x = F.relu(self.fc1(ember.flatten(x, 1)), inplace=True)
        return self.fc2(self.dropout(x))


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) classifier.

    Args:
        num_classes: outputs. Default: 1000.
        aux_logits: build the two auxiliary classifiers ``aux1``/``aux2``. Default: True.
        transform_input: rescale ImageNet-normalised input to the [-1, 1] range the ported
            weights expect (see :func:`_transform_input`). Default: False.
        init_weights: torchvision's initialisation (weights from ``N(0, 0.01)`` truncated at
            +-2, norm layers to 1/0). None means True. Deliberate difference: torchvision also
            warns (FutureWarning) when this is None, about a planned change and SciPy's slow
            sampler; neither applies here, so Ember does not warn.
        blocks: ``[conv_block, inception_block, inception_aux_block]`` constructors.
        dropout: before ``fc``. Default: 0.2.
        dropout_aux: in the auxiliary classifiers. Default: 0.7.

    Returns:
        In training mode with ``aux_logits``: ``GoogLeNetOutputs(logits, aux_logits2,
        aux_logits1)``; otherwise the logits tensor ``(N, num_classes)``.

    Shape:
        ``(N, 3, H, W)`` with ``H, W >= 15`` -> ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False, init_weights: bool | None = None,
                 blocks: list[Callable[..., nn.Module]] | None = None, dropout: float = 0.2,
                 dropout_aux: float = 0.7) -> None:
        super().__init__()
        if blocks is None:
            blocks = [BasicConv2d, Inception, InceptionAux]
        if init_weights is None:
            init_weights = True
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, inception_aux_block = blocks

        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = inception_block(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception_block(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = inception_block(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception_block(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception_block(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception_block(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception_block(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = inception_block(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception_block(832, 384, 192, 384, 48, 128, 128)

        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    # a=-2, b=2 are absolute bounds (20 standard deviations): torchvision's values
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x: Tensor) -> Tensor:
        return _transform_input(x) if self.transform_input else x

    def _forward(self, x: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None]:
        x = self.maxpool1(self.conv1(x))            # N x 64 x 56 x 56 (224 input)
        x = self.maxpool2(self.conv3(self.conv2(x)))  # N x 192 x 28 x 28
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # N x 480 x 14 x 14
        x = self.inception4a(x)                     # N x 512 x 14 x 14
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # N x 528 x 14 x 14
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))      # N x 832 x 7 x 7
        x = self.inception5b(self.inception5a(x))   # N x 1024 x 7 x 7
        x = ember.flatten(self.avgpool(x), 1)
        return self.fc(self.dropout(x)), aux2, aux1

    def eager_outputs(self, x: Tensor, aux2: Tensor | None,
                      aux1: Tensor | None) -> "GoogLeNetOutputs | Tensor":
        """The namedtuple in training mode with auxiliary heads, else the logits alone."""
        if self.training and self.aux_logits:
            return _GoogLeNetOutputs(x, aux2, aux1)
        return x

    def forward(self, x: Tensor) -> "GoogLeNetOutputs | Tensor":
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"GoogLeNet: expected input of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = self._transform_input(x)
        x, aux2, aux1 = self._forward(x)
        return self.eager_outputs(x, aux2, aux1)


class GoogLeNet_Weights(WeightsEnum):
    """torchvision's ImageNet-1K checkpoint for :func:`googlenet` (ported from TensorFlow)."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/googlenet-1378be20.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            "num_params": 6624904,
            "min_size": (15, 15),
            "categories": _IMAGENET_CATEGORIES,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
                      "#googlenet",
            "_metrics": {"ImageNet-1K": {"acc@1": 69.778, "acc@5": 89.530}},
            "_ops": 1.498,
            "_file_size": 49.731,
            "_docs": "These weights are ported from the original paper.",
        },
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def googlenet(*, weights: GoogLeNet_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> GoogLeNet:
    """GoogLeNet (Inception v1) from `Going Deeper with Convolutions
    <http://arxiv.org/abs/1409.4842>`_.

    With weights, as torchvision: ``transform_input`` defaults to True, the model is built with
    the auxiliary heads (the checkpoint holds them) and without initialisation, and the heads
    are dropped after loading unless ``aux_logits=True`` was asked for (they are not trained).

    Args:
        weights: :class:`GoogLeNet_Weights` (or its name); None for random initialisation.
        progress: show a download progress bar on stderr.
        **kwargs: passed to :class:`GoogLeNet`.

    Raises:
        ValueError: ``aux_logits=False``, ``init_weights=True`` or another ``num_classes``
            together with weights (torchvision's check).

    Example:
        >>> googlenet(num_classes=10, aux_logits=False).eval()(ember.zeros(1, 3, 64, 64)).shape
        ember.Size([1, 10])
    """
    weights = GoogLeNet_Weights.verify(weights)
    model, wants_aux = _inception_with_weights(GoogLeNet, weights, progress, kwargs,
                                               ("aux1", "aux2"), aux_default=False)
    if weights is not None and wants_aux:
        warnings.warn("auxiliary heads in the pretrained googlenet model are NOT pretrained, "
                      "so make sure to train them", stacklevel=2)
    return model
