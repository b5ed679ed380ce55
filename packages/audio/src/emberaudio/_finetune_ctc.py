"""``emberaudio-finetune --task ctc``: speech recognition with a CTC loss.

Data: the embedded spoken digits (transcripts are the digit words, one voice held out), a CSV
manifest ``path,transcript`` or LibriSpeech. Tokens are characters with ``|`` between words
(wav2vec2's convention), the blank is class 0 (``<pad>``). Models: the from-scratch
:class:`~emberaudio.models.ctc_model.CTCSpeechModel` (``--model ctc-rnn``, the default) or a
pretrained Wav2Vec2/HuBERT folder or hub name (``Wav2Vec2ForCTC``/``HubertForCTC``).

Outputs: ``metrics.csv`` (loss, CER, WER per epoch) and checkpoints: ``best.pt``/``last.pt``
(state dict + model config + vocabulary) for ctc-rnn, ``best/``/``last/`` folders in the
Hugging Face layout (config.json, weights, vocab.json) for a pretrained model.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time

import numpy as np
from tqdm import tqdm

import ember
from ember.utils.data import DataLoader, Dataset, Subset

from ._finetune_metrics import cer, wer
from .classify import UserError, prepare_waveform
from .datasets import LIBRISPEECH, SpokenDigits
from .datasets.utils import load_waveform
from .models.ctc_model import CTCSpeechModel
from .models.decoder import ctc_greedy_decode

__all__ = ["CTC_FORMAT", "CTCCollate", "Vocabulary", "build_ctc_data", "evaluate_ctc",
           "normalize_transcript", "train_ctc"]

CTC_FORMAT = "emberaudio.finetune.ctc/1"
SCRATCH_MODEL = "ctc-rnn"
# wav2vec2's special tokens; <pad> doubles as the CTC blank (config.pad_token_id = 0).
_SPECIALS = ["<pad>", "<s>", "</s>", "<unk>", "|"]


def normalize_transcript(text: str) -> str:
    """Upper case, whitespace collapsed (wav2vec2 vocabularies are upper-case letters)."""
    return " ".join(str(text).upper().split())


class Vocabulary:
    """Character tokens: ``tokens[i]`` is class ``i``; ``tokens[blank]`` is the CTC blank and
    ``|`` separates words.

    Example:
        >>> v = Vocabulary.from_transcripts(["one two"])
        >>> v.decode(v.encode("two one"))
        'TWO ONE'
    """

    def __init__(self, tokens: list, blank: int = 0, delimiter: str = "|") -> None:
        self.tokens, self.blank, self.delimiter = list(tokens), blank, delimiter
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.unk = self.index.get("<unk>", blank)
        # Some pretrained vocabularies are lower case: follow the vocabulary's letters.
        self.lower = any(len(t) == 1 and t.islower() for t in self.tokens) and not any(
            len(t) == 1 and t.isupper() for t in self.tokens)

    @classmethod
    def from_transcripts(cls, transcripts) -> Vocabulary:
        chars = sorted({c for t in transcripts for c in normalize_transcript(t) if c != " "})
        return cls(_SPECIALS + [c for c in chars if c not in _SPECIALS])

    @classmethod
    def from_json(cls, path: str, blank: int = 0) -> Vocabulary:
        """A Hugging Face ``vocab.json`` (``{token: id}``)."""
        with open(path, encoding="utf-8") as f:
            table = json.load(f)
        tokens = [""] * (max(table.values()) + 1)
        for tok, i in table.items():
            tokens[i] = tok
        return cls(tokens, blank=blank)

    def to_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({t: i for i, t in enumerate(self.tokens)}, f, ensure_ascii=False)

    def encode(self, text: str) -> list:
        text = normalize_transcript(text).replace(" ", self.delimiter)
        text = text.lower() if self.lower else text
        return [self.index.get(c, self.unk) for c in text]

    def decode(self, ids) -> str:
        """Token ids (already collapsed, blanks dropped) -> text with spaces between words."""
        text = "".join(self.tokens[int(i)] for i in ids if int(i) != self.blank)
        text = text.replace(self.delimiter, " ")
        for special in ("<s>", "</s>", "<unk>", "<pad>"):
            text = text.replace(special, "")
        text = text.upper() if self.lower else text  # references are upper case
        return " ".join(text.split())

    def __len__(self) -> int:
        return len(self.tokens)


class _Transcribed(Dataset):
    """Items ``(waveform (1, T) at sample_rate, transcript)`` from a reader function."""

    def __init__(self, n: int, read, sample_rate: int) -> None:
        self.n, self.read, self.sample_rate = n, read, sample_rate

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int):
        waveform, rate, text = self.read(index)
        return prepare_waveform(waveform, rate, self.sample_rate), normalize_transcript(text)


class _DigitReader:
    def __init__(self, split: str) -> None:
        self.base = SpokenDigits(split)

    def __call__(self, i):
        waveform, rate, label = self.base[i]
        return waveform, rate, SpokenDigits.classes[label]


class _FileReader:
    def __init__(self, rows) -> None:
        self.rows = rows

    def __call__(self, i):
        path, text = self.rows[i]
        try:
            waveform, rate = load_waveform(path)
        except (RuntimeError, OSError) as exc:
            raise UserError(f"cannot read {path} from the manifest: {exc}") from None
        return waveform, rate, text


class _LibriReader:
    def __init__(self, base) -> None:
        self.base = base

    def __call__(self, i):
        waveform, rate, text = self.base[i][:3]
        return waveform, rate, text


def read_manifest(path: str, second: str) -> list:
    """``[(absolute audio path, text), ...]`` from a CSV ``path,<second>`` (a header row
    naming ``path`` is optional; relative paths are relative to the CSV's folder)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if rows and rows[0][0].strip().lower() in ("path", "file", "filename"):
        rows = rows[1:]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) < 2 or not r[0].strip()]
    if not rows or bad:
        raise UserError(f"--dataset {path}: expected CSV rows 'path,{second}' (optional "
                        f"header); {'no rows' if not rows else f'bad rows {bad[:5]}'}")
    folder = os.path.dirname(os.path.abspath(path))
    out = [(os.path.join(folder, r[0].strip()), ",".join(r[1:]).strip()) for r in rows]
    missing = [p for p, _ in out if not os.path.isfile(p)]
    if missing:
        raise UserError(f"--dataset {path}: {len(missing)} audio files are missing, e.g. "
                        f"{missing[0]}")
    return out


