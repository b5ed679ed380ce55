"""Every architecture loads a checkpoint in PyTorch's format with torchvision's exact key set,
downloaded through ember.hub from a local HTTP server, with strict=True.

The key set is checked against the literal torchvision layouts of the architecture tests (count
and digest of the sorted "key:shape" lines), so the served file is what torchvision publishes,
key for key. Each entry holds its own constant, stored with zero strides (one element per
tensor in the file), so a wrong mapping of any key shows and the files stay tiny.
"""

from collections import OrderedDict

import numpy as np
import pytest
from test_models import _publish, checkpoint_server, fast_init  # noqa: F401  (fixtures)
from test_models_archs import STRUCTURE as CLASSIC
from test_models_mobile import STRUCTURE as MOBILE
from test_models_mobile import _digest
from test_models_modern import STRUCTURE as MODERN
from test_models_more import STRUCTURE as MORE
from test_models_regnet_inception import STRUCTURE as REGNET_INCEPTION
from test_models_swin_maxvit import STRUCTURE as SWIN_MAXVIT

import ember
from embervision import models

STRUCTURE = {**CLASSIC, **MOBILE, **MODERN, **MORE, **REGNET_INCEPTION, **SWIN_MAXVIT}
ARCHITECTURES = [
    "alexnet", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "resnet18", "resnet34", "resnet50",
    "resnet101", "resnext50_32x4d", "wide_resnet50_2", "mobilenet_v2", "mobilenet_v3_small",
    "mobilenet_v3_large", "efficientnet_b0", "densenet121", "squeezenet1_0", "squeezenet1_1",
    "shufflenet_v2_x1_0", "convnext_tiny", "vit_b_16", "efficientnet_b1", "efficientnet_v2_s",
    "mnasnet0_5", "mnasnet1_0", "vit_b_32", "inception_v3", "regnet_y_400mf", "regnet_x_400mf",
    "swin_t", "swin_v2_t", "maxvit_t",
]


def _constant(index: int) -> float:
    return (index % 997 + 1) / 8.0  # exact in float16/32/64


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_torchvision_checkpoint_loads_strictly_through_the_hub(
    name, checkpoint_server, monkeypatch, fast_init  # noqa: F811  (pytest fixtures)
):
    served, base, requests = checkpoint_server
    reference = models.get_model(name).state_dict()
    lines = [f"{key}:{tuple(value.shape)}" for key, value in reference.items()]
    count, first, last, digest, _ = STRUCTURE[name]
    assert (len(lines), _digest(lines)) == (count, digest)  # torchvision's exact key set

    state = OrderedDict()
    for i, (key, value) in enumerate(reference.items()):
        if value.dtype == ember.int64:
            state[key] = ember.tensor(i, dtype=ember.int64).expand(tuple(value.shape))
        else:
            scalar = ember.tensor(_constant(i), dtype=value.dtype)
            state[key] = scalar.expand(tuple(value.shape))
    file_name = _publish(state, served, name)
    assert (served / file_name).stat().st_size < 4_000_000  # zero strides kept: a tiny file
    weights = models.get_model_weights(name).DEFAULT
    monkeypatch.setattr(weights.value, "url", f"{base}/{file_name}")

    loaded = models.get_model(name, weights=weights, progress=False).state_dict()
    assert list(loaded) == list(reference)
    for i, (key, value) in enumerate(loaded.items()):
        expected = i if value.dtype == ember.int64 else _constant(i)
        assert tuple(value.shape) == tuple(reference[key].shape), key
        assert np.all(value.numpy() == expected), key
    assert requests == [f"/{file_name}"]
