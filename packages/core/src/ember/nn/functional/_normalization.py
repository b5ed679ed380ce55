"""Normalisation: ``batch_norm``, ``instance_norm``, ``layer_norm``, ``group_norm``, ``rms_norm``
and ``local_response_norm``.

The first four are one fused op over different axes, ``_Normalize`` (in ``_normalize_op.py``,
with the table of axes); ``rms_norm`` and ``local_response_norm`` are composites of
differentiable ops.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...ops._util import xp_of
from ._normalize_op import _bump_version, _compute_dtype, _Normalize

__all__ = [
    "batch_norm",
    "instance_norm",
    "layer_norm",
    "group_norm",
    "rms_norm",
    "local_response_norm",
]


# ---------------------------------------------------------------------------------------------
# Input checks shared by the functions and the layers
# ---------------------------------------------------------------------------------------------


def _check_float(input: Tensor, op: str) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(
            f'"{op}" not implemented for {input.dtype.name!r}: pass a floating-point input '
            f"(e.g. input.float())"
        )


def _check_numel(t, name: str, c: int, op: str) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{op}: {name} should contain {c} elements not {t.numel()}")


def _verify_batch_size(shape, op: str) -> None:
    values = shape[0] * math.prod(shape[2:])
    if values == 1:
        raise ValueError(
            f"{op}: Expected more than 1 value per channel when training, got input size "
            f"{list(shape)}"
        )


def _running_update(running_mean, running_var, momentum, per_instance: bool):
    """The ``update`` callback of ``_Normalize``: exponential averages of the batch mean and
    the UNBIASED variance (``var * n / (n - 1)``), as PyTorch keeps them. For instance norm
    the per-instance statistics are averaged over the batch first, as PyTorch does."""

    def update(mean, var, n):
        unbiased = var * (n / (n - 1)) if n > 1 else var * float("nan")
        for t, value in ((running_mean, mean), (running_var, unbiased)):
            if t is None:
                continue
            c = t._data.shape[0]
            value = value.reshape(-1, c).mean(axis=0) if per_instance else value.reshape(c)
            data = t._data
            data *= 1.0 - momentum
            data += (momentum * value).astype(data.dtype, copy=False)
            _bump_version(t)

    return update


# ---------------------------------------------------------------------------------------------
# The functions
# ---------------------------------------------------------------------------------------------


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over the channel dimension (dimension 1) of ``input``.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel. In training the batch's
    mean and biased variance are used, and ``running_mean``/``running_var`` (when given) are
    updated in place: ``running = (1 - momentum) * running + momentum * batch_stat``, with the
    UNBIASED batch variance for ``running_var``. Otherwise the running statistics are used.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` buffers, or None (training only).
        weight, bias: optional ``(C,)`` affine parameters.
        training: use (and track) batch statistics.
        momentum: the running-average factor.
        eps: added to the variance.

    Returns:
        A tensor of ``input``'s shape.

    Example:
        >>> x = ember.randn(8, 3, 4, 4)
        >>> y = F.batch_norm(x, None, None, training=True)
        >>> y.mean(dim=(0, 2, 3))     # ~0 per channel
    """
    shape = input.shape
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected input of shape (N, C) or (N, C, *), got {tuple(shape)}"
        )
    _check_float(input, "batch_norm")
    if training:
        _verify_batch_size(shape, "batch_norm")
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    elif running_mean is None or running_var is None:
        name = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(
            f"batch_norm: {name} must be defined in evaluation mode (or pass training=True)"
        )
    c = shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_numel(t, name, c, "batch_norm")
    pshape = (c,) + (1,) * (input.ndim - 2)
    if training:
        axes = (0,) + tuple(range(2, input.ndim))
        update = None
        if running_mean is not None or running_var is not None:
            update = _running_update(running_mean, running_var, momentum, per_instance=False)
        return _Normalize.apply(input, weight, bias, axes, eps, pshape, None, update)
    stats = (running_mean._data.reshape(pshape), running_var._data.reshape(pshape))
    return _Normalize.apply(input, weight, bias, (), eps, pshape, stats, None)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation: each channel of each sample normalised over its spatial dims.

    With ``use_input_stats`` (default) the statistics of each ``(n, c)`` slice are used, and
    running statistics (when given) are updated with their average over the batch (unbiased
    variance), as PyTorch does; otherwise the running statistics are used.

    Args:
        input: ``(N, C, *)`` with at least one spatial dimension.
        running_mean, running_var: optional ``(C,)`` buffers.
        weight, bias: optional ``(C,)`` affine parameters.
        use_input_stats: normalise with the per-instance statistics.
        momentum, eps: as in :func:`batch_norm`.

    Example:
        >>> y = F.instance_norm(ember.randn(2, 3, 16))
        >>> y.shape
        ember.Size([2, 3, 16])
    """
    shape = input.shape
    if input.ndim < 3:
        raise ValueError(
            f"instance_norm: expected input of shape (N, C, *) with at least one spatial "
            f"dimension, got {tuple(shape)}"
        )
    _check_float(input, "instance_norm")
    c = shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_numel(t, name, c, "instance_norm")
    pshape = (c,) + (1,) * (input.ndim - 2)
    if use_input_stats:
        if math.prod(shape[2:]) == 1:
            raise ValueError(
                f"instance_norm: Expected more than 1 spatial element when training, got input "
                f"size {list(shape)}"
            )
        update = None
        if running_mean is not None or running_var is not None:
            update = _running_update(running_mean, running_var, momentum, per_instance=True)
        axes = tuple(range(2, input.ndim))
        return _Normalize.apply(input, weight, bias, axes, eps, pshape, None, update)
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "instance_norm: Expected running_mean and running_var to be defined when "
            "use_input_stats is false"
        )
    stats = (running_mean._data.reshape(pshape), running_var._data.reshape(pshape))
    return _Normalize.apply(input, weight, bias, (), eps, pshape, stats, None)


def _normalized_shape(normalized_shape) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_normalized(input, shape, weight, bias, op: str, star: str = "*, ") -> None:
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(
            f"{op}: Given normalized_shape={list(shape)}, expected input with shape "
            f"[{star}{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"{op}: Expected {name} to be of same shape as normalized_shape, but got "
                f"{name} of shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation over the last ``len(normalized_shape)`` dimensions.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the biased statistics of each
    sample's trailing ``normalized_shape`` block. One fused op (transformers call it a lot).

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: an int or a sequence of ints.
        weight, bias: optional tensors of shape ``normalized_shape``.
        eps: added to the variance.

    Example:
        >>> y = F.layer_norm(ember.randn(2, 5, 8), (8,))
        >>> y.mean(-1)      # ~0 for every (batch, position)
    """
    input, weight, bias = cast_inputs("layer_norm", input, weight, bias)
    shape = _normalized_shape(normalized_shape)
    _check_normalized(input, shape, weight, bias, "layer_norm")
    _check_float(input, "layer_norm")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    return _Normalize.apply(input, weight, bias, axes, eps, shape, None, None)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalisation: the channels split into ``num_groups`` groups, each normalised
    (per sample) over its channels and spatial positions, then a per-channel affine map.

    Args:
        input: ``(N, C, *)`` with ``C`` divisible by ``num_groups``.
        num_groups: the number of groups.
        weight, bias: optional ``(C,)`` affine parameters.
        eps: added to the variance.

    Example:
        >>> F.group_norm(ember.randn(2, 6, 4, 4), 3).shape
        ember.Size([2, 6, 4, 4])
    """
    input, weight, bias = cast_inputs("group_norm", input, weight, bias)
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: Expected at least 2 dimensions for input tensor but received "
            f"{input.ndim}"
        )
    shape = tuple(input.shape)
    n, c = shape[0], shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(
            f"group_norm: Expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {list(shape)} and num_groups={num_groups}"
        )
    for t in (weight, bias):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(
                f"group_norm: Expected weight to be a vector of size equal to the number of "
                f"channels in input, but got weight of shape {list(t.shape)} and input of "
                f"shape {list(shape)}"
            )
    _check_float(input, "group_norm")
    _verify_batch_size([n * c // num_groups, num_groups, *shape[2:]], "group_norm")
    groups = input.reshape(n, num_groups, c // num_groups, -1)
    pshape = (num_groups, c // num_groups, 1)
    out = _Normalize.apply(groups, weight, bias, (2, 3), eps, pshape, None, None)
    return out.reshape(shape)


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Root-mean-square normalisation: ``y = x / sqrt(mean(x**2) + eps) * weight`` over the
    last ``len(normalized_shape)`` dimensions (no centring, no bias).

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: an int or a sequence of ints.
        weight: optional tensor of shape ``normalized_shape``.
        eps: added to the mean square; None (default) uses ``finfo(input.dtype).eps``, as
            PyTorch does.

    Example:
        >>> F.rms_norm(ember.tensor([[3.0, 4.0]]), (2,))   # rms = sqrt(12.5)
        tensor([[0.8485, 1.1314]])
    """
    from ...ops.convert import to_dtype
    from ...ops.unary import rsqrt

    shape = _normalized_shape(normalized_shape)
    _check_normalized(input, shape, weight, None, "rms_norm", star="*")
    _check_float(input, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    # a composite of differentiable ops (gradients of every order for free); half precision is
    # computed in float32, as PyTorch does
    x = to_dtype(input, _compute_dtype(input._data.dtype))
    out = x * rsqrt((x * x).mean(dim=dims, keepdim=True) + eps)
    if weight is not None:
        out = out * weight
    return to_dtype(out, input._data.dtype)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Local response normalisation across channels (AlexNet)::

        y_c = x_c / (k + alpha / size * sum_{c' in window(c)} x_c'^2) ** beta

    The window spans ``size`` channels, ``size // 2`` before ``c`` and ``(size - 1) // 2``
    after it, zero-padded at the edges (PyTorch's convention).

    Args:
        input: ``(N, C, *)`` with at least 3 dimensions.
        size: the number of neighbouring channels summed.
        alpha, beta, k: the constants of the formula.

    Example:
        >>> F.local_response_norm(ember.ones(1, 3, 2, 2), size=2).shape
        ember.Size([1, 3, 2, 2])
    """
    from ...ops.join import cat

    if input.ndim < 3:
        raise ValueError(
            f"local_response_norm: Expected 3D or higher dimensionality input (got "
            f"{input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    xp = xp_of(sq._data)

    def zeros(channels):  # the zero padding of the channel window
        return _make(xp.zeros((input.shape[0], channels, *input.shape[2:]), sq._data.dtype))

    before, after = size // 2, (size - 1) // 2
    parts = ([zeros(before)] if before else []) + [sq] + ([zeros(after)] if after else [])
    padded = cat(parts, dim=1) if len(parts) > 1 else sq
    # a moving sum over ``size`` channel offsets (a loop over the window, not over data)
    window = padded.narrow(1, 0, c)
    for offset in range(1, size):
        window = window + padded.narrow(1, offset, c)
    div = (window * (alpha / size) + k) ** beta
    return input / div
