"""Helpers shared by the optimisers: hyperparameter checks, step counters, and the in-place
array kernels (gradient with weight decay, ``lerp_``) the update rules are built from.

The kernels take ``xp`` (numpy or cupy) and write into arrays given to them, so an update
allocates nothing parameter-sized.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make


def _value(x) -> float:
    """A hyperparameter (number or one-element tensor) as a Python float."""
    return float(x)


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _value(lr):
        raise ValueError(f"Invalid learning rate: {_value(lr) if isinstance(lr, Tensor) else lr}")


def _check_non_negative(label: str, value) -> None:
    """PyTorch's check and message for a hyperparameter that must be >= 0."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label} value: {value}")


def _check_betas(betas) -> None:
    for i in (0, 1):
        if not 0.0 <= _value(betas[i]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_unsupported(name: str, differentiable: bool, foreach=None, fused=None) -> None:
    """PyTorch's implementation switches: accepted so that PyTorch code runs, and ignored
    (Ember has one implementation, in place on whole arrays); ``differentiable=True`` needs
    autograd through the update, which Ember's in-place array updates do not record."""
    if differentiable:
        raise NotImplementedError(
            f"{name}: differentiable=True is not supported (Ember's optimisers update the "
            "parameter arrays in place outside autograd); use differentiable=False"
        )
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _scalar_tensor(value: float) -> Tensor:
    """A 0-d CPU tensor for a step count: float32, or float64 when that is the default dtype
    (PyTorch's ``_get_scalar_dtype``)."""
    np_dtype = np.float64 if dt.get_default_dtype() is dt.float64 else np.float32
    return _make(np.array(value, dtype=np_dtype))


def _increment(step: Tensor) -> float:
    """``step += 1`` in place; returns the new count as a Python float."""
    step._data += 1
    _bump_version(step)
    return float(step._data)


def _bump_version(t: Tensor) -> None:
    """Record an in-place change of ``t``'s memory, as ``write_into`` does for in-place ops."""
    counter = t._version_counter
    if counter is None:
        t._version_counter = [1]
    else:
        counter[0] += 1


def _real(a):
    """A complex array viewed as real pairs (PyTorch's ``view_as_real``): every optimiser
    treats the real and imaginary parts as independent coordinates."""
    if a.dtype.kind != "c":
        return a
    return a[..., None].view(a.real.dtype)


def _grad_array(xp, p, g, weight_decay: float, maximize: bool, out):
    """The gradient the update rule sees: ``-g`` when maximising, plus ``weight_decay * p``
    (L2 penalty). Written into ``out`` when it differs from ``g``; ``g`` itself is never
    modified (PyTorch leaves ``.grad`` untouched)."""
    if weight_decay != 0:
        xp.multiply(p, weight_decay, out=out)
        if maximize:
            xp.subtract(out, g, out=out)
        else:
            xp.add(out, g, out=out)
        return out
    if maximize:
        xp.negative(g, out=out)
        return out
    return g


def _lerp_(xp, a, b, weight: float, tmp) -> None:
    """``a.lerp_(b, weight)`` (an exponential moving average step), with PyTorch's two-sided
    formula: the endpoint nearer to the result is the base, which keeps it exact at weight 1."""
    xp.subtract(b, a, out=tmp)
    if weight < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1.0 - weight
        xp.subtract(b, tmp, out=a)


def _params_and_grads(group) -> Iterable[tuple[Tensor, Any]]:
    """The parameters of a group that have a gradient, with the gradient's array."""
    for p in group["params"]:
        g = p.grad
        if g is not None:
            yield p, g._data
