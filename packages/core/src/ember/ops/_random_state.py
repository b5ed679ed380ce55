"""Random state behind ``ember.ops.random``: ``Generator`` (NumPy's PCG64 with PyTorch's
seeding API and a serialisable state), the default CPU generator and the per-device CUDA ones,
``manual_seed``/``seed``/``initial_seed`` and ``get_rng_state``/``set_rng_state``.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .. import _device as _dev
from .._tensor import Tensor, _make

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
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


# Pickles refer to these by module: keep the public module's name (this file is a private part
# of ember.ops.random, which re-exports both), so saved generators load either way.
Generator.__module__ = _rebuild_generator.__module__ = "ember.ops.random"

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
