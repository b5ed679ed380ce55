"""Op table entries for ember.ops.shape: views, joins, splits, reorderings, diagonals.

References are NumPy (and SciPy for block_diag) written independently of Ember. Every op here
is linear, so gradcheck and gradgradcheck mostly check that the backward routes each gradient
element to the right input element (and that the backward is itself differentiable).
"""

import numpy as np
import scipy.linalg
from opinfo import ErrorInput, OpInfo, Sample, noncontiguous, randn

import ember


def _s(*args, name="", grad_args=None, **kwargs):
    return Sample(args, kwargs, grad_args=grad_args, name=name)


def _ints(rng, *shape):
    return rng.integers(-5, 5, size=shape)


def _err(args, error, match, **kwargs):
    return ErrorInput(Sample(args, kwargs), error, match)


# ---- views of the whole tensor ----------------------------------------------------------------


def _view_samples(rng):
    return [
        _s(randn(rng, 3, 4), 2, 6, name="ints"),
        _s(randn(rng, 3, 4), (4, -1), name="tuple with -1"),
        _s(randn(rng, 2, 3, 2), -1, name="flatten"),
        _s(randn(rng), 1, 1, name="0-d to 2-d"),
        _s(randn(rng, 1, 1), (), name="to 0-d"),
        _s(randn(rng, 0, 3), 3, 0, name="empty"),
    ]


def _view_errors(rng):
    x = randn(rng, 3, 4)
    return [
        _err((x, 5, -1), RuntimeError, r"view: shape '\[5, -1\]' is invalid for input of size 12"),
        _err((x, -1, -1), RuntimeError, "only one dimension can be inferred"),
        _err((x, -2, 6), RuntimeError, r"invalid shape dimension -2 at index 0 of shape \[-2, 6\]"),
    ]


def _reshape_samples(rng):
    return _view_samples(rng) + [
        _s(noncontiguous(randn(rng, 4, 3)), 12, name="non-contiguous copies"),
        _s(noncontiguous(randn(rng, 4, 3)), 2, 2, 3, name="non-contiguous split dim"),
    ]


def _squeeze_samples(rng):
    x = randn(rng, 1, 3, 1, 2)
    return [
        _s(x, name="all"),
        _s(x, 0, name="dim 0"),
        _s(x, 1, name="non-1 dim is a no-op"),
        _s(x, (0, -2), name="tuple"),
        _s(randn(rng), name="0-d"),
        _s(randn(rng), 0, name="0-d dim 0"),
    ]


def _squeeze_ref(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else dim
    drop = tuple(d % max(x.ndim, 1) for d in dims if x.ndim and x.shape[d] == 1)
    return np.squeeze(x, axis=drop) if drop else x


def _flatten_ref(x, start=0, end=-1):
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start % x.ndim, end % x.ndim
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1 :])


def _expand_samples(rng):
    return [
        _s(randn(rng, 3, 1), 3, 4, name="size-1 dim"),
        _s(randn(rng, 3, 1), (2, -1, 4), name="new leading dim, -1 keeps"),
        _s(randn(rng), 2, 3, name="0-d"),
        _s(randn(rng, 1, 4), 0, 4, name="to empty"),
        _s(noncontiguous(randn(rng, 1, 3)), 2, 3, name="non-contiguous"),
    ]


def _expand_ref(x, *sizes):
    sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], tuple) else sizes
    lead = len(sizes) - x.ndim
    target = [x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes)]
    return np.broadcast_to(x, target)


def _expand_errors(rng):
    x = randn(rng, 3, 4)
    return [
        _err((x, 2, 4), RuntimeError,
             r"expanded size of the tensor \(2\) must match the existing size \(3\) at "
             r"non-singleton dimension 0"),
        _err((x, -1, 3, 4), RuntimeError, "isn't allowed in a leading, non-existing dimension 0"),
        _err((x, 4), RuntimeError, r"number of sizes provided \(1\) must be greater or equal"),
    ]


def _permute_samples(rng):
    return [
        _s(randn(rng, 2, 3, 4), 2, 0, 1, name="varargs"),
        _s(randn(rng, 2, 3, 4), (-1, 0, 1), name="tuple, negative"),
        _s(noncontiguous(randn(rng, 3, 4)), 1, 0, name="non-contiguous"),
        _s(randn(rng), (), name="0-d"),
    ]


