"""ASGD, Rprop, Adafactor, SparseAdam and Muon: the update math against PyTorch 2.13's numbers
(trajectories recorded once from ``torch.optim`` on the inputs built by ``_inputs`` below and
kept as literals in ``REF`` at the end of this file; torch is not imported), PyTorch's defaults
and ``state_dict`` layout, NumPy references for the blocked large-array path, and the errors."""

import math

import ml_dtypes
import numpy as np
import pytest
from _optim_extra_ref import REF

import ember
from ember.optim.adafactor import Adafactor
from ember.optim.asgd import ASGD
from ember.optim.muon import Muon, _round_bfloat16, _zeropower_via_newtonschulz
from ember.optim.rprop import Rprop
from ember.optim.sparse_adam import SparseAdam


def _inputs(shapes, steps, seed, zero_frac=0.0, dtype=np.float32):
    """Initial parameters and per-step gradients (the generator script used the same code)."""
    rng = np.random.default_rng(seed)
    p0 = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = []
    for _ in range(steps):
        gs = []
        for s in shapes:
            g = rng.standard_normal(s).astype(dtype)
            if zero_frac:
                g[rng.random(s) < zero_frac] = 0
            gs.append(g)
        grads.append(gs)
    return p0, grads


def _sparse_inputs():
    """SparseAdam's inputs: whole rows of the table gradient (and vector entries) zeroed, so a
    step touches a few rows only (PyTorch got the non-zero rows as a sparse COO gradient)."""
    p0, grads = _inputs([(5, 2), (4,)], 4, 4)
    rng = np.random.default_rng(40)
    for gs in grads:
        gs[0][rng.random(5) < 0.5] = 0
        gs[1][rng.random(4) < 0.5] = 0
    return p0, grads


def _run(cls, p0, grads, **kw):
    params = [ember.tensor(p.copy(), requires_grad=True) for p in p0]
    opt = cls(params, **kw)
    traj = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = ember.tensor(g)
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
    return traj, opt, params


def _expected(name, shapes):
    """REF[name] reshaped: per parameter, an array (steps, *shape)."""
    return [np.array(rows).reshape(-1, *s) for rows, s in zip(REF[name], shapes)]


def _check(traj, name, shapes, rtol=2e-6, atol=1e-6):
    for k, expected in enumerate(_expected(name, shapes)):
        got = np.stack([step[k] for step in traj])
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"{name} #{k}")


# -- against PyTorch ------------------------------------------------------------------------

ASGD_CASES = {
    "asgd-default": {},
    "asgd-avg": dict(lr=0.1, lambd=0.01, alpha=0.5, t0=2),  # averaging starts at step 3
    "asgd-wd-max": dict(lr=0.05, t0=0, weight_decay=0.1, maximize=True),
}


@pytest.mark.parametrize("name", ASGD_CASES)
def test_asgd_matches_torch(name):
    shapes = [(2, 3), (3,)]
    traj, opt, params = _run(ASGD, *_inputs(shapes, 5, 1), **ASGD_CASES[name])
    _check(traj, name, shapes)
    state = opt.state[params[0]]
    np.testing.assert_allclose(state["ax"].numpy(), _expected(name + "/ax", [(2, 3)])[0][0],
                               rtol=2e-6, atol=1e-6)
    eta, mu = REF[name + "/eta_mu"]
    assert float(state["eta"]) == pytest.approx(eta, rel=1e-7)
    assert float(state["mu"]) == pytest.approx(mu, rel=1e-7)
    assert float(state["step"]) == 5.0


RPROP_CASES = {
    "rprop-default": {},
    "rprop-custom": dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.05, 0.2)),  # both clips hit
    "rprop-max": dict(lr=0.02, maximize=True),
}


@pytest.mark.parametrize("name", RPROP_CASES)
def test_rprop_matches_torch(name):
    shapes = [(2, 3), (4,)]
    # a fifth of the gradient entries are zero: the "no sign information" branch
    traj, opt, params = _run(Rprop, *_inputs(shapes, 6, 2, zero_frac=0.2), **RPROP_CASES[name])
    _check(traj, name, shapes)
    np.testing.assert_allclose(opt.state[params[0]]["step_size"].numpy(),
                               _expected(name + "/step_size", [(2, 3)])[0][0], rtol=1e-6)


