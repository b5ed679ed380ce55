"""``ember.linalg``: norms, inverses, determinants, solvers and decompositions (PyTorch's
``torch.linalg``), computed by ``numpy.linalg`` / ``cupy.linalg`` on batches of matrices.

Gradients (real inputs) use the standard matrix-calculus identities, written with
differentiable Ember ops so they can be differentiated again:

- ``inv``:      ``gA = -X^H gX X^H`` with ``X = A^-1``.
- ``det``:      ``gA = g conj(det) A^-H``;  ``slogdet``: ``gA = g A^-H``.
- ``solve``:    ``gB = A^-H gX``, ``gA = -gB X^H``.
- ``cholesky``: ``gA = L^-H Phi(L^H gL) L^-1``, symmetrised (Phi: lower triangle, half diagonal).
- ``qr``:       ``gA = (gQ + Q copyltu(M)) R^-H``, ``M = R gR^H - gQ^H Q``.
- ``eigh``:     ``gA = V (diag(gL) + F o (V^H gV)) V^H``, ``F_ij = 1 / (l_j - l_i)``.
- ``svd``:      Townsend's formula; defined for distinct, non-zero singular values.
- ``pinv``:     Golub and Pereyra's derivative of the pseudo-inverse (constant rank).

Like PyTorch, float16/bfloat16 are not supported by the decompositions (LAPACK has no
half-precision kernels) and a singular or non-positive-definite input raises
:class:`LinAlgError`, a ``RuntimeError``.

The code is split: ``_linalg_common.py`` (LinAlgError, result tuples, checks and helpers),
``_linalg_solve.py`` (inv, det, slogdet, solve), ``_linalg_decomp.py`` (the decompositions
and what builds on them); every name is re-exported here.
"""

from __future__ import annotations

import math

import numpy as np

from . import _dtype as dt

# (F401: the result types are re-exported; ``ember.ops.linalg`` uses ``linalg._SVDResult``)
from ._linalg_common import (  # noqa: F401
    _LOW,
    LinAlgError,
    _copy_out,
    _EighResult,
    _LstsqResult,
    _QRResult,
    _real_dtype,
    _SlogdetResult,
    _sum_dim,
    _SVDResult,
)

# (F401: the op Functions stay reachable as ``ember.linalg.SVD`` etc., as before the split)
from ._linalg_decomp import (  # noqa: F401
    QR,
    SVD,
    Cholesky,
    Eigh,
    Pinv,
    cholesky,
    eigh,
    eigvalsh,
    lstsq,
    matrix_power,
    matrix_rank,
    pinv,
    qr,
    svd,
    svdvals,
)
from ._linalg_solve import (  # noqa: F401
    Det,
    Inv,
    Slogdet,
    Solve,
    det,
    inv,
    slogdet,
    solve,
)
from ._tensor import Tensor, _make
from .autograd.function import Function
from .ops._util import normalize_dim, normalize_dims, xp_of
from .ops.linalg import (
    Permute,
    _conj,
    _const,
    _cross,
    _reshape,
    multi_dot,
)
from .ops.linalg import matmul as matmul

__all__ = [
    "LinAlgError",
    "norm",
    "vector_norm",
    "matrix_norm",
    "inv",
    "det",
    "slogdet",
    "solve",
    "cholesky",
    "qr",
    "svd",
    "svdvals",
    "eigh",
    "eigvalsh",
    "matrix_power",
    "matrix_rank",
    "pinv",
    "lstsq",
    "cross",
    "multi_dot",
    "vecdot",
    "matmul",
]


# ---------------------------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------------------------


