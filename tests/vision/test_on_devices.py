"""embervision on every available device: each computation run on ``device`` must equal the same
computation on the CPU (and, where cheap, an independent NumPy formula written here).

The tests always run on "cpu" (device-vs-CPU then checks determinism and the NumPy references)
and on "cuda" when ``ember.cuda.is_available()``; a failure message names the quantity, the
shapes, the devices and the largest absolute difference, so a GPU run's log says what differs.
"""

from __future__ import annotations

import numpy as np
import pytest
from _devices import assert_same
from _devices import numpy_of as _np

import ember
from ember import nn
from embervision import models, ops
from embervision import transforms as T
from embervision.models.vision_transformer import VisionTransformer
from embervision.transforms import functional as F


def _image(seed=0, shape=(3, 20, 28)):
    return ember.tensor(np.random.default_rng(seed).random(shape, dtype=np.float32))


# -- transforms -------------------------------------------------------------------------------

def test_normalize(device):
    img = _image()
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    out = T.Normalize(mean, std)(img.to(device))
    ref = (_np(img) - np.array(mean, np.float32)[:, None, None]) / \
        np.array(std, np.float32)[:, None, None]
    assert_same(out, ref, "Normalize", rtol=1e-6, device=device)


@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(11, 13), (40, 33)], ids=["down", "up"])
def test_resize_bilinear(device, size, antialias):
    img = _image(1).unsqueeze(0)
    cpu = F.resize(img, list(size), antialias=antialias)
    out = F.resize(img.to(device), list(size), antialias=antialias)
    assert tuple(out.shape) == (1, 3, *size)
    assert_same(out, cpu, f"resize(size={size}, antialias={antialias})", rtol=1e-5,
                device=device)


def test_resize_module_bicubic_and_nearest(device):
    img = _image(2)
    for mode in (T.InterpolationMode.BICUBIC, T.InterpolationMode.NEAREST):
        resize = T.Resize(9, interpolation=mode, antialias=True)
        assert_same(resize(img.to(device)), resize(img), f"Resize({mode})", rtol=1e-5,
                    device=device)


def test_random_resized_crop_with_seed(device):
    img = _image(3, (3, 32, 48))
    crop = T.RandomResizedCrop((16, 16), scale=(0.2, 0.9))
    ember.manual_seed(7)
    cpu = [crop(img) for _ in range(3)]
    ember.manual_seed(7)
    dev = [crop(img.to(device)) for _ in range(3)]
    for i, (d, c) in enumerate(zip(dev, cpu)):
        assert_same(d, c, f"RandomResizedCrop draw {i}", rtol=1e-5, device=device)
    # the three draws differ (the seed is consumed), so the comparison above is not vacuous
    assert np.abs(_np(cpu[0]) - _np(cpu[1])).max() > 1e-3


def test_convert_image_dtype(device):
    u8 = ember.tensor(np.random.default_rng(4).integers(0, 256, (3, 5, 7), dtype=np.uint8))
    out = T.ConvertImageDtype(ember.float32)(u8.to(device))
    assert_same(out, _np(u8).astype(np.float32) / 255, "ConvertImageDtype(uint8->float32)",
                rtol=1e-6, device=device)
    back = T.ConvertImageDtype(ember.uint8)(out)
    # torchvision: float -> uint8 is (x * (255 + 1 - eps)).to(uint8), which round-trips exactly
    assert_same(back, _np(u8), "ConvertImageDtype(float32->uint8)", rtol=0, atol=0,
                device=device)


# -- models: same weights, moved with .to(device), in eval ------------------------------------

def _tiny_vit():
    return VisionTransformer(image_size=32, patch_size=16, num_layers=2, num_heads=2,
                             hidden_dim=8, mlp_dim=16, num_classes=10)


@pytest.mark.parametrize("build", [
    lambda: models.resnet18(num_classes=10),
    lambda: models.mobilenet_v3_small(num_classes=10),
    _tiny_vit,
], ids=["resnet18", "mobilenet_v3_small", "vit_tiny"])
def test_model_forward_eval(device, build):
    ember.manual_seed(0)
    model = build().eval()
    x = ember.randn(2, 3, 32, 32)
    with ember.no_grad():
        cpu = model(x)
        model.to(device)
        assert all(p.device.type == device for p in model.parameters())
        assert all(b.device.type == device for b in model.buffers())
        out = model(x.to(device))
    assert tuple(out.shape) == (2, 10)
    assert_same(out, cpu, f"{type(model).__name__} eval logits", rtol=1e-4, device=device)


