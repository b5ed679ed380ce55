"""emberaudio.models.Conformer: torchaudio's state_dict names, an independent NumPy forward,
the padding mask, gradients (float64 finite differences) and input checks."""

import numpy as np
import pytest

import ember
from emberaudio.models.conformer import Conformer

LAYER_KEYS = [
    "ffn1.sequential.0.weight", "ffn1.sequential.0.bias",
    "ffn1.sequential.1.weight", "ffn1.sequential.1.bias",
    "ffn1.sequential.4.weight", "ffn1.sequential.4.bias",
    "self_attn_layer_norm.weight", "self_attn_layer_norm.bias",
    "self_attn.in_proj_weight", "self_attn.in_proj_bias",
    "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "conv_module.layer_norm.weight", "conv_module.layer_norm.bias",
    "conv_module.sequential.0.weight", "conv_module.sequential.0.bias",
    "conv_module.sequential.2.weight", "conv_module.sequential.2.bias",
    "conv_module.sequential.3.weight", "conv_module.sequential.3.bias",
    "conv_module.sequential.3.running_mean", "conv_module.sequential.3.running_var",
    "conv_module.sequential.3.num_batches_tracked",
    "conv_module.sequential.5.weight", "conv_module.sequential.5.bias",
    "ffn2.sequential.0.weight", "ffn2.sequential.0.bias",
    "ffn2.sequential.1.weight", "ffn2.sequential.1.bias",
    "ffn2.sequential.4.weight", "ffn2.sequential.4.bias",
    "final_layer_norm.weight", "final_layer_norm.bias",
]


def _randomise(model, seed=0):
    """Non-trivial values everywhere (biases, LayerNorm affine, BatchNorm running stats), so
    the reference comparison exercises every parameter."""
    rng = np.random.default_rng(seed)
    with ember.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            values = rng.normal(0.0, 0.4, tuple(t.shape))
            if name.endswith("running_var"):
                values = rng.uniform(0.5, 2.0, tuple(t.shape))
            t.copy_(ember.tensor(values.astype(t.numpy().dtype)))


# -- an independent NumPy Conformer ----------------------------------------------------------


def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _silu(x):
    return x / (1.0 + np.exp(-x))


def _ffn(x, p, pre):
    h = _layer_norm(x, p[pre + "0.weight"], p[pre + "0.bias"])
    h = _silu(h @ p[pre + "1.weight"].T + p[pre + "1.bias"])
    return h @ p[pre + "4.weight"].T + p[pre + "4.bias"]


