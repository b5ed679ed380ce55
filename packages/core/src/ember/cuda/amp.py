"""``ember.cuda.amp``: PyTorch's older CUDA-specific spellings of :mod:`ember.amp`
(``torch.cuda.amp.autocast(...)`` = ``torch.autocast('cuda', ...)``; deprecated there)."""

from __future__ import annotations

from .. import _dtype as dt
from ..amp import autocast as _autocast
from ..amp.grad_scaler import GradScaler as _GradScaler

__all__ = ["autocast", "GradScaler"]


class autocast(_autocast):
    """``ember.autocast('cuda', dtype, enabled, cache_enabled)`` with float16 by default."""

    def __init__(self, enabled: bool = True, dtype=dt.float16, cache_enabled: bool = True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    """``ember.amp.GradScaler('cuda', ...)``."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)
