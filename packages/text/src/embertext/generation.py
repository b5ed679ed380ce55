"""Text generation for causal language models, as Hugging Face ``transformers``' ``generate``:
greedy decoding or sampling (temperature, top-k, top-p), repetition penalty, per-sequence EOS
stopping, left-padded batches and a key/value cache.

    ids = model.generate(input_ids, max_new_tokens=20)                      # greedy
    ids = model.generate(input_ids, do_sample=True, top_k=50, top_p=0.95,
                         generator=ember.Generator().manual_seed(0))

The logits processors are also usable alone; each is called as ``proc(input_ids, scores)`` with
``scores`` ``(N, vocab)`` and returns new scores (transformers' classes of the same names).
"""

from __future__ import annotations

import ember
from ember.nn import functional as F

__all__ = [
    "GenerationMixin", "RepetitionPenaltyLogitsProcessor", "TemperatureLogitsWarper",
    "TopKLogitsWarper", "TopPLogitsWarper",
]


class RepetitionPenaltyLogitsProcessor:
    """Penalise tokens already in ``input_ids`` (prompt included, as transformers): a positive
    logit is divided by ``penalty``, a negative one multiplied by it (CTRL, Keskar et al.).

    Example:
        >>> RepetitionPenaltyLogitsProcessor(2.0)(ember.tensor([[0, 1]]),
        ...                                       ember.tensor([[4.0, -1.0, 3.0]]))
        tensor([[ 2., -2.,  3.]])
    """

    def __init__(self, penalty: float):
        if not float(penalty) > 0:
            raise ValueError(f"RepetitionPenaltyLogitsProcessor: penalty must be a strictly "
                             f"positive float, got {penalty}")
        self.penalty = float(penalty)

    def __call__(self, input_ids, scores):
        score = ember.gather(scores, 1, input_ids)
        score = ember.where(score < 0, score * self.penalty, score / self.penalty)
        return ember.scatter(scores, 1, input_ids, score)


class TemperatureLogitsWarper:
    """``scores / temperature``: below 1 sharpens the distribution, above 1 flattens it."""

    def __init__(self, temperature: float):
        if not (isinstance(temperature, (int, float)) and temperature > 0):
            raise ValueError(f"TemperatureLogitsWarper: temperature must be a strictly "
                             f"positive float, got {temperature!r}; use do_sample=False for "
                             f"greedy decoding")
        self.temperature = float(temperature)

    def __call__(self, input_ids, scores):
        return scores / self.temperature


class TopKLogitsWarper:
    """Keep the ``top_k`` largest logits per row (ties with the k-th kept too), set the others
    to ``filter_value`` (-inf)."""

    def __init__(self, top_k: int, filter_value: float = -float("inf"),
                 min_tokens_to_keep: int = 1):
        if not isinstance(top_k, int) or top_k <= 0:
            raise ValueError(f"TopKLogitsWarper: top_k must be a strictly positive integer, "
                             f"got {top_k!r}")
        self.top_k = max(top_k, min_tokens_to_keep)
        self.filter_value = filter_value

    def __call__(self, input_ids, scores):
        k = min(self.top_k, scores.shape[-1])
        kth = ember.topk(scores, k, dim=-1)[0][..., -1:]
        return scores.masked_fill(scores < kth, self.filter_value)


class TopPLogitsWarper:
    """Nucleus filtering (Holtzman et al.): keep the smallest set of most likely tokens whose
    probabilities add up to at least ``top_p`` (always at least ``min_tokens_to_keep``); the
    others get ``filter_value`` (-inf)."""

    def __init__(self, top_p: float, filter_value: float = -float("inf"),
                 min_tokens_to_keep: int = 1):
        top_p = float(top_p)
        if not 0.0 <= top_p <= 1.0:
            raise ValueError(f"TopPLogitsWarper: top_p must be a float in [0, 1], got {top_p}")
        self.top_p = top_p
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids, scores):
        # transformers' formulation: sort ascending; a token is dropped when the probability
        # mass up to and including it is <= 1 - top_p (so the rest still reaches top_p).
        sorted_logits, order = ember.sort(scores, dim=-1, descending=False)
        cumulative = F.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative <= (1.0 - self.top_p)
        drop[..., -self.min_tokens_to_keep:] = False
        remove = ember.scatter(drop, 1, order, drop)
        return scores.masked_fill(remove, self.filter_value)