def _limit(dataset, n):
    if n is None or n >= len(dataset):
        return dataset
    return Subset(dataset, np.sort(np.random.default_rng(0).permutation(len(dataset))[:n])
                  .tolist())


def build_ctc_data(config: dict):
    """(train set, test set) of ``(waveform, transcript)`` at the configured rate."""
    rate, name = config["sample_rate"], config["dataset"]
    if name == "embedded":
        train = _Transcribed(len(SpokenDigits("train")), _DigitReader("train"), rate)
        test = _Transcribed(len(SpokenDigits("test")), _DigitReader("test"), rate)
    elif name == "librispeech":
        try:
            tr = LIBRISPEECH(config["data_root"], url=config["train_subset"],
                             download=config["download"])
            te = LIBRISPEECH(config["data_root"], url=config["test_subset"],
                             download=config["download"])
        except (RuntimeError, ValueError) as exc:
            raise UserError(f"--dataset librispeech: {exc}") from None
        train = _Transcribed(len(tr), _LibriReader(tr), rate)
        test = _Transcribed(len(te), _LibriReader(te), rate)
    else:  # a CSV manifest: a fixed 10% (at least one clip) held out
        rows = read_manifest(name, "transcript")
        if len(rows) < 2:
            raise UserError(f"--dataset {name}: need at least 2 rows (train and test)")
        order = np.random.default_rng(0).permutation(len(rows))
        n_test = max(1, round(0.1 * len(rows)))
        test_rows = [rows[i] for i in np.sort(order[:n_test])]
        train_rows = [rows[i] for i in np.sort(order[n_test:])]
        train = _Transcribed(len(train_rows), _FileReader(train_rows), rate)
        test = _Transcribed(len(test_rows), _FileReader(test_rows), rate)
    return _limit(train, config["limit"]), _limit(test, config["limit"])


