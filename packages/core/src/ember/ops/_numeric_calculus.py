"""Finite differences and integration behind ``ember.ops.numeric_extra``: ``diff``,
``gradient``, ``trapezoid``/``trapz`` and ``cumulative_trapezoid``, plus the small helpers the
other numeric_extra parts share. Composites of differentiable Ember ops, so gradients (and
second derivatives) come for free.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from ._util import normalize_dim

__all__ = [
    "diff",
    "gradient",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
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
