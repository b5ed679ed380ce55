"""The text models' configurations, read from and written to Hugging Face ``config.json``
files (the base class :class:`PretrainedConfig` is :mod:`ember.utils.pretrained`'s).

    config = BertConfig.from_pretrained("path/to/bert-folder")
    config.hidden_size                      # 768
    config.save_pretrained("out/")          # out/config.json
"""

from __future__ import annotations

from ember.utils.pretrained import CONFIG_NAME, PretrainedConfig

__all__ = ["PretrainedConfig", "BertConfig", "DistilBertConfig", "RobertaConfig", "CONFIG_NAME"]


class BertConfig(PretrainedConfig):
    """Configuration of :class:`~embertext.models.BertModel` (``transformers.BertConfig``
    defaults: bert-base-uncased).

    Args:
        vocab_size: number of token ids (30522).
        hidden_size: width of the encoder (768).
        num_hidden_layers: encoder layers (12).
        num_attention_heads: heads per layer (12); must divide ``hidden_size``.
        intermediate_size: width of the feed-forward layer (3072).
        hidden_act: ``'gelu'`` (erf form), ``'gelu_new'``/``'gelu_pytorch_tanh'`` (tanh
            approximation), ``'relu'``, ``'silu'``, ``'tanh'``.
        hidden_dropout_prob, attention_probs_dropout_prob: dropout rates (0.1).
        max_position_embeddings: longest input the model accepts (512).
        type_vocab_size: number of segment (token type) ids (2).
        initializer_range: std of the normal initialisation (0.02).
        layer_norm_eps: LayerNorm epsilon (1e-12).
        pad_token_id: padding id (0).
        classifier_dropout: dropout of the classification heads; None: ``hidden_dropout_prob``.
    """

    model_type = "bert"

    def __init__(self, vocab_size: int = 30522, hidden_size: int = 768,
                 num_hidden_layers: int = 12, num_attention_heads: int = 12,
                 intermediate_size: int = 3072, hidden_act: str = "gelu",
                 hidden_dropout_prob: float = 0.1, attention_probs_dropout_prob: float = 0.1,
                 max_position_embeddings: int = 512, type_vocab_size: int = 2,
                 initializer_range: float = 0.02, layer_norm_eps: float = 1e-12,
                 pad_token_id: int = 0, position_embedding_type: str = "absolute",
                 classifier_dropout: float | None = None, **kwargs):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.initializer_range = initializer_range
        self.layer_norm_eps = layer_norm_eps
        self.position_embedding_type = position_embedding_type
        self.classifier_dropout = classifier_dropout


class RobertaConfig(BertConfig):
    """Configuration of :class:`~embertext.models.RobertaModel` (``transformers.RobertaConfig``):
    :class:`BertConfig` with ``pad_token_id=1``, ``bos_token_id=0``, ``eos_token_id=2``.
    roberta-base's config.json sets ``vocab_size=50265``, ``max_position_embeddings=514``
    (positions start after the padding id), ``type_vocab_size=1``, ``layer_norm_eps=1e-5``."""

    model_type = "roberta"

    def __init__(self, pad_token_id: int = 1, bos_token_id: int = 0, eos_token_id: int = 2,
                 **kwargs):
        super().__init__(pad_token_id=pad_token_id, bos_token_id=bos_token_id,
                         eos_token_id=eos_token_id, **kwargs)


class DistilBertConfig(PretrainedConfig):
    """Configuration of :class:`~embertext.models.DistilBertModel`
    (``transformers.DistilBertConfig`` defaults: distilbert-base-uncased).

    Args:
        vocab_size (30522), max_position_embeddings (512), n_layers (6), n_heads (12),
        dim (768, the hidden width), hidden_dim (3072, the feed-forward width),
        dropout (0.1), attention_dropout (0.1), activation (``'gelu'``),
        initializer_range (0.02), qa_dropout (0.1), seq_classif_dropout (0.2),
        sinusoidal_pos_embds (False), pad_token_id (0).
    """

    model_type = "distilbert"

    def __init__(self, vocab_size: int = 30522, max_position_embeddings: int = 512,
                 sinusoidal_pos_embds: bool = False, n_layers: int = 6, n_heads: int = 12,
                 dim: int = 768, hidden_dim: int = 3072, dropout: float = 0.1,
                 attention_dropout: float = 0.1, activation: str = "gelu",
                 initializer_range: float = 0.02, qa_dropout: float = 0.1,
                 seq_classif_dropout: float = 0.2, pad_token_id: int = 0, **kwargs):
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.sinusoidal_pos_embds = sinusoidal_pos_embds
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dim = dim
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = activation
        self.initializer_range = initializer_range
        self.qa_dropout = qa_dropout
        self.seq_classif_dropout = seq_classif_dropout

    # transformers' attribute_map: the generic names other code reads
    hidden_size = property(lambda self: self.dim)
    num_attention_heads = property(lambda self: self.n_heads)
    num_hidden_layers = property(lambda self: self.n_layers)
