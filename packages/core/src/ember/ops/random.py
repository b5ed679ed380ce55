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

import json
import math
import os

import numpy as np

from .. import _device as _dev
from .. import _dtype as dt
from .._tensor import Tensor, _make, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import inplace, register_methods, write_into, xp_of
from .creation import _finish, _like, _sizes

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

_UINT64 = (1 << 64) - 1
_DEFAULT_SEED = 67280421310721  # the seed of a new torch.Generator()
_STATE_FORMAT = "ember.Generator/PCG64/1"


def _check_seed(seed) -> int:
    """PyTorch accepts seeds in [-2**63, 2**64) and reads them as unsigned 64-bit."""
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed <= _UINT64:
        raise ValueError(f"manual_seed: seed {seed} does not fit in 64 bits")
    return seed & _UINT64


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A random-number generator; pass it as ``generator=`` for a stream independent of the
    global one.

    Args:
        device: ``'cpu'`` (NumPy's PCG64) or ``'cuda'`` (CuPy's XORWOW).

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> a = ember.rand(3, generator=g)
        >>> g.manual_seed(0)
        >>> bool((ember.rand(3, generator=g) == a).all())
        True
    """

    def __init__(self, device="cpu"):
        self._device = _dev.to_device(device)
        if self._device.type == "cuda":
            _dev.cupy_module()  # a clear error now when CUDA cannot be used
        self._engine_obj = None
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self) -> _dev.device:
        return self._device

    def manual_seed(self, seed) -> Generator:
        """Seed the generator (any int in [-2**63, 2**64)); returns ``self``."""
        self._seed = _check_seed(seed)
        if self._device.type == "cpu":
            self._engine_obj = np.random.Generator(np.random.PCG64(self._seed))
        else:
            self._engine_obj = None  # built on first use, on the right GPU
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return that seed."""
        s = _fresh_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def _engine(self):
        engine = self._engine_obj
        if engine is None:
            cp = _dev.cupy_module()
            with cp.cuda.Device(self._device.index or 0):
                engine = cp.random.Generator(cp.random.XORWOW(self._seed))
            self._engine_obj = engine
        return engine

    def get_state(self) -> Tensor:
        """The full state as a uint8 tensor, for :meth:`set_state`.

        The bytes are JSON (the seed and NumPy's PCG64 state), so restoring a state never runs
        code. CUDA generators cannot export their state (CuPy's cannot be serialised).
        """
        if self._device.type != "cpu":
            raise RuntimeError(
                "Generator.get_state: the state of a CUDA generator cannot be exported (CuPy's "
                "generator state is not serialisable); re-seed with manual_seed instead"
            )
        payload = {
            "format": _STATE_FORMAT,
            "seed": self._seed,
            "bit_generator": self._engine_obj.bit_generator.state,
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return _make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state returned by :meth:`get_state`; returns ``self``."""
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            kind = (
                type(new_state).__name__
                if not isinstance(new_state, Tensor)
                else str(new_state.dtype)
            )
            raise TypeError(f"set_state: RNG state must be an ember.uint8 tensor, got {kind}")
        if self._device.type != "cpu":
            raise RuntimeError("Generator.set_state: CUDA generator states are not supported")
        try:
            payload = json.loads(bytes(new_state.numpy(force=True).ravel()).decode())
            if payload.get("format") != _STATE_FORMAT:
                raise ValueError("unknown format")
            seed = _check_seed(payload["seed"])
            bit_generator = np.random.PCG64()
            bit_generator.state = payload["bit_generator"]
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            raise RuntimeError(
                f"set_state: the tensor is not an RNG state made by Generator.get_state ({exc})"
            ) from None
        self._seed = seed
        self._engine_obj = np.random.Generator(bit_generator)
        return self

    def __reduce__(self):
        state = self.get_state() if self._device.type == "cpu" else None
        return (_rebuild_generator, (str(self._device), self._seed, state))

    def __repr__(self) -> str:
        return f"<ember.Generator device={self._device} initial_seed={self._seed}>"


def _rebuild_generator(device, seed, state):
    g = Generator(device).manual_seed(seed)
    return g.set_state(state) if state is not None else g


default_generator = Generator()
default_generator.manual_seed(_fresh_seed())  # as in PyTorch, unseeded runs differ

_cuda_generators: dict[int, Generator] = {}
_cuda_seed: int | None = None


def _seed_cuda(seed) -> None:
    """Seed every CUDA device's default generator (now, or when first used)."""
    global _cuda_seed
    _cuda_seed = _check_seed(seed)
    for g in _cuda_generators.values():
        g.manual_seed(_cuda_seed)


def _cuda_default(index) -> Generator:
    index = 0 if index is None else index
    g = _cuda_generators.get(index)
    if g is None:
        g = Generator(f"cuda:{index}")
        g.manual_seed(_fresh_seed() if _cuda_seed is None else _cuda_seed)
        _cuda_generators[index] = g
    return g


def _rng(generator=None, device=None):
    """The NumPy (or CuPy) ``Generator`` to draw from: ``generator``'s, else the default
    generator of ``device`` (CPU when None). For the rest of Ember: dropout, samplers, init.
    """
    if device is None and generator is None:
        from .. import _settings

        device = _settings._DEFAULT_DEVICE["device"]
    dev = None if device is None else _dev.to_device(device)
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(f"generator must be an ember.Generator, got {type(generator).__name__}")
        if dev is not None and dev.type != generator._device.type:
            raise RuntimeError(
                f"Expected a '{dev.type}' device type for generator but found "
                f"'{generator._device.type}'"
            )
        return generator._engine()
    if dev is None or dev.type == "cpu":
        return default_generator._engine_obj
    return _cuda_default(dev.index)._engine()


def manual_seed(seed) -> Generator:
    """Seed the default CPU generator and every CUDA device's; returns ``default_generator``.

    Example:
        >>> ember.manual_seed(0); a = ember.rand(2)
        >>> ember.manual_seed(0); bool((ember.rand(2) == a).all())
        True
    """
    seed = _check_seed(seed)
    _seed_cuda(seed)
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generators from OS entropy; returns the seed."""
    s = default_generator.seed()
    _seed_cuda(s)
    return s


def initial_seed() -> int:
    """The seed of the default CPU generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default CPU generator's state (a uint8 tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default CPU generator's state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


# ---------------------------------------------------------------------------------------------
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
