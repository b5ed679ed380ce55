"""Vision Transformer (torchvision's ``models/vision_transformer.py``): ViT-B/16, B/32, L/16,
L/32 and H/14.

Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at
Scale" (2020). torchvision's layout: ``class_token`` ``(1, 1, D)``, ``conv_proj`` (the patch
embedding: a ``patch_size`` x ``patch_size`` stride-``patch_size`` convolution),
``encoder.pos_embedding`` ``(1, S, D)``, ``encoder.layers.encoder_layer_<i>`` (``ln_1``,
``self_attention`` (``nn.MultiheadAttention``, batch first: ``in_proj_weight``,
``in_proj_bias``, ``out_proj``), ``ln_2``, ``mlp`` (``MLP``: ``0`` Linear, ``1`` GELU,
``2`` Dropout, ``3`` Linear, ``4`` Dropout)), ``encoder.ln`` and ``heads.head``. Pre-norm
blocks; the class token's final state is classified.
"""

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import ember
from ember import Tensor, nn

from ..ops.misc import MLP, Conv2dNormActivation
from ._api import Weights, WeightsEnum, register_model
from ._meta import _IMAGENET_CATEGORIES
from ._presets import ImageClassification, InterpolationMode
from ._utils import _ovewrite_named_param

__all__ = [
    "VisionTransformer",
    "ViT_B_16_Weights",
    "ViT_B_32_Weights",
    "ViT_H_14_Weights",
    "ViT_L_16_Weights",
    "ViT_L_32_Weights",
    "vit_b_16",
    "vit_b_32",
    "vit_h_14",
    "vit_l_16",
    "vit_l_32",
]


# torchvision's default norm layer (a module-level default argument)
_LAYER_NORM = partial(nn.LayerNorm, eps=1e-6)


