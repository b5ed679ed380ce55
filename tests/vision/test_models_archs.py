"""embervision.models architectures: torchvision's exact state_dict layout, forward numerics,
initialisation and constructor options.

The literal fixtures were derived from torchvision's own model source (pytorch/vision) run with
PyTorch, never imported here: full key -> shape tables for small models, and for larger ones the
key count, first/last entries, parameter count (equal to torchvision's published ``num_params``)
and a hash of the sorted ``key:shape`` lines. The forward references are torchvision's outputs
in float64 for the deterministic weights and input defined below.
"""

import hashlib

import numpy as np
import pytest

import ember
from ember import nn
from embervision import models
from embervision.models.densenet import _rename_old_keys
from embervision.models.resnet import BasicBlock, Bottleneck, ResNet


@pytest.fixture
def fast_init(monkeypatch):
    """Fill with zeros instead of random draws: these tests check structure, not the draws
    (random initialisation of VGG's 100M-weight classifier alone takes seconds)."""
    zeros_ = nn.init.zeros_

    def zero(tensor, *args, **kwargs):
        return zeros_(tensor)

    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_",
                 "xavier_uniform_", "xavier_normal_", "trunc_normal_"):
        monkeypatch.setattr(nn.init, name, zero)


def _lines(model):
    return [f"{key}:{tuple(value.shape)}" for key, value in model.state_dict().items()]


def _np(tensor):
    return tensor.detach().numpy()


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


