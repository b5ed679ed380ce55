"""The models of ``emberaudio-finetune --task ctc`` behind one interface (``logits``,
``loss_and_logits``, ``output_lengths``, ``save``, ``.vocab``, ``.sample_rate``): the
from-scratch ctc-rnn and a pretrained Hugging Face ``*ForCTC`` model; and loading either from
a run folder, a checkpoint or a model folder / hub name (what ``emberaudio-transcribe`` uses).
"""

from __future__ import annotations

import json
import os
import warnings

import ember
import ember.nn.functional as F

from ._finetune_ctc import CTC_FORMAT, Vocabulary
from .classify import UserError
from .models.ctc_model import CTCSpeechModel

__all__ = ["load_ctc_model", "load_pretrained"]


class _Scratch:
    """The ctc-rnn model behind one interface: ``loss_and_logits``, ``output_lengths``."""

    kind = "scratch"

    def __init__(self, model: CTCSpeechModel, vocab: Vocabulary) -> None:
        self.model, self.vocab, self.sample_rate = model, vocab, model.sample_rate

    def output_lengths(self, lengths):
        return self.model.output_lengths(lengths)

    def logits(self, waves, lengths, augment=()):
        spec = self.model.spectrogram(waves)
        if "specaugment" in augment:
            from .transforms import FrequencyMasking, TimeMasking
            floor = float(spec.min())  # mask to silence, not 0 dB
            spec = TimeMasking(8, iid_masks=True)(FrequencyMasking(6, iid_masks=True)(
                spec[:, None], floor), floor)[:, 0]
        return self.model.encode(spec)

    def loss_and_logits(self, waves, lengths, targets, target_lengths, augment=()):
        logits = self.logits(waves, lengths, augment)
        out_len = self.output_lengths(lengths).clamp(max=logits.shape[1])
        log_probs = logits.log_softmax(-1).transpose(0, 1)
        # zero_infinity: a clip too short for its transcript must not poison the batch.
        loss = F.ctc_loss(log_probs, targets, out_len, target_lengths, blank=self.vocab.blank,
                          zero_infinity=True)
        return loss, logits

    def save(self, out: str, name: str, extra: dict) -> str:
        path = os.path.join(out, f"{name}.pt")
        ember.save({"format": CTC_FORMAT, "model": self.model.state_dict(),
                    "model_config": self.model.config(), "vocab": self.vocab.tokens,
                    "blank": self.vocab.blank, **extra}, path)
        return path


class _Pretrained:
    """A Hugging Face ``*ForCTC`` model (wav2vec2/HuBERT): the model computes its own loss
    from labels padded with -100, its blank is ``config.pad_token_id``."""

    kind = "pretrained"

    def __init__(self, model, vocab: Vocabulary, sample_rate: int, normalize: bool) -> None:
        self.model, self.vocab, self.sample_rate, self.normalize = (model, vocab, sample_rate,
                                                                    normalize)

    def output_lengths(self, lengths):
        fn = getattr(self.model, "_get_feat_extract_output_lengths", None)
        return fn(lengths) if fn is not None else None

    def _inputs(self, waves, lengths):
        mask = (ember.arange(waves.shape[1])[None, :] < lengths[:, None])
        if self.normalize:  # the feature extractor's per-utterance zero mean, unit variance
            m = mask.to(waves.dtype)
            n = lengths.to(waves.dtype)[:, None]
            mean = (waves * m).sum(-1, keepdim=True) / n
            var = (((waves - mean) * m) ** 2).sum(-1, keepdim=True) / n
            waves = (waves - mean) / (var + 1e-7).sqrt() * m
        return waves, mask.to(ember.int64)

    def logits(self, waves, lengths, augment=()):
        waves, mask = self._inputs(waves, lengths)
        return self.model(waves, attention_mask=mask).logits

    def loss_and_logits(self, waves, lengths, targets, target_lengths, augment=()):
        waves, mask = self._inputs(waves, lengths)
        labels = targets.masked_fill(ember.arange(targets.shape[1])[None, :]
                                     >= target_lengths[:, None], -100)
        out = self.model(waves, attention_mask=mask, labels=labels)
        return out.loss, out.logits

    def save(self, out: str, name: str, extra: dict) -> str:
        folder = os.path.join(out, name)
        self.model.save_pretrained(folder)
        self.vocab.to_json(os.path.join(folder, "vocab.json"))
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump({"sampling_rate": self.sample_rate, "do_normalize": self.normalize,
                       "feature_size": 1, "padding_value": 0.0}, f)
        return folder


