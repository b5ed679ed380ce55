"""Model configurations read from and written to Hugging Face ``config.json`` files.

A configuration is a bag of hyperparameters with the defaults of ``transformers``' classes of
the same name. Keys a class does not know are kept as attributes and written back by
:meth:`PretrainedConfig.to_dict`, so a config.json survives a load/save round trip unchanged.

    config = BertConfig.from_pretrained("path/to/bert-folder")
    config.hidden_size                      # 768
    config.save_pretrained("out/")          # out/config.json
"""

from __future__ import annotations

import copy
import json
import os

__all__ = ["PretrainedConfig", "BertConfig", "DistilBertConfig", "RobertaConfig", "CONFIG_NAME"]

CONFIG_NAME = "config.json"


class PretrainedConfig:
    """Base class of the model configurations (``transformers.PretrainedConfig``).

    Holds the keys common to every model (labels, special token ids, architectures) and any
    unknown key given to the constructor.

    Args:
        num_labels: number of output classes of a classification head (default 2); ignored
            when ``id2label`` is given (its length wins, as in transformers).
        id2label, label2id: class index <-> name maps (config.json stores the index as a string).
        problem_type: ``'regression'``, ``'single_label_classification'`` or
            ``'multi_label_classification'``; None: chosen from ``num_labels`` and the labels.
        pad_token_id, bos_token_id, eos_token_id: special token ids.
        **kwargs: any other key, kept verbatim (``architectures``, ``torch_dtype``, ...).
    """

    model_type: str = ""

    def __init__(self, *, num_labels: int | None = None, id2label: dict | None = None,
                 label2id: dict | None = None, problem_type: str | None = None,
                 pad_token_id: int | None = None, bos_token_id: int | None = None,
                 eos_token_id: int | None = None, **kwargs):
        if id2label is not None:
            id2label = {int(k): v for k, v in id2label.items()}
        elif num_labels is not None or not hasattr(self, "id2label"):
            id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        self.id2label = id2label
        self.label2id = ({v: k for k, v in id2label.items()} if label2id is None
                         else {k: int(v) for k, v in label2id.items()})
        allowed = (None, "regression", "single_label_classification",
                   "multi_label_classification")
        if problem_type not in allowed:
            raise ValueError(f"{type(self).__name__}: problem_type must be one of {allowed}, "
                             f"got {problem_type!r}")
        self.problem_type = problem_type
        self.pad_token_id = pad_token_id
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        kwargs.pop("model_type", None)  # a class attribute, not an instance one
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def num_labels(self) -> int:
        """The number of labels: ``len(id2label)``; setting it resets the label names."""
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value: int) -> None:
        if len(self.id2label) != value:
            self.id2label = {i: f"LABEL_{i}" for i in range(value)}
            self.label2id = {v: k for k, v in self.id2label.items()}

    # -- dict / json ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """All attributes as a JSON-ready dict (``id2label`` keys as strings, like config.json),
        with ``model_type`` added."""
        out = copy.deepcopy(self.__dict__)
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["model_type"] = self.model_type
        return out

    def to_json_string(self) -> str:
        """:meth:`to_dict` as indented JSON with sorted keys."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, config_dict: dict, **kwargs) -> PretrainedConfig:
        """Build a config from a dict; ``kwargs`` override its entries."""
        merged = dict(config_dict)
        if "num_labels" in kwargs and "id2label" in merged and "id2label" not in kwargs:
            merged.pop("id2label")  # a new head size replaces the old label names
            merged.pop("label2id", None)
        merged.update(kwargs)
        return cls(**merged)

    @classmethod
    def from_json_file(cls, path) -> PretrainedConfig:
        """Read a ``config.json`` file."""
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{cls.__name__}: {os.fspath(path)} is not valid JSON: {exc}"
                ) from None
        return cls.from_dict(data)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, **kwargs) -> PretrainedConfig:
        """Load ``config.json`` from a model folder, a config file, or a hub name (downloaded
        through :mod:`ember.hub` like the weights); ``kwargs`` override its entries."""
        from .modeling_utils import _resolve_file

        path = os.fspath(pretrained_model_name_or_path)
        if not os.path.isfile(path):
            path = _resolve_file(path, CONFIG_NAME, kwargs.pop("revision", "main"))
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return cls.from_dict(data, **kwargs)

    def save_pretrained(self, save_directory) -> None:
        """Write ``config.json`` into ``save_directory`` (created if needed)."""
        os.makedirs(save_directory, exist_ok=True)
        with open(os.path.join(save_directory, CONFIG_NAME), "w", encoding="utf-8") as fh:
            fh.write(self.to_json_string())

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"


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
