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
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import (
    AddedToken,
    Regex,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from tokenizers import Tokenizer as _Backend

__all__ = ["BatchEncoding", "Tokenizer", "VERY_LARGE_INTEGER", "SPECIAL_TOKENS_ATTRIBUTES"]

# transformers' "no maximum length" sentinel; it is also what its configs store.
VERY_LARGE_INTEGER = int(1e30)
_LARGE_INTEGER = int(1e20)  # above this a model_max_length means "no limit" (transformers)

SPECIAL_TOKENS_ATTRIBUTES = (
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
)

# Spellings by which a role is recognised in a tokenizer.json that does not say it (the file
# format has no role field): BERT's, RoBERTa's / SentencePiece's, GPT-2's.
_CONVENTIONAL = {
    "pad_token": ("[PAD]", "<pad>", "<|pad|>", "<|padding|>"),
    "unk_token": ("[UNK]", "<unk>", "<|endoftext|>"),
    "cls_token": ("[CLS]", "<cls>"),
    "sep_token": ("[SEP]", "<sep>"),
    "mask_token": ("[MASK]", "<mask>"),
    "bos_token": ("<s>", "[BOS]", "<bos>", "<|endoftext|>", "<|begin_of_text|>"),
    "eos_token": ("</s>", "[EOS]", "<eos>", "<|endoftext|>", "<|end_of_text|>"),
}

_PADDING = {False: None, "do_not_pad": None, True: "longest", "longest": "longest",
            "max_length": "max_length"}
_TRUNCATION = {False: None, "do_not_truncate": None, True: "longest_first",
               "longest_first": "longest_first", "only_first": "only_first",
               "only_second": "only_second"}
_TENSOR_TYPES = ("ember", "pt", "np")

# transformers' clean_up_tokenization: undo the spaces a word-level join puts before punctuation.
_CLEANUPS = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
             (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))

_UNSET = object()  # "not given": infer the role; None means "this tokenizer has none"


def _content(token):
    """A special token as a string: configs store either the string or an AddedToken dict."""
    if isinstance(token, dict):
        return token["content"]
    if isinstance(token, AddedToken):
        return token.content
    return token


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so
    a crash never leaves a half-written tokenizer behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _processor_json(state: dict) -> list[dict]:
    """The post-processor's JSON (from the parsed tokenizer.json ``state``), flattened through
    Sequence processors."""
    found = state.get("post_processor")
    stack, flat = [found] if found else [], []
    while stack:
        p = stack.pop(0)
        if p["type"] == "Sequence":
            stack[:0] = p["processors"]
        else:
            flat.append(p)
    return flat


def _infer_roles(backend: _Backend, state: dict) -> dict:
    """Special-token roles read from a backend: cls/sep from a [CLS] $A [SEP]-shaped
    post-processor, unk from the model, the rest from the conventional spellings of its special
    tokens."""
    roles: dict = {}
    for p in _processor_json(state):
        if p["type"] in ("BertProcessing", "RobertaProcessing"):
            roles["cls_token"], roles["sep_token"] = p["cls"][0], p["sep"][0]
        elif p["type"] == "TemplateProcessing":
            single = p["single"]
            first, last = single[0], single[-1]
            if "SpecialToken" in first and "SpecialToken" in last and len(single) > 2:
                roles["cls_token"] = p["special_tokens"][first["SpecialToken"]["id"]]["tokens"][0]
                roles["sep_token"] = p["special_tokens"][last["SpecialToken"]["id"]]["tokens"][0]
    model = state["model"]
    if model.get("unk_token"):
        roles["unk_token"] = model["unk_token"]
    elif model.get("unk_id") is not None:  # Unigram stores the id
        roles["unk_token"] = backend.id_to_token(model["unk_id"])
    # Only tokens registered as special count: a byte-level BPE trained on HTML may well have
    # learnt "<s>" as an ordinary token.
    special = {t["content"] for t in state.get("added_tokens", ()) if t.get("special")}
    for role, spellings in _CONVENTIONAL.items():
        if role not in roles:
            roles[role] = next((s for s in spellings if s in special), None)
    return roles


