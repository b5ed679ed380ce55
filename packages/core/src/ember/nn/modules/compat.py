"""Layers kept for PyTorch compatibility: ``CrossMapLRN2d`` (the Lua-Torch local response norm),
``SyncBatchNorm`` (batch norm meant for multi-process training; Ember runs it in one process)
and the deprecated ``Container``."""

from __future__ import annotations

import warnings

import numpy as np

from ..._tensor import Tensor
from ...ops.creation import tensor
from .batchnorm import _BatchNorm
from .module import Module

__all__ = ["CrossMapLRN2d", "SyncBatchNorm", "Container"]


# ---------------------------------------------------------------------------------------------
# CrossMapLRN2d
# ---------------------------------------------------------------------------------------------


def _cross_map_window(channels: int, size: int) -> np.ndarray:
    """The 0/1 matrix ``W`` with ``scale_sum[c] = sum_j W[c, j] * x[j]**2`` of PyTorch's
    ``CrossMapLRN2d`` (``torch/nn/modules/_functions.py``).

    PyTorch slides a running sum over the channels: it starts from channels
    ``[0, p)`` with ``p = (size - 1) // 2 + 1``, adds channel ``c + p - 1`` at each step and
    removes channel ``c - p`` only once ``c > p``. So channel 0 is never removed: the window
    of channel ``c`` is ``[max(c - p + 1, 1), min(c + p, C))`` plus channel 0 (for ``c >= p``
    that is one channel more than ``size``). Ember reproduces those sums exactly.
    """
    p = (size - 1) // 2 + 1
    c = np.arange(channels)[:, None]
    j = np.arange(channels)[None, :]
    lo = np.maximum(c - p + 1, 1)
    hi = np.minimum(c + p, channels)
    return ((j == 0) | ((j >= lo) & (j < hi))).astype(np.float64)


class CrossMapLRN2d(Module):
    """Local response normalisation across channels of a 4-D input, Lua Torch's form::

        y_c = x_c * (k + alpha / size * sum_{j in window(c)} x_j ** 2) ** -beta

    Like :class:`LocalResponseNorm` but with PyTorch's ``CrossMapLRN2d`` window, which
    reproduces its running-sum quirk (channel 0 stays in every window; see
    ``_cross_map_window``). Differentiable to any order (a composite of Ember ops).

    Args:
        size: the number of neighbouring channels in the sum.
        alpha: the multiplicative factor (default 1e-4).
        beta: the exponent (default 0.75).
        k: the additive constant (default 1).

    Shape:
        input and output: ``(N, C, H, W)``.

    Example:
        >>> nn.CrossMapLRN2d(3)(ember.randn(2, 5, 4, 4)).shape
        ember.Size([2, 5, 4, 4])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim != 4:
            raise ValueError(
                f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead "
                f"(input of shape {tuple(input.shape)}; expected (N, C, H, W))"
            )
        n, c, h, w = input.shape
        window = tensor(_cross_map_window(c, self.size), dtype=input.dtype, device=input.device)
        # (C, C) @ (N, C, H*W): the windowed sums of squares for every channel at once
        sums = (window @ (input * input).reshape(n, c, h * w)).reshape(n, c, h, w)
        scale = sums * (self.alpha / self.size) + self.k
        return input * scale ** (-self.beta)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# ---------------------------------------------------------------------------------------------
# SyncBatchNorm
# ---------------------------------------------------------------------------------------------


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over an ``(N, C, *)`` input whose statistics PyTorch synchronises
    across the processes of a group.

    Ember has no multi-process backend for it: every forward uses this process's batch, which
    is exactly PyTorch's own behaviour when no process group is initialised (it falls back to
    ``F.batch_norm``). Parameters, buffers, ``state_dict`` keys, defaults and ``extra_repr``
    are BatchNorm's; :meth:`convert_sync_batchnorm` swaps the BatchNorm layers of a model.

    Args:
        num_features: the number of channels ``C``.
        eps, momentum, affine, track_running_stats: as :class:`BatchNorm1d`.
        process_group: kept for API compatibility (stored as ``self.process_group``).
        bias: (keyword) whether the affine map has a bias.

    Shape:
        input and output: ``(N, C, *)``, at least 2 dimensions.

    Example:
        >>> m = nn.SyncBatchNorm(3)
        >>> m(ember.randn(4, 3, 2, 2, 2)).shape
        ember.Size([4, 3, 2, 2, 2])
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"SyncBatchNorm({self.num_features}): expected input of shape "
                f"(N, {self.num_features}, *), got {tuple(input.shape)}"
            )

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Replace every ``BatchNorm*d`` layer in ``module`` (recursively) by a
        ``SyncBatchNorm`` sharing its parameters, buffers and training mode.

        Returns:
            ``module`` with its BatchNorm layers converted; a new ``SyncBatchNorm`` if
            ``module`` itself is a BatchNorm layer.

        Example:
            >>> net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
            >>> type(nn.SyncBatchNorm.convert_sync_batchnorm(net)[1]).__name__
            'SyncBatchNorm'
        """
        output = module
        if isinstance(module, _BatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group,
                         bias=module.bias is not None)
            if module.affine:
                # the same Parameter objects: optimisers built before the conversion still work
                output.weight = module.weight
                output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, "qconfig"):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output


# ---------------------------------------------------------------------------------------------
# Container
# ---------------------------------------------------------------------------------------------


class Container(Module):
    """Deprecated (as in PyTorch): a Module whose keyword arguments become its children.

    Subclass :class:`Module` instead. Constructing one emits PyTorch's ``FutureWarning``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     c = nn.Container(fc=nn.Linear(2, 2))
        >>> [name for name, _ in c.named_children()]
        ['fc']
    """

    def __init__(self, **kwargs) -> None:
        warnings.warn(
            "`nn.Container` is deprecated. All of its functionality is now implemented in "
            "`nn.Module`. Subclass that instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
