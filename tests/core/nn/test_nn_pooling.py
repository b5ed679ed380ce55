"""Pooling (max/avg/adaptive/lp pooling, max-unpooling) and its layers.

Forward values and argmax indices are checked against a window-by-window NumPy reference
written here from PyTorch's definitions (output size, window clipping, divisors, the flat
index convention); gradients by finite differences in float64; the PyTorch choices that no
formula gives away (ties, NaN, all -inf windows, integer division) against literals recorded
from PyTorch."""

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
from ember.nn.functional import _pooling


def values(t):
    return t.detach().numpy()


def tensor(a, grad=False):
    t = ember.tensor(np.asarray(a))
    return t.requires_grad_() if grad else t


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- a window-by-window reference -------------------------------------------------------------


def out_len(n, k, s, p, d, ceil):
    """PyTorch's pooling_output_shape."""
    eff = d * (k - 1) + 1
    num = n + 2 * p - eff + (s - 1 if ceil else 0)
    o = num // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def ref_pool(x, k, s, p, d, ceil, mode, count_include_pad=True, divisor=None):
    """Pool the trailing len(k) dims of x by visiting each window; returns (out, flat idx)."""
    nd = len(k)
    lead, size = x.shape[:-nd], x.shape[-nd:]
    outs = [out_len(n, *a, ceil) for n, a in zip(size, zip(k, s, p, d))]
    out = np.zeros(lead + tuple(outs))
    idx = np.zeros(lead + tuple(outs), np.int64)
    for li in np.ndindex(*lead):
        plane = x[li]
        for o in itertools.product(*(range(m) for m in outs)):
            taps = [[o[j] * s[j] - p[j] + t * d[j] for t in range(k[j])] for j in range(nd)]
            inside = [[c for c in taps[j] if 0 <= c < size[j]] for j in range(nd)]
            if mode == "max":
                best, best_pos = -np.inf, tuple(c[0] for c in inside)  # start: first valid
                for pos in itertools.product(*inside):
                    v = plane[pos]
                    if v > best or np.isnan(v):
                        best, best_pos = v, pos
                out[li + o] = best
                idx[li + o] = np.ravel_multi_index(best_pos, size)
            else:
                total = sum(plane[pos] for pos in itertools.product(*inside))
                if divisor is not None:
                    div = divisor
                elif count_include_pad:  # the window clipped to the padded extent
                    div = math.prod(min(t[-1] + 1, size[j] + p[j]) - t[0]
                                    for j, t in enumerate(taps))
                else:
                    div = math.prod(len(c) for c in inside)
                out[li + o] = total / div
    return out, idx


def expand(c, nd):
    """An int or a pair of a case as an nd-tuple (a pair cycles: (2, 3) -> (2, 3, 2))."""
    return tuple((c * nd)[:nd]) if isinstance(c, tuple) else (c,) * nd


