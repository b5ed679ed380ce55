"""Feature Pyramid Network (Lin et al., 2017), as torchvision's
``ops/feature_pyramid_network.py``.

Each input level gets a 1x1 lateral conv (``inner_blocks.N``) and a 3x3 output conv
(``layer_blocks.N``), both :class:`Conv2dNormActivation` without activation, so the
state_dict keys are torchvision's ``inner_blocks.N.0.weight`` / ``layer_blocks.N.0.weight``
(plus ``.1.*`` with a ``norm_layer``). The top-down pathway adds the nearest-upsampled coarser
map to each lateral. Checkpoints of the older layout (``inner_blocks.N.weight``, module version
< 2) are renamed on load, as torchvision does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import ember.nn.functional as F
from ember import Tensor, nn

from .misc import Conv2dNormActivation

__all__ = ["FeaturePyramidNetwork", "ExtraFPNBlock", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """Base class of the extra blocks run on the FPN output.

    ``forward(results, x, names)`` gets the FPN outputs, the original features and their
    names, and returns the extended ``(results, names)`` lists.
    """

    def forward(self, results: list[Tensor], x: list[Tensor],
                names: list[str]) -> tuple[list[Tensor], list[str]]:
        raise NotImplementedError


class FeaturePyramidNetwork(nn.Module):
    """Adds an FPN on top of a set of feature maps given in increasing depth order.

    Args:
        in_channels_list: channels of each input map.
        out_channels: channels of every FPN output.
        extra_blocks: optional :class:`ExtraFPNBlock` (e.g. :class:`LastLevelMaxPool`).
        norm_layer: optional norm module class placed after each conv.

    Shape:
        ``forward`` takes an ``OrderedDict[str, Tensor[N, C_i, H_i, W_i]]`` and returns an
        ``OrderedDict`` with the same names (plus the extra blocks') of
        ``Tensor[N, out_channels, H_i, W_i]``, highest resolution first.

    Example:
        >>> m = FeaturePyramidNetwork([10, 20, 30], 5)
        >>> x = OrderedDict(feat0=ember.rand(1, 10, 64, 64), feat2=ember.rand(1, 20, 16, 16),
        ...                 feat3=ember.rand(1, 30, 8, 8))
        >>> [(k, tuple(v.shape)) for k, v in m(x).items()]
        [('feat0', (1, 5, 64, 64)), ('feat2', (1, 5, 16, 16)), ('feat3', (1, 5, 8, 8))]
    """

    _version = 2

    def __init__(
        self,
        in_channels_list: list[int],
        out_channels: int,
        extra_blocks: ExtraFPNBlock | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(
                in_channels, out_channels, kernel_size=1, padding=0, norm_layer=norm_layer,
                activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(
                out_channels, out_channels, kernel_size=3, norm_layer=norm_layer,
                activation_layer=None))
        # initialise now, so that the extra blocks keep their own initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(
                f"extra_blocks should be of type ExtraFPNBlock not {type(extra_blocks)}"
            )
        self.extra_blocks = extra_blocks

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # version < 2 stored plain convs: inner_blocks.N.weight -> inner_blocks.N.0.weight
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for block in ("inner_blocks", "layer_blocks"):
                for i in range(len(self.inner_blocks)):
                    for kind in ("weight", "bias"):
                        old_key = f"{prefix}{block}.{i}.{kind}"
                        if old_key in state_dict:
                            state_dict[f"{prefix}{block}.{i}.0.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def get_result_from_inner_blocks(self, x: Tensor, idx: int) -> Tensor:
        """``self.inner_blocks[idx](x)`` (kept for API parity with torchvision)."""
        return self.inner_blocks[idx](x)

    def get_result_from_layer_blocks(self, x: Tensor, idx: int) -> Tensor:
        """``self.layer_blocks[idx](x)`` (kept for API parity with torchvision)."""
        return self.layer_blocks[idx](x)

    def forward(self, x: dict[str, Tensor]) -> dict[str, Tensor]:
        names = list(x.keys())
        feats = list(x.values())
        if len(feats) != len(self.inner_blocks):
            raise ValueError(
                f"FeaturePyramidNetwork: expected {len(self.inner_blocks)} feature maps (one "
                f"per in_channels_list entry), got {len(feats)}"
            )
        last_inner = self.get_result_from_inner_blocks(feats[-1], -1)
        results = [self.get_result_from_layer_blocks(last_inner, -1)]
        for idx in range(len(feats) - 2, -1, -1):
            inner_lateral = self.get_result_from_inner_blocks(feats[idx], idx)
            feat_shape = tuple(inner_lateral.shape[-2:])
            inner_top_down = F.interpolate(last_inner, size=feat_shape, mode="nearest")
            last_inner = inner_lateral + inner_top_down
            results.insert(0, self.get_result_from_layer_blocks(last_inner, idx))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, feats, names)
        return OrderedDict(zip(names, results))


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds a ``'pool'`` level: ``max_pool2d(kernel_size=1, stride=2)`` of the last output
    (Faster R-CNN's P6)."""

    def forward(self, x: list[Tensor], y: list[Tensor],
                names: list[str]) -> tuple[list[Tensor], list[str]]:
        names.append("pool")
        # kernel 1, stride 2: plain subsampling, as torchvision
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """RetinaNet's extra levels ``p6 = conv3x3/2(P5 or C5)`` and ``p7 = conv3x3/2(relu(p6))``
    (P5 is used when ``in_channels == out_channels``).

    Args:
        in_channels: channels of the map fed to ``p6``.
        out_channels: channels of ``p6`` and ``p7``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p: list[Tensor], c: list[Tensor],
                names: list[str]) -> tuple[list[Tensor], list[str]]:
        p5, c5 = p[-1], c[-1]
        x = p5 if self.use_P5 else c5
        p6 = self.p6(x)
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
