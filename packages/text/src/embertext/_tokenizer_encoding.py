"""Encoding and decoding for :class:`embertext.Tokenizer`: ``transformers``' calling convention
(padding and truncation strategies, masks, segment ids, offsets, tensors) on the backend's
batch encoder, and :class:`BatchEncoding`, what a call returns.

:class:`_EncodingMixin` holds the methods; :class:`~embertext.tokenizer.Tokenizer` inherits them
and supplies ``_tokenizer`` (the backend), the special tokens, ``model_max_length``,
``padding_side``, ``truncation_side``, ``model_input_names`` and
``clean_up_tokenization_spaces``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ._tokenizer_pipeline import _LARGE_INTEGER

_PADDING = {False: None, "do_not_pad": None, True: "longest", "longest": "longest",
            "max_length": "max_length"}
_TRUNCATION = {False: None, "do_not_truncate": None, True: "longest_first",
               "longest_first": "longest_first", "only_first": "only_first",
               "only_second": "only_second"}
_TENSOR_TYPES = ("ember", "pt", "np")

# transformers' clean_up_tokenization: undo the spaces a word-level join puts before punctuation.
_CLEANUPS = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
             (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


class BatchEncoding(dict):
    """What a :class:`Tokenizer` call returns: a dict (``input_ids``, ``attention_mask``,
    ``token_type_ids``, ``offset_mapping``... as lists, NumPy arrays or ember int64 tensors),
    whose keys are also attributes, with the backend's encodings for word/token alignment.

    Example:
        >>> enc = tok(["hello world"], return_tensors="ember")
        >>> enc.input_ids.shape, enc.tokens(0), enc.word_ids(0)
    """

    def __init__(self, data=None, encodings=None):
        super().__init__(data or {})
        self._encodings = encodings

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, item):
        # transformers: an int indexes the batch's encodings, a str the fields.
        if isinstance(item, int):
            return self._encodings[item]
        return super().__getitem__(item)

    def __reduce__(self):
        return (BatchEncoding, (dict(self), self._encodings))

    @property
    def encodings(self):
        """The backend's ``tokenizers.Encoding`` objects, one per sequence."""
        return self._encodings

    def tokens(self, batch_index: int = 0) -> list[str]:
        """The token strings of sequence ``batch_index``."""
        return self._encodings[batch_index].tokens

    def word_ids(self, batch_index: int = 0) -> list:
        """For each token of sequence ``batch_index``, the index of the word it comes from
        (None for special and pad tokens)."""
        return self._encodings[batch_index].word_ids

    def sequence_ids(self, batch_index: int = 0) -> list:
        """For each token, 0 (first text), 1 (second text of a pair) or None (special/pad)."""
        return self._encodings[batch_index].sequence_ids

    def to(self, device) -> BatchEncoding:
        """A copy with every tensor moved to ``device`` (lists are kept as they are)."""
        moved = {k: (v.to(device) if hasattr(v, "to") else v) for k, v in self.items()}
        return BatchEncoding(moved, self._encodings)


# Defined here, documented and imported as embertext.tokenizer.BatchEncoding: that is the name
# pickles of it record, as they did before the module was split.
BatchEncoding.__module__ = "embertext.tokenizer"


