"""PyTorch's older top-level linear-algebra names (``torch.lu``, ``torch.triangular_solve``,
``torch.cholesky_solve``, ``torch.geqrf``, ``torch.svd_lowrank``...), built on ``ember.linalg``.

PyTorch keeps these for old code (most are deprecated in favour of ``torch.linalg``); Ember
offers them with the same arguments, result tuples and gradients. Most are compositions of
differentiable Ember ops (solves, triangles, Householder updates), so gradients of any order
come for free. Two are primitives with their own backward:

- ``matrix_exp``: scaling and squaring with a Taylor polynomial; the gradient is the upper-right
  block of ``exp([[A^H, G], [0, A^H]])`` (Najfeld and Havel), itself a ``matrix_exp``.
- ``lu``: partial-pivoting LU (LAPACK ``getrf``'s algorithm, vectorised over the batch); the
  gradient is PyTorch's ``P L^-H (tril_-1(L^H gL) + triu(gU U^H)) U^-H`` (square inputs).

``torch.solve``, ``torch.lstsq``, ``torch.eig`` and ``torch.matrix_rank`` were removed in
PyTorch 1.9+: like PyTorch 2.x they raise a ``RuntimeError`` naming the replacement.
Unlike PyTorch, the deprecated names do not print a deprecation warning (Ember's warnings are
errors in its test suite; the docstrings carry the advice instead).
"""

from __future__ import annotations

import numpy as np

from .. import linalg
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._linalg_householder import (
    _check_float_matrix,
    _eye_like,
    geqrf,
    orgqr,
    ormqr,
    pca_lowrank,
    svd_lowrank,
)
from ._return_types import return_types
from ._util import register_methods, xp_of
from .linalg import _mH, _mT, matmul

__all__ = [
    "matrix_exp",
    "lu",
    "lu_unpack",
    "lu_solve",
    "cholesky_solve",
    "cholesky_inverse",
    "triangular_solve",
    "geqrf",
    "orgqr",
    "ormqr",
    "svd_lowrank",
    "pca_lowrank",
    "nuclear_norm",
    "frobenius_norm",
    "solve",
    "lstsq",
    "eig",
    "matrix_rank",
]

_LUWithInfo = return_types.define("_lu_with_info", ("LU", "pivots", "info"))
_LUUnpack = return_types.define("lu_unpack", ("P", "L", "U"))
_TriangularSolve = return_types.define("triangular_solve", ("solution", "cloned_coefficient"))


# ---------------------------------------------------------------------------------------------
# matrix_exp
# ---------------------------------------------------------------------------------------------

_TAYLOR_DEGREE = 18  # with ||A/2^s||_1 <= 1/2 the remainder is below 0.5^19/19! ~ 1e-23


def _expm_array(a):
    """exp of each matrix in ``a`` (..., n, n): scale by 2^-s so the 1-norm is <= 1/2, sum the
    Taylor series (Horner), then square s times; s is per matrix, the squarings masked."""
    xp = xp_of(a)
    norm = xp.abs(a).sum(axis=-2).max(axis=-1) if a.shape[-1] else xp.zeros(a.shape[:-2])
    norm = xp.maximum(norm.astype(np.float64), 1e-300)  # float64: 1e-300 must not underflow
    s = xp.maximum(xp.ceil(xp.log2(norm / 0.5)), 0).astype(np.int64)
    scale = xp.ldexp(xp.ones_like(norm), -s).astype(a.real.dtype)
    x = a * scale[..., None, None]
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    out = eye + x / _TAYLOR_DEGREE
    for k in range(_TAYLOR_DEGREE - 1, 0, -1):
        out = eye + xp.matmul(x, out) / k
    for step in range(int(s.max()) if s.size else 0):
        out = xp.where((s > step)[..., None, None], xp.matmul(out, out), out)
    return out


