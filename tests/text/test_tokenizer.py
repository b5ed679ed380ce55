"""embertext.Tokenizer: a BERT vocab.txt written here with known ids, tokenizers trained here
(byte-level BPE, WordPiece, Unigram) on sentences generated here, and the transformers calling
convention (padding, truncation, masks, segment ids, offsets, tensors, saving)."""

import json
import pickle
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from embertext import BatchEncoding, Tokenizer

# A BERT vocabulary: line number = id.
BERT_VOCAB = ("[PAD] [UNK] [CLS] [SEP] [MASK] the quick brown fox jump ##s over lazy dog . ! , "
              "un ##believ ##able hello world").split()
PAD, UNK, CLS, SEP, MASK, THE, QUICK, BROWN, FOX, JUMP, S, OVER, LAZY, DOG, DOT, BANG, COMMA = (
    range(17))
UN, BELIEV, ABLE, HELLO, WORLD = range(17, 22)


def _corpus(n=300, seed=0):
    rng = random.Random(seed)
    adjs = "old young quiet bright small large green red happy tired clever curious".split()
    nouns = "cat dog teacher student robot river mountain city garden window book bird".split()
    verbs = "reads watches paints likes follows builds visits writes finds crosses".split()
    advs = "slowly quickly today again carefully happily often rarely".split()
    return [f"The {rng.choice(adjs)} {rng.choice(nouns)} {rng.choice(verbs)} a "
            f"{rng.choice(adjs)} {rng.choice(nouns)} {rng.choice(advs)}{rng.choice('.!?')}"
            for _ in range(n)]


CORPUS = _corpus()


