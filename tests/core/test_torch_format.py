"""ember.load on PyTorch checkpoints built byte by byte (tests/core/_torchfile.py).

The files follow torch.save's layouts exactly: the zip format (archive/data.pkl, data/<key>,
byteorder, version) and the legacy pre-1.6 format (magic number, protocol 1001, system info,
the pickle, the storage keys, the storages). Expected values are written out in the tests.
"""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from collections import OrderedDict

import ml_dtypes
import numpy as np
import pytest
from _torchfile import Pickle, legacy_bytes, write_zip

import ember


def _one_tensor(storage="FloatStorage", numel=3, size=(3,), stride=(1,), offset=0,
                location="cpu", requires_grad=False) -> bytes:
    p = Pickle()
    p.tensor_v2(storage, "0", numel=numel, offset=offset, size=size, stride=stride,
                location=location, requires_grad=requires_grad)
    return p.finish()


def _zip_file(tmp_path, data_pkl, storages, archive="archive", name="model.pt", **kw):
    path = tmp_path / name
    write_zip(path, archive, data_pkl, storages, **kw)
    return path


# ---------------------------------------------------------------------------------------------
# The zip format
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "storage, np_dtype, ember_dtype",
    [
        ("FloatStorage", "<f4", ember.float32),
        ("HalfStorage", "<f2", ember.float16),
        ("LongStorage", "<i8", ember.int64),
        ("DoubleStorage", "<f8", ember.float64),
        ("IntStorage", "<i4", ember.int32),
        ("ShortStorage", "<i2", ember.int16),
        ("CharStorage", "i1", ember.int8),
        ("ByteStorage", "u1", ember.uint8),
        ("BoolStorage", "?", ember.bool),
        ("ComplexFloatStorage", "<c8", ember.complex64),
        ("ComplexDoubleStorage", "<c16", ember.complex128),
        ("BFloat16Storage", ml_dtypes.bfloat16, ember.bfloat16),
    ],
)
def test_zip_single_tensor_each_storage_type(tmp_path, storage, np_dtype, ember_dtype):
    values = np.array([1, 0, 3, 1, 2, 0], dtype=np_dtype)
    path = _zip_file(tmp_path, _one_tensor(storage, numel=6, size=(2, 3), stride=(3, 1)),
                     {"0": values.tobytes()})
    t = ember.load(path)
    assert t.dtype is ember_dtype
    assert t.shape == (2, 3)
    expected = [[1, 0, 3], [1, 2, 0]] if ember_dtype is not ember.bool else [[1, 0, 1], [1, 1, 0]]
    np.testing.assert_array_equal(t.numpy().astype(np.complex128), expected)


def test_zip_ordered_state_dict_with_int64_and_float16(tmp_path):
    # OrderedDict([('weight', float32 2x2), ('bias', float16 (2,)), ('num_batches', int64 0-d)])
    p = Pickle()
    p.global_("collections", "OrderedDict").empty_tuple().reduce().mark()
    p.str("weight").tensor_v2("FloatStorage", "0", numel=4, offset=0, size=(2, 2),
                              stride=(2, 1))
    p.str("bias").tensor_v2("HalfStorage", "1", numel=2, offset=0, size=(2,), stride=(1,))
    p.str("num_batches").tensor_v2("LongStorage", "2", numel=1, offset=0, size=(), stride=())
    p.setitems()
    storages = {
        "0": np.array([0.5, -1.0, 2.0, 3.25], "<f4").tobytes(),
        "1": np.array([1.5, -2.0], "<f2").tobytes(),
        "2": np.array([7], "<i8").tobytes(),
    }
    sd = ember.load(_zip_file(tmp_path, p.finish(), storages))
    assert type(sd) is OrderedDict
    assert list(sd) == ["weight", "bias", "num_batches"]
    np.testing.assert_array_equal(sd["weight"].numpy(), [[0.5, -1.0], [2.0, 3.25]])
    assert sd["bias"].dtype is ember.float16
    np.testing.assert_array_equal(sd["bias"].numpy(), np.array([1.5, -2.0], np.float16))
    assert sd["num_batches"].dtype is ember.int64 and sd["num_batches"].shape == ()
    assert sd["num_batches"].item() == 7


@pytest.mark.parametrize("archive", ["archive", "my_model.v2"])
def test_zip_any_archive_folder_name(tmp_path, archive):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.array([1, 2, 3], "<f4").tobytes()},
                     archive=archive)
    np.testing.assert_array_equal(ember.load(path).numpy(), [1, 2, 3])


