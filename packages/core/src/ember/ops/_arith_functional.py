"""The public binary-arithmetic functions of ``ember.ops.arith`` (``add``, ``sub``, ``mul``,
``div``, ``pow``, ``maximum``, ``hypot``, ``xlogy``, ``lerp``, ``addcmul``...): argument
handling (``alpha``, ``rounding_mode``, ``out=``) around the Functions of ``_arith_kernels``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ._arith_kernels import (
    Add,
    Atan2,
    Div,
    FloorDivide,
    Fmax,
    Fmin,
    Fmod,
    LogAddExp,
    LogAddExp2,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Remainder,
    Sub,
)
from ._util import to_tensor_like, xp_of

__all__ = [
    "add",
    "sub",
    "subtract",
    "rsub",
    "mul",
    "multiply",
    "div",
    "divide",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "pow",
    "float_power",
    "neg",
    "negative",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "atan2",
    "arctan2",
    "hypot",
    "logaddexp",
    "logaddexp2",
    "copysign",
    "xlogy",
    "lerp",
    "addcmul",
    "addcdiv",
]


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other``, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _out(Add.apply(input, other), out)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _out(Sub.apply(input, other), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    if alpha != 1:
        input = mul(input, alpha)
    return Sub.apply(other, input)


def mul(input, other, *, out=None):
    """Elementwise product, broadcasting."""
    return _out(Mul.apply(input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division (``rounding_mode=None``), or rounded with ``'trunc'``/``'floor'``."""
    if rounding_mode is None:
        return _out(Div.apply(input, other), out)
    if rounding_mode == "floor":
        if _is_integral(input, other):
            return _out(FloorDivide.apply(input, other), out)
        from .unary import floor

        return _out(floor(Div.apply(input, other)), out)
    if rounding_mode == "trunc":
        from .unary import trunc

        if _is_integral(input, other):
            from .convert import to_dtype

            result = trunc(Div.apply(input, other))
            dtype = dt.result_type(*(x for x in (input, other)))
            return _out(to_dtype(result, dtype), out)
        return _out(trunc(Div.apply(input, other)), out)
    raise ValueError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
        f"'{rounding_mode}'"
    )


divide = div


def true_divide(input, other):
    return Div.apply(input, other)


def _is_integral(*xs):
    for x in xs:
        if isinstance(x, Tensor):
            if x._data.dtype.kind not in "biu":
                return False
        elif isinstance(x, float):
            return False
    return True


def floor_divide(input, other):
    """``floor(input / other)``, in the promoted dtype."""
    return FloorDivide.apply(input, other)


def remainder(input, other):
    """Modulo with the sign of the divisor (Python's ``%``)."""
    return Remainder.apply(input, other)


def fmod(input, other):
    """Modulo with the sign of the dividend (C's ``fmod``)."""
    return Fmod.apply(input, other)


def pow(input, exponent):
    """``input ** exponent``; either may be a number."""
    return Pow.apply(input, exponent)


def float_power(input, exponent):
    """``pow`` computed in float64 (complex128 for complex inputs)."""
    from .convert import to_dtype

    def as64(x):
        if isinstance(x, Tensor):
            return to_dtype(x, np.complex128 if x.is_complex() else np.float64)
        return x

    return Pow.apply(as64(input), as64(exponent))


def neg(input):
    """``-input``."""
    return Neg.apply(input)


negative = neg


def _both_tensors(a, b):
    """Ops that save both operands for backward take Python numbers as 0-d tensors (which
    promote exactly like the numbers would)."""
    if not isinstance(a, Tensor):
        a = to_tensor_like(a, b)
    if not isinstance(b, Tensor):
        b = to_tensor_like(b, a)
    return a, b


def maximum(input, other):
    """Elementwise maximum (NaN propagates)."""
    return Maximum.apply(*_both_tensors(input, other))


def minimum(input, other):
    """Elementwise minimum (NaN propagates)."""
    return Minimum.apply(*_both_tensors(input, other))


def fmax(input, other):
    """Elementwise maximum where NaN loses to a number."""
    return Fmax.apply(*_both_tensors(input, other))


def fmin(input, other):
    """Elementwise minimum where NaN loses to a number."""
    return Fmin.apply(*_both_tensors(input, other))


def atan2(input, other):
    """The angle of the point ``(other, input)``: ``atan(input / other)`` by quadrant."""
    return Atan2.apply(*_both_tensors(input, other))


arctan2 = atan2


def hypot(input, other):
    """``sqrt(input**2 + other**2)``."""
    from .unary import sqrt

    return sqrt(input * input + other * other)


def logaddexp(input, other):
    """``log(exp(input) + exp(other))`` without overflow."""
    return LogAddExp.apply(*_both_tensors(input, other))


def logaddexp2(input, other):
    """``log2(2**input + 2**other)`` without overflow."""
    return LogAddExp2.apply(*_both_tensors(input, other))


def copysign(input, other):
    """``|input|`` with the sign of ``other`` (the sign bit, so -0.0 counts as negative)."""
    from .unary import abs as abs_

    other_t = other if isinstance(other, Tensor) else None
    if other_t is None:
        sign = -1.0 if np.signbit(other) else 1.0
        return abs_(input) * sign
    negative_ = _make(xp_of(other._data).signbit(other._data))
    from .compare import where

    magnitude = abs_(input)
    return where(negative_, -magnitude, magnitude)


def xlogy(input, other):
    """``input * log(other)``, and 0 where ``input`` is 0 (even if ``other`` is 0 or NaN...)."""
    from .compare import where
    from .unary import log

    x = input if isinstance(input, Tensor) else None
    y = other if isinstance(other, Tensor) else None
    ref = x if x is not None else y
    if y is None:
        y = _make(xp_of(ref._data).asarray(other, dtype=_float_np(ref)))
    if x is None:
        x = _make(xp_of(ref._data).asarray(input, dtype=_float_np(ref)))
    zero = x == 0
    safe_y = where(zero, 1.0, y)
    return where(zero & ~y.isnan(), 0.0, x * log(safe_y))


def _float_np(t):
    d = t._data.dtype
    return d if d.kind in "fc" else dt.get_default_dtype().np_dtype


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 * tensor2``."""
    prod = tensor1 * tensor2
    return input + (prod * value if value != 1 else prod)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """``input + value * tensor1 / tensor2``."""
    quot = tensor1 / tensor2
    return input + (quot * value if value != 1 else quot)


def _out(result, out):
    if out is None:
        return result
    from .convert import copy_

    if out.shape != result.shape:
        out._data = xp_of(result._data).empty(result._data.shape, dtype=out._data.dtype)
    return copy_(out, result)


# ---------------------------------------------------------------------------------------------
