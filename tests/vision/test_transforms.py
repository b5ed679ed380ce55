"""embervision.transforms classes: parameter sampling (ranges, fallbacks), reproducibility under
ember.manual_seed, PIL/tensor agreement for the same draws, containers, validation."""

import math
import random

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.transforms as T
import embervision.transforms.functional as F


def make_photo(h=40, w=56, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([128 + 100 * np.sin(x / 6.0), 30 + 5 * y, 220 - 3 * x], axis=-1)
    img = img + rng.normal(0, 2, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def pil():
    return Image.fromarray(make_photo())


@pytest.fixture(scope="module")
def tensor(pil):
    return F.pil_to_tensor(pil)


def arrays_of(pil_out, tensor_out):
    a = np.asarray(pil_out).astype(int)
    b = tensor_out.numpy().astype(int)
    return a.reshape(a.shape[0], a.shape[1], -1), b.transpose(1, 2, 0)


def seeded(transform, img, seed):
    ember.manual_seed(seed)
    return transform(img)


# ---------------------------------------------------------------------------------------------
# reproducibility: Ember's generator is the only source of randomness
# ---------------------------------------------------------------------------------------------

PIPELINE = [
    T.RandomResizedCrop(24), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    T.RandomRotation(20), T.RandomGrayscale(0.3), T.GaussianBlur(3),
]


@pytest.mark.parametrize("kind", ["pil", "tensor"])
def test_manual_seed_reproduces_a_pipeline(pil, tensor, kind):
    img = pil if kind == "pil" else tensor
    pipeline = T.Compose(PIPELINE)
    random.seed(1)
    np.random.seed(1)
    first = np.asarray(seeded(pipeline, img, 123) if kind == "pil" else
                       seeded(pipeline, img, 123).numpy())
    random.seed(2)  # Python's and NumPy's global generators play no part
    np.random.seed(2)
    again = seeded(pipeline, img, 123)
    np.testing.assert_array_equal(np.asarray(again if kind == "pil" else again.numpy()), first)
    other = [np.asarray(seeded(pipeline, img, s) if kind == "pil" else
                        seeded(pipeline, img, s).numpy()) for s in (1, 2, 3)]
    assert any(not np.array_equal(o, first) for o in other)


@pytest.mark.parametrize("transform, tol", [
    (T.RandomCrop(30, padding=3), 0),
    (T.RandomResizedCrop((20, 28)), 1),
    (T.RandomHorizontalFlip(), 0),
    (T.RandomVerticalFlip(), 0),
    (T.RandomRotation(40, fill=(5, 6, 7)), None),
    (T.RandomAffine(20, (0.1, 0.2), (0.8, 1.2), (-5, 5, -5, 5)), None),
    (T.ColorJitter(0.5, 0.5, 0.5), 2),
    (T.RandomPerspective(p=1.0, interpolation=F.InterpolationMode.NEAREST), None),
    (T.RandomAdjustSharpness(2.0), 1),
    (T.RandomEqualize(), 0),
    (T.RandomSolarize(128), 0),
    (T.RandomPosterize(3), 0),
])
def test_same_draws_on_pil_and_tensor(pil, tensor, transform, tol):
    for seed in range(4):
        a, b = arrays_of(seeded(transform, pil, seed), seeded(transform, tensor, seed))
        assert a.shape == b.shape
        d = np.abs(a - b)
        if tol is None:  # nearest-neighbour warps: only exact ties may differ (borders)
            assert (d[3:-3, 3:-3] > 0).mean() < 0.02
        else:
            assert d.max() <= tol


# ---------------------------------------------------------------------------------------------
# crops
# ---------------------------------------------------------------------------------------------


def test_random_resized_crop_params_respect_scale_and_ratio(tensor):
    scale, ratio = (0.2, 0.6), (0.5, 2.0)
    area = 40 * 56
    for seed in range(60):
        ember.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(tensor, scale, ratio)
        assert 0 <= i <= 40 - h and 0 <= j <= 56 - w
        # w and h are rounded: allow a pixel of slack on each.
        assert scale[0] * area <= (h + 1) * (w + 1) and (h - 1) * (w - 1) <= scale[1] * area
        assert ratio[0] <= (w + 1) / max(h - 1, 1) and (w - 1) / (h + 1) <= ratio[1]


def test_random_resized_crop_fallback_is_the_clamped_central_crop():
    wide = ember.zeros(3, 40, 100)  # aspect 2.5 > 4/3; an area of 2-3x the image never fits
    assert T.RandomResizedCrop.get_params(wide, (2.0, 3.0), (3 / 4, 4 / 3)) == (0, 23, 40, 53)
    tall = ember.zeros(3, 100, 40)  # aspect 0.4 < 3/4
    assert T.RandomResizedCrop.get_params(tall, (2.0, 3.0), (3 / 4, 4 / 3)) == (23, 0, 53, 40)
    fits = ember.zeros(3, 40, 50)  # aspect 1.25 within the range: the whole image
    assert T.RandomResizedCrop.get_params(fits, (2.0, 3.0), (3 / 4, 4 / 3)) == (0, 0, 40, 50)


def test_random_resized_crop_output_size(pil, tensor):
    ember.manual_seed(0)
    assert T.RandomResizedCrop(17)(tensor).shape == (3, 17, 17)
    assert T.RandomResizedCrop((9, 31))(pil).size == (31, 9)
    assert T.RandomResizedCrop(8)(ember.stack([tensor, tensor])).shape == (2, 3, 8, 8)
    with pytest.warns(UserWarning, match=r"\(min, max\)"):
        T.RandomResizedCrop(8, scale=(0.9, 0.1))
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        T.RandomResizedCrop(8, scale=0.5)


def test_random_crop_is_a_window_of_the_padded_image(tensor):
    padded = F.pad(tensor, 4).numpy()
    windows = set()
    for seed in range(12):
        out = seeded(T.RandomCrop(36, padding=4), tensor, seed).numpy()
        hits = [(i, j) for i in range(48 - 36 + 1) for j in range(64 - 36 + 1)
                if np.array_equal(padded[:, i:i + 36, j:j + 36], out)]
        assert hits
        windows.add(hits[0])
    assert len(windows) > 3


def test_random_crop_pad_if_needed_and_errors(tensor):
    out = T.RandomCrop((50, 70), pad_if_needed=True, fill=9)(tensor)
    assert out.shape == (3, 50, 70) and int((out == 9).sum()) >= 3 * (50 * 70 - 40 * 56)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(60)(tensor)
    assert T.RandomCrop.get_params(tensor, (40, 56)) == (0, 0, 40, 56)


def test_center_crop_five_crop_ten_crop(pil, tensor):
    assert T.CenterCrop(10)(tensor).shape == (3, 10, 10)
    assert T.CenterCrop((60, 70))(pil).size == (70, 60)
    assert len(T.FiveCrop(8)(pil)) == 5 and len(T.TenCrop(8, vertical_flip=True)(tensor)) == 10


# ---------------------------------------------------------------------------------------------
# flips, rotations, affine
# ---------------------------------------------------------------------------------------------


def test_flip_probabilities(tensor):
    flipped = F.hflip(tensor).numpy()
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(tensor).numpy(), flipped)
    assert T.RandomVerticalFlip(p=0.0)(tensor) is tensor
    ember.manual_seed(0)
    flips = sum(np.array_equal(T.RandomHorizontalFlip(0.3)(tensor).numpy(), flipped)
                for _ in range(300))
    assert 60 <= flips <= 120  # Binomial(300, 0.3): mean 90, sd 8


def test_random_rotation_angles_and_fill(tensor):
    t = T.RandomRotation(15)
    assert t.degrees == [-15.0, 15.0]
    ember.manual_seed(0)
    angles = [T.RandomRotation.get_params([10, 30]) for _ in range(100)]
    assert 10 <= min(angles) and max(angles) <= 30 and max(angles) - min(angles) > 15
    ember.manual_seed(5)
    angle = T.RandomRotation.get_params([-45, 45])
    out = seeded(T.RandomRotation(45, fill=200, expand=True), tensor, 5)
    np.testing.assert_array_equal(out.numpy(), F.rotate(tensor, angle, expand=True,
                                                        fill=[200.0] * 3).numpy())
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="length 2"):
        T.RandomRotation([1, 2, 3])


