"""Word-level vocabularies with torchtext's API (``torchtext.vocab``) and its ``basic_english``
tokenizer (``torchtext.data.utils.get_tokenizer``).

    tokenizer = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator(map(tokenizer, texts), specials=["<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    ids = vocab(tokenizer("Hello, world!"))
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence

__all__ = ["Vocab", "vocab", "build_vocab_from_iterator", "get_tokenizer"]


class Vocab:
    """A token <-> index table (torchtext's ``Vocab``).

    Build one with :func:`build_vocab_from_iterator` or :func:`vocab`. Looking up a token that
    is not in the table returns the default index if one is set
    (:meth:`set_default_index`), else raises a RuntimeError.

    Args:
        tokens: the tokens, in index order (no duplicates).
        default_index: the index returned for unknown tokens (None: raise).

    Example:
        >>> v = Vocab(["<unk>", "the", "cat"])
        >>> v["cat"], v.lookup_tokens([1, 2]), "dog" in v
        (2, ['the', 'cat'], False)
        >>> v.set_default_index(0)
        >>> v(["the", "dog"])
        [1, 0]
    """

    def __init__(self, tokens: Iterable[str] = (), default_index: int | None = None) -> None:
        self._itos: list[str] = list(tokens)
        self._stoi: dict[str, int] = {}
        for i, token in enumerate(self._itos):
            if token in self._stoi:
                raise RuntimeError(f"Vocab: duplicate token {token!r} in the token list (at "
                                   f"indices {self._stoi[token]} and {i})")
            self._stoi[token] = i
        self._default_index = default_index

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        """The index of ``token`` (the default index for an unknown one, if set)."""
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self._default_index is None:
            raise RuntimeError(
                f"Vocab: token {token!r} not found and default index is not set; call "
                "vocab.set_default_index(vocab['<unk>']) (build the vocab with "
                "specials=['<unk>']) to map unknown tokens to an index.")
        return self._default_index

    def __call__(self, tokens: Sequence[str]) -> list[int]:
        """Same as :meth:`lookup_indices` (torchtext's ``forward``)."""
        return self.lookup_indices(tokens)

    forward = __call__

    def __repr__(self) -> str:
        head = ", ".join(map(repr, self._itos[:5])) + (", ..." if len(self) > 5 else "")
        return f"Vocab(size={len(self)}, tokens=[{head}], default_index={self._default_index})"

    def set_default_index(self, index: int | None) -> None:
        """Make unknown tokens map to ``index`` (None: raise on unknown tokens again)."""
        if index is not None and not isinstance(index, int):
            raise TypeError(f"Vocab.set_default_index: index must be an int or None, got "
                            f"{type(index).__name__}")
        self._default_index = index

    def get_default_index(self) -> int | None:
        """The index for unknown tokens, or None."""
        return self._default_index

    def insert_token(self, token: str, index: int) -> None:
        """Insert ``token`` at ``index``; the tokens from ``index`` on move up by one.

        Raises:
            RuntimeError: if the token is already present or ``index`` is not in
                ``[0, len(vocab)]``.
        """
        if token in self._stoi:
            raise RuntimeError(f"Vocab.insert_token: token {token!r} already exists in the "
                               f"Vocab with index: {self._stoi[token]}")
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(f"Vocab.insert_token: index {index} is out of range; it must "
                               f"be in [0, {len(self._itos)}]")
        self._itos.insert(index, token)
        # Only the tokens at and after index change; rebuild those entries.
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i

    def append_token(self, token: str) -> None:
        """Add ``token`` at the end (index ``len(vocab)``).

        Raises:
            RuntimeError: if the token is already present.
        """
        if token in self._stoi:
            raise RuntimeError(f"Vocab.append_token: token {token!r} already exists in the "
                               f"Vocab with index: {self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def lookup_token(self, index: int) -> str:
        """The token at ``index``.

        Raises:
            RuntimeError: if ``index`` is out of range.
        """
        if not 0 <= index < len(self._itos):
            raise RuntimeError(f"Vocab.lookup_token: index {index} is out of range for a "
                               f"vocabulary of {len(self._itos)} tokens")
        return self._itos[index]

    def lookup_tokens(self, indices: Sequence[int]) -> list[str]:
        """The tokens at ``indices`` (a list, or a 1-D tensor/array)."""
        if hasattr(indices, "tolist"):
            indices = indices.tolist()
        return [self.lookup_token(i) for i in indices]

    def lookup_indices(self, tokens: Sequence[str]) -> list[int]:
        """The indices of ``tokens``."""
        stoi, default = self._stoi, self._default_index
        if default is None:
            return [self[t] for t in tokens]
        return [stoi.get(t, default) for t in tokens]

    def get_stoi(self) -> dict[str, int]:
        """Token -> index (a copy)."""
        return dict(self._stoi)

    def get_itos(self) -> list[str]:
        """Index -> token, as a list (a copy)."""
        return list(self._itos)


def vocab(ordered_dict: dict, min_freq: int = 1, specials: Sequence[str] | None = None,
          special_first: bool = True) -> Vocab:
    """A :class:`Vocab` from a token -> frequency mapping, in its order (torchtext's
    ``vocab`` factory).

    Args:
        ordered_dict: token -> frequency; the order gives the indices.
        min_freq: keep tokens seen at least this often.
        specials: tokens added whatever their frequency (e.g. ``['<unk>', '<pad>']``).
        special_first: put the specials first (else last).

    Example:
        >>> vocab(OrderedDict([("b", 3), ("a", 1)]), specials=["<unk>"]).get_itos()
        ['<unk>', 'b', 'a']
    """
    specials = list(specials or [])
    special_set = set(specials)
    tokens = [t for t, freq in ordered_dict.items() if freq >= min_freq and t not in special_set]
    tokens = specials + tokens if special_first else tokens + specials
    return Vocab(tokens)


def build_vocab_from_iterator(iterator: Iterable[Iterable[str]], min_freq: int = 1,
                              specials: Sequence[str] | None = None, special_first: bool = True,
                              max_tokens: int | None = None) -> Vocab:
    """Count the tokens of an iterator of token lists and build a :class:`Vocab`, most frequent
    first (ties in lexicographic order), as torchtext does.

    Args:
        iterator: yields lists of tokens (e.g. ``map(tokenizer, texts)``).
        min_freq: keep tokens seen at least this often.
        specials: tokens added whatever their frequency.
        special_first: put the specials first (else last).
        max_tokens: at most this many tokens, specials included.

    Returns:
        Vocab

    Example:
        >>> v = build_vocab_from_iterator([["b", "a", "b"], ["c"]], specials=["<unk>"])
        >>> v.get_itos()
        ['<unk>', 'b', 'a', 'c']
    """
    counter: Counter = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or [])
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    if max_tokens is not None:
        # torchtext asserts here; a ValueError says what to change (and survives python -O).
        if len(specials) >= max_tokens:
            raise ValueError(f"build_vocab_from_iterator: max_tokens={max_tokens} leaves no room "
                             f"beside the {len(specials)} specials; raise max_tokens")
        # torchtext cuts before removing specials from the counts, so a special that also
        # occurs in the text takes one of the max_tokens slots; kept for identical vocabularies.
        ordered = ordered[: max_tokens - len(specials)]
    return vocab(OrderedDict(ordered), min_freq, specials, special_first)


# torchtext's _basic_english_normalize, rule for rule: quotes and punctuation become separate
# tokens, double quotes and ';' ':' vanish, the HTML line break '<br />' becomes a space.
_BASIC_ENGLISH = [(re.compile(p), r) for p, r in (
    (r"\'", " '  "), (r"\"", ""), (r"\.", " . "), (r"<br \/>", " "), (r",", " , "),
    (r"\(", " ( "), (r"\)", " ) "), (r"\!", " ! "), (r"\?", " ? "), (r"\;", " "), (r"\:", " "),
    (r"\s+", " "),
)]


def _basic_english_normalize(line: str) -> list[str]:
    line = line.lower()
    for pattern, replacement in _BASIC_ENGLISH:
        line = pattern.sub(replacement, line)
    return line.split()


def _split_tokenizer(line: str) -> list[str]:
    return line.split()


def get_tokenizer(tokenizer: str | Callable | None, language: str = "en") -> Callable:
    """A function from a string to a list of tokens (torchtext's ``get_tokenizer``).

    Args:
        tokenizer: ``'basic_english'`` (lowercase, punctuation split off), None (split on
            whitespace), or a callable (returned as is).
        language: must be ``'en'`` for ``'basic_english'``.

    Example:
        >>> get_tokenizer("basic_english")("Don't panic!")
        ['don', "'", 't', 'panic', '!']
    """
    if tokenizer is None:
        return _split_tokenizer
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError(f"get_tokenizer: 'basic_english' is only available for English "
                             f"(language='en'), got language={language!r}")
        return _basic_english_normalize
    raise ValueError(
        f"get_tokenizer: unknown tokenizer {tokenizer!r}; embertext provides 'basic_english' "
        "and None (whitespace split), or pass a callable. torchtext's 'spacy', 'moses', "
        "'toktok', 'revtok' and 'subword' need third-party libraries: wrap their tokenize "
        "function and pass it as the callable.")
