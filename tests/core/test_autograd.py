"""The autograd engine: accumulation, retain_graph, create_graph, hooks, custom Functions,
in-place safety, anomaly detection and grad modes."""

import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck, gradgradcheck


def leaf(values, dtype=ember.float64):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


# -- backward basics -------------------------------------------------------------------------


def test_chain_rule_and_accumulation():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * x * 3 + x).sum()  # dy/dx = 6x + 1
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 13.0, 19.0])
    (x * 2).sum().backward()  # accumulates
    np.testing.assert_allclose(x.grad.numpy(), [9.0, 15.0, 21.0])


def test_shared_subexpression_gets_summed_gradients():
    x = leaf([2.0])
    a = x * 3
    y = a * a + a  # (3x)^2 + 3x -> 18x + 3
    y.backward(ember.ones(1, dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), [39.0])


def test_backward_needs_gradient_for_non_scalar():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    mismatch = r"Mismatch in shape: grad_output\[0\] has a shape of \(3,\)"
    with pytest.raises(RuntimeError, match=mismatch):
        (x * 2).backward(ember.ones(3, dtype=ember.float64))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def test_grads_of_two_leaves_do_not_alias():
    # a + b passes the same gradient object to both leaves; .grad must not share memory
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.mul_(10)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_retain_graph():
    x = leaf([3.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_with_inputs_accumulates_only_there():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 2.0])


# -- autograd.grad and higher order ----------------------------------------------------------


def test_autograd_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = ember.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    assert x.grad is None
    assert not g.requires_grad


def test_second_and_third_derivatives():
    x = leaf([2.0])
    y = (x ** 4).sum()
    (g1,) = ember.autograd.grad(y, x, create_graph=True)  # 4x^3 = 32
    (g2,) = ember.autograd.grad(g1.sum(), x, create_graph=True)  # 12x^2 = 48
    (g3,) = ember.autograd.grad(g2.sum(), x)  # 24x = 48
    assert [g1.item(), g2.item(), g3.item()] == [32.0, 48.0, 48.0]


def test_gradient_penalty_uses_create_graph():
    # loss = |d(w.x)/dx|^2 = |w|^2 -> d loss / dw = 2w
    w = leaf([1.0, -2.0, 0.5])
    x = leaf([0.3, 0.1, 0.2])
    (gx,) = ember.autograd.grad((w * x).sum(), x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, -4.0, 1.0])


def test_grad_wrt_intermediate_and_unused():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = (h * h).sum()
    (gh,) = ember.autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    z = leaf([5.0])
    with pytest.raises(RuntimeError, match="not used in the graph"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_grad_with_grad_outputs():
    x = leaf([1.0, 2.0, 3.0])
    (g,) = ember.autograd.grad(x * x, x, grad_outputs=ember.tensor([1.0, 0.0, 2.0],
                                                                   dtype=ember.float64))
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, 12.0])


# -- hooks -------------------------------------------------------------------------------------


def test_tensor_hooks_on_leaf_and_intermediate():
    x = leaf([1.0, 2.0])
    seen = []
    h = x * 2
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)  # replaces the leaf's gradient
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], [4.0, 8.0])  # d(h^2)/dh = 2h
    np.testing.assert_allclose(x.grad.numpy(), [80.0, 160.0])
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_retain_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * x
    h.retain_grad()
    assert h.retains_grad
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [3.0, 3.0])
    assert (x * 1).grad is None


def test_post_accumulate_grad_hook():
    x = leaf([1.0])
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (x * 5).sum().backward()
    assert calls == [5.0]


def test_hook_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


# -- custom Functions --------------------------------------------------------------------------


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return grad * 3 * x * x * ctx.scale, None


def test_custom_function_first_and_second_order():
    x = leaf([0.5, -1.5, 2.0])
    assert gradcheck(lambda t: Cube.apply(t, 2.0), (x,))
    assert gradgradcheck(lambda t: Cube.apply(t, 2.0), (x,))
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        data = x.detach().numpy()
        order = np.argsort(data)
        values = ember.tensor(data[order], dtype=x.dtype)
        indices = ember.tensor(order)
        ctx.mark_non_differentiable(indices)
        ctx.order = order
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        inverse = np.argsort(ctx.order)
        return ember.tensor(grad_values.numpy()[inverse], dtype=grad_values.dtype)


