"""pad_collate / AudioCollator: literal padded shapes, lengths and field handling."""

import pickle

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from emberaudio.datasets import AudioCollator, pad_collate


def _wave(channels, frames, start):
    return ember.tensor(np.arange(start, start + channels * frames, dtype=np.float32)
                        .reshape(channels, frames))


def test_pads_to_longest_and_returns_lengths():
    batch = [(_wave(2, 3, 1), 16000, 4, "four"), (_wave(2, 5, 10), 16000, 9, "nine"),
             (_wave(2, 1, 50), 16000, 0, "zero")]
    waves, lengths, rates, labels, words = pad_collate(batch)
    assert tuple(waves.shape) == (3, 2, 5) and waves.dtype == ember.float32
    assert lengths.dtype == ember.int64 and lengths.tolist() == [3, 5, 1]
    np.testing.assert_array_equal(waves.numpy()[0], [[1, 2, 3, 0, 0], [4, 5, 6, 0, 0]])
    np.testing.assert_array_equal(waves.numpy()[1], np.arange(10, 20).reshape(2, 5))
    np.testing.assert_array_equal(waves.numpy()[2], [[50, 0, 0, 0, 0], [51, 0, 0, 0, 0]])
    assert rates.tolist() == [16000] * 3 and labels.tolist() == [4, 9, 0]
    assert words == ["four", "nine", "zero"]


def test_pad_value_plain_tensors_and_1d():
    waves, lengths = AudioCollator(pad_value=-1.0)([_wave(1, 2, 0)[0], _wave(1, 4, 0)[0]])
    np.testing.assert_array_equal(waves.numpy(), [[0, 1, -1, -1], [0, 1, 2, 3]])
    assert lengths.tolist() == [2, 4]
    assert pad_collate([_wave(1, 2, 0)], pad_value=7.0)[0].shape == (1, 1, 2)


def test_other_fields():
    # YESNO's equal-length label lists become (B, 8); ragged lists and tensors of other
    # shapes stay lists; equal-shape tensors are stacked.
    batch = [(_wave(1, 2, 0), [0, 1, 1, 0, 1, 0, 0, 1], [1], ember.ones(3)),
             (_wave(1, 3, 0), [1, 1, 1, 1, 0, 0, 0, 0], [1, 2], ember.zeros(3))]
    _, _, yesno, ragged, stacked = pad_collate(batch)
    assert yesno.tolist() == [[0, 1, 1, 0, 1, 0, 0, 1], [1, 1, 1, 1, 0, 0, 0, 0]]
    assert ragged == [[1], [1, 2]]
    assert stacked.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]


def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(1, 3\), \(2, 3\)"):
        pad_collate([_wave(1, 3, 0), _wave(2, 3, 0)])
    with pytest.raises(ValueError, match="empty"):
        pad_collate([])
    with pytest.raises(TypeError, match="ndarray"):
        pad_collate([(np.zeros((1, 3)), 1)])


def test_with_dataloader_and_pickle():
    data = [(_wave(1, n, 0), n % 10) for n in (4, 7, 2, 5)]
    collator = pickle.loads(pickle.dumps(AudioCollator(0.5)))
    assert repr(collator) == "AudioCollator(pad_value=0.5)"
    batches = list(DataLoader(data, batch_size=2, collate_fn=collator))
    assert [tuple(b[0].shape) for b in batches] == [(2, 1, 7), (2, 1, 5)]
    assert batches[0][1].tolist() == [4, 7] and batches[1][2].tolist() == [2, 5]
    assert batches[0][0].numpy()[0, 0, 4:].tolist() == [0.5, 0.5, 0.5]
