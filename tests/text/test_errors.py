"""Errors at embertext's boundary, asserted by message: each names the model (or the
tokenizer), what is wrong and the fix.

The cases users hit when joining a tokenizer to a model: a text longer than the model's
positions without truncation (BERT, RoBERTa, GPT-2, and generation past GPT-2's context),
token ids outside the model's vocabulary (tokenizer and model from different checkpoints, or
tokens added to the tokenizer only), an attention_mask that does not match input_ids, and
input_ids of the wrong type or dtype.
"""

import re

import pytest

import ember
from embertext import Tokenizer
from embertext.models import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    DistilBertConfig,
    DistilBertModel,
    GPT2Config,
    GPT2LMHeadModel,
    RobertaConfig,
    RobertaModel,
)

MAXPOS = 16
VOCAB = ("[PAD] [UNK] [CLS] [SEP] [MASK] the quick brown fox jumps over lazy dog . cat sat on "
         "a mat").split()  # 19 tokens: line number = id
LONG_TEXT = " ".join(["the quick brown fox"] * 6)  # 24 words -> 26 ids with [CLS]/[SEP]

@pytest.fixture(scope="module")
def vocab_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("bert") / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bert_tok(vocab_path):
    return Tokenizer.from_vocab(vocab_path)


def _bert(cls=BertModel, **extra):
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=8, num_attention_heads=2,
                        num_hidden_layers=1, intermediate_size=16,
                        max_position_embeddings=MAXPOS, **extra)
    return cls(config).eval()


def _gpt2():
    return GPT2LMHeadModel(GPT2Config(vocab_size=20, n_embd=8, n_head=2, n_layer=1,
                                      n_positions=MAXPOS)).eval()


# --------------------------------------------------------------------------------------------
# A text longer than the model's positions, without truncation
# --------------------------------------------------------------------------------------------


def test_tokenizer_with_model_max_length_refuses_a_long_text_as_tensor(vocab_path):
    tok = Tokenizer.from_vocab(vocab_path, model_max_length=MAXPOS)
    with pytest.raises(ValueError, match=r"^Tokenizer: sequence 0 has 26 tokens, more than the "
                                         r"model accepts \(model_max_length=16\); pass "
                                         r"truncation=True"):
        tok(LONG_TEXT, return_tensors="ember")
    # The fix the message names works, and fits the model.
    ids = tok(LONG_TEXT, truncation=True, return_tensors="ember")["input_ids"]
    assert tuple(ids.shape) == (1, MAXPOS)
    assert ids[0, -1].item() == VOCAB.index("[SEP]")
    assert _bert()(ids).last_hidden_state.shape == (1, MAXPOS, 8)


def test_bert_refuses_a_text_longer_than_its_positions(bert_tok):
    # A tokenizer without model_max_length (a bare vocab.txt) lets the text through; the model
    # names itself, the two lengths and the tokenizer call that fixes it.
    ids = bert_tok(LONG_TEXT, return_tensors="ember")["input_ids"]
    assert tuple(ids.shape) == (1, 26)
    for model in (_bert(), _bert(BertForSequenceClassification)):
        with pytest.raises(ValueError, match=r"^BertModel: input sequence length 26 exceeds the "
                                             r"model's maximum .*16 positions.*truncation=True, "
                                             r"max_length=16\)"):
            model(ids)
    fixed = bert_tok(LONG_TEXT, truncation=True, max_length=16, return_tensors="ember")
    assert _bert(BertForSequenceClassification)(**fixed).logits.shape == (1, 2)


def test_roberta_limit_leaves_room_for_its_position_offset():
    # RoBERTa's positions start at pad_token_id + 1: 16 positions hold 14 tokens.
    model = RobertaModel(RobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2,
                                       num_hidden_layers=1, intermediate_size=16,
                                       max_position_embeddings=MAXPOS, pad_token_id=1)).eval()
    model(ember.full((1, 14), 4))
    with pytest.raises(ValueError, match=r"^RobertaModel: input sequence length 15 exceeds .*"
                                         r"14 positions.*max_length=14\)"):
        model(ember.full((1, 15), 4))


