"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` and their two halves
``get_total_norm`` / ``clip_grads_with_norm_``.

All work on the gradients' arrays in place (as PyTorch does under ``no_grad``): one norm per
gradient, one combined norm, one scale factor applied to every gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _device as _dev
from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...ops._util import xp_of

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "get_total_norm",
    "clip_grads_with_norm_",
]


def _as_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _bump(t: Tensor) -> None:
    counter = t._version_counter
    if counter is None:
        t._version_counter = [1]
    else:
        counter[0] += 1


def _vector_norm(data, p: float):
    """The p-norm of all elements of ``data``, as a 0-d float64 array on its device."""
    xp = xp_of(data)
    flat = data.ravel()
    if flat.dtype.kind != "f" or flat.dtype.itemsize < 4:
        flat = flat.astype(np.float32)  # float16 / bfloat16: no overflow of the squares
    if flat.size == 0:
        result = 0.0
    elif p == 2.0:
        # a dot product: BLAS speed, then the root in float64
        result = xp.sqrt(xp.asarray(xp.dot(flat, flat), dtype=np.float64))
    else:
        a = xp.abs(flat).astype(np.float64)
        if p == math.inf:
            result = a.max()
        elif p == -math.inf:
            result = a.min()
        elif p == 0.0:
            result = xp.count_nonzero(a)
        elif p == 1.0:
            result = a.sum()
        else:
            result = (a**p).sum() ** (1.0 / p)
    return xp.asarray(result, dtype=np.float64)


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    """The p-norm of all the given tensors together (as if concatenated into one vector).

    Args:
        tensors: a tensor or an iterable of tensors (typically gradients).
        norm_type: p (``inf`` for the largest absolute value).
        error_if_nonfinite: raise if the norm is nan or inf.
        foreach: accepted for compatibility (one vectorised pass per tensor either way).

    Returns:
        A 0-d tensor on the first tensor's device, in the tensors' promoted dtype
        (``ember.tensor(0.)`` when there is none).
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _make(np.asarray(0.0, dtype=dt.get_default_dtype().np_dtype))
    first = tensors[0].device
    norms = []
    for t in tensors:
        n = _vector_norm(t._data, norm_type)
        if t.device != first:
            n = _dev.move_array(n, first)
        norms.append(n)
    xp = xp_of(norms[0])
    total = _vector_norm(xp.stack(norms), norm_type)
    out_dtype = tensors[0].dtype
    for t in tensors[1:]:
        out_dtype = dt.promote_types(out_dtype, t.dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            f"non-finite, so it cannot be clipped. To disable this error and scale the "
            f"gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _make(total.astype(out_dtype.np_dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale the gradients of ``parameters`` by ``min(1, max_norm / (total_norm + 1e-6))``
    in place (the second half of :func:`clip_grad_norm_`)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    if isinstance(total_norm, Tensor):
        total = total_norm._data.astype(np.float64)
    else:
        total = np.asarray(total_norm, dtype=np.float64)
    xp = xp_of(total)
    # the 1e-6 keeps the coefficient finite for an all-zero gradient, as in PyTorch
    coef = xp.asarray(xp.minimum(float(max_norm) / (total + 1e-6), 1.0))
    for g in grads:
        c = _dev.move_array(coef, g.device)
        data = g._data
        with np.errstate(invalid="ignore"):  # inf * 0 -> nan, silently, as in PyTorch
            data[...] = data * c.astype(data.dtype)
        _bump(g)


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Rescale the gradients so that their total norm is at most ``max_norm``.

    The norm is taken over all gradients together (as one vector); when it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (total_norm + 1e-6)``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed norm.
        norm_type: p of the p-norm (``float('inf')`` for the largest absolute value).
        error_if_nonfinite: raise RuntimeError if the total norm is nan or inf.
        foreach: accepted for compatibility.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Example:
        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> optimizer.step()
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (kept by PyTorch, with a warning)."""
    import warnings

    warnings.warn(
        "`ember.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`ember.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    Example:
        >>> nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is None:
            continue
        data = g._data
        data[...] = xp_of(data).clip(data, -clip_value, clip_value)
        _bump(g)
