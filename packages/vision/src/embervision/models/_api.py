"""The model registry and the pretrained-weights API (torchvision's ``models._api``).

A builder such as ``resnet18(*, weights=None, progress=True, **kwargs)`` is registered under its
name with :func:`register_model`; :func:`list_models`, :func:`get_model`,
:func:`get_model_builder` and :func:`get_model_weights` look builders up by name. Each builder's
pretrained weights are members of a :class:`WeightsEnum` subclass (``ResNet50_Weights``) whose
values are :class:`Weights` records: the checkpoint URL, a constructor for the inference
preprocessing, and metadata (categories, accuracy, parameter count). Keeping the preprocessing
with the weights means ``weights.transforms()`` always prepares images the way the weights
expect::

    weights = ResNet50_Weights.DEFAULT
    model = resnet50(weights=weights).eval()
    batch = weights.transforms()(image).unsqueeze(0)
    label = weights.meta["categories"][model(batch).argmax().item()]

Downloads go through :func:`ember.hub.load_state_dict_from_url` (cached under
``$EMBER_HOME/hub/checkpoints``, SHA-256 prefix in the file name checked) and are read by
:func:`ember.load`, which never runs code from the file.
"""

import fnmatch
import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import partial
from types import ModuleType
from typing import Any

__all__ = [
    "Weights",
    "WeightsEnum",
    "get_model",
    "get_model_builder",
    "get_model_weights",
    "get_weight",
    "list_models",
    "register_model",
]


@dataclass
class Weights:
    """One set of pretrained weights: where to get it, how to preprocess for it, what it is.

    Args:
        url: the checkpoint's location (torch.hub naming: ``name-<sha256 prefix>.pth``).
        transforms: a callable that builds the inference preprocessing (usually a
            ``functools.partial`` of :class:`~embervision.models._presets.ImageClassification`);
            a constructor rather than an object so that nothing is built until needed.
        meta: metadata: ``categories`` (class names, or None), ``num_params``, ``min_size``,
            ``recipe``, ``_metrics`` (``{"ImageNet-1K": {"acc@1": ..., "acc@5": ...}}``),
            ``_ops`` (GFLOPs), ``_file_size`` (MB), ``_docs``.
    """

    url: str
    transforms: Callable
    meta: dict[str, Any]

    def __eq__(self, other: Any) -> bool:
        # As torchvision (pytorch/vision#7107): a deep copy of a partial is not == the original,
        # so compare partials by their parts; otherwise copying or unpickling an enum member
        # (which looks the value up among the members by equality) would fail.
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, partial) and isinstance(other.transforms, partial):
            return (
                self.transforms.func == other.transforms.func
                and self.transforms.args == other.transforms.args
                and self.transforms.keywords == other.transforms.keywords
            )
        return self.transforms == other.transforms


class WeightsEnum(Enum):
    """Base class of every model's weights enum; its members' values are :class:`Weights`.

    A subclass lists the available checkpoints and a ``DEFAULT`` alias for the best one::

        class ResNet18_Weights(WeightsEnum):
            IMAGENET1K_V1 = Weights(url=..., transforms=..., meta=...)
            DEFAULT = IMAGENET1K_V1

    Members expose ``.url``, ``.transforms`` (call it to build the preset), ``.meta`` and
    :meth:`get_state_dict`.
    """

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """Turn a builder's ``weights`` argument into a member of this enum (or None).

        Accepts None, a member, or its name as a string with or without the class prefix
        (``"IMAGENET1K_V1"``, ``"ResNet18_Weights.IMAGENET1K_V1"``, ``"DEFAULT"``).

        Raises:
            KeyError: unknown name (the message lists the valid ones), as torchvision's
                ``cls[name]`` lookup does.
            TypeError: a member of another weights enum or any other object.
        """
        if obj is None:
            return None
        if type(obj) is str:
            name = obj.replace(cls.__name__ + ".", "")
            try:
                return cls[name]
            except KeyError:
                known = ", ".join(repr(n) for n in cls.__members__)
                raise KeyError(
                    f"{cls.__name__}: unknown weights {obj!r}; valid names are {known} "
                    f"(optionally prefixed with '{cls.__name__}.')"
                ) from None
        if not isinstance(obj, cls):
            raise TypeError(
                f"Invalid Weight class provided; expected {cls.__name__} but received "
                f"{obj.__class__.__name__}."
            )
        return obj

    def get_state_dict(self, progress: bool = True, check_hash: bool = True,
                       **kwargs: Any) -> Mapping[str, Any]:
        """Download (once; then from the cache) and load this checkpoint's state dict.

        Args:
            progress: show a download progress bar on stderr.
            check_hash: verify the download's SHA-256 against the prefix in the file name.
            **kwargs: passed on to :func:`ember.hub.load_state_dict_from_url`
                (``model_dir``, ``map_location``, ``file_name``).

        Returns:
            The state dict (parameter and buffer names to tensors).
        """
        from ember.hub import load_state_dict_from_url

        return load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash,
                                        **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------

