"""Random numbers with PyTorch's API: ``Generator``, ``manual_seed``, ``rand``/``randn``/
``randint``/``randperm``/``normal``/``bernoulli``/``multinomial``/``poisson`` and the in-place
samplers (``uniform_``, ``normal_``...).

A CPU :class:`Generator` wraps NumPy's PCG64 bit generator; a CUDA one CuPy's (cuRAND
XORWOW). Same seed, same numbers; the streams differ from PyTorch's (a deliberate difference:
reproducing PyTorch's Mersenne Twister stream bit for bit would cost a custom generator).
``default_generator`` is the process-wide CPU generator behind every call without
``generator=``. float32 values are drawn directly in float32 (NumPy's ``dtype=`` argument).

Other modules (dropout, samplers, init) draw through :func:`_rng`, which returns the NumPy or
CuPy generator for a ``generator=`` argument or a device.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._random_sampling import (
    _F32,
    _F64,
    _MANTISSA,
    _check_range,
    _integers,
    _probabilities,
    _standard_normal,
    _uniform01,
    bernoulli,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
from ._random_state import (
    Generator,
    _rng,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ._random_state import _check_seed as _check_seed
from ._random_state import _cuda_default as _cuda_default
from ._random_state import _rebuild_generator as _rebuild_generator
from ._random_state import _seed_cuda as _seed_cuda
from ._util import inplace, register_methods, write_into, xp_of

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "rand",
    "randn",
    "randint",
    "randperm",
    "rand_like",
    "randn_like",
    "randint_like",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
]

# In-place samplers (Tensor methods). nn.init calls them on parameters inside no_grad.
# ---------------------------------------------------------------------------------------------


class _Overwrite(Function):
    """Values written over a tensor in the graph: nothing flows back to the old values."""

    @staticmethod
    def forward(ctx, x, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        return None, None


def _fill(self: Tensor, values, op: str) -> Tensor:
    check_inplace(self, op=op)
    values = values.astype(self._data.dtype, copy=False)
    if STATE.enabled and self.requires_grad:  # a non-leaf: cut its history
        return inplace(self, lambda src: _Overwrite.apply(src, values), op=op)
    return write_into(self, _make(values), op)


def _rng_for(self, generator):
    return _rng(generator, self.device)


def _need_float(self, op):
    if not (self.is_floating_point() or self.is_complex()):
        raise NotImplementedError(
            f"{op}: not implemented for {self.dtype}; it samples a continuous distribution"
        )


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with uniform samples from ``[a, b)`` (``from``/``to`` keywords also accepted)."""
    a, b = kwargs.pop("from", a), kwargs.pop("to", b)
    _need_float(self, "uniform_")
    if a > b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
        )
    dtype = self._data.dtype
    u = _uniform01(_rng_for(self, generator), self._data.shape, dtype)
    if (a, b) != (0.0, 1.0):
        if dtype in _MANTISSA:  # scale half precision in float32, round once
            u = u.astype(_F32)
        u = u * (b - a) + a
    return _fill(self, u, "uniform_")


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with normal samples of the given ``mean`` and ``std``."""
    _need_float(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    dtype = self._data.dtype
    draw_dtype = dtype if dtype in (_F32, _F64) or dtype.kind == "c" else _F32
    eps = _standard_normal(_rng_for(self, generator), self._data.shape, draw_dtype)
    if (mean, std) != (0.0, 1.0):
        eps = eps * std + mean
    return _fill(self, eps, "normal_")


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a broadcastable tensor)."""
    probs = _probabilities(p, self, "bernoulli_")
    u = _uniform01(_rng_for(self, generator), self._data.shape, np.float64)
    return _fill(self, u < probs, "bernoulli_")


def _float_random_top(np_dtype):
    # PyTorch's random_() on floats: integers up to 2**mantissa, all exactly representable.
    return {
        np.dtype(np.float16): 1 << 11,
        np.dtype(dt.bfloat16.np_dtype): 1 << 8,
        _F32: 1 << 24,
        _F64: 1 << 53,
    }[np.dtype(np_dtype)]


def random_(self, *args, generator=None, **kwargs) -> Tensor:
    """Fill with integers uniform in ``[from, to)``: ``random_(to)`` or ``random_(from, to)``;
    with no upper bound, ``[from, 2**mantissa]`` for floats and ``[from, max]`` for integers."""
    low, high = kwargs.pop("from", None), kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got unexpected keyword arguments {sorted(kwargs)}")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if low is None and high is None:
            high = args[0]  # random_(to)
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError("random_() takes at most 2 positional arguments (from, to)")
    low = 0 if low is None else int(low)
    dtype = self._data.dtype
    if high is None:
        if dtype == np.bool_:
            high = 2
        elif dtype.kind in "iu":
            high = int(np.iinfo(dtype).max) + 1
        else:
            high = _float_random_top(dtype) + 1
    high = int(high)
    _check_range(low, high, dtype, "random_")
    values = _integers(_rng_for(self, generator), low, high, self._data.shape, dtype)
    return _fill(self, values, "random_")


def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate ``lambd`` (density ``lambd * exp(-lambd x)``)."""
    if not self.is_floating_point():
        raise RuntimeError(
            f"exponential_: Exponential distribution is a continuous probability distribution. "
            f"dtype must be a floating point but you specified {self.dtype}"
        )
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    rng = _rng_for(self, generator)
    draw_dtype = self._data.dtype if self._data.dtype in (_F32, _F64) else _F32
    values = rng.standard_exponential(self._data.shape, dtype=draw_dtype)
    return _fill(self, values / draw_dtype.type(lambd), "exponential_")


def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples: ``median + sigma * tan(pi * (u - 1/2))``."""
    _need_float(self, "cauchy_")
    u = _uniform01(_rng_for(self, generator), self._data.shape, np.float64)
    values = median + sigma * xp_of(u).tan(np.pi * (u - 0.5))
    return _fill(self, values, "cauchy_")


def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples."""
    _need_float(self, "log_normal_")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    eps = _standard_normal(_rng_for(self, generator), self._data.shape, np.float64)
    return _fill(self, xp_of(eps).exp(eps * std + mean), "log_normal_")


def geometric_(self, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    values = _rng_for(self, generator).geometric(p, size=self._data.shape)
    return _fill(self, values, "geometric_")


register_methods(
    uniform_=uniform_,
    normal_=normal_,
    bernoulli_=bernoulli_,
    random_=random_,
    exponential_=exponential_,
    cauchy_=cauchy_,
    log_normal_=log_normal_,
    geometric_=geometric_,
    bernoulli=bernoulli,
    multinomial=multinomial,
)
