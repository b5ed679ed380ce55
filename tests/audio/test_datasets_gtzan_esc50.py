"""GTZAN and ESC-50 on tiny fake datasets written in each published layout, and their
downloads from a local HTTP server (the real archive structure, served from 127.0.0.1)."""

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
from emberaudio.datasets import gtzan as gtzan_module
from emberaudio.datasets.esc50 import ESC50
from emberaudio.datasets.gtzan import GTZAN, gtzan_genres


def _write_wav(path, frames, rate, seed):
    """A PCM16 mono WAV; returns the (1, frames) float32 samples it decodes to."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ints = np.random.default_rng(seed).integers(-20000, 20000, size=frames, dtype=np.int16)
    soundfile.write(path, ints, rate, subtype="PCM_16")
    return (ints.astype(np.float32) / 32768.0)[None]


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


# ---------------------------------------------------------------------------------- GTZAN
# (file id, in which filtered split): blues.00029 training, blues.00000 validation,
# blues.00012 testing, rock.00085 validation, jazz.00073 testing; blues.00100 is a well-formed
# name outside the splits; the others must be skipped by the full-folder walk.
GTZAN_IDS = ["blues.00029", "blues.00000", "blues.00012", "rock.00085", "jazz.00073"]


def _gtzan_tree(folder):
    expected = {fid: _write_wav(str(folder / fid.split(".")[0] / f"{fid}.wav"), 100 + i,
                                22050, i) for i, fid in enumerate(GTZAN_IDS)}
    _write_wav(str(folder / "blues" / "blues.00100.wav"), 50, 22050, 9)
    _write_wav(str(folder / "blues" / "blues.1.wav"), 50, 22050, 9)  # not 5 digits
    _write_wav(str(folder / "rock" / "notes.wav"), 50, 22050, 9)  # no genre.number
    _write_wav(str(folder / "speech" / "speech.00001.wav"), 50, 22050, 9)  # not a genre
    (folder / "rock" / "rock.00001.txt").write_text("not audio")
    return expected


def test_gtzan_full_walk_items(tmp_path):
    expected = _gtzan_tree(tmp_path / "genres")
    ds = GTZAN(tmp_path)
    # genre order of gtzan_genres, then file names sorted
    walk = ["blues.00000", "blues.00012", "blues.00029", "blues.00100", "jazz.00073",
            "rock.00085"]
    assert len(ds) == len(walk)
    for i, fid in enumerate(walk):
        waveform, sample_rate, label = ds[i]
        assert sample_rate == 22050 and label == fid.split(".")[0]
        if fid in expected:
            np.testing.assert_array_equal(waveform.numpy(), expected[fid])
    assert ds[0][0].dtype == ember.float32


def test_gtzan_filtered_splits(tmp_path):
    _gtzan_tree(tmp_path / "genres")
    sizes = {s: len(GTZAN(tmp_path, subset=s)) for s in ("training", "validation", "testing")}
    assert sizes == {"training": 443, "validation": 197, "testing": 290}
    ids = {s: set(GTZAN(tmp_path, subset=s)._walker) for s in sizes}
    assert not ids["training"] & ids["validation"] and not ids["training"] & ids["testing"]
    assert len(ids["training"] | ids["validation"] | ids["testing"]) == 930  # 70 filtered out
    # membership of a few ids, checked against torchaudio's published lists
    assert {"blues.00029", "hiphop.00002", "rock.00099"} <= ids["training"]
    assert {"blues.00000", "hiphop.00098", "rock.00085"} <= ids["validation"]
    assert {"blues.00012", "jazz.00099", "disco.00001"} <= ids["testing"]
    assert "country.00008" not in ids["training"] | ids["validation"] | ids["testing"]
    test = GTZAN(tmp_path, subset="testing")
    assert test._walker[0] == "blues.00012"
    waveform, sample_rate, label = test[0]
    assert (tuple(waveform.shape), sample_rate, label) == ((1, 102), 22050, "blues")
    with pytest.raises(RuntimeError, match="clip 'blues.00013' of the testing split is missing"):
        test[1]


def test_gtzan_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must be one of \['training', 'validation'"):
        GTZAN(tmp_path, subset="train")
    with pytest.raises(RuntimeError, match="download=True"):
        GTZAN(tmp_path)
    assert gtzan_genres[0] == "blues" and len(gtzan_genres) == 10


def test_gtzan_download_checks_sha256(tmp_path, server, monkeypatch):
    served, base = server
    _gtzan_tree(tmp_path / "src" / "genres")
    archive = served / "genres.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "genres", arcname="genres")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    url = base + "genres.tar.gz"
    monkeypatch.setattr(gtzan_module, "_CHECKSUMS", {url: "0" * 64})
    with pytest.raises(DownloadError):
        GTZAN(tmp_path / "bad", url=url, download=True)
    assert not (tmp_path / "bad" / "genres").exists()
    monkeypatch.setattr(gtzan_module, "_CHECKSUMS", {url: digest})
    ds = GTZAN(tmp_path / "good", url=url, download=True)
    assert len(ds) == 6 and ds[5][2] == "rock"


# ---------------------------------------------------------------------------------- ESC-50
ESC_ROWS = [  # filename, fold, target, category, esc10, src_file, take
    ("1-100032-A-0.wav", 1, 0, "dog", True, "100032", "A"),
    ("1-100038-A-14.wav", 1, 14, "chirping_birds", False, "100038", "A"),
    ("2-100648-A-43.wav", 2, 43, "car_horn", False, "100648", "A"),
    ("3-102583-B-1.wav", 3, 1, "rooster", True, "102583", "B"),
    ("5-103415-A-0.wav", 5, 0, "dog", True, "103415", "A"),
]


def _esc50_tree(folder):
    expected = {}
    for i, row in enumerate(ESC_ROWS):
        expected[row[0]] = _write_wav(str(folder / "audio" / row[0]), 200 + i, 44100, i)
    (folder / "meta").mkdir()
    lines = ["filename,fold,target,category,esc10,src_file,take"]
    lines += [",".join(str(v) for v in row) for row in ESC_ROWS]
    (folder / "meta" / "esc50.csv").write_text("\n".join(lines) + "\n")
    return expected


def test_esc50_items_folds_and_metadata(tmp_path):
    expected = _esc50_tree(tmp_path / "ESC-50-master")
    ds = ESC50(tmp_path)
    assert len(ds) == 5
    waveform, sample_rate, target = ds[2]
    assert (sample_rate, target) == (44100, 43)
    np.testing.assert_array_equal(waveform.numpy(), expected["2-100648-A-43.wav"])
    assert ds.classes[43] == "car_horn" and ds.classes[0] == "dog" and len(ds.classes) == 44
    meta = ds.get_metadata(3)
    assert meta == ("3-102583-B-1.wav", 3, 1, "rooster", True, "102583", "B")
    assert meta.fold == 3 and meta.esc10 is True
    assert [ESC50(tmp_path, fold=1).get_metadata(i).filename for i in range(2)] == \
        ["1-100032-A-0.wav", "1-100038-A-14.wav"]
    train, test = ESC50(tmp_path, fold=[1, 2, 3, 4]), ESC50(tmp_path, fold=5)
    assert len(train) == 4 and len(test) == 1 and test[0][2] == 0
    assert test.classes == ds.classes  # every class named, whatever the folds kept
    assert [r.target for r in ESC50(tmp_path, esc10=True)._rows] == [0, 1, 0]
    assert len(ESC50(tmp_path, fold=(2, 3), esc10=True)) == 1


def test_esc50_errors(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        ESC50(tmp_path)
    for bad in (0, 6, [1, 7], []):
        with pytest.raises(ValueError, match="fold must be an int in 1..5"):
            ESC50(tmp_path, fold=bad)
    (tmp_path / "ESC-50-master" / "meta").mkdir(parents=True)
    (tmp_path / "ESC-50-master" / "meta" / "esc50.csv").write_text("file,label\na.wav,1\n")
    with pytest.raises(RuntimeError, match="has columns \\['file', 'label'\\]"):
        ESC50(tmp_path)
    (tmp_path / "ESC-50-master" / "meta" / "esc50.csv").write_text(
        "filename,fold,target,category,esc10,src_file,take\na.wav,one,0,dog,True,1,A\n")
    with pytest.raises(RuntimeError, match="line 2 is not a valid row"):
        ESC50(tmp_path)


def test_esc50_download_zip_from_url(tmp_path, server):
    served, base = server
    _esc50_tree(tmp_path / "src" / "ESC-50-master")
    with zipfile.ZipFile(served / "master.zip", "w") as zf:  # GitHub's branch-archive layout
        for dirpath, _, files in os.walk(tmp_path / "src"):
            for name in files:
                full = os.path.join(dirpath, name)
                zf.write(full, os.path.relpath(full, tmp_path / "src"))
    ds = ESC50(tmp_path / "root", url=base + "master.zip", download=True, fold=3)
    assert len(ds) == 1 and ds[0][2] == 1
    assert (tmp_path / "root" / "master.zip").is_file()
    os.remove(served / "master.zip")  # present now: no network needed
    assert len(ESC50(tmp_path / "root", download=True)) == 5
