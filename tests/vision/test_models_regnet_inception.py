"""RegNet (X and Y), GoogLeNet and Inception v3: torchvision's state_dict layout, numerics,
train/eval outputs, initialisation, weights entries and checkpoint loading.

How the literals were derived (PyTorch is never imported here):
- ``num_params`` and the weights' URLs, metrics and presets are torchvision's published values
  (pytorch/vision ``torchvision/models/regnet.py``, ``googlenet.py``, ``inception.py``); the
  RegNet stage tables were checked against torchvision's ``BlockParams.from_init_params`` run
  by PyTorch 2.13 (float32 tensors, as torchvision computes them);
- the key counts, first/last ``key:shape`` and the digests of the sorted ``key:shape`` lines,
  and the reference outputs, were computed by PyTorch 2.13 executing these module definitions
  with ``torch`` in place of ``ember`` (torchvision's ``Conv2dNormActivation`` and
  ``SqueezeExcitation`` for RegNet), in float64 with the deterministic weights and inputs below:
  the forward literals check Ember's kernels (grouped convolutions, ceil-mode max pooling,
  average pooling with padding, asymmetric 1x7/7x1 kernels, squeeze-excitation, batch norm in
  eval and training mode) against PyTorch's.
"""

import hashlib
import importlib

import numpy as np
import pytest
from test_models import _publish, checkpoint_server  # noqa: F401  (fixture)

import ember
from ember import nn
from embervision.models.googlenet import GoogLeNet, GoogLeNet_Weights, GoogLeNetOutputs
from embervision.models.inception import Inception3, Inception_V3_Weights, InceptionOutputs
from embervision.models.regnet import BlockParams, RegNet

# the modules themselves (``embervision.models.googlenet`` is the builder function once the
# package re-exports it, as in torchvision)
googlenet_module = importlib.import_module("embervision.models.googlenet")
inception_module = importlib.import_module("embervision.models.inception")
regnet_module = importlib.import_module("embervision.models.regnet")


@pytest.fixture
def fast_init(monkeypatch):
    """Zeros instead of random draws: these tests check structure, not the draws."""
    zeros_ = nn.init.zeros_

    def zero(tensor, *args, **kwargs):
        return zeros_(tensor)

    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "trunc_normal_"):
        monkeypatch.setattr(nn.init, name, zero)


def _build(name, **kwargs):
    for module in (regnet_module, googlenet_module, inception_module):
        if hasattr(module, name):
            return getattr(module, name)(**kwargs)
    raise KeyError(name)


def _lines(model):
    return [f"{key}:{tuple(value.shape)}" for key, value in model.state_dict().items()]


def _digest(lines):
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]


_STEM, _FC = "stem.0.weight:(32, 3, 3, 3)", "fc.bias:(1000,)"
# name: (state_dict entries, first "key:shape", last "key:shape", digest, parameters)
STRUCTURE = {
    "googlenet": (364, "conv1.conv.weight:(64, 3, 7, 7)", _FC, "8628650f84d7832c", 13004888),
    "inception_v3": (580, "Conv2d_1a_3x3.conv.weight:(32, 3, 3, 3)", _FC, "0ace67673c59cc9c",
                     27161264),
    "regnet_y_400mf": (384, _STEM, _FC, "6bf8acd3bb153743", 4344144),
    "regnet_y_800mf": (340, _STEM, _FC, "0a3c0647b827fff5", 6432512),
    "regnet_y_1_6gf": (626, _STEM, _FC, "4b4de32d3ce45d97", 11202430),
    "regnet_y_3_2gf": (494, _STEM, _FC, "04c446b7871b983e", 19436338),
    "regnet_y_8gf": (406, _STEM, _FC, "5de5228f84527dc0", 39381472),
    "regnet_y_16gf": (428, _STEM, _FC, "fa85ce4dde60cf57", 83590140),
    "regnet_y_32gf": (472, _STEM, _FC, "3e7949f2e452a1f3", 145046770),
    "regnet_x_400mf": (428, _STEM, _FC, "d823742a05e95abf", 5495976),
    "regnet_x_800mf": (320, _STEM, _FC, "1844076fc17e7370", 7259656),
    "regnet_x_1_6gf": (356, _STEM, _FC, "eb56adec0f10c9c7", 9190136),
    "regnet_x_3_2gf": (482, _STEM, _FC, "534a34fa791554da", 15296552),
    "regnet_x_8gf": (446, _STEM, _FC, "35337040db7af2e5", 39572648),
    "regnet_x_16gf": (428, _STEM, _FC, "5aefe46d674a604d", 54278536),
    "regnet_x_32gf": (446, _STEM, _FC, "cdf002ae93016b05", 107811560),
}
# GoogLeNet's published count excludes the auxiliary heads, which the builder drops after
# loading the checkpoint (13004888 with them, as built by default)
_PUBLISHED = {**{name: entry[4] for name, entry in STRUCTURE.items()},
              "googlenet": 6624904, "regnet_y_128gf": 644812894}


