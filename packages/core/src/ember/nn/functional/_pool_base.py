"""Shared pieces of the pooling functions (see ``_pooling.py`` for the overview): argument
checks, the ``_GatherFlat`` / ``_ScatterFlat`` pair of linear operators, and the window
geometry (``_Window``) that max and average pooling share.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.function import Function
from ...ops._util import xp_of

# Half-precision sums lose too much in their own dtype (PyTorch accumulates in float32 too).
_HALF = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def _is_float(array) -> bool:
    """Floating point, counting ml_dtypes' bfloat16 (whose NumPy kind is 'V')."""
    return array.dtype.kind == "f" or array.dtype in _HALF


def _compute(a):
    return a.astype(np.float32) if a.dtype in _HALF else a


def _name(op) -> str:
    """The op named in an error: a function name, or a module as ``MaxPool2d(kernel_size=...)``
    (modules pass themselves so the message names the layer; formatted only on error)."""
    return op if isinstance(op, str) else f"{type(op).__name__}({op.extra_repr()})"


def _ntuple(value, n: int, what: str, op) -> tuple[int, ...]:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        words = {1: "a single int", 2: "a tuple of two ints", 3: "a tuple of three ints"}
        raise RuntimeError(
            f"{_name(op)}: {what} must either be a single int, or {words[n]}, got {value}"
        )
    return value


def _check_input(input: Tensor, nd: int, op) -> None:
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2) or 0 in shape[len(shape) - nd - 1 :]:
        sp = _SPATIAL[nd]
        raise RuntimeError(
            f"{_name(op)}: expected input of shape (N, C, {sp}) or (C, {sp}) with non-zero "
            f"C, {sp}, got input of shape {shape}"
        )


def _check_float(input: Tensor, op) -> None:
    if input._data.dtype.kind not in "fc" and input._data.dtype not in _HALF:
        name = dt.from_numpy_dtype(input._data.dtype).name
        raise NotImplementedError(f'"{_name(op)}" not implemented for {name} inputs; cast to '
                                  f"a floating dtype first (e.g. input.float())")



# ---------------------------------------------------------------------------------------------
# Gather / scatter at flat plane indices (max pooling, adaptive max pooling, grid_sample)
# ---------------------------------------------------------------------------------------------


def _lead_flat(a, nd: int):
    """``a`` with its last ``nd`` dimensions merged into one."""
    return a.reshape(a.shape[: a.ndim - nd] + (-1,))


def _scatter_add_last(values, index, size: int, unique: bool = False):
    """``out[..., index[..., q]] += values[..., q]`` into zeros of shape ``(..., size)``.

    Repeated indices accumulate: one ``bincount`` over offsets ``row * size + index`` (in
    float64, then cast back) does it without ``ufunc.at``'s per-element cost. Indices known to
    be distinct per row (``unique``) are written by plain fancy assignment instead."""
    xp = xp_of(values)
    lead = values.shape[:-1]
    rows = math.prod(lead)
    v = values.reshape(rows, -1)
    i = xp.broadcast_to(index, values.shape).reshape(rows, -1)
    if unique:
        out = xp.zeros((rows, size), values.dtype)
        out[xp.arange(rows)[:, None], i] = v
        return out.reshape(lead + (size,))
    offsets = i + (xp.arange(rows, dtype=i.dtype) * size)[:, None]
    acc = xp.bincount(offsets.ravel(), weights=v.ravel().astype(np.float64),
                      minlength=rows * size)
    return acc.reshape(lead + (size,)).astype(values.dtype, copy=False)


class _GatherFlat(Function):
    """``out[..., *q] = x[..., flat(idx[..., *q])]``: ``idx`` holds flat indices into the last
    ``nd`` dimensions of ``x`` (its leading dims broadcast against ``x``'s)."""

    @staticmethod
    def forward(ctx, x, idx, nd, unique=False, values=None):
        # ``values``: x's values at idx when the caller has them already (max pooling).
        data = x._data
        if ctx.needs_input_grad:
            ctx.args = (idx, data.shape[data.ndim - nd :], unique)
        if values is not None:
            return values
        out = xp_of(data).take_along_axis(_lead_flat(data, nd), _lead_flat(idx, nd), axis=-1)
        return out.reshape(out.shape[:-1] + idx.shape[idx.ndim - nd :])

    @staticmethod
    def backward(ctx, grad):
        idx, spatial, unique = ctx.args
        return _ScatterFlat.apply(grad, idx, spatial, unique), None, None, None, None


