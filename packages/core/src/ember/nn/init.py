"""``ember.nn.init``: in-place weight initialisation, with PyTorch's formulas and defaults.

Every function fills its tensor in place, outside autograd (as under ``no_grad``), and returns
it. Random ones draw from Ember's generator (``ember.manual_seed`` or ``generator=``).

Example:
    >>> w = ember.empty(256, 128)
    >>> nn.init.kaiming_uniform_(w, a=math.sqrt(5))   # nn.Linear's default
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..ops._util import xp_of

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


# -- helpers ---------------------------------------------------------------------------------


def _rng(tensor: Tensor, generator):
    from ..ops.random import _rng as rng_for

    return rng_for(generator, tensor.device)


def _write(tensor: Tensor, values) -> Tensor:
    """Store ``values`` (broadcast, cast to the tensor's dtype) into the tensor's own memory
    and bump its version, as an in-place op under no_grad does."""
    data = tensor._data
    xp = xp_of(data)
    if xp is not np and isinstance(values, np.ndarray):
        values = xp.asarray(values)  # drawn on the host: move to the tensor's device
    data[...] = values
    counter = tensor._version_counter
    if counter is None:
        tensor._version_counter = [1]
    else:
        counter[0] += 1
    return tensor


def _draw_dtype(tensor: Tensor):
    # Draw float32 directly for float32 (and half) tensors: a float64 draw of a 100M-element
    # weight costs twice the time and memory for digits that the cast throws away.
    return np.float64 if tensor._data.dtype == np.float64 else np.float32


def _uniform(tensor: Tensor, low: float, high: float, generator):
    r = _rng(tensor, generator).random(size=tensor._data.shape, dtype=_draw_dtype(tensor))
    r *= high - low
    r += low
    return r


def _normal(tensor: Tensor, mean: float, std: float, generator):
    z = _rng(tensor, generator).standard_normal(size=tensor._data.shape,
                                                dtype=_draw_dtype(tensor))
    z *= std
    z += mean
    return z


def _check_std(std: float, op: str) -> None:
    if std < 0:
        raise RuntimeError(f"{op}: normal expects std >= 0.0, but found std {std}")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation: the factor by which it shrinks the variance.

    ========================= ===================================
    nonlinearity              gain
    ========================= ===================================
    linear / conv / sigmoid   1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope**2))
    selu                      3/4
    ========================= ===================================

    Args:
        nonlinearity: the activation's name (the functional name, e.g. ``"conv2d"``).
        param: ``negative_slope`` for ``leaky_relu`` (default 0.01).

    Example:
        >>> nn.init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        # not the variance-preserving value: SNN's self-normalisation works better with 3/4
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight laid out as PyTorch's: (out, in, *kernel)."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    shape = tensor._data.shape
    receptive_field_size = math.prod(shape[2:])
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# -- plain distributions and constants -------------------------------------------------------


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from U(a, b)."""
    return _write(tensor, _uniform(tensor, a, b, generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with values drawn from N(mean, std²)."""
    _check_std(std, "normal_")
    return _write(tensor, _normal(tensor, mean, std, generator))


# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9):
# numpy has no erfinv, and PyTorch's trunc_normal_ is exactly erfinv of a uniform draw.
_PPF_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_PPF_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_PPF_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_PPF_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_PPF_LOW = 0.02425


def _poly(coeffs, x):
    out = coeffs[0]
    for c in coeffs[1:]:
        out = out * x + c
    return out


def _norm_ppf(p):
    """Φ⁻¹(p) elementwise for p in (0, 1) (±inf at the ends)."""
    xp = xp_of(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = p - 0.5
        r = q * q
        central = q * _poly(_PPF_A, r) / (_poly(_PPF_B, r) * r + 1.0)
        # tails: the same rational form in sqrt(-2 log p), mirrored for the upper tail
        tail_p = xp.minimum(p, 1.0 - p)
        t = xp.sqrt(-2.0 * xp.log(tail_p))
        tail = _poly(_PPF_C, t) / (_poly(_PPF_D, t) * t + 1.0)
        tail = xp.where(p < 0.5, tail, -tail)
    out = xp.where(xp.abs(q) <= 0.5 - _PPF_LOW, central, tail)
    # the rational forms give inf/inf at the ends
    return xp.where(p <= 0.0, -xp.inf, xp.where(p >= 1.0, xp.inf, out))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
) -> Tensor:
    """Fill with values from N(mean, std²) truncated to [a, b] (bounds in absolute units).

    As in PyTorch, by inverse transform: a uniform draw between Φ((a-mean)/std) and
    Φ((b-mean)/std) mapped through the normal quantile, so no draw is rejected.
    """

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    low, high = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    p = _uniform(tensor, low, high, generator)
    values = _norm_ppf(p) * std + mean
    xp = xp_of(values)
    return _write(tensor, xp.clip(values, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _write(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _write(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _write(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity (ones on the diagonal), preserving the identity of
    the inputs in linear layers."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor._data.shape
    return _write(tensor, xp_of(tensor._data).eye(rows, cols))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-d convolution weight with the Dirac delta: the convolution copies
    its input channels (per group) to the first output channels of each group.

    Args:
        tensor: the weight, shape (out_channels, in_channels / groups, *kernel).
        groups: the convolution's groups; ``out_channels`` must be divisible by it.
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tensor._data.shape
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = shape[0] // groups
    min_dim = min(out_per_group, shape[1])
    xp = xp_of(tensor._data)
    values = xp.zeros(shape, dtype=tensor._data.dtype)
    # all (group, d) pairs at once: output channel g*out_per_group + d reads input channel d
    d = xp.tile(xp.arange(min_dim), groups)
    out_ch = xp.repeat(xp.arange(groups) * out_per_group, min_dim) + d
    centre = tuple(s // 2 for s in shape[2:])
    values[(out_ch, d) + centre] = 1
    return _write(tensor, values)


# -- variance-scaling initialisations ---------------------------------------------------------


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio (2010): U(-bound, bound) with
    ``bound = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # a uniform on [-b, b] has std b / sqrt(3)
    return _write(tensor, _uniform(tensor, -bound, bound, generator))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std²) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _write(tensor, _normal(tensor, 0.0, std, generator))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in tensor._data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He et al. (2015): U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    Args:
        tensor: the weight (at least 2-d).
        a: the negative slope of the following leaky_relu (only used with ``leaky_relu``).
        mode: ``"fan_in"`` preserves the forward variance, ``"fan_out"`` the backward one.
        nonlinearity: the activation after this layer (``"relu"`` or ``"leaky_relu"``).
        generator: the random generator to draw from.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return _write(tensor, _uniform(tensor, -bound, bound, generator))


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator=None,
) -> Tensor:
    """He et al. (2015): N(0, std²) with ``std = gain / sqrt(fan)``; arguments as
    :func:`kaiming_uniform_`."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return _write(tensor, _normal(tensor, 0.0, std, generator))


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix (Saxe et al., 2013), scaled by ``gain``.

    The tensor is viewed as (rows, numel / rows). Q of the QR decomposition of a Gaussian
    matrix, with its columns' signs fixed by sign(diag(R)), is uniformly (Haar) distributed.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor._data.shape[0]
    cols = tensor._data.size // rows
    xp = xp_of(tensor._data)
    flat = xp.asarray(_rng(tensor, generator).standard_normal(size=(rows, cols)))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (gain * q).reshape(tensor._data.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill a 2-d tensor with N(0, std²) values and set ``ceil(sparsity * rows)`` random
    entries of every column to zero (Martens, 2010)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    _check_std(std, "sparse_")
    rows, cols = tensor._data.shape
    num_zeros = int(math.ceil(sparsity * rows))
    values = _normal(tensor, 0.0, std, generator)
    xp = xp_of(values)
    # an independent random permutation of the rows for every column, all at once
    perm = xp.argsort(_rng(tensor, generator).random(size=(rows, cols)), axis=0)
    values[perm[:num_zeros], xp.arange(cols)] = 0
    return _write(tensor, values)
