"""``Parameter`` and ``Buffer``: the tensors a :class:`~ember.nn.Module` registers as its state.

Both are Tensor subclasses. ``Tensor`` uses ``__slots__``; these subclasses do not, so they get
a ``__dict__`` for the few extra attributes (``persistent``, user annotations). Operations on a
Parameter return plain Tensors (ops build outputs with ``_make``), as in PyTorch.
"""

from __future__ import annotations

from .._tensor import Tensor, _init_from

__all__ = [
    "Parameter",
    "Buffer",
    "UninitializedParameter",
    "UninitializedBuffer",
    "is_lazy",
]


def _alias_into(t: Tensor, data: Tensor | None) -> None:
    """Make ``t`` share ``data``'s memory and version counter (a detached alias, like
    ``Tensor._make_subclass``), so in-place changes through either are seen by both."""
    if data is None:
        from ..ops.creation import empty

        data = empty(0)
    elif not isinstance(data, Tensor):
        raise TypeError(
            f"expected a Tensor as the data of a {type(t).__name__}, got {type(data).__name__}"
        )
    _init_from(t, data._data)
    if data._version_counter is None:
        data._version_counter = [0]
    t._version_counter = data._version_counter


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned as its attribute.

    ``Parameter(data)`` shares ``data``'s memory (no copy) and is a leaf that requires grad by
    default. ``module.parameters()`` yields these; optimisers update them in place.

    Args:
        data: the initial values (default: an empty tensor).
        requires_grad: whether autograd tracks it (default ``True``).

    Example:
        >>> w = nn.Parameter(ember.zeros(2, 3))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        self = object.__new__(cls)
        _alias_into(self, data)
        if requires_grad:
            # same error as PyTorch for integer parameters that would require grad
            self.requires_grad_(True)
        return self

    def __init__(self, data=None, requires_grad=True):
        # Everything happens in __new__; Tensor.__init__ (the legacy constructor) must not run.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        # PyTorch's rule: a fresh Parameter of the same class over a copy of the values (the
        # ``.grad`` is not copied); extra attributes in __dict__ are deep-copied too.
        if id(self) in memo:
            return memo[id(self)]
        import copy

        from .._tensor import _make

        result = type(self)(_make(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            result.__dict__[key] = copy.deepcopy(value, memo)
        return result

    def __reduce_ex__(self, protocol):
        data = self._data if self.is_cpu else self._data.get()
        return (
            _rebuild_parameter,
            (type(self), data, str(self.device), self.requires_grad, dict(self.__dict__)),
        )


def _rebuild_parameter(cls, data, device, requires_grad, state):
    from .._tensor import _rebuild

    p = cls(_rebuild(data, device, False), requires_grad)
    p.__dict__.update(state)
    return p


class Buffer(Tensor):
    """A Tensor that a Module registers as a buffer (state that is not a parameter, such as
    BatchNorm's running mean) when assigned as its attribute.

    Args:
        data: the values (shared, not copied; default: an empty tensor).
        persistent: whether the buffer is part of the module's ``state_dict`` (default ``True``).

    Example:
        >>> m = nn.Module()
        >>> m.steps = nn.Buffer(ember.zeros(()), persistent=False)
        >>> list(m.state_dict())
        []
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        self = object.__new__(cls)
        _alias_into(self, data)
        if data is not None and data.requires_grad:
            self.requires_grad = True
        self.persistent = persistent
        return self

    def __init__(self, data=None, *, persistent=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        from .._tensor import _make

        result = type(self)(_make(self._data.copy()), persistent=self.persistent)
        result.requires_grad = self.requires_grad
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        data = self._data if self.is_cpu else self._data.get()
        return (_rebuild_buffer, (data, str(self.device), self.requires_grad, self.persistent))


def _rebuild_buffer(data, device, requires_grad, persistent):
    from .._tensor import _rebuild

    return Buffer(_rebuild(data, device, requires_grad), persistent=persistent)


class _UninitializedMixin:
    """Shared by the lazy placeholders: a tensor with no shape yet, made real by
    ``materialize(shape)`` (which turns it into its ``cls_to_become`` in place)."""

    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate the values (uninitialised memory, as ``ember.empty``) and become a regular
        Parameter/Buffer; the object keeps its identity, so optimisers holding it stay valid."""
        from ..ops.creation import empty

        if device is None:
            device = self._lazy_device
        if dtype is None:
            dtype = self._lazy_dtype
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self._data = empty(shape, device=device, dtype=dtype)._data
        self.__class__ = self.cls_to_become

    def _refuse(self, what: str):
        raise RuntimeError(
            f"Can't access the {what} of an uninitialized parameter or buffer. This error "
            f"usually happens in `load_state_dict` when trying to load an uninitialized "
            f"parameter into an initialized one. Call `forward` to initialize the parameters "
            f"before accessing their attributes."
        )

    @property
    def shape(self):
        self._refuse("shape")

    def size(self, dim=None):
        self._refuse("shape")

    def numel(self):
        self._refuse("number of elements")

    def detach(self):
        # PyTorch refuses every op on a placeholder but a few (to/cpu/cuda/half/...); detach is
        # the one state_dict used to call, which silently gave a plain empty tensor that then
        # "materialised" lazy modules with shape (0,) on load. Same error type and text.
        raise ValueError(
            f"Attempted to use an uninitialized parameter in {type(self).__name__}.detach. "
            f"This error happens when you are using a `LazyModule` or explicitly manipulating "
            f"`ember.nn.parameter.{type(self).__name__}` objects. When using LazyModules Call "
            f"`forward` with a dummy batch to initialize the parameters before calling ember "
            f"functions"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        raise RuntimeError(
            f"'{type(self).__name__}' and deepcopy/pickling are not supported; run the module "
            f"once so that its lazy parameters are materialized first"
        )

    __deepcopy__ = None  # falls back to __reduce_ex__, which raises the message above


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A parameter whose shape is not known yet (used by lazy modules such as ``LazyLinear``).

    Reading its shape or pickling it raises a clear error; ``materialize(shape)`` allocates the
    values and turns it into a regular :class:`Parameter`.
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        self = Parameter.__new__(cls, None, requires_grad)
        self._lazy_device, self._lazy_dtype = device, dtype
        return self

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(_UninitializedMixin, Buffer):
    """A buffer whose shape is not known yet; ``materialize(shape)`` makes it a regular
    :class:`Buffer`."""

    cls_to_become = Buffer

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent=True):
        self = Buffer.__new__(cls, None, persistent=persistent)
        self.requires_grad = requires_grad
        self._lazy_device, self._lazy_dtype = device, dtype
        return self

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param) -> bool:
    """Whether ``param`` is an uninitialized (lazy) parameter or buffer."""
    return isinstance(param, _UninitializedMixin)
