"""Generic loaders (CSV, JSON lines, class folders), LanguageModelingDataset blocks, and the
embedded corpus shipped with embertext."""

import json

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from embertext.datasets import (
    EmbeddedCorpus,
    EmbeddedSentiment,
    LanguageModelingDataset,
    TextClassificationDataset,
)


def test_from_csv_maps_labels_to_sorted_indices(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('label,text\npos,"Great, really."\nneg,Bad.\npos,Fine.\n', encoding="utf-8")
    ds = TextClassificationDataset.from_csv(path)
    assert ds.classes == ["neg", "pos"] and ds.class_to_idx == {"neg": 0, "pos": 1}
    assert list(ds) == [(1, "Great, really."), (0, "Bad."), (1, "Fine.")]
    assert ds.targets == [1, 0, 1]


def test_from_csv_tsv_columns_numeric_order_and_transform(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("id\tstars\tbody\n1\t10\tx\n2\t2\ty\n3\t9\tz\n", encoding="utf-8")
    ds = TextClassificationDataset.from_csv(path, text_column="body", label_column="stars",
                                            delimiter="\t", transform=str.upper)
    assert ds.classes == ["2", "9", "10"]  # whole numbers sort as numbers
    assert list(ds) == [(2, "X"), (0, "Y"), (1, "Z")]


def test_from_csv_errors(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("label,text\npos,a\n,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty label at .*r\.csv line 3"):
        TextClassificationDataset.from_csv(path)
    path.write_text("label,text\npos,a\nmeh,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown label 'meh' at .*r\.csv line 3; known "
                                         r"classes are \['neg', 'pos'\]"):
        TextClassificationDataset.from_csv(path, classes=["neg", "pos"])
    with pytest.raises(ValueError, match=r"has no column 'sentence'; its header is "
                                         r"\['label', 'text'\]"):
        TextClassificationDataset.from_csv(path, text_column="sentence")


def test_from_jsonl(tmp_path):
    path = tmp_path / "r.jsonl"
    lines = [{"text": "one", "label": 2}, {"text": "two", "label": 0}, {"text": "3", "label": 2}]
    path.write_text("\n".join(map(json.dumps, lines)) + "\n\n", encoding="utf-8")
    ds = TextClassificationDataset.from_jsonl(path)
    assert ds.classes == [0, 2] and list(ds) == [(1, "one"), (0, "two"), (1, "3")]
    named = TextClassificationDataset.from_jsonl(path, classes=["0", "1", "2"])
    assert named.targets == [2, 0, 2]  # int labels matched to string class names
    path.write_text('{"text": "a", "label": "x"}\n{"text": "b", label: 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"r\.jsonl line 2 is not valid JSON"):
        TextClassificationDataset.from_jsonl(path)
    path.write_text('{"text": "a"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1 has no field 'label'"):
        TextClassificationDataset.from_jsonl(path)


def test_from_folder(tmp_path):
    for cls, name, text in [("pos", "b.txt", "good"), ("pos", "a.txt", "great"),
                            ("neg", "1.txt", "awful")]:
        (tmp_path / cls).mkdir(exist_ok=True)
        (tmp_path / cls / name).write_text(text, encoding="utf-8")
    (tmp_path / "pos" / "notes.md").write_text("ignored", encoding="utf-8")
    ds = TextClassificationDataset.from_folder(tmp_path)
    assert ds.classes == ["neg", "pos"]
    assert list(ds) == [(0, "awful"), (1, "great"), (1, "good")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"class folder .*empty has no \.txt files"):
        TextClassificationDataset.from_folder(tmp_path)


def test_lm_blocks_literal():
    ds = LanguageModelingDataset(np.arange(11), block_size=4)
    assert len(ds) == 2  # the 3 tokens after the last whole block are dropped
    item = ds[1]
    assert item["input_ids"].dtype == ember.int64
    assert item["input_ids"].tolist() == [4, 5, 6, 7]
    assert item["labels"].tolist() == [4, 5, 6, 7]  # the model shifts, as in Hugging Face
    overlapping = LanguageModelingDataset(list(range(10)), block_size=4, stride=3)
    assert [b["input_ids"].tolist() for b in overlapping] == [[0, 1, 2, 3], [3, 4, 5, 6],
                                                              [6, 7, 8, 9]]
    assert overlapping[-1]["input_ids"].tolist() == [6, 7, 8, 9]
    with pytest.raises(IndexError):
        overlapping[3]


def test_lm_from_text_and_batches():
    class CharTokenizer:  # has encode(), like embertext.Tokenizer
        def encode(self, text, add_special_tokens=True):
            assert add_special_tokens is False
            return [ord(c) - 96 for c in text]

    ds = LanguageModelingDataset(["abc", "de"], block_size=3, tokenizer=CharTokenizer(),
                                 separator_id=0)
    assert ds.tokens.tolist() == [1, 2, 3, 0, 4, 5]
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert batch["input_ids"].tolist() == [[1, 2, 3], [0, 4, 5]]
    plain = LanguageModelingDataset("ab", block_size=1, tokenizer=lambda s: {"input_ids": [7, 8]})
    assert [b["labels"].tolist() for b in plain] == [[7], [8]]


def test_lm_errors():
    with pytest.raises(ValueError, match=r"has 3 tokens, fewer than block_size=4"):
        LanguageModelingDataset([1, 2, 3], block_size=4)
    with pytest.raises(ValueError, match="got text but no tokenizer"):
        LanguageModelingDataset(["some text"], block_size=2)
    with pytest.raises(ValueError, match="stride must be a positive int"):
        LanguageModelingDataset([1, 2, 3], block_size=2, stride=0)


def test_embedded_sentiment():
    train, test = EmbeddedSentiment("train"), EmbeddedSentiment("test")
    assert (len(train), len(test)) == (400, 100)
    assert train.classes == ["negative", "positive"]
    assert train.targets.count(1) == 200 and test.targets.count(0) == 50
    assert train[0] == (1, "The Rock is destined to be the 21st Century's new ''Conan'' and "
                           "that he's going to make a splash even greater than Arnold "
                           "Schwarzenegger, Jean Claud Van Damme or Steven Segal.")
    assert test[1][0] == 0 and test[1][1].startswith("(Carvey's) characters are both overplayed")
    assert not {t for _, t in train} & {t for _, t in test}
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        EmbeddedSentiment("dev")


def test_embedded_corpus():
    corpus = EmbeddedCorpus()
    assert len(corpus) == 333
    assert corpus[4] == "In the beginning God created the heaven and the earth.\n"
    assert len(corpus.text.split()) == 6805
    lm = LanguageModelingDataset(corpus.text, block_size=64, tokenizer=lambda s: list(s.encode()))
    assert len(lm) == 35052 // 64
