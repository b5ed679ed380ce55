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

from .._tensor import Tensor
from ._numeric_calculus import (
    _E,
    cumulative_trapezoid,
    diff,
    gradient,
    trapezoid,
    trapz,
)
from ._numeric_misc import (
    binomial,
    combinations,
    index_reduce,
    renorm,
    unravel_index,
    vander,
)
from ._numeric_special import (
    frexp,
    gcd,
    igamma,
    igammac,
    lcm,
    ldexp,
    mvlgamma,
    nextafter,
)
from ._numeric_stats import (
    corrcoef,
    cov,
    histogram,
    histogramdd,
    isin,
)
from ._util import inplace, register_methods

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
