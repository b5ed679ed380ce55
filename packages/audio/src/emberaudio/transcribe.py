"""Transcribe audio files with a CTC model: ``emberaudio-transcribe FILE [FILE ...] --model M``.

``--model`` is an ``emberaudio-finetune --task ctc`` output folder (``best.pt`` or ``best/``), a
``.pt`` checkpoint of ctc-rnn, or a Wav2Vec2/HuBERT CTC folder or hub name with a
``vocab.json``. Each file is mixed to mono and resampled to the model's rate (with a note on
stderr), then decoded greedily, or by prefix beam search with ``--beam-size N`` (optionally
constrained to the words of ``--lexicon``: a word list or ``word tok tok ...`` lines). Prints
``FILE<TAB>TRANSCRIPT`` per file.
"""

from __future__ import annotations

import argparse
import os
import sys

import ember

from ._cli import UserError, run_command
from ._finetune_ctc_models import load_ctc_model
from .datasets.utils import load_waveform
from .functional import resample
from .models.decoder import ctc_beam_search_decoder, ctc_greedy_decode

__all__ = ["build_parser", "cli", "main", "transcribe_file"]


def _read_audio(path: str, rate: int, notes) -> ember.Tensor:
    """``(1, frames)`` mono at ``rate``; notes (to stderr) on mixing and resampling."""
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such file")
    try:
        waveform, file_rate = load_waveform(path)
    except (RuntimeError, OSError) as exc:
        raise UserError(f"{path}: cannot read audio ({exc})") from None
    if waveform.shape[-1] == 0:
        raise UserError(f"{path}: the file holds no audio (0 frames); nothing to transcribe")
    if waveform.shape[0] != 1:
        notes(f"note: {path}: {waveform.shape[0]} channels mixed to mono")
        waveform = waveform.mean(dim=0, keepdim=True)
    if file_rate != rate:
        notes(f"note: {path}: resampled from {file_rate} Hz to the model's {rate} Hz")
        waveform = resample(waveform, file_rate, rate)
    return waveform


def _lexicon_words(path: str, tokens: list) -> list:
    """The lexicon as ``word tok ...`` lines, bare words upper-cased when the vocabulary is
    upper case (finetune's transcripts are), so ``zero`` matches the tokens Z E R O."""
    upper = any(t.isalpha() and t.isupper() for t in tokens if len(t) == 1)
    with open(path, encoding="utf-8") as f:
        lines = [line.split() for line in f if line.strip()]
    return [" ".join(parts) if len(parts) > 1 else
            (parts[0].upper() if upper else parts[0]) for parts in lines]


def transcribe_file(wrapped, path: str, decoder=None, notes=None) -> str:
    """The transcript of one audio file.

    Args:
        wrapped: a loaded recogniser (:func:`emberaudio._finetune_ctc_models.load_ctc_model`).
        path: the audio file.
        decoder: a :class:`~emberaudio.models.decoder.CTCBeamSearchDecoder` (None: greedy).
        notes: callable receiving notes about the conversion (default: print to stderr).
    """
    notes = notes or (lambda msg: print(msg, file=sys.stderr))
    waveform = _read_audio(path, wrapped.sample_rate, notes)
    min_frames = getattr(wrapped.model, "min_frames", 1)
    if waveform.shape[-1] < min_frames:  # shorter than one analysis window: pad with silence
        waveform = ember.nn.functional.pad(waveform, (0, min_frames - waveform.shape[-1]))
    lengths = ember.tensor([waveform.shape[-1]], dtype=ember.int64)
    with ember.no_grad():
        logits = wrapped.logits(waveform, lengths)
    vocab = wrapped.vocab
    if decoder is None:
        ids = ctc_greedy_decode(logits[0], blank=vocab.blank)
    else:
        ids = decoder(logits.log_softmax(-1))[0][0].tokens.tolist()
    return vocab.decode(ids)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``emberaudio-transcribe``."""
    p = argparse.ArgumentParser(prog="emberaudio-transcribe",
                                description="Print the transcript of audio files with a CTC "
                                            "model trained by emberaudio-finetune --task ctc.")
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files (WAV, FLAC, OGG...)")
    p.add_argument("--model", required=True,
                   help="a finetune --task ctc output folder, a .pt checkpoint, or a "
                        "Wav2Vec2/HuBERT CTC folder or hub name")
    p.add_argument("--beam-size", type=int, default=0, metavar="N",
                   help="prefix beam search with N beams (default 0: greedy decoding)")
    p.add_argument("--lexicon", help="with --beam-size: a file of allowed words (one per line, "
                                     "optionally followed by its spelling in tokens)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    return p


def main(argv=None) -> int:
    """Run the command; returns the exit status (2 for a user error)."""
    return run_command(build_parser(), argv, _transcribe)


def _transcribe(args) -> None:
    if args.beam_size < 0:
        raise UserError(f"--beam-size must be 0 (greedy) or more, got {args.beam_size}")
    if args.lexicon and not args.beam_size:
        raise UserError("--lexicon needs beam search: add --beam-size N (e.g. 16)")
    if args.lexicon and not os.path.isfile(args.lexicon):
        raise UserError(f"--lexicon {args.lexicon}: no such file")
    wrapped = load_ctc_model(args.model, args.device)
    decoder = None
    if args.beam_size:
        vocab = wrapped.vocab
        try:
            lexicon = _lexicon_words(args.lexicon, vocab.tokens) if args.lexicon else None
            decoder = ctc_beam_search_decoder(vocab.tokens, lexicon=lexicon,
                                              beam_size=args.beam_size, blank=vocab.blank,
                                              word_delimiter=vocab.delimiter)
        except ValueError as exc:
            raise UserError(f"--lexicon {args.lexicon}: {exc}") from None
    for path in args.files:
        print(f"{path}\t{transcribe_file(wrapped, path, decoder)}", flush=True)


def cli() -> None:
    """Console-script entry point (``emberaudio-transcribe``)."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
