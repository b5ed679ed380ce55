"""``ember.linalg`` inverses, determinants and solvers: ``inv``, ``det``, ``slogdet``,
``solve`` (gradients as listed in ``linalg.py``). Re-exported by ``ember.linalg``.
"""

from __future__ import annotations

import numpy as np

from ._linalg_common import _check, _col, _copy_out, _lapack, _scalar_per_matrix, _SlogdetResult
from ._tensor import Tensor, _make
from .autograd.function import Function
from .ops._util import unbroadcast, xp_of
from .ops.linalg import _conj, _mH, _mT, _reshape, matmul

__all__ = ["inv", "det", "slogdet", "solve"]


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
