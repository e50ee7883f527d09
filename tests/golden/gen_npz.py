# SPDX-License-Identifier: MIT
#
# gen_npz.py — writes the .npz files under tests/golden/npz/ that
# tests/test_npz.c reads: what NumPy itself writes (np.savez: stored
# members with a zip64 extra field in each local header; np.savez_compressed:
# deflated members), .npy versions 2.0 and 3.0, a Python 2 era header
# ("(5L,)"), and the arrays genlab must refuse (int64, big-endian, Fortran
# order), each named after what it holds.
#
# Every array's values are value(i) = (i - 3) * 0.25 + OFFSET[name] over
# its elements in C order: exact in float32 and float64, so the C suite
# checks them with ==.
#
# Run with the system python that has numpy:
#     /usr/bin/python3 tests/golden/gen_npz.py
import io
import os
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npz")
OFFSET = {"mu": 0.0, "sigma": 10.0, "scalar": 20.0, "empty": 30.0, "cube": 40.0, "f4": 50.0}


def values(name, shape, dtype):
    n = int(np.prod(shape))
    return ((np.arange(n) - 3) * 0.25 + OFFSET.get(name, 0.0)).astype(dtype).reshape(shape)


ARRAYS = {
    "mu": values("mu", (5,), np.float64),
    "sigma": values("sigma", (3, 4), np.float64),
    "scalar": values("scalar", (), np.float64),
    "empty": values("empty", (0, 3), np.float64),
    "cube": values("cube", (2, 3, 4), np.float64),
    "f4": values("f4", (2, 2), np.float32),
}


def npy_bytes(a, version):
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def zip_of(members, compression):
    """members: name -> .npy bytes, in a zip written by Python's zipfile."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name + ".npy", data)
    return b.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)

    def path(name):
        return os.path.join(OUT, name)

    np.savez(path("stored.npz"), **ARRAYS)
    np.savez_compressed(path("compressed.npz"), **ARRAYS)
    # pytorch-fid's layout: np.savez_compressed(path, mu=mu, sigma=sigma)
    np.savez_compressed(path("fid_stats.npz"), mu=values("mu", (8,), np.float64),
                        sigma=values("sigma", (8, 8), np.float64))
    for v in (2, 3):
        with open(path("v%d.npz" % v), "wb") as f:
            f.write(zip_of({"mu": npy_bytes(ARRAYS["mu"], (v, 0))}, zipfile.ZIP_DEFLATED))
    # Python 2's numpy wrote shapes with long integers
    py2 = bytearray(npy_bytes(ARRAYS["mu"], (1, 0)))
    at = py2.index(b"(5,)")
    py2[at:at + 4] = b"(5L,)"
    del py2[py2.index(b"\n") - 1]  # one space less of padding: the same length
    with open(path("py2_long.npz"), "wb") as f:
        f.write(zip_of({"mu": bytes(py2)}, zipfile.ZIP_STORED))
    # what genlab refuses
    np.savez(path("int64.npz"), mu=np.arange(5, dtype="<i8"))
    np.savez(path("big_endian.npz"), mu=ARRAYS["mu"].astype(">f8"))
    np.savez(path("fortran.npz"), sigma=np.asfortranarray(ARRAYS["sigma"]))
    print("wrote", OUT)


main()
