"""The tensor path of :mod:`embervision.transforms.functional`.

Images are ember Tensors of shape ``[..., C, H, W]`` (any number of leading batch dims; ``[H, W]``
is one channel). Everything is computed with Ember operations, so it runs on NumPy or CuPy
unchanged and is differentiable wherever torchvision's tensor path is (normalize, resize, crop,
pad, flips, affine/rotate, blur, colour blends). Operations that apply one kernel to every
channel (resize, blur, sharpen, affine sampling) view the image as ``(1, M, H, W)`` or
``(M, 1, H, W)`` with ``M`` = batch x channels, so one call covers the whole batch with no Python
loop. Integer images are computed in float32 and rounded back, as torchvision does.
"""

from __future__ import annotations

import numpy as np

import ember
from ember.nn import functional as nnF

_MAX_VALUE = {
    ember.uint8: 255,
    ember.int8: 127,
    ember.int16: 32767,
    ember.int32: 2147483647,
    ember.int64: 9223372036854775807,
}


def _max_value(dtype) -> int:
    """The value of 'full intensity': 255 for uint8..., 1 for float images (in [0, 1])."""
    return _MAX_VALUE.get(dtype, 1)


def _is_float(img) -> bool:
    return img.dtype.is_floating_point


def _assert_image_tensor(img, op: str) -> None:
    if img.ndim < 2:
        raise TypeError(f"{op}: expected an image tensor of shape [..., H, W], got shape "
                        f"{tuple(img.shape)}")


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a ``[..., C, H, W]`` tensor (``[H, W]`` has one channel)."""
    _assert_image_tensor(img, "get_dimensions")
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def _assert_channels(img, permitted, op: str) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"{op}: Input image tensor permitted channel values are {list(permitted)}, "
                        f"but found {c} (shape {tuple(img.shape)})")


def _assert_3d(img, op: str) -> None:
    if img.ndim < 3:
        raise TypeError(f"{op}: Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")


def _as_channels(img):
    """View ``[..., H, W]`` as ``(1, M, H, W)``: every leading index becomes a channel."""
    return img.reshape(1, -1, img.shape[-2], img.shape[-1])


def _cast_in(img, dtypes):
    """Cast to the first of ``dtypes`` unless already one of them; also return the dtype to
    restore (None when no cast was needed)."""
    if img.dtype in dtypes:
        return img, None
    return img.to(dtypes[0]), img.dtype


def _cast_out(img, out_dtype):
    if out_dtype is None:
        return img
    if not out_dtype.is_floating_point:
        img = ember.round(img)  # round before truncating to an integer type, as torchvision
    return img.to(out_dtype)


def _work_dtype(img):
    return img.dtype if img.dtype in (ember.float32, ember.float64) else ember.float32


# ---------------------------------------------------------------------------------------------
# dtype conversion, geometry without resampling
# ---------------------------------------------------------------------------------------------


def convert_image_dtype(image, dtype=ember.float32):
    if image.dtype == dtype:
        return image
    if _is_float(image):
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
            image.dtype == ember.float64 and dtype == ember.int64
        ):
            raise RuntimeError(f"convert_image_dtype: The cast from {image.dtype} to {dtype} "
                               f"cannot be performed safely.")
        # For data in [0, 1], (x * 255).to(uint8) reaches 255 only at exactly 1.0; scaling by
        # max + 1 - eps gives every integer level an equal share of [0, 1] (pytorch/vision#2078).
        eps = 1e-3
        return image.mul(float(_max_value(dtype)) + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (image // factor).to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def hflip(img):
    _assert_image_tensor(img, "hflip")
    return img.flip(-1)


def vflip(img):
    _assert_image_tensor(img, "vflip")
    return img.flip(-2)


def crop(img, top: int, left: int, height: int, width: int):
    _assert_image_tensor(img, "crop")
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        # The part of the box outside the image is zero, as Pillow's crop gives.
        padding_ltrb = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        return pad(img[..., max(top, 0) : bottom, max(left, 0) : right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_pad_padding(padding) -> list[int]:
    """int / [all] / [left-right, top-bottom] / [left, top, right, bottom] ->
    [left, right, top, bottom] (the order of ``nn.functional.pad``)."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source index along one axis of 'edge'/'reflect'/'symmetric' padding by (lo, hi); negative
    values crop first (as the PIL path does), then the kept part is extended."""
    start, stop = max(-lo, 0), n - max(-hi, 0)
    m = stop - start
    c = np.arange(-max(lo, 0), m + max(hi, 0))
    if mode == "edge":
        c = np.clip(c, 0, m - 1)
    elif mode == "reflect":  # mirror without repeating the edge: period 2(m - 1)
        period = 2 * (m - 1)
        c = np.abs(c) % period if period else np.zeros_like(c)
        c = np.where(c >= m, period - c, c)
    else:  # symmetric: mirror repeating the edge, period 2m
        c = c % (2 * m)
        c = np.where(c >= m, 2 * m - 1 - c, c)
    return c + start


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    _assert_image_tensor(img, "pad")
    left, right, top, bottom = _parse_pad_padding(padding)
    if padding_mode == "constant":
        return nnF.pad(img, [left, right, top, bottom], mode="constant",
                       value=0 if fill is None else float(fill))
    # Gathering rows then columns keeps the dtype and works for any number of leading dims.
    h, w = img.shape[-2], img.shape[-1]
    rows = ember.as_tensor(_pad_index(h, top, bottom, padding_mode), device=img.device)
    cols = ember.as_tensor(_pad_index(w, left, right, padding_mode), device=img.device)
    return img.index_select(-2, rows).index_select(-1, cols)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    _assert_image_tensor(img, "erase")
    if not inplace:
        img = img.clone()
    img[..., i : i + h, j : j + w] = v
    return img


def normalize(tensor, mean, std, inplace: bool = False):
    _assert_image_tensor(tensor, "normalize")
    if not _is_float(tensor):
        raise TypeError(f"normalize: Input tensor should be a float tensor. Got {tensor.dtype}; "
                        f"convert it first (e.g. with convert_image_dtype)")
    if tensor.ndim < 3:
        raise ValueError(f"normalize: Expected tensor to be a tensor image of size (..., C, H, W)."
                         f" Got tensor.size() = {tensor.shape}")
    dtype = tensor.dtype
    mean = ember.as_tensor(mean, dtype=dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"normalize: std evaluated to zero after conversion to {dtype}, leading "
                         f"to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


# ---------------------------------------------------------------------------------------------
# resampling: resize, affine / rotate, blur
# ---------------------------------------------------------------------------------------------

_RESIZE_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")


def resize(img, size: list[int], interpolation: str = "bilinear", antialias=True):
    _assert_image_tensor(img, "resize")
    if interpolation not in _RESIZE_MODES:
        raise ValueError(f"resize: interpolation mode '{interpolation}' is not supported for "
                         f"tensors; use NEAREST, NEAREST_EXACT, BILINEAR or BICUBIC (or a PIL "
                         f"image for BOX, HAMMING and LANCZOS)")
    # Antialiasing only means something for the filtering modes (torchvision ignores it else).
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    x = _as_channels(img)
    out_dtype = None
    if interpolation in ("bilinear", "bicubic"):  # nearest copies values: no cast needed
        x, out_dtype = _cast_in(x, (ember.float32, ember.float64))
    align_corners = False if interpolation in ("bilinear", "bicubic") else None
    x = nnF.interpolate(x, size=[int(size[0]), int(size[1])], mode=interpolation,
                        align_corners=align_corners, antialias=antialias)
    if interpolation == "bicubic" and out_dtype == ember.uint8:
        x = x.clamp(0, 255)  # the cubic kernel overshoots
    x = _cast_out(x, out_dtype)
    return x.reshape(tuple(img.shape[:-2]) + (int(size[0]), int(size[1])))


def _check_grid_inputs(img, interpolation: str, fill, op: str) -> None:
    _assert_image_tensor(img, op)
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: Interpolation mode '{interpolation}' is unsupported with Tensor "
                         f"input; use NEAREST or BILINEAR")
    num_channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != num_channels:
        raise ValueError(f"{op}: The number of elements in 'fill' cannot broadcast to match the "
                         f"number of channels of the image ({len(fill)} != {num_channels})")


def _gen_affine_grid(theta: np.ndarray, w: int, h: int, ow: int, oh: int) -> np.ndarray:
    """Sampling grid (oh, ow, 2) in grid_sample's [-1, 1] coordinates for the inverse affine
    ``theta`` (2, 3), which maps output pixel centres, measured from the output's centre, to
    input pixel positions measured from the input's centre. Normalising by the INPUT size (not
    the output's) is what lets ``expand`` grow the canvas, as in torchvision."""
    dtype = theta.dtype
    x = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=np.float32).astype(dtype)
    y = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=np.float32).astype(dtype)
    r = theta.T / np.array([0.5 * w, 0.5 * h], dtype=dtype)  # (3, 2): rows for x, y, 1
    grid = np.empty((oh, ow, 2), dtype=dtype)
    # [x, y, 1] @ r, written out: a (H*W, 3) @ (3, 2) matmul is slow in NumPy.
    for k in range(2):
        grid[..., k] = x[None, :] * r[0, k] + (y[:, None] * r[1, k] + r[2, k])
    return grid


