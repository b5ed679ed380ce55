"""The data side of ``embertext-finetune``: datasets to text lists, held-out splits, label
maps, token-id batches. Everything here raises :class:`~embertext.predict.UserError` for a
mistake the user can fix."""

from __future__ import annotations

import os

import numpy as np

import ember

from . import datasets
from .collate import PaddingCollator
from .predict import UserError

__all__ = ["CLASSIFICATION_DATASETS", "LM_DATASETS", "batches", "encode_texts", "label_maps",
           "lm_blocks", "load_classification", "load_lm_texts"]

# --dataset name -> the embertext.datasets function and its (train, eval) split names.
CLASSIFICATION_DATASETS = {
    "ag_news": (lambda: datasets.AG_NEWS, ("train", "test")),
    "imdb": (lambda: datasets.IMDB, ("train", "test")),
    "sst2": (lambda: datasets.SST2, ("train", "dev")),
    "yelp": (lambda: datasets.YelpReviewPolarity, ("train", "test")),
}
LM_DATASETS = ("embedded", "wikitext2")
_HELD_OUT = 0.2  # fraction of each label (classification) or of the lines (lm) held out


def _texts_and_names(ds) -> tuple[list[str], list[str]]:
    """A TextClassificationDataset's texts and label *names* (its label values mapped back
    through ``class_to_idx``: AG_NEWS's 1..4 become 'World'...)."""
    name_of = {v: str(k) for k, v in ds.class_to_idx.items()}
    texts, names = [], []
    for first, second in ds.samples:
        label, text = (second, first) if ds.text_first else (first, second)
        texts.append(text)
        names.append(name_of.get(label, str(label)))
    return texts, names


def _read_file(path: str, option: str):
    """A .csv/.jsonl file with ``text`` and ``label`` columns as (texts, label names)."""
    if not os.path.isfile(path):
        raise UserError(f"{option} {path}: no such file; give 'embedded', one of "
                        f"{sorted(CLASSIFICATION_DATASETS)} or a .csv/.jsonl file with 'text' "
                        f"and 'label' columns")
    loader = {".csv": datasets.TextClassificationDataset.from_csv,
              ".tsv": lambda p: datasets.TextClassificationDataset.from_csv(p, delimiter="\t"),
              ".jsonl": datasets.TextClassificationDataset.from_jsonl}
    ext = os.path.splitext(path)[1].lower()
    if ext not in loader:
        raise UserError(f"{option} {path}: unknown file type {ext!r}; expected .csv, .tsv or "
                        f".jsonl with 'text' and 'label' columns")
    try:
        return _texts_and_names(loader[ext](path))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{option} {path}: {exc}") from None


def held_out_split(names: list, fraction: float = _HELD_OUT) -> tuple[list[int], list[int]]:
    """(train, eval) indices: a fixed ``fraction`` of each label (at least one where the label
    has two or more samples; a label seen once stays in training), the same for any seed."""
    codes = np.unique(np.asarray(names), return_inverse=True)[1].reshape(-1)
    order = np.random.default_rng(0).permutation(len(codes))
    order = order[np.argsort(codes[order], kind="stable")]  # grouped by label, shuffled
    counts = np.bincount(codes)
    starts = np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    n_eval = np.where(counts >= 2, np.maximum(1, np.round(counts * fraction)), 0).astype(int)
    is_eval = (np.arange(len(order)) - starts) < np.repeat(n_eval, counts)
    return np.sort(order[~is_eval]).tolist(), np.sort(order[is_eval]).tolist()


def _limit(items: list, n: int | None) -> list:
    """A fixed subset of ``n`` items spread over the list (seed 0), in their order."""
    if n is None or n >= len(items):
        return list(range(len(items)))
    return np.sort(np.random.default_rng(0).permutation(len(items))[:n]).tolist()


def _download(name: str, fn, split):
    try:
        return fn()(split=split)
    except (RuntimeError, OSError, ember.hub.DownloadError) as exc:
        raise UserError(f"--dataset {name}: could not load it ({exc}); check the network or "
                        f"put the files in {datasets._utils.default_root()}") from None


