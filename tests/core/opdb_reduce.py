"""Op table entries for ember.ops.reduce: reductions and scans (see opinfo.py).

References are plain NumPy/SciPy (or, for indices, small loops written here). Inputs for ops
that are not differentiable at ties (max, median, quantile, cummax...) have distinct values.
"""

import numpy as np
import scipy.special
from opinfo import ErrorInput, OpInfo, Sample, noncontiguous, randn

import ember

# ---- sample inputs ----------------------------------------------------------------------------


def _distinct(rng, *shape):
    """Distinct values at least 0.3 apart (no ties, so selections are differentiable)."""
    n = int(np.prod(shape, dtype=int))
    values = (rng.permutation(n) - n / 2) * 0.37 + rng.uniform(0, 0.01)
    return values.reshape(shape)


def _with_zeros(rng, *shape, zeros=1):
    """Values away from 0, with ``zeros`` exact zeros in each row of the last axis."""
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    rows = x.reshape(-1, shape[-1])
    for row in rows:
        row[rng.choice(shape[-1], size=zeros, replace=False)] = 0.0
    return rows.reshape(shape)


def _with_nans(rng, *shape):
    """Distinct values with NaNs where the index sum is 1 mod 3: along any slice of two or
    more elements the index sum changes, so no slice is all NaN."""
    x = _distinct(rng, *shape)
    x[np.indices(shape).sum(axis=0) % 3 == 1] = np.nan
    return x


def _mostly_ones(rng, *shape):
    return np.asarray(rng.uniform(size=shape) > 0.2, dtype=np.float64)


def _mostly_zeros(rng, *shape):
    return np.asarray(rng.uniform(size=shape) > 0.8, dtype=np.float64)


def reduce_samples(make=randn, dims=((1, False), ((0, 2), True), (-2, False)), full=True):
    """Full reduction, several dims (int/tuple/negative, with and without keepdim), a 0-d
    input and a non-contiguous one."""

    def samples(rng):
        out = [Sample((make(rng, 3, 4),), name="all")] if full else []
        for dim, keepdim in dims:
            x = make(rng, 3, 4) if isinstance(dim, int) and dim >= 0 else make(rng, 2, 3, 2)
            out.append(Sample((x,), dict(dim=dim, keepdim=keepdim), name=f"dim={dim}"))
        out.append(Sample((make(rng),), dict(dim=0), name="0-d"))
        out.append(
            Sample((noncontiguous(make(rng, 4, 3)),), dict(dim=0, keepdim=True), name="non-contig")
        )
        return out

    return samples


def dim_samples(make=randn):
    """For ops along one dim (scans, max(dim), median(dim)...)."""

    def samples(rng):
        return [
            Sample((make(rng, 3, 4),), dict(dim=1), name="dim=1"),
            Sample((make(rng, 3, 4),), dict(dim=0, keepdim=True), name="keepdim"),
            Sample((make(rng, 2, 3, 2),), dict(dim=-2), name="dim=-2"),
            Sample((make(rng),), dict(dim=0), name="0-d"),
            Sample((noncontiguous(make(rng, 4, 3)),), dict(dim=1), name="non-contig"),
        ]

    return samples


def scan_samples(make=randn):
    def samples(rng):
        return [
            Sample((make(rng, 3, 4),), dict(dim=1), name="dim=1"),
            Sample((make(rng, 2, 3, 2),), dict(dim=-2), name="dim=-2"),
            Sample((make(rng, 4, 3),), dict(dim=0), name="dim=0"),
            Sample((make(rng),), dict(dim=0), name="0-d"),
            Sample((noncontiguous(make(rng, 4, 3)),), dict(dim=1), name="non-contig"),
        ]

    return samples


def _int_samples(rng):
    return [
        Sample((rng.integers(-5, 5, size=(3, 4)).astype(np.int32),), name="int32"),
        Sample((rng.integers(-5, 5, size=(3, 4)),), dict(dim=1), name="int64"),
        Sample((rng.integers(0, 2, size=(2, 3)).astype(bool),), dict(dim=0), name="bool"),
    ]