def _apply_grid_transform(img, grid: np.ndarray, mode: str, fill):
    """Sample ``img`` at ``grid`` (zeros outside). With ``fill``, a channel of ones is sampled
    along, and where it says 'outside' the fill colour replaces (nearest) or is blended in by
    the covered fraction (bilinear), as torchvision does."""
    oh, ow = grid.shape[:2]
    channels = get_dimensions(img)[0]
    lead = tuple(img.shape[:-2])
    x, out_dtype = _cast_in(_as_channels(img), (ember.float32, ember.float64))
    grid = ember.as_tensor(grid.astype(x.dtype.np_dtype)[None], device=img.device)
    if fill is not None:
        ones = ember.ones((1, 1) + tuple(x.shape[-2:]), dtype=x.dtype, device=img.device)
        x = ember.cat([x, ones], dim=1)
    out = nnF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = out[:, -1:]
        out = out[:, :-1].reshape(-1, channels, oh, ow)
        fill_list = [float(f) for f in fill] if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = ember.as_tensor(fill_list, dtype=out.dtype, device=img.device).view(1, -1, 1, 1)
        if mode == "nearest":
            out = ember.where(mask < 0.5, fill_img, out)
        else:
            out = out * mask + (1.0 - mask) * fill_img
    return _cast_out(out, out_dtype).reshape(lead + (oh, ow))


