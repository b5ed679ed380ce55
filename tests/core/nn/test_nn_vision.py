"""pad, interpolate, pixel/channel shuffles, grid_sample, affine_grid, one_hot and their layers.

References are written here: np.pad for the padding modes; per-axis weight matrices built
from PyTorch's coordinate formulas for nearest/linear interpolation; a pixel-by-pixel loop for
grid_sample (with its own mirror-until-inside reflection). The kernels whose exact constants
no short formula pins down (bicubic, antialias, lanczos, uint8 rounding, bicubic grid
sampling) are compared with literal outputs recorded from PyTorch 2.x on fixed inputs."""

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.functional import _pooling


def values(t):
    return t.detach().numpy()


def tensor(a, grad=False):
    t = ember.tensor(np.asarray(a))
    return t.requires_grad_() if grad else t


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# The fixed inputs of the PyTorch literals below.
A = (np.arange(12, dtype=np.float64).reshape(1, 1, 3, 4) ** 1.5) % 7
B = (np.arange(42, dtype=np.float64).reshape(1, 1, 6, 7) * 3.7) % 11


# -- pad --------------------------------------------------------------------------------------


def np_pad(x, pads, mode, value=0.0):
    """F.pad through np.pad (positive pads) and slicing (negative pads: crop first, as PyTorch
    does for circular; for reflect/replicate cropping commutes with padding the other side)."""
    nd = len(pads) // 2
    width = [(0, 0)] * (x.ndim - nd) + [
        (max(pads[2 * i], 0), max(pads[2 * i + 1], 0)) for i in reversed(range(nd))
    ]
    crop = [slice(None)] * (x.ndim - nd) + [
        slice(max(-pads[2 * i], 0), x.shape[x.ndim - 1 - i] - max(-pads[2 * i + 1], 0))
        for i in reversed(range(nd))
    ]
    if mode == "constant":
        return np.pad(x[tuple(crop)], width, constant_values=value)
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    if mode == "circular":
        return np.pad(x[tuple(crop)], width, mode=np_mode)
    padded = np.pad(x, width, mode=np_mode)  # reflect/replicate: pad, then crop
    crop = [slice(None)] * (x.ndim - nd) + [
        slice(max(-pads[2 * i], 0), padded.shape[x.ndim - 1 - i] - max(-pads[2 * i + 1], 0))
        for i in reversed(range(nd))
    ]
    return padded[tuple(crop)]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pads", [(1, 2), (2, 0, 1, 3), (0, 0, 3, 3), (1, 1, 2, 0, 1, 2)])
def test_pad_matches_np_pad(mode, pads, rng):
    nd = len(pads) // 2
    x = rng.standard_normal((2, 2, 4, 5, 6)[-(nd + 2):])
    out = F.pad(tensor(x), pads, mode=mode, **({"value": 1.5} if mode == "constant" else {}))
    np.testing.assert_array_equal(values(out), np_pad(x, pads, mode, 1.5))
    # unbatched input of the same rank works for every mode
    out = F.pad(tensor(x[0]), pads, mode=mode)
    np.testing.assert_array_equal(values(out), np_pad(x[0], pads, mode))


def test_pad_negative_values_crop():
    x = ember.arange(10.0).reshape(1, 2, 5)
    # literals recorded from PyTorch
    np.testing.assert_array_equal(values(F.pad(x, (-1, 2), mode="reflect"))[0, 0],
                                  [1, 2, 3, 4, 3, 2])
    np.testing.assert_array_equal(values(F.pad(x, (-1, 2), mode="circular"))[0, 0],
                                  [1, 2, 3, 4, 1, 2])
    np.testing.assert_array_equal(values(F.pad(x, (-1, 7), mode="replicate"))[0, 0],
                                  [1, 2, 3, 4] + [4] * 7)
    np.testing.assert_array_equal(values(F.pad(x, (-6, 2), mode="reflect"))[:, :, 0], [[2, 7]])
    np.testing.assert_array_equal(values(F.pad(x, (-2, -1), mode="circular"))[0],
                                  [[2, 3], [7, 8]])
    np.testing.assert_array_equal(values(F.pad(x, (-2, 1, 0, -1), value=-1.0)),
                                  [[[2, 3, 4, -1]]])
    assert F.pad(x, (-3, -2)).shape == (1, 2, 0)


def test_pad_constant_value_is_cast_and_any_rank_works():
    np.testing.assert_array_equal(values(F.pad(ember.arange(3), (1, 1), value=2.5)),
                                  [2, 0, 1, 2, 2])
    assert F.pad(ember.tensor([True]), (1, 1), value=1).dtype == ember.bool
    assert F.pad(ember.zeros(2, 3, 4, 5, 6), (1,) * 10).shape == (4, 5, 6, 7, 8)
    np.testing.assert_array_equal(
        values(F.pad(ember.arange(6).reshape(1, 1, 6), (1, 1), mode="replicate")),
        [[[0, 0, 1, 2, 3, 4, 5, 5]]],
    )


@settings(max_examples=25, deadline=None)
@given(pads=st.lists(st.integers(0, 3), min_size=4, max_size=4))
def test_constant_pad_then_negated_pad_is_identity(pads):
    x = np.arange(12.0).reshape(1, 3, 4)
    padded = F.pad(tensor(x), pads, value=7.0)
    np.testing.assert_array_equal(values(F.pad(padded, [-p for p in pads])), x)


