"""The wider torchaudio dataset set on tiny fake datasets in each published layout (WAV, FLAC,
MP3 and NIST SPHERE through soundfile; transcripts, csv/tsv/stm/lst metadata) and downloads
from a local HTTP server on 127.0.0.1 with their checksums checked."""

import hashlib
import http.server
import os
import tarfile
import threading
import zipfile

import numpy as np
import pytest
import soundfile

import ember
from ember.hub import DownloadError
from emberaudio.datasets import cmuarctic as cmuarctic_module
from emberaudio.datasets import cmudict as cmudict_module
from emberaudio.datasets import librilight_limited as librilight_module
from emberaudio.datasets import librispeech_biasing as biasing_module
from emberaudio.datasets import quesst14 as quesst14_module
from emberaudio.datasets import vctk as vctk_module
from emberaudio.datasets import voxceleb1 as voxceleb1_module

# Imported from their modules: the package's __init__ re-exports them once the lead adds them.
from emberaudio.datasets.cmuarctic import CMUARCTIC
from emberaudio.datasets.cmudict import CMUDict
from emberaudio.datasets.commonvoice import COMMONVOICE
from emberaudio.datasets.dr_vctk import DR_VCTK
from emberaudio.datasets.fluentcommands import FluentSpeechCommands
from emberaudio.datasets.iemocap import IEMOCAP
from emberaudio.datasets.librilight_limited import LibriLightLimited
from emberaudio.datasets.librimix import LibriMix
from emberaudio.datasets.librispeech_biasing import LibriSpeechBiasing
from emberaudio.datasets.libritts import LIBRITTS
from emberaudio.datasets.musdb_hq import MUSDB_HQ
from emberaudio.datasets.quesst14 import QUESST14
from emberaudio.datasets.snips import Snips
from emberaudio.datasets.tedlium import TEDLIUM
from emberaudio.datasets.vctk import VCTK_092
from emberaudio.datasets.voxceleb1 import VoxCeleb1Identification, VoxCeleb1Verification