def test_zip_shared_storage_two_views_offsets_and_strides(tmp_path):
    # One storage of 12 floats 0..11; 'full' is it as 3x4, 'cols' = full[1:, ::2] (offset 4,
    # stride (4, 2)), 'tail' = full.T[1] read at offset 1 with stride 4 (non-contiguous).
    p = Pickle().empty_dict().mark()
    p.str("full").tensor_v2("FloatStorage", "0", numel=12, offset=0, size=(3, 4),
                            stride=(4, 1))
    p.str("cols").tensor_v2("FloatStorage", "0", numel=12, offset=4, size=(2, 2),
                            stride=(4, 2))
    p.str("tail").tensor_v2("FloatStorage", "0", numel=12, offset=1, size=(3,), stride=(4,))
    p.setitems()
    path = _zip_file(tmp_path, p.finish(), {"0": np.arange(12, dtype="<f4").tobytes()})
    d = ember.load(path)
    np.testing.assert_array_equal(d["cols"].numpy(), [[4, 6], [8, 10]])
    np.testing.assert_array_equal(d["tail"].numpy(), [1, 5, 9])
    assert d["cols"].stride() == (4, 2) and d["tail"].stride() == (4,)
    # still one memory after loading, and writable
    d["full"].numpy()[1, 2] = 100.0
    assert d["cols"].numpy()[0, 1] == 100.0
    d["tail"].numpy()[2] = -5.0
    assert d["full"].numpy()[2, 1] == -5.0


def test_zip_storage_record_is_copied_not_aliased(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.array([1, 2, 3], "<f4").tobytes()})
    a, b = ember.load(path), ember.load(path)
    a.numpy()[0] = 9.0
    assert b.numpy()[0] == 1.0 and a.numpy().flags.writeable


def test_zip_requires_grad_and_parameter(tmp_path):
    p = Pickle().empty_list()
    p.tensor_v2("FloatStorage", "0", numel=2, offset=0, size=(2,), stride=(1,),
                requires_grad=True).append()
    # torch.save(nn.Parameter(...)): _rebuild_parameter(_rebuild_tensor_v2(...), True, hooks)
    p.global_("torch._utils", "_rebuild_parameter").mark()
    p.tensor_v2("FloatStorage", "1", numel=2, offset=0, size=(2,), stride=(1,))
    p.bool(True).ordered_dict().tuple().reduce().append()
    path = _zip_file(tmp_path, p.finish(), {"0": np.ones(2, "<f4").tobytes(),
                                            "1": np.zeros(2, "<f4").tobytes()})
    plain, param = ember.load(path)
    assert plain.requires_grad and plain.is_leaf
    assert param.requires_grad
    if isinstance(ember.nn.Parameter, type) and issubclass(ember.nn.Parameter, ember.Tensor):
        assert isinstance(param, ember.nn.Parameter)


def test_zip_torch_globals_size_device_dtype_and_bytes(tmp_path):
    p = Pickle().empty_list()
    p.global_("torch", "Size").mark().ints((2, 3)).tuple().reduce().append()
    p.global_("torch", "device").mark().str("cuda").int(1).tuple().reduce().append()
    p.global_("torch", "bfloat16").append()
    p.global_("torch", "long").append()
    # protocol-2 bytes: _codecs.encode('ab\xff', 'latin1')
    p.global_("_codecs", "encode").mark().str("ab\xff").str("latin1").tuple().reduce().append()
    p.global_("__builtin__", "set").mark().empty_list().int(1).append().tuple().reduce()
    p.append()
    size, dev, bf16, long, raw, st = ember.load(_zip_file(tmp_path, p.finish(), {}))
    assert size == (2, 3) and isinstance(size, ember.Size)
    assert dev == ember.device("cuda", 1)
    assert bf16 is ember.bfloat16 and long is ember.int64
    assert raw == b"ab\xff" and st == {1}


def test_zip_big_endian_byteorder_record(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.array([1, 2, 3], ">f4").tobytes()},
                     byteorder="big")
    np.testing.assert_array_equal(ember.load(path).numpy(), [1, 2, 3])


def test_zip_without_byteorder_record_is_little_endian(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.array([1, 2, 3], "<f4").tobytes()},
                     byteorder=None)
    np.testing.assert_array_equal(ember.load(path).numpy(), [1, 2, 3])


