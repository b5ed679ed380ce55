"""dtypes and PyTorch's type-promotion rules."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]

# torch.promote_types for every pair, read off PyTorch 2.13 (row: first operand).
PROMOTE = {
    'bool': ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'uint8': ['uint8', 'uint8', 'int16', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'int8': ['int8', 'int16', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'int16': ['int16', 'int16', 'int16', 'int16', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'int32': ['int32', 'int32', 'int32', 'int32', 'int32', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'int64': ['int64', 'int64', 'int64', 'int64', 'int64', 'int64', 'float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'float16': ['float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float16', 'float32', 'float32', 'float64', 'complex64', 'complex128'],
    'bfloat16': ['bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'bfloat16', 'float32', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128'],
    'float32': ['float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float32', 'float64', 'complex64', 'complex128'],
    'float64': ['float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'complex128', 'complex128'],
    'complex64': ['complex64', 'complex64', 'complex64', 'complex64', 'complex64', 'complex64', 'complex64', 'complex64', 'complex64', 'complex128', 'complex64', 'complex128'],
    'complex128': ['complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128', 'complex128'],
}


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_matches_pytorch_table(a):
    for b, expected in zip(NAMES, PROMOTE[a]):
        got = ember.promote_types(getattr(ember, a), getattr(ember, b))
        assert got is getattr(ember, expected), (a, b, got, expected)


def _tensor(dtype_name, ndim):
    shape = (2,) * ndim
    return ember.ones(shape, dtype=getattr(ember, dtype_name))


# Priority rules: dimensioned tensors > zero-dim tensors > Python scalars (read off PyTorch).
CASES = [
    (lambda: ember.result_type(_tensor("int32", 1), 2.5), "float32"),
    (lambda: ember.result_type(_tensor("uint8", 1), 1), "uint8"),
    (lambda: ember.result_type(_tensor("float16", 1), _tensor("float64", 0)), "float16"),
    (lambda: ember.result_type(_tensor("int32", 1), _tensor("float64", 0)), "float64"),
    (lambda: ember.result_type(_tensor("bool", 1), 1), "int64"),
    (lambda: ember.result_type(_tensor("bool", 1), True), "bool"),
    (lambda: ember.result_type(_tensor("int64", 0), 2.5), "float32"),
    (lambda: ember.result_type(_tensor("float64", 1), 1j), "complex128"),
    (lambda: ember.result_type(_tensor("float32", 1), 1j), "complex64"),
    (lambda: ember.result_type(_tensor("int8", 1), _tensor("int64", 0)), "int8"),
    (lambda: ember.result_type(_tensor("uint8", 1), _tensor("int8", 1)), "int16"),
    (lambda: ember.result_type(_tensor("float32", 0), _tensor("int64", 1)), "float32"),
]


@pytest.mark.parametrize("case,expected", CASES)
def test_result_type_priority_rules(case, expected):
    assert case() is getattr(ember, expected)


REAL = NAMES[:10]


@settings(max_examples=60, deadline=None)
@given(a=st.sampled_from(REAL), b=st.sampled_from(REAL), nda=st.integers(0, 2),
       ndb=st.integers(0, 2))
def test_add_result_dtype_follows_result_type(a, b, nda, ndb):
    x, y = _tensor(a, nda), _tensor(b, ndb)
    if "bool" in (a, b) and a == b:
        return
    out = x + y
    assert out.dtype is ember.result_type(x, y)
    assert tuple(out.shape) == np.broadcast_shapes((2,) * nda, (2,) * ndb)


@settings(max_examples=60, deadline=None)
@given(shape_a=st.lists(st.integers(1, 4), max_size=4), data=st.data())
def test_broadcasting_matches_numpy(shape_a, data):
    # derive a compatible shape: each trailing dim equal, 1, or dropped
    shape_b = [data.draw(st.sampled_from([d, 1])) for d in shape_a]
    shape_b = shape_b[data.draw(st.integers(0, len(shape_b))):]
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    for x, y in ((a, b), (b, a)):
        got = (ember.tensor(x) * ember.tensor(y) - ember.tensor(y)).numpy()
        np.testing.assert_allclose(got, x * y - y, rtol=1e-6)


def test_python_scalar_inference():
    assert ember.tensor([1.0, 2.0]).dtype is ember.float32
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([True]).dtype is ember.bool
    assert ember.tensor([1 + 2j]).dtype is ember.complex64
    assert ember.tensor(np.zeros(2, np.float64)).dtype is ember.float64
    assert ember.arange(3).dtype is ember.int64
    assert ember.arange(0, 1, 0.25).dtype is ember.float32


def test_default_dtype_can_change():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype is ember.float64
        assert ember.zeros(2).dtype is ember.float64
        assert (ember.tensor([1, 2]) / 2).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.zeros(2).dtype is ember.float32


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError, match="floating-point"):
        ember.set_default_dtype(ember.int32)


def test_conversions():
    x = ember.tensor([1.7, -2.2])
    assert x.long().dtype is ember.int64 and x.long().tolist() == [1, -2]
    assert x.half().dtype is ember.float16
    assert x.double().dtype is ember.float64
    assert x.bfloat16().dtype is ember.bfloat16
    assert x.to(ember.int32).tolist() == [1, -2]
    assert x.bool().tolist() == [True, True]
    assert x.to(ember.float32) is x  # no-op returns self, as in PyTorch


def test_bfloat16_roundtrip_and_gradient():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.bfloat16()
    assert y.dtype is ember.bfloat16
    (y * y).float().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert x.grad.dtype is ember.float32


def test_finfo_iinfo():
    assert ember.finfo(ember.float32).eps == pytest.approx(2.0 ** -23)
    assert ember.finfo(ember.bfloat16).eps == pytest.approx(2.0 ** -7)
    assert ember.finfo(ember.float16).max == 65504.0
    assert ember.iinfo(ember.int8).min == -128
    assert ember.iinfo(ember.uint8).max == 255
    with pytest.raises(TypeError, match="not a floating-point"):
        ember.finfo(ember.int32)
