"""Convolutions (F.conv*, F.conv_transpose*, F.unfold/fold, nn.Conv*/ConvTranspose*).

References are written here in plain NumPy with explicit loops over output positions (tiny
inputs): direct cross-correlation, transposed convolution as a scatter of kernel-weighted
inputs, im2col by slicing. Transposed convolution is also checked as the adjoint of
convolution, <conv(x), y> = <x, conv_transpose(y)>, over random geometries (hypothesis).
Literal expectations (shapes, state_dict keys, reprs, messages) are PyTorch's.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)


RNG = np.random.default_rng(0)


def arr(t):
    return np.asarray(t.detach().cpu().numpy(), dtype=np.float64)


def t64(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# -- NumPy references --------------------------------------------------------------------------


def ref_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct N-d cross-correlation; padding: int, tuple, 'valid', 'same' (extra after)."""
    nd = w.ndim - 2
    k = w.shape[2:]
    s = (stride,) * nd if np.isscalar(stride) else tuple(stride)
    d = (dilation,) * nd if np.isscalar(dilation) else tuple(dilation)
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":
        pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for dd, kk in zip(d, k)]
    else:
        p = (padding,) * nd if np.isscalar(padding) else tuple(padding)
        pads = [(pp, pp) for pp in p]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    out_size = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    out = np.zeros((n, o, *out_size))
    for pos in itertools.product(*map(range, out_size)):
        window = xp[(slice(None), slice(None)) + tuple(
            slice(p * s[i], p * s[i] + d[i] * (k[i] - 1) + 1, d[i]) for i, p in enumerate(pos))]
        for gi in range(groups):
            xs = window[:, gi * cg:(gi + 1) * cg]
            ws = w[gi * og:(gi + 1) * og]
            out[(slice(None), slice(gi * og, (gi + 1) * og)) + pos] = np.tensordot(
                xs, ws, axes=(list(range(1, nd + 2)), list(range(1, nd + 2))))
    if b is not None:
        out += b.reshape((-1,) + (1,) * nd)
    return out


