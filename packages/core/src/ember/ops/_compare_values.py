"""Comparisons (``eq``... ``ge``, ``equal``, ``isclose``, ``allclose``), value
classification (``isnan``, ``isinf``, ``signbit``...) and the logical and bitwise ops (with
shifts) behind ``ember.ops.compare``. None of these is differentiable: they return bool or
integer tensors without a graph.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as dt
from .._device import is_cupy_array
from .._tensor import Tensor, _make
from ._util import binary_arrays, xp_of
from .unary import _Quiet, _write_out

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "not_equal",
    "equal",
    "allclose",
    "isclose",
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "isreal",
    "signbit",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_not",
    "bitwise_left_shift",
    "bitwise_right_shift",
]


_NUMBER = (int, float, bool, complex)
_OPERAND = (Tensor, *_NUMBER, np.ndarray, np.generic)
_BF16 = dt.bfloat16.np_dtype


def _is_operand(x) -> bool:
    """Whether an operator (``==``, ``&``...) should handle ``x``; for anything else it
    returns NotImplemented, so ``t == None`` is False and ``t < None`` a TypeError."""
    return isinstance(x, _OPERAND) or is_cupy_array(x)


def _array_of(x, y):
    """The array among two operands (one of them may be a Python number)."""
    return y if isinstance(x, _NUMBER) else x


_INT_RANGES: dict = {}


def _int_operand(v: int, dtype):
    """A Python int next to an integer array, wrapped into the array's dtype as PyTorch
    converts it (``uint8 == -1`` compares with 255, ``uint8 & -1`` is ``& 255``), where NumPy
    would compare exactly or raise. Returns a Python int in range (a weak scalar for NumPy)."""
    bounds = _INT_RANGES.get(dtype)
    if bounds is None:
        info = np.iinfo(dtype)
        bounds = _INT_RANGES[dtype] = (int(info.min), int(info.max), info.bits)
    low, high, bits = bounds
    if low <= v <= high:
        return v
    v %= 1 << bits
    return v - (1 << bits) if v > high else v


def _shape(x):
    return tuple(getattr(x, "shape", ()))


def _broadcast_error(op, x, y):
    return RuntimeError(
        f"{op}: the shapes {_shape(x)} and {_shape(y)} cannot be broadcast together "
        f"(sizes must match or be 1 in each trailing dimension)"
    )


def _call(op, fn, x, y):
    try:
        return fn(x, y)
    except ValueError:
        raise _broadcast_error(op, x, y) from None


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------


def _compare(a, b, op: str, ufunc: str, ordered: bool) -> Tensor:
    x, y = binary_arrays(a, b, op)
    arr = _array_of(x, y)
    if arr.dtype.kind in "iu":
        if type(y) is int:
            y = _int_operand(y, arr.dtype)
        elif type(x) is int:
            x = _int_operand(x, arr.dtype)
    if ordered and arr.dtype.kind == "c":
        raise NotImplementedError(
            f"{op}: ordering is not defined for complex tensors "
            f"({dt.from_numpy_dtype(arr.dtype).name}); compare .real or .abs() instead"
        )
    return _make(_call(op, getattr(xp_of(arr), ufunc), x, y))


def _comparison(name: str, ufunc: str, symbol: str, ordered: bool):
    def op(input: Tensor, other, *, out: Tensor | None = None) -> Tensor:
        result = _compare(input, other, name, ufunc, ordered)
        return result if out is None else _write_out(result, out)

    op.__name__ = op.__qualname__ = name
    op.__module__ = "ember.ops.compare"  # the public module (this file is a private part)
    op.__doc__ = (
        f"``input {symbol} other`` elementwise, as a bool tensor.\n\n"
        f"Args:\n    input: a tensor.\n    other: a tensor or a number; broadcast against "
        f"``input`` after PyTorch's type promotion.\n    out: optional tensor for the result.\n\n"
        f"Returns:\n    A bool tensor of the broadcast shape (never requires grad).\n\n"
        f"Example:\n    >>> ember.{name}(ember.tensor([1, 2, 3]), 2)\n"
        f"    tensor([{', '.join(f'{_SYMBOLS[symbol](v, 2)!s:>5}' for v in (1, 2, 3))}])"
    )
    return op


_SYMBOLS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}  # for the docstrings' examples

eq = _comparison("eq", "equal", "==", False)
ne = not_equal = _comparison("ne", "not_equal", "!=", False)
lt = less = _comparison("lt", "less", "<", True)
le = less_equal = _comparison("le", "less_equal", "<=", True)
gt = greater = _comparison("gt", "greater", ">", True)
ge = greater_equal = _comparison("ge", "greater_equal", ">=", True)


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether two tensors have the same shape and the same values (NaN is never equal).

    Args:
        input, other: tensors; their dtypes may differ (values are compared after promotion).

    Returns:
        A Python bool.

    Example:
        >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1.0, 2.0]))
        True
    """
    x, y = binary_arrays(input, other, "equal")
    if x.shape != y.shape:
        return False
    return bool(xp_of(x).array_equal(x, y))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise (equal infinities are close).

    Args:
        input, other: tensors of the same dtype, broadcast together.
        rtol, atol: relative and absolute tolerances (non-negative).
        equal_nan: whether two NaNs count as close.

    Returns:
        A bool tensor of the broadcast shape.
    """
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(
                f"isclose: {name} must be greater than or equal to zero, but got {value}"
            )
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError("isclose: input and other must both be tensors")
    x, y = input._data, other._data
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"isclose: input is {input.dtype.name} but other is {other.dtype.name}; cast one "
            f"with .to(other.dtype) first"
        )
    if type(x) is not type(y):
        binary_arrays(input, other, "isclose")  # raises the device-mismatch error
    xp = xp_of(x)
    with _Quiet():
        close = _call("isclose", xp.equal, x, y)
        if equal_nan and x.dtype.kind in "fcV":
            close = close | (xp.isnan(x) & xp.isnan(y))
        if rtol or atol:
            if x.dtype.kind in "biu":
                # in float64, so differences of unsigned or large integers cannot wrap around
                x, y = x.astype(np.float64), y.astype(np.float64)
            actual = xp.abs(x - y)
            close = close | (xp.isfinite(actual) & (actual <= atol + xp.abs(rtol * y)))
    return _make(close)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere; a Python bool. See :func:`isclose`."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


# ---------------------------------------------------------------------------------------------
# Classification of values
# ---------------------------------------------------------------------------------------------


def _classify(input: Tensor, fn) -> Tensor:
    a = input._data
    return _make(fn(xp_of(a), a))


def _no_complex(op: str, a) -> None:
    if a.dtype.kind == "c":
        raise RuntimeError(f"{op} does not support complex inputs.")


def isnan(input: Tensor) -> Tensor:
    """Where ``input`` is NaN (a bool tensor; always False for integers)."""
    return _classify(input, lambda xp, a: xp.isnan(a))


def isinf(input: Tensor) -> Tensor:
    """Where ``input`` is +inf or -inf (a bool tensor)."""
    return _classify(input, lambda xp, a: xp.isinf(a))


def isfinite(input: Tensor) -> Tensor:
    """Where ``input`` is neither infinite nor NaN (a bool tensor)."""
    return _classify(input, lambda xp, a: xp.isfinite(a))


def isposinf(input: Tensor) -> Tensor:
    """Where ``input`` is +inf (a bool tensor)."""
    _no_complex("isposinf", input._data)
    return _classify(input, lambda xp, a: xp.isinf(a) & (a > 0))


def isneginf(input: Tensor) -> Tensor:
    """Where ``input`` is -inf (a bool tensor)."""
    _no_complex("isneginf", input._data)
    return _classify(input, lambda xp, a: xp.isinf(a) & (a < 0))


def isreal(input: Tensor) -> Tensor:
    """Where ``input`` has no imaginary part (all True for real dtypes)."""
    return _classify(
        input, lambda xp, a: a.imag == 0 if a.dtype.kind == "c" else xp.ones(a.shape, bool)
    )


def signbit(input: Tensor) -> Tensor:
    """Where the sign bit is set (True for -0.0 and negative numbers, as a bool tensor)."""
    a = input._data
    if a.dtype.kind == "c":
        raise RuntimeError("signbit: not implemented for complex tensors; use .real")
    if a.dtype.kind in "biu":
        return _make(a < 0)  # integers have no -0; unsigned and bool never have the bit
    return _make(xp_of(a).signbit(a))


# ---------------------------------------------------------------------------------------------
# Logical and bitwise ops
# ---------------------------------------------------------------------------------------------


def _operands(a, b, op: str):
    """Raw arrays (or Python numbers) of two operands, on one device, without promotion."""
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor) and type(x) is not type(y):
        binary_arrays(a, b, op)  # raises the device-mismatch error
    return x, y


def _logical(op: str, ufunc: str, doc: str):
    def fn(input: Tensor, other, *, out: Tensor | None = None) -> Tensor:
        x, y = _operands(input, other, op)
        arr = _array_of(x, y)
        result = _make(_call(op, getattr(xp_of(arr), ufunc), x, y))
        return result if out is None else _write_out(result, out)

    fn.__name__ = fn.__qualname__ = op
    fn.__module__ = "ember.ops.compare"  # the public module (this file is a private part)
    fn.__doc__ = (
        f"{doc}, elementwise: nonzero values count as True.\n\nArgs:\n    input: a tensor of "
        f"any dtype.\n    other: a tensor or number, broadcast against ``input``.\n    out: "
        f"optional tensor for the result.\n\nReturns:\n    A bool tensor of the broadcast shape."
    )
    return fn


logical_and = _logical("logical_and", "logical_and", "Logical AND")
logical_or = _logical("logical_or", "logical_or", "Logical OR")
logical_xor = _logical("logical_xor", "logical_xor", "Logical exclusive OR")


def logical_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Logical NOT elementwise (True where ``input`` is zero), as a bool tensor."""
    a = input._data
    result = _make(xp_of(a).logical_not(a))
    return result if out is None else _write_out(result, out)


