"""Runtime settings (ember._settings): print options, threads, default device, switches,
frombuffer, device modules, set_default_tensor_type and compile."""

import numpy as np
import pytest

import ember


@pytest.fixture(autouse=True)
def _restore():
    """Each test leaves the process-wide settings as it found them."""
    dtype = ember.get_default_dtype()
    precision = ember.get_float32_matmul_precision()
    yield
    ember.set_printoptions(profile="default")
    ember.set_default_dtype(dtype)
    ember.set_default_device(None)
    ember.set_float32_matmul_precision(precision)
    ember.use_deterministic_algorithms(False)
    ember.set_warn_always(False)
    ember.set_anomaly_enabled(False)


# --- printing (literal outputs of PyTorch 2.13 for the same calls) ---------------------------


def test_printoptions_precision_and_sci_mode():
    ember.set_printoptions(precision=2)
    assert repr(ember.tensor([1.23456, 2.0])) == "tensor([1.23, 2.00])"
    ember.set_printoptions(sci_mode=True)  # precision stays 2: only given options change
    assert repr(ember.tensor([1.23456, 2.0])) == "tensor([1.23e+00, 2.00e+00])"
    ember.set_printoptions(profile="default")
    assert repr(ember.tensor([1.23456, 2.0])) == "tensor([1.2346, 2.0000])"


def test_automatic_sci_mode_follows_pytorch():
    assert repr(ember.tensor([1e-8, 1e9])) == "tensor([1.0000e-08, 1.0000e+09])"
    # a span over 1000x switches too
    assert repr(ember.tensor([0.001, 100.5])) == "tensor([1.0000e-03, 1.0050e+02])"
    assert repr(ember.tensor([0.5, 100.5])) == "tensor([  0.5000, 100.5000])"
    ember.set_printoptions(sci_mode=False)
    assert repr(ember.tensor([1e-8, 1e9])) == "tensor([         0.0000, 1000000000.0000])"
    assert repr(ember.tensor([float("nan"), 1e9])) == "tensor([        nan, 1000000000.])"


def test_threshold_edgeitems_and_profiles():
    ember.set_printoptions(threshold=5, edgeitems=2)
    text = repr(ember.arange(10.0))
    assert text.startswith("tensor([0., 1.,") and "..." in text and text.endswith("8., 9.])")
    ember.set_printoptions(profile="full")
    assert "..." not in repr(ember.arange(2000))
    ember.set_printoptions(profile="short")
    assert repr(ember.tensor([1.23456])) == "tensor([1.23])"
    assert "..." in repr(ember.arange(2000)) and repr(ember.arange(2000)).count(",") == 4
    with pytest.raises(ValueError, match="profile"):
        ember.set_printoptions(profile="long")


def test_linewidth_wraps_rows():
    ember.set_printoptions(linewidth=30)
    assert max(len(line) for line in repr(ember.arange(20)).splitlines()) <= 30
    ember.set_printoptions(linewidth=200)
    assert len(repr(ember.arange(20)).splitlines()) == 1


# --- threads, default device ------------------------------------------------------------------


def test_num_threads():
    before = ember.get_num_threads()
    assert isinstance(before, int) and before >= 1
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(before)
    for bad in (0, -2, 1.5):
        with pytest.raises(RuntimeError, match="positive integer"):
            ember.set_num_threads(bad)


def test_default_device_used_by_creation():
    assert ember.get_default_device() == ember.device("cpu")
    ember.set_default_device("cpu")
    assert ember.zeros(2).device == ember.device("cpu")
    ember.set_default_device("cuda")
    assert ember.get_default_device().type == "cuda"
    if ember.cuda.is_available():
        assert ember.zeros(2).is_cuda and ember.tensor([1.0]).is_cuda and ember.randn(2).is_cuda
        assert not ember.zeros(2, device="cpu").is_cuda
    else:
        for make in (lambda: ember.zeros(2), lambda: ember.tensor([1.0]),
                     lambda: ember.randn(2)):
            with pytest.raises(RuntimeError):
                make()
        assert ember.ones(2, device="cpu").device.type == "cpu"
    ember.set_default_device(None)
    assert ember.get_default_device() == ember.device("cpu") and not ember.zeros(1).is_cuda


# --- switches ---------------------------------------------------------------------------------


def test_matmul_precision():
    assert ember.get_float32_matmul_precision() == "highest"
    ember.set_float32_matmul_precision("medium")
    assert ember.get_float32_matmul_precision() == "medium"
    with pytest.warns(UserWarning, match="no effect"):
        ember.set_float32_matmul_precision("fastest")
    assert ember.get_float32_matmul_precision() == "medium"