_LARGEST = {"regnet_y_16gf", "regnet_y_32gf", "regnet_x_32gf"}  # counted without building


@pytest.mark.parametrize("name", sorted(set(STRUCTURE) - _LARGEST))
def test_state_dict_layout_matches_torchvision(name, fast_init):
    count, first, last, digest, num_params = STRUCTURE[name]
    model = _build(name)
    lines = _lines(model)
    assert (len(lines), lines[0], lines[-1], _digest(lines)) == (count, first, last, digest)
    assert sum(p.numel() for p in model.parameters()) == num_params


def test_characteristic_keys(fast_init):
    y = regnet_module.regnet_y_400mf().state_dict()
    # stage 1: 32 -> 48 channels at stride 2 (projection shortcut), 48 // 8 = 6 groups,
    # SE squeezing to round(0.25 * 32) = 8 (relative to the block's input width)
    assert tuple(y["trunk_output.block1.block1-0.proj.0.weight"].shape) == (48, 32, 1, 1)
    assert tuple(y["trunk_output.block1.block1-0.f.b.0.weight"].shape) == (48, 8, 3, 3)
    assert tuple(y["trunk_output.block1.block1-0.f.se.fc1.weight"].shape) == (8, 48, 1, 1)
    assert tuple(y["trunk_output.block4.block4-5.f.c.1.running_var"].shape) == (440,)
    assert "trunk_output.block2.block2-1.proj.0.weight" not in y  # same shape: identity
    x = regnet_module.regnet_x_400mf().state_dict()
    assert not any(".se." in key for key in x)  # RegNetX has no squeeze-excitation
    g_model, i_model = googlenet_module.googlenet(), inception_module.inception_v3()
    g = g_model.state_dict()
    # the "5x5" branch is a 3x3 (pytorch/vision#906), kept for the published weights
    assert tuple(g["inception3a.branch3.1.conv.weight"].shape) == (32, 16, 3, 3)
    assert tuple(g["aux1.fc1.weight"].shape) == (1024, 2048)
    assert tuple(g["aux2.conv.conv.weight"].shape) == (128, 528, 1, 1)
    i = i_model.state_dict()
    assert tuple(i["Mixed_6b.branch7x7_2.conv.weight"].shape) == (128, 128, 1, 7)
    assert tuple(i["Mixed_7c.branch3x3dbl_3b.conv.weight"].shape) == (384, 384, 3, 1)
    assert tuple(i["AuxLogits.conv1.conv.weight"].shape) == (768, 128, 5, 5)
    assert tuple(i["AuxLogits.fc.weight"].shape) == (1000, 768)
    for model in (g_model, i_model):
        norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        assert norms and all(m.eps == 0.001 for m in norms)  # TensorFlow's default
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        assert all(m.bias is None for m in convs)
    norms = [m for m in regnet_module.regnet_x_400mf().modules()
             if isinstance(m, nn.BatchNorm2d)]
    assert all(m.eps == 1e-5 and m.momentum == 0.1 for m in norms)


# ---------------------------------------------------------------------------------------------
# RegNet's design-space arithmetic
# ---------------------------------------------------------------------------------------------

