"""Behaviour of ember.ops.reduce beyond the op table: result dtypes, ties, zeros in products,
named tuples, corrections, NaN handling, numerical stability, empty inputs and errors.

Expected values are NumPy formulas, literal values (checked against PyTorch's behaviour), or
finite differences.
"""

import math
import pickle

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.autograd import grad, gradcheck, gradgradcheck
from ember.ops import reduce as reduce_ops


def t(values, dtype=None, requires_grad=False):
    x = ember.tensor(np.asarray(values, dtype=dtype))
    return x.requires_grad_() if requires_grad else x


def grad_of(fn, values, dtype=np.float64):
    """d sum(fn(x)) / dx at ``values``."""
    x = t(values, dtype, requires_grad=True)
    out = fn(x)
    out = out[0] if isinstance(out, tuple) else out
    out.sum().backward()
    return x.grad.numpy()


# ---- result dtypes ----------------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype", [np.int32, np.int8, np.uint8, np.bool_, np.int64])
def test_integer_and_bool_sums_are_int64(np_dtype):
    x = t([[1, 0, 1], [1, 1, 0]], np_dtype)
    assert x.sum().dtype is ember.int64
    assert x.sum(1).dtype is ember.int64
    assert x.sum(1).tolist() == [2, 2]
    assert ember.prod(x).dtype is ember.int64
    assert ember.cumsum(x, 1).dtype is ember.int64
    assert ember.cumprod(x, 0).dtype is ember.int64
    assert ember.nansum(x).dtype is ember.int64


def test_explicit_dtype_wins_over_int64():
    x = t([[1, 2], [3, 4]], np.int32)
    assert ember.sum(x, dtype=ember.int32).dtype is ember.int32
    assert ember.cumsum(x, 1, dtype=ember.int32).dtype is ember.int32
    assert ember.prod(x, 1, dtype=ember.float64).tolist() == [2.0, 12.0]
    # a float input is cast first, as PyTorch does: 1.7 + 2.6 -> 1 + 2
    assert ember.sum(t([1.7, 2.6]), dtype=ember.int64).item() == 3


def test_float_sum_keeps_dtype_and_dtype_argument_casts():
    x = t([[1.0, 2.0], [3.0, 4.5]], np.float32)
    assert x.sum().dtype is ember.float32
    assert ember.sum(x, 0, dtype=ember.float64).dtype is ember.float64
    assert ember.mean(x, dtype=ember.float64).dtype is ember.float64


@pytest.mark.parametrize("np_dtype", [np.float16, ml_dtypes.bfloat16])
def test_half_precision_accumulates_in_float32(np_dtype):
    values = np.full(4096, 0.1, dtype=np_dtype)
    exact = float(values.astype(np.float64).sum())  # 4096 copies of the rounded 0.1
    x = ember.tensor(values)
    assert x.sum().numpy().dtype == np_dtype
    # one rounding at the end: within half a unit in the last place of the result
    ulp = float(np.spacing(np.asarray(exact, dtype=np.float16))) if np_dtype is np.float16 else 4
    assert abs(float(x.sum().item()) - exact) <= ulp / 2
    assert abs(float(x.mean().item()) - exact / 4096) <= 1e-3
    # a running sum in half precision would stall (at 256 in float16, 32 in bfloat16)
    assert abs(float(ember.cumsum(x, 0).numpy()[-1]) - exact) <= ulp / 2


def test_mean_of_integers_needs_a_dtype():
    x = t([1, 2], np.int64)
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype.*int64"):
        ember.mean(x)
    with pytest.raises(RuntimeError, match=r"Optional dtype must be either a floating point"):
        ember.mean(x, dtype=ember.int32)
    assert ember.mean(x, dtype=ember.float64).item() == 1.5
    with pytest.raises(RuntimeError, match=r"nanmean\(\): could not infer output dtype"):
        ember.nanmean(x)


