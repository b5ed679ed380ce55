"""``ember.hub``: the one downloader (cache, progress, resume, checksums, atomic placement).

Every file Ember and its domain packages fetch (dataset archives, pretrained weights) comes through
:func:`download`, so the behaviour is the same everywhere:

- ``urllib`` only; a ``tqdm`` progress bar on stderr (``unit='B'``, scaled);
- the bytes go to ``<file>.part``; a later call resumes it with an HTTP ``Range`` request (a
  server answering ``206`` continues the file, one answering ``200`` sends it whole: start over);
- SHA-256 and/or MD5 are verified after the download; on a mismatch the file is deleted and the
  error names the URL, the expected and the actual digest;
- an HTML page served in place of the file (a login or "confirm download" page, an error page
  sent with status 200: pytorch/vision#1920) is recognised and reported, not saved;
- mirrors are tried in turn (pytorch/vision#3497); a connection that drops mid-file is retried
  (resuming) and, when it keeps dropping, reported with the ``.part`` kept for the next call;
- the finished file is moved into place with :func:`os.replace` (never a torn file), and a file
  already present with a matching checksum costs no network access at all.

PyTorch's ``torch.hub`` entry points for weights are here too (:func:`download_url_to_file`,
:func:`load_state_dict_from_url`, :func:`get_dir`, :func:`set_dir`), plus
:func:`extract_archive` for ``.zip``/``.tar``/``.tar.gz``/``.tgz``/``.gz`` that refuses members
escaping the target folder. Deliberate difference from PyTorch: there is no ``hub.load`` of a
GitHub repository's ``hubconf.py``, because that runs code from the network.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import http.client
import lzma
import os
import re
import shutil
import socket
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from tqdm import tqdm

__all__ = [
    "DownloadError",
    "download",
    "download_url_to_file",
    "extract_archive",
    "get_dir",
    "load_state_dict_from_url",
    "set_dir",
]

ENV_EMBER_HOME = "EMBER_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
READ_DATA_CHUNK = 128 * 1024
USER_AGENT = "ember-hub/0.1"  # some servers (NIST's) refuse urllib's default agent
RETRIES = 3  # attempts per URL when the connection fails or drops
RETRY_BACKOFF = 1.0  # seconds before the 2nd attempt, doubled for each later one
# torch.hub's convention: weights files are named ``<name>-<sha256 prefix>.<ext>``.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir: str | None = None


class DownloadError(RuntimeError, OSError):
    """A download failed: no URL delivered the file, or what arrived was not the file.

    Both a ``RuntimeError`` (what ``torch.hub`` raises for a bad hash) and an ``OSError`` (what
    urllib's network errors are, which torchvision lets through), so code written for either
    catches it.
    """


class _Transient(Exception):
    """This attempt failed in a way a retry of the same URL may fix (drop, timeout, 5xx)."""


class _URLFailed(Exception):
    """This URL cannot deliver the file (404, HTML page, wrong checksum): try the next one."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code  # the HTTP status, when that is the failure


# ---------------------------------------------------------------------------------------------
# Cache directory (torch.hub's layout: $EMBER_HOME/hub, $EMBER_HOME = $XDG_CACHE_HOME/ember)
# ---------------------------------------------------------------------------------------------


def _get_ember_home() -> str:
    default = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "ember")
    return os.path.expanduser(os.getenv(ENV_EMBER_HOME, default))


def get_dir() -> str:
    """The hub cache directory for downloaded weights.

    Returns the folder given to :func:`set_dir` or else ``$EMBER_HOME/hub``, where
    ``$EMBER_HOME`` defaults to ``$XDG_CACHE_HOME/ember`` (``~/.cache/ember``), as
    ``torch.hub.get_dir`` does with ``$TORCH_HOME``.
    """
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_ember_home(), "hub")