# the stage tables torchvision's BlockParams.from_init_params computes (depths, widths, groups)
STAGES = {
    "regnet_y_400mf": ([1, 3, 6, 6], [48, 104, 208, 440], 8),
    "regnet_y_3_2gf": ([2, 5, 13, 1], [72, 216, 576, 1512], 24),
    "regnet_y_128gf": ([2, 7, 17, 1], [528, 1056, 2904, 7392], 264),
    "regnet_x_400mf": ([1, 2, 7, 12], [32, 64, 160, 400], 16),
    "regnet_x_8gf": ([2, 5, 15, 1], [80, 240, 720, 1920], [80, 120, 120, 120]),
    "regnet_x_32gf": ([2, 7, 13, 1], [336, 672, 1344, 2520], 168),
}
_INIT_PARAMS = {
    "regnet_y_400mf": dict(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25),
    "regnet_y_800mf": dict(depth=14, w_0=56, w_a=38.84, w_m=2.4, group_width=16, se_ratio=0.25),
    "regnet_y_1_6gf": dict(depth=27, w_0=48, w_a=20.71, w_m=2.65, group_width=24,
                           se_ratio=0.25),
    "regnet_y_3_2gf": dict(depth=21, w_0=80, w_a=42.63, w_m=2.66, group_width=24,
                           se_ratio=0.25),
    "regnet_y_8gf": dict(depth=17, w_0=192, w_a=76.82, w_m=2.19, group_width=56, se_ratio=0.25),
    "regnet_y_16gf": dict(depth=18, w_0=200, w_a=106.23, w_m=2.48, group_width=112,
                          se_ratio=0.25),
    "regnet_y_32gf": dict(depth=20, w_0=232, w_a=115.89, w_m=2.53, group_width=232,
                          se_ratio=0.25),
    "regnet_y_128gf": dict(depth=27, w_0=456, w_a=160.83, w_m=2.52, group_width=264,
                           se_ratio=0.25),
    "regnet_x_400mf": dict(depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16),
    "regnet_x_800mf": dict(depth=16, w_0=56, w_a=35.73, w_m=2.28, group_width=16),
    "regnet_x_1_6gf": dict(depth=18, w_0=80, w_a=34.01, w_m=2.25, group_width=24),
    "regnet_x_3_2gf": dict(depth=25, w_0=88, w_a=26.31, w_m=2.25, group_width=48),
    "regnet_x_8gf": dict(depth=23, w_0=80, w_a=49.56, w_m=2.88, group_width=120),
    "regnet_x_16gf": dict(depth=22, w_0=216, w_a=55.59, w_m=2.1, group_width=128),
    "regnet_x_32gf": dict(depth=23, w_0=320, w_a=69.86, w_m=2.0, group_width=168),
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_block_params_match_torchvision(name):
    depths, widths, groups = STAGES[name]
    params = BlockParams.from_init_params(**_INIT_PARAMS[name])
    assert params.depths == depths and params.widths == widths
    assert params.group_widths == (groups if isinstance(groups, list) else [groups] * 4)
    assert params.strides == [2] * 4 and params.bottleneck_multipliers == [1.0] * 4
    assert params.se_ratio == _INIT_PARAMS[name].get("se_ratio")


def _regnet_param_count(params: BlockParams, num_classes: int = 1000) -> int:
    """Parameters of a RegNet from its stage table, counted by hand (BN: weight + bias)."""
    total, w_in = 3 * 32 * 9 + 2 * 32, 32  # stem
    for w_out, depth, g_w in zip(params.widths, params.depths, params.group_widths):
        for i in range(depth):
            w_b = w_out  # bottleneck multiplier 1
            total += w_in * w_b + 2 * w_b                          # a: 1x1
            total += w_b * g_w * 9 + 2 * w_b                       # b: grouped 3x3
            if params.se_ratio:
                se = round(params.se_ratio * w_in)
                total += (w_b * se + se) + (se * w_b + w_b)        # se: fc1, fc2 with bias
            total += w_b * w_out + 2 * w_out                       # c: 1x1
            if i == 0:  # every stage starts at stride 2: projection shortcut
                total += w_in * w_out + 2 * w_out
            w_in = w_out
    return total + w_in * num_classes + num_classes


@pytest.mark.parametrize("name", sorted(_INIT_PARAMS))
def test_every_regnet_has_torchvisions_parameter_count(name):
    # all 15 models, the 644M-parameter RegNetY-128GF included, without building them
    params = BlockParams.from_init_params(**_INIT_PARAMS[name])
    assert _regnet_param_count(params) == _PUBLISHED[name]
    enum = getattr(regnet_module, "RegNet_" + name[7].upper() + "_" + name[9:].upper()
                   + "_Weights")
    assert all(w.meta["num_params"] == _PUBLISHED[name] for w in enum)


def test_block_params_validation_and_builder_kwargs(fast_init):
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        BlockParams.from_init_params(depth=4, w_0=12, w_a=8.0, w_m=2.0, group_width=8)
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=1.0, group_width=8)
    model = regnet_module.regnet_x_400mf(num_classes=7, stem_width=16, activation=nn.SiLU)
    assert tuple(model.stem[0].weight.shape) == (16, 3, 3, 3)
    assert isinstance(model.stem[2], nn.SiLU) and model.fc.out_features == 7
    tiny = RegNet(BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=2.0,
                                               group_width=8), num_classes=3)
    assert tiny.eval()(ember.zeros(1, 3, 16, 16)).shape == (1, 3)
    with pytest.raises(ValueError, match=r"RegNet: expected input of shape \(N, 3, H, W\), "
                                         r"got \(3, 16, 16\)"):
        tiny(ember.zeros(3, 16, 16))


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
    state = model.double().state_dict()
    new = {key: state[key] if key.endswith("num_batches_tracked")
           else ember.tensor(_deterministic_value(index, key, tuple(state[key].shape)))
           for index, key in enumerate(sorted(state))}
    model.load_state_dict(new)
    return model


