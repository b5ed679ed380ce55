"""Audio files in and out through soundfile (libsndfile), with torchaudio's API.

``load`` returns ``(waveform, sample_rate)`` with the waveform as a (channels, frames) float32
tensor scaled to [-1, 1]; ``save`` writes a (channels, frames) tensor; ``info`` reads the header.
WAV (PCM 8/16/24/32 bit, float, double, mu-law, a-law), FLAC, OGG/Vorbis and the other formats
libsndfile knows are supported, from paths or file-like objects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soundfile

import ember

__all__ = ["AudioMetaData", "info", "load", "save"]

# The integer dtypes ``load(normalize=False)`` keeps, as torchaudio does for WAV PCM.
# PCM_24 has no 24-bit dtype: libsndfile gives it left-justified in int32 (ffmpeg's s32).
_SUBTYPE_TO_DTYPE = {
    "PCM_U8": "uint8",
    "PCM_16": "int16",
    "PCM_24": "int32",
    "PCM_32": "int32",
    "FLOAT": "float32",
    "DOUBLE": "float64",
}

_SUBTYPE_TO_BITS = {
    "PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "PCM_U8": 8, "FLOAT": 32,
    "DOUBLE": 64, "ULAW": 8, "ALAW": 8, "DWVW_12": 12, "DWVW_16": 16, "DWVW_24": 24,
    "DPCM_8": 8, "DPCM_16": 16, "ALAC_16": 16, "ALAC_20": 20, "ALAC_24": 24, "ALAC_32": 32,
}  # compressed subtypes (VORBIS, OPUS, ADPCM, MP3...) have no bit depth: 0

_SUBTYPE_TO_ENCODING = {
    "PCM_S8": "PCM_S", "PCM_16": "PCM_S", "PCM_24": "PCM_S", "PCM_32": "PCM_S",
    "PCM_U8": "PCM_U", "FLOAT": "PCM_F", "DOUBLE": "PCM_F", "ULAW": "ULAW", "ALAW": "ALAW",
    "VORBIS": "VORBIS", "OPUS": "OPUS", "MPEG_LAYER_III": "MP3",
}


@dataclass
class AudioMetaData:
    """What ``info`` reads from a file's header.

    Attributes:
        sample_rate: frames per second.
        num_frames: frames per channel (0 when the format does not say).
        num_channels: the number of channels.
        bits_per_sample: bits of one sample; 0 for compressed (lossy) encodings.
        encoding: 'PCM_S', 'PCM_U', 'PCM_F', 'FLAC', 'ULAW', 'ALAW', 'VORBIS', 'OPUS', 'MP3'
            or 'UNKNOWN'.
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def _describe(uri) -> str:
    if isinstance(uri, (str, os.PathLike)):
        return f"'{os.fspath(uri)}'"
    name = getattr(uri, "name", None)
    return f"file object '{name}'" if isinstance(name, str) else f"a {type(uri).__name__}"


def _open(op: str, uri):
    """``soundfile.SoundFile(uri)`` with errors that name the file and libsndfile's reason."""
    if isinstance(uri, (str, os.PathLike)):
        path = os.fspath(uri)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{op}: no such file: '{path}'")
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise RuntimeError(f"{op}: '{path}' is empty (0 bytes), so it holds no audio")
    elif hasattr(uri, "read") and hasattr(uri, "seek") and hasattr(uri, "tell"):
        position = uri.tell()
        uri.seek(0, os.SEEK_END)
        empty = uri.tell() == position
        uri.seek(position)
        if empty:
            raise RuntimeError(f"{op}: {_describe(uri)} is empty (no bytes left to read)")
    try:
        return soundfile.SoundFile(uri, "r")
    except soundfile.LibsndfileError as err:
        raise RuntimeError(
            f"{op}: cannot decode {_describe(uri)}: {err.error_string}"
        ) from err


def info(uri, format: str | None = None) -> AudioMetaData:
    """Read an audio file's header.

    Args:
        uri: a path or a file-like object opened in binary mode.
        format: accepted for torchaudio's signature; libsndfile detects the format itself.

    Returns:
        AudioMetaData(sample_rate, num_frames, num_channels, bits_per_sample, encoding).

    Example:
        >>> emberaudio.info("speech.flac")
        AudioMetaData(sample_rate=16000, num_frames=33440, num_channels=1, bits_per_sample=16,
        encoding='FLAC')
    """
    with _open("info", uri) as f:
        encoding = "FLAC" if f.format == "FLAC" else _SUBTYPE_TO_ENCODING.get(f.subtype, "UNKNOWN")
        return AudioMetaData(
            sample_rate=int(f.samplerate),
            num_frames=int(f.frames),
            num_channels=int(f.channels),
            bits_per_sample=_SUBTYPE_TO_BITS.get(f.subtype, 0),
            encoding=encoding,
        )


