"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict: indexing, mutation,
state_dict keys and repr, checked against literals and Python's own list semantics."""

from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import nn


class Scale(nn.Module):
    def __init__(self, k=2.0):
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(ember.tensor([k]))

    def forward(self, x):
        return x * self.weight

    def extra_repr(self):
        return f"k={self.k}"


class Tag(nn.Module):
    """A parameterless module that remembers an id (for order checks)."""

    def __init__(self, i):
        super().__init__()
        self.i = i

    def forward(self, x):
        return x

    def extra_repr(self):
        return str(self.i)


def ids(container):
    return [m.i for m in container]


# -- Sequential -------------------------------------------------------------------------------


def test_sequential_forward_state_dict_and_repr():
    seq = nn.Sequential(Scale(2.0), Tag(0), Scale(3.0))
    np.testing.assert_array_equal(seq(ember.tensor([1.0, 2.0])).detach().numpy(), [6.0, 12.0])
    assert list(seq.state_dict()) == ["0.weight", "2.weight"]
    assert repr(seq) == "\n".join(
        ["Sequential(", "  (0): Scale(k=2.0)", "  (1): Tag(0)", "  (2): Scale(k=3.0)", ")"]
    )
    assert repr(nn.Sequential()) == "Sequential()"


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict([("first", Scale(2.0)), ("act", Tag(1))]))
    assert list(seq.state_dict()) == ["first.weight"]
    assert seq.first is seq[0] and seq[-1] is seq.act


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 6),
    start=st.none() | st.integers(-8, 8),
    stop=st.none() | st.integers(-8, 8),
    step=st.none() | st.sampled_from([1, 2, 3, -1, -2]),
)
def test_sequential_and_module_list_slicing_match_python_lists(n, start, stop, step):
    modules = [Tag(i) for i in range(n)]
    expected = [m.i for m in modules][start:stop:step]
    for container in (nn.Sequential(*modules), nn.ModuleList(modules)):
        part = container[start:stop:step]
        assert type(part) is type(container)
        assert ids(part) == expected
    for i in range(-n, n):
        assert nn.Sequential(*modules)[i] is modules[i]
        assert nn.ModuleList(modules)[i] is modules[i]


def test_sequential_slice_keeps_keys_and_index_errors():
    seq = nn.Sequential(Tag(0), Tag(1), Tag(2))
    assert list(seq[1:]._modules) == ["1", "2"]  # PyTorch keeps the original keys
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        seq[-4]


def test_sequential_mutation():
    seq = nn.Sequential(Tag(0), Tag(1), Tag(2))
    seq.append(Tag(3))
    seq.insert(1, Tag(9))
    seq.insert(-1, Tag(8))
    assert ids(seq) == [0, 9, 1, 2, 8, 3]
    assert list(seq._modules) == ["0", "1", "2", "3", "4", "5"]
    assert seq.pop(1).i == 9
    del seq[-1]
    del seq[0:2]
    assert ids(seq) == [2, 8] and list(seq._modules) == ["0", "1"]  # renumbered
    seq[0] = Tag(7)
    assert ids(seq) == [7, 8]
    seq.extend([Tag(5)])
    assert ids(seq) == [7, 8, 5] and len(seq) == 3
    with pytest.raises(IndexError, match="Index out of range: 5"):
        seq.insert(5, Tag(0))


def test_sequential_add_iadd_mul():
    a, b = nn.Sequential(Tag(0), Tag(1)), nn.Sequential(Tag(2))
    assert ids(a + b) == [0, 1, 2] and ids(a) == [0, 1]
    a += b
    assert ids(a) == [0, 1, 2]
    twice = b * 2
    assert ids(twice) == [2, 2] and twice[0] is twice[1]  # the same module repeated
    assert ids(2 * b) == [2, 2]
    with pytest.raises(ValueError, match="supports only objects of Sequential class"):
        a + nn.ModuleList()
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        b * 0


# -- ModuleList -------------------------------------------------------------------------------


def test_module_list_mutation_and_state_dict():
    layers = nn.ModuleList([Scale(1.0), Scale(2.0)])
    layers.append(Scale(3.0))
    layers.extend([Tag(0)])
    layers.insert(0, Tag(1))
    assert [type(m).__name__ for m in layers] == ["Tag", "Scale", "Scale", "Scale", "Tag"]
    assert list(layers.state_dict()) == ["1.weight", "2.weight", "3.weight"]
    holder = nn.Module()
    holder.layers = layers
    assert list(holder.state_dict())[:2] == ["layers.1.weight", "layers.2.weight"]
    assert type(layers.pop(0)) is Tag
    del layers[0]
    assert [m.k for m in layers[:2]] == [2.0, 3.0] and list(layers._modules)[-1] == "2"
    layers[0] = Tag(5)
    assert layers[0].i == 5
    layers += [Tag(6)]
    assert len(layers) == 4 and len(layers + nn.ModuleList([Tag(7)])) == 5
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(3)
    with pytest.raises(NotImplementedError, match="missing the required"):
        layers(1)


