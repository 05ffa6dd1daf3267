#!/usr/bin/env python3
"""Reads lth4j's compact .lthc weights with numpy alone (the layout is documented in
io.github.lth.core.io.CompactWeights).

As a module:   weights, mask = lthc.load("model.lthc")
    weights: {name: float32 array, pruned entries 0.0}, mask: {name: bool array}, file order.
As a command:  lthc.py MODEL.lthc WEIGHTS.npz [MASK.npz]
    writes the dense weights (and the masks of the masked tensors) with numpy.savez.
"""
import struct
import sys
import zlib

import numpy as np

MAGIC = b"LTHC"
VERSION = 1


class LthcError(ValueError):
    pass


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    weights, mask = {}, {}
    if len(data) < 12 or data[:4] != MAGIC:
        raise LthcError(f"{path}: not an .lthc file")
    version, count = struct.unpack_from("<II", data, 4)
    if version != VERSION:
        raise LthcError(f"{path}: .lthc version {version}, this reader reads {VERSION}")
    pos = 12

    def take(n, what):
        nonlocal pos
        if n > len(data) - pos:
            raise LthcError(f"{path}: truncated in {what}")
        chunk = data[pos:pos + n]
        pos += n
        return chunk

    for index in range(count):
        start = pos
        (name_len,) = struct.unpack("<H", take(2, f"tensor #{index + 1}"))
        name = take(name_len, f"tensor #{index + 1}").decode("utf-8")
        what = f"tensor '{name}'"
        kind, rank = struct.unpack("<BB", take(2, what))
        shape = struct.unpack(f"<{rank}Q", take(8 * rank, what))
        n = int(np.prod(shape, dtype=np.int64)) if rank else 1
        if kind == 1:
            (kept,) = struct.unpack("<Q", take(8, what))
            if kept > n:
                raise LthcError(f"{path}: {what} keeps {kept} of {n} weights")
            packed = np.frombuffer(take((n + 7) // 8, what), dtype=np.uint8)
            bits = np.unpackbits(packed, bitorder="little", count=n).astype(bool)
            kept_values = np.frombuffer(take(4 * kept, what), dtype="<u4")
            if int(bits.sum()) != kept:
                raise LthcError(f"{path}: {what}: mask bits do not match the kept count")
            # through uint32 so that the float bits (NaN payloads) are copied, not converted
            raw = np.zeros(n, dtype="<u4")
            raw[bits] = kept_values
            mask[name] = bits.reshape(shape)
        elif kind == 0:
            raw = np.frombuffer(take(4 * n, what), dtype="<u4").copy()
        else:
            raise LthcError(f"{path}: {what} has unknown kind {kind}")
        (crc,) = struct.unpack("<I", take(4, what))
        if zlib.crc32(data[start:pos - 4]) != crc:
            raise LthcError(f"{path}: {what} is corrupt (CRC-32 mismatch)")
        if name in weights:
            raise LthcError(f"{path}: {what} appears twice")
        weights[name] = raw.view("<f4").reshape(shape)
    if pos != len(data):
        raise LthcError(f"{path}: {len(data) - pos} bytes after the last tensor")
    return weights, mask


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit("usage: lthc.py MODEL.lthc WEIGHTS.npz [MASK.npz]")
    try:
        weights, mask = load(argv[0])
    except (LthcError, OSError, UnicodeDecodeError) as e:
        sys.exit(f"lthc.py: {e}")
    np.savez(argv[1], **weights)
    if len(argv) == 3:
        np.savez(argv[2], **mask)


if __name__ == "__main__":
    main(sys.argv[1:])
