"""The convolution kernels and Functions behind ``_conv.py`` (see its docstring for the
lowering): the geometry record, im2col / col2im on ``xp`` arrays with a per-thread workspace,
and the three mutually adjoint Functions ``_Conv``, ``_ConvTranspose``, ``_ConvWeight`` plus
``_Unfold`` / ``_Fold``.
"""

from __future__ import annotations

import itertools
import math
import threading

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.function import Function
from ...ops._util import xp_of

# BLAS has no half-precision GEMM (NumPy's float16 matmul is a slow scalar loop, ml_dtypes'
# bfloat16 matmul returns float32 anyway): those dtypes are computed in float32, stored back.
_HALF = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))


def _compute(a):
    return a.astype(np.float32) if a.dtype in _HALF else a


class _Geometry:
    """Everything about one convolution but the tensors: the spatial sizes of the input (x) and
    output (y) side, kernel, stride, dilation, zero padding before (lo) and after (hi), groups.
    ``in_size``/``out_size`` are stored rather than recomputed so that conv and its adjoints
    agree exactly (conv_transpose's output_padding makes x bigger than conv's formula needs)."""

    __slots__ = ("kernel", "stride", "dilation", "lo", "hi", "groups", "in_size", "out_size")

    def __init__(self, kernel, stride, dilation, lo, hi, groups, in_size, out_size):
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.lo, self.hi, self.groups = lo, hi, groups
        self.in_size, self.out_size = in_size, out_size

    def padded_size(self):
        return tuple(s + a + b for s, a, b in zip(self.in_size, self.lo, self.hi))


# ---------------------------------------------------------------------------------------------
# Array kernels
# ---------------------------------------------------------------------------------------------


# Large temporaries (the padded input, the columns, GEMM results that are reshuffled at once)
# never leave this module. A fresh NumPy allocation of that size is mmapped and page-faulted on
# every call (measured here: ~7 ms per 57 MB, as much as copying the data), so the CPU path
# reuses one buffer per thread and purpose, like cuDNN's workspace. CuPy's memory pool already
# caches allocations. Buffers above the limit are not kept, so a one-off huge call does not pin
# its memory.
_WORKSPACE = threading.local()
_WORKSPACE_LIMIT = 1 << 28  # bytes per buffer


def _scratch(xp, slot: str, shape, dtype):
    """An uninitialised array for a temporary that is dead before the next call."""
    if xp is not np:
        return xp.empty(shape, dtype)
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > _WORKSPACE_LIMIT:
        return np.empty(shape, dtype)
    buf = getattr(_WORKSPACE, slot, None)
    if buf is None or buf.nbytes < nbytes:
        buf = np.empty(max(nbytes, 1), np.uint8)
        setattr(_WORKSPACE, slot, buf)
    return buf[:nbytes].view(dtype).reshape(shape)


def _zero_pad(x, g: _Geometry):
    """x (N, C, *in_size) with g.lo / g.hi zeros around the spatial dims (a scratch array); a
    negative amount crops instead (the flipped-kernel form of conv_transpose can need it)."""
    lo, hi = g.lo, g.hi
    if not any(lo) and not any(hi):
        return x
    xp = xp_of(x)
    padded = g.padded_size()
    keep = (slice(None), slice(None))
    src = keep + tuple(slice(max(-a, 0), s - max(-b, 0)) for a, b, s in zip(lo, hi, g.in_size))
    if all(a <= 0 and b <= 0 for a, b in zip(lo, hi)):
        return x[src]
    out = _scratch(xp, "pad", x.shape[:2] + padded, x.dtype)
    every = (slice(None),) * out.ndim
    for axis, (a, b, p) in enumerate(zip(lo, hi, padded), start=2):
        # zero only the borders: the interior is overwritten right after
        out[every[:axis] + (slice(0, max(a, 0)),)] = 0
        out[every[:axis] + (slice(p - max(b, 0), p),)] = 0
    out[keep + tuple(slice(max(a, 0), p - max(b, 0)) for a, b, p in zip(lo, hi, padded))] = x[src]
    return out


def _windows(p, g: _Geometry, batch_major: bool):
    """The strided view (no copy) of p (N, C, *padded) holding every kernel window: shape
    (N, C, *kernel, *out) if batch_major else (C, *kernel, N, *out)."""
    (n, c), (sn, sc) = p.shape[:2], p.strides[:2]
    sk = tuple(s * d for s, d in zip(p.strides[2:], g.dilation))
    so = tuple(s * t for s, t in zip(p.strides[2:], g.stride))
    if batch_major:
        shape, strides = (n, c, *g.kernel, *g.out_size), (sn, sc, *sk, *so)
    else:
        shape, strides = (c, *g.kernel, n, *g.out_size), (sc, *sk, sn, *so)
    return xp_of(p).lib.stride_tricks.as_strided(p, shape, strides)


