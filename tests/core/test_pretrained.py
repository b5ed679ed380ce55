"""ember.utils.pretrained: the Hugging Face folder layout every domain package builds on.

A two-layer model on the generic base classes is saved, reloaded from safetensors, from a
PyTorch-format ``pytorch_model.bin``, from shards, and from a local HTTP server standing in for
the hub; mismatched checkpoints fail strictly with the keys named."""

import functools
import http.server
import json
import threading

import numpy as np
import pytest
import safetensors.numpy

import ember
from ember import nn
from ember.utils.pretrained import PretrainedConfig, PreTrainedModel, activation


class TinyConfig(PretrainedConfig):
    model_type = "tiny"

    def __init__(self, width: int = 4, initializer_range: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.initializer_range = initializer_range


class TinyModel(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "tiny"

    def __init__(self, config):
        super().__init__(config)
        self.dense = nn.Linear(config.width, config.width)
        self.norm = nn.LayerNorm(config.width)
        self.post_init()

    def forward(self, x):
        return self.norm(self.dense(x))


class TinyForClassification(PreTrainedModel):
    config_class = TinyConfig
    base_model_prefix = "tiny"

    def __init__(self, config):
        super().__init__(config)
        self.tiny = TinyModel(config)
        self.classifier = nn.Linear(config.width, config.num_labels)
        self.post_init()

    def forward(self, x):
        return self.classifier(self.tiny(x))


def _np(t):
    return t.detach().numpy()


def _state(model):
    return {k: v.numpy() for k, v in model.state_dict().items()}


def test_config_round_trip_keeps_unknown_keys(tmp_path):
    data = {"width": 6, "model_type": "tiny", "id2label": {"0": "a", "1": "b", "2": "c"},
            "some_future_key": [1, 2]}
    (tmp_path / "config.json").write_text(json.dumps(data))
    config = TinyConfig.from_pretrained(tmp_path)
    assert (config.width, config.num_labels, config.label2id["c"], config.some_future_key) == (
        6, 3, 2, [1, 2])
    config.save_pretrained(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "config.json").read_text())
    assert saved["id2label"] == {"0": "a", "1": "b", "2": "c"}
    assert saved["some_future_key"] == [1, 2] and saved["model_type"] == "tiny"


def test_init_weights_follow_initializer_range():
    ember.manual_seed(0)
    model = TinyModel(TinyConfig(width=400, initializer_range=0.5))
    w = _np(model.dense.weight)
    assert abs(w.std() - 0.5) < 0.01 and not _np(model.dense.bias).any()
    np.testing.assert_array_equal(_np(model.norm.weight), np.ones(400, np.float32))


def test_save_and_load_safetensors_and_bin(tmp_path):
    model = TinyModel(TinyConfig())
    model.save_pretrained(tmp_path / "safe")
    assert sorted(p.name for p in (tmp_path / "safe").iterdir()) == [
        "config.json", "model.safetensors"]
    loaded = TinyModel.from_pretrained(tmp_path / "safe")
    assert not loaded.training
    for key, value in _state(model).items():
        np.testing.assert_array_equal(_state(loaded)[key], value)
    model.save_pretrained(tmp_path / "bin", safe_serialization=False)
    assert (tmp_path / "bin" / "pytorch_model.bin").is_file()
    from_bin = TinyModel.from_pretrained(tmp_path / "bin")
    np.testing.assert_array_equal(_np(from_bin.dense.weight),
                                  _np(model.dense.weight))


def test_base_checkpoint_into_task_model_and_back(tmp_path):
    base = TinyModel(TinyConfig())
    base.save_pretrained(tmp_path / "base")
    with pytest.warns(UserWarning, match=r"newly initialised \['classifier.weight', "
                                         r"'classifier.bias'\]"):
        task = TinyForClassification.from_pretrained(tmp_path / "base", num_labels=3)
    assert task.classifier.weight.shape == (3, 4)
    np.testing.assert_array_equal(_np(task.tiny.dense.weight), _np(base.dense.weight))
    task.save_pretrained(tmp_path / "task")
    # the task checkpoint has 'tiny.' keys and a head; the base model drops both
    again = TinyModel.from_pretrained(tmp_path / "task")
    np.testing.assert_array_equal(_np(again.norm.bias), _np(task.tiny.norm.bias))


def test_strict_load_names_missing_and_unexpected_keys(tmp_path):
    TinyModel(TinyConfig()).save_pretrained(tmp_path)
    state = safetensors.numpy.load_file(str(tmp_path / "model.safetensors"))
    state["extra.weight"] = state.pop("norm.weight")
    safetensors.numpy.save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(RuntimeError) as info:
        TinyModel.from_pretrained(tmp_path)
    message = str(info.value)
    assert "missing keys: ['norm.weight']" in message
    assert "unexpected keys: ['extra.weight']" in message and "strict=False" in message
    with pytest.warns(UserWarning, match="strict=False"):
        TinyModel.from_pretrained(tmp_path, strict=False)


def test_missing_folder_and_weights_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a local folder nor a hub model name"):
        TinyModel.from_pretrained(str(tmp_path / "no such" / "dir"))
    TinyConfig().save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="no weights found"):
        TinyModel.from_pretrained(tmp_path)


