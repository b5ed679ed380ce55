"""Lazy layers: ``LazyConv{1,2,3}d``, ``LazyConvTranspose{1,2,3}d``, ``LazyBatchNorm{1,2,3}d``
and ``LazyInstanceNorm{1,2,3}d``, built on :class:`LazyModuleMixin`.

A lazy layer is constructed without its input size. Its parameters and buffers start as
:class:`~ember.nn.UninitializedParameter` / :class:`~ember.nn.UninitializedBuffer`; the first
call infers the size from the input (the channel dimension), materialises and initialises them
exactly as the regular layer would, and then the module turns into that regular layer
(``cls_to_become``: a ``LazyConv2d`` becomes a ``Conv2d``). This follows
``torch/nn/modules/lazy.py``: the inference runs in a forward pre-hook, and a state_dict with
real tensors materialises the placeholders when it is loaded.

``LazyLinear`` lives in ``linear.py`` (it predates this mixin and behaves the same way).
"""

from __future__ import annotations

import itertools

from ..._dtype import int64
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _NormBase
from .conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm

__all__ = [
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


class LazyModuleMixin:
    """Mixin for modules whose parameter shapes are inferred from the first input.

    A subclass declares its unknown-shape state as ``UninitializedParameter`` /
    ``UninitializedBuffer`` and implements ``initialize_parameters(*args, **kwargs)``, which
    materialises them from the forward arguments. The mixin registers a forward pre-hook that
    calls it once, checks that nothing is left uninitialised, removes itself and switches the
    class to ``cls_to_become`` (if set). A load pre-hook materialises placeholders from the
    shapes found in a state_dict, so a lazy module can be loaded before it has run.

    Example:
        >>> m = nn.LazyConv2d(8, 3)
        >>> m.has_uninitialized_params()
        True
        >>> m(ember.ones(1, 3, 5, 5)).shape, type(m).__name__, m.weight.shape
        (ember.Size([1, 8, 3, 3]), 'Conv2d', ember.Size([8, 3, 3, 3]))
    """

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    # state_dict: the generic Module._save_to_state_dict saves placeholders as themselves.

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # PyTorch loads an uninitialised entry into an uninitialised placeholder as a no-op
        # (both stay lazy). The generic loader would try to materialise from the entry's
        # shape, which it does not have: leave those pairs out, and out of missing_keys.
        both_lazy = {
            prefix + name
            for name, t in itertools.chain(self._parameters.items(), self._buffers.items())
            if t is not None and is_lazy(t) and is_lazy(state_dict.get(prefix + name))
        }
        if both_lazy:
            state_dict = {k: v for k, v in state_dict.items() if k not in both_lazy}
        n_missing = len(missing_keys)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        missing_keys[n_missing:] = [k for k in missing_keys[n_missing:] if k not in both_lazy]

    def _apply(self, fn, recurse: bool = True):
        # ``.double()`` / ``.to(device)`` before the first call: as in PyTorch the placeholders
        # stay placeholders and remember the new dtype/device for ``materialize``. (The generic
        # _apply would replace a placeholder buffer by a plain empty tensor.)
        placeholders = [
            (table, name, t)
            for table in (self._parameters, self._buffers)
            for name, t in table.items()
            if t is not None and is_lazy(t)
        ]
        result = super()._apply(fn, recurse)
        for table, name, t in placeholders:
            new = table[name]
            t._data = new._data
            t._lazy_dtype, t._lazy_device = new.dtype, new.device
            table[name] = t
        return result

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Materialise each placeholder that the state_dict has a real tensor for (with that
        tensor's shape); the regular loading then copies the values in."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with no_grad():
                        param.materialize(input_param.shape)

    def initialize_parameters(self, *args, **kwargs):
        """Materialise and initialise the placeholders for these forward arguments."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer is still waiting for its shape."""
        return any(
            is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values())
        )

    def _infer_parameters(self, module, args, kwargs=None):
        # The forward pre-hook: runs once, then the module is its regular class for good.
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. "
            "Run a dummy forward pass to correctly initialize the modules"
        )