def test_zip_from_file_object_and_non_seekable_stream(tmp_path):
    buf = io.BytesIO()
    write_zip(buf, "archive", _one_tensor(), {"0": np.array([4, 5, 6], "<f4").tobytes()})
    buf.seek(0)
    np.testing.assert_array_equal(ember.load(buf).numpy(), [4, 5, 6])

    class Stream(io.RawIOBase):  # a pipe: readable, not seekable
        def __init__(self, data):
            self._inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._inner.readinto(b)

    stream = io.BufferedReader(Stream(buf.getvalue()))
    np.testing.assert_array_equal(ember.load(stream).numpy(), [4, 5, 6])


def test_rebuild_tensor_v3_widens_uint16(tmp_path):
    # torch >= 2.3 saves dtypes without a <X>Storage class on an UntypedStorage (bytes).
    p = Pickle()
    p.global_("torch._utils", "_rebuild_tensor_v3").mark()
    p.storage_pid("UntypedStorage", "0", 6, module="torch.storage")
    p.int(0).ints((3,)).ints((1,)).bool(False).ordered_dict().global_("torch", "uint16")
    p.tuple().reduce()
    path = _zip_file(tmp_path, p.finish(), {"0": np.array([1, 65535, 7], "<u2").tobytes()})
    t = ember.load(path)
    assert t.dtype is ember.int32
    np.testing.assert_array_equal(t.numpy(), [1, 65535, 7])


def test_conj_metadata_is_applied(tmp_path):
    p = Pickle()
    p.global_("torch._utils", "_rebuild_tensor_v2").mark()
    p.storage_pid("ComplexFloatStorage", "0", 1)
    p.int(0).ints((1,)).ints((1,)).bool(False).ordered_dict()
    p.empty_dict().str("conj").bool(True).setitem().tuple().reduce()
    path = _zip_file(tmp_path, p.finish(), {"0": np.array([1 + 2j], "<c8").tobytes()})
    np.testing.assert_array_equal(ember.load(path).numpy(), [1 - 2j])


def test_mmap_loads_copy_on_write(tmp_path):
    values = np.arange(6, dtype="<f4")
    path = _zip_file(tmp_path, _one_tensor(numel=6, size=(2, 3), stride=(3, 1)),
                     {"0": values.tobytes()})
    before = path.read_bytes()
    t = ember.load(path, mmap=True)
    np.testing.assert_array_equal(t.numpy(), values.reshape(2, 3))
    t.numpy()[0, 0] = 42.0  # private mapping: the file keeps its bytes
    assert t.numpy()[0, 0] == 42.0
    del t
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="mmap=True needs f to be a file path"):
        ember.load(io.BytesIO(before), mmap=True)


# ---------------------------------------------------------------------------------------------
# map_location
# ---------------------------------------------------------------------------------------------


def _cuda_file(tmp_path):
    return _zip_file(tmp_path, _one_tensor(location="cuda:0"),
                     {"0": np.array([1, 2, 3], "<f4").tobytes()})


@pytest.mark.parametrize(
    "map_location",
    ["cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage],
    ids=["str", "device", "dict", "callable"],
)
def test_map_location_to_cpu(tmp_path, map_location):
    t = ember.load(_cuda_file(tmp_path), map_location=map_location)
    assert t.device == ember.device("cpu")
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])


def test_map_location_callable_sees_storage_and_location(tmp_path):
    seen = []

    def where(storage, location):
        seen.append((storage.shape, storage.dtype, location))
        return None if location == "cpu" else storage

    ember.load(_cuda_file(tmp_path), map_location=where)
    assert seen == [((3,), ember.float32, "cuda:0")]
    # returning None keeps the default placement (here: cpu)
    cpu = _zip_file(tmp_path, _one_tensor(), {"0": np.zeros(3, "<f4").tobytes()}, name="c.pt")
    assert ember.load(cpu, map_location=where).device == ember.device("cpu")


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the CPU-only error")
def test_cuda_checkpoint_without_cuda_names_map_location(tmp_path):
    path = _cuda_file(tmp_path)
    with pytest.raises(RuntimeError, match="map_location") as info:
        ember.load(path)
    assert str(path) in str(info.value)
    with pytest.raises(RuntimeError, match="is_available"):
        ember.load(path, map_location={"cuda:0": "cuda:0"})