def _transcripts(dataset) -> list:
    """The transcripts without decoding audio where the reader allows it."""
    base, idx = (dataset.dataset, dataset.indices) if isinstance(dataset, Subset) else (
        dataset, range(len(dataset)))
    read = base.read
    if isinstance(read, _DigitReader):
        return [SpokenDigits.classes[read.base.targets[i]] for i in idx]
    if isinstance(read, _FileReader):
        return [read.rows[i][1] for i in idx]
    return [read.base.get_metadata(i)[2] for i in idx]


class CTCCollate:
    """Pad ``(waveform, transcript)`` items: ``(waves (B, T), lengths, targets (B, S),
    target_lengths, transcripts)``; targets padded with ``pad`` (-100 for Hugging Face labels,
    0 for ``ctc_loss``)."""

    def __init__(self, vocab: Vocabulary, pad: int = 0) -> None:
        self.vocab, self.pad = vocab, pad

    def __call__(self, batch):
        lengths = [w.shape[-1] for w, _ in batch]
        waves = np.zeros((len(batch), max(lengths)), dtype=np.float32)
        for i, (w, _) in enumerate(batch):  # one slice copy per clip (ragged lengths)
            waves[i, : lengths[i]] = w.numpy()[0]
        encoded = [self.vocab.encode(t) for _, t in batch]
        tl = [len(e) for e in encoded]
        targets = np.full((len(batch), max(max(tl), 1)), self.pad, dtype=np.int64)
        for i, e in enumerate(encoded):
            targets[i, : len(e)] = e
        return (ember.from_numpy(waves), ember.tensor(lengths, dtype=ember.int64),
                ember.from_numpy(targets), ember.tensor(tl, dtype=ember.int64),
                [t for _, t in batch])


def evaluate_ctc(wrapped, loader) -> dict:
    """Mean CTC loss (per utterance), CER and WER of greedy decoding over ``loader``."""
    wrapped.model.eval()
    total, count, refs, hyps = 0.0, 0, [], []
    with ember.no_grad():
        for waves, lengths, targets, target_lengths, texts in loader:
            loss, logits = wrapped.loss_and_logits(waves, lengths, targets, target_lengths)
            total += float(loss) * len(texts)
            count += len(texts)
            out_len = wrapped.output_lengths(lengths)
            out_len = None if out_len is None else out_len.clamp(max=logits.shape[1])
            ids = ctc_greedy_decode(logits, blank=wrapped.vocab.blank, lengths=out_len)
            hyps += [wrapped.vocab.decode(i) for i in ids]
            refs += texts
    return {"loss": total / max(count, 1), "cer": cer(refs, hyps), "wer": wer(refs, hyps),
            "examples": list(zip(refs, hyps))[:3]}


def _perturb(waves, augment):
    """Per-clip gain of -6..+6 dB and noise at 15..40 dB SNR (ember's generator: --seed)."""
    n = waves.shape[0]
    if "noise" in augment:
        rms = waves.pow(2).mean(dim=-1, keepdim=True).sqrt()
        snr_db = ember.rand(n, 1) * 25.0 + 15.0
        waves = waves + ember.randn(waves.shape) * rms * 10.0 ** (-snr_db / 20.0)
    if "gain" in augment:
        waves = waves * 10.0 ** ((ember.rand(n, 1) * 12.0 - 6.0) / 20.0)
    return waves


