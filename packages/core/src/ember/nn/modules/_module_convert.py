"""Device and dtype movement of a :class:`Module` (``to``, ``cuda``, ``float``, ...).

Split out of ``module.py``; ``Module`` inherits :class:`_ModuleConversionMixin`, whose methods
all go through ``Module._apply``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import _dtype as dt

if TYPE_CHECKING:
    from .module import Module


class _ModuleConversionMixin:
    """``to`` / ``cpu`` / ``cuda`` / ``type`` / ``float`` / ``double`` / ``half`` /
    ``bfloat16`` / ``to_empty`` / ``share_memory``, built on ``self._apply``."""

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast the parameters and buffers in place: ``to(device)``,
        ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``.

        Only floating-point (and complex) tensors are cast; integer buffers keep their dtype.
        Returns ``self``.
        """
        from ...ops.convert import _parse_to

        device, dtype = _parse_to(args, dict(kwargs))
        if dtype is not None:
            dtype = dt.to_dtype(dtype)
            if not (dtype.is_floating_point or dtype.is_complex):
                raise TypeError(
                    f"nn.Module.to only accepts floating point or complex dtypes, but got "
                    f"desired dtype={dtype}"
                )

        def convert(t):
            cast = dtype if t.is_floating_point() or t.is_complex() else None
            return t.to(device, cast)

        return self._apply(convert)

    def cpu(self) -> Module:
        """Move all parameters and buffers to the CPU."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None) -> Module:
        """Move all parameters and buffers to a CUDA device."""
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type) -> Module:
        """Cast all parameters and buffers (integer ones included) to ``dst_type``."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Module:
        """Cast floating-point parameters and buffers to float16."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self) -> Module:
        """Cast floating-point parameters and buffers to bfloat16."""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def to_empty(self, *, device=None, recurse: bool = True) -> Module:
        """Give every parameter and buffer fresh uninitialised memory on ``device``."""
        from ...ops.creation import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def share_memory(self) -> Module:
        """No-op kept for compatibility: DataLoader workers copy modules by pickling."""
        return self
