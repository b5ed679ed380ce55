"""Classic text-classification baselines in the Hugging Face folder layout.

Three small models trained from scratch (``embertext-finetune --model embeddingbag|lstm|
transformer``), each a :class:`~ember.utils.pretrained.PreTrainedModel` with its own config
class, so ``save_pretrained`` / ``from_pretrained`` write and read the same ``config.json`` +
``model.safetensors`` folders as BERT does:

- :class:`EmbeddingBagClassifier`: the torchtext tutorial's model, the mean of the token
  embeddings (``nn.EmbeddingBag(mode='mean')`` over the real tokens) and a linear layer.
- :class:`LSTMClassifier`: embeddings, a (bidirectional) LSTM over packed sequences, the last
  states (or the masked mean of the outputs), a linear layer.
- :class:`TransformerClassifier`: embeddings plus learned positions, a pre-norm
  ``nn.TransformerEncoder``, masked mean pooling, a linear layer.

All take ``forward(input_ids, attention_mask=None, labels=None)`` and return a
:class:`~embertext.models.outputs.SequenceClassifierOutput`. Padding never changes the logits:
padded positions (``attention_mask == 0``) are left out of the bags, the packed sequences, the
attention keys and the pools, wherever the padding is (right or left).

    config = LSTMClassifierConfig(vocab_size=len(tokenizer), num_labels=2)
    model = LSTMClassifier(config)
    out = model(batch["input_ids"], batch["attention_mask"], labels=batch["labels"])
"""

from __future__ import annotations

import ember
from ember import nn
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .configuration import PretrainedConfig
from .modeling_utils import PreTrainedModel, _check_input_ids, _classification_loss
from .outputs import SequenceClassifierOutput

__all__ = [
    "BASELINES", "EmbeddingBagClassifier", "EmbeddingBagClassifierConfig", "LSTMClassifier",
    "LSTMClassifierConfig", "TransformerClassifier", "TransformerClassifierConfig",
]

_NO_LIMIT = 2**62  # the recurrent and bag models take any sequence length


def _mask_of(input_ids, attention_mask, pad_token_id):
    """The ``(N, L)`` 0/1 int64 mask of real tokens. Without ``attention_mask`` the tokens
    equal to ``pad_token_id`` are padding (torchtext's ``padding_idx`` convention; transformers
    would take all tokens as real, which for these from-scratch models only adds a trap)."""
    if attention_mask is not None:
        if tuple(attention_mask.shape) != tuple(input_ids.shape):
            raise ValueError(f"attention_mask shape {tuple(attention_mask.shape)} does not "
                             f"match input_ids shape {tuple(input_ids.shape)}")
        return (attention_mask != 0).long()
    if pad_token_id is None:
        return ember.ones_like(input_ids).long()
    return (input_ids != pad_token_id).long()


def _masked_mean(hidden, mask):
    """Mean of ``hidden`` ``(N, L, H)`` over the positions where ``mask`` ``(N, L)`` is 1; an
    all-padding row gives zeros (the count is clamped to 1)."""
    weights = mask.to(hidden.dtype)[:, :, None]
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


def _output(config, logits, labels):
    loss = None if labels is None else _classification_loss(config, logits, labels)
    return SequenceClassifierOutput(loss=loss, logits=logits)


# -- configurations ----------------------------------------------------------------------------


class EmbeddingBagClassifierConfig(PretrainedConfig):
    """Configuration of :class:`EmbeddingBagClassifier`.

    Args:
        vocab_size: number of token ids (the tokenizer's ``len``).
        embed_dim: embedding width (64, as the torchtext tutorial).
        init_range: weights start uniform in ``[-init_range, init_range]`` (0.5, the tutorial).
        pad_token_id: padding id (0).
        **kwargs: the common keys (``num_labels``, ``id2label``...).
    """

    model_type = "embeddingbag-classifier"

    def __init__(self, vocab_size: int = 30000, embed_dim: int = 64, init_range: float = 0.5,
                 pad_token_id: int | None = 0, **kwargs):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        self.init_range = init_range


class LSTMClassifierConfig(PretrainedConfig):
    """Configuration of :class:`LSTMClassifier`.

    Args:
        vocab_size: number of token ids.
        embed_dim: embedding width (64).
        hidden_size: LSTM state width per direction (64).
        num_layers: stacked LSTM layers (1).
        bidirectional: run a backward LSTM too and concatenate (True).
        dropout: on the embeddings, between LSTM layers and before the classifier (0.1).
        pooling: ``'last'`` (the final states: forward at the last real token, backward at the
            first) or ``'mean'`` (masked mean of the outputs).
        pad_token_id: padding id (0).
    """

    model_type = "lstm-classifier"

    def __init__(self, vocab_size: int = 30000, embed_dim: int = 64, hidden_size: int = 64,
                 num_layers: int = 1, bidirectional: bool = True, dropout: float = 0.1,
                 pooling: str = "last", pad_token_id: int | None = 0, **kwargs):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        if pooling not in ("last", "mean"):
            raise ValueError(f"LSTMClassifierConfig: pooling must be 'last' or 'mean', got "
                             f"{pooling!r}")
        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling


