"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

The core is one Function, ``_Attention``: ``softmax(q k^T * scale + bias)``, optional dropout,
then ``@ v``, as two batched GEMMs and a max-shifted softmax on the arrays. It keeps the softmax
``P`` for the backward (no recomputation), which is the classic closed form

    dV = P_d^T g,   dP = (g V^T) * M,   dS = P * (dP - rowsum(dP * P)),
    dQ = dS K * scale,   dK = dS^T Q * scale,   d(bias) = dS

(``M`` the dropout mask, ``P_d = P * M``). Under ``create_graph=True`` the same formulas are
evaluated with Ember ops on a recomputed, differentiable ``P``, so second derivatives are exact.

Masks reach the Function as one additive float tensor (``-inf`` where a position may not be
attended): boolean masks and the causal mask become constants, float masks stay differentiable
(as in PyTorch, whose reference implementation adds them to the scores).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...amp.autocast_mode import cast_inputs
from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._quiet import Quiet
from ...ops._util import unbroadcast, xp_of
from ...ops.compare import where
from ...ops.linalg import matmul
from ._activation import softmax
from ._linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_LOW = (np.dtype(np.float16), np.dtype(dt.bfloat16.np_dtype))
_NEG_INF = float("-inf")


def _dtype_name(t: Tensor) -> str:
    return dt.from_numpy_dtype(t._data.dtype).name


def _is_float(t: Tensor) -> bool:
    d = t._data.dtype
    return d.kind == "f" or d == _LOW[1]


class _Attention(Function):
    """``softmax(q @ k^T * scale + bias) [* dropout mask] @ v`` for ``q (*, L, E)``,
    ``k (*, S, E)``, ``v (*, S, Ev)`` (batch dimensions broadcast) and ``bias`` (None or a
    float tensor broadcastable to ``(*, L, S)``).

    ``safe``: rows whose every score is ``-inf`` give 0 (PyTorch's SDPA) instead of NaN (plain
    softmax, PyTorch's MultiheadAttention with ``need_weights=True``). ``need_weights``: also
    return the attention weights (after dropout) as a second, differentiable output.
    """

    @staticmethod
    def forward(ctx, q, k, v, bias, scale, dropout_p, safe, need_weights):
        dtype = q._data.dtype
        aq, ak, av = q._data, k._data, v._data
        if dtype in _LOW:  # no half-precision BLAS in NumPy: compute in float32, round once
            aq, ak, av = aq.astype(np.float32), ak.astype(np.float32), av.astype(np.float32)
        xp = xp_of(aq)
        s = xp.matmul(aq, ak.swapaxes(-1, -2))
        s *= scale
        if bias is not None:
            try:
                s += bias._data  # never enlarges the scores: the mask broadcasts *to* them
            except ValueError:
                raise RuntimeError(
                    f"scaled_dot_product_attention: attn_mask of shape "
                    f"{tuple(bias._data.shape)} cannot be broadcast to the attention weights' "
                    f"shape {tuple(s.shape)} (*, L, S)"
                ) from None
        dead = None
        with Quiet():  # -inf - -inf = NaN for a fully masked row, as plain softmax gives
            if s.shape[-1]:
                # softmax(x) = softmax(x - max): exp never overflows, the row sum is >= 1
                m = s.max(axis=-1, keepdims=True)
                if safe:
                    dead = m == _NEG_INF
                    if dead.any():
                        m[dead] = 0  # the row's exps are then all exactly 0 ...
                    else:
                        dead = None
                s -= m
                xp.exp(s, out=s)
                total = s.sum(axis=-1, keepdims=True)
                if dead is not None:
                    total[dead] = 1  # ... and 0 / 1 leaves the row at 0
                s /= total
        p = s
        noise = None
        if dropout_p > 0:
            from ...ops.random import _rng, _uniform01

            if dropout_p >= 1:
                noise = xp.zeros_like(p)
            else:
                noise = _uniform01(_rng(None, q.device), p.shape, p.dtype) >= dropout_p
                noise = noise.astype(p.dtype)
                noise *= 1.0 / (1.0 - dropout_p)  # inverted dropout: E[P_d] = P
            pd = p * noise
        else:
            pd = p
        out = xp.matmul(pd, av)
        if out.dtype != dtype:
            out = out.astype(dtype)
        weights = None
        if need_weights:
            weights = _make(pd if pd.dtype == dtype else pd.astype(dtype))
            ctx.set_materialize_grads(False)  # an unused output's gradient stays None
        if ctx.needs_input_grad:
            # P is kept for the backward; when it is also returned (as the weights), it is
            # saved as that output, so an in-place change to the weights is detected.
            shared = weights is not None and weights._data is p
            ctx.save_for_backward(q, k, v, bias, weights if shared else None)
            ctx.p = None if shared else p
            ctx.noise, ctx.dead, ctx.scale = noise, dead, scale
        return (out, weights) if need_weights else out

    @staticmethod
    def backward(ctx, grad, grad_weights=None):
        q, k, v, bias, saved_p = ctx.saved_tensors
        if STATE.enabled:
            return _graph_backward(ctx, q, k, v, bias, grad, grad_weights)
        need_q, need_k, need_v, need_b = ctx.needs_input_grad[:4]
        dtype = q._data.dtype
        p = ctx.p if saved_p is None else saved_p._data
        noise, scale = ctx.noise, ctx.scale

        def arr(t):
            a = t._data
            return a.astype(np.float32) if dtype in _LOW else a

        def result(a, shape):
            if a.dtype != dtype:
                a = a.astype(dtype)
            return unbroadcast(_make(a), shape)

        g = None if grad is None else arr(grad)
        gq = gk = gv = gb = None
        if need_v and g is not None:
            pd = p if noise is None else p * noise
            gv = result(pd.swapaxes(-1, -2) @ g, v._data.shape)
        dp = None if g is None else g @ arr(v).swapaxes(-1, -2)
        if grad_weights is not None:
            dp = arr(grad_weights) if dp is None else dp + arr(grad_weights)
        if dp is not None and (need_q or need_k or need_b):
            if noise is not None:
                dp = dp * noise  # (not in place: dp may be the caller's gradient array)
            # softmax's Jacobian-vector product: dS = P * (dP - sum(dP * P))
            ds = dp - (dp * p).sum(axis=-1, keepdims=True)
            ds *= p
            if need_q:
                gq = result((ds @ arr(k)) * scale, q._data.shape)
            if need_k:
                gk = result((ds.swapaxes(-1, -2) @ arr(q)) * scale, k._data.shape)
            if need_b:
                gb = result(ds, bias._data.shape)
        return gq, gk, gv, gb, None, None, None, None


