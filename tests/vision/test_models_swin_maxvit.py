"""Swin Transformer V1/V2 and MaxViT: torchvision's state_dict layouts, weights entries,
shifted-window and block/grid attention against NumPy references, forward passes, gradients,
and strict checkpoint loads through the hub.

The layouts were transcribed from pytorch/vision's ``torchvision/models/swin_transformer.py``
and ``torchvision/models/maxvit.py``; the STRUCTURE parameter counts equal torchvision's
published ``num_params`` for every model (an independent check of every shape), the digests
pin the key set (sorted "key:shape" lines) so that it cannot drift.
"""

from collections import OrderedDict

import numpy as np
import pytest
from test_models import _publish, checkpoint_server  # noqa: F401  (fixture)
from test_models_mobile import _digest
from test_models_more import shape_only  # noqa: F401  (fixture)

import ember
from ember import nn
from embervision.models import maxvit as maxvit_module
from embervision.models import swin_transformer as swin_module
from embervision.models._api import get_model, get_model_weights
from embervision.models._presets import InterpolationMode
from embervision.models.maxvit import MaxVit, PartitionAttentionLayer
from embervision.models.swin_transformer import (
    PatchMerging,
    PatchMergingV2,
    ShiftedWindowAttention,
    ShiftedWindowAttentionV2,
    SwinTransformer,
    SwinTransformerBlockV2,
    shifted_window_attention,
)

# name: (state_dict entries, first "key:shape", last "key:shape", digest, parameters)
STRUCTURE = {
    "swin_t": (185, "features.0.0.weight:(96, 3, 4, 4)", "head.bias:(1000,)",
               "65f2d8a5ac79fe47", 28288354),
    "swin_s": (353, "features.0.0.weight:(96, 3, 4, 4)", "head.bias:(1000,)",
               "ac7a639d95c13c34", 49606258),
    "swin_b": (353, "features.0.0.weight:(128, 3, 4, 4)", "head.bias:(1000,)",
               "e51a056662588651", 87768224),
    "swin_v2_t": (233, "features.0.0.weight:(96, 3, 4, 4)", "head.bias:(1000,)",
                  "19068d215c4f2628", 28351570),
    "swin_v2_s": (449, "features.0.0.weight:(96, 3, 4, 4)", "head.bias:(1000,)",
                  "2d5fb1adb54ec369", 49737442),
    "swin_v2_b": (449, "features.0.0.weight:(128, 3, 4, 4)", "head.bias:(1000,)",
                  "ad325f9a0d40115c", 87930848),
    "maxvit_t": (582, "stem.0.0.weight:(64, 3, 3, 3)", "classifier.5.weight:(1000, 512)",
                 "8fa39d9e34c9d3bb", 30919624),
}


@pytest.fixture
def quick_init(monkeypatch):
    """Zeros for every random initialiser (the draws, trunc_normal_ above all, take seconds
    for the full-size models and are not under test here)."""
    zeros_ = nn.init.zeros_
    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "xavier_uniform_",
                 "trunc_normal_"):
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: zeros_(tensor))


def _lines(model):
    return [f"{key}:{tuple(value.shape)}" for key, value in model.state_dict().items()]


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_state_dict_layout_matches_torchvision(name, shape_only):  # noqa: F811
    count, first, last, digest, num_params = STRUCTURE[name]
    model = get_model(name)
    lines = _lines(model)
    assert (len(lines), lines[0], lines[-1], _digest(lines)) == (count, first, last, digest)
    assert sum(p.numel() for p in model.parameters()) == num_params
    assert get_model_weights(name).DEFAULT.meta["num_params"] == num_params


