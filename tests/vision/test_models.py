"""embervision.models: the registry, the Weights API (through a real HTTP download), the
inference preset, and fine-tuning as in torchvision."""

import copy
import functools
import hashlib
import http.server
import math
import pickle
import re
import threading

import numpy as np
import pytest
from PIL import Image

import ember
import ember.hub
from ember import nn
from embervision import models
from embervision.models import (
    DenseNet121_Weights,
    ImageClassification,
    ResNet18_Weights,
    ResNet50_Weights,
    VGG16_Weights,
    WeightsEnum,
)
from embervision.models._api import BUILTIN_MODELS

MY_MODELS = [
    "alexnet", "densenet121", "densenet161", "densenet169", "densenet201", "lenet", "resnet101",
    "resnet152", "resnet18", "resnet34", "resnet50", "resnext101_32x8d", "resnext101_64x4d",
    "resnext50_32x4d", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13",
    "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet101_2", "wide_resnet50_2",
]


@pytest.fixture
def fast_init(monkeypatch):
    """Zeros instead of random draws where the draws are not under test (they take seconds
    for the larger models)."""
    zeros_ = nn.init.zeros_

    def zero(tensor, *args, **kwargs):
        return zeros_(tensor)

    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_"):
        monkeypatch.setattr(nn.init, name, zero)


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


def test_list_models_and_filters():
    assert set(models.list_models()) >= set(MY_MODELS)
    assert models.list_models() == sorted(models.list_models())
    assert models.list_models(include="resnet*", exclude=["*101", "*152"]) == [
        "resnet18", "resnet34", "resnet50"
    ]
    assert models.list_models(include=["vgg1?", "alexnet"]) == [
        "alexnet", "vgg11", "vgg13", "vgg16", "vgg19"
    ]
    assert set(models.list_models(module=models)) >= set(MY_MODELS)
    assert models.list_models(module=ember.nn) == []


def test_get_model_by_name(fast_init):
    model = models.get_model("ResNet18", num_classes=10)  # case-insensitive, as torchvision
    assert isinstance(model, models.ResNet)
    assert tuple(model.fc.weight.shape) == (10, 512)
    assert models.get_model_builder("vgg11_bn") is models.vgg11_bn


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown model resnet19: the registered models are ") as e:
        models.get_model("resnet19")
    assert "resnet18" in str(e.value) and "vgg16_bn" in str(e.value)
    with pytest.raises(ValueError, match="Unknown model nope"):
        models.get_model_weights("nope")


def test_register_model_refuses_a_taken_name(monkeypatch):
    monkeypatch.setitem(BUILTIN_MODELS, "test_only_net", lambda **kwargs: None)
    with pytest.raises(ValueError, match="An entry is already registered under the name "
                                         "'test_only_net'."):
        models.register_model("test_only_net")(lambda **kwargs: None)


def test_get_model_weights():
    assert models.get_model_weights("resnet50") is ResNet50_Weights
    assert models.get_model_weights(models.vgg16) is VGG16_Weights
    assert models.get_model_weights("densenet121") is DenseNet121_Weights
    assert models.get_model_weights("vgg11_bn") is models.VGG11_BN_Weights
    assert models.get_model_weights("lenet") is models.LeNet_Weights
    for name in MY_MODELS:
        assert issubclass(models.get_model_weights(name), WeightsEnum)


def test_get_weight():
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V2") is ResNet50_Weights.IMAGENET1K_V2
    assert models.get_weight("ResNet50_Weights.DEFAULT") is ResNet50_Weights.IMAGENET1K_V2
    with pytest.raises(ValueError, match="Invalid weight name provided: 'ResNet50_Weights'"):
        models.get_weight("ResNet50_Weights")
    with pytest.raises(ValueError, match="The weight enum 'ResNet51_Weights' for the specific "
                                         "method couldn't be retrieved."):
        models.get_weight("ResNet51_Weights.DEFAULT")
    with pytest.raises(KeyError, match="ResNet50_Weights: unknown weights 'IMAGENET1K_V3'"):
        models.get_weight("ResNet50_Weights.IMAGENET1K_V3")


# ---------------------------------------------------------------------------------------------
# The weight entries
# ---------------------------------------------------------------------------------------------


