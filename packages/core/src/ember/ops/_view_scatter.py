"""The ``*_scatter`` ops (``as_strided_scatter``, ``diagonal_scatter``, ``select_scatter``,
``slice_scatter``: out-of-place writes of ``src`` into a view of ``input``) and the split/copy
variants (``split_with_sizes``, ``unsafe_split``, ``unsafe_chunk``, ``narrow_copy``) behind
``ember.ops.view_extra``.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..autograd.function import Function
from ._util import normalize_dim
from ._view_strides import _E, _check_geometry, _strided, as_strided

__all__ = [
    "as_strided_scatter",
    "diagonal_scatter",
    "select_scatter",
    "slice_scatter",
    "split_with_sizes",
    "unsafe_chunk",
    "unsafe_split",
    "unsafe_split_with_sizes",
    "narrow_copy",
]


class _ScatterInto(Function):
    """A copy of ``x`` with ``src`` written into the region ``region(array)`` (a view);
    the gradient of ``x`` is the gradient with the region zeroed, that of ``src`` the region
    of the gradient (``take``, a view op on Tensors)."""

    @staticmethod
    def forward(ctx, x, src, region, take, op):
        out = x._data.copy()
        view = region(out)
        if view.shape != src._data.shape:
            raise RuntimeError(
                f"{op}: expected src to have a size equal to the slice of self. src size = "
                f"{list(src._data.shape)}, slice size = {list(view.shape)}"
            )
        view[...] = src._data
        ctx.fns = (region, take, op)
        return out

    @staticmethod
    def backward(ctx, grad):
        region, take, op = ctx.fns
        need_x, need_src = ctx.needs_input_grad[:2]
        gsrc = take(grad) if need_src else None
        gx = None
        if need_x:
            gx = _ScatterInto.apply(grad, take(grad).detach() * 0, region, take, op)
        return gx, gsrc, None, None, None


def _check_src_dtype(input, src, op):
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be a Tensor, not {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return src


def as_strided_scatter(input: Tensor, src: Tensor, size, stride,
                       storage_offset: int | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` written where ``input.as_strided(size, stride,
    storage_offset)`` would read (strides over ``input``'s elements in C order)."""
    offset = 0 if storage_offset is None else int(storage_offset)
    size, stride = _check_geometry(input, size, stride, offset, "as_strided_scatter")
    src = _check_src_dtype(input, src, "as_strided_scatter")
    def region(arr):
        return _strided(arr.reshape(-1)[offset:], size, stride)

    def take(t):
        return as_strided(t.contiguous(), size, stride, offset)

    return _ScatterInto.apply(input, src, region, take, "as_strided_scatter")


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of ``input`` whose ``diagonal(offset, dim1, dim2)`` is ``src``.

    Example:
        >>> ember.diagonal_scatter(ember.zeros(2, 2), ember.ones(2))
        tensor([[1., 0.], [0., 1.]])
    """
    from ._shape_fns import _diag_view

    src = _check_src_dtype(input, src, "diagonal_scatter")
    nd = input._data.ndim
    d1, d2 = normalize_dim(dim1, nd, "diagonal_scatter"), normalize_dim(dim2, nd,
                                                                         "diagonal_scatter")
    return _ScatterInto.apply(
        input, src, lambda a: _diag_view(a, offset, d1, d2),
        lambda t: t.diagonal(offset, d1, d2), "diagonal_scatter")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` whose ``select(dim, index)`` slice is ``src``."""
    src = _check_src_dtype(input, src, "select_scatter")
    input.select(dim, index)  # validates dim and index with select's messages
    d = normalize_dim(dim, input._data.ndim, "select_scatter")
    i = index % input._data.shape[d]
    key = (slice(None),) * d + (i,)
    return _ScatterInto.apply(input, src, lambda a: a[key], lambda t: t.select(d, i),
                              "select_scatter")


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` is ``src``.

    Example:
        >>> ember.slice_scatter(ember.zeros(4), ember.ones(2), start=2)
        tensor([0., 0., 1., 1.])
    """
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    src = _check_src_dtype(input, src, "slice_scatter")
    d = normalize_dim(dim, input._data.ndim, "slice_scatter")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _ScatterInto.apply(input, src, lambda a: a[key], lambda t: t[key], "slice_scatter")


# ---------------------------------------------------------------------------------------------
# Splits and copies
# ---------------------------------------------------------------------------------------------


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``input`` split along ``dim`` into pieces of ``split_sizes`` (which must sum
    to the dim's size)."""
    d = normalize_dim(dim, input._data.ndim, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    n = input._data.shape[d]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {d}), but got split_sizes={sizes}"
        )
    return _E().split(input, sizes, d)


def unsafe_split(input: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:
    """``split`` (PyTorch's unsafe form only skips view tracking; the results are the same)."""
    return _E().split(input, split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """``split_with_sizes`` (see :func:`unsafe_split`)."""
    return split_with_sizes(input, split_sizes, dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunk`` (see :func:`unsafe_split`)."""
    return _E().chunk(input, chunks, dim)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor (no shared memory)."""
    return input.narrow(dim, start, length).clone()
