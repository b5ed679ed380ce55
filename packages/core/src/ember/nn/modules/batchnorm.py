"""Batch normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d`` and their shared
base ``_NormBase`` (also the base of the instance-norm layers).

Parameter and buffer names, shapes and the ``num_batches_tracked`` compatibility rule follow
``torch/nn/modules/batchnorm.py``, so PyTorch checkpoints load with ``strict=True``.
"""

from __future__ import annotations

from ..._dtype import int64
from ..._tensor import Tensor
from ...ops.creation import empty, ones, tensor, zeros
from .. import init
from ..functional._normalization import batch_norm
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Common state of the batch- and instance-norm layers: affine ``weight``/``bias`` and the
    running statistics ``running_mean``, ``running_var`` and ``num_batches_tracked``."""

    # Version 2 added num_batches_tracked; older checkpoints lack it (see _load_from_state_dict)
    _version = 2
    # how an input must look, for error messages: "(N, {c}, H, W)"...
    _shapes = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, device=device, dtype=dtype))
            # int64 whatever the float dtype, as in PyTorch
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, and weight to 1 and bias to 0 (PyTorch's init)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs,
    ) -> None:
        # Checkpoints from before version 2 (PyTorch < 0.4.1) have no num_batches_tracked:
        # keep the current count instead of reporting a missing key, as PyTorch does.
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (
                    self.num_batches_tracked
                    if self.num_batches_tracked is not None
                    else tensor(0, dtype=int64)
                )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
            error_msgs,
        )

    def _check_input_dim(self, input: Tensor) -> None:
        """Raise, naming the layer and the expected shape, unless ``input`` has one of the
        accepted ranks and ``num_features`` channels."""
        ndim = input.ndim
        for shape in self._shapes:
            if ndim == len(shape):
                channel = 1 if shape[0] == "N" else 0
                if input.shape[channel] == self.num_features:
                    return
                # PyTorch raises RuntimeError (from the functional op) for wrong channels
                raise RuntimeError(self._shape_message(input))
        raise ValueError(self._shape_message(input))

    def _shape_message(self, input: Tensor) -> str:
        c = str(self.num_features)
        accepted = " or ".join(
            "(" + ", ".join(c if d == "C" else d for d in shape) + ")" for shape in self._shapes
        )
        return (
            f"{type(self).__name__}({self.num_features}): expected input of shape {accepted}, "
            f"got {tuple(input.shape)}"
        )


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        # momentum None: a cumulative average, factor 1 / (number of batches seen)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        # batch statistics in training, and in evaluation when there are no running stats
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        tracked = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if tracked else None,
            self.running_var if tracked else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


_BATCHNORM_DOC = """Batch normalisation over {what} (`Batch Normalization`, Ioffe & Szegedy 2015).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, per channel. In training the batch
    statistics are used (biased variance) and the running estimates are updated with
    ``running = (1 - momentum) * running + momentum * batch_stat`` (unbiased variance for
    ``running_var``; ``momentum=None`` gives a cumulative average); in evaluation the running
    estimates are used. With ``track_running_stats=False`` batch statistics are always used.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance (default 1e-5).
        momentum: the running-average factor (default 0.1), or None.
        affine: learn ``weight`` (init 1) and ``bias`` (init 0) of shape ``(C,)``.
        track_running_stats: keep ``running_mean``, ``running_var``, ``num_batches_tracked``.
        bias: (keyword) whether the affine map has a bias.

    Shape:
        input and output: {shape}.

    Example:
        >>> bn = nn.{name}(3)
        >>> bn(ember.randn({example})).shape
        ember.Size([{example}])
        >>> list(bn.state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """


class BatchNorm1d(_BatchNorm):
    __doc__ = _BATCHNORM_DOC.format(
        what="a 2-D or 3-D input", shape="``(N, C)`` or ``(N, C, L)``", name="BatchNorm1d",
        example="4, 3, 10",
    )
    _shapes = (("N", "C"), ("N", "C", "L"))


class BatchNorm2d(_BatchNorm):
    __doc__ = _BATCHNORM_DOC.format(
        what="a 4-D input (images)", shape="``(N, C, H, W)``", name="BatchNorm2d",
        example="4, 3, 8, 8",
    )
    _shapes = (("N", "C", "H", "W"),)


class BatchNorm3d(_BatchNorm):
    __doc__ = _BATCHNORM_DOC.format(
        what="a 5-D input (volumes)", shape="``(N, C, D, H, W)``", name="BatchNorm3d",
        example="2, 3, 4, 4, 4",
    )
    _shapes = (("N", "C", "D", "H", "W"),)
