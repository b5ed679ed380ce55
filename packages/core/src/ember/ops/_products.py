"""Matrix products behind ``ember.ops.linalg``: ``matmul`` and its fixed-rank forms (``mm``,
``bmm``, ``mv``, ``dot``, ``vdot``, ``outer``/``ger``, ``inner``), ``kron``, ``trace``, the
``beta * input + alpha * product`` forms (``addmm``, ``addmv``, ``addr``, ``baddbmm``,
``addbmm``), ``cross``, ``multi_dot`` and ``chain_matmul``.
"""

from __future__ import annotations

import string

import numpy as np

from .._tensor import Tensor
from ..amp.autocast_mode import cast_inputs as _autocast
from ..autograd.function import Function
from ._einsum import _einsum
from ._linalg_base import (
    _conj,
    _const,
    _matmul_arrays,
    _mH,
    _out,
    _require_tensor,
    _reshape,
    _same_dtype,
    _shapes,
)
from ._util import unbroadcast, xp_of

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
    "kron",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "addbmm",
    "cross",
    "trace",
    "chain_matmul",
]


# ---------------------------------------------------------------------------------------------
# matmul and its fixed-rank forms
# ---------------------------------------------------------------------------------------------


class Matmul(Function):
    """PyTorch's (and NumPy's) matmul: 1-D operands are promoted to a row (left) or a column
    (right) and the promoted dimension removed again; leading dimensions broadcast."""

    @staticmethod
    def forward(ctx, a, b):
        x, y = a._data, b._data
        if x.ndim == 0 or y.ndim == 0:
            raise RuntimeError(
                f"matmul: both arguments need to be at least 1-D, but they are {x.ndim}-D and "
                f"{y.ndim}-D; use * to multiply by a scalar"
            )
        _same_dtype("matmul", a, b)
        try:
            out = _matmul_arrays(x, y)
        except ValueError:
            k_x, k_y = x.shape[-1], y.shape[-2] if y.ndim > 1 else y.shape[0]
            if k_x != k_y:
                raise RuntimeError(
                    f"matmul: shapes {_shapes(x, y)} cannot be multiplied ({k_x} != {k_y})"
                ) from None
            raise RuntimeError(
                f"matmul: the batch dimensions of shapes {_shapes(x, y)} cannot be broadcast"
            ) from None
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (grad * _conj(b) if need_a else None), (grad * _conj(a) if need_b else None)
        # Redo forward's promotion of 1-D operands, so both gradients are matrix products.
        a2 = _reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
        b2 = _reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
        g_shape = grad.shape
        if a.ndim == 1:
            g_shape = g_shape[:-1] + (1,) + g_shape[-1:]
        if b.ndim == 1:
            g_shape = g_shape + (1,)
        g2 = _reshape(grad, g_shape)
        ga = gb = None
        if need_a:
            ga = _reshape(unbroadcast(matmul(g2, _mH(b2)), a2.shape), a.shape)
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:
                # A weight shared across a batch (x @ W): fold the batch into the rows, one
                # GEMM instead of a batch of products summed afterwards.
                k, p = a2.shape[-1], g2.shape[-1]
                gb = matmul(_mH(_reshape(a2, (-1, k))), _reshape(g2, (-1, p)))
            else:
                gb = unbroadcast(matmul(_mH(a2), g2), b2.shape)
            gb = _reshape(gb, b.shape)
        return ga, gb


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with PyTorch's broadcasting rules (the ``@`` operator).

    1-D x 1-D is a dot product; a 1-D left operand acts as a row vector and a 1-D right operand
    as a column vector (the added dimension is removed from the result); leading (batch)
    dimensions broadcast. Both operands must have the same dtype. float16 and bfloat16 are
    multiplied in float32 and rounded once.

    Shape:
        ``(*, n, k) @ (*, k, m) -> (*, n, m)``.

    Example:
        >>> ember.matmul(ember.ones(5, 2, 3), ember.ones(3)).shape
        ember.Size([5, 2])
    """
    _require_tensor("matmul", "input", input)
    _require_tensor("matmul", "other", other)
    input, other = _autocast("matmul", input, other)
    return _out(Matmul.apply(input, other), out)


def _check_ndim(op, name, x, ndim, what):
    _require_tensor(op, name, x)
    if x._data.ndim != ndim:
        raise RuntimeError(f"{op}: {name} must be {what}, but got a {x._data.ndim}-D tensor")


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Product of two matrices, ``(n, k) @ (k, m) -> (n, m)``; no broadcasting."""
    _check_ndim("mm", "input", input, 2, "a matrix (2-D)")
    _check_ndim("mm", "mat2", mat2, 2, "a matrix (2-D)")
    input, mat2 = _autocast("mm", input, mat2)
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mm: shapes {_shapes(input, mat2)} cannot be multiplied")
    return _out(Matmul.apply(input, mat2), out)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product, ``(b, n, k) @ (b, k, m) -> (b, n, m)``; no broadcasting (use
    :func:`matmul` for that)."""
    _check_ndim("bmm", "input", input, 3, "a batch of matrices (3-D)")
    _check_ndim("bmm", "mat2", mat2, 3, "a batch of matrices (3-D)")
    input, mat2 = _autocast("bmm", input, mat2)
    (b1, _, k1), (b2, k2, _) = input._data.shape, mat2._data.shape
    if b1 != b2:
        raise RuntimeError(
            f"bmm: batch sizes differ in shapes {_shapes(input, mat2)}; use matmul to broadcast"
        )
    if k1 != k2:
        raise RuntimeError(f"bmm: shapes {_shapes(input, mat2)} cannot be multiplied")
    return _out(Matmul.apply(input, mat2), out)


def mv(input: Tensor, vec: Tensor, *, out=None) -> Tensor:
    """Matrix-vector product, ``(n, m) @ (m,) -> (n,)``."""
    _check_ndim("mv", "input", input, 2, "a matrix (2-D)")
    _check_ndim("mv", "vec", vec, 1, "a vector (1-D)")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"mv: shapes {_shapes(input, vec)} cannot be multiplied")
    return _out(Matmul.apply(input, vec), out)


def dot(input: Tensor, tensor: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors of the same length and dtype (no conjugation)."""
    _check_ndim("dot", "input", input, 1, "1-D")
    _check_ndim("dot", "tensor", tensor, 1, "1-D")
    if input._data.shape != tensor._data.shape:
        raise RuntimeError(
            f"dot: expected vectors of the same length, but got shapes {_shapes(input, tensor)}"
        )
    return _out(Matmul.apply(input, tensor), out)


