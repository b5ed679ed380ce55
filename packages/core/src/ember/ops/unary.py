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
through the Hurwitz zeta function, a series/asymptotic I1) end this module, accurate to about
1e-15 relative in float64. On CuPy they call ``cupyx.scipy.special``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, _make_view
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
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
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


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
# Special functions (kernels at the end of the module)
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


# ---------------------------------------------------------------------------------------------
# Special-function kernels on raw float arrays. NumPy has none of them and SciPy is not a
# dependency of the core; on CuPy, cupyx.scipy.special provides them.
# ---------------------------------------------------------------------------------------------


def _special(xp, a, name, *args):
    if a.dtype.kind == "c":
        raise NotImplementedError(
            f"{_OP_NAMES.get(name, name)}: not implemented for complex tensors "
            f"({dt.from_numpy_dtype(a.dtype).name})"
        )
    if a.dtype.itemsize < 4:  # float16/bfloat16: computed in float32, cast back by forward
        a = a.astype(np.float32)
    if xp is not np:
        from cupyx.scipy import special as cupy_special  # imported only when CuPy is in use

        fn = getattr(cupy_special, name)
        return fn(*args, a) if name == "polygamma" else fn(a)
    return _KERNELS[name](np, a, *args)


_OP_NAMES = {"gammaln": "lgamma"}


def _horner(x, coeffs):
    """``c0 x^n + c1 x^(n-1) + ... + cn`` (coefficients highest degree first, at least two);
    updated in place, so a long polynomial allocates one array instead of two per term."""
    acc = x * coeffs[0]
    acc += coeffs[1]
    for c in coeffs[2:]:
        acc *= x
        acc += c
    return acc


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969): erf on |x| <= 0.46875, erfc * e^(x^2) on (0.46875, 4] and, in 1/x^2, beyond.
_CODY_A = (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2,
           3.77485237685302021e2, 3.20937758913846947e3)
_CODY_B = (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
           2.84423683343917062e3)
_CODY_C = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0,
           6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2,
           1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3)
_CODY_D = (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
           1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3,
           3.43936767414372164e3, 1.23033935480374942e3)
_CODY_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
           1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_CODY_Q = (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)


def _erf_pair(xp, x):
    """``(erf(x), erfc(x))``. Each of Cody's ranges is evaluated only on its own elements
    (boolean-mask gathers), which is ~10x faster than evaluating all three everywhere."""
    y = xp.abs(x)
    erf, erfc = xp.empty_like(x), xp.empty_like(x)
    inner = y <= 0.46875
    xi = x[inner]
    zi = xi * xi
    erf_inner = xi * _horner(zi, _CODY_A) / _horner(zi, _CODY_B)
    erf[inner], erfc[inner] = erf_inner, 1 - erf_inner
    outer = ~inner
    yo = y[outer]
    ratio = xp.empty_like(yo)
    mid = yo <= 4.0
    ym = yo[mid]
    ratio[mid] = _horner(ym, _CODY_C) / _horner(ym, _CODY_D)
    tail = ~mid
    yt = yo[tail]
    w = 1 / (yt * yt)
    ratio[tail] = (_INV_SQRT_PI - w * _horner(w, _CODY_P) / _horner(w, _CODY_Q)) / yt
    # e^(-y^2) as e^(-s^2) e^(-(y - s)(y + s)) with s = y cut to 1/16ths: s^2 is exact, so the
    # rounding error of y^2, which the exponential would amplify, never occurs (Cody)
    s = xp.trunc(yo * 16) / 16
    erfc_abs = xp.exp(-s * s) * xp.exp(-(yo - s) * (yo + s)) * ratio
    erfc_abs[yo >= 26.543] = 0  # underflow (Cody's xbig); also keeps inf - inf out
    negative = x[outer] < 0
    erf[outer] = xp.where(negative, erfc_abs - 1, 1 - erfc_abs)
    erfc[outer] = xp.where(negative, 2 - erfc_abs, erfc_abs)
    return erf, erfc


