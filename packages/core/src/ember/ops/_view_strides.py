"""Strided views behind ``ember.ops.view_extra``: ``view_as_real``/``view_as_complex``,
``as_strided`` (and ``Tensor.as_strided_``) and ``Tensor.unfold``'s sliding windows, plus the
small helpers the other view_extra parts share.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor, _make, _make_view, check_inplace
from ..autograd.function import Function
from ._util import normalize_dim, xp_of

__all__ = [
    "view_as_real",
    "view_as_complex",
    "as_strided",
]


def _E():
    import ember

    return ember


def _strided(data, shape, strides_elems):
    xp = xp_of(data)
    lib = np.lib.stride_tricks if xp is np else xp.lib.stride_tricks
    item = data.itemsize
    return lib.as_strided(data, tuple(shape), tuple(s * item for s in strides_elems))


# ---------------------------------------------------------------------------------------------
# Complex <-> real views
# ---------------------------------------------------------------------------------------------


class _ViewAsReal(Function):
    @staticmethod
    def forward(ctx, x):
        data = x._data
        real = data.real  # a view with the complex dtype's strides, in the real dtype
        item = real.itemsize
        shape = data.shape + (2,)
        strides = tuple(s // item for s in data.strides) + (1,)
        return _make_view(_strided(real, shape, strides), x)

    @staticmethod
    def backward(ctx, grad):
        return view_as_complex(grad.contiguous())


class _ViewAsComplex(Function):
    @staticmethod
    def forward(ctx, x):
        data = x._data
        cdtype = np.complex64 if data.dtype == np.float32 else np.complex128
        # the last dim is contiguous (checked): each (real, imag) pair reads as one complex
        return _make_view(data.view(cdtype)[..., 0], x)

    @staticmethod
    def backward(ctx, grad):
        return view_as_real(grad)


def view_as_real(input: Tensor) -> Tensor:
    """A real view of a complex tensor: a trailing dim of size 2 holds (real, imag).

    Example:
        >>> ember.view_as_real(ember.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _ViewAsReal.apply(input)


def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a float32/float64 tensor whose last dim (size 2, stride 1) holds
    (real, imag) pairs.

    Example:
        >>> ember.view_as_complex(ember.tensor([[1., 2.]]))
        tensor([1.+2.j])
    """
    data = input._data
    if data.dtype not in (np.float32, np.float64):
        raise RuntimeError(
            f"view_as_complex is only supported for float and double tensors, but got a "
            f"tensor of scalar type: {input.dtype.name}"
        )
    if data.ndim == 0 or data.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    item = data.itemsize
    if data.strides[-1] != item:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any((s // item) % 2 for s in data.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return _ViewAsComplex.apply(input)


# ---------------------------------------------------------------------------------------------
# as_strided and the scatters
# ---------------------------------------------------------------------------------------------


def _positions(xp, size, stride, offset):
    """Flat element positions ``offset + sum(i_k * stride_k)`` of an as_strided layout."""
    pos = xp.full(tuple(size), offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):  # one broadcast add per dimension
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def _check_geometry(input, size, stride, offset, op):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape ({len(size)} vs "
                           f"{len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{op}: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > input._data.size:
        raise RuntimeError(
            f"{op}: setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{offset} need {need} elements, but the storage of the (contiguous) input has "
            f"{input._data.size}"
        )
    return size, stride


class _AsStrided(Function):
    """``as_strided`` over the elements of ``x`` in C order (its contiguous storage)."""

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        data = x._data
        ctx.in_shape = data.shape
        ctx.geometry = (size, stride, offset)
        if data.flags.c_contiguous:
            flat = data.reshape(-1)
            out = _strided(flat[offset:] if flat.size else flat, size, stride)
            return _make_view(out, x)
        flat = xp_of(data).ascontiguousarray(data).reshape(-1)  # a copy, as reshape would
        return _strided(flat[offset:], size, stride).copy()

    @staticmethod
    def backward(ctx, grad):
        # each output element adds its gradient to the storage element it reads
        xp = xp_of(grad._data)
        pos = _make(_positions(xp, *ctx.geometry).reshape(-1))
        n = math.prod(ctx.in_shape)
        zeros = grad.new_zeros((n,))
        g = zeros.index_add(0, pos, grad.reshape(-1))
        return g.reshape(ctx.in_shape), None, None, None


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view with the given sizes and element strides over ``input``'s elements.

    Deliberate difference: Ember tensors have no separate storage object, so the strides and
    offset index ``input``'s elements in C order (PyTorch's storage for a contiguous tensor);
    for a non-contiguous input the result reads a contiguous copy (not a view).

    Example:
        >>> ember.arange(4.).as_strided((3, 2), (1, 1))
        tensor([[0., 1.], [1., 2.], [2., 3.]])
    """
    offset = 0 if storage_offset is None else int(storage_offset)
    size, stride = _check_geometry(input, size, stride, offset, "as_strided")
    return _AsStrided.apply(input, size, stride, offset)


def _as_strided_(self: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """In-place ``as_strided``: ``self`` becomes the strided view of its own elements."""
    check_inplace(self, op="as_strided_")
    out = as_strided(self, size, stride, storage_offset)
    self._data = out._data
    if out.grad_fn is not None:
        self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
    return self
# ---------------------------------------------------------------------------------------------
# Sliding windows
# ---------------------------------------------------------------------------------------------


class _Unfold(Function):
    @staticmethod
    def forward(ctx, x, dim, size, step):
        data = x._data
        ctx.args = (data.shape, dim, size, step)
        n = data.shape[dim] if data.ndim else 1
        count = (n - size) // step + 1
        if data.ndim == 0:
            return _make_view(data.reshape(1), x)
        shape = data.shape[:dim] + (count,) + data.shape[dim + 1:] + (size,)
        strides = data.strides[:dim] + (data.strides[dim] * step,) + data.strides[dim + 1:] + (
            data.strides[dim],)
        xp = xp_of(data)
        lib = np.lib.stride_tricks if xp is np else xp.lib.stride_tricks
        return _make_view(lib.as_strided(data, shape, strides), x)

    @staticmethod
    def backward(ctx, grad):
        return _UnfoldBackward.apply(grad, *ctx.args), None, None, None


class _UnfoldBackward(Function):
    """Windows summed back onto the positions they read (the adjoint of ``unfold``)."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        data = g._data
        if len(shape) == 0:
            return data.reshape(())
        out = xp_of(data).zeros(shape, dtype=data.dtype)
        windows = data.shape[dim]
        moved = xp_of(data).moveaxis(data, -1, dim + 1)  # (..., count, size, ...)
        for j in range(size):  # one strided add per window offset (the window is short)
            key = (slice(None),) * dim + (slice(j, j + step * (windows - 1) + 1, step),)
            out[key] += moved[(slice(None),) * (dim + 1) + (j,)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return _Unfold.apply(grad, *ctx.args), None, None, None, None


def _unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of all windows of ``size`` elements, ``step`` apart, along ``dimension``: that
    dim becomes the window count and a trailing dim of ``size`` is added.

    Example:
        >>> ember.arange(5).unfold(0, 2, 2)
        tensor([[0, 1], [2, 3]])
    """
    nd = self._data.ndim
    d = normalize_dim(dimension, nd, "unfold")
    n = self._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _Unfold.apply(self, d, int(size), int(step))
