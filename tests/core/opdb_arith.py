"""Op table entries for ember.ops.arith: binary arithmetic with broadcasting."""

import numpy as np
from opinfo import ErrorInput, OpInfo, Sample, binary_samples, positive, randn

import ember


def _away_from_zero(rng, *shape):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _distinct(rng, *shape):
    # maximum/minimum are not differentiable at ties; keep operands apart
    n = int(np.prod(shape))
    values = rng.permutation(np.arange(max(n, 1), dtype=np.float64))[:n] * 0.37
    return np.asarray(values.reshape(shape) + rng.uniform(0, 0.01))


def _int_pairs(rng):
    a = rng.integers(-10, 10, size=(3, 4))
    b = rng.integers(1, 5, size=(3, 4)) * rng.choice([-1, 1], size=(3, 4))
    return [Sample((a, b), name="int64"), Sample((a.astype(np.int32), b.astype(np.int32)))]


def _shape_error(rng):
    return [ErrorInput(Sample((randn(rng, 2, 3), randn(rng, 4))), RuntimeError,
                       r"add: The size of tensor a \(3\) must match the size of tensor b \(4\) "
                       r"at non-singleton dimension 1")]


def _scalar_samples(rng):
    return [
        Sample((randn(rng, 3, 4), 2.5), name="python float"),
        Sample((randn(rng, 3), 3), name="python int"),
        Sample((2.0, randn(rng, 2, 2)), grad_args=(1,), name="scalar first"),
    ]


OPS = [
    OpInfo("add", ember.add, np.add, binary_samples(), method="add",
           int_samples=_int_pairs, errors=_shape_error),
    OpInfo("add_alpha", lambda a, b: ember.add(a, b, alpha=0.5), lambda a, b: a + 0.5 * b,
           binary_samples()),
    OpInfo("add_scalar", lambda a, b: a + b, lambda a, b: a + b, _scalar_samples),
    OpInfo("sub", ember.sub, np.subtract, binary_samples(), method="sub", int_samples=_int_pairs),
    OpInfo("rsub_operator", lambda a, b: a - b, lambda a, b: a - b, _scalar_samples),
    OpInfo("mul", ember.mul, np.multiply, binary_samples(), method="mul",
           int_samples=_int_pairs),
    OpInfo("mul_scalar", lambda a, b: a * b, lambda a, b: a * b, _scalar_samples),
    OpInfo("div", ember.div, np.true_divide, binary_samples(randn, _away_from_zero),
           method="div"),
    OpInfo("div_scalar", lambda a, b: b / a if isinstance(a, ember.Tensor) else a / b,
           lambda a, b: b / a if isinstance(a, np.ndarray) else a / b,
           lambda rng: [Sample((_away_from_zero(rng, 3, 4), 2.5)),
                        Sample((3.0, _away_from_zero(rng, 4)), grad_args=(1,))]),
    OpInfo("div_int_is_float", ember.div, lambda a, b: (a / b).astype(np.float32),
           lambda rng: [], int_samples=_int_pairs, grad=False),
    OpInfo("div_floor", lambda a, b: ember.div(a, b, rounding_mode="floor"),
           lambda a, b: np.floor_divide(a, b), lambda rng: [], int_samples=_int_pairs,
           grad=False),
    OpInfo("div_trunc", lambda a, b: ember.div(a, b, rounding_mode="trunc"),
           lambda a, b: np.trunc(a / b).astype(np.result_type(a, b)), lambda rng: [],
           int_samples=_int_pairs, grad=False),
    OpInfo("pow", ember.pow, np.power, binary_samples(positive, randn), method="pow"),
    OpInfo("pow_scalar_exponent", lambda a, b: a ** b, lambda a, b: a ** b,
           lambda rng: [Sample((randn(rng, 3, 4), 2)), Sample((positive(rng, 5), 0.5)),
                        Sample((randn(rng, 4), 3.0)), Sample((randn(rng, 2), 0))]),
    OpInfo("rpow", lambda a, b: a ** b, lambda a, b: a ** b,
           lambda rng: [Sample((2.0, randn(rng, 3)), grad_args=(1,))]),
    OpInfo("neg", ember.neg, np.negative,
           lambda rng: [Sample((randn(rng, 3, 4),)), Sample((randn(rng),))], method="neg"),
    OpInfo("maximum", ember.maximum, np.maximum, binary_samples(_distinct), method="maximum"),
    OpInfo("minimum", ember.minimum, np.minimum, binary_samples(_distinct), method="minimum"),
    OpInfo("fmax", ember.fmax, np.fmax, binary_samples(_distinct)),
    OpInfo("fmin", ember.fmin, np.fmin, binary_samples(_distinct)),
    OpInfo("floor_divide", ember.floor_divide, np.floor_divide,
           binary_samples(randn, _away_from_zero), int_samples=_int_pairs, grad=False),
    OpInfo("remainder", ember.remainder, np.remainder,
           lambda rng: [Sample((randn(rng, 3, 4) * 3, _away_from_zero(rng, 3, 4)),
                               grad_args=(0,))],
           int_samples=_int_pairs, gradgrad=False),
    OpInfo("fmod", ember.fmod, np.fmod,
           lambda rng: [Sample((randn(rng, 3, 4) * 3, _away_from_zero(rng, 3, 4)),
                               grad_args=(0,))],
           int_samples=_int_pairs, gradgrad=False),
    OpInfo("atan2", ember.atan2, np.arctan2, binary_samples(_away_from_zero)),
    OpInfo("logaddexp", ember.logaddexp, np.logaddexp, binary_samples()),
    OpInfo("logaddexp2", ember.logaddexp2, np.logaddexp2, binary_samples()),
    OpInfo("hypot", ember.hypot, np.hypot, binary_samples(_away_from_zero)),
    OpInfo("lerp", ember.lerp, lambda a, b, w: a + w * (b - a),
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 3, 4), randn(rng, 4)))]),
    OpInfo("addcmul", lambda a, b, c: ember.addcmul(a, b, c, value=0.5),
           lambda a, b, c: a + 0.5 * b * c,
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 3, 1), randn(rng, 4)))]),
    OpInfo("addcdiv", lambda a, b, c: ember.addcdiv(a, b, c, value=2),
           lambda a, b, c: a + 2 * b / c,
           lambda rng: [Sample((randn(rng, 3, 4), randn(rng, 3, 4), positive(rng, 4)))]),
]
