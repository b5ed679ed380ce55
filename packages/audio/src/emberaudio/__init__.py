"""emberaudio: audio I/O, spectral transforms, datasets and speech models for Ember
(torchaudio's API).

    import emberaudio as torchaudio
"""

__version__ = "0.1.0"

from . import datasets  # noqa: E402
