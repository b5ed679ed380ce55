"""Padding layers: ZeroPad1d/2d/3d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
ReplicationPad1d/2d/3d, CircularPad1d/2d/3d.

Each stores ``padding`` as a tuple of 2, 4 or 6 ints in ``F.pad`` order (left, right, top,
bottom, front, back); an int pads every side by that much. ``extra_repr`` is PyTorch's (the
tuple alone, or ``padding=..., value=...`` for the constant pads).
"""

from __future__ import annotations

from ..._tensor import Tensor
from ..functional._vision import _pad
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _PadNd(Module):
    """Base: ``padding`` from an int or a sequence of ``2 * nd`` ints; ``forward`` pads."""

    _nd = 0
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._nd)

    def forward(self, input: Tensor) -> Tensor:
        return _pad(input, self.padding, self._mode, None, self)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return _pad(input, self.padding, "constant", self.value, self)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with a constant.

    Args:
        padding: an int (both sides) or (left, right); negative values crop.
        value: the fill value.

    Shape: (N, C, W) or (C, W) -> W_out = W + left + right (any leading dims work).

    Example:
        >>> nn.ConstantPad1d((1, 2), 3.5)(ember.tensor([[1., 2.]]))
        tensor([[3.5000, 1.0000, 2.0000, 3.5000, 3.5000]])
    """

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with a constant; padding an int or (left, right, top,
    bottom)."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with a constant; padding an int or (left, right, top,
    bottom, front, back)."""

    _nd = 3


class ZeroPad1d(ConstantPad1d):
    """:class:`ConstantPad1d` with value 0 (``extra_repr`` shows only the padding)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """:class:`ConstantPad2d` with value 0.

    Example:
        >>> nn.ZeroPad2d((1, 1, 0, 1))(ember.ones(1, 1, 2, 2)).shape
        ember.Size([1, 1, 3, 4])
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """:class:`ConstantPad3d` with value 0."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dimension of (N, C, W) or (C, W) input with its reflection at the edge
    (the edge itself not repeated); each padding must be smaller than W.

    Example:
        >>> nn.ReflectionPad1d(2)(ember.tensor([[1., 2., 3.]]))
        tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """

    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Reflection padding of (N, C, H, W) or (C, H, W) input by (left, right, top, bottom)."""

    _nd = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Reflection padding of (N, C, D, H, W) or (C, D, H, W) input."""

    _nd = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dimension of (N, C, W) or (C, W) input by repeating its edge values.

    Example:
        >>> nn.ReplicationPad1d((2, 1))(ember.tensor([[1., 2., 3.]]))
        tensor([[1., 1., 1., 2., 3., 3.]])
    """

    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Replication padding of (N, C, H, W) or (C, H, W) input."""

    _nd = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Replication padding of (N, C, D, H, W) or (C, D, H, W) input."""

    _nd = 3
    _mode = "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        # PyTorch checks the rank here, with a ValueError, before F.pad.
        ndim = input.dim()
        if ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}): expected "
                             f"{self._nd + 1}D or {self._nd + 2}D input (got {ndim}D input)")
        return _pad(input, self.padding, "circular", None, self)


class CircularPad1d(_CircularPadNd):
    """Pad the last dimension of (N, C, W) or (C, W) input by wrapping around (periodic
    boundary).

    Example:
        >>> nn.CircularPad1d((1, 2))(ember.tensor([[1., 2., 3.]]))
        tensor([[3., 1., 2., 3., 1., 2.]])
    """

    _nd = 1


class CircularPad2d(_CircularPadNd):
    """Circular padding of (N, C, H, W) or (C, H, W) input."""

    _nd = 2


class CircularPad3d(_CircularPadNd):
    """Circular padding of (N, C, D, H, W) or (C, D, H, W) input."""

    _nd = 3
