"""Numeric ops PyTorch has beyond the core families: finite differences and integration
(``diff``, ``gradient``, ``trapezoid``, ``cumulative_trapezoid``), statistics (``cov``,
``corrcoef``, ``histogram``, ``histogramdd``), integer and float bit-level functions (``gcd``,
``lcm``, ``ldexp``, ``frexp``, ``nextafter``), the regularized incomplete gamma functions
(``igamma``, ``igammac``), ``mvlgamma``, ``renorm``, ``vander``, ``isin``, ``unravel_index``,
``combinations``, ``binomial``, ``index_reduce`` and a few in-place forms.

Most are composites of differentiable Ember ops, so their gradients (and second derivatives)
come for free; the others are ``Function``s whose backward is written with Ember ops.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._return_types import return_types
from ._special import _lgamma
from ._util import binary_arrays, inplace, normalize_dim, register_methods, xp_of

__all__ = [
    "diff",
    "gradient",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
    "cov",
    "corrcoef",
    "histogram",
    "histogramdd",
    "isin",
    "gcd",
    "lcm",
    "ldexp",
    "frexp",
    "nextafter",
    "igamma",
    "igammac",
    "mvlgamma",
    "renorm",
    "vander",
    "unravel_index",
    "combinations",
    "binomial",
    "index_reduce",
]


def _E():
    import ember  # the composites use ops from every family; imported once they all exist

    return ember


def _as_float(t: Tensor) -> Tensor:
    """Integers and bools as the default float dtype (PyTorch's promotion for these ops)."""
    if t._data.dtype.kind in "biu":
        return t.to(dt.get_default_dtype())
    return t


def _along(v: Tensor, dim: int, ndim: int) -> Tensor:
    """A 1-D tensor shaped to broadcast along ``dim`` of an ``ndim``-d tensor."""
    shape = [1] * ndim
    shape[dim] = -1
    return v.reshape(shape)


# ---------------------------------------------------------------------------------------------
# Finite differences and integration
# ---------------------------------------------------------------------------------------------


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, repeated.

    Args:
        n: the order (0 returns the input). dim: the dimension.
        prepend, append: tensors concatenated before/after ``input`` along ``dim`` first.

    Bool tensors use ``logical_xor`` (PyTorch's rule). Example:
        >>> ember.diff(ember.tensor([1, 3, 6]))
        tensor([2, 3])
    """
    E = _E()
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = normalize_dim(dim, input._data.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = E.cat(parts, dim=d) if len(parts) > 1 else input
    for _ in range(n):  # n is the order, not a data size
        length = x._data.shape[d]
        if length == 0:
            break
        hi, lo = x.narrow(d, 1, length - 1), x.narrow(d, 0, length - 1)
        x = E.logical_xor(hi, lo) if x._data.dtype == np.bool_ else hi - lo
    return x


def _spacings(spacing, dims, input, op):
    """Per-dim spacing: a number, or a 1-D coordinate tensor."""
    if isinstance(spacing, (int, float)):
        return [float(spacing)] * len(dims)
    if isinstance(spacing, Tensor):
        if spacing._data.ndim == 0:
            return [float(spacing.item())] * len(dims)
        spacing = [spacing]
    spacing = list(spacing)
    if len(spacing) == 1 and len(dims) > 1 and not isinstance(spacing[0], Tensor):
        spacing = spacing * len(dims)
    if len(spacing) != len(dims):
        raise RuntimeError(
            f"{op} expected spacing to be unspecified, a scalar or it's spacing and dim "
            f"arguments to have the same length, but got a spacing argument of length "
            f"{len(spacing)} and a dim argument of length {len(dims)}."
        )
    out = []
    for s, d in zip(spacing, dims):
        if isinstance(s, Tensor) and s._data.ndim == 0:
            s = float(s.item())
        if isinstance(s, Tensor):
            if s._data.ndim != 1 or s._data.shape[0] != input._data.shape[d]:
                raise RuntimeError(
                    f"{op} expected each tensor to be on the same device and the coordinates "
                    f"of dim {d} to be 1-D with {input._data.shape[d]} elements, got shape "
                    f"{tuple(s._data.shape)}"
                )
            s = _as_float(s)
        out.append(s)
    return out


def _gradient_1d(f: Tensor, h, d: int, edge_order: int) -> Tensor:
    """numpy.gradient's second-order central differences along ``d`` (edges one-sided)."""
    E = _E()
    n = f._data.shape[d]

    def sl(start, length):
        return f.narrow(d, start, length)

    if not isinstance(h, Tensor):
        interior = (sl(2, n - 2) - sl(0, n - 2)) / (2.0 * h)
        if edge_order == 1:
            first = (sl(1, 1) - sl(0, 1)) / h
            last = (sl(n - 1, 1) - sl(n - 2, 1)) / h
        else:
            first = (-1.5 * sl(0, 1) + 2.0 * sl(1, 1) - 0.5 * sl(2, 1)) / h
            last = (0.5 * sl(n - 3, 1) - 2.0 * sl(n - 2, 1) + 1.5 * sl(n - 1, 1)) / h
        return E.cat([first, interior, last], dim=d)
    # non-uniform coordinates: the second-order formula of Fornberg (as numpy.gradient)
    nd = f._data.ndim
    dx = h[1:] - h[:-1]
    hs, hd = _along(dx[:-1], d, nd), _along(dx[1:], d, nd)
    a = -hd / (hs * (hs + hd))
    b = (hd - hs) / (hs * hd)
    c = hs / (hd * (hs + hd))
    interior = a * sl(0, n - 2) + b * sl(1, n - 2) + c * sl(2, n - 2)
    if edge_order == 1:
        first = (sl(1, 1) - sl(0, 1)) / dx[0]
        last = (sl(n - 1, 1) - sl(n - 2, 1)) / dx[-1]
    else:
        d1, d2 = dx[0], dx[1]
        first = (
            -(2.0 * d1 + d2) / (d1 * (d1 + d2)) * sl(0, 1)
            + (d1 + d2) / (d1 * d2) * sl(1, 1)
            - d1 / (d2 * (d1 + d2)) * sl(2, 1)
        )
        d1, d2 = dx[-2], dx[-1]
        last = (
            d2 / (d1 * (d1 + d2)) * sl(n - 3, 1)
            - (d2 + d1) / (d1 * d2) * sl(n - 2, 1)
            + (2.0 * d2 + d1) / (d2 * (d1 + d2)) * sl(n - 1, 1)
        )
    return E.cat([first, interior, last], dim=d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """Estimate the gradient of a sampled function with central differences (one-sided, of
    order ``edge_order``, at the edges), as ``numpy.gradient``.

    Args:
        spacing: a number (uniform step), a list of numbers (one per dim) or a list of 1-D
            coordinate tensors (one per dim).
        dim: an int or a list of dims (default all). edge_order: 1 or 2.

    Returns:
        A tuple with one tensor (``input``'s shape) per dim. Example:
            >>> ember.gradient(ember.tensor([1., 2., 4., 8.]))
            (tensor([1.0000, 1.5000, 3.0000, 4.0000]),)
    """
    ndim = input._data.ndim
    if edge_order not in (1, 2):
        raise RuntimeError(
            f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}"
        )
    if dim is None:
        dims = list(range(ndim))
    elif isinstance(dim, int):
        dims = [normalize_dim(dim, ndim, "gradient")]
    else:
        dims = [normalize_dim(d, ndim, "gradient") for d in dim]
    for d in dims:
        if input._data.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )
    f = _as_float(input)
    hs = _spacings(spacing, dims, input, "torch.gradient")
    return tuple(_gradient_1d(f, h, d, edge_order) for h, d in zip(hs, dims))


def _trapezoid_terms(y: Tensor, x, dx, dim: int, op: str):
    """The areas of the trapezoids along ``dim`` (one fewer than the samples)."""
    if y._data.ndim == 0:
        raise IndexError(f"{op}: Dimension out of range (expected a tensor of at least 1 dim)")
    d = normalize_dim(dim, y._data.ndim, op)
    y = _as_float(y)
    n = y._data.shape[d]
    if n == 0:
        return y.narrow(d, 0, 0), d
    pair = y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1)
    if x is None:
        return pair * ((1.0 if dx is None else dx) / 2.0), d
    if x._data.ndim == 1:
        if x._data.shape[0] != n:
            raise RuntimeError(
                f"{op}: There must be one `x` value for each sample point; got {x._data.shape[0]}"
                f" x values and {n} samples along dim {d}"
            )
        steps = _along(x[1:] - x[:-1], d, y._data.ndim)
    else:
        steps = diff(x, dim=dim)
    return pair * steps / 2.0, d


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: ``sum((y[i+1] + y[i]) / 2 * (x[i+1] - x[i]))``.

    Args:
        x: sample positions (1-D, or ``y``'s shape); else the samples are ``dx`` apart
            (default 1).

    Example:
        >>> ember.trapezoid(ember.tensor([1., 2., 3.]))
        tensor(4.)
    """
    if x is not None and dx is not None:
        raise TypeError("trapezoid: pass either x or dx, not both")
    terms, d = _trapezoid_terms(y, x, dx, dim, "trapezoid")
    return terms.sum(d)


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """Alias of :func:`trapezoid` (``torch.trapz``)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral along ``dim`` (one fewer element than ``y``).

    Example:
        >>> ember.cumulative_trapezoid(ember.tensor([1., 2., 3.]))
        tensor([1.5000, 4.0000])
    """
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid: pass either x or dx, not both")
    terms, d = _trapezoid_terms(y, x, dx, dim, "cumulative_trapezoid")
    return terms.cumsum(d)


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), as ``numpy.cov``.

    Args:
        correction: subtracted from the number of observations (1: unbiased, Bessel).
        fweights: integer frequency per observation. aweights: float weight per observation.

    Returns:
        ``(rows, rows)``, or a 0-d tensor for a 1-D input. Example:
            >>> ember.cov(ember.tensor([[1., 2., 4.], [3., 1., 0.]]))[0, 0]
            tensor(2.3333)
    """
    E = _E()
    if input._data.ndim > 2:
        raise RuntimeError(
            f"cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input._data.ndim} dimensions"
        )
    x = _as_float(input)
    x = x.reshape(1, -1) if x._data.ndim < 2 else x
    n_obs = x._data.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights._data.ndim > 1 or weights._data.shape[-1:] != (n_obs,):
            raise RuntimeError(
                f"cov(): expected {name} to have one dimension with {n_obs} elements (one per "
                f"observation) but got shape {tuple(weights._data.shape)}"
            )
        if name == "fweights" and weights._data.dtype.kind not in "iu":
            raise RuntimeError("cov(): expected fweights to have integral dtype")
        if bool((weights._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = weights if w is None else w * weights
    if w is None:
        w_sum = float(n_obs)
        avg = x.mean(1)
        norm = n_obs - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights.to(x.dtype)).sum() / w_sum
    if float(norm) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = E.zeros((), dtype=x.dtype) if isinstance(norm, Tensor) else 0.0
    xm = x - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    c = E.matmul(xw, xm.transpose(0, 1).conj()) / norm
    return c.squeeze() if input._data.ndim < 2 else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input``: ``cov`` normalised by the
    standard deviations, clipped to [-1, 1] as numpy and PyTorch do.

    Example:
        >>> ember.corrcoef(ember.tensor([[1., 2., 4.], [3., 1., 0.]]))[0, 1]
        tensor(-0.9286)
    """
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return c.clamp(-1, 1) if c._data.dtype.kind != "c" else c


def _need_float(t: Tensor, op: str):
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for \'{t.dtype.name}\'; '
                                  f"pass a floating-point tensor (e.g. x.float())")


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """A histogram of ``input``'s values (flattened).

    Args:
        bins: the number of equal-width bins, or a 1-D tensor of increasing bin edges.
        range: ``(min, max)`` of the bins (default: the data's min and max).
        weight: a weight per element. density: normalise to a probability density.

    Returns:
        ``(hist, bin_edges)``, both in ``input``'s dtype. Example:
            >>> ember.histogram(ember.tensor([1., 2., 1.]), bins=3, range=(0., 3.)).hist
            tensor([0., 2., 1.])
    """
    _need_float(input, "histogram")
    data = input._data
    xp = xp_of(data)
    edges = bins._data if isinstance(bins, Tensor) else int(bins)
    w = None if weight is None else weight._data.reshape(-1)
    hist, out_edges = xp.histogram(data.reshape(-1), bins=edges, range=range, weights=w,
                                   density=density)
    cls = return_types.define("histogram", ("hist", "bin_edges"))
    return cls(_make(hist.astype(data.dtype)), _make(out_edges.astype(data.dtype)))


def histogramdd(input: Tensor, bins=10, *, range=None, weight=None, density: bool = False):
    """A D-dimensional histogram of the points in the rows of ``input`` (shape ``(..., D)``).

    Args:
        bins: an int (for every dim), a list of ints, or a list of 1-D edge tensors.
        range: flat ``[min_0, max_0, min_1, max_1, ...]``.

    Returns:
        ``(hist, bin_edges)``: a D-d tensor and a tuple of D edge tensors.
    """
    _need_float(input, "histogramdd")
    data = input._data
    xp = xp_of(data)
    pts = data.reshape(-1, data.shape[-1])
    ndims = pts.shape[1]
    if isinstance(bins, (list, tuple)):
        bins = [b._data if isinstance(b, Tensor) else int(b) for b in bins]
    else:
        bins = int(bins)
    if range is not None:
        range = [(range[2 * i], range[2 * i + 1]) for i in builtins_range(ndims)]
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = xp.histogramdd(pts, bins=bins, range=range, weights=w, density=density)
    cls = return_types.define("histogramdd", ("hist", "bin_edges"))
    return cls(_make(hist.astype(data.dtype)), tuple(_make(e.astype(data.dtype)) for e in edges))


builtins_range = range  # histogramdd's keyword shadows the builtin


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number).

    Example:
        >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 5]))
        tensor([False,  True, False])
    """
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = xp_of(like._data)
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _make(xp.isin(a, b, assume_unique=assume_unique, invert=invert))


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


def renorm(input: Tensor, p, dim: int, maxnorm) -> Tensor:
    """Rescale each slice ``input.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` to
    norm ``maxnorm`` (``maxnorm / (norm + 1e-7)``, as PyTorch); other slices are unchanged.

    Example:
        >>> ember.renorm(ember.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.)[0]
        tensor([0.6000, 0.8000])
    """
    E = _E()
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {nd} dimensions")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"renorm: expected a floating-point or complex tensor, got "
                           f"{input.dtype.name}")
    d = normalize_dim(dim, nd, "renorm")
    others = [i for i in range(nd) if i != d]
    norms = E.linalg.vector_norm(input, p, dim=others, keepdim=True)
    factor = E.where(norms > maxnorm, maxnorm / (norms + 1e-7), E.ones_like(norms))
    return input * factor


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns ``x**(N-1), ..., x**0`` (reversed when
    ``increasing``). Integer inputs give int64; built with ``cumprod`` so it is differentiable
    at 0.

    Example:
        >>> ember.vander(ember.tensor([1, 2, 3]), 3)[2]
        tensor([9, 3, 1])
    """
    E = _E()
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0]
    if N is None:
        N = n
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    out_dtype = dt.promote_types(x.dtype, dt.int64)
    xs = x.to(out_dtype) if x.dtype != out_dtype else x
    if N == 0:
        return E.empty((n, 0), dtype=out_dtype, device=x.device)
    ones = E.ones((n, 1), dtype=out_dtype, device=x.device)
    cols = [ones]
    if N > 1:
        cols.append(xs.unsqueeze(1).expand(n, N - 1).cumprod(1))
    out = E.cat(cols, dim=1)
    return out if increasing else out.flip(1)


def unravel_index(indices: Tensor, shape) -> tuple[Tensor, ...]:
    """Flat indices into ``shape`` as a tuple of coordinate tensors (int64), C order.

    Example:
        >>> ember.unravel_index(ember.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    if not isinstance(indices, Tensor):
        raise TypeError("unravel_index: expected 'indices' to be a tensor")
    data = indices._data
    if data.dtype.kind not in "iu" or data.dtype == np.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    xp = xp_of(data)
    # PyTorch wraps out-of-range and negative indices (floor modulo per dimension)
    flat = data.astype(np.int64)
    coords = []
    for size in reversed(shape):  # one vectorised divmod per dimension
        coords.append(flat % size if size else flat)
        flat = flat // size if size else flat
    return tuple(_make(xp.asarray(c)) for c in reversed(coords))


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of the 1-D ``input``'s elements, as rows (like
    ``itertools.combinations``; with repetition when ``with_replacement``). Differentiable.

    Example:
        >>> ember.combinations(ember.tensor([1, 2, 3]))
        tensor([[1, 2], [1, 3], [2, 3]])
    """
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    index = _make(xp_of(input._data).asarray(rows.reshape(-1)))
    return input.index_select(0, index).reshape(-1, r)


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Samples of Binomial(``count``, ``prob``), elementwise, in ``count``'s float dtype.

    Example:
        >>> ember.binomial(ember.tensor([10.]), ember.tensor([0.5]))  # doctest: +SKIP
        tensor([4.])
    """
    from .random import _rng

    if count._data.dtype.kind != "f":
        raise ValueError(
            f"binomial only supports floating-point dtypes for count, got: {count.dtype.name}"
        )
    if prob._data.dtype != count._data.dtype:
        raise RuntimeError(f"binomial: Found dtype {prob.dtype.name} but expected "
                           f"{count.dtype.name}; count and prob must share a dtype")
    p = prob._data
    if bool(((p < 0) | (p > 1)).any()):
        raise RuntimeError("binomial: prob must be in [0, 1]")
    rng = _rng(generator, count.device)
    n = count._data.astype(np.int64)
    return _make(rng.binomial(n, p.astype(np.float64)).astype(count._data.dtype))


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """Reduce the slices of ``source`` into ``input``'s slices ``index`` along ``dim``.

    Args:
        reduce: ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``.
        include_self: whether ``input``'s own values take part in the reduction.

    Written as ``scatter_reduce`` with ``index`` expanded over ``source`` (the same reduction,
    one index per element), so it has its gradients. Example:
        >>> ember.index_reduce(ember.ones(3), 0, ember.tensor([0, 0]), ember.tensor([2., 3.]),
        ...                    "prod")
        tensor([6., 1., 1.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    nd = max(source._data.ndim, 1)
    d = normalize_dim(dim, max(input._data.ndim, 1), "index_reduce")
    if index._data.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    src = source.reshape(1) if source._data.ndim == 0 else source
    if src._data.shape[d] != index._data.reshape(-1).shape[0]:
        raise RuntimeError(
            f"index_reduce(): Number of indices ({index.numel()}) should be equal to "
            f"source.size(dim) ({src._data.shape[d]})"
        )
    idx = _along(index.reshape(-1), d, nd).expand(*src._data.shape)
    return input.scatter_reduce(d, idx, src, reduce, include_self=include_self)


# ---------------------------------------------------------------------------------------------
# In-place forms
# ---------------------------------------------------------------------------------------------


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place :func:`{fn.__name__}`."
    return method


def _float_power_(self: Tensor, exponent) -> Tensor:
    """In-place ``float_power``: ``self`` must already be float64 (or complex128)."""
    E = _E()
    want = "complex128" if (self.is_complex() or isinstance(exponent, complex) or (
        isinstance(exponent, Tensor) and exponent.is_complex())) else "float64"
    if self.dtype.name != want:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {self.dtype.name} but the operation's "
            f"result requires dtype {want}"
        )
    return inplace(self, E.float_power, exponent, op="float_power_")


register_methods(
    diff=diff,
    cov=cov,
    corrcoef=corrcoef,
    histogram=histogram,
    gcd=gcd,
    gcd_=_inplace_of(gcd, "gcd_"),
    lcm=lcm,
    lcm_=_inplace_of(lcm, "lcm_"),
    ldexp=ldexp,
    ldexp_=_inplace_of(ldexp, "ldexp_"),
    frexp=frexp,
    nextafter=nextafter,
    nextafter_=_inplace_of(nextafter, "nextafter_"),
    igamma=igamma,
    igamma_=_inplace_of(igamma, "igamma_"),
    igammac=igammac,
    igammac_=_inplace_of(igammac, "igammac_"),
    mvlgamma=mvlgamma,
    mvlgamma_=_inplace_of(mvlgamma, "mvlgamma_"),
    renorm=renorm,
    renorm_=_inplace_of(renorm, "renorm_"),
    index_reduce=index_reduce,
    index_reduce_=_inplace_of(index_reduce, "index_reduce_"),
    float_power_=_float_power_,
    arctan2_=lambda self, other: self.atan2_(other),
)
