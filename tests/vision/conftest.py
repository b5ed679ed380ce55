"""Fixtures for the embervision tests: dataset configurations and a local HTTP file server."""

from __future__ import annotations

import http.server
import threading

import pytest


def pytest_generate_tests(metafunc):
    # A DatasetTestCase subclass lists constructor keyword sets in CONFIGS; every generic test
    # that takes `config` runs once per set.
    if "config" in metafunc.fixturenames and metafunc.cls is not None:
        configs = getattr(metafunc.cls, "CONFIGS", ({},))
        ids = [",".join(f"{k}={v}" for k, v in c.items()) or "default" for c in configs]
        metafunc.parametrize("config", configs, ids=ids)


class _FileHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files[path]`` (bytes) and records every request path."""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        data = self.server.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="session")
def _file_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FileHandler)
    server.daemon_threads = True
    server.files, server.requests = {}, []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def file_server(_file_server):
    """A server on 127.0.0.1: put bytes in ``.files['/path']``; ``.requests`` lists paths."""
    _file_server.files.clear()
    _file_server.requests.clear()
    return _file_server
