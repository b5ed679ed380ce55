"""The autograd ``Function``s behind ``ember.ops.arith`` (``Add``, ``Sub``, ``Mul``, ``Div``,
``Pow``, ``Maximum``, ``Remainder``, ``Atan2``, ``LogAddExp``...): each forward is a single
NumPy/CuPy call on the promoted operands, each backward is written with differentiable Ember ops.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from ..autograd.function import Function
from ._quiet import quiet_off as _quiet_off
from ._quiet import quiet_on as _quiet_on
from ._util import binary_arrays, grad_for, xp_of

__all__: list[str] = []


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
        # ember's pow (the public function), not the builtin: as before the module split
        from ._arith_functional import pow

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

    @staticmethod
    def quotient(num, den):
        from ._arith_functional import floor_divide  # the public functions build on this module

        return floor_divide(num, den)


class Fmod(_Modulo):
    """C's fmod: the result has the dividend's sign."""

    ufunc = "fmod"

    @staticmethod
    def quotient(num, den):
        from ._arith_functional import div
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