def ref_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                       dilation=1):
    """Transposed convolution as a scatter: every input value adds value * kernel into the
    output at input_pos * stride + kernel_pos * dilation, then padding is cropped."""
    nd = w.ndim - 2
    k = w.shape[2:]
    def tup(v):
        return (v,) * nd if np.isscalar(v) else tuple(v)

    s, p, op, d = tup(stride), tup(padding), tup(output_padding), tup(dilation)
    n, c = x.shape[:2]
    og = w.shape[1]
    cg = c // groups
    full = [(x.shape[2 + i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 + op[i] for i in range(nd)]
    out = np.zeros((n, og * groups, *full))
    for pos in itertools.product(*map(range, x.shape[2:])):
        for kpos in itertools.product(*map(range, k)):
            at = tuple(pos[i] * s[i] + kpos[i] * d[i] for i in range(nd))
            for gi in range(groups):
                xv = x[(slice(None), slice(gi * cg, (gi + 1) * cg)) + pos]  # (n, cg)
                wv = w[(slice(gi * cg, (gi + 1) * cg), slice(None)) + kpos]  # (cg, og)
                out[(slice(None), slice(gi * og, (gi + 1) * og)) + at] += xv @ wv
    out = out[(slice(None), slice(None)) + tuple(
        slice(p[i], full[i] - p[i]) for i in range(nd))]
    if b is not None:
        out = out + b.reshape((-1,) + (1,) * nd)
    return out


def ref_unfold(x, k, dilation=1, padding=0, stride=1):
    kh, kw = (k, k) if np.isscalar(k) else k
    d = (dilation, dilation) if np.isscalar(dilation) else dilation
    p = (padding, padding) if np.isscalar(padding) else padding
    s = (stride, stride) if np.isscalar(stride) else stride
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (xp.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    cols = []
    for i, j in itertools.product(range(oh), range(ow)):
        block = xp[:, :, i * s[0]:i * s[0] + d[0] * (kh - 1) + 1:d[0],
                   j * s[1]:j * s[1] + d[1] * (kw - 1) + 1:d[1]]
        cols.append(block.reshape(x.shape[0], -1))
    return np.stack(cols, axis=-1)


# -- forward against the references ----------------------------------------------------------

CONV_CASES = [
    # nd, (N, C, O), size, kernel, kwargs
    (1, (2, 4, 6), 9, 3, {}),
    (1, (2, 4, 6), 10, 4, dict(stride=3, padding=2, dilation=2, groups=2)),
    (1, (1, 3, 3), 7, 2, dict(padding="same")),
    (2, (2, 3, 4), 7, 3, {}),
    (2, (2, 4, 6), 8, 3, dict(stride=2, padding=1)),
    (2, (2, 4, 4), 9, (2, 3), dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1))),
    (2, (2, 4, 8), 6, 3, dict(padding=1, groups=4)),  # depthwise, multiplier 2
    (2, (1, 4, 6), 6, 3, dict(padding=1, groups=2)),
    (2, (2, 3, 5), 6, 4, dict(padding="same", dilation=1)),  # even kernel: odd extra after
    (2, (2, 3, 5), 7, 3, dict(padding="same", dilation=2)),
    (2, (2, 3, 5), 7, 3, dict(padding="valid", stride=2)),
    (3, (2, 2, 3), 5, 3, dict(padding=1)),
    (3, (1, 4, 4), (4, 5, 6), (1, 2, 3), dict(stride=(1, 2, 2), padding=(0, 1, 1), groups=2)),
]


def _conv_inputs(nd, ncn, size, kernel, groups, bias=True):
    n, c, o = ncn
    size = (size,) * nd if np.isscalar(size) else size
    kernel = (kernel,) * nd if np.isscalar(kernel) else kernel
    x = RNG.standard_normal((n, c, *size))
    w = RNG.standard_normal((o, c // groups, *kernel))
    b = RNG.standard_normal(o) if bias else None
    return x, w, b


CONV_FNS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT_FNS = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@pytest.mark.parametrize("nd, ncn, size, kernel, kw", CONV_CASES)
def test_conv_matches_direct_reference(nd, ncn, size, kernel, kw):
    x, w, b = _conv_inputs(nd, ncn, size, kernel, kw.get("groups", 1))
    expected = ref_conv(x, w, b, **kw)
    out = CONV_FNS[nd](t64(x), t64(w), t64(b), **kw)
    assert out.dtype == ember.float64
    np.testing.assert_allclose(arr(out), expected, rtol=1e-12, atol=1e-12)
    out32 = CONV_FNS[nd](ember.tensor(x, dtype=ember.float32), ember.tensor(w, dtype=ember.float32),
                         **kw)
    assert out32.dtype == ember.float32
    np.testing.assert_allclose(arr(out32), ref_conv(x, w, None, **kw), rtol=1e-4, atol=1e-4)


CONVT_CASES = [
    (1, (2, 4, 6), 5, 3, {}),
    (1, (2, 4, 6), 4, 3, dict(stride=2, padding=1, output_padding=1, groups=2)),
    (2, (2, 3, 4), 4, 3, {}),
    (2, (2, 4, 2), 3, 3, dict(stride=2, padding=1, output_padding=1)),
    (2, (1, 4, 6), 3, (2, 3), dict(stride=(3, 2), dilation=(1, 2), groups=2)),
    (2, (2, 4, 4), 4, 3, dict(stride=1, padding=2, dilation=2)),  # padding > d(k-1)/2
    (2, (2, 4, 4), 4, 3, dict(stride=1, dilation=2, output_padding=1)),  # op < dilation
    (2, (2, 4, 4), 3, 3, dict(stride=2, groups=4)),
    (3, (1, 2, 3), 3, 2, dict(stride=2, padding=1, output_padding=1)),
]


@pytest.mark.parametrize("nd, ncn, size, kernel, kw", CONVT_CASES)
def test_conv_transpose_matches_direct_reference(nd, ncn, size, kernel, kw):
    n, c, o = ncn
    groups = kw.get("groups", 1)
    size = (size,) * nd
    kernel = (kernel,) * nd if np.isscalar(kernel) else kernel
    x = RNG.standard_normal((n, c, *size))
    w = RNG.standard_normal((c, o // groups, *kernel))
    b = RNG.standard_normal(o)
    out = CONVT_FNS[nd](t64(x), t64(w), t64(b), **kw)
    np.testing.assert_allclose(arr(out), ref_conv_transpose(x, w, b, **kw), rtol=1e-12,
                               atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    nd=st.integers(1, 3),
    groups=st.sampled_from([1, 2]),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    kernel=st.integers(1, 3),
    extra=st.integers(0, 3),
)
def test_conv_transpose_is_the_adjoint_of_conv(nd, groups, stride, padding, dilation, kernel,
                                               extra):
    # <conv(x, w), y> = <x, conv_transpose(y, w)>, with output_padding making the shapes meet
    size = max(dilation * (kernel - 1) + 1 - 2 * padding, 1) + extra
    x = RNG.standard_normal((2, 2 * groups, *(size,) * nd))
    w = RNG.standard_normal((2 * groups, 2, *(kernel,) * nd))
    out = CONV_FNS[nd](t64(x), t64(w), None, stride, padding, dilation, groups)
    y = RNG.standard_normal(tuple(out.shape))
    length = out.shape[-1]
    op = size - ((length - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1)
    back = CONVT_FNS[nd](t64(y), t64(w), None, stride, padding, op, groups, dilation)
    assert tuple(back.shape) == x.shape
    np.testing.assert_allclose(np.vdot(arr(out), y), np.vdot(x, arr(back)), rtol=1e-10,
                               atol=1e-9)


def test_unbatched_input_is_batch_of_one():
    x, w, b = _conv_inputs(2, (1, 3, 4), 6, 3, 1)
    out = F.conv2d(t64(x[0]), t64(w), t64(b), padding=1)
    assert tuple(out.shape) == (4, 6, 6)
    np.testing.assert_allclose(arr(out), ref_conv(x, w, b, padding=1)[0], rtol=1e-12, atol=1e-12)
    wt = RNG.standard_normal((3, 2, 3))
    out = F.conv_transpose1d(t64(x[0, :, 0]), t64(wt), stride=2)
    np.testing.assert_allclose(arr(out), ref_conv_transpose(x[:, :, 0], wt, stride=2)[0],
                               rtol=1e-12, atol=1e-12)
    m = nn.Conv2d(3, 4, 3)
    xs = ember.randn(3, 5, 5)
    np.testing.assert_allclose(arr(m(xs)), arr(m(xs.unsqueeze(0))[0]), rtol=1e-6)


def test_non_contiguous_and_empty_batch():
    x = RNG.standard_normal((2, 3, 7, 6))
    w = RNG.standard_normal((4, 3, 3, 3))
    xt = t64(x.transpose(0, 1, 3, 2).copy()).transpose(2, 3)  # a strided view
    np.testing.assert_allclose(arr(F.conv2d(xt, t64(w), stride=2)), ref_conv(x, w, stride=2),
                               rtol=1e-12)
    empty = F.conv2d(ember.zeros(0, 3, 7, 6), ember.zeros(4, 3, 3, 3))
    assert tuple(empty.shape) == (0, 4, 5, 4)


def test_outputs_do_not_alias_reused_workspace():
    # large temporaries live in a reused buffer: outputs must be fresh arrays
    x1, w, _ = _conv_inputs(2, (2, 3, 4), 6, 3, 1)
    x2 = RNG.standard_normal(x1.shape)
    y1 = F.conv2d(t64(x1), t64(w), padding=1)
    y1t = F.conv_transpose2d(t64(ref_conv(x1, w, padding=1)), t64(w), padding=1)
    F.conv2d(t64(x2), t64(w), padding=1)
    F.conv_transpose2d(t64(x1[:, :, :4]), t64(w.transpose(1, 0, 2, 3)), stride=2)
    np.testing.assert_allclose(arr(y1), ref_conv(x1, w, padding=1), rtol=1e-12)
    np.testing.assert_allclose(
        arr(y1t), ref_conv_transpose(ref_conv(x1, w, padding=1), w, padding=1), rtol=1e-12)


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16])
def test_half_precision_keeps_dtype(dtype):
    x, w, b = _conv_inputs(2, (1, 2, 3), 5, 3, 1)
    out = F.conv2d(ember.tensor(x, dtype=dtype), ember.tensor(w, dtype=dtype),
                   ember.tensor(b, dtype=dtype), padding=1)
    assert out.dtype == dtype
    tol = 0.05 if dtype == ember.float16 else 0.3
    np.testing.assert_allclose(arr(out.float()), ref_conv(x, w, b, padding=1), atol=tol,
                               rtol=0.02)


def test_conv_on_device(device):
    x, w, b = _conv_inputs(2, (2, 4, 4), 6, 3, 2)
    out = F.conv2d(t64(x).to(device), t64(w).to(device), t64(b).to(device), 1, 1, 1, 2)
    np.testing.assert_allclose(arr(out), ref_conv(x, w, b, 1, 1, 1, 2), rtol=1e-10)
    back = F.conv_transpose2d(out, t64(w).to(device), stride=2, groups=2)
    np.testing.assert_allclose(
        arr(back), ref_conv_transpose(ref_conv(x, w, b, 1, 1, 1, 2), w, stride=2, groups=2),
        rtol=1e-10)


# -- output shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize("module, shape, expected", [
    (lambda: nn.Conv2d(3, 8, 3, stride=2, padding=1), (2, 3, 9, 9), (2, 8, 5, 5)),
    (lambda: nn.Conv1d(2, 4, 5, stride=3, dilation=2), (1, 2, 20), (1, 4, 4)),
    (lambda: nn.Conv3d(2, 4, (1, 2, 3), stride=(1, 2, 2), padding=(0, 1, 1)), (1, 2, 4, 5, 6),
     (1, 4, 4, 3, 3)),
    (lambda: nn.Conv2d(3, 6, 4, padding="same", padding_mode="reflect"), (1, 3, 7, 7),
     (1, 6, 7, 7)),
    (lambda: nn.ConvTranspose2d(3, 8, 3, stride=2, padding=1, output_padding=1), (2, 3, 5, 5),
     (2, 8, 10, 10)),
    (lambda: nn.ConvTranspose2d(3, 8, (3, 4), stride=(2, 3), padding=(1, 0), dilation=(1, 2)),
     (2, 3, 5, 5), (2, 8, 9, 19)),
    (lambda: nn.ConvTranspose1d(4, 2, 3, stride=2), (1, 4, 5), (1, 2, 11)),
    (lambda: nn.ConvTranspose3d(4, 6, 2, groups=2, padding=1), (1, 4, 3, 3, 3), (1, 6, 2, 2, 2)),
])
def test_output_shapes(module, shape, expected):
    assert tuple(module()(ember.randn(*shape)).shape) == expected


def test_conv_transpose_output_size():
    m = nn.ConvTranspose2d(3, 8, 3, stride=2)
    x = ember.randn(1, 3, 4, 4)
    assert tuple(m(x).shape) == (1, 8, 9, 9)
    assert tuple(m(x, output_size=[10, 10]).shape) == (1, 8, 10, 10)
    assert tuple(m(x, output_size=[1, 8, 9, 10]).shape) == (1, 8, 9, 10)
    with pytest.raises(ValueError, match=r"requested an output size of \[12, 10\], but valid "
                                         r"sizes range from \[9, 9\] to \[10, 10\]"):
        m(x, output_size=[12, 10])
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        m(x, output_size=[1, 12, 10])


# -- unfold / fold -----------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [dict(kernel_size=3), dict(kernel_size=(2, 3), stride=(2, 1)),
                                dict(kernel_size=2, dilation=2, padding=1, stride=2),
                                dict(kernel_size=1)])
