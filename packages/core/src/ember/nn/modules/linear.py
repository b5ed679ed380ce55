"""Affine layers: ``Identity``, ``Linear``, ``Bilinear`` and ``LazyLinear``, with PyTorch's
parameter names, shapes and default initialisation (so PyTorch state_dicts load strictly)."""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter, is_lazy
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (as in PyTorch), so
    it can stand in for a layer in configuration code.

    Example:
        >>> nn.Identity(54, unused="x")(ember.ones(2)).shape
        ember.Size([2])
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """The affine map ``y = x W^T + b``.

    Args:
        in_features: the size of each input sample's last dimension.
        out_features: the size of each output sample's last dimension.
        bias: learn an additive bias (default ``True``).
        device, dtype: where and in which dtype the parameters are created.

    Shape:
        Input ``(*, in_features)``, output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in_features)``, initialised ``U(-1/sqrt(in_features),
            1/sqrt(in_features))`` (``kaiming_uniform_`` with ``a = sqrt(5)``).
        bias: ``(out_features,)``, initialised ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

    Example:
        >>> m = nn.Linear(20, 30)
        >>> m(ember.randn(128, 20)).shape
        ember.Size([128, 30])
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))``, which is
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (pytorch/pytorch#57109), and the same bound for
        the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        shape = input._data.shape
        if not shape or shape[-1] != self.weight._data.shape[-1]:
            raise RuntimeError(
                f"{self._get_name()}(in_features={self.in_features}, out_features="
                f"{self.out_features}): expected input with last dimension {self.in_features}, "
                f"got input of shape {tuple(shape)}"
            )
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """The bilinear map ``y_k = x1^T A_k x2 + b_k``.

    Args:
        in1_features, in2_features: the sizes of the two inputs' last dimensions.
        out_features: the size of the output's last dimension.
        bias: learn an additive bias (default ``True``).
        device, dtype: where and in which dtype the parameters are created.

    Shape:
        Inputs ``(*, in1_features)`` and ``(*, in2_features)`` with equal leading dimensions;
        output ``(*, out_features)``.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, bias: ``(out_features,)``; both
        initialised ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))``.

    Example:
        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(ember.randn(128, 20), ember.randn(128, 30)).shape
        ember.Size([128, 40])
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(
            empty((out_features, in1_features, in2_features), device=device, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(
                f"in1_features must be > 0, but got (in1_features={self.in1_features})"
            )
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        s1, s2 = input1._data.shape, input2._data.shape
        if (
            not s1
            or not s2
            or s1[-1] != self.in1_features
            or s2[-1] != self.in2_features
            or s1[:-1] != s2[:-1]
        ):
            raise RuntimeError(
                f"{self._get_name()}(in1_features={self.in1_features}, in2_features="
                f"{self.in2_features}, out_features={self.out_features}): expected inputs of "
                f"shapes (*, {self.in1_features}) and (*, {self.in2_features}) with the same "
                f"leading dimensions, got {tuple(s1)} and {tuple(s2)}"
            )
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class LazyLinear(Linear):
    """A :class:`Linear` whose ``in_features`` is inferred from the first input.

    Until then ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter`; the first
    call materialises and initialises them (as ``Linear`` would) and the module becomes a
    plain ``Linear``. Loading a state_dict materialises them too.

    Ember has no general ``LazyModuleMixin``: the inference happens in ``forward`` rather than
    in a forward pre-hook, with the same result for users.

    Args:
        out_features: the size of each output sample's last dimension.
        bias, device, dtype: as :class:`Linear`.

    Example:
        >>> m = nn.LazyLinear(3)
        >>> m(ember.ones(2, 5)).shape, type(m).__name__, m.in_features
        (ember.Size([2, 3]), 'Linear', 5)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        # bias=False here: no throw-away (0,)-bias is made before the lazy one replaces it
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter is still waiting for its shape."""
        return any(is_lazy(p) for p in self._parameters.values() if p is not None)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Materialise the parameters for ``input``'s last dimension and initialise them."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        elif self.in_features == 0:  # materialised by load_state_dict
            self.in_features = self.weight.shape[-1]

    def forward(self, input: Tensor) -> Tensor:
        self.initialize_parameters(input)
        self.__class__ = self.cls_to_become
        return Linear.forward(self, input)
