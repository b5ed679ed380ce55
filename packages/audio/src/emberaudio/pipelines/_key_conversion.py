"""State-dict key conversion between torchaudio's ``Wav2Vec2Model`` layout and the Hugging Face
(``transformers``) names of :mod:`emberaudio.models.wav2vec2` / :mod:`emberaudio.models.hubert`.

The two layouts hold the same tensors (torchaudio's ``import_huggingface_model`` copies one
into the other module by module), only the names differ:

=======================================================================  ==================================================
torchaudio                                                                Hugging Face
=======================================================================  ==================================================
``feature_extractor.conv_layers.N.{conv,layer_norm}.*``                  the same
``encoder.feature_projection.{layer_norm,projection}.*``                 ``feature_projection.{layer_norm,projection}.*``
``encoder.transformer.pos_conv_embed.conv.weight_g`` / ``weight_v``      ``encoder.pos_conv_embed.conv.parametrizations.weight.original0`` / ``original1``
``encoder.transformer.pos_conv_embed.conv.bias``                         ``encoder.pos_conv_embed.conv.bias``
``encoder.transformer.layer_norm.*``                                     ``encoder.layer_norm.*``
``encoder.transformer.layers.N.attention.{q,k,v,out}_proj.*``            ``encoder.layers.N.attention.{q,k,v,out}_proj.*``
``encoder.transformer.layers.N.{layer_norm,final_layer_norm}.*``         ``encoder.layers.N.{layer_norm,final_layer_norm}.*``
``encoder.transformer.layers.N.feed_forward.{intermediate,output}_dense.*``  ``encoder.layers.N.feed_forward.{...}_dense.*``
``aux.*`` (the CTC head)                                                 ``lm_head.*``
=======================================================================  ==================================================

In a task model (``Wav2Vec2ForCTC``, ``HubertForCTC``) every name but ``lm_head`` carries the
base-model prefix (``wav2vec2.`` / ``hubert.``).
"""  # noqa: E501

from __future__ import annotations

import re

import ember

__all__ = ["export_torchaudio_state_dict", "import_torchaudio_state_dict"]

_WB = r"(weight|bias)"
_LAYER_PARTS = (r"attention\.(?:q|k|v|out)_proj|layer_norm|final_layer_norm"
                r"|feed_forward\.(?:intermediate|output)_dense")
_POS = "encoder.pos_conv_embed.conv."
_TA_POS = "encoder.transformer.pos_conv_embed.conv."
_G, _V = "parametrizations.weight.original0", "parametrizations.weight.original1"

# (torchaudio pattern, Hugging Face replacement): full matches only, so a key with any other
# spelling falls through and is reported by name.
_TO_HF = [
    (rf"feature_extractor\.conv_layers\.(\d+)\.(conv|layer_norm)\.{_WB}",
     r"feature_extractor.conv_layers.\1.\2.\3"),
    (rf"encoder\.feature_projection\.(layer_norm|projection)\.{_WB}",
     r"feature_projection.\1.\2"),
    # weight_norm before PyTorch 2.1 (the published torchaudio .pth files) and after it
    (re.escape(_TA_POS) + r"(?:weight_g|parametrizations\.weight\.original0)", _POS + _G),
    (re.escape(_TA_POS) + r"(?:weight_v|parametrizations\.weight\.original1)", _POS + _V),
    (re.escape(_TA_POS) + "bias", _POS + "bias"),
    (rf"encoder\.transformer\.layer_norm\.{_WB}", r"encoder.layer_norm.\1"),
    (rf"encoder\.transformer\.layers\.(\d+)\.({_LAYER_PARTS})\.{_WB}",
     r"encoder.layers.\1.\2.\3"),
    (rf"aux\.{_WB}", r"lm_head.\1"),
]

_TO_TORCHAUDIO = [
    (rf"feature_extractor\.conv_layers\.(\d+)\.(conv|layer_norm)\.{_WB}",
     r"feature_extractor.conv_layers.\1.\2.\3"),
    (rf"feature_projection\.(layer_norm|projection)\.{_WB}",
     r"encoder.feature_projection.\1.\2"),
    (re.escape(_POS) + r"(parametrizations\.weight\.original[01]|bias)", _TA_POS + r"\1"),
    (rf"encoder\.layer_norm\.{_WB}", r"encoder.transformer.layer_norm.\1"),
    (rf"encoder\.layers\.(\d+)\.({_LAYER_PARTS})\.{_WB}",
     r"encoder.transformer.layers.\1.\2.\3"),
    (rf"lm_head\.{_WB}", r"aux.\1"),
]


def _rename(key: str, rules) -> str | None:
    for pattern, replacement in rules:
        match = re.fullmatch(pattern, key)
        if match:
            return match.expand(replacement)
    return None