def load(uri, frame_offset: int = 0, num_frames: int = -1, normalize: bool = True,
         channels_first: bool = True, format: str | None = None):
    """Read an audio file into a tensor.

    Args:
        uri: a path or a file-like object opened in binary mode.
        frame_offset: frames to skip at the start.
        num_frames: frames to read; -1 reads to the end. Fewer come back if the file ends.
        normalize: True returns float32 in [-1, 1]. False keeps a WAV file's own sample type
            (int16 for 16-bit PCM, int32 for 24/32-bit, uint8 for 8-bit, float32/64 for float
            WAV); other formats (FLAC, OGG...) are float32 either way, as in torchaudio.
        channels_first: return (channels, frames) if True, else (frames, channels).
        format: accepted for torchaudio's signature; libsndfile detects the format itself.

    Returns:
        ``(waveform, sample_rate)``.

    Example:
        >>> waveform, sample_rate = emberaudio.load("speech.wav")
        >>> waveform.shape, waveform.dtype
        (ember.Size([1, 33440]), ember.float32)
    """
    if frame_offset < 0:
        raise ValueError(f"load: frame_offset must be non-negative, got {frame_offset}")
    if num_frames < -1:
        raise ValueError(f"load: num_frames must be -1 (to the end) or positive, got {num_frames}")
    with _open("load", uri) as f:
        if normalize or f.format != "WAV":
            dtype = "float32"
        elif f.subtype in _SUBTYPE_TO_DTYPE:
            dtype = _SUBTYPE_TO_DTYPE[f.subtype]
        else:
            raise ValueError(
                f"load: normalize=False cannot keep the samples of {_describe(uri)} (WAV "
                f"subtype {f.subtype}) in an integer dtype; use normalize=True"
            )
        read_dtype = "int16" if dtype == "uint8" else dtype  # libsndfile has no uint8 reader
        if frame_offset and f.seekable():
            f.seek(min(frame_offset, f.frames))
        elif frame_offset:
            f.read(frame_offset, dtype=read_dtype, always_2d=True)
        try:
            data = f.read(num_frames, dtype=read_dtype, always_2d=True)
        except soundfile.LibsndfileError as err:
            raise RuntimeError(
                f"load: cannot decode {_describe(uri)}: {err.error_string}"
            ) from err
        sample_rate = int(f.samplerate)
    if dtype == "uint8":  # 8-bit WAV is unsigned, offset by 128
        data = ((data.astype(np.int32) >> 8) + 128).astype(np.uint8)
    waveform = np.ascontiguousarray(data.T if channels_first else data)
    return ember.from_numpy(waveform), sample_rate


def _subtype_for_wav(op, dtype, encoding, bits_per_sample):
    if not encoding:
        if not bits_per_sample:
            by_dtype = {ember.uint8: "PCM_U8", ember.int16: "PCM_16", ember.int32: "PCM_32",
                        ember.float32: "FLOAT", ember.float64: "DOUBLE"}
            if dtype not in by_dtype:
                raise ValueError(f"{op}: unsupported dtype for wav: {dtype.name}; convert to "
                                 f"float32, int16 or int32")
            return by_dtype[dtype]
        return "PCM_U8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if encoding == "PCM_S":
        if bits_per_sample == 8:
            raise ValueError(f"{op}: wav does not support 8-bit signed PCM encoding.")
        return f"PCM_{bits_per_sample or 32}"
    if encoding == "PCM_U":
        if bits_per_sample in (None, 8):
            return "PCM_U8"
        raise ValueError(f"{op}: wav only supports 8-bit unsigned PCM encoding.")
    if encoding == "PCM_F":
        if bits_per_sample in (None, 32):
            return "FLOAT"
        if bits_per_sample == 64:
            return "DOUBLE"
        raise ValueError(f"{op}: wav only supports 32/64-bit float PCM encoding.")
    if encoding in ("ULAW", "ALAW"):
        if bits_per_sample in (None, 8):
            return encoding
        raise ValueError(f"{op}: wav only supports 8-bit {encoding.lower()} encoding.")
    raise ValueError(f"{op}: wav does not support encoding {encoding!r}; use 'PCM_S', 'PCM_U', "
                     f"'PCM_F', 'ULAW' or 'ALAW'")


