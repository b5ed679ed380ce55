"""``emberaudio.compliance``: features that match other toolkits' outputs.

- :mod:`emberaudio.compliance.kaldi`: Kaldi's ``spectrogram``, ``fbank`` and ``mfcc``
  (torchaudio.compliance.kaldi).
"""

from . import kaldi

__all__ = ["kaldi"]
