"""Op table entries for ember.ops.unary (see opinfo.py): elementwise math on one tensor.

References are NumPy and SciPy (scipy.special for erf, lgamma, digamma...), never Ember.
Sample domains keep each op away from its poles and jumps, so finite differences are valid.
"""

import numpy as np
import scipy.special as sp
from opinfo import ErrorInput, OpInfo, Sample, unary_samples
from opinfo import positive as _positive
from opinfo import randn as _randn

import ember


def _arrays(make):
    """``make`` with 0-d results as arrays (NumPy's generators return scalars for shape ())."""
    return lambda rng, *shape: np.asarray(make(rng, *shape))


def _uniform(low, high):
    def make(rng, *shape):
        return np.asarray(rng.uniform(low, high, size=shape))

    return make


@_arrays
def _away_from_zero(rng, *shape):
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


@_arrays
def _away_from_integers(rng, *shape):
    # rounding ops jump at integers (and round at half-integers): stay clear of both
    whole = rng.integers(-3, 3, size=shape)
    return whole + rng.choice([0.1, 0.3, 0.7, 0.9], size=shape) + rng.uniform(-0.05, 0.05, shape)


@_arrays
def _negative_non_integers(rng, *shape):
    return -rng.integers(0, 4, size=shape) - rng.uniform(0.15, 0.85, size=shape)


randn = _arrays(_randn)
positive = _arrays(_positive)


def _ints(rng):
    return [Sample((rng.integers(-5, 6, size=(3, 4)),), name="int64"),
            Sample((rng.integers(-5, 6, size=(5,)).astype(np.int32),), name="int32")]


def _bools(rng):
    return [Sample((rng.integers(0, 2, size=(4,)).astype(bool),), name="bool")]


def _positive_ints(rng):
    return [Sample((rng.integers(1, 6, size=(3, 4)),), name="int64")]


def _quiet(ref):
    """The reference without NumPy's warnings (log(0) and friends are part of the check)."""

    def call(*args, **kwargs):
        with np.errstate(all="ignore"):
            return ref(*args, **kwargs)

    return call


def _error(make, exc, match, **kwargs):
    return lambda rng: [ErrorInput(Sample((make(rng),), kwargs), exc, match)]


def _sigmoid_ref(a):
    return sp.expit(a)


def _logit_ref(a, eps=None):
    if eps is not None:
        a = np.clip(a, eps, 1 - eps)
    return np.log(a / (1 - a))


def _sinc_samples(rng):
    return unary_samples()(rng) + [Sample((np.array([0.0, 0.5, -1.5]),), name="with zero")]


def _real_sign(a):
    # PyTorch's sign: 0 for NaN and +0 for -0 (NumPy's np.sign keeps NaN); bool stays bool
    if a.dtype == bool:
        return a.copy()
    return ((a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)).astype(a.dtype)


