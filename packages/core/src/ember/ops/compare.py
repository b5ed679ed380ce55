"""Comparisons, logical and bitwise ops, ``where`` and ``clamp``.

Comparisons (``eq``... and the operators ``== != < <= > >=``) broadcast, promote their operands
by PyTorch's rules and return bool tensors outside the graph; ``equal`` and ``allclose`` return
Python bools. Logical ops accept any dtype (nonzero is True). Bitwise ops and ``& | ^ ~ << >>``
need integer or bool tensors. ``where`` and ``clamp`` are differentiable in their value
arguments. ``Tensor.__hash__`` stays identity-based although ``==`` is elementwise, so tensors
still work as dict keys and in sets (as in PyTorch).
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as dt
from .._device import is_cupy_array
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import binary_arrays, grad_for, inplace, register_methods, xp_of
from .unary import _const, _Quiet, _write_out

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge",
    "greater", "greater_equal", "less", "less_equal", "not_equal",
    "equal", "allclose", "isclose",
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift",
    "where", "clamp", "clip", "clamp_min", "clamp_max",
    "clamp_", "clip_", "clamp_min_", "clamp_max_", "heaviside",
]  # fmt: skip

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
    op.__module__ = __name__
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
    fn.__module__ = __name__
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
    fn.__module__ = __name__
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
# where, clamp, heaviside
# ---------------------------------------------------------------------------------------------


def _promoted(*values):
    """PyTorch's result dtype (a NumPy dtype) for where/clamp operands (None is skipped).
    The common cases (tensors of one dtype, Python numbers that cannot change it) are decided
    here without the general ``result_type``."""
    d = None
    for v in values:
        if isinstance(v, Tensor):
            if d is None:
                d = v._data.dtype
            elif v._data.dtype != d:
                return _general_promotion(values)
    if d is None:
        return _general_promotion(values)
    kind = d.kind
    for v in values:
        t = type(v)
        if t is float:
            if kind not in "fcV":  # V: bfloat16
                return _general_promotion(values)
        elif t is int:
            if kind == "b":
                return _general_promotion(values)
        elif not (v is None or t is bool or isinstance(v, Tensor)):
            return _general_promotion(values)
    return d


def _general_promotion(values):
    return dt.result_type(*(v for v in values if v is not None)).np_dtype


def _value_array(v, np_dtype, xp):
    """A ``where``/``clamp`` operand as an array of the result dtype (Python numbers become
    0-d arrays: bfloat16 arrays would otherwise meet them in float32)."""
    if isinstance(v, Tensor):
        data = v._data
        return data if data.dtype == np_dtype else data.astype(np_dtype)
    if type(v) is int and np_dtype.kind in "iu":
        v = _int_operand(v, np_dtype)
    return xp.asarray(v, dtype=np_dtype)


class _NoGraph:
    """The ``ctx`` for calling a Function's forward directly when nothing requires grad:
    it skips ``Function.apply`` (about half the cost of an op on a small tensor)."""

    needs_input_grad = ()


_NO_GRAPH = _NoGraph()


def _records(*args) -> bool:
    """Whether an op on ``args`` has to be recorded in the autograd graph."""
    return STATE.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)


class Where(Function):
    @staticmethod
    def forward(ctx, condition, input, other):
        c = condition._data
        if c.dtype != np.bool_:
            if c.dtype != np.uint8:
                raise RuntimeError(
                    f"where expected condition to be a boolean tensor, but got a tensor with "
                    f"dtype {condition.dtype.name}; compare first (e.g. x > 0) or use .bool()"
                )
            # PyTorch still accepts uint8 masks (with a deprecation warning); Ember accepts
            # them silently, as the warning has no action for the user beyond this cast.
            c = c.astype(np.bool_)
        xp = xp_of(c)
        target = _promoted(input, other)
        x = _value_array(input, target, xp)
        y = _value_array(other, target, xp)
        if ctx.needs_input_grad:
            ctx.save_for_backward(condition)
            ctx.inputs = (input, other)
        try:
            return xp.where(c, x, y)
        except ValueError:
            raise RuntimeError(
                f"where: the shapes of condition {tuple(c.shape)}, input {_shape(x)} and other "
                f"{_shape(y)} cannot be broadcast together"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        input, other = ctx.inputs
        _, need_input, need_other = ctx.needs_input_grad
        g_input = grad_for(Where.apply(condition, grad, 0.0), input) if need_input else None
        g_other = grad_for(Where.apply(condition, 0.0, grad), other) if need_other else None
        return None, g_input, g_other


def where(condition: Tensor, input=None, other=None) -> Tensor | tuple:
    """``input`` where ``condition`` is True, else ``other``.

    Args:
        condition: a bool tensor.
        input, other: tensors or numbers; all three broadcast together, and the result has
            the promoted dtype of ``input`` and ``other``.

    Returns:
        A tensor of the broadcast shape, differentiable in ``input`` and ``other``. With only
        ``condition``, the tuple of index tensors ``nonzero(condition, as_tuple=True)``.

    Example:
        >>> x = ember.tensor([-1.0, 2.0])
        >>> ember.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if input is None and other is None:
        from .index import nonzero

        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: expected both input and other, or neither (where(condition))")
    if _records(input, other):
        return Where.apply(condition, input, other)
    return _make(Where.forward(_NO_GRAPH, condition, input, other))


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, low, high):
        a = x._data
        if a.dtype.kind == "c":
            raise NotImplementedError(
                "clamp is not supported for complex types; clamp .real and .imag separately"
            )
        target = _promoted(x, low, high)
        if a.dtype != target:
            a = a.astype(target)
        xp = xp_of(a)
        # max then min, so a lower bound above the upper one gives the upper one (PyTorch);
        # NaN in the input or a bound propagates
        out = a
        if low is not None:
            out = _call("clamp", xp.maximum, out, _value_array(low, target, xp))
        if high is not None:
            out = _call("clamp", xp.minimum, out, _value_array(high, target, xp))
        if ctx.needs_input_grad:
            ctx.save_for_backward(*(v if isinstance(v, Tensor) else None for v in (x, low, high)))
            ctx.bounds = (low, high)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, low_t, high_t = ctx.saved_tensors
        low, high = ctx.bounds
        a = x._data
        above = True if low is None else a >= _bound_array(low_t, low)
        below = True if high is None else a <= _bound_array(high_t, high)
        need_x, need_low, need_high = ctx.needs_input_grad
        # PyTorch: the gradient passes where low <= x <= high (bounds included); a tensor
        # bound receives it where x is beyond that bound.
        g_x = grad_for(where(_const(above & below), grad, 0.0), x) if need_x else None
        g_low = grad_for(where(_const(~above), grad, 0.0), low_t) if need_low else None
        g_high = grad_for(where(_const(~below), grad, 0.0), high_t) if need_high else None
        return g_x, g_low, g_high


