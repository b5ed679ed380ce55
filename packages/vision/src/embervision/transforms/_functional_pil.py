"""The PIL-image path of :mod:`embervision.transforms.functional`.

Each function takes a ``PIL.Image.Image`` and returns one, through Pillow's own operations
(``ImageEnhance``, ``ImageOps``, ``Image.transform``), as torchvision's ``_functional_pil`` does,
so that results on PIL images match torchvision's pixel for pixel. The public functions in
``functional.py`` validate arguments and dispatch here; this module trusts its inputs.
"""

from __future__ import annotations

import numbers

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def _is_pil_image(img) -> bool:
    return isinstance(img, Image.Image)


def _check_pil(img, op: str) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"{op}: img should be a PIL Image or an ember Tensor, got {type(img)}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image."""
    _check_pil(img, "get_dimensions")
    width, height = img.size
    return [len(img.getbands()), height, width]


def get_image_size(img) -> list[int]:
    """[width, height] of a PIL image."""
    _check_pil(img, "get_image_size")
    return list(img.size)


def get_image_num_channels(img) -> int:
    _check_pil(img, "get_image_num_channels")
    return len(img.getbands())


def hflip(img):
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def adjust_brightness(img, brightness_factor: float):
    return ImageEnhance.Brightness(img).enhance(brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    return ImageEnhance.Contrast(img).enhance(contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    return ImageEnhance.Color(img).enhance(saturation_factor)


def adjust_sharpness(img, sharpness_factor: float):
    return ImageEnhance.Sharpness(img).enhance(sharpness_factor)


def adjust_hue(img, hue_factor: float):
    if img.mode in {"L", "1", "I", "F"}:  # no hue to shift (torchvision returns it unchanged)
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    # The hue channel is an angle stored in 0..255: the shift wraps around, as intended.
    np_h += np.array(hue_factor * 255).astype(np.uint8)
    h = Image.fromarray(np_h, "L")
    return Image.merge("HSV", (h, s, v)).convert(img.mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    input_mode = img.mode
    img = img.convert("RGB")
    # (255 + 1 - 1e-3) spreads [0, 1] evenly over the 256 levels, as convert_image_dtype does.
    gamma_map = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma)) for ele in range(256)]
    return img.point(gamma_map * 3).convert(input_mode)


def _parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """The ``fill`` of a padding or geometric transform as Pillow wants it: one value per band,
    integers unless the image is 32-bit float (mode 'F')."""
    num_channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * num_channels
        elif len(fill) != num_channels:
            raise ValueError(
                f"The number of elements in 'fill' does not match the number of channels of the "
                f"image ({len(fill)} != {num_channels})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad by ``padding`` (an int, or (left/right, top/bottom), or (left, top, right, bottom));
    negative values crop."""
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode == "constant":
        opts = _parse_fill(fill, img, name="fill")
        if img.mode == "P":  # ImageOps.expand drops the palette: put it back
            palette = img.getpalette()
            image = ImageOps.expand(img, border=padding, **opts)
            image.putpalette(palette)
            return image
        return ImageOps.expand(img, border=padding, **opts)

    if isinstance(padding, numbers.Number):
        p = [int(padding)] * 4
    elif len(padding) == 2:
        p = [padding[0], padding[1], padding[0], padding[1]]
    else:
        p = list(padding)
    cropping = -np.minimum(p, 0)
    if cropping.any():
        crop_left, crop_top, crop_right, crop_bottom = (int(c) for c in cropping)
        img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
    pad_left, pad_top, pad_right, pad_bottom = (int(v) for v in np.maximum(p, 0))
    # NumPy's pad modes are the names torchvision uses ('edge', 'reflect', 'symmetric').
    if img.mode == "P":
        palette = img.getpalette()
        out = np.pad(np.asarray(img), ((pad_top, pad_bottom), (pad_left, pad_right)),
                     mode=padding_mode)
        out = Image.fromarray(out)
        out.putpalette(palette)
        return out
    array = np.asarray(img)
    widths = [(pad_top, pad_bottom), (pad_left, pad_right)] + [(0, 0)] * (array.ndim - 2)
    return Image.fromarray(np.pad(array, widths, mode=padding_mode))


def crop(img, top: int, left: int, height: int, width: int):
    # Pillow fills the part of the box outside the image with zeros.
    return img.crop((left, top, left + width, top + height))


def resize(img, size: list[int], interpolation: int):
    """Resize to ``size`` = [h, w] (Pillow's filters antialias when downsampling)."""
    return img.resize((size[1], size[0]), interpolation)


def affine(img, matrix: list[float], interpolation: int, fill=None):
    """Apply the INVERSE affine ``matrix`` (output pixel -> input pixel), Pillow's convention."""
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation,
                         **_parse_fill(fill, img))


def rotate(img, angle: float, interpolation: int, expand: bool = False, center=None, fill=None):
    return img.rotate(angle, interpolation, expand, center, **_parse_fill(fill, img))


def perspective(img, coeffs: list[float], interpolation: int, fill=None):
    return img.transform(img.size, Image.Transform.PERSPECTIVE, coeffs, interpolation,
                         **_parse_fill(fill, img))


def to_grayscale(img, num_output_channels: int):
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    img = img.convert("L")  # ITU-R 601-2 luma: L = R * 299/1000 + G * 587/1000 + B * 114/1000
    if num_output_channels == 3:
        array = np.array(img, dtype=np.uint8)
        img = Image.fromarray(np.dstack([array, array, array]), "RGB")
    return img


def invert(img):
    return ImageOps.invert(img)


def posterize(img, bits: int):
    if bits == 0:  # Pillow >= 11 refuses 0 bits; keeping none of them is black
        return img.point([0] * 256 * len(img.getbands()))
    return ImageOps.posterize(img, bits)


def solarize(img, threshold: float):
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    return ImageOps.autocontrast(img)


def equalize(img):
    return ImageOps.equalize(img)
