"""emberaudio.load / save / info: round trips per format and subtype, header fields, offsets,
file objects and errors. Python's own ``wave`` module is the independent reader/writer of PCM
WAV; soundfile writes the other formats directly."""

import io
import wave

import numpy as np
import pytest
import soundfile

import ember
import emberaudio
from emberaudio import _io

load, save, info = _io.load, _io.save, _io.info
SR = 16000


def _tone(channels=2, frames=4000, freq=440.0, amplitude=0.5):
    t = np.arange(frames) / SR
    rows = [amplitude * np.sin(2 * np.pi * freq * (c + 1) * t) for c in range(channels)]
    return np.stack(rows).astype(np.float32)


def test_public_names():
    for name in ("load", "save", "info", "AudioMetaData"):
        assert getattr(emberaudio, name) is getattr(_io, name)


@pytest.mark.parametrize("ext, kwargs, subtype, bits, encoding, step", [
    ("wav", {"bits_per_sample": 16}, "PCM_16", 16, "PCM_S", 2.0**-15),
    ("wav", {"encoding": "PCM_S", "bits_per_sample": 24}, "PCM_24", 24, "PCM_S", 2.0**-23),
    ("wav", {"encoding": "PCM_S"}, "PCM_32", 32, "PCM_S", 2.0**-31),
    ("wav", {}, "FLOAT", 32, "PCM_F", 0.0),  # float32 tensors are written as float
    ("wav", {"encoding": "PCM_F", "bits_per_sample": 64}, "DOUBLE", 64, "PCM_F", 0.0),
    ("wav", {"encoding": "PCM_U"}, "PCM_U8", 8, "PCM_U", 2.0**-7),
    ("flac", {}, "PCM_16", 16, "FLAC", 2.0**-15),
    ("flac", {"bits_per_sample": 24}, "PCM_24", 24, "FLAC", 2.0**-23),
])
def test_round_trip_lossless(tmp_path, ext, kwargs, subtype, bits, encoding, step):
    x = _tone()
    path = tmp_path / f"tone.{ext}"
    save(path, ember.tensor(x), SR, **kwargs)
    assert soundfile.info(str(path)).subtype == subtype
    y, sr = load(path)
    assert sr == SR and y.dtype == ember.float32 and y.shape == (2, 4000)
    np.testing.assert_allclose(y.numpy(), x, atol=step + 1e-7)
    meta = info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels) == (SR, 4000, 2)
    assert (meta.bits_per_sample, meta.encoding) == (bits, encoding)


def test_ogg_vorbis_is_lossy_but_close(tmp_path):
    x = _tone(channels=1, frames=16000)
    path = tmp_path / "tone.ogg"
    save(path, ember.tensor(x), SR)
    y, sr = load(path)
    assert sr == SR and y.shape == (1, 16000)
    correlation = np.corrcoef(y.numpy()[0, 2000:-2000], x[0, 2000:-2000])[0, 1]
    assert correlation > 0.99
    meta = info(path)
    assert (meta.encoding, meta.bits_per_sample, meta.num_channels) == ("VORBIS", 0, 1)