# ---- references -------------------------------------------------------------------------------


def _axis(x, dim):
    """NumPy's axis for PyTorch's dim (a 0-d tensor accepts dim 0 and reduces nothing)."""
    if x.ndim == 0 or dim is None:
        return None
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


def _reduction(fn, **extra):
    def ref(x, dim=None, keepdim=False):
        return fn(x, axis=_axis(x, dim), keepdims=keepdim, **extra)

    return ref


def _scan_ref(fn):
    def ref(x, dim):
        return x.copy() if x.ndim == 0 else fn(x, axis=dim)

    return ref


def _var_samples(rng):
    return [
        Sample((randn(rng, 3, 4),), dict(correction=1), name="all"),
        Sample((randn(rng, 3, 4),), dict(dim=1, correction=0), name="correction=0"),
        Sample(
            (randn(rng, 2, 3, 2),),
            dict(dim=(0, 2), keepdim=True, correction=2),
            name="correction=2",
        ),
        Sample((randn(rng, 2, 3, 2),), dict(dim=-2), name="dim=-2"),
        Sample((noncontiguous(randn(rng, 4, 3)),), dict(dim=0, keepdim=True), name="non-contig"),
        Sample((randn(rng),), dict(dim=0, correction=0), name="0-d"),
    ]


def _var_ref(fn):
    def ref(x, dim=None, keepdim=False, correction=1):
        return fn(x, axis=_axis(x, dim), ddof=correction, keepdims=keepdim)

    return ref


def _var_op(fn):
    def op(x, dim=None, keepdim=False, correction=1):
        return fn(x, dim, keepdim=keepdim, correction=correction)

    return op


def _select_ref(pick):
    """(values, indices) along ``dim`` of an input with distinct values: the index is found by
    comparing with the value, independently of how ``pick`` chose it."""

    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return x, np.array(0)
        values = pick(x, dim)
        indices = np.argmax(x == values, axis=dim, keepdims=True)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values, indices

    return ref


def _lower_median(x, dim):
    return np.quantile(x, 0.5, axis=dim, keepdims=True, method="lower")


def _nanlower_median(x, dim):
    return np.nanquantile(x, 0.5, axis=dim, keepdims=True, method="lower")


def _cum_extreme_ref(largest):
    """Running max/min and the index where it was last reached, by a loop."""

    def ref(x, dim):
        if x.ndim == 0:
            return x, np.array(0)
        moved = np.moveaxis(x, dim, -1)
        values = np.empty_like(moved)
        indices = np.empty(moved.shape, dtype=np.int64)
        for pos in np.ndindex(moved.shape[:-1]):
            best, where = None, 0
            for k, v in enumerate(moved[pos]):
                if best is None or (v >= best if largest else v <= best):
                    best, where = v, k
                values[pos + (k,)], indices[pos + (k,)] = best, where
        return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)

    return ref


def _mode_ref(x, dim=-1, keepdim=False):
    """Most frequent value (smallest on ties) and its last index, by a loop over slices."""
    if x.ndim == 0:
        return x, np.array(0)
    moved = np.moveaxis(x, dim, -1)
    values = np.empty(moved.shape[:-1], dtype=x.dtype)
    indices = np.empty(moved.shape[:-1], dtype=np.int64)
    for pos in np.ndindex(moved.shape[:-1]):
        row = moved[pos]
        uniques, counts = np.unique(row, return_counts=True)
        value = uniques[np.argmax(counts)]
        values[pos], indices[pos] = value, np.flatnonzero(row == value)[-1]
    if keepdim:
        values, indices = np.expand_dims(values, dim), np.expand_dims(indices, dim)
    return values, indices