ADAFACTOR_CASES = {
    "adafactor-default": ({}, np.float32),
    "adafactor-custom": (
        dict(lr=0.1, beta2_decay=-0.5, eps=(1e-4, 1e-2), d=1.5, weight_decay=0.1), np.float32
    ),
    "adafactor-max": (dict(lr=0.05, maximize=True), np.float32),
    "adafactor-f64": (dict(lr=0.2, d=1.0), np.float64),  # eps1 = float64's machine epsilon
}


@pytest.mark.parametrize("name", ADAFACTOR_CASES)
def test_adafactor_matches_torch(name):
    kw, dtype = ADAFACTOR_CASES[name]
    # a matrix, a vector, a batch of matrices (factored over the last two dims) and a scalar
    shapes = [(3, 4), (4,), (2, 3, 2), ()]
    traj, opt, params = _run(Adafactor, *_inputs(shapes, 5, 3, dtype=dtype), **kw)
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-5, atol=5e-7)
    _check(traj, name, shapes, **tol)
    assert opt.state[params[2]]["row_var"].shape == (2, 3, 1)
    assert opt.state[params[2]]["col_var"].shape == (2, 1, 2)
    assert opt.state[params[3]]["variance"].shape == ()


SPARSE_ADAM_CASES = {
    "sparse_adam-default": {},
    "sparse_adam-custom": dict(lr=0.1, betas=(0.8, 0.9), eps=1e-3),
    "sparse_adam-max": dict(lr=0.01, maximize=True),
}


@pytest.mark.parametrize("name", SPARSE_ADAM_CASES)
def test_sparse_adam_matches_torch(name):
    traj, opt, params = _run(SparseAdam, *_sparse_inputs(), **SPARSE_ADAM_CASES[name])
    _check(traj, name, [(5, 2), (4,)])
    assert opt.state[params[0]]["step"] == 4 and type(opt.state[params[0]]["step"]) is int


def test_sparse_adam_leaves_untouched_rows_and_moments():
    emb = ember.nn.Embedding(6, 3, sparse=True)
    opt = SparseAdam(emb.parameters(), lr=0.1)
    before = emb.weight.detach().numpy().copy()
    emb(ember.tensor([1, 4, 4])).sum().backward()
    opt.step()
    emb.zero_grad()
    emb(ember.tensor([4])).sum().backward()
    opt.step()
    after = emb.weight.detach().numpy()
    untouched = [0, 2, 3, 5]
    np.testing.assert_array_equal(after[untouched], before[untouched])
    m = opt.state[emb.weight]["exp_avg"].numpy()
    assert not m[untouched].any()
    # Row 1 saw a gradient of 1 only at step 1, then kept its moments: m = 0.1, v = 0.001.
    np.testing.assert_allclose(m[1], 0.1, rtol=1e-6)
    # Row 4: gradient 2 then 1; bias-corrected Adam step of PyTorch's formula, by hand.
    m4 = 0.9 * (0.1 * 2) + 0.1 * 1
    v4 = 0.999 * (0.001 * 4) + 0.001 * 1
    step1 = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9) * (0.2 / (math.sqrt(0.004) + 1e-8))
    step2 = 0.1 * math.sqrt(1 - 0.999**2) / (1 - 0.9**2) * (m4 / (math.sqrt(v4) + 1e-8))
    np.testing.assert_allclose(after[4], before[4] - step1 - step2, rtol=1e-5)


MUON_CASES = {
    "muon-default": {},
    "muon-plain": dict(lr=0.02, nesterov=False, weight_decay=0.0, momentum=0.9),
    "muon-adamw": dict(lr=0.01, adjust_lr_fn="match_rms_adamw"),
}


@pytest.mark.parametrize("name", MUON_CASES)
def test_muon_matches_torch(name):
    shapes = [(4, 6), (6, 3)]  # a wide and a tall matrix (iterated transposed)
    traj, opt, params = _run(Muon, *_inputs(shapes, 3, 5), **MUON_CASES[name])
    # The Newton-Schulz iteration runs in bfloat16 as in PyTorch, and Ember rounds every
    # intermediate as PyTorch's CPU kernels do: the parameters agree to float32 rounding (an
    # update off by one bfloat16 step would show as lr * 2**-8 ~ 4e-6 here).
    _check(traj, name, shapes, rtol=0, atol=2e-7)
    assert opt.state[params[1]]["momentum_buffer"].shape == (6, 3)