def _input(shape):
    return ember.tensor(np.sin(np.arange(int(np.prod(shape)), dtype=np.float64) * 0.1)
                        .reshape(shape))


def _check(out, expected):
    shape, head, tail, total, abs_total = expected
    out = out.detach().numpy()
    assert out.shape == shape
    np.testing.assert_allclose(out[0, :3], head, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out[1, -2:], tail, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([out.sum(), np.abs(out).sum()], [total, abs_total], rtol=1e-9)


# (output shape, out[0, :3], out[1, -2:], out.sum(), abs(out).sum()) computed by PyTorch
PYTORCH_OUTPUTS = {
    "googlenet": ((2, 10), [5.863780390462185, 3.853728194421423, 0.8192321759076541],
                  [-1.0144078804368986, 2.316387325428534], -24.460588232578882,
                  75.90470483418156),
    "inception_v3": ((2, 10), [-0.31504170425473726, -0.6034417496842562, -0.27187171948208455],
                     [-0.47980253919307453, 0.2194124888604628], -2.1964813685338167,
                     8.792416490869973),
    "regnet_y_400mf": ((2, 10), [-0.8711625105415246, -0.8595515656688487, -0.8640686565011182],
                       [-0.9432143172413211, -0.8141875691505959], -18.641316705788963,
                       18.641316705788963),
    "regnet_x_400mf": ((2, 10), [1.3475903632721091, -2.8584956964581503, 4.139292042483785],
                       [-1.6011513746151782, 3.07557049448452], 4.222215084741668,
                       54.93500719250457),
}
_CASES = {  # builder kwargs and input side of each reference
    "googlenet": (dict(init_weights=False, transform_input=True, num_classes=10), 64),
    "inception_v3": (dict(init_weights=False, num_classes=10), 75),
    "regnet_y_400mf": (dict(num_classes=10), 32),
    "regnet_x_400mf": (dict(num_classes=10), 32),
}


@pytest.mark.parametrize("name", sorted(PYTORCH_OUTPUTS))
def test_forward_matches_pytorch(name, fast_init):
    kwargs, size = _CASES[name]
    model = _load_deterministic(_build(name, **kwargs)).eval()
    with ember.no_grad():
        out = model(_input((2, 3, size, size)))
    assert isinstance(out, ember.Tensor)  # eval mode: the logits alone, not a namedtuple
    _check(out, PYTORCH_OUTPUTS[name])


def test_googlenet_training_outputs_match_pytorch(fast_init):
    # training mode: batch statistics and both auxiliary heads; dropout 0 for determinism
    model = _load_deterministic(googlenet_module.googlenet(
        init_weights=False, num_classes=10, dropout=0.0, dropout_aux=0.0)).train()
    out = model(_input((2, 3, 64, 64)))
    assert type(out) is GoogLeNetOutputs
    assert out._fields == ("logits", "aux_logits2", "aux_logits1")
    _check(out.logits, ((2, 10), [0.7459578332987027, 0.348464535277232, -0.15767127261383523],
                        [-0.44042659569493103, 0.04789848048509118], -3.343567996537624,
                        11.69940172360878))
    _check(out.aux_logits2, ((2, 10), [-1.442905898482434, -1.3117757835785702,
                                       -0.8348102515979995],
                             [0.7802118619515065, 0.15999594360318797], 3.1903689618460196,
                             17.897971498573384))
    _check(out.aux_logits1, ((2, 10), [-1.2567432048216511, -1.2018183547916437,
                                       -0.846760351024641],
                             [0.9976645736110722, 0.3784710267014576], 3.4933247728098413,
                             17.930766628496873))


def test_inception_aux_head_matches_pytorch():
    head = _load_deterministic(inception_module.InceptionAux(768, 10)).eval()
    with ember.no_grad():
        out = head(_input((2, 768, 17, 17)))
    _check(out, ((2, 10), [0.5363924160751334, 0.1903458090352052, -0.8437863210421873],
                 [-0.7615511316401808, -0.1487385380081138], 0.36821824982128104,
                 22.05321903773816))


# ---------------------------------------------------------------------------------------------
# Train/eval return types, transform_input, initialisation
# ---------------------------------------------------------------------------------------------


def test_train_and_eval_return_types(fast_init):
    net = googlenet_module.googlenet(num_classes=5)
    x = ember.zeros(2, 3, 64, 64)
    assert isinstance(net.train()(x), GoogLeNetOutputs)
    assert isinstance(net.eval()(x), ember.Tensor)
    no_aux = googlenet_module.googlenet(num_classes=5, aux_logits=False)
    assert no_aux.aux1 is None and no_aux.aux2 is None
    assert isinstance(no_aux.train()(x), ember.Tensor)
    assert googlenet_module._GoogLeNetOutputs is GoogLeNetOutputs

    inc = inception_module.inception_v3(num_classes=5).train()
    # the real head needs the 17x17 grid of a 299 input (its numerics are checked above); a
    # light stand-in on the same 768-channel features keeps this test fast
    inc.AuxLogits = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(768, 5))
    out = inc(ember.zeros(2, 3, 75, 75))
    assert type(out) is InceptionOutputs and out._fields == ("logits", "aux_logits")
    assert out.logits.shape == (2, 5) and out.aux_logits.shape == (2, 5)
    assert isinstance(inc.eval()(ember.zeros(1, 3, 75, 75)), ember.Tensor)
    assert inception_module._InceptionOutputs is InceptionOutputs
    with pytest.raises(ValueError, match=r"Inception3: expected input of shape \(N, 3, H, W\)"):
        inc(ember.zeros(1, 1, 75, 75))
    with pytest.raises(ValueError, match="GoogLeNet: expected input of shape"):
        net(ember.zeros(1, 3, 64))


