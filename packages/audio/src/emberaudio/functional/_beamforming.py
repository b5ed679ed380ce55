"""Multi-channel beamforming: PSD matrices, MVDR weights, RTF estimates (torchaudio.functional).

The formulas follow torchaudio's ``functional.py`` (same names, defaults, shapes and checks):

- :func:`psd`: the cross-channel power spectral density ``sum_t m(f,t) y(f,t) y(f,t)^H``;
- :func:`mvdr_weights_souden`: ``w = (Phi_NN^-1 Phi_SS / tr(Phi_NN^-1 Phi_SS)) u``
  (Souden et al., 2009);
- :func:`mvdr_weights_rtf`: ``w = Phi_NN^-1 v / (v^H Phi_NN^-1 v)``;
- :func:`rtf_evd` (principal eigenvector) and :func:`rtf_power` (power iteration);
- :func:`apply_beamforming`: ``S(f, t) = w(f)^H Y(f, t)``.

Everything is composed from differentiable Ember ops on complex tensors (``einsum``,
``linalg.solve``, ``linalg.eigh``), so gradients flow through the weights to the PSDs.
"""

from __future__ import annotations

import ember
from ember import Tensor

__all__ = [
    "apply_beamforming", "mvdr_weights_rtf", "mvdr_weights_souden", "psd", "rtf_evd",
    "rtf_power",
]


def psd(specgram: Tensor, mask: Tensor | None = None, normalize: bool = True,
        eps: float = 1e-10) -> Tensor:
    """Cross-channel power spectral density (PSD) matrices of a multi-channel spectrum.

    ``psd[..., f, c, e] = sum_t m[..., f, t] * y[..., c, f, t] * conj(y[..., e, f, t])`` with
    ``m`` the mask (all ones when ``mask`` is None), normalised to sum to 1 over time when
    ``normalize``.

    Args:
        specgram: complex ``(..., channel, freq, time)``.
        mask: real time-frequency mask ``(..., freq, time)`` or None.
        normalize: divide the mask by its sum over time (plus ``eps``).
        eps: added to that sum (1e-10, torchaudio's default).

    Returns:
        complex ``(..., freq, channel, channel)``, Hermitian in the last two dimensions.

    Example:
        >>> spec = ember.randn(4, 257, 100, dtype=ember.cfloat)
        >>> psd(spec).shape
        ember.Size([257, 4, 4])
    """
    if specgram.ndim < 3:
        raise ValueError(f"psd: expected specgram of shape (..., channel, freq, time), got "
                         f"{tuple(specgram.shape)}")
    specgram = specgram.transpose(-3, -2)  # (..., freq, channel, time)
    if mask is None:
        # Summing the outer products over time is one batched matmul: Y Y^H.
        return specgram @ specgram.conj().transpose(-1, -2)
    if tuple(mask.shape[:-1]) != tuple(specgram.shape[:-2]) or mask.shape[-1] != specgram.shape[-1]:
        raise ValueError(f"psd: the dimensions of mask except the channel dimension should be "
                         f"the same as specgram. Found {tuple(mask.shape)} for mask and "
                         f"{tuple(specgram.transpose(-3, -2).shape)} for specgram; pass a mask "
                         f"of shape (..., freq, time)")
    if normalize:
        mask = mask / (mask.sum(dim=-1, keepdim=True) + eps)
    # sum_t m_t y_t y_t^H = (Y * m) Y^H: the mask weights the time columns of one factor.
    weighted = specgram * mask[..., None, :].to(specgram.dtype)
    return weighted @ specgram.conj().transpose(-1, -2)


def _compute_mat_trace(input: Tensor, dim1: int = -1, dim2: int = -2) -> Tensor:
    """The trace over ``dim1`` / ``dim2`` (torchaudio's helper)."""
    return ember.diagonal(input, 0, dim1, dim2).sum(dim=-1)


def _tik_reg(mat: Tensor, reg: float = 1e-7, eps: float = 1e-8) -> Tensor:
    """Tikhonov regularisation: ``mat + (reg * tr(mat).real + eps) I``, so an all-zero or
    ill-conditioned noise PSD stays invertible."""
    channels = mat.shape[-1]
    eye = ember.eye(channels, dtype=mat.dtype, device=mat.device)
    epsilon = _compute_mat_trace(mat).real[..., None, None] * reg + eps
    return mat + epsilon.to(mat.dtype) * eye


def _assert_psd_matrices(psd_s: Tensor, psd_n: Tensor, op: str) -> None:
    if psd_s.ndim < 3 or psd_n.ndim < 3:
        raise ValueError(f"{op}: expected at least 3D Tensor (..., freq, channel, channel) for "
                         f"psd_s and psd_n. Found {tuple(psd_s.shape)} for psd_s and "
                         f"{tuple(psd_n.shape)} for psd_n.")
    if not (psd_s.is_complex() and psd_n.is_complex()):
        raise TypeError(f"{op}: the type of psd_s and psd_n must be ember.cfloat or "
                        f"ember.cdouble. Found {psd_s.dtype} for psd_s and {psd_n.dtype} for "
                        f"psd_n; build them with psd() from a complex spectrogram")
    if tuple(psd_s.shape) != tuple(psd_n.shape):
        raise ValueError(f"{op}: the dimensions of psd_s and psd_n should be the same. Found "
                         f"{tuple(psd_s.shape)} and {tuple(psd_n.shape)}.")
    if psd_s.shape[-1] != psd_s.shape[-2]:
        raise ValueError(f"{op}: the last two dimensions of psd_s should be the same. Found "
                         f"{tuple(psd_s.shape)}.")


