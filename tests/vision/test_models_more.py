"""EfficientNet B1-B7 and V2, MNASNet, ViT B/32, L/16, L/32, H/14: torchvision's state_dict
layouts, builders, weights entries, forward passes and strict checkpoint loads.

The STRUCTURE literals (entry count, first/last "key:shape", digest of the sorted lines,
parameter count) come from PyTorch 2.13 running torchvision's module definitions (transcribed
from pytorch/vision's ``torchvision/models/{efficientnet,mnasnet,vision_transformer}.py``) on the
meta device; every parameter count equals torchvision's published ``num_params``. PyTorch is
never imported here. The big models are built with initialisers that leave the (lazily
allocated, never touched) memory alone, so even ViT-H/14 (632M parameters) costs ~0.1 s.
"""

from collections import OrderedDict

import numpy as np
import pytest
from test_models import _publish, checkpoint_server, fast_init  # noqa: F401  (fixtures)
from test_models_mobile import _digest

import ember
from ember import nn
from embervision import models
from embervision.models import mnasnet as mnasnet_module  # registers the builders
from embervision.models._efficientnet_v2 import FusedMBConv, FusedMBConvConfig
from embervision.models.mnasnet import MNASNet, _round_to_multiple_of

# name: (state_dict entries, first "key:shape", last "key:shape", digest, parameters)
STRUCTURE = {
    "efficientnet_b1": (508, "features.0.0.weight:(32, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "1d9b1cdd7cdf53f4", 7794184),
    "efficientnet_b2": (508, "features.0.0.weight:(32, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "149c11a58fd6e907", 9109994),
    "efficientnet_b3": (574, "features.0.0.weight:(40, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "4b313c668bdea440", 12233232),
    "efficientnet_b4": (706, "features.0.0.weight:(48, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "c0e2379e46619715", 19341616),
    "efficientnet_b5": (854, "features.0.0.weight:(48, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "e0da34c19da296ec", 30389784),
    "efficientnet_b6": (986, "features.0.0.weight:(56, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "424e53a49485cb72", 43040704),
    "efficientnet_b7": (1200, "features.0.0.weight:(64, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "9f1011b5e554449f", 66347960),
    "efficientnet_v2_s": (782, "features.0.0.weight:(24, 3, 3, 3)",
                          "classifier.1.bias:(1000,)", "50e718a9e82024d4", 21458488),
    "efficientnet_v2_m": (1120, "features.0.0.weight:(24, 3, 3, 3)",
                          "classifier.1.bias:(1000,)", "4fdfc298bc40bf7b", 54139356),
    "efficientnet_v2_l": (1548, "features.0.0.weight:(32, 3, 3, 3)",
                          "classifier.1.bias:(1000,)", "af97e919b3a29a9b", 118515272),
    "mnasnet0_5": (314, "layers.0.weight:(16, 3, 3, 3)", "classifier.1.bias:(1000,)",
                   "d1773810681d89ff", 2218512),
    "mnasnet0_75": (314, "layers.0.weight:(24, 3, 3, 3)", "classifier.1.bias:(1000,)",
                    "20f3e329543289eb", 3170208),
    "mnasnet1_0": (314, "layers.0.weight:(32, 3, 3, 3)", "classifier.1.bias:(1000,)",
                   "5ab6fa8a8fd7b937", 4383312),
    "mnasnet1_3": (314, "layers.0.weight:(40, 3, 3, 3)", "classifier.1.bias:(1000,)",
                   "2ac5e3b974dbf723", 6282256),
    "vit_b_32": (152, "class_token:(1, 1, 768)", "heads.head.bias:(1000,)", "8251448439d8c64a",
                 88224232),
    "vit_l_16": (296, "class_token:(1, 1, 1024)", "heads.head.bias:(1000,)", "d294a543926e6659",
                 304326632),
    "vit_l_32": (296, "class_token:(1, 1, 1024)", "heads.head.bias:(1000,)", "2dcd88c6ce6f631d",
                 306535400),
    # at 224 (the linear-classifier SWAG weights); the default weights are at 518, below
    "vit_h_14": (392, "class_token:(1, 1, 1280)", "heads.head.bias:(1000,)", "8a77a3543faa7cb5",
                 632045800),
}


@pytest.fixture
def shape_only(monkeypatch):
    """Initialisers that leave the memory alone: these tests read shapes only, and untouched
    pages of a fresh allocation are never mapped, so even the biggest models cost nothing."""
    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "xavier_uniform_",
                 "trunc_normal_", "zeros_", "ones_", "constant_"):
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)


def _lines(model):
    return [f"{key}:{tuple(value.shape)}" for key, value in model.state_dict().items()]


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_state_dict_layout_matches_torchvision(name, shape_only):
    count, first, last, digest, num_params = STRUCTURE[name]
    model = models.get_model(name)
    lines = _lines(model)
    assert (len(lines), lines[0], lines[-1], _digest(lines)) == (count, first, last, digest)
    assert sum(p.numel() for p in model.parameters()) == num_params
    assert models.get_model_weights(name).DEFAULT.meta["num_params"] == num_params \
        or name == "vit_h_14"


@pytest.mark.parametrize("name,image_size,digest,num_params", [
    ("vit_h_14", 518, "06d73044de56f64c", 633470440),  # IMAGENET1K_SWAG_E2E_V1 (default)
    ("vit_l_16", 512, "0cc8e8f24ab2fcdd", 305174504),  # IMAGENET1K_SWAG_E2E_V1
    ("vit_b_32", 384, "83d2f8dd1223c1fd", 88297192),   # no weights at 384: a longer embedding
])
def test_vit_layout_at_other_image_sizes(name, image_size, digest, num_params, shape_only):
    model = models.get_model(name, image_size=image_size)
    assert _digest(_lines(model)) == digest
    assert sum(p.numel() for p in model.parameters()) == num_params


def test_registry_lists_the_new_builders():
    names = set(models.list_models())
    assert {f"efficientnet_b{i}" for i in range(8)} | {"efficientnet_v2_s", "efficientnet_v2_m",
                                                         "efficientnet_v2_l"} <= names
    assert {"mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"} <= names
    assert {"vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"} <= names
    assert models.get_model_weights("efficientnet_v2_m") is models.EfficientNet_V2_M_Weights
    assert models.get_weight("EfficientNet_V2_L_Weights.DEFAULT") is \
        models.EfficientNet_V2_L_Weights.IMAGENET1K_V1
    assert models.get_model_weights("mnasnet1_3") is mnasnet_module.MNASNet1_3_Weights
    # torchvision exposes the V2 pieces from models.efficientnet too
    from embervision.models import efficientnet
    assert efficientnet.efficientnet_v2_s is models.efficientnet_v2_s
    assert efficientnet.FusedMBConv is FusedMBConv


# ---------------------------------------------------------------------------------------------
# Weights entries (torchvision's models/{efficientnet,mnasnet,vision_transformer}.py)
# ---------------------------------------------------------------------------------------------

BICUBIC, BILINEAR = models.InterpolationMode.BICUBIC, models.InterpolationMode.BILINEAR
# enum member: (file, crop, resize, interpolation, min_size, acc@1, num_params)
WEIGHTS = {
    "EfficientNet_B0_Weights.IMAGENET1K_V1": ("efficientnet_b0_rwightman-7f5810bc.pth", 224,
                                              256, BICUBIC, (1, 1), 77.692, 5288548),
    "EfficientNet_B1_Weights.IMAGENET1K_V1": ("efficientnet_b1_rwightman-bac287d4.pth", 240,
                                              256, BICUBIC, (1, 1), 78.642, 7794184),
    "EfficientNet_B1_Weights.IMAGENET1K_V2": ("efficientnet_b1-c27df63c.pth", 240, 255,
                                              BILINEAR, (1, 1), 79.838, 7794184),
    "EfficientNet_B2_Weights.IMAGENET1K_V1": ("efficientnet_b2_rwightman-c35c1473.pth", 288,
                                              288, BICUBIC, (1, 1), 80.608, 9109994),
    "EfficientNet_B3_Weights.IMAGENET1K_V1": ("efficientnet_b3_rwightman-b3899882.pth", 300,
                                              320, BICUBIC, (1, 1), 82.008, 12233232),
    "EfficientNet_B4_Weights.IMAGENET1K_V1": ("efficientnet_b4_rwightman-23ab8bcd.pth", 380,
                                              384, BICUBIC, (1, 1), 83.384, 19341616),
    "EfficientNet_B5_Weights.IMAGENET1K_V1": ("efficientnet_b5_lukemelas-1a07897c.pth", 456,
                                              456, BICUBIC, (1, 1), 83.444, 30389784),
    "EfficientNet_B6_Weights.IMAGENET1K_V1": ("efficientnet_b6_lukemelas-24a108a5.pth", 528,
                                              528, BICUBIC, (1, 1), 84.008, 43040704),
    "EfficientNet_B7_Weights.IMAGENET1K_V1": ("efficientnet_b7_lukemelas-c5b4e57e.pth", 600,
                                              600, BICUBIC, (1, 1), 84.122, 66347960),
    "EfficientNet_V2_S_Weights.IMAGENET1K_V1": ("efficientnet_v2_s-dd5fe13b.pth", 384, 384,
                                                BILINEAR, (33, 33), 84.228, 21458488),
    "EfficientNet_V2_M_Weights.IMAGENET1K_V1": ("efficientnet_v2_m-dc08266a.pth", 480, 480,
                                                BILINEAR, (33, 33), 85.112, 54139356),
    "EfficientNet_V2_L_Weights.IMAGENET1K_V1": ("efficientnet_v2_l-59c71312.pth", 480, 480,
                                                BICUBIC, (33, 33), 85.808, 118515272),
    "MNASNet0_5_Weights.IMAGENET1K_V1": ("mnasnet0.5_top1_67.823-3ffadce67e.pth", 224, 256,
                                         BILINEAR, (1, 1), 67.734, 2218512),
    "MNASNet0_75_Weights.IMAGENET1K_V1": ("mnasnet0_75-7090bc5f.pth", 224, 232, BILINEAR,
                                          (1, 1), 71.180, 3170208),
    "MNASNet1_0_Weights.IMAGENET1K_V1": ("mnasnet1.0_top1_73.512-f206786ef8.pth", 224, 256,
                                         BILINEAR, (1, 1), 73.456, 4383312),
    "MNASNet1_3_Weights.IMAGENET1K_V1": ("mnasnet1_3-a4c69d6f.pth", 224, 232, BILINEAR, (1, 1),
                                         76.506, 6282256),
    "ViT_B_32_Weights.IMAGENET1K_V1": ("vit_b_32-d86f8d99.pth", 224, 256, BILINEAR,
                                       (224, 224), 75.912, 88224232),
    "ViT_L_16_Weights.IMAGENET1K_V1": ("vit_l_16-852ce7e3.pth", 224, 242, BILINEAR, (224, 224),
                                       79.662, 304326632),
    "ViT_L_16_Weights.IMAGENET1K_SWAG_E2E_V1": ("vit_l_16_swag-4f3808c9.pth", 512, 512, BICUBIC,
                                                (512, 512), 88.064, 305174504),
    "ViT_L_16_Weights.IMAGENET1K_SWAG_LINEAR_V1": ("vit_l_16_lc_swag-4d563306.pth", 224, 224,
                                                   BICUBIC, (224, 224), 85.146, 304326632),
    "ViT_L_32_Weights.IMAGENET1K_V1": ("vit_l_32-c7638314.pth", 224, 256, BILINEAR, (224, 224),
                                       76.972, 306535400),
    "ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1": ("vit_h_14_swag-80465313.pth", 518, 518, BICUBIC,
                                                (518, 518), 88.552, 633470440),
    "ViT_H_14_Weights.IMAGENET1K_SWAG_LINEAR_V1": ("vit_h_14_lc_swag-c1eb923e.pth", 224, 224,
                                                   BICUBIC, (224, 224), 85.708, 632045800),
}


@pytest.mark.parametrize("full_name", sorted(WEIGHTS))
def test_weights_entries(full_name):
    file, crop, resize, interpolation, min_size, acc1, num_params = WEIGHTS[full_name]
    enum_name, member = full_name.split(".")
    # MNASNet's enums are reached through their module until models/__init__ re-exports them
    enum = getattr(models, enum_name, None) or getattr(mnasnet_module, enum_name)
    entry = enum[member]
    assert entry.url == "https://download.pytorch.org/models/" + file
    transforms = entry.transforms()
    assert (transforms.crop_size, transforms.resize_size, transforms.interpolation) == (
        [crop], [resize], interpolation)
    assert entry.meta["min_size"] == min_size
    assert entry.meta["_metrics"]["ImageNet-1K"]["acc@1"] == acc1
    assert entry.meta["num_params"] == num_params
    assert len(entry.meta["categories"]) == 1000


def test_default_weights_and_special_transforms():
    assert models.EfficientNet_B1_Weights.DEFAULT is models.EfficientNet_B1_Weights.IMAGENET1K_V2
    assert models.ViT_H_14_Weights.DEFAULT is models.ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1
    assert models.ViT_L_16_Weights.DEFAULT is models.ViT_L_16_Weights.IMAGENET1K_V1
    # the V2-L weights (ported from TensorFlow) expect inputs normalised to [-1, 1]
    t = models.EfficientNet_V2_L_Weights.DEFAULT.transforms()
    assert (list(t.mean), list(t.std)) == ([0.5] * 3, [0.5] * 3)
    assert list(models.EfficientNet_V2_S_Weights.DEFAULT.transforms().mean) == [0.485, 0.456,
                                                                               0.406]
    # weights fix ViT's image size before anything is downloaded
    with pytest.raises(ValueError, match="'image_size' expected value 518 but got 224"):
        models.vit_h_14(weights="DEFAULT", image_size=224)
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        mnasnet_module.mnasnet1_0(weights="DEFAULT", num_classes=10)


# ---------------------------------------------------------------------------------------------
# EfficientNet builders and FusedMBConv
# ---------------------------------------------------------------------------------------------


def test_efficientnet_builder_hyperparameters(shape_only):
    # dropout defaults, BatchNorm settings and stochastic depth of torchvision's builders
    expected = {"efficientnet_b1": (0.2, 1e-5, 0.1), "efficientnet_b4": (0.4, 1e-5, 0.1),
                "efficientnet_b5": (0.4, 1e-3, 0.01), "efficientnet_b7": (0.5, 1e-3, 0.01),
                "efficientnet_v2_s": (0.2, 1e-3, 0.1), "efficientnet_v2_l": (0.4, 1e-3, 0.1)}
    for name, (dropout, eps, momentum) in expected.items():
        model = models.get_model(name)
        assert model.classifier[0].p == dropout, name
        bn = model.features[0][1]
        assert (bn.eps, bn.momentum) == (eps, momentum), name
    v2_s = models.efficientnet_v2_s(dropout=0.1)
    assert v2_s.classifier[0].p == 0.1
    blocks = [b for stage in list(v2_s.features)[1:-1] for b in stage]
    assert len(blocks) == 40
    assert [type(b).__name__ for b in blocks[:10]] == ["FusedMBConv"] * 10
    assert type(blocks[10]).__name__ == "MBConv"
    # drop probability grows linearly: 0.2 * index / 40
    np.testing.assert_allclose([b.stochastic_depth.p for b in blocks],
                               0.2 * np.arange(40) / 40)
    # expand_ratio 1: a single 3x3 conv; otherwise the fused 3x3 expansion and a 1x1 projection
    assert len(blocks[0].block) == 1 and tuple(blocks[0].block[0][0].weight.shape) == (
        24, 24, 3, 3)
    assert [tuple(c[0].weight.shape) for c in blocks[2].block] == [(96, 24, 3, 3),
                                                                    (48, 96, 1, 1)]
    assert models.efficientnet_v2_s().features[-1][0].out_channels == 1280


def _np_conv3x3(x, w):
    """Cross-correlation, stride 1, zero padding 1, written as nine shifted products."""
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, width = x.shape[2:]
    out = np.zeros((x.shape[0], w.shape[0], h, width))
    for i in range(3):  # loop over the 9 kernel taps, not over pixels
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", padded[:, :, i:i + h, j:j + width], w[:, :, i, j])
    return out


def test_fused_mbconv_matches_numpy():
    """expand_ratio 4: conv3x3 -> BN -> SiLU -> conv1x1 -> BN, plus the identity (eval)."""
    ember.manual_seed(0)
    block = FusedMBConv(FusedMBConvConfig(4, 3, 1, 4, 4, 1), 0.0, nn.BatchNorm2d).double()
    rng = np.random.default_rng(0)
    state = {k: ember.tensor(rng.uniform(0.5, 1.5, tuple(v.shape)) if "running_var" in k
                             else rng.standard_normal(tuple(v.shape)) * 0.3)
             for k, v in block.state_dict().items() if "num_batches" not in k}
    block.load_state_dict(state, strict=False)
    x = rng.standard_normal((2, 4, 5, 6))
    out = block.eval()(ember.tensor(x)).detach().numpy()

    def bn(y, prefix):
        s = {k[len(prefix):]: v.numpy() for k, v in state.items() if k.startswith(prefix)}
        shape = (1, -1, 1, 1)
        return ((y - s["running_mean"].reshape(shape)) / np.sqrt(s["running_var"].reshape(shape)
                + 1e-5) * s["weight"].reshape(shape) + s["bias"].reshape(shape))

    y = bn(_np_conv3x3(x, state["block.0.0.weight"].numpy()), "block.0.1.")
    y = y / (1 + np.exp(-y))  # SiLU
    y = bn(np.einsum("nchw,oc->nohw", y, state["block.1.0.weight"].numpy()[:, :, 0, 0]),
           "block.1.1.")
    np.testing.assert_allclose(out, y + x, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="illegal stride value"):
        FusedMBConv(FusedMBConvConfig(1, 3, 3, 4, 4, 1), 0.0, nn.BatchNorm2d)


@pytest.mark.parametrize("name,size", [("efficientnet_b1", 32), ("efficientnet_v2_s", 33)])
def test_efficientnet_forward_and_backward(name, size, fast_init):  # noqa: F811
    model = models.get_model(name, num_classes=7)
    out = model.train()(ember.randn(2, 3, size, size))
    assert out.shape == (2, 7) and out.dtype == ember.float32
    out.sum().backward()
    assert model.classifier[1].weight.grad is not None


# ---------------------------------------------------------------------------------------------
# MNASNet
# ---------------------------------------------------------------------------------------------


def test_mnasnet_forward_init_and_rounding():
    ember.manual_seed(0)
    model = mnasnet_module.mnasnet0_5(num_classes=10)
    out = model.eval()(ember.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and bool(ember.isfinite(out).all())
    model.train()(ember.randn(2, 3, 32, 32)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    # kaiming_uniform_(mode="fan_out", nonlinearity="sigmoid"): bound sqrt(3 / 10)
    w = model.classifier[1].weight.detach().numpy()
    assert np.abs(w).max() <= np.sqrt(3 / 10) and np.abs(w).max() > 0.9 * np.sqrt(3 / 10)
    assert model.layers[1].momentum == pytest.approx(3e-4)
    # the stacks: (in, out, kernel, stride, expansion, repeats) from the paper's Figure 7
    assert [len(model.layers[i]) for i in range(8, 14)] == [3, 3, 3, 2, 4, 1]
    assert [model.layers[i][0].layers[3].kernel_size for i in range(8, 14)] == [
        (3, 3), (5, 5), (5, 5), (3, 3), (5, 5), (3, 3)]
    assert not model.layers[8][0].apply_residual and model.layers[8][1].apply_residual
    assert (_round_to_multiple_of(83, 8), _round_to_multiple_of(84, 8)) == (80, 88)
    with pytest.raises(ValueError, match="alpha should be greater than 0.0 instead of 0"):
        MNASNet(0)
    with pytest.raises(ValueError, match=r"MNASNet: expected input of shape \(N, 3, H, W\)"):
        model(ember.zeros(1, 1, 32, 32))


def test_mnasnet_loads_version_1_checkpoints_with_a_warning():
    """torchvision's first MNASNet kept the stem at 32/16 channels for every alpha; such
    checkpoints (version 1 in their metadata) load into a patched model, with a warning."""
    old = MNASNet(0.5)
    for i, layer in enumerate([nn.Conv2d(3, 32, 3, padding=1, stride=2, bias=False),
                               nn.BatchNorm2d(32)]):
        old.layers[i] = layer
    old.layers[3] = nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)
    old.layers[4] = nn.BatchNorm2d(32)
    old.layers[6] = nn.Conv2d(32, 16, 1, bias=False)
    old.layers[7] = nn.BatchNorm2d(16)
    from embervision.models.mnasnet import _BN_MOMENTUM, _stack
    old.layers[8] = _stack(16, 16, 3, 2, 3, 3, _BN_MOMENTUM)
    state = old.state_dict()
    assert state._metadata[""]["version"] == 2
    state._metadata[""]["version"] = 1
    new = MNASNet(0.5)
    with pytest.warns(UserWarning, match="A new version of MNASNet model has been implemented"):
        new.load_state_dict(state)
    assert tuple(new.layers[0].weight.shape) == (32, 3, 3, 3)
    assert new.state_dict()._metadata[""]["version"] == 1
    np.testing.assert_array_equal(new.layers[6].weight.detach().numpy(),
                                  old.layers[6].weight.detach().numpy())
    # a current checkpoint, or a plain dict without metadata, loads as version 2
    current = MNASNet(0.5)
    current.load_state_dict(MNASNet(0.5).state_dict())
    current.load_state_dict(dict(MNASNet(0.5).state_dict()))
    assert tuple(current.layers[0].weight.shape) == (16, 3, 3, 3)


# ---------------------------------------------------------------------------------------------
# ViT builders
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,dims", [("vit_b_32", (32, 12, 12, 768, 3072)),
                                       ("vit_l_16", (16, 24, 16, 1024, 4096)),
                                       ("vit_l_32", (32, 24, 16, 1024, 4096)),
                                       ("vit_h_14", (14, 32, 16, 1280, 5120))])
def test_vit_builder_dimensions(name, dims, shape_only):
    model = models.get_model(name)
    patch, layers, heads, width, mlp = dims
    assert (model.patch_size, len(model.encoder.layers), model.hidden_dim, model.mlp_dim) == (
        patch, layers, width, mlp)
    assert model.encoder.layers[0].self_attention.num_heads == heads
    assert model.seq_length == (224 // patch) ** 2 + 1


def test_vit_b_32_forward(fast_init, monkeypatch):  # noqa: F811
    zeros_ = nn.init.zeros_
    for name in ("xavier_uniform_", "trunc_normal_"):  # 88M draws: zeros suffice for shapes
        monkeypatch.setattr(nn.init, name, lambda tensor, *args, **kwargs: zeros_(tensor))
    model = models.vit_b_32(image_size=64, num_classes=5)
    out = model.eval()(ember.randn(2, 3, 64, 64))
    assert out.shape == (2, 5) and model.seq_length == 5


# ---------------------------------------------------------------------------------------------
# A torchvision-format checkpoint, served on 127.0.0.1, loads strictly (one per family)
# ---------------------------------------------------------------------------------------------


def _constant(index: int) -> float:
    return (index % 997 + 1) / 8.0  # exact in float32


@pytest.mark.parametrize("name", ["efficientnet_v2_s", "mnasnet0_75", "vit_b_32"])
def test_torchvision_checkpoint_loads_strictly(
    name, checkpoint_server, monkeypatch, shape_only  # noqa: F811  (pytest fixtures)
):
    served, base, requests = checkpoint_server
    reference = models.get_model(name).state_dict()
    count, _, _, digest, _ = STRUCTURE[name]
    assert (len(reference), _digest(_lines(models.get_model(name)))) == (count, digest)
    state = OrderedDict()  # zero strides: one element per tensor in the file
    for i, (key, value) in enumerate(reference.items()):
        if value.dtype == ember.int64:
            state[key] = ember.tensor(i, dtype=ember.int64).expand(tuple(value.shape))
        else:
            state[key] = ember.tensor(_constant(i), dtype=value.dtype).expand(tuple(value.shape))
    file_name = _publish(state, served, name)
    weights = models.get_model_weights(name).DEFAULT
    monkeypatch.setattr(weights.value, "url", f"{base}/{file_name}")
    loaded = models.get_model(name, weights=weights, progress=False).state_dict()
    assert list(loaded) == list(reference)
    for i, (key, value) in enumerate(loaded.items()):
        expected = i if value.dtype == ember.int64 else _constant(i)
        assert np.all(value.numpy() == expected), key
    assert requests == [f"/{file_name}"]
