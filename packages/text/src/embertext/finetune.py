"""Fine-tune or train a text model: ``python -m embertext.finetune`` (``embertext-finetune``).

    embertext-finetune                                  # embedded sentiment, embeddingbag
    embertext-finetune --model lstm --epochs 8
    embertext-finetune --model path/to/bert-folder --dataset reviews.csv --lr 3e-5
    embertext-finetune --task lm                        # tiny GPT-2 on the embedded Genesis text
    embertext-finetune --task lm --model gpt2 --dataset wikitext2 --limit 200

``--model``: a baseline trained from scratch (``embeddingbag``, ``lstm``, ``transformer``;
``tiny-gpt2`` for ``--task lm``), or a pretrained model folder / hub name (BERT, RoBERTa,
DistilBERT for classification, GPT-2 for lm). Baselines get a byte-level BPE tokenizer trained
on the training texts (lowercased, with a ``<pad>`` token, for classification); pretrained
models use their own tokenizer, which must fit the model's ``vocab_size``.

``--dataset`` for classification: ``embedded`` (EmbeddedSentiment, 400 train / 100 test
sentences), ``ag_news``, ``imdb``, ``sst2``, ``yelp`` (downloaded by embertext.datasets) or a
.csv/.tsv/.jsonl file with ``text`` and ``label`` columns, of which a fixed 20% of each label
is held out (or ``--eval-dataset FILE``). Label names become ``config.id2label``. For lm:
``embedded`` (EmbeddedCorpus), ``wikitext2`` or a text file (its last 20% of lines held out);
perplexity is reported.

Training: AdamW (weight decay 0.01), linear warm-up then linear decay per step, gradient
clipping at 1.0. Outputs in ``--out`` (default ``runs/text-<model>``):
``checkpoint-epoch-N/`` and ``final/`` (``config.json``, ``model.safetensors``,
``tokenizer.json``: what ``embertext-classify`` / ``embertext-generate`` read) and
``metrics.csv``.

Timing, measured on the shared 2-core development machine (runs are deterministic for a
given ``--seed``): the default run (embeddingbag, 10 epochs) takes about 4 s and ends at 65%
test accuracy on the embedded sentiment set (100 sentences; 70-74% with a WordPiece
tokenizer, whose trainer is not deterministic); ``--model lstm`` about 15 s (64%),
``--model transformer`` about 25 s (64%): 400 sentences are too few for the bigger models to
beat the bag of embeddings. ``--task lm`` (tiny GPT-2, 10 epochs of 64-token blocks) about
15 s, held-out perplexity about 142. Times double when the machine is busy.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time

import numpy as np
from tqdm import tqdm

import ember
from ember import nn

from . import _finetune_data as data
from .predict import UserError, load_model, load_tokenizer, model_class, read_config

__all__ = ["BASELINE_NAMES", "build_parser", "cli", "main", "train"]

BASELINE_NAMES = ("embeddingbag", "lstm", "transformer")
LM_SCRATCH = "tiny-gpt2"
DEFAULT_EPOCHS = {"embeddingbag": 10, "lstm": 6, "transformer": 5, LM_SCRATCH: 10}
# Peak learning rates: from-scratch models take large steps; pretrained ones the usual 5e-5.
DEFAULT_LR = {"embeddingbag": 1e-2, "lstm": 3e-3, "transformer": 1e-3, LM_SCRATCH: 3e-3}
PRETRAINED_LR = 5e-5


# -- model and tokenizer -------------------------------------------------------------------------


def _train_tokenizer(texts: list[str], task: str, vocab_size: int):
    """A byte-level BPE trained on the training texts: lowercased with a ``<pad>`` token for
    classification, GPT-2's (``<|endoftext|>`` only) for lm. BPE rather than WordPiece because
    the ``tokenizers`` WordPiece trainer breaks frequency ties differently from run to run
    (hash order), which made runs with the same --seed differ; BPE's trainer is deterministic."""
    from .tokenizer import Tokenizer

    if task == "lm":
        return Tokenizer.train(texts, kind="bpe", vocab_size=vocab_size, min_frequency=2)
    return Tokenizer.train(texts, kind="bpe", vocab_size=vocab_size, min_frequency=2,
                           special_tokens=["<pad>", "<|endoftext|>"], lowercase=True)