@pytest.mark.cuda
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs CUDA")
def test_map_location_to_cuda(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.array([1, 2, 3], "<f4").tobytes()})
    t = ember.load(path, map_location="cuda")
    assert t.is_cuda
    np.testing.assert_array_equal(t.cpu().numpy(), [1, 2, 3])
    assert ember.load(_cuda_file(tmp_path)).is_cuda  # saved on cuda:0, restored there


def test_map_location_bad_type(tmp_path):
    with pytest.raises(TypeError, match="map_location"):
        ember.load(_cuda_file(tmp_path), map_location=3.5)


def test_unsupported_device_location(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(location="mps"), {"0": np.zeros(3, "<f4").tobytes()})
    with pytest.raises(RuntimeError, match="'mps'.*map_location='cpu'"):
        ember.load(path)
    assert ember.load(path, map_location="cpu").shape == (3,)


# ---------------------------------------------------------------------------------------------
# The legacy format
# ---------------------------------------------------------------------------------------------


def _legacy_state_dict() -> bytes:
    # OrderedDict(a=float32 storage '10' of 6, b=view of a at offset 2 as 2x2, c=int64 [7]),
    # exactly as torch 1.5 / _use_new_zipfile_serialization=False writes it.
    p = Pickle()
    p.global_("collections", "OrderedDict").empty_tuple().reduce().mark()
    p.str("a").tensor_v2("FloatStorage", "10", numel=6, offset=0, size=(6,), stride=(1,),
                         legacy=True)
    p.str("b").tensor_v2("FloatStorage", "10", numel=6, offset=2, size=(2, 2), stride=(2, 1),
                         legacy=True)
    p.str("c").tensor_v2("LongStorage", "20", numel=1, offset=0, size=(1,), stride=(1,),
                         legacy=True)
    return p.setitems().finish()


def _legacy_storages():
    return [("20", 1, np.array([7], "<i8").tobytes()),
            ("10", 6, np.arange(6, dtype="<f4").tobytes())]


