"""Conformer (Gulati et al., "Conformer: Convolution-augmented Transformer for Speech
Recognition", Interspeech 2020), as ``torchaudio.models.Conformer``.

Each layer is a macaron: half a feed-forward block, self-attention, a convolution module, the
other half feed-forward block, then a LayerNorm::

    x = x + 0.5 * FFN1(x)
    x = x + MHSA(LayerNorm(x))           (padded frames masked out as keys)
    x = x + Conv(x)                      (LayerNorm, pointwise conv, GLU, depthwise conv,
                                          BatchNorm/GroupNorm, SiLU, pointwise conv)
    x = x + 0.5 * FFN2(x)
    x = LayerNorm(x)

Module and parameter names are torchaudio's, so its ``state_dict`` loads as is
(``conformer_layers.0.ffn1.sequential.1.weight``, ``...self_attn.in_proj_weight``,
``...conv_module.sequential.3.running_mean``, ...).

As in torchaudio, ``lengths`` only masks the attention keys: the depthwise convolution and
BatchNorm's batch statistics (training) still see the padded frames, so a valid frame within
``(depthwise_conv_kernel_size - 1) // 2`` frames of the end of its sequence depends on the
padding's values. Pad with a constant (zeros) to get the same outputs as torchaudio.
"""

from __future__ import annotations

import ember
from ember import Tensor, nn

__all__ = ["Conformer", "ConformerLayer"]


def _lengths_to_padding_mask(lengths: Tensor, max_length: int) -> Tensor:
    """``(B, T)`` boolean mask, True at padded frames (``t >= lengths[b]``): the
    ``key_padding_mask`` convention of :class:`ember.nn.MultiheadAttention`."""
    frames = ember.arange(max_length, device=lengths.device, dtype=lengths.dtype)
    return frames[None, :] >= lengths[:, None]


class _ConvolutionModule(nn.Module):
    """The Conformer convolution module on ``(B, T, D)``: LayerNorm, pointwise conv to ``2C``
    channels, GLU (back to ``C``), depthwise conv ('same' padding), BatchNorm1d (or GroupNorm
    with one group), SiLU, pointwise conv to ``D``, dropout."""

    def __init__(self, input_dim: int, num_channels: int, depthwise_kernel_size: int,
                 dropout: float = 0.0, bias: bool = False, use_group_norm: bool = False) -> None:
        super().__init__()
        if (depthwise_kernel_size - 1) % 2 != 0:
            raise ValueError(
                f"Conformer: depthwise_conv_kernel_size must be odd to achieve 'SAME' padding, "
                f"got {depthwise_kernel_size}")
        self.layer_norm = nn.LayerNorm(input_dim)
        norm = (nn.GroupNorm(num_groups=1, num_channels=num_channels) if use_group_norm
                else nn.BatchNorm1d(num_channels))
        self.sequential = nn.Sequential(
            nn.Conv1d(input_dim, 2 * num_channels, 1, bias=bias),
            nn.GLU(dim=1),
            nn.Conv1d(num_channels, num_channels, depthwise_kernel_size,
                      padding=(depthwise_kernel_size - 1) // 2, groups=num_channels, bias=bias),
            norm,
            nn.SiLU(),
            nn.Conv1d(num_channels, input_dim, kernel_size=1, bias=bias),
            nn.Dropout(dropout),
        )

    def forward(self, input: Tensor) -> Tensor:
        # Conv1d wants channels before time: (B, T, D) -> (B, D, T) and back.
        x = self.layer_norm(input).transpose(1, 2)
        return self.sequential(x).transpose(1, 2)


class _FeedForwardModule(nn.Module):
    """LayerNorm, Linear to ``hidden_dim``, SiLU, dropout, Linear back, dropout."""

    def __init__(self, input_dim: int, hidden_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.sequential = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Linear(input_dim, hidden_dim, bias=True),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, input_dim, bias=True),
            nn.Dropout(dropout),
        )

    def forward(self, input: Tensor) -> Tensor:
        return self.sequential(input)


