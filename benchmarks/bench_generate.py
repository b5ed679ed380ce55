"""Generation speed of a small random GPT-2 with and without the key/value cache.

    python benchmarks/bench_generate.py            # 4 layers, 256 wide, prompt 32, 64 new tokens
    python benchmarks/bench_generate.py --quick    # a smaller run (smoke test)

With the cache each new token runs the model on one position; without it the whole prefix is
re-run every step, so the cached speed-up grows with the length generated.
"""

from __future__ import annotations

import sys
import time

import ember
from embertext.models.gpt2 import GPT2Config, GPT2LMHeadModel


def tokens_per_second(model, prompt, new_tokens: int, use_cache: bool) -> float:
    model.generate(prompt, max_new_tokens=2, use_cache=use_cache)  # warm-up
    start = time.perf_counter()
    out = model.generate(prompt, max_new_tokens=new_tokens, use_cache=use_cache)
    float(out.sum())  # waits for the device
    elapsed = time.perf_counter() - start
    return prompt.shape[0] * new_tokens / elapsed


def main(argv) -> None:
    quick = "--quick" in argv
    layers, width, heads = (2, 64, 2) if quick else (4, 256, 4)
    prompt_len, new_tokens, batch = (8, 8, 1) if quick else (32, 64, 1)
    ember.manual_seed(0)
    config = GPT2Config(n_layer=layers, n_embd=width, n_head=heads, vocab_size=50257,
                        n_positions=1024)
    model = GPT2LMHeadModel(config).eval()
    prompt = ember.randint(0, config.vocab_size, (batch, prompt_len))
    print(f"GPT-2 {layers} layers x {width}, vocab {config.vocab_size}, batch {batch}, "
          f"prompt {prompt_len}, {new_tokens} new tokens")
    cached = tokens_per_second(model, prompt, new_tokens, use_cache=True)
    uncached = tokens_per_second(model, prompt, new_tokens, use_cache=False)
    print(f"  with KV cache:    {cached:8.1f} tokens/s")
    print(f"  without KV cache: {uncached:8.1f} tokens/s  "
          f"(cache speed-up x{cached / uncached:.1f})")


if __name__ == "__main__":
    main(sys.argv[1:])