def _permute_ref(x, *dims):
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], tuple) else dims
    return np.transpose(x, dims)


def _transpose_samples(rng):
    return [
        _s(randn(rng, 2, 3, 4), 0, 2),
        _s(randn(rng, 2, 3, 4), -1, 1, name="negative"),
        _s(randn(rng, 3), 0, 0, name="same dim"),
    ]


def _movedim_samples(rng):
    x = randn(rng, 2, 3, 4)
    return [
        _s(x, 0, -1, name="int"),
        _s(x, (0, 1), (2, 0), name="tuple"),
        _s(x, (2,), (0,), name="1-tuple"),
    ]


def _matrices(rng):
    return [
        _s(randn(rng, 3, 4), name="2-d"),
        _s(noncontiguous(randn(rng, 4, 3)), name="non-contiguous"),
    ]


def _batched_matrices(rng):
    return _matrices(rng) + [_s(randn(rng, 2, 3, 4), name="batched")]


# ---- repetition -------------------------------------------------------------------------------


def _repeat_samples(rng):
    return [
        _s(randn(rng, 2, 3), 2, 1, name="same ndim"),
        _s(randn(rng, 2, 3), (2, 1, 3), name="new leading dim"),
        _s(randn(rng), 3, name="0-d"),
        _s(randn(rng, 2, 3), 0, 2, name="zero repeats"),
    ]


def _tile_samples(rng):
    return [
        _s(randn(rng, 2, 3), (2,), name="short dims pad on the left"),
        _s(randn(rng, 2, 3), (2, 1, 2), name="long dims"),
    ]


def _repeat_interleave_samples(rng):
    return [
        _s(randn(rng, 2, 3), 2, name="flattened"),
        _s(randn(rng, 2, 3), 3, dim=1, name="int, dim"),
        _s(randn(rng, 3, 2), ember.tensor([1, 0, 2]), dim=0, name="tensor repeats"),
        _s(randn(rng, 3, 2), ember.tensor([2]), dim=-1, name="one-element tensor"),
    ]


def _repeat_interleave_ref(x, repeats, dim=None):
    if isinstance(repeats, ember.Tensor):
        repeats = repeats.numpy()
    return np.repeat(x, repeats, axis=dim)


def _repeat_interleave_errors(rng):
    x = randn(rng, 3, 4)
    return [
        _err((x, ember.tensor([1, 2])), RuntimeError, r"repeats must have the same size as "
             r"input along dim, but got repeats.size\(0\) = 2 and input.size\(0\) = 12"),
        _err((x, ember.tensor([1, -1, 2]), 0), RuntimeError, "repeats can not be negative"),
        _err((x, -1), RuntimeError, "repeats must be non-negative"),
        _err((x, ember.tensor([1.0, 2.0, 3.0]), 0), NotImplementedError, "integer tensor"),
    ]


# ---- joining ----------------------------------------------------------------------------------


# cat, stack... take one sequence of tensors; the table passes the tensors as separate args
# (the runner turns top-level arrays into tensors) and ``_seq`` gathers them again.


def _seq(fn):
    return lambda *tensors, **kwargs: fn(list(tensors), **kwargs)


def _cat_samples(rng):
    return [
        _s(randn(rng, 2, 3), randn(rng, 1, 3), name="dim 0"),
        _s(randn(rng, 2, 3), randn(rng, 2, 1), randn(rng, 2, 2), dim=1, name="dim 1, three"),
        _s(randn(rng, 2, 3), noncontiguous(randn(rng, 3, 2)).T, dim=-1, name="non-contiguous"),
        _s(randn(rng, 4), name="one tensor"),
        # (gradcheck cannot take a 0-element input: its numerical Jacobian has no rows)
        _s(randn(rng, 0), randn(rng, 2, 3), dim=1, grad_args=(1,), name="legacy empty skipped"),
    ]


def _cat_ref(tensors, dim=0):
    return np.concatenate([t for t in tensors if not (t.ndim == 1 and t.size == 0)], axis=dim)