RESNET18_STATE = {
    "conv1.weight": (64, 3, 7, 7), "bn1.weight": (64,), "bn1.bias": (64,),
    "bn1.running_mean": (64,), "bn1.running_var": (64,), "bn1.num_batches_tracked": (),
    "layer1.0.conv1.weight": (64, 64, 3, 3), "layer1.0.bn1.weight": (64,),
    "layer1.0.bn1.bias": (64,), "layer1.0.bn1.running_mean": (64,),
    "layer1.0.bn1.running_var": (64,), "layer1.0.bn1.num_batches_tracked": (),
    "layer1.0.conv2.weight": (64, 64, 3, 3), "layer1.0.bn2.weight": (64,),
    "layer1.0.bn2.bias": (64,), "layer1.0.bn2.running_mean": (64,),
    "layer1.0.bn2.running_var": (64,), "layer1.0.bn2.num_batches_tracked": (),
    "layer1.1.conv1.weight": (64, 64, 3, 3), "layer1.1.bn1.weight": (64,),
    "layer1.1.bn1.bias": (64,), "layer1.1.bn1.running_mean": (64,),
    "layer1.1.bn1.running_var": (64,), "layer1.1.bn1.num_batches_tracked": (),
    "layer1.1.conv2.weight": (64, 64, 3, 3), "layer1.1.bn2.weight": (64,),
    "layer1.1.bn2.bias": (64,), "layer1.1.bn2.running_mean": (64,),
    "layer1.1.bn2.running_var": (64,), "layer1.1.bn2.num_batches_tracked": (),
    "layer2.0.conv1.weight": (128, 64, 3, 3), "layer2.0.bn1.weight": (128,),
    "layer2.0.bn1.bias": (128,), "layer2.0.bn1.running_mean": (128,),
    "layer2.0.bn1.running_var": (128,), "layer2.0.bn1.num_batches_tracked": (),
    "layer2.0.conv2.weight": (128, 128, 3, 3), "layer2.0.bn2.weight": (128,),
    "layer2.0.bn2.bias": (128,), "layer2.0.bn2.running_mean": (128,),
    "layer2.0.bn2.running_var": (128,), "layer2.0.bn2.num_batches_tracked": (),
    "layer2.0.downsample.0.weight": (128, 64, 1, 1), "layer2.0.downsample.1.weight": (128,),
    "layer2.0.downsample.1.bias": (128,), "layer2.0.downsample.1.running_mean": (128,),
    "layer2.0.downsample.1.running_var": (128,), "layer2.0.downsample.1.num_batches_tracked": (),
    "layer2.1.conv1.weight": (128, 128, 3, 3), "layer2.1.bn1.weight": (128,),
    "layer2.1.bn1.bias": (128,), "layer2.1.bn1.running_mean": (128,),
    "layer2.1.bn1.running_var": (128,), "layer2.1.bn1.num_batches_tracked": (),
    "layer2.1.conv2.weight": (128, 128, 3, 3), "layer2.1.bn2.weight": (128,),
    "layer2.1.bn2.bias": (128,), "layer2.1.bn2.running_mean": (128,),
    "layer2.1.bn2.running_var": (128,), "layer2.1.bn2.num_batches_tracked": (),
    "layer3.0.conv1.weight": (256, 128, 3, 3), "layer3.0.bn1.weight": (256,),
    "layer3.0.bn1.bias": (256,), "layer3.0.bn1.running_mean": (256,),
    "layer3.0.bn1.running_var": (256,), "layer3.0.bn1.num_batches_tracked": (),
    "layer3.0.conv2.weight": (256, 256, 3, 3), "layer3.0.bn2.weight": (256,),
    "layer3.0.bn2.bias": (256,), "layer3.0.bn2.running_mean": (256,),
    "layer3.0.bn2.running_var": (256,), "layer3.0.bn2.num_batches_tracked": (),
    "layer3.0.downsample.0.weight": (256, 128, 1, 1), "layer3.0.downsample.1.weight": (256,),
    "layer3.0.downsample.1.bias": (256,), "layer3.0.downsample.1.running_mean": (256,),
    "layer3.0.downsample.1.running_var": (256,), "layer3.0.downsample.1.num_batches_tracked": (),
    "layer3.1.conv1.weight": (256, 256, 3, 3), "layer3.1.bn1.weight": (256,),
    "layer3.1.bn1.bias": (256,), "layer3.1.bn1.running_mean": (256,),
    "layer3.1.bn1.running_var": (256,), "layer3.1.bn1.num_batches_tracked": (),
    "layer3.1.conv2.weight": (256, 256, 3, 3), "layer3.1.bn2.weight": (256,),
    "layer3.1.bn2.bias": (256,), "layer3.1.bn2.running_mean": (256,),
    "layer3.1.bn2.running_var": (256,), "layer3.1.bn2.num_batches_tracked": (),
    "layer4.0.conv1.weight": (512, 256, 3, 3), "layer4.0.bn1.weight": (512,),
    "layer4.0.bn1.bias": (512,), "layer4.0.bn1.running_mean": (512,),
    "layer4.0.bn1.running_var": (512,), "layer4.0.bn1.num_batches_tracked": (),
    "layer4.0.conv2.weight": (512, 512, 3, 3), "layer4.0.bn2.weight": (512,),
    "layer4.0.bn2.bias": (512,), "layer4.0.bn2.running_mean": (512,),
    "layer4.0.bn2.running_var": (512,), "layer4.0.bn2.num_batches_tracked": (),
    "layer4.0.downsample.0.weight": (512, 256, 1, 1), "layer4.0.downsample.1.weight": (512,),
    "layer4.0.downsample.1.bias": (512,), "layer4.0.downsample.1.running_mean": (512,),
    "layer4.0.downsample.1.running_var": (512,), "layer4.0.downsample.1.num_batches_tracked": (),
    "layer4.1.conv1.weight": (512, 512, 3, 3), "layer4.1.bn1.weight": (512,),
    "layer4.1.bn1.bias": (512,), "layer4.1.bn1.running_mean": (512,),
    "layer4.1.bn1.running_var": (512,), "layer4.1.bn1.num_batches_tracked": (),
    "layer4.1.conv2.weight": (512, 512, 3, 3), "layer4.1.bn2.weight": (512,),
    "layer4.1.bn2.bias": (512,), "layer4.1.bn2.running_mean": (512,),
    "layer4.1.bn2.running_var": (512,), "layer4.1.bn2.num_batches_tracked": (),
    "fc.weight": (1000, 512), "fc.bias": (1000,),
}

