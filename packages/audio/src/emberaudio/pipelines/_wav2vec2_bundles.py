"""torchaudio's pretrained Wav2Vec2 / HuBERT bundles (``torchaudio.pipelines.WAV2VEC2_*``,
``HUBERT_*``): the same checkpoint files, downloaded from download.pytorch.org through
:mod:`ember.hub`, read with :func:`ember.load` (no torch, no code run), renamed to the
Hugging Face layout of :mod:`emberaudio.models.wav2vec2` / :mod:`emberaudio.models.hubert`
and loaded strictly.

    bundle = emberaudio.pipelines.WAV2VEC2_ASR_BASE_960H
    model = bundle.get_model()
    waveform = emberaudio.functional.resample(waveform, sample_rate, bundle.sample_rate)
    emissions, _ = model(waveform)                 # (batch, frames, len(bundle.get_labels()))
    print(bundle.decode(emissions))                # greedy CTC, e.g. ['I HAD THAT CURIOSITY']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ember
from ember import nn
from ember.nn import functional as F

from ._key_conversion import _remove_aux_rows, import_torchaudio_state_dict

__all__ = ["Wav2Vec2ASRBundle", "Wav2Vec2Bundle", "Wav2Vec2BundleModel"]

_BASE_URL = "https://download.pytorch.org/torchaudio/models/"


def _config_kwargs(params: dict) -> dict:
    """torchaudio's ``wav2vec2_model`` / ``wavlm_model`` arguments as the keyword arguments
    the Hugging Face configs (Wav2Vec2, HuBERT, WavLM) share (the inverse of torchaudio's
    ``import_huggingface._get_config``)."""
    conv = params["extractor_conv_layer_config"]
    return dict(
        vocab_size=params["aux_num_out"] or 32,  # unused without a CTC head
        hidden_size=params["encoder_embed_dim"],
        num_hidden_layers=params["encoder_num_layers"],
        num_attention_heads=params["encoder_num_heads"],
        intermediate_size=params["encoder_ff_interm_features"],
        hidden_dropout=params["encoder_dropout"],
        activation_dropout=params["encoder_ff_interm_dropout"],
        attention_dropout=params["encoder_attention_dropout"],
        feat_proj_dropout=params["encoder_projection_dropout"],
        layerdrop=params["encoder_layer_drop"],
        feat_extract_norm=params["extractor_mode"].removesuffix("_norm"),
        conv_dim=[c[0] for c in conv], conv_kernel=[c[1] for c in conv],
        conv_stride=[c[2] for c in conv], conv_bias=params["extractor_conv_bias"],
        num_conv_pos_embeddings=params["encoder_pos_conv_kernel"],
        num_conv_pos_embedding_groups=params["encoder_pos_conv_groups"],
        do_stable_layer_norm=params["encoder_layer_norm_first"],
        # torchaudio's Wav2Vec2Model has no SpecAugment vector and no dropout before its head.
        apply_spec_augment=False, mask_time_prob=0.0, final_dropout=0.0,
    )


def _hf_config(params: dict, model_type: str):
    """torchaudio's ``wav2vec2_model`` arguments as a Wav2Vec2Config / HubertConfig."""
    from ..models.hubert import HubertConfig
    from ..models.wav2vec2 import Wav2Vec2Config

    cls = HubertConfig if model_type == "HuBERT" else Wav2Vec2Config
    return cls(**_config_kwargs(params))


def _hf_model(params: dict, model_type: str) -> nn.Module:
    from ..models.hubert import HubertForCTC, HubertModel
    from ..models.wav2vec2 import Wav2Vec2ForCTC, Wav2Vec2Model

    config = _hf_config(params, model_type)
    hubert = model_type == "HuBERT"
    if params["aux_num_out"] is None:
        return (HubertModel if hubert else Wav2Vec2Model)(config)
    return (HubertForCTC if hubert else Wav2Vec2ForCTC)(config)


