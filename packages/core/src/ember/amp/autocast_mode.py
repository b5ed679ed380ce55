"""Automatic mixed precision: ``ember.autocast`` (PyTorch's ``torch.autocast``).

Inside an enabled region, the ops in :data:`LOWER_PRECISION_FP` run with their floating-point
tensor arguments cast to the region's lower dtype (float16 on CUDA, bfloat16 on CPU by
default), and those in :data:`FP32` run in float32; every other op runs in its inputs' dtype.
float64 tensors are never cast (as in PyTorch, whose casts skip double). The op lists follow
PyTorch's ``aten/src/ATen/autocast_mode.cpp`` (CUDA and CPU lists, behaviour checked against
PyTorch 2.13's CPU build): on CPU only matmul-like ops, convolutions and prelu go down and mainly
the losses go up; on CUDA softmax, log_softmax, layer_norm, group_norm, sums, exp/log and norms
are also kept in float32. ``binary_cross_entropy`` is refused in a CUDA region, as in PyTorch
(use ``binary_cross_entropy_with_logits``).

Wired today: matmul/mm/bmm/einsum/addmm/baddbmm/addbmm, linear, conv*, prelu, every loss of
:data:`_LOSSES`, softmax/log_softmax (and softmin, which is softmax(-x) in PyTorch) and
layer_norm/group_norm. ``batch_norm``, ``instance_norm``, ``rms_norm``, gaussian_nll_loss,
multilabel_soft_margin_loss and triplet_margin_with_distance_loss are on neither list (they
keep their input's dtype, as in PyTorch).

Deliberate difference: the elementwise unary/binary ops and reductions of CUDA's fp32 list
(exp, log, pow, softplus, sum, cumsum, norm...) do NOT call :func:`cast_inputs`. They are
Ember's hot paths, and the difference only matters for float16/bfloat16 tensors in a CUDA
region (where PyTorch would return float32); on CPU none of them is listed.

Ops opt in with one line at their public entry point::

    input, weight = cast_inputs("linear", input, weight)

which returns its arguments unchanged (one attribute read) when no region is active. Casts
are differentiable, so gradients reach float32 parameters in float32.
"""

from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype as dt

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "cast_inputs"]

_MATMUL_LIKE = {
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "convolution", "prelu", "addmm", "addbmm", "baddbmm", "bmm", "mm", "matmul", "linear",
    "einsum", "scaled_dot_product_attention",
}
_LOSSES = {
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "cross_entropy", "ctc_loss", "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss",
    "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "nll_loss", "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
}

#: Ops computed in the autocast dtype, per device type.
LOWER_PRECISION_FP = {
    "cpu": frozenset(_MATMUL_LIKE),
    "cuda": frozenset(_MATMUL_LIKE | {"addmv", "addr", "mv", "chain_matmul", "multi_dot",
                                      "gru_cell", "lstm_cell", "rnn_tanh_cell", "rnn_relu_cell"}),
}
#: Ops computed in float32, per device type.
FP32 = {
    "cpu": frozenset(_LOSSES | {"cdist", "prod", "trace", "cholesky", "cholesky_inverse",
                                "cholesky_solve", "inverse", "lu_solve", "orgqr", "ormqr",
                                "pinverse", "quantile", "nanquantile", "stft", "grid_sample"}),
    # binary_cross_entropy is banned on CUDA (see _BANNED), so it is not on CUDA's list
    "cuda": frozenset(_LOSSES - {"binary_cross_entropy"} | {
        "acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p",
        "reciprocal", "rsqrt", "sinh", "tan", "pow", "softplus", "layer_norm", "group_norm",
        "norm", "frobenius_norm", "nuclear_norm", "cosine_similarity", "dist", "pdist",
        "cdist", "renorm", "logsumexp", "softmax", "log_softmax", "cumprod", "cumsum", "sum",
        "prod",
    }),
}

#: Ops that raise in a region, per device type (PyTorch's ``banned`` policy: float16 cannot
#: represent the clamped log of binary_cross_entropy safely).
_BANNED = {"cpu": frozenset(), "cuda": frozenset({"binary_cross_entropy"})}
_BANNED_MESSAGE = (
    "ember.nn.functional.binary_cross_entropy and ember.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "ember.nn.functional.binary_cross_entropy_with_logits\n"
    "or ember.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast."
)

_DEFAULT_DTYPE = {"cpu": dt.bfloat16, "cuda": dt.float16}
_SUPPORTED = {"cpu": (dt.bfloat16, dt.float16), "cuda": (dt.float16, dt.bfloat16, dt.float32)}


class _State(threading.local):
    """Per-thread autocast state, like PyTorch's thread-local dispatch keys."""

    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.any = False  # the fast path: no region active on this thread