# ---------------------------------------------------------------------------------------------
# Convolutions
# ---------------------------------------------------------------------------------------------


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        # Skipped while the shapes are unknown (the parent __init__ calls it with in_channels 0)
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        """Set ``in_channels`` from ``input`` and materialise ``weight`` (and ``bias``)."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError(
                    f"{self._get_name()}: in_channels must be divisible by groups, got an input "
                    f"with {self.in_channels} channels and groups={self.groups}"
                )
            k, g = tuple(self.kernel_size), self.groups
            with no_grad():
                if self.transposed:
                    self.weight.materialize((self.in_channels, self.out_channels // g, *k))
                else:
                    self.weight.materialize((self.out_channels, self.in_channels // g, *k))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        elif self.in_channels == 0:
            # Materialised by load_state_dict: take the size from the loaded weight (PyTorch
            # leaves in_channels at 0; Ember's input check needs the real value).
            w = self.weight.shape
            self.in_channels = w[0] if self.transposed else w[1] * self.groups

    def _get_in_channels(self, input: Tensor) -> int:
        nd = self._dims
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(
                f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.ndim == nd + 2 else input.shape[0]

    def _init_lazy(self, out_channels: int, bias: bool, device, dtype) -> None:
        # The parent was built with in/out channels 0 and no bias (no throw-away tensors)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


def _conv_doc(name: str, nd: int) -> str:
    shape = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[nd]
    return f"""A :class:`{name}` whose ``in_channels`` is inferred from ``input.size(1)``.

    ``weight`` and ``bias`` are :class:`~ember.nn.UninitializedParameter` until the first call,
    which materialises and initialises them as ``{name}`` does and turns the module into a
    ``{name}``. Arguments are ``{name}``'s without ``in_channels``.

    Shape:
        input: ``{shape}`` or the unbatched form without ``N``.

    Example:
        >>> m = nn.Lazy{name}(4, 3)
        >>> _ = m(ember.ones({", ".join(["1", "2"] + ["5"] * nd)}))
        >>> type(m).__name__, m.in_channels
        ('{name}', 2)
    """


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._init_lazy(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._init_lazy(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    __doc__ = _conv_doc("Conv1d", 1)
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    __doc__ = _conv_doc("Conv2d", 2)
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    __doc__ = _conv_doc("Conv3d", 3)
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    __doc__ = _conv_doc("ConvTranspose1d", 1)
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    __doc__ = _conv_doc("ConvTranspose2d", 2)
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    __doc__ = _conv_doc("ConvTranspose3d", 3)
    cls_to_become = ConvTranspose3d


# ---------------------------------------------------------------------------------------------
# Batch and instance normalisation
# ---------------------------------------------------------------------------------------------


class _LazyNormBase(LazyModuleMixin, _NormBase):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True) -> None:
        # affine, bias and track_running_stats are False for the parent: no throw-away tensors
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            # int64 whatever the float dtype, as in PyTorch
            self.num_batches_tracked = tensor(0, dtype=int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Set ``num_features`` from ``input``'s channel dimension and materialise the state."""
        if self.has_uninitialized_params():
            self.num_features = self._lazy_channels(input)
            n = (self.num_features,)
            with no_grad():
                if self.affine:
                    self.weight.materialize(n)
                    if self.bias is not None:
                        self.bias.materialize(n)
                if self.track_running_stats:
                    self.running_mean.materialize(n)
                    self.running_var.materialize(n)
                self.reset_parameters()
        elif self.num_features == 0:
            # Materialised by load_state_dict (see _LazyConvXdMixin.initialize_parameters), or
            # nothing to materialise (affine=False, track_running_stats=False): PyTorch leaves
            # num_features at 0, Ember records the size its input check compares against.
            state = self.weight if self.affine else self.running_mean
            self.num_features = state.shape[0] if state is not None else (
                self._lazy_channels(input)
            )

    def _lazy_channels(self, input: Tensor) -> int:
        ranks = {len(s) for s in self._shapes}
        if input.ndim not in ranks or input.ndim < 2:
            accepted = " or ".join(f"{r}D" for r in sorted(ranks))
            raise ValueError(
                f"{self._get_name()}: expected {accepted} input to infer num_features, got "
                f"input of shape {tuple(input.shape)}"
            )
        return input.shape[1]


