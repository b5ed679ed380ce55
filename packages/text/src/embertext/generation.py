"""Text generation, as Hugging Face ``transformers``' ``generate``, for causal language models
(GPT-2) and encoder-decoder models (BART): greedy decoding, sampling (temperature, top-k,
top-p) or beam search, repetition penalty, forced BOS/EOS tokens, per-sequence EOS stopping,
left-padded batches and a key/value cache.

    ids = model.generate(input_ids, max_new_tokens=20)                      # greedy
    ids = model.generate(input_ids, do_sample=True, top_k=50, top_p=0.95,
                         generator=ember.Generator().manual_seed(0))
    ids = bart.generate(input_ids, attention_mask=mask, num_beams=4)        # decoder ids

The logits processors are also usable alone; each is called as ``proc(input_ids, scores)`` with
``scores`` ``(N, vocab)`` and returns new scores (transformers' classes of the same names).
"""

from __future__ import annotations

import numpy as np

import ember
from ember.nn import functional as F

__all__ = [
    "ForcedBOSTokenLogitsProcessor", "ForcedEOSTokenLogitsProcessor", "GenerationMixin",
    "RepetitionPenaltyLogitsProcessor", "TemperatureLogitsWarper", "TopKLogitsWarper",
    "TopPLogitsWarper",
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


class ForcedBOSTokenLogitsProcessor:
    """Force ``bos_token_id`` as the first generated token of an encoder-decoder model (while
    the decoder holds only its start token): every other score becomes -inf."""

    def __init__(self, bos_token_id: int):
        self.bos_token_id = int(bos_token_id)

    def __call__(self, input_ids, scores):
        if input_ids.shape[-1] != 1:
            return scores
        return _only(scores, self.bos_token_id)


class ForcedEOSTokenLogitsProcessor:
    """Force ``eos_token_id`` as the last token when ``max_length`` is reached, so a sequence
    cut short still ends properly; every other score becomes -inf."""

    def __init__(self, max_length: int, eos_token_id: int):
        self.max_length = int(max_length)
        self.eos_token_id = int(eos_token_id)

    def __call__(self, input_ids, scores):
        if input_ids.shape[-1] != self.max_length - 1:
            return scores
        return _only(scores, self.eos_token_id)


def _only(scores, token: int):
    # transformers: the forced token's score becomes 0, every other one -inf
    keep = ember.arange(scores.shape[-1], device=scores.device) == token
    zero = ember.zeros((), dtype=scores.dtype, device=scores.device)
    return ember.where(keep, zero, -float("inf")).expand(*scores.shape)


class GenerationMixin:
    """``generate`` for causal LMs whose forward takes ``(input_ids, past_key_values,
    attention_mask, position_ids, use_cache)`` and for encoder-decoder models
    (``config.is_encoder_decoder``) with ``get_encoder()`` and a forward taking
    ``(attention_mask, decoder_input_ids, encoder_outputs, past_key_values, use_cache)``; both
    return ``logits`` and ``past_key_values``."""

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None,
                                      attention_mask=None, use_cache: bool = True,
                                      encoder_outputs=None) -> dict:
        """The forward arguments of one decoding step. With a cache only the last token is fed.

        Causal LM: position ids count the real (unpadded) tokens, so a left-padded prompt
        starts at position 0 like an unpadded one (transformers' GPT-2 rule). Encoder-decoder:
        ``input_ids`` are the decoder's, ``attention_mask`` the encoder's."""
        if encoder_outputs is not None:
            if past_key_values is not None:
                input_ids = input_ids[:, -1:]
            return {"attention_mask": attention_mask, "decoder_input_ids": input_ids,
                    "encoder_outputs": encoder_outputs, "past_key_values": past_key_values,
                    "use_cache": use_cache}
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids = position_ids.masked_fill(attention_mask == 0, 1)
        if past_key_values is not None:
            input_ids = input_ids[:, -1:]
            position_ids = position_ids[:, -1:]
        return {"input_ids": input_ids, "past_key_values": past_key_values,
                "attention_mask": attention_mask, "position_ids": position_ids,
                "use_cache": use_cache}

    def _logits_processors(self, do_sample, temperature, top_k, top_p, repetition_penalty,
                           max_length=None, forced_bos_token_id=None,
                           forced_eos_token_id=None):
        procs = []
        if top_p is not None and not 0.0 <= float(top_p) <= 1.0:
            raise ValueError(f"generate: top_p must be a float in [0, 1], got {top_p}")
        if repetition_penalty is not None and repetition_penalty != 1.0:
            procs.append(RepetitionPenaltyLogitsProcessor(repetition_penalty))
        # transformers' order: penalties, forced tokens, then the sampling warpers
        if forced_bos_token_id is not None:
            procs.append(ForcedBOSTokenLogitsProcessor(forced_bos_token_id))
        if forced_eos_token_id is not None and max_length is not None:
            procs.append(ForcedEOSTokenLogitsProcessor(max_length, forced_eos_token_id))
        if do_sample:  # transformers ignores the warpers in greedy mode
            if temperature is not None and temperature != 1.0:
                procs.append(TemperatureLogitsWarper(temperature))
            if top_k is not None and top_k != 0:
                procs.append(TopKLogitsWarper(top_k))
            if top_p is not None and top_p < 1.0:
                procs.append(TopPLogitsWarper(top_p))
        return procs

    def generate(self, input_ids, max_new_tokens: int | None = None, do_sample: bool = False,
                 temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                 repetition_penalty: float = 1.0, eos_token_id=None, pad_token_id=None,
                 attention_mask=None, use_cache: bool = True, generator=None,
                 num_beams: int = 1, length_penalty: float = 1.0, early_stopping: bool = False,
                 max_length: int | None = None, decoder_input_ids=None):
        """Continue ``input_ids`` (causal LM) or decode from them (encoder-decoder).

        Args:
            input_ids: ``(N, L)`` prompt ids (left-pad a batch of unequal prompts); for an
                encoder-decoder model the encoder's input (right padding is fine).
            max_new_tokens: tokens to add (fewer when every sequence hits EOS); default 20.
            max_length: alternatively the total length of the returned sequences (prompt or
                decoder start included); ``max_new_tokens`` wins when both are given.
            do_sample: sample from the processed distribution (else greedy argmax).
            temperature, top_k, top_p: sampling warpers, applied in this order (only with
                ``do_sample``); ``top_k=None``/0 and ``top_p=None``/1.0 disable them.
            repetition_penalty: > 1 discourages tokens already in the (decoder) sequence.
            eos_token_id: an id or list of ids ending a sequence; a finished sequence then
                receives ``pad_token_id``. Causal LM: no EOS unless given, pad defaulting to
                the first EOS id. Encoder-decoder: default ``config.eos_token_id`` and
                ``config.pad_token_id``, as transformers' generation config.
            attention_mask: ``(N, L)`` 1 for real tokens, 0 for padding; default all ones.
            use_cache: reuse keys/values so each new token costs one step; False re-runs the
                whole prefix each step (same result, slower).
            generator: an :class:`ember.Generator` for reproducible sampling.
            num_beams: > 1 runs beam search (encoder-decoder or causal; no sampling).
            length_penalty: beam scores are ``sum log p / length ** length_penalty``.
            early_stopping: stop a batch row's beam search as soon as ``num_beams`` finished
                hypotheses exist (transformers' ``True``); False uses its best-possible-score
                heuristic.
            decoder_input_ids: encoder-decoder only: ``(N, T)`` decoder prefix; default one
                ``config.decoder_start_token_id`` per row.

        ``config.forced_bos_token_id`` / ``config.forced_eos_token_id``, when set, force the
        first generated token and the token reaching ``max_length`` (transformers does the
        same; BART sets ``forced_eos_token_id=2``).

        Returns:
            ``(N, L + T)`` int64: the prompts followed by the generated tokens; for an
            encoder-decoder model the decoder ids ``(N, 1 + T)`` starting with
            ``decoder_start_token_id``.

        Example:
            >>> out = model.generate(ember.tensor([[464, 3290]]), max_new_tokens=5)
        """
        if input_ids.ndim != 2 or input_ids.is_floating_point():
            raise ValueError(f"generate: expected input_ids as a (batch, sequence) integer "
                             f"tensor, got shape {tuple(input_ids.shape)} of dtype "
                             f"{input_ids.dtype}")
        if max_new_tokens is not None and (not isinstance(max_new_tokens, int)
                                           or max_new_tokens < 0):
            raise ValueError(f"generate: max_new_tokens must be a non-negative integer, got "
                             f"{max_new_tokens!r}")
        if not isinstance(num_beams, int) or num_beams < 1:
            raise ValueError(f"generate: num_beams must be a positive integer, got "
                             f"{num_beams!r}")
        if num_beams > 1 and do_sample:
            raise ValueError("generate: beam sampling (num_beams > 1 with do_sample=True) is "
                             "not supported; use one of them")
        config = getattr(self, "config", None)
        enc_dec = bool(getattr(config, "is_encoder_decoder", False))
        eos = ([] if eos_token_id is None else
               [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id))
        if enc_dec and eos_token_id is None and config.eos_token_id is not None:
            eos = [config.eos_token_id]
        if enc_dec and pad_token_id is None:
            pad_token_id = config.pad_token_id
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
        if enc_dec:
            ids = (ember.full((n, 1), config.decoder_start_token_id, dtype=ember.int64,
                              device=device)
                   if decoder_input_ids is None else decoder_input_ids.long())
        else:
            ids = input_ids.long()
        if max_new_tokens is None:
            max_new_tokens = 20 if max_length is None else max(max_length - ids.shape[1], 0)
        procs = self._logits_processors(
            do_sample, temperature, top_k, top_p, repetition_penalty,
            max_length=ids.shape[1] + max_new_tokens,
            forced_bos_token_id=getattr(config, "forced_bos_token_id", None),
            forced_eos_token_id=getattr(config, "forced_eos_token_id", None))
        limit = getattr(config, "max_position_embeddings", None)
        limit_name = "n_positions" if hasattr(config, "n_positions") else "max_position_embeddings"
        if not enc_dec and not eos and limit is not None and ids.shape[1] + max_new_tokens > limit:
            # Nothing can stop generation early, so it would fail at step limit - prompt + 1:
            # fail before generating (transformers only warns here, then fails mid-way).
            raise ValueError(
                f"generate: the prompt's {ids.shape[1]} tokens plus max_new_tokens="
                f"{max_new_tokens} exceed {type(self).__name__}'s maximum of {limit} positions "
                f"({limit_name}={limit}); pass max_new_tokens <= {max(limit - ids.shape[1], 0)} "
                "or a shorter prompt")
        was_training = getattr(self, "training", False)
        self.eval()
        try:
            with ember.no_grad():
                encoder_outputs = None
                if enc_dec:  # the encoder runs once; each step only runs the decoder
                    encoder_outputs = self.get_encoder()(input_ids, attention_mask)
                if num_beams > 1:
                    return _beam_search(self, ids, attention_mask, encoder_outputs, procs,
                                       max_new_tokens, num_beams, eos, pad_token_id,
                                       length_penalty, early_stopping, use_cache)
                return self._sample(ids, attention_mask, encoder_outputs, procs,
                                    max_new_tokens, do_sample, eos, pad_token_id, use_cache,
                                    generator)
        finally:
            self.train(was_training)

    def _sample(self, ids, attention_mask, encoder_outputs, procs, max_new_tokens, do_sample,
                eos, pad_token_id, use_cache, generator):
        """Greedy or sampled decoding, one model step per token (inherently serial)."""
        device = ids.device
        n = ids.shape[0]
        eos_t = ember.tensor(eos, dtype=ember.int64, device=device) if eos else None
        unfinished = ember.ones(n, dtype=ember.bool, device=device)
        past = None
        for _ in range(max_new_tokens):
            inputs = self.prepare_inputs_for_generation(ids, past, attention_mask, use_cache,
                                                        **_encoder_kw(encoder_outputs))
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
            if encoder_outputs is None:  # the causal LM's mask covers the generated tokens
                attention_mask = ember.cat(
                    [attention_mask, ember.ones(n, 1, dtype=ember.int64, device=device)],
                    dim=1)
            past = out.past_key_values if use_cache else None
            if eos_t is not None:
                hit = (next_tokens[:, None] == eos_t[None, :]).any(dim=1)
                unfinished = unfinished & ~hit
                if not bool(unfinished.any()):
                    break
        return ids


