"""Integer, bit-level and special functions behind ``ember.ops.numeric_extra``: ``gcd``,
``lcm``, ``ldexp``, ``frexp``, ``nextafter``, the regularized incomplete gamma functions
(``igamma``, ``igammac``) and ``mvlgamma``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._numeric_calculus import _E, _as_float
from ._return_types import return_types
from ._special import _lgamma
from ._util import binary_arrays, xp_of

__all__ = [
    "gcd",
    "lcm",
    "ldexp",
    "frexp",
    "nextafter",
    "igamma",
    "igammac",
    "mvlgamma",
]


# ---------------------------------------------------------------------------------------------
# Integer and bit-level functions
# ---------------------------------------------------------------------------------------------


def _int_binary(input, other, op: str, fn):
    x, y = binary_arrays(input, other, op)
    for v in (x, y):
        kind = getattr(v, "dtype", np.dtype(np.int64)).kind
        if kind not in "iu":
            name = dt.from_numpy_dtype(v.dtype).name if hasattr(v, "dtype") else type(v).__name__
            raise NotImplementedError(
                f'"{op}_cpu" not implemented for \'{name}\'; {op} takes integer tensors'
            )
    return _make(getattr(xp_of(x if hasattr(x, "dtype") else y), fn)(x, y))


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise greatest common divisor of integer tensors (non-negative; ``gcd(0, 0) = 0``).

    Example:
        >>> ember.gcd(ember.tensor([4, 6]), ember.tensor([6, 9]))
        tensor([2, 3])
    """
    return _int_binary(input, other, "gcd", "gcd")


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise least common multiple of integer tensors (non-negative)."""
    return _int_binary(input, other, "lcm", "lcm")


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """``input * 2 ** other``; integer inputs give the default float dtype.

    Written as PyTorch does (``input * pow(2., other)``), so both inputs are differentiable.
    """
    E = _E()
    return E.mul(input, E.pow(2.0, other))


class Frexp(Function):
    @staticmethod
    def forward(ctx, x):
        data = x._data
        mantissa, exponent = xp_of(data).frexp(data)
        exponent = _make(exponent.astype(np.int32))
        ctx.mark_non_differentiable(exponent)
        ctx.scale = xp_of(data).ldexp(data.dtype.type(1), -exponent._data).astype(data.dtype)
        return _make(mantissa), exponent

    @staticmethod
    def backward(ctx, grad, _grad_exponent):
        return grad * _make(ctx.scale)  # d mantissa / dx = 2 ** -exponent (PyTorch's rule)


def frexp(input: Tensor):
    """Split floats into a mantissa in ``[0.5, 1)`` and an int32 power of two:
    ``input = mantissa * 2 ** exponent``.

    Returns:
        ``(mantissa, exponent)``. Example:
            >>> ember.frexp(ember.tensor([8.]))
            ember.return_types.frexp(mantissa=tensor([0.5000]), exponent=tensor([4], ...))
    """
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    cls = return_types.define("frexp", ("mantissa", "exponent"))
    return cls(*Frexp.apply(input))


class _NoDerivative(Function):
    """A float binary op PyTorch records but cannot differentiate (``nextafter``; ``igamma``
    with respect to ``input``): backward raises PyTorch's NotImplementedError."""

    @staticmethod
    def forward(ctx, a, b, name, kernel):
        x, y = _float_operands(a, b, name)
        ctx.name = name
        return kernel(x, y)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(f"the derivative for '{ctx.name}' is not implemented.")


def _float_operands(a, b, op):
    x, y = binary_arrays(a, b, op)
    for v in (x, y):
        if hasattr(v, "dtype") and v.dtype.kind != "f":
            raise NotImplementedError(
                f'"{op}_cpu" not implemented for \'{dt.from_numpy_dtype(v.dtype).name}\'; '
                f"{op} takes floating-point tensors"
            )
    return x, y


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next float after ``input`` towards ``other``, elementwise (not differentiable)."""
    return _NoDerivative.apply(input, other, "nextafter",
                               lambda x, y: xp_of(x).nextafter(x, y))


# ---------------------------------------------------------------------------------------------
# Regularized incomplete gamma functions
# ---------------------------------------------------------------------------------------------

_EPS = np.finfo(np.float64).eps
_TINY = 1e-300


def _gamma_prefactor(a, x):
    # x**a e**-x / Gamma(a), in logs to avoid overflow
    return np.exp(a * np.log(x) - x - _lgamma(np, a))


def _igamma_series(a, x):
    """P(a, x) by its power series (converges fast for x < a + 1). Numerical Recipes 6.2."""
    ap = a.copy()
    term = 1.0 / a
    total = term.copy()
    for _ in range(2000):  # iterations of the series, each over all elements
        ap += 1.0
        term = term * x / ap
        total += term
        if np.all(np.abs(term) < np.abs(total) * _EPS):
            break
    return total * _gamma_prefactor(a, x)


def _igammac_fraction(a, x):
    """Q(a, x) by Lentz's continued fraction (converges fast for x >= a + 1)."""
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 2000):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if np.all(np.abs(delta - 1.0) < _EPS):
            break
    return h * _gamma_prefactor(a, x)


