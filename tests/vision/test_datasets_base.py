"""The dataset test base class (torchvision's DatasetTestCase idea) and the fake-file writers.

A test class names the dataset, its constructor CONFIGS, and writes fake files in the real
on-disk layout in `inject_fake_data(root, config)`, returning what it wrote (the images as
HWC / HW uint8 arrays and the targets). The generic tests below then check every configuration:
decoded pixels and targets equal what was written, types, len, transforms, attributes, repr,
IndexError at the end, and the not-found message.

The writers build each layout from its specification, independently of the readers (IDX with
struct, CIFAR rows as R|G|B planes, STL-10 channels column-major, MAT-files element by element);
the MAT writer is itself checked against scipy.io.loadmat here.
"""

from __future__ import annotations

import gzip
import os
import pickle
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

# -------------------------------------------------------------------------------------------
# Writers of the real layouts
# -------------------------------------------------------------------------------------------

_IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
              np.float64: 0x0E}


def write_idx(path, array, compress: bool = False) -> str:
    """IDX: magic 0x0000TTNN, NN big-endian uint32 sizes, big-endian row-major data."""
    array = np.asarray(array)
    code = _IDX_CODES[array.dtype.type]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path = str(path) + (".gz" if compress else "")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if compress else data)
    return path


def cifar_rows(images_hwc: np.ndarray) -> np.ndarray:
    """CIFAR's row per image: the 1024 red values, then green, then blue, each row-major."""
    rows = [np.concatenate([img[:, :, c].ravel() for c in range(3)]) for img in images_hwc]
    return np.stack(rows).astype(np.uint8) if rows else np.zeros((0, 3072), np.uint8)


def write_pickle(path, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)  # the real batches are protocol-2 (Python 2) pickles


def stl10_bytes(images_hwc: np.ndarray) -> bytes:
    """STL-10: per image, the 3 channels one after another, each column-major."""
    return b"".join(img[:, :, c].ravel(order="F").tobytes() for img in images_hwc
                    for c in range(3))


_MI = {np.int8: 1, np.uint8: 2, np.int16: 3, np.uint16: 4, np.int32: 5, np.uint32: 6,
       np.float32: 7, np.float64: 9, np.int64: 12, np.uint64: 13}
_MX = {np.float64: 6, np.float32: 7, np.int8: 8, np.uint8: 9, np.int16: 10, np.uint16: 11,
       np.int32: 12, np.uint32: 13, np.int64: 14, np.uint64: 15}


def _element(mdtype: int, payload: bytes, e: str, small_ok: bool = True) -> bytes:
    if small_ok and len(payload) <= 4:  # small data element format
        return struct.pack(e + "I", (len(payload) << 16) | mdtype) + payload.ljust(4, b"\0")
    pad = (-len(payload)) % 8
    return struct.pack(e + "II", mdtype, len(payload)) + payload + b"\0" * pad


def mat_variable(name: str, array, e: str = "<", stored_as=None, logical=False) -> bytes:
    """An miMATRIX element (MATLAB level 5). ``stored_as``: a narrower storage dtype for the
    real part, as MATLAB writes small-integer doubles."""
    array = np.asarray(array)
    if array.ndim < 2:
        array = array.reshape(1, -1) if array.ndim == 1 else array.reshape(1, 1)
    is_complex = np.iscomplexobj(array)
    real = array.real if is_complex else array
    cls_type = real.dtype.type if not logical else np.uint8
    flags = _MX[cls_type] | (0x0800 if is_complex else 0) | (0x0200 if logical else 0)
    body = _element(6, struct.pack(e + "II", flags, 0), e)
    body += _element(5, struct.pack(f"{e}{array.ndim}i", *array.shape), e)
    body += _element(1, name.encode("ascii"), e)
    for part in ([real, array.imag] if is_complex else [real]):
        store = np.dtype(stored_as or part.dtype).newbyteorder(e)
        body += _element(_MI[store.type], part.astype(store).ravel(order="F").tobytes(), e)
    return struct.pack(e + "II", 14, len(body)) + body


def write_mat(path, variables: dict, e: str = "<", compress: bool = True, stored_as=None) -> None:
    """A level-5 MAT-file holding ``variables`` (name -> array), each optionally zlib-wrapped;
    ``stored_as``: a storage dtype for every variable, or a dict name -> dtype."""
    text = b"MATLAB 5.0 MAT-file, written by the embervision tests"
    header = text.ljust(116, b" ") + b"\0" * 8 + struct.pack(e + "H", 0x0100)
    header += struct.pack(e + "H", 0x4D49)  # 'MI' as a 16-bit integer: reads 'IM' little-endian
    out = [header]
    for name, array in variables.items():
        store = stored_as.get(name) if isinstance(stored_as, dict) else stored_as
        element = mat_variable(name, array, e, stored_as=store)
        if compress:
            packed = zlib.compress(element)
            element = struct.pack(e + "II", 15, len(packed)) + packed
        out.append(element)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def random_images(rng, n: int, shape: tuple) -> np.ndarray:
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8)


