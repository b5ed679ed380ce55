"""ember.save / ember.load round trips, the layout of what save writes, atomicity, safetensors."""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import struct
import zipfile
from collections import OrderedDict

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import serialization

ALL_DTYPES = [ember.bool, ember.uint8, ember.int8, ember.int16, ember.int32, ember.int64,
              ember.float16, ember.bfloat16, ember.float32, ember.float64, ember.complex64,
              ember.complex128]

# The only globals an Ember checkpoint of tensors and plain data may name.
ALLOWED_GLOBALS = {
    "torch._utils _rebuild_tensor_v2", "torch._utils _rebuild_parameter",
    "collections OrderedDict", "torch device", "torch Size",
    "__builtin__ set", "__builtin__ frozenset", "__builtin__ complex", "_codecs encode",
    "builtins set", "builtins frozenset", "builtins complex",  # protocol >= 3 spelling
} | {f"torch {name}Storage" for name in ("Double", "Float", "Half", "BFloat16", "Long", "Int",
                                          "Short", "Char", "Byte", "Bool", "ComplexFloat",
                                          "ComplexDouble")
     } | {f"torch {d.name}" for d in ALL_DTYPES}


def _array(dtype, shape=(2, 3)):
    values = np.arange(int(np.prod(shape))).reshape(shape) % 5 - 2
    return (values != 0 if dtype is ember.bool else values).astype(dtype.np_dtype)


def _globals_in(data_pkl: bytes) -> set[str]:
    """'module name' of every GLOBAL, INST and STACK_GLOBAL (following the memo for the last)."""
    found, pushed, memo = set(), [], {}
    for opcode, arg, _ in pickletools.genops(data_pkl):
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            found.add(arg)
        elif name == "STACK_GLOBAL":
            found.add(f"{pushed[-2]} {pushed[-1]}")
        elif name == "MEMOIZE":
            memo[len(memo)] = pushed[-1]
            continue
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = pushed[-1]
            continue
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo[arg])
            continue
        elif name in ("PROTO", "FRAME"):
            continue
        pushed.append(arg if isinstance(arg, str) else None)
    return found


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_round_trip_every_dtype(tmp_path, dtype):
    values = _array(dtype)
    ember.save(ember.from_numpy(values), tmp_path / "t.pt")
    back = ember.load(tmp_path / "t.pt")
    assert back.dtype is dtype and back.shape == (2, 3)
    np.testing.assert_array_equal(back.numpy(), values)
    assert back.numpy().flags.writeable


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1, 1, 1)])
def test_round_trip_scalars_and_empty(tmp_path, shape):
    values = np.full(shape, 2.5, np.float32)
    ember.save(ember.from_numpy(values), tmp_path / "t.pt")
    back = ember.load(tmp_path / "t.pt")
    assert back.shape == shape
    np.testing.assert_array_equal(back.numpy(), values)