def _im2col(x, g: _Geometry, batch_major: bool = False):
    """The columns of x (N, C, *in_size), copied once from the window view.

    batch_major=False (the convolutions): (G, C/G*K, N*L) in a scratch buffer, so that one
    GEMM per group covers the whole batch. batch_major=True (``unfold``): (N, C*K, L), a new
    array."""
    xp = xp_of(x)
    windows = _windows(_zero_pad(x, g), g, batch_major)
    if batch_major:
        cols = xp.empty(windows.shape, x.dtype)
    else:
        cols = _scratch(xp, "cols", windows.shape, x.dtype)
    xp.copyto(cols, windows)
    n, c, groups = x.shape[0], x.shape[1], g.groups
    size, length = math.prod(g.kernel), math.prod(g.out_size)
    if batch_major:
        return cols.reshape(n, c * size, length)
    return cols.reshape(groups, c // groups * size, n * length)


def _col2im(cols, g: _Geometry, n: int, c: int, batch_major: bool = False):
    """The adjoint of :func:`_im2col`: add every column entry back onto the input position it
    was read from. Returns the padded sum, (N, C, *padded) (a view when not batch_major).

    The windows of one kernel offset never overlap, so each offset is one vectorised add over
    the whole batch; the loop runs over the prod(kernel) offsets only."""
    xp = xp_of(cols)
    padded = g.padded_size()
    if batch_major:
        acc = xp.zeros((n, c) + padded, cols.dtype)
    else:
        acc = _scratch(xp, "acc", (c, n) + padded, cols.dtype)
        acc.fill(0)
        acc = acc.swapaxes(0, 1)
    windows = _windows(acc, g, batch_major)
    cols = cols.reshape(windows.shape)
    lead = (slice(None),) * (2 if batch_major else 1)
    for offset in itertools.product(*(range(k) for k in g.kernel)):
        windows[lead + offset] += cols[lead + offset]
    return acc


def _crop(padded, g: _Geometry):
    return padded[(slice(None), slice(None)) + tuple(
        slice(a, a + s) for a, s in zip(g.lo, g.in_size))]


def _to_batch_major(y, groups: int, slot: str):
    """(N, O, *out) -> (G, O/G, N*L), contiguous (the layout of the GEMMs)."""
    xp = xp_of(y)
    n, o = y.shape[:2]
    out = _scratch(xp, slot, (o, n) + y.shape[2:], y.dtype)
    xp.copyto(out, y.swapaxes(0, 1))
    return out.reshape(groups, o // groups, -1)


def _finish(src, bias, dtype, nd: int):
    """(C, N, *S) -> a new contiguous (N, C, *S) array in ``dtype``, plus the bias (fused)."""
    xp = xp_of(src)
    out = xp.empty((src.shape[1], src.shape[0]) + src.shape[2:], dtype)
    src = src.swapaxes(0, 1)
    if bias is None:
        xp.copyto(out, src, casting="unsafe")
    else:
        xp.add(src, bias.reshape((-1,) + (1,) * nd), out=out, casting="unsafe")
    return out


def _conv_array(x, w, b, g: _Geometry, dtype):
    """conv(x, w) + b: (N, C, *in_size), (O, C/G, *k) -> (N, O, *out_size)."""
    xp = xp_of(x)
    n, o, groups = x.shape[0], w.shape[0], g.groups
    cols = _im2col(x, g)
    y = _scratch(xp, "gemm", (groups, o // groups, cols.shape[-1]), cols.dtype)
    xp.matmul(w.reshape(groups, o // groups, -1), cols, out=y)
    return _finish(y.reshape((o, n) + g.out_size), b, dtype, len(g.kernel))


def _conv_transpose_array(y, w, b, g: _Geometry, dtype):
    """conv_transpose(y, w) + b: (N, O, *out_size), (O, C/G, *k) -> (N, C, *in_size)."""
    xp = xp_of(y)
    n, o, groups = y.shape[0], w.shape[0], g.groups
    c = w.shape[1] * groups
    if all(s == 1 for s in g.stride):
        # Unstrided: a plain convolution of y with the flipped kernel, channels swapped within
        # each group (x_pad[i] = sum_k w[k] y[i - k d]). Its GEMM contracts over O*K instead
        # of writing O/G*K-row columns and adding them back: ~25% faster for 3x3 kernels.
        span = tuple(d * (k - 1) for d, k in zip(g.dilation, g.kernel))
        flipped = _Geometry(
            g.kernel, g.stride, g.dilation,
            tuple(s - a for s, a in zip(span, g.lo)),
            tuple(i - m + a for i, m, a in zip(g.in_size, g.out_size, g.lo)),
            groups, g.out_size, g.in_size,
        )
        w_f = w.reshape((groups, o // groups, c // groups) + g.kernel).swapaxes(1, 2)
        w_f = w_f[(Ellipsis,) + (slice(None, None, -1),) * len(g.kernel)]
        return _conv_array(y, w_f.reshape((c, o // groups) + g.kernel), b, flipped, dtype)
    w_t = w.reshape(groups, o // groups, -1).swapaxes(1, 2)
    yk = _to_batch_major(y, groups, "cols")
    cols = _scratch(xp, "gemm", (groups, w_t.shape[1], yk.shape[-1]), yk.dtype)
    xp.matmul(w_t, yk, out=cols)
    acc = _col2im(cols, g, n, c)
    return _finish(_crop(acc, g).swapaxes(0, 1), b, dtype, len(g.kernel))


def _conv_weight_array(x, y, g: _Geometry, dtype):
    """conv_weight(x, y) = sum over batch and positions of y * windows(x) -> (O, C/G, *k)."""
    c, o, groups = x.shape[1], y.shape[1], g.groups
    cols = _im2col(x, g)
    yk = _to_batch_major(y, groups, "gemm")
    # (C*K, N*L) @ (N*L, O), transposed afterwards, rather than (O, N*L) @ (N*L, C*K): the
    # same product, but OpenBLAS runs this long-K, small-output GEMM up to ~25x faster with the
    # larger output dimension first (measured in benchmarks/bench_nn.py's MNIST CNN step).
    # With one group, a plain 2-D product: NumPy's stacked matmul falls off BLAS's fast path
    # for some of these shapes (a 9 x 200k by 200k x 16 product took seconds, not milliseconds).
    if groups == 1:
        w = (cols[0] @ yk[0].T).T
    else:
        w = (cols @ yk.swapaxes(1, 2)).swapaxes(1, 2)
    return w.reshape((o, c // groups) + g.kernel).astype(dtype, copy=False)


def _channel_sum(grad: Tensor) -> Tensor:
    return grad.sum(dim=(0, *range(2, grad.ndim)))


def _bias_array(b):
    return None if b is None else b._data


# ---------------------------------------------------------------------------------------------
# The three Functions (each one's backward is written with the others) and unfold/fold
# ---------------------------------------------------------------------------------------------


class _Conv(Function):
    @staticmethod
    def forward(ctx, x, w, b, g):
        data = x._data
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, w)
            ctx.g = g
        return _conv_array(_compute(data), _compute(w._data), _bias_array(b), g, data.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = _ConvTranspose.apply(grad, w, None, ctx.g) if need_x else None
        gw = _ConvWeight.apply(x, grad, ctx.g) if need_w else None
        return gx, gw, (_channel_sum(grad) if need_b else None), None


class _ConvTranspose(Function):
    @staticmethod
    def forward(ctx, y, w, b, g):
        data = y._data
        if ctx.needs_input_grad:
            ctx.save_for_backward(y, w)
            ctx.g = g
        return _conv_transpose_array(_compute(data), _compute(w._data), _bias_array(b), g,
                                     data.dtype)

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        need_y, need_w, need_b = ctx.needs_input_grad[:3]
        gy = _Conv.apply(grad, w, None, ctx.g) if need_y else None
        gw = _ConvWeight.apply(grad, y, ctx.g) if need_w else None
        return gy, gw, (_channel_sum(grad) if need_b else None), None


class _ConvWeight(Function):
    @staticmethod
    def forward(ctx, x, y, g):
        data = x._data
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, y)
            ctx.g = g
        return _conv_weight_array(_compute(data), _compute(y._data), g, data.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad[:2]
        gx = _ConvTranspose.apply(y, grad, None, ctx.g) if need_x else None
        gy = _Conv.apply(x, grad, None, ctx.g) if need_y else None
        return gx, gy, None


class _Unfold(Function):
    @staticmethod
    def forward(ctx, x, g):
        ctx.g = g
        return _im2col(x._data, g, batch_major=True)

    @staticmethod
    def backward(ctx, grad):
        return _Fold.apply(grad, ctx.g), None


class _Fold(Function):
    @staticmethod
    def forward(ctx, cols, g):
        ctx.g = g
        data = cols._data
        n = data.shape[0]
        c = data.shape[1] // math.prod(g.kernel)
        padded = _col2im(data, g, n, c, batch_major=True)
        if any(g.lo) or any(g.hi):
            return xp_of(data).ascontiguousarray(_crop(padded, g))
        return padded

    @staticmethod
    def backward(ctx, grad):
        return _Unfold.apply(grad, ctx.g), None