def set_dir(d) -> None:
    """Use ``d`` (a path; ``~`` is expanded) as the hub cache directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


# ---------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------


def _file_digest(path: str, algorithm: str) -> str:
    h = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _expected_digests(sha256, md5) -> list[tuple[str, str, bool]]:
    # (algorithm, lower-case hex, prefix allowed?)
    out = []
    for algorithm, value in (("sha256", sha256), ("md5", md5)):
        if value is not None:
            out.append((algorithm, str(value).strip().lower(), False))
    return out


def _mismatch(path: str, expected) -> str | None:
    """None when ``path`` matches every expected digest, else a message naming the first miss."""
    for algorithm, want, prefix in expected:
        got = _file_digest(path, algorithm)
        ok = got.startswith(want) if prefix else got == want
        if not ok:
            return f"{algorithm} mismatch: expected {want}, got {got}"
    return None


# ---------------------------------------------------------------------------------------------
# One HTTP request into <file>.part
# ---------------------------------------------------------------------------------------------


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip()[:64].lower()
    return start.startswith(b"<!doctype html") or start.startswith(b"<html")


def _content_range_start(value) -> int | None:
    # "bytes 100-199/200" -> 100
    match = re.match(r"\s*bytes\s+(\d+)-", value or "")
    return int(match.group(1)) if match else None


def _open(url: str, offset: int, timeout: float):
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        message = f"HTTP {exc.code} {exc.reason}"
        if exc.code >= 500 or exc.code in (408, 429):
            raise _Transient(message) from None
        raise _URLFailed(message, exc.code) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        # A refused connection or an unknown host will not change in a second: next mirror.
        if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
            raise _URLFailed(f"cannot connect: {reason}") from None
        raise _Transient(f"cannot connect: {reason}") from None
    except (OSError, http.client.HTTPException) as exc:  # timeouts, resets during the headers
        raise _Transient(f"cannot connect: {exc!r}") from None


def _fetch(url: str, part: str, *, resume: bool, timeout: float, progress: bool, desc: str,
           check_html: bool) -> None:
    """GET ``url`` into ``part``, continuing an existing ``part`` with a Range request."""
    offset = os.path.getsize(part) if resume and os.path.isfile(part) else 0
    try:
        response = _open(url, offset, timeout)
    except _URLFailed as exc:
        if offset and exc.code == 416:
            # Range not satisfiable: the .part is not a prefix of this file. Start over.
            os.remove(part)
            return _fetch(url, part, resume=False, timeout=timeout, progress=progress,
                          desc=desc, check_html=check_html)
        raise
    with response:
        status = getattr(response, "status", None) or 200  # file:// responses have no status
        if offset and status == 206:
            if _content_range_start(response.headers.get("Content-Range")) != offset:
                os.remove(part)  # the server resumed somewhere else: start over next attempt
                raise _Transient("the server answered the Range request at the wrong offset")
            mode = "ab"
        else:
            offset, mode = 0, "wb"  # 200: the whole file again (Range ignored or nothing to resume)
        length = response.headers.get("Content-Length")
        remaining = int(length) if length and length.strip().isdigit() else None
        total = None if remaining is None else offset + remaining
        try:
            chunk = response.read(READ_DATA_CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(f"connection dropped: {exc!r}") from None
        content_type = response.headers.get_content_type()
        if check_html and offset == 0 and (content_type == "text/html" or _looks_like_html(chunk)):
            raise _URLFailed(
                f"the server sent an HTML page (Content-Type: {content_type}) instead of the "
                f"file: the link may need a login or a confirmation, or it is an error page"
            )
        received = 0
        with open(part, mode) as f, tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                                         unit_divisor=1024, desc=desc,
                                         disable=not progress) as bar:
            try:
                while chunk:
                    f.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    chunk = response.read(READ_DATA_CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise _Transient(
                    f"connection dropped after {offset + received} of {total} bytes ({exc!r})"
                ) from None
            finally:
                f.flush()
                os.fsync(f.fileno())
        # http.client does not raise when a Content-Length body ends early: check it here.
        if remaining is not None and received < remaining:
            raise _Transient(f"connection dropped after {offset + received} of {total} bytes")
    return None


def _download_one(url: str, path: str, expected, *, resume: bool, timeout: float,
                  progress: bool) -> None:
    """Fetch ``url`` (with retries) into ``path + '.part'``, verify it, move it onto ``path``."""
    part = path + ".part"
    if not resume and os.path.exists(part):
        os.remove(part)
    name = os.path.basename(path)
    check_html = not name.lower().endswith((".html", ".htm"))
    last = None
    for attempt in range(RETRIES):
        if attempt:
            time.sleep(RETRY_BACKOFF * 2 ** (attempt - 1))
        try:
            _fetch(url, part, resume=resume, timeout=timeout, progress=progress, desc=name,
                   check_html=check_html)
            break
        except _Transient as exc:
            last = exc
    else:
        kept = (f"; the partial file {part} is kept: call again to resume"
                if os.path.isfile(part) and os.path.getsize(part) else "")
        raise _URLFailed(f"{last} (gave up after {RETRIES} attempts){kept}")
    problem = _mismatch(part, expected)
    if problem is not None:
        os.remove(part)
        raise _URLFailed(f"{problem}; the downloaded file was deleted")
    os.replace(part, path)


@contextlib.contextmanager
def _locked(path: str):
    # Several processes (DataLoader workers, one per distributed rank) may download the same
    # file at once: one downloads, the others wait and then find it in place. The lock files
    # live in the temp folder (never removed: removing one races with a waiting process) so
    # that data folders hold only data.
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent downloads are the caller's care
        yield
        return
    folder = os.path.join(tempfile.gettempdir(), "ember-hub-locks")
    os.makedirs(folder, exist_ok=True)
    key = hashlib.sha1(os.path.abspath(path).encode(), usedforsecurity=False).hexdigest()
    with open(os.path.join(folder, key + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _mirror_url(mirror: str, filename: str) -> str:
    # A mirror ending in '/' is a folder holding the same file name; otherwise a full URL.
    return mirror + filename if mirror.endswith("/") else mirror


def _filename_from_url(url: str) -> str:
    name = os.path.basename(urllib.parse.urlparse(url).path)
    if not name:
        raise ValueError(f"download: cannot tell a file name from {url!r}: pass filename=")
    return name


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def download(url: str, root, filename: str | None = None, sha256: str | None = None,
             md5: str | None = None, mirrors=(), progress: bool = True, resume: bool = True,
             timeout: float = 30) -> str:
    """Download ``url`` into the folder ``root`` and return the file's path.

    Nothing is fetched when the file is already there and matches the given checksums (or when
    no checksum is given). Otherwise the URLs are tried in turn, each with up to
    :data:`RETRIES` attempts for connections that fail or drop (resuming the ``.part`` file).

    Args:
        url: the file's URL (``http``, ``https`` or ``file``).
        root: folder to put the file in (created if needed).
        filename: name to save it under; default: the last component of the URL's path.
        sha256, md5: expected hex digests (either, both or neither), checked after download.
        mirrors: further URLs to try in turn; one ending in ``/`` gets ``filename`` appended.
        progress: show a progress bar on stderr.
        resume: continue an existing ``<file>.part`` with an HTTP Range request (without a
            checksum, a stale ``.part`` of another file cannot be recognised: pass False then).
        timeout: seconds to wait for the server on each connect and read.

    Returns:
        The path of the downloaded (or already present) file.

    Raises:
        DownloadError: no URL delivered a file matching the checksums; the message lists each
            URL and what went wrong with it (HTTP status, HTML page, digest mismatch with the
            expected and actual value, dropped connection).

    Example:
        >>> path = ember.hub.download(
        ...     "https://example.org/data/train.gz", "~/data", md5="9fb629c4189551a2d022fa33",
        ...     mirrors=["https://mirror.example.net/data/"])
    """
    root = os.path.expanduser(os.fspath(root))
    if filename is None:
        filename = _filename_from_url(url)
    path = os.path.join(root, filename)
    expected = _expected_digests(sha256, md5)
    if os.path.isfile(path) and (not expected or _mismatch(path, expected) is None):
        return path
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    urls = [url] + [_mirror_url(m, filename) for m in mirrors]
    failures = []
    with _locked(path):
        # Another process may have finished it while this one waited for the lock.
        if os.path.isfile(path) and (not expected or _mismatch(path, expected) is None):
            return path
        for candidate in urls:
            try:
                _download_one(candidate, path, expected, resume=resume, timeout=timeout,
                              progress=progress)
                return path
            except _URLFailed as exc:
                failures.append(f"  {candidate}: {exc}")
    tried = "the URL" if len(urls) == 1 else f"any of {len(urls)} URLs"
    raise DownloadError(f"download: could not download {filename} from {tried}:\n"
                        + "\n".join(failures))


def download_url_to_file(url: str, dst, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download ``url`` to the path ``dst`` (``torch.hub.download_url_to_file``).

    Always downloads (no cache check), into ``dst + '.part'`` then moved onto ``dst``.

    Args:
        url: the object's URL.
        dst: full path to save it to, e.g. ``/tmp/resnet18.pth``.
        hash_prefix: if given, the SHA-256 of the download must start with it.
        progress: show a progress bar on stderr.

    Raises:
        DownloadError: the download failed, or its hash does not start with ``hash_prefix``
            (the message says ``invalid hash value (expected "...", got "...")`` like PyTorch's,
            plus the URL); the file is then deleted.
    """
    dst = os.path.expanduser(os.fspath(dst))
    expected = [] if hash_prefix is None else [("sha256", hash_prefix.lower(), True)]
    try:
        _download_one(url, dst, expected, resume=False, timeout=30, progress=progress)
    except _URLFailed as exc:
        text = str(exc)
        match = re.match(r"sha256 mismatch: expected (\w+), got (\w+)", text)
        if match:  # PyTorch's wording, with the URL
            text = f'invalid hash value (expected "{match[1]}", got "{match[2]}")'
        raise DownloadError(f"download_url_to_file: {url}: {text}") from None