class TransformerClassifierConfig(PretrainedConfig):
    """Configuration of :class:`TransformerClassifier` (a small BERT-like encoder).

    Args:
        vocab_size: number of token ids.
        hidden_size: model width (64).
        num_hidden_layers: encoder layers (2).
        num_attention_heads: heads (4); must divide ``hidden_size``.
        intermediate_size: feed-forward width (128).
        hidden_act: ``'gelu'`` or ``'relu'``.
        hidden_dropout_prob: dropout in the layers and before the classifier (0.1).
        max_position_embeddings: longest input (128).
        layer_norm_eps: LayerNorm epsilon (1e-5).
        initializer_range: std of the normal initialisation of embeddings and linears (0.02).
        pad_token_id: padding id (0).
    """

    model_type = "transformer-classifier"

    def __init__(self, vocab_size: int = 30000, hidden_size: int = 64,
                 num_hidden_layers: int = 2, num_attention_heads: int = 4,
                 intermediate_size: int = 128, hidden_act: str = "gelu",
                 hidden_dropout_prob: float = 0.1, max_position_embeddings: int = 128,
                 layer_norm_eps: float = 1e-5, initializer_range: float = 0.02,
                 pad_token_id: int | None = 0, **kwargs):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        if hidden_size % num_attention_heads:
            raise ValueError(f"TransformerClassifierConfig: hidden_size {hidden_size} is not a "
                             f"multiple of num_attention_heads {num_attention_heads}")
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.layer_norm_eps = layer_norm_eps
        self.initializer_range = initializer_range


# -- models ------------------------------------------------------------------------------------


class EmbeddingBagClassifier(PreTrainedModel):
    """The torchtext tutorial's text classifier: ``fc(mean of the real tokens' embeddings)``.

    The real tokens of the batch are flattened into one bag list with offsets (the tutorial's
    input form), so padding costs nothing and an all-padding row gives a zero bag.

    Shape:
        input_ids, attention_mask: ``(N, L)``; labels: ``(N,)``; logits: ``(N, num_labels)``.

    Example:
        >>> model = EmbeddingBagClassifier(EmbeddingBagClassifierConfig(vocab_size=100))
        >>> model(ember.tensor([[5, 6, 0]]), labels=ember.tensor([1])).logits.shape
        ember.Size([1, 2])
    """

    config_class = EmbeddingBagClassifierConfig

    def __init__(self, config: EmbeddingBagClassifierConfig):
        super().__init__(config)
        self.embedding = nn.EmbeddingBag(config.vocab_size, config.embed_dim, mode="mean")
        self.classifier = nn.Linear(config.embed_dim, config.num_labels)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        # The tutorial's init_weights: uniform(-0.5, 0.5) weights, zero bias.
        r = self.config.init_range
        if isinstance(module, (nn.EmbeddingBag, nn.Linear)):
            nn.init.uniform_(module.weight, -r, r)
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)

    def forward(self, input_ids, attention_mask=None, labels=None):
        """Logits ``(N, num_labels)``; with ``labels`` also the cross-entropy ``loss``."""
        n, _ = _check_input_ids(type(self).__name__, input_ids, self.config.vocab_size,
                                _NO_LIMIT)
        mask = _mask_of(input_ids, attention_mask, self.config.pad_token_id)
        keep = mask.bool()
        flat = input_ids[keep]  # row-major: each row's real tokens, in order
        lengths = mask.sum(dim=1)
        offsets = lengths.cumsum(dim=0) - lengths  # where each row's bag starts
        bags = self.embedding(flat, offsets)
        return _output(self.config, self.classifier(bags), labels)


