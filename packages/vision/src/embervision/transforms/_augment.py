"""Random rotations, affine warps and erasing (re-exported by ``transforms.py``)."""

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
    _check_sequence_input,
    _interpolation,
    _rand,
    _randint,
    _setup_angle,
    _tensor_fill,
    _uniform,
)
from .functional import InterpolationMode

__all__ = ["RandomRotation", "RandomAffine", "RandomErasing"]


class RandomRotation(nn.Module):
    """Rotate by an angle drawn uniformly from ``degrees`` (a number d means (-d, d)).

    Args:
        interpolation: NEAREST (default) or BILINEAR for tensors; any Pillow filter for PIL.
        expand: grow the output to hold the whole rotated image.
        center: (x, y) centre of rotation (default: the image centre).
        fill: value (or one per channel) of the area outside the rotated image.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0):
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = _interpolation(interpolation)
        self.expand = expand
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(degrees) -> float:
        """An angle drawn uniformly from [degrees[0], degrees[1]]."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def forward(self, img):
        channels, _, _ = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, channels) if isinstance(img, ember.Tensor) else self.fill
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = (f"{self.__class__.__name__}(degrees={self.degrees}, "
             f"interpolation={self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(nn.Module):
    """A random affine warp about the image centre.

    Args:
        degrees: rotation range (a number d means (-d, d)); 0 disables rotation.
        translate: (a, b): horizontal shift drawn from (-a W, a W), vertical from (-b H, b H).
        scale: (min, max) scale factor range.
        shear: degrees; a number s shears along x in (-s, s), a pair (min, max) along x, four
            values (x min, x max, y min, y max) along both.
        interpolation, fill, center: as in :class:`RandomRotation`.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        super().__init__()
        self.interpolation = _interpolation(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not (0.0 <= t <= 1.0):
                    raise ValueError(f"RandomAffine: translation values should be between 0 and "
                                     f"1, got {translate}")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError(f"RandomAffine: scale values should be positive, got "
                                     f"{scale}")
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, "shear", req_sizes=(2, 4))
        self.fill = _check_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """(angle, (tx, ty), scale, (shear_x, shear_y)) for an image of ``img_size`` = [W, H]."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, channels) if isinstance(img, ember.Tensor) else self.fill
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                              [width, height])
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill,
                        center=self.center)

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        for name in ("translate", "scale", "shear"):
            if getattr(self, name) is not None:
                s += f", {name}={getattr(self, name)}"
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        if self.fill != 0:
            s += f", fill={self.fill}"
        if self.center is not None:
            s += f", center={self.center}"
        return s + ")"


class RandomErasing(nn.Module):
    """With probability ``p``, erase a random rectangle of a tensor image (Zhong et al., 2017,
    "Random Erasing Data Augmentation").

    Args:
        scale: (min, max) fraction of the image area erased.
        ratio: (min, max) aspect ratio of the rectangle, drawn log-uniformly.
        value: the erasing value: a number, one per channel, or 'random' (standard normal
            noise per pixel).
        inplace: erase in the input tensor itself.
    """

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("RandomErasing: Argument value should be either a number or str or "
                            "a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"RandomErasing: If value is str, it should be 'random', got "
                             f"{value!r}")
        if not isinstance(scale, Sequence):
            raise TypeError("RandomErasing: Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("RandomErasing: Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"RandomErasing: Scale should be between 0 and 1, got {scale}")
        if p < 0 or p > 1:
            raise ValueError(f"RandomErasing: Random erasing probability should be between 0 and "
                             f"1, got {p}")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """(i, j, h, w, v): the rectangle and its content, from up to 10 draws; if none fits,
        (0, 0, H, W, img) — the image unchanged."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = ember.empty([img_c, h, w], dtype=ember.float32).normal_().to(img.device)
            else:
                v = ember.tensor(value, device=img.device)[:, None, None]
            i = _randint(0, img_h - h + 1)
            j = _randint(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if _rand() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError(f"RandomErasing: If value is a sequence, it should have either "
                                 f"a single value or {img.shape[-3]} (number of input channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")
