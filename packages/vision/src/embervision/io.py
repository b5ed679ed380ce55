"""Reading and writing images with torchvision's API (``torchvision.io``), through Pillow.

Images are uint8 tensors of shape ``(C, H, W)``; encoded files are uint8 tensors of shape
``(num_bytes,)``. Anything Pillow can open decodes (PNG, JPEG, GIF, BMP, TIFF, WebP...).

Deliberate differences from torchvision, documented where they occur: 16-bit images decode to
int32 (Ember has no uint16), and writes are atomic (a temporary file renamed into place), so a
crash never leaves half a file behind.

Example:
    >>> img = read_image("photo.jpg", ImageReadMode.RGB)      # (3, H, W) uint8
    >>> write_png(img, "photo.png")
    >>> data = read_file("photo.png"); decode_png(data).shape
"""

from __future__ import annotations

import io
import os
from enum import Enum

import numpy as np
from PIL import Image, ImageOps

import ember

__all__ = [
    "ImageReadMode", "read_file", "write_file", "decode_image", "decode_png", "decode_jpeg",
    "encode_png", "encode_jpeg", "read_image", "write_png", "write_jpeg",
]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"


class ImageReadMode(Enum):
    """How to convert a decoded image: ``UNCHANGED`` (as stored; palettes expanded), ``GRAY``,
    ``GRAY_ALPHA``, ``RGB``, ``RGB_ALPHA`` (also named ``RGBA``)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # an alias of RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
             ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def _parse_mode(mode, op: str) -> ImageReadMode:
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str) and mode.upper() in ImageReadMode.__members__:
        return ImageReadMode[mode.upper()]
    raise ValueError(f"{op}: mode should be an ImageReadMode (UNCHANGED, GRAY, GRAY_ALPHA, RGB, "
                     f"RGB_ALPHA), got {mode!r}")


def _atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_file(path) -> ember.Tensor:
    """The bytes of the file at ``path`` as a uint8 tensor of shape ``(num_bytes,)``."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"read_file: no such file: '{path}'")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:
        raise RuntimeError(f"read_file: Expected a non empty file, but '{path}' is empty")
    return ember.from_numpy(data)


def _bytes_of(data, op: str) -> bytes:
    if not isinstance(data, ember.Tensor):
        raise TypeError(f"{op}: expected the encoded image as a uint8 tensor of bytes, got "
                        f"{type(data)}")
    if data.dtype != ember.uint8 or data.ndim != 1:
        raise ValueError(f"{op}: expected a 1-D uint8 tensor of bytes, got shape "
                         f"{tuple(data.shape)} and dtype {data.dtype}")
    return data.numpy(force=True).tobytes()


def write_file(filename, data) -> None:
    """Write the bytes in the uint8 tensor ``data`` (shape ``(num_bytes,)``) to ``filename``."""
    _atomic_write(filename, _bytes_of(data, "write_file"))


def _to_array(im: Image.Image, mode: ImageReadMode) -> np.ndarray:
    """Pixels of ``im`` (H, W[, C]) converted as ``mode`` asks."""
    if im.mode.startswith("I;16") or im.mode == "I":
        if mode == ImageReadMode.UNCHANGED:
            return np.asarray(im).astype(np.int32)  # 16-bit levels, kept exactly
        # To 8 bits by the top byte of each 16-bit level, then the requested channels.
        im = Image.fromarray((np.asarray(im).astype(np.int64) >> 8).clip(0, 255).astype(np.uint8))
    if mode == ImageReadMode.UNCHANGED:
        if im.mode == "1":
            im = im.convert("L")
        elif im.mode in ("P", "PA"):  # palette indices -> colours (with alpha if transparent)
            transparent = im.mode == "PA" or "transparency" in im.info
            im = im.convert("RGBA" if transparent else "RGB")
        elif im.mode not in ("L", "LA", "RGB", "RGBA"):  # CMYK, YCbCr, LAB, HSV, La, RGBa...
            im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
    elif im.mode != _PIL_MODE[mode]:
        if im.mode == "P" and "transparency" in im.info:
            im = im.convert("RGBA")
        im = im.convert(_PIL_MODE[mode])
    return np.asarray(im)


def _decode(data: bytes, mode: ImageReadMode, apply_exif_orientation: bool, source: str,
            op: str, kind: str | None = None) -> ember.Tensor:
    if kind == "PNG" and not data.startswith(_PNG_SIGNATURE):
        raise RuntimeError(f"{op}: Content is not png: {source} does not start with the PNG "
                           f"signature; use decode_image for other formats")
    if kind == "JPEG" and not data.startswith(_JPEG_SIGNATURE):
        raise RuntimeError(f"{op}: Not a JPEG file: {source} does not start with the JPEG "
                           f"marker FF D8 FF; use decode_image for other formats")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if apply_exif_orientation:
                im = ImageOps.exif_transpose(im)
            im.load()
            array = _to_array(im, mode)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise RuntimeError(f"{op}: could not decode {source}: {e} (the data is corrupt, "
                           f"truncated or not an image)") from e
    if array.ndim == 2:
        array = array[:, :, None]
    return ember.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def _source(input) -> tuple[bytes, str]:
    """(the encoded bytes, how to name them in errors) of a path or a uint8 tensor of bytes."""
    if isinstance(input, (str, os.PathLike)):
        path = os.fspath(input)
        return read_file(path).numpy().tobytes(), f"'{path}'"
    data = _bytes_of(input, "decode_image")
    return data, f"the given data ({len(data)} bytes)"


