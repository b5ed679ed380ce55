"""The Functions behind ``ember.nn.functional``'s activations (see ``_activation.py`` for the
public functions and their documentation).

Each elementwise activation is one :class:`_Pointwise` Function: a fused NumPy/CuPy ``kernel``
for the forward, ``deriv`` (the derivative as an array, one fused expression) for the ordinary
backward, and ``derivative`` (the same derivative written in differentiable Ember ops), used
only when the backward itself is recorded (``create_graph=True``) so that gradients of gradients
work. Piecewise-linear activations (ReLU6, LeakyReLU, Hardtanh...) have a piecewise-constant
derivative, which is a constant for the second differentiation too, so they need no
``derivative``. ``_Softmax`` is the fused, max-shifted softmax/log-softmax whose backward reads
the saved output.

Half-precision inputs are computed in float32 and rounded once (PyTorch's CPU kernels also
compute in float32 "opmath").
"""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._special import _special
from ...ops._util import unbroadcast, xp_of
from ...ops.compare import clamp, where
from ...ops.unary import _Quiet, erf, exp, sigmoid, tanh
from ...ops.unary import abs as _abs

_BF16 = dt.bfloat16.np_dtype
_LOW = (np.dtype(np.float16), np.dtype(_BF16))
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
# Klambauer et al. (2017), "Self-Normalizing Neural Networks": the fixed point of mean 0, var 1
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _const(array) -> Tensor:
    """An array as a Tensor outside the graph (masks, piecewise-constant derivatives)."""
    return _make(array)


def _dtype_name(a) -> str:
    return dt.from_numpy_dtype(a.dtype).name


class _Pointwise(Function):
    """``y = f(x, *params)`` elementwise; see the module docstring.

    Subclasses define ``kernel(xp, a, *params)`` (the forward on an array), ``deriv(xp, a,
    out, *params)`` (dy/dx as an array) and, unless ``piecewise_linear``, ``derivative(x, out,
    *params)`` (dy/dx as a differentiable Tensor). ``saves`` names what the derivative reads.
    """

    op = ""
    int_ok = False  # integer inputs allowed (and kept): relu6, hardtanh, threshold
    piecewise_linear = False
    saves = "x"  # "x", "out" or "x,out"

    @classmethod
    def forward(cls, ctx, x, *params):
        a = x._data
        dtype = a.dtype
        if dtype.kind != "f" and dtype != _BF16:
            cls._refuse(a)
        work = a.astype(np.float32) if dtype in _LOW else a
        with _Quiet():  # exp overflow in a branch `where` discards is expected, not an error
            out = cls.kernel(xp_of(work), work, *params)
        if out.dtype != dtype:
            out = out.astype(dtype)
        if not ctx.needs_input_grad:
            return out
        out = _make(out)
        saves = cls.saves
        ctx.save_for_backward(x if "x" in saves else None, out if "out" in saves else None)
        ctx.params = params
        return out

    @classmethod
    def _refuse(cls, a) -> None:
        kind = a.dtype.kind
        if kind == "b" or kind == "c" or not cls.int_ok:
            raise NotImplementedError(
                f"{cls.op}: not implemented for {_dtype_name(a)} tensors; convert the input "
                f"with .float() first"
            )

    @classmethod
    def backward(cls, ctx, grad):
        x, out = ctx.saved_tensors
        params = ctx.params
        nones = (None,) * len(params)
        if STATE.enabled and not cls.piecewise_linear:
            # create_graph=True: the derivative must itself be differentiable in x
            return (grad * cls.derivative(x, out, *params),) + nones
        a = None if x is None else x._data
        o = None if out is None else out._data
        ref = a if a is not None else o
        low = ref.dtype in _LOW
        if low:
            a = None if a is None else a.astype(np.float32)
            o = None if o is None else o.astype(np.float32)
        with _Quiet():
            d = cls.deriv(xp_of(ref), a, o, *params)
        if STATE.enabled:  # piecewise linear under create_graph: linear in grad
            return (grad * _const(d.astype(ref.dtype) if low else d),) + nones
        g = grad._data * d
        return (_make(g.astype(ref.dtype) if g.dtype != ref.dtype else g),) + nones


# ---------------------------------------------------------------------------------------------
# Piecewise-linear activations
# ---------------------------------------------------------------------------------------------


