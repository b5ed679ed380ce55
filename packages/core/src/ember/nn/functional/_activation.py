"""Activation functions of ``ember.nn.functional``: the ReLU family, the smooth units (ELU,
SELU, CELU, GELU, SiLU, Mish, Softplus...), the hard and shrink functions, PReLU/RReLU, GLU,
and the fused, numerically stable ``softmax`` / ``log_softmax`` / ``softmin``.

The Functions (fused forward kernels, array derivatives for the ordinary backward and Ember-op
derivatives for ``create_graph=True``) are in ``_activation_ops.py``; this module holds the
public functions: argument checks, ``inplace=`` handling and documentation.

As in PyTorch, the smooth activations refuse integer inputs, ``relu``/``relu6``/``hardtanh``/
``threshold`` keep integer dtypes, and the composites ``softsign``/``tanhshrink`` compute
integers in the default float dtype.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from ...amp.autocast_mode import cast_inputs
from ...ops._util import inplace as _inplace
from ...ops._util import normalize_dim, register_methods
from ...ops.unary import relu as _relu_op
from ...ops.unary import relu_, sigmoid, tanh
from ._activation_ops import (
    _BF16,
    _ELU,
    _GELU,
    SELU_ALPHA,
    SELU_SCALE,
    _dtype_name,
    _float_input,
    _Hardshrink,
    _Hardsigmoid,
    _Hardswish,
    _Hardtanh,
    _LeakyReLU,
    _LogSigmoid,
    _Mish,
    _PReLU,
    _RReLUTrain,
    _SiLU,
    _Softmax,
    _Softplus,
    _Softshrink,
    _Softsign,
    _Tanhshrink,
    _Threshold,
)

__all__ = [
    "threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
    "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_", "selu", "selu_",
    "celu", "celu_", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "softplus",
    "softsign", "tanhshrink", "softshrink", "hardshrink", "logsigmoid", "sigmoid", "tanh",
    "glu", "softmax", "log_softmax", "softmin", "gumbel_softmax",
]  # fmt: skip


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    # PyTorch's legacy rule for dim=None (deprecated there too, with this warning)
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        f"dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax(name: str, input: Tensor, dim, stacklevel: int, dtype, log: bool) -> Tensor:
    # autocast (CUDA's fp32 list; softmin is softmax(-x) there too). PyTorch skips the cast
    # when dtype= is given; casting first gives the same result (float16/bfloat16 -> float32
    # is exact, so the one rounding to dtype is unchanged)
    (input,) = cast_inputs("log_softmax" if log else "softmax", input)
    if dim is None:
        dim = _get_softmax_dim(name, input._data.ndim, stacklevel + 1)
    if dtype is not None:
        from ...ops.convert import to_dtype

        input = to_dtype(input, dt.to_dtype(dtype))  # differentiable: grads flow back cast
    a = input._data
    if a.dtype.kind != "f" and a.dtype != _BF16:
        raise NotImplementedError(
            f"{name}: not implemented for {_dtype_name(a)} tensors; pass dtype=ember.float32 "
            f"or convert the input with .float()"
        )
    axis = normalize_dim(int(dim), a.ndim, name)
    if a.ndim == 0:  # a 0-d tensor is one 1-element row
        return _Softmax.apply(input.reshape(1), 0, log).reshape(())
    return _Softmax.apply(input, axis, log)


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def _maybe_inplace(fn, input: Tensor, args, inplace_: bool, name: str) -> Tensor:
    if inplace_:
        return _inplace(input, fn.apply, *args, op=name + "_")
    return fn.apply(input, *args)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x if x > threshold else value``, elementwise.

    Args:
        input: any shape; integer inputs keep their dtype.
        threshold: the value to compare with.
        value: what replaces the elements ``<= threshold``.
        inplace: write the result into ``input``.

    Returns:
        A tensor of ``input``'s shape; the gradient is 1 above the threshold, else 0.

    Example:
        >>> F.threshold(ember.tensor([0.5, 2.0]), 1.0, -1.0)
        tensor([-1.,  2.])
    """
    return _maybe_inplace(_Threshold, input, (threshold, value), inplace, "threshold")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _maybe_inplace(_Threshold, input, (threshold, value), True, "threshold")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``: the rectified linear unit (``ember.relu``, one fused Function).

    Args:
        input: any shape; integer inputs keep their dtype.
        inplace: write the result into ``input``.

    Returns:
        A tensor of ``input``'s shape; the gradient is 1 where ``x > 0``, else 0.
    """
    return relu_(input) if inplace else _relu_op(input)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``clamp(x, min_val, max_val)`` with a gradient of 1 strictly inside the bounds.

    Args:
        input: any shape; integer inputs keep their dtype, bool is refused.
        min_val, max_val: the bounds (``min_val <= max_val``).
        inplace: write the result into ``input``.
    """
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val cannot be greater than max_val (got min_val={min_val}, "
            f"max_val={max_val})"
        )
    return _maybe_inplace(_Hardtanh, input, (min_val, max_val), inplace, "hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` (``hardtanh(x, 0, 6)``, as in PyTorch)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("relu6: bool inputs are not supported; convert with .float()")
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x``.

    Example:
        >>> F.leaky_relu(ember.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    return _maybe_inplace(_LeakyReLU, input, (negative_slope,), inplace, "leaky_relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x if x > 0 else weight * x`` with a learnable slope per channel (dim 1).

    Args:
        input: ``(N, C, *)`` (the channel is dim 1); 0-d and 1-d inputs take one slope.
        weight: 0-d or 1-d, of size 1 (shared) or ``C``.

    Returns:
        A tensor of ``input``'s shape, differentiable in ``input`` and ``weight``.
    """
    input, weight = cast_inputs("prelu", input, weight)
    a, w = input._data, weight._data
    if w.ndim > 1:
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}"
        )
    if a.dtype != w.dtype:
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {_dtype_name(a)} and {_dtype_name(w)}; "
            f"convert the weight with .to(input.dtype)"
        )
    if a.dtype.kind != "f" and a.dtype != _BF16:
        raise NotImplementedError(f"prelu: not implemented for {_dtype_name(a)} tensors")
    channels = a.shape[1] if a.ndim >= 2 else 1
    if w.size != 1 and w.size != channels:
        raise RuntimeError(
            f"prelu: Mismatch of parameter numbers and input channel size. Found parameter "
            f"numbers = {w.size} and channel size = {channels} (input of shape {a.shape})."
        )
    shape = (w.size,) + (1,) * (a.ndim - 2) if w.size > 1 else ()
    return _PReLU.apply(input, weight, shape)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU (Xu et al., 2015).

    In training, each element ``x <= 0`` is multiplied by its own slope drawn from
    ``U(lower, upper)`` (Ember's generator: ``ember.manual_seed`` reproduces it); otherwise by
    the mean slope ``(lower + upper) / 2``.
    """
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ...ops.random import _rng

    a = input._data
    if a.dtype.kind != "f" and a.dtype != _BF16:
        raise NotImplementedError(f"rrelu: not implemented for {_dtype_name(a)} tensors")
    rng = _rng(None, input.device)
    if inplace:
        return _inplace(input, _RReLUTrain.apply, lower, upper, rng, op="rrelu_")
    return _RReLUTrain.apply(input, lower, upper, rng)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)`` (Clevert et al., 2015)."""
    return _maybe_inplace(_ELU, input, (alpha, 1.0, 1.0), inplace, "elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with ``alpha = 1.6732632423543772``, ``scale =
    1.0507009873554805`` (Klambauer et al., 2017)."""
    return _maybe_inplace(_ELU, input, (SELU_ALPHA, SELU_SCALE, 1.0), inplace, "selu")


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`` (Barron, 2017)."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(_ELU, input, (alpha, 1.0, 1.0 / alpha), inplace, "celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """The Gaussian error linear unit ``x * Phi(x)`` (one fused Function).

    Args:
        input: a float tensor.
        approximate: ``'none'`` (exact, through erf) or ``'tanh'``
            (``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``).

    Example:
        >>> F.gelu(ember.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"gelu: approximate argument must be either none or tanh (got {approximate!r})"
        )
    return _GELU.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish; one fused Function)."""
    return _maybe_inplace(_SiLU, input, (), inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    return _maybe_inplace(_Mish, input, (), inplace, "mish")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (Howard et al., 2019, MobileNetV3)."""
    return _maybe_inplace(_Hardswish, input, (), inplace, "hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return _maybe_inplace(_Hardsigmoid, input, (), inplace, "hardsigmoid")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, computed without overflow; ``x`` itself where
    ``beta * x > threshold`` (as PyTorch)."""
    return _Softplus.apply(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``; integer inputs are computed in the default float dtype."""
    return _Softsign.apply(_float_input(input))


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``; integer inputs are computed in the default float dtype."""
    return _Tanhshrink.apply(_float_input(input))


def _check_lambd(op: str, input: Tensor, lambd: float) -> None:
    if lambd < 0:
        raise RuntimeError(
            f"{op}: lambda must be in range [0, inf) for input dtype "
            f"{_dtype_name(input._data)}, but found {lambd}"
        )


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0 (``lambd >= 0``)."""
    _check_lambd("softshrink", input, lambd)
    return _Softshrink.apply(input, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    return _Hardshrink.apply(input, lambd)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for any ``x`` (no ``log(0)``)."""
    return _LogSigmoid.apply(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit ``a * sigmoid(b)``, where ``a, b`` are the halves of ``input``
    along ``dim`` (Dauphin et al., 2017).

    Shape:
        Input ``(*, 2n, *)``, output ``(*, n, *)`` (``dim`` halved).
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = normalize_dim(dim, len(shape), "glu")
    if shape[d] % 2:
        raise RuntimeError(
            f"glu: Halving dimension must be even, but dimension {d} is size {shape[d]} "
            f"(input of shape {tuple(shape)})"
        )
    a, b = input.chunk(2, d)
    return a * sigmoid(b)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed as ``exp(x - max)`` (never overflows).

    Args:
        input: a float tensor (or any tensor with ``dtype=``).
        dim: the dimension that sums to 1. ``None`` is deprecated (as in PyTorch): it warns
            and picks 0 for 0-, 1- and 3-d inputs, else 1.
        dtype: if given, ``input`` is cast to it first (e.g. float32 for a float16 input).

    Returns:
        A tensor of ``input``'s shape. The backward uses the saved output:
        ``y * (g - sum(g * y))``.

    Example:
        >>> F.softmax(ember.tensor([1.0, 1.0, 1e4]), dim=0)
        tensor([0., 0., 1.])
    """
    return _softmax("softmax", input, dim, _stacklevel, dtype, log=False)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``x - max - log(sum(exp(x - max)))`` along ``dim``: the log of :func:`softmax`, exact
    even where softmax rounds to 0. Arguments as :func:`softmax`; the backward is
    ``g - exp(y) * sum(g)``.

    Example:
        >>> F.log_softmax(ember.tensor([0.0, -1e4]), dim=0)
        tensor([     0., -10000.])
    """
    return _softmax("log_softmax", input, dim, _stacklevel, dtype, log=True)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``; arguments as :func:`softmax`."""
    return _softmax("softmin", -input, dim, _stacklevel, dtype, log=False)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """Samples from the Gumbel-softmax distribution (Jang et al., 2016): ``softmax((logits +
    g) / tau)`` with ``g ~ Gumbel(0, 1)``. With ``hard=True`` the result is one-hot in the
    forward pass and the soft sample's gradient flows back (straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from ...ops.creation import empty_like, zeros_like

    gumbels = -empty_like(logits).exponential_().log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _softmax_method(self: Tensor, dim: int, dtype=None) -> Tensor:
    """``Tensor.softmax(dim, dtype=None)``: see :func:`ember.nn.functional.softmax`."""
    return _softmax("softmax", self, dim, 3, dtype, log=False)


def _log_softmax_method(self: Tensor, dim: int, dtype=None) -> Tensor:
    """``Tensor.log_softmax(dim, dtype=None)``: see :func:`ember.nn.functional.log_softmax`."""
    return _softmax("log_softmax", self, dim, 3, dtype, log=True)


register_methods(
    softmax=_softmax_method,
    log_softmax=_log_softmax_method,
    prelu=prelu,
    hardshrink=hardshrink,
)
