"""Reading and writing the IDX format that MNIST ships in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the raw array in C order.
MNIST uses only unsigned bytes (type code 0x08).
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_UBYTE = 0x08
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09}


class IDXError(ValueError):
    """The bytes are not a well-formed IDX file."""


def read_idx(path: str | Path) -> np.ndarray:
    """Return the array stored in an IDX file (shape as recorded in its header)."""
    data = Path(path).read_bytes()
    return parse_idx(data, name=str(path))


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    if len(data) < 4:
        raise IDXError(f"{name}: {len(data)} bytes is too short for an IDX header")
    zero1, zero2, type_code, ndim = struct.unpack(">BBBB", data[:4])
    if zero1 or zero2 or type_code not in _DTYPES:
        raise IDXError(f"{name}: bad IDX magic number {data[:4].hex()}")
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise IDXError(f"{name}: header promises {ndim} dimensions but the file ends first")
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    dtype = np.dtype(_DTYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header_end != expected:
        raise IDXError(
            f"{name}: header says shape {shape} ({expected} bytes) "
            f"but the body has {len(data) - header_end} bytes"
        )
    return np.frombuffer(data, dtype=dtype, offset=header_end).reshape(shape)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 or int8 array as an IDX file (the inverse of read_idx)."""
    array = np.ascontiguousarray(array)
    try:
        code = _CODES[array.dtype]
    except KeyError:
        raise IDXError(f"only uint8 and int8 arrays can be written, not {array.dtype}") from None
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    Path(path).write_bytes(header + array.tobytes())


def load_images(path: str | Path) -> np.ndarray:
    """MNIST images as float32 of shape (N, 784) with values in [0, 1]."""
    raw = read_idx(path)
    if raw.ndim != 3:
        raise IDXError(f"{path}: expected a 3-d image array, got shape {raw.shape}")
    return (raw.reshape(raw.shape[0], -1).astype(np.float32)) / np.float32(255.0)


def load_labels(path: str | Path) -> np.ndarray:
    """MNIST labels as int64 of shape (N,)."""
    raw = read_idx(path)
    if raw.ndim != 1:
        raise IDXError(f"{path}: expected a 1-d label array, got shape {raw.shape}")
    return raw.astype(np.int64)
