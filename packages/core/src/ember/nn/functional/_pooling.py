"""Pooling: ``max_pool1d/2d/3d``, ``avg_pool1d/2d/3d``, ``adaptive_avg_pool1d/2d/3d``,
``adaptive_max_pool1d/2d/3d``, ``max_unpool1d/2d/3d``, ``lp_pool1d/2d/3d``.

One N-d implementation serves every spatial rank; the leading (batch, channel) dimensions are
never looped over. The differentiable work is done by a few linear operators, each written as
an ``autograd.Function`` whose backward is its adjoint (another of these Functions), so
gradients of any order come for free:

* ``_GatherFlat``  reads ``x`` at flat indices into its plane (the values of max pooling, of
  adaptive max pooling and of grid sampling); its adjoint ``_ScatterFlat`` adds a gradient back
  at those indices (the backward of max pooling, exactly the gather/scatter pair PyTorch uses).
* ``_AvgPool``     sums the windows of the zero-padded input (a box sum, done one axis at a
  time over strided slabs) and divides by the divisor; its adjoint ``_AvgPoolT`` divides and
  adds every window back.
* ``_AxisResample`` applies a sparse matrix along one axis, given per output position the
  input indices and weights of its taps; its adjoint is the same Function on the transposed
  taps. Adaptive average pooling with uneven windows uses it here; interpolation and
  non-constant padding use it in ``_vision.py``.

Max pooling takes a running maximum over the kernel offsets of the input padded with -inf
(each offset one strided slab of the whole batch), then, when indices or a gradient are
needed, finds which offset held it; the indices are PyTorch's: flat positions into the input
plane (H*W).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
]

# Half-precision sums lose too much in their own dtype (PyTorch accumulates in float32 too).
_HALF = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))
_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


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
# Separable resampling along one axis (uneven adaptive pooling here; interpolate, pad)
# ---------------------------------------------------------------------------------------------


class _AxisPlan:
    """A linear map along one axis, as taps: output ``o`` is ``sum_t weight[o, t] *
    x[index[o, t]]`` (``weight`` None: every tap weighs 1, as for nearest and padding).

    Its adjoint is the same kind of map, built once on the host by transposing the taps (input
    ``i`` gathers every output that read it, padded with zero-weight taps), so both directions
    are gathers: no scatter-add, exact sums, and each the other's gradient."""

    __slots__ = ("axis", "index", "weight", "in_size", "_arrays", "_matrix", "_transposed")

    def __init__(self, axis, index, weight, in_size):
        self.axis, self.index, self.weight, self.in_size = axis, index, weight, in_size
        self._arrays = None
        self._matrix = None
        self._transposed = None

    def arrays(self, xp):
        """(index, weight) on the device of ``xp``, converted once."""
        if self._arrays is None or xp_of(self._arrays[0]) is not xp:
            w = None if self.weight is None else xp.asarray(self.weight)
            self._arrays = (xp.asarray(self.index), w)
        return self._arrays

    def matrix(self, xp, dtype):
        """The dense (out, in) matrix of the map (repeated taps summed), made once."""
        if self._matrix is None or self._matrix.dtype != dtype or xp_of(self._matrix) is not xp:
            m = np.zeros((self.index.shape[0], self.in_size))
            rows = np.broadcast_to(np.arange(self.index.shape[0])[:, None], self.index.shape)
            np.add.at(m, (rows, self.index), 1.0 if self.weight is None else self.weight)
            self._matrix = xp.asarray(m, dtype=dtype)
        return self._matrix

    def transposed(self) -> _AxisPlan:
        """The adjoint map (made once; its own transpose is this plan)."""
        if self._transposed is None:
            out_size, taps = self.index.shape
            rows = np.repeat(np.arange(out_size), taps)
            cols = self.index.ravel()
            vals = np.ones(rows.size) if self.weight is None else self.weight.ravel()
            keep = vals != 0
            rows, cols, vals = rows[keep], cols[keep], vals[keep]
            order = np.argsort(cols, kind="stable")
            rows, cols, vals = rows[order], cols[order], vals[order]
            counts = np.bincount(cols, minlength=self.in_size)
            width = max(int(counts.max()) if counts.size else 0, 1)
            rank = np.arange(cols.size) - (np.cumsum(counts) - counts)[cols]
            index = np.zeros((self.in_size, width), np.int64)
            weight = np.zeros((self.in_size, width))
            index[cols, rank] = rows
            weight[cols, rank] = vals
            exact = self.weight is None and bool((counts == width).all())
            plan = _AxisPlan(self.axis, index, None if exact else weight, out_size)
            plan._transposed = self
            self._transposed = plan
        return self._transposed


