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
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor, _make
from .autograd.function import Function
from .autograd.grad_mode import STATE
from .ops._util import normalize_dim, normalize_dims, unbroadcast, xp_of
from .ops.linalg import (
    Matmul,
    Permute,
    _conj,
    _const,
    _cross,
    _mH,
    _mT,
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


class LinAlgError(RuntimeError):
    """A matrix is singular, not positive-definite, or a solver did not converge."""


_SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_QRResult = namedtuple("linalg_qr", ["Q", "R"])
_SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
_EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])

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
# Inverses, determinants, solvers
# ---------------------------------------------------------------------------------------------


class Inv(Function):
    @staticmethod
    def forward(ctx, A):
        out = _make(_lapack("linalg.inv", xp_of(A._data).linalg.inv, A._data))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (X,) = ctx.saved_tensors
        Xh = _mH(X)
        return -matmul(matmul(Xh, grad), Xh)


def inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of each square matrix in ``A``; raises :class:`LinAlgError` if singular.

    Shape:
        ``(*, n, n) -> (*, n, n)``.
    """
    _check("linalg.inv", A)
    result = Inv.apply(A)
    return result if out is None else _copy_out(result, out)


class Det(Function):
    @staticmethod
    def forward(ctx, A):
        out = _make(xp_of(A._data).linalg.det(A._data))
        if ctx.needs_input_grad:
            ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d det = det * tr(A^-1 dA). At a singular A this needs A^-1 and raises LinAlgError,
        # where PyTorch falls back to an SVD-based adjugate.
        A, d = ctx.saved_tensors
        return _scalar_per_matrix(grad * _conj(d)) * _mH(inv(A))


def det(A: Tensor, *, out=None) -> Tensor:
    """The determinant of each square matrix in ``A``.

    Shape:
        ``(*, n, n) -> (*)``.
    """
    _check("linalg.det", A)
    result = Det.apply(A)
    return result if out is None else _copy_out(result, out)


class Slogdet(Function):
    @staticmethod
    def forward(ctx, A):
        sign, logabsdet = xp_of(A._data).linalg.slogdet(A._data)
        sign, logabsdet = _make(sign), _make(logabsdet)
        ctx.mark_non_differentiable(sign)
        if ctx.needs_input_grad:
            ctx.save_for_backward(A)
        return sign, logabsdet

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        (A,) = ctx.saved_tensors
        return _scalar_per_matrix(grad_logabsdet) * _mH(inv(A))


def slogdet(A: Tensor, *, out=None):
    """``(sign, logabsdet)`` with ``det(A) = sign * exp(logabsdet)``, without overflow.

    A singular matrix gives ``(0, -inf)``. Returns a named tuple.
    """
    _check("linalg.slogdet", A)
    return _SlogdetResult(*Slogdet.apply(A))


class Solve(Function):
    """``X = A^-1 B`` for matrix right-hand sides ``(*, n, k)``, batch dimensions broadcast."""

    @staticmethod
    def forward(ctx, A, B):
        a, b = A._data, B._data
        xp = xp_of(a)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        out = _make(_lapack("linalg.solve", xp.linalg.solve, a, b))
        if ctx.needs_input_grad:
            ctx.save_for_backward(A, out)
            ctx.b_shape = B._data.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        gB = Solve.apply(_mH(A), grad)
        gA = unbroadcast(-matmul(gB, _mH(X)), A.shape) if ctx.needs_input_grad[0] else None
        return gA, (unbroadcast(gB, ctx.b_shape) if ctx.needs_input_grad[1] else None)


def solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``).

    ``B`` is a batch of vectors when it is 1-D or has shape ``A.shape[:-1]``; otherwise a batch
    of matrices ``(*, n, k)``. Batch dimensions broadcast. Raises :class:`LinAlgError` when
    ``A`` is singular.

    Example:
        >>> A = ember.tensor([[2.0, 0.0], [0.0, 4.0]])
        >>> ember.linalg.solve(A, ember.tensor([2.0, 2.0]))
        tensor([1.0000, 0.5000])
    """
    op = "linalg.solve"
    _check(op, A)
    if not isinstance(B, Tensor):
        raise TypeError(f"{op}: expected B to be a Tensor, got {type(B).__name__}")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"{op}: Expected A and B to have the same dtype, but found A of type {A.dtype} and "
            f"B of type {B.dtype} instead"
        )
    vector = B._data.ndim == 1 or (
        B._data.ndim == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1]
    )
    n = A._data.shape[-1]
    if not left:
        # X A = B  <=>  A^T X^T = B^T
        A = _mT(A)
        if not vector:
            B = _mT(B)
    B2 = _col(B) if vector else B
    rows = B2._data.shape[-2]
    if rows != n or B2._data.ndim < 2:
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{B2._data.shape[-1]})"
        )
    try:
        np.broadcast_shapes(A._data.shape[:-2], B2._data.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{op}: the batch dimensions of A {tuple(A.shape)} and B {tuple(B.shape)} cannot "
            f"be broadcast"
        ) from None
    X = Solve.apply(A, B2)
    if vector:
        X = _reshape(X, X.shape[:-1])
    elif not left:
        X = _mT(X)
    return X if out is None else _copy_out(X, out)


