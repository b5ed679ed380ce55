"""Image utilities with torchvision's API (``torchvision.utils``): grids, saving, drawing.

Example:
    >>> grid = make_grid(ember.rand(16, 3, 8, 8), nrow=4)      # (3, 42, 42)
    >>> save_image(ember.rand(16, 3, 8, 8), "samples.png", nrow=4)
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember
from ember.nn import functional as nnF

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks",
           "draw_keypoints", "flow_to_image"]


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range=None, scale_each: bool = False, pad_value: float = 0.0):
    """Tile a batch of images into one image, ``nrow`` per row, ``padding`` pixels apart.

    Args:
        tensor: a ``(B, C, H, W)`` tensor or a list of same-sized ``(C, H, W)`` images
            (1-channel images are repeated into 3 channels; one image is returned as it is).
        nrow: images per row; the grid is ceil(B / nrow) rows of min(nrow, B) images.
        padding: pixels between the images and around the border.
        normalize: shift and scale to [0, 1] by (min, max) = ``value_range`` (default: the
            tensor's own min and max; with ``scale_each``, each image's own).
        pad_value: the value of the padding (and of the empty cells of the last row).

    Returns:
        ``(C, (H + padding) * rows + padding, (W + padding) * min(nrow, B) + padding)``.

    Example:
        >>> make_grid(ember.zeros(3, 1, 4, 4), nrow=2, padding=1).shape
        ember.Size([3, 11, 11])
    """
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, ember.Tensor):
                raise TypeError(f"make_grid: tensor or list of tensors expected, got a list "
                                f"containing {type(t)}")
    elif not isinstance(tensor, ember.Tensor):
        raise TypeError(f"make_grid: tensor or list of tensors expected, got {type(tensor)}")
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError(f"make_grid: value_range has to be a tuple (min, max) if specified, got "
                        f"{value_range!r}")
    with ember.no_grad():
        if isinstance(tensor, list):
            tensor = ember.stack(tensor, dim=0)
        if tensor.ndim == 2:  # a single H x W image
            tensor = tensor.unsqueeze(0)
        if tensor.ndim == 3:  # a single image
            if tensor.shape[0] == 1:
                tensor = ember.cat((tensor, tensor, tensor), 0)
            tensor = tensor.unsqueeze(0)
        if tensor.ndim == 4 and tensor.shape[1] == 1:  # single-channel images
            tensor = ember.cat((tensor, tensor, tensor), 1)
        if normalize:
            tensor = _normalize(tensor, value_range, scale_each)
        if tensor.shape[0] == 1:
            return tensor.squeeze(0)
        return _tile(tensor, nrow, padding, pad_value)


def _normalize(tensor, value_range, scale_each: bool):
    """(x - low) / max(high - low, 1e-5) after clamping to [low, high]."""
    if value_range is not None:
        low, high = float(value_range[0]), float(value_range[1])
        return (tensor.clamp(low, high) - low) / max(high - low, 1e-5)
    if scale_each:  # each image's own range, all at once
        low = tensor.amin(dim=(1, 2, 3), keepdim=True)
        high = tensor.amax(dim=(1, 2, 3), keepdim=True)
        return (tensor - low) / (high - low).clamp(min=1e-5)
    low, high = float(tensor.min()), float(tensor.max())
    return (tensor - low) / max(high - low, 1e-5)


def _tile(tensor, nrow: int, padding: int, pad_value: float):
    """Lay (B, C, H, W) out on the grid with one reshape: every cell is an image padded on its
    top-left, cells are (rows, cols) of a 5-D view, and the bottom/right border comes last."""
    nmaps, channels, height, width = tensor.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    cell_h, cell_w = height + padding, width + padding
    cells = ember.full((ymaps * xmaps, channels, cell_h, cell_w), pad_value, dtype=tensor.dtype,
                       device=tensor.device)
    cells[:nmaps, :, padding:, padding:] = tensor
    grid = cells.reshape(ymaps, xmaps, channels, cell_h, cell_w).permute(2, 0, 3, 1, 4)
    grid = grid.reshape(channels, ymaps * cell_h, xmaps * cell_w)
    return nnF.pad(grid, (0, padding, 0, padding), value=pad_value)


def save_image(tensor, fp, format=None, **kwargs) -> None:
    """Save an image (or a batch, tiled by :func:`make_grid` with ``kwargs``) with values in
    [0, 1] as an 8-bit file: x * 255 rounded to the nearest level.

    Args:
        fp: a path (written atomically) or a binary file object.
        format: the file format (e.g. 'PNG'); from the extension when omitted (needed for a
            file object).
    """
    grid = make_grid(tensor, **kwargs)
    with ember.no_grad():
        # + 0.5 then truncation: round to the nearest integer level.
        ndarr = (grid * 255 + 0.5).clamp(0, 255).permute(1, 2, 0).to(ember.uint8)
    ndarr = ndarr.numpy(force=True)
    image = Image.fromarray(ndarr[:, :, 0] if ndarr.shape[2] == 1 else ndarr)
    if not isinstance(fp, (str, os.PathLike)):
        image.save(fp, format=format)
        return
    path = os.fspath(fp)
    if format is None:
        format = Image.registered_extensions().get(os.path.splitext(path)[1].lower())
        if format is None:
            raise ValueError(f"save_image: cannot tell the image format from the extension of "
                             f"'{path}'; pass format= (e.g. 'PNG')")
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        image.save(tmp, format=format)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _generate_color_palette(num_objects: int):
    """torchvision's default colours: i * (2^25 - 1, 2^15 - 1, 2^21 - 1) mod 255."""
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1], dtype=np.int64)
    return [tuple(int(c) for c in (i * palette) % 255) for i in range(num_objects)]


