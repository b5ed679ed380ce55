"""In-place operations on views of tensors in the autograd graph (PyTorch's CopySlices).

Each pattern is checked against gradients written out by hand in NumPy for the equivalent
out-of-place computation, and against finite differences (gradcheck / gradgradcheck).
"""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.autograd._view_rebase import index_map

RNG = np.random.default_rng(0)


def _leaf(shape, dtype=np.float64):
    return ember.tensor(RNG.standard_normal(shape).astype(dtype), requires_grad=True)


def _loss_grad(y, x):
    """d/dx of sum(y * W) for a fixed random W; returns (W, x.grad as NumPy)."""
    w = RNG.standard_normal(tuple(y.shape))
    (y * ember.tensor(w)).sum().backward()
    return w, x.grad.numpy()


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------------------------------------
# The patterns of the task, each against a NumPy-written gradient
# ---------------------------------------------------------------------------------------------


def test_mul_on_column_view():
    x = _leaf((3, 4))
    xv = x.detach().numpy().copy()
    y = x * 2
    v = y[:, 0]
    v.mul_(3)
    expected = xv * 2
    expected[:, 0] *= 3
    np.testing.assert_allclose(y.detach().numpy(), expected)
    np.testing.assert_allclose(v.detach().numpy(), expected[:, 0])
    assert y.grad_fn.name() == "CopySlices"
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[:, 0] *= 3
    np.testing.assert_allclose(g, want)


def test_sigmoid_on_slice():
    x = _leaf((3, 4))
    xv = x.detach().numpy().copy()
    y = x * 2
    y[:, :2].sigmoid_()
    s = _sigmoid(2 * xv[:, :2])
    np.testing.assert_allclose(y.detach().numpy()[:, :2], s)
    np.testing.assert_allclose(y.detach().numpy()[:, 2:], 2 * xv[:, 2:])
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[:, :2] = w[:, :2] * s * (1 - s) * 2
    np.testing.assert_allclose(g, want)


def test_functional_relu_inplace_on_rows():
    x = _leaf((4, 3))
    xv = x.detach().numpy().copy()
    y = x * 2
    out = F.relu(y[1:], inplace=True)
    np.testing.assert_allclose(out.detach().numpy(), np.maximum(2 * xv[1:], 0))
    np.testing.assert_allclose(y.detach().numpy()[0], 2 * xv[0])
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[1:] *= 2 * xv[1:] > 0
    np.testing.assert_allclose(g, want)


def test_setitem_through_flat_view():
    x = _leaf((3, 4))
    y = x * 2
    y.view(-1)[3] = 0
    assert y.detach().numpy()[0, 3] == 0
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[0, 3] = 0
    np.testing.assert_allclose(g, want)


def test_add_on_transposed_view():
    x = _leaf((2, 3))
    xv = x.detach().numpy().copy()
    y = x * 2
    y.t().add_(1)
    np.testing.assert_allclose(y.detach().numpy(), 2 * xv + 1)
    w, g = _loss_grad(y, x)
    np.testing.assert_allclose(g, 2 * w)


def test_zero_diagonal():
    x = _leaf((3, 3))
    xv = x.detach().numpy().copy()
    y = x * 2
    d = y.diagonal()
    d.zero_()
    want_y = 2 * xv
    np.fill_diagonal(want_y, 0)
    np.testing.assert_allclose(y.detach().numpy(), want_y)
    np.testing.assert_allclose(d.detach().numpy(), 0)
    w, g = _loss_grad(y, x)
    want = 2 * w
    np.fill_diagonal(want, 0)
    np.testing.assert_allclose(g, want)


def test_setitem_on_view_with_grad_value():
    x, s = _leaf((3, 4)), _leaf((3,))
    y = x * 2
    y[0][1:] = s
    np.testing.assert_allclose(y.detach().numpy()[0, 1:], s.detach().numpy())
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[0, 1:] = 0
    np.testing.assert_allclose(g, want)
    np.testing.assert_allclose(s.grad.numpy(), w[0, 1:])


def test_view_of_constant_base_takes_a_grad_value():
    # the root needs no grad at first; the written value does: the root joins the graph
    x = _leaf((3,))
    y = ember.zeros(3, 4, dtype=ember.float64)
    col = y[:, 1]
    col.add_(x)
    assert y.requires_grad and y.grad_fn is not None
    w, g = _loss_grad(y, x)
    np.testing.assert_allclose(g, w[:, 1])


