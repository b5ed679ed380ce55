"""Swin Transformer building blocks (torchvision's ``models/swin_transformer.py``, first half).

Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows" (2021)
and "Swin Transformer V2: Scaling Up Capacity and Resolution" (2022). Feature maps are kept
channels-last, ``(B, H, W, C)``, between the blocks, as torchvision does.

* :func:`shifted_window_attention`: self-attention inside non-overlapping ``window_size``
  windows; every other block first rolls the map by ``shift_size`` so that windows straddle the
  previous block's window borders, and masks the pairs of tokens that the roll brought together
  from opposite edges of the image (``-100`` before the softmax, as the paper's code).
* V1 adds a learned relative position bias: a table of ``(2*Wh-1)*(2*Ww-1)`` offsets per head,
  indexed by the ``relative_position_index`` buffer.
* V2 replaces dot-product attention by cosine attention scaled by ``exp(min(logit_scale,
  log 100))`` per head and computes the bias with a small MLP (``cpb_mlp``) from log-spaced
  relative coordinates (``relative_coords_table``), squashed as ``16 * sigmoid``; its blocks
  normalise after the attention/MLP (res-post-norm) instead of before.
"""

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

import ember
import ember.nn.functional as F
from ember import Tensor, nn

from ..ops.misc import MLP
from ..ops.stochastic_depth import StochasticDepth

__all__ = [
    "PatchMerging",
    "PatchMergingV2",
    "ShiftedWindowAttention",
    "ShiftedWindowAttentionV2",
    "SwinTransformerBlock",
    "SwinTransformerBlockV2",
    "shifted_window_attention",
]


def _patch_merging_pad(x: Tensor) -> Tensor:
    """``(..., H, W, C)`` -> ``(..., ceil(H/2), ceil(W/2), 4C)``: pad H and W to even sizes and
    concatenate the four pixels of every 2x2 cell (order: (0,0), (1,0), (0,1), (1,1))."""
    h, w = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    x0 = x[..., 0::2, 0::2, :]
    x1 = x[..., 1::2, 0::2, :]
    x2 = x[..., 0::2, 1::2, :]
    x3 = x[..., 1::2, 1::2, :]
    return ember.cat([x0, x1, x2, x3], -1)


def _get_relative_position_bias(relative_position_bias_table: Tensor,
                                relative_position_index: Tensor,
                                window_size: list[int]) -> Tensor:
    """Gather the per-head bias of every (query, key) pair of a window: ``(1, heads, N, N)``
    with ``N = Wh * Ww``."""
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index]
    bias = bias.reshape(n, n, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


def _relative_position_index(window_size: list[int]) -> np.ndarray:
    """Flattened ``(Wh*Ww)**2`` index of the offset ``(dy, dx)`` between two tokens of a window
    into the ``(2*Wh-1) x (2*Ww-1)`` table (row-major, offsets shifted to start at 0)."""
    wh, ww = window_size
    coords = np.stack(np.meshgrid(np.arange(wh), np.arange(ww), indexing="ij")).reshape(2, -1)
    relative = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)  # N, N, 2
    return ((relative[..., 0] + wh - 1) * (2 * ww - 1) + relative[..., 1] + ww - 1).reshape(-1)


