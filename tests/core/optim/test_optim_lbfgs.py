"""LBFGS: convergence on the Rosenbrock function and on a quadratic, with and without the
strong-Wolfe line search, plus its state and its errors."""

import numpy as np
import pytest

import ember
from ember.optim.lbfgs import _cubic_interpolate


def rosenbrock_problem(line_search_fn, start=(-1.5, 2.0), **kw):
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1)."""
    x = ember.tensor(start[0], dtype=ember.float64, requires_grad=True)
    y = ember.tensor(start[1], dtype=ember.float64, requires_grad=True)
    opt = ember.optim.LBFGS([x, y], line_search_fn=line_search_fn, **kw)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        calls.append(loss.item())
        return loss

    return x, y, opt, closure, calls


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_minimises_rosenbrock(line_search_fn):
    x, y, opt, closure, calls = rosenbrock_problem(
        line_search_fn, max_iter=100, history_size=10, tolerance_grad=1e-10,
        tolerance_change=1e-14,
    )
    first = opt.step(closure)
    assert first.item() == pytest.approx(2.5**2 + 100 * (2.0 - 2.25) ** 2)  # f at the start
    for _ in range(4):
        opt.step(closure)
    assert abs(x.item() - 1.0) < 1e-6 and abs(y.item() - 1.0) < 1e-6
    assert calls[-1] < 1e-12
    state = opt.state[x]
    assert state["func_evals"] == len(calls)
    assert 0 < state["n_iter"] <= 5 * 100


def test_strong_wolfe_needs_fewer_evaluations_than_fixed_steps():
    evals = {}
    for ls in (None, "strong_wolfe"):
        x, y, opt, closure, calls = rosenbrock_problem(ls, max_iter=500, max_eval=2000,
                                                       tolerance_grad=1e-8)
        opt.step(closure)
        evals[ls] = len(calls)
        assert abs(x.item() - 1) < 1e-5 and abs(y.item() - 1) < 1e-5
    assert evals["strong_wolfe"] < evals[None]


def test_quadratic_in_float32_with_a_vector_parameter():
    # f(w) = sum(a * (w - c)^2): separable, so L-BFGS finds the minimum c quickly
    a = np.array([1.0, 10.0, 0.5], dtype=np.float32)
    c = np.array([3.0, -2.0, 0.5], dtype=np.float32)
    w = ember.tensor(np.zeros(3, np.float32), requires_grad=True)
    at, ct = ember.tensor(a), ember.tensor(c)
    opt = ember.optim.LBFGS([w], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        d = w - ct
        loss = at * d * d
        # the sum of the three terms, written with indexing-free ops
        loss.backward(ember.tensor(np.ones(3, np.float32)))
        return ember.tensor(float((a * (w.detach().numpy() - c) ** 2).sum()))

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), c, atol=1e-4)


def test_stops_at_once_when_the_gradient_is_zero():
    x = ember.tensor(1.0, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.LBFGS([x])
    calls = []

    def closure():
        opt.zero_grad()
        loss = (x - 1.0) * (x - 1.0)
        loss.backward()
        calls.append(1)
        return loss

    opt.step(closure)
    assert len(calls) == 1 and x.item() == 1.0
    assert opt.state[x]["func_evals"] == 1 and opt.state[x]["n_iter"] == 0


def test_max_iter_bounds_evaluations_per_step():
    x, y, opt, closure, calls = rosenbrock_problem(None, max_iter=4)
    opt.step(closure)
    # one evaluation up front, one after each iteration but the last
    assert len(calls) == 4 and opt.state[x]["n_iter"] == 4
    assert opt.param_groups[0]["max_eval"] == 5  # max_iter * 5 // 4


def test_state_dict_round_trip():
    x, y, opt, closure, _ = rosenbrock_problem("strong_wolfe", max_iter=5)
    opt.step(closure)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0]  # all the state lives on the first parameter
    x2, y2, opt2, closure2, _ = rosenbrock_problem("strong_wolfe", start=(x.item(), y.item()),
                                                   max_iter=5)
    opt2.load_state_dict(sd)
    opt.step(closure)
    opt2.step(closure2)
    assert (x.item(), y.item()) == (x2.item(), y2.item())


def test_cubic_interpolate_finds_the_cubic_minimum():
    # f(t) = t^3 - 3t has its local minimum at t = 1; f' = 3t^2 - 3
    f = lambda t: t**3 - 3 * t  # noqa: E731
    df = lambda t: 3 * t**2 - 3  # noqa: E731
    assert _cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0)) == pytest.approx(1.0)
    # clipped to the bounds
    assert _cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0),
                              bounds=(1.5, 3.0)) == 1.5


def test_errors():
    x = ember.tensor(1.0, requires_grad=True)
    y = ember.tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        ember.optim.LBFGS([{"params": [x]}, {"params": [y]}])
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        ember.optim.LBFGS([x], line_search_fn="armijo")
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ember.optim.LBFGS([x], lr=-1)
    with pytest.raises(RuntimeError, match="a closure is required"):
        ember.optim.LBFGS([x]).step(None)
