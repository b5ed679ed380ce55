"""The linear layout primitives behind the shape ops (shape.py, join.py, reorder.py, matrix.py).

Each primitive is a ``Function`` that is linear in its input, and its backward is another of
them, written with differentiable Ember ops: reshape's is a reshape, permute's the inverse
permute, expand's a sum, cat's a split (and split's a cat), slicing's a zero-padded embedding,
diagonal's a diagonal embedding. Higher-order gradients therefore come for free, and nothing here
depends on the other op families. Outputs that are views in PyTorch are made with ``_make_view``
(shared memory and version counter); the others are copies.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _make, _make_view
from ..autograd.function import Function
from ._util import unbroadcast, xp_of

# ---------------------------------------------------------------------------------------------
# Array helpers
# ---------------------------------------------------------------------------------------------


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
