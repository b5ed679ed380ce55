"""Binary arithmetic with broadcasting and PyTorch's type promotion: ``+ - * / ** // %`` and
their functions (``add``, ``sub``, ``mul``, ``div``, ``pow``, ``maximum``, ...) and in-place forms.

These are the hottest ops in any model, so each forward is a single NumPy/CuPy call on the
promoted operands, and shapes for un-broadcasting are only kept when a gradient is needed.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._device import is_writeable
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._quiet import quiet_off as _quiet_off
from ._quiet import quiet_on as _quiet_on
from ._util import binary_arrays, grad_for, inplace, register_methods, to_tensor_like, xp_of

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


def _default_float_if_int(x):
    if x.dtype.kind in "biu":
        return x.astype(dt.get_default_dtype().np_dtype)
    return x


def _operands_float(a, b, op):
    """Promoted operands, with integers promoted to the default float (true division etc.)."""
    x, y = binary_arrays(a, b, op)
    if isinstance(x, (int, float, bool)):
        return x, _default_float_if_int(y)
    if isinstance(y, (int, float, bool)):
        return _default_float_if_int(x), y
    return _default_float_if_int(x), _default_float_if_int(y)


def _broadcast_error(op, x, y):
    """PyTorch's message for operands that do not broadcast, naming the op and both shapes."""
    a, b = tuple(getattr(x, "shape", ())), tuple(getattr(y, "shape", ()))
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and 1 not in (da, db):
            dim = max(len(a), len(b)) - i
            return RuntimeError(
                f"{op}: The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {dim}; shapes {a} and {b} do not broadcast"
            )
    return RuntimeError(f"{op}: shapes {a} and {b} do not broadcast")


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = binary_arrays(a, b, "add")
        try:
            return x + y
        except ValueError:
            raise _broadcast_error("add", x, y) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.needs_input_grad
        return (grad_for(grad, ctx.inputs[0]) if a else None), (
            grad_for(grad, ctx.inputs[1]) if b else None
        )


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = binary_arrays(a, b, "sub")
        if getattr(x, "dtype", None) == np.bool_ or getattr(y, "dtype", None) == np.bool_:
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                "are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        try:
            return x - y
        except ValueError:
            raise _broadcast_error("sub", x, y) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.needs_input_grad
        return (grad_for(grad, ctx.inputs[0]) if a else None), (
            grad_for(-grad, ctx.inputs[1]) if b else None
        )


def _save_operands(ctx, a, b):
    """Keep both operands for backward: tensors as saved tensors, numbers as they are."""
    ctx.save_for_backward(*(t if isinstance(t, Tensor) else None for t in (a, b)))
    ctx.scalars = (a, b)


def _conj(v):
    """The complex conjugate of a tensor or number; real values unchanged (no copy)."""
    if isinstance(v, Tensor):
        return v.conj() if v._data.dtype.kind == "c" else v
    return v.conjugate() if isinstance(v, complex) else v


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = binary_arrays(a, b, "mul")
        _save_operands(ctx, a, b)
        try:
            return x * y
        except ValueError:
            raise _broadcast_error("mul", x, y) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        # conj: PyTorch's convention for complex gradients (a no-op on real values)
        need_a, need_b = ctx.needs_input_grad
        ga = grad_for(grad * _conj(b if b is not None else sb), a) if need_a else None
        gb = grad_for(grad * _conj(a if a is not None else sa), b) if need_b else None
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = _operands_float(a, b, "div")
        _save_operands(ctx, a, b)
        token = _quiet_on()
        try:
            return x / y
        except ValueError:
            raise _broadcast_error("div", x, y) from None
        finally:
            _quiet_off(token)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        den = b if b is not None else sb
        ga = grad_for(grad / _conj(den), a) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            num = a if a is not None else sa
            gb = grad_for(-grad * _conj(num / (den * den)), b)
        return ga, gb


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = binary_arrays(a, b, "pow")
        if isinstance(a, Tensor) and isinstance(y, int) and not isinstance(y, bool) and y < 0:
            if x.dtype.kind in "iu":
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        _save_operands(ctx, a, b)
        token = _quiet_on()
        try:
            out = x**y
        finally:
            _quiet_off(token)
        if ctx.needs_input_grad and ctx.needs_input_grad[1]:
            ctx.out = out
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        base = a if a is not None else sa
        exponent = b if b is not None else sb
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(exponent, (int, float)) and exponent == 0:
                ga = grad * 0
            else:
                ga = grad * exponent * pow(base, exponent - 1)
            ga = grad_for(ga, a)
        if ctx.needs_input_grad[1]:
            from .unary import log

            # d(a**b)/db = a**b * log(a); where a == 0 (and b >= 0) PyTorch uses 0.
            if isinstance(base, Tensor):
                safe = where_(base == 0, 1.0, base)
                term = pow(base, exponent) * log(safe)
            else:
                term = pow(base, exponent) * float(np.log(base)) if base != 0 else grad * 0
            gb = grad_for(grad * term, b)
        return ga, gb


