"""embertext: text for the Ember deep-learning framework.

- :class:`Tokenizer` (Hugging Face ``tokenizers`` with ``transformers``' calling convention):
  load from a model folder, a ``tokenizer.json`` or a BERT ``vocab.txt``, or train one.
- :mod:`embertext.vocab`: torchtext's word-level ``Vocab``, ``build_vocab_from_iterator`` and
  ``get_tokenizer('basic_english')``.
- :mod:`embertext.collate`: ``PaddingCollator`` and ``LengthBucketSampler`` for batching
  variable-length sequences.
- :mod:`embertext.datasets`: AG_NEWS, IMDB, SST2, YelpReviewPolarity, WikiText2/103, generic
  CSV/JSONL/folder loaders, language-modelling blocks, and small embedded corpora.
- :mod:`embertext.models`: BERT, DistilBERT and RoBERTa loading Hugging Face checkpoints
  (``from_pretrained`` / ``save_pretrained``), and sentence embeddings.
"""

from . import collate, datasets, generation, models, tokenizer, vocab
from .collate import LengthBucketSampler, PaddingCollator
from .tokenizer import BatchEncoding, Tokenizer
from .vocab import Vocab, build_vocab_from_iterator, get_tokenizer

__version__ = "0.1.0"

__all__ = [
    "BatchEncoding",
    "LengthBucketSampler",
    "PaddingCollator",
    "Tokenizer",
    "Vocab",
    "build_vocab_from_iterator",
    "collate",
    "datasets",
    "generation",
    "get_tokenizer",
    "models",
    "tokenizer",
    "vocab",
]