ALEXNET_STATE = {
    "features.0.weight": (64, 3, 11, 11), "features.0.bias": (64,),
    "features.3.weight": (192, 64, 5, 5), "features.3.bias": (192,),
    "features.6.weight": (384, 192, 3, 3), "features.6.bias": (384,),
    "features.8.weight": (256, 384, 3, 3), "features.8.bias": (256,),
    "features.10.weight": (256, 256, 3, 3), "features.10.bias": (256,),
    "classifier.1.weight": (4096, 9216), "classifier.1.bias": (4096,),
    "classifier.4.weight": (4096, 4096), "classifier.4.bias": (4096,),
    "classifier.6.weight": (1000, 4096), "classifier.6.bias": (1000,),
}

SQUEEZENET1_1_STATE = {
    "features.0.weight": (64, 3, 3, 3), "features.0.bias": (64,),
    "features.3.squeeze.weight": (16, 64, 1, 1), "features.3.squeeze.bias": (16,),
    "features.3.expand1x1.weight": (64, 16, 1, 1), "features.3.expand1x1.bias": (64,),
    "features.3.expand3x3.weight": (64, 16, 3, 3), "features.3.expand3x3.bias": (64,),
    "features.4.squeeze.weight": (16, 128, 1, 1), "features.4.squeeze.bias": (16,),
    "features.4.expand1x1.weight": (64, 16, 1, 1), "features.4.expand1x1.bias": (64,),
    "features.4.expand3x3.weight": (64, 16, 3, 3), "features.4.expand3x3.bias": (64,),
    "features.6.squeeze.weight": (32, 128, 1, 1), "features.6.squeeze.bias": (32,),
    "features.6.expand1x1.weight": (128, 32, 1, 1), "features.6.expand1x1.bias": (128,),
    "features.6.expand3x3.weight": (128, 32, 3, 3), "features.6.expand3x3.bias": (128,),
    "features.7.squeeze.weight": (32, 256, 1, 1), "features.7.squeeze.bias": (32,),
    "features.7.expand1x1.weight": (128, 32, 1, 1), "features.7.expand1x1.bias": (128,),
    "features.7.expand3x3.weight": (128, 32, 3, 3), "features.7.expand3x3.bias": (128,),
    "features.9.squeeze.weight": (48, 256, 1, 1), "features.9.squeeze.bias": (48,),
    "features.9.expand1x1.weight": (192, 48, 1, 1), "features.9.expand1x1.bias": (192,),
    "features.9.expand3x3.weight": (192, 48, 3, 3), "features.9.expand3x3.bias": (192,),
    "features.10.squeeze.weight": (48, 384, 1, 1), "features.10.squeeze.bias": (48,),
    "features.10.expand1x1.weight": (192, 48, 1, 1), "features.10.expand1x1.bias": (192,),
    "features.10.expand3x3.weight": (192, 48, 3, 3), "features.10.expand3x3.bias": (192,),
    "features.11.squeeze.weight": (64, 384, 1, 1), "features.11.squeeze.bias": (64,),
    "features.11.expand1x1.weight": (256, 64, 1, 1), "features.11.expand1x1.bias": (256,),
    "features.11.expand3x3.weight": (256, 64, 3, 3), "features.11.expand3x3.bias": (256,),
    "features.12.squeeze.weight": (64, 512, 1, 1), "features.12.squeeze.bias": (64,),
    "features.12.expand1x1.weight": (256, 64, 1, 1), "features.12.expand1x1.bias": (256,),
    "features.12.expand3x3.weight": (256, 64, 3, 3), "features.12.expand3x3.bias": (256,),
    "classifier.1.weight": (1000, 512, 1, 1), "classifier.1.bias": (1000,),
}