class VectorNorm(Function):
    @staticmethod
    def forward(ctx, x, ord, axes, keepdim):
        data = x._data
        xp = xp_of(data)
        work = data.astype(np.float32) if data.dtype in _LOW else data
        a = xp.abs(work)
        if ord == 2:
            out = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
        elif ord == math.inf:
            out = xp.max(a, axis=axes, keepdims=keepdim)
        elif ord == -math.inf:
            out = xp.min(a, axis=axes, keepdims=keepdim)
        elif ord == 0:
            out = xp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
        elif ord == 1:
            out = xp.sum(a, axis=axes, keepdims=keepdim)
        else:
            out = xp.sum(a**ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)
        out = xp.asarray(out).astype(_real_dtype(data.dtype), copy=False)
        if ctx.needs_input_grad:
            out = _make(out)
            ctx.save_for_backward(x, out)
            ctx.params = (ord, axes, keepdim)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, norm = ctx.saved_tensors
        ord, axes, keepdim = ctx.params
        if ord == 0:
            return None, None, None, None  # a count: piecewise constant
        if not keepdim:  # put the reduced axes back, so grad and norm broadcast against x
            kept = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
            grad, norm = _reshape(grad, kept), _reshape(norm, kept)
        xp = xp_of(x._data)
        data = x._data
        # sgn(x) = x / |x| (0 at 0), a constant: its derivative vanishes almost everywhere.
        magnitude = xp.abs(data)
        sgn = _const(xp.where(magnitude == 0, 0, data / xp.where(magnitude == 0, 1, magnitude)))
        # A zero norm means a zero slice: any non-zero denominator gives the 0 PyTorch returns.
        safe_norm = norm + _const((norm._data == 0).astype(norm._data.dtype))
        if ord == 2:
            g = grad * x / safe_norm
        elif ord == 1:
            g = grad * sgn
        elif ord in (math.inf, -math.inf):
            # The gradient is shared evenly by the entries that attain the extreme value.
            hit = (magnitude == norm._data).astype(norm._data.dtype)
            count = hit.sum(axis=axes, keepdims=True)
            g = grad * sgn * _const(hit / count)
        else:
            # |x| as x * sgn(x) stays differentiable; + [x == 0] keeps 0 ** (p - 1) finite
            # for p < 1 (sgn zeroes those entries anyway).
            abs_x = x * _conj(sgn) + _const((magnitude == 0).astype(magnitude.dtype))
            g = grad * sgn * abs_x ** (ord - 1) / safe_norm ** (ord - 1)
        return g, None, None, None


def _float_input(op, x, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if dtype is not None:
        from .ops.convert import to_dtype

        x = to_dtype(x, dt.to_dtype(dtype))
    if x._data.dtype.kind not in "fc" and x._data.dtype not in _LOW:
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype}"
        )
    return x


def vector_norm(
    x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None, out=None
) -> Tensor:
    """The vector ``ord``-norm ``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements if None).

    Args:
        ord: a number; ``inf``/``-inf`` give max/min of ``|x|``, ``0`` the count of non-zeros.
        dim: an int or tuple of ints. keepdim: keep the reduced dimensions with size 1.
        dtype: cast ``x`` to this dtype first.

    Returns:
        A real tensor (the real counterpart of ``x``'s dtype).

    Example:
        >>> ember.linalg.vector_norm(ember.tensor([3.0, 4.0]))
        tensor(5.)
    """
    op = "linalg.vector_norm"
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"{op}(): argument 'ord' must be a number, not {type(ord).__name__}")
    x = _float_input(op, x, dtype)
    axes = normalize_dims(dim, x._data.ndim, op)
    if ord < 0 or ord == math.inf:
        reduced = math.prod(x._data.shape[a] for a in axes) if x._data.ndim else 1
        if reduced == 0:
            raise RuntimeError(
                f"{op} cannot compute the {ord} norm on an empty tensor because the operation "
                f"does not have an identity"
            )
    result = VectorNorm.apply(x, float(ord), axes, keepdim)
    return result if out is None else _copy_out(result, out)