def test_random_affine_params_are_in_range():
    ember.manual_seed(0)
    for _ in range(50):
        angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(
            [-10, 10], [0.1, 0.25], [0.7, 1.3], [-4, 4, 2, 6], [56, 40])
        assert -10 <= angle <= 10 and abs(tx) <= round(5.6) and abs(ty) <= 10
        assert 0.7 <= scale <= 1.3 and -4 <= sx <= 4 and 2 <= sy <= 6
    assert T.RandomAffine.get_params([0, 0], None, None, None, [5, 5]) == (0.0, (0, 0), 1.0,
                                                                          (0.0, 0.0))
    assert T.RandomAffine(0, shear=7).shear == [-7.0, 7.0]
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 1.5))
    with pytest.raises(ValueError, match="positive"):
        T.RandomAffine(0, scale=(0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# colour
# ---------------------------------------------------------------------------------------------


def test_color_jitter_ranges():
    t = T.ColorJitter(brightness=0.4, contrast=(0.5, 1.5), saturation=2, hue=0.1)
    assert t.brightness == (0.6, 1.4) and t.contrast == (0.5, 1.5)
    assert t.saturation == (0.0, 3.0) and t.hue == (-0.1, 0.1)
    assert T.ColorJitter().brightness is None and T.ColorJitter(hue=0).hue is None
    with pytest.raises(ValueError, match="non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(TypeError, match="single number or a list/tuple"):
        T.ColorJitter(contrast=[1, 2, 3])


def test_color_jitter_applies_the_drawn_factors_in_the_drawn_order(tensor):
    t = T.ColorJitter(0.5, 0.5, 0.5, 0.2)
    img = tensor.float() / 255
    ember.manual_seed(7)
    order, b, c, s, h = T.ColorJitter.get_params(t.brightness, t.contrast, t.saturation, t.hue)
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert 0.5 <= b <= 1.5 and 0.5 <= c <= 1.5 and 0.5 <= s <= 1.5 and -0.2 <= h <= 0.2
    expected = img
    fns = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c),
           2: (F.adjust_saturation, s), 3: (F.adjust_hue, h)}
    for i in order.tolist():
        fn, factor = fns[i]
        expected = fn(expected, factor)
    np.testing.assert_allclose(seeded(t, img, 7).numpy(), expected.numpy(), atol=1e-6)


def test_grayscale_transforms(pil, tensor):
    assert T.Grayscale()(tensor).shape == (1, 40, 56)
    assert T.Grayscale(3)(pil).mode == "RGB"
    assert T.RandomGrayscale(p=1.0)(tensor).shape == (3, 40, 56)
    always = T.RandomGrayscale(p=1.0)(tensor)
    assert bool((always[0] == always[1]).all()) and bool((always[1] == always[2]).all())
    assert T.RandomGrayscale(p=0.0)(tensor) is tensor


def test_gaussian_blur_transform(tensor):
    ember.manual_seed(3)
    sigma = T.GaussianBlur.get_params(0.5, 1.5)
    assert 0.5 <= sigma <= 1.5
    out = seeded(T.GaussianBlur(5, (0.5, 1.5)), tensor, 3)
    np.testing.assert_array_equal(out.numpy(), F.gaussian_blur(tensor, 5, sigma).numpy())
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match=r"\(min, max\)"):
        T.GaussianBlur(3, (2.0, 1.0))


