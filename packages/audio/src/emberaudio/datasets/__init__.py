"""``emberaudio.datasets``: torchaudio's dataset readers, audio batching and an embedded set.

- :class:`SPEECHCOMMANDS`, :class:`YESNO`, :class:`LIBRISPEECH`, :class:`LJSPEECH`,
  :class:`LIBRITTS`, :class:`VCTK_092`, :class:`CMUARCTIC`, :class:`TEDLIUM`,
  :class:`COMMONVOICE`, :class:`LibriMix`, :class:`MUSDB_HQ`, :class:`IEMOCAP`, the VoxCeleb1
  tasks and the other torchaudio sets: the published archives, downloaded through
  ``ember.hub`` and read from their real layouts.
- :class:`GTZAN`, :class:`ESC50`: music genres (filtered splits) and environmental sounds
  (5 folds).
- :class:`SpokenDigits`: 300 spoken digits shipped inside the package (no network needed).
- :func:`pad_collate` / :class:`AudioCollator`: ``collate_fn`` for variable-length clips.
"""

from .cmuarctic import CMUARCTIC
from .cmudict import CMUDict
from .collate import AudioCollator, pad_collate
from .commonvoice import COMMONVOICE
from .dr_vctk import DR_VCTK
from .esc50 import ESC50
from .fluentcommands import FluentSpeechCommands
from .gtzan import GTZAN
from .iemocap import IEMOCAP
from .librilight_limited import LibriLightLimited
from .librimix import LibriMix
from .librispeech import LIBRISPEECH
from .librispeech_biasing import LibriSpeechBiasing
from .libritts import LIBRITTS
from .ljspeech import LJSPEECH
from .musdb_hq import MUSDB_HQ
from .quesst14 import QUESST14
from .snips import Snips
from .speechcommands import SPEECHCOMMANDS
from .spoken_digits import SpokenDigits
from .tedlium import TEDLIUM
from .vctk import VCTK_092
from .voxceleb1 import VoxCeleb1Identification, VoxCeleb1Verification
from .yesno import YESNO

__all__ = [
    "AudioCollator",
    "CMUARCTIC",
    "CMUDict",
    "COMMONVOICE",
    "DR_VCTK",
    "ESC50",
    "FluentSpeechCommands",
    "GTZAN",
    "IEMOCAP",
    "LIBRISPEECH",
    "LIBRITTS",
    "LJSPEECH",
    "LibriLightLimited",
    "LibriMix",
    "LibriSpeechBiasing",
    "MUSDB_HQ",
    "QUESST14",
    "SPEECHCOMMANDS",
    "Snips",
    "SpokenDigits",
    "TEDLIUM",
    "VCTK_092",
    "VoxCeleb1Identification",
    "VoxCeleb1Verification",
    "YESNO",
    "pad_collate",
]
