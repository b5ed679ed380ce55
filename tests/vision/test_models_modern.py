"""ConvNeXt and the Vision Transformer: torchvision's state_dict layout, numerics,
initialisation, options and weights entries.

The literals were derived as in ``test_models_mobile.py``: parameter counts are torchvision's
published ``num_params``; key counts, first/last entries, digests of the sorted ``key:shape``
lines and the reference outputs come from PyTorch 2.13 executing these module definitions with
``torch`` in place of ``ember`` (float64, deterministic weights), which checks Ember's
LayerNorm, GELU, depthwise convolution, permutes and ``nn.MultiheadAttention`` against
PyTorch's. PyTorch is never imported here.
"""

import hashlib
import math

import numpy as np
import pytest

import ember
from ember import nn
from embervision import models
from embervision.models.convnext import CNBlockConfig, ConvNeXt, LayerNorm2d
from embervision.models.vision_transformer import ConvStemConfig, VisionTransformer


@pytest.fixture
def fast_init(monkeypatch):
    """Zeros instead of random draws: these tests check structure, not the draws."""
    zeros_ = nn.init.zeros_

    def zero(tensor, *args, **kwargs):
        return zeros_(tensor)

    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_",
                 "xavier_uniform_", "trunc_normal_"):
        monkeypatch.setattr(nn.init, name, zero)


def _lines(model):
    return [f"{key}:{tuple(value.shape)}" for key, value in model.state_dict().items()]


STRUCTURE = {
    "convnext_tiny": (182, "features.0.0.weight:(96, 3, 4, 4)", "classifier.2.bias:(1000,)",
                      "ac823e08e31e87ce", 28589128),
    "convnext_small": (344, "features.0.0.weight:(96, 3, 4, 4)", "classifier.2.bias:(1000,)",
                       "40c86b55d4b3a639", 50223688),
    "vit_b_16": (152, "class_token:(1, 1, 768)", "heads.head.bias:(1000,)", "a225aad3d62d44e8",
                 86567656),
}


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_state_dict_layout_matches_torchvision(name, fast_init):
    count, first, last, digest, num_params = STRUCTURE[name]
    model = models.get_model(name)
    lines = _lines(model)
    assert len(lines) == count
    assert (lines[0], lines[-1]) == (first, last)
    assert hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16] == digest
    assert sum(p.numel() for p in model.parameters()) == num_params
    assert models.get_model_weights(name).DEFAULT.meta["num_params"] == num_params


VIT_TINY_STATE = [
    ("class_token", (1, 1, 8)),
    ("conv_proj.weight", (8, 3, 16, 16)),
    ("conv_proj.bias", (8,)),
    ("encoder.pos_embedding", (1, 5, 8)),
    ("encoder.layers.encoder_layer_0.ln_1.weight", (8,)),
    ("encoder.layers.encoder_layer_0.ln_1.bias", (8,)),
    ("encoder.layers.encoder_layer_0.self_attention.in_proj_weight", (24, 8)),
    ("encoder.layers.encoder_layer_0.self_attention.in_proj_bias", (24,)),
    ("encoder.layers.encoder_layer_0.self_attention.out_proj.weight", (8, 8)),
    ("encoder.layers.encoder_layer_0.self_attention.out_proj.bias", (8,)),
    ("encoder.layers.encoder_layer_0.ln_2.weight", (8,)),
    ("encoder.layers.encoder_layer_0.ln_2.bias", (8,)),
    ("encoder.layers.encoder_layer_0.mlp.0.weight", (16, 8)),
    ("encoder.layers.encoder_layer_0.mlp.0.bias", (16,)),
    ("encoder.layers.encoder_layer_0.mlp.3.weight", (8, 16)),
    ("encoder.layers.encoder_layer_0.mlp.3.bias", (8,)),
    ("encoder.ln.weight", (8,)),
    ("encoder.ln.bias", (8,)),
    ("heads.head.weight", (1000, 8)),
    ("heads.head.bias", (1000,)),
]