_STATE = _State()


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (``None``: CUDA, as PyTorch's default)."""
    return _STATE.enabled[_check_device_type(device_type or "cuda")]


def get_autocast_dtype(device_type: str):
    """The lower dtype autocast uses on ``device_type`` (bfloat16 on CPU, float16 on CUDA
    unless a region chose another)."""
    return _STATE.dtype[_check_device_type(device_type)]


def _check_device_type(device_type) -> str:
    if not isinstance(device_type, str):
        raise ValueError(
            f"Expected `device_type` of type `str`, got: `{type(device_type).__name__}`"
        )
    if device_type not in ("cpu", "cuda"):
        raise RuntimeError(
            f"autocast: unsupported device_type '{device_type}'; Ember supports 'cpu' and "
            f"'cuda'"
        )
    return device_type


def _cast(x, dtype):
    """``x`` in ``dtype`` if it is a floating-point tensor other than float64 (else as is)."""
    from .._tensor import Tensor
    from ..ops.convert import to_dtype

    if isinstance(x, Tensor):
        kind = x._data.dtype
        if (kind.kind == "f" or kind == dt.bfloat16.np_dtype) and kind.itemsize != 8:
            return to_dtype(x, dtype)
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_cast(v, dtype) for v in x)
    return x


def cast_inputs(op: str, *args):
    """``args`` cast as autocast's policy for ``op`` says on their device (unchanged outside
    autocast, for ops on neither list, and for non-tensors). Returns a tuple like ``args``.

    Example:
        >>> with ember.autocast("cpu"):
        ...     a, b = cast_inputs("matmul", ember.ones(2, 2), ember.ones(2, 2))
        >>> a.dtype
        ember.bfloat16
    """
    if not _STATE.any:
        return args
    device_type = _device_type_of(args)
    if device_type is None or not _STATE.enabled[device_type]:
        return args
    if op in LOWER_PRECISION_FP[device_type]:
        dtype = _STATE.dtype[device_type]
    elif op in FP32[device_type]:
        dtype = dt.float32
    elif op in _BANNED[device_type]:
        raise RuntimeError(_BANNED_MESSAGE)
    else:
        return args
    return tuple(_cast(a, dtype) for a in args)


def _device_type_of(args):
    from .._tensor import Tensor

    for a in args:
        if isinstance(a, Tensor):
            return a.device.type
        if isinstance(a, (list, tuple)):
            found = _device_type_of(a)
            if found is not None:
                return found
    return None


class autocast:
    """Run a region in mixed precision (context manager or decorator), as ``torch.autocast``.

    Args:
        device_type: ``'cuda'`` or ``'cpu'``.
        dtype: the lower precision (default float16 on CUDA, bfloat16 on CPU). CPU supports
            bfloat16 and float16; another dtype warns and disables the region, as PyTorch does.
        enabled: False turns autocast off inside the region (e.g. nested in an enabled one).
        cache_enabled: accepted for compatibility; Ember casts each use (no weight cache).

    Example:
        >>> a, b = ember.randn(4, 4), ember.randn(4, 4)
        >>> with ember.autocast("cpu"):
        ...     (a @ b).dtype, ember.nn.functional.mse_loss(a @ b, a).dtype
        (ember.bfloat16, ember.float32)

    Outside a region ops run as usual; do the backward pass outside it (its casts are recorded
    in the graph).
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        self.device = _check_device_type(device_type)
        self.fast_dtype = _STATE.dtype[self.device] if dtype is None else dt.to_dtype(dtype)
        self._enabled = bool(enabled)
        self._cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        if self._enabled and self.fast_dtype not in _SUPPORTED[self.device]:
            names = ", ".join(f"ember.{d.name}" for d in _SUPPORTED[self.device])
            warnings.warn(
                f"In {self.device} autocast, but the target dtype {self.fast_dtype} is not "
                f"supported. Disabling autocast.\n{self.device} Autocast only supports dtypes "
                f"of {names} currently.",
                UserWarning,
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled and self.device == "cuda":
            from .. import cuda

            if not cuda.is_available():
                warnings.warn(
                    "User provided device_type of 'cuda', but CUDA is not available. Disabling",
                    UserWarning,
                    stacklevel=2,
                )
                self._enabled = False

    def __enter__(self):
        s = _STATE
        self._prev = (s.enabled[self.device], s.dtype[self.device], s.cache_enabled)
        s.enabled[self.device] = self._enabled
        s.dtype[self.device] = self.fast_dtype
        s.cache_enabled = self._cache_enabled
        s.any = s.enabled["cpu"] or s.enabled["cuda"]
        return self

    def __exit__(self, *exc) -> bool:
        s = _STATE
        s.enabled[self.device], s.dtype[self.device], s.cache_enabled = self._prev
        s.any = s.enabled["cpu"] or s.enabled["cuda"]
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return wrapper
