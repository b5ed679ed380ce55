"""Copies that repeat or reorder elements: repeat, tile, repeat_interleave, flip (fliplr,
flipud), roll and rot90.

They copy, as in PyTorch, even where NumPy could give a view (``flip``), so that writing into
the result never changes the input. Each is a linear primitive of ``_shape_fns.py`` whose
backward is its inverse (flip, roll, rot90) or a sum over the copies (repeat,
repeat_interleave).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make
from ._shape_fns import _Flip, _Permute, _Repeat, _RepeatInterleave, _Reshape, _Roll, _Rot90
from ._util import normalize_dim, register_methods, xp_of
from .shape import _dims, _int, _ints

__all__ = [
    "tile",
    "repeat_interleave",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
]


# ---------------------------------------------------------------------------------------------
# Repetition
# ---------------------------------------------------------------------------------------------


def repeat(self: Tensor, *sizes) -> Tensor:
    """A copy tiled ``sizes[i]`` times along each dim (``len(sizes) >= ndim``; extra sizes add
    leading dims).

    Example:
        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    sizes = _ints(sizes, "repeat", "repeats")
    shape = self._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"repeat: Number of dimensions of repeat dims can not be smaller than number of "
            f"dimensions of tensor (got {len(sizes)} repeat dims for a {len(shape)}-D tensor)"
        )
    if any(s < 0 for s in sizes):
        padded = (1,) * (len(sizes) - len(shape)) + shape
        target = [r * s for r, s in zip(sizes, padded)]
        raise RuntimeError(
            f"repeat: Trying to create tensor with negative dimension {min(sizes)}: {target}"
        )
    return _Repeat.apply(self, sizes)


def tile(input: Tensor, *args, dims=None) -> Tensor:
    """Like :func:`repeat`, but ``dims`` shorter than ``ndim`` are padded with 1s on the
    left (``tile(x, (2,))`` repeats the last dim)."""
    dims = _ints(args if dims is None else (dims,), "tile", "dims")
    pad = input._data.ndim - len(dims)
    return repeat(input, (1,) * pad + dims if pad > 0 else dims)


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element repeated ``repeats`` times in a row along ``dim`` (the flattened input
    when ``dim`` is None). ``repeats`` is an int or a tensor with one count per element.

    With only an integer tensor ``input``, returns ``[0]*input[0] + [1]*input[1] + ...``.
    ``output_size`` is accepted for compatibility (it spares PyTorch a GPU sync; NumPy needs
    no hint).

    Example:
        >>> ember.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
        >>> ember.repeat_interleave(ember.tensor([2, 1]))
        tensor([0, 0, 1])
    """
    op = "repeat_interleave"
    if repeats is None:
        counts = _repeat_counts(input, op)
        xp = xp_of(input._data)
        index = np.repeat(np.arange(len(counts)), counts)
        return _make(xp.asarray(index, dtype=input._data.dtype))
    x = input
    if dim is None:
        x = _Reshape.apply(input, (input._data.size,), op, True)
        dim = 0
    else:
        dim = normalize_dim(_int(dim, op, "dim"), x._data.ndim, op)
        if x._data.ndim == 0:
            x = _Reshape.apply(x, (1,), op, True)
    n = x._data.shape[dim]
    if isinstance(repeats, Tensor):
        counts = _repeat_counts(repeats, op)
        if len(counts) == 1 or repeats._data.ndim == 0:
            repeats = int(counts[0])
        elif len(counts) != n:
            raise RuntimeError(
                f"{op}: repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {len(counts)} and input.size({dim}) = {n}"
            )
        else:
            return _RepeatInterleave.apply(x, counts, dim)
    repeats = _int(repeats, op, "repeats")
    if repeats < 0:
        raise RuntimeError(f"{op}: repeats must be non-negative, but got {repeats}")
    return _RepeatInterleave.apply(x, repeats, dim)


def _repeat_counts(repeats: Tensor, op: str) -> np.ndarray:
    """The repeat counts as a host int64 array (output sizes must be known on the host)."""
    data = repeats._data
    if data.ndim > 1:
        raise RuntimeError(f"{op}: repeats must be 0-dim or 1-dim tensor, got {data.ndim}-dim")
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"{op}: repeats must be an integer tensor, got {repeats.dtype}")
    counts = np.asarray(repeats.numpy(force=True), dtype=np.int64).reshape(-1)
    if (counts < 0).any():
        raise RuntimeError(f"{op}: repeats can not be negative")
    return counts


# ---------------------------------------------------------------------------------------------
# Reordering: flip, roll, rot90
# ---------------------------------------------------------------------------------------------


def flip(input: Tensor, *args, dims=None) -> Tensor:
    """A copy with the order of elements reversed along ``dims`` (varargs or one sequence).

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).flip(1)
        tensor([[2, 1],
                [4, 3]])
    """
    dims = _ints(args if dims is None else (dims,), "flip", "dims")
    dims = _dims(dims, input._data.ndim, "flip")
    return _Flip.apply(input, dims)


def fliplr(input: Tensor) -> Tensor:
    """Flip dim 1 (left/right) of a tensor with at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d (got {input._data.ndim}-d).")
    return _Flip.apply(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip dim 0 (up/down) of a tensor with at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d (got a 0-d tensor).")
    return _Flip.apply(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted cyclically by ``shifts`` along ``dims`` (ints or equal-length tuples);
    with ``dims=None`` the flattened tensor is rolled and the shape restored.

    Example:
        >>> ember.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
    """
    shifts_t = _ints((shifts,), "roll", "shifts")
    if dims is None:
        if len(shifts_t) != 1:
            raise RuntimeError(
                f"roll: shifts and dimensions must align. shifts: {len(shifts_t)}, dims:0"
            )
        return _Roll.apply(input, shifts_t[0], None)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts_t) != len(dims_t):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts_t)}, dims:{len(dims_t)}"
        )
    ndim = input._data.ndim
    if ndim == 0:
        for d in dims_t:
            normalize_dim(_int(d, "roll", "dims"), 0, "roll")
        return _Permute.apply(input, ())  # nothing to roll: a view, as torch.roll of a 0-d
    wrapped = tuple(normalize_dim(_int(d, "roll", "dims"), ndim, "roll") for d in dims_t)
    return _Roll.apply(input, shifts_t, wrapped)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """A copy rotated by ``k`` quarter turns in the plane ``dims``, from the first dim towards
    the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {ndim}")
    d0 = normalize_dim(_int(dims[0], "rot90", "dims"), ndim, "rot90")
    d1 = normalize_dim(_int(dims[1], "rot90", "dims"), ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(
            f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    return _Rot90.apply(input, _int(k, "rot90", "k") % 4, (d0, d1))


# ---------------------------------------------------------------------------------------------
# Tensor methods
# ---------------------------------------------------------------------------------------------


register_methods(
    repeat=repeat,
    tile=tile,
    repeat_interleave=repeat_interleave,
    flip=flip,
    fliplr=fliplr,
    flipud=flipud,
    roll=roll,
    rot90=rot90,
)
