"""Householder QR (``geqrf``, ``orgqr``, ``ormqr``) and randomised low-rank SVD/PCA
(``svd_lowrank``, ``pca_lowrank``): the part of :mod:`ember.ops.linalg_legacy` built on
``ember.linalg.qr``; re-exported there (and at top level) under PyTorch's names.
"""

from __future__ import annotations

from .. import linalg
from .._tensor import Tensor, _make
from ._return_types import return_types
from ._util import xp_of
from .linalg import _conj, _mH, matmul

__all__ = ["geqrf", "orgqr", "ormqr", "svd_lowrank", "pca_lowrank"]

_Geqrf = return_types.define("geqrf", ("a", "tau"))


def _check_float_matrix(op: str, A, name: str = "A", square: bool = False) -> None:
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(A).__name__}")
    if A._data.ndim < 2:
        raise RuntimeError(
            f"{op}: {name} must have at least 2 dimensions (a matrix or a batch of matrices), "
            f"but got shape {tuple(A.shape)}"
        )
    if A._data.dtype.kind not in "fc" or A._data.dtype in linalg._LOW:
        raise RuntimeError(
            f"{op}: {name} must be float32, float64, complex64 or complex128, but got {A.dtype}; "
            f"cast it first, e.g. {name}.double()"
        )
    if square and A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(
            f"{op}: {name} must be batches of square matrices, but they are "
            f"{A._data.shape[-2]} by {A._data.shape[-1]} matrices"
        )


def _eye_like(A: Tensor, n: int, m: int | None = None) -> Tensor:
    xp = xp_of(A._data)
    return _make(xp.eye(n, n if m is None else m, dtype=A._data.dtype))


# ---------------------------------------------------------------------------------------------
# Householder QR: geqrf, orgqr, ormqr
# ---------------------------------------------------------------------------------------------


def geqrf(input: Tensor, *, out=None):
    """LAPACK's ``geqrf``: QR as ``R`` (on and above the diagonal) and Householder vectors
    (below it) in ``a``, with their scalars ``tau`` (``torch.geqrf``).

    ``Q = H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H``, ``v_i = (0, ..., 1, a[i+1:, i])``; use
    :func:`orgqr` / :func:`ormqr` to form or apply it. Not differentiable (as in PyTorch).

    Returns:
        The named tuple ``(a, tau)``: ``(*, m, n)`` and ``(*, min(m, n))``.
    """
    _check_float_matrix("geqrf", input, "input")
    xp = xp_of(input._data)
    a = input._data
    if a.size == 0:
        h = a.copy()
        tau = xp.zeros(a.shape[:-2] + (min(a.shape[-2:]),), dtype=a.dtype)
    else:
        h, tau = xp.linalg.qr(a, mode="raw")  # h is LAPACK's Fortran-order result, transposed
        h = xp.ascontiguousarray(xp.swapaxes(h, -1, -2)).astype(a.dtype, copy=False)
    result = _Geqrf(_make(h), _make(xp.asarray(tau, dtype=a.dtype)))
    if out is not None:
        for dst, src in zip(out, result):
            dst.copy_(src)
        return out
    return result


def _reflectors(input: Tensor, k: int) -> Tensor:
    """The Householder vectors as columns: unit diagonal, ``input`` below it, zeros above."""
    from .matrix import tril

    m, n = input.shape[-2:]
    return (tril(input, -1) + _eye_like(input, m, n))[..., :k]


def _apply_reflectors(V: Tensor, tau: Tensor, C: Tensor, left: bool, adjoint: bool) -> Tensor:
    """``op(Q) C`` (left) or ``C op(Q)`` with ``Q = H_1 ... H_k``, ``op`` the identity or the
    conjugate transpose; each ``H_i`` applied as a rank-1 update (differentiable)."""
    k = tau.shape[-1]
    # Q C = H_1 (... (H_k C)); Q^H C = H_k^H (... (H_1^H C)); C Q = ((C H_1) ...) H_k.
    order = range(k) if left == adjoint else range(k - 1, -1, -1)
    for i in order:
        v = V[..., :, i : i + 1]
        t = tau[..., i : i + 1, None]
        if adjoint:
            t = _conj(t)
        if left:
            C = C - t * matmul(v, matmul(_mH(v), C))
        else:
            C = C - t * matmul(matmul(C, v), _mH(v))
    return C


