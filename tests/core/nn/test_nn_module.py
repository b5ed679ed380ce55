"""nn.Module and nn.Parameter: registration, naming, state_dict, modes, dtype moves, hooks,
printing and copying. Expected values are literals or hand-computed gradients."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.modules.module import _IncompatibleKeys


class Affine(nn.Module):
    """y = x * weight + bias (elementwise), with a persistent and a non-persistent buffer."""

    def __init__(self, n=3, bias=True):
        super().__init__()
        self.n = n
        self.weight = nn.Parameter(ember.arange(1.0, n + 1.0))
        if bias:
            self.bias = nn.Parameter(ember.zeros(n))
        else:
            self.register_parameter("bias", None)
        self.register_buffer("running", ember.zeros(n))
        self.register_buffer("scratch", ember.ones(n), persistent=False)

    def forward(self, x):
        out = x * self.weight
        return out if self.bias is None else out + self.bias

    def extra_repr(self):
        return f"n={self.n}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Affine(3)
        self.b = Affine(3, bias=False)
        self.shared = self.a  # the same module twice: its parameters are counted once
        self.register_buffer("steps", ember.tensor(0))

    def forward(self, x):
        return self.b(self.a(x))


def np_of(t):
    return t.detach().numpy()


# -- Parameter and Buffer ---------------------------------------------------------------------


def test_parameter_shares_memory_and_is_leaf():
    data = ember.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    data.numpy()[0] = 5.0
    assert p.detach().numpy()[0] == 5.0
    assert type(p * 2) is ember.Tensor  # ops on a Parameter give plain tensors
    assert nn.Parameter(ember.ones(1), requires_grad=False).requires_grad is False
    assert nn.Parameter().shape == (0,)


def test_parameter_repr():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_parameter_of_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point and complex"):
        nn.Parameter(ember.tensor([1, 2]))
    assert nn.Parameter(ember.tensor([1, 2]), requires_grad=False).dtype == ember.int64


def test_parameter_deepcopy_and_pickle_give_parameters():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    p.grad = ember.ones(2)
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad and q is not p
        np.testing.assert_array_equal(np_of(q), [1.0, 2.0])
        q.detach().numpy()[0] = 9.0  # independent memory
    assert np_of(p)[0] == 1.0
    assert copy.deepcopy(p).grad is None  # PyTorch does not copy .grad either


def test_buffer_marks_persistence():
    m = nn.Module()
    m.steps = nn.Buffer(ember.tensor(3), persistent=False)
    m.mean = nn.Buffer(ember.zeros(2))
    assert [n for n, _ in m.named_buffers()] == ["steps", "mean"]
    assert list(m.state_dict()) == ["mean"]


def test_uninitialized_parameter_raises_until_materialized():
    p = nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        _ = p.shape
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        p.numel()
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.requires_grad


# -- registration and naming ------------------------------------------------------------------


def test_named_members_nested_and_shared_counted_once():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["a.weight", "a.bias", "b.weight"]
    assert [n for n, _ in net.named_buffers()] == [
        "steps",
        "a.running",
        "a.scratch",
        "b.running",
        "b.scratch",
    ]
    assert [n for n, _ in net.named_modules()] == ["", "a", "b"]
    assert [n for n, _ in net.named_children()] == ["a", "b"]
    assert len(list(net.parameters())) == 3
    assert [n for n, _ in net.named_parameters(prefix="net")][0] == "net.a.weight"
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    names = [n for n, _ in net.named_parameters(remove_duplicate=False)]
    assert names == ["a.weight", "a.bias", "b.weight", "shared.weight", "shared.bias"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "a", "b", "shared"]


def test_same_parameter_in_two_modules_counted_once():
    net = Net()
    net.b.weight = net.a.weight
    assert [n for n, _ in net.named_parameters()] == ["a.weight", "a.bias"]


def test_attribute_routing_and_deletion():
    m = Affine()
    assert m.weight is m._parameters["weight"]
    assert m.running is m._buffers["running"]
    assert "weight" not in m.__dict__
    m.bias = None  # a registered parameter slot may be cleared
    assert m._parameters["bias"] is None and m.bias is None
    m.running = ember.ones(3)  # assigning a Tensor to a buffer name replaces the buffer
    np.testing.assert_array_equal(np_of(m._buffers["running"]), [1, 1, 1])
    m.scratch = ember.zeros(1)  # keeps being non-persistent
    assert "scratch" not in m.state_dict()
    del m.weight, m.running
    assert "weight" not in m._parameters and "running" not in m._buffers
    with pytest.raises(AttributeError, match="'Affine' object has no attribute 'weight'"):
        _ = m.weight
    m.sub = Affine()
    m.sub = None
    assert m._modules["sub"] is None and list(m.children()) == []


def test_registration_errors():
    m = Affine()
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' as parameter 'weight'"):
        m.weight = ember.ones(3)
    with pytest.raises(KeyError, match=r'contain "\."'):
        m.register_parameter("a.b", nn.Parameter(ember.ones(1)))
    with pytest.raises(KeyError, match="be empty string"):
        m.register_buffer("", ember.ones(1))
    with pytest.raises(KeyError, match="attribute 'n' already exists"):
        m.register_buffer("n", ember.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'x'"):
        m.register_buffer("x", 3)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    non_leaf = nn.Parameter(ember.ones(1))
    non_leaf.grad_fn = (non_leaf * 2).grad_fn  # a Parameter that is the result of an op
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", non_leaf)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()


def test_module_init_rejects_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        nn.Module(foo=1)


def test_lookup_by_path():
    net = Net()
    assert net.get_submodule("a") is net.a and net.get_submodule("") is net
    assert net.get_parameter("a.weight") is net.a.weight
    assert net.get_buffer("b.running") is net.b.running
    with pytest.raises(AttributeError, match="Affine has no attribute `c`"):
        net.get_submodule("a.c")
    with pytest.raises(AttributeError, match="`running` is not an nn.Parameter"):
        net.get_parameter("a.running")
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("a.weight")
    net.set_submodule("b", Affine(2))
    assert net.b.n == 2


def test_dir_lists_registered_names():
    names = dir(Affine())
    assert {"weight", "bias", "running", "forward", "n"} <= set(names)


# -- state_dict -------------------------------------------------------------------------------


def test_state_dict_keys_values_and_metadata():
    net = Net()
    sd = net.state_dict()
    assert type(sd) is OrderedDict
    # PyTorch's order: own params, own buffers, then children (duplicates under both names)
    assert list(sd) == [
        "steps",
        "a.weight",
        "a.bias",
        "a.running",
        "b.weight",
        "b.running",
        "shared.weight",
        "shared.bias",
        "shared.running",
    ]
    w = sd["a.weight"]
    assert type(w) is ember.Tensor and not w.requires_grad
    w.numpy()[0] = 42.0  # detached but sharing memory with the parameter
    assert np_of(net.a.weight)[0] == 42.0
    assert sd._metadata[""] == {"version": 1} and "a" in sd._metadata
    assert net.state_dict(keep_vars=True)["a.weight"] is net.a.weight
    assert list(net.a.state_dict(prefix="x.")) == ["x.weight", "x.bias", "x.running"]


def test_load_state_dict_copies_into_existing_memory_with_cast():
    m = Affine()
    weight = m.weight
    keys = m.load_state_dict(
        {
            "weight": ember.tensor([7.0, 8.0, 9.0], dtype=ember.float64),
            "bias": ember.tensor([1.0, 1.0, 1.0]),
            "running": ember.tensor([2.0, 2.0, 2.0]),
        }
    )
    assert keys == _IncompatibleKeys([], []) and repr(keys) == "<All keys matched successfully>"
    assert m.weight is weight and m.weight.dtype == ember.float32 and m.weight.requires_grad
    np.testing.assert_array_equal(np_of(m.weight), [7.0, 8.0, 9.0])
    np.testing.assert_array_equal(np_of(m.running), [2.0, 2.0, 2.0])


def test_load_state_dict_roundtrip_between_models():
    src, dst = Net(), Net()
    src.a.weight.detach().numpy()[:] = [3.0, 4.0, 5.0]
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(np_of(dst.a.weight), [3.0, 4.0, 5.0])


def test_load_state_dict_strict_error_message():
    m = Affine()
    bad = {"weight": ember.zeros(2), "running": ember.zeros(3), "extra": ember.zeros(1)}
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(bad)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Affine:\n"
        '\tMissing key(s) in state_dict: "bias". \n'
        '\tUnexpected key(s) in state_dict: "extra". \n'
        "\tsize mismatch for weight: copying a param with shape ember.Size([2]) from "
        "checkpoint, the shape in current model is ember.Size([3])."
    )


def test_load_state_dict_non_strict_reports_keys_but_still_checks_shapes():
    net = Net()
    result = net.load_state_dict({"a.weight": ember.ones(3), "a.zzz": ember.ones(1)}, strict=False)
    assert result.unexpected_keys == ["a.zzz"]
    # as in PyTorch, a module reachable under two names is loaded (and reported) under both
    assert result.missing_keys == [
        "steps",
        "a.bias",
        "a.running",
        "b.weight",
        "b.running",
        "shared.weight",
        "shared.bias",
        "shared.running",
    ]
    np.testing.assert_array_equal(np_of(net.a.weight), [1.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="size mismatch for a.weight"):
        net.load_state_dict({"a.weight": ember.ones(4)}, strict=False)


def test_load_state_dict_strict_nested_lists_missing_and_unexpected():
    with pytest.raises(RuntimeError) as info:
        Net().load_state_dict({"a.weight": ember.ones(3), "c.w": ember.ones(1)})
    text = str(info.value)
    assert text.startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s)")
    assert '"steps", "a.bias", "a.running", "b.weight"' in text
    assert 'Unexpected key(s) in state_dict: "c.w". ' in text


def test_load_state_dict_assign_replaces_tensors():
    m = Affine()
    new_w = ember.tensor([5.0, 6.0, 7.0])
    m.load_state_dict(
        {"weight": new_w, "bias": ember.zeros(3), "running": ember.zeros(3)}, assign=True
    )
    assert type(m.weight) is nn.Parameter and m.weight.requires_grad
    new_w.numpy()[0] = 0.0  # the module now uses the given tensor's memory
    assert np_of(m.weight)[0] == 0.0


def test_load_state_dict_type_errors():
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        Affine().load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight"'):
        Affine().load_state_dict({"weight": [1.0, 2.0, 3.0]}, strict=False)


def test_save_and_load_overrides_and_extra_state():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = 0
            self.w = nn.Parameter(ember.zeros(1))

        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "count"] = ember.tensor(self.count)

        def _load_from_state_dict(self, state_dict, prefix, *args):
            key = prefix + "count"
            if key in state_dict:
                self.count = int(state_dict.pop(key).item())
            super()._load_from_state_dict(state_dict, prefix, *args)

        def get_extra_state(self):
            return {"note": "hi"}

        def set_extra_state(self, state):
            self.note = state["note"]

    src = Counter()
    src.count = 5
    holder = nn.Module()
    holder.c = src
    sd = holder.state_dict()
    assert list(sd) == ["c.w", "c._extra_state", "c.count"]
    dst = nn.Module()
    dst.c = Counter()
    assert dst.load_state_dict(sd) == _IncompatibleKeys([], [])
    assert dst.c.count == 5 and dst.c.note == "hi"


def test_state_dict_and_load_hooks():
    m = Affine()
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append(("pre", prefix)))

    def post(mod, sd, prefix, meta):
        sd[prefix + "added"] = ember.ones(1)

    m.register_state_dict_post_hook(post)
    assert "added" in m.state_dict() and calls == [("pre", "")]

    def load_pre(mod, sd, prefix, *rest):
        sd.pop(prefix + "added", None)

    m.register_load_state_dict_pre_hook(load_pre)
    m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
    assert m.load_state_dict(m.state_dict()) == _IncompatibleKeys([], [])


# -- modes, dtypes, devices -------------------------------------------------------------------


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.a.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.a.train()
    assert net.a.training and not net.b.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_to_dtype_keeps_parameter_identity_and_integer_buffers():
    net = Net()
    w = net.a.weight
    w.grad = ember.ones(3)
    assert net.to(ember.float64) is net
    assert net.a.weight is w and type(w) is nn.Parameter and w.requires_grad
    assert w.dtype == ember.float64 and w.grad.dtype == ember.float64
    assert net.a.running.dtype == ember.float64
    assert net.steps.dtype == ember.int64  # only floating tensors are cast
    net.half()
    assert w.dtype == ember.float16 and net.steps.dtype == ember.int64
    net.float()
    assert w.dtype == ember.float32
    net.bfloat16()
    assert w.dtype == ember.bfloat16
    net.to(dtype=ember.float32)
    np.testing.assert_array_equal(np_of(w), [1.0, 2.0, 3.0])
    net.type(ember.float64)  # Module.type casts every tensor, integer ones too
    assert net.steps.dtype == ember.float64
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes"):
        net.to(ember.int32)
    assert net.to("cpu") is net and net.cpu() is net and net.a.weight is w


def test_to_tensor_argument_and_double():
    m = Affine()
    m.to(ember.zeros(1, dtype=ember.float64))
    assert m.weight.dtype == ember.float64
    m.float().double()
    assert m.bias.dtype == ember.float64


def test_zero_grad_requires_grad_and_apply():
    m = Affine()
    m.weight.grad = ember.ones(3)
    grad = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is grad
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0, 0.0])
    m.zero_grad()
    assert m.weight.grad is None
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    assert Net().apply(lambda mod: seen.append(type(mod).__name__)).__class__ is Net
    assert seen == ["Affine", "Affine", "Net"]  # children first


# -- calling and hooks ------------------------------------------------------------------------


def test_call_runs_forward_and_missing_forward_raises():
    out = Affine()(ember.tensor([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(np_of(out), [1.0, 2.0, 3.0])
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing the required"):
        nn.Module()(1)


def test_forward_pre_hook_modifies_input_and_hook_replaces_output():
    m = Affine()
    x = ember.tensor([1.0, 1.0, 1.0])
    order = []

    def double_input(mod, args):
        order.append("pre")
        return args[0] * 2  # a non-tuple return is wrapped into (value,)

    def add_ten(mod, args, output):
        order.append("post")
        return output + 10

    h1 = m.register_forward_pre_hook(double_input)
    h2 = m.register_forward_hook(add_ten)
    np.testing.assert_array_equal(np_of(m(x)), [12.0, 14.0, 16.0])
    assert order == ["pre", "post"]
    h1.remove()
    h1.remove()  # removing twice is harmless
    np.testing.assert_array_equal(np_of(m(x)), [11.0, 12.0, 13.0])
    h2.remove()
    np.testing.assert_array_equal(np_of(m(x)), [1.0, 2.0, 3.0])


def test_hook_order_prepend_and_kwargs():
    m = Affine()
    order = []
    m.register_forward_hook(lambda *a: order.append("first"))
    m.register_forward_hook(lambda *a: order.append("prepended"), prepend=True)

    def kw_pre(mod, args, kwargs):
        order.append(("kw", tuple(kwargs)))
        return args, kwargs

    m.register_forward_pre_hook(kw_pre, with_kwargs=True)
    seen = {}
    m.register_forward_hook(lambda mod, a, kw, out: seen.update(kw), with_kwargs=True)

    class KW(Affine):
        def forward(self, x, scale=1.0):
            return super().forward(x) * scale

    m.__class__ = KW
    m(ember.ones(3), scale=2.0)
    assert order == [("kw", ("scale",)), "prepended", "first"]
    assert seen == {"scale": 2.0}


def test_hook_handle_as_context_manager():
    m = Affine()
    calls = []
    with m.register_forward_hook(lambda *a: calls.append(1)):
        m(ember.ones(3))
    m(ember.ones(3))
    assert calls == [1]


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert calls == ["always"]


def test_global_forward_hooks():
    from ember.nn.modules import module as module_mod

    seen = []
    h = module_mod.register_module_forward_hook(lambda mod, a, out: seen.append(type(mod)))
    try:
        Net()(ember.ones(3))
    finally:
        h.remove()
    assert seen == [Affine, Affine, Net]
    Net()(ember.ones(3))
    assert len(seen) == 3


def test_full_backward_hook_receives_hand_computed_gradients():
    # out = (x * w + b) * y, loss = sum(out * c) with y a second tensor input
    class Mul2(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ember.tensor([2.0, 3.0]))

        def forward(self, x, y, flag):
            return x * self.w * y, x + y

    m = Mul2()
    records = []
    m.register_full_backward_pre_hook(lambda mod, go: records.append(("pre", go)))
    m.register_full_backward_hook(lambda mod, gi, go: records.append(("hook", gi, go)))
    x = ember.tensor([1.0, 4.0], requires_grad=True)
    y = ember.tensor([5.0, 7.0])
    c = ember.tensor([1.0, 10.0])
    out, _ = m(x, y, "flag")
    (out * c).backward(ember.ones(2))
    (kind, go), (kind2, gi, go2) = records
    assert (kind, kind2) == ("pre", "hook")
    # grad_output: d loss / d out = c; the unused second output has None
    np.testing.assert_array_equal(np_of(go[0]), [1.0, 10.0])
    assert go[1] is None and go2[1] is None
    # grad_input: d loss / d x = c * w * y; y (no grad) gets zeros; "flag" (no tensor) None
    np.testing.assert_array_equal(np_of(gi[0]), [10.0, 210.0])
    np.testing.assert_array_equal(np_of(gi[1]), [0.0, 0.0])
    assert gi[2] is None
    np.testing.assert_array_equal(np_of(x.grad), [10.0, 210.0])
    np.testing.assert_array_equal(np_of(m.w.grad), [5.0, 280.0])  # c * x * y


def test_full_backward_hook_can_replace_grad_input_and_pre_hook_grad_output():
    m = Affine(2)
    x = ember.tensor([1.0, 1.0], requires_grad=True)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 100,))
    m(x).backward(ember.ones(2))
    # d out/d x = w = [1, 2]; grad_output tripled -> [3, 6]; then +100
    np.testing.assert_array_equal(np_of(x.grad), [103.0, 106.0])
    np.testing.assert_array_equal(np_of(m.weight.grad), [3.0, 3.0])  # uses tripled grad_output


def test_full_backward_hook_when_no_input_requires_grad_and_removal():
    m = Affine(2)
    records = []
    h = m.register_full_backward_hook(lambda mod, gi, go: records.append((gi, go)))
    m(ember.ones(2)).backward(ember.tensor([1.0, 2.0]))
    ((gi, go),) = records
    assert gi == (None,)
    np.testing.assert_array_equal(np_of(go[0]), [1.0, 2.0])
    h.remove()
    m(ember.ones(2)).backward(ember.ones(2))
    assert len(records) == 1


def test_full_and_legacy_backward_hooks_cannot_mix():
    m = Affine()
    m.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks"):
        m.register_backward_hook(lambda *a: None)


# -- printing and copying ---------------------------------------------------------------------


def test_repr_nested():
    assert repr(Net()) == "\n".join(
        [
            "Net(",
            "  (a): Affine(n=3)",
            "  (b): Affine(n=3)",
            "  (shared): Affine(n=3)",
            ")",
        ]
    )
    outer = nn.Module()
    outer.inner = Net()
    outer.add_module("empty", None)
    assert repr(outer) == (
        "Module(\n"
        "  (inner): Net(\n"
        "    (a): Affine(n=3)\n"
        "    (b): Affine(n=3)\n"
        "    (shared): Affine(n=3)\n"
        "  )\n"
        "  (empty): None\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"


def test_deepcopy_and_pickle_module():
    net = Net()
    net.a.weight.detach().numpy()[:] = [4.0, 5.0, 6.0]
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert type(clone) is Net and clone.a is clone.shared  # sharing is preserved
        assert type(clone.a.weight) is nn.Parameter and clone.a.weight is not net.a.weight
        np.testing.assert_array_equal(np_of(clone.a.weight), [4.0, 5.0, 6.0])
        assert list(clone.state_dict()) == list(net.state_dict())
        assert "scratch" in clone.a._non_persistent_buffers_set
        clone.a.weight.detach().numpy()[0] = 0.0
        np.testing.assert_array_equal(np_of(clone(ember.ones(3))), [0.0, 10.0, 18.0])
    assert np_of(net.a.weight)[0] == 4.0


def test_share_memory_is_noop():
    net = Net()
    assert net.share_memory() is net


def test_to_device_keeps_identity_and_loads_across_devices(device):
    m = Affine()
    w = m.weight
    m.to(device)
    assert m.weight is w and w.device.type == device and m.running.device.type == device
    out = m(ember.ones(3, device=device))
    np.testing.assert_array_equal(out.detach().cpu().numpy(), [1.0, 2.0, 3.0])
    cpu_state = {k: v.cpu() * 0 + 5 for k, v in Affine().state_dict().items()}
    m.load_state_dict(cpu_state)  # copied onto the module's device
    assert w.device.type == device
    np.testing.assert_array_equal(w.detach().cpu().numpy(), [5.0, 5.0, 5.0])
    m.cpu()
    assert w.device.type == "cpu"