def _vector_norm_ref(x, p=2, dim=None, keepdim=False):
    a, axis = np.abs(x), _axis(x, dim)
    if p == np.inf:
        return np.max(a, axis=axis, keepdims=keepdim)
    if p == -np.inf:
        return np.min(a, axis=axis, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
    return np.sum(a**p, axis=axis, keepdims=keepdim) ** (1.0 / p)


def _norm_samples(make):
    def samples(rng):
        return [
            Sample((make(rng, 3, 4),), name="all"),
            Sample((make(rng, 3, 4),), dict(dim=1), name="dim=1"),
            Sample((make(rng, 2, 3, 2),), dict(dim=(0, 2), keepdim=True), name="dims"),
            Sample((noncontiguous(make(rng, 4, 3)),), dict(dim=0), name="non-contig"),
            Sample((make(rng),), name="0-d"),
        ]

    return samples


def _norm_entry(p, make=randn, gradgrad=True):
    name = {np.inf: "inf", -np.inf: "-inf"}.get(p, str(p))
    return OpInfo(
        f"norm_p{name}",
        lambda x, dim=None, keepdim=False: ember.norm(x, p, dim, keepdim),
        lambda x, dim=None, keepdim=False: _vector_norm_ref(x, p, dim, keepdim),
        _norm_samples(make),
        gradgrad=gradgrad,
    )


def _away_from_zero(rng, *shape):
    return np.asarray(rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape))


def _quantile_samples(make=_distinct):
    def samples(rng):
        q = np.array([0.0, 0.3, 0.5, 1.0])
        return [
            Sample((make(rng, 3, 4), 0.4), dict(dim=1), name="q float"),
            Sample((make(rng, 3, 5), q), dict(dim=0, keepdim=True), grad_args=(0,), name="q 1-d"),
            Sample((make(rng, 7), 0.25), name="all"),
            Sample((make(rng, 2, 3), q), dict(keepdim=True), grad_args=(0,), name="all keepdim"),
            Sample(
                (noncontiguous(make(rng, 4, 3)), np.array(0.6)),
                dict(dim=1),
                grad_args=(0,),
                name="non-contig, 0-d q",
            ),
            Sample((make(rng), 0.5), name="0-d"),
        ]

    return samples


def _quantile_entry(method, ember_fn=ember.quantile, np_fn=np.quantile, make=_distinct):
    return OpInfo(
        f"{ember_fn.__name__}_{method}",
        lambda x, q, dim=None, keepdim=False: ember_fn(x, q, dim, keepdim, interpolation=method),
        lambda x, q, dim=None, keepdim=False: np_fn(
            x, q, axis=dim, keepdims=keepdim, method=method
        ),
        _quantile_samples(make),
        method="quantile" if ember_fn is ember.quantile and method == "linear" else None,
    )


# ---- error inputs -----------------------------------------------------------------------------


def _dim_errors(op_name, dim_kw="dim"):
    def errors(rng):
        x = randn(rng, 2, 3)
        return [
            ErrorInput(
                Sample((x,), {dim_kw: 3}),
                IndexError,
                rf"{op_name}: Dimension out of range \(expected to be in range of "
                rf"\[-2, 1\], but got 3\)",
            ),
        ]

    return errors


def _sum_errors(rng):
    x = randn(rng, 2, 3)
    return _dim_errors("sum")(rng) + [
        ErrorInput(Sample((x,), dict(dim=(0, -2))), RuntimeError, r"sum: dim .* multiple times"),
    ]


def _mean_errors(rng):
    return _dim_errors("mean")(rng) + [
        ErrorInput(
            Sample((rng.integers(0, 5, size=(3,)),)),
            RuntimeError,
            r"mean\(\): could not infer output dtype.*Got: int64",
        ),
    ]


def _var_errors(rng):
    return _dim_errors("var")(rng) + [
        ErrorInput(
            Sample((rng.integers(0, 5, size=(3,)),)),
            RuntimeError,
            r"var\(\): std and var only support floating point",
        ),
    ]