POOL_CASES = [
    # kernel, stride, padding, dilation, ceil
    (3, 1, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 2, 1, 1, True),
    (2, 3, 1, 1, True),
    (3, 2, 1, 2, False),
    (2, 2, 1, 2, True),
    ((2, 3), (1, 2), (1, 0), (1, 2), True),
]


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_values_and_indices_match_reference(nd, case, rng):
    k, s, p, d = (expand(c, nd) for c in case[:4])
    ceil = case[4]
    x = rng.standard_normal((2, 2) + (7, 6, 5)[:nd])
    fn = getattr(F, f"max_pool{nd}d")
    out, idx = fn(tensor(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    ref, ref_idx = ref_pool(x, k, s, p, d, ceil, "max")
    np.testing.assert_array_equal(values(out), ref)
    np.testing.assert_array_equal(values(idx), ref_idx)
    assert idx.dtype == ember.int64
    # without indices (the fast path) the values are the same
    np.testing.assert_array_equal(values(fn(tensor(x), k, s, p, d, ceil_mode=ceil)), ref)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_matches_reference(nd, case, count_include_pad, rng):
    k, s, p = (expand(c, nd) for c in case[:3])
    ceil = case[4]
    x = rng.standard_normal((2, 1) + (7, 6, 5)[:nd])
    fn = getattr(F, f"avg_pool{nd}d")
    out = fn(tensor(x), k, s, p, ceil, count_include_pad)
    ref, _ = ref_pool(x, k, s, p, (1,) * nd, ceil, "avg", count_include_pad)
    np.testing.assert_allclose(values(out), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("nd", [2, 3])
def test_avg_pool_divisor_override(nd, rng):
    x = rng.standard_normal((1, 2) + (5, 4, 4)[:nd])
    fn = getattr(F, f"avg_pool{nd}d")
    out = fn(tensor(x), 2, 1, 1, divisor_override=3)
    ref, _ = ref_pool(x, (2,) * nd, (1,) * nd, (1,) * nd, (1,) * nd, False, "avg", divisor=3)
    np.testing.assert_allclose(values(out), ref, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(3, 7), w=st.integers(3, 7), k=st.integers(1, 3), s=st.integers(1, 3),
    p=st.integers(0, 1), ceil=st.booleans(), cip=st.booleans(),
)
def test_avg_pool2d_property(h, w, k, s, p, ceil, cip):
    p = min(p, k // 2)
    x = np.arange(h * w, dtype=np.float64).reshape(1, 1, h, w) % 5
    ref, _ = ref_pool(x, (k, k), (s, s), (p, p), (1, 1), ceil, "avg", cip)
    out = F.avg_pool2d(tensor(x), k, s, p, ceil, cip)
    np.testing.assert_allclose(values(out), ref, rtol=1e-12, atol=1e-12)


def test_max_pool2d_indices_are_flat_plane_positions():
    x = ember.arange(16.0).reshape(1, 1, 4, 4)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(values(out), [[[[5.0, 7.0], [13.0, 15.0]]]])
    np.testing.assert_array_equal(values(idx), [[[[5, 7], [13, 15]]]])
    # unbatched (C, H, W) input: the same convention
    out3, idx3 = F.max_pool2d(x[0], 2, return_indices=True)
    assert out3.shape == (1, 2, 2)
    np.testing.assert_array_equal(values(idx3), [[[5, 7], [13, 15]]])


def test_max_pool_ties_nan_and_all_minus_inf_follow_pytorch():
    # literals recorded from PyTorch 2.x
    _, idx = F.max_pool1d(tensor([[[2.0, 2.0, 3.0, 3.0]]]), 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(values(idx), [[[0, 2, 2]]])  # first maximum on ties
    out, idx = F.max_pool1d(tensor([[[1.0, np.nan, 3.0, np.nan]]]), 2, stride=1,
                            return_indices=True)
    assert np.isnan(values(out)).all()
    np.testing.assert_array_equal(values(idx), [[[1, 1, 3]]])
    # two NaNs in one window: the last one (the kernel updates on every NaN)
    _, idx = F.max_pool1d(tensor([[[np.nan, 1.0, np.nan]]]), 3, return_indices=True)
    np.testing.assert_array_equal(values(idx), [[[2]]])
    _, idx = F.adaptive_max_pool2d(tensor([[[[np.nan, 1.0], [np.nan, 2.0]]]]), 1,
                                   return_indices=True)
    np.testing.assert_array_equal(values(idx), [[[[2]]]])
    out, idx = F.max_pool1d(ember.full((1, 1, 4), -math.inf), 2, stride=2, padding=1,
                            return_indices=True)
    np.testing.assert_array_equal(values(idx), [[[0, 1, 3]]])  # the first in-bounds position
    assert (values(out) == -np.inf).all()


def test_max_pool_ceil_mode_window_must_start_inside():
    # length 5, k=2, s=2, p=1: ceil gives 4 windows, but the 4th would start in the padding
    out, idx = F.max_pool1d(ember.arange(5.0).reshape(1, 1, 5), 2, 2, 1, ceil_mode=True,
                            return_indices=True)
    np.testing.assert_array_equal(values(out), [[[0.0, 2.0, 4.0]]])
    np.testing.assert_array_equal(values(idx), [[[0, 2, 4]]])


def test_pool_integer_inputs():
    x = ember.arange(16).reshape(1, 1, 4, 4) - 8
    np.testing.assert_array_equal(values(F.max_pool2d(x, 2)), [[[[-3, -1], [5, 7]]]])
    # PyTorch divides integer window sums with truncation toward zero (literal from PyTorch)
    np.testing.assert_array_equal(
        values(F.avg_pool2d(x, 3, 1, 1)),
        [[[[-2, -3, -2, -1], [-2, -3, -2, -1], [0, 1, 2, 1], [1, 2, 2, 2]]]],
    )


def test_pool_dtypes_and_empty_batch(rng):
    x = ember.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    assert F.max_pool2d(x, 2).dtype == ember.float32
    assert F.avg_pool2d(x, 3, 2, 1).dtype == ember.float32
    half = x.to(ember.bfloat16)
    out = F.avg_pool2d(half, 2)
    assert out.dtype == ember.bfloat16
    np.testing.assert_allclose(values(out.float()), values(F.avg_pool2d(half.float(), 2)),
                               rtol=1e-2)
    assert F.max_pool2d(ember.zeros(0, 3, 6, 6), 2).shape == (0, 3, 3, 3)
    assert F.avg_pool1d(ember.zeros(0, 2, 4), 2).shape == (0, 2, 2)


# -- gradients --------------------------------------------------------------------------------


def test_max_pool_gradient_goes_to_the_argmax():
    x = tensor([[[[1.0, 5.0, 2.0], [0.0, 3.0, 4.0], [6.0, 1.0, 1.0]]]], grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    # windows pick 5 (twice: two overlapping windows), 4 and 6
    np.testing.assert_array_equal(values(x.grad), [[[[0, 2, 0], [0, 0, 1], [1, 0, 0]]]])


@pytest.mark.parametrize("fn, shape", [
    (lambda x: F.max_pool2d(x, 3, 2, 1), (1, 2, 5, 5)),
    (lambda x: F.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True), (1, 1, 6, 5)),
    (lambda x: F.max_pool1d(x, 2), (2, 6)),
    (lambda x: F.max_pool3d(x, 2, 1), (1, 1, 3, 3, 3)),
    (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 2, 5, 6)),
    (lambda x: F.avg_pool1d(x, 3, 2, 1), (1, 2, 7)),
    (lambda x: F.avg_pool3d(x, 2, divisor_override=3), (1, 1, 2, 4, 4)),
    (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (1, 2, 5, 5)),
    (lambda x: F.adaptive_avg_pool1d(x, 2), (1, 2, 4)),
    (lambda x: F.adaptive_max_pool2d(x, (3, 2)), (1, 2, 5, 5)),
    (lambda x: F.adaptive_max_pool1d(x, 3), (2, 7)),
    (lambda x: F.lp_pool2d(x, 2, 2), (1, 1, 4, 4)),
    (lambda x: F.lp_pool1d(x * x + 0.5, 3, 2, ceil_mode=True), (1, 1, 5)),  # x**3 > 0
])
def test_gradcheck(fn, shape, rng):
    x = tensor(rng.standard_normal(shape), grad=True)
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1),
    lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    lambda x: F.adaptive_max_pool2d(x, 2),
])
def test_gradgradcheck(fn, rng):
    x = tensor(rng.standard_normal((1, 1, 4, 5)), grad=True)
    assert gradgradcheck(fn, (x,))


def test_max_unpool_gradients(rng):
    idx = ember.tensor([[[[0, 3], [9, 14]]]])
    x = tensor(rng.standard_normal((1, 1, 2, 2)), grad=True)
    assert gradcheck(lambda x: F.max_unpool2d(x, idx, 2), (x,))
    assert gradgradcheck(lambda x: F.max_unpool2d(x, idx, 2), (x,))


# -- adaptive pooling -------------------------------------------------------------------------


def ref_adaptive(x, out_size, mode):
    nd = len(out_size)
    size = x.shape[-nd:]
    out = np.zeros(x.shape[:-nd] + tuple(out_size))
    idx = np.zeros(out.shape, np.int64)
    for li in np.ndindex(*x.shape[:-nd]):
        for o in itertools.product(*(range(m) for m in out_size)):
            ranges = [range((o[j] * size[j]) // out_size[j],
                            -(-(o[j] + 1) * size[j] // out_size[j])) for j in range(nd)]
            cells = list(itertools.product(*ranges))
            vals = [x[li][c] for c in cells]
            if mode == "avg":
                out[li + o] = np.mean(vals)
            else:
                best = int(np.argmax(vals))
                out[li + o] = vals[best]
                idx[li + o] = np.ravel_multi_index(cells[best], size)
    return out, idx


@pytest.mark.parametrize("shape, out_size", [
    ((2, 3, 7), (3,)), ((2, 3, 8), (4,)), ((1, 2, 5, 7), (3, 4)), ((1, 2, 6, 6), (3, 2)),
    ((2, 5, 3), (5, 1)), ((1, 1, 3, 4, 5), (2, 3, 2)),
])
def test_adaptive_pooling_matches_reference(shape, out_size, rng):
    x = rng.standard_normal(shape)
    nd = len(out_size)
    size = out_size[0] if nd == 1 else out_size
    avg = getattr(F, f"adaptive_avg_pool{nd}d")(tensor(x), size)
    np.testing.assert_allclose(values(avg), ref_adaptive(x, out_size, "avg")[0], rtol=1e-12)
    out, idx = getattr(F, f"adaptive_max_pool{nd}d")(tensor(x), size, return_indices=True)
    ref, ref_idx = ref_adaptive(x, out_size, "max")
    np.testing.assert_array_equal(values(out), ref)
    np.testing.assert_array_equal(values(idx), ref_idx)


def test_adaptive_output_size_none_and_zero(rng):
    x = tensor(rng.standard_normal((1, 2, 5, 6)))
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (1, 2, 5, 2)
    assert F.adaptive_max_pool2d(x, (3, None)).shape == (1, 2, 3, 6)
    assert F.adaptive_avg_pool2d(x, (0, 2)).shape == (1, 2, 0, 2)
    np.testing.assert_allclose(values(F.adaptive_avg_pool2d(x, 1)),
                               values(x).mean(axis=(2, 3), keepdims=True), rtol=1e-12)


def test_adaptive_avg_pool_dense_and_tap_paths_agree(rng, monkeypatch):
    x = tensor(rng.standard_normal((2, 3, 9, 11)), grad=True)
    g = rng.standard_normal((2, 3, 4, 5))
    results = []
    for per_tap in (0, 10**6):  # taps only / always the dense matrix
        monkeypatch.setattr(_pooling, "_DENSE_PER_TAP", per_tap)
        x.grad = None
        out = F.adaptive_avg_pool2d(x, (4, 5))
        out.backward(ember.tensor(g))
        results.append((values(out), values(x.grad)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12, atol=1e-14)


# -- max_unpool and lp_pool -------------------------------------------------------------------


def test_max_unpool_places_values_at_indices():
    x = ember.arange(16.0).reshape(1, 1, 4, 4)
    y, i = F.max_pool2d(x, 2, return_indices=True)
    out = F.max_unpool2d(y, i, 2)
    expected = np.zeros((4, 4))
    expected[[1, 1, 3, 3], [1, 3, 1, 3]] = [5, 7, 13, 15]
    np.testing.assert_array_equal(values(out)[0, 0], expected)
    # output_size (with or without N, C) undoes the pooling's floor division
    y, i = F.max_pool2d(ember.arange(25.0).reshape(1, 1, 5, 5), 2, return_indices=True)
    assert F.max_unpool2d(y, i, 2, output_size=(5, 5)).shape == (1, 1, 5, 5)
    assert F.max_unpool2d(y, i, 2, output_size=(1, 1, 5, 5)).shape == (1, 1, 5, 5)
    y, i = F.max_pool1d(tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2, return_indices=True)
    np.testing.assert_array_equal(values(F.max_unpool1d(y, i, 2, output_size=[5])),
                                  [[[0, 3, 0, 5, 0]]])
    y, i = F.max_pool3d(ember.arange(8.0).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    assert values(F.max_unpool3d(y, i, 2)).ravel().tolist() == [0] * 7 + [7]


def test_max_unpool_overlapping_windows_write_once():
    # overlapping windows chose the same maximum: it is written, not summed
    y, i = F.max_pool1d(tensor([[[0.0, 9.0, 0.0]]]), 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(values(i), [[[1, 1]]])
    out = F.max_unpool1d(y, i, 2, stride=1)
    np.testing.assert_array_equal(values(out), [[[0.0, 9.0, 0.0]]])


def test_lp_pool_matches_formula(rng):
    x = rng.uniform(0.1, 2.0, (1, 2, 4, 6))
    out = F.lp_pool2d(tensor(x), 3, (2, 3))
    ref = (x ** 3).reshape(1, 2, 2, 2, 2, 3).sum(axis=(3, 5)) ** (1 / 3)
    np.testing.assert_allclose(values(out), ref, rtol=1e-12)
    out = F.lp_pool1d(tensor(x[0]), 2, 3, stride=2)
    ref = np.sqrt(np.stack([(x[0, :, :, 2 * o:2 * o + 3] ** 2).sum(-1) for o in range(2)], -1))
    np.testing.assert_allclose(values(out), ref, rtol=1e-12)
    # p = inf: max pooling of |x|
    y = rng.standard_normal((1, 1, 4, 4))
    np.testing.assert_array_equal(values(F.lp_pool2d(tensor(y), math.inf, 2)),
                                  np.abs(y).reshape(1, 1, 2, 2, 2, 2).max(axis=(3, 5)))


# -- errors -----------------------------------------------------------------------------------


def test_pool_errors():
    x = ember.zeros(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match=r"max_pool2d: pad should be at most half of "
                       r"effective kernel size, but got pad=3, kernel_size=3 and dilation=1"):
        F.max_pool2d(x, 3, padding=3)
    with pytest.raises(RuntimeError, match=r"max_pool2d: pad should be smaller than or equal "
                       r"to half of kernel size, but got pad=2 and kernel_size=3"):
        F.max_pool2d(x, 3, padding=2, dilation=2)
    with pytest.raises(RuntimeError, match=r"avg_pool2d: Given input size: \(1x2x2\). "
                       r"Calculated output size: \(1x0x0\). Output size is too small"):
        F.avg_pool2d(ember.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected input of shape \(N, C, H, "
                       r"W\) or \(C, H, W\) with non-zero C, H, W, got input of shape \(5, 5\)"):
        F.max_pool2d(ember.zeros(5, 5), 2)
    with pytest.raises(RuntimeError, match="non-zero"):
        F.max_pool2d(ember.zeros(1, 0, 4, 4), 2)
    with pytest.raises(RuntimeError, match="kernel_size must either be a single int, or a "
                       "tuple of two ints"):
        F.max_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match="stride must be greater than zero"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(RuntimeError, match="dilation must be greater than zero"):
        F.max_pool2d(x, 2, dilation=0)
    with pytest.raises(RuntimeError, match="pad must be non-negative, but got pad: -1"):
        F.avg_pool2d(x, 2, padding=-1)
    with pytest.raises(RuntimeError, match="avg_pool2d: divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(NotImplementedError, match="avg_pool2d"):
        F.avg_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.uint8), 2)
    with pytest.raises(NotImplementedError, match="max_pool2d"):
        F.max_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.bool), 2)


def test_adaptive_and_unpool_errors():
    x = ember.zeros(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d: elements of output_size must "
                       r"be greater than or equal to 0 but received \(-1, 2\)"):
        F.adaptive_avg_pool2d(x, (-1, 2))
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d: output_size must be 2"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match=r"got input of shape \(1, 2, 0, 5\)"):
        F.adaptive_avg_pool2d(ember.zeros(1, 2, 0, 5), 2)
    with pytest.raises(NotImplementedError, match="adaptive_max_pool2d"):
        F.adaptive_max_pool2d(ember.zeros(1, 1, 4, 4, dtype=ember.int64), 2)
    y = ember.zeros(1, 1, 2, 2)
    with pytest.raises(RuntimeError, match=r"max_unpool2d: Found an invalid max index: 20 "
                       r"\(output volumes are of size 4x4\)"):
        F.max_unpool2d(y, ember.full((1, 1, 2, 2), 20), 2)
    with pytest.raises(ValueError, match=r'invalid output_size "\(7, 7\)" \(dim 0 must be '
                       r"between 2 and 6\)"):
        F.max_unpool2d(y, ember.zeros(1, 1, 2, 2, dtype=ember.int64), 2, output_size=(7, 7))
    with pytest.raises(RuntimeError, match="indices should be type int64 but got: int32"):
        F.max_unpool2d(y, ember.zeros(1, 1, 2, 2, dtype=ember.int32), 2)
    with pytest.raises(RuntimeError, match=r"Expected shape of indices to be same as that of "
                       r"the input tensor \(\[1, 1, 2, 2\]\)"):
        F.max_unpool2d(y, ember.zeros(1, 1, 2, 3, dtype=ember.int64), 2)


# -- modules ----------------------------------------------------------------------------------

# repr strings recorded from torch.nn
REPRS = [
    (lambda: nn.MaxPool1d(3),
     "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
     "MaxPool2d(kernel_size=(2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)"),
    (lambda: nn.MaxPool3d(2, return_indices=True),
     "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.AvgPool1d(3, 2, 1), "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"),
    (lambda: nn.AvgPool2d(3, ceil_mode=True, divisor_override=2),
     "AvgPool2d(kernel_size=3, stride=3, padding=0)"),
    (lambda: nn.AvgPool3d((1, 2, 2)),
     "AvgPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=0)"),
    (lambda: nn.AdaptiveAvgPool1d(3), "AdaptiveAvgPool1d(output_size=3)"),
    (lambda: nn.AdaptiveAvgPool2d((None, 4)), "AdaptiveAvgPool2d(output_size=(None, 4))"),
    (lambda: nn.AdaptiveAvgPool3d(2), "AdaptiveAvgPool3d(output_size=2)"),
    (lambda: nn.AdaptiveMaxPool1d(2, True), "AdaptiveMaxPool1d(output_size=2)"),
    (lambda: nn.AdaptiveMaxPool2d((2, 3)), "AdaptiveMaxPool2d(output_size=(2, 3))"),
    (lambda: nn.MaxUnpool1d(2), "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (lambda: nn.MaxUnpool2d(3, stride=2, padding=1),
     "MaxUnpool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"),
    (lambda: nn.MaxUnpool3d((1, 2, 2)),
     "MaxUnpool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=(0, 0, 0))"),
    (lambda: nn.LPPool1d(2, 3), "LPPool1d(norm_type=2, kernel_size=3, stride=None, "
     "ceil_mode=False)"),
    (lambda: nn.LPPool2d(1.5, (2, 2), stride=1, ceil_mode=True),
     "LPPool2d(norm_type=1.5, kernel_size=(2, 2), stride=1, ceil_mode=True)"),
]


@pytest.mark.parametrize("make, text", REPRS)
def test_module_repr_and_empty_state(make, text):
    m = make()
    assert repr(m) == text
    assert list(m.state_dict().keys()) == []  # no parameters or buffers, as in PyTorch
    m.load_state_dict({}, strict=True)
    assert list(m.parameters()) == []


def test_modules_match_functional(rng):
    x = tensor(rng.standard_normal((2, 3, 8, 9)))
    out, idx = nn.MaxPool2d(3, 2, 1, return_indices=True)(x)
    ref, ref_idx = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(values(out), values(ref))
    np.testing.assert_array_equal(values(idx), values(ref_idx))
    assert out.shape == (2, 3, 4, 5)
    np.testing.assert_array_equal(values(nn.AvgPool2d(2, divisor_override=1)(x)),
                                  values(F.avg_pool2d(x, 2, divisor_override=1)))
    assert nn.AvgPool1d(3, 2, 1)(x[0]).shape == (3, 8, 5)
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveAvgPool3d(2)(x).shape == (2, 2, 2, 2)  # (C, D, H, W) unbatched
    out, idx = nn.AdaptiveMaxPool2d(3, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 3, 3)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, i = pool(x)
    assert unpool(y, i, output_size=x.shape).shape == (2, 3, 8, 9)
    assert nn.LPPool2d(2, 2)(x).shape == (2, 3, 4, 4)
    assert nn.MaxPool3d(2)(tensor(rng.standard_normal((1, 2, 4, 4, 4)))).shape == (1, 2, 2, 2, 2)


def test_module_errors_name_the_layer():
    with pytest.raises(RuntimeError, match=r"MaxPool2d\(kernel_size=2, stride=2, padding=0, "
                       r"dilation=1, ceil_mode=False\): expected input of shape \(N, C, H, W\) "
                       r"or \(C, H, W\)"):
        nn.MaxPool2d(2)(ember.zeros(4, 4))
    with pytest.raises(RuntimeError, match=r"AvgPool1d\(kernel_size=\(3,\), stride=\(3,\), "
                       r"padding=\(0,\)\): Given input size"):
        nn.AvgPool1d(3)(ember.zeros(1, 2, 2))
    with pytest.raises(RuntimeError, match=r"AdaptiveAvgPool2d\(output_size=2\): expected"):
        nn.AdaptiveAvgPool2d(2)(ember.zeros(2, 2, 2, 2, 2))
