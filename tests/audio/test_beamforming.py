"""Beamforming (torchaudio's psd / MVDR family) against NumPy complex linear algebra."""

import numpy as np
import pytest

import ember
from emberaudio.functional._beamforming import (
    apply_beamforming,
    mvdr_weights_rtf,
    mvdr_weights_souden,
    psd,
    rtf_evd,
    rtf_power,
)
from emberaudio.transforms._beamforming import MVDR, PSD, RTFMVDR, SoudenMVDR

C, F, T = 3, 4, 6


def _spec(rng, *lead):
    return rng.standard_normal((*lead, C, F, T)) + 1j * rng.standard_normal((*lead, C, F, T))


def _np_psd(y, mask=None, normalize=True, eps=1e-10):
    y = np.swapaxes(y, -3, -2)  # (..., F, C, T)
    outer = np.einsum("...ct,...et->...tce", y, y.conj())
    if mask is not None:
        if normalize:
            mask = mask / (mask.sum(-1, keepdims=True) + eps)
        outer = outer * mask[..., None, None]
    return outer.sum(-3)


def _np_tik(m, reg=1e-7, eps=1e-8):
    tr = np.trace(m, axis1=-1, axis2=-2).real
    return m + (tr * reg + eps)[..., None, None] * np.eye(m.shape[-1])


def _psds(rng, *lead):
    y = _spec(rng, *lead)
    mask = rng.random((*lead, F, T))
    return y, _np_psd(y, mask), _np_psd(y, 1 - mask)


def test_psd_matches_outer_product_sum():
    rng = np.random.default_rng(0)
    y = _spec(rng, 2)
    mask = rng.random((2, F, T))
    for m, norm in [(None, True), (mask, True), (mask, False)]:
        got = psd(ember.tensor(y), None if m is None else ember.tensor(m), normalize=norm)
        assert tuple(got.shape) == (2, F, C, C)
        np.testing.assert_allclose(got.numpy(), _np_psd(y, m, norm), rtol=1e-10, atol=1e-12)
    # Hermitian, positive semi-definite
    p = psd(ember.tensor(y)).numpy()
    np.testing.assert_allclose(p, np.conj(np.swapaxes(p, -1, -2)), atol=1e-12)
    assert np.linalg.eigvalsh(p).min() > -1e-10


def test_psd_mask_shape_error():
    y = ember.tensor(_spec(np.random.default_rng(1)))
    with pytest.raises(ValueError, match="psd: the dimensions of mask"):
        psd(y, ember.ones(F, T + 1))


def test_mvdr_souden_matches_numpy_formula():
    rng = np.random.default_rng(2)
    _, ps, pn = _psds(rng, 2)
    num = np.linalg.solve(_np_tik(pn), ps)
    ws = num / (np.trace(num, axis1=-1, axis2=-2)[..., None, None] + 1e-8)
    got = mvdr_weights_souden(ember.tensor(ps), ember.tensor(pn), 1)
    np.testing.assert_allclose(got.numpy(), ws[..., :, 1], rtol=1e-8)
    onehot = ember.tensor(np.eye(C)[[2, 2]])  # (2, C) one-hot per batch element
    got = mvdr_weights_souden(ember.tensor(ps), ember.tensor(pn), onehot)
    np.testing.assert_allclose(got.numpy(), ws[..., :, 2], rtol=1e-8)
    # without loading: the plain inverse
    num = np.linalg.inv(pn) @ ps
    ws = num / (np.trace(num, axis1=-1, axis2=-2)[..., None, None] + 1e-8)
    got = mvdr_weights_souden(ember.tensor(ps), ember.tensor(pn), 0, diagonal_loading=False)
    np.testing.assert_allclose(got.numpy(), ws[..., :, 0], rtol=1e-7)


