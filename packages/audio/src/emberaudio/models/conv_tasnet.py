"""Conv-TasNet (Luo & Mesgarani, 2019) with torchaudio's layout (``torchaudio.models.
ConvTasNet`` / ``conv_tasnet_base``): the same arguments, forward and state_dict names
(``encoder.weight``, ``mask_generator.{input_norm,input_conv,conv_layers.N.*,output_prelu,
output_conv}.*``, ``decoder.weight``), non-causal setting.
"""

from __future__ import annotations

import ember
from ember import nn

__all__ = ["ConvTasNet", "conv_tasnet_base"]


class ConvBlock(nn.Module):
    """One TCN block (torchaudio's ``conv_tasnet.ConvBlock``): 1x1 conv, PReLU, global
    layer norm (``GroupNorm(1, ., eps=1e-8)``), dilated depthwise conv, PReLU, global layer
    norm, then 1x1 residual (``res_out``, absent in the network's last block) and skip
    (``skip_out``) convolutions.

    Args:
        io_channels: input/output channels <B, Sc>.
        hidden_channels: internal channels <H>.
        kernel_size: depthwise kernel <P>.
        padding: padding of the depthwise conv (``dilation`` keeps the length for P=3).
        dilation: dilation of the depthwise conv.
        no_residual: leave out ``res_out``.

    Returns:
        forward: ``(residual or None, skip)``, each ``(batch, io_channels, frames)``.
    """

    def __init__(self, io_channels: int, hidden_channels: int, kernel_size: int, padding: int,
                 dilation: int = 1, no_residual: bool = False):
        super().__init__()
        self.conv_layers = nn.Sequential(
            nn.Conv1d(io_channels, hidden_channels, kernel_size=1),
            nn.PReLU(),
            nn.GroupNorm(num_groups=1, num_channels=hidden_channels, eps=1e-08),
            nn.Conv1d(hidden_channels, hidden_channels, kernel_size=kernel_size,
                      padding=padding, dilation=dilation, groups=hidden_channels),
            nn.PReLU(),
            nn.GroupNorm(num_groups=1, num_channels=hidden_channels, eps=1e-08),
        )
        self.res_out = (None if no_residual
                        else nn.Conv1d(hidden_channels, io_channels, kernel_size=1))
        self.skip_out = nn.Conv1d(hidden_channels, io_channels, kernel_size=1)

    def forward(self, input):
        feature = self.conv_layers(input)
        residual = None if self.res_out is None else self.res_out(feature)
        return residual, self.skip_out(feature)


class MaskGenerator(nn.Module):
    """The TCN separation module (torchaudio's ``conv_tasnet.MaskGenerator``): one mask per
    source over the encoder's features.

    Args:
        input_dim: encoder features <N>.
        num_sources: sources to separate.
        kernel_size: kernel of the blocks' depthwise convs <P>.
        num_feats: the blocks' input/output channels <B, Sc>.
        num_hidden: the blocks' internal channels <H>.
        num_layers: blocks per stack <X> (dilations 1, 2, ..., 2**(X-1)).
        num_stacks: stacks <R>.
        msk_activate: ``'sigmoid'`` or ``'relu'`` on the masks.

    Shape:
        ``(batch, input_dim, frames)`` -> ``(batch, num_sources, input_dim, frames)``.
    """

    def __init__(self, input_dim: int, num_sources: int, kernel_size: int, num_feats: int,
                 num_hidden: int, num_layers: int, num_stacks: int,
                 msk_activate: str = "sigmoid"):
        super().__init__()
        self.input_dim, self.num_sources = input_dim, num_sources
        self.input_norm = nn.GroupNorm(num_groups=1, num_channels=input_dim, eps=1e-8)
        self.input_conv = nn.Conv1d(input_dim, num_feats, kernel_size=1)
        self.receptive_field = 0
        self.conv_layers = nn.ModuleList([])
        for s in range(num_stacks):  # building layers, not data
            for n in range(num_layers):
                multi = 2**n
                self.conv_layers.append(ConvBlock(
                    io_channels=num_feats, hidden_channels=num_hidden,
                    kernel_size=kernel_size, dilation=multi, padding=multi,
                    # the last block's residual would be unused
                    no_residual=(n == num_layers - 1 and s == num_stacks - 1)))
                self.receptive_field += (kernel_size if s == 0 and n == 0
                                         else (kernel_size - 1) * multi)
        self.output_prelu = nn.PReLU()
        self.output_conv = nn.Conv1d(num_feats, input_dim * num_sources, kernel_size=1)
        if msk_activate == "sigmoid":
            self.mask_activate = nn.Sigmoid()
        elif msk_activate == "relu":
            self.mask_activate = nn.ReLU()
        else:
            raise ValueError(f"Unsupported activation {msk_activate}; use 'sigmoid' or 'relu'")

    def forward(self, input):
        batch_size = input.shape[0]
        feats = self.input_conv(self.input_norm(input))
        output = 0.0
        for layer in self.conv_layers:  # over blocks, not data
            residual, skip = layer(feats)
            if residual is not None:
                feats = feats + residual
            output = output + skip
        output = self.mask_activate(self.output_conv(self.output_prelu(output)))
        return output.view(batch_size, self.num_sources, self.input_dim, -1)


