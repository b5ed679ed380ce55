"""Models in the Hugging Face folder layout: ``PretrainedConfig`` and ``PreTrainedModel``.

A model folder holds ``config.json`` and the weights as ``model.safetensors`` (or the older
``pytorch_model.bin``, a ``torch.save`` zip or legacy file; or a sharded checkpoint with a
``*.index.json`` naming the shards). :meth:`PreTrainedModel.from_pretrained` reads such a folder
or downloads one from the Hugging Face hub through :mod:`ember.hub` (cached there), renames the
checkpoint's keys to the model's (the base-model prefix added or removed, old LayerNorm names),
and loads strictly: every parameter must be found, every checkpoint entry used. Configurations
keep the defaults of ``transformers``' classes of the same name; keys a class does not know are
kept as attributes and written back, so a config.json survives a load/save round trip.

:class:`ModelOutput` (defined in ``_model_output.py``) is the base of the models' output
records. The domain packages build on this (embertext's BERT/GPT-2/BART, emberaudio's
Wav2Vec2/HuBERT), so each of them loads published checkpoints without depending on the others.

Loading never runs code from a file: safetensors, or :func:`ember.load`'s restricted unpickler.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import re
import warnings

import ember
from ember import nn
from ember.serialization import load_safetensors, save_safetensors

from ._model_output import ModelOutput

__all__ = [
    "CONFIG_NAME", "HF_ENDPOINT", "SAFE_WEIGHTS_NAME", "WEIGHTS_NAME", "ModelOutput",
    "PreTrainedModel", "PretrainedConfig", "activation", "load_checkpoint", "resolve_file",
]

CONFIG_NAME = "config.json"
SAFE_WEIGHTS_NAME = "model.safetensors"
WEIGHTS_NAME = "pytorch_model.bin"
# Where hub names are fetched from; the HF_ENDPOINT environment variable overrides it, as in
# huggingface_hub (mirrors, or a local server in tests).
HF_ENDPOINT = "https://huggingface.co"


_HUB_NAME = re.compile(r"[\w.-]+(/[\w.-]+)?")  # 'bert-base-uncased' or 'org/model'


def activation(name: str):
    """The function a config's ``hidden_act`` names (transformers' ACT2FN): 'gelu' is the exact
    erf form, 'gelu_new' / 'gelu_pytorch_tanh' the tanh approximation."""
    F = nn.functional
    table = {
        "gelu": F.gelu,
        "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
        "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "relu": F.relu,
        "silu": F.silu,
        "swish": F.silu,
        "tanh": ember.tanh,
    }
    if name not in table:
        raise ValueError(f"unsupported activation {name!r}: expected one of {sorted(table)}")
    return table[name]


def _hub_url(name: str, filename: str, revision: str) -> str:
    endpoint = os.environ.get("HF_ENDPOINT", HF_ENDPOINT).rstrip("/")
    return f"{endpoint}/{name}/resolve/{revision}/{filename}"


def _hub_folder(name: str, revision: str) -> str:
    # One cache folder per repository and revision, inside ember.hub's cache.
    safe = name.replace("/", "--")
    return os.path.join(ember.hub.get_dir(), "huggingface", f"models--{safe}", revision)


def resolve_file(name_or_path: str, filename: str, revision: str = "main",
                  required: bool = True) -> str | None:
    """The local path of ``filename`` in a model folder, downloading it for a hub name.

    Returns None when the file does not exist and ``required`` is False (a 404 from the hub)."""
    if os.path.isdir(name_or_path):
        path = os.path.join(name_or_path, filename)
        if os.path.isfile(path):
            return path
        if required:
            raise FileNotFoundError(f"from_pretrained: {name_or_path} has no {filename}")
        return None
    if not _HUB_NAME.fullmatch(name_or_path):
        raise FileNotFoundError(
            f"from_pretrained: {name_or_path!r} is neither a local folder nor a hub model name "
            f"like 'bert-base-uncased' or 'sentence-transformers/all-MiniLM-L6-v2'"
        )
    cached = os.path.join(_hub_folder(name_or_path, revision), filename)
    if os.path.isfile(cached):
        return cached
    url = _hub_url(name_or_path, filename, revision)
    try:
        return ember.hub.download(url, os.path.dirname(cached), filename=filename,
                                  progress=False, resume=False)
    except ember.hub.DownloadError as exc:
        if not required and ("404" in str(exc) or "Not Found" in str(exc)):
            return None
        raise


def _load_weight_file(path: str) -> dict:
    if path.endswith(".safetensors"):
        return load_safetensors(path)
    state = ember.load(path, map_location="cpu")
    if not isinstance(state, dict):
        raise RuntimeError(f"from_pretrained: {path} does not hold a state dict "
                           f"(got {type(state).__name__})")
    return state


def load_checkpoint(name_or_path: str, revision: str) -> dict:
    """The checkpoint's state dict: safetensors first, then pytorch_model.bin, each possibly
    sharded (``<name>.index.json`` with a ``weight_map`` of key -> shard file)."""
    for weights in (SAFE_WEIGHTS_NAME, WEIGHTS_NAME):
        path = resolve_file(name_or_path, weights, revision, required=False)
        if path is not None:
            return _load_weight_file(path)
        index = resolve_file(name_or_path, weights + ".index.json", revision, required=False)
        if index is not None:
            with open(index, encoding="utf-8") as fh:
                shards = sorted(set(json.load(fh)["weight_map"].values()))
            state = {}
            for shard in shards:
                state.update(_load_weight_file(resolve_file(name_or_path, shard, revision)))
            return state
    raise FileNotFoundError(
        f"from_pretrained: no weights found for {name_or_path}: expected {SAFE_WEIGHTS_NAME} "
        f"or {WEIGHTS_NAME} (or a sharded {SAFE_WEIGHTS_NAME}.index.json)"
    )


class PretrainedConfig:
    """Base class of the model configurations (``transformers.PretrainedConfig``).

    Holds the keys common to every model (labels, special token ids, architectures) and any
    unknown key given to the constructor.

    Args:
        num_labels: number of output classes of a classification head (default 2); ignored
            when ``id2label`` is given (its length wins, as in transformers).
        id2label, label2id: class index <-> name maps (config.json stores the index as a string).
        problem_type: ``'regression'``, ``'single_label_classification'`` or
            ``'multi_label_classification'``; None: chosen from ``num_labels`` and the labels.
        pad_token_id, bos_token_id, eos_token_id: special token ids.
        **kwargs: any other key, kept verbatim (``architectures``, ``torch_dtype``, ...).
    """

    model_type: str = ""

    def __init__(self, *, num_labels: int | None = None, id2label: dict | None = None,
                 label2id: dict | None = None, problem_type: str | None = None,
                 pad_token_id: int | None = None, bos_token_id: int | None = None,
                 eos_token_id: int | None = None, **kwargs):
        if id2label is not None:
            id2label = {int(k): v for k, v in id2label.items()}
        elif num_labels is not None or not hasattr(self, "id2label"):
            id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        self.id2label = id2label
        self.label2id = ({v: k for k, v in id2label.items()} if label2id is None
                         else {k: int(v) for k, v in label2id.items()})
        allowed = (None, "regression", "single_label_classification",
                   "multi_label_classification")
        if problem_type not in allowed:
            raise ValueError(f"{type(self).__name__}: problem_type must be one of {allowed}, "
                             f"got {problem_type!r}")
        self.problem_type = problem_type
        self.pad_token_id = pad_token_id
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        kwargs.pop("model_type", None)  # a class attribute, not an instance one
        for key, value in kwargs.items():
            setattr(self, key, value)

    @property
    def num_labels(self) -> int:
        """The number of labels: ``len(id2label)``; setting it resets the label names."""
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value: int) -> None:
        if len(self.id2label) != value:
            self.id2label = {i: f"LABEL_{i}" for i in range(value)}
            self.label2id = {v: k for k, v in self.id2label.items()}

    # -- dict / json ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        """All attributes as a JSON-ready dict (``id2label`` keys as strings, like config.json),
        with ``model_type`` added."""
        out = copy.deepcopy(self.__dict__)
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["model_type"] = self.model_type
        return out

    def to_json_string(self) -> str:
        """:meth:`to_dict` as indented JSON with sorted keys."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, config_dict: dict, **kwargs) -> PretrainedConfig:
        """Build a config from a dict; ``kwargs`` override its entries."""
        merged = dict(config_dict)
        if "num_labels" in kwargs and "id2label" in merged and "id2label" not in kwargs:
            merged.pop("id2label")  # a new head size replaces the old label names
            merged.pop("label2id", None)
        merged.update(kwargs)
        return cls(**merged)

    @classmethod
    def from_json_file(cls, path) -> PretrainedConfig:
        """Read a ``config.json`` file."""
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{cls.__name__}: {os.fspath(path)} is not valid JSON: {exc}"
                ) from None
        return cls.from_dict(data)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, **kwargs) -> PretrainedConfig:
        """Load ``config.json`` from a model folder, a config file, or a hub name (downloaded
        through :mod:`ember.hub` like the weights); ``kwargs`` override its entries."""
        path = os.fspath(pretrained_model_name_or_path)
        if not os.path.isfile(path):
            path = resolve_file(path, CONFIG_NAME, kwargs.pop("revision", "main"))
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return cls.from_dict(data, **kwargs)

    def save_pretrained(self, save_directory) -> None:
        """Write ``config.json`` into ``save_directory`` (created if needed)."""
        os.makedirs(save_directory, exist_ok=True)
        with open(os.path.join(save_directory, CONFIG_NAME), "w", encoding="utf-8") as fh:
            fh.write(self.to_json_string())

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"


