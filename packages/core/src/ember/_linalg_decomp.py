"""``ember.linalg`` decompositions and what is built on them: ``cholesky``, ``qr``, ``svd``,
``svdvals``, ``eigh``, ``eigvalsh``, ``matrix_power``, ``matrix_rank``, ``pinv``, ``lstsq``
(gradients as listed in ``linalg.py``). Re-exported by ``ember.linalg``.
"""

from __future__ import annotations

import numpy as np

from ._linalg_common import (
    LinAlgError,
    _check,
    _col,
    _copy_out,
    _EighResult,
    _eye,
    _lapack,
    _LstsqResult,
    _QRResult,
    _real_dtype,
    _row,
    _sum_dim,
    _SVDResult,
)
from ._linalg_solve import inv
from ._tensor import Tensor, _make
from .autograd.function import Function
from .autograd.grad_mode import STATE
from .ops._util import xp_of
from .ops.linalg import Matmul, _const, _mH, _mT, _reshape, matmul

__all__ = [
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
]


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
