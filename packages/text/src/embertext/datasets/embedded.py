"""Small real text shipped inside embertext so that fine-tuning runs with no network:
movie-review sentiment snippets and a public-domain text for language modelling. Sources and
licences: ``_embedded/README.md``."""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources

from .classification import TextClassificationDataset, TextDataset, _read_sst2

__all__ = ["EmbeddedCorpus", "EmbeddedSentiment"]

_FOLDER = "_embedded"


def _resource_path(name: str, who: str) -> str:
    path = os.fspath(resources.files(__package__) / _FOLDER / name)
    if not os.path.isfile(path):
        raise RuntimeError(f"{who}: embertext/datasets/{_FOLDER}/{name} is missing from the "
                           f"installed embertext (its package data was not installed): "
                           f"reinstall embertext")
    return path


class EmbeddedSentiment(TextClassificationDataset):
    """Movie-review sentiment snippets shipped with embertext: 400 train / 100 test sentences,
    balanced, alternating positive/negative.

    The snippets are from the VADER sentiment study's movie-review ground truth (Hutto &
    Gilbert 2014; MIT licence, see ``_embedded/README.md``), keeping those rated clearly
    positive (mean rating >= 1.5) or negative (<= -1.5). Items are ``(label, text)`` with label
    0 = negative, 1 = positive (SST-2's values, in AG_NEWS/IMDB's item order). The files use
    GLUE's SST-2 layout and are read by the same parser as :func:`SST2`.

    Args:
        split: ``'train'`` (400) or ``'test'`` (100).
        transform: applied to the text (e.g. a tokenizer).
        target_transform: applied to the label.

    Example:
        >>> ds = EmbeddedSentiment("test")
        >>> len(ds), ds.classes
        (100, ['negative', 'positive'])
    """

    def __init__(self, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"EmbeddedSentiment: unknown split {split!r}; valid splits are "
                             f"('train', 'test')")
        path = _resource_path(f"sentiment_{split}.tsv", "EmbeddedSentiment")
        parsed = _read_sst2(path, "EmbeddedSentiment", "train")
        super().__init__([(label, text) for text, label in parsed.samples],
                         classes=["negative", "positive"], transform=transform,
                         target_transform=target_transform)
        self.split = split


class EmbeddedCorpus(TextDataset):
    """A public-domain English text shipped with embertext for language modelling: Genesis
    chapters 1-11 of the King James Version (333 lines, about 6,800 words, 35 KB).

    Items are the lines with their newline, like :func:`WikiText2`'s; :attr:`text` is the
    whole text. Source: Debian's ``bible-kjv-text`` (see ``_embedded/README.md``).

    Example:
        >>> corpus = EmbeddedCorpus()
        >>> lm = LanguageModelingDataset(corpus.text, block_size=64, tokenizer=tokenizer)
    """

    def __init__(self, transform: Callable | None = None) -> None:
        path = _resource_path("genesis_kjv.txt", "EmbeddedCorpus")
        with open(path, encoding="utf-8") as f:
            super().__init__(f.readlines(), transform=transform)

    @property
    def text(self) -> str:
        """The whole text as one string."""
        return "".join(self.samples)
