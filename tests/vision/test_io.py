"""embervision.io: round trips (PNG exact, JPEG close), read modes against Pillow's own
conversions, EXIF orientation, and clear errors for corrupt or wrong data."""

import os

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import io
from embervision.io import ImageReadMode


def smooth_rgb(h=24, w=32):
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([8 * x, 10 * y, 255 - 4 * (x + y)], axis=-1)
    return np.clip(img, 0, 255).astype(np.uint8)


def chw(array):
    return ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def test_read_and_write_file(tmp_path):
    path = tmp_path / "blob.bin"
    data = ember.tensor([0, 1, 254, 255, 7], dtype=ember.uint8)
    io.write_file(str(path), data)
    assert path.read_bytes() == bytes([0, 1, 254, 255, 7])
    back = io.read_file(path)
    assert back.dtype == ember.uint8 and back.tolist() == [0, 1, 254, 255, 7]
    assert os.listdir(tmp_path) == ["blob.bin"]  # the temporary file was renamed away
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(RuntimeError, match="non empty file.*empty"):
        io.read_file(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        io.read_file(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="1-D uint8"):
        io.write_file(path, ember.zeros(3))


@pytest.mark.parametrize("channels", [1, 3])
def test_png_round_trip_is_exact(tmp_path, channels):
    rng = np.random.default_rng(channels)
    img = ember.from_numpy(rng.integers(0, 256, (channels, 17, 23), dtype=np.uint8))
    encoded = io.encode_png(img)
    assert encoded.dtype == ember.uint8 and encoded.ndim == 1
    assert bytes(encoded.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(io.decode_png(encoded).numpy(), img.numpy())
    path = tmp_path / "img.png"
    io.write_png(img, path, compression_level=9)
    np.testing.assert_array_equal(io.read_image(path).numpy(), img.numpy())
    # Pillow, independently, reads the same pixels.
    with Image.open(path) as im:
        ref = np.asarray(im)
    np.testing.assert_array_equal(ref.reshape(17, 23, channels).transpose(2, 0, 1), img.numpy())


def test_png_compression_level_changes_size_not_pixels():
    img = chw(np.tile(smooth_rgb(), (4, 4, 1)))
    fast, small = io.encode_png(img, compression_level=0), io.encode_png(img, compression_level=9)
    assert small.shape[0] < fast.shape[0]
    np.testing.assert_array_equal(io.decode_png(fast).numpy(), io.decode_png(small).numpy())


def test_jpeg_round_trip_is_close(tmp_path):
    img = chw(smooth_rgb())
    path = tmp_path / "img.jpg"
    io.write_jpeg(img, path, quality=95)
    back = io.read_image(path)
    assert back.shape == (3, 24, 32) and back.dtype == ember.uint8
    assert np.abs(back.numpy().astype(int) - img.numpy()).mean() < 2.0
    low, high = io.encode_jpeg(img, quality=10), io.encode_jpeg(img, quality=95)
    assert low.shape[0] < high.shape[0]
    both = io.encode_jpeg([img, img], quality=50)
    assert isinstance(both, list) and len(both) == 2
    decoded = io.decode_jpeg(both, device="cpu")
    assert [d.shape for d in decoded] == [(3, 24, 32), (3, 24, 32)]
    gray = io.decode_jpeg(io.encode_jpeg(img[:1], quality=90))
    assert gray.shape == (1, 24, 32)


def test_read_modes_match_pillows_conversions(tmp_path):
    rgb = smooth_rgb()
    path = tmp_path / "rgb.png"
    Image.fromarray(rgb).save(path)
    gray = io.read_image(path, ImageReadMode.GRAY)
    np.testing.assert_array_equal(gray.numpy()[0], np.asarray(Image.fromarray(rgb).convert("L")))
    rgba = io.read_image(path, ImageReadMode.RGB_ALPHA)
    assert rgba.shape == (4, 24, 32) and int(rgba[3].min()) == 255
    assert io.read_image(path, "GRAY_ALPHA").shape == (2, 24, 32)
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA
    lpath = tmp_path / "l.png"
    Image.fromarray(rgb[:, :, 0]).save(lpath)
    as_rgb = io.read_image(lpath, ImageReadMode.RGB).numpy()
    assert as_rgb.shape == (3, 24, 32) and (as_rgb[0] == as_rgb[2]).all()
    with pytest.raises(ValueError, match="ImageReadMode"):
        io.read_image(path, "CMYK")


def test_unchanged_mode_expands_palettes_and_keeps_alpha_and_16_bit(tmp_path):
    rgba = np.dstack([smooth_rgb(), np.full((24, 32), 100, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(io.read_image(tmp_path / "rgba.png").numpy(),
                                  rgba.transpose(2, 0, 1))
    palette = Image.fromarray(smooth_rgb()).quantize(16)
    palette.save(tmp_path / "p.png")
    expanded = io.read_image(tmp_path / "p.png")
    np.testing.assert_array_equal(expanded.numpy(),
                                  np.asarray(palette.convert("RGB")).transpose(2, 0, 1))
    deep = np.array([[0, 1000, 65535]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    sixteen = io.read_image(tmp_path / "deep.png")
    assert sixteen.dtype == ember.int32 and sixteen.tolist() == [[[0, 1000, 65535]]]
    assert io.read_image(tmp_path / "deep.png", ImageReadMode.GRAY).tolist() == [[[0, 3, 255]]]


def test_decode_image_from_bytes_or_path_and_other_formats(tmp_path):
    rgb = smooth_rgb()
    for ext in ("bmp", "gif", "tiff", "webp"):
        path = tmp_path / f"img.{ext}"
        Image.fromarray(rgb).save(path, **({"lossless": True} if ext == "webp" else {}))
        with Image.open(path) as im:
            ref = np.asarray(im.convert("RGB")).transpose(2, 0, 1)
        np.testing.assert_array_equal(io.decode_image(str(path), ImageReadMode.RGB).numpy(), ref)
        np.testing.assert_array_equal(
            io.decode_image(io.read_file(path), ImageReadMode.RGB).numpy(), ref)


def test_exif_orientation_is_applied_on_request(tmp_path):
    img = Image.fromarray(smooth_rgb(10, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # 'rotate 90 degrees clockwise to display'
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif, quality=95)
    assert io.read_image(path).shape == (3, 10, 30)
    upright = io.read_image(path, apply_exif_orientation=True)
    assert upright.shape == (3, 30, 10)


def test_corrupt_data_errors_name_the_file(tmp_path):
    good = io.encode_png(chw(smooth_rgb())).numpy().tobytes()
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(RuntimeError, match="truncated.png"):
        io.read_image(truncated)
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"this is not an image at all")
    with pytest.raises(RuntimeError, match="garbage.jpg"):
        io.read_image(garbage)
    with pytest.raises(RuntimeError, match="garbage.jpg"):
        io.decode_image(str(garbage))
    with pytest.raises(RuntimeError, match="could not decode the given data"):
        io.decode_image(ember.tensor([1, 2, 3], dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="Content is not png"):
        io.decode_png(io.encode_jpeg(chw(smooth_rgb())))
    with pytest.raises(RuntimeError, match="Not a JPEG file"):
        io.decode_jpeg(io.encode_png(chw(smooth_rgb())))
    with pytest.raises(TypeError, match="uint8 tensor of bytes"):
        io.decode_png(b"\x89PNG")


def test_encode_errors():
    img = chw(smooth_rgb())
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        io.encode_png(img.float())
    with pytest.raises(RuntimeError, match="dimensions should be 3"):
        io.encode_png(img[None])
    with pytest.raises(RuntimeError, match="channels should be 1 or 3"):
        io.encode_jpeg(ember.zeros(4, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(img, quality=0)
    with pytest.raises(ValueError, match="between 0 and 9"):
        io.encode_png(img, compression_level=10)