def _nan_to_num_ref(a, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


def _special_values(rng):
    # nan_to_num's interesting inputs; gradcheck sees only the finite ones
    return [Sample((randn(rng, 3, 4),), name="finite"),
            Sample((np.array([np.nan, np.inf, -np.inf, 1.5]),), grad_args=(), name="specials")]


def _angle_ref(a):
    return np.where(a < 0, np.pi, 0.0).astype(a.dtype)


_EXP_LIKE = [
    ("exp", np.exp, randn),
    ("exp2", np.exp2, randn),
    ("expm1", np.expm1, randn),
    ("log", np.log, positive),
    ("log2", np.log2, positive),
    ("log10", np.log10, positive),
    ("log1p", np.log1p, _uniform(-0.5, 2.0)),
    ("sqrt", np.sqrt, positive),
    ("rsqrt", lambda a: 1 / np.sqrt(a), positive),
    ("reciprocal", lambda a: np.true_divide(1, a), _away_from_zero),
    ("sin", np.sin, randn),
    ("cos", np.cos, randn),
    ("tan", np.tan, _uniform(-1.2, 1.2)),
    ("asin", np.arcsin, _uniform(-0.9, 0.9)),
    ("acos", np.arccos, _uniform(-0.9, 0.9)),
    ("atan", np.arctan, randn),
    ("sinh", np.sinh, randn),
    ("cosh", np.cosh, randn),
    ("tanh", np.tanh, randn),
    ("asinh", np.arcsinh, randn),
    ("acosh", np.arccosh, _uniform(1.2, 3.0)),
    ("atanh", np.arctanh, _uniform(-0.9, 0.9)),
    ("sigmoid", _sigmoid_ref, randn),
    ("erf", sp.erf, randn),
    ("erfc", sp.erfc, randn),
    ("erfinv", sp.erfinv, _uniform(-0.9, 0.9)),
    ("lgamma", sp.gammaln, positive),
    ("digamma", sp.digamma, positive),
    ("i0", sp.i0, randn),
    ("deg2rad", np.deg2rad, randn),
    ("rad2deg", np.rad2deg, randn),
]

OPS = [
    # float functions: integer inputs are computed in float32 (dtype checked in test_unary.py)
    *[OpInfo(name, getattr(ember, name), _quiet(ref), unary_samples(make), method=name,
             int_samples=_positive_ints if make is positive else _ints)
      for name, ref, make in _EXP_LIKE],
    OpInfo("arcsin_alias", ember.arcsin, np.arcsin, unary_samples(_uniform(-0.9, 0.9)),
           method="arcsin"),
    OpInfo("arccosh_alias", ember.arccosh, np.arccosh, unary_samples(_uniform(1.2, 3.0)),
           method="arccosh"),
    OpInfo("lgamma_negative", ember.lgamma, sp.gammaln, unary_samples(_negative_non_integers)),
    OpInfo("digamma_negative", ember.digamma, sp.digamma,
           unary_samples(_negative_non_integers)),
    OpInfo("polygamma_1", lambda x: ember.polygamma(1, x), lambda a: sp.polygamma(1, a),
           unary_samples(positive)),
    OpInfo("polygamma_2_negative", lambda x: ember.polygamma(2, x),
           lambda a: sp.polygamma(2, a), unary_samples(_negative_non_integers),
           gradgrad=False, atol=1e-3, rtol=1e-3),
    OpInfo("polygamma_method", lambda x: x.polygamma(3), lambda a: sp.polygamma(3, a),
           unary_samples(positive), grad=False),
    OpInfo("sinc", ember.sinc, np.sinc, _sinc_samples, method="sinc"),
    OpInfo("logit", ember.logit, _logit_ref, unary_samples(_uniform(0.1, 0.9)), method="logit"),
    OpInfo("logit_eps", lambda x: ember.logit(x, eps=0.2), lambda a: _logit_ref(a, 0.2),
           unary_samples(_uniform(0.0, 1.0))),
    OpInfo("square", ember.square, np.square, unary_samples(), method="square",
           int_samples=lambda rng: _ints(rng) + [
               Sample((np.array([True, False]),), name="bool")]),
    OpInfo("abs", ember.abs, np.abs, unary_samples(_away_from_zero), method="abs",
           int_samples=_ints,
           errors=_error(lambda rng: np.array([True, False]), NotImplementedError,
                         "abs: not implemented for bool")),
    OpInfo("absolute_operator", lambda x: abs(x), np.abs, unary_samples(_away_from_zero)),
    OpInfo("sign", ember.sign, _real_sign, unary_samples(_away_from_zero), method="sign",
           int_samples=lambda rng: _ints(rng) + _bools(rng)),
    OpInfo("sgn", ember.sgn, _real_sign, unary_samples(_away_from_zero), method="sgn",
           int_samples=_ints),
    OpInfo("floor", ember.floor, np.floor, unary_samples(_away_from_integers), method="floor",
           int_samples=_ints,
           errors=_error(lambda rng: np.array([True]), NotImplementedError, "floor.*bool")),
    OpInfo("ceil", ember.ceil, np.ceil, unary_samples(_away_from_integers), method="ceil",
           int_samples=_ints),
    OpInfo("trunc", ember.trunc, np.trunc, unary_samples(_away_from_integers), method="trunc",
           int_samples=_ints),
    OpInfo("fix", ember.fix, np.trunc, unary_samples(_away_from_integers), method="fix"),
    OpInfo("round", ember.round, np.round, unary_samples(_away_from_integers), method="round",
           int_samples=_ints),
    OpInfo("round_decimals", lambda x: ember.round(x, decimals=1),
           lambda a: np.round(a, 1),
           unary_samples(_arrays(lambda rng, *s: _away_from_integers(rng, *s) / 10 + 0.0123))),
    OpInfo("frac", ember.frac, lambda a: a - np.trunc(a), unary_samples(_away_from_integers),
           method="frac",
           errors=_error(lambda rng: np.array([1, 2]), NotImplementedError,
                         "frac: not implemented for integer")),
    OpInfo("relu", ember.relu, lambda a: np.maximum(a, 0), unary_samples(_away_from_zero),
           method="relu", int_samples=_ints,
           errors=_error(lambda rng: np.array([True]), RuntimeError, "Boolean inputs")),
    OpInfo("nan_to_num", ember.nan_to_num, _nan_to_num_ref, _special_values,
           method="nan_to_num", int_samples=_ints),
    OpInfo("nan_to_num_values", lambda x: ember.nan_to_num(x, nan=1.5, posinf=9.0, neginf=-9.0),
           lambda a: _nan_to_num_ref(a, 1.5, 9.0, -9.0), _special_values),
    OpInfo("angle_real", ember.angle, _angle_ref, unary_samples(_away_from_zero),
           method="angle"),
    OpInfo("positive", ember.positive, np.positive, unary_samples(), method="positive",
           int_samples=_ints, gradgrad=False),
    OpInfo("polygamma_negative_n", lambda x: ember.polygamma(-1, x), np.negative,
           lambda rng: [], grad=False,
           errors=_error(lambda rng: randn(rng, 3), RuntimeError, "negative n")),
]