@pytest.mark.parametrize("mode, pads", [
    ("constant", (1, -1, 2, 0)), ("reflect", (2, 1, 1, 2)), ("replicate", (2, 1)),
    ("circular", (2, -1, 1, 1)), ("reflect", (-1, 2)),
])
def test_pad_gradcheck(mode, pads, rng):
    x = tensor(rng.standard_normal((1, 2, 3, 4)[: 2 + len(pads) // 2]), grad=True)
    assert gradcheck(lambda x: F.pad(x, pads, mode=mode), (x,))


@pytest.mark.parametrize("mode", ["constant", "reflect"])
def test_pad_gradgradcheck(mode, rng):
    x = tensor(rng.standard_normal((1, 1, 3, 3)), grad=True)
    assert gradgradcheck(lambda x: F.pad(x, (2, 1, 1, 0), mode=mode), (x,))


def test_pad_errors():
    x = ember.zeros(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match="pad: Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two "
                       "times the input dimension but got padding length 10 and input of "
                       "dimension 4"):
        F.pad(x, (1,) * 10)
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D "
                       "input tensor"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match=r"pad: Padding size should be less than the "
                       r"corresponding input dimension, but got: padding \(5, 5\) at dimension "
                       r"2 of input \[1, 2, 5, 5\]"):
        F.pad(x, (1, 1, 5, 5), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than "
                       "once"):
        F.pad(ember.zeros(1, 2, 5), (6, 1), mode="circular")
    with pytest.raises(RuntimeError, match='Padding mode "reflect" doesn\'t take in value'):
        F.pad(ember.zeros(1, 2, 5), (1, 1), mode="reflect", value=1.0)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(RuntimeError, match="too small"):
        F.pad(ember.zeros(1, 2, 5), (-3, -2), mode="replicate")
    with pytest.raises(TypeError, match="must be a tuple of ints"):
        F.pad(x, (1.0, 0))


# -- interpolate: references ------------------------------------------------------------------


def axis_matrix(mode, n_in, n_out, align_corners=False, scale_factor=None):
    """The (n_out, n_in) matrix of one axis, from PyTorch's coordinate formulas."""
    m = np.zeros((n_out, n_in))
    if mode in ("nearest", "nearest-exact"):
        scale = 1 / scale_factor if scale_factor else n_in / n_out
        for o in range(n_out):
            src = o * scale if mode == "nearest" else (o + 0.5) * scale
            m[o, min(math.floor(src), n_in - 1)] = 1
        return m
    if n_in == n_out:
        return np.eye(n_in)
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        scale = 1 / scale_factor if scale_factor else n_in / n_out
    for o in range(n_out):
        src = o * scale if align_corners else max((o + 0.5) * scale - 0.5, 0.0)
        i0 = math.floor(src)
        i1 = min(i0 + 1, n_in - 1)
        m[o, i0] += 1 - (src - i0)
        m[o, i1] += src - i0
    return m


def apply_axes(x, mats):
    out = x
    for j, m in enumerate(mats):
        out = np.moveaxis(np.tensordot(m, out, axes=([1], [2 + j])), 0, 2 + j)
    return out


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("shape, kw, out_shape", [
    ((2, 3, 5), {"size": 7}, (7,)),
    ((2, 3, 5), {"size": 3}, (3,)),
    ((1, 2, 5, 7), {"size": (9, 4)}, (9, 4)),
    ((1, 2, 5, 7), {"scale_factor": (1.7, 0.6)}, (8, 4)),
    ((1, 2, 3, 4, 5), {"size": (4, 7, 2)}, (4, 7, 2)),
])
def test_nearest_matches_reference(mode, shape, kw, out_shape, rng):
    x = rng.standard_normal(shape)
    out = F.interpolate(tensor(x), mode=mode, **kw)
    sf = kw.get("scale_factor")
    sfs = sf if isinstance(sf, tuple) else (sf,) * len(out_shape)
    mats = [axis_matrix(mode, n, o, scale_factor=s) for n, o, s in
            zip(shape[2:], out_shape, sfs)]
    np.testing.assert_array_equal(values(out), apply_axes(x, mats))


def test_nearest_2d_kernel_shortcuts_like_pytorch():
    # PyTorch's 2-D nearest kernel (only it) halves the index when the size exactly doubles,
    # whatever the scale factor; 1-D follows floor(dst / 2.0001). Literals from PyTorch.
    x = ember.arange(7.0)
    np.testing.assert_array_equal(
        values(F.interpolate(x.reshape(1, 1, 1, 7), scale_factor=2.0001))[0, 0, 0],
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    )
    np.testing.assert_array_equal(
        values(F.interpolate(x.reshape(1, 1, 7), scale_factor=2.0001))[0, 0],
        [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6],
    )
    np.testing.assert_array_equal(
        values(F.interpolate(x.reshape(1, 1, 7), scale_factor=1.00001))[0, 0],
        [0, 0, 1, 2, 3, 4, 5],
    )


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode, shape, kw, out_shape", [
    ("linear", (2, 3, 5), {"size": 11}, (11,)),
    ("linear", (2, 3, 6), {"size": 4}, (4,)),
    ("bilinear", (1, 2, 5, 7), {"size": (9, 4)}, (9, 4)),
    ("bilinear", (1, 2, 5, 7), {"scale_factor": (1.7, 0.6)}, (8, 4)),
    ("bilinear", (1, 2, 5, 7), {"size": (5, 3)}, (5, 3)),
    ("bilinear", (1, 1, 4, 4), {"size": (1, 1)}, (1, 1)),
    ("trilinear", (1, 1, 3, 4, 5), {"size": (4, 7, 2)}, (4, 7, 2)),
])
def test_linear_modes_match_reference(mode, shape, kw, out_shape, align_corners, rng):
    x = rng.standard_normal(shape)
    out = F.interpolate(tensor(x), mode=mode, align_corners=align_corners, **kw)
    sf = kw.get("scale_factor")
    sfs = sf if isinstance(sf, tuple) else (sf,) * len(out_shape)
    mats = [axis_matrix("linear", n, o, align_corners, s) for n, o, s in
            zip(shape[2:], out_shape, sfs)]
    np.testing.assert_allclose(values(out), apply_axes(x, mats), rtol=1e-12, atol=1e-12)


