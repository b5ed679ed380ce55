"""CTC decoders: greedy on hand-made posteriors, batched == per-utterance, and prefix beam
search == the exact most probable labelling found by enumerating every alignment."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from emberaudio.models.decoder import (
    CTCBeamSearchDecoder,
    ctc_beam_search_decoder,
    ctc_greedy_decode,
)


def _collapse(path, blank=0):
    out, prev = [], None
    for p in path:
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return tuple(out)


def _exact_labelling_probs(probs, blank=0):
    """{labelling: total probability} by enumerating all C**T alignments."""
    table = {}
    T, C = probs.shape
    for path in itertools.product(range(C), repeat=T):
        p = float(np.prod(probs[np.arange(T), path]))
        key = _collapse(path, blank)
        table[key] = table.get(key, 0.0) + p
    return table


def test_greedy_hand_made():
    # frames argmax: 1 1 0 1 2 2 0 -> collapse repeats -> 1 0 1 2 0 -> drop blanks -> 1 1 2
    ids = [1, 1, 0, 1, 2, 2, 0]
    em = np.full((7, 3), -5.0)
    em[np.arange(7), ids] = 0.0
    assert ctc_greedy_decode(ember.tensor(em)) == [1, 1, 2]
    assert ctc_greedy_decode(em, blank=2) == [1, 0, 1, 0]
    assert ctc_greedy_decode(np.zeros((0, 3))) == []


def test_greedy_batched_matches_single_and_respects_lengths():
    rng = np.random.default_rng(0)
    em = rng.normal(size=(4, 9, 5))
    lengths = [9, 3, 0, 6]
    batched = ctc_greedy_decode(ember.tensor(em), lengths=ember.tensor(lengths))
    assert batched == [ctc_greedy_decode(em[i, :n]) for i, n in enumerate(lengths)]
    assert batched[2] == []
    with pytest.raises(ValueError, match="lengths must be 4 values in"):
        ctc_greedy_decode(em, lengths=[10, 1, 1, 1])
    with pytest.raises(ValueError, match="blank=7 is not a class index"):
        ctc_greedy_decode(em, blank=7)


def test_beam_search_hand_computed_case():
    # The classic case where best path and best labelling differ: T=2, classes {blank, a}.
    # p(blank)=0.6, p(a)=0.4 each frame. Best path: "" (0.36). Labelling "a": aa + a- + -a
    # = 0.16 + 0.24 + 0.24 = 0.64.
    probs = np.array([[0.6, 0.4], [0.6, 0.4]])
    assert ctc_greedy_decode(np.log(probs)) == []
    dec = ctc_beam_search_decoder(["-", "a"], beam_size=4, nbest=2, word_delimiter="|")
    hyps = dec(ember.tensor(np.log(probs))[None])[0]
    assert hyps[0].tokens.tolist() == [1] and hyps[0].score == pytest.approx(np.log(0.64))
    assert hyps[1].tokens.tolist() == [] and hyps[1].score == pytest.approx(np.log(0.36))
    assert hyps[0].words == ["a"] and hyps[0].timesteps.tolist() == [0]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), T=st.integers(1, 5))
def test_beam_equals_exhaustive_enumeration(seed, T):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(3, 0.7), size=T)
    table = _exact_labelling_probs(probs)
    best = max(table, key=table.get)
    dec = CTCBeamSearchDecoder(["-", "a", "b"], beam_size=200, nbest=3, beam_threshold=1e9)
    hyps = dec(np.log(probs))[0]
    assert tuple(hyps[0].tokens.tolist()) == best
    # every returned score is that labelling's exact total log-probability
    for h in hyps:
        assert h.score == pytest.approx(np.log(table[tuple(h.tokens.tolist())]), abs=1e-9)


def test_lexicon_constrains_words(tmp_path):
    tokens = ["-", "|", "a", "b", "c"]
    # frames strongly say "c a b" but "cab" is not a word; "cb" and "ab" are.
    probs = np.full((3, 5), 0.01)
    probs[0, 4], probs[1, 2], probs[2, 3] = 0.9, 0.6, 0.9
    probs[1, 0] = 0.3
    probs /= probs.sum(1, keepdims=True)
    free = ctc_beam_search_decoder(tokens, beam_size=50)(np.log(probs))[0][0]
    assert free.words == ["cab"]
    constrained = ctc_beam_search_decoder(tokens, lexicon=["cb", "ab"], beam_size=50)
    hyp = constrained(np.log(probs))[0][0]
    assert hyp.words == ["cb"]  # c - b: the best labelling spelled with lexicon words
    # the same lexicon as a file in torchaudio's format ("word tokens... |")
    path = tmp_path / "lexicon.txt"
    path.write_text("cb c b |\nab a b |\n")
    assert ctc_beam_search_decoder(tokens, lexicon=str(path))(np.log(probs))[0][0].words == \
        ["cb"]
    with pytest.raises(ValueError, match=r"lexicon word 'xy' uses tokens \['x', 'y'\]"):
        ctc_beam_search_decoder(tokens, lexicon=["xy"])


def test_lexicon_two_words_with_delimiter():
    tokens = ["-", "|", "a", "b"]
    seq = [2, 1, 3, 3, 0, 3]  # a | b b - b -> "a|bb": words "a", "bb"
    em = np.full((len(seq), 4), np.log(0.02))
    em[np.arange(len(seq)), seq] = np.log(0.94)
    hyp = ctc_beam_search_decoder(tokens, lexicon=["a", "bb", "b"])(em)[0][0]
    assert hyp.words == ["a", "bb"] and hyp.tokens.tolist() == [2, 1, 3, 3]
    assert hyp.timesteps.tolist() == [0, 1, 2, 5]


def test_beam_decoder_argument_errors():
    with pytest.raises(ValueError, match="blank token 'x' is not in tokens"):
        ctc_beam_search_decoder(["-", "a"], blank="x")
    with pytest.raises(ValueError, match="need 1 <= nbest <= beam_size"):
        ctc_beam_search_decoder(["-", "a"], nbest=3, beam_size=2)
    with pytest.raises(ValueError, match=r"emissions must be \(batch, time, 2\)"):
        ctc_beam_search_decoder(["-", "a"])(np.zeros((1, 4, 3)))
