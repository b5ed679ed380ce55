"""Reductions: sum, mean, var/std, prod, max/min (with amax/amin, argmax/argmin, aminmax),
logsumexp and the logical all/any/count_nonzero.

Each takes PyTorch's arguments (``dim`` as an int, a tuple or None, ``keepdim``, ``dtype=``) and
is one ``autograd.Function`` whose forward is a NumPy/CuPy reduction on the raw array. Backwards
are written with differentiable Ember ops, so higher-order gradients work:

* a reduction's gradient is the output gradient with the reduced axes put back (a reshape) and
  broadcast over them, times the local derivative;
* where the derivative is piecewise constant (``amax``, ``nansum``) it is a constant array
  computed from the forward values, so the gradient is linear in the incoming gradient and its
  own derivative with respect to the input is (correctly) zero;
* ops that select elements (``max(dim)``) send the gradient to the selected positions with a
  scatter whose gradient is the matching gather.

Ops with two outputs return named tuples, as ``torch.return_types``:
``ember.return_types.max(values=..., indices=...)`` (the registry is in ``_return_types.py``).
Cumulative ops are in ``scan.py``, norms in ``norm.py``, median/mode/quantile in ``stats.py``;
the helpers they share with this module in ``_reduce_util.py``.
"""

from __future__ import annotations

from ._reduce_extremes import (
    all,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    count_nonzero,
    logsumexp,
    max,
    min,
    prod,
)
from ._reduce_moments import Sum as Sum
from ._reduce_moments import (
    mean,
    nanmean,
    nansum,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from ._reduce_util import (
    _scan,  # noqa: F401  (tests reach it as ember.ops.reduce._scan)
)
from ._return_types import return_types
from ._util import register_methods

__all__ = [
    "return_types",
    "sum",
    "nansum",
    "mean",
    "nanmean",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "aminmax",
    "argmax",
    "argmin",
    "logsumexp",
    "all",
    "any",
    "count_nonzero",
]

# Tensor methods
# ---------------------------------------------------------------------------------------------


register_methods(
    sum=sum,
    nansum=nansum,
    mean=mean,
    nanmean=nanmean,
    var=var,
    std=std,
    prod=prod,
    max=max,
    min=min,
    amax=amax,
    amin=amin,
    aminmax=aminmax,
    argmax=argmax,
    argmin=argmin,
    logsumexp=logsumexp,
    all=all,
    any=any,
    count_nonzero=count_nonzero,
)