# name: (number of state_dict entries, first "key:shape", last "key:shape",
#        sha256 of the sorted "key:shape" lines (first 16 hex digits), number of parameters)
STRUCTURE = {
    "resnet18": (122, "conv1.weight:(64, 3, 7, 7)", "fc.bias:(1000,)", "1dcde4b21afa712c",
                 11689512),
    "resnet34": (218, "conv1.weight:(64, 3, 7, 7)", "fc.bias:(1000,)", "c9e0bf87b4391ad8",
                 21797672),
    "resnet50": (320, "conv1.weight:(64, 3, 7, 7)", "fc.bias:(1000,)", "ce6ad2593ee187ab",
                 25557032),
    "resnet101": (626, "conv1.weight:(64, 3, 7, 7)", "fc.bias:(1000,)", "e0e4b4ababa6968b",
                  44549160),
    "resnext50_32x4d": (320, "conv1.weight:(64, 3, 7, 7)", "fc.bias:(1000,)",
                        "a80e6acce41bed49", 25028904),
    "wide_resnet50_2": (320, "conv1.weight:(64, 3, 7, 7)", "fc.bias:(1000,)",
                        "1f42b3c4b9491740", 68883240),
    "alexnet": (16, "features.0.weight:(64, 3, 11, 11)", "classifier.6.bias:(1000,)",
                "dd9c4dec53aa7bdf", 61100840),
    "vgg11": (22, "features.0.weight:(64, 3, 3, 3)", "classifier.6.bias:(1000,)",
              "2dc8d3b001c62172", 132863336),
    "vgg11_bn": (62, "features.0.weight:(64, 3, 3, 3)", "classifier.6.bias:(1000,)",
                 "e4187ae2ee9ff589", 132868840),
    "vgg16": (32, "features.0.weight:(64, 3, 3, 3)", "classifier.6.bias:(1000,)",
              "8d869fc271c12104", 138357544),
    "vgg16_bn": (97, "features.0.weight:(64, 3, 3, 3)", "classifier.6.bias:(1000,)",
                 "82d2ee0373b7e247", 138365992),
    "densenet121": (727, "features.conv0.weight:(64, 3, 7, 7)", "classifier.bias:(1000,)",
                    "ab49849b3ca214f5", 7978856),
    "squeezenet1_0": (52, "features.0.weight:(96, 3, 7, 7)", "classifier.1.bias:(1000,)",
                      "5404f64a358d9a02", 1248424),
    "squeezenet1_1": (52, "features.0.weight:(64, 3, 3, 3)", "classifier.1.bias:(1000,)",
                      "2ba7747eadf15fff", 1235496),
}

# The smallest input each architecture accepts comfortably (kept tiny for speed).
INPUT_SIZE = {"alexnet": 63, "squeezenet1_0": 32, "squeezenet1_1": 32}


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_layout_matches_torchvision_and_forward_shape(name, fast_init):
    count, first, last, digest, num_params = STRUCTURE[name]
    model = models.get_model(name)
    lines = _lines(model)
    assert len(lines) == count
    assert (lines[0], lines[-1]) == (first, last)
    assert hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16] == digest
    assert _num_params(model) == num_params
    # the weight entries' metadata agree with the structure
    assert models.get_model_weights(name).DEFAULT.meta["num_params"] == num_params
    size = INPUT_SIZE.get(name, 32)  # tiny inputs keep this fast
    with ember.no_grad():
        out = model.eval()(ember.zeros(2, 3, size, size))
    assert out.shape == (2, 1000)
    assert out.dtype == ember.float32


@pytest.mark.parametrize("name, table", [("resnet18", RESNET18_STATE),
                                         ("alexnet", ALEXNET_STATE),
                                         ("squeezenet1_1", SQUEEZENET1_1_STATE)])
def test_full_state_dict_tables(name, table, fast_init):
    state = models.get_model(name).state_dict()
    assert [(key, tuple(value.shape)) for key, value in state.items()] == list(table.items())


