"""torchvision's ``datasets.utils`` helpers, on top of :mod:`ember.hub` (the one downloader)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from ember import hub
from ember.hub import extract_archive

__all__ = [
    "calculate_md5",
    "check_integrity",
    "check_md5",
    "download_and_extract_archive",
    "download_url",
    "extract_archive",
    "iterable_to_str",
    "verify_str_arg",
]


def calculate_md5(fpath, chunk_size: int = 1024 * 1024) -> str:
    """The MD5 hex digest of the file ``fpath``."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5: str, **kwargs) -> bool:
    """Whether the MD5 of ``fpath`` is ``md5``."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5: str | None = None) -> bool:
    """Whether ``fpath`` is a file and, when ``md5`` is given, has that MD5."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def download_url(url: str, root, filename: str | None = None, md5: str | None = None,
                 max_redirect_hops: int = 3, mirrors: Iterable[str] = ()) -> str:
    """Download ``url`` into the folder ``root`` through :func:`ember.hub.download`.

    Args:
        url: the file's URL.
        root: folder to put it in.
        filename: name to save it under; default: the URL's last path component.
        md5: expected MD5; the file is not downloaded again when present and matching.
        max_redirect_hops: accepted for torchvision compatibility (urllib follows redirects).
        mirrors: further URLs to try in turn (Ember's addition).

    Returns:
        The downloaded file's path.
    """
    del max_redirect_hops  # urllib follows redirects itself (up to its own limit of 10)
    return hub.download(url, root, filename=filename, md5=md5, mirrors=tuple(mirrors))


def download_and_extract_archive(url: str, download_root, extract_root=None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False,
                                 mirrors: Iterable[str] = ()) -> str:
    """Download an archive with :func:`download_url`, then :func:`extract_archive` it.

    Returns:
        What :func:`extract_archive` returns (the folder, or the decompressed file).
    """
    download_root = os.path.expanduser(os.fspath(download_root))
    if extract_root is None:
        extract_root = download_root
    archive = download_url(url, download_root, filename, md5, mirrors=mirrors)
    return extract_archive(archive, extract_root, remove_finished)


def iterable_to_str(iterable: Iterable) -> str:
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value, arg: str | None = None, valid_values: Iterable[str] | None = None,
                   custom_msg: str | None = None) -> str:
    """Check that ``value`` is a string among ``valid_values``; return it.

    Raises:
        ValueError: with torchvision's message, e.g. ``Unknown value 'val' for argument split.
            Valid values are {'train', 'test'}.``
    """
    if not isinstance(value, str):
        if arg is None:
            msg = f"Expected type str, but got type {type(value)}."
        else:
            msg = f"Expected type str for argument {arg}, but got type {type(value)}."
        raise ValueError(msg)
    if valid_values is None:
        return value
    if value not in valid_values:
        if custom_msg is not None:
            msg = custom_msg
        else:
            msg = (f"Unknown value '{value}' for argument {arg}. "
                   f"Valid values are {{{iterable_to_str(valid_values)}}}.")
        raise ValueError(msg)
    return value


def _dataset_not_found(folder) -> RuntimeError:
    # One message for every dataset, naming where the files were looked for.
    return RuntimeError(f"Dataset not found at {folder}. You can use download=True to download it")
