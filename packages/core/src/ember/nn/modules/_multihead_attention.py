"""``MultiheadAttention`` (with ``NonDynamicallyQuantizableLinear``, its output projection's
class as in PyTorch), the attention block the Transformer layers of
``ember.nn.modules.transformer`` build on; its maths is ``F.multi_head_attention_forward``.
"""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = [
    "MultiheadAttention",
]


class NonDynamicallyQuantizableLinear(Linear):
    """A :class:`Linear` under PyTorch's class name for ``MultiheadAttention.out_proj`` (it
    only marks the layer for PyTorch's quantisation tooling; the repr shows the name). PyTorch
    keeps it in ``nn/modules/linear.py`` and does not export it from ``torch.nn``."""


def _shape_text(batch_first: bool, seq: str, feat) -> str:
    batched = f"(N, {seq}, {feat})" if batch_first else f"({seq}, N, {feat})"
    return f"{batched} or ({seq}, {feat})"


class MultiheadAttention(Module):
    """Multi-head attention: ``concat(head_1, ..., head_h) W_O`` with
    ``head_i = softmax(Q W_Q^i (K W_K^i)^T / sqrt(head_dim)) V W_V^i``.

    Args:
        embed_dim: the model dimension ``E`` (query features and output features).
        num_heads: the number of heads; must divide ``embed_dim`` (``head_dim = E / heads``).
        dropout: dropout probability on the attention weights (training only).
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        add_bias_kv: learn ``bias_k``/``bias_v`` ``(1, 1, E)``, appended to keys and values.
        add_zero_attn: append a zero key and value (after the projections).
        kdim, vdim: key and value feature sizes (default ``E``). When both equal ``E`` the
            projections are one packed ``in_proj_weight (3E, E)``; otherwise separate
            ``q_proj_weight (E, E)``, ``k_proj_weight (E, kdim)``, ``v_proj_weight (E, vdim)``.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.

    Shape:
        query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (``batch_first``:
        ``(N, L, E)`` ...), or unbatched ``(L, E)``, ``(S, kdim)``, ``(S, vdim)``.
        Output ``(L, N, E)`` and weights ``(N, L, S)`` (``(N, H, L, S)`` per head).

    Initialisation (PyTorch's): ``xavier_uniform_`` for the input projections, zero biases,
    ``xavier_normal_`` for ``bias_k``/``bias_v``; ``out_proj.weight`` as a ``Linear``.

    Example:
        >>> mha = nn.MultiheadAttention(8, 2)
        >>> x = ember.randn(5, 3, 8)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (ember.Size([5, 3, 8]), ember.Size([3, 5, 5]))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            # AssertionError as in PyTorch
            raise AssertionError(
                f"MultiheadAttention: embed_dim must be divisible by num_heads, got "
                f"embed_dim={embed_dim} and num_heads={num_heads}"
            )
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        for name, t, seq, feat in (
            ("query", query, "L", self.embed_dim),
            ("key", key, "S", self.kdim),
            ("value", value, "S", self.vdim),
        ):
            if t.ndim not in (2, 3) or t.shape[-1] != feat:
                # AssertionError: PyTorch's type for a wrong embedding size here
                raise AssertionError(
                    f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads="
                    f"{self.num_heads}): expected {name} of shape "
                    f"{_shape_text(self.batch_first, seq, feat)}, got {tuple(t.shape)}"
                )

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``.

        Args:
            key_padding_mask: ``(N, S)`` (``(S,)`` unbatched); boolean True = ignore that key
                (padding), or float (added to the scores).
            need_weights: also return the attention weights. ``False`` is faster.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; boolean True = not allowed, or
                float (added).
            average_attn_weights: average the returned weights over heads.
            is_causal: a hint that ``attn_mask`` is the causal mask.

        Returns:
            ``(attn_output, attn_weights)``: output in the query's layout; weights ``(N, L,
            S)`` or ``(N, num_heads, L, S)`` (no ``N`` when unbatched), or None.
        """
        self._check_inputs(query, key, value)
        is_batched = query.ndim == 3
        if self.batch_first and is_batched:
            # (N, L, E) -> (L, N, E) views, keeping `query is key is value` (self-attention is
            # one packed projection)
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = {}
        if not self._qkv_same_embed_dim:
            separate = {
                "use_separate_proj_weight": True,
                "q_proj_weight": self.q_proj_weight,
                "k_proj_weight": self.k_proj_weight,
                "v_proj_weight": self.v_proj_weight,
            }
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            average_attn_weights=average_attn_weights, is_causal=is_causal, **separate,
        )  # fmt: skip
        if self.batch_first and is_batched:
            out = out.transpose(1, 0)
        return out, weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """PyTorch's helper for its fused path: the masks expanded to ``(N, H, L, L)`` and
        added, with the mask type (0: attn_mask, 1: key_padding_mask, 2: both/merged)."""
        mask_type = None
        merged = None
        if key_padding_mask is not None:
            mask_type, merged = 1, key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.ndim == 3:
                merged = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                merged = attn_mask.view(1, 1, seq_len, seq_len).expand(
                    batch_size, self.num_heads, -1, -1
                )
            if key_padding_mask is not None:
                kpm = key_padding_mask.view(batch_size, 1, 1, seq_len)
                merged = merged + kpm.expand(-1, self.num_heads, -1, -1)
        return merged, mask_type


# ---------------------------------------------------------------------------------------------


# Pickles and type names refer to these classes by module: keep the public module's name (this
# file is a private part of ember.nn.modules.transformer, which re-exports both).
MultiheadAttention.__module__ = "ember.nn.modules.transformer"
NonDynamicallyQuantizableLinear.__module__ = "ember.nn.modules.transformer"
