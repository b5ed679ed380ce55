"""emberaudio-transcribe: a saved tiny ctc-rnn prints the greedy transcript computed here from
the model's logits; stereo / other-rate files are mixed and resampled with notes; beam search
with a lexicon only prints lexicon words; user errors exit 2 with a message."""

import numpy as np
import pytest
import soundfile

import ember
from emberaudio import transcribe
from emberaudio._finetune_ctc import CTC_FORMAT, Vocabulary
from emberaudio._finetune_ctc_models import _Scratch
from emberaudio.functional import resample
from emberaudio.models.ctc_model import CTCSpeechModel


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A tiny untrained ctc-rnn checkpoint whose head is biased so its greedy output is
    non-empty, saved as finetune does, and the model itself."""
    ember.manual_seed(0)
    vocab = Vocabulary.from_transcripts(["ab ba"])
    model = CTCSpeechModel(len(vocab), sample_rate=8000, n_mels=16, hidden=8).eval()
    with ember.no_grad():
        model.head.bias.copy_(ember.tensor([0.0, -9, -9, -9, 0.5, 1.0, 1.0]))
    folder = tmp_path_factory.mktemp("model")
    _Scratch(model, vocab).save(str(folder), "best", {"config": {}, "epoch": 1})
    return folder, model, vocab


def _expected(model, vocab, waveform):
    with ember.no_grad():
        logits = model(waveform[None])[0].numpy()
    ids = logits.argmax(-1)
    keep = (ids != 0) & (ids != np.concatenate([[-1], ids[:-1]]))
    return vocab.decode(ids[keep])


def test_prints_greedy_transcript_and_handles_stereo_other_rate(saved, tmp_path, capsys):
    folder, model, vocab = saved
    rng = np.random.default_rng(0)
    mono = (0.3 * rng.standard_normal(8000)).astype(np.float32)
    soundfile.write(tmp_path / "mono.wav", mono, 8000)
    stereo = np.stack([mono, 0.5 * mono], axis=1).repeat(2, axis=0)  # 16 kHz stereo
    soundfile.write(tmp_path / "stereo.wav", stereo, 16000, subtype="FLOAT")
    assert transcribe.main([str(tmp_path / "mono.wav"), str(tmp_path / "stereo.wav"),
                            "--model", str(folder / "best.pt")]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == f"{tmp_path / 'mono.wav'}\t{_expected(model, vocab, ember.tensor(mono))}"
    text = lines[0].split("\t")[1]
    assert text and set(text) <= set("AB ")
    mixed = resample(ember.tensor(stereo.T.mean(0, keepdims=True)), 16000, 8000)[0]
    assert lines[1] == f"{tmp_path / 'stereo.wav'}\t{_expected(model, vocab, mixed)}"
    assert "2 channels mixed to mono" in err
    assert "resampled from 16000 Hz to the model's 8000 Hz" in err
    assert "mono.wav: " not in err  # no note for a file already at the model's format


def test_beam_search_with_lexicon(saved, tmp_path, capsys):
    folder, _, _ = saved
    soundfile.write(tmp_path / "a.wav", 0.1 * np.ones(4000, dtype=np.float32), 8000)
    (tmp_path / "lex.txt").write_text("ab\nba\n")
    assert transcribe.main([str(tmp_path / "a.wav"), "--model", str(folder), "--beam-size",
                            "8", "--lexicon", str(tmp_path / "lex.txt")]) == 0
    words = capsys.readouterr().out.strip().split("\t")[1].split()
    assert set(words) <= {"AB", "BA"}


def test_user_errors(saved, tmp_path, capsys):
    folder, _, _ = saved
    soundfile.write(tmp_path / "empty.wav", np.zeros((0, 1), dtype=np.float32), 8000)
    assert transcribe.main([str(tmp_path / "empty.wav"), "--model", str(folder)]) == 2
    assert "holds no audio (0 frames)" in capsys.readouterr().err
    assert transcribe.main([str(tmp_path / "none.wav"), "--model", str(folder)]) == 2
    assert "none.wav: no such file" in capsys.readouterr().err
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    assert transcribe.main([str(tmp_path / "junk.wav"), "--model", str(folder)]) == 2
    assert "cannot read audio" in capsys.readouterr().err
    assert transcribe.main(["x.wav", "--model", str(tmp_path / "nothing.pt")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    ember.save({"weights": ember.zeros(2)}, tmp_path / "other.pt")
    assert transcribe.main(["x.wav", "--model", str(tmp_path / "other.pt")]) == 2
    assert f"no 'format': '{CTC_FORMAT}' entry" in capsys.readouterr().err
    assert transcribe.main(["x.wav", "--model", str(tmp_path)]) == 2
    assert "no best.pt, best/ or config.json" in capsys.readouterr().err
    assert transcribe.main(["x.wav", "--model", str(folder), "--lexicon", "l.txt"]) == 2
    assert "--lexicon needs beam search: add --beam-size N" in capsys.readouterr().err
    (tmp_path / "bad_lex.txt").write_text("xyz\n")
    assert transcribe.main(["x.wav", "--model", str(folder), "--beam-size", "4", "--lexicon",
                            str(tmp_path / "bad_lex.txt")]) == 2
    assert "lexicon word 'XYZ' uses tokens" in capsys.readouterr().err
