"""Dataset readers on small fake datasets written in each published layout, and downloads from
a local HTTP server (the real archives' structure, served from 127.0.0.1)."""

import hashlib
import http.server
import os
import tarfile
import threading

import numpy as np
import pytest
import soundfile

import ember
from ember.hub import DownloadError
from emberaudio.datasets import LIBRISPEECH, LJSPEECH, SPEECHCOMMANDS, YESNO
from emberaudio.datasets import speechcommands as sc_module


def _write_wav(path, frames, rate=16000, channels=1, seed=0):
    """A PCM16 WAV of a known signal; returns the float32 samples it decodes to, (C, T)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    ints = rng.integers(-20000, 20000, size=(frames, channels), dtype=np.int16)
    soundfile.write(path, ints, rate, subtype="PCM_16")
    return (ints.astype(np.float32) / 32768.0).T


# ---------------------------------------------------------------- SPEECHCOMMANDS
SC_FILES = {  # relative path -> frames
    "yes/0a7c2a8d_nohash_0.wav": 160, "yes/0a7c2a8d_nohash_1.wav": 170,
    "yes/1b4c9b89_nohash_0.wav": 180, "no/0a7c2a8d_nohash_0.wav": 190,
    "no/3cfc6b3a_nohash_2.wav": 200, "no/9ff2d2f4_nohash_0.wav": 210,
}


def _speechcommands_tree(folder):
    expected = {rel: _write_wav(os.path.join(folder, rel), n, seed=i)
                for i, (rel, n) in enumerate(SC_FILES.items())}
    _write_wav(os.path.join(folder, "_background_noise_", "white_noise.wav"), 300)
    with open(os.path.join(folder, "validation_list.txt"), "w") as f:
        f.write("yes/1b4c9b89_nohash_0.wav\n")
    with open(os.path.join(folder, "testing_list.txt"), "w") as f:
        f.write("no/3cfc6b3a_nohash_2.wav\nno/9ff2d2f4_nohash_0.wav\n")
    return expected


def test_speechcommands_items_and_subsets(tmp_path):
    expected = _speechcommands_tree(tmp_path / "SpeechCommands" / "speech_commands_v0.02")
    ds = SPEECHCOMMANDS(tmp_path)
    assert len(ds) == 6  # the background-noise clip is not an item
    waveform, sr, label, speaker, number = ds[0]  # sorted: no/0a7c2a8d_nohash_0.wav first
    assert (sr, label, speaker, number) == (16000, "no", "0a7c2a8d", 0)
    assert waveform.dtype == ember.float32 and tuple(waveform.shape) == (1, 190)
    np.testing.assert_array_equal(waveform.numpy(), expected["no/0a7c2a8d_nohash_0.wav"])
    assert ds.get_metadata(0)[0] == os.path.join("speech_commands_v0.02", "no",
                                                 "0a7c2a8d_nohash_0.wav")

    def labels(subset):
        d = SPEECHCOMMANDS(tmp_path, subset=subset)
        return sorted(d.get_metadata(i)[2:] for i in range(len(d)))

    assert labels("validation") == [("yes", "1b4c9b89", 0)]
    assert labels("testing") == [("no", "3cfc6b3a", 2), ("no", "9ff2d2f4", 0)]
    assert labels("training") == [("no", "0a7c2a8d", 0), ("yes", "0a7c2a8d", 0),
                                  ("yes", "0a7c2a8d", 1)]


def test_speechcommands_errors(tmp_path):
    with pytest.raises(ValueError, match="must be one of"):
        SPEECHCOMMANDS(tmp_path, subset="train")
    with pytest.raises(RuntimeError, match="download=True"):
        SPEECHCOMMANDS(tmp_path)


# ---------------------------------------------------------------- YESNO
def test_yesno_labels_from_file_names(tmp_path):
    folder = tmp_path / "waves_yesno"
    a = _write_wav(str(folder / "0_1_0_0_1_0_1_1.wav"), 120, rate=8000, seed=1)
    _write_wav(str(folder / "1_1_1_1_0_0_0_0.wav"), 130, rate=8000, seed=2)
    (folder / "README").write_text("not audio")
    ds = YESNO(tmp_path)
    assert len(ds) == 2
    waveform, sr, labels = ds[0]
    assert sr == 8000 and labels == [0, 1, 0, 0, 1, 0, 1, 1]
    np.testing.assert_array_equal(waveform.numpy(), a)
    assert ds[1][2] == [1, 1, 1, 1, 0, 0, 0, 0]
    with pytest.raises(RuntimeError, match="download=True"):
        YESNO(tmp_path / "elsewhere")


# ---------------------------------------------------------------- LIBRISPEECH
def test_librispeech_transcripts_and_ids(tmp_path):
    chapter = tmp_path / "LibriSpeech" / "dev-clean" / "84" / "121123"
    first = _write_wav(str(chapter / "84-121123-0000.flac"), 150, seed=3)
    _write_wav(str(chapter / "84-121123-0001.flac"), 140, seed=4)
    (chapter / "84-121123.trans.txt").write_text(
        "84-121123-0000 GO DO YOU HEAR\n84-121123-0001 BUT IN LESS THAN FIVE MINUTES\n")
    other = tmp_path / "LibriSpeech" / "dev-clean" / "174" / "50561"
    _write_wav(str(other / "174-50561-0007.flac"), 100, seed=5)
    (other / "174-50561.trans.txt").write_text("174-50561-0007 FORGOTTEN TOO\n")

    ds = LIBRISPEECH(tmp_path, url="dev-clean")
    assert len(ds) == 3
    # sorted by file id: "174-..." < "84-..." as strings, as torchaudio sorts
    assert ds[0][1:] == (16000, "FORGOTTEN TOO", 174, 50561, 7)
    waveform, sr, text, speaker, chap, utt = ds[1]
    assert (sr, text, speaker, chap, utt) == (16000, "GO DO YOU HEAR", 84, 121123, 0)
    np.testing.assert_array_equal(waveform.numpy(), first)
    assert ds[2][2] == "BUT IN LESS THAN FIVE MINUTES"
    with pytest.raises(ValueError, match="Invalid url 'dev'"):
        LIBRISPEECH(tmp_path, url="dev")
    with pytest.raises(RuntimeError, match="test-clean"):
        LIBRISPEECH(tmp_path, url="test-clean")


# ---------------------------------------------------------------- LJSPEECH
def test_ljspeech_metadata_with_quotes(tmp_path):
    folder = tmp_path / "LJSpeech-1.1"
    a = _write_wav(str(folder / "wavs" / "LJ001-0001.wav"), 110, rate=22050, seed=6)
    _write_wav(str(folder / "wavs" / "LJ001-0002.wav"), 90, rate=22050, seed=7)
    (folder / "metadata.csv").write_text(
        'LJ001-0001|He said "1st" here|He said "first" here\n'
        "LJ001-0002|in being comparatively modern.|in being comparatively modern.\n",
        encoding="utf-8")
    ds = LJSPEECH(tmp_path)
    assert len(ds) == 2
    waveform, sr, text, normalized = ds[0]
    assert (sr, text, normalized) == (22050, 'He said "1st" here', 'He said "first" here')
    np.testing.assert_array_equal(waveform.numpy(), a)
    with pytest.raises(RuntimeError, match="doesn't exist"):
        LJSPEECH(tmp_path / "none")


# ---------------------------------------------------------------- downloads (127.0.0.1)
@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/'served' on 127.0.0.1; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _tar(source, archive, arcname="."):
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname=arcname)
    with open(archive, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_speechcommands_download_checks_sha256(tmp_path, server, monkeypatch):
    served, base = server
    _speechcommands_tree(tmp_path / "src")
    digest = _tar(tmp_path / "src", served / "speech_commands_v0.02.tar.gz")
    url = base + "speech_commands_v0.02.tar.gz"
    # The published name, served locally, with a wrong checksum: refused, nothing extracted.
    monkeypatch.setattr(sc_module, "_BASE_URL", base)
    monkeypatch.setattr(sc_module, "_CHECKSUMS", {url: "0" * 64})
    with pytest.raises(DownloadError, match="0000"):
        SPEECHCOMMANDS(tmp_path / "bad", download=True)
    assert not (tmp_path / "bad" / "SpeechCommands").exists()
    # The right checksum: downloaded into root, extracted into the dataset folder.
    monkeypatch.setattr(sc_module, "_CHECKSUMS", {url: digest})
    ds = SPEECHCOMMANDS(tmp_path / "good", download=True, subset="testing")
    assert (tmp_path / "good" / "speech_commands_v0.02.tar.gz").is_file()
    assert len(ds) == 2 and ds[0][2] == "no"
    # Present now: no network needed (the server's file is gone).
    os.remove(served / "speech_commands_v0.02.tar.gz")
    assert len(SPEECHCOMMANDS(tmp_path / "good", download=True)) == 6


def test_yesno_download_from_url(tmp_path, server):
    served, base = server
    _write_wav(str(tmp_path / "src" / "waves_yesno" / "1_0_1_0_1_0_1_0.wav"), 80, rate=8000)
    _tar(tmp_path / "src" / "waves_yesno", served / "waves_yesno.tar.gz", arcname="waves_yesno")
    ds = YESNO(tmp_path / "root", url=base + "waves_yesno.tar.gz", download=True)
    assert len(ds) == 1 and ds[0][2] == [1, 0, 1, 0, 1, 0, 1, 0]