# ---------------------------------------------------------------------------------------------
# Decompositions
# ---------------------------------------------------------------------------------------------


class Cholesky(Function):
    @staticmethod
    def forward(ctx, A):
        L = _make(_lapack("linalg.cholesky", xp_of(A._data).linalg.cholesky, A._data))
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, grad):
        (L,) = ctx.saved_tensors
        n = L.shape[-1]
        xp = xp_of(L._data)
        # Phi: the lower triangle with the diagonal halved.
        phi_mask = xp.tril(xp.ones((n, n), dtype=L._data.dtype), -1) + 0.5 * xp.eye(
            n, dtype=L._data.dtype
        )
        phi = matmul(_mH(L), grad) * _const(phi_mask)
        L_inv = inv(L)
        gA = matmul(matmul(_mH(L_inv), phi), L_inv)
        return (gA + _mH(gA)) * 0.5


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """The Cholesky factor ``L`` (lower triangular, ``A = L L^H``) of Hermitian positive-
    definite matrices; ``upper=True`` returns ``U = L^H``. Reads the lower triangle of ``A``.

    Raises :class:`LinAlgError` if a matrix is not positive-definite.
    """
    op = "linalg.cholesky"
    _check(op, A)
    try:
        L = Cholesky.apply(A)
    except LinAlgError:
        raise LinAlgError(
            f"{op}: The factorization could not be completed because the input is not "
            f"positive-definite."
        ) from None
    result = _mH(L) if upper else L
    return result if out is None else _copy_out(result, out)


def _copyltu(M: Tensor) -> Tensor:
    """The Hermitian matrix whose lower triangle is ``M``'s."""
    n = M.shape[-1]
    xp = xp_of(M._data)
    lower = M * _const(xp.tril(xp.ones((n, n), dtype=M._data.dtype), -1))
    return lower + _mH(lower) + M * _const(xp.eye(n, dtype=M._data.dtype))


def _qr_backward_tall(gQ, gR, Q, R):
    """QR's gradient when ``A`` has at least as many rows as columns (reduced ``Q``)."""
    M = None
    if gR is not None:
        M = matmul(R, _mH(gR))
    if gQ is not None:
        term = matmul(_mH(gQ), Q)
        M = -term if M is None else M - term
    left = matmul(Q, _copyltu(M))
    if gQ is not None:
        left = gQ + left
    return matmul(left, _mH(inv(R)))


class QR(Function):
    @staticmethod
    def forward(ctx, A, mode):
        xp = xp_of(A._data)
        if mode == "r":
            R = _lapack("linalg.qr", xp.linalg.qr, A._data, mode="r")
            Q = xp.empty((0,), dtype=A._data.dtype)
        else:
            Q, R = _lapack("linalg.qr", xp.linalg.qr, A._data, mode=mode)
        Q, R = _make(Q), _make(R)
        ctx.set_materialize_grads(False)
        ctx.mode = mode
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError(
                "linalg.qr: the derivative depends on Q, which is not computed when mode='r'; "
                "use mode='reduced' to differentiate through qr"
            )
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "linalg.qr: the QR decomposition is not differentiable when mode='complete' "
                "and nrows > ncols; use mode='reduced'"
            )
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R), None
        # Wide A = [X | Y]: X = Q U is square, Y = Q V (R = [U | V]).
        xp = xp_of(Q._data)
        eye = xp.eye(n, dtype=R._data.dtype)
        first, rest = _const(eye[:, :m]), _const(eye[:, m:])
        U, V = matmul(R, first), matmul(R, rest)
        gU = matmul(gR, first) if gR is not None else None
        gV = matmul(gR, rest) if gR is not None else None
        if gV is not None:
            Y = matmul(Q, V)
            extra = matmul(Y, _mH(gV))
            gQ = extra if gQ is None else gQ + extra
        gX = _qr_backward_tall(gQ, gU, Q, U)
        gA = matmul(gX, _mT(first))
        if gV is not None:
            gA = gA + matmul(matmul(Q, gV), _mT(rest))
        return gA, None