def test_gpt2_refuses_a_text_longer_than_n_positions():
    lm = _gpt2()
    with pytest.raises(ValueError, match=r"^GPT2Model: .*sequence length 17 .*n_positions=16.*"
                                         r"truncat"):
        lm(ember.zeros(1, 17, dtype=ember.int64))
    assert lm(ember.zeros(1, 16, dtype=ember.int64)).logits.shape == (1, 16, 20)


def test_gpt2_length_error_names_the_tokenizer_fix():
    with pytest.raises(ValueError, match=r"tokenizer\(\.\.\., truncation=True, max_length=16\)"):
        _gpt2()(ember.zeros(1, 17, dtype=ember.int64))


def test_generate_past_n_positions_fails_before_generating():
    # Without the up-front check the model runs 6 steps, then fails inside the loop.
    lm = _gpt2()
    calls = []
    lm.register_forward_pre_hook(lambda module, args: calls.append(1))
    with pytest.raises(ValueError, match=r"^generate: the prompt's 10 tokens plus "
                                         r"max_new_tokens=10 exceed GPT2LMHeadModel's maximum "
                                         r"of 16 positions.*max_new_tokens <= 6"):
        lm.generate(ember.ones(1, 10, dtype=ember.int64), max_new_tokens=10)
    assert calls == []
    assert lm.generate(ember.ones(1, 10, dtype=ember.int64), max_new_tokens=6).shape == (1, 16)


# --------------------------------------------------------------------------------------------
# Token ids outside the model's vocabulary
# --------------------------------------------------------------------------------------------


def test_bert_names_a_tokenizer_model_vocabulary_mismatch(bert_tok):
    # The tokenizer knows 19 tokens, the model was built for 12: "lazy" (id 12) is outside.
    model = BertModel(BertConfig(vocab_size=12, hidden_size=8, num_attention_heads=2,
                                 num_hidden_layers=1, intermediate_size=16)).eval()
    ids = bert_tok("the lazy dog", return_tensors="ember")["input_ids"]
    with pytest.raises(IndexError, match=r"^BertModel: input_ids contain token id 1[23], outside "
                                         r"the model's vocabulary of vocab_size=12; the "
                                         r"tokenizer does not match the model"):
        model(ids)
    with pytest.raises(IndexError, match=r"token id -1, outside"):
        model(ember.tensor([[2, -1, 3]]))


def test_distilbert_names_a_vocabulary_mismatch():
    model = DistilBertModel(DistilBertConfig(vocab_size=12, dim=8, n_heads=2, n_layers=1,
                                             hidden_dim=16)).eval()
    with pytest.raises(IndexError, match=r"^DistilBertModel: .*token id 12.*vocab_size=12"):
        model(ember.tensor([[2, 12, 3]]))


def test_tokens_added_to_the_tokenizer_only_are_outside_the_model(vocab_path):
    tok = Tokenizer.from_vocab(vocab_path)
    assert tok.add_tokens(["<new>"]) == 1
    ids = tok("the <new> cat", return_tensors="ember")["input_ids"]
    assert ids[0, 2].item() == len(VOCAB)  # the new token got the next id
    with pytest.raises(IndexError, match=rf"token id {len(VOCAB)}, outside .*"
                                         rf"vocab_size={len(VOCAB)}"):
        _bert()(ids)


def test_gpt2_names_a_vocabulary_mismatch():
    with pytest.raises(IndexError, match=r"^GPT2Model: input_ids contain token id 20, outside "
                                         r"the .*vocab.* vocab_size=20"):
        _gpt2()(ember.tensor([[1, 20]]))


def test_gpt2_vocabulary_error_names_the_fix():
    with pytest.raises(IndexError, match=r"the tokenizer does not match the model"):
        _gpt2()(ember.tensor([[1, 20]]))


# --------------------------------------------------------------------------------------------
# attention_mask of the wrong shape
# --------------------------------------------------------------------------------------------


def test_gpt2_names_a_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"^GPT2Model: expected attention_mask of shape "
                                         r"\(batch, (past \+ )?sequence\) = \(1, 4\).*got "
                                         r"\(1, 5\)"):
        _gpt2()(ember.tensor([[1, 2, 3, 4]]), attention_mask=ember.ones(1, 5))


