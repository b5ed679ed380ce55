"""emberaudio.models: M5 and SpectrogramCNN shapes, parameter names, a NumPy reference forward
for M5, and the errors for a wrong channel count, rank, length or sample rate."""

import numpy as np
import pytest

import ember
from emberaudio.models import M5, SpectrogramCNN, get_model, list_models

# The torchaudio tutorial's M5 state dict (n_input=1, n_output=35, n_channel=32): a state
# dict trained with that tutorial loads with strict=True.
M5_STATE = [
    ("conv1.weight", (32, 1, 80)), ("conv1.bias", (32,)),
    ("bn1.weight", (32,)), ("bn1.bias", (32,)), ("bn1.running_mean", (32,)),
    ("bn1.running_var", (32,)), ("bn1.num_batches_tracked", ()),
    ("conv2.weight", (32, 32, 3)), ("conv2.bias", (32,)),
    ("bn2.weight", (32,)), ("bn2.bias", (32,)), ("bn2.running_mean", (32,)),
    ("bn2.running_var", (32,)), ("bn2.num_batches_tracked", ()),
    ("conv3.weight", (64, 32, 3)), ("conv3.bias", (64,)),
    ("bn3.weight", (64,)), ("bn3.bias", (64,)), ("bn3.running_mean", (64,)),
    ("bn3.running_var", (64,)), ("bn3.num_batches_tracked", ()),
    ("conv4.weight", (64, 64, 3)), ("conv4.bias", (64,)),
    ("bn4.weight", (64,)), ("bn4.bias", (64,)), ("bn4.running_mean", (64,)),
    ("bn4.running_var", (64,)), ("bn4.num_batches_tracked", ()),
    ("fc1.weight", (35, 64)), ("fc1.bias", (35,)),
]


def test_m5_state_dict_keys_and_shapes():
    state = M5().state_dict()
    assert [(k, tuple(v.shape)) for k, v in state.items()] == M5_STATE
    copy = M5()
    copy.load_state_dict(state, strict=True)
    assert all(np.array_equal(copy.state_dict()[k].numpy(), v.numpy()) for k, v in state.items())


def test_m5_output_shapes():
    model = M5(n_output=10).eval()
    assert model(ember.randn(3, 1, 16000)).shape == (3, 10)
    assert model(ember.randn(1, 16000)).shape == (10,)  # unbatched (C, time)
    stereo = M5(n_input=2, n_output=4, stride=8, n_channel=8).eval()
    assert stereo(ember.randn(2, 2, 8000)).shape == (2, 4)
    logp = M5(n_output=5, log_softmax=True).eval()(ember.randn(2, 1, 7000))
    np.testing.assert_allclose(np.exp(logp.detach().numpy()).sum(-1), 1.0, rtol=1e-5)


def _conv1d(x, w, b, stride=1):
    # direct definition: out[n, o, t] = b[o] + sum_{c,k} w[o, c, k] x[n, c, t*stride + k]
    k = w.shape[-1]
    t_out = (x.shape[-1] - k) // stride + 1
    idx = np.arange(t_out)[:, None] * stride + np.arange(k)[None, :]
    return np.einsum("nctk,ock->not", x[:, :, idx], w) + b[None, :, None]