class ConvTasNet(nn.Module):
    """Conv-TasNet, a fully-convolutional time-domain source separation network
    (torchaudio's ``ConvTasNet``, non-causal).

    A learnt encoder (``Conv1d(1, N, L, stride=L//2, padding=L//2)``), a TCN mask per source,
    and a transposed-conv decoder. The input is right-padded with zeros so its end falls on a
    stride boundary, and the padding is cut from the output: the output length always equals
    the input length.

    Args:
        num_sources: sources to split (2).
        enc_kernel_size: encoder/decoder kernel <L> (16).
        enc_num_feats: encoder features <N> (512).
        msk_kernel_size: mask generator kernel <P> (3).
        msk_num_feats: blocks' input/output channels <B, Sc> (128).
        msk_num_hidden_feats: blocks' internal channels <H> (512).
        msk_num_layers: blocks per stack <X> (8).
        msk_num_stacks: stacks <R> (3).
        msk_activate: mask activation, ``'sigmoid'`` or ``'relu'`` (``'sigmoid'``).

    Shape:
        forward ``(batch, 1, time)`` -> ``(batch, num_sources, time)``.

    Example:
        >>> model = ConvTasNet(num_sources=2, enc_kernel_size=4, enc_num_feats=8,
        ...                    msk_num_feats=4, msk_num_hidden_feats=6, msk_num_layers=2,
        ...                    msk_num_stacks=1)
        >>> model(ember.randn(3, 1, 37)).shape
        ember.Size([3, 2, 37])
    """

    def __init__(self, num_sources: int = 2, enc_kernel_size: int = 16,
                 enc_num_feats: int = 512, msk_kernel_size: int = 3, msk_num_feats: int = 128,
                 msk_num_hidden_feats: int = 512, msk_num_layers: int = 8,
                 msk_num_stacks: int = 3, msk_activate: str = "sigmoid"):
        super().__init__()
        if enc_kernel_size < 2:
            raise ValueError(f"ConvTasNet: enc_kernel_size must be >= 2 (the stride is "
                             f"enc_kernel_size // 2), got {enc_kernel_size}")
        self.num_sources = num_sources
        self.enc_num_feats = enc_num_feats
        self.enc_kernel_size = enc_kernel_size
        self.enc_stride = enc_kernel_size // 2
        self.encoder = nn.Conv1d(1, enc_num_feats, kernel_size=enc_kernel_size,
                                 stride=self.enc_stride, padding=self.enc_stride, bias=False)
        self.mask_generator = MaskGenerator(
            input_dim=enc_num_feats, num_sources=num_sources, kernel_size=msk_kernel_size,
            num_feats=msk_num_feats, num_hidden=msk_num_hidden_feats,
            num_layers=msk_num_layers, num_stacks=msk_num_stacks, msk_activate=msk_activate)
        self.decoder = nn.ConvTranspose1d(enc_num_feats, 1, kernel_size=enc_kernel_size,
                                          stride=self.enc_stride, padding=self.enc_stride,
                                          bias=False)

    def _align_num_frames_with_strides(self, input):
        """Right-pad ``input`` with zeros so its end is (odd kernel) the centre or (even
        kernel) the end of the first half of the last encoder window. Returns ``(padded,
        num_paddings)``."""
        batch_size, num_channels, num_frames = input.shape
        is_odd = self.enc_kernel_size % 2
        num_strides = (num_frames - is_odd) // self.enc_stride
        num_remainings = num_frames - (is_odd + num_strides * self.enc_stride)
        if num_remainings == 0:
            return input, 0
        num_paddings = self.enc_stride - num_remainings
        pad = ember.zeros(batch_size, num_channels, num_paddings, dtype=input.dtype,
                          device=input.device)
        return ember.cat([input, pad], 2), num_paddings

    def forward(self, input):
        """``(batch, 1, time)`` mixtures -> ``(batch, num_sources, time)`` sources."""
        if input.ndim != 3 or input.shape[1] != 1:
            raise ValueError(f"Expected 3D tensor (batch, channel==1, frames). Found: "
                             f"{tuple(input.shape)}; use mixture.unsqueeze(1) for a "
                             f"(batch, time) batch")
        padded, num_pads = self._align_num_frames_with_strides(input)
        batch_size, num_padded_frames = padded.shape[0], padded.shape[2]
        feats = self.encoder(padded)                                  # B, F, M
        masked = self.mask_generator(feats) * feats.unsqueeze(1)      # B, S, F, M
        masked = masked.view(batch_size * self.num_sources, self.enc_num_feats, -1)
        decoded = self.decoder(masked)                                # B*S, 1, L'
        output = decoded.view(batch_size, self.num_sources, num_padded_frames)
        if num_pads > 0:
            output = output[..., :-num_pads]
        return output


def conv_tasnet_base(num_sources: int = 2) -> ConvTasNet:
    """The non-causal Conv-TasNet of the paper's best Si-SNR setting (torchaudio's
    ``conv_tasnet_base``): L=16, N=512, P=3, B=Sc=128, H=512, X=8, R=3, with ReLU masks
    instead of sigmoid (torchaudio's choice, for performance).

    Args:
        num_sources: sources in the output (2).

    Returns:
        :class:`ConvTasNet`.
    """
    return ConvTasNet(num_sources=num_sources, enc_kernel_size=16, enc_num_feats=512,
                      msk_kernel_size=3, msk_num_feats=128, msk_num_hidden_feats=512,
                      msk_num_layers=8, msk_num_stacks=3, msk_activate="relu")
