"""Joining and splitting along a dim: cat/stack (and hstack, vstack, dstack, column_stack) and
their adjoints split, chunk, tensor_split (hsplit, vsplit, dsplit) and unbind.

cat and stack copy, with PyTorch's dtype promotion; the splits return views of the input. Each
is one linear primitive of ``_shape_fns.py``: cat's backward is a split and split's a cat,
stack's an unbind and unbind's a stack.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from ._shape_fns import _Cat, _is_legacy_empty, _Reshape, _Split, _Stack, _Unbind
from ._util import normalize_dim, register_methods
from .shape import _atleast_list, _int

__all__ = [
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "row_stack",
    "dstack",
    "column_stack",
    "split",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "chunk",
    "unbind",
]


def _promoted(tensors) -> np.dtype:
    """PyTorch's dtype for joining tensors (cat, stack, block_diag): pairwise promotion."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return first
    result = dt.from_numpy_dtype(first)
    for t in tensors[1:]:
        result = dt._PROMOTION[result, dt.from_numpy_dtype(t._data.dtype)]
    return result.np_dtype


def _same_device(tensors, op: str) -> None:
    kind = type(tensors[0]._data)
    for t in tensors[1:]:
        if type(t._data) is not kind:
            raise RuntimeError(
                f"{op}: Expected all tensors to be on the same device, but found at least two "
                f"devices, {tensors[0].device} and {t.device}!"
            )


# ---------------------------------------------------------------------------------------------
# Joining
# ---------------------------------------------------------------------------------------------


def cat(tensors, dim: int = 0) -> Tensor:
    """Tensors joined along an existing dim; dtypes are promoted as PyTorch does.

    1-D tensors with no elements are skipped whatever their shape (PyTorch's legacy rule), so
    ``cat([ember.zeros(0), x])`` is ``x``.

    Args:
        tensors: a non-empty sequence of tensors with equal sizes except along ``dim``.
        dim: the dim to join along.

    Example:
        >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
        ember.Size([3, 3])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"cat(): expected a sequence of Tensors, but element {i} is {type(t).__name__}"
            )
        if t._data.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    _same_device(tensors, "cat")
    kept = [(i, t._data.shape) for i, t in enumerate(tensors) if not _is_legacy_empty(t._data)]
    ref_index, ref = kept[0] if kept else (0, tensors[0]._data.shape)
    d = normalize_dim(_int(dim, "cat", "dim"), len(ref), "cat")
    for i, shape in kept:
        if len(shape) != len(ref):
            raise RuntimeError(
                f"cat: Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}"
            )
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"cat: Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{a} but got size {b} for tensor number {i} in the list."
                )
    return _Cat.apply(*tensors, dim=d, np_dtype=_promoted(tensors))


concat = cat


def concatenate(tensors, axis: int = 0) -> Tensor:
    """:func:`cat` with NumPy's argument name."""
    return cat(tensors, axis)


def stack(tensors, dim: int = 0) -> Tensor:
    """Equal-shaped tensors joined along a new dim ``dim`` (in ``[-ndim - 1, ndim]``).

    Example:
        >>> ember.stack([ember.zeros(2, 3), ember.ones(2, 3)], dim=1).shape
        ember.Size([2, 2, 3])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    _same_device(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    d = normalize_dim(_int(dim, "stack", "dim"), len(ref) + 1, "stack")
    return _Stack.apply(*tensors, dim=d, np_dtype=_promoted(tensors))


def hstack(tensors) -> Tensor:
    """Join along dim 1 (along dim 0 when all tensors are 1-D); 0-d tensors count as 1-D."""
    tensors = _atleast_list(tensors, 1, "hstack")
    dim = 0 if all(t._data.ndim == 1 for t in tensors) else 1
    return cat(tensors, dim)


def vstack(tensors) -> Tensor:
    """Join along dim 0 after making every tensor at least 2-D (1-D tensors become rows)."""
    return cat(_atleast_list(tensors, 2, "vstack"), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Join along dim 2 after making every tensor at least 3-D (see :func:`atleast_3d`)."""
    return cat(_atleast_list(tensors, 3, "dstack"), 2)