def test_lenet_training_step(device):
    ember.manual_seed(0)
    model = models.lenet()
    cpu_model = models.lenet()
    cpu_model.load_state_dict(model.state_dict())
    model.to(device)
    rng = np.random.default_rng(5)
    x = ember.tensor(rng.standard_normal((16, 1, 28, 28), dtype=np.float32))
    y = ember.tensor(rng.integers(0, 10, 16))
    losses = {}
    for name, net, xs, ys in (("cpu", cpu_model, x, y), (device, model, x.to(device),
                                                         y.to(device))):
        opt = ember.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        history = []
        for _ in range(4):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(xs), ys)
            loss.backward()
            opt.step()
            history.append(loss)
        losses[name] = history
    dev, cpu = losses[device], losses["cpu"]
    assert dev[-1].item() < dev[0].item(), f"LeNet loss on {device} did not fall: " \
        f"{[round(v.item(), 5) for v in dev]}"
    for i, (d, c) in enumerate(zip(dev, cpu)):
        assert_same(d, c, f"LeNet loss at step {i}", rtol=1e-4, device=device)
    for (name, p), q in zip(model.named_parameters(), cpu_model.parameters()):
        assert_same(p, q, f"LeNet {name} after 4 SGD steps", rtol=1e-4, device=device)


# -- detection ops ------------------------------------------------------------------------------

def _boxes(n=60, seed=6):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (n, 2))
    wh = rng.uniform(2, 20, (n, 2))
    return ember.tensor(np.concatenate([xy, xy + wh], 1).astype(np.float32)), \
        ember.tensor(rng.random(n).astype(np.float32))


def _np_nms(boxes, scores, thr):
    order = np.argsort(-scores, kind="stable")
    keep = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    for i in order:
        ok = True
        for k in keep:
            lt = np.maximum(boxes[i, :2], boxes[k, :2])
            rb = np.minimum(boxes[i, 2:], boxes[k, 2:])
            inter = np.prod(np.clip(rb - lt, 0, None))
            if inter / (area[i] + area[k] - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def test_nms(device):
    boxes, scores = _boxes()
    ref = _np_nms(_np(boxes).astype(np.float64), _np(scores), 0.3)
    assert 5 < len(ref) < 60  # some boxes are suppressed, some kept
    out = ops.nms(boxes.to(device), scores.to(device), 0.3)
    assert_same(out, ref, "nms kept indices", rtol=0, atol=0, device=device)
    idxs = ember.tensor(np.arange(60) % 3)
    cpu = ops.batched_nms(boxes, scores, idxs, 0.3)
    out = ops.batched_nms(boxes.to(device), scores.to(device), idxs.to(device), 0.3)
    assert_same(out, cpu, "batched_nms kept indices", rtol=0, atol=0, device=device)


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_forward_and_backward(device, aligned):
    rng = np.random.default_rng(8)
    feat = ember.tensor(rng.standard_normal((2, 3, 16, 20), dtype=np.float32))
    rois = ember.tensor(np.array([[0, 1.5, 2.0, 12.3, 9.7], [1, 0.0, 0.0, 19.0, 15.0],
                                  [0, 5.2, 3.1, 6.0, 4.0], [1, 8.0, 2.5, 17.5, 14.0]],
                                 np.float32))
    results = {}
    for name in ("cpu", device):
        x = feat.to(name).detach().requires_grad_(True)
        out = ops.roi_align(x, rois.to(name), (4, 5), spatial_scale=0.5, sampling_ratio=2,
                            aligned=aligned)
        (out * out).sum().backward()
        results[name] = (out, x.grad)
    (out, grad), (cpu, cpu_grad) = results[device], results["cpu"]
    assert tuple(out.shape) == (4, 3, 4, 5)
    assert_same(out, cpu, f"roi_align(aligned={aligned})", rtol=1e-5, device=device)
    assert_same(grad, cpu_grad, f"roi_align(aligned={aligned}) input grad", rtol=1e-5,
                device=device)
