"""Input checks shared by the classifiers: one shape comparison at the model boundary."""

from __future__ import annotations

from ember import Tensor

__all__ = ["check_waveform"]


def check_waveform(name: str, waveform: Tensor, channels: int, expected_rate: int,
                   sample_rate: int | None, min_frames: int) -> Tensor:
    """``waveform`` as ``(N, channels, time)``, or a ValueError a user can act on.

    Args:
        name: the model's description for messages, e.g. ``"M5(n_input=1)"``.
        waveform: ``(N, C, time)`` or unbatched ``(C, time)``.
        channels: the channel count the model was built for.
        expected_rate: the sample rate the model was built for.
        sample_rate: the caller's rate (None: not checked).
        min_frames: the shortest clip the model can take.
    """
    if sample_rate is not None and sample_rate != expected_rate:
        raise ValueError(
            f"{name}: built for {expected_rate} Hz audio, got {sample_rate} Hz; resample first "
            f"with emberaudio.transforms.Resample(orig_freq={sample_rate}, "
            f"new_freq={expected_rate})")
    shape = tuple(waveform.shape)
    if waveform.ndim == 2:
        waveform = waveform.unsqueeze(0)
    if waveform.ndim != 3 or waveform.shape[1] != channels:
        fix = ""
        if waveform.ndim == 3 and channels == 1:
            fix = "; mix to mono first with waveform.mean(dim=-2, keepdim=True)"
        elif waveform.ndim == 3 and waveform.shape[1] == 1:
            fix = f"; repeat the mono channel with waveform.expand(-1, {channels}, -1)"
        elif waveform.ndim == 1:
            fix = "; add the channel dimension with waveform.unsqueeze(0)"
        raise ValueError(f"{name}: expected a waveform of shape (N, {channels}, time) or "
                         f"({channels}, time), got {shape}{fix}")
    if waveform.shape[-1] < min_frames:
        raise ValueError(f"{name}: the clip has {waveform.shape[-1]} frames, fewer than the "
                         f"{min_frames} the model needs; pad it at the end (e.g. "
                         f"ember.nn.functional.pad(waveform, (0, {min_frames} - frames)))")
    return waveform
