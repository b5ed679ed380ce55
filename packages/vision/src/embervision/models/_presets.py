"""Inference presets: the preprocessing that travels with pretrained weights.

:class:`ImageClassification` is torchvision's ``transforms._presets.ImageClassification``:
resize the shorter side to ``resize_size``, center-crop ``crop_size``, scale to ``[0, 1]`` float,
normalize with ``mean``/``std``. It accepts a PIL image, a ``(C, H, W)`` tensor or a
``(B, C, H, W)`` batch.

It is self-contained on purpose (PIL for PIL images, Ember ops for tensors) so that the models
work whether or not ``embervision.transforms`` is importable; the arithmetic is torchvision's:
PIL's own resampling for PIL images, and for tensors the same separable filters (PIL-style
antialiased triangle/cubic filters when ``antialias=True``; half-pixel bilinear/bicubic
interpolation with clamped borders otherwise), applied as two matrix products.
"""

from enum import Enum

import numpy as np

import ember
from ember import nn

try:  # one enum for the whole package once embervision.transforms exists
    from ..transforms import InterpolationMode
except ImportError:  # transforms not written (or importable) yet: torchvision's values

    class InterpolationMode(Enum):
        """Interpolation methods (torchvision's names and values)."""

        NEAREST = "nearest"
        NEAREST_EXACT = "nearest-exact"
        BILINEAR = "bilinear"
        BICUBIC = "bicubic"
        BOX = "box"
        HAMMING = "hamming"
        LANCZOS = "lanczos"


__all__ = ["ImageClassification", "InterpolationMode"]

_PIL_FILTERS = {"nearest": 0, "nearest-exact": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3,
                "box": 4, "hamming": 5}  # PIL.Image.Resampling values


def _mode_name(interpolation) -> str:
    name = interpolation.value if isinstance(interpolation, Enum) else str(interpolation)
    return name.lower()


def _resized_size(height: int, width: int, size: int) -> tuple[int, int]:
    # torchvision's rule for an int size: the shorter side becomes `size`, the longer side
    # keeps the aspect ratio, truncated.
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


# ---------------------------------------------------------------------------------------------
# Separable resampling matrices: out = R_h @ image @ R_w.T
# ---------------------------------------------------------------------------------------------


