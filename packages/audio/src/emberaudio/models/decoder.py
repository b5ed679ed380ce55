"""CTC decoding: greedy (best path) and prefix beam search with an optional lexicon.

- :func:`ctc_greedy_decode`: argmax per frame, collapse repeats, drop blanks; batched and
  vectorised (one argmax and one mask over the whole batch, then a ragged split).
- :class:`CTCBeamSearchDecoder` / :func:`ctc_beam_search_decoder`: the prefix beam search of
  Hannun et al. (2014) in log space, shaped like torchaudio's
  ``torchaudio.models.decoder.ctc_decoder``: ``decoder(emissions, lengths)`` returns, per
  utterance, a list of :class:`CTCHypothesis` (``tokens``, ``words``, ``score``,
  ``timesteps``). A lexicon (a word list or a lexicon file) restricts words to its spellings
  through a token trie. No language model (torchaudio's KenLM path needs flashlight): a
  deliberate omission.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

import ember
from ember import Tensor

__all__ = ["CTCBeamSearchDecoder", "CTCHypothesis", "ctc_beam_search_decoder",
           "ctc_greedy_decode"]


def _as_numpy(emissions) -> np.ndarray:
    """A float64 NumPy view of a Tensor / array (CuPy arrays are copied to the host)."""
    if isinstance(emissions, Tensor):
        emissions = emissions.detach().cpu().numpy()
    return np.asarray(emissions, dtype=np.float64)


def ctc_greedy_decode(emissions, blank: int = 0, lengths=None):
    """Best-path CTC decoding: the most probable class of each frame, repeats collapsed,
    blanks dropped.

    Args:
        emissions: ``(time, classes)`` or batched ``(batch, time, classes)`` scores (logits or
            log-probabilities: only the argmax matters), a Tensor or an array.
        blank: the blank class index.
        lengths: batched only: ``(batch,)`` valid frame counts (frames past them are ignored);
            default every frame.

    Returns:
        A list of token ids for ``(time, classes)``; a list of such lists for a batch.

    Example:
        >>> ctc_greedy_decode(ember.tensor([[0., 1, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]))
        [1, 2]
    """
    scores = _as_numpy(emissions)
    if scores.ndim not in (2, 3):
        raise ValueError(f"ctc_greedy_decode: emissions must be (time, classes) or (batch, "
                         f"time, classes), got shape {scores.shape}")
    if not 0 <= blank < scores.shape[-1]:
        raise ValueError(f"ctc_greedy_decode: blank={blank} is not a class index (emissions "
                         f"have {scores.shape[-1]} classes)")
    single = scores.ndim == 2
    if single:
        if lengths is not None:
            raise ValueError("ctc_greedy_decode: lengths is for batched (batch, time, classes) "
                             "emissions")
        scores = scores[None]
    batch, time = scores.shape[:2]
    if lengths is None:
        lens = np.full(batch, time)
    else:
        lens = _as_numpy(lengths).astype(np.int64).reshape(-1)
        if lens.shape[0] != batch or (batch and (lens.min() < 0 or lens.max() > time)):
            raise ValueError(f"ctc_greedy_decode: lengths must be {batch} values in [0, {time}],"
                             f" got {lens.tolist()}")
    ids = scores.argmax(axis=-1)
    # Keep a frame when it is not blank, differs from the previous frame and is inside its
    # utterance: the whole batch in three array comparisons.
    prev = np.concatenate([np.full((batch, 1), -1), ids[:, :-1]], axis=1)
    keep = (ids != blank) & (ids != prev) & (np.arange(time)[None, :] < lens[:, None])
    counts = keep.sum(axis=1)
    pieces = np.split(ids[keep], np.cumsum(counts)[:-1])  # row-major: utterance order
    out = [p.tolist() for p in pieces]
    return out[0] if single else out


@dataclass
class CTCHypothesis:
    """One decoded hypothesis (torchaudio's ``CTCHypothesis`` fields).

    Attributes:
        tokens: int64 Tensor of the token ids (repeats collapsed, blanks dropped).
        words: the words: the tokens spelled out and split on the word delimiter.
        score: the hypothesis' log-probability (summed over its alignments), plus
            ``word_score`` per word.
        timesteps: int32 Tensor, the frame at which each token starts.
    """

    tokens: Tensor
    words: list = field(default_factory=list)
    score: float = 0.0
    timesteps: Tensor | None = None


def _read_tokens(tokens) -> list:
    if isinstance(tokens, (str, os.PathLike)):
        with open(tokens, encoding="utf-8") as f:
            return [line.rstrip("\n").split(" ")[0] for line in f if line.strip()]
    return [str(t) for t in tokens]


def _read_lexicon(lexicon) -> list:
    """``[(word, [token, ...]), ...]`` from a word list or a lexicon file.

    A file holds one word per line, optionally followed by its spelling in tokens separated by
    spaces (torchaudio's format, ``hello h e l l o |``; a trailing word delimiter is dropped);
    a bare word is spelled by its characters.
    """
    if isinstance(lexicon, (str, os.PathLike)):
        with open(lexicon, encoding="utf-8") as f:
            lines = [line.split() for line in f if line.strip()]
    else:  # list entries take the same two forms as the file's lines
        lines = [str(w).split() for w in lexicon if str(w).strip()]
    return [(parts[0], parts[1:] or list(parts[0])) for parts in lines]


class _Trie:
    """Token trie as two arrays, so that a step looks up every beam at once:
    ``children[node, token]`` (-1: no such edge) and ``is_word[node]``. Node 0 is the root."""

    def __init__(self, spellings: list, n_tokens: int) -> None:
        children = [np.full(n_tokens, -1, dtype=np.int64)]
        is_word = [False]
        for spelling in spellings:
            node = 0
            for tok in spelling:
                if children[node][tok] < 0:
                    children[node][tok] = len(children)
                    children.append(np.full(n_tokens, -1, dtype=np.int64))
                    is_word.append(False)
                node = children[node][tok]
            is_word[node] = True
        self.children = np.stack(children)
        self.is_word = np.asarray(is_word)


class CTCBeamSearchDecoder:
    """CTC prefix beam search in log space, optionally constrained to a lexicon.

    Each beam is a distinct label prefix with two log-probabilities: of the alignments ending in
    a blank and of those ending in its last token. Per frame every beam is extended by every
    token at once (a ``(beams, tokens)`` array); an extension that recreates a prefix already in
    the beam is merged into it (log-add), and the ``beam_size`` best survive. With a beam
    holding every prefix this is exact: it returns the labelling of highest total probability.

    Args:
        tokens: the token strings, index = class (a list, or a file with one token per line).
        lexicon: None (any token sequence) or the allowed words: a list of words spelled by
            their characters (or of ``"word tok tok ..."`` entries), or a lexicon file (one
            such entry per line).
        nbest: hypotheses returned per utterance.
        beam_size: prefixes kept per frame.
        beam_threshold: prefixes scoring more than this below the best are dropped.
        blank: the blank token, as an index or a token string.
        word_delimiter: the token between words (``'|'``, torchaudio's ``sil_token``).
        word_score: added to the score for each word (favours more or fewer words).

    Call: ``decoder(emissions, lengths=None)`` with emissions ``(batch, time, classes)`` (or
    ``(time, classes)``) log-probabilities -> ``list[list[CTCHypothesis]]`` (one list per
    utterance, best first).

    Example:
        >>> dec = ctc_beam_search_decoder(["-", "|", "a", "b"], beam_size=8)
        >>> hyps = dec(ember.randn(1, 20, 4).log_softmax(-1))
        >>> hyps[0][0].words  # doctest: +SKIP
    """

    def __init__(self, tokens, lexicon=None, nbest: int = 1, beam_size: int = 50,
                 beam_threshold: float = 50.0, blank=0, word_delimiter: str = "|",
                 word_score: float = 0.0) -> None:
        self.tokens = _read_tokens(tokens)
        index = {t: i for i, t in enumerate(self.tokens)}
        if isinstance(blank, str):
            if blank not in index:
                raise ValueError(f"ctc_beam_search_decoder: blank token {blank!r} is not in "
                                 f"tokens {self.tokens[:8]}...")
            blank = index[blank]
        if not 0 <= int(blank) < len(self.tokens):
            raise ValueError(f"ctc_beam_search_decoder: blank={blank} is not an index of the "
                             f"{len(self.tokens)} tokens")
        if nbest < 1 or beam_size < 1 or nbest > beam_size:
            raise ValueError(f"ctc_beam_search_decoder: need 1 <= nbest <= beam_size, got "
                             f"nbest={nbest}, beam_size={beam_size}")
        self.blank, self.nbest, self.beam_size = int(blank), nbest, beam_size
        self.beam_threshold, self.word_score = float(beam_threshold), float(word_score)
        self.word_delimiter = word_delimiter
        self.delim = index.get(word_delimiter, -1)
        self.trie = None
        if lexicon is not None:
            if self.delim < 0:
                raise ValueError(f"ctc_beam_search_decoder: a lexicon needs the word delimiter "
                                 f"{word_delimiter!r} among the tokens")
            spellings = []
            for word, spelling in _read_lexicon(lexicon):
                missing = [t for t in spelling if t not in index]
                if missing:
                    raise ValueError(f"ctc_beam_search_decoder: lexicon word {word!r} uses "
                                     f"tokens {missing} that are not in tokens; fix the "
                                     f"lexicon or the token list (case matters)")
                if spelling and spelling[-1] == word_delimiter:
                    spelling = spelling[:-1]
                spellings.append([index[t] for t in spelling])
            self.trie = _Trie(spellings, len(self.tokens))

    def __call__(self, emissions, lengths=None) -> list:
        scores = _as_numpy(emissions)
        if scores.ndim == 2:
            scores = scores[None]
        if scores.ndim != 3 or scores.shape[-1] != len(self.tokens):
            raise ValueError(f"CTCBeamSearchDecoder: emissions must be (batch, time, "
                             f"{len(self.tokens)}) (one column per token), got shape "
                             f"{_as_numpy(emissions).shape}")
        lens = (np.full(scores.shape[0], scores.shape[1]) if lengths is None
                else _as_numpy(lengths).astype(np.int64).reshape(-1))
        return [self._decode(scores[b, : lens[b]]) for b in range(scores.shape[0])]

    def _allowed(self, nodes: np.ndarray) -> np.ndarray:
        """``(beams, tokens)``: which non-blank tokens may extend each beam, and the trie node
        each extension lands on (root after a delimiter)."""
        n_tok = len(self.tokens)
        if self.trie is None:
            return np.ones((len(nodes), n_tok), dtype=bool), np.zeros((len(nodes), n_tok),
                                                                       dtype=np.int64)
        nxt = self.trie.children[nodes].copy()
        # The delimiter closes a word (at a word end) or is silence between words (at the root).
        nxt[:, self.delim] = np.where(self.trie.is_word[nodes] | (nodes == 0), 0, -1)
        return nxt >= 0, nxt

    def _decode(self, lp: np.ndarray) -> list:
        blank, n_tok = self.blank, lp.shape[1]
        prefixes: list = [()]           # label sequences
        times: list = [()]              # the start frame of each label
        pb, pnb = np.array([0.0]), np.array([-np.inf])
        nodes = np.zeros(1, dtype=np.int64)
        for t in range(lp.shape[0]):
            e = lp[t]
            total = np.logaddexp(pb, pnb)
            last = np.array([p[-1] if p else -1 for p in prefixes])
            # Staying on the same prefix: a blank, or the last token repeated (collapsed).
            stay_b = total + e[blank]
            stay_nb = pnb + np.where(last >= 0, e[np.maximum(last, 0)], -np.inf)
            # Extending by token c: from either ending, except a repeat of the last token,
            # which needs a blank in between (else it would have collapsed).
            ext = total[:, None] + e[None, :]
            rep = last >= 0
            ext[rep, last[rep]] = pb[rep] + e[last[rep]]
            ext[:, blank] = -np.inf
            allowed, nxt = self._allowed(nodes)
            ext[~allowed] = -np.inf
            # Merge extensions that recreate a prefix already in the beam.
            # Its timesteps follow the larger contribution (the likelier alignment).
            where = {p: i for i, p in enumerate(prefixes)}
            old_times = list(times)
            for i, p in enumerate(prefixes):
                j = where.get(p[:-1]) if p else None
                if j is not None:
                    if ext[j, p[-1]] > np.logaddexp(stay_b[i], stay_nb[i]):
                        times[i] = old_times[j] + (t,)
                    stay_nb[i] = np.logaddexp(stay_nb[i], ext[j, p[-1]])
                    ext[j, p[-1]] = -np.inf
            stay = np.logaddexp(stay_b, stay_nb)
            cand = np.concatenate([stay, ext.ravel()])
            k = min(self.beam_size, int(np.isfinite(cand).sum()) or 1)
            top = np.argpartition(-cand, k - 1)[:k]
            top = top[cand[top] >= cand[top].max() - self.beam_threshold]
            n_beam = len(prefixes)
            new_p, new_t, new_pb, new_pnb, new_nodes = [], [], [], [], []
            for c in top.tolist():
                if c < n_beam:
                    new_p.append(prefixes[c])
                    new_t.append(times[c])
                    new_pb.append(stay_b[c])
                    new_pnb.append(stay_nb[c])
                    new_nodes.append(nodes[c])
                else:
                    b, tok = divmod(c - n_beam, n_tok)
                    new_p.append(prefixes[b] + (tok,))
                    new_t.append(times[b] + (t,))
                    new_pb.append(-np.inf)
                    new_pnb.append(ext[b, tok])
                    new_nodes.append(nxt[b, tok])
            prefixes, times = new_p, new_t
            pb, pnb, nodes = np.array(new_pb), np.array(new_pnb), np.array(new_nodes)
        final = np.logaddexp(pb, pnb)
        if self.trie is not None:
            # An unfinished word at the end is not in the lexicon: drop it (if any other is left).
            done = self.trie.is_word[nodes] | (nodes == 0)
            if done.any():
                final = np.where(done, final, -np.inf)
        hyps = []
        for i in np.argsort(-final, kind="stable")[: self.nbest]:
            if not np.isfinite(final[i]) and hyps:
                break
            words = self._words(prefixes[i])
            hyps.append(CTCHypothesis(
                tokens=ember.tensor(list(prefixes[i]), dtype=ember.int64), words=words,
                score=float(final[i]) + self.word_score * len(words),
                timesteps=ember.tensor(list(times[i]), dtype=ember.int32)))
        return hyps

    def _words(self, ids) -> list:
        text = "".join(self.word_delimiter if i == self.delim else self.tokens[i] for i in ids)
        return [w for w in text.split(self.word_delimiter) if w] if self.delim >= 0 else (
            [text] if text else [])

    def idxs_to_tokens(self, idxs) -> list:
        """Token strings of a sequence of ids (torchaudio's method name)."""
        return [self.tokens[int(i)] for i in idxs]


def ctc_beam_search_decoder(tokens, lexicon=None, nbest: int = 1, beam_size: int = 50,
                            beam_threshold: float = 50.0, blank=0, word_delimiter: str = "|",
                            word_score: float = 0.0) -> CTCBeamSearchDecoder:
    """Build a :class:`CTCBeamSearchDecoder` (torchaudio's ``ctc_decoder`` factory; its
    ``blank_token``/``sil_token`` are ``blank``/``word_delimiter`` here, and there is no
    language model).

    Example:
        >>> decoder = ctc_beam_search_decoder(["<pad>", "|", "A", "B"], lexicon=["AB", "BA"])
        >>> best = decoder(log_probs)[0][0]  # doctest: +SKIP
        >>> best.words, best.score  # doctest: +SKIP
    """
    return CTCBeamSearchDecoder(tokens, lexicon=lexicon, nbest=nbest, beam_size=beam_size,
                                beam_threshold=beam_threshold, blank=blank,
                                word_delimiter=word_delimiter, word_score=word_score)
