"""Copies and conversions: dtype casts, device moves, ``clone``, ``copy_``, ``contiguous``.

All are differentiable: the gradient of a cast is cast back, the gradient of a device move goes
back to the source device.
"""

from __future__ import annotations

import numpy as np

from .. import _device as _dev
from .. import _dtype as dt
from .._tensor import Tensor, _make, check_inplace
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._quiet import quiet_off, quiet_on
from ._util import register_methods, write_into, xp_of

__all__ = ["clone", "to_dtype", "to"]


class Cast(Function):
    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.src = x._data.dtype
        data = x._data
        if data.dtype.kind == "c" and np.dtype(np_dtype).kind != "c":
            data = data.real  # complex -> real keeps the real part (PyTorch; NumPy would warn)
        token = quiet_on()  # overflow to inf (e.g. a scaled float16 gradient) is silent
        try:
            return data.astype(np_dtype)
        finally:
            quiet_off(token)

    @staticmethod
    def backward(ctx, grad):
        return to_dtype(grad, ctx.src), None


class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.src = x.device
        return _dev.move_array(x._data, device)

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, ctx.src), None


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Copy(Function):
    """``dst.copy_(src)``: the output takes ``src``'s values (broadcast, cast, moved)."""

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_meta = (src._data.shape, src._data.dtype, src.device)
        data = _dev.move_array(src._data, dst.device)
        xp = xp_of(dst._data)
        try:
            out = xp.broadcast_to(data, dst._data.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {list(src._data.shape)} cannot be broadcast to "
                f"the destination's shape {list(dst._data.shape)}"
            ) from None
        return out.astype(dst._data.dtype, copy=True)

    @staticmethod
    def backward(ctx, grad):
        from ._util import unbroadcast

        shape, dtype, device = ctx.src_meta
        g = unbroadcast(grad, shape)
        if g._data.dtype != dtype:
            g = to_dtype(g, dtype)
        if g.device != device:
            g = ToDevice.apply(g, device)
        return None, g


def to_dtype(x: Tensor, dtype) -> Tensor:
    """``x`` cast to ``dtype`` (an Ember or NumPy dtype); ``x`` itself when already there."""
    np_dtype = dtype.np_dtype if type(dtype) is dt.dtype else dtype
    if x._data.dtype == np_dtype:
        return x
    return Cast.apply(x, np_dtype)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy of ``input`` with its own memory; gradients flow back to ``input``."""
    return Clone.apply(input)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src``'s values into ``self`` (broadcasting, casting and moving as needed)."""
    if not isinstance(src, Tensor):
        src = _make(xp_of(self._data).asarray(src))
    check_inplace(self, src, op="copy_")
    if not (STATE.enabled and (self.requires_grad or src.requires_grad)):
        data = _dev.move_array(src._data, self.device)
        xp_of(self._data).copyto(self._data, data, casting="unsafe")
        counter = self._version_counter
        if counter is None:
            self._version_counter = [1]
        else:
            counter[0] += 1
        return self
    return write_into(self, Copy.apply(self, src), "copy_")


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    """``self`` if its memory is C-contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)


def _parse_to(args, kwargs):
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (dt.dtype, type)) or (
            isinstance(a, str) and a in dt._BY_NAME and a not in ("cpu", "cuda")
        ):
            dtype = a
        elif isinstance(a, (str, _dev.device, int)) and not isinstance(a, bool):
            device = a
        elif a is None:
            continue
        else:
            try:
                dtype = dt.to_dtype(a)
            except TypeError:
                raise TypeError(f"to(): cannot interpret {a!r} as a device or dtype") from None
    return device, dtype


def to(self: Tensor, *args, **kwargs) -> Tensor:
    copy = kwargs.get("copy", False)
    device, dtype = _parse_to(args, dict(kwargs))
    out = self
    if device is not None:
        device = _dev.to_device(device)
        if device.type == "cuda":
            _dev.cupy_module()  # a clear error when CUDA cannot be used
        if out.device != device and not (
            device.type == "cuda" and device.index is None and out.is_cuda
        ):
            out = ToDevice.apply(out, device)
    if dtype is not None:
        out = to_dtype(out, dt.to_dtype(dtype))
    if copy and out is self:
        out = clone(self)
    return out


register_methods(clone=clone, copy_=copy_, contiguous=contiguous)
