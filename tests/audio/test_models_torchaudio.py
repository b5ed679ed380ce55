"""torchaudio.models' classic models and wav2vec2 factories in emberaudio: torchaudio's
state_dict names (literal, from torchaudio's source), independent NumPy forwards for
Wav2Letter and DeepSpeech, ConvTasNet's lengths and gradients, and the factories against the
Hugging Face-named model on the same weights."""

import inspect

import numpy as np
import pytest

import ember
from emberaudio.models import _torchaudio_wav2vec2 as ta_w2v
from emberaudio.models._torchaudio_wav2vec2 import (
    TorchaudioWav2Vec2Model,
    hubert_base,
    hubert_large,
    hubert_xlarge,
    wav2vec2_base,
    wav2vec2_large,
    wav2vec2_large_lv60k,
    wav2vec2_model,
    wav2vec2_xlsr_1b,
    wav2vec2_xlsr_2b,
    wav2vec2_xlsr_300m,
    wavlm_base,
    wavlm_large,
    wavlm_model,
)
from emberaudio.models.conv_tasnet import ConvTasNet, conv_tasnet_base
from emberaudio.models.deepspeech import DeepSpeech
from emberaudio.models.wav2letter import Wav2Letter
from emberaudio.pipelines import import_torchaudio_state_dict


def _randomise(model, seed=0, scale=0.3):
    rng = np.random.default_rng(seed)
    with ember.no_grad():
        for t in model.state_dict().values():
            t.copy_(ember.tensor(rng.normal(0.0, scale, tuple(t.shape)).astype(
                t.detach().numpy().dtype)))


def _params(model):
    return {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}