def test_unfold_and_fold(kw):
    x = RNG.standard_normal((2, 3, 6, 7))
    ref_kw = dict(k=kw["kernel_size"], dilation=kw.get("dilation", 1),
                  padding=kw.get("padding", 0), stride=kw.get("stride", 1))
    cols = F.unfold(t64(x), **kw)
    np.testing.assert_allclose(arr(cols), ref_unfold(x, **ref_kw), rtol=0)
    # fold(unfold(x)) = x * the number of blocks covering each pixel
    counts = np.zeros((6, 7))
    marks = ref_unfold(np.arange(42.0).reshape(1, 1, 6, 7) + 1, **ref_kw)  # pixel ids, 0 = pad
    for v in marks.ravel():
        if v > 0:
            counts.flat[int(v) - 1] += 1
    back = F.fold(cols, (6, 7), **kw)
    np.testing.assert_allclose(arr(back), x * counts, rtol=1e-12)
    # and fold is unfold's adjoint
    c = RNG.standard_normal(cols.shape)
    folded = arr(F.fold(t64(c), (6, 7), **kw))
    np.testing.assert_allclose(np.vdot(arr(cols), c), np.vdot(x, folded), rtol=1e-10, atol=1e-9)


def test_unfold_1x1_is_a_copy_and_unbatched_forms():
    x = ember.randn(1, 2, 3, 3)
    cols = F.unfold(x, 1)
    cols[0, 0, 0] = 100.0
    assert float(x[0, 0, 0, 0]) != 100.0
    assert tuple(F.unfold(ember.randn(2, 5, 5), 3).shape) == (18, 9)
    assert tuple(F.fold(ember.randn(18, 9), (5, 5), 3).shape) == (2, 5, 5)
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], np.float32)
    np.testing.assert_array_equal(arr(F.fold(ember.ones(1, 4, 9), (4, 4), 2)[0, 0]), expected)