def affine(img, matrix: list[float], interpolation: str = "nearest", fill=None):
    _check_grid_inputs(img, interpolation, fill, "affine")
    h, w = img.shape[-2], img.shape[-1]
    theta = np.asarray(matrix, dtype=_work_dtype(img).np_dtype).reshape(2, 3)
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, w, h), interpolation, fill)


def _compute_affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(width, height) of the canvas that holds the whole image after ``matrix``: the bounding
    box of the 4 transformed corners, as Pillow's ``rotate(expand=True)`` computes it."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.asarray(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    centre = np.array([w * 0.5, h * 0.5], dtype=np.float32)
    min_vals, max_vals = new_pts.min(axis=0) + centre, new_pts.max(axis=0) + centre
    # Truncate to 1e-4 first so that a corner at 3.0000000001 does not add a column.
    tol = 1e-4
    cmax = np.ceil(np.trunc(max_vals / tol) * tol)
    cmin = np.floor(np.trunc(min_vals / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix: list[float], interpolation: str = "nearest", expand: bool = False,
           fill=None):
    _check_grid_inputs(img, interpolation, fill, "rotate")
    h, w = img.shape[-2], img.shape[-1]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    theta = np.asarray(matrix, dtype=_work_dtype(img).np_dtype).reshape(2, 3)
    return _apply_grid_transform(img, _gen_affine_grid(theta, w, h, ow, oh), interpolation, fill)


def perspective(img, coeffs: list[float], interpolation: str = "bilinear", fill=None):
    _check_grid_inputs(img, interpolation, fill, "perspective")
    oh, ow = img.shape[-2], img.shape[-1]
    dtype = _work_dtype(img).np_dtype
    a, b, c, d, e, f, g, hh = (float(v) for v in coeffs)
    # Pillow's PERSPECTIVE: output pixel centre (x, y) reads input
    # ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1)).
    x = (np.arange(ow, dtype=dtype) + 0.5)[None, :]
    y = (np.arange(oh, dtype=dtype) + 0.5)[:, None]
    den = g * x + hh * y + 1.0
    gx = (a * x + b * y + c) / den / (0.5 * ow) - 1.0
    gy = (d * x + e * y + f) / den / (0.5 * oh) - 1.0
    grid = np.stack(np.broadcast_arrays(gx, gy), axis=-1).astype(dtype)
    return _apply_grid_transform(img, grid, interpolation, fill)


def _gaussian_kernel1d(kernel_size: int, sigma: float, dtype) -> np.ndarray:
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size, dtype=dtype)
    pdf = np.exp(-0.5 * (x / dtype(sigma)) ** 2)
    return pdf / pdf.sum()