def _normal_init(module: nn.Module, std: float) -> None:
    """transformers' BERT-family initialisation of one module (``model.apply``'s callback):
    N(0, std) for Linear and Embedding weights, zero biases and padding row, LayerNorm (1, 0).
    BART uses it too, with its config's ``init_std``."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, 0.0, std)
        if module.padding_idx is not None:
            with ember.no_grad():
                module.weight[module.padding_idx] = 0.0
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class PreTrainedModel(nn.Module):
    """Base class of the pretrained models: config handling, initialisation, loading, saving.

    Subclasses set ``config_class``, ``base_model_prefix`` (the attribute holding the base model
    in a task model, e.g. ``'bert'``) and ``_tied_weights_keys`` (parameters shared with another
    one, absent from saved checkpoints).
    """

    config_class: type = PretrainedConfig
    base_model_prefix: str = ""
    _tied_weights_keys: tuple = ()

    def __init__(self, config: PretrainedConfig):
        super().__init__()
        if not isinstance(config, self.config_class):
            raise TypeError(f"{type(self).__name__}: expected a {self.config_class.__name__}, "
                            f"got {type(config).__name__}")
        self.config = config

    def post_init(self) -> None:
        """Initialise every submodule's weights (call at the end of a subclass ``__init__``)."""
        self.apply(self._init_weights)
        self.tie_weights()

    def _init_weights(self, module: nn.Module) -> None:
        _normal_init(module, self.config.initializer_range)

    def _fresh_ok_prefixes(self) -> tuple:
        """Key prefixes a checkpoint may lack without error (left freshly initialised)."""
        return ()

    def tie_weights(self) -> None:
        """Share output embeddings with input embeddings (masked LM heads override this)."""

    @property
    def base_model(self) -> nn.Module:
        """The base model (``self.bert`` in BertForSequenceClassification; ``self`` in
        BertModel)."""
        return getattr(self, self.base_model_prefix, self)

    @property
    def device(self):
        return next(self.parameters()).device

    @property
    def dtype(self):
        return next(self.parameters()).dtype

    def num_parameters(self) -> int:
        """Number of distinct parameters' elements (tied ones counted once)."""
        return sum(p.numel() for p in self.parameters())

    # -- loading ---------------------------------------------------------------------------

    def _rename_checkpoint_keys(self, state: dict) -> dict:
        """Map a checkpoint's keys onto this model's: old LayerNorm names, the base-model prefix
        added or removed, legacy ``position_ids`` buffers dropped."""
        prefix = self.base_model_prefix + "."
        own = set(self.state_dict())
        is_base = not any(k.startswith(prefix) for k in own)
        has_prefix = any(k.startswith(prefix) for k in state)
        out = {}
        for key, value in state.items():
            # TF-era checkpoints name LayerNorm's parameters gamma/beta (transformers renames).
            key = key.replace("LayerNorm.gamma", "LayerNorm.weight")
            key = key.replace("LayerNorm.beta", "LayerNorm.bias")
            if key.endswith("position_ids"):
                continue  # a non-persistent buffer that old transformers versions saved
            if is_base and has_prefix:
                if not key.startswith(prefix):
                    continue  # a task head (e.g. 'cls.'): the base model has no use for it
                key = key[len(prefix):]
            elif not is_base and not has_prefix and prefix + key in own:
                key = prefix + key  # base-model checkpoint into a task model
            out[key] = value
        return out

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *, config=None, strict: bool = True,
                        revision: str = "main", output_loading_info: bool = False,
                        ignore_mismatched_sizes: bool = False, **kwargs):
        """Build the model from a Hugging Face model folder or hub name and load its weights.

        Args:
            pretrained_model_name_or_path: a local folder (``config.json`` + weights) or a hub
                name (``'bert-base-uncased'``, ``'org/model'``) fetched from
                ``https://huggingface.co/<name>/resolve/<revision>/<file>`` (the ``HF_ENDPOINT``
                environment variable changes the host) into :func:`ember.hub.get_dir`.
            config: a config to use instead of the folder's ``config.json``.
            strict: every model parameter must come from the checkpoint and every checkpoint
                entry be used, except a task head the checkpoint lacks (a base-model
                checkpoint loaded into a task model: the head keeps its fresh initialisation
                and a warning names it) and a task head the base model lacks (dropped).
                False: load what matches and warn about the rest.
            revision: the hub branch, tag or commit.
            output_loading_info: also return ``{'missing_keys': [...], 'unexpected_keys':
                [...], 'mismatched_keys': [...]}``.
            ignore_mismatched_sizes: a checkpoint entry whose shape differs from the model's
                (a classification or CTC head built for another label set) is left freshly
                initialised and named in a warning, instead of failing (transformers' option).
            **kwargs: config overrides, e.g. ``num_labels=3``, ``hidden_dropout_prob=0.0``.

        Returns:
            The model in evaluation mode (like transformers), or ``(model, loading_info)``.

        Raises:
            RuntimeError: missing or unexpected keys (listed) or shape mismatches, when strict.
            FileNotFoundError: no config or weights in the folder.
            ember.hub.DownloadError: a hub file could not be downloaded.

        Example:
            >>> model = BertForSequenceClassification.from_pretrained("bert-base-uncased",
            ...                                                       num_labels=3)
        """
        name = os.fspath(pretrained_model_name_or_path)
        if config is None:
            config = cls.config_class.from_json_file(resolve_file(name, CONFIG_NAME, revision))
        # transformers' convention: keys the constructor takes (add_pooling_layer) go to it,
        # the others override the config.
        init_args = inspect.signature(cls.__init__).parameters
        model_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in init_args}
        for key, value in kwargs.items():
            setattr(config, key, value)
        model = cls(config, **model_kwargs)
        state = model._rename_checkpoint_keys(load_checkpoint(name, revision))
        own = model.state_dict()
        tied = {k for k in own if any(k.endswith(t) for t in cls._tied_weights_keys)}
        missing = [k for k in own if k not in state and k not in tied]
        unexpected = [k for k in state if k not in own]
        mismatched = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
        if mismatched and ignore_mismatched_sizes:
            state = {k: v for k, v in state.items() if k not in mismatched}
        elif mismatched:
            shapes = "; ".join(f"size mismatch for {k}: checkpoint {tuple(state[k].shape)}, "
                               f"model {tuple(own[k].shape)}" for k in mismatched)
            raise RuntimeError(
                f"{cls.__name__}.from_pretrained({name!r}): {shapes}; pass "
                f"ignore_mismatched_sizes=True to initialise these entries afresh (a new head "
                f"for another number of labels)")
        # Expected differences between a checkpoint and a model of the same base: a task head
        # (or BERT's optional pooler) the checkpoint lacks stays freshly initialised; another
        # task's head in the checkpoint is dropped. Both are named in a warning.
        prefix = model.base_model_prefix + "."
        task_model = model.base_model is not model
        fresh = [k for k in missing if (task_model and not k.startswith(prefix))
                 or any(k.startswith(p) for p in model._fresh_ok_prefixes())]
        dropped = [k for k in unexpected if task_model and not k.startswith(prefix)]
        missing = [k for k in missing if k not in fresh]
        unexpected = [k for k in unexpected if k not in dropped]
        if (missing or unexpected) and strict:
            lines = [f"{cls.__name__}.from_pretrained({name!r}): the checkpoint does not match "
                     f"the model"]
            if missing:
                lines.append(f"missing keys: {missing}")
            if unexpected:
                lines.append(f"unexpected keys: {unexpected}")
            lines.append("check that the checkpoint is for this architecture and config, or "
                         "pass strict=False to load what matches")
            raise RuntimeError("\n  ".join(lines))
        notes = []
        if missing or unexpected:
            notes.append(f"missing keys {missing}, unexpected keys {unexpected} (loaded with "
                         f"strict=False)")
        if fresh:
            notes.append(f"newly initialised {fresh}: train the model before using its "
                         f"predictions")
        if mismatched:
            notes.append(f"newly initialised {mismatched} (shape differs from the checkpoint's, "
                         f"ignore_mismatched_sizes=True): train them before use")
        if dropped:
            notes.append(f"checkpoint entries of another task head not used: {dropped}")
        if notes:
            warnings.warn(f"{cls.__name__}.from_pretrained({name!r}): " + "; ".join(notes),
                          stacklevel=2)
        model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
        model.tie_weights()
        model.eval()
        if output_loading_info:
            return model, {"missing_keys": missing + fresh,
                           "unexpected_keys": unexpected + dropped,
                           "mismatched_keys": mismatched}
        return model

    # -- saving ----------------------------------------------------------------------------

    def save_pretrained(self, save_directory, safe_serialization: bool = True) -> None:
        """Write ``config.json`` and the weights (``model.safetensors``, or
        ``pytorch_model.bin`` with ``safe_serialization=False``) into ``save_directory``.

        Tied parameters are written once (the format has no shared storage), as transformers
        does; :meth:`from_pretrained` ties them again.
        """
        os.makedirs(save_directory, exist_ok=True)
        self.config.architectures = [type(self).__name__]
        self.config.save_pretrained(save_directory)
        state = {k: v for k, v in self.state_dict().items()
                 if not any(k.endswith(t) for t in self._tied_weights_keys)}
        if safe_serialization:
            save_safetensors(state, os.path.join(save_directory, SAFE_WEIGHTS_NAME))
        else:
            ember.save(dict(state), os.path.join(save_directory, WEIGHTS_NAME))