class _Hardtanh(_Pointwise):
    op, int_ok, piecewise_linear = "hardtanh", True, True

    @staticmethod
    def kernel(xp, a, lo, hi):
        return xp.clip(a, lo, hi)  # NaN propagates, as in PyTorch

    @staticmethod
    def deriv(xp, a, out, lo, hi):
        # PyTorch's hardtanh_backward: zero at and beyond the bounds
        return (a > lo) & (a < hi)


class _Threshold(_Pointwise):
    op, int_ok, piecewise_linear = "threshold", True, True

    @staticmethod
    def kernel(xp, a, th, value):
        # `x <= threshold ? value : x`: written this way round so NaN is kept, as in PyTorch
        return xp.where(a <= th, xp.asarray(value).astype(a.dtype), a)

    @staticmethod
    def deriv(xp, a, out, th, value):
        return ~(a <= th)


class _LeakyReLU(_Pointwise):
    op, piecewise_linear = "leaky_relu", True

    @staticmethod
    def kernel(xp, a, slope):
        return xp.where(a > 0, a, a * slope)

    @staticmethod
    def deriv(xp, a, out, slope):
        return xp.where(a > 0, 1.0, slope).astype(a.dtype)


class _Hardsigmoid(_Pointwise):
    op, piecewise_linear = "hardsigmoid", True

    @staticmethod
    def kernel(xp, a):
        out = a / 6.0
        out += 0.5
        return xp.clip(out, 0.0, 1.0, out=out)  # relu6(x + 3) / 6

    @staticmethod
    def deriv(xp, a, out):
        return ((a > -3.0) & (a < 3.0)).astype(a.dtype) / 6.0


class _Softshrink(_Pointwise):
    op, piecewise_linear = "softshrink", True

    @staticmethod
    def kernel(xp, a, lambd):
        return a - xp.clip(a, -lambd, lambd)  # x - lambd, x + lambd or 0; NaN stays NaN

    @staticmethod
    def deriv(xp, a, out, lambd):
        return (a < -lambd) | (a > lambd)


class _Hardshrink(_Pointwise):
    op, piecewise_linear = "hardshrink", True

    @staticmethod
    def kernel(xp, a, lambd):
        return xp.where((a >= -lambd) & (a <= lambd), 0.0, a)

    @staticmethod
    def deriv(xp, a, out, lambd):
        return ~((a >= -lambd) & (a <= lambd))


# ---------------------------------------------------------------------------------------------
# Smooth activations
# ---------------------------------------------------------------------------------------------


def _sigmoid_array(xp, a):
    e = xp.exp(-a)  # overflow to inf for a << 0 gives the correct limit 0 below
    e += 1
    return xp.reciprocal(e, out=e)


def _softplus_array(xp, a):
    """``log(1 + e^a)`` without overflow: ``max(a, 0) + log1p(e^-|a|)``."""
    out = xp.log1p(xp.exp(-xp.abs(a)))
    out += xp.maximum(a, 0)
    return out


class _ELU(_Pointwise):
    """``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``: ELU, SELU and CELU."""

    op = "elu"

    @staticmethod
    def kernel(xp, a, alpha, scale, input_scale):
        neg = xp.expm1(xp.minimum(a, 0) * input_scale)  # min(): no overflow for large x
        neg *= alpha
        out = xp.where(a > 0, a, neg)
        if scale != 1:
            out *= scale
        return out

    @staticmethod
    def deriv(xp, a, out, alpha, scale, input_scale):
        neg = xp.exp(xp.minimum(a, 0) * input_scale)
        neg *= alpha * input_scale
        d = xp.where(a > 0, 1.0, neg)
        if scale != 1:
            d *= scale
        return d

    @staticmethod
    def derivative(x, out, alpha, scale, input_scale):
        # exp of clamp(x, max=0): the branch where() discards cannot overflow into 0 * inf
        neg = exp(clamp(x, max=0) * input_scale) * (alpha * input_scale)
        return where(_const(x._data > 0), 1.0, neg) * scale


