"""The Optimizer base class, for every optimiser: param groups, state_dict in PyTorch's layout and
its round trip, zero_grad, hooks, closures, in-place updates without per-step allocation."""

import copy
import pickle
import tracemalloc

import numpy as np
import pytest

import ember
from ember import optim

ALL = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adadelta, dict(lr=0.5)),
    (optim.Adamax, dict(lr=0.01)),
    (optim.NAdam, dict(lr=0.01)),
    (optim.RAdam, dict(lr=0.01, betas=(0.9, 0.9))),
]
IDS = [cls.__name__ for cls, _ in ALL]
RNG = np.random.default_rng(3)
GRADS = [RNG.standard_normal((2, 3)).astype(np.float32) for _ in range(6)]


def _params(values=None):
    values = values or [np.arange(6, dtype=np.float32).reshape(2, 3) / 5, np.ones((2, 3), "f4")]
    return [ember.tensor(v.copy(), requires_grad=True) for v in values]


def _step(opt, params, grads):
    for p, g in zip(params, grads):
        p.grad = ember.tensor(g)
    opt.step()


@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
def test_state_dict_round_trip_continues_identically(cls, kw):
    a = _params()
    opt_a = cls([{"params": [a[0]]}, {"params": [a[1]], "lr": 0.003}], **kw)
    for g in GRADS[:3]:
        _step(opt_a, a, [g, 2 * g])
    state = opt_a.state_dict()
    assert sorted(state) == ["param_groups", "state"]
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert sorted(state["state"]) == [0, 1]

    b = _params([p.detach().numpy() for p in a])
    opt_b = cls([{"params": [b[0]]}, {"params": [b[1]]}], **{**kw, "lr": 123.0})
    opt_b.load_state_dict(state)
    assert opt_b.param_groups[1]["lr"] == 0.003 and opt_b.param_groups[0]["params"] == [b[0]]
    for g in GRADS[3:]:
        _step(opt_a, a, [g, 2 * g])
        _step(opt_b, b, [g, 2 * g])
    # Exact equality: same arithmetic; and the loaded buffers are copies, not shared with opt_a
    # (a shared buffer would be updated twice per round).
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


def test_state_dict_layout_is_pytorchs():
    p, q = _params()
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.9)
    p.grad = ember.tensor(np.ones((2, 3), "f4"))
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]  # q had no gradient: no state
    assert list(sd["state"][0]) == ["momentum_buffer"]
    assert sd["state"][0]["momentum_buffer"] is opt.state[p]["momentum_buffer"]  # not copied
    assert sd["param_groups"] == [
        {"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": False,
         "maximize": False, "foreach": None, "differentiable": False, "fused": None,
         "params": [0]},
        {"params": [1], "lr": 0.5, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
         "nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
         "fused": None},
    ]
    adam = optim.Adam([p])
    assert list(adam.state_dict()["param_groups"][0]) == [
        "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
        "differentiable", "fused", "decoupled_weight_decay", "params",
    ]


def test_load_state_dict_validates_groups():
    p, q = _params()
    sd = optim.SGD([p, q], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([p], lr=0.1).load_state_dict(sd)


def test_load_casts_state_to_the_parameter_dtype_but_keeps_step():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p])
    p.grad = ember.tensor([1.0, 1.0])
    opt.step()
    p64 = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    opt64 = optim.Adam([p64])
    opt64.load_state_dict(opt.state_dict())
    assert opt64.state[p64]["exp_avg"].dtype == ember.float64
    assert opt64.state[p64]["step"].dtype == ember.float32
    p64.grad = ember.tensor([1.0, 1.0], dtype=ember.float64)
    opt64.step()
    assert opt64.state[p64]["step"].item() == 2.0


def test_load_old_checkpoint_with_numeric_step_and_missing_group_keys():
    p = ember.tensor([1.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    old = {
        "state": {
            0: {"step": 4, "exp_avg": ember.tensor([0.5]), "exp_avg_sq": ember.tensor([1.0])}
        },
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                          "amsgrad": False, "params": [0]}],
    }
    opt.load_state_dict(old)
    step = opt.state[p]["step"]
    assert isinstance(step, ember.Tensor) and step.dtype == ember.float32 and step.item() == 4
    assert opt.param_groups[0]["maximize"] is False  # filled in from the defaults
    p.grad = ember.tensor([1.0])
    opt.step()
    m = 0.9 * 0.5 + 0.1
    v = 0.999 * 1.0 + 0.001
    expected = 1.0 - 0.1 / (1 - 0.9**5) * m / (np.sqrt(v) / np.sqrt(1 - 0.999**5) + 1e-8)
    np.testing.assert_allclose(p.item(), expected, rtol=1e-6)


def test_state_dict_hooks():
    p = ember.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1 and seen == ["pre"]
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append("load-pre"))
    opt.register_load_state_dict_post_hook(lambda o: seen.append("load-post"))
    opt.load_state_dict(opt.state_dict())
    assert seen == ["pre", "pre", "load-pre", "load-post"]


