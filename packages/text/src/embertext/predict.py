"""Use a saved text model: ``embertext-classify`` and ``embertext-generate``.

    embertext-classify runs/text-embeddingbag/final "A warm, funny film." "Dull and far too long."
    embertext-classify MODEL_DIR --file reviews.txt           # one text per line
    embertext-generate runs/text-lm/final --prompt "In the beginning" --max-new-tokens 30 \\
        --temperature 0.8 --top-k 40 --seed 1

``MODEL_DIR`` is a Hugging Face style folder (``config.json``, ``model.safetensors``,
``tokenizer.json``), e.g. the ``final/`` or ``checkpoint-epoch-N/`` folder written by
``embertext-finetune``, or a hub name. ``classify`` prints one line per text:
``label<TAB>probability<TAB>text``; ``generate`` prints the prompt followed by the sampled
continuation (``--temperature 0``: greedy).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import ember
import ember.nn.functional as F

__all__ = ["UserError", "classify", "classify_main", "generate", "generate_main",
           "load_model", "load_tokenizer", "model_class", "read_config"]


class UserError(Exception):
    """A mistake the user can fix (bad option, missing file): printed without a traceback and
    the command exits with status 2."""


def _classes(task: str) -> dict:
    """``model_type`` -> model class for ``task`` ('classification' or 'lm')."""
    from .models import (
        BertForSequenceClassification,
        DistilBertForSequenceClassification,
        GPT2LMHeadModel,
        RobertaForSequenceClassification,
    )
    from .models.baselines import BASELINES

    if task == "lm":
        return {"gpt2": GPT2LMHeadModel}
    table = {"bert": BertForSequenceClassification, "roberta": RobertaForSequenceClassification,
             "distilbert": DistilBertForSequenceClassification}
    table.update({config.model_type: model for config, model in BASELINES.values()})
    return table


def read_config(name: str, option: str = "MODEL_DIR") -> dict:
    """The ``config.json`` of a model folder or hub name, as a dict."""
    from ember.utils.pretrained import resolve_file

    # A hub name is 'name' or 'org/name'; anything else that is not a folder is a bad path.
    looks_local = (name.startswith((".", "~", "/")) or name.count("/") > 1
                   or (os.sep != "/" and os.sep in name) or os.path.exists(name))
    if looks_local and not os.path.isdir(name):
        raise UserError(f"{option} {name}: no such folder (a model folder holds config.json "
                        f"and model.safetensors)")
    try:
        with open(resolve_file(name, "config.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ember.hub.DownloadError) as exc:
        where = "" if os.path.isdir(name) else "not a local folder, and as a hub name "
        raise UserError(f"{option} {name}: {where}cannot read its config.json "
                        f"({exc})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{option} {name}: config.json is not valid JSON ({exc})") from None


def load_tokenizer(name: str):
    """The tokenizer of a model folder or hub name (hub files cached by ember.hub)."""
    from .tokenizer import Tokenizer

    return Tokenizer.from_pretrained(name)


def model_class(config: dict, task: str, name: str, option: str = "MODEL_DIR"):
    """The model class for a config's ``model_type`` and the task, or a UserError listing the
    supported types."""
    kind = config.get("model_type", "")
    table = _classes(task)
    if kind not in table:
        other = "lm" if task == "classification" else "classification"
        fix = (f"--task {other}" if option == "--model" else
               "embertext-classify" if other == "classification" else "embertext-generate")
        hint = f"; it is a {other} model: use {fix}" if kind in _classes(other) else ""
        raise UserError(f"{option} {name}: model_type {kind!r} is not supported for "
                        f"{task} (supported: {sorted(table)}){hint}")
    return table[kind]


def load_model(name: str, task: str, option: str = "MODEL_DIR"):
    """``(model, tokenizer)`` from a saved folder or hub name, the model in eval mode."""
    cls = model_class(read_config(name, option), task, name, option)
    try:
        model = cls.from_pretrained(name)
        tokenizer = load_tokenizer(name)
    except (OSError, RuntimeError, ValueError, ember.hub.DownloadError) as exc:
        raise UserError(f"{option} {name}: cannot load it ({exc})") from None
    vocab = model.config.vocab_size
    if len(tokenizer) > vocab:
        raise UserError(f"{option} {name}: the tokenizer has {len(tokenizer)} tokens but the "
                        f"model's vocab_size is {vocab}; they were not saved together")
    return model, tokenizer


def _max_length(model, tokenizer) -> int:
    limit = getattr(model.config, "max_position_embeddings", None) or 512
    return int(min(limit, tokenizer.model_max_length))


def classify(model, tokenizer, texts: list[str], batch_size: int = 32) -> list[tuple[str, float]]:
    """``(label name, probability)`` of the most likely class of each text."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    results = []
    model.eval()
    with ember.no_grad():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                            max_length=_max_length(model, tokenizer), return_tensors="ember")
            ids = enc["input_ids"]
            if pad != tokenizer.pad_token_id:  # no pad token: the mask marks the padding
                ids = ember.where(enc["attention_mask"].bool(), ids, ember.zeros_like(ids))
            probs = F.softmax(model(ids, attention_mask=enc["attention_mask"]).logits.float(),
                              dim=-1)
            best, index = probs.max(dim=-1)
            results += [(model.config.id2label[int(i)], float(p))
                        for p, i in zip(best.tolist(), index.tolist())]
    return results