# Eigen's (and XLA's) fast float32 erf: x P(x^2) / Q(x^2) with x clamped to [-4, 4], beyond
# which erf is +-1 in float32. Within 7 float32 ulps (normal numbers), with no branches or
# exponentials: about 10x faster than Cody's ranges, which matters for GELU.
_ERF32_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
            -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
            -1.60960333262415e-02)
_ERF32_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
            -7.37332916720468e-03, -1.42647390514189e-02)


def _erf(xp, x):
    if x.dtype == np.float32:
        c = xp.clip(x, -4.0, 4.0)
        z = c * c
        return c * _horner(z, _ERF32_P) / _horner(z, _ERF32_Q)
    return _erf_pair(xp, x)[0]


def _erfc(xp, x):
    return _erf_pair(xp, x)[1]


# M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision:
# a starting point good to ~1e-7 inside float32's range, refined by Newton steps below.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erfinv(xp, y):
    t = xp.abs(y)
    w = -xp.log((1 - t) * (1 + t))
    central = w < 5
    a = t * xp.where(
        central,
        _horner(xp.where(central, w, 5.0) - 2.5, _GILES_CENTRAL),
        _horner(xp.sqrt(xp.where(central, 5.0, w)) - 3, _GILES_TAIL),
    )
    # Newton on erf(a) = t in the centre and on log erfc(a) = log(1 - t) in the tail, where
    # 1 - t is exact and log erfc is nearly linear in a (so convergence stays quadratic even
    # from the rough start Giles' float32 fit gives next to 1 - 2^-53). Four steps reach
    # float64 precision everywhere.
    tail = t > 0.5
    log_q = xp.log(1 - t)
    for _ in range(4):
        erf_a, erfc_a = _erf_pair(xp, a)
        slope = _TWO_OVER_SQRT_PI * xp.exp(-a * a)
        central_step = (erf_a - t) / slope
        tail_step = (log_q - xp.log(erfc_a)) * erfc_a / slope
        a = a - xp.where(tail, tail_step, central_step)
    return xp.copysign(xp.where(t == 1, np.inf, a), y)  # NaN for |y| > 1 comes from the log


# Bernoulli numbers B_2, B_4, ..., B_24 (exact fractions, numerator / denominator).
_BERNOULLI = ((1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510),
              (43867, 798), (-174611, 330), (854513, 138), (-236364091, 2730))
# Euler-Maclaurin tail of the Hurwitz zeta function: B_2j / (2j)!
_EM = tuple(p / q / math.factorial(2 * j + 2) for j, (p, q) in enumerate(_BERNOULLI))
# digamma's asymptotic series: psi(w) ~ log w - 1/(2w) - sum_j B_2j / (2j w^2j)
_PSI_ASYMPTOTIC = tuple(p / q / (2 * j + 2) for j, (p, q) in enumerate(_BERNOULLI[:8]))[::-1]


def _zeta(xp, s, q):
    """The Hurwitz zeta function ``sum_k (q + k)^-s`` for a number ``s > 1`` and ``q >= 0``:
    ten terms summed, the rest by Euler-Maclaurin from ``w = q + 10`` (as Cephes' ``zeta``)."""
    total = q**-s
    for k in range(1, 10):
        total = total + (q + k) ** -s
    w = q + 10
    b = w**-s
    total = total + w * b / (s - 1) + 0.5 * b
    rising = s  # s (s + 1) ... (s + 2j - 2)
    b = b / w
    inv_w2 = 1 / (w * w)
    for j, c in enumerate(_EM):
        total = total + c * rising * b
        rising = rising * (s + 2 * j + 1) * (s + 2 * j + 2)
        b = b * inv_w2
    return total


_EULER_GAMMA = 0.57721566490153286061
_PSI_ROOT = 1.4616321449683622  # the positive zero of digamma, rounded to float64
_PSI_AT_ROOT = -9.2412655217294275e-17  # digamma there (the rounding leaves a remainder)
_series_cache: dict = {}


