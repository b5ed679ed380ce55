"""Instance normalisation layers: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``.

Each channel of each sample is normalised over its spatial positions. The state (and its names)
is ``_NormBase``'s, as in ``torch/nn/modules/instancenorm.py``; unlike batch norm the defaults
are ``affine=False`` and ``track_running_stats=False``.
"""

from __future__ import annotations

import warnings

from ..._tensor import Tensor
from ..functional._normalization import instance_norm
from .batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs,
    ) -> None:
        # Checkpoints from before PyTorch 0.4 stored running stats that these layers no longer
        # track by default: report them (and drop them), with PyTorch's explanation.
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var") if prefix + n in state_dict]
            if keys:
                klass = type(self).__name__
                names = " and ".join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} for {klass} with "
                    f"track_running_stats=False. If state_dict is a checkpoint saved before "
                    f"0.4.0, this may be expected because {klass} does not track running stats "
                    f"by default since 0.4.0. Please remove these keys from state_dict. If the "
                    f"running stats are actually needed, instead set track_running_stats=True "
                    f"in {klass} to enable them. See the documentation of {klass} for details."
                )
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
            error_msgs,
        )

    def forward(self, input: Tensor) -> Tensor:
        ndim = input.ndim
        batched_ndim = len(self._shapes[0])
        if ndim not in (batched_ndim, batched_ndim - 1):
            raise ValueError(self._shape_message(input))
        channel_dim = 1 if ndim == batched_ndim else 0
        if input.shape[channel_dim] != self.num_features:
            if self.affine:
                raise ValueError(self._shape_message(input))
            # PyTorch only warns: without affine parameters num_features is not used
            warnings.warn(
                f"input's size at dim={channel_dim} does not match num_features. You can "
                f"silence this warning by not passing in num_features, which is not used "
                f"because affine=False",
                stacklevel=2,
            )
        if ndim < batched_ndim:  # an unbatched (C, *) input
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )


_INSTANCENORM_DOC = """Instance normalisation over {what} (Ulyanov et al. 2016).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, with the mean and (biased)
    variance of each channel of each sample, taken over the spatial positions. With
    ``track_running_stats=True`` the running estimates are updated in training (averaged over
    the batch; unbiased variance) and used in evaluation.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance (default 1e-5).
        momentum: the running-average factor (default 0.1).
        affine: learn per-channel ``weight`` and ``bias`` (default False).
        track_running_stats: keep running estimates (default False).
        bias: (keyword) whether the affine map has a bias.

    Shape:
        input and output: {shape}.

    Example:
        >>> nn.{name}(3)(ember.randn({example})).shape
        ember.Size([{example}])
    """


class InstanceNorm1d(_InstanceNorm):
    __doc__ = _INSTANCENORM_DOC.format(
        what="a 3-D input (sequences)", shape="``(N, C, L)`` or ``(C, L)``",
        name="InstanceNorm1d", example="2, 3, 10",
    )
    _shapes = (("N", "C", "L"), ("C", "L"))


class InstanceNorm2d(_InstanceNorm):
    __doc__ = _INSTANCENORM_DOC.format(
        what="a 4-D input (images)", shape="``(N, C, H, W)`` or ``(C, H, W)``",
        name="InstanceNorm2d", example="2, 3, 8, 8",
    )
    _shapes = (("N", "C", "H", "W"), ("C", "H", "W"))


class InstanceNorm3d(_InstanceNorm):
    __doc__ = _INSTANCENORM_DOC.format(
        what="a 5-D input (volumes)", shape="``(N, C, D, H, W)`` or ``(C, D, H, W)``",
        name="InstanceNorm3d", example="2, 3, 4, 4, 4",
    )
    _shapes = (("N", "C", "D", "H", "W"), ("C", "D", "H", "W"))
