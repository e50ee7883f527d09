#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_ckpt_python.py — a safetensors file written by Python, for genlab's reader.

Writes ckpt_python.safetensors beside this script with the standard library
only (struct + json), following the rules of the safetensors library: the
header's length as a little-endian u64, the JSON header padded with spaces to
a multiple of 8 bytes, "__metadata__" first, the data ordered by falling
element size and then by name, the tensors tiling the data.

The JSON is spelled the way Python's json module does by default (a space
after ',' and ':', non-ASCII as \\u escapes), unlike genlab's compact writer,
so that the reader meets what hand-written Python tools produce. The values
are exact in their dtypes; test_checkpoint.c compares them bit for bit.

Run:  python3 tests/golden/gen_ckpt_python.py
(test_checkpoint.c reads tests/golden/ckpt_python.safetensors; regenerate
both together.)
"""
import json
import os
import struct

SIZE = {"F32": 4, "I32": 4, "U8": 1, "I64": 8, "U64": 8}
FORMAT = {"F32": "f", "I32": "i", "U8": "B", "I64": "q", "U64": "Q"}

# name: (dtype, shape, values in row-major order)
TENSORS = {
    "w": ("F32", [2, 3], [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]),
    "b": ("F32", [3], [0.1, -2.5, 3e-8]),
    "steps": ("I64", [4], [-1, 0, 2**40, 7]),
    "seed": ("U64", [], [2**63 + 5]),
    "labels": ("I32", [2, 2], [-7, 0, 3, 2**31 - 1]),
    "pix": ("U8", [5], [0, 1, 127, 128, 255]),
    "empty": ("F32", [0, 3], []),
    "caf\u00e9": ("U8", [1], [42]),
}
METADATA = {"format": "pt", "step": "1234", "note": "h\u00e9llo"}


def main():
    order = sorted(TENSORS, key=lambda n: (-SIZE[TENSORS[n][0]], n))
    header = {"__metadata__": METADATA}
    data = b""
    for name in order:
        dtype, shape, values = TENSORS[name]
        blob = struct.pack("<%d%s" % (len(values), FORMAT[dtype]), *values)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ckpt_python.safetensors")
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


if __name__ == "__main__":
    main()