def _matrix_dims(op, A, dim):
    if not (isinstance(dim, (tuple, list)) and len(dim) == 2):
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (normalize_dim(int(d), A._data.ndim, op) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def _to_end(A: Tensor, d0: int, d1: int) -> Tensor:
    """``A`` with dimensions ``d0, d1`` moved last (in that order)."""
    n = A._data.ndim
    if (d0, d1) == (n - 2, n - 1):
        return A
    axes = tuple(i for i in range(n) if i not in (d0, d1)) + (d0, d1)
    return Permute.apply(A, axes)


def matrix_norm(
    A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None
) -> Tensor:
    """A matrix norm of each matrix in ``A`` (the matrices span the two dimensions ``dim``).

    Args:
        ord: ``'fro'`` (Frobenius), ``'nuc'`` (sum of singular values), ``2``/``-2`` (largest/
            smallest singular value), ``1``/``-1`` (max/min column abs-sum), ``inf``/``-inf``
            (max/min row abs-sum).

    Example:
        >>> ember.linalg.matrix_norm(ember.eye(3), ord="nuc")
        tensor(3.)
    """
    op = "linalg.matrix_norm"
    A = _float_input(op, A, dtype)
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    d0, d1 = _matrix_dims(op, A, dim)
    if ord == "fro":
        result = vector_norm(A, 2, (d0, d1), keepdim)
    elif ord in ("nuc", 2, -2):
        s = svdvals(_to_end(A, d0, d1))
        if ord == "nuc":
            result = vector_norm(s, 1, -1)  # singular values are non-negative
        else:
            result = vector_norm(s, math.inf if ord == 2 else -math.inf, -1)
        if keepdim:
            shape = list(A.shape)
            shape[d0] = shape[d1] = 1
            result = _reshape(result, shape)
    elif ord in (1, -1, math.inf, -math.inf):
        # ord 1: the largest column sum of |A| (sum over rows d0, extreme over columns d1).
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        extreme = math.inf if ord in (1, math.inf) else -math.inf
        sums = vector_norm(A, 1, inner, keepdim=True)
        result = vector_norm(sums, extreme, outer, keepdim=True)
        if not keepdim:
            result = _reshape(result, [s for i, s in enumerate(A.shape) if i not in (d0, d1)])
    else:
        raise RuntimeError(f"{op}: Order {ord} not supported.")
    return result if out is None else _copy_out(result, out)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, out=None, dtype=None) -> Tensor:
    """A vector or matrix norm, chosen as ``torch.linalg.norm`` does.

    With ``dim`` an int (or 1-tuple): :func:`vector_norm`; a 2-tuple: :func:`matrix_norm`.
    With ``dim=None``: ``ord=None`` gives the 2-norm of all elements; otherwise ``A`` must be
    1-D (vector norm) or 2-D (matrix norm).
    """
    op = "linalg.norm"
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(A).__name__}")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"{op}: ord={ord!r} is a matrix norm; pass a 2-tuple dim")
            result = vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        elif len(dims) == 2:
            result = matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        else:
            raise RuntimeError(f"{op}: If dim is specified, it must be of length 1 or 2. Got {dim}")
    elif ord is None:
        result = vector_norm(A, 2, None, keepdim, dtype=dtype)
    elif A._data.ndim == 1 and not isinstance(ord, str):
        result = vector_norm(A, ord, None, keepdim, dtype=dtype)
    elif A._data.ndim == 2:
        result = matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    else:
        raise RuntimeError(
            f"{op}: If dim is not specified but ord is, the input must be 1D or 2D. Got "
            f"{A._data.ndim}D."
        )
    return result if out is None else _copy_out(result, out)


# ---------------------------------------------------------------------------------------------
# Products re-exported under their torch.linalg names
# ---------------------------------------------------------------------------------------------


def cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default the last), other dimensions
    broadcasting."""
    result = _cross("linalg.cross", input, other, dim)
    return result if out is None else _copy_out(result, out)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """``sum(conj(x) * y)`` over ``dim``, the other dimensions broadcasting."""
    op = "linalg.vecdot"
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(
            f"{op}: Expected x and y to have the same dtype, but found x of type {x.dtype} and "
            f"y of type {y.dtype} instead"
        )
    ndim = max(x._data.ndim, y._data.ndim)
    d = normalize_dim(dim, ndim, op) - ndim  # negative: counted from the right for both
    sx = (1,) * (ndim - x._data.ndim) + x._data.shape  # right-aligned, as broadcasting
    sy = (1,) * (ndim - y._data.ndim) + y._data.shape
    if sx[d] != sy[d] and 1 not in (sx[d], sy[d]):
        raise RuntimeError(f"{op}: x and y sizes {sx[d]} and {sy[d]} differ in dimension {dim}")
    result = _sum_dim(_conj(x) * y, d)
    return result if out is None else _copy_out(result, out)
