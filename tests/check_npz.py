# SPDX-License-Identifier: MIT
"""check_npz.py — does NumPy read an .npz that genlab wrote?

    check_npz.py FILE NAME:SHAPE [NAME:SHAPE ...]

SHAPE is comma-separated ("" for a scalar, "0,3" for an empty matrix).
np.load(FILE) must hold exactly the arrays named, each float64 of that
shape, with values (i - 3) * 0.25 + k over its elements in C order, k the
array's position in the list (tests/test_npz.c writes them so), compared
bit for bit. Exit status 0, or 1 with the first difference on stderr.
Run by tests/test_npz_python.
"""
import sys

import numpy as np


def main():
    path, specs = sys.argv[1], sys.argv[2:]
    with np.load(path) as z:
        want = [s.split(":")[0] for s in specs]
        if sorted(z.files) != sorted(want):
            sys.exit("%s: arrays %s, expected %s" % (path, sorted(z.files), sorted(want)))
        for k, spec in enumerate(specs):
            name, shape = spec.split(":")
            shape = tuple(int(d) for d in shape.split(",") if d)
            a = z[name]
            if a.dtype != np.float64 or a.shape != shape:
                sys.exit("%s: %s is %s %s, expected float64 %s" % (path, name, a.dtype, a.shape,
                                                                   shape))
            n = int(np.prod(shape))
            v = ((np.arange(n) - 3) * 0.25 + k).reshape(shape)
            if v.tobytes() != a.tobytes():
                sys.exit("%s: %s holds other values" % (path, name))
    return 0


sys.exit(main())