def _all_weights():
    enums = {models.get_model_weights(name) for name in MY_MODELS}
    return [member for enum in enums for member in enum]


def test_weight_entries_are_torchvisions():
    entries = _all_weights()
    # 17 ResNet-family, 1 AlexNet, 9 VGG (incl. VGG16 features), 4 DenseNet, 2 SqueezeNet;
    # LeNet has none
    assert len(entries) == 33
    for w in entries:
        assert re.fullmatch(r"https://download\.pytorch\.org/models/[\w-]+-[0-9a-f]{8}\.pth",
                            w.url), w.url
        metrics = w.meta["_metrics"]["ImageNet-1K"]
        assert set(metrics) == {"acc@1", "acc@5"}
        assert w.meta["num_params"] > 1_000_000
        if w is not VGG16_Weights.IMAGENET1K_FEATURES:
            assert w.meta["categories"] is models._meta._IMAGENET_CATEGORIES
            assert 50 < metrics["acc@1"] < metrics["acc@5"] < 100
    # spot checks against torchvision's published values
    assert ResNet18_Weights.DEFAULT.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert ResNet18_Weights.DEFAULT.meta["_metrics"]["ImageNet-1K"] == {"acc@1": 69.758,
                                                                        "acc@5": 89.078}
    assert ResNet50_Weights.DEFAULT is ResNet50_Weights.IMAGENET1K_V2
    assert ResNet50_Weights.DEFAULT.url.endswith("/resnet50-11ad3fa6.pth")
    wide = models.Wide_ResNet50_2_Weights.IMAGENET1K_V1
    assert wide.url.endswith("/wide_resnet50_2-95faca4d.pth")
    assert DenseNet121_Weights.DEFAULT.meta["min_size"] == (29, 29)
    assert VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    assert math.isnan(VGG16_Weights.IMAGENET1K_FEATURES.meta["_metrics"]["ImageNet-1K"]["acc@1"])


def test_categories_are_imagenets():
    categories = ResNet18_Weights.DEFAULT.meta["categories"]
    assert len(categories) == len(set(categories)) == 1000
    assert (categories[0], categories[1], categories[151], categories[207], categories[281],
            categories[948], categories[999]) == (
        "tench", "goldfish", "Chihuahua", "golden retriever", "tabby", "Granny Smith",
        "toilet tissue")
    # torchvision's de-duplicated names
    assert (categories[134], categories[517], categories[638], categories[639]) == (
        "crane bird", "crane", "maillot", "maillot tank suit")


def test_weights_enum_behaviour():
    w = ResNet18_Weights.IMAGENET1K_V1
    assert ResNet18_Weights.DEFAULT is w
    assert list(ResNet50_Weights) == [ResNet50_Weights.IMAGENET1K_V1,
                                      ResNet50_Weights.IMAGENET1K_V2]
    assert repr(w) == "ResNet18_Weights.IMAGENET1K_V1"
    assert copy.deepcopy(w) is w and pickle.loads(pickle.dumps(w)) is w
    preset = w.transforms()
    assert isinstance(preset, ImageClassification)
    assert (preset.crop_size, preset.resize_size) == ([224], [256])
    assert ResNet50_Weights.IMAGENET1K_V2.transforms().resize_size == [232]


def test_verify_accepts_members_names_and_none():
    verify = ResNet18_Weights.verify
    w = ResNet18_Weights.IMAGENET1K_V1
    assert verify(None) is None
    assert verify(w) is w
    assert verify("IMAGENET1K_V1") is w and verify("ResNet18_Weights.IMAGENET1K_V1") is w
    assert verify("DEFAULT") is w
    with pytest.raises(KeyError, match=r"unknown weights 'IMAGENET1K_V9'; valid names are "
                                       r"'IMAGENET1K_V1', 'DEFAULT'"):
        verify("IMAGENET1K_V9")
    with pytest.raises(TypeError, match="Invalid Weight class provided; expected "
                                        "ResNet18_Weights but received ResNet50_Weights."):
        verify(ResNet50_Weights.DEFAULT)
    with pytest.raises(TypeError, match="but received bool"):
        models.resnet18(weights=True)