def _taylor(name):
    """Taylor coefficients (highest order first) computed once from the zeta function:
    digamma about its positive root, psi(r + z) = psi(r) + sum_n (-1)^(n+1) zeta(n+1, r) z^n;
    lgamma about 1, lgamma(1 + t) = -gamma t + sum_k (-1)^k zeta(k) t^k / k."""
    if name not in _series_cache:
        if name == "digamma":
            r = np.array(_PSI_ROOT)
            coeffs = [(-1) ** (n + 1) * float(_zeta(np, n + 1, r)) for n in range(1, 30)]
        else:
            one = np.array(1.0)
            coeffs = [-_EULER_GAMMA]
            coeffs += [(-1) ** k * float(_zeta(np, k, one)) / k for k in range(2, 28)]
        _series_cache[name] = coeffs[::-1]
    return _series_cache[name]


def _digamma_nonnegative(xp, y):
    # psi(y) = psi(y + 10) - sum_{k<10} 1 / (y + k), then the asymptotic series at y + 10
    s = 1 / y
    for k in range(1, 10):
        s = s + 1 / (y + k)
    w = y + 10
    inv_w2 = 1 / (w * w)
    out = xp.log(w) - 0.5 / w - inv_w2 * _horner(inv_w2, _PSI_ASYMPTOTIC) - s
    # near the root the recurrence cancels to nothing: use the Taylor series there (as SciPy)
    z = y - _PSI_ROOT
    near = xp.abs(z) < 0.3
    if near.any():
        out = xp.where(near, z * _horner(z, _taylor("digamma")) + _PSI_AT_ROOT, out)
    return out


def _digamma(xp, x):
    negative = x < 0
    out = _digamma_nonnegative(xp, xp.where(negative, 1 - x, x))
    # reflection: psi(x) = psi(1 - x) - pi cot(pi x)
    out = xp.where(negative, out - math.pi * _cot_pi(xp, x), out)
    # poles: NaN at negative integers; at 0, -inf for +0 and +inf for -0 (1/y above)
    return xp.where(negative & (x == xp.round(x)), np.nan, out)


def _cot_pi(xp, x):
    """cot(pi x), with full relative precision near its poles (integers) and its zeros
    (half-integers): reduced by its period 1 to r in [-1/2, 1/2] (exactly), and past |r| = 1/4
    evaluated as tan(pi (1/2 - |r|)), whose argument is then exact too."""
    r = x - xp.round(x)
    a = xp.abs(r)
    c = xp.where(a <= 0.25, 1 / xp.tan(math.pi * a), xp.tan(math.pi * (0.5 - a)))
    return xp.copysign(c, r)


_cot_derivatives = {0: np.array([0.0, 1.0])}


def _cot_derivative(n):
    """Coefficients (lowest degree first) of P_n with d^n/dz^n cot z = P_n(cot z):
    P_0 = c and P_(k+1) = -(1 + c^2) P_k'(c), since cot' = -(1 + cot^2)."""
    if n not in _cot_derivatives:
        poly = np.polynomial.polynomial
        _cot_derivatives[n] = -poly.polymul([1.0, 0.0, 1.0], poly.polyder(_cot_derivative(n - 1)))
    return _cot_derivatives[n]


def _polygamma(xp, x, n):
    if n == 0:
        return _digamma(xp, x)
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for x >= 0; reflection below 0:
    # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot pi x)
    negative = x < 0
    sign = 1.0 if n % 2 else -1.0
    out = sign * math.factorial(n) * _zeta(xp, n + 1, xp.where(negative, 1 - x, x))
    coeffs = tuple(float(c) for c in _cot_derivative(n)[::-1])
    reflected = (-1) ** n * out - math.pi ** (n + 1) * _horner(_cot_pi(xp, x), coeffs)
    out = xp.where(negative, reflected, out)
    # poles at 0, -1, -2...: the limit from the right, (-1)^(n+1) inf (as PyTorch)
    return xp.where((x <= 0) & (x == xp.round(x)), sign * np.inf, out)


