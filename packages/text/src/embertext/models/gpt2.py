"""GPT-2 (Radford et al., 2019) with Hugging Face ``transformers``' module and parameter names,
so ``gpt2``-style checkpoints load strictly, and a key/value cache for fast generation.

    model = GPT2LMHeadModel.from_pretrained("path/to/gpt2-folder")
    out = model(input_ids, use_cache=True)
    out.logits.shape                    # (N, L, vocab_size)
    len(out.past_key_values)            # n_layer tuples (k, v), each (N, n_head, L, head_dim)
    model.generate(input_ids, max_new_tokens=20)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ember
from ember import nn
from ember.nn import functional as F

from ..generation import GenerationMixin
from .configuration import PretrainedConfig
from .modeling_utils import PreTrainedModel, _activation, _check_input_ids
from .outputs import ModelOutput

__all__ = [
    "GPT2Config", "GPT2Model", "GPT2LMHeadModel", "GPT2PreTrainedModel", "Conv1D",
    "BaseModelOutputWithPast", "CausalLMOutputWithPast",
]


class GPT2Config(PretrainedConfig):
    """Configuration of :class:`GPT2Model` (``transformers.GPT2Config`` defaults: gpt2 small).

    Args:
        vocab_size (50257), n_positions (1024, the longest context), n_embd (768),
        n_layer (12), n_head (12), n_inner (None: ``4 * n_embd``),
        activation_function (``'gelu_new'``: the tanh GELU), resid_pdrop, embd_pdrop,
        attn_pdrop (0.1), layer_norm_epsilon (1e-5), initializer_range (0.02),
        scale_attn_weights (True: scores divided by ``sqrt(head_dim)``),
        scale_attn_by_inverse_layer_idx (False: also divide by ``layer_idx + 1``),
        bos_token_id, eos_token_id (50256).
    """

    model_type = "gpt2"

    def __init__(self, vocab_size: int = 50257, n_positions: int = 1024, n_embd: int = 768,
                 n_layer: int = 12, n_head: int = 12, n_inner: int | None = None,
                 activation_function: str = "gelu_new", resid_pdrop: float = 0.1,
                 embd_pdrop: float = 0.1, attn_pdrop: float = 0.1,
                 layer_norm_epsilon: float = 1e-5, initializer_range: float = 0.02,
                 scale_attn_weights: bool = True, use_cache: bool = True,
                 scale_attn_by_inverse_layer_idx: bool = False,
                 bos_token_id: int = 50256, eos_token_id: int = 50256, **kwargs):
        super().__init__(bos_token_id=bos_token_id, eos_token_id=eos_token_id, **kwargs)
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_embd = n_embd
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_inner = n_inner
        self.activation_function = activation_function
        self.resid_pdrop = resid_pdrop
        self.embd_pdrop = embd_pdrop
        self.attn_pdrop = attn_pdrop
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.scale_attn_weights = scale_attn_weights
        self.use_cache = use_cache
        self.scale_attn_by_inverse_layer_idx = scale_attn_by_inverse_layer_idx

    # transformers' attribute_map: the generic names other code reads
    hidden_size = property(lambda self: self.n_embd)
    num_attention_heads = property(lambda self: self.n_head)
    num_hidden_layers = property(lambda self: self.n_layer)
    max_position_embeddings = property(lambda self: self.n_positions)


@dataclass(repr=False, eq=False)
class BaseModelOutputWithPast(ModelOutput):
    """Attributes: ``last_hidden_state`` ``(N, L, n_embd)``; ``past_key_values`` (with
    ``use_cache=True``): one ``(k, v)`` per layer, each ``(N, n_head, past + L, head_dim)``."""

    last_hidden_state: object = None
    past_key_values: tuple | None = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class CausalLMOutputWithPast(ModelOutput):
    """Attributes: ``loss`` (with labels), ``logits`` ``(N, L, vocab_size)``,
    ``past_key_values`` (as :class:`BaseModelOutputWithPast`)."""

    loss: object = None
    logits: object = None
    past_key_values: tuple | None = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


class Conv1D(nn.Module):
    """transformers' ``Conv1D(nf, nx)``: a linear layer whose weight is stored ``(nx, nf)``
    (in, out), the transpose of ``nn.Linear``'s, as in the original TensorFlow GPT-2 release;
    ``y = x @ weight + bias``."""

    def __init__(self, nf: int, nx: int):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(ember.empty(nx, nf))
        self.bias = nn.Parameter(ember.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        flat = ember.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight)
        return flat.reshape(*x.shape[:-1], self.nf)

    def extra_repr(self) -> str:
        return f"nf={self.nf}, nx={self.weight.shape[0]}"


class GPT2Attention(nn.Module):
    """Causal multi-head self-attention with a fused q/k/v projection (``c_attn``) and a
    key/value cache: past keys/values are concatenated in front of the new ones."""

    def __init__(self, config: GPT2Config, layer_idx: int = 0):
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"GPT2Attention: n_embd={config.n_embd} is not a multiple of "
                             f"n_head={config.n_head}")
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = config.n_embd // config.n_head
        scale = 1.0 / math.sqrt(self.head_dim) if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            scale /= float(layer_idx + 1)
        self.scale = scale
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)

    def _heads(self, x):
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states, layer_past=None, mask=None, use_cache: bool = False):
        q, k, v = self.c_attn(hidden_states).split(self.embed_dim, dim=2)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if layer_past is not None:
            k = ember.cat([layer_past[0], k], dim=-2)
            v = ember.cat([layer_past[1], v], dim=-2)
        present = (k, v) if use_cache else None
        p = self.attn_dropout.p if self.training else 0.0
        # mask: boolean, True where a query may attend (causal and not padding).
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p,
                                                 scale=self.scale)
        n, _, length, _ = context.shape
        out = self.c_proj(context.transpose(1, 2).reshape(n, length, self.embed_dim))
        return self.resid_dropout(out), present


class GPT2MLP(nn.Module):
    def __init__(self, inner_dim: int, config: GPT2Config):
        super().__init__()
        self.c_fc = Conv1D(inner_dim, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner_dim)
        self.act = _activation(config.activation_function)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, hidden_states):
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))))


class GPT2Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPT2Config, layer_idx: int = 0):
        super().__init__()
        inner = config.n_inner if config.n_inner is not None else 4 * config.n_embd
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(inner, config)

    def forward(self, hidden_states, layer_past=None, mask=None, use_cache: bool = False):
        attended, present = self.attn(self.ln_1(hidden_states), layer_past, mask, use_cache)
        hidden_states = hidden_states + attended
        return hidden_states + self.mlp(self.ln_2(hidden_states)), present


class GPT2PreTrainedModel(PreTrainedModel):
    """Base of the GPT-2 models: :class:`GPT2Config`, checkpoint prefix ``'transformer'``,
    GPT-2's initialisation."""

    config_class = GPT2Config
    base_model_prefix = "transformer"

    def _init_weights(self, module: nn.Module) -> None:
        # transformers' GPT-2 init: N(0, initializer_range) weights, zero biases, LayerNorm
        # (1, 0); the residual projections c_proj scaled by 1/sqrt(2 * n_layer) (GPT-2 paper:
        # keeps the residual stream's variance from growing with depth).
        std = self.config.initializer_range
        if isinstance(module, Conv1D):
            nn.init.normal_(module.weight, 0.0, std)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, std)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        if isinstance(module, (GPT2Attention, GPT2MLP)):
            nn.init.normal_(module.c_proj.weight, 0.0,
                            std / math.sqrt(2 * self.config.n_layer))

    def _rename_checkpoint_keys(self, state: dict) -> dict:
        # Old checkpoints store the causal-mask buffers 'h.N.attn.bias' / 'attn.masked_bias';
        # the mask is built on the fly here, so they are dropped (as transformers ignores them).
        state = {k: v for k, v in state.items()
                 if not (k.endswith(".attn.bias") or k.endswith(".attn.masked_bias"))}
        return super()._rename_checkpoint_keys(state)