def generate(model, tokenizer, prompt: str, max_new_tokens: int = 50, temperature: float = 1.0,
             top_k: int | None = 50, top_p: float | None = None, seed: int | None = None) -> str:
    """The continuation of ``prompt`` (sampled; ``temperature=0`` is greedy), stopping at the
    end-of-text token."""
    ids = tokenizer.encode(prompt, add_special_tokens=False) if prompt else []
    if not ids:  # an empty prompt starts from the beginning-of-text token (transformers)
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else (
            model.config.bos_token_id)
        ids = [start if start is not None else 0]
    limit = model.config.n_positions
    if len(ids) + max_new_tokens > limit:
        raise UserError(f"the prompt has {len(ids)} tokens; with --max-new-tokens "
                        f"{max_new_tokens} that exceeds the model's {limit} positions; "
                        f"shorten the prompt or lower --max-new-tokens")
    generator = None if seed is None else ember.Generator().manual_seed(seed)
    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else (
        model.config.eos_token_id)
    out = model.generate(ember.tensor([ids]), max_new_tokens=max_new_tokens,
                         do_sample=temperature > 0, temperature=temperature or 1.0,
                         top_k=top_k or None, top_p=top_p, eos_token_id=eos,
                         generator=generator)
    return tokenizer.decode(out[0, len(ids):].tolist(), skip_special_tokens=True)


def _classify_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="embertext-classify",
                                description="Classify texts with a saved text classifier.")
    p.add_argument("model", metavar="MODEL_DIR", help="a model folder (embertext-finetune's "
                   "OUT/final) or a hub name")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify")
    p.add_argument("--file", help="a UTF-8 file with one text per line (blank lines skipped)")
    p.add_argument("--batch-size", type=int, default=32, help="default 32")
    return p


def classify_main(argv=None) -> int:
    """``embertext-classify``: prints ``label<TAB>probability<TAB>text`` per text."""
    args = _classify_parser().parse_args(argv)
    try:
        texts = list(args.texts)
        if args.file is not None:
            if not os.path.isfile(args.file):
                raise UserError(f"--file {args.file}: no such file")
            with open(args.file, encoding="utf-8") as f:
                texts += [line.strip() for line in f if line.strip()]
        if not texts:
            raise UserError("no texts: give them as arguments or with --file lines.txt")
        if args.batch_size < 1:
            raise UserError(f"--batch-size must be at least 1, got {args.batch_size}")
        model, tokenizer = load_model(args.model, "classification")
        for text, (label, prob) in zip(texts, classify(model, tokenizer, texts,
                                                       args.batch_size)):
            print(f"{label}\t{prob:.4f}\t{text}")
    except UserError as exc:
        print(f"embertext-classify: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _generate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="embertext-generate",
                                description="Continue a prompt with a saved GPT-2 model.")
    p.add_argument("model", metavar="MODEL_DIR", help="a model folder (embertext-finetune "
                   "--task lm's OUT/final) or a hub name such as gpt2")
    p.add_argument("--prompt", default="", help="the text to continue (default: empty)")
    p.add_argument("--max-new-tokens", type=int, default=50, help="default 50")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="sampling temperature (default 1.0; 0 = greedy)")
    p.add_argument("--top-k", type=int, default=50, help="sample among the k most likely "
                   "tokens (default 50; 0 = all)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default "
                   "1.0 = off)")
    p.add_argument("--seed", type=int, default=None, help="make sampling reproducible")
    return p


def generate_main(argv=None) -> int:
    """``embertext-generate``: prints the prompt followed by its continuation."""
    args = _generate_parser().parse_args(argv)
    try:
        if args.max_new_tokens < 0 or args.top_k < 0:
            raise UserError(f"--max-new-tokens and --top-k must be 0 or more, got "
                            f"{args.max_new_tokens} and {args.top_k}")
        if args.temperature < 0 or not 0 < args.top_p <= 1:
            raise UserError(f"--temperature must be >= 0 and --top-p in (0, 1], got "
                            f"{args.temperature} and {args.top_p}")
        model, tokenizer = load_model(args.model, "lm")
        text = generate(model, tokenizer, args.prompt, args.max_new_tokens, args.temperature,
                        args.top_k, None if args.top_p >= 1 else args.top_p, args.seed)
        print(args.prompt + text)
    except UserError as exc:
        print(f"embertext-generate: error: {exc}", file=sys.stderr)
        return 2
    return 0


def classify_cli() -> None:
    """Console-script entry point (``embertext-classify``)."""
    sys.exit(classify_main())


def generate_cli() -> None:
    """Console-script entry point (``embertext-generate``)."""
    sys.exit(generate_main())


if __name__ == "__main__":  # python -m embertext.predict classify|generate ...
    if len(sys.argv) > 1 and sys.argv[1] in ("classify", "generate"):
        command = sys.argv.pop(1)
        (classify_cli if command == "classify" else generate_cli)()
    print("usage: python -m embertext.predict {classify,generate} ...", file=sys.stderr)
    sys.exit(2)
