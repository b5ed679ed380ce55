"""Process-wide runtime settings with PyTorch's names: print options, thread count, default
device, float32 matmul precision, determinism and warning switches, plus ``frombuffer``,
``get_device_module``, ``set_default_tensor_type`` and ``compile``.

Several settings exist only so PyTorch code runs unchanged: Ember's CPU kernels (NumPy) are
deterministic already, there is no TF32 to select, flushing denormals is not available from
NumPy, and there is no graph compiler. Each such function records the value (so the matching
getter answers as PyTorch's would) and says in its docstring what it changes.
"""

from __future__ import annotations

import math
import os
import sys
import warnings

import numpy as np

from . import _device as _dev
from . import _dtype as dt

__all__ = [
    "set_printoptions",
    "get_num_threads",
    "set_num_threads",
    "set_default_device",
    "get_default_device",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "get_deterministic_debug_mode",
    "set_warn_always",
    "is_warn_always_enabled",
    "set_flush_denormal",
    "set_anomaly_enabled",
    "is_storage",
    "frombuffer",
    "get_device_module",
    "set_default_tensor_type",
    "compile",
]


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_PRINT = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set how tensors print (``repr``/``str``), as ``torch.set_printoptions``.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: element count above which the output is summarised (default 1000).
        edgeitems: items shown at each end of a summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``'default'``, ``'short'`` (precision 2, edgeitems 2) or ``'full'`` (never
            summarise); applied first, the other arguments override it.
        sci_mode: True/False forces scientific notation on/off; None (the default, and what
            every call that omits it sets, as in PyTorch) chooses automatically.

    Example:
        >>> ember.set_printoptions(precision=2)
        >>> ember.tensor([1.23456])
        tensor([1.23])
        >>> ember.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            )
        _PRINT.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _PRINT[name] = value
    _PRINT["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options (a copy), as ``torch._tensor_str.get_printoptions``."""
    return dict(_PRINT)


def _use_sci(finite: np.ndarray, integral: bool) -> bool:
    """PyTorch's automatic choice: scientific notation when the non-zero magnitudes span more
    than 1000x, exceed 1e8 or go below 1e-4 (integral values: only above 1e8)."""
    if _PRINT["sci_mode"] is not None:
        return bool(_PRINT["sci_mode"])
    nonzero = finite[finite != 0]
    if not nonzero.size:
        return False
    hi, lo = float(nonzero.max()), float(nonzero.min())
    if integral:
        return hi > 1e8
    return hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4


def _format_values(data: np.ndarray) -> str:
    """The bracketed values of a tensor's repr, honouring :func:`set_printoptions`."""
    threshold = _PRINT["threshold"]
    opts = {
        "separator": ", ",
        "prefix": "tensor(",
        "threshold": sys.maxsize if threshold == math.inf else int(threshold),
        "edgeitems": int(_PRINT["edgeitems"]),
        "max_line_width": int(_PRINT["linewidth"]),
    }
    precision = int(_PRINT["precision"])
    if data.dtype.kind == "f" or data.dtype.name == "bfloat16":
        data = data.astype(np.float64 if data.dtype.itemsize == 8 else np.float32)
        finite = np.abs(data[np.isfinite(data)])
        integral = bool(np.all(finite == np.round(finite)))
        if _use_sci(finite, integral):
            fmt = f"{{:.{precision}e}}".format
            return np.array2string(data, formatter={"float_kind": fmt}, **opts)
        if _PRINT["sci_mode"] is False and finite.size and finite.max() >= 1e8:
            # NumPy itself switches to exponents from 1e8: format fixed-point by hand,
            # right-aligned to the widest value, as PyTorch does.
            digits = 0 if integral else precision
            suffix = "." if integral else ""  # integral floats print as "3." like PyTorch
            ends = data[np.isfinite(data)]
            width = max(len(f"{v:.{digits}f}{suffix}") for v in (ends.max(), ends.min()))

            def fmt(v):
                text = f"{v:.{digits}f}{suffix}" if np.isfinite(v) else f"{v}"
                return text.rjust(width)

            return np.array2string(data, formatter={"float_kind": fmt}, **opts)
        if integral:
            return np.array2string(data, floatmode="maxprec", precision=0, suppress_small=True,
                                   **opts)
        # suppress_small: NumPy must not pick scientific notation on its own
        return np.array2string(data, floatmode="fixed", precision=precision, suppress_small=True,
                               **opts)
    if data.dtype.kind == "c":
        return np.array2string(data, precision=precision, **opts)
    return np.array2string(data, **opts)


# ---------------------------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------------------------

_threads: dict = {"n": None, "limiter": None}


def set_num_threads(int_: int) -> None:
    """Set the number of threads the BLAS/OpenMP libraries use for intra-op work.

    Applied through ``threadpoolctl`` when it is installed (an optional package; Ember adds no
    dependency for it). Without it the value is only recorded: NumPy's BLAS reads its thread
    count at import, so set ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` before starting
    Python instead.
    """
    if isinstance(int_, bool) or not isinstance(int_, int) or int_ <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads["n"] = int_
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _threads["limiter"] = threadpool_limits(limits=int_)


def get_num_threads() -> int:
    """The intra-op thread count: the value last set, else ``OMP_NUM_THREADS``, else the CPUs
    this process may use."""
    if _threads["n"] is not None:
        return _threads["n"]
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# Default device
# ---------------------------------------------------------------------------------------------

_DEFAULT_DEVICE = {"device": None}


def set_default_device(device) -> None:
    """The device that creation functions (``ember.zeros``, ``ember.tensor``...) use when
    their ``device`` argument is omitted; ``None`` restores the CPU.

    Example:
        >>> ember.set_default_device("cuda")   # with a GPU: new tensors live there
        >>> ember.set_default_device(None)
    """
    _DEFAULT_DEVICE["device"] = None if device is None else _dev.to_device(device)


def get_default_device():
    """The device new tensors are created on (``ember.device('cpu')`` unless changed)."""
    return _DEFAULT_DEVICE["device"] or _dev.to_device("cpu")


def _resolve_device(device):
    """The device a creation call uses: the one asked for, else the default device."""
    if device is None:
        return _DEFAULT_DEVICE["device"] or _dev.to_device(None)
    return _dev.to_device(device)


# ---------------------------------------------------------------------------------------------
# Precision, determinism, warnings, anomaly detection, denormals
# ---------------------------------------------------------------------------------------------

_FLAGS = {
    "matmul_precision": "highest",
    "deterministic": False,
    "deterministic_warn_only": False,
    "warn_always": False,
}


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision (``'highest'``, ``'high'`` or ``'medium'``).

    PyTorch may use TF32/bfloat16 internally for ``'high'``/``'medium'`` on GPUs; Ember's
    float32 products always run in full float32, so only the getter changes. Like PyTorch,
    another value warns and has no effect.
    """
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            f"set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _FLAGS["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The value last set by :func:`set_float32_matmul_precision` (default ``'highest'``)."""
    return _FLAGS["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms. Ember's kernels are deterministic already (NumPy on
    CPU, no atomics on GPU), so this only records the mode for the getters below."""
    _FLAGS["deterministic"] = bool(mode)
    _FLAGS["deterministic_warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was turned on."""
    return _FLAGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether deterministic mode was turned on with ``warn_only=True``."""
    return _FLAGS["deterministic_warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """``'default'``/0 (off), ``'warn'``/1 (deterministic, warn only) or ``'error'``/2
    (deterministic): the same switch as :func:`use_deterministic_algorithms`."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                f"but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int) or debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 (off), 1 (warn only) or 2 (deterministic), as set by either switch."""
    if not _FLAGS["deterministic"]:
        return 0
    return 1 if _FLAGS["deterministic_warn_only"] else 2


def set_warn_always(b: bool) -> None:
    """Record whether once-only warnings should repeat (PyTorch's ``TORCH_WARN_ONCE``)."""
    _FLAGS["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    """The flag set by :func:`set_warn_always` (default False)."""
    return _FLAGS["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """Would flush denormal floats to zero; returns whether that is supported. NumPy offers no
    control of the CPU's FTZ/DAZ flags, so this returns False and changes nothing, as PyTorch
    does on CPUs without SSE3."""
    return False


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn autograd anomaly detection on or off (``ember.autograd.set_detect_anomaly``)."""
    from .autograd.anomaly_mode import set_detect_anomaly

    set_detect_anomaly(enabled, check_nan)


# ---------------------------------------------------------------------------------------------
# Storage, buffers, device modules, default tensor type, compile
# ---------------------------------------------------------------------------------------------


def is_storage(obj) -> bool:
    """Whether ``obj`` is a storage object. Ember tensors own NumPy/CuPy arrays directly and
    expose no storage type, so this is False for everything (tensors included, as in
    PyTorch)."""
    return False


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0,
               requires_grad: bool = False):
    """A 1-D tensor sharing memory with an object of the buffer protocol (``bytearray``,
    ``memoryview``, ``array.array``...): writes to one show in the other.

    Args:
        buffer: the buffer.  dtype: the element type (required).
        count: elements to read (-1: all after ``offset``).  offset: bytes to skip.

    Example:
        >>> ember.frombuffer(bytearray([1, 0, 2, 0]), dtype=ember.int16)
        tensor([1, 2], dtype=ember.int16)
    """
    from ._tensor import _make

    np_dtype = dt.to_dtype(dtype).np_dtype
    view = memoryview(buffer)
    length = view.nbytes
    size = np_dtype.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count < 0:
        if (length - offset) % size:
            raise ValueError(
                f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be "
                f"a multiple of element size ({size})"
            )
        count = (length - offset) // size
    elif count * size > length - offset:
        raise ValueError(
            f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) "
            f"must not be greater than actual buffer length ({length} bytes)"
        )
    if view.readonly:
        # PyTorch warns too: the tensor shares the memory but writing to it is an error.
        warnings.warn(
            "frombuffer: the given buffer is not writable; writing to the tensor will fail",
            UserWarning,
            stacklevel=2,
        )
    array = np.frombuffer(buffer, dtype=np_dtype, count=count, offset=offset)
    out = _make(array)
    if requires_grad:
        out.requires_grad_(True)
    return out


