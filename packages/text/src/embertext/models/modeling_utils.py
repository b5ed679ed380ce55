"""What the text models share: input checks at the model boundary, attention masks and the
classification losses. Loading and saving in the Hugging Face folder layout
(:class:`PreTrainedModel`) is :mod:`ember.utils.pretrained`'s, re-exported here."""

from __future__ import annotations

import ember
from ember import nn

# Re-exported: embertext's public names for the generic Hugging Face layout code in core.
from ember.utils.pretrained import (  # noqa: F401
    HF_ENDPOINT,
    SAFE_WEIGHTS_NAME,
    WEIGHTS_NAME,
    PreTrainedModel,
)
from ember.utils.pretrained import activation as _activation  # noqa: F401
from ember.utils.pretrained import load_checkpoint as _load_checkpoint  # noqa: F401
from ember.utils.pretrained import resolve_file as _resolve_file  # noqa: F401

__all__ = ["PreTrainedModel", "WEIGHTS_NAME", "SAFE_WEIGHTS_NAME", "HF_ENDPOINT"]


# -- shared by the model files ---------------------------------------------------------------


def _check_input_ids(model: str, input_ids, vocab_size: int, max_length: int,
                     attention_mask=None, past: int = 0,
                     limit_name: str = "max_position_embeddings"):
    """Validate the inputs once, at the model boundary: ``input_ids`` a 2-D integer tensor
    whose length (plus ``past`` cached tokens) fits the position table and whose ids are in the
    vocabulary; ``attention_mask``, when given, ``(batch, past + sequence)``. Each message names
    the model, what is wrong and the fix. Returns ``(batch, length)``."""
    if not isinstance(input_ids, ember.Tensor):
        raise TypeError(
            f"{model}: input_ids must be an ember tensor, got {type(input_ids).__name__}; call "
            f"the tokenizer with return_tensors='ember' or convert with ember.tensor(ids)")
    if input_ids.ndim != 2 or input_ids.is_floating_point() or input_ids.dtype == ember.bool:
        fix = ("for one sequence add a batch axis: input_ids[None]" if input_ids.ndim == 1 else
               "pass the tokenizer's input_ids (return_tensors='ember') or convert with "
               "input_ids.long()")
        raise ValueError(f"{model}: expected input_ids as a (batch, sequence) integer tensor, "
                         f"got shape {tuple(input_ids.shape)} of dtype {input_ids.dtype}; {fix}")
    n, length = input_ids.shape
    if past + length > max_length:
        cached = f" (cached {past} + new {length})" if past else ""
        raise ValueError(
            f"{model}: input sequence length {past + length}{cached} exceeds the model's maximum "
            f"of {max_length} positions ({limit_name}); truncate the inputs, e.g. "
            f"tokenizer(..., truncation=True, max_length={max_length - past})"
            + (", or generate fewer tokens" if past else "")
        )
    if input_ids.numel():
        high, low = int(input_ids.max()), int(input_ids.min())
        if high >= vocab_size or low < 0:
            bad = high if high >= vocab_size else low
            raise IndexError(
                f"{model}: input_ids contain token id {bad}, outside the model's vocabulary "
                f"of vocab_size={vocab_size}; the tokenizer does not match the model (load "
                f"both from the same checkpoint, or after tokenizer.add_tokens(...) build the "
                f"model with vocab_size=len(tokenizer))"
            )
    expected = (n, past + length)
    if attention_mask is not None and tuple(attention_mask.shape) != expected:
        what = "(batch, past + sequence)" if past else "(batch, sequence)"
        raise ValueError(
            f"{model}: expected attention_mask of shape {what} = {expected} like input_ids, got "
            f"{tuple(attention_mask.shape)}; pass the attention_mask the tokenizer returned "
            f"with these input_ids")
    return n, length


def _extended_attention_mask(attention_mask, dtype):
    """``(N, L)`` 1 keep / 0 pad -> an additive ``(N, 1, 1, L)`` mask: 0 where kept, the
    dtype's most negative finite value where padded (transformers' choice: finite, so a row
    padded everywhere still gives a finite softmax)."""
    if attention_mask is None:
        return None
    mask = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * ember.finfo(dtype).min


def _classification_loss(config, logits, labels):
    """transformers' sequence-classification loss: MSE for ``num_labels == 1`` (regression),
    cross-entropy for integer labels, BCE-with-logits for float multi-label targets; or as
    ``config.problem_type`` says."""
    F = nn.functional
    problem = config.problem_type
    num_labels = config.num_labels
    if problem is None:
        if num_labels == 1:
            problem = "regression"
        elif not labels.is_floating_point():
            problem = "single_label_classification"
        else:
            problem = "multi_label_classification"
    if problem == "regression":
        labels = labels.to(logits.dtype)
        if num_labels == 1:
            return F.mse_loss(logits.reshape(-1), labels.reshape(-1))
        return F.mse_loss(logits, labels)
    if problem == "single_label_classification":
        return F.cross_entropy(logits.reshape(-1, num_labels), labels.reshape(-1))
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