class _GELU(_Pointwise):
    op = "gelu"

    @staticmethod
    def kernel(xp, a, approximate):
        if approximate == "tanh":
            # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (Hendrycks & Gimpel, 2016)
            t = a * a
            t *= _GELU_CUBIC
            t += 1
            t *= a
            t *= _SQRT_2_OVER_PI
            xp.tanh(t, out=t)
        else:
            # x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
            t = _special(xp, a * _SQRT1_2, "erf")
        t += 1
        t *= a
        t *= 0.5
        return t

    @staticmethod
    def deriv(xp, a, out, approximate):
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + _GELU_CUBIC * a * a * a)
            t = xp.tanh(inner)
            dinner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * a * a)
            return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * dinner
        # Phi(x) + x phi(x)
        cdf = _special(xp, a * _SQRT1_2, "erf")
        cdf += 1
        cdf *= 0.5
        return cdf + a * xp.exp(-0.5 * a * a) * _INV_SQRT_2PI

    @staticmethod
    def derivative(x, out, approximate):
        if approximate == "tanh":
            t = tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            dinner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner
        return 0.5 * (1 + erf(x * _SQRT1_2)) + x * exp(-0.5 * x * x) * _INV_SQRT_2PI


class _SiLU(_Pointwise):
    op = "silu"

    @staticmethod
    def kernel(xp, a):
        s = _sigmoid_array(xp, a)
        s *= a
        return s

    @staticmethod
    def deriv(xp, a, out):
        s = _sigmoid_array(xp, a)
        return s * (1 + a * (1 - s))  # d/dx x s(x) = s + x s (1 - s)

    @staticmethod
    def derivative(x, out):
        s = sigmoid(x)
        return s * (1 + x * (1 - s))


class _Mish(_Pointwise):
    op = "mish"

    @staticmethod
    def kernel(xp, a):
        t = xp.tanh(_softplus_array(xp, a))
        t *= a
        return t

    @staticmethod
    def deriv(xp, a, out):
        t = xp.tanh(_softplus_array(xp, a))
        return t + a * _sigmoid_array(xp, a) * (1 - t * t)  # softplus' = sigmoid

    @staticmethod
    def derivative(x, out):
        t = tanh(_Softplus.apply(x, 1.0, math.inf))
        return t + x * sigmoid(x) * (1 - t * t)


class _Hardswish(_Pointwise):
    op = "hardswish"

    @staticmethod
    def kernel(xp, a):
        out = xp.clip(a + 3.0, 0.0, 6.0)
        out *= a
        out /= 6.0
        return out

    @staticmethod
    def deriv(xp, a, out):
        # PyTorch's hardswish_backward: 0 up to -3, x/3 + 1/2 strictly between, 1 from 3 on
        return xp.where(a <= -3.0, 0.0, xp.where(a < 3.0, a / 3.0 + 0.5, 1.0))

    @staticmethod
    def derivative(x, out):
        a = x._data
        mid = (a > -3.0) & (a < 3.0)
        slope = _const(mid.astype(a.dtype) / 3.0)
        offset = _const(xp_of(a).where(mid, 0.5, a >= 3.0).astype(a.dtype))
        return x * slope + offset


class _Softplus(_Pointwise):
    op = "softplus"

    @staticmethod
    def kernel(xp, a, beta, threshold):
        bx = a * beta
        # above the threshold softplus is linear: PyTorch returns x itself there
        return xp.where(bx > threshold, a, _softplus_array(xp, bx) / beta)

    @staticmethod
    def deriv(xp, a, out, beta, threshold):
        bx = a * beta
        return xp.where(bx > threshold, 1.0, _sigmoid_array(xp, bx)).astype(a.dtype)

    @staticmethod
    def derivative(x, out, beta, threshold):
        return where(_const(x._data * beta > threshold), 1.0, sigmoid(x * beta))


class _LogSigmoid(_Pointwise):
    op = "logsigmoid"

    @staticmethod
    def kernel(xp, a):
        # log(1 / (1 + e^-x)) = min(x, 0) - log1p(e^-|x|): no overflow, no log(0)
        out = xp.minimum(a, 0)
        out -= xp.log1p(xp.exp(-xp.abs(a)))
        return out

    @staticmethod
    def deriv(xp, a, out):
        return _sigmoid_array(xp, -a)

    @staticmethod
    def derivative(x, out):
        return sigmoid(-x)


class _Softsign(_Pointwise):
    op = "softsign"

    @staticmethod
    def kernel(xp, a):
        return a / (1 + xp.abs(a))

    @staticmethod
    def deriv(xp, a, out):
        d = 1 + xp.abs(a)
        d *= d
        return xp.reciprocal(d, out=d)

    @staticmethod
    def derivative(x, out):
        d = 1 + _abs(x)
        return 1 / (d * d)


