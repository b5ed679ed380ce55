"""Silencing NumPy's floating-point warnings cheaply.

PyTorch never warns about ``log(0)``, ``1 / 0`` or ``exp(1000)``; NumPy does (and warnings are
errors in the tests). ``np.errstate`` rebuilds NumPy's error-state object on every entry (~7 us,
more than ``exp`` of a small array); setting NumPy's context variable to one prebuilt "ignore"
state costs ~0.3 us. If NumPy's internals move, this falls back to ``np.errstate``.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["quiet_on", "quiet_off", "Quiet"]

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE = _make_extobj(all="ignore")
    quiet_on = functools.partial(_extobj_contextvar.set, _IGNORE)  # -> token
    quiet_off = _extobj_contextvar.reset  # (token)

except (ImportError, AttributeError, TypeError):  # pragma: no cover - depends on NumPy

    def quiet_on():
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def quiet_off(state):
        state.__exit__(None, None, None)


class Quiet:
    """``with Quiet():`` silences NumPy's floating-point warnings (overflow, 0/0...)."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = quiet_on()

    def __exit__(self, *exc):
        quiet_off(self._token)