def _require_integral(op: str, x) -> None:
    if isinstance(x, Tensor):
        if x._data.dtype.kind not in "biu":
            raise NotImplementedError(
                f"{op}: not implemented for {x.dtype.name} tensors; bitwise ops need integer "
                f"or bool tensors (cast with .int(), .long() or .bool())"
            )
    elif not isinstance(x, (bool, int)):
        raise NotImplementedError(
            f"{op}: not implemented for a {type(x).__name__} operand ({x!r}); bitwise ops "
            f"need integers or bools"
        )


def _bitwise_operands(a, b, op: str):
    _require_integral(op, a)
    _require_integral(op, b)
    x, y = binary_arrays(a, b, op)
    if type(x) is int:
        x = _int_operand(x, y.dtype)
    elif type(y) is int:
        y = _int_operand(y, x.dtype)
    return x, y


def _bitwise(op: str, ufunc: str, symbol: str):
    def fn(input, other, *, out: Tensor | None = None) -> Tensor:
        x, y = _bitwise_operands(input, other, op)
        result = _make(_call(op, getattr(xp_of(_array_of(x, y)), ufunc), x, y))
        return result if out is None else _write_out(result, out)

    fn.__name__ = fn.__qualname__ = op
    fn.__module__ = "ember.ops.compare"  # the public module (this file is a private part)
    fn.__doc__ = (
        f"``input {symbol} other`` bit by bit (logical for bool tensors).\n\nArgs:\n    input, "
        f"other: integer or bool tensors or Python ints/bools, broadcast together.\n    out: "
        f"optional tensor for the result.\n\nReturns:\n    A tensor of the promoted dtype.\n\n"
        f"Raises:\n    NotImplementedError: for float or complex operands."
    )
    return fn


