"""The image-classifier trainer (``embervision.train``) end to end, on tiny runs.

Each run uses a few dozen images of the embedded Fashion-MNIST subset (``--limit-train`` /
``--limit-test``) so the whole file takes seconds; the numbers a run reports are checked
against an independent NumPy computation, the files it writes against their formats, and a
stopped-then-resumed run against an uninterrupted one, bit for bit.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import re
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

import ember
from embervision import predict, train
from embervision._plot import nice_ticks, plot_curves
from embervision.datasets import EmbeddedFashionMNIST
from embervision.models import lenet
from embervision.train import UserError

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
LENET_KEYS = ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
              "classifier.0.weight", "classifier.0.bias", "classifier.2.weight",
              "classifier.2.bias", "classifier.4.weight", "classifier.4.bias"]
TINY = ["--limit-train", "64", "--limit-test", "32", "--batch-size", "32", "--workers", "0",
        "--no-progress"]


def run(out, *extra) -> dict:
    return train.main([*TINY, "--out", str(out), *extra])


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fixed_subset(n_total: int, n: int) -> np.ndarray:
    # --limit-*: the documented fixed subset (seed 0, independent of --seed), in index order.
    return np.sort(np.random.default_rng(0).permutation(n_total)[:n])


# ---------------------------------------------------------------------------------------------
# A tiny run: every output file, with the right content
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "run"
    result = run(out, "--epochs", "1")
    return out, result


def test_tiny_run_writes_every_output(tiny_run):
    out, result = tiny_run
    assert sorted(os.listdir(out)) == ["best.pt", "confusion_matrix.csv", "curves.png",
                                       "last.pt", "metrics.csv"]
    assert result["classes"] == FASHION_CLASSES
    assert len(result["history"]) == 1


def test_metrics_csv_matches_an_independent_evaluation(tiny_run):
    out, _ = tiny_run
    rows = read_csv(out / "metrics.csv")
    with open(out / "metrics.csv") as f:
        assert f.readline().strip() == ("epoch,train_loss,train_accuracy,test_loss,"
                                        "test_accuracy,lr,seconds")
    assert len(rows) == 1 and rows[0]["epoch"] == "1"
    row = {k: float(v) for k, v in rows[0].items()}
    # The cosine schedule ends the run at lr 0 (one epoch = the whole schedule).
    assert row["lr"] == pytest.approx(0.0, abs=1e-12)
    assert 0 < row["seconds"] and 0 < row["train_loss"] and 0 <= row["train_accuracy"] <= 1

    # Evaluate the saved model on the same 32 test images, preprocessed here with NumPy:
    # ToTensor (/255) and Normalize with Fashion-MNIST's mean and std.
    test = EmbeddedFashionMNIST(train=False)
    index = fixed_subset(2000, 32)
    images = test.data.numpy()[index].astype(np.float32)[:, None] / 255.0
    images = (images - 0.2860) / 0.3530
    labels = test.targets.numpy()[index]
    model = lenet()
    model.load_state_dict(ember.load(out / "last.pt")["model"])
    model.eval()
    with ember.no_grad():
        logits = model(ember.from_numpy(images)).numpy().astype(np.float64)
    shifted = logits - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    expected_loss = -log_probs[np.arange(32), labels].mean()
    expected_accuracy = (logits.argmax(1) == labels).mean()
    assert row["test_loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert row["test_accuracy"] == pytest.approx(expected_accuracy, abs=1e-12)

    # confusion_matrix.csv: rows are true classes, columns predictions, of those 32 images.
    with open(out / "confusion_matrix.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["true\\predicted"] + FASHION_CLASSES
    assert [r[0] for r in table[1:]] == FASHION_CLASSES
    counts = np.array([[int(v) for v in r[1:]] for r in table[1:]])
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (labels, logits.argmax(1)), 1)
    np.testing.assert_array_equal(counts, expected)


def test_checkpoint_holds_what_predict_and_resume_need(tiny_run):
    out, _ = tiny_run
    state = ember.load(out / "last.pt")
    assert set(state) == {"format", "epoch", "config", "classes", "model", "optimizer",
                          "scheduler", "rng", "history", "best"}
    assert state["format"] == "embervision.train/1" and state["epoch"] == 1
    assert state["classes"] == FASHION_CLASSES
    assert list(state["model"]) == LENET_KEYS
    assert tuple(state["model"]["classifier.4.weight"].shape) == (10, 84)
    config = state["config"]
    assert (config["dataset"], config["model"], config["optimizer"]) == ("embedded", "lenet",
                                                                         "adam")
    assert (config["epochs"], config["batch_size"], config["lr"], config["seed"]) == (1, 32,
                                                                                      2e-3, 0)
    assert config["preprocess"] == {"mode": "L", "native": 28, "channels": 1, "size": 28,
                                    "mean": [0.2860], "std": [0.3530]}
    assert set(state["rng"]) == {"ember", "shuffle", "python", "numpy"}
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert state["best"] == {"epoch": 1, "test_accuracy": state["history"][0]["test_accuracy"]}
    best = ember.load(out / "best.pt")
    for key in LENET_KEYS:  # one epoch: the best epoch is the last one
        np.testing.assert_array_equal(best["model"][key].numpy(), state["model"][key].numpy())


def test_curves_png_is_a_two_panel_image(tiny_run):
    out, _ = tiny_run
    with open(out / "curves.png", "rb") as f:
        head = f.read(33)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", head[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (960, 388)  # two 480x360 panels under a 28-pixel title
    assert zlib.crc32(head[12:29]) == struct.unpack(">I", head[29:33])[0]
    with Image.open(out / "curves.png") as img:
        pixels = np.asarray(img.convert("RGB"))
    blue, orange = (31, 119, 180), (255, 127, 14)  # the train and test colours
    assert (pixels == blue).all(-1).any() and (pixels == orange).all(-1).any()


def test_run_prints_epochs_and_a_confusion_summary(tmp_path, capsys):
    run(tmp_path, "--epochs", "1", "--limit-train", "32", "--limit-test", "16")
    printed = capsys.readouterr().out
    assert "embedded: 32 train / 16 test images, 10 classes; lenet, 61,706 trainable" in printed
    assert "epoch 1/1  train loss" in printed
    assert "final test accuracy" in printed
    assert "per-class accuracy: T-shirt/top" in printed


# ---------------------------------------------------------------------------------------------
# Learning, and resuming bit for bit
# ---------------------------------------------------------------------------------------------

RESUMABLE = ["--epochs", "2", "--limit-train", "160", "--limit-test", "64", "--batch-size",
             "32", "--workers", "2", "--no-progress", "--seed", "3"]


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    return out, train.main([*RESUMABLE, "--out", str(out)])


def test_loss_decreases_over_two_epochs(two_epochs):
    _, result = two_epochs
    first, second = result["history"]
    assert second["train_loss"] < first["train_loss"]
    assert second["test_loss"] < first["test_loss"]
    assert second["test_accuracy"] > 0.3  # chance is 0.1


def test_resume_equals_an_uninterrupted_run(two_epochs, tmp_path):
    # Two DataLoader workers: the augmentations are drawn in the workers, seeded per epoch
    # from the shuffling generator whose state the checkpoint holds.
    out_full, full = two_epochs
    stopped = train.main([*RESUMABLE, "--out", str(tmp_path), "--stop-after", "1"])
    assert len(stopped["history"]) == 1
    assert ember.load(tmp_path / "last.pt")["epoch"] == 1
    resumed = train.main([*RESUMABLE, "--out", str(tmp_path), "--resume"])

    a, b = ember.load(out_full / "last.pt"), ember.load(tmp_path / "last.pt")
    for key in LENET_KEYS:
        np.testing.assert_array_equal(a["model"][key].numpy(), b["model"][key].numpy())
    for key in ("exp_avg", "exp_avg_sq"):
        for p in a["optimizer"]["state"]:
            np.testing.assert_array_equal(a["optimizer"]["state"][p][key].numpy(),
                                          b["optimizer"]["state"][p][key].numpy())
    assert a["scheduler"] == b["scheduler"]
    assert ember.equal(a["rng"]["ember"], b["rng"]["ember"])
    drop = lambda h: {k: v for k, v in h.items() if k != "seconds"}  # noqa: E731
    assert [drop(h) for h in full["history"]] == [drop(h) for h in resumed["history"]]
    rows_a, rows_b = read_csv(out_full / "metrics.csv"), read_csv(tmp_path / "metrics.csv")
    assert [drop(r) for r in rows_a] == [drop(r) for r in rows_b]


def test_resume_refuses_a_different_run(two_epochs):
    out, _ = two_epochs
    with pytest.raises(UserError, match=r"is a run with --lr 0.002, not 0.1; drop the option"):
        train.main([*RESUMABLE, "--out", str(out), "--resume", "--lr", "0.1"])
    with pytest.raises(UserError, match=r"no checkpoint at .*nowhere.last\.pt; start the run"):
        train.main([*RESUMABLE, "--out", str(out / "nowhere"), "--resume"])


def test_resume_of_a_finished_run_does_nothing(two_epochs, capsys):
    out, full = two_epochs
    again = train.main([*RESUMABLE, "--out", str(out), "--resume"])
    assert again["history"] == full["history"]
    assert "nothing to do: the run in" in capsys.readouterr().out


def test_resume_reports_a_checkpoint_that_does_not_match_the_model(tmp_path):
    run(tmp_path, "--epochs", "2", "--stop-after", "1", "--limit-train", "32")
    state = ember.load(tmp_path / "last.pt")
    state["model"]["classifier.4.weight"] = ember.zeros(5, 84)
    ember.save(state, tmp_path / "last.pt")
    with pytest.raises(UserError, match=r"does not match model lenet: .*classifier\.4\.weight"):
        run(tmp_path, "--epochs", "2", "--limit-train", "32", "--resume")


# ---------------------------------------------------------------------------------------------
# ImageFolder trees written here
# ---------------------------------------------------------------------------------------------


def write_shape(path, shape: str, size: int, offset: int) -> None:
    img = Image.new("RGB", (size, size), (30, 30, 30))
    draw = ImageDraw.Draw(img)
    box = [4 + offset % 3, 4 + offset % 2, size - 5, size - 4]
    (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=(240, 200, 60))
    img.save(path)


def make_tree(root, per_class: dict[str, int]) -> None:
    for split, count in per_class.items():
        for shape in ("circle", "square"):
            os.makedirs(root / split / shape, exist_ok=True)
            for i in range(count):
                write_shape(root / split / shape / f"{i:03d}.png", shape, 20 + 4 * i, i)


def test_imagefolder_tree_trains(tmp_path):
    make_tree(tmp_path / "shapes", {"train": 4, "val": 2})
    result = run(tmp_path / "run", "--dataset", str(tmp_path / "shapes"), "--model", "lenet",
                 "--epochs", "1")
    assert result["classes"] == ["circle", "square"]
    state = ember.load(tmp_path / "run" / "last.pt")
    assert state["config"]["dataset"] == str(tmp_path / "shapes")
    # lenet takes 28x28 grayscale: RGB images of any size are resized and converted; the
    # ImageNet statistics (averaged over the channels for one channel) normalise them.
    assert state["config"]["preprocess"] == {
        "mode": "RGB", "native": None, "channels": 1, "size": 28,
        "mean": [pytest.approx(0.449)], "std": [pytest.approx(0.226)]}
    with open(tmp_path / "run" / "confusion_matrix.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["true\\predicted", "circle", "square"]
    assert sum(int(v) for row in table[1:] for v in row[1:]) == 4  # the val/ images


def test_imagefolder_corrupt_image_is_named(tmp_path, capsys):
    make_tree(tmp_path / "shapes", {"train": 3, "val": 1})
    broken = tmp_path / "shapes" / "train" / "square" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a PNG")
    args = [*TINY, "--out", str(tmp_path / "run"), "--dataset", str(tmp_path / "shapes"),
            "--model", "lenet", "--epochs", "1"]
    with pytest.raises(UserError, match=rf"corrupt image in the dataset: .*{broken}"):
        train.main(args)
    assert train.cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("embervision-train: error: corrupt image in the dataset: ")
    assert str(broken) in err and "delete or replace the file" in err
    assert "\n" not in err  # one line, no traceback


def idx_gz(array: np.ndarray) -> bytes:
    """An IDX file (uint8): magic 0x0000080N, N big-endian sizes, the bytes; gzip-compressed."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def test_mnist_download_from_a_local_server(tmp_path, file_server, monkeypatch):
    from embervision import datasets

    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", 24), ("t10k", 8)):
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_gz(rng.integers(0, 256, (n, 28, 28)))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_gz(rng.integers(0, 10, n))
    monkeypatch.setattr(datasets.MNIST, "mirrors", [file_server.url + "/mnist/"])
    monkeypatch.setattr(datasets.MNIST, "resources",
                        [(name, hashlib.md5(data).hexdigest()) for name, data in files.items()])
    root = tmp_path / "data"
    args = ["--dataset", "mnist", "--data-root", str(root), "--epochs", "1"]
    with pytest.raises(UserError, match=r"--download: could not download mnist into "):
        run(tmp_path / "run", *args, "--download")  # the server has no files yet
    for name, data in files.items():
        file_server.files[f"/mnist/{name}"] = data
    result = run(tmp_path / "run", *args, "--download")
    assert result["classes"][0] == "0 - zero" and len(result["history"]) == 1
    assert sorted(n for n in os.listdir(root / "MNIST" / "raw") if n.endswith(".gz")) == sorted(
        files)
    served = len(file_server.requests)
    run(tmp_path / "run2", *args)  # present now: no --download needed, nothing fetched
    assert len(file_server.requests) == served


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]