def _mhsa(x, p, pre, heads, pad):
    # x (B, T, D); pad (B, T) True at padded keys
    b, t, d = x.shape
    hd = d // heads
    qkv = x @ p[pre + "in_proj_weight"].T + p[pre + "in_proj_bias"]
    q, k, v = (qkv[..., i * d:(i + 1) * d].reshape(b, t, heads, hd).transpose(0, 2, 1, 3)
               for i in range(3))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    scores = np.where(pad[:, None, None, :], -np.inf, scores)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    ctx = (w @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
    return ctx @ p[pre + "out_proj.weight"].T + p[pre + "out_proj.bias"]


def _conv_module(x, p, pre, group_norm):
    # x (B, T, D): the module as written in the Conformer paper, on (B, T, C) arrays.
    h = _layer_norm(x, p[pre + "layer_norm.weight"], p[pre + "layer_norm.bias"])
    s = pre + "sequential."
    h = h @ p[s + "0.weight"][:, :, 0].T + p[s + "0.bias"]          # pointwise, 2C
    c = h.shape[-1] // 2
    h = h[..., :c] / (1.0 + np.exp(-h[..., c:]))                     # GLU over channels
    w = p[s + "2.weight"][:, 0, :]                                    # depthwise (C, K)
    k = w.shape[1]
    hp = np.pad(h, ((0, 0), ((k - 1) // 2, (k - 1) // 2), (0, 0)))
    h = sum(hp[:, j:j + h.shape[1], :] * w[:, j] for j in range(k)) + p[s + "2.bias"]
    if group_norm:  # one group: statistics over (time, channels) of each sequence
        mu = h.mean(axis=(1, 2), keepdims=True)
        var = h.var(axis=(1, 2), keepdims=True)
        h = (h - mu) / np.sqrt(var + 1e-5) * p[s + "3.weight"] + p[s + "3.bias"]
    else:  # BatchNorm1d in eval: running statistics
        h = ((h - p[s + "3.running_mean"]) / np.sqrt(p[s + "3.running_var"] + 1e-5)
             * p[s + "3.weight"] + p[s + "3.bias"])
    h = _silu(h)
    return h @ p[s + "5.weight"][:, :, 0].T + p[s + "5.bias"]


def _reference(params, x, lengths, num_layers, heads, group_norm=False, conv_first=False):
    pad = np.arange(x.shape[1])[None, :] >= lengths[:, None]
    for i in range(num_layers):
        pre = f"conformer_layers.{i}."
        x = x + 0.5 * _ffn(x, params, pre + "ffn1.sequential.")
        if conv_first:
            x = x + _conv_module(x, params, pre + "conv_module.", group_norm)
        h = _layer_norm(x, params[pre + "self_attn_layer_norm.weight"],
                        params[pre + "self_attn_layer_norm.bias"])
        x = x + _mhsa(h, params, pre + "self_attn.", heads, pad)
        if not conv_first:
            x = x + _conv_module(x, params, pre + "conv_module.", group_norm)
        x = x + 0.5 * _ffn(x, params, pre + "ffn2.sequential.")
        x = _layer_norm(x, params[pre + "final_layer_norm.weight"],
                        params[pre + "final_layer_norm.bias"])
    return x


def _run(model, x, lengths):
    """Forward without recording a graph; outputs as NumPy arrays."""
    with ember.no_grad():
        out, out_lengths = model(ember.tensor(x), ember.tensor(lengths))
    return out.numpy(), out_lengths


# -- tests -------------------------------------------------------------------------------


def test_state_dict_keys_are_torchaudios():
    model = Conformer(input_dim=8, num_heads=2, ffn_dim=12, num_layers=2,
                      depthwise_conv_kernel_size=3)
    expected = [f"conformer_layers.{i}.{k}" for i in range(2) for k in LAYER_KEYS]
    assert list(model.state_dict()) == expected
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["conformer_layers.0.ffn1.sequential.1.weight"] == (12, 8)
    assert shapes["conformer_layers.0.self_attn.in_proj_weight"] == (24, 8)
    assert shapes["conformer_layers.0.conv_module.sequential.0.weight"] == (16, 8, 1)
    assert shapes["conformer_layers.0.conv_module.sequential.2.weight"] == (8, 1, 3)
    assert shapes["conformer_layers.0.conv_module.sequential.5.weight"] == (8, 8, 1)
    gn = Conformer(8, 2, 12, 1, 3, use_group_norm=True)
    assert "conformer_layers.0.conv_module.sequential.3.running_mean" not in gn.state_dict()
    assert type(gn.conformer_layers[0].conv_module.sequential[3]).__name__ == "GroupNorm"


@pytest.mark.parametrize("group_norm,conv_first", [(False, False), (True, True)])
def test_forward_matches_numpy_reference(group_norm, conv_first):
    ember.manual_seed(0)
    model = Conformer(input_dim=8, num_heads=2, ffn_dim=12, num_layers=2,
                      depthwise_conv_kernel_size=3, use_group_norm=group_norm,
                      convolution_first=conv_first).double().eval()
    _randomise(model)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 6, 8))
    lengths = np.array([6, 4, 1])
    out, out_lengths = _run(model, x, lengths)
    params = {k: v.numpy() for k, v in model.state_dict().items()}
    expected = _reference(params, x, lengths, 2, 2, group_norm, conv_first)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    assert out_lengths.tolist() == [6, 4, 1]
    assert out.dtype == np.float64 and out.shape == (3, 6, 8)


def test_float32_forward_and_training_mode_batchnorm():
    ember.manual_seed(0)
    model = Conformer(8, 2, 12, 1, 5)
    x = ember.randn(2, 7, 8)
    out, _ = model(x, ember.tensor([7, 5]))
    assert out.dtype == ember.float32 and out.shape == (2, 7, 8)
    bn = model.conformer_layers[0].conv_module.sequential[3]
    assert int(bn.num_batches_tracked.item()) == 1  # training: batch statistics used, tracked
    assert not np.allclose(bn.running_mean.numpy(), 0.0)


def test_padding_never_reaches_valid_frames_through_attention():
    # With a 1-tap depthwise conv, the attention mask is the only path between frames: the
    # valid frames' outputs must not depend on the padded frames' values, over many layers.
    ember.manual_seed(0)
    model = Conformer(8, 2, 12, 3, 1).double().eval()
    _randomise(model)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 9, 8))
    lengths = [9, 5]
    out_a, _ = _run(model, x, lengths)
    x[1, 5:] = rng.normal(scale=50.0, size=(4, 8))
    out_b, _ = _run(model, x, lengths)
    np.testing.assert_allclose(out_a[1, :5], out_b[1, :5], rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_array_equal(out_a[0], out_b[0])  # other rows untouched
    assert not np.allclose(out_a[1, 5:], out_b[1, 5:])


def test_depthwise_conv_sees_padding_like_torchaudio():
    # torchaudio masks only the attention keys: with kernel 5 and one layer, valid frames more
    # than 2 frames before the end are unaffected by the padding, the last 2 are not.
    ember.manual_seed(0)
    model = Conformer(8, 2, 12, 1, 5).double().eval()
    _randomise(model)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 10, 8))
    lengths = [10, 6]
    out_a, _ = _run(model, x, lengths)
    x[1, 6:] = rng.normal(scale=3.0, size=(4, 8))  # (a constant shift would vanish in LN)
    out_b, _ = _run(model, x, lengths)
    a, b = out_a[1], out_b[1]
    np.testing.assert_allclose(a[:4], b[:4], rtol=1e-12, atol=1e-12)
    assert not np.allclose(a[4:6], b[4:6])


