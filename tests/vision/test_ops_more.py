"""The second batch of embervision.ops against references written here: the box losses as
NumPy formulas and literal values, DropBlock's block growth as a loop over the drawn centres,
FPN as NumPy convolutions and nearest upsampling, the FPN level rule by hand, PS RoI Align /
PS RoI Pool and deformable convolution as direct loop ports of torchvision's CPU kernels, and
gradients by finite differences (gradcheck / gradgradcheck in float64)."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from embervision.ops.ciou_loss import complete_box_iou_loss
from embervision.ops.deform_conv import DeformConv2d, deform_conv2d
from embervision.ops.diou_loss import distance_box_iou_loss
from embervision.ops.drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from embervision.ops.feature_pyramid_network import (
    FeaturePyramidNetwork,
    LastLevelMaxPool,
    LastLevelP6P7,
)
from embervision.ops.giou_loss import generalized_box_iou_loss
from embervision.ops.poolers import LevelMapper, MultiScaleRoIAlign
from embervision.ops.ps_roi_align import PSRoIAlign, ps_roi_align
from embervision.ops.ps_roi_pool import PSRoIPool, ps_roi_pool
from embervision.ops.roi_align import roi_align


def T(values, dtype=ember.float64, **kwargs):
    return ember.tensor(np.asarray(values), dtype=dtype, **kwargs)


# ---------------------------------------------------------------------------------------------
# GIoU / DIoU / CIoU losses
# ---------------------------------------------------------------------------------------------

B1 = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.5, 4.0, 3.0]])
B2 = np.array([[1.0, 0.0, 3.0, 2.0], [2.0, 2.0, 3.0, 4.0], [0.5, 1.0, 3.5, 4.2]])


def _np_losses(b1, b2, eps=1e-7):
    x1, y1, x2, y2 = b1.T
    a1, c1, a2, c2 = b2.T
    iw = np.clip(np.minimum(x2, a2) - np.maximum(x1, a1), 0, None)
    ih = np.clip(np.minimum(y2, c2) - np.maximum(y1, c1), 0, None)
    inter = iw * ih
    union = (x2 - x1) * (y2 - y1) + (a2 - a1) * (c2 - c1) - inter
    iou = inter / (union + eps)
    cw = np.maximum(x2, a2) - np.minimum(x1, a1)
    ch = np.maximum(y2, c2) - np.minimum(y1, c1)
    giou = 1 - (iou - (cw * ch - union) / (cw * ch + eps))
    d2 = ((x1 + x2) / 2 - (a1 + a2) / 2) ** 2 + ((y1 + y2) / 2 - (c1 + c2) / 2) ** 2
    diou = 1 - iou + d2 / (cw**2 + ch**2 + eps)
    v = 4 / np.pi**2 * (np.arctan((a2 - a1) / (c2 - c1)) - np.arctan((x2 - x1) / (y2 - y1))) ** 2
    alpha = v / (1 - iou + v + eps)
    return giou, diou, diou + alpha * v, alpha, v


def test_box_losses_match_numpy_and_literals():
    giou, diou, ciou, _, _ = _np_losses(B1, B2)
    a, b = T(B1), T(B2)
    np.testing.assert_allclose(generalized_box_iou_loss(a, b).detach().numpy(), giou, rtol=1e-12)
    np.testing.assert_allclose(distance_box_iou_loss(a, b).detach().numpy(), diou, rtol=1e-12)
    np.testing.assert_allclose(complete_box_iou_loss(a, b).detach().numpy(), ciou, rtol=1e-12)
    # literals: half-overlapping squares: IoU 1/3, enclosing 3x2 box fully covered by the union
    # (GIoU loss 2/3); centres 1 apart, enclosing diagonal^2 13 (DIoU 2/3 + 1/13)
    np.testing.assert_allclose(generalized_box_iou_loss(a[0], b[0]).item(), 2 / 3, rtol=1e-6)
    np.testing.assert_allclose(distance_box_iou_loss(a[0], b[0]).item(), 2 / 3 + 1 / 13,
                               rtol=1e-6)
    # identical boxes: zero loss everywhere
    for fn in (generalized_box_iou_loss, distance_box_iou_loss, complete_box_iou_loss):
        assert np.abs(fn(a, a).detach().numpy()).max() < 1e-6


def test_box_losses_reductions_dtypes_and_errors():
    giou, diou, ciou, _, _ = _np_losses(B1, B2)
    a, b = T(B1), T(B2)
    for fn, ref in ((generalized_box_iou_loss, giou), (distance_box_iou_loss, diou),
                    (complete_box_iou_loss, ciou)):
        np.testing.assert_allclose(fn(a, b, reduction="sum").item(), ref.sum(), rtol=1e-12)
        np.testing.assert_allclose(fn(a, b, reduction="mean").item(), ref.mean(), rtol=1e-12)
        empty = fn(a[:0], b[:0], reduction="mean")
        assert empty.shape == () and empty.item() == 0.0  # not NaN, as torchvision
        with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
            fn(a, b, reduction="avg")
        with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
            fn(a[:, :3], b[:, :3])
        # integer boxes are upcast to float32; float64 stays
        assert fn(T(B1, ember.int64), T(B2, ember.int64)).dtype == ember.float32
        assert fn(a, b).dtype == ember.float64


def test_giou_diou_loss_gradcheck():
    a = T(B1).requires_grad_()
    b = T(B2).requires_grad_()
    assert gradcheck(lambda x, y: generalized_box_iou_loss(x, y), (a, b))
    assert gradcheck(lambda x, y: distance_box_iou_loss(x, y, reduction="sum"), (a, b))


def test_ciou_loss_gradient_treats_alpha_as_constant():
    a = T(B1).requires_grad_()
    complete_box_iou_loss(a, T(B2), reduction="sum").backward()
    alpha = _np_losses(B1, B2)[3]

    def f(b1):  # the CIoU loss with alpha frozen at its value for B1 (as the paper)
        _, diou, _, _, v = _np_losses(b1, B2)
        return (diou + alpha * v).sum()

    num = np.zeros_like(B1)
    for idx in np.ndindex(B1.shape):
        d = np.zeros_like(B1)
        d[idx] = 1e-6
        num[idx] = (f(B1 + d) - f(B1 - d)) / 2e-6
    np.testing.assert_allclose(a.grad.detach().numpy(), num, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# DropBlock
# ---------------------------------------------------------------------------------------------


def _grow_blocks(centres, bs, nd):
    """Reference block growth: every drawn centre at valid position q zeroes the window that
    torchvision's pad(bs // 2) + max_pool(bs, stride 1, padding bs // 2) produces."""
    valid = centres.shape[2:]
    size = tuple(v + bs - 1 for v in valid)  # spatial size of the input
    dropped = np.zeros(centres.shape[:2] + size, dtype=bool)
    pad = bs // 2
    # the padded noise has size valid + 2 * pad; the max-pool output index o covers padded
    # indices o - pad .. o - pad + bs - 1, i.e. centre indices o - 2 * pad .. o - 2 * pad + bs - 1
    for idx in zip(*np.nonzero(centres)):
        n, c, q = idx[0], idx[1], idx[2:]
        lo = [qi + 2 * pad - (bs - 1) for qi in q]
        window = tuple(slice(max(0, l_), max(0, l_ + bs)) for l_ in lo)
        dropped[(n, c) + window] = True
    return dropped[(...,) + tuple(slice(0, s) for s in size)]


