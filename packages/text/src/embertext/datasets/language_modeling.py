"""Language-modelling data: :class:`LanguageModelingDataset` (contiguous token blocks for a
causal LM) and torchtext's WikiText2 / WikiText103 read from their published zips."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

import numpy as np

import ember
from ember.utils.data import Dataset

from ._utils import dataset_folder, fetch, one_or_tuple, splits_of
from .classification import TextDataset

__all__ = ["LanguageModelingDataset", "WikiText2", "WikiText103"]

# torchtext 0.16's URLs and MD5s (torchtext/datasets/wikitext2.py, wikitext103.py).
WIKITEXT2_URL = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip"
WIKITEXT2_MD5 = "542ccefacc6c27f945fb54453812b3cd"
WIKITEXT103_URL = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-103-v1.zip"
WIKITEXT103_MD5 = "9ddaacaf6af0710eda8c456decff7832"


def _wikitext(name: str, folder_name: str, url: str, md5: str, root, split, download):
    names, single = splits_of(name, split, ("train", "valid", "test"))
    folder = dataset_folder(root, name)
    out = []
    for s in names:
        member = os.path.join(folder_name, f"wiki.{s}.tokens")
        fetch(name, folder, [member], url, os.path.basename(url), md5, download, archive=True)
        with open(os.path.join(folder, member), encoding="utf-8") as f:
            # torchtext yields the raw lines, newline kept (readlines(strip_newline=False)).
            out.append(TextDataset(f.readlines()))
    return one_or_tuple(out, single)


def WikiText2(root=None, split=("train", "valid", "test"), download: bool = True):
    """WikiText-2 (Merity et al. 2016): items are the lines of ``wiki.<split>.tokens``, each
    with its trailing newline, as torchtext yields them (36,718 / 3,760 / 4,358 lines).

    Args:
        root: the folder holding ``WikiText2/`` (where ``wikitext-2-v1.zip`` is extracted).
        split: ``'train'``, ``'valid'``, ``'test'`` or a tuple of them.
        download: fetch the zip when the extracted files are missing.

    Returns:
        A :class:`TextDataset` of lines, or a tuple of them for a tuple of splits.

    Example:
        >>> train = WikiText2(split="train")
        >>> text = "".join(train.samples)
        >>> lm = LanguageModelingDataset(text, block_size=128, tokenizer=tokenizer)
    """
    return _wikitext("WikiText2", "wikitext-2", WIKITEXT2_URL, WIKITEXT2_MD5, root, split,
                     download)


def WikiText103(root=None, split=("train", "valid", "test"), download: bool = True):
    """WikiText-103: as :func:`WikiText2`, from ``wikitext-103-v1.zip`` (folder
    ``wikitext-103``; 1,801,350 / 3,760 / 4,358 lines)."""
    return _wikitext("WikiText103", "wikitext-103", WIKITEXT103_URL, WIKITEXT103_MD5, root,
                     split, download)


def _encode(tokenizer, text: str) -> list[int]:
    # An embertext Tokenizer (or a transformers one) has encode(); special tokens would put a
    # [CLS]/[SEP] in the middle of the stream, so they are left out. Anything else is called.
    if hasattr(tokenizer, "encode"):
        return list(tokenizer.encode(text, add_special_tokens=False))
    ids = tokenizer(text)
    if isinstance(ids, dict):
        ids = ids["input_ids"]
    return list(ids)


class LanguageModelingDataset(Dataset):
    """Contiguous blocks of a token stream for causal language modelling.

    The texts are tokenized and concatenated into one stream (Hugging Face's ``run_clm``
    ``group_texts``); block ``i`` is ``stream[i*stride : i*stride + block_size]``. Tokens left
    after the last whole block are dropped, as ``group_texts`` does.

    Each item is ``{'input_ids': LongTensor(block_size), 'labels': LongTensor(block_size)}``
    with ``labels`` equal to ``input_ids`` (a copy): as in Hugging Face's causal LMs, the
    *model* shifts them (predicts ``labels[t+1]`` from ``input_ids[:t+1]``), so the loss is
    taken over ``logits[:, :-1]`` against ``labels[:, 1:]``.

    Args:
        data: token ids (a sequence of ints, a NumPy array or a Tensor), or text (a string or
            an iterable of strings, e.g. WikiText's lines) together with ``tokenizer``.
        block_size: tokens per block.
        stride: start-to-start distance of blocks (default ``block_size``: no overlap; smaller
            gives overlapping blocks).
        tokenizer: turns a string into token ids: an embertext :class:`~embertext.Tokenizer`
            (``encode(text, add_special_tokens=False)`` is used) or any callable returning ids
            or a dict with ``'input_ids'``.
        separator_id: token id put between the texts of an iterable (e.g. an end-of-text id);
            None puts nothing.

    Example:
        >>> ds = LanguageModelingDataset(list(range(10)), block_size=4, stride=3)
        >>> len(ds), ds[1]["input_ids"].tolist()
        (3, [3, 4, 5, 6])
    """

    def __init__(self, data, block_size: int, stride: int | None = None,
                 tokenizer: Callable | None = None, separator_id: int | None = None) -> None:
        if not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"LanguageModelingDataset: block_size must be a positive int, got "
                             f"{block_size!r}")
        stride = block_size if stride is None else stride
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f"LanguageModelingDataset: stride must be a positive int, got "
                             f"{stride!r}")
        self.block_size, self.stride = block_size, stride
        self.tokens = self._stream(data, tokenizer, separator_id)
        n = self.tokens.shape[0]
        if n < block_size:
            raise ValueError(f"LanguageModelingDataset: the data has {n} tokens, fewer than "
                             f"block_size={block_size}; use more text or a smaller block_size")
        self._num_blocks = (n - block_size) // stride + 1

    @staticmethod
    def _stream(data, tokenizer, separator_id) -> np.ndarray:
        if isinstance(data, ember.Tensor):
            data = data.cpu().numpy() if hasattr(data, "cpu") else data.numpy()
        if isinstance(data, str):
            data = [data]
        elif isinstance(data, np.ndarray):
            return data.astype(np.int64, copy=False).reshape(-1)
        data = list(data) if isinstance(data, Iterable) else data
        if data and isinstance(data[0], str):
            if tokenizer is None:
                raise ValueError("LanguageModelingDataset: got text but no tokenizer; pass "
                                 "tokenizer= (e.g. an embertext.Tokenizer) or token ids")
            pieces = []
            for i, text in enumerate(data):
                if i and separator_id is not None:
                    pieces.append([separator_id])
                pieces.append(_encode(tokenizer, text))
            return np.fromiter((t for p in pieces for t in p), dtype=np.int64)
        return np.asarray(data, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return self._num_blocks

    def __getitem__(self, index: int) -> dict:
        if index < 0:
            index += self._num_blocks
        if not 0 <= index < self._num_blocks:
            raise IndexError(f"LanguageModelingDataset: index {index} out of range for "
                             f"{self._num_blocks} blocks")
        start = index * self.stride
        block = self.tokens[start:start + self.block_size]
        return {"input_ids": ember.tensor(block.copy()), "labels": ember.tensor(block.copy())}

    def __repr__(self) -> str:
        return (f"LanguageModelingDataset(num_blocks={len(self)}, block_size={self.block_size}, "
                f"stride={self.stride}, num_tokens={self.tokens.shape[0]})")