class MatrixExp(Function):
    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return _make(_expm_array(A._data))

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        from .join import cat

        # d exp(A)[G] for the adjoint: exp([[A^H, G], [0, A^H]]) holds it in the upper right.
        n = A.shape[-1]
        AH = _mH(A)
        zero = AH * 0
        top = cat([AH, grad], dim=-1)
        bottom = cat([zero, AH], dim=-1)
        big = MatrixExp.apply(cat([top, bottom], dim=-2))
        return big[..., :n, n:]


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential ``sum_k A^k / k!`` of each square matrix (``torch.matrix_exp``).

    Args:
        A: ``(*, n, n)`` float or complex tensor.

    Returns:
        ``(*, n, n)`` tensor, differentiable (any order).

    Example:
        >>> ember.matrix_exp(ember.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_float_matrix("matrix_exp", A, square=True)
    return MatrixExp.apply(A)


# ---------------------------------------------------------------------------------------------
# LU: lu, lu_unpack, lu_solve
# ---------------------------------------------------------------------------------------------


def _lu_array(a):
    """Partial-pivoting LU of each (m, n) matrix, as LAPACK ``getrf``: the packed factors, the
    1-based int32 pivots and ``info`` (0, or 1 + the first zero pivot's index)."""
    xp = xp_of(a)
    batch = a.shape[:-2]
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = a.reshape((-1, m, n)).copy()
    rows = xp.arange(lu.shape[0])
    piv = xp.zeros((lu.shape[0], k), dtype=np.int32)
    info = xp.zeros(lu.shape[0], dtype=np.int32)
    for j in range(k):  # one step per column, vectorised over the batch
        p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
        piv[:, j] = p + 1
        row_j = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
        # A zero pivot means the column below is zero too (it was the largest): leave it.
        lu[:, j + 1 :, j] /= xp.where(zero, 1, pivot)[:, None]
        lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j, None] * lu[:, j, None, j + 1 :]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch)


class LU(Function):
    @staticmethod
    def forward(ctx, A):
        lu_, piv, info = _lu_array(A._data)
        out, pivots, infos = _make(lu_), _make(piv), _make(info)
        ctx.mark_non_differentiable(pivots, infos)
        if ctx.needs_input_grad:
            ctx.save_for_backward(out, pivots)
        return out, pivots, infos

    @staticmethod
    def backward(ctx, grad, _gpiv=None, _ginfo=None):
        LU_, pivots = ctx.saved_tensors
        m, n = LU_.shape[-2:]
        if m != n:
            raise RuntimeError(
                f"lu: the gradient is implemented for square matrices only, got {m} by {n}"
            )
        from .matrix import tril, triu

        P, L, U = lu_unpack(LU_, pivots)
        phi = tril(matmul(_mH(L), tril(grad, -1)), -1) + triu(matmul(triu(grad), _mH(U)))
        phi = linalg.solve(_mH(U), phi, left=False)  # phi U^-H
        phi = linalg.solve(_mH(L), phi)  # L^-H phi
        return matmul(P, phi)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """Partial-pivoting LU factorisation ``A = P L U`` (``torch.lu``; deprecated there in
    favour of ``torch.linalg.lu_factor``).

    Args:
        A: ``(*, m, n)`` float or complex tensor.
        pivot: must be True (as on PyTorch's CPU: no LU without pivoting).
        get_infos: also return ``info`` (0 on success, ``i`` if ``U[i-1, i-1]`` is zero).

    Returns:
        ``(A_LU, pivots)`` or the named tuple ``(LU, pivots, info)``: ``A_LU`` packs ``L``
        (below the diagonal, unit diagonal implied) and ``U``; ``pivots`` ``(*, min(m, n))``
        int32 holds 1-based row swaps (row ``i`` swapped with row ``pivots[i] - 1``).
        Differentiable in ``A`` for square matrices. A singular matrix does not raise.

    Example:
        >>> A_LU, pivots = ember.lu(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> pivots
        tensor([2, 2], dtype=ember.int32)
    """
    _check_float_matrix("lu", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU_, pivots, info = LU.apply(A)
    result = _LUWithInfo(LU_, pivots, info) if get_infos else (LU_, pivots)
    if out is not None:
        for dst, src in zip(out, result):
            dst.copy_(src)
        return out
    return result


def _permutation(pivots: Tensor, m: int, dtype) -> Tensor:
    """The (*, m, m) matrix P of the pivots' row swaps (A = P L U): the swaps applied in order
    to the identity's rows give P^T."""
    xp = xp_of(pivots._data)
    batch = pivots._data.shape[:-1]
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).reshape(-1, m).copy()
    piv = pivots._data.reshape(-1, pivots._data.shape[-1]).astype(np.int64) - 1
    rows = xp.arange(perm.shape[0])
    for j in range(piv.shape[1]):
        p = piv[:, j]
        old = perm[:, j].copy()
        perm[:, j] = perm[rows, p]
        perm[rows, p] = old
    # perm[i] is the original row that ends up in row i: (P^T A)[i] = A[perm[i]], P[perm[i], i] = 1
    P = xp.zeros((perm.shape[0], m, m), dtype=dtype)
    P[rows[:, None], perm, xp.arange(m)[None, :]] = 1
    return _make(P.reshape(batch + (m, m)))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out=None):
    """Splits :func:`lu`'s packed result into ``(P, L, U)`` with ``A = P @ L @ U``.

    Args:
        LU_data: ``(*, m, n)`` packed factors.  LU_pivots: ``(*, k)`` int pivots, ``k=min(m, n)``.
        unpack_data: return ``L`` ``(*, m, k)`` and ``U`` ``(*, k, n)`` (else empty tensors).
        unpack_pivots: return ``P`` ``(*, m, m)`` (else an empty tensor).

    Returns:
        The named tuple ``(P, L, U)``; ``L`` and ``U`` are differentiable in ``LU_data``.
    """
    from .matrix import tril, triu

    _check_float_matrix("lu_unpack", LU_data, "LU_data")
    m, n = LU_data._data.shape[-2:]
    k = min(m, n)
    if LU_pivots._data.dtype.kind not in "iu" or LU_pivots._data.shape[-1:] != (k,):
        raise RuntimeError(
            f"lu_unpack: LU_pivots must be an integer tensor of shape (*, {k}) for LU_data of "
            f"shape {tuple(LU_data.shape)}, but got {LU_pivots.dtype} {tuple(LU_pivots.shape)}"
        )
    xp = xp_of(LU_data._data)
    empty = _make(xp.empty((0,), dtype=LU_data._data.dtype))
    L = U = P = empty
    if unpack_data:
        L = tril(LU_data[..., :, :k], -1) + _eye_like(LU_data, m, k)
        U = triu(LU_data[..., :k, :])
    if unpack_pivots:
        P = _permutation(LU_pivots, m, LU_data._data.dtype)
    result = _LUUnpack(P, L, U)
    if out is not None:
        for dst, src in zip(out, result):
            dst.copy_(src)
        return out
    return result


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out=None) -> Tensor:
    """Solves ``A x = b`` from :func:`lu`'s factors of ``A`` (``x = U^-1 L^-1 P^T b``);
    batch dims broadcast. Differentiable in ``b`` and ``LU_data``.

    Shape:
        ``b (*, n, k)``, ``LU_data (*, n, n)``, ``LU_pivots (*, n)`` -> ``(*, n, k)``.
    """
    _check_float_matrix("lu_solve", b, "b")
    _check_float_matrix("lu_solve", LU_data, "LU_data", square=True)
    if b._data.shape[-2] != LU_data._data.shape[-1]:
        raise RuntimeError(
            f"lu_solve: b of shape {tuple(b.shape)} does not match LU_data of shape "
            f"{tuple(LU_data.shape)} (b.size(-2) must equal LU_data.size(-1))"
        )
    P, L, U = lu_unpack(LU_data, LU_pivots)
    x = linalg.solve(U, linalg.solve(L, matmul(_mT(P), b)))
    return x if out is None else out.copy_(x)


