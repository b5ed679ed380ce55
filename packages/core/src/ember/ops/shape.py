"""Shape and layout: views, joins and splits, reorderings, repetition, triangles and diagonals.

Views. Where PyTorch returns a view (``view``, ``reshape`` when the layout allows, ``permute``,
``transpose``, ``squeeze``, ``unsqueeze``, ``flatten``, ``expand``, ``select``, ``narrow``,
``split``, ``chunk``, ``unbind``, ``diagonal``, ``movedim``, ``T``...), the result here is made
with ``_make_view``: it shares memory and the version counter with its base, so a write through
either one is seen by the other and by autograd's saved-tensor checks. Ops that copy in PyTorch
(``flip``, ``roll``, ``rot90``, ``repeat``, ``cat``, ``diag``...) copy here too, even where NumPy
could give a view, so that writing into their result never changes the input.

Gradients. Every op here is linear, so each backward is another op of this module, written with
differentiable Ember ops: reshape's is a reshape, permute's the inverse permute, expand's a sum,
cat's a split (and split's a cat), slicing's a zero-padded embedding. Higher-order gradients
therefore come for free, and nothing here depends on the other op families.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Size, Tensor, _make, _make_view
from ..autograd.function import Function
from ._util import inplace, normalize_dim, register_methods, unbroadcast, xp_of

__all__ = [
    "reshape",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "adjoint",
    "movedim",
    "moveaxis",
    "squeeze",
    "unsqueeze",
    "flatten",
    "unflatten",
    "ravel",
    "broadcast_to",
    "broadcast_tensors",
    "broadcast_shapes",
    "tile",
    "repeat_interleave",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "row_stack",
    "dstack",
    "column_stack",
    "split",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "chunk",
    "unbind",
    "select",
    "narrow",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
    "tril",
    "triu",
    "diag",
    "diagonal",
    "diag_embed",
    "diagflat",
    "meshgrid",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "block_diag",
    "cartesian_prod",
]


# ---------------------------------------------------------------------------------------------
# Argument parsing shared by the ops
# ---------------------------------------------------------------------------------------------


def _int(value, op: str, what: str) -> int:
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{op}(): {what} must be an int, but got {type(value).__name__}")
    return int(value)


def _ints(args, op: str, what: str = "argument 'size'") -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)`` all give ``(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Tensor)):
        args = args[0]
        if isinstance(args, Tensor):
            args = args.tolist() if args.ndim else [args.item()]
    for s in args:  # the common case, plain ints, without per-element checks
        if type(s) is not int:
            return tuple(_int(s, op, what) for s in args)
    return tuple(args)


def _dims(dims, ndim: int, op: str) -> tuple[int, ...]:
    """A sequence of dims wrapped to ``[0, ndim)``, in the order given, without repeats."""
    out = tuple(normalize_dim(_int(d, op, "dim"), ndim, op) for d in dims)
    if len(set(out)) != len(out):
        repeated = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"{op}: dim {repeated} appears multiple times in the list of dims")
    return out


def _infer_shape(shape: tuple, numel: int, op: str) -> tuple:
    """``shape`` with its one ``-1`` replaced by the size that keeps ``numel`` elements."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError(f"{op}: only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(
                f"{op}: invalid shape dimension {s} at index {i} of shape {list(shape)}"
            )
        else:
            known *= s
    if infer is None:
        if known == numel:
            return shape
    elif known != 0 and numel % known == 0:
        return shape[:infer] + (numel // known,) + shape[infer + 1 :]
    raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")


def _view_strides(old_shape, old_strides, new_shape):
    """The strides (in bytes) that show ``new_shape`` over the same memory, or None when no
    such view exists. This is PyTorch's ``computeStride``: the old dims are cut into chunks of
    memory-contiguous dims, and each chunk must be exactly covered by consecutive new dims."""
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (
            old_shape[tensor_d - 1] != 1
            and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride
        ):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def _reshape_array(data, shape, op: str, copy_ok: bool):
    """``(array, is_view)``: a view of ``data`` in ``shape`` when the layout allows it, else
    (``reshape``) a C-contiguous copy or (``view``) PyTorch's error."""
    if data.flags.c_contiguous or data.size == 0:
        return data.reshape(shape), True
    strides = _view_strides(data.shape, data.strides, shape)
    if strides is not None:
        return xp_of(data).lib.stride_tricks.as_strided(data, shape, strides), True
    if not copy_ok:
        raise RuntimeError(
            f"{op}: view size is not compatible with input tensor's size and stride (at least "
            f"one dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return xp_of(data).ascontiguousarray(data).reshape(shape), False


def _diag_view(data, offset: int, dim1: int, dim2: int):
    """A writable view of the ``offset`` diagonal of the planes (dim1, dim2): the other dims in
    order, then the diagonal (``np.diagonal`` gives the same layout, but read-only)."""
    n1, n2 = data.shape[dim1], data.shape[dim2]
    key = [slice(None)] * data.ndim
    if offset >= 0:
        length = max(min(n1, n2 - offset), 0)
        key[dim2] = slice(min(offset, n2), None)
    else:
        length = max(min(n1 + offset, n2), 0)
        key[dim1] = slice(min(-offset, n1), None)
    start = data[tuple(key)]
    keep = [i for i in range(data.ndim) if i != dim1 and i != dim2]
    shape = tuple(data.shape[i] for i in keep) + (length,)
    strides = tuple(start.strides[i] for i in keep) + (start.strides[dim1] + start.strides[dim2],)
    return xp_of(data).lib.stride_tricks.as_strided(start, shape, strides)


def _cast_grad(g: Tensor, np_dtype) -> Tensor:
    if g._data.dtype == np_dtype:
        return g
    from .convert import to_dtype

    return to_dtype(g, np_dtype)


def _promoted(tensors) -> np.dtype:
    """PyTorch's dtype for joining tensors (cat, stack, block_diag): pairwise promotion."""
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return first
    result = dt.from_numpy_dtype(first)
    for t in tensors[1:]:
        result = dt._PROMOTION[result, dt.from_numpy_dtype(t._data.dtype)]
    return result.np_dtype


def _same_device(tensors, op: str) -> None:
    kind = type(tensors[0]._data)
    for t in tensors[1:]:
        if type(t._data) is not kind:
            raise RuntimeError(
                f"{op}: Expected all tensors to be on the same device, but found at least two "
                f"devices, {tensors[0].device} and {t.device}!"
            )


# ---------------------------------------------------------------------------------------------
# The primitive Functions. Each is linear; its backward is another of them.
# ---------------------------------------------------------------------------------------------


class _Reshape(Function):
    """view / reshape / flatten / squeeze / unsqueeze / unflatten: same elements, new shape."""

    @staticmethod
    def forward(ctx, x, shape, op, copy_ok):
        data = x._data
        ctx.in_shape = data.shape
        out, is_view = _reshape_array(data, shape, op, copy_ok)
        return _make_view(out, x) if is_view else out

    @staticmethod
    def backward(ctx, grad):
        return _Reshape.apply(grad, ctx.in_shape, "reshape", True), None, None, None


class _Permute(Function):
    @staticmethod
    def forward(ctx, x, perm):
        ctx.perm = perm
        return _make_view(x._data.transpose(perm), x)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.perm)
        for i, p in enumerate(ctx.perm):
            inverse[p] = i
        return _Permute.apply(grad, tuple(inverse)), None


class _Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return _make_view(xp_of(x._data).broadcast_to(x._data, shape), x)

    @staticmethod
    def backward(ctx, grad):
        # broadcasting copies each element to several places: the gradient sums them back
        return unbroadcast(grad, ctx.in_shape), None


class _Slice(Function):
    """Basic indexing with a tuple of ints and slices (select, narrow, block_diag's backward)."""

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape = x._data.shape
        ctx.key = key
        return _make_view(x._data[key], x)

    @staticmethod
    def backward(ctx, grad):
        return _Embed.apply(grad, ctx.in_shape, ctx.key), None


class _Embed(Function):
    """Zeros of ``shape`` with ``x`` written at ``key``: the adjoint of slicing."""

    @staticmethod
    def forward(ctx, x, shape, key):
        ctx.key = key
        out = xp_of(x._data).zeros(shape, dtype=x._data.dtype)
        out[key] = x._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return _Slice.apply(grad, ctx.key), None, None


def _record_out_meta(ctx, outs, data):
    # The engine sizes a multi-output node's gradient buffer from _out_meta and fills outputs
    # that received no gradient with zeros of that shape and dtype.
    xp = xp_of(data)
    ctx._out_meta = tuple((o._data.shape, o._data.dtype, xp) for o in outs)


class _Split(Function):
    """The pieces ``[start, stop)`` of ``x`` along ``dim``, as views (split, chunk,
    tensor_split, and cat's backward)."""

    @staticmethod
    def forward(ctx, x, dim, bounds):
        data = x._data
        lead = (slice(None),) * dim
        outs = tuple(_make_view(data[lead + (slice(a, b),)], x) for a, b in bounds)
        if ctx.needs_input_grad:
            ctx.in_shape, ctx.dim, ctx.bounds = data.shape, dim, bounds
            _record_out_meta(ctx, outs, data)
        return outs

    @staticmethod
    def backward(ctx, *grads):
        bounds, dim = ctx.bounds, ctx.dim
        ends = [0] + [b for _, b in bounds]
        tiles = all(a == end for (a, _), end in zip(bounds, ends))
        if tiles and ends[-1] == ctx.in_shape[dim]:
            # the pieces tile the input (split, chunk, monotonic tensor_split): join them
            if len(grads) == 1:
                return grads[0], None, None
            return _Cat.apply(*grads, dim=dim, np_dtype=grads[0]._data.dtype), None, None
        # overlapping or gapped pieces (tensor_split with unsorted indices): add embeddings
        lead = (slice(None),) * dim
        total = None
        for (a, b), g in zip(bounds, grads):
            part = _Embed.apply(g, ctx.in_shape, lead + (slice(a, b),))
            total = part if total is None else total + part
        return total, None, None


class _Unbind(Function):
    @staticmethod
    def forward(ctx, x, dim):
        data = x._data
        outs = tuple(_make_view(piece, x) for piece in xp_of(data).moveaxis(data, dim, 0))
        if ctx.needs_input_grad:
            ctx.dim = dim
            _record_out_meta(ctx, outs, data)
        return outs

    @staticmethod
    def backward(ctx, *grads):
        return _Stack.apply(*grads, dim=ctx.dim, np_dtype=grads[0]._data.dtype), None


def _is_legacy_empty(data) -> bool:
    # PyTorch's cat still skips 1-D tensors of size 0 whatever the other shapes are.
    return data.ndim == 1 and data.shape[0] == 0


class _Cat(Function):
    @staticmethod
    def forward(ctx, *tensors, dim, np_dtype):
        arrays = [t._data for t in tensors if not _is_legacy_empty(t._data)]
        if not arrays:
            arrays = [tensors[0]._data]
        arrays = [a if a.dtype == np_dtype else a.astype(np_dtype) for a in arrays]
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.meta = [(t._data.shape, t._data.dtype) for t in tensors]
        return xp_of(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.dim
        bounds, start = [], 0
        for shape, _ in ctx.meta:
            if len(shape) == 1 and shape[0] == 0:
                continue
            bounds.append((start, start + shape[dim]))
            start += shape[dim]
        pieces = list(_Split.apply(grad, dim, tuple(bounds))) if bounds else []
        grads = []
        for (shape, dtype), need in zip(ctx.meta, ctx.needs_input_grad):
            if len(shape) == 1 and shape[0] == 0:
                grads.append(_make(xp_of(grad._data).zeros(0, dtype=dtype)) if need else None)
            else:
                piece = pieces.pop(0)
                grads.append(_cast_grad(piece, dtype) if need else None)
        return tuple(grads)


class _Stack(Function):
    @staticmethod
    def forward(ctx, *tensors, dim, np_dtype):
        arrays = [
            t._data if t._data.dtype == np_dtype else t._data.astype(np_dtype) for t in tensors
        ]
        if ctx.needs_input_grad:
            ctx.dim = dim
            ctx.dtypes = [t._data.dtype for t in tensors]
        return xp_of(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        pieces = _Unbind.apply(grad, ctx.dim)
        return tuple(
            _cast_grad(g, dtype) if need else None
            for g, dtype, need in zip(pieces, ctx.dtypes, ctx.needs_input_grad)
        )


class _Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        # a copy, as in PyTorch (NumPy's flip is a view)
        return xp_of(x._data).flip(x._data, axis=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return _Flip.apply(grad, ctx.dims), None


class _Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x._data).roll(x._data, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if ctx.dims is not None else -ctx.shifts
        return _Roll.apply(grad, back, ctx.dims), None, None


class _Rot90(Function):
    @staticmethod
    def forward(ctx, x, k, dims):
        ctx.k, ctx.dims = k, dims
        return xp_of(x._data).rot90(x._data, k, axes=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return _Rot90.apply(grad, -ctx.k, ctx.dims), None, None


class _Triangle(Function):
    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = xp_of(x._data)
        return (xp.triu if upper else xp.tril)(x._data, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return _Triangle.apply(grad, ctx.diagonal, ctx.upper), None, None


class _Repeat(Function):
    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape, ctx.repeats = x._data.shape, repeats
        return xp_of(x._data).tile(x._data, repeats)

    @staticmethod
    def backward(ctx, grad):
        # out[r, s] = x[s] for each copy r: view the gradient as (r0, s0, r1, s1, ...) and sum
        # over the copies
        shape = ctx.in_shape
        padded = (1,) * (len(ctx.repeats) - len(shape)) + tuple(shape)
        split = tuple(v for r, s in zip(ctx.repeats, padded) for v in (r, s))
        ones = tuple(v for s in padded for v in (1, s))
        g = _Reshape.apply(grad, split, "repeat", True)
        g = unbroadcast(g, ones)
        return _Reshape.apply(g, tuple(shape), "repeat", True), None


class _RepeatInterleave(Function):
    """``xp.repeat`` along ``dim``. ``repeats`` is an int, or a host array of one count per
    slice (then the output is a gather, so that NumPy and CuPy run the same code)."""

    @staticmethod
    def forward(ctx, x, repeats, dim):
        ctx.in_shape, ctx.repeats, ctx.dim = x._data.shape, repeats, dim
        xp = xp_of(x._data)
        if isinstance(repeats, int):
            return xp.repeat(x._data, repeats, axis=dim)
        index = np.repeat(np.arange(len(repeats)), repeats)
        return xp.take(x._data, xp.asarray(index), axis=dim)

    @staticmethod
    def backward(ctx, grad):
        shape, repeats, dim = ctx.in_shape, ctx.repeats, ctx.dim
        if isinstance(repeats, int):
            # each element was copied ``repeats`` times in a row: sum the copies
            split = shape[:dim] + (shape[dim], repeats) + shape[dim + 1 :]
            ones = shape[:dim] + (shape[dim], 1) + shape[dim + 1 :]
            g = unbroadcast(_Reshape.apply(grad, split, "repeat_interleave", True), ones)
            return _Reshape.apply(g, shape, "repeat_interleave", True), None, None
        return _SegmentSum.apply(grad, repeats, dim), None, None


class _SegmentSum(Function):
    """Sums runs of ``repeats[i]`` consecutive slices along ``dim`` (repeat_interleave's
    adjoint)."""

    @staticmethod
    def forward(ctx, g, repeats, dim):
        ctx.repeats, ctx.dim = repeats, dim
        data = g._data
        xp = xp_of(data)
        shape = data.shape[:dim] + (len(repeats),) + data.shape[dim + 1 :]
        out = xp.zeros(shape, dtype=data.dtype)
        index = xp.asarray(np.repeat(np.arange(len(repeats)), repeats))
        xp.add.at(out, (slice(None),) * dim + (index,), data)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _RepeatInterleave.apply(grad, ctx.repeats, ctx.dim), None, None


class _DiagView(Function):
    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.in_shape, ctx.args = x._data.shape, (offset, dim1, dim2)
        return _make_view(_diag_view(x._data, offset, dim1, dim2), x)

    @staticmethod
    def backward(ctx, grad):
        return _DiagScatter.apply(grad, ctx.in_shape, *ctx.args), None, None, None


class _DiagScatter(Function):
    """Zeros of ``shape`` whose ``(offset, dim1, dim2)`` diagonal holds ``x`` (diag_embed, and
    the adjoint of diagonal)."""

    @staticmethod
    def forward(ctx, x, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = xp_of(x._data).zeros(shape, dtype=x._data.dtype)
        _diag_view(out, offset, dim1, dim2)[...] = x._data
        return out

    @staticmethod
    def backward(ctx, grad):
        return _DiagView.apply(grad, *ctx.args), None, None, None, None


class _BlockDiag(Function):
    @staticmethod
    def forward(ctx, *tensors, np_dtype):
        blocks = [t._data.reshape(_as_matrix_shape(t._data.shape)) for t in tensors]
        rows = sum(b.shape[0] for b in blocks)
        cols = sum(b.shape[1] for b in blocks)
        out = xp_of(blocks[0]).zeros((rows, cols), dtype=np_dtype)
        keys, r, c = [], 0, 0
        for b in blocks:
            key = (slice(r, r + b.shape[0]), slice(c, c + b.shape[1]))
            out[key] = b
            keys.append(key)
            r, c = r + b.shape[0], c + b.shape[1]
        if ctx.needs_input_grad:
            ctx.meta = [(key, t._data.shape, t._data.dtype) for key, t in zip(keys, tensors)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return tuple(
            _cast_grad(_Reshape.apply(_Slice.apply(grad, key), shape, "block_diag", True), dtype)
            if need
            else None
            for (key, shape, dtype), need in zip(ctx.meta, ctx.needs_input_grad)
        )


def _as_matrix_shape(shape):
    # block_diag takes 0-d tensors as 1x1 blocks and 1-d tensors as rows
    return (1, 1) if len(shape) == 0 else (1, shape[0]) if len(shape) == 1 else shape


class _Conj(Function):
    @staticmethod
    def forward(ctx, x):
        return xp_of(x._data).conj(x._data)

    @staticmethod
    def backward(ctx, grad):
        return _Conj.apply(grad)


def _conj(x: Tensor) -> Tensor:
    return _Conj.apply(x) if x._data.dtype.kind == "c" else x


# ---------------------------------------------------------------------------------------------
# Views of the whole tensor: view, reshape, permute, transpose, squeeze, expand, ...
# ---------------------------------------------------------------------------------------------


def _is_dtype(value) -> bool:
    return isinstance(value, (dt.dtype, np.dtype)) or (
        isinstance(value, type) and issubclass(value, np.generic)
    )


def view(self: Tensor, *shape) -> Tensor:
    """The same memory seen with a new shape; one size may be ``-1`` (inferred).

    Raises when the layout cannot be expressed as a view (use :func:`reshape` there).
    ``view(dtype)`` reinterprets the bytes as another dtype (outside the autograd graph).

    Example:
        >>> ember.arange(6).view(2, -1).shape
        ember.Size([2, 3])
    """
    if len(shape) == 1 and _is_dtype(shape[0]):
        np_dtype = dt.to_dtype(shape[0]).np_dtype
        return _make_view(self._data.view(np_dtype), self)
    shape = _infer_shape(_ints(shape, "view"), self._data.size, "view")
    return _Reshape.apply(self, shape, "view", False)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.view(other.shape)``."""
    return _Reshape.apply(self, other._data.shape, "view_as", False)


def reshape(input: Tensor, *shape, **kwargs) -> Tensor:
    """``input`` with a new shape: a view when the layout allows one, else a copy.

    Args:
        shape: the new shape (ints, or one tuple); one size may be ``-1``.

    Example:
        >>> ember.arange(6).reshape(3, 2).shape
        ember.Size([3, 2])
    """
    if "shape" in kwargs:
        shape = (kwargs.pop("shape"),)
    if kwargs:
        raise TypeError(f"reshape() got unexpected keyword arguments {sorted(kwargs)}")
    shape = _infer_shape(_ints(shape, "reshape"), input._data.size, "reshape")
    return _Reshape.apply(input, shape, "reshape", True)


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.reshape(other.shape)``."""
    return _Reshape.apply(self, other._data.shape, "reshape_as", True)


def permute(input: Tensor, *args, dims=None) -> Tensor:
    """A view with the dimensions reordered: output dim ``i`` is input dim ``dims[i]``
    (``dims`` as varargs or one sequence).

    Example:
        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    dims = _ints(args if dims is None else (dims,), "permute", "dims")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute: number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to "
            f"len(dims) = {len(dims)}"
        )
    perm = tuple(normalize_dim(d, ndim, "permute") for d in dims)
    if len(set(perm)) != ndim:
        raise RuntimeError(f"permute: duplicate dims are not allowed (got {list(dims)})")
    return _Permute.apply(input, perm)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view with dims ``dim0`` and ``dim1`` swapped."""
    ndim = input._data.ndim
    d0 = normalize_dim(_int(dim0, "transpose", "dim0"), ndim, "transpose")
    d1 = normalize_dim(_int(dim1, "transpose", "dim1"), ndim, "transpose")
    perm = list(range(ndim))
    if ndim:
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return _Permute.apply(input, tuple(perm))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose of a matrix; 0-d and 1-d tensors are returned as (views of) themselves."""
    if input._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D"
        )
    if input._data.ndim < 2:
        return _Permute.apply(input, tuple(range(input._data.ndim)))  # a view of itself
    return transpose(input, 0, 1)


def _T(self: Tensor) -> Tensor:
    # PyTorch warns that .T on tensors that are not 2-D is deprecated; Ember keeps the old
    # meaning (all dims reversed) without the warning, since warnings are errors in our tests.
    return _Permute.apply(self, tuple(range(self._data.ndim - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self._data.ndim < 2:
        raise RuntimeError(
            f"tensor.mT is only supported on matrices or batches of matrices. Got "
            f"{self._data.ndim}-D tensor."
        )
    return transpose(self, -2, -1)


def _H(self: Tensor) -> Tensor:
    if self._data.ndim not in (0, 2):
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D "
            f"tensor. For batches of matrices, consider using tensor.mH"
        )
    return _conj(t(self))


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (``x.mH``)."""
    if input._data.ndim < 2:
        raise RuntimeError(
            f"tensor.mH is only supported on matrices or batches of matrices. Got "
            f"{input._data.ndim}-D tensor."
        )
    return _conj(transpose(input, -2, -1))


def movedim(input: Tensor, source, destination) -> Tensor:
    """A view with dims ``source`` moved to positions ``destination`` (ints or sequences);
    the other dims keep their order.

    Example:
        >>> ember.zeros(2, 3, 4).movedim(0, -1).shape
        ember.Size([3, 4, 2])
    """
    ndim = input._data.ndim
    if ndim == 0:
        normalize_dim(_int(source, "movedim", "source"), 0, "movedim")
        normalize_dim(_int(destination, "movedim", "destination"), 0, "movedim")
        return _Permute.apply(input, ())
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    src_n = [normalize_dim(_int(d, "movedim", "source"), ndim, "movedim") for d in src]
    dst_n = [normalize_dim(_int(d, "movedim", "destination"), ndim, "movedim") for d in dst]
    for name, given, wrapped in (("source", src, src_n), ("destination", dst, dst_n)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    order = [d for d in range(ndim) if d not in src_n]
    for d, s in sorted(zip(dst_n, src_n)):
        order.insert(d, s)
    return _Permute.apply(input, tuple(order))


moveaxis = movedim


def squeeze(input: Tensor, dim=None) -> Tensor:
    """A view without size-1 dims: all of them (``dim=None``), or those among ``dim`` (an int
    or a tuple); a named dim whose size is not 1 is left as it is, as in PyTorch."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        drop = _dims(dims, len(shape), "squeeze")
        new = tuple(s for i, s in enumerate(shape) if not (i in drop and s == 1))
    return _Reshape.apply(input, new, "squeeze", False)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A view with a size-1 dim inserted at ``dim`` (in ``[-ndim - 1, ndim]``)."""
    shape = input._data.shape
    d = normalize_dim(_int(dim, "unsqueeze", "dim"), len(shape) + 1, "unsqueeze")
    return _Reshape.apply(input, shape[:d] + (1,) + shape[d:], "unsqueeze", False)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim..end_dim`` merged into one (a view when the layout allows it).

    Example:
        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
    shape = input._data.shape
    if not shape:
        return _Reshape.apply(input, (1,), "flatten", True)
    start = normalize_dim(_int(start_dim, "flatten", "start_dim"), len(shape), "flatten")
    end = normalize_dim(_int(end_dim, "flatten", "end_dim"), len(shape), "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input  # PyTorch returns the input itself here
    merged = math.prod(shape[start : end + 1])
    return _Reshape.apply(input, shape[:start] + (merged,) + shape[end + 1 :], "flatten", True)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Dim ``dim`` split into ``sizes`` (one of which may be ``-1``).

    Example:
        >>> ember.zeros(2, 12).unflatten(1, (3, -1)).shape
        ember.Size([2, 3, 4])
    """
    shape = input._data.shape
    d = normalize_dim(_int(dim, "unflatten", "dim"), len(shape), "unflatten")
    sizes = _ints((sizes,), "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, shape[d] if shape else 1, "unflatten")
    except RuntimeError as e:
        if "inferred" in str(e):
            raise
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{dim} ({shape[d] if shape else 1}) in the input tensor"
        ) from None
    return _Reshape.apply(input, shape[:d] + sizes + shape[d + 1 :], "unflatten", True)


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when the input is contiguous, else a copy)."""
    return _Reshape.apply(input, (input._data.size,), "ravel", True)


def expand(self: Tensor, *sizes) -> Tensor:
    """A read-only view with size-1 dims repeated to ``sizes`` (no copy); ``-1`` keeps a size
    and extra leading dims may be added.

    Example:
        >>> ember.zeros(3, 1).expand(2, -1, 4).shape
        ember.Size([2, 3, 4])
    """
    sizes = _ints(sizes, "expand")
    shape = self._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    target = list(sizes)
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: The expanded size of the tensor ({s}) isn't allowed in a "
                    f"leading, non-existing dimension {i}"
                )
            continue
        have = shape[i - lead]
        if s == -1:
            target[i] = have
        elif s < 0 or (s != have and have != 1):
            raise RuntimeError(
                f"expand: The expanded size of the tensor ({s}) must match the existing size "
                f"({have}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(shape)}"
            )
    return _Expand.apply(self, tuple(target))


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    """``self.expand(other.shape)``."""
    return expand(self, other._data.shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    """``input.expand(size)``: a read-only view broadcast to ``size``."""
    return expand(input, size)


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to (each an int or a sequence).

    Example:
        >>> ember.broadcast_shapes((2, 1), (3,))
        ember.Size([2, 3])
    """
    result: list[int] = []
    for index, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if len(shape) > len(result):
            result = [1] * (len(shape) - len(result)) + result
        for k in range(1, len(shape) + 1):
            s, r = shape[-k], result[-k]
            if s == r or s == 1:
                continue
            if r == 1:
                result[-k] = s
                continue
            raise RuntimeError(
                f"broadcast_shapes: Attempting to broadcast a dimension of length {s} at {-k}! "
                f"Mismatching argument at index {index} had {shape}; but expected shape should "
                f"be broadcastable to {result}"
            )
    return Size(result)


def broadcast_tensors(*tensors) -> tuple[Tensor, ...]:
    """Each tensor expanded (as a view) to the common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape: list[int] = []
    for t in tensors:
        s = t._data.shape
        if len(s) > len(shape):
            shape = list(s[: len(s) - len(shape)]) + shape
        for k in range(1, len(s) + 1):
            if s[-k] != shape[-k] and s[-k] != 1:
                if shape[-k] != 1:
                    raise RuntimeError(
                        f"broadcast_tensors: The size of tensor a ({shape[-k]}) must match the "
                        f"size of tensor b ({s[-k]}) at non-singleton dimension "
                        f"{len(shape) - k}"
                    )
                shape[-k] = s[-k]
    return tuple(_Expand.apply(t, tuple(shape)) for t in tensors)


# ---------------------------------------------------------------------------------------------
# Repetition
# ---------------------------------------------------------------------------------------------


def repeat(self: Tensor, *sizes) -> Tensor:
    """A copy tiled ``sizes[i]`` times along each dim (``len(sizes) >= ndim``; extra sizes add
    leading dims).

    Example:
        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    sizes = _ints(sizes, "repeat", "repeats")
    shape = self._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"repeat: Number of dimensions of repeat dims can not be smaller than number of "
            f"dimensions of tensor (got {len(sizes)} repeat dims for a {len(shape)}-D tensor)"
        )
    if any(s < 0 for s in sizes):
        padded = (1,) * (len(sizes) - len(shape)) + shape
        target = [r * s for r, s in zip(sizes, padded)]
        raise RuntimeError(
            f"repeat: Trying to create tensor with negative dimension {min(sizes)}: {target}"
        )
    return _Repeat.apply(self, sizes)


def tile(input: Tensor, *args, dims=None) -> Tensor:
    """Like :func:`repeat`, but ``dims`` shorter than ``ndim`` are padded with 1s on the
    left (``tile(x, (2,))`` repeats the last dim)."""
    dims = _ints(args if dims is None else (dims,), "tile", "dims")
    pad = input._data.ndim - len(dims)
    return repeat(input, (1,) * pad + dims if pad > 0 else dims)


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element repeated ``repeats`` times in a row along ``dim`` (the flattened input
    when ``dim`` is None). ``repeats`` is an int or a tensor with one count per element.

    With only an integer tensor ``input``, returns ``[0]*input[0] + [1]*input[1] + ...``.
    ``output_size`` is accepted for compatibility (it spares PyTorch a GPU sync; NumPy needs
    no hint).

    Example:
        >>> ember.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
        >>> ember.repeat_interleave(ember.tensor([2, 1]))
        tensor([0, 0, 1])
    """
    op = "repeat_interleave"
    if repeats is None:
        counts = _repeat_counts(input, op)
        xp = xp_of(input._data)
        index = np.repeat(np.arange(len(counts)), counts)
        return _make(xp.asarray(index, dtype=input._data.dtype))
    x = input
    if dim is None:
        x = _Reshape.apply(input, (input._data.size,), op, True)
        dim = 0
    else:
        dim = normalize_dim(_int(dim, op, "dim"), x._data.ndim, op)
        if x._data.ndim == 0:
            x = _Reshape.apply(x, (1,), op, True)
    n = x._data.shape[dim]
    if isinstance(repeats, Tensor):
        counts = _repeat_counts(repeats, op)
        if len(counts) == 1 or repeats._data.ndim == 0:
            repeats = int(counts[0])
        elif len(counts) != n:
            raise RuntimeError(
                f"{op}: repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {len(counts)} and input.size({dim}) = {n}"
            )
        else:
            return _RepeatInterleave.apply(x, counts, dim)
    repeats = _int(repeats, op, "repeats")
    if repeats < 0:
        raise RuntimeError(f"{op}: repeats must be non-negative, but got {repeats}")
    return _RepeatInterleave.apply(x, repeats, dim)


def _repeat_counts(repeats: Tensor, op: str) -> np.ndarray:
    """The repeat counts as a host int64 array (output sizes must be known on the host)."""
    data = repeats._data
    if data.ndim > 1:
        raise RuntimeError(f"{op}: repeats must be 0-dim or 1-dim tensor, got {data.ndim}-dim")
    if data.dtype.kind not in "iu":
        raise NotImplementedError(f"{op}: repeats must be an integer tensor, got {repeats.dtype}")
    counts = np.asarray(repeats.numpy(force=True), dtype=np.int64).reshape(-1)
    if (counts < 0).any():
        raise RuntimeError(f"{op}: repeats can not be negative")
    return counts


# ---------------------------------------------------------------------------------------------
# Joining
# ---------------------------------------------------------------------------------------------


def cat(tensors, dim: int = 0) -> Tensor:
    """Tensors joined along an existing dim; dtypes are promoted as PyTorch does.

    1-D tensors with no elements are skipped whatever their shape (PyTorch's legacy rule), so
    ``cat([ember.zeros(0), x])`` is ``x``.

    Args:
        tensors: a non-empty sequence of tensors with equal sizes except along ``dim``.
        dim: the dim to join along.

    Example:
        >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
        ember.Size([3, 3])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"cat(): expected a sequence of Tensors, but element {i} is {type(t).__name__}"
            )
        if t._data.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    _same_device(tensors, "cat")
    kept = [(i, t._data.shape) for i, t in enumerate(tensors) if not _is_legacy_empty(t._data)]
    ref_index, ref = kept[0] if kept else (0, tensors[0]._data.shape)
    d = normalize_dim(_int(dim, "cat", "dim"), len(ref), "cat")
    for i, shape in kept:
        if len(shape) != len(ref):
            raise RuntimeError(
                f"cat: Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}"
            )
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"cat: Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{a} but got size {b} for tensor number {i} in the list."
                )
    return _Cat.apply(*tensors, dim=d, np_dtype=_promoted(tensors))


concat = cat


def concatenate(tensors, axis: int = 0) -> Tensor:
    """:func:`cat` with NumPy's argument name."""
    return cat(tensors, axis)


def stack(tensors, dim: int = 0) -> Tensor:
    """Equal-shaped tensors joined along a new dim ``dim`` (in ``[-ndim - 1, ndim]``).

    Example:
        >>> ember.stack([ember.zeros(2, 3), ember.ones(2, 3)], dim=1).shape
        ember.Size([2, 2, 3])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    _same_device(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    d = normalize_dim(_int(dim, "stack", "dim"), len(ref) + 1, "stack")
    return _Stack.apply(*tensors, dim=d, np_dtype=_promoted(tensors))


def hstack(tensors) -> Tensor:
    """Join along dim 1 (along dim 0 when all tensors are 1-D); 0-d tensors count as 1-D."""
    tensors = _atleast_list(tensors, 1, "hstack")
    dim = 0 if all(t._data.ndim == 1 for t in tensors) else 1
    return cat(tensors, dim)


def vstack(tensors) -> Tensor:
    """Join along dim 0 after making every tensor at least 2-D (1-D tensors become rows)."""
    return cat(_atleast_list(tensors, 2, "vstack"), 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Join along dim 2 after making every tensor at least 3-D (see :func:`atleast_3d`)."""
    return cat(_atleast_list(tensors, 3, "dstack"), 2)


def column_stack(tensors) -> Tensor:
    """Join along dim 1, with 0-d and 1-d tensors taken as columns."""
    columns = [
        _Reshape.apply(t, (t._data.size, 1), "column_stack", True) if t._data.ndim <= 1 else t
        for t in tensors
    ]
    return cat(columns, 1)


# ---------------------------------------------------------------------------------------------
# Splitting and slicing
# ---------------------------------------------------------------------------------------------


def _split_dim(input: Tensor, dim, op: str) -> int:
    if input._data.ndim == 0:
        raise IndexError(f"{op}: Dimension specified as {dim} but tensor has no dimensions")
    return normalize_dim(_int(dim, op, "dim"), input._data.ndim, op)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
    smaller), or of the given list of sizes.

    Example:
        >>> [p.shape[0] for p in ember.arange(5).split(2)]
        [2, 2, 1]
        >>> [p.shape[0] for p in ember.arange(5).split([1, 4])]
        [1, 4]
    """
    d = _split_dim(tensor, dim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int(s, "split", "split_sizes") for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    else:
        size = _int(split_size_or_sections, "split", "split_size")
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0:
            if n != 0:
                raise RuntimeError(
                    f"split_size can only be 0 if dimension size is 0, but got dimension size "
                    f"of {n}"
                )
            sizes = [0]
        else:
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
            sizes = sizes or [0]
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return _Split.apply(tensor, d, tuple(bounds))


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``chunks`` nearly equal pieces along ``dim`` (pieces of ``ceil(n / chunks)``;
    there may be fewer than ``chunks`` of them, as in PyTorch)."""
    chunks = _int(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _split_dim(input, dim, "chunk")
    n = input._data.shape[d]
    if n == 0:
        return _Split.apply(input, d, ((0, 0),) * chunks)
    return split(input, -(-n // chunks), d)


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``sections`` nearly equal pieces (the first ``n % sections`` one longer), or
    of the pieces between the given indices, along ``dim``.

    Example:
        >>> [p.shape[0] for p in ember.arange(7).tensor_split(3)]
        [3, 2, 2]
        >>> [p.shape[0] for p in ember.arange(7).tensor_split([1, 5])]
        [1, 4, 2]
    """
    op = "tensor_split"
    if input._data.ndim == 0:
        raise RuntimeError(
            f"{op} expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = normalize_dim(_int(dim, op, "dim"), input._data.ndim, op)
    n = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.item() if spec._data.ndim == 0 else spec.tolist()
    if isinstance(spec, (list, tuple)):
        cuts = [_int(i, op, "indices") for i in spec]
        cuts = [min(max(c + n if c < 0 else c, 0), n) for c in cuts]
        starts = [0] + cuts
        stops = cuts + [n]
        bounds = tuple((a, max(a, b)) for a, b in zip(starts, stops))
    else:
        sections = _int(spec, op, "sections")
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds, start = [], 0
        for i in range(sections):
            stop = start + size + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
        bounds = tuple(bounds)
    return _Split.apply(input, d, bounds)


def _directional_split(input: Tensor, spec, dim: int, min_ndim: int, name: str):
    ndim = input._data.ndim
    if ndim < min_ndim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a "
            f"tensor with {ndim} dimensions!"
        )
    if not isinstance(spec, (list, tuple, Tensor)):
        sections = _int(spec, name, "sections")
        size = input._data.shape[dim]
        if sections <= 0 or size % sections:
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    dim = 0 if input._data.ndim == 1 else 1
    return _directional_split(input, indices_or_sections, dim, 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 0 of a tensor with at least 2 dims."""
    return _directional_split(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """:func:`tensor_split` along dim 2 of a tensor with at least 3 dims."""
    return _directional_split(input, indices_or_sections, 2, 3, "dsplit")


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of every slice along ``dim`` (that dim removed). ``iter(tensor)`` uses this.

    Example:
        >>> a, b = ember.tensor([[1, 2], [3, 4]]).unbind(1)
        >>> a
        tensor([1, 3])
    """
    d = _split_dim(input, dim, "unbind")
    return _Unbind.apply(input, d)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """A view of the slice ``index`` along ``dim`` (that dim removed): ``x[:, index]`` for
    ``dim=1``."""
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    shape = input._data.shape
    d = normalize_dim(_int(dim, "select", "dim"), len(shape), "select")
    i = _int(index, "select", "index")
    if not -shape[d] <= i < shape[d]:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size {list(shape)} at dimension {d}"
        )
    return _Slice.apply(input, (slice(None),) * d + (i % shape[d],))


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """A view of ``length`` elements from ``start`` along ``dim`` (``start`` may be negative or
    a 0-d tensor)."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    shape = input._data.shape
    d = normalize_dim(_int(dim, "narrow", "dim"), len(shape), "narrow")
    start = _int(start, "narrow", "start")
    length = _int(length, "narrow", "length")
    n = shape[d]
    if not -n <= start <= n:
        raise IndexError(
            f"narrow: start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n})."
        )
    return _Slice.apply(input, (slice(None),) * d + (slice(start, start + length),))


# ---------------------------------------------------------------------------------------------
# Reordering: flip, roll, rot90
# ---------------------------------------------------------------------------------------------


def flip(input: Tensor, *args, dims=None) -> Tensor:
    """A copy with the order of elements reversed along ``dims`` (varargs or one sequence).

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).flip(1)
        tensor([[2, 1],
                [4, 3]])
    """
    dims = _ints(args if dims is None else (dims,), "flip", "dims")
    dims = _dims(dims, input._data.ndim, "flip")
    return _Flip.apply(input, dims)


def fliplr(input: Tensor) -> Tensor:
    """Flip dim 1 (left/right) of a tensor with at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d (got {input._data.ndim}-d).")
    return _Flip.apply(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip dim 0 (up/down) of a tensor with at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d (got a 0-d tensor).")
    return _Flip.apply(input, (0,))


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted cyclically by ``shifts`` along ``dims`` (ints or equal-length tuples);
    with ``dims=None`` the flattened tensor is rolled and the shape restored.

    Example:
        >>> ember.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
    """
    shifts_t = _ints((shifts,), "roll", "shifts")
    if dims is None:
        if len(shifts_t) != 1:
            raise RuntimeError(
                f"roll: shifts and dimensions must align. shifts: {len(shifts_t)}, dims:0"
            )
        return _Roll.apply(input, shifts_t[0], None)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts_t) != len(dims_t):
        raise RuntimeError(
            f"roll: shifts and dimensions must align. shifts: {len(shifts_t)}, dims:{len(dims_t)}"
        )
    ndim = input._data.ndim
    if ndim == 0:
        for d in dims_t:
            normalize_dim(_int(d, "roll", "dims"), 0, "roll")
        return _Permute.apply(input, ())  # nothing to roll: a view, as torch.roll of a 0-d
    wrapped = tuple(normalize_dim(_int(d, "roll", "dims"), ndim, "roll") for d in dims_t)
    return _Roll.apply(input, shifts_t, wrapped)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """A copy rotated by ``k`` quarter turns in the plane ``dims``, from the first dim towards
    the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {ndim}")
    d0 = normalize_dim(_int(dims[0], "rot90", "dims"), ndim, "rot90")
    d1 = normalize_dim(_int(dims[1], "rot90", "dims"), ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(
            f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    return _Rot90.apply(input, _int(k, "rot90", "k") % 4, (d0, d1))


# ---------------------------------------------------------------------------------------------
# Triangles and diagonals
# ---------------------------------------------------------------------------------------------


def _check_matrix(input: Tensor, op: str) -> None:
    if input._data.ndim < 2:
        raise RuntimeError(
            f"{op}: input tensor must have at least 2 dimensions (got shape "
            f"{list(input._data.shape)})"
        )


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements on and below the ``diagonal``-th
    diagonal; positive ``diagonal`` counts diagonals above the main one); zeros elsewhere."""
    _check_matrix(input, "tril")
    return _Triangle.apply(input, _int(diagonal, "tril", "diagonal"), False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above the ``diagonal``-th diagonal)."""
    _check_matrix(input, "triu")
    return _Triangle.apply(input, _int(diagonal, "triu", "diagonal"), True)


def _diag_dims(ndim: int, dim1, dim2, op: str):
    d1 = normalize_dim(_int(dim1, op, "dim1"), ndim, op)
    d2 = normalize_dim(_int(dim2, op, "dim2"), ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A writable view of the ``offset`` diagonal of the planes (``dim1``, ``dim2``): those two
    dims removed and the diagonal appended as the last dim.

    Example:
        >>> ember.arange(9).reshape(3, 3).diagonal(1)
        tensor([1, 5])
    """
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2, "diagonal")
    return _DiagView.apply(input, _int(offset, "diagonal", "offset"), d1, d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros with the last dim of ``input`` placed on the ``offset`` diagonal of the planes
    (``dim1``, ``dim2``) of a tensor with one more dim (the inverse of :func:`diagonal`).

    Example:
        >>> ember.diag_embed(ember.tensor([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    d1, d2 = _diag_dims(input._data.ndim + 1, dim1, dim2, "diag_embed")
    offset = _int(offset, "diag_embed", "offset")
    shape = list(input._data.shape[:-1])
    n = input._data.shape[-1] + abs(offset)
    lo, hi = sorted((d1, d2))
    shape.insert(lo, n)
    shape.insert(hi, n)
    return _DiagScatter.apply(input, tuple(shape), offset, d1, d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor as a square matrix with it on the ``diagonal``-th diagonal, or the
    ``diagonal``-th diagonal of a matrix as a new 1-D tensor (a copy)."""
    ndim = input._data.ndim
    k = _int(diagonal, "diag", "diagonal")
    if ndim == 1:
        n = input._data.shape[0] + abs(k)
        return _DiagScatter.apply(input, (n, n), k, 0, 1)
    if ndim == 2:
        from .convert import clone

        return clone(_DiagView.apply(input, k, 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The flattened input on the ``offset``-th diagonal of a square matrix."""
    flat = _Reshape.apply(input, (input._data.size,), "diagflat", True)
    return diag(flat, offset)


def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the inputs (0-d: 1x1 blocks, 1-d: row blocks), with zeros
    elsewhere and the dtypes promoted.

    Example:
        >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    if not tensors:
        return _make(np.zeros((1, 0), dtype=dt.get_default_dtype().np_dtype))
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                f"has {t._data.ndim} dimensions"
            )
    _same_device(list(tensors), "block_diag")
    return _BlockDiag.apply(*tensors, np_dtype=_promoted(tensors))


# ---------------------------------------------------------------------------------------------
# Grids and dimension padding (composites of the views above)
# ---------------------------------------------------------------------------------------------


def meshgrid(*tensors, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids: output ``i`` holds ``tensors[i]`` varying along its own dim and
    repeated (as an expanded view) along the others.

    ``indexing='ij'`` (the default; PyTorch's warning about it is left out) gives shape
    ``(len(t0), len(t1), ...)``; ``'xy'`` swaps the first two dims, as NumPy's default.

    Example:
        >>> xs, ys = ember.meshgrid(ember.arange(2), ember.arange(3), indexing="ij")
        >>> xs.shape
        ember.Size([2, 3])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for i, t in enumerate(tensors):
        if t._data.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor "
                f"of shape {list(t._data.shape)} at position {i}"
            )
    n = len(tensors)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    sizes = [t._data.size for t in tensors]
    shape = [0] * n
    for t_index, axis in enumerate(axes):
        shape[axis] = sizes[t_index]
    out = []
    for t_index, t in enumerate(tensors):
        alone = [1] * n
        alone[axes[t_index]] = sizes[t_index]
        column = _Reshape.apply(t, tuple(alone), "meshgrid", True)
        out.append(_Expand.apply(column, tuple(shape)))
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of the 1-D inputs' elements, one per row (``itertools.product``
    order); one input is returned as it is.

    Example:
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    columns = [_Reshape.apply(g, (g._data.size,), "cartesian_prod", True) for g in grids]
    return stack(columns, 1)


def _atleast(tensors, ndim: int, op: str):
    """``atleast_Nd``'s result: one tensor for one tensor, else a tuple."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = _atleast_list(tensors, ndim, op)
    return out[0] if single else tuple(out)


def _atleast_list(tensors, ndim: int, op: str) -> list[Tensor]:
    out = []
    for t in tensors:
        shape = t._data.shape
        if len(shape) >= ndim:
            out.append(t)
            continue
        if ndim == 3 and len(shape) == 2:
            new = shape + (1,)
        elif ndim == 3 and len(shape) == 1:
            new = (1,) + shape + (1,)  # NumPy's and PyTorch's layout for a 1-D input
        else:
            new = (1,) * (ndim - len(shape)) + shape
        out.append(_Reshape.apply(t, new, op, True))
    return out


def atleast_1d(*tensors):
    """Each input with at least 1 dim (0-d become shape (1,)); one tensor in, one out."""
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    """Each input with at least 2 dims (1-d tensors become rows)."""
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    """Each input with at least 3 dims: (n,) -> (1, n, 1) and (m, n) -> (m, n, 1)."""
    return _atleast(tensors, 3, "atleast_3d")


# ---------------------------------------------------------------------------------------------
# Tensor methods
# ---------------------------------------------------------------------------------------------


def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place version of :func:`tril`."""
    return inplace(self, tril, diagonal, op="tril_")


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    """In-place version of :func:`triu`."""
    return inplace(self, triu, diagonal, op="triu_")


register_methods(
    view=view,
    view_as=view_as,
    reshape=reshape,
    reshape_as=reshape_as,
    permute=permute,
    transpose=transpose,
    swapaxes=transpose,
    swapdims=transpose,
    t=t,
    T=property(_T),
    mT=property(_mT),
    H=property(_H),
    mH=property(adjoint),
    adjoint=adjoint,
    movedim=movedim,
    moveaxis=movedim,
    squeeze=squeeze,
    unsqueeze=unsqueeze,
    flatten=flatten,
    unflatten=unflatten,
    ravel=ravel,
    expand=expand,
    expand_as=expand_as,
    broadcast_to=broadcast_to,
    repeat=repeat,
    tile=tile,
    repeat_interleave=repeat_interleave,
    split=split,
    tensor_split=tensor_split,
    hsplit=hsplit,
    vsplit=vsplit,
    dsplit=dsplit,
    chunk=chunk,
    unbind=unbind,
    select=select,
    narrow=narrow,
    flip=flip,
    fliplr=fliplr,
    flipud=flipud,
    roll=roll,
    rot90=rot90,
    tril=tril,
    triu=triu,
    tril_=tril_,
    triu_=triu_,
    diag=diag,
    diagonal=diagonal,
    diag_embed=diag_embed,
    diagflat=diagflat,
)
