"""Op table entries for ember.ops.compare (see opinfo.py): comparisons, logical and bitwise
ops, where, clamp. References are NumPy; only where and clamp are differentiable."""

import numpy as np
from opinfo import ErrorInput, OpInfo, Sample, binary_samples, noncontiguous
from opinfo import randn as _randn

import ember


def randn(rng, *shape):
    return np.asarray(_randn(rng, *shape))  # 0-d samples as arrays, not NumPy scalars


def _with_ties(rng, *shape):
    # small integers stored as floats: equal pairs are common, so == and <= are exercised
    return np.asarray(rng.integers(-2, 3, size=shape).astype(np.float64))


def _int_pairs(rng):
    a = rng.integers(-4, 5, size=(3, 4))
    return [
        Sample((a, rng.integers(-4, 5, size=(3, 4))), name="int64"),
        Sample((a.astype(np.int32), rng.integers(-4, 5, size=(4,)).astype(np.int32)),
               name="int32 broadcast"),
        Sample((a.astype(np.uint8), rng.integers(0, 5, size=(3, 4)).astype(np.uint8)),
               name="uint8"),
        Sample((a, 2), name="python int"),
        Sample((a > 0, rng.integers(0, 2, size=(3, 4)).astype(bool)), name="bool"),
    ]


def _comparison(name, ref):
    return OpInfo(
        name, getattr(ember, name), ref,
        lambda rng: binary_samples(_with_ties)(rng) + [
            Sample((_with_ties(rng, 3, 4), 1.0), name="python float"),
            Sample((_with_ties(rng, 3, 4), 1), name="python int"),
        ],
        method=name, int_samples=_int_pairs, grad=False,
        errors=lambda rng: [ErrorInput(Sample((randn(rng, 2, 3), randn(rng, 4))), RuntimeError,
                                       rf"{name}: the shapes \(2, 3\) and \(4,\) cannot")],
    )


def _logical_samples(rng):
    # zeros among the values, since nonzero means True
    return binary_samples(_with_ties)(rng)


def _bitwise_pairs(rng):
    a = rng.integers(-50, 50, size=(3, 4))
    return [
        Sample((a, rng.integers(-50, 50, size=(3, 4))), name="int64"),
        Sample((a.astype(np.int16), rng.integers(-9, 9, size=(4,)).astype(np.int16)),
               name="int16 broadcast"),
        Sample((a.astype(np.uint8), np.uint8(7) * np.ones((3, 1), np.uint8)), name="uint8"),
        Sample((a > 0, rng.integers(0, 2, size=(3, 4)).astype(bool)), name="bool"),
        Sample((a, 6), name="python int"),
    ]


def _shift_pairs(rng):
    a = rng.integers(-1000, 1000, size=(3, 4))
    return [
        Sample((a, rng.integers(0, 10, size=(3, 4))), name="int64"),
        Sample((a.astype(np.int32), rng.integers(0, 8, size=(4,)).astype(np.int32)),
               name="int32 broadcast"),
        Sample((a, 3), name="python int"),
    ]


def _float_operand_error(name):
    return lambda rng: [
        ErrorInput(Sample((randn(rng, 3), randn(rng, 3))), NotImplementedError,
                   rf"{name}: not implemented for float64 tensors"),
        ErrorInput(Sample((np.arange(3), 1.5)), NotImplementedError,
                   rf"{name}: not implemented for a float operand"),
    ]


def _where_samples(rng):
    cond = rng.integers(0, 2, size=(3, 4)).astype(bool)
    return [
        Sample((cond, randn(rng, 3, 4), randn(rng, 3, 4)), name="same"),
        Sample((cond, randn(rng, 4), randn(rng, 3, 1)), name="broadcast"),
        Sample((cond[:, :1], randn(rng, 3, 4), randn(rng)), name="0-d other"),
        Sample((cond, randn(rng, 3, 4), 0.5), name="python scalar"),
        Sample((cond, 2.0, randn(rng, 3, 4)), grad_args=(2,), name="scalar input"),
        Sample((noncontiguous(rng.integers(0, 2, size=(4, 3)).astype(bool)),
                noncontiguous(randn(rng, 4, 3)), randn(rng, 4, 3)), name="non-contiguous"),
    ]


def _where_int_samples(rng):
    cond = rng.integers(0, 2, size=(3, 4)).astype(bool)
    return [
        Sample((cond, rng.integers(-5, 5, size=(3, 4)), 7), name="int with python int"),
        Sample((cond, rng.integers(-5, 5, size=(3, 4)), rng.integers(0, 5, size=(4,))),
               name="int64 broadcast"),
    ]


def _where_ref(cond, x, y):
    dtype = np.result_type(*(v for v in (x, y) if isinstance(v, np.ndarray)))
    return np.where(cond, x, y).astype(dtype)


def _where_errors(rng):
    return [
        ErrorInput(Sample((randn(rng, 3), randn(rng, 3), randn(rng, 3))), RuntimeError,
                   "where expected condition to be a boolean tensor.*float64"),
        ErrorInput(Sample((np.ones(2, bool), randn(rng, 3), randn(rng, 3))), RuntimeError,
                   r"where: the shapes of condition \(2,\)"),
    ]