def test_later_use_of_the_view_goes_through_the_rebased_base():
    x = _leaf((3, 4))
    xv = x.detach().numpy().copy()
    y = x * 2
    v = y[1]
    v.mul_(3)
    z = (v * v).sum()  # d/dx[1] = 2 * (6 x[1]) * 6
    z.backward()
    want = np.zeros((3, 4))
    want[1] = 72 * xv[1]
    np.testing.assert_allclose(x.grad.numpy(), want)


# ---------------------------------------------------------------------------------------------
# Chains, views of views, unusual layouts
# ---------------------------------------------------------------------------------------------


def test_two_inplace_ops_on_overlapping_views():
    x = _leaf((4, 3))
    xv = x.detach().numpy().copy()
    y = x * 2
    a = y[:3]
    b = y[1:]  # made before a's op: its own grad_fn predates it, yet the gradient sees it
    a.mul_(3)
    b.add_(b.detach() * 0 + 1).exp_()
    ref = 2 * xv
    ref[:3] *= 3
    ref[1:] = np.exp(ref[1:] + 1)
    np.testing.assert_allclose(y.detach().numpy(), ref)
    w, g = _loss_grad(y, x)
    scale = np.full((4, 3), 2.0)
    scale[:3] *= 3
    want = w * scale
    want[1:] *= ref[1:]  # d exp(u)/du
    np.testing.assert_allclose(g, want)


def test_view_of_a_view():
    x = _leaf((4, 6))
    y = x * 2
    inner = y[1:][:, ::2]  # rows 1..3, even columns
    inner.mul_(5)
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[1:, ::2] *= 5
    np.testing.assert_allclose(g, want)


def test_transposed_root():
    x = _leaf((3, 4))
    xv = x.detach().numpy().copy()
    y = x.t() * 2  # a root whose array is Fortran-ordered
    assert y._base is None and not y._data.flags.c_contiguous
    y[1:, 0].mul_(3)
    ref = 2 * xv.T
    ref[1:, 0] *= 3
    np.testing.assert_allclose(y.detach().numpy(), ref)
    w, g = _loss_grad(y, x)
    want = 2 * w
    want[1:, 0] *= 3
    np.testing.assert_allclose(g, want.T)


def test_zero_dim_root():
    x = _leaf(())
    y = x * 2
    y[None].mul_(3)
    assert float(y) == pytest.approx(6 * float(x))
    y.backward()
    assert float(x.grad) == pytest.approx(6.0)


def test_index_map_layouts():
    base = np.arange(24.0).reshape(4, 6)
    ids = np.arange(24).reshape(4, 6)
    for key in [(slice(1, 3),), (slice(None), 2), (slice(None, None, 2), slice(1, None, 3))]:
        np.testing.assert_array_equal(index_map(base[key], base), ids[key])
    np.testing.assert_array_equal(index_map(base.T[::-1], base), ids.T[::-1])
    fortran = np.asfortranarray(base)
    np.testing.assert_array_equal(index_map(fortran[:, 1], fortran), ids[:, 1])
    flipped = base[::-1, ::-1]
    np.testing.assert_array_equal(index_map(flipped[1:, :2], flipped), ids[1:, :2])
    # refused: a different dtype, an overlapping (expanded) base, memory outside the base
    assert index_map(base.view(np.int64), base) is None
    expanded = np.broadcast_to(np.arange(3.0), (2, 3))
    assert index_map(expanded[0], expanded) is None
    assert index_map(base, base[1:]) is None


# ---------------------------------------------------------------------------------------------
# Finite differences (float64)
# ---------------------------------------------------------------------------------------------


def _inplace_program(x, s):
    y = x * x
    y[1:, :2].mul_(s)  # a block, multiplied by a tensor in the graph
    y.t()[0].sigmoid_()  # the first column, through a transposed view
    d = y.diagonal()
    d.add_(y[2].detach().sum() * 0 + s[0, 0])
    return (y * y).sum(dim=0)


def test_gradcheck_through_inplace_on_views():
    x, s = _leaf((3, 4)), _leaf((2, 2))
    assert gradcheck(_inplace_program, (x, s))


def test_gradgradcheck_through_inplace_on_views():
    x, s = _leaf((3, 4)), _leaf((2, 2))
    assert gradgradcheck(_inplace_program, (x, s))


def test_gradcheck_setitem_on_view():
    def f(x, v):
        y = x.sin()  # saves x, not y (exp would save y, and refuse the overwrite)
        y[:, 1:][0] = v * 3
        return y.sum(dim=0) * y[0]

    assert gradcheck(f, (_leaf((2, 4)), _leaf((3,))))


# ---------------------------------------------------------------------------------------------
# Errors and the paths that must stay as they were
# ---------------------------------------------------------------------------------------------