def vdot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """``sum(conj(input) * other)`` for two 1-D tensors (``dot`` for real tensors)."""
    _check_ndim("vdot", "input", input, 1, "1-D")
    _check_ndim("vdot", "other", other, 1, "1-D")
    if input._data.shape != other._data.shape:
        raise RuntimeError(
            f"vdot: expected vectors of the same length, but got shapes {_shapes(input, other)}"
        )
    return _out(Matmul.apply(_conj(input), other), out)


def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    """Outer product of two vectors, ``(n,) x (m,) -> (n, m)``; dtypes promote as ``*``."""
    _check_ndim("outer", "input", input, 1, "1-D")
    _check_ndim("outer", "vec2", vec2, 1, "1-D")
    result = _reshape(input, (-1, 1)) * _reshape(vec2, (1, -1))
    return _out(result, out)


ger = outer


def inner(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Sum of products over the last dimension of both tensors (a product when one is 0-d).

    Shape:
        ``(*a, k)`` and ``(*b, k)`` give ``(*a, *b)``.
    """
    _require_tensor("inner", "input", input)
    _require_tensor("inner", "other", other)
    x, y = input._data, other._data
    if x.ndim == 0 or y.ndim == 0:
        return _out(input * other, out)
    if x.shape[-1] != y.shape[-1]:
        raise RuntimeError(
            f"inner: the last dimension must match on both input tensors, but got shapes "
            f"{_shapes(x, y)}"
        )
    letters = iter(string.ascii_letters)
    left = "".join(next(letters) for _ in range(x.ndim - 1))
    right = "".join(next(letters) for _ in range(y.ndim - 1))
    k = next(letters)
    return _out(_einsum("inner", [left + k, right + k], left + right, [input, other]), out)


# ---------------------------------------------------------------------------------------------
# einsum
def kron(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Kronecker product: blocks ``input[i, j] * other`` (any number of dimensions).

    Shape:
        ``(a0, a1, ...) x (b0, b1, ...) -> (a0 * b0, a1 * b1, ...)``, the shorter shape padded
        with leading ones.
    """
    _require_tensor("kron", "input", input)
    _require_tensor("kron", "other", other)
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    # Interleave the dimensions, (a0, 1, a1, 1...) * (1, b0, 1, b1...), and merge each pair.
    left = _reshape(input, [d for s in sa for d in (s, 1)])
    right = _reshape(other, [d for s in sb for d in (1, s)])
    result = _reshape(left * right, [x * y for x, y in zip(sa, sb)])
    return _out(result, out)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (the leading square block's, for a rectangular
    one); integer inputs give int64, as ``sum`` does."""
    _check_ndim("trace", "input", input, 2, "a matrix (2-D)")
    m, n = input._data.shape
    if m == n:
        result = _einsum("trace", ["ii"], "", [input])
    else:
        diagonal = _const(xp_of(input._data).eye(m, n, dtype=input._data.dtype))
        result = _einsum("trace", ["ij", "ij"], "", [input, diagonal])
    if result._data.dtype.kind in "iu":
        from .convert import to_dtype

        result = to_dtype(result, np.int64)
    return result


# ---------------------------------------------------------------------------------------------
# beta * input + alpha * product
# ---------------------------------------------------------------------------------------------


def _add_scaled(op, input, product, beta, alpha):
    """``beta * input + alpha * product``, where ``input`` broadcasts to the product's shape;
    with ``beta == 0`` the input is ignored (NaNs in it do not propagate), as in PyTorch."""
    _require_tensor(op, "input", input)
    target = product._data.shape
    shape = input._data.shape
    if len(shape) > len(target) or any(s not in (1, t) for s, t in zip(shape[::-1], target[::-1])):
        raise RuntimeError(
            f"{op}: input of shape {tuple(shape)} cannot be broadcast to the product's shape "
            f"{tuple(target)}"
        )
    if input._data.dtype != product._data.dtype:
        raise RuntimeError(
            f"{op}: input and the matrices must have the same dtype, but got {input.dtype} and "
            f"{product.dtype}"
        )
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices; ``input`` broadcasts."""
    input, mat1, mat2 = _autocast("addmm", input, mat1, mat2)
    return _out(_add_scaled("addmm", input, mm(mat1, mat2), beta, alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _out(_add_scaled("addmv", input, mv(mat, vec), beta, alpha), out)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _out(_add_scaled("addr", input, outer(vec1, vec2), beta, alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    input, batch1, batch2 = _autocast("baddbmm", input, batch1, batch2)
    return _out(_add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha), out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (the batch reduced)."""
    _check_ndim("addbmm", "batch1", batch1, 3, "a batch of matrices (3-D)")
    _check_ndim("addbmm", "batch2", batch2, 3, "a batch of matrices (3-D)")
    if batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"addbmm: shapes {_shapes(batch1, batch2)} cannot be multiplied")
    input, batch1, batch2 = _autocast("addbmm", input, batch1, batch2)
    product = _einsum("addbmm", ["bij", "bjk"], "ik", [batch1, batch2])
    return _out(_add_scaled("addbmm", input, product, beta, alpha), out)


# ---------------------------------------------------------------------------------------------
# cross product, matrix chains
# ---------------------------------------------------------------------------------------------


class Cross(Function):
    @staticmethod
    def forward(ctx, a, b, dim):
        if ctx.needs_input_grad:
            ctx.save_for_backward(a, b)
            ctx.dim = dim
        return xp_of(a._data).cross(a._data, b._data, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        # <g, a x b> = <a, b x g> = <b, g x a>
        a, b = ctx.saved_tensors
        need_a, need_b, _ = ctx.needs_input_grad
        ga = unbroadcast(Cross.apply(b, grad, ctx.dim), a.shape) if need_a else None
        gb = unbroadcast(Cross.apply(grad, a, ctx.dim), b.shape) if need_b else None
        return ga, gb, None


def _cross(op, input, other, dim):
    _require_tensor(op, "input", input)
    _require_tensor(op, "other", other)
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError(
            f"{op}: inputs must have the same number of dimensions, but got shapes {_shapes(x, y)}"
        )
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for {x.ndim}-D inputs")
    dim %= n
    if x.shape[dim] != 3 or y.shape[dim] != 3:
        raise RuntimeError(
            f"{op}: inputs dimension {dim} must have length 3. Got {x.shape[dim]} and "
            f"{y.shape[dim]}"
        )
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {_shapes(x, y)} cannot be broadcast") from None
    if x.dtype != y.dtype:
        raise RuntimeError(
            f"{op}: expected both inputs to have the same dtype, but got {input.dtype} and "
            f"{other.dtype}"
        )
    return Cross.apply(input, other, dim)


def cross(input: Tensor, other: Tensor, dim: int | None = None, *, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (broadcasting the other dimensions).

    With ``dim=None`` the first dimension of size 3 is used: PyTorch's legacy default, which it
    deprecates in favour of ``ember.linalg.cross`` (``dim=-1``).
    """
    if dim is None:
        _require_tensor("cross", "input", input)
        sizes = input._data.shape
        if 3 not in sizes:
            raise RuntimeError("cross: no dimension of size 3 in input; pass dim explicitly")
        dim = sizes.index(3)
    return _out(_cross("cross", input, other, dim), out)


def _chain_order(shapes):
    """The cheapest parenthesisation of a matrix chain (the classic dynamic programme)."""
    n = len(shapes)
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = float("inf")
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors, *, out=None) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order.

    The first tensor may be 1-D (a row vector) and the last 1-D (a column vector); the others
    must be 2-D.

    Example:
        >>> ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 4), ember.ones(4)])
        tensor(12.)
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        _require_tensor("multi_dot", f"tensors[{i}]", t)
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t._data.ndim not in allowed:
            where = "first" if i == 0 else "last" if i == len(tensors) - 1 else f"tensor {i}"
            raise RuntimeError(
                f"multi_dot(): the {where} tensor must be "
                f"{'1D or 2D' if len(allowed) == 2 else '2D'} but got {t._data.ndim}D"
            )
    first_vec, last_vec = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first_vec:
        tensors[0] = _reshape(tensors[0], (1, -1))
    if last_vec:
        tensors[-1] = _reshape(tensors[-1], (-1, 1))
    for i in range(len(tensors) - 1):
        if tensors[i].shape[1] != tensors[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes "
                f"{_shapes(tensors[i], tensors[i + 1])} cannot be multiplied"
            )
        _same_dtype("multi_dot", tensors[i], tensors[i + 1])
    split = _chain_order([t.shape for t in tensors])

    def product(i, j):
        if i == j:
            return tensors[i]
        k = split[i][j]
        return Matmul.apply(product(i, k), product(k + 1, j))

    result = product(0, len(tensors) - 1)
    shape = result.shape
    if first_vec or last_vec:
        shape = tuple(s for s, drop in zip(shape, (first_vec, last_vec)) if not drop)
        result = _reshape(result, shape)
    return _out(result, out)


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of two or more matrices in the cheapest order (use ``linalg.multi_dot``)."""
    if len(matrices) == 1:
        _check_ndim("chain_matmul", "matrices[0]", matrices[0], 2, "a matrix (2-D)")
        return matrices[0]
    for i, m in enumerate(matrices):
        _check_ndim("chain_matmul", f"matrices[{i}]", m, 2, "a matrix (2-D)")
    return multi_dot(matrices, out=out)
