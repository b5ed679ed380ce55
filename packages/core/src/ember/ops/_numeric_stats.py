"""Statistics behind ``ember.ops.numeric_extra``: ``cov``, ``corrcoef``, ``histogram``,
``histogramdd`` and ``isin``.
"""

from __future__ import annotations

import warnings

from .._tensor import Tensor, _make
from ._numeric_calculus import _E, _as_float
from ._return_types import return_types
from ._util import xp_of

__all__ = [
    "cov",
    "corrcoef",
    "histogram",
    "histogramdd",
    "isin",
]


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