def test_num_classes_conflicting_with_weights_raises_before_downloading():
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but "
                                         "got 10 instead."):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(ValueError, match="expected value 1000 but got 5"):
        models.densenet121(weights=DenseNet121_Weights.DEFAULT, num_classes=5)


# ---------------------------------------------------------------------------------------------
# Loading a checkpoint through ember.hub from a local HTTP server
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def checkpoint_server(tmp_path, monkeypatch):
    """Serve tmp_path/served over HTTP on 127.0.0.1, count the requests, cache in tmp_path."""
    served = tmp_path / "served"
    served.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember_home"))
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _publish(state, served, stem):
    """Save like torch.save into the served folder under torch.hub's name-<sha256[:8]>.pth."""
    staging = served / "staging.pth"
    ember.save(state, staging)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    name = f"{stem}-{digest[:8]}.pth"
    staging.rename(served / name)
    return name


def _random_state(model):
    generator = np.random.default_rng(1)
    return {key: (value.clone() if value.dtype == ember.int64 else
                  ember.tensor(generator.standard_normal(tuple(value.shape)), dtype=value.dtype))
            for key, value in model.state_dict().items()}


def test_resnet18_weights_download_and_load_strictly(checkpoint_server, monkeypatch, tmp_path,
                                                     fast_init):
    served, base, requests = checkpoint_server
    state = _random_state(models.resnet18())
    name = _publish(state, served, "resnet18")
    monkeypatch.setattr(ResNet18_Weights.IMAGENET1K_V1.value, "url", f"{base}/{name}")

    model = models.resnet18(weights="ResNet18_Weights.IMAGENET1K_V1", progress=False)
    loaded = model.state_dict()
    assert list(loaded) == list(state)
    for key in state:
        np.testing.assert_array_equal(loaded[key].numpy(), state[key].numpy(), err_msg=key)
    assert (tmp_path / "ember_home" / "hub" / "checkpoints" / name).is_file()
    assert requests == [f"/{name}"]

    # the second build reads the cache: no request
    models.get_model("resnet18", weights=ResNet18_Weights.DEFAULT, progress=False)
    assert requests == [f"/{name}"]


def test_a_checkpoint_whose_hash_does_not_match_its_name_is_refused(checkpoint_server,
                                                                    monkeypatch, fast_init):
    served, base, _ = checkpoint_server
    name = _publish(_random_state(models.resnet18()), served, "resnet18")
    wrong = "resnet18-00000000.pth"
    (served / name).rename(served / wrong)
    monkeypatch.setattr(ResNet18_Weights.IMAGENET1K_V1.value, "url", f"{base}/{wrong}")
    with pytest.raises(ember.hub.DownloadError, match="invalid hash value"):
        models.resnet18(weights="DEFAULT", progress=False)


def test_densenet_checkpoint_with_old_key_names_loads(checkpoint_server, monkeypatch, fast_init):
    served, base, _ = checkpoint_server
    state = _random_state(models.densenet121())
    # the published file (ported from LuaTorch in 2017) spells dense-layer children 'norm.1',
    # 'conv.2'... and predates BatchNorm's num_batches_tracked buffer
    old = {re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", key): value
           for key, value in state.items() if not key.endswith("num_batches_tracked")}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    name = _publish(old, served, "densenet121")
    monkeypatch.setattr(DenseNet121_Weights.IMAGENET1K_V1.value, "url", f"{base}/{name}")
    model = models.densenet121(weights="DEFAULT", progress=False)
    key = "features.denseblock2.denselayer3.conv2.weight"
    np.testing.assert_array_equal(model.state_dict()[key].numpy(), state[key].numpy())


# ---------------------------------------------------------------------------------------------
# Fine-tuning as in torchvision
# ---------------------------------------------------------------------------------------------


