"""DistilBERT (Sanh et al., 2019): a 6-layer BERT without token types or pooler, with
transformers' ``DistilBertModel`` names (``distilbert.transformer.layer.N.attention.q_lin``...).
"""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F

from .configuration import DistilBertConfig
from .modeling_utils import (
    PreTrainedModel,
    _activation,
    _check_input_ids,
    _classification_loss,
    _extended_attention_mask,
)
from .outputs import BaseModelOutput, SequenceClassifierOutput

__all__ = ["DistilBertModel", "DistilBertForSequenceClassification"]


def _sinusoidal_table(n_pos: int, dim: int):
    # transformers' create_sinusoidal_embeddings: sin on even columns, cos on odd ones.
    import numpy as np

    pos = np.arange(n_pos)[:, None]
    j = np.arange(dim)[None, :]
    angles = pos / np.power(10000, 2 * (j // 2) / dim)
    table = np.zeros((n_pos, dim))
    table[:, 0::2] = np.sin(angles[:, 0::2])
    table[:, 1::2] = np.cos(angles[:, 1::2])
    return ember.tensor(table, dtype=ember.float32)


class Embeddings(nn.Module):
    """word + position embeddings, LayerNorm (eps 1e-12, fixed in transformers), dropout."""

    def __init__(self, config: DistilBertConfig):
        super().__init__()
        self.sinusoidal = config.sinusoidal_pos_embds
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)

    def reset_sinusoidal(self) -> None:
        if self.sinusoidal:
            with ember.no_grad():
                self.position_embeddings.weight.copy_(_sinusoidal_table(
                    *self.position_embeddings.weight.shape))
            self.position_embeddings.weight.requires_grad_(False)

    def forward(self, input_ids):
        positions = ember.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with ``q_lin``/``k_lin``/``v_lin``/``out_lin`` projections."""

    def __init__(self, config: DistilBertConfig):
        super().__init__()
        if config.dim % config.n_heads:
            raise ValueError(f"MultiHeadSelfAttention: dim={config.dim} is not a multiple of "
                             f"n_heads={config.n_heads}")
        self.n_heads = config.n_heads
        self.head_dim = config.dim // config.n_heads
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)
        self.dropout = nn.Dropout(config.attention_dropout)

    def forward(self, x, mask=None, output_attentions: bool = False):
        n, length, dim = x.shape

        def heads(t):
            return t.reshape(n, length, self.n_heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(self.q_lin(x)), heads(self.k_lin(x)), heads(self.v_lin(x))
        probs = None
        if output_attentions:
            scores = q @ k.transpose(-1, -2) * (1.0 / math.sqrt(self.head_dim))
            if mask is not None:
                scores = scores + mask
            probs = F.softmax(scores, dim=-1)
            context = self.dropout(probs) @ v
        else:
            p = self.dropout.p if self.training else 0.0
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        return self.out_lin(context.transpose(1, 2).reshape(n, length, dim)), probs


class FFN(nn.Module):
    def __init__(self, config: DistilBertConfig):
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.activation = _activation(config.activation)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.lin2(self.activation(self.lin1(x))))


class TransformerBlock(nn.Module):
    """Post-norm block: ``sa_layer_norm(x + attention(x))``, ``output_layer_norm(h + ffn(h))``.
    """

    def __init__(self, config: DistilBertConfig):
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)

    def forward(self, x, mask=None, output_attentions: bool = False):
        attended, probs = self.attention(x, mask, output_attentions)
        h = self.sa_layer_norm(attended + x)
        return self.output_layer_norm(self.ffn(h) + h), probs


class Transformer(nn.Module):
    def __init__(self, config: DistilBertConfig):
        super().__init__()
        self.layer = nn.ModuleList(TransformerBlock(config) for _ in range(config.n_layers))


class DistilBertModel(PreTrainedModel):
    """The DistilBERT encoder (``transformers.DistilBertModel``).

    Forward args: ``input_ids`` ``(N, L)``, ``attention_mask`` ``(N, L)`` (1 keep, 0 pad),
    ``output_attentions``, ``output_hidden_states``.

    Returns:
        :class:`~embertext.models.outputs.BaseModelOutput` (``last_hidden_state`` ``(N, L,
        dim)``; no pooler).
    """

    config_class = DistilBertConfig
    base_model_prefix = "distilbert"

    def __init__(self, config: DistilBertConfig):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)
        self.post_init()
        self.embeddings.reset_sinusoidal()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def forward(self, input_ids, attention_mask=None, output_attentions: bool = False,
                output_hidden_states: bool = False):
        _check_input_ids(type(self).__name__, input_ids, self.config.vocab_size,
                         self.config.max_position_embeddings, attention_mask)
        hidden = self.embeddings(input_ids)
        mask = _extended_attention_mask(attention_mask, hidden.dtype)
        all_hidden = (hidden,) if output_hidden_states else None
        all_attn = () if output_attentions else None
        for layer in self.transformer.layer:  # over layers, not data
            hidden, probs = layer(hidden, mask, output_attentions)
            if output_hidden_states:
                all_hidden += (hidden,)
            if output_attentions:
                all_attn += (probs,)
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=all_hidden,
                               attentions=all_attn)


class DistilBertForSequenceClassification(PreTrainedModel):
    """DistilBERT + ``pre_classifier`` (dim -> dim), ReLU, dropout (``seq_classif_dropout``),
    ``classifier`` on the first token; ``labels`` give ``loss`` as in
    :class:`~embertext.models.BertForSequenceClassification`."""

    config_class = DistilBertConfig
    base_model_prefix = "distilbert"

    def __init__(self, config: DistilBertConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()
        self.distilbert.embeddings.reset_sinusoidal()

    def forward(self, input_ids, attention_mask=None, labels=None,
                output_attentions: bool = False, output_hidden_states: bool = False):
        out = self.distilbert(input_ids, attention_mask, output_attentions,
                              output_hidden_states)
        pooled = F.relu(self.pre_classifier(out.last_hidden_state[:, 0]))
        logits = self.classifier(self.dropout(pooled))
        loss = None if labels is None else _classification_loss(self.config, logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits,
                                        hidden_states=out.hidden_states,
                                        attentions=out.attentions)
