"""``AddNoise`` (torchaudio.transforms): noise scaled to a signal-to-noise ratio."""

from __future__ import annotations

from ember import Tensor, nn

from ..functional._filtering import add_noise

__all__ = ["AddNoise"]


class AddNoise(nn.Module):
    """Scale ``noise`` so that the waveform-to-noise energy ratio is ``snr`` dB and add it
    (:func:`~emberaudio.functional.add_noise`):
    ``y = x + 10 ** ((snr_now - snr) / 20) * n`` with ``snr_now = 10 log10(|x|^2 / |n|^2)``.

    Shape:
        waveform, noise ``(..., L)``; snr ``(...)``; lengths ``(...)`` (optional: energies over
        the first ``lengths`` samples only) -> ``(..., L)``.

    Example:
        >>> x, n = ember.randn(2, 16000), ember.randn(2, 16000)
        >>> AddNoise()(x, n, ember.tensor([10.0, 20.0])).shape
        ember.Size([2, 16000])
    """

    def forward(self, waveform: Tensor, noise: Tensor, snr: Tensor,
                lengths: Tensor | None = None) -> Tensor:
        return add_noise(waveform, noise, snr, lengths)