def _distinct_from(bounds):
    # keep every value away from the bounds: clamp's gradient jumps there
    def make(rng, *shape):
        v = rng.uniform(-2, 2, size=shape)
        for b in bounds:
            v = np.where(np.abs(v - b) < 0.05, v + 0.1, v)
        return np.asarray(v)

    return make


def _clamp_scalar_samples(rng):
    make = _distinct_from((-0.5, 0.5))
    return [
        Sample((make(rng, 3, 4),), {"min": -0.5, "max": 0.5}, name="both"),
        Sample((make(rng, 5),), {"min": -0.5}, name="min only"),
        Sample((make(rng),), {"max": 0.5}, name="0-d max only"),
        Sample((noncontiguous(make(rng, 4, 3)),), {"min": -0.5, "max": 0.5}, name="non-contig"),
        Sample((make(rng, 3),), {"min": 0.5, "max": -0.5}, name="min > max"),
    ]


def _clamp_tensor_samples(rng):
    x = rng.uniform(-2, 2, size=(3, 4))
    low = rng.uniform(-1.5, 0, size=(4,))
    high = rng.uniform(0.1, 1.5, size=(3, 1))
    x = np.where(np.abs(x - low) < 0.05, x + 0.1, x)
    x = np.where(np.abs(x - high) < 0.05, x + 0.1, x)
    x = np.where(np.abs(x - low) < 0.05, x + 0.1, x)
    return [Sample((x, low, high), name="tensor bounds, broadcast")]


def _clamp_int_samples(rng):
    a = rng.integers(-5, 6, size=(3, 4))
    return [
        Sample((a,), {"min": -2, "max": 3}, name="int bounds keep int64"),
        Sample((a,), {"min": 0.5}, name="float bound gives float32"),
        Sample((a > 0,), {"min": 0}, name="bool with int bound gives int64"),
    ]


def _clamp_ref(x, min=None, max=None):
    out = x
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    if isinstance(min, float) and x.dtype.kind in "biu":
        out = out.astype(np.float32)  # PyTorch: an int tensor clamped to a float is float32
    return out


def _heaviside_samples(rng):
    x = rng.integers(-1, 2, size=(3, 4)).astype(np.float64)  # zeros included
    return [Sample((x, randn(rng, 4)), name="broadcast values"),
            Sample((x, np.asarray(0.5)), name="0-d values")]


def _heaviside_ref(x, values):
    return np.where(x == 0, values, (x > 0).astype(x.dtype)).astype(x.dtype)


def _classify_samples(rng):
    x = randn(rng, 3, 4)
    x[0, :3] = [np.nan, np.inf, -np.inf]
    x[1, 0] = -0.0
    return [Sample((x,), name="with specials"), Sample((randn(rng),), name="0-d")]


def _classify_ints(rng):
    return [Sample((rng.integers(-3, 3, size=(4,)),), name="int64"),
            Sample((np.array([True, False]),), name="bool")]


def _classify(name, ref, ints=True):
    return OpInfo(name, getattr(ember, name), ref, _classify_samples, method=name,
                  int_samples=_classify_ints if ints else None, grad=False)


def _isclose_samples(rng):
    x = randn(rng, 3, 4)
    y = x + rng.choice([0.0, 1e-9, 1e-6, 1e-3], size=(3, 4)) * np.abs(x)
    y[0, 0] = x[0, 0] = np.inf
    y[0, 1] = np.nan
    return [Sample((x, y), name="mixed"), Sample((x, y), {"rtol": 1e-2, "atol": 0.0}),
            Sample((x, y), {"equal_nan": True})]


def _isclose_ref(x, y, rtol=1e-5, atol=1e-8, equal_nan=False):
    with np.errstate(invalid="ignore"):
        return np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


