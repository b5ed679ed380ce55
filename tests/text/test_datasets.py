"""torchtext's datasets read from small files written here in each published layout (CSV,
aclImdb tar.gz, GLUE SST-2 zip, WikiText zip, Yelp tar.gz), one fetched over HTTP from
127.0.0.1 through ember.hub."""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from ember.hub import DownloadError
from embertext import datasets
from embertext.datasets import classification, language_modeling


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _tar_gz(path, members: dict):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _zip(path, members: dict):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)


AG_TRAIN = ('"3","Wall St. Bears Claw Back","Reuters - Short-sellers are back."\n'
            '"2","Phelps Wins, ""Again""","ATHENS - Michael Phelps won gold,\nagain."\n')

IMDB_MEMBERS = {
    "aclImdb/README": "Large Movie Review Dataset v1.0\n",
    "aclImdb/train/pos/10_9.txt": "A wonderful film.",
    "aclImdb/train/pos/2_7.txt": "Pretty good.",
    "aclImdb/train/neg/5_1.txt": "Dreadful <br /><br />acting.",
    "aclImdb/train/unsup/0_0.txt": "Unlabelled review.",
    "aclImdb/train/urls_pos.txt": "http://www.imdb.com/title/tt0000001/usercomments\n",
    "aclImdb/train/labeledBow.feat": "9 0:1\n",
    "aclImdb/test/pos/0_10.txt": "Loved it.",
    "aclImdb/test/neg/0_2.txt": "Hated it.",
}


def test_ag_news_csv_layout(tmp_path):
    _write(str(tmp_path / "AG_NEWS" / "train.csv"), AG_TRAIN)
    train = datasets.AG_NEWS(root=tmp_path, split="train", download=False)
    assert len(train) == 2
    # torchtext: label 1-4 as given, title and description joined by one space
    assert train[0] == (3, "Wall St. Bears Claw Back Reuters - Short-sellers are back.")
    assert train[1] == (2, 'Phelps Wins, "Again" ATHENS - Michael Phelps won gold,\nagain.')
    assert train.classes == ["World", "Sports", "Business", "Sci/Tech"]
    assert train.class_to_idx["Business"] == 3 and train.targets == [3, 2]


def test_missing_files_without_download(tmp_path):
    _write(str(tmp_path / "AG_NEWS" / "train.csv"), AG_TRAIN)
    with pytest.raises(RuntimeError, match=r"AG_NEWS: .*test\.csv not found; pass download=True"):
        datasets.AG_NEWS(root=tmp_path, split=("train", "test"), download=False)
    with pytest.raises(RuntimeError, match=r"IMDB: .*aclImdb.*not found"):
        datasets.IMDB(root=tmp_path, split="test", download=False)


def test_bad_label_in_csv_names_the_line(tmp_path):
    _write(str(tmp_path / "AG_NEWS" / "test.csv"), '"1","a","b"\n"7","c","d"\n')
    with pytest.raises(RuntimeError, match=r"test\.csv line 2 .*label in \[1, 2, 3, 4\]"):
        datasets.AG_NEWS(root=tmp_path, split="test", download=False)


def test_unknown_split():
    with pytest.raises(ValueError, match=r"SST2: unknown split 'valid'; valid splits are "
                                         r"\('train', 'dev', 'test'\)"):
        datasets.SST2(split="valid", download=False)


def test_imdb_tar_layout(tmp_path):
    _tar_gz(str(tmp_path / "IMDB" / "aclImdb_v1.tar.gz"), IMDB_MEMBERS)
    train, test = datasets.IMDB(root=tmp_path, download=False)
    # neg (1) files first, then pos (2), each in file-name order; unsup left out
    assert list(train) == [(1, "Dreadful <br /><br />acting."), (2, "A wonderful film."),
                           (2, "Pretty good.")]
    assert list(test) == [(1, "Hated it."), (2, "Loved it.")]
    assert train.class_to_idx == {"neg": 1, "pos": 2}


