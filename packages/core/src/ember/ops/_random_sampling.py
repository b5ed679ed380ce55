"""The sampling functions of ``ember.ops.random``: ``rand``, ``randn``, ``randint``,
``randperm`` (and the ``*_like`` forms), ``normal``, ``bernoulli``, ``multinomial`` and
``poisson``, with the array-drawing helpers the in-place samplers share.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ._random_state import (
    _rng,
)
from ._util import xp_of
from .creation import _finish, _like, _sizes

__all__ = [
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


# Drawing arrays
# ---------------------------------------------------------------------------------------------

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_MANTISSA = {np.dtype(np.float16): 11, np.dtype(dt.bfloat16.np_dtype): 8}


def _uniform01(rng, shape, np_dtype):
    """Uniform values in [0, 1) of ``np_dtype`` (float or complex: both parts uniform)."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (_F32, _F64):
        return rng.random(shape, dtype=np_dtype)
    if np_dtype.kind == "c":
        real = _F32 if np_dtype == np.complex64 else _F64
        return _uniform01(rng, tuple(shape) + (2,), real).view(np_dtype)[..., 0]
    # Half precision: multiples of 2**-bits, so rounding can never produce 1.0.
    bits = _MANTISSA[np_dtype]
    k = rng.integers(0, 1 << bits, size=shape, dtype=np.int32)
    return (k * (1.0 / (1 << bits))).astype(np_dtype)


def _standard_normal(rng, shape, np_dtype):
    np_dtype = np.dtype(np_dtype)
    if np_dtype in (_F32, _F64):
        return rng.standard_normal(shape, dtype=np_dtype)
    if np_dtype.kind == "c":  # real and imaginary parts each of variance 1/2
        real = _F32 if np_dtype == np.complex64 else _F64
        parts = rng.standard_normal(tuple(shape) + (2,), dtype=real) * real.type(math.sqrt(0.5))
        return parts.view(np_dtype)[..., 0]
    return rng.standard_normal(shape, dtype=np.float32).astype(np_dtype)


def _float_dtype(dtype, op):
    d = dt.get_default_dtype() if dtype is None else dt.to_dtype(dtype)
    if not (d.is_floating_point or d.is_complex):
        raise NotImplementedError(
            f"{op}: not implemented for {d}; random floats need a floating-point dtype (use "
            f"randint for integers)"
        )
    return d


def _size_args(size_args, kwargs, op):
    """The shape from ``*size`` or ``size=`` (the only extra keyword PyTorch accepts)."""
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"{op}() got unexpected keyword arguments {sorted(kwargs)}")
    if size is not None:
        if size_args:
            raise TypeError(f"{op}(): size given both positionally and as size=")
        size_args = (size,)
    return _sizes(size_args, op)


def _out_or(result, out):
    if out is None:
        return result
    from .linalg import _out

    return _out(result, out)


def rand(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kwargs,
) -> Tensor:
    """Uniform random numbers in [0, 1): ``rand(2, 3)`` or ``rand((2, 3))``.

    Args:
        generator: draw from this :class:`Generator` instead of the default one.
        dtype: a floating (or complex) dtype, the default dtype if None.
    """
    shape = _size_args(size, kwargs, "rand")
    d = _float_dtype(dtype, "rand")
    rng = _rng(generator, device)
    return _out_or(_finish(_uniform01(rng, shape, d.np_dtype), requires_grad), out)


def randn(
    *size,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    **kwargs,
) -> Tensor:
    """Standard normal random numbers (mean 0, variance 1): ``randn(2, 3)``."""
    shape = _size_args(size, kwargs, "randn")
    d = _float_dtype(dtype, "randn")
    rng = _rng(generator, device)
    return _out_or(_finish(_standard_normal(rng, shape, d.np_dtype), requires_grad), out)