def test_mvdr_rtf_is_distortionless():
    rng = np.random.default_rng(3)
    _, _, pn = _psds(rng)
    v = rng.standard_normal((F, C)) + 1j * rng.standard_normal((F, C))
    w = mvdr_weights_rtf(ember.tensor(v), ember.tensor(pn), diagonal_loading=False,
                         eps=0.0).numpy()
    # w^H v = 1: the target direction passes unchanged.
    np.testing.assert_allclose(np.einsum("fc,fc->f", w.conj(), v), np.ones(F), atol=1e-10)
    num = np.linalg.solve(_np_tik(pn), v[..., None])[..., 0]
    den = np.einsum("fc,fc->f", v.conj(), num).real
    ref = num / (den[:, None] + 1e-8) * v[:, 1:2].conj()
    got = mvdr_weights_rtf(ember.tensor(v), ember.tensor(pn), 1).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-8)
    got = mvdr_weights_rtf(ember.tensor(v), ember.tensor(pn), ember.tensor(np.eye(C)[1])).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_rtf_evd_is_principal_eigenvector():
    rng = np.random.default_rng(4)
    _, ps, _ = _psds(rng)
    got = rtf_evd(ember.tensor(ps)).numpy()
    vals, vecs = np.linalg.eigh(ps)
    ref = vecs[..., -1]
    # eigenvectors are defined up to a phase: compare |<got, ref>| = 1 and the eigen-equation
    np.testing.assert_allclose(np.abs(np.einsum("fc,fc->f", got.conj(), ref)), 1, atol=1e-8)
    np.testing.assert_allclose(ps @ got[..., None], vals[..., -1:, None] * got[..., None],
                               atol=1e-8)


@pytest.mark.parametrize("n_iter", [1, 2, 3, 5])
def test_rtf_power_iterations(n_iter):
    rng = np.random.default_rng(5)
    _, ps, pn = _psds(rng)
    pn_l = _np_tik(pn)
    phi = np.linalg.solve(pn_l, ps)
    r = phi[..., :, 0:1]
    if n_iter >= 2:
        for _ in range(n_iter - 2):
            r = phi @ r
        r = ps @ r
    else:
        r = pn_l @ r
    got = rtf_power(ember.tensor(ps), ember.tensor(pn), 0, n_iter=n_iter).numpy()
    np.testing.assert_allclose(got, r[..., 0], rtol=1e-7)


def test_apply_beamforming_and_modules():
    rng = np.random.default_rng(6)
    y, ps, pn = _psds(rng)
    w = rng.standard_normal((F, C)) + 1j * rng.standard_normal((F, C))
    got = apply_beamforming(ember.tensor(w), ember.tensor(y)).numpy()
    np.testing.assert_allclose(got, np.einsum("fc,cft->ft", w.conj(), y), rtol=1e-10)
    ws = mvdr_weights_souden(ember.tensor(ps), ember.tensor(pn), 0)
    out = SoudenMVDR()(ember.tensor(y), ember.tensor(ps), ember.tensor(pn), 0)
    np.testing.assert_allclose(out.numpy(), apply_beamforming(ws, ember.tensor(y)).numpy())
    v = rtf_evd(ember.tensor(ps))
    out = RTFMVDR()(ember.tensor(y), v, ember.tensor(pn), 0)
    ref = apply_beamforming(mvdr_weights_rtf(v, ember.tensor(pn), 0), ember.tensor(y))
    np.testing.assert_allclose(out.numpy(), ref.numpy())


def test_psd_module_multi_mask_averages_channels():
    rng = np.random.default_rng(7)
    y = _spec(rng)
    mask = rng.random((C, F, T))
    got = PSD(multi_mask=True)(ember.tensor(y), ember.tensor(mask)).numpy()
    np.testing.assert_allclose(got, _np_psd(y, mask.mean(0), eps=1e-15), rtol=1e-10)