def test_unfold_fold_modules():
    x = RNG.standard_normal((2, 5, 3, 4))
    cols = nn.Unfold(kernel_size=(2, 3))(t64(x))
    np.testing.assert_allclose(arr(cols), ref_unfold(x, (2, 3)), rtol=0)
    back = nn.Fold(output_size=(3, 4), kernel_size=(2, 3))(cols)
    assert tuple(back.shape) == (2, 5, 3, 4)
    assert repr(nn.Unfold(3, padding=1)) == "Unfold(kernel_size=3, dilation=1, padding=1, stride=1)"
    assert repr(nn.Fold((4, 5), 2)) == (
        "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)")
    assert nn.Unfold(2).state_dict() == {}


# -- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("nd, kw", [
    (1, dict(stride=2, padding=1, dilation=2, groups=2)),
    (2, dict(stride=(2, 1), padding=(1, 0), groups=2)),
    (2, dict(padding="same")),
    (3, dict(stride=2, padding=1)),
])
def test_conv_gradcheck(nd, kw):
    x, w, b = _conv_inputs(nd, (2, 4, 4), 4 if nd < 3 else 3, 2, kw.get("groups", 1))
    assert gradcheck(lambda a, c, d: CONV_FNS[nd](a, c, d, **kw),
                     (t64(x, True), t64(w, True), t64(b, True)))


