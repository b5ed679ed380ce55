"""Edit distance, character and word error rates (CER/WER) for speech recognition.

The Levenshtein DP runs one NumPy row at a time: a row's substitution/deletion terms come
from the previous row in one vectorised step, and the insertion chain along the row is a
running minimum, ``d[j] = min_k<=j (tmp[k] + j - k) = j + cummin(tmp - arange)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cer", "edit_distance", "error_rate", "wer"]


def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1) between two
    sequences (strings, lists of words or token ids).

    Example:
        >>> edit_distance("kitten", "sitting")
        3
    """
    ref = _codes(reference, hypothesis)
    hyp = ref[1]
    ref = ref[0]
    if len(ref) == 0 or len(hyp) == 0:
        return int(max(len(ref), len(hyp)))
    cols = np.arange(len(hyp) + 1)
    row = cols.copy()                                   # distances from the empty reference
    for i, r in enumerate(ref, start=1):
        sub = row[:-1] + (hyp != r)                     # diagonal: match or substitute
        tmp = np.concatenate([[i], np.minimum(row[1:] + 1, sub)])  # deletion or diagonal
        row = np.minimum.accumulate(tmp - cols) + cols  # insertions along the row
    return int(row[-1])


def _codes(a, b):
    """Both sequences as int arrays over a shared vocabulary of their items."""
    items = {}
    ca = np.array([items.setdefault(x, len(items)) for x in a], dtype=np.int64)
    cb = np.array([items.setdefault(x, len(items)) for x in b], dtype=np.int64)
    return ca, cb


def error_rate(references, hypotheses, unit: str = "char") -> float:
    """Total edit distance over total reference length, for lists of transcripts.

    Args:
        references, hypotheses: lists of strings, in the same order.
        unit: ``"char"`` (CER: characters, spaces included) or ``"word"`` (WER: words split
            on whitespace).
    """
    if len(references) != len(hypotheses):
        raise ValueError(f"error_rate: {len(references)} references but {len(hypotheses)} "
                         "hypotheses")
    split = (lambda s: s.split()) if unit == "word" else (lambda s: list(" ".join(s.split())))
    errors = total = 0
    for ref, hyp in zip(references, hypotheses):
        r, h = split(ref), split(hyp)
        errors += edit_distance(r, h)
        total += len(r)
    return errors / max(total, 1)


def cer(references, hypotheses) -> float:
    """Character error rate. Example: ``cer(["abc"], ["abd"])`` is 1/3."""
    return error_rate(references, hypotheses, "char")


def wer(references, hypotheses) -> float:
    """Word error rate. Example: ``wer(["a b c"], ["a c"])`` is 1/3."""
    return error_rate(references, hypotheses, "word")