@pytest.fixture(scope="module")
def vocab_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bert") / "vocab.txt"
    path.write_text("\n".join(BERT_VOCAB) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bert(vocab_file):
    return Tokenizer.from_vocab(vocab_file)


@pytest.fixture(scope="module")
def trained():
    return {
        "bpe": Tokenizer.train(CORPUS, kind="bpe", vocab_size=400),
        "wordpiece": Tokenizer.train(CORPUS, kind="wordpiece", vocab_size=300),
        "unigram": Tokenizer.train(CORPUS, kind="unigram", vocab_size=150),
    }


# -- BERT from vocab.txt: known ids ------------------------------------------------------------

def test_bert_vocab_known_ids(bert):
    assert bert("The quick brown fox jumps over the lazy dog.")["input_ids"] == [
        CLS, THE, QUICK, BROWN, FOX, JUMP, S, OVER, THE, LAZY, DOG, DOT, SEP]
    # Greedy longest-match-first WordPiece; lowercasing strips accents; a word that cannot be
    # fully segmented becomes one [UNK]; special tokens in the text are kept whole.
    assert bert.encode("Unbelievable!") == [CLS, UN, BELIEV, ABLE, BANG, SEP]
    assert bert.encode("HÉLLO wörld") == [CLS, HELLO, WORLD, SEP]
    assert bert.encode("jumpz cat") == [CLS, UNK, UNK, SEP]
    assert bert.encode("the [MASK] fox") == [CLS, THE, MASK, FOX, SEP]
    assert bert.tokenize("jumps!") == ["jump", "##s", "!"]


def test_bert_cased_and_special_tokens(vocab_file, bert):
    cased = Tokenizer.from_vocab(vocab_file, lowercase=False)
    assert cased.encode("The quick Fox") == [CLS, UNK, QUICK, UNK, SEP]
    assert (bert.pad_token, bert.unk_token, bert.cls_token, bert.sep_token, bert.mask_token) == (
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
    assert (bert.pad_token_id, bert.unk_token_id, bert.cls_token_id, bert.sep_token_id,
            bert.mask_token_id) == (PAD, UNK, CLS, SEP, MASK)
    assert bert.bos_token is None and bert.eos_token_id is None
    assert bert.vocab_size == len(bert) == len(BERT_VOCAB)
    assert bert.model_input_names == ["input_ids", "token_type_ids", "attention_mask"]
    assert bert.all_special_ids == [UNK, SEP, PAD, CLS, MASK]


def test_bert_missing_special_in_vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("[UNK]\nhello\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"no cls_token '\[CLS\]'.*cls_token="):
        Tokenizer.from_vocab(path)


def test_convert_tokens_and_ids(bert):
    assert bert.convert_tokens_to_ids("fox") == FOX
    assert bert.convert_tokens_to_ids(["fox", "zebra"]) == [FOX, UNK]
    assert bert.convert_ids_to_tokens(FOX) == "fox"
    assert bert.convert_ids_to_tokens([CLS, FOX, SEP]) == ["[CLS]", "fox", "[SEP]"]
    assert bert.convert_ids_to_tokens(ember.tensor([CLS, FOX]), skip_special_tokens=True) == [
        "fox"]


def test_pair_segments_and_offsets(bert):
    enc = bert("hello world", "the dog")
    assert enc["input_ids"] == [CLS, HELLO, WORLD, SEP, THE, DOG, SEP]
    assert enc["token_type_ids"] == [0, 0, 0, 0, 1, 1, 1]
    assert enc["attention_mask"] == [1] * 7
    enc = bert("Hello, world!", return_offsets_mapping=True, return_special_tokens_mask=True)
    assert enc["offset_mapping"] == [(0, 0), (0, 5), (5, 6), (7, 12), (12, 13), (0, 0)]
    assert enc["special_tokens_mask"] == [1, 0, 0, 0, 0, 1]
    assert enc.tokens() == ["[CLS]", "hello", ",", "world", "!", "[SEP]"]
    assert enc.word_ids() == [None, 0, 1, 2, 3, None]
    assert enc.input_ids is enc["input_ids"]
    assert list(bert("hi", return_token_type_ids=False, return_attention_mask=False)) == [
        "input_ids"]
    assert bert("hello world", add_special_tokens=False)["input_ids"] == [HELLO, WORLD]
    # A batch of (text, pair) tuples is a batch of pairs.
    assert bert([("hello", "dog")], return_length=True)["length"] == [5]


def test_padding_right_left_and_max_length(bert):
    texts = ["hello", "the quick brown fox"]
    enc = bert(texts, padding=True)
    assert enc["input_ids"] == [[CLS, HELLO, SEP, PAD, PAD, PAD],
                                [CLS, THE, QUICK, BROWN, FOX, SEP]]
    assert enc["attention_mask"] == [[1, 1, 1, 0, 0, 0], [1] * 6]
    enc = bert(texts, padding="longest", padding_side="left", return_offsets_mapping=True)
    assert enc["input_ids"][0] == [PAD, PAD, PAD, CLS, HELLO, SEP]
    assert enc["attention_mask"][0] == [0, 0, 0, 1, 1, 1]
    assert enc["offset_mapping"][0] == [(0, 0)] * 4 + [(0, 5), (0, 0)]
    assert bert("the fox", padding="max_length", max_length=6)["input_ids"] == [
        CLS, THE, FOX, SEP, PAD, PAD]
    enc = bert(["the fox", "hello"], padding=True, pad_to_multiple_of=4)
    assert enc["input_ids"] == [[CLS, THE, FOX, SEP], [CLS, HELLO, SEP, PAD]]
    # The pair padding gets segment id 0.
    assert bert([("the", "fox"), ("a", "b c d")], padding=True)["token_type_ids"][0] == [
        0, 0, 0, 1, 1, 0, 0]


def test_padding_side_attribute(vocab_file):
    tok = Tokenizer.from_vocab(vocab_file, padding_side="left")
    assert tok(["hello", "the fox"], padding=True)["input_ids"][0] == [PAD, CLS, HELLO, SEP]
    with pytest.raises(ValueError, match="padding_side must be 'right' or 'left'"):
        tok.padding_side = "middle"


def test_truncation_strategies(bert):
    long, short = "the quick brown fox", "hello world"
    assert bert("the quick brown fox jumps", truncation=True, max_length=5)["input_ids"] == [
        CLS, THE, QUICK, BROWN, SEP]
    # longest_first: 4 tokens of room (7 - 3 specials) taken from the longer text first.
    assert bert(long, short, truncation=True, max_length=7)["input_ids"] == [
        CLS, THE, QUICK, SEP, HELLO, WORLD, SEP]
    assert bert(long, short, truncation="only_second", max_length=8)["input_ids"] == [
        CLS, THE, QUICK, BROWN, FOX, SEP, HELLO, SEP]
    assert bert(long, short, truncation="only_first", max_length=7)["input_ids"] == [
        CLS, THE, QUICK, SEP, HELLO, WORLD, SEP]
    # transformers' rule: max_length without padding truncates.
    assert bert(long, max_length=4)["input_ids"] == [CLS, THE, QUICK, SEP]
    assert len(bert(long, truncation=False, max_length=4)["input_ids"]) == 6
    with pytest.raises(ValueError, match="only_second"):
        bert(long, truncation="only_second", max_length=4)


def test_truncation_side_left(vocab_file):
    tok = Tokenizer.from_vocab(vocab_file, truncation_side="left")
    assert tok("the quick brown fox", truncation=True, max_length=4)["input_ids"] == [
        CLS, BROWN, FOX, SEP]


def test_model_max_length_default_and_error(vocab_file):
    tok = Tokenizer.from_vocab(vocab_file, model_max_length=6)
    text = "The quick brown fox jumps over the lazy dog."  # 13 tokens
    assert len(tok(text)["input_ids"]) == 13  # lists: the caller may chunk
    with pytest.raises(ValueError, match=r"sequence 1 has 13 tokens.*model_max_length=6.*"
                                         r"truncation=True"):
        tok(["hello", text], padding=True, return_tensors="ember")
    assert tok(text, truncation=True, return_tensors="np")["input_ids"].shape == (1, 6)
    assert tok("hello", padding="max_length")["input_ids"] == [CLS, HELLO, SEP, PAD, PAD, PAD]


def test_tensor_outputs(bert):
    enc = bert(["hello", "the fox"], padding=True, return_tensors="ember",
               return_offsets_mapping=True)
    assert isinstance(enc, BatchEncoding) and isinstance(enc, dict)
    ids = enc["input_ids"]
    assert isinstance(ids, ember.Tensor) and ids.dtype == ember.int64
    assert ids.tolist() == [[CLS, HELLO, SEP, PAD], [CLS, THE, FOX, SEP]]
    assert enc["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    assert tuple(enc["offset_mapping"].shape) == (2, 4, 2)
    assert enc.to("cpu")["input_ids"].tolist() == ids.tolist()
    single = bert("hello", return_tensors="pt")  # 'pt' so PyTorch code runs unchanged
    assert tuple(single["input_ids"].shape) == (1, 3)
    arr = bert("hello", return_tensors="np")["input_ids"]
    assert isinstance(arr, np.ndarray) and arr.dtype == np.int64
    assert bert.encode("hello", return_tensors="ember").tolist() == [[CLS, HELLO, SEP]]


def test_call_errors(bert, trained):
    with pytest.raises(ValueError, match="different lengths.*padding=True"):
        bert(["hello", "the fox"], return_tensors="ember")
    with pytest.raises(ValueError, match="return_tensors must be one of"):
        bert("hello", return_tensors="tf")
    with pytest.raises(ValueError, match="padding must be one of"):
        bert("hello", padding="maximum")
    with pytest.raises(ValueError, match="truncation must be one of"):
        bert("hello", truncation="only_third")
    with pytest.raises(ValueError, match="text must be a str or a list"):
        bert(42)
    with pytest.raises(ValueError, match="text_pair must be a list as long as text"):
        bert(["a", "b"], ["c"])
    with pytest.raises(ValueError, match="needs a length"):
        bert("hello", padding="max_length")
    with pytest.raises(TypeError, match="encode_batch"):
        bert.encode(["hello"])
    with pytest.raises(ValueError, match="not a multiple of pad_to_multiple_of"):
        bert(["hello"], padding=True, truncation=True, max_length=6, pad_to_multiple_of=4)
    with pytest.warns(UserWarning, match="not truncating"):
        bert("hello", truncation=True)


def test_decode(bert):
    ids = bert.encode("The quick brown fox jumps over the lazy dog.")
    assert bert.decode(ids) == "the quick brown fox jumps over the lazy dog."
    assert bert.decode(ids, skip_special_tokens=False) == (
        "[CLS] the quick brown fox jumps over the lazy dog. [SEP]")
    batch = bert(["hello, world!", "the dog"], padding=True, return_tensors="ember")["input_ids"]
    assert bert.batch_decode(batch) == ["hello, world!", "the dog"]
    assert bert.decode(ember.tensor(FOX)) == "fox"
    assert bert.decode([HELLO, COMMA, WORLD]) == "hello, world"


def test_add_tokens_and_special_tokens(vocab_file):
    tok = Tokenizer.from_vocab(vocab_file)
    n = len(tok)
    assert tok.add_tokens(["emberx", "fox"]) == 1  # "fox" is already known
    assert len(tok) == n + 1 and tok.vocab_size == n
    assert tok.encode("the emberx") == [CLS, THE, n, SEP]
    assert tok.add_special_tokens({"additional_special_tokens": ["<ent>"]}) == 1
    assert tok.encode("fox<ent>") == [CLS, FOX, n + 1, SEP]
    assert tok.decode(tok.encode("fox<ent>")) == "fox"
    assert "<ent>" in tok.all_special_tokens
    assert tok.add_special_tokens({"bos_token": "<bos>"}) == 1
    assert tok.bos_token == "<bos>" and tok.bos_token_id == n + 2
    with pytest.raises(ValueError, match="'start_token' is not a special token role"):
        tok.add_special_tokens({"start_token": "<go>"})


def test_from_pretrained_vocab_folder(tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(BERT_VOCAB) + "\n", encoding="utf-8")
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(
        {"do_lower_case": False, "model_max_length": 16, "tokenizer_class": "BertTokenizer"}))
    (tmp_path / "special_tokens_map.json").write_text(json.dumps(
        {"pad_token": "[PAD]", "unk_token": {"content": "[UNK]", "lstrip": False},
         "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}))
    tok = Tokenizer.from_pretrained(tmp_path)
    assert tok.model_max_length == 16
    assert tok.encode("The fox") == [CLS, UNK, FOX, SEP]  # do_lower_case: False
    assert tok.unk_token == "[UNK]"
    override = Tokenizer.from_pretrained(tmp_path, model_max_length=8, padding_side="left",
                                         do_lower_case=True)
    assert (override.model_max_length, override.padding_side) == (8, "left")
    assert override.encode("The fox") == [CLS, THE, FOX, SEP]
    (tmp_path / "added_tokens.json").write_text(json.dumps({"emberx": len(BERT_VOCAB)}))
    tok = Tokenizer.from_pretrained(tmp_path, additional_special_tokens=["<ent>"])
    assert tok.encode("emberx<ent>") == [CLS, len(BERT_VOCAB), len(BERT_VOCAB) + 1, SEP]


def test_from_pretrained_errors(tmp_path):
    with pytest.raises(OSError, match=r"neither a local folder nor a hub model name"):
        Tokenizer.from_pretrained(str(tmp_path / "missing" / "folder"))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(OSError, match=r"neither tokenizer.json nor vocab.txt.*config.json"):
        Tokenizer.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="no file"):
        Tokenizer.from_file(tmp_path / "tokenizer.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid tokenizer.json"):
        Tokenizer.from_file(tmp_path / "bad.json")


def test_save_pretrained_round_trip(tmp_path, vocab_file):
    tok = Tokenizer.from_vocab(vocab_file, model_max_length=12, padding_side="left")
    tok.add_tokens(["emberx"])
    paths = tok.save_pretrained(tmp_path / "saved")
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == [
        "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]
    config = json.loads((tmp_path / "saved" / "tokenizer_config.json").read_text())
    assert config["model_max_length"] == 12 and config["pad_token"] == "[PAD]"
    back = Tokenizer.from_pretrained(tmp_path / "saved")
    texts = ["The quick brown fox jumps over the lazy dog.", "hello emberx", "Unbelievable!"]
    args = dict(padding=True, truncation=True, return_offsets_mapping=True)
    assert back(texts, texts[::-1], **args) == tok(texts, texts[::-1], **args)
    assert back.special_tokens_map == tok.special_tokens_map
    assert (back.model_max_length, back.padding_side, back.model_input_names) == (
        12, "left", tok.model_input_names)


# -- trained tokenizers ------------------------------------------------------------------------

def test_trained_sizes_and_specials(trained):
    bpe, wp, uni = trained["bpe"], trained["wordpiece"], trained["unigram"]
    # Byte-level: all 256 bytes plus merges; the special token first.
    assert 256 < len(bpe) <= 400 and bpe.convert_ids_to_tokens(0) == "<|endoftext|>"
    assert bpe.eos_token == bpe.bos_token == "<|endoftext|>" and bpe.pad_token is None
    assert len(wp) <= 300 and wp.convert_ids_to_tokens([0, 1, 2, 3, 4]) == [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert len(uni) <= 150 and uni.convert_ids_to_tokens([0, 1, 2, 3, 4]) == [
        "<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert (uni.cls_token, uni.sep_token, uni.pad_token_id, uni.unk_token_id) == (
        "<s>", "</s>", 1, 3)
    assert bpe.model_input_names == uni.model_input_names == ["input_ids", "attention_mask"]
    assert "token_type_ids" in wp.model_input_names


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "unigram"])
def test_trained_round_trip(trained, kind):
    tok = trained[kind]
    for sentence in CORPUS[:50]:
        expected = sentence.lower() if kind == "wordpiece" else sentence
        assert tok.decode(tok.encode(sentence)) == expected
    batch = tok.batch_decode(tok.encode_batch(CORPUS[:5]))
    assert batch == [s.lower() if kind == "wordpiece" else s for s in CORPUS[:5]]
    # Trained on these sentences: frequent whole words are single tokens.
    assert len(tok.tokenize("The cat reads a book today.")) < len("The cat reads a book today.")


def test_trained_special_token_positions(trained):
    wp, uni, bpe = trained["wordpiece"], trained["unigram"], trained["bpe"]
    enc = wp("the cat reads", "a book")
    ids, types = enc["input_ids"], enc["token_type_ids"]
    seps = [i for i, t in enumerate(ids) if t == wp.sep_token_id]
    assert ids[0] == wp.cls_token_id and seps == [seps[0], len(ids) - 1]
    assert types == [0] * (seps[0] + 1) + [1] * (len(ids) - seps[0] - 1)
    ids = uni("the cat", "a book")["input_ids"]
    s, e = uni.bos_token_id, uni.eos_token_id
    assert ids[0] == s and ids[-1] == e and ids.count(e) == 3 and ids.count(s) == 1
    cut = ids.index(e)
    assert ids[cut + 1] == e  # XLM-R: <s> A </s></s> B </s>
    assert bpe.encode("the cat") == bpe.encode("the cat", add_special_tokens=False)


def test_trained_offsets_point_into_text(trained):
    text = "The clever robot paints a green window slowly."
    wp = trained["wordpiece"]
    enc = wp(text, return_offsets_mapping=True)
    for token, (start, end) in zip(enc.tokens(), enc["offset_mapping"]):
        if token in ("[CLS]", "[SEP]"):
            assert (start, end) == (0, 0)
        else:
            assert text.lower()[start:end] == token.removeprefix("##")
    bpe = trained["bpe"]
    enc = bpe("The cat", return_offsets_mapping=True)
    # GPT-2 keeps the space on the next word ('Ġ') and does not trim offsets.
    assert enc["offset_mapping"] == [(0, 3), (3, 7)] and enc.tokens() == ["The", "Ġcat"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40).filter(lambda s: "<|endoftext|>" not in s))
def test_byte_level_bpe_round_trips_any_text(text):
    tok = _byte_bpe()
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert all(0 <= i < len(tok) for i in ids)


_BPE_CACHE = []


def _byte_bpe():
    # hypothesis runs outside pytest fixtures' lifetime: keep one trained tokenizer.
    if not _BPE_CACHE:
        _BPE_CACHE.append(Tokenizer.train(CORPUS, kind="bpe", vocab_size=300))
    return _BPE_CACHE[0]


def test_bpe_padding_needs_pad_token(trained):
    bpe = pickle.loads(pickle.dumps(trained["bpe"]))  # a copy, also proves it pickles
    with pytest.raises(ValueError, match=r"no(ne)?.*pad_token = tokenizer.eos_token"):
        bpe(["the cat", "a dog reads"], padding=True)
    bpe.pad_token = bpe.eos_token
    bpe.padding_side = "left"
    enc = bpe(["The cat", "The cat reads a book"], padding=True, return_tensors="ember")
    short = bpe.encode("The cat")
    width = enc["input_ids"].shape[1]
    assert enc["input_ids"][0].tolist() == [bpe.eos_token_id] * (width - len(short)) + short
    assert enc["attention_mask"][0].tolist() == [0] * (width - len(short)) + [1] * len(short)


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "unigram"])
def test_save_and_reload_identical(tmp_path, trained, kind):
    tok = trained[kind]
    tok.save(tmp_path / "tokenizer.json")
    back = Tokenizer.from_file(tmp_path / "tokenizer.json")
    texts = CORPUS[:20] + ["Unseen words: zebra, quokka!"]
    args = dict(return_offsets_mapping=True, return_special_tokens_mask=True)
    if tok.pad_token is not None:
        args["padding"] = True
    assert back(texts, **args) == tok(texts, **args)
    assert back.special_tokens_map == tok.special_tokens_map
    assert back.get_vocab() == tok.get_vocab()
    tok.save_pretrained(tmp_path / "folder")
    again = Tokenizer.from_pretrained(tmp_path / "folder")
    assert again(texts, **args) == tok(texts, **args)


def test_train_from_files_matches_iterator(tmp_path, trained):
    # BPE training is deterministic (the tokenizers WordPiece trainer breaks ties in hash
    # order, so two WordPiece runs may differ).
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    from_file = Tokenizer.train(str(path), kind="bpe", vocab_size=400)
    assert from_file.get_vocab() == trained["bpe"].get_vocab()
    from_paths = Tokenizer.train([path], kind="bpe", vocab_size=400)
    assert from_paths.get_vocab() == trained["bpe"].get_vocab()


def test_train_options_and_errors():
    tok = Tokenizer.train(CORPUS[:100], kind="bpe", vocab_size=300, lowercase=True,
                          special_tokens=["<|endoftext|>", "<pad>"], model_max_length=32)
    assert tok.encode("THE CAT") == tok.encode("the cat")
    assert tok.pad_token == "<pad>" and tok.pad_token_id == 1 and tok.model_max_length == 32
    with pytest.raises(ValueError, match="kind must be one of"):
        Tokenizer.train(CORPUS, kind="char")
    with pytest.raises(ValueError, match="min_frequency does not apply"):
        Tokenizer.train(CORPUS, kind="unigram", min_frequency=3)
    with pytest.raises(ValueError, match="vocab_size >= 257"):
        Tokenizer.train(CORPUS, kind="bpe", vocab_size=100)
    with pytest.raises(ValueError, match=r"needs an unknown token.*\[UNK\]"):
        Tokenizer.train(CORPUS, kind="wordpiece", special_tokens=["[PAD]"])
    with pytest.raises(ValueError, match="no file"):
        Tokenizer.train("missing-corpus.txt")


def test_saved_backend_padding_state_is_cleared(tmp_path):
    # transformers' tokenizer.json files often carry the padding/truncation the last call set
    # (e.g. fixed padding to 128): it names the pad token but must not apply to every call.
    from tokenizers import Tokenizer as Backend
    from tokenizers import models, pre_tokenizers

    backend = Backend(models.WordLevel({"<blank>": 0, "<oov>": 1, "hi": 2}, unk_token="<oov>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.enable_padding(pad_id=0, pad_token="<blank>", length=6)
    backend.enable_truncation(4)
    backend.save(str(tmp_path / "tokenizer.json"))
    tok = Tokenizer.from_file(tmp_path / "tokenizer.json")
    assert tok.pad_token == "<blank>" and tok.pad_token_id == 0 and tok.unk_token == "<oov>"
    assert tok.encode("hi hi hi hi hi") == [2, 2, 2, 2, 2]
    assert tok(["hi", "hi hi"], padding=True)["input_ids"] == [[2, 0], [2, 2]]
    assert json.loads(tok.backend_tokenizer.to_str())["padding"] is None


def test_roles_need_special_tokens():
    # "<s>" learnt as an ordinary token (HTML strike-through) is no bos token.
    from tokenizers import Tokenizer as Backend
    from tokenizers import models

    tok = Tokenizer(Backend(models.WordLevel({"<s>": 0, "<unk>": 1}, unk_token="<unk>")))
    assert tok.bos_token is None and tok.unk_token == "<unk>"
    tok = Tokenizer(Backend(models.WordLevel({"<s>": 0, "<unk>": 1}, unk_token="<unk>")),
                    bos_token="<s>")
    assert tok.bos_token_id == 0
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['start_token'\]"):
        Tokenizer(Backend(models.WordLevel({"a": 0})), start_token="<s>")


def test_from_pretrained_downloads_a_hub_name_into_the_cache(tmp_path, vocab_file, monkeypatch):
    import functools
    import http.server
    import threading

    import ember

    Tokenizer.from_vocab(vocab_file, model_max_length=12).save_pretrained(
        tmp_path / "server" / "org" / "tok" / "resolve" / "main")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path / "server")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "cache"))
    try:
        tok = Tokenizer.from_pretrained("org/tok")
        assert tok.model_max_length == 12
        assert tok("hello world")["input_ids"] == Tokenizer.from_vocab(vocab_file)(
            "hello world")["input_ids"]
        cached = tmp_path / "cache" / "huggingface" / "models--org--tok" / "main"
        assert (cached / "tokenizer.json").is_file()
        with pytest.raises(OSError, match="neither tokenizer.json nor vocab.txt"):
            Tokenizer.from_pretrained("org/absent")
    finally:
        ember.hub.set_dir(old)
        server.shutdown()
        server.server_close()