def _select_reference(mat: Tensor, reference_channel, dtype, op: str) -> Tensor:
    """Column ``reference_channel`` of ``mat`` ``(..., F, C, C)``, or its product with a
    one-hot ``(..., C)`` Tensor (torchaudio accepts both)."""
    if isinstance(reference_channel, bool) or not isinstance(reference_channel, (int, Tensor)):
        raise TypeError(f'{op}: expected "int" or "Tensor" for reference_channel. Found: '
                        f"{type(reference_channel)}.")
    if isinstance(reference_channel, int):
        return mat[..., :, reference_channel]
    ref = reference_channel.to(dtype)
    return (mat * ref[..., None, None, :]).sum(-1)


def mvdr_weights_souden(psd_s: Tensor, psd_n: Tensor, reference_channel: int | Tensor,
                        diagonal_loading: bool = True, diag_eps: float = 1e-7,
                        eps: float = 1e-8) -> Tensor:
    """MVDR beamforming weights by Souden et al.'s formula
    ``w(f) = Phi_NN(f)^-1 Phi_SS(f) u / (tr(Phi_NN(f)^-1 Phi_SS(f)) + eps)``.

    Args:
        psd_s: complex PSD of the target speech ``(..., freq, channel, channel)``.
        psd_n: complex PSD of the noise, the same shape.
        reference_channel: channel index, or a one-hot ``(..., channel)`` Tensor.
        diagonal_loading: regularise ``psd_n`` (:func:`_tik_reg`) before inverting it.
        diag_eps: the loading factor (relative to the trace).
        eps: added to the trace in the denominator.

    Returns:
        complex weights ``(..., freq, channel)``.
    """
    _assert_psd_matrices(psd_s, psd_n, "mvdr_weights_souden")
    if diagonal_loading:
        psd_n = _tik_reg(psd_n, reg=diag_eps)
    numerator = ember.linalg.solve(psd_n, psd_s)  # Phi_NN^-1 Phi_SS without forming the inverse
    ws = numerator / (_compute_mat_trace(numerator)[..., None, None] + eps)
    return _select_reference(ws, reference_channel, psd_n.dtype, "mvdr_weights_souden")


def mvdr_weights_rtf(rtf: Tensor, psd_n: Tensor, reference_channel: int | Tensor | None = None,
                     diagonal_loading: bool = True, diag_eps: float = 1e-7,
                     eps: float = 1e-8) -> Tensor:
    """MVDR beamforming weights from the relative transfer function (steering vector) ``v``:
    ``w(f) = Phi_NN^-1 v / (Re(v^H Phi_NN^-1 v) + eps)``, scaled by ``conj(v_ref)`` when a
    reference channel is given (the output then estimates the speech at that microphone).

    Args:
        rtf: complex ``(..., freq, channel)``.
        psd_n: complex noise PSD ``(..., freq, channel, channel)``.
        reference_channel: None, a channel index or a one-hot ``(..., channel)`` Tensor.
        diagonal_loading, diag_eps, eps: as :func:`mvdr_weights_souden`.

    Returns:
        complex weights ``(..., freq, channel)``.
    """
    op = "mvdr_weights_rtf"
    if rtf.ndim < 2:
        raise ValueError(f"{op}: expected at least 2D Tensor (..., freq, channel) for rtf. "
                         f"Found {tuple(rtf.shape)}.")
    if psd_n.ndim < 3:
        raise ValueError(f"{op}: expected at least 3D Tensor (..., freq, channel, channel) for "
                         f"psd_n. Found {tuple(psd_n.shape)}.")
    if not (rtf.is_complex() and psd_n.is_complex()):
        raise TypeError(f"{op}: the type of rtf and psd_n must be ember.cfloat or ember.cdouble."
                        f" Found {rtf.dtype} for rtf and {psd_n.dtype} for psd_n.")
    if tuple(rtf.shape) != tuple(psd_n.shape[:-1]):
        raise ValueError(f"{op}: the dimensions of rtf and the dimensions without the last "
                         f"dimension of psd_n should be the same. Found {tuple(rtf.shape)} for "
                         f"rtf and {tuple(psd_n.shape)} for psd_n.")
    if psd_n.shape[-1] != psd_n.shape[-2]:
        raise ValueError(f"{op}: the last two dimensions of psd_n should be the same. Found "
                         f"{tuple(psd_n.shape)}.")
    if diagonal_loading:
        psd_n = _tik_reg(psd_n, reg=diag_eps)
    numerator = ember.linalg.solve(psd_n, rtf.unsqueeze(-1)).squeeze(-1)
    denominator = (rtf.conj() * numerator).sum(-1)  # v^H Phi^-1 v, real for Hermitian Phi
    weights = numerator / (denominator.real.unsqueeze(-1) + eps).to(numerator.dtype)
    if reference_channel is not None:
        if isinstance(reference_channel, bool) or not isinstance(reference_channel,
                                                                 (int, Tensor)):
            raise TypeError(f'{op}: expected "int" or "Tensor" for reference_channel. Found: '
                            f"{type(reference_channel)}.")
        if isinstance(reference_channel, int):
            scale = rtf[..., reference_channel].conj()
        else:
            ref = reference_channel.to(psd_n.dtype)
            scale = (rtf.conj() * ref[..., None, :]).sum(-1)
        weights = weights * scale[..., None]
    return weights


