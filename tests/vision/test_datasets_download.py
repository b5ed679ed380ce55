"""download=True end to end, against a local HTTP server (conftest's file_server), never the
internet: the datasets' URLs and MD5s are pointed at fake archives in the real layouts."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile

import numpy as np
import pytest
from test_datasets_base import cifar_rows, random_images, write_idx, write_mat, write_pickle
from test_datasets_stl10 import write_stl10

from ember import hub
from embervision import datasets


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _mnist_files(tmp_path):
    """The four MNIST .gz files (fake content) as name -> bytes, and what they hold."""
    rng = np.random.default_rng(0)
    out, held = {}, {}
    for prefix, n in (("train", 4), ("t10k", 2)):
        images, labels = random_images(rng, n, (28, 28)), rng.integers(0, 10, n).astype(np.uint8)
        held[prefix] = (images, labels)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            path = write_idx(tmp_path / "src" / f"{prefix}-{kind}-ubyte", array, compress=True)
            out[os.path.basename(path)] = _read(path)
    return out, held


def test_mnist_download_tries_mirrors_checks_md5s_and_is_not_repeated(tmp_path, file_server,
                                                                      monkeypatch):
    files, held = _mnist_files(tmp_path)
    for name, data in files.items():
        file_server.files[f"/good/{name}"] = data
    monkeypatch.setattr(datasets.MNIST, "mirrors",
                        [file_server.url + "/gone/", file_server.url + "/good/"])
    monkeypatch.setattr(datasets.MNIST, "resources",
                        [(name, _md5(data)) for name, data in files.items()])
    root = tmp_path / "root"
    ds = datasets.MNIST(str(root), train=True, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), held["train"][0])
    assert ds.targets.tolist() == held["train"][1].tolist()
    assert file_server.requests == [p for name in files for p in (f"/gone/{name}",
                                                                  f"/good/{name}")]
    raw = root / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(list(files) + [n[:-3] for n in files])
    file_server.requests.clear()
    test = datasets.MNIST(str(root), train=False, download=True)
    assert file_server.requests == [] and len(test) == 2


def test_mnist_download_of_a_corrupted_file_fails_with_the_hashes(tmp_path, file_server,
                                                                 monkeypatch):
    files, _ = _mnist_files(tmp_path)
    for name, data in files.items():
        file_server.files[f"/m/{name}"] = data
    first = next(iter(files))
    file_server.files[f"/m/{first}"] = files[first][:-1] + bytes([files[first][-1] ^ 0xFF])
    monkeypatch.setattr(datasets.MNIST, "mirrors", [file_server.url + "/m/"])
    monkeypatch.setattr(datasets.MNIST, "resources",
                        [(name, _md5(data)) for name, data in files.items()])
    with pytest.raises(hub.DownloadError) as info:
        datasets.MNIST(str(tmp_path / "root"), download=True)
    message = str(info.value)
    assert f"{file_server.url}/m/{first}" in message
    assert f"md5 mismatch: expected {_md5(files[first])}, got " in message


def _tar_gz(members: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _tree_bytes(root) -> dict:
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            out[os.path.relpath(full, root)] = _read(full)
    return out


def test_cifar10_download_and_extract(tmp_path, file_server, monkeypatch):
    src = tmp_path / "src"
    rng = np.random.default_rng(0)
    images = random_images(rng, 2, (32, 32, 3))
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        write_pickle(str(src / "cifar-10-batches-py" / name),
                     {"data": cifar_rows(images), "labels": [3, 4]})
    write_pickle(str(src / "cifar-10-batches-py" / "batches.meta"),
                 {"label_names": [f"c{i}" for i in range(10)]})
    archive = _tar_gz(_tree_bytes(src))
    file_server.files["/cifar.tar.gz"] = archive
    monkeypatch.setattr(datasets.CIFAR10, "url", file_server.url + "/cifar.tar.gz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(archive))
    ds = datasets.CIFAR10(str(tmp_path / "root"), train=False, download=True)
    np.testing.assert_array_equal(ds.data, images)
    assert ds.targets == [3, 4] and ds.classes[9] == "c9"
    assert (tmp_path / "root" / "cifar-10-python.tar.gz").is_file()
    datasets.CIFAR10(str(tmp_path / "root"), train=True, download=True)
    assert file_server.requests == ["/cifar.tar.gz"]


def test_stl10_download_and_extract(tmp_path, file_server, monkeypatch):
    parts = write_stl10(str(tmp_path / "src"))
    archive = _tar_gz(_tree_bytes(tmp_path / "src"))
    file_server.files["/stl.tar.gz"] = archive
    monkeypatch.setattr(datasets.STL10, "url", file_server.url + "/stl.tar.gz")
    monkeypatch.setattr(datasets.STL10, "tgz_md5", _md5(archive))
    ds = datasets.STL10(str(tmp_path / "root"), split="test", download=True)
    np.testing.assert_array_equal(np.asarray(ds[1][0]), parts["test"][0][1])


def test_svhn_download(tmp_path, file_server, monkeypatch):
    x = random_images(np.random.default_rng(0), 1, (32, 32, 3, 2))[0]
    write_mat(tmp_path / "t.mat", {"X": x, "y": np.array([[10.0], [7.0]])})
    data = _read(tmp_path / "t.mat")
    file_server.files["/svhn/test_32x32.mat"] = data
    monkeypatch.setitem(datasets.SVHN.split_list, "test",
                        [file_server.url + "/svhn/test_32x32.mat", "test_32x32.mat", _md5(data)])
    ds = datasets.SVHN(str(tmp_path / "root"), split="test", download=True)
    assert ds.labels.tolist() == [0, 7]
    datasets.SVHN(str(tmp_path / "root"), split="test", download=True)  # present, MD5 matches
    assert file_server.requests == ["/svhn/test_32x32.mat"]


def test_emnist_download_unpacks_the_gzip_folder(tmp_path, file_server, monkeypatch):
    rng = np.random.default_rng(0)
    members = {}
    for part in ("train", "test"):
        for kind, array in (("images-idx3", random_images(rng, 3, (28, 28))),
                            ("labels-idx1", np.array([1, 2, 3], np.uint8))):
            path = write_idx(tmp_path / "src" / f"emnist-digits-{part}-{kind}-ubyte", array, True)
            members[f"gzip/{os.path.basename(path)}"] = _read(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    file_server.files["/emnist.zip"] = buf.getvalue()
    monkeypatch.setattr(datasets.EMNIST, "url", file_server.url + "/emnist.zip")
    monkeypatch.setattr(datasets.EMNIST, "md5", _md5(buf.getvalue()))
    ds = datasets.EMNIST(str(tmp_path / "root"), split="digits", train=False, download=True)
    assert ds.targets.tolist() == [1, 2, 3] and ds.classes == list("0123456789")
    raw = tmp_path / "root" / "EMNIST" / "raw"
    assert not (raw / "gzip").exists()
    assert (raw / "emnist-digits-train-images-idx3-ubyte").is_file()