def test_training_step_reaches_every_parameter(fast_init):
    model = googlenet_module.googlenet(num_classes=5).train()
    out = model(_input((2, 3, 32, 32)).float())
    # torchvision's reference recipe: main loss + 0.3 x each auxiliary loss
    (out.logits.sum() + 0.3 * (out.aux_logits1.sum() + out.aux_logits2.sum())).backward()
    assert all(p.grad is not None for p in model.parameters())
    regnet = regnet_module.regnet_y_400mf(num_classes=5).train()
    regnet(_input((2, 3, 32, 32)).float()).sum().backward()
    assert all(p.grad is not None for p in regnet.parameters())


def test_transform_input_rescales_each_channel(fast_init):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5))
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    # undo ImageNet normalisation, then map [0, 1] to [-1, 1]
    expected = ((x * std[:, None, None] + mean[:, None, None]) - 0.5) / 0.5
    for model in (GoogLeNet(transform_input=True), Inception3(transform_input=True)):
        np.testing.assert_allclose(model._transform_input(ember.tensor(x)).numpy(), expected,
                                   rtol=1e-12, atol=1e-12)
    for model in (GoogLeNet(), Inception3()):  # transform_input=False: unchanged
        np.testing.assert_array_equal(model._transform_input(ember.tensor(x)).numpy(), x)