# Two steps of a constant gradient 0.5 on ones((3, 4)): PyTorch's results per dtype, where the
# low-precision parameters round every in-place update (bfloat16 has 8 significant bits).
LOW_PRECISION = {
    (Adafactor, "bfloat16"): 0.9765625, (Adafactor, "float16"): 0.98046875,
    (Adafactor, "float64"): 0.9801,
    (ASGD, "bfloat16"): 0.9921875, (ASGD, "float16"): 0.990234375,
    (ASGD, "float64"): 0.9899980089505935,
    (Rprop, "bfloat16"): 0.9765625, (Rprop, "float16"): 0.97802734375, (Rprop, "float64"): 0.978,
    (Muon, "bfloat16"): 1.0, (Muon, "float16"): 1.0, (Muon, "float64"): 0.9993918272851564,
}


@pytest.mark.parametrize("cls, dtype", list(LOW_PRECISION),
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_parameter_dtypes_match_torch(cls, dtype):
    p = ember.ones(3, 4, dtype=getattr(ember, dtype), requires_grad=True)
    opt = cls([p])
    for _ in range(2):
        p.grad = ember.full((3, 4), 0.5, dtype=p.dtype)
        opt.step()
    assert p.dtype == getattr(ember, dtype)
    np.testing.assert_allclose(p.detach().numpy().astype(np.float64),
                               LOW_PRECISION[cls, dtype], rtol=1e-10)


def test_adafactor_zero_gradient_is_no_step():
    # The row factors' mean is 0: eps1 guards the division (R C / max(mean R, eps1)).
    p = ember.ones(3, 4, requires_grad=True)
    v = ember.ones(4, requires_grad=True)
    opt = Adafactor([p, v])
    p.grad, v.grad = ember.zeros(3, 4), ember.zeros(4)
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), np.ones((3, 4), np.float32))
    np.testing.assert_array_equal(v.detach().numpy(), np.ones(4, np.float32))


# -- NumPy references (also the blocked path of parameters over 65536 elements) -------------

def _asgd_reference(p, grads, lr, lambd, alpha, t0):
    p = p.astype(np.float64)
    ax, eta, mu = np.zeros_like(p), lr, 1.0
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax) if mu != 1 else p.copy()
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
    return p, ax


def _rprop_reference(p, grads, lr, etas, sizes):
    p = p.astype(np.float64)
    prev, size = np.zeros_like(p), np.full_like(p, lr)
    for g in grads:
        s = np.sign(g * prev)
        size = np.clip(size * np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0)), *sizes)
        g = np.where(s < 0, 0.0, g)
        p = p - np.sign(g) * size
        prev = g
    return p


@pytest.mark.parametrize("n", [7, 70_001])  # 70001 > 65536: the CPU update runs in blocks
def test_asgd_and_rprop_numpy_reference(n):
    rng = np.random.default_rng(n)
    p0 = rng.standard_normal(n).astype(np.float32)
    grads = rng.standard_normal((4, n)).astype(np.float32)
    grads[:, ::5] = 0
    traj, opt, params = _run(ASGD, [p0], [[g] for g in grads], lr=0.1, lambd=0.05, t0=1)
    p_ref, ax_ref = _asgd_reference(p0, grads, 0.1, 0.05, 0.75, 1)
    np.testing.assert_allclose(traj[-1][0], p_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.state[params[0]]["ax"].numpy(), ax_ref, rtol=1e-5, atol=1e-6)
    traj, _, _ = _run(Rprop, [p0], [[g] for g in grads], lr=0.3, step_sizes=(0.1, 0.4))
    np.testing.assert_allclose(traj[-1][0], _rprop_reference(p0, grads, 0.3, (0.5, 1.2),
                                                             (0.1, 0.4)), rtol=1e-6, atol=1e-6)


def test_rprop_complex_treats_parts_independently():
    z = ember.tensor(np.array([1 + 1j, -2 + 0.5j], np.complex64), requires_grad=True)
    opt = Rprop([z], lr=0.1)
    z.grad = ember.tensor(np.array([1 - 2j, -1 + 0j], np.complex64))
    opt.step()
    # each part moves by -lr * sign(its gradient part); a zero part does not move
    np.testing.assert_allclose(z.detach().numpy(), [0.9 + 1.1j, -1.9 + 0.5j], rtol=1e-6)
    assert opt.state[z]["step_size"].dtype == ember.complex64