def _scratch_model(name: str, tokenizer, id2label: dict | None, max_length: int):
    """A baseline classifier or tiny GPT-2 sized to the freshly trained tokenizer."""
    if name == LM_SCRATCH:
        from .models import GPT2Config, GPT2LMHeadModel

        eos = tokenizer.eos_token_id
        config = GPT2Config(vocab_size=len(tokenizer), n_positions=max_length, n_embd=128,
                            n_layer=2, n_head=4, bos_token_id=eos, eos_token_id=eos)
        return GPT2LMHeadModel(config)
    from .models.baselines import BASELINES

    config_cls, model_cls = BASELINES[name]
    extra = {"max_position_embeddings": max_length} if name == "transformer" else {}
    config = config_cls(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                        id2label=id2label, **extra)
    return model_cls(config)


def _pretrained(name: str, task: str, id2label: dict | None):
    """A pretrained model (its head resized to the labels) and its tokenizer.

    A classification head whose shape does not fit the new labels (or that the checkpoint
    lacks) starts fresh, as transformers' ``ignore_mismatched_sizes``; every base-model weight
    must load."""
    from ember.utils.pretrained import load_checkpoint

    config_dict = read_config(name, "--model")
    cls = model_class(config_dict, task, name, "--model")
    if task == "lm":
        model, tokenizer = load_model(name, "lm", "--model")
        return model, tokenizer
    config = cls.config_class.from_dict(
        config_dict, id2label=id2label, label2id={v: k for k, v in id2label.items()})
    model = cls(config)
    try:
        state = model._rename_checkpoint_keys(load_checkpoint(name, "main"))
        tokenizer = load_tokenizer(name)
    except (OSError, RuntimeError, ValueError, ember.hub.DownloadError) as exc:
        raise UserError(f"--model {name}: cannot load it ({exc})") from None
    own = model.state_dict()
    fitting = {k: v for k, v in state.items() if k in own and tuple(v.shape) == own[k].shape}
    prefix = model.base_model_prefix + "."
    base_missing = [k for k in own if k.startswith(prefix) and k not in fitting
                    and not any(k.startswith(p) for p in model._fresh_ok_prefixes())]
    if base_missing:
        raise UserError(f"--model {name}: the checkpoint does not fit a {cls.__name__} built "
                        f"from its config.json (missing or mis-shaped: {base_missing[:5]})")
    model.load_state_dict(fitting, strict=False)
    fresh = [k for k in own if k not in fitting]
    if fresh:
        print(f"new classification head for {len(id2label)} labels: {', '.join(fresh)}",
              flush=True)
    return model, tokenizer


def _check_vocab(tokenizer, model, name: str) -> None:
    if len(tokenizer) > model.config.vocab_size:
        raise UserError(f"--model {name}: its tokenizer has {len(tokenizer)} tokens but the "
                        f"model's vocab_size is {model.config.vocab_size}: token ids would "
                        f"fall outside the embedding table; use the tokenizer saved with "
                        f"the model")


def _freeze_base(model) -> int:
    """Freeze everything but the classification head; returns the trainable count."""
    prefix = model.base_model_prefix + "." if model.base_model_prefix else None
    for key, param in model.named_parameters():
        head = (not key.startswith(prefix)) if prefix else key.startswith("classifier.")
        param.requires_grad_(head)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# -- training ------------------------------------------------------------------------------------


def _schedule(total: int, warmup: float):
    """transformers' linear schedule: 0 -> 1 over the warm-up steps, then 1 -> 0 at ``total``.
    ``warmup`` < 1 is a fraction of ``total``; otherwise a step count."""
    steps = int(round(warmup * total)) if warmup < 1 else int(warmup)

    def factor(step: int) -> float:
        if step < steps:
            return (step + 1) / steps  # step 0 already trains (a zero lr would waste it)
        return max(0.0, (total - step) / max(1, total - steps))

    return factor


