"""Learning-rate schedulers: lr sequences against closed forms and literal values, momentum
cycling, chaining, state_dict round trips and ReduceLROnPlateau's patience."""

import math
import pickle

import numpy as np
import pytest

import ember
from ember.optim import lr_scheduler as L


def make_opt(cls=ember.optim.SGD, lr=0.1, second_lr=None, **kw):
    p = ember.tensor([1.0], requires_grad=True)
    groups = [{"params": [p]}]
    if second_lr is not None:
        groups.append({"params": [ember.tensor([1.0], requires_grad=True)], "lr": second_lr})
    return cls(groups, lr=lr, **kw)


def lrs(opt, sched, n, group=0, metrics=None):
    """The lr of ``group`` at epochs 0..n-1 (the value in force during each epoch)."""
    out = []
    for i in range(n):
        out.append(opt.param_groups[group]["lr"])
        opt.step()  # PyTorch's order: the optimiser first, then the scheduler
        sched.step() if metrics is None else sched.step(metrics[i])
    return out


def test_step_lr():
    opt = make_opt(lr=0.1)
    got = lrs(opt, L.StepLR(opt, step_size=3, gamma=0.5), 10)
    np.testing.assert_allclose(got, [0.1 * 0.5 ** (e // 3) for e in range(10)], rtol=1e-12)


def test_multistep_lr_with_a_repeated_milestone():
    opt = make_opt(lr=1.0)
    got = lrs(opt, L.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.1), 7)
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 0.1, 0.001, 0.001], rtol=1e-12)


def test_constant_lr():
    opt = make_opt(lr=0.5)
    got = lrs(opt, L.ConstantLR(opt, factor=0.25, total_iters=3), 6)
    np.testing.assert_allclose(got, [0.125, 0.125, 0.125, 0.5, 0.5, 0.5], rtol=1e-12)


def test_linear_lr():
    opt = make_opt(lr=1.0)
    got = lrs(opt, L.LinearLR(opt, start_factor=0.2, end_factor=0.8, total_iters=4), 7)
    expected = [0.2 + 0.6 * min(e, 4) / 4 for e in range(7)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_exponential_lr():
    opt = make_opt(lr=2.0)
    got = lrs(opt, L.ExponentialLR(opt, gamma=0.9), 6)
    np.testing.assert_allclose(got, [2.0 * 0.9**e for e in range(6)], rtol=1e-12)


def test_polynomial_lr():
    opt = make_opt(lr=1.0)
    got = lrs(opt, L.PolynomialLR(opt, total_iters=4, power=2.0), 7)
    np.testing.assert_allclose(got, [(1 - min(e, 4) / 4) ** 2 for e in range(7)], atol=1e-15)


def test_lambda_and_multiplicative_lr_per_group():
    opt = make_opt(lr=1.0, second_lr=0.5)
    sched = L.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.5**e])
    got0, got1 = [], []
    for _ in range(4):
        got0.append(opt.param_groups[0]["lr"])
        got1.append(opt.param_groups[1]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(got0, [1, 1 / 2, 1 / 3, 1 / 4])
    np.testing.assert_allclose(got1, [0.5, 0.25, 0.125, 0.0625])
    opt = make_opt(lr=1.0)
    got = lrs(opt, L.MultiplicativeLR(opt, lambda e: 0.5 if e % 2 else 1.0), 5)
    np.testing.assert_allclose(got, [1, 0.5, 0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        L.LambdaLR(make_opt(), [lambda e: 1, lambda e: 1])


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_recursive_form_equals_closed_form(eta_min):
    opt = make_opt(lr=0.1)
    T = 5
    got = lrs(opt, L.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min), 3 * T + 2)
    # past T_max the cosine goes on (back up to the base lr at 2 T_max)
    expected = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * e / T)) / 2
                for e in range(3 * T + 2)]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


