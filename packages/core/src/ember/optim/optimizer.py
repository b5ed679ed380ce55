"""The optimiser base class: parameter groups, per-parameter state, hooks and state dicts.

Every optimiser in ``ember.optim`` subclasses :class:`Optimizer` and implements ``step``. The
updates themselves run on the raw arrays (``p._data``, NumPy or CuPy) with ufuncs writing into
existing memory (``out=``): no autograd graph, no per-step allocation of parameter-sized arrays
(intermediate values go to a small workspace reused across parameters and steps), and one version
bump per updated parameter so autograd still notices the in-place change.

The ``state_dict`` layout is PyTorch's, so optimiser checkpoints are interchangeable:
``{'state': {0: {...}, 1: {...}}, 'param_groups': [{'lr': ..., 'params': [0, 1]}]}``.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import _device as _dev
from .._tensor import Tensor, _make
from ..autograd.function import _RemovableHandle
from ..autograd.grad_mode import enable_grad
from ._util import _bump_version, _scalar_tensor

__all__ = [
    "Optimizer",
    "required",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]


class _RequiredParameter:
    """Singleton marking a hyperparameter every param group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# Elements per block of a CPU update (256 KiB of float32: the working set of an update's
# arrays stays in the L2 cache).
_BLOCK = 1 << 16

_hook_ids = itertools.count()
_global_pre_hooks: dict[int, Callable] = {}
_global_post_hooks: dict[int, Callable] = {}


def _add_hook(hooks: dict, hook: Callable, prepend: bool = False) -> _RemovableHandle:
    key = next(_hook_ids)
    hooks[key] = hook
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks[key] = hook
        hooks.update(items)
    return _RemovableHandle(hooks, key)


