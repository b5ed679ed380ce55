"""embertext: text for the Ember deep-learning framework.

- :class:`Tokenizer` (Hugging Face ``tokenizers`` with ``transformers``' calling convention):
  load from a model folder, a ``tokenizer.json`` or a BERT ``vocab.txt``, or train one.
- :mod:`embertext.vocab`: torchtext's word-level ``Vocab``, ``build_vocab_from_iterator`` and
  ``get_tokenizer('basic_english')``.
- :mod:`embertext.collate`: ``PaddingCollator`` and ``LengthBucketSampler`` for batching
  variable-length sequences.
"""

from . import collate, tokenizer, vocab
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
    "get_tokenizer",
    "tokenizer",
    "vocab",
]