def test_params_validation():
    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                        "ember.FloatTensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_named_parameters():
    w, b = _params()
    opt = optim.SGD([("weight", w), ("bias", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [ember.tensor([1.0], requires_grad=True)]})


def test_required_hyperparameter():
    class Plain(optim.Optimizer):
        def __init__(self, params, lr=optim.optimizer.required):
            super().__init__(params, {"lr": lr})

    p = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Plain([p])
    assert Plain([{"params": [p], "lr": 0.5}]).param_groups[0]["lr"] == 0.5


def test_add_param_group_and_changing_lr_between_steps():
    a, b = _params()
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 1.0})
    a.grad = ember.tensor(np.ones((2, 3), "f4"))
    b.grad = ember.tensor(np.ones((2, 3), "f4"))
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), np.arange(6).reshape(2, 3) / 5 - 0.6,
                               rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), np.full((2, 3), -1.0))


def test_zero_grad():
    p, q = _params()
    opt = optim.SGD([p, q], lr=0.1)
    p.grad = ember.tensor(np.ones((2, 3), "f4"))
    opt.zero_grad()
    assert p.grad is None and q.grad is None
    p.grad = grad = ember.tensor(np.ones((2, 3), "f4"))
    array = grad._data
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and grad._data is array
    np.testing.assert_array_equal(array, 0)
    assert q.grad is None


def test_step_hooks_run_in_order_and_can_be_removed():
    p = ember.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    hg = optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global"))
    opt.step()
    assert calls == ["global", ("pre", opt), ("post", opt)]
    h1.remove()
    h2.remove()
    hg.remove()
    opt.step()
    assert len(calls) == 3


def test_pre_hook_can_replace_the_arguments():
    p = ember.tensor(3.0, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = p * p
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((), {"closure": closure}))
    loss = opt.step()
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.item(), 3.0 - 0.1 * 6.0, rtol=1e-6)


def test_pre_hook_returning_garbage_raises():
    p = ember.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, args, kwargs: 42)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()


@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
def test_closure_runs_with_grad_enabled_and_its_loss_is_returned(cls, kw):
    p = ember.tensor(2.0, requires_grad=True)
    opt = cls([p], **kw)
    modes = []

    def closure():
        modes.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (p - 1.0) * (p - 1.0)
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 1.0 and modes == [True]
    assert p.item() < 2.0  # moved downhill


@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
def test_updates_in_place_and_bumps_versions(cls, kw):
    p = ember.tensor(np.ones((2, 3), "f4"), requires_grad=True)
    array = p._data
    opt = cls([p], **kw)
    p.grad = ember.tensor(GRADS[0])
    opt.step()
    buffers = {k: v._data for k, v in opt.state[p].items() if isinstance(v, ember.Tensor)}
    version = p._version
    opt.step()
    assert p._data is array and p._version == version + 1
    assert not np.array_equal(array, np.ones((2, 3)))
    assert all(opt.state[p][k]._data is v for k, v in buffers.items())


@pytest.mark.parametrize("size", [30_000, 200_000], ids=["whole", "blocked"])
@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
def test_a_step_allocates_no_parameter_sized_memory(cls, kw, size):
    p = ember.tensor(np.ones(size, "f4"), requires_grad=True)
    p.grad = ember.tensor(np.full(size, 0.5, "f4"))
    opt = cls([p], **kw)
    opt.step()
    opt.step()  # the workspace and the state exist now
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        opt.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - before < p._data.nbytes // 10


def test_repr_matches_pytorch():
    p = ember.tensor([1.0], requires_grad=True)
    assert repr(optim.SGD([p], lr=0.1)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )


def test_pickle_keeps_state_and_hooks_start_empty():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    opt.register_step_pre_hook(lambda o, a, k: None)  # not pickled
    p.grad = ember.tensor([1.0, 1.0])
    opt.step()
    clone = pickle.loads(pickle.dumps(opt))
    (q,) = clone.param_groups[0]["params"]
    np.testing.assert_allclose(clone.state[q]["exp_avg"].numpy(), [0.1, 0.1], rtol=1e-6)
    assert clone._optimizer_step_pre_hooks == {}
    clone.step()
    copy.deepcopy(opt).step()


def test_subclass_step_gets_hooks():
    class Halve(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p._data *= 0.5

    p = ember.tensor([4.0], requires_grad=True)
    opt = Halve([p])
    seen = []
    opt.register_step_post_hook(lambda o, a, k: seen.append(p.item()))
    opt.step()
    assert seen == [2.0] and opt._opt_called


@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
def test_device_matches_cpu(cls, kw, device):
    values = []
    for dev in ("cpu", device):
        p = ember.tensor(np.ones((2, 3), "f4"), requires_grad=True, device=dev)
        opt = cls([p], **kw)
        for g in GRADS:
            p.grad = ember.tensor(g, device=dev)
            opt.step()
        values.append(p.detach().cpu().numpy())
    np.testing.assert_allclose(values[1], values[0], rtol=1e-5, atol=1e-6)
