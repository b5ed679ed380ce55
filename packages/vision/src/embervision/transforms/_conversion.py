"""Conversions between PIL images, NumPy arrays and ember tensors, and between image dtypes
(``to_tensor``, ``pil_to_tensor``, ``to_pil_image``, ``convert_image_dtype``; re-exported by
``functional.py``)."""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

import ember

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


def _is_tensor(img) -> bool:
    return isinstance(img, ember.Tensor)


# PIL modes whose pixels are not uint8 (``I;16`` read as int16, as torchvision does).
_MODE_TO_NPTYPE = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                   "F": np.float32}


def to_tensor(pic) -> ember.Tensor:
    """Convert a PIL image or an ``(H, W[, C])`` ndarray to a ``(C, H, W)`` tensor; uint8 data
    (and PIL's 8-bit modes) become the default float dtype scaled to [0, 1], other dtypes keep
    their values.

    Example:
        >>> to_tensor(np.full((2, 2, 3), 255, np.uint8))[:, 0, 0]
        tensor([1., 1., 1.])
    """
    if not (F_pil._is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"to_tensor: pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray) and pic.ndim not in (2, 3):
        raise ValueError(f"to_tensor: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    float_np = ember.get_default_dtype().np_dtype
    if isinstance(pic, np.ndarray):
        array = pic[:, :, None] if pic.ndim == 2 else pic
        array = np.ascontiguousarray(array.transpose(2, 0, 1))
        if array.dtype == np.uint8:
            return ember.from_numpy(array.astype(float_np) / float_np.type(255))
        return ember.from_numpy(array)
    array = np.array(pic, _MODE_TO_NPTYPE.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        array = 255 * array
    array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    array = np.ascontiguousarray(array.transpose(2, 0, 1))
    if array.dtype == np.uint8:
        return ember.from_numpy(array.astype(float_np) / float_np.type(255))
    return ember.from_numpy(array)


def pil_to_tensor(pic) -> ember.Tensor:
    """Convert a PIL image to a ``(C, H, W)`` tensor of the same values (uint8 for 8-bit
    modes; no scaling). 16-bit images give int32 (Ember has no uint16)."""
    if not F_pil._is_pil_image(pic):
        raise TypeError(f"pil_to_tensor: pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, copy=True)
    if array.dtype == np.uint16 or array.dtype.byteorder == ">":
        array = array.astype(np.int32)
    img = ember.from_numpy(array.reshape(pic.size[1], pic.size[0], len(pic.getbands())))
    return img.permute((2, 0, 1))


def convert_image_dtype(image, dtype=ember.float32):
    """Convert a tensor image to ``dtype``, rescaling values: float images live in [0, 1], integer
    images in [0, max of the dtype] (e.g. uint8 255 -> float 1.0 -> uint8 255).

    Raises:
        RuntimeError: for float32 -> int32/int64 and float64 -> int64, which cannot be exact.
    """
    if not _is_tensor(image):
        raise TypeError(f"convert_image_dtype: Input img should be Tensor Image, got "
                        f"{type(image)}")
    return F_t.convert_image_dtype(image, dtype)


def to_pil_image(pic, mode=None):
    """Convert a ``(C, H, W)`` / ``(H, W)`` tensor or an ``(H, W, C)`` / ``(H, W)`` ndarray to a PIL
    image. Floats are scaled by 255 (unless ``mode='F'``); without ``mode``, 1 channel gives 'L'
    (uint8), 'I;16' (int16), 'I' (int32) or 'F' (float32), 2 channels 'LA', 3 'RGB', 4 'RGBA'."""
    if _is_tensor(pic):
        if pic.ndim == 3:
            pic = pic.permute((1, 2, 0))
        pic = pic.numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = np.expand_dims(pic, 2)
    if pic.ndim != 3:
        raise ValueError(f"to_pil_image: pic should be 2/3 dimensional. Got {pic.ndim} "
                         f"dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"to_pil_image: pic should not have > 4 channels. Got {pic.shape[-1]} "
                         f"channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    if npimg.shape[2] == 1:
        npimg = npimg[:, :, 0]
        expected_mode = {np.dtype(np.uint8): "L", np.dtype(np.int32): "I",
                         np.dtype(np.float32): "F",
                         np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
                         }.get(npimg.dtype)
        if mode is not None and mode != expected_mode:
            raise ValueError(f"to_pil_image: Incorrect mode ({mode}) supplied for input type "
                             f"{npimg.dtype}. Should be {expected_mode}")
        mode = expected_mode
        if mode in ("I;16", "I;16B"):
            # Pillow's 16-bit mode is unsigned and no longer takes int16 arrays (nor an explicit
            # mode): store the (non-negative) levels as uint16 and let it infer I;16.
            return Image.fromarray(npimg.astype(np.uint16 if mode == "I;16" else ">u2"))
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
        channels = npimg.shape[2]
        if mode is not None and mode not in permitted[channels]:
            raise ValueError(f"to_pil_image: Only modes {permitted[channels]} are supported for "
                             f"{channels}-channel inputs, got {mode!r}")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[channels][0]
    if mode is None:
        raise TypeError(f"to_pil_image: Input type {npimg.dtype} is not supported")
    return Image.fromarray(npimg, mode=mode)