def _depthwise(img, kernel_y: np.ndarray, kernel_x: np.ndarray, padding_mode):
    """Convolve every channel of ``[..., H, W]`` with the separable kernel ky ⊗ kx (as one batch
    of single-channel images), reflect-padding first unless ``padding_mode`` is None."""
    lead = tuple(img.shape[:-2])
    x = img.reshape(-1, 1, img.shape[-2], img.shape[-1])
    ky, kx = len(kernel_y), len(kernel_x)
    if padding_mode is not None:
        x = nnF.pad(x, [kx // 2, kx // 2, ky // 2, ky // 2], mode=padding_mode)
    wx = ember.as_tensor(kernel_x.reshape(1, 1, 1, kx), dtype=x.dtype, device=img.device)
    wy = ember.as_tensor(kernel_y.reshape(1, 1, ky, 1), dtype=x.dtype, device=img.device)
    out = nnF.conv2d(nnF.conv2d(x, wx), wy)
    return out.reshape(lead + tuple(out.shape[-2:]))


def gaussian_blur(img, kernel_size: list[int], sigma: list[float]):
    _assert_image_tensor(img, "gaussian_blur")
    x, out_dtype = _cast_in(img, (ember.float32, ember.float64))
    dtype = x.dtype.np_dtype.type
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], dtype)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], dtype)
    return _cast_out(_depthwise(x, ky, kx, "reflect"), out_dtype)


# ---------------------------------------------------------------------------------------------
# colour
# ---------------------------------------------------------------------------------------------


