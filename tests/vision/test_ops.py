"""embervision.ops against independent references written here: IoU formulas by hand, greedy
NMS as a plain loop, RoI Align / RoI Pool as direct ports of torchvision's CPU kernels (one
Python loop per output value), the focal-loss formula in NumPy, finite differences."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from embervision import ops


def T(values, dtype=ember.float32, **kwargs):
    return ember.tensor(np.asarray(values), dtype=dtype, **kwargs)


# ---------------------------------------------------------------------------------------------
# Box utilities
# ---------------------------------------------------------------------------------------------


def test_box_iou_by_hand():
    a = T([[0, 0, 2, 2], [0, 0, 1, 1]])
    b = T([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]])
    expected = [[1 / 7, 1.0, 0.0], [0.0, 0.25, 0.0]]
    np.testing.assert_allclose(ops.box_iou(a, b).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(ops.box_area(b).numpy(), [4, 4, 1])


def test_generalized_distance_complete_iou_by_hand():
    eps = 1e-7
    # disjoint boxes: IoU 0, enclosing box [0, 0, 3, 1] of area 3, union 2
    a, b = T([[0, 0, 1, 1]], ember.float64), T([[2, 0, 3, 1]], ember.float64)
    np.testing.assert_allclose(ops.generalized_box_iou(a, b).numpy(), [[-1 / 3]])
    # DIoU: centres (1, 1) and (2, 2): d^2 = 2; enclosing diagonal^2 = 18
    a, b = T([[0, 0, 2, 2]], ember.float64), T([[1, 1, 3, 3]], ember.float64)
    np.testing.assert_allclose(ops.distance_box_iou(a, b).numpy(), [[1 / 7 - 2 / (18 + eps)]])
    # squares: the aspect term v is 0, so CIoU == DIoU
    np.testing.assert_allclose(ops.complete_box_iou(a, b).numpy(), [[1 / 7 - 2 / (18 + eps)]])
    # a 2x1 and a 1x2 box: IoU 1/3, d^2 = 0.5, diagonal^2 = 8
    a, b = T([[0, 0, 2, 1]], ember.float64), T([[0, 0, 1, 2]], ember.float64)
    iou, diou = 1 / 3, 1 / 3 - 0.5 / (8 + eps)
    v = 4 / math.pi**2 * (math.atan(2.0) - math.atan(0.5)) ** 2
    alpha = v / (1 - iou + v + eps)
    np.testing.assert_allclose(ops.complete_box_iou(a, b).numpy(), [[diou - alpha * v]])


def test_iou_family_shapes_and_gradients():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 5, (3, 2))
    b1 = ember.tensor(np.concatenate([xy, xy + rng.uniform(1, 3, (3, 2))], 1),
                      requires_grad=True)
    xy = rng.uniform(0, 5, (2, 2))
    b2 = ember.tensor(np.concatenate([xy, xy + rng.uniform(1, 3, (2, 2))], 1),
                      requires_grad=True)
    for fn in (ops.box_iou, ops.generalized_box_iou, ops.distance_box_iou):
        assert fn(b1, b2).shape == (3, 2)
        assert gradcheck(fn, (b1, b2))
    # CIoU's alpha is a constant for autograd (paper, torchvision), so finite differences of
    # the whole expression do not apply; its gradient still reaches both box sets
    ops.complete_box_iou(b1, b2).sum().backward()
    assert b1.grad is not None and b2.grad is not None


def test_box_area_upcasts_half_and_small_ints():
    assert ops.box_area(T([[0, 0, 300, 300]], ember.float16)).dtype == ember.float32
    assert ops.box_area(T([[0, 0, 200, 200]], ember.uint8)).dtype == ember.int32
    assert ops.box_area(T([[0, 0, 200, 200]], ember.uint8)).item() == 40000


def test_box_convert_formats():
    xyxy = T([[1, 2, 4, 6], [0, 0, 10, 20]])
    np.testing.assert_allclose(ops.box_convert(xyxy, "xyxy", "xywh").numpy(),
                               [[1, 2, 3, 4], [0, 0, 10, 20]])
    np.testing.assert_allclose(ops.box_convert(xyxy, "xyxy", "cxcywh").numpy(),
                               [[2.5, 4, 3, 4], [5, 10, 10, 20]])
    cxcywh = ops.box_convert(xyxy, "xyxy", "cxcywh")
    np.testing.assert_allclose(ops.box_convert(cxcywh, "cxcywh", "xywh").numpy(),
                               [[1, 2, 3, 4], [0, 0, 10, 20]])
    np.testing.assert_allclose(ops.box_convert(cxcywh, "cxcywh", "xyxy").numpy(), xyxy.numpy())
    same = ops.box_convert(xyxy, "xyxy", "xyxy")
    assert same is not xyxy and np.array_equal(same.numpy(), xyxy.numpy())
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(xyxy, "xyxy", "yxyx")


def test_clip_remove_small_and_masks_to_boxes():
    boxes = T([[-5, 2, 30, 50], [1, 1, 3, 2]])
    np.testing.assert_allclose(ops.clip_boxes_to_image(boxes, (40, 20)).numpy(),
                               [[0, 2, 20, 40], [1, 1, 3, 2]])
    assert ops.remove_small_boxes(T([[0, 0, 1, 5], [0, 0, 2, 2], [0, 0, 3, 1.5]]),
                                  1.5).tolist() == [1, 2]
    masks = np.zeros((2, 5, 6), dtype=bool)
    masks[0, 1:3, 2:5] = True
    masks[1, 4, 0] = True
    masks[1, 0, 5] = True
    boxes = ops.masks_to_boxes(ember.tensor(masks))
    assert boxes.dtype == ember.float32
    np.testing.assert_array_equal(boxes.numpy(), [[2, 1, 4, 2], [0, 0, 5, 4]])
    assert ops.masks_to_boxes(ember.zeros(0, 4, 4)).shape == (0, 4)
    masks[1] = False
    with pytest.raises(RuntimeError, match=r"masks_to_boxes: mask\(s\) \[1\] have no non-zero"):
        ops.masks_to_boxes(ember.tensor(masks))


def test_box_shape_errors():
    with pytest.raises(ValueError, match=r"box_iou: boxes2 must have shape \(N, 4\).*\(2, 3\)"):
        ops.box_iou(T([[0, 0, 1, 1]]), T([[0, 0, 1], [0, 0, 1]]))


# ---------------------------------------------------------------------------------------------
# NMS
# ---------------------------------------------------------------------------------------------


def _greedy_nms(boxes, scores, thr):
    """The textbook loop: visit by descending score (ties: lower index first)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep, removed = [], set()
    for pos, i in enumerate(order):
        if i in removed:
            continue
        keep.append(i)
        for j in order[pos + 1:]:
            x1, y1 = max(boxes[i][0], boxes[j][0]), max(boxes[i][1], boxes[j][1])
            x2, y2 = min(boxes[i][2], boxes[j][2]), min(boxes[i][3], boxes[j][3])
            inter = max(x2 - x1, 0) * max(y2 - y1, 0)
            area_i = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])
            area_j = (boxes[j][2] - boxes[j][0]) * (boxes[j][3] - boxes[j][1])
            if inter / (area_i + area_j - inter) > thr:
                removed.add(j)
    return keep


