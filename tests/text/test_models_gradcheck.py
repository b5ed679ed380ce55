"""Gradients through whole embertext models, checked by float64 finite differences.

Each test builds a tiny random model (hidden size 8, 2 heads, 1-2 layers), casts it to float64
with ``.double()``, and wraps it as a function of ONE float64 tensor:

- the embeddings' output (``inputs_embeds`` in transformers' terms): a forward hook replaces
  what the embedding module returns, so the tensor flows through every attention / feed-forward
  / LayerNorm layer, the padding mask and the head;
- a parameter deep in the stack: the module's entry in ``_parameters`` is swapped for the
  checked tensor for the duration of the call (what ``torch.func.functional_call`` does).

``ember.autograd.gradcheck`` then compares the Jacobian that backward computes with central
differences. Outputs are projected onto fixed random directions first so the Jacobian has few
rows (one backward per row), and inputs are kept to a few dozen elements (two forwards each).

A gradcheck passes trivially when the output does not depend on the input at all (both
Jacobians are zero), e.g. if a hook silently stopped applying: every test therefore also
asserts that the analytical gradient is substantially non-zero.
"""

import contextlib

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from embertext.models import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    DistilBertModel,
    GPT2Config,
    GPT2LMHeadModel,
    GPT2Model,
    RobertaConfig,
    RobertaModel,
)

H = 8  # hidden size of every tiny model
# Two sequences, the second one padded at its end: the mask's gradient path is exercised.
IDS = [[2, 7, 5], [2, 9, 0]]
MASK = [[1, 1, 1], [1, 1, 0]]
TINY = dict(vocab_size=20, num_attention_heads=2, num_hidden_layers=2, intermediate_size=16,
            max_position_embeddings=16, hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1)


def _bert_config(**extra):
    return BertConfig(hidden_size=H, **TINY, **extra)


def _prepare(model):
    """float64, eval mode (dropout off: gradcheck needs a deterministic function) and weights
    drawn at scale 0.3 (LayerNorm gains around 1) so the gradients are far above gradcheck's
    atol: the default init's std 0.02 would make every derivative tiny and the check weak,
    a larger scale saturates softmax and tanh."""
    model = model.double().eval()
    rng = np.random.default_rng(0)
    with ember.no_grad():
        for name, p in model.named_parameters():
            gain = name.endswith(("LayerNorm.weight", "layer_norm.weight", "ln_1.weight",
                                  "ln_2.weight", "ln_f.weight"))
            p.copy_(ember.from_numpy(gain + rng.standard_normal(tuple(p.shape)) * 0.3))
    return model


def _leaf(shape, seed=1):
    rng = np.random.default_rng(seed)
    return ember.from_numpy(rng.standard_normal(shape)).requires_grad_()


def _projector(*shape, seed=2):
    """A fixed random direction: ``(out * v).sum(-1)`` keeps the Jacobian to few rows."""
    return ember.from_numpy(np.random.default_rng(seed).standard_normal(shape))


@contextlib.contextmanager
def _embeddings_replaced_by(module, x):
    """Make ``module`` (the model's embedding block) return ``x``: the model becomes a
    function of its embeddings output."""
    handle = module.register_forward_hook(lambda mod, args, out: x)
    try:
        yield
    finally:
        handle.remove()


@contextlib.contextmanager
def _parameter_replaced_by(module, name, x):
    """Use ``x`` as ``module.<name>`` for the duration (functional_call's swap)."""
    original = module._parameters[name]
    assert tuple(original.shape) == tuple(x.shape)
    module._parameters[name] = x
    try:
        yield
    finally:
        module._parameters[name] = original


def _check(fn, x):
    """gradcheck ``fn`` at ``x``, after asserting its gradient is not (nearly) zero."""
    outs = fn(x)
    outs = outs if isinstance(outs, tuple) else (outs,)
    (g,) = ember.autograd.grad(sum(o.sum() for o in outs), x)
    assert float(g.abs().max()) > 1e-3, "the output does not depend on the checked tensor"
    assert gradcheck(fn, (x,), eps=1e-6, atol=1e-6, rtol=1e-4)


# --------------------------------------------------------------------------------------------
# BERT family: w.r.t. the embeddings output
# --------------------------------------------------------------------------------------------