OPS = [
    _comparison("eq", np.equal),
    _comparison("ne", np.not_equal),
    _comparison("lt", np.less),
    _comparison("le", np.less_equal),
    _comparison("gt", np.greater),
    _comparison("ge", np.greater_equal),
    OpInfo("greater_alias", ember.greater, np.greater, binary_samples(_with_ties), grad=False,
           method="greater"),
    OpInfo("less_equal_alias", ember.less_equal, np.less_equal, binary_samples(_with_ties),
           grad=False, method="less_equal"),
    OpInfo("not_equal_alias", ember.not_equal, np.not_equal, binary_samples(_with_ties),
           grad=False, method="not_equal"),
    OpInfo("eq_operator", lambda a, b: a == b, lambda a, b: a == b,
           binary_samples(_with_ties), grad=False, int_samples=_int_pairs),
    OpInfo("lt_operator_reflected", lambda a, b: 0.5 < b, lambda a, b: 0.5 < b,
           binary_samples(_with_ties), grad=False),
    OpInfo("logical_and", ember.logical_and, np.logical_and, _logical_samples, grad=False,
           method="logical_and", int_samples=_int_pairs),
    OpInfo("logical_or", ember.logical_or, np.logical_or, _logical_samples, grad=False,
           method="logical_or", int_samples=_int_pairs),
    OpInfo("logical_xor", ember.logical_xor, np.logical_xor, _logical_samples, grad=False,
           method="logical_xor", int_samples=_int_pairs),
    OpInfo("logical_not", ember.logical_not, np.logical_not,
           lambda rng: [Sample((_with_ties(rng, 3, 4),)), Sample((_with_ties(rng),))],
           grad=False, method="logical_not"),
    OpInfo("bitwise_and", ember.bitwise_and, np.bitwise_and, lambda rng: [], grad=False,
           method="bitwise_and", int_samples=_bitwise_pairs,
           errors=_float_operand_error("bitwise_and")),
    OpInfo("bitwise_or", ember.bitwise_or, np.bitwise_or, lambda rng: [], grad=False,
           method="bitwise_or", int_samples=_bitwise_pairs,
           errors=_float_operand_error("bitwise_or")),
    OpInfo("bitwise_xor", ember.bitwise_xor, np.bitwise_xor, lambda rng: [], grad=False,
           method="bitwise_xor", int_samples=_bitwise_pairs),
    OpInfo("and_operator", lambda a, b: a & b, lambda a, b: a & b, lambda rng: [], grad=False,
           int_samples=_bitwise_pairs),
    OpInfo("or_operator_reflected", lambda a, b: 5 | a, lambda a, b: 5 | a, lambda rng: [],
           grad=False, int_samples=_bitwise_pairs),
    OpInfo("xor_operator", lambda a, b: a ^ b, lambda a, b: a ^ b, lambda rng: [], grad=False,
           int_samples=_bitwise_pairs),
    OpInfo("bitwise_not", ember.bitwise_not, np.invert, lambda rng: [], grad=False,
           method="bitwise_not",
           int_samples=lambda rng: [Sample((rng.integers(-9, 9, size=(3, 4)),)),
                                    Sample((np.array([True, False]),))],
           errors=lambda rng: [ErrorInput(Sample((randn(rng, 2),)), NotImplementedError,
                                          "bitwise_not: not implemented for float64")]),
    OpInfo("invert_operator", lambda a: ~a, np.invert, lambda rng: [], grad=False,
           int_samples=lambda rng: [Sample((rng.integers(-9, 9, size=(5,)),))],
           errors=lambda rng: [ErrorInput(Sample((randn(rng, 2),)), TypeError,
                                          "only implemented on integer and Boolean")]),
    OpInfo("bitwise_left_shift", ember.bitwise_left_shift, np.left_shift, lambda rng: [],
           grad=False, method="bitwise_left_shift", int_samples=_shift_pairs),
    OpInfo("bitwise_right_shift", ember.bitwise_right_shift, np.right_shift, lambda rng: [],
           grad=False, method="bitwise_right_shift", int_samples=_shift_pairs),
    OpInfo("lshift_operator", lambda a, b: a << b, np.left_shift, lambda rng: [], grad=False,
           int_samples=_shift_pairs),
    OpInfo("rshift_operator", lambda a, b: a >> b, np.right_shift, lambda rng: [], grad=False,
           int_samples=_shift_pairs),
    OpInfo("where", ember.where, _where_ref, _where_samples, int_samples=_where_int_samples,
           errors=_where_errors),
    OpInfo("where_method", lambda c, x, y: x.where(c, y), _where_ref,
           lambda rng: _where_samples(rng)[:2]),
    OpInfo("clamp", ember.clamp, _clamp_ref, _clamp_scalar_samples, method="clamp",
           int_samples=_clamp_int_samples,
           errors=lambda rng: [ErrorInput(Sample((randn(rng, 3),)), RuntimeError,
                                          "At least one of 'min' or 'max'")]),
    OpInfo("clip", ember.clip, _clamp_ref, _clamp_scalar_samples, method="clip"),
    OpInfo("clamp_tensor_bounds", ember.clamp, _clamp_ref, _clamp_tensor_samples),
    OpInfo("clamp_min", ember.clamp_min, np.maximum,
           lambda rng: [Sample((_distinct_from((0.3,))(rng, 3, 4), 0.3))], method="clamp_min"),
    OpInfo("clamp_max", ember.clamp_max, np.minimum,
           lambda rng: [Sample((_distinct_from((0.3,))(rng, 3, 4), 0.3))], method="clamp_max"),
    OpInfo("heaviside", ember.heaviside, _heaviside_ref, _heaviside_samples, grad=False,
           method="heaviside"),
    _classify("isnan", np.isnan),
    _classify("isinf", np.isinf),
    _classify("isfinite", np.isfinite),
    _classify("isposinf", np.isposinf),
    _classify("isneginf", np.isneginf),
    _classify("signbit", np.signbit, ints=False),
    _classify("isreal", np.isreal),
    OpInfo("isclose", ember.isclose, _isclose_ref, _isclose_samples, grad=False,
           method="isclose"),
]