def _blend(img1, img2, ratio: float):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    _assert_3d(img, "rgb_to_grayscale")
    _assert_channels(img, (1, 3), "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        # torchvision's (and TensorFlow's) luma weights; 0.2989 rather than ITU-R 601's 0.299.
        l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        l_img = img.clone()
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def adjust_brightness(img, brightness_factor: float):
    _assert_channels(img, (1, 3), "adjust_brightness")
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    _assert_channels(img, (1, 3), "adjust_contrast")
    dtype = img.dtype if _is_float(img) else ember.float32
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    _assert_channels(img, (1, 3), "adjust_saturation")
    if get_dimensions(img)[0] == 1:  # no colour to (de)saturate: PIL returns it unchanged too
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    """(h, s, v) of ``[..., 3, H, W]`` RGB in [0, 1]; h in [0, 1) turns (Pillow's formulas)."""
    r, g, b = img.unbind(dim=-3)
    maxc = img.amax(dim=-3)
    minc = img.amin(dim=-3)
    # Where max == min (grey), S and H are 0; dividing by 1 there instead of by 0 keeps NaN out
    # of the values (and out of the gradients) without changing the result.
    eqc = maxc == minc
    cr = maxc - minc
    ones = ember.ones_like(maxc)
    s = cr / ember.where(eqc, ones, maxc)
    cr_divisor = ember.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ((hr + hg + hb) / 6.0 + 1.0) % 1.0
    return h, s, maxc


_HSV_OFFSETS = np.array([5.0, 3.0, 1.0], dtype=np.float32).reshape(3, 1, 1)


def _hsv2rgb(h, s, v):
    """RGB ``[..., 3, H, W]`` of (h, s, v). Channel c = v - v s clamp(min(k, 4 - k), 0, 1) with
    k = (n_c + 6 h) mod 6, n = (5, 3, 1): the closed form of the sextant table (v, t, p / q, v,
    p / ...) that torchvision selects from, all three channels in one broadcast."""
    offsets = ember.as_tensor(_HSV_OFFSETS, dtype=h.dtype, device=h.device)
    k = (offsets + 6.0 * h.unsqueeze(-3)) % 6.0
    ramp = ember.minimum(k, 4.0 - k).clamp(0.0, 1.0)
    v, s = v.unsqueeze(-3), s.unsqueeze(-3)
    return v - v * s * ramp


def adjust_hue(img, hue_factor: float):
    _assert_image_tensor(img, "adjust_hue")
    _assert_channels(img, (1, 3), "adjust_hue")
    if get_dimensions(img)[0] == 1:  # grey has no hue (as PIL)
        return img
    orig_dtype = img.dtype
    h, s, v = _rgb2hsv(convert_image_dtype(img, ember.float32))
    return convert_image_dtype(_hsv2rgb((h + hue_factor) % 1.0, s, v), orig_dtype)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    _assert_channels(img, (1, 3), "adjust_gamma")
    dtype = img.dtype
    result = img if _is_float(img) else convert_image_dtype(img, ember.float32)
    result = (gain * result**gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def invert(img):
    _assert_3d(img, "invert")
    _assert_channels(img, (1, 3), "invert")
    return _max_value(img.dtype) - img


def posterize(img, bits: int):
    _assert_3d(img, "posterize")
    if img.dtype != ember.uint8:
        raise TypeError(f"posterize: Only uint8 image tensors are supported, but found "
                        f"{img.dtype}")
    _assert_channels(img, (1, 3), "posterize")
    mask = (0xFF << (8 - bits)) & 0xFF  # keep the top `bits` bits
    return img & mask


def solarize(img, threshold: float):
    _assert_3d(img, "solarize")
    _assert_channels(img, (1, 3), "solarize")
    if threshold > _max_value(img.dtype):
        raise TypeError(f"solarize: Threshold should be less than bound of img "
                        f"({threshold} > {_max_value(img.dtype)} for {img.dtype}).")
    return ember.where(img >= threshold, invert(img), img)


def adjust_sharpness(img, sharpness_factor: float):
    _assert_channels(img, (1, 3), "adjust_sharpness")
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    # PIL's SMOOTH filter [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 on the interior, edges kept:
    # sharpening is the blend away from this 'degenerate' image. Not separable: one 2-D conv.
    x, out_dtype = _cast_in(img, (ember.float32, ember.float64))
    kernel = np.ones((3, 3), dtype=x.dtype.np_dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    flat = x.reshape(-1, 1, x.shape[-2], x.shape[-1])
    weight = ember.as_tensor(kernel[None, None], device=img.device)
    blurred = _cast_out(nnF.conv2d(flat, weight), out_dtype)
    degenerate = img.clone()
    degenerate[..., 1:-1, 1:-1] = blurred.reshape(tuple(img.shape[:-2]) + tuple(blurred.shape[-2:]))
    return _blend(img, degenerate, sharpness_factor)


def autocontrast(img):
    _assert_3d(img, "autocontrast")
    _assert_channels(img, (1, 3), "autocontrast")
    bound = _max_value(img.dtype)
    dtype = img.dtype if _is_float(img) else ember.float32
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    flat = maximum == minimum  # a constant channel is left as it is
    scale = bound / ember.where(flat, ember.ones_like(maximum), maximum - minimum)
    scale = ember.where(flat, ember.ones_like(scale), scale)
    minimum = ember.where(flat, ember.zeros_like(minimum), minimum)
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def equalize(img):
    _assert_image_tensor(img, "equalize")
    if img.ndim < 3:
        raise TypeError(f"equalize: Input image tensor should have at least 3 dimensions, but "
                        f"found {img.ndim}")
    if img.dtype != ember.uint8:
        raise TypeError(f"equalize: Only uint8 image tensors are supported, but found "
                        f"{img.dtype}")
    _assert_channels(img, (1, 3), "equalize")
    h, w = img.shape[-2], img.shape[-1]
    flat = img.reshape(-1, h * w).to(ember.int64)  # one row per (image, channel)
    m = flat.shape[0]
    # All the histograms at once: row r counts into bins [256 r, 256 r + 256).
    offsets = (ember.arange(m, device=img.device) * 256).unsqueeze(1)
    hist = ember.bincount((flat + offsets).reshape(-1), minlength=m * 256).reshape(m, 256)
    # PIL's step: the pixel count without the last non-empty bin, over 255 levels.
    last = 255 - (hist.flip(-1) > 0).to(ember.int64).argmax(dim=1, keepdim=True)
    step = (h * w - hist.gather(1, last)) // 255
    safe_step = ember.where(step == 0, ember.ones_like(step), step)
    lut = (ember.cumsum(hist, dim=1) + step // 2) // safe_step
    lut = nnF.pad(lut, [1, 0])[:, :-1].clamp(0, 255)  # level i maps by the count below it
    out = ember.where(step == 0, flat, lut.gather(1, flat))  # one level only: unchanged
    return out.to(ember.uint8).reshape(img.shape)
