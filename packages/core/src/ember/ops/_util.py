"""Helpers shared by the op modules: method binding, broadcasting, operands, in-place writes."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._device import get_array_module, is_cupy_array, is_writeable
from .._tensor import Tensor, _make, check_inplace
from ..autograd import _view_rebase
from ..autograd.function import Function
from ..autograd.grad_mode import STATE

__all__ = [
    "register_methods",
    "unbroadcast",
    "broadcast_to",
    "to_tensor_like",
    "binary_arrays",
    "float_array",
    "inplace",
    "normalize_dim",
    "normalize_dims",
    "xp_of",
]

_ndarray = np.ndarray


def register_methods(**methods) -> None:
    """Bind functions as Tensor methods (``register_methods(exp=exp, exp_=exp_)``)."""
    for name, fn in methods.items():
        setattr(Tensor, name, fn)


def xp_of(array):
    return np if type(array) is _ndarray else get_array_module(array)


def normalize_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (normalize_dim(int(dim), ndim, op),)
    axes = tuple(sorted(normalize_dim(int(d), ndim, op) for d in dim))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return axes


# ---------------------------------------------------------------------------------------------
# Broadcasting: the two directions, each the other's gradient
# ---------------------------------------------------------------------------------------------


def _sum_to_shape_array(data, shape):
    if data.shape == shape:
        return data
    lead = data.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and data.shape[i + lead] != 1
    )
    out = data.sum(axis=axes, keepdims=True) if axes else data
    if lead:
        out = out.reshape(shape)
    return out


class SumToShape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return _sum_to_shape_array(x._data, tuple(shape))

    @staticmethod
    def backward(ctx, grad):
        return broadcast_to(grad, ctx.shape), None


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        xp = xp_of(x._data)
        try:
            return xp.broadcast_to(x._data, shape)
        except ValueError:
            raise RuntimeError(
                f"expand: the shape {tuple(x._data.shape)} cannot be broadcast to "
                f"{tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape), None


def unbroadcast(grad: Tensor, shape) -> Tensor:
    """Sum ``grad`` down to ``shape``: the gradient of broadcasting an input of that shape."""
    if grad._data.shape == shape:
        return grad
    return SumToShape.apply(grad, tuple(shape))


def broadcast_to(x: Tensor, shape) -> Tensor:
    """Differentiable ``broadcast_to`` (a read-only view)."""
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return BroadcastTo.apply(x, shape)


# ---------------------------------------------------------------------------------------------
# Operands of elementwise ops: PyTorch's type promotion on raw arrays
# ---------------------------------------------------------------------------------------------

_PROMO = dt._PROMOTION
_FROM_NP = dt._FROM_NP
_NUMBER = (int, float, bool, complex)


def _mismatch_device(op, a, b):
    raise RuntimeError(
        f"{op}: Expected all tensors to be on the same device, but found at least two "
        f"devices, {a.device} and {b.device}!"
    )


def binary_arrays(a, b, op: str):
    """The arrays of two operands (Tensors or Python numbers), promoted as PyTorch does.

    Python numbers are returned as they are when NumPy's weak-scalar rules already give
    PyTorch's answer, so the hot path does no casting.
    """
    if isinstance(b, Tensor):
        if isinstance(a, Tensor):
            x, y = a._data, b._data
            if type(x) is not type(y):
                _mismatch_device(op, a, b)
            if x.dtype is y.dtype or x.dtype == y.dtype:
                return x, y
            target = dt.result_type(a, b).np_dtype
            return (x if x.dtype == target else x.astype(target)), (
                y if y.dtype == target else y.astype(target)
            )
        x, y = b._data, a
        flip = True
    else:
        x, y = a._data, b
        flip = False
    if not isinstance(y, _NUMBER):
        if isinstance(y, (np.ndarray, np.generic)) or is_cupy_array(y):
            y = _make(y)
            return binary_arrays(y, b, op) if flip else binary_arrays(a, y, op)
        raise TypeError(f"{op}: unsupported operand type {type(y).__name__}")
    kind = x.dtype.kind
    if kind in "biu":
        if isinstance(y, float):
            x = x.astype(dt.get_default_dtype().np_dtype)
        elif isinstance(y, complex):
            x = x.astype(dt.get_default_dtype().to_complex().np_dtype)
        elif kind == "b" and not isinstance(y, bool):
            x = x.astype(np.int64)
    elif x.dtype == _BF16:
        # ml_dtypes has no weak scalars: a Python float would promote bfloat16 to float32
        if isinstance(y, complex):
            x = x.astype(np.complex64)
        else:
            y = _BF16.type(y)
    return (y, x) if flip else (x, y)


_BF16 = dt.bfloat16.np_dtype


def float_array(x: Tensor):
    """``x``'s array, cast to the default float dtype when it holds integers or bools (the
    inputs of ``exp``, ``sqrt``, true division... are promoted this way in PyTorch)."""
    data = x._data
    if data.dtype.kind in "biu":
        return data.astype(dt.get_default_dtype().np_dtype)
    return data


def to_tensor_like(value, like: Tensor) -> Tensor:
    """A Python number or array as a Tensor on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    xp = xp_of(like._data)
    return _make(xp.asarray(value))