@pytest.mark.parametrize("name, head", [("resnet50", "fc.weight"),
                                        ("densenet121", "classifier.weight"),
                                        ("squeezenet1_0", "classifier.1.weight")])
def test_num_classes_sets_the_head(name, head, fast_init):
    model = models.get_model(name, num_classes=7)
    assert model.state_dict()[head].shape[0] == 7
    with ember.no_grad():
        assert model.eval()(ember.zeros(1, 3, 32, 32)).shape == (1, 7)


# ---------------------------------------------------------------------------------------------
# Forward numerics against torchvision, with deterministic weights (float64)
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


# name: (input side, out[0, :3], out[1, -2:], out.sum(), abs(out).sum()) from torchvision
TORCHVISION_OUTPUTS = {
    "resnet18": (32, [129127.47185772524, 179109.50602097416, 217195.24561844158],
                 [196332.58229224847, 233436.65158138322], 1170321.8322221625,
                 323984799.6926974),
    "resnext50_32x4d": (32, [-15.680882427746553, -9.752610263066066, 5.722508920695329],
                        [-6.96816497200887, 8.63069803529389], -33.799073460197796,
                        20090.439726585784),
    "densenet121": (32, [-3.8339674613270347, -9.999737245397792, -13.56639710096679],
                    [-10.94251518787601, -13.874361157074087], -60.37808727660051,
                    18016.439237040988),
    "squeezenet1_0": (64, [0.0, 0.0784014956083786, 0.2769595032682289],
                      [0.10779933570670377, 0.30000536389312327], 637.7416739546275,
                      637.7416739546275),
    "squeezenet1_1": (64, [0.010892381450038848, 0.19072923443735518, 0.44454797102717714],
                      [0.26681975628942717, 0.4911129076197439], 583.5982374084979,
                      583.5982374084979),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_OUTPUTS))
def test_forward_matches_torchvision(name, fast_init):
    size, head, tail, total, abs_total = TORCHVISION_OUTPUTS[name]
    model = _load_deterministic(models.get_model(name).double().eval())
    with ember.no_grad():
        out = model(ember.tensor(_deterministic_input((2, 3, size, size)))).numpy()
    assert out.shape == (2, 1000)
    np.testing.assert_allclose(out[0, :3], head, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out[1, -2:], tail, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([out.sum(), np.abs(out).sum()], [total, abs_total], rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# LeNet (Ember's own): layout literal and a NumPy reference forward
# ---------------------------------------------------------------------------------------------

LENET_STATE = {
    "features.0.weight": (6, 1, 5, 5), "features.0.bias": (6,),
    "features.3.weight": (16, 6, 5, 5), "features.3.bias": (16,),
    "classifier.0.weight": (120, 400), "classifier.0.bias": (120,),
    "classifier.2.weight": (84, 120), "classifier.2.bias": (84,),
    "classifier.4.weight": (10, 84), "classifier.4.bias": (10,),
}


def _np_conv(x, w, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", windows, w) + b[None, :, None, None]


def _np_maxpool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def test_lenet_layout_and_forward_against_numpy():
    model = models.lenet()
    state = model.state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == LENET_STATE
    assert _num_params(model) == 61706
    p = {k: v.numpy().astype(np.float64) for k, v in state.items()}
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28))
    h = _np_maxpool2(np.maximum(_np_conv(x, p["features.0.weight"], p["features.0.bias"], 2), 0))
    h = _np_maxpool2(np.maximum(_np_conv(h, p["features.3.weight"], p["features.3.bias"], 0), 0))
    h = h.reshape(2, -1)
    for i, relu in ((0, True), (2, True), (4, False)):
        h = h @ p[f"classifier.{i}.weight"].T + p[f"classifier.{i}.bias"]
        h = np.maximum(h, 0) if relu else h
    with ember.no_grad():
        out = model(ember.tensor(x, dtype=ember.float32)).numpy()
    np.testing.assert_allclose(out, h, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"LeNet: expected input of shape \(N, 1, 28, 28\), "
                                         r"got \(2, 1, 32, 32\)"):
        model(ember.zeros(2, 1, 32, 32))


# ---------------------------------------------------------------------------------------------
# Initialisation: torchvision's calls, recorded
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def init_calls(monkeypatch):
    """Record each nn.init call: (function name, tensor shape, positional args, keyword args)."""
    calls = []
    for name in ("kaiming_uniform_", "kaiming_normal_", "normal_", "constant_", "uniform_"):
        original = getattr(nn.init, name)

        def record(tensor, *args, _name=name, _original=original, **kwargs):
            calls.append((_name, tuple(tensor.shape), args, kwargs))
            return _original(tensor, *args, **kwargs)

        monkeypatch.setattr(nn.init, name, record)
    return calls


def test_resnet_init_is_torchvision(init_calls):
    model = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)
    convs = [c for c in init_calls if c[0] == "kaiming_normal_"]
    assert len(convs) == 1 + 2 * 4 + 3  # stem, two per block, three downsample convs
    assert all(c[3] == {"mode": "fan_out", "nonlinearity": "relu"} for c in convs)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert np.all(_np(module.weight) == 1) and np.all(_np(module.bias) == 0)
    # fan_out kaiming normal: std = sqrt(2 / (out_channels * k * k))
    weight = _np(model.layer4[0].conv2.weight)
    assert abs(weight.std() / np.sqrt(2.0 / (512 * 9)) - 1) < 0.05


