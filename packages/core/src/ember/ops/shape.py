"""Shape and layout views: view/reshape, permute/transpose, squeeze/unsqueeze, flatten,
expand/broadcast, movedim, select/narrow, diagonal and atleast_Nd.

Where PyTorch returns a view (``view``, ``reshape`` when the layout allows, ``permute``,
``transpose``, ``squeeze``, ``unsqueeze``, ``flatten``, ``expand``, ``select``, ``narrow``,
``diagonal``, ``movedim``, ``T``...), the result here is made with ``_make_view``: it shares
memory and the version counter with its base, so a write through either one is seen by the other
and by autograd's saved-tensor checks.

Every op is one of the linear primitives of ``_shape_fns.py``, whose backwards are each other,
so higher-order gradients come for free. Joins and splits (cat, stack, split, chunk, unbind...)
are in ``join.py``; copies that reorder or repeat elements (flip, roll, repeat...) in
``reorder.py``; triangles and diagonal constructions (tril, diag, block_diag, meshgrid...) in
``matrix.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as dt
from .._tensor import Size, Tensor, _make_view
from ._shape_fns import _conj, _DiagView, _Expand, _Permute, _Reshape, _Slice
from ._util import normalize_dim, register_methods

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
    "select",
    "narrow",
    "diagonal",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
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
# Slices and diagonals
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Dimension padding
# ---------------------------------------------------------------------------------------------


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
    select=select,
    narrow=narrow,
    diagonal=diagonal,
)
