"""Collation: turning a list of samples into a batch (:func:`default_collate`) and converting one
sample's NumPy arrays into tensors (:func:`default_convert`), with PyTorch's rules.

PyTorch keeps these in ``torch.utils.data._utils.collate``; Ember keeps them here and exports
``default_collate``/``default_convert`` from ``ember.utils.data``. :func:`collate` with a
``collate_fn_map`` (and the editable :data:`default_collate_fn_map`) extends them by type.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from ...ops import creation as _creation

__all__ = [
    "collate",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "collate_tensor_fn",
    "collate_numpy_array_fn",
    "collate_numpy_scalar_fn",
    "collate_float_fn",
    "collate_int_fn",
    "collate_str_fn",
]

# NumPy dtype codes of bytes (S, a), unicode (U) and object (O) arrays: not numeric, never tensors.
_np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def default_convert(data):
    """Convert the NumPy arrays (and NumPy scalars) inside one sample into tensors, keeping the
    container structure; everything else is returned unchanged. The DataLoader's collate
    function when batching is off (``batch_size=None``).

    Tuples become lists, as in PyTorch; namedtuples, dicts and other sequences keep their type.

    Example:
        >>> default_convert({"x": np.array([1, 2]), "name": "a"})
        {'x': tensor([1, 2]), 'name': 'a'}
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _creation.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        return _rebuild_mapping(data, converted)
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, items: dict):
    """A mapping of ``like``'s type holding ``items`` (a plain dict when the type cannot be
    rebuilt), keeping a mutable mapping's other attributes through a shallow copy."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _rebuild_sequence(like, items: list):
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def collate(batch, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None):
    """Collate ``batch`` (a list of samples) recursively: containers are collated field by field
    and leaves by the function ``collate_fn_map`` gives for their type (exact type first, then
    the first key the leaf is an instance of).

    Args:
        batch: the samples of one batch.
        collate_fn_map: type -> ``fn(batch, *, collate_fn_map)`` for the leaves.

    Example:
        >>> def stack_tensors(batch, *, collate_fn_map):
        ...     return ember.stack(batch)
        >>> collate([(ember.zeros(2), "a"), (ember.ones(2), "b")],
        ...         collate_fn_map={Tensor: stack_tensors, str: collate_str_fn})
        [tensor([[0., 0.], [1., 1.]]), ['a', 'b']]
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        items = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        return _rebuild_mapping(elem, items)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            sizes = [len(sample) for sample in batch]
            raise RuntimeError(
                f"each element in list of batch should be of equal size (got sizes {sizes}); "
                f"pad the samples or pass a collate_fn that handles varying lengths"
            )
        fields = [collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # tuples collate to lists, as in PyTorch
        return _rebuild_sequence(elem, fields)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack tensors along a new first dimension."""
    from ...ops.join import stack

    try:
        return stack(batch, 0)
    except RuntimeError as exc:
        # stack's own message names the first mismatching shapes and their batch positions.
        raise RuntimeError(f"default_collate: {exc}") from None


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays become tensors (sharing memory), then are stacked."""
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([_creation.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars become a 1-D tensor of their dtype."""
    return _creation.as_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats become a float64 tensor (PyTorch's choice: the values are doubles)."""
    return _creation.tensor(batch, dtype=dt.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints become an int64 tensor (bools, being ints, a bool tensor)."""
    return _creation.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes stay a list."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Put a list of samples into a batch with a new leading dimension, PyTorch's way.

    * Tensors are stacked; NumPy arrays and NumPy scalars become tensors (stacked);
    * Python ``float`` -> float64 tensor, ``int`` -> int64 tensor, ``bool`` -> bool tensor;
    * ``str``/``bytes`` stay a list;
    * dicts, namedtuples and sequences are collated field by field (tuples give lists).

    Tensors of different shapes raise a RuntimeError naming the shapes and their positions in
    the batch: ``default_collate: stack expects each tensor to be equal size, but got [3] at
    entry 0 and [4] at entry 1``.

    Example:
        >>> default_collate([{"x": 0.5, "y": 1}, {"x": 1.5, "y": 2}])
        {'x': tensor([0.5000, 1.5000], dtype=ember.float64), 'y': tensor([1, 2])}
        >>> default_collate([(ember.zeros(2), "a"), (ember.ones(2), "b")])
        [tensor([[0., 0.], [1., 1.]]), ['a', 'b']]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