def test_block_keys_literal(shape_only):  # noqa: F811
    v1 = {k for k in swin_module.swin_t().state_dict() if k.startswith("features.1.1.")}
    assert v1 == {f"features.1.1.{k}" for k in (
        "norm1.weight", "norm1.bias", "attn.relative_position_bias_table",
        "attn.relative_position_index", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight",
        "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.0.weight", "mlp.0.bias",
        "mlp.3.weight", "mlp.3.bias")}
    v2 = swin_module.swin_v2_t().state_dict()
    assert [k for k in v2 if k.startswith("features.1.0.attn.")] == [
        "features.1.0.attn.logit_scale", "features.1.0.attn.relative_coords_table",
        "features.1.0.attn.relative_position_index", "features.1.0.attn.qkv.weight",
        "features.1.0.attn.qkv.bias", "features.1.0.attn.proj.weight",
        "features.1.0.attn.proj.bias", "features.1.0.attn.cpb_mlp.0.weight",
        "features.1.0.attn.cpb_mlp.0.bias", "features.1.0.attn.cpb_mlp.2.weight"]
    assert tuple(v2["features.2.norm.weight"].shape) == (192,)  # PatchMergingV2: norm on 2C
    mx = maxvit_module.maxvit_t().state_dict()
    prefix = "blocks.0.layers.0.layers."
    assert [k[len(prefix):] for k in mx if k.startswith(prefix + "grid_attention")] == [
        "grid_attention.attn_layer.0.weight", "grid_attention.attn_layer.0.bias",
        "grid_attention.attn_layer.1.relative_position_bias_table",
        "grid_attention.attn_layer.1.relative_position_index",
        "grid_attention.attn_layer.1.to_qkv.weight", "grid_attention.attn_layer.1.to_qkv.bias",
        "grid_attention.attn_layer.1.merge.weight", "grid_attention.attn_layer.1.merge.bias",
        "grid_attention.mlp_layer.0.weight", "grid_attention.mlp_layer.0.bias",
        "grid_attention.mlp_layer.1.weight", "grid_attention.mlp_layer.1.bias",
        "grid_attention.mlp_layer.3.weight", "grid_attention.mlp_layer.3.bias"]
    assert tuple(mx[prefix + "MBconv.proj.1.weight"].shape) == (64, 64, 1, 1)
    assert tuple(mx[prefix + "MBconv.layers.squeeze_excitation.fc1.weight"].shape) == (
        16, 256, 1, 1)
    assert tuple(mx[prefix + "grid_attention.attn_layer.1.relative_position_index"].shape) == (
        49, 49)


# ---------------------------------------------------------------------------------------------
# Weights entries (torchvision's swin_transformer.py and maxvit.py)
# ---------------------------------------------------------------------------------------------

WEIGHTS = {  # enum: (file, crop, resize, acc@1, acc@5, GFLOPs, MB)
    "Swin_T_Weights": ("swin_t-704ceda3.pth", 224, 232, 81.474, 95.776, 4.491, 108.19),
    "Swin_S_Weights": ("swin_s-5e29d889.pth", 224, 246, 83.196, 96.360, 8.741, 189.786),
    "Swin_B_Weights": ("swin_b-68c6b09e.pth", 224, 238, 83.582, 96.640, 15.431, 335.364),
    "Swin_V2_T_Weights": ("swin_v2_t-b137f0e2.pth", 256, 260, 82.072, 96.132, 5.94, 108.626),
    "Swin_V2_S_Weights": ("swin_v2_s-637d8ceb.pth", 256, 260, 83.712, 96.816, 11.546, 190.675),
    "Swin_V2_B_Weights": ("swin_v2_b-781e5279.pth", 256, 272, 84.112, 96.864, 20.325, 336.372),
    "MaxVit_T_Weights": ("maxvit_t-bc5ab103.pth", 224, 224, 83.700, 96.722, 5.558, 118.769),
}


@pytest.mark.parametrize("enum_name", sorted(WEIGHTS))
def test_weights_entries(enum_name):
    file, crop, resize, acc1, acc5, ops, size = WEIGHTS[enum_name]
    enum = getattr(swin_module, enum_name, None) or getattr(maxvit_module, enum_name)
    entry = enum.DEFAULT
    assert entry is enum.IMAGENET1K_V1
    assert entry.url == "https://download.pytorch.org/models/" + file
    t = entry.transforms()
    assert (t.crop_size, t.resize_size, t.interpolation) == ([crop], [resize],
                                                             InterpolationMode.BICUBIC)
    assert entry.meta["min_size"] == (crop, crop)
    assert entry.meta["_metrics"]["ImageNet-1K"] == {"acc@1": acc1, "acc@5": acc5}
    assert (entry.meta["_ops"], entry.meta["_file_size"]) == (ops, size)
    assert len(entry.meta["categories"]) == 1000
    assert entry.meta["recipe"].endswith("#maxvit" if "MaxVit" in enum_name else
                                         "#swintransformer-v2" if "V2" in enum_name
                                         else "#swintransformer")


# ---------------------------------------------------------------------------------------------
# Shifted window attention against NumPy
# ---------------------------------------------------------------------------------------------