@pytest.mark.parametrize("nd,bs,shape", [(2, 3, (2, 2, 7, 6)), (2, 5, (1, 3, 6, 8)),
                                         (3, 7, (1, 2, 4, 5, 3))])
def test_drop_block_matches_reference_draws(nd, bs, shape):
    p = 0.15
    x = ember.rand(*shape, dtype=ember.float64)
    bs_eff = min(bs, *shape[2:])
    valid = tuple(s - bs_eff + 1 for s in shape[2:])
    gamma = p * np.prod(shape[2:]) / (bs_eff**nd * np.prod(valid))
    ember.manual_seed(3)
    centres = ember.empty(*shape[:2], *valid, dtype=ember.float64).bernoulli_(gamma).numpy()
    ember.manual_seed(3)
    fn = drop_block2d if nd == 2 else drop_block3d
    y = fn(x, p, bs)
    keep = ~_grow_blocks(centres, bs_eff, nd)
    scale = keep.size / (1e-6 + keep.sum())
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() * keep * scale, rtol=1e-12)


def test_drop_block_passthrough_inplace_modules_and_errors():
    x = ember.rand(2, 3, 8, 8)
    assert drop_block2d(x, 0.3, 3, training=False) is x
    assert drop_block2d(x, 0.0, 3) is x
    ember.manual_seed(0)
    y = x.clone()
    out = drop_block2d(y, 0.5, 3, inplace=True)
    assert out is y and not np.allclose(y.detach().numpy(), x.detach().numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        drop_block2d(x, 1.5, 3)
    with pytest.raises(ValueError, match="input should be 4 dimensional. Got 3"):
        drop_block2d(x[0], 0.1, 3)
    with pytest.raises(RuntimeError, match="block_size 4 .* is even"):
        drop_block2d(x, 0.1, 4)
    with pytest.raises(RuntimeError, match="block_size 2 .* is even"):
        drop_block3d(ember.ones(1, 1, 2, 5, 5), 0.1, 3)
    with pytest.raises(ValueError, match="input should be 5 dimensional"):
        drop_block3d(x, 0.1, 3)
    m = DropBlock2d(0.3, 3)
    assert repr(m) == "DropBlock2d(p=0.3, block_size=3, inplace=False)"
    assert repr(DropBlock3d(0.1, 7)) == "DropBlock3d(p=0.1, block_size=7, inplace=False)"
    m.eval()
    assert m(x) is x
    m.train()
    ember.manual_seed(1)
    z = m(ember.ones(4, 4, 16, 16))
    vals = np.unique(np.round(z.detach().numpy(), 5))
    assert len(vals) == 2 and vals[0] == 0  # zero or the single rescale factor
    x.requires_grad_()
    ember.manual_seed(2)
    drop_block2d(x, 0.3, 3).sum().backward()
    ember.manual_seed(2)
    np.testing.assert_allclose(x.grad.numpy(), drop_block2d(ember.ones_like(x), 0.3, 3).numpy(),
                               rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Feature pyramid network
# ---------------------------------------------------------------------------------------------


def _np_conv(x, w, b, stride=1, pad=0):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[-1]
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::stride,
                                                                         ::stride]
    return np.einsum("nchwij,ocij->nohw", win, w) + b[None, :, None, None]


def _np_nearest(x, size):
    ri = np.floor(np.arange(size[0]) * x.shape[2] / size[0]).astype(int)
    ci = np.floor(np.arange(size[1]) * x.shape[3] / size[1]).astype(int)
    return x[:, :, ri][:, :, :, ci]


def test_fpn_key_layout_and_old_layout_upgrade():
    m = FeaturePyramidNetwork([4, 6], 3, extra_blocks=LastLevelP6P7(3, 3))
    assert list(m.state_dict()) == [
        "inner_blocks.0.0.weight", "inner_blocks.0.0.bias",
        "inner_blocks.1.0.weight", "inner_blocks.1.0.bias",
        "layer_blocks.0.0.weight", "layer_blocks.0.0.bias",
        "layer_blocks.1.0.weight", "layer_blocks.1.0.bias",
        "extra_blocks.p6.weight", "extra_blocks.p6.bias",
        "extra_blocks.p7.weight", "extra_blocks.p7.bias",
    ]
    assert tuple(m.inner_blocks[1][0].weight.shape) == (3, 6, 1, 1)
    assert tuple(m.layer_blocks[0][0].weight.shape) == (3, 3, 3, 3)
    assert np.all(m.inner_blocks[0][0].bias.detach().numpy() == 0)
    # a checkpoint of the version-1 layout (plain convs) loads into the new keys
    old = OrderedDict((k.replace(".0.", "."), v * 2) for k, v in m.state_dict().items()
                      if k.startswith(("inner", "layer")))
    old.update((k, v) for k, v in m.state_dict().items() if k.startswith("extra"))
    m2 = FeaturePyramidNetwork([4, 6], 3, extra_blocks=LastLevelP6P7(3, 3))
    m2.load_state_dict(old)
    np.testing.assert_allclose(m2.layer_blocks[1][0].weight.detach().numpy(),
                               2 * m.layer_blocks[1][0].weight.detach().numpy())
    normed = FeaturePyramidNetwork([4], 3, norm_layer=nn.BatchNorm2d)
    assert "inner_blocks.0.0.bias" not in normed.state_dict()  # conv bias off before a norm
    assert "layer_blocks.0.1.running_mean" in normed.state_dict()
    with pytest.raises(ValueError, match="in_channels=0"):
        FeaturePyramidNetwork([0, 4], 3)
    with pytest.raises(TypeError, match="ExtraFPNBlock"):
        FeaturePyramidNetwork([4], 3, extra_blocks=nn.ReLU())


def test_fpn_forward_matches_numpy():
    ember.manual_seed(0)
    m = FeaturePyramidNetwork([2, 3, 4], 3, extra_blocks=LastLevelMaxPool()).double()
    for blk in list(m.inner_blocks) + list(m.layer_blocks):
        nn.init.uniform_(blk[0].bias, -1, 1)
    x = OrderedDict(a=ember.rand(1, 2, 9, 10, dtype=ember.float64),
                    b=ember.rand(1, 3, 5, 5, dtype=ember.float64),
                    c=ember.rand(1, 4, 2, 3, dtype=ember.float64))
    out = m(x)
    assert list(out) == ["a", "b", "c", "pool"]
    p = {n: (blk[0].weight.detach().numpy(), blk[0].bias.detach().numpy()) for n, blk in
         zip("abc", m.inner_blocks)}
    q = {n: (blk[0].weight.detach().numpy(), blk[0].bias.detach().numpy()) for n, blk in
         zip("abc", m.layer_blocks)}
    inner = _np_conv(x["c"].detach().numpy(), *p["c"])
    ref = {"c": _np_conv(inner, *q["c"], pad=1)}
    for n in "ba":
        lateral = _np_conv(x[n].detach().numpy(), *p[n])
        inner = lateral + _np_nearest(inner, lateral.shape[2:])
        ref[n] = _np_conv(inner, *q[n], pad=1)
    for n in "abc":
        np.testing.assert_allclose(out[n].detach().numpy(), ref[n], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["pool"].detach().numpy(), ref["c"][:, :, ::2, ::2])


def test_fpn_p6p7_uses_p5_or_c5():
    ember.manual_seed(0)
    for in_ch, use_p5 in ((3, True), (4, False)):
        blk = LastLevelP6P7(in_ch, 3).double()
        assert blk.use_P5 is use_p5
        m = FeaturePyramidNetwork([2, 4], 3, extra_blocks=blk).double()
        x = OrderedDict(a=ember.rand(1, 2, 8, 8, dtype=ember.float64),
                        b=ember.rand(1, 4, 7, 7, dtype=ember.float64))
        out = m(x)
        assert [(k, tuple(v.shape)) for k, v in out.items()] == [
            ("a", (1, 3, 8, 8)), ("b", (1, 3, 7, 7)), ("p6", (1, 3, 4, 4)), ("p7", (1, 3, 2, 2))]
        src = (out["b"] if use_p5 else x["b"]).detach().numpy()
        p6 = _np_conv(np.pad(src, ((0, 0), (0, 0), (1, 1), (1, 1))), blk.p6.weight.detach().numpy(),
                      blk.p6.bias.detach().numpy(), stride=2)
        np.testing.assert_allclose(out["p6"].detach().numpy(), p6, rtol=1e-10, atol=1e-12)
        p7 = _np_conv(np.pad(np.maximum(p6, 0), ((0, 0), (0, 0), (1, 1), (1, 1))),
                      blk.p7.weight.detach().numpy(), blk.p7.bias.detach().numpy(), stride=2)
        np.testing.assert_allclose(out["p7"].detach().numpy(), p7, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# MultiScaleRoIAlign
# ---------------------------------------------------------------------------------------------


def test_level_mapper_by_hand():
    boxes = [T([[0, 0, 112, 112], [0, 0, 224, 224], [0, 0, 10, 10]]),
             T([[0, 0, 448, 448], [0, 0, 2000, 2000]])]
    # sqrt(area) / 224 = 1/2, 1, ~0.045, 2, ~8.9 -> levels 3, 4, 0 (clamped to 2), 5, 7 (to 5)
    lm = LevelMapper(2, 5)
    np.testing.assert_array_equal(lm(boxes).detach().numpy(), [1, 2, 0, 3, 3])
    assert lm(boxes).dtype == ember.int64
    lm = LevelMapper(2, 5, canonical_scale=112, canonical_level=3)
    np.testing.assert_array_equal(lm(boxes).detach().numpy(), [1, 2, 0, 3, 3])
    lm = LevelMapper(2, 5, canonical_scale=112, canonical_level=4)
    np.testing.assert_array_equal(lm(boxes).detach().numpy(), [2, 3, 0, 3, 3])


def test_multiscale_roi_align_routes_boxes_to_levels():
    rng = np.random.default_rng(0)
    feats = OrderedDict(f1=T(rng.random((2, 2, 32, 32))), f2=T(rng.random((2, 2, 16, 16))),
                        f3=T(rng.random((2, 2, 8, 8))))
    boxes = [T([[0, 0, 20, 20], [4, 4, 120, 100]]), T([[10, 8, 60, 70], [0, 0, 127, 127]])]
    m = MultiScaleRoIAlign(["f1", "f3"], 3, 2)
    out = m(feats, boxes, [(128, 128), (120, 100)])
    assert m.scales == [0.25, 0.0625]
    assert tuple(out.shape) == (4, 2, 3, 3)
    # levels by hand: k_min = 2, k_max = 4; floor(4 + log2(sqrt(area) / 224) + 1e-6)
    rois = np.concatenate([np.c_[np.full(2, i), b.detach().numpy()] for i, b in enumerate(boxes)])
    s = np.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
    lvl = np.clip(np.floor(4 + np.log2(s / 224) + 1e-6), 2, 4) - 2
    assert list(lvl) == [0, 0, 0, 1]
    maps, scales = [feats["f1"], feats["f3"]], [0.25, 0.0625]
    for i in range(4):
        j = int(lvl[i])
        ref = roi_align(maps[j], T(rois[i:i + 1]), 3, scales[j], 2)
        np.testing.assert_allclose(out[i:i + 1].detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    # a larger canonical level sends the boxes to coarser maps
    m2 = MultiScaleRoIAlign(["f2", "f3"], 3, 2, canonical_scale=224, canonical_level=8)
    out2 = m2(feats, boxes, [(128, 128)])
    ref2 = roi_align(feats["f3"], T(rois[0:1]), 3, 0.0625, 2)
    np.testing.assert_allclose(out2[0:1].detach().numpy(), ref2.detach().numpy())
    # levels without a feature map (f1 and f3 are levels 2 and 4) leave zeros, as torchvision
    m3 = MultiScaleRoIAlign(["f1", "f3"], 3, 2, canonical_level=8)
    out3 = m3(feats, boxes, [(128, 128)])
    assert tuple(out3.shape) == (4, 2, 3, 3) and np.all(out3.detach().numpy() == 0)
    assert repr(m) == "MultiScaleRoIAlign(featmap_names=['f1', 'f3'], output_size=(3, 3), " \
                      "sampling_ratio=2)"
    single = MultiScaleRoIAlign(["f2"], (2, 3), -1)
    np.testing.assert_allclose(single(feats, boxes, [(128, 128)]).detach().numpy(),
                               roi_align(feats["f2"], T(rois), (2, 3), 0.125, -1).detach().numpy())


def test_multiscale_roi_align_gradcheck():
    rng = np.random.default_rng(1)
    a = T(rng.random((1, 1, 8, 8))).requires_grad_()
    b = T(rng.random((1, 1, 4, 4))).requires_grad_()
    boxes = [T([[1, 1, 5, 6], [0, 0, 30, 31], [2, 3, 9, 7]])]
    m = MultiScaleRoIAlign(["a", "b"], 2, 2, canonical_scale=16, canonical_level=3)
    assert gradcheck(lambda x, y: m(OrderedDict(a=x, b=y), boxes, [(32, 32)]), (a, b))


# ---------------------------------------------------------------------------------------------
# PS RoI Align / PS RoI Pool: loop ports of torchvision's CPU kernels
# ---------------------------------------------------------------------------------------------


def _bilinear(img, y, x):
    H, W = img.shape
    if y < -1.0 or y > H or x < -1.0 or x > W:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= H - 1:
        y_high = y_low = H - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= W - 1:
        x_high = x_low = W - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * img[y_low, x_low] + hy * lx * img[y_low, x_high]
            + ly * hx * img[y_high, x_low] + ly * lx * img[y_high, x_high])


def _ref_ps_roi_align(x, rois, PH, PW, scale, sr):
    K, C = len(rois), x.shape[1] // (PH * PW)
    out = np.zeros((K, C, PH, PW))
    for n, r in enumerate(rois):
        b = int(r[0])
        sw, sh, ew, eh = (r[1:] * scale - 0.5)
        bh, bw = (eh - sh) / PH, (ew - sw) / PW
        gh = sr if sr > 0 else math.ceil((eh - sh) / PH)
        gw = sr if sr > 0 else math.ceil((ew - sw) / PW)
        for c in range(C):
            for ph in range(PH):
                for pw in range(PW):
                    img = x[b, (c * PH + ph) * PW + pw]
                    acc = 0.0
                    for iy in range(gh):
                        yy = sh + ph * bh + (iy + 0.5) * bh / gh
                        for ix in range(gw):
                            xx = sw + pw * bw + (ix + 0.5) * bw / gw
                            acc += _bilinear(img, yy, xx)
                    out[n, c, ph, pw] = acc / (gh * gw)
    return out


def _ref_ps_roi_pool(x, rois, PH, PW, scale):
    H, W = x.shape[2:]
    K, C = len(rois), x.shape[1] // (PH * PW)
    out = np.zeros((K, C, PH, PW))

    def rnd(v):  # C's round: half away from zero
        return int(math.copysign(math.floor(abs(v) + 0.5), v))

    for n, r in enumerate(rois):
        b = int(r[0])
        sw, sh, ew, eh = (rnd(v * scale) for v in r[1:])
        bh, bw = max(eh - sh, 1) / PH, max(ew - sw, 1) / PW
        for ph in range(PH):
            h0 = min(max(math.floor(ph * bh) + sh, 0), H)
            h1 = min(max(math.ceil((ph + 1) * bh) + sh, 0), H)
            for pw in range(PW):
                w0 = min(max(math.floor(pw * bw) + sw, 0), W)
                w1 = min(max(math.ceil((pw + 1) * bw) + sw, 0), W)
                if h1 <= h0 or w1 <= w0:
                    continue
                for c in range(C):
                    win = x[b, (c * PH + ph) * PW + pw, h0:h1, w0:w1]
                    out[n, c, ph, pw] = win.sum() / win.size
    return out


ROIS = np.array([[0, 1.3, 0.7, 6.2, 5.1], [1, -2.0, 1.0, 3.5, 9.0], [1, 4.0, 4.0, 4.6, 4.2],
                 [0, 0.0, 0.0, 7.9, 7.4]])


@pytest.mark.parametrize("pooled,scale,sr", [((2, 2), 1.0, -1), ((3, 2), 0.5, 2),
                                             ((2, 3), 1.0, 1)])
def test_ps_roi_align_matches_kernel_port(pooled, scale, sr):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2 * pooled[0] * pooled[1], 7, 8))
    out = ps_roi_align(T(x), T(ROIS), pooled, scale, sr)
    np.testing.assert_allclose(out.detach().numpy(), _ref_ps_roi_align(x, ROIS, *pooled, scale, sr),
                               rtol=1e-10, atol=1e-12)
    # float32 and the list-of-boxes form agree
    boxes = [T(ROIS[ROIS[:, 0] == i, 1:]) for i in range(2)]
    order = np.argsort(ROIS[:, 0], kind="stable")
    out32 = PSRoIAlign(pooled, scale, sr)(T(x, ember.float32), boxes)
    np.testing.assert_allclose(out32.numpy(), out.numpy()[order], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pooled,scale", [((2, 2), 1.0), ((3, 2), 0.5), ((1, 3), 1.0)])
def test_ps_roi_pool_matches_kernel_port(pooled, scale):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3 * pooled[0] * pooled[1], 7, 8))
    out = ps_roi_pool(T(x), T(ROIS), pooled, scale)
    assert tuple(out.shape) == (4, 3, *pooled)
    np.testing.assert_allclose(out.detach().numpy(), _ref_ps_roi_pool(x, ROIS, *pooled, scale),
                               rtol=1e-10, atol=1e-12)
    # half precision is computed in float32 and rounded once
    h = PSRoIPool(pooled, scale)(T(x, ember.float16), T(ROIS, ember.float16))
    assert h.dtype == ember.float16