@pytest.mark.parametrize("mask_shape", [(1, 5), (2, 4), (4,)])
@pytest.mark.parametrize("family", ["bert", "distilbert", "roberta"])
def test_encoder_names_a_mask_of_the_wrong_shape(family, mask_shape):
    # Today: scaled_dot_product_attention's broadcast error (or an IndexError for a 1-D mask),
    # which names neither the model nor the tokenizer's mask.
    common = dict(vocab_size=20, num_hidden_layers=1, max_position_embeddings=MAXPOS)
    model = {
        "bert": lambda: BertModel(BertConfig(hidden_size=8, num_attention_heads=2,
                                             intermediate_size=16, **common)),
        "distilbert": lambda: DistilBertModel(DistilBertConfig(
            vocab_size=20, dim=8, n_heads=2, n_layers=1, hidden_dim=16,
            max_position_embeddings=MAXPOS)),
        "roberta": lambda: RobertaModel(RobertaConfig(hidden_size=8, num_attention_heads=2,
                                                      intermediate_size=16, pad_token_id=1,
                                                      **common)),
    }[family]().eval()
    name = type(model).__name__
    shape = re.escape(str(mask_shape))
    with pytest.raises(ValueError, match=rf"^{name}: expected attention_mask of shape \(batch, "
                                         rf"sequence\) = \(1, 4\).*got {shape}.*tokenizer"):
        model(ember.tensor([[2, 5, 7, 3]]), attention_mask=ember.ones(*mask_shape))


def test_tokenizer_padded_batch_passes_the_model_checks(bert_tok):
    # The shapes the checks expect are the ones the tokenizer returns for a padded batch.
    batch = bert_tok(["the cat sat", "a dog"], padding=True, return_tensors="ember")
    assert batch["attention_mask"].shape == batch["input_ids"].shape
    out = _bert()(**batch)
    assert out.last_hidden_state.shape == (2, 5, 8)


# --------------------------------------------------------------------------------------------
# input_ids of the wrong type or dtype
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [_bert, _gpt2], ids=["bert", "gpt2"])
def test_float_input_ids_are_refused_by_name(make):
    model = make()
    name = "BertModel" if make is _bert else "GPT2Model"
    with pytest.raises(ValueError, match=rf"^{name}: expected input_ids as a \(batch, sequence\) "
                                         r"integer tensor, got shape \(1, 3\) of dtype "
                                         r"ember.float32"):
        model(ember.tensor([[2.0, 5.0, 3.0]]))


@pytest.mark.parametrize("make", [_bert, _gpt2], ids=["bert", "gpt2"])
def test_one_dimensional_input_ids_are_refused_by_name(make):
    with pytest.raises(ValueError, match=r"\(batch, sequence\) integer tensor, got shape \(3,\)"):
        make()(ember.tensor([2, 5, 3]))


@pytest.mark.parametrize("make", [_bert, _gpt2], ids=["bert", "gpt2"])
def test_wrong_input_ids_errors_name_the_fix(make):
    model = make()
    name = "BertModel" if make is _bert else "GPT2Model"
    with pytest.raises(ValueError, match=r"input_ids\.long\(\)"):
        model(ember.tensor([[2.0, 5.0, 3.0]]))
    with pytest.raises(ValueError, match=rf"^{name}: .*dtype ember.bool.*input_ids\.long\(\)"):
        model(ember.tensor([[True, False]]))
    with pytest.raises(ValueError, match=r"add a batch axis: input_ids\[None\]"):
        model(ember.tensor([2, 5, 3]))
    with pytest.raises(TypeError, match=rf"^{name}: input_ids must be an ember tensor, got list; "
                                        r".*return_tensors='ember'.*ember.tensor\(ids\)"):
        model([[2, 5, 3]])


def test_integer_dtypes_other_than_int64_are_accepted():
    # PyTorch's embedding takes int32 as well as int64 indices.
    model = _bert()
    a = model(ember.tensor([[2, 5, 3]], dtype=ember.int32)).last_hidden_state
    b = model(ember.tensor([[2, 5, 3]])).last_hidden_state
    assert ember.allclose(a, b)