def _apply_matrix(data, axis, mat):
    """``out[.., o, ..] = sum_i mat[o, i] * data[.., i, ..]`` along ``axis``: one matmul."""
    shape = data.shape
    pre, n, post = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
    if post == 1:
        out = data.reshape(pre, n) @ mat.T
    else:
        out = mat @ data.reshape(pre, n, post)
    return out.reshape(shape[:axis] + (mat.shape[0],) + shape[axis + 1 :])


# A map whose input axis is short compared with its taps runs faster as one BLAS matmul by
# the dense (out, in) matrix than as a few NumPy passes per tap (measured: a 56 -> 112
# bilinear axis: 2x less CPU time); long axes keep the taps (their cost grows with n_in).
_DENSE_PER_TAP = 48


def _resample(data, plan: _AxisPlan):
    """Apply the axis map: a gather for one tap, a dense matmul for short axes, else a
    weighted sum over the taps (a loop over the few taps, never over positions)."""
    xp = xp_of(data)
    axis = plan.axis
    index, weight = plan.arrays(xp)
    taps = index.shape[1]
    if taps == 1 and weight is None:
        return xp.take(data, index[:, 0], axis=axis)
    comp = _compute(data)
    if comp.dtype.kind == "f" and plan.in_size <= _DENSE_PER_TAP * taps:
        out = _apply_matrix(comp, axis, plan.matrix(xp, comp.dtype))
        return out.astype(data.dtype, copy=False)
    shape = [1] * data.ndim
    shape[axis] = -1
    w = None if weight is None else weight.astype(comp.dtype, copy=False)
    out = None
    for t in range(taps):
        term = xp.take(comp, index[:, t], axis=axis)
        if w is not None:
            term *= w[:, t].reshape(shape)
        out = term if out is None else out.__iadd__(term)
    return out.astype(data.dtype, copy=False)


class _AxisResample(Function):
    """The linear map of an :class:`_AxisPlan`; its backward is the transposed plan's map."""

    @staticmethod
    def forward(ctx, x, plan):
        if ctx.needs_input_grad:
            ctx.plan = plan
        return _resample(x._data, plan)

    @staticmethod
    def backward(ctx, grad):
        return _AxisResample.apply(grad, ctx.plan.transposed()), None


def cached_plan(builder):
    """Memoise ``builder(*args) -> (index, weight, in_size) | None`` as ``make(axis, *args) ->
    _AxisPlan | None`` (None: the identity). The same sizes recur at every training step, and a
    plan keeps its device arrays, dense matrix and transpose once made."""

    @functools.lru_cache(maxsize=256)
    def make(axis, *args):
        taps = builder(*args)
        return None if taps is None else _AxisPlan(axis, *taps)

    return make


def resample_axes(input: Tensor, plans) -> Tensor:
    """Apply one :class:`_AxisPlan` per axis; None entries are identities and skipped."""
    out = input
    for plan in plans:
        if plan is not None:
            out = _AxisResample.apply(out, plan)
    return out


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


# ---------------------------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------------------------


def _offsets(w: _Window):
    return itertools.product(*(range(k) for k in w.kernel))


def _max_values(padded, w: _Window):
    """Each window's maximum: a running ``maximum`` over the kernel offsets, each one strided
    slab of the whole batch (NaN propagates, as in PyTorch)."""
    xp = xp_of(padded)
    out = None
    for offset in _offsets(w):
        part = padded[(Ellipsis,) + _region(offset, w)]
        out = part.copy() if out is None else xp.maximum(out, part, out=out)
    return out