def test_random_single_ops(tensor):
    assert np.array_equal(T.RandomInvert(1.0)(tensor).numpy(), 255 - tensor.numpy())
    assert T.RandomAutocontrast(0.0)(tensor) is tensor
    assert "bits=3" in repr(T.RandomPosterize(3))


# ---------------------------------------------------------------------------------------------
# erasing
# ---------------------------------------------------------------------------------------------


def test_random_erasing_erases_one_rectangle():
    img = ember.ones(3, 20, 30)
    out = seeded(T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3)), img, 0)
    for c, v in enumerate((0.1, 0.2, 0.3)):
        rows, cols = np.nonzero(np.isclose(out.numpy()[c], v))
        area = rows.size
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert area == box and 0.02 * 600 * 0.8 <= area <= 0.33 * 600 * 1.2
    assert float(img.min()) == 1.0  # not in place by default
    noisy = seeded(T.RandomErasing(p=1.0, value="random"), img, 1)
    assert float((noisy != 1.0).float().mean()) > 0.0
    T.RandomErasing(p=1.0, inplace=True)(img)
    assert float(img.min()) == 0.0


def test_random_erasing_fallback_and_errors():
    tiny = ember.ones(3, 1, 1)  # no rectangle smaller than the image: unchanged
    np.testing.assert_array_equal(T.RandomErasing(p=1.0)(tiny).numpy(), tiny.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomErasing(p=1.5)
    with pytest.raises(ValueError, match="'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="number of input channels"):
        T.RandomErasing(p=1.0, value=(1.0, 2.0))(ember.ones(3, 8, 8))


# ---------------------------------------------------------------------------------------------
# containers, conversions, modules
# ---------------------------------------------------------------------------------------------


def test_containers(tensor):
    double = T.Lambda(lambda x: x * 2)
    assert T.Compose([double, double])(ember.tensor([1.0])).tolist() == [4.0]
    assert T.RandomApply([double], p=0.0)(ember.tensor([1.0])).tolist() == [1.0]
    assert T.RandomApply([double, double], p=1.0)(ember.tensor([1.0])).tolist() == [4.0]
    plus = T.Lambda(lambda x: x + 1)
    ember.manual_seed(0)
    assert {T.RandomChoice([double, plus], p=[0.0, 1.0])(ember.tensor([3.0])).item()
            for _ in range(10)} == {4.0}
    ember.manual_seed(0)
    results = {T.RandomOrder([double, plus])(ember.tensor([3.0])).item() for _ in range(20)}
    assert results == {7.0, 8.0}  # (3 * 2) + 1 or (3 + 1) * 2
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="sequence"):
        T.RandomChoice(double)


def test_conversion_transforms(pil):
    t = T.ToTensor()(pil)
    assert t.dtype == ember.float32 and float(t.max()) <= 1.0
    u8 = T.PILToTensor()(pil)
    assert u8.dtype == ember.uint8
    assert np.array_equal(np.asarray(T.ToPILImage()(u8)), np.asarray(pil))
    assert T.ConvertImageDtype(ember.float64)(u8).dtype == ember.float64
    norm = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(t)
    np.testing.assert_allclose(norm.numpy(), t.numpy() * 2 - 1, atol=1e-6)


def test_transforms_are_modules_and_compose_with_sequential(tensor):
    seq = ember.nn.Sequential(T.CenterCrop(20), T.ConvertImageDtype(ember.float32),
                              T.Normalize([0.0] * 3, [1.0] * 3))
    assert isinstance(T.Resize(10), ember.nn.Module)
    assert seq(tensor).shape == (3, 20, 20)


def test_resize_and_pad_transforms(pil, tensor):
    assert T.Resize(20)(tensor).shape == (3, 20, 28)
    assert T.Resize((10, 12), interpolation=Image.Resampling.BICUBIC)(pil).size == (12, 10)
    assert T.Resize(20).interpolation == F.InterpolationMode.BILINEAR
    assert T.Pad((1, 2))(tensor).shape == (3, 44, 58)
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="1 or 2 values"):
        T.Resize([1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode"):
        T.Pad(1, padding_mode="wrap")


def test_reprs():
    assert repr(T.Normalize([0.5], [0.2])) == "Normalize(mean=[0.5], std=[0.2])"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.Resize(8)) == ("Resize(size=8, interpolation=bilinear, max_size=None, "
                                 "antialias=True)")
    assert repr(T.Compose([T.ToTensor()])) == "Compose(\n    ToTensor()\n)"
    assert repr(T.CenterCrop(4)) == "CenterCrop(size=(4, 4))"
    assert repr(T.RandomResizedCrop(8)).startswith(
        "RandomResizedCrop(size=(8, 8), scale=(0.08, 1.0), ratio=(0.75, 1.3333)")


def test_random_resized_crop_scale_is_log_uniform_ratio():
    # The aspect ratio is drawn uniformly in log space: its median is the geometric mean.
    ember.manual_seed(0)
    img = ember.zeros(1, 400, 400)
    ratios = [w / h for _, _, h, w in (T.RandomResizedCrop.get_params(img, (0.3, 0.3),
                                                                      (0.25, 4.0))
                                       for _ in range(300))]
    assert abs(math.log(np.median(ratios))) < 0.2


def test_pipelines_pickle_for_dataloader_workers(pil):
    import pickle

    pipeline = T.Compose([T.RandomCrop(30, padding=2), T.ColorJitter(0.2), T.ToTensor(),
                          T.Normalize((0.5,) * 3, (0.5,) * 3), T.RandomErasing()])
    clone = pickle.loads(pickle.dumps(pipeline))
    np.testing.assert_array_equal(seeded(clone, pil, 4).numpy(),
                                  seeded(pipeline, pil, 4).numpy())


def test_random_apply_takes_a_module_list(tensor):
    t = T.RandomApply(ember.nn.ModuleList([T.RandomInvert(1.0)]), p=1.0)
    assert np.array_equal(t(tensor).numpy(), 255 - tensor.numpy())
