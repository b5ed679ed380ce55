"""The CMU Pronouncing Dictionary (version 0.7b): English words and their ARPAbet phonemes.

Two plain files: ``cmudict-0.7b`` (latin-1; ``;;;`` comment lines, then ``WORD  PH1 PH2 ...``
with two spaces after the word and ``WORD(1)`` for alternative pronunciations) and
``cmudict-0.7b.symbols`` (one phoneme symbol a line).
"""

from __future__ import annotations

import os
import re

from ember import hub
from ember.utils.data import Dataset

__all__ = ["CMUDict"]

_URL = "http://svn.code.sf.net/p/cmusphinx/code/trunk/cmudict/cmudict-0.7b"
_URL_SYMBOLS = "http://svn.code.sf.net/p/cmusphinx/code/trunk/cmudict/cmudict-0.7b.symbols"
# SHA-256 of the two files (torchaudio's values).
_CHECKSUMS = {
    _URL: "209a8b4cd265013e96f4658632a9878103b0c5abf62b50d4ef3ae1be226b29e4",
    _URL_SYMBOLS: "408ccaae803641c6d7b626b6299949320c2dbca96b2220fd3fb17887b023b027",
}
# The dictionary's spelled-out punctuation entries (torchaudio's list).
_PUNCTUATIONS = frozenset([
    "!EXCLAMATION-POINT", '"CLOSE-QUOTE', '"DOUBLE-QUOTE', '"END-OF-QUOTE', '"END-QUOTE',
    '"IN-QUOTES', '"QUOTE', '"UNQUOTE', "#HASH-MARK", "#POUND-SIGN", "#SHARP-SIGN", "%PERCENT",
    "&AMPERSAND", "'END-INNER-QUOTE", "'END-QUOTE", "'INNER-QUOTE", "'QUOTE", "'SINGLE-QUOTE",
    "(BEGIN-PARENS", "(IN-PARENTHESES", "(LEFT-PAREN", "(OPEN-PARENTHESES", "(PAREN", "(PARENS",
    "(PARENTHESES", ")CLOSE-PAREN", ")CLOSE-PARENTHESES", ")END-PAREN", ")END-PARENS",
    ")END-PARENTHESES", ")END-THE-PAREN", ")PAREN", ")PARENS", ")RIGHT-PAREN",
    ")UN-PARENTHESES", "+PLUS", ",COMMA", "--DASH", "-DASH", "-HYPHEN", "...ELLIPSIS",
    ".DECIMAL", ".DOT", ".FULL-STOP", ".PERIOD", ".POINT", "/SLASH", ":COLON", ";SEMI-COLON",
    ";SEMI-COLON(1)", "?QUESTION-MARK", "{BRACE", "{LEFT-BRACE", "{OPEN-BRACE", "}CLOSE-BRACE",
    "}RIGHT-BRACE",
])
_ALTERNATIVE = re.compile(r"\([0-9]+\)")


def _parse_dictionary(lines, exclude_punctuations: bool) -> list[tuple[str, list[str]]]:
    entries = []
    for line in lines:
        if not line or line.startswith(";;;"):  # comments
            continue
        word, phones = line.strip().split("  ")
        if word in _PUNCTUATIONS:
            if exclude_punctuations:
                continue
            # "!EXCLAMATION-POINT" -> "!", "--DASH" -> "--", "...ELLIPSIS" -> "..."
            if word.startswith("..."):
                word = "..."
            elif word.startswith("--"):
                word = "--"
            else:
                word = word[0]
        # "DATAPOINTS(1)" is DATAPOINTS's second pronunciation: same word.
        entries.append((_ALTERNATIVE.sub("", word), phones.split(" ")))
    return entries


class CMUDict(Dataset):
    """The CMU Pronouncing Dictionary (torchaudio's ``CMUDict``).

    Args:
        root: an existing folder holding (or receiving) the two files.
        exclude_punctuations: drop the spelled-out punctuation entries (``!EXCLAMATION-POINT``,
            ``#HASH-MARK``...); when False they are kept with the word shortened to the mark.
        download: keyword-only; download whichever file is missing.
        url, url_symbols: keyword-only; where the dictionary and the symbol list come from.

    Each item is ``(word, phonemes)``, e.g. ``("AARDVARK", ["AA1", "R", "D", "V", "AA2",
    "R", "K"])``; :attr:`symbols` lists the phoneme symbols.
    """

    def __init__(self, root, exclude_punctuations: bool = True, *, download: bool = False,
                 url: str = _URL, url_symbols: str = _URL_SYMBOLS) -> None:
        self.exclude_punctuations = exclude_punctuations
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise RuntimeError(f"The root directory does not exist; {root}")
        files = []
        for what, address in (("dictionary", url), ("symbol", url_symbols)):
            path = os.path.join(root, os.path.basename(address))
            if not os.path.exists(path):
                if not download:
                    raise RuntimeError(f"The {what} file is not found in the following location. "
                                       f"Set `download=True` to download it. {path}")
                hub.download(address, root, sha256=_CHECKSUMS.get(address))
            files.append(path)
        with open(files[1]) as text:
            self._symbols = [line.strip() for line in text]
        with open(files[0], encoding="latin-1") as text:
            self._dictionary = _parse_dictionary(text.readlines(), exclude_punctuations)

    def __getitem__(self, n: int) -> tuple[str, list[str]]:
        """``(word, [phonemes])`` of the n-th entry."""
        return self._dictionary[n]

    def __len__(self) -> int:
        return len(self._dictionary)

    @property
    def symbols(self) -> list[str]:
        """The phoneme symbols (``"AA"``, ``"AA0"``...), a copy."""
        return self._symbols.copy()
