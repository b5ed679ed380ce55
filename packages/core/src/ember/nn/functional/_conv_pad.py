"""Non-zero padding modes (reflect, replicate, circular) for the Conv modules' ``padding_mode``.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import Function
from ...ops._util import xp_of

# ---------------------------------------------------------------------------------------------
# Non-zero padding modes for the Conv modules
# ---------------------------------------------------------------------------------------------
# A private, differentiable stand-in for F.pad(mode='reflect'|'replicate'|'circular') (being
# written in _vision.py); to be unified with it. Padding is a linear map P that copies source
# elements; the backward is P^T (add each padded element back onto its source), whose own
# derivative is P again, so double backward works.

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _source_index(size: int, lo: int, hi: int, mode: str):
    """For each position of the padded axis, the index of the input element it copies."""
    idx = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(idx, 0, size - 1)
    if mode == "circular":
        return idx % size
    idx = np.abs(idx)  # reflect (no edge repeat): -j -> j, and size-1+j -> size-1-j
    return np.where(idx > size - 1, 2 * (size - 1) - idx, idx)


class _ModePad(Function):
    @staticmethod
    def forward(ctx, x, pads, mode):
        data = x._data
        ctx.pads, ctx.mode = pads, mode
        width = [(0, 0)] * (data.ndim - len(pads)) + list(pads)
        return xp_of(data).pad(data, width, mode=_NP_MODE[mode])

    @staticmethod
    def backward(ctx, grad):
        return _ModePadAdjoint.apply(grad, ctx.pads, ctx.mode), None, None


class _ModePadAdjoint(Function):
    @staticmethod
    def forward(ctx, grad, pads, mode):
        ctx.pads, ctx.mode = pads, mode
        out = grad._data
        first = out.ndim - len(pads)
        for axis, (lo, hi) in enumerate(pads, start=first):
            size = out.shape[axis] - lo - hi
            src = _source_index(size, lo, hi, mode)
            lead = (slice(None),) * axis
            result = out[lead + (slice(lo, lo + size),)].copy()
            # the pad widths are small: loop over padded positions, not over elements
            for j in itertools.chain(range(lo), range(lo + size, lo + size + hi)):
                result[lead + (int(src[j]),)] += out[lead + (j,)]
            out = result
        return out

    @staticmethod
    def backward(ctx, grad):
        return _ModePad.apply(grad, ctx.pads, ctx.mode), None, None


def _mode_pad(input: Tensor, pad, mode: str) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims with ``mode``; ``pad`` in F.pad's order (last dim
    first: left, right, top, bottom...)."""
    pairs = tuple((pad[i], pad[i + 1]) for i in range(0, len(pad), 2))[::-1]
    shape = input._data.shape
    first = len(shape) - len(pairs)
    for axis, (lo, hi) in enumerate(pairs, start=first):
        size = shape[axis]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(
                f"pad: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {axis} of input {list(shape)}"
            )
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("pad: Padding value causes wrapping around more than once.")
        if mode == "replicate" and size == 0 and (lo or hi):
            raise RuntimeError(f"pad: cannot replicate-pad an empty dimension {axis}")
    if not any(lo or hi for lo, hi in pairs):
        return input
    return _ModePad.apply(input, pairs, mode)