def test_initialisation_follows_torchvision():
    ember.manual_seed(0)

    def light(*args, **kwargs):  # the draws of the inception blocks add nothing here
        return nn.Identity()

    g = GoogLeNet(aux_logits=False, blocks=[googlenet_module.BasicConv2d, light, light])
    w = g.conv3.conv.weight.detach().numpy()  # 192 x 64 x 3 x 3
    assert abs(w.std() - 0.01) < 5e-4 and abs(w.mean()) < 5e-4
    assert abs(g.fc.weight.detach().numpy().std() - 0.01) < 5e-4
    bn = g.conv1.bn
    assert np.all(bn.weight.detach().numpy() == 1) and np.all(bn.bias.detach().numpy() == 0)

    i = Inception3(inception_blocks=[inception_module.BasicConv2d] + [light] * 5
                   + [inception_module.InceptionAux])
    assert abs(i.Conv2d_4a_3x3.conv.weight.detach().numpy().std() - 0.1) < 5e-3
    # AuxLogits.fc carries stddev 0.001; conv1's 0.01 sits on the BasicConv2d wrapper, which
    # torchvision's init loop never reads, so its inner convolution gets the default 0.1
    assert abs(i.AuxLogits.fc.weight.detach().numpy().std() - 0.001) < 5e-5
    assert abs(i.AuxLogits.conv1.conv.weight.detach().numpy().std() - 0.1) < 5e-3

    r = regnet_module.regnet_x_400mf()
    conv = r.trunk_output.block4[0].f.b[0]  # 400 x 16 x 3 x 3: std sqrt(2 / (9 * 400))
    assert abs(conv.weight.detach().numpy().std() / np.sqrt(2 / 3600) - 1) < 0.05
    assert abs(r.fc.weight.detach().numpy().std() - 0.01) < 5e-4
    assert np.all(r.fc.bias.detach().numpy() == 0)

    # init_weights=False keeps the layers' own defaults (kaiming-uniform, bound 1/sqrt(fan_in))
    plain = GoogLeNet(aux_logits=False, init_weights=False, blocks=[
        googlenet_module.BasicConv2d, light, light])
    w = plain.fc.weight.detach().numpy()
    assert np.abs(w).max() <= 1 / np.sqrt(1024) and w.std() > 0.015


def test_constructor_validation():
    with pytest.raises(ValueError, match="blocks length should be 3 instead of 2"):
        GoogLeNet(blocks=[googlenet_module.BasicConv2d, googlenet_module.Inception])
    with pytest.raises(ValueError, match="length of inception_blocks should be 7 instead of 1"):
        Inception3(inception_blocks=[inception_module.BasicConv2d])


# ---------------------------------------------------------------------------------------------
# Weights entries and loading
# ---------------------------------------------------------------------------------------------


def test_weights_entries():
    w = GoogLeNet_Weights.DEFAULT
    assert w is GoogLeNet_Weights.IMAGENET1K_V1
    assert w.url == "https://download.pytorch.org/models/googlenet-1378be20.pth"
    assert w.meta["min_size"] == (15, 15) and len(w.meta["categories"]) == 1000
    assert w.meta["_metrics"]["ImageNet-1K"] == {"acc@1": 69.778, "acc@5": 89.530}
    preset = w.transforms()
    assert (preset.resize_size, preset.crop_size) == ([256], [224])

    w = Inception_V3_Weights.DEFAULT
    assert w.url == "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth"
    assert w.meta["min_size"] == (75, 75) and w.meta["num_params"] == 27161264
    preset = w.transforms()
    assert (preset.resize_size, preset.crop_size) == ([342], [299])  # Inception's own sizes

    r = regnet_module
    assert r.RegNet_Y_400MF_Weights.DEFAULT is r.RegNet_Y_400MF_Weights.IMAGENET1K_V2
    assert r.RegNet_Y_400MF_Weights.IMAGENET1K_V1.url.endswith("regnet_y_400mf-c65dace8.pth")
    assert r.RegNet_X_32GF_Weights.IMAGENET1K_V2.url.endswith("regnet_x_32gf-6eb8fdc6.pth")
    v1 = r.RegNet_X_400MF_Weights.IMAGENET1K_V1.transforms()
    v2 = r.RegNet_X_400MF_Weights.IMAGENET1K_V2.transforms()
    assert (v1.resize_size, v1.crop_size, v2.resize_size, v2.crop_size) == (
        [256], [224], [232], [224])
    swag = r.RegNet_Y_16GF_Weights.IMAGENET1K_SWAG_E2E_V1
    assert swag.url.endswith("regnet_y_16gf_swag-43afe44d.pth")
    preset = swag.transforms()
    assert (preset.resize_size, preset.crop_size) == ([384], [384])
    assert preset.interpolation.value == "bicubic"
    assert swag.meta["license"] == "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
    assert r.RegNet_Y_128GF_Weights.DEFAULT is r.RegNet_Y_128GF_Weights.IMAGENET1K_SWAG_E2E_V1
    assert [m for m in r.RegNet_Y_128GF_Weights.__members__] == [
        "IMAGENET1K_SWAG_E2E_V1", "IMAGENET1K_SWAG_LINEAR_V1", "DEFAULT"]

    enums = [getattr(r, name) for name in r.__all__ if name.endswith("_Weights")]
    enums += [GoogLeNet_Weights, Inception_V3_Weights]
    assert len(enums) == 17
    for enum in enums:
        for member in enum:
            # torch.hub naming: <name>-<first 8 hex digits of the file's SHA-256>.pth
            stem = member.url.rsplit("/", 1)[1]
            assert member.url.startswith("https://download.pytorch.org/models/")
            assert len(stem.rsplit("-", 1)[1]) == len("0123abcd.pth"), member
            assert member.meta["num_params"] == _PUBLISHED[
                "googlenet" if enum is GoogLeNet_Weights else
                "inception_v3" if enum is Inception_V3_Weights else
                enum.__name__.lower().replace("_weights", "")]