def _parse_colors(colors, num_objects: int, op: str):
    """A list of ``num_objects`` RGB tuples from None (the palette), one colour (a name such as
    'red' or '#FF00FF', or an (r, g, b) tuple) or a list of them."""
    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"{op}: Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"{op}: `colors` must be a tuple or a string, or a list thereof, but "
                         f"got {colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"{op}: If passed as tuple, colors should be an RGB triplet, but got "
                         f"{colors}.")
    else:
        colors = [colors] * num_objects
    return [ImageColor.getrgb(c) if isinstance(c, str) else tuple(int(v) for v in c)
            for c in colors]


def _check_image(image, op: str, channels) -> None:
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{op}: The image must be a tensor, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.dtype.is_floating_point):
        raise ValueError(f"{op}: The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError(f"{op}: Pass individual images, not batches (got shape "
                         f"{tuple(image.shape)})")
    if image.shape[0] not in channels:
        raise ValueError(f"{op}: Only {'grayscale and RGB' if 1 in channels else 'RGB'} images "
                         f"are supported, got {image.shape[0]} channels")


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill: bool = False,
                        width: int = 1, font=None, font_size=None, label_colors=None):
    """Draw boxes (and their labels) on a ``(C, H, W)`` image (uint8, or float in [0, 1]).

    Args:
        boxes: ``(N, 4)`` absolute (xmin, ymin, xmax, ymax) pixel coordinates.
        labels: N strings written at each box's top-left corner.
        colors: one colour or one per box (names like 'red', '#FF00FF' or (r, g, b) tuples;
            default: torchvision's palette).
        fill: fill the boxes with their colour at alpha 100/255.
        width: the outline width in pixels.
        font, font_size: a TrueType font file and its size for the labels (default: Pillow's
            built-in font).
        label_colors: the labels' colours (default: the boxes').

    Returns:
        a new ``(3, H, W)`` image of the input's dtype (grayscale input becomes RGB).
    """
    op = "draw_bounding_boxes"
    _check_image(image, op, (1, 3))
    boxes_np = np.asarray(boxes.numpy(force=True) if isinstance(boxes, ember.Tensor) else boxes)
    if boxes_np.ndim != 2 or boxes_np.shape[-1] != 4:
        raise ValueError(f"{op}: boxes should have shape (N, 4) in (xmin, ymin, xmax, ymax) "
                         f"format, got {boxes_np.shape}")
    if (boxes_np[:, 0] > boxes_np[:, 2]).any() or (boxes_np[:, 1] > boxes_np[:, 3]).any():
        raise ValueError(f"{op}: Boxes need to be in (xmin, ymin, xmax, ymax) format, with "
                         f"xmin <= xmax and ymin <= ymax")
    num_boxes = boxes_np.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"{op}: Number of boxes ({num_boxes}) and labels ({len(labels)}) "
                         f"mismatch. Please specify labels for each box.")
    colors = _parse_colors(colors, num_boxes, op)
    label_colors = colors if label_colors is None else _parse_colors(label_colors, num_boxes, op)
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.",
                          stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)

    original_dtype = image.dtype
    if original_dtype.is_floating_point:
        image = (image * 255).clamp(0, 255).round().to(ember.uint8)
    array = image.numpy(force=True).transpose(1, 2, 0)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    img_to_draw = Image.fromarray(np.ascontiguousarray(array))
    draw = ImageDraw.Draw(img_to_draw, "RGBA" if fill else None)
    # Pillow draws one primitive per call: a loop over boxes, not over pixels.
    for bbox, color, label, label_color in zip(boxes_np.astype(np.int64).tolist(), colors,
                                               labels, label_colors):
        if fill:
            draw.rectangle(bbox, width=width, outline=color, fill=color + (100,))
        else:
            draw.rectangle(bbox, width=width, outline=color)
        if label is not None:
            margin = width + 1
            draw.text((bbox[0] + margin, bbox[1] + margin), label, fill=label_color,
                      font=txt_font)
    out = ember.from_numpy(np.array(img_to_draw).transpose(2, 0, 1).copy()).to(image.device)
    if original_dtype.is_floating_point:
        out = out.to(original_dtype) / 255.0
    return out


