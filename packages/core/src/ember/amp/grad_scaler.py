"""``ember.amp.GradScaler``: dynamic loss scaling for float16 training (``torch.amp.GradScaler``).

float16 gradients underflow to zero below ~6e-8. Multiplying the loss by a large scale ``S``
before ``backward`` keeps them representable; ``unscale_`` divides the gradients by ``S`` again
and checks for inf/NaN. A step with non-finite gradients is skipped and the scale backed off
(``S *= backoff_factor``); after ``growth_interval`` finite steps in a row it grows
(``S *= growth_factor``). Typical use::

    scaler = ember.amp.GradScaler("cuda")
    with ember.autocast("cuda"):
        loss = loss_fn(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)     # unscales, skips the step on inf/NaN
    scaler.update()
"""

from __future__ import annotations

import warnings
from enum import Enum

import numpy as np

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


class GradScaler:
    """Scale the loss, unscale gradients, skip steps with inf/NaN gradients and adapt the scale.

    Args:
        device: the device type the scale lives on (``'cuda'`` or ``'cpu'``). As in PyTorch, a
            ``'cuda'`` scaler without an available GPU warns and disables itself.
        init_scale: the starting scale (``2**16``).
        growth_factor: multiplies the scale after ``growth_interval`` finite steps (2.0).
        backoff_factor: multiplies the scale after a step with inf/NaN gradients (0.5).
        growth_interval: finite steps in a row before growing (2000).
        enabled: False makes every method a pass-through (``step`` just steps).

    Example:
        >>> scaler = ember.amp.GradScaler("cpu", init_scale=1024.0)
        >>> scaler.get_scale()
        1024.0
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            from .. import cuda

            if not cuda.is_available():
                warnings.warn(
                    "ember.amp.GradScaler is enabled, but CUDA is not available. Disabling.",
                    UserWarning,
                    stacklevel=2,
                )
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
            self._init_scale = float(init_scale)
            self._scale = None
            self._growth_factor = float(growth_factor)
            self._backoff_factor = float(backoff_factor)
            self._growth_interval = int(growth_interval)
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states: dict[int, dict] = {}

    # -- the scale ----------------------------------------------------------------------------

    def _lazy_init(self, like) -> None:
        from ..ops.creation import full

        self._scale = full((), self._init_scale, dtype=_f32(), device=like.device)
        self._growth_tracker = full((), self._init_growth_tracker, dtype=_i32(),
                                    device=like.device)

    def scale(self, outputs):
        """``outputs`` multiplied by the scale (a tensor, or tensors in lists/tuples/iterables);
        unchanged when disabled."""
        from .._tensor import Tensor

        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init(outputs)
            return outputs * self._scale.to(outputs.device)
        if isinstance(outputs, (list, tuple)):
            scaled = [self.scale(o) for o in outputs]
            return type(outputs)(scaled) if isinstance(outputs, tuple) else scaled
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _check_initialised(self, funcname: str) -> None:
        if self._scale is None:
            raise RuntimeError(
                f"Attempted {funcname} but _scale is None.  This may indicate your script did "
                f"not use scaler.scale(loss or outputs) earlier in the iteration."
            )

    # -- unscale / step / update --------------------------------------------------------------

    def _unscale_grads_(self, optimizer, inv_scale: float, allow_fp16: bool) -> dict:
        """Multiply every gradient by ``inv_scale`` in place; per device, whether any is
        non-finite."""
        from ..ops._util import xp_of

        found: dict = {}
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if not allow_fp16 and g._data.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                data = g._data
                key = str(g.device)
                bad = bool(~xp_of(data).isfinite(data).all())
                found[key] = found.get(key, False) | bad
                data *= data.dtype.type(inv_scale)
        return found

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale in place (e.g. before clipping them)
        and record whether any is inf/NaN. At most once per optimizer between updates."""
        if not self._enabled:
            return
        self._check_initialised("unscale_")
        state = self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # The reciprocal in float64, then float32, as PyTorch does.
        inv_scale = float(np.float32(1.0 / np.float64(self._scale.item())))
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless :meth:`unscale_` already did) and call ``optimizer.step(*args,
        **kwargs)`` unless a gradient is inf/NaN. Returns what ``step`` returned, or None."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError(
                "Closure use is not currently supported if GradScaler is enabled."
            )
        self._check_initialised("step")
        state = self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if not state["found_inf_per_device"]:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not any(state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Adapt the scale after the iteration's steps: back off if any step saw inf/NaN, grow
        after ``growth_interval`` clean steps; or set ``new_scale`` (a float or 1-element
        float32 tensor) directly."""
        if not self._enabled:
            return
        self._check_initialised("update")
        from .._tensor import Tensor

        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.dtype != _f32() or new_scale.requires_grad:
                    raise ValueError(
                        "new_scale should be a float or a 1-element ember.float32 tensor with "
                        "requires_grad=False."
                    )
                new_scale = new_scale.item()
            self._scale.fill_(float(new_scale))
        else:
            found = [v for s in self._per_optimizer_states.values()
                     for v in s["found_inf_per_device"].values()]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(any(found))
        self._per_optimizer_states = {}

    def _update_scale(self, found_inf: bool) -> None:
        """PyTorch's ``_amp_update_scale_``: the scale in float32, growth only if finite."""
        scale = np.float32(self._scale.item())
        tracker = int(self._growth_tracker.item())
        if found_inf:
            scale = np.float32(scale * np.float32(self._backoff_factor))
            tracker = 0
        else:
            tracker += 1
            if tracker == self._growth_interval:
                grown = np.float32(scale * np.float32(self._growth_factor))
                if np.isfinite(grown):
                    scale = grown
                tracker = 0
        self._scale.fill_(float(scale))
        self._growth_tracker.fill_(tracker)

    # -- getters, setters and state -----------------------------------------------------------

    def get_scale(self) -> float:
        """The current scale (``init_scale`` before the first :meth:`scale`; 1.0 if
        disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker.item())

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """``{'scale', 'growth_factor', 'backoff_factor', 'growth_interval',
        '_growth_tracker'}`` as PyTorch saves it; empty when disabled."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned (a no-op when disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._scale.fill_(self._init_scale)
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(self._init_growth_tracker)


def _f32():
    from .. import _dtype as dt

    return dt.float32


def _i32():
    from .. import _dtype as dt

    return dt.int32