def test_round_trip_nested_containers(tmp_path):
    obj = {
        "model": OrderedDict(w=ember.ones(2, 2), b=ember.zeros(2)),
        "optimizer": {"state": {0: {"step": 3, "exp_avg": ember.full((2,), 0.5)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0]}]},
        "epoch": 7, "loss": 0.25, "name": "run-1", "blob": b"\x00\xff", "none": None,
        "flags": (True, False), "ids": {1, 2, 3}, "frozen": frozenset({4}), "z": 1 - 2j,
        "dtype": ember.bfloat16, "device": ember.device("cpu"), "size": ember.Size([2, 3]),
        "np": np.int64(5),
    }
    path = tmp_path / "ckpt.pth"
    ember.save(obj, path)
    back = ember.load(path)
    assert type(back["model"]) is OrderedDict and list(back["model"]) == ["w", "b"]
    np.testing.assert_array_equal(back["model"]["w"].numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(back["optimizer"]["state"][0]["exp_avg"].numpy(), [0.5, 0.5])
    assert back["optimizer"]["param_groups"] == [{"lr": 1e-3, "betas": (0.9, 0.999),
                                                  "params": [0]}]
    plain = {k: back[k] for k in ("epoch", "loss", "name", "blob", "none", "flags", "ids",
                                  "frozen", "z", "np")}
    assert plain == {"epoch": 7, "loss": 0.25, "name": "run-1", "blob": b"\x00\xff",
                     "none": None, "flags": (True, False), "ids": {1, 2, 3},
                     "frozen": frozenset({4}), "z": 1 - 2j, "np": 5}
    assert back["dtype"] is ember.bfloat16 and back["device"] == ember.device("cpu")
    assert back["size"] == (2, 3) and isinstance(back["size"], ember.Size)


def test_state_dict_metadata_attribute_is_kept(tmp_path):
    # Module.state_dict() hangs per-module versions on the OrderedDict as `_metadata`;
    # torch.save keeps that attribute and load_state_dict reads it back.
    sd = OrderedDict(w=ember.ones(1))
    sd._metadata = OrderedDict({"": {"version": 1}, "fc": {"version": 2}})
    ember.save(sd, tmp_path / "m.pt")
    back = ember.load(tmp_path / "m.pt")
    assert back._metadata == {"": {"version": 1}, "fc": {"version": 2}}


def test_shared_memory_is_kept(tmp_path):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    full = ember.from_numpy(base)
    cols = ember.from_numpy(base[1:, ::2])      # offset 6, strides (6, 2)
    col_t = ember.from_numpy(base.T[2])         # offset 2, stride (6,)
    same = ember.from_numpy(base)               # another tensor on the very same array
    ember.save({"full": full, "cols": cols, "col_t": col_t, "same": same}, tmp_path / "s.pt")
    with zipfile.ZipFile(tmp_path / "s.pt") as zf:
        assert [n for n in zf.namelist() if "/data/" in n] == ["s/data/0"]  # one storage
    d = ember.load(tmp_path / "s.pt")
    np.testing.assert_array_equal(d["cols"].numpy(), base[1:, ::2])
    np.testing.assert_array_equal(d["col_t"].numpy(), [2, 8, 14, 20])
    assert d["cols"].stride() == (6, 2)
    d["full"].numpy()[1, 2] = -1.0
    assert d["cols"].numpy()[0, 1] == -1.0 and d["same"].numpy()[1, 2] == -1.0
    assert d["col_t"].numpy()[0] == 2.0
    d["col_t"].numpy()[0] = 99.0
    assert d["full"].numpy()[0, 2] == 99.0


def test_view_saves_only_the_span_it_uses(tmp_path):
    big = np.arange(1000, dtype=np.float64)
    ember.save(ember.from_numpy(big[10:13]), tmp_path / "v.pt")
    with zipfile.ZipFile(tmp_path / "v.pt") as zf:
        assert zf.getinfo("v/data/0").file_size == 3 * 8
    np.testing.assert_array_equal(ember.load(tmp_path / "v.pt").numpy(), [10, 11, 12])


def test_negative_and_zero_strides(tmp_path):
    base = np.arange(6, dtype=np.int32).reshape(2, 3)
    flipped = ember.from_numpy(base[:, ::-1])
    expanded = ember.from_numpy(np.broadcast_to(base[0], (4, 3)))
    ember.save([flipped, expanded], tmp_path / "n.pt")
    f, e = ember.load(tmp_path / "n.pt")
    np.testing.assert_array_equal(f.numpy(), [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(e.numpy(), np.tile([0, 1, 2], (4, 1)))
    assert e.stride() == (0, 1)  # an expanded tensor stays expanded, as in PyTorch


def test_same_tensor_twice_loads_as_one_object(tmp_path):
    t = ember.ones(3)
    ember.save([t, t], tmp_path / "t.pt")
    a, b = ember.load(tmp_path / "t.pt")
    assert a is b


def test_requires_grad_and_parameter_are_kept(tmp_path):
    w = ember.ones(2, requires_grad=True)
    y = w * 2  # not a leaf: saved as a leaf requiring grad, as torch.save does
    obj = {"w": w, "y": y, "p": None}
    if isinstance(ember.nn.Parameter, type) and issubclass(ember.nn.Parameter, ember.Tensor):
        obj["p"] = ember.nn.Parameter(ember.zeros(3))
    ember.save(obj, tmp_path / "g.pt")
    back = ember.load(tmp_path / "g.pt")
    assert back["w"].requires_grad and back["y"].requires_grad and back["y"].is_leaf
    np.testing.assert_array_equal(back["y"].detach().numpy(), [2.0, 2.0])
    if obj["p"] is not None:
        assert type(back["p"]) is ember.nn.Parameter and back["p"].requires_grad


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(tmp_path, protocol):
    ember.save({"a": ember.arange(3), "s": "x"}, tmp_path / "p.pt", pickle_protocol=protocol)
    back = ember.load(tmp_path / "p.pt")
    assert back["a"].tolist() == [0, 1, 2] and back["s"] == "x"


def test_bad_pickle_protocol():
    with pytest.raises(ValueError, match="pickle_protocol"):
        ember.save(1, io.BytesIO(), pickle_protocol=1)


def test_legacy_round_trip(tmp_path):
    base = np.arange(6, dtype=np.float32)
    obj = OrderedDict(a=ember.from_numpy(base), b=ember.from_numpy(base[2:].reshape(2, 2)),
                      c=ember.tensor([7]))
    ember.save(obj, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    raw = (tmp_path / "old.pt").read_bytes()
    assert raw[:4] == b"\x80\x02\x8a\x0a" and not zipfile.is_zipfile(tmp_path / "old.pt")
    back = ember.load(tmp_path / "old.pt")
    np.testing.assert_array_equal(back["b"].numpy(), [[2, 3], [4, 5]])
    back["a"].numpy()[2] = 50.0
    assert back["b"].numpy()[0, 0] == 50.0
    assert back["c"].tolist() == [7]


def test_file_object_and_archive_names(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.ones(2)}, buf)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"
    buf.seek(0)
    assert ember.load(buf)["x"].tolist() == [1.0, 1.0]
    ember.save(1, tmp_path / "model.v1.pt")  # torch.save: the file name minus its extension
    assert zipfile.ZipFile(tmp_path / "model.v1.pt").namelist()[0] == "model.v1/data.pkl"
    ember.save(2, str(tmp_path / "noext"))
    assert ember.load(str(tmp_path / "noext")) == 2


@given(st.lists(st.tuples(st.sampled_from(ALL_DTYPES),
                          st.lists(st.integers(0, 3), min_size=0, max_size=3),
                          st.integers(0, 2)), min_size=1, max_size=4))
@settings(max_examples=25, deadline=None)
def test_round_trip_property(items):
    # Random dtypes and shapes, each tensor a strided slice of its own base array.
    tensors, expected = {}, {}
    for i, (dtype, shape, start) in enumerate(items):
        base = _array(dtype, (len(shape) + 1, *[n + start for n in shape]))
        view = base[(slice(1, None),) + (slice(start, None),) * len(shape)]
        tensors[f"t{i}"], expected[f"t{i}"] = ember.from_numpy(view), view
    buf = io.BytesIO()
    ember.save(tensors, buf)
    back = ember.load(io.BytesIO(buf.getvalue()))
    for key, view in expected.items():
        assert back[key].dtype is ember.from_numpy(view).dtype
        np.testing.assert_array_equal(back[key].numpy(), view)


# ---------------------------------------------------------------------------------------------
# The layout save writes (read back here without ember.load)
# ---------------------------------------------------------------------------------------------


class _TorchStandIn(pickle.Unpickler):
    """Reads an Ember checkpoint's pickle the way torch.load does, with NumPy stand-ins."""

    def __init__(self, file, records):
        super().__init__(file)
        self.records = records

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda s, off, size, stride, rg, hooks: (
                np.lib.stride_tricks.as_strided(s[off:], size, [x * s.itemsize for x in stride])
                .copy(), rg)
        if module == "torch" and name.endswith("Storage"):
            return {"FloatStorage": "<f4", "LongStorage": "<i8", "BFloat16Storage": "<u2"}[name]
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        raise AssertionError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, location, numel = pid
        assert kind == "storage" and location == "cpu"
        return np.frombuffer(self.records[key], storage_type)[:numel]


def test_zip_layout_matches_torch_save(tmp_path):
    base = np.arange(6, dtype=np.float32).reshape(2, 3)
    ember.save(OrderedDict(w=ember.from_numpy(base), v=ember.from_numpy(base[:, 1]),
                           n=ember.tensor([5, 6]), h=ember.ones(2, dtype=ember.bfloat16)),
               tmp_path / "m.pt")
    with zipfile.ZipFile(tmp_path / "m.pt") as zf:
        names = zf.namelist()
        assert names == ["m/data.pkl", "m/.format_version", "m/.storage_alignment",
                         "m/byteorder", "m/data/0", "m/data/1", "m/data/2", "m/version"]
        assert zf.read("m/byteorder") == b"little" and zf.read("m/version") == b"3\n"
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if "/data/" in info.filename:  # storages start on 64-byte boundaries
                offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
                assert offset % 64 == 0
        records = {n.split("/")[-1]: zf.read(n) for n in names if "/data/" in n}
        data_pkl = zf.read("m/data.pkl")
    assert data_pkl[:2] == b"\x80\x02"
    assert np.frombuffer(records["0"], "<f4").tolist() == [0, 1, 2, 3, 4, 5]
    sd = _TorchStandIn(io.BytesIO(data_pkl), records).load()
    assert list(sd) == ["w", "v", "n", "h"]
    np.testing.assert_array_equal(sd["v"][0], [1, 4])
    np.testing.assert_array_equal(sd["n"][0], [5, 6])
    assert sd["h"][0].tolist() == [0x3F80, 0x3F80]  # bfloat16 1.0 is 0x3f80


def test_written_pickle_names_only_allowed_globals(tmp_path):
    obj = {"a": ember.ones(2, dtype=ember.float16), "b": [ember.arange(3), (1, 2.5)],
           "c": {1, 2}, "d": 1j, "e": b"xy", "f": ember.float64, "g": ember.device("cpu"),
           "h": ember.Size([1]), "i": OrderedDict(k=ember.zeros(1, dtype=ember.complex64))}
    if isinstance(ember.nn.Parameter, type) and issubclass(ember.nn.Parameter, ember.Tensor):
        obj["p"] = ember.nn.Parameter(ember.ones(1))
    for protocol in (2, 4):
        buf = io.BytesIO()
        ember.save(obj, buf, pickle_protocol=protocol)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            used = _globals_in(zf.read("archive/data.pkl"))
        assert used <= ALLOWED_GLOBALS, used - ALLOWED_GLOBALS
        assert "torch._utils _rebuild_tensor_v2" in used and "torch HalfStorage" in used


def test_legacy_layout(tmp_path):
    ember.save([ember.tensor([1.5, 2.5])], tmp_path / "l.pt", _use_new_zipfile_serialization=False)
    f = io.BytesIO((tmp_path / "l.pt").read_bytes())
    assert pickle.load(f) == 0x1950A86A20F9469CFC6C
    assert pickle.load(f) == 1001
    assert pickle.load(f)["little_endian"] is True
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(f)]  # the object's pickle
    assert ("GLOBAL", "torch FloatStorage") in ops
    assert pickle.load(f) == ["0"]  # storage keys
    assert struct.unpack("<q", f.read(8))[0] == 2
    assert np.frombuffer(f.read(8), "<f4").tolist() == [1.5, 2.5]
    assert f.read() == b""


# ---------------------------------------------------------------------------------------------
# Errors and atomicity
# ---------------------------------------------------------------------------------------------


class _Custom:
    pass


@pytest.mark.parametrize("bad", [_Custom(), np.zeros(2), print, {"f": lambda: 0}],
                         ids=["object", "ndarray", "builtin", "lambda"])
def test_unsavable_objects_are_refused(tmp_path, bad):
    path = tmp_path / "x.pt"
    path.write_bytes(b"old")
    with pytest.raises(TypeError, match="ember.save: cannot save an object of type"):
        ember.save({"bad": bad}, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.pt"]


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    ember.save({"v": 1}, path)
    before = path.read_bytes()
    real = serialization._write_record
    calls = []

    def failing(zf, name, data):
        calls.append(name)
        if "/data/" in name:  # fail midway, after data.pkl and a few records are written
            raise OSError("disk full")
        return real(zf, name, data)

    monkeypatch.setattr(serialization, "_write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"w": ember.ones(1000)}, path)
    assert calls[0] == "model/data.pkl" and "/data/" in calls[-1]
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]  # no temporary file left behind
    assert ember.load(path) == {"v": 1}


def test_save_to_new_path_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(TypeError):
        ember.save(_Custom(), tmp_path / "new.pt")
    assert os.listdir(tmp_path) == []


def test_saved_file_has_normal_permissions(tmp_path):
    ember.save(1, tmp_path / "p.pt")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "p.pt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_rejects_bad_targets():
    with pytest.raises(TypeError, match="path or a writable binary file"):
        ember.save(1, 42)
    with pytest.raises(ValueError, match="pickle_module"):
        ember.save(1, io.BytesIO(), pickle_module=struct)


# ---------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------


def test_safetensors_round_trip(tmp_path):
    sd = {
        "w": ember.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3)[:, ::2]),
        "h": ember.from_numpy(np.array([1.5, -2.0], ml_dtypes.bfloat16)),
        "i": ember.tensor([1, 2, 3]), "m": ember.tensor([True, False]),
        "f": ember.tensor([0.5], dtype=ember.float16),
    }
    path = tmp_path / "model.safetensors"
    serialization.save_safetensors(sd, path)
    back = serialization.load_safetensors(path)
    assert set(back) == set(sd)
    for key, t in sd.items():
        assert back[key].dtype is t.dtype
        np.testing.assert_array_equal(back[key].numpy(), t.numpy())
    assert back["w"].numpy().flags.writeable
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        assert f.metadata() == {"format": "pt"}


def test_safetensors_detected_by_content(tmp_path):
    path = tmp_path / "weights.bin"  # not the usual extension
    serialization.save_safetensors({"a": ember.ones(2, 2)}, path, metadata={"note": "x"})
    assert ember.load(path)["a"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert ember.load(io.BytesIO(path.read_bytes()))["a"].shape == (2, 2)
    header_len = struct.unpack("<Q", path.read_bytes()[:8])[0]
    assert path.read_bytes()[8:8 + header_len].lstrip().startswith(b"{")
    ember.save({"a": ember.ones(2)}, tmp_path / "x.pt")
    with pytest.raises(RuntimeError, match="not a safetensors file"):
        serialization.load_safetensors(tmp_path / "x.pt")


def test_safetensors_errors(tmp_path):
    with pytest.raises(TypeError, match="complex128"):
        serialization.save_safetensors({"c": ember.zeros(1, dtype=ember.complex128)},
                                       tmp_path / "c.safetensors")
    with pytest.raises(TypeError, match="str -> Tensor"):
        serialization.save_safetensors({"n": 3}, tmp_path / "n.safetensors")
    assert os.listdir(tmp_path) == []
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", 20) + b'{"a": {"dtype": 1}}' + b" ")
    with pytest.raises(RuntimeError, match="cannot read safetensors file"):
        ember.load(bad)


def test_missing_parent_directory(tmp_path):
    with pytest.raises(RuntimeError, match="parent directory .*nowhere does not exist"):
        ember.save(1, tmp_path / "nowhere" / "x.pt")


def test_mmap_refused_for_legacy_files(tmp_path):
    ember.save([ember.ones(1)], tmp_path / "l.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap=True works only for zip checkpoints"):
        ember.load(tmp_path / "l.pt", mmap=True)
    serialization.save_safetensors({"a": ember.ones(1)}, tmp_path / "s.safetensors")
    assert ember.load(tmp_path / "s.safetensors", mmap=True)["a"].tolist() == [1.0]
