"""Elementwise math on one tensor: ``exp``, ``log``, ``sqrt``, the trigonometric and hyperbolic
functions, ``sigmoid``, ``erf``, ``lgamma``, rounding, ``abs``/``sign``, ``nan_to_num``, complex
parts... with their Tensor methods and in-place forms (``x.exp_()``).

Each op is one :class:`_Elementwise` Function: its ``kernel`` computes on the input's array
through ``xp`` (NumPy or CuPy) and its ``chain`` gives the vector-Jacobian product written with
Ember ops, so gradients of gradients come for free. As in PyTorch, integer and bool inputs of
the float functions (``exp``, ``sqrt``, ``sin``...) are computed in the default float dtype,
while ``abs``, ``sign``, the rounding ops, ``square`` and ``relu`` keep integer dtypes. For
complex inputs the gradient follows PyTorch's convention ``grad * conj(f'(z))``.

NumPy has no error function or gamma family, and the core does not depend on SciPy: their
kernels (Cody's erf/erfc, a Newton-refined erfinv, Cephes-style lgamma, digamma and polygamma
through the Hurwitz zeta function, a series/asymptotic I1) are in ``_special.py``, accurate to
about 1e-15 relative in float64. On CuPy they call ``cupyx.scipy.special``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, _make_view
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._special import _TWO_OVER_SQRT_PI, _special
from ._util import float_array, inplace, register_methods, xp_of

__all__ = [
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "sin", "cos", "tan", "asin", "arcsin", "acos", "arccos", "atan", "arctan",
    "sinh", "cosh", "tanh", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh",
    "sigmoid", "logit", "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "i0",
    "abs", "absolute", "sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac",
    "reciprocal", "relu", "relu_", "sinc", "deg2rad", "rad2deg", "nan_to_num",
    "conj", "real", "imag", "angle", "positive",
]  # fmt: skip

_BF16 = dt.bfloat16.np_dtype
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


# ---------------------------------------------------------------------------------------------
# Shared machinery
# ---------------------------------------------------------------------------------------------

from ._quiet import Quiet as _Quiet  # noqa: E402
from ._quiet import quiet_off as _quiet_off  # noqa: E402
from ._quiet import quiet_on as _quiet_on  # noqa: E402


def _is_float(a) -> bool:
    return a.dtype.kind == "f" or a.dtype == _BF16


def _conj(t: Tensor) -> Tensor:
    """``conj(t)`` for complex tensors, ``t`` itself otherwise (no op on the real path)."""
    return Conj.apply(t) if t._data.dtype.kind == "c" else t


def _const(array) -> Tensor:
    """An array as a Tensor outside the graph: masks and other piecewise-constant factors."""
    return _make(array)


def _zeros_like(t: Tensor) -> Tensor:
    return _make(xp_of(t._data).zeros_like(t._data))


def _refuse(op: str, a, kinds: str, what: str, fix: str = "") -> None:
    """NotImplementedError (a RuntimeError, as PyTorch raises) for unsupported input kinds."""
    if a.dtype.kind in kinds:
        name = dt.from_numpy_dtype(a.dtype).name
        raise NotImplementedError(f"{op}: not implemented for {what} tensors ({name}){fix}")


class _Elementwise(Function):
    """``y = f(x)`` elementwise, with ``dy/dx`` written in Ember ops.

    Subclasses define ``kernel(xp, a, *params)`` on the input's array, ``chain(grad, x, out,
    *params)`` (the vector-Jacobian product) and ``saves``, the values ``chain`` reads ("x",
    "out" or both), so an in-place change of a value the gradient does not need is allowed.
    """

    saves = "x"
    int_to_float = True  # integer/bool inputs are computed in the default float dtype
    quiet = True  # the kernel may hit 0/0, log(0), overflow: silence NumPy's warnings
    # Kernels of several NumPy operations run float16/bfloat16 inputs in float32 and round
    # once at the end, as PyTorch does (NumPy's own ufuncs already do so internally).
    upcast_half = False

    @staticmethod
    def kernel(xp, a, *params):
        raise NotImplementedError

    @staticmethod
    def chain(grad, x, out, *params):
        raise NotImplementedError

    @classmethod
    def compute(cls, x, *params):
        """The output array for input tensor ``x`` (no graph)."""
        a = float_array(x) if cls.int_to_float else x._data
        dtype = a.dtype
        floating = dtype.kind == "f" or dtype == _BF16
        if cls.upcast_half and floating and dtype.itemsize == 2:
            a = a.astype(np.float32)
        if cls.quiet:
            token = _quiet_on()  # the with-statement form costs twice as much
            try:
                out = cls.kernel(xp_of(a), a, *params)
            finally:
                _quiet_off(token)
        else:
            out = cls.kernel(xp_of(a), a, *params)
        if out.dtype != dtype and floating:
            # back from float32 (also: bfloat16 meets Python floats in float32, as ml_dtypes
            # has no weak scalars)
            out = out.astype(dtype)
        return out

    @classmethod
    def forward(cls, ctx, x, *params):
        out = cls.compute(x, *params)
        if not ctx.needs_input_grad:
            return out
        out = _make(out)
        saves = cls.saves
        ctx.save_for_backward(x if "x" in saves else None, out if "out" in saves else None)
        ctx.params = params
        return out

    @classmethod
    def backward(cls, ctx, grad):
        x, out = ctx.saved_tensors
        params = ctx.params
        with _Quiet():  # e.g. sqrt's gradient at 0 is grad / 0 = inf, silently (PyTorch)
            g = cls.chain(grad, x, out, *params)
        return (g,) + (None,) * len(params)


class _PiecewiseConstant(_Elementwise):
    """Rounding-like ops: integer inputs keep their dtype (a copy), the gradient is zero."""

    int_to_float = False
    quiet = False
    saves = ""
    op_name = ""  # for error messages (``Function.name()`` is the node's name)

    @classmethod
    def kernel(cls, xp, a, *params):
        _refuse(cls.op_name, a, "b", "bool")
        _refuse(cls.op_name, a, "c", "complex")
        if a.dtype.kind in "iu":
            return a.copy()
        return cls.float_kernel(xp, a, *params)

    @staticmethod
    def chain(grad, x, out, *params):
        return _zeros_like(grad)


def _ufunc(name):
    """A kernel that is one array-module function, e.g. ``_ufunc("exp")``."""
    return staticmethod(lambda xp, a: getattr(xp, name)(a))


# ---------------------------------------------------------------------------------------------
# Exponentials, logarithms, powers
# ---------------------------------------------------------------------------------------------


class Exp(_Elementwise):
    kernel, saves = _ufunc("exp"), "out"
    chain = staticmethod(lambda grad, x, out: grad * _conj(out))


class Exp2(_Elementwise):
    kernel, saves = _ufunc("exp2"), "out"
    chain = staticmethod(lambda grad, x, out: grad * _conj(out) * _LN2)


class Expm1(_Elementwise):
    kernel, saves = _ufunc("expm1"), "out"
    chain = staticmethod(lambda grad, x, out: grad * _conj(out + 1))


class Log(_Elementwise):
    kernel = _ufunc("log")
    chain = staticmethod(lambda grad, x, out: grad / _conj(x))


class Log2(_Elementwise):
    kernel = _ufunc("log2")
    chain = staticmethod(lambda grad, x, out: grad / (_conj(x) * _LN2))


class Log10(_Elementwise):
    kernel = _ufunc("log10")
    chain = staticmethod(lambda grad, x, out: grad / (_conj(x) * _LN10))


class Log1p(_Elementwise):
    kernel = _ufunc("log1p")
    chain = staticmethod(lambda grad, x, out: grad / _conj(x + 1))


class Sqrt(_Elementwise):
    kernel, saves = _ufunc("sqrt"), "out"
    chain = staticmethod(lambda grad, x, out: grad / (_conj(out) * 2))


class Rsqrt(_Elementwise):
    kernel, saves, upcast_half = staticmethod(lambda xp, a: 1 / xp.sqrt(a)), "out", True
    # d/dx x^(-1/2) = -x^(-3/2) / 2
    chain = staticmethod(lambda grad, x, out: grad * _conj(out * out * out) * -0.5)


class Square(_Elementwise):
    int_to_float, quiet = False, False

    @staticmethod
    def kernel(xp, a):
        if a.dtype == np.bool_:
            a = a.astype(np.int64)  # PyTorch: square(bool) is int64
        return a * a

    chain = staticmethod(lambda grad, x, out: grad * _conj(x) * 2)


class Reciprocal(_Elementwise):
    kernel, saves = _ufunc("reciprocal"), "out"
    chain = staticmethod(lambda grad, x, out: -grad * _conj(out * out))


# ---------------------------------------------------------------------------------------------
# Trigonometric and hyperbolic functions
# ---------------------------------------------------------------------------------------------


class Sin(_Elementwise):
    kernel = _ufunc("sin")
    chain = staticmethod(lambda grad, x, out: grad * _conj(cos(x)))


class Cos(_Elementwise):
    kernel = _ufunc("cos")
    chain = staticmethod(lambda grad, x, out: -grad * _conj(sin(x)))


class Tan(_Elementwise):
    kernel, saves = _ufunc("tan"), "out"
    chain = staticmethod(lambda grad, x, out: grad * _conj(out * out + 1))


class Asin(_Elementwise):
    kernel = _ufunc("arcsin")
    chain = staticmethod(lambda grad, x, out: grad / _conj(sqrt(1 - x * x)))


class Acos(_Elementwise):
    kernel = _ufunc("arccos")
    chain = staticmethod(lambda grad, x, out: -grad / _conj(sqrt(1 - x * x)))


class Atan(_Elementwise):
    kernel = _ufunc("arctan")
    chain = staticmethod(lambda grad, x, out: grad / _conj(x * x + 1))


class Sinh(_Elementwise):
    kernel = _ufunc("sinh")
    chain = staticmethod(lambda grad, x, out: grad * _conj(cosh(x)))


class Cosh(_Elementwise):
    kernel = _ufunc("cosh")
    chain = staticmethod(lambda grad, x, out: grad * _conj(sinh(x)))


class Tanh(_Elementwise):
    # np.tanh saturates to +-1 without overflow, so it is stable as it is
    kernel, saves = _ufunc("tanh"), "out"
    chain = staticmethod(lambda grad, x, out: grad * _conj(1 - out * out))


class Asinh(_Elementwise):
    kernel = _ufunc("arcsinh")
    chain = staticmethod(lambda grad, x, out: grad / _conj(sqrt(x * x + 1)))


class Acosh(_Elementwise):
    kernel = _ufunc("arccosh")
    chain = staticmethod(lambda grad, x, out: grad / _conj(sqrt(x * x - 1)))


class Atanh(_Elementwise):
    kernel = _ufunc("arctanh")
    chain = staticmethod(lambda grad, x, out: grad / _conj(1 - x * x))


class Sinc(_Elementwise):
    kernel, upcast_half = _ufunc("sinc"), True  # np.sinc would round pi * x to float16

    @staticmethod
    def chain(grad, x, out):
        # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0. The division
        # runs on a safe copy of x so no 0/0 reaches the graph (it would poison gradgrad).
        from .compare import where

        zero = _const(x._data == 0)
        safe = where(zero, 1.0, x)
        return grad * _conj(where(zero, 0.0, (cos(safe * math.pi) - sinc(safe)) / safe))


class Deg2rad(_Elementwise):
    kernel, quiet = staticmethod(lambda xp, a: a * (math.pi / 180)), False
    chain = staticmethod(lambda grad, x, out: grad * (math.pi / 180))


class Rad2deg(_Elementwise):
    kernel, quiet = staticmethod(lambda xp, a: a * (180 / math.pi)), False
    chain = staticmethod(lambda grad, x, out: grad * (180 / math.pi))


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------


class Sigmoid(_Elementwise):
    saves, upcast_half = "out", True

    @staticmethod
    def kernel(xp, a):
        # 1 / (1 + e^-x) in three passes. It is stable as it stands: for x << 0, e^-x is
        # large (1/(1+e) keeps full relative precision) or overflows to inf, whose result 0
        # is the correct limit; the overflow warning is silenced by _Quiet. Never NaN.
        e = xp.negative(a, out=xp.empty_like(a))  # one buffer (an array even for 0-d)
        xp.exp(e, out=e)
        e += 1
        return xp.reciprocal(e, out=e)

    chain = staticmethod(lambda grad, x, out: grad * _conj(out * (1 - out)))


class Logit(_Elementwise):
    upcast_half = True

    @staticmethod
    def kernel(xp, a, eps):
        if eps is not None:
            a = xp.clip(a, eps, 1 - eps)
        return xp.log(a / (1 - a))

    @staticmethod
    def chain(grad, x, out, eps):
        from .compare import where

        if eps is None:
            # PyTorch: NaN outside [0, 1] (where the forward is NaN too)
            return where(_const((x._data < 0) | (x._data > 1)), math.nan, grad / (x * (1 - x)))
        # zero where the input was clamped; the division runs on a safe stand-in there
        clamped = _const((x._data < eps) | (x._data > 1 - eps))
        safe = where(clamped, 0.5, x)
        return where(clamped, 0.0, grad / (safe * (1 - safe)))


class Relu(_Elementwise):
    int_to_float, quiet, saves = False, False, "out"

    @staticmethod
    def kernel(xp, a):
        if a.dtype == np.bool_:
            raise RuntimeError("relu: Boolean inputs not supported for relu; cast with .int()")
        _refuse("relu", a, "c", "complex")
        return xp.maximum(a, 0)  # NaN propagates, as in PyTorch

    @staticmethod
    def chain(grad, x, out):
        # the gradient at exactly 0 is 0 (PyTorch's convention)
        return grad * _const((out._data > 0).astype(grad._data.dtype))


# ---------------------------------------------------------------------------------------------
# Special functions (their kernels are in _special.py)
# ---------------------------------------------------------------------------------------------


class Erf(_Elementwise):
    kernel = staticmethod(lambda xp, a: _special(xp, a, "erf"))
    chain = staticmethod(lambda grad, x, out: grad * exp(-x * x) * _TWO_OVER_SQRT_PI)


class Erfc(_Elementwise):
    kernel = staticmethod(lambda xp, a: _special(xp, a, "erfc"))
    chain = staticmethod(lambda grad, x, out: grad * exp(-x * x) * -_TWO_OVER_SQRT_PI)


class Erfinv(_Elementwise):
    kernel, saves = staticmethod(lambda xp, a: _special(xp, a, "erfinv")), "out"
    # the inverse function's derivative: 1 / erf'(y) = sqrt(pi) / 2 * exp(y^2)
    chain = staticmethod(lambda grad, x, out: grad * exp(out * out) / _TWO_OVER_SQRT_PI)


class Lgamma(_Elementwise):
    kernel = staticmethod(lambda xp, a: _special(xp, a, "gammaln"))
    chain = staticmethod(lambda grad, x, out: grad * digamma(x))


class Digamma(_Elementwise):
    kernel = staticmethod(lambda xp, a: _special(xp, a, "digamma"))
    chain = staticmethod(lambda grad, x, out: grad * polygamma(1, x))


class Polygamma(_Elementwise):
    kernel = staticmethod(lambda xp, a, n: _special(xp, a, "polygamma", n))
    chain = staticmethod(lambda grad, x, out, n: grad * polygamma(n + 1, x))


class I0(_Elementwise):
    kernel = staticmethod(lambda xp, a: _special(xp, a, "i0"))
    chain = staticmethod(lambda grad, x, out: grad * _I1.apply(x))


class _I1(_Elementwise):
    """The modified Bessel function I1 = I0' (private: the gradient of ``i0``)."""

    kernel = staticmethod(lambda xp, a: _special(xp, a, "i1"))

    @staticmethod
    def chain(grad, x, out):
        # I1'(x) = I0(x) - I1(x) / x, and 1/2 at x = 0
        from .compare import where

        zero = _const(x._data == 0)
        safe = where(zero, 1.0, x)
        return grad * where(zero, 0.5, i0(safe) - _I1.apply(safe) / safe)