def test_gradcheck_tiny_float64():
    ember.manual_seed(0)
    lengths = ember.tensor([4, 2])
    x = ember.randn(2, 4, 4, dtype=ember.float64, requires_grad=True)
    for group_norm in (False, True):
        model = Conformer(4, 2, 6, 1, 3, use_group_norm=group_norm).double()  # training mode
        _randomise(model, seed=4)
        assert ember.autograd.gradcheck(lambda t, m=model: m(t, lengths)[0], (x,))
    # parameters receive gradients too
    model(x, lengths)[0].sum().backward()
    w = model.conformer_layers[0].conv_module.sequential[2].weight
    assert w.grad is not None and w.grad.shape == (4, 1, 3)


def test_input_errors():
    model = Conformer(8, 2, 12, 1, 3)
    with pytest.raises(ValueError, match=r"Conformer: expected input of shape \(B, T, 8\), "
                                         r"got \(2, 5, 6\)"):
        model(ember.randn(2, 5, 6), ember.tensor([5, 5]))
    with pytest.raises(ValueError, match=r"expected lengths of shape \(2,\)"):
        model(ember.randn(2, 5, 8), ember.tensor([5]))
    with pytest.raises(ValueError, match=r"max\(lengths\)=4 must equal the input's 5 frames"):
        model(ember.randn(2, 5, 8), ember.tensor([4, 3]))
    with pytest.raises(TypeError, match="lengths must be an integer tensor"):
        model(ember.randn(2, 5, 8), ember.tensor([5.0, 3.0]))
    with pytest.raises(ValueError, match="depthwise_conv_kernel_size must be odd"):
        Conformer(8, 2, 12, 1, 4)
    with pytest.raises(ValueError, match="input_dim=8 must be divisible by num_heads=3"):
        Conformer(8, 3, 12, 1, 3)