@pytest.mark.parametrize("solution", ["ref_channel", "stv_evd", "stv_power"])
def test_mvdr_module_solutions(solution):
    rng = np.random.default_rng(8)
    y = _spec(rng)
    mask = rng.random((F, T))
    ps, pn = _np_psd(y, mask, eps=1e-15), _np_psd(y, 1 - mask, eps=1e-15)
    tps, tpn = ember.tensor(ps), ember.tensor(pn)
    if solution == "ref_channel":
        w = mvdr_weights_souden(tps, tpn, 0)
    else:
        v = rtf_evd(tps) if solution == "stv_evd" else rtf_power(tps, tpn, 0)
        w = mvdr_weights_rtf(v, tpn, 0)
    ref = np.einsum("fc,cft->ft", w.numpy().conj(), y)
    spec = ember.tensor(y.astype(np.complex64))
    out = MVDR(solution=solution)(spec, ember.tensor(mask), ember.tensor(1 - mask))
    assert out.dtype == ember.complex64  # computed in complex128, returned in the input's dtype
    np.testing.assert_allclose(out.numpy(), ref, rtol=2e-4, atol=2e-5)
    with pytest.warns(UserWarning, match="mask_n"):
        MVDR(solution=solution)(spec, ember.tensor(mask))


def test_mvdr_online_accumulates_psd():
    rng = np.random.default_rng(9)
    y1, y2 = _spec(rng), _spec(rng)
    m1, m2 = rng.random((F, T)), rng.random((F, T))
    mod = MVDR(online=True)
    assert sorted(dict(mod.named_buffers())) == ["mask_sum_n", "mask_sum_s", "psd_n", "psd_s"]
    mod(ember.tensor(y1), ember.tensor(m1), ember.tensor(1 - m1))
    mod(ember.tensor(y2), ember.tensor(m2), ember.tensor(1 - m2))
    s1, s2 = m1.sum(-1), m2.sum(-1)
    ps1, ps2 = _np_psd(y1, m1, eps=1e-15), _np_psd(y2, m2, eps=1e-15)
    ref = ps1 * (s1 / (s1 + s2))[:, None, None] + ps2 / (s1 + s2)[:, None, None]
    np.testing.assert_allclose(mod.psd_s.numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(mod.mask_sum_s.numpy(), s1 + s2)


def test_errors():
    rng = np.random.default_rng(10)
    _, ps, pn = _psds(rng)
    with pytest.raises(TypeError, match="mvdr_weights_souden: the type of psd_s"):
        mvdr_weights_souden(ember.tensor(ps.real), ember.tensor(pn.real), 0)
    with pytest.raises(ValueError, match="should be the same"):
        mvdr_weights_souden(ember.tensor(ps), ember.tensor(pn[:2]), 0)
    with pytest.raises(TypeError, match="reference_channel"):
        mvdr_weights_souden(ember.tensor(ps), ember.tensor(pn), 0.5)
    with pytest.raises(ValueError, match="greater than 0"):
        rtf_power(ember.tensor(ps), ember.tensor(pn), 0, n_iter=0)
    with pytest.raises(ValueError, match="`solution` must be one of"):
        MVDR(solution="evd")
    with pytest.raises(ValueError, match="apply_beamforming"):
        apply_beamforming(ember.tensor(ps[..., 0]), ember.tensor(_spec(rng, 2)))


def test_gradcheck_through_souden_and_psd():
    rng = np.random.default_rng(11)
    y = _spec(rng)[:2, :2, :3]  # 2 channels, 2 bins, 3 frames keep the check cheap
    mask = ember.tensor(rng.random((2, 3)) * 0.8 + 0.1, requires_grad=True)
    spec = ember.tensor(y)

    def fn(m):
        ps, pn = psd(spec, m), psd(spec, 1 - m)
        out = apply_beamforming(mvdr_weights_souden(ps, pn, 0), spec)
        return (out * out.conj()).real  # |S|^2, a real function of the mask

    assert ember.autograd.gradcheck(fn, (mask,))