def test_scale_factor_coordinates_and_recompute():
    x = np.arange(5.0).reshape(1, 1, 5)
    # scale_factor 1.7 -> 8 outputs; coordinates use 1/1.7 unless recomputed (5/8)
    out = F.interpolate(tensor(x), scale_factor=1.7, mode="linear")
    np.testing.assert_allclose(values(out)[0, 0], axis_matrix("linear", 5, 8, False, 1.7) @ x[0, 0])
    out = F.interpolate(tensor(x), scale_factor=1.7, mode="linear", recompute_scale_factor=True)
    np.testing.assert_allclose(values(out)[0, 0], axis_matrix("linear", 5, 8) @ x[0, 0])
    # equal sizes copy, whatever the scale factor (PyTorch: in 2, factor 1.4 -> out 2)
    np.testing.assert_array_equal(
        values(F.interpolate(tensor([[[1.0, 5.0]]]), scale_factor=1.4, mode="linear")),
        [[[1.0, 5.0]]])


def test_area_mode_is_adaptive_average(rng):
    x = tensor(rng.standard_normal((1, 2, 7, 5)))
    np.testing.assert_array_equal(values(F.interpolate(x, size=(3, 2), mode="area")),
                                  values(F.adaptive_avg_pool2d(x, (3, 2))))
    np.testing.assert_allclose(values(F.interpolate(x, scale_factor=0.5, mode="area")),
                               values(F.adaptive_avg_pool2d(x, (3, 2))))
    np.testing.assert_allclose(
        values(F.interpolate(tensor([[[1.0, 2.0, 3.0, 4.0]]]), size=2, mode="area")),
        [[[1.5, 3.5]]])


# Literals recorded from PyTorch 2.x (8 decimals) on the fixed inputs A and B.
BICUBIC_LITERALS = [
    ({"size": (5, 3), "align_corners": False}, A, [
        [-0.02311829, 1.72912176, 4.98187719],
        [0.60085754, 1.79669169, 4.66468989],
        [1.51691339, 2.37835972, 3.91106613],
        [2.0950281, 4.28367782, 2.51736339],
        [2.37104973, 5.71411707, 1.5411318]]),
    ({"size": (2, 6), "align_corners": True}, A, [
        [0.0, 0.41452987, 1.36097777, 2.30332232, 3.94457467, 5.19615242],
        [1.627417, 4.56017792, 6.05273434, 4.35154069, 2.53575376, 1.48287269]]),
    ({"scale_factor": 1.5, "align_corners": False}, A, [
        [-0.1571818, 0.10391882, 1.08398138, 2.50437493, 4.34878076, 5.44938721],
        [0.26944379, 1.51767742, 2.39422198, 1.3391384, 3.22837394, 5.46019822],
        [0.86949783, 3.30212193, 4.42788326, 1.26805736, 2.12383283, 4.2942293],
        [1.186735, 3.92078945, 5.8067153, 3.72592522, 2.29006592, 1.79778881]]),
]

AA_LITERALS = [
    ("bilinear", (2, 3), B, [[4.01964286, 4.00441176, 4.06428571],
                             [4.63571429, 4.69558824, 4.68035714]]),
    ("bicubic", (3, 2), B, [[3.82640917, 3.81215556], [4.24004724, 4.45995276],
                            [4.88784444, 4.87359083]]),
    ("lanczos", (2, 3), B, [[3.87575582, 4.04855315, 4.00344104],
                            [4.69655896, 4.65144685, 4.82424418]]),
    ("bilinear", (4, 6), A, [  # upsampling: the plain bilinear filter
        [0.0, 0.5, 1.30473785, 2.52368927, 4.01228977, 5.19615242],
        [0.625, 1.80635621, 2.73913481, 1.74482433, 3.13498293, 4.77371914],
        [1.23528137, 3.0489969, 4.35128165, 2.30555854, 2.5876835, 3.38123925],
        [1.627417, 3.8137085, 5.6037961, 4.0189805, 2.55282465, 1.48287269]]),
]