def draw_segmentation_masks(image, masks, alpha: float = 0.8, colors=None):
    """Paint boolean ``masks`` onto an RGB image: each covered pixel becomes
    ``(1 - alpha) * pixel + alpha * colour`` (pixels covered by several masks: black).

    Args:
        image: ``(3, H, W)`` uint8, or float in [0, 1].
        masks: ``(N, H, W)`` or ``(H, W)`` bool.
        alpha: 0 (invisible) to 1 (opaque).
        colors: one colour or one per mask (default: torchvision's palette).
    """
    op = "draw_segmentation_masks"
    _check_image(image, op, (3,))
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError(f"{op}: masks must be of shape (H, W) or (batch_size, H, W), got "
                         f"{tuple(masks.shape)}")
    if masks.dtype != ember.bool:
        raise ValueError(f"{op}: The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError(f"{op}: The image and the masks must have the same height and width, "
                         f"got {tuple(image.shape)} and {tuple(masks.shape)}")
    num_masks = masks.shape[0]
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    scale = 255.0 if image.dtype.is_floating_point else 1.0
    palette = ember.as_tensor(np.asarray(_parse_colors(colors, num_masks, op), np.float64)
                              / scale, dtype=ember.float32, device=image.device)
    with ember.no_grad():
        # The last mask covering a pixel wins (as painting them in order does): its index is the
        # max of (k + 1) * mask_k; 0 means uncovered.
        order = ember.arange(1, num_masks + 1, device=image.device).view(-1, 1, 1)
        winner = (masks.to(ember.int64) * order).amax(dim=0)
        covered = winner > 0
        overlap = masks.to(ember.int64).sum(dim=0) > 1
        colour = palette[(winner - 1).clamp(min=0)].permute(2, 0, 1)  # (3, H, W)
        colour = ember.where(overlap, ember.zeros_like(colour), colour)
        painted = ember.where(covered, colour, image.to(ember.float32))
        out = image * (1 - alpha) + painted * alpha
    return out.to(image.dtype)


# At the end: _utils_extra imports from this module.
from ._utils_extra import draw_keypoints, flow_to_image  # noqa: E402