class GenerationMixin:
    """``generate`` for causal LMs whose forward takes ``(input_ids, past_key_values,
    attention_mask, position_ids, use_cache)`` and returns ``logits`` and
    ``past_key_values``."""

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None,
                                      attention_mask=None, use_cache: bool = True) -> dict:
        """The forward arguments of one decoding step: with a cache only the last token is
        fed; position ids count the real (unpadded) tokens, so a left-padded prompt starts at
        position 0 like an unpadded one (transformers' GPT-2 rule)."""
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids = position_ids.masked_fill(attention_mask == 0, 1)
        if past_key_values is not None:
            input_ids = input_ids[:, -1:]
            position_ids = position_ids[:, -1:]
        return {"input_ids": input_ids, "past_key_values": past_key_values,
                "attention_mask": attention_mask, "position_ids": position_ids,
                "use_cache": use_cache}

    def _logits_processors(self, do_sample, temperature, top_k, top_p, repetition_penalty):
        procs = []
        if top_p is not None and not 0.0 <= float(top_p) <= 1.0:
            raise ValueError(f"generate: top_p must be a float in [0, 1], got {top_p}")
        if repetition_penalty is not None and repetition_penalty != 1.0:
            procs.append(RepetitionPenaltyLogitsProcessor(repetition_penalty))
        if do_sample:  # transformers ignores the warpers in greedy mode
            if temperature is not None and temperature != 1.0:
                procs.append(TemperatureLogitsWarper(temperature))
            if top_k is not None and top_k != 0:
                procs.append(TopKLogitsWarper(top_k))
            if top_p is not None and top_p < 1.0:
                procs.append(TopPLogitsWarper(top_p))
        return procs

    def generate(self, input_ids, max_new_tokens: int = 20, do_sample: bool = False,
                 temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                 repetition_penalty: float = 1.0, eos_token_id=None, pad_token_id=None,
                 attention_mask=None, use_cache: bool = True, generator=None):
        """Continue ``input_ids`` by up to ``max_new_tokens`` tokens.

        Args:
            input_ids: ``(N, L)`` prompt ids (left-pad a batch of unequal prompts).
            max_new_tokens: tokens to add (fewer when every sequence hits EOS).
            do_sample: sample from the processed distribution (else greedy argmax).
            temperature, top_k, top_p: sampling warpers, applied in this order (only with
                ``do_sample``); ``top_k=None``/0 and ``top_p=None``/1.0 disable them.
            repetition_penalty: > 1 discourages tokens already in the sequence.
            eos_token_id: an id or list of ids ending a sequence; a finished sequence then
                receives ``pad_token_id`` (default: the first EOS id, as transformers).
            attention_mask: ``(N, L)`` 1 for real tokens, 0 for padding; default all ones.
            use_cache: reuse keys/values so each new token costs one step; False re-runs the
                whole prefix each step (same result, slower).
            generator: an :class:`ember.Generator` for reproducible sampling.

        Returns:
            ``(N, L + T)`` int64: the prompts followed by the generated tokens.

        Example:
            >>> out = model.generate(ember.tensor([[464, 3290]]), max_new_tokens=5)
        """
        if input_ids.ndim != 2 or input_ids.is_floating_point():
            raise ValueError(f"generate: expected input_ids as a (batch, sequence) integer "
                             f"tensor, got shape {tuple(input_ids.shape)} of dtype "
                             f"{input_ids.dtype}")
        if not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise ValueError(f"generate: max_new_tokens must be a non-negative integer, got "
                             f"{max_new_tokens!r}")
        procs = self._logits_processors(do_sample, temperature, top_k, top_p,
                                        repetition_penalty)
        eos = ([] if eos_token_id is None else
               [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id))
        if eos and pad_token_id is None:
            pad_token_id = eos[0]  # transformers: "Setting pad_token_id to eos_token_id"
        device = input_ids.device
        n = input_ids.shape[0]
        if attention_mask is None:
            attention_mask = ember.ones_like(input_ids)
        elif tuple(attention_mask.shape) != tuple(input_ids.shape):
            raise ValueError(f"generate: attention_mask shape {tuple(attention_mask.shape)} "
                             f"does not match input_ids shape {tuple(input_ids.shape)}")
        attention_mask = attention_mask.long()
        ids = input_ids.long()
        eos_t = ember.tensor(eos, dtype=ember.int64, device=device) if eos else None
        unfinished = ember.ones(n, dtype=ember.bool, device=device)
        past = None
        was_training = getattr(self, "training", False)
        self.eval()
        try:
            with ember.no_grad():
                for _ in range(max_new_tokens):  # one model step per token: inherently serial
                    inputs = self.prepare_inputs_for_generation(ids, past, attention_mask,
                                                                use_cache)
                    out = self(**inputs)
                    scores = out.logits[:, -1, :].float()
                    for proc in procs:
                        scores = proc(ids, scores)
                    if do_sample:
                        probs = F.softmax(scores, dim=-1)
                        next_tokens = ember.multinomial(probs, 1, generator=generator)[:, 0]
                    else:
                        next_tokens = scores.argmax(dim=-1)
                    if eos_t is not None:
                        next_tokens = ember.where(unfinished, next_tokens,
                                                  ember.full_like(next_tokens, pad_token_id))
                    ids = ember.cat([ids, next_tokens[:, None]], dim=1)
                    attention_mask = ember.cat(
                        [attention_mask, ember.ones(n, 1, dtype=ember.int64, device=device)],
                        dim=1)
                    past = out.past_key_values if use_cache else None
                    if eos_t is not None:
                        hit = (next_tokens[:, None] == eos_t[None, :]).any(dim=1)
                        unfinished = unfinished & ~hit
                        if not bool(unfinished.any()):
                            break
        finally:
            self.train(was_training)
        return ids
