"""default_collate / default_convert / collate: structures, dtypes, messages."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.utils.data import default_collate, default_convert
from ember.utils.data._collate import collate, collate_str_fn, default_collate_fn_map

Point = namedtuple("Point", ["x", "y"])


def test_python_numbers_dtypes():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == ember.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == ember.float64 and floats.tolist() == [0.5, 1.5]
    bools = default_collate([True, False])
    assert bools.dtype == ember.bool and bools.tolist() == [True, False]


def test_numpy_arrays_and_scalars_keep_their_dtype():
    arrays = [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]
    out = default_collate(arrays)
    assert out.dtype == ember.int32 and out.tolist() == [[1, 2], [3, 4]]
    scalars = default_collate([np.float32(1.5), np.float32(2.5)])
    assert scalars.dtype == ember.float32 and scalars.tolist() == [1.5, 2.5]
    assert default_collate([np.int16(7)]).dtype == ember.int16


def test_tensors_are_stacked_on_a_new_first_dim():
    batch = [ember.tensor([[1.0, 2.0]]), ember.tensor([[3.0, 4.0]]), ember.tensor([[5.0, 6.0]])]
    out = default_collate(batch)
    assert out.shape == (3, 1, 2)
    np.testing.assert_array_equal(out.numpy(), [[[1, 2]], [[3, 4]], [[5, 6]]])


def test_strings_and_bytes_stay_lists():
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]


def test_nested_dicts_tuples_lists():
    batch = [
        {"image": ember.zeros(2), "meta": {"id": 1, "name": "a"}, "pair": (1.0, [2, 3])},
        {"image": ember.ones(2), "meta": {"id": 2, "name": "b"}, "pair": (4.0, [5, 6])},
    ]
    out = default_collate(batch)
    assert set(out) == {"image", "meta", "pair"}
    np.testing.assert_array_equal(out["image"].numpy(), [[0, 0], [1, 1]])
    assert out["meta"]["id"].tolist() == [1, 2]
    assert out["meta"]["name"] == ["a", "b"]
    first, inner = out["pair"]  # tuples become lists, as in PyTorch
    assert isinstance(out["pair"], list)
    assert first.dtype == ember.float64 and first.tolist() == [1.0, 4.0]
    assert [t.tolist() for t in inner] == [[2, 5], [3, 6]]


def test_namedtuples_and_mapping_types_are_kept():
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(out, Point)
    assert out.x.tolist() == [1, 3] and out.y.dtype == ember.float64
    od = default_collate([OrderedDict(b=1, a=2), OrderedDict(b=3, a=4)])
    assert isinstance(od, OrderedDict) and list(od) == ["b", "a"]
    assert od["a"].tolist() == [2, 4]


def test_shape_mismatch_message_names_shapes_and_positions():
    with pytest.raises(
        RuntimeError,
        match=r"^default_collate: stack expects each tensor to be equal size, but got \[3\] at "
        r"entry 0 and \[4\] at entry 1$",
    ):
        default_collate([ember.zeros(3), ember.zeros(4)])
    with pytest.raises(RuntimeError, match=r"got \[2\] at entry 0 and \[3\] at entry 2"):
        default_collate([np.zeros(2), np.zeros(2), np.zeros(3)])


def test_unequal_sequences_and_unsupported_types():
    with pytest.raises(
        RuntimeError, match=r"each element in list of batch should be of equal size"
    ):
        default_collate([[1, 2], [1]])
    with pytest.raises(
        TypeError,
        match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
        "lists; found <class 'object'>",
    ):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert():
    assert default_convert(3) == 3
    t = default_convert(np.array([1, 2], dtype=np.int64))
    assert isinstance(t, ember.Tensor) and t.tolist() == [1, 2]
    out = default_convert((np.array([1.0]), 2, "x"))
    assert isinstance(out, list) and out[1:] == [2, "x"] and out[0].tolist() == [1.0]
    p = default_convert(Point(np.array(0), np.array(1)))
    assert isinstance(p, Point) and p.y.item() == 1
    d = default_convert({"a": np.float32(2.0), "s": np.array(["keep"])})
    assert isinstance(d["a"], ember.Tensor) and d["a"].dtype == ember.float32
    assert isinstance(d["s"], np.ndarray)  # string arrays are left alone
    x = ember.ones(2)
    assert default_convert(x) is x


def test_collate_with_a_custom_map_extends_by_type():
    class Box:
        def __init__(self, v):
            self.v = v

    def collate_box(batch, *, collate_fn_map):
        return sum(b.v for b in batch)

    custom = {**default_collate_fn_map, Box: collate_box}
    out = collate([(Box(1), "a"), (Box(2), "b")], collate_fn_map=custom)
    assert out == [3, ("a", "b")]  # tuple fields are collated from zip's tuples, as PyTorch
    assert collate(["p", "q"], collate_fn_map={str: collate_str_fn}) == ["p", "q"]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(st.integers(-(2**31), 2**31), min_size=3, max_size=3), min_size=1, max_size=6)
)
def test_collating_int_lists_is_transposing(rows):
    out = default_collate(rows)  # a list of samples, each a list of 3 ints
    assert len(out) == 3
    expected = np.array(rows, dtype=np.int64).T
    for column, t in zip(expected, out):
        assert t.dtype == ember.int64
        np.testing.assert_array_equal(t.numpy(), column)
