"""Tensor creation: ``tensor``, ``as_tensor``, ``from_numpy``, ``zeros``/``ones``/``full``/
``empty`` (and ``_like``), ``arange``, ``linspace``, ``logspace``, ``eye``, DLPack import.

Python data follows PyTorch's inference: floats become the default dtype (float32), ints int64,
bools bool, complex numbers complex64. NumPy arrays keep their dtype.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _device as _dev
from .. import _dtype as dt
from .. import _settings
from .._tensor import Tensor, _make
from ._util import register_methods

__all__ = [
    "tensor",
    "as_tensor",
    "asarray",
    "from_numpy",
    "from_dlpack",
    "scalar_tensor",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "arange",
    "range",
    "linspace",
    "logspace",
    "eye",
    "empty_strided",
    "complex",
    "polar",
]

def _sizes(size, op):
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros([2, 3])`` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"{op}(): argument 'size' must be a tuple of ints, but found element of type "
                f"{type(s).__name__}"
            )
        if s < 0:
            raise RuntimeError(
                f"{op}(): Trying to create tensor with negative dimension {s}: {list(size)}"
            )
        shape.append(int(s))
    return tuple(shape)


def _finish(data, requires_grad: bool) -> Tensor:
    t = _make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _target(dtype, device):
    """The NumPy dtype (or None) and array module for a creation call."""
    np_dtype = None if dtype is None else dt.to_dtype(dtype).np_dtype
    dev = _settings._resolve_device(device)
    return np_dtype, _dev.array_module_for(dev), dev


def _infer_np_dtype(data):
    """PyTorch's dtype for Python data: default float for floats, int64, bool, complex."""
    arr = np.asarray(data)
    kind = arr.dtype.kind
    if kind == "f":
        return dt.get_default_dtype().np_dtype
    if kind in "iu":
        return np.dtype(np.int64)
    if kind == "c":
        return dt.get_default_dtype().to_complex().np_dtype
    if kind == "b":
        return np.dtype(np.bool_)
    raise TypeError(f"tensor(): could not infer a dtype from data of NumPy dtype {arr.dtype}")


def _to_array(data, op):
    """Python data (nested sequences, possibly holding 0-d tensors) as a NumPy array."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flat(data)):
        data = _untensor(data)
    try:
        return np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"{op}(): the data is not a rectangular nested sequence: {exc}") from None


def _flat(seq):
    for item in seq:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield item


def _untensor(seq):
    out = []
    for item in seq:
        if isinstance(item, (list, tuple)):
            out.append(_untensor(item))
        elif isinstance(item, Tensor):
            out.append(item.numpy(force=True))
        else:
            out.append(item)
    return out


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequence, array or tensor).

    Example:
        >>> ember.tensor([[1, 2], [3, 4]])
        tensor([[1, 2],
                [3, 4]])
    """
    np_dtype, xp, dev = _target(dtype, device)
    if _dev.is_cupy_array(data) or isinstance(data, Tensor):
        src = data._data if isinstance(data, Tensor) else data
        arr = _dev.move_array(src, dev)
        arr = arr.astype(np_dtype if np_dtype is not None else arr.dtype, copy=True)
        return _finish(arr, requires_grad)
    if isinstance(data, np.ndarray):
        arr = data
        target = np_dtype if np_dtype is not None else _numpy_kept_dtype(arr)
    else:
        arr = _to_array(data, "tensor")
        target = np_dtype if np_dtype is not None else _infer_np_dtype(arr)
    out = xp.array(arr, dtype=target, copy=True)
    return _finish(out, requires_grad)


