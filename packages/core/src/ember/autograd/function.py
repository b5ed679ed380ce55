"""``Function``: one differentiable operation, and the graph node it leaves behind.

Every built-in op and every user-defined custom op is a subclass::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            out = ember.exp(x)          # users: Tensor ops; built-ins: raw arrays (x._data)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out

    y = Exp.apply(x)

``apply`` runs ``forward`` (without recording), and when grad mode is on and an input requires
grad, the instance that served as ``ctx`` becomes the output's ``grad_fn``: a node holding one
edge per input. ``backward`` receives and returns Tensors and is written with differentiable
Ember ops, so differentiating it again (``create_graph=True``) needs nothing special.

``forward`` may return raw arrays (NumPy or CuPy); ``apply`` wraps them in Tensors. Built-in ops
do this to skip a layer of wrapping on the hot path.

Saving an output for backward would create a reference cycle (output -> grad_fn -> output); like
PyTorch, the node keeps the output's array and version instead and rebuilds the Tensor, with
``grad_fn`` set to the node itself, when ``saved_tensors`` is read.
"""

from __future__ import annotations

import traceback

import numpy as np

from .grad_mode import STATE

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

_Tensor = None  # ember.Tensor, bound by ember._tensor at import (avoids an import cycle)
_make = None  # ember._tensor._make: wrap an array in a Tensor without checks
_ndarray_type = np.ndarray


def _bind_tensor(tensor_cls, make):
    global _Tensor, _make
    _Tensor, _make = tensor_cls, make


class _SavedOutput:
    """What a node keeps of an output it saved: the array and version, not the Tensor."""

    __slots__ = ("data", "counter", "version", "output_nr")

    def __init__(self, tensor, output_nr):
        self.data = tensor._data
        if tensor._version_counter is None:
            tensor._version_counter = [0]
        self.counter = tensor._version_counter
        self.version = self.counter[0]
        self.output_nr = output_nr


class FunctionCtx:
    """The methods ``forward`` may call on ``ctx`` (mixed into :class:`Function`)."""

    # Class-level defaults, so ``apply`` only sets what an op actually uses.
    _to_save = ()
    _saved = None  # tuple of (tensor, version) or _SavedOutput once recorded
    _released = False
    _non_differentiable = ()
    _dirty = ()
    _materialize_grads = True
    _next = ()
    _pre_hooks = None  # {output_nr: [hook]} from Tensor.register_hook on outputs
    _retained = None  # {output_nr: weakref to the output} from Tensor.retain_grad
    _node_hooks = None
    _node_pre_hooks = None
    _trace = None
    _out_meta = None  # (shape, dtype, xp) per output of a multi-output node
    _view_version = None  # for a node that made a view: the root's version at that time
    needs_input_grad = ()

    def save_for_backward(self, *tensors):
        """Keep tensors (inputs or outputs of ``forward``, or None) for ``backward``."""
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that carry no gradient (indices, masks...)."""
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        """Declare inputs that ``forward`` modified in place (and returns)."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool):
        """If False, ``backward`` gets None (not zeros) for outputs that received no gradient."""
        self._materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            if self._released:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time (or directly access "
                    f"saved tensors of {self.name()} after they have already been freed). "
                    f"Specify retain_graph=True on the first backward() or autograd.grad() call "
                    f"if you need to backward through it again."
                )
            return tuple(self._to_save)  # forward has not finished: plain access
        out = []
        for i, entry in enumerate(saved):
            if entry is None:
                out.append(None)
                continue
            if type(entry) is _SavedOutput:
                if entry.counter[0] != entry.version:
                    self._raise_modified(i, entry.counter[0], entry.version)
                t = _make(entry.data)
                t.requires_grad = True
                t.grad_fn = self
                t._output_nr = entry.output_nr
                t._version_counter = entry.counter
                out.append(t)
                continue
            tensor, version = entry
            counter = tensor._version_counter
            if counter is not None and counter[0] != version:
                self._raise_modified(i, counter[0], version)
            out.append(tensor)
        return tuple(out)

    def _raise_modified(self, index, now, then):
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: saved tensor {index} of {self.name()} is at version {now}; "
            f"expected version {then} instead. Use .clone() before the in-place operation, or "
            f"an out-of-place operation."
        )


