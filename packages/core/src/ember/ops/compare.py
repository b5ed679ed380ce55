"""Comparisons, logical and bitwise ops, ``where`` and ``clamp``.

Comparisons (``eq``... and the operators ``== != < <= > >=``) broadcast, promote their operands
by PyTorch's rules and return bool tensors outside the graph; ``equal`` and ``allclose`` return
Python bools. Logical ops accept any dtype (nonzero is True). Bitwise ops and ``& | ^ ~ << >>``
need integer or bool tensors. ``where`` and ``clamp`` are differentiable in their value
arguments. ``Tensor.__hash__`` stays identity-based although ``==`` is elementwise, so tensors
still work as dict keys and in sets (as in PyTorch).
"""

from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ._compare_values import (
    _is_operand,
    allclose,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    eq,
    equal,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    le,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    not_equal,
    signbit,
)
from ._compare_where import (
    clamp,
    clamp_,
    clamp_max,
    clamp_max_,
    clamp_min,
    clamp_min_,
    clip,
    clip_,
    heaviside,
    where,
)
from ._util import inplace, register_methods

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge",
    "greater", "greater_equal", "less", "less_equal", "not_equal",
    "equal", "allclose", "isclose",
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift",
    "where", "clamp", "clip", "clamp_min", "clamp_max",
    "clamp_", "clip_", "clamp_min_", "clamp_max_", "heaviside",
]  # fmt: skip

# In-place forms and operators
# ---------------------------------------------------------------------------------------------


class _Overwritten(Function):
    """Stands for a non-differentiable result (``x.eq_(y)``, ``x.logical_not_()``) written into
    a tensor of the graph: PyTorch gives such in-place ops a zero gradient."""

    @staticmethod
    def forward(ctx, t, result):
        return result._data

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


def _inplace_nondifferentiable(fn, name: str):
    def recorded(source, *args):
        result = fn(source, *args)
        if STATE.enabled and source.requires_grad:
            return _Overwritten.apply(source, result)
        return result

    def method(self, *args):
        return inplace(self, recorded, *args, op=name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"In-place version of :func:`ember.{fn.__name__}` (the result is cast to ``self``'s "
        f"dtype)."
    )
    return method


def _operator(fn):
    def method(self, other):
        return fn(self, other) if _is_operand(other) else NotImplemented

    return method


def _reflected(fn):
    def method(self, other):
        return fn(other, self) if _is_operand(other) else NotImplemented

    return method


def __invert__(self):
    if self._data.dtype.kind not in "biu":
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


def _register() -> None:
    methods = {
        name: globals()[name]
        for name in __all__
        if name not in ("where", "clamp_", "clip_", "clamp_min_", "clamp_max_")
    }
    no_inplace = ("equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "isposinf",
                  "isneginf", "isreal", "signbit", "clamp", "clip", "clamp_min", "clamp_max")
    in_place = {
        name + "_": _inplace_nondifferentiable(fn, name + "_")
        for name, fn in methods.items()
        if name not in no_inplace
    }
    register_methods(
        **methods,
        **in_place,
        where=lambda self, condition, other: where(condition, self, other),
        clamp_=clamp_,
        clip_=clamp_,
        clamp_min_=clamp_min_,
        clamp_max_=clamp_max_,
        __eq__=_operator(eq),
        __ne__=_operator(ne),
        __lt__=_operator(lt),
        __le__=_operator(le),
        __gt__=_operator(gt),
        __ge__=_operator(ge),
        __and__=_operator(bitwise_and),
        __or__=_operator(bitwise_or),
        __xor__=_operator(bitwise_xor),
        __lshift__=_operator(bitwise_left_shift),
        __rshift__=_operator(bitwise_right_shift),
        __rand__=_reflected(bitwise_and),
        __ror__=_reflected(bitwise_or),
        __rxor__=_reflected(bitwise_xor),
        __rlshift__=_reflected(bitwise_left_shift),
        __rrshift__=_reflected(bitwise_right_shift),
        __iand__=in_place["bitwise_and_"],
        __ior__=in_place["bitwise_or_"],
        __ixor__=in_place["bitwise_xor_"],
        __ilshift__=in_place["bitwise_left_shift_"],
        __irshift__=in_place["bitwise_right_shift_"],
        __invert__=__invert__,
    )


_register()