def grad_for(grad: Tensor, x) -> Tensor | None:
    """The gradient for input ``x`` of a broadcasting op: summed to its shape, in its dtype."""
    if not isinstance(x, Tensor):
        return None
    g = unbroadcast(grad, x._data.shape)
    if g._data.dtype != x._data.dtype:
        from .convert import to_dtype

        g = to_dtype(g, x._data.dtype)
    return g


# ---------------------------------------------------------------------------------------------
# In-place updates
# ---------------------------------------------------------------------------------------------


def _graph_copy(t: Tensor) -> Tensor:
    """A copy of ``t``'s values that stands for ``t`` in the graph (same grad_fn/leaf edge).

    An in-place op records its out-of-place twin on this copy, so the values the backward
    needs survive the overwrite. For a view (recording), the copy is read from the view's root
    through the root's current history, which may postdate the view's own ``grad_fn`` (an
    earlier in-place op on an overlapping view); see ``ember.autograd._view_rebase``."""
    if t._base is not None and STATE.enabled:
        return _view_rebase.view_source(t)
    if not t.requires_grad:
        return _make(t._data.copy())
    if t.grad_fn is None:
        return t  # a leaf requiring grad: check_inplace has refused the op already
    c = _make(t._data.copy())
    c.requires_grad = True
    c.grad_fn = t.grad_fn
    c._output_nr = t._output_nr
    return c


class _Overwrite(Function):
    """Constant values written over a tensor in the graph (``zero_``, ``fill_(number)``): the
    tensor keeps requiring grad, and no gradient flows to its old values (PyTorch's
    ``ZeroBackward``/``FillBackward``)."""

    @staticmethod
    def forward(ctx, old, values):
        return values._data

    @staticmethod
    def backward(ctx, grad):
        return None, None


def write_into(t: Tensor, result: Tensor, op: str) -> Tensor:
    """Store ``result`` in ``t``'s memory, as the value of an in-place op, and take over its
    place in the graph. When ``t`` is a view, its root's history is rebased instead (PyTorch's
    CopySlices), so gradients reach both the root's untouched elements and ``result``."""
    if t.requires_grad and not result.requires_grad and STATE.enabled:
        result = _Overwrite.apply(t, result)  # the old history no longer reaches t's values
    src = result._data
    dst = t._data
    if src is not dst:
        if src.shape != dst.shape:
            raise RuntimeError(
                f"{op}: output with shape {list(dst.shape)} doesn't match the broadcast shape "
                f"{list(src.shape)}"
            )
        if src.dtype != dst.dtype and not dt.can_cast(
            _FROM_NP[src.dtype], _FROM_NP[dst.dtype]
        ):
            raise RuntimeError(
                f"{op}: result type {_FROM_NP[src.dtype].name} can't be cast to the desired "
                f"output type {_FROM_NP[dst.dtype].name}"
            )
        if not is_writeable(dst):
            raise RuntimeError(
                f"{op}: the tensor is a read-only (expanded/broadcast) view; clone() it first"
            )
        xp_of(dst).copyto(dst, src, casting="unsafe")
    counter = t._version_counter
    if counter is None:
        t._version_counter = [1]
    else:
        counter[0] += 1
    if result.requires_grad and result.grad_fn is not None:
        if t._base is not None and STATE.enabled:
            _view_rebase.rebase(t, result, op)
            return t
        t.requires_grad = True
        t.grad_fn = result.grad_fn
        t._output_nr = result._output_nr
    return t


def inplace(t: Tensor, fn, *args, op: str, **kwargs) -> Tensor:
    """Run ``fn(t, *args, **kwargs)`` (an out-of-place op) as an in-place update of ``t``."""
    check_inplace(t, *args, op=op)
    recording = STATE.enabled and (
        t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    source = _graph_copy(t) if recording else t
    return write_into(t, fn(source, *args, **kwargs), op)