def load_state_dict_from_url(url: str, model_dir=None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = False):
    """Load an :func:`ember.save`/``torch.save`` object from ``url``, caching the file.

    The file is kept in ``model_dir`` (default ``<get_dir()>/checkpoints``) and not downloaded
    again once there. Loading goes through :func:`ember.load` (never runs code from the file).

    Args:
        url: URL of the object.
        model_dir: folder to keep the file in.
        map_location: as for :func:`ember.load` (e.g. ``'cpu'``).
        progress: show a progress bar on stderr.
        check_hash: the file name must look like ``name-<sha256 prefix>.ext`` (torch.hub's
            convention) and the download's SHA-256 must start with that prefix.
        file_name: name for the cached file; default: the URL's last path component.
        weights_only: passed to :func:`ember.load` (Ember never runs code either way).

    Returns:
        The loaded object, usually a state dict.

    Example:
        >>> state = ember.hub.load_state_dict_from_url(
        ...     "https://download.pytorch.org/models/resnet18-f37072fd.pth", map_location="cpu")
    """
    from .serialization import load  # serialization is heavy; the downloader alone needs none

    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    model_dir = os.path.expanduser(os.fspath(model_dir))
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or _filename_from_url(url)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            found = HASH_REGEX.search(filename)
            hash_prefix = found.group(1) if found else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    return load(cached_file, map_location=map_location, weights_only=weights_only)


