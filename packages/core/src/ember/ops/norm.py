"""Norms: ``norm`` (vector p-norms, Frobenius and nuclear) and ``dist``.

``ember.linalg`` has the matrix and vector norms of ``torch.linalg``; these are the older
``torch.norm`` / ``torch.dist`` with their own argument conventions.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ..autograd.function import Function
from ._reduce_util import (
    _F32,
    _HALF,
    _even_weights,
    _kept_shape,
    _np_axis,
    _numpy_names,
    _reduced_axes,
    _unreduce,
)
from ._util import normalize_dims, register_methods, xp_of
from .convert import to_dtype

__all__ = ["norm", "dist"]


class Norm(Function):
    """The vector p-norm ``sum(|x|**p)**(1/p)`` over ``axes`` (p may be 0 or +-inf)."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        data = x._data
        xp = xp_of(data)
        work = data.astype(_F32) if data.dtype in _HALF else data
        ax = _np_axis(axes, data.ndim)
        if p == 2 and work.dtype.kind == "f":
            out = xp.sqrt((work * work).sum(axis=ax, keepdims=keepdim))
        else:
            a = xp.abs(work)
            if p == 2:
                out = xp.sqrt((a * a).sum(axis=ax, keepdims=keepdim))
            elif p == 1:
                out = a.sum(axis=ax, keepdims=keepdim)
            elif p == math.inf:
                out = a.max(axis=ax, keepdims=keepdim)
            elif p == -math.inf:
                out = a.min(axis=ax, keepdims=keepdim)
            elif p == 0:
                out = (a != 0).sum(axis=ax, keepdims=keepdim).astype(a.dtype)
            else:
                with np.errstate(divide="ignore"):  # 0 ** negative p is inf, as it should be
                    out = (a**p).sum(axis=ax, keepdims=keepdim) ** (1.0 / p)
        if work is not data:
            out = out.astype(data.dtype)
        out = _make(out)
        if ctx.needs_input_grad:
            ctx.meta = (p, axes, keepdim)
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from .arith import pow

        x, out = ctx.saved_tensors
        p, axes, keepdim = ctx.meta
        data = x._data
        xp = xp_of(data)
        dtype = data.dtype
        g = _unreduce(grad, data.shape, axes, keepdim)
        n = _unreduce(out, data.shape, axes, keepdim)
        none = (None, None, None)
        # PyTorch's norm_backward, case by case; where the norm is 0 the gradient is 0.
        if p == 0:
            return (None, *none)  # piecewise constant: no gradient
        sign = xp.sign(data).astype(dtype)
        if p == 1:
            return (g * _make(sign), *none)
        zero_norm = (n._data == 0).astype(dtype)
        if p == 2:
            return (g * x / (n + _make(zero_norm)), *none)
        if math.isinf(p):
            weights = _even_weights(xp.abs(data), n._data, axes) * sign
            return (g * _make(weights), *none)
        magnitude = x * _make(sign)  # |x|, differentiable
        if p < 1:
            # sign(x) |x|^(p-1) with 0 at x = 0 (|x| is replaced by 1 there; sign is 0)
            zero_x = _make((data == 0).astype(dtype))
            scaled = _make(sign) * pow(magnitude + zero_x, p - 1)
            return (scaled * g * pow(n, 1 - p), *none)
        if p < 2:
            scaled = _make(sign) * pow(magnitude, p - 1)
        else:
            scaled = x * pow(magnitude, p - 2)
        scale = g * _make(1 - zero_norm) / (pow(n, p - 1) + _make(zero_norm))
        return (scaled * scale, *none)


class NuclearNorm(Function):
    """Sum of the singular values of the matrices in ``axes`` (two of them)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        data = x._data
        xp = xp_of(data)
        work = xp.moveaxis(data, axes, (-2, -1))
        if work.dtype.itemsize < 4:
            work = work.astype(_F32)  # LAPACK has no half precision
        if ctx.needs_input_grad:
            u, s, vh = xp.linalg.svd(work, full_matrices=False)
            # d(sum of singular values)/dA = U V^H (for distinct, nonzero singular values)
            ctx.uv = xp.moveaxis(u @ vh, (-2, -1), axes).astype(data.dtype)
            ctx.meta = (data.shape, axes, keepdim)
        else:
            s = xp.linalg.svd(work, compute_uv=False)
        out = s.sum(axis=-1).astype(data.dtype if data.dtype.kind != "c" else s.dtype)
        return out.reshape(_kept_shape(data.shape, axes)) if keepdim else out

    @staticmethod
    def backward(ctx, grad):
        # U V^H is taken as a constant: first derivatives are exact, second derivatives of the
        # nuclear norm are not supported (they would need the SVD's own derivative).
        shape, axes, keepdim = ctx.meta
        return _unreduce(grad, shape, axes, keepdim) * _make(ctx.uv), None, None


@_numpy_names
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The norm of ``input`` over ``dim`` (``torch.norm``).

    Args:
        input: a floating-point (or complex) tensor.
        p: a number for the vector p-norm ``sum(|x|**p)**(1/p)`` (2, 1, ``inf`` = max |x|,
            ``-inf`` = min |x|, 0 = count of nonzeros, any float); ``'fro'`` (default) for the
            2-norm of all elements in ``dim``; ``'nuc'`` for the nuclear norm (sum of singular
            values) of the matrices in two dims.
        dim: int, tuple or None (all dimensions; for ``'nuc'``, a 2-d input).
        keepdim: keep the reduced dimensions with size 1.
        dtype: compute in this dtype (it must not narrow the input's).

    Example:
        >>> ember.norm(ember.tensor([3.0, 4.0]))
        tensor(5.)
        >>> ember.norm(ember.tensor([[1.0, -2.0], [3.0, 4.0]]), p=1, dim=1)
        tensor([3., 7.])
    """
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(
            f"norm(): Expected a floating point or complex tensor as input. Got "
            f"{input.dtype.name}; call .float() first"
        )
    if dtype is not None:
        target = dt.to_dtype(dtype)
        if dt.promote_types(input.dtype, target) is not target:
            raise RuntimeError(
                f"norm(): the dtype of the input ({input.dtype.name}) should be convertible "
                f"without narrowing to the specified dtype ({target.name})"
            )
        input = to_dtype(input, target)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else dim
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return _vector_norm(input, 2.0, dims, keepdim)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"norm(): Order {p!r} not supported; use a number, 'fro' or 'nuc'")
        data = input._data
        axes = tuple(range(data.ndim)) if dims is None else normalize_dims(dims, data.ndim, "norm")
        if len(axes) != 2:
            raise RuntimeError(
                f"norm(): the '{p}' norm needs 2 dims (a matrix), got dim={dim!r} on a "
                f"{data.ndim}-d input; pass dim=(a, b)"
            )
        return NuclearNorm.apply(input, axes, keepdim)
    return _vector_norm(input, 2.0 if p is None else float(p), dims, keepdim)


def _vector_norm(input, p, dim, keepdim):
    data = input._data
    axes = _reduced_axes(data, dim, "norm")
    if math.isinf(p) and builtins.any(data.shape[a] == 0 for a in axes):
        raise RuntimeError(
            "norm(): cannot compute the inf norm on an empty tensor because the operation does "
            "not have an identity"
        )
    return Norm.apply(input, p, axes, keepdim)


def dist(input: Tensor, other: Tensor, p=2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), over all elements.

    Example:
        >>> ember.dist(ember.tensor([1.0, 1.0]), ember.tensor([4.0, 5.0]))
        tensor(5.)
    """
    return norm(input - other, float(p))


register_methods(norm=norm, dist=dist)