def _conv1d(x, w, b, stride=1, padding=0):
    """NumPy Conv1d: x (N, C, L), w (O, C, K)."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[2], axis=2)[:, :, ::stride]
    out = np.einsum("nclk,ock->nol", win, w)
    return out if b is None else out + b[None, :, None]


def _log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# -- Wav2Letter -----------------------------------------------------------------------------

# torchaudio/models/wav2letter.py: 11 (conv, ReLU) pairs in acoustic_model; for waveforms a
# (conv, ReLU) waveform_model first, both wrapped in an outer Sequential.
_W2L_SPEC = [f"acoustic_model.{i}.{p}" for i in range(0, 22, 2) for p in ("weight", "bias")]
_W2L_WAVE = (["acoustic_model.0.0.weight", "acoustic_model.0.0.bias"]
             + [f"acoustic_model.1.{i}.{p}" for i in range(0, 22, 2)
                for p in ("weight", "bias")])


def test_wav2letter_keys_and_shapes():
    spec = Wav2Letter(num_classes=7, input_type="mfcc", num_features=13)
    assert list(spec.state_dict()) == _W2L_SPEC
    shapes = {k: tuple(v.shape) for k, v in spec.state_dict().items()}
    assert shapes["acoustic_model.0.weight"] == (250, 13, 48)
    assert shapes["acoustic_model.16.weight"] == (2000, 250, 32)
    assert shapes["acoustic_model.20.weight"] == (7, 2000, 1)
    wave = Wav2Letter()
    assert list(wave.state_dict()) == _W2L_WAVE
    assert tuple(wave.state_dict()["acoustic_model.0.0.weight"].shape) == (250, 1, 250)
    assert tuple(wave.state_dict()["acoustic_model.1.20.weight"].shape) == (40, 2000, 1)
    power = Wav2Letter(input_type="power_spectrum", num_features=5)
    assert list(power.state_dict()) == _W2L_SPEC


def test_wav2letter_matches_numpy():
    model = Wav2Letter(num_classes=6, input_type="waveform", num_features=1).double()
    _randomise(model, scale=0.05)
    p = _params(model)
    x = np.random.default_rng(1).normal(size=(2, 1, 800))
    out = model(ember.tensor(x)).detach().numpy()
    # reference: the waveform layer, then torchaudio's (kernel, stride, padding) table
    h = np.maximum(_conv1d(x, p["acoustic_model.0.0.weight"], p["acoustic_model.0.0.bias"],
                           160, 45), 0)
    table = [(2, 23)] + [(1, 3)] * 7 + [(1, 16), (1, 0), (1, 0)]
    for i, (stride, pad) in enumerate(table):
        h = np.maximum(_conv1d(h, p[f"acoustic_model.1.{2 * i}.weight"],
                               p[f"acoustic_model.1.{2 * i}.bias"], stride, pad), 0)
    ref = _log_softmax(h, axis=1)
    assert out.shape == ref.shape == (2, 6, 3)
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-9)


def test_wav2letter_errors():
    with pytest.raises(ValueError, match="input_type must be one of"):
        Wav2Letter(input_type="spectrogram")
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 13"):
        Wav2Letter(input_type="mfcc", num_features=13)(ember.randn(2, 12, 40))


# -- DeepSpeech -----------------------------------------------------------------------------

_DS_KEYS = ["fc1.fc.weight", "fc1.fc.bias", "fc2.fc.weight", "fc2.fc.bias", "fc3.fc.weight",
            "fc3.fc.bias", "bi_rnn.weight_ih_l0", "bi_rnn.weight_hh_l0", "bi_rnn.bias_ih_l0",
            "bi_rnn.bias_hh_l0", "bi_rnn.weight_ih_l0_reverse", "bi_rnn.weight_hh_l0_reverse",
            "bi_rnn.bias_ih_l0_reverse", "bi_rnn.bias_hh_l0_reverse", "fc4.fc.weight",
            "fc4.fc.bias", "out.weight", "out.bias"]


def _deepspeech_numpy(p, x, hidden):
    def fc(h, name):
        return np.clip(h @ p[name + ".fc.weight"].T + p[name + ".fc.bias"], 0.0, 20.0)

    h = fc(fc(fc(x[:, 0], "fc1"), "fc2"), "fc3")          # (N, T, H)
    n, t, _ = h.shape

    def rnn(seq, sfx):
        state, outs = np.zeros((n, hidden)), []
        for step in seq:
            state = np.maximum(step @ p[f"bi_rnn.weight_ih_l0{sfx}"].T
                               + p[f"bi_rnn.bias_ih_l0{sfx}"]
                               + state @ p[f"bi_rnn.weight_hh_l0{sfx}"].T
                               + p[f"bi_rnn.bias_hh_l0{sfx}"], 0.0)
            outs.append(state)
        return np.stack(outs, axis=1)

    steps = [h[:, i] for i in range(t)]
    both = rnn(steps, "") + rnn(steps[::-1], "_reverse")[:, ::-1]
    logits = fc(both, "fc4") @ p["out.weight"].T + p["out.bias"]
    return _log_softmax(logits, axis=2)


def test_deepspeech_keys_and_numpy_forward():
    model = DeepSpeech(n_feature=5, n_hidden=6, n_class=4).double()
    assert list(model.state_dict()) == _DS_KEYS
    _randomise(model, seed=2, scale=0.6)
    x = np.random.default_rng(3).normal(size=(3, 1, 7, 5)) * 3.0
    out = model(ember.tensor(x)).detach().numpy()
    ref = _deepspeech_numpy(_params(model), x, 6)
    assert out.shape == (3, 7, 4)
    # the clip at 20 is reached by some units, so hardtanh's upper bound is exercised
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match=r"\(batch, 1, time, n_feature\)"):
        model(ember.randn(3, 7, 5, dtype=ember.float64))


def test_deepspeech_gradcheck():
    model = DeepSpeech(n_feature=3, n_hidden=4, n_class=3).double()
    _randomise(model, seed=4, scale=0.5)
    x = ember.randn(2, 1, 3, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(model, (x,))


# -- ConvTasNet -----------------------------------------------------------------------------

_TINY_TASNET = dict(num_sources=2, enc_kernel_size=4, enc_num_feats=6, msk_kernel_size=3,
                    msk_num_feats=4, msk_num_hidden_feats=5, msk_num_layers=2,
                    msk_num_stacks=1)


def _block(i, last):
    keys = [f"mask_generator.conv_layers.{i}.conv_layers.{j}.{p}"
            for j, ps in ((0, "wb"), (1, "w"), (2, "wb"), (3, "wb"), (4, "w"), (5, "wb"))
            for p in ("weight", "bias")[:len(ps)]]
    outs = ["skip_out"] if last else ["res_out", "skip_out"]
    return keys + [f"mask_generator.conv_layers.{i}.{o}.{p}" for o in outs
                   for p in ("weight", "bias")]


def test_conv_tasnet_keys():
    model = ConvTasNet(**_TINY_TASNET)
    expected = (["encoder.weight", "mask_generator.input_norm.weight",
                 "mask_generator.input_norm.bias", "mask_generator.input_conv.weight",
                 "mask_generator.input_conv.bias"] + _block(0, False) + _block(1, True)
                + ["mask_generator.output_prelu.weight", "mask_generator.output_conv.weight",
                   "mask_generator.output_conv.bias", "decoder.weight"])
    assert list(model.state_dict()) == expected
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["encoder.weight"] == (6, 1, 4)
    assert shapes["decoder.weight"] == (6, 1, 4)
    assert shapes["mask_generator.conv_layers.1.conv_layers.3.weight"] == (5, 1, 3)  # depthwise
    assert shapes["mask_generator.output_conv.weight"] == (12, 4, 1)
    # receptive field as torchaudio counts it: P + (P-1) * 2
    assert model.mask_generator.receptive_field == 3 + 2 * 2


def test_conv_tasnet_base_architecture():
    model = conv_tasnet_base(num_sources=3)
    sd = model.state_dict()
    assert len(model.mask_generator.conv_layers) == 24
    assert tuple(sd["encoder.weight"].shape) == (512, 1, 16)
    assert tuple(sd["mask_generator.output_conv.weight"].shape) == (1536, 128, 1)
    assert "mask_generator.conv_layers.23.res_out.weight" not in sd
    assert isinstance(model.mask_generator.mask_activate, ember.nn.ReLU)


@pytest.mark.parametrize("kernel", [4, 5])
def test_conv_tasnet_lengths_and_padding(kernel):
    model = ConvTasNet(**dict(_TINY_TASNET, enc_kernel_size=kernel)).double().eval()
    stride = kernel // 2
    for length in range(7, 7 + 2 * stride + 1):
        x = ember.randn(2, 1, length, dtype=ember.float64)
        padded, pads = model._align_num_frames_with_strides(x)
        # the padded end sits on a stride boundary (past the odd kernel's centre tap)
        assert 0 <= pads < stride
        assert (padded.shape[2] - kernel % 2) % stride == 0
        assert np.all(padded.detach().numpy()[..., length:] == 0)
        assert model(x).shape == (2, 2, length)
    # an already aligned input is not padded; appending the zeros by hand gives the same
    # sources on the original samples
    n = 9 + kernel % 2  # one sample past a boundary: one zero of padding
    x = ember.randn(1, 1, n, dtype=ember.float64)
    padded, pads = model._align_num_frames_with_strides(x)
    assert pads == stride - 1 == 1
    assert model._align_num_frames_with_strides(padded)[1] == 0
    by_hand = model(padded).detach().numpy()[..., :n]
    np.testing.assert_allclose(by_hand, model(x).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_conv_tasnet_batch_independent_and_gradcheck():
    model = ConvTasNet(**_TINY_TASNET).double()
    _randomise(model, seed=5, scale=0.5)
    x = ember.randn(3, 1, 11, dtype=ember.float64)
    whole = model(x).detach().numpy()
    for i in range(3):
        np.testing.assert_allclose(model(x[i:i + 1]).detach().numpy(), whole[i:i + 1], rtol=1e-10,
                                   atol=1e-12)
    xg = ember.randn(1, 1, 7, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(model, (xg,))


def test_conv_tasnet_errors():
    model = ConvTasNet(**_TINY_TASNET)
    with pytest.raises(ValueError, match=r"channel==1"):
        model(ember.randn(2, 10))
    with pytest.raises(ValueError, match="Unsupported activation tanh"):
        ConvTasNet(**dict(_TINY_TASNET, msk_activate="tanh"))


# -- wav2vec2 / HuBERT factories ------------------------------------------------------------

_CONV = [(8, 10, 5), (8, 3, 2)]


def _tiny(mode="group_norm", norm_first=False, aux=5, conv_bias=False):
    return wav2vec2_model(mode, _CONV, conv_bias, 16, 0.0, 4, 2, 2, 2, 0.0, 32, 0.0, 0.0,
                          norm_first, 0.0, aux)


def _layer_keys(i):
    pre = f"encoder.transformer.layers.{i}."
    return [pre + f"attention.{n}_proj.{p}" for n in ("k", "v", "q", "out")
            for p in ("weight", "bias")] + [
        pre + "layer_norm.weight", pre + "layer_norm.bias",
        pre + "feed_forward.intermediate_dense.weight",
        pre + "feed_forward.intermediate_dense.bias",
        pre + "feed_forward.output_dense.weight", pre + "feed_forward.output_dense.bias",
        pre + "final_layer_norm.weight", pre + "final_layer_norm.bias"]


def test_wav2vec2_model_torchaudio_keys():
    # torchaudio/models/wav2vec2/components.py names (weight norm in the parametrizations
    # spelling of PyTorch >= 2.1)
    expected = [
        "feature_extractor.conv_layers.0.conv.weight",
        "feature_extractor.conv_layers.0.layer_norm.weight",
        "feature_extractor.conv_layers.0.layer_norm.bias",
        "feature_extractor.conv_layers.1.conv.weight",
        "encoder.feature_projection.layer_norm.weight",
        "encoder.feature_projection.layer_norm.bias",
        "encoder.feature_projection.projection.weight",
        "encoder.feature_projection.projection.bias",
        "encoder.transformer.pos_conv_embed.conv.bias",
        "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original0",
        "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original1",
        "encoder.transformer.layer_norm.weight", "encoder.transformer.layer_norm.bias",
        *_layer_keys(0), *_layer_keys(1), "aux.weight", "aux.bias"]
    sd = _tiny().state_dict()
    assert sorted(sd) == sorted(expected)
    assert tuple(sd["aux.weight"].shape) == (5, 16)
    layer_sd = _tiny("layer_norm", True, None, True).state_dict()
    assert "feature_extractor.conv_layers.1.layer_norm.weight" in layer_sd
    assert "feature_extractor.conv_layers.1.conv.bias" in layer_sd
    assert not any(k.startswith("aux.") for k in layer_sd)


@pytest.mark.parametrize("mode,norm_first,aux", [("group_norm", False, 5),
                                                  ("layer_norm", True, None)])
def test_factory_forward_equals_hf_model(mode, norm_first, aux):
    from emberaudio.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForCTC, Wav2Vec2Model

    model = _tiny(mode, norm_first, aux).double().eval()
    _randomise(model, seed=6)
    config = Wav2Vec2Config(
        vocab_size=aux or 32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, conv_dim=[8, 8], conv_kernel=[10, 3], conv_stride=[5, 2],
        num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2,
        feat_extract_norm=mode.removesuffix("_norm"), do_stable_layer_norm=norm_first,
        apply_spec_augment=False, mask_time_prob=0.0, final_dropout=0.0)
    hf = (Wav2Vec2ForCTC if aux else Wav2Vec2Model)(config).double().eval()
    prefix = "wav2vec2" if aux else ""
    hf.load_state_dict(import_torchaudio_state_dict(model.state_dict(), prefix))
    x = ember.randn(2, 400, dtype=ember.float64)
    out, lengths = model(x)
    ref = hf(x)
    ref = ref.logits if aux else ref.last_hidden_state
    assert lengths is None
    assert out.shape == (2, 39, aux or 16)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    # lengths: Conv1d's (L - K) // S + 1 per layer
    _, frames = model(x, ember.tensor([400, 123]))
    assert frames.tolist() == [39, ((123 - 10) // 5 + 1 - 3) // 2 + 1]
    feats, _ = model.extract_features(x, num_layers=1)
    assert len(feats) == 1 and feats[0].shape == (2, 39, 16)


def test_factory_load_state_dict_roundtrip_and_legacy_weight_norm():
    src = _tiny().double()
    _randomise(src, seed=7)
    sd = dict(src.state_dict())
    # torchaudio .pth files from before PyTorch 2.1 spell the weight norm weight_g / weight_v
    pos = "encoder.transformer.pos_conv_embed.conv."
    sd[pos + "weight_g"] = sd.pop(pos + "parametrizations.weight.original0")
    sd[pos + "weight_v"] = sd.pop(pos + "parametrizations.weight.original1")
    dst = _tiny().double()
    assert dst.load_state_dict(sd) is not None
    for key, value in src.state_dict().items():
        np.testing.assert_array_equal(dst.state_dict()[key].detach().numpy(),
                                      value.detach().numpy())
    # nested in another module, the names keep the outer prefix
    outer = ember.nn.ModuleDict({"asr": dst})
    assert "asr.aux.weight" in outer.state_dict()
    outer.load_state_dict(outer.state_dict())
    bad = dict(src.state_dict(), **{"encoder.transformer.bogus.weight": ember.zeros(1)})
    with pytest.raises(RuntimeError, match="bogus"):
        _tiny().double().load_state_dict(bad)
    with pytest.raises(RuntimeError, match="Missing key"):
        _tiny().load_state_dict({k: v for k, v in sd.items() if k != "aux.bias"})


def test_wav2vec2_model_errors_and_default_conv():
    with pytest.raises(ValueError, match="extractor_mode must be"):
        wav2vec2_model("batch_norm", _CONV, False, 16, 0.0, 4, 2, 1, 2, 0.0, 32, 0.0, 0.0,
                       False, 0.0, None)
    model = wav2vec2_model("group_norm", None, False, 16, 0.0, 4, 2, 1, 2, 0.0, 32, 0.0, 0.0,
                           False, 0.0, None)
    cfg = model.model.config
    assert (cfg.conv_kernel, cfg.conv_stride) == ([10, 3, 3, 3, 3, 2, 2], [5, 2, 2, 2, 2, 2, 2])
    assert isinstance(model, TorchaudioWav2Vec2Model) and model.aux is None


# torchaudio/models/wav2vec2/model.py: (mode, conv_bias, embed, layers, heads, ff, norm_first)
# and the five dropout defaults of each factory.
_FACTORIES = {
    wav2vec2_base: (("group_norm", False, 768, 12, 12, 3072, False), (0.1, 0.1, 0.1, 0.1, 0.1)),
    wav2vec2_large: (("group_norm", False, 1024, 24, 16, 4096, False),
                     (0.1, 0.1, 0.1, 0.1, 0.1)),
    wav2vec2_large_lv60k: (("layer_norm", True, 1024, 24, 16, 4096, True),
                           (0.1, 0.0, 0.1, 0.0, 0.1)),
    wav2vec2_xlsr_300m: (("layer_norm", True, 1024, 24, 16, 4096, True),
                         (0.0, 0.0, 0.0, 0.0, 0.0)),
    wav2vec2_xlsr_1b: (("layer_norm", True, 1280, 48, 16, 5120, True), (0.1, 0.0, 0.0, 0.0, 0.0)),
    wav2vec2_xlsr_2b: (("layer_norm", True, 1920, 48, 16, 7680, True), (0.1, 0.0, 0.0, 0.0, 0.0)),
    hubert_base: (("group_norm", False, 768, 12, 12, 3072, False), (0.1, 0.1, 0.0, 0.1, 0.05)),
    hubert_large: (("layer_norm", False, 1024, 24, 16, 4096, True), (0.0, 0.0, 0.0, 0.0, 0.0)),
    hubert_xlarge: (("layer_norm", False, 1280, 48, 16, 5120, True),
                    (0.0, 0.0, 0.0, 0.0, 0.0)),
}


@pytest.mark.parametrize("factory", list(_FACTORIES), ids=lambda f: f.__name__)
def test_factory_architectures(factory, monkeypatch):
    arch, dropouts = _FACTORIES[factory]
    names = ["encoder_projection_dropout", "encoder_attention_dropout",
             "encoder_ff_interm_dropout", "encoder_dropout", "encoder_layer_drop",
             "aux_num_out"]
    sig = inspect.signature(factory)
    assert list(sig.parameters) == names
    assert tuple(sig.parameters[n].default for n in names[:5]) == dropouts
    calls = []
    monkeypatch.setattr(ta_w2v, "wav2vec2_model", lambda *a: calls.append(a))
    factory(aux_num_out=29)
    (a,) = calls
    mode, conv, bias, embed, proj, kernel, groups, layers, heads, attn, ff, ffd, drop, nf, \
        ld, aux = a
    assert (mode, bias, embed, layers, heads, ff, nf) == arch
    assert (conv, kernel, groups, aux) == (None, 128, 16, 29)
    assert (proj, attn, ffd, drop, ld) == dropouts


def test_wav2vec2_base_builds_published_shapes():
    model = hubert_base(aux_num_out=29)
    sd = model.state_dict()
    # extractor 3 + 6, projection 4, positional conv 3, final norm 2, 12 layers x 16, aux 2
    assert len(sd) == 212
    assert tuple(sd["feature_extractor.conv_layers.0.conv.weight"].shape) == (512, 1, 10)
    assert tuple(sd["encoder.transformer.pos_conv_embed.conv.parametrizations.weight."
                    "original1"].shape) == (768, 48, 128)
    assert tuple(sd["aux.weight"].shape) == (29, 768)


# -- WavLM factories --------------------------------------------------------------------------

def _tiny_wavlm(mode="group_norm", norm_first=False, aux=5, conv_bias=False):
    return wavlm_model(mode, _CONV, conv_bias, 16, 0.0, 4, 2, 2, 2, 16, 20, 0.0, 32, 0.0, 0.0,
                       norm_first, 0.0, aux)


def test_wavlm_model_signature_literal():
    # torchaudio/models/wav2vec2/model.py: wavlm_model's 18 positional parameters, in order
    assert list(inspect.signature(wavlm_model).parameters) == [
        "extractor_mode", "extractor_conv_layer_config", "extractor_conv_bias",
        "encoder_embed_dim", "encoder_projection_dropout", "encoder_pos_conv_kernel",
        "encoder_pos_conv_groups", "encoder_num_layers", "encoder_num_heads",
        "encoder_num_buckets", "encoder_max_distance", "encoder_attention_dropout",
        "encoder_ff_interm_features", "encoder_ff_interm_dropout", "encoder_dropout",
        "encoder_layer_norm_first", "encoder_layer_drop", "aux_num_out"]
    assert all(p.default is inspect.Parameter.empty
               for p in inspect.signature(wavlm_model).parameters.values())


@pytest.mark.parametrize("factory,arch,dropouts", [
    (wavlm_base, ("group_norm", 768, 12, 12, 3072, False), (0.1, 0.1, 0.1, 0.1, 0.1)),
    (wavlm_large, ("layer_norm", 1024, 24, 16, 4096, True), (0.1, 0.1, 0.0, 0.1, 0.1)),
], ids=["base", "large"])
def test_wavlm_factory_signatures_and_arguments(factory, arch, dropouts, monkeypatch):
    names = ["encoder_projection_dropout", "encoder_attention_dropout",
             "encoder_ff_interm_dropout", "encoder_dropout", "encoder_layer_drop",
             "aux_num_out"]
    sig = inspect.signature(factory)
    assert list(sig.parameters) == names
    assert tuple(sig.parameters[n].default for n in names) == dropouts + (None,)
    calls = []
    monkeypatch.setattr(ta_w2v, "wavlm_model", lambda *a: calls.append(a))
    factory(0.01, 0.02, 0.03, 0.04, 0.05, aux_num_out=29)
    (a,) = calls
    mode, conv, bias, embed, proj, kernel, groups, layers, heads, buckets, dist, attn, ff, ffd, \
        drop, nf, ld, aux = a
    assert (mode, embed, layers, heads, ff, nf) == arch
    assert (conv, bias, kernel, groups, buckets, dist, aux) == (None, False, 128, 16, 320, 800,
                                                                 29)
    assert (proj, attn, ffd, drop, ld) == (0.01, 0.02, 0.03, 0.04, 0.05)


def test_wavlm_model_torchaudio_keys():
    # torchaudio's WavLMSelfAttention: a torch MultiheadAttention ``attention`` (fused
    # in_proj), gru_rel_pos_linear / gru_rel_pos_const in every layer, rel_attn_embed in the
    # first one only; everything else as wav2vec2_model's.
    def layer(i):
        pre = f"encoder.transformer.layers.{i}."
        att = pre + "attention."
        return [att + "attention.in_proj_weight", att + "attention.in_proj_bias",
                att + "attention.out_proj.weight", att + "attention.out_proj.bias",
                att + "gru_rel_pos_linear.weight", att + "gru_rel_pos_linear.bias",
                att + "gru_rel_pos_const"] + ([att + "rel_attn_embed.weight"] if i == 0 else []) \
            + [k for k in _layer_keys(i) if ".attention." not in k]

    expected = [
        "feature_extractor.conv_layers.0.conv.weight",
        "feature_extractor.conv_layers.0.layer_norm.weight",
        "feature_extractor.conv_layers.0.layer_norm.bias",
        "feature_extractor.conv_layers.1.conv.weight",
        "encoder.feature_projection.layer_norm.weight",
        "encoder.feature_projection.layer_norm.bias",
        "encoder.feature_projection.projection.weight",
        "encoder.feature_projection.projection.bias",
        "encoder.transformer.pos_conv_embed.conv.bias",
        "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original0",
        "encoder.transformer.pos_conv_embed.conv.parametrizations.weight.original1",
        "encoder.transformer.layer_norm.weight", "encoder.transformer.layer_norm.bias",
        *layer(0), *layer(1), "aux.weight", "aux.bias"]
    model = _tiny_wavlm()
    sd = model.state_dict()
    assert sorted(sd) == sorted(expected)
    att = "encoder.transformer.layers.0.attention."
    # (3 * embed, embed) fused q, k, v; (buckets, heads) table; (head_dim, 8) gate; (1, H, 1, 1)
    assert tuple(sd[att + "attention.in_proj_weight"].shape) == (48, 16)
    assert tuple(sd[att + "rel_attn_embed.weight"].shape) == (16, 2)
    assert tuple(sd[att + "gru_rel_pos_linear.weight"].shape) == (8, 8)
    assert tuple(sd[att + "gru_rel_pos_const"].shape) == (1, 2, 1, 1)
    assert tuple(sd["aux.weight"].shape) == (5, 16)
    assert isinstance(model, ta_w2v.TorchaudioWavLMModel) and model.aux is model.model.lm_head
    assert _tiny_wavlm(aux=None).aux is None
    with pytest.raises(ValueError, match="wavlm_model: extractor_mode must be"):
        wavlm_model("batch_norm", _CONV, False, 16, 0.0, 4, 2, 2, 2, 16, 20, 0.0, 32, 0.0,
                    0.0, False, 0.0, None)


@pytest.mark.parametrize("mode,norm_first,aux", [("group_norm", False, 5),
                                                  ("layer_norm", True, None)])
def test_wavlm_factory_forward_equals_hf_model(mode, norm_first, aux):
    from emberaudio.models.wavlm import WavLMConfig, WavLMForCTC, WavLMModel
    from emberaudio.pipelines._wavlm_bundles import import_torchaudio_wavlm_state_dict

    model = _tiny_wavlm(mode, norm_first, aux, conv_bias=norm_first).double().eval()
    _randomise(model, seed=11)
    config = WavLMConfig(
        vocab_size=aux or 32, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, conv_dim=[8, 8], conv_kernel=[10, 3], conv_stride=[5, 2],
        conv_bias=norm_first, num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2,
        num_buckets=16, max_bucket_distance=20, feat_extract_norm=mode.removesuffix("_norm"),
        do_stable_layer_norm=norm_first, apply_spec_augment=False, mask_time_prob=0.0,
        final_dropout=0.0)
    hf = (WavLMForCTC if aux else WavLMModel)(config).double().eval()
    hf.load_state_dict(import_torchaudio_wavlm_state_dict(model.state_dict(),
                                                          "wavlm" if aux else ""))
    x = ember.randn(2, 400, dtype=ember.float64)
    out, lengths = model(x)
    ref = hf(x)
    ref = ref.logits if aux else ref.last_hidden_state
    assert lengths is None and out.shape == (2, 39, aux or 16)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    _, frames = model(x, ember.tensor([400, 123]))
    assert frames.tolist() == [39, ((123 - 10) // 5 + 1 - 3) // 2 + 1]
    feats, _ = model.extract_features(x)
    assert len(feats) == 2 and feats[-1].shape == (2, 39, 16)
    # the state_dict round-trips through torchaudio's names into a fresh model
    fresh = _tiny_wavlm(mode, norm_first, aux, conv_bias=norm_first).double().eval()
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh(x)[0].detach().numpy(), out.detach().numpy())
