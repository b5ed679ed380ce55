"""embertext on every available device: tiny BERT / GPT-2 built from a config with random
weights, copied to ``device`` with ``.to(device)``, must give the CPU's results (forward,
gradients, greedy generation), and a tokenizer batch moved with ``BatchEncoding.to`` must feed
the model on the device.

Always runs on "cpu"; on "cuda" when ``ember.cuda.is_available()``. A failure message names the
quantity, shapes, devices and the largest absolute difference.
"""

from __future__ import annotations

import numpy as np
from _devices import assert_same
from _devices import numpy_of as _np

import ember
from embertext import Tokenizer
from embertext.models import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    GPT2Config,
    GPT2LMHeadModel,
)

VOCAB = ("[PAD] [UNK] [CLS] [SEP] [MASK] the quick brown fox jump ##s over lazy dog . ! , "
         "un ##believ ##able hello world").split()


def _randomise(model, seed=0, scale=0.3):
    """Replace every parameter with N(0, scale^2) values (the default 0.02-std init makes all
    logits nearly equal, so greedy decoding would hinge on float rounding)."""
    rng = np.random.default_rng(seed)
    with ember.no_grad():
        for p in model.parameters():
            p.copy_(ember.tensor((rng.standard_normal(tuple(p.shape)) * scale)
                                 .astype(np.float32)))
    return model


def _pair(model, device):
    """(cpu model, same weights on ``device``), both in eval."""
    moved = type(model)(model.config)
    moved.load_state_dict(model.state_dict())
    return model.eval(), moved.to(device).eval()


def _bert_config(**kw):
    return BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=32, max_position_embeddings=32,
                      **kw)


def _gpt2():
    cfg = GPT2Config(vocab_size=40, n_positions=32, n_embd=16, n_layer=2, n_head=2,
                     bos_token_id=0, eos_token_id=0)
    return _randomise(GPT2LMHeadModel(cfg), seed=3)


def _ids(shape, high, seed=2):
    return ember.tensor(np.random.default_rng(seed).integers(1, high, shape))


# -- BERT -------------------------------------------------------------------------------------

def test_bert_forward_with_padding(device):
    cpu, dev = _pair(_randomise(BertModel(_bert_config())), device)
    ids = _ids((3, 9), len(VOCAB))
    mask = ember.tensor(np.array([[1] * 9, [1] * 6 + [0] * 3, [1] * 4 + [0] * 5]))
    types = ember.tensor(np.array([[0] * 5 + [1] * 4] * 3))
    with ember.no_grad():
        ref = cpu(ids, attention_mask=mask, token_type_ids=types)
        out = dev(ids.to(device), attention_mask=mask.to(device),
                  token_type_ids=types.to(device))
    assert_same(out.last_hidden_state, ref.last_hidden_state, "BERT last_hidden_state",
                device=device)
    assert_same(out.pooler_output, ref.pooler_output, "BERT pooler_output", device=device)


def test_bert_classification_loss_and_gradients(device):
    cpu, dev = _pair(_randomise(BertForSequenceClassification(_bert_config(num_labels=3))),
                     device)
    ids, labels = _ids((4, 7), len(VOCAB), seed=3), ember.tensor([0, 2, 1, 2])
    # eval: dropout off, so both devices compute the same function
    ref = cpu(ids, labels=labels)
    out = dev(ids.to(device), labels=labels.to(device))
    ref.loss.backward()
    out.loss.backward()
    assert_same(out.logits, ref.logits, "BertForSequenceClassification logits", device=device)
    assert_same(out.loss, ref.loss, "BertForSequenceClassification loss", device=device)
    # One absolute tolerance for all gradients, from the largest: some are zero in exact
    # arithmetic (the attention keys' bias cancels in the softmax) and hold only rounding noise.
    scale = max(float(q.grad.abs().max()) for q in cpu.parameters())
    for (name, p), q in zip(dev.named_parameters(), cpu.parameters()):
        assert p.grad is not None, f"{name} received no gradient on {device}"
        assert_same(p.grad, q.grad, f"grad of {name}", rtol=1e-3, atol=1e-5 * scale,
                    device=device)


# -- GPT-2 ------------------------------------------------------------------------------------

def test_gpt2_forward_and_cache(device):
    cpu, dev = _pair(_gpt2(), device)
    ids = _ids((2, 10), 40, seed=4)
    with ember.no_grad():
        ref = cpu(ids)
        out = dev(ids.to(device))
        assert_same(out.logits, ref.logits, "GPT-2 logits", device=device)
        # prefix + one cached step on the device equals the full forward on the CPU
        first = dev(ids[:, :7].to(device), use_cache=True)
        step = dev(ids[:, 7:].to(device), past_key_values=first.past_key_values,
                   use_cache=True)
    assert_same(step.logits, ref.logits[:, 7:], "GPT-2 logits with a key/value cache",
                device=device)


def test_gpt2_greedy_generate(device):
    cpu, dev = _pair(_gpt2(), device)
    prompt = _ids((2, 4), 40, seed=5)
    ref = cpu.generate(prompt, max_new_tokens=8)
    out = dev.generate(prompt.to(device), max_new_tokens=8)
    assert tuple(ref.shape) == (2, 12)
    # not a constant continuation: the comparison below tests real decoding
    assert len(set(_np(ref)[:, 4:].ravel().tolist())) > 2
    # every greedy choice wins by a clear margin, so float32 rounding on another device
    # cannot legitimately flip it
    with ember.no_grad():
        logits = np.sort(_np(cpu(ref).logits[:, 3:-1]), axis=-1)
    assert (logits[..., -1] - logits[..., -2]).min() > 1e-3
    assert_same(out, ref, "GPT-2 greedy generate token ids", rtol=0, atol=0, device=device)
    out = dev.generate(prompt.to(device), max_new_tokens=8, use_cache=False)
    assert_same(out, ref, "GPT-2 greedy generate (use_cache=False)", rtol=0, atol=0,
                device=device)


# -- tokenizer batch -> model on the device ----------------------------------------------------

def test_tokenizer_batch_to_device_feeds_bert(device, tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tok = Tokenizer.from_vocab(tmp_path / "vocab.txt")
    enc = tok(["the quick brown fox jumps", "hello world!", "unbelievable"], padding=True,
              return_tensors="ember")
    moved = enc.to(device)
    assert type(moved) is type(enc) and set(moved) == set(enc)
    for key in enc:
        assert moved[key].device.type == device, f"{key} is on {moved[key].device}"
        assert_same(moved[key], enc[key], f"tokenizer {key}", rtol=0, atol=0, device=device)
    # word alignment survives the move
    assert moved.tokens(2) == ["[CLS]", "un", "##believ", "##able", "[SEP]"] + ["[PAD]"] * 3
    cpu, dev = _pair(_randomise(BertModel(_bert_config()), seed=6), device)
    with ember.no_grad():
        ref = cpu(**enc)
        out = dev(**moved)
    assert_same(out.last_hidden_state, ref.last_hidden_state, "BERT on a tokenizer batch",
                device=device)