def test_pcm_samples_match_the_wave_module(tmp_path):
    # written by Python's wave module, read by emberaudio: exact integers and x / 32768
    samples = np.array([[0, 1, -1, 32767, -32768, 1234]], dtype=np.int16)
    path = tmp_path / "pcm.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.tobytes())
    raw, sr = load(path, normalize=False)
    assert sr == 8000 and raw.dtype == ember.int16
    np.testing.assert_array_equal(raw.numpy(), samples)
    scaled, _ = load(path)
    np.testing.assert_array_equal(scaled.numpy(), samples / 32768.0)

    # written by emberaudio from an int16 tensor, read by the wave module: the same bytes
    out = tmp_path / "out.wav"
    save(out, ember.tensor(samples), 8000)
    with wave.open(str(out), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        np.testing.assert_array_equal(np.frombuffer(w.readframes(6), np.int16), samples[0])


@pytest.mark.parametrize("dtype, subtype", [
    (ember.int16, "PCM_16"), (ember.int32, "PCM_32"), (ember.uint8, "PCM_U8"),
    (ember.float64, "DOUBLE"),
])
def test_normalize_false_keeps_the_wav_dtype(tmp_path, dtype, subtype):
    info_range = {ember.int16: (-2000, 2000), ember.int32: (-2**30, 2**30),
                  ember.uint8: (0, 255), ember.float64: (-1, 1)}[dtype]
    rng = np.random.default_rng(0)
    data = rng.uniform(*info_range, size=(2, 50))
    src = ember.tensor(data).to(dtype)
    path = tmp_path / "x.wav"
    save(path, src, SR)
    assert soundfile.info(str(path)).subtype == subtype
    raw, _ = load(path, normalize=False)
    assert raw.dtype == dtype
    np.testing.assert_array_equal(raw.numpy(), src.numpy())


def test_normalize_false_on_flac_gives_float(tmp_path):
    path = tmp_path / "x.flac"
    save(path, ember.tensor(_tone()), SR)
    raw, _ = load(path, normalize=False)
    assert raw.dtype == ember.float32  # only WAV keeps integers (torchaudio's rule)


def test_24_bit_wav_unnormalized_is_left_justified_int32(tmp_path):
    path = tmp_path / "x.wav"
    soundfile.write(str(path), np.array([[0.5], [-0.25]]), SR, subtype="PCM_24")
    raw, _ = load(path, normalize=False)
    assert raw.dtype == ember.int32
    assert raw.numpy().tolist() == [[2**30, -(2**29)]]


def test_frame_offset_num_frames_and_channels_last(tmp_path):
    x = _tone(channels=3, frames=1000)
    path = tmp_path / "x.wav"
    save(path, ember.tensor(x), SR, encoding="PCM_F")
    part, _ = load(path, frame_offset=100, num_frames=250)
    np.testing.assert_array_equal(part.numpy(), x[:, 100:350])
    tail, _ = load(path, frame_offset=900, num_frames=500)  # fewer come back at the end
    np.testing.assert_array_equal(tail.numpy(), x[:, 900:])
    last, _ = load(path, channels_first=False)
    assert last.shape == (1000, 3)
    np.testing.assert_array_equal(last.numpy(), x.T)
    # channels_first=False on save takes (frames, channels)
    path2 = tmp_path / "y.wav"
    save(path2, ember.tensor(x.T.copy()), SR, channels_first=False)
    np.testing.assert_array_equal(load(path2)[0].numpy(), x)


def test_file_objects(tmp_path):
    x = _tone(channels=1, frames=800)
    buffer = io.BytesIO()
    save(buffer, ember.tensor(x), SR, format="flac")
    buffer.seek(0)
    assert info(buffer).encoding == "FLAC"
    buffer.seek(0)
    y, sr = load(buffer)
    assert sr == SR
    np.testing.assert_allclose(y.numpy(), x, atol=2.0**-15)
    with open(tmp_path / "f.wav", "wb") as f:
        save(f, ember.tensor(x), SR, format="wav")
    with open(tmp_path / "f.wav", "rb") as f:
        np.testing.assert_array_equal(load(f)[0].numpy(), x)
    with pytest.raises(RuntimeError, match="`format` is required"):
        save(io.BytesIO(), ember.tensor(x), SR)


def test_ulaw_and_alaw_wav(tmp_path):
    x = _tone(channels=1, frames=2000)
    for encoding in ("ULAW", "ALAW"):
        path = tmp_path / f"{encoding}.wav"
        save(path, ember.tensor(x), SR, encoding=encoding)
        meta = info(path)
        assert (meta.encoding, meta.bits_per_sample) == (encoding, 8)
        y, _ = load(path)
        assert np.max(np.abs(y.numpy() - x)) < 0.02  # 8-bit companding error near 0.5


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(RuntimeError, match=r"empty.wav' is empty \(0 bytes\)"):
        load(empty)
    with pytest.raises(RuntimeError, match="is empty"):
        load(io.BytesIO(b""))
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(RuntimeError, match=r"load: cannot decode '.*junk.wav': Format not"):
        load(junk)
    with pytest.raises(RuntimeError, match="info: cannot decode"):
        info(junk)
    with pytest.raises(ValueError, match="frame_offset must be non-negative"):
        load(junk, frame_offset=-1)


def test_save_errors(tmp_path):
    x = ember.tensor(_tone())
    with pytest.raises(ValueError, match="expected a 2D Tensor"):
        save(tmp_path / "a.wav", x[0], SR)
    with pytest.raises(ValueError, match="flac does not support bits_per_sample > 24"):
        save(tmp_path / "a.flac", x, SR, bits_per_sample=32)
    with pytest.raises(ValueError, match="wav does not support 8-bit signed"):
        save(tmp_path / "a.wav", x, SR, encoding="PCM_S", bits_per_sample=8)
    with pytest.raises(ValueError, match="invalid bits_per_sample 12"):
        save(tmp_path / "a.wav", x, SR, bits_per_sample=12)
    with pytest.raises(ValueError, match="unsupported format 'xyz'"):
        save(tmp_path / "a.xyz", x, SR)
    with pytest.raises(ValueError, match="unsupported dtype for wav: int64"):
        save(tmp_path / "a.wav", x.long(), SR)


def test_metadata_record():
    meta = _io.AudioMetaData(16000, 10, 1, 16, "PCM_S")
    assert repr(meta) == ("AudioMetaData(sample_rate=16000, num_frames=10, num_channels=1, "
                          "bits_per_sample=16, encoding='PCM_S')")
