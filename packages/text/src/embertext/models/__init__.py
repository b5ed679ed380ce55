"""Pretrained transformer encoders with Hugging Face ``transformers``' names and folder layout:
BERT, DistilBERT, RoBERTa, GPT-2, the BART encoder-decoder, and sentence embeddings
(sentence-transformers' recipe); plus from-scratch baselines (EmbeddingBag, LSTM and
TransformerEncoder classifiers) saved in the same folder layout.

    from embertext.models import BertModel, SentenceEncoder
    model = BertModel.from_pretrained("path/to/bert-folder")          # or a hub name
    encoder = SentenceEncoder("path/to/all-MiniLM-L6-v2")
    embeddings = encoder.encode(["a sentence", "another one"])      # (2, 384), unit norm
"""

from . import outputs
from .bart import (
    BartConfig,
    BartForConditionalGeneration,
    BartForSequenceClassification,
    BartModel,
    BartPreTrainedModel,
)
from .baselines import (
    EmbeddingBagClassifier,
    EmbeddingBagClassifierConfig,
    LSTMClassifier,
    LSTMClassifierConfig,
    TransformerClassifier,
    TransformerClassifierConfig,
)
from .bert import (
    BertForMaskedLM,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    BertPreTrainedModel,
)
from .configuration import BertConfig, DistilBertConfig, PretrainedConfig, RobertaConfig
from .distilbert import DistilBertForSequenceClassification, DistilBertModel
from .gpt2 import GPT2Config, GPT2LMHeadModel, GPT2Model, GPT2PreTrainedModel
from .modeling_utils import PreTrainedModel
from .pooling import SentenceEncoder, mean_pooling, normalize_embeddings
from .roberta import RobertaForSequenceClassification, RobertaModel

__all__ = [
    "BartConfig", "BartForConditionalGeneration", "BartForSequenceClassification", "BartModel",
    "BartPreTrainedModel", "BertConfig", "BertForMaskedLM", "BertForSequenceClassification",
    "BertForTokenClassification", "BertModel", "BertPreTrainedModel", "DistilBertConfig",
    "DistilBertForSequenceClassification", "DistilBertModel", "EmbeddingBagClassifier",
    "EmbeddingBagClassifierConfig", "GPT2Config", "GPT2LMHeadModel", "GPT2Model",
    "GPT2PreTrainedModel", "LSTMClassifier", "LSTMClassifierConfig", "PreTrainedModel",
    "PretrainedConfig", "RobertaConfig", "RobertaForSequenceClassification", "RobertaModel",
    "SentenceEncoder", "TransformerClassifier", "TransformerClassifierConfig", "mean_pooling",
    "normalize_embeddings", "outputs",
]