def where_(cond, x, y):
    from .compare import where

    return where(cond, x, y)


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        if x._data.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -x._data

    @staticmethod
    def backward(ctx, grad):
        return -grad


class _Extremum(Function):
    """maximum/minimum: the gradient goes to the larger (smaller) input, split on ties."""

    ufunc = None

    @classmethod
    def forward(cls, ctx, a, b):
        x, y = binary_arrays(a, b, cls.__name__.lower())
        ctx.save_for_backward(a, b)
        return cls.ufunc(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        pick_a = _select(ctx, a, b)
        ties = (a == b).to(grad.dtype) * 0.5
        wa = pick_a.to(grad.dtype) + ties
        ga = grad_for(grad * wa, a) if ctx.needs_input_grad[0] else None
        gb = grad_for(grad * (1 - wa), b) if ctx.needs_input_grad[1] else None
        return ga, gb


def _select(ctx, a, b):
    return (a > b) if type(ctx) is Maximum else (a < b)


class Maximum(_Extremum):
    ufunc = staticmethod(lambda x, y: xp_of(x).maximum(x, y))


class Minimum(_Extremum):
    ufunc = staticmethod(lambda x, y: xp_of(x).minimum(x, y))


class _FExtremum(Function):
    """fmax/fmin: like maximum/minimum but a NaN loses to a number."""

    @classmethod
    def forward(cls, ctx, a, b):
        x, y = binary_arrays(a, b, cls.__name__.lower())
        ctx.save_for_backward(a, b)
        xp = xp_of(x)
        out = xp.fmax(x, y) if cls is Fmax else xp.fmin(x, y)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .compare import isnan

        a, b = ctx.saved_tensors
        better = (a >= b) if type(ctx) is Fmax else (a <= b)
        pick_a = (better | isnan(b)) & ~isnan(a)
        wa = pick_a.to(grad.dtype)
        ga = grad_for(grad * wa, a) if ctx.needs_input_grad[0] else None
        gb = grad_for(grad * (1 - wa), b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Fmax(_FExtremum):
    pass


class Fmin(_FExtremum):
    pass


class FloorDivide(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = binary_arrays(a, b, "floor_divide")
        token = _quiet_on()
        try:
            return x // y
        except ValueError:
            raise _broadcast_error("floor_divide", x, y) from None
        finally:
            _quiet_off(token)

    @staticmethod
    def backward(ctx, grad):
        return _zeros_for(ctx, grad)


def _zeros_for(ctx, grad):
    # floor division and rounding are piecewise constant: zero gradient almost everywhere
    return tuple(
        grad_for(grad * 0, t) if need else None
        for t, need in zip(ctx.inputs, ctx.needs_input_grad)
    )


class _Modulo(Function):
    """``a - q * b`` for a rounded quotient ``q``: its gradient is 1 for ``a`` and ``-q`` for
    ``b`` (``q`` is piecewise constant)."""

    ufunc = ""  # the array-module function computing the remainder

    @classmethod
    def forward(cls, ctx, a, b):
        x, y = binary_arrays(a, b, cls.ufunc)
        _save_operands(ctx, a, b)
        token = _quiet_on()
        try:
            return getattr(xp_of(x if hasattr(x, "dtype") else y), cls.ufunc)(x, y)
        finally:
            _quiet_off(token)

    @staticmethod
    def quotient(num, den):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        ga = grad_for(grad, a) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            num = a if a is not None else sa
            gb = grad_for(-grad * type(ctx).quotient(num, b), b)
        return ga, gb


class Remainder(_Modulo):
    """Python's modulo: the result has the divisor's sign (``torch.remainder``)."""

    ufunc = "remainder"
    quotient = staticmethod(lambda num, den: floor_divide(num, den))


class Fmod(_Modulo):
    """C's fmod: the result has the dividend's sign."""

    ufunc = "fmod"

    @staticmethod
    def quotient(num, den):
        from .unary import trunc

        return trunc(div(num, den))


class Atan2(Function):
    @staticmethod
    def forward(ctx, a, b):
        x, y = _operands_float(a, b, "atan2")
        ctx.save_for_backward(a, b)
        return xp_of(x).arctan2(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        den = a * a + b * b
        ga = grad_for(grad * b / den, a) if ctx.needs_input_grad[0] else None
        gb = grad_for(-grad * a / den, b) if ctx.needs_input_grad[1] else None
        return ga, gb


class LogAddExp(Function):
    base2 = False

    @classmethod
    def forward(cls, ctx, a, b):
        x, y = _operands_float(a, b, "logaddexp")
        ctx.save_for_backward(a, b)
        xp = xp_of(x)
        return xp.logaddexp2(x, y) if cls.base2 else xp.logaddexp(x, y)

    @staticmethod
    def backward(ctx, grad):
        from .unary import sigmoid

        a, b = ctx.saved_tensors
        scale = float(np.log(2.0)) if type(ctx).base2 else 1.0
        # d/da log(e^a + e^b) = sigmoid(a - b); base 2 rescales the difference
        wa = sigmoid((a - b) * scale)
        ga = grad_for(grad * wa, a) if ctx.needs_input_grad[0] else None
        gb = grad_for(grad * (1 - wa), b) if ctx.needs_input_grad[1] else None
        return ga, gb


class LogAddExp2(LogAddExp):
    base2 = True


def _keep_inputs(fn_cls):
    """Add, Sub and FloorDivide need only their inputs' shapes and dtypes in backward: keep the
    inputs (not saved tensors, so no version check) when recording."""
    original = fn_cls.forward

    def forward(ctx, a, b):
        if ctx.needs_input_grad:
            ctx.inputs = (a, b)
        return original(ctx, a, b)

    fn_cls.forward = staticmethod(forward)
    return fn_cls


for _cls in (Add, Sub, FloorDivide):
    _keep_inputs(_cls)


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
# In-place forms. Under no_grad (optimisers, initialisation) they write with ``out=`` and no
# temporary; otherwise they record their out-of-place twin (see ``_util.inplace``).
# ---------------------------------------------------------------------------------------------

_FAST_UFUNCS = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


def _fast_inplace(self, other, name):
    """The no-graph path of ``add_``/``sub_``/``mul_``/``div_``: one ufunc call with out=."""
    data = self._data
    other_requires = isinstance(other, Tensor) and other.requires_grad
    if STATE.enabled and (self.requires_grad or other_requires):
        return False
    if isinstance(other, Tensor):
        y = other._data
        if type(y) is not type(data) or y.dtype != data.dtype:
            return False
        if y.ndim > data.ndim or any(
            s != 1 and s != t for s, t in zip(y.shape[::-1], data.shape[::-1])
        ):
            return False
    elif isinstance(other, (int, float, bool)) and not isinstance(other, bool):
        y = other
        if data.dtype.kind in "biu" and (isinstance(other, float) or name == "div_"):
            return False
    else:
        return False
    if not is_writeable(data):
        return False
    ufunc = _FAST_UFUNCS[name]
    if type(data) is np.ndarray:
        ufunc(data, y, out=data)
    else:
        getattr(xp_of(data), ufunc.__name__)(data, y, out=data)
    counter = self._version_counter
    if counter is None:
        self._version_counter = [1]
    else:
        counter[0] += 1
    return True


def add_(self, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    if _fast_inplace(self, other, "add_"):
        return self
    return inplace(self, add, other, op="add_")


def sub_(self, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    if _fast_inplace(self, other, "sub_"):
        return self
    return inplace(self, sub, other, op="sub_")


def mul_(self, other):
    if _fast_inplace(self, other, "mul_"):
        return self
    return inplace(self, mul, other, op="mul_")


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and _fast_inplace(self, other, "div_"):
        return self
    return inplace(self, div, other, op="div_", rounding_mode=rounding_mode)


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


# The operators are the hottest calls in any model. Without a graph to record, a same-dtype
# tensor operand or a float scalar on a float tensor needs no promotion, so the operator computes
# the Function's forward inline (one ufunc call) instead of going through ``apply``.


def _no_grad_same_dtype(self, other):
    if STATE.enabled and self.requires_grad:
        return None
    cls = other.__class__
    if cls is Tensor:
        x, y = self._data, other._data
        same = x.dtype is y.dtype and type(x) is type(y)
        if same and not (STATE.enabled and other.requires_grad):
            return y
    elif (cls is float or cls is int) and self._data.dtype.kind == "f":
        return other
    return None


def __add__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None:
        try:
            return _make(self._data + y)
        except ValueError:
            raise _broadcast_error("add", self._data, y) from None
    return Add.apply(self, other)


def __radd__(self, other):
    return Add.apply(other, self)


def __sub__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None and self._data.dtype.kind != "b":
        try:
            return _make(self._data - y)
        except ValueError:
            raise _broadcast_error("sub", self._data, y) from None
    return Sub.apply(self, other)


def __rsub__(self, other):
    return Sub.apply(other, self)


def __mul__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None:
        try:
            return _make(self._data * y)
        except ValueError:
            raise _broadcast_error("mul", self._data, y) from None
    return Mul.apply(self, other)


def __rmul__(self, other):
    return Mul.apply(other, self)


def __truediv__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None and self._data.dtype.kind == "f":
        token = _quiet_on()
        try:
            return _make(self._data / y)
        except ValueError:
            raise _broadcast_error("div", self._data, y) from None
        finally:
            _quiet_off(token)
    return Div.apply(self, other)


def __rtruediv__(self, other):
    return Div.apply(other, self)


def __floordiv__(self, other):
    return FloorDivide.apply(self, other)


def __rfloordiv__(self, other):
    return FloorDivide.apply(other, self)


def __mod__(self, other):
    return Remainder.apply(self, other)


def __rmod__(self, other):
    return Remainder.apply(other, self)


def __pow__(self, other):
    return Pow.apply(self, other)


def __rpow__(self, other):
    return Pow.apply(other, self)


def __neg__(self):
    return Neg.apply(self)


def __pos__(self):
    return self


register_methods(
    add=add,
    sub=sub,
    subtract=sub,
    mul=mul,
    multiply=mul,
    div=div,
    divide=div,
    true_divide=true_divide,
    floor_divide=floor_divide,
    remainder=remainder,
    fmod=fmod,
    pow=pow,
    float_power=float_power,
    neg=neg,
    negative=neg,
    maximum=maximum,
    minimum=minimum,
    fmax=fmax,
    fmin=fmin,
    atan2=atan2,
    arctan2=atan2,
    hypot=hypot,
    logaddexp=logaddexp,
    logaddexp2=logaddexp2,
    copysign=copysign,
    xlogy=xlogy,
    lerp=lerp,
    addcmul=addcmul,
    addcdiv=addcdiv,
    add_=add_,
    sub_=sub_,
    subtract_=sub_,
    mul_=mul_,
    multiply_=mul_,
    div_=div_,
    divide_=div_,
    true_divide_=div_,
    floor_divide_=_inplace_of(floor_divide, "floor_divide_"),
    remainder_=_inplace_of(remainder, "remainder_"),
    fmod_=_inplace_of(fmod, "fmod_"),
    pow_=_inplace_of(pow, "pow_"),
    neg_=_inplace_of(neg, "neg_"),
    negative_=_inplace_of(neg, "negative_"),
    atan2_=_inplace_of(atan2, "atan2_"),
    hypot_=_inplace_of(hypot, "hypot_"),
    lerp_=_inplace_of(lerp, "lerp_"),
    addcmul_=_inplace_of(addcmul, "addcmul_"),
    addcdiv_=_inplace_of(addcdiv, "addcdiv_"),
    copysign_=_inplace_of(copysign, "copysign_"),
    xlogy_=_inplace_of(xlogy, "xlogy_"),
    __add__=__add__,
    __radd__=__radd__,
    __sub__=__sub__,
    __rsub__=__rsub__,
    __mul__=__mul__,
    __rmul__=__rmul__,
    __truediv__=__truediv__,
    __rtruediv__=__rtruediv__,
    __floordiv__=__floordiv__,
    __rfloordiv__=__rfloordiv__,
    __mod__=__mod__,
    __rmod__=__rmod__,
    __pow__=__pow__,
    __rpow__=__rpow__,
    __neg__=__neg__,
    __pos__=__pos__,
    __iadd__=add_,
    __isub__=sub_,
    __imul__=mul_,
    __itruediv__=div_,
    __ifloordiv__=_inplace_of(floor_divide, "floor_divide_"),
    __imod__=_inplace_of(remainder, "remainder_"),
    __ipow__=_inplace_of(pow, "pow_"),
)