def _uses_token_type_ids(state: dict) -> bool:
    """Whether the post-processor gives the second text of a pair segment id 1 (BERT does;
    RoBERTa, GPT-2 and processor-less tokenizers do not), i.e. the model has type embeddings."""
    for p in _processor_json(state):
        if p["type"] == "BertProcessing":
            return True
        if p["type"] == "TemplateProcessing":
            pieces = p["pair"]
            if any(next(iter(piece.values()))["type_id"] != 0 for piece in pieces):
                return True
    return False


def _bert_backend(vocab: dict, lowercase: bool, strip_accents, tokenize_chinese_chars: bool,
                  specials: dict) -> _Backend:
    """BERT's WordPiece pipeline, as transformers' BertConverter builds it from vocab.txt."""
    for role in ("cls_token", "sep_token", "unk_token"):
        if specials[role] not in vocab:
            raise ValueError(
                f"Tokenizer.from_vocab: the vocabulary has no {role} {specials[role]!r}; BERT "
                f"needs it. Pass {role}=... naming the token the vocabulary uses."
            )
    backend = _Backend(models.WordPiece(vocab, unk_token=specials["unk_token"],
                                        max_input_chars_per_word=100))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=tokenize_chinese_chars,
        strip_accents=strip_accents, lowercase=lowercase)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    cls, sep = specials["cls_token"], specials["sep_token"]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0", pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])])
    # Registered as special: never split or lowercased, skipped by decode.
    backend.add_special_tokens([t for t in specials.values() if t is not None and t in vocab])
    return backend


def _token_property(role: str) -> property:
    def get(self):
        return self._special[role]

    def set(self, value):
        value = _content(value)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"Tokenizer.{role} must be a string or None, got {type(value)}")
        self._special[role] = value

    return property(get, set, doc=f"The {role.replace('_', ' ')} (a string), or None.")


def _id_property(role: str) -> property:
    def get(self):
        token = self._special[role]
        return None if token is None else self.convert_tokens_to_ids(token)

    def set(self, value):
        self._special[role] = None if value is None else self.convert_ids_to_tokens(value)

    return property(get, set, doc=f"The id of the {role.replace('_', ' ')}, or None.")


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


class Tokenizer:
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
        """Load the tokenizer of a model folder in the Hugging Face layout.

        Reads ``tokenizer.json`` or, for BERT checkpoints without one, ``vocab.txt``, together
        with ``tokenizer_config.json`` (``model_max_length``, ``do_lower_case``, ``padding_side``,
        special tokens) and ``special_tokens_map.json``. Keyword arguments override the files.

        Only local folders for now: downloading from the Hugging Face Hub will go through
        ``ember.hub``.
        """
        folder = Path(pretrained_model_name_or_path)
        if not folder.is_dir():
            raise OSError(
                f"Tokenizer.from_pretrained: {str(pretrained_model_name_or_path)!r} is not a "
                "local folder. Downloading from the Hugging Face Hub is not supported yet (it "
                "will go through ember.hub): download the model folder (tokenizer.json or "
                "vocab.txt, tokenizer_config.json) and pass its path.")
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
        builders = {"bpe": _bpe, "wordpiece": _wordpiece, "unigram": _unigram}
        if kind not in builders:
            raise ValueError(f"Tokenizer.train: kind must be one of {list(builders)}, got "
                             f"{kind!r}")
        if kind == "unigram" and min_frequency is not None:
            raise ValueError("Tokenizer.train: min_frequency does not apply to kind='unigram' "
                             "(its trainer prunes by likelihood); leave it out")
        backend, trainer = builders[kind](
            vocab_size, 2 if min_frequency is None else min_frequency,
            None if special_tokens is None else list(special_tokens),
            (kind == "wordpiece") if lowercase is None else lowercase, show_progress)
        files = _as_files(files_or_iterator)
        if files is not None:
            backend.train(files, trainer)
        else:
            backend.train_from_iterator(files_or_iterator, trainer)
        if kind != "bpe":  # [CLS] A [SEP] needs the trained ids
            _add_template(backend, kind)
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

    # -- encoding -----------------------------------------------------------------------------

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


