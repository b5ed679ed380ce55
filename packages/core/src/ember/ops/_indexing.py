"""``x[key]`` and ``x[key] = value``, with PyTorch's indexing rules, and ``index_put``.

``x[key]`` accepts ints, slices (positive steps), ``None``, ``...``, Python bools and integer or
bool tensors, lists and arrays. As in PyTorch, ints, slices and ``None`` are applied first and
give a *view* (sharing memory and version counter with ``x``); index arrays left over then pick
elements with NumPy's advanced-indexing rules on that view and give a copy.

A key is parsed into an index plan (see :mod:`._index_plan`), which ``Index`` reads and
``IndexPut`` writes. The Tensor methods are registered by :mod:`.index`.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _device as _dev
from .._tensor import Tensor
from ._index_plan import Index, IndexPut, _check_range, _on_device, _put_inplace
from ._util import xp_of

_INT, _SLICE, _NONE, _ELLIPSIS, _BOOL, _ARRAY, _MASK = range(7)


def _index(v) -> int:
    return v if type(v) is int else operator.index(v)


def _check_slice(s: slice) -> slice:
    step = s.step
    if step is not None:
        step = _index(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    if (s.start is None or type(s.start) is int) and (s.stop is None or type(s.stop) is int):
        return s if step is None or type(s.step) is int else slice(s.start, s.stop, step)
    start = None if s.start is None else _index(s.start)
    stop = None if s.stop is None else _index(s.stop)
    return slice(start, stop, step)


def _sequence_is_tuple(seq: list) -> bool:
    """PyTorch (like old NumPy) reads ``x[[a, b]]`` as ``x[a, b]`` when the list holds slices,
    None, Ellipsis, tensors or sequences; a list of ints is one index array."""
    if len(seq) >= 32:
        return False
    for item in seq:
        if item is None or item is Ellipsis or isinstance(item, (slice, Tensor, list, tuple)):
            return True
    return False


def _classify(k, data):
    """One entry of a key as ``(kind, value)``."""
    t = type(k)
    if t is int:
        return _INT, k
    if t is slice:
        return _SLICE, _check_slice(k)
    if k is None:
        return _NONE, None
    if k is Ellipsis:
        return _ELLIPSIS, None
    if t is bool or t is np.bool_:
        return _BOOL, bool(k)
    if isinstance(k, (int, np.integer)):
        return _INT, int(k)
    if isinstance(k, Tensor):
        arr = k._data
    elif isinstance(k, (list, tuple)):
        arr = np.asarray(k)
        if arr.size == 0:
            arr = arr.astype(np.int64)
    elif isinstance(k, np.ndarray) or _dev.is_cupy_array(k):
        arr = k
    else:
        raise IndexError(
            f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
            f"are valid indices (got {t.__name__})"
        )
    if arr.dtype == np.uint8 and isinstance(k, Tensor):
        # PyTorch still reads uint8 index tensors as masks, with this warning
        warnings.warn(
            "indexing with dtype ember.uint8 is now deprecated, please use a dtype ember.bool "
            "instead.",
            UserWarning,
            stacklevel=4,
        )
        arr = arr.astype(bool)
    kind = arr.dtype.kind
    if kind == "b":
        if arr.ndim == 0:
            return _BOOL, bool(arr)
        return _MASK, _on_device(arr, data)
    if kind in "iu":
        if arr.ndim == 0:
            return _INT, int(arr)
        return _ARRAY, _on_device(arr, data)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _parse_key(x: Tensor, key):
    """The plan ``(basic, advanced)`` of ``x[key]``, with PyTorch's checks and messages."""
    data = x._data
    shape = data.shape
    ndim = data.ndim
    if type(key) is int and ndim:  # the commonest key, on its own fast path
        size = shape[0]
        if not -size <= key < size:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {size}")
        return (key, Ellipsis), None
    if type(key) is not tuple:
        key = tuple(key) if type(key) is list and _sequence_is_tuple(key) else (key,)
    basic = _basic_only(key, shape)
    if basic is not None:
        return basic, None
    items = [_classify(k, data) for k in key]
    consumed = 0
    ellipses = 0
    for kind, v in items:
        if kind in (_INT, _SLICE, _ARRAY):
            consumed += 1
        elif kind == _MASK:
            consumed += v.ndim
        elif kind == _ELLIPSIS:
            ellipses += 1
    if ellipses > 1:
        # PyTorch tolerates several; NumPy (and Ember) accept one, which is unambiguous
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        if ndim == 0 and any(kind == _INT for kind, _ in items):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    xp = xp_of(data)
    basic = []
    adv = []  # (position in the basic view, index array)
    dim = 0  # dimension of x the next entry indexes
    rdim = 0  # dimension of the basic view it lands on
    for kind, v in items:
        if kind == _INT:
            size = shape[dim]
            if not -size <= v < size:
                raise IndexError(
                    f"index {v} is out of bounds for dimension {dim} with size {size}"
                )
            basic.append(v)
            dim += 1
        elif kind == _SLICE:
            basic.append(v)
            dim += 1
            rdim += 1
        elif kind == _NONE:
            basic.append(None)
            rdim += 1
        elif kind == _BOOL:
            # a new axis of size 1 indexed with [0] (True) or [] (False), as NumPy does
            basic.append(None)
            adv.append((rdim, xp.zeros(1 if v else 0, dtype=np.int64)))
            rdim += 1
        elif kind == _ELLIPSIS:
            n = ndim - consumed
            basic.extend([slice(None)] * n)
            dim += n
            rdim += n
        elif kind == _ARRAY:
            _check_range(v, shape[dim], rdim, "", negative=True)
            basic.append(slice(None))
            adv.append((rdim, v))
            dim += 1
            rdim += 1
        else:  # _MASK
            k = v.ndim
            if tuple(v.shape) != tuple(shape[dim : dim + k]):
                _raise_mask_mismatch(data, basic, v, rdim)
            for j, nz in enumerate(xp.nonzero(v)):
                adv.append((rdim + j, nz))
            basic.extend([slice(None)] * k)
            dim += k
            rdim += k
    basic.append(Ellipsis)
    if not adv:
        return tuple(basic), None
    full = [slice(None)] * (adv[-1][0] + 1)
    for pos, arr in adv:
        full[pos] = arr
    return tuple(basic), tuple(full)