def _encoder_kw(encoder_outputs) -> dict:
    # GPT-2-style overrides of prepare_inputs_for_generation need not know encoder_outputs
    return {} if encoder_outputs is None else {"encoder_outputs": encoder_outputs}


# -- beam search ------------------------------------------------------------------------------


def _add_hypothesis(hyps: list, tokens, score: float, num_beams: int) -> None:
    """Keep the ``num_beams`` best finished hypotheses of one batch row (transformers'
    BeamHypotheses.add): a new one enters while there is room or when it beats the worst."""
    if len(hyps) < num_beams or score > min(s for s, _ in hyps):
        hyps.append((score, list(tokens)))
        if len(hyps) > num_beams:
            hyps.remove(min(hyps, key=lambda h: h[0]))


def _beam_search(model, ids, attention_mask, encoder_outputs, procs, max_new_tokens,
                 num_beams, eos, pad_token_id, length_penalty, early_stopping, use_cache):
    """transformers' beam search (the BeamSearchScorer rules): each step keeps, per batch row,
    the ``num_beams`` best continuations by summed log-probability; a continuation ending in
    EOS among the ``num_beams`` best candidates becomes a finished hypothesis scored
    ``sum log p / generated_length ** length_penalty``; at the end the best hypothesis of each
    row is returned, followed by EOS when it finished early, padded with ``pad_token_id``.

    The model runs on all ``N * num_beams`` beams at once; only the per-step bookkeeping of
    ``(N, 2 * num_beams)`` candidates happens in NumPy."""
    n, prompt_len = ids.shape
    if max_new_tokens == 0:
        return ids
    beams = num_beams
    device = ids.device
    pad = 0 if pad_token_id is None else pad_token_id
    expand = ember.arange(n, device=device).repeat_interleave(beams)
    ids, attention_mask = ids[expand], attention_mask[expand]
    if encoder_outputs is not None:
        encoder_outputs = (encoder_outputs[0][expand],)
    # Only beam 0 starts alive, so the first step does not pick the same token B times.
    beam_scores = np.zeros((n, beams))
    beam_scores[:, 1:] = -1e9
    hyps = [[] for _ in range(n)]
    done = np.zeros(n, bool)
    rows = np.arange(n)[:, None]
    past = None
    for _ in range(max_new_tokens):
        inputs = model.prepare_inputs_for_generation(ids, past, attention_mask, use_cache,
                                                     **_encoder_kw(encoder_outputs))
        out = model(**inputs)
        scores = F.log_softmax(out.logits[:, -1, :].float(), dim=-1)
        for proc in procs:
            scores = proc(ids, scores)
        vocab = scores.shape[-1]
        total = scores + ember.tensor(beam_scores.reshape(-1, 1), dtype=scores.dtype,
                                      device=device)
        # enough candidates that num_beams of them survive even when some end in EOS
        k = min((1 + len(eos)) * beams, beams * vocab)
        top, index = ember.topk(total.reshape(n, beams * vocab), k, dim=1)
        top, index = top.cpu().numpy().astype(np.float64), index.cpu().numpy()
        source, token = index // vocab, index % vocab
        cur_len = ids.shape[1] + 1  # the length the candidates' scores are computed on
        is_eos = np.isin(token, eos)
        ids_host = None
        for r, j in zip(*np.nonzero(is_eos[:, :beams] & ~done[:, None])):  # EOS events only
            ids_host = ids.cpu().numpy() if ids_host is None else ids_host
            _add_hypothesis(hyps[r], ids_host[r * beams + source[r, j]],
                            top[r, j] / (cur_len - prompt_len) ** length_penalty, beams)
        # the next beams: the num_beams best candidates not ending in EOS, in score order
        order = np.argsort(is_eos, axis=1, kind="stable")[:, :beams]
        next_scores = np.take_along_axis(top, order, 1)
        next_tokens = np.take_along_axis(token, order, 1)
        next_source = np.take_along_axis(source, order, 1)
        # a finished row keeps running on padding (batched model call) with score 0
        next_scores[done], next_tokens[done], next_source[done] = 0.0, pad, 0
        for r in np.nonzero(~done)[0]:  # transformers' stopping rule, per row
            if len(hyps[r]) >= beams:
                worst = min(s for s, _ in hyps[r])
                best_possible = top[r, 0] / (cur_len - prompt_len) ** length_penalty
                done[r] = early_stopping or worst >= best_possible
        flat = ember.tensor((rows * beams + next_source).reshape(-1), device=device)
        ids = ember.cat([ids[flat], ember.tensor(next_tokens.reshape(-1, 1), device=device)],
                        dim=1)
        beam_scores = next_scores
        if encoder_outputs is None:
            attention_mask = ember.cat(
                [attention_mask[flat],
                 ember.ones(n * beams, 1, dtype=ember.int64, device=device)], dim=1)
        past = (tuple(tuple(t[flat] for t in layer) for layer in out.past_key_values)
                if use_cache else None)
        if done.all():
            break
    ids_host = ids.cpu().numpy()
    for r in np.nonzero(~done)[0]:  # rows still running: their beams are candidates too
        for b in range(beams):
            _add_hypothesis(hyps[r], ids_host[r * beams + b],
                            beam_scores[r, b] / (ids_host.shape[1] - prompt_len)
                            ** length_penalty, beams)
    best = [max(h, key=lambda item: item[0])[1] for h in hyps]
    lengths = [len(b) for b in best]
    width = min(max(lengths) + 1, prompt_len + max_new_tokens)
    result = np.full((n, width), pad, dtype=np.int64)
    for r, tokens in enumerate(best):
        result[r, :len(tokens)] = tokens
        if len(tokens) < width and eos:
            result[r, len(tokens)] = eos[0]  # the EOS the hypothesis ended with
    return ember.tensor(result, device=device)