def test_nms_hand_made():
    boxes = T([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9], [21, 21, 30, 30]])
    scores = T([0.9, 0.8, 0.7, 0.95, 0.6])
    # 3 (0.95) suppresses 0 (IoU 0.9) and 1 (IoU 0.64); 2 suppresses 4 (IoU 0.81)
    keep = ops.nms(boxes, scores, 0.5)
    assert keep.dtype == ember.int64
    assert keep.tolist() == [3, 2]
    # a threshold above every overlap keeps all, by decreasing score
    assert ops.nms(boxes, scores, 0.95).tolist() == [3, 0, 1, 2, 4]
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).tolist() == []


def test_nms_ties_keep_index_order_and_threshold_is_strict():
    boxes = T([[0, 0, 2, 2], [1, 0, 3, 2], [0, 0, 2, 2]], ember.float64)
    scores = T([0.5, 0.5, 0.5], ember.float64)
    # equal scores: the lower index wins; boxes 0 and 2 coincide (IoU 1)
    assert ops.nms(boxes, scores, 0.9).tolist() == [0, 1]
    # IoU(0, 1) = 2 / 6 == 1/3 exactly in double precision: not greater, so not suppressed
    assert ops.nms(boxes, scores, 1 / 3).tolist() == [0, 1]
    # in float32 the IoU rounds to 0.33333334 > 1/3 (the kernel compares float to double)
    assert ops.nms(boxes.float(), scores.float(), 1 / 3).tolist() == [0]