class _ScatterFlat(Function):
    """Adjoint of :class:`_GatherFlat`: zeros of spatial shape ``spatial`` with ``g`` added at
    the flat indices ``idx``."""

    @staticmethod
    def forward(ctx, g, idx, spatial, unique=False):
        nd = len(spatial)
        if ctx.needs_input_grad:
            ctx.args = (idx, nd, unique)
        data = g._data
        lead = data.shape[: data.ndim - nd]
        flat = _scatter_add_last(_lead_flat(_compute(data), nd), _lead_flat(idx, nd),
                                 math.prod(spatial), unique)
        return flat.reshape(lead + tuple(spatial)).astype(data.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        idx, nd, unique = ctx.args
        return _GatherFlat.apply(grad, idx, nd, unique), None, None, None



# ---------------------------------------------------------------------------------------------
# Window geometry
# ---------------------------------------------------------------------------------------------


class _Window:
    """A pooling window: kernel, stride, padding (lo), dilation per spatial dim, the input and
    output sizes, and the extra padding after the input (hi) that makes every window fit (the
    last window of ceil_mode may overhang: PyTorch clips it)."""

    __slots__ = ("kernel", "stride", "lo", "dilation", "in_size", "out_size", "hi")

    def __init__(self, kernel, stride, lo, dilation, in_size, out_size):
        self.kernel, self.stride, self.lo, self.dilation = kernel, stride, lo, dilation
        self.in_size, self.out_size = in_size, out_size
        self.hi = tuple(
            max(0, (o - 1) * s + (k - 1) * d + 1 - n - p)
            for o, s, k, d, n, p in zip(out_size, stride, kernel, dilation, in_size, lo)
        )

    def padded_size(self):
        return tuple(n + a + b for n, a, b in zip(self.in_size, self.lo, self.hi))

    def disjoint(self) -> bool:
        """Windows never overlap, so argmax positions are distinct (faster scatter)."""
        return all(s >= (k - 1) * d + 1 for s, k, d in zip(self.stride, self.kernel,
                                                            self.dilation))


def _window(input, nd, kernel_size, stride, padding, dilation, ceil_mode, op) -> _Window:
    """Parse and check pooling arguments; compute the output size as PyTorch's
    ``pooling_output_shape`` (floor or ceil division, and in ceil mode a last window must start
    inside the input or its left padding)."""
    _check_input(input, nd, op)
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    empty = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    s = k if empty else _ntuple(stride, nd, "stride", op)  # PyTorch: [] means kernel_size
    p = _ntuple(padding, nd, "padding", op)
    d = _ntuple(dilation, nd, "dilation", op)
    name = _name(op)
    if min(k) <= 0:
        raise RuntimeError(f"{name}: kernel_size must be greater than zero, but got {k}")
    if min(s) <= 0:
        raise RuntimeError(f"{name}: stride must be greater than zero, but got {s}")
    if min(d) <= 0:
        raise RuntimeError(f"{name}: dilation must be greater than zero, but got {d}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0:
            raise RuntimeError(f"{name}: pad must be non-negative, but got pad: {pp}")
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(
                f"{name}: pad should be at most half of effective kernel size, but got "
                f"pad={pp}, kernel_size={kk} and dilation={dd}"
            )
        if pp > kk // 2:
            raise RuntimeError(
                f"{name}: pad should be smaller than or equal to half of kernel size, but got "
                f"pad={pp} and kernel_size={kk}"
            )
    shape = input._data.shape
    in_size = tuple(shape[len(shape) - nd :])
    out = []
    for n, kk, ss, pp, dd in zip(in_size, k, s, p, d):
        o = (n + 2 * pp - dd * (kk - 1) - 1 + (ss - 1 if ceil_mode else 0)) // ss + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1
        out.append(o)
    if min(out) <= 0:
        c = shape[len(shape) - nd - 1]
        raise RuntimeError(
            f"{name}: Given input size: ({'x'.join(map(str, (c,) + in_size))}). Calculated "
            f"output size: ({'x'.join(map(str, [c] + out))}). Output size is too small"
        )
    return _Window(k, s, p, d, in_size, tuple(out))


def _pad_spatial(data, w: _Window, value):
    if not any(w.lo) and not any(w.hi):
        return data
    nd = len(w.kernel)
    lead = data.shape[: data.ndim - nd]
    out = xp_of(data).full(lead + w.padded_size(), value, data.dtype)
    out[(Ellipsis,) + tuple(slice(a, a + n) for a, n in zip(w.lo, w.in_size))] = data
    return out


def _region(offset, w: _Window):
    """The slice of the padded input that kernel offset ``offset`` reads for all windows."""
    return tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                 for o, d, s, m in zip(offset, w.dilation, w.stride, w.out_size))


def _lowest(dtype):
    if dtype.kind == "f" or dtype in _HALF:
        return -np.inf
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    raise NotImplementedError(f'"max_pool" not implemented for {dtype}')