# ---------------------------------------------------------------------------------------------
# Sign, magnitude, rounding
# ---------------------------------------------------------------------------------------------


class Abs(_Elementwise):
    int_to_float, quiet = False, False

    @staticmethod
    def kernel(xp, a):
        _refuse("abs", a, "b", "bool")
        return xp.abs(a)

    @staticmethod
    def chain(grad, x, out):
        if x._data.dtype.kind == "c":
            return grad * sgn(x)  # PyTorch's abs_backward for complex inputs
        return grad * _const(_real_sign(xp_of(x._data), x._data))  # 0 at 0 (and at NaN)


def _real_sign(xp, a):
    # (a > 0) - (a < 0): PyTorch's sign, which gives 0 (not NaN) for NaN and +0 for -0
    dtype = np.float32 if a.dtype == _BF16 else a.dtype  # bfloat16 has no in-place loops
    out = (a > 0).astype(dtype)
    out -= a < 0
    return out if out.dtype == a.dtype else out.astype(a.dtype)


class Sign(_Elementwise):
    int_to_float, quiet = False, False

    @staticmethod
    def kernel(xp, a):
        if a.dtype.kind == "c":
            raise NotImplementedError(
                "sign: Unlike NumPy, sign is not intended to support complex numbers. Please "
                "use sgn instead."
            )
        if a.dtype == np.bool_:
            return a.copy()
        return _real_sign(xp, a)

    chain = staticmethod(lambda grad, x, out: _zeros_like(grad))


