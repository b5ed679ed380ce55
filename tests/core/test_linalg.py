"""Behaviour of ember.ops.linalg and ember.linalg beyond the op table: matmul's broadcasting
cases (a property test against NumPy), its errors and dtypes (no promotion, bfloat16/float16
computed in float32, integers exact), einsum's equation forms and errors, the addmm family's
beta/alpha rules and in-place forms, and the decompositions' named tuples, LinAlgErrors,
modes, tolerances and gradients at special points."""

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.linalg as LA
from ember.autograd import grad

RNG = np.random.default_rng(0)


def _t(*shape, dtype=ember.float64, requires_grad=False):
    return ember.tensor(RNG.standard_normal(shape), dtype=dtype, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


# ---- matmul: every broadcasting case, against NumPy ---------------------------------------


@st.composite
def _matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=3))

    # each operand keeps a suffix of the batch, with some sizes replaced by 1 (broadcast)
    def operand_batch():
        cut = draw(st.integers(0, len(batch)))
        return [1 if draw(st.booleans()) else b for b in batch[cut:]]

    left = [k] if draw(st.integers(0, 4)) == 0 else operand_batch() + [n, k]
    right = [k] if draw(st.integers(0, 4)) == 0 else operand_batch() + [k, m]
    return tuple(left), tuple(right)


