"""Beamforming modules (torchaudio.transforms): PSD, MVDR, RTFMVDR, SoudenMVDR.

Thin ``nn.Module`` forms of :mod:`emberaudio.functional._beamforming`, with torchaudio's
arguments, defaults and buffers (``MVDR``'s ``psd_s``/``psd_n``/``mask_sum_s``/``mask_sum_n``
for online updates).
"""

from __future__ import annotations

import warnings

import ember
from ember import Tensor, nn

from ..functional import _beamforming as BF

__all__ = ["MVDR", "PSD", "RTFMVDR", "SoudenMVDR"]

_SOLUTIONS = ("ref_channel", "stv_evd", "stv_power")


def _get_mvdr_vector(psd_s: Tensor, psd_n: Tensor, reference_vector: Tensor,
                     solution: str = "ref_channel", diagonal_loading: bool = True,
                     diag_eps: float = 1e-7, eps: float = 1e-8) -> Tensor:
    """MVDR weights by Souden's formula (``ref_channel``) or from a steering vector estimated
    by eigendecomposition (``stv_evd``) or the power method (``stv_power``)."""
    if solution == "ref_channel":
        return BF.mvdr_weights_souden(psd_s, psd_n, reference_vector, diagonal_loading,
                                      diag_eps, eps)
    if solution == "stv_evd":
        stv = BF.rtf_evd(psd_s)
    else:
        stv = BF.rtf_power(psd_s, psd_n, reference_vector, diagonal_loading=diagonal_loading,
                           diag_eps=diag_eps)
    return BF.mvdr_weights_rtf(stv, psd_n, reference_vector, diagonal_loading, diag_eps, eps)


