"""Helpers of the packages' ``test_on_devices.py`` files: the device list and the CPU-vs-device
comparison. The ``device`` fixture built on :data:`DEVICES` is in ``tests/conftest.py``.

Imported by name (``from _devices import assert_same``): pytest puts ``tests/`` on ``sys.path``
when it loads ``tests/conftest.py`` (rootdir-relative "prepend" import mode, the test folders
have no ``__init__.py``), for every package's tests, also when one package's folder runs alone.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember

# the "cuda" cases carry the cuda marker: `-m cuda` selects just them on a GPU machine
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def numpy_of(t) -> np.ndarray:
    """A Tensor's values as a NumPy array on the host (detached, copied from the device)."""
    return t.detach().cpu().numpy()


def assert_same(actual, expected, what: str, rtol: float = 1e-4, atol: float | None = None,
                device: str | None = None) -> None:
    """``actual`` (on ``device``) equals ``expected`` (CPU Tensor or ndarray) within rtol; atol
    defaults to rtol times the largest magnitude of ``expected``, so values near zero in a
    large-valued output do not fail on float32 rounding. Complex values compare by the modulus
    of the difference. Shapes and dtypes must match exactly; the message names ``what``, the
    devices, how many elements differ and the largest difference with its index."""
    if device is not None:
        assert actual.device.type == device, f"{what}: result is on {actual.device}, " \
                                             f"expected {device}"
    a = numpy_of(actual) if isinstance(actual, ember.Tensor) else np.asarray(actual)
    e = numpy_of(expected) if isinstance(expected, ember.Tensor) else np.asarray(expected)
    where = f"on {device} vs cpu" if device is not None else ""
    assert a.shape == e.shape, f"{what} {where}: shape {a.shape} != {e.shape}"
    assert a.dtype == e.dtype, f"{what} {where}: dtype {a.dtype} != {e.dtype}"
    wide = np.complex128 if np.iscomplexobj(e) else np.float64
    a64, e64 = a.astype(wide), e.astype(wide)
    if atol is None:
        atol = rtol * float(np.max(np.abs(e64), initial=0.0))
    diff = np.abs(a64 - e64)
    bad = diff > atol + rtol * np.abs(e64)
    assert not bad.any(), (
        f"{what} {where}: {int(bad.sum())}/{bad.size} elements differ; max abs diff "
        f"{diff.max():.3g} at {np.unravel_index(diff.argmax(), diff.shape)} (rtol={rtol}, "
        f"atol={atol:.3g}), shape {a.shape}, dtype {a.dtype}"
    )