def test_sharded_checkpoint(tmp_path):
    model = TinyModel(TinyConfig())
    model.save_pretrained(tmp_path / "one")
    state = safetensors.numpy.load_file(str(tmp_path / "one" / "model.safetensors"))
    folder = tmp_path / "sharded"
    folder.mkdir()
    (folder / "config.json").write_text((tmp_path / "one" / "config.json").read_text())
    shards = {"a.safetensors": ["dense.weight", "dense.bias"],
              "b.safetensors": ["norm.weight", "norm.bias"]}
    for name, keys in shards.items():
        safetensors.numpy.save_file({k: state[k] for k in keys}, str(folder / name))
    index = {"weight_map": {k: name for name, keys in shards.items() for k in keys}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    np.testing.assert_array_equal(_np(TinyModel.from_pretrained(folder).dense.weight),
                                  _np(model.dense.weight))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_hub_name_downloads_into_the_cache(tmp_path, monkeypatch):
    model = TinyModel(TinyConfig())
    repo = tmp_path / "server" / "org" / "tiny" / "resolve" / "main"
    model.save_pretrained(repo)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "server"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    old = ember.hub.get_dir()
    ember.hub.set_dir(str(tmp_path / "cache"))
    try:
        loaded = TinyModel.from_pretrained("org/tiny")
        cached = tmp_path / "cache" / "huggingface" / "models--org--tiny" / "main"
        assert sorted(p.name for p in cached.iterdir()) == ["config.json", "model.safetensors"]
        np.testing.assert_array_equal(_np(loaded.dense.weight), _np(model.dense.weight))
    finally:
        ember.hub.set_dir(old)
        server.shutdown()
        server.server_close()


def test_activation_table():
    x = ember.tensor([-1.0, 0.5, 2.0], dtype=ember.float64)
    xs = x.numpy()
    np.testing.assert_allclose(activation("relu")(x).numpy(), np.maximum(xs, 0))
    tanh_gelu = 0.5 * xs * (1 + np.tanh(np.sqrt(2 / np.pi) * (xs + 0.044715 * xs**3)))
    np.testing.assert_allclose(activation("gelu_new")(x).numpy(), tanh_gelu, rtol=1e-12)
    np.testing.assert_allclose(activation("swish")(x).numpy(), xs / (1 + np.exp(-xs)))
    with pytest.raises(ValueError, match="unsupported activation 'mish2'"):
        activation("mish2")


def test_mismatched_head_sizes_fail_or_are_reinitialised(tmp_path):
    TinyForClassification(TinyConfig(num_labels=2)).save_pretrained(tmp_path)
    with pytest.raises(RuntimeError, match=r"size mismatch for classifier.weight: checkpoint "
                                           r"\(2, 4\), model \(5, 4\).*ignore_mismatched_sizes"):
        TinyForClassification.from_pretrained(tmp_path, num_labels=5)
    with pytest.warns(UserWarning, match=r"newly initialised \['classifier.weight', "
                                         r"'classifier.bias'\] \(shape differs"):
        model, info = TinyForClassification.from_pretrained(
            tmp_path, num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True)
    assert model.classifier.weight.shape == (5, 4)
    assert info["mismatched_keys"] == ["classifier.weight", "classifier.bias"]
