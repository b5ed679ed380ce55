"""Views, scatters and tensor predicates PyTorch has beyond ``shape.py``: ``view_as_real``/
``view_as_complex``, ``as_strided``, ``Tensor.unfold`` (sliding windows), the ``*_scatter``
family (the out-of-place inverse of writing into a view), ``split_with_sizes`` and the
``unsafe_*`` splits, in-place shape methods (``transpose_``, ``squeeze_``...), ``resize_``,
``sum_to_size``, ``fill_diagonal_`` and the ``is_*`` predicates.

Views are made with ``_make_view`` (they share memory and the version counter with their
base). Each view op is a ``Function`` whose backward is written with Ember ops (its adjoint
scatter), so second derivatives work.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, _make_view, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._util import inplace, normalize_dim, register_methods, unbroadcast, xp_of

__all__ = [
    "view_as_real",
    "view_as_complex",
    "as_strided",
    "as_strided_scatter",
    "diagonal_scatter",
    "select_scatter",
    "slice_scatter",
    "split_with_sizes",
    "unsafe_chunk",
    "unsafe_split",
    "unsafe_split_with_sizes",
    "narrow_copy",
    "is_signed",
    "is_same_size",
    "is_nonzero",
    "is_conj",
    "is_neg",
    "resolve_conj",
    "resolve_neg",
    "conj_physical",
    "is_inference",
    "get_device",
]

def _E():
    import ember

    return ember


def _strided(data, shape, strides_elems):
    xp = xp_of(data)
    lib = np.lib.stride_tricks if xp is np else xp.lib.stride_tricks
    item = data.itemsize
    return lib.as_strided(data, tuple(shape), tuple(s * item for s in strides_elems))


# ---------------------------------------------------------------------------------------------
# Complex <-> real views
# ---------------------------------------------------------------------------------------------


class _ViewAsReal(Function):
    @staticmethod
    def forward(ctx, x):
        data = x._data
        real = data.real  # a view with the complex dtype's strides, in the real dtype
        item = real.itemsize
        shape = data.shape + (2,)
        strides = tuple(s // item for s in data.strides) + (1,)
        return _make_view(_strided(real, shape, strides), x)

    @staticmethod
    def backward(ctx, grad):
        return view_as_complex(grad.contiguous())


class _ViewAsComplex(Function):
    @staticmethod
    def forward(ctx, x):
        data = x._data
        cdtype = np.complex64 if data.dtype == np.float32 else np.complex128
        # the last dim is contiguous (checked): each (real, imag) pair reads as one complex
        return _make_view(data.view(cdtype)[..., 0], x)

    @staticmethod
    def backward(ctx, grad):
        return view_as_real(grad)


def view_as_real(input: Tensor) -> Tensor:
    """A real view of a complex tensor: a trailing dim of size 2 holds (real, imag).

    Example:
        >>> ember.view_as_real(ember.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _ViewAsReal.apply(input)


def view_as_complex(input: Tensor) -> Tensor:
    """A complex view of a float32/float64 tensor whose last dim (size 2, stride 1) holds
    (real, imag) pairs.

    Example:
        >>> ember.view_as_complex(ember.tensor([[1., 2.]]))
        tensor([1.+2.j])
    """
    data = input._data
    if data.dtype not in (np.float32, np.float64):
        raise RuntimeError(
            f"view_as_complex is only supported for float and double tensors, but got a "
            f"tensor of scalar type: {input.dtype.name}"
        )
    if data.ndim == 0 or data.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    item = data.itemsize
    if data.strides[-1] != item:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any((s // item) % 2 for s in data.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return _ViewAsComplex.apply(input)


# ---------------------------------------------------------------------------------------------
# as_strided and the scatters
# ---------------------------------------------------------------------------------------------


def _positions(xp, size, stride, offset):
    """Flat element positions ``offset + sum(i_k * stride_k)`` of an as_strided layout."""
    pos = xp.full(tuple(size), offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):  # one broadcast add per dimension
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def _check_geometry(input, size, stride, offset, op):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape ({len(size)} vs "
                           f"{len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"{op}: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > input._data.size:
        raise RuntimeError(
            f"{op}: setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{offset} need {need} elements, but the storage of the (contiguous) input has "
            f"{input._data.size}"
        )
    return size, stride


class _AsStrided(Function):
    """``as_strided`` over the elements of ``x`` in C order (its contiguous storage)."""

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        data = x._data
        ctx.in_shape = data.shape
        ctx.geometry = (size, stride, offset)
        if data.flags.c_contiguous:
            flat = data.reshape(-1)
            out = _strided(flat[offset:] if flat.size else flat, size, stride)
            return _make_view(out, x)
        flat = xp_of(data).ascontiguousarray(data).reshape(-1)  # a copy, as reshape would
        return _strided(flat[offset:], size, stride).copy()

    @staticmethod
    def backward(ctx, grad):
        # each output element adds its gradient to the storage element it reads
        xp = xp_of(grad._data)
        pos = _make(_positions(xp, *ctx.geometry).reshape(-1))
        n = math.prod(ctx.in_shape)
        zeros = grad.new_zeros((n,))
        g = zeros.index_add(0, pos, grad.reshape(-1))
        return g.reshape(ctx.in_shape), None, None, None


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view with the given sizes and element strides over ``input``'s elements.

    Deliberate difference: Ember tensors have no separate storage object, so the strides and
    offset index ``input``'s elements in C order (PyTorch's storage for a contiguous tensor);
    for a non-contiguous input the result reads a contiguous copy (not a view).

    Example:
        >>> ember.arange(4.).as_strided((3, 2), (1, 1))
        tensor([[0., 1.], [1., 2.], [2., 3.]])
    """
    offset = 0 if storage_offset is None else int(storage_offset)
    size, stride = _check_geometry(input, size, stride, offset, "as_strided")
    return _AsStrided.apply(input, size, stride, offset)


def _as_strided_(self: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """In-place ``as_strided``: ``self`` becomes the strided view of its own elements."""
    check_inplace(self, op="as_strided_")
    out = as_strided(self, size, stride, storage_offset)
    self._data = out._data
    if out.grad_fn is not None:
        self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
    return self


class _ScatterInto(Function):
    """A copy of ``x`` with ``src`` written into the region ``region(array)`` (a view);
    the gradient of ``x`` is the gradient with the region zeroed, that of ``src`` the region
    of the gradient (``take``, a view op on Tensors)."""

    @staticmethod
    def forward(ctx, x, src, region, take, op):
        out = x._data.copy()
        view = region(out)
        if view.shape != src._data.shape:
            raise RuntimeError(
                f"{op}: expected src to have a size equal to the slice of self. src size = "
                f"{list(src._data.shape)}, slice size = {list(view.shape)}"
            )
        view[...] = src._data
        ctx.fns = (region, take, op)
        return out

    @staticmethod
    def backward(ctx, grad):
        region, take, op = ctx.fns
        need_x, need_src = ctx.needs_input_grad[:2]
        gsrc = take(grad) if need_src else None
        gx = None
        if need_x:
            gx = _ScatterInto.apply(grad, take(grad).detach() * 0, region, take, op)
        return gx, gsrc, None, None, None


def _check_src_dtype(input, src, op):
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be a Tensor, not {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return src


def as_strided_scatter(input: Tensor, src: Tensor, size, stride,
                       storage_offset: int | None = None) -> Tensor:
    """A copy of ``input`` with ``src`` written where ``input.as_strided(size, stride,
    storage_offset)`` would read (strides over ``input``'s elements in C order)."""
    offset = 0 if storage_offset is None else int(storage_offset)
    size, stride = _check_geometry(input, size, stride, offset, "as_strided_scatter")
    src = _check_src_dtype(input, src, "as_strided_scatter")
    def region(arr):
        return _strided(arr.reshape(-1)[offset:], size, stride)

    def take(t):
        return as_strided(t.contiguous(), size, stride, offset)

    return _ScatterInto.apply(input, src, region, take, "as_strided_scatter")


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of ``input`` whose ``diagonal(offset, dim1, dim2)`` is ``src``.

    Example:
        >>> ember.diagonal_scatter(ember.zeros(2, 2), ember.ones(2))
        tensor([[1., 0.], [0., 1.]])
    """
    from ._shape_fns import _diag_view

    src = _check_src_dtype(input, src, "diagonal_scatter")
    nd = input._data.ndim
    d1, d2 = normalize_dim(dim1, nd, "diagonal_scatter"), normalize_dim(dim2, nd,
                                                                         "diagonal_scatter")
    return _ScatterInto.apply(
        input, src, lambda a: _diag_view(a, offset, d1, d2),
        lambda t: t.diagonal(offset, d1, d2), "diagonal_scatter")


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` whose ``select(dim, index)`` slice is ``src``."""
    src = _check_src_dtype(input, src, "select_scatter")
    input.select(dim, index)  # validates dim and index with select's messages
    d = normalize_dim(dim, input._data.ndim, "select_scatter")
    i = index % input._data.shape[d]
    key = (slice(None),) * d + (i,)
    return _ScatterInto.apply(input, src, lambda a: a[key], lambda t: t.select(d, i),
                              "select_scatter")


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` is ``src``.

    Example:
        >>> ember.slice_scatter(ember.zeros(4), ember.ones(2), start=2)
        tensor([0., 0., 1., 1.])
    """
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    src = _check_src_dtype(input, src, "slice_scatter")
    d = normalize_dim(dim, input._data.ndim, "slice_scatter")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _ScatterInto.apply(input, src, lambda a: a[key], lambda t: t[key], "slice_scatter")


# ---------------------------------------------------------------------------------------------
# Splits and copies
# ---------------------------------------------------------------------------------------------


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``input`` split along ``dim`` into pieces of ``split_sizes`` (which must sum
    to the dim's size)."""
    d = normalize_dim(dim, input._data.ndim, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    n = input._data.shape[d]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {d}), but got split_sizes={sizes}"
        )
    return _E().split(input, sizes, d)


def unsafe_split(input: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:
    """``split`` (PyTorch's unsafe form only skips view tracking; the results are the same)."""
    return _E().split(input, split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """``split_with_sizes`` (see :func:`unsafe_split`)."""
    return split_with_sizes(input, split_sizes, dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunk`` (see :func:`unsafe_split`)."""
    return _E().chunk(input, chunks, dim)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``narrow`` as a new tensor (no shared memory)."""
    return input.narrow(dim, start, length).clone()


# ---------------------------------------------------------------------------------------------
# Sliding windows
# ---------------------------------------------------------------------------------------------


class _Unfold(Function):
    @staticmethod
    def forward(ctx, x, dim, size, step):
        data = x._data
        ctx.args = (data.shape, dim, size, step)
        n = data.shape[dim] if data.ndim else 1
        count = (n - size) // step + 1
        if data.ndim == 0:
            return _make_view(data.reshape(1), x)
        shape = data.shape[:dim] + (count,) + data.shape[dim + 1:] + (size,)
        strides = data.strides[:dim] + (data.strides[dim] * step,) + data.strides[dim + 1:] + (
            data.strides[dim],)
        xp = xp_of(data)
        lib = np.lib.stride_tricks if xp is np else xp.lib.stride_tricks
        return _make_view(lib.as_strided(data, shape, strides), x)

    @staticmethod
    def backward(ctx, grad):
        return _UnfoldBackward.apply(grad, *ctx.args), None, None, None


class _UnfoldBackward(Function):
    """Windows summed back onto the positions they read (the adjoint of ``unfold``)."""

    @staticmethod
    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        data = g._data
        if len(shape) == 0:
            return data.reshape(())
        out = xp_of(data).zeros(shape, dtype=data.dtype)
        windows = data.shape[dim]
        moved = xp_of(data).moveaxis(data, -1, dim + 1)  # (..., count, size, ...)
        for j in range(size):  # one strided add per window offset (the window is short)
            key = (slice(None),) * dim + (slice(j, j + step * (windows - 1) + 1, step),)
            out[key] += moved[(slice(None),) * (dim + 1) + (j,)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return _Unfold.apply(grad, *ctx.args), None, None, None, None


def _unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of all windows of ``size`` elements, ``step`` apart, along ``dimension``: that
    dim becomes the window count and a trailing dim of ``size`` is added.

    Example:
        >>> ember.arange(5).unfold(0, 2, 2)
        tensor([[0, 1], [2, 3]])
    """
    nd = self._data.ndim
    d = normalize_dim(dimension, nd, "unfold")
    n = self._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _Unfold.apply(self, d, int(size), int(step))


# ---------------------------------------------------------------------------------------------
# In-place shape changes
# ---------------------------------------------------------------------------------------------


def _metadata_inplace(op_name, fn):
    """``self`` takes the shape/strides of the view ``fn(self)`` (PyTorch's ``transpose_``
    and friends): same memory, the version bumped, and the view's graph node when
    recording."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        check_inplace(self, op=op_name)
        out = fn(self, *args, **kwargs)
        self._data = out._data
        counter = self._version_counter
        if counter is None:
            self._version_counter = [1]
        else:
            counter[0] += 1
        if STATE.enabled and out.grad_fn is not None:
            self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        return self

    method.__name__ = op_name
    method.__doc__ = f"In-place ``{op_name[:-1]}``: changes ``self``'s shape, not its values."
    return method


def _resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give ``self`` the shape ``sizes``; elements kept in C order, new ones uninitialised
    (zeros here). Refused for tensors that require grad, as in PyTorch."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    data = self._data
    xp = xp_of(data)
    n = math.prod(sizes)
    if n == data.size and data.flags.c_contiguous:
        self._data = data.reshape(sizes)
    else:
        flat = xp.zeros(n, dtype=data.dtype)
        k = min(n, data.size)
        flat[:k] = data.reshape(-1)[:k]
        self._data = flat.reshape(sizes)
    return self


def _resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    """``resize_`` to ``the_template``'s shape."""
    return _resize_(self, tuple(the_template._data.shape))


def _sum_to_size(self: Tensor, *size) -> Tensor:
    """Sum ``self`` down to ``size`` (which must broadcast to ``self``'s shape).

    Example:
        >>> ember.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    shape = self._data.shape
    ok = len(size) <= len(shape) and all(
        s == t or s == 1 for s, t in zip(reversed(size), reversed(shape)))
    if not ok:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    out = unbroadcast(self, size)
    return out.reshape(size) if out._data.shape != size else out


class _FillPositions(Function):
    """A copy of ``x`` with ``value`` at the flat C-order ``positions`` (gradient: zero
    there)."""

    @staticmethod
    def forward(ctx, x, positions, value):
        ctx.positions = positions
        out = xp_of(x._data).ascontiguousarray(x._data).copy()
        out.reshape(-1)[positions] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        return _FillPositions.apply(grad, ctx.positions, 0), None, None


def _fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all indices equal) with ``fill_value``, in place. For a tall
    matrix, ``wrap=True`` restarts the diagonal every ``cols + 1`` rows (as NumPy)."""
    shape = self._data.shape
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    n = min(shape)
    xp = xp_of(self._data)
    if len(shape) == 2:
        rows, cols = shape
        step = cols + 1
        end = rows * cols if wrap else min(rows, cols) * cols
        positions = xp.arange(0, end, step, dtype=np.int64)
    else:
        step = sum(n**k for k in range(len(shape)))
        positions = xp.arange(n, dtype=np.int64) * step
    return inplace(self, lambda src: _FillPositions.apply(src, positions, fill_value),
                   op="fill_diagonal_")


# ---------------------------------------------------------------------------------------------
# Predicates and no-op views
# ---------------------------------------------------------------------------------------------


def is_signed(input: Tensor) -> bool:
    """Whether ``input``'s dtype is signed (floats, complex and signed integers)."""
    return input._data.dtype.kind in "ifc" or input.dtype is dt.bfloat16


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two tensors have the same shape."""
    return input._data.shape == other._data.shape


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is non-zero (an error for other sizes)."""
    size = input._data.size
    if size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(-1)[0] != 0)


def is_conj(input: Tensor) -> bool:
    """Always False: Ember conjugates eagerly, so no tensor carries a lazy conjugate bit."""
    return False


def is_neg(input: Tensor) -> bool:
    """Always False: Ember has no lazy negation bit."""
    return False


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself (there is never a pending conjugation to materialise)."""
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """``input`` itself (there is never a pending negation to materialise)."""
    return input


def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate as a new tensor (real tensors: ``input`` itself)."""
    return _E().conj(input) if input._data.dtype.kind == "c" else input


def _conj_physical_(self: Tensor) -> Tensor:
    if self._data.dtype.kind != "c":
        return self
    return inplace(self, conj_physical, op="conj_physical_")


def is_inference(input: Tensor) -> bool:
    """Always False: Ember's ``inference_mode`` behaves as ``no_grad`` and makes ordinary
    tensors (a deliberate difference; nothing is skipped that a flag could record)."""
    return False


def get_device(input: Tensor) -> int:
    """The CUDA device index, or -1 for a CPU tensor."""
    dev = input.device
    return -1 if dev.type == "cpu" else (dev.index or 0)


def _apply_(self: Tensor, callable) -> Tensor:
    """Apply a Python function to each element, in place (CPU only; slow, as in PyTorch)."""
    _check_cpu(self, "apply_")
    self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
    return self


def _map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], tensor[i])`` in place (``tensor`` broadcast; CPU only)."""
    _check_cpu(self, "map_")
    other = np.broadcast_to(tensor._data, self._data.shape)
    self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data, other)
    return self


def _map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], x[i], y[i])`` in place (CPU only)."""
    _check_cpu(self, "map2_")
    a = np.broadcast_to(x._data, self._data.shape)
    b = np.broadcast_to(y._data, self._data.shape)
    self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data, a, b)
    return self


def _check_cpu(t: Tensor, op: str):
    if t.device.type != "cpu":
        raise TypeError(f"{op} is only implemented on CPU tensors")


def _new_empty_strided(self: Tensor, size, stride, *, dtype=None, device=None,
                       requires_grad: bool = False, **kwargs) -> Tensor:
    """A new uninitialised (zero-filled here) tensor with the given sizes and element
    strides, on ``self``'s device with its dtype unless given."""
    E = _E()
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"new_empty_strided: mismatch in length of strides and shape "
                           f"({len(size)} vs {len(stride)})")
    need = sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    storage = E.zeros(max(need, 0), dtype=dtype or self.dtype, device=device or self.device)
    out = _make(_strided(storage._data, size, stride))
    out.requires_grad = bool(requires_grad)
    return out


register_methods(
    unfold=_unfold,
    as_strided=as_strided,
    as_strided_=_as_strided_,
    as_strided_scatter=as_strided_scatter,
    diagonal_scatter=diagonal_scatter,
    select_scatter=select_scatter,
    slice_scatter=slice_scatter,
    split_with_sizes=split_with_sizes,
    unsafe_chunk=unsafe_chunk,
    unsafe_split=unsafe_split,
    unsafe_split_with_sizes=unsafe_split_with_sizes,
    narrow_copy=narrow_copy,
    new_empty_strided=_new_empty_strided,
    sum_to_size=_sum_to_size,
    transpose_=_metadata_inplace("transpose_", lambda s, d0, d1: s.transpose(d0, d1)),
    swapaxes_=_metadata_inplace("swapaxes_", lambda s, d0, d1: s.transpose(d0, d1)),
    swapdims_=_metadata_inplace("swapdims_", lambda s, d0, d1: s.transpose(d0, d1)),
    t_=_metadata_inplace("t_", lambda s: s.t()),
    squeeze_=_metadata_inplace("squeeze_", lambda s, dim=None: s.squeeze(dim)),
    unsqueeze_=_metadata_inplace("unsqueeze_", lambda s, dim: s.unsqueeze(dim)),
    resize_=_resize_,
    resize_as_=_resize_as_,
    fill_diagonal_=_fill_diagonal_,
    is_signed=is_signed,
    is_same_size=is_same_size,
    is_nonzero=is_nonzero,
    is_conj=is_conj,
    is_neg=is_neg,
    resolve_conj=resolve_conj,
    resolve_neg=resolve_neg,
    conj_physical=conj_physical,
    conj_physical_=_conj_physical_,
    is_inference=is_inference,
    get_device=get_device,
    apply_=_apply_,
    map_=_map_,
    map2_=_map2_,
)
