"""ember.hub against a real HTTP server on 127.0.0.1 (never the internet).

The server serves files the tests create, and can misbehave on purpose: a corrupted file (wrong
checksum), a response that drops the connection mid-file, an HTML error page served with status
200, a 404 mirror, a server that ignores Range requests. Every request is recorded, so the tests
also prove when no request is made at all.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import time
import zipfile

import numpy as np
import pytest

import ember
import ember.hub as hub

PAYLOAD = bytes(np.random.default_rng(7).integers(0, 256, 300_000, dtype=np.uint8))
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()
HTML = b"<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path]``: dict(data=bytes, status=200, ctype=..., range=True,
    drop_after=None, drops=0, delay=0). ``drops`` responses stop after ``drop_after`` bytes."""

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.log.append((self.path, self.headers.get("Range")))
        spec = server.routes.get(self.path)
        if spec is None or spec.get("status", 200) != 200:
            code = 404 if spec is None else spec["status"]
            self.send_error(code)
            return
        time.sleep(spec.get("delay", 0))
        data = spec["data"]
        start = 0
        rng = self.headers.get("Range")
        if rng and spec.get("range", True):
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", spec.get("ctype", "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if spec.get("drops", 0) > 0:
            spec["drops"] -= 1
            self.wfile.write(body[: spec["drop_after"]])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops mid-file
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def _server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.routes, server.log = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(_server, monkeypatch):
    _server.routes.clear()
    _server.log.clear()
    _server.url = f"http://127.0.0.1:{_server.server_address[1]}"
    monkeypatch.setattr(hub, "RETRY_BACKOFF", 0.0)
    return _server


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _paths(server):
    return [path for path, _ in server.log]


# -------------------------------------------------------------------------------------------
# download: the happy path and the cache
# -------------------------------------------------------------------------------------------


def test_download_verifies_both_checksums_and_places_the_file(server, tmp_path):
    server.routes["/d/file.bin"] = dict(data=PAYLOAD)
    path = hub.download(server.url + "/d/file.bin", tmp_path / "sub", sha256=SHA256, md5=MD5,
                        progress=False)
    assert path == os.path.join(tmp_path, "sub", "file.bin")
    with open(path, "rb") as f:
        assert f.read() == PAYLOAD
    assert os.listdir(tmp_path / "sub") == ["file.bin"]  # no .part left behind
    assert server.log == [("/d/file.bin", None)]


def test_second_call_makes_no_request(server, tmp_path):
    server.routes["/file.bin"] = dict(data=PAYLOAD)
    hub.download(server.url + "/file.bin", tmp_path, md5=MD5, progress=False)
    hub.download(server.url + "/file.bin", tmp_path, md5=MD5, progress=False)
    hub.download(server.url + "/file.bin", tmp_path, progress=False)  # no checksum: present is ok
    assert len(server.log) == 1


def test_present_file_with_matching_checksum_needs_no_server(server, tmp_path):
    (tmp_path / "file.bin").write_bytes(PAYLOAD)
    path = hub.download(server.url + "/nowhere/file.bin", tmp_path, sha256=SHA256, progress=False)
    assert path == str(tmp_path / "file.bin")
    assert server.log == []


def test_present_file_with_wrong_checksum_is_downloaded_again(server, tmp_path):
    (tmp_path / "file.bin").write_bytes(b"stale")
    server.routes["/file.bin"] = dict(data=PAYLOAD)
    path = hub.download(server.url + "/file.bin", tmp_path, sha256=SHA256, progress=False)
    assert _read(path) == PAYLOAD
    assert len(server.log) == 1


def test_filename_argument_and_uppercase_digest(server, tmp_path):
    server.routes["/get"] = dict(data=PAYLOAD)
    path = hub.download(server.url + "/get", tmp_path, filename="named.bin",
                        sha256=SHA256.upper(), progress=False)
    assert path == str(tmp_path / "named.bin")
    with pytest.raises(ValueError, match="pass filename="):
        hub.download(server.url + "/", tmp_path, progress=False)


def test_progress_bar_goes_to_stderr(server, tmp_path, capsys):
    server.routes["/file.bin"] = dict(data=PAYLOAD)
    hub.download(server.url + "/file.bin", tmp_path, progress=True)
    err = capsys.readouterr().err
    # tqdm with unit='B', unit_scale=True, unit_divisor=1024: 300000 B is 293k
    assert "file.bin: 100%" in err and "293k/293k" in err


# -------------------------------------------------------------------------------------------
# What arrives is checked
# -------------------------------------------------------------------------------------------