def test_bert_model_wrt_embeddings_output():
    model = _prepare(BertModel(_bert_config()))
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)
    v_hidden, v_pooled = _projector(H), _projector(H, seed=3)

    def fn(x):
        with _embeddings_replaced_by(model.embeddings, x):
            out = model(ids, attention_mask=mask)
        return (out.last_hidden_state * v_hidden).sum(-1), (out.pooler_output * v_pooled).sum(-1)

    _check(fn, _leaf((2, 3, H)))


def test_bert_padding_position_gets_no_gradient():
    # Masked keys must not influence the other tokens: the padded token's embedding only
    # reaches its own (meaningless) output row, never the real tokens' outputs.
    model = _prepare(BertModel(_bert_config()))
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)
    x = _leaf((2, 3, H))
    with _embeddings_replaced_by(model.embeddings, x):
        hidden = model(ids, attention_mask=mask).last_hidden_state
    (g,) = ember.autograd.grad(hidden[1, :2].sum(), x)
    np.testing.assert_allclose(g[1, 2].numpy(), 0.0, atol=1e-12)
    assert float(g[1, :2].abs().max()) > 1e-2


def test_bert_for_sequence_classification_wrt_embeddings_output():
    model = _prepare(BertForSequenceClassification(_bert_config(num_labels=3)))
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)

    def fn(x):
        with _embeddings_replaced_by(model.bert.embeddings, x):
            return model(ids, attention_mask=mask).logits  # (2, 3)

    _check(fn, _leaf((2, 3, H)))


def test_bert_for_sequence_classification_loss_wrt_parameters():
    # The training signal itself: d loss / d (a query projection deep in layer 0), and
    # d loss / d (the embeddings' LayerNorm gain), each through the whole stack.
    model = _prepare(BertForSequenceClassification(_bert_config(num_labels=3)))
    ids, mask, labels = ember.tensor(IDS), ember.tensor(MASK), ember.tensor([2, 0])
    for module, shape in ((model.bert.encoder.layer[0].attention.self.query, (H, H)),
                          (model.bert.embeddings.LayerNorm, (H,))):
        def fn(w, module=module):
            with _parameter_replaced_by(module, "weight", w):
                return model(ids, attention_mask=mask, labels=labels).loss

        _check(fn, _leaf(shape, seed=4))


def test_roberta_model_wrt_embeddings_output():
    config = RobertaConfig(hidden_size=H, pad_token_id=1, **TINY)
    model = _prepare(RobertaModel(config, add_pooling_layer=False))
    ids = ember.tensor([[0, 7, 5, 2], [0, 9, 2, 1]])  # <s> ... </s> <pad>
    mask = ember.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    v = _projector(H)

    def fn(x):
        with _embeddings_replaced_by(model.embeddings, x):
            return (model(ids, attention_mask=mask).last_hidden_state * v).sum(-1)

    _check(fn, _leaf((2, 4, H)))


def _distil_config(**extra):
    return DistilBertConfig(vocab_size=20, dim=H, n_heads=2, n_layers=2, hidden_dim=16,
                            max_position_embeddings=16, **extra)


def test_distilbert_model_wrt_embeddings_output():
    model = _prepare(DistilBertModel(_distil_config()))
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)
    v = _projector(H)

    def fn(x):
        with _embeddings_replaced_by(model.embeddings, x):
            return (model(ids, attention_mask=mask).last_hidden_state * v).sum(-1)

    _check(fn, _leaf((2, 3, H)))


def test_distilbert_for_sequence_classification_wrt_ffn_weight():
    model = _prepare(DistilBertForSequenceClassification(_distil_config(num_labels=2)))
    ids, mask = ember.tensor(IDS), ember.tensor(MASK)
    lin1 = model.distilbert.transformer.layer[1].ffn.lin1  # (16, 8): the last layer's FFN

    def fn(w):
        with _parameter_replaced_by(lin1, "weight", w):
            return model(ids, attention_mask=mask).logits

    # 128 elements would cost 256 forwards; a (4, 8) slice of the weight is checked instead,
    # the rest held at its value.
    rest = lin1.weight.detach()[4:]

    def sliced(w_top):
        return fn(ember.cat([w_top, rest], dim=0))

    _check(sliced, _leaf((4, H), seed=5))


# --------------------------------------------------------------------------------------------
# GPT-2: causal mask, pre-norm blocks, Conv1D, tied LM head
# --------------------------------------------------------------------------------------------


