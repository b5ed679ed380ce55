"""Training new tokenizers for :meth:`embertext.Tokenizer.train`: the pipeline and trainer of
each kind (GPT-2's byte-level BPE, BERT's WordPiece, SentencePiece's Unigram) and the
post-processor that adds the special tokens once their ids are known.
"""

from __future__ import annotations

import os

from tokenizers import (
    Regex,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from tokenizers import Tokenizer as _Backend

from ._tokenizer_pipeline import _CONVENTIONAL


def train_backend(files_or_iterator, kind: str, vocab_size: int | None,
                  min_frequency: int | None, special_tokens, lowercase: bool | None,
                  show_progress: bool) -> _Backend:
    """A trained ``tokenizers.Tokenizer``; the arguments are :meth:`Tokenizer.train`'s."""
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
    return backend


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