def test_module_list_repr_compresses_repeats():
    layers = nn.ModuleList([Tag(0), Tag(0), Tag(1), nn.Sequential(Tag(2))])
    assert repr(layers) == "\n".join(
        [
            "ModuleList(",
            "  (0-1): 2 x Tag(0)",
            "  (2): Tag(1)",
            "  (3): Sequential(",
            "    (0): Tag(2)",
            "  )",
            ")",
        ]
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


# -- ModuleDict -------------------------------------------------------------------------------


def test_module_dict():
    heads = nn.ModuleDict({"cls": Scale(1.0), "box": Scale(2.0)})
    assert list(heads) == ["cls", "box"] and "box" in heads and len(heads) == 2
    assert list(heads.state_dict()) == ["cls.weight", "box.weight"]
    heads["extra"] = Tag(0)
    heads.update([("more", Tag(1))])
    assert list(heads.keys()) == ["cls", "box", "extra", "more"]
    assert heads.pop("extra").i == 0 and "extra" not in heads
    del heads["more"]
    assert [k for k, _ in heads.items()] == ["cls", "box"]
    assert repr(heads) == "\n".join(
        ["ModuleDict(", "  (cls): Scale(k=1.0)", "  (box): Scale(k=2.0)", ")"]
    )
    with pytest.raises(ValueError, match="element #0 has length 1; 2 is required"):
        heads.update([("x",)])
    heads.clear()
    assert len(heads) == 0


# -- ParameterList / ParameterDict ------------------------------------------------------------


def test_parameter_list():
    plist = nn.ParameterList([nn.Parameter(ember.ones(2, 3)), ember.zeros(2, dtype=ember.float64)])
    assert all(type(p) is nn.Parameter for p in plist)  # the tensor was wrapped
    assert [n for n, _ in plist.named_parameters()] == ["0", "1"]
    plist.append("not a tensor")
    assert len(plist) == 3 and plist[-1] == "not a tensor"
    assert list(plist.state_dict()) == ["0", "1"]
    assert repr(plist) == "\n".join(
        [
            "ParameterList(",
            "    (0): Parameter containing: [ember.float32 of size 2x3]",
            "    (1): Parameter containing: [ember.float64 of size 2]",
            "    (2): Object of type: str",
            ")",
        ]
    )
    assert len(plist[:2]) == 2 and plist[:2][1] is plist[1]
    plist[0] = ember.ones(1)
    assert plist[0].shape == (1,) and type(plist[0]) is nn.Parameter
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        plist.extend(ember.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        plist(1)


def test_parameter_dict():
    pdict = nn.ParameterDict({"b": nn.Parameter(ember.ones(2)), "a": ember.ones(1)})
    assert list(pdict.keys()) == ["a", "b"]  # a plain dict is inserted in sorted order
    assert type(pdict["a"]) is nn.Parameter
    ordered = nn.ParameterDict(OrderedDict([("z", ember.ones(1)), ("y", ember.ones(1))]))
    assert list(ordered) == ["z", "y"]
    pdict["c"] = ember.zeros(3)
    assert list(pdict.state_dict()) == ["a", "b", "c"] and "c" in pdict
    assert pdict.get("missing", 5) == 5 and pdict.setdefault("d", ember.ones(1)).shape == (1,)
    assert pdict.popitem()[0] == "d"
    assert pdict.pop("c").shape == (3,) and len(pdict) == 2
    merged = pdict | ordered
    assert list(merged) == ["a", "b", "z", "y"] and merged["z"] is ordered["z"]
    assert repr(pdict) == "\n".join(
        [
            "ParameterDict(",
            "    (a): Parameter containing: [ember.FloatTensor of size 1]",
            "    (b): Parameter containing: [ember.FloatTensor of size 2]",
            ")",
        ]
    )
    with pytest.raises(TypeError, match="not a string"):
        pdict[0]
    pdict.clear()
    assert len(pdict) == 0 and list(pdict.parameters()) == []


def test_nested_containers_state_dict_keys():
    model = nn.Module()
    model.layers = nn.ModuleList([nn.Sequential(Scale(1.0), Tag(0)), Scale(2.0)])
    model.heads = nn.ModuleDict({"out": Scale(3.0)})
    model.extra = nn.ParameterList([ember.ones(1)])
    assert list(model.state_dict()) == [
        "layers.0.0.weight",
        "layers.1.weight",
        "heads.out.weight",
        "extra.0",
    ]