def test_ps_roi_ops_gradcheck_and_errors():
    rng = np.random.default_rng(2)
    x = T(rng.standard_normal((2, 4, 4, 5))).requires_grad_()
    rois = T(ROIS[:3] * 0.6)
    assert gradcheck(lambda t: ps_roi_align(t, rois, 2, 1.0, 2), (x,))
    assert gradgradcheck(lambda t: ps_roi_align(t[:1, :, :3], rois[:1], 2, 1.0, -1), (x,))
    assert gradcheck(lambda t: ps_roi_pool(t, rois, 2, 1.0), (x,))
    # an inverted RoI samples nothing with an adaptive grid: zeros, the others unaffected
    mixed = T([[0, 5, 5, 1, 1], [0, 1, 1, 3, 4]])
    out = ps_roi_align(x, mixed, 2)
    assert np.all(out[0].detach().numpy() == 0)
    np.testing.assert_allclose(out[1:].detach().numpy(),
                               ps_roi_align(x, mixed[1:], 2).detach().numpy())
    with pytest.raises(RuntimeError, match="multiple of pooling height \\* pooling width"):
        ps_roi_align(x, rois, 3)
    with pytest.raises(RuntimeError, match="ps_roi_pool: input channels"):
        ps_roi_pool(x, rois, (1, 3))
    with pytest.raises(ValueError, match=r"batch indices must be in \[0, 2\)"):
        ps_roi_align(x, T([[2, 0, 0, 1, 1]]), 2)
    with pytest.raises(AssertionError, match="Tensor\\[K, 5\\]"):
        ps_roi_pool(x, T([[0, 0, 1, 1]]), 2)
    assert repr(PSRoIAlign(2, 0.5, 2)) == \
        "PSRoIAlign(output_size=2, spatial_scale=0.5, sampling_ratio=2)"
    assert repr(PSRoIPool((2, 2), 1.0)) == "PSRoIPool(output_size=(2, 2), spatial_scale=1.0)"