@pytest.mark.parametrize("seed", range(4))
def test_nms_matches_greedy_loop(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (60, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 30, (60, 2))], 1)
    scores = rng.permutation(60) / 60.0
    for thr in (0.3, 0.5, 0.7):
        expected = _greedy_nms(boxes.tolist(), scores.tolist(), thr)
        assert ops.nms(T(boxes, ember.float64), T(scores, ember.float64), thr).tolist() == expected


def test_batched_nms_separates_categories():
    boxes = T([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]])
    scores = T([0.9, 0.8, 0.85, 0.3])
    idxs = ember.tensor([0, 0, 1, 0])
    # box 1 is suppressed by box 0 (same class); box 2 overlaps 0 fully but is another class
    assert ops.batched_nms(boxes, scores, idxs, 0.5).tolist() == [0, 2, 3]
    assert ops.batched_nms(boxes, scores, ember.zeros(4, dtype=ember.int64),
                           0.5).tolist() == [0, 3]
    assert ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64),
                           0.5).tolist() == []


def test_nms_errors():
    with pytest.raises(RuntimeError, match="boxes should have 4 elements in dimension 1, got 3"):
        ops.nms(ember.zeros(2, 3), ember.zeros(2), 0.5)
    with pytest.raises(RuntimeError, match="same number of elements in dimension 0, got 2 and 3"):
        ops.nms(ember.zeros(2, 4), ember.zeros(3), 0.5)


# ---------------------------------------------------------------------------------------------
# RoI Align: a port of torchvision's CPU kernel, one loop iteration per sample
# ---------------------------------------------------------------------------------------------


def _bilinear(img, y, x):
    height, width = img.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_high = y_low = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_high = x_low = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * img[y_low, x_low] + hy * lx * img[y_low, x_high]
            + ly * hx * img[y_high, x_low] + ly * lx * img[y_high, x_high])


def _roi_align_reference(x, rois, ph, pw, scale, sampling_ratio, aligned):
    out = np.zeros((len(rois), x.shape[1], ph, pw))
    offset = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sw, sh = x1 * scale - offset, y1 * scale - offset
        rw, rh = x2 * scale - offset - sw, y2 * scale - offset - sh
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / ph)
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        for c in range(x.shape[1]):
            for i in range(ph):
                for j in range(pw):
                    total = 0.0
                    for iy in range(gh):
                        yy = sh + i * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            xx = sw + j * bw + (ix + 0.5) * bw / gw
                            total += _bilinear(x[int(b), c], yy, xx)
                    out[k, c, i, j] = total / count
    return out


