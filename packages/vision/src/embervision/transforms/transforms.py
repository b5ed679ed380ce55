"""Transform classes with torchvision's API: conversions, containers and geometry.

RandomRotation, RandomAffine and RandomErasing live in ``_augment.py``, the photometric
transforms (ColorJitter, Grayscale, GaussianBlur, ...) in ``_color.py``; both are re-exported
here, so ``embervision.transforms.transforms`` holds the whole set as torchvision's module does.
The classes torchvision derives from ``nn.Module`` derive from ``ember.nn.Module`` (so they
compose with ``nn.Sequential``); the others are plain callables.

Example:
    >>> ember.manual_seed(0)
    >>> t = Compose([RandomCrop(24, padding=4), RandomHorizontalFlip()])
    >>> t(ember.rand(3, 32, 32)).shape
    ember.Size([3, 24, 24])
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import ember
from ember import nn

from . import functional as F
from ._utils import (
    _check_fill,
    _interpolation,
    _rand,
    _randint,
    _setup_size,
    _tensor_fill,
    _uniform,
)
from .functional import InterpolationMode

__all__ = [
    "Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize",
    "Resize", "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
    "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomPerspective",
    "RandomResizedCrop", "FiveCrop", "TenCrop",
]

_SIZE_MSG = "Please provide only two dimensions (h, w) for size."


class Compose:
    """Apply ``transforms`` one after the other.

    Example:
        >>> Compose([CenterCrop(10), PILToTensor(), ConvertImageDtype(ember.float32)])
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class ToTensor:
    """PIL image or ``(H, W, C)`` ndarray -> ``(C, H, W)`` tensor; 8-bit data is scaled to a float
    in [0, 1] (see :func:`functional.to_tensor`)."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image -> ``(C, H, W)`` tensor of the same values and dtype (uint8 for 8-bit modes)."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ConvertImageDtype(nn.Module):
    """Convert a tensor image to ``dtype``, rescaling its values (see
    :func:`functional.convert_image_dtype`)."""

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage:
    """Tensor ``(C, H, W)`` or ndarray ``(H, W, C)`` -> PIL image; ``mode`` None infers it from the
    channels and dtype (see :func:`functional.to_pil_image`)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = "" if self.mode is None else f"mode={self.mode}"
        return f"{self.__class__.__name__}({mode})"