@pytest.mark.parametrize("nd, kw", [
    (1, dict(stride=2, padding=1, output_padding=1, groups=2)),
    (2, dict(stride=2, dilation=(1, 2))),
    (2, dict(padding=1)),
    (3, dict(stride=2, padding=1, output_padding=1)),
])
def test_conv_transpose_gradcheck(nd, kw):
    groups = kw.get("groups", 1)
    x = RNG.standard_normal((2, 4, *(3 if nd < 3 else 2,) * nd))
    w = RNG.standard_normal((4, 4 // groups, *(2,) * nd))
    b = RNG.standard_normal(4)
    assert gradcheck(lambda a, c, d: CONVT_FNS[nd](a, c, d, **kw),
                     (t64(x, True), t64(w, True), t64(b, True)))


def test_conv2d_gradgradcheck():
    x, w, b = _conv_inputs(2, (1, 4, 2), 4, 2, 2)
    assert gradgradcheck(lambda a, c, d: F.conv2d(a, c, d, stride=2, padding=1, groups=2),
                         (t64(x, True), t64(w, True), t64(b, True)))
    # unstrided (the backward uses the flipped-kernel form of conv_transpose)
    assert gradgradcheck(lambda a, c: F.conv2d(a, c, padding=1, dilation=2),
                         (t64(x[:, :2, :3, :3], True), t64(w, True)))


def test_conv_transpose2d_gradgradcheck():
    x = RNG.standard_normal((1, 2, 2, 3))
    w = RNG.standard_normal((2, 2, 2, 2))
    assert gradgradcheck(lambda a, c, d: F.conv_transpose2d(a, c, d, stride=2, padding=1,
                                                              output_padding=1),
                         (t64(x, True), t64(w, True), t64(RNG.standard_normal(2), True)))


def test_unfold_fold_gradcheck():
    x = t64(RNG.standard_normal((1, 2, 4, 4)), True)
    assert gradcheck(lambda a: F.unfold(a, 2, padding=1, stride=2), (x,))
    c = t64(RNG.standard_normal((1, 8, 4)), True)
    assert gradgradcheck(lambda a: F.fold(a, (3, 3), 2), (c,))


# -- padding modes -----------------------------------------------------------------------------

NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap", "zeros": "constant"}


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_padding_modes_match_numpy_pad(mode, nd):
    cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[nd]
    m = cls(2, 4, 3, padding=2 if nd < 3 else 1, padding_mode=mode, dtype=ember.float64)
    x = RNG.standard_normal((2, 2, *(4,) * nd))
    p = 2 if nd < 3 else 1
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * nd, mode=NP_MODES[mode])
    expected = ref_conv(xp, arr(m.weight), arr(m.bias))
    np.testing.assert_allclose(arr(m(t64(x))), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_gradients(mode):
    m = nn.Conv2d(2, 2, (2, 3), padding=(2, 1), padding_mode=mode, dtype=ember.float64)
    x = t64(RNG.standard_normal((1, 2, 3, 4)), True)
    assert gradcheck(m, (x,))
    # the pad's backward (an adjoint Function) is itself differentiable
    small = nn.Conv1d(2, 1, 2, padding=2, padding_mode=mode, dtype=ember.float64)
    assert gradgradcheck(lambda a: small(a) ** 2, (t64(RNG.standard_normal((1, 2, 3)), True),))


def test_same_padding_with_reflect_even_kernel():
    m = nn.Conv1d(1, 1, 4, padding="same", padding_mode="reflect", bias=False,
                  dtype=ember.float64)
    x = np.arange(6.0).reshape(1, 1, 6)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 2)], mode="reflect")  # left 1, right 2 (PyTorch)
    np.testing.assert_allclose(arr(m(t64(x))), ref_conv(xp, arr(m.weight)), rtol=1e-12)