def test_m5_forward_matches_numpy_reference():
    ember.manual_seed(1)
    model = M5(n_output=3, n_channel=4).double().eval()
    rng = np.random.default_rng(0)
    for name, buf in model.named_buffers():  # non-trivial running statistics
        if name.endswith("running_mean"):
            buf.copy_(ember.tensor(rng.normal(size=buf.shape)))
        elif name.endswith("running_var"):
            buf.copy_(ember.tensor(rng.uniform(0.5, 2.0, size=buf.shape)))
    x = rng.normal(size=(2, 1, 8000))
    p = {k: v.numpy() for k, v in model.state_dict().items()}
    h = x
    for i in range(1, 5):
        h = _conv1d(h, p[f"conv{i}.weight"], p[f"conv{i}.bias"], 16 if i == 1 else 1)
        h = ((h - p[f"bn{i}.running_mean"][:, None]) / np.sqrt(p[f"bn{i}.running_var"][:, None]
             + 1e-5) * p[f"bn{i}.weight"][:, None] + p[f"bn{i}.bias"][:, None])
        h = np.maximum(h, 0)
        t = h.shape[-1] // 4
        h = h[..., : 4 * t].reshape(*h.shape[:2], t, 4).max(-1)
    expected = h.mean(-1) @ p["fc1.weight"].T + p["fc1.bias"]
    got = model(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_m5_min_frames_is_exact():
    model = M5(n_output=2).eval()
    assert model.min_frames == 6848
    assert model(ember.zeros(1, 1, 6848)).shape == (1, 2)
    with pytest.raises(ValueError, match=r"M5\(n_input=1, n_output=2\): the clip has 6847 "
                                         r"frames, fewer than the 6848"):
        model(ember.zeros(1, 1, 6847))


@pytest.mark.parametrize("make", [lambda: M5(n_output=10),
                                  lambda: SpectrogramCNN(n_mels=16, n_classes=10)])
def test_channel_and_rank_errors(make):
    model = make().eval()
    with pytest.raises(ValueError, match=r"expected a waveform of shape \(N, 1, time\) or "
                                         r"\(1, time\), got \(2, 2, 16000\); mix to mono first "
                                         r"with waveform.mean\(dim=-2, keepdim=True\)"):
        model(ember.zeros(2, 2, 16000))
    with pytest.raises(ValueError, match=r"got \(16000,\); add the channel dimension"):
        model(ember.zeros(16000))
    with pytest.raises(ValueError, match=r"got \(1, 1, 1, 16000\)"):
        model(ember.zeros(1, 1, 1, 16000))


def test_mono_input_to_stereo_model_names_the_fix():
    model = M5(n_input=2, n_output=3)
    with pytest.raises(ValueError, match=r"M5\(n_input=2, n_output=3\): expected a waveform of "
                                         r"shape \(N, 2, time\).*expand\(-1, 2, -1\)"):
        model(ember.zeros(1, 1, 8000))


@pytest.mark.parametrize("make", [lambda: M5(n_output=10),
                                  lambda: SpectrogramCNN(n_mels=16, n_classes=10)])
def test_sample_rate_error_names_the_resample(make):
    model = make().eval()
    with pytest.raises(ValueError, match=r"built for 16000 Hz audio, got 8000 Hz; resample first "
                                         r"with emberaudio.transforms.Resample\(orig_freq=8000, "
                                         r"new_freq=16000\)"):
        model(ember.zeros(1, 1, 16000), sample_rate=8000)
    assert model(ember.zeros(1, 1, 16000), sample_rate=16000).shape == (1, 10)


def test_spectrogram_cnn_shapes_and_state():
    model = SpectrogramCNN(n_mels=64, n_classes=10).eval()
    x = ember.randn(2, 1, 16000)
    # 25 ms windows every 10 ms at 16 kHz: n_fft 400, hop 160 -> 1 + 16000 // 160 frames
    assert model.spectrogram(x).shape == (2, 1, 64, 101)
    assert model(x).shape == (2, 10)
    assert model(x[0]).shape == (10,)
    state = model.state_dict()
    assert [(k, tuple(v.shape)) for k, v in state.items() if "features" not in k] == [
        ("melspec.spectrogram.window", (400,)), ("melspec.mel_scale.fb", (201, 64)),
        ("input_norm.weight", (1,)), ("input_norm.bias", (1,)),
        ("input_norm.running_mean", (1,)), ("input_norm.running_var", (1,)),
        ("input_norm.num_batches_tracked", ()),
        ("classifier.weight", (10, 64 * 8)), ("classifier.bias", (10,)),
    ]
    assert tuple(state["features.0.weight"].shape) == (16, 1, 5, 5)
    assert tuple(state["features.8.weight"].shape) == (64, 32, 3, 3)
    # at 8 kHz the framing scales with the rate: n_fft 200, hop 80
    slow = SpectrogramCNN(n_mels=32, n_classes=4, sample_rate=8000).eval()
    assert slow.spectrogram(ember.randn(1, 1, 8000)).shape == (1, 1, 32, 101)
    assert slow.min_frames == 560
    with pytest.raises(ValueError, match="the clip has 559 frames, fewer than the 560"):
        slow(ember.zeros(1, 1, 559))


def test_spectrogram_cnn_trains_every_parameter():
    model = SpectrogramCNN(n_mels=16, n_classes=3)
    loss = ember.nn.functional.cross_entropy(model(ember.randn(4, 1, 3200)),
                                             ember.tensor([0, 1, 2, 0]))
    loss.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and np.abs(param.grad.numpy()).sum() > 0, name


def test_constructor_errors_and_registry():
    with pytest.raises(ValueError, match="n_mels must be an int of at least 8"):
        SpectrogramCNN(n_mels=4, n_classes=2)
    with pytest.raises(ValueError, match="M5: stride must be a positive int, got 0"):
        M5(stride=0)
    assert list_models() == ["ast", "m5", "spectrogram-cnn"]
    assert get_model("m5", n_classes=4, sample_rate=8000).stride == 8  # 1 ms hop at any rate
    assert isinstance(get_model("spectrogram-cnn", n_classes=4), SpectrogramCNN)
    with pytest.raises(ValueError, match=r"unknown model 'resnet'; choose one of \['ast', 'm5', "):
        get_model("resnet", n_classes=2)