def write_cifar10(root, per_batch: int = 4) -> None:
    """cifar-10-batches-py in the real layout: protocol-2 pickles of dicts whose rows hold the
    1024 red values of an image, then the green, then the blue."""
    import pickle

    folder = root / "cifar-10-batches-py"
    os.makedirs(folder)
    rng = np.random.default_rng(1)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"labels": rng.integers(0, 10, per_batch).tolist(),
                 "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": CIFAR_NAMES, "num_vis": 3072}, f, protocol=2)


def test_cifar10_defaults_and_an_rgb_dataset_for_a_grayscale_model(tmp_path):
    args = train.build_parser().parse_args(["--dataset", "cifar10"])
    assert train._resolve(args)["model"] == "resnet18"  # lenet suits 28x28 grayscale only
    write_cifar10(tmp_path / "data")
    result = run(tmp_path / "run", "--dataset", "cifar10", "--data-root", str(tmp_path / "data"),
                 "--model", "lenet", "--epochs", "1")
    assert result["classes"] == CIFAR_NAMES
    pre = ember.load(tmp_path / "run" / "last.pt")["config"]["preprocess"]
    # 32x32 RGB images become lenet's 28x28 grayscale; CIFAR's channel statistics averaged.
    assert pre == {"mode": "RGB", "native": 32, "channels": 1, "size": 28,
                   "mean": [pytest.approx(0.4734, abs=1e-4)],
                   "std": [pytest.approx(0.2507, abs=1e-4)]}
    rows = read_csv(tmp_path / "run" / "metrics.csv")
    assert len(rows) == 1