def test_custom_function_multiple_outputs_and_non_differentiable():
    x = leaf([3.0, 1.0, 2.0])
    values, indices = SortWithIndices.apply(x)
    assert values.requires_grad and not indices.requires_grad
    (values * ember.tensor([1.0, 10.0, 100.0], dtype=ember.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [100.0, 1.0, 10.0])


class Identity(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_custom_function_returning_its_input_gets_new_identity():
    x = leaf([1.0])
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_backward_returning_wrong_number_of_grads():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x, x).sum().backward()


# -- in-place safety ---------------------------------------------------------------------------


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)  # allowed: what optimisers do
    np.testing.assert_allclose(x.detach().numpy(), [2.0, 3.0])


def test_modified_saved_tensor_is_detected():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = a * a  # saves a
    a.add_(1)
    assert a._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_inplace_ops_give_correct_gradients():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = x * 2
    y.mul_(w)  # y = 2xw
    y.add_(x)  # y = 2xw + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 9.0])  # 2w + 1
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])  # 2x
    assert y.grad_fn is not None


def test_inplace_on_plain_tensor_with_grad_operand():
    acc = ember.zeros(2, dtype=ember.float64)
    w = leaf([1.0, 2.0])
    acc.add_(w * w)
    assert acc.requires_grad
    acc.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


def test_inplace_dtype_cast_error():
    x = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast"):
        x.mul_(1.5)


# -- anomaly detection ---------------------------------------------------------------------------


class MakesNaN(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def test_detect_anomaly_names_the_forward_op():
    x = leaf([1.0])
    with ember.autograd.detect_anomaly():
        y = MakesNaN.apply(x)
        with pytest.raises(RuntimeError, match="Function 'MakesNaNBackward' returned nan") as exc:
            (y * 2).sum().backward()
    assert "test_autograd.py" in str(exc.value)  # the forward call site is shown
    x.grad = None
    (MakesNaN.apply(x) * 2).sum().backward()  # outside the block: no check
    assert np.isnan(x.grad.item())


# -- grad modes ----------------------------------------------------------------------------------


def test_grad_modes_as_context_managers_and_decorators():
    x = leaf([1.0])
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad
        assert ember.is_inference_mode_enabled()

    @ember.no_grad()
    def f(t):
        return t * 2

    @ember.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad

    @ember.no_grad()
    def gen(t):
        yield t * 2
        yield t * 3

    assert [v.requires_grad for v in gen(x)] == [False, False]
    assert ember.is_grad_enabled()


def test_set_grad_enabled_as_function():
    ember.set_grad_enabled(False)
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)


def test_detach_shares_memory_and_leaves_graph():
    x = leaf([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    with ember.no_grad():
        d.add_(1)
    np.testing.assert_allclose(y.detach().numpy(), [3.0, 5.0])


def test_requires_grad_only_for_floats():
    with pytest.raises(RuntimeError, match="floating point and complex"):
        ember.tensor([1, 2]).requires_grad_()
    x = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        x.requires_grad_(False)


# -- autograd.functional ---------------------------------------------------------------------------


def test_jacobian_and_hessian():
    from ember.autograd.functional import hessian, hvp, jacobian, jvp, vjp

    x = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    jac = jacobian(lambda t: t * t * ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64), x)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 8.0, 18.0]))
    hes = hessian(lambda t: (t * t * t).sum(), x)
    np.testing.assert_allclose(hes.numpy(), np.diag([6.0, 12.0, 18.0]))
    v = ember.tensor([1.0, 0.0, -1.0], dtype=ember.float64)
    _, hv = hvp(lambda t: (t * t * t).sum(), x, v)
    np.testing.assert_allclose(hv.numpy(), [6.0, 0.0, -18.0])
    _, jv = jvp(lambda t: t * t, x, v)
    np.testing.assert_allclose(jv.numpy(), [2.0, 0.0, -6.0])
    _, vj = vjp(lambda t: t * t, x, v)
    np.testing.assert_allclose(vj.numpy(), [2.0, 0.0, -6.0])


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2x

    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongSquare.apply, (x,))
    assert not gradcheck(WrongSquare.apply, (x,), raise_exception=False)