def _cat_int(rng):
    return [_s(_ints(rng, 2, 3), _ints(rng, 2, 3), dim=1, name="int64")]


def _cat_errors(rng):
    return [
        _err((), ValueError, "expected a non-empty list of Tensors"),
        _err((randn(rng),), RuntimeError, r"zero-dimensional tensor \(at position 0\)"),
        _err((randn(rng, 2, 3), randn(rng, 3)), RuntimeError,
             "Tensors must have same number of dimensions: got 2 and 1"),
        _err((randn(rng, 3, 4), randn(rng, 2, 3)), RuntimeError,
             r"cat: Sizes of tensors must match except in dimension 1. Expected size 3 but got "
             r"size 2 for tensor number 1 in the list.", dim=1),
        _err((randn(rng, 3, 4),), IndexError, "Dimension out of range", dim=2),
    ]


def _stack_samples(rng):
    return [
        _s(randn(rng, 2, 3), randn(rng, 2, 3), name="dim 0"),
        _s(randn(rng, 2, 3), randn(rng, 2, 3), randn(rng, 2, 3), dim=-1, name="last"),
        _s(randn(rng), randn(rng), name="0-d"),
        _s(noncontiguous(randn(rng, 3, 2)), randn(rng, 3, 2), dim=1, name="non-contiguous"),
    ]


def _stack_errors(rng):
    return [
        _err((), RuntimeError, "stack expects a non-empty TensorList"),
        _err((randn(rng, 3, 4), randn(rng, 3, 5)), RuntimeError,
             r"stack expects each tensor to be equal size, but got \[3, 4\] at entry 0 and "
             r"\[3, 5\] at entry 1"),
        _err((randn(rng, 3, 4),), IndexError, "Dimension out of range", dim=3),
    ]


def _stack_family_samples(rng):
    return [
        _s(randn(rng, 3), randn(rng, 3), name="1-d"),
        _s(randn(rng, 2, 3), randn(rng, 2, 3), name="2-d"),
        _s(randn(rng, 2, 3, 2), randn(rng, 2, 3, 2), name="3-d"),
        _s(randn(rng), randn(rng, 1), name="0-d and 1-d"),
    ]


def _column_stack_samples(rng):
    return [
        _s(randn(rng, 3), randn(rng, 3, 2), randn(rng, 3), name="1-d and 2-d"),
        _s(randn(rng), randn(rng), name="0-d"),
    ]


def _block_diag_samples(rng):
    return [
        _s(randn(rng, 2, 2), randn(rng, 1, 3), name="matrices"),
        _s(randn(rng, 2), randn(rng), randn(rng, 2, 1), name="1-d, 0-d, 2-d"),
    ]


# ---- splitting and slicing --------------------------------------------------------------------


def _split_samples(rng):
    return [
        _s(randn(rng, 5, 2), 2, name="size 2 (last smaller)"),
        _s(randn(rng, 3, 4), [1, 3], 1, name="sizes"),
        _s(randn(rng, 3, 4), 4, -1, name="one piece"),
        _s(randn(rng, 3, 4), [0, 3, 0], 0, name="empty pieces"),
    ]


def _split_ref(x, spec, dim=0):
    n = x.shape[dim]
    if isinstance(spec, int):
        cuts = list(range(spec, n, spec))
    else:
        cuts = list(np.cumsum(spec)[:-1])
    return tuple(np.split(x, cuts, axis=dim))


def _split_errors(rng):
    x = randn(rng, 3, 4)
    return [
        _err((x, [1, 1]), RuntimeError,
             r"split_with_sizes expects split_sizes to sum exactly to 3 \(input tensor's size at "
             r"dimension 0\), but got split_sizes=\[1, 1\]"),
        _err((x, 0), RuntimeError, "split_size can only be 0 if dimension size is 0"),
        _err((x, -1), RuntimeError, "split expects split_size be non-negative"),
    ]


def _chunk_samples(rng):
    return [
        _s(randn(rng, 10), 4, name="10 into 4: 3,3,3,1"),
        _s(randn(rng, 6, 2), 4, name="6 into 4 gives 3 chunks"),
        _s(randn(rng, 2, 6), 3, 1, name="even"),
    ]