class Sgn(Sign):
    """``sign`` extended to complex numbers: ``z / |z|`` (0 at 0)."""

    quiet = True

    @staticmethod
    def kernel(xp, a):
        if a.dtype.kind != "c":
            return Sign.kernel(xp, a)
        magnitude = xp.abs(a)
        return xp.where(magnitude == 0, 0, a / magnitude)

    @staticmethod
    def chain(grad, x, out):
        if x._data.dtype.kind == "c":
            raise NotImplementedError(
                "sgn: the gradient for complex inputs is not implemented; use z / z.abs()"
            )
        return _zeros_like(grad)


class Floor(_PiecewiseConstant):
    op_name, float_kernel = "floor", _ufunc("floor")


class Ceil(_PiecewiseConstant):
    op_name, float_kernel = "ceil", _ufunc("ceil")


class Trunc(_PiecewiseConstant):
    op_name, float_kernel = "trunc", _ufunc("trunc")


class Round(_PiecewiseConstant):
    op_name = "round"

    @staticmethod
    def float_kernel(xp, a, decimals):
        # NumPy and PyTorch both round x * 10^d (or x / 10^-d) half to even, then scale back
        return xp.round(a, decimals) if decimals else xp.rint(a)


class Frac(_Elementwise):
    int_to_float = False  # quiet: inf - inf is NaN, without a warning

    @staticmethod
    def kernel(xp, a):
        _refuse("frac", a, "biuc", "integer, bool or complex", "; frac needs a float tensor")
        return a - xp.trunc(a)

    chain = staticmethod(lambda grad, x, out: grad)