def test_builders_are_registered_with_their_weights():
    from embervision.models import get_model_weights, list_models

    names = list_models(include=["regnet_*", "googlenet", "inception_v3"])
    assert len(names) == 17 and names[0] == "googlenet" and "regnet_y_128gf" in names
    assert get_model_weights("regnet_x_1_6gf") is regnet_module.RegNet_X_1_6GF_Weights
    assert get_model_weights("googlenet") is GoogLeNet_Weights
    assert get_model_weights("inception_v3") is Inception_V3_Weights
    assert regnet_module.regnet_y_8gf.__name__ == "regnet_y_8gf"
    assert "RegNetY-8GF" in regnet_module.regnet_y_8gf.__doc__


def test_weights_fix_the_head_and_aux_arguments():
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but "
                                         "got 10 instead."):
        regnet_module.regnet_y_400mf(weights="DEFAULT", num_classes=10)
    # as torchvision: the checkpoints hold the auxiliary heads, so they must be built
    with pytest.raises(ValueError, match="The parameter 'aux_logits' expected value True but "
                                         "got False instead."):
        googlenet_module.googlenet(weights="DEFAULT", aux_logits=False)
    with pytest.raises(ValueError, match="'init_weights' expected value False but got True"):
        inception_module.inception_v3(weights="DEFAULT", init_weights=True)


@pytest.mark.parametrize("name, enum", [("googlenet", GoogLeNet_Weights),
                                        ("inception_v3", Inception_V3_Weights),
                                        ("regnet_y_400mf", regnet_module.RegNet_Y_400MF_Weights)])
def test_checkpoint_loads_strictly_through_the_hub(
    name, enum, checkpoint_server, monkeypatch, fast_init  # noqa: F811  (pytest fixture)
):
    served, base, requests = checkpoint_server
    full = _build(name).state_dict()  # with auxiliary heads: what torchvision publishes
    # one constant per tensor, stored with zero strides: a tiny file, and a wrong mapping of
    # any key shows
    state = {key: (value.clone() if value.dtype == ember.int64
                   else ember.tensor((i % 997 + 1) / 8.0).expand(tuple(value.shape)))
             for i, (key, value) in enumerate(full.items())}
    file_name = _publish(state, served, name)
    assert (served / file_name).stat().st_size < 1_000_000
    monkeypatch.setattr(enum.DEFAULT.value, "url", f"{base}/{file_name}")

    model = _build(name, weights="DEFAULT", progress=False)
    loaded = model.state_dict()
    for key, value in loaded.items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy(), err_msg=key)
    assert requests == [f"/{file_name}"]
    if name == "googlenet":
        # the untrained auxiliary heads are dropped after loading; input rescaling is on
        assert model.aux1 is None and model.aux2 is None and not model.aux_logits
        assert set(state) - set(loaded) == {k for k in state if k.startswith(("aux1.", "aux2."))}
        assert model.transform_input
        with pytest.warns(UserWarning, match="auxiliary heads in the pretrained googlenet"):
            kept = googlenet_module.googlenet(weights="DEFAULT", progress=False,
                                              aux_logits=True, transform_input=False)
        assert kept.aux1 is not None and not kept.transform_input
    else:
        assert list(loaded) == list(state)
    if name == "inception_v3":
        assert model.AuxLogits is not None and model.transform_input
