"""Triangles and diagonal constructions: tril/triu, diag, diag_embed, diagflat, block_diag, and
the coordinate grids meshgrid and cartesian_prod.

Each is built from the linear primitives of ``_shape_fns.py`` (a triangle mask, a diagonal
embedding or view, block slices), so their gradients are the matching adjoints. The diagonal
*view* ``diagonal`` is in ``shape.py``.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ._shape_fns import _BlockDiag, _DiagScatter, _DiagView, _Expand, _Reshape, _Triangle
from ._util import inplace, register_methods
from .join import _promoted, _same_device, stack
from .shape import _diag_dims, _int

__all__ = [
    "tril",
    "triu",
    "diag",
    "diag_embed",
    "diagflat",
    "meshgrid",
    "block_diag",
    "cartesian_prod",
]


# ---------------------------------------------------------------------------------------------
# Triangles and diagonals
# ---------------------------------------------------------------------------------------------


def _check_matrix(input: Tensor, op: str) -> None:
    if input._data.ndim < 2:
        raise RuntimeError(
            f"{op}: input tensor must have at least 2 dimensions (got shape "
            f"{list(input._data.shape)})"
        )


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements on and below the ``diagonal``-th
    diagonal; positive ``diagonal`` counts diagonals above the main one); zeros elsewhere."""
    _check_matrix(input, "tril")
    return _Triangle.apply(input, _int(diagonal, "tril", "diagonal"), False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above the ``diagonal``-th diagonal)."""
    _check_matrix(input, "triu")
    return _Triangle.apply(input, _int(diagonal, "triu", "diagonal"), True)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros with the last dim of ``input`` placed on the ``offset`` diagonal of the planes
    (``dim1``, ``dim2``) of a tensor with one more dim (the inverse of :func:`diagonal`).

    Example:
        >>> ember.diag_embed(ember.tensor([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    d1, d2 = _diag_dims(input._data.ndim + 1, dim1, dim2, "diag_embed")
    offset = _int(offset, "diag_embed", "offset")
    shape = list(input._data.shape[:-1])
    n = input._data.shape[-1] + abs(offset)
    lo, hi = sorted((d1, d2))
    shape.insert(lo, n)
    shape.insert(hi, n)
    return _DiagScatter.apply(input, tuple(shape), offset, d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor as a square matrix with it on the ``diagonal``-th diagonal, or the
    ``diagonal``-th diagonal of a matrix as a new 1-D tensor (a copy)."""
    ndim = input._data.ndim
    k = _int(diagonal, "diag", "diagonal")
    if ndim == 1:
        n = input._data.shape[0] + abs(k)
        return _DiagScatter.apply(input, (n, n), k, 0, 1)
    if ndim == 2:
        from .convert import clone

        return clone(_DiagView.apply(input, k, 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input on the ``offset``-th diagonal of a square matrix."""
    flat = _Reshape.apply(input, (input._data.size,), "diagflat", True)
    return diag(flat, offset)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the inputs (0-d: 1x1 blocks, 1-d: row blocks), with zeros
    elsewhere and the dtypes promoted.

    Example:
        >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    if not tensors:
        return _make(np.zeros((1, 0), dtype=dt.get_default_dtype().np_dtype))
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                f"has {t._data.ndim} dimensions"
            )
    _same_device(list(tensors), "block_diag")
    return _BlockDiag.apply(*tensors, np_dtype=_promoted(tensors))


# ---------------------------------------------------------------------------------------------
# Grids
# ---------------------------------------------------------------------------------------------


def meshgrid(*tensors, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids: output ``i`` holds ``tensors[i]`` varying along its own dim and
    repeated (as an expanded view) along the others.

    ``indexing='ij'`` (the default; PyTorch's warning about it is left out) gives shape
    ``(len(t0), len(t1), ...)``; ``'xy'`` swaps the first two dims, as NumPy's default.

    Example:
        >>> xs, ys = ember.meshgrid(ember.arange(2), ember.arange(3), indexing="ij")
        >>> xs.shape
        ember.Size([2, 3])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for i, t in enumerate(tensors):
        if t._data.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor "
                f"of shape {list(t._data.shape)} at position {i}"
            )
    n = len(tensors)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    sizes = [t._data.size for t in tensors]
    shape = [0] * n
    for t_index, axis in enumerate(axes):
        shape[axis] = sizes[t_index]
    out = []
    for t_index, t in enumerate(tensors):
        alone = [1] * n
        alone[axes[t_index]] = sizes[t_index]
        column = _Reshape.apply(t, tuple(alone), "meshgrid", True)
        out.append(_Expand.apply(column, tuple(shape)))
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of the 1-D inputs' elements, one per row (``itertools.product``
    order); one input is returned as it is.

    Example:
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    columns = [_Reshape.apply(g, (g._data.size,), "cartesian_prod", True) for g in grids]
    return stack(columns, 1)


# ---------------------------------------------------------------------------------------------
# Tensor methods
# ---------------------------------------------------------------------------------------------


def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place version of :func:`tril`."""
    return inplace(self, tril, diagonal, op="tril_")


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place version of :func:`triu`."""
    return inplace(self, triu, diagonal, op="triu_")


register_methods(
    tril=tril,
    triu=triu,
    tril_=tril_,
    triu_=triu_,
    diag=diag,
    diag_embed=diag_embed,
    diagflat=diagflat,
)