def _chunk_ref(x, chunks, dim=0):
    n = x.shape[dim]
    size = -(-n // chunks)
    return tuple(np.split(x, list(range(size, n, size)), axis=dim))


def _tensor_split_samples(rng):
    return [
        _s(randn(rng, 7), 3, name="sections: 3,2,2"),
        _s(randn(rng, 2, 7), [1, 5], 1, name="indices"),
        _s(randn(rng, 6), ember.tensor(4), name="0-d tensor sections"),
        # these give empty pieces, so they come after the three that gradgradcheck takes
        _s(randn(rng, 10), [5, 2], name="unsorted indices overlap"),
        _s(randn(rng, 6), [-2, 20], name="negative and past the end"),
    ]


def _tensor_split_ref(x, spec, dim=0):
    if isinstance(spec, ember.Tensor):
        spec = spec.item() if spec.ndim == 0 else spec.tolist()
    return tuple(np.array_split(x, spec, axis=dim))


def _unbind_samples(rng):
    return [
        _s(randn(rng, 3, 2), name="dim 0"),
        _s(randn(rng, 2, 3, 2), 1, name="dim 1"),
        _s(randn(rng, 2, 3), -1, name="last"),
    ]


def _select_samples(rng):
    return [
        _s(randn(rng, 3, 4), 0, 1),
        _s(randn(rng, 3, 4), 1, -1, name="negative index"),
        _s(randn(rng, 2, 3, 4), -2, 2, name="negative dim"),
    ]


def _select_errors(rng):
    return [
        _err((randn(rng, 3, 4), 0, 5), IndexError,
             r"select\(\): index 5 out of range for tensor of size \[3, 4\] at dimension 0"),
        _err((randn(rng), 0, 0), IndexError, "cannot be applied to a 0-dim tensor"),
    ]


def _narrow_samples(rng):
    return [
        _s(randn(rng, 3, 5), 1, 1, 3),
        _s(randn(rng, 3, 5), 0, -2, 2, name="negative start"),
        _s(noncontiguous(randn(rng, 5, 3)), 0, 1, 3, name="non-contiguous"),
        # (after the first three: gradgradcheck cannot take 0-element grad_outputs)
        _s(randn(rng, 3, 5), 1, 5, 0, name="empty at the end"),
    ]


def _narrow_ref(x, dim, start, length):
    start = start + x.shape[dim] if start < 0 else start
    return np.take(x, np.arange(start, start + length), axis=dim)


def _narrow_errors(rng):
    return [
        _err((randn(rng, 3, 4), 1, 3, 2), RuntimeError,
             r"start \(3\) \+ length \(2\) exceeds dimension size \(4\)"),
        _err((randn(rng, 3, 4), 1, 0, -1), RuntimeError, "length must be non-negative"),
    ]


# ---- reordering -------------------------------------------------------------------------------


def _flip_samples(rng):
    return [
        _s(randn(rng, 3, 4), 0),
        _s(randn(rng, 2, 3, 4), (0, 2), name="two dims"),
        _s(randn(rng, 3, 4), -1, 0, name="varargs"),
        _s(noncontiguous(randn(rng, 4, 3)), 1, name="non-contiguous"),
    ]


def _roll_samples(rng):
    return [
        _s(randn(rng, 3, 4), 1, name="flattened"),
        _s(randn(rng, 3, 4), -1, 1, name="one dim"),
        _s(randn(rng, 3, 4), (1, 5), (0, 1), name="two dims, shift past size"),
    ]


def _roll_errors(rng):
    return [_err((randn(rng, 3, 4), (1, 2), (0,)), RuntimeError,
                 "shifts and dimensions must align. shifts: 2, dims:1")]


def _rot90_samples(rng):
    return [
        _s(randn(rng, 3, 4), name="default"),
        _s(randn(rng, 3, 4), 2, name="k=2"),
        _s(randn(rng, 3, 4), -1, name="k=-1"),
        _s(randn(rng, 2, 3, 4), 1, (2, 0), name="other plane"),
    ]


# ---- triangles and diagonals ------------------------------------------------------------------


def _tri_samples(rng):
    return [
        _s(randn(rng, 4, 4), name="square"),
        _s(randn(rng, 3, 5), 1, name="diagonal=1"),
        _s(randn(rng, 2, 4, 3), -1, name="batched, diagonal=-1"),
    ]


def _tri_errors(rng):
    return [_err((randn(rng, 3),), RuntimeError, "must have at least 2 dimensions")]


def _diag_samples(rng):
    return [
        _s(randn(rng, 3), name="1-d"),
        _s(randn(rng, 3), 1, name="1-d, above"),
        _s(randn(rng, 3, 4), name="2-d"),
        _s(randn(rng, 3, 4), -1, name="2-d, below"),
        _s(randn(rng, 3, 4), 5, name="2-d, empty"),
    ]


def _diagonal_samples(rng):
    return [
        _s(randn(rng, 3, 4), name="main"),
        _s(randn(rng, 3, 4), 2, name="offset"),
        _s(randn(rng, 2, 3, 4), -1, 2, 0, name="batched planes"),
        _s(noncontiguous(randn(rng, 4, 3)), 1, name="non-contiguous"),
    ]


def _diag_embed_samples(rng):
    return [
        _s(randn(rng, 3), name="1-d"),
        _s(randn(rng, 2, 3), 1, name="batched, offset"),
        _s(randn(rng, 2, 3), -1, 0, 2, name="other dims"),
    ]


def _diag_embed_ref(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), dtype=x.dtype)
    idx = np.arange(x.shape[-1])
    out[..., idx + max(-offset, 0), idx + max(offset, 0)] = x
    ndim = x.ndim + 1
    return np.moveaxis(out, (-2, -1), (dim1 % ndim, dim2 % ndim))


