"""Grad modes: whether operations record the graph.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode`` work as context
managers and as decorators, exactly like PyTorch's. The flag lives in one small object that the
op dispatcher reads on every call, so checking it costs one attribute lookup.
"""

from __future__ import annotations

import functools
import inspect

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]


class _GradState:
    __slots__ = ("enabled", "inference", "anomaly", "anomaly_check_nan")

    def __init__(self):
        self.enabled = True
        self.inference = False
        self.anomaly = False
        self.anomaly_check_nan = True


STATE = _GradState()


def is_grad_enabled() -> bool:
    """Whether operations currently record the autograd graph."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _DecoratorContextManager:
    """A context manager that can also decorate a function (or generator function)."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    try:
                        value = next(gen)
                    except StopIteration as stop:
                        return stop.value
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        gen.close()
                        raise
                    with self.clone():
                        try:
                            value = gen.send(sent)
                        except StopIteration as stop:
                            return stop.value

            return generator

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also usable as a bare decorator: ``@ember.no_grad`` as well as ``@ember.no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Disable graph recording inside the block (or the decorated function).

    Example:
        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = False
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False


class enable_grad(_NoParamDecoratorContextManager):
    """Enable graph recording inside the block, e.g. within a ``no_grad`` region."""

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = True
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode on or off. Takes effect immediately, and also works as a context manager."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def clone(self):
        return set_grad_enabled(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``; Ember keeps no extra bookkeeping that inference mode could skip.

    Tensors made inside it never require grad, as in PyTorch.
    """

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = (STATE.enabled, STATE.inference)
        if self.mode:
            STATE.enabled = False
            STATE.inference = True
        return self

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._prev
        return False

    def clone(self):
        return inference_mode(self.mode)
