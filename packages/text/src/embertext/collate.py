"""Batching variable-length token sequences: a collator that pads a batch to its longest
sequence, and a batch sampler that puts sequences of similar length together so that little
padding is needed.

    loader = DataLoader(dataset, batch_sampler=LengthBucketSampler(lengths, batch_size=32),
                        collate_fn=PaddingCollator(pad_token_id=tok.pad_token_id))
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

import ember
from ember.utils.data import Sampler

__all__ = ["PaddingCollator", "LengthBucketSampler"]

# PyTorch's CrossEntropyLoss ignore_index: padded label positions add nothing to the loss.
_LABEL_PAD = -100


def _flatten(seqs: list) -> tuple[np.ndarray, np.ndarray]:
    """The sequences' values concatenated (int64), and their lengths."""
    if all(isinstance(s, (list, tuple)) for s in seqs):
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        flat = np.fromiter(itertools.chain.from_iterable(seqs), dtype=np.int64,
                           count=int(lengths.sum()))
        return flat, lengths
    arrays = [np.asarray(s, dtype=np.int64).reshape(-1) for s in seqs]
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    flat = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
    return flat, lengths


def _pad(seqs: list, fill: int, max_length: int | None, left: bool) -> tuple[np.ndarray, ...]:
    """Pad ragged sequences into a (B, L) int64 array, L = the longest (after cutting each to
    ``max_length``, keeping its start). Returns (padded, mask of real positions)."""
    flat, lengths = _flatten(seqs)
    if max_length is not None and lengths.size and lengths.max() > max_length:
        # Position of each value inside its own sequence, without a loop over sequences.
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        flat = flat[np.arange(flat.size) - starts < max_length]
        lengths = np.minimum(lengths, max_length)
    width = int(lengths.max()) if lengths.size else 0
    columns = np.arange(width)
    # Boolean-mask assignment fills row by row, left to right: exactly the flat order.
    real = columns >= (width - lengths)[:, None] if left else columns < lengths[:, None]
    out = np.full((len(seqs), width), fill, dtype=np.int64)
    out[real] = flat
    return out, real


class PaddingCollator:
    """Turn a list of tokenized examples into padded int64 tensors: a ``collate_fn`` for
    :class:`ember.utils.data.DataLoader`.

    Each example is a dict with ``input_ids`` (a list, array or 1-D tensor), optionally
    ``attention_mask`` and ``token_type_ids``, and a label under ``label_key`` (``'label'`` is
    also read when ``label_key`` is ``'labels'``, as datasets often name it); or an
    ``(input_ids, label)`` pair. Other keys are ignored.

    Args:
        pad_token_id: the id that fills padded positions of ``input_ids``.
        max_length: cut longer sequences to this many tokens (keeping the start). Default: no
            cut. Batches are padded to their longest sequence, not to ``max_length``.
        label_key: where the label is in a dict example.
        padding_side: ``'right'`` or ``'left'`` (decoder-only generation pads on the left).
        label_pad_token_id: fills padded positions of per-token labels; -100 is
            ``CrossEntropyLoss``'s default ``ignore_index``.

    Returns (when called):
        dict: ``input_ids`` and ``attention_mask`` (B, L) int64 (1 marks real tokens),
        ``token_type_ids`` (B, L) when the examples have them, and ``labels``: (B,) for one
        label per example (int64, or the default float dtype for float labels), (B, L') for
        per-token labels (padded to their own longest with ``label_pad_token_id``).

    Example:
        >>> collate = PaddingCollator(pad_token_id=0)
        >>> out = collate([([5, 6, 7], 1), ([8], 0)])
        >>> out["input_ids"], out["attention_mask"], out["labels"]
        (tensor([[5, 6, 7], [8, 0, 0]]), tensor([[1, 1, 1], [1, 0, 0]]), tensor([1, 0]))
    """

    def __init__(self, pad_token_id: int, max_length: int | None = None,
                 label_key: str = "labels", padding_side: str = "right",
                 label_pad_token_id: int = _LABEL_PAD) -> None:
        if pad_token_id is None or isinstance(pad_token_id, bool) or not isinstance(
                pad_token_id, (int, np.integer)):
            raise ValueError(f"PaddingCollator: pad_token_id must be an int, got "
                             f"{pad_token_id!r}; use tokenizer.pad_token_id (set a pad token "
                             "first if it is None)")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            raise ValueError(f"PaddingCollator: max_length must be a positive int or None, got "
                             f"{max_length!r}")
        if padding_side not in ("right", "left"):
            raise ValueError(f"PaddingCollator: padding_side must be 'right' or 'left', got "
                             f"{padding_side!r}")
        self.pad_token_id = int(pad_token_id)
        self.max_length = max_length
        self.label_key = label_key
        self.padding_side = padding_side
        self.label_pad_token_id = label_pad_token_id

    def __repr__(self) -> str:
        return (f"PaddingCollator(pad_token_id={self.pad_token_id}, max_length="
                f"{self.max_length}, label_key={self.label_key!r}, padding_side="
                f"{self.padding_side!r})")

    def _split(self, batch: Sequence) -> tuple[list, list | None, list | None, list | None]:
        """(input_ids, attention_mask, token_type_ids, labels) columns of the batch."""
        first = batch[0]
        if isinstance(first, Mapping):
            key = self.label_key
            if key not in first and key == "labels" and "label" in first:
                key = "label"
            try:
                ids = [ex["input_ids"] for ex in batch]
            except KeyError:
                raise KeyError("PaddingCollator: every example dict needs 'input_ids' (got "
                               f"keys {sorted(first)})") from None

            def column(name):
                return [ex[name] for ex in batch] if name in first else None

            return ids, column("attention_mask"), column("token_type_ids"), column(key)
        if isinstance(first, (tuple, list)) and len(first) == 2:
            return [ex[0] for ex in batch], None, None, [ex[1] for ex in batch]
        raise TypeError(f"PaddingCollator: examples must be dicts with 'input_ids' or "
                        f"(input_ids, label) pairs, got {type(first).__name__}")

    def __call__(self, batch: Sequence) -> dict:
        """Collate ``batch`` (a list of examples) into a dict of tensors."""
        if len(batch) == 0:
            raise ValueError("PaddingCollator: cannot collate an empty batch")
        ids, mask, types, labels = self._split(batch)
        left = self.padding_side == "left"
        input_ids, real = _pad(ids, self.pad_token_id, self.max_length, left)
        out = {"input_ids": ember.from_numpy(input_ids)}
        if mask is None:
            out["attention_mask"] = ember.from_numpy(real.astype(np.int64))
        else:
            out["attention_mask"] = ember.from_numpy(_pad(mask, 0, self.max_length, left)[0])
        if types is not None:
            out["token_type_ids"] = ember.from_numpy(_pad(types, 0, self.max_length, left)[0])
        if labels is not None:
            out["labels"] = self._labels(labels, left)
        return out

    def _labels(self, labels: list, left: bool):
        if np.ndim(labels[0]) == 0:
            values = np.asarray([np.asarray(v).item() for v in labels])
            if values.dtype.kind == "f":
                return ember.tensor(values.tolist(), dtype=ember.get_default_dtype())
            return ember.from_numpy(values.astype(np.int64))
        return ember.from_numpy(_pad(labels, self.label_pad_token_id, self.max_length, left)[0])