def test_cosine_annealing_warm_restarts_integer_epochs():
    opt = make_opt(lr=1.0)
    T_0, T_mult, eta_min = 2, 2, 0.1
    got = lrs(opt, L.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min),
              14)
    expected = []
    T_i, T_cur = T_0, 0
    for _ in range(14):  # periods of 2, 4, 8 epochs
        expected.append(eta_min + (1.0 - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2)
        T_cur += 1
        if T_cur == T_i:
            T_cur, T_i = 0, T_i * T_mult
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_cosine_annealing_warm_restarts_fractional_epochs():
    opt = make_opt(lr=1.0)
    sched = L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
    # periods [0, 2), [2, 8), [8, 26): T_cur is the time since the last restart
    for epoch, T_cur, T_i in [(0.5, 0.5, 2), (1.75, 1.75, 2), (2.0, 0.0, 6), (5.0, 3.0, 6),
                              (9.5, 1.5, 18), (1.0, 1.0, 2)]:
        opt.step()
        sched.step(epoch)  # no deprecation warning here: epochs are this scheduler's API
        assert opt.param_groups[0]["lr"] == pytest.approx((1 + math.cos(math.pi * T_cur / T_i))
                                                          / 2)
        assert sched.last_epoch == math.floor(epoch)


def test_cyclic_lr_triangular_modes_against_the_papers_formula():
    # Smith (2017): cycle = floor(1 + it / 2s), x = |it / s - 2 cycle + 1|,
    # lr = base + (max - base) * max(0, 1 - x) * scale(cycle)
    s, base, top = 3, 0.1, 1.0
    for mode, scale in [("triangular", lambda c: 1.0), ("triangular2", lambda c: 0.5 ** (c - 1))]:
        opt = make_opt(lr=5.0, momentum=0.9)
        sched = L.CyclicLR(opt, base_lr=base, max_lr=top, step_size_up=s, mode=mode)
        got, moms = [], []
        for _ in range(20):
            got.append(opt.param_groups[0]["lr"])
            moms.append(opt.param_groups[0]["momentum"])
            opt.step()
            sched.step()
        expected, expected_m = [], []
        for it in range(20):
            cycle = math.floor(1 + it / (2 * s))
            x = abs(it / s - 2 * cycle + 1)
            frac = max(0.0, 1 - x) * scale(cycle)
            expected.append(base + (top - base) * frac)
            expected_m.append(0.9 - (0.9 - 0.8) * frac)  # momentum cycles inversely
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=mode)
        np.testing.assert_allclose(moms, expected_m, rtol=1e-12, err_msg=mode)


def test_cyclic_lr_exp_range_and_asymmetric_cycle_with_adam_betas():
    opt = make_opt(ember.optim.Adam, lr=1.0)
    sched = L.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2, step_size_down=4,
                       mode="exp_range", gamma=0.5, base_momentum=0.85, max_momentum=0.95)
    got, beta1 = [], []
    for _ in range(7):
        got.append(opt.param_groups[0]["lr"])
        beta1.append(opt.param_groups[0]["betas"][0])
        assert opt.param_groups[0]["betas"][1] == 0.999
        opt.step()
        sched.step()
    heights = [0, 0.5, 1, 0.75, 0.5, 0.25, 0]  # up in 2 steps, down in 4
    np.testing.assert_allclose(got, [h * 0.5**i for i, h in enumerate(heights)], atol=1e-15)
    np.testing.assert_allclose(beta1, [0.95 - 0.1 * h * 0.5**i for i, h in enumerate(heights)])


def test_cyclic_lr_needs_momentum():
    opt = make_opt(ember.optim.Adagrad)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.CyclicLR(opt, 0.1, 1.0)
    L.CyclicLR(opt, 0.1, 1.0, cycle_momentum=False)


