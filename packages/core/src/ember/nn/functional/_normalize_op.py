"""The fused normalisation op behind ``batch_norm``, ``instance_norm``, ``layer_norm`` and
``group_norm`` (``ember.nn.functional._normalization``).

Batch, instance, layer and group normalisation are one computation over different axes::

    y = (x - mean) * inv_std * weight + bias,      inv_std = 1 / sqrt(var + eps)

with the biased mean and variance taken over a set ``S`` of x's axes and weight/bias broadcast
over the others:

    ==============  =====================  ==============  =====================
    op              x seen as              S               weight seen as
    ==============  =====================  ==============  =====================
    batch_norm      (N, C, *)              (0, 2, 3, ...)  (C, 1, ..., 1)
    instance_norm   (N, C, *)              (2, 3, ...)     (C, 1, ..., 1)
    layer_norm      (*, *normalized)       the last dims   normalized_shape
    group_norm      (N, G, C/G, L)         (2, 3)          (G, C/G, 1)
    ==============  =====================  ==============  =====================

``_Normalize`` is that one fused Function. Its backward is the closed form (n = elements in
``S``, ``xhat = (x - mean) * inv_std``, ``dxhat = g * weight``)::

    dx = inv_std * (dxhat - mean_S(dxhat) - xhat * mean_S(dxhat * xhat))
    dweight = sum(g * xhat),   dbias = sum(g)      (over the axes weight is broadcast along)

written with Ember ops, so it differentiates again (gradgradcheck). With running statistics
(evaluation) mean and var are constants and ``dx = g * weight * inv_std``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import unbroadcast, xp_of

__all__: list[str] = []  # private: used by _normalization.py

_BF16 = dt.bfloat16.np_dtype
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _compute_dtype(np_dtype):
    # float16/bfloat16 statistics are computed in float32, as PyTorch's kernels do
    return np.dtype(np.float32) if np_dtype == np.float16 or np_dtype == _BF16 else np_dtype


def _sum_squares(xc, axes):
    """``sum(xc * xc)`` over ``axes`` (kept as size 1): one einsum pass, no temporary."""
    xp = xp_of(xc)
    keep_shape = tuple(1 if i in axes else s for i, s in enumerate(xc.shape))
    if xc.ndim > len(_LETTERS):
        return (xc * xc).sum(axis=axes, keepdims=True)
    sub = _LETTERS[: xc.ndim]
    out_sub = "".join(c for i, c in enumerate(sub) if i not in axes)
    return xp.einsum(f"{sub},{sub}->{out_sub}", xc, xc).reshape(keep_shape)


def _bump_version(t: Tensor) -> None:
    counter = t._version_counter
    if counter is None:
        t._version_counter = [1]
    else:
        counter[0] += 1


class _Normalize(Function):
    """``(x - mean) * rsqrt(var + eps) * weight + bias``; see the module docstring.

    Args (of ``apply``): x, weight, bias (Tensors or None); ``axes``: the statistics axes S
    (sorted tuple); ``eps``; ``pshape``: the shape weight/bias take to broadcast against x;
    ``stats``: None to use the batch's statistics, or ``(mean, var)`` arrays broadcastable to
    x (running statistics, treated as constants); ``update``: None or a callable receiving the
    batch ``mean`` and biased ``var`` (arrays with S kept as size-1 axes) and ``n``, to update
    running statistics.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps, pshape, stats, update):
        data = x._data
        xp = xp_of(data)
        cdt = _compute_dtype(data.dtype)
        if data.dtype != cdt:
            data = data.astype(cdt)
        w = None if weight is None else weight._data.reshape(pshape).astype(cdt, copy=False)
        b = None if bias is None else bias._data.reshape(pshape).astype(cdt, copy=False)
        n = math.prod(data.shape[a] for a in axes)
        if data.size == 0:
            out = xp.empty_like(data)
            mean = inv_std = None
        elif stats is None:
            mean = data.mean(axis=axes, keepdims=True)
            out = data - mean  # centred x, normalised in place below
            var = _sum_squares(out, axes) / n
            if update is not None:
                update(mean, var, n)
            inv_std = 1.0 / xp.sqrt(var + eps)
            _affine_inplace(out, inv_std, w, b)
        else:
            mean = stats[0].astype(cdt, copy=False)
            inv_std = 1.0 / xp.sqrt(stats[1].astype(cdt, copy=False) + eps)
            scale = inv_std if w is None else inv_std * w
            if _is_small(scale, data):
                # per-channel statistics: y = x * scale + shift, two passes over x
                shift = -mean * scale if b is None else b - mean * scale
                out = data * scale
                out += shift
            else:
                out = data - mean
                _affine_inplace(out, inv_std, w, b)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, weight)
            ctx.axes, ctx.eps, ctx.pshape, ctx.n = axes, eps, pshape, n
            ctx.mean, ctx.inv_std = mean, inv_std
            ctx.batch_stats = stats is None
            if bias is not None:
                ctx.bias_shape, ctx.bias_dtype = bias._data.shape, bias._data.dtype
        if out.dtype != x._data.dtype:
            out = out.astype(x._data.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if x._data.size == 0:
            zero = _make(xp_of(x._data).zeros(x._data.shape, dtype=x._data.dtype))
            return _grads(ctx, x, zero if need_x else None, None, None, weight)
        from ...ops.convert import to_dtype
        from ...ops.unary import rsqrt

        axes, pshape = ctx.axes, ctx.pshape
        cdt = _compute_dtype(x._data.dtype)
        xf = to_dtype(x, cdt)
        g = to_dtype(grad, cdt)
        if ctx.batch_stats and STATE.enabled and x.requires_grad:
            # differentiating this backward (create_graph): the statistics are functions of x
            mean = xf.mean(dim=axes, keepdim=True)
            xc = xf - mean
            inv_std = rsqrt((xc * xc).mean(dim=axes, keepdim=True) + ctx.eps)
        else:
            xc = xf - _make(ctx.mean)
            inv_std = _make(ctx.inv_std)
        xhat = xc * inv_std
        w = None if weight is None else to_dtype(weight.reshape(pshape), cdt)
        gx = gw = gb = None
        if not ctx.batch_stats:  # running statistics: an affine map of x
            if need_x:
                gx = g * (inv_std if w is None else inv_std * w)
            if need_w:
                gw = unbroadcast(g * xhat, pshape)
            if need_b:
                gb = unbroadcast(g, pshape)
        elif w is None or _constant_over(pshape, x._data.ndim, axes):
            # weight constant over S (batch/instance norm): it factors out of the S-sums, which
            # then serve the input and the parameter gradients alike
            n = ctx.n
            sum_gxhat = (g * xhat).sum(dim=axes, keepdim=True) if (need_x or need_w) else None
            sum_g = g.sum(dim=axes, keepdim=True) if (need_x or need_b) else None
            if need_x:
                scale = inv_std if w is None else inv_std * w
                gx = scale * (g - sum_g / n - xhat * (sum_gxhat / n))
            if need_w:
                gw = unbroadcast(sum_gxhat, pshape)
            if need_b:
                gb = unbroadcast(sum_g, pshape)
        else:  # layer/group norm: weight varies within S
            if need_x:
                gxhat = g * w
                gx = inv_std * (
                    gxhat
                    - gxhat.mean(dim=axes, keepdim=True)
                    - xhat * (gxhat * xhat).mean(dim=axes, keepdim=True)
                )
            if need_w:
                gw = unbroadcast(g * xhat, pshape)
            if need_b:
                gb = unbroadcast(g, pshape)
        return _grads(ctx, x, gx, gw, gb, weight)


def _grads(ctx, x, gx, gw, gb, weight):
    """The gradient tuple of ``_Normalize``, each in its input's shape and dtype."""
    from ...ops.convert import to_dtype

    if gx is not None:
        gx = to_dtype(gx, x._data.dtype)
    if gw is not None:
        gw = to_dtype(gw.reshape(weight._data.shape), weight._data.dtype)
    if gb is not None:
        gb = to_dtype(gb.reshape(ctx.bias_shape), ctx.bias_dtype)
    return gx, gw, gb, None, None, None, None, None


def _affine_inplace(out, inv_std, w, b):
    """``out = out * inv_std * w + b`` in place, folding ``inv_std * w`` when that is small."""
    if w is None:
        out *= inv_std
    else:
        scale = inv_std * w
        if _is_small(scale, out):
            out *= scale
        else:  # layer norm: inv_std varies per row and w per column
            out *= inv_std
            out *= w
    if b is not None:
        out += b


def _is_small(a, data) -> bool:
    return 2 * a.size <= data.size


def _constant_over(pshape, ndim, axes) -> bool:
    full = (1,) * (ndim - len(pshape)) + tuple(pshape)
    return all(full[a] == 1 for a in axes)