class LengthBucketSampler(Sampler[list]):
    """Batches of indices whose sequences have similar lengths, to cut padding: a
    ``batch_sampler`` for :class:`ember.utils.data.DataLoader`.

    Each epoch the indices are shuffled, cut into chunks of ``bucket_size_multiplier *
    batch_size``, sorted by length within each chunk and split into batches; the batches are
    then shuffled. Batches hold neighbours in length, yet which examples meet, and the batch
    order, change every epoch (the chunking keeps the randomness that sorting the whole dataset
    would remove). Without ``shuffle``, chunks follow index order and batches keep their order.

    Args:
        lengths: the length of each example (a list, array or 1-D tensor).
        batch_size: indices per batch.
        shuffle: shuffle before chunking and shuffle the batches. Default: True.
        bucket_size_multiplier: chunk size in batches. Default: 50.
        drop_last: drop the one batch smaller than ``batch_size`` (the last chunk's), if any.
        generator: the :class:`ember.Generator` to draw from (default: the global one, so
            ``ember.manual_seed`` makes it reproducible).

    Example:
        >>> sampler = LengthBucketSampler([5, 1, 4, 2, 3, 6], batch_size=2, shuffle=False)
        >>> list(sampler)
        [[1, 3], [4, 2], [0, 5]]
    """

    def __init__(self, lengths, batch_size: int, shuffle: bool = True,
                 bucket_size_multiplier: int = 50, drop_last: bool = False,
                 generator=None) -> None:
        lengths = np.asarray(lengths.tolist() if hasattr(lengths, "tolist") else lengths)
        if lengths.ndim != 1 or (lengths.size and lengths.dtype.kind not in "iu"):
            raise ValueError(f"LengthBucketSampler: lengths must be a 1-D sequence of ints, got "
                             f"shape {lengths.shape} dtype {lengths.dtype}")
        for name, value in (("batch_size", batch_size),
                            ("bucket_size_multiplier", bucket_size_multiplier)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"LengthBucketSampler: {name} should be a positive integer "
                                 f"value, but got {name}={value!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"LengthBucketSampler: drop_last should be a boolean value, but "
                             f"got drop_last={drop_last!r}")
        self.lengths = lengths.astype(np.int64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.bucket_size_multiplier = bucket_size_multiplier
        self.drop_last = drop_last
        self.generator = generator

    def __iter__(self) -> Iterator[list[int]]:
        n = len(self.lengths)
        if self.shuffle:
            order = ember.randperm(n, generator=self.generator).numpy()
        else:
            order = np.arange(n)
        chunk = np.arange(n) // (self.batch_size * self.bucket_size_multiplier)
        # lexsort sorts by the last key first: by chunk, then by length within it; stable, so
        # equal lengths keep their shuffled order.
        order = order[np.lexsort((self.lengths[order], chunk))]
        # Chunks hold whole batches, so only the very last batch can be short.
        n_batches = len(self)
        starts = np.arange(n_batches) * self.batch_size
        if self.shuffle:
            starts = starts[ember.randperm(n_batches, generator=self.generator).numpy()]
        for start in starts.tolist():
            yield order[start:start + self.batch_size].tolist()

    def __len__(self) -> int:
        n = len(self.lengths)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