class Wav2Vec2BundleModel(nn.Module):
    """What a bundle's :meth:`~Wav2Vec2Bundle.get_model` returns: torchaudio's
    ``Wav2Vec2Model`` calling convention around the Hugging Face-named model in ``.model``
    (:class:`~emberaudio.models.wav2vec2.Wav2Vec2Model`, ``Wav2Vec2ForCTC``, or the HuBERT
    ones).

    Args:
        model: the Hugging Face-named model.
        normalize_waveform: layer-normalise the input first, as torchaudio does for the
            large LV-60k / XLSR / HuBERT-large bundles (over the whole ``(batch, time)``
            tensor at once, like torchaudio's ``layer_norm(waveforms, waveforms.shape)``).

    Forward args:
        waveforms: ``(batch, time)`` audio at the bundle's ``sample_rate``.
        lengths: optional ``(batch,)`` valid samples per clip (right padding).

    Returns:
        ``(output, lengths)``: for an ASR bundle ``output`` is the CTC logits ``(batch,
        frames, len(labels))`` (blank = index 0, not log-softmaxed); otherwise the encoder's
        ``(batch, frames, hidden)`` features. ``lengths`` are the valid frames per clip
        (``None`` when no lengths were given).

    Example:
        >>> model = WAV2VEC2_ASR_BASE_960H.get_model()
        >>> emissions, frames = model(ember.randn(2, 16000), ember.tensor([16000, 8000]))
        >>> emissions.shape, frames.tolist()
        (ember.Size([2, 49, 29]), [49, 24])
    """

    def __init__(self, model: nn.Module, normalize_waveform: bool = False):
        super().__init__()
        self.model = model
        self.normalize_waveform = normalize_waveform

    def _prepare(self, waveforms, lengths):
        if waveforms.ndim != 2:
            raise ValueError(f"Wav2Vec2BundleModel: expected waveforms of shape (batch, time), "
                             f"got {tuple(waveforms.shape)}; add the batch dimension with "
                             f"waveforms.unsqueeze(0) or mix channels to mono")
        if self.normalize_waveform:
            waveforms = F.layer_norm(waveforms, tuple(waveforms.shape))
        mask = None
        if lengths is not None:
            samples = ember.arange(waveforms.shape[1], device=waveforms.device)
            mask = (samples[None, :] < lengths[:, None]).long()
        return waveforms, mask

    def _frames(self, lengths):
        if lengths is None:
            return None
        # Conv1d's (L - kernel) // stride + 1 per layer, floored at 0 like torchaudio's.
        for kernel, stride in zip(self.model.config.conv_kernel, self.model.config.conv_stride):
            lengths = ((lengths - kernel) // stride + 1).clamp(min=0)
        return lengths

    def forward(self, waveforms, lengths=None):
        x, mask = self._prepare(waveforms, lengths)
        out = self.model(x, attention_mask=mask)
        output = out.logits if hasattr(out, "logits") else out.last_hidden_state
        return output, self._frames(lengths)

    def extract_features(self, waveforms, lengths=None, num_layers: int | None = None):
        """The output of each Transformer layer (torchaudio's ``extract_features``).

        Args:
            waveforms: ``(batch, time)``.
            lengths: optional ``(batch,)`` valid samples per clip.
            num_layers: stop after this many layers (default: all).

        Returns:
            ``(features, lengths)``: a list of ``num_layers`` tensors ``(batch, frames,
            hidden)``, layer 1 first; the large pre-norm models' last entry is taken before
            the encoder's final LayerNorm, as in torchaudio.
        """
        base = self.model.base_model
        encoder = base.encoder
        if num_layers is not None and not 0 < num_layers <= len(encoder.layers):
            raise ValueError(f"extract_features: num_layers must be in [1, "
                             f"{len(encoder.layers)}], got {num_layers}")
        x, mask = self._prepare(waveforms, lengths)
        hidden = base.feature_extractor(x).transpose(1, 2)
        hidden, _ = base.feature_projection(hidden)
        attn = None
        if mask is not None:
            frames = base._get_feature_vector_attention_mask(hidden.shape[1], mask)
            hidden = ember.where(frames[..., None], hidden, 0.0)
            attn = frames[:, None, None, :]
        # the encoder's forward up to each layer's output (HF's hidden_states are the layers'
        # inputs and end with the final LayerNorm, torchaudio's list does not)
        hidden = hidden + encoder.pos_conv_embed(hidden)
        if not encoder.stable:
            hidden = encoder.layer_norm(hidden)
        hidden = encoder.dropout(hidden)
        features = []
        for layer in encoder.layers[:num_layers]:  # over layers, not data
            hidden, _ = layer(hidden, attn)
            features.append(hidden)
        return features, self._frames(lengths)


def _use_torchaudio_names(module: nn.Module, export: Callable, convert: Callable) -> None:
    """Make ``module`` (a :class:`Wav2Vec2BundleModel` whose ``.model`` is Hugging
    Face-named) speak torchaudio's state_dict names: ``state_dict()`` returns them
    (``export``: HF -> torchaudio) and ``load_state_dict`` accepts them (``convert``:
    ``(torchaudio state_dict, hf_prefix)`` -> HF). Both hooks work in place under the
    module's prefix, so the model also works nested in a bigger Module; keys already in the
    Hugging Face spelling (``model.*``) are left alone, and names neither converter knows are
    left for the strict check to report as unexpected."""
    inner = "model."

    def to_torchaudio(module, destination, prefix, local_metadata):
        keys = [k for k in destination if k.startswith(prefix + inner)]
        hf = {k[len(prefix + inner):]: destination.pop(k) for k in keys}
        for name, value in export(hf).items():
            destination[prefix + name] = value

    def from_torchaudio(module, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        base = module.model
        hf_prefix = base.base_model_prefix if base.base_model is not base else ""
        ours = {k[len(prefix):]: k for k in list(state_dict)
                if k.startswith(prefix) and not k.startswith(prefix + inner)}
        convertible = {}
        for name, key in ours.items():
            try:
                convert({name: state_dict[key]}, hf_prefix)
            except RuntimeError:
                continue  # not a torchaudio name: left for the strict check to report
            convertible[name] = state_dict.pop(key)
        for name, value in convert(convertible, hf_prefix).items():
            state_dict[prefix + inner + name] = value

    module.register_state_dict_post_hook(to_torchaudio)
    module._register_load_state_dict_pre_hook(from_torchaudio, with_module=True)


@dataclass
class Wav2Vec2Bundle:
    """A pretrained Wav2Vec2 / HuBERT encoder (``torchaudio.pipelines.Wav2Vec2Bundle``).

    Use the module-level instances (:data:`WAV2VEC2_BASE`, :data:`HUBERT_LARGE`, ...); a
    bundle of your own takes torchaudio's ``wav2vec2_model`` arguments as ``_params``.

    Example:
        >>> bundle = emberaudio.pipelines.HUBERT_BASE
        >>> model = bundle.get_model()
        >>> waveform = emberaudio.functional.resample(waveform, sr, bundle.sample_rate)
        >>> features, _ = model.extract_features(waveform)
    """

    _path: str
    _params: dict
    _sample_rate: float
    _normalize_waveform: bool
    # "Wav2Vec2" or "HuBERT": which Hugging Face class family to build. (torchaudio says
    # "Wav2Vec2" for both: one network; our HF-named classes differ by checkpoint prefix.)
    _model_type: str

    @property
    def sample_rate(self) -> float:
        """The sample rate (Hz) the model was trained on: 16000."""
        return self._sample_rate

    def _url(self) -> str:
        return self._path if "://" in self._path else _BASE_URL + self._path

    def _get_state_dict(self, dl_kwargs):
        kwargs = {"map_location": "cpu", **(dl_kwargs or {})}
        return dict(ember.hub.load_state_dict_from_url(self._url(), **kwargs))

    def _load_pretrained(self, model: nn.Module, convert: Callable, dl_kwargs) -> nn.Module:
        """Download this bundle's checkpoint, convert its torchaudio keys with ``convert``
        (``(state_dict, prefix) -> Hugging Face-named state_dict``) and load it strictly into
        ``model`` (the Hugging Face-named network); every missing / unexpected key is named
        before anything is loaded. Shared by the Wav2Vec2 / HuBERT and WavLM bundles."""
        prefix = model.base_model_prefix if model.base_model is not model else ""
        state = convert(self._get_state_dict(dl_kwargs), prefix)
        own = model.state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if missing or unexpected:
            raise RuntimeError(
                f"{type(self).__name__}.get_model: {self._url()} does not match the "
                f"{type(model).__name__} of this bundle: missing keys {missing}, unexpected "
                f"keys {unexpected} (Hugging Face names)")
        model.load_state_dict(state, strict=True)
        return model

    def get_model(self, *, dl_kwargs: dict | None = None) -> Wav2Vec2BundleModel:
        """Build the model and load the pretrained weights.

        The torchaudio checkpoint is downloaded once into ``<ember.hub.get_dir()>/checkpoints``
        (:func:`ember.hub.load_state_dict_from_url`), its keys converted with
        :func:`~emberaudio.pipelines.import_torchaudio_state_dict` and loaded strictly.

        Args:
            dl_kwargs: passed to :func:`ember.hub.load_state_dict_from_url` (``model_dir``,
                ``progress``, ``file_name``, ``check_hash``, ``map_location``).

        Returns:
            :class:`Wav2Vec2BundleModel` in eval mode; its ``.model`` is the Hugging
            Face-named model.

        Raises:
            RuntimeError: a checkpoint key that cannot be converted, or keys missing /
                unexpected / of the wrong shape for this bundle's architecture (all named).
            ember.hub.DownloadError: the file could not be downloaded.
        """
        model = self._load_pretrained(_hf_model(self._params, self._model_type),
                                      import_torchaudio_state_dict, dl_kwargs)
        # torchaudio's model class: its state_dict() speaks torchaudio's key names too
        from ..models._torchaudio_wav2vec2 import TorchaudioWav2Vec2Model

        wrapped = TorchaudioWav2Vec2Model(model, normalize_waveform=self._normalize_waveform)
        wrapped.eval()
        return wrapped


@dataclass
class Wav2Vec2ASRBundle(Wav2Vec2Bundle):
    """A Wav2Vec2 / HuBERT model fine-tuned for speech recognition with CTC
    (``torchaudio.pipelines.Wav2Vec2ASRBundle``): the model's output is ``(batch, frames,
    len(get_labels()))`` logits, class 0 the CTC blank, ``'|'`` the word boundary.

    Example:
        >>> bundle = emberaudio.pipelines.WAV2VEC2_ASR_BASE_960H
        >>> model = bundle.get_model()
        >>> emissions, _ = model(waveform)
        >>> bundle.decode(emissions)
        ['I HAD THAT CURIOSITY BESIDE ME AT THIS MOMENT']
    """

    _labels: tuple
    # fairseq's dictionary rows the CTC head carries but never predicts (see _remove_aux_rows)
    _remove_aux_axis: tuple = (1, 2, 3)

    def get_labels(self, *, blank: str = "-") -> tuple:
        """The output classes, blank first.

        Args:
            blank: the symbol for the blank class (``'-'``).

        Example:
            >>> WAV2VEC2_ASR_BASE_960H.get_labels()[:5]
            ('-', '|', 'E', 'T', 'A')
        """
        return (blank, *self._labels)

    def _get_state_dict(self, dl_kwargs):
        state = super()._get_state_dict(dl_kwargs)
        if self._remove_aux_axis:
            _remove_aux_rows(state, self._remove_aux_axis)
        return state

    def decode(self, emissions, lengths=None) -> list[str]:
        """Greedy (best-path) CTC transcripts of ``emissions`` (an Ember convenience, not in
        torchaudio): the best class per frame, repeats collapsed, blanks dropped, ``'|'`` read
        as a space.

        Args:
            emissions: ``(batch, frames, classes)`` model output.
            lengths: optional ``(batch,)`` valid frames (the model's second output).

        Returns:
            One string per clip.
        """
        from ..models.decoder import ctc_greedy_decode

        labels = self.get_labels()
        if emissions.shape[-1] != len(labels):
            raise ValueError(f"{type(self).__name__}.decode: emissions have "
                             f"{emissions.shape[-1]} classes, this bundle has {len(labels)} "
                             f"labels")
        ids = ctc_greedy_decode(emissions, blank=0, lengths=lengths)
        return [" ".join("".join(labels[i] for i in seq).replace("|", " ").split())
                for seq in ids]