# -------------------------------------------------------------------------------------------
# The base test case
# -------------------------------------------------------------------------------------------


class DatasetTestCase:
    """Generic checks for a dataset; subclasses set DATASET_CLASS and write fake files."""

    DATASET_CLASS = None
    CONFIGS = ({},)
    REQUIRED_ATTRS = ()

    def inject_fake_data(self, root: str, config: dict) -> dict:
        """Write fake files for ``config`` under ``root``; return dict(images=, targets=)."""
        raise NotImplementedError

    def make(self, root, config, **kwargs):
        return self.DATASET_CLASS(str(root), **config, **kwargs)

    def expected(self, tmp_path, config):
        info = self.inject_fake_data(str(tmp_path), config)
        return info, self.make(tmp_path, config)

    def test_pixels_and_targets_are_decoded_exactly(self, tmp_path, config):
        info, ds = self.expected(tmp_path, config)
        assert len(ds) == len(info["images"]) == len(info["targets"])
        for i in range(len(ds)):
            img, target = ds[i]
            assert isinstance(img, Image.Image) and type(target) is int
            np.testing.assert_array_equal(np.asarray(img), info["images"][i], err_msg=f"item {i}")
            assert target == info["targets"][i]

    def test_index_past_the_end_raises_index_error(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        with pytest.raises(IndexError):
            ds[len(ds)]

    def test_transforms_are_applied(self, tmp_path, config):
        info = self.inject_fake_data(str(tmp_path), config)
        seen = []
        ds = self.make(tmp_path, config, transform=lambda img: ("T", np.asarray(img).shape),
                       target_transform=lambda t: seen.append(t) or ("TT", t))
        img, target = ds[0]
        assert img == ("T", np.asarray(info["images"][0]).shape)
        assert target == ("TT", info["targets"][0]) and seen == [info["targets"][0]]

    def test_attributes(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        for name in self.REQUIRED_ATTRS:
            assert hasattr(ds, name), name
        if "class_to_idx" in self.REQUIRED_ATTRS:
            assert ds.class_to_idx == {c: i for i, c in enumerate(ds.classes)}

    def test_repr(self, tmp_path, config):
        _, ds = self.expected(tmp_path, config)
        text = repr(ds)
        assert text.startswith(f"Dataset {self.DATASET_CLASS.__name__}\n")
        assert f"    Number of datapoints: {len(ds)}" in text
        assert f"    Root location: {tmp_path}" in text

    def test_missing_files_are_reported_with_the_folder(self, tmp_path, config):
        # (datasets without download= set this test to None in their class)
        with pytest.raises(RuntimeError, match="^Dataset not found at .*You can use "
                                               "download=True to download it$") as info:
            self.make(tmp_path, config)
        assert str(tmp_path) in str(info.value)


# -------------------------------------------------------------------------------------------
# The MAT writer above is itself checked against SciPy's reader
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("endian", ["<", ">"])
def test_mat_writer_is_read_by_scipy(tmp_path, compress, endian):
    sio = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(0)
    x = random_images(rng, 1, (4, 3, 2, 5))[0]
    y = np.arange(1, 6, dtype=np.float64).reshape(5, 1)
    path = tmp_path / "t.mat"
    write_mat(path, {"X": x, "y": y}, e=endian, compress=compress)
    mat = sio.loadmat(path)
    np.testing.assert_array_equal(mat["X"], x)
    np.testing.assert_array_equal(mat["y"], y)
    write_mat(path, {"y": y}, e=endian, compress=compress, stored_as=np.uint8)
    assert sio.loadmat(path)["y"].dtype == np.uint8  # SciPy's default: the storage type
    got = sio.loadmat(path, mat_dtype=True)["y"]  # MATLAB's type: the array's class
    assert got.dtype.kind == "f" and got.dtype.itemsize == 8  # float64 (either byte order)
    np.testing.assert_array_equal(got, y)


def test_idx_writer_layout_literal(tmp_path):
    path = write_idx(tmp_path / "x", np.array([[1, 2, 3], [4, 5, 6]], np.uint8))
    with open(path, "rb") as f:
        data = f.read()
    assert data == bytes.fromhex("00000802" "00000002" "00000003") + bytes([1, 2, 3, 4, 5, 6])


def test_stl10_and_cifar_layout_literals():
    img = np.arange(2 * 2 * 3, dtype=np.uint8).reshape(2, 2, 3)  # img[r, c, ch] = 6r + 3c + ch
    # column-major per channel: (r0,c0), (r1,c0), (r0,c1), (r1,c1)
    assert stl10_bytes(img[None]) == bytes([0, 6, 3, 9, 1, 7, 4, 10, 2, 8, 5, 11])
    assert cifar_rows(img[None]).tolist() == [[0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]]