def _gpt2_config():
    return GPT2Config(vocab_size=20, n_embd=H, n_head=2, n_layer=2, n_positions=16)


def test_gpt2_model_wrt_token_embeddings():
    # The hook sits on wte: the checked tensor is the token embeddings, to which the position
    # embeddings are then added (what inputs_embeds is in transformers' GPT-2).
    model = _prepare(GPT2Model(_gpt2_config()))
    ids = ember.tensor([[3, 7, 5], [4, 9, 1]])
    mask = ember.tensor([[0, 1, 1], [1, 1, 1]])  # left padding, as for generation
    v = _projector(H)

    def fn(x):
        with _embeddings_replaced_by(model.wte, x):
            return (model(ids, attention_mask=mask).last_hidden_state * v).sum(-1)

    _check(fn, _leaf((2, 3, H)))


def test_gpt2_is_causal_in_its_gradient():
    # Position t's output depends on inputs 0..t only: d out[t] / d x[t + 1:] == 0.
    model = _prepare(GPT2Model(_gpt2_config()))
    ids = ember.tensor([[3, 7, 5, 2]])
    x = _leaf((1, 4, H))
    with _embeddings_replaced_by(model.wte, x):
        hidden = model(ids).last_hidden_state
    (g,) = ember.autograd.grad(hidden[0, 1].sum(), x)
    np.testing.assert_allclose(g[0, 2:].numpy(), 0.0, atol=1e-12)
    assert float(g[0, :2].abs().min()) > 0


def test_gpt2_lm_loss_wrt_attention_projection():
    model = _prepare(GPT2LMHeadModel(_gpt2_config()))
    ids = ember.tensor([[3, 7, 5, 2]])
    c_attn = model.transformer.h[0].attn.c_attn  # Conv1D weight (n_embd, 3 * n_embd)
    rest = c_attn.weight.detach()[:, 4:]

    def fn(w_left):  # the first 4 output columns: 4 of the query features
        with _parameter_replaced_by(c_attn, "weight", ember.cat([w_left, rest], dim=1)):
            return model(ids, labels=ids).loss

    _check(fn, _leaf((H, 4), seed=6))


def test_gpt2_kv_cache_gradient_matches_full_pass():
    # The cache path concatenates past keys/values: the gradient w.r.t. the embeddings through
    # (prefix, then cached step) equals the one through one full pass.
    model = _prepare(GPT2Model(_gpt2_config()))
    ids = ember.tensor([[3, 7, 5]])
    x = _leaf((1, 3, H))
    v = _projector(H)

    def full(x):
        with _embeddings_replaced_by(model.wte, x):
            return (model(ids).last_hidden_state[:, -1] * v).sum()

    def cached(x):
        with _embeddings_replaced_by(model.wte, x[:, :2]):
            past = model(ids[:, :2], use_cache=True).past_key_values
        with _embeddings_replaced_by(model.wte, x[:, 2:]):
            return (model(ids[:, 2:], past_key_values=past).last_hidden_state[:, -1] * v).sum()

    (g_full,) = ember.autograd.grad(full(x), x)
    (g_cached,) = ember.autograd.grad(cached(x), x)
    np.testing.assert_allclose(g_cached.numpy(), g_full.numpy(), rtol=1e-10, atol=1e-12)
    _check(cached, x)


@pytest.mark.parametrize("model_cls", [BertModel, GPT2Model])
def test_second_order_through_one_layer(model_cls):
    # gradgradcheck on a 1-layer model w.r.t. a few embedding values: backward itself is built
    # from differentiable ops (softmax, LayerNorm, GELU), so Hessian-vector products work.
    if model_cls is BertModel:
        config = BertConfig(hidden_size=H, **{**TINY, "num_hidden_layers": 1})
        model = _prepare(BertModel(config, add_pooling_layer=False))
        embed = model.embeddings
    else:
        config = _gpt2_config()
        config.n_layer = 1
        model = _prepare(GPT2Model(config))
        embed = model.wte
    ids = ember.tensor([[2, 7]])
    rest = _leaf((1, 1, H), seed=7).detach()
    v = _projector(H)

    def fn(x_first):
        x = ember.cat([x_first, rest], dim=1)
        with _embeddings_replaced_by(embed, x):
            return (model(ids).last_hidden_state[:, -1] * v).sum()

    x = _leaf((1, 1, H), seed=8)
    assert ember.autograd.gradgradcheck(fn, (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
