#!/usr/bin/env python3
"""Helper of larger-than-heap.sh: writes the weights, prunes them with numpy, compares masks.

  generate DIR N_TENSORS ROWS COLS   DIR/big.safetensors (bfloat16) + DIR/big.npy (float32, the
                                     same values: each bfloat16 widened exactly)
  numpy-mask DIR SPARSITY OUT        numpy's exact equivalent of `lth mask --sparsity S` (global
                                     magnitude, ties to the lower flat index) on DIR/big.npy
  compare A B                        exit 0 when the two .npz masks hold the same arrays
"""
import json
import struct
import sys
import time

import numpy as np

CHUNK = 1 << 26  # values generated at a time


def names_and_shapes(n, rows, cols):
    return [(f"layers.{i}.weight", (rows, cols)) for i in range(n)]


def generate(out_dir, n, rows, cols):
    tensors = names_and_shapes(n, rows, cols)
    total = n * rows * cols
    header, offset = {}, 0
    for name, shape in tensors:
        size = 2 * shape[0] * shape[1]
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    npy = np.lib.format.open_memmap(f"{out_dir}/big.npy", mode="w+", dtype="<f4", shape=(total,))
    rng = np.random.default_rng(12)
    with open(f"{out_dir}/big.safetensors", "wb") as st:
        st.write(struct.pack("<Q", len(text)))
        st.write(text)
        for start in range(0, total, CHUNK):
            k = min(CHUNK, total - start)
            w = (rng.standard_normal(k, dtype=np.float32) * np.float32(0.02))
            bf16 = (w.view(np.uint32) >> 16).astype("<u2")  # upper 16 bits: truncation
            st.write(bf16.tobytes())
            npy[start:start + k] = (bf16.astype(np.uint32) << 16).view(np.float32)
    npy.flush()
    del npy
    with open(f"{out_dir}/shapes.json", "w") as f:
        json.dump(tensors, f)


def numpy_mask(out_dir, sparsity, out):
    t0 = time.perf_counter()
    tensors = json.load(open(f"{out_dir}/shapes.json"))
    w = np.load(f"{out_dir}/big.npy", mmap_mode="r")
    n = w.size
    prune = int(round(sparsity * n))  # Python's round: half to even, as lth
    mag = np.abs(w)                    # -0.0 == 0.0
    if prune > 0:
        mag.partition(prune - 1)       # in place: the prune-th lowest lands at prune-1
        t = mag[prune - 1]
        del mag
        mag = np.abs(w)
        below = int(np.count_nonzero(mag < t))
        ties = prune - below
        mask = mag > t
        equal = np.flatnonzero(mag == t)
        mask[equal[ties:]] = True      # the first `ties` equal ones (lower flat index) go
    else:
        mask = np.ones(n, dtype=bool)
    del mag
    arrays, start = {}, 0
    for name, shape in tensors:
        size = shape[0] * shape[1]
        arrays[name] = mask[start:start + size].reshape(shape)
        start += size
    np.savez(out, **arrays)
    print(f"numpy: {time.perf_counter() - t0:.1f} s in process, "
          f"{n - int(mask.sum())} of {n} pruned", file=sys.stderr)


def compare(a, b):
    x, y = np.load(a), np.load(b)
    if sorted(x.files) != sorted(y.files):
        print(f"different keys: {x.files} vs {y.files}")
        return 1
    for k in x.files:
        if x[k].shape != y[k].shape or not np.array_equal(x[k].astype(bool), y[k].astype(bool)):
            print(f"masks differ at {k}")
            return 1
    print("masks identical")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "numpy-mask":
        numpy_mask(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
