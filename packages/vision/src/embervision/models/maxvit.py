"""MaxViT (torchvision's ``models/maxvit.py``): maxvit_t.

Tu et al., "MaxViT: Multi-Axis Vision Transformer" (2022). torchvision's layout: ``stem``
(``0`` a 3x3 stride-2 ``Conv2dNormActivation`` with BatchNorm and GELU, ``1`` a 3x3 conv with
bias), ``blocks.<i>.layers.<j>.layers`` (one :class:`MaxVitLayer` each: ``MBconv``
(``proj``, ``layers``: ``pre_norm``, ``conv_a``, ``conv_b``, ``squeeze_excitation``,
``conv_c``), ``window_attention`` and ``grid_attention`` (``attn_layer``: ``0`` LayerNorm,
``1`` :class:`RelativePositionalMultiHeadAttention` (``to_qkv``, ``merge``,
``relative_position_bias_table``, ``relative_position_index`` buffer), ``2`` Dropout;
``mlp_layer``: ``0`` LayerNorm, ``1`` Linear, ``2`` GELU, ``3`` Linear, ``4`` Dropout)) and
``classifier`` (``0`` pool, ``1`` Flatten, ``2`` LayerNorm, ``3`` Linear, ``4`` Tanh, ``5``
Linear without bias).

Each layer is an MBConv followed by two attentions over ``P x P`` token groups: *block*
attention inside local ``P x P`` windows, then *grid* attention among the ``P x P`` tokens that
sit at the same place in every window (a dilated, global mixing); ``P`` is the partition size
(7), so every stage's input side must be a multiple of it and the input size is fixed at
construction (224 for the published weights).
"""

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import ember
import ember.nn.functional as F
from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification, InterpolationMode
from ._utils import _ovewrite_named_param

__all__ = ["MaxVit", "MaxVit_T_Weights", "maxvit_t"]


def _get_conv_output_shape(input_size: tuple[int, int], kernel_size: int, stride: int,
                           padding: int) -> tuple[int, int]:
    return ((input_size[0] - kernel_size + 2 * padding) // stride + 1,
            (input_size[1] - kernel_size + 2 * padding) // stride + 1)


def _make_block_input_shapes(input_size: tuple[int, int], n_blocks: int) -> list[tuple[int, int]]:
    """The feature-map size each block works at (after the stem's and its own stride 2)."""
    shapes = []
    block_input_shape = _get_conv_output_shape(input_size, 3, 2, 1)
    for _ in range(n_blocks):
        block_input_shape = _get_conv_output_shape(block_input_shape, 3, 2, 1)
        shapes.append(block_input_shape)
    return shapes


def _get_relative_position_index(height: int, width: int) -> np.ndarray:
    """``(H*W, H*W)`` index of each token pair's offset into the ``(2H-1) x (2W-1)`` table."""
    coords = np.stack(np.meshgrid(np.arange(height), np.arange(width), indexing="ij"))
    coords = coords.reshape(2, -1)
    relative = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
    return (relative[..., 0] + height - 1) * (2 * width - 1) + relative[..., 1] + width - 1


class MBConv(nn.Module):
    """Mobile inverted bottleneck with pre-BatchNorm and squeeze-excitation:
    ``proj(x) + SD(conv_c(SE(conv_b(conv_a(pre_norm(x))))))``; ``proj`` is AvgPool (stride 2)
    + 1x1 conv when the shape changes, else the identity.

    Args:
        in_channels, out_channels: channels.
        expansion_ratio: hidden width relative to ``out_channels``.
        squeeze_ratio: SE width relative to ``out_channels``.
        stride: of the depthwise convolution (1 or 2).
        activation_layer, norm_layer: for the convolutions.
        p_stochastic_dropout: stochastic depth probability.
    """

    def __init__(self, in_channels: int, out_channels: int, expansion_ratio: float,
                 squeeze_ratio: float, stride: int, activation_layer: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module], p_stochastic_dropout: float = 0.0) -> None:
        super().__init__()
        self.proj: nn.Module
        if stride != 1 or in_channels != out_channels:
            proj: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size=1,
                                               stride=1, bias=True)]
            if stride == 2:
                proj = [nn.AvgPool2d(kernel_size=3, stride=stride, padding=1)] + proj
            self.proj = nn.Sequential(*proj)
        else:
            self.proj = nn.Identity()
        mid_channels = int(out_channels * expansion_ratio)
        sqz_channels = int(out_channels * squeeze_ratio)
        self.stochastic_depth: nn.Module = (
            StochasticDepth(p_stochastic_dropout, mode="row") if p_stochastic_dropout
            else nn.Identity())
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["pre_norm"] = norm_layer(in_channels)
        layers["conv_a"] = Conv2dNormActivation(
            in_channels, mid_channels, kernel_size=1, stride=1, padding=0,
            activation_layer=activation_layer, norm_layer=norm_layer, inplace=None)
        layers["conv_b"] = Conv2dNormActivation(
            mid_channels, mid_channels, kernel_size=3, stride=stride, padding=1,
            activation_layer=activation_layer, norm_layer=norm_layer, groups=mid_channels,
            inplace=None)
        layers["squeeze_excitation"] = SqueezeExcitation(mid_channels, sqz_channels,
                                                         activation=nn.SiLU)
        layers["conv_c"] = nn.Conv2d(mid_channels, out_channels, kernel_size=1, bias=True)
        self.layers = nn.Sequential(layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x) + self.stochastic_depth(self.layers(x))