def _graph_backward(ctx, q, k, v, bias, grad, grad_weights):
    """The backward in differentiable Ember ops (``create_graph=True``), with ``P`` recomputed
    from the inputs so that it carries their gradients."""
    need_q, need_k, need_v, need_b = ctx.needs_input_grad[:4]
    scale = ctx.scale
    s = matmul(q, k.mT) * scale
    if bias is not None:
        s = s + bias
    dead = None if ctx.dead is None else _make(ctx.dead)
    if dead is not None:  # fully masked rows: a finite stand-in, zeroed after the softmax
        s = where(dead, 0.0, s)
    p = softmax(s, -1)
    if dead is not None:
        p = where(dead, 0.0, p)
    noise = None
    if ctx.noise is not None:
        noise = _make(ctx.noise.astype(q._data.dtype, copy=False))
    gq = gk = gv = gb = None
    if need_v and grad is not None:
        pd = p if noise is None else p * noise
        gv = unbroadcast(matmul(pd.mT, grad), v._data.shape)
    dp = None if grad is None else matmul(grad, v.mT)
    if grad_weights is not None:
        dp = grad_weights if dp is None else dp + grad_weights
    if dp is not None:
        if noise is not None:
            dp = dp * noise
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        if need_q:
            gq = unbroadcast(matmul(ds, k) * scale, q._data.shape)
        if need_k:
            gk = unbroadcast(matmul(ds.mT, q) * scale, k._data.shape)
        if need_b:
            gb = unbroadcast(ds, bias._data.shape)
    return gq, gk, gv, gb, None, None, None, None


# ---------------------------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------------------------


def _additive(mask: Tensor, np_dtype, masked_value: bool) -> Tensor:
    """A boolean mask as an additive constant of ``np_dtype``: ``-inf`` where
    ``mask == masked_value``, else 0. A float mask is cast to ``np_dtype`` (differentiably)."""
    a = mask._data
    if a.dtype == np.bool_:
        xp = xp_of(a)
        z, ninf = np_dtype.type(0), np_dtype.type(_NEG_INF)
        return _make(xp.where(a, ninf, z) if masked_value else xp.where(a, z, ninf))
    if a.dtype != np_dtype:
        from ...ops.convert import to_dtype

        return to_dtype(mask, dt.from_numpy_dtype(np_dtype))
    return mask