def _diag_errors(rng):
    return [_err((randn(rng, 2, 3, 4),), RuntimeError, "Supports 1D or 2D tensors. Got 3D")]


# ---- grids and padding ------------------------------------------------------------------------


def _meshgrid_samples(rng):
    return [
        _s(randn(rng, 2), randn(rng, 3), name="two"),
        _s(randn(rng, 2), randn(rng, 3), randn(rng, 2), name="three"),
        _s(randn(rng), randn(rng, 3), name="0-d"),
    ]


def _meshgrid_ref(indexing):
    return lambda *xs: tuple(np.meshgrid(*[np.atleast_1d(x) for x in xs], indexing=indexing))


def _cartesian_ref(*xs):
    grids = np.meshgrid(*xs, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def _atleast_samples(rng):
    return [
        _s(randn(rng), name="0-d"),
        _s(randn(rng, 3), name="1-d"),
        _s(randn(rng, 2, 3), name="2-d"),
        _s(randn(rng, 2, 1, 3), name="3-d"),
    ]


OPS = [
    # views of the whole tensor
    OpInfo("view", lambda x, *s: x.view(*s), lambda x, *s: x.reshape(*s), _view_samples,
           errors=_view_errors),
    OpInfo("reshape", ember.reshape, lambda x, *s: np.reshape(x, s[0] if len(s) == 1 else s),
           _reshape_samples, method="reshape"),
    OpInfo("view_as", lambda x, y: x.view_as(y), lambda x, y: x.reshape(y.shape),
           lambda rng: [_s(randn(rng, 3, 4), randn(rng, 2, 6), grad_args=(0,))]),
    OpInfo("reshape_as", lambda x, y: x.reshape_as(y), lambda x, y: x.reshape(y.shape),
           lambda rng: [_s(noncontiguous(randn(rng, 4, 3)), randn(rng, 12), grad_args=(0,))]),
    OpInfo("flatten", ember.flatten, _flatten_ref,
           lambda rng: [_s(randn(rng, 2, 3, 4)), _s(randn(rng, 2, 3, 4), 1),
                        _s(randn(rng, 2, 3, 4, 2), 1, 2, name="middle"),
                        _s(randn(rng), name="0-d"),
                        _s(noncontiguous(randn(rng, 4, 3)), name="non-contiguous")],
           method="flatten",
           errors=lambda rng: [_err((randn(rng, 2, 3), 1, 0), RuntimeError,
                                    "start_dim cannot come after end_dim")]),
    OpInfo("unflatten", ember.unflatten, lambda x, d, s: x.reshape(
               x.shape[:d % x.ndim] + tuple(
                   x.shape[d] // -np.prod(s) if v == -1 else v for v in s)
               + x.shape[d % x.ndim + 1:]),
           lambda rng: [_s(randn(rng, 2, 12), 1, (3, 4)), _s(randn(rng, 2, 12), -1, (2, -1, 3)),
                        _s(randn(rng, 6, 2), 0, (6,), name="one size")],
           method="unflatten",
           errors=lambda rng: [_err((randn(rng, 3, 4), 1, (2, 3)), RuntimeError,
                                    r"unflatten: Provided sizes \[2, 3\] don't multiply up to "
                                    r"the size of dim 1 \(4\)")]),
    OpInfo("ravel", ember.ravel, np.ravel,
           lambda rng: [_s(randn(rng, 3, 4)), _s(noncontiguous(randn(rng, 4, 3))),
                        _s(randn(rng))],
           method="ravel"),
    OpInfo("squeeze", ember.squeeze, _squeeze_ref, _squeeze_samples, method="squeeze"),
    OpInfo("unsqueeze", ember.unsqueeze, np.expand_dims,
           lambda rng: [_s(randn(rng, 3, 4), 0), _s(randn(rng, 3, 4), -1),
                        _s(randn(rng, 3, 4), 1), _s(randn(rng), 0, name="0-d")],
           method="unsqueeze",
           errors=lambda rng: [_err((randn(rng, 2, 3), 3), IndexError,
                                    r"expected to be in range of \[-3, 2\], but got 3")]),
    OpInfo("expand", lambda x, *s: x.expand(*s), _expand_ref, _expand_samples,
           errors=_expand_errors),
    OpInfo("expand_as", lambda x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape),
           lambda rng: [_s(randn(rng, 3, 1), randn(rng, 2, 3, 4), grad_args=(0,))]),
    OpInfo("broadcast_to", ember.broadcast_to, np.broadcast_to,
           lambda rng: [_s(randn(rng, 3, 1), (2, 3, 4)), _s(randn(rng, 4), (3, 4))],
           method="broadcast_to"),
    OpInfo("broadcast_tensors", ember.broadcast_tensors, np.broadcast_arrays,
           lambda rng: [_s(randn(rng, 3, 1), randn(rng, 4)),
                        _s(randn(rng, 2, 1, 1), randn(rng, 3, 1), randn(rng))],
           errors=lambda rng: [_err((randn(rng, 2, 3), randn(rng, 4)), RuntimeError,
                                    r"size of tensor a \(3\) must match the size of tensor b "
                                    r"\(4\) at non-singleton dimension 1")]),
    OpInfo("permute", ember.permute, _permute_ref, _permute_samples, method="permute",
           errors=lambda rng: [
               _err((randn(rng, 3, 4), 0, 1, 2), RuntimeError,
                    r"input.dim\(\) = 2 is not equal to len\(dims\) = 3"),
               _err((randn(rng, 3, 4), 0, 0), RuntimeError, "duplicate dims are not allowed")]),
    OpInfo("transpose", ember.transpose, np.swapaxes, _transpose_samples, method="transpose"),
    OpInfo("swapaxes", ember.swapaxes, np.swapaxes, _transpose_samples, method="swapaxes"),
    OpInfo("swapdims", ember.swapdims, np.swapaxes, _transpose_samples, method="swapdims"),
    OpInfo("t", ember.t, lambda x: x.T,
           lambda rng: [_s(randn(rng, 3, 4)), _s(randn(rng, 3)), _s(randn(rng))], method="t",
           errors=lambda rng: [_err((randn(rng, 2, 3, 4),), RuntimeError,
                                    "t\\(\\) expects a tensor with <= 2 dimensions, but self is "
                                    "3D")]),
    OpInfo("T", lambda x: x.T, lambda x: x.T,
           lambda rng: [_s(randn(rng, 3, 4)), _s(randn(rng, 2, 3, 4)), _s(randn(rng, 3))]),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -2, -1), _batched_matrices,
           errors=lambda rng: [_err((randn(rng, 3),), RuntimeError,
                                    "mT is only supported on matrices or batches of matrices")]),
    OpInfo("H", lambda x: x.H, lambda x: x.T, _matrices,
           errors=lambda rng: [_err((randn(rng, 2, 3, 4),), RuntimeError,
                                    r"tensor.H is only supported on matrices \(2-D tensors\). "
                                    "Got 3-D tensor.")]),
    OpInfo("mH", lambda x: x.mH, lambda x: np.swapaxes(x, -2, -1), _batched_matrices),
    OpInfo("adjoint", ember.adjoint, lambda x: np.swapaxes(x, -2, -1), _batched_matrices,
           method="adjoint"),
    OpInfo("movedim", ember.movedim, np.moveaxis, _movedim_samples, method="movedim",
           errors=lambda rng: [
               _err((randn(rng, 2, 3), (0, 1), (0,)), RuntimeError,
                    r"movedim: Invalid source or destination dims: source \(\[0, 1\] dims\) "
                    r"should contain the same number of dims as destination \(\[0\] dims\)"),
               _err((randn(rng, 2, 3), (0, 0), (0, 1)), RuntimeError,
                    r"movedim: repeated dim in `source` \(\[0, 0\]\)")]),
    OpInfo("moveaxis", ember.moveaxis, np.moveaxis, _movedim_samples, method="moveaxis"),
    # repetition
    OpInfo("repeat", lambda x, *r: x.repeat(*r),
           lambda x, *r: np.tile(x, r[0] if len(r) == 1 and isinstance(r[0], tuple) else r),
           _repeat_samples,
           errors=lambda rng: [_err((randn(rng, 2, 3), 2), RuntimeError,
                                    "Number of dimensions of repeat dims can not be smaller")]),
    OpInfo("tile", ember.tile, np.tile, _tile_samples, method="tile"),
    OpInfo("repeat_interleave", ember.repeat_interleave, _repeat_interleave_ref,
           _repeat_interleave_samples, method="repeat_interleave",
           errors=_repeat_interleave_errors),
    # joining
    OpInfo("cat", _seq(ember.cat), _seq(_cat_ref), _cat_samples, int_samples=_cat_int,
           errors=_cat_errors),
    OpInfo("concat", _seq(ember.concat), _seq(_cat_ref), _cat_samples),
    OpInfo("concatenate", _seq(ember.concatenate), _seq(np.concatenate),
           lambda rng: [_s(randn(rng, 2, 3), randn(rng, 2, 2), axis=1)]),
    OpInfo("stack", _seq(ember.stack), lambda *ts, dim=0: np.stack(ts, axis=dim),
           _stack_samples, errors=_stack_errors),
    OpInfo("hstack", _seq(ember.hstack), _seq(np.hstack), _stack_family_samples),
    OpInfo("vstack", _seq(ember.vstack), _seq(np.vstack), _stack_family_samples),
    OpInfo("row_stack", _seq(ember.row_stack), _seq(np.vstack), _stack_family_samples),
    OpInfo("dstack", _seq(ember.dstack), _seq(np.dstack), _stack_family_samples),
    OpInfo("column_stack", _seq(ember.column_stack), _seq(np.column_stack),
           _column_stack_samples),
    OpInfo("block_diag", ember.block_diag, scipy.linalg.block_diag, _block_diag_samples),
    # splitting and slicing (tuples of views)
    OpInfo("split", ember.split, _split_ref, _split_samples, method="split",
           errors=_split_errors),
    OpInfo("chunk", ember.chunk, _chunk_ref, _chunk_samples, method="chunk",
           errors=lambda rng: [_err((randn(rng, 3), 0), RuntimeError,
                                    "chunk expects `chunks` to be greater than 0, got: 0")]),
    OpInfo("tensor_split", ember.tensor_split, _tensor_split_ref, _tensor_split_samples,
           method="tensor_split"),
    OpInfo("hsplit", ember.hsplit, np.hsplit,
           lambda rng: [_s(randn(rng, 3, 4), 2), _s(randn(rng, 6), [1, 4])], method="hsplit",
           errors=lambda rng: [_err((randn(rng, 3, 4), 3), RuntimeError,
                                    "the size of the dimension 4 is not divisible by the "
                                    "split_size 3")]),
    OpInfo("vsplit", ember.vsplit, np.vsplit, lambda rng: [_s(randn(rng, 4, 3), 2)],
           method="vsplit"),
    OpInfo("dsplit", ember.dsplit, np.dsplit, lambda rng: [_s(randn(rng, 2, 1, 4), [3])],
           method="dsplit"),
    OpInfo("unbind", ember.unbind, lambda x, dim=0: tuple(np.moveaxis(x, dim, 0)),
           _unbind_samples, method="unbind"),
    OpInfo("select", ember.select, lambda x, d, i: np.take(x, i, axis=d), _select_samples,
           method="select", errors=_select_errors),
    OpInfo("narrow", ember.narrow, _narrow_ref, _narrow_samples, method="narrow",
           errors=_narrow_errors),
    # reordering
    OpInfo("flip", ember.flip,
           lambda x, *d: np.flip(x, d[0] if len(d) == 1 and isinstance(d[0], tuple) else d),
           _flip_samples, method="flip",
           errors=lambda rng: [_err((randn(rng, 3, 4), (0, 0)), RuntimeError,
                                    "dim 0 appears multiple times in the list of dims")]),
    OpInfo("fliplr", ember.fliplr, np.fliplr, _matrices, method="fliplr",
           errors=lambda rng: [_err((randn(rng, 3),), RuntimeError, "Input must be >= 2-d")]),
    OpInfo("flipud", ember.flipud, np.flipud,
           lambda rng: [_s(randn(rng, 3)), _s(randn(rng, 3, 4))], method="flipud"),
    OpInfo("roll", ember.roll, lambda x, s, d=None: np.roll(x, s, axis=d), _roll_samples,
           method="roll", errors=_roll_errors),
    OpInfo("rot90", ember.rot90, lambda x, k=1, d=(0, 1): np.rot90(x, k, axes=d), _rot90_samples,
           method="rot90",
           errors=lambda rng: [_err((randn(rng, 3, 4), 1, (0, 0)), RuntimeError,
                                    "expected rotation dims to be different")]),
    # triangles and diagonals
    OpInfo("tril", ember.tril, np.tril, _tri_samples, method="tril", errors=_tri_errors,
           int_samples=lambda rng: [_s(_ints(rng, 3, 3), name="int64"),
                                    _s(_ints(rng, 3, 3) > 0, 1, name="bool")]),
    OpInfo("triu", ember.triu, np.triu, _tri_samples, method="triu", errors=_tri_errors),
    OpInfo("diag", ember.diag, np.diag, _diag_samples, method="diag", errors=_diag_errors),
    OpInfo("diagonal", ember.diagonal, np.diagonal, _diagonal_samples, method="diagonal",
           errors=lambda rng: [_err((randn(rng, 3, 4), 0, 1, 1), RuntimeError,
                                    "diagonal dimensions cannot be identical 1, 1")]),
    OpInfo("diag_embed", ember.diag_embed, _diag_embed_ref, _diag_embed_samples,
           method="diag_embed"),
    OpInfo("diagflat", ember.diagflat, np.diagflat,
           lambda rng: [_s(randn(rng, 2, 2)), _s(randn(rng, 3), -1)], method="diagflat"),
    # grids and padding
    OpInfo("meshgrid_ij", lambda *xs: ember.meshgrid(*xs, indexing="ij"), _meshgrid_ref("ij"),
           _meshgrid_samples,
           errors=lambda rng: [_err((randn(rng, 2, 2), randn(rng, 3)), RuntimeError,
                                    "Expected 0D or 1D tensor")]),
    OpInfo("meshgrid_xy", lambda *xs: ember.meshgrid(*xs, indexing="xy"), _meshgrid_ref("xy"),
           _meshgrid_samples),
    OpInfo("cartesian_prod", ember.cartesian_prod, _cartesian_ref,
           lambda rng: [_s(randn(rng, 2), randn(rng, 3)),
                        _s(randn(rng, 2), randn(rng, 1), randn(rng, 2))]),
    OpInfo("atleast_1d", ember.atleast_1d, np.atleast_1d, _atleast_samples),
    OpInfo("atleast_2d", ember.atleast_2d, np.atleast_2d, _atleast_samples),
    OpInfo("atleast_3d", ember.atleast_3d, np.atleast_3d, _atleast_samples),
]