def train_ctc(config: dict, progress: bool = True) -> dict:
    """Run ``--task ctc`` as described by ``config`` (see :func:`emberaudio.finetune.main`).

    Returns:
        ``{"history": [per-epoch dicts], "best_cer", "final": evaluation dict, "out"}``.
    """
    ember.manual_seed(config["seed"])
    train_set, test_set = build_ctc_data(config)
    vocab = Vocabulary.from_transcripts(_transcripts(train_set))
    from ._finetune_ctc_models import _Scratch, load_pretrained  # they import this module
    if config["model"] == SCRATCH_MODEL:
        wrapped = _Scratch(CTCSpeechModel(len(vocab), sample_rate=config["sample_rate"]), vocab)
    else:
        wrapped = load_pretrained(config["model"], vocab, config["freeze_feature_encoder"])
        vocab = wrapped.vocab
        if wrapped.sample_rate != config["sample_rate"]:
            raise UserError(f"--model {config['model']} takes {wrapped.sample_rate} Hz audio; "
                            f"pass --sample-rate {wrapped.sample_rate}")
    # Targets padded with 0; _Pretrained masks them to -100 from the target lengths.
    collate = CTCCollate(vocab, pad=0)
    generator = ember.Generator().manual_seed(config["seed"])
    train_loader = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True,
                              collate_fn=collate, num_workers=config["workers"],
                              generator=generator)
    test_loader = DataLoader(test_set, batch_size=config["batch_size"], collate_fn=collate,
                             num_workers=config["workers"])
    params = [p for p in wrapped.model.parameters() if p.requires_grad]
    optimizer = ember.optim.AdamW(params, lr=config["lr"], weight_decay=1e-2)
    steps = config["epochs"] * len(train_loader)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config["lr"],
                                                    total_steps=max(steps, 1), pct_start=0.15)
    out = config["out"]
    os.makedirs(out, exist_ok=True)
    print(f"{config['model']} (CTC) on {config['dataset']}: {len(train_set)} train / "
          f"{len(test_set)} test clips, {len(vocab)} tokens, "
          f"{sum(p.numel() for p in params)} trainable parameters", flush=True)
    history, best = [], float("inf")
    for epoch in range(1, config["epochs"] + 1):
        wrapped.model.train()
        started, total, count = time.time(), 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{config['epochs']}", leave=False,
                   disable=not progress, file=sys.stderr)
        for waves, lengths, targets, target_lengths, texts in bar:
            waves = _perturb(waves, config["augment"])
            loss, _ = wrapped.loss_and_logits(waves, lengths, targets, target_lengths,
                                              config["augment"])
            optimizer.zero_grad()
            loss.backward()
            ember.nn.utils.clip_grad_norm_(params, 5.0)
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(texts)
            count += len(texts)
            bar.set_postfix(loss=f"{total / count:.3f}")
        ev = evaluate_ctc(wrapped, test_loader)
        row = {"epoch": epoch, "train_loss": total / count, "test_loss": ev["loss"],
               "cer": ev["cer"], "wer": ev["wer"], "seconds": time.time() - started}
        history.append(row)
        print(f"epoch {epoch}/{config['epochs']}: train loss {row['train_loss']:.4f} | test "
              f"loss {ev['loss']:.4f} CER {ev['cer']:.2%} WER {ev['wer']:.2%} | "
              f"{row['seconds']:.1f}s", flush=True)
        extra = {"config": config, "epoch": epoch, "cer": ev["cer"], "wer": ev["wer"]}
        wrapped.save(out, "last", extra)
        if ev["cer"] < best:
            best = ev["cer"]
            wrapped.save(out, "best", extra)
        _write_metrics(os.path.join(out, "metrics.csv"), history)
    for ref, hyp in ev["examples"]:
        print(f"  ref: {ref!r}  hyp: {hyp!r}", flush=True)
    print(f"final CER {ev['cer']:.2%} WER {ev['wer']:.2%} (best CER {best:.2%}); "
          f"checkpoints in {out}", flush=True)
    return {"history": history, "best_cer": best, "final": ev, "out": out}


def _write_metrics(path: str, history: list) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