def _norm_doc(kind: str, name: str, shape: str, example: str) -> str:
    return f"""A :class:`{name}` whose ``num_features`` is inferred from the input's channels.

    ``weight``, ``bias`` (when ``affine``) and ``running_mean``, ``running_var`` (when
    ``track_running_stats``) are placeholders until the first call, which materialises them
    with ``{name}``'s initial values and turns the module into a ``{name}``. The arguments are
    ``{name}``'s without ``num_features`` (eps, momentum, affine, track_running_stats, device,
    dtype, and keyword ``bias``); as in PyTorch the defaults are ``affine=True`` and
    ``track_running_stats=True`` for the {kind}-norm variants too.

    Shape:
        input: {shape}.

    Example:
        >>> m = nn.Lazy{name}()
        >>> _ = m(ember.randn({example}))
        >>> type(m).__name__, m.num_features
        ('{name}', 3)
    """


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    __doc__ = _norm_doc("batch", "BatchNorm1d", "``(N, C)`` or ``(N, C, L)``", "4, 3")
    cls_to_become = BatchNorm1d
    _shapes = BatchNorm1d._shapes


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    __doc__ = _norm_doc("batch", "BatchNorm2d", "``(N, C, H, W)``", "2, 3, 4, 4")
    cls_to_become = BatchNorm2d
    _shapes = BatchNorm2d._shapes


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    __doc__ = _norm_doc("batch", "BatchNorm3d", "``(N, C, D, H, W)``", "2, 3, 2, 2, 2")
    cls_to_become = BatchNorm3d
    _shapes = BatchNorm3d._shapes


class _LazyInstanceNorm(_LazyNormBase, _InstanceNorm):
    # No __init__ of its own: as in PyTorch the lazy instance norms take _LazyNormBase's
    # defaults (affine=True, track_running_stats=True), unlike InstanceNorm*d.

    def _lazy_channels(self, input: Tensor) -> int:
        # Deliberate difference: PyTorch reads ``input.shape[1]`` even for an unbatched
        # (C, *) input, which takes a spatial size for the channel count; Ember takes dim 0
        # there, the dimension the regular InstanceNorm checks against num_features.
        batched = len(self._shapes[0])
        if input.ndim not in (batched, batched - 1):
            raise ValueError(
                f"{self._get_name()}: expected {batched - 1}D (unbatched) or {batched}D "
                f"(batched) input, got input of shape {tuple(input.shape)}"
            )
        return input.shape[1] if input.ndim == batched else input.shape[0]


class LazyInstanceNorm1d(_LazyInstanceNorm):
    __doc__ = _norm_doc("instance", "InstanceNorm1d", "``(N, C, L)`` or ``(C, L)``", "2, 3, 5")
    cls_to_become = InstanceNorm1d
    _shapes = InstanceNorm1d._shapes


class LazyInstanceNorm2d(_LazyInstanceNorm):
    __doc__ = _norm_doc("instance", "InstanceNorm2d", "``(N, C, H, W)`` or ``(C, H, W)``",
                        "2, 3, 4, 4")
    cls_to_become = InstanceNorm2d
    _shapes = InstanceNorm2d._shapes


class LazyInstanceNorm3d(_LazyInstanceNorm):
    __doc__ = _norm_doc("instance", "InstanceNorm3d", "``(N, C, D, H, W)`` or ``(C, D, H, W)``",
                        "2, 3, 2, 2, 2")
    cls_to_become = InstanceNorm3d
    _shapes = InstanceNorm3d._shapes
