"""``linear`` and ``bilinear``: the affine maps of ``nn.Linear`` and ``nn.Bilinear``.

``linear`` is the hottest op of most models, so it is one Function: the forward folds all
leading dimensions into one GEMM (``(N, in) @ (in, out)`` instead of NumPy's loop of small
matrix products over a batch) and adds the bias in place; the backward is two GEMMs and a sum,
written with Ember's ``matmul`` so that it can be differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import unbroadcast
from ...ops.linalg import matmul

__all__ = ["linear", "bilinear"]

# NumPy has no BLAS for half precision (and ml_dtypes' bfloat16 matmul returns float32): such
# inputs are multiplied in float32 and rounded once, as PyTorch's CPU kernels accumulate.
_LOW = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))


def _name(a) -> str:
    return dt.from_numpy_dtype(a.dtype).name


class _Linear(Function):
    """``x @ weight.T + bias`` for ``x`` of shape ``(*, in)`` and a 2-d ``weight``."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        a, w = x._data, weight._data
        lead = a.shape[:-1]
        a2 = a.reshape(-1, a.shape[-1]) if a.ndim != 2 else a
        dtype = a.dtype
        if dtype in _LOW:
            a2, w = a2.astype(np.float32), w.astype(np.float32)
        out = a2 @ w.T
        if bias is not None:
            b = bias._data
            out = out.reshape(lead + (w.shape[0],))
            try:
                out += b  # broadcast into the fresh output: no second temporary
            except ValueError:
                raise RuntimeError(
                    f"linear: bias of shape {tuple(b.shape)} cannot be broadcast to the output "
                    f"shape {tuple(out.shape)}; expected a bias of shape ({w.shape[0]},)"
                ) from None
        elif out.shape != lead + (w.shape[0],):
            out = out.reshape(lead + (w.shape[0],))
        if out.dtype != dtype:
            out = out.astype(dtype)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, weight)
            ctx.bias_shape = None if bias is None else bias._data.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        out_f, in_f = weight._data.shape
        gx = gw = gb = None
        if not STATE.enabled and grad._data.dtype not in _LOW:
            # The ordinary backward: the same GEMMs on the arrays, without graph bookkeeping.
            # rows counted from the leading dims: reshape(-1, 0) is ambiguous for a zero width
            rows = math.prod(x._data.shape[:-1])
            g2 = grad._data.reshape(rows, out_f)
            if need_x:
                gx = _make((g2 @ weight._data).reshape(x._data.shape))
            if need_w:
                gw = _make(g2.T @ x._data.reshape(rows, in_f))
            if need_b:
                gb = unbroadcast(grad, ctx.bias_shape)
            return gx, gw, gb
        # create_graph=True (or half precision, where matmul rounds correctly): Ember ops
        rows = math.prod(x._data.shape[:-1])
        g2 = grad.reshape(rows, out_f)
        if need_x:
            gx = matmul(g2, weight).reshape(x._data.shape)
        if need_w:
            gw = matmul(g2.mT, x.reshape(rows, in_f))
        if need_b:
            gb = unbroadcast(grad, ctx.bias_shape)
        return gx, gw, gb


def _check_linear(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    a, w = input._data, weight._data
    if type(a) is not type(w):
        raise RuntimeError(
            f"linear: expected input and weight on the same device, but found {input.device} "
            f"and {weight.device}; move one with .to(device)"
        )
    if a.dtype != w.dtype or (bias is not None and bias._data.dtype != a.dtype):
        extra = "" if bias is None else f", bias {_name(bias._data)}"
        raise RuntimeError(
            f"linear: expected input and weight to have the same dtype, but got input "
            f"{_name(a)}, weight {_name(w)}{extra}; convert with .to(dtype)"
        )
    if w.ndim not in (1, 2):
        raise RuntimeError(
            f"linear: expected a 1-d or 2-d weight (out_features, in_features), got shape "
            f"{tuple(w.shape)}"
        )
    if a.ndim == 0 or a.shape[-1] != w.shape[-1]:
        raise RuntimeError(
            f"linear: input of shape {tuple(a.shape)} and weight of shape {tuple(w.shape)} "
            f"cannot be multiplied: the input's last dimension must be in_features = "
            f"{w.shape[-1]}"
        )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map ``y = x W^T + b``.

    Args:
        input: ``(*, in_features)``; any number of leading dimensions.
        weight: ``(out_features, in_features)``, or ``(in_features,)`` (the output then has no
            feature dimension).
        bias: ``(out_features,)`` or any shape that broadcasts to the output; optional.

    Returns:
        ``(*, out_features)``. Input, weight and bias must share a dtype (as in PyTorch).

    Example:
        >>> x = ember.ones(2, 3)
        >>> F.linear(x, ember.ones(4, 3), ember.zeros(4)).shape
        ember.Size([2, 4])
    """
    input, weight, bias = cast_inputs("linear", input, weight, bias)
    a, w = input._data, weight._data
    if a.dtype != w.dtype or a.ndim == 0 or w.ndim != 2 or a.shape[-1] != w.shape[1]:
        _check_linear(input, weight, bias)  # raises, except for the 1-d weight case
        if w.ndim == 1:
            out = _Linear.apply(input, weight.reshape(1, -1), None).squeeze(-1)
            return out if bias is None else out + bias
    elif bias is not None and bias._data.dtype != a.dtype:
        _check_linear(input, weight, bias)
    return _Linear.apply(input, weight, bias)


def _check_bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    s1, s2, sw = tuple(x1.shape), tuple(x2.shape), tuple(weight.shape)
    if len(sw) != 3:
        raise RuntimeError(
            f"bilinear(): weight must be 3-d (out_features, in1_features, in2_features), got "
            f"shape {sw}"
        )
    if len(s1) != len(s2):
        raise RuntimeError(
            f"bilinear(): input1 and input2 must have the same number of dimensions, got "
            f"shapes {s1} and {s2}"
        )
    if not s1:
        raise RuntimeError("bilinear(): inputs must have at least one dimension, got 0-d")
    for i, (d1, d2) in enumerate(zip(s1[:-1], s2[:-1])):
        if d1 != d2:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {d1} and "
                f"{d2} (shapes {s1} and {s2})"
            )
    for k, s in ((1, s1), (2, s2)):
        if s[-1] != sw[k]:
            raise RuntimeError(
                f"bilinear(): input{k} size does not match weight size: got {s[-1]} but "
                f"expected {sw[k]} (weight of shape {sw})"
            )
    if bias is not None and tuple(bias.shape) != (sw[0],):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {tuple(bias.shape)} but "
            f"expected ({sw[0]},)"
        )
    dtypes = {t._data.dtype for t in (x1, x2, weight) + (() if bias is None else (bias,))}
    if len(dtypes) > 1:
        raise RuntimeError(
            f"bilinear(): expected all tensors to have the same dtype, got "
            f"{sorted(dt.from_numpy_dtype(d).name for d in dtypes)}"
        )


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The bilinear map ``y_k = x1^T A_k x2 + b_k``.

    Not a hot op, so it is composed from differentiable ops (one GEMM and a reduction): the
    ``(N, in1) @ (in1, out * in2)`` product, then a contraction with ``x2``.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)`` with the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)``, optional.

    Returns:
        ``(*, out_features)``.
    """
    _check_bilinear(input1, input2, weight, bias)
    out_f, in1, in2 = weight._data.shape
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # t[n, o, j] = sum_i x1[n, i] W[o, i, j]
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = matmul(x1, w).reshape(-1, out_f, in2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(lead + (out_f,))