ROIS = [
    [0, 0.0, 0.0, 7.0, 5.0],      # the whole map
    [1, 1.3, 2.2, 4.9, 4.1],      # inside, fractional
    [0, -3.0, -2.0, 2.5, 3.0],    # partly outside (samples < -1 contribute nothing)
    [1, 5.5, 3.5, 9.0, 8.0],      # past the far edges (clamped taps)
    [0, 2.0, 2.0, 2.0, 2.0],      # empty box (forced to 1x1 unless aligned)
    [1, 0.5, 0.5, 14.0, 1.0],     # wide and flat: adaptive grids differ per RoI
]


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [2, -1, 1])
@pytest.mark.parametrize("scale, size", [(1.0, (3, 2)), (0.5, (2, 2))])
def test_roi_align_matches_kernel_port(aligned, sampling_ratio, scale, size):
    x = np.sin(np.arange(2 * 3 * 6 * 8) * 0.37).reshape(2, 3, 6, 8)
    rois = np.array(ROIS)
    out = ops.roi_align(ember.tensor(x), ember.tensor(rois), size, scale, sampling_ratio,
                        aligned)
    expected = _roi_align_reference(x, rois, *size, scale, sampling_ratio, aligned)
    assert out.shape == (len(rois), 3, *size)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_roi_align_float32_list_boxes_and_module():
    x = np.cos(np.arange(2 * 2 * 5 * 5) * 0.3).reshape(2, 2, 5, 5).astype(np.float32)
    boxes = [T([[0.5, 0.5, 3.5, 4.0]]), T([[1.0, 0.0, 4.0, 2.0], [0.0, 0.0, 5.0, 5.0]])]
    out = ops.roi_align(ember.tensor(x), boxes, 2, sampling_ratio=2)
    rois = np.array([[0, 0.5, 0.5, 3.5, 4.0], [1, 1.0, 0.0, 4.0, 2.0], [1, 0, 0, 5, 5]])
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), _roi_align_reference(x.astype(np.float64), rois,
                                                                 2, 2, 1.0, 2, False),
                               rtol=1e-5, atol=1e-6)
    layer = ops.RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2)
    assert repr(layer) == ("RoIAlign(output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2, "
                           "aligned=False)")
    np.testing.assert_array_equal(layer(ember.tensor(x), boxes).numpy(), out.numpy())
    assert ops.roi_align(ember.tensor(x), ember.zeros(0, 5), 2).shape == (0, 2, 2, 2)
    # half precision is computed in float32 and rounded once
    half = ops.roi_align(ember.tensor(x).half(), [b.half() for b in boxes], 2, sampling_ratio=2)
    assert half.dtype == ember.float16
    np.testing.assert_allclose(half.float().numpy(), out.numpy(), atol=2e-3)


def test_roi_align_gradients():
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((2, 2, 5, 6)), requires_grad=True)
    rois = ember.tensor([[0, 0.3, 0.6, 4.2, 3.9], [1, 1.5, 0.5, 5.5, 4.5], [1, -1.5, 2.0, 2.0,
                                                                             6.5]],
                        dtype=ember.float64)
    for sampling_ratio in (2, -1):
        def fn(inp, sr=sampling_ratio):
            return ops.roi_align(inp, rois, (2, 3), 1.0, sr, aligned=True)

        assert gradcheck(fn, (x,))
    assert gradgradcheck(lambda inp: ops.roi_align(inp, rois, 2, 1.0, 2), (x,))


def test_roi_align_errors():
    x = ember.zeros(1, 2, 4, 4)
    with pytest.raises(AssertionError, match=r"roi_align: The boxes tensor shape is not correct "
                                             r"as Tensor\[K, 5\].*\(3, 4\)"):
        ops.roi_align(x, ember.zeros(3, 4), 2)
    with pytest.raises(AssertionError, match=r"List\[Tensor\[L, 4\]\]: boxes\[0\] has shape"):
        ops.roi_align(x, [ember.zeros(3, 5)], 2)
    with pytest.raises(ValueError, match=r"roi_align: expected input of shape \(N, C, H, W\), "
                                         r"got \(2, 4, 4\)"):
        ops.roi_align(ember.zeros(2, 4, 4), ember.zeros(1, 5), 2)
    with pytest.raises(ValueError, match=r"batch indices must be in \[0, 1\).*\[0, 3\]"):
        ops.roi_align(x, T([[0, 0, 0, 1, 1], [3, 0, 0, 1, 1]]), 2)
    with pytest.raises(RuntimeError, match="expected a floating-point input, got ember.int64"):
        ops.roi_align(ember.zeros(1, 2, 4, 4, dtype=ember.int64), T([[0, 0, 0, 1, 1]]), 2)


# ---------------------------------------------------------------------------------------------
# RoI Pool: a port of torchvision's CPU kernel
# ---------------------------------------------------------------------------------------------


def _round(v):
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)  # C's round: half away from zero


def _roi_pool_reference(x, rois, ph, pw, scale):
    _, _, height, width = x.shape
    out = np.zeros((len(rois), x.shape[1], ph, pw))
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sw, sh, ew, eh = (_round(v * scale) for v in (x1, y1, x2, y2))
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        bh, bw = rh / ph, rw / pw
        for i in range(ph):
            h0 = min(max(math.floor(i * bh) + sh, 0), height)
            h1 = min(max(math.ceil((i + 1) * bh) + sh, 0), height)
            for j in range(pw):
                w0 = min(max(math.floor(j * bw) + sw, 0), width)
                w1 = min(max(math.ceil((j + 1) * bw) + sw, 0), width)
                if h1 <= h0 or w1 <= w0:
                    continue
                out[k, :, i, j] = x[int(b), :, h0:h1, w0:w1].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("scale, size", [(1.0, (2, 3)), (0.5, (3, 3))])
