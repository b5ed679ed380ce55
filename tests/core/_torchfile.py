"""Write PyTorch checkpoint files byte by byte, as ``torch.save`` lays them out (for the tests).

Nothing here uses Ember or torch: pickles are emitted opcode by opcode (protocol 2, the one
``torch.save`` uses) and zipped with :mod:`zipfile`, so the reader is tested against files built
from the format's description, not against Ember's own writer.

Example (what ``torch.save({'w': torch.arange(3.)}, 'm.pt')`` holds)::

    p = Pickle()
    p.empty_dict()
    p.str("w")
    p.tensor_v2("FloatStorage", "0", numel=3, offset=0, size=(3,), stride=(1,))
    p.setitem()
    write_zip("m.pt", "m", p.finish(), {"0": np.arange(3, dtype="<f4").tobytes()})
"""

from __future__ import annotations

import struct
import zipfile

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class Pickle:
    """A protocol-2 pickle, one opcode per method (names from ``pickletools``)."""

    def __init__(self, protocol: int = 2):
        self.out = bytearray(b"\x80" + bytes([protocol]))

    def op(self, code: bytes) -> Pickle:
        self.out += code
        return self

    def mark(self):
        return self.op(b"(")

    def tuple(self):
        return self.op(b"t")

    def empty_tuple(self):
        return self.op(b")")

    def empty_dict(self):
        return self.op(b"}")

    def empty_list(self):
        return self.op(b"]")

    def setitem(self):
        return self.op(b"s")

    def setitems(self):
        return self.op(b"u")

    def append(self):
        return self.op(b"a")

    def reduce(self):
        return self.op(b"R")

    def build(self):
        return self.op(b"b")

    def binpersid(self):
        return self.op(b"Q")

    def none(self):
        return self.op(b"N")

    def bool(self, value: bool):
        return self.op(b"\x88" if value else b"\x89")

    def global_(self, module: str, name: str):
        return self.op(b"c" + f"{module}\n{name}\n".encode("ascii"))

    def int(self, value: int):
        if 0 <= value < 256:
            return self.op(b"K" + bytes([value]))
        if -(2**31) <= value < 2**31:
            return self.op(b"J" + struct.pack("<i", value))
        raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
        return self.op(b"\x8a" + bytes([len(raw)]) + raw)  # LONG1

    def float(self, value: float):
        return self.op(b"G" + struct.pack(">d", value))

    def str(self, value: str):
        raw = value.encode("utf-8")
        return self.op(b"X" + struct.pack("<I", len(raw)) + raw)

    def ints(self, values):
        """A tuple of ints (MARK ... TUPLE)."""
        self.mark()
        for v in values:
            self.int(v)
        return self.tuple()

    def ordered_dict(self):
        """``collections.OrderedDict()``: torch's (empty) backward_hooks argument."""
        return self.global_("collections", "OrderedDict").empty_tuple().reduce()

    def storage_pid(self, storage: str, key: str, numel: int, location: str = "cpu",
                    legacy_view=None, legacy: bool = False, module: str = "torch"):
        """``BINPERSID`` of ('storage', torch.<storage>, key, location, numel[, view])."""
        self.mark().str("storage").global_(module, storage).str(key).str(location).int(numel)
        if legacy:
            if legacy_view is None:
                self.none()
            else:
                view_key, offset, size = legacy_view
                self.mark().str(view_key).int(offset).int(size).tuple()
        return self.tuple().binpersid()

    def tensor_v2(self, storage: str, key: str, *, numel: int, offset: int, size, stride,
                  requires_grad: bool = False, location: str = "cpu", legacy: bool = False,
                  legacy_view=None):
        """``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, rg, hooks)``."""
        self.global_("torch._utils", "_rebuild_tensor_v2").mark()
        self.storage_pid(storage, key, numel, location, legacy_view, legacy)
        self.int(offset).ints(size).ints(stride).bool(requires_grad).ordered_dict()
        return self.tuple().reduce()

    def finish(self) -> bytes:
        return bytes(self.out + b".")


def write_zip(target, archive: str, data_pkl: bytes, storages: dict[str, bytes],
              byteorder: str | None = "little", extra: dict[str, bytes] | None = None) -> None:
    """A zip checkpoint: records in torch.save's order, stored uncompressed.

    ``target`` is a path or a binary file object; ``storages`` maps key -> raw bytes.
    """
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", data_pkl)
        zf.writestr(f"{archive}/.format_version", b"1")
        zf.writestr(f"{archive}/.storage_alignment", b"64")
        if byteorder is not None:
            zf.writestr(f"{archive}/byteorder", byteorder.encode())
        for key, raw in storages.items():
            zf.writestr(f"{archive}/data/{key}", raw)
        zf.writestr(f"{archive}/version", b"3\n")
        zf.writestr(f"{archive}/.data/serialization_id", b"0123456789" * 4)
        for name, raw in (extra or {}).items():
            zf.writestr(name, raw)


def legacy_bytes(data_pkl: bytes, storages: list[tuple[str, int, bytes]],
                 magic: int = LEGACY_MAGIC, protocol_version: int = 1001) -> bytes:
    """A legacy (PyTorch < 1.6) torch.save file.

    Five pickles (magic number, protocol version, system info, the object, the storage keys)
    followed by each storage as int64 element count + little-endian bytes.
    ``storages`` lists (key, numel, raw bytes) in file order.
    """
    out = bytearray()
    out += Pickle().int(magic).finish()
    out += Pickle().int(protocol_version).finish()
    info = Pickle().empty_dict().mark()
    info.str("protocol_version").int(protocol_version)
    info.str("little_endian").bool(True)
    info.str("type_sizes").empty_dict().mark()
    info.str("short").int(2).str("int").int(4).str("long").int(4).setitems()
    out += info.setitems().finish()
    out += data_pkl
    keys = Pickle().empty_list()
    for key, _, _ in storages:
        keys.str(key).append()
    out += keys.finish()
    for _, numel, raw in storages:
        out += struct.pack("<q", numel) + raw
    return bytes(out)