# -- modules: state, init, repr ----------------------------------------------------------------


@pytest.mark.parametrize("module, keys", [
    (lambda: nn.Conv1d(4, 8, 3), [("weight", [8, 4, 3]), ("bias", [8])]),
    (lambda: nn.Conv2d(3, 8, 3, padding=1), [("weight", [8, 3, 3, 3]), ("bias", [8])]),
    (lambda: nn.Conv2d(4, 8, (3, 5), groups=2, bias=False), [("weight", [8, 2, 3, 5])]),
    (lambda: nn.Conv3d(2, 4, 3), [("weight", [4, 2, 3, 3, 3]), ("bias", [4])]),
    (lambda: nn.Conv2d(4, 4, 3, groups=4), [("weight", [4, 1, 3, 3]), ("bias", [4])]),
    (lambda: nn.ConvTranspose1d(4, 2, 3), [("weight", [4, 2, 3]), ("bias", [2])]),
    (lambda: nn.ConvTranspose2d(3, 8, 3, bias=False), [("weight", [3, 8, 3, 3])]),
    (lambda: nn.ConvTranspose3d(4, 6, 2, groups=2), [("weight", [4, 3, 2, 2, 2]),
                                                     ("bias", [6])]),
])
def test_state_dict_keys_and_round_trip(module, keys):
    m = module()
    sd = m.state_dict()
    assert [(k, list(v.shape)) for k, v in sd.items()] == keys
    other = module()
    other.load_state_dict(sd, strict=True)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(arr(v), arr(sd[k]))
    x = ember.randn(1, m.in_channels, *(6,) * (m.weight.ndim - 2))
    np.testing.assert_array_equal(arr(other(x)), arr(m(x)))