def test_one_cycle_lr_literal_points_and_momentum():
    opt = make_opt(lr=123.0, momentum=0.0)
    sched = L.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    got, moms = [], []
    for _ in range(10):
        got.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    # initial lr = max/25 at step 0, max at step pct*total - 1 = 2, min = initial/1e4 at the end
    assert got[0] == pytest.approx(0.04) and got[2] == pytest.approx(1.0)
    assert got[9] == pytest.approx(0.04 / 1e4)
    # cosine phases: up over steps 0..2, down over 2..9; momentum the other way round
    for i in range(10):
        if i <= 2:
            pct, lr_ends, m_ends = i / 2, (0.04, 1.0), (0.95, 0.85)
        else:
            pct, lr_ends, m_ends = (i - 2) / 7, (1.0, 4e-6), (0.85, 0.95)
        cos = (1 + math.cos(math.pi * pct)) / 2
        assert got[i] == pytest.approx(lr_ends[1] + (lr_ends[0] - lr_ends[1]) * cos, rel=1e-12)
        assert moms[i] == pytest.approx(m_ends[1] + (m_ends[0] - m_ends[1]) * cos, rel=1e-12)
    assert (moms[0], moms[2], moms[9]) == pytest.approx((0.95, 0.85, 0.95))
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        sched.step()


def test_one_cycle_lr_linear_three_phase_with_adam():
    opt = make_opt(ember.optim.Adam)
    sched = L.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=5, pct_start=0.2,
                         anneal_strategy="linear", three_phase=True)
    got, beta1 = [], []
    for _ in range(10):
        got.append(opt.param_groups[0]["lr"])
        beta1.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    # phases end at steps 1 (up to max), 2 (back to initial) and 9 (down to min)
    expected = [0.04, 1.0, 0.04] + [0.04 + (4e-6 - 0.04) * (i - 2) / 7 for i in range(3, 10)]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    np.testing.assert_allclose(beta1[:3], [0.95, 0.85, 0.95])
    assert opt.param_groups[0]["max_lr"] == 1.0 and opt.param_groups[0]["initial_lr"] == 0.04


def test_sequential_lr_warmup_then_decay():
    opt = make_opt(lr=1.0)
    warmup = L.LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = L.ExponentialLR(opt, gamma=0.5)
    sched = L.SequentialLR(opt, [warmup, decay], milestones=[3])
    got = lrs(opt, sched, 7)
    np.testing.assert_allclose(got, [0.25, 0.5, 0.75, 1.0, 0.5, 0.25, 0.125], rtol=1e-12)
    assert sched.get_last_lr() == [0.0625]


def test_chained_scheduler_multiplies_the_effects():
    opt = make_opt(lr=1.0)
    sched = L.ChainedScheduler([L.ConstantLR(opt, factor=0.1, total_iters=2),
                                L.ExponentialLR(opt, gamma=0.9)])
    got = lrs(opt, sched, 5)
    expected = [(0.1 if e < 2 else 1.0) * 0.9**e for e in range(5)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_containers_refuse_plateau_and_foreign_schedulers():
    opt, other = make_opt(), make_opt()
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        L.ChainedScheduler([L.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(other, 2)], milestones=[2])
    with pytest.raises(ValueError, match="number of milestones to be equal to 2"):
        L.SequentialLR(opt, [L.StepLR(opt, 2)], milestones=[2, 3])


def test_plateau_patience():
    opt = make_opt(lr=1.0)
    sched = L.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3.9999, 3]
    got = lrs(opt, sched, 10, metrics=metrics)
    # the third epoch without improvement (more than patience) reduces the lr, which the
    # following epoch uses; 3.9999 is worse than 3
    assert got == [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]
    assert sched.get_last_lr() == [0.25] and sched.best == 3


