"""MobileNetV2, MobileNetV3 (Large/Small), EfficientNet-B0 and ShuffleNetV2: torchvision's
state_dict layout, numerics, initialisation, weights entries and checkpoint loading.

How the literals were derived (PyTorch is never imported here):
- parameter counts are torchvision's published ``num_params`` for each checkpoint (the same
  numbers appear in the weights' ``meta``), and key names follow torchvision's module source
  (pytorch/vision ``torchvision/models/*.py``, ``ops/misc.py``);
- the key count, first/last ``key:shape`` and the digest of the sorted ``key:shape`` lines, and
  the reference outputs, were computed by PyTorch 2.13 executing these module definitions with
  ``torch`` in place of ``ember`` (float64, the deterministic weights and input defined below):
  the forward literals check Ember's kernels (grouped and depthwise convolutions, batch norm,
  Hardswish/Hardsigmoid/SiLU/ReLU6, squeeze-excitation, channel shuffle) against PyTorch's.
"""

import hashlib

import numpy as np
import pytest

import ember
from ember import nn
from embervision import models
from embervision.models.mobilenetv3 import _mobilenet_v3_conf


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


def _digest(lines):
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]


# name: (state_dict entries, first "key:shape", last "key:shape", digest, parameters)
STRUCTURE = {
    "mobilenet_v2": (314, "features.0.0.weight:(32, 3, 3, 3)", "classifier.1.bias:(1000,)",
                     "8e46697c9016e576", 3504872),
    "mobilenet_v3_large": (312, "features.0.0.weight:(16, 3, 3, 3)",
                           "classifier.3.bias:(1000,)", "c528e0bb2a7fb18b", 5483032),
    "mobilenet_v3_small": (244, "features.0.0.weight:(16, 3, 3, 3)",
                           "classifier.3.bias:(1000,)", "bcde2d45a27d4888", 2542856),
    "efficientnet_b0": (360, "features.0.0.weight:(32, 3, 3, 3)", "classifier.1.bias:(1000,)",
                        "f283c10a15eb79f3", 5288548),
    "shufflenet_v2_x0_5": (338, "conv1.0.weight:(24, 3, 3, 3)", "fc.bias:(1000,)",
                           "eb6c23a73c022f67", 1366792),
    "shufflenet_v2_x1_0": (338, "conv1.0.weight:(24, 3, 3, 3)", "fc.bias:(1000,)",
                           "1ae9092486783b7e", 2278604),
    "shufflenet_v2_x1_5": (338, "conv1.0.weight:(24, 3, 3, 3)", "fc.bias:(1000,)",
                           "2e6da648d9918c59", 3503624),
    "shufflenet_v2_x2_0": (338, "conv1.0.weight:(24, 3, 3, 3)", "fc.bias:(1000,)",
                           "6ea3c56870f1f2d6", 7393996),
}


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_state_dict_layout_matches_torchvision(name, fast_init):
    count, first, last, digest, num_params = STRUCTURE[name]
    model = models.get_model(name)
    lines = _lines(model)
    assert len(lines) == count
    assert (lines[0], lines[-1]) == (first, last)
    assert _digest(lines) == digest
    assert sum(p.numel() for p in model.parameters()) == num_params
    for weights in models.get_model_weights(name):
        assert weights.meta["num_params"] == num_params


