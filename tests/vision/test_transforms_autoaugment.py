"""AutoAugment, RandAugment, TrivialAugmentWide: magnitude tables, each operation against
Pillow, reproducibility and the PIL/tensor agreement of whole policies."""

import math

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.transforms as T
import embervision.transforms.functional as F
from embervision.transforms.autoaugment import _POLICIES, _apply_op

NEAREST = F.InterpolationMode.NEAREST


@pytest.fixture(scope="module")
def pil():
    y, x = np.mgrid[0:36, 0:44]
    rng = np.random.default_rng(0)
    img = np.stack([120 + 90 * np.sin(x / 5.0), 40 + 5 * y, 200 - 4 * x], axis=-1)
    img = np.clip(np.round(img + rng.normal(0, 3, img.shape)), 0, 255).astype(np.uint8)
    return Image.fromarray(img)


@pytest.fixture(scope="module")
def tensor(pil):
    return F.pil_to_tensor(pil)


def pixel_diff(pil_out, tensor_out):
    return np.abs(np.asarray(pil_out).astype(int) - tensor_out.numpy().transpose(1, 2, 0))


def test_magnitude_tables():
    wide = T.TrivialAugmentWide()._augmentation_space(31)
    assert list(wide) == ["Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate",
                          "Brightness", "Color", "Contrast", "Sharpness", "Posterize",
                          "Solarize", "AutoContrast", "Equalize"]
    assert wide["Posterize"][0][:8].tolist() == [8, 8, 8, 7, 7, 7, 7, 7]  # 8 - round(i / 5)
    assert wide["Posterize"][0][-1] == 2
    assert float(wide["Rotate"][0][-1]) == 135.0 and float(wide["TranslateX"][0][-1]) == 32.0
    assert float(wide["Solarize"][0][0]) == 255.0 and float(wide["Solarize"][0][-1]) == 0.0
    rand = T.RandAugment()._augmentation_space(10, (331, 662))
    assert float(rand["TranslateX"][0][-1]) == pytest.approx(300.0)  # 150/331 of the width
    assert float(rand["TranslateY"][0][-1]) == pytest.approx(150.0)
    assert rand["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    assert "Invert" in T.AutoAugment()._augmentation_space(10, (8, 8))
    assert "Invert" not in rand and "Identity" in rand


def test_policies_are_torchvisions():
    assert [len(p) for p in _POLICIES.values()] == [25, 25, 25]
    assert _POLICIES[T.AutoAugmentPolicy.IMAGENET][0] == (("Posterize", 0.4, 8),
                                                         ("Rotate", 0.6, 9))
    with pytest.raises(ValueError, match="not recognized"):
        T.AutoAugment(policy="imagenet")


@pytest.mark.parametrize("op, magnitude, tol", [
    ("Identity", 0.0, 0), ("TranslateX", 7.0, 0), ("TranslateY", -5.0, 0),
    ("ShearX", 0.3, 0), ("ShearY", -0.23, 0), ("Rotate", 30.0, 0),
    ("Brightness", 0.5, 1), ("Color", -0.6, 1), ("Contrast", 0.4, 1), ("Sharpness", 0.9, 1),
    ("Posterize", 3.0, 0), ("Solarize", 100.0, 0), ("AutoContrast", 0.0, 1),
    ("Equalize", 0.0, 0), ("Invert", 0.0, 0),
])
def test_each_operation_matches_pil(pil, tensor, op, magnitude, tol):
    fill = [10.0, 20.0, 30.0]
    d = pixel_diff(_apply_op(pil, op, magnitude, NEAREST, fill),
                   _apply_op(tensor, op, magnitude, NEAREST, fill))
    if op in ("ShearX", "ShearY", "Rotate"):
        assert (d > 0).mean() < 0.01  # nearest neighbour: exact ties may differ
    else:
        assert d.max() <= tol


def test_shear_is_the_papers_matrix(pil):
    # ShearX at level m reads input (x + m y, y): Pillow's AFFINE (1, m, 0, 0, 1, 0), about the
    # top-left corner.
    out = _apply_op(pil, "ShearX", 0.4, NEAREST, None)
    ref = pil.transform(pil.size, Image.Transform.AFFINE, (1, 0.4, 0, 0, 1, 0),
                        Image.Resampling.NEAREST)
    assert np.array_equal(np.asarray(out), np.asarray(ref))
    assert math.isclose(math.tan(math.atan(0.4)), 0.4)


def test_unknown_operation():
    with pytest.raises(ValueError, match="not recognized"):
        _apply_op(ember.zeros(3, 4, 4, dtype=ember.uint8), "Blur", 1.0, NEAREST, None)


@pytest.mark.parametrize("make", [
    T.TrivialAugmentWide, T.RandAugment, T.AutoAugment,
    lambda: T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
    lambda: T.AutoAugment(T.AutoAugmentPolicy.SVHN),
    lambda: T.RandAugment(num_ops=3, magnitude=20, interpolation=F.InterpolationMode.BILINEAR,
                          fill=128),
])
def test_policies_reproducible_and_consistent_across_backends(pil, tensor, make):
    t = make()
    for seed in range(8):
        ember.manual_seed(seed)
        a = t(tensor)
        ember.manual_seed(seed)
        b = t(tensor)
        assert a.dtype == ember.uint8 and a.shape == tensor.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        ember.manual_seed(seed)
        d = pixel_diff(t(pil), a)
        # Same draws on both backends: equal up to tie-breaking and colour rounding.
        assert np.median(d) <= 1 and d.mean() < 6


def test_batched_uint8_and_fill(tensor):
    batch = ember.stack([tensor, F.hflip(tensor)])
    ember.manual_seed(0)
    out = T.TrivialAugmentWide()(batch)
    assert out.shape == (2, 3, 36, 44) and out.dtype == ember.uint8
    rotated = _apply_op(tensor, "Rotate", 45.0, NEAREST, [128.0, 128.0, 128.0])
    assert rotated[:, 0, 0].tolist() == [128, 128, 128]


def test_draws_vary(tensor):
    # 14 operations x 31 bins x 2 signs: 40 seeds give many different images, a few unchanged
    # (Identity, or an operation at magnitude 0).
    outputs = set()
    unchanged = 0
    for seed in range(40):
        ember.manual_seed(seed)
        out = T.TrivialAugmentWide()(tensor).numpy()
        outputs.add(out.tobytes())
        unchanged += np.array_equal(out, tensor.numpy())
    assert len(outputs) > 25 and unchanged < 12


def test_reprs():
    assert repr(T.TrivialAugmentWide()).startswith("TrivialAugmentWide(num_magnitude_bins=31")
    assert repr(T.AutoAugment()) == "AutoAugment(policy=AutoAugmentPolicy.IMAGENET, fill=None)"
