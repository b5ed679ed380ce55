"""``torchvision.utils.flow_to_image`` and ``draw_keypoints`` (re-exported by
:mod:`embervision.utils`).

``flow_to_image`` is the Middlebury colour coding (Baker et al., "A Database and Evaluation
Methodology for Optical Flow", ICCV 2007), as torchvision adapts it from
tomrunia/OpticalFlow_Visualization: direction picks a hue on a 55-colour wheel, magnitude
(relative to the largest in the batch) its saturation. Computed in float32, like torchvision.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

import ember

__all__ = ["draw_keypoints", "flow_to_image"]


def _make_colorwheel() -> np.ndarray:
    """The ``(55, 3)`` float32 colour wheel: red-yellow-green-cyan-blue-magenta-red in
    15 + 6 + 4 + 11 + 13 + 6 steps (the numbers Baker et al. chose for perceptual spacing)."""
    RY, YG, GC, CB, BM, MR = 15, 6, 4, 11, 13, 6  # noqa: N806 (the paper's names)
    wheel = np.zeros((RY + YG + GC + CB + BM + MR, 3), dtype=np.float32)

    def ramp(n: int) -> np.ndarray:
        return np.floor(255 * np.arange(n, dtype=np.float32) / n)

    col = 0
    wheel[0:RY, 0] = 255
    wheel[0:RY, 1] = ramp(RY)
    col += RY
    wheel[col:col + YG, 0] = 255 - ramp(YG)
    wheel[col:col + YG, 1] = 255
    col += YG
    wheel[col:col + GC, 1] = 255
    wheel[col:col + GC, 2] = ramp(GC)
    col += GC
    wheel[col:col + CB, 1] = 255 - ramp(CB)
    wheel[col:col + CB, 2] = 255
    col += CB
    wheel[col:col + BM, 2] = 255
    wheel[col:col + BM, 0] = ramp(BM)
    col += BM
    wheel[col:col + MR, 2] = 255 - ramp(MR)
    wheel[col:col + MR, 0] = 255
    return wheel


def _normalized_flow_to_image(normalized_flow: np.ndarray) -> np.ndarray:
    """``(N, 2, H, W)`` float32 flow with norms in [0, 1] -> ``(N, 3, H, W)`` uint8."""
    colorwheel = _make_colorwheel()
    num_cols = colorwheel.shape[0]
    u, v = normalized_flow[:, 0], normalized_flow[:, 1]
    norm = np.sqrt(u**2 + v**2)
    a = np.arctan2(-v, -u) / np.pi  # angle in [-1, 1]
    fk = (a + 1) / 2 * (num_cols - 1)  # position on the wheel
    k0 = np.floor(fk).astype(np.int64)
    k1 = k0 + 1
    k1[k1 == num_cols] = 0
    f = fk - k0
    col0 = colorwheel[k0] / 255.0  # (N, H, W, 3): all three channels at once
    col1 = colorwheel[k1] / 255.0
    col = (1 - f)[..., None] * col0 + f[..., None] * col1
    col = 1 - norm[..., None] * (1 - col)  # small motions fade to white
    return np.floor(255 * col).astype(np.uint8).transpose(0, 3, 1, 2)


def flow_to_image(flow):
    """Colour-code optical flow: hue from direction, saturation from magnitude.

    Args:
        flow: float32 tensor ``(2, H, W)`` or ``(N, 2, H, W)`` (x and y displacement).

    Returns:
        uint8 tensor ``(3, H, W)`` or ``(N, 3, H, W)``; the largest motion in the input is
        fully saturated, zero motion is white.

    Example:
        >>> flow = ember.zeros(2, 4, 4); flow[0] = 1.0     # everything moves right
        >>> flow_to_image(flow)[:, 0, 0]
        tensor([255,   0,   0], dtype=ember.uint8)
    """
    if not isinstance(flow, ember.Tensor):
        raise TypeError(f"flow_to_image: flow must be a tensor, got {type(flow).__name__}")
    if flow.dtype != ember.float32:
        raise ValueError(f"Flow should be of dtype torch.float, got {flow.dtype}.")
    orig_shape = tuple(flow.shape)
    array = flow.numpy(force=True)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got "
                         f"{orig_shape}.")
    max_norm = np.sqrt(np.sum(array**2, axis=1)).max() if array.size else np.float32(0)
    epsilon = np.finfo(np.float32).eps  # keeps an all-zero flow finite (white image)
    img = _normalized_flow_to_image(array / (max_norm + epsilon))
    if len(orig_shape) == 3:
        img = img[0]
    return ember.from_numpy(np.ascontiguousarray(img)).to(flow.device)


def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius: int = 2,
                   width: int = 3, visibility=None):
    """Draw keypoints (and the segments joining them) on an RGB image.

    Args:
        image: ``(3, H, W)`` uint8, or float in [0, 1].
        keypoints: ``(num_instances, K, 2)`` pixel ``(x, y)`` locations.
        connectivity: pairs ``(i, j)`` of keypoints to join with a line.
        colors: the points' colour (a name such as ``"red"`` or an RGB tuple); lines are drawn
            in Pillow's default ink, as torchvision does.
        radius: the points' radius in pixels. width: the lines' width.
        visibility: ``(num_instances, K)`` (or ``(num_instances, K, 1)``) booleans; invisible
            points and every line touching one are skipped. Default: all visible.

    Returns:
        a new ``(3, H, W)`` image of the input's dtype.

    Example:
        >>> img = ember.zeros(3, 32, 32, dtype=ember.uint8)
        >>> out = draw_keypoints(img, ember.tensor([[[5, 5], [20, 20]]]), [(0, 1)], "red")
    """
    op = "draw_keypoints"
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{op}: The image must be a tensor, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.dtype.is_floating_point):
        raise ValueError(f"{op}: The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError(f"{op}: Pass individual images, not batches (got shape "
                         f"{tuple(image.shape)})")
    if image.shape[0] != 3:
        raise ValueError(f"{op}: Pass an RGB image. Other Image formats are not supported "
                         f"(got {image.shape[0]} channels)")
    kpts = np.asarray(keypoints.numpy(force=True) if isinstance(keypoints, ember.Tensor)
                      else keypoints)
    if kpts.ndim != 3:
        raise ValueError(f"{op}: keypoints must be of shape (num_instances, K, 2), got "
                         f"{kpts.shape}")
    if visibility is None:
        vis = np.ones(kpts.shape[:-1], dtype=bool)
    else:
        vis = np.asarray(visibility.numpy(force=True) if isinstance(visibility, ember.Tensor)
                         else visibility)
    if vis.ndim == 3:
        vis = vis.squeeze(-1)  # e.g. from pred.split([2, 1], dim=-1)
    if vis.ndim != 2:
        raise ValueError(f"{op}: visibility must be of shape (num_instances, K). Got "
                         f"ndim={vis.ndim}")
    if vis.shape != kpts.shape[:-1]:
        raise ValueError(f"{op}: keypoints and visibility must have the same dimensionality for "
                         f"num_instances and K. Got visibility.shape = {vis.shape} and "
                         f"keypoints.shape = {kpts.shape}")
    original_dtype = image.dtype
    array = image.numpy(force=True)
    if original_dtype.is_floating_point:
        # torchvision's to_dtype(..., scale=True): x * (255 + 1 - 1e-3), truncated.
        array = (array * (256.0 - 1e-3)).astype(np.uint8)
    img_to_draw = Image.fromarray(np.ascontiguousarray(array.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(img_to_draw)
    # Pillow draws one primitive per call: loops over points and segments, not pixels.
    for kpt_inst, vis_inst in zip(kpts.astype(np.int64).tolist(), vis.astype(bool).tolist()):
        for (x, y), kp_vis in zip(kpt_inst, vis_inst):
            if kp_vis:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors,
                             outline=None, width=0)
        for i, j in connectivity or ():
            if vis_inst[i] and vis_inst[j]:
                draw.line((tuple(kpt_inst[i]), tuple(kpt_inst[j])), width=width)
    out = ember.from_numpy(np.array(img_to_draw).transpose(2, 0, 1).copy()).to(image.device)
    if original_dtype.is_floating_point:
        out = out.to(original_dtype) * (1.0 / 255)  # to_dtype(..., scale=True) back to float
    return out