def _model_class(config_json: str):
    from .models import HubertForCTC, Wav2Vec2ForCTC

    with open(config_json) as f:
        cfg = json.load(f)
    kind = (cfg.get("model_type") or "").lower()
    return HubertForCTC if kind == "hubert" else Wav2Vec2ForCTC


def load_pretrained(name: str, vocab: Vocabulary | None = None, freeze: bool = False):
    """A :class:`_Pretrained` from a Hugging Face folder or hub name. Its ``vocab.json`` gives
    the vocabulary; without one, ``vocab`` (built from the data) sizes a fresh CTC head."""
    from ember.utils.pretrained import resolve_file
    try:
        config_json = resolve_file(name, "config.json")
        vocab_json = resolve_file(name, "vocab.json", required=False)
        pre_json = resolve_file(name, "preprocessor_config.json", required=False)
    except (FileNotFoundError, OSError) as exc:
        raise UserError(f"--model {name}: {exc}") from None
    pre = {}
    if pre_json:
        with open(pre_json) as f:
            pre = json.load(f)
    cls = _model_class(config_json)
    if vocab_json:
        vocab = Vocabulary.from_json(vocab_json)
        model = cls.from_pretrained(name)
        vocab.blank = int(getattr(model.config, "pad_token_id", 0) or 0)
    elif vocab is not None:
        # A head for another vocabulary is re-initialised (named in a warning), as in
        # transformers' CTC fine-tuning recipe.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "(?s).*newly initialised.*", UserWarning)
            model = cls.from_pretrained(name, vocab_size=len(vocab), pad_token_id=vocab.blank,
                                        ignore_mismatched_sizes=True)
    else:
        raise UserError(f"--model {name}: no vocab.json in the model folder; it cannot "
                        "decode (fine-tune it first with emberaudio-finetune --task ctc)")
    if freeze:
        model.freeze_feature_encoder()
    return _Pretrained(model, vocab, int(pre.get("sampling_rate", 16000)),
                       bool(pre.get("do_normalize", True)))


def load_ctc_model(path: str, device: str = "cpu"):
    """A trained recogniser from an ``emberaudio-finetune --task ctc`` output: a run folder
    (``best.pt`` or ``best/``), a ``.pt`` checkpoint, or a Hugging Face folder / hub name."""
    if os.path.isdir(path):
        for candidate in ("best.pt", "last.pt"):
            if os.path.isfile(os.path.join(path, candidate)):
                return load_ctc_model(os.path.join(path, candidate), device)
        for candidate in ("best", "last"):
            if os.path.isfile(os.path.join(path, candidate, "config.json")):
                path = os.path.join(path, candidate)
                break
        if not os.path.isfile(os.path.join(path, "config.json")):
            raise UserError(f"--model {path}: no best.pt, best/ or config.json in the folder; "
                            "train one with emberaudio-finetune --task ctc --out DIR")
    elif os.path.isfile(path):
        try:
            ckpt = ember.load(path, map_location=device)
        except Exception as exc:  # an unreadable file: say which and why
            raise UserError(f"--model {path}: cannot read it ({exc})") from None
        if not isinstance(ckpt, dict) or ckpt.get("format") != CTC_FORMAT:
            raise UserError(f"--model {path}: not an emberaudio-finetune --task ctc "
                            f"checkpoint (no 'format': '{CTC_FORMAT}' entry)")
        model = CTCSpeechModel(**ckpt["model_config"])
        model.load_state_dict(ckpt["model"])
        model.to(device).eval()
        return _Scratch(model, Vocabulary(ckpt["vocab"], blank=ckpt.get("blank", 0)))
    elif os.path.sep in path or path.endswith(".pt"):
        raise UserError(f"--model {path}: no such file or folder")
    wrapped = load_pretrained(path)
    wrapped.model.to(device).eval()
    return wrapped
