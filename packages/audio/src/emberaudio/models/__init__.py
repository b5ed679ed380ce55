"""``emberaudio.models``: audio classifiers.

- :class:`M5`: the raw-waveform CNN of Dai et al. (2017), torchaudio tutorial's layout.
- :class:`SpectrogramCNN`: a log-mel front end inside the model and a small 2-D CNN.

``get_model(name, **kwargs)`` builds one by its command-line name (``"m5"``,
``"spectrogram-cnn"``), as ``emberaudio-finetune --model`` does.
"""

from __future__ import annotations

from ember import nn

from .m5 import M5
from .spectrogram_cnn import SpectrogramCNN

__all__ = ["M5", "SpectrogramCNN", "get_model", "list_models"]

_MODELS = {"m5": M5, "spectrogram-cnn": SpectrogramCNN}


def list_models() -> list[str]:
    """The names :func:`get_model` accepts."""
    return sorted(_MODELS)


def get_model(name: str, n_classes: int, sample_rate: int = 16000) -> nn.Module:
    """A classifier for ``n_classes`` classes of mono audio at ``sample_rate``.

    Args:
        name: ``"m5"`` or ``"spectrogram-cnn"``.
        n_classes: number of classes.
        sample_rate: the waveform rate the model takes.

    Example:
        >>> get_model("m5", n_classes=10).n_output
        10
    """
    if name == "m5":
        # M5's stride 16 is 1 ms at 16 kHz; keep that hop at other rates.
        return M5(n_output=n_classes, stride=max(1, round(16 * sample_rate / 16000)),
                  sample_rate=sample_rate)
    if name == "spectrogram-cnn":
        return SpectrogramCNN(n_classes=n_classes, sample_rate=sample_rate)
    raise ValueError(f"get_model: unknown model {name!r}; choose one of {list_models()}")
