"""PyTorch-style printing: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from ._settings import _format_values

_IMPLICIT_DTYPES = ("float32", "int64", "bool", "complex64")


def format_tensor(t) -> str:
    data = t._data if type(t._data) is np.ndarray else t._data.get()
    body = _format_values(data)
    extras = []
    if t.is_cuda:
        extras.append(f"device='{t.device}'")
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            extras.insert(0, f"size={tuple(data.shape)}")
    dtype = t.dtype.name
    if dtype not in _IMPLICIT_DTYPES:
        extras.append(f"dtype=ember.{dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    suffix = "".join(", " + e for e in extras)
    return f"tensor({body}{suffix})"