def qr(A: Tensor, mode: str = "reduced", *, out=None):
    """The QR decomposition ``A = Q R`` (``Q`` with orthonormal columns, ``R`` upper
    triangular) of each matrix in ``A``, as a named tuple ``(Q, R)``.

    Args:
        mode: ``'reduced'`` (``Q: (*, m, k)``, ``R: (*, k, n)``, ``k = min(m, n)``),
            ``'complete'`` (``Q: (*, m, m)``, ``R: (*, m, n)``) or ``'r'`` (``R`` only; ``Q``
            is empty).
    """
    op = "linalg.qr"
    _check(op, A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            f"'r', or 'complete'"
        )
    return _QRResult(*QR.apply(A, mode))


class SVD(Function):
    @staticmethod
    def forward(ctx, A, full_matrices):
        xp = xp_of(A._data)
        U, S, Vh = _lapack("linalg.svd", xp.linalg.svd, A._data, full_matrices=full_matrices)
        U, S, Vh = _make(U), _make(S), _make(Vh)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
        xp = xp_of(U._data)
        dtype = U._data.dtype
        # With full_matrices the columns beyond k are arbitrary: as PyTorch, keep the first k.
        if U.shape[-1] != k:
            first = _const(xp.eye(m, dtype=dtype)[:, :k])
            U = matmul(U, first)
            gU = matmul(gU, first) if gU is not None else None
        if Vh.shape[-2] != k:
            first = _const(xp.eye(n, dtype=dtype)[:k, :])
            Vh = matmul(first, Vh)
            gVh = matmul(first, gVh) if gVh is not None else None
        if gU is None and gVh is None:
            return matmul(U * _row(gS), Vh) if gS is not None else None, None
        eye = _const(xp.eye(k, dtype=dtype))
        s_row, s_col = _row(S), _col(S)
        # E_ij = s_j^2 - s_i^2, with 1 on the diagonal (where the skew parts below are 0).
        E = s_row * s_row - s_col * s_col + eye
        inner = None
        if gU is not None:
            UhgU = matmul(_mH(U), gU)
            inner = (UhgU - _mH(UhgU)) * s_row / E
        if gVh is not None:
            VhgV = matmul(Vh, _mH(gVh))
            term = s_col * (VhgV - _mH(VhgV)) / E
            inner = term if inner is None else inner + term
        if gS is not None:
            inner = inner + eye * _row(gS)
        gA = matmul(matmul(U, inner), Vh)
        if m > k and gU is not None:  # the part of gU outside U's column space
            gU_scaled = gU / s_row
            gA = gA + matmul(gU_scaled - matmul(U, matmul(_mH(U), gU_scaled)), Vh)
        if n > k and gVh is not None:  # the part of gVh outside Vh's row space
            gVh_scaled = gVh / s_col
            gA = gA + matmul(U, gVh_scaled - matmul(matmul(gVh_scaled, _mH(Vh)), Vh))
        return gA, None


def svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """The singular value decomposition ``A = U diag(S) Vh`` as a named tuple ``(U, S, Vh)``.

    ``S`` is real and descending. ``full_matrices=False`` gives ``U: (*, m, k)`` and
    ``Vh: (*, k, n)`` with ``k = min(m, n)``; ``True`` square ``U`` and ``Vh``. Gradients are
    defined for distinct, non-zero singular values, and only for quantities that do not
    depend on the sign (phase) of the singular vectors.
    """
    _check("linalg.svd", A, square=False)
    return _SVDResult(*SVD.apply(A, full_matrices))