_BASIC_TYPES = frozenset((int, slice, type(None), type(Ellipsis)))


def _basic_only(key: tuple, shape):
    """The basic plan of a key made only of ints, slices, None and one ``...`` (the common
    case, kept cheap), or None to take the general path (which also reports errors)."""
    consumed = 0
    ellipsis_at = -1
    for i, k in enumerate(key):
        t = type(k)
        if t not in _BASIC_TYPES:
            return None
        if t is slice:
            if k.step is not None and (type(k.step) is not int or k.step <= 0):
                return None
            if not (k.start is None or type(k.start) is int) or not (
                k.stop is None or type(k.stop) is int
            ):
                return None
            consumed += 1
        elif t is int:
            consumed += 1
        elif k is not None:
            if ellipsis_at >= 0:
                return None
            ellipsis_at = i
    if consumed > len(shape):
        return None
    dim = 0
    for i, k in enumerate(key):
        if type(k) is int:
            size = shape[dim]
            if not -size <= k < size:
                return None
            dim += 1
        elif type(k) is slice:
            dim += 1
        elif i == ellipsis_at:
            dim += len(shape) - consumed
    # a trailing ... keeps every result an array (NumPy returns scalars for full int keys)
    return key if ellipsis_at >= 0 else key + (Ellipsis,)


def _raise_mask_mismatch(data, basic, mask, rdim):
    view_shape = data[tuple(basic) + (Ellipsis,)].shape
    for j, s in enumerate(mask.shape):
        if rdim + j >= len(view_shape) or view_shape[rdim + j] != s:
            raise IndexError(
                f"The shape of the mask {list(mask.shape)} at index {j} does not match the "
                f"shape of the indexed tensor {list(view_shape)} at index {rdim + j}"
            )


def __getitem__(self: Tensor, key) -> Tensor:
    """``self[key]``: a view for ints/slices/None/..., a copy when index arrays or masks are
    involved. Differentiable; repeated indices accumulate their gradients.

    Example:
        >>> x = ember.arange(6.).reshape(2, 3)
        >>> x[1, 1:]            # a view
        tensor([4., 5.])
        >>> x[:, [0, 0, 2]]     # a copy
        tensor([[0., 0., 2.],
                [3., 3., 5.]])
    """
    return Index.apply(self, _parse_key(self, key))


def __setitem__(self: Tensor, key, value) -> None:
    """``self[key] = value`` in place (``value`` a number or a tensor, broadcast).

    When ``self`` or ``value`` requires grad, ``self`` takes over the history: its gradient
    flows to the earlier ``self`` (zero at the written positions) and to ``value``.
    """
    # The value is cast to self's dtype. PyTorch refuses a dtype mismatch when the key holds
    # index tensors and casts otherwise; Ember casts in both cases, as that is what such code
    # means.
    _put_inplace(self, value, _parse_key(self, key), False, "__setitem__")


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (added there when
    ``accumulate``, so repeated indices sum).

    Args:
        indices: a tuple of index tensors (integer or bool), one per leading dimension.
        values: a tensor of ``input``'s dtype, broadcast to the indexed shape.
    """
    plan = _index_put_plan(input, indices, values, "index_put")
    return IndexPut.apply(input, values, plan, bool(accumulate), "index_put")


def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place :func:`index_put`."""
    plan = _index_put_plan(self, indices, values, "index_put_")
    return _put_inplace(self, values, plan, bool(accumulate), "index_put_")


def _index_put_plan(input, indices, values, op):
    if not isinstance(values, Tensor):
        raise TypeError(f"{op}(): argument 'values' must be a Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}: Index put requires the source and destination dtypes match, got "
            f"{input.dtype.name} for the destination and {values.dtype.name} for the source."
        )
    # None in PyTorch's index list means "this whole dimension" (not a new axis as in x[None])
    indices = tuple(slice(None) if i is None else i for i in indices)
    if len(indices) > input._data.ndim:
        raise IndexError(
            f"{op}: too many indices for tensor of dimension {input._data.ndim} "
            f"(got {len(indices)})"
        )
    return _parse_key(input, indices)
