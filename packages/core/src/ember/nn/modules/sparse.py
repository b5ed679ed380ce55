"""Embedding layers: ``Embedding`` (a lookup table) and ``EmbeddingBag`` (sums, means or maxima
of bags of embeddings), with PyTorch's arguments, ``weight`` parameter and N(0, 1) init."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from .. import init
from ..functional._sparse import embedding, embedding_bag
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


def _check_padding_idx(padding_idx, num_embeddings: int, capital: bool):
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        # PyTorch's exception type and text (Embedding capitalises, EmbeddingBag does not)
        raise AssertionError(
            f"{'Padding_idx' if capital else 'padding_idx'} must be within num_embeddings"
        )
    return padding_idx % num_embeddings


def _check_weight(_weight: Tensor, num_embeddings: int, embedding_dim: int) -> None:
    if list(_weight.shape) != [num_embeddings, embedding_dim]:
        raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``.

    ``weight`` has shape ``(num_embeddings, embedding_dim)``, initialised from N(0, 1) with the
    ``padding_idx`` row zeroed.

    Args:
        num_embeddings: the size of the table.
        embedding_dim: the size of each vector.
        padding_idx: this row gets no gradient (and is initialised to zeros): a padding token.
        max_norm: looked-up rows with a larger ``norm_type``-norm are renormalised in place to
            this norm (this modifies ``weight``).
        norm_type: the p of that norm (default 2).
        scale_grad_by_freq: scale row gradients by the inverse of their frequency in the batch.
        sparse: accepted for compatibility; gradients are dense.

    Shape:
        input: integer indices of any shape ``(*)``; output: ``(*, embedding_dim)``.

    Example:
        >>> emb = nn.Embedding(10, 4, padding_idx=0)
        >>> emb(ember.tensor([[1, 2, 0]])).shape
        ember.Size([1, 3, 4])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _check_padding_idx(padding_idx, num_embeddings, capital=True)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            self.weight = Parameter(
                empty(num_embeddings, embedding_dim, device=device, dtype=dtype),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            _check_weight(_weight, num_embeddings, embedding_dim)
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self) -> None:
        """N(0, 1) entries, with the padding row zeroed (PyTorch's init)."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return embedding(
            input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
            self.scale_grad_by_freq, self.sparse,
            _who=f"Embedding({self.num_embeddings}, {self.embedding_dim})",
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An ``Embedding`` whose ``weight`` is ``embeddings`` (shared, not copied).

        Args:
            embeddings: a ``(num_embeddings, embedding_dim)`` tensor.
            freeze: if True (default) the weight does not require grad.
            padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse: as in the
                constructor (the padding row is NOT zeroed, as in PyTorch).

        Example:
            >>> emb = nn.Embedding.from_pretrained(ember.eye(3))
            >>> emb(ember.tensor([1]))
            tensor([[0., 1., 0.]])
        """
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(
            num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
            padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
        )


class EmbeddingBag(Module):
    """Sums, means or maxima of "bags" of embeddings, computed without materialising the bags
    (e.g. a bag-of-words text classifier).

    Args:
        num_embeddings: the size of the table.
        embedding_dim: the size of each vector.
        max_norm, norm_type, scale_grad_by_freq, sparse: as in :class:`Embedding`.
        mode: ``'sum'``, ``'mean'`` (default) or ``'max'``.
        include_last_offset: ``offsets`` carries the end of the last bag as an extra entry.
        padding_idx: entries equal to it are left out of the bags (and get no gradient).

    Shape:
        input: ``(B, L)`` (B bags of L indices) or ``(n,)`` with ``offsets`` ``(B,)``
        (or ``(B + 1,)`` with ``include_last_offset``); ``per_sample_weights`` like input
        (``'sum'`` mode only). Output: ``(B, embedding_dim)``.

    Example:
        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(ember.tensor([1, 2, 4, 5, 4]), ember.tensor([0, 2])).shape
        ember.Size([2, 3])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _check_padding_idx(padding_idx, num_embeddings, capital=False)
        if _weight is None:
            self.weight = Parameter(
                empty(num_embeddings, embedding_dim, device=device, dtype=dtype)
            )
            self.reset_parameters()
        else:
            _check_weight(_weight, num_embeddings, embedding_dim)
            self.weight = Parameter(_weight)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    reset_parameters = Embedding.reset_parameters
    _fill_padding_idx_with_zero = Embedding._fill_padding_idx_with_zero

    def forward(
        self,
        input: Tensor,
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        return embedding_bag(
            input, self.weight, offsets, self.max_norm, self.norm_type,
            self.scale_grad_by_freq, self.mode, self.sparse, per_sample_weights,
            self.include_last_offset, self.padding_idx,
            _who=f"EmbeddingBag({self.num_embeddings}, {self.embedding_dim})",
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An ``EmbeddingBag`` whose ``weight`` is ``embeddings`` (shared, not copied);
        ``freeze=True`` (default) stops its gradient. Other arguments as in the constructor.

        Example:
            >>> bag = nn.EmbeddingBag.from_pretrained(ember.eye(3), mode="sum")
            >>> bag(ember.tensor([[0, 2]]))
            tensor([[1., 0., 1.]])
        """
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(
            num_embeddings=rows, embedding_dim=cols, _weight=embeddings, max_norm=max_norm,
            norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, mode=mode,
            sparse=sparse, include_last_offset=include_last_offset, padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