def test_vgg_and_densenet_and_squeezenet_init_calls(fast_init, init_calls):
    # fast_init (set up first) replaced the draws with zeros; init_calls records the calls
    models.vgg11()
    linear = [c for c in init_calls if c[0] == "normal_"]
    assert [(c[1], c[2], c[3]) for c in linear] == [
        ((4096, 25088), (0, 0.01), {}), ((4096, 4096), (0, 0.01), {}), ((1000, 4096), (0, 0.01), {})
    ]
    assert all(c[3] == {"mode": "fan_out", "nonlinearity": "relu"}
               for c in init_calls if c[0] == "kaiming_normal_")
    init_calls.clear()
    models.densenet121()
    kn = [c for c in init_calls if c[0] == "kaiming_normal_"]
    assert len(kn) == 120 and all(c[3] == {} and c[2] == () for c in kn)
    init_calls.clear()
    models.squeezenet1_1()
    assert [c for c in init_calls if c[0] == "normal_"] == [
        ("normal_", (1000, 512, 1, 1), (), {"mean": 0.0, "std": 0.01})
    ]


def test_squeezenet_real_init_statistics():
    model = models.squeezenet1_1()
    final = model.classifier[1]
    assert abs(_np(final.weight).std() - 0.01) < 0.0005
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            assert np.all(_np(module.bias) == 0)
    # kaiming_uniform_ with PyTorch's defaults (a=0, fan_in, leaky_relu): bound sqrt(6 / fan_in)
    squeeze = _np(model.features[3].squeeze.weight)  # (16, 64, 1, 1): fan_in 64
    assert np.abs(squeeze).max() <= np.sqrt(6 / 64) + 1e-7
    assert abs(squeeze.std() / np.sqrt(2 / 64) - 1) < 0.15


