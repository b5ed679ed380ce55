"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation of Grave et al.,
*Efficient softmax approximation for GPUs* (2017), as ``torch/nn/modules/adaptive.py``.

The classes are split by ``cutoffs`` into a frequent *shortlist* and rarer *clusters*. A head
``Linear(in_features, shortlist_size + n_clusters)`` scores the shortlist classes and one
entry per cluster; cluster ``i`` has its own two-layer tail ``Linear(in, in // div_value **
(i + 1)) -> Linear(.., cluster_size)`` (no biases). The log-probability of a class in cluster
``i`` is ``log p_head(cluster i) + log p_tail_i(class)``; only the tails of the clusters that
occur in the batch are evaluated.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor
from ...ops.join import cat
from ..functional._activation import log_softmax
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax with its negative log-likelihood loss.

    Args:
        in_features: the size of each input vector.
        n_classes: the number of classes.
        cutoffs: increasing, unique class boundaries in ``[1, n_classes - 1]``; e.g.
            ``[10, 100]`` makes classes 0..9 the shortlist, 10..99 cluster 0, the rest cluster 1.
        div_value: the factor by which each successive tail's hidden size shrinks (default 4).
        head_bias: whether the head ``Linear`` has a bias (default False).

    Shape:
        forward(input ``(N, in_features)`` or ``(in_features,)``, target ``(N,)`` or ``()``)
        -> ``(output, loss)``: ``output`` ``(N,)`` (or ``()``) the target log-probabilities,
        ``loss`` a scalar, their negative mean.

    State:
        ``head.weight`` ``(shortlist_size + n_clusters, in_features)`` (and ``head.bias``), then
        per cluster ``tail.{i}.0.weight`` ``(hidden_i, in_features)`` and ``tail.{i}.1.weight``
        ``(cluster_size_i, hidden_i)``.

    Example:
        >>> asm = nn.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs=[4, 7], div_value=2.0)
        >>> out = asm(ember.randn(5, 16), ember.tensor([0, 3, 4, 8, 9]))
        >>> out.output.shape, out.loss.shape, asm.log_prob(ember.randn(5, 16)).shape
        (ember.Size([5]), ember.Size([]), ember.Size([5, 10]))
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1"
            )
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hidden, bias=False, **kw),
                    Linear(hidden, size, bias=False, **kw),
                )
            )

    def reset_parameters(self) -> None:
        """Re-initialise the head and every tail layer (Linear's default init)."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def _check_features(self, input: Tensor, what: str) -> None:
        if input.ndim not in (1, 2) or input.shape[-1] != self.in_features:
            raise RuntimeError(
                f"AdaptiveLogSoftmaxWithLoss(in_features={self.in_features}).{what}: expected "
                f"input of shape (N, {self.in_features}), got {tuple(input.shape)}"
            )

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        """Log-probabilities of the targets and the mean negative log-likelihood.

        Returns:
            ``_ASMoutput(output, loss)``, a named tuple.
        """
        targ_dim = target_.ndim
        if targ_dim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError(
                    "Input and target should have the same size in the batch dimension."
                )
            if input_.ndim != 2:
                raise RuntimeError(
                    f"1D target tensor expects 2D input tensors, but found inputs with size "
                    f"{input_.shape}"
                )
        elif targ_dim == 0:
            if input_.ndim != 1:
                raise RuntimeError(
                    f"0D target tensor expects 1D input tensors, but found inputs with size "
                    f"{input_.shape}"
                )
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        self._check_features(input_, "forward")
        if target_.dtype.is_floating_point or target_.dtype.is_complex:
            raise RuntimeError(
                f"AdaptiveLogSoftmaxWithLoss: expected an integer target (class indices), got "
                f"dtype {target_.dtype}"
            )
        batched = targ_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        t = np.asarray(target_._data if target_.is_cpu else target_._data.get()).reshape(-1)
        t = t.astype(np.int64)
        n = t.shape[0]
        if n and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{t.min()}, {t.max()}] were found. "
            )
        # Which head entry each row needs: its class (shortlist) or its cluster's entry.
        cluster = np.searchsorted(np.asarray(self.cutoffs), t, side="right")  # 0 = shortlist
        gather_inds = np.where(cluster == 0, t, self.shortlist_size + cluster - 1)
        # The tail log-probabilities of the rows in each present cluster (a loop over clusters,
        # not rows), stitched back into row order by one inverse permutation.
        order = [np.nonzero(cluster == 0)[0]]
        pieces = [input.new_zeros(len(order[0]))]
        for i in range(1, self.n_clusters + 1):
            rows = np.nonzero(cluster == i)[0]
            if len(rows) == 0:
                continue
            relative = self._index(input, t[rows] - self.cutoffs[i - 1])
            cluster_logprob = log_softmax(
                self.tail[i - 1](input.index_select(0, self._index(input, rows))), dim=1
            )
            pieces.append(cluster_logprob.gather(1, relative.unsqueeze(1)).squeeze(1))
            order.append(rows)
        inverse = np.argsort(np.concatenate(order), kind="stable")
        tail_part = cat(pieces).index_select(0, self._index(input, inverse))
        head_logprob = log_softmax(self.head(input), dim=1)
        head_part = head_logprob.gather(1, self._index(input, gather_inds).unsqueeze(1))
        output = head_part.squeeze(1) + tail_part
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    @staticmethod
    def _index(like: Tensor, values) -> Tensor:
        """An int64 index tensor on ``like``'s device."""
        from ...ops.creation import tensor

        return tensor(np.asarray(values, dtype=np.int64), device=like.device)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """Log-probabilities of all ``n_classes`` from the input and the head's output."""
        head_logprob = log_softmax(head_output, dim=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = log_softmax(self.tail[i](input), dim=1)
            entry = self.shortlist_size + i
            parts.append(cluster_logprob + head_logprob[:, entry : entry + 1])
        return cat(parts, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of every class: ``(N, in_features)`` -> ``(N, n_classes)``."""
        self._check_features(input, "log_prob")
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class of each row, ``(N,)`` int64; equal to
        ``log_prob(input).argmax(dim=1)``, but the tails run only for rows whose best head
        entry is a cluster."""
        self._check_features(input, "predict")
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        outside = output >= self.shortlist_size
        if not bool(outside.any()):
            return output
        if bool(outside.all()):
            return self._get_full_log_prob(input, head_output).argmax(dim=1)
        log_prob = self._get_full_log_prob(input[outside], head_output[outside])
        output[outside] = log_prob.argmax(dim=1)
        return output
