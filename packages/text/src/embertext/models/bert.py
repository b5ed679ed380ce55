"""BERT (Devlin et al., 2019) with Hugging Face ``transformers``' module and parameter names, so
``bert-base-uncased``-style checkpoints (and sentence-transformers' MiniLM) load strictly.

    model = BertModel.from_pretrained("path/to/bert-folder")
    out = model(input_ids, attention_mask=attention_mask)
    out.last_hidden_state.shape         # (N, L, hidden_size)
"""

from __future__ import annotations

import math

import ember
from ember import nn
from ember.nn import functional as F

from .configuration import BertConfig
from .modeling_utils import (
    PreTrainedModel,
    _activation,
    _check_input_ids,
    _classification_loss,
    _extended_attention_mask,
)
from .outputs import (
    BaseModelOutputWithPooling,
    MaskedLMOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

__all__ = [
    "BertModel", "BertForSequenceClassification", "BertForTokenClassification",
    "BertForMaskedLM", "BertPreTrainedModel",
]


class BertEmbeddings(nn.Module):
    """word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def default_position_ids(self, input_ids):
        """Positions 0..L-1 (RoBERTa overrides this)."""
        return ember.arange(input_ids.shape[1], device=input_ids.device)[None, :]

    def forward(self, input_ids, token_type_ids=None, position_ids=None):
        if position_ids is None:
            position_ids = self.default_position_ids(input_ids)
        if token_type_ids is None:
            token_type_ids = ember.zeros_like(input_ids)
        embeddings = (self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
                      + self.token_type_embeddings(token_type_ids))
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with separate query/key/value projections."""

    def __init__(self, config: BertConfig):
        super().__init__()
        if config.hidden_size % config.num_attention_heads:
            raise ValueError(f"BertSelfAttention: hidden_size={config.hidden_size} is not a "
                             f"multiple of num_attention_heads={config.num_attention_heads}")
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x):
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_attention_heads,
                         self.attention_head_size).transpose(1, 2)

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False):
        q = self._heads(self.query(hidden_states))
        k = self._heads(self.key(hidden_states))
        v = self._heads(self.value(hidden_states))
        if output_attentions:
            # The explicit path, to return the probabilities (SDPA does not expose them).
            scores = q @ k.transpose(-1, -2) * (1.0 / math.sqrt(self.attention_head_size))
            if attention_mask is not None:
                scores = scores + attention_mask
            probs = F.softmax(scores, dim=-1)
            context = self.dropout(probs) @ v
        else:
            probs = None
            p = self.dropout.p if self.training else 0.0
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask,
                                                     dropout_p=p)
        n, _, length, _ = context.shape
        return context.transpose(1, 2).reshape(n, length, -1), probs


class BertSelfOutput(nn.Module):
    """Output projection, dropout, residual, LayerNorm (post-norm)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False):
        context, probs = self.self(hidden_states, attention_mask, output_attentions)
        return self.output(context, hidden_states), probs


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = _activation(config.hidden_act)

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    """One encoder layer: self-attention block then feed-forward block, each post-norm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False):
        attended, probs = self.attention(hidden_states, attention_mask, output_attentions)
        return self.output(self.intermediate(attended), attended), probs


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, hidden_states, attention_mask=None, output_attentions: bool = False,
                output_hidden_states: bool = False):
        all_hidden = (hidden_states,) if output_hidden_states else None
        all_attn = () if output_attentions else None
        for layer in self.layer:  # over layers, not data
            hidden_states, probs = layer(hidden_states, attention_mask, output_attentions)
            if output_hidden_states:
                all_hidden += (hidden_states,)
            if output_attentions:
                all_attn += (probs,)
        return hidden_states, all_hidden, all_attn