class RelativePositionalMultiHeadAttention(nn.Module):
    """Multi-head self-attention over groups of ``max_seq_len`` tokens with a learned relative
    position bias (one table entry per 2-D offset and head).

    Args:
        feat_dim: channels ``D``.
        head_dim: channels per head.
        max_seq_len: tokens per group (a square number: the partition is ``P x P``).

    Shape:
        ``(B, G, P, D)`` -> same.
    """

    def __init__(self, feat_dim: int, head_dim: int, max_seq_len: int) -> None:
        super().__init__()
        if feat_dim % head_dim != 0:
            raise ValueError(f"feat_dim: {feat_dim} must be divisible by head_dim: {head_dim}")
        self.n_heads = feat_dim // head_dim
        self.head_dim = head_dim
        self.size = int(math.sqrt(max_seq_len))
        self.max_seq_len = max_seq_len
        self.to_qkv = nn.Linear(feat_dim, self.n_heads * self.head_dim * 3)
        # torchvision scales by feat_dim ** -0.5 (not head_dim): the weights were trained so
        self.scale_factor = feat_dim ** -0.5
        self.merge = nn.Linear(self.head_dim * self.n_heads, feat_dim)
        self.relative_position_bias_table = nn.Parameter(
            ember.empty((2 * self.size - 1) * (2 * self.size - 1), self.n_heads,
                        dtype=ember.float32))
        self.register_buffer("relative_position_index", ember.tensor(
            _get_relative_position_index(self.size, self.size), dtype=ember.int64))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def get_relative_positional_bias(self) -> Tensor:
        """``(1, heads, L, L)`` bias of every token pair of a group."""
        bias = self.relative_position_bias_table[self.relative_position_index.reshape(-1)]
        bias = bias.reshape(self.max_seq_len, self.max_seq_len, -1)
        return bias.permute(2, 0, 1).contiguous().unsqueeze(0)

    def forward(self, x: Tensor) -> Tensor:
        b, g, p, d = x.shape
        h, dh = self.n_heads, self.head_dim
        q, k, v = ember.chunk(self.to_qkv(x), 3, dim=-1)
        q = q.reshape(b, g, p, h, dh).permute(0, 1, 3, 2, 4)
        k = k.reshape(b, g, p, h, dh).permute(0, 1, 3, 2, 4)
        v = v.reshape(b, g, p, h, dh).permute(0, 1, 3, 2, 4)
        k = k * self.scale_factor
        # torchvision's einsums "BGHID,BGHJD->BGHIJ" and "BGHIJ,BGHJD->BGHID" as batched GEMMs
        attn = F.softmax(q @ k.transpose(-2, -1) + self.get_relative_positional_bias(), dim=-1)
        out = (attn @ v).permute(0, 1, 3, 2, 4).reshape(b, g, p, d)
        return self.merge(out)


