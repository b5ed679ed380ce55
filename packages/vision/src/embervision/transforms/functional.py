"""Functional image transforms with torchvision's API (``torchvision.transforms.functional``).

Every function takes a PIL image or an ember Tensor image (``[..., C, H, W]``: any number of
leading batch dims where torchvision allows them) and returns the same kind. PIL images go
through Pillow (``_functional_pil``), tensors through vectorised Ember operations
(``_functional_tensor``, NumPy or CuPy); both give the same results up to interpolation rounding.

Example:
    >>> import embervision.transforms.functional as F
    >>> img = ember.rand(3, 32, 48)
    >>> F.resize(img, 16).shape            # the shorter side becomes 16
    ember.Size([3, 16, 24])
"""

from __future__ import annotations

import math
import numbers
from enum import Enum

import numpy as np
from PIL import Image

import ember

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t
from ._conversion import convert_image_dtype, pil_to_tensor, to_pil_image, to_tensor

__all__ = [
    "InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
    "to_tensor", "pil_to_tensor", "convert_image_dtype", "to_pil_image", "normalize", "resize",
    "pad", "crop", "center_crop", "resized_crop", "hflip", "vflip", "five_crop", "ten_crop",
    "perspective", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
    "adjust_gamma", "adjust_sharpness", "rotate", "affine", "to_grayscale", "rgb_to_grayscale",
    "erase", "gaussian_blur", "invert", "posterize", "solarize", "autocontrast", "equalize",
]


class InterpolationMode(Enum):
    """Interpolation methods: ``NEAREST``, ``NEAREST_EXACT``, ``BILINEAR``, ``BICUBIC`` (tensors and
    PIL), ``BOX``, ``HAMMING``, ``LANCZOS`` (PIL only)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_INT_TO_MODE = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}

# Pillow's resampling filters (NEAREST_EXACT is what Pillow's NEAREST does already).
pil_modes_mapping = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    return _INT_TO_MODE[int(i)]


def _parse_interpolation(interpolation, op: str) -> InterpolationMode:
    """Accept an InterpolationMode or Pillow's integer constant (``PIL.Image.BILINEAR``...)."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, (int, np.integer)) and int(interpolation) in _INT_TO_MODE:
        return _INT_TO_MODE[int(interpolation)]
    raise TypeError(f"{op}: Argument interpolation should be a InterpolationMode or a "
                    f"corresponding Pillow integer constant, got {interpolation!r}")


def _is_tensor(img) -> bool:
    return isinstance(img, ember.Tensor)