def test_determinism_switches_agree():
    assert not ember.are_deterministic_algorithms_enabled()
    assert ember.get_deterministic_debug_mode() == 0
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.is_deterministic_algorithms_warn_only_enabled()
    assert ember.get_deterministic_debug_mode() == 1
    ember.set_deterministic_debug_mode("error")
    assert ember.are_deterministic_algorithms_enabled()
    assert not ember.is_deterministic_algorithms_warn_only_enabled()
    assert ember.get_deterministic_debug_mode() == 2
    ember.set_deterministic_debug_mode(0)
    assert not ember.are_deterministic_algorithms_enabled()
    with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`"):
        ember.set_deterministic_debug_mode("loud")
    with pytest.raises(RuntimeError, match="expected 0, 1, or 2"):
        ember.set_deterministic_debug_mode(3)


def test_warn_always_flush_denormal_anomaly_storage():
    assert not ember.is_warn_always_enabled()
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled()
    assert ember.set_flush_denormal(True) is False
    from ember.autograd.anomaly_mode import is_anomaly_enabled

    ember.set_anomaly_enabled(True)
    assert is_anomaly_enabled()
    ember.set_anomaly_enabled(False)
    assert not is_anomaly_enabled()
    assert ember.is_storage(ember.zeros(1)) is False and ember.is_storage(b"") is False


# --- frombuffer -------------------------------------------------------------------------------


def test_frombuffer_shares_memory():
    buf = bytearray(np.arange(4, dtype=np.int32).tobytes())
    t = ember.frombuffer(buf, dtype=ember.int32)
    assert t.dtype == ember.int32 and t.tolist() == [0, 1, 2, 3]
    t[0] = 7
    assert np.frombuffer(buf, dtype=np.int32)[0] == 7  # written through to the buffer
    part = ember.frombuffer(buf, dtype=ember.int32, count=2, offset=4)
    assert part.tolist() == [1, 2]
    f = ember.frombuffer(bytearray(np.float32([1.5]).tobytes()), dtype=ember.float32,
                         requires_grad=True)
    assert f.requires_grad and f.item() == 1.5


@pytest.mark.parametrize("buf,kw,msg", [
    (bytearray(), {}, r"both buffer length \(0\) and count \(-1\) must not be 0"),
    (bytearray(8), {"offset": 8}, r"offset \(8 bytes\) must be non-negative"),
    (bytearray(7), {}, r"must be a multiple of element size \(4\)"),
    (bytearray(8), {"count": 3}, r"requested buffer length \(3 \* 4 bytes\)"),
])
def test_frombuffer_errors(buf, kw, msg):
    with pytest.raises(ValueError, match=msg):
        ember.frombuffer(buf, dtype=ember.float32, **kw)


def test_frombuffer_readonly_warns():
    with pytest.warns(UserWarning, match="not writable"):
        t = ember.frombuffer(b"\x01\x00\x02\x00", dtype=ember.int16)
    assert t.tolist() == [1, 2]


# --- device modules, default tensor type, compile ---------------------------------------------


def test_get_device_module():
    assert ember.get_device_module("cpu") is ember.cpu
    assert ember.get_device_module(ember.device("cuda")) is ember.cuda
    assert ember.get_device_module() is ember.cpu
    assert ember.cpu.is_available() and ember.cpu.device_count() == 1


def test_set_default_tensor_type():
    with pytest.warns(UserWarning, match="deprecated"):
        ember.set_default_tensor_type("torch.DoubleTensor")
    assert ember.get_default_dtype() == ember.float64 and ember.zeros(1).dtype == ember.float64
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="invalid type"):
        ember.set_default_tensor_type("torch.LongTensor")
    with pytest.warns(UserWarning):
        ember.set_default_tensor_type("torch.FloatTensor")
    assert ember.get_default_dtype() == ember.float32


def test_compile_is_identity():
    model = ember.nn.Linear(2, 2)
    assert ember.compile(model) is model
    assert ember.compile(model, mode="max-autotune", fullgraph=True) is model

    @ember.compile
    def f(x):
        return x * 2

    @ember.compile(dynamic=True)
    def g(x):
        return x + 1

    assert f(ember.tensor(2.0)).item() == 4.0 and g(ember.tensor(2.0)).item() == 3.0
    with pytest.raises(RuntimeError, match="Either mode or options"):
        ember.compile(model, mode="default", options={"a": 1})