def decode_image(input, mode=ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode an image (any format Pillow reads) to a ``(C, H, W)`` uint8 tensor.

    Args:
        input: a 1-D uint8 tensor of the file's bytes, or a path.
        mode: :class:`ImageReadMode` (or its name): the channels wanted.
        apply_exif_orientation: rotate/flip as the EXIF orientation tag says.

    Raises:
        RuntimeError: when the data is corrupt, truncated or not an image (naming the file).
    """
    mode = _parse_mode(mode, "decode_image")
    data, source = _source(input)
    return _decode(data, mode, apply_exif_orientation, source, "decode_image")


def decode_png(input, mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode PNG bytes (a 1-D uint8 tensor) to a ``(C, H, W)`` tensor (uint8; int32 for 16-bit
    PNGs with ``mode=UNCHANGED``)."""
    mode = _parse_mode(mode, "decode_png")
    data = _bytes_of(input, "decode_png")
    return _decode(data, mode, apply_exif_orientation, f"the given data ({len(data)} bytes)",
                   "decode_png", kind="PNG")


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False):
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) to ``(C, H, W)`` uint8 tensors on
    ``device``."""
    mode = _parse_mode(mode, "decode_jpeg")
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(x, mode, device, apply_exif_orientation) for x in input]
    data = _bytes_of(input, "decode_jpeg")
    out = _decode(data, mode, apply_exif_orientation, f"the given data ({len(data)} bytes)",
                  "decode_jpeg", kind="JPEG")
    return out.to(device)


def read_image(path, mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Read and decode the image file at ``path`` to a ``(C, H, W)`` uint8 tensor (see
    :func:`decode_image`); errors name the file."""
    mode = _parse_mode(mode, "read_image")
    path = os.fspath(path)
    data = read_file(path).numpy().tobytes()
    return _decode(data, mode, apply_exif_orientation, f"'{path}'", "read_image")


def _check_encode_input(input, op: str) -> np.ndarray:
    """The (H, W[, C]) uint8 array of a (C, H, W) uint8 tensor with 1 or 3 channels."""
    if not isinstance(input, ember.Tensor):
        raise TypeError(f"{op}: expected a uint8 tensor image (C, H, W), got {type(input)}")
    if input.dtype != ember.uint8:
        raise RuntimeError(f"{op}: Input tensor dtype should be uint8, got {input.dtype}; "
                           f"convert it with transforms.functional.convert_image_dtype")
    if input.ndim != 3:
        raise RuntimeError(f"{op}: Input tensor dimensions should be 3, got {input.ndim} "
                           f"(shape {tuple(input.shape)}); encode one (C, H, W) image at a time")
    if input.shape[0] not in (1, 3):
        raise RuntimeError(f"{op}: The number of channels should be 1 or 3, got: "
                           f"{input.shape[0]}")
    array = input.numpy(force=True).transpose(1, 2, 0)
    return np.ascontiguousarray(array[:, :, 0] if array.shape[2] == 1 else array)


def _encode(array: np.ndarray, fmt: str, **params) -> ember.Tensor:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **params)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level: int = 6) -> ember.Tensor:
    """Encode a ``(C, H, W)`` uint8 image (1 or 3 channels) as PNG bytes (lossless).

    Args:
        compression_level: zlib level, 0 (none, fastest) to 9 (smallest).
    """
    if not 0 <= compression_level <= 9:
        raise ValueError(f"encode_png: Compression level should be between 0 and 9, got "
                         f"{compression_level}")
    return _encode(_check_encode_input(input, "encode_png"), "PNG",
                   compress_level=int(compression_level))


def encode_jpeg(input, quality: int = 75):
    """Encode a ``(C, H, W)`` uint8 image (1 or 3 channels), or a list of them, as JPEG bytes.

    Args:
        quality: 1 (smallest) to 100 (best), libjpeg's quality scale.
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"encode_jpeg: Image quality should be a positive number between 1 and "
                         f"100, got {quality}")
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(x, quality) for x in input]
    return _encode(_check_encode_input(input, "encode_jpeg"), "JPEG", quality=int(quality))


def write_png(input, filename, compression_level: int = 6) -> None:
    """Encode a ``(C, H, W)`` uint8 image as PNG and write it to ``filename``."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality: int = 75) -> None:
    """Encode a ``(C, H, W)`` uint8 image as JPEG and write it to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))