def test_single_tree_holds_out_a_fixed_fifth_of_each_class():
    targets = [0] * 10 + [1] * 5 + [2] * 1
    train_idx, test_idx = train._held_out_split(targets)
    assert sorted(train_idx + test_idx) == list(range(16))
    test_classes = sorted(targets[i] for i in test_idx)
    assert test_classes == [0, 0, 1]  # 20% of 10, at least one of 5, none of a lone image
    assert train._held_out_split(targets) == (train_idx, test_idx)  # fixed


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=60))
def test_held_out_split_partitions_by_class(targets):
    train_idx, test_idx = train._held_out_split(targets)
    assert sorted(train_idx + test_idx) == list(range(len(targets)))
    counts = np.bincount(targets, minlength=5)
    held = np.bincount(np.asarray(targets, int)[test_idx], minlength=5)
    expected = np.where(counts >= 2, np.maximum(1, np.round(counts * 0.2)), 0)
    np.testing.assert_array_equal(held, expected)


# ---------------------------------------------------------------------------------------------
# Fine-tuning from published weights (placed in the hub cache: no network)
# ---------------------------------------------------------------------------------------------


def test_pretrained_fine_tuning_replaces_the_head_and_freezes_the_backbone(tmp_path,
                                                                          monkeypatch):
    from ember import hub
    from embervision.models import SqueezeNet1_1_Weights, squeezenet1_1

    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    published = squeezenet1_1().state_dict()  # stands in for the ImageNet checkpoint
    cache = tmp_path / "home" / "hub" / "checkpoints"
    os.makedirs(cache)
    ember.save(published, cache / os.path.basename(SqueezeNet1_1_Weights.DEFAULT.url))

    result = run(tmp_path / "run", "--model", "squeezenet1_1", "--pretrained",
                 "--freeze-backbone", "--limit-train", "16", "--limit-test", "8",
                 "--batch-size", "8", "--epochs", "1")
    model = result["model"]
    # squeezenet's head is a 1x1 convolution to the classes: replaced by one with 10 outputs.
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["classifier.1.weight", "classifier.1.bias"]
    assert tuple(model.classifier[1].weight.shape) == (10, 512, 1, 1)
    state = ember.load(tmp_path / "run" / "last.pt")
    for key in ("features.0.weight", "features.12.expand3x3.weight"):  # frozen
        np.testing.assert_array_equal(state["model"][key].numpy(), published[key].numpy())
    # Grayscale 28x28 images become 3 channels for the RGB network (at least its min_size,
    # 17), normalised with the weights' ImageNet statistics.
    assert state["config"]["preprocess"] == {
        "mode": "L", "native": 28, "channels": 3, "size": 28,
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def test_replace_head_swaps_the_last_linear_for_the_classes():
    from ember import nn

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(16, 8), nn.ReLU(),
                          nn.Linear(8, 1000))
    head = predict._replace_head(model, 5, 1000)
    assert model[4] is head and (head.in_features, head.out_features) == (8, 5)
    assert model(ember.zeros(2, 3, 4, 4)).shape == (2, 5)
    with pytest.raises(UserError, match="cannot find the classifier head of Sequential"):
        predict._replace_head(nn.Sequential(nn.Linear(3, 4)), 5, 1000)


