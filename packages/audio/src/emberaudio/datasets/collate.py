"""Batching variable-length audio: pad every waveform to the longest and keep the lengths.

A ``DataLoader`` over an audio dataset cannot use ``default_collate`` (it stacks, and clips differ
in length), so pass ``collate_fn=pad_collate`` or ``collate_fn=AudioCollator(pad_value=...)``.
"""

from __future__ import annotations

import numbers

import ember
from ember._device import get_array_module
from ember._tensor import _make
from ember.utils.data import default_collate

__all__ = ["AudioCollator", "pad_collate"]


class AudioCollator:
    """Collate ``(waveform, *fields)`` items into ``(waveforms, lengths, *fields)``.

    The waveforms (the first element of each item, or the items themselves when they are
    tensors) are padded at the end of their last (time) dimension with ``pad_value`` to the
    longest in the batch and stacked: ``(C, T)`` items give ``(B, C, T_max)``, ``(T,)`` items give
    ``(B, T_max)``. ``lengths`` is an int64 tensor ``(B,)`` of the original frame counts. The other
    fields are collated by kind: ints (labels, sample rates, ids) and floats become tensors
    (``default_collate``), tensors of one shape are stacked, strings (transcripts, words) and
    anything ragged stay a list in batch order.

    A class rather than a closure so that ``DataLoader`` workers can pickle it.

    Args:
        pad_value: the value written past each waveform's end (default 0.0).

    Example:
        >>> batch = [(ember.ones(1, 3), 16000, 2), (ember.ones(1, 5), 16000, 7)]
        >>> waves, lengths, sr, labels = AudioCollator()(batch)
        >>> waves.shape, lengths.tolist(), labels.tolist()
        ((2, 1, 5), [3, 5], [2, 7])
    """

    def __init__(self, pad_value: float = 0.0) -> None:
        self.pad_value = float(pad_value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pad_value={self.pad_value})"

    def __call__(self, batch):
        batch = list(batch)
        if not batch:
            raise ValueError("pad_collate: the batch is empty")
        if isinstance(batch[0], ember.Tensor):
            return self._pad(batch)
        width = len(batch[0])
        if any(len(item) != width for item in batch):
            raise ValueError("pad_collate: items have different numbers of fields: "
                             f"{sorted({len(item) for item in batch})}")
        waveforms, lengths = self._pad([item[0] for item in batch])
        fields = [_collate_field([item[i] for item in batch]) for i in range(1, width)]
        return (waveforms, lengths, *fields)

    def _pad(self, waves):
        if not all(isinstance(w, ember.Tensor) for w in waves):
            kinds = sorted({type(w).__name__ for w in waves})
            raise TypeError(f"pad_collate: waveforms must be Tensors, got {kinds}")
        shapes = [tuple(w.shape) for w in waves]
        leading = {s[:-1] for s in shapes}
        if len(leading) != 1 or len(shapes[0]) not in (1, 2):
            raise ValueError("pad_collate: waveforms must all be (T,) or all (C, T) with the same "
                             f"C; got shapes {shapes}")
        lengths = [s[-1] for s in shapes]
        xp = get_array_module(waves[0]._data)
        dtype = waves[0]._data.dtype
        out = xp.full((len(waves), *shapes[0][:-1], max(lengths)), self.pad_value, dtype=dtype)
        # One slice assignment per clip (no per-sample loop): the clip lengths differ, so a
        # single vectorised copy is not possible without building an index as large as the batch.
        for i, w in enumerate(waves):
            out[i, ..., : lengths[i]] = w._data
        # lengths stay on the CPU whatever the waveforms' device, as torch's packing expects.
        return _make(out), ember.tensor(lengths, dtype=ember.int64)


def _collate_field(values: list):
    first = values[0]
    if isinstance(first, str):
        return values
    if isinstance(first, numbers.Number) and all(isinstance(v, numbers.Number) for v in values):
        return default_collate(values)  # NumPy scalars are Numbers too
    if isinstance(first, ember.Tensor):
        if all(isinstance(v, ember.Tensor) and v.shape == first.shape for v in values):
            return ember.stack(values)
        return values
    if isinstance(first, (list, tuple)) and all(
            isinstance(v, (list, tuple)) and len(v) == len(first) for v in values) and all(
            isinstance(x, numbers.Number) for v in values for x in v):
        # Equal-length number lists (YESNO's eight labels) become a (B, L) tensor.
        return ember.tensor([list(v) for v in values])
    return values


def pad_collate(batch, pad_value: float = 0.0):
    """Pad a batch of audio items: ``AudioCollator(pad_value)(batch)``.

    Args:
        batch: a list of waveform tensors, or of ``(waveform, *fields)`` tuples (dataset items).
        pad_value: the value written past each waveform's end.

    Returns:
        ``(waveforms, lengths)`` for tensors, ``(waveforms, lengths, *fields)`` for tuples, with
        waveforms ``(B, C, T_max)`` (or ``(B, T_max)`` for 1-D clips) and lengths int64 ``(B,)``.

    Example:
        >>> loader = DataLoader(SPEECHCOMMANDS("data"), batch_size=8, collate_fn=pad_collate)
    """
    return AudioCollator(pad_value)(batch)