def load_classification(dataset: str, eval_dataset: str | None, limit: int | None):
    """``(train_texts, train_names, eval_texts, eval_names)`` for ``--dataset``.

    ``embedded``: EmbeddedSentiment's train/test; a torchtext name: its train and test (SST-2:
    dev) splits; a file: a held-out 20% of each label unless ``--eval-dataset`` names a file.
    """
    if dataset == "embedded":
        train = _texts_and_names(datasets.EmbeddedSentiment("train"))
        held = _texts_and_names(datasets.EmbeddedSentiment("test"))
    elif dataset in CLASSIFICATION_DATASETS:
        fn, split = CLASSIFICATION_DATASETS[dataset]
        train, held = (_texts_and_names(d) for d in _download(dataset, fn, split))
    else:
        texts, names = _read_file(dataset, "--dataset")
        if eval_dataset is None:
            tr, ev = held_out_split(names)
            train = ([texts[i] for i in tr], [names[i] for i in tr])
            held = ([texts[i] for i in ev], [names[i] for i in ev])
        else:
            train = (texts, names)
    if eval_dataset is not None:
        held = _read_file(eval_dataset, "--eval-dataset")
    tr, ev = _limit(train[0], limit), _limit(held[0], limit)
    return ([train[0][i] for i in tr], [train[1][i] for i in tr],
            [held[0][i] for i in ev], [held[1][i] for i in ev])


def label_maps(train_names: list[str], eval_names: list[str], known: dict | None = None):
    """``id2label`` from the training labels (their natural order: numbers as numbers), and
    the label ids of both splits. A label of the eval data unseen in training is an error
    naming it (the model would have no output for it)."""
    if known is None:
        known = {i: n for i, n in enumerate(datasets.classification._natural_classes(
            train_names))}
    label2id = {n: i for i, n in known.items()}
    unseen = sorted(set(eval_names) - set(label2id))
    if unseen:
        raise UserError(f"the evaluation data has label(s) {unseen} that the training data "
                        f"does not have (training labels: {sorted(label2id)}); add examples "
                        f"of them to the training data or remove them from the evaluation data")
    return known, [label2id[n] for n in train_names], [label2id[n] for n in eval_names]


def load_lm_texts(dataset: str) -> tuple[list[str], list[str]]:
    """(train lines, eval lines): EmbeddedCorpus or a text file with its last 20% of lines
    held out, or WikiText-2's train/valid splits."""
    if dataset == "embedded":
        lines = list(datasets.EmbeddedCorpus().samples)
    elif dataset == "wikitext2":
        train, valid = _download("wikitext2", lambda: datasets.WikiText2, ("train", "valid"))
        return list(train), list(valid)
    else:
        if not os.path.isfile(dataset):
            raise UserError(f"--dataset {dataset}: no such file; for --task lm give "
                            f"'embedded', 'wikitext2' or a UTF-8 text file")
        try:
            with open(dataset, encoding="utf-8") as f:
                lines = f.readlines()
        except UnicodeDecodeError as exc:
            raise UserError(f"--dataset {dataset}: not UTF-8 text ({exc})") from None
    cut = len(lines) - max(1, round(len(lines) * _HELD_OUT))
    if cut < 1:
        raise UserError(f"--dataset {dataset}: {len(lines)} line(s); need at least 2 (the "
                        f"last {_HELD_OUT:.0%} are held out for evaluation)")
    return lines[:cut], lines[cut:]


def lm_blocks(lines: list[str], tokenizer, block_size: int, limit: int | None, what: str):
    """``(B, block_size)`` int64 blocks of the tokenized stream (texts joined by the EOS token
    when the tokenizer has one), at most ``limit`` of them spread over the text."""
    try:
        ds = datasets.LanguageModelingDataset(lines, block_size, tokenizer=tokenizer,
                                              separator_id=tokenizer.eos_token_id)
    except ValueError as exc:
        raise UserError(f"{what}: {exc}") from None
    tokens = ds.tokens[: len(ds) * block_size].reshape(len(ds), block_size)
    return tokens[_limit(list(range(len(ds))), limit)]


def encode_texts(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids per text (special tokens added, cut to ``max_length``), not padded."""
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def batches(ids: list, labels, batch_size: int, pad_token_id: int, rng=None):
    """Padded batches ``{'input_ids', 'attention_mask', 'labels'}`` in order, or shuffled by
    ``rng`` (a NumPy Generator). ``ids`` is a list of id lists or a 2-D array of blocks."""
    order = np.arange(len(ids)) if rng is None else rng.permutation(len(ids))
    collate = PaddingCollator(pad_token_id=pad_token_id)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        if isinstance(ids, np.ndarray):
            block = ember.from_numpy(ids[chunk].copy())
            yield {"input_ids": block, "attention_mask": ember.ones_like(block),
                   "labels": block}
        else:
            yield collate([(ids[i], labels[i]) for i in chunk])
