"""Shared pieces of ``ember.ops.linalg``: the half-precision policy, private differentiable
reshapes (``_reshape``, ``_mT``, ``_mH``: backward passes need them, and keeping them here keeps
the products independent of ops/shape.py), the operand checks and ``out=`` handling.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._util import xp_of

__all__: list[str] = []


_BF16 = dt.bfloat16.np_dtype
# NumPy has no BLAS kernels for half precision (and ml_dtypes' bfloat16 matmul returns float32,
# its einsum raises): compute these in float32 and round the result once, as PyTorch's CPU
# kernels accumulate half-precision products in float32 too.
_LOW_PRECISION = (np.dtype(np.float16), np.dtype(_BF16))


# ---------------------------------------------------------------------------------------------
# Private differentiable reshapes: the backward passes below need them, and keeping them here
# keeps this module independent of ops/shape.py.
# ---------------------------------------------------------------------------------------------


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Reshape.apply(grad, ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.inverse = tuple(int(i) for i in np.argsort(axes))
        return x._data.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return Permute.apply(grad, ctx.inverse), None


class Conj(Function):
    @staticmethod
    def forward(ctx, x):
        return x._data.conj()

    @staticmethod
    def backward(ctx, grad):
        return Conj.apply(grad)


def _reshape(x: Tensor, shape) -> Tensor:
    shape = tuple(shape)
    return x if x._data.shape == shape else Reshape.apply(x, shape)


def _mT(x: Tensor) -> Tensor:
    """The last two dimensions swapped (``x.mT``)."""
    axes = list(range(x._data.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return Permute.apply(x, tuple(axes))


def _conj(x: Tensor) -> Tensor:
    return Conj.apply(x) if x._data.dtype.kind == "c" else x


def _mH(x: Tensor) -> Tensor:
    """The conjugate transpose of the last two dimensions (``x.mH``)."""
    return _conj(_mT(x))


def _const(array) -> Tensor:
    return _make(array)


# ---------------------------------------------------------------------------------------------
# Checks shared by the products
# ---------------------------------------------------------------------------------------------


def _require_tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(x).__name__}")


def _same_dtype(op, a: Tensor, b: Tensor) -> None:
    x, y = a._data, b._data
    if type(x) is not type(y):
        raise RuntimeError(
            f"{op}: expected both tensors on the same device, but found {a.device} and {b.device}"
        )
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"{op}: expected m1 and m2 to have the same dtype, but got: {a.dtype} != "
            f"{b.dtype}; convert one operand, e.g. b.to(a.dtype)"
        )
    if x.dtype == np.bool_:
        raise NotImplementedError(
            f"{op}: not implemented for bool tensors; convert them with .int() or .float()"
        )


def _shapes(*arrays) -> str:
    return " and ".join(str(tuple(a.shape)) for a in arrays)


def _matmul_arrays(x, y):
    xp = xp_of(x)
    if x.dtype in _LOW_PRECISION:
        return xp.matmul(x.astype(np.float32), y.astype(np.float32)).astype(x.dtype)
    return xp.matmul(x, y)

def _out(result, out):
    if out is None:
        return result
    from .convert import copy_

    if out.shape != result.shape:
        out._data = xp_of(result._data).empty(result._data.shape, dtype=out._data.dtype)
    return copy_(out, result)