class LSTMClassifier(PreTrainedModel):
    """Embeddings, a (bidirectional) LSTM over packed sequences, a pool, a linear classifier.

    Each row's real tokens are moved to the front (so left padding works too) and packed with
    their lengths: the LSTM never sees a padding step. ``pooling='last'`` concatenates the top
    layer's final forward state (after the last real token) and final backward state (after
    the first); ``'mean'`` averages the outputs over the real tokens.

    Shape:
        input_ids, attention_mask: ``(N, L)``; labels: ``(N,)``; logits: ``(N, num_labels)``.
    """

    config_class = LSTMClassifierConfig

    def __init__(self, config: LSTMClassifierConfig):
        super().__init__(config)
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim,
                                      padding_idx=config.pad_token_id)
        self.dropout = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_size, config.num_layers,
                            batch_first=True, bidirectional=config.bidirectional,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        width = config.hidden_size * (2 if config.bidirectional else 1)
        self.classifier = nn.Linear(width, config.num_labels)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        # N(0, 0.1) embeddings (zero padding row) and PyTorch's own LSTM/Linear defaults.
        if isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.1)
            if module.padding_idx is not None:
                with ember.no_grad():
                    module.weight[module.padding_idx] = 0.0

    def forward(self, input_ids, attention_mask=None, labels=None):
        """Logits ``(N, num_labels)``; with ``labels`` also the cross-entropy ``loss``."""
        _check_input_ids(type(self).__name__, input_ids, self.config.vocab_size, _NO_LIMIT)
        mask = _mask_of(input_ids, attention_mask, self.config.pad_token_id)
        # Real tokens first, in order (a stable sort of "is padding"), then pack by length;
        # an all-padding row is given length 1 (packing needs >= 1) over its first token.
        order = ember.argsort(1 - mask, dim=1, stable=True)
        ids = ember.gather(input_ids, 1, order)
        lengths = mask.sum(dim=1)
        embedded = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(embedded, lengths.clamp(min=1), batch_first=True,
                                      enforce_sorted=False)
        outputs, (h_n, _) = self.lstm(packed)
        if self.config.pooling == "last":
            dirs = 2 if self.config.bidirectional else 1
            pooled = ember.cat([h_n[-dirs + d] for d in range(dirs)], dim=-1)
        else:
            padded, _ = pad_packed_sequence(outputs, batch_first=True,
                                            total_length=ids.shape[1])
            pooled = _masked_mean(padded, ember.gather(mask, 1, order))
        return _output(self.config, self.classifier(self.dropout(pooled)), labels)


class TransformerClassifier(PreTrainedModel):
    """A from-scratch Transformer encoder classifier: token + learned position embeddings,
    ``nn.TransformerEncoder`` (pre-norm layers, a final LayerNorm), masked mean pooling,
    dropout and a linear layer.

    Positions count real tokens only (``cumsum(mask) - 1``, as transformers does for left-padded
    GPT-2 batches), and padded keys are masked with the dtype's most negative finite value
    (not -inf, so an all-padding row stays finite): logits do not depend on padding.

    Shape:
        input_ids, attention_mask: ``(N, L)`` with ``L <= max_position_embeddings``;
        labels: ``(N,)``; logits: ``(N, num_labels)``.
    """

    config_class = TransformerClassifierConfig

    def __init__(self, config: TransformerClassifierConfig):
        super().__init__(config)
        d = config.hidden_size
        self.embeddings = nn.Embedding(config.vocab_size, d, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, d)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        layer = nn.TransformerEncoderLayer(
            d, config.num_attention_heads, config.intermediate_size,
            config.hidden_dropout_prob, activation=config.hidden_act,
            layer_norm_eps=config.layer_norm_eps, batch_first=True, norm_first=True)
        # Pre-norm layers need the final LayerNorm; no nested tensors (PyTorch warns for
        # norm_first with enable_nested_tensor=True).
        self.encoder = nn.TransformerEncoder(
            layer, config.num_hidden_layers, norm=nn.LayerNorm(d, eps=config.layer_norm_eps),
            enable_nested_tensor=False)
        self.classifier = nn.Linear(d, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None):
        """Logits ``(N, num_labels)``; with ``labels`` also the cross-entropy ``loss``."""
        _check_input_ids(type(self).__name__, input_ids, self.config.vocab_size,
                         self.config.max_position_embeddings)
        mask = _mask_of(input_ids, attention_mask, self.config.pad_token_id)
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        hidden = self.embeddings(input_ids) + self.position_embeddings(positions)
        hidden = self.dropout(hidden)
        dtype = hidden.dtype
        key_padding = (1 - mask).to(dtype) * ember.finfo(dtype).min
        hidden = self.encoder(hidden, src_key_padding_mask=key_padding)
        pooled = _masked_mean(hidden, mask)
        return _output(self.config, self.classifier(self.dropout(pooled)), labels)


#: Baseline name (``embertext-finetune --model``) -> (config class, model class).
BASELINES = {
    "embeddingbag": (EmbeddingBagClassifierConfig, EmbeddingBagClassifier),
    "lstm": (LSTMClassifierConfig, LSTMClassifier),
    "transformer": (TransformerClassifierConfig, TransformerClassifier),
}