def _igamma_kernel(a, x, upper: bool):
    """P(a, x) (or Q = 1 - P when ``upper``) for float arrays, with PyTorch's edge values."""
    xp = xp_of(a)
    dtype = np.result_type(a, x)
    a, x = xp.broadcast_arrays(a, x)
    if xp is not np:
        from cupyx.scipy import special as cupy_special  # only when CuPy is in use

        return (cupy_special.gammaincc if upper else cupy_special.gammainc)(a, x).astype(dtype)
    a = a.astype(np.float64)
    x = x.astype(np.float64)
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    series = ok & (x < a + 1)
    fraction = ok & ~series
    with np.errstate(all="ignore"):
        p = _igamma_series(a[series], x[series])
        q = _igammac_fraction(a[fraction], x[fraction])
    out[series] = 1.0 - p if upper else p
    out[fraction] = q if upper else 1.0 - q
    # PyTorch's edge values: P(a, 0) = 0, P(0, x > 0) = 1, P(a, inf) = 1, P(inf, x) = 0
    lower = np.select(
        [(a == 0) & (x > 0), (x == 0) & (a > 0), np.isposinf(x) & np.isfinite(a) & (a >= 0),
         np.isposinf(a) & np.isfinite(x) & (x >= 0)],
        [1.0, 0.0, 1.0, 0.0], np.nan)
    edge = ~ok & ~np.isnan(lower)
    out[edge] = (1.0 - lower[edge]) if upper else lower[edge]
    return out.astype(dtype)


class _IncompleteGamma(Function):
    @staticmethod
    def forward(ctx, a, x, upper):
        op = "igammac" if upper else "igamma"
        ya, yx = _float_operands(a, x, op)
        ctx.upper = upper
        ctx.save_for_backward(a, x)
        return _igamma_kernel(ya, yx, upper)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        need_a, need_x = ctx.needs_input_grad[:2]
        if need_a:
            op = "igammac" if ctx.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{op}: input' is not implemented.")
        E = _E()
        # dP/dx = x**(a-1) e**-x / Gamma(a); written with Ember ops so gradgrad works
        density = E.exp(E.xlogy(a - 1, x) - x - E.lgamma(a))
        from ._util import grad_for

        return None, grad_for(-grad * density if ctx.upper else grad * density, x), None


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function
    ``P(a, x) = 1/Gamma(a) * integral_0^x t**(a-1) e**-t dt`` with ``a = input``, ``x = other``.

    Differentiable with respect to ``other`` only (as in PyTorch). Example:
        >>> ember.igamma(ember.tensor([1.]), ember.tensor([2.]))  # 1 - e**-2
        tensor([0.8647])
    """
    return _IncompleteGamma.apply(input, other, False)


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``."""
    return _IncompleteGamma.apply(input, other, True)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``:
    ``p (p - 1) / 4 log(pi) + sum_{j<p} lgamma(x - j / 2)``.

    Every element must exceed ``(p - 1) / 2``. Example:
        >>> ember.mvlgamma(ember.tensor([2.5]), 2)
        tensor([0.8570])
    """
    E = _E()
    if p < 1:
        raise RuntimeError(f"p has to be greater than or equal to 1, got p={p}")
    if not bool((input._data > 0.5 * (p - 1)).all()):
        raise RuntimeError(f"All elements must be greater than (p-1)/2 = {0.5 * (p - 1)}")
    x = _as_float(input)
    halves = E.arange(p, dtype=x.dtype, device=x.device) * -0.5
    return E.lgamma(x.unsqueeze(-1) + halves).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