# Cephes lgam: Stirling's series for x >= 13, a rational function on [2, 3) otherwise.
_LGAM_STIRLING = (8.11614167470508450300e-4, -5.95061904284301438324e-4,
                  7.93650340457716943945e-4, -2.77777777730099687205e-3,
                  8.33333333333331927722e-2)
_LGAM_B = (-1.37825152569120859100e3, -3.88016315134637840924e4, -3.31612992738871184744e5,
           -1.16237097492762307383e6, -1.72173700820839662146e6, -8.53555664245765465627e5)
_LGAM_C = (1.0, -3.51815701436523470549e2, -1.70642106651881159223e4,
           -2.20528590553854454839e5, -1.13933444367982507207e6, -2.53252307177582951285e6,
           -2.01889141433532773231e6)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_PI = math.log(math.pi)


def _lgamma_from_half(xp, y):
    """lgamma for y >= 0.5."""
    big = y >= 13
    yb = xp.where(big, y, 13.0)
    stirling = (yb - 0.5) * xp.log(yb) - yb + _LOG_SQRT_2PI
    stirling = stirling + _horner(1 / (yb * yb), _LGAM_STIRLING) / yb
    # shift into [2, 3): Gamma(y) = (y-1)(y-2)...(y-n) Gamma(y-n), or Gamma(y+k) / (y...)
    ys = xp.where(big, 2.5, y)
    n = xp.floor(ys) - 2  # -2 ... 10
    z = xp.where(n == -1, 1 / ys, xp.where(n == -2, 1 / (ys * (ys + 1)), 1.0))
    for k in range(1, 11):
        z = xp.where(n >= k, z * (ys - k), z)
    t = ys - n - 2
    out = xp.where(big, stirling, xp.log(z) + t * _horner(t, _LGAM_B) / _horner(t, _LGAM_C))
    # the zeros at 1 and 2 would be lost to cancellation: Taylor series there, with
    # lgamma(2 + t) = lgamma(1 + t) + log1p(t)
    below = y < 1.5
    t = xp.where(below, y - 1, y - 2)
    near = xp.abs(t) < 0.2
    if near.any():
        series = t * _horner(t, _taylor("lgamma"))
        series = xp.where(below, series, series + xp.log1p(t)) + 0.0  # lgamma(1) is +0
        out = xp.where(near, series, out)
    return xp.where(y == np.inf, np.inf, out)


def _lgamma(xp, x):
    reflect = x < 0.5
    out = _lgamma_from_half(xp, xp.where(reflect, 1 - x, x))
    # reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); inf at the poles
    s = xp.abs(xp.sin(math.pi * (x - xp.round(x))))
    out = xp.where(reflect, _LOG_PI - xp.log(s) - out, out)
    return xp.where(xp.isinf(x), np.inf, out)


def _i1(xp, x):
    """The modified Bessel function I1: its power series (all terms positive, so no
    cancellation) up to |x| = 25, Hankel's asymptotic expansion beyond."""
    y = xp.abs(x)
    small = y <= 25
    h = xp.where(small, y, 0.0) / 2
    q = h * h
    term = total = h  # sum_k (y/2)^(2k+1) / (k! (k+1)!)
    for k in range(1, 46):
        term = term * q / (k * (k + 1))
        total = total + term
    yl = xp.where(small, 30.0, y)
    term = acc = 1.0  # sum_k (-1)^k prod_j (4 - (2j-1)^2) / (k! (8y)^k)
    for k in range(1, 31):
        term = term * ((2 * k - 1) ** 2 - 4) / (8 * k * yl)
        acc = acc + term
    asymptotic = xp.exp(yl) / xp.sqrt(2 * math.pi * yl) * acc
    value = xp.where(small, total, asymptotic)
    return xp.where(x < 0, -value, value)  # odd


_KERNELS = {
    "erf": _erf,
    "erfc": _erfc,
    "erfinv": _erfinv,
    "gammaln": _lgamma,
    "digamma": _digamma,
    "polygamma": _polygamma,
    "i0": lambda xp, a: xp.i0(a),
    "i1": _i1,
}

_register()