def get_device_module(device=None):
    """The module for a device type: ``ember.cuda`` for ``'cuda'``, ``ember.cpu`` for
    ``'cpu'``; with no argument, that of the default device."""
    import importlib

    dev = get_default_device() if device is None else _dev.to_device(device)
    if dev.type not in ("cpu", "cuda"):
        raise RuntimeError(f"get_device_module: no module for device type '{dev.type}'")
    return importlib.import_module(f"ember.{dev.type}")


_TENSOR_TYPES = {
    "FloatTensor": dt.float32,
    "DoubleTensor": dt.float64,
    "HalfTensor": dt.float16,
    "BFloat16Tensor": dt.bfloat16,
}


def set_default_tensor_type(t, /) -> None:
    """Deprecated form of :func:`ember.set_default_dtype` + :func:`set_default_device`:
    ``'torch.FloatTensor'`` / ``'ember.DoubleTensor'`` / ``'torch.cuda.FloatTensor'`` (or a
    class with that name). Warns, as PyTorch 2.1+ does."""
    warnings.warn(
        "set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "set_default_dtype() and set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    name = t if isinstance(t, str) else getattr(t, "__name__", repr(t))
    parts = name.split(".")
    kind = parts[-1]
    if kind not in _TENSOR_TYPES:
        raise TypeError(
            f"set_default_tensor_type: invalid type {name!r}; use one of "
            f"{sorted('torch.' + k for k in _TENSOR_TYPES)} (optionally 'torch.cuda.<Type>')"
        )
    dt.set_default_dtype(_TENSOR_TYPES[kind])
    set_default_device("cuda" if "cuda" in parts else None)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend=None, mode=None,
            options=None, name=None, disable: bool = False, recompile_limit=None,
            isolate_recompiles: bool = False, shapes_spec=None):
    """``torch.compile``'s signature, returning ``model`` unchanged.

    Ember has no graph compiler: every op already runs eagerly through NumPy/CuPy, so the
    honest behaviour is a no-op. Used bare (``@ember.compile``) or with arguments
    (``@ember.compile(mode="max-autotune")``) it returns the function or module itself.
    """
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the same "
            "time."
        )
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError(f"compile: model must be callable, got {type(model).__name__}")
    return model
