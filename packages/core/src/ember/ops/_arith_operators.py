"""In-place forms (``add_``, ``mul_``...) and the Python operators (``+ - * / ** // %``)
bound on ``Tensor`` by ``ember.ops.arith``. Under no_grad the in-place forms write with
``out=`` and no temporary, and the operators skip ``apply`` when no promotion is needed.
"""

from __future__ import annotations

import numpy as np

from .._device import is_writeable
from .._tensor import Tensor, _make
from ..autograd.grad_mode import STATE
from ._arith_functional import (
    add,
    div,
    mul,
    sub,
)
from ._arith_kernels import (
    Add,
    Div,
    FloorDivide,
    Mul,
    Neg,
    Pow,
    Remainder,
    Sub,
    _broadcast_error,
)
from ._quiet import quiet_off as _quiet_off
from ._quiet import quiet_on as _quiet_on
from ._util import inplace, xp_of

__all__: list[str] = []


# In-place forms. Under no_grad (optimisers, initialisation) they write with ``out=`` and no
# temporary; otherwise they record their out-of-place twin (see ``_util.inplace``).
# ---------------------------------------------------------------------------------------------

_FAST_UFUNCS = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


def _fast_inplace(self, other, name):
    """The no-graph path of ``add_``/``sub_``/``mul_``/``div_``: one ufunc call with out=."""
    data = self._data
    other_requires = isinstance(other, Tensor) and other.requires_grad
    if STATE.enabled and (self.requires_grad or other_requires):
        return False
    if isinstance(other, Tensor):
        y = other._data
        if type(y) is not type(data) or y.dtype != data.dtype:
            return False
        if y.ndim > data.ndim or any(
            s != 1 and s != t for s, t in zip(y.shape[::-1], data.shape[::-1])
        ):
            return False
    elif isinstance(other, (int, float, bool)) and not isinstance(other, bool):
        y = other
        if data.dtype.kind in "biu" and (isinstance(other, float) or name == "div_"):
            return False
    else:
        return False
    if not is_writeable(data):
        return False
    ufunc = _FAST_UFUNCS[name]
    if type(data) is np.ndarray:
        ufunc(data, y, out=data)
    else:
        getattr(xp_of(data), ufunc.__name__)(data, y, out=data)
    counter = self._version_counter
    if counter is None:
        self._version_counter = [1]
    else:
        counter[0] += 1
    return True


def add_(self, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    if _fast_inplace(self, other, "add_"):
        return self
    return inplace(self, add, other, op="add_")


def sub_(self, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    if _fast_inplace(self, other, "sub_"):
        return self
    return inplace(self, sub, other, op="sub_")


def mul_(self, other):
    if _fast_inplace(self, other, "mul_"):
        return self
    return inplace(self, mul, other, op="mul_")


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and _fast_inplace(self, other, "div_"):
        return self
    return inplace(self, div, other, op="div_", rounding_mode=rounding_mode)


def _inplace_of(fn, name):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, op=name, **kwargs)

    method.__name__ = name
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


# The operators are the hottest calls in any model. Without a graph to record, a same-dtype
# tensor operand or a float scalar on a float tensor needs no promotion, so the operator computes
# the Function's forward inline (one ufunc call) instead of going through ``apply``.


def _no_grad_same_dtype(self, other):
    if STATE.enabled and self.requires_grad:
        return None
    cls = other.__class__
    if cls is Tensor:
        x, y = self._data, other._data
        same = x.dtype is y.dtype and type(x) is type(y)
        if same and not (STATE.enabled and other.requires_grad):
            return y
    elif (cls is float or cls is int) and self._data.dtype.kind == "f":
        return other
    return None


def __add__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None:
        try:
            return _make(self._data + y)
        except ValueError:
            raise _broadcast_error("add", self._data, y) from None
    return Add.apply(self, other)


def __radd__(self, other):
    return Add.apply(other, self)


def __sub__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None and self._data.dtype.kind != "b":
        try:
            return _make(self._data - y)
        except ValueError:
            raise _broadcast_error("sub", self._data, y) from None
    return Sub.apply(self, other)


def __rsub__(self, other):
    return Sub.apply(other, self)


def __mul__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None:
        try:
            return _make(self._data * y)
        except ValueError:
            raise _broadcast_error("mul", self._data, y) from None
    return Mul.apply(self, other)


def __rmul__(self, other):
    return Mul.apply(other, self)


def __truediv__(self, other):
    y = _no_grad_same_dtype(self, other)
    if y is not None and self._data.dtype.kind == "f":
        token = _quiet_on()
        try:
            return _make(self._data / y)
        except ValueError:
            raise _broadcast_error("div", self._data, y) from None
        finally:
            _quiet_off(token)
    return Div.apply(self, other)


def __rtruediv__(self, other):
    return Div.apply(other, self)


def __floordiv__(self, other):
    return FloorDivide.apply(self, other)


def __rfloordiv__(self, other):
    return FloorDivide.apply(other, self)


def __mod__(self, other):
    return Remainder.apply(self, other)


def __rmod__(self, other):
    return Remainder.apply(other, self)


def __pow__(self, other):
    return Pow.apply(self, other)


def __rpow__(self, other):
    return Pow.apply(other, self)


def __neg__(self):
    return Neg.apply(self)


def __pos__(self):
    return self
