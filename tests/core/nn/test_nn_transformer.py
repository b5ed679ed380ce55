"""Attention and transformers: F.scaled_dot_product_attention, MultiheadAttention /
F.multi_head_attention_forward, the Transformer encoder/decoder layers and stacks.

Forward results are compared with NumPy references written here (projections, per-head
softmax(QK^T / sqrt(d)) V, masks, layer norm, feed-forward), loaded with the modules' weights;
gradients with finite differences (float64, tiny shapes); state_dict keys with PyTorch's
literal lists; errors by type and message."""

import copy
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)
SDPA = F.scaled_dot_product_attention


def values(t):
    return t.detach().numpy().astype(np.float64)


def t64(*shape, requires_grad=True):
    return ember.tensor(rng.normal(size=shape), requires_grad=requires_grad)


# -- NumPy references ----------------------------------------------------------------------------


def np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_attention(q, k, v, bias=None, scale=None):
    """softmax(q k^T * scale + bias) v and the weights; rows masked entirely give 0."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        s = s + bias
    dead = np.isneginf(s).all(-1, keepdims=True)
    p = np_softmax(np.where(dead, 0.0, s)) * ~dead
    return p @ v, p


def np_bool_bias(mask, masked=False):
    """Additive form of a boolean mask: -inf where mask == masked."""
    return np.where(mask == masked, -np.inf, 0.0)


def np_mha(q, k, v, sd, heads, kpm=None, am=None, zero_attn=False):
    """Sequence-first MHA from a state_dict (numpy arrays). kpm (N, S) / am (L, S) or
    (N*H, L, S): boolean True = masked, or float. Returns (out, per-head weights)."""
    L, N, E = q.shape
    hd = E // heads
    if "in_proj_weight" in sd:
        wq, wk, wv = np.split(sd["in_proj_weight"], 3)
    else:
        wq, wk, wv = sd["q_proj_weight"], sd["k_proj_weight"], sd["v_proj_weight"]
    bq, bk, bv = np.split(sd["in_proj_bias"], 3) if "in_proj_bias" in sd else (0, 0, 0)
    Q, K, V = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    S = K.shape[0]  # before bias_k: padding/attention masks cover these source positions
    if "bias_k" in sd:
        K = np.concatenate([K, np.broadcast_to(sd["bias_k"], (1, N, E))])
        V = np.concatenate([V, np.broadcast_to(sd["bias_v"], (1, N, E))])

    def heads_of(x):  # (len, N, E) -> (N, H, len, hd)
        return x.reshape(x.shape[0], N, heads, hd).transpose(1, 2, 0, 3)

    Q, K, V = heads_of(Q), heads_of(K), heads_of(V)
    if zero_attn:
        K = np.concatenate([K, np.zeros((N, heads, 1, hd))], 2)
        V = np.concatenate([V, np.zeros((N, heads, 1, hd))], 2)
    bias = np.zeros((N, heads, L, K.shape[2]))
    if am is not None:
        a = np_bool_bias(am, True) if am.dtype == bool else am
        a = a.reshape(N, heads, L, -1) if a.ndim == 3 else a
        bias[..., :S] += a  # the extra bias_k / zero columns are never masked
    if kpm is not None:
        m = np_bool_bias(kpm, True) if kpm.dtype == bool else kpm
        bias[..., :S] += m[:, None, None, :]
    s = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
    p = np_softmax(s)
    o = (p @ V).transpose(2, 0, 1, 3).reshape(L, N, E)
    return o @ sd["out_proj.weight"].T + sd.get("out_proj.bias", 0), p


def np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def np_gelu(x):
    from scipy.special import erf

    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def sub(sd, prefix):
    return {k[len(prefix) :]: v for k, v in sd.items() if k.startswith(prefix)}


def np_ff(x, sd, act):
    h = act(x @ sd["linear1.weight"].T + sd["linear1.bias"])
    return h @ sd["linear2.weight"].T + sd["linear2.bias"]


def np_encoder_layer(x, sd, heads, norm_first, act, kpm=None, am=None):
    def ln(i, y):
        return np_layer_norm(y, sd[f"norm{i}.weight"], sd[f"norm{i}.bias"])

    def sa(y):
        return np_mha(y, y, y, sub(sd, "self_attn."), heads, kpm=kpm, am=am)[0]

    if norm_first:
        x = x + sa(ln(1, x))
        return x + np_ff(ln(2, x), sd, act)
    x = ln(1, x + sa(x))
    return ln(2, x + np_ff(x, sd, act))


def np_decoder_layer(x, mem, sd, heads, norm_first, act, tgt_mask=None, mem_kpm=None):
    def ln(i, y):
        return np_layer_norm(y, sd[f"norm{i}.weight"], sd[f"norm{i}.bias"])

    def sa(y):
        return np_mha(y, y, y, sub(sd, "self_attn."), heads, am=tgt_mask)[0]

    def ca(y):
        return np_mha(y, mem, mem, sub(sd, "multihead_attn."), heads, kpm=mem_kpm)[0]

    if norm_first:
        x = x + sa(ln(1, x))
        x = x + ca(ln(2, x))
        return x + np_ff(ln(3, x), sd, act)
    x = ln(1, x + sa(x))
    x = ln(2, x + ca(x))
    return ln(3, x + np_ff(x, sd, act))


def np_state(m):
    return {k: values(v) for k, v in m.state_dict().items()}


def relu(x):
    return np.maximum(x, 0)


# -- scaled_dot_product_attention: forward -------------------------------------------------------


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
def test_sdpa_matches_numpy(mask_kind, dtype):
    q, k, v = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)), rng.normal(
        size=(2, 3, 6, 7))  # fmt: skip
    mask = bias = None
    if mask_kind == "bool":
        mask = rng.random((4, 6)) > 0.4
        mask[:, 0] = True
        bias = np_bool_bias(mask)
    elif mask_kind == "float":
        mask = bias = rng.normal(size=(3, 4, 6))
    elif mask_kind == "causal":
        bias = np.triu(np.full((4, 6), -np.inf), 1)
    out = SDPA(
        ember.tensor(q, dtype=dtype), ember.tensor(k, dtype=dtype), ember.tensor(v, dtype=dtype),
        attn_mask=None if mask is None else ember.tensor(mask, dtype=ember.bool if
                                                         mask.dtype == bool else dtype),
        is_causal=mask_kind == "causal",
    )  # fmt: skip
    assert out.shape == (2, 3, 4, 7) and out.dtype == dtype
    tol = 1e-5 if dtype == ember.float32 else 1e-12
    np.testing.assert_allclose(values(out), np_attention(q, k, v, bias)[0], rtol=tol, atol=tol)


def test_sdpa_causal_is_top_left_aligned_for_rectangular_scores():
    # L > S: query i attends to keys j <= i (rows past S see every key), PyTorch's alignment
    q, k, v = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    out = SDPA(ember.tensor(q), ember.tensor(k), ember.tensor(v), is_causal=True)
    keep = np.arange(3)[None, :] <= np.arange(5)[:, None]
    np.testing.assert_allclose(out.numpy(), np_attention(q, k, v, np_bool_bias(keep))[0])
    np.testing.assert_allclose(out.numpy()[0], v[0])  # the first query sees only key 0


def test_sdpa_scale_and_broadcast_batch_dims():
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(1, 5, 4)), rng.normal(size=(5, 6))
    out = SDPA(ember.tensor(q), ember.tensor(k), ember.tensor(v), scale=0.3)
    assert out.shape == (2, 3, 6)
    np.testing.assert_allclose(out.numpy(), np_attention(q, k, v, scale=0.3)[0], atol=1e-12)


def test_sdpa_fully_masked_row_gives_zero_and_zero_gradient():
    q, k, v = t64(3, 4), t64(5, 4), t64(5, 2)
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False  # query 1 may attend to nothing
    out = SDPA(q, k, v, attn_mask=ember.tensor(mask))
    np.testing.assert_array_equal(out.detach().numpy()[1], 0.0)
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.numpy()[1], 0.0)
    assert np.isfinite(k.grad.numpy()).all() and np.isfinite(v.grad.numpy()).all()


def test_sdpa_grouped_query_attention_matches_repeated_heads():
    q, k, v = rng.normal(size=(2, 6, 3, 4)), rng.normal(size=(2, 2, 5, 4)), rng.normal(
        size=(2, 2, 5, 3))  # fmt: skip
    mask = rng.normal(size=(6, 3, 5))  # one mask per query head
    out = SDPA(ember.tensor(q), ember.tensor(k), ember.tensor(v), attn_mask=ember.tensor(mask),
               enable_gqa=True)  # fmt: skip
    # query head h uses key/value head h // 3 (repeat_interleave)
    ref = np_attention(q, np.repeat(k, 3, 1), np.repeat(v, 3, 1), mask)[0]
    assert out.shape == (2, 6, 3, 3)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


def test_sdpa_dropout_scales_kept_weights_and_follows_the_seed():
    q, k = rng.normal(size=(4, 8, 3)), rng.normal(size=(4, 8, 3))
    eye = np.broadcast_to(np.eye(8), (4, 8, 8))  # v = I: the output *is* the weight matrix
    args = (ember.tensor(q), ember.tensor(k), ember.tensor(eye))
    p = np_attention(q, k, eye)[1]
    ember.manual_seed(3)
    out = SDPA(*args, dropout_p=0.25).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], p[kept] / 0.75, rtol=1e-12)
    assert 0.6 < kept.mean() < 0.9  # 256 draws with P(keep) = 0.75
    ember.manual_seed(3)
    np.testing.assert_array_equal(SDPA(*args, dropout_p=0.25).numpy(), out)
    np.testing.assert_array_equal(SDPA(*args, dropout_p=1.0).numpy(), 0.0)


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_sdpa_half_precision(dtype):
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
    out = SDPA(*(ember.tensor(a, dtype=dtype) for a in (q, k, v)), is_causal=True)
    assert out.dtype == dtype
    ref = np_attention(q, k, v, np.triu(np.full((3, 5), -np.inf), 1))[0]
    np.testing.assert_allclose(values(out), ref, atol=0.1)


# -- scaled_dot_product_attention: gradients -----------------------------------------------------


def test_sdpa_gradcheck_float_mask_and_broadcast():
    q, k, v, m = t64(2, 3, 4), t64(1, 5, 4), t64(5, 2), t64(3, 5)
    assert gradcheck(lambda q, k, v, m: SDPA(q, k, v, attn_mask=m, scale=0.7), (q, k, v, m))


def test_sdpa_gradcheck_bool_mask_causal_and_gqa():
    q, k, v = t64(2, 3, 4), t64(2, 4, 4), t64(2, 4, 3)
    mask = ember.tensor(rng.random((3, 4)) > 0.5)
    assert gradcheck(lambda q, k, v: SDPA(q, k, v, attn_mask=mask), (q, k, v))
    assert gradcheck(lambda q, k, v: SDPA(q, k, v, is_causal=True), (q, k, v))
    q4, k4, v4 = t64(1, 4, 2, 3), t64(1, 2, 3, 3), t64(1, 2, 3, 2)
    assert gradcheck(lambda q, k, v: SDPA(q, k, v, enable_gqa=True), (q4, k4, v4))


def test_sdpa_gradcheck_with_dropout_at_a_fixed_seed():
    # reseeding inside the function draws the same dropout mask at every evaluation
    def f(q, k, v):
        ember.manual_seed(7)
        return SDPA(q, k, v, dropout_p=0.3)

    q, k, v = t64(2, 3, 4), t64(2, 4, 4), t64(2, 4, 3)
    assert gradcheck(f, (q, k, v))
    assert gradgradcheck(f, (q, k, v))


def test_sdpa_gradgradcheck():
    q, k, v, m = t64(2, 3, 4), t64(2, 4, 4), t64(2, 4, 3), t64(3, 4)
    assert gradgradcheck(lambda q, k, v, m: SDPA(q, k, v, attn_mask=m), (q, k, v, m))
    mask = np.ones((3, 4), dtype=bool)
    mask[0] = False  # a fully masked row in the recomputed (create_graph) path too
    bm = ember.tensor(mask)
    assert gradgradcheck(lambda q, k, v: SDPA(q, k, v, attn_mask=bm), (q, k, v))


# -- scaled_dot_product_attention: errors --------------------------------------------------------


def test_sdpa_errors():
    q, k, v = ember.randn(2, 3, 4), ember.randn(2, 5, 4), ember.randn(2, 5, 6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_caus"):
        SDPA(q, k, v, attn_mask=ember.ones(3, 5, dtype=ember.bool), is_causal=True)
    with pytest.raises(RuntimeError, match=r"query \(2, 3, 4\) and key \(2, 5, 3\) must have"):
        SDPA(q, ember.randn(2, 5, 3), v)
    with pytest.raises(RuntimeError, match=r"key \(2, 5, 4\) and value \(2, 4, 6\) must have"):
        SDPA(q, k, ember.randn(2, 4, 6))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 5\) cannot be broadcast"):
        SDPA(q, k, v, attn_mask=ember.zeros(4, 5))
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        SDPA(q, k, v, attn_mask=ember.zeros(3, 5, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="query.dtype: float64 key.dtype: float32"):
        SDPA(q.double(), k, v)
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        SDPA(ember.randn(4), k, v)
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1"):
        SDPA(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
        SDPA(ember.randn(1, 4, 3, 4), ember.randn(1, 3, 5, 4), ember.randn(1, 3, 5, 6),
             enable_gqa=True)  # fmt: skip
    with pytest.raises(TypeError):  # scale is keyword-only, as in PyTorch
        SDPA(q, k, v, None, 0.0, False, 0.5)


# -- MultiheadAttention: forward against the NumPy reference -------------------------------------

MHA_CASES = {
    "packed": ({}, {}),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, {}),
    "no_bias": ({"bias": False}, {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {"kpm": True}),
    "bool_masks": ({}, {"kpm": True, "am": True}),
    "float_masks_per_head": ({}, {"kpm_float": True, "am3": True, "average": False}),
    "batch_first": ({"batch_first": True}, {"am": True}),
    "unbatched": ({}, {"unbatched": True, "kpm": True}),
    "self_attention": ({}, {"self": True, "am": True}),
    "cross_attention": ({}, {"cross": True}),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_numpy(case):
    kw, opts = MHA_CASES[case]
    m = nn.MultiheadAttention(4, 2, **kw).double()
    L, S, N = 3, 5, 2
    kdim, vdim = m.kdim, m.vdim
    if opts.get("self"):
        S = L
    q = rng.normal(size=(L, N, 4))
    k = q if opts.get("self") else rng.normal(size=(S, N, kdim))
    v = k if opts.get("self") or opts.get("cross") else rng.normal(size=(S, N, vdim))
    kpm = am = None
    if opts.get("kpm"):
        kpm = rng.random((N, S)) > 0.6
        kpm[:, 0] = False
    if opts.get("kpm_float"):
        kpm = rng.normal(size=(N, S))
    if opts.get("am"):
        am = rng.random((L, S)) > 0.7
        am[:, 1] = False
    if opts.get("am3"):
        am = rng.normal(size=(N * 2, L, S))
    ref_out, ref_w = np_mha(q, k, v, np_state(m), 2, kpm=kpm, am=am,
                            zero_attn=kw.get("add_zero_attn", False))  # fmt: skip
    average = opts.get("average", True)
    ref_w = ref_w.mean(1) if average else ref_w

    def to_t(a, layout=True):
        if opts.get("unbatched"):
            a = a[:, 0] if layout else a[0]
        elif kw.get("batch_first") and layout:
            a = a.transpose(1, 0, 2)
        return ember.tensor(np.ascontiguousarray(a))

    qt = to_t(q)
    kt = qt if opts.get("self") else to_t(k)
    vt = kt if opts.get("self") or opts.get("cross") else to_t(v)
    out, w = m(
        qt, kt, vt, key_padding_mask=None if kpm is None else to_t(kpm, layout=False),
        attn_mask=None if am is None else ember.tensor(am), average_attn_weights=average,
    )  # fmt: skip
    out, w = values(out), values(w)
    if opts.get("unbatched"):
        ref_out, ref_w = ref_out[:, 0], ref_w[0]
    elif kw.get("batch_first"):
        ref_out = ref_out.transpose(1, 0, 2)
    np.testing.assert_allclose(out, ref_out, atol=1e-12)
    np.testing.assert_allclose(w, ref_w, atol=1e-12)
    out2, w2 = m(qt, kt, vt, need_weights=False,
                 key_padding_mask=None if kpm is None else to_t(kpm, layout=False),
                 attn_mask=None if am is None else ember.tensor(am))  # fmt: skip
    assert w2 is None
    np.testing.assert_allclose(values(out2), ref_out, atol=1e-12)


def test_multihead_attention_float32_default_and_shapes():
    m = nn.MultiheadAttention(8, 4)
    x = ember.randn(5, 3, 8)
    out, w = m(x, x, x, average_attn_weights=False)
    assert (out.shape, w.shape, out.dtype) == ((5, 3, 8), (3, 4, 5, 5), ember.float32)
    np.testing.assert_allclose(values(w).sum(-1), 1.0, rtol=1e-5)
    out, w = m(ember.randn(5, 8), ember.randn(7, 8), ember.randn(7, 8))
    assert (out.shape, w.shape) == ((5, 8), (5, 7))


def test_multihead_attention_is_causal_hint():
    m = nn.MultiheadAttention(4, 2).double()
    x = t64(3, 2, 4, requires_grad=False)
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    ref = np_mha(x.numpy(), x.numpy(), x.numpy(), np_state(m), 2, am=causal.numpy())[0]
    for need_weights in (True, False):  # without weights the hint alone builds the mask
        out, _ = m(x, x, x, attn_mask=causal, is_causal=True, need_weights=need_weights)
        np.testing.assert_allclose(values(out), ref, atol=1e-12)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)


def test_multihead_attention_fully_masked_rows_follow_pytorch():
    m = nn.MultiheadAttention(4, 2)
    x = ember.randn(3, 2, 4)
    kpm = ember.tensor([[True, True, True], [False, False, True]])
    out, w = m(x, x, x, key_padding_mask=kpm)  # plain softmax: NaN, as PyTorch
    assert np.isnan(values(out)[:, 0]).all() and np.isnan(values(w)[0]).all()
    assert np.isfinite(values(out)[:, 1]).all()
    out, _ = m(x, x, x, key_padding_mask=kpm, need_weights=False)  # SDPA path: 0 -> out bias
    np.testing.assert_allclose(values(out)[:, 0], 0.0)  # (out_proj.bias is initialised to 0)


def test_multihead_attention_dropout_only_in_training():
    ember.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = ember.randn(6, 2, 4)
    _, w_train = m(x, x, x, average_attn_weights=False)
    m.eval()
    _, w_eval = m(x, x, x, average_attn_weights=False)
    wt, we = values(w_train), values(w_eval)
    kept = wt != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(wt[kept], we[kept] * 2, rtol=1e-5)


def test_multihead_attention_mismatched_mask_types_warn():
    m = nn.MultiheadAttention(4, 2)
    x = ember.randn(3, 2, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mas"):
        kpm = ember.zeros(2, 3, dtype=ember.bool)
        m(x, x, x, key_padding_mask=kpm, attn_mask=ember.zeros(3, 3))


# -- MultiheadAttention: gradients ---------------------------------------------------------------


def test_multi_head_attention_forward_gradcheck_inputs_and_parameters():
    E, H = 4, 2
    q, k, v = t64(3, 2, E), t64(3, 2, E), t64(3, 2, E)
    w_in, b_in, w_out, b_out = t64(3 * E, E), t64(3 * E), t64(E, E), t64(E)
    am = t64(3, 3)  # a float mask is differentiable too

    def f(q, k, v, w_in, b_in, w_out, b_out, am):
        return F.multi_head_attention_forward(
            q, k, v, E, H, w_in, b_in, None, None, False, 0.0, w_out, b_out, attn_mask=am
        )  # (output, weights): both are checked

    assert gradcheck(f, (q, k, v, w_in, b_in, w_out, b_out, am))


def test_multihead_attention_module_gradcheck_separate_weights_bias_kv():
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True, add_zero_attn=True)
    m.double()
    names = [n for n, _ in m.named_parameters()]
    params = [t64(*p.shape) for p in m.parameters()]
    kpm = ember.tensor([[False, True, False], [False, False, False]])
    q, k, v = t64(3, 2, 4), t64(3, 2, 3), t64(3, 2, 2)

    def f(q, k, v, *ps):
        with_params(m, names, ps)
        return m(q, k, v, key_padding_mask=kpm, need_weights=False)[0]

    assert gradcheck(f, (q, k, v, *params))


def test_multihead_attention_gradgradcheck_self_attention():
    m = nn.MultiheadAttention(4, 2).double()
    x = t64(3, 2, 4)
    assert gradgradcheck(lambda x: m(x, x, x)[0], (x,))


def with_params(module, names, tensors):
    """Put ``tensors`` in place of the parameters ``names`` (so gradcheck can vary them)."""
    for name, t in zip(names, tensors):
        owner = module.get_submodule(name.rpartition(".")[0]) if "." in name else module
        owner._parameters[name.rpartition(".")[2]] = t


# -- MultiheadAttention: parameters, state_dict, repr --------------------------------------------


def shapes(m):
    return [(k, tuple(v.shape)) for k, v in m.state_dict().items()]


def test_multihead_attention_state_dict_packed():
    assert shapes(nn.MultiheadAttention(4, 2)) == [
        ("in_proj_weight", (12, 4)), ("in_proj_bias", (12,)),
        ("out_proj.weight", (4, 4)), ("out_proj.bias", (4,)),
    ]  # fmt: skip
    assert shapes(nn.MultiheadAttention(4, 2, bias=False)) == [
        ("in_proj_weight", (12, 4)), ("out_proj.weight", (4, 4)),
    ]  # fmt: skip


def test_multihead_attention_state_dict_separate():
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert shapes(m) == [
        ("q_proj_weight", (4, 4)), ("k_proj_weight", (4, 3)), ("v_proj_weight", (4, 5)),
        ("in_proj_bias", (12,)), ("bias_k", (1, 1, 4)), ("bias_v", (1, 1, 4)),
        ("out_proj.weight", (4, 4)), ("out_proj.bias", (4,)),
    ]  # fmt: skip
    assert m.in_proj_weight is None and not m._qkv_same_embed_dim


def test_multihead_attention_init_and_repr():
    m = nn.MultiheadAttention(8, 2)
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform_ on (3E, E)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    np.testing.assert_array_equal(m.in_proj_bias.detach().numpy(), 0.0)
    np.testing.assert_array_equal(m.out_proj.bias.detach().numpy(), 0.0)
    assert isinstance(m.out_proj, nn.Linear) and m.head_dim == 4
    assert repr(m) == (
        "MultiheadAttention(\n"
        "  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n"
        ")"
    )


def test_multihead_attention_load_state_dict_round_trip():
    a = nn.MultiheadAttention(4, 2, kdim=3, add_bias_kv=True)
    b = nn.MultiheadAttention(4, 2, kdim=3, add_bias_kv=True)
    x, kv, v = ember.randn(3, 2, 4), ember.randn(5, 2, 3), ember.randn(5, 2, 4)
    assert not np.allclose(values(a(x, kv, v)[0]), values(b(x, kv, v)[0]))
    b.load_state_dict(a.state_dict(), strict=True)
    np.testing.assert_array_equal(values(a(x, kv, v)[0]), values(b(x, kv, v)[0]))


def test_multi_head_attention_forward_static_kv():
    E, H, N, L, S = 4, 2, 2, 3, 5
    q = rng.normal(size=(L, N, E))
    w_in, b_in, w_out = rng.normal(size=(3 * E, E)), rng.normal(size=3 * E), rng.normal(size=(E, E))
    sk, sv = rng.normal(size=(N * H, S, 2)), rng.normal(size=(N * H, S, 2))
    out, w = F.multi_head_attention_forward(
        *(ember.tensor(q),) * 3, E, H, ember.tensor(w_in), ember.tensor(b_in), None, None, False,
        0.0, ember.tensor(w_out), None, static_k=ember.tensor(sk), static_v=ember.tensor(sv),
    )  # fmt: skip
    Q = (q @ w_in[:E].T + b_in[:E]).reshape(L, N * H, 2).transpose(1, 0, 2)
    o, p = np_attention(Q, sk, sv)
    ref = o.transpose(1, 0, 2).reshape(L, N, E) @ w_out.T
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), p.reshape(N, H, L, S).mean(1), atol=1e-12)


# -- MultiheadAttention: errors ------------------------------------------------------------------


def test_multihead_attention_errors():
    with pytest.raises(AssertionError, match="MultiheadAttention: embed_dim must be divisible"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(4, 0)
    m = nn.MultiheadAttention(4, 2, kdim=3)
    x = ember.randn(3, 2, 4)
    with pytest.raises(AssertionError, match=r"expected query of shape \(L, N, 4\) or \(L, 4\), "
                                             r"got \(3, 2, 5\)"):  # fmt: skip
        m(ember.randn(3, 2, 5), ember.randn(3, 2, 3), x)
    with pytest.raises(AssertionError, match=r"expected key of shape \(S, N, 3\)"):
        m(x, x, x)
    bf = nn.MultiheadAttention(4, 2, batch_first=True)
    with pytest.raises(AssertionError, match=r"expected query of shape \(N, L, 4\)"):
        bf(ember.randn(2, 3, 6), x, x)
    m = nn.MultiheadAttention(4, 2)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(2, 3\), but "
                                           r"should be \(3, 3\)\."):  # fmt: skip
        m(x, x, x, attn_mask=ember.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is \(2, 3, 3\), but should be \(4, 3"):
        m(x, x, x, attn_mask=ember.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match=r"key_padded_mask.shape to be \(2, 3\)"):
        m(x, x, x, key_padding_mask=ember.zeros(3, 2, dtype=ember.bool))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        m(x, ember.randn(3, 4), ember.randn(3, 4))
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 3, dtype=ember.int64))


# -- Transformer layers: forward against NumPy (eval mode) ---------------------------------------


@pytest.mark.parametrize(
    "norm_first, activation", [(False, "relu"), (True, "gelu"), (False, F.gelu)]
)
def test_encoder_layer_matches_numpy(norm_first, activation):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, activation=activation,
                                       norm_first=norm_first).double().eval()  # fmt: skip
    x = rng.normal(size=(3, 2, 4))
    kpm = np.array([[False, False, True], [False, False, False]])
    am = rng.normal(size=(3, 3))
    out = layer(ember.tensor(x), src_mask=ember.tensor(am), src_key_padding_mask=ember.tensor(
        np.where(kpm, -np.inf, 0.0)))  # fmt: skip
    act = relu if activation == "relu" else np_gelu
    ref = np_encoder_layer(x, np_state(layer), 2, norm_first, act, kpm=kpm, am=am)
    np.testing.assert_allclose(values(out), ref, atol=1e-12)


def test_encoder_layer_batch_first_and_unbatched():
    layer = nn.TransformerEncoderLayer(4, 2, 6, batch_first=True).double().eval()
    x = rng.normal(size=(2, 3, 4))  # (N, S, E)
    ref = np_encoder_layer(x.transpose(1, 0, 2), np_state(layer), 2, False, relu)
    np.testing.assert_allclose(values(layer(ember.tensor(x))), ref.transpose(1, 0, 2),
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(values(layer(ember.tensor(x[0]))), ref[:, 0], atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_numpy(norm_first):
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, norm_first=norm_first)
    layer = layer.double().eval()
    x, mem = rng.normal(size=(3, 2, 4)), rng.normal(size=(5, 2, 4))
    causal = np.triu(np.full((3, 3), -np.inf), 1)
    mem_kpm = np.zeros((2, 5), dtype=bool)
    mem_kpm[1, 3:] = True
    out = layer(ember.tensor(x), ember.tensor(mem), tgt_mask=ember.tensor(causal),
                memory_key_padding_mask=ember.tensor(mem_kpm), tgt_is_causal=True)  # fmt: skip
    ref = np_decoder_layer(x, mem, np_state(layer), 2, norm_first, relu, tgt_mask=causal,
                           mem_kpm=mem_kpm)  # fmt: skip
    np.testing.assert_allclose(values(out), ref, atol=1e-12)


def test_encoder_layer_gradcheck_input_and_parameters_with_dropout():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=3, dropout=0.2).double()
    names = [n for n, _ in layer.named_parameters()]
    params = [t64(*p.shape) for p in layer.parameters()]
    x = t64(3, 2, 4)
    kpm = ember.tensor([[False, False, True], [False, False, False]])

    def f(x, *ps):
        with_params(layer, names, ps)
        ember.manual_seed(1)  # the same dropout masks at every evaluation
        return layer(x, src_key_padding_mask=kpm)

    assert gradcheck(f, (x, *params))


# -- Transformer stacks --------------------------------------------------------------------------

ENCODER_LAYER_KEYS = [
    ("self_attn.in_proj_weight", (12, 4)), ("self_attn.in_proj_bias", (12,)),
    ("self_attn.out_proj.weight", (4, 4)), ("self_attn.out_proj.bias", (4,)),
    ("linear1.weight", (6, 4)), ("linear1.bias", (6,)), ("linear2.weight", (4, 6)),
    ("linear2.bias", (4,)), ("norm1.weight", (4,)), ("norm1.bias", (4,)),
    ("norm2.weight", (4,)), ("norm2.bias", (4,)),
]  # fmt: skip


def test_layer_state_dicts_match_pytorch():
    assert shapes(nn.TransformerEncoderLayer(4, 2, 6)) == ENCODER_LAYER_KEYS
    assert shapes(nn.TransformerDecoderLayer(4, 2, 6)) == [
        ("self_attn.in_proj_weight", (12, 4)), ("self_attn.in_proj_bias", (12,)),
        ("self_attn.out_proj.weight", (4, 4)), ("self_attn.out_proj.bias", (4,)),
        ("multihead_attn.in_proj_weight", (12, 4)), ("multihead_attn.in_proj_bias", (12,)),
        ("multihead_attn.out_proj.weight", (4, 4)), ("multihead_attn.out_proj.bias", (4,)),
        ("linear1.weight", (6, 4)), ("linear1.bias", (6,)), ("linear2.weight", (4, 6)),
        ("linear2.bias", (4,)), ("norm1.weight", (4,)), ("norm1.bias", (4,)),
        ("norm2.weight", (4,)), ("norm2.bias", (4,)), ("norm3.weight", (4,)),
        ("norm3.bias", (4,)),
    ]  # fmt: skip
    assert list(nn.TransformerEncoderLayer(4, 2, 6, bias=False).state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight",
        "linear2.weight", "norm1.weight", "norm2.weight",
    ]  # fmt: skip


def test_encoder_stack_copies_layers_and_matches_sequential_application():
    proto = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0)
    enc = nn.TransformerEncoder(proto, num_layers=2, norm=nn.LayerNorm(4))
    keys = list(enc.state_dict())
    assert keys[:13] == [f"layers.0.{k}" for k, _ in ENCODER_LAYER_KEYS] + [
        "layers.1.self_attn.in_proj_weight"]  # fmt: skip
    assert keys[-2:] == ["norm.weight", "norm.bias"] and len(keys) == 26
    l0, l1 = enc.layers
    assert l0 is not proto and l0.linear1.weight is not l1.linear1.weight  # deep copies
    np.testing.assert_array_equal(values(l0.linear1.weight), values(proto.linear1.weight))
    with ember.no_grad():
        l1.linear1.weight.mul_(2.0)  # the copies are independent
    assert not np.allclose(values(l0.linear1.weight), values(l1.linear1.weight))
    x = ember.randn(3, 2, 4)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    expected = enc.norm(l1(l0(x, src_mask=mask), src_mask=mask))
    np.testing.assert_allclose(values(enc(x, mask=mask)), values(expected), atol=1e-6)


def test_detect_causal_mask():
    from ember.nn.modules.transformer import _detect_is_causal_mask

    causal = nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal) is True
    assert _detect_is_causal_mask(causal, size=3) is False
    assert _detect_is_causal_mask(ember.zeros(4, 4)) is False
    assert _detect_is_causal_mask(ember.zeros(4, 4), is_causal=True) is True
    assert _detect_is_causal_mask(None) is False


def test_transformer_forward_shapes_and_reference():
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                           dim_feedforward=6).double().eval()  # fmt: skip
    src, tgt = rng.normal(size=(5, 2, 4)), rng.normal(size=(3, 2, 4))
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64)
    out = model(ember.tensor(src), ember.tensor(tgt), tgt_mask=tgt_mask)
    sd = np_state(model)
    mem = src
    for i in range(2):
        mem = np_encoder_layer(mem, sub(sd, f"encoder.layers.{i}."), 2, False, relu)
    mem = np_layer_norm(mem, sd["encoder.norm.weight"], sd["encoder.norm.bias"])
    ref = np_decoder_layer(tgt, mem, sub(sd, "decoder.layers.0."), 2, False, relu,
                           tgt_mask=tgt_mask.numpy())  # fmt: skip
    ref = np_layer_norm(ref, sd["decoder.norm.weight"], sd["decoder.norm.bias"])
    np.testing.assert_allclose(values(out), ref, atol=1e-12)
    bf = nn.Transformer(4, 2, 1, 1, 6, batch_first=True)
    assert bf(ember.randn(2, 5, 4), ember.randn(2, 3, 4)).shape == (2, 3, 4)
    assert bf(ember.randn(5, 4), ember.randn(3, 4)).shape == (3, 4)  # unbatched


def test_transformer_defaults_init_and_state_dict():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                           dim_feedforward=16)  # fmt: skip
    sd = model.state_dict()
    assert len(sd) == 64
    assert list(sd)[:2] == ["encoder.layers.0.self_attn.in_proj_weight",
                            "encoder.layers.0.self_attn.in_proj_bias"]  # fmt: skip
    assert list(sd)[-2:] == ["decoder.norm.weight", "decoder.norm.bias"]
    # every matrix re-initialised with xavier_uniform_ (bound sqrt(6 / (fan_in + fan_out)))
    w = values(model.encoder.layers[0].linear1.weight)
    assert np.abs(w).max() <= math.sqrt(6 / (8 + 16))
    layer = nn.TransformerEncoderLayer(512, 8)  # defaults: dim_feedforward 2048, dropout 0.1
    assert layer.linear1.out_features == 2048 and layer.dropout.p == 0.1
    assert layer.self_attn.batch_first is False and layer.norm1.eps == 1e-5


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == ember.float32
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=ember.float64).dtype == (
        ember.float64)  # fmt: skip


def test_transformer_module_errors():
    model = nn.Transformer(4, 2, 1, 1, 6)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(5, 2, 4), ember.randn(3, 3, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(ember.randn(5, 2, 4), ember.randn(3, 2, 5))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, 6, activation="tanh")
    layer = nn.TransformerEncoderLayer(4, 2, 6)
    with pytest.raises(AssertionError, match=r"TransformerEncoderLayer\(d_model=4, nhead=2\): "
                                             r"expected src of shape \(S, N, 4\)"):  # fmt: skip
        layer(ember.randn(3, 2, 5))
    dec = nn.TransformerDecoderLayer(4, 2, 6, batch_first=True)
    with pytest.raises(AssertionError, match=r"expected memory of shape \(N, S, 4\)"):
        dec(ember.randn(2, 3, 4), ember.randn(2, 5, 3))


def test_encoder_no_nested_tensor_warning_and_custom_parts():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch warns here about its nested-tensor fast path
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6), 1)
    assert enc.enable_nested_tensor is True and enc.use_nested_tensor is False
    model = nn.Transformer(4, 2, custom_encoder=copy.deepcopy(enc), num_decoder_layers=1,
                           dim_feedforward=6)  # fmt: skip
    assert isinstance(model.encoder, nn.TransformerEncoder) and len(model.encoder.layers) == 1