def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """The first ``n`` columns of ``Q = H_1 ... H_k`` from :func:`geqrf`'s result
    (``torch.orgqr`` = ``torch.linalg.householder_product``); differentiable.

    Shape:
        ``input (*, m, n)`` with ``m >= n``, ``tau (*, k)`` with ``k <= n`` -> ``(*, m, n)``.
    """
    _check_float_matrix("orgqr", input, "input")
    m, n = input._data.shape[-2:]
    k = tau._data.shape[-1] if tau._data.ndim else -1
    if m < n or not 0 <= k <= n:
        raise RuntimeError(
            f"orgqr: input of shape {tuple(input.shape)} needs input.size(-2) >= input.size(-1) "
            f"and tau of shape (*, k) with k <= {n}, but tau has shape {tuple(tau.shape)}"
        )
    return _apply_reflectors(_reflectors(input, k), tau, _eye_like(input, m, n), True, False)


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True, transpose: bool = False,
          *, out=None) -> Tensor:
    """Multiplies ``other`` by the full ``Q`` of :func:`geqrf`'s result without forming it:
    ``op(Q) @ other`` (``left``) or ``other @ op(Q)``; ``op`` is ``Q^H`` if ``transpose``.
    Differentiable in all three tensors."""
    _check_float_matrix("ormqr", input, "input")
    _check_float_matrix("ormqr", other, "other")
    m = input._data.shape[-2]
    k = tau._data.shape[-1] if tau._data.ndim else -1
    side = other._data.shape[-2] if left else other._data.shape[-1]
    if side != m or not 0 <= k <= min(m, input._data.shape[-1]):
        raise RuntimeError(
            f"ormqr: shapes input {tuple(input.shape)}, tau {tuple(tau.shape)} and other "
            f"{tuple(other.shape)} do not fit: other.size({-2 if left else -1}) must be {m} and "
            f"tau.size(-1) at most min(input.shape[-2:])"
        )
    C = _apply_reflectors(_reflectors(input, k), tau, other, left, transpose)
    return C if out is None else out.copy_(C)


# ---------------------------------------------------------------------------------------------
# Randomised low-rank SVD / PCA (Halko, Martinsson and Tropp 2009, as torch._lowrank)
# ---------------------------------------------------------------------------------------------


def _approximate_basis(A: Tensor, q: int, niter: int) -> Tensor:
    """An orthonormal ``(*, m, q)`` basis approximating A's range: a Gaussian sketch, then
    ``niter`` subspace (power) iterations re-orthonormalised by QR for stability."""
    from .random import randn

    dtype = A.dtype
    R = randn(A.shape[-1], q, dtype=dtype, device=A.device)
    Q = linalg.qr(matmul(A, R)).Q
    for _ in range(niter):
        Q = linalg.qr(matmul(_mH(A), Q)).Q
        Q = linalg.qr(matmul(A, Q)).Q
    return Q


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None):
    """A randomised rank-``q`` SVD ``A - M ~ U diag(S) V^H`` (``torch.svd_lowrank``).

    Args:
        A: ``(*, m, n)`` tensor.  q: the rank (a slight overestimate is best; default 6).
        niter: subspace iterations (default 2).  M: optional ``(*, 1, n)``-broadcastable
            tensor subtracted from ``A`` (e.g. the column means).

    Returns:
        ``(U, S, V)`` with shapes ``(*, m, q)``, ``(*, q)``, ``(*, n, q)``; note ``V``, not
        ``Vh``. Draws from the global generator (seed with ``ember.manual_seed``).
    """
    _check_float_matrix("svd_lowrank", A)
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    if M is not None:
        A = A - M
    m, n = A.shape[-2:]
    if m < n or n > q:
        # Work on A^H so the small matrix B stays (q, n)-sized, as PyTorch does.
        Q = _approximate_basis(_mH(A), q, niter)
        U, S, Vh = linalg.svd(matmul(A, Q), full_matrices=False)
        return U, S, matmul(Q, _mH(Vh))
    Q = _approximate_basis(A, q, niter)
    U, S, Vh = linalg.svd(matmul(_mH(Q), A), full_matrices=False)
    return matmul(Q, U), S, _mH(Vh)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):
    """Randomised PCA: :func:`svd_lowrank` of ``A`` minus its column means (``center``).

    Returns:
        ``(U, S, V)``; the principal directions are ``V``'s columns and ``S**2 / (m - 1)``
        the explained variances. ``q`` defaults to ``min(6, m, n)``.
    """
    _check_float_matrix("pca_lowrank", A)
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    if not (isinstance(q, int) and 0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)="
                         f"{min(m, n)}")
    if not (isinstance(niter, int) and niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(dim=-2, keepdim=True)
    return svd_lowrank(A, q, niter)