class ConformerLayer(nn.Module):
    """One Conformer layer (``torchaudio.models.conformer.ConformerLayer``).

    Args:
        input_dim: feature dimension ``D``.
        ffn_dim: hidden dimension of the two feed-forward blocks.
        num_attention_heads: attention heads (must divide ``input_dim``).
        depthwise_conv_kernel_size: odd kernel size of the depthwise convolution.
        dropout: dropout probability everywhere (attention weights included).
        use_group_norm: GroupNorm (one group) instead of BatchNorm1d in the conv module.
        convolution_first: run the convolution module before self-attention.

    Shape:
        ``forward(input, key_padding_mask)``: ``input`` ``(T, B, D)`` (time first, as in
        torchaudio), ``key_padding_mask`` ``(B, T)`` boolean (True = padding) or None;
        returns ``(T, B, D)``.
    """

    def __init__(self, input_dim: int, ffn_dim: int, num_attention_heads: int,
                 depthwise_conv_kernel_size: int, dropout: float = 0.0,
                 use_group_norm: bool = False, convolution_first: bool = False) -> None:
        super().__init__()
        self.ffn1 = _FeedForwardModule(input_dim, ffn_dim, dropout=dropout)
        self.self_attn_layer_norm = nn.LayerNorm(input_dim)
        self.self_attn = nn.MultiheadAttention(input_dim, num_attention_heads, dropout=dropout)
        self.self_attn_dropout = nn.Dropout(dropout)
        self.conv_module = _ConvolutionModule(
            input_dim=input_dim, num_channels=input_dim,
            depthwise_kernel_size=depthwise_conv_kernel_size, dropout=dropout, bias=True,
            use_group_norm=use_group_norm)
        self.ffn2 = _FeedForwardModule(input_dim, ffn_dim, dropout=dropout)
        self.final_layer_norm = nn.LayerNorm(input_dim)
        self.convolution_first = convolution_first

    def _apply_convolution(self, x: Tensor) -> Tensor:
        # The conv module works batch first; the layer keeps torchaudio's time-first layout.
        return x + self.conv_module(x.transpose(0, 1)).transpose(0, 1)

    def forward(self, input: Tensor, key_padding_mask: Tensor | None) -> Tensor:
        # Macaron feed-forward: each of the two FFNs contributes half a residual step.
        x = self.ffn1(input) * 0.5 + input
        if self.convolution_first:
            x = self._apply_convolution(x)
        residual = x
        x = self.self_attn_layer_norm(x)
        x, _ = self.self_attn(query=x, key=x, value=x, key_padding_mask=key_padding_mask,
                              need_weights=False)
        x = self.self_attn_dropout(x) + residual
        if not self.convolution_first:
            x = self._apply_convolution(x)
        x = self.ffn2(x) * 0.5 + x
        return self.final_layer_norm(x)


class Conformer(nn.Module):
    """The Conformer encoder (``torchaudio.models.Conformer``): a stack of
    :class:`ConformerLayer`; no subsampling front end or output projection (add your own).

    Args:
        input_dim: feature dimension ``D`` of the input frames.
        num_heads: attention heads per layer (must divide ``input_dim``).
        ffn_dim: hidden dimension of the feed-forward blocks.
        num_layers: number of layers.
        depthwise_conv_kernel_size: odd kernel size of each layer's depthwise convolution.
        dropout: dropout probability (default 0.0).
        use_group_norm: GroupNorm instead of BatchNorm1d in the convolution modules.
        convolution_first: convolution module ahead of self-attention.

    Shape:
        ``forward(input, lengths)``: ``input`` ``(B, T, input_dim)``; ``lengths`` ``(B,)``
        integer, the number of valid frames of each sequence (``max(lengths) == T``).
        Returns ``(output, lengths)``: ``(B, T, input_dim)`` and the same ``lengths``
        (a Conformer keeps the frame rate).

    Example:
        >>> conformer = Conformer(input_dim=80, num_heads=4, ffn_dim=128, num_layers=4,
        ...                       depthwise_conv_kernel_size=31)
        >>> lengths = ember.tensor([100, 73])
        >>> output, out_lengths = conformer(ember.randn(2, 100, 80), lengths)
        >>> output.shape
        ember.Size([2, 100, 80])
    """

    def __init__(self, input_dim: int, num_heads: int, ffn_dim: int, num_layers: int,
                 depthwise_conv_kernel_size: int, dropout: float = 0.0,
                 use_group_norm: bool = False, convolution_first: bool = False) -> None:
        super().__init__()
        if input_dim % num_heads:
            raise ValueError(f"Conformer: input_dim={input_dim} must be divisible by "
                             f"num_heads={num_heads}")
        self.input_dim = input_dim
        self.conformer_layers = nn.ModuleList(
            ConformerLayer(input_dim, ffn_dim, num_heads, depthwise_conv_kernel_size,
                           dropout=dropout, use_group_norm=use_group_norm,
                           convolution_first=convolution_first)
            for _ in range(num_layers)
        )

    def _check(self, input: Tensor, lengths: Tensor) -> None:
        if input.ndim != 3 or input.shape[-1] != self.input_dim:
            raise ValueError(f"Conformer: expected input of shape (B, T, {self.input_dim}), "
                             f"got {tuple(input.shape)}")
        if lengths.ndim != 1 or lengths.shape[0] != input.shape[0]:
            raise ValueError(f"Conformer: expected lengths of shape ({input.shape[0]},) for an "
                             f"input of shape {tuple(input.shape)}, got {tuple(lengths.shape)}")
        if lengths.is_floating_point() or lengths.dtype == ember.bool:
            raise TypeError(f"Conformer: lengths must be an integer tensor, got {lengths.dtype}")
        longest = int(lengths.max().item()) if lengths.numel() else 0
        if longest != input.shape[1]:
            # torchaudio builds its mask max(lengths) wide, so the two must agree.
            raise ValueError(f"Conformer: max(lengths)={longest} must equal the input's "
                             f"{input.shape[1]} frames; pad or trim the batch to the longest "
                             f"sequence")

    def forward(self, input: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Encode ``input`` ``(B, T, input_dim)``; see the class docstring."""
        self._check(input, lengths)
        encoder_padding_mask = _lengths_to_padding_mask(lengths, input.shape[1])
        x = input.transpose(0, 1)  # time first, as nn.MultiheadAttention's default layout
        for layer in self.conformer_layers:  # over layers, not data
            x = layer(x, encoder_padding_mask)
        return x.transpose(0, 1), lengths
