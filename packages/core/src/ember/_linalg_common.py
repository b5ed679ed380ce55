"""Shared pieces of ``ember.linalg``: ``LinAlgError``, the named-tuple results, input checks
and the small differentiable helpers the norms, solvers and decompositions use.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor
from .ops._util import unbroadcast, xp_of
from .ops.linalg import _const, _reshape


class LinAlgError(RuntimeError):
    """A matrix is singular, not positive-definite, or a solver did not converge."""

    # Defined here, shown (and pickled) as ``ember.linalg.LinAlgError`` like before the split.
    __module__ = "ember.linalg"


_SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"], module="ember.linalg")
_QRResult = namedtuple("linalg_qr", ["Q", "R"], module="ember.linalg")
_SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"], module="ember.linalg")
_EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"], module="ember.linalg")
_LstsqResult = namedtuple(
    "linalg_lstsq", ["solution", "residuals", "rank", "singular_values"], module="ember.linalg"
)

_LOW = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))


# ---------------------------------------------------------------------------------------------
# Input checks and small differentiable helpers
# ---------------------------------------------------------------------------------------------


def _check(op, A, square=True, min_ndim=2):
    """Validate a LAPACK input: a float/complex tensor of (square) matrices."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(A).__name__}")
    data = A._data
    if data.dtype in _LOW:
        raise NotImplementedError(
            f"{op}: {A.dtype} is not supported (LAPACK has no half-precision kernels); "
            f"convert with .float() first"
        )
    if data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype}"
        )
    if data.ndim < min_ndim:
        raise RuntimeError(
            f"{op}: The input tensor A must have at least {min_ndim} dimensions, got shape "
            f"{tuple(data.shape)}"
        )
    if square and data.shape[-1] != data.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {data.shape[-2]} by "
            f"{data.shape[-1]} matrices"
        )


_HINTS = {
    "Singular matrix": "the input matrix is singular (not invertible); ember.linalg.pinv or "
    "ember.linalg.lstsq handle rank-deficient matrices",
}


def _lapack(op, fn, *args, **kwargs):
    """Call a numpy/cupy.linalg function, turning its LinAlgError into ours."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as exc:
        raise LinAlgError(f"{op}: {_HINTS.get(str(exc), exc)}") from None


def _eye(like: Tensor, n: int) -> Tensor:
    return _const(xp_of(like._data).eye(n, dtype=like._data.dtype))


def _row(v: Tensor) -> Tensor:
    """``(..., k) -> (..., 1, k)``."""
    return _reshape(v, v.shape[:-1] + (1, v.shape[-1]))


def _col(v: Tensor) -> Tensor:
    """``(..., k) -> (..., k, 1)``."""
    return _reshape(v, v.shape + (1,))


def _scalar_per_matrix(v: Tensor) -> Tensor:
    """``(...) -> (..., 1, 1)``: one value per matrix, broadcastable against the matrices."""
    return _reshape(v, v.shape + (1, 1))


def _sum_dim(t: Tensor, d: int) -> Tensor:
    """``t`` summed over dimension ``d`` (negative), which is dropped."""
    kept = list(t.shape)
    kept[d] = 1
    summed = unbroadcast(t, tuple(kept))
    del kept[d]
    return _reshape(summed, kept)


def _real_dtype(np_dtype):
    return np.empty(0, dtype=np_dtype).real.dtype


def _copy_out(result, out):
    from .ops.linalg import _out

    return _out(result, out)