def test_plateau_threshold_cooldown_and_min_lr():
    opt = make_opt(lr=1.0, second_lr=0.1)
    sched = L.ReduceLROnPlateau(opt, factor=0.1, patience=0, threshold=0.5,
                                threshold_mode="abs", cooldown=1, min_lr=[0.05, 0.02])
    # improvements under 0.5 don't count; after a reduction one epoch of cooldown
    for metric in [10, 9.6]:
        opt.step()
        sched.step(metric)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.02]
    opt.step()
    sched.step(9.7)  # in cooldown: no reduction
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.02]
    opt.step()
    sched.step(9.7)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.02]  # clipped at min_lr


def test_plateau_max_mode_rel_threshold():
    opt = make_opt(lr=1.0)
    sched = L.ReduceLROnPlateau(opt, mode="max", patience=1, threshold=0.1)
    got = lrs(opt, sched, 6, metrics=[1.0, 1.05, 1.09, 1.2, 1.3, 1.31])
    # 1.05 and 1.09 are within 10% of 1.0: two bad epochs; 1.2 improves; 1.3 does not
    assert got == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        L.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        L.ReduceLROnPlateau(opt, factor=1.0)


def test_initial_lr_and_resuming():
    opt = make_opt(lr=0.3)
    L.StepLR(opt, 2)
    assert opt.param_groups[0]["initial_lr"] == 0.3
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        L.StepLR(make_opt(), 2, last_epoch=3)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.StepLR([], 2)


@pytest.mark.parametrize(
    "build",
    [
        lambda o: L.StepLR(o, 2, gamma=0.5),
        lambda o: L.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
        lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=2),
        lambda o: L.OneCycleLR(o, 0.5, total_steps=12),
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
        lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.8)], [3]),
        lambda o: L.ChainedScheduler([L.LinearLR(o, 0.5, total_iters=3), L.StepLR(o, 2)]),
    ],
    ids=["step", "cosine", "cyclic", "onecycle", "warm_restarts", "sequential", "chained"],
)
def test_state_dict_round_trip(build):
    opt_a = make_opt(lr=0.1, momentum=0.9)
    sched_a = build(opt_a)
    lrs(opt_a, sched_a, 5)
    state = sched_a.state_dict()
    assert "optimizer" not in state
    opt_b = make_opt(lr=0.1, momentum=0.9)
    sched_b = build(opt_b)
    opt_b.load_state_dict(opt_a.state_dict())
    sched_b.load_state_dict(pickle.loads(pickle.dumps(state)))
    assert lrs(opt_a, sched_a, 6) == lrs(opt_b, sched_b, 6)


def test_plateau_state_dict_round_trip():
    opt = make_opt(lr=1.0)
    sched = L.ReduceLROnPlateau(opt, patience=1)
    lrs(opt, sched, 3, metrics=[3, 3, 3])
    state = sched.state_dict()
    opt2 = make_opt(lr=1.0)
    sched2 = L.ReduceLROnPlateau(opt2, patience=5)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(state)
    assert sched2.patience == 1 and sched2.num_bad_epochs == sched.num_bad_epochs
    assert lrs(opt, sched, 4, metrics=[3] * 4) == lrs(opt2, sched2, 4, metrics=[3] * 4)


def test_lambda_state_dict_saves_callable_objects_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt = make_opt(lr=1.0, second_lr=1.0)
    sched = L.LambdaLR(opt, [Decay(), lambda e: 1.0])
    sched.lr_lambdas[0].rate = 0.25
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.25}, None]
    fresh = L.LambdaLR(make_opt(lr=1.0, second_lr=1.0), [Decay(), lambda e: 1.0])
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[0].rate == 0.25


def test_tensor_lr_is_updated_in_place():
    lr = ember.tensor(0.1)
    opt = make_opt(lr=lr)
    sched = L.StepLR(opt, 1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)
    last = sched.get_last_lr()[0]
    assert isinstance(last, ember.Tensor) and last is not lr  # a copy, never an alias


def test_warnings_follow_pytorch():
    opt = make_opt()
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter"):
        sched.step(4)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.1**2)  # closed form at epoch 4
