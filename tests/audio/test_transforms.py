"""emberaudio.transforms: torchaudio's defaults and buffer names, and each module against a
NumPy/SciPy computation of what it should produce."""

import math

import numpy as np
import pytest
import scipy.fft

import ember
import emberaudio.functional as F
import emberaudio.transforms as T

RNG = np.random.default_rng(11)


def _waveform(batch=2, length=4000):
    return RNG.standard_normal((batch, length)) * 0.1


def _power(x, n_fft=400, hop=200):
    """(batch, freq, frames) power spectrogram with a periodic Hann window, reflect-centred."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    padded = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)), mode="reflect")
    n_frames = 1 + (padded.shape[1] - n_fft) // hop
    idx = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)
    return np.abs(np.fft.rfft(padded[:, idx] * window, axis=-1)).transpose(0, 2, 1) ** 2


def test_spectrogram_defaults_and_buffer():
    module = T.Spectrogram()
    assert (module.n_fft, module.win_length, module.hop_length, module.power) == (400, 400,
                                                                                   200, 2.0)
    assert list(module.state_dict()) == ["window"]
    x = _waveform()
    out = module(ember.tensor(x, dtype=ember.float32))
    assert out.shape == (2, 201, 21) and out.dtype == ember.float32
    np.testing.assert_allclose(out.numpy(), _power(x), rtol=2e-3, atol=1e-4)
    complex_spec = T.Spectrogram(power=None)(ember.tensor(x))
    assert complex_spec.is_complex()
    assert T.Spectrogram().to(ember.float64).window.dtype == ember.float64  # a buffer
    double = T.Spectrogram(wkwargs={"dtype": ember.float64})
    np.testing.assert_allclose(double(ember.tensor(x)).numpy(), _power(x), rtol=1e-10,
                               atol=1e-12)


def test_inverse_spectrogram_and_griffinlim_modules():
    x = ember.tensor(_waveform(length=3000))
    spec = T.Spectrogram(n_fft=256, power=None)(x)
    y = T.InverseSpectrogram(n_fft=256)(spec, length=3000)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-5)
    griffin = T.GriffinLim(n_fft=256, n_iter=3, length=3000)
    assert list(griffin.state_dict()) == ["window"]
    assert griffin(spec.abs() ** 2).shape == (2, 3000)
    with pytest.raises(ValueError, match=r"momentum must be in the range \[0, 1\)"):
        T.GriffinLim(momentum=1.0)


def test_amplitude_to_db_module():
    x = np.abs(RNG.standard_normal((2, 5, 6))) + 1e-4
    power = T.AmplitudeToDB()(ember.tensor(x)).numpy()
    np.testing.assert_allclose(power, 10 * np.log10(x), rtol=1e-12)
    magnitude = T.AmplitudeToDB("magnitude", top_db=20.0)(ember.tensor(x)).numpy()
    db = 20 * np.log10(x)
    np.testing.assert_allclose(magnitude, np.maximum(db, db.max() - 20.0), rtol=1e-12)
    with pytest.raises(ValueError, match="top_db must be positive value"):
        T.AmplitudeToDB(top_db=-1.0)


def test_mel_scale_and_mel_spectrogram():
    mel = T.MelScale(n_mels=40, sample_rate=16000, n_stft=201)
    np.testing.assert_array_equal(mel.fb.numpy(),
                                  F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000).numpy())
    spec = np.abs(RNG.standard_normal((3, 201, 7)))
    np.testing.assert_allclose(mel(ember.tensor(spec, dtype=ember.float32)).numpy(),
                               np.einsum("fm,bft->bmt", mel.fb.numpy(), spec), rtol=1e-4)
    module = T.MelSpectrogram(n_mels=64)
    assert list(module.state_dict()) == ["spectrogram.window", "mel_scale.fb"]
    x = _waveform()
    expected = np.einsum("fm,bft->bmt", module.mel_scale.fb.numpy().astype(np.float64),
                         _power(x))
    np.testing.assert_allclose(module(ember.tensor(x, dtype=ember.float32)).numpy(), expected,
                               rtol=2e-3, atol=1e-4)
    with pytest.warns(UserWarning, match="all zero values"):
        T.MelSpectrogram()  # torchaudio's defaults (128 mels over 201 bins) warn the same
    with pytest.raises(ValueError, match="Require f_min"):
        T.MelScale(f_min=9000.0)


def test_inverse_mel_scale_is_the_clipped_least_squares_solution():
    forward = T.MelScale(n_mels=32, n_stft=65, sample_rate=8000)
    inverse = T.InverseMelScale(n_stft=65, n_mels=32, sample_rate=8000)
    spec = np.abs(RNG.standard_normal((2, 65, 5)))
    mel = forward(ember.tensor(spec, dtype=ember.float32))
    recovered = inverse(mel)
    assert recovered.shape == (2, 65, 5)
    fb = forward.fb.numpy().astype(np.float64)
    for i in range(2):  # the minimum-norm least-squares solution of fb.T s = mel, then relu
        solution = np.linalg.lstsq(fb.T, mel.numpy()[i].astype(np.float64), rcond=None)[0]
        np.testing.assert_allclose(recovered.numpy()[i], np.maximum(solution, 0), atol=1e-4)
    with pytest.raises(ValueError, match="Expected an input with 32 mel bins. Found: 10"):
        inverse(ember.ones(1, 10, 3))
    with pytest.raises(ValueError, match="driver must be one of"):
        T.InverseMelScale(65, driver="qr")


def test_mfcc_is_the_dct_of_decibels():
    melkwargs = {"n_mels": 40, "n_fft": 256, "hop_length": 128}
    module = T.MFCC(sample_rate=8000, n_mfcc=13, melkwargs=melkwargs)
    assert list(module.state_dict()) == ["dct_mat", "MelSpectrogram.spectrogram.window",
                                         "MelSpectrogram.mel_scale.fb"]
    x = _waveform()
    out = module(ember.tensor(x, dtype=ember.float32)).numpy()
    assert out.shape == (2, 13, 1 + 4000 // 128)
    mel = np.einsum("fm,bft->bmt", module.MelSpectrogram.mel_scale.fb.numpy()
                    .astype(np.float64), _power(x, 256, 128))
    db = 10 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.reshape(2, -1).max(axis=1)[:, None, None] - 80.0)
    expected = scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :13]
    np.testing.assert_allclose(out, expected, atol=5e-3)
    log_mels = T.MFCC(sample_rate=8000, n_mfcc=13, log_mels=True, melkwargs=melkwargs)
    expected_log = scipy.fft.dct(np.log(mel + 1e-6), type=2, norm="ortho", axis=1)[:, :13]
    np.testing.assert_allclose(log_mels(ember.tensor(x, dtype=ember.float32)).numpy(),
                               expected_log, atol=5e-3)
    with pytest.raises(ValueError, match="Cannot select more MFCC coefficients"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})
    with pytest.raises(ValueError, match="DCT type not supported: 3"):
        T.MFCC(dct_type=3)


def test_lfcc_is_the_dct_of_linear_filter_decibels():
    module = T.LFCC(sample_rate=8000, n_filter=30, n_lfcc=10, speckwargs={"n_fft": 256})
    assert list(module.state_dict()) == ["filter_mat", "dct_mat", "Spectrogram.window"]
    x = _waveform()
    out = module(ember.tensor(x, dtype=ember.float32)).numpy()
    filtered = np.einsum("fm,bft->bmt", module.filter_mat.numpy().astype(np.float64),
                         _power(x, 256, 128))
    db = 10 * np.log10(np.maximum(filtered, 1e-10))
    db = np.maximum(db, db.reshape(2, -1).max(axis=1)[:, None, None] - 80.0)
    expected = scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :10]
    np.testing.assert_allclose(out, expected, atol=5e-3)
    with pytest.raises(ValueError, match="Cannot select more LFCC coefficients"):
        T.LFCC(n_filter=8, n_lfcc=10)


def test_resample_module_caches_a_non_persistent_kernel():
    module = T.Resample(44100, 16000)
    assert module.kernel.shape == (160, 1, 2 * module.width + 441)
    assert list(module.state_dict()) == []  # persistent=False, as in torchaudio
    x = ember.tensor(np.sin(2 * np.pi * 440 * np.arange(4410) / 44100), dtype=ember.float32)
    np.testing.assert_array_equal(module(x).numpy(), F.resample(x, 44100, 16000).numpy())
    same = T.Resample(8000, 8000)
    assert same(x) is x


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine",
                                   "half_sine"])
def test_fade_curves(shape):
    fade_in, fade_out, length = 5, 4, 12
    t_in, t_out = np.linspace(0, 1, fade_in), np.linspace(0, 1, fade_out)
    rising = {"linear": t_in, "exponential": 2 ** ((t_in - 1) * 5),
              "logarithmic": np.log10(0.1 + t_in) + 1,
              "quarter_sine": np.sin(t_in * np.pi / 2),
              "half_sine": np.sin(t_in * np.pi - np.pi / 2) / 2 + 0.5}[shape]
    falling = {"linear": 1 - t_out, "exponential": 2 ** (-t_out * 5),
               "logarithmic": np.log10(1.1 - t_out) + 1,
               "quarter_sine": np.sin(t_out * np.pi / 2 + np.pi / 2),
               "half_sine": np.sin(t_out * np.pi + np.pi / 2) / 2 + 0.5}[shape]
    gain = np.ones(length)
    gain[:fade_in] *= np.clip(rising, 0, 1)
    gain[-fade_out:] *= np.clip(falling, 0, 1)
    out = T.Fade(fade_in, fade_out, shape)(ember.ones(2, length)).numpy()
    np.testing.assert_allclose(out, np.broadcast_to(gain, (2, length)), atol=1e-6)


def test_fade_errors():
    with pytest.raises(ValueError, match="fade_shape must be one of"):
        T.Fade(2, 2, "cosine")
    with pytest.raises(ValueError, match="exceed the waveform"):
        T.Fade(20, 0)(ember.ones(10))


def test_vol():
    x = ember.tensor([[-0.5, 0.1, 0.4]])
    np.testing.assert_allclose(T.Vol(2.0)(x).numpy(), [[-1.0, 0.2, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(T.Vol(6.0, "db")(x).numpy(),
                               np.clip(x.numpy() * 10 ** 0.3, -1, 1), rtol=1e-6)
    np.testing.assert_allclose(T.Vol(4.0, "power")(x).numpy(),
                               np.clip(x.numpy() * 2.0, -1, 1), rtol=1e-6)
    with pytest.raises(ValueError, match="gain must be positive"):
        T.Vol(-1.0)


def test_mu_law_and_emphasis_modules():
    x = ember.tensor(np.linspace(-1, 1, 9))
    codes = T.MuLawEncoding(16)(x)
    np.testing.assert_array_equal(codes.numpy(), F.mu_law_encoding(x, 16).numpy())
    np.testing.assert_array_equal(T.MuLawDecoding(16)(codes).numpy(),
                                  F.mu_law_decoding(codes, 16).numpy())
    wave = ember.tensor(_waveform())
    round_trip = T.Deemphasis(0.8)(T.Preemphasis(0.8)(wave))
    np.testing.assert_allclose(round_trip.numpy(), wave.numpy(), atol=1e-12)


def test_compute_deltas_module():
    spec = ember.tensor(RNG.standard_normal((2, 5, 20)))
    np.testing.assert_array_equal(T.ComputeDeltas(win_length=7)(spec).numpy(),
                                  F.compute_deltas(spec, win_length=7).numpy())


def test_time_stretch():
    n_fft, hop = 256, 64
    x = ember.tensor(np.sin(2 * np.pi * 33 * np.arange(4000) / n_fft))
    spec = ember.stft(x, n_fft, hop, window=ember.hann_window(n_fft, dtype=ember.float64),
                      return_complex=True)
    module = T.TimeStretch(hop_length=hop, n_freq=n_fft // 2 + 1, fixed_rate=1.5)
    advance = module.phase_advance.numpy()
    np.testing.assert_allclose(advance[:, 0], np.linspace(0, np.pi * hop, n_fft // 2 + 1),
                               rtol=1e-6)
    assert module(spec).shape == (129, math.ceil(spec.shape[-1] / 1.5))
    assert module(spec, 0.5).shape == (129, 2 * spec.shape[-1])
    assert T.TimeStretch(n_freq=129).phase_advance.numpy()[-1, 0] == pytest.approx(
        np.pi * 128, rel=1e-6)  # default hop: n_fft // 2 with n_fft = 2 (n_freq - 1)
    with pytest.raises(ValueError, match="must pass a valid rate"):
        T.TimeStretch(n_freq=129)(spec)


def test_masking_modules():
    spec = ember.ones(8, 2, 30, 40)
    ember.manual_seed(0)
    shared = T.TimeMasking(20)(spec).numpy()
    assert (shared == shared[0, 0]).all()  # one band for every example and channel
    iid = T.TimeMasking(20, iid_masks=True)(spec).numpy()
    widths = (iid[:, :, 0] == 0).sum(-1)
    assert widths.max() < 20 and len(np.unique(widths)) > 1
    freq = T.FrequencyMasking(25)(spec, mask_value=-5.0).numpy()
    rows = np.where((freq[0, 0] == -5.0).all(axis=1))[0]
    assert (freq == -5.0).sum() == 8 * 2 * 40 * len(rows) and len(rows) < 25
    with pytest.raises(ValueError, match="between 0.0 and 1.0"):
        T.TimeMasking(5, p=2.0)


def test_spec_augment():
    spec = ember.tensor(RNG.uniform(1, 2, (4, 1, 30, 50)))
    ember.manual_seed(1)
    zeroed = T.SpecAugment(2, 10, 2, 8, zero_masking=True)(spec).numpy()
    assert (zeroed == 0).any() and (zeroed > 0).any()
    # every masked cell lies in a masked row or column of its own example
    for i in range(4):
        cells = zeroed[i, 0] == 0
        rows, cols = cells.all(axis=1), cells.all(axis=0)
        assert np.array_equal(cells, rows[:, None] | cols[None, :])
        assert rows.sum() <= 2 * 7 and cols.sum() <= 2 * 9
    mean_filled = T.SpecAugment(1, 10, 0, 8)(spec).numpy()
    changed = mean_filled != spec.numpy()
    np.testing.assert_allclose(mean_filled[changed], spec.numpy().mean(), rtol=1e-12)
