"""Swin Transformer V1 and V2 (torchvision's ``models/swin_transformer.py``): swin_t/s/b and
swin_v2_t/s/b.

torchvision's layout: ``features`` (``0`` the patch embedding: ``0`` a 4x4 stride-4 Conv2d,
``1`` Permute to channels-last, ``2`` LayerNorm; then alternately one ``Sequential`` of
:class:`SwinTransformerBlock` per stage (``norm1``, ``attn`` (``qkv``, ``proj``,
``relative_position_bias_table`` + ``relative_position_index`` buffer, or for V2
``logit_scale``, ``cpb_mlp``, ``relative_coords_table`` + index buffers), ``norm2``, ``mlp``
(``0``/``3`` Linear)) and a :class:`PatchMerging` (``reduction``, ``norm``)), ``norm``,
``permute``, ``avgpool``, ``flatten``, ``head``. Blocks alternate unshifted and shifted windows
(shift = window // 2); stochastic depth grows linearly from 0 over the blocks. The blocks
themselves live in ``_swin_layers.py`` and are re-exported here, as torchvision exposes them.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from ember import Tensor, nn

from ..ops.misc import Permute
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification, InterpolationMode
from ._swin_layers import (
    PatchMerging,
    PatchMergingV2,
    ShiftedWindowAttention,
    ShiftedWindowAttentionV2,
    SwinTransformerBlock,
    SwinTransformerBlockV2,
    shifted_window_attention,
)
from ._utils import _ovewrite_named_param

__all__ = [
    "SwinTransformer",
    "Swin_T_Weights",
    "Swin_S_Weights",
    "Swin_B_Weights",
    "Swin_V2_T_Weights",
    "Swin_V2_S_Weights",
    "Swin_V2_B_Weights",
    "swin_t",
    "swin_s",
    "swin_b",
    "swin_v2_t",
    "swin_v2_s",
    "swin_v2_b",
]

# the building blocks are public in torchvision's module (not in models' namespace)
_BLOCKS = (PatchMerging, PatchMergingV2, ShiftedWindowAttention, ShiftedWindowAttentionV2,
           SwinTransformerBlock, SwinTransformerBlockV2, shifted_window_attention)


class SwinTransformer(nn.Module):
    """Swin Transformer classifier (V1 by default; V2 with ``block=SwinTransformerBlockV2,
    downsample_layer=PatchMergingV2``).

    Args:
        patch_size: ``[ph, pw]`` of the patch embedding.
        embed_dim: channels of the first stage (doubled at every stage).
        depths: blocks per stage.
        num_heads: attention heads per stage.
        window_size: ``[Wh, Ww]`` of the attention windows.
        mlp_ratio: MLP hidden width relative to the channels.
        dropout, attention_dropout: dropout probabilities.
        stochastic_depth_prob: drop probability reached at the last block (linear from 0).
        num_classes: output classes.
        norm_layer: default ``LayerNorm(eps=1e-5)``.
        block: default :class:`SwinTransformerBlock`.
        downsample_layer: default :class:`PatchMerging`.

    Shape:
        ``(N, 3, H, W)`` -> ``(N, num_classes)`` (any ``H``, ``W``: windows are padded).

    Example:
        >>> m = SwinTransformer([4, 4], 8, [2, 2], [1, 2], [4, 4], num_classes=5)
        >>> m.eval()(ember.zeros(1, 3, 32, 32)).shape
        ember.Size([1, 5])
    """

    def __init__(
        self,
        patch_size: list[int],
        embed_dim: int,
        depths: list[int],
        num_heads: list[int],
        window_size: list[int],
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        stochastic_depth_prob: float = 0.1,
        num_classes: int = 1000,
        norm_layer: Callable[..., nn.Module] | None = None,
        block: Callable[..., nn.Module] | None = None,
        downsample_layer: Callable[..., nn.Module] = PatchMerging,
    ):
        super().__init__()
        if len(depths) != len(num_heads):
            raise ValueError(f"SwinTransformer: depths {list(depths)} and num_heads "
                             f"{list(num_heads)} must have one entry per stage")
        for i, heads in enumerate(num_heads):
            if (embed_dim * 2 ** i) % heads != 0:
                raise ValueError(f"SwinTransformer: stage {i} has {embed_dim * 2 ** i} channels, "
                                 f"not divisible by num_heads[{i}]={heads}")
        self.num_classes = num_classes
        if block is None:
            block = SwinTransformerBlock
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)

        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]),
                      stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]),
            norm_layer(embed_dim),
        )]
        total_stage_blocks = sum(depths)
        stage_block_id = 0
        for i_stage, depth in enumerate(depths):
            stage: list[nn.Module] = []
            dim = embed_dim * 2 ** i_stage
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(stage_block_id) / (total_stage_blocks - 1)
                stage.append(block(
                    dim, num_heads[i_stage], window_size=window_size,
                    shift_size=[0 if i_layer % 2 == 0 else w // 2 for w in window_size],
                    mlp_ratio=mlp_ratio, dropout=dropout, attention_dropout=attention_dropout,
                    stochastic_depth_prob=sd_prob, norm_layer=norm_layer,
                ))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)

        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])  # B H W C -> B C H W
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"SwinTransformer: expected input of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = self.features(x)
        x = self.norm(x)
        x = self.permute(x)
        x = self.avgpool(x)
        x = self.flatten(x)
        return self.head(x)


def _swin_transformer(patch_size: list[int], embed_dim: int, depths: list[int],
                      num_heads: list[int], window_size: list[int], stochastic_depth_prob: float,
                      weights: WeightsEnum | None, progress: bool,
                      **kwargs: Any) -> SwinTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = SwinTransformer(patch_size=patch_size, embed_dim=embed_dim, depths=depths,
                            num_heads=num_heads, window_size=window_size,
                            stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#swintransformer"
_DOCS = "These weights reproduce closely the results of the paper using a similar training recipe."


def _entry(file: str, crop: int, resize: int, num_params: int, acc1: float, acc5: float,
           ops: float, file_size: float, v2: bool) -> Weights:
    # every Swin checkpoint is evaluated with a bicubic resize and a centre crop
    return Weights(
        url=_URL + file,
        transforms=partial(ImageClassification, crop_size=crop, resize_size=resize,
                           interpolation=InterpolationMode.BICUBIC),
        meta={"categories": _IMAGENET_CATEGORIES, "num_params": num_params,
              "min_size": (crop, crop), "recipe": _RECIPE + ("-v2" if v2 else ""),
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": file_size, "_docs": _DOCS},
    )


class Swin_T_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`swin_t`."""

    IMAGENET1K_V1 = _entry("swin_t-704ceda3.pth", 224, 232, 28288354, 81.474, 95.776, 4.491,
                           108.19, v2=False)
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`swin_s`."""

    IMAGENET1K_V1 = _entry("swin_s-5e29d889.pth", 224, 246, 49606258, 83.196, 96.360, 8.741,
                           189.786, v2=False)
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`swin_b`."""

    IMAGENET1K_V1 = _entry("swin_b-68c6b09e.pth", 224, 238, 87768224, 83.582, 96.640, 15.431,
                           335.364, v2=False)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`swin_v2_t` (256x256)."""

    IMAGENET1K_V1 = _entry("swin_v2_t-b137f0e2.pth", 256, 260, 28351570, 82.072, 96.132, 5.94,
                           108.626, v2=True)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`swin_v2_s` (256x256)."""

    IMAGENET1K_V1 = _entry("swin_v2_s-637d8ceb.pth", 256, 260, 49737442, 83.712, 96.816,
                           11.546, 190.675, v2=True)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`swin_v2_b` (256x256)."""

    IMAGENET1K_V1 = _entry("swin_v2_b-781e5279.pth", 256, 272, 87930848, 84.112, 96.864,
                           20.325, 336.372, v2=True)
    DEFAULT = IMAGENET1K_V1


_V2 = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2}


@register_model()
def swin_t(*, weights: Swin_T_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    weights = Swin_T_Weights.verify(weights)
    return _swin_transformer([4, 4], 96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2, weights,
                             progress, **kwargs)


@register_model()
def swin_s(*, weights: Swin_S_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    weights = Swin_S_Weights.verify(weights)
    return _swin_transformer([4, 4], 96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3, weights,
                             progress, **kwargs)


@register_model()
def swin_b(*, weights: Swin_B_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    weights = Swin_B_Weights.verify(weights)
    return _swin_transformer([4, 4], 128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5, weights,
                             progress, **kwargs)


@register_model()
def swin_v2_t(*, weights: Swin_V2_T_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    weights = Swin_V2_T_Weights.verify(weights)
    return _swin_transformer([4, 4], 96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2, weights,
                             progress, **_V2, **kwargs)


@register_model()
def swin_v2_s(*, weights: Swin_V2_S_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    weights = Swin_V2_S_Weights.verify(weights)
    return _swin_transformer([4, 4], 96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3, weights,
                             progress, **_V2, **kwargs)


@register_model()
def swin_v2_b(*, weights: Swin_V2_B_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    weights = Swin_V2_B_Weights.verify(weights)
    return _swin_transformer([4, 4], 128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5, weights,
                             progress, **_V2, **kwargs)


_BUILDER_DOC = """Swin Transformer{v2} {size} from `{title} <{paper}>`_ (embed_dim {dim},
    depths {depths}, heads {heads}, window {window}x{window}).

    Args:
        weights: :class:`{enum}` (or its name); None for random init.
        progress: show a download progress bar.
        **kwargs: passed to :class:`SwinTransformer` (``num_classes``, ``dropout``,
            ``attention_dropout``, ``stochastic_depth_prob`` default {sd}, ...).
    """
_V1_PAPER = ("Swin Transformer: Hierarchical Vision Transformer using Shifted Windows",
             "https://arxiv.org/abs/2103.14030")
_V2_PAPER = ("Swin Transformer V2: Scaling Up Capacity and Resolution",
             "https://arxiv.org/abs/2111.09883")

for _fn, _size, _dim, _depths, _heads, _sd in (
    (swin_t, "T", 96, [2, 2, 6, 2], [3, 6, 12, 24], 0.2),
    (swin_s, "S", 96, [2, 2, 18, 2], [3, 6, 12, 24], 0.3),
    (swin_b, "B", 128, [2, 2, 18, 2], [4, 8, 16, 32], 0.5),
    (swin_v2_t, "T", 96, [2, 2, 6, 2], [3, 6, 12, 24], 0.2),
    (swin_v2_s, "S", 96, [2, 2, 18, 2], [3, 6, 12, 24], 0.3),
    (swin_v2_b, "B", 128, [2, 2, 18, 2], [4, 8, 16, 32], 0.5),
):
    _is_v2 = "_v2_" in _fn.__name__
    _title, _paper = _V2_PAPER if _is_v2 else _V1_PAPER
    _fn.__doc__ = _BUILDER_DOC.format(
        v2=" V2" if _is_v2 else "", size=_size, title=_title, paper=_paper, dim=_dim,
        depths=_depths, heads=_heads, window=8 if _is_v2 else 7, sd=_sd,
        enum=f"Swin{'_V2' if _is_v2 else ''}_{_size}_Weights")
del _fn, _size, _dim, _depths, _heads, _sd, _is_v2, _title, _paper