# ---------------------------------------------------------------------------------------------
# Errors a user can act on
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--model", "resnet9000"],
     r"--model resnet9000: unknown model; the registered models are .*lenet.*resnet18"),
    (["--dataset", "mnist", "--data-root", "{tmp}"],
     r"mnist is not in {tmp} .*Run again with --download to fetch it \(about 12 MB, once\)"),
    (["--dataset", "{tmp}/no-such-folder"],
     r"not a built-in dataset \(embedded, fashionmnist, mnist, cifar10\) and not a folder"),
    (["--dataset", "{tmp}"], r"not a usable ImageFolder tree: Couldn't find any class folder"),
    (["--freeze-backbone"], r"--freeze-backbone needs --pretrained"),
    (["--pretrained"], r"--pretrained: no published weights for model lenet"),
    (["--limit-train", "0"], r"--limit-train must be at least 1, got 0"),
    (["--workers", "-1"], r"--workers must be 0 or more, got -1"),
    (["--image-size", "32"], r"--model lenet cannot take 1 x 32 x 32 images \(LeNet: expected"),
    (["--epochs", "0"], r"--epochs must be at least 1, got 0"),
])
def test_errors_name_the_problem_and_the_fix(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    with pytest.raises(UserError, match=message.replace("{tmp}", re.escape(str(tmp_path)))):
        run(tmp_path / "run", *args)
    assert not os.path.exists(tmp_path / "run")  # nothing written for a refused run


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the message without CUDA")
def test_cuda_without_a_gpu_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"--device cuda: no CUDA device is available"):
        run(tmp_path / "run", "--device", "cuda")


