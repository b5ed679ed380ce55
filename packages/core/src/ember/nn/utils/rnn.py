"""``ember.nn.utils.rnn``: packed sequences and padding, as ``torch.nn.utils.rnn``.

A batch of sequences of different lengths is held either *padded*, ``(T, B, *)`` (or
``(B, T, *)`` with ``batch_first``) with filler after each sequence's end, or *packed*: a
:class:`PackedSequence` whose ``data`` stacks, time step after time step, the elements of the
sequences still running at that step (sequences sorted by decreasing length), with
``batch_sizes[t]`` of them at step ``t``. The recurrent layers accept packed input and then
stop every sequence at its own length.

Every conversion here is one gather (``index_select``) with indices computed in NumPy, so it
is vectorised and differentiable: gradients flow back to the padded or packed values.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..._tensor import Tensor, _make
from ...ops._util import xp_of

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


def _ops():
    import ember  # the op families: imported lazily, ember.nn loads while ember imports

    return ember


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """A batch of variable-length sequences, packed time step by time step.

    Made by :func:`pack_padded_sequence` or :func:`pack_sequence` rather than by hand.

    Attributes:
        data: ``(sum(lengths), *)``: the elements of step 0 of every sequence, then those of
            step 1 of the sequences at least 2 long, and so on.
        batch_sizes: int64 CPU tensor ``(max_length,)``: how many sequences run at each step.
        sorted_indices: how the sequences were reordered by decreasing length (``None`` when
            they were given sorted): position ``j`` of the packed batch is input ``j``'s.
        unsorted_indices: the inverse permutation, to restore the original order.

    Example:
        >>> p = pack_sequence([ember.tensor([1., 2., 3.]), ember.tensor([4., 5.])])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # PackedSequence((data, batch_sizes), sorted_indices=...) is accepted too
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn."
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """Cast/move ``data`` as ``Tensor.to`` does; the permutations follow it to its device
        and ``batch_sizes`` stays on the CPU. Returns ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device

        def move(t):
            return None if t is None else t.to(device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cuda(self, device=None) -> PackedSequence:
        return self.to("cuda" if device is None else device)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(_ops().float64)

    def float(self) -> PackedSequence:
        return self.to(_ops().float32)

    def half(self) -> PackedSequence:
        return self.to(_ops().float16)

    def long(self) -> PackedSequence:
        return self.to(_ops().int64)

    def int(self) -> PackedSequence:
        return self.to(_ops().int32)

    def short(self) -> PackedSequence:
        return self.to(_ops().int16)

    def char(self) -> PackedSequence:
        return self.to(_ops().int8)

    def byte(self) -> PackedSequence:
        return self.to(_ops().uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on a CUDA device."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Always False: Ember has no pinned host memory."""
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation vector (``None`` stays ``None``).

    Example:
        >>> invert_permutation(ember.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    perm = permutation._data
    xp = xp_of(perm)
    out = xp.empty_like(perm)
    out[perm] = xp.arange(perm.shape[0], dtype=perm.dtype)
    return _make(out)


def _host_ints(values, name: str) -> np.ndarray:
    """A list or tensor of lengths as a 1-D int64 NumPy array."""
    if isinstance(values, Tensor):
        values = values.numpy(force=True)
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list or tensor of ints, got shape {arr.shape}")
    return arr.astype(np.int64)


def _gather_rows(flat: Tensor, index: np.ndarray) -> Tensor:
    """``flat[index]`` along dim 0 (differentiable), the index moved to ``flat``'s device."""
    xp = xp_of(flat._data)
    return _ops().index_select(flat, 0, _make(xp.asarray(index.ravel())))


def _with_pad_row(rows: Tensor, padding_value) -> Tensor:
    """``rows`` with one extra row of ``padding_value`` at the end, for gathers to point at.
    The value is cast to the dtype as PyTorch does (0.5 pads an int64 tensor with 0)."""
    data = rows._data
    pad = xp_of(data).full((1,) + data.shape[1:], padding_value, dtype=data.dtype)
    return _ops().cat((rows, _make(pad)), 0)


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch of variable-length sequences.

    Args:
        input: ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths: the length of each sequence (list or 1-D tensor, each in ``[1, T]``).
        batch_first: the layout of ``input``.
        enforce_sorted: if True, ``lengths`` must be non-increasing; if False, the sequences
            are sorted here and the permutation is kept in the result.

    Returns:
        A :class:`PackedSequence`.

    Example:
        >>> x = ember.tensor([[1., 4.], [2., 5.], [3., 0.]])  # (T=3, B=2), padded with 0
        >>> pack_padded_sequence(x, [3, 2]).data
        tensor([1., 4., 2., 5., 3.])
    """
    em = _ops()
    lengths = _host_ints(lengths, "pack_padded_sequence: lengths")
    if input.dim() < 2:
        raise ValueError(
            f"pack_padded_sequence: expected input of shape (T, B, *) or (B, T, *), got "
            f"{tuple(input.shape)}"
        )
    shape = tuple(input.shape)
    total, batch = (shape[1], shape[0]) if batch_first else (shape[0], shape[1])
    if lengths.shape[0] != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.shape[0]} "
            f"(batch_size={batch})"
        )
    sorted_indices = None
    if enforce_sorted:
        if batch > 1 and (np.diff(lengths) > 0).any():
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        order = np.arange(batch)
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _make(xp_of(input._data).asarray(order))
    if batch == 0 or lengths.min() <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if lengths[0] > total:
        raise RuntimeError(
            f"pack_padded_sequence: a sequence length ({lengths[0]}) exceeds the padded length "
            f"of the input ({total}, shape {shape}, batch_first={batch_first})"
        )
    # valid[t, j]: sequence j (in sorted order) is still running at step t. Its nonzero
    # positions, in row-major order, are exactly the packed order (step-major, then batch).
    valid = lengths[None, :] > np.arange(lengths[0])[:, None]
    steps, slots = np.nonzero(valid)
    source = order[slots]
    index = source * total + steps if batch_first else steps * batch + source
    data = _gather_rows(em.reshape(input, (total * batch,) + shape[2:]), index)
    batch_sizes = em.tensor(valid.sum(1).astype(np.int64))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpack a :class:`PackedSequence` into a padded batch (the inverse of
    :func:`pack_padded_sequence`), in the original batch order.

    Args:
        sequence: the packed batch.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``.
        padding_value: the value after each sequence's end.
        total_length: pad to this many steps (at least the longest length), e.g. to restore
            the length of the input that was packed.

    Returns:
        ``(padded, lengths)``; ``lengths`` is an int64 CPU tensor in the original order.

    Example:
        >>> p = pack_sequence([ember.tensor([1., 2., 3.]), ember.tensor([4., 5.])])
        >>> pad_packed_sequence(p, batch_first=True)
        (tensor([[1., 2., 3.],
                [4., 5., 0.]]), tensor([3, 2]))
    """
    data = sequence.data
    batch_sizes = _host_ints(sequence.batch_sizes, "batch_sizes")
    steps = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = int(batch_sizes[0])
    n = data.shape[0]
    # slot[b]: the packed position of output sequence b
    slot = np.arange(batch)
    if sequence.unsorted_indices is not None:
        slot = _host_ints(sequence.unsorted_indices, "unsorted_indices")
    sizes = np.zeros(steps, dtype=np.int64)
    sizes[: batch_sizes.shape[0]] = batch_sizes
    offsets = np.cumsum(sizes) - sizes
    valid = slot[None, :] < sizes[:, None]  # (steps, batch)
    index = np.where(valid, offsets[:, None] + slot[None, :], n)
    if batch_first:
        index = index.T
    padded = _gather_rows(_with_pad_row(data, padding_value), index)
    padded = _ops().reshape(padded, index.shape + tuple(data.shape[1:]))
    lengths = (batch_sizes[:, None] > np.arange(batch)[None, :]).sum(0)[slot]
    return padded, _ops().tensor(lengths.astype(np.int64))


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack tensors of different lengths (along dim 0) into one padded tensor.

    Args:
        sequences: a list of tensors ``(L_i, *)`` with the same trailing shape (a tensor is
            taken as the list of its rows).
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``; ``T = max(L_i)``.
        padding_value: the filler value.
        padding_side: ``'right'`` (pad after each sequence) or ``'left'`` (before).

    Returns:
        The padded tensor, in the dtype of the first sequence.

    Example:
        >>> pad_sequence([ember.tensor([1, 2, 3]), ember.tensor([4])], batch_first=True)
        tensor([[1, 2, 3],
                [4, 0, 0]])
    """
    em = _ops()
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    first = sequences[0]
    if first.dim() == 0:
        raise RuntimeError("pad_sequence: sequences must have at least one dimension, got a 0-d")
    trailing = tuple(first.shape[1:])
    for k, s in enumerate(sequences):
        if s.dim() == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the trailing shape {trailing} of "
                f"sequence 0 (shape {tuple(first.shape)}), but sequence {k} has shape "
                f"{tuple(s.shape)}"
            )
    dtype = first.dtype
    sequences = [s if s.dtype == dtype else s.to(dtype) for s in sequences]
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    longest = int(lengths.max())
    starts = np.cumsum(lengths) - lengths
    pos = np.arange(longest)[None, :]  # (1, T)
    if padding_side == "right":
        offset = pos
    else:
        offset = pos - (longest - lengths)[:, None]
    valid = (offset >= 0) & (offset < lengths[:, None])  # (B, T)
    index = np.where(valid, starts[:, None] + offset, int(lengths.sum()))
    if not batch_first:
        index = index.T
    rows = _with_pad_row(em.cat(sequences, 0), padding_value)
    return em.reshape(_gather_rows(rows, index), index.shape + trailing)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (the inverse of :func:`pad_sequence`).

    Unlike PyTorch, which transposes ``padded_sequences`` in place when ``batch_first`` is
    False, the input is left untouched; the results are views of it.

    Args:
        padded_sequences: ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths: each sequence's length (list or 1-D tensor).

    Returns:
        A list of ``B`` tensors ``(L_i, *)``.
    """
    lengths = _host_ints(lengths, "unpad_sequence: lengths")
    # One slice per sequence: the result is a list, so this loop over the batch is inherent.
    if batch_first:
        return [padded_sequences[b, : int(n)] for b, n in enumerate(lengths)]
    return [padded_sequences[: int(n), b] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors ``(L_i, *)`` of different lengths.

    Equivalent to ``pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=...)``.

    Example:
        >>> pack_sequence([ember.tensor([1, 2]), ember.tensor([3, 4, 5])], enforce_sorted=False)
        PackedSequence(data=tensor([3, 1, 4, 2, 5]), batch_sizes=tensor([2, 2, 1]), \
sorted_indices=tensor([1, 0]), unsorted_indices=tensor([1, 0]))
    """
    sequences = list(sequences)
    lengths = [s.shape[0] if s.dim() else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences in a :class:`PackedSequence` (the inverse of
    :func:`pack_sequence`), in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
