# SPDX-License-Identifier: MIT
"""glgd.py — writer of genlab golden files, shared by the gen_*.py scripts.

Format (little-endian): magic b'GLGD', u32 version (1), then records until
EOF: u32 name length, name bytes (UTF-8), u32 ndim, ndim x u32 dims,
float32 data in row-major order. tests/golden.c reads it.
"""
import struct

import numpy as np

MAGIC = b"GLGD"
VERSION = 1


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(MAGIC + struct.pack("<I", VERSION))

    def add(self, name, t):
        """t: a torch tensor or numpy array; stored as float32."""
        a = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
        a = np.ascontiguousarray(a, dtype="<f4")
        b = name.encode()
        self.f.write(struct.pack("<I", len(b)) + b)
        self.f.write(struct.pack("<I", a.ndim) + struct.pack("<%dI" % a.ndim, *a.shape))
        self.f.write(a.tobytes())

    def close(self):
        self.f.close()