def _max_errors(rng):
    return _dim_errors("max")(rng) + [
        ErrorInput(
            Sample((np.zeros((0, 3)),)),
            RuntimeError,
            r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0",
        ),
        ErrorInput(
            Sample((np.zeros((0, 3)),), dict(dim=0)),
            IndexError,
            r"max\(\): Expected reduction dim 0 to have non-zero size",
        ),
    ]


def _quantile_errors(rng):
    x = randn(rng, 2, 3)
    return [
        ErrorInput(Sample((x, 1.5)), RuntimeError, r"q must be in the range \[0, 1\] but got 1.5"),
        ErrorInput(
            Sample((x, 0.5), dict(interpolation="cubic")),
            RuntimeError,
            r"interpolation must be one of linear, lower, higher, midpoint or nearest",
        ),
        ErrorInput(Sample((np.zeros((0,)), 0.5)), RuntimeError, r"input tensor must be non-empty"),
        ErrorInput(
            Sample((rng.integers(0, 3, size=(3,)), 0.5)),
            RuntimeError,
            r"must be either float or double",
        ),
    ]


def _norm_errors(rng):
    x = randn(rng, 2, 3, 4)
    return [
        ErrorInput(Sample((x, "nuc")), RuntimeError, r"'nuc' norm needs 2 dims"),
        ErrorInput(Sample((x, "spectral")), RuntimeError, r"Order 'spectral' not supported"),
        ErrorInput(
            Sample((rng.integers(0, 3, size=(3,)),)),
            RuntimeError,
            r"norm\(\): Expected a floating point or complex tensor as input. Got int64",
        ),
        ErrorInput(Sample((np.zeros((0,)), np.inf)), RuntimeError, r"cannot compute the inf norm"),
    ]


# ---- the table --------------------------------------------------------------------------------


def _sum_int_ref(x, dim=None, keepdim=False):
    return np.sum(x, axis=_axis(x, dim), keepdims=keepdim, dtype=np.int64)


