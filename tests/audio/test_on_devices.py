"""emberaudio on every available device: each transform, filter, feature and tiny model run on
``device`` must equal the same computation on the CPU (float32, rtol ~1e-4), and on the CPU a
few independent references written here (SciPy's lfilter, the STFT round trip, the dB formula).

Always runs on "cpu"; on "cuda" when ``ember.cuda.is_available()``. A failure message names the
quantity, shapes, devices and the largest absolute difference.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from _devices import assert_same
from _devices import numpy_of as _np

import ember
import emberaudio.functional as AF
import emberaudio.transforms as AT
from emberaudio.compliance import kaldi
from emberaudio.models.conformer import Conformer
from emberaudio.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForCTC


def _wave(samples=4000, channels=2, seed=0, rate=16000):
    """A chirp-plus-noise signal: energy across the band, so every filter bank bin matters."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / rate
    chirp = np.sin(2 * np.pi * (200 + 1500 * t / t[-1]) * t)
    x = 0.5 * chirp[None] + 0.1 * rng.standard_normal((channels, samples))
    return ember.tensor(x.astype(np.float32))


def _module_pair(module, device):
    """``module`` on the CPU and a copy with the same state on ``device`` (buffers included:
    windows, filter banks, DCT matrices, resampling kernels)."""
    import copy

    moved = copy.deepcopy(module).to(device)
    for name, b in moved.named_buffers():
        assert b.device.type == device, f"buffer {name} stayed on {b.device}"
    return module, moved


# -- spectral transforms ------------------------------------------------------------------------

@pytest.mark.parametrize("make, name", [
    (lambda: AT.Spectrogram(n_fft=256, hop_length=64), "Spectrogram"),
    (lambda: AT.Spectrogram(n_fft=200, power=None, normalized=True), "Spectrogram(complex)"),
    (lambda: AT.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=40), "MelSpectrogram"),
    (lambda: AT.MFCC(16000, n_mfcc=13, melkwargs={"n_fft": 400, "n_mels": 40}), "MFCC"),
], ids=["spectrogram", "complex", "mel", "mfcc"])
def test_spectral_transforms(device, make, name):
    cpu, dev = _module_pair(make(), device)
    x = _wave()
    ref = cpu(x)
    assert ref.ndim == 3 and ref.shape[0] == 2
    assert_same(dev(x.to(device)), ref, name, rtol=1e-4, device=device)


def test_amplitude_to_db(device):
    spec = AT.Spectrogram(n_fft=256)(_wave())
    todb = AT.AmplitudeToDB(stype="power", top_db=80.0)
    out = todb(spec.to(device))
    # torchaudio: 10 log10(max(x, 1e-10)), then clamped to (max - top_db) per item
    ref = 10 * np.log10(np.maximum(_np(spec).astype(np.float64), 1e-10))
    ref = np.maximum(ref, ref.reshape(2, -1).max(1)[:, None, None] - 80.0)
    assert_same(out, ref.astype(np.float32), "AmplitudeToDB", rtol=1e-5, atol=1e-3,
                device=device)


def test_time_stretch(device):
    # In float64: the phase vocoder accumulates phase (hundreds of radians per bin) with a
    # cumulative sum, whose float32 rounding depends on the summation order (sequential on the
    # CPU, a parallel scan on the GPU); in float64 both agree to ~1e-12.
    spec = AT.Spectrogram(n_fft=256, hop_length=64, power=None)(_wave().double())
    cpu, dev = _module_pair(AT.TimeStretch(hop_length=64, n_freq=129), device)
    for rate in (0.8, 1.3):
        ref = cpu(spec, rate)
        assert ref.shape[-1] == int(np.ceil(spec.shape[-1] / rate))
        assert_same(dev(spec.to(device), rate), ref, f"TimeStretch(rate={rate})", rtol=1e-4,
                    device=device)