def register_optimizer_step_pre_hook(hook: Callable) -> _RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None | (args, kwargs)`` run before every
    optimiser's ``step``. Returns a handle with ``remove()``."""
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> _RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` run after every optimiser's ``step``."""
    return _add_hook(_global_post_hooks, hook)


def _hook_step(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` with the step hooks (as PyTorch patches ``Optimizer.step``)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):  # a subclass's step calling super().step()
            return step(self, *args, **kwargs)
        for pre_hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                        f"{result}."
                    )
        # Read by the lr schedulers, which warn when they are stepped before the optimiser.
        self._opt_called = True
        self._in_step = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        for post_hook in chain(
            self._optimizer_step_post_hooks.values(), _global_post_hooks.values()
        ):
            post_hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimisers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (parameter
            groups: ``{'params': [...], 'lr': 0.1, ...}``; a key missing from a group takes its
            value from ``defaults``). Give an ordered collection (a list), never a set.
        defaults: the default value of every hyperparameter.

    Attributes:
        param_groups: list of dicts, each with ``'params'`` and its hyperparameters.
        state: ``defaultdict(dict)`` keyed by parameter (momentum buffers, step counts...).

    Example:
        >>> w = ember.zeros(3, requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1)
        >>> w.grad = ember.ones(3)
        >>> opt.step()
        >>> w
        tensor([-0.1000, -0.1000, -0.1000], requires_grad=True)
    """

    # State entries that PyTorch keeps as 0-d tensors even if an old checkpoint has numbers.
    _tensor_state_keys: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hook_step(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: dict[int, Callable] = {}
        self._optimizer_step_post_hooks: dict[int, Callable] = {}
        self._optimizer_state_dict_pre_hooks: dict[int, Callable] = {}
        self._optimizer_state_dict_post_hooks: dict[int, Callable] = {}
        self._optimizer_load_state_dict_pre_hooks: dict[int, Callable] = {}
        self._optimizer_load_state_dict_post_hooks: dict[int, Callable] = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {params.type()}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- pickling and printing ---------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks",
            "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks",
            "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks",
            "_optimizer_load_state_dict_post_hooks",
        ):
            self.__dict__.setdefault(name, {})
        self.defaults.setdefault("differentiable", False)
        # Groups saved by an older version may lack newer options: take the defaults.
        for group in self.param_groups:
            for key, value in self.defaults.items():
                if value is not required:
                    group.setdefault(key, value)
        # PyTorch 2 keeps step counters as 0-d tensors; convert those of old checkpoints.
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p)
                if not p_state:
                    continue
                for key in self._tensor_state_keys:
                    if key in p_state and not isinstance(p_state[key], Tensor):
                        p_state[key] = _scalar_tensor(float(p_state[key]))

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- hooks -------------------------------------------------------------------------------

    def register_step_pre_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs) -> None | (new_args, new_kwargs)`` runs before
        ``step``. Returns a handle with ``remove()``."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds its result."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer, state_dict) -> state_dict | None`` post-processes ``state_dict()``."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer, state_dict) -> state_dict | None`` runs before loading."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state dicts -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimiser's state as ``{'state': {index: {...}}, 'param_groups': [...]}``.

        Parameters are replaced by their index in the order of ``param_groups`` (PyTorch's
        layout). The state tensors are returned by reference, not copied.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by :meth:`state_dict` (Ember's or PyTorch's).

        The groups must match this optimiser's in number and sizes. Floating-point state
        tensors are cast to their parameter's dtype and moved to its device; ``'step'`` keeps
        its dtype, as PyTorch does. Unlike PyTorch, the loaded tensors are always copies, so two
        optimisers never share a buffer by accident (``opt2.load_state_dict(opt1.state_dict())``
        leaves ``opt1`` untouched by ``opt2.step()``).
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"load_state_dict: loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group (group {i}: {len(s['params'])} saved parameters, "
                    f"{len(g['params'])} in the optimizer)"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # -- gradients, steps and groups ---------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimised tensors.

        Args:
            set_to_none: set ``.grad`` to None (the default, and cheaper) instead of filling
                it with zeros. Optimisers skip parameters whose grad is None, while a zero grad
                still takes a step (momentum, weight decay).
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad = False
                if getattr(g._data.flags, "writeable", True):  # CuPy arrays have no flag
                    g._data.fill(0)
                    _bump_version(g)
                else:  # a broadcast (read-only) gradient: replace it
                    p.grad = _make(_dev.get_array_module(g._data).zeros_like(g._data))

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimisation step (and return ``closure()``'s loss when given)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. unfreezing layers while
        fine-tuning); options missing from the dict take the optimiser's defaults.

        Example:
            >>> opt.add_param_group({"params": head.parameters(), "lr": 1e-2})
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__module__}.{type(param).__name__}"
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name}"
                )
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen: set[Tensor] = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- helpers for the subclasses ----------------------------------------------------------

    def _workspace(self, like, count: int, shape=None) -> list:
        """``count`` scratch arrays of ``shape`` (default ``like``'s), with ``like``'s dtype and
        device, reused across parameters and steps: the intermediate values of an update live
        here, so a step allocates no parameter-sized memory once the first step has run."""
        scratch = self.__dict__.setdefault("_scratch", {})
        # str(): a CuPy Device object is not hashable; its text names the card.
        key = (type(like), like.dtype, str(getattr(like, "device", "")))
        shape = like.shape if shape is None else shape
        n = math.prod(shape)
        bufs = scratch.get(key)
        if bufs is None or len(bufs) < count or bufs[0].size < n:
            size = max(n, bufs[0].size if bufs else 0)
            xp = _dev.get_array_module(like)
            bufs = [xp.empty(size, like.dtype) for _ in range(max(count, len(bufs or ())))]
            scratch[key] = bufs
        return [b[:n].reshape(shape) for b in bufs[:count]]

    def _apply(self, kernel, arrays, n_scratch: int, *args) -> None:
        """Run an update ``kernel(xp, *arrays, *scratch, *args)`` over a parameter's arrays.

        ``arrays`` are the parameter's array first, then its gradient and state arrays (None
        for an absent optional one); the kernel updates them in place with ufuncs and uses
        ``n_scratch`` scratch arrays for intermediate values. On the CPU a large contiguous
        parameter is processed in blocks of ``_BLOCK`` elements: the kernel's chain of
        memory-bound ufuncs then runs in cache (about 3x faster than whole-array passes for
        Adam on 4M floats). On the GPU every block would cost kernel launches, so CuPy arrays
        go through in one piece.
        """
        first = arrays[0]
        n = first.size
        if (
            n > _BLOCK
            and type(first) is np.ndarray
            and all(a is None or (a.flags.c_contiguous and a.size == n) for a in arrays)
        ):
            flat = [None if a is None else a.reshape(-1) for a in arrays]
            scratch = self._workspace(first, n_scratch, (_BLOCK,))
            for i in range(0, n, _BLOCK):
                j = min(i + _BLOCK, n)
                kernel(
                    np,
                    *[None if a is None else a[i:j] for a in flat],
                    *[s[: j - i] for s in scratch],
                    *args,
                )
            return
        kernel(_dev.get_array_module(first), *arrays, *self._workspace(first, n_scratch), *args)

    @staticmethod
    def _run_closure(closure):
        """Evaluate the loss closure with gradients recorded (``step`` itself records none)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()


def _cast_state(param: Tensor, value, key=None):
    """A copy of a loaded state value, its tensors on ``param``'s device and (floating point
    params) in ``param``'s dtype; ``'step'`` keeps its dtype and stays where it is."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step":
            data = _dev.move_array(data, param.device)
            if param.is_floating_point() or param.is_complex():
                target = param._data.dtype
                if data.dtype.kind == "c" and target.kind != "c":
                    target = data.dtype  # never drop an imaginary part
                data = data.astype(target, copy=data is value._data)
        if data is value._data:
            data = data.copy()
        return _make(data)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, key=k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value
