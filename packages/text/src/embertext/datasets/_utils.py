"""Helpers shared by the text datasets: where files live, fetching them through
:mod:`ember.hub`, the errors, and the CSV/TSV readers used by downloads and the embedded corpus."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Sequence

from ember import hub

# Some AG_NEWS/Yelp fields are longer than csv's default limit of 128 KiB.
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


def default_root() -> str:
    """``$EMBER_HOME/datasets`` (default ``~/.cache/ember/datasets``).

    Deliberate difference from torchtext (``~/.torchtext/cache``): all of Ember's downloads live
    under one cache folder, the one :mod:`ember.hub` uses for weights.
    """
    home = os.getenv("EMBER_HOME") or os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"),
                                                  "ember")
    return os.path.join(os.path.expanduser(home), "datasets")


def dataset_folder(root, name: str) -> str:
    """``<root>/<name>``: each dataset gets its own folder, as torchtext's
    ``_create_dataset_directory`` does."""
    root = default_root() if root is None else os.path.expanduser(os.fspath(root))
    return os.path.join(root, name)


def splits_of(name: str, split, valid: Sequence[str]) -> tuple[tuple[str, ...], bool]:
    """Check ``split`` (a name or a tuple of names); return (names, whether one was given)."""
    single = isinstance(split, str)
    names = (split,) if single else tuple(split)
    for s in names:
        if s not in valid:
            raise ValueError(f"{name}: unknown split {s!r}; valid splits are {tuple(valid)}")
    if not names:
        raise ValueError(f"{name}: split is empty; pass one of {tuple(valid)} or a tuple of them")
    return names, single


def one_or_tuple(datasets: list, single: bool):
    """torchtext's convention: one dataset for ``split='train'``, a tuple for a tuple."""
    return datasets[0] if single else tuple(datasets)


def fetch(name: str, folder: str, needed: Iterable[str], url: str, filename: str,
          md5: str | None, download: bool, archive: bool) -> None:
    """Make every path in ``needed`` (relative to ``folder``) exist.

    When one is missing: download ``url`` into ``folder/filename`` (with ``download``) and, for
    an archive, extract it in ``folder``. Files already there are used as they are.
    """
    missing = [p for p in needed if not os.path.exists(os.path.join(folder, p))]
    if not missing:
        return
    path = os.path.join(folder, filename)
    if not os.path.isfile(path) or not archive:
        if not download:
            raise RuntimeError(
                f"{name}: {os.path.join(folder, missing[0])} not found; pass download=True to "
                f"download it from {url}, or put the files of the published layout there")
        path = hub.download(url, folder, filename=filename, md5=md5)
    if archive:
        hub.extract_archive(path, folder)
        still = [p for p in needed if not os.path.exists(os.path.join(folder, p))]
        if still:
            raise RuntimeError(
                f"{name}: {path} does not hold {still[0]} after extraction: the archive is not "
                f"the published one; delete it and download again")


def read_rows(path: str, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL):
    """Yield ``(line_number, row)`` from a CSV/TSV file (UTF-8), line numbers from 1."""
    previous = csv.field_size_limit(_FIELD_LIMIT)  # raised while reading, then restored
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter=delimiter, quoting=quoting)
            for row in reader:
                yield reader.line_num, row
    finally:
        csv.field_size_limit(previous)


def read_tsv_with_header(path: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """GLUE's TSV layout: a header line, then tab-separated fields with no quoting."""
    rows = list(read_rows(path, "\t", csv.QUOTE_NONE))
    if not rows:
        raise RuntimeError(f"{name}: {path} is empty; expected a header line such as "
                           f"'sentence\\tlabel'")
    return rows[0][1], rows[1:]
