"""In-place shape methods (``transpose_``, ``resize_``, ``fill_diagonal_``...), tensor
predicates (``is_signed``, ``is_nonzero``, ``is_conj``...) and no-op views (``resolve_conj``,
``conj_physical``) behind ``ember.ops.view_extra``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import inplace, unbroadcast, xp_of
from ._view_strides import _E, _strided

__all__ = [
    "is_signed",
    "is_same_size",
    "is_nonzero",
    "is_conj",
    "is_neg",
    "resolve_conj",
    "resolve_neg",
    "conj_physical",
    "is_inference",
    "get_device",
]


# ---------------------------------------------------------------------------------------------
# In-place shape changes
# ---------------------------------------------------------------------------------------------


def _metadata_inplace(op_name, fn):
    """``self`` takes the shape/strides of the view ``fn(self)`` (PyTorch's ``transpose_``
    and friends): same memory, the version bumped, and the view's graph node when
    recording."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        check_inplace(self, op=op_name)
        out = fn(self, *args, **kwargs)
        self._data = out._data
        counter = self._version_counter
        if counter is None:
            self._version_counter = [1]
        else:
            counter[0] += 1
        if STATE.enabled and out.grad_fn is not None:
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        return self

    method.__name__ = op_name
    method.__doc__ = f"In-place ``{op_name[:-1]}``: changes ``self``'s shape, not its values."
    return method


def _resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give ``self`` the shape ``sizes``; elements kept in C order, new ones uninitialised
    (zeros here). Refused for tensors that require grad, as in PyTorch."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    data = self._data
    xp = xp_of(data)
    n = math.prod(sizes)
    if n == data.size and data.flags.c_contiguous:
        self._data = data.reshape(sizes)
    else:
        flat = xp.zeros(n, dtype=data.dtype)
        k = min(n, data.size)
        flat[:k] = data.reshape(-1)[:k]
        self._data = flat.reshape(sizes)
    return self


def _resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    """``resize_`` to ``the_template``'s shape."""
    return _resize_(self, tuple(the_template._data.shape))


def _sum_to_size(self: Tensor, *size) -> Tensor:
    """Sum ``self`` down to ``size`` (which must broadcast to ``self``'s shape).

    Example:
        >>> ember.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shape = self._data.shape
    ok = len(size) <= len(shape) and all(
        s == t or s == 1 for s, t in zip(reversed(size), reversed(shape)))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    out = unbroadcast(self, size)
    return out.reshape(size) if out._data.shape != size else out


class _FillPositions(Function):
    """A copy of ``x`` with ``value`` at the flat C-order ``positions`` (gradient: zero
    there)."""

    @staticmethod
    def forward(ctx, x, positions, value):
        ctx.positions = positions
        out = xp_of(x._data).ascontiguousarray(x._data).copy()
        out.reshape(-1)[positions] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        return _FillPositions.apply(grad, ctx.positions, 0), None, None


def _fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all indices equal) with ``fill_value``, in place. For a tall
    matrix, ``wrap=True`` restarts the diagonal every ``cols + 1`` rows (as NumPy)."""
    shape = self._data.shape
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    n = min(shape)
    xp = xp_of(self._data)
    if len(shape) == 2:
        rows, cols = shape
        step = cols + 1
        end = rows * cols if wrap else min(rows, cols) * cols
        positions = xp.arange(0, end, step, dtype=np.int64)
    else:
        step = sum(n**k for k in range(len(shape)))
        positions = xp.arange(n, dtype=np.int64) * step
    return inplace(self, lambda src: _FillPositions.apply(src, positions, fill_value),
                   op="fill_diagonal_")


# ---------------------------------------------------------------------------------------------
# Predicates and no-op views
# ---------------------------------------------------------------------------------------------


def is_signed(input: Tensor) -> bool:
    """Whether ``input``'s dtype is signed (floats, complex and signed integers)."""
    return input._data.dtype.kind in "ifc" or input.dtype is dt.bfloat16


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two tensors have the same shape."""
    return input._data.shape == other._data.shape


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is non-zero (an error for other sizes)."""
    size = input._data.size
    if size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(-1)[0] != 0)


def is_conj(input: Tensor) -> bool:
    """Always False: Ember conjugates eagerly, so no tensor carries a lazy conjugate bit."""
    return False


def is_neg(input: Tensor) -> bool:
    """Always False: Ember has no lazy negation bit."""
    return False


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself (there is never a pending conjugation to materialise)."""
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """``input`` itself (there is never a pending negation to materialise)."""
    return input


def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate as a new tensor (real tensors: ``input`` itself)."""
    return _E().conj(input) if input._data.dtype.kind == "c" else input


def _conj_physical_(self: Tensor) -> Tensor:
    if self._data.dtype.kind != "c":
        return self
    return inplace(self, conj_physical, op="conj_physical_")


def is_inference(input: Tensor) -> bool:
    """Always False: Ember's ``inference_mode`` behaves as ``no_grad`` and makes ordinary
    tensors (a deliberate difference; nothing is skipped that a flag could record)."""
    return False


def get_device(input: Tensor) -> int:
    """The CUDA device index, or -1 for a CPU tensor."""
    dev = input.device
    return -1 if dev.type == "cpu" else (dev.index or 0)


def _apply_(self: Tensor, callable) -> Tensor:
    """Apply a Python function to each element, in place (CPU only; slow, as in PyTorch)."""
    _check_cpu(self, "apply_")
    self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
    return self


def _map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], tensor[i])`` in place (``tensor`` broadcast; CPU only)."""
    _check_cpu(self, "map_")
    other = np.broadcast_to(tensor._data, self._data.shape)
    self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data, other)
    return self


def _map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], x[i], y[i])`` in place (CPU only)."""
    _check_cpu(self, "map2_")
    a = np.broadcast_to(x._data, self._data.shape)
    b = np.broadcast_to(y._data, self._data.shape)
    self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data, a, b)
    return self


def _check_cpu(t: Tensor, op: str):
    if t.device.type != "cpu":
        raise TypeError(f"{op} is only implemented on CPU tensors")


def _new_empty_strided(self: Tensor, size, stride, *, dtype=None, device=None,
                       requires_grad: bool = False, **kwargs) -> Tensor:
    """A new uninitialised (zero-filled here) tensor with the given sizes and element
    strides, on ``self``'s device with its dtype unless given."""
    E = _E()
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"new_empty_strided: mismatch in length of strides and shape "
                           f"({len(size)} vs {len(stride)})")
    need = sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    storage = E.zeros(max(need, 0), dtype=dtype or self.dtype, device=device or self.device)
    out = _make(_strided(storage._data, size, stride))
    out.requires_grad = bool(requires_grad)
    return out