def _check_range(low, high, np_dtype, op):
    if low >= high:
        raise RuntimeError(
            f"{op}: expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        if low < info.min or high - 1 > info.max:
            raise RuntimeError(
                f"{op}: the range [{low}, {high}) does not fit in {dt.from_numpy_dtype(np_dtype)}"
            )
    elif np_dtype == np.bool_ and (low < 0 or high > 2):
        raise RuntimeError(f"{op}: the range [{low}, {high}) does not fit in bool")


def _integers(rng, low, high, shape, np_dtype):
    values = rng.integers(low, high, size=shape, dtype=np.int64)
    return values if np_dtype == np.int64 else values.astype(np_dtype)


def randint(
    *args,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    low=None,
    high=None,
) -> Tensor:
    """Random integers uniform in ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)``, ``size`` a tuple. int64 unless ``dtype`` says otherwise.

    Example:
        >>> ember.randint(0, 10, (2, 3)).dtype
        ember.int64
    """
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size' (a tuple of ints)")
        size = args.pop()
    if high is None:
        if not args:
            raise TypeError("randint() missing required argument 'high'")
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args:
        raise TypeError("randint() takes at most 3 positional arguments (low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}"
        )
    shape = _sizes((size,), "randint")
    d = dt.int64 if dtype is None else dt.to_dtype(dtype)
    low, high = int(low), int(high)
    _check_range(low, high, d.np_dtype, "randint")
    rng = _rng(generator, device)
    values = _integers(rng, low, high, shape, d.np_dtype)
    return _out_or(_finish(values, requires_grad), out)


def randperm(
    n: int,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    if isinstance(n, Tensor):
        n = n.item()
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    d = dt.int64 if dtype is None else dt.to_dtype(dtype)
    rng = _rng(generator, device)
    values = rng.permutation(int(n))
    return _out_or(_finish(values.astype(d.np_dtype, copy=False), requires_grad), out)


def rand_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """``rand`` with ``input``'s shape, dtype and device (unless overridden)."""
    dtype, device = _like(input, dtype, device)
    return rand(
        input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad
    )


def randn_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """``randn`` with ``input``'s shape, dtype and device (unless overridden)."""
    dtype, device = _like(input, dtype, device)
    return randn(
        input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad
    )


def randint_like(
    input: Tensor,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """``randint`` with ``input``'s shape, dtype and device: ``randint_like(x, high)`` or
    ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    dtype, device = _like(input, dtype, device)
    return randint(
        low,
        high,
        input.shape,
        generator=generator,
        dtype=dtype,
        device=device,
        requires_grad=requires_grad,
    )


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
) -> Tensor:
    """Normal random numbers with the given ``mean`` and ``std``.

    ``mean`` and ``std`` may be tensors (broadcast together, giving the shape and dtype) or
    numbers (then ``size`` gives the shape). Differentiable in tensor ``mean`` and ``std``
    (the sample is ``mean + std * eps``).

    Example:
        >>> ember.normal(2.0, 3.0, size=(4,)).shape
        ember.Size([4])
        >>> ember.normal(ember.zeros(3), ember.ones(3)).shape
        ember.Size([3])
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(): with float mean and std, the argument 'size' is required")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = _sizes((size,) if isinstance(size, (tuple, list)) else (size,), "normal")
        d = _float_dtype(dtype, "normal")
        eps = _standard_normal(_rng(generator, device), shape, d.np_dtype)
        values = eps if (mean, std) == (0, 1) else eps * std + mean
        values = values.astype(d.np_dtype, copy=False)
        return _out_or(_finish(values, requires_grad), out)
    d = dt.result_type(*(x for x in (mean, std)))
    if not (d.is_floating_point or d.is_complex):
        raise NotImplementedError(
            f"normal: not implemented for {d}; pass floating-point mean and std"
        )
    if isinstance(std, Tensor):
        if bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    eps = _make(_standard_normal(_rng(generator, tensors[0].device), shape, d.np_dtype))
    return _out_or(mean + std * eps, out)


def _probabilities(p, like: Tensor, op):
    """``p`` (a number or tensor) as an array broadcast against ``like``, checked in [0, 1]."""
    if isinstance(p, Tensor):
        data = p._data
        xp = xp_of(data)
        if bool(((data < 0) | (data > 1) | xp.isnan(data)).any()):
            raise RuntimeError(f"{op}: expects p to be in [0, 1] (found values outside)")
        try:
            return xp.broadcast_to(data, like._data.shape)
        except ValueError:
            raise RuntimeError(
                f"{op}: p of shape {tuple(data.shape)} cannot be broadcast to the shape "
                f"{tuple(like.shape)}"
            ) from None
    if not 0 <= p <= 1:
        raise RuntimeError(f"{op}: expects p to be in [0, 1], but got p={p}")
    return p


def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (elementwise), or ``p`` when given; the
    result has ``input``'s shape and dtype."""
    if not (input.is_floating_point() or input.is_complex()):
        raise NotImplementedError(
            f"bernoulli: not implemented for {input.dtype}; the probabilities must be floats"
        )
    probs = _probabilities(input.detach() if p is None else p, input, "bernoulli")
    u = _uniform01(_rng(generator, input.device), input._data.shape, np.float64)
    return _out_or(_make((u < probs).astype(input._data.dtype)), out)


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator=None, out=None
) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    Args:
        input: non-negative weights, ``(k,)`` or ``(n, k)`` (need not sum to 1).
        num_samples: samples per row; without replacement at most ``k``.

    Returns:
        int64 indices of shape ``(num_samples,)`` or ``(n, num_samples)``.
    """
    data = input._data
    if data.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {data.ndim}-D")
    if data.dtype.kind not in "f" and input.dtype is not dt.bfloat16:
        raise RuntimeError(
            f"multinomial: only floating-point weights are supported, got {input.dtype}"
        )
    k = data.shape[-1]
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > k:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({num_samples} > {k})"
        )
    xp = xp_of(data)
    w = data.astype(np.float64).reshape(-1, k)
    if not bool(xp.isfinite(w).all()) or bool((w < 0).any()):
        raise RuntimeError(
            "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
        )
    total = w.sum(axis=1, keepdims=True)
    if bool((total <= 0).any()):
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    rng = _rng(generator, input.device)
    rows = w.shape[0]
    u = _uniform01(rng, (rows, num_samples if replacement else k), np.float64)
    if replacement:
        # Inverse CDF. Offsetting row r by r lets one searchsorted serve every row; side="right"
        # skips zero-weight categories (their CDF step is flat).
        cdf = xp.cumsum(w, axis=1) / total
        cdf[:, -1] = 1.0
        offset = xp.arange(rows, dtype=np.float64)[:, None]
        flat = xp.searchsorted((cdf + offset).ravel(), (u + offset).ravel(), side="right")
        idx = flat.reshape(rows, num_samples) - xp.arange(rows)[:, None] * k
        idx = xp.minimum(idx, k - 1)
    else:
        # Exponential race: category i "arrives" at E_i / w_i; the first num_samples arrivals
        # are a weighted sample without replacement, in order. Zero weights arrive at inf.
        with np.errstate(divide="ignore"):
            keys = -xp.log1p(-u) / w
        # A stable sort breaks the ties between zero weights by index, as PyTorch's order.
        # (CuPy's argsort is always stable and accepts no ``kind``.)
        stable = {"kind": "stable"} if xp is np else {}
        idx = xp.argsort(keys, axis=1, **stable)[:, :num_samples]
    idx = idx.astype(np.int64)
    return _out_or(_make(idx.reshape(data.shape[:-1] + (num_samples,))), out)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with rates ``input`` (non-negative floats); ``input``'s dtype."""
    data = input._data
    if data.dtype.kind != "f" and input.dtype is not dt.bfloat16:
        raise NotImplementedError(
            f"poisson: not implemented for {input.dtype}; rates must be floats"
        )
    if bool((data < 0).any()):
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    rng = _rng(generator, input.device)
    return _make(rng.poisson(data.astype(np.float64)).astype(data.dtype))


# ---------------------------------------------------------------------------------------------