# ---------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------

_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _inside(root: str, name: str) -> bool:
    target = os.path.realpath(os.path.join(root, name))
    return os.path.commonpath([root, target]) == root


def _refuse(archive: str, name: str, why: str, to_path: str):
    raise RuntimeError(
        f"extract_archive: refusing to extract {archive}: member {name!r} {why} {to_path}; "
        f"nothing was extracted"
    )


def _check_tar(tar: tarfile.TarFile, archive: str, root: str) -> None:
    for member in tar.getmembers():
        name = member.name
        if os.path.isabs(name) or not _inside(root, name):
            _refuse(archive, name, "would be written outside", root)
        if member.issym():
            link = os.path.join(os.path.dirname(name), member.linkname)
            if os.path.isabs(member.linkname) or not _inside(root, link):
                _refuse(archive, name, "is a link pointing outside", root)
        elif member.islnk():
            if os.path.isabs(member.linkname) or not _inside(root, member.linkname):
                _refuse(archive, name, "is a link pointing outside", root)
        elif not (member.isfile() or member.isdir()):
            _refuse(archive, name, "is a device or pipe, not a file, in", root)


def _extract_tar(archive: str, root: str) -> None:
    with tarfile.open(archive, "r:*") as tar:
        _check_tar(tar, archive, root)
        try:
            if hasattr(tarfile, "data_filter"):
                # The 'data' filter re-checks each member against links extracted before it.
                tar.extractall(root, filter="data")
            else:  # Python < 3.11.4: the checks above are all there is
                tar.extractall(root)
        except tarfile.FilterError as exc:
            raise RuntimeError(f"extract_archive: refusing to extract {archive}: {exc}") from exc