def test_corrupted_file_is_deleted_and_reported(server, tmp_path):
    corrupted = bytearray(PAYLOAD)
    corrupted[1000] ^= 0xFF
    server.routes["/file.bin"] = dict(data=bytes(corrupted))
    url = server.url + "/file.bin"
    with pytest.raises(hub.DownloadError) as info:
        hub.download(url, tmp_path, sha256=SHA256, progress=False)
    message = str(info.value)
    actual = hashlib.sha256(corrupted).hexdigest()
    assert url in message and SHA256 in message and actual in message
    assert "deleted" in message
    assert os.listdir(tmp_path) == []


def test_md5_mismatch_is_reported(server, tmp_path):
    server.routes["/file.bin"] = dict(data=PAYLOAD[:-1])
    with pytest.raises(hub.DownloadError, match=f"md5 mismatch: expected {MD5}, got "
                       f"{hashlib.md5(PAYLOAD[:-1]).hexdigest()}"):
        hub.download(server.url + "/file.bin", tmp_path, md5=MD5, progress=False)


@pytest.mark.parametrize("ctype, body", [("text/html", b"Error 500"),
                                         ("application/octet-stream", HTML),
                                         ("application/octet-stream", b"  \n<html><b>x</b>")])
def test_html_page_in_place_of_the_file_is_recognised(server, tmp_path, ctype, body):
    server.routes["/archive.tar.gz"] = dict(data=body, ctype=ctype)
    url = server.url + "/archive.tar.gz"
    with pytest.raises(hub.DownloadError, match="HTML page") as info:
        hub.download(url, tmp_path, progress=False)
    assert url in str(info.value)
    assert os.listdir(tmp_path) == []
    assert len(server.log) == 1  # not retried: it will not change


def test_an_html_file_asked_for_is_fine(server, tmp_path):
    server.routes["/index.html"] = dict(data=HTML, ctype="text/html")
    path = hub.download(server.url + "/index.html", tmp_path, progress=False)
    assert _read(path) == HTML


def test_mirrors_are_tried_in_turn(server, tmp_path):
    server.routes["/good/file.bin"] = dict(data=PAYLOAD)
    path = hub.download(server.url + "/bad/file.bin", tmp_path, md5=MD5,
                        mirrors=[server.url + "/also-bad/", server.url + "/good/"],
                        progress=False)
    assert _read(path) == PAYLOAD
    assert _paths(server) == ["/bad/file.bin", "/also-bad/file.bin", "/good/file.bin"]


def test_all_mirrors_failing_lists_each_url_and_its_problem(server, tmp_path):
    server.routes["/b/file.bin"] = dict(data=HTML, ctype="text/html")
    server.routes["/c/file.bin"] = dict(data=b"wrong bytes")
    with pytest.raises(hub.DownloadError) as info:
        hub.download(server.url + "/a/file.bin", tmp_path, md5=MD5,
                     mirrors=[server.url + "/b/file.bin", server.url + "/c/"], progress=False)
    lines = str(info.value).splitlines()
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, OSError)
    assert lines[0] == "download: could not download file.bin from any of 3 URLs:"
    assert lines[1] == f"  {server.url}/a/file.bin: HTTP 404 Not Found"
    assert lines[2].startswith(f"  {server.url}/b/file.bin: the server sent an HTML page")
    assert lines[3] == (f"  {server.url}/c/file.bin: md5 mismatch: expected {MD5}, got "
                        f"{hashlib.md5(b'wrong bytes').hexdigest()}; the downloaded file was "
                        f"deleted")


def test_server_errors_are_retried_but_404_is_not(server, tmp_path):
    server.routes["/busy.bin"] = dict(data=b"", status=503)
    with pytest.raises(hub.DownloadError, match="HTTP 503 .*gave up after 3 attempts"):
        hub.download(server.url + "/busy.bin", tmp_path, progress=False)
    assert len(server.log) == hub.RETRIES
    server.log.clear()
    with pytest.raises(hub.DownloadError, match="HTTP 404"):
        hub.download(server.url + "/missing.bin", tmp_path, progress=False)
    assert len(server.log) == 1