def _subtype(op, dtype, ext, encoding, bits_per_sample):
    """torchaudio's (format, encoding, bits_per_sample) -> libsndfile subtype mapping."""
    if ext in ("wav", "wave"):
        return _subtype_for_wav(op, dtype, encoding, bits_per_sample)
    if ext == "flac":
        if encoding:
            raise ValueError(f"{op}: flac does not support encoding.")
        if not bits_per_sample:
            return "PCM_16"
        if bits_per_sample > 24:
            raise ValueError(f"{op}: flac does not support bits_per_sample > 24.")
        return "PCM_S8" if bits_per_sample == 8 else f"PCM_{bits_per_sample}"
    if ext in ("ogg", "vorbis"):
        if bits_per_sample:
            raise ValueError(f"{op}: ogg/vorbis does not support bits_per_sample.")
        if encoding is None or encoding.lower() == "vorbis":
            return "VORBIS"
        if encoding.lower() == "opus":
            return "OPUS"
        raise ValueError(f"{op}: unexpected encoding for ogg: {encoding!r}")
    if ext == "mp3":
        return "MPEG_LAYER_III"
    if ext in ("nis", "nist", "sph"):
        return "PCM_16"
    raise ValueError(f"{op}: unsupported format {ext!r}; use wav, flac, ogg, mp3 or sph")


def save(uri, src, sample_rate: int, channels_first: bool = True, format: str | None = None,
         encoding: str | None = None, bits_per_sample: int | None = None) -> None:
    """Write a waveform to an audio file.

    Args:
        uri: a path (its extension picks the format unless ``format`` is given) or a
            file-like object opened in binary mode (then ``format`` is required).
        src: a 2-D tensor, (channels, frames) if ``channels_first`` else (frames, channels).
            Floats are samples in [-1, 1]; int16/int32/uint8 are raw PCM values.
        sample_rate: frames per second.
        format: 'wav', 'flac', 'ogg' (Vorbis), 'mp3', 'sph'.
        encoding: for WAV: 'PCM_S' (signed integer), 'PCM_U' (unsigned 8-bit), 'PCM_F'
            (float), 'ULAW', 'ALAW'; for OGG: 'vorbis' or 'opus'.
        bits_per_sample: 8, 16, 24, 32 or 64. Default: from ``src``'s dtype for WAV (float32
            -> 32-bit float, int16 -> 16-bit PCM...), 16 for FLAC.

    Example:
        >>> emberaudio.save("tone.flac", ember.sin(ember.arange(16000.) * 0.1)[None], 16000)
    """
    if not isinstance(src, ember.Tensor):
        raise TypeError(f"save: src must be a Tensor, got {type(src).__name__}")
    if src.ndim != 2:
        raise ValueError(f"save: expected a 2D Tensor (channels, frames), got {src.ndim}D "
                         f"of shape {list(src.shape)}; add a channel dimension with "
                         f"src.unsqueeze(0)")
    if hasattr(uri, "write"):
        if format is None:
            raise RuntimeError("save: `format` is required when saving to a file object.")
        ext = format.lower()
    else:
        ext = (format or os.fspath(uri).rsplit(".", 1)[-1]).lower()
    if bits_per_sample not in (None, 8, 16, 24, 32, 64):
        raise ValueError(f"save: invalid bits_per_sample {bits_per_sample}; use 8, 16, 24, 32 "
                         f"or 64")
    subtype = _subtype("save", src.dtype, ext, encoding, bits_per_sample)
    sf_format = {"sph": "NIST", "nis": "NIST", "nist": "NIST", "vorbis": "OGG",
                 "wave": "WAV"}.get(ext, ext.upper())
    data = src.detach().cpu().numpy()
    if channels_first:
        data = data.T
    if data.dtype == np.uint8:  # libsndfile has no uint8 writer: 8-bit PCM as int16 steps
        data = (data.astype(np.int16) - 128) << 8
    elif data.dtype not in (np.int16, np.int32, np.float32, np.float64):
        data = data.astype(np.float32)
    try:
        soundfile.write(uri, np.ascontiguousarray(data), int(sample_rate), subtype=subtype,
                        format=sf_format)
    except (soundfile.LibsndfileError, ValueError, TypeError) as err:
        raise RuntimeError(
            f"save: cannot write {_describe(uri)} as {sf_format}/{subtype}: {err}"
        ) from err