@pytest.mark.parametrize("orig", [44100, 48000])
def test_resample(device, orig):
    x = _wave(samples=orig // 4, rate=orig)
    cpu, dev = _module_pair(AT.Resample(orig, 16000), device)
    ref = cpu(x)
    assert tuple(ref.shape) == (2, 4000)
    assert_same(dev(x.to(device)), ref, f"Resample({orig}->16000)", rtol=1e-4, device=device)
    assert_same(AF.resample(x.to(device), orig, 16000), ref, "functional.resample", rtol=1e-4,
                device=device)


# -- filters ------------------------------------------------------------------------------------

def test_lfilter_against_scipy_and_gradients(device):
    b, a = scipy.signal.butter(4, 0.2)
    x = _wave(samples=2000)
    xs = x.to(device).detach().requires_grad_(True)
    out = AF.lfilter(xs, ember.tensor(a.astype(np.float32)).to(device),
                     ember.tensor(b.astype(np.float32)).to(device), clamp=False)
    ref = scipy.signal.lfilter(b, a, _np(x).astype(np.float64), axis=-1)
    assert_same(out, ref.astype(np.float32), "lfilter vs scipy.signal.lfilter", rtol=1e-4,
                device=device)
    (out * out).sum().backward()
    # d/dx sum(y^2) = 2 * (time-reversed filter applied to time-reversed y), by linearity
    grad = scipy.signal.lfilter(b, a, 2 * ref[:, ::-1], axis=-1)[:, ::-1]
    assert_same(xs.grad, grad.astype(np.float32), "lfilter input gradient", rtol=1e-3,
                device=device)


def test_lowpass_biquad(device):
    x = _wave(samples=3000)
    ref = AF.lowpass_biquad(x, 16000, 1000.0)
    assert_same(AF.lowpass_biquad(x.to(device), 16000, 1000.0), ref, "lowpass_biquad",
                rtol=1e-4, device=device)


# -- Kaldi features, STFT ---------------------------------------------------------------------

def test_kaldi_fbank(device):
    x = _wave(channels=1, samples=8000)
    kwargs = {"num_mel_bins": 23, "dither": 0.0, "energy_floor": 0.0}
    ref = kaldi.fbank(x, **kwargs)
    assert tuple(ref.shape) == (48, 23)  # 1 + (8000 - 400) // 160 frames
    assert_same(kaldi.fbank(x.to(device), **kwargs), ref, "kaldi.fbank", rtol=1e-4,
                device=device)


def test_stft_istft_round_trip(device):
    x = _wave()
    window = ember.hann_window(256)
    kw = {"n_fft": 256, "hop_length": 64}
    ref = ember.stft(x, window=window, return_complex=True, **kw)
    spec = ember.stft(x.to(device), window=window.to(device), return_complex=True, **kw)
    assert_same(spec, ref, "stft", rtol=1e-4, device=device)
    back = ember.istft(spec, window=window.to(device), length=x.shape[-1], **kw)
    assert_same(back, x, "istft(stft(x))", rtol=1e-4, atol=1e-5, device=device)


# -- tiny models --------------------------------------------------------------------------------

TINY_W2V = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "intermediate_size": 32, "conv_dim": [8, 8, 8], "conv_stride": [5, 2, 2],
            "conv_kernel": [10, 3, 3], "num_conv_pos_embeddings": 4,
            "num_conv_pos_embedding_groups": 2, "vocab_size": 12, "layerdrop": 0.0,
            "ctc_loss_reduction": "mean"}


def test_wav2vec2_ctc_forward_and_loss_backward(device):
    ember.manual_seed(0)
    cpu = Wav2Vec2ForCTC(Wav2Vec2Config(**TINY_W2V)).eval()
    dev = Wav2Vec2ForCTC(Wav2Vec2Config(**TINY_W2V))
    dev.load_state_dict(cpu.state_dict())
    dev.to(device).eval()
    x = _wave(samples=400, seed=2)
    mask = ember.tensor(np.r_[np.ones((1, 400)), np.r_[np.ones(350), np.zeros(50)][None]]
                        .astype(np.int64))
    labels = ember.tensor([[3, 4, 5, 6], [7, 8, -100, -100]])
    ref = cpu(x, attention_mask=mask, labels=labels)
    out = dev(x.to(device), attention_mask=mask.to(device), labels=labels.to(device))
    assert_same(out.logits, ref.logits, "Wav2Vec2ForCTC logits", rtol=1e-4, device=device)
    assert_same(out.loss, ref.loss, "Wav2Vec2ForCTC CTC loss", rtol=1e-4, device=device)
    ref.loss.backward()
    out.loss.backward()
    # One absolute tolerance for all gradients, from the largest: the attention keys' bias
    # has a zero gradient in exact arithmetic (it cancels in the softmax), only rounding noise.
    scale = max(float(q.grad.abs().max()) for q in cpu.parameters() if q.grad is not None)
    for (name, p), q in zip(dev.named_parameters(), cpu.parameters()):
        if q.grad is None:
            assert p.grad is None, f"{name}: gradient on {device} only"
            continue
        assert_same(p.grad, q.grad, f"Wav2Vec2ForCTC grad of {name}", rtol=1e-3,
                    atol=1e-5 * scale, device=device)


def test_conformer_forward(device):
    ember.manual_seed(0)
    cpu = Conformer(input_dim=16, num_heads=2, ffn_dim=24, num_layers=2,
                    depthwise_conv_kernel_size=5)
    rng = np.random.default_rng(3)
    with ember.no_grad():  # non-trivial BatchNorm statistics, so eval mode uses them
        for name, b in cpu.named_buffers():
            if name.endswith("running_mean") or name.endswith("running_var"):
                b.copy_(ember.tensor(rng.uniform(0.5, 1.5, tuple(b.shape)).astype(np.float32)))
    cpu.eval()
    _, dev = _module_pair(cpu, device)
    x = ember.tensor(rng.standard_normal((3, 11, 16)).astype(np.float32))
    lengths = ember.tensor([11, 7, 2])
    with ember.no_grad():
        ref, ref_len = cpu(x, lengths)
        out, out_len = dev(x.to(device), lengths.to(device))
    assert_same(out, ref, "Conformer output", rtol=1e-4, device=device)
    assert_same(out_len, ref_len, "Conformer lengths", rtol=0, atol=0, device=device)
