"""PyTorch-style printing: ``tensor([1.0000, 2.5000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

_IMPLICIT_DTYPES = ("float32", "int64", "bool", "complex64")


def _format_values(data: np.ndarray) -> str:
    opts = {"separator": ", ", "prefix": "tensor(", "threshold": 1000, "edgeitems": 3}
    if data.dtype.kind == "f" or data.dtype.name == "bfloat16":
        data = data.astype(np.float64 if data.dtype.itemsize == 8 else np.float32)
        finite = np.abs(data[np.isfinite(data)])
        nonzero = finite[finite != 0]
        if nonzero.size and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4):
            # PyTorch switches to scientific notation for very large or small magnitudes
            return np.array2string(data, formatter={"float_kind": "{:.4e}".format}, **opts)
        if bool(np.all(finite == np.round(finite))):
            return np.array2string(data, floatmode="maxprec", precision=0, **opts)
        return np.array2string(data, floatmode="fixed", precision=4, **opts)
    return np.array2string(data, **opts)


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