def test_worker_errors_are_reported_without_the_worker_traceback():
    from ember.utils.data._worker import ExceptionWrapper

    try:
        raise UserError("corrupt image in the dataset: cannot load image file x.png: broken")
    except UserError:
        wrapped = ExceptionWrapper(where="in DataLoader worker process 1")
    with pytest.raises(UserError) as info:
        wrapped.reraise()
    assert "Original Traceback" in str(info.value)
    assert train.user_message(info.value) == ("corrupt image in the dataset: cannot load image "
                                              "file x.png: broken")


def test_console_script_exits_2_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "embervision.train", "--model", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("embervision-train: error: --model nope: unknown model;")
    assert proc.stderr.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# The plot and the summary
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e4, 1e4), st.floats(1e-6, 1e4))
def test_nice_ticks_cover_the_range_with_round_steps(low, span):
    high = low + span
    ticks = nice_ticks(low, high)
    assert 2 <= len(ticks) <= 12
    step = ticks[1] - ticks[0]
    # The ticks cover the range (up to float noise, a billionth of a step).
    assert ticks[0] <= low + 1e-6 * step and ticks[-1] >= high - 1e-6 * step
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-3  # float error of k * step


def test_nice_ticks_examples():
    assert nice_ticks(0.23, 0.91) == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(80.0, 91.0) == [80, 85, 90, 95]
    assert nice_ticks(5.0, 5.0) == [4.5, 5.0, 5.5]  # a flat line still gets an axis


def test_plot_curves_size_and_title_band(tmp_path):
    history = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.2 / e,
                "train_accuracy": 0.5 + 0.05 * e, "test_accuracy": 0.45 + 0.05 * e}
               for e in range(1, 6)]
    path = plot_curves(history, tmp_path / "c.png")
    with Image.open(path) as img:
        assert img.size == (960, 360) and img.mode == "RGB"
    with Image.open(plot_curves(history, tmp_path / "t.png", title="x")) as img:
        assert img.size == (960, 388)
    assert sorted(os.listdir(tmp_path)) == ["c.png", "t.png"]  # no temporary left behind


def test_confusion_summary():
    text = train.confusion_summary(np.array([[8, 2, 0], [1, 9, 0], [0, 0, 0]]),
                                   ["cat", "dog", "eel"])
    assert text == ("per-class accuracy: cat 80.0%, dog 90.0%, eel -\n"
                    "most confused (true -> predicted): cat -> dog (2), dog -> cat (1)")