class BertPooler(nn.Module):
    """``tanh(dense(h[:, 0]))``: the [CLS] token's state, as BERT's next-sentence head saw it."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


class BertPreTrainedModel(PreTrainedModel):
    """Base of the BERT models: :class:`BertConfig`, checkpoint prefix ``'bert'``."""

    config_class = BertConfig
    base_model_prefix = "bert"


class BertModel(BertPreTrainedModel):
    """The BERT encoder (``transformers.BertModel``).

    Args:
        config: a :class:`BertConfig`.
        add_pooling_layer: build the pooler (``pooler.dense``); task models that do not use
            it (token classification, masked LM) leave it out, as transformers does.

    Forward args:
        input_ids: ``(N, L)`` token ids.
        attention_mask: ``(N, L)``, 1 for tokens to attend to, 0 for padding; default all 1.
        token_type_ids: ``(N, L)`` segment ids; default zeros.
        position_ids: ``(N, L)`` or ``(1, L)``; default ``0..L-1``.
        output_attentions, output_hidden_states: also return those (see the output class).

    Returns:
        :class:`~embertext.models.outputs.BaseModelOutputWithPooling`: ``last_hidden_state``
        ``(N, L, hidden_size)``, ``pooler_output`` ``(N, hidden_size)``, ...

    Example:
        >>> model = BertModel(BertConfig(hidden_size=8, num_attention_heads=2,
        ...                              num_hidden_layers=2, intermediate_size=16))
        >>> model(ember.tensor([[2, 7, 3]])).last_hidden_state.shape
        ember.Size([1, 3, 8])
    """

    embeddings_class = BertEmbeddings

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__(config)
        self.embeddings = self.embeddings_class(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def _max_length(self) -> int:
        return self.config.max_position_embeddings

    def _fresh_ok_prefixes(self) -> tuple:
        # Checkpoints of models built without a pooler (token classification, masked LM,
        # RoBERTa's classifier) still load into a model with one, as in transformers.
        return ("pooler.",)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None,
                output_attentions: bool = False, output_hidden_states: bool = False):
        _check_input_ids(type(self).__name__, input_ids, self.config.vocab_size,
                         self._max_length(), attention_mask)
        embeddings = self.embeddings(input_ids, token_type_ids, position_ids)
        mask = _extended_attention_mask(attention_mask, embeddings.dtype)
        hidden, all_hidden, all_attn = self.encoder(embeddings, mask, output_attentions,
                                                    output_hidden_states)
        pooled = self.pooler(hidden) if self.pooler is not None else None
        return BaseModelOutputWithPooling(last_hidden_state=hidden, pooler_output=pooled,
                                          hidden_states=all_hidden, attentions=all_attn)


class BertForSequenceClassification(BertPreTrainedModel):
    """BERT with dropout + a linear classifier on the pooled output.

    With ``labels`` ``(N,)`` the output carries ``loss``: mean-squared error when
    ``config.num_labels == 1`` (regression), cross-entropy for integer labels, BCE-with-logits
    for float ``(N, num_labels)`` multi-label targets (transformers' rule).

    Example:
        >>> model = BertForSequenceClassification.from_pretrained("bert-folder", num_labels=3)
        >>> out = model(input_ids, attention_mask=mask, labels=ember.tensor([0, 2]))
        >>> out.loss.backward()
    """

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        rate = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if rate is None else rate)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None,
                labels=None, output_attentions: bool = False, output_hidden_states: bool = False):
        out = self.bert(input_ids, attention_mask, token_type_ids, position_ids,
                        output_attentions, output_hidden_states)
        logits = self.classifier(self.dropout(out.pooler_output))
        loss = None if labels is None else _classification_loss(self.config, logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits,
                                        hidden_states=out.hidden_states,
                                        attentions=out.attentions)


class BertForTokenClassification(BertPreTrainedModel):
    """BERT with dropout + a linear classifier on every token (NER, tagging); ``labels``
    ``(N, L)`` give a cross-entropy ``loss`` (label -100 is ignored, e.g. padding)."""

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        rate = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if rate is None else rate)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None,
                labels=None, output_attentions: bool = False, output_hidden_states: bool = False):
        out = self.bert(input_ids, attention_mask, token_type_ids, position_ids,
                        output_attentions, output_hidden_states)
        logits = self.classifier(self.dropout(out.last_hidden_state))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, self.num_labels), labels.reshape(-1))
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                                     attentions=out.attentions)


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = _activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """transform, then a decoder onto the vocabulary whose weight is the word-embedding matrix
    (tied) and whose bias is ``predictions.bias`` (the same Parameter as ``decoder.bias``)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(ember.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states):
        return self.decoder(self.transform(hidden_states))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, sequence_output):
        return self.predictions(sequence_output)


class BertForMaskedLM(BertPreTrainedModel):
    """BERT with its masked-language-model head (``cls.predictions``); ``labels`` ``(N, L)``
    (-100 where not masked) give the cross-entropy ``loss``. The decoder weight is tied to
    ``bert.embeddings.word_embeddings.weight``."""

    _tied_weights_keys = ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias")

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def tie_weights(self) -> None:
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight
        self.cls.predictions.decoder.bias = self.cls.predictions.bias

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None,
                labels=None, output_attentions: bool = False, output_hidden_states: bool = False):
        out = self.bert(input_ids, attention_mask, token_type_ids, position_ids,
                        output_attentions, output_hidden_states)
        logits = self.cls(out.last_hidden_state)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.reshape(-1, self.config.vocab_size),
                                   labels.reshape(-1))
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=out.hidden_states,
                              attentions=out.attentions)