@pytest.mark.parametrize("module, fan_in", [
    (lambda: nn.Conv2d(16, 32, 3), 144),
    (lambda: nn.Conv1d(8, 8, 5, groups=4), 10),
    (lambda: nn.ConvTranspose2d(4, 12, 3, groups=2), 54),  # weight.shape[1] * k = 6 * 9
])
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(module, fan_in):
    m = module()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias rule agree
    for p in (m.weight, m.bias):
        assert np.abs(arr(p)).max() <= bound
    # fills the range, not a narrower one (the weight has >= 80 draws: P(fail) < 0.8**80)
    assert np.abs(arr(m.weight)).max() > 0.8 * bound
    w = arr(m.weight)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.15 * bound  # std of U(-b, b)
    assert m.weight.dtype == ember.float32


def test_dtype_argument():
    m = nn.Conv2d(2, 3, 3, dtype=ember.float64)
    assert m.weight.dtype == ember.float64 and m.bias.dtype == ember.float64


@pytest.mark.parametrize("module, text", [
    (lambda: nn.Conv1d(4, 8, 3), "Conv1d(4, 8, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.Conv2d(3, 8, 3, padding=1),
     "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"),
    (lambda: nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=2, groups=2,
                       bias=False),
     "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 2), "
     "groups=2, bias=False)"),
    (lambda: nn.Conv3d(2, 4, 3, padding="same", padding_mode="circular"),
     "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=same, "
     "padding_mode=circular)"),
    (lambda: nn.Conv2d(4, 4, 3, padding="valid", groups=4, padding_mode="reflect"),
     "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=valid, groups=4, "
     "padding_mode=reflect)"),
    (lambda: nn.ConvTranspose2d(3, 8, 3, stride=2, output_padding=1, dilation=2, bias=False),
     "ConvTranspose2d(3, 8, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), "
     "output_padding=(1, 1), bias=False)"),
    (lambda: nn.ConvTranspose3d(4, 6, 2, groups=2, padding=1),
     "ConvTranspose3d(4, 6, kernel_size=(2, 2, 2), stride=(1, 1, 1), padding=(1, 1, 1), "
     "groups=2)"),
])
def test_repr(module, text):
    assert repr(module()) == text


# -- errors ------------------------------------------------------------------------------------