def test_legacy_format(tmp_path):
    path = tmp_path / "old.pt"
    path.write_bytes(legacy_bytes(_legacy_state_dict(), _legacy_storages()))
    sd = ember.load(path)
    assert type(sd) is OrderedDict and list(sd) == ["a", "b", "c"]
    np.testing.assert_array_equal(sd["a"].numpy(), [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(sd["b"].numpy(), [[2, 3], [4, 5]])
    assert sd["c"].dtype is ember.int64 and sd["c"].tolist() == [7]
    sd["a"].numpy()[3] = -1.0  # 'a' and 'b' share their storage
    assert sd["b"].numpy()[0, 1] == -1.0


def test_legacy_storage_view_metadata(tmp_path):
    # Pre-0.4 files: the persistent id's sixth field says the storage is a slice (view_key,
    # offset, size) of a root storage.
    p = Pickle().empty_list()
    p.tensor_v2("FloatStorage", "root", numel=8, offset=0, size=(3,), stride=(1,),
                legacy=True, legacy_view=("view", 4, 3)).append()
    raw = legacy_bytes(p.finish(), [("root", 8, np.arange(8, dtype="<f4").tobytes())])
    (t,) = ember.load(io.BytesIO(raw))
    np.testing.assert_array_equal(t.numpy(), [4, 5, 6])


def test_legacy_wrong_magic_number(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(legacy_bytes(_legacy_state_dict(), _legacy_storages(), magic=1234))
    with pytest.raises(RuntimeError, match="magic number") as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_legacy_wrong_protocol_version(tmp_path):
    raw = legacy_bytes(_legacy_state_dict(), _legacy_storages(), protocol_version=1000)
    with pytest.raises(RuntimeError, match="protocol version 1000"):
        ember.load(io.BytesIO(raw))


def test_legacy_truncated_storage(tmp_path):
    raw = legacy_bytes(_legacy_state_dict(), _legacy_storages())
    path = tmp_path / "cut.pt"
    path.write_bytes(raw[:-5])
    with pytest.raises(RuntimeError, match="truncated") as info:
        ember.load(path)
    assert "'10'" in str(info.value) and str(path) in str(info.value)


def test_legacy_refuses_pickled_module(tmp_path):
    p = Pickle().mark().str("module").str("class Evil: pass").str("evil.py").tuple()
    raw = legacy_bytes(p.binpersid().finish(), [])
    with pytest.raises(pickle.UnpicklingError, match="pickled module"):
        ember.load(io.BytesIO(raw))


# ---------------------------------------------------------------------------------------------
# Refused and broken files
# ---------------------------------------------------------------------------------------------


def _stack_global(module: str, name: str) -> Pickle:
    p = Pickle(4)
    for s in (module, name):
        raw = s.encode()
        p.op(b"\x8c" + bytes([len(raw)]) + raw)  # SHORT_BINUNICODE
    return p.op(b"\x93")  # STACK_GLOBAL


@pytest.mark.parametrize(
    "program, name",
    [
        (Pickle().global_("os", "system"), "os.system"),
        (Pickle().global_("posix", "system"), "posix.system"),
        (Pickle().global_("__builtin__", "eval"), "builtins.eval"),
        (Pickle().global_("builtins", "getattr"), "builtins.getattr"),
        (_stack_global("subprocess", "check_output"), "subprocess.check_output"),
        (Pickle().global_("torch._utils", "_rebuild_qtensor"), "torch._utils._rebuild_qtensor"),
        (Pickle().global_("torch.nn.modules.linear", "Linear"), "torch.nn.modules.linear.Linear"),
        (Pickle().global_("numpy.core.multiarray", "_reconstruct"),
         "numpy.core.multiarray._reconstruct"),
    ],
    ids=["os.system", "posix.system", "eval", "getattr", "stack_global", "torch_unknown",
         "torch_module", "numpy_array"],
)
def test_malicious_globals_are_refused(tmp_path, program, name):
    marker = tmp_path / "pwned"
    program.mark().str(f"touch {marker}").tuple().reduce()
    path = _zip_file(tmp_path, program.finish(), {}, name="checkpoint.pth")
    with pytest.raises(pickle.UnpicklingError) as info:
        ember.load(path)
    message = str(info.value)
    assert f"refusing to load '{name}'" in message
    assert "checkpoint.pth" in message
    assert "only tensors, storages and plain containers are allowed" in message
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        ember.load(path, weights_only=False)  # never unlocked


def test_inst_opcode_is_refused(tmp_path):
    # INST ('i') names a class inline and calls it: it goes through find_class too.
    p = Pickle().mark().str("echo hi").op(b"ios\nsystem\n")
    path = _zip_file(tmp_path, p.finish(), {})
    with pytest.raises(pickle.UnpicklingError, match="'os.system'"):
        ember.load(path)


def test_malicious_global_inside_a_state_dict(tmp_path):
    p = Pickle().empty_dict().mark()
    p.str("w").tensor_v2("FloatStorage", "0", numel=3, offset=0, size=(3,), stride=(1,))
    p.str("x").global_("os", "system").mark().str("true").tuple().reduce()
    p.setitems()
    path = _zip_file(tmp_path, p.finish(), {"0": np.zeros(3, "<f4").tobytes()})
    with pytest.raises(pickle.UnpicklingError, match="'os.system'"):
        ember.load(path)


def test_persistent_id_other_than_storage_is_refused(tmp_path):
    p = Pickle().mark().str("evil").int(1).tuple().binpersid()
    with pytest.raises(pickle.UnpicklingError, match="'evil'"):
        ember.load(_zip_file(tmp_path, p.finish(), {}))


def test_tensor_outside_its_storage_is_refused(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(numel=3, size=(4,), stride=(1,)),
                     {"0": np.zeros(3, "<f4").tobytes()})
    with pytest.raises(RuntimeError, match=r"size \[4\].*does not fit"):
        ember.load(path)
    path = _zip_file(tmp_path, _one_tensor(numel=3, size=(2,), stride=(-1,), offset=0),
                     {"0": np.zeros(3, "<f4").tobytes()}, name="neg.pt")
    with pytest.raises(RuntimeError, match="does not fit"):
        ember.load(path)


def test_storage_record_shorter_than_declared(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(numel=3), {"0": np.zeros(2, "<f4").tobytes()})
    with pytest.raises(RuntimeError, match="holds 8 bytes but the checkpoint declares 3"):
        ember.load(path)


def test_missing_storage_record(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {})
    with pytest.raises(RuntimeError, match="'archive/data/0' is missing") as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_missing_data_pkl(tmp_path):
    path = tmp_path / "empty.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/version", b"3\n")
    with pytest.raises(RuntimeError, match="without a data.pkl") as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_torchscript_archive(tmp_path):
    path = tmp_path / "scripted.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("scripted/constants.pkl", b"\x80\x02).")
        zf.writestr("scripted/code/__torch__.py", b"")
    with pytest.raises(RuntimeError, match="TorchScript"):
        ember.load(path)


def test_truncated_zip(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.zeros(3, "<f4").tobytes()})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RuntimeError, match="truncated or damaged zip") as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_corrupt_storage_bytes_fail_the_crc(tmp_path):
    raw = bytearray()
    buf = io.BytesIO()
    write_zip(buf, "archive", _one_tensor(), {"0": np.array([1, 2, 3], "<f4").tobytes()})
    raw = bytearray(buf.getvalue())
    at = raw.index(np.array([1, 2, 3], "<f4").tobytes())
    raw[at] ^= 0xFF
    with pytest.raises(RuntimeError, match="CRC"):
        ember.load(io.BytesIO(bytes(raw)))