def _causal_bias(L: int, S: int, like) -> Tensor:
    """``-inf`` above the diagonal of an ``(L, S)`` matrix: position ``i`` attends to
    ``j <= i`` (PyTorch's top-left aligned causal mask, also for ``L != S``)."""
    xp = xp_of(like)
    dtype = like.dtype
    return _make(xp.triu(xp.full((L, S), _NEG_INF, dtype=dtype), 1))


def _canonical_mask(
    mask: Tensor | None,
    mask_name: str,
    other_type,
    other_name: str,
    target_type,
    check_other: bool = True,
) -> Tensor | None:
    """PyTorch's ``F._canonical_mask``: a boolean mask (True = not attended) becomes a float
    mask of ``target_type`` with ``-inf`` where True; a float mask is returned unchanged. Masks
    of other dtypes are refused; a mask whose dtype differs from its partner's warns."""
    if mask is None:
        return None
    a = mask._data
    if a.dtype != np.bool_ and not _is_float(mask):
        raise AssertionError(
            f"only bool and floating types of {mask_name} are supported, got {_dtype_name(mask)}"
        )
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            f"for both instead.",
            stacklevel=3,
        )
    if a.dtype == np.bool_:
        return _additive(mask, np.dtype(dt.to_dtype(target_type).np_dtype), masked_value=True)
    return mask


def _none_or_dtype(input: Tensor | None):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or ember.Tensor")


# ---------------------------------------------------------------------------------------------
# scaled_dot_product_attention
# ---------------------------------------------------------------------------------------------