def test_roi_pool_matches_kernel_port(scale, size):
    x = np.sin(np.arange(2 * 3 * 6 * 8) * 1.37).reshape(2, 3, 6, 8)
    rois = np.array(ROIS + [[0, 2.5, 1.5, 6.5, 3.5], [1, 30, 30, 40, 40]])
    out = ops.roi_pool(ember.tensor(x), ember.tensor(rois), size, scale)
    np.testing.assert_array_equal(out.numpy(), _roi_pool_reference(x, rois, *size, scale))
    layer = ops.RoIPool(size, scale)
    assert repr(layer) == f"RoIPool(output_size={size}, spatial_scale={scale})"


def test_roi_pool_gradients():
    rng = np.random.default_rng(2)
    x = ember.tensor(rng.standard_normal((2, 2, 5, 6)), requires_grad=True)
    rois = ember.tensor([[0, 0, 0, 4, 3], [1, 1, 1, 5, 4], [1, 2, 2, 2, 2]], dtype=ember.float64)
    assert gradcheck(lambda inp: ops.roi_pool(inp, rois, (2, 2)), (x,))
    assert gradgradcheck(lambda inp: ops.roi_pool(inp, rois, (2, 2)), (x,))
    # every output value routes its gradient to exactly one input pixel (its argmax)
    ops.roi_pool(x, rois, (2, 2)).sum().backward()
    assert x.grad.sum().item() == 3 * 2 * 4


# ---------------------------------------------------------------------------------------------
# Focal loss, stochastic depth
# ---------------------------------------------------------------------------------------------


def _focal_reference(x, t, alpha, gamma):
    p = 1 / (1 + np.exp(-x))
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return loss


@pytest.mark.parametrize("alpha, gamma", [(0.25, 2), (-1, 0), (0.5, 1.5)])
def test_sigmoid_focal_loss_formula(alpha, gamma):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5)) * 3
    t = (rng.random((4, 5)) > 0.6).astype(np.float64)
    expected = _focal_reference(x, t, alpha, gamma)
    xt, tt = ember.tensor(x), ember.tensor(t)
    np.testing.assert_allclose(ops.sigmoid_focal_loss(xt, tt, alpha, gamma).numpy(), expected,
                               rtol=1e-10)
    np.testing.assert_allclose(ops.sigmoid_focal_loss(xt, tt, alpha, gamma, "mean").item(),
                               expected.mean(), rtol=1e-10)
    np.testing.assert_allclose(ops.sigmoid_focal_loss(xt, tt, alpha, gamma, "sum").item(),
                               expected.sum(), rtol=1e-10)
    xg = ember.tensor(x, requires_grad=True)
    assert gradcheck(lambda inp: ops.sigmoid_focal_loss(inp, tt, alpha, gamma), (xg,))


def test_sigmoid_focal_loss_errors():
    x = ember.zeros(3)
    with pytest.raises(ValueError, match="Invalid alpha value: 2"):
        ops.sigmoid_focal_loss(x, x, alpha=2)
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction': 'avg'"):
        ops.sigmoid_focal_loss(x, x, reduction="avg")


def test_stochastic_depth():
    x = ember.ones(400, 3, 2)
    assert ops.stochastic_depth(x, 0.5, "row", training=False) is x
    assert ops.stochastic_depth(x, 0.0, "row") is x
    ember.manual_seed(0)
    out = ops.stochastic_depth(x, 0.25, "row").numpy()
    rows = out.reshape(400, -1)
    # each sample's branch is dropped (0) or kept and scaled by 1 / (1 - p), as a whole
    assert set(np.unique(rows).tolist()) <= {0.0, float(np.float32(1) / np.float32(0.75))}
    assert (rows == rows[:, :1]).all()
    assert 0.6 < (rows[:, 0] > 0).mean() < 0.9
    ember.manual_seed(0)
    np.testing.assert_array_equal(ops.stochastic_depth(x, 0.25, "row").numpy(), out)
    batch = ops.stochastic_depth(x, 0.5, "batch").numpy()
    assert len(np.unique(batch)) == 1 and batch.flat[0] in (0.0, 2.0)
    assert not ops.stochastic_depth(x, 1.0, "row").numpy().any()
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1, but got"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row', but got col"):
        ops.stochastic_depth(x, 0.5, "col")
    layer = ops.StochasticDepth(0.2, "row")
    assert repr(layer) == "StochasticDepth(p=0.2, mode=row)"
    assert layer.eval()(x) is x


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