def _write(path, frames, rate=16000, channels=1, seed=0, **kwargs):
    """A PCM16 file of a known signal; returns the float32 samples it decodes to, (C, T)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    ints = rng.integers(-20000, 20000, size=(frames, channels), dtype=np.int16)
    soundfile.write(path, ints, rate, subtype="PCM_16", **kwargs)
    return (ints.astype(np.float32) / 32768.0).T


def _text(path, content, encoding="utf-8"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding=encoding) as f:
        f.write(content)


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


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


def _tar(source, archive, arcname, mode="w:gz"):
    with tarfile.open(archive, mode) as tar:
        tar.add(source, arcname=arcname)
    return _sha256(archive)


def _zip(source, archive, prefix=""):
    """Zip every file under ``source`` with names relative to it (after ``prefix``)."""
    with zipfile.ZipFile(archive, "w") as zf:
        for folder, _, files in os.walk(source):
            for name in files:
                full = os.path.join(folder, name)
                zf.write(full, prefix + os.path.relpath(full, source).replace(os.sep, "/"))
    return _sha256(archive)


# ---------------------------------------------------------------- VCTK_092
def _vctk_tree(folder):
    expected = {}
    for i, (speaker, utt, mics) in enumerate([
        ("p225", "001", ("mic1", "mic2")), ("p225", "002", ("mic1", "mic2")),
        ("p280", "001", ("mic1",)), ("p362", "001", ("mic1", "mic2")), ("p362", "002", ()),
    ]):
        _text(os.path.join(folder, "txt", speaker, f"{speaker}_{utt}.txt"),
              f"Text {speaker} {utt}.\n")
        for mic in mics:
            expected[speaker, utt, mic] = _write(
                os.path.join(folder, "wav48_silence_trimmed", speaker,
                             f"{speaker}_{utt}_{mic}.flac"), 60 + i, rate=48000, seed=i)
    return expected


def test_vctk_mics_and_skips(tmp_path):
    expected = _vctk_tree(tmp_path / "VCTK-Corpus-0.92")
    mic2 = VCTK_092(tmp_path)  # p280 skipped for mic2; p362_002 has no audio: skipped
    assert len(mic2) == 3
    waveform, sr, text, speaker, utt = mic2[0]
    assert (sr, text, speaker, utt) == (48000, "Text p225 001.\n", "p225", "001")
    np.testing.assert_array_equal(waveform.numpy(), expected["p225", "001", "mic2"])
    mic1 = VCTK_092(tmp_path, mic_id="mic1")
    assert [mic1[i][3:] for i in range(len(mic1))] == [
        ("p225", "001"), ("p225", "002"), ("p280", "001"), ("p362", "001")]
    np.testing.assert_array_equal(mic1[2][0].numpy(), expected["p280", "001", "mic1"])
    with pytest.raises(RuntimeError, match='"mic1" or "mic2"'):
        VCTK_092(tmp_path, mic_id="mic3")
    with pytest.raises(RuntimeError, match="download=True"):
        VCTK_092(tmp_path / "none")


def test_vctk_download_zip(tmp_path, server, monkeypatch):
    served, base = server
    _vctk_tree(tmp_path / "src")
    url = base + "VCTK-Corpus-0.92.zip"
    digest = _zip(tmp_path / "src", served / "VCTK-Corpus-0.92.zip")
    monkeypatch.setattr(vctk_module, "_CHECKSUMS", {url: "f" * 64})
    with pytest.raises(DownloadError, match="ffff"):
        VCTK_092(tmp_path / "bad", download=True, url=url)
    monkeypatch.setattr(vctk_module, "_CHECKSUMS", {url: digest})
    assert len(VCTK_092(tmp_path / "good", download=True, url=url)) == 3


# ---------------------------------------------------------------- CMUARCTIC
def _arctic_tree(folder):
    a = _write(os.path.join(folder, "wav", "arctic_a0001.wav"), 80, seed=1)
    _write(os.path.join(folder, "wav", "arctic_b0002.wav"), 70, seed=2)
    _text(os.path.join(folder, "etc", "txt.done.data"),
          '( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )\n'
          '( arctic_b0002 "He said "no" twice." )\n')
    return a


def test_cmuarctic_transcripts(tmp_path):
    a = _arctic_tree(tmp_path / "ARCTIC" / "cmu_us_aew_arctic")
    ds = CMUARCTIC(tmp_path)
    assert len(ds) == 2
    waveform, sr, text, utt = ds[0]
    assert (sr, text, utt) == (16000, "Author of the danger trail, Philip Steels, etc.", "a0001")
    np.testing.assert_array_equal(waveform.numpy(), a)
    assert ds[1][2:] == ('He said "no" twice.', "b0002")
    with pytest.raises(RuntimeError, match="cmu_us_slt_arctic"):
        CMUARCTIC(tmp_path, url="slt")


def test_cmuarctic_download_bz2(tmp_path, server, monkeypatch):
    served, base = server
    _arctic_tree(tmp_path / "src" / "cmu_us_bdl_arctic")
    digest = _tar(tmp_path / "src" / "cmu_us_bdl_arctic", served / "cmu_us_bdl_arctic.tar.bz2",
                  "cmu_us_bdl_arctic", mode="w:bz2")
    monkeypatch.setattr(cmuarctic_module, "_BASE_URL", base)
    monkeypatch.setattr(cmuarctic_module, "_CHECKSUMS", {"cmu_us_bdl_arctic.tar.bz2": digest})
    ds = CMUARCTIC(tmp_path / "root", url="bdl", download=True)
    assert len(ds) == 2 and ds[1][3] == "b0002"
    assert (tmp_path / "root" / "ARCTIC" / "cmu_us_bdl_arctic.tar.bz2").is_file()


# ---------------------------------------------------------------- CMUDict
_CMUDICT = (";;; # CMUdict  --  Major Version: 0.07\n"
            "!EXCLAMATION-POINT  EH2 K S K L AH0 M EY1 SH AH0 N P OY2 N T\n"
            "...ELLIPSIS  IH2 L IH1 P S IH0 S\n"
            "AARDVARK  AA1 R D V AA2 R K\n"
            "DATAPOINTS  D EY1 T AH0 P OY2 N T S\n"
            "DATAPOINTS(1)  D AE1 T AH0 P OY2 N T S\n"
            "CAF\xc9  K AH0 F EY1\n")


def test_cmudict_entries_punctuation_and_symbols(tmp_path):
    _text(str(tmp_path / "cmudict-0.7b"), _CMUDICT, encoding="latin-1")
    _text(str(tmp_path / "cmudict-0.7b.symbols"), "AA\nAA0\nAA1\n")
    ds = CMUDict(tmp_path)
    assert len(ds) == 4
    assert ds[0] == ("AARDVARK", ["AA1", "R", "D", "V", "AA2", "R", "K"])
    assert ds[2] == ("DATAPOINTS", ["D", "AE1", "T", "AH0", "P", "OY2", "N", "T", "S"])
    assert ds[3][0] == "CAF\xc9"
    assert ds.symbols == ["AA", "AA0", "AA1"]
    ds.symbols.append("X")  # a copy
    assert len(ds.symbols) == 3
    with_punct = CMUDict(tmp_path, exclude_punctuations=False)
    assert [with_punct[i][0] for i in range(3)] == ["!", "...", "AARDVARK"]
    with pytest.raises(RuntimeError, match="root directory does not exist"):
        CMUDict(tmp_path / "none")
    os.remove(tmp_path / "cmudict-0.7b.symbols")
    with pytest.raises(RuntimeError, match="symbol file is not found"):
        CMUDict(tmp_path)


def test_cmudict_download_checks_sha256(tmp_path, server, monkeypatch):
    served, base = server
    _text(str(served / "cmudict-0.7b"), _CMUDICT, encoding="latin-1")
    _text(str(served / "cmudict-0.7b.symbols"), "AA\nAE\n")
    urls = base + "cmudict-0.7b", base + "cmudict-0.7b.symbols"
    monkeypatch.setattr(cmudict_module, "_CHECKSUMS", {
        urls[0]: _sha256(served / "cmudict-0.7b"), urls[1]: "0" * 64})
    (tmp_path / "root").mkdir()
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        CMUDict(tmp_path / "root", download=True, url=urls[0], url_symbols=urls[1])
    monkeypatch.setitem(cmudict_module._CHECKSUMS, urls[1],
                        _sha256(served / "cmudict-0.7b.symbols"))
    ds = CMUDict(tmp_path / "root", download=True, url=urls[0], url_symbols=urls[1])
    assert len(ds) == 4 and ds.symbols == ["AA", "AE"]


# ---------------------------------------------------------------- LIBRITTS
def test_libritts_items(tmp_path):
    chapter = tmp_path / "LibriTTS" / "dev-clean" / "84" / "121123"
    a = _write(str(chapter / "84_121123_000007_000001.wav"), 90, rate=24000, seed=3)
    _text(str(chapter / "84_121123_000007_000001.original.txt"), "Dr. Smith paid $5.")
    _text(str(chapter / "84_121123_000007_000001.normalized.txt"),
          "Doctor Smith paid five dollars.")
    ds = LIBRITTS(tmp_path, url="dev-clean")
    assert len(ds) == 1
    waveform, *rest = ds[0]
    assert tuple(rest) == (24000, "Dr. Smith paid $5.", "Doctor Smith paid five dollars.", 84,
                           121123, "84_121123_000007_000001")
    np.testing.assert_array_equal(waveform.numpy(), a)
    with pytest.raises(RuntimeError, match="test-clean"):
        LIBRITTS(tmp_path, url="test-clean")


# ---------------------------------------------------------------- COMMONVOICE
def test_commonvoice_tsv_and_mp3(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    signal = np.sin(np.linspace(0, 200, 4800)).astype(np.float32) * 0.5
    soundfile.write(str(clips / "common_voice_en_1.mp3"), signal, 48000, format="MP3")
    soundfile.write(str(clips / "common_voice_en_2.mp3"), signal[:2400], 48000, format="MP3")
    header = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent"
    _text(str(tmp_path / "dev.tsv"),
          f"{header}\nabc\tcommon_voice_en_1.mp3\tShe said \"hi\".\t2\t0\ttwenties\tfemale\t\n"
          "def\tcommon_voice_en_2\tSecond one.\t3\t1\t\t\tus\n")
    ds = COMMONVOICE(tmp_path, tsv="dev.tsv")
    assert len(ds) == 2
    waveform, sr, meta = ds[0]
    assert sr == 48000 and meta == {
        "client_id": "abc", "path": "common_voice_en_1.mp3", "sentence": 'She said "hi".',
        "up_votes": "2", "down_votes": "0", "age": "twenties", "gender": "female", "accent": ""}
    decoded, _ = soundfile.read(str(clips / "common_voice_en_1.mp3"), dtype="float32")
    np.testing.assert_array_equal(waveform.numpy(), decoded[None])
    assert ds[1][2]["accent"] == "us" and ds[1][0].shape[0] == 1  # ".mp3" appended
    with pytest.raises(RuntimeError, match="train.tsv"):
        COMMONVOICE(tmp_path)


# ---------------------------------------------------------------- TEDLIUM
def _tedlium_talk(folder, talk, seed):
    samples = _write(os.path.join(folder, "sph", talk + ".sph"), 16000, seed=seed,
                     format="NIST")
    _text(os.path.join(folder, "stm", talk + ".stm"),
          f"{talk} 1 {talk}_spk 0.10 0.25 <o,f0,male> first segment here\n"
          f"{talk} 1 {talk}_spk 0.50 0.75 <o,f0,male> second one\n")
    return samples


def test_tedlium_segments_and_dictionary(tmp_path):
    full = _tedlium_talk(str(tmp_path / "TEDLIUM_release1" / "train"), "AaronHuey_2010X", 4)
    _text(str(tmp_path / "TEDLIUM_release1" / "TEDLIUM.150K.dic"),
          "a AH\nabandon AH B AE N D AH N\n<unk>\n")
    ds = TEDLIUM(tmp_path)
    assert len(ds) == 2
    waveform, sr, text, talk, speaker, ident = ds[1]
    assert (sr, text, talk, speaker, ident) == (
        16000, "second one\n", "AaronHuey_2010X", "AaronHuey_2010X_spk", "<o,f0,male>")
    # frames [int(0.5 * 16000), int(0.75 * 16000))
    np.testing.assert_array_equal(waveform.numpy(), full[:, 8000:12000])
    assert ds[0][0].shape == (1, 2400)
    assert ds.phoneme_dict == {"a": ("AH",), "abandon": ("AH", "B", "AE", "N", "D", "AH", "N"),
                               "<unk>": ()}
    _tedlium_talk(str(tmp_path / "TEDLIUM_release-3" / "legacy" / "dev"), "Talk3", 5)
    assert len(TEDLIUM(tmp_path, release="release3", subset="dev")) == 2
    with pytest.raises(RuntimeError, match="release4"):
        TEDLIUM(tmp_path, release="release4")
    with pytest.raises(RuntimeError, match="valid"):
        TEDLIUM(tmp_path, subset="valid")
    with pytest.raises(RuntimeError, match="download=True"):
        TEDLIUM(tmp_path, subset="test")


# ---------------------------------------------------------------- FluentSpeechCommands
def test_fluent_speech_commands(tmp_path):
    root = tmp_path / "fluent_speech_commands_dataset"
    a = _write(str(root / "wavs" / "speakers" / "2BqVo8kV" / "0a3129c0-4474.wav"), 50, seed=6)
    _text(str(root / "data" / "valid_data.csv"),
          ",path,speakerId,transcription,action,object,location\n"
          "0,wavs/speakers/2BqVo8kV/0a3129c0-4474.wav,2BqVo8kV,\"Turn on the lights, please\","
          "activate,lights,none\n")
    ds = FluentSpeechCommands(tmp_path, subset="valid")
    assert len(ds) == 1
    waveform, *rest = ds[0]
    assert tuple(rest) == (16000, "0a3129c0-4474", "2BqVo8kV", "Turn on the lights, please",
                           "activate", "lights", "none")
    np.testing.assert_array_equal(waveform.numpy(), a)
    assert ds.get_metadata(0)[0] == os.path.join("wavs", "speakers", "2BqVo8kV",
                                                 "0a3129c0-4474.wav")
    with pytest.raises(ValueError, match="'train', 'valid', 'test'"):
        FluentSpeechCommands(tmp_path, subset="dev")
    with pytest.raises(RuntimeError, match="not found"):
        FluentSpeechCommands(tmp_path / "none")


# ---------------------------------------------------------------- LibriMix
def test_librimix_tasks(tmp_path):
    base = tmp_path / "Libri2Mix" / "wav8k" / "min" / "dev"
    expected = {folder: _write(str(base / folder / "a_b.wav"), 40, rate=8000, seed=i)
                for i, folder in enumerate(["mix_clean", "mix_both", "s1", "s2"])}
    _write(str(base / "mix_clean" / "c_d.wav"), 40, rate=8000)
    _write(str(base / "s1" / "c_d.wav"), 40, rate=8000)
    _write(str(base / "s2" / "c_d.wav"), 30, rate=8000)  # not the mixture's length
    ds = LibriMix(tmp_path, subset="dev")
    assert len(ds) == 2
    sr, mixed, sources = ds[0]
    assert sr == 8000 and len(sources) == 2
    np.testing.assert_array_equal(mixed.numpy(), expected["mix_clean"])
    np.testing.assert_array_equal(sources[1].numpy(), expected["s2"])
    assert ds.get_metadata(0) == (8000, os.path.join("wav8k", "min", "dev", "mix_clean", "a_b.wav"),
                                  [os.path.join("wav8k", "min", "dev", f"s{i}", "a_b.wav")
                                   for i in (1, 2)])
    with pytest.raises(ValueError, match="Different waveform shapes"):
        ds[1]
    both = LibriMix(tmp_path, subset="dev", task="enh_both")
    sr, mixed, sources = both[0]
    np.testing.assert_array_equal(mixed.numpy(), expected["mix_both"])
    np.testing.assert_array_equal(sources[0].numpy(), expected["mix_clean"])
    wrong = tmp_path / "Libri2Mix" / "wav16k" / "min" / "dev"
    for folder in ["mix_clean", "s1", "s2"]:
        _write(str(wrong / folder / "a_b.wav"), 40, rate=8000)
    with pytest.raises(ValueError, match="expected 16000"):
        LibriMix(tmp_path, subset="dev", sample_rate=16000)[0]
    with pytest.raises(ValueError, match="Unsupported sample rate"):
        LibriMix(tmp_path, sample_rate=44100)
    with pytest.raises(ValueError, match="mode"):
        LibriMix(tmp_path, mode="mean")
    with pytest.raises(ValueError, match="unknown task"):
        LibriMix(tmp_path, task="sep")


# ---------------------------------------------------------------- QUESST14
def _quesst_tree(folder):
    expected = {}
    rows = {"utterances": [], "dev": []}
    for i, (sub, key, name, lang) in enumerate([
        ("Audio", "utterances", "quesst14_00001", "nnenglish"),
        ("Audio", "utterances", "quesst14_00002", "czech"),
        ("dev_queries", "dev", "quesst14_dev_0001", "czech"),
    ]):
        expected[name] = _write(os.path.join(folder, sub, name + ".wav"), 30 + i, rate=8000,
                                seed=i)
        rows[key].append(f"quesst14Database/{sub}/{name}.wav {lang}\n")
    for key, lines in rows.items():
        _text(os.path.join(folder, "scoring", f"language_key_{key}.lst"), "".join(lines))
    return expected


def test_quesst14_subsets_and_languages(tmp_path):
    expected = _quesst_tree(str(tmp_path / "quesst14Database"))
    docs = QUESST14(tmp_path, subset="docs")
    assert len(docs) == 1
    waveform, sr, name = docs[0]
    assert (sr, name) == (8000, "quesst14_00001")
    np.testing.assert_array_equal(waveform.numpy(), expected[name])
    assert docs.get_metadata(0)[0] == os.path.join("Audio", "quesst14_00001.wav")
    assert [QUESST14(tmp_path, "docs", language=None)[i][2] for i in range(2)] == [
        "quesst14_00001", "quesst14_00002"]
    assert QUESST14(tmp_path, "dev", language="czech")[0][2] == "quesst14_dev_0001"
    assert len(QUESST14(tmp_path, "dev")) == 0
    with pytest.raises(ValueError, match="subset"):
        QUESST14(tmp_path, "test")
    with pytest.raises(ValueError, match="language"):
        QUESST14(tmp_path, "dev", language="english")
    with pytest.raises(RuntimeError, match="download=True"):
        QUESST14(tmp_path / "none", "dev")


def test_quesst14_download(tmp_path, server, monkeypatch):
    served, base = server
    _quesst_tree(str(tmp_path / "src" / "quesst14Database"))
    digest = _tar(tmp_path / "src" / "quesst14Database", served / "quesst14Database.tgz",
                  "quesst14Database")
    monkeypatch.setattr(quesst14_module, "URL", base + "quesst14Database.tgz")
    monkeypatch.setattr(quesst14_module, "_CHECKSUM", digest)
    assert len(QUESST14(tmp_path / "root", "docs", language=None, download=True)) == 2


# ---------------------------------------------------------------- MUSDB_HQ
def test_musdb_hq_stems_and_splits(tmp_path):
    train = tmp_path / "musdb18hq" / "train"
    stems = {}
    for t, track in enumerate(["ANiMAL - Rockshow", "Zeno - Song"]):
        for s, source in enumerate(["mixture", "bass", "drums", "other", "vocals"]):
            stems[track, source] = _write(str(train / track / f"{source}.wav"), 25, rate=44100,
                                          channels=2, seed=10 * t + s)
    ds = MUSDB_HQ(tmp_path, "train")
    assert ds.names == ["ANiMAL - Rockshow", "Zeno - Song"]
    waveform, sr, frames, name = ds[1]
    assert (sr, frames, name) == (44100, 25, "Zeno - Song")
    assert tuple(waveform.shape) == (4, 2, 25)
    np.testing.assert_array_equal(waveform.numpy(), np.stack(
        [stems["Zeno - Song", s] for s in ["bass", "drums", "other", "vocals"]]))
    vocals = MUSDB_HQ(tmp_path, "train", sources=["mixture", "vocals"])
    np.testing.assert_array_equal(vocals[0][0].numpy()[0], stems["ANiMAL - Rockshow", "mixture"])
    assert MUSDB_HQ(tmp_path, "train", split="train").names == ["Zeno - Song"]
    assert len(MUSDB_HQ(tmp_path, "train", split="validation")) == 14
    _write(str(train / "Zeno - Song" / "drums.wav"), 20, rate=44100, channels=2)
    with pytest.raises(ValueError, match="num_frames do not match"):
        ds[1]
    with pytest.raises(ValueError, match="subset"):
        MUSDB_HQ(tmp_path, "valid")
    with pytest.raises(ValueError, match="split"):
        MUSDB_HQ(tmp_path, "train", split="test")
    with pytest.raises(RuntimeError, match="download=True"):
        MUSDB_HQ(tmp_path, "test")


# ---------------------------------------------------------------- IEMOCAP
def test_iemocap_labels_and_types(tmp_path):
    session = tmp_path / "IEMOCAP" / "Session1"
    wavs = session / "sentences" / "wav"
    a = _write(str(wavs / "Ses01F_impro01" / "Ses01F_impro01_F000.wav"), 30, seed=1)
    _write(str(wavs / "Ses01F_impro01" / "Ses01F_impro01_M001.wav"), 30, seed=2)
    _write(str(wavs / "Ses01M_script01_1" / "Ses01M_script01_1_F002.wav"), 30, seed=3)
    evaluation = session / "dialog" / "EmoEvaluation"
    _text(str(evaluation / "Ses01F_impro01.txt"),
          "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
          "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
          "C-E2:\tNeutral;\t()\n"
          "[10.0 - 11.0]\tSes01F_impro01_M001\txxx\t[2.5000, 2.5000, 2.5000]\n")
    _text(str(evaluation / "Ses01M_script01_1.txt"),
          "[1.0 - 2.0]\tSes01M_script01_1_F002\texc\t[3.0, 3.0, 3.0]\n")
    ds = IEMOCAP(tmp_path, sessions=[1])
    assert len(ds) == 2  # "xxx" (no agreement) is not an item
    waveform, *rest = ds[0]
    assert tuple(rest) == (16000, "Ses01F_impro01_F000", "neu", "Ses01F")
    np.testing.assert_array_equal(waveform.numpy(), a)
    assert ds.get_metadata(1) == (os.path.join("Session1", "sentences", "wav",
                                               "Ses01M_script01_1", "Ses01M_script01_1_F002.wav"),
                                  16000, "Ses01M_script01_1_F002", "exc", "Ses01M")
    assert len(IEMOCAP(tmp_path, sessions=[1], utterance_type="scripted")) == 1
    assert IEMOCAP(tmp_path, [1], "improvised")[0][3] == "neu"
    with pytest.raises(ValueError, match="utterance_type"):
        IEMOCAP(tmp_path, utterance_type="acted")
    with pytest.raises(RuntimeError, match="not found"):
        IEMOCAP(tmp_path / "none")


# ---------------------------------------------------------------- LibriLightLimited
def _librilight_tree(root):
    expected = {}
    for i, (folder, spk, chap, utt) in enumerate([
        ("1h/0/clean", "19", "198", "0001"), ("1h/0/other", "20", "7", "0003"),
        ("1h/1/clean", "21", "9", "0000"), ("9h/clean", "22", "8", "0002"),
    ]):
        d = os.path.join(root, folder, spk, chap)
        expected[spk] = _write(os.path.join(d, f"{spk}-{chap}-{utt}.flac"), 20 + i, seed=i)
        _text(os.path.join(d, f"{spk}-{chap}.trans.txt"),
              f"{spk}-{chap}-9999 OTHER\n{spk}-{chap}-{utt} WORDS OF {spk}\n")
    return expected


def test_librilight_limited_subsets(tmp_path):
    expected = _librilight_tree(str(tmp_path / "librispeech_finetuning"))
    ds = LibriLightLimited(tmp_path)
    assert len(ds) == 2
    waveform, *rest = ds[0]
    assert tuple(rest) == (16000, "WORDS OF 19", 19, 198, 1)
    np.testing.assert_array_equal(waveform.numpy(), expected["19"])
    assert ds[1][1:] == (16000, "WORDS OF 20", 20, 7, 3)
    assert len(LibriLightLimited(tmp_path, "1h")) == 3
    assert [x[3] for x in LibriLightLimited(tmp_path, "10h")] == [19, 20, 21, 22]
    with pytest.raises(ValueError, match="10min"):
        LibriLightLimited(tmp_path, "5h")
    with pytest.raises(RuntimeError, match="download=True"):
        LibriLightLimited(tmp_path / "none")


def test_librilight_limited_download(tmp_path, server, monkeypatch):
    served, base = server
    _librilight_tree(str(tmp_path / "src" / "librispeech_finetuning"))
    digest = _tar(tmp_path / "src" / "librispeech_finetuning",
                  served / "librispeech_finetuning.tgz", "librispeech_finetuning")
    monkeypatch.setattr(librilight_module, "_URL", base + "librispeech_finetuning.tgz")
    monkeypatch.setattr(librilight_module, "_CHECKSUM", digest)
    assert len(LibriLightLimited(tmp_path / "root", "10h", download=True)) == 4


# ---------------------------------------------------------------- Snips
def test_snips_labels_and_speakers(tmp_path):
    root = tmp_path / "SNIPS"
    a = _write(str(root / "valid" / "Aditi-snips-valid-0.wav"), 30, seed=1)
    _write(str(root / "valid" / "Brian-snips-valid-1.wav"), 30, seed=2)
    _write(str(root / "train" / "Aditi-snips-train-0.wav"), 30, seed=3)
    _text(str(root / "all.iob.snips.txt"),
          "Aditi-snips-train-0 BOS add a song EOS\tO O O O AddToPlaylist\n"
          "Aditi-snips-valid-0 BOS play some jazz EOS\tO O B-music_item B-genre PlayMusic\n"
          "Brian-snips-valid-1 BOS rain tomorrow EOS\tO B-weather B-date GetWeather\n")
    ds = Snips(tmp_path, "valid", audio_format="wav")
    assert len(ds) == 2
    waveform, *rest = ds[0]
    assert tuple(rest) == (16000, "Aditi-snips-valid-0", "play some jazz",
                           "O B-music_item B-genre", "PlayMusic")
    np.testing.assert_array_equal(waveform.numpy(), a)
    brian = Snips(tmp_path, "valid", speakers=["Brian"], audio_format="wav")
    assert len(brian) == 1 and brian[0][5] == "GetWeather"
    assert len(Snips(tmp_path, "valid")) == 0  # no mp3 files here
    with pytest.raises(ValueError, match="subset"):
        Snips(tmp_path, "dev")
    with pytest.raises(ValueError, match="audio_format"):
        Snips(tmp_path, "valid", audio_format="flac")


# ---------------------------------------------------------------- VoxCeleb1
def _voxceleb_tree(root):
    expected = {}
    for i, rel in enumerate(["id10001/1zcIwhmdeo4/00001.wav", "id10001/7gWzIy6yIIk/00002.wav",
                             "id10270/x6uYqmx31kE/00001.wav"]):
        expected[rel] = _write(os.path.join(root, "wav", *rel.split("/")), 20 + i, seed=i)
    return expected


_IDEN = ("3 id10270/x6uYqmx31kE/00001.wav\n1 id10001/7gWzIy6yIIk/00002.wav\n"
         "1 id10001/1zcIwhmdeo4/00001.wav\n")
_VERI = ("1 id10001/1zcIwhmdeo4/00001.wav id10001/7gWzIy6yIIk/00002.wav\n"
         "0 id10001/1zcIwhmdeo4/00001.wav id10270/x6uYqmx31kE/00001.wav\n")


def test_voxceleb1_identification_and_verification(tmp_path):
    expected = _voxceleb_tree(str(tmp_path))
    _text(str(tmp_path / "iden_split.txt"), _IDEN)
    _text(str(tmp_path / "veri_test.txt"), _VERI)
    ident = VoxCeleb1Identification(tmp_path)
    assert len(ident) == 2  # sorted by path
    waveform, *rest = ident[0]
    # torchaudio keeps the digits after "id1": id10001 -> 1, id10270 -> 270
    assert tuple(rest) == (16000, 1, "id10001-1zcIwhmdeo4-00001")
    np.testing.assert_array_equal(waveform.numpy(), expected["id10001/1zcIwhmdeo4/00001.wav"])
    assert VoxCeleb1Identification(tmp_path, "test")[0][1:] == (
        16000, 270, "id10270-x6uYqmx31kE-00001")
    assert len(VoxCeleb1Identification(tmp_path, "dev")) == 0
    veri = VoxCeleb1Verification(tmp_path)
    first, second, *rest = veri[1]
    assert tuple(rest) == (16000, 0, "id10001-1zcIwhmdeo4-00001", "id10270-x6uYqmx31kE-00001")
    np.testing.assert_array_equal(second.numpy(), expected["id10270/x6uYqmx31kE/00001.wav"])
    assert veri[0][3] == 1
    with pytest.raises(ValueError, match="subset"):
        VoxCeleb1Identification(tmp_path, "valid")
    with pytest.raises(RuntimeError, match="download=True"):
        VoxCeleb1Verification(tmp_path / "none")


def test_voxceleb1_download_joins_dev_parts(tmp_path, server, monkeypatch):
    served, base = server
    _voxceleb_tree(str(tmp_path / "dev"))
    os.remove(tmp_path / "dev" / "wav" / "id10270" / "x6uYqmx31kE" / "00001.wav")
    _write(str(tmp_path / "test" / "wav" / "id10270" / "x6uYqmx31kE" / "00001.wav"), 22, seed=2)
    _zip(tmp_path / "dev", tmp_path / "dev.zip")
    data = (tmp_path / "dev.zip").read_bytes()
    cuts = [0, len(data) // 3, len(data) // 2, 2 * len(data) // 3, len(data)]
    urls, checksums = [], []
    for k in range(4):  # the dev zip published in four byte ranges
        name = f"vox1_dev_wav_parta{'abcd'[k]}"
        (served / name).write_bytes(data[cuts[k]:cuts[k + 1]])
        urls.append(base + name)
        checksums.append(_sha256(served / name))
    test_digest = _zip(tmp_path / "test", served / "vox1_test_wav.zip")
    _text(str(served / "veri_test.txt"), _VERI)
    monkeypatch.setattr(voxceleb1_module, "_ARCHIVE_CONFIGS", {
        "dev": {"archive_name": "vox1_dev_wav.zip", "urls": urls, "checksums": checksums},
        "test": {"archive_name": "vox1_test_wav.zip", "url": base + "vox1_test_wav.zip",
                 "checksum": test_digest}})
    veri = VoxCeleb1Verification(tmp_path / "root", meta_url=base + "veri_test.txt",
                                 download=True)
    assert len(veri) == 2 and veri[1][3] == 0
    assert (tmp_path / "root" / "vox1_dev_wav.zip").read_bytes() == data


# ---------------------------------------------------------------- DR_VCTK
def test_dr_vctk_pairs(tmp_path):
    root = tmp_path / "DR-VCTK" / "DR-VCTK"
    clean = _write(str(root / "clean_testset_wav_16k" / "p226_002.wav"), 30, seed=1)
    noisy = _write(str(root / "device-recorded_testset_wav_16k" / "p226_002.wav"), 30, seed=2)
    _write(str(root / "clean_testset_wav_16k" / "p226_001.wav"), 30, seed=3)
    _write(str(root / "device-recorded_testset_wav_16k" / "p226_001.wav"), 30, seed=4)
    _text(str(root / "configurations" / "test_ch_log.txt"),
          "File Name\tMain Source\tChannel Idx\n"
          "p226_002.wav\tDR-VCTK_Office1_OpenedWindow\t3\n"
          "p226_001.wav\tDR-VCTK_Office1_ClosedWindow\t1\n")
    _text(str(root / "configurations" / "train_ch_log.txt"),
          "\nFile Name\tMain Source\tChannel Idx\n")
    ds = DR_VCTK(tmp_path, subset="test")
    assert len(ds) == 2
    c, sr_c, n, sr_n, *rest = ds[1]
    assert (sr_c, sr_n, *rest) == (16000, 16000, "p226", "002", "DR-VCTK_Office1_OpenedWindow", 3)
    np.testing.assert_array_equal(c.numpy(), clean)
    np.testing.assert_array_equal(n.numpy(), noisy)
    assert len(DR_VCTK(tmp_path)) == 0  # two header lines skipped for train
    with pytest.raises(RuntimeError, match="supported subsets"):
        DR_VCTK(tmp_path, subset="dev")
    with pytest.raises(RuntimeError, match="download=True"):
        DR_VCTK(tmp_path / "none")


# ---------------------------------------------------------------- LibriSpeechBiasing
def _biasing_tree(root):
    chapter = os.path.join(root, "LibriSpeech", "dev-clean", "84", "121123")
    a = _write(os.path.join(chapter, "84-121123-0000.flac"), 40, seed=5)
    _text(os.path.join(chapter, "84-121123.trans.txt"),
          "84-121123-0000 THE ZEBRA AND THE OKAPI SAW A ZEBRA\n")
    return a


def test_librispeech_biasing_words(tmp_path, server, monkeypatch):
    a = _biasing_tree(str(tmp_path))
    ds = LibriSpeechBiasing(tmp_path, url="dev-clean", blist=["OKAPI", "ZEBRA", "LION"])
    waveform, *rest = ds[0]
    assert tuple(rest) == (16000, "THE ZEBRA AND THE OKAPI SAW A ZEBRA", 84, 121123, 0,
                           ["ZEBRA", "OKAPI"])
    np.testing.assert_array_equal(waveform.numpy(), a)
    assert LibriSpeechBiasing(tmp_path, url="dev-clean")[0][6] == []
    with pytest.raises(ValueError, match="Invalid url"):
        LibriSpeechBiasing(tmp_path, url="dev")
    with pytest.raises(RuntimeError, match="download=True"):
        LibriSpeechBiasing(tmp_path, url="test-clean")
    served, base = server
    digest = _tar(tmp_path / "LibriSpeech", served / "dev-clean.tar.gz", "LibriSpeech")
    monkeypatch.setattr(biasing_module, "_BASE_URL", base)
    monkeypatch.setitem(biasing_module._CHECKSUMS, "dev-clean", digest)
    got = LibriSpeechBiasing(tmp_path / "root", url="dev-clean", download=True, blist=["OKAPI"])
    assert got[0][6] == ["OKAPI"]


def test_items_are_float32_tensors(tmp_path):
    _arctic_tree(tmp_path / "ARCTIC" / "cmu_us_aew_arctic")
    waveform = CMUARCTIC(tmp_path)[0][0]
    assert isinstance(waveform, ember.Tensor) and waveform.dtype == ember.float32


def test_downloads_libritts_musdb_dr_vctk(tmp_path, server, monkeypatch):
    from emberaudio.datasets import dr_vctk as dr_vctk_module
    from emberaudio.datasets import libritts as libritts_module
    from emberaudio.datasets import musdb_hq as musdb_module

    served, base = server
    # LIBRITTS: tar.gz holding LibriTTS/<subset>/..., checksum looked up by file name
    chapter = tmp_path / "tts" / "LibriTTS" / "dev-clean" / "84" / "121123"
    _write(str(chapter / "84_121123_000007_000001.wav"), 30, rate=24000)
    _text(str(chapter / "84_121123_000007_000001.original.txt"), "A.")
    _text(str(chapter / "84_121123_000007_000001.normalized.txt"), "A.")
    digest = _tar(tmp_path / "tts" / "LibriTTS", served / "dev-clean.tar.gz", "LibriTTS")
    monkeypatch.setattr(libritts_module, "_BASE_URL", base)
    monkeypatch.setattr(libritts_module, "_CHECKSUMS", {"dev-clean.tar.gz": digest})
    assert LIBRITTS(tmp_path / "r1", url="dev-clean", download=True)[0][2] == "A."
    # MUSDB_HQ: a zip without a top folder, extracted into <root>/musdb18hq
    for source in ["bass", "drums", "other", "vocals", "mixture"]:
        _write(str(tmp_path / "musdb" / "test" / "Track" / f"{source}.wav"), 10, rate=44100)
    monkeypatch.setattr(musdb_module, "_URL", base + "musdb18hq.zip")
    monkeypatch.setattr(musdb_module, "_CHECKSUM",
                        _zip(tmp_path / "musdb", served / "musdb18hq.zip"))
    assert MUSDB_HQ(tmp_path / "r2", "test", download=True).names == ["Track"]
    # DR_VCTK: zip holding DR-VCTK/DR-VCTK/..., checked when the URL has a known digest
    inner = tmp_path / "dr" / "DR-VCTK" / "DR-VCTK"
    for condition in ["clean", "device-recorded"]:
        _write(str(inner / f"{condition}_trainset_wav_16k" / "p226_001.wav"), 10)
    _text(str(inner / "configurations" / "train_ch_log.txt"),
          "\nFile Name\tMain Source\tChannel Idx\np226_001.wav\tsrc\t2\n")
    url = base + "DR-VCTK.zip"
    monkeypatch.setattr(dr_vctk_module, "_CHECKSUMS", {url: "0" * 64})
    _zip(tmp_path / "dr", served / "DR-VCTK.zip")
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        DR_VCTK(tmp_path / "r3", download=True, url=url)
    monkeypatch.setattr(dr_vctk_module, "_CHECKSUMS", {url: _sha256(served / "DR-VCTK.zip")})
    assert DR_VCTK(tmp_path / "r3", download=True, url=url)[0][4:] == ("p226", "001", "src", 2)
