"""Mixed precision: ember.autocast (dtype policy per op, nesting, decorator) and GradScaler
(scaling, unscaling, skipped overflow steps, scale growth/backoff, state dicts).

Expected dtypes are PyTorch 2.13's on CPU for the same calls."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.amp import GradScaler, get_autocast_dtype, is_autocast_enabled
from ember.amp.autocast_mode import cast_inputs


def mats():
    return ember.randn(3, 3), ember.randn(3, 3)


# --- autocast ---------------------------------------------------------------------------------


def test_cpu_autocast_policy():
    a, b = mats()
    assert (a @ b).dtype == ember.float32
    with ember.autocast("cpu"):
        y = a @ b
        assert y.dtype == ember.bfloat16
        assert ember.matmul(a, b).dtype == ember.bfloat16
        assert ember.mm(a, b).dtype == ember.bfloat16
        assert ember.bmm(a[None], b[None]).dtype == ember.bfloat16
        assert ember.addmm(a, a, b).dtype == ember.bfloat16
        assert ember.baddbmm(a[None], a[None], b[None]).dtype == ember.bfloat16
        assert ember.einsum("ij,jk->ik", a, b).dtype == ember.bfloat16
        assert F.linear(a, b, ember.zeros(3)).dtype == ember.bfloat16
        assert F.conv2d(ember.randn(1, 2, 4, 4), ember.randn(3, 2, 3, 3)).dtype == ember.bfloat16
        # on CPU, sum and softmax keep their input's dtype; losses run in float32
        assert y.sum().dtype == ember.bfloat16
        assert ember.softmax(y, -1).dtype == ember.bfloat16
        assert F.mse_loss(y, y).dtype == ember.float32
        # float64 is never cast; elementwise ops promote as usual
        assert (a.double() @ b.double()).dtype == ember.float64
        assert (y + a).dtype == ember.float32
    assert (a @ b).dtype == ember.float32


def test_nested_disabled_and_dtype_override():
    a, b = mats()
    with ember.autocast("cpu"):
        with ember.autocast("cpu", enabled=False):
            assert (a @ b).dtype == ember.float32
            assert not is_autocast_enabled("cpu")
        with ember.autocast("cpu", dtype=ember.float16):
            assert (a @ b).dtype == ember.float16 and get_autocast_dtype("cpu") == ember.float16
        assert (a @ b).dtype == ember.bfloat16 and is_autocast_enabled("cpu")
        assert get_autocast_dtype("cpu") == ember.bfloat16
    assert not is_autocast_enabled("cpu")


def test_decorator_and_aliases():
    a, b = mats()

    @ember.autocast("cpu")
    def f(x, y):
        return x @ y

    assert f(a, b).dtype == ember.bfloat16 and (a @ b).dtype == ember.float32
    with ember.cpu.amp.autocast():
        assert (a @ b).dtype == ember.bfloat16
    assert ember.amp.autocast is ember.autocast


def test_gradients_reach_float32_parameters():
    w = ember.randn(3, 2, requires_grad=True)
    x = ember.randn(4, 3)
    with ember.autocast("cpu"):
        out = x @ w
    out.float().sum().backward()
    assert w.grad.dtype == ember.float32
    # d sum(x w) / dw = x^T 1, up to bfloat16 rounding of x and w
    np.testing.assert_allclose(w.grad.numpy(), np.repeat(x.numpy().sum(0)[:, None], 2, 1),
                               rtol=2e-2, atol=2e-2)


def test_unsupported_dtype_and_device():
    a, b = mats()
    with pytest.warns(UserWarning, match="not supported. Disabling"):
        ctx = ember.autocast("cpu", dtype=ember.float32)
    with ctx:
        assert (a @ b).dtype == ember.float32
    with pytest.raises(RuntimeError, match="unsupported device_type 'xpu'"):
        ember.autocast("xpu")
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            ctx = ember.autocast("cuda")
        with ctx:
            assert not is_autocast_enabled("cuda") and (a @ b).dtype == ember.float32


def test_cast_inputs_leaves_non_listed_ops_and_non_tensors():
    a, b = mats()
    with ember.autocast("cpu"):
        x, y, n = cast_inputs("matmul", a, b, None)
        assert x.dtype == y.dtype == ember.bfloat16 and n is None
        assert cast_inputs("relu", a)[0] is a
        assert cast_inputs("matmul", ember.ones(2, dtype=ember.int64))[0].dtype == ember.int64
    assert cast_inputs("matmul", a)[0] is a


def _inputs(dtype):
    """The probe inputs of the table below, in ``dtype`` (integer targets stay int64)."""
    g = np.random.default_rng(0)

    def t(*shape, low=-1.0, high=1.0):
        return ember.tensor(g.uniform(low, high, shape).astype(np.float32)).to(dtype)

    signs = ember.tensor([1.0, -1.0, 1.0, -1.0]).to(dtype)
    return {
        "x": t(4, 5), "y": t(4, 5), "p": t(4, 5, low=0.05, high=0.95), "v": t(4), "s": signs,
        "sy": ember.tensor(np.sign(g.uniform(-1, 1, (4, 5))).astype(np.float32)).to(dtype),
        "cls": ember.tensor([0, 3, 1, 4]), "img": t(2, 4, 3),
        "lp": t(6, 2, 5).log_softmax(-1),
        "labels": ember.tensor([[1, 2, -1, 0, 0]] * 4),
    }


# (op, call, dtype in an autocast("cpu") region for float32 inputs, for bfloat16 inputs): the
# dtypes PyTorch 2.13 returns under torch.autocast("cpu") for the same calls
_F32, _BF16 = ember.float32, ember.bfloat16
_POLICY = [
    ("cross_entropy", lambda d: F.cross_entropy(d["x"], d["cls"]), _F32, _F32),
    ("cross_entropy_probs", lambda d: F.cross_entropy(d["x"], d["p"]), _F32, _F32),
    ("nll_loss", lambda d: F.nll_loss(d["x"], d["cls"]), _F32, _F32),
    ("l1_loss", lambda d: F.l1_loss(d["x"], d["y"]), _F32, _F32),
    ("smooth_l1_loss", lambda d: F.smooth_l1_loss(d["x"], d["y"]), _F32, _F32),
    ("huber_loss", lambda d: F.huber_loss(d["x"], d["y"]), _F32, _F32),
    ("mse_loss", lambda d: F.mse_loss(d["x"], d["y"]), _F32, _F32),
    ("binary_cross_entropy", lambda d: F.binary_cross_entropy(d["p"], d["p"]), _F32, _F32),
    ("bce_with_logits", lambda d: F.binary_cross_entropy_with_logits(d["x"], d["p"]), _F32,
     _F32),
    ("kl_div", lambda d: F.kl_div(d["x"], d["p"], reduction="batchmean"), _F32, _F32),
    ("soft_margin_loss", lambda d: F.soft_margin_loss(d["x"], d["sy"]), _F32, _F32),
    ("margin_ranking_loss", lambda d: F.margin_ranking_loss(d["v"], 2 * d["v"], d["s"]), _F32,
     _F32),
    ("hinge_embedding_loss", lambda d: F.hinge_embedding_loss(d["x"], d["sy"]), _F32, _F32),
    ("poisson_nll_loss", lambda d: F.poisson_nll_loss(d["x"], d["p"]), _F32, _F32),
    ("cosine_embedding_loss", lambda d: F.cosine_embedding_loss(d["x"], d["y"], d["s"]), _F32,
     _F32),
    ("multilabel_margin_loss", lambda d: F.multilabel_margin_loss(d["x"], d["labels"]), _F32,
     _F32),
    ("multi_margin_loss", lambda d: F.multi_margin_loss(d["x"], d["cls"]), _F32, _F32),
    ("triplet_margin_loss", lambda d: F.triplet_margin_loss(d["x"], d["y"], d["p"]), _F32,
     _F32),
    ("ctc_loss", lambda d: F.ctc_loss(d["lp"], ember.tensor([[1, 2], [3, 3]]), [6, 6], [2, 2]),
     _F32, _F32),
    # on neither list: the input's dtype
    ("gaussian_nll_loss", lambda d: F.gaussian_nll_loss(d["x"], d["y"], d["p"]), _F32, _BF16),
    ("multilabel_soft_margin_loss",
     lambda d: F.multilabel_soft_margin_loss(d["x"], (d["p"] > 0.5).to(d["x"].dtype)), _F32,
     _BF16),
    ("triplet_margin_with_distance_loss",
     lambda d: F.triplet_margin_with_distance_loss(d["x"], d["y"], d["p"]), _F32, _BF16),
    # CUDA's fp32 list only (and batch_norm on no list): unchanged on CPU
    ("softmax", lambda d: F.softmax(d["x"], -1), _F32, _BF16),
    ("log_softmax", lambda d: F.log_softmax(d["x"], -1), _F32, _BF16),
    ("softmin", lambda d: F.softmin(d["x"], -1), _F32, _BF16),
    ("layer_norm", lambda d: F.layer_norm(d["x"], (5,), ember.ones(5), ember.zeros(5)), _F32,
     _BF16),
    ("group_norm", lambda d: F.group_norm(d["img"], 2), _F32, _BF16),
    ("batch_norm", lambda d: F.batch_norm(d["img"], ember.zeros(4), ember.ones(4)), _F32, _BF16),
    # CPU's lower-precision list: down to bfloat16 even from float32 (float32 weight too)
    ("prelu", lambda d: F.prelu(d["x"], ember.tensor([0.25])), _BF16, _BF16),
]


@pytest.mark.parametrize("name,call,from_f32,from_bf16", _POLICY, ids=[c[0] for c in _POLICY])
def test_op_policy_matches_pytorch(name, call, from_f32, from_bf16):
    f32, bf16 = _inputs(ember.float32), _inputs(ember.bfloat16)
    with ember.autocast("cpu"):
        got_f32, got_bf16 = call(f32), call(bf16)
    assert got_f32.dtype == from_f32 and got_bf16.dtype == from_bf16
    # outside a region nothing changes: float32 stays float32
    assert call(f32).dtype == _F32
    if from_bf16 == _F32:
        # the cast happens at the entry: the bfloat16 inputs, upcast exactly, give the float32
        # loss computed outside autocast (not a bfloat16 loss cast up at the end)
        up = {k: v.float() if v.is_floating_point() else v for k, v in bf16.items()}
        np.testing.assert_allclose(got_bf16.numpy(), call(up).numpy(), rtol=1e-6, atol=1e-7)
        assert call(bf16).dtype == _BF16  # and stays bfloat16 outside a region


def test_autocast_region_gradients_reach_bfloat16_leaves_in_their_dtype():
    x = ember.randn(4, 5).bfloat16().requires_grad_()
    with ember.autocast("cpu"):
        loss = F.cross_entropy(x, ember.tensor([0, 1, 2, 3]))
    loss.backward()
    assert loss.dtype == ember.float32 and x.grad.dtype == ember.bfloat16
    # d CE / dx = (softmax(x) - onehot) / N, here from the float32 computation
    xf = x.detach().float().numpy()
    sm = np.exp(xf - xf.max(1, keepdims=True))
    sm /= sm.sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.float().numpy(), (sm - np.eye(4, 5)) / 4, atol=4e-3)


@pytest.fixture
def fake_cuda_region(monkeypatch):
    """A CUDA autocast region on CPU tensors: the policy code only sees the device type."""
    import ember.amp.autocast_mode as am

    monkeypatch.setitem(am._STATE.enabled, "cuda", True)
    monkeypatch.setattr(am._STATE, "any", True)
    monkeypatch.setattr(am, "_device_type_of", lambda args: "cuda")


def test_cuda_policy_keeps_softmax_and_norms_in_float32(fake_cuda_region):
    x = ember.randn(2, 4, 3).bfloat16()
    assert F.softmax(x, -1).dtype == ember.float32
    assert F.log_softmax(x, -1).dtype == ember.float32
    assert F.layer_norm(x, (3,)).dtype == ember.float32
    assert F.group_norm(x, 2).dtype == ember.float32
    assert F.batch_norm(x, None, None, training=True).dtype == ember.bfloat16
    assert F.l1_loss(x, x).dtype == ember.float32
    assert (x.float() @ x.float().transpose(1, 2)).dtype == ember.float16
    # deliberately not wired (hot elementwise paths): exp keeps bfloat16 in Ember
    assert x.exp().dtype == ember.bfloat16
    # PyTorch bans binary_cross_entropy under CUDA autocast
    p = ember.rand(3)
    with pytest.raises(RuntimeError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(p, p)
    assert F.binary_cross_entropy_with_logits(p.bfloat16(), p).dtype == ember.float32


# --- GradScaler -------------------------------------------------------------------------------


def test_float16_training_skips_overflow_and_adapts_scale():
    """A float16 forward whose scaled gradient overflows float16 at scale 2**16 (65536 >
    65504, the float16 maximum) but not at 2**15: the scale backs off on overflow, grows after
    `growth_interval` clean steps, and the parameters change only on clean steps."""
    w = ember.nn.Parameter(ember.ones(2, 2))
    opt = ember.optim.SGD([w], lr=0.1)
    scaler = GradScaler("cpu", growth_interval=2)
    x = ember.ones(1, 2)
    scales, weights = [], []
    for _ in range(4):
        opt.zero_grad()
        loss = (x.half() @ w.half()).sum()  # dloss/dout = scale, in float16
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        weights.append(float(w.detach()[0, 0]))
    assert scales == [32768.0, 32768.0, 65536.0, 32768.0]
    np.testing.assert_allclose(weights, [1.0, 0.9, 0.8, 0.8], rtol=1e-6)
    assert scaler._get_growth_tracker() == 0


def test_unscale_before_clipping_and_stage_errors():
    w = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = ember.optim.SGD([w], lr=1.0)
    scaler = GradScaler("cpu", init_scale=8.0)
    scaler.scale((w * w).sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [16.0, 32.0])  # 8 * 2w
    scaler.unscale_(opt)
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)  # does not unscale twice
    np.testing.assert_allclose(w.detach().numpy(), [-1.0, -2.0])
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    scaler.update()
    assert scaler.get_scale() == 8.0 and scaler._get_growth_tracker() == 1


def test_scaler_errors_and_fp16_grads():
    scaler = GradScaler("cpu", init_scale=4.0)
    opt = ember.optim.SGD([ember.nn.Parameter(ember.ones(1))], lr=1.0)
    with pytest.raises(RuntimeError, match="_scale is None"):
        scaler.step(opt)
    w16 = ember.nn.Parameter(ember.ones(2, dtype=ember.float16))
    opt16 = ember.optim.SGD([w16], lr=1.0)
    scaler.scale(w16.sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(opt16)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: None)
    with pytest.raises(ValueError, match="growth factor"):
        GradScaler("cpu", growth_factor=1.0)


def test_scale_structures_and_update_new_scale():
    scaler = GradScaler("cpu", init_scale=4.0)
    t = ember.tensor([1.0, 2.0])
    a, (b, c) = scaler.scale([t, (t, t)])
    assert a.tolist() == [4.0, 8.0] and isinstance(scaler.scale((t,)), tuple)
    assert c.tolist() == [4.0, 8.0]
    scaler.update(new_scale=2.0)
    assert scaler.get_scale() == 2.0
    scaler.update(new_scale=ember.tensor(16.0))
    assert scaler.get_scale() == 16.0
    with pytest.raises(AssertionError, match="No inf checks"):
        scaler.update()


def test_state_dict_round_trip():
    scaler = GradScaler("cpu", init_scale=1024.0, growth_interval=7)
    assert scaler.state_dict() == {"scale": 1024.0, "growth_factor": 2.0,
                                   "backoff_factor": 0.5, "growth_interval": 7,
                                   "_growth_tracker": 0}
    other = GradScaler("cpu")
    other.load_state_dict({"scale": 32.0, "growth_factor": 3.0, "backoff_factor": 0.25,
                           "growth_interval": 5, "_growth_tracker": 2})
    assert other.get_scale() == 32.0 and other.get_growth_factor() == 3.0
    assert other.get_backoff_factor() == 0.25 and other.get_growth_interval() == 5
    assert other.scale(ember.tensor(1.0)).item() == 32.0 and other._get_growth_tracker() == 2
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        other.load_state_dict({})


def test_disabled_scaler_is_pass_through():
    w = ember.nn.Parameter(ember.ones(1))
    opt = ember.optim.SGD([w], lr=1.0)
    scaler = GradScaler("cpu", enabled=False)
    loss = (w * 3).sum()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
    loss.backward()
    scaler.step(opt)
    scaler.update()
    assert w.item() == -2.0 and scaler.state_dict() == {} and not scaler.is_enabled()
    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            assert not GradScaler().is_enabled()


def test_attention_distance_and_grid_sample_follow_the_cpu_lists():
    # dtypes PyTorch 2.13 returns inside torch.autocast("cpu") (recorded with the reference
    # build): attention computes in bfloat16, cdist and grid_sample in float32
    import ember.nn.functional as F

    q = ember.randn(1, 2, 4, 8)
    image, grid = ember.randn(1, 1, 4, 4).bfloat16(), ember.zeros(1, 4, 4, 2).bfloat16()
    with ember.autocast("cpu"):
        assert F.scaled_dot_product_attention(q, q, q).dtype == ember.bfloat16
        assert ember.cdist(q[0].bfloat16(), q[0].bfloat16()).dtype == ember.float32
        assert F.grid_sample(image, grid, align_corners=False).dtype == ember.float32
    assert F.scaled_dot_product_attention(q, q, q).dtype == ember.float32
    assert F.grid_sample(image, grid, align_corners=False).dtype == ember.bfloat16