def test_result_dtypes_of_other_reductions():
    ints = t([[3, 1], [0, 2]], np.int64)
    assert ember.logsumexp(ints, 1).dtype is ember.float32  # ints go to the default float
    assert ember.argmax(t([1.0, 3.0])).dtype is ember.int64
    assert ember.count_nonzero(ints).dtype is ember.int64
    assert ember.all(ints).dtype is ember.bool
    assert ember.any(t([0.0, 1.0])).dtype is ember.bool
    assert ember.all(t([1, 2], np.uint8)).dtype is ember.uint8  # PyTorch keeps uint8
    assert ember.max(ints).dtype is ember.int64
    assert ember.median(ints).dtype is ember.int64
    assert ember.norm(t([3.0, 4.0], np.float64)).dtype is ember.float64
    with pytest.raises(RuntimeError, match=r"var\(\): std and var only support floating point"):
        ember.var(ints)


# ---- ties and selections ----------------------------------------------------------------------


def test_amax_amin_split_the_gradient_evenly_among_ties():
    x = [[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]
    np.testing.assert_allclose(grad_of(lambda v: v.amax(1), x), [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    np.testing.assert_allclose(grad_of(lambda v: v.amin(1), x), [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(grad_of(lambda v: v.amax(), x), [[0, 0.5, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(grad_of(lambda v: v.max(), [1.0, 3.0, 3.0]), [0, 0.5, 0.5])
    np.testing.assert_allclose(
        grad_of(lambda v: ember.aminmax(v, dim=0).max, [1.0, 3.0, 3.0]), [0, 0.5, 0.5]
    )


def test_max_along_dim_sends_the_gradient_to_the_returned_index():
    x = [1.0, 3.0, 3.0]
    assert ember.max(t(x), 0).indices.item() == 1  # the first of the ties
    np.testing.assert_allclose(grad_of(lambda v: v.max(0), x), [0, 1, 0])
    np.testing.assert_allclose(grad_of(lambda v: v.min(0), [2.0, 0.0, 0.0]), [0, 1, 0])


def test_median_without_dim_splits_among_ties_with_dim_picks_one():
    x = [1.0, 3.0, 3.0, 3.0]
    np.testing.assert_allclose(grad_of(lambda v: v.median(), x), [0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(grad_of(lambda v: v.median(0), x), [0, 1, 0, 0])
    np.testing.assert_allclose(
        grad_of(lambda v: v.nanmedian(), [1.0, 3.0, 3.0, np.nan]), [0, 0.5, 0.5, 0]
    )


def test_selection_gradients_with_repeated_indices_add_up():
    # cummax keeps pointing at the running maximum: its gradient collects several outputs
    np.testing.assert_allclose(grad_of(lambda v: v.cummax(0), [3.0, 1.0, 4.0, 2.0]), [2, 0, 2, 0])
    np.testing.assert_allclose(grad_of(lambda v: v.mode(0), [3.0, 1.0, 1.0]), [0, 0, 1])


# ---- zeros in products ------------------------------------------------------------------------


def test_prod_gradient_with_zeros_literal():
    np.testing.assert_allclose(grad_of(lambda v: v.prod(), [2.0, 0.0, 3.0]), [0, 6, 0])
    np.testing.assert_allclose(grad_of(lambda v: v.prod(), [2.0, 0.0, 0.0]), [0, 0, 0])
    np.testing.assert_allclose(
        grad_of(lambda v: v.prod(1), [[2.0, 0.0, 3.0], [1.0, 2.0, 3.0]]), [[0, 6, 0], [6, 3, 2]]
    )


def test_cumprod_gradient_with_zeros_literal():
    np.testing.assert_allclose(
        grad_of(lambda v: v.cumprod(0), [2.0, 0.0, 3.0, 0.0, 5.0]), [1, 8, 0, 0, 0]
    )


@pytest.mark.parametrize("zeros", [[1], [0, 3], [4], [2, 3]])
def test_prod_and_cumprod_with_zeros_match_finite_differences(zeros):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 1.5, size=(2, 5)) * rng.choice([-1.0, 1.0], size=(2, 5))
    x[0, zeros] = 0.0
    x[1, zeros[0]] = 0.0
    for fn in (
        lambda v: ember.prod(v, 1),
        lambda v: ember.cumprod(v, 1),
        lambda v: ember.prod(v),
        lambda v: ember.cumprod(v.T, 0),
    ):
        assert gradcheck(fn, (t(x, requires_grad=True),))
        assert gradgradcheck(fn, (t(x, requires_grad=True),))


def test_cumprod_backward_paths_agree():
    # A first-order backward takes the O(n) array path; create_graph=True the differentiable
    # O(n^2) one. Both must give the same numbers.
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 6))
    x[0, 2] = x[1, 0] = x[1, 4] = x[2, 5] = 0.0
    v = t(rng.standard_normal((3, 6)))
    xt = t(x, requires_grad=True)
    (fast,) = grad(ember.cumprod(xt, 1), xt, v)
    (graph,) = grad(ember.cumprod(xt, 1), xt, v, create_graph=True)
    np.testing.assert_allclose(fast.numpy(), graph.detach().numpy(), rtol=1e-12, atol=1e-12)


# ---- named tuples -----------------------------------------------------------------------------


def test_named_tuples_index_unpack_and_print():
    x = t([[1.0, 5.0], [7.0, 2.0]], np.float32)
    result = x.max(dim=1)
    assert isinstance(result, tuple) and isinstance(result, ember.return_types.max)
    values, indices = result
    assert values is result.values is result[0]
    assert indices is result.indices is result[1]
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert result._fields == ("values", "indices")
    assert repr(result) == (
        "ember.return_types.max(\nvalues=tensor([5., 7.]),\nindices=tensor([1, 0]))"
    )
    low, high = ember.aminmax(x)
    assert ember.aminmax(x).min is not None and (low.item(), high.item()) == (1.0, 7.0)
    for name, fn in [
        ("min", lambda: x.min(0)),
        ("median", lambda: x.median(1)),
        ("nanmedian", lambda: x.nanmedian(1)),
        ("mode", lambda: x.mode()),
        ("cummax", lambda: x.cummax(0)),
        ("cummin", lambda: x.cummin(1)),
    ]:
        out = fn()
        assert type(out).__name__ == name and out._fields == ("values", "indices")
        assert out.indices.dtype is ember.int64


def test_named_tuples_pickle():
    result = t([3.0, 1.0, 2.0]).min(0)
    again = pickle.loads(pickle.dumps(result))
    assert type(again) is ember.return_types.min
    assert again.values.item() == 1.0 and again.indices.item() == 1


def test_indices_are_not_differentiable():
    values, indices = t([1.0, 4.0, 2.0], requires_grad=True).max(0)
    assert values.requires_grad and not indices.requires_grad


def test_var_mean_and_std_mean_are_plain_tuples():
    x = t([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    var, mean = ember.var_mean(x, 1)
    assert type(ember.var_mean(x, 1)) is tuple
    np.testing.assert_allclose(var.numpy(), np.var(x.numpy(), 1, ddof=1))
    np.testing.assert_allclose(mean.numpy(), [7 / 3, 1.0])
    std, mean = ember.std_mean(x, dim=0, correction=0, keepdim=True)
    np.testing.assert_allclose(std.numpy(), np.std(x.numpy(), 0, keepdims=True))


# ---- variance corrections ---------------------------------------------------------------------


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2), -1])
def test_var_std_correction_is_numpys_ddof(correction, dim):
    x = np.random.default_rng(2).standard_normal((3, 4, 5))
    axis = tuple(dim) if isinstance(dim, tuple) else dim
    np.testing.assert_allclose(
        ember.var(t(x), dim, correction=correction).numpy(), np.var(x, axis, ddof=correction)
    )
    np.testing.assert_allclose(
        ember.std(t(x), dim, correction=correction, keepdim=True).numpy(),
        np.std(x, axis, ddof=correction, keepdims=True),
    )


def test_var_legacy_unbiased_forms():
    x = np.random.default_rng(3).standard_normal((3, 4))
    np.testing.assert_allclose(ember.var(t(x), True).numpy(), np.var(x, ddof=1))
    np.testing.assert_allclose(ember.var(t(x), False).numpy(), np.var(x, ddof=0))
    np.testing.assert_allclose(
        ember.var(t(x), 1, False, True).numpy(), np.var(x, 1, ddof=0, keepdims=True)
    )
    np.testing.assert_allclose(t(x).std(0, unbiased=False).numpy(), np.std(x, 0))
    with pytest.raises(TypeError, match=r"either unbiased or correction"):
        ember.var(t(x), 1, unbiased=True, correction=0)


def test_var_with_no_degrees_of_freedom_warns_like_pytorch():
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        assert math.isnan(ember.var(t([1.0])).item())
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        assert ember.var(t([1.0, 2.0]), correction=2).item() == math.inf
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom"):
        x = t([1.0], requires_grad=True)
        ember.std(x, 0).backward()
    assert math.isnan(x.grad.item())  # PyTorch's gradient is NaN here too


def test_std_gradient_is_zero_on_a_constant_slice():
    np.testing.assert_allclose(
        grad_of(lambda v: v.std(1), [[2.0, 2.0], [1.0, 3.0]]),
        [[0, 0], [-1 / math.sqrt(2), 1 / math.sqrt(2)]],
    )


# ---- norms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, math.inf])
def test_norm_gradient_at_zero_is_zero(p):
    np.testing.assert_array_equal(grad_of(lambda v: v.norm(p), [0.0, 0.0]), [0.0, 0.0])


def test_norm_gradients_literal():
    # values from PyTorch's norm_backward
    np.testing.assert_allclose(grad_of(lambda v: v.norm(0.5), [0.0, 1.0]), [0, 1])
    np.testing.assert_allclose(grad_of(lambda v: v.norm(-1), [2.0, 1.0]), [1 / 9, 4 / 9])
    np.testing.assert_allclose(
        grad_of(lambda v: v.norm(math.inf), [0.0, -2.0, 2.0]), [0, -0.5, 0.5]
    )
    np.testing.assert_allclose(
        grad_of(lambda v: v.norm(-math.inf), [2.0, 1.0, -1.0]), [0, 0.5, -0.5]
    )
    x = t([0.0, 1.0], requires_grad=True)
    x.norm(0).backward()
    assert x.grad is None  # the count of nonzeros has no gradient


def test_norm_variants_against_numpy():
    x = np.random.default_rng(4).standard_normal((3, 4))
    np.testing.assert_allclose(ember.norm(t(x)).numpy(), np.linalg.norm(x))
    np.testing.assert_allclose(ember.norm(t(x), None).numpy(), np.linalg.norm(x))
    np.testing.assert_allclose(ember.norm(t(x), "fro", (0, 1)).numpy(), np.linalg.norm(x, "fro"))
    np.testing.assert_allclose(ember.norm(t(x), "nuc").numpy(), np.linalg.norm(x, "nuc"))
    np.testing.assert_allclose(
        t(x).norm(p=math.inf, dim=1).numpy(), np.linalg.norm(x, np.inf, axis=1)
    )
    np.testing.assert_allclose(
        ember.dist(t(x), t(x[0]), 3).numpy(), np.sum(np.abs(x - x[0]) ** 3) ** (1 / 3)
    )
    assert ember.norm(t(x, np.float32), dtype=ember.float64).dtype is ember.float64
    with pytest.raises(RuntimeError, match=r"convertible without narrowing"):
        ember.norm(t(x), dtype=ember.float32)


# ---- stability and NaN handling ---------------------------------------------------------------


def test_logsumexp_is_stable():
    assert ember.logsumexp(t([1000.0, 1000.0]), 0).item() == pytest.approx(1000 + math.log(2))
    assert ember.logsumexp(t([-1000.0, -1000.0]), 0).item() == pytest.approx(-1000 + math.log(2))
    assert ember.logsumexp(t([-math.inf, -math.inf]), 0).item() == -math.inf
    assert ember.logsumexp(t([math.inf, 1.0]), 0).item() == math.inf
    assert ember.logsumexp(ember.zeros(0), 0).item() == -math.inf  # an empty sum is 0
    np.testing.assert_allclose(grad_of(lambda v: v.logsumexp(0), [1000.0, 1000.0]), [0.5, 0.5])


def test_logcumsumexp_is_stable():
    x = np.array([1000.0, 1000.0, -1000.0, 999.0])
    m = 1000.0
    expected = m + np.log(np.cumsum(np.exp(x - m)))
    np.testing.assert_allclose(ember.logcumsumexp(t(x), 0).numpy(), expected)
    g = grad_of(lambda v: v.logcumsumexp(0), x)
    # d out[k]/dx[j] = exp(x[j] - out[k]) for j <= k, computed in float64 with the shift
    jac = np.tril(np.exp(x[None, :] - expected[:, None]))
    np.testing.assert_allclose(g, jac.sum(axis=0), rtol=1e-12)


def test_median_and_quantile_propagate_nan_nan_versions_skip_it():
    nan = math.nan
    assert math.isnan(ember.median(t([1.0, nan, 3.0, nan])).item())
    values, indices = ember.median(t([[1.0, nan, 3.0, nan]]), 1)
    assert math.isnan(values.item()) and indices.item() == 1  # the first NaN, like PyTorch
    values, indices = ember.nanmedian(t([[1.0, nan, 3.0, nan, 0.0]]), 1)
    assert (values.item(), indices.item()) == (1.0, 0)
    values, indices = ember.nanmedian(t([[nan, nan]]), 1)
    assert math.isnan(values.item()) and indices.item() == 0
    assert math.isnan(ember.quantile(t([1.0, nan, 3.0]), 0.5).item())
    assert ember.nanquantile(t([1.0, nan, 3.0]), 0.5).item() == 2.0
    assert math.isnan(ember.nanquantile(t([nan, nan]), 0.5).item())
    assert math.isnan(ember.amax(t([1.0, nan, 2.0])).item())
    values, indices = ember.max(t([1.0, nan, 2.0]), 0)
    assert math.isnan(values.item()) and indices.item() == 1


def test_median_ties_and_mode_choices_match_pytorch():
    values, indices = ember.median(t([[2.0, 1.0, 2.0, 1.0]]), 1)
    assert (values.item(), indices.item()) == (1.0, 3)
    assert ember.median(t([4, 1, 3, 2], np.int64)).item() == 2  # the lower median
    result = ember.mode(t([[3.0, 1.0, 3.0, 1.0, 2.0, 1.0, 3.0]]))
    assert (result.values.item(), result.indices.item()) == (1.0, 5)  # smallest, last index
    result = ember.mode(t([1, 1, 2, 2, 2], np.int64))
    assert (result.values.item(), result.indices.item()) == (2, 4)


def test_cummax_cummin_ties_and_nan_indices_match_pytorch():
    nan = math.nan
    result = ember.cummax(t([1.0, 1.0, 0.0, 1.0, nan, 2.0, nan]), 0)
    assert result.indices.tolist() == [0, 1, 1, 3, 4, 4, 6]
    assert result.values.tolist()[:4] == [1.0] * 4 and np.isnan(result.values.numpy()[4:]).all()
    result = ember.cummin(t([1.0, 1.0, 2.0, 1.0, nan, 0.0, nan]), 0)
    assert result.indices.tolist() == [0, 1, 1, 3, 4, 4, 6]


def test_quantile_interpolations_and_shapes():
    x = t([0.0, 1.0, 2.0, 3.0])
    q = t([0.5, 1 / 6, 0.5 / 3])
    # PyTorch rounds ranks half to even for 'nearest': ranks 1.5, 0.5, 0.5 -> 2, 0, 0
    assert ember.quantile(x, q, interpolation="nearest").tolist() == [2.0, 0.0, 0.0]
    assert ember.quantile(x, 0.5, interpolation="midpoint").item() == 1.5
    assert ember.quantile(x, 0.4, interpolation="lower").item() == 1.0
    assert ember.quantile(x, 0.4, interpolation="higher").item() == 2.0
    m = t(np.arange(6.0).reshape(2, 3))
    assert ember.quantile(m, t([0.25, 0.5]), dim=1, keepdim=True).shape == (2, 2, 1)
    assert ember.quantile(m, t([0.1, 0.9]), keepdim=True).shape == (2, 1, 1)
    assert ember.quantile(m, t(0.5), dim=0).shape == (3,)
    assert ember.quantile(t(3.0), 0.5, dim=0, keepdim=True).shape == ()
    with pytest.raises(RuntimeError, match=r"q tensor must be same dtype as the input"):
        ember.quantile(m, t([0.5], np.float32))
    with pytest.raises(RuntimeError, match=r"q must be a scalar or 1D tensor"):
        ember.quantile(m, t([[0.5]]))
    with pytest.raises(RuntimeError, match=r"q values must be in the range \[0, 1\]"):
        ember.quantile(m, t([-0.5]))


# ---- empty and 0-d inputs, dims, errors -------------------------------------------------------


def test_empty_reductions_follow_pytorch():
    empty = ember.zeros(0, 3)
    assert ember.sum(ember.zeros(0)).item() == 0.0
    assert ember.prod(ember.zeros(0)).item() == 1.0
    assert ember.sum(empty, 0).tolist() == [0.0, 0.0, 0.0]
    assert math.isnan(ember.mean(ember.zeros(0)).item())  # and no NumPy warning
    assert math.isnan(ember.median(ember.zeros(0)).item())
    values, indices = ember.max(empty, 1)
    assert values.shape == (0,) and indices.shape == (0,)
    assert ember.amax(empty, 1).shape == (0,)
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified"):
        ember.max(ember.zeros(0))
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero"):
        ember.amax(empty, 0)
    with pytest.raises(RuntimeError, match=r"amin\(\): Expected reduction dim to be specified"):
        ember.amin(empty)
    with pytest.raises(IndexError, match=r"argmax\(\): Expected reduction dim to be specified"):
        ember.argmax(empty)
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0"):
        ember.median(empty, 0)
    with pytest.raises(IndexError, match=r"mode\(\): Expected reduction dim 0"):
        ember.mode(empty, 0)
    with pytest.raises(RuntimeError, match=r"aminmax\(\): cannot compute aminmax over an empty"):
        ember.aminmax(empty)


def test_zero_dim_inputs_accept_dim_0_and_minus_1():
    s = t(2.5)
    assert ember.sum(s, 0).item() == 2.5 and ember.sum(s, -1, keepdim=True).shape == ()
    values, indices = ember.max(s, 0)
    assert (values.item(), indices.item()) == (2.5, 0)
    assert ember.argmax(s, 0).item() == 0 and ember.argmax(s, keepdim=True).shape == ()
    assert ember.cumsum(s, 0).item() == 2.5 and ember.mode(s).values.item() == 2.5
    assert ember.var(s, 0, correction=0).item() == 0.0
    with pytest.raises(IndexError, match=r"sum: Dimension out of range .*\[-1, 0\], but got 1"):
        ember.sum(s, 1)


def test_dims_tuples_and_empty_tuple():
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    np.testing.assert_allclose(ember.sum(t(x), ()).numpy(), x.sum())
    np.testing.assert_allclose(ember.amax(t(x), [0, 2]).numpy(), x.max(axis=(0, 2)))
    np.testing.assert_allclose(
        ember.logsumexp(t(x), (0, -1), keepdim=True).numpy(),
        np.log(np.exp(x).sum(axis=(0, 2), keepdims=True)),
    )
    assert ember.argmax(t(x), keepdim=True).shape == (1, 1, 1)
    assert ember.count_nonzero(t(x), (0, 1)).tolist() == [6, 6, 6, 6]
    with pytest.raises(RuntimeError, match=r"sum: dim .* appears multiple times"):
        ember.sum(t(x), (1, -2))


def test_errors_name_the_op_and_the_fix():
    x = t([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(
        IndexError,
        match=r"amax: Dimension out of range \(expected to be in "
        r"range of \[-2, 1\], but got 2\)",
    ):
        ember.amax(x, 2)
    with pytest.raises(TypeError, match=r"max\(\): keepdim=True needs a dim"):
        ember.max(x, keepdim=True)
    with pytest.raises(TypeError, match=r"max\(\): dim must be an int"):
        ember.max(x, (0, 1))
    with pytest.raises(TypeError, match=r"prod\(\): dim must be an int"):
        ember.prod(x, (0, 1))
    with pytest.raises(NotImplementedError, match=r"logcumsumexp\(\): not implemented for int64"):
        ember.logcumsumexp(t([1, 2], np.int64), 0)


def test_numpy_argument_names_are_accepted():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ember.sum(t(x), axis=0).numpy(), x.sum(axis=0))
    np.testing.assert_allclose(
        t(x).mean(axis=1, keepdims=True).numpy(), x.mean(axis=1, keepdims=True)
    )
    assert t(x).max(axis=1).indices.tolist() == [2, 2]


def test_max_with_a_tensor_is_elementwise_maximum():
    a, b = t([1.0, 5.0]), t([3.0, 2.0])
    assert ember.max(a, b).tolist() == [3.0, 5.0]
    assert a.max(other=b).tolist() == [3.0, 5.0]
    assert ember.min(a, b).tolist() == [1.0, 2.0]


def test_cumsum_in_place():
    x = t([1.0, 2.0, 3.0])
    assert x.cumsum_(0) is x and x.tolist() == [1.0, 3.0, 6.0]


# ---- properties -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    data=st.data(),
    name=st.sampled_from(["maximum", "minimum", "logaddexp"]),
)
def test_scan_fallback_equals_ufunc_accumulate(shape, data, name):
    # the log-step scan that replaces ufunc.accumulate on CuPy, checked on NumPy
    axis = data.draw(st.integers(0, len(shape) - 1))
    seed = data.draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_allclose(
        reduce_ops._scan(name, x, axis), getattr(np, name).accumulate(x, axis=axis), rtol=1e-13
    )


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    data=st.data(),
    keepdim=st.booleans(),
)
def test_sum_mean_amax_over_any_dims_match_numpy(shape, data, keepdim):
    dims = data.draw(
        st.lists(
            st.integers(-len(shape), len(shape) - 1),
            unique_by=lambda d: d % len(shape),
            max_size=len(shape),
        )
    )
    x = np.random.default_rng(0).standard_normal(shape)
    axis = tuple(d % len(shape) for d in dims) or None
    for ember_fn, np_fn in ((ember.sum, np.sum), (ember.mean, np.mean), (ember.amax, np.max)):
        np.testing.assert_allclose(
            ember_fn(t(x), tuple(dims), keepdim).numpy(),
            np_fn(x, axis=axis, keepdims=keepdim),
            rtol=1e-12,
        )
