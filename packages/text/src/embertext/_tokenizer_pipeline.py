"""Reading and building ``tokenizers`` pipelines for :class:`embertext.Tokenizer`.

What a ``tokenizer.json`` does not say directly is recovered here: which special token plays
which role (from the post-processor, the model's unknown token and conventional spellings) and
whether the model takes segment ids. Also BERT's WordPiece pipeline built from a ``vocab.txt``,
the small file helpers (atomic writes, optional JSON files) and the special-token properties.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from tokenizers import AddedToken, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers import Tokenizer as _Backend

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