def _wants_grad(A):
    return STATE.enabled and A.requires_grad


def svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """The singular values of each matrix in ``A``, descending. Shape ``(*, min(m, n))``."""
    _check("linalg.svdvals", A, square=False)
    if _wants_grad(A):
        return SVD.apply(A, False)[1]
    xp = xp_of(A._data)
    return _make(_lapack("linalg.svdvals", xp.linalg.svd, A._data, compute_uv=False))


class Eigh(Function):
    @staticmethod
    def forward(ctx, A, uplo):
        w, V = _lapack("linalg.eigh", xp_of(A._data).linalg.eigh, A._data, UPLO=uplo)
        w, V = _make(w), _make(V)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(w, V)
        return w, V

    @staticmethod
    def backward(ctx, gw, gV):
        w, V = ctx.saved_tensors
        n = w.shape[-1]
        xp = xp_of(V._data)
        eye = _const(xp.eye(n, dtype=w._data.dtype))
        inner = None
        if gV is not None:
            # F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it.
            E = _row(w) - _col(w) + eye
            inner = matmul(_mH(V), gV) / E * _const(1 - eye._data)
        if gw is not None:
            diag = eye * _row(gw)
            inner = diag if inner is None else inner + diag
        return matmul(matmul(V, inner), _mH(V)), None


def _check_uplo(uplo):
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")


def eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of Hermitian matrices, as a named
    tuple ``(eigenvalues, eigenvectors)``; only the ``UPLO`` triangle of ``A`` is read.

    Gradients are defined for distinct eigenvalues and for quantities that do not depend on
    the sign (phase) of the eigenvectors.
    """
    _check("linalg.eigh", A)
    _check_uplo(UPLO)
    return _EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """The eigenvalues (ascending) of Hermitian matrices. Shape ``(*, n)``."""
    _check("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    if _wants_grad(A):
        return Eigh.apply(A, UPLO)[0]
    xp = xp_of(A._data)
    return _make(_lapack("linalg.eigvalsh", xp.linalg.eigvalsh, A._data, UPLO=UPLO))


def matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """``A`` multiplied by itself ``n`` times, by repeated squaring; ``n = 0`` gives the
    identity and ``n < 0`` powers of the inverse."""
    op = "linalg.matrix_power"
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(A).__name__}")
    if A._data.ndim < 2 or A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but got shape {tuple(A.shape)}"
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: n must be an int, got {type(n).__name__}")
    if n == 0:
        xp = xp_of(A._data)
        eye = xp.eye(A._data.shape[-1], dtype=A._data.dtype)
        return _make(xp.broadcast_to(eye, A._data.shape).copy())
    if n == 1:
        from .ops.convert import clone

        return clone(A) if out is None else _copy_out(A, out)
    base = inv(A) if n < 0 else A
    n = abs(int(n))
    result = None
    while n:  # binary exponentiation: O(log n) products
        if n & 1:
            result = base if result is None else Matmul.apply(result, base)
        n >>= 1
        if n:
            base = Matmul.apply(base, base)
    return result if out is None else _copy_out(result, out)


def _tolerance(op, s_max, m, n, atol, rtol, dtype):
    """PyTorch's cut-off ``max(atol, rtol * s_max)``; rtol defaults to ``eps * max(m, n)``
    unless a positive atol is given."""
    xp = xp_of(s_max)
    eps = float(np.finfo(_real_dtype(dtype)).eps)
    if rtol is None:
        rtol = eps * max(m, n) if (atol is None or _is_zero(atol)) else 0.0
    atol = 0.0 if atol is None else atol
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    return xp.maximum(atol, rtol * s_max)


def _is_zero(x):
    return bool((x._data == 0).all()) if isinstance(x, Tensor) else x == 0


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)``, as int64.

    ``rtol`` defaults to ``eps * max(m, n)`` when ``atol`` is not given (or zero).
    """
    op = "linalg.matrix_rank"
    _check(op, A, square=hermitian)
    xp = xp_of(A._data)
    if hermitian:
        s = xp.abs(_lapack(op, xp.linalg.eigvalsh, A._data))
    else:
        s = _lapack(op, xp.linalg.svd, A._data, compute_uv=False)
    m, n = A._data.shape[-2:]
    s_max = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    tol = _tolerance(op, s_max, m, n, atol, rtol, A._data.dtype)
    return _make((s > xp.asarray(tol)[..., None]).sum(axis=-1).astype(np.int64))