def test_conv2d_norm_activation_layout():
    block = ops.Conv2dNormActivation(3, 8, kernel_size=5, stride=2, dilation=2)
    assert [type(m).__name__ for m in block] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert block[0].padding == (4, 4) and block[0].bias is None and block[2].inplace
    assert block.out_channels == 8
    assert list(block.state_dict()) == ["0.weight", "1.weight", "1.bias", "1.running_mean",
                                        "1.running_var", "1.num_batches_tracked"]
    plain = ops.Conv2dNormActivation(3, 8, kernel_size=(3, 5), norm_layer=None,
                                     activation_layer=None)
    assert len(plain) == 1 and plain[0].padding == (1, 2) and plain[0].bias is not None
    assert block(ember.zeros(1, 3, 9, 9)).shape == (1, 8, 5, 5)
    with pytest.warns(UserWarning, match="Don't use ConvNormActivation directly"):
        ops.misc.ConvNormActivation(3, 8)


def test_squeeze_excitation_against_numpy():
    ember.manual_seed(0)
    se = ops.SqueezeExcitation(4, 2).double()
    x = np.random.default_rng(4).standard_normal((2, 4, 3, 3))
    w1, b1 = se.fc1.weight.detach().numpy()[:, :, 0, 0], se.fc1.bias.detach().numpy()
    w2, b2 = se.fc2.weight.detach().numpy()[:, :, 0, 0], se.fc2.bias.detach().numpy()
    s = np.maximum(x.mean(axis=(2, 3)) @ w1.T + b1, 0) @ w2.T + b2
    expected = x / (1 + np.exp(-s))[:, :, None, None]
    np.testing.assert_allclose(se(ember.tensor(x)).detach().numpy(), expected, rtol=1e-12)
    assert list(se.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_mlp_and_permute():
    mlp = ops.MLP(8, [16, 4], activation_layer=nn.GELU, inplace=None, dropout=0.1)
    assert [type(m).__name__ for m in mlp] == ["Linear", "GELU", "Dropout", "Linear", "Dropout"]
    assert [k for k in mlp.state_dict()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert mlp.eval()(ember.zeros(2, 8)).shape == (2, 4)
    normed = ops.MLP(8, [16, 16, 4], norm_layer=nn.LayerNorm)
    assert [type(m).__name__ for m in normed][:5] == ["Linear", "LayerNorm", "ReLU", "Dropout",
                                                      "Linear"]
    assert ops.Permute([0, 2, 3, 1])(ember.zeros(1, 2, 3, 4)).shape == (1, 3, 4, 2)


def test_frozen_batch_norm():
    bn = ops.FrozenBatchNorm2d(3, eps=1e-3)
    assert repr(bn) == "FrozenBatchNorm2d(3, eps=0.001)"
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var"]
    assert not list(bn.parameters())
    # a BatchNorm2d state dict (with num_batches_tracked) loads strictly
    source = nn.BatchNorm2d(3)
    state = {"weight": T([1.0, 2.0, 0.5]), "bias": T([0.0, 1.0, -1.0]),
             "running_mean": T([0.5, -1.0, 2.0]), "running_var": T([1.0, 4.0, 0.25]),
             "num_batches_tracked": source.num_batches_tracked}
    bn.load_state_dict(state)
    x = np.random.default_rng(5).standard_normal((2, 3, 2, 2)).astype(np.float32)
    s = lambda k: state[k].numpy()[None, :, None, None]  # noqa: E731
    expected = (x - s("running_mean")) / np.sqrt(s("running_var") + 1e-3) * s("weight") + s("bias")
    np.testing.assert_allclose(bn(ember.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\), got \(2, 4"):
        bn(ember.zeros(2, 4, 2, 2))
