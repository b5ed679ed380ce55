"""A minimal reader for MATLAB MAT-files, level 5 (what SVHN's ``*_32x32.mat`` are).

SciPy is not a dependency of embervision, so this reads just what numeric datasets hold.
Layout (MathWorks, "MAT-File Format", level 5):

- a 128-byte header: 116 bytes of text, 8 bytes of subsystem offset, a 2-byte version (0x0100)
  and the 2 characters ``'MI'`` written as a 16-bit integer, so a file reads ``b'IM'`` when
  written little-endian and ``b'MI'`` when big-endian;
- then data elements, each an 8-byte tag (uint32 type, uint32 byte count) and its data padded to
  8 bytes; or a "small" element whose tag packs the byte count into its upper 16 bits and whose
  (<= 4 bytes of) data follow in the same 8 bytes;
- a variable is an ``miMATRIX`` element, possibly wrapped in an ``miCOMPRESSED`` element (zlib),
  holding sub-elements: array flags (class in the low byte of the first uint32, 0x0800 complex,
  0x0200 logical), dimensions (int32), the name (int8), the real part, then the imaginary part.
  The real part's storage type may be narrower than the class: MATLAB stores a double array of
  small integers as ``miUINT8`` (SVHN's labels ``y``); values are cast to the class's type
  (what MATLAB shows, and ``scipy.io.loadmat(..., mat_dtype=True)``).
  Data are column-major (Fortran order).

Numeric and logical arrays are read; cells, structs, character arrays, sparse matrices and
objects are skipped. Level-7.3 files (HDF5) and level-4 files are refused with a clear error.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

__all__ = ["loadmat"]

# Data element types (mi*) -> element dtype (byte order applied per file).
_MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8",
              12: "i8", 13: "u8"}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
# Array classes (mx*) -> the dtype the values have in MATLAB.
_MX_DTYPES = {6: np.float64, 7: np.float32, 8: np.int8, 9: np.uint8, 10: np.int16,
              11: np.uint16, 12: np.int32, 13: np.uint32, 14: np.int64, 15: np.uint64}
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class _Reader:
    def __init__(self, source: str, endian: str):
        self.source, self.endian = source, endian

    def fail(self, what: str):
        raise RuntimeError(f"loadmat: {self.source} is damaged: {what}")

    def element(self, buf, pos: int, top: bool = False):
        """Read the data element at ``pos``: (type, payload, position after it)."""
        if pos + 8 > len(buf):
            self.fail(f"a data element at byte {pos} is cut short")
        (tag,) = struct.unpack_from(self.endian + "I", buf, pos)
        if tag >> 16:  # small data element: (nbytes << 16) | type, data in the next 4 bytes
            nbytes, mdtype = tag >> 16, tag & 0xFFFF
            if nbytes > 4:
                self.fail(f"a small data element at byte {pos} declares {nbytes} bytes")
            return mdtype, buf[pos + 4 : pos + 4 + nbytes], pos + 8
        (nbytes,) = struct.unpack_from(self.endian + "I", buf, pos + 4)
        start, end = pos + 8, pos + 8 + nbytes
        if end > len(buf):
            self.fail(f"an element at byte {pos} declares {nbytes} bytes but only "
                      f"{len(buf) - start} remain")
        # Compressed elements are not padded; everything else ends on an 8-byte boundary.
        following = end if tag == _MI_COMPRESSED else start + (nbytes + 7) // 8 * 8
        return tag, buf[start:end], min(following, len(buf)) if top else following

    def numeric(self, mdtype: int, payload, count: int, what: str) -> np.ndarray:
        if mdtype not in _MI_DTYPES:
            self.fail(f"{what} is stored with unsupported element type {mdtype}")
        dtype = np.dtype(_MI_DTYPES[mdtype]).newbyteorder(self.endian)
        if len(payload) != count * dtype.itemsize:
            self.fail(f"{what} holds {len(payload)} bytes, expected {count} values of "
                      f"{dtype.itemsize} bytes")
        return np.frombuffer(payload, dtype)

    def matrix(self, payload):
        """Parse an miMATRIX payload: (name, array) or (name, None) for unsupported classes."""
        mdtype, flags, pos = self.element(payload, 0)
        if mdtype != 6 or len(flags) < 8:
            self.fail("a matrix does not start with its array flags")
        word = struct.unpack_from(self.endian + "I", flags, 0)[0]
        mxclass, is_complex, is_logical = word & 0xFF, bool(word & 0x0800), bool(word & 0x0200)
        _, dims_payload, pos = self.element(payload, pos)
        dims = tuple(int(d) for d in np.frombuffer(dims_payload, self.endian + "i4"))
        _, name, pos = self.element(payload, pos)
        name = bytes(name).decode("ascii", "replace")
        if mxclass not in _MX_DTYPES:
            return name, None  # cell, struct, char, sparse, object: not needed here
        count = int(np.prod(dims, dtype=np.int64))
        mdtype, real, pos = self.element(payload, pos)
        array = self.numeric(mdtype, real, count, f"variable {name!r}").astype(_MX_DTYPES[mxclass])
        if is_complex:
            mdtype, imag, pos = self.element(payload, pos)
            array = array + 1j * self.numeric(mdtype, imag, count, f"variable {name!r}")
        if is_logical:
            array = array.astype(bool)
        return name, array.reshape(dims, order="F")


def loadmat(file, variable_names=None) -> dict:
    """Read the numeric variables of a MAT-file (level 5, compressed or not).

    Args:
        file: a path, or the file's bytes.
        variable_names: if given, only these variables are returned.

    Returns:
        A dict name -> NumPy array in MATLAB's shape (Fortran order; at least 2-d, as MATLAB
        stores them, like ``scipy.io.loadmat``). Unsupported variables (cells, structs, text,
        sparse) are left out.

    Raises:
        RuntimeError: not a level-5 MAT-file (level 4, or 7.3 which is HDF5), or damaged; the
            message names the file.

    Example:
        >>> mat = loadmat("train_32x32.mat")
        >>> mat["X"].shape, mat["y"].shape
        ((32, 32, 3, 73257), (73257, 1))
    """
    if isinstance(file, (bytes, bytearray, memoryview)):
        data, source = bytes(file), "<bytes>"
    else:
        source = os.fspath(file)
        with open(source, "rb") as f:
            data = f.read()
    if data[512:520] == _HDF5_SIGNATURE or data[:10] == b"MATLAB 7.3":
        raise RuntimeError(f"loadmat: {source} is a MAT-file v7.3 (HDF5), which this reader does "
                           f"not support; save it with -v7 or read it with h5py")
    marker = data[126:128]
    if len(data) < 128 or marker not in (b"IM", b"MI"):
        raise RuntimeError(f"loadmat: {source} is not a level-5 MAT-file (no 'MI' endian marker "
                           f"at byte 126)")
    reader = _Reader(source, "<" if marker == b"IM" else ">")
    wanted = None if variable_names is None else set(variable_names)
    result = {}
    pos = 128
    while pos < len(data):
        mdtype, payload, pos = reader.element(data, pos, top=True)
        if mdtype == _MI_COMPRESSED:
            try:
                payload = zlib.decompress(payload)
            except zlib.error as exc:
                reader.fail(f"a compressed variable does not decompress ({exc})")
            mdtype, payload, _ = reader.element(payload, 0)
        if mdtype != _MI_MATRIX:
            continue  # e.g. subsystem data: not a variable
        if not payload:
            continue  # an empty matrix element
        name, array = reader.matrix(payload)
        if array is not None and (wanted is None or name in wanted):
            result[name] = array
    return result