def test_characteristic_keys(fast_init):
    v3 = models.mobilenet_v3_small().state_dict()
    # the SE block of the first bottleneck (squeeze width _make_divisible(16 // 4, 8) = 8)
    assert tuple(v3["features.1.block.1.fc1.weight"].shape) == (8, 16, 1, 1)
    assert tuple(v3["features.1.block.1.fc2.bias"].shape) == (16,)
    eff = models.efficientnet_b0().state_dict()
    # stage 2, block 0: expand 16 -> 96, depthwise, SE squeezing to 16 // 4 = 4, project to 24
    assert tuple(eff["features.2.0.block.0.0.weight"].shape) == (96, 16, 1, 1)
    assert tuple(eff["features.2.0.block.1.0.weight"].shape) == (96, 1, 3, 3)
    assert tuple(eff["features.2.0.block.2.fc1.weight"].shape) == (4, 96, 1, 1)
    assert tuple(eff["features.2.0.block.3.0.weight"].shape) == (24, 96, 1, 1)
    shuffle = models.shufflenet_v2_x1_0().state_dict()
    assert tuple(shuffle["stage2.0.branch1.0.weight"].shape) == (24, 1, 3, 3)
    assert "stage2.1.branch1.0.weight" not in shuffle  # stride-1 units have an empty branch1
    assert tuple(shuffle["stage2.1.branch2.0.weight"].shape) == (58, 58, 1, 1)


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
    else:  # conv / linear weight, scaled by fan-in
        value = s * np.sqrt(3.0 / (n // shape[0]))
    return value.reshape(shape)


def _load_deterministic(model):
    state = model.state_dict()
    new = {}
    for index, key in enumerate(sorted(state)):
        if key.endswith("num_batches_tracked"):
            new[key] = state[key]
        else:
            new[key] = ember.tensor(_deterministic_value(index, key, tuple(state[key].shape)))
    model.load_state_dict(new)
    return model


def _deterministic_input(shape):
    return np.sin(np.arange(int(np.prod(shape)), dtype=np.float64) * 0.1).reshape(shape)


# name: (input side, out[0, :3], out[1, -2:], out.sum(), abs(out).sum()) computed by PyTorch
PYTORCH_OUTPUTS = {
    "mobilenet_v2": (32, [4.764691788791591, -2.9986892824635425, 0.225284632776579],
                     [-2.450440835156374, -0.4112772806081762], 3.4806078776745357,
                     6262.418121431559),
    "mobilenet_v3_small": (32, [-1.2070626319825253, -1.2580301291373188, -0.989253306254],
                           [-1.2615048139726712, -0.9284017913517484], -7.264186893083855,
                           1714.778654042394),
    "mobilenet_v3_large": (32, [-1.756876354468231, 1.5569153121649522, -0.5957127744487405],
                           [1.362677576820021, -0.405550830176886], -1.4413028249849063,
                           2356.370505272405),
    "efficientnet_b0": (32, [1.276176181178307, -3.5213406802651455, 4.548413625645387],
                        [-3.8029849342289244, 4.501578218756339], 4.494624159738029,
                        5669.38666434641),
    "shufflenet_v2_x0_5": (32, [2.155873785042117, 1.6186758082037787, 0.6557899121179356],
                           [1.4836671085357833, 0.4458482274380272], 8.943480197360918,
                           2928.7453846164335),
}


@pytest.mark.parametrize("name", sorted(PYTORCH_OUTPUTS))
def test_forward_matches_pytorch(name, fast_init):
    size, head, tail, total, abs_total = PYTORCH_OUTPUTS[name]
    model = _load_deterministic(models.get_model(name).double().eval())
    with ember.no_grad():
        out = model(ember.tensor(_deterministic_input((2, 3, size, size)))).numpy()
    assert out.shape == (2, 1000)
    np.testing.assert_allclose(out[0, :3], head, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out[1, -2:], tail, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([out.sum(), np.abs(out).sum()], [total, abs_total], rtol=1e-9)


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_forward_shape_on_a_small_input(name, fast_init):
    model = models.get_model(name, num_classes=5).eval()
    with ember.no_grad():
        out = model(ember.zeros(1, 3, 32, 40))
    assert out.shape == (1, 5) and out.dtype == ember.float32


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x0_5"])
def test_training_step_reaches_every_parameter(name):
    # train mode: batch statistics, dropout, stochastic depth and in-place activations
    model = models.get_model(name, num_classes=5).train()
    x = ember.tensor(_deterministic_input((2, 3, 32, 32)), dtype=ember.float32)
    out = model(x)
    assert out.shape == (2, 5) and out.dtype == ember.float32
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_options(fast_init):
    slim = models.mobilenet_v2(width_mult=0.5, num_classes=3)
    # widths scale and round to multiples of 8; the head keeps 1280 below width 1
    assert tuple(slim.features[0][0].weight.shape) == (16, 3, 3, 3)
    assert slim.last_channel == 1280 and slim.classifier[0].p == 0.2
    assert models.mobilenet_v2(dropout=0.5).classifier[0].p == 0.5
    with pytest.raises(ValueError, match="inverted_residual_setting should be non-empty"):
        models.MobileNetV2(inverted_residual_setting=[[1, 16, 1]])
    # reduced tail and dilation (torchvision's detection/segmentation backbone options)
    setting, last = _mobilenet_v3_conf("mobilenet_v3_large", reduced_tail=True, dilated=True)
    assert (setting[-1].out_channels, last, setting[-1].dilation) == (80, 640, 2)
    tail = models.mobilenet_v3_large(reduced_tail=True, dilated=True)
    assert tail.eval()(ember.zeros(1, 3, 64, 64)).shape == (1, 1000)
    assert tuple(tail.features[-1][0].weight.shape) == (480, 80, 1, 1)
    # EfficientNet's stochastic depth grows linearly over the 16 blocks, to 0.2 * 15 / 16
    eff = models.efficientnet_b0()
    probs = [m.stochastic_depth.p for m in eff.modules() if hasattr(m, "stochastic_depth")]
    assert len(probs) == 16 and probs[0] == 0.0 and probs[-1] == pytest.approx(0.2 * 15 / 16)
    assert eff.classifier[0].p == 0.2
    with pytest.raises(ValueError, match="Invalid combination of stride 1, inp 24 and oup 116"):
        models.shufflenetv2.InvertedResidual(24, 116, 1)
    with pytest.raises(ValueError, match="expected stages_repeats as list of 3 positive ints"):
        models.ShuffleNetV2([4, 8], [24, 116, 232, 464, 1024])


def test_bad_input_messages(fast_init):
    for name, cls in [("mobilenet_v2", "MobileNetV2"), ("mobilenet_v3_small", "MobileNetV3"),
                      ("efficientnet_b0", "EfficientNet"), ("shufflenet_v2_x0_5", "ShuffleNetV2")]:
        with pytest.raises(ValueError, match=rf"{cls}: expected input of shape \(N, 3, H, W\), "
                                             rf"got \(2, 1, 32, 32\)"):
            models.get_model(name)(ember.zeros(2, 1, 32, 32))


# ---------------------------------------------------------------------------------------------
# Initialisation (torchvision's)
# ---------------------------------------------------------------------------------------------


def test_default_initialisation():
    ember.manual_seed(0)
    model = models.mobilenet_v3_small()
    head = model.classifier[3]
    assert abs(head.weight.detach().numpy().std() - 0.01) < 0.001
    assert not head.bias.detach().numpy().any()
    conv = model.features[0][0].weight.detach().numpy()  # kaiming normal, fan_out = 16 * 9
    assert abs(conv.std() - np.sqrt(2 / (16 * 9))) < 0.02
    bn = model.features[0][1]
    assert (bn.weight.detach().numpy() == 1).all() and (bn.eps, bn.momentum) == (0.001, 0.01)
    eff = models.efficientnet_b0()
    w = eff.classifier[1].weight.detach().numpy()  # uniform(-1/sqrt(1000), 1/sqrt(1000))
    assert np.abs(w).max() <= 1 / np.sqrt(1000) and np.abs(w).max() > 0.9 / np.sqrt(1000)
    assert eff.features[0][1].eps == 1e-5


# ---------------------------------------------------------------------------------------------
# Weights entries, checkpoints
# ---------------------------------------------------------------------------------------------


def test_weights_entries():
    w = models.MobileNet_V2_Weights
    assert w.DEFAULT is w.IMAGENET1K_V2
    assert w.IMAGENET1K_V1.url == "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth"
    assert w.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 72.154
    t = w.IMAGENET1K_V2.transforms()
    assert (t.crop_size, t.resize_size) == ([224], [232])
    assert models.MobileNet_V3_Large_Weights.DEFAULT.url.endswith("mobilenet_v3_large-5c1a4163.pth")
    assert models.MobileNet_V3_Small_Weights.DEFAULT.url.endswith("mobilenet_v3_small-047dcff4.pth")
    e = models.EfficientNet_B0_Weights.DEFAULT
    assert e.url.endswith("efficientnet_b0_rwightman-7f5810bc.pth")
    t = e.transforms()
    assert (t.crop_size, t.resize_size) == ([224], [256])
    assert t.interpolation == models.InterpolationMode.BICUBIC
    s = models.ShuffleNet_V2_X1_0_Weights.DEFAULT
    assert s.url.endswith("shufflenetv2_x1-5666bf0f80.pth")
    assert s.meta["_metrics"]["ImageNet-1K"] == {"acc@1": 69.362, "acc@5": 88.316}
    for name in STRUCTURE:
        assert len(models.get_model_weights(name).DEFAULT.meta["categories"]) == 1000
    assert models.get_weight("ShuffleNet_V2_X2_0_Weights.IMAGENET1K_V1").transforms().resize_size \
        == [232]


def test_mobilenet_v2_checkpoint_in_pytorch_format_loads_strictly(tmp_path, fast_init):
    source = _load_deterministic(models.mobilenet_v2().eval())
    path = tmp_path / "mobilenet_v2.pth"
    ember.save(source.state_dict(), path)
    state = ember.load(path)
    lines = [f"{key}:{tuple(value.shape)}" for key, value in state.items()]
    count, first, last, digest, _ = STRUCTURE["mobilenet_v2"]
    assert (len(lines), lines[0], lines[-1], _digest(lines)) == (count, first, last, digest)
    target = models.mobilenet_v2().eval()
    result = target.load_state_dict(state)  # strict
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    x = ember.tensor(_deterministic_input((1, 3, 32, 32)), dtype=ember.float32)
    with ember.no_grad():
        np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())
    del state["classifier.1.bias"]
    state["classifier.2.weight"] = ember.zeros(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "classifier.1.bias"'
                                           r'[\s\S]*Unexpected key\(s\) in state_dict: '
                                           r'"classifier.2.weight"'):
        models.mobilenet_v2().load_state_dict(state)


def test_mobilenet_v2_pretrained_weights_through_the_hub(tmp_path, monkeypatch, file_server,
                                                        fast_init):
    source = _load_deterministic(models.mobilenet_v2().float())
    ember.save(source.state_dict(), tmp_path / "ckpt.pth")
    data = (tmp_path / "ckpt.pth").read_bytes()
    name = f"mobilenet_v2-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    file_server.files["/models/" + name] = data
    entry = models.MobileNet_V2_Weights.IMAGENET1K_V1
    monkeypatch.setattr(entry.value, "url", f"{file_server.url}/models/{name}")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    model = models.mobilenet_v2(weights="IMAGENET1K_V1", progress=False)
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy())
    assert file_server.requests == ["/models/" + name]
    models.mobilenet_v2(weights=entry, progress=False)  # second time: from the cache
    assert file_server.requests == ["/models/" + name]
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.mobilenet_v2(weights=entry, num_classes=10)
