"""embervision.transforms.functional: the tensor path against Pillow (an independent
implementation), literal values, geometry identities and SciPy references."""

import numpy as np
import pytest
import scipy.ndimage
from PIL import Image

import ember
import embervision.transforms.functional as F
from embervision.transforms.functional import InterpolationMode as IM


def make_photo(h=48, w=64, seed=0):
    """A smooth synthetic RGB 'photo' (gradients, a disc, a dark bar, mild noise), uint8 HWC."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    yn, xn = y / h, x / w
    r = 128 + 100 * np.sin(2 * np.pi * (1.5 * xn + 0.5 * yn))
    g = 30 + 200 * yn
    b = 220 - 180 * xn
    disc = (x - 0.6 * w) ** 2 + (y - 0.4 * h) ** 2 < (0.2 * h) ** 2
    r, g, b = np.where(disc, 240, r), np.where(disc, 200, g), np.where(disc, 40, b)
    bar = (np.abs(y - 0.75 * h) < 3) & (x < 0.5 * w)
    img = np.stack([r, g, b], axis=-1) * np.where(bar, 0.2, 1.0)[..., None]
    img = img + rng.normal(0, 2, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def photo():
    return make_photo()


@pytest.fixture(scope="module")
def pil(photo):
    return Image.fromarray(photo)


@pytest.fixture(scope="module")
def tensor(photo):
    return ember.from_numpy(np.ascontiguousarray(photo.transpose(2, 0, 1)))


def hwc(x):
    """PIL image or CHW tensor -> HWC int64 array, for comparisons."""
    if isinstance(x, ember.Tensor):
        a = x.numpy()
        return (a.transpose(1, 2, 0) if a.ndim == 3 else a[..., None]).astype(np.int64)
    a = np.asarray(x)
    return (a if a.ndim == 3 else a[..., None]).astype(np.int64)


def diff(pil_out, tensor_out):
    a, b = hwc(pil_out), hwc(tensor_out)
    assert a.shape == b.shape
    return np.abs(a - b)


# ---------------------------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------------------------


def test_to_tensor_scales_uint8_and_moves_channels_first():
    a = np.array([[[0, 51, 255], [255, 0, 102]]], dtype=np.uint8)  # H=1, W=2, C=3
    t = F.to_tensor(a)
    assert t.shape == (3, 1, 2) and t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy()[:, 0, 0], [0.0, 0.2, 1.0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(t.numpy()[:, 0, 1], [1.0, 0.0, 0.4], rtol=0, atol=1e-7)
    # Other dtypes keep their values (torchvision's 'backward compatibility').
    f = F.to_tensor(np.full((2, 3), 7.5))
    assert f.dtype == ember.float64 and f.shape == (1, 2, 3) and float(f[0, 1, 2]) == 7.5


def test_to_tensor_pil_modes(pil):
    t = F.to_tensor(pil)
    np.testing.assert_array_equal(t.numpy(), np.asarray(pil).transpose(2, 0, 1) / np.float32(255))
    one_bit = Image.fromarray(np.array([[0, 1]], dtype=bool))
    np.testing.assert_array_equal(F.to_tensor(one_bit).numpy(), [[[0.0, 1.0]]])
    as_int = F.to_tensor(Image.fromarray(np.array([[70000, -3]], dtype=np.int32)))
    assert as_int.dtype == ember.int32 and as_int.tolist() == [[[70000, -3]]]
    as_float = F.to_tensor(Image.fromarray(np.array([[2.5]], dtype=np.float32)))
    assert as_float.dtype == ember.float32 and as_float.tolist() == [[[2.5]]]


def test_to_tensor_follows_the_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert F.to_tensor(np.zeros((2, 2), np.uint8)).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        F.to_tensor([[1, 2]])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        F.to_tensor(np.zeros((1, 2, 2, 3), np.uint8))


def test_pil_to_tensor_keeps_values(pil, photo):
    t = F.pil_to_tensor(pil)
    assert t.dtype == ember.uint8 and t.shape == (3, 48, 64)
    np.testing.assert_array_equal(t.numpy(), photo.transpose(2, 0, 1))
    sixteen = Image.fromarray(np.array([[0, 40000, 65535]], dtype=np.uint16))
    t16 = F.pil_to_tensor(sixteen)
    assert t16.dtype == ember.int32 and t16.tolist() == [[[0, 40000, 65535]]]


@pytest.mark.parametrize("channels, dtype, mode", [
    (1, np.uint8, "L"), (1, np.int16, "I;16"), (1, np.int32, "I"), (1, np.float32, "L"),
    (2, np.uint8, "LA"), (3, np.uint8, "RGB"), (4, np.uint8, "RGBA"), (3, np.float64, "RGB"),
])
def test_to_pil_image_infers_the_mode(channels, dtype, mode):
    t = ember.from_numpy(np.zeros((channels, 2, 3), dtype=dtype))
    assert F.to_pil_image(t).mode == mode
    assert F.to_pil_image(np.zeros((2, 3, channels), dtype=dtype)).mode == mode


def test_to_pil_image_values_and_modes(pil):
    assert np.array_equal(np.asarray(F.to_pil_image(F.pil_to_tensor(pil))), np.asarray(pil))
    # Floats: x * 255 truncated (torchvision's .byte()).
    out = F.to_pil_image(ember.tensor([[[0.0, 0.5, 1.0]]]))
    assert out.mode == "L" and np.asarray(out).tolist() == [[0, 127, 255]]
    assert F.to_pil_image(ember.tensor([[[0.25]]]), mode="F").getpixel((0, 0)) == 0.25
    assert F.to_pil_image(ember.zeros(3, 2, 2, dtype=ember.uint8), mode="HSV").mode == "HSV"
    assert F.to_pil_image(ember.zeros(2, 2, dtype=ember.uint8)).size == (2, 2)


def test_to_pil_image_errors():
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(ember.zeros(3, 2, 2, dtype=ember.uint8), mode="RGBA")
    with pytest.raises(ValueError, match="> 4 channels"):
        F.to_pil_image(ember.zeros(5, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="Incorrect mode"):
        F.to_pil_image(ember.zeros(1, 2, 2, dtype=ember.uint8), mode="F")
    with pytest.raises(TypeError, match="not supported"):
        F.to_pil_image(ember.zeros(3, 2, 2, dtype=ember.bool))
    with pytest.raises(TypeError, match="Tensor or ndarray"):
        F.to_pil_image([1, 2])


def test_convert_image_dtype_literals():
    u8 = ember.tensor([0, 128, 255], dtype=ember.uint8)
    np.testing.assert_allclose(F.convert_image_dtype(u8).numpy(), [0.0, 128 / 255, 1.0],
                               rtol=1e-7)
    back = F.convert_image_dtype(ember.tensor([0.0, 0.5, 0.999, 1.0]), ember.uint8)
    assert back.tolist() == [0, 127, 255, 255]  # x * (256 - 1e-3), truncated
    assert F.convert_image_dtype(u8, ember.int16).tolist() == [0, 128 * 128, 255 * 128]
    i16 = ember.tensor([0, 256, 32767], dtype=ember.int16)
    assert F.convert_image_dtype(i16, ember.uint8).tolist() == [0, 2, 255]
    assert F.convert_image_dtype(u8, ember.uint8) is u8
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.zeros(2), ember.int32)


def test_normalize_literal_and_inplace():
    x = ember.tensor([[[0.5, 1.0]], [[0.0, 0.2]]])
    out = F.normalize(x, [0.5, 0.1], [0.5, 0.2])
    np.testing.assert_allclose(out.numpy(), [[[0.0, 1.0]], [[-0.5, 0.5]]], atol=1e-6)
    np.testing.assert_allclose(x.numpy(), [[[0.5, 1.0]], [[0.0, 0.2]]])  # untouched
    same = F.normalize(x, [0.5, 0.1], [0.5, 0.2], inplace=True)
    assert same is x
    np.testing.assert_allclose(x.numpy(), out.numpy())
    batch = F.normalize(ember.ones(4, 2, 3, 3), [1.0, 0.0], [1.0, 0.5])
    assert batch.shape == (4, 2, 3, 3) and float(batch[:, 1].min()) == 2.0


def test_normalize_errors():
    with pytest.raises(TypeError, match="float tensor"):
        F.normalize(ember.zeros(3, 2, 2, dtype=ember.uint8), [0.0] * 3, [1.0] * 3)
    with pytest.raises(ValueError, match="division by zero"):
        F.normalize(ember.zeros(3, 2, 2), [0.0] * 3, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"\(..., C, H, W\)"):
        F.normalize(ember.zeros(2, 2), [0.0], [1.0])


# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------


def test_resize_output_sizes(tensor, pil):
    assert F.resize(tensor, 24).shape == (3, 24, 32)  # shorter side (H = 48) -> 24
    assert F.resize(tensor, [20, 30]).shape == (3, 20, 30)
    assert F.resize(tensor, 30, max_size=35).shape == (3, 26, 35)  # 30 x 40 capped: 35 x 26.25
    assert F.resize(pil, 24).size == (32, 24)
    assert F.resize(tensor[:, :, :40], 10).shape == (3, 12, 10)  # int(10 * 48 / 40)
    assert F.resize(tensor, 48) is tensor  # already that size


@pytest.mark.parametrize("mode, size, tol", [
    (IM.BILINEAR, 24, 1), (IM.BILINEAR, 31, 1), (IM.BILINEAR, 77, 1), (IM.BICUBIC, 29, 2),
    (IM.NEAREST_EXACT, 24, 0),
])
def test_resize_matches_pil(pil, tensor, mode, size, tol):
    # PIL antialiases when downsampling, as the tensor path does by default.
    assert diff(F.resize(pil, size, mode), F.resize(tensor, size, mode)).max() <= tol


def test_resize_antialias_flag_and_batch(tensor):
    smooth = F.resize(tensor, 12).numpy().astype(int)
    aliased = F.resize(tensor, 12, antialias=False).numpy().astype(int)
    assert np.abs(smooth - aliased).max() > 3
    batch = ember.stack([tensor, F.hflip(tensor)])
    out = F.resize(batch, 20)
    assert out.shape == (2, 3, 20, 26) and out.dtype == ember.uint8
    np.testing.assert_array_equal(out[1].numpy(), F.resize(F.hflip(tensor), 20).numpy())
    as_float = F.resize(tensor.float() / 255, 20).numpy() * 255
    assert np.abs(as_float - out[0].numpy()).max() <= 0.5 + 1e-3  # uint8 = rounded float


def test_resize_errors(tensor):
    with pytest.raises(ValueError, match="1 or 2 element"):
        F.resize(tensor, [1, 2, 3])
    with pytest.raises(ValueError, match="max_size should only be passed"):
        F.resize(tensor, [10, 10], max_size=20)
    with pytest.raises(ValueError, match="strictly greater"):
        F.resize(tensor, 20, max_size=20)
    with pytest.raises(ValueError, match="BOX"):
        F.resize(tensor, 10, IM.BOX)
    with pytest.raises(TypeError, match="InterpolationMode"):
        F.resize(tensor, 10, "bilinear")


def test_resize_takes_pillow_constants(pil):
    assert F.resize(pil, 24, Image.Resampling.NEAREST).size == (32, 24)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [3, [2, 5], [1, 2, 3, 4], [4, -3, -2, 70]])
def test_pad_matches_pil(pil, tensor, mode, padding):
    out = F.pad(tensor, padding, fill=9, padding_mode=mode)
    assert diff(F.pad(pil, padding, fill=9, padding_mode=mode), out).max() == 0


def test_pad_literal_modes():
    row = ember.tensor([[[1, 2, 3, 4]]])
    assert F.pad(row, [2, 0], padding_mode="reflect")[0, 0].tolist() == [3, 2, 1, 2, 3, 4, 3, 2]
    assert F.pad(row, [2, 0], padding_mode="symmetric")[0, 0].tolist() == [2, 1, 1, 2, 3, 4, 4, 3]
    assert F.pad(row, [2, 0], padding_mode="edge")[0, 0].tolist() == [1, 1, 1, 2, 3, 4, 4, 4]
    assert F.pad(row, [1, 0], fill=7)[0, 0].tolist() == [7, 1, 2, 3, 4, 7]
    with pytest.raises(ValueError, match="Padding mode"):
        F.pad(row, 1, padding_mode="wrap")
    with pytest.raises(ValueError, match="1, 2, or 4 element"):
        F.pad(row, [1, 2, 3])


def test_crop_and_center_crop_match_pil(pil, tensor):
    for box in [(5, 7, 20, 30), (-4, 50, 20, 30), (40, -3, 20, 70)]:
        assert diff(F.crop(pil, *box), F.crop(tensor, *box)).max() == 0
    outside = F.crop(tensor, -4, 0, 10, 10)
    assert int(outside[:, :4].abs().sum()) == 0  # zeros where the box leaves the image
    for size in [20, (17, 33), (60, 70), (5, 80)]:
        assert diff(F.center_crop(pil, size), F.center_crop(tensor, size)).max() == 0
    np.testing.assert_array_equal(F.center_crop(tensor, (10, 12)).numpy(),
                                  tensor.numpy()[:, 19:29, 26:38])


def test_flips(pil, tensor, photo):
    np.testing.assert_array_equal(hwc(F.hflip(tensor)), photo[:, ::-1])
    np.testing.assert_array_equal(hwc(F.vflip(tensor)), photo[::-1])
    assert diff(F.hflip(pil), F.hflip(tensor)).max() == 0
    assert diff(F.vflip(pil), F.vflip(tensor)).max() == 0
    batch = ember.stack([tensor, tensor])
    assert F.hflip(batch).shape == (2, 3, 48, 64)


def test_five_and_ten_crop(tensor):
    tl, tr, bl, br, center = F.five_crop(tensor, (10, 12))
    a = tensor.numpy()
    np.testing.assert_array_equal(tl.numpy(), a[:, :10, :12])
    np.testing.assert_array_equal(tr.numpy(), a[:, :10, -12:])
    np.testing.assert_array_equal(bl.numpy(), a[:, -10:, :12])
    np.testing.assert_array_equal(br.numpy(), a[:, -10:, -12:])
    np.testing.assert_array_equal(center.numpy(), a[:, 19:29, 26:38])
    ten = F.ten_crop(tensor, 8)
    assert len(ten) == 10
    np.testing.assert_array_equal(ten[5].numpy(), a[:, :8, ::-1][:, :, :8])
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(tensor, 50)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotate_multiples_of_90_degrees_are_rot90(k):
    square = ember.from_numpy(make_photo(20, 20).transpose(2, 0, 1).copy())
    out = F.rotate(square, 90.0 * k)
    np.testing.assert_array_equal(out.numpy(), np.rot90(square.numpy(), k, axes=(1, 2)))
    tall = ember.from_numpy(make_photo(12, 20).transpose(2, 0, 1).copy())
    expanded = F.rotate(tall, 90.0, expand=True)
    np.testing.assert_array_equal(expanded.numpy(), np.rot90(tall.numpy(), 1, axes=(1, 2)))


def test_rotate_matches_pil(pil, tensor):
    for angle, expand in [(33.0, False), (-71.0, True), (12.5, True)]:
        d = diff(F.rotate(pil, angle, expand=expand, fill=[10, 20, 30]),
                 F.rotate(tensor, angle, expand=expand, fill=[10, 20, 30]))
        assert (d > 0).mean() < 0.01  # nearest neighbour: only exact ties may differ
    centred = diff(F.rotate(pil, 20.0, center=[10, 5]), F.rotate(tensor, 20.0, center=[10, 5]))
    assert (centred > 0).mean() < 0.01
    bilinear = diff(F.rotate(pil, 20.0, IM.BILINEAR), F.rotate(tensor, 20.0, IM.BILINEAR))
    assert np.median(bilinear) <= 1


def test_rotate_fill_and_batch(tensor):
    out = F.rotate(tensor, 45.0, fill=[1, 2, 3])
    assert out[:, 0, 0].tolist() == [1, 2, 3] and out[:, -1, -1].tolist() == [1, 2, 3]
    batch = ember.stack([tensor, F.vflip(tensor)])
    rb = F.rotate(batch, 30.0, fill=[0.0, 0.0, 0.0])
    np.testing.assert_array_equal(rb[1].numpy(), F.rotate(F.vflip(tensor), 30.0, fill=0).numpy())


def test_affine_identity_and_translation(tensor):
    for mode in (IM.NEAREST, IM.BILINEAR):
        same = F.affine(tensor, 0.0, [0, 0], 1.0, [0.0, 0.0], interpolation=mode)
        np.testing.assert_array_equal(same.numpy(), tensor.numpy())
    dot = ember.zeros(1, 12, 16)
    dot[0, 5, 7] = 1.0
    moved = F.affine(dot, 0.0, [3, -2], 1.0, 0.0)
    assert np.argwhere(moved.numpy()[0] == 1.0).tolist() == [[3, 10]]
    # Scale 2 about the centre (8, 6): pixel centre (7.5, 5.5) -> (7, 5).
    scaled = F.affine(dot, 0.0, [0, 0], 2.0, 0.0)
    assert np.argwhere(scaled.numpy()[0] == 1.0).tolist() == [[4, 6], [4, 7], [5, 6], [5, 7]]


def test_affine_matches_pil(pil, tensor):
    for args in [(10.0, [3, -2], 1.2, [5.0, 3.0]), (-30.0, [0, 4], 0.8, 12.0)]:
        d = diff(F.affine(pil, *args), F.affine(tensor, *args))
        assert (d > 0).mean() < 0.01
    d = diff(F.affine(pil, 15.0, [1, 1], 1.0, 0.0, center=[5, 9]),
             F.affine(tensor, 15.0, [1, 1], 1.0, 0.0, center=[5, 9]))
    assert (d > 0).mean() < 0.01


def test_affine_errors(tensor):
    with pytest.raises(ValueError, match="scale should be positive"):
        F.affine(tensor, 0.0, [0, 0], 0.0, 0.0)
    with pytest.raises(ValueError, match="length 2"):
        F.affine(tensor, 0.0, [0], 1.0, 0.0)
    with pytest.raises(ValueError, match="unsupported with Tensor"):
        F.affine(tensor, 0.0, [0, 0], 1.0, 0.0, interpolation=IM.BICUBIC)
    with pytest.raises(ValueError, match="cannot broadcast"):
        F.rotate(tensor, 10.0, fill=[1.0, 2.0])


def test_perspective(pil, tensor):
    corners = [[0, 0], [63, 0], [63, 47], [0, 47]]
    same = F.perspective(tensor, corners, corners, IM.NEAREST)
    np.testing.assert_array_equal(same.numpy(), tensor.numpy())
    end = [[3, 2], [60, 0], [63, 45], [1, 47]]
    d = diff(F.perspective(pil, corners, end, IM.NEAREST),
             F.perspective(tensor, corners, end, IM.NEAREST))
    assert (d[4:-4, 4:-4] > 0).mean() < 0.01


def test_dimensions(pil, tensor):
    assert F.get_dimensions(pil) == [3, 48, 64] == F.get_dimensions(tensor)
    assert F.get_image_size(pil) == [64, 48] == F.get_image_size(tensor)
    assert F.get_image_num_channels(pil.convert("L")) == 1
    assert F.get_dimensions(ember.zeros(5, 2, 7, 9)) == [2, 7, 9]
    assert F.get_dimensions(ember.zeros(7, 9)) == [1, 7, 9]
    with pytest.raises(TypeError, match="image tensor"):
        F.get_dimensions(ember.zeros(4))


def test_erase():
    img = ember.zeros(2, 4, 5)
    out = F.erase(img, 1, 2, 2, 3, ember.tensor([[[1.0]], [[2.0]]]))
    assert float(img.sum()) == 0.0 and float(out.sum()) == 6 * 1 + 6 * 2
    assert out[1, 1:3, 2:5].tolist() == [[2.0] * 3] * 2
    F.erase(img, 0, 0, 1, 1, 5.0, inplace=True)
    assert float(img[0, 0, 0]) == 5.0 and float(img[1, 0, 0]) == 5.0
    with pytest.raises(TypeError, match="Tensor Image"):
        F.erase(Image.new("L", (2, 2)), 0, 0, 1, 1, 0)


# ---------------------------------------------------------------------------------------------
# colour
# ---------------------------------------------------------------------------------------------


def test_grayscale_weights_literal():
    rgb = ember.eye(3).reshape(3, 1, 3)  # pixel j is pure channel j
    gray = F.rgb_to_grayscale(rgb)
    np.testing.assert_allclose(gray.numpy().ravel(), [0.2989, 0.587, 0.114], rtol=1e-6)
    u8 = F.rgb_to_grayscale(ember.tensor([[[255]], [[255]], [[0]]], dtype=ember.uint8))
    assert u8.tolist() == [[[225]]]  # 0.2989 * 255 + 0.587 * 255 = 225.9, truncated
    three = F.rgb_to_grayscale(rgb, num_output_channels=3)
    assert three.shape == (3, 1, 3) and bool((three[0] == three[2]).all())
    with pytest.raises(ValueError, match="num_output_channels"):
        F.rgb_to_grayscale(rgb, 2)
    with pytest.raises(TypeError, match="permitted channel values"):
        F.rgb_to_grayscale(ember.zeros(2, 3, 3))


def test_grayscale_matches_pil(pil, tensor):
    # PIL rounds L = (299 R + 587 G + 114 B) / 1000; the tensor path truncates.
    assert diff(F.rgb_to_grayscale(pil), F.rgb_to_grayscale(tensor)).max() <= 1
    assert F.rgb_to_grayscale(pil, 3).mode == "RGB"


@pytest.mark.parametrize("fn, factors", [
    (F.adjust_brightness, [0.0, 0.4, 1.7]),
    (F.adjust_contrast, [0.0, 0.5, 1.6]),
    (F.adjust_saturation, [0.0, 0.3, 1.9]),
    (F.adjust_sharpness, [0.0, 0.5, 2.0]),
    (F.adjust_gamma, [0.5, 1.0, 2.2]),
])
def test_colour_adjustments_match_pil(pil, tensor, fn, factors):
    for factor in factors:
        assert diff(fn(pil, factor), fn(tensor, factor)).max() <= 2


def test_colour_adjustment_literals():
    img = ember.tensor([[[0.2, 0.8]], [[0.4, 0.4]], [[0.6, 0.0]]])
    assert float(F.adjust_brightness(img, 0.0).abs().sum()) == 0.0
    np.testing.assert_allclose(F.adjust_brightness(img, 2.0).numpy()[:, 0, 0], [0.4, 0.8, 1.0])
    mean = float(F.rgb_to_grayscale(img).mean())
    np.testing.assert_allclose(F.adjust_contrast(img, 0.0).numpy(), np.full((3, 1, 2), mean),
                               rtol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(img, 0.0).numpy(),
                               np.broadcast_to(F.rgb_to_grayscale(img).numpy(), (3, 1, 2)))
    np.testing.assert_allclose(F.adjust_gamma(img, 2.0).numpy(), img.numpy() ** 2, rtol=1e-6)
    with pytest.raises(ValueError, match="not non-negative"):
        F.adjust_contrast(img, -0.1)


def test_adjust_hue():
    red = ember.tensor([[[1.0]], [[0.0]], [[0.0]]])
    np.testing.assert_allclose(F.adjust_hue(red, 1 / 3).numpy().ravel(), [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(F.adjust_hue(red, 0.5).numpy().ravel(), [0, 1, 1], atol=1e-6)
    np.testing.assert_allclose(F.adjust_hue(red, -1 / 6).numpy().ravel(), [1, 0, 1], atol=1e-6)
    grey = ember.full((3, 2, 2), 0.5)
    np.testing.assert_allclose(F.adjust_hue(grey, 0.3).numpy(), grey.numpy())
    with pytest.raises(ValueError, match=r"\[-0.5, 0.5\]"):
        F.adjust_hue(red, 0.6)


def test_adjust_hue_matches_pil(pil, tensor):
    # Pillow quantises H, S and V to 8 bits, so single pixels can move by several levels.
    for factor in (-0.4, 0.1, 0.25):
        d = diff(F.adjust_hue(pil, factor), F.adjust_hue(tensor, factor))
        assert d.mean() < 1.5 and d.max() <= 16
    assert np.abs(F.adjust_hue(tensor, 0.0).numpy().astype(int) - tensor.numpy()).max() <= 1


def test_single_channel_colour_ops(pil):
    gray = pil.convert("L")
    t = F.pil_to_tensor(gray)
    assert F.adjust_saturation(t, 0.3) is t and F.adjust_hue(t, 0.2) is t
    assert diff(F.adjust_contrast(gray, 0.5), F.adjust_contrast(t, 0.5)).max() <= 1


@pytest.mark.parametrize("fn, arg, tol", [
    (F.invert, None, 0), (F.posterize, 3, 0), (F.posterize, 0, 0), (F.solarize, 100, 0),
    (F.equalize, None, 0), (F.autocontrast, None, 1),  # PIL's integer LUT vs float32 scaling
])
def test_lut_ops_match_pil(pil, tensor, fn, arg, tol):
    args = () if arg is None else (arg,)
    assert diff(fn(pil, *args), fn(tensor, *args)).max() <= tol


def test_lut_op_literals():
    u8 = ember.tensor([[[0, 100, 191, 255]]], dtype=ember.uint8)
    assert F.invert(u8).tolist() == [[[255, 155, 64, 0]]]
    assert F.posterize(u8, 2).tolist() == [[[0, 64, 128, 192]]]  # keep the top 2 bits
    assert F.solarize(u8, 150).tolist() == [[[0, 100, 64, 0]]]
    np.testing.assert_allclose(F.invert(ember.tensor([[[0.25]]])).numpy(), [[[0.75]]])
    stretched = F.autocontrast(ember.tensor([[[0.2, 0.4, 0.6]]]))
    np.testing.assert_allclose(stretched.numpy(), [[[0.0, 0.5, 1.0]]], atol=1e-6)
    flat = ember.full((1, 2, 2), 0.3)
    np.testing.assert_allclose(F.autocontrast(flat).numpy(), flat.numpy())
    constant = ember.full((3, 4, 4), 77, dtype=ember.uint8)
    assert bool((F.equalize(constant) == constant).all())


def test_equalize_is_per_image_and_channel(tensor):
    batch = ember.stack([tensor, F.invert(tensor) // 2])
    out = F.equalize(batch)
    for i in range(2):
        np.testing.assert_array_equal(out[i].numpy(), F.equalize(batch[i]).numpy())
    levels = F.equalize(tensor).numpy()
    assert levels.min() == 0 and levels.max() == 255  # spread over the full range


def test_lut_op_errors(tensor):
    with pytest.raises(TypeError, match="uint8"):
        F.posterize(tensor.float(), 2)
    with pytest.raises(TypeError, match="uint8"):
        F.equalize(tensor.float())
    with pytest.raises(ValueError, match="between 0 and 8"):
        F.posterize(tensor, 9)
    with pytest.raises(TypeError, match="Threshold"):
        F.solarize(tensor.float() / 255, 2.0)


def test_gaussian_blur_against_scipy(tensor, pil):
    x = tensor.double() / 255
    out = F.gaussian_blur(x, [5, 3], [1.5, 0.7])
    # torchvision reflects without repeating the edge: SciPy's 'mirror' mode.
    def kernel(k, s):
        t = np.arange(k) - (k - 1) / 2
        w = np.exp(-0.5 * (t / s) ** 2)
        return w / w.sum()
    ref = scipy.ndimage.correlate1d(x.numpy(), kernel(5, 1.5), axis=2, mode="mirror")
    ref = scipy.ndimage.correlate1d(ref, kernel(3, 0.7), axis=1, mode="mirror")
    np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=1e-12)
    # PIL images are blurred by the same code, so both paths agree exactly.
    assert diff(F.gaussian_blur(pil, 5, 1.3), F.gaussian_blur(tensor, 5, 1.3)).max() == 0
    default = F.gaussian_blur(x, 7)  # sigma = 0.15 * 7 + 0.35 = 1.4
    np.testing.assert_allclose(default.numpy(), F.gaussian_blur(x, 7, 1.4).numpy())


def test_gaussian_blur_errors(tensor):
    with pytest.raises(ValueError, match="odd and positive"):
        F.gaussian_blur(tensor, 4)
    with pytest.raises(ValueError, match="positive values"):
        F.gaussian_blur(tensor, 3, 0.0)
    with pytest.raises(TypeError, match="kernel_size"):
        F.gaussian_blur(tensor, 3.0)


# ---------------------------------------------------------------------------------------------
# gradients flow through the tensor path (it is built from differentiable Ember operations)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda t: F.resize(t, [3, 5]),
    lambda t: F.affine(t, 17.0, [1, 0], 1.1, [4.0, 0.0], IM.BILINEAR, fill=[0.5, 0.25, 0.0]),
    lambda t: F.normalize(t, [0.1, 0.2, 0.3], [0.5, 2.0, 1.0]),
    lambda t: F.adjust_saturation(F.pad(t, [1, 2], padding_mode="reflect"), 0.6)[:1],
    lambda t: F.gaussian_blur(t, 3, 0.8),
])
def test_tensor_path_is_differentiable(fn):
    x = ember.rand(3, 5, 6, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