class SwapAxes(nn.Module):
    """``ember.swapaxes(x, a, b)`` as a module."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x: Tensor) -> Tensor:
        return ember.swapaxes(x, self.a, self.b)


class WindowPartition(nn.Module):
    """``(B, C, H, W)`` -> ``(B, H/P * W/P, P*P, C)``: the non-overlapping ``P x P`` windows."""

    def forward(self, x: Tensor, p: int) -> Tensor:
        b, c, h, w = x.shape
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(b, (h // p) * (w // p), p * p, c)


class WindowDepartition(nn.Module):
    """Inverse of :class:`WindowPartition`: ``(B, HP*WP, P*P, C)`` -> ``(B, C, HP*P, WP*P)``."""

    def forward(self, x: Tensor, p: int, h_partitions: int, w_partitions: int) -> Tensor:
        b, _, _, c = x.shape
        x = x.reshape(b, h_partitions, w_partitions, p, p, c).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(b, c, h_partitions * p, w_partitions * p)


class PartitionAttentionLayer(nn.Module):
    """Block (``partition_type="window"``) or grid (``"grid"``) attention followed by an MLP,
    both pre-norm residual branches with stochastic depth.

    Args:
        in_channels: channels.
        head_dim: channels per head.
        partition_size: ``P``; the attention groups hold ``P*P`` tokens.
        partition_type: ``"window"`` (local windows) or ``"grid"`` (a dilated grid).
        grid_size: the feature map's ``(H, W)`` (fixed at construction).
        mlp_ratio: MLP hidden width relative to ``in_channels``.
        activation_layer, norm_layer: of the MLP and the attention's pre-norm.
        attention_dropout, mlp_dropout: dropout probabilities.
        p_stochastic_dropout: stochastic depth probability.

    Shape:
        ``(B, C, H, W)`` -> same.
    """

    def __init__(self, in_channels: int, head_dim: int, partition_size: int,
                 partition_type: str, grid_size: tuple[int, int], mlp_ratio: int,
                 activation_layer: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module], attention_dropout: float,
                 mlp_dropout: float, p_stochastic_dropout: float) -> None:
        super().__init__()
        self.n_heads = in_channels // head_dim
        self.head_dim = head_dim
        self.n_partitions = grid_size[0] // partition_size
        self.partition_type = partition_type
        self.grid_size = grid_size
        if partition_type not in ["grid", "window"]:
            raise ValueError("partition_type must be either 'grid' or 'window'")
        if partition_type == "window":
            self.p, self.g = partition_size, self.n_partitions
        else:
            self.p, self.g = self.n_partitions, partition_size
        self.partition_op = WindowPartition()
        self.departition_op = WindowDepartition()
        # grid attention: after partitioning into windows of side H/P, attend across windows
        self.partition_swap = SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()
        self.departition_swap = SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()
        self.attn_layer = nn.Sequential(
            norm_layer(in_channels),
            RelativePositionalMultiHeadAttention(in_channels, head_dim, partition_size ** 2),
            nn.Dropout(attention_dropout),
        )
        self.mlp_layer = nn.Sequential(
            nn.LayerNorm(in_channels),
            nn.Linear(in_channels, in_channels * mlp_ratio),
            activation_layer(),
            nn.Linear(in_channels * mlp_ratio, in_channels),
            nn.Dropout(mlp_dropout),
        )
        self.stochastic_dropout = StochasticDepth(p_stochastic_dropout, mode="row")

    def forward(self, x: Tensor) -> Tensor:
        gh, gw = self.grid_size[0] // self.p, self.grid_size[1] // self.p
        if self.grid_size[0] % self.p != 0 or self.grid_size[1] % self.p != 0:
            raise ValueError(f"Grid size must be divisible by partition size. Got grid size of "
                             f"{self.grid_size} and partition size of {self.p}")
        x = self.partition_op(x, self.p)
        x = self.partition_swap(x)
        x = x + self.stochastic_dropout(self.attn_layer(x))
        x = x + self.stochastic_dropout(self.mlp_layer(x))
        x = self.departition_swap(x)
        return self.departition_op(x, self.p, gh, gw)


class MaxVitLayer(nn.Module):
    """MBConv, then window attention, then grid attention (keys ``layers.MBconv``,
    ``layers.window_attention``, ``layers.grid_attention``). Arguments as :class:`MBConv` and
    :class:`PartitionAttentionLayer`."""

    def __init__(self, in_channels: int, out_channels: int, squeeze_ratio: float,
                 expansion_ratio: float, stride: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], head_dim: int, mlp_ratio: int,
                 mlp_dropout: float, attention_dropout: float, p_stochastic_dropout: float,
                 partition_size: int, grid_size: tuple[int, int]) -> None:
        super().__init__()
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["MBconv"] = MBConv(in_channels, out_channels, expansion_ratio, squeeze_ratio,
                                  stride, activation_layer, norm_layer, p_stochastic_dropout)
        for kind in ("window", "grid"):
            layers[f"{kind}_attention"] = PartitionAttentionLayer(
                out_channels, head_dim, partition_size, kind, grid_size, mlp_ratio,
                activation_layer, nn.LayerNorm, attention_dropout, mlp_dropout,
                p_stochastic_dropout)
        self.layers = nn.Sequential(layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class MaxVitBlock(nn.Module):
    """``n_layers`` :class:`MaxVitLayer` (the first with stride 2) in a ``ModuleList``."""

    def __init__(self, in_channels: int, out_channels: int, squeeze_ratio: float,
                 expansion_ratio: float, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], head_dim: int, mlp_ratio: int,
                 mlp_dropout: float, attention_dropout: float, partition_size: int,
                 input_grid_size: tuple[int, int], n_layers: int,
                 p_stochastic: list[float]) -> None:
        super().__init__()
        if not len(p_stochastic) == n_layers:
            raise ValueError(f"p_stochastic must have length n_layers={n_layers}, got "
                             f"p_stochastic={p_stochastic}.")
        self.layers = nn.ModuleList()
        self.grid_size = _get_conv_output_shape(input_grid_size, kernel_size=3, stride=2,
                                                padding=1)
        for idx, p in enumerate(p_stochastic):
            self.layers.append(MaxVitLayer(
                in_channels=in_channels if idx == 0 else out_channels,
                out_channels=out_channels, squeeze_ratio=squeeze_ratio,
                expansion_ratio=expansion_ratio, stride=2 if idx == 0 else 1,
                norm_layer=norm_layer, activation_layer=activation_layer, head_dim=head_dim,
                mlp_ratio=mlp_ratio, mlp_dropout=mlp_dropout,
                attention_dropout=attention_dropout, p_stochastic_dropout=p,
                partition_size=partition_size, grid_size=self.grid_size))

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class MaxVit(nn.Module):
    """MaxViT classifier.

    Args:
        input_size: the ``(H, W)`` the model is built for; every block's input side must be
            divisible by ``partition_size``.
        stem_channels: channels of the stem.
        partition_size: ``P`` of the block/grid attention.
        block_channels, block_layers: channels and layers per block.
        head_dim: channels per attention head.
        stochastic_depth_prob: reached at the last layer (linear from 0).
        norm_layer: of the convolutions (default ``BatchNorm2d(eps=1e-3, momentum=0.99)``,
            torchvision's values).
        activation_layer: default GELU.
        squeeze_ratio, expansion_ratio: of the MBConvs.
        mlp_ratio, mlp_dropout, attention_dropout: of the attention layers.
        num_classes: output classes.

    Shape:
        ``(N, 3, *input_size)`` -> ``(N, num_classes)``.

    Example:
        >>> m = MaxVit((56, 56), 8, 7, [8, 16], [1, 1], 4, 0.0, num_classes=3)
        >>> m.eval()(ember.zeros(1, 3, 56, 56)).shape  # blocks at 14x14 and 7x7
        ember.Size([1, 3])
    """

    def __init__(
        self,
        input_size: tuple[int, int],
        stem_channels: int,
        partition_size: int,
        block_channels: list[int],
        block_layers: list[int],
        head_dim: int,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nn.Module] | None = None,
        activation_layer: Callable[..., nn.Module] = nn.GELU,
        squeeze_ratio: float = 0.25,
        expansion_ratio: float = 4,
        mlp_ratio: int = 4,
        mlp_dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        input_channels = 3
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.99)
        block_input_sizes = _make_block_input_shapes(input_size, len(block_channels))
        for idx, block_input_size in enumerate(block_input_sizes):
            if block_input_size[0] % partition_size != 0 or \
                    block_input_size[1] % partition_size != 0:
                raise ValueError(
                    f"Input size {block_input_size} of block {idx} is not divisible by "
                    f"partition size {partition_size}. Consider changing the partition size or "
                    f"the input size.\nCurrent configuration yields the following block input "
                    f"sizes: {block_input_sizes}.")
        self._input_size = tuple(input_size)
        self.stem = nn.Sequential(
            Conv2dNormActivation(input_channels, stem_channels, 3, stride=2,
                                 norm_layer=norm_layer, activation_layer=activation_layer,
                                 bias=False, inplace=None),
            Conv2dNormActivation(stem_channels, stem_channels, 3, stride=1, norm_layer=None,
                                 activation_layer=None, bias=True),
        )
        input_size = _get_conv_output_shape(input_size, kernel_size=3, stride=2, padding=1)
        self.partition_size = partition_size
        self.blocks = nn.ModuleList()
        in_channels = [stem_channels] + list(block_channels[:-1])
        p_stochastic = np.linspace(0, stochastic_depth_prob, sum(block_layers)).tolist()
        p_idx = 0
        for in_channel, out_channel, num_layers in zip(in_channels, block_channels,
                                                       block_layers):
            self.blocks.append(MaxVitBlock(
                in_channels=in_channel, out_channels=out_channel, squeeze_ratio=squeeze_ratio,
                expansion_ratio=expansion_ratio, norm_layer=norm_layer,
                activation_layer=activation_layer, head_dim=head_dim, mlp_ratio=mlp_ratio,
                mlp_dropout=mlp_dropout, attention_dropout=attention_dropout,
                partition_size=partition_size, input_grid_size=input_size,
                n_layers=num_layers, p_stochastic=p_stochastic[p_idx:p_idx + num_layers]))
            input_size = self.blocks[-1].grid_size
            p_idx += num_layers
        # Linear -> Tanh -> Linear: the pre-logits of the original implementation
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.LayerNorm(block_channels[-1]),
            nn.Linear(block_channels[-1], block_channels[-1]),
            nn.Tanh(),
            nn.Linear(block_channels[-1], num_classes, bias=False),
        )
        self._init_weights()

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or tuple(x.shape[2:]) != self._input_size:
            raise ValueError(
                f"MaxVit: built for input of shape (N, 3, {self._input_size[0]}, "
                f"{self._input_size[1]}), got {tuple(x.shape)}; resize the images (the "
                f"weights' transforms() do) or build the model with input_size="
                f"{tuple(x.shape[2:])}")
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(x)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)


def _maxvit(stem_channels: int, block_channels: list[int], block_layers: list[int],
            stochastic_depth_prob: float, partition_size: int, head_dim: int,
            weights: WeightsEnum | None = None, progress: bool = False,
            **kwargs: Any) -> MaxVit:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        _ovewrite_named_param(kwargs, "input_size", weights.meta["min_size"])
    input_size = kwargs.pop("input_size", (224, 224))
    model = MaxVit(stem_channels=stem_channels, block_channels=block_channels,
                   block_layers=block_layers, stochastic_depth_prob=stochastic_depth_prob,
                   head_dim=head_dim, partition_size=partition_size, input_size=input_size,
                   **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


class MaxVit_T_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`maxvit_t`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/maxvit_t-bc5ab103.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=224,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            "categories": _IMAGENET_CATEGORIES,
            "num_params": 30919624,
            "min_size": (224, 224),
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
                      "#maxvit",
            "_metrics": {"ImageNet-1K": {"acc@1": 83.700, "acc@5": 96.722}},
            "_ops": 5.558,
            "_file_size": 118.769,
            "_docs": "These weights reproduce closely the results of the paper using a similar "
                     "training recipe. They were trained with a BatchNorm2D momentum of 0.99 "
                     "instead of the more correct 0.01.",
        },
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def maxvit_t(*, weights: MaxVit_T_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> MaxVit:
    """MaxViT-T from `MaxViT: Multi-Axis Vision Transformer
    <https://arxiv.org/abs/2204.01697>`_ (stem 64, blocks [64, 128, 256, 512] x [2, 2, 5, 2],
    head_dim 32, partition 7).

    Args:
        weights: :class:`MaxVit_T_Weights` (or its name); None for random init. Weights fix
            ``input_size`` to their ``meta["min_size"]`` (224x224).
        progress: show a download progress bar.
        **kwargs: passed to :class:`MaxVit` (``input_size`` default (224, 224),
            ``num_classes``, ``mlp_dropout``, ``attention_dropout``, ...).
    """
    weights = MaxVit_T_Weights.verify(weights)
    return _maxvit(stem_channels=64, block_channels=[64, 128, 256, 512],
                   block_layers=[2, 2, 5, 2], head_dim=32, stochastic_depth_prob=0.2,
                   partition_size=7, weights=weights, progress=progress, **kwargs)