def test_sst2_zip_layout(tmp_path):
    _zip(str(tmp_path / "SST2" / "SST-2.zip"), {
        "SST-2/train.tsv": "sentence\tlabel\nhide new secretions \t0\na gorgeous film \t1\n",
        "SST-2/dev.tsv": "sentence\tlabel\nit 's a charming journey . \t1\n",
        "SST-2/test.tsv": "index\tsentence\n0\tuneasy mishmash of styles .\n",
    })
    train, dev, test = datasets.SST2(root=tmp_path, download=False)
    # torchtext's SST2 order: (text, label), text stripped; test has no label
    assert list(train) == [("hide new secretions", 0), ("a gorgeous film", 1)]
    assert dev[0] == ("it 's a charming journey .", 1)
    assert list(test) == [("uneasy mishmash of styles .",)]
    assert train.targets == [0, 1]


def test_wikitext2_zip_layout(tmp_path):
    train_text = " \n = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 : <unk> Chronicles \n"
    _zip(str(tmp_path / "WikiText2" / "wikitext-2-v1.zip"), {
        "wikitext-2/wiki.train.tokens": train_text,
        "wikitext-2/wiki.valid.tokens": " \n = Homarus gammarus = \n",
        "wikitext-2/wiki.test.tokens": " \n = Robert <unk> = \n",
    })
    train = datasets.WikiText2(root=tmp_path, split="train", download=False)
    assert list(train) == [" \n", " = Valkyria Chronicles III = \n", " \n",
                           " Senjō no Valkyria 3 : <unk> Chronicles \n"]
    valid, test = datasets.WikiText2(root=tmp_path, split=("valid", "test"), download=False)
    assert valid[1] == " = Homarus gammarus = \n" and len(test) == 2


def test_yelp_tar_layout(tmp_path):
    _tar_gz(str(tmp_path / "YelpReviewPolarity" / "yelp_review_polarity_csv.tar.gz"), {
        "yelp_review_polarity_csv/train.csv": '"1","Unfortunately, the frustration."\n'
                                              '"2","Been going to Dr. Goldberg for years."\n',
        "yelp_review_polarity_csv/test.csv": '"2","Great pizza."\n',
    })
    train = datasets.YelpReviewPolarity(root=tmp_path, split="train", download=False)
    assert list(train) == [(1, "Unfortunately, the frustration."),
                           (2, "Been going to Dr. Goldberg for years.")]


def test_archive_without_expected_member(tmp_path):
    _zip(str(tmp_path / "WikiText103" / "wikitext-103-v1.zip"), {"other/file.txt": "x"})
    with pytest.raises(RuntimeError, match=r"does not hold wikitext-103.wiki\.test\.tokens"):
        datasets.WikiText103(root=tmp_path, split="test", download=False)


@pytest.fixture
def http_folder(tmp_path):
    """Serve tmp_path/'srv' on 127.0.0.1; yields (folder, base_url)."""
    folder = tmp_path / "srv"
    folder.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_download_over_http(http_folder, tmp_path, monkeypatch):
    folder, base = http_folder
    _tar_gz(str(folder / "aclImdb_v1.tar.gz"), IMDB_MEMBERS)
    digest = hashlib.md5((folder / "aclImdb_v1.tar.gz").read_bytes()).hexdigest()
    monkeypatch.setattr(classification, "IMDB_URL", f"{base}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(classification, "IMDB_MD5", digest)
    root = tmp_path / "data"
    test = datasets.IMDB(root=root, split="test")
    assert list(test) == [(1, "Hated it."), (2, "Loved it.")]
    assert (root / "IMDB" / "aclImdb_v1.tar.gz").is_file()
    # A second call finds the extracted files: no network (the server is not needed).
    monkeypatch.setattr(classification, "IMDB_URL", "http://127.0.0.1:9/none.tar.gz")
    assert len(datasets.IMDB(root=root, split="train")) == 3


def test_download_checksum_mismatch(http_folder, tmp_path, monkeypatch):
    folder, base = http_folder
    _zip(str(folder / "wikitext-2-v1.zip"), {"wikitext-2/wiki.test.tokens": " \n"})
    monkeypatch.setattr(language_modeling, "WIKITEXT2_URL", f"{base}/wikitext-2-v1.zip")
    monkeypatch.setattr(language_modeling, "WIKITEXT2_MD5", "0" * 32)
    with pytest.raises(DownloadError, match=r"md5 mismatch: expected 0{32}"):
        datasets.WikiText2(root=tmp_path, split="test")
    assert not (tmp_path / "WikiText2" / "wikitext-2-v1.zip").exists()