bitwise_and = _bitwise("bitwise_and", "bitwise_and", "&")
bitwise_or = _bitwise("bitwise_or", "bitwise_or", "|")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor", "^")


def bitwise_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``~input``: bitwise NOT for integers, logical NOT for bools."""
    _require_integral("bitwise_not", input)
    a = input._data
    result = _make(xp_of(a).invert(a))
    return result if out is None else _write_out(result, out)


def _shift(input, other, op: str, left: bool) -> Tensor:
    if isinstance(other, int) and not isinstance(other, bool) and isinstance(input, Tensor):
        # a Python shift amount is used as it is (not wrapped into the tensor's dtype)
        _require_integral(op, input)
        x, s = input._data, other
    else:
        x, s = _bitwise_operands(input, other, op)
    arr = _array_of(x, s)
    xp = xp_of(arr)
    if arr.dtype == np.bool_:
        x, s = (v.astype(np.int64) if hasattr(v, "dtype") else v for v in (x, s))
    x_arr = _array_of(x, s)
    dtype = x_arr.dtype
    bits = dtype.itemsize * 8
    fill = 0 if left else xp.where(x < 0, -1, 0).astype(dtype) if dtype.kind == "i" else 0
    fn = xp.left_shift if left else xp.right_shift
    # PyTorch defines shifts by a negative amount or by the width or more: a left shift gives
    # 0, a right shift the sign fill (-1 or 0). C (and CuPy) leave them undefined.
    if isinstance(s, int):
        if 0 <= s < bits:
            return _make(fn(x, s))
        return _make(xp.broadcast_to(xp.asarray(fill, dtype=dtype), x.shape).copy())
    valid = (s >= 0) & (s < bits)
    shifted = _call(op, fn, x, xp.where(valid, s, 0).astype(s.dtype, copy=False))
    return _make(xp.where(valid, shifted, fill).astype(dtype, copy=False))


def bitwise_left_shift(input, other, *, out: Tensor | None = None) -> Tensor:
    """``input << other``: integer left shift (0 for shifts past the width or negative).

    Args:
        input, other: integer tensors or Python ints (at least one a tensor), broadcast.
        out: optional tensor for the result.

    Returns:
        A tensor of the promoted integer dtype.

    Example:
        >>> ember.tensor([1, 2]) << 2
        tensor([4, 8])
    """
    result = _shift(input, other, "bitwise_left_shift", True)
    return result if out is None else _write_out(result, out)


def bitwise_right_shift(input, other, *, out: Tensor | None = None) -> Tensor:
    """``input >> other``: arithmetic right shift (the sign fill past the width).

    Args:
        input, other: integer tensors or Python ints (at least one a tensor), broadcast.
        out: optional tensor for the result.

    Returns:
        A tensor of the promoted integer dtype.
    """
    result = _shift(input, other, "bitwise_right_shift", False)
    return result if out is None else _write_out(result, out)


# ---------------------------------------------------------------------------------------------
