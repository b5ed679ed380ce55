"""Loss modules (``nn.CrossEntropyLoss``, ``nn.MSELoss``, ``nn.CTCLoss``...).

Each module stores its options (PyTorch's names and defaults) and calls the functional form in
``ember.nn.functional``. Class weights are registered as buffers (``weight``, ``pos_weight``),
so a module with weights has PyTorch's ``state_dict`` keys. The legacy ``size_average`` and
``reduce`` arguments are mapped to ``reduction`` with PyTorch's deprecation warning.
"""

from __future__ import annotations

import warnings

from ..._tensor import Tensor
from ..functional import _loss as F
from .module import Module

__all__ = [
    "L1Loss",
    "NLLLoss",
    "NLLLoss2d",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "KLDivLoss",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "HingeEmbeddingLoss",
    "MultiLabelMarginLoss",
    "SmoothL1Loss",
    "HuberLoss",
    "SoftMarginLoss",
    "CrossEntropyLoss",
    "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "MultiMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "CTCLoss",
]


class _Loss(Module):
    """Base of the losses: holds ``reduction`` ('none' | 'mean' | 'sum')."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = F._legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight`` buffer (in the state_dict when given)."""

    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|x - y|``.

    Args:
        reduction: 'none' | 'mean' | 'sum' (size_average/reduce: deprecated).

    Shape:
        input and target: any (broadcastable) shape; output: scalar, or the broadcast shape
        for 'none'.

    Example:
        >>> nn.L1Loss()(ember.tensor([1.0, -2.0]), ember.tensor([0.0, 0.0]))
        tensor(1.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(x - y) ** 2``.

    Shape:
        input and target: any (broadcastable) shape; output: scalar, or the broadcast shape
        for 'none'.

    Example:
        >>> nn.MSELoss()(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
        tensor(2.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices, from log-probabilities.

    Args:
        weight: optional (C,) class weights (a buffer).
        ignore_index: targets equal to it are skipped (and left out of the mean).
        reduction: 'none' | 'mean' (``sum(w[t] l) / sum(w[t])``) | 'sum'.

    Shape:
        input (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...) integers in
        [0, C); output scalar or the target's shape for 'none'.

    Example:
        >>> logp = ember.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> nn.NLLLoss()(logp, ember.tensor([0, 1]))
        tensor(0.3000)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class NLLLoss2d(NLLLoss):
    """Deprecated alias of :class:`NLLLoss` (PyTorch warns with a FutureWarning)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
            "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for "
            "more details.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities (a fused, stable
    log-softmax + NLL).

    Args:
        weight: optional (C,) class weights (a buffer).
        ignore_index: class-index targets equal to it are skipped.
        reduction: 'none' | 'mean' | 'sum'.
        label_smoothing: in [0, 1]; the target becomes ``(1 - eps) onehot + eps / C``.

    Shape:
        input (C,), (N, C) or (N, C, d1, ...); target: class indices (), (N,) or
        (N, d1, ...), or probabilities shaped like the input; output scalar, or (N, d1, ...)
        for 'none'.

    Example:
        >>> loss = nn.CrossEntropyLoss()
        >>> loss(ember.tensor([[2.0, 0.0, 0.0]]), ember.tensor([0]))
        tensor(0.2395)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities (each log clamped at -100, as PyTorch).

    Shape:
        input and target: same shape, values in [0, 1]; weight broadcastable to it.

    Example:
        >>> nn.BCELoss()(ember.tensor([0.9, 0.2]), ember.tensor([1.0, 0.0]))
        tensor(0.1643)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one stable step.

    Args:
        weight: optional rescaling broadcastable to the target (buffer ``weight``).
        reduction: 'none' | 'mean' | 'sum'.
        pos_weight: weight of positive examples broadcast over the target, e.g. (C,) for a
            multi-label (N, C) target (buffer ``pos_weight``).

    Example:
        >>> loss = nn.BCEWithLogitsLoss(pos_weight=ember.tensor([2.0, 1.0]))
        >>> loss(ember.tensor([[2.0, -1.0]]), ember.tensor([[1.0, 0.0]]))
        tensor(0.2836)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, pos_weight=self.pos_weight, reduction=self.reduction
        )


class SmoothL1Loss(_Loss):
    """``0.5 d**2 / beta`` for ``|d| < beta``, else ``|d| - 0.5 beta``.

    Example:
        >>> nn.SmoothL1Loss()(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 d**2`` for ``|d| < delta``, else ``delta (|d| - 0.5 delta)``.

    Example:
        >>> nn.HuberLoss(delta=2.0)(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
        tensor(2.0625)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        if not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence with ``input`` as log-probabilities.

    Args:
        reduction: 'none' | 'mean' (over all elements; PyTorch warns) | 'batchmean' (the
            mathematical KL: sum / batch size) | 'sum'.
        log_target: whether ``target`` is given in log space too.

    Example:
        >>> loss = nn.KLDivLoss(reduction="batchmean")
        >>> loss(ember.tensor([[0.25, 0.75]]).log(), ember.tensor([[0.5, 0.5]]))
        tensor(0.1438)
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log likelihood (see :func:`ember.nn.functional.poisson_nll_loss`).

    Example:
        >>> nn.PoissonNLLLoss()(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
        tensor(0.8591)
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(
            log_input,
            target,
            log_input=self.log_input,
            full=self.full,
            eps=self.eps,
            reduction=self.reduction,
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log likelihood with predicted variance ``var``.

    Shape:
        input and target (N, *) or (*); var the same, with one dim of size 1, without the last
        dim, or a float.

    Example:
        >>> nn.GaussianNLLLoss()(ember.tensor([1.0]), ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.5000)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )


class CTCLoss(_Loss):
    """Connectionist Temporal Classification loss (see :func:`ember.nn.functional.ctc_loss`).

    Args:
        blank: the blank label.
        reduction: 'none' | 'mean' (each loss / its target length, then the batch mean) | 'sum'.
        zero_infinity: zero infinite losses (impossible alignments) and their gradients.

    Shape:
        log_probs (T, N, C) or (T, C); targets (N, S) padded or concatenated 1-D;
        input_lengths and target_lengths (N,).

    Example:
        >>> ctc = nn.CTCLoss()
        >>> lp = ember.randn(50, 2, 20).log_softmax(2)  # doctest: +SKIP
        >>> ctc(lp, ember.randint(1, 20, (2, 10)), [50, 50], [10, 7])  # doctest: +SKIP
    """

    def __init__(
        self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
    ) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths, target_lengths) -> Tensor:
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for target -1.

    Example:
        >>> loss = nn.CosineEmbeddingLoss()
        >>> loss(ember.tensor([[1.0, 0.0]]), ember.tensor([[0.0, 1.0]]), ember.tensor([1]))
        tensor(1.)
    """

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class MarginRankingLoss(_Loss):
    """``max(0, -y (x1 - x2) + margin)``.

    Example:
        >>> loss = nn.MarginRankingLoss()
        >>> loss(ember.tensor([1.0]), ember.tensor([2.0]), ember.tensor([1.0]))
        tensor(1.)
    """

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class HingeEmbeddingLoss(_Loss):
    """``x`` for target 1, ``max(0, margin - x)`` for target -1.

    Example:
        >>> nn.HingeEmbeddingLoss()(ember.tensor([0.3, 0.4]), ember.tensor([1.0, -1.0]))
        tensor(0.4500)
    """

    def __init__(
        self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))``.

    Example:
        >>> nn.SoftMarginLoss()(ember.tensor([0.0]), ember.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss averaged over the C classes; (N, C) -> (N,).

    Example:
        >>> loss = nn.MultiLabelSoftMarginLoss()
        >>> loss(ember.tensor([[0.0, 0.0]]), ember.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(
            input, target, weight=self.weight, reduction=self.reduction
        )


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss ``sum_{j != y} max(0, w_y (margin - x_y + x_j))^p / C``.

    Args:
        p: 1 or 2.
        margin: the margin.
        weight: optional (C,) class weights (a buffer).

    Example:
        >>> nn.MultiMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D "
                f"instead"
            )
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(
            input,
            target,
            p=self.p,
            margin=self.margin,
            weight=self.weight,
            reduction=self.reduction,
        )


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss; the target lists label indices, ended by -1.

    Example:
        >>> loss = nn.MultiLabelMarginLoss()
        >>> loss(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm pairwise distance.

    Args:
        margin: > 0.
        p: the norm degree.
        eps: added to the differences (stability of the norm at 0).
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance.

    Example:
        >>> a, pos, neg = ember.zeros(1, 2), ember.ones(1, 2), 2 * ember.ones(1, 2)
        >>> nn.TripletMarginLoss()(a, pos, neg)
        tensor(0.)
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """The triplet margin loss with any distance function.

    Args:
        distance_function: ``(x1, x2) -> distances``; default ``nn.PairwiseDistance()``.
        margin: > 0.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance.

    Example:
        >>> l1 = lambda a, b: (a - b).abs().sum(-1)
        >>> loss = nn.TripletMarginWithDistanceLoss(distance_function=l1)
        >>> loss(ember.zeros(1, 2), ember.ones(1, 2), 2 * ember.ones(1, 2))
        tensor(0.)
    """

    def __init__(
        self,
        *,
        distance_function=None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                f"{margin} instead"
            )
        if distance_function is None:
            distance_function = _default_distance()
        self.distance_function = distance_function
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


def _default_distance():
    """``nn.PairwiseDistance()`` as PyTorch stores it (a submodule, shown in the repr); the
    functional pairwise distance if the distance module is not available."""
    from . import distance

    cls = getattr(distance, "PairwiseDistance", None)
    return cls() if cls is not None else None