class Function(FunctionCtx):
    """Base class for differentiable operations; see the module docstring.

    Subclasses define ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)``
    as static methods, and are called through ``apply``. ``backward`` returns one gradient (or
    None) per positional input of ``forward``.
    """

    def __init__(self, *args, **kwargs):
        # Instances are made by ``apply`` (via __new__), not by users.
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls.__new__(cls)
        record = False
        if STATE.enabled:
            for a in args:
                if isinstance(a, _Tensor) and a.requires_grad:
                    record = True
                    break
        if not record:
            out = cls.forward(ctx, *args, **kwargs)
            if ctx._dirty:
                _bump(ctx._dirty)
            if type(out) is tuple:
                return tuple(_as_output(o) for o in out)
            return _as_output(out)
        return _record(cls, ctx, args, kwargs)

    # -- the node side ---------------------------------------------------------------------

    @classmethod
    def name(cls) -> str:
        return cls.__name__ + "Backward"

    @property
    def next_functions(self):
        """One ``(node, output_nr)`` pair per input, as ``grad_fn.next_functions`` in PyTorch."""
        result = []
        for edge in self._next:
            if edge is None:
                result.append((None, 0))
            elif type(edge) is tuple:
                result.append(edge)
            else:
                result.append((AccumulateGrad(edge), 0))
        return tuple(result)

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` runs after this node's backward; may return new
        grad_inputs."""
        if self._node_hooks is None:
            self._node_hooks = []
        self._node_hooks.append(hook)
        return _RemovableHandle(self._node_hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` runs before this node's backward; may return new grads."""
        if self._node_pre_hooks is None:
            self._node_pre_hooks = []
        self._node_pre_hooks.append(hook)
        return _RemovableHandle(self._node_pre_hooks, hook)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class AccumulateGrad:
    """The node at a leaf that requires grad: gradients arriving here go into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


class _RemovableHandle:
    __slots__ = ("_container", "_item")

    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self):
        container = self._container
        if isinstance(container, dict):
            container.pop(self._item, None)
        elif self._item in container:
            container.remove(self._item)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _as_output(out):
    if isinstance(out, _Tensor):
        return out
    if out is None:
        return None
    return _make(out)


def _bump(tensors):
    for t in tensors:
        counter = t._version_counter
        if counter is None:
            t._version_counter = [1]
        else:
            counter[0] += 1


def _record(cls, ctx, args, kwargs):
    """The grad-mode path of ``apply``: run forward without recording, then wire the node."""
    needs = []
    edges = []
    for a in args:
        if isinstance(a, _Tensor) and a.requires_grad:
            needs.append(True)
            fn = a.grad_fn  # the edge: the producing node, or the leaf itself
            if (a._base is not None and fn is not None and fn._view_version is not None
                    and fn._view_version != a._version_counter[0]):
                # The view's root was changed in place after the view was made: its history
                # is rebuilt from the root's new one (PyTorch regenerates it the same way).
                from ._view_rebase import regenerate

                fn = regenerate(a)
            edges.append((fn, a._output_nr) if fn is not None else a)
        else:
            needs.append(False)
            edges.append(None)
    ctx.needs_input_grad = tuple(needs)
    ctx._next = tuple(edges)
    if STATE.anomaly:
        ctx._trace = "".join(traceback.format_stack()[:-2])  # up to the caller of apply

    STATE.enabled = False
    try:
        out = cls.forward(ctx, *args, **kwargs)
    finally:
        STATE.enabled = True

    if type(out) is _ndarray_type and not ctx._dirty and not ctx._to_save:
        # The common case (one fresh array, nothing saved or modified in place): wire it up
        # without the general bookkeeping below.
        t = _make(out)
        t.requires_grad = True
        t.grad_fn = ctx
        ctx._saved = ()
        return t

    is_tuple = type(out) is tuple
    outputs = [_as_output(o) for o in out] if is_tuple else [_as_output(out)]
    if is_tuple:
        ctx._out_meta = tuple(
            None if t is None else (t._data.shape, t._data.dtype, t._xp()) for t in outputs
        )
    dirty = ctx._dirty
    if dirty:
        for t in dirty:
            if t.requires_grad and t.grad_fn is None:
                raise RuntimeError(
                    f"{cls.__name__}: a leaf Variable that requires grad is being used in an "
                    f"in-place operation."
                )
        _bump(dirty)
    non_diff = ctx._non_differentiable
    for i, t in enumerate(outputs):
        if t is None:
            continue
        if non_diff and _index_of(non_diff, t) is not None:
            t.requires_grad = False
            continue
        if (t.requires_grad or _index_of(args, t) is not None) and _index_of(dirty, t) is None:
            # forward returned an input (or a tensor already in a graph) unchanged: give the
            # output its own identity (sharing memory) so its history can point here.
            t = outputs[i] = t._shallow_copy()
        t.requires_grad = True
        t.grad_fn = ctx
        t._output_nr = i
        if t._base is not None:
            ctx._view_version = t._version_counter[0]

    to_save = ctx._to_save
    if to_save:
        saved = []
        for s in to_save:
            if s is None:
                saved.append(None)
                continue
            output_nr = _index_of(outputs, s)
            if output_nr is not None:
                saved.append(_SavedOutput(s, output_nr))
            else:
                if s._version_counter is None:
                    s._version_counter = [0]
                saved.append((s, s._version_counter[0]))
        ctx._saved = tuple(saved)
        ctx._to_save = ()
    else:
        ctx._saved = ()
    return tuple(outputs) if is_tuple else outputs[0]


def _index_of(items, x):
    for i, item in enumerate(items):
        if item is x:
            return i
    return None


def once_differentiable(backward):
    """Decorator for a ``backward`` that cannot itself be differentiated.

    Under ``create_graph=True`` the returned gradients are detached, so a second differentiation
    sees them as constants instead of silently producing wrong higher-order terms.
    """
    import functools

    from .grad_mode import no_grad

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            result = backward(ctx, *grads)
        return result

    return wrapper
