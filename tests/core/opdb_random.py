"""Op table entries for ember.ops.random (see opinfo.py).

A random op is deterministic once its generator is seeded, and Ember's CPU generator is NumPy's
PCG64: the references below draw from ``np.random.PCG64(seed)`` directly, so they pin both the
distribution's formula and the stream. ``normal`` with tensor mean/std is differentiable
(``mean + std * eps``), which gradcheck verifies with a freshly seeded generator per call.
The draws happen on the CPU (the stream under test) and move to the sample's device.
"""

import numpy as np
from opinfo import OpInfo, Sample, positive, randn

import ember


def _gen(seed=0):
    return ember.Generator().manual_seed(seed)


def _pcg(seed=0):
    return np.random.Generator(np.random.PCG64(seed))


def _normal_samples(rng):
    return [
        Sample((randn(rng, 3, 4), positive(rng, 3, 4)), name="same shape"),
        Sample((randn(rng, 3, 1), positive(rng, 4)), name="broadcast"),
        Sample((randn(rng), positive(rng, 2, 2)), name="0-d mean"),
    ]


def _normal_ref(mean, std):
    shape = np.broadcast_shapes(mean.shape, std.shape)
    return mean + std * _pcg().standard_normal(shape, dtype=np.result_type(mean, std))


def _uniform_ref(x, a, b):
    return _pcg().random(x.shape, dtype=x.dtype) * (b - a) + a


def _on_cpu(fn):
    """Run ``fn`` on CPU copies of the tensor arguments; move the result to their device."""

    def run(*args):
        device = next(a.device for a in args if isinstance(a, ember.Tensor))
        cpu = [a.cpu() if isinstance(a, ember.Tensor) else a for a in args]
        return fn(*cpu).to(device)

    return run


OPS = [
    OpInfo("normal_tensors", _on_cpu(lambda m, s: ember.normal(m, s, generator=_gen())),
           _normal_ref, _normal_samples),
    OpInfo("normal_tensor_mean", _on_cpu(lambda m: ember.normal(m, 2.0, generator=_gen())),
           lambda m: m + 2.0 * _pcg().standard_normal(m.shape, dtype=m.dtype),
           lambda rng: [Sample((randn(rng, 2, 3),))]),
    OpInfo("rand_like", _on_cpu(lambda x: ember.rand_like(x, generator=_gen())),
           lambda x: _pcg().random(x.shape, dtype=x.dtype),
           lambda rng: [Sample((randn(rng, 3, 4),)), Sample((randn(rng),))], grad=False),
    OpInfo("randn_like", _on_cpu(lambda x: ember.randn_like(x, generator=_gen(7))),
           lambda x: _pcg(7).standard_normal(x.shape, dtype=x.dtype),
           lambda rng: [Sample((randn(rng, 5),))], grad=False),
    OpInfo("uniform_", _on_cpu(lambda x, a, b: x.clone().uniform_(a, b, generator=_gen())),
           _uniform_ref, lambda rng: [Sample((randn(rng, 3, 4), -1.0, 2.0))], grad=False),
]
