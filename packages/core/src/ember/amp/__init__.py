"""``ember.amp``: automatic mixed precision (PyTorch's ``torch.amp``).

:class:`autocast` runs matmul-like ops in float16/bfloat16 and precision-sensitive ones in
float32 inside a region; :class:`GradScaler` scales the loss so float16 gradients do not
underflow, and skips steps whose gradients overflowed.
"""

from .autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype"]
