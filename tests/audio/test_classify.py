"""ASTClassifier (``--model ast``): shapes, Hugging Face parameter names, the fbank front end
it wraps, the shortest clip, the initialisation that keeps first gradients small, and the
model registry."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from emberaudio.classify import fit_length
from emberaudio.datasets import SpokenDigits
from emberaudio.models import ASTClassifier, ASTFeatureExtractor, get_model, list_models


def test_shapes_names_and_registry():
    model = ASTClassifier(n_classes=4)
    assert model(ember.randn(3, 1, 16000) * 0.1).shape == (3, 4)
    assert model(ember.randn(1, 8000) * 0.1).shape == (4,)  # unbatched (1, time)
    keys = model.state_dict()
    assert "ast.audio_spectrogram_transformer.embeddings.cls_token" in keys
    assert tuple(keys["ast.classifier.dense.weight"].shape) == (4, 64)
    # 64 mel bins, 100 frames -> (64-16)//10+1 = 5 by (100-16)//10+1 = 9 patches, + 2 tokens
    pos = keys["ast.audio_spectrogram_transformer.embeddings.position_embeddings"]
    assert tuple(pos.shape) == (1, 47, 64)
    assert "ast" in list_models()
    built = get_model("ast", n_classes=3, sample_rate=8000)
    assert isinstance(built, ASTClassifier) and built.sample_rate == 8000
    assert built.min_frames == 200 and model.min_frames == 400  # one 25 ms Kaldi frame


def test_spectrogram_is_the_feature_extractor_and_forward_uses_it():
    ember.manual_seed(0)
    model = ASTClassifier(n_classes=2, sample_rate=16000).eval()
    waves = ember.randn(2, 1, 12000) * 0.2
    ref = ASTFeatureExtractor(num_mel_bins=64, max_length=100)(
        [waves.numpy()[0, 0], waves.numpy()[1, 0]], sampling_rate=16000)["input_values"]
    spec = model.spectrogram(waves)
    assert spec.shape == (2, 100, 64)
    np.testing.assert_allclose(spec.numpy(), ref.numpy(), rtol=1e-6)
    with ember.no_grad():
        np.testing.assert_allclose(model(waves).numpy(), model.ast(ref).logits.numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_input_errors():
    model = ASTClassifier(n_classes=2)
    with pytest.raises(ValueError, match=r"fewer than the 400 the model needs"):
        model(ember.zeros(1, 1, 399))
    with pytest.raises(ValueError, match=r"expected a waveform of shape \(N, 1, time\)"):
        model(ember.zeros(2, 2, 1000))
    with pytest.raises(ValueError, match="n_classes must be a positive int"):
        ASTClassifier(n_classes=0)


def test_special_tokens_are_drawn_not_zero_and_first_gradients_are_small():
    # transformers' zero [CLS]/distillation/position init gave a first-step gradient norm in
    # the thousands from scratch (2277 on these 16 clips); the truncated normal gives ~2.
    ember.manual_seed(0)
    model = ASTClassifier(n_classes=10)
    emb = model.ast.audio_spectrogram_transformer.embeddings
    for p in (emb.cls_token, emb.distillation_token, emb.position_embeddings):
        values = p.detach().numpy()
        # std 0.02; trunc_normal_'s bounds are absolute (a=-2, b=2, PyTorch's and timm's),
        # so at this std they cut nothing
        assert 0.015 < values.std() < 0.025 and np.abs(values).max() < 0.15
    digits = SpokenDigits("train")
    waves = ember.stack([fit_length(digits[i][0], 16000) for i in range(16)])
    labels = ember.tensor([digits[i][2] for i in range(16)])
    F.cross_entropy(model(waves), labels).backward()
    norm = float(nn.utils.clip_grad_norm_(model.parameters(), 1e9))
    assert np.isfinite(norm) and norm < 50