class Normalize(nn.Module):
    """``output[c] = (input[c] - mean[c]) / std[c]`` for a float tensor image ``(..., C, H, W)``.

    Args:
        mean, std: one value per channel.
        inplace: overwrite the input tensor.

    Example:
        >>> Normalize([0.5], [0.5])(ember.ones(1, 2, 2))[0, 0, 0]
        tensor(1.)
    """

    def __init__(self, mean, std, inplace: bool = False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize(nn.Module):
    """Resize to ``size``: an int sets the shorter side (keeping the aspect ratio), (h, w) both.

    Args:
        interpolation: :class:`InterpolationMode` (default BILINEAR) or a Pillow constant.
        max_size: the longest allowed side when ``size`` is an int.
        antialias: smooth when downsampling (BILINEAR/BICUBIC tensors; PIL always does).
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Resize: Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError(f"Resize: If size is a sequence, it should have 1 or 2 values, got "
                             f"{len(size)}")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop(nn.Module):
    """The central ``size`` crop (int or (h, w)); images smaller than it are zero-padded."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(nn.Module):
    """Pad the borders (see :func:`functional.pad` for ``padding``, ``fill`` and
    ``padding_mode``: 'constant', 'edge', 'reflect', 'symmetric')."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError(f"Pad: Got inappropriate padding arg {padding!r}")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError(f"Pad: Got inappropriate fill arg {fill!r}")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: Padding mode should be either constant, edge, reflect or "
                             f"symmetric, got {padding_mode!r}")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Pad: Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: Argument lambd should be callable, got "
                            f"{type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomTransforms:
    """Base class of the containers that pick among or reorder ``transforms``."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError(f"Argument transforms should be a sequence, got {type(transforms)}")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class RandomApply(nn.Module):
    """Apply all of ``transforms`` (in order) with probability ``p``, else none."""

    def __init__(self, transforms, p: float = 0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}(\n    p={self.p}{lines}\n)"


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order (an ``ember.randperm``)."""

    def __call__(self, img):
        for i in ember.randperm(len(self.transforms)).tolist():
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with probabilities proportional to ``p`` (default:
    uniform)."""

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError(f"RandomChoice: Argument p should be a sequence, got {type(p)}")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"RandomChoice: p has {len(p)} weights for {len(transforms)} "
                             f"transforms")
        self.p = p

    def __call__(self, *args):
        if self.p is None:
            index = _randint(0, len(self.transforms))
        else:
            weights = ember.tensor([float(w) for w in self.p], dtype=ember.float64)
            index = int(ember.multinomial(weights, 1).item())
        return self.transforms[index](*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


class RandomCrop(nn.Module):
    """A ``size`` crop at a random position.

    Args:
        size: int or (h, w).
        padding: pad the borders first (see :func:`functional.pad`).
        pad_if_needed: pad images smaller than ``size`` so that a crop fits.
        fill, padding_mode: as in :class:`Pad`.
    """

    @staticmethod
    def get_params(img, output_size):
        """(top, left, height, width) of a random ``output_size`` crop of ``img``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: Required crop size {(th, tw)} is larger than input "
                             f"image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg=_SIZE_MSG))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(nn.Module):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if _rand() < self.p:
            return F.hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(nn.Module):
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if _rand() < self.p:
            return F.vflip(img)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomPerspective(nn.Module):
    """With probability ``p``, move each corner inwards by up to ``distortion_scale`` x half the
    side and warp accordingly (see :func:`functional.perspective`)."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation=InterpolationMode.BILINEAR, fill=0):
        super().__init__()
        self.p = p
        self.interpolation = _interpolation(interpolation)
        self.distortion_scale = distortion_scale
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        """(startpoints, endpoints): the corners [tl, tr, br, bl] and where they move to."""
        half_height, half_width = height // 2, width // 2
        dh = int(distortion_scale * half_height) + 1
        dw = int(distortion_scale * half_width) + 1
        topleft = [_randint(0, dw), _randint(0, dh)]
        topright = [_randint(width - dw, width), _randint(0, dh)]
        botright = [_randint(width - dw, width), _randint(height - dh, height)]
        botleft = [_randint(0, dw), _randint(height - dh, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, channels) if isinstance(img, ember.Tensor) else self.fill
        if _rand() < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomResizedCrop(nn.Module):
    """Crop a random area (a ``scale`` fraction of the image, aspect ratio in ``ratio``, drawn
    log-uniformly) and resize it to ``size`` — the Inception-style augmentation.

    Args:
        size: int or (h, w) of the output.
        scale: (min, max) fraction of the image area cropped.
        ratio: (min, max) aspect ratio (width / height) of the crop.
        interpolation, antialias: as in :class:`Resize`.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        if not isinstance(scale, Sequence):
            raise TypeError(f"RandomResizedCrop: Scale should be a sequence, got {type(scale)}")
        if not isinstance(ratio, Sequence):
            raise TypeError(f"RandomResizedCrop: Ratio should be a sequence, got {type(ratio)}")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = _interpolation(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """(top, left, height, width) of a random crop: up to 10 draws of (area, log-ratio) are
        tried; if none fits, the central crop with the ratio clamped to ``ratio`` is used (the
        whole image if its own ratio is in range), exactly as torchvision."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(0, height - h + 1)
                j = _randint(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        scale = tuple(round(s, 4) for s in self.scale)
        ratio = tuple(round(r, 4) for r in self.ratio)
        return (f"{self.__class__.__name__}(size={self.size}, scale={scale}, ratio={ratio}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class FiveCrop(nn.Module):
    """The four corner crops and the central crop of ``size``: a tuple of 5 images."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(nn.Module):
    """:class:`FiveCrop` of the image and of its mirror image (horizontal, or vertical with
    ``vertical_flip``): a tuple of 10 images."""

    def __init__(self, size, vertical_flip: bool = False):
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


# The rest of the set: random affine warps and erasing, then the photometric transforms.
from ._augment import *  # noqa: E402,F403
from ._augment import __all__ as _augment_all  # noqa: E402
from ._color import *  # noqa: E402,F403
from ._color import __all__ as _color_all  # noqa: E402

__all__ += _augment_all + _color_all
