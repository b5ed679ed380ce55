"""RoBERTa (Liu et al., 2019): BERT's encoder with positions counted from ``padding_idx + 1``
and padding tokens kept at position ``padding_idx`` (transformers' ``RobertaModel``)."""

from __future__ import annotations

import ember
from ember import nn

from .bert import BertEmbeddings, BertModel
from .configuration import RobertaConfig
from .modeling_utils import PreTrainedModel, _classification_loss
from .outputs import SequenceClassifierOutput

__all__ = ["RobertaModel", "RobertaForSequenceClassification"]


class RobertaEmbeddings(BertEmbeddings):
    """BERT's embeddings with RoBERTa's position ids: ``padding_idx + 1 + (index among the
    non-padding tokens)`` for tokens, ``padding_idx`` for padding (fairseq's convention, kept
    by transformers), so the position table's padding row stays unused."""

    def __init__(self, config: RobertaConfig):
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size, padding_idx=self.padding_idx)

    def default_position_ids(self, input_ids):
        mask = (input_ids != self.padding_idx).to(ember.int64)
        return ember.cumsum(mask, dim=1) * mask + self.padding_idx


class RobertaModel(BertModel):
    """The RoBERTa encoder: :class:`~embertext.models.BertModel` with
    :class:`RobertaEmbeddings`; same forward arguments and outputs. The longest input is
    ``max_position_embeddings - pad_token_id - 1`` tokens (512 for roberta-base)."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    embeddings_class = RobertaEmbeddings

    def _max_length(self) -> int:
        return self.config.max_position_embeddings - self.config.pad_token_id - 1


class RobertaClassificationHead(nn.Module):
    """dropout, dense, tanh, dropout, out_proj on the first token (``<s>``)."""

    def __init__(self, config: RobertaConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        rate = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if rate is None else rate)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features):
        x = self.dropout(features[:, 0])
        x = self.dropout(ember.tanh(self.dense(x)))
        return self.out_proj(x)


class RobertaForSequenceClassification(PreTrainedModel):
    """RoBERTa (without pooler) + :class:`RobertaClassificationHead` (``classifier.dense``,
    ``classifier.out_proj``); ``labels`` give ``loss`` as in
    :class:`~embertext.models.BertForSequenceClassification`."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"

    def __init__(self, config: RobertaConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(config)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, position_ids=None,
                labels=None, output_attentions: bool = False, output_hidden_states: bool = False):
        out = self.roberta(input_ids, attention_mask, token_type_ids, position_ids,
                           output_attentions, output_hidden_states)
        logits = self.classifier(out.last_hidden_state)
        loss = None if labels is None else _classification_loss(self.config, logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits,
                                        hidden_states=out.hidden_states,
                                        attentions=out.attentions)
