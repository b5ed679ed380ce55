"""Pretrained Hugging Face audio classifiers behind the interface of emberaudio's own
classifiers (``model(waves (N, 1, time)) -> logits``, ``min_frames``, ``sample_rate``), for
``emberaudio-finetune --task classify --model <folder or hub name>`` and
``emberaudio-classify --model <folder>``.

Wav2Vec2 and HuBERT folders become ``*ForSequenceClassification`` with a head sized for the
data's labels; an AST folder (``MIT/ast-finetuned-*``) becomes ``ASTForAudioClassification``
with its Kaldi-fbank feature extractor. Checkpoints are written as Hugging Face folders
(``config.json`` + weights + ``preprocessor_config.json``) plus ``emberaudio.json`` (the
training options: clip length, epoch, accuracy), which transformers ignores.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

from ember import nn

from .classify import UserError

__all__ = ["PretrainedClassifier", "is_pretrained_folder", "load_pretrained_classifier",
           "pretrained_sample_rate", "read_run_info"]

RUN_INFO = "emberaudio.json"
_AST_TYPE = "audio-spectrogram-transformer"


def _resolve(name: str, filename: str, required: bool = True) -> str | None:
    from ember.utils.pretrained import resolve_file
    try:
        return resolve_file(name, filename, required=required)
    except (FileNotFoundError, OSError) as exc:  # DownloadError is an OSError too
        raise UserError(f"--model {name}: {exc}") from None


def _read_json(path: str | None) -> dict:
    if path is None:
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def is_pretrained_folder(path: str) -> bool:
    """Whether ``path`` is a local Hugging Face model folder (it holds a ``config.json``)."""
    return os.path.isfile(os.path.join(path, "config.json"))


def pretrained_sample_rate(name: str) -> int:
    """The rate a folder / hub model takes: its ``preprocessor_config.json``'s
    ``sampling_rate`` (16000, the rate of every published wav2vec2/HuBERT/AST, without one)."""
    pre = _read_json(_resolve(name, "preprocessor_config.json", required=False))
    return int(pre.get("sampling_rate", 16000))


def _conv_min_frames(config) -> int:
    """The shortest waveform giving one frame through the conv feature encoder: walking back
    from one output frame, each layer needs ``(frames - 1) * stride + kernel``."""
    frames = 1
    for kernel, stride in reversed(list(zip(config.conv_kernel, config.conv_stride))):
        frames = (frames - 1) * stride + kernel
    return frames


class PretrainedClassifier(nn.Module):
    """A Hugging Face audio classifier taking ``(N, 1, time)`` waveforms.

    Args:
        model: a ``Wav2Vec2ForSequenceClassification``, ``HubertForSequenceClassification`` or
            ``ASTForAudioClassification``.
        sample_rate: the rate it takes.
        preprocessor: the folder's ``preprocessor_config.json`` as a dict (``do_normalize``;
            for AST the fbank settings).

    Wav2Vec2/HuBERT input is normalised per clip to zero mean and unit variance when
    ``do_normalize`` (the feature extractor's rule). The statistics cover the whole fixed-length
    clip, zero padding included: training and classification both see clips cut or padded to
    ``--clip-seconds``, so the model sees the same framing either way, and no attention mask is
    passed (as transformers' feature extractor does for the base models, trained on padded
    batches).
    """

    def __init__(self, model, sample_rate: int, preprocessor: dict | None = None) -> None:
        super().__init__()
        pre = dict(preprocessor or {})
        self.model, self.sample_rate = model, sample_rate
        self.is_ast = model.config.model_type == _AST_TYPE
        self.normalize = bool(pre.get("do_normalize", True))
        self.preprocessor = pre
        if self.is_ast:
            from .models.ast import ASTFeatureExtractor
            keys = ("num_mel_bins", "max_length", "do_normalize", "mean", "std")
            self.features = ASTFeatureExtractor(sampling_rate=sample_rate,
                                                **{k: pre[k] for k in keys if k in pre})

    @property
    def labels(self) -> list:
        """Class names in index order (the config's ``id2label``)."""
        id2label = self.model.config.id2label
        return [id2label[i] for i in range(len(id2label))]

    @property
    def min_frames(self) -> int:
        """The shortest clip: one conv frame (wav2vec2/HuBERT) or one 25 ms fbank frame."""
        if self.is_ast:
            return int(self.sample_rate * 0.025)
        return _conv_min_frames(self.model.config)

    def forward(self, waves):
        """Logits ``(N, num_labels)`` for ``(N, 1, time)`` mono waveforms."""
        waves = waves[:, 0]
        if self.is_ast:
            feats = self.features(waves, sampling_rate=self.sample_rate)["input_values"]
            return self.model(feats.to(waves.device)).logits
        if self.normalize:
            mean = waves.mean(dim=-1, keepdim=True)
            var = waves.var(dim=-1, keepdim=True, unbiased=False)
            waves = (waves - mean) / (var + 1e-7).sqrt()
        return self.model(waves).logits

    def freeze_feature_encoder(self) -> None:
        """Keep the convolutional feature encoder fixed (wav2vec2/HuBERT only)."""
        if self.is_ast:
            raise UserError("--freeze-feature-encoder: an AST model has no convolutional "
                            "feature encoder; drop the option")
        self.model.freeze_feature_encoder()

    def save(self, out: str, name: str, extra: dict) -> str:
        """Write ``out/name/`` as a Hugging Face folder plus :data:`RUN_INFO`."""
        folder = os.path.join(out, name)
        self.model.save_pretrained(folder)
        if self.is_ast:
            pre = {"feature_extractor_type": "ASTFeatureExtractor", "feature_size": 1,
                   "padding_value": 0.0, "return_attention_mask": False,
                   "sampling_rate": self.sample_rate,
                   **{k: getattr(self.features, k) for k in ("num_mel_bins", "max_length",
                                                             "do_normalize", "mean", "std")}}
        else:
            # transformers' layout; base models (group norm) were trained without a mask.
            mask = getattr(self.model.config, "feat_extract_norm", "group") == "layer"
            pre = {"feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": 1,
                   "padding_side": "right", "padding_value": 0.0,
                   "return_attention_mask": mask, "do_normalize": self.normalize,
                   "sampling_rate": self.sample_rate}
        with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
            json.dump(pre, f, indent=2)
        with open(os.path.join(folder, RUN_INFO), "w") as f:
            json.dump(extra, f, indent=2, default=str)
        return folder


def _model_class(model_type: str, name: str):
    from .models.ast import ASTForAudioClassification
    from .models.hubert import HubertForSequenceClassification
    from .models.wav2vec2 import Wav2Vec2ForSequenceClassification
    table = {"wav2vec2": Wav2Vec2ForSequenceClassification,
             "hubert": HubertForSequenceClassification, _AST_TYPE: ASTForAudioClassification}
    if model_type not in table:
        raise UserError(f"--model {name}: model_type {model_type!r} in its config.json is not "
                        f"an audio classifier emberaudio builds; use a folder of one of "
                        f"{sorted(table)}")
    return table[model_type]


def load_pretrained_classifier(name: str, labels: list | None = None,
                               freeze_feature_encoder: bool = False) -> PretrainedClassifier:
    """A :class:`PretrainedClassifier` from a Hugging Face folder or hub name.

    Args:
        name: the folder or hub name (``facebook/wav2vec2-base``).
        labels: the class names of the data to train on: the head gets ``len(labels)``
            outputs and ``id2label``/``label2id``; a checkpoint head of another size (or none:
            a CTC or base checkpoint) is initialised afresh and named in a note on stderr.
            None: the folder's own head and labels (for classification).
        freeze_feature_encoder: keep the conv feature encoder fixed.
    """
    config = _read_json(_resolve(name, "config.json"))
    pre = _read_json(_resolve(name, "preprocessor_config.json", required=False))
    cls = _model_class((config.get("model_type") or "").lower(), name)
    kwargs = {}
    if labels is not None:
        id2label = {i: str(label) for i, label in enumerate(labels)}
        kwargs = {"id2label": id2label, "label2id": {v: k for k, v in id2label.items()},
                  "ignore_mismatched_sizes": True}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = cls.from_pretrained(name, **kwargs)
        except (FileNotFoundError, OSError, RuntimeError) as exc:
            raise UserError(f"--model {name}: {exc}") from None
    for w in caught:  # a fresh head is expected when fine-tuning: a note, not a warning
        print(f"note: {w.message}", file=sys.stderr)
    wrapped = PretrainedClassifier(model, int(pre.get("sampling_rate", 16000)), pre)
    if freeze_feature_encoder:
        wrapped.freeze_feature_encoder()
    return wrapped


def read_run_info(folder: str) -> dict:
    """The :data:`RUN_INFO` written with a fine-tuned folder ({} for any other folder)."""
    path = os.path.join(folder, RUN_INFO)
    return _read_json(path) if os.path.isfile(path) else {}
