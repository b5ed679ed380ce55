"""DropBlock (Ghiasi et al., 2018), as torchvision's ``ops/drop_block.py``: dropout of
contiguous ``block_size`` squares (cubes in 3-D) of a feature map.

Block centres are drawn from Bernoulli(``gamma``) on the ``(H - bs + 1) x (W - bs + 1)`` valid
positions, with ``gamma = p * H * W / (bs^2 * (H - bs + 1) * (W - bs + 1))`` so that about a
fraction ``p`` of the units is dropped; the centres are zero-padded by ``bs // 2`` and grown into
blocks with a stride-1 max-pool, and the kept units are rescaled by ``numel / (eps + kept)``.
Draws come from Ember's default generator (``ember.manual_seed`` reproduces them).
"""

from __future__ import annotations

import ember
import ember.nn.functional as F
from ember import Tensor, nn

__all__ = ["drop_block2d", "drop_block3d", "DropBlock2d", "DropBlock3d"]


def _drop_block(input: Tensor, p: float, block_size: int, inplace: bool, eps: float,
                training: bool, nd: int) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != nd + 2:
        raise ValueError(
            f"input should be {nd + 2} dimensional. Got {input.ndim} dimensions."
        )
    if not training or p == 0.0:
        return input
    spatial = tuple(input.shape[2:])
    block_size = min(block_size, *spatial)
    if block_size % 2 == 0:
        # torchvision's pad(bs // 2) + max_pool(padding=bs // 2) only preserves the size for
        # odd blocks (it fails in the final product otherwise); say so before drawing
        raise RuntimeError(
            f"drop_block{nd}d: block_size {block_size} (capped at the smallest spatial size "
            f"of the input {spatial}) is even; the block mask then does not match the input "
            f"size. Use an odd block_size no larger than the input"
        )
    valid = [s - block_size + 1 for s in spatial]
    numer, denom = p, float(block_size**nd)
    for s, v in zip(spatial, valid):
        numer *= s
        denom *= v
    gamma = numer / denom
    noise = ember.empty((*input.shape[:2], *valid), dtype=input.dtype, device=input.device)
    noise.bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * (2 * nd), value=0)
    pool = F.max_pool2d if nd == 2 else F.max_pool3d
    noise = pool(noise, stride=(1,) * nd, kernel_size=(block_size,) * nd,
                 padding=block_size // 2)
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


def drop_block2d(input: Tensor, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06, training: bool = True) -> Tensor:
    """DropBlock on a ``Tensor[N, C, H, W]``: zero random ``block_size x block_size`` squares
    (independently per sample and channel) and rescale the rest.

    Args:
        input: ``Tensor[N, C, H, W]``.
        p: probability of an element to be dropped.
        block_size: side of the dropped squares (capped at the map's smallest side).
        inplace: modify ``input`` in place.
        eps: added to the denominator of the rescaling factor.
        training: apply DropBlock (else ``input`` is returned as it is).

    Returns:
        ``Tensor[N, C, H, W]``.

    Example:
        >>> y = drop_block2d(ember.ones(2, 3, 8, 8), p=0.2, block_size=3)
    """
    return _drop_block(input, p, block_size, inplace, eps, training, 2)


def drop_block3d(input: Tensor, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06, training: bool = True) -> Tensor:
    """DropBlock on a ``Tensor[N, C, D, H, W]`` (cubes of side ``block_size``); arguments as
    :func:`drop_block2d`.

    Returns:
        ``Tensor[N, C, D, H, W]``.
    """
    return _drop_block(input, p, block_size, inplace, eps, training, 3)


class DropBlock2d(nn.Module):
    """Module form of :func:`drop_block2d` (active in training mode only).

    Example:
        >>> DropBlock2d(0.1, 7)
        DropBlock2d(p=0.1, block_size=7, inplace=False)
    """

    def __init__(self, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06) -> None:
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, "
                f"inplace={self.inplace})")


class DropBlock3d(DropBlock2d):
    """Module form of :func:`drop_block3d` (active in training mode only)."""

    def forward(self, input: Tensor) -> Tensor:
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)
