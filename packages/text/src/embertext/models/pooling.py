"""Sentence embeddings: sentence-transformers' recipe (tokenise, encode, mean-pool over the
real tokens, L2-normalise) on the models of this package.

    encoder = SentenceEncoder("path/to/all-MiniLM-L6-v2")
    emb = encoder.encode(["A man is eating food.", "A man eats."])     # (2, 384)
    similarity = emb @ emb.T                                          # cosine similarities
"""

from __future__ import annotations

import json
import os

import numpy as np

import ember
from ember.nn import functional as F

__all__ = ["mean_pooling", "normalize_embeddings", "SentenceEncoder"]


def mean_pooling(last_hidden_state, attention_mask):
    """Average of the token states where ``attention_mask`` is 1 (padding left out).

    Args:
        last_hidden_state: ``(N, L, H)``.
        attention_mask: ``(N, L)``, 1 for real tokens, 0 for padding.

    Returns:
        ``(N, H)``. A row with no real token gives zeros (the count is clamped to 1e-9, as
        sentence-transformers does, instead of dividing by zero).

    Example:
        >>> h = ember.tensor([[[1., 2.], [3., 4.], [9., 9.]]])
        >>> mean_pooling(h, ember.tensor([[1, 1, 0]]))
        tensor([[2., 3.]])
    """
    mask = attention_mask.to(last_hidden_state.dtype)[:, :, None]
    summed = (last_hidden_state * mask).sum(dim=1)
    return summed / ember.clamp(mask.sum(dim=1), min=1e-9)


def normalize_embeddings(embeddings, eps: float = 1e-12):
    """Each row scaled to unit Euclidean length (``F.normalize(p=2, dim=-1)``), so dot
    products are cosine similarities."""
    return F.normalize(embeddings, p=2.0, dim=-1, eps=eps)


def _read_json(path: str):
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class SentenceEncoder:
    """A sentence-transformers model folder (``all-MiniLM-L6-v2`` and the like) as an encoder.

    Reads the tokenizer and the transformer from ``model_dir``, the pooling mode from
    ``1_Pooling/config.json`` (mean or CLS; default mean), ``max_seq_length`` from
    ``sentence_bert_config.json`` and whether to normalise from ``modules.json`` (a
    ``Normalize`` module).

    Args:
        model_dir: the folder.
        normalize: force normalisation on or off; None: as the folder says.
        device: where to run the model (default CPU).
    """

    def __init__(self, model_dir, normalize: bool | None = None, device=None):
        from ..tokenizer import Tokenizer
        from .bert import BertModel
        from .distilbert import DistilBertModel
        from .roberta import RobertaModel

        model_dir = os.fspath(model_dir)
        config = _read_json(os.path.join(model_dir, "config.json"))
        if config is None:
            raise FileNotFoundError(f"SentenceEncoder: {model_dir} has no config.json")
        classes = {"bert": BertModel, "roberta": RobertaModel, "distilbert": DistilBertModel}
        model_type = config.get("model_type", "bert")
        if model_type not in classes:
            raise ValueError(f"SentenceEncoder: model_type {model_type!r} in {model_dir} is not "
                             f"supported; expected one of {sorted(classes)}")
        self.tokenizer = Tokenizer.from_pretrained(model_dir)
        self.model = classes[model_type].from_pretrained(model_dir)
        self.device = ember.device("cpu" if device is None else device)
        self.model.to(self.device)
        self.model.eval()
        st_config = _read_json(os.path.join(model_dir, "sentence_bert_config.json")) or {}
        limit = config.get("max_position_embeddings", 512)
        if model_type == "roberta":
            limit -= config.get("pad_token_id", 1) + 1
        self.max_seq_length = min(st_config.get("max_seq_length", limit), limit)
        pooling = _read_json(os.path.join(model_dir, "1_Pooling", "config.json")) or {}
        self.pooling_mode = "cls" if pooling.get("pooling_mode_cls_token") else "mean"
        if normalize is None:
            modules = _read_json(os.path.join(model_dir, "modules.json")) or []
            normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        self.normalize = normalize

    def encode(self, sentences, batch_size: int = 32):
        """Embed ``sentences`` (a string or a list of strings).

        Sentences are sorted by length and batched (little padding), and the result is put back
        in the input order.

        Returns:
            ``(len(sentences), hidden_size)`` float32 tensor; ``(hidden_size,)`` for one string.
        """
        single = isinstance(sentences, str)
        if single:
            sentences = [sentences]
        order = np.argsort([-len(s) for s in sentences], kind="stable")
        chunks = []
        with ember.no_grad():
            for start in range(0, len(sentences), batch_size):  # over batches
                batch = [sentences[i] for i in order[start:start + batch_size]]
                enc = self.tokenizer(batch, padding=True, truncation=True,
                                     max_length=self.max_seq_length, return_tensors="ember")
                mask = enc["attention_mask"].to(self.device)
                kwargs = {"attention_mask": mask}
                if "token_type_ids" in enc and self.model.config.model_type != "distilbert":
                    kwargs["token_type_ids"] = enc["token_type_ids"].to(self.device)
                hidden = self.model(enc["input_ids"].to(self.device), **kwargs).last_hidden_state
                if self.pooling_mode == "cls":
                    pooled = hidden[:, 0]
                else:
                    pooled = mean_pooling(hidden, mask)
                chunks.append(pooled)
            out = ember.cat(chunks) if chunks else ember.zeros(0, self.model.config.hidden_size)
            out = out[ember.tensor(np.argsort(order), device=out.device)]
            if self.normalize:
                out = normalize_embeddings(out)
        return out[0] if single else out