def _np_softmax(a):
    a = a - a.max(-1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(-1, keepdims=True)


def _np_window_attention(x, qkv_w, qkv_b, proj_w, proj_b, bias_of, heads, window, shift,
                         logit_scale=None):
    """Swin's (S)W-MSA written token by token: pad, roll, attend inside each window with the
    per-pair bias ``bias_of(dy, dx)`` (heads,), mask pairs that come from different regions
    of the rolled map, un-roll, crop."""
    b, h, w, c = x.shape
    wh, ww = window
    ph, pw = -(-h // wh) * wh, -(-w // ww) * ww
    xp = np.zeros((b, ph, pw, c))
    xp[:, :h, :w] = x
    sh = shift[0] if ph > wh else 0
    sw = shift[1] if pw > ww else 0
    xr = np.roll(xp, (-sh, -sw), axis=(1, 2))

    def region(i, size, win, s):  # which strip of the rolled map a row/column is in
        if s == 0:
            return 0
        return 0 if i < size - win else (1 if i < size - s else 2)

    out = np.zeros_like(xr)
    d = c // heads
    if logit_scale is not None:
        qkv_b = qkv_b.copy()
        qkv_b[c:2 * c] = 0.0
    for n in range(b):
        for wi in range(ph // wh):
            for wj in range(pw // ww):
                pos = [(wi * wh + a, wj * ww + e) for a in range(wh) for e in range(ww)]
                tokens = np.stack([xr[n, i, j] for i, j in pos])
                qkv = tokens @ qkv_w.T + qkv_b
                q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
                result = np.zeros((len(pos), c))
                for hd in range(heads):
                    qh, kh, vh = (m[:, hd * d:(hd + 1) * d] for m in (q, k, v))
                    if logit_scale is None:
                        logits = (qh * d ** -0.5) @ kh.T
                    else:
                        # F.normalize divides by max(norm, 1e-12): padded tokens are 0
                        qn = qh / np.maximum(np.linalg.norm(qh, axis=1, keepdims=True), 1e-12)
                        kn = kh / np.maximum(np.linalg.norm(kh, axis=1, keepdims=True), 1e-12)
                        logits = qn @ kn.T * np.exp(min(logit_scale[hd], np.log(100.0)))
                    for s, (i1, j1) in enumerate(pos):
                        for t, (i2, j2) in enumerate(pos):
                            logits[s, t] += bias_of(i1 - i2, j1 - j2)[hd]
                            same = (region(i1, ph, wh, sh) == region(i2, ph, wh, sh) and
                                    region(j1, pw, ww, sw) == region(j2, pw, ww, sw))
                            logits[s, t] += 0.0 if same else -100.0
                    result[:, hd * d:(hd + 1) * d] = _np_softmax(logits) @ vh
                result = result @ proj_w.T + proj_b
                for s, (i, j) in enumerate(pos):
                    out[n, i, j] = result[s]
    return np.roll(out, (sh, sw), axis=(1, 2))[:, :h, :w]


def _randomize(module, seed):
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data = ember.tensor(rng.standard_normal(tuple(p.shape)) * 0.5, dtype=ember.float64)
    return module


@pytest.mark.parametrize("size,shift", [((6, 6), [1, 1]), ((5, 7), [1, 1]), ((3, 3), [0, 0]),
                                        ((6, 3), [1, 1])])
def test_shifted_window_attention_v1_matches_numpy(size, shift):
    attn = _randomize(ShiftedWindowAttention(4, [3, 3], shift, num_heads=2), 0).double().eval()
    x = np.random.default_rng(1).standard_normal((2, *size, 4))
    table = attn.relative_position_bias_table.detach().numpy()
    expected = _np_window_attention(
        x, attn.qkv.weight.detach().numpy(), attn.qkv.bias.detach().numpy(),
        attn.proj.weight.detach().numpy(), attn.proj.bias.detach().numpy(),
        lambda dy, dx: table[(dy + 2) * 5 + dx + 2], 2, [3, 3], shift)
    got = attn(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    assert attn.shift_size == shift  # the module's list is left alone


def test_shifted_window_attention_v2_matches_numpy():
    attn = _randomize(ShiftedWindowAttentionV2(4, [2, 2], [1, 1], num_heads=2), 2).double()
    attn.eval()
    x = np.random.default_rng(3).standard_normal((1, 4, 5, 4))
    coords = attn.relative_coords_table.numpy()  # (1, 3, 3, 2)
    w1, b1 = attn.cpb_mlp[0].weight.detach().numpy(), attn.cpb_mlp[0].bias.detach().numpy()
    w2 = attn.cpb_mlp[2].weight.detach().numpy()

    def bias_of(dy, dx):
        hidden = np.maximum(coords[0, dy + 1, dx + 1] @ w1.T + b1, 0.0)
        return 16.0 / (1.0 + np.exp(-(hidden @ w2.T)))

    scale = attn.logit_scale.detach().numpy().reshape(-1)
    expected = _np_window_attention(
        x, attn.qkv.weight.detach().numpy(), attn.qkv.bias.detach().numpy(),
        attn.proj.weight.detach().numpy(), attn.proj.bias.detach().numpy(), bias_of, 2,
        [2, 2], [1, 1], logit_scale=scale)
    got = attn(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_relative_position_index_and_v2_coordinates_literal():
    attn = ShiftedWindowAttention(4, [2, 2], [0, 0], num_heads=1)
    assert attn.relative_position_index.tolist() == [4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3,
                                                     8, 7, 5, 4]
    assert attn.relative_position_index.dtype == ember.int64
    v2 = ShiftedWindowAttentionV2(4, [2, 2], [0, 0], num_heads=1)
    table = v2.relative_coords_table.numpy()
    assert table.shape == (1, 3, 3, 2) and table.dtype == np.float32
    step = np.log2(9.0) / 3  # offsets +-1 -> +-8 -> sign * log2(8 + 1) / 3
    np.testing.assert_allclose(table[0, :, :, 0], [[-step] * 3, [0] * 3, [step] * 3], rtol=1e-6)
    np.testing.assert_allclose(table[0, :, :, 1], [[-step, 0, step]] * 3, rtol=1e-6)
    # the key bias starts (and stays, in the forward) at zero; logit scale log(10)
    assert np.all(v2.qkv.bias.detach().numpy()[4:8] == 0)
    np.testing.assert_allclose(v2.logit_scale.detach().numpy(), np.log(10.0), rtol=1e-6)


def test_shifted_window_attention_gradcheck():
    rng = np.random.default_rng(4)

    def t(*shape):
        return ember.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    x, qkv_w, qkv_b, proj_w, proj_b = t(1, 4, 4, 2), t(6, 2), t(6), t(2, 2), t(2)
    bias, scale = t(1, 1, 4, 4), t(1, 1, 1)

    def v1(x, qkv_w, qkv_b, proj_w, proj_b, bias):
        return shifted_window_attention(x, qkv_w, proj_w, bias, [2, 2], 1, [1, 1],
                                        qkv_bias=qkv_b, proj_bias=proj_b)

    def v2(x, qkv_w, qkv_b, bias, scale):
        return shifted_window_attention(x, qkv_w, proj_w, bias, [2, 2], 1, [1, 1],
                                        qkv_bias=qkv_b, logit_scale=scale)

    assert ember.autograd.gradcheck(v1, (x, qkv_w, qkv_b, proj_w, proj_b, bias))
    assert ember.autograd.gradcheck(v2, (x, qkv_w, qkv_b, bias, scale))


def test_patch_merging_order_padding_and_v2_norm_placement():
    x = np.random.default_rng(5).standard_normal((2, 3, 5, 4))  # odd H and W: zero-padded
    xp = np.zeros((2, 4, 6, 4))
    xp[:, :3, :5] = x
    cat = np.concatenate([xp[:, 0::2, 0::2], xp[:, 1::2, 0::2], xp[:, 0::2, 1::2],
                          xp[:, 1::2, 1::2]], -1)

    def ln(a):
        return (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)

    m1 = _randomize(PatchMerging(4), 6).double()
    w1 = m1.reduction.weight.detach().numpy()
    g1, b1 = m1.norm.weight.detach().numpy(), m1.norm.bias.detach().numpy()
    np.testing.assert_allclose(m1(ember.tensor(x)).detach().numpy(), (ln(cat) * g1 + b1) @ w1.T,
                               rtol=1e-10, atol=1e-12)
    m2 = _randomize(PatchMergingV2(4), 7).double()
    w2 = m2.reduction.weight.detach().numpy()
    g2, b2 = m2.norm.weight.detach().numpy(), m2.norm.bias.detach().numpy()
    np.testing.assert_allclose(m2(ember.tensor(x)).detach().numpy(), ln(cat @ w2.T) * g2 + b2,
                               rtol=1e-10, atol=1e-12)
    assert m2(ember.tensor(x)).shape == (2, 2, 3, 8)


# ---------------------------------------------------------------------------------------------
# MaxViT's block and grid attention against NumPy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["window", "grid"])
def test_partition_attention_groups_match_numpy(kind):
    c, size, part = 4, 4, 2  # 4x4 map, 2x2 partitions -> groups of 4 tokens
    layer = _randomize(PartitionAttentionLayer(c, 2, part, kind, (size, size), 2, nn.GELU,
                                               nn.LayerNorm, 0.0, 0.0, 0.0), 8).double().eval()
    x = np.random.default_rng(9).standard_normal((1, c, size, size))
    ln0, mha = layer.attn_layer[0], layer.attn_layer[1]
    table = mha.relative_position_bias_table.detach().numpy()
    wq, bq = mha.to_qkv.weight.detach().numpy(), mha.to_qkv.bias.detach().numpy()
    wm, bm = mha.merge.weight.detach().numpy(), mha.merge.bias.detach().numpy()
    mlp = layer.mlp_layer

    def ln(a, mod):
        a = (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)
        return a * mod.weight.detach().numpy() + mod.bias.detach().numpy()

    def gelu(a):
        from scipy.special import erf
        return 0.5 * a * (1 + erf(a / np.sqrt(2)))

    out = x.copy()
    stride = size // part
    for g0 in range(part if kind == "window" else stride):
        for g1 in range(part if kind == "window" else stride):
            # window: a contiguous 2x2 block; grid: every `stride`-th pixel (dilated)
            if kind == "window":
                pos = [(g0 * part + a, g1 * part + b) for a in range(part) for b in range(part)]
            else:
                pos = [(a * stride + g0, b * stride + g1) for a in range(part)
                       for b in range(part)]
            seq = [(s // part, s % part) for s in range(part * part)]  # 2-D place in the group
            tokens = np.stack([x[0, :, i, j] for i, j in pos])
            qkv = ln(tokens, ln0) @ wq.T + bq
            q, k, v = qkv[:, :c], qkv[:, c:2 * c] * c ** -0.5, qkv[:, 2 * c:]
            res = np.zeros_like(tokens)
            for h in range(2):
                sl = slice(2 * h, 2 * h + 2)
                logits = q[:, sl] @ k[:, sl].T
                for s, (a1, b1) in enumerate(seq):
                    for t, (a2, b2) in enumerate(seq):
                        logits[s, t] += table[(a1 - a2 + 1) * 3 + b1 - b2 + 1, h]
                res[:, sl] = _np_softmax(logits) @ v[:, sl]
            y = tokens + res @ wm.T + bm
            hidden = gelu(ln(y, mlp[0]) @ mlp[1].weight.detach().numpy().T
                          + mlp[1].bias.detach().numpy())
            y = y + hidden @ mlp[3].weight.detach().numpy().T + mlp[3].bias.detach().numpy()
            for s, (i, j) in enumerate(pos):
                out[0, :, i, j] = y[s]
    np.testing.assert_allclose(layer(ember.tensor(x)).detach().numpy(), out, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------------------------
# Models: forward, stochastic depth, errors
# ---------------------------------------------------------------------------------------------


def test_tiny_swin_v1_v2_forward_and_backward():
    for extra in ({}, {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2}):
        model = SwinTransformer([4, 4], 8, [2, 2], [1, 2], [4, 4], num_classes=5,
                                stochastic_depth_prob=0.5, **extra)
        assert [b.stochastic_depth.p for s in (1, 3) for b in model.features[s]] == [
            0.0, 0.5 / 3, 1.0 / 3, 0.5]
        assert model.features[1][1].attn.shift_size == [2, 2]
        assert model.features[1][0].attn.shift_size == [0, 0]
        x = ember.randn(2, 3, 36, 44, requires_grad=True)  # not multiples of the window
        y = model.eval()(x)
        assert y.shape == (2, 5)
        y.sum().backward()
        assert x.grad.shape == x.shape and np.isfinite(x.grad.numpy()).all()


def test_swin_t_and_v2_t_forward(quick_init):
    for name in ("swin_t", "swin_v2_t"):
        model = get_model(name, num_classes=7).eval()
        with ember.no_grad():
            assert model(ember.randn(1, 3, 64, 64)).shape == (1, 7)


def test_maxvit_t_forward_and_tiny_backward(quick_init):
    model = maxvit_module.maxvit_t().eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, 224, 224)).shape == (1, 1000)
    tiny = MaxVit((56, 56), 8, 7, [8, 16], [1, 2], 4, 0.2, num_classes=3)
    ps = [layer.layers.MBconv.layers.conv_a[0].in_channels for b in tiny.blocks
          for layer in b.layers]
    assert ps == [8, 8, 16]
    probs = [layer.layers.window_attention.stochastic_dropout.p for b in tiny.blocks
             for layer in b.layers]
    np.testing.assert_allclose(probs, [0.0, 0.1, 0.2])
    assert isinstance(tiny.blocks[0].layers[0].layers.MBconv.stochastic_depth, nn.Identity)
    x = ember.randn(2, 3, 56, 56, requires_grad=True)
    y = tiny.eval()(x)
    assert y.shape == (2, 3)
    y.sum().backward()
    assert x.grad.shape == x.shape


def test_errors():
    with pytest.raises(ValueError, match=r"Input size \(4, 4\) of block 3 is not divisible"):
        maxvit_module.maxvit_t(input_size=(112, 112))
    tiny = MaxVit((56, 56), 8, 7, [8, 16], [1, 1], 4, 0.0, num_classes=3)
    with pytest.raises(ValueError, match=r"built for input of shape \(N, 3, 56, 56\)"):
        tiny(ember.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match="expected input of shape"):
        SwinTransformer([4, 4], 8, [2], [1], [4, 4])(ember.zeros(1, 1, 16, 16))
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        SwinTransformer([4, 4], 8, [2, 2], [3, 3], [4, 4])
    with pytest.raises(ValueError, match="must be of length 2"):
        ShiftedWindowAttention(4, [3], [0, 0], 1)
    with pytest.raises(ValueError, match="expected value 1000 but got 10"):
        swin_module.swin_t(weights="DEFAULT", num_classes=10)


def test_registry():
    for name in STRUCTURE:
        builder = getattr(swin_module, name, None) or getattr(maxvit_module, name)
        assert get_model_weights(name).__name__ in {"Swin_T_Weights", "Swin_S_Weights",
                                                    "Swin_B_Weights", "Swin_V2_T_Weights",
                                                    "Swin_V2_S_Weights", "Swin_V2_B_Weights",
                                                    "MaxVit_T_Weights"}
        assert builder.__doc__ and "Args:" in builder.__doc__


# ---------------------------------------------------------------------------------------------
# Strict loads of torchvision-layout checkpoints through the hub
# ---------------------------------------------------------------------------------------------


def _constant(index: int) -> float:
    return (index % 997 + 1) / 8.0  # exact in float32


@pytest.mark.parametrize("name", ["swin_t", "maxvit_t"])
def test_checkpoint_loads_strictly_through_the_hub(name, checkpoint_server, monkeypatch,  # noqa: F811
                                                   quick_init):
    served, base, requests = checkpoint_server
    reference = get_model(name).state_dict()
    count, _, _, digest, _ = STRUCTURE[name]
    assert (len(reference), _digest(_lines_of(reference))) == (count, digest)
    state = OrderedDict()
    for i, (key, value) in enumerate(reference.items()):
        if value.dtype == ember.int64:  # the relative position index buffers
            state[key] = value.clone()
        else:
            state[key] = ember.tensor(_constant(i), dtype=value.dtype).expand(tuple(value.shape))
    file_name = _publish(state, served, name)
    assert (served / file_name).stat().st_size < 4_000_000  # zero strides kept: a tiny file
    weights = get_model_weights(name).DEFAULT
    monkeypatch.setattr(weights.value, "url", f"{base}/{file_name}")

    loaded = get_model(name, weights=weights, progress=False).state_dict()
    assert list(loaded) == list(reference)
    for i, (key, value) in enumerate(loaded.items()):
        if value.dtype == ember.int64:
            np.testing.assert_array_equal(value.numpy(), reference[key].numpy())
        else:
            assert np.all(value.numpy() == _constant(i)), key
    assert requests == [f"/{file_name}"]

    # a key missing from the file is an error (strict)
    del state[next(iter(state))]
    broken = _publish(state, served, name + "_broken")
    monkeypatch.setattr(weights.value, "url", f"{base}/{broken}")
    with pytest.raises(RuntimeError, match="Missing key"):
        get_model(name, weights=weights, progress=False)


def _lines_of(state):
    return [f"{key}:{tuple(value.shape)}" for key, value in state.items()]
