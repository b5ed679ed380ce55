"""nn.utils: gradient clipping against NumPy norms, parameter <-> vector conversion."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

GRADS = [
    np.array([[3.0, -4.0], [1.0, 2.0]]),
    np.array([0.5, -12.0, 7.0]),
    np.array([[[-1.0]], [[2.5]]]),
]


def params_with_grads(dtype=np.float32):
    params = []
    for g in GRADS:
        p = nn.Parameter(ember.zeros(*g.shape))
        p.grad = ember.tensor(g.astype(dtype))
        params.append(p)
    params.append(nn.Parameter(ember.zeros(2)))  # no grad: skipped
    return params


def np_total_norm(p):
    flat = np.concatenate([g.ravel() for g in GRADS])
    if p == math.inf:
        return np.abs(flat).max()
    return (np.abs(flat) ** p).sum() ** (1.0 / p)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_scales_to_max_norm(norm_type):
    params = params_with_grads()
    expected_total = np_total_norm(norm_type)
    total = clip_grad_norm_(iter(params), max_norm=1.5, norm_type=norm_type)
    assert total.shape == () and total.dtype == ember.float32
    assert total.item() == pytest.approx(expected_total, rel=1e-6)
    coef = 1.5 / (expected_total + 1e-6)
    for p, g in zip(params, GRADS):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-6)
    # after clipping, the total norm is max_norm (up to the 1e-6 guard)
    assert get_total_norm([p.grad for p in params[:3]], norm_type).item() == pytest.approx(
        1.5, rel=1e-5
    )


def test_clip_grad_norm_below_max_leaves_grads_and_keeps_objects():
    params = params_with_grads(np.float64)
    grad_objects = [p.grad for p in params[:3]]
    total = clip_grad_norm_(params, max_norm=100.0)
    assert total.dtype == ember.float64
    assert total.item() == pytest.approx(np_total_norm(2.0), rel=1e-12)
    for p, g, obj in zip(params, GRADS, grad_objects):
        assert p.grad is obj  # scaled in place, never replaced
        np.testing.assert_array_equal(p.grad.numpy(), g)


def test_clip_grad_norm_single_tensor_and_empty():
    p = nn.Parameter(ember.zeros(2))
    p.grad = ember.tensor([6.0, 8.0])
    assert clip_grad_norm_(p, 5.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    empty = clip_grad_norm_([nn.Parameter(ember.zeros(1))], 1.0)
    assert empty.item() == 0.0 and empty.dtype == ember.float32


def test_clip_grad_norm_nonfinite():
    p = nn.Parameter(ember.zeros(2))
    p.grad = ember.tensor([1.0, math.inf])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_([p], 1.0).item())


def test_clip_grad_norm_of_half_grads_does_not_overflow():
    p = nn.Parameter(ember.zeros(2, dtype=ember.float16))
    p.grad = ember.tensor([300.0, 400.0], dtype=ember.float16)  # squares overflow float16
    total = clip_grad_norm_([p], 1e6)
    assert total.dtype == ember.float16 and total.item() == 500.0


def test_clip_grad_value():
    params = params_with_grads()
    assert clip_grad_value_(params, 2.0) is None
    for p, g in zip(params, GRADS):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -2.0, 2.0))


def test_parameters_to_vector_and_back():
    a = nn.Parameter(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
    b = nn.Parameter(ember.tensor([5.0, 6.0]))
    vec = parameters_to_vector([a, b])
    np.testing.assert_array_equal(vec.detach().numpy(), [1, 2, 3, 4, 5, 6])
    (vec * ember.arange(6.0)).backward(ember.ones(6))  # differentiable: d/dparam = position
    np.testing.assert_array_equal(a.grad.numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(b.grad.numpy(), [4, 5])

    new = ember.tensor([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    vector_to_parameters(new, [a, b])
    np.testing.assert_array_equal(a.detach().numpy(), [[10, 20], [30, 40]])
    np.testing.assert_array_equal(b.detach().numpy(), [50, 60])
    new.numpy()[5] = -1.0  # as in PyTorch, the parameters now view the vector's memory
    assert b.detach().numpy()[1] == -1.0


def test_vector_to_parameters_errors():
    a = nn.Parameter(ember.zeros(3))
    with pytest.raises(TypeError, match="expected ember.Tensor, but got: list"):
        vector_to_parameters([1.0, 2.0, 3.0], [a])
    with pytest.raises(RuntimeError, match="at least 3 elements"):
        vector_to_parameters(ember.zeros(2), [a])


# -- parametrize ------------------------------------------------------------------------------


class Lin(nn.Module):
    """y = x * weight + bias on a 2-d weight (elementwise, broadcast over rows)."""

    def __init__(self, rows=2, cols=3, dtype=ember.float32):
        super().__init__()
        values = np.arange(1.0, rows * cols + 1.0).reshape(rows, cols) * [[1.0], [-0.5]][:rows]
        self.weight = nn.Parameter(ember.tensor(values, dtype=dtype))
        self.bias = nn.Parameter(ember.zeros(cols, dtype=dtype))

    def forward(self, x):
        return x * self.weight + self.bias


class Symmetric(nn.Module):
    """X -> X + X^T (on a square matrix); right_inverse: W -> W / 2."""

    def forward(self, x):
        return x + x.transpose(0, 1)

    def right_inverse(self, w):
        return w / 2


class Double(nn.Module):
    def forward(self, x):
        return x * 2


def square_lin():
    m = Lin(2, 2)
    m.weight.detach().numpy()[:] = [[1.0, 2.0], [2.0, 5.0]]
    return m


def test_register_parametrization_keys_values_and_class():
    from ember.nn.utils import parametrize

    m = square_lin()
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLin" and isinstance(m, Lin)
    assert parametrize.type_before_parametrizations(m) is Lin
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    # right_inverse made original = W / 2, so the value seen is unchanged
    np.testing.assert_array_equal(m.weight.detach().numpy(), [[1.0, 2.0], [2.0, 5.0]])
    np.testing.assert_array_equal(
        m.parametrizations.weight.original.detach().numpy(), [[0.5, 1.0], [1.0, 2.5]]
    )
    assert repr(m) == "\n".join(
        [
            "ParametrizedLin(",
            "  (parametrizations): ModuleDict(",
            "    (weight): ParametrizationList(",
            "      (0): Symmetric()",
            "    )",
            "  )",
            ")",
        ]
    )


def test_parametrization_gradient_reaches_original():
    from ember.nn.utils import parametrize

    m = square_lin()
    parametrize.register_parametrization(m, "weight", Symmetric())
    c = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    (m.weight * c).backward(ember.ones(2, 2))
    # d sum(C * (X + X^T)) / dX = C + C^T
    original = m.parametrizations.weight.original
    np.testing.assert_array_equal(original.grad.numpy(), [[2.0, 5.0], [5.0, 8.0]])
    assert m.weight is not m.weight  # recomputed at every access
    with parametrize.cached():
        assert m.weight is m.weight


def test_parametrization_assignment_chaining_and_removal():
    from ember.nn.utils import parametrize

    m = square_lin()
    parametrize.register_parametrization(m, "weight", Symmetric())
    parametrize.register_parametrization(m, "weight", Double())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), [[2.0, 4.0], [4.0, 10.0]])
    m.weight = ember.tensor([[4.0, 0.0], [0.0, 4.0]])  # Double has no right_inverse
    np.testing.assert_array_equal(
        m.parametrizations.weight.original.detach().numpy(), [[2.0, 0.0], [0.0, 2.0]]
    )
    original = m.parametrizations.weight.original
    parametrize.remove_parametrizations(m, "weight")  # keeps the parametrized value
    assert type(m) is Lin and not hasattr(m, "parametrizations")
    assert m.weight is original and type(m.weight) is nn.Parameter
    np.testing.assert_array_equal(m.weight.detach().numpy(), [[8.0, 0.0], [0.0, 8.0]])
    assert list(m.state_dict()) == ["bias", "weight"]

    m2 = square_lin()
    parametrize.register_parametrization(m2, "weight", Symmetric())
    parametrize.remove_parametrizations(m2, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(m2.weight.detach().numpy(), [[0.5, 1.0], [1.0, 2.5]])
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m2, "weight")


def test_parametrization_checks():
    from ember.nn.utils import parametrize

    class Flatten(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(Lin(), "weight", Flatten())
    parametrize.register_parametrization(Lin(), "weight", Flatten(), unsafe=True)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(Lin(), "nothing", Double())


def test_parametrized_module_deepcopy_and_pickle():
    import copy
    import pickle

    from ember.nn.utils import parametrize

    m = square_lin()
    parametrize.register_parametrization(m, "weight", Symmetric())
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(clone).__name__ == "ParametrizedLin" and type(clone) is not type(m)
        np.testing.assert_array_equal(clone.weight.detach().numpy(), [[1.0, 2.0], [2.0, 5.0]])
        assert list(clone.state_dict()) == list(m.state_dict())


# -- weight_norm / spectral_norm --------------------------------------------------------------


def test_weight_norm_keys_values_and_gradients():
    from ember.nn.utils.parametrizations import weight_norm

    m = weight_norm(Lin(2, 3, dtype=ember.float64))
    w = np.array([[1.0, 2.0, 3.0], [-2.0, -2.5, -3.0]])
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    g = m.parametrizations.weight.original0
    np.testing.assert_allclose(g.detach().numpy(), np.linalg.norm(w, axis=1, keepdims=True))
    np.testing.assert_allclose(m.weight.detach().numpy(), w)  # unchanged by registration

    def fn(g, v):
        return m.parametrizations.weight[0](g, v)

    v = m.parametrizations.weight.original1
    assert ember.autograd.gradcheck(fn, (g.detach().requires_grad_(), v.detach().requires_grad_()))
    assert ember.autograd.gradgradcheck(
        fn, (g.detach().requires_grad_(), v.detach().requires_grad_())
    )
    whole = weight_norm(Lin(2, 3), dim=None)
    assert whole.parametrizations.weight.original0.shape == ()


def test_weight_norm_loads_legacy_g_v_keys():
    from ember.nn.utils.parametrizations import weight_norm

    m = weight_norm(Lin(2, 3))
    g = ember.tensor([[2.0], [3.0]])
    v = ember.tensor([[3.0, 0.0, 4.0], [0.0, 1.0, 0.0]])
    m.load_state_dict({"bias": ember.zeros(3), "weight_g": g, "weight_v": v})
    np.testing.assert_allclose(
        m.weight.detach().numpy(), [[1.2, 0.0, 1.6], [0.0, 3.0, 0.0]], rtol=1e-6
    )


def test_spectral_norm_normalises_largest_singular_value():
    from ember.nn.utils.parametrizations import spectral_norm

    ember.manual_seed(0)
    m = Lin(2, 3)
    m.weight.detach().numpy()[:] = [[3.0, 1.0, 0.0], [1.0, 2.0, 2.0]]
    spectral_norm(m)
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    for _ in range(5):  # a few power iterations in training mode
        w = m.weight.detach().numpy()
    sigma = np.linalg.svd([[3.0, 1.0, 0.0], [1.0, 2.0, 2.0]], compute_uv=False)[0]
    np.testing.assert_allclose(w, np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 2.0]]) / sigma, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False)[0], 1.0, rtol=1e-5)
    m.eval()
    u = m.parametrizations.weight[0]._u.numpy().copy()
    _ = m.weight
    np.testing.assert_array_equal(m.parametrizations.weight[0]._u.numpy(), u)  # frozen in eval

    # with u, v fixed (eval) the result is differentiable in the original weight
    sn = m.parametrizations.weight[0]
    sn.double()
    original = ember.tensor([[3.0, 1.0, 0.0], [1.0, 2.0, 2.0]], dtype=ember.float64)
    assert ember.autograd.gradcheck(sn, (original.requires_grad_(),))


def test_spectral_norm_errors_and_1d():
    from ember.nn.utils.parametrizations import spectral_norm

    with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
        spectral_norm(Lin(), name="kernel")
    m = nn.Module()
    m.weight = nn.Parameter(ember.tensor([3.0, 4.0]))
    spectral_norm(m)
    np.testing.assert_allclose(m.weight.detach().numpy(), [0.6, 0.8], rtol=1e-6)


def test_clip_grad_on_device(device):
    p = nn.Parameter(ember.zeros(2, device=device))
    p.grad = ember.tensor([6.0, 8.0], device=device)
    total = clip_grad_norm_([p], 5.0)
    assert total.device.type == device and total.item() == pytest.approx(10.0)
    np.testing.assert_allclose(p.grad.cpu().numpy(), [3.0, 4.0], rtol=1e-6)
    clip_grad_value_([p], 3.5)
    np.testing.assert_allclose(p.grad.cpu().numpy(), [3.0, 3.5], rtol=1e-6)


def test_legacy_weight_norm_keys_hook_and_removal():
    from ember.nn.utils import remove_weight_norm, weight_norm

    m = Lin(2, 3)
    with pytest.warns(FutureWarning, match="deprecated in favor of"):
        weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(
        m.weight_g.detach().numpy(), [[math.sqrt(14)], [math.sqrt(19.25)]], rtol=1e-6
    )
    m.weight_g.detach().numpy()[:] = [[1.0], [2.0]]
    out = m(ember.ones(3))  # the pre-hook recomputes weight = g * v / ||v||
    v = np.array([[1.0, 2.0, 3.0], [-2.0, -2.5, -3.0]])
    expected = v / np.linalg.norm(v, axis=1, keepdims=True) * [[1.0], [2.0]]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and type(m.weight) is nn.Parameter
    np.testing.assert_allclose(m.weight.detach().numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        remove_weight_norm(m)