# ---------------------------------------------------------------------------------------------
# Triangular and Cholesky solves
# ---------------------------------------------------------------------------------------------


def _triangle(A: Tensor, upper: bool, unitriangular: bool = False) -> Tensor:
    """The triangle PyTorch reads (the other half is ignored), unit diagonal if asked."""
    from .matrix import tril, triu

    if unitriangular:
        n = A.shape[-1]
        return (triu(A, 1) if upper else tril(A, -1)) + _eye_like(A, n)
    return triu(A) if upper else tril(A)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """Solves ``op(A) X = b`` for triangular ``A`` (``torch.triangular_solve``; deprecated
    there in favour of ``torch.linalg.solve_triangular``, which has the arguments reversed).

    Args:
        b: ``(*, m, k)`` right-hand sides.  A: ``(*, m, m)``; only its ``upper`` (or lower)
            triangle is read. transpose: solve ``A^T X = b``. unitriangular: assume ones on
            the diagonal.

    Returns:
        The named tuple ``(solution, cloned_coefficient)``: ``X`` (batch dims broadcast) and a
        copy of ``A``. Differentiable in ``b`` and ``A``.
    """
    _check_float_matrix("triangular_solve", b, "b")
    _check_float_matrix("triangular_solve", A, "A", square=True)
    if b._data.shape[-2] != A._data.shape[-1]:
        raise RuntimeError(
            f"triangular_solve: incompatible shapes b {tuple(b.shape)} and A {tuple(A.shape)}: "
            f"b.size(-2) must equal A.size(-1)"
        )
    T = _triangle(A, upper, unitriangular)
    X = linalg.solve(_mT(T) if transpose else T, b)
    result = _TriangularSolve(X, A.clone())
    if out is not None:
        for dst, src in zip(out, result):
            dst.copy_(src)
        return out
    return result


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """Solves ``A X = B`` given the Cholesky factor of ``A = L L^H`` (or ``U^H U`` with
    ``upper=True``); batch dims broadcast, differentiable in ``B`` and ``L``.

    Example:
        >>> A = ember.tensor([[4.0, 2.0], [2.0, 3.0]])
        >>> X = ember.cholesky_solve(ember.eye(2), ember.linalg.cholesky(A))  # A^-1
    """
    _check_float_matrix("cholesky_solve", B, "B")
    _check_float_matrix("cholesky_solve", L, "L", square=True)
    if B._data.shape[-2] != L._data.shape[-1]:
        raise RuntimeError(
            f"cholesky_solve: incompatible shapes B {tuple(B.shape)} and L {tuple(L.shape)}: "
            f"B.size(-2) must equal L.size(-1)"
        )
    T = _triangle(L, upper)
    lower = _mH(T) if upper else T  # A = lower @ lower^H
    X = linalg.solve(_mH(lower), linalg.solve(lower, B))
    return X if out is None else out.copy_(X)


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """The inverse of ``A = L L^H`` (or ``U^H U``) from its Cholesky factor; differentiable.

    Shape:
        ``(*, n, n) -> (*, n, n)``.
    """
    _check_float_matrix("cholesky_inverse", L, "L", square=True)
    X = cholesky_solve(_eye_like(L, L.shape[-1]), L, upper)
    return X if out is None else out.copy_(X)