def _pil_only(img, op: str) -> None:
    if not F_pil._is_pil_image(img):
        raise TypeError(f"{op}: img should be a PIL Image or an ember Tensor. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    """The dimensions of an image as ``[channels, height, width]``."""
    if _is_tensor(img):
        return F_t.get_dimensions(img)
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """The size of an image as ``[width, height]``."""
    if _is_tensor(img):
        F_t._assert_image_tensor(img, "get_image_size")
        return [img.shape[-1], img.shape[-2]]
    return F_pil.get_image_size(img)


def get_image_num_channels(img) -> int:
    """The number of channels of an image."""
    if _is_tensor(img):
        return F_t.get_dimensions(img)[0]
    return F_pil.get_image_num_channels(img)


# ---------------------------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------------------------

def normalize(tensor, mean, std, inplace: bool = False):
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor.

    Args:
        mean, std: sequences with one value per channel (or one value for all).
        inplace: modify ``tensor`` itself (default: return a new tensor).
    """
    if not _is_tensor(tensor):
        raise TypeError(f"normalize: img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------


def _compute_resized_output_size(image_size, size, max_size=None) -> list[int]:
    """[new_h, new_w] for ``size`` (one value: the shorter side, keeping the aspect ratio,
    truncated as torchvision; two: (h, w)) and ``max_size`` (cap on the longer side)."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        requested_new_short = size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"resize: max_size = {max_size} must be strictly greater than "
                                 f"the requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size``: an int (or [int]) sets the shorter side keeping the aspect ratio, a pair
    is (h, w).

    Args:
        interpolation: an :class:`InterpolationMode` or Pillow constant (default BILINEAR).
        max_size: the longest allowed side when ``size`` is one number.
        antialias: smooth when downsampling with BILINEAR/BICUBIC (tensors; PIL always does).
    """
    interpolation = _parse_interpolation(interpolation, "resize")
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"resize: Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("resize: max_size should only be passed if size specifies the length "
                             "of the smaller edge, i.e. size should be an int")
        size = list(size)
    elif isinstance(size, (int, np.integer)):
        size = [int(size)]
    else:
        raise TypeError(f"resize: size should be an int or a sequence, got {type(size)}")
    _, image_height, image_width = get_dimensions(img)
    output_size = _compute_resized_output_size((image_height, image_width), size, max_size)
    if [image_height, image_width] == output_size:
        return img
    if not _is_tensor(img):
        _pil_only(img, "resize")
        return F_pil.resize(img, output_size, pil_modes_mapping[interpolation])
    return F_t.resize(img, output_size, interpolation.value, antialias=antialias)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad every border: ``padding`` is an int, (left/right, top/bottom) or (left, top, right,
    bottom); negative values crop.

    Args:
        fill: the value of 'constant' padding (per band for PIL images).
        padding_mode: 'constant', 'edge' (repeat the border pixel), 'reflect' (mirror without
            repeating it: [1, 2, 3] -> [3, 2, 1, 2, 3]) or 'symmetric' (mirror repeating it).
    """
    if not isinstance(padding, (int, np.integer, tuple, list)):
        raise TypeError(f"pad: Got inappropriate padding arg {padding!r}: expected an int or a "
                        f"tuple of 1, 2 or 4 ints")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"pad: Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"pad: Padding mode should be either constant, edge, reflect or "
                         f"symmetric, got {padding_mode!r}")
    padding = int(padding) if isinstance(padding, (int, np.integer)) else [int(p) for p in padding]
    if not _is_tensor(img):
        _pil_only(img, "pad")
        return F_pil.pad(img, padding, fill, padding_mode)
    if fill is not None and not isinstance(fill, (int, float)):
        raise TypeError(f"pad: only a number is supported as fill for tensors, got {fill!r}")
    return F_t.pad(img, padding, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` box at (``top``, ``left``); the part outside the image is 0."""
    if not _is_tensor(img):
        _pil_only(img, "crop")
        return F_pil.crop(img, top, left, height, width)
    return F_t.crop(img, int(top), int(left), int(height), int(width))


def _pair(size, op: str):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{op}: Please provide only two dimensions (h, w) for size, got {size}")
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """The central ``output_size`` (int or (h, w)) crop, zero-padding first when larger."""
    crop_height, crop_width = _pair(output_size, "center_crop")
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """:func:`crop` then :func:`resize` to ``size`` (what RandomResizedCrop applies)."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    if not _is_tensor(img):
        _pil_only(img, "hflip")
        return F_pil.hflip(img)
    return F_t.hflip(img)


def vflip(img):
    """Mirror top-bottom."""
    if not _is_tensor(img):
        _pil_only(img, "vflip")
        return F_pil.vflip(img)
    return F_t.vflip(img)


def five_crop(img, size):
    """The four corner crops and the central crop of ``size``: (tl, tr, bl, br, center)."""
    crop_height, crop_width = _pair(size, "five_crop")
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"five_crop: Requested crop size {(crop_height, crop_width)} is bigger "
                         f"than input size {(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    return tl, tr, bl, br, center_crop(img, [crop_height, crop_width])


def ten_crop(img, size, vertical_flip: bool = False):
    """:func:`five_crop` of the image and of its horizontal (or vertical) mirror image."""
    size = _pair(size, "ten_crop")
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def _get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    """The 8 coefficients mapping each end point to its start point (Pillow's PERSPECTIVE),
    by least squares in float64."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"perspective: Please provide exactly four corners, got "
                         f"{len(startpoints)} startpoints and {len(endpoints)} endpoints.")
    a = np.zeros((8, 8), dtype=np.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Warp so that the 4 ``startpoints`` [tl, tr, br, bl] land on ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _parse_interpolation(interpolation, "perspective")
    if not _is_tensor(img):
        _pil_only(img, "perspective")
        return F_pil.perspective(img, coeffs, pil_modes_mapping[interpolation], fill)
    return F_t.perspective(img, coeffs, interpolation.value, fill)


def _get_inverse_affine_matrix(center, angle: float, translate, scale: float, shear,
                               inverted: bool = True) -> list[float]:
    """The 2x3 affine matrix (row-major, 6 values) of M = T * C * RSS * C^-1, or its inverse.

    T translates by ``translate``, C moves the origin to ``center``, and
    RSS(a, s, (sx, sy)) = R(a) S(s) SHy(sy) SHx(sx) rotates by ``angle`` degrees (clockwise in
    image coordinates, y pointing down), scales and shears. det(R SHy SHx) = 1, so the inverse
    of the rotate-shear part is its adjugate. Pillow's ``transform`` wants the inverse (output
    pixel -> input pixel), which is also what the tensor path samples with.
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        matrix = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the image centre).

    Args:
        interpolation: NEAREST (default) or BILINEAR for tensors; any Pillow filter for PIL.
        expand: grow the output to hold the whole rotated image (rotation about the centre).
        fill: the value (or one per channel) of the area outside the rotated image.
    """
    interpolation = _parse_interpolation(interpolation, "rotate")
    if not isinstance(angle, (int, float)):
        raise TypeError(f"rotate: Argument angle should be int or float, got {type(angle)}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("rotate: Argument center should be a sequence")
    if not _is_tensor(img):
        _pil_only(img, "rotate")
        return F_pil.rotate(img, angle, pil_modes_mapping[interpolation], expand, center, fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        # The tensor path measures from the image centre.
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    # rotate() turns counter-clockwise while affine() turns clockwise: hence -angle.
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix, interpolation.value, expand, fill)


def affine(img, angle: float, translate, scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate by ``angle`` degrees (clockwise), scale, shear (degrees; a number shears along x,
    a pair is (x, y)) about ``center`` (default: the image centre), then translate by
    ``translate`` = (dx, dy) pixels."""
    interpolation = _parse_interpolation(interpolation, "affine")
    if not isinstance(angle, (int, float)):
        raise TypeError(f"affine: Argument angle should be int or float, got {type(angle)}")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("affine: Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError(f"affine: Argument translate should be a sequence of length 2, got "
                         f"{translate}")
    if scale <= 0.0:
        raise ValueError(f"affine: Argument scale should be positive, got {scale}")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("affine: Shear should be either a single value or a sequence of two "
                        "values")
    shear = [float(shear), 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"affine: Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("affine: Argument center should be a sequence")
    angle = float(angle)
    _, height, width = get_dimensions(img)
    if not _is_tensor(img):
        _pil_only(img, "affine")
        # The centre without the half-pixel offset, so that 90 degrees matches np.rot90.
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, list(translate), scale, shear)
        return F_pil.affine(img, matrix, pil_modes_mapping[interpolation], fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    translate_f = [1.0 * t for t in translate]
    matrix = _get_inverse_affine_matrix(center_f, angle, translate_f, scale, shear)
    return F_t.affine(img, matrix, interpolation.value, fill)


# ---------------------------------------------------------------------------------------------
# colour
# ---------------------------------------------------------------------------------------------


def _check_factor(value: float, name: str, op: str) -> None:
    if value < 0:
        raise ValueError(f"{op}: {name} ({value}) is not non-negative.")


def adjust_brightness(img, brightness_factor: float):
    """Scale intensities: 0 gives black, 1 the original, 2 twice as bright (clipped)."""
    _check_factor(brightness_factor, "brightness_factor", "adjust_brightness")
    if not _is_tensor(img):
        _pil_only(img, "adjust_brightness")
        return F_pil.adjust_brightness(img, brightness_factor)
    return F_t.adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level: 0 gives solid grey, 1 the original, 2 twice the contrast."""
    _check_factor(contrast_factor, "contrast_factor", "adjust_contrast")
    if not _is_tensor(img):
        _pil_only(img, "adjust_contrast")
        return F_pil.adjust_contrast(img, contrast_factor)
    return F_t.adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image: 0 gives grey, 1 the original, 2 twice the saturation."""
    _check_factor(saturation_factor, "saturation_factor", "adjust_saturation")
    if not _is_tensor(img):
        _pil_only(img, "adjust_saturation")
        return F_pil.adjust_saturation(img, saturation_factor)
    return F_t.adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue (in HSV) by ``hue_factor`` turns, in [-0.5, 0.5] (±0.5: complementary
    colours). Pixel values must be non-negative."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not _is_tensor(img):
        _pil_only(img, "adjust_hue")
        return F_pil.adjust_hue(img, hue_factor)
    return F_t.adjust_hue(img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    r"""Gamma correction :math:`I_{out} = 255 \cdot gain \cdot (I_{in} / 255)^{\gamma}` (float
    images: the same on [0, 1]); gamma > 1 darkens the shadows, < 1 lightens them."""
    if gamma < 0:
        raise ValueError(f"adjust_gamma: Gamma should be a non-negative real number, got {gamma}")
    if not _is_tensor(img):
        _pil_only(img, "adjust_gamma")
        return F_pil.adjust_gamma(img, gamma, gain)
    return F_t.adjust_gamma(img, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed image: 0 gives it blurred, 1 the original, 2 twice as sharp."""
    _check_factor(sharpness_factor, "sharpness_factor", "adjust_sharpness")
    if not _is_tensor(img):
        _pil_only(img, "adjust_sharpness")
        return F_pil.adjust_sharpness(img, sharpness_factor)
    return F_t.adjust_sharpness(img, sharpness_factor)


def to_grayscale(img, num_output_channels: int = 1):
    """Convert a PIL image of any mode to grayscale ('L', or 'RGB' with r = g = b)."""
    if not F_pil._is_pil_image(img):
        raise TypeError(f"to_grayscale: Input should be PIL Image, got {type(img)}; use "
                        f"rgb_to_grayscale for tensors")
    return F_pil.to_grayscale(img, num_output_channels)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Grayscale of an RGB image: tensors use L = 0.2989 R + 0.587 G + 0.114 B (torchvision's
    weights; integer images truncate), PIL images Pillow's 'L' conversion (0.299/0.587/0.114,
    rounded). ``num_output_channels`` = 3 repeats L in three channels."""
    if not _is_tensor(img):
        _pil_only(img, "rgb_to_grayscale")
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the ``h x w`` box at row ``i``, column ``j`` of a tensor image to ``v`` (a value or a
    tensor broadcastable to ``[..., C, h, w]``)."""
    if not _is_tensor(img):
        raise TypeError(f"erase: img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel of odd ``kernel_size`` (int or (kx, ky)) and ``sigma`` (float or
    (sx, sy); default 0.3 ((k - 1) 0.5 - 1) + 0.8 = 0.15 k + 0.35), reflect-padding the borders.
    PIL images are blurred through the tensor path, so both give identical pixels."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"gaussian_blur: kernel_size should be int or a sequence of integers. "
                        f"Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"gaussian_blur: If kernel_size is a sequence its length should be 2. "
                         f"Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"gaussian_blur: kernel_size should have odd and positive integers. "
                             f"Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"gaussian_blur: sigma should be either float or sequence of floats. "
                        f"Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"gaussian_blur: If sigma is a sequence, its length should be 2. Got "
                         f"{len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"gaussian_blur: sigma should have positive values. Got {sigma}")
    if _is_tensor(img):
        return F_t.gaussian_blur(img, list(kernel_size), [float(s) for s in sigma])
    _pil_only(img, "gaussian_blur")
    out = F_t.gaussian_blur(pil_to_tensor(img), list(kernel_size), [float(s) for s in sigma])
    return to_pil_image(out, mode=img.mode)


def invert(img):
    """Invert the colours: max - x (255 - x for uint8, 1 - x for floats)."""
    if not _is_tensor(img):
        _pil_only(img, "invert")
        return F_pil.invert(img)
    return F_t.invert(img)


def posterize(img, bits: int):
    """Keep the ``bits`` (0-8) highest bits of each uint8 channel value."""
    if not (0 <= bits <= 8):
        raise ValueError(f"posterize: The number if bits should be between 0 and 8. Got {bits}")
    if not _is_tensor(img):
        _pil_only(img, "posterize")
        return F_pil.posterize(img, bits)
    return F_t.posterize(img, bits)


def solarize(img, threshold: float):
    """Invert every value at or above ``threshold``."""
    if not _is_tensor(img):
        _pil_only(img, "solarize")
        return F_pil.solarize(img, threshold)
    return F_t.solarize(img, threshold)


def autocontrast(img):
    """Stretch each channel linearly so that its darkest value becomes 0 and its lightest the
    maximum (constant channels are left alone)."""
    if not _is_tensor(img):
        _pil_only(img, "autocontrast")
        return F_pil.autocontrast(img)
    return F_t.autocontrast(img)


def equalize(img):
    """Equalize the histogram of each channel of a uint8 image (Pillow's algorithm), so that its
    levels spread evenly over 0..255."""
    if not _is_tensor(img):
        _pil_only(img, "equalize")
        return F_pil.equalize(img)
    return F_t.equalize(img)
