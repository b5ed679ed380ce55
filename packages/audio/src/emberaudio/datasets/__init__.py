"""``emberaudio.datasets``: torchaudio's dataset readers, audio batching and an embedded set.

- :class:`SPEECHCOMMANDS`, :class:`YESNO`, :class:`LIBRISPEECH`, :class:`LJSPEECH`: the
  published archives, downloaded through ``ember.hub`` and read from their real layouts.
- :class:`GTZAN`, :class:`ESC50`: music genres (filtered splits) and environmental sounds
  (5 folds).
- :class:`SpokenDigits`: 300 spoken digits shipped inside the package (no network needed).
- :func:`pad_collate` / :class:`AudioCollator`: ``collate_fn`` for variable-length clips.
"""

from .collate import AudioCollator, pad_collate
from .esc50 import ESC50
from .gtzan import GTZAN
from .librispeech import LIBRISPEECH
from .ljspeech import LJSPEECH
from .speechcommands import SPEECHCOMMANDS
from .spoken_digits import SpokenDigits
from .yesno import YESNO

__all__ = [
    "ESC50",
    "GTZAN",
    "LIBRISPEECH",
    "LJSPEECH",
    "SPEECHCOMMANDS",
    "YESNO",
    "AudioCollator",
    "SpokenDigits",
    "pad_collate",
]
