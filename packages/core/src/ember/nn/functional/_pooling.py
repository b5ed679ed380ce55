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

The code is split by family: ``_pool_base.py`` (checks, gather/scatter, window geometry),
``_pool_max.py`` (max pooling and unpooling), ``_pool_avg.py`` (average and power-average
pooling); the separable resampling and adaptive pooling stay here. Every public name (and the
private helpers other modules import) is re-exported from this module.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...ops._util import xp_of
from ._pool_avg import (  # noqa: F401  (re-exported)
    _avg_pool,
    _AvgPool,
    _lp_pool,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
)
from ._pool_base import (  # noqa: F401  (re-exported)
    _HALF,
    _SPATIAL,
    _check_float,
    _compute,
    _GatherFlat,
    _name,
    _ScatterFlat,
    _Window,
    _window,
)
from ._pool_max import (  # noqa: F401  (re-exported)
    _max_pool,
    _max_unpool,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)

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