class _Tanhshrink(_Pointwise):
    op = "tanhshrink"

    @staticmethod
    def kernel(xp, a):
        return a - xp.tanh(a)

    @staticmethod
    def deriv(xp, a, out):
        t = xp.tanh(a)
        return t * t

    @staticmethod
    def derivative(x, out):
        t = tanh(x)
        return t * t


def _float_input(input: Tensor) -> Tensor:
    """Integer and bool tensors in the default float dtype (PyTorch's composites promote)."""
    if input._data.dtype.kind in "biu":
        return _make(input._data.astype(dt.get_default_dtype().np_dtype))
    return input


# ---------------------------------------------------------------------------------------------
# PReLU and RReLU: the slopes are a parameter, or random
# ---------------------------------------------------------------------------------------------


class _PReLU(Function):
    @staticmethod
    def forward(ctx, x, weight, shape):
        a = x._data
        w = weight._data.reshape(shape)
        out = xp_of(a).where(a > 0, a, w * a)
        ctx.save_for_backward(x, weight)
        ctx.shape = shape
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        positive = _const(x._data > 0)
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = where(positive, grad, grad * weight.reshape(ctx.shape))
        if ctx.needs_input_grad[1]:
            # d/dw (w x) = x on the negative side, summed over every dim but the channel one
            gw = unbroadcast(where(positive, 0.0, grad * x), ctx.shape).reshape(weight.shape)
        return gx, gw, None


class _RReLUTrain(Function):
    @staticmethod
    def forward(ctx, x, lower, upper, rng):
        from ...ops.random import _uniform01

        a = x._data
        xp = xp_of(a)
        slopes = _uniform01(rng, a.shape, np.float32 if a.dtype in _LOW else a.dtype)
        slopes *= upper - lower
        slopes += lower
        # PyTorch: x <= 0 gets a random slope r ~ U(lower, upper); the noise is 1 elsewhere
        noise = xp.where(a <= 0, slopes, 1.0).astype(a.dtype)
        ctx.noise = noise
        return a * noise

    @staticmethod
    def backward(ctx, grad):
        return grad * _const(ctx.noise), None, None, None


# ---------------------------------------------------------------------------------------------
# Softmax: max-shifted, fused, with the backward from the saved output
# ---------------------------------------------------------------------------------------------


class _Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis, log):
        a = x._data
        dtype = a.dtype
        if dtype in _LOW:
            a = a.astype(np.float32)
        xp = xp_of(a)
        with _Quiet():  # exp(-inf - -inf) = NaN for an all -inf row, as in PyTorch
            if a.size == 0:
                out = a.copy()
            else:
                # softmax(x) = softmax(x - max): the largest exponent is e^0 = 1, so exp can
                # neither overflow nor make the sum 0
                shifted = a - a.max(axis=axis, keepdims=True)
                if log:
                    # log_softmax = (x - max) - log(sum(exp(x - max))): never log of a
                    # rounded-to-zero probability
                    lse = xp.exp(shifted).sum(axis=axis, keepdims=True)
                    shifted -= xp.log(lse, out=lse)
                else:
                    xp.exp(shifted, out=shifted)
                    shifted /= shifted.sum(axis=axis, keepdims=True)
                out = shifted
        if out.dtype != dtype:
            out = out.astype(dtype)
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.save_for_backward(out)
            ctx.axis, ctx.log = axis, log
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        axis = ctx.axis
        if STATE.enabled:  # create_graph: the same formulas in differentiable Ember ops
            if ctx.log:
                return grad - exp(y) * grad.sum(axis, keepdim=True), None, None
            gy = grad * y
            return gy - y * gy.sum(axis, keepdim=True), None, None
        g, yd = grad._data, y._data
        dtype = yd.dtype
        if dtype in _LOW:
            g, yd = g.astype(np.float32), yd.astype(np.float32)
        xp = xp_of(yd)
        if ctx.log:  # d log_softmax: g - softmax * sum(g)
            out = g - xp.exp(yd) * g.sum(axis=axis, keepdims=True)
        else:  # d softmax: y * (g - sum(g * y))
            out = g * yd
            out -= yd * out.sum(axis=axis, keepdims=True)
        return _make(out.astype(dtype) if out.dtype != dtype else out), None, None