def _numpy_kept_dtype(arr):
    # NumPy arrays keep their dtype (as in torch.from_numpy); types Ember lacks are widened
    return dt.from_numpy_dtype(arr.dtype).np_dtype


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but without a copy when ``data`` is already a suitable array/tensor."""
    if isinstance(data, Tensor):
        out = data
        if device is not None:
            out = out.to(device)
        if dtype is not None:
            out = out.to(dtype)
        return out
    if isinstance(data, np.ndarray) or _dev.is_cupy_array(data):
        np_dtype, xp, dev = _target(dtype, device)
        arr = _dev.move_array(data, dev) if device is not None else data
        target = np_dtype if np_dtype is not None else _numpy_kept_dtype(arr)
        if arr.dtype != target:
            arr = arr.astype(target)
        return _make(arr)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """Like :func:`as_tensor`; ``copy=True`` forces a copy."""
    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    out = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        out.requires_grad_(True)
    return out


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array: writes to either are seen by both."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    dt.from_numpy_dtype(ndarray.dtype)  # refuses dtypes Ember cannot hold
    if ndarray.dtype.kind == "u" and ndarray.dtype.itemsize > 1:
        raise TypeError(
            f"from_numpy: can't convert np.ndarray of type {ndarray.dtype} without a copy; "
            f"use ember.tensor() to widen it"
        )
    return _make(ndarray)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (NumPy, CuPy, JAX, ...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    device_type, device_id = ext_tensor.__dlpack_device__()
    if int(device_type) == 1:  # kDLCPU
        return _make(np.from_dlpack(ext_tensor))
    if int(device_type) in (2, 13):  # kDLCUDA, kDLCUDAManaged
        cp = _dev.cupy_module()
        return _make(cp.from_dlpack(ext_tensor))
    raise RuntimeError(f"from_dlpack: unsupported DLPack device type {device_type}")


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor (default float dtype)."""
    return tensor(s, dtype=dtype or dt.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def _filled(fill, size, dtype, device, requires_grad, op):
    shape = _sizes(size, op)
    np_dtype, xp, _ = _target(dtype, device)
    if np_dtype is None:
        np_dtype = dt.get_default_dtype().np_dtype
    if fill == 0:
        data = xp.zeros(shape, dtype=np_dtype)
    elif fill == 1:
        data = xp.ones(shape, dtype=np_dtype)
    else:
        data = xp.empty(shape, dtype=np_dtype)
    return _finish(data, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled(0, size, dtype, device, requires_grad, "zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    return _filled(1, size, dtype, device, requires_grad, "ones")


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    """An uninitialised tensor (its values are whatever the memory held)."""
    return _filled(None, size, dtype, device, requires_grad, "empty")


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor; Ember's arrays are C-ordered, so ``stride`` is advisory."""
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype is inferred from it when not given."""
    shape = _sizes((size,) if isinstance(size, (tuple, list)) else (size,), "full")
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = dt.bool
        elif isinstance(fill_value, numbers.Integral):
            dtype = dt.int64
        elif isinstance(fill_value, numbers.Complex) and not isinstance(fill_value, numbers.Real):
            dtype = dt.get_default_dtype().to_complex()
        else:
            dtype = dt.get_default_dtype()
    np_dtype, xp, _ = _target(dtype, device)
    return _finish(xp.full(shape, fill_value, dtype=np_dtype), requires_grad)


def _like(input, dtype, device):
    dtype = input.dtype if dtype is None else dtype
    device = input.device if device is None else device
    return dtype, device


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``.

    Integers give int64; any float argument gives the default float dtype.
    """
    start, end, step = _number(start), _number(end), _number(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dt.int64 if integral else dt.get_default_dtype()
    np_dtype, xp, _ = _target(dtype, device)
    n = max(0, math.ceil((end - start) / step))
    # computed in float64 (or int64) then cast, like PyTorch, so the length is exact
    if np.dtype(np_dtype).kind in "iu":
        data = xp.arange(start, start + n * step, step, dtype=np.int64)[:n].astype(np_dtype)
    else:
        data = (start + step * xp.arange(n, dtype=np.float64)).astype(np_dtype)
    return _finish(data, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Deprecated in PyTorch: like ``arange`` but including ``end``; default float dtype."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    np_dtype, xp, _ = _target(dtype or dt.get_default_dtype(), device)
    return _finish((start + step * xp.arange(n, dtype=np.float64)).astype(np_dtype),
                   requires_grad)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number(start), _number(end)
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    np_dtype, xp, _ = _target(dtype or dt.get_default_dtype(), device)
    if np.dtype(np_dtype).kind in "iu":
        data = xp.linspace(start, end, steps, dtype=np.float64).astype(np_dtype)
    else:
        data = xp.linspace(start, end, steps, dtype=np.float64).astype(np_dtype)
    return _finish(data, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None,
             device=None, requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    np_dtype, xp, _ = _target(dtype or dt.get_default_dtype(), device)
    data = xp.logspace(_number(start), _number(end), steps, base=base, dtype=np.float64)
    return _finish(data.astype(np_dtype), requires_grad)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    """The ``n x m`` identity matrix."""
    np_dtype, xp, _ = _target(dtype or dt.get_default_dtype(), device)
    return _finish(xp.eye(n, m, dtype=np_dtype), requires_grad)


def complex(real: Tensor, imag: Tensor) -> Tensor:
    """A complex tensor from real and imaginary parts (float32 -> complex64)."""
    return real + imag * 1j


def polar(abs: Tensor, angle: Tensor) -> Tensor:
    """``abs * (cos(angle) + i sin(angle))``."""
    return abs * angle.cos() + abs * angle.sin() * 1j


# -- Tensor.new_* ------------------------------------------------------------------------------


def _new_kwargs(self, dtype, device):
    return {"dtype": self.dtype if dtype is None else dtype,
            "device": self.device if device is None else device}


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(data, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return empty(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(size, fill_value, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def _fill_(self, value):
    from ._util import inplace

    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions."
        )

    def filled(t, v):
        if isinstance(v, Tensor):
            from ._util import broadcast_to
            from .convert import to_dtype

            return to_dtype(broadcast_to(v, t.shape), t._data.dtype)
        return _make(_dev.get_array_module(t._data).full(t._data.shape, v, dtype=t._data.dtype))

    return inplace(self, filled, value, op="fill_")


def _zero_(self):
    return _fill_(self, 0)


register_methods(
    new_tensor=new_tensor,
    new_zeros=new_zeros,
    new_ones=new_ones,
    new_empty=new_empty,
    new_full=new_full,
    fill_=_fill_,
    zero_=_zero_,
)