@lru_cache(maxsize=64)
def _shift_mask(pad_h: int, pad_w: int, wh: int, ww: int, sh: int, sw: int) -> np.ndarray:
    """The shifted windows' attention mask, ``(num_windows, N, N)``: 0 where both tokens come
    from the same region of the un-rolled map, -100 otherwise (torchvision's value)."""
    labels = np.zeros((pad_h, pad_w), dtype=np.float32)
    h_slices = ((0, -wh), (-wh, -sh), (-sh, None))
    w_slices = ((0, -ww), (-ww, -sw), (-sw, None))
    count = 0
    for h in h_slices:  # 3 x 3 regions: a fixed, tiny loop
        for w in w_slices:
            labels[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    labels = labels.reshape(pad_h // wh, wh, pad_w // ww, ww).transpose(0, 2, 1, 3)
    labels = labels.reshape(-1, wh * ww)
    diff = labels[:, None, :] - labels[:, :, None]
    return np.where(diff != 0, np.float32(-100.0), np.float32(0.0))


def shifted_window_attention(
    input: Tensor,
    qkv_weight: Tensor,
    proj_weight: Tensor,
    relative_position_bias: Tensor,
    window_size: list[int],
    num_heads: int,
    shift_size: list[int],
    attention_dropout: float = 0.0,
    dropout: float = 0.0,
    qkv_bias: Tensor | None = None,
    proj_bias: Tensor | None = None,
    logit_scale: Tensor | None = None,
    training: bool = True,
) -> Tensor:
    """Window-based multi-head self-attention (W-MSA / SW-MSA) with relative position bias.

    Args:
        input: ``(B, H, W, C)``; padded at the bottom/right to multiples of the window.
        qkv_weight, qkv_bias: the ``(3C, C)`` projection to queries, keys and values.
        proj_weight, proj_bias: the ``(C, C)`` output projection.
        relative_position_bias: ``(1, num_heads, N, N)`` added to the attention logits.
        window_size: ``[Wh, Ww]``.
        num_heads: attention heads (``C`` must be divisible by it).
        shift_size: the cyclic shift ``[sh, sw]`` (0 on an axis whose padded size fits in
            one window: nothing to shift there).
        attention_dropout, dropout: on the attention weights and on the output.
        logit_scale: V2's ``(num_heads, 1, 1)`` log temperature: cosine attention, and the key
            bias is ignored (zeroed) as in the V2 paper's code.
        training: apply the dropouts.

    Returns:
        ``(B, H, W, C)``.
    """
    b, h, w, c = input.shape
    if c % num_heads != 0:
        raise ValueError(f"shifted_window_attention: {c} channels are not divisible by "
                         f"num_heads={num_heads}")
    wh, ww = window_size
    pad_r = (ww - w % ww) % ww
    pad_b = (wh - h % wh) % wh
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    pad_h, pad_w = x.shape[1], x.shape[2]

    # no shift along an axis that fits in a single window (a copy: the caller's list is kept)
    sh = 0 if wh >= pad_h else shift_size[0]
    sw = 0 if ww >= pad_w else shift_size[1]
    shifted = sh + sw > 0
    if shifted:
        x = ember.roll(x, shifts=(-sh, -sw), dims=(1, 2))

    # partition windows: (B * nW, Wh * Ww, C)
    num_windows = (pad_h // wh) * (pad_w // ww)
    x = x.reshape(b, pad_h // wh, wh, pad_w // ww, ww, c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b * num_windows, wh * ww, c)
    n = wh * ww

    if logit_scale is not None and qkv_bias is not None:
        # V2: no key bias (torchvision zeroes the middle third of a clone); a product with a
        # constant mask does the same and keeps the gradient of that third at zero
        length = qkv_bias.numel() // 3
        keep = np.ones(3 * length, dtype=np.float32)
        keep[length:2 * length] = 0.0
        qkv_bias = qkv_bias * ember.tensor(keep, dtype=qkv_bias.dtype, device=qkv_bias.device)
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], n, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        # cosine attention with a learned, bounded temperature (V2 paper, eq. 2)
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        q = q * (c // num_heads) ** -0.5
        attn = q @ k.transpose(-2, -1)
    attn = attn + relative_position_bias

    if shifted:
        mask = ember.tensor(_shift_mask(pad_h, pad_w, wh, ww, sh, sw), dtype=attn.dtype,
                            device=attn.device)
        attn = attn.reshape(b, num_windows, num_heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.reshape(-1, num_heads, n, n)

    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)

    x = (attn @ v).transpose(1, 2).reshape(x.shape[0], n, c)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)

    # reverse windows, reverse the shift, drop the padding
    x = x.reshape(b, pad_h // wh, pad_w // ww, wh, ww, c)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ember.roll(x, shifts=(sh, sw), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


class PatchMerging(nn.Module):
    """Swin V1 downsampling: concatenate each 2x2 cell (``4C``), LayerNorm, Linear to ``2C``.

    Args:
        dim: input channels ``C``.
        norm_layer: default ``nn.LayerNorm``.

    Shape:
        ``(..., H, W, C)`` -> ``(..., ceil(H/2), ceil(W/2), 2C)``.
    """

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """Swin V2 downsampling: as :class:`PatchMerging` but normalising after the reduction
    (so ``norm`` has ``2C`` features).

    Shape:
        ``(..., H, W, C)`` -> ``(..., ceil(H/2), ceil(W/2), 2C)``.
    """

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.reduction(_patch_merging_pad(x)))


class ShiftedWindowAttention(nn.Module):
    """(Shifted) window attention with a learned relative position bias table (Swin V1); see
    :func:`shifted_window_attention`.

    Args:
        dim: channels ``C``.
        window_size, shift_size: ``[Wh, Ww]`` and ``[sh, sw]``.
        num_heads: attention heads.
        qkv_bias, proj_bias: biases of the two projections.
        attention_dropout, dropout: dropout probabilities.

    Shape:
        ``(B, H, W, C)`` -> same.
    """

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self) -> None:
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros((2 * wh - 1) * (2 * ww - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        index = _relative_position_index(self.window_size)
        self.register_buffer("relative_position_index", ember.tensor(index, dtype=ember.int64))

    def get_relative_position_bias(self) -> Tensor:
        """``(1, num_heads, N, N)`` bias of every (query, key) pair of a window."""
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, self.window_size)

    def forward(self, x: Tensor) -> Tensor:
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2 window attention: cosine attention with a per-head ``logit_scale`` and a
    continuous position bias (``cpb_mlp``: Linear(2, 512) -> ReLU -> Linear(512, heads), applied
    to log-spaced relative coordinates). Same arguments and shapes as
    :class:`ShiftedWindowAttention`."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones(num_heads, 1, 1)))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length:2 * length] = 0.0

    def define_relative_position_bias_table(self) -> None:
        wh, ww = self.window_size
        dy = np.arange(-(wh - 1), wh, dtype=np.float32)
        dx = np.arange(-(ww - 1), ww, dtype=np.float32)
        table = np.stack(np.meshgrid(dy, dx, indexing="ij")).transpose(1, 2, 0)[None].copy()
        # offsets scaled to [-8, 8], then log-spaced (V2 paper, eq. 4), in float32 as torch
        table[..., 0] /= np.float32(wh - 1)
        table[..., 1] /= np.float32(ww - 1)
        table *= np.float32(8)
        table = np.sign(table) * np.log2(np.abs(table) + np.float32(1.0)) / np.float32(3.0)
        self.register_buffer("relative_coords_table",
                             ember.tensor(table.astype(np.float32), dtype=ember.float32))

    def get_relative_position_bias(self) -> Tensor:
        table = self.cpb_mlp(self.relative_coords_table).reshape(-1, self.num_heads)
        bias = _get_relative_position_bias(table, self.relative_position_index, self.window_size)
        return 16 * ember.sigmoid(bias)

    def forward(self, x: Tensor) -> Tensor:
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    """Swin V1 block (pre-norm): ``x + SD(attn(norm1(x)))``, then ``+ SD(mlp(norm2(.)))``.

    Args:
        dim: channels.
        num_heads: attention heads.
        window_size, shift_size: of the attention.
        mlp_ratio: hidden width of the MLP relative to ``dim``.
        dropout, attention_dropout: dropout probabilities.
        stochastic_depth_prob: probability of dropping the residual branches (per sample).
        norm_layer: default ``nn.LayerNorm``.
        attn_layer: default :class:`ShiftedWindowAttention`.

    Shape:
        ``(B, H, W, dim)`` -> same.
    """

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Swin V2 block (res-post-norm): ``x + SD(norm1(attn(x)))``, then ``+ SD(norm2(mlp(.)))``;
    default ``attn_layer`` :class:`ShiftedWindowAttentionV2`. Same arguments as
    :class:`SwinTransformerBlock`."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x: Tensor) -> Tensor:
        # the V2 difference: normalise the branch's output, not its input
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))
