"""Ember's dtypes and PyTorch's type-promotion rules.

A :class:`dtype` wraps the NumPy dtype that backs it (CuPy uses the same dtype objects), so
converting between the two is a dictionary lookup. bfloat16 comes from ``ml_dtypes``.

Promotion follows PyTorch, not NumPy: operands are ranked by *category* (bool < integer <
floating < complex) and by *priority* (tensors with dimensions > zero-dim tensors > Python
scalars). A lower-priority operand only changes the result when its category is higher; then a
zero-dim tensor contributes its own dtype and a Python scalar the default dtype of its category.
So ``int32 tensor + 2.5`` is float32, ``float16 tensor + float64 0-d tensor`` is float16 and
``uint8 + int8`` is int16.
"""

from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np

__all__ = [
    "dtype",
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "half",
    "float",
    "double",
    "short",
    "int",
    "long",
    "cfloat",
    "cdouble",
    "promote_types",
    "result_type",
    "can_cast",
    "get_default_dtype",
    "set_default_dtype",
    "finfo",
    "iinfo",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, e.g. ``ember.float32``.

    Attributes mirror ``torch.dtype``: ``is_floating_point``, ``is_complex``, ``is_signed``,
    ``itemsize``. ``np_dtype`` is the NumPy dtype that stores the elements.
    """

    __slots__ = ("name", "np_dtype", "_category", "itemsize", "is_signed")

    def __init__(self, name: str, np_dtype, category: int, is_signed: builtins.bool):
        self.name = name
        self.np_dtype = np.dtype(np_dtype)
        self._category = category
        self.itemsize = self.np_dtype.itemsize
        self.is_signed = is_signed

    @property
    def is_floating_point(self) -> builtins.bool:
        return self._category == _FLOAT

    @property
    def is_complex(self) -> builtins.bool:
        return self._category == _COMPLEX

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float64: complex128, complex128: complex128}.get(self, complex64)

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


bool = dtype("bool", np.bool_, _BOOL, False)
uint8 = dtype("uint8", np.uint8, _INT, False)
int8 = dtype("int8", np.int8, _INT, True)
int16 = dtype("int16", np.int16, _INT, True)
int32 = dtype("int32", np.int32, _INT, True)
int64 = dtype("int64", np.int64, _INT, True)
float16 = dtype("float16", np.float16, _FLOAT, True)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, True)
float32 = dtype("float32", np.float32, _FLOAT, True)
float64 = dtype("float64", np.float64, _FLOAT, True)
complex64 = dtype("complex64", np.complex64, _COMPLEX, True)
complex128 = dtype("complex128", np.complex128, _COMPLEX, True)

# PyTorch's aliases.
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

_ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_ALL += (complex64, complex128)
_BY_NAME = {d.name: d for d in _ALL}
_FROM_NP = {d.np_dtype: d for d in _ALL}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The Ember dtype for a NumPy dtype; unsigned 16/32/64-bit map to the next signed type."""
    d = _FROM_NP.get(np_dtype)
    if d is not None:
        return d
    np_dtype = np.dtype(np_dtype)
    d = _FROM_NP.get(np_dtype)
    if d is not None:
        return d
    widened = {np.dtype(np.uint16): int32, np.dtype(np.uint32): int64, np.dtype(np.uint64): int64}
    if np_dtype in widened:
        return widened[np_dtype]
    raise TypeError(f"ember has no dtype for NumPy dtype {np_dtype}")


def to_dtype(d) -> dtype:
    """Accept an Ember dtype, a NumPy dtype, a Python type or a name; return an Ember dtype."""
    if type(d) is dtype:
        return d
    if d is builtins.float:
        return _default_float
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return _default_float.to_complex()
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError as exc:
        raise TypeError(f"not a dtype: {d!r}") from exc


# ---------------------------------------------------------------------------------------------
# Promotion
# ---------------------------------------------------------------------------------------------

_default_float = float32


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(d) -> None:
    """Set the default floating-point dtype (float16, bfloat16, float32 or float64)."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point dtypes are allowed, got {d}")
    _default_float = d


def _promote_same_category(a: dtype, b: dtype) -> dtype:
    if {a, b} == {float16, bfloat16}:
        return float32
    if a is bfloat16 or b is bfloat16:  # bfloat16 with float32/float64: the wider one
        other = b if a is bfloat16 else a
        return other if other.itemsize > 2 else bfloat16
    return _FROM_NP[np.promote_types(a.np_dtype, b.np_dtype)]


def _compute_promotion(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._category != b._category:
        hi, lo = (a, b) if a._category > b._category else (b, a)
        if hi._category == _COMPLEX and lo._category == _FLOAT and lo is float64:
            return complex128
        return hi
    return _promote_same_category(a, b)


_PROMOTION = {(a, b): _compute_promotion(a, b) for a in _ALL for b in _ALL}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype to which both dtypes can be cast, as ``torch.promote_types``."""
    return _PROMOTION[to_dtype(type1), to_dtype(type2)]


def _scalar_category(x) -> int:
    if isinstance(x, builtins.bool):
        return _BOOL
    if isinstance(x, builtins.int):
        return _INT
    if isinstance(x, builtins.float):
        return _FLOAT
    return _COMPLEX


def _scalar_dtype(category: int) -> dtype:
    return (bool, int64, _default_float, _default_float.to_complex())[category]


def result_type(*operands) -> dtype:
    """The dtype PyTorch gives an elementwise op on these tensors and Python scalars."""
    from ._tensor import Tensor

    dims = zero = scal = None  # the promoted dtype of each priority group
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x.ndim:
                dims = d if dims is None else _PROMOTION[dims, d]
            else:
                zero = d if zero is None else _PROMOTION[zero, d]
        elif isinstance(x, (builtins.bool, builtins.int, builtins.float, builtins.complex)):
            c = _scalar_category(x)
            if scal is None or c > scal:
                scal = c
        else:
            raise TypeError(
                f"result_type: expected tensors or Python numbers, got {type(x).__name__}"
            )
    out = dims
    if zero is not None:
        if out is None:
            out = zero
        elif zero._category > out._category:
            out = _promote_across(out, zero)
    if scal is not None:
        if out is None:
            out = _scalar_dtype(scal)
        elif scal > out._category:
            out = _promote_across(out, _scalar_dtype(scal))
    return out


def _promote_across(low_priority_result: dtype, higher_category: dtype) -> dtype:
    # A float16 tensor plus a complex scalar stays half precision in spirit: complex64.
    if higher_category._category == _COMPLEX and low_priority_result is float64:
        return complex128
    return higher_category


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether PyTorch allows an in-place op to write a ``from_`` result into a ``to`` tensor."""
    return to_dtype(from_)._category <= to_dtype(to)._category


class finfo:
    """Machine limits of a floating-point dtype (``eps``, ``max``, ``min``, ``tiny``, ``bits``)."""

    def __init__(self, type: dtype | None = None):
        type = _default_float if type is None else to_dtype(type)
        if not (type.is_floating_point or type.is_complex):
            raise TypeError(f"finfo: {type} is not a floating-point dtype")
        info = ml_dtypes.finfo(type.to_real().np_dtype)
        self.dtype = type.to_real().name
        self.bits = builtins.int(info.bits)
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = builtins.float(info.tiny)
        self.smallest_normal = self.tiny
        self.resolution = builtins.float(info.resolution)

    def __repr__(self) -> str:
        return f"finfo(dtype={self.dtype}, eps={self.eps}, max={self.max}, min={self.min})"


class iinfo:
    """Machine limits of an integer dtype (``max``, ``min``, ``bits``)."""

    def __init__(self, type: dtype):
        type = to_dtype(type)
        if type._category not in (_INT, _BOOL):
            raise TypeError(f"iinfo: {type} is not an integer dtype")
        info = np.iinfo(type.np_dtype) if type is not bool else np.iinfo(np.uint8)
        self.dtype = type.name
        self.bits = builtins.int(info.bits)
        self.max = builtins.int(info.max)
        self.min = builtins.int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(dtype={self.dtype}, max={self.max}, min={self.min})"
