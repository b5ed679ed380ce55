"""Behaviour of ember.ops.shape beyond the op table: views that share memory and versions, the
view-or-copy rule, dtype promotion when joining, multi-output gradients, error messages, and a
property test of reshape/permute/transpose/flip against NumPy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.autograd import grad, gradcheck


def _arange(*shape, dtype=ember.float64):
    """0, 1, 2... in ``shape``, in fresh memory (not itself a view)."""
    return ember.tensor(np.arange(int(np.prod(shape))).reshape(shape), dtype=dtype)


def _backward_sum(t):
    # d(sum(t))/dt is all ones (without depending on the reductions module)
    t.backward(ember.ones_like(t))


def _shares(a, b) -> bool:
    return np.shares_memory(a.numpy(force=True), b.numpy(force=True))


# ---- views share memory and the version counter -----------------------------------------------

VIEWS = {
    "view": lambda x: x.view(4, 6),
    "reshape": lambda x: x.reshape(-1),
    "permute": lambda x: x.permute(2, 0, 1),
    "transpose": lambda x: x.transpose(0, 2),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "squeeze": lambda x: x.unsqueeze(1).squeeze(1),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "flatten": lambda x: x.flatten(1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "select": lambda x: x.select(1, 2),
    "narrow": lambda x: x.narrow(2, 1, 2),
    "split": lambda x: x.split(1)[1],
    "chunk": lambda x: x.chunk(2, 2)[1],
    "tensor_split": lambda x: x.tensor_split([1], 1)[1],
    "unbind": lambda x: x.unbind(1)[2],
    "diagonal": lambda x: x.diagonal(0, 1, 2),
    "movedim": lambda x: x.movedim(0, -1),
    "ravel": lambda x: x.ravel(),
    "view_as": lambda x: x.view_as(ember.zeros(6, 4)),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_write_through_and_share_the_version(name):
    x = _arange(2, 3, 4)
    v = VIEWS[name](x)
    assert _shares(v, x)
    assert v._base is x
    before = x.clone()
    v.add_(100.0)  # through the view ...
    changed = (x - before).numpy()
    assert changed.sum() == 100.0 * v.numel()  # ... exactly the view's elements moved
    assert x._version == v._version == 1  # one counter for both
    x.mul_(2.0)
    assert v._version == 2
    np.testing.assert_array_equal(v.numpy(), VIEWS[name](x).numpy())


def test_a_view_of_a_view_keeps_the_root_base():
    x = _arange(2, 3, 4)
    v = x.permute(1, 0, 2).select(0, 1).t()  # x[:, 1, :] transposed
    assert v._base is x
    v.add_(1.0)
    assert x._version == 1
    expected = np.arange(24.0).reshape(2, 3, 4)
    expected[:, 1, :] += 1
    np.testing.assert_array_equal(x.numpy(), expected)


def test_expand_is_a_read_only_view():
    x = ember.tensor([[1.0], [2.0]])
    e = x.expand(2, 3)
    assert _shares(e, x) and e._base is x
    x.add_(1.0)
    np.testing.assert_array_equal(e.numpy(), [[2.0] * 3, [3.0] * 3])
    with pytest.raises(RuntimeError, match="read-only"):
        e.add_(1.0)


def test_meshgrid_outputs_are_expanded_views_of_the_inputs():
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0, 5.0])
    ga, gb = ember.meshgrid(a, b, indexing="ij")
    assert _shares(ga, a) and _shares(gb, b)
    assert ga.stride() == (1, 0) and gb.stride() == (0, 1)


def test_diagonal_is_writable_like_pytorchs():
    x = ember.zeros(3, 3)
    x.diagonal().add_(ember.tensor([1.0, 2.0, 3.0]))
    x.diagonal(1).add_(7.0)
    np.testing.assert_array_equal(x.numpy(), [[1, 7, 0], [0, 2, 7], [0, 0, 3]])


COPIES = {
    "flip": lambda x: x.flip(0),
    "fliplr": lambda x: x.fliplr(),
    "roll": lambda x: x.roll(1, 1),
    "rot90": lambda x: x.rot90(),
    "repeat": lambda x: x.repeat(1, 1),
    "tile": lambda x: x.tile((1,)),
    "cat": lambda x: ember.cat([x]),
    "stack": lambda x: ember.stack([x]),
    "diag": lambda x: x.diag(),
    "tril": lambda x: x.tril(),
    "repeat_interleave": lambda x: x.repeat_interleave(1, dim=0),
}


@pytest.mark.parametrize("name", list(COPIES))
def test_ops_that_copy_in_pytorch_copy_here(name):
    x = _arange(3, 3)
    out = COPIES[name](x)
    assert not _shares(out, x)
    assert out._base is None


def test_reshape_is_a_view_when_the_layout_allows_and_a_copy_otherwise():
    x = _arange(4, 6)
    assert _shares(x.reshape(2, 12), x)
    t = x.t()  # (6, 4), strides (1, 6)
    # splitting the (contiguous) dim 0 and merging nothing still views the same memory
    v = t.reshape(2, 3, 4)
    assert _shares(v, x) and v._base is x
    np.testing.assert_array_equal(v.numpy(), x.numpy().T.reshape(2, 3, 4))
    c = t.reshape(24)
    assert not _shares(c, x) and c._base is None and c.is_contiguous()
    np.testing.assert_array_equal(c.numpy(), x.numpy().T.ravel())
    # a view of an expanded tensor when strides allow it
    e = ember.tensor([1.0, 2.0]).expand(3, 2)
    assert _shares(e.reshape(3, 2, 1), e)


def test_view_refuses_layouts_that_need_a_copy():
    t = _arange(3, 4).t()
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's "
                                           r"size and stride .* Use \.reshape\(\.\.\.\) instead"):
        t.view(12)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        ember.zeros(1, 4).expand(3, 4).view(12)
    assert t.view(4, 3, 1).shape == (4, 3, 1)  # adding a size-1 dim is always a view


def test_minus_one_inference():
    x = ember.zeros(2, 3, 4)
    assert x.view(-1).shape == (24,)
    assert x.view(4, -1).shape == (4, 6)
    assert x.reshape(-1, 2, 3).shape == (4, 2, 3)
    assert ember.zeros(0, 3).reshape(-1, 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match=r"view: shape '\[5, -1\]' is invalid for input of "
                                           r"size 24"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match=r"shape '\[0, -1\]' is invalid for input of size 0"):
        ember.zeros(0, 3).view(0, -1)  # ambiguous, as in PyTorch
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)


def test_view_dtype_reinterprets_the_bytes():
    x = ember.tensor([1.0, -2.0])
    bits = x.view(ember.int32)
    assert bits.dtype == ember.int32 and bits.tolist() == [1065353216, -1073741824]
    assert _shares(bits, x) and not bits.requires_grad


def test_flatten_with_equal_dims_returns_the_input_itself():
    x = ember.zeros(2, 3)
    assert x.flatten(1, 1) is x
    assert ember.zeros(()).flatten().shape == (1,)


# ---- autograd through views -------------------------------------------------------------------


def test_in_place_change_of_a_base_invalidates_a_saved_view():
    leaf = ember.ones(2, 3, requires_grad=True)
    a = leaf * 1.0
    v = a.view(6)
    out = v * v  # mul saves v
    a.add_(1.0)  # bumps the version that v shares
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _backward_sum(out)


def test_split_outputs_may_receive_only_some_gradients():
    x = _arange(5, 2).requires_grad_()
    a, b, c = x.split(2)
    _backward_sum(b * 3.0)
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [0, 0], [3, 3], [3, 3], [0, 0]])
    y = _arange(3, 2).requires_grad_()
    rows = y.unbind(0)
    _backward_sum(rows[0] + rows[2] * 2.0)
    np.testing.assert_array_equal(y.grad.numpy(), [[1, 1], [0, 0], [2, 2]])


def test_iteration_unbinds_and_keeps_the_graph():
    x = _arange(3, 2).requires_grad_()
    total = None
    for i, row in enumerate(x):
        term = row * float(i)
        total = term if total is None else total + term
    _backward_sum(total)
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [1, 1], [2, 2]])


def test_overlapping_tensor_split_gradient_is_differentiable_again():
    # indices [5, 2] give x[0:5], x[5:2] (empty) and x[2:10]: elements 2..4 appear twice
    x = ember.tensor(np.linspace(-1, 1, 10), requires_grad=True)
    first, _, last = x.tensor_split([5, 2])
    squares = [first * first, last * last]
    (g,) = grad(squares, x, [ember.ones_like(s) for s in squares], create_graph=True)
    expected = 2 * x.detach().numpy() * np.array([1, 1, 2, 2, 2, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(g.numpy(force=True), expected)
    (gg,) = grad(g, x, ember.ones_like(g))
    np.testing.assert_allclose(gg.numpy(), [2, 2, 4, 4, 4, 2, 2, 2, 2, 2])


def test_repeat_interleave_with_tensor_repeats_sums_the_copies():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=ember.float64,
                     requires_grad=True)
    repeats = ember.tensor([2, 0, 3])
    out = x.repeat_interleave(repeats, dim=0)
    assert out.shape == (5, 2)
    weights = ember.tensor(np.arange(10.0).reshape(5, 2))
    _backward_sum(out * weights)
    # rows 0-1 of out come from x[0], rows 2-4 from x[2]; x[1] is used 0 times
    np.testing.assert_array_equal(x.grad.numpy(), [[0 + 2, 1 + 3], [0, 0], [4 + 6 + 8, 5 + 7 + 9]])
    xt = x.detach().t().requires_grad_()
    assert gradcheck(lambda t: t.repeat_interleave(repeats, dim=1), (xt,))
    assert ember.repeat_interleave(ember.tensor([1, 0, 2])).tolist() == [0, 2, 2]


def test_cat_gives_each_input_its_gradient_in_its_own_dtype():
    a = ember.ones(2, 2, dtype=ember.float32, requires_grad=True)
    b = ember.ones(1, 2, dtype=ember.float64, requires_grad=True)
    empty = ember.zeros(0, requires_grad=True)
    out = ember.cat([a, empty, b])
    assert out.dtype == ember.float64
    _backward_sum(out * ember.tensor([[1.0], [2.0], [3.0]], dtype=ember.float64))
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64
    np.testing.assert_array_equal(a.grad.numpy(), [[1, 1], [2, 2]])
    np.testing.assert_array_equal(b.grad.numpy(), [[3, 3]])
    assert empty.grad.shape == (0,)  # PyTorch gives the skipped empty tensor an empty grad


# ---- dtype promotion when joining -------------------------------------------------------------


@pytest.mark.parametrize(
    "dtypes, expected",
    [
        ((ember.int64, ember.float16), ember.float16),
        ((ember.bool, ember.uint8), ember.uint8),
        ((ember.int32, ember.float64), ember.float64),
        ((ember.int8, ember.uint8), ember.int16),
        ((ember.bfloat16, ember.float16), ember.float32),
        ((ember.float32, ember.float32), ember.float32),
    ],
)
def test_cat_and_stack_promote_like_pytorch(dtypes, expected):
    tensors = [ember.ones(2, 3, dtype=d) for d in dtypes]
    assert ember.cat(tensors).dtype == expected
    assert ember.stack(tensors).dtype == expected
    assert ember.block_diag(*tensors).dtype == expected


def test_cat_values_after_promotion():
    out = ember.cat([ember.tensor([[1, 2]]), ember.tensor([[0.5, 1.5]])])
    assert out.dtype == ember.float32
    assert out.tolist() == [[1.0, 2.0], [0.5, 1.5]]


# ---- special cases and messages ---------------------------------------------------------------


def test_squeeze_of_a_non_1_dim_is_a_no_op():
    x = ember.zeros(2, 1, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.squeeze((0, 1)).shape == (2, 3)
    assert x.squeeze().shape == (2, 3)


def test_chunk_may_return_fewer_pieces_and_keeps_count_for_empty_dims():
    assert [c.shape[0] for c in ember.arange(6).chunk(4)] == [2, 2, 2]
    assert [c.shape[0] for c in ember.arange(10).chunk(4)] == [3, 3, 3, 1]
    assert [tuple(c.shape) for c in ember.zeros(3, 0).chunk(2, 1)] == [(3, 0), (3, 0)]


def test_conjugate_transposes_conjugate_complex_values():
    z = ember.tensor(np.array([[1 + 2j, 3 - 1j]], dtype=np.complex64))
    np.testing.assert_array_equal(z.H.numpy(), [[1 - 2j], [3 + 1j]])
    np.testing.assert_array_equal(z.mH.numpy(), [[1 - 2j], [3 + 1j]])
    np.testing.assert_array_equal(z.mT.numpy(), [[1 + 2j], [3 - 1j]])
    np.testing.assert_array_equal(ember.adjoint(z).numpy(), [[1 - 2j], [3 + 1j]])


def test_broadcast_helpers():
    assert ember.broadcast_shapes((2, 1), (3,), 1) == ember.Size([2, 3])
    assert ember.broadcast_shapes() == ember.Size([])
    with pytest.raises(RuntimeError, match=r"Attempting to broadcast a dimension of length 4 "
                                           r"at -1! Mismatching argument at index 1 had \(4,\)"):
        ember.broadcast_shapes((2, 3), (4,))
    a, b = ember.broadcast_tensors(ember.zeros(3, 1), ember.ones(2, 1, 4))
    assert a.shape == b.shape == (2, 3, 4)


def test_block_diag_layout_and_empty_call():
    out = ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3), ember.tensor([4, 5]))
    assert out.tolist() == [[1, 2, 0, 0, 0], [0, 0, 3, 0, 0], [0, 0, 0, 4, 5]]
    assert ember.block_diag().shape == (1, 0)


def test_atleast_returns_one_tensor_for_one_and_a_tuple_otherwise():
    assert isinstance(ember.atleast_2d(ember.tensor(1.0)), ember.Tensor)
    out = ember.atleast_2d(ember.tensor(1.0), ember.zeros(3))
    assert isinstance(out, tuple) and [tuple(o.shape) for o in out] == [(1, 1), (1, 3)]
    assert isinstance(ember.atleast_1d([ember.tensor(1.0)]), tuple)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ember.zeros(2, 3).permute(0, 2), IndexError,
         r"permute: Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
        (lambda: ember.zeros(2, 3).expand(3, 3), RuntimeError,
         r"The expanded size of the tensor \(3\) must match the existing size \(2\) at "
         r"non-singleton dimension 0.  Target sizes: \[3, 3\].  Tensor sizes: \[2, 3\]"),
        (lambda: ember.zeros(3).mT, RuntimeError, "Got 1-D tensor"),
        (lambda: ember.zeros(2, 3, 4).diag(), RuntimeError, "Got 3D"),
        (lambda: ember.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2"),
        (lambda: ember.zeros(3).rot90(), RuntimeError, "expected total dims >= 2"),
        (lambda: ember.zeros(2, 3).narrow(1, 5, 0), IndexError, "start out of range"),
        (lambda: ember.zeros(()).unbind(), IndexError, "tensor has no dimensions"),
        (lambda: ember.zeros(()).tensor_split(2), RuntimeError, "at least a 1-dimensional"),
        (lambda: ember.zeros(2, 3).repeat(-1, 2), RuntimeError,
         r"negative dimension -1: \[-2, 6\]"),
        (lambda: ember.meshgrid(ember.zeros(2), indexing="xx"), RuntimeError,
         'indexing must be one of "xy" or "ij"'),
        (lambda: ember.cartesian_prod(ember.zeros(2, 2)), RuntimeError, "Expect a 1D vector"),
        (lambda: ember.block_diag(ember.zeros(1, 1, 1)), RuntimeError,
         "Input 0 has 3 dimensions"),
        (lambda: ember.vsplit(ember.zeros(4), 2), RuntimeError,
         "vsplit requires a tensor with at least 2 dimension"),
        (lambda: ember.diag_embed(ember.zeros(2, 3), 0, 0, 3), IndexError,
         "Dimension out of range"),
        (lambda: ember.zeros(2, 3).view(2.0, 3), TypeError, "must be an int"),
    ],
)
def test_error_messages(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- property test against NumPy --------------------------------------------------------------


@st.composite
def _arrays_and_args(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    base = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    swapped = len(shape) >= 2 and draw(st.booleans())  # a non-contiguous input
    data = base.swapaxes(0, -1) if swapped else base
    ndim = data.ndim
    perm = tuple(draw(st.permutations(range(ndim))))
    d0 = draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    d1 = draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    flips = tuple(sorted(set(draw(st.lists(st.integers(0, max(ndim - 1, 0)), max_size=ndim)))))
    # a target shape with the same number of elements: the sizes regrouped, -1 for one of them
    sizes = list(data.shape)
    draw(st.randoms()).shuffle(sizes)
    if sizes and draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
        if 0 in [s for s in sizes if s != -1]:
            sizes = [s if s != -1 else 0 for s in sizes]  # -1 with a 0 elsewhere is ambiguous
    return base, swapped, perm, (d0, d1), flips, tuple(sizes)


@settings(max_examples=60, deadline=None)
@given(_arrays_and_args())
def test_reshape_permute_transpose_flip_agree_with_numpy(case):
    base, swapped, perm, (d0, d1), flips, sizes = case
    data = base.swapaxes(0, -1) if swapped else base
    x = ember.tensor(base).transpose(0, -1) if swapped else ember.tensor(base)
    np.testing.assert_array_equal(x.numpy(), data)

    out = x.reshape(sizes)
    np.testing.assert_array_equal(out.numpy(), data.reshape(sizes))
    if data.flags.c_contiguous:
        assert _shares(out, x) or data.size == 0

    out = x.permute(perm)
    np.testing.assert_array_equal(out.numpy(), np.transpose(data, perm))
    if data.ndim:
        out = x.transpose(d0, d1)
        np.testing.assert_array_equal(out.numpy(), np.swapaxes(data, d0, d1))
    out = x.flip(flips)
    np.testing.assert_array_equal(out.numpy(), np.flip(data, flips))