def _past_length(past_key_values) -> int:
    return 0 if past_key_values is None else int(past_key_values[0][0].shape[-2])


class GPT2Model(GPT2PreTrainedModel):
    """The GPT-2 decoder stack (``transformers.GPT2Model``): token + position embeddings,
    ``n_layer`` pre-norm blocks with causal self-attention, final LayerNorm ``ln_f``.

    Forward args:
        input_ids: ``(N, L)`` token ids (only the new tokens when ``past_key_values`` is given).
        past_key_values: the cache of a previous call: a tuple per layer of ``(k, v)``, each
            ``(N, n_head, P, head_dim)``.
        attention_mask: ``(N, P + L)``, 1 for tokens to attend to, 0 for (left) padding.
        position_ids: ``(N, L)`` or ``(1, L)``; default ``P .. P + L - 1``.
        use_cache: also return the updated cache (``past_key_values``).

    Returns:
        :class:`BaseModelOutputWithPast`: ``last_hidden_state`` ``(N, L, n_embd)`` and, with
        ``use_cache``, ``past_key_values`` (each ``(N, n_head, P + L, head_dim)``).

    Example:
        >>> model = GPT2Model(GPT2Config(n_embd=8, n_head=2, n_layer=2, vocab_size=20))
        >>> model(ember.tensor([[2, 7, 3]])).last_hidden_state.shape
        ember.Size([1, 3, 8])
    """

    def __init__(self, config: GPT2Config):
        super().__init__(config)
        self.embed_dim = config.n_embd
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPT2Block(config, i) for i in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.wte

    def _check(self, input_ids, past: int, attention_mask, position_ids):
        name = type(self).__name__
        limit = self.config.n_positions
        n, length = _check_input_ids(name, input_ids, self.config.vocab_size, limit,
                                     attention_mask, past, f"n_positions={limit}")
        if position_ids is not None and position_ids.numel() and int(position_ids.max()) >= limit:
            raise ValueError(f"{name}: position id {int(position_ids.max())} exceeds the "
                             f"model's maximum of n_positions={limit} positions")
        return n, length

    def forward(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None,
                use_cache: bool = False):
        past = _past_length(past_key_values)
        n, length = self._check(input_ids, past, attention_mask, position_ids)
        device = input_ids.device
        if position_ids is None:
            position_ids = ember.arange(past, past + length, device=device)[None, :]
        hidden = self.drop(self.wte(input_ids) + self.wpe(position_ids))
        # Query i sits at absolute position past + i and sees keys j <= past + i; padding
        # keys are hidden from every query. (1 or N, 1, L, past + L) booleans, True = attend.
        keys = ember.arange(past + length, device=device)
        queries = ember.arange(past, past + length, device=device)
        mask = (keys[None, :] <= queries[:, None])[None, None]
        if attention_mask is not None:
            mask = mask & attention_mask.bool()[:, None, None, :]
        presents = () if use_cache else None
        layers_past = past_key_values if past_key_values is not None else (None,) * len(self.h)
        for block, layer_past in zip(self.h, layers_past):  # over layers, not data
            hidden, present = block(hidden, layer_past, mask, use_cache)
            if use_cache:
                presents += (present,)
        return BaseModelOutputWithPast(last_hidden_state=self.ln_f(hidden),
                                       past_key_values=presents)