class ConvStemConfig(NamedTuple):
    """One layer of an optional convolutional stem (Xiao et al., 2021) replacing the patchify
    convolution."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class MLPBlock(MLP):
    """The transformer's MLP: Linear -> GELU -> Dropout -> Linear -> Dropout (keys ``0.*`` and
    ``3.*``). Xavier-uniform weights and N(0, 1e-6) biases, as torchvision."""

    # Version 2 is the MLP layout; older torchvision checkpoints named the two Linear layers
    # linear_1 / linear_2 (renamed on load below, as torchvision does).
    _version = 2

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for i in range(2):
                for kind in ("weight", "bias"):
                    old_key = f"{prefix}linear_{i + 1}.{kind}"
                    new_key = f"{prefix}{3 * i}.{kind}"
                    if old_key in state_dict:
                        state_dict[new_key] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: ``x + Drop(MHA(LN(x)))``, then ``+ MLP(LN(.))``."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise ValueError(
                f"EncoderBlock: expected (batch_size, seq_length, hidden_dim) got "
                f"{tuple(input.shape)}"
            )
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input
        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    """Learned positional embedding, dropout, the blocks, a final LayerNorm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = _LAYER_NORM):
        super().__init__()
        # batch first (the attention layers are batch_first); N(0, 0.02) as BERT
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                        attention_dropout, norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise ValueError(
                f"Encoder: expected (batch_size, seq_length, hidden_dim) got {tuple(input.shape)}"
            )
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    """Vision Transformer classifier.

    Args:
        image_size: the (square) input side the model is built for.
        patch_size: side of the square patches (must divide ``image_size``).
        num_layers, num_heads, hidden_dim, mlp_dim: transformer size.
        dropout, attention_dropout: dropout probabilities.
        num_classes: output classes.
        representation_size: adds a Linear + Tanh "pre-logits" layer of this width.
        norm_layer: default ``LayerNorm(eps=1e-6)``.
        conv_stem_configs: replace the patchify convolution by a convolutional stem.

    Shape:
        ``(N, 3, image_size, image_size)`` -> ``(N, num_classes)``.

    Example:
        >>> vit = VisionTransformer(image_size=32, patch_size=16, num_layers=1, num_heads=2,
        ...                         hidden_dim=8, mlp_dim=16)
        >>> vit.eval()(ember.zeros(2, 3, 32, 32)).shape
        ember.Size([2, 1000])
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
        representation_size: int | None = None,
        norm_layer: Callable[..., nn.Module] = _LAYER_NORM,
        conv_stem_configs: list[ConvStemConfig] | None = None,
    ):
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError(
                f"VisionTransformer: image_size {image_size} is not divisible by patch_size "
                f"{patch_size} (Input shape indivisible by patch size!)"
            )
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            # As per https://arxiv.org/abs/2106.14881
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, cfg in enumerate(conv_stem_configs):
                seq_proj.add_module(
                    f"conv_bn_relu_{i}",
                    Conv2dNormActivation(in_channels=prev_channels,
                                         out_channels=cfg.out_channels,
                                         kernel_size=cfg.kernel_size, stride=cfg.stride,
                                         norm_layer=cfg.norm_layer,
                                         activation_layer=cfg.activation_layer),
                )
                prev_channels = cfg.out_channels
            seq_proj.add_module("conv_last", nn.Conv2d(in_channels=prev_channels,
                                                       out_channels=hidden_dim, kernel_size=1))
            self.conv_proj: nn.Module = seq_proj
        else:
            self.conv_proj = nn.Conv2d(in_channels=3, out_channels=hidden_dim,
                                       kernel_size=patch_size, stride=patch_size)

        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length

        heads_layers: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)

        if isinstance(self.conv_proj, nn.Conv2d):
            # the patchify stem: truncated normal with std 1/sqrt(fan_in)
            fan_in = (self.conv_proj.in_channels * self.conv_proj.kernel_size[0]
                      * self.conv_proj.kernel_size[1])
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        elif isinstance(getattr(self.conv_proj, "conv_last", None), nn.Conv2d):
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            if last.bias is not None:
                nn.init.zeros_(last.bias)
        if hasattr(self.heads, "pre_logits") and isinstance(self.heads.pre_logits, nn.Linear):
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        if isinstance(self.heads.head, nn.Linear):
            nn.init.zeros_(self.heads.head.weight)
            nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or x.shape[2] != self.image_size \
                or x.shape[3] != self.image_size:
            raise ValueError(
                f"VisionTransformer(image_size={self.image_size}, patch_size={self.patch_size}): "
                f"expected input of shape (N, 3, {self.image_size}, {self.image_size}), got "
                f"{tuple(x.shape)}; resize the images (e.g. with the weights' transforms()) or "
                f"build the model with image_size={x.shape[-1]}"
            )
        n, _, h, w = x.shape
        p = self.patch_size
        n_h, n_w = h // p, w // p
        x = self.conv_proj(x)  # (n, hidden_dim, n_h, n_w)
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        # (n, hidden_dim, S) -> (n, S, hidden_dim): the attention layers are batch first
        return x.permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        n = x.shape[0]
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = ember.cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        x = x[:, 0]  # the class token's final state, as BERT's [CLS]
        return self.heads(x)


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                        mlp_dim: int, weights: WeightsEnum | None, progress: bool,
                        **kwargs: Any) -> VisionTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        # the checkpoint's positional embedding fixes the image size
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size,
                              num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                              mlp_dim=mlp_dim, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META: dict[str, Any] = {"categories": _IMAGENET_CATEGORIES}
_COMMON_SWAG_META = {
    **_COMMON_META,
    "recipe": "https://github.com/facebookresearch/SWAG",
    "license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
}


class ViT_B_16_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`vit_b_16`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_16-c867db91.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 86567656,
            "min_size": (224, 224),
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
                      "#vit_b_16",
            "_metrics": {"ImageNet-1K": {"acc@1": 81.072, "acc@5": 95.318}},
            "_ops": 17.564,
            "_file_size": 330.285,
            "_docs": "These weights were trained from scratch by using a modified version of "
                     "DeIT's (https://arxiv.org/abs/2012.12877) training recipe.",
        },
    )
    IMAGENET1K_SWAG_E2E_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_16_swag-9ac1b537.pth",
        transforms=partial(ImageClassification, crop_size=384, resize_size=384,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_SWAG_META,
            "num_params": 86859496,
            "min_size": (384, 384),
            "_metrics": {"ImageNet-1K": {"acc@1": 85.304, "acc@5": 97.650}},
            "_ops": 55.484,
            "_file_size": 331.398,
            "_docs": "These weights are learnt via transfer learning by end-to-end fine-tuning "
                     "the original SWAG (https://arxiv.org/abs/2201.08371) weights on "
                     "ImageNet-1K data.",
        },
    )
    IMAGENET1K_SWAG_LINEAR_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_16_lc_swag-4e70ced5.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=224,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_SWAG_META,
            "recipe": "https://github.com/pytorch/vision/pull/5793",
            "num_params": 86567656,
            "min_size": (224, 224),
            "_metrics": {"ImageNet-1K": {"acc@1": 81.886, "acc@5": 96.180}},
            "_ops": 17.564,
            "_file_size": 330.285,
            "_docs": "These weights are composed of the original frozen SWAG "
                     "(https://arxiv.org/abs/2201.08371) trunk weights and a linear classifier "
                     "learnt on top of them trained on ImageNet-1K data.",
        },
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def vit_b_16(*, weights: ViT_B_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/16 from `An Image is Worth 16x16 Words: Transformers for Image Recognition at
    Scale <https://arxiv.org/abs/2010.11929>`_ (12 layers, 12 heads, width 768, MLP 3072).

    Args:
        weights: :class:`ViT_B_16_Weights` (or its name); None for random init. The SWAG
            end-to-end weights build the model for 384x384 inputs.
        progress: show a download progress bar.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224,
            ``num_classes``, ``dropout``, ``attention_dropout``, ...).
    """
    weights = ViT_B_16_Weights.verify(weights)
    return _vision_transformer(patch_size=16, num_layers=12, num_heads=12, hidden_dim=768,
                               mlp_dim=3072, weights=weights, progress=progress, **kwargs)