# ---------------------------------------------------------------------------------------------
# Deformable convolution: loop port of torchvision's deform_conv2d CPU kernel
# ---------------------------------------------------------------------------------------------


def _dc_bilinear(img, h, w):
    H, W = img.shape
    if h <= -1 or H <= h or w <= -1 or W <= w:
        return 0.0
    h_low, w_low = math.floor(h), math.floor(w)
    h_high, w_high = h_low + 1, w_low + 1
    lh, lw = h - h_low, w - w_low
    hh, hw = 1 - lh, 1 - lw
    v1 = img[h_low, w_low] if h_low >= 0 and w_low >= 0 else 0.0
    v2 = img[h_low, w_high] if h_low >= 0 and w_high <= W - 1 else 0.0
    v3 = img[h_high, w_low] if h_high <= H - 1 and w_low >= 0 else 0.0
    v4 = img[h_high, w_high] if h_high <= H - 1 and w_high <= W - 1 else 0.0
    return hh * hw * v1 + hh * lw * v2 + lh * hw * v3 + lh * lw * v4


def _ref_deform_conv(x, off, w, b, stride, pad, dil, mask):
    B, Cin, H, W = x.shape
    Cout, cpg, kh, kw = w.shape
    groups, G = Cin // cpg, off.shape[1] // (2 * kh * kw)
    oh, ow = off.shape[2:]
    cols = np.zeros((B, Cin, kh, kw, oh, ow))
    for n in range(B):
        for c in range(Cin):
            g = c // (Cin // G)
            for i in range(kh):
                for j in range(kw):
                    k = i * kw + j
                    for y in range(oh):
                        for xx in range(ow):
                            dy = off[n, g * 2 * kh * kw + 2 * k, y, xx]
                            dx = off[n, g * 2 * kh * kw + 2 * k + 1, y, xx]
                            m = 1.0 if mask is None else mask[n, g * kh * kw + k, y, xx]
                            hh = y * stride[0] - pad[0] + i * dil[0] + dy
                            ww = xx * stride[1] - pad[1] + j * dil[1] + dx
                            cols[n, c, i, j, y, xx] = m * _dc_bilinear(x[n, c], hh, ww)
    out = np.zeros((B, Cout, oh, ow))
    opg = Cout // groups
    for gi in range(groups):
        out[:, gi * opg:(gi + 1) * opg] = np.einsum(
            "ocij,ncijyx->noyx", w[gi * opg:(gi + 1) * opg], cols[:, gi * cpg:(gi + 1) * cpg])
    return out + (0 if b is None else b[None, :, None, None])