def test_muon_newton_schulz_orthogonalises():
    rng = np.random.default_rng(0)
    g = rng.standard_normal((16, 40)).astype(np.float32)
    o = _zeropower_via_newtonschulz(np, g, (3.4445, -4.7750, 2.0315), 5, 1e-7)
    assert o.shape == g.shape and o.dtype == np.float32
    sv = np.linalg.svd(o.astype(np.float64), compute_uv=False)
    # the quintic leaves singular values near 1 (roughly in [0.5, 1.5]), not exactly 1
    assert sv.min() > 0.5 and sv.max() < 1.5
    # same singular vectors as G: O ~ U V^T
    u, _, vt = np.linalg.svd(g.astype(np.float64), full_matrices=False)
    assert np.abs(o - u @ vt).max() < 0.5
    assert np.corrcoef(o.ravel(), (u @ vt).ravel())[0, 1] > 0.95
    # every value it returns is a bfloat16 value
    np.testing.assert_array_equal(o, o.astype(ml_dtypes.bfloat16).astype(np.float32))


def test_round_bfloat16_is_the_bfloat16_cast():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(1000).astype(np.float32) * 10.0 ** rng.integers(
        -30, 30, 1000), np.array([0, -0.0, np.inf, -np.inf, 1 + 2**-8, 1 + 3 * 2**-8], "f4")])
    x = x.astype(np.float32)
    expected = x.astype(ml_dtypes.bfloat16).astype(np.float32)
    np.testing.assert_array_equal(_round_bfloat16(np, x.copy()), expected)
    assert np.isnan(_round_bfloat16(np, np.array([np.nan], np.float32))).all()


# -- defaults and state_dict layout (PyTorch 2.13's, recorded from torch) --------------------

def _layout(opt):
    sd = opt.state_dict()
    groups = [{k: v for k, v in g.items()} for g in sd["param_groups"]]

    def desc(v):
        if isinstance(v, ember.Tensor):
            return ("tensor", str(v.dtype).replace("ember.", ""), tuple(v.shape))
        return (type(v).__name__,)

    return groups, {k: {n: desc(v) for n, v in st.items()} for k, st in sd["state"].items()}


def _stepped(cls):
    params = [ember.zeros(3, 4, requires_grad=True), ember.zeros(4, requires_grad=True)]
    if cls is Muon:
        params = params[:1]
    opt = cls(params)
    for p in params:
        p.grad = ember.ones_like(p)
    opt.step()
    return opt


F32 = "float32"
LAYOUTS = {
    ASGD: (
        {"lr": 0.01, "lambd": 0.0001, "alpha": 0.75, "t0": 1000000.0, "weight_decay": 0,
         "foreach": None, "maximize": False, "differentiable": False, "capturable": False},
        {i: {"step": ("tensor", F32, ()), "eta": ("tensor", F32, ()),
             "mu": ("tensor", F32, ()), "ax": ("tensor", F32, s)}
         for i, s in enumerate([(3, 4), (4,)])},
    ),
    Rprop: (
        {"lr": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-06, 50), "foreach": None,
         "maximize": False, "differentiable": False, "capturable": False},
        {i: {"step": ("tensor", F32, ()), "prev": ("tensor", F32, s),
             "step_size": ("tensor", F32, s)} for i, s in enumerate([(3, 4), (4,)])},
    ),
    Adafactor: (
        {"lr": 0.01, "beta2_decay": -0.8, "eps": (None, 0.001), "d": 1.0, "weight_decay": 0.0,
         "foreach": None, "maximize": False},
        {0: {"step": ("tensor", F32, ()), "row_var": ("tensor", F32, (3, 1)),
             "col_var": ("tensor", F32, (1, 4))},
         1: {"step": ("tensor", F32, ()), "variance": ("tensor", F32, (4,))}},
    ),
    SparseAdam: (
        {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "maximize": False},
        {i: {"step": ("int",), "exp_avg": ("tensor", F32, s), "exp_avg_sq": ("tensor", F32, s)}
         for i, s in enumerate([(3, 4), (4,)])},
    ),
    Muon: (
        {"lr": 0.001, "weight_decay": 0.1, "momentum": 0.95, "nesterov": True,
         "ns_coefficients": (3.4445, -4.775, 2.0315), "eps": 1e-07, "ns_steps": 5,
         "adjust_lr_fn": None},
        {0: {"momentum_buffer": ("tensor", F32, (3, 4))}},
    ),
}


