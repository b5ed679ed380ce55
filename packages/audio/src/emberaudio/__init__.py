"""emberaudio: audio I/O, spectral transforms, datasets and speech models for Ember
(torchaudio's API).

    import emberaudio as torchaudio
"""

__version__ = "0.1.0"

from . import compliance, datasets, functional, models, pipelines, transforms  # noqa: E402
from ._io import AudioMetaData, info, load, save  # noqa: E402