def test_zero_init_residual():
    basic = ResNet(BasicBlock, [1, 1, 1, 1], zero_init_residual=True)
    bottleneck = ResNet(Bottleneck, [1, 1, 1, 1], zero_init_residual=True, num_classes=5)
    for layer in ("layer1", "layer2", "layer3", "layer4"):
        assert np.all(_np(getattr(basic, layer)[0].bn2.weight) == 0)
        assert np.all(_np(getattr(basic, layer)[0].bn1.weight) == 1)
        assert np.all(_np(getattr(bottleneck, layer)[0].bn3.weight) == 0)
    # every residual branch is zero: a block passes relu(x + 0) through
    block = basic.layer1[0].eval()
    x = ember.randn(1, 64, 8, 8).relu()
    with ember.no_grad():
        np.testing.assert_allclose(block(x).numpy(), x.numpy(), atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Constructor options
# ---------------------------------------------------------------------------------------------


def test_replace_stride_with_dilation(fast_init):
    model = models.resnet50(replace_stride_with_dilation=[False, True, True]).eval()
    assert model.layer3[0].conv2.dilation == (1, 1) and model.layer3[0].conv2.stride == (1, 1)
    assert model.layer3[1].conv2.dilation == (2, 2)
    assert model.layer4[0].conv2.dilation == (2, 2) and model.layer4[1].conv2.dilation == (4, 4)
    with ember.no_grad():
        x = model.maxpool(model.relu(model.bn1(model.conv1(ember.zeros(1, 3, 64, 64)))))
        x = model.layer4(model.layer3(model.layer2(model.layer1(x))))
    assert x.shape == (1, 2048, 8, 8)  # output stride 8 instead of 32
    with pytest.raises(ValueError, match="replace_stride_with_dilation should be None or a "
                                         "3-element tuple, got"):
        models.resnet50(replace_stride_with_dilation=[True, True])
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported in BasicBlock"):
        models.resnet18(replace_stride_with_dilation=[False, False, True])


def test_grouped_and_wide_bottlenecks(fast_init):
    resnext = models.resnext50_32x4d()
    assert resnext.layer1[0].conv2.groups == 32
    assert tuple(resnext.layer1[0].conv2.weight.shape) == (128, 4, 3, 3)  # width 4 * 32
    wide = models.wide_resnet50_2()
    assert tuple(wide.layer4[0].conv2.weight.shape) == (1024, 1024, 3, 3)
    assert tuple(wide.layer4[0].conv3.weight.shape) == (2048, 1024, 1, 1)
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        models.resnet18(groups=2)
    with pytest.raises(ValueError, match="The parameter 'groups' expected value 32 but got 8"):
        models.resnext50_32x4d(groups=8)


def test_norm_layer(fast_init):
    model = models.resnet18(norm_layer=lambda channels: nn.GroupNorm(32, channels), num_classes=4)
    keys = list(model.state_dict())
    assert len(keys) == 122 - 3 * 20  # 20 norm layers lose running_mean/var/num_batches_tracked
    assert not any("running" in key for key in keys)
    assert isinstance(model.layer2[0].downsample[1], nn.GroupNorm)
    with ember.no_grad():
        assert model.eval()(ember.zeros(1, 3, 32, 32)).shape == (1, 4)


def test_bad_inputs_and_options():
    with pytest.raises(ValueError, match=r"ResNet: expected input of shape \(N, 3, H, W\), "
                                         r"got \(3, 32, 32\)"):
        ResNet(BasicBlock, [1, 1, 1, 1])(ember.zeros(3, 32, 32))
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 1_2: 1_0 or 1_1 expected"):
        models.SqueezeNet("1_2")


def test_densenet_old_checkpoint_keys_are_renamed():
    state = {
        "features.denseblock1.denselayer1.norm.1.weight": 1,
        "features.denseblock1.denselayer1.conv.2.weight": 2,
        "features.denseblock4.denselayer16.norm.2.running_var": 3,
        "features.transition1.norm.weight": 4,  # transitions never had the dotted names
        "features.norm5.bias": 5,
    }
    assert _rename_old_keys(state) == {
        "features.denseblock1.denselayer1.norm1.weight": 1,
        "features.denseblock1.denselayer1.conv2.weight": 2,
        "features.denseblock4.denselayer16.norm2.running_var": 3,
        "features.transition1.norm.weight": 4,
        "features.norm5.bias": 5,
    }
