"""Text classification datasets: the generic :class:`TextClassificationDataset` (from CSV,
JSON lines or a folder per class) and torchtext's AG_NEWS, IMDB, SST2 and YelpReviewPolarity,
read from their published files.

torchtext's datasets are datapipes; these are map-style datasets (``len``, ``ds[i]``, random
access for the :class:`~ember.utils.data.DataLoader`'s samplers) yielding the same items.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence

from ember.utils.data import Dataset

from ._utils import (
    dataset_folder,
    fetch,
    one_or_tuple,
    read_rows,
    read_tsv_with_header,
    splits_of,
)

__all__ = [
    "AG_NEWS",
    "IMDB",
    "SST2",
    "TextClassificationDataset",
    "TextDataset",
    "YelpReviewPolarity",
]


class TextDataset(Dataset):
    """A map-style dataset over a list of samples (strings or tuples), returned as they are.

    Used for unlabelled text: WikiText's lines, SST-2's test split (``(text,)`` tuples).

    Args:
        samples: the items, in order.
        transform: applied to each item when read.

    Example:
        >>> ds = TextDataset(["a line\\n", "another\\n"])
        >>> len(ds), ds[1]
        (2, 'another\\n')
    """

    def __init__(self, samples: Sequence, transform: Callable | None = None) -> None:
        self.samples = list(samples)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        item = self.samples[index]
        return item if self.transform is None else self.transform(item)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_samples={len(self)})"


def _natural_classes(labels) -> list:
    # Labels that are all whole numbers (ints, or digit strings read from CSV) sort as numbers,
    # so '10' comes after '9'; anything else sorts as text.
    unique = set(labels)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in unique):
        return sorted(unique)
    unique = {str(v) for v in unique}
    if all(v.lstrip("-").isdigit() for v in unique):
        return sorted(unique, key=int)
    return sorted(unique)


class TextClassificationDataset(Dataset):
    """Labelled texts: ``ds[i]`` is ``(label, text)`` (torchtext's order for AG_NEWS/IMDB).

    Build one from files with :meth:`from_csv`, :meth:`from_jsonl` or :meth:`from_folder`
    (labels become indices ``0 .. num_classes-1`` through :attr:`class_to_idx`), or directly
    from ``(label, text)`` pairs.

    Args:
        samples: ``(label, text)`` pairs (``(text, label)`` with ``text_first=True``).
        classes: the class names in index order (optional; informative).
        class_to_idx: name -> label value (default: ``classes``' positions).
        transform: applied to the text when read (e.g. a tokenizer).
        target_transform: applied to the label when read.
        text_first: items are ``(text, label)`` (torchtext's SST2 order).

    Attributes:
        classes: list of class names; ``classes[i]`` is the name of label index ``i``
            (for the 1-based torchtext datasets, of label ``class_to_idx[name]``).
        class_to_idx: dict from class name to label.
        targets: the label of every sample, in order (for weighted samplers and statistics).

    Example:
        >>> ds = TextClassificationDataset.from_csv("reviews.csv")  # header: text,label
        >>> ds.classes, ds[0]
        (['neg', 'pos'], (1, 'A warm, funny film.'))
    """

    def __init__(self, samples: Sequence[tuple], classes: Sequence | None = None,
                 class_to_idx: dict | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, text_first: bool = False) -> None:
        self.samples = [tuple(s) for s in samples]
        self.classes = list(classes) if classes is not None else []
        if class_to_idx is None:
            class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.class_to_idx = dict(class_to_idx)
        self.transform = transform
        self.target_transform = target_transform
        self.text_first = text_first

    @property
    def targets(self) -> list:
        position = 1 if self.text_first else 0
        return [s[position] for s in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple:
        first, second = self.samples[index]
        label, text = (second, first) if self.text_first else (first, second)
        if self.transform is not None:
            text = self.transform(text)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return (text, label) if self.text_first else (label, text)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num_samples={len(self)}, "
                f"num_classes={len(self.classes)})")

    # ---------------------------------------------------------------- generic loaders

    @classmethod
    def _from_pairs(cls, pairs: list[tuple[str, object, str]], classes, **kwargs):
        # pairs: (where, label, text); 'where' names the file and line for errors.
        for where, label, _ in pairs:
            if label is None or (isinstance(label, str) and not label.strip()):
                raise ValueError(f"{cls.__name__}: empty label at {where}; every sample needs a "
                                 f"label")
        if classes is None:
            classes = _natural_classes(label for _, label, _ in pairs)
        else:
            classes = list(classes)
        class_to_idx = {c: i for i, c in enumerate(classes)}
        lookup = dict(class_to_idx)
        if all(isinstance(c, str) for c in classes):
            # JSON ints or CSV strings against names given as strings: compare as text.
            lookup = {str(c): i for c, i in class_to_idx.items()}
        samples = []
        for where, label, text in pairs:
            key = label if label in lookup else str(label)
            if key not in lookup:
                raise ValueError(f"{cls.__name__}: unknown label {label!r} at {where}; known "
                                 f"classes are {classes}")
            samples.append((lookup[key], text))
        return cls(samples, classes=classes, class_to_idx=class_to_idx, **kwargs)

    @classmethod
    def from_csv(cls, path, text_column: str = "text", label_column: str = "label",
                 delimiter: str = ",", classes: Sequence | None = None,
                 **kwargs) -> TextClassificationDataset:
        """Read a CSV/TSV file with a header line naming its columns.

        Args:
            path: the file (UTF-8).
            text_column, label_column: header names of the text and the label.
            delimiter: ``','`` for CSV, ``'\\t'`` for TSV.
            classes: class names in index order; default: the labels found, sorted
                (numerically when they are all whole numbers).
            **kwargs: ``transform``, ``target_transform``.

        Returns:
            A dataset of ``(label index, text)``.

        Raises:
            ValueError: a column is missing (the message lists the header), a row is short, a
                label is empty or not in ``classes`` (the message names the line).
        """
        path = os.fspath(path)
        rows = read_rows(path, delimiter)
        try:
            _, header = next(rows)
        except StopIteration:
            raise ValueError(f"{cls.__name__}.from_csv: {path} is empty; expected a header "
                             f"line naming the columns") from None
        for column in (text_column, label_column):
            if column not in header:
                raise ValueError(f"{cls.__name__}.from_csv: {path} has no column {column!r}; "
                                 f"its header is {header} (delimiter {delimiter!r}): pass "
                                 f"text_column=/label_column=")
        ti, li = header.index(text_column), header.index(label_column)
        pairs = []
        for line, row in rows:
            if not row:
                continue
            if len(row) <= max(ti, li):
                raise ValueError(f"{cls.__name__}.from_csv: {path} line {line} has {len(row)} "
                                 f"fields, the header has {len(header)}")
            pairs.append((f"{path} line {line}", row[li], row[ti]))
        return cls._from_pairs(pairs, classes, **kwargs)

    @classmethod
    def from_jsonl(cls, path, text_field: str = "text", label_field: str = "label",
                   classes: Sequence | None = None, **kwargs) -> TextClassificationDataset:
        """Read JSON lines: one object per line, e.g. ``{"text": "...", "label": "pos"}``.

        Blank lines are skipped. Labels may be strings or integers.

        Args:
            path: the file (UTF-8).
            text_field, label_field: keys of the text and the label in each object.
            classes: class names in index order; default: the labels found, sorted.
            **kwargs: ``transform``, ``target_transform``.

        Raises:
            ValueError: a line is not a JSON object, lacks a field, or has an empty or unknown
                label (the message names the line).
        """
        path = os.fspath(path)
        pairs = []
        with open(path, encoding="utf-8") as f:
            for line_number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path} line {line_number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{cls.__name__}.from_jsonl: {where} is not valid JSON "
                                     f"({exc.msg})") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{cls.__name__}.from_jsonl: {where} is not a JSON object")
                for key in (text_field, label_field):
                    if key not in record:
                        raise ValueError(f"{cls.__name__}.from_jsonl: {where} has no field "
                                         f"{key!r} (fields: {sorted(record)})")
                pairs.append((where, record[label_field], record[text_field]))
        return cls._from_pairs(pairs, classes, **kwargs)

    @classmethod
    def from_folder(cls, root, extensions: tuple[str, ...] = (".txt",),
                    **kwargs) -> TextClassificationDataset:
        """One subfolder per class holding text files (``root/pos/001.txt``), as IMDB's
        layout and torchvision's ``ImageFolder``: classes are the sorted folder names.

        Args:
            root: the folder of class folders.
            extensions: file suffixes read as samples (others are ignored).
            **kwargs: ``transform``, ``target_transform``.

        Raises:
            FileNotFoundError: no class folder, or a class folder without text files.
        """
        root = os.fspath(root)
        classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"{cls.__name__}.from_folder: no class folders in {root}; "
                                    f"expected {root}/<class>/<file>.txt")
        samples = []
        for index, name in enumerate(classes):
            folder = os.path.join(root, name)
            files = sorted(f for f in os.listdir(folder) if f.lower().endswith(extensions))
            if not files:
                raise FileNotFoundError(f"{cls.__name__}.from_folder: class folder {folder} "
                                        f"has no {'/'.join(extensions)} files")
            for filename in files:
                with open(os.path.join(folder, filename), encoding="utf-8") as f:
                    samples.append((index, f.read()))
        return cls(samples, classes=classes, **kwargs)


# ---------------------------------------------------------------- torchtext's datasets
# URLs and MD5s as in torchtext 0.16 (torchtext/datasets/*.py).

AG_NEWS_URL = {
    "train": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/"
             "train.csv",
    "test": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/"
            "test.csv",
}
AG_NEWS_MD5 = {"train": "b1a00f826fdfbd249f79597b59e1dc12",
               "test": "d52ea96a97a2d943681189a97654912d"}
AG_NEWS_CLASSES = {"World": 1, "Sports": 2, "Business": 3, "Sci/Tech": 4}

IMDB_URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
IMDB_CLASSES = {"neg": 1, "pos": 2}

SST2_URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"
SST2_MD5 = "9f81648d4199384278b86e315dac217c"

YELP_URL = "https://drive.google.com/uc?export=download&id=0Bz8a_Dbh9QhbNUpYQ2N3SGlFaDg"
YELP_MD5 = "620c8ae4bd5a150b730f1ba9a7c6a4d3"
YELP_CLASSES = {"negative": 1, "positive": 2}


def _label_csv(name: str, path: str, classes: dict) -> TextClassificationDataset:
    # The char-CNN CSV layout (Zhang et al. 2015): "label","field",... with the fields
    # joined by a space into one text, as torchtext's _modify_res does.
    valid = set(classes.values())
    samples = []
    for line, row in read_rows(path):
        if not row:
            continue
        try:
            label = int(row[0])
        except ValueError:
            label = None
        if label not in valid or len(row) < 2:
            raise RuntimeError(f"{name}: {path} line {line} is not '<label>,<text>...' with a "
                               f"label in {sorted(valid)}: {row[:2]}")
        samples.append((label, " ".join(row[1:])))
    return TextClassificationDataset(samples, classes=list(classes), class_to_idx=classes)


def AG_NEWS(root=None, split=("train", "test"), download: bool = True):
    """AG's News topic classification (120,000 train / 7,600 test news articles).

    Items are ``(label, text)`` with torchtext's labels **1-4** (1 World, 2 Sports,
    3 Business, 4 Sci/Tech; ``classes[label - 1]``) and the text = title + ' ' + description.

    Args:
        root: the folder holding ``AG_NEWS/`` (default ``~/.cache/ember/datasets``).
        split: ``'train'``, ``'test'`` or a tuple of them.
        download: fetch missing files (``train.csv``/``test.csv``) through :mod:`ember.hub`;
            with False a missing file is a RuntimeError naming it.

    Returns:
        One :class:`TextClassificationDataset` for a split name, a tuple for a tuple.

    Example:
        >>> train, test = AG_NEWS()
        >>> train[0][0]
        3
    """
    names, single = splits_of("AG_NEWS", split, ("train", "test"))
    folder = dataset_folder(root, "AG_NEWS")
    out = []
    for s in names:
        fetch("AG_NEWS", folder, [f"{s}.csv"], AG_NEWS_URL[s], f"{s}.csv", AG_NEWS_MD5[s],
              download, archive=False)
        out.append(_label_csv("AG_NEWS", os.path.join(folder, f"{s}.csv"), AG_NEWS_CLASSES))
    return one_or_tuple(out, single)


def YelpReviewPolarity(root=None, split=("train", "test"), download: bool = True):
    """Yelp review polarity (560,000 train / 38,000 test reviews).

    Items are ``(label, text)`` with torchtext's labels 1 (negative) and 2 (positive). Read from
    ``yelp_review_polarity_csv.tar.gz`` (``yelp_review_polarity_csv/{train,test}.csv``).

    Args:
        root: the folder holding ``YelpReviewPolarity/``.
        split: ``'train'``, ``'test'`` or a tuple of them.
        download: fetch the archive when missing (Google Drive may answer with a confirmation
            page, which :mod:`ember.hub` reports; download it by hand into the folder then).

    Returns:
        One :class:`TextClassificationDataset` for a split name, a tuple for a tuple.
    """
    names, single = splits_of("YelpReviewPolarity", split, ("train", "test"))
    folder = dataset_folder(root, "YelpReviewPolarity")
    out = []
    for s in names:
        member = os.path.join("yelp_review_polarity_csv", f"{s}.csv")
        fetch("YelpReviewPolarity", folder, [member], YELP_URL,
              "yelp_review_polarity_csv.tar.gz", YELP_MD5, download, archive=True)
        out.append(_label_csv("YelpReviewPolarity", os.path.join(folder, member), YELP_CLASSES))
    return one_or_tuple(out, single)


def IMDB(root=None, split=("train", "test"), download: bool = True):
    """The Large Movie Review Dataset (Maas et al. 2011): 25,000 train / 25,000 test reviews.

    Items are ``(label, text)`` with torchtext 0.16's labels **1 = neg, 2 = pos**. Samples are
    the ``aclImdb/<split>/neg`` files then the ``pos`` files, each in file-name order (the
    unlabelled ``train/unsup`` reviews are not included, as in torchtext).

    Args:
        root: the folder holding ``IMDB/`` (where ``aclImdb_v1.tar.gz`` is extracted).
        split: ``'train'``, ``'test'`` or a tuple of them.
        download: fetch ``aclImdb_v1.tar.gz`` when the extracted folders are missing.

    Returns:
        One :class:`TextClassificationDataset` for a split name, a tuple for a tuple.
    """
    names, single = splits_of("IMDB", split, ("train", "test"))
    folder = dataset_folder(root, "IMDB")
    out = []
    for s in names:
        needed = [os.path.join("aclImdb", s, c) for c in IMDB_CLASSES]
        fetch("IMDB", folder, needed, IMDB_URL, "aclImdb_v1.tar.gz", IMDB_MD5, download,
              archive=True)
        samples = []
        for name, label in IMDB_CLASSES.items():
            sub = os.path.join(folder, "aclImdb", s, name)
            for filename in sorted(f for f in os.listdir(sub) if f.endswith(".txt")):
                with open(os.path.join(sub, filename), encoding="utf-8") as f:
                    samples.append((label, f.read()))
        out.append(TextClassificationDataset(samples, classes=list(IMDB_CLASSES),
                                             class_to_idx=IMDB_CLASSES))
    return one_or_tuple(out, single)


def _read_sst2(path: str, name: str, split: str):
    # GLUE's SST-2 TSVs: 'sentence\tlabel' (train/dev), 'index\tsentence' (test, no labels).
    header, rows = read_tsv_with_header(path, name)
    wanted = ("index", "sentence") if split == "test" else ("sentence", "label")
    if any(w not in header for w in wanted):
        raise RuntimeError(f"{name}: {path} has header {header}; expected the columns "
                           f"{wanted} of GLUE's SST-2 {split}.tsv")
    text_i = header.index("sentence")
    if split == "test":
        return TextDataset([(row[text_i].strip(),) for _, row in rows if row])
    label_i = header.index("label")
    samples = []
    for line, row in rows:
        if not row:
            continue
        try:
            label = int(row[label_i])
        except (ValueError, IndexError):
            raise RuntimeError(f"{name}: {path} line {line}: expected 'sentence<TAB>label' with "
                               f"label 0 or 1, got {row}") from None
        samples.append((row[text_i].strip(), label))
    return TextClassificationDataset(samples, classes=["negative", "positive"], text_first=True)


def SST2(root=None, split=("train", "dev", "test"), download: bool = True):
    """The Stanford Sentiment Treebank, binary (GLUE's SST-2: 67,349 / 872 / 1,821 sentences).

    As in torchtext, ``train``/``dev`` items are ``(text, label)`` (text first; label 0
    negative, 1 positive) and ``test`` items are ``(text,)`` (GLUE hides its labels).

    Args:
        root: the folder holding ``SST2/`` (where ``SST-2.zip`` is extracted).
        split: ``'train'``, ``'dev'``, ``'test'`` or a tuple of them.
        download: fetch ``SST-2.zip`` when the extracted TSVs are missing.

    Returns:
        A :class:`TextClassificationDataset` (train/dev) or :class:`TextDataset` (test); a
        tuple for a tuple of splits.
    """
    names, single = splits_of("SST2", split, ("train", "dev", "test"))
    folder = dataset_folder(root, "SST2")
    out = []
    for s in names:
        member = os.path.join("SST-2", f"{s}.tsv")
        fetch("SST2", folder, [member], SST2_URL, "SST-2.zip", SST2_MD5, download, archive=True)
        out.append(_read_sst2(os.path.join(folder, member), "SST2", s))
    return one_or_tuple(out, single)
