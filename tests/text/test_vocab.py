"""embertext.vocab against torchtext's documented behaviour: frequency order with lexicographic
ties, min_freq, specials, max_tokens, default index, insert/append, basic_english rules."""

import pickle
from collections import Counter, OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from embertext import Vocab, build_vocab_from_iterator, get_tokenizer
from embertext.vocab import vocab

DOCS = [["b", "a", "c", "b"], ["c", "b", "d"], ["e"]]  # b:3, c:2, a:1, d:1, e:1


def test_order_frequency_then_lexicographic():
    v = build_vocab_from_iterator(DOCS)
    assert v.get_itos() == ["b", "c", "a", "d", "e"]
    assert v.get_stoi() == {"b": 0, "c": 1, "a": 2, "d": 3, "e": 4}
    assert len(v) == 5 and "a" in v and "z" not in v


def test_min_freq_specials_and_max_tokens():
    assert build_vocab_from_iterator(DOCS, min_freq=2).get_itos() == ["b", "c"]
    v = build_vocab_from_iterator(DOCS, specials=["<unk>", "<pad>"])
    assert v.get_itos() == ["<unk>", "<pad>", "b", "c", "a", "d", "e"]
    v = build_vocab_from_iterator(DOCS, specials=["<unk>"], special_first=False, min_freq=2)
    assert v.get_itos() == ["b", "c", "<unk>"]
    assert build_vocab_from_iterator(DOCS, specials=["<unk>"], max_tokens=3).get_itos() == [
        "<unk>", "b", "c"]
    # torchtext cuts to max_tokens - len(specials) before removing specials, so a special that
    # occurs in the text costs a slot: "b" is both, leaving ["c"] after it.
    assert build_vocab_from_iterator(DOCS, specials=["b"], max_tokens=3).get_itos() == ["b", "c"]
    with pytest.raises(ValueError, match="max_tokens=1 leaves no room"):
        build_vocab_from_iterator(DOCS, specials=["<unk>"], max_tokens=1)


def test_vocab_factory_keeps_given_order():
    v = vocab(OrderedDict([("z", 5), ("y", 1), ("x", 3)]), min_freq=2, specials=["<s>"])
    assert v.get_itos() == ["<s>", "z", "x"]


def test_lookup_and_default_index():
    v = build_vocab_from_iterator(DOCS, specials=["<unk>"])
    assert v["c"] == 2 and v(["b", "e"]) == [1, 5] and v.forward(["a"]) == [3]
    assert v.lookup_indices(["d", "a"]) == [4, 3]
    assert v.lookup_tokens([5, 1]) == ["e", "b"]
    assert v.lookup_tokens(ember.tensor([2, 0])) == ["c", "<unk>"]
    assert v.lookup_token(3) == "a"
    assert v.get_default_index() is None
    with pytest.raises(RuntimeError, match="token 'zebra' not found and default index is not "
                                           "set.*set_default_index"):
        v["zebra"]
    with pytest.raises(RuntimeError, match="'zebra' not found"):
        v.lookup_indices(["a", "zebra"])
    v.set_default_index(v["<unk>"])
    assert v.get_default_index() == 0
    assert v["zebra"] == 0 and v(["a", "zebra", "b"]) == [3, 0, 1]
    v.set_default_index(None)
    with pytest.raises(RuntimeError):
        v["zebra"]
    with pytest.raises(RuntimeError, match="index 6 is out of range for a vocabulary of 6"):
        v.lookup_token(6)


def test_insert_and_append_token():
    v = Vocab(["a", "b", "c"])
    v.insert_token("x", 1)
    assert v.get_itos() == ["a", "x", "b", "c"]
    assert v.get_stoi() == {"a": 0, "x": 1, "b": 2, "c": 3}
    v.append_token("y")
    assert v["y"] == 4 and v.lookup_token(4) == "y"
    v.insert_token("end", len(v))
    assert v.get_itos()[-1] == "end"
    with pytest.raises(RuntimeError, match="'b' already exists in the Vocab with index: 2"):
        v.insert_token("b", 0)
    with pytest.raises(RuntimeError, match="'a' already exists in the Vocab with index: 0"):
        v.append_token("a")
    with pytest.raises(RuntimeError, match=r"index 9 is out of range.*\[0, 6\]"):
        v.insert_token("q", 9)
    with pytest.raises(RuntimeError, match="duplicate token 'a'"):
        Vocab(["a", "b", "a"])


def test_copies_pickle_and_equality():
    v = build_vocab_from_iterator(DOCS)
    v.get_itos().append("junk")
    v.get_stoi()["junk"] = 99
    assert "junk" not in v and len(v) == 5
    v.set_default_index(1)
    back = pickle.loads(pickle.dumps(v))
    assert back.get_itos() == v.get_itos() and back["nothing"] == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=6), max_size=8),
       st.integers(1, 3))
def test_vocab_matches_counter(docs, min_freq):
    counts = Counter(t for doc in docs for t in doc)
    v = build_vocab_from_iterator(docs, min_freq=min_freq)
    expected = sorted((t for t, c in counts.items() if c >= min_freq),
                      key=lambda t: (-counts[t], t))
    assert v.get_itos() == expected
    assert [v[t] for t in expected] == list(range(len(expected)))


def test_basic_english_rules():
    tokenize = get_tokenizer("basic_english")
    text = 'Hello, World! It\'s "great" (really).<br />Yes; no: maybe?'
    assert tokenize(text) == ["hello", ",", "world", "!", "it", "'", "s", "great", "(",
                              "really", ")", ".", "yes", "no", "maybe", "?"]
    assert tokenize("  Tabs\tand\nnewlines  ") == ["tabs", "and", "newlines"]
    assert tokenize("") == []


def test_get_tokenizer_choices():
    assert get_tokenizer(None)("a  b\tc") == ["a", "b", "c"]
    custom = str.split
    assert get_tokenizer(custom) is custom
    with pytest.raises(ValueError, match="only available for English"):
        get_tokenizer("basic_english", language="fr")
    with pytest.raises(ValueError, match="unknown tokenizer 'spacy'.*callable"):
        get_tokenizer("spacy")


def test_end_to_end_numericalise():
    tokenize = get_tokenizer("basic_english")
    texts = ["The cat sat.", "The dog sat, too!"]
    v = build_vocab_from_iterator(map(tokenize, texts), specials=["<unk>"])
    v.set_default_index(v["<unk>"])
    # counts: the 2, sat 2, . 1, cat 1, dog 1, ! 1, , 1, too 1 -> ties lexicographic
    assert v.get_itos() == ["<unk>", "sat", "the", "!", ",", ".", "cat", "dog", "too"]
    assert v(tokenize("The bird sat!")) == [2, 0, 1, 3]
