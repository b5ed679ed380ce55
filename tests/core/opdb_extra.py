"""Op table entries for ember.ops.numeric_extra and ember.ops.view_extra."""

import itertools

import numpy as np
from opinfo import ErrorInput, OpInfo, Sample, noncontiguous, positive, randn

import ember


def _np_trapz(y, x=None, dx=1.0, dim=-1):
    axis = dim
    y = np.moveaxis(y, axis, -1)
    if x is None:
        return ((y[..., 1:] + y[..., :-1]) * dx / 2).sum(-1)
    steps = np.diff(x) if x.ndim == 1 else np.moveaxis(np.diff(x, axis=axis), axis, -1)
    return ((y[..., 1:] + y[..., :-1]) * steps / 2).sum(-1)


def _np_cumtrapz(y, dx=1.0, dim=-1):
    axis = dim
    y = np.moveaxis(y, axis, -1)
    return np.moveaxis(np.cumsum((y[..., 1:] + y[..., :-1]) * dx / 2, -1), -1, axis)


def _np_mvlgamma(x, p):
    from scipy.special import multigammaln

    return np.vectorize(lambda v: multigammaln(v, p))(x)


def _np_renorm(x, p, dim, maxnorm):
    axes = tuple(i for i in range(x.ndim) if i != dim)
    norms = (np.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
    return x * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def _np_combinations(x, r=2, with_replacement=False):
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    return np.array([[x[i] for i in c] for c in pick(range(len(x)), r)]).reshape(-1, r)


def _np_slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    out = x.copy()
    key = (slice(None),) * dim + (slice(start, end, step),)
    out[key] = src
    return out


def _np_diag_scatter(x, src, offset=0):
    out = x.copy()
    rows = np.arange(src.shape[-1]) + max(-offset, 0)
    out[rows, rows + offset] = src
    return out


def _np_unfold(x, dim, size, step):
    n = (x.shape[dim] - size) // step + 1
    windows = [np.take(x, np.arange(i * step, i * step + size), axis=dim) for i in range(n)]
    return np.moveaxis(np.stack(windows, axis=dim), dim + 1, -1)


def _np_igamma(a, x):
    from scipy.special import gammainc

    return gammainc(a, x)


def _np_igammac(a, x):
    from scipy.special import gammaincc

    return gammaincc(a, x)


def _int_pairs(rng):
    a = rng.integers(-30, 30, size=(3, 4))
    b = rng.integers(-12, 12, size=(4,))
    return [Sample((a, b), name="int64 broadcast"), Sample((a.astype(np.int32), a[0]))]


def _igamma_samples(rng):
    # the first operand (a) is not differentiable in PyTorch: only x is checked
    return [
        Sample((positive(rng, 3, 4, low=0.5, high=5), positive(rng, 3, 4, low=0.1, high=8)),
               grad_args=(1,)),
        Sample((positive(rng, 4, low=0.5, high=3), positive(rng, 3, 4, low=3, high=20)),
               grad_args=(1,), name="continued fraction, broadcast"),
        Sample((positive(rng, low=20, high=30), positive(rng, 5, low=15, high=35)),
               grad_args=(1,), name="large a"),
    ]


def _diff_errors(rng):
    return [ErrorInput(Sample((randn(rng),)), RuntimeError,
                       "diff expects input to be at least one-dimensional")]


def _renorm_errors(rng):
    return [ErrorInput(Sample((randn(rng, 3), 2, 0, 1.0)), RuntimeError,
                       "renorm: input needs at least 2 dimensions, got 1 dimensions"),
            ErrorInput(Sample((randn(rng, 2, 3), 2, 0, -1.0)), RuntimeError,
                       "renorm: expected maxnorm to be >= 0 but got -1")]


def _unfold_errors(rng):
    return [ErrorInput(Sample((randn(rng, 3), 0, 4, 2)), RuntimeError,
                       "maximum size for tensor at dimension 0 is 3 but size is 4")]


OPS = [
    OpInfo("diff", ember.diff, lambda x, n=1, dim=-1: np.diff(x, n, axis=dim),
           lambda rng: [Sample((randn(rng, 5),)), Sample((randn(rng, 3, 4),), {"dim": 0}),
                        Sample((randn(rng, 3, 5),), {"n": 2}),
                        Sample((noncontiguous(randn(rng, 4, 3)),), {"n": 3})],
           method="diff", int_samples=lambda rng: [Sample((rng.integers(0, 9, (4, 5)),))],
           errors=_diff_errors),
    OpInfo("diff_prepend_append",
           lambda x, p, a: ember.diff(x, prepend=p, append=a),
           lambda x, p, a: np.diff(x, prepend=p, append=a),
           lambda rng: [Sample((randn(rng, 2, 3), randn(rng, 2, 1), randn(rng, 2, 2)))]),
    OpInfo("gradient", lambda x, **k: ember.gradient(x, **k),
           lambda x, spacing=1, dim=None, edge_order=1: (
               (np.gradient(x, spacing, axis=dim, edge_order=edge_order),) if np.ndim(dim) == 0
               and dim is not None or x.ndim == 1 else
               tuple(np.gradient(x, spacing, edge_order=edge_order))),
           lambda rng: [Sample((randn(rng, 6),)), Sample((randn(rng, 4, 5),), {"spacing": 0.5}),
                        Sample((randn(rng, 4, 5),), {"dim": 1, "edge_order": 2}),
                        Sample((randn(rng, 3, 4),), {"edge_order": 2})]),
    OpInfo("gradient_coordinates",
           lambda x, c: ember.gradient(x, spacing=[c], dim=0, edge_order=2),
           lambda x, c: (np.gradient(x, c, axis=0, edge_order=2),),
           lambda rng: [Sample((randn(rng, 5, 2), np.cumsum(positive(rng, 5))), grad_args=(0,))]),
    OpInfo("trapezoid", ember.trapezoid, _np_trapz,
           lambda rng: [Sample((randn(rng, 5),)), Sample((randn(rng, 3, 4),), {"dim": 0}),
                        Sample((randn(rng, 3, 4), np.cumsum(positive(rng, 4))))]),
    OpInfo("trapz_dx", lambda y: ember.trapz(y, dx=0.5), lambda y: _np_trapz(y, dx=0.5),
           lambda rng: [Sample((randn(rng, 2, 5),))]),
    OpInfo("cumulative_trapezoid", ember.cumulative_trapezoid, _np_cumtrapz,
           lambda rng: [Sample((randn(rng, 5),)), Sample((randn(rng, 3, 4),), {"dim": 0})]),
    OpInfo("cov", ember.cov, lambda x, correction=1: np.cov(x, ddof=correction),
           lambda rng: [Sample((randn(rng, 3, 5),)), Sample((randn(rng, 6),)),
                        Sample((randn(rng, 2, 4),), {"correction": 0})], method="cov"),
    OpInfo("cov_weights",
           lambda x, aw: ember.cov(x, fweights=ember.tensor([1, 2, 1, 3]), aweights=aw),
           lambda x, aw: np.cov(x, fweights=[1, 2, 1, 3], aweights=aw),
           lambda rng: [Sample((randn(rng, 3, 4), positive(rng, 4)))]),
    OpInfo("corrcoef", ember.corrcoef, np.corrcoef,
           lambda rng: [Sample((randn(rng, 3, 6),))], method="corrcoef"),
    OpInfo("gcd", ember.gcd, np.gcd, lambda rng: [], method="gcd", int_samples=_int_pairs,
           grad=False),
    OpInfo("lcm", ember.lcm, np.lcm, lambda rng: [], method="lcm", int_samples=_int_pairs,
           grad=False),
    OpInfo("ldexp", ember.ldexp, lambda x, e: x * 2.0 ** e,
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 4))),
                        Sample((randn(rng, 5), rng.integers(-3, 4, 5)))], method="ldexp"),
    OpInfo("frexp_mantissa", lambda x: ember.frexp(x).mantissa,
           lambda x: np.frexp(x)[0], lambda rng: [Sample((randn(rng, 3, 4) * 50,))]),
    OpInfo("frexp", ember.frexp, lambda x: np.frexp(x),
           lambda rng: [Sample((randn(rng, 5) * 50,))], method="frexp", grad=False,
           compare=lambda r, e: np.testing.assert_array_equal(r.numpy(), e)),
    OpInfo("nextafter", ember.nextafter, np.nextafter,
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 4)))], method="nextafter",
           grad=False, compare=lambda r, e: np.testing.assert_array_equal(r.numpy(), e)),
    OpInfo("igamma", ember.igamma, _np_igamma, _igamma_samples, method="igamma"),
    OpInfo("igammac", ember.igammac, _np_igammac, _igamma_samples, method="igammac"),
    OpInfo("mvlgamma", ember.mvlgamma, _np_mvlgamma,
           lambda rng: [Sample((positive(rng, 3, 4, low=2, high=5), 3)),
                        Sample((positive(rng, 4, low=0.5, high=4), 1))], method="mvlgamma"),
    OpInfo("renorm", ember.renorm, _np_renorm,
           lambda rng: [Sample((randn(rng, 3, 4), 2, 0, 1.5)),
                        Sample((randn(rng, 2, 3, 4), 1, 1, 2.0)),
                        Sample((randn(rng, 3, 5), 3, 1, 1.0))], method="renorm",
           errors=_renorm_errors),
    OpInfo("vander", ember.vander, lambda x, N=None, increasing=False: np.vander(x, N, increasing),
           lambda rng: [Sample((randn(rng, 4),)), Sample((randn(rng, 3), 5, True)),
                        Sample((np.array([0.0, 1.5, -2.0]),), name="zero entry")],
           int_samples=lambda rng: [Sample((rng.integers(-4, 4, 4),))]),
    OpInfo("combinations", ember.combinations, _np_combinations,
           lambda rng: [Sample((randn(rng, 4),)), Sample((randn(rng, 4), 3)),
                        Sample((randn(rng, 3), 2, True))],
           int_samples=lambda rng: [Sample((rng.integers(0, 9, 5), 3))]),
    OpInfo("view_as_real", lambda x: ember.view_as_real(ember.view_as_complex(x)) * 2,
           lambda x: x * 2, lambda rng: [Sample((randn(rng, 3, 2),)),
                                         Sample((randn(rng, 2, 4, 2),))]),
    OpInfo("as_strided", lambda x: x.as_strided((3, 2), (2, 1), 1),
           lambda x: np.lib.stride_tricks.sliding_window_view(x.reshape(-1)[1:], 2)[::2][:3],
           lambda rng: [Sample((randn(rng, 8),)), Sample((randn(rng, 2, 4),))],
           method=None),
    OpInfo("as_strided_overlap", lambda x: ember.as_strided(x, (3, 3), (1, 1)),
           lambda x: np.lib.stride_tricks.sliding_window_view(x, 3)[:3],
           lambda rng: [Sample((randn(rng, 5),))]),
    OpInfo("as_strided_scatter", lambda x, s: ember.as_strided_scatter(x, s, (2, 2), (3, 1), 1),
           lambda x, s: _np_slice_scatter(x.reshape(2, 3), s, 1, 1).reshape(x.shape),
           lambda rng: [Sample((randn(rng, 6), randn(rng, 2, 2)))]),
    OpInfo("diagonal_scatter", ember.diagonal_scatter, _np_diag_scatter,
           lambda rng: [Sample((randn(rng, 3, 3), randn(rng, 3))),
                        Sample((randn(rng, 3, 4), randn(rng, 3), 1)),
                        Sample((randn(rng, 4, 3), randn(rng, 3), -1))],
           method="diagonal_scatter"),
    OpInfo("select_scatter", ember.select_scatter,
           lambda x, s, dim, i: _np_slice_scatter(
               x, np.expand_dims(s, dim), dim, i % x.shape[dim], i % x.shape[dim] + 1),
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 4), 0, 1)),
                        Sample((randn(rng, 3, 4), randn(rng, 3), 1, -1))],
           method="select_scatter"),
    OpInfo("slice_scatter", ember.slice_scatter, _np_slice_scatter,
           lambda rng: [Sample((randn(rng, 6, 3), randn(rng, 2, 3), 0, 1, 5, 2)),
                        Sample((randn(rng, 3, 4), randn(rng, 3, 2), 1, 2))],
           method="slice_scatter"),
    OpInfo("unfold", lambda x, d, s, st: x.unfold(d, s, st), _np_unfold,
           lambda rng: [Sample((randn(rng, 7), 0, 3, 2)), Sample((randn(rng, 3, 5), 1, 2, 1)),
                        Sample((randn(rng, 6, 2), 0, 2, 3))],
           errors=_unfold_errors),
    OpInfo("split_with_sizes", ember.split_with_sizes,
           lambda x, sizes, dim=0: tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim)),
           lambda rng: [Sample((randn(rng, 5, 2), [2, 3])),
                        Sample((randn(rng, 2, 6), [1, 0, 5], 1))],
           method="split_with_sizes"),
    OpInfo("sum_to_size", lambda x, *s: x.sum_to_size(*s),
           lambda x, *s: x.sum(axis=tuple(i for i in range(x.ndim) if s[i] == 1), keepdims=True),
           lambda rng: [Sample((randn(rng, 3, 4), 1, 4)), Sample((randn(rng, 2, 3), 2, 1))]),
]