def column_stack(tensors) -> Tensor:
    """Join along dim 1, with 0-d and 1-d tensors taken as columns."""
    columns = [
        _Reshape.apply(t, (t._data.size, 1), "column_stack", True) if t._data.ndim <= 1 else t
        for t in tensors
    ]
    return cat(columns, 1)


# ---------------------------------------------------------------------------------------------
# Splitting and slicing
# ---------------------------------------------------------------------------------------------


def _split_dim(input: Tensor, dim, op: str) -> int:
    if input._data.ndim == 0:
        raise IndexError(f"{op}: Dimension specified as {dim} but tensor has no dimensions")
    return normalize_dim(_int(dim, op, "dim"), input._data.ndim, op)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
    smaller), or of the given list of sizes.

    Example:
        >>> [p.shape[0] for p in ember.arange(5).split(2)]
        [2, 2, 1]
        >>> [p.shape[0] for p in ember.arange(5).split([1, 4])]
        [1, 4]
    """
    d = _split_dim(tensor, dim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int(s, "split", "split_sizes") for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    else:
        size = _int(split_size_or_sections, "split", "split_size")
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0:
            if n != 0:
                raise RuntimeError(
                    f"split_size can only be 0 if dimension size is 0, but got dimension size "
                    f"of {n}"
                )
            sizes = [0]
        else:
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
            sizes = sizes or [0]
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return _Split.apply(tensor, d, tuple(bounds))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``chunks`` nearly equal pieces along ``dim`` (pieces of ``ceil(n / chunks)``;
    there may be fewer than ``chunks`` of them, as in PyTorch)."""
    chunks = _int(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _split_dim(input, dim, "chunk")
    n = input._data.shape[d]
    if n == 0:
        return _Split.apply(input, d, ((0, 0),) * chunks)
    return split(input, -(-n // chunks), d)


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``sections`` nearly equal pieces (the first ``n % sections`` one longer), or
    of the pieces between the given indices, along ``dim``.

    Example:
        >>> [p.shape[0] for p in ember.arange(7).tensor_split(3)]
        [3, 2, 2]
        >>> [p.shape[0] for p in ember.arange(7).tensor_split([1, 5])]
        [1, 4, 2]
    """
    op = "tensor_split"
    if input._data.ndim == 0:
        raise RuntimeError(
            f"{op} expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = normalize_dim(_int(dim, op, "dim"), input._data.ndim, op)
    n = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.item() if spec._data.ndim == 0 else spec.tolist()
    if isinstance(spec, (list, tuple)):
        cuts = [_int(i, op, "indices") for i in spec]
        cuts = [min(max(c + n if c < 0 else c, 0), n) for c in cuts]
        starts = [0] + cuts
        stops = cuts + [n]
        bounds = tuple((a, max(a, b)) for a, b in zip(starts, stops))
    else:
        sections = _int(spec, op, "sections")
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds, start = [], 0
        for i in range(sections):
            stop = start + size + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
        bounds = tuple(bounds)
    return _Split.apply(input, d, bounds)


def _directional_split(input: Tensor, spec, dim: int, min_ndim: int, name: str):
    ndim = input._data.ndim
    if ndim < min_ndim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a "
            f"tensor with {ndim} dimensions!"
        )
    if not isinstance(spec, (list, tuple, Tensor)):
        sections = _int(spec, name, "sections")
        size = input._data.shape[dim]
        if sections <= 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    dim = 0 if input._data.ndim == 1 else 1
    return _directional_split(input, indices_or_sections, dim, 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 0 of a tensor with at least 2 dims."""
    return _directional_split(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 2 of a tensor with at least 3 dims."""
    return _directional_split(input, indices_or_sections, 2, 3, "dsplit")


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of every slice along ``dim`` (that dim removed). ``iter(tensor)`` uses this.

    Example:
        >>> a, b = ember.tensor([[1, 2], [3, 4]]).unbind(1)
        >>> a
        tensor([1, 3])
    """
    d = _split_dim(input, dim, "unbind")
    return _Unbind.apply(input, d)


# ---------------------------------------------------------------------------------------------
# Tensor methods
# ---------------------------------------------------------------------------------------------


register_methods(
    split=split,
    tensor_split=tensor_split,
    hsplit=hsplit,
    vsplit=vsplit,
    dsplit=dsplit,
    chunk=chunk,
    unbind=unbind,
)