def test_view_of_leaf_still_raises():
    x = _leaf((3, 4))
    with pytest.raises(RuntimeError) as e:
        x[0].mul_(2)
    assert str(e.value) == (
        "mul_: a view of a leaf Variable that requires grad is being used in an in-place operation."
    )
    with pytest.raises(RuntimeError, match="^__setitem__: a view of a leaf Variable"):
        x[0][1] = 0
    with pytest.raises(RuntimeError, match="^__setitem__: a leaf Variable"):
        x[:, 1] = 0
    with pytest.raises(RuntimeError, match="^mul_: a leaf Variable that requires grad"):
        x.mul_(2)
    assert x.grad is None and x._version == 0


def test_leaf_view_made_to_require_grad_raises():
    z = ember.zeros(3, dtype=ember.float64)[0].requires_grad_()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        z.mul_(2)


def test_saved_view_overwritten_raises_at_backward():
    x = _leaf((3, 4))
    y = x * 2
    a = y[0]
    z = a.sin()  # saves a, which shares y's memory and version counter
    y[0, :2].mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_expanded_view_still_refused():
    x = _leaf((1, 4))
    y = x * 2
    with pytest.raises(RuntimeError, match="read-only"):
        y.expand(3, 4).add_(1)


def test_no_grad_paths_unchanged():
    x = _leaf((3, 4))
    y = x * 2
    with ember.no_grad():
        y[0].mul_(0)
    assert y.grad_fn.name() != "CopySlices"
    c = ember.ones(3, 4)
    c[:, 1].mul_(2)  # nothing requires grad: no graph at all
    assert c.grad_fn is None and not c.requires_grad
    np.testing.assert_array_equal(c.numpy()[:, 1], 2.0)


def test_version_counter_bumped_once_per_op():
    x = _leaf((3, 4))
    y = x * 2
    v = y[1]
    before = y._version
    v.add_(1)
    assert y._version == before + 1 == v._version


def test_fill_and_zero_cut_the_history():
    # a constant written over a graph tensor: it keeps requiring grad, nothing flows back
    x = _leaf((3,))
    y = x * 2
    y.zero_()
    assert y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    assert x.grad is None or not np.any(x.grad.numpy())
    x2 = _leaf((2, 3))
    y2 = x2 * 2
    y2[1].fill_(7.0)
    np.testing.assert_array_equal(y2.detach().numpy()[1], 7.0)
    w, g = _loss_grad(y2, x2)
    np.testing.assert_allclose(g, np.stack([2 * w[0], np.zeros(3)]))


def test_result_in_a_wider_dtype_than_the_view():
    # float32 view += float64 value: the result is cast on write; its gradient comes back
    # in float64
    x = _leaf((2, 3), np.float32)
    s = _leaf((3,))
    y = x * 2
    y[0].add_(s)
    assert y.dtype == ember.float32
    w, g = _loss_grad(y, x)
    np.testing.assert_allclose(g, 2 * w, rtol=1e-6)
    assert s.grad.dtype == ember.float64
    np.testing.assert_allclose(s.grad.numpy(), w[0], rtol=1e-6)


def test_views_made_before_an_in_place_op_regenerate_their_history():
    # PyTorch's rule: a view whose root was changed in place afterwards differentiates through
    # the root's new history when it is next used.
    x = _leaf((3,))
    y = x * 2
    older = y[1:]
    y[:2].mul_(3)  # through another view
    np.testing.assert_allclose(older.detach().numpy(), [6 * x[1].item(), 2 * x[2].item()])
    older.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 2.0])

    x = _leaf((3,))
    y = x * 2
    older = y[1:]
    y.mul_(3)  # on the root itself
    older.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 6.0])


def _patterns(x):
    """Several in-place ops on views of one graph tensor, then a weighted sum."""
    y = x * 2
    y[:, 0].mul_(3)
    y[1:].sigmoid_()
    y.t()[2].add_(1.5)
    y.view(-1)[5] = 0.25
    older = y[:, 1:]
    y.diagonal().zero_()
    return (older * older).sum() + (y * y).sum()


def test_in_place_on_views_on_every_device(device):
    values = RNG.standard_normal((3, 4))
    grads = {}
    for where in ("cpu", device):
        x = ember.tensor(values, requires_grad=True, device=where)
        loss = _patterns(x)
        loss.backward()
        assert x.grad.device.type == where
        grads[where] = (loss.item(), x.grad.cpu().numpy())
    np.testing.assert_allclose(grads[device][0], grads["cpu"][0], rtol=1e-12)
    np.testing.assert_allclose(grads[device][1], grads["cpu"][1], rtol=1e-12, atol=1e-14)
    x = ember.tensor(values, requires_grad=True, device=device)
    assert gradcheck(_patterns, (x,))