@pytest.mark.parametrize(
    "cin,cout,k,stride,pad,dil,groups,ogroups,use_mask",
    [(2, 3, (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, False),
     (4, 2, (2, 3), (2, 1), (0, 1), (1, 2), 2, 2, True),
     (4, 4, (3, 2), (1, 2), (2, 0), (2, 1), 4, 1, True)],
)
def test_deform_conv2d_matches_kernel_port(cin, cout, k, stride, pad, dil, groups, ogroups,
                                           use_mask):
    rng = np.random.default_rng(0)
    H, W = 6, 7
    oh = (H + 2 * pad[0] - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    ow = (W + 2 * pad[1] - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    x = rng.standard_normal((2, cin, H, W))
    off = rng.uniform(-2.5, 2.5, (2, 2 * ogroups * k[0] * k[1], oh, ow))
    w = rng.standard_normal((cout, cin // groups, *k))
    b = rng.standard_normal(cout)
    mask = rng.random((2, ogroups * k[0] * k[1], oh, ow)) if use_mask else None
    out = deform_conv2d(T(x), T(off), T(w), T(b), stride, pad, dil,
                        None if mask is None else T(mask))
    ref = _ref_deform_conv(x, off, w, b, stride, pad, dil, mask)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-10)


def test_deform_conv2d_zero_offsets_is_conv2d_and_module():
    ember.manual_seed(0)
    m = DeformConv2d(4, 6, 3, stride=2, padding=1, groups=2)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert tuple(m.weight.shape) == (6, 2, 3, 3)
    bound = 1 / math.sqrt(2 * 9)
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    x = ember.rand(2, 4, 7, 7)
    y = m(x, ember.zeros(2, 18, 4, 4))
    ref = _np_grouped_conv(x.numpy(), m.weight.detach().numpy(), m.bias.detach().numpy(), 2, 1,
                           2)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    assert repr(m) == ("DeformConv2d(4, 6, kernel_size=(3, 3), stride=(2, 2), "
                       "padding=(1, 1), groups=2)")
    assert repr(DeformConv2d(1, 1, 2, bias=False)) == \
        "DeformConv2d(1, 1, kernel_size=(2, 2), stride=(1, 1), bias=False)"
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        DeformConv2d(3, 4, 3, groups=2)


def _np_grouped_conv(x, w, b, stride, pad, groups):
    cpg, opg = w.shape[1], w.shape[0] // groups
    return np.concatenate([
        _np_conv(x[:, g * cpg:(g + 1) * cpg], w[g * opg:(g + 1) * opg],
                 b[g * opg:(g + 1) * opg], stride, pad) for g in range(groups)], axis=1)


def test_deform_conv2d_gradcheck():
    rng = np.random.default_rng(3)
    x = T(rng.standard_normal((1, 2, 3, 4))).requires_grad_()
    # offsets kept away from integers: the bilinear weights have kinks there
    off = T(rng.integers(-2, 2, (1, 2 * 2 * 4, 2, 4)) + rng.uniform(0.2, 0.8, (1, 16, 2, 4))
            ).requires_grad_()
    w = T(rng.standard_normal((2, 1, 2, 2))).requires_grad_()
    b = T(rng.standard_normal(2)).requires_grad_()
    mask = T(rng.random((1, 2 * 4, 2, 4))).requires_grad_()

    def f(x_, off_, w_, b_, m_):
        return deform_conv2d(x_, off_, w_, b_, padding=(0, 1), dilation=(1, 2), mask=m_)

    assert gradcheck(f, (x, off, w, b, mask))
    assert gradgradcheck(lambda x_, off_, w_: f(x_, off_, w_, b, mask), (x, off, w))


def test_deform_conv2d_errors():
    x, w = ember.rand(1, 4, 5, 5), ember.rand(2, 4, 3, 3)
    with pytest.raises(RuntimeError, match="offset tensor at dimension 1 is not valid"):
        deform_conv2d(x, ember.zeros(1, 10, 3, 3), w)
    with pytest.raises(RuntimeError, match=r"offset must have shape \(1, 18, 3, 3\)"):
        deform_conv2d(x, ember.zeros(1, 18, 4, 4), w)
    with pytest.raises(RuntimeError, match=r"mask must have shape \(1, 9, 3, 3\)"):
        deform_conv2d(x, ember.zeros(1, 18, 3, 3), w, mask=ember.ones(1, 18, 3, 3))
    with pytest.raises(RuntimeError, match="does not fit an input with 4 channels"):
        deform_conv2d(x, ember.zeros(1, 18, 3, 3), ember.rand(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="offset groups"):
        deform_conv2d(x, ember.zeros(1, 54, 3, 3), w)
    with pytest.raises(ValueError, match="input must be a 4-D tensor"):
        deform_conv2d(x[0], ember.zeros(1, 18, 3, 3), w)


def test_roi_align_inverted_box_with_adaptive_sampling_gives_zeros():
    # aligned=True shifts by half a pixel; an inverted box then has a negative size and an
    # empty sampling grid: the bin averages nothing (0), as in torchvision's kernel
    from embervision.ops import roi_align

    x = ember.arange(2 * 5 * 5, dtype=ember.float32).reshape(1, 2, 5, 5)
    boxes = ember.tensor([[0.0, 3.0, 3.0, 1.0, 1.0]])
    out = roi_align(x, boxes, output_size=2, spatial_scale=1.0, sampling_ratio=-1, aligned=True)
    assert tuple(out.shape) == (1, 2, 2, 2)
    np.testing.assert_array_equal(out.numpy(), np.zeros((1, 2, 2, 2), np.float32))