def _as_tensor(rows, kind: str):
    array = np.asarray(rows, dtype=np.int64)
    if kind == "np":
        return array
    import ember

    return ember.from_numpy(array)


def _as_files(source) -> list[str] | None:
    """The training files named by ``source``, or None when it is an iterator of texts. A str
    names a file only when that file exists (otherwise it would be one training text)."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and os.path.isfile(source)):
        source = [source]
    elif isinstance(source, str):
        raise ValueError(f"Tokenizer.train: no file {source!r}; pass a list of texts to train "
                         "on strings")
    if isinstance(source, (list, tuple)) and source and all(
            isinstance(s, os.PathLike) or (isinstance(s, str) and os.path.isfile(s))
            for s in source):
        return [os.fspath(s) for s in source]
    return None


def _roles_of(special_tokens: list[str]) -> dict:
    return {role: next((s for s in spellings if s in special_tokens), None)
            for role, spellings in _CONVENTIONAL.items()}


def _bpe(vocab_size, min_frequency, special_tokens, lowercase, show_progress):
    """GPT-2's byte-level BPE: every byte is a symbol (no unknown token), spaces are kept as
    'Ġ' on the following word, offsets not trimmed."""
    special_tokens = ["<|endoftext|>"] if special_tokens is None else special_tokens
    vocab_size = 30000 if vocab_size is None else vocab_size
    if vocab_size < 256 + len(special_tokens):
        raise ValueError(f"Tokenizer.train: a byte-level BPE needs vocab_size >= "
                         f"{256 + len(special_tokens)} (256 bytes + the special tokens), got "
                         f"{vocab_size}")
    backend = _Backend(models.BPE())
    if lowercase:
        backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=show_progress)
    return backend, trainer


def _wordpiece(vocab_size, min_frequency, special_tokens, lowercase, show_progress):
    """BERT's WordPiece: BERT normaliser and pre-tokeniser, '##' continuation prefix."""
    if special_tokens is None:
        special_tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    unk = _roles_of(special_tokens)["unk_token"]
    if unk is None:
        raise ValueError(f"Tokenizer.train: a WordPiece vocabulary needs an unknown token; add "
                         f"'[UNK]' to special_tokens (got {special_tokens})")
    backend = _Backend(models.WordPiece(unk_token=unk))
    backend.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(
        vocab_size=30000 if vocab_size is None else vocab_size, min_frequency=min_frequency,
        special_tokens=special_tokens, continuing_subword_prefix="##",
        show_progress=show_progress)
    return backend, trainer


def _unigram(vocab_size, min_frequency, special_tokens, lowercase, show_progress):
    """SentencePiece's Unigram: NFKC, runs of spaces collapsed, '▁' marking word starts."""
    if special_tokens is None:
        special_tokens = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    backend = _Backend(models.Unigram())
    steps = [normalizers.Nmt(), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " "),
             normalizers.Strip()]
    if lowercase:
        steps.append(normalizers.Lowercase())
    backend.normalizer = normalizers.Sequence(steps)
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=8000 if vocab_size is None else vocab_size, special_tokens=special_tokens,
        unk_token=_roles_of(special_tokens)["unk_token"], show_progress=show_progress)
    return backend, trainer


def _add_template(backend: _Backend, kind: str) -> None:
    """BERT's ``[CLS] A [SEP] B [SEP]`` (segment ids 0/1) for wordpiece; XLM-R's
    ``<s> A </s></s> B </s>`` (no segment ids) for unigram. Skipped when the tokens are absent."""
    roles = _roles_of(list(backend.get_vocab()))
    if kind == "wordpiece":
        cls, sep = roles["cls_token"], roles["sep_token"]
        pair = f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1"
    else:
        cls, sep = roles["bos_token"], roles["eos_token"]
        pair = f"{cls} $A {sep} {sep} $B {sep}"
    if cls is None or sep is None:
        return
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", pair=pair,
        special_tokens=[(cls, backend.token_to_id(cls)), (sep, backend.token_to_id(sep))])