_DEIT_DOCS = ("These weights were trained from scratch by using a modified version of DeIT's "
              "(https://arxiv.org/abs/2012.12877) training recipe.")
_SWAG_E2E_DOCS = ("These weights are learnt via transfer learning by end-to-end fine-tuning the "
                  "original SWAG (https://arxiv.org/abs/2201.08371) weights on ImageNet-1K data.")
_SWAG_LINEAR_DOCS = ("These weights are composed of the original frozen SWAG "
                     "(https://arxiv.org/abs/2201.08371) trunk weights and a linear classifier "
                     "learnt on top of them trained on ImageNet-1K data.")


def _recipe(arch: str) -> str:
    return f"https://github.com/pytorch/vision/tree/main/references/classification#{arch}"


class ViT_B_32_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`vit_b_32`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_32-d86f8d99.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 88224232,
            "min_size": (224, 224),
            "recipe": _recipe("vit_b_32"),
            "_metrics": {"ImageNet-1K": {"acc@1": 75.912, "acc@5": 92.466}},
            "_ops": 4.409,
            "_file_size": 336.604,
            "_docs": _DEIT_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`vit_l_16`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_16-852ce7e3.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=242),
        meta={
            **_COMMON_META,
            "num_params": 304326632,
            "min_size": (224, 224),
            "recipe": _recipe("vit_l_16"),
            "_metrics": {"ImageNet-1K": {"acc@1": 79.662, "acc@5": 94.638}},
            "_ops": 61.555,
            "_file_size": 1161.023,
            "_docs": "These weights were trained from scratch by using a modified version of "
                     "TorchVision's new training recipe (https://pytorch.org/blog/how-to-train-"
                     "state-of-the-art-models-using-torchvision-latest-primitives/).",
        },
    )
    IMAGENET1K_SWAG_E2E_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_16_swag-4f3808c9.pth",
        transforms=partial(ImageClassification, crop_size=512, resize_size=512,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_SWAG_META,
            "num_params": 305174504,
            "min_size": (512, 512),
            "_metrics": {"ImageNet-1K": {"acc@1": 88.064, "acc@5": 98.512}},
            "_ops": 361.986,
            "_file_size": 1164.258,
            "_docs": _SWAG_E2E_DOCS,
        },
    )
    IMAGENET1K_SWAG_LINEAR_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_16_lc_swag-4d563306.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=224,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_SWAG_META,
            "recipe": "https://github.com/pytorch/vision/pull/5793",
            "num_params": 304326632,
            "min_size": (224, 224),
            "_metrics": {"ImageNet-1K": {"acc@1": 85.146, "acc@5": 97.422}},
            "_ops": 61.555,
            "_file_size": 1161.023,
            "_docs": _SWAG_LINEAR_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoint for :func:`vit_l_32`."""

    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_32-c7638314.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 306535400,
            "min_size": (224, 224),
            "recipe": _recipe("vit_l_32"),
            "_metrics": {"ImageNet-1K": {"acc@1": 76.972, "acc@5": 93.07}},
            "_ops": 15.378,
            "_file_size": 1169.449,
            "_docs": _DEIT_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    """torchvision's published ImageNet-1K checkpoints for :func:`vit_h_14` (SWAG only: there
    is no from-scratch ImageNet-1K training; the default is the 518x518 end-to-end model)."""

    IMAGENET1K_SWAG_E2E_V1 = Weights(
        url="https://download.pytorch.org/models/vit_h_14_swag-80465313.pth",
        transforms=partial(ImageClassification, crop_size=518, resize_size=518,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_SWAG_META,
            "num_params": 633470440,
            "min_size": (518, 518),
            "_metrics": {"ImageNet-1K": {"acc@1": 88.552, "acc@5": 98.694}},
            "_ops": 1016.717,
            "_file_size": 2416.643,
            "_docs": _SWAG_E2E_DOCS,
        },
    )
    IMAGENET1K_SWAG_LINEAR_V1 = Weights(
        url="https://download.pytorch.org/models/vit_h_14_lc_swag-c1eb923e.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=224,
                           interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_SWAG_META,
            "recipe": "https://github.com/pytorch/vision/pull/5793",
            "num_params": 632045800,
            "min_size": (224, 224),
            "_metrics": {"ImageNet-1K": {"acc@1": 85.708, "acc@5": 97.730}},
            "_ops": 167.295,
            "_file_size": 2411.209,
            "_docs": _SWAG_LINEAR_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


_BUILDER_DOC = """ViT-{name} from `An Image is Worth 16x16 Words: Transformers for Image
    Recognition at Scale <https://arxiv.org/abs/2010.11929>`_ ({layers} layers, {heads} heads,
    width {width}, MLP {mlp}, {patch}x{patch} patches).

    Args:
        weights: :class:`ViT_{enum}_Weights` (or its name); None for random init. Weights fix
            ``image_size`` to their ``meta["min_size"]`` (the positional embedding's length).
        progress: show a download progress bar.
        **kwargs: passed to :class:`VisionTransformer` (``image_size`` default 224,
            ``num_classes``, ``dropout``, ``attention_dropout``, ...).
    """


@register_model()
def vit_b_32(*, weights: ViT_B_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    weights = ViT_B_32_Weights.verify(weights)
    return _vision_transformer(patch_size=32, num_layers=12, num_heads=12, hidden_dim=768,
                               mlp_dim=3072, weights=weights, progress=progress, **kwargs)


@register_model()
def vit_l_16(*, weights: ViT_L_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    weights = ViT_L_16_Weights.verify(weights)
    return _vision_transformer(patch_size=16, num_layers=24, num_heads=16, hidden_dim=1024,
                               mlp_dim=4096, weights=weights, progress=progress, **kwargs)


@register_model()
def vit_l_32(*, weights: ViT_L_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    weights = ViT_L_32_Weights.verify(weights)
    return _vision_transformer(patch_size=32, num_layers=24, num_heads=16, hidden_dim=1024,
                               mlp_dim=4096, weights=weights, progress=progress, **kwargs)


@register_model()
def vit_h_14(*, weights: ViT_H_14_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    weights = ViT_H_14_Weights.verify(weights)
    return _vision_transformer(patch_size=14, num_layers=32, num_heads=16, hidden_dim=1280,
                               mlp_dim=5120, weights=weights, progress=progress, **kwargs)


# one docstring template: the builders differ only in these numbers
for _fn, _dims in ((vit_b_32, (12, 12, 768, 3072, 32)), (vit_l_16, (24, 16, 1024, 4096, 16)),
                   (vit_l_32, (24, 16, 1024, 4096, 32)), (vit_h_14, (32, 16, 1280, 5120, 14))):
    _enum = _fn.__name__[len("vit_"):].upper()
    _fn.__doc__ = _BUILDER_DOC.format(name=_enum[0] + "/" + _enum[2:], enum=_enum,
                                      layers=_dims[0], heads=_dims[1], width=_dims[2],
                                      mlp=_dims[3], patch=_dims[4])
del _fn, _dims, _enum