class GPT2LMHeadModel(GPT2PreTrainedModel, GenerationMixin):
    """GPT-2 with its language-model head (``lm_head``, tied to ``transformer.wte``) and
    :meth:`~embertext.generation.GenerationMixin.generate`.

    With ``labels`` ``(N, L)`` (usually the input ids; -100 is ignored) the output carries the
    causal LM ``loss``: cross-entropy of the logits at position t against the label at t + 1.

    Example:
        >>> out = model(input_ids, labels=input_ids)
        >>> out.loss.backward()
        >>> model.generate(input_ids, max_new_tokens=10, do_sample=True, top_p=0.9)
    """

    _tied_weights_keys = ("lm_head.weight",)

    def __init__(self, config: GPT2Config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def tie_weights(self) -> None:
        self.lm_head.weight = self.transformer.wte.weight

    def get_input_embeddings(self) -> nn.Embedding:
        return self.transformer.wte

    def forward(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None,
                use_cache: bool = False, labels=None):
        out = self.transformer(input_ids, past_key_values, attention_mask, position_ids,
                               use_cache)
        logits = self.lm_head(out.last_hidden_state)
        loss = None
        if labels is not None:
            # Shift: the logits at t predict the token at t + 1.
            shifted = logits[:, :-1, :].reshape(-1, self.config.vocab_size)
            loss = F.cross_entropy(shifted, labels[:, 1:].reshape(-1), ignore_index=-100)
        return CausalLMOutputWithPast(loss=loss, logits=logits,
                                      past_key_values=out.past_key_values)