def _sum_to(x, shape):
    """Sum a broadcast gradient back to ``shape`` (NumPy reference for unbroadcasting)."""
    x = x.sum(axis=tuple(range(x.ndim - len(shape))))
    axes = tuple(i for i, (n, m) in enumerate(zip(shape, x.shape)) if n == 1 and m != 1)
    return x.sum(axis=axes, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(_matmul_shapes())
def test_matmul_matches_numpy_and_gradients(shapes):
    sa, sb = shapes
    a, b = _t(*sa, requires_grad=True), _t(*sb, requires_grad=True)
    out = ember.matmul(a, b)
    expected = np.matmul(_np(a), _np(b))
    assert out.shape == expected.shape
    np.testing.assert_allclose(_np(out), expected, rtol=1e-12, atol=1e-12)
    g = RNG.standard_normal(expected.shape)
    ga, gb = grad(out, [a, b], ember.tensor(g))
    # d<g, a @ b>: promote 1-D operands as matmul does, multiply, sum the broadcast dims
    a2 = _np(a)[None] if a.ndim == 1 else _np(a)
    b2 = _np(b)[:, None] if b.ndim == 1 else _np(b)
    g2 = g.reshape(np.matmul(a2, b2).shape)
    ref_a = _sum_to(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(sa)
    ref_b = _sum_to(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(sb)
    np.testing.assert_allclose(_np(ga), ref_a, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(gb), ref_b, rtol=1e-10, atol=1e-12)


def test_matmul_shared_weight_gradient_is_one_gemm_over_the_batch():
    x, w = _t(4, 5, 3, requires_grad=True), _t(3, 2, requires_grad=True)
    g = RNG.standard_normal((4, 5, 2))
    gx, gw = grad(x @ w, [x, w], ember.tensor(g))
    np.testing.assert_allclose(_np(gw), np.einsum("btk,btp->kp", _np(x), g), rtol=1e-12)
    np.testing.assert_allclose(_np(gx), g @ _np(w).T, rtol=1e-12)


def test_matmul_one_dimensional_cases():
    v, m = ember.tensor([1.0, 2.0, 3.0]), ember.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert (v @ v).shape == () and (v @ v).item() == 14.0
    assert (v @ m).tolist() == [4.0, 5.0]
    assert (m.T @ v).tolist() == [4.0, 5.0]
    batch = ember.ones(2, 3, 4)
    assert ember.matmul(v, batch).shape == (2, 4)
    assert ember.matmul(batch, ember.ones(4)).shape == (2, 3)


def test_matmul_errors_name_the_op_shapes_and_dtypes():
    with pytest.raises(
        RuntimeError,
        match=r"^matmul: shapes \(2, 3\) and \(4, 5\) cannot be "
        r"multiplied",
    ):
        ember.matmul(ember.ones(2, 3), ember.ones(4, 5))
    with pytest.raises(
        RuntimeError,
        match=r"expected m1 and m2 to have the same dtype, but "
        r"got: ember.float32 != ember.float64",
    ):
        ember.ones(2, 3) @ ember.ones(3, 2, dtype=ember.float64)
    with pytest.raises(RuntimeError, match=r"same dtype.*ember.int64 != ember.float32"):
        ember.mm(ember.ones(2, 3, dtype=ember.int64), ember.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"at least 1-D, but they are 0-D and 1-D"):
        ember.matmul(ember.tensor(2.0), ember.ones(3))
    with pytest.raises(NotImplementedError, match=r"bool"):
        ember.matmul(ember.ones(2, 2, dtype=ember.bool), ember.ones(2, 2, dtype=ember.bool))
    with pytest.raises(TypeError):
        ember.ones(2, 2) @ 2
    with pytest.raises(TypeError, match=r"matmul\(\): argument 'other' must be a Tensor"):
        ember.matmul(ember.ones(2, 2), [[1.0]])


def test_fixed_rank_products_check_ranks_and_sizes():
    with pytest.raises(RuntimeError, match=r"mm: mat2 must be a matrix \(2-D\), but got a 1-D"):
        ember.mm(ember.ones(2, 3), ember.ones(3))
    with pytest.raises(RuntimeError, match=r"mm: shapes \(2, 3\) and \(4, 2\) cannot be"):
        ember.mm(ember.ones(2, 3), ember.ones(4, 2))
    with pytest.raises(RuntimeError, match=r"bmm: input must be a batch of matrices \(3-D\)"):
        ember.bmm(ember.ones(2, 3), ember.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"bmm: batch sizes differ"):
        ember.bmm(ember.ones(2, 2, 3), ember.ones(3, 3, 4))
    with pytest.raises(RuntimeError, match=r"mv: shapes \(2, 3\) and \(4,\) cannot be"):
        ember.mv(ember.ones(2, 3), ember.ones(4))
    with pytest.raises(RuntimeError, match=r"dot: expected vectors of the same length"):
        ember.dot(ember.ones(3), ember.ones(4))
    with pytest.raises(RuntimeError, match=r"inner: the last dimension must match"):
        ember.inner(ember.ones(3, 2), ember.ones(4, 3))
    with pytest.raises(RuntimeError, match=r"outer: input must be 1-D"):
        ember.outer(ember.ones(3, 1), ember.ones(4))


def test_low_precision_matmul_rounds_a_float32_product_once():
    a32 = RNG.standard_normal((4, 8)).astype(np.float32)
    b32 = RNG.standard_normal((8, 3)).astype(np.float32)
    for dtype, np_dtype in ((ember.bfloat16, ml_dtypes.bfloat16), (ember.float16, np.float16)):
        a, b = ember.tensor(a32).to(dtype), ember.tensor(b32).to(dtype)
        out = a @ b
        assert out.dtype == dtype
        exact = a32.astype(np_dtype).astype(np.float32) @ b32.astype(np_dtype).astype(np.float32)
        rounded = exact.astype(np_dtype).astype(np.float32)
        np.testing.assert_array_equal(out.float().numpy(), rounded)
        assert ember.einsum("ij,jk->ik", a, b).dtype == dtype


def test_integer_matmul_is_exact():
    big = 3_000_000_001  # products beyond float64's 53-bit mantissa
    a = ember.tensor([[big, 1], [2, big]])
    b = ember.tensor([[big], [1]])
    out = a @ b
    assert out.dtype == ember.int64
    assert out.tolist() == [[big * big + 1], [2 * big + big]]


def test_reflected_matmul_and_out():
    a, b = _t(2, 3), _t(3, 4)
    np.testing.assert_allclose(_np(b.__rmatmul__(a)), _np(a) @ _np(b))
    assert b.__rmatmul__(np.ones((2, 3))) is NotImplemented
    out = ember.empty(2, 4, dtype=ember.float64)
    result = ember.matmul(a, b, out=out)
    assert result is out
    np.testing.assert_allclose(_np(out), _np(a) @ _np(b))


# ---- dtype promotion where PyTorch promotes ------------------------------------------------


def test_outer_and_kron_promote_like_multiplication():
    f32, f64 = ember.ones(2), ember.ones(3, dtype=ember.float64)
    assert ember.outer(f32, f64).dtype == ember.float64
    assert ember.kron(f32, ember.ones(2, dtype=ember.int64)).dtype == ember.float32
    assert ember.kron(ember.ones(2, 2, dtype=ember.int64), ember.ones(2)).shape == (2, 4)
    with pytest.raises(RuntimeError, match=r"tensordot: expected m1 and m2 to have the same"):
        ember.tensordot(f32, ember.ones(2, dtype=ember.float64), 1)


def test_trace_of_integers_is_int64_and_rectangular_trace():
    assert ember.trace(ember.ones(3, 3, dtype=ember.int32)).dtype == ember.int64
    m = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert ember.trace(m).item() == 6.0
    with pytest.raises(RuntimeError, match=r"trace: input must be a matrix"):
        ember.trace(ember.ones(2, 2, 2))


# ---- einsum ----------------------------------------------------------------------------------


def test_einsum_implicit_output_is_alphabetical_uppercase_first():
    x = ember.ones(2, 3)
    assert ember.einsum("ba", x).shape == (3, 2)
    assert ember.einsum("Ba", x).shape == (2, 3)  # 'B' sorts before 'a'
    assert ember.einsum("...a", ember.ones(2, 3, 4)).shape == (2, 3, 4)
    assert ember.einsum("a...", ember.ones(2, 3, 4)).shape == (3, 4, 2)
    assert ember.einsum("i j -> j", x).shape == (3,)  # spaces are ignored


def test_einsum_operands_as_list_and_ellipsis_broadcast():
    a, b = _t(2, 1, 3, 4), _t(5, 4, 2)
    out = ember.einsum("...ij,...jk->...ik", [a, b])
    np.testing.assert_allclose(_np(out), np.einsum("...ij,...jk->...ik", _np(a), _np(b)))


def test_einsum_gradient_of_trace_and_diagonal():
    a = _t(3, 3, requires_grad=True)
    (g,) = grad(ember.einsum("ii", a), [a])
    np.testing.assert_array_equal(_np(g), np.eye(3))
    (g,) = grad(ember.einsum("ii->i", a), [a], ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64))
    np.testing.assert_array_equal(_np(g), np.diag([1.0, 2.0, 3.0]))


def test_einsum_result_has_its_own_memory():
    a = _t(3, 4)
    t = ember.einsum("ij->ji", a)
    assert not np.shares_memory(_np(t), _np(a))


@pytest.mark.parametrize(
    "equation, shapes, error, match",
    [
        ("ij,jk", [(2, 3)], ValueError, r"fewer operands were provided"),
        ("i0", [(2, 3)], ValueError, r"invalid subscript given at index 1"),
        ("ij->iij", [(2, 3)], ValueError, r"output subscript i appears more than once"),
        ("ij->k", [(2, 3)], ValueError, r"output subscript k does not appear"),
        ("ijk", [(2, 3)], ValueError, r"the number of subscripts in the equation \(3\) does not"),
        ("ii->i", [(2, 3)], RuntimeError, r"subscript i is repeated for operand 0 but the sizes"),
        ("i,i", [(2,), (3,)], RuntimeError, r"subscript i has size 3 for operand 1 which does"),
    ],
)
def test_einsum_errors(equation, shapes, error, match):
    with pytest.raises(error, match=match):
        ember.einsum(equation, *[ember.ones(*s) for s in shapes])


def test_einsum_mixed_dtypes_are_refused():
    with pytest.raises(RuntimeError, match=r"einsum: expected m1 and m2 to have the same dtype"):
        ember.einsum("ij,jk", ember.ones(2, 3), ember.ones(3, 2, dtype=ember.float64))


# ---- tensordot, cross, chains ------------------------------------------------------------------


def test_tensordot_dims_forms_and_errors():
    a, b = _t(2, 3, 4), _t(3, 4, 5)
    ref = np.tensordot(_np(a), _np(b), 2)
    for dims in (2, ([1, 2], [0, 1]), ember.tensor(2), ([-2, -1], [0, 1])):
        np.testing.assert_allclose(_np(ember.tensordot(a, b, dims)), ref)
    with pytest.raises(RuntimeError, match=r"tensordot expects dims >= 0"):
        ember.tensordot(a, b, -1)
    with pytest.raises(RuntimeError, match=r"both dimension lists should have same length"):
        ember.tensordot(a, b, ([1], [0, 1]))
    with pytest.raises(
        RuntimeError,
        match=r"contracted dimensions need to match, but first has "
        r"size 3 in dim 1 and second has size 4 in dim 1",
    ):
        ember.tensordot(a, b, ([1], [1]))


def test_cross_default_dim_is_the_first_of_size_3():
    a, b = _t(3, 4), _t(3, 4)
    np.testing.assert_allclose(_np(ember.cross(a, b)), np.cross(_np(a), _np(b), axis=0))
    with pytest.raises(RuntimeError, match=r"no dimension of size 3"):
        ember.cross(ember.ones(2, 4), ember.ones(2, 4))
    with pytest.raises(RuntimeError, match=r"same number of dimensions"):
        LA.cross(ember.ones(3), ember.ones(2, 3))


def test_multi_dot_multiplies_in_the_cheapest_order():
    from ember.ops.linalg import _chain_order

    # (10x100)(100x5)(5x50): (AB)C costs 7500 multiplications, A(BC) 75000
    assert _chain_order([(10, 100), (100, 5), (5, 50)])[0][2] == 1
    assert _chain_order([(50, 5), (5, 100), (100, 10)])[0][2] == 0
    with pytest.raises(RuntimeError, match=r"expected at least 2 tensors but got 1"):
        LA.multi_dot([ember.ones(2, 2)])
    with pytest.raises(RuntimeError, match=r"the first tensor must be 1D or 2D but got 3D"):
        LA.multi_dot([ember.ones(2, 2, 2), ember.ones(2, 2)])


# ---- addmm family ------------------------------------------------------------------------------


def test_addmm_with_beta_zero_ignores_nan_input():
    nan = ember.full((2, 2), float("nan"))
    out = ember.addmm(nan, ember.eye(2), ember.ones(2, 2), beta=0)
    assert out.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(
        RuntimeError,
        match=r"addmm: input of shape \(4,\) cannot be broadcast "
        r"to the product's shape \(2, 3\)",
    ):
        ember.addmm(ember.ones(4), ember.ones(2, 2), ember.ones(2, 3))


def test_inplace_addmm_family_writes_into_self():
    x = ember.ones(2, 2)
    version = x._version
    assert x.addmm_(ember.eye(2), ember.ones(2, 2), beta=2, alpha=3) is x
    assert x._version == version + 1
    assert x.tolist() == [[5.0, 5.0], [5.0, 5.0]]
    v = ember.ones(2)
    v.addmv_(ember.eye(2), ember.tensor([1.0, 2.0]), alpha=2)
    assert v.tolist() == [3.0, 5.0]
    m = ember.zeros(2, 2)
    m.addr_(ember.ones(2), ember.tensor([1.0, 2.0]))
    assert m.tolist() == [[1.0, 2.0], [1.0, 2.0]]
    bm = ember.ones(3, 2, 2)
    bm.baddbmm_(ember.ones(3, 2, 1), ember.ones(3, 1, 2), beta=0.5)
    assert (bm == 1.5).all()


# ---- ember.linalg: results, errors, modes ------------------------------------------------------


def test_named_tuples():
    a = _t(3, 3)
    sign, logabsdet = LA.slogdet(a)
    assert LA.slogdet(a).sign is not None and LA.slogdet(a).logabsdet is not None
    assert float(sign) * math.exp(float(logabsdet)) == pytest.approx(np.linalg.det(_np(a)))
    assert set(LA.qr(a)._fields) == {"Q", "R"}
    assert LA.svd(a)._fields == ("U", "S", "Vh")
    assert LA.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert LA.lstsq(a, a)._fields == ("solution", "residuals", "rank", "singular_values")


def test_singular_and_indefinite_matrices_raise_linalg_error():
    assert issubclass(LA.LinAlgError, RuntimeError)
    with pytest.raises(LA.LinAlgError, match=r"linalg.inv"):
        LA.inv(ember.zeros(3, 3))
    with pytest.raises(LA.LinAlgError, match=r"linalg.solve"):
        LA.solve(ember.zeros(2, 2), ember.ones(2))
    with pytest.raises(LA.LinAlgError, match=r"linalg.cholesky: .* not positive-definite"):
        LA.cholesky(-ember.eye(3))
    assert LA.slogdet(ember.zeros(2, 2)).logabsdet.item() == -math.inf
    assert math.isnan(ember.logdet(-ember.eye(3)).item())


def test_decompositions_refuse_half_precision_and_integers():
    with pytest.raises(NotImplementedError, match=r"linalg.det: ember.float16 is not supported"):
        LA.det(ember.eye(2).half())
    with pytest.raises(RuntimeError, match=r"linalg.inv: Expected a floating point"):
        LA.inv(ember.ones(2, 2, dtype=ember.int64))
    with pytest.raises(RuntimeError, match=r"at least 2 dimensions"):
        LA.inv(ember.ones(3))


def test_solve_vector_rule_and_errors():
    A = _t(2, 3, 3) + ember.eye(3, dtype=ember.float64) * 3
    assert LA.solve(A, _t(3)).shape == (2, 3)  # 1-D: a vector, broadcast over A's batch
    assert LA.solve(A, _t(2, 3)).shape == (2, 3)  # A.shape[:-1]: a batch of vectors
    assert LA.solve(A, _t(3, 4)).shape == (2, 3, 4)  # a matrix
    assert LA.solve(A, _t(5, 1, 3, 4)).shape == (5, 2, 3, 4)
    with pytest.raises(RuntimeError, match=r"Expected A and B to have the same dtype"):
        LA.solve(ember.eye(2), ember.ones(2, dtype=ember.float64))


def test_qr_modes_and_their_gradients():
    a = _t(4, 3, requires_grad=True)
    q, r = LA.qr(a, mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 3)
    np.testing.assert_allclose(_np(q @ r), _np(a), atol=1e-12)
    with pytest.raises(RuntimeError, match=r"not differentiable when mode='complete'"):
        grad(q.sum(), [a])
    q, r = LA.qr(a, mode="r")
    assert q.shape == (0,) and r.shape == (3, 3)
    with pytest.raises(RuntimeError, match=r"not computed when mode='r'"):
        grad(r.sum(), [a])
    with pytest.raises(RuntimeError, match=r"unrecognized mode 'x'"):
        LA.qr(a, mode="x")


def test_svd_shapes_and_top_level_svd_returns_v():
    a = _t(4, 3)
    assert [t.shape for t in LA.svd(a)] == [(4, 4), (3,), (3, 3)]
    assert [t.shape for t in LA.svd(a, full_matrices=False)] == [(4, 3), (3,), (3, 3)]
    u, s, v = ember.svd(a)
    np.testing.assert_allclose(_np((u * s) @ v.mT), _np(a), atol=1e-12)
    u, s, v = ember.svd(a, compute_uv=False)
    assert u.shape == (4, 3) and not _np(u).any() and not _np(v).any()
    np.testing.assert_allclose(_np(s), np.linalg.svd(_np(a), compute_uv=False))


def test_eigh_reads_only_the_named_triangle():
    a = _t(3, 3)
    lower, upper = np.tril(_np(a)), np.triu(_np(a))
    expected_l = np.linalg.eigvalsh(lower + np.tril(lower, -1).T)
    expected_u = np.linalg.eigvalsh(upper + np.triu(upper, 1).T)
    np.testing.assert_allclose(_np(LA.eigvalsh(a)), expected_l)
    np.testing.assert_allclose(_np(LA.eigh(a, UPLO="U").eigenvalues), expected_u)
    with pytest.raises(RuntimeError, match=r"Expected UPLO argument to be 'L' or 'U'"):
        LA.eigh(a, UPLO="X")


def test_matrix_rank_tolerances():
    d = ember.tensor(np.diag([1.0, 1e-3, 1e-9]), dtype=ember.float32)
    assert LA.matrix_rank(d).item() == 2  # default rtol = eps(float32) * 3 = 3.6e-7
    assert LA.matrix_rank(d.double()).item() == 3  # eps(float64) * 3 = 6.7e-16
    assert LA.matrix_rank(d, atol=1e-2).item() == 1
    assert LA.matrix_rank(d, rtol=1e-4).item() == 2
    assert LA.matrix_rank(d, hermitian=True).item() == 2
    assert LA.matrix_rank(ember.ones(3, 3)).dtype == ember.int64


def test_lstsq_drivers_and_residuals():
    a, b = _t(6, 3), _t(6, 2)
    solution, residuals, rank, sv = LA.lstsq(a, b)
    ref, ref_res, ref_rank, ref_sv = np.linalg.lstsq(_np(a), _np(b), rcond=None)
    np.testing.assert_allclose(_np(solution), ref, atol=1e-12)
    assert residuals.shape == (0,) and sv.shape == (0,) and rank.item() == ref_rank
    solution, residuals, rank, sv = LA.lstsq(a, b, driver="gelsd")
    np.testing.assert_allclose(_np(residuals), ref_res, rtol=1e-10)
    np.testing.assert_allclose(_np(sv), ref_sv, rtol=1e-12)


def test_matrix_power_zero_is_identity_and_one_is_a_copy():
    a = _t(2, 3, 3)
    np.testing.assert_array_equal(_np(LA.matrix_power(a, 0)), np.broadcast_to(np.eye(3), (2, 3, 3)))
    one = LA.matrix_power(a, 1)
    assert one is not a and not np.shares_memory(_np(one), _np(a))
    with pytest.raises(RuntimeError, match=r"square matrices"):
        LA.matrix_power(ember.ones(3, 2), 2)


# ---- gradients at special points ---------------------------------------------------------------


def test_norm_gradient_of_zero_vector_is_zero():
    for ord in (2, 1, 3, 0.5, math.inf):
        x = ember.zeros(4, dtype=ember.float64, requires_grad=True)
        (g,) = grad(LA.vector_norm(x, ord), [x])
        assert not np.isnan(_np(g)).any() and not _np(g).any(), ord


def test_inf_norm_gradient_is_shared_by_ties():
    x = ember.tensor([3.0, -3.0, 1.0], dtype=ember.float64, requires_grad=True)
    (g,) = grad(LA.vector_norm(x, math.inf), [x])
    assert _np(g).tolist() == [0.5, -0.5, 0.0]


def test_vector_norm_dtypes_and_errors():
    assert LA.vector_norm(ember.ones(3).bfloat16()).dtype == ember.bfloat16
    assert LA.vector_norm(ember.ones(3, dtype=ember.complex64)).dtype == ember.float32
    assert LA.vector_norm(ember.ones(3), dtype=ember.float64).dtype == ember.float64
    assert LA.vector_norm(ember.ones(3, 4), keepdim=True, dim=1).shape == (3, 1)
    with pytest.raises(RuntimeError, match=r"cannot compute the inf norm on an empty tensor"):
        LA.vector_norm(ember.zeros(0), math.inf)
    with pytest.raises(TypeError, match=r"argument 'ord' must be a number"):
        LA.vector_norm(ember.ones(3), "fro")
    with pytest.raises(
        RuntimeError,
        match=r"If dim is not specified but ord is, the input must "
        r"be 1D or 2D. Got 3D",
    ):
        LA.norm(ember.ones(2, 2, 2), ord=2)


def test_det_gradient_is_det_times_inverse_transpose():
    a = _t(3, 3, requires_grad=True)
    (g,) = grad(LA.det(a), [a])
    expected = np.linalg.det(_np(a)) * np.linalg.inv(_np(a)).T
    np.testing.assert_allclose(_np(g), expected, rtol=1e-10)


def test_cholesky_gradient_is_symmetric():
    x = _t(3, 3)
    spd = ember.tensor(_np(x) @ _np(x).T + 3 * np.eye(3), requires_grad=True)
    (g,) = grad(LA.cholesky(spd).sum(), [spd])
    np.testing.assert_allclose(_np(g), _np(g).T, atol=1e-12)
