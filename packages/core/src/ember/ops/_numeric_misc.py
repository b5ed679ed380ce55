"""Tensor-building and combinatorial ops behind ``ember.ops.numeric_extra``: ``renorm``,
``vander``, ``unravel_index``, ``combinations``, ``binomial`` and ``index_reduce``.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ._numeric_calculus import _E, _along
from ._util import normalize_dim, xp_of

__all__ = [
    "renorm",
    "vander",
    "unravel_index",
    "combinations",
    "binomial",
    "index_reduce",
]


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