class _EncodingMixin:
    """Tokenizer methods that turn texts into ids (``__call__``, ``encode``...) and back."""

    def __call__(self, text, text_pair=None, *, add_special_tokens: bool = True,
                 padding: bool | str = False, truncation: bool | str | None = None,
                 max_length: int | None = None, pad_to_multiple_of: int | None = None,
                 padding_side: str | None = None, return_tensors: str | None = None,
                 return_token_type_ids: bool | None = None,
                 return_attention_mask: bool | None = None,
                 return_special_tokens_mask: bool = False, return_offsets_mapping: bool = False,
                 return_length: bool = False) -> BatchEncoding:
        """Tokenize a text, a pair, or a batch of them.

        The options after ``text_pair`` are keyword-only here (transformers also accepts them
        by position, which is easy to get wrong).

        Args:
            text: a string, or a list of strings (a batch), or a list of (text, text_pair)
                tuples.
            text_pair: the second text of a pair (a string, or a list as long as ``text``).
            add_special_tokens: add [CLS]/[SEP] (or the tokenizer's equivalent).
            padding: ``False``/``'do_not_pad'``; ``True``/``'longest'`` pads to the longest in
                the batch; ``'max_length'`` pads to ``max_length`` (or ``model_max_length``).
            truncation: ``True``/``'longest_first'`` (cut the longer of a pair token by token),
                ``'only_first'``, ``'only_second'``, ``False``. Default None: truncate only
                when ``max_length`` is given without padding (transformers' rule).
            max_length: the length to truncate/pad to, special tokens included. Default:
                ``model_max_length``.
            pad_to_multiple_of: round the padded length up to a multiple of this.
            padding_side: override :attr:`padding_side` for this call.
            return_tensors: None (lists), ``'ember'`` (int64 tensors; ``'pt'`` is accepted as
                a synonym so PyTorch code runs) or ``'np'``. A single text gets a batch axis.
            return_token_type_ids: segment ids. Default: when the model uses them.
            return_attention_mask: 1 for tokens, 0 for padding. Default: True.
            return_special_tokens_mask: 1 for special and pad tokens.
            return_offsets_mapping: each token's (start, end) character span in its text;
                (0, 0) for special and pad tokens.
            return_length: the number of tokens of each sequence.

        Returns:
            BatchEncoding: ``input_ids`` and the requested fields; shape (batch, length) (and
            (batch, length, 2) for offsets) for a batch or with ``return_tensors``.

        Example:
            >>> tok(["a cat", "the dogs run"], padding=True)["attention_mask"]
            [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
        """
        inputs, batched = self._inputs(text, text_pair)
        pad, trunc, max_length = self._strategies(padding, truncation, max_length,
                                                  pad_to_multiple_of)
        if return_tensors is not None and return_tensors not in _TENSOR_TYPES:
            raise ValueError(f"Tokenizer: return_tensors must be one of {list(_TENSOR_TYPES)} "
                             f"or None, got {return_tensors!r}")
        encodings = self._encode(inputs, add_special_tokens, pad, trunc, max_length,
                                 pad_to_multiple_of, padding_side or self.padding_side)
        if return_tensors is not None:
            self._check_stackable(encodings, trunc)
        if return_token_type_ids is None:
            return_token_type_ids = "token_type_ids" in self.model_input_names
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        fields = {"input_ids": [e.ids for e in encodings]}
        if return_token_type_ids:
            fields["token_type_ids"] = [e.type_ids for e in encodings]
        if return_attention_mask:
            fields["attention_mask"] = [e.attention_mask for e in encodings]
        if return_special_tokens_mask:
            fields["special_tokens_mask"] = [e.special_tokens_mask for e in encodings]
        if return_offsets_mapping:
            fields["offset_mapping"] = [e.offsets for e in encodings]
        if return_length:
            fields["length"] = [len(e.ids) for e in encodings]
        if return_tensors is not None:
            fields = {k: _as_tensor(v, return_tensors) for k, v in fields.items()}
        elif not batched:
            fields = {k: v[0] for k, v in fields.items()}
        return BatchEncoding(fields, encodings)

    def encode(self, text: str, text_pair: str | None = None, *, add_special_tokens: bool = True,
               padding: bool | str = False, truncation: bool | str | None = None,
               max_length: int | None = None, return_tensors: str | None = None):
        """The ids of one text (or pair): a list, or a (1, L) tensor with ``return_tensors``.

        Example:
            >>> tok.encode("Hello world!")
            [101, 7592, 2088, 999, 102]
        """
        if not isinstance(text, str):
            raise TypeError(f"Tokenizer.encode: takes one text (a str), got "
                            f"{type(text).__name__}; for a batch use encode_batch or call the "
                            "tokenizer on the list")
        return self(text, text_pair, add_special_tokens=add_special_tokens, padding=padding,
                    truncation=truncation, max_length=max_length, return_tensors=return_tensors,
                    return_attention_mask=False, return_token_type_ids=False)["input_ids"]

    def encode_batch(self, texts: Sequence, *, add_special_tokens: bool = True,
                     padding: bool | str = False, truncation: bool | str | None = None,
                     max_length: int | None = None) -> list[list[int]]:
        """The ids of each text of a batch (strings or (text, text_pair) tuples), as lists."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.encode_batch: takes a list of texts, got one str; use "
                            "encode for a single text")
        return self(list(texts), add_special_tokens=add_special_tokens, padding=padding,
                    truncation=truncation, max_length=max_length,
                    return_attention_mask=False, return_token_type_ids=False)["input_ids"]

    def decode(self, token_ids, skip_special_tokens: bool = True,
               clean_up_tokenization_spaces: bool | None = None) -> str:
        """Text from ids (a list, a 1-D tensor or array, or one int).

        ``skip_special_tokens`` defaults to True, as in the ``tokenizers`` library (transformers'
        ``decode`` defaults to False): a decoded model output rarely wants [CLS]/[PAD].
        """
        if hasattr(token_ids, "tolist"):
            token_ids = token_ids.tolist()
        if isinstance(token_ids, int):
            token_ids = [token_ids]
        text = self._tokenizer.decode(token_ids, skip_special_tokens=skip_special_tokens)
        if clean_up_tokenization_spaces is None:
            clean_up_tokenization_spaces = self.clean_up_tokenization_spaces
        if clean_up_tokenization_spaces:
            for before, after in _CLEANUPS:
                text = text.replace(before, after)
        return text

    def batch_decode(self, sequences, skip_special_tokens: bool = True,
                     clean_up_tokenization_spaces: bool | None = None) -> list[str]:
        """:meth:`decode` for each row of a list of id lists or a 2-D tensor."""
        if hasattr(sequences, "tolist"):
            sequences = sequences.tolist()
        return [self.decode(s, skip_special_tokens, clean_up_tokenization_spaces)
                for s in sequences]

    def _inputs(self, text, text_pair):
        """Validate the call's text arguments: (list of str or (str, str), batched?)."""
        if isinstance(text, str):
            if text_pair is not None and not isinstance(text_pair, str):
                raise ValueError("Tokenizer: text is one str, so text_pair must be one str too, "
                                 f"got {type(text_pair).__name__}")
            return [text if text_pair is None else (text, text_pair)], False
        if not isinstance(text, (list, tuple)):
            raise ValueError(f"Tokenizer: text must be a str or a list of str, got "
                             f"{type(text).__name__}")
        if text_pair is not None:
            if isinstance(text_pair, str) or len(text_pair) != len(text):
                raise ValueError(f"Tokenizer: text_pair must be a list as long as text "
                                 f"({len(text)}), got {text_pair!r:.60}")
            text = list(zip(text, text_pair))
        for item in text:
            ok = isinstance(item, str) or (isinstance(item, (list, tuple)) and len(item) == 2 and
                                           all(isinstance(t, str) for t in item))
            if not ok:
                raise ValueError(f"Tokenizer: each text of a batch must be a str or a (text, "
                                 f"text_pair) tuple of str, got {item!r:.60}")
        return [t if isinstance(t, str) else tuple(t) for t in text], True

    def _strategies(self, padding, truncation, max_length, pad_to_multiple_of):
        """transformers' _get_padding_truncation_strategies, less its deprecated paths."""
        if padding not in _PADDING:
            raise ValueError(f"Tokenizer: padding must be one of {list(_PADDING)}, got "
                             f"{padding!r}")
        if truncation is not None and truncation not in _TRUNCATION:
            raise ValueError(f"Tokenizer: truncation must be one of {list(_TRUNCATION)}, got "
                             f"{truncation!r}")
        pad = _PADDING[padding]
        if truncation is None:
            # transformers: max_length without padding means "truncate to it".
            truncation = max_length is not None and pad is None
        trunc = _TRUNCATION[truncation]
        if max_length is None:
            limit = self.model_max_length if self.model_max_length <= _LARGE_INTEGER else None
            if pad == "max_length":
                if limit is None:
                    raise ValueError("Tokenizer: padding='max_length' needs a length: pass "
                                     "max_length=... (this tokenizer has no model_max_length)")
                max_length = limit
            if trunc is not None:
                if limit is None:
                    warnings.warn("Tokenizer: truncation asked for but neither max_length nor "
                                  "model_max_length is set; not truncating", stacklevel=3)
                    trunc = None
                max_length = limit
        if (trunc is not None and pad is not None and pad_to_multiple_of is not None
                and max_length is not None and max_length % pad_to_multiple_of):
            raise ValueError(f"Tokenizer: truncation length {max_length} is not a multiple of "
                             f"pad_to_multiple_of={pad_to_multiple_of}; pick a max_length that "
                             "is one")
        if pad is not None and self.pad_token_id is None:
            raise ValueError(
                "Tokenizer: padding needs a pad token and this tokenizer has none. Set one, "
                "e.g. tokenizer.pad_token = tokenizer.eos_token, or add a new one with "
                "tokenizer.add_special_tokens({'pad_token': '[PAD]'}).")
        return pad, trunc, max_length

    def _encode(self, inputs, add_special_tokens, pad, trunc, max_length, pad_to_multiple_of,
                padding_side):
        if padding_side not in ("right", "left"):
            raise ValueError(f"Tokenizer: padding_side must be 'right' or 'left', got "
                             f"{padding_side!r}")
        backend = self._tokenizer
        try:
            if trunc is not None:
                backend.enable_truncation(max_length, strategy=trunc,
                                          direction=self.truncation_side)
            if pad is not None:
                backend.enable_padding(direction=padding_side, pad_id=self.pad_token_id,
                                       pad_token=self.pad_token,
                                       length=max_length if pad == "max_length" else None,
                                       pad_to_multiple_of=pad_to_multiple_of)
            return backend.encode_batch(inputs, add_special_tokens=add_special_tokens)
        except Exception as e:  # the Rust side raises bare Exceptions (truncation errors)
            raise ValueError(f"Tokenizer: {e} (truncation={trunc!r}, max_length={max_length}); "
                             "'only_second' needs pairs, and max_length must leave room for "
                             "the special tokens") from e
        finally:  # padding/truncation are per call: leave the backend as it was
            backend.no_truncation()
            backend.no_padding()

    def _check_stackable(self, encodings, trunc) -> None:
        """Tensors need every row within the model's length and all rows equally long."""
        n_real = [len(e.ids) - e.attention_mask.count(0) for e in encodings]
        if trunc is None and n_real and max(n_real) > self.model_max_length:
            i = int(np.argmax(n_real))
            raise ValueError(
                f"Tokenizer: sequence {i} has {n_real[i]} tokens, more than the model accepts "
                f"(model_max_length={self.model_max_length}); pass truncation=True to cut it "
                "(max_length=... for a shorter cut), or split the text into chunks.")
        lengths = {len(e.ids) for e in encodings}
        if len(lengths) > 1:
            raise ValueError(
                f"Tokenizer: cannot make a tensor from sequences of different lengths "
                f"({min(lengths)} to {max(lengths)} tokens); pass padding=True (or "
                "padding='max_length').")


def _as_tensor(rows, kind: str):
    array = np.asarray(rows, dtype=np.int64)
    if kind == "np":
        return array
    import ember

    return ember.from_numpy(array)
