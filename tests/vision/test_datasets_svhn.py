"""SVHN on fake MAT-files, and the MAT-file v5 reader against SciPy (the independent reference).

SVHN's files hold X (32, 32, 3, N) uint8 and y (N, 1) double, compressed, labels 1..10 with 10
for the digit 0 (MATLAB stores such doubles as uint8 elements, which our writer reproduces).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_datasets_base import DatasetTestCase, random_images, write_mat

from embervision import datasets
from embervision.datasets._matlab import loadmat

sio = pytest.importorskip("scipy.io")


class TestSVHN(DatasetTestCase):
    DATASET_CLASS = datasets.SVHN
    CONFIGS = ({"split": "train"}, {"split": "test"}, {"split": "extra"})
    REQUIRED_ATTRS = ("data", "labels")

    def inject_fake_data(self, root, config):
        rng = np.random.default_rng({"train": 0, "test": 1, "extra": 2}[config["split"]])
        n = 5
        images = random_images(rng, n, (32, 32, 3))
        digits = rng.integers(0, 10, n)
        digits[0] = 0  # always one zero, written as label 10
        x = np.stack(list(images), axis=3)  # (32, 32, 3, N): X[:, :, :, i] is image i
        y = np.where(digits == 0, 10, digits).astype(np.float64).reshape(n, 1)
        # As MATLAB writes SVHN: y's doubles stored as uint8 elements (not for 'train', so
        # both storages are read).
        narrow = None if config["split"] == "train" else {"y": np.uint8}
        write_mat(f"{root}/{config['split']}_32x32.mat", {"X": x, "y": y}, stored_as=narrow)
        return dict(images=images, targets=digits.tolist())

    def test_layout_and_label_zero(self, tmp_path, config):
        info, ds = self.expected(tmp_path, config)
        assert ds.data.shape == (5, 3, 32, 32) and ds.data.dtype == np.uint8
        assert ds.labels.dtype == np.int64 and ds.labels.shape == (5,)
        assert ds.labels[0] == 0 and ds[0][1] == 0
        assert repr(ds).endswith(f"Split: {config['split']}")

    def test_missing_file_names_it(self, tmp_path, config):
        with pytest.raises(RuntimeError) as info:
            datasets.SVHN(str(tmp_path), **config)
        assert str(info.value) == (f"Dataset not found at {tmp_path}/{config['split']}_32x32.mat."
                                   f" You can use download=True to download it")


def test_svhn_bad_split(tmp_path):
    with pytest.raises(ValueError, match="Unknown value 'val' for argument split. Valid values "
                                         "are {'train', 'test', 'extra'}."):
        datasets.SVHN(str(tmp_path), split="val")


def test_svhn_file_without_x_names_the_file(tmp_path):
    write_mat(tmp_path / "train_32x32.mat", {"y": np.ones((2, 1))})
    with pytest.raises(RuntimeError, match="train_32x32.mat holds no numeric variable 'X'"):
        datasets.SVHN(str(tmp_path))


def test_svhn_reads_a_file_written_by_scipy(tmp_path):
    rng = np.random.default_rng(3)
    x = random_images(rng, 1, (32, 32, 3, 4))[0]
    y = np.array([[10], [1], [2], [9]], dtype=np.uint8)
    sio.savemat(tmp_path / "train_32x32.mat", {"X": x, "y": y}, do_compression=True)
    ds = datasets.SVHN(str(tmp_path))
    assert ds.labels.tolist() == [0, 1, 2, 9]
    np.testing.assert_array_equal(np.asarray(ds[3][0]), x[:, :, :, 3])


# -------------------------------------------------------------------------------------------
# loadmat against scipy.io
# -------------------------------------------------------------------------------------------


def _same_as_scipy(path, names):
    ours = loadmat(path)
    ref = sio.loadmat(path)  # these files store every variable in its own class
    assert sorted(ours) == sorted(names)
    for name in names:
        expected = ref[name]
        if name == "logic":  # MATLAB's logical class: bool here (SciPy gives its uint8 storage)
            assert ours[name].dtype == bool
            expected = expected.astype(bool)
        assert ours[name].shape == expected.shape, name
        assert ours[name].dtype == expected.dtype.newbyteorder("="), name
        np.testing.assert_array_equal(ours[name], expected, err_msg=name)


@pytest.mark.parametrize("compress", [True, False])
def test_loadmat_matches_scipy_on_files_scipy_wrote(tmp_path, compress):
    rng = np.random.default_rng(0)
    variables = {
        "u8": rng.integers(0, 256, (3, 4, 2), dtype=np.uint8),
        "i16": rng.integers(-300, 300, (5, 1)).astype(np.int16),
        "u32": rng.integers(0, 2**31, (2, 2)).astype(np.uint32),
        "i64": rng.integers(-(2**40), 2**40, (1, 3)),
        "f32": rng.standard_normal((4, 3)).astype(np.float32),
        "f64": rng.standard_normal((2, 3, 4)),
        "c128": rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2)),
        "logic": rng.random((3, 3)) > 0.5,
        "scalar": np.float64(2.5),
        "empty": np.zeros((0, 3)),
        "text": "skipped: a char array",
        "cell": np.array([np.ones(2), "x"], dtype=object),
    }
    path = tmp_path / "scipy.mat"
    sio.savemat(path, variables, do_compression=compress)
    numeric = [k for k in variables if k not in ("text", "cell")]
    _same_as_scipy(path, numeric)


@pytest.mark.parametrize("endian", ["<", ">"])
def test_loadmat_big_and_little_endian_narrow_storage(tmp_path, endian):
    y = np.array([[10.0], [3.0], [250.0]])
    path = tmp_path / "e.mat"
    write_mat(path, {"y": y, "z": np.arange(6, dtype=np.int32).reshape(2, 3)}, e=endian,
              compress=endian == "<", stored_as=None)
    _same_as_scipy(path, ["y", "z"])
    write_mat(path, {"y": y}, e=endian, stored_as=np.uint8)
    got = loadmat(path)["y"]
    assert got.dtype == np.float64 and got.tolist() == [[10.0], [3.0], [250.0]]


def test_loadmat_variable_names_and_bytes_input(tmp_path):
    path = tmp_path / "v.mat"
    write_mat(path, {"a": np.ones((2, 2)), "b": np.zeros((1, 1))})
    assert list(loadmat(path, variable_names=["b"])) == ["b"]
    assert sorted(loadmat(path.read_bytes())) == ["a", "b"]


def test_loadmat_refuses_v73_hdf5(tmp_path):
    path = tmp_path / "h.mat"
    path.write_bytes(b"MATLAB 7.3 MAT-file".ljust(512, b" ") + b"\x89HDF\r\n\x1a\n" + bytes(64))
    with pytest.raises(RuntimeError, match="is a MAT-file v7.3 \\(HDF5\\)"):
        loadmat(path)


def test_loadmat_refuses_non_mat_files(tmp_path):
    path = tmp_path / "x.mat"
    path.write_bytes(b"<html>" + bytes(300))
    with pytest.raises(RuntimeError, match=f"loadmat: {path} is not a level-5 MAT-file"):
        loadmat(path)


def test_loadmat_reports_truncation_with_the_file_name(tmp_path):
    path = tmp_path / "t.mat"
    write_mat(path, {"X": np.ones((40, 40))}, compress=False)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(RuntimeError, match=f"loadmat: {path} is damaged: an element at byte 128 "
                                           f"declares"):
        loadmat(path)
    write_mat(path, {"X": np.ones((40, 40))}, compress=True)
    data = bytearray(path.read_bytes())
    data[140:150] = b"\xff" * 10  # corrupt the zlib stream
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="damaged: a compressed variable does not decompress"):
        loadmat(path)