def evaluate(model, ids, labels, batch_size: int, pad: int, task: str) -> dict:
    """``{'eval_loss', 'eval_accuracy'}`` (classification) or ``{'eval_loss',
    'eval_perplexity'}`` (lm: the mean next-token cross-entropy and its exp)."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with ember.no_grad():
        for batch in data.batches(ids, labels, batch_size, pad):
            out = model(batch["input_ids"], attention_mask=batch["attention_mask"],
                        labels=batch["labels"])
            # Token-weighted for lm (every block has block_size - 1 targets), example-weighted
            # for classification.
            n = batch["labels"].numel() - batch["labels"].shape[0] if task == "lm" else (
                batch["labels"].shape[0])
            total += float(out.loss) * n
            count += n
            if task == "classification":
                correct += int((out.logits.argmax(dim=-1) == batch["labels"]).sum())
    loss = total / max(count, 1)
    if task == "lm":
        return {"eval_loss": loss, "eval_perplexity": math.exp(min(loss, 700.0))}
    return {"eval_loss": loss, "eval_accuracy": correct / max(count, 1)}


def _prepare(config: dict):
    """(model, tokenizer, train ids, train labels, eval ids, eval labels, description)."""
    task, name, max_length = config["task"], config["model"], config["max_length"]
    scratch = name in BASELINE_NAMES or name == LM_SCRATCH
    if task == "lm":
        train_lines, eval_lines = data.load_lm_texts(config["dataset"])
        if scratch:
            tokenizer = _train_tokenizer(train_lines, "lm", config["vocab_size"])
            model = _scratch_model(name, tokenizer, None, max_length)
        else:
            model, tokenizer = _pretrained(name, "lm", None)
            _check_vocab(tokenizer, model, name)
            max_length = min(max_length, model.config.n_positions)
        train_ids = data.lm_blocks(train_lines, tokenizer, max_length, config["limit"],
                                   "training text")
        eval_ids = data.lm_blocks(eval_lines, tokenizer, max_length, config["limit"],
                                  "evaluation text")
        return model, tokenizer, train_ids, None, eval_ids, None
    texts, names, eval_texts, eval_names = data.load_classification(
        config["dataset"], config["eval_dataset"], config["limit"])
    id2label, train_y, eval_y = data.label_maps(names, eval_names)
    if len(id2label) < 2:
        raise UserError(f"--dataset {config['dataset']}: the training data has one label "
                        f"({id2label[0]!r}); a classifier needs at least two")
    if scratch:
        tokenizer = _train_tokenizer(texts, "classification", config["vocab_size"])
        model = _scratch_model(name, tokenizer, id2label, max_length)
    else:
        model, tokenizer = _pretrained(name, "classification", id2label)
        _check_vocab(tokenizer, model, name)
        limit = getattr(model.config, "max_position_embeddings", max_length)
        max_length = min(max_length, limit - 2 if model.config.model_type == "roberta"
                         else limit)
    train_ids = data.encode_texts(tokenizer, texts, max_length)
    eval_ids = data.encode_texts(tokenizer, eval_texts, max_length)
    return model, tokenizer, train_ids, train_y, eval_ids, eval_y


def _save(model, tokenizer, folder: str) -> None:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def train(config: dict, progress: bool = True) -> dict:
    """Run the training described by ``config`` (the resolved command-line options).

    Returns:
        ``{"history": [per-epoch dicts], "final": final eval metrics, "out": folder}``.
    """
    ember.manual_seed(config["seed"])
    task = config["task"]
    model, tokenizer, train_ids, train_y, eval_ids, eval_y = _prepare(config)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    trainable = (_freeze_base(model) if config["freeze_base"]
                 else sum(p.numel() for p in model.parameters()))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = ember.optim.AdamW(params, lr=config["lr"], weight_decay=0.01)
    per_epoch = math.ceil(len(train_ids) / config["batch_size"])
    total = max(1, per_epoch * config["epochs"])
    scheduler = ember.optim.lr_scheduler.LambdaLR(optimizer, _schedule(total, config["warmup"]))
    out = config["out"]
    os.makedirs(out, exist_ok=True)
    what = "blocks" if task == "lm" else "texts"
    print(f"{config['model']} ({type(model).__name__}) on {config['dataset']}: "
          f"{len(train_ids)} train / {len(eval_ids)} eval {what}, vocabulary {len(tokenizer)}"
          + (f", {model.config.num_labels} labels" if task == "classification" else "")
          + f", {trainable} trainable parameters", flush=True)
    rng = np.random.default_rng(config["seed"])
    history = []
    for epoch in range(1, config["epochs"] + 1):
        model.train()
        started, total_loss, steps = time.time(), 0.0, 0
        bar = tqdm(data.batches(train_ids, train_y, config["batch_size"], pad, rng),
                   total=per_epoch, desc=f"epoch {epoch}/{config['epochs']}", leave=False,
                   disable=not progress, file=sys.stderr)
        for batch in bar:
            loss = model(batch["input_ids"], attention_mask=batch["attention_mask"],
                         labels=batch["labels"]).loss
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            total_loss += float(loss)
            steps += 1
            bar.set_postfix(loss=f"{total_loss / steps:.3f}")
        metrics = evaluate(model, eval_ids, eval_y, config["batch_size"], pad, task)
        row = {"epoch": epoch, "train_loss": total_loss / max(steps, 1), **metrics,
               "seconds": round(time.time() - started, 2)}
        history.append(row)
        score = (f"perplexity {metrics['eval_perplexity']:.2f}" if task == "lm"
                 else f"accuracy {metrics['eval_accuracy']:.2%}")
        print(f"epoch {epoch}/{config['epochs']}: train loss {row['train_loss']:.4f} | eval "
              f"loss {metrics['eval_loss']:.4f} {score} | {row['seconds']:.1f}s", flush=True)
        _save(model, tokenizer, os.path.join(out, f"checkpoint-epoch-{epoch}"))
        _write_metrics(os.path.join(out, "metrics.csv"), history)
    final = evaluate(model, eval_ids, eval_y, config["batch_size"], pad, task)
    _save(model, tokenizer, os.path.join(out, "final"))
    score = (f"perplexity {final['eval_perplexity']:.2f}" if task == "lm"
             else f"accuracy {final['eval_accuracy']:.2%}")
    print(f"final evaluation: loss {final['eval_loss']:.4f} {score}; model in "
          f"{os.path.join(out, 'final')}", flush=True)
    return {"history": history, "final": final, "out": out}


def _write_metrics(path: str, history: list) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


# -- command line --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``embertext-finetune``."""
    p = argparse.ArgumentParser(prog="embertext-finetune",
                                description="Train or fine-tune a text model with Ember.")
    add = p.add_argument
    add("--task", default="classification", choices=["classification", "lm"],
        help="classification (default) or lm (causal language modelling, GPT-2)")
    add("--model", help="embeddingbag (default for classification), lstm, transformer, "
        f"{LM_SCRATCH} (default for lm), or a pretrained model folder or hub name")
    add("--dataset", default="embedded",
        help="embedded (default), ag_news, imdb, sst2, yelp or a .csv/.jsonl file with text "
             "and label columns; for lm: embedded, wikitext2 or a text file")
    add("--eval-dataset", help="a .csv/.jsonl file to evaluate on instead of a held-out part "
        "of a --dataset file")
    add("--epochs", type=int, help="default: 10 embeddingbag, 6 lstm, 5 transformer, "
        f"10 {LM_SCRATCH}, 3 pretrained models")
    add("--lr", type=float, help="peak learning rate (default: 1e-2 embeddingbag, 3e-3 "
        f"lstm and {LM_SCRATCH}, 1e-3 transformer, {PRETRAINED_LR} pretrained models)")
    add("--batch-size", type=int, default=16, help="default 16")
    add("--max-length", type=int,
        help="tokens per text, longer ones cut (default 128), or per lm block (default 64)")
    add("--warmup", type=float, default=0.1,
        help="warm-up: a fraction of the steps (< 1) or a number of steps (default 0.1)")
    add("--vocab-size", type=int,
        help="vocabulary of the tokenizer trained for a from-scratch model (default 8000; "
             "2000 for lm, whose byte-level BPE otherwise learns rare words from little text)")
    add("--freeze-base", action="store_true",
        help="train only the classification head (classification only)")
    add("--out", help="output folder (default runs/text-<model>)")
    add("--seed", type=int, default=0, help="default 0")
    add("--limit", type=int, metavar="N",
        help="use a fixed subset of N training and N evaluation examples (lm: blocks)")
    add("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _resolve(args: argparse.Namespace) -> dict:
    model = args.model or (LM_SCRATCH if args.task == "lm" else "embeddingbag")
    if args.task == "lm" and model in BASELINE_NAMES:
        raise UserError(f"--model {model} is a classifier; for --task lm use {LM_SCRATCH} or "
                        f"a GPT-2 folder or hub name")
    if args.task == "classification" and model == LM_SCRATCH:
        raise UserError(f"--model {LM_SCRATCH} is a language model; use --task lm")
    if args.task == "lm" and args.freeze_base:
        raise UserError("--freeze-base applies to --task classification (GPT-2's output layer "
                        "is tied to its input embeddings: nothing would be left to train)")
    scratch = model in BASELINE_NAMES or model == LM_SCRATCH
    epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS.get(model, 3)
    lr = args.lr if args.lr is not None else (DEFAULT_LR[model] if scratch else PRETRAINED_LR)
    max_length = args.max_length
    if max_length is None:
        max_length = 64 if args.task == "lm" else 128
    checks = {"epochs": epochs, "batch-size": args.batch_size, "max-length": max_length,
              "limit": args.limit, "vocab-size": args.vocab_size}
    for option, value in checks.items():
        if value is not None and value < 1:
            raise UserError(f"--{option} must be at least 1, got {value}")
    if args.task == "lm" and max_length < 2:
        raise UserError(f"--max-length must be at least 2 for --task lm, got {max_length}")
    if lr <= 0 or args.warmup < 0 or (args.warmup >= 1 and args.warmup != int(args.warmup)):
        raise UserError(f"--lr must be positive and --warmup a fraction in [0, 1) or a whole "
                        f"number of steps, got {lr} and {args.warmup}")
    dataset = args.dataset
    known = data.LM_DATASETS if args.task == "lm" else ("embedded",
                                                        *data.CLASSIFICATION_DATASETS)
    if dataset.lower() in known:
        dataset = dataset.lower()
    elif not os.path.isfile(dataset):
        raise UserError(f"--dataset {dataset}: no such file, and not one of {list(known)}")
    if args.eval_dataset is not None and args.task == "lm":
        raise UserError("--eval-dataset applies to --task classification")
    return {"task": args.task, "model": model, "dataset": dataset,
            "eval_dataset": args.eval_dataset, "epochs": epochs, "lr": lr,
            "batch_size": args.batch_size, "max_length": max_length,
            "warmup": args.warmup,
            "vocab_size": args.vocab_size or (2000 if args.task == "lm" else 8000),
            "freeze_base": args.freeze_base, "seed": args.seed, "limit": args.limit,
            "out": args.out or os.path.join("runs", "text-" + os.path.basename(
                os.path.normpath(model)))}


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 for a user error)."""
    args = build_parser().parse_args(argv)
    try:
        train(_resolve(args), progress=not args.no_progress)
    except UserError as exc:
        print(f"embertext-finetune: error: {exc}", file=sys.stderr)
        return 2
    return 0


def cli() -> None:
    """Console-script entry point (``embertext-finetune``)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