def test_module_input_errors():
    m = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"^Conv2d\(3, 8, kernel_size=\(3, 3\), stride=\(1, 1\)"
                                           r"\): expected input of shape \(N, 3, H, W\) or "
                                           r"\(3, H, W\), got \(2, 4, 8, 8\)$"):
        m(ember.randn(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"expected input of shape \(N, 3, H, W\) or "
                                           r"\(3, H, W\), got \(8, 8\)"):
        m(ember.randn(8, 8))
    with pytest.raises(RuntimeError, match=r"ConvTranspose1d\(4, 2, kernel_size=\(3,\), "
                                           r"stride=\(1,\)\): expected input of shape "
                                           r"\(N, 4, L\) or \(4, L\), got \(1, 3, 5\)"):
        nn.ConvTranspose1d(4, 2, 3)(ember.randn(1, 3, 5))


@pytest.mark.parametrize("make, exc, message", [
    (lambda: nn.Conv1d(4, 8, 3, groups=3), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv1d(4, 6, 3, groups=4), ValueError,
     "out_channels must be divisible by groups"),
    (lambda: nn.Conv1d(4, 8, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 8, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 8, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
    (lambda: nn.Conv2d(4, 8, 3, padding_mode="mirror"), ValueError,
     "padding_mode must be one of"),
    (lambda: nn.ConvTranspose1d(4, 8, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose1d'),
])
def test_constructor_errors(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def _x(*s):
    return ember.randn(*s)


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(_x(1, 3, 2, 2), _x(8, 3, 3, 3)),
     r"conv2d: Calculated padded input size per channel: \(2 x 2\)\. Kernel size: \(3 x 3\)\. "
     r"Kernel size can't be greater than actual input size"),
    (lambda: F.conv2d(_x(1, 6, 4, 4), _x(8, 6, 3, 3), dilation=2),
     r"padded input size per channel: \(4 x 4\)\. Kernel size: \(5 x 5\)"),
    (lambda: F.conv2d(_x(2, 4, 8, 8), _x(8, 3, 3, 3)),
     r"Given groups=1, weight of size \[8, 3, 3, 3\], expected input\[2, 4, 8, 8\] to have 3 "
     r"channels, but got 4 channels instead"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 3, 3, 3), groups=3),
     r"Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of "
     r"size \[8, 3, 3, 3\] instead"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 3, 3, 3), groups=2, padding="same", stride=2),
     r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 6, 3, 3), padding="full"),
     r"Invalid padding string: 'full'"),
    (lambda: F.conv2d(_x(8, 8), _x(8, 6, 3, 3)),
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: "
     r"\[8, 8\]"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 6, 3, 3), _x(3)),
     r"expected bias to be 1-dimensional with 8 elements, but got bias of size \[3\]"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 6, 3, 3), stride=0), "non-positive stride"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 6, 3, 3), padding=-1), "negative padding"),
    (lambda: F.conv2d(_x(1, 6, 8, 8), _x(8, 6, 3, 3), stride=(1, 2, 3)),
     r"expected stride to be a single integer value or a list of 2 values"),
    (lambda: F.conv2d(_x(1, 6, 8, 8).double(), _x(8, 6, 3, 3)),
     "conv2d: expected input and weight to have the same dtype"),
    (lambda: F.conv_transpose2d(_x(1, 6, 8, 8), _x(6, 4, 3, 3), stride=2, output_padding=2),
     "output padding must be smaller than either stride or dilation"),
    (lambda: F.conv_transpose2d(_x(1, 5, 8, 8), _x(6, 4, 3, 3)),
     r"Given transposed=1, weight of size \[6, 4, 3, 3\], expected input\[1, 5, 8, 8\] to have "
     r"6 channels, but got 5 channels instead"),
    (lambda: F.conv_transpose2d(_x(1, 6, 1, 1), _x(6, 4, 3, 3), padding=2),
     r"Given input size per channel: \(1 x 1\)\. Calculated output size per channel: "
     r"\(-1 x -1\)\. Output size is too small"),
    (lambda: F.unfold(_x(1, 2, 2, 2), 3), "calculated shape of the array of sliding blocks"),
    (lambda: F.fold(_x(1, 17, 9), (5, 5), 3), "to be divisible by the product of kernel_size"),
    (lambda: F.fold(_x(1, 18, 8), (5, 5), 3), r"sliding blocks 3 \* 3 = 9, but got"),
    (lambda: nn.Conv1d(4, 8, 3, padding=2, padding_mode="reflect")(_x(1, 4, 2)),
     "Padding size should be less than the corresponding input dimension"),
    (lambda: nn.Conv1d(4, 8, 3, padding=5, padding_mode="circular")(_x(1, 4, 3)),
     "Padding value causes wrapping around more than once"),
])
def test_functional_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_type_errors():
    with pytest.raises(TypeError, match=r"conv2d\(\): argument 'input' must be Tensor"):
        F.conv2d([1.0], ember.randn(1, 1, 1, 1))
    with pytest.raises(TypeError, match=r"conv_transpose2d\(\): argument 'padding' must be "
                                        r"tuple of ints, not str"):
        F.conv_transpose2d(_x(1, 6, 3, 3), _x(6, 4, 3, 3), padding="same")
    with pytest.raises(TypeError, match="argument 'padding' must be tuple of ints"):
        F.conv2d(_x(1, 6, 4, 4), _x(8, 6, 3, 3), padding=1.5)
