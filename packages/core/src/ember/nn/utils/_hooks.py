"""Hook plumbing for :class:`ember.nn.Module`: removable handles and module backward hooks.

Kept apart from ``module.py`` so that file holds the Module class alone. This file must not
import ``ember.nn.modules`` (module.py imports it while ``ember.nn`` is still loading).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

from ...autograd.function import Function
from ...autograd.grad_mode import STATE
from ...ops._util import xp_of

__all__ = ["RemovableHandle", "BackwardHook"]


class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook.

    Hooks live in OrderedDicts keyed by the handle's ``id`` (a global counter, so one id is
    never reused across modules and the global registries). The handle holds weak references:
    keeping a handle does not keep a module alive. Usable as a context manager.

    Example:
        >>> handle = module.register_forward_hook(hook)
        >>> handle.remove()
    """

    next_id = 0

    def __init__(self, hooks_dict: OrderedDict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        # with_kwargs / always_call flags live in side dicts under the same id
        extras = [] if extra_dict is None else extra_dict
        extras = [extras] if isinstance(extras, dict) else extras
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        extras = tuple(ref() for ref in self.extra_dict_ref)
        return (self.hooks_dict_ref(), self.id, extras)

    def __setstate__(self, state):
        hooks, self.id, extras = state
        # a dict that was not pickled with the handle: point at a fresh empty one
        self.hooks_dict_ref = weakref.ref(OrderedDict() if hooks is None else hooks)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras if d is not None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _BackwardHookFunction(Function):
    """Identity on several tensors. Its graph node sees exactly the gradients that flow through
    a module's inputs (node hook) or outputs (node pre-hook), like PyTorch's
    ``BackwardHookFunction``."""

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        # one gradient slot per output (shape, dtype, array module): the engine sizes the
        # node's gradient buffer and materialises missing gradients from this
        ctx._out_meta = tuple((a._data.shape, a._data.dtype, xp_of(a._data)) for a in args)
        return args

    @staticmethod
    def backward(ctx, *grads):
        # Materialised zeros for inputs that do not require grad, as PyTorch reports them in
        # grad_input; the engine drops gradients for inputs without an edge.
        return grads


def _pack_with_none(indices, values, size):
    res = [None] * size
    for idx, val in zip(indices, values):
        res[idx] = val
    return tuple(res)


def _unpack_none(indices, values):
    return tuple(values[idx] for idx in indices)


class BackwardHook:
    """Runs a module's full backward hooks for one forward call.

    ``setup_input_hook`` passes the module's tensor arguments through an identity Function
    whose node hook receives d(loss)/d(inputs); ``setup_output_hook`` does the same with the
    outputs, whose node pre-hook receives d(loss)/d(outputs) first (and runs the backward
    pre-hooks). The user hooks are called as ``hook(module, grad_input, grad_output)`` with
    one entry per positional argument / output (None where that is not a tensor requiring
    grad), and may return a replacement ``grad_input``.
    """

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    def _apply_on_tensors(self, fn, args):
        from ..._tensor import Tensor

        tensors_idx, tensors = [], []
        requires_grad = False
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensors_idx.append(i)
                tensors.append(arg)
                requires_grad |= arg.requires_grad
        if not (requires_grad and STATE.enabled):
            return args, None
        new_tensors = _BackwardHookFunction.apply(*tensors)
        grad_fns = [t.grad_fn for t in new_tensors if t.grad_fn is not None]
        fn(grad_fns[0])
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors):
            arg_list[idx] = val
        return tuple(arg_list), tensors_idx

    def setup_input_hook(self, args):
        """Route the tensor arguments through the identity node; returns the new args."""

        def hook(grad_inputs, _grad_outputs):
            if self.grad_outputs is None:
                # no gradient flowed from this call's outputs (e.g. backward from elsewhere)
                return None
            res = _pack_with_none(self.input_tensors_index, grad_inputs, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                if len(out) != len(res):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got "
                        f"{len(out)}, but expected {len(res)}"
                    )
                res = out
            self.grad_outputs = None
            return _unpack_none(self.input_tensors_index, res)

        res, input_idx = self._apply_on_tensors(lambda fn: fn.register_hook(hook), args)
        self.n_inputs = len(args)
        self.input_tensors_index = input_idx
        return res

    def setup_output_hook(self, result):
        """Route the output tensor(s) through the identity node; returns the new result."""

        def pre_hook(grad_outputs):
            self.grad_outputs = _pack_with_none(
                self.output_tensors_index, grad_outputs, self.n_outputs
            )
            expected = len(self.grad_outputs)
            for user_pre_hook in self.user_pre_hooks:
                new = user_pre_hook(self.module, self.grad_outputs)
                if new is None:
                    continue
                new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
                if len(new) != expected:
                    raise RuntimeError(
                        f"Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(new)}, but expected {expected}"
                    )
                self.grad_outputs = new
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                # no input requires grad: the input-side node never runs, call the hooks now
                grad_inputs = (None,) * self.n_inputs
                for user_hook in self.user_hooks:
                    res = user_hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (
                        isinstance(res, tuple) and all(el is None for el in res)
                    ):
                        raise RuntimeError(
                            "Backward hook for Modules where no input requires gradient should "
                            "always return None or None for all gradients."
                        )
                self.grad_outputs = None
            return tuple(local_grad_outputs[i] for i in self.output_tensors_index)

        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, output_idx = self._apply_on_tensors(lambda fn: fn.register_prehook(pre_hook), args)
        self.n_outputs = len(args)
        self.output_tensors_index = output_idx
        return res if is_tuple else res[0]