def _bound_array(tensor, value):
    return tensor._data if tensor is not None else value


def clamp(input: Tensor, min=None, max=None, *, out: Tensor | None = None) -> Tensor:
    """Limits ``input`` to ``[min, max]`` elementwise: ``minimum(maximum(input, min), max)``.

    Args:
        input: a real tensor.
        min, max: numbers or tensors (broadcast against ``input``), either may be None. The
            result has the promoted dtype (an int tensor clamped to 0.5 becomes float).
        out: optional tensor for the result.

    Returns:
        A tensor; the gradient flows to ``input`` where ``min <= input <= max`` and to a
        tensor bound where ``input`` lies beyond it.

    Example:
        >>> ember.clamp(ember.tensor([-2.0, 0.5, 3.0]), min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if _records(input, min, max):
        result = Clamp.apply(input, min, max)
    else:
        result = _make(Clamp.forward(_NO_GRAPH, input, min, max))
    return result if out is None else _write_out(result, out)


clip = clamp


def clamp_min(input: Tensor, min) -> Tensor:
    """``clamp(input, min=min)``."""
    return clamp(input, min, None)


def clamp_max(input: Tensor, max) -> Tensor:
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)


def clamp_(input: Tensor, min=None, max=None) -> Tensor:
    """In-place :func:`clamp`."""
    if min is None and max is None:
        raise RuntimeError("clamp_: At least one of 'min' or 'max' must not be None")
    return inplace(input, Clamp.apply, min, max, op="clamp_")


clip_ = clamp_


def clamp_min_(input: Tensor, min) -> Tensor:
    """In-place :func:`clamp_min`."""
    return inplace(input, Clamp.apply, min, None, op="clamp_min_")


def clamp_max_(input: Tensor, max) -> Tensor:
    """In-place :func:`clamp_max`."""
    return inplace(input, Clamp.apply, None, max, op="clamp_max_")


def heaviside(input: Tensor, values: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The Heaviside step: 0 where ``input < 0``, ``values`` where it is 0, 1 where ``> 0``.

    Args:
        input: a real tensor (NaN gives 0, as in PyTorch).
        values: a tensor of the same dtype, broadcast against ``input``.
        out: optional tensor for the result.

    Returns:
        A tensor of the broadcast shape and ``input``'s dtype (not differentiable).
    """
    if not isinstance(values, Tensor):
        raise TypeError(
            f"heaviside(): argument 'values' must be a Tensor, not {type(values).__name__}"
        )
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError(
            f"heaviside is not yet implemented for tensors with different dtypes "
            f"({input.dtype.name} and {values.dtype.name}); cast values with .to(input.dtype)"
        )
    _no_complex("heaviside", x)
    xp = xp_of(x)
    try:
        result = xp.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)
    except ValueError:
        raise _broadcast_error("heaviside", x, v) from None
    result = _make(result)
    return result if out is None else _write_out(result, out)


