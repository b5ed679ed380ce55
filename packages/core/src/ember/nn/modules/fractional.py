"""Fractional max pooling layers: ``FractionalMaxPool2d`` and ``FractionalMaxPool3d``
(``torch/nn/modules/pooling.py``); the computation is in ``functional/_fractional.py``."""

from __future__ import annotations

from ..._tensor import Tensor
from ..functional._fractional import fractional_max_pool2d, fractional_max_pool3d
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _tuple(value, n: int):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (value,) * n
    value = tuple(value)
    return value * n if len(value) == 1 else value


class _FractionalMaxPoolNd(Module):
    _nd = 0
    _functional = None

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        n, name = self._nd, type(self).__name__
        self.kernel_size = _tuple(kernel_size, n)
        self.return_indices = return_indices
        # A buffer as in PyTorch (None, so not in the state_dict, unless samples are given)
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, n)
        self.output_ratio = _tuple(output_ratio, n)
        if output_size is None and output_ratio is None:
            raise ValueError(
                f"{name} requires specifying either an output size, or a pooling ratio"
            )
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        return type(self)._functional(
            input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
            _random_samples=self._random_samples,
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling (Graham 2015): max over ``kernel_size`` windows placed at
    pseudo-random, fractionally strided positions (see :func:`F.fractional_max_pool2d`).

    Args:
        kernel_size: the window size, an int or ``(kH, kW)``.
        output_size: the output size ``(oH, oW)`` (or one int); or instead
        output_ratio: a fraction in (0, 1) of the input size (one float or a pair).
        return_indices: also return the flat argmax indices (for ``nn.MaxUnpool2d``).
        _random_samples: fixed ``(N, C, 2)`` samples in [0, 1) (default: fresh ones per call).

    Shape:
        input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, oH, oW)`` or ``(C, oH, oW)``.

    Example:
        >>> m = nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))
        >>> m(ember.randn(2, 4, 10, 10)).shape
        ember.Size([2, 4, 5, 5])
    """

    _nd = 2
    _functional = staticmethod(fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input; the
    arguments are :class:`FractionalMaxPool2d`'s with three sizes (``_random_samples`` of shape
    ``(N, C, 3)``).

    Example:
        >>> m = nn.FractionalMaxPool3d(2, output_size=(3, 3, 3))
        >>> m(ember.randn(1, 2, 6, 6, 6)).shape
        ember.Size([1, 2, 3, 3, 3])
    """

    _nd = 3
    _functional = staticmethod(fractional_max_pool3d)
