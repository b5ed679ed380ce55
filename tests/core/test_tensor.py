"""Tensor creation, conversion to Python/NumPy/DLPack, devices, printing and pickling."""

import copy
import pickle

import numpy as np
import pytest

import ember


def test_creation_functions_shapes_dtypes_values():
    assert ember.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert ember.ones((2,), dtype=ember.int32).tolist() == [1, 1]
    assert ember.full((2, 2), 7).dtype is ember.int64
    assert ember.full((2,), 1.5).tolist() == [1.5, 1.5]
    assert ember.full((1,), True).dtype is ember.bool
    assert ember.empty(3, 4).shape == (3, 4)
    assert ember.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert ember.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert ember.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert ember.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    np.testing.assert_allclose(ember.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(ember.logspace(0, 2, 3).numpy(), [1, 10, 100])
    like = ember.tensor([[1, 2]], dtype=ember.int16)
    for fn in (ember.zeros_like, ember.ones_like, ember.empty_like):
        out = fn(like)
        assert out.shape == (1, 2) and out.dtype is ember.int16
    assert ember.full_like(like, 4).tolist() == [[4, 4]]
    assert like.new_zeros(3).dtype is ember.int16
    assert like.new_tensor([1.5]).dtype is ember.int16


def test_creation_errors():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        ember.zeros(2, -1)
    with pytest.raises(TypeError, match="tuple of ints"):
        ember.ones(2.5)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ember.arange(0, 5, 0)
    with pytest.raises(ValueError, match="rectangular"):
        ember.tensor([[1, 2], [3]])


def test_numpy_and_from_numpy_share_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.from_numpy(a)
    a[0, 0] = 100
    assert t[0, 0].item() == 100 if hasattr(t, "__getitem__") else True
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)
    t.numpy()[1, 2] = -1
    assert a[1, 2] == -1
    assert ember.tensor(a).numpy() is not a  # tensor() copies
    assert np.shares_memory(ember.as_tensor(a).numpy(), a)  # as_tensor does not


def test_numpy_refuses_grad_tensors():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]
    assert np.asarray(x).tolist() == [1.0, 1.0]  # __array__


def test_item_tolist_and_python_conversions():
    assert ember.tensor(2.5).item() == 2.5
    assert ember.tensor([[7]]).item() == 7
    with pytest.raises(RuntimeError, match="3 elements cannot be converted to Scalar"):
        ember.ones(3).item()
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(ember.tensor(1.5)) == 1.5 and int(ember.tensor(3)) == 3
    assert bool(ember.tensor([1])) is True
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))
    assert len(ember.zeros(4, 2)) == 4


def test_dlpack_both_ways_without_copies():
    t = ember.arange(6, dtype=ember.float32)
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.numpy())
    src = np.arange(4, dtype=np.int64)
    u = ember.from_dlpack(src)
    src[0] = 42
    assert u.tolist()[0] == 42
    assert u.dtype is ember.int64


def test_size_numel_stride_properties():
    x = ember.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert isinstance(x.shape, ember.Size)
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert x.stride() == (12, 4, 1)
    assert x.is_contiguous()
    assert x.element_size() == 4 and x.nbytes == 96
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)
    assert repr(ember.Size([2, 3])) == "ember.Size([2, 3])"


def test_devices():
    assert ember.device("cpu").type == "cpu"
    d = ember.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert str(d) == "cuda:1" and repr(d) == "device(type='cuda', index=1)"
    assert ember.device("cuda", 0) == "cuda:0"
    with pytest.raises(RuntimeError, match="unsupported device type 'tpu'"):
        ember.device("tpu")
    assert ember.zeros(1).device == ember.device("cpu")
    assert ember.zeros(1).to("cpu").is_cpu


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the no-GPU behaviour")
def test_cuda_unavailable_is_a_clear_error():
    assert ember.cuda.device_count() == 0
    assert not ember.accelerator.is_available()
    assert ember.accelerator.current_accelerator() is None
    ember.cuda.synchronize()  # a no-op without CUDA
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.ones(2).cuda()


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_round_trip_and_mixing_error():
    x = ember.arange(4, dtype=ember.float32)
    g = x.cuda()
    assert g.is_cuda and g.device.type == "cuda"
    np.testing.assert_allclose((g * 2).cpu().numpy(), [0, 2, 4, 6])
    with pytest.raises(RuntimeError, match="same device"):
        x + g
    w = ember.ones(4, device="cuda", requires_grad=True)
    (w * g).sum().backward()
    assert w.grad.is_cuda
    np.testing.assert_allclose(w.grad.cpu().numpy(), [0, 1, 2, 3])


def test_repr_matches_pytorch_style():
    assert repr(ember.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"
    assert repr(ember.tensor([1, 2], dtype=ember.int32)) == "tensor([1, 2], dtype=ember.int32)"
    assert repr(ember.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(ember.tensor([[1.0, 2.0], [3.0, 4.0]])) == (
        "tensor([[1., 2.],\n        [3., 4.]])"
    )
    y = ember.ones(1, requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward>)"


def test_pickle_and_deepcopy():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [[1.0, 2.0]] and y.requires_grad
    z = copy.deepcopy(x)
    with ember.no_grad():
        z.mul_(3)
    assert x.tolist() == [[1.0, 2.0]]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_legacy_tensor_constructor():
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.Tensor(2, 3).shape == (2, 3)


def test_type_names():
    assert ember.zeros(1).type() == "ember.FloatTensor"
    assert ember.zeros(1, dtype=ember.int64).type() == "ember.LongTensor"