def _extract_zip(archive: str, root: str) -> None:
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if os.path.isabs(name) or name.startswith(("/", "\\")) or not _inside(root, name):
                _refuse(archive, name, "would be written outside", root)
        zf.extractall(root)


def _decompress(archive: str, out_path: str, opener) -> str:
    part = out_path + ".part"
    with opener(archive, "rb") as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst, READ_DATA_CHUNK)
    os.replace(part, out_path)
    return out_path


def extract_archive(from_path, to_path=None, remove_finished: bool = False) -> str:
    """Extract an archive (``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``,
    ``.tar.xz``) or decompress a single file (``.gz``, ``.bz2``, ``.xz``).

    Safe against hostile archives: a member with an absolute path, a ``..`` path or a link
    leading outside ``to_path``, or a device file, makes the whole extraction fail before
    anything is written, with an error naming the member.

    Args:
        from_path: the archive.
        to_path: folder to extract into; default: the archive's folder.
        remove_finished: delete the archive afterwards.

    Returns:
        ``to_path`` for archives; the decompressed file's path for ``.gz``/``.bz2``/``.xz``
        (``data.bin.gz`` -> ``<to_path>/data.bin``), as torchvision's ``extract_archive``.

    Example:
        >>> extract_archive("cifar-10-python.tar.gz", "data/")
        'data/'
    """
    from_path = os.path.expanduser(os.fspath(from_path))
    if to_path is None:
        to_path = os.path.dirname(from_path) or "."
    to_path = os.path.expanduser(os.fspath(to_path))
    os.makedirs(to_path, exist_ok=True)
    root = os.path.realpath(to_path)
    lower = os.path.basename(from_path).lower()
    if lower.endswith(_TAR_SUFFIXES):
        _extract_tar(from_path, root)
        result = to_path
    elif lower.endswith(".zip"):
        _extract_zip(from_path, root)
        result = to_path
    else:
        suffix = os.path.splitext(lower)[1]
        if suffix not in _COMPRESSED:
            known = ", ".join(_TAR_SUFFIXES + (".zip",) + tuple(_COMPRESSED))
            raise RuntimeError(
                f"extract_archive: {from_path} is neither an archive nor a compressed file: "
                f"supported suffixes are {known}"
            )
        name = os.path.basename(from_path)[: -len(suffix)]
        result = _decompress(from_path, os.path.join(to_path, name), _COMPRESSED[suffix])
    if remove_finished:
        os.remove(from_path)
    return result