def rtf_evd(psd_s: Tensor) -> Tensor:
    """The relative transfer function as the principal eigenvector of ``psd_s`` (the
    eigenvector of the largest eigenvalue, from ``linalg.eigh``).

    Args:
        psd_s: complex ``(..., freq, channel, channel)``, Hermitian.

    Returns:
        complex ``(..., freq, channel)``, unit norm (defined up to a phase).
    """
    if not psd_s.is_complex():
        raise TypeError(f"rtf_evd: the type of psd_s must be ember.cfloat or ember.cdouble. "
                        f"Found {psd_s.dtype}.")
    if psd_s.ndim < 2 or psd_s.shape[-1] != psd_s.shape[-2]:
        raise ValueError(f"rtf_evd: the last two dimensions of psd_s should be the same. Found "
                         f"{tuple(psd_s.shape)}.")
    _, vectors = ember.linalg.eigh(psd_s)  # ascending eigenvalues: the last is the largest
    return vectors[..., -1]


def rtf_power(psd_s: Tensor, psd_n: Tensor, reference_channel: int | Tensor, n_iter: int = 3,
              diagonal_loading: bool = True, diag_eps: float = 1e-7) -> Tensor:
    """The relative transfer function by the power method on ``Phi_NN^-1 Phi_SS``: start from
    its reference column, multiply by it ``n_iter - 2`` times, then by ``psd_s`` (torchaudio
    counts the first solve and the final product as iterations; with ``n_iter = 1`` the
    result is ``psd_n @ phi u``).

    Args:
        psd_s, psd_n: complex ``(..., freq, channel, channel)``.
        reference_channel: channel index or one-hot ``(..., channel)`` Tensor.
        n_iter: iterations (>= 1; 3).
        diagonal_loading, diag_eps: as :func:`mvdr_weights_souden`.

    Returns:
        complex ``(..., freq, channel)``.
    """
    _assert_psd_matrices(psd_s, psd_n, "rtf_power")
    if n_iter <= 0:
        raise ValueError(f"rtf_power: the number of iteration must be greater than 0, got "
                         f"n_iter={n_iter}.")
    if diagonal_loading:
        psd_n = _tik_reg(psd_n, reg=diag_eps)
    phi = ember.linalg.solve(psd_n, psd_s)
    rtf = _select_reference(phi, reference_channel, psd_n.dtype, "rtf_power").unsqueeze(-1)
    if n_iter >= 2:
        for _ in range(n_iter - 2):  # over iterations, not data
            rtf = phi @ rtf
        rtf = psd_s @ rtf
    else:
        rtf = psd_n @ rtf
    return rtf.squeeze(-1)


def apply_beamforming(beamform_weights: Tensor, specgram: Tensor) -> Tensor:
    """The enhanced single-channel spectrum ``S(f, t) = w(f)^H Y(f, t)``.

    Args:
        beamform_weights: complex ``(..., freq, channel)``.
        specgram: complex multi-channel spectrum ``(..., channel, freq, time)``.

    Returns:
        complex ``(..., freq, time)``.
    """
    if tuple(beamform_weights.shape[:-2]) != tuple(specgram.shape[:-3]):
        raise ValueError(f"apply_beamforming: the dimensions except the last two dimensions of "
                         f"beamform_weights should be the same as the dimensions except the "
                         f"last three dimensions of specgram. Found "
                         f"{tuple(beamform_weights.shape)} for beamform_weights and "
                         f"{tuple(specgram.shape)} for specgram.")
    if not (beamform_weights.is_complex() and specgram.is_complex()):
        raise TypeError(f"apply_beamforming: the type of beamform_weights and specgram must be "
                        f"ember.cfloat or ember.cdouble. Found {beamform_weights.dtype} for "
                        f"beamform_weights and {specgram.dtype} for specgram.")
    # sum_c conj(w[f, c]) Y[c, f, t]: broadcast the weights over time, reduce the channels.
    weights = beamform_weights.conj().transpose(-1, -2)[..., None]  # (..., C, F, 1)
    return (weights * specgram).sum(-3)