def test_fine_tuning_replaces_the_head_and_freezes_the_backbone():
    model = models.resnet18()
    model.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, 3)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    backbone_before = model.layer1[0].conv1.weight.detach().numpy().copy()
    head_before = model.fc.weight.detach().numpy().copy()

    optimizer = ember.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x, target = ember.randn(4, 3, 32, 32), ember.tensor([0, 1, 2, 1])
    model.train()
    loss = nn.functional.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()

    assert model.layer1[0].conv1.weight.grad is None
    assert model.fc.weight.grad is not None and model.fc.weight.grad.abs().sum().item() > 0
    np.testing.assert_array_equal(model.layer1[0].conv1.weight.detach().numpy(), backbone_before)
    assert not np.allclose(model.fc.weight.detach().numpy(), head_before)


# ---------------------------------------------------------------------------------------------
# The inference preset
# ---------------------------------------------------------------------------------------------


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406]).reshape(3, 1, 1)
IMAGENET_STD = np.array([0.229, 0.224, 0.225]).reshape(3, 1, 1)


def test_preset_on_a_float_tensor_matches_pil_resampling():
    # PIL's float ('F') images resample with the same antialiased triangle filter that
    # torchvision's tensor resize uses: an independent reference.
    image = np.random.default_rng(0).random((3, 40, 60)).astype(np.float32)
    preset = ImageClassification(crop_size=20, resize_size=24)
    out = preset(ember.tensor(image)).numpy()
    channels = [np.asarray(Image.fromarray(c, mode="F").resize((36, 24), Image.BILINEAR))
                for c in image]  # shorter side 40 -> 24, longer 60 -> int(24 * 60 / 40) = 36
    expected = np.stack(channels)[:, 2:22, 8:28]  # center crop: round((24-20)/2), (36-20)/2
    expected = (expected - IMAGENET_MEAN) / IMAGENET_STD
    assert out.shape == (3, 20, 20) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, atol=2e-5)


def test_preset_pil_and_uint8_tensor_agree_and_batches_work():
    pixels = np.random.default_rng(1).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    preset = ImageClassification(crop_size=32, resize_size=40)
    from_pil = preset(Image.fromarray(pixels)).numpy()
    from_tensor = preset(ember.tensor(pixels.transpose(2, 0, 1).copy())).numpy()
    assert from_pil.shape == from_tensor.shape == (3, 32, 32)
    # PIL resamples 8-bit images in fixed point: the two paths differ by at most ~1 level
    assert np.abs(from_pil - from_tensor).max() <= 1.5 / 255 / 0.224
    batch = ember.tensor(np.stack([pixels.transpose(2, 0, 1)] * 2))
    out = preset(batch).numpy()
    assert out.shape == (2, 3, 32, 32)
    np.testing.assert_allclose(out[1], from_tensor, atol=1e-6)


def test_preset_pads_when_the_crop_is_larger_than_the_image():
    image = np.full((3, 10, 10), 255, dtype=np.uint8)
    out = ImageClassification(crop_size=14, resize_size=10)(ember.tensor(image)).numpy()
    white = (1 - IMAGENET_MEAN) / IMAGENET_STD
    black = (0 - IMAGENET_MEAN) / IMAGENET_STD
    np.testing.assert_allclose(out[:, 2:12, 2:12], np.broadcast_to(white, (3, 10, 10)), atol=1e-6)
    np.testing.assert_allclose(out[:, :2, :], np.broadcast_to(black, (3, 2, 14)), atol=1e-6)
    np.testing.assert_allclose(out[:, :, 12:], np.broadcast_to(black, (3, 14, 2)), atol=1e-6)


def test_preset_errors_and_repr():
    preset = ImageClassification(crop_size=8)
    with pytest.raises(ValueError, match="ImageClassification: expected images with 3 channels "
                                         r"\(one per mean/std value\), got 1"):
        preset(Image.fromarray(np.zeros((20, 20), dtype=np.uint8)))
    with pytest.raises(ValueError, match=r"expected a \(C, H, W\) or \(B, C, H, W\) image "
                                         r"tensor, got shape \(20, 20\)"):
        preset(ember.zeros(20, 20))
    with pytest.raises(TypeError, match="expected a PIL image or an ember.Tensor, got ndarray"):
        preset(np.zeros((3, 20, 20)))
    assert repr(ResNet50_Weights.DEFAULT.transforms()) == (
        "ImageClassification(\n    crop_size=[224]\n    resize_size=[232]\n"
        "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
        "    interpolation=InterpolationMode.BILINEAR\n)"
    )
