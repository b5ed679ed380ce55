"""Products of tensors: ``matmul``/``@`` and its fixed-rank forms (``mm``, ``bmm``, ``mv``,
``dot``), ``einsum``, ``tensordot``, ``inner``/``outer``/``kron``, the fused ``addmm`` family,
``cross``, ``trace`` and matrix chains. The decompositions (``inv``, ``svd``...) live in
``ember.linalg``; the top-level aliases PyTorch keeps for them (``ember.det``, ``ember.svd``...)
are at the bottom of this module.

Every product is differentiable twice over: ``Matmul``'s backward is two matmuls and
``Einsum``'s backward is an einsum, so ``create_graph=True`` needs nothing more. Like PyTorch,
the matrix products do not promote dtypes: mixing float32 and float64 is an error naming both.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..amp.autocast_mode import cast_inputs as _autocast
from ._einsum import (
    einsum,
    tensordot,
)
from ._linalg_base import Permute as Permute
from ._linalg_base import _conj as _conj
from ._linalg_base import (
    _const,
    _mH,
    _out,
)
from ._linalg_base import _mT as _mT
from ._linalg_base import _reshape as _reshape
from ._products import (
    Matmul,
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    bmm,
    chain_matmul,
    cross,
    dot,
    ger,
    inner,
    kron,
    matmul,
    mm,
    mv,
    outer,
    trace,
    vdot,
)
from ._products import _chain_order as _chain_order
from ._products import _cross as _cross
from ._products import multi_dot as multi_dot
from ._util import inplace, register_methods, xp_of

__all__ = [
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "vdot",
    "inner",
    "outer",
    "ger",
    "einsum",
    "tensordot",
    "kron",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "cross",
    "trace",
    "chain_matmul",
    "det",
    "logdet",
    "slogdet",
    "inverse",
    "pinverse",
    "matrix_power",
    "cholesky",
    "qr",
    "svd",
]

# ---------------------------------------------------------------------------------------------
# PyTorch's top-level names for decompositions; defined in ember.linalg (imported on call, as
# ember.linalg builds on this module).
# ---------------------------------------------------------------------------------------------


def det(input: Tensor) -> Tensor:
    """Determinant of square matrices (``ember.linalg.det``)."""
    from .. import linalg

    return linalg.det(input)


def logdet(input: Tensor) -> Tensor:
    """``log(det(input))``: NaN for a negative determinant, -inf for a singular matrix."""
    from .. import linalg

    sign, logabsdet = linalg.slogdet(input)
    if input._data.dtype.kind == "c":
        raise NotImplementedError("logdet: complex inputs are not supported; use slogdet")
    xp = xp_of(sign._data)
    return logabsdet + _const(xp.where(sign._data < 0, np.nan, 0).astype(sign._data.dtype))


def slogdet(input: Tensor):
    """``(sign, logabsdet)`` of square matrices (``ember.linalg.slogdet``)."""
    from .. import linalg

    return linalg.slogdet(input)


def inverse(input: Tensor, *, out=None) -> Tensor:
    """Inverse of square matrices (``ember.linalg.inv``)."""
    from .. import linalg

    return _out(linalg.inv(input), out)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """Pseudo-inverse, singular values below ``rcond * max`` treated as zero."""
    from .. import linalg

    return linalg.pinv(input, rtol=rcond)


def matrix_power(input: Tensor, n: int) -> Tensor:
    """``input`` multiplied by itself ``n`` times (``ember.linalg.matrix_power``)."""
    from .. import linalg

    return linalg.matrix_power(input, n)


def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """Cholesky factor (``ember.linalg.cholesky``)."""
    from .. import linalg

    return _out(linalg.cholesky(input, upper=upper), out)


def qr(input: Tensor, some: bool = True, *, out=None):
    """``(Q, R)``: ``some=True`` gives the reduced factorisation, ``False`` the complete one."""
    from .. import linalg

    return linalg.qr(input, mode="reduced" if some else "complete")


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """``(U, S, V)`` with ``input = U diag(S) V^H``; note V, not ``linalg.svd``'s Vh.

    With ``compute_uv=False``, U and V are zero-filled, as in PyTorch.
    """
    from .. import linalg

    if not compute_uv:
        s = linalg.svdvals(input)
        xp = xp_of(input._data)
        m, n = input.shape[-2:]
        k = min(m, n)
        batch = input.shape[:-2]
        shape_u = batch + ((m, k) if some else (m, m))
        shape_v = batch + ((n, k) if some else (n, n))
        u = _const(xp.zeros(shape_u, dtype=input._data.dtype))
        v = _const(xp.zeros(shape_v, dtype=input._data.dtype))
        return linalg._SVDResult(u, s, v)
    u, s, vh = linalg.svd(input, full_matrices=not some)
    return linalg._SVDResult(u, s, _mH(vh))


# ---------------------------------------------------------------------------------------------
# Tensor methods and operators
# ---------------------------------------------------------------------------------------------


def __matmul__(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    self, other = _autocast("matmul", self, other)
    return Matmul.apply(self, other)


def __rmatmul__(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    other, self = _autocast("matmul", other, self)
    return Matmul.apply(other, self)


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


register_methods(
    matmul=matmul,
    mm=mm,
    bmm=bmm,
    mv=mv,
    dot=dot,
    vdot=vdot,
    inner=inner,
    outer=outer,
    ger=outer,
    kron=kron,
    addmm=addmm,
    addmv=addmv,
    addr=addr,
    baddbmm=baddbmm,
    addbmm=addbmm,
    addmm_=_inplace_of(addmm, "addmm_"),
    addmv_=_inplace_of(addmv, "addmv_"),
    addr_=_inplace_of(addr, "addr_"),
    baddbmm_=_inplace_of(baddbmm, "baddbmm_"),
    addbmm_=_inplace_of(addbmm, "addbmm_"),
    cross=cross,
    trace=trace,
    det=det,
    logdet=logdet,
    slogdet=slogdet,
    inverse=inverse,
    pinverse=pinverse,
    matrix_power=matrix_power,
    cholesky=cholesky,
    qr=qr,
    svd=svd,
    __matmul__=__matmul__,
    __rmatmul__=__rmatmul__,
)