OPS = [
    OpInfo(
        "sum",
        ember.sum,
        _reduction(np.sum),
        reduce_samples(),
        method="sum",
        int_samples=lambda rng: [Sample(s.args, s.kwargs) for s in _int_samples(rng)],
        errors=_sum_errors,
    ),
    OpInfo(
        "sum_int", ember.sum, _sum_int_ref, lambda rng: [], int_samples=_int_samples, grad=False
    ),
    OpInfo(
        "sum_dtype",
        lambda x: ember.sum(x, 1, dtype=ember.float64),
        lambda x: np.sum(x.astype(np.float64), 1),
        lambda rng: [Sample((randn(rng, 3, 4),))],
    ),
    OpInfo(
        "nansum", ember.nansum, _reduction(np.nansum), reduce_samples(_with_nans), method="nansum"
    ),
    OpInfo(
        "mean",
        ember.mean,
        _reduction(np.mean),
        reduce_samples(),
        method="mean",
        errors=_mean_errors,
    ),
    OpInfo(
        "mean_dtype",
        lambda x: ember.mean(x, dtype=ember.float64),
        lambda x: np.mean(x.astype(np.float64)),
        lambda rng: [],
        int_samples=lambda rng: [Sample((rng.integers(-5, 5, size=(3, 4)),))],
        grad=False,
    ),
    OpInfo(
        "nanmean",
        ember.nanmean,
        _reduction(np.nanmean),
        reduce_samples(_with_nans, full=False),
        method="nanmean",
    ),
    OpInfo(
        "var", _var_op(ember.var), _var_ref(np.var), _var_samples, method="var", errors=_var_errors
    ),
    OpInfo("std", _var_op(ember.std), _var_ref(np.std), _var_samples, method="std"),
    OpInfo(
        "var_legacy_unbiased",
        lambda x: ember.var(x, 1, False, True),
        lambda x: np.var(x, axis=1, ddof=0, keepdims=True),
        lambda rng: [Sample((randn(rng, 3, 4),))],
    ),
    OpInfo(
        "var_mean",
        lambda x, dim=None, keepdim=False: ember.var_mean(x, dim, keepdim=keepdim),
        lambda x, dim=None, keepdim=False: (
            np.var(x, axis=_axis(x, dim), ddof=1, keepdims=keepdim),
            np.mean(x, axis=_axis(x, dim), keepdims=keepdim),
        ),
        lambda rng: [
            Sample((randn(rng, 3, 4),), dict(dim=1)),
            Sample((randn(rng, 2, 3, 2),), dict(dim=(0, 2), keepdim=True)),
        ],
    ),
    OpInfo(
        "std_mean",
        lambda x, dim=None: ember.std_mean(x, dim, correction=0),
        lambda x, dim=None: (np.std(x, axis=dim), np.mean(x, axis=dim)),
        lambda rng: [Sample((randn(rng, 3, 4),), dict(dim=0)), Sample((randn(rng, 5),))],
    ),
    OpInfo(
        "prod",
        ember.prod,
        _reduction(np.prod),
        reduce_samples(_away_from_zero, dims=((1, False), (0, True), (-1, False))),
        method="prod",
        int_samples=lambda rng: [Sample((rng.integers(-3, 3, size=(2, 3)),))],
    ),
    OpInfo(
        "prod_zeros",
        ember.prod,
        _reduction(np.prod),
        lambda rng: [
            Sample((_with_zeros(rng, 3, 4),), dict(dim=1), name="one zero"),
            Sample((_with_zeros(rng, 5),), name="all, one zero"),
            Sample((_with_zeros(rng, 2, 4, zeros=2),), dict(dim=1), name="two zeros"),
            Sample((_with_zeros(rng, 3, 4).T,), dict(dim=0), name="non-contig"),
        ],
    ),
    OpInfo(
        "cumsum",
        ember.cumsum,
        _scan_ref(np.cumsum),
        scan_samples(),
        method="cumsum",
        int_samples=lambda rng: [Sample((rng.integers(-5, 5, size=(3, 4)),), dict(dim=1))],
        errors=_dim_errors("cumsum"),
    ),
    OpInfo(
        "cumprod",
        ember.cumprod,
        _scan_ref(np.cumprod),
        scan_samples(_away_from_zero),
        method="cumprod",
    ),
    OpInfo(
        "cumprod_zeros",
        ember.cumprod,
        lambda x, dim: np.cumprod(x, axis=dim),
        lambda rng: [
            Sample((_with_zeros(rng, 2, 5),), dict(dim=1), name="one zero"),
            Sample((_with_zeros(rng, 2, 5, zeros=2),), dict(dim=1), name="two zeros"),
            Sample((_with_zeros(rng, 3, 4).T,), dict(dim=0), name="dim 0"),
        ],
    ),
    OpInfo(
        "logcumsumexp",
        ember.logcumsumexp,
        _scan_ref(lambda x, axis: np.log(np.cumsum(np.exp(x), axis=axis))),
        scan_samples(),
        method="logcumsumexp",
    ),
    OpInfo(
        "cummax", ember.cummax, _cum_extreme_ref(True), scan_samples(_distinct), method="cummax"
    ),
    OpInfo(
        "cummin", ember.cummin, _cum_extreme_ref(False), scan_samples(_distinct), method="cummin"
    ),
    OpInfo(
        "logsumexp",
        ember.logsumexp,
        lambda x, dim, keepdim=False: scipy.special.logsumexp(
            x, axis=_axis(x, dim), keepdims=keepdim
        ),
        reduce_samples(full=False),
        method="logsumexp",
        errors=_dim_errors("logsumexp"),
    ),
    OpInfo("amax", ember.amax, _reduction(np.max), reduce_samples(_distinct), method="amax"),
    OpInfo("amin", ember.amin, _reduction(np.min), reduce_samples(_distinct), method="amin"),
    OpInfo(
        "max_all",
        ember.max,
        np.max,
        lambda rng: [
            Sample((_distinct(rng, 3, 4),)),
            Sample((_distinct(rng),)),
            Sample((noncontiguous(_distinct(rng, 4, 3)),)),
        ],
        method="max",
        int_samples=lambda rng: [Sample((rng.integers(-9, 9, size=(3, 4)),))],
    ),
    OpInfo(
        "max_dim",
        ember.max,
        _select_ref(lambda x, d: np.max(x, axis=d, keepdims=True)),
        dim_samples(_distinct),
        method="max",
        errors=_max_errors,
    ),
    OpInfo(
        "min_all", ember.min, np.min, lambda rng: [Sample((_distinct(rng, 3, 4),))], method="min"
    ),
    OpInfo(
        "min_dim",
        ember.min,
        _select_ref(lambda x, d: np.min(x, axis=d, keepdims=True)),
        dim_samples(_distinct),
        method="min",
    ),
    OpInfo(
        "max_binary",
        lambda a, b: ember.max(a, b),
        np.maximum,
        lambda rng: [Sample((_distinct(rng, 3, 4), _distinct(rng, 4) + 0.1))],
    ),
    OpInfo(
        "aminmax",
        lambda x, dim=None, keepdim=False: ember.aminmax(x, dim=dim, keepdim=keepdim),
        lambda x, dim=None, keepdim=False: (
            np.min(x, axis=_axis(x, dim), keepdims=keepdim),
            np.max(x, axis=_axis(x, dim), keepdims=keepdim),
        ),
        lambda rng: [
            Sample((_distinct(rng, 3, 4),)),
            Sample((_distinct(rng, 3, 4),), dict(dim=1, keepdim=True)),
            Sample((noncontiguous(_distinct(rng, 4, 3)),), dict(dim=0)),
            Sample((_distinct(rng),), dict(dim=0)),
        ],
    ),
    OpInfo(
        "argmax",
        ember.argmax,
        lambda x, dim=None, keepdim=False: np.argmax(x, axis=_axis(x, dim), keepdims=keepdim),
        lambda rng: [
            Sample((_distinct(rng, 3, 4),)),
            Sample((_distinct(rng, 3, 4),), dict(dim=1)),
            Sample((_distinct(rng, 3, 4),), dict(keepdim=True)),
            Sample((_distinct(rng, 2, 3, 2),), dict(dim=-1, keepdim=True)),
            Sample((noncontiguous(_distinct(rng, 4, 3)),), dict(dim=0)),
            Sample((_distinct(rng),), dict(dim=0)),
        ],
        method="argmax",
        grad=False,
        int_samples=lambda rng: [Sample((rng.integers(0, 9, size=(3, 4)),), dict(dim=0))],
    ),
    OpInfo(
        "argmin",
        ember.argmin,
        lambda x, dim=None, keepdim=False: np.argmin(x, axis=dim, keepdims=keepdim),
        lambda rng: [
            Sample((_distinct(rng, 3, 4),)),
            Sample((_distinct(rng, 3, 4),), dict(dim=0, keepdim=True)),
        ],
        method="argmin",
        grad=False,
    ),
    _norm_entry(2),
    _norm_entry(1, _away_from_zero),
    _norm_entry(np.inf, _distinct),
    _norm_entry(-np.inf, _distinct),
    _norm_entry(0),
    _norm_entry(3),
    _norm_entry(1.5, _away_from_zero),
    _norm_entry(0.5, _away_from_zero),
    _norm_entry(-1, _away_from_zero),
    OpInfo(
        "norm_fro",
        lambda x, dim=None, keepdim=False: ember.norm(x, "fro", dim, keepdim),
        lambda x, dim=None, keepdim=False: np.sqrt(
            np.sum(x * x, axis=_axis(x, dim), keepdims=keepdim)
        ),
        _norm_samples(randn),
        method="norm",
    ),
    OpInfo(
        "norm_errors", ember.norm, _vector_norm_ref, lambda rng: [], grad=False, errors=_norm_errors
    ),
    OpInfo(
        "norm_nuc",
        lambda x, dim=None, keepdim=False: ember.norm(x, "nuc", dim, keepdim),
        lambda x, dim=None, keepdim=False: np.linalg.norm(
            x, "nuc", axis=dim or (0, 1), keepdims=keepdim
        ),
        lambda rng: [
            Sample((randn(rng, 3, 4),)),
            Sample((randn(rng, 2, 3, 4),), dict(dim=(0, 2), keepdim=True)),
        ],
        gradgrad=False,
    ),  # second derivatives of the SVD are not supported
    OpInfo(
        "dist",
        ember.dist,
        lambda a, b, p=2: _vector_norm_ref(a - b, p),
        lambda rng: [
            Sample((randn(rng, 3, 4), randn(rng, 4))),
            Sample((randn(rng, 3), randn(rng, 3), 3.0)),
        ],
        method="dist",
    ),
    OpInfo(
        "all",
        ember.all,
        _reduction(np.all),
        reduce_samples(_mostly_ones),
        method="all",
        grad=False,
        int_samples=lambda rng: [
            Sample((rng.integers(0, 2, size=(3, 4)).astype(bool),), dict(dim=1))
        ],
    ),
    OpInfo(
        "any",
        ember.any,
        _reduction(np.any),
        reduce_samples(_mostly_zeros),
        method="any",
        grad=False,
    ),
    OpInfo(
        "count_nonzero",
        ember.count_nonzero,
        lambda x, dim=None: np.asarray(np.count_nonzero(x, axis=_axis(x, dim))),
        lambda rng: [
            Sample((np.round(randn(rng, 3, 4)),)),
            Sample((np.round(randn(rng, 2, 3, 2)),), dict(dim=(0, 2))),
        ],
        method="count_nonzero",
        grad=False,
    ),
    OpInfo(
        "median_all",
        ember.median,
        lambda x: np.quantile(x, 0.5, method="lower"),
        lambda rng: [
            Sample((_distinct(rng, 3, 4),)),
            Sample((_distinct(rng, 5),)),
            Sample((_distinct(rng),)),
        ],
        method="median",
    ),
    OpInfo(
        "median_dim",
        ember.median,
        _select_ref(_lower_median),
        dim_samples(_distinct),
        method="median",
    ),
    OpInfo(
        "nanmedian_dim",
        ember.nanmedian,
        _select_ref(_nanlower_median),
        lambda rng: [
            Sample((_with_nans(rng, 3, 5),), dict(dim=1)),
            Sample((_with_nans(rng, 4, 3),), dict(dim=0, keepdim=True)),
        ],
        method="nanmedian",
    ),
    OpInfo(
        "nanmedian_all",
        ember.nanmedian,
        lambda x: np.nanquantile(x, 0.5, method="lower"),
        lambda rng: [Sample((_with_nans(rng, 3, 4),))],
    ),
    OpInfo(
        "mode",
        ember.mode,
        _mode_ref,
        lambda rng: [
            Sample((rng.integers(0, 3, size=(3, 7)).astype(np.float64),)),
            Sample((rng.integers(0, 4, size=(6, 2)).astype(np.float64),), dict(dim=0)),
            Sample(
                (rng.integers(0, 3, size=(2, 5, 2)).astype(np.float64),), dict(dim=1, keepdim=True)
            ),
        ],
        method="mode",
        grad=False,
        int_samples=lambda rng: [Sample((rng.integers(-2, 2, size=(4, 9)),))],
    ),
    OpInfo("mode_grad", ember.mode, _mode_ref, dim_samples(_distinct)),
    _quantile_entry("linear"),
    _quantile_entry("lower"),
    _quantile_entry("higher"),
    _quantile_entry("midpoint"),
    _quantile_entry("nearest"),
    _quantile_entry("linear", ember.nanquantile, np.nanquantile, _with_nans),
    OpInfo(
        "quantile_errors",
        ember.quantile,
        np.quantile,
        lambda rng: [],
        grad=False,
        errors=_quantile_errors,
    ),
]