# ---------------------------------------------------------------------------------------------
# Norms kept for TorchScript compatibility
# ---------------------------------------------------------------------------------------------


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """Sum of singular values over two dims (default the last two if the input is 2-D):
    ``torch.nuclear_norm``, i.e. ``linalg.matrix_norm(input, 'nuc', dim, keepdim)``."""
    if isinstance(dim, bool):  # torch.nuclear_norm(input, keepdim) overload
        dim, keepdim = None, dim
    if dim is None:
        if input.ndim != 2:
            raise RuntimeError(
                f"nuclear_norm: expected a 2-D tensor without dim, got shape {tuple(input.shape)};"
                f" pass dim=(d0, d1)"
            )
        dim = (-2, -1)
    return linalg.matrix_norm(input, "nuc", dim=tuple(dim), keepdim=keepdim, out=out)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """``sqrt(sum |x|^2)`` over ``dim`` (one or two dims): ``torch.frobenius_norm``, i.e.
    ``linalg.vector_norm(input, 2, dim, keepdim)``."""
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    return linalg.vector_norm(input, 2, dim=dim, keepdim=keepdim, out=out)


# ---------------------------------------------------------------------------------------------
# Names PyTorch removed (kept so old code fails with the fix in the message)
# ---------------------------------------------------------------------------------------------

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "


def solve(input, A, *, out=None):
    """Removed in PyTorch 1.9: raises with the replacement ``ember.linalg.solve(A, B)``."""
    raise RuntimeError(
        _REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`. "
        "`torch.linalg.solve` has its arguments reversed and does not return the LU "
        "factorization.\n\nTo get the LU factorization see `torch.lu`, which can be used with "
        "`torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, A).solution should be "
        "replaced with:\nX = torch.linalg.solve(A, B)"
    )


def lstsq(input, A, *, out=None):
    """Removed in PyTorch 1.9: raises with the replacement ``ember.linalg.lstsq(A, B)``."""
    raise RuntimeError(
        _REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
        "`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition "
        "in the returned tuple (although it returns other information about the problem).\n"
        "X = torch.lstsq(B, A).solution[:A.size(1)] should be replaced with:\n"
        "X = torch.linalg.lstsq(A, B).solution"
    )


def eig(input, eigenvectors: bool = False, *, out=None):
    """Removed in PyTorch 1.9: raises, pointing to ``linalg.eig`` / ``linalg.eigvals``."""
    raise RuntimeError(
        _REMOVED + "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` "
        "rather than real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be "
        "replaced with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, "
        "eigenvectors=True) should be replaced with:\nL_complex, V_complex = torch.linalg.eig(A)"
    )


def matrix_rank(input, tol=None, symmetric: bool = False, *, out=None):
    """Removed in PyTorch 1.9: raises, pointing to ``ember.linalg.matrix_rank``."""
    raise RuntimeError(
        _REMOVED + "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter "
        "'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'."
    )


def _method_lu(self, pivot=True, get_infos=False):
    return lu(self, pivot, get_infos)


register_methods(
    matrix_exp=matrix_exp,
    lu=_method_lu,
    lu_solve=lu_solve,
    cholesky_solve=cholesky_solve,
    cholesky_inverse=cholesky_inverse,
    triangular_solve=triangular_solve,
    geqrf=geqrf,
    orgqr=orgqr,
    ormqr=ormqr,
    solve=solve,
    lstsq=lstsq,
    eig=eig,
)