@pytest.mark.parametrize("cls", list(LAYOUTS), ids=lambda c: c.__name__)
def test_defaults_and_state_dict_layout(cls):
    groups, state = _layout(_stepped(cls))
    group, expected_state = LAYOUTS[cls]
    n = len(expected_state)
    assert groups == [{**group, "params": list(range(n))}]
    assert list(groups[0]) == [*group, "params"]  # PyTorch's key order too
    assert state == expected_state
    for i, st in state.items():  # PyTorch's key order within a parameter's state too
        assert list(st) == list(expected_state[i])


@pytest.mark.parametrize("cls", list(LAYOUTS), ids=lambda c: c.__name__)
def test_state_dict_round_trip_continues_identically(cls):
    rng = np.random.default_rng(7)
    shapes = [(3, 4), (4, 3)] if cls is Muon else [(3, 4), (4,)]
    p0 = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(6)]
    a = [ember.tensor(p, requires_grad=True) for p in p0]
    opt_a = cls(a, lr=0.05)
    for gs in grads[:3]:
        for p, g in zip(a, gs):
            p.grad = ember.tensor(g)
        opt_a.step()
    b = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in a]
    opt_b = cls(b, lr=1.0)
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.param_groups[0]["lr"] == 0.05
    for gs in grads[3:]:
        for params, opt in ((a, opt_a), (b, opt_b)):
            for p, g in zip(params, gs):
                p.grad = ember.tensor(g)
            opt.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda p: ASGD(p, lr=-1.0), ValueError, "Invalid learning rate: -1.0"),
        (lambda p: ASGD(p, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
        (lambda p: ASGD(p, differentiable=True), NotImplementedError, "differentiable"),
        (lambda p: Rprop(p, etas=(1.5, 1.2)), ValueError, "Invalid eta values: 1.5, 1.2"),
        (lambda p: Rprop(p, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
        (lambda p: Adafactor(p, lr=-1.0), ValueError, "Learning rate should be >= 0 but is: -1.0"),
        (lambda p: Adafactor(p, beta2_decay=0.5), ValueError, "beta2_decay should be <= 0"),
        (lambda p: Adafactor(p, eps=(-1.0, 1e-3)), ValueError, "epsilon1 should be >= 0"),
        (lambda p: Adafactor(p, eps=(None, -1.0)), ValueError, "epsilon2 should be >= 0"),
        (lambda p: Adafactor(p, d=0.5), ValueError, "Clipping threshold d should be >= 1"),
        (lambda p: Adafactor(p, weight_decay=-1.0), ValueError, "weight_decay should be >= 0"),
        (lambda p: SparseAdam(p, lr=0.0), ValueError, "Invalid learning rate: 0.0"),
        (lambda p: SparseAdam(p, eps=0.0), ValueError, "Invalid epsilon value: 0.0"),
        (lambda p: SparseAdam(p, betas=(0.9, 1.0)), ValueError, "beta parameter at index 1"),
        (lambda p: Muon(p, momentum=-1.0), ValueError, "momentum should be >= 0 but is: -1.0"),
        (lambda p: Muon(p, weight_decay=-1.0), ValueError, "weight decay should be >= 0"),
        (lambda p: Muon(p, adjust_lr_fn="x"), ValueError, "Adjust learning rate function x is not"),
        (lambda p: Muon([ember.zeros(3, requires_grad=True)]), ValueError,
         r"Muon only supports 2D parameters whereas we found a parameter with size"),
    ],
)
def test_invalid_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make([ember.zeros(2, 2, requires_grad=True)])


def test_step_errors():
    z = ember.zeros(2, 2, dtype=ember.complex64, requires_grad=True)
    z.grad = ember.ones_like(z)
    with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
        Adafactor([z]).step()
    with pytest.raises(ValueError, match="SparseAdam does not support complex parameters"):
        SparseAdam([z])
    w = ember.zeros(2, 2, requires_grad=True)
    w.grad = ember.ones(2, 2)
    with pytest.raises(ValueError, match="Number of steps must be less than 100"):
        Muon([w], ns_steps=100).step()


# -- PyTorch's numbers (generated once with torch 2.13 CPU; per parameter, one row per step) ---