# ---------------------------------------------------------------------------------------------
# In-place forms and operators
# ---------------------------------------------------------------------------------------------


class _Overwritten(Function):
    """Stands for a non-differentiable result (``x.eq_(y)``, ``x.logical_not_()``) written into
    a tensor of the graph: PyTorch gives such in-place ops a zero gradient."""

    @staticmethod
    def forward(ctx, t, result):
        return result._data

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


def _inplace_nondifferentiable(fn, name: str):
    def recorded(source, *args):
        result = fn(source, *args)
        if STATE.enabled and source.requires_grad:
            return _Overwritten.apply(source, result)
        return result

    def method(self, *args):
        return inplace(self, recorded, *args, op=name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"In-place version of :func:`ember.{fn.__name__}` (the result is cast to ``self``'s "
        f"dtype)."
    )
    return method


def _operator(fn):
    def method(self, other):
        return fn(self, other) if _is_operand(other) else NotImplemented

    return method


def _reflected(fn):
    def method(self, other):
        return fn(other, self) if _is_operand(other) else NotImplemented

    return method


def __invert__(self):
    if self._data.dtype.kind not in "biu":
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


def _register() -> None:
    methods = {
        name: globals()[name]
        for name in __all__
        if name not in ("where", "clamp_", "clip_", "clamp_min_", "clamp_max_")
    }
    no_inplace = ("equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "isposinf",
                  "isneginf", "isreal", "signbit", "clamp", "clip", "clamp_min", "clamp_max")
    in_place = {
        name + "_": _inplace_nondifferentiable(fn, name + "_")
        for name, fn in methods.items()
        if name not in no_inplace
    }
    register_methods(
        **methods,
        **in_place,
        where=lambda self, condition, other: where(condition, self, other),
        clamp_=clamp_,
        clip_=clamp_,
        clamp_min_=clamp_min_,
        clamp_max_=clamp_max_,
        __eq__=_operator(eq),
        __ne__=_operator(ne),
        __lt__=_operator(lt),
        __le__=_operator(le),
        __gt__=_operator(gt),
        __ge__=_operator(ge),
        __and__=_operator(bitwise_and),
        __or__=_operator(bitwise_or),
        __xor__=_operator(bitwise_xor),
        __lshift__=_operator(bitwise_left_shift),
        __rshift__=_operator(bitwise_right_shift),
        __rand__=_reflected(bitwise_and),
        __ror__=_reflected(bitwise_or),
        __rxor__=_reflected(bitwise_xor),
        __rlshift__=_reflected(bitwise_left_shift),
        __rrshift__=_reflected(bitwise_right_shift),
        __iand__=in_place["bitwise_and_"],
        __ior__=in_place["bitwise_or_"],
        __ixor__=in_place["bitwise_xor_"],
        __ilshift__=in_place["bitwise_left_shift_"],
        __irshift__=in_place["bitwise_right_shift_"],
        __invert__=__invert__,
    )


_register()
