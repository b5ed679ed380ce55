"""Building blocks shared by the vision models (torchvision's ``ops/misc.py``).

Their submodule layout is torchvision's (``Conv2dNormActivation`` is a ``Sequential`` of
``0`` conv, ``1`` norm, ``2`` activation; ``SqueezeExcitation`` has ``fc1``/``fc2``; ``MLP`` is
a ``Sequential`` of Linear/norm/activation/Dropout), so state-dict keys of models built from
them match torchvision's checkpoints.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import ember
from ember import Tensor, nn

__all__ = [
    "FrozenBatchNorm2d",
    "ConvNormActivation",
    "Conv2dNormActivation",
    "Conv3dNormActivation",
    "SqueezeExcitation",
    "MLP",
    "Permute",
]


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d whose statistics and affine parameters are fixed buffers (not trained):
    ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``.

    Detection backbones use it because batches of one or two images give useless statistics.
    A BatchNorm2d checkpoint loads into it (``num_batches_tracked`` is dropped).

    Args:
        num_features: the channel count ``C``.
        eps: added to the variance.

    Shape:
        ``(N, C, H, W)`` -> same.
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # A BatchNorm2d state dict has one more buffer, meaningless here.
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.weight.shape[0]:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.weight.shape[0]}, H, W), got "
                f"{tuple(x.shape)}"
            )
        # Folded into one scale and shift: two broadcasts over the map instead of four.
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        bias = b - rm * scale
        return x * scale + bias

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"


def _ntuple(x, n: int) -> tuple:
    return tuple(x) if isinstance(x, Sequence) else (x,) * n


class ConvNormActivation(nn.Sequential):
    """Convolution, optional normalisation, optional activation, as one ``Sequential``.

    Use :class:`Conv2dNormActivation` or :class:`Conv3dNormActivation` (this base class warns
    when used directly, as torchvision's).

    Args:
        in_channels, out_channels: channel counts.
        kernel_size, stride, dilation, groups: of the convolution.
        padding: default ``(kernel_size - 1) // 2 * dilation`` ("same" for odd kernels).
        norm_layer: called with ``out_channels`` (default BatchNorm); None for none.
        activation_layer: called with ``inplace=inplace`` (default ReLU); None for none.
        inplace: passed to the activation (``None``: not passed).
        bias: of the convolution; default: only when there is no norm layer.
        conv_layer: the convolution class.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
        conv_layer: Callable[..., nn.Module] = nn.Conv2d,
    ) -> None:
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                n = len(kernel_size) if isinstance(kernel_size, Sequence) else len(dilation)
                kernel_size = _ntuple(kernel_size, n)
                dilation = _ntuple(dilation, n)
                padding = tuple((kernel_size[i] - 1) // 2 * dilation[i] for i in range(n))
        if bias is None:
            bias = norm_layer is None
        layers = [
            conv_layer(in_channels, out_channels, kernel_size, stride, padding,
                       dilation=dilation, groups=groups, bias=bias)
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels
        if self.__class__ == ConvNormActivation:
            warnings.warn(
                "Don't use ConvNormActivation directly, please use Conv2dNormActivation and "
                "Conv3dNormActivation instead.",
                stacklevel=2,
            )


class Conv2dNormActivation(ConvNormActivation):
    """``Conv2d`` -> norm (default ``BatchNorm2d``) -> activation (default ``ReLU``).

    Example:
        >>> Conv2dNormActivation(3, 16, stride=2)  # keys: 0.weight, 1.weight, 1.bias, ...
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv2d)


class Conv3dNormActivation(ConvNormActivation):
    """``Conv3d`` -> norm (default ``BatchNorm3d``) -> activation (default ``ReLU``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm3d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv3d)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation (Hu et al., 2018): rescale channels by
    ``scale_activation(fc2(activation(fc1(avgpool(x)))))``.

    Args:
        input_channels: channels of the input (and of the scale).
        squeeze_channels: the bottleneck width.
        activation: after ``fc1`` (default ReLU).
        scale_activation: on the scale (default Sigmoid; MobileNetV3 uses Hardsigmoid).

    Shape:
        ``(N, C, H, W)`` -> same.
    """

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Callable[..., nn.Module] = nn.ReLU,
        scale_activation: Callable[..., nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input: Tensor) -> Tensor:
        scale = self.avgpool(input)
        scale = self.fc1(scale)
        scale = self.activation(scale)
        scale = self.fc2(scale)
        return self.scale_activation(scale)

    def forward(self, input: Tensor) -> Tensor:
        return self._scale(input) * input


class MLP(nn.Sequential):
    """Multi-layer perceptron: ``Linear`` (-> norm) -> activation -> ``Dropout`` for each
    hidden width, then a final ``Linear`` -> ``Dropout``.

    Args:
        in_channels: input features.
        hidden_channels: the widths of the layers; the last is the output width.
        norm_layer: optional, after each hidden Linear.
        activation_layer: after each hidden layer (default ReLU).
        inplace: passed to the activation and Dropout (``None``: not passed).
        bias: of the Linear layers.
        dropout: probability of the Dropout layers.

    Example:
        >>> MLP(8, [16, 8], activation_layer=nn.GELU, inplace=None)  # keys 0.* and 3.*
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: list[int],
        norm_layer: Callable[..., nn.Module] | None = None,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        inplace: bool | None = None,
        bias: bool = True,
        dropout: float = 0.0,
    ) -> None:
        params = {} if inplace is None else {"inplace": inplace}
        layers: list[nn.Module] = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """``x.permute(*dims)`` as a module (ConvNeXt switches between NCHW and NHWC with it).

    Args:
        dims: the new order of the dimensions.
    """

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return ember.permute(x, self.dims)