def _weight_norm_factors(weight):
    """``(g, v)`` with ``g * v / ||v|| == weight`` for weight_norm over dim 2 (one norm per
    kernel tap, taken over output and input channels): ``v = weight``, ``g = ||weight||``."""
    g = (weight * weight).sum(dim=(0, 1), keepdim=True).sqrt()
    return g, weight


def import_torchaudio_state_dict(state_dict: dict, prefix: str = "") -> dict:
    """Rename a torchaudio ``Wav2Vec2Model`` state dict (what the
    ``torchaudio.pipelines`` bundles download) to the Hugging Face names of
    :class:`~emberaudio.models.wav2vec2.Wav2Vec2Model` / ``Wav2Vec2ForCTC`` and the HuBERT
    classes (the same network; see the table in this module's docstring).

    Both weight-norm spellings of the positional convolution are accepted (``weight_g`` /
    ``weight_v`` and ``parametrizations.weight.original0/1``), and a plain ``weight`` (a model
    whose weight norm was removed) is split into the two factors. Values are not copied.

    Args:
        state_dict: torchaudio-named tensors (or arrays).
        prefix: the base-model prefix for a task model (``'wav2vec2'`` for ``Wav2Vec2ForCTC``,
            ``'hubert'`` for ``HubertForCTC``); ``''`` for the base models. ``aux.*`` always
            becomes ``lm_head.*`` without it.

    Returns:
        A new dict with the Hugging Face names.

    Raises:
        RuntimeError: keys with no Hugging Face counterpart (all of them named), e.g. a WavLM
            checkpoint's relative-attention tables.

    Example:
        >>> state = ember.load("wav2vec2_fairseq_base_ls960_asr_ls960.pth")
        >>> hf = import_torchaudio_state_dict(state, prefix="wav2vec2")
        >>> hf["lm_head.weight"] is state["aux.weight"]
        True
    """
    base = f"{prefix}." if prefix else ""
    out, unknown = {}, []
    for key, value in state_dict.items():
        if key == _TA_POS + "weight":
            g, v = _weight_norm_factors(value)
            out[base + _POS + _G], out[base + _POS + _V] = g, v
            continue
        name = _rename(key, _TO_HF)
        if name is None:
            unknown.append(key)
        elif name.startswith("lm_head."):
            out[name] = value
        else:
            out[base + name] = value
    if unknown:
        raise RuntimeError(
            f"import_torchaudio_state_dict: {len(unknown)} torchaudio key(s) have no Hugging "
            f"Face counterpart: {unknown}; only torchaudio Wav2Vec2Model / HuBERT checkpoints "
            f"(feature_extractor.*, encoder.feature_projection.*, encoder.transformer.*, "
            f"aux.*) can be converted")
    return out


def export_torchaudio_state_dict(state_dict: dict) -> dict:
    """The reverse of :func:`import_torchaudio_state_dict`: Hugging Face names (with or without
    the ``wav2vec2.`` / ``hubert.`` prefix) to torchaudio's ``Wav2Vec2Model`` names, the
    weight norm in the ``parametrizations`` spelling that current torchaudio saves.

    Args:
        state_dict: e.g. ``Wav2Vec2ForCTC.state_dict()``.

    Returns:
        A new dict with torchaudio's names (``lm_head.*`` becomes ``aux.*``).

    Raises:
        RuntimeError: keys torchaudio's model has no place for (all of them named), e.g.
            ``masked_spec_embed`` (torchaudio's ``Wav2Vec2Model`` has no SpecAugment vector).

    Example:
        >>> ta = export_torchaudio_state_dict(Wav2Vec2ForCTC(config).state_dict())
        >>> "aux.weight" in ta
        True
    """
    out, unknown = {}, []
    for key, value in state_dict.items():
        bare = re.sub(r"^(wav2vec2|hubert)\.", "", key)
        name = _rename(bare, _TO_TORCHAUDIO)
        if name is None:
            unknown.append(key)
        else:
            out[name] = value
    if unknown:
        raise RuntimeError(
            f"export_torchaudio_state_dict: {len(unknown)} key(s) have no place in "
            f"torchaudio's Wav2Vec2Model: {unknown}; drop them first (e.g. masked_spec_embed, "
            f"a quantizer or a classification head)")
    return out


def _remove_aux_rows(state_dict: dict, rows: tuple) -> None:
    """Drop the CTC head's outputs ``rows`` in place, as torchaudio's ASR bundles do: fairseq's
    dictionary reserves ``<pad>``, ``</s>``, ``<unk>`` at indices 1-3 next to the blank
    ``<s>`` at 0, classes the CTC training never emits."""
    for key in ("aux.weight", "aux.bias"):
        mat = state_dict[key]
        keep = [i for i in range(mat.shape[0]) if i not in rows]  # about 32 rows: not data
        if not isinstance(mat, ember.Tensor):
            mat = ember.tensor(mat)
        state_dict[key] = mat[ember.tensor(keep, device=mat.device)]