class PSD(nn.Module):
    """Cross-channel power spectral density matrices (:func:`~emberaudio.functional.psd`).

    Args:
        multi_mask: the mask has a channel dimension ``(..., channel, freq, time)``; it is
            averaged over channels (False).
        normalize: normalise the mask over time (True).
        eps: added to the mask sum (1e-15, torchaudio's module default).

    Shape:
        specgram ``(..., channel, freq, time)`` complex -> ``(..., freq, channel, channel)``.

    Example:
        >>> PSD()(ember.randn(2, 5, 10, dtype=ember.cfloat)).shape
        ember.Size([5, 2, 2])
    """

    def __init__(self, multi_mask: bool = False, normalize: bool = True, eps: float = 1e-15):
        super().__init__()
        self.multi_mask = multi_mask
        self.normalize = normalize
        self.eps = eps

    def forward(self, specgram: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is not None and self.multi_mask:
            mask = mask.mean(dim=-3)  # one mask for all channels: their average
        return BF.psd(specgram, mask, self.normalize, self.eps)


class MVDR(nn.Module):
    """Mask-based MVDR beamforming (torchaudio's ``MVDR``, after ESPnet's beamformer): PSDs of
    speech and noise from time-frequency masks, MVDR weights by ``solution``, and the
    enhanced spectrum ``w^H Y``. Computed in complex128 (cfloat input is converted, the output
    converted back) for the matrix inversions' sake, as torchaudio does.

    Args:
        ref_channel: the reference microphone (0).
        solution: ``'ref_channel'`` (Souden), ``'stv_evd'`` or ``'stv_power'``.
        multi_mask: masks carry a channel dimension, averaged over it (False).
        diag_loading: diagonal loading of the noise PSD (True).
        diag_eps: its factor (1e-7).
        online: update the PSDs recursively across calls (streaming), kept in the buffers
            ``psd_s``, ``psd_n``, ``mask_sum_s``, ``mask_sum_n`` (False).

    Shape:
        specgram ``(..., channel, freq, time)`` complex, masks ``(..., freq, time)`` ->
        ``(..., freq, time)``.
    """

    def __init__(self, ref_channel: int = 0, solution: str = "ref_channel",
                 multi_mask: bool = False, diag_loading: bool = True, diag_eps: float = 1e-7,
                 online: bool = False):
        super().__init__()
        if solution not in _SOLUTIONS:
            raise ValueError(f'`solution` must be one of ["ref_channel", "stv_evd", '
                             f'"stv_power"]. Given {solution}')
        self.ref_channel = ref_channel
        self.solution = solution
        self.multi_mask = multi_mask
        self.diag_loading = diag_loading
        self.diag_eps = diag_eps
        self.online = online
        self.psd = PSD(multi_mask)
        for name in ("psd_s", "psd_n", "mask_sum_s", "mask_sum_n"):
            self.register_buffer(name, ember.zeros(1))

    def _get_updated_psd(self, old: Tensor, mask_sum: Tensor, new: Tensor,
                         mask: Tensor) -> Tensor:
        # Running mean weighted by mask mass: old * S / (S + s) + new / (S + s).
        total = mask_sum + mask.sum(dim=-1)
        return old * (mask_sum / total)[..., None, None] + new * (1 / total)[..., None, None]

    def _get_updated_mvdr_vector(self, psd_s, psd_n, mask_s, mask_n, reference_vector,
                                 solution="ref_channel", diagonal_loading=True,
                                 diag_eps=1e-7, eps=1e-8) -> Tensor:
        """Recursively update the PSDs (first call: store them) and return the weights."""
        if self.multi_mask:
            mask_s, mask_n = mask_s.mean(dim=-3), mask_n.mean(dim=-3)
        if self.psd_s.ndim == 1:
            self.psd_s, self.psd_n = psd_s, psd_n
            self.mask_sum_s, self.mask_sum_n = mask_s.sum(dim=-1), mask_n.sum(dim=-1)
        else:
            psd_s = self._get_updated_psd(self.psd_s, self.mask_sum_s, psd_s, mask_s)
            psd_n = self._get_updated_psd(self.psd_n, self.mask_sum_n, psd_n, mask_n)
            self.psd_s, self.psd_n = psd_s, psd_n
            self.mask_sum_s = self.mask_sum_s + mask_s.sum(dim=-1)
            self.mask_sum_n = self.mask_sum_n + mask_n.sum(dim=-1)
        return _get_mvdr_vector(psd_s, psd_n, reference_vector, solution, diagonal_loading,
                                diag_eps, eps)

    def forward(self, specgram: Tensor, mask_s: Tensor, mask_n: Tensor | None = None) -> Tensor:
        dtype = specgram.dtype
        if specgram.ndim < 3:
            raise ValueError(f"MVDR: expected at least 3D tensor (..., channel, freq, time). "
                             f"Found: {tuple(specgram.shape)}")
        if not specgram.is_complex():
            raise ValueError(f"MVDR: the type of ``specgram`` tensor must be ember.cfloat or "
                             f"ember.cdouble. Found: {specgram.dtype}; take the STFT with "
                             f"return_complex=True")
        if specgram.dtype == ember.cfloat:
            specgram = specgram.to(ember.cdouble)
        if mask_n is None:
            warnings.warn("``mask_n`` is not provided, use ``1 - mask_s`` as ``mask_n``.",
                          stacklevel=2)
            mask_n = 1 - mask_s
        psd_s = self.psd(specgram, mask_s)
        psd_n = self.psd(specgram, mask_n)
        # One-hot reference vector (..., channel).
        u = ember.zeros(tuple(specgram.shape[:-2]), dtype=ember.cdouble, device=specgram.device)
        u[..., self.ref_channel] = 1
        if self.online:
            w_mvdr = self._get_updated_mvdr_vector(psd_s, psd_n, mask_s, mask_n, u,
                                                   self.solution, self.diag_loading,
                                                   self.diag_eps)
        else:
            w_mvdr = _get_mvdr_vector(psd_s, psd_n, u, self.solution, self.diag_loading,
                                      self.diag_eps)
        return BF.apply_beamforming(w_mvdr, specgram).to(dtype)


class RTFMVDR(nn.Module):
    """MVDR beamforming from a relative transfer function and the noise PSD:
    ``S = w^H Y`` with ``w`` from :func:`~emberaudio.functional.mvdr_weights_rtf`.

    Shape:
        specgram ``(..., channel, freq, time)``, rtf ``(..., freq, channel)``, psd_n
        ``(..., freq, channel, channel)`` -> ``(..., freq, time)``.
    """

    def forward(self, specgram: Tensor, rtf: Tensor, psd_n: Tensor,
                reference_channel: int | Tensor, diagonal_loading: bool = True,
                diag_eps: float = 1e-7, eps: float = 1e-8) -> Tensor:
        w_mvdr = BF.mvdr_weights_rtf(rtf, psd_n, reference_channel, diagonal_loading,
                                     diag_eps, eps)
        return BF.apply_beamforming(w_mvdr, specgram)


class SoudenMVDR(nn.Module):
    """MVDR beamforming by Souden et al.'s formula from the speech and noise PSDs:
    ``S = w^H Y`` with ``w`` from :func:`~emberaudio.functional.mvdr_weights_souden`.

    Shape:
        specgram ``(..., channel, freq, time)``, psd_s / psd_n
        ``(..., freq, channel, channel)`` -> ``(..., freq, time)``.
    """

    def forward(self, specgram: Tensor, psd_s: Tensor, psd_n: Tensor,
                reference_channel: int | Tensor, diagonal_loading: bool = True,
                diag_eps: float = 1e-7, eps: float = 1e-8) -> Tensor:
        w_mvdr = BF.mvdr_weights_souden(psd_s, psd_n, reference_channel, diagonal_loading,
                                        diag_eps, eps)
        return BF.apply_beamforming(w_mvdr, specgram)
