"""``embertext.datasets``: torchtext's text datasets as map-style datasets, generic loaders and
a small real corpus shipped with the package.

- Downloads (through :mod:`ember.hub`): :func:`AG_NEWS`, :func:`IMDB`, :func:`SST2`,
  :func:`YelpReviewPolarity`, :func:`WikiText2`, :func:`WikiText103` with torchtext's
  ``root``/``split`` arguments and items, plus ``download``.
- Your own files: :class:`TextClassificationDataset` (``from_csv``, ``from_jsonl``,
  ``from_folder``) and :class:`LanguageModelingDataset` (token blocks for causal LMs).
- Offline: :class:`EmbeddedSentiment` (labelled movie-review sentences) and
  :class:`EmbeddedCorpus` (public-domain text).
"""

from .classification import (
    AG_NEWS,
    IMDB,
    SST2,
    TextClassificationDataset,
    TextDataset,
    YelpReviewPolarity,
)
from .embedded import EmbeddedCorpus, EmbeddedSentiment
from .language_modeling import LanguageModelingDataset, WikiText2, WikiText103

__all__ = [
    "AG_NEWS",
    "EmbeddedCorpus",
    "EmbeddedSentiment",
    "IMDB",
    "LanguageModelingDataset",
    "SST2",
    "TextClassificationDataset",
    "TextDataset",
    "WikiText103",
    "WikiText2",
    "YelpReviewPolarity",
]