def _max_pool_arrays(data, w: _Window):
    """(values, flat indices into the input plane) of each window's maximum, with PyTorch's
    choices: the first maximum on ties; among NaNs the last one (its kernel replaces the
    running max whenever it meets a NaN); in a window whose maximum is -inf, the first
    in-bounds position (where its kernel starts and never moves from)."""
    xp = xp_of(data)
    nd = len(w.kernel)
    lowest = _lowest(data.dtype)
    padded = _pad_spatial(data, w, lowest)
    values = _max_values(padded, w)
    plane = [math.prod(w.in_size[j + 1 :]) for j in range(nd)]  # flat stride of each dim
    offsets = list(_offsets(w))
    # The chosen offset's number (a small int: cheap to write K times), then
    # index = window start (flat) + that offset's flat delta, read from a table.
    arg = xp.zeros(values.shape, np.uint8 if len(offsets) < 256 else np.int64)
    mask = xp.empty(values.shape, np.bool_)
    for k in reversed(range(len(offsets))):  # reversed: the first equal offset wins
        xp.equal(padded[(Ellipsis,) + _region(offsets[k], w)], values, out=mask)
        xp.copyto(arg, k, where=mask)
    if values.dtype.kind == "f" or values.dtype in _HALF:
        if bool(xp.isnan(values).any()):
            for k, offset in enumerate(offsets):
                xp.isnan(padded[(Ellipsis,) + _region(offset, w)], out=mask)
                xp.copyto(arg, k, where=mask)
    deltas = xp.asarray([sum(k * d * st for k, d, st in zip(off, w.dilation, plane))
                         for off in offsets], dtype=np.int64)
    index = deltas[arg]
    start, first = 0, 0
    for j in range(nd):
        shape = [1] * nd
        shape[j] = -1
        sj = xp.arange(w.out_size[j]) * w.stride[j] - w.lo[j]
        fj = sj + (-(-xp.maximum(-sj, 0) // w.dilation[j])) * w.dilation[j]
        start = start + (sj * plane[j]).reshape(shape)
        first = first + (fj * plane[j]).reshape(shape)
    index += start
    if bool((values == lowest).any()):  # possibly a padded position: use the first valid one
        index = xp.where(values == lowest, first, index)
    return values, index


def _max_pool(input, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              op):
    w = _window(input, nd, kernel_size, stride, padding, dilation, ceil_mode, op)
    data = input._data
    if data.dtype == np.bool_ or data.dtype.kind == "c":
        raise NotImplementedError(
            f'"{_name(op)}" not implemented for {dt.from_numpy_dtype(data.dtype).name}'
        )
    recording = STATE.enabled and input.requires_grad
    if not (recording or return_indices):
        return _make(_max_values(_pad_spatial(data, w, _lowest(data.dtype)), w))
    values, index = _max_pool_arrays(data, w)
    if recording:
        out = _GatherFlat.apply(input, index, nd, w.disjoint(), values)
    else:
        out = _make(values)
    return (out, _make(index)) if return_indices else out


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool1d` that always returns ``(output, indices)``."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool1d")


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool2d` that always returns ``(output, indices)``."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool2d")


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool3d` that always returns ``(output, indices)``."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool3d")


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over (N, C, L) or (C, L) input.

    Args:
        kernel_size, stride (default: kernel_size), padding (implicit -inf on both sides, at
        most half the kernel), dilation: ints or 1-tuples.
        ceil_mode: use ceil instead of floor for the output length; a last window must start
            inside the input or the left padding.
        return_indices: also return the argmax positions (flat indices into L), as
            :func:`max_unpool1d` expects.

    Shape: L_out = floor((L + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1.

    Example:
        >>> F.max_pool1d(ember.tensor([[[1., 3., 2., 5.]]]), 2)
        tensor([[[3., 5.]]])
    """
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling over (N, C, H, W) or (C, H, W) input.

    Args as :func:`max_pool1d`, each an int or a pair. The indices (``return_indices=True``)
    are flat positions ``h * W + w`` into each input plane, as PyTorch returns them.

    Example:
        >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
        >>> F.max_pool2d(x, 2, return_indices=True)[1]
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool2d")


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) input; args as :func:`max_pool2d`
    (indices are flat positions ``(d * H + h) * W + w``)."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool3d")


# ---------------------------------------------------------------------------------------------
# Average pooling
# ---------------------------------------------------------------------------------------------


def _divisor(w: _Window, count_include_pad: bool, divisor_override):
    """Per output position, what each window sum is divided by (float64, broadcastable to the
    output's spatial shape). PyTorch's rule per dim: the window [o*s - p, o*s - p + k) is first
    clipped to the padded extent (L + p) -- its size is the divisor with count_include_pad --
    then to the input -- its size is the divisor without. A box, so the divisor is a product
    of per-dim sizes."""
    if divisor_override is not None:
        return np.float64(divisor_override)
    nd = len(w.kernel)
    div = np.ones((1,) * nd)
    for j in range(nd):
        start = np.arange(w.out_size[j]) * w.stride[j] - w.lo[j]
        end = np.minimum(start + w.kernel[j], w.in_size[j] + w.lo[j])
        if count_include_pad:
            size = end - start
        else:
            size = np.minimum(end, w.in_size[j]) - np.maximum(start, 0)
        shape = [1] * nd
        shape[j] = -1
        div = div * size.reshape(shape)
    return div


def _axis_slice(ndim, axis, sl):
    key = [slice(None)] * ndim
    key[axis] = sl
    return tuple(key)


def _window_sum(padded, w: _Window):
    """Sum of each (box) window, one axis at a time: summing k strided slabs along the last
    axis, then along the one before, ... costs sum(k) passes instead of prod(k)."""
    nd = len(w.kernel)
    out = padded
    for j in reversed(range(nd)):
        axis = out.ndim - nd + j
        k, s, m = w.kernel[j], w.stride[j], w.out_size[j]
        total = None
        for t in range(k):
            part = out[_axis_slice(out.ndim, axis, slice(t, t + s * (m - 1) + 1, s))]
            total = part.copy() if total is None else total.__iadd__(part)
        out = total
    return out


def _window_sum_t(g, w: _Window):
    """Adjoint of :func:`_window_sum`: every window's value added back over its window (the
    same axis-by-axis order reversed), giving the padded input's shape."""
    xp = xp_of(g)
    nd = len(w.kernel)
    out = g
    padded = w.padded_size()
    for j in range(nd):
        axis = out.ndim - nd + j
        k, s, m = w.kernel[j], w.stride[j], w.out_size[j]
        shape = list(out.shape)
        shape[axis] = padded[j]
        acc = xp.zeros(tuple(shape), out.dtype)
        for t in range(k):
            acc[_axis_slice(acc.ndim, axis, slice(t, t + s * (m - 1) + 1, s))] += out
        out = acc
    return out


def _avg_forward(data, w: _Window, divisor):
    xp = xp_of(data)
    integer = data.dtype.kind in "iub"
    comp = data.astype(np.int64) if integer else _compute(data)
    total = _window_sum(_pad_spatial(comp, w, 0), w)
    if integer:  # PyTorch divides integer sums with truncation toward zero
        div = xp.asarray(divisor).astype(np.int64)
        out = xp.abs(total) // div * xp.sign(total)
    else:
        out = total.__itruediv__(xp.asarray(divisor).astype(comp.dtype))
    return out.astype(data.dtype, copy=False)


def _avg_transpose(data, w: _Window, divisor):
    """Adjoint of :func:`_avg_forward`: each output's share added back to its window."""
    xp = xp_of(data)
    comp = _compute(data)
    out = _window_sum_t(comp / xp.asarray(divisor).astype(comp.dtype), w)
    if any(w.lo) or any(w.hi):
        crop = tuple(slice(a, a + n) for a, n in zip(w.lo, w.in_size))
        out = xp.ascontiguousarray(out[(Ellipsis,) + crop])
    return out.astype(data.dtype, copy=False)


class _AvgPool(Function):
    @staticmethod
    def forward(ctx, x, w, divisor):
        if ctx.needs_input_grad:
            ctx.args = (w, divisor)
        return _avg_forward(x._data, w, divisor)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPoolT.apply(grad, *ctx.args), None, None


class _AvgPoolT(Function):
    @staticmethod
    def forward(ctx, g, w, divisor):
        if ctx.needs_input_grad:
            ctx.args = (w, divisor)
        return _avg_transpose(g._data, w, divisor)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPool.apply(grad, *ctx.args), None, None


def _avg_pool(input, nd, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, op):
    w = _window(input, nd, kernel_size, stride, padding, 1, ceil_mode, op)
    if input._data.dtype == np.bool_ or input._data.dtype.kind in "uc":
        _check_float(input, op)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{_name(op)}: divisor must be not zero")
    return _AvgPool.apply(input, w, _divisor(w, count_include_pad, divisor_override))


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L) input.

    Args:
        kernel_size, stride (default: kernel_size), padding (implicit zeros, at most half the
        kernel): ints or 1-tuples.
        ceil_mode: ceil instead of floor for the output length.
        count_include_pad: divide by the window size including the zero padding (True) or by
            the number of input elements in the window.

    Example:
        >>> F.avg_pool1d(ember.tensor([[[1., 2., 3., 4., 5., 6., 7.]]]), 3, stride=2)
        tensor([[[2., 4., 6.]]])
    """
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None, "avg_pool1d")


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W) input; args as :func:`avg_pool1d`
    (ints or pairs), plus ``divisor_override``: divide every window sum by this instead."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) input; args as
    :func:`avg_pool2d`."""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool3d")


# ---------------------------------------------------------------------------------------------
# Adaptive pooling
# ---------------------------------------------------------------------------------------------


def _adaptive_sizes(input, nd, output_size, op) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2) or 0 in shape[len(shape) - nd :]:
        sp = _SPATIAL[nd]
        raise RuntimeError(
            f"{_name(op)}: expected input of shape (N, C, {sp}) or (C, {sp}) with non-zero "
            f"{sp}, got input of shape {shape}"
        )
    in_size = shape[len(shape) - nd :]
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{_name(op)}: output_size must be {nd}, got {output_size}")
    out = tuple(n if o is None else int(o) for o, n in zip(output_size, in_size))
    if min(out) < 0:
        raise RuntimeError(
            f"{_name(op)}: elements of output_size must be greater than or equal to 0 but "
            f"received {out}"
        )
    return in_size, out


def _adaptive_taps(n: int, o: int):
    """PyTorch's adaptive windows along one axis: output i averages/maxes input
    [floor(i*n/o), ceil((i+1)*n/o)). As (index, valid) arrays of shape (o, T), T the longest
    window; shorter windows repeat their last index (harmless for max) and are masked."""
    i = np.arange(o)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    taps = int((end - start).max()) if o else 1
    index = start[:, None] + np.arange(taps)[None, :]
    valid = index < end[:, None]
    return np.minimum(index, end[:, None] - 1), valid, end - start


def _adaptive_avg_pool(input, nd, output_size, op):
    in_size, out = _adaptive_sizes(input, nd, output_size, op)
    _check_float(input, op)
    if all(o and n % o == 0 for n, o in zip(in_size, out)):
        # Even windows: a plain average pooling with kernel = stride = n / o.
        k = tuple(n // o for n, o in zip(in_size, out))
        w = _window(input, nd, k, k, 0, 1, False, op)
        return _AvgPool.apply(input, w, np.float64(math.prod(k)))
    # Uneven windows: a box average is separable, one sparse averaging matrix per axis.
    ndim = input._data.ndim
    return resample_axes(input, [_adaptive_avg_plan(ndim - nd + j, n, o)
                                 for j, (n, o) in enumerate(zip(in_size, out))])


@cached_plan
def _adaptive_avg_plan(n: int, o: int):
    if n == o:
        return None
    index, valid, length = _adaptive_taps(n, o)
    weight = valid / length[:, None].astype(np.float64) if o else valid.astype(np.float64)
    return index, weight, n


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) input to length ``output_size``: output ``i``
    averages input ``[floor(i*L/out), ceil((i+1)*L/out))``.

    Example:
        >>> F.adaptive_avg_pool1d(ember.tensor([[[1., 2., 3., 4., 5.]]]), 2)
        tensor([[[2., 4.]]])
    """
    return _adaptive_avg_pool(input, 1, output_size, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Adaptive average pooling of (N, C, H, W) or (C, H, W) input to ``output_size`` (an int
    or an (H, W) pair whose entries may be None to keep the input's size)."""
    return _adaptive_avg_pool(input, 2, output_size, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Adaptive average pooling of (N, C, D, H, W) or (C, D, H, W) input; see
    :func:`adaptive_avg_pool2d`."""
    return _adaptive_avg_pool(input, 3, output_size, "adaptive_avg_pool3d")


def _adaptive_max_pool(input, nd, output_size, return_indices, op):
    in_size, out = _adaptive_sizes(input, nd, output_size, op)
    _check_float(input, op)
    data = input._data
    xp = xp_of(data)
    # Gather every window (padded to the longest by repeating its last index) with one
    # broadcast fancy index: shape (..., *out, *taps).
    taps, keys = [], []
    for j, (n, o) in enumerate(zip(in_size, out)):
        index, _, _ = _adaptive_taps(n, o)
        taps.append(index)
        shape = [1] * (2 * nd)
        shape[j], shape[nd + j] = index.shape
        keys.append(xp.asarray(index.reshape(shape)))
    windows = data[(Ellipsis,) + tuple(keys)]
    lead_out = windows.shape[: windows.ndim - nd]
    flat_windows = windows.reshape(lead_out + (-1,))
    arg = flat_windows.argmax(axis=-1)  # the first maximum, as PyTorch
    if data.dtype.kind == "f" or data.dtype in _HALF:
        nan = xp.isnan(flat_windows)
        if bool(nan.any()):  # PyTorch's kernel moves on to every NaN: the last one wins
            last = flat_windows.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
            arg = xp.where(nan.any(axis=-1), last, arg)
    flat, rest = None, arg
    for j in reversed(range(nd)):
        t = rest % taps[j].shape[1]
        rest = rest // taps[j].shape[1]
        shape = [1] * nd
        shape[j] = -1
        rows = xp.arange(out[j]).reshape(shape)
        pos = xp.asarray(taps[j])[rows, t] * math.prod(in_size[j + 1 :])
        flat = pos if flat is None else flat + pos
    index = flat.astype(np.int64, copy=False)
    out_t = _GatherFlat.apply(input, index, nd)
    return (out_t, _make(index)) if return_indices else out_t


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` returning ``(output, indices)``."""
    return _adaptive_max_pool(input, 1, output_size, True, "adaptive_max_pool1d")


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` returning ``(output, indices)``."""
    return _adaptive_max_pool(input, 2, output_size, True, "adaptive_max_pool2d")


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices=False):
    """:func:`adaptive_max_pool3d` returning ``(output, indices)``."""
    return _adaptive_max_pool(input, 3, output_size, True, "adaptive_max_pool3d")


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) input to length ``output_size`` over PyTorch's
    adaptive windows (see :func:`adaptive_avg_pool1d`); ``return_indices`` also returns the
    flat argmax positions."""
    return _adaptive_max_pool(input, 1, output_size, return_indices, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Adaptive max pooling of (N, C, H, W) or (C, H, W) input; ``output_size`` an int or an
    (H, W) pair (None keeps the input's size). Indices are flat positions into H*W."""
    return _adaptive_max_pool(input, 2, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Adaptive max pooling of (N, C, D, H, W) or (C, D, H, W) input."""
    return _adaptive_max_pool(input, 3, output_size, return_indices, "adaptive_max_pool3d")


# ---------------------------------------------------------------------------------------------
# Max unpooling
# ---------------------------------------------------------------------------------------------


class _MaxUnpool(Function):
    """Zeros of the output size with ``x`` written at ``idx``. A write, not an add: where
    overlapping pooling windows chose the same position, that position gets the value once (as
    in PyTorch). The backward reads the gradient back at ``idx``."""

    @staticmethod
    def forward(ctx, x, idx, spatial):
        nd = len(spatial)
        if ctx.needs_input_grad:
            ctx.args = (idx, nd)
        data = x._data
        xp = xp_of(data)
        lead = data.shape[: data.ndim - nd]
        rows = math.prod(lead)
        out = xp.zeros((rows, math.prod(spatial)), data.dtype)
        out[xp.arange(rows)[:, None], idx.reshape(rows, -1)] = data.reshape(rows, -1)
        return out.reshape(lead + tuple(spatial))

    @staticmethod
    def backward(ctx, grad):
        idx, nd = ctx.args
        return _GatherFlat.apply(grad, idx, nd), None, None


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size, op):
    name = _name(op)
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None else _ntuple(stride, nd, "stride", op)
    p = _ntuple(padding, nd, "padding", op)
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        sp = _SPATIAL[nd]
        raise RuntimeError(f"{name}: expected input of shape (N, C, {sp}) or (C, {sp}), got "
                           f"input of shape {shape}")
    idx = indices._data if isinstance(indices, Tensor) else indices
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}: elements in indices should be type int64 but got: "
                           f"{dt.from_numpy_dtype(idx.dtype).name}")
    if tuple(idx.shape) != shape:
        raise RuntimeError(f"{name}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(shape)}) but got indices tensor with shape: "
                           f"{list(idx.shape)}")
    in_size = shape[len(shape) - nd :]
    default = [(n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(in_size, s, p, k)]
    if output_size is None:
        size = default
    else:
        size = [int(v) for v in output_size]
        if len(size) == nd + 2:
            size = size[2:]
        if len(size) != nd:
            raise ValueError(f"{name}: output_size should be a sequence containing {nd} or "
                             f"{nd + 2} elements, but it has a length of '{len(size)}'")
        for j in range(nd):
            lo, hi = default[j] - s[j], default[j] + s[j]
            if not lo < size[j] < hi:
                raise ValueError(f'{name}: invalid output_size "{tuple(output_size)}" (dim {j} '
                                 f"must be between {lo} and {hi})")
    if min(size) < 0:
        raise ValueError(f"{name}: output_size must contain non-negative spatial dimensions, "
                         f"but got output_size={size}")
    plane = math.prod(size)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= plane):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise RuntimeError(f"{name}: Found an invalid max index: {bad} (output volumes are of "
                           f"size {'x'.join(map(str, size))})")
    return _MaxUnpool.apply(input, idx, tuple(size))


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool1d`: zeros with ``input`` placed at ``indices``.

    Args:
        indices: the int64 indices returned by ``max_pool1d(..., return_indices=True)``.
        kernel_size, stride, padding: those of the pooling.
        output_size: the exact output length (with or without N, C), to undo the ambiguity
            of the pooling's floor division; default ``(L-1)*stride - 2*padding + kernel``.
    """
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size,
                       "max_unpool1d")


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool2d`; see :func:`max_unpool1d`.

    Example:
        >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
        >>> y, i = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2)[0, 0, 1]
        tensor([0., 5., 0., 7.])
    """
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size,
                       "max_unpool2d")


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Partial inverse of :func:`max_pool3d`; see :func:`max_unpool1d`."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size,
                       "max_unpool3d")


# ---------------------------------------------------------------------------------------------
# Power-average pooling
# ---------------------------------------------------------------------------------------------


def _lp_pool(input, nd, norm_type, kernel_size, stride, ceil_mode, op):
    """PyTorch's composition: (sum over the window of x**p) ** (1/p), as an average pooling
    times the window size; p = +-inf is a max pooling of |x|."""
    if norm_type == math.inf:
        return _max_pool(input.abs(), nd, kernel_size, stride, 0, 1, ceil_mode, False, op)
    if norm_type == -math.inf:
        return -_max_pool(-input.abs(), nd, kernel_size, stride, 0, 1, ceil_mode, False, op)
    k = _ntuple(kernel_size, nd, "kernel_size", op)
    out = _avg_pool(input.pow(norm_type), nd, kernel_size, stride, 0, ceil_mode, True, None, op)
    # sign * relu(|.|) keeps the gradient at exactly 0 where the window sum is 0.
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: ``(sum_{window} x**p) ** (1/p)`` over (N, C, L) or (C, L) input.
    p = inf gives max pooling of |x|; p = 1 sum pooling. Where a window's sum is zero the
    gradient is set to zero.

    Example:
        >>> F.lp_pool1d(ember.tensor([[[3., 4., 1.]]]), 2, 2)
        tensor([[[5.]]])
    """
    return _lp_pool(input, 1, norm_type, kernel_size, stride, ceil_mode, "lp_pool1d")


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling; see :func:`lp_pool1d`."""
    return _lp_pool(input, 2, norm_type, kernel_size, stride, ceil_mode, "lp_pool2d")


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """3-D power-average pooling; see :func:`lp_pool1d`."""
    return _lp_pool(input, 3, norm_type, kernel_size, stride, ceil_mode, "lp_pool3d")