def _triangle(x):
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _cubic(x, a):
    # Keys' cubic convolution kernel; PIL and torch's antialiased path use a = -0.5,
    # torch's plain bicubic a = -0.75.
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _antialiased_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """PIL's resampling (as torch's ``antialias=True``): the filter is widened by the scale
    when shrinking so every input pixel contributes; the window is cut at the borders and the
    weights renormalised."""
    kernel, radius = (_triangle, 1.0) if mode == "bilinear" else (lambda x: _cubic(x, -0.5), 2.0)
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    support = radius * stretch
    centers = (np.arange(n_out) + 0.5) * scale
    lo = np.maximum((centers - support + 0.5).astype(np.int64), 0)
    hi = np.minimum((centers + support + 0.5).astype(np.int64), n_in)
    j = np.arange(n_in)
    weights = kernel((j[None, :] - centers[:, None] + 0.5) / stretch)
    weights = np.where((j[None, :] >= lo[:, None]) & (j[None, :] < hi[:, None]), weights, 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


def _interpolation_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """torch's ``interpolate(..., align_corners=False)`` without antialiasing: sample at
    half-pixel centres, taps clamped to the image (edge replication)."""
    scale = n_in / n_out
    rows = np.arange(n_out)
    matrix = np.zeros((n_out, n_in))
    if mode in ("nearest", "nearest-exact"):
        offset = 0.5 if mode == "nearest-exact" else 0.0  # legacy 'nearest' floors i * scale
        src = np.minimum(np.floor((rows + offset) * scale).astype(np.int64), n_in - 1)
        matrix[rows, src] = 1.0
        return matrix
    src = (rows + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)  # torch clamps the bilinear source coordinate at 0
        base = np.floor(src).astype(np.int64)
        frac = src - base
        taps = [(base, 1.0 - frac), (base + 1, frac)]
    else:  # bicubic: 4 taps, a = -0.75
        base = np.floor(src).astype(np.int64)
        frac = src - base
        taps = [(base + k, _cubic(frac - k, -0.75)) for k in (-1, 0, 1, 2)]
    for index, weight in taps:  # 2 or 4 taps: a loop over filter taps, not over pixels
        np.add.at(matrix, (rows, np.clip(index, 0, n_in - 1)), weight)
    return matrix


def _resampling_matrix(n_in: int, n_out: int, mode: str, antialias: bool) -> np.ndarray:
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(
            f"ImageClassification: interpolation {mode!r} is supported for PIL images only; "
            f"tensors take NEAREST, NEAREST_EXACT, BILINEAR or BICUBIC"
        )
    if antialias and mode in ("bilinear", "bicubic"):
        return _antialiased_matrix(n_in, n_out, mode)
    return _interpolation_matrix(n_in, n_out, mode)


def _resize_tensor(img, size: int, mode: str, antialias: bool):
    height, width = img.shape[-2:]
    new_h, new_w = _resized_size(height, width, size)
    if (new_h, new_w) == (height, width):
        return img
    work = img if img.is_floating_point() else img.to(ember.float32)
    r_h = ember.tensor(_resampling_matrix(height, new_h, mode, antialias), dtype=work.dtype,
                       device=work.device)
    r_w = ember.tensor(_resampling_matrix(width, new_w, mode, antialias), dtype=work.dtype,
                       device=work.device)
    out = ember.matmul(ember.matmul(r_h, work), r_w.T)
    if not img.is_floating_point():  # integer images stay integer, rounded and clamped
        out = out.round()
        if img.dtype == ember.uint8:
            out = out.clamp(0, 255)
        out = out.to(img.dtype)
    return out


def _center_crop_tensor(img, crop: int):
    height, width = img.shape[-2:]
    if crop > height or crop > width:  # torchvision pads with zeros first
        pad_w, pad_h = max(crop - width, 0), max(crop - height, 0)
        img = nn.functional.pad(img, (pad_w // 2, (pad_w + 1) // 2, pad_h // 2, (pad_h + 1) // 2))
        height, width = img.shape[-2:]
    top = int(round((height - crop) / 2.0))
    left = int(round((width - crop) / 2.0))
    return img[..., top:top + crop, left:left + crop]


def _pil_to_tensor(img):
    array = np.asarray(img)
    if array.ndim == 2:
        array = array[:, :, None]
    return ember.tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


class ImageClassification(nn.Module):
    """Inference preprocessing for image classifiers (torchvision's preset).

    Args:
        crop_size: side of the square center crop.
        resize_size: the shorter image side is resized to this first. Default: 256.
        mean: per-channel mean subtracted after scaling to ``[0, 1]``. Default: ImageNet's.
        std: per-channel standard deviation divided by. Default: ImageNet's.
        interpolation: :class:`InterpolationMode` for the resize. Default: ``BILINEAR``.
        antialias: antialias when shrinking tensors (PIL always does). Default: True.

    Shape:
        - Input: a PIL image, ``(C, H, W)`` or ``(B, C, H, W)`` tensor (uint8 in ``[0, 255]`` or
          float in ``[0, 1]``).
        - Output: float32 ``(C, crop_size, crop_size)`` or ``(B, C, crop_size, crop_size)``.

    Example:
        >>> preset = ImageClassification(crop_size=224)
        >>> preset(ember.randint(0, 256, (3, 300, 400), dtype=ember.uint8)).shape
        ember.Size([3, 224, 224])
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: tuple[float, ...] = (0.485, 0.456, 0.406),
                 std: tuple[float, ...] = (0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        mode = _mode_name(self.interpolation)
        size, crop = self.resize_size[0], self.crop_size[0]
        if not isinstance(img, ember.Tensor):
            img = self._pil_resize_crop(img, mode, size, crop)
        else:
            if img.dim() not in (3, 4):
                raise ValueError(
                    f"ImageClassification: expected a (C, H, W) or (B, C, H, W) image tensor, "
                    f"got shape {tuple(img.shape)}"
                )
            with ember.no_grad():
                img = _center_crop_tensor(_resize_tensor(img, size, mode, bool(self.antialias)),
                                          crop)
        channels = img.shape[-3]
        if channels != len(self.mean):
            raise ValueError(
                f"ImageClassification: expected images with {len(self.mean)} channels (one per "
                f"mean/std value), got {channels}; convert grayscale PIL images with "
                f".convert('RGB')"
            )
        if img.is_floating_point():
            img = img.to(ember.float32)
        else:  # convert_image_dtype: integers are scaled by their maximum value
            img = img.to(ember.float32) / float(np.iinfo(img.dtype.np_dtype).max)
        shape = (-1, 1, 1)
        mean = ember.tensor(self.mean, dtype=ember.float32, device=img.device).reshape(shape)
        std = ember.tensor(self.std, dtype=ember.float32, device=img.device).reshape(shape)
        return (img - mean) / std

    @staticmethod
    def _pil_resize_crop(img, mode: str, size: int, crop: int):
        if not hasattr(img, "resize") or not hasattr(img, "crop"):
            raise TypeError(
                f"ImageClassification: expected a PIL image or an ember.Tensor, got "
                f"{type(img).__name__}"
            )
        width, height = img.size
        new_h, new_w = _resized_size(height, width, size)
        if (new_w, new_h) != (width, height):
            img = img.resize((new_w, new_h), _PIL_FILTERS[mode])
        # PIL's crop fills outside the image with zeros, as torchvision's padding does
        top = int(round((new_h - crop) / 2.0))
        left = int(round((new_w - crop) / 2.0))
        if crop > new_h:
            top = -((crop - new_h) // 2)
        if crop > new_w:
            left = -((crop - new_w) // 2)
        return _pil_to_tensor(img.crop((left, top, left + crop, top + crop)))

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
            f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
            f"    interpolation={self.interpolation}\n)"
        )

    def describe(self) -> str:
        """A sentence describing the preprocessing (used in documentation)."""
        return (
            "Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
            "``ember.Tensor`` objects. "
            f"The images are resized to ``resize_size={self.resize_size}`` using "
            f"``interpolation={self.interpolation}``, followed by a central crop of "
            f"``crop_size={self.crop_size}``. Finally the values are first rescaled to "
            f"``[0.0, 1.0]`` and then normalized using ``mean={self.mean}`` and "
            f"``std={self.std}``."
        )

