"""PyTorch's legacy top-level linear algebra (ember.ops.linalg_legacy) against SciPy/NumPy."""

import numpy as np
import pytest
import scipy.linalg as sl

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops import linalg_legacy as L

rng = np.random.default_rng(0)


def t64(a, requires_grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def spd(n, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# --- matrix_exp ------------------------------------------------------------------------------


def test_matrix_exp_matches_scipy_batched_and_large_norm():
    A = rng.standard_normal((3, 4, 4))
    A[1] *= 20  # needs many squarings
    got = L.matrix_exp(t64(A)).numpy()
    want = np.stack([sl.expm(a) for a in A])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # float32 stays float32; exp(0) = I; the Tensor method
    z = ember.zeros(2, 2).matrix_exp()
    assert z.dtype == ember.float32
    np.testing.assert_array_equal(z.numpy(), np.eye(2))


def test_matrix_exp_rotation_literal():
    # exp([[0, -t], [t, 0]]) is the rotation by t
    t = 0.7
    got = L.matrix_exp(t64([[0, -t], [t, 0]])).numpy()
    np.testing.assert_allclose(got, [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], atol=1e-14)


def test_matrix_exp_gradients():
    A = t64(rng.standard_normal((2, 3, 3)) * 0.5, requires_grad=True)
    assert gradcheck(L.matrix_exp, (A,))
    assert gradgradcheck(L.matrix_exp, (A,))


def test_matrix_exp_rejects_non_square_and_int():
    with pytest.raises(RuntimeError, match="square"):
        L.matrix_exp(ember.zeros(2, 3))
    with pytest.raises(RuntimeError, match="int64"):
        L.matrix_exp(ember.zeros(2, 2, dtype=ember.int64))


# --- lu / lu_unpack / lu_solve ---------------------------------------------------------------


def test_lu_matches_scipy_getrf():
    A = rng.standard_normal((3, 5, 5))
    LU, piv = L.lu(t64(A))
    assert piv.dtype == ember.int32 and tuple(piv.shape) == (3, 5)
    for i in range(3):
        lu_s, piv_s = sl.lu_factor(A[i])
        np.testing.assert_allclose(LU.numpy()[i], lu_s, atol=1e-12)
        np.testing.assert_array_equal(piv.numpy()[i], piv_s + 1)


def test_lu_literal_and_infos():
    LU, piv, info = L.lu(t64([[1.0, 2.0], [2.0, 4.0]]), get_infos=True)
    np.testing.assert_allclose(LU.numpy(), [[2.0, 4.0], [0.5, 0.0]])
    assert piv.tolist() == [2, 2] and info.item() == 2 and info.dtype == ember.int32
    assert type(L.lu(ember.zeros(3, 3), get_infos=True)).__name__ == "_lu_with_info"
    assert L.lu(ember.zeros(3, 3), get_infos=True).info.item() == 1
    with pytest.raises(RuntimeError, match="without pivoting"):
        L.lu(ember.eye(2), pivot=False)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
def test_lu_unpack_reconstructs(shape):
    A = rng.standard_normal(shape)
    P, Lo, U = L.lu_unpack(*L.lu(t64(A)))
    m, n = shape[-2:]
    k = min(m, n)
    assert P.shape[-2:] == (m, m) and Lo.shape[-2:] == (m, k) and U.shape[-2:] == (k, n)
    np.testing.assert_allclose((P @ Lo @ U).numpy(), A, atol=1e-12)
    np.testing.assert_array_equal(np.triu(Lo.numpy()[..., :k, :k], 1), 0)
    np.testing.assert_array_equal(np.diagonal(Lo.numpy()[..., :k, :k], axis1=-2, axis2=-1), 1)
    res = L.lu_unpack(*L.lu(t64(A)), unpack_data=False)
    assert res.L.shape == (0,) and res.U.shape == (0,) and res.P.shape[-1] == m


def test_lu_solve_and_gradients():
    A = rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal((2, 4, 2))
    LU, piv = L.lu(t64(A))
    np.testing.assert_allclose(L.lu_solve(t64(b), LU, piv).numpy(), np.linalg.solve(A, b),
                               atol=1e-12)
    At = t64(A, requires_grad=True)
    assert gradcheck(lambda a: L.lu(a)[0], (At,))
    bt = t64(b, requires_grad=True)
    LUt = t64(LU.numpy(), requires_grad=True)
    assert gradcheck(lambda bb, lu: L.lu_solve(bb, lu, piv), (bt, LUt))


# --- triangular / Cholesky -------------------------------------------------------------------


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular_solve_matches_scipy(upper, transpose, unit):
    A = rng.standard_normal((4, 4)) + 3 * np.eye(4)
    b = rng.standard_normal((4, 2))
    res = L.triangular_solve(t64(b), t64(A), upper, transpose, unit)
    want = sl.solve_triangular(A, b, lower=not upper, trans=1 if transpose else 0,
                               unit_diagonal=unit)
    np.testing.assert_allclose(res.solution.numpy(), want, atol=1e-12)
    np.testing.assert_array_equal(res.cloned_coefficient.numpy(), A)  # the whole A, copied
    assert type(res).__name__ == "triangular_solve"


def test_triangular_solve_broadcasts_and_grad():
    A = rng.standard_normal((2, 1, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((5, 3, 2))
    assert L.triangular_solve(t64(b), t64(A)).solution.shape == (2, 5, 3, 2)
    At, bt = t64(A[0, 0], True), t64(b[0], True)
    assert gradcheck(lambda bb, aa: L.triangular_solve(bb, aa, False)[0], (bt, At))
    At.grad = None
    L.triangular_solve(bt, At, upper=True).solution.sum().backward()
    np.testing.assert_array_equal(np.tril(At.grad.numpy(), -1), 0)  # only the triangle read


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse(upper):
    A = spd(4, (2,))
    B = rng.standard_normal((2, 4, 3))
    C = np.linalg.cholesky(A)
    F = np.swapaxes(C, -1, -2) if upper else C
    np.testing.assert_allclose(L.cholesky_solve(t64(B), t64(F), upper).numpy(),
                               np.linalg.solve(A, B), atol=1e-12)
    np.testing.assert_allclose(L.cholesky_inverse(t64(F), upper).numpy(), np.linalg.inv(A),
                               atol=1e-12)
    Ft, Bt = t64(F[0], True), t64(B[0], True)
    assert gradcheck(lambda b, f: L.cholesky_solve(b, f, upper), (Bt, Ft))
    assert gradcheck(lambda f: L.cholesky_inverse(f, upper), (Ft,))


# --- geqrf / orgqr / ormqr -------------------------------------------------------------------


def test_geqrf_orgqr_ormqr_match_lapack_and_qr():
    A = rng.standard_normal((2, 5, 3))
    a, tau = L.geqrf(t64(A))
    for i in range(2):
        (qr_s, tau_s), _ = sl.qr(A[i], mode="raw")
        np.testing.assert_allclose(a.numpy()[i], qr_s, atol=1e-12)
        np.testing.assert_allclose(tau.numpy()[i], tau_s, atol=1e-12)
    Q = L.orgqr(a, tau).numpy()
    R = np.triu(a.numpy()[..., :3, :])
    np.testing.assert_allclose(Q @ R, A, atol=1e-12)
    Qfull = np.stack([sl.qr(A[i])[0] for i in range(2)])  # same reflectors -> same full Q
    C = rng.standard_normal((2, 5, 2))
    np.testing.assert_allclose(L.ormqr(a, tau, t64(C)).numpy(), Qfull @ C, atol=1e-12)
    np.testing.assert_allclose(L.ormqr(a, tau, t64(C), transpose=True).numpy(),
                               np.swapaxes(Qfull, -1, -2) @ C, atol=1e-12)
    D = rng.standard_normal((2, 2, 5))
    np.testing.assert_allclose(L.ormqr(a, tau, t64(D), left=False).numpy(), D @ Qfull,
                               atol=1e-12)
    np.testing.assert_allclose(L.ormqr(a, tau, t64(D), left=False, transpose=True).numpy(),
                               D @ np.swapaxes(Qfull, -1, -2), atol=1e-12)


def test_orgqr_ormqr_gradients():
    a, tau = L.geqrf(t64(rng.standard_normal((4, 3))))
    at, taut = t64(a.numpy(), True), t64(tau.numpy(), True)
    assert gradcheck(L.orgqr, (at, taut))
    C = t64(rng.standard_normal((4, 2)), True)
    assert gradcheck(lambda x, t, c: L.ormqr(x, t, c, transpose=True), (at, taut, C))


# --- low rank ---------------------------------------------------------------------------------


def test_svd_lowrank_recovers_low_rank_matrix():
    ember.manual_seed(0)
    A = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 20))
    for X in (A, A.T):
        U, S, V = L.svd_lowrank(t64(X), q=5, niter=2)
        assert U.shape == (X.shape[0], 5) and S.shape == (5,) and V.shape == (X.shape[1], 5)
        np.testing.assert_allclose(S.numpy()[:3], np.linalg.svd(X, compute_uv=False)[:3],
                                   rtol=1e-10)
        np.testing.assert_allclose((U[:, :3] * S[:3]) @ V[:, :3].mT, X, atol=1e-9)


def test_pca_lowrank_centres():
    ember.manual_seed(1)
    X = rng.standard_normal((40, 2)) @ rng.standard_normal((2, 6)) + 5.0
    _, S, V = L.pca_lowrank(t64(X), q=2)
    Xc = X - X.mean(0)
    s = np.linalg.svd(Xc, compute_uv=False)
    np.testing.assert_allclose(S.numpy(), s[:2], rtol=1e-10)
    with pytest.raises(ValueError, match="not greater than min"):
        L.pca_lowrank(t64(X), q=7)


# --- norms and removed names -----------------------------------------------------------------


def test_nuclear_and_frobenius_norm():
    A = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(L.nuclear_norm(t64(A[0])).item(),
                               np.linalg.svd(A[0], compute_uv=False).sum())
    got = L.nuclear_norm(t64(A), dim=(1, 2), keepdim=True)
    assert got.shape == (2, 1, 1)
    np.testing.assert_allclose(L.frobenius_norm(t64(A), dim=(1, 2)).numpy(),
                               np.sqrt((A**2).sum((1, 2))))
    np.testing.assert_allclose(L.frobenius_norm(t64(A), 0).numpy(), np.sqrt((A**2).sum(0)))


@pytest.mark.parametrize("fn,replacement", [
    (lambda a: L.solve(a, a), "torch.linalg.solve"),
    (lambda a: L.lstsq(a, a), "torch.linalg.lstsq"),
    (lambda a: L.eig(a), "torch.linalg.eig"),
    (lambda a: L.matrix_rank(a), "torch.linalg.matrix_rank"),
    (lambda a: a.solve(a), "torch.linalg.solve"),
])
def test_removed_names_raise_with_replacement(fn, replacement):
    with pytest.raises(RuntimeError, match="removed") as e:
        fn(ember.eye(2))
    assert replacement in str(e.value)