def test_refused_connection_goes_to_the_next_mirror(server, tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/file.bin"
    server.routes["/file.bin"] = dict(data=PAYLOAD)
    path = hub.download(dead, tmp_path, md5=MD5, mirrors=[server.url + "/"], progress=False)
    assert _read(path) == PAYLOAD


# -------------------------------------------------------------------------------------------
# Dropped connections and resuming
# -------------------------------------------------------------------------------------------


def test_a_dropped_connection_is_resumed_with_a_range_request(server, tmp_path):
    server.routes["/file.bin"] = dict(data=PAYLOAD, drop_after=100_000, drops=1)
    path = hub.download(server.url + "/file.bin", tmp_path, sha256=SHA256, progress=False)
    assert _read(path) == PAYLOAD
    assert server.log == [("/file.bin", None), ("/file.bin", "bytes=100000-")]


def test_a_connection_that_keeps_dropping_keeps_the_part_for_the_next_call(server, tmp_path):
    server.routes["/file.bin"] = dict(data=PAYLOAD, drop_after=50_000, drops=99)
    url = server.url + "/file.bin"
    with pytest.raises(hub.DownloadError) as info:
        hub.download(url, tmp_path, sha256=SHA256, progress=False)
    message = str(info.value)
    # Each of the 3 attempts resumed where the last stopped and got 50000 more bytes.
    assert f"connection dropped after 150000 of {len(PAYLOAD)} bytes" in message
    assert "gave up after 3 attempts" in message and url in message
    part = tmp_path / "file.bin.part"
    assert part.read_bytes() == PAYLOAD[:150_000]
    assert not (tmp_path / "file.bin").exists()
    # The server recovers: the next call continues the .part instead of starting over.
    server.routes["/file.bin"]["drops"] = 0
    server.log.clear()
    path = hub.download(url, tmp_path, sha256=SHA256, progress=False)
    assert _read(path) == PAYLOAD
    assert server.log == [("/file.bin", "bytes=150000-")]
    assert not part.exists()


def test_a_server_ignoring_range_sends_everything_and_we_start_over(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(b"junk that is not a prefix")
    server.routes["/file.bin"] = dict(data=PAYLOAD, range=False)
    path = hub.download(server.url + "/file.bin", tmp_path, md5=MD5, progress=False)
    assert _read(path) == PAYLOAD
    assert server.log == [("/file.bin", "bytes=25-")]


def test_a_part_longer_than_the_file_is_discarded(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(b"x" * (len(PAYLOAD) + 10))
    server.routes["/file.bin"] = dict(data=PAYLOAD)
    path = hub.download(server.url + "/file.bin", tmp_path, md5=MD5, progress=False)
    assert _read(path) == PAYLOAD
    assert [r for _, r in server.log] == [f"bytes={len(PAYLOAD) + 10}-", None]  # 416, then all


def test_resume_false_ignores_an_existing_part(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:10])
    server.routes["/file.bin"] = dict(data=PAYLOAD)
    hub.download(server.url + "/file.bin", tmp_path, md5=MD5, resume=False, progress=False)
    assert server.log == [("/file.bin", None)]


def test_concurrent_downloads_of_one_file_make_one_request(server, tmp_path):
    server.routes["/file.bin"] = dict(data=PAYLOAD, delay=0.2)
    results, errors = [], []

    def worker():
        try:
            results.append(hub.download(server.url + "/file.bin", tmp_path, md5=MD5,
                                        progress=False))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 3
    assert len(server.log) == 1
    assert _read(results[0]) == PAYLOAD


# -------------------------------------------------------------------------------------------
# torch.hub's API
# -------------------------------------------------------------------------------------------


def test_download_url_to_file_and_hash_prefix(server, tmp_path):
    server.routes["/w.pth"] = dict(data=PAYLOAD)
    dst = tmp_path / "w.pth"
    hub.download_url_to_file(server.url + "/w.pth", str(dst), hash_prefix=SHA256[:10],
                             progress=False)
    assert dst.read_bytes() == PAYLOAD
    hub.download_url_to_file(server.url + "/w.pth", dst, progress=False)  # always downloads
    assert len(server.log) == 2
    with pytest.raises(RuntimeError) as info:
        hub.download_url_to_file(server.url + "/w.pth", tmp_path / "x.pth",
                                 hash_prefix="deadbeef", progress=False)
    assert f'invalid hash value (expected "deadbeef", got "{SHA256}")' in str(info.value)
    assert server.url + "/w.pth" in str(info.value)
    assert not (tmp_path / "x.pth").exists() and not (tmp_path / "x.pth.part").exists()


def _checkpoint_bytes(state):
    buf = io.BytesIO()
    ember.save(state, buf)
    return buf.getvalue()


def test_load_state_dict_from_url_caches_and_loads(server, tmp_path, capsys):
    state = {"weight": ember.arange(6, dtype=ember.float32).reshape(2, 3),
             "bias": ember.tensor([1, 2], dtype=ember.int64)}
    data = _checkpoint_bytes(state)
    prefix = hashlib.sha256(data).hexdigest()[:8]
    name = f"model-{prefix}.pth"
    server.routes["/models/" + name] = dict(data=data)
    url = server.url + "/models/" + name
    loaded = hub.load_state_dict_from_url(url, model_dir=tmp_path, check_hash=True,
                                          progress=False, map_location="cpu")
    assert sorted(loaded) == ["bias", "weight"]
    np.testing.assert_array_equal(loaded["weight"].numpy(), np.arange(6).reshape(2, 3))
    assert loaded["bias"].dtype == ember.int64
    assert f'Downloading: "{url}" to {tmp_path / name}' in capsys.readouterr().err
    hub.load_state_dict_from_url(url, model_dir=tmp_path, progress=False)
    assert len(server.log) == 1  # cached


def test_load_state_dict_from_url_check_hash_refuses_a_wrong_file(server, tmp_path):
    server.routes["/m-0123abcd.pth"] = dict(data=_checkpoint_bytes({"a": ember.zeros(2)}))
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "0123abcd"'):
        hub.load_state_dict_from_url(server.url + "/m-0123abcd.pth", model_dir=tmp_path,
                                     check_hash=True, progress=False)
    assert os.listdir(tmp_path) == []


def test_load_state_dict_from_url_default_dir_and_file_name(server, tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    server.routes["/x"] = dict(data=_checkpoint_bytes({"a": ember.ones(3)}))
    loaded = hub.load_state_dict_from_url(server.url + "/x", file_name="ones.pth",
                                          progress=False)
    np.testing.assert_array_equal(loaded["a"].numpy(), np.ones(3, np.float32))
    assert (tmp_path / "home" / "hub" / "checkpoints" / "ones.pth").is_file()


def test_get_dir_follows_the_environment_and_set_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("EMBER_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert hub.get_dir() == os.path.expanduser("~/.cache/ember/hub")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "eh"))
    assert hub.get_dir() == str(tmp_path / "eh" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


# -------------------------------------------------------------------------------------------
# extract_archive
# -------------------------------------------------------------------------------------------

FILES = {"top.txt": b"top", "dir/inner.bin": bytes(range(256))}


def _tar(path, mode, members):
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _file_info(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _read_tree(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            out[os.path.relpath(full, root).replace(os.sep, "/")] = _read(full)
    return out


@pytest.mark.parametrize("suffix, mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                          (".tar.xz", "w:xz")])
def test_extract_tar_family(tmp_path, suffix, mode):
    archive = tmp_path / f"a{suffix}"
    _tar(archive, mode, [_file_info(n, d) for n, d in FILES.items()])
    out = hub.extract_archive(archive, tmp_path / "out")
    assert out == str(tmp_path / "out")
    assert _read_tree(out) == FILES


def test_extract_zip_and_remove_finished(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in FILES.items():
            zf.writestr(name, data)
    out = hub.extract_archive(str(archive), str(tmp_path / "out"), remove_finished=True)
    assert _read_tree(out) == FILES
    assert not archive.exists()


def test_extract_gz_decompresses_one_file_next_to_it(tmp_path):
    (tmp_path / "data.bin.gz").write_bytes(gzip.compress(PAYLOAD))
    out = hub.extract_archive(tmp_path / "data.bin.gz")
    assert out == str(tmp_path / "data.bin")
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD


def test_extract_unknown_suffix(tmp_path):
    (tmp_path / "a.rar").write_bytes(b"x")
    with pytest.raises(RuntimeError, match="neither an archive nor a compressed file"):
        hub.extract_archive(tmp_path / "a.rar")


def _symlink(name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


@pytest.mark.parametrize("evil, why", [
    (_file_info("../escaped.txt", b"x"), "would be written outside"),
    (_file_info("ok/../../escaped.txt", b"x"), "would be written outside"),
    (_file_info("/tmp/ember-abs-escaped.txt", b"x"), "would be written outside"),
    (_symlink("link", "../../etc"), "is a link pointing outside"),
    (_symlink("link", "/etc/passwd"), "is a link pointing outside"),
])
def test_extract_refuses_tar_members_escaping_the_target(tmp_path, evil, why):
    archive = tmp_path / "evil.tar"
    _tar(archive, "w", [_file_info("fine.txt", b"fine"), evil])
    with pytest.raises(RuntimeError, match=why) as info:
        hub.extract_archive(archive, tmp_path / "out")
    assert repr(evil[0].name) in str(info.value) and str(archive) in str(info.value)
    assert os.listdir(tmp_path / "out") == []  # nothing at all was extracted
    assert not (tmp_path / "escaped.txt").exists()


def test_extract_refuses_zip_members_escaping_the_target(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", b"fine")
        zf.writestr("../../escaped.txt", b"x")
    with pytest.raises(RuntimeError, match="'../../escaped.txt' would be written outside"):
        hub.extract_archive(archive, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []
