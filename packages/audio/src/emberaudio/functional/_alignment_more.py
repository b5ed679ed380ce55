"""CTC forced alignment (``forced_align``), span merging (``merge_tokens``, ``TokenSpan``) and
the Levenshtein ``edit_distance``, as in torchaudio.functional.

``forced_align`` is torchaudio's CPU Viterbi (libtorchaudio/forced_align/cpu/compute.cpp):
the same reachable-state window, the same tie-breaking (stay > previous > skip), the same
final choice between the last blank and the last label. Its time loop is inherently
sequential; each step is vectorised over the 2L + 1 extended-label states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import ember
from ember import Tensor

__all__ = ["forced_align", "merge_tokens", "TokenSpan", "edit_distance"]


def edit_distance(seq1, seq2) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning
    ``seq1`` into ``seq2``.

    Each DP row is vectorised: ``d[i, j] = min(d[i-1, j] + 1, d[i-1, j-1] + cost)`` for all j,
    then the in-row insertions ``d[i, j] = min_k (d[i, k] + j - k)`` as a running minimum.

    Args:
        seq1, seq2: sequences of comparable items (strings, lists of words or ids, 1-D
            tensors).

    Returns:
        int.

    Example:
        >>> edit_distance("kitten", "sitting")
        3
    """
    a, b = list(_items(seq1)), list(_items(seq2))
    if not a or not b:
        return len(a) + len(b)
    ids: dict = {}
    a_ids = np.array([ids.setdefault(item, len(ids)) for item in a])
    b_ids = np.array([ids.setdefault(item, len(ids)) for item in b])
    cols = np.arange(len(b) + 1)
    row = cols.copy()
    for i in range(1, len(a) + 1):  # over seq1's items; each row is one vectorised step
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + (b_ids != a_ids[i - 1]))
        row = np.minimum.accumulate(best - cols) + cols
    return int(row[-1])


def _items(seq):
    if isinstance(seq, Tensor):
        return seq.tolist()
    return seq


def _check_align_inputs(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
                        blank: int) -> None:
    if log_probs.ndim != 3:
        raise ValueError("log_probs must be 3-D (batch_size, input length, num classes)")
    if targets.ndim != 2:
        raise ValueError("targets must be 2-D (batch_size, target length,)")
    if not log_probs.is_floating_point():
        raise ValueError("log_probs must be float64, float32 or float16 (half) type")
    if targets.dtype not in (ember.int32, ember.int64):
        raise ValueError("targets must be int32 or int64 type")
    if input_lengths.ndim != 1:
        raise ValueError("input_lengths must be 1-D (batch_size,)")
    if target_lengths.ndim != 1:
        raise ValueError("target_lengths must be 1-D (batch_size,)")
    if log_probs.shape[0] != 1:
        raise ValueError("The batch dimension for log_probs must be 1 at the current version.")
    if targets.shape[0] != 1:
        raise ValueError("The batch dimension for targets must be 1 at the current version.")
    if not 0 <= blank < log_probs.shape[-1]:
        raise ValueError("blank must be within [0, num classes)")
    if log_probs.shape[1] != int(input_lengths.max().item()):
        raise ValueError("input length mismatch")
    if targets.shape[1] != int(target_lengths.max().item()):
        raise ValueError("target length mismatch")


def forced_align(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | None = None,
                 target_lengths: Tensor | None = None, blank: int = 0
                 ) -> tuple[Tensor, Tensor]:
    """Align a CTC label sequence to an emission: the most likely frame-level path
    (Viterbi) that collapses to ``targets``.

    Args:
        log_probs: (1, T, C) log-probabilities of the CTC emission (blank included).
        targets: (1, L) int32/int64 labels, without ``blank``.
        input_lengths: (1,), must equal T (default: T).
        target_lengths: (1,), must equal L (default: L).
        blank: the blank index (default 0).

    Returns:
        (paths (1, T) in ``targets``' dtype: the label of each frame; scores (1, T): the
        log-probability of that label at each frame, in ``log_probs``' dtype).

    Note:
        Requires ``T >= L + R``, R the number of adjacent repeated labels; batch size 1 only
        (as torchaudio).

    Example:
        >>> paths, scores = F.forced_align(emission, ember.tensor([[3, 1, 4]]))
        >>> spans = F.merge_tokens(paths[0], scores[0])
    """
    if bool((targets == blank).any()):
        raise ValueError(f"targets Tensor shouldn't contain blank index. Found {targets}.")
    if int(targets.max().item()) >= log_probs.shape[-1]:
        raise ValueError("targets values must be less than the CTC dimension")
    if input_lengths is None:
        input_lengths = ember.full((log_probs.shape[0],), log_probs.shape[1],
                                   dtype=ember.int64)
    if target_lengths is None:
        target_lengths = ember.full((targets.shape[0],), targets.shape[1], dtype=ember.int64)
    _check_align_inputs(log_probs, targets, input_lengths, target_lengths, blank)
    lp = np.asarray(log_probs.detach().cpu().numpy()[0], dtype=np.float64)
    tg = np.asarray(targets.cpu().numpy()[0], dtype=np.int64)
    path = _viterbi(lp, tg, blank)
    paths = ember.tensor(path[None], dtype=targets.dtype, device=targets.device)
    frames = ember.arange(log_probs.shape[1], device=log_probs.device)
    scores = log_probs[:, frames, paths[0].to(ember.int64)]
    return paths, scores


def _viterbi(lp: np.ndarray, tg: np.ndarray, blank: int) -> np.ndarray:
    """The best path through the 2L + 1 extended states (blank, t1, blank, ..., blank)."""
    T, L = lp.shape[0], len(tg)
    S = 2 * L + 1
    repeats = int((tg[1:] == tg[:-1]).sum())
    if T < L + repeats:
        raise ValueError(f"targets length is too long for CTC. Found log_probs length: {T}, "
                         f"targets length: {L}, and number of repeats: {repeats}")
    labels = np.full(S, blank)
    labels[1::2] = tg
    states = np.arange(S)
    # the skip s-2 -> s is allowed into a label that differs from the previous label
    can_skip = np.zeros(S, bool)
    can_skip[3::2] = tg[1:] != tg[:-1]
    neg_inf = -np.inf
    alpha = np.full(S, neg_inf)
    back = np.zeros((T, S), np.int8)
    start = 0 if T - (L + repeats) > 0 else 1
    end = 1 if S == 1 else 2
    alpha[start:end] = lp[0, labels[start:end]]
    for t in range(1, T):  # Viterbi over time; vectorised over the states
        # torchaudio's window of states that are reachable and can still finish in time
        if T - t <= L + repeats:
            if start % 2 == 1 and tg[start // 2] != tg[start // 2 + 1]:
                start += 1
            start += 1
        if t <= L + repeats:
            if end % 2 == 0 and end < 2 * L and tg[end // 2 - 1] != tg[end // 2]:
                end += 1
            end += 1
        x0 = alpha
        x1 = np.concatenate([[neg_inf], alpha[:-1]])
        x2 = np.where(can_skip, np.concatenate([[neg_inf, neg_inf], alpha[:-2]]), neg_inf)
        # torchaudio's tie-breaking: skip only if strictly best, then previous, else stay
        choice = np.where((x2 > x1) & (x2 > x0), 2, np.where(x1 > x0, 1, 0))
        best = np.choose(choice, [x0, x1, x2])
        inside = (states >= start) & (states < end)
        alpha = np.where(inside, best + lp[t, labels], neg_inf)
        back[t] = np.where(inside, choice, 0)
    state = S - 1 if S == 1 or alpha[S - 1] > alpha[S - 2] else S - 2
    path = np.empty(T, np.int64)
    for t in range(T - 1, -1, -1):  # backtrack: one step per frame
        path[t] = labels[state]
        state -= int(back[t, state])
    return path


@dataclass
class TokenSpan:
    """A token with its time span and score, as returned by :func:`merge_tokens`.

    Attributes:
        token: the token id.
        start: first frame (inclusive).
        end: last frame (exclusive).
        score: the mean frame score over the span.
    """

    token: int
    start: int
    end: int
    score: float

    def __len__(self) -> int:
        """The span's length in frames."""
        return self.end - self.start


def merge_tokens(tokens: Tensor, scores: Tensor, blank: int = 0) -> list[TokenSpan]:
    """Collapse a frame-level CTC path into token spans: runs of the same token merge and
    blanks are dropped.

    Args:
        tokens: (time,) the path from :func:`forced_align` (unbatched).
        scores: (time,) the frame scores; a span's score is their mean over the span.
        blank: the blank index (default 0).

    Returns:
        list of :class:`TokenSpan`.

    Example:
        >>> merge_tokens(ember.tensor([0, 3, 3, 0, 5]), ember.zeros(5))
        [TokenSpan(token=3, start=1, end=3, score=0.0), TokenSpan(token=5, start=4, ...)]
    """
    if tokens.ndim != 1 or scores.ndim != 1:
        raise ValueError("`tokens` and `scores` must be 1D Tensor.")
    if len(tokens) != len(scores):
        raise ValueError("`tokens` and `scores` must be the same length.")
    tok = tokens.cpu().numpy()
    sc = scores.detach().cpu().numpy().astype(np.float64)
    diff = np.diff(tok, prepend=-1, append=-1)
    changes = np.nonzero(diff != 0)[0]
    starts, ends = changes[:-1], changes[1:]
    cumulative = np.concatenate([[0.0], np.cumsum(sc)])
    means = (cumulative[ends] - cumulative[starts]) / (ends - starts)
    return [TokenSpan(token=int(tok[s]), start=int(s), end=int(e), score=float(m))
            for s, e, m in zip(starts, ends, means) if tok[s] != blank]