BUILTIN_MODELS: dict[str, Callable] = {}


def register_model(name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator registering a model builder under ``name`` (default: the function's name).

    Raises:
        ValueError: the name is taken already.

    Example:
        >>> @register_model()
        ... def tiny_cnn(*, weights=None, progress=True, **kwargs): ...
    """

    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def list_models(module: ModuleType | None = None, include: Iterable[str] | str | None = None,
                exclude: Iterable[str] | str | None = None) -> list[str]:
    """Sorted names of the registered models.

    Args:
        module: only the builders defined directly in this package's modules (e.g.
            ``embervision.models``: a builder in ``embervision.models.resnet`` counts).
        include: shell-style pattern(s) (:mod:`fnmatch`); the union of their matches is kept.
        exclude: pattern(s) removed afterwards.

    Example:
        >>> list_models(include="resnet*", exclude=["*101", "*152"])
        ['resnet18', 'resnet34', 'resnet50']
    """
    all_models = {
        key for key, fn in BUILTIN_MODELS.items()
        if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__
    }
    if include:
        patterns = [include] if isinstance(include, str) else include
        models: set[str] = set()
        for pattern in patterns:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        for pattern in patterns:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name: str) -> Callable:
    """The builder registered under ``name`` (case-insensitive).

    Raises:
        ValueError: unknown name; the message lists the registered models.
    """
    key = name.lower()
    try:
        return BUILTIN_MODELS[key]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_MODELS))
        raise ValueError(f"Unknown model {name}: the registered models are {known}") from None


def get_model(name: str, **config: Any):
    """Build the model registered under ``name``; ``config`` goes to its builder.

    Example:
        >>> model = get_model("resnet18", weights=None, num_classes=10)
    """
    return get_model_builder(name)(**config)


def get_model_weights(name: Callable | str) -> type[WeightsEnum]:
    """The weights enum class of a model, given its registered name or its builder.

    Example:
        >>> get_model_weights("resnet50")
        <enum 'ResNet50_Weights'>
    """
    fn = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(fn)


def _get_enum_from_fn(fn: Callable) -> type[WeightsEnum]:
    # The builder's ``weights`` annotation names its enum (``ResNet18_Weights | None``).
    # eval_str resolves string annotations (modules using postponed evaluation).
    sig = inspect.signature(fn, eval_str=True)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    annotation = sig.parameters["weights"].annotation
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            return candidate
    raise ValueError(
        "The WeightsEnum class for the specific method couldn't be retrieved. Make sure the "
        "typing info is correct."
    )


def get_weight(name: str) -> WeightsEnum:
    """A weights enum member from its full name, e.g. ``"ResNet50_Weights.IMAGENET1K_V2"``.

    The enum is looked up in ``embervision.models`` and its sub-packages (as torchvision does).

    Raises:
        ValueError: the name is not ``"<Enum>.<MEMBER>"`` or no such enum exists.
        KeyError: the enum has no such member.
    """
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(
            f"Invalid weight name provided: '{name}'. Expected '<Enum>.<MEMBER>', e.g. "
            f"'ResNet50_Weights.IMAGENET1K_V2'."
        ) from None
    base_module = importlib.import_module(sys.modules[__name__].__name__.rsplit(".", 1)[0])
    modules = [base_module] + [
        module for _, module in inspect.getmembers(base_module, inspect.ismodule)
        if (getattr(module, "__file__", None) or "").endswith("__init__.py")
    ]
    for module in modules:
        candidate = module.__dict__.get(enum_name)
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            return candidate.verify(value_name)
    raise ValueError(
        f"The weight enum '{enum_name}' for the specific method couldn't be retrieved."
    )