class NanToNum(_Elementwise):
    int_to_float, quiet = False, False

    @staticmethod
    def kernel(xp, a, nan, posinf, neginf):
        if a.dtype.kind in "biu":
            return a.copy()
        info = dt.finfo(dt.from_numpy_dtype(a.dtype))
        posinf = info.max if posinf is None else posinf
        neginf = info.min if neginf is None else neginf
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def chain(grad, x, out, nan, posinf, neginf):
        # PyTorch: grad * isfinite(x); the replaced values are constants
        return grad * _const(xp_of(x._data).isfinite(x._data).astype(grad._data.dtype))


# ---------------------------------------------------------------------------------------------
# Complex numbers
# ---------------------------------------------------------------------------------------------


class Conj(Function):
    @staticmethod
    def forward(ctx, x):
        return xp_of(x._data).conj(x._data)

    @staticmethod
    def backward(ctx, grad):
        return _conj(grad)


class Real(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.dtype = x._data.dtype
        return _make_view(x._data.real, x)

    @staticmethod
    def backward(ctx, grad):
        from .convert import to_dtype

        return to_dtype(grad, ctx.dtype)  # the gradient of Re(z) is real: g + 0i


class Imag(Function):
    @staticmethod
    def forward(ctx, x):
        return _make_view(x._data.imag, x)

    @staticmethod
    def backward(ctx, grad):
        return grad * 1j  # d Im(z): the gradient lies along the imaginary axis


class Angle(_Elementwise):
    @staticmethod
    def kernel(xp, a):
        if a.dtype.kind == "c":
            return xp.angle(a)
        # PyTorch: pi for negative numbers, 0 otherwise (also for -0.0), NaN stays NaN
        return xp.where(a < 0, math.pi, xp.where(xp.isnan(a), a, 0)).astype(a.dtype)

    @staticmethod
    def chain(grad, x, out):
        from .compare import where

        if x._data.dtype.kind != "c":
            return _zeros_like(grad)
        # d angle: grad * i z / |z|^2 (PyTorch's angle_backward), 0 at z = 0
        zero = _const(x._data == 0)
        safe = where(zero, 1.0, x)
        return where(zero, 0.0, grad * safe / (abs(safe) * abs(safe)) * 1j)


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------

_FLOAT_NOTE = "integer and bool inputs are computed in the default float dtype"
_KEEP_NOTE = "integer inputs keep their dtype"


def _run(fn_cls, input, *params) -> Tensor:
    """``fn_cls.apply(input, *params)``; without a graph to record, the kernel runs directly,
    skipping the Function machinery (about half the cost of an op on a small tensor)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fn_cls.__name__.lower()}(): argument 'input' must be Tensor, not "
            f"{type(input).__name__}"
        )
    if input.requires_grad and STATE.enabled:
        return fn_cls.apply(input, *params)
    return _make(fn_cls.compute(input, *params))


def _public(name: str, fn_cls, maths: str, note: str = _FLOAT_NOTE, example: str = ""):
    """The public function ``name(input, *, out=None)`` for an elementwise Function."""

    def op(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        result = _run(fn_cls, input)
        return result if out is None else _write_out(result, out)

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (
        f"{maths}, elementwise.\n\n"
        f"Args:\n    input: the tensor ({note}).\n"
        f"    out: optional tensor to write the result into.\n\n"
        f"Returns:\n    A tensor of ``input``'s shape."
        + (f"\n\nExample:\n{example}" if example else "")
    )
    return op


def _write_out(result: Tensor, out: Tensor) -> Tensor:
    """PyTorch's ``out=``: ``out`` is resized if needed and receives the result."""
    from .convert import copy_

    if out._data.shape != result._data.shape:
        out._data = xp_of(result._data).empty(result._data.shape, dtype=out._data.dtype)
    return copy_(out, result)


exp = _public("exp", Exp, "The exponential ``e^x``",
              example="    >>> ember.exp(ember.tensor([0.0, 1.0]))\n    tensor([1.0000, 2.7183])")
exp2 = _public("exp2", Exp2, "``2^x``")
expm1 = _public("expm1", Expm1, "``e^x - 1``, accurate for small ``x``")
log = _public("log", Log, "The natural logarithm (``-inf`` at 0, NaN below)")
log2 = _public("log2", Log2, "The base-2 logarithm")
log10 = _public("log10", Log10, "The base-10 logarithm")
log1p = _public("log1p", Log1p, "``log(1 + x)``, accurate for small ``x``")
sqrt = _public("sqrt", Sqrt, "The square root (NaN for negative real inputs)")
rsqrt = _public("rsqrt", Rsqrt, "``1 / sqrt(x)``")
square = _public("square", Square, "``x * x``", "integer inputs keep their dtype, bool gives int64")
reciprocal = _public("reciprocal", Reciprocal, "``1 / x``")
sin = _public("sin", Sin, "The sine (radians)")
cos = _public("cos", Cos, "The cosine (radians)")
tan = _public("tan", Tan, "The tangent (radians)")
asin = arcsin = _public("asin", Asin, "The inverse sine (NaN outside [-1, 1])")
acos = arccos = _public("acos", Acos, "The inverse cosine (NaN outside [-1, 1])")
atan = arctan = _public("atan", Atan, "The inverse tangent")
sinh = _public("sinh", Sinh, "The hyperbolic sine")
cosh = _public("cosh", Cosh, "The hyperbolic cosine")
tanh = _public("tanh", Tanh, "The hyperbolic tangent (stable for any ``x``)")
asinh = arcsinh = _public("asinh", Asinh, "The inverse hyperbolic sine")
acosh = arccosh = _public("acosh", Acosh, "The inverse hyperbolic cosine (NaN below 1)")
atanh = arctanh = _public("atanh", Atanh, "The inverse hyperbolic tangent (+-inf at +-1)")
sigmoid = _public(
    "sigmoid", Sigmoid, "The logistic function ``1 / (1 + e^-x)``, without overflow for any x",
    example="    >>> ember.sigmoid(ember.tensor([-1000.0, 0.0, 1000.0]))\n"
            "    tensor([0.0000, 0.5000, 1.0000])",
)  # fmt: skip
erf = _public("erf", Erf, "The error function ``2/sqrt(pi) * integral_0^x e^(-t^2) dt``")
erfc = _public("erfc", Erfc, "The complementary error function ``1 - erf(x)`` (exact in the tail)")
erfinv = _public("erfinv", Erfinv, "The inverse error function (+-inf at +-1, NaN outside)")
lgamma = _public("lgamma", Lgamma, "``log|Gamma(x)|`` (``inf`` at 0 and negative integers)")
digamma = _public("digamma", Digamma, "The digamma function ``Gamma'(x) / Gamma(x)``")
i0 = _public("i0", I0, "The modified Bessel function of the first kind, order zero")
sinc = _public("sinc", Sinc, "The normalized sinc ``sin(pi x) / (pi x)`` (1 at 0)")
deg2rad = _public("deg2rad", Deg2rad, "Degrees to radians")
rad2deg = _public("rad2deg", Rad2deg, "Radians to degrees")
abs = absolute = _public(
    "abs", Abs, "The absolute value (the magnitude for complex inputs)", _KEEP_NOTE,
    example="    >>> ember.abs(ember.tensor([-2, 3]))\n    tensor([2, 3])",
)  # fmt: skip
sign = _public("sign", Sign, "-1, 0 or 1 by the sign (0 for NaN)", _KEEP_NOTE + ", bool stays bool")
sgn = _public("sgn", Sgn, "``sign`` for real inputs, ``z / |z|`` for complex ones", _KEEP_NOTE)
floor = _public("floor", Floor, "Rounding down", _KEEP_NOTE)
ceil = _public("ceil", Ceil, "Rounding up", _KEEP_NOTE)
trunc = fix = _public("trunc", Trunc, "Rounding toward zero", _KEEP_NOTE)
frac = _public("frac", Frac, "The fractional part ``x - trunc(x)``", "a float tensor")
angle = _public("angle", Angle, "The argument of complex numbers (pi for negative reals, else 0)")


def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:
    """Rounds half to even (``round(2.5) == 2``), to ``decimals`` decimal places.

    Args:
        input: the tensor; integer inputs keep their dtype (and need ``decimals=0``).
        decimals: digits after the point to keep; negative values round to tens, hundreds...
        out: optional tensor to write the result into.

    Returns:
        A tensor of ``input``'s shape and dtype.

    Example:
        >>> ember.round(ember.tensor([0.5, 1.5, 1.2345]), decimals=0)
        tensor([0., 2., 1.])
    """
    if decimals and input._data.dtype.kind in "biu":
        raise NotImplementedError(
            f"round: decimals={decimals} is not implemented for integer tensors "
            f"({input.dtype.name}); convert to float first"
        )
    result = _run(Round, input, int(decimals))
    return result if out is None else _write_out(result, out)


def logit(input: Tensor, eps: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """The log-odds ``log(p / (1 - p))``, the inverse of ``sigmoid``.

    Args:
        input: probabilities (integer inputs are computed in the default float dtype).
        eps: if given, ``input`` is first clamped to ``[eps, 1 - eps]`` (and the gradient is
            zero outside it); if None, values outside ``[0, 1]`` give NaN.
        out: optional tensor to write the result into.

    Returns:
        A tensor of ``input``'s shape.
    """
    result = _run(Logit, input, eps)
    return result if out is None else _write_out(result, out)


def polygamma(n: int, input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The ``n``-th derivative of ``digamma`` (``polygamma(0, x) == digamma(x)``).

    Args:
        n: the order, a non-negative integer.
        input: the tensor (integer inputs are computed in the default float dtype).
        out: optional tensor to write the result into.

    Returns:
        A tensor of ``input``'s shape; +-inf at the poles 0, -1, -2...
    """
    if int(n) != n or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n})")
    result = _run(Polygamma, input, int(n))
    return result if out is None else _write_out(result, out)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """Replaces NaN, +inf and -inf with finite numbers.

    Args:
        input: the tensor (integer inputs are returned as a copy).
        nan: the value for NaN.
        posinf, neginf: the values for +-inf; default the largest and smallest finite
            numbers of ``input``'s dtype.
        out: optional tensor to write the result into.

    Returns:
        A tensor of ``input``'s shape and dtype; the gradient is zero where ``input`` was not
        finite.
    """
    result = _run(NanToNum, input, nan, posinf, neginf)
    return result if out is None else _write_out(result, out)


def relu(input: Tensor) -> Tensor:
    """``max(x, 0)``: the rectified linear unit.

    Args:
        input: the tensor; integer inputs keep their dtype (bool is refused).

    Returns:
        A tensor of ``input``'s shape; the gradient is 1 where ``x > 0``, else 0 (also at 0).
    """
    return _run(Relu, input)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return inplace(input, relu, op="relu_")


def conj(input: Tensor) -> Tensor:
    """The complex conjugate; for real tensors ``input`` itself (as in PyTorch)."""
    return Conj.apply(input) if input._data.dtype.kind == "c" else input


def real(input: Tensor) -> Tensor:
    """The real part of a complex tensor as a view sharing its memory; a real tensor itself."""
    return Real.apply(input) if input._data.dtype.kind == "c" else input


def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor, as a view sharing its memory."""
    if input._data.dtype.kind != "c":
        raise RuntimeError(
            f"imag is not implemented for tensors with non-complex dtypes ({input.dtype.name})"
        )
    return Imag.apply(input)


def positive(input: Tensor) -> Tensor:
    """``+input``: the tensor itself (bool tensors are refused, as in PyTorch)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _inplace_method(fn, name: str):
    """``x.<name>(*args)``: ``fn`` written back into ``x`` (see ``_util.inplace``)."""

    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of :func:`ember.{fn.__name__}`."
    return method


def _register() -> None:
    methods = {
        name: globals()[name]
        for name in __all__
        if name not in ("polygamma", "relu_", "real", "imag")
    }
    in_place = {  # PyTorch has no conj_/angle_/positive_ (conj_physical_ is another op)
        name + "_": _inplace_method(fn, name + "_")
        for name, fn in methods.items()
        if name not in ("conj", "angle", "positive")
    }
    register_methods(
        **methods,
        **in_place,
        polygamma=lambda self, n: polygamma(n, self),
        polygamma_=lambda self, n: inplace(self, lambda t: polygamma(n, t), op="polygamma_"),
        real=property(real),  # attributes in PyTorch, not methods
        imag=property(imag),
        __abs__=abs,
    )


_register()