def test_unsupported_storage_type(tmp_path):
    path = _zip_file(tmp_path, _one_tensor("QInt8Storage"), {"0": b"\0\0\0"})
    with pytest.raises(RuntimeError, match="unsupported storage type 'torch.QInt8Storage'"):
        ember.load(path)


def test_unsupported_dtype_in_v3(tmp_path):
    p = Pickle()
    p.global_("torch._utils", "_rebuild_tensor_v3").mark()
    p.storage_pid("UntypedStorage", "0", 8, module="torch.storage")
    p.int(0).ints((1,)).ints((1,)).bool(False).ordered_dict().global_("torch", "uint64")
    p.tuple().reduce()
    path = _zip_file(tmp_path, p.finish(), {"0": b"\0" * 8})
    with pytest.raises(RuntimeError, match="torch.uint64"):
        ember.load(path)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"hello, this is a text file\n", "not a checkpoint"),
        (b"", "not a checkpoint"),
        (b"\x80\x02K\x05.", "wrong magic number"),  # a pickle, but not torch.save's
    ],
)
def test_not_a_checkpoint(tmp_path, content, match):
    path = tmp_path / "notes.pt"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=match) as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_damaged_pickle_names_the_file(tmp_path):
    data = _one_tensor()[:-10]  # data.pkl cut short
    path = _zip_file(tmp_path, data, {"0": np.zeros(3, "<f4").tobytes()})
    with pytest.raises(pickle.UnpicklingError, match="truncated|damaged") as info:
        ember.load(path)
    assert str(path) in str(info.value)


def test_custom_pickle_module_refused(tmp_path):
    path = _zip_file(tmp_path, _one_tensor(), {"0": np.zeros(3, "<f4").tobytes()})
    with pytest.raises(ValueError, match="restricted unpickler"):
        ember.load(path, pickle_module=struct)


# ---------------------------------------------------------------------------------------------
# Plain data pickles (dataset files) through the same restrictions
# ---------------------------------------------------------------------------------------------


def test_load_pickle_reads_numpy_data():
    from ember._torch_format import load_pickle

    batch = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [3, 1],
             b"batch_label": b"training batch 1 of 5", b"mean": np.float32(0.5)}
    for protocol in (2, 4):
        back = load_pickle(io.BytesIO(pickle.dumps(batch, protocol=protocol)), "data_batch_1",
                           encoding="bytes")
        np.testing.assert_array_equal(back[b"data"], [[0, 1, 2], [3, 4, 5]])
        assert back[b"labels"] == [3, 1] and back[b"mean"] == np.float32(0.5)
        assert back[b"batch_label"] == b"training batch 1 of 5"


def test_load_pickle_refuses_code_and_object_arrays():
    from ember._torch_format import load_pickle

    evil = Pickle().global_("os", "system").mark().str("true").tuple().reduce().finish()
    with pytest.raises(pickle.UnpicklingError, match="refusing to load 'os.system' from b1"):
        load_pickle(io.BytesIO(evil), "b1")
    objects = pickle.dumps({"a": np.array([1, None], dtype=object)}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="object array"):
        load_pickle(io.BytesIO(objects), "b2")
    tensor = Pickle().global_("torch._utils", "_rebuild_tensor_v2").finish()
    with pytest.raises(pickle.UnpicklingError, match="'torch._utils._rebuild_tensor_v2'"):
        load_pickle(io.BytesIO(tensor), "b3")