class Pinv(Function):
    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        a = A._data
        xp = xp_of(a)
        m, n = a.shape[-2:]
        if hermitian:
            w, V = _lapack("linalg.pinv", xp.linalg.eigh, a)
            s = xp.abs(w)
        else:
            U, s, Vh = _lapack("linalg.pinv", xp.linalg.svd, a, full_matrices=False)
        s_max = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
        cut = xp.asarray(_tolerance("linalg.pinv", s_max, m, n, atol, rtol, a.dtype))[..., None]
        keep = s > cut
        if hermitian:
            w_inv = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(a.dtype)
            out = (V * w_inv[..., None, :]) @ xp.swapaxes(V, -1, -2).conj()
        else:
            s_inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
            out = (
                xp.swapaxes(Vh, -1, -2).conj() * s_inv[..., None, :] @ xp.swapaxes(U, -1, -2).conj()
            )
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # Golub & Pereyra: dX = -X dA X + X X^H dA^H (I - A X) + (I - X A) dA^H X^H X.
        A, X = ctx.saved_tensors
        Xh, gh = _mH(X), _mH(grad)
        m, n = A.shape[-2:]
        P = _eye(A, m) - matmul(A, X)  # I - A X, (m, m)
        Q = _eye(A, n) - matmul(X, A)  # I - X A, (n, n)
        gA = -matmul(matmul(Xh, grad), Xh)
        gA = gA + matmul(matmul(matmul(P, gh), X), Xh)
        gA = gA + matmul(matmul(matmul(Xh, X), gh), Q)
        return gA, None, None, None


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix in ``A`` (shape ``(*, n, m)``).

    Singular values at or below ``max(atol, rtol * largest)`` are treated as zero (``rtol``
    defaults to ``eps * max(m, n)``). Gradients assume the rank does not change nearby.
    """
    _check("linalg.pinv", A, square=hermitian)
    result = Pinv.apply(A, atol, rtol, hermitian)
    return result if out is None else _copy_out(result, out)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` as a named tuple
    ``(solution, residuals, rank, singular_values)``.

    Computed from the pseudo-inverse (differentiable). As with PyTorch's default CPU driver
    ``'gelsy'``, ``residuals`` and ``singular_values`` are empty; drivers ``'gelsd'`` and
    ``'gelss'`` also return the singular values, and the squared residuals when ``m > n`` and
    every matrix has full rank.
    """
    op = "linalg.lstsq"
    _check(op, A, square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"{op}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), got {driver}"
        )
    if not isinstance(B, Tensor) or B._data.dtype != A._data.dtype:
        raise RuntimeError(f"{op}: Expected B to be a tensor of the same dtype as A ({A.dtype})")
    vector = B._data.ndim == 1
    B2 = _col(B) if vector else B
    if B2._data.shape[-2] != A._data.shape[-2]:
        raise RuntimeError(
            f"{op}: input.size(-2) should match other.size(-2), got shapes {tuple(A.shape)} and "
            f"{tuple(B.shape)}"
        )
    X = matmul(pinv(A, rtol=rcond), B2)
    xp = xp_of(A._data)
    s = _lapack(op, xp.linalg.svd, A._data, compute_uv=False)
    m, n = A._data.shape[-2:]
    s_max = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    tol = _tolerance(op, s_max, m, n, None, rcond, A._data.dtype)
    rank = (s > xp.asarray(tol)[..., None]).sum(axis=-1).astype(np.int64)
    empty = _make(xp.empty((0,), dtype=_real_dtype(A._data.dtype)))
    residuals, singular_values = empty, empty
    if driver in ("gelsd", "gelss"):
        singular_values = _make(s)
        if m > n and bool((rank == n).all()):
            r = matmul(A, X) - B2
            residuals = _sum_dim(r * r, -2)
            if vector:
                residuals = _reshape(residuals, residuals.shape[:-1])
    if vector:
        X = _reshape(X, X.shape[:-1])
    return _LstsqResult(X, residuals, _make(rank), singular_values)


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


def _copy_out(result, out):
    from .ops.linalg import _out

    return _out(result, out)