@pytest.mark.parametrize("kw, x, expected", BICUBIC_LITERALS)
def test_bicubic_matches_pytorch_literals(kw, x, expected):
    out = F.interpolate(tensor(x), mode="bicubic", **kw)
    np.testing.assert_allclose(values(out)[0, 0], expected, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("mode, size, x, expected", AA_LITERALS)
def test_antialias_matches_pytorch_literals(mode, size, x, expected):
    out = F.interpolate(tensor(x), size=size, mode=mode, antialias=True)
    np.testing.assert_allclose(values(out)[0, 0], expected, rtol=1e-7, atol=1e-7)


def test_antialias_bilinear_downsampling_by_two_is_a_box_like_filter():
    # scale 2: support 2 and the triangle (1 - |x| / 2) over 4 taps weighs 1/8, 3/8, 3/8, 1/8
    x = np.arange(8.0)
    out = F.interpolate(tensor(x.reshape(1, 1, 1, 8)), size=(1, 4), mode="bilinear",
                        antialias=True)
    w = np.array([1, 3, 3, 1]) / 8
    expected = [x[:3] @ (w[1:] / w[1:].sum())] + [x[2 * i - 1:2 * i + 3] @ w for i in (1, 2)]
    expected.append(x[5:] @ (w[:3] / w[:3].sum()))
    np.testing.assert_allclose(values(out).ravel(), expected, rtol=1e-6)


def test_uint8_interpolation_rounds_and_saturates():
    u = ember.tensor(((np.arange(12).reshape(1, 1, 3, 4) * 37) % 256).astype(np.uint8))
    out = F.interpolate(u, size=(4, 5), mode="bilinear")
    assert out.dtype == ember.uint8
    expected = [[0, 26, 56, 85, 111], [93, 119, 149, 129, 44], [108, 134, 164, 144, 59],
                [40, 66, 96, 125, 151]]  # PyTorch (16-bit fixed point; may differ by 1)
    assert np.abs(values(out)[0, 0].astype(int) - expected).max() <= 1
    assert F.interpolate(u, size=(2, 2)).dtype == ember.uint8
    big = F.interpolate(ember.tensor(np.array([[[[0, 255], [255, 0]]]], np.uint8)),
                        size=(5, 5), mode="bicubic")
    assert values(big).min() == 0 and values(big).max() == 255  # overshoot saturated


def test_sparse_taps_and_dense_matrix_paths_agree(rng, monkeypatch):
    x = tensor(rng.standard_normal((1, 2, 6, 9)), grad=True)
    g = tensor(rng.standard_normal((1, 2, 11, 4)))
    results = []
    for per_tap in (0, 10**6):
        monkeypatch.setattr(_pooling, "_DENSE_PER_TAP", per_tap)
        for mode, aa in (("bilinear", False), ("bicubic", False), ("bicubic", True)):
            x.grad = None
            out = F.interpolate(x, size=(11, 4), mode=mode, antialias=aa)
            out.backward(g)
            results.append((values(out), values(x.grad)))
    for (a, ga), (b, gb) in zip(results[:3], results[3:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(ga, gb, rtol=1e-12, atol=1e-13)


def test_interpolate_float32_default_dtypes(rng):
    x = ember.tensor(rng.standard_normal((1, 3, 4, 4)).astype(np.float32))
    for mode in ("nearest", "bilinear", "bicubic", "area", "nearest-exact"):
        assert F.interpolate(x, size=(6, 5), mode=mode).dtype == ember.float32
    out = F.interpolate(x.to(ember.bfloat16), size=(6, 5), mode="bilinear")
    assert out.dtype == ember.bfloat16


@pytest.mark.parametrize("mode, shape, kw", [
    ("nearest", (1, 1, 3, 3), {"size": (5, 2)}),
    ("nearest-exact", (1, 2, 4), {"scale_factor": 1.5}),
    ("linear", (1, 2, 4), {"size": 7, "align_corners": True}),
    ("bilinear", (1, 1, 3, 3), {"size": (4, 5)}),
    ("bilinear", (1, 1, 4, 5), {"size": (2, 3), "align_corners": True}),
    ("bicubic", (1, 1, 3, 3), {"scale_factor": 1.5}),
    ("bicubic", (1, 1, 5, 4), {"size": (2, 2), "antialias": True}),
    ("bilinear", (1, 1, 5, 4), {"size": (3, 2), "antialias": True}),
    ("trilinear", (1, 1, 2, 3, 2), {"size": (3, 2, 3)}),
    ("area", (1, 1, 3, 5), {"size": (2, 2)}),
])
def test_interpolate_gradcheck(mode, shape, kw, rng):
    x = tensor(rng.standard_normal(shape), grad=True)
    assert gradcheck(lambda x: F.interpolate(x, mode=mode, **kw), (x,))


@pytest.mark.parametrize("kw", [{"mode": "bilinear"}, {"mode": "bicubic", "antialias": True}])
def test_interpolate_gradgradcheck(kw, rng):
    x = tensor(rng.standard_normal((1, 1, 3, 4)), grad=True)
    assert gradgradcheck(lambda x: F.interpolate(x, size=(4, 3), **kw), (x,))


def test_interpolate_errors():
    x = ember.zeros(1, 2, 5, 5)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set with the "
                       "interpolating modes"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D"):
        F.interpolate(x, size=3, mode="linear")
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported "
                       r"\(got 2D\)"):
        F.interpolate(ember.zeros(3, 4), size=3)
    with pytest.raises(ValueError, match="Input and output must have the same number of "
                       "spatial dimensions"):
        F.interpolate(x, size=(3, 3, 3))
    with pytest.raises(RuntimeError, match=r"Input and output sizes should be greater than 0, "
                       r"but got input \(H: 5, W: 5\) output \(H: 0, W: 0\)"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear, "
                       "bicubic, and lanczos"):
        F.interpolate(x, size=3, antialias=True)
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(TypeError, match="expected size to be one of int"):
        F.interpolate(x, size=(3.0, 3))
    with pytest.raises(NotImplementedError, match="bilinear"):
        F.interpolate(ember.zeros(1, 1, 4, 4, dtype=ember.int64), size=3, mode="bilinear")


def test_deprecated_upsample_functions_warn(rng):
    x = tensor(rng.standard_normal((1, 1, 2, 3)))
    with pytest.warns(UserWarning, match="nn.functional.upsample_bilinear` is deprecated"):
        out = F.upsample_bilinear(x, scale_factor=2)
    np.testing.assert_array_equal(
        values(out), values(F.interpolate(x, scale_factor=2, mode="bilinear",
                                          align_corners=True)))
    with pytest.warns(UserWarning, match="nn.functional.upsample_nearest` is deprecated"):
        assert F.upsample_nearest(x, size=4).shape == (1, 1, 4, 4)
    with pytest.warns(UserWarning, match="nn.functional.upsample` is deprecated"):
        assert F.upsample(x, size=(3, 3)).shape == (1, 1, 3, 3)


# -- pixel and channel shuffles ---------------------------------------------------------------


def test_pixel_shuffle_layout_and_round_trip(rng):
    x = rng.standard_normal((2, 8, 2, 3))
    out = values(F.pixel_shuffle(tensor(x), 2))
    assert out.shape == (2, 2, 4, 6)
    for n, c, h, w, i, j in itertools.product(range(2), range(2), range(2), range(3), range(2),
                                              range(2)):
        assert out[n, c, h * 2 + i, w * 2 + j] == x[n, c * 4 + i * 2 + j, h, w]
    back = F.pixel_unshuffle(tensor(out), 2)
    np.testing.assert_array_equal(values(back), x)
    # unbatched and extra leading dims
    assert F.pixel_shuffle(tensor(x[0]), 2).shape == (2, 4, 6)
    assert F.pixel_unshuffle(ember.zeros(3, 2, 1, 6, 9), 3).shape == (3, 2, 9, 2, 3)


@settings(max_examples=20, deadline=None)
@given(r=st.integers(1, 3), c=st.integers(1, 2), h=st.integers(1, 3), w=st.integers(1, 3))
def test_pixel_unshuffle_inverts_pixel_shuffle(r, c, h, w):
    x = np.arange(c * r * r * h * w, dtype=np.float64).reshape(1, c * r * r, h, w)
    np.testing.assert_array_equal(values(F.pixel_unshuffle(F.pixel_shuffle(tensor(x), r), r)),
                                  x)


def test_channel_shuffle_layout():
    x = ember.arange(6.0).reshape(1, 6, 1, 1)
    np.testing.assert_array_equal(values(F.channel_shuffle(x, 2)).ravel(), [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(values(F.channel_shuffle(x, 3)).ravel(), [0, 2, 4, 1, 3, 5])


def test_shuffle_gradcheck_and_errors(rng):
    x = tensor(rng.standard_normal((1, 4, 2, 2)), grad=True)
    assert gradcheck(lambda x: F.pixel_shuffle(x, 2), (x,))
    assert gradcheck(lambda x: F.channel_shuffle(x, 2), (x,))
    with pytest.raises(RuntimeError, match=r"pixel_shuffle expects its input's 'channel' "
                       r"dimension to be divisible by the square of upscale_factor, but "
                       r"input.size\(-3\)=5 is not divisible by 4"):
        F.pixel_shuffle(ember.zeros(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(ember.zeros(4, 2), 2)
    with pytest.raises(RuntimeError, match="pixel_unshuffle expects width to be divisible by "
                       r"downscale_factor, but input.size\(-1\)=3 is not divisible by 2"):
        F.pixel_unshuffle(ember.zeros(1, 1, 4, 3), 2)
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups. "
                       "Got 5 channels and 2 groups."):
        F.channel_shuffle(ember.zeros(1, 5, 2, 2), 2)


# -- grid_sample and affine_grid --------------------------------------------------------------


def mirror(c, lo, hi):
    """Fold c into [lo, hi] by reflecting at the borders until it is inside."""
    if lo == hi:
        return 0.0
    while c < lo or c > hi:
        c = 2 * lo - c if c < lo else 2 * hi - c
    return c


def ref_grid_sample(x, grid, mode, padding_mode, align_corners):
    """Pixel-by-pixel grid_sample for 4-D or 5-D input (bilinear/trilinear or nearest)."""
    n_batch, channels = x.shape[:2]
    sizes = x.shape[2:]
    nd = len(sizes)
    out = np.zeros((n_batch, channels) + grid.shape[1:-1])
    for n in range(n_batch):
        for pos in np.ndindex(*grid.shape[1:-1]):
            coords = []
            for j in range(nd):
                g, size = grid[(n,) + pos + (nd - 1 - j,)], sizes[j]
                c = (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2
                if padding_mode == "reflection":
                    lo, hi = (0, size - 1) if align_corners else (-0.5, size - 0.5)
                    c = mirror(c, lo, hi)
                if padding_mode != "zeros":
                    c = min(max(c, 0), size - 1)
                coords.append(c)
            if mode == "nearest":
                cell = tuple(int(np.rint(c)) for c in coords)
                if all(0 <= i < s for i, s in zip(cell, sizes)):
                    out[(n, slice(None)) + pos] = x[(n, slice(None)) + cell]
                continue
            for corner in itertools.product((0, 1), repeat=nd):
                cell = tuple(math.floor(c) + k for c, k in zip(coords, corner))
                if not all(0 <= i < s for i, s in zip(cell, sizes)):
                    continue
                weight = math.prod(1 - abs(c - i) for c, i in zip(coords, cell))
                out[(n, slice(None)) + pos] += weight * x[(n, slice(None)) + cell]
    return out


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_reference(mode, padding_mode, align_corners, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    grid = rng.uniform(-1.6, 1.6, (2, 3, 4, 2))
    out = F.grid_sample(tensor(x), tensor(grid), mode=mode, padding_mode=padding_mode,
                        align_corners=align_corners)
    ref = ref_grid_sample(x, grid, mode, padding_mode, align_corners)
    np.testing.assert_allclose(values(out), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflection"])
def test_grid_sample_5d_matches_reference(padding_mode, rng):
    x = rng.standard_normal((1, 2, 3, 4, 3))
    grid = rng.uniform(-1.3, 1.3, (1, 2, 3, 2, 3))
    out = F.grid_sample(tensor(x), tensor(grid), padding_mode=padding_mode,
                        align_corners=False)
    np.testing.assert_allclose(values(out), ref_grid_sample(x, grid, "bilinear", padding_mode,
                                                            False), rtol=1e-12, atol=1e-12)


GRID = np.array([[[[-1.2, -0.9], [0.3, 0.45], [1.1, -0.2]],
                  [[0.0, 1.3], [-0.55, 0.1], [0.9, 0.95]]]])
BICUBIC_GRID_LITERALS = {  # PyTorch 2.x, input A
    ("zeros", False): [[-0.01196474, 2.79624838, 1.67350689],
                       [0.21857114, 2.97300158, 0.18666289]],
    ("zeros", True): [[-0.07970328, 2.19608092, 4.75107846],
                      [4.24476844, 3.98573427, 2.0016885]],
    ("border", False): [[-0.11602401, 2.41228749, 5.23623271],
                        [5.42735532, 2.79491649, 0.85756207]],
    ("border", True): [[-0.05130918, 1.87895935, 5.2672778],
                       [5.75748801, 3.8924184, 1.80919247]],
    ("reflection", False): [[-0.21301362, 2.41228749, 5.68546343],
                            [5.53036128, 2.79491649, 0.41700264]],
    ("reflection", True): [[0.11151849, 2.13676127, 4.72029459],
                           [4.9363203, 3.71860886, 1.5616299]],
}


@pytest.mark.parametrize("padding_mode, align_corners", list(BICUBIC_GRID_LITERALS))
def test_grid_sample_bicubic_matches_pytorch_literals(padding_mode, align_corners):
    out = F.grid_sample(tensor(A), tensor(GRID), mode="bicubic", padding_mode=padding_mode,
                        align_corners=align_corners)
    np.testing.assert_allclose(values(out)[0, 0],
                               BICUBIC_GRID_LITERALS[(padding_mode, align_corners)],
                               rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_identity_grid_reproduces_input(mode, align_corners, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    theta = ember.tensor(np.tile([[1.0, 0, 0], [0, 1, 0]], (2, 1, 1)))
    grid = F.affine_grid(theta, (2, 3, 4, 5), align_corners=align_corners)
    out = F.grid_sample(tensor(x), grid, mode=mode, align_corners=align_corners)
    np.testing.assert_allclose(values(out), x, rtol=1e-12, atol=1e-12)


def test_affine_grid_formula(rng):
    theta = rng.standard_normal((2, 2, 3))
    for align_corners in (False, True):
        grid = values(F.affine_grid(tensor(theta), (2, 1, 3, 4), align_corners=align_corners))
        assert grid.shape == (2, 3, 4, 2)
        for n, h, w in itertools.product(range(2), range(3), range(4)):
            if align_corners:
                x, y = -1 + 2 * w / 3, -1 + 2 * h / 2
            else:
                x, y = (2 * w + 1) / 4 - 1, (2 * h + 1) / 3 - 1
            np.testing.assert_allclose(grid[n, h, w], theta[n] @ [x, y, 1], rtol=1e-12)
    grid3 = values(F.affine_grid(tensor(rng.standard_normal((1, 3, 4))), (1, 1, 2, 3, 4),
                                 align_corners=False))
    assert grid3.shape == (1, 2, 3, 4, 3)
    # a unit dimension sits at 0 (PyTorch >= 1.3)
    unit = values(F.affine_grid(tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 1, 1, 2),
                                align_corners=True))
    np.testing.assert_array_equal(unit, [[[[-1.0, 0.0], [1.0, 0.0]]]])


def test_grid_sample_and_affine_grid_gradcheck(rng):
    x = tensor(rng.standard_normal((1, 1, 3, 3)), grad=True)
    grid = tensor(rng.uniform(-1.2, 1.2, (1, 1, 2, 2)), grad=True)
    for mode, padding_mode in itertools.product(("bilinear", "bicubic", "nearest"),
                                                ("zeros", "border", "reflection")):
        def sample(x, g, mode=mode, padding_mode=padding_mode):
            return F.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                 align_corners=False)

        assert gradcheck(sample, (x, grid))
    theta = tensor(rng.standard_normal((1, 2, 3)), grad=True)
    assert gradcheck(lambda t: F.affine_grid(t, (1, 1, 2, 3), align_corners=False), (theta,))
    x = tensor(rng.standard_normal((1, 1, 2, 3)), grad=True)
    grid = tensor(rng.uniform(-1.2, 1.2, (1, 1, 2, 2)), grad=True)
    assert gradgradcheck(lambda x, g: F.grid_sample(x, g, align_corners=False), (x, grid))


def test_grid_sample_nan_and_far_outside_coordinates_like_pytorch():
    x = ember.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    nan = math.nan
    grid = ember.tensor([[[[nan, 0.0], [0.0, nan], [nan, nan], [-1.0, 0.0], [1e30, 0.0],
                           [-1e30, 0.0]]]])
    expected = {  # recorded from PyTorch 2.x
        ("zeros", "bilinear"): [nan, nan, nan, 1.25, 0.0, 0.0],
        ("zeros", "nearest"): [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        ("zeros", "bicubic"): [nan, nan, nan, 1.373046875, 0.0, 0.0],
        ("border", "bilinear"): [2.5, 2.0, 1.0, 2.5, 4.5, 2.5],
        ("border", "nearest"): [1.0, 2.0, 1.0, 1.0, 3.0, 1.0],
        ("border", "bicubic"): [nan, nan, nan, 2.40625, 4.5, 2.5],
        ("reflection", "bilinear"): [2.5, 2.0, 1.0, 2.5, 2.5, 2.5],
        ("reflection", "nearest"): [1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        ("reflection", "bicubic"): [nan, nan, nan, 2.3125, 2.5, 2.5],
    }
    for (padding_mode, mode), want in expected.items():
        out = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=False)
        np.testing.assert_allclose(values(out).ravel(), want, rtol=1e-6)


def test_grid_sample_nearest_has_zero_grid_gradient(rng):
    x = tensor(rng.standard_normal((1, 1, 3, 3)), grad=True)
    grid = tensor(rng.uniform(-1, 1, (1, 2, 2, 2)), grad=True)
    F.grid_sample(x, grid, mode="nearest", align_corners=False).sum().backward()
    assert grid.grad is None or not values(grid.grad).any()
    assert values(x.grad).sum() == 4


def test_grid_sample_and_affine_grid_errors():
    x = ember.zeros(1, 2, 5, 5)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has "
                      "changed to align_corners=False"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 2))
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or "
                       "'bicubic', but got: 'foo'"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 2), mode="foo", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or "
                       "'reflection', but got: 'foo'"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 2), padding_mode="foo", align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid to have size 2 in last dimension"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid and input to have same batch size"):
        F.grid_sample(x, ember.zeros(2, 2, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        F.grid_sample(x, ember.zeros(1, 2, 2, 2, dtype=ember.float64), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(ember.zeros(1, 1, 2, 2, 2), ember.zeros(1, 2, 2, 2, 3), mode="bicubic",
                      align_corners=False)
    with pytest.raises(ValueError, match=r"Expected a batch of 3D affine matrices of shape "
                       r"Nx3x4 for size \(1, 1, 2, 2, 2\)"):
        F.affine_grid(ember.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(ember.zeros(1, 2, 3, dtype=ember.int64), (1, 1, 2, 2),
                      align_corners=False)
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(ember.zeros(1, 2, 3), (1, 1, 2), align_corners=False)
    with pytest.raises(ValueError, match="Expected non-zero, positive output size"):
        F.affine_grid(ember.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False)


# -- one_hot ----------------------------------------------------------------------------------


def test_one_hot():
    idx = np.array([[0, 3], [2, 1]])
    out = F.one_hot(ember.tensor(idx), 5)
    assert out.dtype == ember.int64 and out.shape == (2, 2, 5)
    np.testing.assert_array_equal(values(out), np.eye(5, dtype=np.int64)[idx])
    np.testing.assert_array_equal(values(F.one_hot(ember.arange(5) % 3)),
                                  np.eye(3, dtype=np.int64)[np.arange(5) % 3])
    assert F.one_hot(ember.tensor([], dtype=ember.int64), 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        F.one_hot(ember.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(ember.tensor([1, 5]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type "
                       "LongTensor"):
        F.one_hot(ember.tensor([1, 2], dtype=ember.int32))
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty "
                       "tensor"):
        F.one_hot(ember.tensor([], dtype=ember.int64))


# -- modules ----------------------------------------------------------------------------------

REPRS = [  # recorded from torch.nn
    (lambda: nn.ZeroPad1d(2), "ZeroPad1d((2, 2))"),
    (lambda: nn.ZeroPad2d((1, 2, 3, 4)), "ZeroPad2d((1, 2, 3, 4))"),
    (lambda: nn.ZeroPad3d(1), "ZeroPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.ConstantPad1d(2, 3.5), "ConstantPad1d(padding=(2, 2), value=3.5)"),
    (lambda: nn.ConstantPad2d((1, 0, 2, 0), -1), "ConstantPad2d(padding=(1, 0, 2, 0), value=-1)"),
    (lambda: nn.ConstantPad3d(1, 0.0), "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=0.0)"),
    (lambda: nn.ReflectionPad1d(2), "ReflectionPad1d((2, 2))"),
    (lambda: nn.ReflectionPad2d([1, 2, 3, 4]), "ReflectionPad2d((1, 2, 3, 4))"),
    (lambda: nn.ReflectionPad3d(1), "ReflectionPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.ReplicationPad1d((1, 2)), "ReplicationPad1d((1, 2))"),
    (lambda: nn.ReplicationPad2d(2), "ReplicationPad2d((2, 2, 2, 2))"),
    (lambda: nn.ReplicationPad3d(1), "ReplicationPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.CircularPad1d(1), "CircularPad1d((1, 1))"),
    (lambda: nn.CircularPad2d((1, 1, 2, 2)), "CircularPad2d((1, 1, 2, 2))"),
    (lambda: nn.CircularPad3d(1), "CircularPad3d((1, 1, 1, 1, 1, 1))"),
    (lambda: nn.Upsample(scale_factor=2), "Upsample(scale_factor=2.0, mode='nearest')"),
    (lambda: nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
     "Upsample(size=(3, 4), mode='bilinear')"),
    (lambda: nn.Upsample(scale_factor=(2, 3)), "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"),
    (lambda: nn.UpsamplingNearest2d(size=5), "UpsamplingNearest2d(size=5, mode='nearest')"),
    (lambda: nn.UpsamplingBilinear2d(scale_factor=2),
     "UpsamplingBilinear2d(scale_factor=2.0, mode='bilinear')"),
    (lambda: nn.PixelShuffle(2), "PixelShuffle(upscale_factor=2)"),
    (lambda: nn.PixelUnshuffle(3), "PixelUnshuffle(downscale_factor=3)"),
    (lambda: nn.ChannelShuffle(4), "ChannelShuffle(groups=4)"),
]


@pytest.mark.parametrize("make, text", REPRS)
def test_module_repr_and_empty_state(make, text):
    m = make()
    assert repr(m) == text
    assert list(m.state_dict().keys()) == []
    m.load_state_dict({}, strict=True)


def test_padding_modules(rng):
    x = rng.standard_normal((1, 2, 3, 4))
    cases = [
        (nn.ZeroPad2d((1, 2, 0, 1)), np_pad(x, (1, 2, 0, 1), "constant")),
        (nn.ConstantPad2d(1, 3.5), np_pad(x, (1, 1, 1, 1), "constant", 3.5)),
        (nn.ReflectionPad2d((2, 1, 1, 2)), np_pad(x, (2, 1, 1, 2), "reflect")),
        (nn.ReplicationPad2d((2, 3, 0, 1)), np_pad(x, (2, 3, 0, 1), "replicate")),
        (nn.CircularPad2d(1), np_pad(x, (1, 1, 1, 1), "circular")),
        (nn.ReflectionPad3d(1), np_pad(x, (1,) * 6, "reflect")),
    ]
    for module, expected in cases:
        np.testing.assert_array_equal(values(module(tensor(x))), expected)
    np.testing.assert_array_equal(values(nn.ReplicationPad1d((2, 3))(tensor(x[0]))),
                                  np_pad(x[0], (2, 3), "replicate"))
    with pytest.raises(ValueError, match=r"CircularPad2d\(\(1, 1, 1, 1\)\): expected 3D or 4D "
                       r"input \(got 2D input\)"):
        nn.CircularPad2d(1)(ember.zeros(3, 3))
    with pytest.raises(RuntimeError, match=r"ReflectionPad1d\(\(5, 5\)\): Padding size should "
                       "be less than the corresponding input dimension"):
        nn.ReflectionPad1d(5)(ember.zeros(1, 2, 3))


def test_upsampling_and_shuffle_modules(rng):
    x = tensor(rng.standard_normal((1, 4, 3, 3)))
    np.testing.assert_array_equal(values(nn.Upsample(scale_factor=2)(x)),
                                  values(F.interpolate(x, scale_factor=2)))
    np.testing.assert_array_equal(
        values(nn.UpsamplingBilinear2d(size=(5, 4))(x)),
        values(F.interpolate(x, size=(5, 4), mode="bilinear", align_corners=True)))
    np.testing.assert_array_equal(values(nn.UpsamplingNearest2d(scale_factor=3)(x)),
                                  np.repeat(np.repeat(values(x), 3, 2), 3, 3))
    assert nn.Upsample(size=(2, 5), mode="bicubic")(x).shape == (1, 4, 2, 5)
    assert nn.PixelShuffle(2)(x).shape == (1, 1, 6, 6)
    assert nn.PixelUnshuffle(3)(x).shape == (1, 36, 1, 1)
    np.testing.assert_array_equal(values(nn.ChannelShuffle(2)(x)),
                                  values(x)[:, [0, 2, 1, 3]])


def test_no_warning_from_interpolate_or_pad(rng):
    x = tensor(rng.standard_normal((1, 1, 3, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.interpolate(x, scale_factor=2, mode="bicubic")
        F.pad(x, (1, 1, 1, 1), mode="reflect")
