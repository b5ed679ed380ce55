"""Dropout: ``dropout``, the channel-wise ``dropout1d/2d/3d``, ``alpha_dropout`` and
``feature_alpha_dropout`` (Srivastava et al., 2014; Tompson et al., 2015; Klambauer et al., 2017).

In training each function multiplies its input by a random mask (and, for alpha dropout, adds
an offset); the mask is drawn in the input's dtype (float32 draws for float32 inputs) from
Ember's generator, so ``ember.manual_seed`` reproduces a run. One Function does it: the forward
is one multiply (and add), the backward multiplies by the saved mask, which is linear in the
incoming gradient and so differentiable again. In evaluation mode, or with ``p == 0``, the
input itself is returned, as PyTorch does.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...ops._util import inplace as _inplace

__all__ = [
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
]

_BF16 = dt.bfloat16.np_dtype
# -SELU's negative saturation value, alpha * scale: where alpha dropout sends dropped units
_ALPHA_PRIME = 1.7580993408473766


class _Dropout(Function):
    """``x * mask (+ offset)`` with a mask of shape ``noise_shape`` (broadcast over ``x``)."""

    @staticmethod
    def forward(ctx, x, p, noise_shape, alpha):
        from ...ops.random import _rng, _uniform01

        a = x._data
        draw_dtype = np.float32 if a.dtype.itemsize < 4 else a.dtype
        u = _uniform01(_rng(None, x.device), noise_shape, draw_dtype)
        keep = u >= p  # P(keep) = 1 - p
        if alpha:
            # Alpha dropout keeps mean 0 and variance 1 of SELU activations: dropped units take
            # -alpha', then the affine map a * x + b restores the moments:
            # a = ((1 - p) (1 + p alpha'^2))^-1/2,  b = a alpha' p  (PyTorch's _dropout_impl)
            scale = 1.0 / np.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
            noise = keep.astype(a.dtype)
            offset = (noise - 1) * (_ALPHA_PRIME * scale) + _ALPHA_PRIME * scale * p
            noise *= a.dtype.type(scale)
            out = a * noise
            out += offset.astype(a.dtype, copy=False)
        else:
            noise = keep.astype(a.dtype)
            noise *= a.dtype.type(1.0 / (1.0 - p))  # inverted dropout: E[out] = x
            out = a * noise
        if ctx.needs_input_grad:
            ctx.noise = noise
        return out if out.dtype == a.dtype else out.astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * _make(ctx.noise), None, None, None


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _run(
    op: str,
    input: Tensor,
    p: float,
    training: bool,
    inplace: bool,
    feature: bool,
    alpha: bool,
    batched: bool = True,
) -> Tensor:
    """Dropout of ``input``. ``feature``: one draw per channel (dim 1; dim 0 when the input
    has no batch dimension, ``batched=False``), shared over the remaining dimensions."""
    if p == 0 or not training or input._data.size == 0:
        return input
    a = input._data
    if a.dtype.kind != "f" and a.dtype != _BF16:
        raise RuntimeError(
            f"{op}: expected a floating-point input, got {dt.from_numpy_dtype(a.dtype).name}; "
            f"convert it with .float()"
        )
    if not feature:
        noise_shape = a.shape
    else:
        lead = 2 if batched else 1
        if a.ndim < lead:
            raise RuntimeError(
                f"{op}: Feature dropout requires at least 2 dimensions in the input, got shape "
                f"{tuple(a.shape)}"
            )
        noise_shape = a.shape[:lead] + (1,) * (a.ndim - lead)
    if p == 1:
        # Everything dropped: PyTorch multiplies by zeros (so the gradient is zero too)
        return _inplace(input, _zeroed, op=op + "_") if inplace else _zeroed(input)
    if inplace:
        return _inplace(input, _Dropout.apply, p, noise_shape, alpha, op=op + "_")
    return _Dropout.apply(input, p, noise_shape, alpha)


def _zeroed(t: Tensor) -> Tensor:
    return t * 0.0


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Args:
        input: a float tensor of any shape.
        p: the probability of an element being zeroed, in ``[0, 1]``.
        training: apply dropout (``False``: return ``input`` itself).
        inplace: write the result into ``input``.

    Returns:
        A tensor of ``input``'s shape whose expectation is ``input``.

    Example:
        >>> ember.manual_seed(0)
        >>> F.dropout(ember.ones(6), 0.5)   # each element 0 or 2
    """
    _check_p(p)
    return _run("dropout", input, p, training, inplace, feature=False, alpha=False)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels: each ``(sample, channel)`` row of a ``(N, C, L)`` or ``(C, L)``
    input is zeroed with probability ``p``; the rest are scaled by ``1 / (1 - p)``."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
            f"dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            f"dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            f"inputs)."
        )
    return _run("dropout1d", input, p, training, inplace, True, False, batched=ndim == 3)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole feature maps of a ``(N, C, H, W)`` input with probability ``p`` (scaling
    the rest by ``1 / (1 - p)``).

    As in PyTorch, a 3-d input is treated as ``(N, C, L)`` (with a warning), and other ranks
    warn that they are deprecated.
    """
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            f"result in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that dropout2d exists to provide "
            f"channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            f"and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _run("dropout2d", input, p, training, inplace, feature=True, alpha=False)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole 3-d feature maps of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with
    probability ``p`` (scaling the rest by ``1 / (1 - p)``)."""
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will "
            f"result in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that dropout3d exists to provide "
            f"channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            f"and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _run("dropout3d", input, p, training, inplace, True, False, batched=ndim == 5)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for SELU networks: keeps the input's mean and variance (for zero-mean,
    unit-variance inputs). Dropped elements are set to SELU's saturation value, then an affine
    map restores the moments. Note that ``training`` defaults to False, as in PyTorch."""
    _check_p(p)
    return _run("alpha_dropout", input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """:func:`alpha_dropout` on whole channels (dim 1) of an ``(N, C, *)`` input."""
    _check_p(p)
    return _run("feature_alpha_dropout", input, p, training, inplace, feature=True, alpha=True)