def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal):
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    q, k, v = query._data, key._data, value._data
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise RuntimeError(
            f"{op}: Expected query, key, and value to all be at least 2 dimensional, but got "
            f"query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead."
        )
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(
            f"{op}: Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_dtype_name(query)} key.dtype: {_dtype_name(key)} and value.dtype: "
            f"{_dtype_name(value)} instead."
        )
    if not _is_float(query):
        raise RuntimeError(
            f"{op}: expected floating-point query, key and value, got {_dtype_name(query)}; "
            f"convert them with .float()"
        )
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(
            f"{op}: query {tuple(q.shape)} and key {tuple(k.shape)} must have the same last "
            f"dimension (the embedding size E)"
        )
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(
            f"{op}: key {tuple(k.shape)} and value {tuple(v.shape)} must have the same "
            f"sequence length S (dimension -2)"
        )
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError(f"{op}: Explicit attn_mask should not be set when is_causal=True")
        if attn_mask._data.dtype != np.bool_ and not _is_float(attn_mask):
            raise RuntimeError(
                f"{op}: Expected attn_mask dtype to be bool or float or to match query dtype, "
                f"but got attn_mask.dtype: {_dtype_name(attn_mask)} and query.dtype: "
                f"{_dtype_name(query)} instead."
            )
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    *,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, with optional dropout on the weights.

    Args:
        query: ``(*, Hq, L, E)`` (any number of batch dimensions, at least ``(L, E)``).
        key: ``(*, H, S, E)``; value: ``(*, H, S, Ev)``. Batch dimensions broadcast.
        attn_mask: broadcastable to ``(*, Hq, L, S)``. Boolean: True marks the positions that
            *take part* in attention (the inverse of ``MultiheadAttention``'s masks). Float:
            added to the scores (and differentiable).
        dropout_p: dropout probability on the attention weights. Always applied (pass 0.0 in
            evaluation, as in PyTorch); drawn from Ember's generator.
        is_causal: attend only to ``j <= i`` (top-left aligned when ``L != S``). Exclusive with
            ``attn_mask``.
        scale: the factor on the scores; default ``1 / sqrt(E)``. Keyword-only.
        enable_gqa: grouped-query attention: ``H`` must divide ``Hq``; query head ``h`` uses
            key/value head ``h // (Hq // H)`` (computed by broadcasting, without copying).

    Returns:
        ``(*, Hq, L, Ev)``. A row whose every position is masked gives 0 (PyTorch's SDPA).

    Example:
        >>> q, k, v = ember.randn(2, 4, 5, 8), ember.randn(2, 4, 6, 8), ember.randn(2, 4, 6, 3)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        ember.Size([2, 4, 5, 3])
    """
    query, key, value, attn_mask = cast_inputs("scaled_dot_product_attention", query, key,
                                               value, attn_mask)
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    L, E = query._data.shape[-2:]
    S = key._data.shape[-2]
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    dtype = query._data.dtype
    bias = None
    if is_causal:
        bias = _causal_bias(L, S, query._data)
    elif attn_mask is not None:
        bias = _additive(attn_mask, dtype, masked_value=False)
    groups = 1
    if enable_gqa:
        groups = _gqa_groups(query, key, value)
    if groups > 1:
        # (*, H*G, L, E) -> (*, H, G, L, E) against keys (*, H, 1, S, E): query head h*G + g
        # meets key head h, which is what repeat_interleave(G) of the keys would do.
        h = key._data.shape[-3]
        query = query.unflatten(-3, (h, groups))
        key, value = key.unsqueeze(-3), value.unsqueeze(-3)
        if bias is not None and bias.ndim >= 3:
            bias = bias.unflatten(-3, (h, groups)) if bias.shape[-3] != 1 else bias.unsqueeze(-3)
    out = _Attention.apply(query, key, value, bias, scale, float(dropout_p), True, False)
    return out.flatten(-4, -3) if groups > 1 else out


def _gqa_groups(query: Tensor, key: Tensor, value: Tensor) -> int:
    q, k, v = query._data.shape, key._data.shape, value._data.shape
    if min(len(q), len(k), len(v)) < 3:
        raise RuntimeError(
            "scaled_dot_product_attention: enable_gqa=True needs query, key and value with a "
            f"head dimension (*, H, L, E), got shapes {tuple(q)}, {tuple(k)}, {tuple(v)}"
        )
    hq, hk, hv = q[-3], k[-3], v[-3]
    if hk != hv or hk == 0 or hq % hk:
        raise RuntimeError(
            f"scaled_dot_product_attention: Number of heads in key and value must divide the "
            f"number of heads in query (enable_gqa=True): query has {hq}, key {hk}, value {hv}"
        )
    return hq // hk


# ---------------------------------------------------------------------------------------------
# multi_head_attention_forward
# ---------------------------------------------------------------------------------------------


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's checks of ranks; returns whether the input is batched."""
    op = "multi_head_attention_forward"
    qd, kd, vd = query.ndim, key.ndim, value.ndim
    if qd == 3:
        if kd != 3 or vd != 3:
            raise AssertionError(
                f"{op}: For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{kd}-D and {vd}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                f"{op}: For batched (3-D) `query`, expected `key_padding_mask` to be `None` or "
                f"2-D (N, S) but found {key_padding_mask.ndim}-D tensor instead"
            )
    elif qd == 2:
        if kd != 2 or vd != 2:
            raise AssertionError(
                f"{op}: For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but "
                f"found {kd}-D and {vd}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                f"{op}: For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or "
                f"1-D (S,) but found {key_padding_mask.ndim}-D tensor instead"
            )
    else:
        raise AssertionError(
            f"{op}: query should be unbatched 2D or batched 3D tensor but received {qd}-D query "
            f"tensor of shape {tuple(query.shape)}"
        )
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(
                f"{op}: expected `attn_mask` to be `None`, 2-D (L, S) or 3-D (N * num_heads, L, "
                f"S) but found {attn_mask.ndim}-D tensor instead"
            )
        if qd == 2 and attn_mask.ndim == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"{op}: Expected `attn_mask` shape to be {expected} but got "
                    f"{tuple(attn_mask.shape)}"
                )
    return qd == 3


def _in_projection(query, key, value, E, in_proj_weight, in_proj_bias, separate):
    """The three input projections. Self-attention (``query is key is value``) is one GEMM
    with the packed ``(3E, E)`` weight; encoder-decoder attention (``key is value``) two."""
    b = in_proj_bias
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b[:E], b[E : 2 * E], b[2 * E :]
    if separate is not None:
        wq, wk, wv = separate
        for name, w, x in (("query", wq, query), ("key", wk, key), ("value", wv, value)):
            if tuple(w.shape) != (E, x.shape[-1]):
                raise AssertionError(
                    f"multi_head_attention_forward: expecting {name} weights shape of "
                    f"{(E, x.shape[-1])}, but got {tuple(w.shape)}"
                )
        return linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)
    w = in_proj_weight
    if key is value and query is key:
        proj = linear(query, w, b)
        return proj[..., :E], proj[..., E : 2 * E], proj[..., 2 * E :]
    if key is value:
        kv = linear(key, w[E:], None if b is None else b[E:])
        return linear(query, w[:E], bq), kv[..., :E], kv[..., E:]
    return (
        linear(query, w[:E], bq),
        linear(key, w[E : 2 * E], bk),
        linear(value, w[2 * E :], bv),
    )


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """The forward of :class:`~ember.nn.MultiheadAttention` (sequence-first layout).

    Project ``query``/``key``/``value`` (packed ``in_proj_weight`` or, with
    ``use_separate_proj_weight``, ``q/k/v_proj_weight``), split into ``num_heads`` heads,
    attend per head with scale ``1 / sqrt(head_dim)``, concatenate and apply the output
    projection.

    Args:
        query: ``(L, N, E)`` or unbatched ``(L, E)``; key ``(S, N, Ek)``; value ``(S, N, Ev)``.
        bias_k, bias_v: ``(1, 1, E)`` appended to the projected keys/values (one extra source
            position); add_zero_attn appends a zero key/value after the head split.
        key_padding_mask: ``(N, S)`` (``(S,)`` unbatched); boolean True = padding (ignored),
            or float (added).
        attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; boolean True = not allowed, or
            float (added).
        need_weights: also return the attention weights (after dropout), averaged over heads
            (``(N, L, S)``) when ``average_attn_weights`` else per head (``(N, H, L, S)``).
        is_causal: a hint that ``attn_mask`` is the causal mask (``attn_mask`` is required).
        static_k, static_v: ``(N * num_heads, S, head_dim)`` keys/values used as they are.

    Returns:
        ``(attn_output (L, N, E), attn_weights or None)``. With ``need_weights=True`` a fully
        masked row gives NaN (PyTorch's plain softmax); without, 0 (PyTorch's SDPA path).
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    dtype = query._data.dtype
    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint replaces the mask: SDPA builds the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                f"{tuple(value.shape[:2])}"
            )
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError(
                "use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                "v_proj_weight is None"
            )
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(
                f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
            )
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    q, k, v = _in_projection(query, key, value, embed_dim, in_proj_weight, in_proj_bias, separate)

    src_len = key.shape[0]
    if attn_mask is not None:
        expected = (tgt_len, src_len) if attn_mask.ndim == 2 else (bsz * num_heads, tgt_len,
                                                                    src_len)  # fmt: skip
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(
                f"The shape of the {attn_mask.ndim}D attn_mask is {tuple(attn_mask.shape)}, but "
                f"should be {expected}."
            )
    from ...ops.join import cat
    from ._vision import pad

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together (one of them is None)")

    # (len, N, E) -> (N, H, len, head_dim): the heads become a batch dimension. One copy to
    # contiguous memory pays for itself: NumPy's batched GEMMs on these strided views run at
    # about half speed (measured), and there are four of them plus the backward's.
    q = q.reshape(tgt_len, bsz, num_heads, head_dim).permute(1, 2, 0, 3).contiguous()
    k = _heads(k, static_k, "static_k", bsz, num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        from ...ops.creation import zeros

        z = zeros((bsz, num_heads, 1, head_dim), dtype=k.dtype, device=k.device)
        k, v = cat([k, z], dim=2), cat([v, z], dim=2)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[2]

    # one additive mask, broadcast inside the attention: (1 or N, 1 or H, L or 1, S)
    mask = None
    if attn_mask is not None:
        mask = _additive(attn_mask, dtype, True)
        if mask.ndim == 3:
            mask = mask.reshape(bsz, num_heads, tgt_len, src_len)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"Expected key_padded_mask.shape to be {(bsz, src_len)} (N, S), but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = _additive(key_padding_mask, dtype, True).reshape(bsz, 1, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    if is_causal and mask is None:
        mask = _causal_bias(tgt_len, src_len, q._data)
    if not training:
        dropout_p = 0.0
    scale = 1.0 / math.sqrt(head_dim)
    if need_weights:
        out, weights = _Attention.apply(q, k, v, mask, scale, float(dropout_p), False, True)
    else:
        out = _Attention.apply(q, k, v, mask, scale, float(dropout_p), True, False)
        weights = None
    out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if weights is not None and average_attn_weights:
        weights = weights.mean(dim=1)
    if not is_batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def _heads(x: Tensor, static: Tensor | None, name: str, bsz: int, h: int, hd: int) -> Tensor:
    """Projected keys/values ``(S, N, E)`` (or ``static`` ``(N*H, S, hd)``) as ``(N, H, S, hd)``."""
    if static is None:
        return x.reshape(x.shape[0], bsz, h, hd).permute(1, 2, 0, 3).contiguous()
    if static.ndim != 3 or static.shape[0] != bsz * h or static.shape[2] != hd:
        raise AssertionError(
            f"expecting {name} of shape ({bsz * h}, S, {hd}) (N * num_heads, S, head_dim), but "
            f"got {tuple(static.shape)}"
        )
    return static.reshape(bsz, h, static.shape[1], hd)
