"""Subword tokenizers with the Hugging Face ``transformers`` calling convention, on the Hugging
Face ``tokenizers`` library (Rust): embertext wraps it, it does not re-implement it.

    tok = Tokenizer.from_pretrained("path/to/bert-folder")
    batch = tok(["a first text", "a second one"], padding=True, return_tensors="ember")
    batch["input_ids"].shape            # (2, L) int64 ember tensor

A :class:`Tokenizer` is the ``tokenizers`` pipeline (normaliser, pre-tokeniser, model,
post-processor adding [CLS]/[SEP], decoder) plus what ``transformers`` keeps beside it: the
special-token roles (pad, cls, sep, mask, unk, bos, eos), ``model_max_length`` and the padding
side. Those live in ``tokenizer_config.json`` / ``special_tokens_map.json`` next to
``tokenizer.json`` in a model folder, so folders saved by either library load in the other.

This module holds the :class:`Tokenizer` class (construction, special tokens, vocabulary,
saving); its parts live beside it: ``_tokenizer_pipeline`` (reading roles from a pipeline,
BERT's pipeline from vocab.txt, file helpers), ``_tokenizer_training`` (:meth:`Tokenizer.train`'s
pipelines and trainers) and ``_tokenizer_encoding`` (the calling convention and
:class:`BatchEncoding`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from tokenizers import AddedToken
from tokenizers import Tokenizer as _Backend

from ._tokenizer_encoding import BatchEncoding, _EncodingMixin
from ._tokenizer_pipeline import (
    _UNSET,
    SPECIAL_TOKENS_ATTRIBUTES,
    VERY_LARGE_INTEGER,
    _bert_backend,
    _content,
    _id_property,
    _infer_roles,
    _read_json,
    _token_property,
    _uses_token_type_ids,
    _write_atomic,
)
from ._tokenizer_training import train_backend

__all__ = ["BatchEncoding", "Tokenizer", "VERY_LARGE_INTEGER", "SPECIAL_TOKENS_ATTRIBUTES"]


class Tokenizer(_EncodingMixin):
    """A tokenizer from the Hugging Face ``tokenizers`` library with ``transformers``' API.

    Build one with :meth:`from_pretrained` (a model folder), :meth:`from_file`
    (``tokenizer.json``), :meth:`from_vocab` (BERT ``vocab.txt``) or :meth:`train`; call it on a
    text or a list of texts (see :meth:`__call__`).

    Args:
        tokenizer_object: a ``tokenizers.Tokenizer``.
        model_max_length: the longest input (in tokens) the model accepts. Default: no limit
            (:data:`VERY_LARGE_INTEGER`, as transformers).
        padding_side: ``'right'`` (default) or ``'left'`` (decoder-only generation).
        truncation_side: ``'right'`` (default) or ``'left'``.
        model_input_names: the fields the model takes. Default: ``input_ids``, ``attention_mask``
            and ``token_type_ids`` when the post-processor gives pairs segment ids (BERT).
        clean_up_tokenization_spaces: remove the space before punctuation when decoding.
        bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token: the special
            tokens (strings). Default: read from the pipeline (the post-processor's [CLS]/[SEP],
            the model's unknown token) or recognised by conventional spelling (``[PAD]``,
            ``<pad>``, ``<s>``, ``</s>``, ``<|endoftext|>``...); None: the tokenizer has none.
        additional_special_tokens: more special tokens (never split, skipped by decode).

    Example:
        >>> tok = Tokenizer.from_vocab("vocab.txt")
        >>> tok("Hello world!")["input_ids"]
        [101, 7592, 2088, 999, 102]
    """

    bos_token = _token_property("bos_token")
    eos_token = _token_property("eos_token")
    unk_token = _token_property("unk_token")
    sep_token = _token_property("sep_token")
    pad_token = _token_property("pad_token")
    cls_token = _token_property("cls_token")
    mask_token = _token_property("mask_token")
    bos_token_id = _id_property("bos_token")
    eos_token_id = _id_property("eos_token")
    unk_token_id = _id_property("unk_token")
    sep_token_id = _id_property("sep_token")
    pad_token_id = _id_property("pad_token")
    cls_token_id = _id_property("cls_token")
    mask_token_id = _id_property("mask_token")

    def __init__(self, tokenizer_object: _Backend, *, model_max_length: int | None = None,
                 padding_side: str = "right", truncation_side: str = "right",
                 model_input_names: Sequence[str] | None = None,
                 clean_up_tokenization_spaces: bool = False,
                 additional_special_tokens: Sequence[str] = (), **special_tokens) -> None:
        unknown = set(special_tokens) - set(SPECIAL_TOKENS_ATTRIBUTES)
        if unknown:
            raise TypeError(f"Tokenizer: unexpected keyword arguments {sorted(unknown)}")
        if not isinstance(tokenizer_object, _Backend):
            raise TypeError("Tokenizer: tokenizer_object must be a tokenizers.Tokenizer, got "
                            f"{type(tokenizer_object).__name__}")
        self._tokenizer = tokenizer_object
        state = json.loads(tokenizer_object.to_str())
        inferred = _infer_roles(tokenizer_object, state)
        if state.get("padding"):  # a saved padding state names the pad token (transformers)
            inferred["pad_token"] = state["padding"]["pad_token"]
        # Padding and truncation are set per call; a tokenizer.json may carry a saved state
        # (transformers saves whatever the last call left), which must not leak into calls.
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._special = {role: _content(special_tokens.get(role, _UNSET)) for role in
                         SPECIAL_TOKENS_ATTRIBUTES}
        for role, value in self._special.items():
            if value is _UNSET:
                self._special[role] = inferred[role]
        self.additional_special_tokens = [_content(t) for t in additional_special_tokens]
        if self.additional_special_tokens:  # never split, skipped by decode
            self._tokenizer.add_special_tokens(self.additional_special_tokens)
        self.model_max_length = VERY_LARGE_INTEGER if model_max_length is None else int(
            model_max_length)
        self.padding_side = padding_side
        self.truncation_side = truncation_side
        if model_input_names is None:
            model_input_names = ["input_ids", "attention_mask"]
            if _uses_token_type_ids(state):
                model_input_names.insert(1, "token_type_ids")
        self.model_input_names = list(model_input_names)
        self.clean_up_tokenization_spaces = bool(clean_up_tokenization_spaces)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike, **kwargs) -> Tokenizer:
        """Load a ``tokenizer.json`` (the ``tokenizers`` library's format).

        Special-token roles are read from the pipeline or recognised by spelling; pass them
        (and ``model_max_length``...) as keyword arguments to override. A model folder keeps them
        in ``tokenizer_config.json``: prefer :meth:`from_pretrained` for one.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Tokenizer.from_file: no file {str(path)!r}")
        try:
            backend = _Backend.from_file(str(path))
        except Exception as e:  # the Rust side raises a bare Exception on a malformed file
            raise ValueError(f"Tokenizer.from_file: {str(path)!r} is not a valid tokenizer.json"
                             f" ({e})") from e
        return cls(backend, **kwargs)

    @classmethod
    def from_vocab(cls, vocab_file: str | os.PathLike, lowercase: bool = True, *,
                   strip_accents: bool | None = None, tokenize_chinese_chars: bool = True,
                   unk_token: str = "[UNK]", sep_token: str = "[SEP]", pad_token: str = "[PAD]",
                   cls_token: str = "[CLS]", mask_token: str = "[MASK]", **kwargs) -> Tokenizer:
        """A BERT WordPiece tokenizer from a ``vocab.txt`` (one token per line; its line number
        is its id), built as transformers' ``BertTokenizerFast`` builds it.

        Args:
            vocab_file: path to ``vocab.txt``.
            lowercase: lowercase (and, unless ``strip_accents`` says otherwise, strip accents):
                True for "uncased" checkpoints, False for "cased" ones.
            strip_accents, tokenize_chinese_chars: BERT's normaliser options.
            unk_token, sep_token, pad_token, cls_token, mask_token: the special tokens.
            **kwargs: passed to the constructor (``model_max_length``, ``padding_side``...).
        """
        path = Path(vocab_file)
        if not path.is_file():
            raise FileNotFoundError(f"Tokenizer.from_vocab: no file {str(path)!r}")
        with open(path, encoding="utf-8") as f:
            # transformers' load_vocab: a later duplicate line wins.
            vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        specials = dict(unk_token=unk_token, sep_token=sep_token, pad_token=pad_token,
                        cls_token=cls_token, mask_token=mask_token)
        backend = _bert_backend(vocab, lowercase, strip_accents, tokenize_chinese_chars, specials)
        for role, token in specials.items():
            kwargs.setdefault(role, token if token in vocab else None)
        return cls(backend, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike,
                        **kwargs) -> Tokenizer:
        """Load the tokenizer of a model folder in the Hugging Face layout, or of a hub name.

        Reads ``tokenizer.json`` or, for BERT checkpoints without one, ``vocab.txt``, together
        with ``tokenizer_config.json`` (``model_max_length``, ``do_lower_case``, ``padding_side``,
        special tokens) and ``special_tokens_map.json``. Keyword arguments override the files.
        A hub name (``'bert-base-uncased'``, ``'org/model'``) is fetched into
        :func:`ember.hub.get_dir` first, like the model's weights (``HF_ENDPOINT`` changes the
        host).
        """
        folder = Path(pretrained_model_name_or_path)
        if not folder.is_dir():
            folder = _fetch_from_hub(os.fspath(pretrained_model_name_or_path),
                                     kwargs.pop("revision", "main"))
        config = _read_json(folder / "tokenizer_config.json")
        options = {k: _content(v) for k, v in _read_json(folder / "special_tokens_map.json")
                   .items() if k in SPECIAL_TOKENS_ATTRIBUTES}
        for key in (*SPECIAL_TOKENS_ATTRIBUTES, "model_max_length", "padding_side",
                    "truncation_side", "model_input_names", "clean_up_tokenization_spaces"):
            if config.get(key) is not None:
                options[key] = _content(config[key])
        extra = config.get("additional_special_tokens") or _read_json(
            folder / "special_tokens_map.json").get("additional_special_tokens") or []
        options.update(kwargs)
        # Added after the slow tokenizer's added_tokens.json, whose ids are fixed.
        extra = [_content(t) for t in options.pop("additional_special_tokens", extra)]
        if (folder / "tokenizer.json").is_file():
            tok = cls.from_file(folder / "tokenizer.json", **options)
        elif (folder / "vocab.txt").is_file():
            # BERT's normaliser options: keyword arguments first, then the config.
            bert_options = {key: options.pop(key, config.get(key, default)) for key, default in (
                ("do_lower_case", True), ("strip_accents", None),
                ("tokenize_chinese_chars", True))}
            tok = cls.from_vocab(folder / "vocab.txt", bert_options.pop("do_lower_case"),
                                 **bert_options, **options)
            added = _read_json(folder / "added_tokens.json")  # the slow tokenizer's extras
            tok._tokenizer.add_tokens(sorted(added, key=added.get))
        else:
            found = sorted(p.name for p in folder.iterdir())
            raise OSError(
                f"Tokenizer.from_pretrained: {str(folder)!r} has neither tokenizer.json nor "
                f"vocab.txt (found {found}); a SentencePiece-only folder (*.model) is not "
                "supported: save it with transformers' save_pretrained to get tokenizer.json.")
        if extra:
            tok.add_special_tokens({"additional_special_tokens": extra})
        return tok

    @classmethod
    def train(cls, files_or_iterator, kind: str = "bpe", vocab_size: int | None = None,
              min_frequency: int | None = None, special_tokens: Sequence[str] | None = None,
              lowercase: bool | None = None, *, show_progress: bool = False,
              **kwargs) -> Tokenizer:
        """Train a new tokenizer on text.

        Args:
            files_or_iterator: a text file path (``str`` naming an existing file or
                ``os.PathLike``), a list of paths, or an iterable of strings (or of lists of
                strings).
            kind: ``'bpe'``, a byte-level BPE like GPT-2's (no unknown token; special token
                ``<|endoftext|>``); ``'wordpiece'``, BERT's (``[PAD] [UNK] [CLS] [SEP] [MASK]``,
                ``[CLS] A [SEP] B [SEP]`` with segment ids); ``'unigram'``, SentencePiece's
                (``▁`` marks word starts; ``<s> <pad> </s> <unk> <mask>``, ``<s> A </s>``).
            vocab_size: the vocabulary size, special tokens included. Default: 30000 (bpe,
                wordpiece) or 8000 (unigram), the trainers' defaults.
            min_frequency: how often a pair must occur to be merged (bpe, wordpiece). Default 2.
            special_tokens: replaces the kind's default list; roles are recognised by spelling.
            lowercase: lowercase the text first. Default: True for wordpiece, else False.
            show_progress: show the trainer's progress bar.
            **kwargs: passed to the constructor (``model_max_length``, ``padding_side``...).

        Example:
            >>> tok = Tokenizer.train(sentences, kind="wordpiece", vocab_size=500)
        """
        backend = train_backend(files_or_iterator, kind, vocab_size, min_frequency,
                                special_tokens, lowercase, show_progress)
        return cls(backend, **kwargs)

    # -- special tokens and vocabulary --------------------------------------------------------

    @property
    def backend_tokenizer(self) -> _Backend:
        """The wrapped ``tokenizers.Tokenizer``."""
        return self._tokenizer

    @property
    def padding_side(self) -> str:
        """Where padding goes: ``'right'`` or ``'left'``."""
        return self._padding_side

    @padding_side.setter
    def padding_side(self, side: str) -> None:
        if side not in ("right", "left"):
            raise ValueError(f"Tokenizer: padding_side must be 'right' or 'left', got {side!r}")
        self._padding_side = side

    @property
    def truncation_side(self) -> str:
        """Which end truncation cuts: ``'right'`` or ``'left'``."""
        return self._truncation_side

    @truncation_side.setter
    def truncation_side(self, side: str) -> None:
        if side not in ("right", "left"):
            raise ValueError(f"Tokenizer: truncation_side must be 'right' or 'left', got "
                             f"{side!r}")
        self._truncation_side = side

    @property
    def vocab_size(self) -> int:
        """The model's vocabulary size, without tokens added later (transformers' meaning)."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        """The full vocabulary size, added tokens included."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self) -> dict[str, int]:
        """Token -> id, added tokens included."""
        return self._tokenizer.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        """Same as :meth:`get_vocab`."""
        return self.get_vocab()

    @property
    def special_tokens_map(self) -> dict:
        """The roles that are set: ``{'pad_token': '[PAD]', ...}``."""
        out = {role: tok for role, tok in self._special.items() if tok is not None}
        if self.additional_special_tokens:
            out["additional_special_tokens"] = list(self.additional_special_tokens)
        return out

    @property
    def all_special_tokens(self) -> list[str]:
        """Every special token, each once."""
        tokens = [t for t in self._special.values() if t is not None]
        return list(dict.fromkeys(tokens + self.additional_special_tokens))

    @property
    def all_special_ids(self) -> list[int]:
        """The ids of :attr:`all_special_tokens`."""
        return self.convert_tokens_to_ids(self.all_special_tokens)

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]):
        """Id of a token (or list of ids of a list); unknown tokens map to the unk id."""
        if isinstance(tokens, str):
            found = self._tokenizer.token_to_id(tokens)
            return self.unk_token_id if found is None else found
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def convert_ids_to_tokens(self, ids, skip_special_tokens: bool = False):
        """Token of an id (or list of tokens of a list of ids / 1-D tensor)."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        if isinstance(ids, int):
            return self._tokenizer.id_to_token(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._tokenizer.id_to_token(i) for i in ids if i not in skip]

    def tokenize(self, text: str, text_pair: str | None = None,
                 add_special_tokens: bool = False) -> list[str]:
        """The token strings of ``text`` (no special tokens unless asked)."""
        return self._tokenizer.encode(text, text_pair,
                                      add_special_tokens=add_special_tokens).tokens

    def add_tokens(self, new_tokens, special_tokens: bool = False) -> int:
        """Add tokens (strings or ``tokenizers.AddedToken``) to the vocabulary; they are never
        split. Returns how many were new. Resize the model's embeddings to ``len(tokenizer)``."""
        if isinstance(new_tokens, (str, AddedToken)):
            new_tokens = [new_tokens]
        before = len(self)
        if special_tokens:
            self._tokenizer.add_special_tokens(list(new_tokens))
        else:
            self._tokenizer.add_tokens(list(new_tokens))
        # The backend also counts tokens the model already has (now kept whole); the
        # vocabulary only grows by the new ones, which is what a caller resizes embeddings for.
        return len(self) - before

    def add_special_tokens(self, special_tokens_dict: dict) -> int:
        """Set special-token roles and add the tokens, e.g.
        ``tok.add_special_tokens({'pad_token': '[PAD]'})``. Returns how many tokens were new."""
        added = []
        for key, value in special_tokens_dict.items():
            if key == "additional_special_tokens":
                values = [_content(v) for v in value]
                self.additional_special_tokens = list(dict.fromkeys(values))
                added += values
            elif key in SPECIAL_TOKENS_ATTRIBUTES:
                setattr(self, key, value)
                added.append(_content(value))
            else:
                raise ValueError(f"Tokenizer.add_special_tokens: {key!r} is not a special token "
                                 f"role; use one of {list(SPECIAL_TOKENS_ATTRIBUTES)} or "
                                 "'additional_special_tokens'")
        return self.add_tokens(added, special_tokens=True)

    # -- encoding (__call__, encode, encode_batch, decode, batch_decode): inherited from
    # _tokenizer_encoding._EncodingMixin ------------------------------------------------

    # -- saving -------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the pipeline as one ``tokenizer.json`` (readable by :meth:`from_file` and by
        ``tokenizers.Tokenizer.from_file``). Special-token roles under conventional spellings
        are recovered on load; :meth:`save_pretrained` keeps everything."""
        _write_atomic(Path(path), self._tokenizer.to_str(pretty=True))

    def save_pretrained(self, save_directory: str | os.PathLike) -> tuple[str, ...]:
        """Write a model folder in the Hugging Face layout (``tokenizer.json``,
        ``tokenizer_config.json``, ``special_tokens_map.json``), loadable by
        :meth:`from_pretrained` and by transformers' ``AutoTokenizer``. Returns the paths."""
        folder = Path(save_directory)
        if folder.is_file():
            raise NotADirectoryError(f"Tokenizer.save_pretrained: {str(folder)!r} is a file; "
                                     "pass a folder")
        folder.mkdir(parents=True, exist_ok=True)
        specials = self.special_tokens_map
        config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": self.model_max_length,
            "padding_side": self.padding_side,
            "truncation_side": self.truncation_side,
            "model_input_names": self.model_input_names,
            "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces,
            **specials,
        }
        paths = (folder / "tokenizer_config.json", folder / "special_tokens_map.json",
                 folder / "tokenizer.json")
        _write_atomic(paths[0], json.dumps(config, indent=2, ensure_ascii=False) + "\n")
        _write_atomic(paths[1], json.dumps(specials, indent=2, ensure_ascii=False) + "\n")
        self.save(paths[2])
        return tuple(str(p) for p in paths)

    def __repr__(self) -> str:
        kind = type(self._tokenizer.model).__name__
        return (f"Tokenizer(model={kind}, vocab_size={len(self)}, "
                f"model_max_length={self.model_max_length}, padding_side="
                f"{self.padding_side!r}, special_tokens={self.special_tokens_map})")


def _fetch_from_hub(name: str, revision: str) -> Path:
    """Download a hub model's tokenizer files into ember.hub's cache; return that folder."""
    from ember.utils.pretrained import resolve_file

    found = None
    for filename in ("tokenizer_config.json", "special_tokens_map.json", "tokenizer.json",
                     "vocab.txt"):
        try:
            path = resolve_file(name, filename, revision, required=False)
        except FileNotFoundError as exc:  # neither a folder nor a hub name
            raise OSError(f"Tokenizer.from_pretrained: {exc}") from None
        if filename in ("tokenizer.json", "vocab.txt") and path is not None:
            found = found or path
    if found is None:
        raise OSError(f"Tokenizer.from_pretrained: the hub model {name!r} has neither "
                      f"tokenizer.json nor vocab.txt")
    return Path(found).parent