def _tiny_vit(**kwargs):
    return VisionTransformer(image_size=32, patch_size=16, num_layers=1, num_heads=2,
                             hidden_dim=8, mlp_dim=16, **kwargs)


def test_tiny_vit_state_dict_and_forward():
    vit = _tiny_vit()
    assert [(k, tuple(v.shape)) for k, v in vit.state_dict().items()] == VIT_TINY_STATE
    assert vit.seq_length == 5  # (32 / 16)^2 patches + the class token
    out = vit.eval()(ember.randn(2, 3, 32, 32))
    assert out.shape == (2, 1000) and out.dtype == ember.float32


# ---------------------------------------------------------------------------------------------
# Numerics against PyTorch (float64, deterministic weights)
# ---------------------------------------------------------------------------------------------


def _deterministic_value(index, key, shape):
    n = int(np.prod(shape)) if shape else 1
    s = np.sin(np.arange(n, dtype=np.float64) * 0.7 + index)
    if key.endswith("running_var"):
        value = 1.0 + 0.25 * (1.0 + s)
    elif key.endswith("running_mean") or key.endswith("bias"):
        value = 0.1 * s
    elif len(shape) == 1:  # a norm layer's weight
        value = 1.0 + 0.1 * s
    else:  # conv / linear weight (and layer_scale, pos_embedding...), scaled by fan-in
        value = s * np.sqrt(3.0 / (n // shape[0]))
    return value.reshape(shape)


def _load_deterministic(model):
    state = model.state_dict()
    model.load_state_dict({
        key: ember.tensor(_deterministic_value(index, key, tuple(state[key].shape)))
        for index, key in enumerate(sorted(state))
    })
    return model


def _deterministic_input(shape):
    return np.sin(np.arange(int(np.prod(shape)), dtype=np.float64) * 0.1).reshape(shape)


def _small_convnext():
    return ConvNeXt([CNBlockConfig(8, 16, 2), CNBlockConfig(16, None, 1)], num_classes=10)


def _small_vit():
    return VisionTransformer(image_size=32, patch_size=16, num_layers=2, num_heads=2,
                             hidden_dim=8, mlp_dim=16, num_classes=10)


# builder: (input side, out[0, :3], out[1, -2:], out.sum(), abs(out).sum()) from PyTorch
PYTORCH_OUTPUTS = {
    "convnext": (_small_convnext, 16,
                 [0.5419775700500469, -0.5103825775115832, -0.7011742677337128],
                 [0.421279552452659, 0.30293201239405443], 0.7698840665584484, 7.520657948008568),
    "vit": (_small_vit, 32, [-0.246579038657721, 0.07397918245434117, 0.36273812556897306],
            [-0.6486665764755662, -0.7101555649724218], -0.8289357537738534, 7.977461092335195),
}


@pytest.mark.parametrize("name", sorted(PYTORCH_OUTPUTS))
def test_forward_matches_pytorch(name):
    build, size, head, tail, total, abs_total = PYTORCH_OUTPUTS[name]
    model = _load_deterministic(build().double().eval())
    with ember.no_grad():
        out = model(ember.tensor(_deterministic_input((2, 3, size, size)))).numpy()
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out[0, :3], head, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out[1, -2:], tail, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([out.sum(), np.abs(out).sum()], [total, abs_total], rtol=1e-9)


def test_layer_norm_2d_against_numpy():
    norm = LayerNorm2d(3, eps=1e-6).double()
    with ember.no_grad():
        norm.weight.copy_(ember.tensor([1.0, 2.0, 0.5]))
        norm.bias.copy_(ember.tensor([0.0, -1.0, 0.25]))
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-6) * np.array([1.0, 2.0, 0.5])[:, None, None] \
        + np.array([0.0, -1.0, 0.25])[:, None, None]
    np.testing.assert_allclose(norm(ember.tensor(x)).detach().numpy(), expected, rtol=1e-10)
    assert list(norm.state_dict()) == ["weight", "bias"]


def test_training_steps_reach_every_parameter():
    for model in (_small_convnext(), _small_vit()):
        out = model.train()(ember.tensor(_deterministic_input((2, 3, 32, 32)),
                                         dtype=ember.float32))
        assert out.shape == (2, 10)
        out.sum().backward()
        # heads start at zero (ViT) but still receive gradients
        assert all(p.grad is not None for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# ConvNeXt specifics
# ---------------------------------------------------------------------------------------------


def test_convnext_blocks_and_options(fast_init):
    model = models.convnext_tiny()
    blocks = [m for m in model.modules() if type(m).__name__ == "CNBlock"]
    assert len(blocks) == 18
    # stochastic depth grows linearly from 0 to 0.1 over the 18 blocks
    probs = [b.stochastic_depth.p for b in blocks]
    np.testing.assert_allclose(probs, 0.1 * np.arange(18) / 17)
    assert tuple(blocks[0].layer_scale.shape) == (96, 1, 1)
    assert type(model.features[1][0].block[1]).__name__ == "Permute"
    assert repr(model.features[0][1]).startswith("LayerNorm2d((96,), eps=1e-06")
    assert models.convnext_tiny(stochastic_depth_prob=0.3, layer_scale=0.5).features[5][8] \
        .stochastic_depth.p == pytest.approx(0.3 * 14 / 17)
    with pytest.raises(ValueError, match="The block_setting should not be empty"):
        ConvNeXt([])
    with pytest.raises(TypeError, match=r"The block_setting should be List\[CNBlockConfig\]"):
        ConvNeXt([(96, 192, 3)])
    assert repr(CNBlockConfig(96, 192, 3)) == ("CNBlockConfig(input_channels=96, "
                                               "out_channels=192, num_layers=3)")


def test_convnext_initialisation():
    ember.manual_seed(0)
    model = ConvNeXt([CNBlockConfig(32, 64, 1), CNBlockConfig(64, None, 1)], num_classes=50)
    w = model.classifier[2].weight.detach().numpy()
    # trunc_normal_(std=0.02) cut at +-2 (absolute: far beyond 0.02, so nearly N(0, 0.02))
    assert abs(w.std() - 0.02) < 0.002 and not model.classifier[2].bias.detach().numpy().any()
    scales = model.features[1][0].layer_scale.detach().numpy()
    assert np.all(scales == np.float32(1e-6))


def test_convnext_weights_entries():
    expected = {
        models.ConvNeXt_Tiny_Weights: ("convnext_tiny-983f1562.pth", 236, 82.520),
        models.ConvNeXt_Small_Weights: ("convnext_small-0c510722.pth", 230, 83.616),
        models.ConvNeXt_Base_Weights: ("convnext_base-6075fbad.pth", 232, 84.062),
        models.ConvNeXt_Large_Weights: ("convnext_large-ea097f82.pth", 232, 84.414),
    }
    for enum, (file, resize, acc1) in expected.items():
        entry = enum.DEFAULT
        assert entry.url == "https://download.pytorch.org/models/" + file
        t = entry.transforms()
        assert (t.crop_size, t.resize_size) == ([224], [resize])
        assert entry.meta["_metrics"]["ImageNet-1K"]["acc@1"] == acc1
        assert entry.meta["min_size"] == (32, 32)


# ---------------------------------------------------------------------------------------------
# ViT specifics
# ---------------------------------------------------------------------------------------------


def test_vit_initialisation():
    ember.manual_seed(0)
    vit = VisionTransformer(image_size=64, patch_size=16, num_layers=1, num_heads=4,
                            hidden_dim=64, mlp_dim=128, num_classes=10)
    assert not vit.heads.head.weight.detach().numpy().any()
    assert not vit.class_token.detach().numpy().any()
    pos = vit.encoder.pos_embedding.detach().numpy()
    assert abs(pos.std() - 0.02) < 0.003
    proj = vit.conv_proj.weight.detach().numpy()  # truncated normal, std 1 / sqrt(fan_in)
    assert abs(proj.std() - math.sqrt(1 / (3 * 16 * 16))) < 0.002
    assert not vit.conv_proj.bias.detach().numpy().any()
    mlp = vit.encoder.layers.encoder_layer_0.mlp
    w = mlp[0].weight.detach().numpy()  # xavier uniform: bound sqrt(6 / (64 + 128))
    bound = math.sqrt(6 / (64 + 128))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(mlp[0].bias.detach().numpy()).max() < 1e-5


def test_vit_options_and_errors():
    rep = _tiny_vit(representation_size=6, num_classes=3)
    assert [k for k in rep.state_dict() if k.startswith("heads")] == [
        "heads.pre_logits.weight", "heads.pre_logits.bias", "heads.head.weight", "heads.head.bias"]
    assert rep.eval()(ember.zeros(1, 3, 32, 32)).shape == (1, 3)
    stem = _tiny_vit(conv_stem_configs=[ConvStemConfig(4, 3, 2), ConvStemConfig(8, 3, 8)])
    keys = [k for k in stem.state_dict() if k.startswith("conv_proj")]
    assert keys[0] == "conv_proj.conv_bn_relu_0.0.weight" and keys[-1] == "conv_proj.conv_last.bias"
    assert stem.eval()(ember.zeros(1, 3, 32, 32)).shape == (1, 1000)
    with pytest.raises(ValueError, match=r"VisionTransformer\(image_size=32, patch_size=16\): "
                                         r"expected input of shape \(N, 3, 32, 32\), got "
                                         r"\(1, 3, 48, 48\)"):
        _tiny_vit()(ember.zeros(1, 3, 48, 48))
    with pytest.raises(ValueError, match="image_size 30 is not divisible by patch_size 16"):
        VisionTransformer(image_size=30, patch_size=16, num_layers=1, num_heads=2, hidden_dim=8,
                          mlp_dim=16)
    # the SWAG end-to-end weights fix the image size to 384, before anything is downloaded
    with pytest.raises(ValueError, match="'image_size' expected value 384 but got 224"):
        models.vit_b_16(weights="IMAGENET1K_SWAG_E2E_V1", image_size=224)


def test_vit_loads_legacy_mlp_key_names():
    """torchvision renamed the MLP's linear_1/linear_2 to 0/3 (MLPBlock version 2); older
    checkpoints (no version metadata) load through the renaming in _load_from_state_dict."""
    source = _load_deterministic(_tiny_vit())
    legacy = {}
    for key, value in source.state_dict().items():
        key = key.replace("mlp.0.", "mlp.linear_1.").replace("mlp.3.", "mlp.linear_2.")
        legacy[key] = value
    assert "encoder.layers.encoder_layer_0.mlp.linear_1.weight" in legacy
    target = _tiny_vit()
    target.load_state_dict(legacy)  # strict: every renamed key found its place
    np.testing.assert_array_equal(
        target.encoder.layers.encoder_layer_0.mlp[3].weight.detach().numpy(),
        source.encoder.layers.encoder_layer_0.mlp[3].weight.detach().numpy())
    # a current state dict records version 2 for the MLP and is not renamed
    state = source.state_dict()
    assert state._metadata["encoder.layers.encoder_layer_0.mlp"]["version"] == 2
    target.load_state_dict(state)


def test_vit_weights_entries():
    w = models.ViT_B_16_Weights
    assert w.DEFAULT is w.IMAGENET1K_V1
    assert w.IMAGENET1K_V1.url == "https://download.pytorch.org/models/vit_b_16-c867db91.pth"
    e2e = w.IMAGENET1K_SWAG_E2E_V1
    assert e2e.url.endswith("vit_b_16_swag-9ac1b537.pth") and e2e.meta["min_size"] == (384, 384)
    t = e2e.transforms()
    assert (t.crop_size, t.resize_size, t.interpolation) == (
        [384], [384], models.InterpolationMode.BICUBIC)
    linear = w.IMAGENET1K_SWAG_LINEAR_V1
    assert linear.url.endswith("vit_b_16_lc_swag-4e70ced5.pth")
    assert linear.meta["_metrics"]["ImageNet-1K"] == {"acc@1": 81.886, "acc@5": 96.180}
    assert e2e.meta["num_params"] == 86859496  # the 384 model's longer positional embedding
    assert "vit_b_16" in models.list_models(include="vit*")
